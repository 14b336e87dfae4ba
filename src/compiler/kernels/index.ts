/**
 * The kernel families, tried in order for each node; the reference kernel takes what none covers.
 */
import type { KernelFactory } from '../StepKernel.js'
import { wasmConvFamily } from './wasm-conv.js'
import { wasmDenseFamily } from './wasm-dense.js'
import { WASM_OP_FAMILIES } from './wasm-ops.js'
import { TS_KERNEL_FAMILIES } from './ts/index.js'

/**
 * Every fast kernel family, most specific first.
 * @category kernels
 */
export const KERNEL_FAMILIES: ReadonlyArray<KernelFactory> = [...WASM_OP_FAMILIES, wasmDenseFamily, wasmConvFamily, ...TS_KERNEL_FAMILIES]
