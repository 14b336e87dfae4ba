/**
 * UpSampling1D and UpSampling3D: nearest-neighbour repetition only (conv-family reference §10): each
 * element repeated `size` times consecutively along each spatial axis (`[a, b]` → `[a, a, b, b]`;
 * Keras 3 calls `ops.repeat`, tf.keras 2.x `repeat_elements` / `resize_volumes`).
 *
 * - UpSampling1D: `size` one integer > 0 (default 2), no `data_format` in any Keras version: axis 1 of
 *   NWC `(batch, steps, C)`. Keras ≥ 3.15 rejects a non-integer (`Expected an integer value for size`)
 *   and a size ≤ 0; Keras ≤ 3.14 and tf.keras 2.x call `int(size)` (floats truncated, no positivity
 *   check): layerspec takes a positive integer in both dialects.
 * - UpSampling3D: `size` an int or 3 ints > 0 (default `(2, 2, 2)`), `data_format` (NDHWC / NCDHW; `null`
 *   or missing the image data format option).
 *
 * Kernels: UpSampling2D.ts's `repeatNearest` through spatialNd.ts's views — a 1-D sample is a one-row
 * image repeated along its cols; a 3-D sample's depth slices are repeated over rows × cols, then the
 * column view is repeated along depth.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { optional } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { PositiveInt, positiveIntProblem } from '../../core/PositiveInt.js'
import type { Tensor } from '../../core/Tensor.js'
import type { Dialect } from '../../codec/Dialect.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import { upsampleAxis } from '../../geometry/Axis.js'
import { allocate, type FloatArray, type FloatDType } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { dataFormatField, inferKnown } from './common.js'
import { lineImage, positiveTuple, spatialAxes, splitShape, volumeDepth, volumePlanes, type Triple } from './spatialNd.js'
import { repeatNearest } from './UpSampling2D.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized UpSampling1D layer: input NWC `(batch, steps, C)` → `(batch, steps · size, C)`.
 * @category model
 */
export interface UpSampling1DSpec extends BaseLayerSpec {
  readonly className: 'UpSampling1D'
  /** How many times each step is repeated. */
  readonly size: PositiveInt
}

/**
 * A normalized UpSampling3D layer: input NDHWC / NCDHW, each spatial axis multiplied by its factor.
 * @category model
 */
