/**
 * ZeroPadding1D / ZeroPadding3D and Cropping1D / Cropping3D: add zeros around, or cut off, the spatial
 * axes (conv-family reference §2, §8, §10, §15).
 *
 * - 1-D: an int `n` → `(n, n)`, or a pair `(before, after)`; default 1 each side for both layers.
 *   ZeroPadding1D has `data_format` only in Keras ≥ 3.5 (NWC or NCW; tf.keras 2.x's has none and pads
 *   axis 1); Cropping1D has none in any version (axis 1 of NWC `(batch, steps, C)`).
 * - 3-D: an int → all six sides; a list of 3 entries, each an int or a pair, mixed forms allowed; the
 *   stored form is the nested pairs `[[front, back], [top, bottom], [left, right]]` Keras writes.
 *   Default 1 each side (tf.keras writes ZeroPadding3D's default as `(1, 1, 1)`, the same meaning).
 *   `data_format` NDHWC / NCDHW in both dialects.
 * - Amounts are integers ≥ 0 (Keras rejects negative tuple entries; a negative bare int passes
 *   ZeroPadding3D's constructor and tf.keras's Cropping3D, and fails later: refused here too).
 * - Cropping that leaves a known axis with no element (`n − before − after ≤ 0`, Keras 3's check;
 *   `cropAxisProblem`) is an error at `cropping`. Unknown (`null`) lengths stay unknown.
 *
 * Kernels: padding.ts's `shiftCopy` through spatialNd.ts's views — a 1-D sample is a one-row image
 * shifted along its cols; a 3-D sample is a stack of 2-D images (one per depth slice, and per channel
 * in NCDHW), each shifted over rows × cols into its output slice.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional } from '../../core/KerasObject.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import { cropAxis, cropAxisProblem, padAxis } from '../../geometry/Axis.js'
import { allocate, type FloatArray, type FloatDType } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { dataFormatField, inferKnown } from './common.js'
import { shiftCopy } from './padding.js'
import { lineImage, sides3Codec, sidesCodec, spatialAxes, spatialAxisName, splitShape, volumePlanes, type Sides, type Sides3, type SpatialRank } from './spatialNd.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized ZeroPadding1D layer: input NWC `(batch, steps, C)` or NCW (Keras ≥ 3.5's
 * `data_format`; always NWC for tf.keras 2.x).
 * @category model
 */
export interface ZeroPadding1DSpec extends BaseLayerSpec {
  readonly className: 'ZeroPadding1D'
  /** `[before, after]` zeros along the steps. */
  readonly padding: Sides
  readonly dataFormat: DataFormat
}

/**
 * A normalized Cropping1D layer: input NWC `(batch, steps, C)` (no data format in any Keras).
 * @category model
 */
export interface Cropping1DSpec extends BaseLayerSpec {
  readonly className: 'Cropping1D'
  /** `[before, after]` steps removed. */
  readonly cropping: Sides
}

/**
 * A normalized ZeroPadding3D layer: input NDHWC or NCDHW.
 * @category model
 */
export interface ZeroPadding3DSpec extends BaseLayerSpec {
  readonly className: 'ZeroPadding3D'
  /** `[[front, back], [top, bottom], [left, right]]` zeros. */
  readonly padding: Sides3
  readonly dataFormat: DataFormat
}

/**
 * A normalized Cropping3D layer: input NDHWC or NCDHW.
 * @category model
 */
export interface Cropping3DSpec extends BaseLayerSpec {
  readonly className: 'Cropping3D'
  /** `[[front, back], [top, bottom], [left, right]]` removed. */
  readonly cropping: Sides3
  readonly dataFormat: DataFormat
}

// -------------------------------------------------------------------------------------
// shape inference
// -------------------------------------------------------------------------------------

/** Output shape of padding (`sign` 1) or cropping (`sign` −1) by `sides` along the spatial axes; a crop leaving nothing is an error at `key`. */
const inferSides = (
  className: string,
  rank: SpatialRank,
  dataFormat: DataFormat,
  sides: ReadonlyArray<Sides>,
  sign: 1 | -1,
  key: string,
  inputs: ReadonlyArray<SymbolicShape>
) =>
  pipe(
    singleInput(className, inputs, rank + 2),
    E.chain((input) => {
      const out = [...input]
      const errors: SpecError[] = []
      spatialAxes(rank, dataFormat).spatial.forEach((axis, i) => {
        const n = input[axis] ?? null
        const [before, after] = sides[i] as Sides
        if (n === null) {
          out[axis] = null
          return
        }
        if (sign === 1) {
          out[axis] = padAxis(n, before, after)
          return
        }
        const problem = cropAxisProblem(n, before, after)
        if (problem !== undefined) {
          errors.push(
            specError(
              key,
              `the ${spatialAxisName(rank, i)} axis: ${problem} (input ${showShape(input)}); expected ${key} before + after < ${n} there (Keras 3 refuses a crop that leaves nothing)`
            )
          )
        }
        out[axis] = cropAxis(n, before, after)
      })
      return errors.length > 0 ? E.left(errors) : E.right({ outputShape: out, weights: [] })
    })
  )

