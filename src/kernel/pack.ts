/**
 * Weight repacking for the fast kernels: done once per params object (the caller caches it), into
 * panels the inner loops read front to back.
 *
 * Tiled panels (the tiled, pointwise and im2col kernels): for each group and each block of `Q` output
 * channels of that group, `Q` bias values then `kh × kw × C/G × Q` weights in window order
 * (row, column, input channel), zero-padded past the group's last channel.
 *
 * Depthwise panels (one input and one output channel per group): for each block of `Q` channels, `Q`
 * bias values then `kh × kw × Q` weights.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import type { Scratch } from './layout.js'

/** Blocks of `Q` output channels per group. */
export const blocksPerGroup = (g: ConvGeometry, Q: number): number => Math.ceil(g.outChannelsPerGroup / Q)

/** Elements of one tiled panel. */
export const tiledBlockSize = (g: ConvGeometry, Q: number): number => Q + g.kernelHeight * g.kernelWidth * g.inChannelsPerGroup * Q

/** Elements of all tiled panels. */
export const tiledPackedSize = (g: ConvGeometry, Q: number): number => g.groups * blocksPerGroup(g, Q) * tiledBlockSize(g, Q)

/** Packs HWIO `w` (and `bias`) into tiled panels in `dst` from element `offset`. */
export const packTiled = (g: ConvGeometry, Q: number, w: FloatArray, bias: FloatArray | undefined, dst: Scratch, offset: number): void => {
  const F = g.outChannels
  const CG = g.inChannelsPerGroup
  const FG = g.outChannelsPerGroup
  const taps = g.kernelHeight * g.kernelWidth
  const nfb = blocksPerGroup(g, Q)
  const block = tiledBlockSize(g, Q)
  dst.fill(0, offset, offset + tiledPackedSize(g, Q))
  for (let grp = 0; grp < g.groups; grp++) {
    for (let fb = 0; fb < nfb; fb++) {
      const base = offset + (grp * nfb + fb) * block
      const f0 = grp * FG + fb * Q
      const nq = Math.min(Q, FG - fb * Q)
      if (bias !== undefined) for (let q = 0; q < nq; q++) dst[base + q] = bias[f0 + q]!
      let d = base + Q
      for (let t = 0; t < taps; t++) {
        for (let c = 0; c < CG; c++, d += Q) {
          const s = (t * CG + c) * F + f0
          for (let q = 0; q < nq; q++) dst[d + q] = w[s + q]!
        }
      }
    }
  }
}

/** Elements of one depthwise panel. */
export const depthwiseBlockSize = (g: ConvGeometry, Q: number): number => Q + g.kernelHeight * g.kernelWidth * Q

/** Elements of all depthwise panels. */
export const depthwisePackedSize = (g: ConvGeometry, Q: number): number => Math.ceil(g.outChannels / Q) * depthwiseBlockSize(g, Q)

/** Packs a depthwise HWIO `w` (`[kh, kw, 1, C]`) and `bias` into depthwise panels. */
export const packDepthwise = (g: ConvGeometry, Q: number, w: FloatArray, bias: FloatArray | undefined, dst: Scratch, offset: number): void => {
  const F = g.outChannels
  const taps = g.kernelHeight * g.kernelWidth
  const block = depthwiseBlockSize(g, Q)
  dst.fill(0, offset, offset + depthwisePackedSize(g, Q))
  for (let cb = 0; cb * Q < F; cb++) {
    const base = offset + cb * block
    const nq = Math.min(Q, F - cb * Q)
    if (bias !== undefined) for (let q = 0; q < nq; q++) dst[base + q] = bias[cb * Q + q]!
    for (let t = 0; t < taps; t++) {
      const d = base + Q + t * Q
      for (let q = 0; q < nq; q++) dst[d + q] = w[t * F + cb * Q + q]!
    }
  }
}
