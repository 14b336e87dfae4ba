/**
 * Sampling weights from a normalized {@link Initializer} (reference §5): fan computation, shape checks
 * and every initializer kind, computed in float64 and stored in the requested dtype. Random kinds are
 * deterministic functions of (initializer, shape, seed); exact Keras streams cannot be reproduced
 * across frameworks, distributions are (reference §5.2, §11.10).
 */
import type { Initializer } from '../codec/Initializer.js'
import { allocate, type FloatArray, type FloatDType } from './FloatArray.js'
import { normalStream, uniformStream, type Stream } from './random.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The fans of a weight shape (reference §5.3).
 * @category model
 */
export interface Fans {
  readonly fanIn: number
  readonly fanOut: number
}

/**
 * The standard deviation of a unit normal truncated to [−2, 2]; VarianceScaling divides by it so the
 * truncated distribution has variance `s`.
 * @category model
 */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1)

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`

/**
 * Keras's fan rule for a weight shape (reference §5.3): rank 0 → 1/1; rank 1 → both `shape[0]`; rank 2
 * → `shape[0]`, `shape[1]`; rank ≥ 3 → with `receptive = ∏ shape[:-2]`, fanIn = `shape[-2]·receptive`,
 * fanOut = `shape[-1]·receptive`. For an HWIO conv kernel `[kh, kw, cin, cout]`: fanIn = kh·kw·cin,
 * fanOut = kh·kw·cout.
 * @category utils
 */
export const computeFans = (shape: readonly number[]): Fans => {
  const rank = shape.length
  if (rank === 0) return { fanIn: 1, fanOut: 1 }
  if (rank === 1) {
    const n = shape[0] as number
    return { fanIn: n, fanOut: n }
  }
  const receptive = product(shape.slice(0, -2))
  return { fanIn: (shape[rank - 2] as number) * receptive, fanOut: (shape[rank - 1] as number) * receptive }
}

/**
 * Why `init` cannot produce a weight of `shape`, as a sentence, or `undefined` when it can: a dim that
 * is not a non-negative integer; `identity` on anything but a 2-D shape (`can only be used for 2D
 * matrices`, as Keras); `orthogonal` on rank < 2.
 * @category utils
 */
export const initializerProblem = (init: Initializer, shape: readonly number[]): string | undefined => {
  const bad = shape.findIndex((d) => !Number.isSafeInteger(d) || d < 0)
  if (bad >= 0) {
    return `weight shape ${showShape(shape)} has dimension ${bad} = ${String(shape[bad])}, expected a non-negative integer`
  }
  if (init.kind === 'identity' && shape.length !== 2) {
    return `the identity initializer can only be used for 2D matrices; got shape ${showShape(shape)} (rank ${shape.length})`
  }
  if (init.kind === 'orthogonal' && shape.length < 2) {
    return `the orthogonal initializer needs a weight of rank 2 or more; got shape ${showShape(shape)} (rank ${shape.length})`
  }
  if (init.kind === 'variance_scaling' && init.fanAxes !== undefined) {
    const rank = shape.length
    for (const [key, axes] of [['input_axes', init.fanAxes.input], ['output_axes', init.fanAxes.output]] as const) {
      const out = axes.find((a) => a < -rank || a >= rank)
      if (out !== undefined) {
        return `${key} axis ${out} is out of range for a weight of shape ${showShape(shape)} (rank ${rank}, axes ${-rank} … ${rank - 1}); Keras raises IndexError when it creates the weight`
      }
    }
  }
  return undefined
}

/**
 * The fans VarianceScaling uses for a weight of `shape`: Keras ≥ 3.15's custom `input_axes` /
 * `output_axes` when the initializer has both (each fan the product of those dims, Python indexing),
 * else {@link computeFans}. The axes must be in range ({@link initializerProblem}).
 * @category utils
 */
export const varianceScalingFans = (init: Extract<Initializer, { readonly kind: 'variance_scaling' }>, shape: readonly number[]): Fans => {
  if (init.fanAxes === undefined) return computeFans(shape)
  const rank = shape.length
  const fan = (axes: ReadonlyArray<number>): number => axes.reduce((p, a) => p * (shape[a < 0 ? a + rank : a] as number), 1)
  return { fanIn: fan(init.fanAxes.input), fanOut: fan(init.fanAxes.output) }
}

// -------------------------------------------------------------------------------------
// internal: fillers (write n float64 values into out)
// -------------------------------------------------------------------------------------

/** `out[i] = mean + stddev·z` with z standard normal re-drawn until |z| ≤ 2 (no variance correction). */
const fillTruncated = (out: FloatArray, mean: number, stddev: number, normal: Stream): void => {
  for (let i = 0; i < out.length; i++) {
    let z = normal()
    while (z > 2 || z < -2) z = normal()
    out[i] = mean + stddev * z
  }
}

const fillNormal = (out: FloatArray, mean: number, stddev: number, normal: Stream): void => {
  for (let i = 0; i < out.length; i++) out[i] = mean + stddev * normal()
}

/** `out[i] = lo + (hi − lo)·u` with u uniform in [0, 1). */
const fillUniform = (out: FloatArray, lo: number, hi: number, uniform: Stream): void => {
  const width = hi - lo
  for (let i = 0; i < out.length; i++) out[i] = lo + width * uniform()
}

/** VarianceScaling (reference §5.2): `s = scale / max(1, n)` with n the fan of `mode`. */
const fillVarianceScaling = (
  out: FloatArray,
  init: Extract<Initializer, { readonly kind: 'variance_scaling' }>,
  fans: Fans,
  seed: number
): void => {
  const n = init.mode === 'fan_in' ? fans.fanIn : init.mode === 'fan_out' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2
  const s = init.scale / Math.max(1, n)
  switch (init.distribution) {
    case 'truncated_normal':
      return fillTruncated(out, 0, Math.sqrt(s) / TRUNCATED_NORMAL_STDDEV, normalStream(seed))
    case 'untruncated_normal':
      return fillNormal(out, 0, Math.sqrt(s), normalStream(seed))
    case 'uniform': {
      const limit = Math.sqrt(3 * s)
      return fillUniform(out, -limit, limit, uniformStream(seed))
    }
  }
}

/**
 * An orthogonal (rows × cols) matrix, row-major, times `gain` (reference §5.2): QR of a standard-normal
 * (max × min) matrix by Householder reflections in float64, Q's columns multiplied by sign(diag R)
 * (a zero diagonal entry counts as +1, which keeps Q orthogonal), transposed when rows < cols.
 */
const orthogonal = (rows: number, cols: number, gain: number, normal: Stream): Float64Array => {
  const m = Math.max(rows, cols)
  const n = Math.min(rows, cols)
  const a = new Float64Array(m * n) // row-major m × n, reduced to R in place
  for (let i = 0; i < a.length; i++) a[i] = normal()
  const vs = new Float64Array(m * n) // Householder vector k in column k, rows k..m-1 (unit norm)
  const signs = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    let norm2 = 0
    for (let i = k; i < m; i++) {
      const x = a[i * n + k] as number
      norm2 += x * x
    }
    const norm = Math.sqrt(norm2)
    const x0 = a[k * n + k] as number
    if (norm === 0) {
      signs[k] = 1 // H_k = I, R[k, k] = 0
      continue
    }
    // Reflect x onto alpha·e1 with alpha = −sign(x0)·‖x‖ (no cancellation in v = x − alpha·e1).
    const alpha = x0 >= 0 ? -norm : norm
    let vnorm2 = 0
    for (let i = k; i < m; i++) {
      const v = i === k ? x0 - alpha : (a[i * n + k] as number)
      vs[i * n + k] = v
      vnorm2 += v * v
    }
    const vnorm = Math.sqrt(vnorm2)
    for (let i = k; i < m; i++) vs[i * n + k] = (vs[i * n + k] as number) / vnorm
    // A[k:, k:] −= 2·v·(vᵀ·A[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0
      for (let i = k; i < m; i++) dot += (vs[i * n + k] as number) * (a[i * n + j] as number)
      const f = 2 * dot
      for (let i = k; i < m; i++) a[i * n + j] = (a[i * n + j] as number) - f * (vs[i * n + k] as number)
    }
    signs[k] = alpha > 0 ? 1 : -1 // R[k, k] = alpha
  }
  // Thin Q (m × n) = H_0·H_1·…·H_{n−1}·I[:, :n], applied right to left.
  const q = new Float64Array(m * n)
  for (let k = 0; k < n; k++) q[k * n + k] = 1
  for (let k = n - 1; k >= 0; k--) {
    for (let j = 0; j < n; j++) {
      let dot = 0
      for (let i = k; i < m; i++) dot += (vs[i * n + k] as number) * (q[i * n + j] as number)
      if (dot === 0) continue
      const f = 2 * dot
      for (let i = k; i < m; i++) q[i * n + j] = (q[i * n + j] as number) - f * (vs[i * n + k] as number)
    }
  }
  const out = new Float64Array(rows * cols)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = gain * (signs[j] as number) * (q[i * n + j] as number)
      // Q is (rows × cols) when rows ≥ cols; otherwise Q is (cols × rows) and the result is Qᵀ.
      if (rows >= cols) out[i * cols + j] = v
      else out[j * cols + i] = v
    }
  }
  return out
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A NEW buffer of `product(shape)` values drawn from `init`, row-major for `shape` (HWIO for a conv
 * kernel), computed in float64 and stored as `dtype`. Random kinds use the initializer's own `seed`
 * when it is not `null` (Keras: a seeded initializer gives the same values on every call), otherwise
 * the caller's `seed` (a safe integer). Kinds follow reference §5.2 exactly:
 * - `constant`: `value`; `random_normal`: N(mean, stddev²); `random_uniform`: U[minval, maxval);
 * - `truncated_normal`: N(mean, stddev²) re-drawn outside mean ± 2·stddev (no variance correction);
 * - `variance_scaling`: `s = scale / max(1, n)`, n = fanIn, fanOut or (fanIn + fanOut)/2 per `mode`
 *   (fans by {@link varianceScalingFans});
 *   `truncated_normal` → stddev `√s / 0.87962566103423978` truncated at ±2 stddev, `untruncated_normal`
 *   → stddev `√s`, `uniform` → U[−√(3s), √(3s)];
 * - `orthogonal`: flattened to (∏ shape[:-1], shape[-1]), an orthogonal matrix times `gain`;
 * - `identity`: `gain · eye(rows, cols)` (2-D only; rectangular allowed).
 * Throws a `RangeError` naming expected vs got when {@link initializerProblem} reports a problem.
 * @category constructors
 */
export const sampleInitializer = (
  init: Initializer,
  shape: readonly number[],
  dtype: FloatDType,
  seed: number
): FloatArray => {
  const problem = initializerProblem(init, shape)
  if (problem !== undefined) throw new RangeError(`sampleInitializer: ${problem}`)
  const out = allocate(dtype, product(shape))
  const streamSeed = 'seed' in init && init.seed !== null ? init.seed : seed
  switch (init.kind) {
    case 'constant':
      out.fill(init.value)
      return out
    case 'random_normal':
      fillNormal(out, init.mean, init.stddev, normalStream(streamSeed))
      return out
    case 'random_uniform':
      fillUniform(out, init.minval, init.maxval, uniformStream(streamSeed))
      return out
    case 'truncated_normal':
      fillTruncated(out, init.mean, init.stddev, normalStream(streamSeed))
      return out
    case 'variance_scaling':
      fillVarianceScaling(out, init, varianceScalingFans(init, shape), streamSeed)
      return out
    case 'orthogonal': {
      const cols = shape[shape.length - 1] as number
      const rows = product(shape.slice(0, -1))
      if (rows * cols > 0) out.set(orthogonal(rows, cols, init.gain, normalStream(streamSeed)))
      return out
    }
    case 'identity': {
      const rows = shape[0] as number
      const cols = shape[1] as number
      for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = init.gain
      return out
    }
  }
}
