/**
 * Vector-Jacobian products of pooling, in the forward's window rules (src/compiler/kernels/ts/pool.ts):
 * `same` windows clipped to the image; average pooling divides by the in-bounds taps of each window.
 *
 * - Max pooling routes each window's gradient to its first maximum in row-major window order (rows,
 *   then columns; strictly greater replaces), as TensorFlow's CPU kernel and tfjs do (training notes
 *   §9); overlapping windows add up. A window holding a NaN routes to its first NaN (the forward's
 *   maximum).
 * - Average pooling spreads each window's gradient evenly over its in-bounds taps.
 * - Global pooling: the gradient of each (sample, channel) to every pixel (average, divided by the
 *   pixel count) or to the first maximum (max).
 *
 * Images are planes × rows × cols × pixel (`Planes`: NHWC is 1 plane of C-value pixels, NCHW C planes of
 * 1-value pixels).
 */
import type { Planes } from '../../compiler/kernels/ts/padCrop.js'
import type { FloatArray } from '../../numerics/FloatArray.js'

/** A pooling window: size, strides and the padding before the first row / column. */
export interface PoolWindow {
  readonly ph: number
  readonly pw: number
  readonly sh: number
  readonly sw: number
  readonly top: number
  readonly left: number
}

const isMax = (v: number, m: number): boolean => v > m || (v !== v && m === m)

/**
 * The input gradient of max (`max: true`) or average pooling of `batch` images `x` (layout `inL`)
 * given the output gradient `dy` (layout `outL`).
 * @category training
 */
export const poolVjp = (max: boolean, batch: number, x: FloatArray, inL: Planes, dy: FloatArray, outL: Planes, w: PoolWindow): Float64Array => {
  const px = inL.pixel
  const inRow = inL.cols * px
  const inPlane = inL.rows * inRow
  const outRow = outL.cols * px
  const outPlane = outL.rows * outRow
  const dx = new Float64Array(batch * inL.planes * inPlane)
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = p * inPlane
    const op = p * outPlane
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * w.sh - w.top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + w.ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * w.sw - w.left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + w.pw, inL.cols)
        const o = op + oh * outRow + ow * px
        for (let c = 0; c < px; c++) {
          const d = dy[o + c] as number
          if (d === 0) continue
          if (max) {
            let at = xp + h0 * inRow + w0 * px + c
            let m = x[at] as number
            for (let h = h0; h < h1; h++) {
              for (let ww = h === h0 ? w0 + 1 : w0; ww < w1; ww++) {
                const i = xp + h * inRow + ww * px + c
                const v = x[i] as number
                if (isMax(v, m)) {
                  m = v
                  at = i
                }
              }
            }
            dx[at] = (dx[at] as number) + d
          } else {
            const share = d / ((h1 - h0) * (w1 - w0))
            for (let h = h0; h < h1; h++) {
              for (let ww = w0; ww < w1; ww++) {
                const i = xp + h * inRow + ww * px + c
                dx[i] = (dx[i] as number) + share
              }
            }
          }
        }
      }
    }
  }
  return dx
}

/**
 * The input gradient of global max or average pooling of `batch` images (layout `inL`) given the
 * gradient of its `batch × channels` output (keepdims or not: the same values).
 * @category training
 */
export const globalPoolVjp = (max: boolean, batch: number, x: FloatArray, inL: Planes, dy: FloatArray): Float64Array => {
  const channels = inL.planes * inL.pixel
  const pixels = inL.rows * inL.cols
  const sample = channels * pixels
  const dx = new Float64Array(batch * sample)
  // element (pixel k, channel c) of sample n
  const at = (n: number, k: number, c: number): number =>
    inL.pixel === 1 ? n * sample + c * pixels + k : n * sample + k * channels + c
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const d = dy[n * channels + c] as number
      if (max) {
        let best = at(n, 0, c)
        let m = x[best] as number
        for (let k = 1; k < pixels; k++) {
          const i = at(n, k, c)
          const v = x[i] as number
          if (isMax(v, m)) {
            m = v
            best = i
          }
        }
        dx[best] = (dx[best] as number) + d
      } else {
        const share = d / pixels
        for (let k = 0; k < pixels; k++) dx[at(n, k, c)] = share
      }
    }
  }
  return dx
}

/**
 * Max pooling in training: the forward (`out`, layout `outL`) and, per output element, the index into
 * `x` of the window's maximum (`arg`) — the first maximum in row-major window order, a NaN if the
 * window holds one (the forward's value) — so that the backward is a scatter ({@link maxPoolScatter})
 * instead of a second search. Values and routing are {@link poolVjp}'s.
 * @category training
 */
export const maxPoolArgmax = (batch: number, x: FloatArray, inL: Planes, outL: Planes, w: PoolWindow, out: FloatArray, arg: Int32Array): void => {
  const px = inL.pixel
  const inRow = inL.cols * px
  const inPlane = inL.rows * inRow
  const outRow = outL.cols * px
  const outPlane = outL.rows * outRow
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = p * inPlane
    const op = p * outPlane
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * w.sh - w.top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + w.ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * w.sw - w.left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + w.pw, inL.cols)
        const o = op + oh * outRow + ow * px
        // the window's taps in row-major order, each over the pixel's values (contiguous): the first tap
        // starts every running maximum, a later one replaces it when strictly greater or the first NaN
        const first = xp + h0 * inRow + w0 * px
        for (let c = 0; c < px; c++) {
          out[o + c] = x[first + c] as number
          arg[o + c] = first + c
        }
        for (let h = h0; h < h1; h++) {
          for (let ww = h === h0 ? w0 + 1 : w0; ww < w1; ww++) {
            const base = xp + h * inRow + ww * px
            for (let c = 0; c < px; c++) {
              const v = x[base + c] as number
              const m = out[o + c] as number
              if (v > m || (v !== v && m === m)) {
                out[o + c] = v
                arg[o + c] = base + c
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The input gradient of max pooling from the forward's argmax map: `dx` (length of the input, zeroed
 * here) gets each output gradient added at its window's maximum.
 * @category training
 */
export const maxPoolScatter = (dy: FloatArray, arg: Int32Array, dx: FloatArray): FloatArray => {
  dx.fill(0)
  for (let o = 0; o < dy.length; o++) {
    const at = arg[o] as number
    dx[at] = (dx[at] as number) + (dy[o] as number)
  }
  return dx
}
