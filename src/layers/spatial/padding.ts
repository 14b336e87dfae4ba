/**
 * ZeroPadding2D and Cropping2D: add zeros around, or cut rows and columns off, the image axes.
 *
 * Both take Keras's three forms (`n`, `[rows, cols]`, `[[top, bottom], [left, right]]`, entries of
 * the last form may also be single ints) and store the pair of pairs `get_config` writes. Amounts are
 * integers ≥ 0 (Keras 3 rejects negative cropping; a negative padding only fails later, inside
 * TensorFlow). Unknown (`null`) image dims stay unknown. Cropping that leaves nothing of a known
 * axis (`top + bottom ≥ rows`) is an error at `cropping`, as in Keras.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional } from '../../core/KerasObject.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import { allocate } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { axisName, dataFormatField, imageAxes, inferKnown, layoutOf, sidePairsCodec, type ImageLayout, type SidePairs } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized ZeroPadding2D layer.
 * @category model
 */
export interface ZeroPadding2DSpec extends BaseLayerSpec {
  readonly className: 'ZeroPadding2D'
  /** `[[top, bottom], [left, right]]` rows and columns of zeros. */
  readonly padding: SidePairs
  readonly dataFormat: DataFormat
}

/**
 * A normalized Cropping2D layer.
 * @category model
 */
export interface Cropping2DSpec extends BaseLayerSpec {
  readonly className: 'Cropping2D'
  /** `[[top, bottom], [left, right]]` rows and columns removed. */
  readonly cropping: SidePairs
  readonly dataFormat: DataFormat
}

// -------------------------------------------------------------------------------------
// shared
// -------------------------------------------------------------------------------------

const encodePairs = (p: SidePairs): number[][] => [
  [p[0][0], p[0][1]],
  [p[1][0], p[1][1]]
]

/**
 * The reference kernel of ZeroPadding2D and Cropping2D, and through views of the 1-D and 3-D ones:
 * copies the overlap of each of `batch` consecutive input images (layout `inL`: NHWC or NCHW) into the
 * output images (layout `outL`), the output's origin shifted by (`rowOffset`, `colOffset`) relative to
 * the input's (positive for padding, negative for cropping); the rest of `out` is left as it is (zero
 * when freshly allocated).
 * @category kernels
 */
export const shiftCopy = (
  x: ArrayLike<number>,
  out: Float32Array | Float64Array,
  batch: number,
  inL: ImageLayout,
  outL: ImageLayout,
  rowOffset: number,
  colOffset: number
): void => {
  const h0 = Math.max(0, -rowOffset)
  const h1 = Math.min(inL.rows, outL.rows - rowOffset)
  const w0 = Math.max(0, -colOffset)
  const w1 = Math.min(inL.cols, outL.cols - colOffset)
  const C = inL.channels
  for (let n = 0; n < batch; n++) {
    const xBase = n * inL.size
    const oBase = n * outL.size
    if (inL.channelStride === 1 && inL.colStride === C) {
      // channels_last: each row segment of (w1 - w0) · C values is contiguous in both. (channelStride
      // alone does not tell: a channels_first 1×1 image has channelStride 1 too.)
      const run = (w1 - w0) * C
      for (let h = h0; h < h1; h++) {
        const xs = xBase + h * inL.rowStride + w0 * C
        const os = oBase + (h + rowOffset) * outL.rowStride + (w0 + colOffset) * C
        for (let i = 0; i < run; i++) out[os + i] = x[xs + i] as number
      }
    } else {
      for (let c = 0; c < C; c++) {
        for (let h = h0; h < h1; h++) {
          const xs = xBase + c * inL.channelStride + h * inL.rowStride
          const os = oBase + c * outL.channelStride + (h + rowOffset) * outL.rowStride + colOffset
          for (let w = w0; w < w1; w++) out[os + w] = x[xs + w] as number
        }
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// ZeroPadding2D
// -------------------------------------------------------------------------------------

const inferPadding = (spec: ZeroPadding2DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('ZeroPadding2D', inputs, 4),
    E.map((input) => {
      const ax = imageAxes(spec.dataFormat)
      const out = [...input]
      ;[ax.rows, ax.cols].forEach((axis, i) => {
        const d = input[axis] ?? null
        const p = spec.padding[i] as readonly [number, number]
        out[axis] = d === null ? null : d + p[0] + p[1]
      })
      return { outputShape: out, weights: [] }
    })
  )

/**
 * ZeroPadding2D.
 * @category layers
 */
export const ZeroPadding2DKind: LayerKind<ZeroPadding2DSpec> = {
  className: 'ZeroPadding2D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<ZeroPadding2DSpec>('ZeroPadding2D')(
    (o) => ({
      padding: optional(sidePairsCodec('padding'), [
        [1, 1],
        [1, 1]
      ] as SidePairs),
      data_format: dataFormatField(o)
    }),
    (c) => ({ padding: c.padding, dataFormat: c.data_format }),
    (s) => ({ padding: encodePairs(s.padding), data_format: s.dataFormat })
  ),
  infer: inferPadding,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferPadding, spec, inputs),
      E.map(({ outputShape }) => {
        const inL = layoutOf(spec.dataFormat, inputs[0] ?? [])
        const outL = layoutOf(spec.dataFormat, outputShape)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * outL.size)
            shiftCopy(x.data, out, batch, inL, outL, spec.padding[0][0], spec.padding[1][0])
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
}

// -------------------------------------------------------------------------------------
// Cropping2D
// -------------------------------------------------------------------------------------

const inferCropping = (spec: Cropping2DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('Cropping2D', inputs, 4),
    E.chain((input) => {
      const ax = imageAxes(spec.dataFormat)
      const out = [...input]
      const errors: SpecError[] = []
      ;[ax.rows, ax.cols].forEach((axis, i) => {
        const d = input[axis] ?? null
        const p = spec.cropping[i] as readonly [number, number]
        if (d !== null && p[0] + p[1] >= d) {
          errors.push(
            specError(
              'cropping',
              `cropping ${p[0]} + ${p[1]} ${axisName(i)} leaves nothing of the input's ${d} ${axisName(i)} (Keras requires the cropping to be smaller than the dimension; input ${showShape(input)})`
            )
          )
        }
        out[axis] = d === null ? null : d - p[0] - p[1]
      })
      return errors.length > 0 ? E.left(errors) : E.right({ outputShape: out, weights: [] })
    })
  )

/**
 * Cropping2D.
 * @category layers
 */
export const Cropping2DKind: LayerKind<Cropping2DSpec> = {
  className: 'Cropping2D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<Cropping2DSpec>('Cropping2D')(
    (o) => ({
      cropping: optional(sidePairsCodec('cropping'), [
        [0, 0],
        [0, 0]
      ] as SidePairs),
      data_format: dataFormatField(o)
    }),
    (c) => ({ cropping: c.cropping, dataFormat: c.data_format }),
    (s) => ({ cropping: encodePairs(s.cropping), data_format: s.dataFormat })
  ),
  infer: inferCropping,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferCropping, spec, inputs),
      E.map(({ outputShape }) => {
        const inL = layoutOf(spec.dataFormat, inputs[0] ?? [])
        const outL = layoutOf(spec.dataFormat, outputShape)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * outL.size)
            shiftCopy(x.data, out, batch, inL, outL, -spec.cropping[0][0], -spec.cropping[1][0])
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
}
