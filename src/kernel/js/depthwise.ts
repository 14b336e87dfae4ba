/**
 * The plain-TypeScript depthwise kernel (one input and one output channel per group, `groups` =
 * channels): for each output row, blocks of 4 channels × 2 output pixels (8 float64 accumulators)
 * walk the window taps, reading the 4 neighbouring channels of each tap from the zero-padded NHWC
 * input and 4 weights from the depthwise panels (see pack.ts).
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { depthwiseBlockSize } from '../pack.js'
import { JS_Q, type RowKernel } from './tiled.js'

/** The depthwise row kernel for a geometry with `inChannelsPerGroup = outChannelsPerGroup = 1`. */
export const jsDepthwise = (g: ConvGeometry, L: PaddedLayout): RowKernel => {
  const OH = g.outHeight
  const OW = g.outWidth
  const C = g.inChannels
  const Q = JS_Q
  const NCB = Math.ceil(C / Q)
  const block = depthwiseBlockSize(g, Q)
  const taps = new Int32Array(g.kernelHeight * g.kernelWidth)
  for (let a = 0; a < g.kernelHeight; a++) {
    for (let b = 0; b < g.kernelWidth; b++) taps[a * g.kernelWidth + b] = a * g.dilationHeight * L.rowSize + b * g.dilationWidth * C
  }
  const T = taps.length
  const px = g.strideWidth * C
  const sample = L.sampleSize
  const outRowStep = g.strideHeight * L.rowSize

  return (x, w, o, r0, r1) => {
    for (let r = r0; r < r1; r++) {
      const n = Math.floor(r / OH)
      const i = r - n * OH
      const xRow = n * sample + i * outRowStep
      const oRow = r * OW * C
      for (let cb = 0; cb < NCB; cb++) {
        const c0 = cb * Q
        const nq = Math.min(Q, C - c0)
        const wb = cb * block
        const b0 = w[wb]!
        const b1 = w[wb + 1]!
        const b2 = w[wb + 2]!
        const b3 = w[wb + 3]!
        // a partial block reads past the last channel: only inside the padded input when another
        // pixel follows, so partial blocks take the one-pixel loop with per-channel reads
        const pairs = nq === 4 ? Math.floor(OW / 2) : 0
        let j = 0
        for (; j < 2 * pairs; j += 2) {
          let a00 = b0, a01 = b1, a02 = b2, a03 = b3
          let a10 = b0, a11 = b1, a12 = b2, a13 = b3
          const xt = xRow + j * px + c0
          let wo = wb + Q
          for (let t = 0; t < T; t++) {
            const s = xt + taps[t]!
            const w0 = w[wo]!
            const w1 = w[wo + 1]!
            const w2 = w[wo + 2]!
            const w3 = w[wo + 3]!
            wo += 4
            a00 += x[s]! * w0; a01 += x[s + 1]! * w1; a02 += x[s + 2]! * w2; a03 += x[s + 3]! * w3
            a10 += x[s + px]! * w0; a11 += x[s + px + 1]! * w1; a12 += x[s + px + 2]! * w2; a13 += x[s + px + 3]! * w3
          }
          const oo = oRow + j * C + c0
          o[oo] = a00; o[oo + 1] = a01; o[oo + 2] = a02; o[oo + 3] = a03
          o[oo + C] = a10; o[oo + C + 1] = a11; o[oo + C + 2] = a12; o[oo + C + 3] = a13
        }
        for (; j < OW; j++) {
          const xt = xRow + j * px + c0
          const oo = oRow + j * C + c0
          for (let q = 0; q < nq; q++) {
            let acc = w[wb + q]!
            let wo = wb + Q + q
            for (let t = 0; t < T; t++, wo += Q) acc += x[xt + taps[t]! + q]! * w[wo]!
            o[oo + q] = acc
          }
        }
      }
    }
  }
}
