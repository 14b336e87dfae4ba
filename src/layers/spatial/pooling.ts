/**
 * Window pooling (MaxPooling2D, AveragePooling2D) and global pooling (GlobalAveragePooling2D,
 * GlobalMaxPooling2D). Window output sizes and TF's `same` padding split come from
 * src/geometry/Padding.ts.
 *
 * Keras details kept here:
 * - `strides` missing or `null` means `pool_size`; the spec always holds the resolved strides (Keras's
 *   `get_config` writes them too).
 * - `padding` is case-insensitive and stored lower-cased in keras2 configs, as tf.keras does; Keras 3
 *   stores a pooling layer's padding as written and its call then rejects `"SAME"`, so keras3 configs
 *   must write it in lower case.
 * - Keras 3's AveragePooling2D requires `pool_size` (no default); its MaxPooling2D, and tf.keras's
 *   pooling layers, default it to 2.
 * - `same` pooling only looks at in-bounds elements: max ignores the padding, and average divides by
 *   the number of in-bounds elements of each window (TF's `avg_pool`, which every Keras backend
 *   reproduces), not by the window size.
 * - A `valid` window larger than a known input axis is an error at `pool_size` (Keras 3 lets a
 *   zero-length output through; tf.keras computes a zero or negative length): layerspec never builds
 *   an empty tensor.
 * - A NaN in a max window gives NaN (IEEE max). Keras 3.15 on TensorFlow 2.21's CPU kernel skips NaN
 *   and gives the lowest finite value for an all-NaN or all −∞ window (measured; README: an open
 *   decision).
 * - Global pooling's `keepdims` (Keras ≥ 2.6 and 3, default false) keeps the image axes as 1s.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional, required } from '../../core/KerasObject.js'
import { IntOrPair, type Pair } from '../../core/Pair.js'
import { Bool, nullOr, oneOfNames } from '../../core/primitives.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { PADDINGS, type DataFormat, type Padding } from '../../geometry/DataFormat.js'
import { axisPadding, outputLength } from '../../geometry/Padding.js'
import { allocate, type FloatArray } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { axisName, dataFormatField, imageAxes, inferKnown, layoutOf, PaddingCodec, type ImageLayout } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The class names of the window pooling layers. */
export type Pooling2DClass = 'MaxPooling2D' | 'AveragePooling2D'

/**
 * A normalized MaxPooling2D or AveragePooling2D layer.
 * @category model
 */
export interface Pooling2DSpec<N extends Pooling2DClass = Pooling2DClass> extends BaseLayerSpec {
  readonly className: N
  /** `[rows, cols]` window. */
  readonly poolSize: Pair
  /** `[rows, cols]` strides (Keras's `null` resolved to `poolSize`). */
  readonly strides: Pair
  readonly padding: Padding
  readonly dataFormat: DataFormat
}

/** A normalized MaxPooling2D layer. */
export type MaxPooling2DSpec = Pooling2DSpec<'MaxPooling2D'>
/** A normalized AveragePooling2D layer. */
export type AveragePooling2DSpec = Pooling2DSpec<'AveragePooling2D'>

/** The class names of the global pooling layers. */
export type GlobalPooling2DClass = 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D'

/**
 * A normalized GlobalAveragePooling2D or GlobalMaxPooling2D layer.
 * @category model
 */
export interface GlobalPooling2DSpec<N extends GlobalPooling2DClass = GlobalPooling2DClass> extends BaseLayerSpec {
  readonly className: N
  readonly dataFormat: DataFormat
  /** Keep the image axes as size-1 axes. */
  readonly keepdims: boolean
}

/** A normalized GlobalAveragePooling2D layer. */
export type GlobalAveragePooling2DSpec = GlobalPooling2DSpec<'GlobalAveragePooling2D'>
/** A normalized GlobalMaxPooling2D layer. */
export type GlobalMaxPooling2DSpec = GlobalPooling2DSpec<'GlobalMaxPooling2D'>

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

