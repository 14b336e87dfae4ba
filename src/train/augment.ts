/**
 * Keras 3's image augmentation layers in training (`RandomFlip`, `RandomRotation`, `RandomZoom`,
 * `RandomTranslation`, `RandomContrast`, `RandomBrightness`; Keras 3.15's
 * `image_preprocessing/random_*.py`): per image a random draw (`drawAugmentation`, Keras's
 * `get_random_transformation` with layerspec's random stream), the transform of the batch
 * (`augmentImages`, Keras's `transform_images`) and its vector-Jacobian product.
 *
 * - Flip: per image flipped where a uniform draw ≤ 0.5; `horizontal_and_vertical` flips both axes
 *   with the one draw (as Keras 3 does).
 * - Rotation / zoom / translation: a projective transform per image (8 numbers, output → input
 *   coordinates, Keras's `_compute_affine_matrix`, `_get_zoom_matrix`, `_get_translation_matrix`),
 *   sampled as TensorFlow's `ImageProjectiveTransformV3` samples (Keras's TensorFlow backend): pixel
 *   centres on integer coordinates, the fill mode mapping a coordinate back into the image (`reflect`
 *   about the edge pixels' outer edges, `wrap`, `nearest` clamping, `constant` leaving it outside),
 *   nearest as round-half-away, bilinear from the four neighbours, every point outside the image the
 *   fill value; float32 arithmetic in TensorFlow's order.
 * - Contrast: `(x − mean)·f + mean` with the per-image, per-channel spatial mean, clipped to
 *   `value_range`; brightness: `x + δ·(hi − lo)`, clipped.
 *
 * Images are NHWC or NCHW (`ImageLayout`). The backward of each is exact: a flip reverses the gradient,
 * the samplers scatter it with their weights (a fill value gets none), the clips pass it inside
 * `[lo, hi]` (bounds included, as TensorFlow's clip_by_value gradient), the contrast adds the mean's
 * share. Values are rounded to float32 after each operation for a float32 model (as TensorFlow
 * computes) and kept in float64 for a float64 one; coordinates and sampling weights are float32 always
 * (Keras's transforms are float32).
 */
import type { Stream } from '../numerics/random.js'
import type { FloatArray } from '../numerics/FloatArray.js'

const f = Math.fround

/** Image geometry of a batch: rows × cols × channels, channels last (NHWC) or first (NCHW). */
export interface ImageLayout {
  readonly rows: number
  readonly cols: number
  readonly channels: number
  readonly channelsFirst: boolean
}

/** A fill mode of the projective layers. */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest'

/** What an augmentation layer does to a batch, with the numbers Keras draws per image. */
export type Augmentation =
  | { readonly kind: 'flip'; readonly horizontal: boolean; readonly vertical: boolean; readonly flips: ReadonlyArray<boolean> }
  | {
      readonly kind: 'projective'
      /** 8 numbers per image: `[a0, a1, a2, b0, b1, b2, c0, c1]` (output (x, y) → input). */
      readonly transforms: Float32Array
      readonly interpolation: 'nearest' | 'bilinear'
      readonly fillMode: FillMode
      readonly fillValue: number
    }
  | { readonly kind: 'contrast'; readonly factors: ReadonlyArray<number>; readonly range: readonly [number, number] }
  | { readonly kind: 'brightness'; readonly deltas: ReadonlyArray<number>; readonly range: readonly [number, number] }

// -------------------------------------------------------------------------------------
// matrices (Keras 3's, in float32)
// -------------------------------------------------------------------------------------

/** Keras 3's rotation matrix of `angle` degrees about the image centre `((w − 1)/2, (h − 1)/2)`. */
export const rotationMatrix = (angle: number, rows: number, cols: number): readonly number[] => {
  const theta = f(f(angle) * f(Math.PI / 180))
  const cos = f(Math.cos(theta))
  const sin = f(Math.sin(theta))
  const cx = f(0.5 * f(cols - 1))
  const cy = f(0.5 * f(rows - 1))
  const a0 = cos
  const a1 = f(-sin)
  const b0 = sin
  const b1 = cos
  const a2 = f(f(cx - f(cx * a0)) - f(cy * a1))
  const b2 = f(f(cy - f(cx * b0)) - f(cy * b1))
  return [a0, a1, a2, b0, b1, b2, 0, 0]
}

