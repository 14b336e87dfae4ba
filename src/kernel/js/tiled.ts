/**
 * The plain-TypeScript tiled kernel: a register tile of 2 output pixels × 4 output channels (8
 * float64 accumulators, the most V8 keeps in registers with the 4 weights and 2 inputs of a step)
 * over the zero-padded NHWC input and the tiled weight panels (see pack.ts), all in `Float64Array`s
 * so no load converts. One reduction step per loop iteration; when window columns are contiguous
 * (dilation 1 along the width, one group) a window row is one run of `kw·C` steps.
 *
 * Work is split by output rows (`batch · outHeight` of them), so threads can share a call.
 *
 * noUncheckedIndexedAccess: every index is in range by construction (padded layout and panel
 * sizes come from the geometry), so reads are asserted with `!`.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { blocksPerGroup, tiledBlockSize } from '../pack.js'

/** Output channels per panel of the JS kernels. */
export const JS_Q = 4

/**
 * `(x, w, o, r0, r1)`: computes output rows `[r0, r1)` (of `batch · outHeight`) from the padded
 * input `x`, the panels `w` into the NHWC output `o` (float64 scratch, bias included).
 */
export type RowKernel = (x: Float64Array, w: Float64Array, o: Float64Array, r0: number, r1: number) => void

/** The tiled row kernel for a geometry. */
export const jsTiled = (g: ConvGeometry, L: PaddedLayout): RowKernel => {
  const OH = g.outHeight
  const OW = g.outWidth
  const F = g.outChannels
  const G = g.groups
  const CG = g.inChannelsPerGroup
  const FG = g.outChannelsPerGroup
  const KH = g.kernelHeight
  const C = g.inChannels
  const Q = JS_Q
  const NFB = blocksPerGroup(g, Q)
  const block = tiledBlockSize(g, Q)
  // the window as runs of contiguous (column, channel) values: one per window row when the columns
  // are contiguous (dilation 1 along the width, one group), one per tap otherwise
  const merged = g.dilationWidth === 1 && G === 1
  const runLen = merged ? g.kernelWidth * C : CG
  const runs = new Int32Array(merged ? KH : KH * g.kernelWidth)
  for (let a = 0; a < KH; a++) {
    if (merged) runs[a] = a * g.dilationHeight * L.rowSize
    else for (let b = 0; b < g.kernelWidth; b++) runs[a * g.kernelWidth + b] = a * g.dilationHeight * L.rowSize + b * g.dilationWidth * C
  }
  const T = runs.length
  const px = g.strideWidth * C
  const sample = L.sampleSize
  const outRowStep = g.strideHeight * L.rowSize

  /** The last pixel of an odd-width row: 1 pixel × 4 channels. */
  const single = (x: Float64Array, w: Float64Array, o: Float64Array, xt: number, wb: number, oo: number, nq: number): void => {
    let a00 = w[wb]!, a01 = w[wb + 1]!, a02 = w[wb + 2]!, a03 = w[wb + 3]!
    let wo = wb + Q
    for (let t = 0; t < T; t++) {
      const xa = xt + runs[t]!
      const end = xa + runLen
      for (let k = xa; k < end; k++) {
        const x0 = x[k]!
        a00 += x0 * w[wo]!; a01 += x0 * w[wo + 1]!; a02 += x0 * w[wo + 2]!; a03 += x0 * w[wo + 3]!
        wo += 4
      }
    }
    o[oo] = a00
    if (nq > 1) o[oo + 1] = a01
    if (nq > 2) o[oo + 2] = a02
    if (nq > 3) o[oo + 3] = a03
  }

  return (x, w, o, r0, r1) => {
    for (let r = r0; r < r1; r++) {
      const n = Math.floor(r / OH)
      const i = r - n * OH
      const xRow = n * sample + i * outRowStep
      const oRow = r * OW * F
      for (let grp = 0; grp < G; grp++) {
        const xg = xRow + grp * CG
        for (let fb = 0; fb < NFB; fb++) {
          const wb = (grp * NFB + fb) * block
          const nq = Math.min(Q, FG - fb * Q)
          const fo = oRow + grp * FG + fb * Q
          const b0 = w[wb]!
          const b1 = w[wb + 1]!
          const b2 = w[wb + 2]!
          const b3 = w[wb + 3]!
          let j = 0
          for (; j + 2 <= OW; j += 2) {
            let a00 = b0, a01 = b1, a02 = b2, a03 = b3
            let a10 = b0, a11 = b1, a12 = b2, a13 = b3
            let wo = wb + Q
            const xt = xg + j * px
            for (let t = 0; t < T; t++) {
                const xa = xt + runs[t]!
                const end = xa + runLen
                for (let k = xa; k < end; k++) {
                  const x0 = x[k]!
                  const x1 = x[k + px]!
                  const w0 = w[wo]!
                  const w1 = w[wo + 1]!
                  const w2 = w[wo + 2]!
                  const w3 = w[wo + 3]!
                  wo += 4
                  a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3
                  a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3
                }
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
          if (j < OW) single(x, w, o, xg + j * px, wb, fo + j * F, nq)
        }
      }
    }
  }
}
