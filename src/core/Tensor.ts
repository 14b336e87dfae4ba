/**
 * `Tensor`: what layerspec computes on — any `{ shape, data }` with a row-major `Float32Array` or
 * `Float64Array` (plain objects work; no class). layerspec never writes into a tensor it was given.
 */
import { describe, isPlainObject, quote } from './describe.js'
import { isPositiveInt } from './PositiveInt.js'
import { specError, type SpecError } from './SpecError.js'
import type { FloatArray, FloatDType } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A dense row-major tensor: `data.length === product(shape)`.
 * @category model
 */
export interface Tensor {
  readonly shape: ReadonlyArray<number>
  readonly data: FloatArray
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The product of a shape's dimensions (1 for rank 0).
 * @category utils
 */
export const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * The typed-array class name for a dtype.
 * @category utils
 */
export const arrayName = (dtype: FloatDType): string => (dtype === 'float32' ? 'Float32Array' : 'Float64Array')

/**
 * The dtype of a typed array, if it is one layerspec computes with.
 * @category utils
 */
export const dtypeOf = (data: unknown): FloatDType | undefined =>
  data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : undefined

const showShape = (shape: ReadonlyArray<number | null>): string => `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`

/**
 * Whether `u` is a tensor of `dtype` whose shape matches `expected` (`null` = any positive integer):
 * exactly when {@link tensorProblems} finds none, but allocating nothing — the check a model's
 * `forward` makes of every weight tensor on every call (DenseNet121: 606 of them), with the
 * messages built only when it fails.
 * @category utils
 */
export const tensorFits = (u: unknown, expected: ReadonlyArray<number | null>, dtype: FloatDType): boolean => {
  if (!isPlainObject(u)) return false
  const t = u as { readonly shape?: unknown; readonly data?: unknown }
  const shape = t.shape
  if (!Array.isArray(shape) || shape.length !== expected.length || dtypeOf(t.data) !== dtype) return false
  let n = 1
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i]
    const want = expected[i]
    if (!isPositiveInt(d) || (want !== null && want !== undefined && d !== want)) return false
    n *= d
  }
  return (t.data as FloatArray).length === n
}

/**
 * Checks that `u` is a tensor of `dtype` whose shape matches `expected` (`null` = any positive
 * integer, e.g. the batch axis), reporting problems at `path` (`x.shape[2]`, `x.data`). Cheap: O(rank).
 * @category utils
 */
export const tensorProblems = (
  u: unknown,
  expected: ReadonlyArray<number | null>,
  dtype: FloatDType,
  path: string
): ReadonlyArray<SpecError> => {
  if (!isPlainObject(u)) {
    return [specError(path, `expected a tensor { shape, data } with shape ${showShape(expected)}, found ${describe(u)}`)]
  }
  const t = u as { readonly shape?: unknown; readonly data?: unknown }
  const shape = t.shape
  const data = t.data
  const errors: SpecError[] = []
  if (!Array.isArray(shape)) {
    errors.push(specError(`${path}.shape`, `expected a shape ${showShape(expected)} (an array of ${expected.length} dimensions), found ${describe(shape)}`))
  } else if (shape.length !== expected.length) {
    errors.push(
      specError(
        `${path}.shape`,
        `expected rank ${expected.length} ${showShape(expected)}, found rank ${shape.length} ${quote(shape)}`
      )
    )
  } else {
    shape.forEach((d: unknown, i) => {
      const want = expected[i]
      const ok = isPositiveInt(d) && (want === null || want === undefined || d === want)
      if (!ok) {
        errors.push(
          specError(
            `${path}.shape[${i}]`,
            `expected ${want === null || want === undefined ? 'a positive integer' : String(want)} (shape ${showShape(expected)}), found ${describe(d)}`
          )
        )
      }
    })
  }
  const actual = dtypeOf(data)
  if (actual !== dtype) {
    const found = ArrayBuffer.isView(data) ? data.constructor.name : describe(data)
    errors.push(specError(`${path}.data`, `expected a ${arrayName(dtype)} (the layer's dtype is ${dtype}), found ${found}`))
  } else if (errors.length === 0) {
    const n = sizeOf(shape as ReadonlyArray<number>)
    if ((data as FloatArray).length !== n) {
      errors.push(
        specError(`${path}.data`, `expected ${n} values for shape ${quote(shape)}, found ${(data as FloatArray).length}`)
      )
    }
  }
  return errors
}
