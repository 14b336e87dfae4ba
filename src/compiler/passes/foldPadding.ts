/**
 * `fold-padding`: a ZeroPadding2D read only by a Conv2D or DepthwiseConv2D becomes that convolution's
 * explicit padding (`extraPadding`, src/compiler/Graph.ts), as XNNPACK folds a constant pad into a
 * convolution (../shared/docs/model-compiler-notes.md §1.2, §6.3). The convolution's spec gets
 * `padding: 'valid'`: with `valid` the pads add directly; with `same` TF's split for the padded size
 * (src/geometry/Padding.ts, `axisPadding`: the one place it is computed) is resolved first and added,
 * which is exactly the zeros Keras's `same` adds around the padded input, so the result is Keras's for
 * every shape. Several ZeroPadding2D layers in a row fold one after the other.
 *
 * It fires only when the padding's output is read by the convolution alone (as its input), is not a
 * model output, the padding applies no epilogue of its own, and both have the same data format. Never into pooling: a max pooling window that
 * covers only padding must see zeros, not the −∞ a fused pooling pad acts as (the ORT PadFusion bug).
 *
 * No arithmetic changes (the reference kernel pads with the same zeros and runs the `valid`
 * convolution over the same padded image): bit-identical.
 */
import { axisPadding } from '../../geometry/Padding.js'
import type { Conv2DSpec } from '../../conv/Conv2DSpec.js'
import type { ZeroPadding2DSpec } from '../../layers/spatial/padding.js'
import { inputShapeOf, outputShapeOf, replaceValue, type ExtraPadding, type Graph, type Node } from '../Graph.js'
import type { Pass } from './Pass.js'
import { classOf, readOnlyBy, toFixedPoint, updateNode, withSpec, type Scan } from './util.js'

/** The convolution classes padding folds into. */
const CONVS: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D'])

/** The convolution a ZeroPadding2D node folds into, or `undefined`. */
export const paddingTarget = (scan: Scan, pad: Node): Node | undefined => {
  if (pad.kind !== 'pad' || pad.spec.className !== 'ZeroPadding2D' || pad.epilogue.stages.length > 0) return undefined
  const cs = scan.consumers.get(pad.output) ?? []
  const conv = cs[0]
  if (conv === undefined || !readOnlyBy(scan, pad.output, conv)) return undefined
  if (conv.kind !== 'conv' || !CONVS.has(conv.spec.className) || conv.inputs.length !== 1 || conv.inputs[0] !== pad.output) return undefined
  if ((conv.spec as Conv2DSpec).dataFormat !== (pad.spec as ZeroPadding2DSpec).dataFormat) return undefined
  // both on the same view of the padded value (a ZeroPadding1D before a Conv1D: both height-1 images)
  if (!sameShape(outputShapeOf(scan.graph, pad), inputShapeOf(scan.graph, conv, 0))) return undefined
  return conv
}

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/** The convolution's explicit padding once `pad` is folded in, for its (padded) input shape. */
const resolvedPadding = (conv: Node, pad: ZeroPadding2DSpec, paddedShape: ReadonlyArray<number>): ExtraPadding => {
  const spec = conv.spec as Conv2DSpec
  const channelsFirst = spec.dataFormat === 'channels_first'
  const rows = paddedShape[channelsFirst ? 1 : 0] as number
  const cols = paddedShape[channelsFirst ? 2 : 1] as number
  const h = axisPadding(rows, spec.kernelSize[0], spec.strides[0], spec.dilationRate[0], spec.padding)
  const w = axisPadding(cols, spec.kernelSize[1], spec.strides[1], spec.dilationRate[1], spec.padding)
  const old = conv.extraPadding ?? { top: 0, bottom: 0, left: 0, right: 0 }
  return {
    top: old.top + pad.padding[0][0] + h.before,
    bottom: old.bottom + pad.padding[0][1] + h.after,
    left: old.left + pad.padding[1][0] + w.before,
    right: old.right + pad.padding[1][1] + w.after
  }
}

/**
 * The pass.
 * @category passes
 */
export const foldPadding: Pass = {
  name: 'fold-padding',
  description: 'folds a ZeroPadding2D (or ZeroPadding1D) into the Conv2D or DepthwiseConv2D (or the Conv1D, DepthwiseConv1D, separable layer lowered as one) reading it (explicit padding; `same` resolved first), never into pooling',
  run: (graph: Graph) =>
    toFixedPoint(graph, (scan, pad) => {
      const conv = paddingTarget(scan, pad)
      if (conv === undefined) return undefined
      const padSpec = pad.spec as ZeroPadding2DSpec
      const extra = resolvedPadding(conv, padSpec, outputShapeOf(scan.graph, pad))
      const before = (conv.spec as Conv2DSpec).padding
      const unpadded = inputShapeOf(scan.graph, pad, 0)
      const g = updateNode(replaceValue(scan.graph, pad.output, pad.inputs[0] as number, new Set([pad.id])), conv.id, (c) => ({
        ...c,
        spec: withSpec(c.spec, { padding: 'valid' }),
        extraPadding: extra,
        // the convolution now reads the padding's input, in the padding's view of it
        ...(c.view === undefined ? {} : { view: { ...c.view, inputs: [unpadded] } }),
        notes: [...c.notes, `fold-padding(${pad.name})`]
      }))
      const p = padSpec.padding
      return {
        graph: g,
        rewrite: {
          pass: 'fold-padding',
          node: conv.name,
          detail: `${classOf(pad)} ${pad.name} ((${p[0][0]}, ${p[0][1]}), (${p[1][0]}, ${p[1][1]})) folded into ${classOf(conv)} ${conv.name} (${before}): explicit padding top ${extra.top}, bottom ${extra.bottom}, left ${extra.left}, right ${extra.right}`
        }
      }
    })
}
