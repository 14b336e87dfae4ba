/**
 * Vector-Jacobian products of the elementwise merges of equal shapes (Add, Subtract, Multiply,
 * Average, Maximum, Minimum) and of bilinear UpSampling2D.
 *
 * Maximum / Minimum route the gradient to the first input holding the extreme (ties: the earliest
 * input, as a running `max` that replaces only on strictly greater keeps it).
 */
import type { FloatArray } from '../../numerics/FloatArray.js'

/**
 * The input gradients of merge `className` over `xs` (equal lengths) given `dy`.
 * @category training
 */
export const mergeVjp = (className: string, xs: ReadonlyArray<FloatArray>, dy: FloatArray): ReadonlyArray<Float64Array> => {
  const n = dy.length
  const k = xs.length
  const dxs = xs.map(() => new Float64Array(n))
  switch (className) {
    case 'Add':
      for (const dx of dxs) for (let i = 0; i < n; i++) dx[i] = dy[i] as number
      return dxs
    case 'Subtract': {
      const [a, b] = dxs as [Float64Array, Float64Array]
      for (let i = 0; i < n; i++) {
        a[i] = dy[i] as number
        b[i] = -(dy[i] as number)
      }
      return dxs
    }
    case 'Average':
      for (const dx of dxs) for (let i = 0; i < n; i++) dx[i] = (dy[i] as number) / k
      return dxs
    case 'Multiply':
      for (let j = 0; j < k; j++) {
        const dx = dxs[j] as Float64Array
        for (let i = 0; i < n; i++) {
          let p = dy[i] as number
          for (let m = 0; m < k; m++) if (m !== j) p *= (xs[m] as FloatArray)[i] as number
          dx[i] = p
        }
      }
      return dxs
    case 'Maximum':
    case 'Minimum': {
      const max = className === 'Maximum'
      for (let i = 0; i < n; i++) {
        let best = 0
        let v = (xs[0] as FloatArray)[i] as number
        for (let m = 1; m < k; m++) {
          const u = (xs[m] as FloatArray)[i] as number
          if (max ? u > v : u < v) {
            v = u
            best = m
          }
        }
        ;(dxs[best] as Float64Array)[i] = dy[i] as number
      }
      return dxs
    }
    default:
      throw new Error(`layerspec: no gradient for merge ${className}`)
  }
}

/** One axis of a bilinear resize: the two source indices of each output index and the second's weight. */
export interface BilinearAxis {
  readonly lo: Int32Array
  readonly hi: Int32Array
  readonly frac: Float64Array
}

/**
 * The input gradient of bilinear UpSampling2D (the adjoint of its four-tap interpolation): `strides`
 * of the input and output layouts (row, column, channel) per sample.
 * @category training
 */
export const bilinearVjp = (
  batch: number,
  dy: FloatArray,
  rows: BilinearAxis,
  cols: BilinearAxis,
  channels: number,
  inL: { readonly size: number; readonly rowStride: number; readonly colStride: number; readonly channelStride: number },
  outL: { readonly size: number; readonly rows: number; readonly cols: number; readonly rowStride: number; readonly colStride: number; readonly channelStride: number }
): Float64Array => {
  const dx = new Float64Array(batch * inL.size)
  for (let n = 0; n < batch; n++) {
    const xBase = n * inL.size
    const oBase = n * outL.size
    for (let oh = 0; oh < outL.rows; oh++) {
      const top = xBase + (rows.lo[oh] as number) * inL.rowStride
      const bottom = xBase + (rows.hi[oh] as number) * inL.rowStride
      const fy = rows.frac[oh] as number
      for (let ow = 0; ow < outL.cols; ow++) {
        const l = (cols.lo[ow] as number) * inL.colStride
        const r = (cols.hi[ow] as number) * inL.colStride
        const fx = cols.frac[ow] as number
        const op = oBase + oh * outL.rowStride + ow * outL.colStride
        for (let c = 0; c < channels; c++) {
          const cs = c * inL.channelStride
          const g = dy[op + c * outL.channelStride] as number
          // out = t + (b − t)·fy, t = tl + (tr − tl)·fx, b = bl + (br − bl)·fx
          const gt = g * (1 - fy)
          const gb = g * fy
          dx[top + l + cs] = (dx[top + l + cs] as number) + gt * (1 - fx)
          dx[top + r + cs] = (dx[top + r + cs] as number) + gt * fx
          dx[bottom + l + cs] = (dx[bottom + l + cs] as number) + gb * (1 - fx)
          dx[bottom + r + cs] = (dx[bottom + r + cs] as number) + gb * fx
        }
      }
    }
  }
  return dx
}
