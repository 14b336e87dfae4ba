/**
 * The plain-TypeScript kernel families: a fast kernel for every node kind on the hot path, each exact
 * against the node's reference kernel (see each module), allocation-free in `run` (the arena is the
 * only memory they compute in), and the fallback wherever no WebAssembly family takes a node.
 */
import type { KernelFactory } from '../../StepKernel.js'
import { tsBatchNorm } from './batchNorm.js'
import { tsConv } from './conv.js'
import { tsConvNd } from './convNd.js'
import { tsDense } from './dense.js'
import { tsConcat, tsMerge } from './merge.js'
import { tsPadCrop } from './padCrop.js'
import { tsGlobalPool, tsPool } from './pool.js'
import { tsSoftmax } from './softmax.js'
import { tsRowActivation, tsUnary } from './unary.js'
import { tsUpsample } from './upsample.js'

/**
 * The TypeScript families, one per concept (each declines the nodes it does not cover).
 * @category kernels
 */
export const TS_KERNEL_FAMILIES: ReadonlyArray<KernelFactory> = [tsConv, tsConvNd, tsDense, tsPool, tsGlobalPool, tsBatchNorm, tsUnary, tsMerge, tsConcat, tsPadCrop, tsUpsample, tsSoftmax, tsRowActivation]
