/**
 * Regularization penalties (reference §6, §11.3): `l1·Σ|w| + l2·Σw²` over a weight, and the activity
 * penalty over a layer's output divided by the batch size. Sums are accumulated in float64 whatever
 * the buffer's dtype.
 */
import type { Regularizer } from '../codec/Regularizer.js'
import type { FloatArray } from './FloatArray.js'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * `l1·Σ|w| + l2·Σw²` over every value of `data` (any shape, any layout), accumulated in float64.
 * A factor of exactly 0 contributes exactly 0 (its sum is not computed), so a zero factor never turns an
 * infinite weight into NaN; `{ l1: 0, l2: 0 }` is always 0.
 * @category utils
 */
export const penalty = (r: Regularizer, data: FloatArray): number => {
  let total = 0
  if (r.l1 !== 0) {
    let s = 0
    for (let i = 0; i < data.length; i++) s += Math.abs(data[i] as number)
    total += r.l1 * s
  }
  if (r.l2 !== 0) {
    let s = 0
    for (let i = 0; i < data.length; i++) {
      const w = data[i] as number
      s += w * w
    }
    total += r.l2 * s
  }
  return total
}

/**
 * The activity penalty of a layer output (reference §6, §11.3; TF 2.x and Keras ≥ 3.14): the
 * {@link penalty} of the whole `output` (every sample, after the activation; layout irrelevant)
 * divided by `batch`, the size of its leading axis. A batch of 0 gives 0 (Keras's `divide_no_nan`).
 * Throws a `RangeError` when `batch` is not a non-negative integer or does not divide `output.length`.
 * @category utils
 */
export const activityPenalty = (r: Regularizer, output: FloatArray, batch: number): number => {
  if (!Number.isSafeInteger(batch) || batch < 0) {
    throw new RangeError(`activityPenalty: expected a non-negative integer batch size, got ${String(batch)}`)
  }
  if (batch === 0) {
    if (output.length !== 0) {
      throw new RangeError(`activityPenalty: a batch of 0 has no values, got ${output.length}`)
    }
    return 0
  }
  if (output.length % batch !== 0) {
    throw new RangeError(`activityPenalty: ${output.length} output values do not split into a batch of ${batch}`)
  }
  return penalty(r, output) / batch
}
