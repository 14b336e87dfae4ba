/**
 * Winograd F(2×2, 3×3): what the JS and wasm Winograd kernels share — which geometries they cover,
 * the padded input they read, and the weight transform (the kernels' packed weights).
 *
 * A 4×4 input tile `d` and a 3×3 filter `g` give the 2×2 outputs of the tile as
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 *
 *   Bᵀ = | 1  0 −1  0 |    G = | 1    0    0   |    Aᵀ = | 1  1  1  0 |
 *        | 0  1  1  0 |        | 1/2  1/2  1/2 |         | 0  1 −1 −1 |
 *        | 0 −1  1  0 |        | 1/2 −1/2  1/2 |
 *        | 0  1  0 −1 |        | 0    0    1   |
 *
 * (cross-correlation, as Keras computes). Summed over input channels, the ⊙ becomes 16 matrix
 * products per tile group ([tiles × C] · [C × F], one per position of the 4×4 tile): 16·C·F
 * multiply-adds per 2×2 outputs instead of 36·C·F, 2.25× fewer.
 *
 * Accuracy: every entry of Bᵀ, Aᵀ is 0 or ±1 and of G 0, ±1/2 or 1 (powers of two), so the
 * transforms add at most 4 (input), 9 (filter, then ×1/4 exactly) and 9 (output) terms and never
 * scale by anything but a power of two: with small integers the whole computation is exact (the
 * float64 laws hold bit for bit), and in float32 the rounding error grows only by the few extra
 * additions (F(4×4, 3×3) would need 1/6 and 1/24, inexact, with 5-10× larger errors). The filter
 * transform is computed in float64 and rounded once.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import { paddedLayoutOf, type PaddedLayout, type Scratch } from './layout.js'

/** Positions of a transformed 4×4 tile. */
export const WINOGRAD_POSITIONS = 16

/** Whether the Winograd kernels compute a geometry: 3×3, stride 1, dilation 1, one group. */
export const winogradCovers = (g: ConvGeometry): boolean =>
  g.kernelHeight === 3 &&
  g.kernelWidth === 3 &&
  g.strideHeight === 1 &&
  g.strideWidth === 1 &&
  g.dilationHeight === 1 &&
  g.dilationWidth === 1 &&
  g.groups === 1

/** Tile rows and tiles per row (2×2 outputs each; the last ones may stick out of an odd output). */
export const winogradTiles = (g: ConvGeometry): { readonly rows: number; readonly cols: number } => ({
  rows: Math.ceil(g.outHeight / 2),
  cols: Math.ceil(g.outWidth / 2)
})

/**
 * The padded input the Winograd kernels read: every 4×4 window of every tile in bounds, tiles taken
 * in groups of `group` along a row (a group reads columns `[2·group·k, 2·group·(k+1) + 2)`). Rows and
 * columns past the geometry's padding are zeros: `Hp = 2·rows + 2`, `Wp = 2·group·⌈cols/group⌉ + 2`,
 * at most `group·2 + 1` more columns and one more row than the tiled kernels' padded input.
 */
export const winogradLayout = (g: ConvGeometry, group: number, nchw: boolean): PaddedLayout => {
  const t = winogradTiles(g)
  return paddedLayoutOf(2 * t.rows + 2, 2 * group * Math.ceil(t.cols / group) + 2, g.inChannels, nchw)
}

/** Elements of one Winograd panel: `Q` bias values, then `16 × C × Q` transformed weights. */
export const winogradBlockSize = (g: ConvGeometry, Q: number): number => Q + WINOGRAD_POSITIONS * g.inChannels * Q

/** Elements of all Winograd panels (one per block of `Q` output channels). */
export const winogradPackedSize = (g: ConvGeometry, Q: number): number => Math.ceil(g.outChannels / Q) * winogradBlockSize(g, Q)

/**
 * Packs HWIO `w` (`[3, 3, C, F]`) and `bias` into Winograd panels in `dst` from element `offset`: for
 * each block of `Q` output channels, `Q` bias values then, for each position `p = 4·i + j` of the
 * transformed tile and each input channel `c`, the `Q` values `(G g Gᵀ)[i][j]` of the block's
 * filters (zeros past the last filter).
 */
export const packWinograd = (g: ConvGeometry, Q: number, w: FloatArray, bias: FloatArray | undefined, dst: Scratch, offset: number): void => {
  const C = g.inChannels
  const F = g.outChannels
  const block = winogradBlockSize(g, Q)
  dst.fill(0, offset, offset + winogradPackedSize(g, Q))
  const k = new Float64Array(9)
  const t = new Float64Array(12) // G g: 4 rows × 3 columns
  for (let fb = 0; fb * Q < F; fb++) {
    const base = offset + fb * block
    const nq = Math.min(Q, F - fb * Q)
    if (bias !== undefined) for (let q = 0; q < nq; q++) dst[base + q] = bias[fb * Q + q]!
    for (let q = 0; q < nq; q++) {
      const f = fb * Q + q
      for (let c = 0; c < C; c++) {
        for (let a = 0; a < 9; a++) k[a] = w[(a * C + c) * F + f]!
        for (let b = 0; b < 3; b++) {
          const g0 = k[b]!
          const g1 = k[3 + b]!
          const g2 = k[6 + b]!
          t[b] = g0
          t[3 + b] = (g0 + g1 + g2) / 2
          t[6 + b] = (g0 - g1 + g2) / 2
          t[9 + b] = g2
        }
        for (let i = 0; i < 4; i++) {
          const a0 = t[3 * i]!
          const a1 = t[3 * i + 1]!
          const a2 = t[3 * i + 2]!
          const row = [a0, (a0 + a1 + a2) / 2, (a0 - a1 + a2) / 2, a2]
          for (let j = 0; j < 4; j++) dst[base + Q + ((4 * i + j) * C + c) * Q + q] = row[j]!
        }
      }
    }
  }
}