/** Keras 3's zoom matrix: scale `zx`, `zy` about the image centre. */
export const zoomMatrix = (zx: number, zy: number, rows: number, cols: number): readonly number[] => [
  f(zx),
  0,
  f(f(f(f(cols) - 1) / 2) * f(1 - f(zx))),
  0,
  f(zy),
  f(f(f(f(rows) - 1) / 2) * f(1 - f(zy))),
  0,
  0
]

/** Keras 3's translation matrix: the image moved by `dx`, `dy` pixels. */
export const translationMatrix = (dx: number, dy: number): readonly number[] => [1, 0, f(-dx), 0, 1, f(-dy), 0, 0]

// -------------------------------------------------------------------------------------
// draws
// -------------------------------------------------------------------------------------

/** A Keras augmentation layer's spec fields read here (the layer specs of src/layers/elementwise/augmentation.ts). */
export type AugmentationSpec =
  | { readonly className: 'RandomFlip'; readonly mode: 'horizontal' | 'vertical' | 'horizontal_and_vertical' }
  | { readonly className: 'RandomRotation'; readonly factor: readonly [number, number]; readonly fillMode: FillMode; readonly interpolation: 'nearest' | 'bilinear'; readonly fillValue: number }
  | {
      readonly className: 'RandomZoom'
      readonly heightFactor: readonly [number, number]
      readonly widthFactor: readonly [number, number] | null
      readonly fillMode: FillMode
      readonly interpolation: 'nearest' | 'bilinear'
      readonly fillValue: number
    }
  | {
      readonly className: 'RandomTranslation'
      readonly heightFactor: readonly [number, number]
      readonly widthFactor: readonly [number, number]
      readonly fillMode: FillMode
      readonly interpolation: 'nearest' | 'bilinear'
      readonly fillValue: number
    }
  | { readonly className: 'RandomContrast'; readonly factor: readonly [number, number]; readonly valueRange: readonly [number, number] }
  | { readonly className: 'RandomBrightness'; readonly factor: readonly [number, number]; readonly valueRange: readonly [number, number] }

/** A float32 uniform draw in [lo, hi) from `u`. */
const uniform = (u: Stream, lo: number, hi: number): number => f(f(lo) + f(f(f(hi) - f(lo)) * f(u())))

/**
 * The numbers Keras 3's `get_random_transformation` draws, under its names (per image): `flips` (1
 * flip, 0 not), `angle` (degrees), `height_zoom` / `width_zoom`, `translations` (`[dx, dy]` per image,
 * pixels), `contrast_factor`, `rgb_delta`.
 */
export type AugmentationDraws = Readonly<Record<string, ReadonlyArray<number>>>

/**
 * The draws of one training call for `batch` images (Keras 3's `get_random_transformation`: each
 * quantity drawn for every image in turn, from layerspec's stream `u`).
 */
export const drawAugmentation = (spec: AugmentationSpec, batch: number, layout: ImageLayout, u: Stream): AugmentationDraws => {
  const per = (fn: () => number): number[] => Array.from({ length: batch }, fn)
  switch (spec.className) {
    case 'RandomFlip':
      return { flips: per(() => (u() <= 0.5 ? 1 : 0)) }
    case 'RandomRotation':
      return { angle: per(() => uniform(u, f(spec.factor[0] * 360), f(spec.factor[1] * 360))) }
    case 'RandomZoom': {
      const hz = per(() => uniform(u, 1 + spec.heightFactor[0], 1 + spec.heightFactor[1]))
      const w = spec.widthFactor
      return { height_zoom: hz, width_zoom: w === null ? hz : per(() => uniform(u, 1 + w[0], 1 + w[1])) }
    }
    case 'RandomTranslation': {
      const dy = per(() => f(uniform(u, spec.heightFactor[0], spec.heightFactor[1]) * layout.rows))
      const dx = per(() => f(uniform(u, spec.widthFactor[0], spec.widthFactor[1]) * layout.cols))
      return { translations: dx.flatMap((x, n) => [x, dy[n] as number]) }
    }
    case 'RandomContrast':
      return { contrast_factor: per(() => uniform(u, 1 - spec.factor[0], 1 + spec.factor[1])) }
    case 'RandomBrightness': {
      const span = f(spec.valueRange[1] - spec.valueRange[0])
      return { rgb_delta: per(() => f(uniform(u, spec.factor[0], spec.factor[1]) * span)) }
    }
  }
}

