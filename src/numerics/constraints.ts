/**
 * Weight constraints as projections (reference §7, §11.11): `max_norm`, `non_neg`, `unit_norm`,
 * `min_max_norm`. Norms are L2 norms over the constraint's `axis` list with the reduced dimensions kept
 * (one norm per combination of the other axes), computed in float64, with Keras's ε = 1e-7.
 */
import type { Constraint } from '../codec/Constraint.js'
import type { FloatArray } from './FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Keras's backend epsilon, used in every norm constraint's denominator.
 * @category model
 */
export const EPSILON = 1e-7

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`

/** The axis list of a constraint; `undefined` for `non_neg`, which works elementwise. */
const axesOf = (c: Constraint): readonly number[] | undefined => (c.kind === 'non_neg' ? undefined : c.axis)

/**
 * For each value of a row-major `shape`, the index of its norm group: the row-major position of its
 * coordinates with every reduced axis dropped (so the groups are the cells of the keepdims norm tensor).
 * Returns the group of every value and the number of groups.
 */
const groupsOf = (shape: readonly number[], reduced: ReadonlySet<number>): { readonly group: Uint32Array; readonly count: number } => {
  const rank = shape.length
  const gstride = new Array<number>(rank).fill(0)
  let count = 1
  for (let d = rank - 1; d >= 0; d--) {
    if (!reduced.has(d)) {
      gstride[d] = count
      count *= shape[d] as number
    }
  }
  const n = shape.reduce((a, b) => a * b, 1)
  const group = new Uint32Array(n)
  const coord = new Array<number>(rank).fill(0)
  let g = 0
  for (let i = 0; i < n; i++) {
    group[i] = g
    // odometer step over the row-major coordinates, updating g incrementally
    for (let d = rank - 1; d >= 0; d--) {
      const c = (coord[d] as number) + 1
      if (c < (shape[d] as number)) {
        coord[d] = c
        g += gstride[d] as number
        break
      }
      coord[d] = 0
      g -= (c - 1) * (gstride[d] as number)
    }
  }
  return { group, count }
}

/** A new buffer of the same type and length as `data`. */
const like = (data: FloatArray): FloatArray =>
  data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Why constraint `c` cannot apply to a weight of `shape`, as a sentence, or `undefined` when it can
 * (Keras/TF would fail on these): an axis outside [−rank, rank − 1] (negative axes count from the end,
 * −1 being the last), or two axes naming the same dimension (such as −1 and 3 at rank 4).
 * @category utils
 */
export const constraintProblem = (c: Constraint, shape: readonly number[]): string | undefined => {
  const axes = axesOf(c)
  if (axes === undefined) return undefined
  const rank = shape.length
  const seen = new Map<number, number>()
  for (const a of axes) {
    if (!Number.isSafeInteger(a) || a < -rank || a >= rank) {
      return rank === 0
        ? `${c.kind} axis ${String(a)} is out of range for a scalar weight (rank 0, shape []), which has no axes`
        : `${c.kind} axis ${String(a)} is out of range for a weight of rank ${rank} (shape ${showShape(shape)}); expected an axis in [${-rank}, ${rank - 1}]`
    }
    const d = a < 0 ? a + rank : a
    const other = seen.get(d)
    if (other !== undefined) {
      return `${c.kind} axes ${other} and ${a} both name dimension ${d} of a weight of rank ${rank} (shape ${showShape(shape)})`
    }
    seen.set(d, a)
  }
  return undefined
}

/**
 * The projection of constraint `c` applied to a weight `data` of `shape` (row-major; HWIO for a conv
 * kernel), as a NEW buffer of the same type (`data` is never written). With `n` the L2 norm of `w` over
 * `axis` (keepdims) and ε = 1e-7, computed in float64 (reference §7):
 * - `max_norm`: `w · clip(n, 0, maxValue) / (ε + n)`;
 * - `non_neg`: `max(w, 0)` (Keras 3's form);
 * - `unit_norm`: `w / (ε + n)`;
 * - `min_max_norm`: `w · (rate·clip(n, minValue, maxValue) + (1 − rate)·n) / (ε + n)`.
 * For an HWIO kernel, `axis: [0, 1, 2]` constrains each output filter; Keras's default `[0]` works along
 * the kernel rows. Throws a `RangeError` when `data.length` is not `product(shape)` or
 * {@link constraintProblem} reports a problem.
 * @category utils
 */
export const applyConstraint = (c: Constraint, data: FloatArray, shape: readonly number[]): FloatArray => {
  const n = shape.reduce((a, b) => a * b, 1)
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || data.length !== n) {
    throw new RangeError(`applyConstraint: expected ${n} values for shape ${showShape(shape)}, got ${data.length}`)
  }
  const problem = constraintProblem(c, shape)
  if (problem !== undefined) throw new RangeError(`applyConstraint: ${problem}`)
  const out = like(data)
  if (c.kind === 'non_neg') {
    for (let i = 0; i < n; i++) {
      const w = data[i] as number
      out[i] = w > 0 ? w : w === w ? 0 : w // max(w, 0): −0 → 0, NaN stays NaN
    }
    return out
  }
  const rank = shape.length
  const reduced = new Set(c.axis.map((a) => (a < 0 ? a + rank : a)))
  const { group, count } = groupsOf(shape, reduced)
  const factor = new Float64Array(count) // Σw² per group, then the scale factor
  for (let i = 0; i < n; i++) {
    const w = data[i] as number
    const g = group[i] as number
    factor[g] = (factor[g] as number) + w * w
  }
  if (c.kind === 'unit_norm') {
    // Keras divides: w / (ε + n)
    for (let g = 0; g < count; g++) factor[g] = EPSILON + Math.sqrt(factor[g] as number)
    for (let i = 0; i < n; i++) out[i] = (data[i] as number) / (factor[group[i] as number] as number)
    return out
  }
  for (let g = 0; g < count; g++) {
    const norm = Math.sqrt(factor[g] as number)
    const desired =
      c.kind === 'max_norm'
        ? Math.min(Math.max(norm, 0), c.maxValue)
        : c.rate * Math.min(Math.max(norm, c.minValue), c.maxValue) + (1 - c.rate) * norm
    factor[g] = desired / (EPSILON + norm) // Keras: w · (desired / (ε + n))
  }
  for (let i = 0; i < n; i++) out[i] = (data[i] as number) * (factor[group[i] as number] as number)
  return out
}