const inferZeroPadding1D = (spec: ZeroPadding1DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  inferSides('ZeroPadding1D', 1, spec.dataFormat, [spec.padding], 1, 'padding', inputs)
const inferCropping1D = (spec: Cropping1DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  inferSides('Cropping1D', 1, 'channels_last', [spec.cropping], -1, 'cropping', inputs)
const inferZeroPadding3D = (spec: ZeroPadding3DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  inferSides('ZeroPadding3D', 3, spec.dataFormat, spec.padding, 1, 'padding', inputs)
const inferCropping3D = (spec: Cropping3DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  inferSides('Cropping3D', 3, spec.dataFormat, spec.cropping, -1, 'cropping', inputs)

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

/**
 * Copies each of `batch` 3-D samples (`inSpatial` `[D, H, W]` × `channels`, NDHWC / NCDHW) into the
 * output samples (`outSpatial`), the output's origin shifted by `offsets` `[depth, rows, cols]`
 * (positive: padding; negative: cropping), slice by slice with `shiftCopy`; the rest of `out` is left
 * as it is (zero when freshly allocated).
 * @category kernels
 */
export const shiftVolume = (
  x: FloatArray,
  out: FloatArray,
  batch: number,
  dataFormat: DataFormat,
  inSpatial: ReadonlyArray<number>,
  outSpatial: ReadonlyArray<number>,
  channels: number,
  [od, oh, ow]: ReadonlyArray<number>
): void => {
  const planesIn = volumePlanes(dataFormat, inSpatial, channels)
  const planesOut = volumePlanes(dataFormat, outSpatial, channels)
  const D = inSpatial[0] as number
  const Dout = outSpatial[0] as number
  const shift = od ?? 0
  // one group of D slices per sample (NDHWC) or per sample and channel (NCDHW)
  const groups = (batch * planesIn.count) / D
  const d0 = Math.max(0, -shift)
  const d1 = Math.min(D, Dout - shift)
  const inSize = planesIn.image.size
  const outSize = planesOut.image.size
  for (let g = 0; g < groups; g++) {
    for (let d = d0; d < d1; d++) {
      const i = (g * D + d) * inSize
      const o = (g * Dout + d + shift) * outSize
      shiftCopy(x.subarray(i, i + inSize), out.subarray(o, o + outSize), 1, planesIn.image, planesOut.image, oh ?? 0, ow ?? 0)
    }
  }
}

/** A compiled padding or cropping: the forward for per-sample `shape` shifted by `offsets` (spatial order). */
const shiftCompiled = (
  rank: SpatialRank,
  dataFormat: DataFormat,
  shape: ReadonlyArray<number>,
  outputShape: ReadonlyArray<number>,
  offsets: ReadonlyArray<number>,
  dtype: FloatDType
) => {
  const { spatial, channels } = splitShape(dataFormat, shape)
  const outSpatial = splitShape(dataFormat, outputShape).spatial
  const size = outputShape.reduce((a, b) => a * b, 1)
  return {
    outputShape,
    weights: [],
    forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
      const x = xs[0] as Tensor
      const batch = x.shape[0] as number
      const out = allocate(dtype, batch * size)
      if (rank === 1) {
        const inL = lineImage(dataFormat, spatial[0] as number, channels)
        const outL = lineImage(dataFormat, outSpatial[0] as number, channels)
        shiftCopy(x.data, out, batch, inL, outL, 0, offsets[0] as number)
      } else {
        shiftVolume(x.data, out, batch, dataFormat, spatial, outSpatial, channels, offsets)
      }
      return { shape: [batch, ...outputShape], data: out }
    }
  }
}

// -------------------------------------------------------------------------------------
// layer kinds
// -------------------------------------------------------------------------------------

const ONE_EACH_SIDE: Sides = [1, 1]
const ONE_EACH_SIDE_3: Sides3 = [
  [1, 1],
  [1, 1],
  [1, 1]
]

const ZERO_PADDING_1D_DATA_FORMAT =
  '"data_format" is a ZeroPadding1D argument of Keras ≥ 3.5 only: tf.keras 2.x\'s ZeroPadding1D has none (it always pads axis 1 of (batch, steps, channels)) and raises "Keyword argument not understood"; read the file as keras3, or remove the key'

/**
 * ZeroPadding1D: NWC `(batch, steps, C)` (or NCW, Keras ≥ 3.5) → steps + before + after, zeros added.
 * @category layers
 */
export const ZeroPadding1DKind: LayerKind<ZeroPadding1DSpec> = {
  className: 'ZeroPadding1D',
  aliases: [],
  arity: 'single',
  codec: (o) =>
    layerCodec<ZeroPadding1DSpec>('ZeroPadding1D')(
      (oo) => ({ padding: optional(sidesCodec('padding'), ONE_EACH_SIDE), ...(oo.dialect === 'keras3' ? { data_format: dataFormatField(oo) } : {}) }),
      (c) => ({ padding: c.padding, dataFormat: (c as { readonly data_format?: DataFormat }).data_format ?? 'channels_last' }),
      // tf.keras has no data_format: a keras2 spec is NWC, unless converted from a keras3 NCW one, which
      // keeps its data_format so that the keras2 decoder refuses it rather than read it as NWC
      (s, dialect) => ({ padding: [...s.padding], ...(dialect === 'keras3' || s.dataFormat === 'channels_first' ? { data_format: s.dataFormat } : {}) }),
      { explained: o.dialect === 'keras2' ? { data_format: ZERO_PADDING_1D_DATA_FORMAT } : {} }
    )(o),
  infer: inferZeroPadding1D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferZeroPadding1D, spec, inputs),
      E.map(({ outputShape }) => shiftCompiled(1, spec.dataFormat, inputs[0] ?? [], outputShape, [spec.padding[0]], options.dtype))
    )
}

/**
 * Cropping1D: NWC `(batch, steps, C)` → steps − before − after.
 * @category layers
 */
export const Cropping1DKind: LayerKind<Cropping1DSpec> = {
  className: 'Cropping1D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<Cropping1DSpec>('Cropping1D')(
    () => ({ cropping: optional(sidesCodec('cropping'), ONE_EACH_SIDE) }),
    (c) => ({ cropping: c.cropping }),
    (s) => ({ cropping: [...s.cropping] }),
    {
      explained: {
        data_format: 'Cropping1D has no data_format argument in any Keras version (it always crops axis 1 of (batch, steps, channels)); remove the key'
      }
    }
  ),
  infer: inferCropping1D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferCropping1D, spec, inputs),
      E.map(({ outputShape }) => shiftCompiled(1, 'channels_last', inputs[0] ?? [], outputShape, [-spec.cropping[0]], options.dtype))
    )
}

