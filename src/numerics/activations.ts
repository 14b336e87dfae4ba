/**
 * Activation functions (reference §4.2) with Keras's exact formulas and constants, evaluated in float64:
 * scalar functions for the elementwise ones, and an in-place pass over a row-major output buffer
 * whose last axis carries `softmax`, `log_softmax` and `sparsemax`. Also the error function used by the
 * exact `gelu`.
 */
import type { Activation } from '../codec/Activation.js'
import type { Dialect } from '../codec/Dialect.js'
import type { FloatArray } from './FloatArray.js'

// Indexing note: every loop below indexes typed arrays strictly inside [0, length), which
// `noUncheckedIndexedAccess` cannot see; reads are therefore written `data[i] as number`.

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * SELU's α (Klambauer et al.), as Keras writes it.
 * @category model
 */
export const SELU_ALPHA = 1.6732632423543772848170429916717

/**
 * SELU's scale (Klambauer et al.), as Keras writes it.
 * @category model
 */
export const SELU_SCALE = 1.0507009873554804934193349852946

/** 2/√π. */
const TWO_OVER_SQRT_PI = 1.1283791670955126

// -------------------------------------------------------------------------------------
// error function
// -------------------------------------------------------------------------------------

/**
 * erf(x) for 0 ≤ x < 2.5 from the everywhere-positive series
 * erf(x) = (2/√π)·e^(−x²)·Σ_{n≥0} 2ⁿ·x^(2n+1) / (1·3·5···(2n+1)) (Abramowitz & Stegun 7.1.6),
 * which has no cancellation: every term is positive (≤ 40 terms on this range).
 */
const erfSeries = (x: number): number => {
  const x2 = x * x
  let term = x
  let sum = x
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1)
    sum += term
    if (term <= sum * 1e-17) break
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum
}

/**
 * erfc(x) for x ≥ 1 from Laplace's continued fraction in its even (contracted) form
 * erfc(x) = (2x·e^(−x²)/√π) / (2x² + 1 − 1·2 / (2x² + 5 − 3·4 / (2x² + 9 − …))),
 * evaluated backwards from a depth that reaches double precision (≈ 100/x² + 4 levels suffice; the
 * depth used has a margin).
 */
const erfcContinuedFraction = (x: number): number => {
  if (x === Infinity) return 0 // the formula gives ∞·0; every finite x > 27.3 gives 0 anyway (e^(−x²) underflows)
  const t = 2 * x * x
  const depth = Math.ceil(120 / (x * x) + 6)
  let f = 0
  for (let k = depth; k >= 1; k--) f = ((2 * k - 1) * (2 * k)) / (t + 4 * k + 1 - f)
  return (x * TWO_OVER_SQRT_PI * Math.exp(-x * x)) / (t + 1 - f)
}

/**
 * The error function erf(x) = (2/√π)·∫₀ˣ e^(−t²) dt in float64, to about 1e-15 relative: a positive series
 * for |x| < 2.5, 1 − erfc(|x|) by continued fraction beyond; odd (`erf(−x) = −erf(x)`), erf(±∞) = ±1.
 * @category utils
 */
export const erf = (x: number): number => {
  const ax = Math.abs(x)
  if (!(ax < 2.5)) {
    if (ax !== ax) return x // NaN
    const v = 1 - erfcContinuedFraction(ax)
    return x < 0 ? -v : v
  }
  const v = erfSeries(ax)
  return x < 0 ? -v : v
}

/**
 * The complementary error function erfc(x) = 1 − erf(x) in float64, accurate in relative terms also
 * where erf(x) is close to 1 (x ≫ 1): 1 − erf(x) for x < 1, a continued fraction for x ≥ 1, and
 * 1 + erf(|x|) for x < 0.
 * @category utils
 */
export const erfc = (x: number): number => {
  if (x < 0) return 1 + erf(-x)
  if (x < 1) return 1 - erfSeries(x)
  if (x >= 1) return erfcContinuedFraction(x)
  return x // NaN
}

// -------------------------------------------------------------------------------------
// elementwise functions
// -------------------------------------------------------------------------------------

const relu = (x: number): number => (x < 0 ? 0 : x)
const relu6 = (x: number): number => (x < 0 ? 0 : x > 6 ? 6 : x)
const leakyRelu = (x: number): number => (x >= 0 ? x : 0.2 * x)
const elu = (x: number): number => (x > 0 ? x : Math.expm1(x))
const selu = (x: number): number => (x > 0 ? SELU_SCALE * x : SELU_SCALE * (SELU_ALPHA * Math.expm1(x)))

/**
 * 1 / (1 + e^(−x)), evaluated so that e^(…) never overflows: exactly 0 / 1 far out, never NaN.
 * @category utils
 */
export const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

const hardSigmoidKeras2 = (x: number): number => {
  const y = 0.2 * x + 0.5
  return y < 0 ? 0 : y > 1 ? 1 : y
}
const hardSigmoidKeras3 = (x: number): number => {
  const y = x / 6 + 0.5
  return y < 0 ? 0 : y > 1 ? 1 : y
}
const hardSilu = (x: number): number => x * hardSigmoidKeras3(x)

