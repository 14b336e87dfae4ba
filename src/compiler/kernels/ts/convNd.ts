/**
 * `convNd` nodes (Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose) through the family's own
 * kernels: `compileConvNd` (src/conv/kernel.ts: rank 3 folded into 2-D convolutions, transposed layers
 * by phases, on the 2-D kernels `selectKernel` picks — wasm SIMD for float32 where the runtime has it,
 * the plain-TS twins otherwise or with `choice.backend` 'js'), compiled once for the node's geometry
 * and run on views of the arena: its input read where it lies, its output written where the plan put
 * it (nothing copied here; the decompositions keep their own gathers and staging between calls). Then
 * the node's epilogue in place (a folded BatchNormalization is already in the kernel and bias; the
 * layer's own activation, fused activations and residual adds are stages).
 *
 * Exact against the reference (the layer's own forward runs the same `compileConvNd` with the same
 * options, then its activation, which is the epilogue's first stage here), bit for bit. Threads: as
 * the layer's kernels (`threads` → the 2-D kernels' threaded split, bit for bit the one-thread result);
 * a forward the model keeps on one thread runs one-thread kernels compiled beside them.
 * Declines LoRA-enabled Conv3D (merged by the layer; left to the reference) and a non-elementwise
 * activation kept in the spec.
 *
 * Kernel names: `convNd:<decomposition> <2-D kernel>` (`convNd:rank3-fold(Kd=3) wasm-tiled`).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../../../core/Tensor.js'
import type { ConvFamilySpec } from '../../../conv/ConvFamilySpec.js'
import { convParams } from '../../../conv/inferConvFamily.js'
import { compileConvNd } from '../../../conv/kernel.js'
import { convNdGeometry } from '../../../geometry/ConvNdGeometry.js'
import { THREADS_AVAILABLE } from '../../../kernel/threads.js'
import type { Graph, Node } from '../../Graph.js'
import type { Arena, KernelChoice, StepIO, StepKernel } from '../../StepKernel.js'
import { splitAllowed } from '../split.js'
import { ioViews, lastAxisOf, makeEpilogue, sameShape, shapeOf } from './common.js'

/** The classes this family runs. */
const CLASSES: ReadonlySet<string> = new Set(['Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose'])

/**
 * The family of `convNd` nodes.
 * @category kernels
 */
export const tsConvNd = (node: Node, graph: Graph, choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'convNd' || node.inputs.length !== 1 || !CLASSES.has(node.spec.className)) return undefined
  const spec = node.spec as unknown as ConvFamilySpec
  if (spec.activation !== 'linear') return undefined
  if (spec.kind === 'conv' && spec.loraRank !== null) return undefined
  if (node.extraPadding !== undefined) return undefined
  if (node.weights.length !== (spec.useBias ? 2 : 1)) return undefined
  const ge = convNdGeometry(convParams(spec), shapeOf(graph, node.inputs[0] as number))
  if (E.isLeft(ge)) return undefined
  const g = ge.right
  const outShape = shapeOf(graph, node.output)
  if (!sameShape(g.outputShape, outShape)) return undefined
  const threads = THREADS_AVAILABLE ? Math.max(1, Math.floor(choice.threads)) : 1
  // its split calls follow the model's per-forward decision (like every other step), not a policy of their own
  const conv = compileConvNd(g, { dtype: graph.dtype, backend: choice.backend, threads, split: () => splitAllowed(choice) })
  // a forward the model runs on one thread (arena.split() false) runs the one-thread kernels, on plain
  // memory: the threaded ones copy in and out of shared memory, which V8 does ~3× slower (built on first need)
  let single: typeof conv | undefined
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(outShape))
  const useBias = spec.useBias

  const views = ioViews(g.inputSize, g.outputSize)
  return {
    name: `convNd:${conv.name}`,
    packedFloats: 0,
    pack: () => undefined,
    scratchFloats: () => 0,
    inPlace: false,
    run: (arena: Arena, batch: number, io: StepIO, weights: ReadonlyArray<Tensor>) => {
      const { xs, ys } = views(arena, batch, io)
      // the evaluated weights are kept per params object: compileConvNd caches its rewritten kernels per array
      const c = threads > 1 && choice.split?.() === false ? (single ??= compileConvNd(g, { dtype: graph.dtype, backend: choice.backend, threads: 1 })) : conv
      c.run(batch, xs, (weights[0] as Tensor).data, useBias ? (weights[1] as Tensor).data : undefined, ys)
      epilogue(arena.view(), io.output, batch * g.outputSize, io.operands)
    }
  }
}
