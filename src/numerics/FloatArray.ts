/**
 * `FloatArray`: the flat, row-major storage of every tensor layerspec computes with (weights, inputs,
 * outputs), in one of the two float dtypes Keras layers run in.
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A flat row-major buffer of float values: `Float32Array` for `float32`, `Float64Array` for `float64`.
 * The shape travels beside it; element `[i0, …, ik]` of shape `[d0, …, dk]` sits at
 * `((i0·d1 + i1)·d2 + …)·dk + ik`.
 * @category model
 */
export type FloatArray = Float32Array | Float64Array

/**
 * The dtype of a {@link FloatArray}.
 * @category model
 */
export type FloatDType = 'float32' | 'float64'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A new zero-filled buffer of `length` values of `dtype` (`Float32Array` or `Float64Array`).
 * Throws a `RangeError` when `length` is not a non-negative safe integer.
 * @category constructors
 */
export const allocate = (dtype: FloatDType, length: number): FloatArray => {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`allocate: expected a non-negative integer length, got ${String(length)}`)
  }
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length)
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The dtype of a buffer (`Float32Array` → `float32`, `Float64Array` → `float64`).
 * @category utils
 */
export const dtypeOf = (data: FloatArray): FloatDType => (data instanceof Float32Array ? 'float32' : 'float64')