/**
 * log(1 + e^x) = logaddexp(x, 0) = max(x, 0) + log1p(e^(−|x|)): no overflow, exact tails.
 * @category utils
 */
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))

const softsign = (x: number): number => x / (1 + Math.abs(x))
const silu = (x: number): number => x * sigmoid(x)
const mish = (x: number): number => x * Math.tanh(softplus(x))

/** Exact GELU 0.5·x·(1 + erf(x/√2)), written 0.5·x·erfc(−x/√2) (same value, no cancellation for x ≪ 0). */
const gelu = (x: number): number => 0.5 * x * erfc(-x * Math.SQRT1_2)

const celu = (x: number): number => Math.max(x, 0) + Math.expm1(Math.min(x, 0))

/** (x + √(x² + 4)) / 2, rearranged to 2 / (√(x² + 4) − x) for x < 0 (no cancellation); hypot avoids overflow. */
const squareplus = (x: number): number => {
  const r = Math.hypot(x, 2)
  return x >= 0 ? 0.5 * x + 0.5 * r : 2 / (r - x)
}

const softShrink = (x: number): number => (x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : x !== x ? x : 0)
const hardShrink = (x: number): number => (Math.abs(x) > 0.5 ? x : x !== x ? x : 0)
const tanhShrink = (x: number): number => x - Math.tanh(x)
const hardTanh = (x: number): number => (x < -1 ? -1 : x > 1 ? 1 : x)

const sparsePlus = (x: number): number => {
  if (x <= -1) return 0
  if (x >= 1) return x
  const y = x + 1
  return (y * y) / 4
}
const sparseSigmoid = (x: number): number => (x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2)
const logSigmoid = (x: number): number => -softplus(-x)
const linear = (x: number): number => x

/**
 * The scalar function of an elementwise activation (reference §4.2, Keras's formulas and default
 * constants), in float64, or `undefined` for the row-wise ones (`softmax`, `log_softmax`, `sparsemax`).
 * `hard_sigmoid` depends on the dialect: `keras2` clip(0.2·x + 0.5, 0, 1), `keras3` clip(x/6 + 0.5, 0, 1).
 * `sigmoid`, `softplus`, `log_sigmoid`, `silu` and `mish` are stable for any |x| (no NaN at ±1000).
 * @category utils
 */
export const elementwiseActivation = (a: Activation, dialect: Dialect): ((x: number) => number) | undefined => {
  switch (a) {
    case 'linear':
      return linear
    case 'relu':
      return relu
    case 'relu6':
      return relu6
    case 'leaky_relu':
      return leakyRelu
    case 'elu':
      return elu
    case 'selu':
      return selu
    case 'sigmoid':
      return sigmoid
    case 'hard_sigmoid':
      return dialect === 'keras2' ? hardSigmoidKeras2 : hardSigmoidKeras3
    case 'hard_silu':
      return hardSilu
    case 'tanh':
      return Math.tanh
    case 'softplus':
      return softplus
    case 'softsign':
      return softsign
    case 'exponential':
      return Math.exp
    case 'silu':
      return silu
    case 'mish':
      return mish
    case 'gelu':
      return gelu
    case 'celu':
      return celu
    case 'squareplus':
      return squareplus
    case 'soft_shrink':
      return softShrink
    case 'hard_shrink':
      return hardShrink
    case 'tanh_shrink':
      return tanhShrink
    case 'hard_tanh':
      return hardTanh
    case 'sparse_plus':
      return sparsePlus
    case 'sparse_sigmoid':
      return sparseSigmoid
    case 'log_sigmoid':
      return logSigmoid
    case 'softmax':
    case 'log_softmax':
    case 'sparsemax':
      return undefined
  }
}

// -------------------------------------------------------------------------------------
// row-wise functions (along the last axis)
// -------------------------------------------------------------------------------------

/** Copies row `[start, start + n)` of `data` into `row` (float64) and returns the row's maximum. */
const loadRow = (data: FloatArray, start: number, n: number, row: Float64Array): number => {
  let max = -Infinity
  for (let j = 0; j < n; j++) {
    const v = data[start + j] as number
    row[j] = v
    if (v > max) max = v
  }
  return max
}

/** softmax: e^(x − max) / Σ e^(x − max) per row. */
const softmaxRows = (data: FloatArray, n: number): void => {
  const row = new Float64Array(n)
  for (let start = 0; start < data.length; start += n) {
    const max = loadRow(data, start, n, row)
    let sum = 0
    for (let j = 0; j < n; j++) {
      const e = Math.exp((row[j] as number) - max)
      row[j] = e
      sum += e
    }
    for (let j = 0; j < n; j++) data[start + j] = (row[j] as number) / sum
  }
}