/** The transform of a layer given its draws (Keras's `transform_images` given a transformation). */
export const augmentationOf = (spec: AugmentationSpec, layout: ImageLayout, draws: AugmentationDraws): Augmentation => {
  const get = (k: string): ReadonlyArray<number> => {
    const v = draws[k]
    if (v === undefined) throw new TypeError(`augmentationOf: ${spec.className} needs the draw "${k}"`)
    return v
  }
  const projective = (mats: ReadonlyArray<readonly number[]>, s: { readonly interpolation: 'nearest' | 'bilinear'; readonly fillMode: FillMode; readonly fillValue: number }): Augmentation => {
    const transforms = new Float32Array(8 * mats.length)
    mats.forEach((m, n) => transforms.set(m, 8 * n))
    return { kind: 'projective', transforms, interpolation: s.interpolation, fillMode: s.fillMode, fillValue: s.fillValue }
  }
  switch (spec.className) {
    case 'RandomFlip':
      return { kind: 'flip', horizontal: spec.mode !== 'vertical', vertical: spec.mode !== 'horizontal', flips: get('flips').map((v) => v !== 0) }
    case 'RandomRotation':
      return projective(
        get('angle').map((a) => rotationMatrix(a, layout.rows, layout.cols)),
        spec
      )
    case 'RandomZoom': {
      const wz = get('width_zoom')
      return projective(
        get('height_zoom').map((zy, n) => zoomMatrix(wz[n] as number, zy, layout.rows, layout.cols)),
        spec
      )
    }
    case 'RandomTranslation': {
      const t = get('translations')
      return projective(
        Array.from({ length: t.length / 2 }, (_, n) => translationMatrix(t[2 * n] as number, t[2 * n + 1] as number)),
        spec
      )
    }
    case 'RandomContrast':
      return { kind: 'contrast', factors: get('contrast_factor'), range: spec.valueRange }
    case 'RandomBrightness':
      return { kind: 'brightness', deltas: get('rgb_delta'), range: spec.valueRange }
  }
}

// -------------------------------------------------------------------------------------
// sampling (TensorFlow's ImageProjectiveTransformV3)
// -------------------------------------------------------------------------------------

/** A coordinate mapped into `[0, len − 1]` by the fill mode (constant: unchanged). */
const mapCoordinate = (mode: FillMode, c: number, len: number): number => {
  switch (mode) {
    case 'constant':
      return c
    case 'nearest':
      return Math.min(Math.max(c, 0), len - 1)
    case 'reflect': {
      let v = c
      if (v < 0) {
        if (len <= 1) v = 0
        else {
          const sz2 = 2 * len
          if (v < sz2) v = f(sz2 * Math.trunc(-v / sz2) + v)
          v = v < -len ? f(v + sz2) : f(-v - 1)
        }
      } else if (v > len - 1) {
        if (len <= 1) v = 0
        else {
          const sz2 = 2 * len
          v = f(v - sz2 * Math.trunc(v / sz2))
          if (v >= len) v = f(sz2 - v - 1)
        }
      }
      return Math.min(Math.max(v, 0), len - 1)
    }
    case 'wrap': {
      let v = c
      if (v < 0) {
        if (len <= 1) v = 0
        else {
          const sz = len - 1
          v = f(v + len * (Math.trunc(-v / sz) + 1))
        }
      } else if (v > len - 1) {
        if (len <= 1) v = 0
        else {
          const sz = len - 1
          v = f(v - len * Math.trunc(v / sz))
        }
      }
      return Math.min(Math.max(v, 0), len - 1)
    }
  }
}

/** C's `round` (half away from zero). */
const roundHalfAway = (v: number): number => (v < 0 ? -Math.round(-v) : Math.round(v))

/**
 * The sampling plan of a projective transform: per image and output pixel, four input pixels (index
 * in the image, or −1 outside it: the fill value) and the four bilinear factors `(x_ceil − x,
 * x − x_floor, y_ceil − y, y − y_floor)` (nearest: one pixel, factors 1, 0, 1, 0).
 */
interface Samples {
  readonly at: Int32Array
  readonly w: FloatArray
}

