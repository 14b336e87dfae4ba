/**
 * Data movement for the family's kernels (kernel.ts): strided block copies (the depth fold of rank-3
 * layers and the zero-spread input of transposed ones), the kernel rewrites (depth taps folded into
 * input channels; transposed kernels rotated with their channel axes swapped), the channels_last →
 * channels_first output transpose, and the bias for 2-D kernels that do not fuse it. None writes into
 * its sources.
 *
 * noUncheckedIndexedAccess: indices are in range by construction (they come from the geometry);
 * typed-array reads are asserted with `!`.
 */
import type { FloatArray } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// block copies
// -------------------------------------------------------------------------------------

/** Element strides of a `rows × cols × channels` block inside a flat buffer. */
export interface BlockStrides {
  readonly channel: number
  readonly row: number
  readonly col: number
}

/**
 * `dst[d0 + r·ds.row + c·ds.col + k·ds.channel] = src[s0 + r·ss.row + c·ss.col + k·ss.channel]` for
 * `r < rows`, `c < cols`, `k < channels`. The loop order follows the source: channels innermost when
 * they are contiguous in both (channels_last), columns innermost when the source is channels_first;
 * whole rows in one `set` when both sides hold them contiguously.
 */
export const copyBlock = (
  src: FloatArray,
  s0: number,
  ss: BlockStrides,
  dst: FloatArray,
  d0: number,
  ds: BlockStrides,
  rows: number,
  cols: number,
  channels: number
): void => {
  if (rows <= 0 || cols <= 0 || channels <= 0) return
  if (ss.channel === 1 && ds.channel === 1) {
    const run = cols * channels
    const contiguous = ss.col === channels && ds.col === channels
    for (let r = 0; r < rows; r++) {
      const sr = s0 + r * ss.row
      const dr = d0 + r * ds.row
      if (contiguous) {
        dst.set(src.subarray(sr, sr + run), dr)
        continue
      }
      for (let c = 0; c < cols; c++) {
        const s = sr + c * ss.col
        const d = dr + c * ds.col
        for (let k = 0; k < channels; k++) dst[d + k] = src[s + k]!
      }
    }
    return
  }
  if (ss.col === 1) {
    // channels_first source: each (channel, row) is a contiguous run of columns
    for (let k = 0; k < channels; k++) {
      for (let r = 0; r < rows; r++) {
        const s = s0 + k * ss.channel + r * ss.row
        const d = d0 + k * ds.channel + r * ds.row
        if (ds.col === 1) dst.set(src.subarray(s, s + cols), d)
        else for (let c = 0; c < cols; c++) dst[d + c * ds.col] = src[s + c]!
      }
    }
    return
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = s0 + r * ss.row + c * ss.col
      const d = d0 + r * ds.row + c * ds.col
      for (let k = 0; k < channels; k++) dst[d + k * ds.channel] = src[s + k * ss.channel]!
    }
  }
}

// -------------------------------------------------------------------------------------
// kernel rewrites
// -------------------------------------------------------------------------------------

const like = (a: FloatArray, n: number): FloatArray => (a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n))

/**
 * A transposed convolution's kernel as the kernel of the forward convolution that computes it:
 * `[...k, F, C]` (Keras's transposed layout, output channels first) → `[...k, C, F]` with every
 * spatial axis reversed, `W'[t, c, f] = K[k−1−t, f, c]` (a new array).
 */
export const rotateTransposedKernel = (K: FloatArray, kernelSize: ReadonlyArray<number>, F: number, C: number): FloatArray => {
  const taps = kernelSize.reduce((a, b) => a * b, 1)
  const out = like(K, K.length)
  // reversing every spatial axis of a row-major tap index reverses the flat tap index
  for (let t = 0; t < taps; t++) {
    const src = (taps - 1 - t) * F * C
    const dst = t * C * F
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) out[dst + c * F + f] = K[src + f * C + c]!
    }
  }
  return out
}

/**
 * A rank-3 kernel `[Kd, kh, kw, Cg, F]` (the forward layout, per-group input channels `Cg`) as the
 * 2-D HWIO kernel `[kh, kw, Kd·Cg, F]` of the depth-folded input, whose input channel `td·Cg + q` of
 * a group is depth tap `td`'s channel `q`: `W'[a, b, td·Cg + q, f] = K[td, a, b, q, f]` (a new array).
 */
export const foldDepthKernel = (K: FloatArray, Kd: number, kh: number, kw: number, Cg: number, F: number): FloatArray => {
  const out = like(K, K.length)
  const plane = kh * kw
  for (let td = 0; td < Kd; td++) {
    for (let p = 0; p < plane; p++) {
      for (let q = 0; q < Cg; q++) {
        const src = ((td * plane + p) * Cg + q) * F
        const dst = (p * Kd * Cg + td * Cg + q) * F
        out.set(K.subarray(src, src + F), dst)
      }
    }
  }
  return out
}

// -------------------------------------------------------------------------------------
// outputs
// -------------------------------------------------------------------------------------

/** `[batch, P, F]` (channels_last) → `[batch, F, P]` (channels_first), into `dst`. */
export const channelsLastToFirst = (src: FloatArray, dst: FloatArray, batch: number, P: number, F: number): void => {
  for (let n = 0; n < batch; n++) {
    const s0 = n * P * F
    for (let f = 0; f < F; f++) {
      let s = s0 + f
      const d = s0 + f * P
      for (let p = 0; p < P; p++, s += F) dst[d + p] = src[s]!
    }
  }
}

