/**
 * The vector-Jacobian product of a convolution (Conv2D, and DepthwiseConv2D as the grouped
 * convolution it is), for the geometry `g` (ConvGeometry: the one place output sizes and padding are
 * computed). With x the input (NHWC or NCHW per `g.dataFormat`), W the HWIO kernel `[kh, kw, C/G, F]`
 * and dy the output gradient (same layout as the output), reference §9 of the training notes:
 *
 *   dW[a, b, q, f] = Σ_{n, i, j} x[n, i·sh + a·dh − pt, j·sw + b·dw − pl, g·C/G + q] · dy[n, i, j, f]
 *   dx[n, y, x, c]  = Σ dy[n, i, j, f] · W[a, b, c − g·C/G, f]   over every (i, j, a, b, f ∈ group g) reaching (y, x)
 *   db[f]           = Σ_{n, i, j} dy[n, i, j, f]
 *
 * (the input gradient is the transposed convolution of dy; positions no window reads get 0). One pass
 * over the output positions computes both: for each window tap that lands inside the input, the
 * group's output channels are the contiguous inner loop. Sums are accumulated in float64.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { FloatArray } from '../../numerics/FloatArray.js'

/**
 * Gradients of a convolution call: input, kernel (HWIO) and bias (when asked). `A` is the array type:
 * `Float64Array` for {@link convVjp}; the compiled fast VJP (convFast.ts) returns its dtype's array
 * (`ConvGrads<FloatArray>`).
 */
export interface ConvGrads<A extends FloatArray = Float64Array> {
  readonly dx: A
  readonly dw: A
  readonly db: A | undefined
}

/**
 * The convolution's VJP for `batch` samples: `x` its input, `w` its kernel, `dy` the gradient of its
 * (pre-activation) output; `wantBias` whether the layer has a bias. Writes nothing it is given.
 * @category training
 */
export const convVjp = (g: ConvGeometry, batch: number, x: FloatArray, w: FloatArray, dy: FloatArray, wantBias: boolean): ConvGrads => {
  const cf = g.dataFormat === 'channels_first'
  const C = g.inChannels
  const H = g.inHeight
  const Wd = g.inWidth
  const F = g.outChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const Cg = g.inChannelsPerGroup
  const Fg = g.outChannelsPerGroup
  const G = g.groups
  // strides of the input and output layouts (per sample, per channel, per row, per column)
  const xc = cf ? H * Wd : 1
  const xh = cf ? Wd : Wd * C
  const xw = cf ? 1 : C
  const yf = cf ? OH * OW : 1
  const yh = cf ? OW : OW * F
  const yw = cf ? 1 : F
  const inSize = C * H * Wd
  const outSize = F * OH * OW
  const dx = new Float64Array(batch * inSize)
  const dw = new Float64Array(w.length)
  const db = wantBias ? new Float64Array(F) : undefined
  // the gradient of one output position, gathered contiguously over channels
  const dyAt = new Float64Array(F)
  for (let n = 0; n < batch; n++) {
    const xn = n * inSize
    const yn = n * outSize
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const yo = yn + i * yh + j * yw
        let any = false
        for (let f = 0; f < F; f++) {
          const v = dy[yo + f * yf] as number
          dyAt[f] = v
          if (v !== 0) any = true
        }
        if (db !== undefined) for (let f = 0; f < F; f++) db[f] = (db[f] as number) + (dyAt[f] as number)
        if (!any) continue
        for (let a = 0; a < g.kernelHeight; a++) {
          const y = i * g.strideHeight + a * g.dilationHeight - g.padTop
          if (y < 0 || y >= H) continue
          for (let b = 0; b < g.kernelWidth; b++) {
            const xx = j * g.strideWidth + b * g.dilationWidth - g.padLeft
            if (xx < 0 || xx >= Wd) continue
            const xo = xn + y * xh + xx * xw
            const tap = (a * g.kernelWidth + b) * Cg * F
            for (let grp = 0; grp < G; grp++) {
              const f0 = grp * Fg
              for (let q = 0; q < Cg; q++) {
                const c = grp * Cg + q
                const xi = xo + c * xc
                const xv = x[xi] as number
                const wo = tap + q * F
                let acc = 0
                for (let f = f0; f < f0 + Fg; f++) {
                  const d = dyAt[f] as number
                  dw[wo + f] = (dw[wo + f] as number) + xv * d
                  acc += (w[wo + f] as number) * d
                }
                dx[xi] = (dx[xi] as number) + acc
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db }
}
