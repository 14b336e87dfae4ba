/**
 * The kernels of operation nodes: pure loops over row-major typed arrays, one call per batch. Every
 * kernel reads its operands through per-sample shapes (the batch axis is always axis 0 and always
 * the first loop) and writes a fresh output buffer; none validates its arguments (the op kinds check
 * shapes once, at compile time) and none writes into its inputs.
 *
 * Arithmetic is done in float64 and stored into the model's typed array, so every single IEEE
 * operation (+, −, ×, ÷, √) rounds exactly as TensorFlow's float32 kernels do; composite operations
 * that TensorFlow computes as several float32 steps (`hard_sigmoid` = relu6(x + 3) / 6) round each
 * step with {@link Round}.
 */
import { erf } from '../numerics/activations.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import { sizeOf, stridesOf } from './broadcast.js'

// Indexing note: every loop below indexes typed arrays and index tables strictly inside
// [0, length), which `noUncheckedIndexedAccess` cannot see; reads are written `a[i] as number`.

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Rounding to the model's float type after each step of a composite operation: `Math.fround` for
 * float32, the identity for float64.
 * @category model
 */
export type Round = (x: number) => number

/** The identity {@link Round} (float64 models). */
export const noRound: Round = (x) => x

/**
 * An operand of an elementwise kernel: its values; the distance between two samples in them (the
 * per-sample size for a tensor, 0 for a constant shared by every sample); and its strides over the
 * result's per-sample axes (0 where it is broadcast).
 * @category model
 */
export interface Strided {
  readonly data: ArrayLike<number>
  readonly sampleSize: number
  readonly strides: ReadonlyArray<number>
}

// -------------------------------------------------------------------------------------
// elementwise
// -------------------------------------------------------------------------------------

/**
 * `out[i] = f(x[i])` over the whole buffer.
 * @category elementwise
 */
export const unary = (x: ArrayLike<number>, f: (v: number) => number, out: FloatArray): void => {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i] as number)
}

/** Whether an operand is read in plain row-major order over `shape` (no broadcast). */
const contiguous = (o: Strided, shape: ReadonlyArray<number>): boolean => {
  const s = stridesOf(shape)
  return o.strides.every((st, k) => st === s[k] || (shape[k] as number) === 1)
}

/**
 * `out = f(a, b)` elementwise over `batch` samples of per-sample shape `shape`, each operand
 * broadcast through its strides.
 * @category elementwise
 */
