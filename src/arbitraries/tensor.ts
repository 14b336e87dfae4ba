/**
 * Tensors and shapes as arbitraries.
 */
import fc from 'fast-check'
import type { Tensor } from '../core/Tensor.js'
import type { FloatDType } from '../numerics/FloatArray.js'

/**
 * How tensor values are drawn: `floats` in [-1, 1] (no NaN or infinity), or small `integers` in
 * [-3, 3] (sums of products of such values are exact in float32 and float64, for exact laws).
 */
export type TensorValues = 'floats' | 'integers'

/**
 * A shape of `rank` dimensions, each in [1, maxDim], smallest first.
 * @category building blocks
 */
export const arbShape = (rank: number, maxDim = 6): fc.Arbitrary<ReadonlyArray<number>> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: rank, maxLength: rank })

/**
 * A tensor of exactly `shape`, of `dtype`, with values drawn as `values` says. Shrinks towards zeros.
 * @category building blocks
 */
export const arbTensor = (shape: ReadonlyArray<number>, dtype: FloatDType = 'float32', values: TensorValues = 'floats'): fc.Arbitrary<Tensor> => {
  const n = shape.reduce((a, b) => a * b, 1)
  const frozenShape = Object.freeze([...shape])
  if (values === 'integers') {
    return fc
      .array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n })
      .map((xs) => ({ shape: frozenShape, data: dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs) }))
  }
  return dtype === 'float32'
    ? fc
        .float32Array({ minLength: n, maxLength: n, min: -1, max: 1, noNaN: true, noDefaultInfinity: true })
        .map((data) => ({ shape: frozenShape, data: data.map((v) => (v === 0 ? 0 : v)) }))
    : fc
        .float64Array({ minLength: n, maxLength: n, min: -1, max: 1, noNaN: true, noDefaultInfinity: true })
        .map((data) => ({ shape: frozenShape, data: data.map((v) => (v === 0 ? 0 : v)) }))
}
