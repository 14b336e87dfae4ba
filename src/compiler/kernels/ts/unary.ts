/**
 * `unary` nodes in plain TypeScript: Activation (elementwise activations), ReLU and LeakyReLU. A float32
 * ReLU / ReLU6 maps the input's bits into the output in one pass; other functions copy the input into
 * the output (`copyWithin`, skipped in place) and run in place there; then the node's epilogue. Each is
 * the layer's own formula with its arguments rounded to the dtype as the layer rounds them, so the
 * result is the reference's bit for bit.
 */
import type { ActivationSpec, LeakyReLUSpec, ReLUSpec } from '../../../layers/elementwise/activations.js'
import type { FloatDType } from '../../../numerics/FloatArray.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { isElementwise, unaryOfActivation, unaryOfRelu, type Unary } from '../../Unary.js'
import { lastAxisOf, makeEpilogue, sameShape, shapeOf, sizeOf, unaryCopy, unaryInPlace, withEpilogue } from './common.js'

const inDtype = (x: number, dtype: FloatDType): number => (dtype === 'float32' ? Math.fround(x) : x)

/**
 * The function of a unary layer (`null` for the identity: Activation `linear`), or `undefined` when it
 * is not one this family runs (a row-wise activation: Activation softmax is a `layer` node).
 * @category kernels
 */
export const unaryOfLayer = (node: Node, dtype: FloatDType): Unary | null | undefined => {
  const spec = node.spec
  switch (spec.className) {
    case 'Activation': {
      const s = spec as ActivationSpec
      const fn = unaryOfActivation(s.activation, s.dialect)
      if (fn === undefined) return null
      return isElementwise(fn) ? fn : undefined
    }
    case 'ReLU': {
      const s = spec as ReLUSpec
      return unaryOfRelu(inDtype(s.negativeSlope, dtype), s.maxValue === null ? null : inDtype(s.maxValue, dtype), inDtype(s.threshold, dtype))
    }
    case 'LeakyReLU':
      return { kind: 'leaky', slope: inDtype((spec as LeakyReLUSpec).negativeSlope, dtype) }
    default:
      return undefined
  }
}

/**
 * The family of `unary` nodes: `ts-unary` (in place when the plan allows).
 * @category kernels
 */
export const tsUnary = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'unary' || node.inputs.length !== 1) return undefined
  const input = node.inputs[0] as number
  const shape = shapeOf(graph, node.output)
  if (!sameShape(shapeOf(graph, input), shape)) return undefined
  const fn = unaryOfLayer(node, graph.dtype)
  if (fn === undefined) return undefined
  const size = sizeOf(graph, node.output)
  const lastAxis = lastAxisOf(shape)
  const own = fn === null ? undefined : unaryCopy(fn, lastAxis)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxis)
  return withEpilogue('ts-unary', true, epilogue, size, (view, batch, io) => {
    const from = io.inputs[0] as number
    const n = batch * size
    if (own !== undefined) own(view, from, io.output, n)
    else if (from !== io.output) view.copyWithin(io.output, from, from + n)
  })
}

/**
 * The family of row-wise Activation layers — `softmax`, `log_softmax`, `sparsemax` along the last
 * axis, which lower to `layer` nodes (they cannot be fused into a producer's store) —
 * `ts-row-activation`: the input copied into the output in the arena (skipped in place), the
 * activation run there in place along rows of the last axis, then the epilogue. The same formula as
 * the layer's (`applyActivation`: the maximum, the exponentials' sum in float64, each exponential
 * divided by it), bit for bit, without the reference kernel's fresh arrays and copies. A per-sample
 * value of rank 0 (Keras 3 then normalizes across the batch) is left to the reference kernel.
 * @category kernels
 */
export const tsRowActivation = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'layer' || node.spec.className !== 'Activation' || node.inputs.length !== 1) return undefined
  const s = node.spec as ActivationSpec
  const fn = unaryOfActivation(s.activation, s.dialect)
  if (fn === undefined || isElementwise(fn)) return undefined
  const shape = shapeOf(graph, node.output)
  if (shape.length === 0 || !sameShape(shapeOf(graph, node.inputs[0] as number), shape)) return undefined
  const size = sizeOf(graph, node.output)
  const lastAxis = lastAxisOf(shape)
  const own = unaryInPlace(fn, lastAxis)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxis)
  return withEpilogue('ts-row-activation', true, epilogue, size, (view, batch, io) => {
    const from = io.inputs[0] as number
    const n = batch * size
    if (from !== io.output) view.copyWithin(io.output, from, from + n)
    own(view, io.output, n)
  })
}
