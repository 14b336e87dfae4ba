/**
 * Scratch layouts shared by the fast kernels: the zero-padded NHWC copy of the input that every fast
 * kernel reads (so no kernel tests window bounds), and the copies into and out of it, which also
 * transpose `channels_first` data (so the kernels only ever see NHWC).
 *
 * noUncheckedIndexedAccess: indices below are in range by construction (they come from the
 * geometry), so typed-array reads are asserted with `!`.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The padded input of one sample: `Hp × Wp × C`, NHWC, with the geometry's padding as zeros. Only
 * rows and columns some window reads are kept: `Hp = (OH−1)·sh + effective kh`, likewise `Wp`.
 * @category model
 */
export interface PaddedLayout {
  readonly Hp: number
  readonly Wp: number
  readonly C: number
  /** `true`: `C × Hp × Wp` per sample (for channels_first layers' wasm kernels); `false`: `Hp × Wp × C`. */
  readonly nchw: boolean
  /** Elements per sample. */
  readonly sampleSize: number
  /** Elements from a padded row to the next. */
  readonly rowSize: number
  /** Elements from a column to the next, and from a channel to the next. */
  readonly pixel: number
  readonly channel: number
}

/** A writable float buffer: the scratch kernels compute in. */
export type Scratch = Float32Array | Float64Array

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** The padded layout of `Hp × Wp` pixels of `C` channels, NHWC or NCHW. */
export const paddedLayoutOf = (Hp: number, Wp: number, C: number, nchw: boolean): PaddedLayout =>
  nchw
    ? { Hp, Wp, C, nchw, sampleSize: Hp * Wp * C, rowSize: Wp, pixel: 1, channel: Hp * Wp }
    : { Hp, Wp, C, nchw, sampleSize: Hp * Wp * C, rowSize: Wp * C, pixel: C, channel: 1 }

/** The padded layout for a geometry, NHWC (default) or NCHW. */
export const paddedLayout = (g: ConvGeometry, nchw = false): PaddedLayout =>
  paddedLayoutOf((g.outHeight - 1) * g.strideHeight + g.effectiveKernelHeight, (g.outWidth - 1) * g.strideWidth + g.effectiveKernelWidth, g.inChannels, nchw)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Writes `batch` samples of `x` (the layer's input, NHWC or NCHW) into `dst` from element `offset`
 * on, in the padded NHWC layout, zeros included (every element of the `batch · sampleSize` range is
 * written, so `dst` may hold anything before).
 */
export const copyInPadded = (g: ConvGeometry, L: PaddedLayout, batch: number, x: FloatArray, dst: Scratch, offset: number): void => {
  const { Hp, Wp, C, rowSize } = L
  const H = g.inHeight
  const W = g.inWidth
  const top = g.padTop
  const left = g.padLeft
  // columns [left, left + cols) of a padded row hold input columns [0, cols)
  const cols = Math.max(0, Math.min(W, Wp - left))
  const cf = g.dataFormat === 'channels_first'
  if (L.nchw) {
    // channels_first input into the NCHW padded layout: one contiguous run per (sample, channel, row)
    const plane = Hp * Wp
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < C; c++) {
        const base = offset + n * L.sampleSize + c * plane
        const src = (n * C + c) * H * W
        for (let pr = 0; pr < Hp; pr++) {
          const row = base + pr * Wp
          const h = pr - top
          if (h < 0 || h >= H || cols === 0) {
            dst.fill(0, row, row + Wp)
            continue
          }
          if (left > 0) dst.fill(0, row, row + left)
          if (left + cols < Wp) dst.fill(0, row + left + cols, row + Wp)
          const s = src + h * W
          dst.set(x.subarray(s, s + cols), row + left)
        }
      }
    }
    return
  }
  for (let n = 0; n < batch; n++) {
    const base = offset + n * L.sampleSize
    for (let pr = 0; pr < Hp; pr++) {
      const row = base + pr * rowSize
      const h = pr - top
      if (h < 0 || h >= H || cols === 0) {
        dst.fill(0, row, row + rowSize)
        continue
      }
      if (left > 0) dst.fill(0, row, row + left * C)
      const tail = row + (left + cols) * C
      if (tail < row + rowSize) dst.fill(0, tail, row + rowSize)
      if (!cf) {
        const src = ((n * H + h) * W) * C
        dst.set(x.subarray(src, src + cols * C), row + left * C)
      } else {
        const plane = H * W
        const src = n * C * plane + h * W
        const d0 = row + left * C
        for (let c = 0; c < C; c++) {
          const s = src + c * plane
          let d = d0 + c
          for (let w = 0; w < cols; w++, d += C) dst[d] = x[s + w]!
        }
      }
    }
  }
}

/**
 * Writes `batch` output samples from `src` (from element `offset`; NHWC, or already in the layer's
 * format when `srcInLayerFormat`) into `out` in the layer's data format (a copy, or a transpose of
 * NHWC to NCHW).
 */
export const copyOut = (g: ConvGeometry, batch: number, src: Scratch, offset: number, out: FloatArray, srcInLayerFormat = false): void => {
  const n = batch * g.outputSize
  if (g.dataFormat === 'channels_last' || srcInLayerFormat) {
    out.set(src.subarray(offset, offset + n))
    return
  }
  const F = g.outChannels
  const P = g.outHeight * g.outWidth
  for (let b = 0; b < batch; b++) {
    const s0 = offset + b * P * F
    const d0 = b * P * F
    for (let f = 0; f < F; f++) {
      let s = s0 + f
      const d = d0 + f * P
      for (let p = 0; p < P; p++, s += F) out[d + p] = src[s]!
    }
  }
}
