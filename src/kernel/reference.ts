/**
 * The reference kernel: Conv2D written straight from its definition (reference §2.5), the oracle every
 * faster kernel is tested against. Clarity over speed: one output element at a time, explicit window
 * coordinates, an index function per layout, accumulation in float64.
 *
 *   y[n, i, j, f] = Σ_{a<kh} Σ_{b<kw} Σ_{q<C/G} x[n, i·sh + a·dh − padTop, j·sw + b·dw − padLeft, g·C/G + q] · K[a, b, q, f]
 *
 * with g = floor(f / (F/G)) and x = 0 outside the input (zero padding).
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import type { ConvKernel } from './ConvKernel.js'

/**
 * The reference Conv2D kernel (see the module comment).
 * @category kernels
 */
export const referenceKernel: ConvKernel = (g: ConvGeometry, batch: number, x: FloatArray, w: FloatArray, out: FloatArray) => {
  const cf = g.dataFormat === 'channels_first'
  const C = g.inChannels
  const H = g.inHeight
  const W = g.inWidth
  const F = g.outChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const inIndex = (n: number, c: number, y: number, xx: number): number =>
    cf ? ((n * C + c) * H + y) * W + xx : ((n * H + y) * W + xx) * C + c
  const outIndex = (n: number, f: number, i: number, j: number): number =>
    cf ? ((n * F + f) * OH + i) * OW + j : ((n * OH + i) * OW + j) * F + f
  const kIndex = (a: number, b: number, q: number, f: number): number =>
    ((a * g.kernelWidth + b) * g.inChannelsPerGroup + q) * F + f

  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < F; f++) {
      const group = Math.floor(f / g.outChannelsPerGroup)
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = 0
          for (let a = 0; a < g.kernelHeight; a++) {
            const y = i * g.strideHeight + a * g.dilationHeight - g.padTop
            if (y < 0 || y >= H) continue
            for (let b = 0; b < g.kernelWidth; b++) {
              const xx = j * g.strideWidth + b * g.dilationWidth - g.padLeft
              if (xx < 0 || xx >= W) continue
              for (let q = 0; q < g.inChannelsPerGroup; q++) {
                const c = group * g.inChannelsPerGroup + q
                sum += (x[inIndex(n, c, y, xx)] as number) * (w[kIndex(a, b, q, f)] as number)
              }
            }
          }
          out[outIndex(n, f, i, j)] = sum
        }
      }
    }
  }
}