/** log_softmax: x − max − log Σ e^(x − max) per row. */
const logSoftmaxRows = (data: FloatArray, n: number): void => {
  const row = new Float64Array(n)
  for (let start = 0; start < data.length; start += n) {
    const max = loadRow(data, start, n, row)
    let sum = 0
    for (let j = 0; j < n; j++) sum += Math.exp((row[j] as number) - max)
    const logSum = Math.log(sum)
    for (let j = 0; j < n; j++) data[start + j] = (row[j] as number) - max - logSum
  }
}

/**
 * sparsemax exactly as Keras 3.15 computes it (`keras.activations.sparsemax`, the same formula in every
 * backend), which is **not** the Euclidean projection onto the simplex of Martins & Astudillo: with z
 * sorted in decreasing order, cᵣ = Σ_{j≤r} z₍ⱼ₎ and the support S = {r : z₍ᵣ₎ − (cᵣ − 1)/r > 0},
 * k = |S|, Keras takes τ = (Σ_{r∈S} cᵣ − 1)/k — the sum of the cumulative sums over the support, where
 * the paper has c_k alone — and returns max(x − τ, 0). The two agree when k = 1 (a dominant value);
 * otherwise the rows need not sum to 1 (`[4, 4, 4, 4]` → zeros), and the result is not shift-invariant,
 * so no max is subtracted. Computed in the buffer's precision (every step rounded to float32 for a
 * `Float32Array`, as Keras computes in the layer's float32), in Keras's TensorFlow order: a NaN sorts
 * first, leaves the support empty (k = 0, τ = −∞), and the row becomes NaN where x is NaN, +∞ elsewhere.
 */
const sparsemaxRows = (data: FloatArray, n: number): void => {
  const f = data instanceof Float32Array ? Math.fround : (x: number): number => x
  const row = new Float64Array(n)
  const sorted = new Float64Array(n)
  for (let start = 0; start < data.length; start += n) {
    for (let j = 0; j < n; j++) row[j] = data[start + j] as number
    sorted.set(row)
    sorted.sort() // ascending, NaN last: read from the end, NaN first as in TensorFlow's descending sort
    let k = 0
    let cumsum = 0
    let supportSum = 0
    let nan = false
    for (let r = 1; r <= n; r++) {
      const z = sorted[n - r] as number
      if (z !== z) nan = true
      cumsum = f(cumsum + z)
      if (!nan && f(z - f(f(cumsum - 1) / r)) > 0) {
        k++
        supportSum = f(supportSum + cumsum)
      }
    }
    const tau = f(f(supportSum - 1) / k)
    for (let j = 0; j < n; j++) {
      const v = f((row[j] as number) - tau)
      data[start + j] = v > 0 ? v : v === v ? 0 : v
    }
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Applies activation `a` IN PLACE to `data`, a row-major buffer (e.g. an NHWC conv output) whose last
 * axis has length `lastAxis`. Elementwise activations map every value; `softmax`, `log_softmax` and
 * `sparsemax` act on each run of `lastAxis` consecutive values (max-subtracted, in float64 per row).
 * `linear` is a no-op. Throws a `RangeError` when `lastAxis` is not a non-negative integer dividing
 * `data.length` (0 only for an empty buffer).
 * @category utils
 */
export const applyActivation = (a: Activation, dialect: Dialect, data: FloatArray, lastAxis: number): void => {
  const len = data.length
  if (!Number.isSafeInteger(lastAxis) || lastAxis < 0 || (lastAxis === 0 ? len !== 0 : len % lastAxis !== 0)) {
    throw new RangeError(`applyActivation: a last axis of length ${String(lastAxis)} does not divide ${len} values into rows`)
  }
  switch (a) {
    case 'linear':
      return
    case 'relu':
      for (let i = 0; i < len; i++) {
        if ((data[i] as number) < 0) data[i] = 0
      }
      return
    case 'relu6':
      for (let i = 0; i < len; i++) {
        const x = data[i] as number
        if (x < 0) data[i] = 0
        else if (x > 6) data[i] = 6
      }
      return
    case 'sigmoid':
      for (let i = 0; i < len; i++) {
        const x = data[i] as number
        if (x >= 0) data[i] = 1 / (1 + Math.exp(-x))
        else {
          const e = Math.exp(x)
          data[i] = e / (1 + e)
        }
      }
      return
    case 'tanh':
      for (let i = 0; i < len; i++) data[i] = Math.tanh(data[i] as number)
      return
    case 'elu':
      for (let i = 0; i < len; i++) {
        const x = data[i] as number
        if (!(x > 0)) data[i] = Math.expm1(x)
      }
      return
    case 'softmax':
      if (lastAxis > 0) softmaxRows(data, lastAxis)
      return
    case 'log_softmax':
      if (lastAxis > 0) logSoftmaxRows(data, lastAxis)
      return
    case 'sparsemax':
      if (lastAxis > 0) sparsemaxRows(data, lastAxis)
      return
    default: {
      const f = elementwiseActivation(a, dialect)
      if (f === undefined) throw new RangeError(`applyActivation: no elementwise function for ${a}`)
      for (let i = 0; i < len; i++) data[i] = f(data[i] as number)
    }
  }
}
