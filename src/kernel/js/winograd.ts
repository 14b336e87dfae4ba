/**
 * The plain-TypeScript Winograd F(2×2, 3×3) kernel (see ../winograd.ts for the algebra): per tile row
 * (two output rows), tiles in pairs. For each pair, the input tiles are transformed into a small
 * fixed scratch `V[16][2][CB]` (`CB = min(C, 128)` channels at a time), then for each block of 4
 * output channels the 16 products `V[p] · U[p]` run with a register tile of 2 tiles × 4 channels (8
 * float64 accumulators, as the tiled kernel) into `M[16][2][4]`, and the output transform writes the
 * pair's 2×2 outputs (bias included) into the NHWC float64 output.
 *
 * Scratch besides the padded input and the output: `V` (16·2·CB) and `M` (128) float64 values, fixed
 * per prepared kernel (33 KB at most). With more than 128 input channels the channels are taken in
 * chunks, the products accumulating in `M`, kept for 16 blocks of output channels at a time (64
 * channels, `M` 16 KB) so that each chunk's transform serves all 16 blocks.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { winogradBlockSize, winogradTiles, WINOGRAD_POSITIONS } from '../winograd.js'
import { JS_Q, type RowKernel } from './tiled.js'

/** Tiles per group of the JS Winograd kernel (its padded input is `winogradLayout(g, 2, false)`). */
export const JS_WINOGRAD_GROUP = 2

/** Input channels transformed at a time. */
export const WINOGRAD_CHUNK = 128

/**
 * The Winograd row kernel for a geometry `winogradCovers` accepts, over the padded NHWC input `L`:
 * `(x, w, o, r0, r1)` writes output rows `[r0, r1)` of `batch · outHeight` (computing whole tiles).
 */