const plan = (a: Extract<Augmentation, { kind: 'projective' }>, batch: number, L: ImageLayout, at: Int32Array, w: FloatArray): Samples => {
  const H = L.rows
  const W = L.cols
  const inside = (y: number, x: number): number => (y >= 0 && y < H && x >= 0 && x < W ? y * W + x : -1)
  for (let n = 0; n < batch; n++) {
    const t = a.transforms.subarray(8 * n, 8 * n + 8)
    const [t0, t1, t2, t3, t4, t5, t6, t7] = t as unknown as [number, number, number, number, number, number, number, number]
    for (let oy = 0; oy < H; oy++) {
      for (let ox = 0; ox < W; ox++) {
        const k = 4 * ((n * H + oy) * W + ox)
        const projection = f(f(f(t6 * ox) + f(t7 * oy)) + 1)
        if (projection === 0) {
          at.fill(-1, k, k + 4)
          w.set([1, 0, 1, 0], k)
          continue
        }
        const ix = f(f(f(f(t0 * ox) + f(t1 * oy)) + t2) / projection)
        const iy = f(f(f(f(t3 * ox) + f(t4 * oy)) + t5) / projection)
        const x = mapCoordinate(a.fillMode, ix, W)
        const y = mapCoordinate(a.fillMode, iy, H)
        if (a.interpolation === 'nearest') {
          at[k] = Number.isFinite(x) && Number.isFinite(y) ? inside(roundHalfAway(y), roundHalfAway(x)) : -1
          at[k + 1] = -1
          at[k + 2] = -1
          at[k + 3] = -1
          w.set([1, 0, 1, 0], k)
          continue
        }
        const yf = Math.floor(y)
        const xf = Math.floor(x)
        const yc = yf + 1
        const xc = xf + 1
        at[k] = inside(yf, xf)
        at[k + 1] = inside(yf, xc)
        at[k + 2] = inside(yc, xf)
        at[k + 3] = inside(yc, xc)
        w[k] = f(xc - x)
        w[k + 1] = f(x - xf)
        w[k + 2] = f(yc - y)
        w[k + 3] = f(y - yf)
      }
    }
  }
  return { at, w }
}

// -------------------------------------------------------------------------------------
// transforms
// -------------------------------------------------------------------------------------

/** Element index of (image n, pixel p = y·W + x, channel c). */
const indexer = (L: ImageLayout): ((n: number, p: number, c: number) => number) => {
  const P = L.rows * L.cols
  const C = L.channels
  return L.channelsFirst ? (n, p, c) => (n * C + c) * P + p : (n, p, c) => (n * P + p) * C + c
}

/** Scratch a transform keeps for its backward (the sampling plan of a projective one, sized `4·batch·rows·cols`). */
export interface AugmentScratch {
  readonly at: Int32Array
  readonly w: FloatArray
}

/**
 * The training-mode transform of `batch` images `x` (layout `L`) into `out`, and its backward
 * (`dy` → `dx`, both of the images' size; `dx` is written whole). `scratch` (projective layers only)
 * holds the sampling plan between the two.
 * @category training
 */