export interface UpSampling3DSpec extends BaseLayerSpec {
  readonly className: 'UpSampling3D'
  /** `[depth, rows, cols]` factors. */
  readonly size: Triple
  readonly dataFormat: DataFormat
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/** UpSampling1D's `size`: one positive integer (Keras ≥ 3.15's check; older Kerases call `int()`). */
const upSampling1DSize = (dialect: Dialect): t.Type<PositiveInt, number, unknown> =>
  new t.Type<PositiveInt, number, unknown>(
    'a positive integer',
    PositiveInt.is,
    (u, c) => {
      const problem = positiveIntProblem(u)
      if (problem === undefined) return t.success(u as PositiveInt)
      const why =
        listItems(u) !== undefined
          ? ': UpSampling1D takes one integer, not a list (unlike UpSampling2D / UpSampling3D)'
          : typeof u === 'number' && Number.isFinite(u) && !Number.isInteger(u)
            ? dialect === 'keras2'
              ? ' (tf.keras 2.x would truncate it with int(); write the integer)'
              : ' (Keras ≥ 3.15 raises "Expected an integer value for size")'
            : ''
      return t.failure(u, c, `expected size to be a positive integer (how many times each step is repeated), ${problem}${why}`)
    },
    (a) => a
  )

const noDataFormat = (className: string, what: string): Readonly<Record<string, string>> => ({
  data_format: `${className} has no data_format argument in any Keras version (it always ${what} axis 1 of (batch, steps, channels)); remove the key`
})

// -------------------------------------------------------------------------------------
// shape inference
// -------------------------------------------------------------------------------------

const inferUpSampling1D = (spec: UpSampling1DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('UpSampling1D', inputs, 3),
    E.map((input) => {
      const steps = input[1] ?? null
      return { outputShape: [input[0] ?? null, steps === null ? null : upsampleAxis(steps, spec.size), input[2] ?? null], weights: [] }
    })
  )

const inferUpSampling3D = (spec: UpSampling3DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('UpSampling3D', inputs, 5),
    E.map((input) => {
      const out = [...input]
      spatialAxes(3, spec.dataFormat).spatial.forEach((axis, i) => {
        const n = input[axis] ?? null
        out[axis] = n === null ? null : upsampleAxis(n, spec.size[i] as number)
      })
      return { outputShape: out, weights: [] }
    })
  )

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

/**
 * Nearest upsampling of `batch` 3-D samples `[D, H, W]` × `channels` (NDHWC / NCDHW) by `[fd, fh, fw]`:
 * every depth slice repeated over rows × cols into a buffer of `dtype`, then the column view repeated
 * along depth into `out`.
 * @category kernels
 */
export const repeatVolume = (
  x: ArrayLike<number>,
  out: FloatArray,
  batch: number,
  dataFormat: DataFormat,
  spatial: ReadonlyArray<number>,
  channels: number,
  [fd, fh, fw]: ReadonlyArray<number>,
  dtype: FloatDType
): void => {
  const [D, H, W] = spatial as [number, number, number]
  const mid = [D, upsampleAxis(H, fh ?? 1), upsampleAxis(W, fw ?? 1)]
  const planesIn = volumePlanes(dataFormat, spatial, channels)
  const planesOut = volumePlanes(dataFormat, mid, channels)
  const slices = allocate(dtype, batch * planesIn.count * planesOut.image.size)
  repeatNearest(x, slices, batch * planesIn.count, planesIn.image, planesOut.image, fh ?? 1, fw ?? 1)
  const depthIn = volumeDepth(dataFormat, mid, channels)
  const depthOut = volumeDepth(dataFormat, [upsampleAxis(D, fd ?? 1), mid[1] as number, mid[2] as number], channels)
  repeatNearest(slices, out, batch * depthIn.count, depthIn.image, depthOut.image, fd ?? 1, 1)
}

// -------------------------------------------------------------------------------------
// layer kinds
// -------------------------------------------------------------------------------------

/**
 * UpSampling1D: NWC `(batch, steps, C)` → `(batch, steps · size, C)`, each step repeated `size` times.
 * @category layers
 */
export const UpSampling1DKind: LayerKind<UpSampling1DSpec> = {
  className: 'UpSampling1D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<UpSampling1DSpec>('UpSampling1D')(
    (o) => ({ size: optional(upSampling1DSize(o.dialect), 2 as PositiveInt) }),
    (c) => ({ size: c.size }),
    (s) => ({ size: s.size }),
    { explained: noDataFormat('UpSampling1D', 'repeats') }
  ),
  infer: inferUpSampling1D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferUpSampling1D, spec, inputs),
      E.map(({ outputShape }) => {
        const [steps, channels] = (inputs[0] ?? []) as [number, number]
        const inL = lineImage('channels_last', steps, channels)
        const outL = lineImage('channels_last', upsampleAxis(steps, spec.size), channels)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * outL.size)
            repeatNearest(x.data, out, batch, inL, outL, 1, spec.size)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
}

/**
 * UpSampling3D: NDHWC / NCDHW, depth, rows and cols multiplied by `size`, each element repeated.
 * @category layers
 */
export const UpSampling3DKind: LayerKind<UpSampling3DSpec> = {
  className: 'UpSampling3D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<UpSampling3DSpec>('UpSampling3D')(
    (o) => ({ size: optional(positiveTuple(3), [2, 2, 2] as unknown as Triple), data_format: dataFormatField(o) }),
    (c) => ({ size: c.size, dataFormat: c.data_format }),
    (s) => ({ size: [...s.size], data_format: s.dataFormat })
  ),
  infer: inferUpSampling3D,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferUpSampling3D, spec, inputs),
      E.map(({ outputShape }) => {
        const { spatial, channels } = splitShape(spec.dataFormat, inputs[0] ?? [])
        const size = outputShape.reduce((a, b) => a * b, 1)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * size)
            repeatVolume(x.data, out, batch, spec.dataFormat, spatial, channels, spec.size, options.dtype)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
}