/** Adds `bias[f]` to every element of channel `f` of `[batch, P, F]` or (`channelsFirst`) `[batch, F, P]`, in place. */
export const addChannelBias = (out: FloatArray, batch: number, P: number, F: number, channelsFirst: boolean, bias: FloatArray): void => {
  if (!channelsFirst) {
    const n = batch * P * F
    for (let o = 0; o < n; o += F) {
      for (let f = 0; f < F; f++) out[o + f]! += bias[f]!
    }
    return
  }
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < F; f++) {
      const b = bias[f]!
      const base = (n * F + f) * P
      for (let p = 0; p < P; p++) out[base + p]! += b
    }
  }
}

// -------------------------------------------------------------------------------------
// transposed convolutions by phases
// -------------------------------------------------------------------------------------

/**
 * One phase's sub-kernel of a transposed kernel `[...k, F, C]` (strides `s`, dilation 1 on strided
 * axes), as a forward kernel `[...kr, C, F]`: phase `r` (per axis) takes the taps `t = r + m·s`
 * (`m < kr`), reversed: `W[u, c, f] = K[r + (kr − 1 − u)·s, f, c]` (a new array).
 */
export const phaseKernel = (
  K: FloatArray,
  kernelSize: ReadonlyArray<number>,
  r: ReadonlyArray<number>,
  kr: ReadonlyArray<number>,
  s: ReadonlyArray<number>,
  F: number,
  C: number
): FloatArray => {
  const rank = kernelSize.length
  const taps = kr.reduce((a, b) => a * b, 1)
  const out = like(K, taps * C * F)
  const u = kr.map(() => 0)
  for (let p = 0; p < taps; p++) {
    // the source tap of sub-kernel tap u, as a flat index of `kernelSize`
    let t = 0
    for (let a = 0; a < rank; a++) t = t * kernelSize[a]! + r[a]! + (kr[a]! - 1 - u[a]!) * s[a]!
    for (let c = 0; c < C; c++) {
      for (let f = 0; f < F; f++) out[(p * C + c) * F + f] = K[(t * F + f) * C + c]!
    }
    for (let a = rank - 1; a >= 0; a--) {
      u[a] = u[a]! + 1
      if (u[a]! < kr[a]!) break
      u[a] = 0
    }
  }
  return out
}

/**
 * One spatial axis of a phase's placement in the output: phase outputs `[skip, skip + count)` of an
 * axis of length `srcLen` go to output positions `first + i·step` of an axis of length `dstLen`.
 */
export interface PhaseAxis {
  readonly srcLen: number
  readonly skip: number
  readonly count: number
  readonly dstLen: number
  readonly first: number
  readonly step: number
}

/**
 * Writes one phase's outputs into their places of `out` (`[batch, ...dst, F]`, or `[batch, F, ...dst]`
 * when `channelsFirst`; `src` in the same layout with its own lengths), three spatial axes (rank 1
 * and 2 lead with axes of length 1). Without `src` (a phase no tap reaches), writes `bias[f]` (or 0).
 */
export const placePhase = (
  src: FloatArray | undefined,
  out: FloatArray,
  batch: number,
  F: number,
  channelsFirst: boolean,
  axes: readonly [PhaseAxis, PhaseAxis, PhaseAxis],
  bias: FloatArray | undefined
): void => {
  const [A0, A1, A2] = axes
  if (A0.count <= 0 || A1.count <= 0 || A2.count <= 0) return
  const strides = (l0: number, l1: number, l2: number) =>
    channelsFirst
      ? { sample: F * l0 * l1 * l2, channel: l0 * l1 * l2, d0: l1 * l2, d1: l2, d2: 1 }
      : { sample: l0 * l1 * l2 * F, channel: 1, d0: l1 * l2 * F, d1: l2 * F, d2: F }
  const so = strides(A0.srcLen, A1.srcLen, A2.srcLen)
  const dt = strides(A0.dstLen, A1.dstLen, A2.dstLen)
  const ss: BlockStrides = { channel: so.channel, row: so.d1, col: so.d2 }
  const ds: BlockStrides = { channel: dt.channel, row: dt.d1 * A1.step, col: dt.d2 * A2.step }
  for (let n = 0; n < batch; n++) {
    for (let i0 = 0; i0 < A0.count; i0++) {
      const d0 = n * dt.sample + (A0.first + i0 * A0.step) * dt.d0 + A1.first * dt.d1 + A2.first * dt.d2
      if (src !== undefined) {
        const s0 = n * so.sample + (A0.skip + i0) * so.d0 + A1.skip * so.d1 + A2.skip * so.d2
        copyBlock(src, s0, ss, out, d0, ds, A1.count, A2.count, F)
        continue
      }
      for (let f = 0; f < F; f++) {
        const v = bias === undefined ? 0 : bias[f]!
        for (let i1 = 0; i1 < A1.count; i1++) {
          const d = d0 + f * ds.channel + i1 * ds.row
          for (let i2 = 0; i2 < A2.count; i2++) out[d + i2 * ds.col] = v
        }
      }
    }
  }
}