/** What a pooling window computes. */
export type PoolMode = 'max' | 'average'

/**
 * A pooling window over the rows and cols of an image: its size `[ph, pw]`, its strides `[sh, sw]`, and
 * the padding before the first row and col (`top`, `left`: TF's `same` split from src/geometry/Axis.ts,
 * 0 for `valid`).
 * @category model
 */
export interface PoolWindow {
  readonly ph: number
  readonly pw: number
  readonly sh: number
  readonly sw: number
  readonly top: number
  readonly left: number
}

/**
 * The reference pooling kernel of MaxPooling2D / AveragePooling2D, and through views of the 1-D and
 * 3-D pooling layers: pools each of `batch` consecutive images of `x` (layout `inL`: NHWC or NCHW,
 * row-major) into `out` (layout `outL`, whose rows and cols are the output lengths). A window reads
 * only its in-bounds elements: max ignores the padding, average divides by the count of in-bounds
 * elements (TF's `avg_pool`), summing in float64 and dividing once. A NaN in a max window gives NaN.
 * @category kernels
 */
export const poolImages = (
  mode: PoolMode,
  x: ArrayLike<number>,
  out: FloatArray,
  batch: number,
  inL: ImageLayout,
  outL: ImageLayout,
  w: PoolWindow
): void => {
  const { ph, pw, sh, sw, top, left } = w
  const C = inL.channels
  for (let n = 0; n < batch; n++) {
    const xBase = n * inL.size
    const oBase = n * outL.size
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * sh - top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * sw - left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + pw, inL.cols)
        const o = oBase + oh * outL.rowStride + ow * outL.colStride
        if (mode === 'max') {
          for (let c = 0; c < C; c++) {
            let m = -Infinity
            const xc = xBase + c * inL.channelStride
            for (let h = h0; h < h1; h++) {
              const xr = xc + h * inL.rowStride
              for (let w = w0; w < w1; w++) {
                const v = x[xr + w * inL.colStride] as number
                if (v > m || v !== v) m = v
              }
            }
            out[o + c * outL.channelStride] = m
          }
        } else {
          const count = (h1 - h0) * (w1 - w0)
          for (let c = 0; c < C; c++) {
            let sum = 0
            const xc = xBase + c * inL.channelStride
            for (let h = h0; h < h1; h++) {
              const xr = xc + h * inL.rowStride
              for (let w = w0; w < w1; w++) sum += x[xr + w * inL.colStride] as number
            }
            out[o + c * outL.channelStride] = sum / count
          }
        }
      }
    }
  }
}

/**
 * The reference global pooling kernel of GlobalAveragePooling2D / GlobalMaxPooling2D, and through views
 * of the 1-D and 3-D ones: for each of `batch` consecutive images of `x` (layout `inL`, channels last
 * or first as `dataFormat` says), the max or the mean of each channel over its `rows · cols` elements,
 * written to `out` as `batch × channels` values (keepdims only changes the shape). Sums are float64,
 * divided once; a NaN gives NaN.
 * @category kernels
 */
export const globalPoolImages = (mode: PoolMode, x: ArrayLike<number>, out: FloatArray, batch: number, inL: ImageLayout, dataFormat: DataFormat): void => {
  const C = inL.channels
  const plane = inL.rows * inL.cols
  const acc = new Float64Array(C)
  for (let n = 0; n < batch; n++) {
    const xBase = n * inL.size
    acc.fill(mode === 'max' ? -Infinity : 0)
    if (dataFormat === 'channels_last') {
      for (let p = 0; p < plane; p++) {
        const xp = xBase + p * C
        if (mode === 'max') {
          for (let c = 0; c < C; c++) {
            const v = x[xp + c] as number
            if (v > (acc[c] as number) || v !== v) acc[c] = v
          }
        } else {
          for (let c = 0; c < C; c++) acc[c] = (acc[c] as number) + (x[xp + c] as number)
        }
      }
    } else {
      for (let c = 0; c < C; c++) {
        const xc = xBase + c * plane
        let a = acc[c] as number
        if (mode === 'max') {
          for (let p = 0; p < plane; p++) {
            const v = x[xc + p] as number
            if (v > a || v !== v) a = v
          }
        } else {
          for (let p = 0; p < plane; p++) a += x[xc + p] as number
        }
        acc[c] = a
      }
    }
    const o = n * C
    if (mode === 'max') for (let c = 0; c < C; c++) out[o + c] = acc[c] as number
    else for (let c = 0; c < C; c++) out[o + c] = (acc[c] as number) / plane
  }
}

