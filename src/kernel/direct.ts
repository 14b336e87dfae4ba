/**
 * The direct kernel: the default Conv2D kernel in plain TypeScript. For each output pixel it walks
 * the kernel taps that fall inside the input (no per-element bounds tests), and for each input channel
 * broadcasts one input value over the contiguous run of output channels of its group in the HWIO
 * kernel, accumulating a whole pixel's filters in a float64 row. `channels_first` (NCHW) input is
 * transposed once to NHWC scratch and the result transposed back.
 *
 * noUncheckedIndexedAccess: typed-array reads below are in range by construction (bounds come from
 * the geometry), so they are asserted with `!` rather than tested per element.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import type { ConvKernel } from './ConvKernel.js'

/** NHWC convolution into `out` (NHWC). */
const convNhwc = (g: ConvGeometry, batch: number, x: FloatArray, w: FloatArray, out: FloatArray): void => {
  const H = g.inHeight
  const W = g.inWidth
  const C = g.inChannels
  const F = g.outChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const KH = g.kernelHeight
  const KW = g.kernelWidth
  const SH = g.strideHeight
  const SW = g.strideWidth
  const DH = g.dilationHeight
  const DW = g.dilationWidth
  const CG = g.inChannelsPerGroup
  const FG = g.outChannelsPerGroup
  const G = g.groups
  const acc = new Float64Array(F)
  const kRowStride = KW * CG * F
  const kColStride = CG * F

  for (let n = 0; n < batch; n++) {
    const xBatch = n * H * W * C
    for (let i = 0; i < OH; i++) {
      const y0 = i * SH - g.padTop
      // taps a with 0 <= y0 + a·DH < H
      const aStart = y0 >= 0 ? 0 : Math.ceil(-y0 / DH)
      const aEnd = Math.min(KH, Math.ceil((H - y0) / DH))
      for (let j = 0; j < OW; j++) {
        const x0 = j * SW - g.padLeft
        const bStart = x0 >= 0 ? 0 : Math.ceil(-x0 / DW)
        const bEnd = Math.min(KW, Math.ceil((W - x0) / DW))
        acc.fill(0)
        for (let a = aStart; a < aEnd; a++) {
          const xRow = xBatch + (y0 + a * DH) * W * C
          const kRow = a * kRowStride
          for (let b = bStart; b < bEnd; b++) {
            const xPix = xRow + (x0 + b * DW) * C
            const kTap = kRow + b * kColStride
            for (let grp = 0; grp < G; grp++) {
              const fBase = grp * FG
              const fEnd = fBase + FG
              const xg = xPix + grp * CG
              for (let q = 0; q < CG; q++) {
                const v = x[xg + q]!
                const kq = kTap + q * F
                for (let f = fBase; f < fEnd; f++) acc[f]! += v * w[kq + f]!
              }
            }
          }
        }
        const o = ((n * OH + i) * OW + j) * F
        for (let f = 0; f < F; f++) out[o + f] = acc[f]!
      }
    }
  }
}

/** Copies `[batch, A, B]` (row-major, A outer) to `[batch, B, A]`. */
const transpose = (src: FloatArray, dst: FloatArray, batch: number, A: number, B: number): void => {
  for (let n = 0; n < batch; n++) {
    const base = n * A * B
    for (let a = 0; a < A; a++) {
      const row = base + a * B
      for (let b = 0; b < B; b++) dst[base + b * A + a] = src[row + b]!
    }
  }
}

/**
 * The direct Conv2D kernel (see the module comment).
 * @category kernels
 */
export const directKernel: ConvKernel = (g, batch, x, w, out) => {
  if (g.dataFormat === 'channels_last') {
    convNhwc(g, batch, x, w, out)
    return
  }
  const make = (n: number): FloatArray => (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n))
  const xNhwc = make(batch * g.inputSize)
  transpose(x, xNhwc, batch, g.inChannels, g.inHeight * g.inWidth)
  const yNhwc = make(batch * g.outputSize)
  convNhwc(g, batch, xNhwc, w, yNhwc)
  transpose(yNhwc, out, batch, g.outHeight * g.outWidth, g.outChannels)
}