export const jsWinograd = (g: ConvGeometry, L: PaddedLayout): RowKernel => {
  const OH = g.outHeight
  const OW = g.outWidth
  const C = g.inChannels
  const F = g.outChannels
  const Q = JS_Q
  const T = JS_WINOGRAD_GROUP
  const P = WINOGRAD_POSITIONS
  const tiles = winogradTiles(g)
  const groups = Math.ceil(tiles.cols / T)
  const NFB = Math.ceil(F / Q)
  const block = winogradBlockSize(g, Q)
  const CB = Math.min(C, WINOGRAD_CHUNK)
  const chunks = Math.ceil(C / CB)
  // blocks of output channels whose products are kept at once (see the module comment)
  const SB = chunks === 1 ? 1 : 16
  const MB = P * T * Q // one block's products
  const V = new Float64Array(P * T * CB) // V[p][t][c]
  const M = new Float64Array(SB * MB) // M[block][p][t][q]
  const row = L.rowSize
  const sample = L.sampleSize

  /** Bᵀ d B of the pair's tiles at `x0` (top-left pixel of tile 0), channels `[c0, c0 + n)`. */
  const transform = (x: Float64Array, x0: number, c0: number, n: number): void => {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < n; c++) {
        const b = x0 + t * 2 * C + c0 + c
        for (let i = 0; i < 4; i++) {
          // row i of Bᵀ d: rows (0 − 2), (1 + 2), (2 − 1), (1 − 3)
          const ra = b + (i === 0 ? 0 : i === 3 ? row : i === 1 ? row : 2 * row)
          const rb = b + (i === 0 ? 2 * row : i === 3 ? 3 * row : i === 1 ? 2 * row : row)
          const s = i === 1 ? 1 : -1
          const e0 = x[ra]! + s * x[rb]!
          const e1 = x[ra + C]! + s * x[rb + C]!
          const e2 = x[ra + 2 * C]! + s * x[rb + 2 * C]!
          const e3 = x[ra + 3 * C]! + s * x[rb + 3 * C]!
          const v = (4 * i * T + t) * CB + c
          const step = T * CB
          V[v] = e0 - e2
          V[v + step] = e1 + e2
          V[v + 2 * step] = e2 - e1
          V[v + 3 * step] = e1 - e3
        }
      }
    }
  }

  /** Adds `V[p] · U[p]` over channels `[c0, c0 + n)` into `M` from `m0` (or sets it, when `first`). */
  const products = (w: Float64Array, wb: number, c0: number, n: number, first: boolean, m0: number): void => {
    for (let p = 0; p < P; p++) {
      const m = m0 + p * T * Q
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0
      let a10 = 0, a11 = 0, a12 = 0, a13 = 0
      if (!first) {
        a00 = M[m]!; a01 = M[m + 1]!; a02 = M[m + 2]!; a03 = M[m + 3]!
        a10 = M[m + 4]!; a11 = M[m + 5]!; a12 = M[m + 6]!; a13 = M[m + 7]!
      }
      const v0 = p * T * CB
      const v1 = v0 + CB
      let wo = wb + Q + (p * C + c0) * Q
      for (let c = 0; c < n; c++) {
        const x0 = V[v0 + c]!
        const x1 = V[v1 + c]!
        const w0 = w[wo]!
        const w1 = w[wo + 1]!
        const w2 = w[wo + 2]!
        const w3 = w[wo + 3]!
        wo += 4
        a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3
        a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3
      }
      M[m] = a00; M[m + 1] = a01; M[m + 2] = a02; M[m + 3] = a03
      M[m + 4] = a10; M[m + 5] = a11; M[m + 6] = a12; M[m + 7] = a13
    }
  }

  /**
   * Aᵀ M A + bias for block `fb` (its products at `m0`) of the pair of group `gi`, into output rows
   * `rowA` (when `okA`) and `rowA + 1` (when `okB`) of the NHWC output.
   */
  const outputs = (w: Float64Array, o: Float64Array, fb: number, m0: number, gi: number, rowA: number, okA: boolean, okB: boolean): void => {
    const wb = fb * block
    const nq = Math.min(Q, F - fb * Q)
    const s = T * Q // from one position to the next
    for (let t = 0; t < T; t++) {
      const col = 2 * (gi * T + t)
      if (col >= OW) break
      const col1 = col + 1 < OW
      for (let q = 0; q < nq; q++) {
        const m = m0 + t * Q + q
        // Aᵀ M: rows (0 + 1 + 2) and (1 − 2 − 3) of each of the 4 columns
        const m00 = M[m]!, m10 = M[m + 4 * s]!, m20 = M[m + 8 * s]!, m30 = M[m + 12 * s]!
        const m01 = M[m + s]!, m11 = M[m + 5 * s]!, m21 = M[m + 9 * s]!, m31 = M[m + 13 * s]!
        const m02 = M[m + 2 * s]!, m12 = M[m + 6 * s]!, m22 = M[m + 10 * s]!, m32 = M[m + 14 * s]!
        const m03 = M[m + 3 * s]!, m13 = M[m + 7 * s]!, m23 = M[m + 11 * s]!, m33 = M[m + 15 * s]!
        const bias = w[wb + q]!
        const f = fb * Q + q
        if (okA) {
          const a0 = m00 + m10 + m20, a1 = m01 + m11 + m21, a2 = m02 + m12 + m22, a3 = m03 + m13 + m23
          const oo = (rowA * OW + col) * F + f
          o[oo] = a0 + a1 + a2 + bias
          if (col1) o[oo + F] = a1 - a2 - a3 + bias
        }
        if (okB) {
          const b0 = m10 - m20 - m30, b1 = m11 - m21 - m31, b2 = m12 - m22 - m32, b3 = m13 - m23 - m33
          const oo = ((rowA + 1) * OW + col) * F + f
          o[oo] = b0 + b1 + b2 + bias
          if (col1) o[oo + F] = b1 - b2 - b3 + bias
        }
      }
    }
  }

  return (x, w, o, r0, r1) => {
    if (r0 >= r1) return
    const n0 = Math.floor(r0 / OH)
    const n1 = Math.floor((r1 - 1) / OH)
    for (let n = n0; n <= n1; n++) {
      const i0 = n === n0 ? (r0 - n * OH) >> 1 : 0
      const i1 = n === n1 ? (r1 - 1 - n * OH) >> 1 : tiles.rows - 1
      for (let tr = i0; tr <= i1; tr++) {
        const xr = n * sample + 2 * tr * row
        // output rows of this tile row that exist and are asked for (tr runs from r0's tile row to (r1 − 1)'s: r0 − 1 ≤ rowA < r1)
        const rowA = n * OH + 2 * tr
        const okA = rowA >= r0
        const okB = 2 * tr + 1 < OH && rowA + 1 < r1
        for (let gi = 0; gi < groups; gi++) {
          const x0 = xr + gi * T * 2 * C
          if (chunks === 1) transform(x, x0, 0, C)
          for (let sb = 0; sb < NFB; sb += SB) {
            const sbEnd = Math.min(NFB, sb + SB)
            for (let k = 0; k < chunks; k++) {
              const c0 = k * CB
              const len = Math.min(CB, C - c0)
              if (chunks > 1) transform(x, x0, c0, len)
              for (let fb = sb; fb < sbEnd; fb++) products(w, fb * block, c0, len, k === 0, (fb - sb) * MB)
            }
            for (let fb = sb; fb < sbEnd; fb++) outputs(w, o, fb, (fb - sb) * MB, gi, rowA, okA, okB)
          }
        }
      }
    }
  }
}
