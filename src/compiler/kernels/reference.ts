/**
 * The reference kernel: a node run by the per-layer interpreter's compiled layer (or operation) for
 * its spec, on views of the arena, its result copied into the node's output and the epilogue applied
 * in TypeScript. It is the kernel of every node no fast kernel takes, and the oracle the fast ones are
 * tested against. It allocates what the layer's own `forward` allocates (its result). A node with a
 * view (a rank-1 layer lowered as its 2-D self) runs its 2-D spec on its values read in the view's
 * shapes (the same data).
 */
import * as E from 'fp-ts/lib/Either.js'
import { formatErrors } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import type { CompiledLayer } from '../../layers/LayerKind.js'
import { findLayerKind } from '../../model/registry.js'
import { isOperation } from '../../model/ModelSpec.js'
import { allocate, type FloatArray, type FloatDType } from '../../numerics/FloatArray.js'
import { bindOperands } from '../../ops/OpKind.js'
import { findOpKind } from '../../ops/registry.js'
import { viewedGraph, type ExtraPadding, type Graph, type Node, type Value } from '../Graph.js'
import type { StepKernel } from '../StepKernel.js'
import { applyStages } from './epilogue.js'

/** The forward function of a node's own arithmetic (its spec compiled by its kind), for its input shapes. */
const compileNode = (node: Node, inShapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): ((weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>) => Tensor) => {
  const spec = node.spec
  if (isOperation(spec)) {
    const kind = findOpKind(spec.module, spec.className)
    if (kind === undefined || node.operands === undefined) throw new TypeError(`reference kernel: no operation ${spec.className} of ${spec.module}`)
    const bound = bindOperands(kind, node.operands, inShapes, node.path)
    if (E.isLeft(bound)) throw new TypeError(`reference kernel: ${formatErrors(bound.left)}`)
    const k = kind.compile(spec.args, bound.right, { dtype })
    if (E.isLeft(k)) throw new TypeError(`reference kernel: ${formatErrors(k.left)}`)
    return (_w, xs) => k.right.run(xs)
  }
  const kind = findLayerKind(spec.className)
  if (kind === undefined) throw new TypeError(`reference kernel: no layer kind for ${spec.className}`)
  const c = kind.compile(spec, inShapes, { dtype })
  if (E.isLeft(c)) throw new TypeError(`reference kernel: the lowered ${spec.className} does not compile: ${formatErrors(c.left)}`)
  const layer: CompiledLayer = c.right
  return (w, xs) => layer.forward(w, xs)
}

/** The input zero-padded by `p` (rows then columns of a rank-3 per-sample shape, in the spec's data format). */
const padded = (x: Tensor, p: ExtraPadding, channelsFirst: boolean, dtype: FloatDType): Tensor => {
  const [batch, a, b, c] = x.shape as [number, number, number, number]
  const [H, W, C] = channelsFirst ? [b, c, a] : [a, b, c]
  const H2 = H + p.top + p.bottom
  const W2 = W + p.left + p.right
  const data = allocate(dtype, batch * H2 * W2 * C)
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        for (let k = 0; k < C; k++) {
          const src = channelsFirst ? ((n * C + k) * H + i) * W + j : ((n * H + i) * W + j) * C + k
          const dst = channelsFirst ? ((n * C + k) * H2 + i + p.top) * W2 + j + p.left : ((n * H2 + i + p.top) * W2 + j + p.left) * C + k
          data[dst] = x.data[src] as number
        }
      }
    }
  }
  return { shape: channelsFirst ? [batch, C, H2, W2] : [batch, H2, W2, C], data }
}

/**
 * The reference kernel of a node.
 * @category kernels
 */
export const referenceKernel = (node: Node, model: Graph): StepKernel => {
  // the node's spec reads its values in the shapes of its view (a rank-1 layer as its 2-D self)
  const graph = viewedGraph(model, node)
  const dtype = graph.dtype
  const shapeOf = (v: number): ReadonlyArray<number> => (graph.values[v] as Value).shape
  const extra = node.extraPadding
  const channelsFirst = (node.spec as { readonly dataFormat?: string }).dataFormat === 'channels_first'
  const inShapes = node.inputs.map((v) => {
    const s = shapeOf(v)
    if (extra === undefined) return s
    const [a, b, c] = s as [number, number, number]
    return channelsFirst ? [a, b + extra.top + extra.bottom, c + extra.left + extra.right] : [a + extra.top + extra.bottom, b + extra.left + extra.right, c]
  })
  const forward = compileNode(node, inShapes, dtype)
  const out = graph.values[node.output] as Value
  const lastAxis = out.shape[out.shape.length - 1] ?? 1
  return {
    name: 'reference',
    packedFloats: 0,
    pack: () => undefined,
    scratchFloats: () => 0,
    inPlace: false,
    run: (arena, batch, io, weights) => {
      const view: FloatArray = arena.view()
      const xs: Tensor[] = node.inputs.map((v, i) => {
        const size = (graph.values[v] as Value).size
        const at = io.inputs[i] as number
        return { shape: [batch, ...shapeOf(v)], data: view.subarray(at, at + batch * size) }
      })
      const input = extra === undefined ? xs : [padded(xs[0] as Tensor, extra, channelsFirst, dtype)]
      const y = forward(weights, input)
      // the layer's forward may grow nothing in the arena, but read the view again to be safe
      const v2 = arena.view()
      v2.set(y.data, io.output)
      applyStages(node.epilogue.stages, v2, io.output, batch * out.size, io.operands, lastAxis)
    }
  }
}