export const augmentImages = (
  a: Augmentation,
  batch: number,
  L: ImageLayout,
  x: FloatArray,
  out: FloatArray,
  scratch: AugmentScratch,
  dtype: 'float32' | 'float64' = 'float32'
): ((dy: FloatArray, dx: FloatArray) => FloatArray) => {
  const r: (v: number) => number = dtype === 'float32' ? f : (v) => v
  const P = L.rows * L.cols
  const C = L.channels
  const at = indexer(L)
  const W = L.cols
  const H = L.rows
  switch (a.kind) {
    case 'flip': {
      // source pixel of output pixel p in image n
      const src = (n: number, p: number): number => {
        if (a.flips[n] !== true) return p
        const y = Math.floor(p / W)
        const xx = p % W
        return (a.vertical ? H - 1 - y : y) * W + (a.horizontal ? W - 1 - xx : xx)
      }
      const move = (from: FloatArray, to: FloatArray): FloatArray => {
        for (let n = 0; n < batch; n++) for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) to[at(n, p, c)] = from[at(n, src(n, p), c)] as number
        return to
      }
      move(x, out)
      // a flip is its own inverse: the gradient moves back the same way
      return (dy, dx) => move(dy, dx)
    }
    case 'projective': {
      const s = plan(a, batch, L, scratch.at, scratch.w)
      const fill = r(a.fillValue)
      const read = (n: number, i: number, c: number): number => (i < 0 ? fill : (x[at(n, i, c)] as number))
      for (let n = 0; n < batch; n++) {
        for (let p = 0; p < P; p++) {
          const k = 4 * (n * P + p)
          const [w0, w1, w2, w3] = [s.w[k] as number, s.w[k + 1] as number, s.w[k + 2] as number, s.w[k + 3] as number]
          for (let c = 0; c < C; c++) {
            if (a.interpolation === 'nearest') {
              out[at(n, p, c)] = read(n, s.at[k] as number, c)
              continue
            }
            const top = r(r(w0 * read(n, s.at[k] as number, c)) + r(w1 * read(n, s.at[k + 1] as number, c)))
            const bottom = r(r(w0 * read(n, s.at[k + 2] as number, c)) + r(w1 * read(n, s.at[k + 3] as number, c)))
            out[at(n, p, c)] = r(r(w2 * top) + r(w3 * bottom))
          }
        }
      }
      return (dy, dx) => {
        dx.fill(0)
        for (let n = 0; n < batch; n++) {
          for (let p = 0; p < P; p++) {
            const k = 4 * (n * P + p)
            for (let c = 0; c < C; c++) {
              const d = dy[at(n, p, c)] as number
              if (a.interpolation === 'nearest') {
                const i = s.at[k] as number
                if (i >= 0) dx[at(n, i, c)] = (dx[at(n, i, c)] as number) + d
                continue
              }
              const wy = [s.w[k + 2] as number, s.w[k + 2] as number, s.w[k + 3] as number, s.w[k + 3] as number]
              const wx = [s.w[k] as number, s.w[k + 1] as number, s.w[k] as number, s.w[k + 1] as number]
              for (let q = 0; q < 4; q++) {
                const i = s.at[k + q] as number
                if (i >= 0) dx[at(n, i, c)] = (dx[at(n, i, c)] as number) + (wy[q] as number) * (wx[q] as number) * d
              }
            }
          }
        }
        return dx
      }
    }
    case 'contrast': {
      const [lo, hi] = [r(a.range[0]), r(a.range[1])]
      const means = new Float64Array(batch * C)
      for (let n = 0; n < batch; n++) {
        for (let c = 0; c < C; c++) {
          let sum = 0
          for (let p = 0; p < P; p++) sum += x[at(n, p, c)] as number
          const mean = r(sum / P)
          means[n * C + c] = mean
          const fac = r(a.factors[n] as number)
          for (let p = 0; p < P; p++) {
            const i = at(n, p, c)
            const v = r(r(r((x[i] as number) - mean) * fac) + mean)
            out[i] = Math.min(Math.max(v, lo), hi)
          }
        }
      }
      // the pre-clip value is recomputed for the mask: y = (x − m)·f + m, dy/dx_j = f + (1 − f)/P summed over the image
      return (dy, dx) => {
        for (let n = 0; n < batch; n++) {
          const fac = r(a.factors[n] as number)
          for (let c = 0; c < C; c++) {
            const mean = means[n * C + c] as number
            let shared = 0
            for (let p = 0; p < P; p++) {
              const i = at(n, p, c)
              const v = r(r(r((x[i] as number) - mean) * fac) + mean)
              const g = v >= lo && v <= hi ? (dy[i] as number) : 0
              dx[i] = fac * g
              shared += g
            }
            const add = ((1 - fac) * shared) / P
            for (let p = 0; p < P; p++) {
              const i = at(n, p, c)
              dx[i] = (dx[i] as number) + add
            }
          }
        }
        return dx
      }
    }
    case 'brightness': {
      const [lo, hi] = [r(a.range[0]), r(a.range[1])]
      for (let n = 0; n < batch; n++) {
        const d = r(a.deltas[n] as number)
        for (let p = 0; p < P; p++) {
          for (let c = 0; c < C; c++) {
            const i = at(n, p, c)
            out[i] = Math.min(Math.max(r((x[i] as number) + d), lo), hi)
          }
        }
      }
      return (dy, dx) => {
        for (let n = 0; n < batch; n++) {
          const d = r(a.deltas[n] as number)
          for (let p = 0; p < P; p++) {
            for (let c = 0; c < C; c++) {
              const i = at(n, p, c)
              const v = r((x[i] as number) + d)
              dx[i] = v >= lo && v <= hi ? (dy[i] as number) : 0
            }
          }
        }
        return dx
      }
    }
  }
}
