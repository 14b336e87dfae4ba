/**
 * Small tensor utilities for properties, written independently of src/ (no shared index helpers), so
 * a property never compares the library with itself.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../src/core/Tensor.js'
import { formatErrors, type SpecError } from '../src/core/SpecError.js'

/** The value of a Right, or a thrown error listing the problems. */
export const ok = <A>(e: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(e)) throw new Error(formatErrors(e.left))
  return e.right
}

/** `[n, h, w, c]` → `[n, c, h, w]` (a copy). */
export const nhwcToNchw = (t: Tensor): Tensor => {
  const [n, h, w, c] = t.shape as [number, number, number, number]
  const out = new (t.data.constructor as Float32ArrayConstructor)(t.data.length)
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = t.data[((b * h + y) * w + x) * c + k] as number
  return { shape: [n, c, h, w], data: out }
}

/** Elementwise `a·x + b·y` of two tensors of the same shape (a copy). */
export const combine = (a: number, x: Tensor, b: number, y: Tensor): Tensor => {
  const out = new (x.data.constructor as Float64ArrayConstructor)(x.data.length)
  for (let i = 0; i < out.length; i++) out[i] = a * (x.data[i] as number) + b * (y.data[i] as number)
  return { shape: x.shape, data: out }
}

/** `[n, h, w, c]` sub-tensor rows [y0, y0+h), cols [x0, x0+w), channels [c0, c0+cc) (a copy). */
export const slice = (t: Tensor, y0: number, h: number, x0: number, w: number, c0 = 0, cc?: number): Tensor => {
  const [n, H, W, C] = t.shape as [number, number, number, number]
  const cs = cc ?? C - c0
  const out = new (t.data.constructor as Float64ArrayConstructor)(n * h * w * cs)
  let o = 0
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < cs; k++) out[o++] = t.data[((b * H + y0 + y) * W + x0 + x) * C + c0 + k] as number
  return { shape: [n, h, w, cs], data: out }
}

/** Largest |a − b| / (1 + |b|) over two equally long arrays; Infinity on a length mismatch or NaN. */
export const maxRelError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= worst)) worst = e
  }
  return worst
}

/** A byte copy of a tensor's data, for "unchanged" checks. */
export const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice()