// -------------------------------------------------------------------------------------
// window pooling
// -------------------------------------------------------------------------------------

const DEFAULT_POOL = [2, 2] as unknown as Pair

/**
 * Why a keras3 pooling config may not write its padding in upper case: Keras 3 keeps a pooling layer's
 * `padding` as written and its `call` then accepts only the lower-case names ("Argument `padding` must
 * be either 'valid' or 'same'. Received: padding=Same"); tf.keras 2.x lower-cases it.
 * @category codecs
 */
export const KERAS3_POOLING_PADDING_CASES: Readonly<Record<string, string>> = Object.fromEntries(
  ['VALID', 'SAME', 'Valid', 'Same'].map((n) => [n, `expected padding to be "valid" or "same" in lower case, found ${JSON.stringify(n)}: Keras 3 keeps a pooling layer's padding as written and raises "Argument \`padding\` must be either 'valid' or 'same'" when it is called (tf.keras 2.x lower-cases it)`])
)

const keras3PoolingPadding = oneOfNames<Padding>('padding', PADDINGS, { explain: KERAS3_POOLING_PADDING_CASES })

/**
 * Window pooling's codec. Keras 3's AveragePooling2D has no default `pool_size` (a required argument);
 * MaxPooling2D's, and tf.keras 2.x's of both, is `(2, 2)`.
 */
const poolingCodec = <N extends Pooling2DClass>(className: N) =>
  layerCodec<Pooling2DSpec<N>>(className)(
    (o) => ({
      pool_size: className === 'AveragePooling2D' && o.dialect === 'keras3' ? required(IntOrPair) : optional(IntOrPair, DEFAULT_POOL),
      strides: optional(nullOr(IntOrPair), null),
      padding: optional(o.dialect === 'keras3' ? keras3PoolingPadding : PaddingCodec, 'valid' as Padding),
      data_format: dataFormatField(o)
    }),
    (c) => ({ poolSize: c.pool_size, strides: c.strides ?? c.pool_size, padding: c.padding, dataFormat: c.data_format }),
    (s) => ({ pool_size: [s.poolSize[0], s.poolSize[1]], padding: s.padding, strides: [s.strides[0], s.strides[1]], data_format: s.dataFormat })
  )

const inferPooling = (spec: Pooling2DSpec, inputs: ReadonlyArray<ReadonlyArray<number | null>>) =>
  pipe(
    singleInput(spec.className, inputs, 4),
    E.chain((input) => {
      const ax = imageAxes(spec.dataFormat)
      const out = [...input]
      const errors: SpecError[] = []
      ;[ax.rows, ax.cols].forEach((axis, i) => {
        const length = input[axis] ?? null
        const o = outputLength(length, spec.poolSize[i] as number, spec.strides[i] as number, 1, spec.padding)
        if (o !== null && o < 1) {
          errors.push(
            specError(
              'pool_size',
              `the input ${axisName(i)} ${length ?? '?'} are fewer than the pool size ${spec.poolSize[i] ?? '?'} with padding "valid", which would give an empty output (input ${showShape(input)})`
            )
          )
        }
        out[axis] = o
      })
      return errors.length > 0 ? E.left(errors) : E.right({ outputShape: out, weights: [] })
    })
  )