const encodeSides3 = (p: Sides3): number[][] => p.map((s) => [s[0], s[1]])

/**
 * ZeroPadding3D: NDHWC / NCDHW, zeros added before and after depth, rows and cols.
 * @category layers
 */
export const ZeroPadding3DKind: LayerKind<ZeroPadding3DSpec> = {
  className: 'ZeroPadding3D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<ZeroPadding3DSpec>('ZeroPadding3D')(
    (o) => ({ padding: optional(sides3Codec('padding'), ONE_EACH_SIDE_3), data_format: dataFormatField(o) }),
    (c) => ({ padding: c.padding, dataFormat: c.data_format }),
    (s) => ({ padding: encodeSides3(s.padding), data_format: s.dataFormat })
  ),
  infer: inferZeroPadding3D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferZeroPadding3D, spec, inputs),
      E.map(({ outputShape }) => shiftCompiled(3, spec.dataFormat, inputs[0] ?? [], outputShape, spec.padding.map((s) => s[0]), options.dtype))
    )
}

/**
 * Cropping3D: NDHWC / NCDHW, depth, rows and cols cut before and after.
 * @category layers
 */
export const Cropping3DKind: LayerKind<Cropping3DSpec> = {
  className: 'Cropping3D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<Cropping3DSpec>('Cropping3D')(
    (o) => ({ cropping: optional(sides3Codec('cropping'), ONE_EACH_SIDE_3), data_format: dataFormatField(o) }),
    (c) => ({ cropping: c.cropping, dataFormat: c.data_format }),
    (s) => ({ cropping: encodeSides3(s.cropping), data_format: s.dataFormat })
  ),
  infer: inferCropping3D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferCropping3D, spec, inputs),
      E.map(({ outputShape }) => shiftCompiled(3, spec.dataFormat, inputs[0] ?? [], outputShape, spec.cropping.map((s) => -s[0]), options.dtype))
    )
}