export const binary = (a: Strided, b: Strided, shape: ReadonlyArray<number>, batch: number, f: (x: number, y: number) => number, out: FloatArray): void => {
  const size = sizeOf(shape)
  const ad = a.data
  const bd = b.data
  // A number on either side (`x + 3.0`, `1 - x`): one value for every position.
  const scalar = (o: Strided): boolean => o.sampleSize === 0 && o.strides.every((st) => st === 0)
  if (scalar(b) && contiguous(a, shape) && a.sampleSize === size) {
    const c = bd[0] as number
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i] as number, c)
    return
  }
  if (scalar(a) && contiguous(b, shape) && b.sampleSize === size) {
    const c = ad[0] as number
    for (let i = 0; i < out.length; i++) out[i] = f(c, bd[i] as number)
    return
  }
  if (contiguous(a, shape) && contiguous(b, shape) && (a.sampleSize === size || a.sampleSize === 0) && (b.sampleSize === size || b.sampleSize === 0)) {
    const aAll = a.sampleSize === size
    const bAll = b.sampleSize === size
    if (aAll && bAll) {
      for (let i = 0; i < out.length; i++) out[i] = f(ad[i] as number, bd[i] as number)
      return
    }
    for (let n = 0; n < batch; n++) {
      const o = n * size
      const pa = aAll ? o : 0
      const pb = bAll ? o : 0
      for (let e = 0; e < size; e++) out[o + e] = f(ad[pa + e] as number, bd[pb + e] as number)
    }
    return
  }
  const rank = shape.length
  const last = rank - 1
  const inner = rank === 0 ? 1 : (shape[last] as number)
  const sa = rank === 0 ? 0 : (a.strides[last] as number)
  const sb = rank === 0 ? 0 : (b.strides[last] as number)
  const rows = size / Math.max(1, inner)
  const idx = new Array<number>(rank).fill(0)
  for (let n = 0; n < batch; n++) {
    let pa = n * a.sampleSize
    let pb = n * b.sampleSize
    let o = n * size
    idx.fill(0)
    for (let r = 0; r < rows; r++) {
      for (let e = 0, qa = pa, qb = pb; e < inner; e++, qa += sa, qb += sb) out[o + e] = f(ad[qa] as number, bd[qb] as number)
      o += inner
      // advance the odometer over every axis but the last
      for (let k = last - 1; k >= 0; k--) {
        idx[k] = (idx[k] as number) + 1
        pa += a.strides[k] as number
        pb += b.strides[k] as number
        if ((idx[k] as number) < (shape[k] as number)) break
        pa -= (a.strides[k] as number) * (shape[k] as number)
        pb -= (b.strides[k] as number) * (shape[k] as number)
        idx[k] = 0
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// reductions
// -------------------------------------------------------------------------------------

/**
 * A reduction of a per-sample shape over some of its axes, as two offset tables: `outer`, the offset
 * of each kept position (row-major over the kept axes, the reduced ones at 0), and `inner`, the offset
 * of each reduced position (row-major over the reduced axes). Element `outer[i] + inner[j]` is the
 * `j`-th value of the `i`-th result.
 * @category reductions
 */
export interface ReductionPlan {
  readonly outer: Int32Array
  readonly inner: Int32Array
}

/** Offsets of every position over the given axes of a shape with the given strides (row-major). */
const offsetsOver = (shape: ReadonlyArray<number>, strides: ReadonlyArray<number>, axes: ReadonlyArray<number>): Int32Array => {
  const dims = axes.map((a) => shape[a] as number)
  const st = axes.map((a) => strides[a] as number)
  const out = new Int32Array(sizeOf(dims))
  const idx = new Array<number>(dims.length).fill(0)
  let p = 0
  for (let e = 0; e < out.length; e++) {
    out[e] = p
    for (let k = dims.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1
      p += st[k] as number
      if ((idx[k] as number) < (dims[k] as number)) break
      p -= (st[k] as number) * (dims[k] as number)
      idx[k] = 0
    }
  }
  return out
}

/**
 * The {@link ReductionPlan} of a per-sample shape reduced over `axes` (distinct, in range).
 * @category reductions
 */
export const reductionPlan = (shape: ReadonlyArray<number>, axes: ReadonlyArray<number>): ReductionPlan => {
  const strides = stridesOf(shape)
  const reduced = [...axes].sort((a, b) => a - b)
  const kept = shape.map((_, a) => a).filter((a) => !reduced.includes(a))
  return { outer: offsetsOver(shape, strides, kept), inner: offsetsOver(shape, strides, reduced) }
}

/**
 * The reducers: `sum`, `mean`, `prod`, `max`, `min` (NaN propagates through `max` and `min`, as in
 * TensorFlow), `logsumexp`, and `var` / `std` (the population variance, NumPy's `ddof=0`).
 * @category reductions
 */
export type Reducer = 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'logsumexp' | 'var' | 'std'

/**
 * Reduces `batch` samples of `sampleSize` values each along a plan; `out` holds `plan.outer.length`
 * values per sample. Sums are accumulated in float64.
 * @category reductions
 */
export const reduce = (x: ArrayLike<number>, sampleSize: number, batch: number, plan: ReductionPlan, reducer: Reducer, out: FloatArray): void => {
  const { outer, inner } = plan
  const count = inner.length
  for (let n = 0; n < batch; n++) {
    const base = n * sampleSize
    for (let i = 0; i < outer.length; i++) {
      const p = base + (outer[i] as number)
      let v: number
      switch (reducer) {
        case 'sum':
        case 'mean': {
          let s = 0
          for (let j = 0; j < count; j++) s += x[p + (inner[j] as number)] as number
          v = reducer === 'mean' ? s / count : s
          break
        }
        case 'prod': {
          let s = 1
          for (let j = 0; j < count; j++) s *= x[p + (inner[j] as number)] as number
          v = s
          break
        }
        case 'max':
        case 'min': {
          let m = x[p + (inner[0] as number)] as number
          for (let j = 1; j < count && m === m; j++) {
            const y = x[p + (inner[j] as number)] as number
            if (y !== y || (reducer === 'max' ? y > m : y < m)) m = y
          }
          v = m
          break
        }
        case 'logsumexp': {
          let m = -Infinity
          for (let j = 0; j < count; j++) m = Math.max(m, x[p + (inner[j] as number)] as number)
          if (!Number.isFinite(m)) {
            v = m
            break
          }
          let s = 0
          for (let j = 0; j < count; j++) s += Math.exp((x[p + (inner[j] as number)] as number) - m)
          v = m + Math.log(s)
          break
        }
        case 'var':
        case 'std': {
          let s = 0
          for (let j = 0; j < count; j++) s += x[p + (inner[j] as number)] as number
          const mean = s / count
          let q = 0
          for (let j = 0; j < count; j++) {
            const d = (x[p + (inner[j] as number)] as number) - mean
            q += d * d
          }
          v = reducer === 'var' ? q / count : Math.sqrt(q / count)
          break
        }
      }
      out[n * outer.length + i] = v
    }
  }
}

/**
 * Softmax (or log-softmax) over the reduced axes of a plan, for `batch` samples: `exp(x − max) / Σ`,
 * the sum in float64. Same layout in and out.
 * @category reductions
 */
export const softmax = (x: ArrayLike<number>, sampleSize: number, batch: number, plan: ReductionPlan, log: boolean, out: FloatArray): void => {
  const { outer, inner } = plan
  const count = inner.length
  for (let n = 0; n < batch; n++) {
    const base = n * sampleSize
    for (let i = 0; i < outer.length; i++) {
      const p = base + (outer[i] as number)
      let m = -Infinity
      for (let j = 0; j < count; j++) {
        const y = x[p + (inner[j] as number)] as number
        if (y > m || y !== y) m = y
      }
      let s = 0
      for (let j = 0; j < count; j++) s += Math.exp((x[p + (inner[j] as number)] as number) - m)
      if (log) {
        const ls = Math.log(s)
        for (let j = 0; j < count; j++) out[p + (inner[j] as number)] = (x[p + (inner[j] as number)] as number) - m - ls
      } else {
        for (let j = 0; j < count; j++) out[p + (inner[j] as number)] = Math.exp((x[p + (inner[j] as number)] as number) - m) / s
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// layout
// -------------------------------------------------------------------------------------

/**
 * For a per-sample transpose of `shape` by `perm` (`out` axis `k` is input axis `perm[k]`), the input
 * offset of each output position.
 * @category layout
 */
export const transposeMap = (shape: ReadonlyArray<number>, perm: ReadonlyArray<number>): Int32Array => {
  const strides = stridesOf(shape)
  const outShape = perm.map((p) => shape[p] as number)
  return offsetsOver(
    outShape,
    perm.map((p) => strides[p] as number),
    outShape.map((_, k) => k)
  )
}

/**
 * `out[n][e] = x[n][map[e]]` for every sample: a gather by a per-sample offset table (transposes).
 * @category layout
 */
export const gather = (x: ArrayLike<number>, sampleSize: number, batch: number, map: Int32Array, out: FloatArray): void => {
  const size = map.length
  for (let n = 0; n < batch; n++) {
    const base = n * sampleSize
    const o = n * size
    for (let e = 0; e < size; e++) out[o + e] = x[base + (map[e] as number)] as number
  }
}

/**
 * Concatenation along a per-sample axis: each input has per-sample shape `shapes[i]`, equal off
 * `axis`; the output's per-sample size is the sum of theirs.
 * @category layout
 */
export const concatenate = (xs: ReadonlyArray<ArrayLike<number>>, shapes: ReadonlyArray<ReadonlyArray<number>>, axis: number, batch: number, out: FloatArray): void => {
  const first = shapes[0] as ReadonlyArray<number>
  const outerCount = sizeOf(first.slice(0, axis))
  const chunks = shapes.map((s) => sizeOf(s.slice(axis)))
  const row = chunks.reduce((a, b) => a + b, 0)
  const sampleOut = outerCount * row
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outerCount; o++) {
      let at = n * sampleOut + o * row
      for (let i = 0; i < xs.length; i++) {
        const c = chunks[i] as number
        const x = xs[i] as ArrayLike<number>
        const from = n * outerCount * c + o * c
        for (let e = 0; e < c; e++) out[at + e] = x[from + e] as number
        at += c
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// matmul
// -------------------------------------------------------------------------------------

/**
 * A batched matrix product operand: values, distance between samples (0 for a constant), per-sample
 * leading (batch-of-matrices) shape with its strides over the result's leading axes, and the two
 * matrix axes (`rows × cols`).
 * @category matmul
 */
export interface MatmulOperand {
  readonly data: ArrayLike<number>
  readonly sampleSize: number
  /** Strides over the result's leading axes (0 where broadcast). */
  readonly leadStrides: ReadonlyArray<number>
  readonly rows: number
  readonly cols: number
}

/**
 * `out = a @ b` for every sample and every leading index: `a` is `M × K`, `b` is `K × N`, products
 * summed in float64. `lead` is the result's per-sample leading shape; `out` holds `lead × M × N`
 * values per sample.
 * @category matmul
 */
export const matmul = (a: MatmulOperand, b: MatmulOperand, lead: ReadonlyArray<number>, batch: number, out: FloatArray): void => {
  const M = a.rows
  const K = a.cols
  const N = b.cols
  const mats = sizeOf(lead)
  const ad = a.data
  const bd = b.data
  const idx = new Array<number>(lead.length).fill(0)
  const acc = new Float64Array(N)
  let o = 0
  for (let n = 0; n < batch; n++) {
    let pa = n * a.sampleSize
    let pb = n * b.sampleSize
    idx.fill(0)
    for (let l = 0; l < mats; l++) {
      for (let m = 0; m < M; m++) {
        acc.fill(0)
        const rowA = pa + m * K
        for (let k = 0; k < K; k++) {
          const v = ad[rowA + k] as number
          const rowB = pb + k * N
          for (let j = 0; j < N; j++) acc[j] = (acc[j] as number) + v * (bd[rowB + j] as number)
        }
        for (let j = 0; j < N; j++) out[o++] = acc[j] as number
      }
      for (let k = lead.length - 1; k >= 0; k--) {
        idx[k] = (idx[k] as number) + 1
        pa += a.leadStrides[k] as number
        pb += b.leadStrides[k] as number
        if ((idx[k] as number) < (lead[k] as number)) break
        pa -= (a.leadStrides[k] as number) * (lead[k] as number)
        pb -= (b.leadStrides[k] as number) * (lead[k] as number)
        idx[k] = 0
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// scalar functions
// -------------------------------------------------------------------------------------

/** √(2/π), the tanh approximation's constant (TensorFlow's `gelu(approximate=True)`). */
const SQRT_2_OVER_PI = 0.7978845608028654

/**
 * 1 / (1 + e^(−x)) without overflow.
 * @category scalar
 */
export const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

/**
 * log(1 + e^x) without overflow.
 * @category scalar
 */
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))

/**
 * GELU: exact `0.5·x·(1 + erf(x/√2))`, or TensorFlow's tanh approximation
 * `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 * @category scalar
 */
export const gelu =
  (approximate: boolean): ((x: number) => number) =>
  (x) =>
    approximate ? 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))) : 0.5 * x * (1 + erf(x * Math.SQRT1_2))

/**
 * TensorFlow's `hard_sigmoid`, step by step in the model's float type: relu6(x + 3) / 6.
 * @category scalar
 */
export const hardSigmoid =
  (round: Round): ((x: number) => number) =>
  (x) => {
    const y = round(x + 3)
    // relu6 (NaN stays NaN), then / 6
    return round((y < 0 ? 0 : y > 6 ? 6 : y) / 6)
  }

/**
 * TensorFlow's `hard_silu`: x · hard_sigmoid(x), each step rounded.
 * @category scalar
 */
export const hardSilu = (round: Round): ((x: number) => number) => {
  const hs = hardSigmoid(round)
  return (x) => x * hs(x)
}

/**
 * NumPy's `sign`: −1, 0 or 1 (NaN stays NaN, −0 gives 0).
 * @category scalar
 */
export const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x)
