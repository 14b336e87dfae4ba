/**
 * `batchNorm` nodes (a BatchNormalization left standing: not after a convolution or Dense, or not
 * folded) in plain TypeScript: `y = x · a + b` per channel of its one normalized axis, with
 * `a = gamma / √(variance + ε)` and `b = beta − mean · a` computed in float64 once per params object
 * (cached on the node's evaluated weights) and kept in float64, exactly as the layer computes them on
 * every call, so the result is the reference's bit for bit. A BatchNormalization over several axes is
 * left to the reference kernel.
 */
import type { Tensor } from '../../../core/Tensor.js'
import { inferenceEpsilon, type BatchNormalizationSpec } from '../../../layers/elementwise/batchNormalization.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { lastAxisOf, makeEpilogue, product, shapeOf, sizeOf, withEpilogue } from './common.js'

interface Affine {
  readonly a: Float64Array
  readonly b: Float64Array
}

/**
 * The family of `batchNorm` nodes normalizing one axis: `ts-batchnorm` (in place when the plan allows).
 * @category kernels
 */
export const tsBatchNorm = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'batchNorm' || node.spec.className !== 'BatchNormalization' || node.inputs.length !== 1) return undefined
  const spec = node.spec as BatchNormalizationSpec
  const shape = shapeOf(graph, node.inputs[0] as number)
  const rank = shape.length + 1
  if (spec.axis.length !== 1) return undefined
  const given = spec.axis[0] as number
  const axis = given < 0 ? given + rank : given
  if (!Number.isSafeInteger(axis) || axis < 1 || axis >= rank) return undefined
  const epsilon = inferenceEpsilon(spec, shape)
  if (epsilon === undefined) return undefined
  const len = shape[axis - 1] as number
  const inner = product(shape, axis)
  const size = sizeOf(graph, node.output)
  const count = (spec.scale ? 1 : 0) + (spec.center ? 1 : 0) + 2
  if (node.weights.length < count || node.weights.slice(0, count).some((w) => w.kind !== 'param' || product(w.shape) !== len)) return undefined
  const cache = new WeakMap<ReadonlyArray<Tensor>, Affine>()
  const affineOf = (weights: ReadonlyArray<Tensor>): Affine => {
    const hit = cache.get(weights)
    if (hit !== undefined) return hit
    let w = 0
    const gamma = spec.scale ? (weights[w++] as Tensor).data : undefined
    const beta = spec.center ? (weights[w++] as Tensor).data : undefined
    const mean = (weights[w++] as Tensor).data
    const variance = (weights[w++] as Tensor).data
    const a = new Float64Array(len)
    const b = new Float64Array(len)
    for (let c = 0; c < len; c++) {
      const ac = (gamma === undefined ? 1 : (gamma[c] as number)) / Math.sqrt((variance[c] as number) + epsilon)
      a[c] = ac
      b[c] = (beta === undefined ? 0 : (beta[c] as number)) - (mean[c] as number) * ac
    }
    const affine = { a, b }
    cache.set(weights, affine)
    return affine
  }
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(shapeOf(graph, node.output)))
  return withEpilogue('ts-batchnorm', true, epilogue, size, (view, batch, io, weights) => {
    const { a, b } = affineOf(weights)
    const x = io.inputs[0] as number
    const out = io.output
    const blocks = (batch * size) / (len * inner)
    if (inner === 1) {
      for (let o = 0; o < blocks; o++) {
        const base = o * len
        for (let c = 0; c < len; c++) view[out + base + c] = (view[x + base + c] as number) * (a[c] as number) + (b[c] as number)
      }
      return
    }
    let i = 0
    for (let o = 0; o < blocks; o++) {
      for (let c = 0; c < len; c++) {
        const ac = a[c] as number
        const bc = b[c] as number
        for (let j = 0; j < inner; j++, i++) view[out + i] = (view[x + i] as number) * ac + bc
      }
    }
  })
}
