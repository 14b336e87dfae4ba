/**
 * `softmax` nodes (the Softmax layer) over one axis, in plain TypeScript: for each run along the axis,
 * its maximum, `Σ e^(x − max)` in float64, then `e^(x − max) / Σ` (the exponentials recomputed rather
 * than kept, the same values), the layer's formula in its order, so the result is the reference's bit
 * for bit. A Softmax over several axes (`exp(x − logsumexp)`) is left to the reference kernel.
 */
import type { SoftmaxSpec } from '../../../layers/elementwise/activations.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { lastAxisOf, makeEpilogue, product, sameShape, shapeOf, sizeOf, withEpilogue } from './common.js'

/**
 * The family of `softmax` nodes over one axis other than the batch axis: `ts-softmax`.
 * @category kernels
 */
export const tsSoftmax = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'softmax' || node.spec.className !== 'Softmax' || node.inputs.length !== 1) return undefined
  const spec = node.spec as SoftmaxSpec
  const shape = shapeOf(graph, node.inputs[0] as number)
  if (!sameShape(shape, shapeOf(graph, node.output)) || spec.axis.length !== 1) return undefined
  const rank = shape.length + 1
  const given = spec.axis[0] as number
  const axis = given < 0 ? given + rank : given
  // axis 0 (the batch axis) normalizes across samples: the reference kernel's
  if (!Number.isSafeInteger(axis) || axis < 1 || axis >= rank) return undefined
  const len = shape[axis - 1] as number
  const inner = product(shape, axis)
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(shape))
  return withEpilogue('ts-softmax', true, epilogue, size, (view, batch, io) => {
    const x = io.inputs[0] as number
    const out = io.output
    const outer = (batch * size) / (len * inner)
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i
        let max = -Infinity
        for (let j = 0; j < len; j++) {
          const v = view[x + base + j * inner] as number
          if (v > max) max = v
        }
        let sum = 0
        for (let j = 0; j < len; j++) sum += Math.exp((view[x + base + j * inner] as number) - max)
        for (let j = 0; j < len; j++) {
          const at = base + j * inner
          view[out + at] = Math.exp((view[x + at] as number) - max) / sum
        }
      }
    }
  })
}
