/**
 * The plain-TypeScript path for few input channels (a network's stem, MNIST): a window row holds only
 * `kw·C` values, too short a loop for the tiled kernel, so each output row's windows are first
 * gathered (zero padding included, straight from the input in either data format) into one row of
 * `outWidth × (kh·kw·C)` values, then reduced with the same 2-pixel × 4-channel register tile as the
 * tiled kernel over one contiguous run of `kh·kw·C` steps. It reads the tiled weight panels.
 *
 * It needs no padded copy of the input: its scratch is that one row of windows (selected only where
 * the row is smaller than a padded input) and the output. One group only.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import { tiledBlockSize } from '../pack.js'
import { JS_Q } from './tiled.js'

/** Values in one output row's windows. */
export const im2colRowSize = (g: ConvGeometry): number => g.outWidth * g.kernelHeight * g.kernelWidth * g.inChannels

/**
 * `(x, w, o, row, r0, r1)`: output rows `[r0, r1)` of `batch · outHeight` from the layer's input `x`,
 * the panels `w`, into the NHWC float64 output `o`, using `row` (im2colRowSize) as scratch.
 */
export type Im2colKernel = (x: FloatArray, w: Float64Array, o: Float64Array, row: Float64Array, r0: number, r1: number) => void

/** The im2col kernel for a geometry with one group. */
export const jsIm2col = (g: ConvGeometry): Im2colKernel => {
  const H = g.inHeight
  const W = g.inWidth
  const C = g.inChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const F = g.outChannels
  const KH = g.kernelHeight
  const KW = g.kernelWidth
  const SH = g.strideHeight
  const SW = g.strideWidth
  const DH = g.dilationHeight
  const DW = g.dilationWidth
  const K = KH * KW * C
  const Q = JS_Q
  const NFB = Math.ceil(F / Q)
  const block = tiledBlockSize(g, Q)
  const cf = g.dataFormat === 'channels_first'
  // element steps of the input along channels and columns, and per sample
  const cStep = cf ? H * W : 1
  const wStep = cf ? 1 : C
  const hStep = cf ? W : W * C
  const sample = H * W * C
  const KWC = KW * C
  const contiguous = !cf && DW === 1

  return (x, w, o, row, r0, r1) => {
    for (let r = r0; r < r1; r++) {
      const n = Math.floor(r / OH)
      const i = r - n * OH
      // gather: row[j·K + (a·KW + b)·C + c] = x[n, i·SH + a·DH − padTop, j·SW + b·DW − padLeft, c]
      for (let a = 0; a < KH; a++) {
        const h = i * SH + a * DH - g.padTop
        const ka = a * KW * C
        if (h < 0 || h >= H) {
          for (let j = 0; j < OW; j++) {
            const d = j * K + ka
            for (let t = 0; t < KWC; t++) row[d + t] = 0
          }
          continue
        }
        const sRow = n * sample + h * hStep
        for (let j = 0; j < OW; j++) {
          const col0 = j * SW - g.padLeft
          let d = j * K + ka
          if (contiguous && col0 >= 0 && col0 + KW <= W) {
            // the window row is one run of kw·C input values (channels_last, dilation 1)
            const s = sRow + col0 * C
            for (let t = 0; t < KWC; t++) row[d + t] = x[s + t]!
            continue
          }
          for (let b = 0; b < KW; b++) {
            const col = col0 + b * DW
            if (col < 0 || col >= W) {
              for (let c = 0; c < C; c++) row[d++] = 0
            } else {
              const s = sRow + col * wStep
              for (let c = 0; c < C; c++) row[d++] = x[s + c * cStep]!
            }
          }
        }
      }
      const oRow = r * OW * F
      for (let fb = 0; fb < NFB; fb++) {
        const wb = fb * block
        const nq = Math.min(Q, F - fb * Q)
        const fo = oRow + fb * Q
        const b0 = w[wb]!
        const b1 = w[wb + 1]!
        const b2 = w[wb + 2]!
        const b3 = w[wb + 3]!
        let j = 0
        for (; j + 2 <= OW; j += 2) {
          let a00 = b0, a01 = b1, a02 = b2, a03 = b3
          let a10 = b0, a11 = b1, a12 = b2, a13 = b3
          let wo = wb + Q
          const start = j * K
          const end = start + K
          for (let k = start; k < end; k++) {
            const x0 = row[k]!
            const x1 = row[k + K]!
            const w0 = w[wo]!
            const w1 = w[wo + 1]!
            const w2 = w[wo + 2]!
            const w3 = w[wo + 3]!
            wo += 4
            a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3
            a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3
          }
          const oo = fo + j * F
          if (nq === 4) {
            o[oo] = a00; o[oo + 1] = a01; o[oo + 2] = a02; o[oo + 3] = a03
            o[oo + F] = a10; o[oo + F + 1] = a11; o[oo + F + 2] = a12; o[oo + F + 3] = a13
          } else {
            o[oo] = a00; o[oo + F] = a10
            if (nq > 1) { o[oo + 1] = a01; o[oo + F + 1] = a11 }
            if (nq > 2) { o[oo + 2] = a02; o[oo + F + 2] = a12 }
          }
        }
        if (j < OW) {
          let a00 = b0, a01 = b1, a02 = b2, a03 = b3
          let wo = wb + Q
          const start = j * K
          const end = start + K
          for (let k = start; k < end; k++) {
            const x0 = row[k]!
            a00 += x0 * w[wo]!; a01 += x0 * w[wo + 1]!; a02 += x0 * w[wo + 2]!; a03 += x0 * w[wo + 3]!
            wo += 4
          }
          const oo = fo + j * F
          o[oo] = a00
          if (nq > 1) o[oo + 1] = a01
          if (nq > 2) o[oo + 2] = a02
          if (nq > 3) o[oo + 3] = a03
        }
      }
    }
  }
}