const poolingKind = <N extends Pooling2DClass>(className: N, alias: string, mode: PoolMode): LayerKind<Pooling2DSpec<N>> => ({
  className,
  aliases: [alias],
  arity: 'single',
  codec: poolingCodec(className),
  infer: inferPooling,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferPooling, spec, inputs),
      E.map(({ outputShape }) => {
        const inL = layoutOf(spec.dataFormat, inputs[0] ?? [])
        const outL = layoutOf(spec.dataFormat, outputShape)
        const [ph, pw] = spec.poolSize
        const [sh, sw] = spec.strides
        const top = axisPadding(inL.rows, ph, sh, 1, spec.padding).before
        const left = axisPadding(inL.cols, pw, sw, 1, spec.padding).before
        const window: PoolWindow = { ph, pw, sh, sw, top, left }
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = (xs[0] as Tensor).data
            const batch = (xs[0] as Tensor).shape[0] as number
            const out = allocate(options.dtype, batch * outL.size)
            poolImages(mode, x, out, batch, inL, outL, window)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
})

/**
 * MaxPooling2D (alias MaxPool2D).
 * @category layers
 */
export const MaxPooling2DKind: LayerKind<MaxPooling2DSpec> = poolingKind('MaxPooling2D', 'MaxPool2D', 'max')

/**
 * AveragePooling2D (alias AvgPool2D).
 * @category layers
 */
export const AveragePooling2DKind: LayerKind<AveragePooling2DSpec> = poolingKind('AveragePooling2D', 'AvgPool2D', 'average')

// -------------------------------------------------------------------------------------
// global pooling
// -------------------------------------------------------------------------------------

const inferGlobal = (spec: GlobalPooling2DSpec, inputs: ReadonlyArray<ReadonlyArray<number | null>>) =>
  pipe(
    singleInput(spec.className, inputs, 4),
    E.map((input) => {
      const ax = imageAxes(spec.dataFormat)
      const batch = input[0] ?? null
      const channels = input[ax.channels] ?? null
      const outputShape = !spec.keepdims ? [batch, channels] : spec.dataFormat === 'channels_first' ? [batch, channels, 1, 1] : [batch, 1, 1, channels]
      return { outputShape, weights: [] }
    })
  )

const globalKind = <N extends GlobalPooling2DClass>(className: N, alias: string, mode: PoolMode): LayerKind<GlobalPooling2DSpec<N>> => ({
  className,
  aliases: [alias],
  arity: 'single',
  codec: layerCodec<GlobalPooling2DSpec<N>>(className)(
    (o) => ({ data_format: dataFormatField(o), keepdims: optional(Bool, false) }),
    (c) => ({ dataFormat: c.data_format, keepdims: c.keepdims }),
    (s) => ({ data_format: s.dataFormat, keepdims: s.keepdims })
  ),
  infer: inferGlobal,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferGlobal, spec, inputs),
      E.map(({ outputShape }) => {
        const inL = layoutOf(spec.dataFormat, inputs[0] ?? [])
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = (xs[0] as Tensor).data
            const batch = (xs[0] as Tensor).shape[0] as number
            const out = allocate(options.dtype, batch * inL.channels)
            globalPoolImages(mode, x, out, batch, inL, spec.dataFormat)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
})

/**
 * GlobalAveragePooling2D (alias GlobalAvgPool2D).
 * @category layers
 */
export const GlobalAveragePooling2DKind: LayerKind<GlobalAveragePooling2DSpec> = globalKind('GlobalAveragePooling2D', 'GlobalAvgPool2D', 'average')

/**
 * GlobalMaxPooling2D (alias GlobalMaxPool2D).
 * @category layers
 */
export const GlobalMaxPooling2DKind: LayerKind<GlobalMaxPooling2DSpec> = globalKind('GlobalMaxPooling2D', 'GlobalMaxPool2D', 'max')
