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
  /** Elements per sample. */
  readonly sampleSize: number
  /** Elements per padded row. */
  readonly rowSize: number
}

/** A writable float buffer: the scratch kernels compute in. */
export type Scratch = Float32Array | Float64Array

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** The padded layout for a geometry. */
export const paddedLayout = (g: ConvGeometry): PaddedLayout => {
  const Hp = (g.outHeight - 1) * g.strideHeight + g.effectiveKernelHeight
  const Wp = (g.outWidth - 1) * g.strideWidth + g.effectiveKernelWidth
  return { Hp, Wp, C: g.inChannels, sampleSize: Hp * Wp * g.inChannels, rowSize: Wp * g.inChannels }
}

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
 * Writes `batch` NHWC samples of `[OH, OW, F]` from `src` (from element `offset`) into `out` in the
 * layer's data format (a copy, or a transpose to NCHW).
 */
export const copyOut = (g: ConvGeometry, batch: number, src: Scratch, offset: number, out: FloatArray): void => {
  const n = batch * g.outputSize
  if (g.dataFormat === 'channels_last') {
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
