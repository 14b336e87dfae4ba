/**
 * Vector-Jacobian products of the 1-D and 3-D window pooling layers (MaxPooling1D/3D,
 * AveragePooling1D/3D), in the forward's window rules (src/layers/spatial/poolingNd.ts, per-axis
 * windows from `poolAxis`): a rank-1 layer is the rank-3 case with depth and rows of one.
 *
 * - Max pooling routes each window's gradient to its first maximum in row-major window order (depth,
 *   rows, columns; strictly greater replaces; a NaN wins), as pool.ts does for 2-D (TensorFlow's CPU
 *   kernels); overlapping windows add up.
 * - Average pooling spreads each window's gradient evenly over its real elements (under `same` the
 *   padding is not counted: the divisor is the product of the per-axis counts, as the forward's).
 *
 * One pass over the output, each window's taps visited once: the same work as the forward.
 */
import type { FloatArray } from '../../numerics/FloatArray.js'

/** A pooling volume: spatial lengths (depth, rows, cols; 1 where the layer has fewer axes), channels and data format. */
export interface PoolVolume {
  readonly spatial: readonly [number, number, number]
  readonly channels: number
  readonly channelsFirst: boolean
}

/** A pooling window per axis (depth, rows, cols): size, stride, padding before. */
export interface PoolWindowNd {
  readonly size: readonly [number, number, number]
  readonly strides: readonly [number, number, number]
  readonly before: readonly [number, number, number]
}

const isMax = (v: number, m: number): boolean => v > m || (v !== v && m === m)

/**
 * The input gradient of max (`max: true`) or average pooling of `batch` volumes `x` (`inV`) given the
 * gradient `dy` of its output (`outV`).
 * @category training
 */
export const poolNdVjp = (max: boolean, batch: number, x: FloatArray, inV: PoolVolume, dy: FloatArray, outV: PoolVolume, w: PoolWindowNd): Float64Array => {
  const [D, H, W] = inV.spatial
  const [OD, OH, OW] = outV.spatial
  const C = inV.channels
  const cf = inV.channelsFirst
  const inSize = D * H * W * C
  const outSize = OD * OH * OW * C
  // strides of a spatial step and of a channel, input and output
  const xs = cf ? 1 : C
  const xc = cf ? D * H * W : 1
  const ys = cf ? 1 : C
  const yc = cf ? OD * OH * OW : 1
  const dx = new Float64Array(batch * inSize)
  const range = (o: number, a: 0 | 1 | 2, n: number): readonly [number, number] => {
    const start = o * w.strides[a] - w.before[a]
    return [Math.max(start, 0), Math.min(start + w.size[a], n)]
  }
  for (let n = 0; n < batch; n++) {
    for (let od = 0; od < OD; od++) {
      const [d0, d1] = range(od, 0, D)
      for (let oh = 0; oh < OH; oh++) {
        const [h0, h1] = range(oh, 1, H)
        for (let ow = 0; ow < OW; ow++) {
          const [w0, w1] = range(ow, 2, W)
          const count = (d1 - d0) * (h1 - h0) * (w1 - w0)
          const o = n * outSize + ((od * OH + oh) * OW + ow) * ys
          for (let c = 0; c < C; c++) {
            const g = dy[o + c * yc] as number
            if (g === 0) continue
            const base = n * inSize + c * xc
            if (max) {
              let at = -1
              let m = 0
              for (let d = d0; d < d1; d++) {
                for (let h = h0; h < h1; h++) {
                  for (let ww = w0; ww < w1; ww++) {
                    const i = base + ((d * H + h) * W + ww) * xs
                    const v = x[i] as number
                    if (at < 0 || isMax(v, m)) {
                      m = v
                      at = i
                    }
                  }
                }
              }
              dx[at] = (dx[at] as number) + g
            } else {
              const share = g / count
              for (let d = d0; d < d1; d++) {
                for (let h = h0; h < h1; h++) {
                  for (let ww = w0; ww < w1; ww++) {
                    const i = base + ((d * H + h) * W + ww) * xs
                    dx[i] = (dx[i] as number) + share
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return dx
}
