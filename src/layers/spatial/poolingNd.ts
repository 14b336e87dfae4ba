/**
 * 1-D and 3-D window pooling (MaxPooling1D/3D, AveragePooling1D/3D) and global pooling
 * (GlobalAveragePooling1D/3D, GlobalMaxPooling1D/3D), the companions of pooling.ts's 2-D layers, with
 * the same rules (see there) and these of their own (conv-family reference §1, §2, §8, §9, §10, §15):
 * - Inputs are rank 3 (NWC `(batch, steps, C)` / NCW `(batch, C, steps)`) or rank 5 (NDHWC / NCDHW).
 * - `pool_size` / `strides` are an int or a list of `rank` ints; `strides` missing or `null` means
 *   `pool_size`. Keras writes lists (`"pool_size": [2]`) and the resolved strides.
 * - Keras 3's AveragePooling1D/3D require `pool_size`; tf.keras 2.x's default it to 2 / (2, 2, 2), as
 *   both do for MaxPooling1D/3D.
 * - tf.keras 2.x's 1-D pooling and GlobalPooling1D default `data_format` to `channels_last` literally;
 *   Keras 3's, and both Kerases' 3-D layers, to the image data format option (`null` always means that
 *   option). TensorFlow.js writes no `data_format` for its 1-D layers (and runs them channels_last).
 * - Keras accepts a pooling stride of 0 and fails only when the layer runs: refused here at `strides`.
 *   `causal` padding (tf.keras accepts it for pooling; TensorFlow's op rejects it, TensorFlow.js runs it
 *   as `valid`) is refused too.
 * - Every output length and `same` split comes from src/geometry/Axis.ts (`poolAxis`); a `valid`
 *   window that leaves no output (`poolAxisProblem`, Keras ≥ 3.15's check) is an error at `pool_size`.
 * - Global pooling's mask (Keras's GlobalAveragePooling1D averages only unmasked steps) never applies:
 *   layerspec carries no masks (no layer it runs makes one), as everywhere else in layerspec.
 *
 * Kernels (pooling.ts's `poolImages` / `globalPoolImages`, through spatialNd.ts's views): 1-D pooling
 * is the 2-D pooling of a one-row image; 3-D pooling is separable — the max (or the sum) over a box is
 * the max (sum) over depth of the max (sum) over each depth slice's rows × cols, and with `same` the
 * count of real elements is the product of the per-axis counts, so the average factorizes too — so it
 * is a 2-D pooling of every depth slice (into a float64 buffer: one rounding at the end) followed by a
 * pooling along depth of the column view. Global pooling reduces the flattened spatial axes.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional, required } from '../../core/KerasObject.js'
import { Bool, nullOr, oneOfNames } from '../../core/primitives.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { PADDINGS, type DataFormat, type Padding } from '../../geometry/DataFormat.js'
import { poolAxis, poolAxisProblem, type ConvAxis } from '../../geometry/Axis.js'
import { allocate, type FloatArray } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { dataFormatField, imageLayout, inferKnown } from './common.js'
import { globalPoolImages, KERAS3_POOLING_PADDING_CASES, poolImages, type PoolMode } from './pooling.js'
import {
  dataFormat1DField,
  lineImage,
  positiveTuple,
  spatialAxes,
  spatialAxisName,
  splitShape,
  volumeDepth,
  volumePlanes,
  ZERO_POOLING_STRIDE,
  type PositiveTuple,
  type SpatialRank
} from './spatialNd.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The class names of the 1-D and 3-D window pooling layers, with their spatial rank. */
export interface PoolingNdClasses {
  readonly MaxPooling1D: 1
  readonly AveragePooling1D: 1
  readonly MaxPooling3D: 3
  readonly AveragePooling3D: 3
}

/** A class name of a 1-D or 3-D window pooling layer. */
export type PoolingNdClass = keyof PoolingNdClasses

/**
 * A normalized MaxPooling1D/3D or AveragePooling1D/3D layer. Tuples have one entry per spatial axis
 * (`[steps]`; `[depth, rows, cols]`).
 * @category model
 */
export interface PoolingNdSpec<N extends PoolingNdClass = PoolingNdClass> extends BaseLayerSpec {
  readonly className: N
  readonly poolSize: PositiveTuple<PoolingNdClasses[N]>
  /** Keras's `null` resolved to `poolSize`. */
  readonly strides: PositiveTuple<PoolingNdClasses[N]>
  readonly padding: Padding
  /** NWC / NDHWC (`channels_last`) or NCW / NCDHW (`channels_first`). */
  readonly dataFormat: DataFormat
}

/** A normalized MaxPooling1D layer (input NWC / NCW). */
export type MaxPooling1DSpec = PoolingNdSpec<'MaxPooling1D'>
/** A normalized AveragePooling1D layer (input NWC / NCW). */
export type AveragePooling1DSpec = PoolingNdSpec<'AveragePooling1D'>
/** A normalized MaxPooling3D layer (input NDHWC / NCDHW). */
export type MaxPooling3DSpec = PoolingNdSpec<'MaxPooling3D'>
/** A normalized AveragePooling3D layer (input NDHWC / NCDHW). */
export type AveragePooling3DSpec = PoolingNdSpec<'AveragePooling3D'>

/** The class names of the 1-D and 3-D global pooling layers, with their spatial rank. */
export interface GlobalPoolingNdClasses {
  readonly GlobalAveragePooling1D: 1
  readonly GlobalMaxPooling1D: 1
  readonly GlobalAveragePooling3D: 3
  readonly GlobalMaxPooling3D: 3
}

/** A class name of a 1-D or 3-D global pooling layer. */
export type GlobalPoolingNdClass = keyof GlobalPoolingNdClasses

/**
 * A normalized GlobalAveragePooling1D/3D or GlobalMaxPooling1D/3D layer. Output `(batch, C)`, or with
 * `keepdims` the input's rank with every spatial axis 1 (`(batch, 1, C)` NWC, `(batch, C, 1, 1, 1)` NCDHW).
 * @category model
 */
export interface GlobalPoolingNdSpec<N extends GlobalPoolingNdClass = GlobalPoolingNdClass> extends BaseLayerSpec {
  readonly className: N
  /** NWC / NDHWC (`channels_last`) or NCW / NCDHW (`channels_first`). */
  readonly dataFormat: DataFormat
  readonly keepdims: boolean
}

/** A normalized GlobalAveragePooling1D layer (input NWC / NCW). */
export type GlobalAveragePooling1DSpec = GlobalPoolingNdSpec<'GlobalAveragePooling1D'>
/** A normalized GlobalMaxPooling1D layer (input NWC / NCW). */
export type GlobalMaxPooling1DSpec = GlobalPoolingNdSpec<'GlobalMaxPooling1D'>
/** A normalized GlobalAveragePooling3D layer (input NDHWC / NCDHW). */
export type GlobalAveragePooling3DSpec = GlobalPoolingNdSpec<'GlobalAveragePooling3D'>
/** A normalized GlobalMaxPooling3D layer (input NDHWC / NCDHW). */
export type GlobalMaxPooling3DSpec = GlobalPoolingNdSpec<'GlobalMaxPooling3D'>

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const CAUSAL_POOLING =
  'expected padding to be "valid" or "same", found "causal": pooling has no causal padding (Keras 3 raises "Argument `padding` must be either \'valid\' or \'same\'"; tf.keras 2.x accepts the name and computes the shape as "same", then TensorFlow\'s pooling op rejects it; TensorFlow.js runs it as "valid")'

/** tf.keras 2.x lower-cases a pooling padding (and accepts `causal`, which then fails in TensorFlow). */
const keras2PoolingPadding = oneOfNames<Padding>('padding', PADDINGS, { caseInsensitive: true, explain: { causal: CAUSAL_POOLING } })

/** Keras 3 keeps a pooling padding as written and accepts only the lower-case names when called. */
const keras3PoolingPadding = oneOfNames<Padding>('padding', PADDINGS, { explain: { ...KERAS3_POOLING_PADDING_CASES, causal: CAUSAL_POOLING } })

const rankOf = (className: PoolingNdClass | GlobalPoolingNdClass): SpatialRank => (className.endsWith('1D') ? 1 : 3)

const poolingCodec = <N extends PoolingNdClass>(className: N) => {
  const rank = rankOf(className) as PoolingNdClasses[N]
  const defaultPool = Array.from({ length: rank }, () => 2) as unknown as PositiveTuple<PoolingNdClasses[N]>
  const poolSize = positiveTuple(rank)
  const strides = positiveTuple(rank, ZERO_POOLING_STRIDE)
  return layerCodec<PoolingNdSpec<N>>(className)(
    (o) => ({
      pool_size: className.startsWith('Average') && o.dialect === 'keras3' ? required(poolSize) : optional(poolSize, defaultPool),
      strides: optional(nullOr(strides), null),
      padding: optional(o.dialect === 'keras3' ? keras3PoolingPadding : keras2PoolingPadding, 'valid' as Padding),
      data_format: rank === 1 ? dataFormat1DField(o) : dataFormatField(o)
    }),
    (c) => ({ poolSize: c.pool_size, strides: c.strides ?? c.pool_size, padding: c.padding, dataFormat: c.data_format }) as Omit<PoolingNdSpec<N>, keyof BaseLayerSpec>,
    (s) => ({ pool_size: [...s.poolSize], padding: s.padding, strides: [...s.strides], data_format: s.dataFormat })
  )
}

const globalCodec = <N extends GlobalPoolingNdClass>(className: N) =>
  layerCodec<GlobalPoolingNdSpec<N>>(className)(
    (o) => ({ data_format: rankOf(className) === 1 ? dataFormat1DField(o) : dataFormatField(o), keepdims: optional(Bool, false) }),
    (c) => ({ dataFormat: c.data_format, keepdims: c.keepdims }) as Omit<GlobalPoolingNdSpec<N>, keyof BaseLayerSpec>,
    (s) => ({ data_format: s.dataFormat, keepdims: s.keepdims })
  )

// -------------------------------------------------------------------------------------
// shape inference
// -------------------------------------------------------------------------------------

const inferPooling = (spec: PoolingNdSpec, inputs: ReadonlyArray<SymbolicShape>) => {
  const rank = rankOf(spec.className)
  return pipe(
    singleInput(spec.className, inputs, rank + 2),
    E.chain((input) => {
      const out = [...input]
      const errors: SpecError[] = []
      spatialAxes(rank, spec.dataFormat).spatial.forEach((axis, i) => {
        const n = input[axis] ?? null
        const p = spec.poolSize[i] as number
        const s = spec.strides[i] as number
        if (n === null) {
          out[axis] = null
          return
        }
        const problem = poolAxisProblem(n, p, s, spec.padding)
        if (problem !== undefined) {
          errors.push(
            specError('pool_size', `the ${spatialAxisName(rank, i)} axis: ${problem} (input ${showShape(input)}); expected a pool size of at most ${n} there, or padding "same"`)
          )
        }
        out[axis] = poolAxis(n, p, s, spec.padding).out
      })
      return errors.length > 0 ? E.left(errors) : E.right({ outputShape: out, weights: [] })
    })
  )
}

const inferGlobal = (spec: GlobalPoolingNdSpec, inputs: ReadonlyArray<SymbolicShape>) => {
  const rank = rankOf(spec.className)
  return pipe(
    singleInput(spec.className, inputs, rank + 2),
    E.map((input) => {
      const channels = input[spatialAxes(rank, spec.dataFormat).channels] ?? null
      const ones = Array.from({ length: rank }, () => 1)
      const outputShape = !spec.keepdims ? [input[0] ?? null, channels] : spec.dataFormat === 'channels_first' ? [input[0] ?? null, channels, ...ones] : [input[0] ?? null, ...ones, channels]
      return { outputShape, weights: [] }
    })
  )
}

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

/**
 * The kernel of a 1-D or 3-D pooling layer for per-sample input `shape` (NWC / NCW / NDHWC / NCDHW):
 * pools the `batch` samples of `x` into `out`. Windows and paddings per axis from `poolAxis`.
 */
const poolNd = (spec: PoolingNdSpec, mode: PoolMode, shape: ReadonlyArray<number>) => {
  const { spatial, channels } = splitShape(spec.dataFormat, shape)
  const axes = spatial.map((n, i) => poolAxis(n, spec.poolSize[i] as number, spec.strides[i] as number, spec.padding))
  const outSpatial = axes.map((a) => a.out)
  if (spatial.length === 1) {
    const [a] = axes as [ConvAxis]
    const inL = lineImage(spec.dataFormat, spatial[0] as number, channels)
    const outL = lineImage(spec.dataFormat, a.out, channels)
    const window = { ph: 1, pw: spec.poolSize[0] as number, sh: 1, sw: spec.strides[0] as number, top: 0, left: a.before }
    return (x: ArrayLike<number>, out: FloatArray, batch: number): void => poolImages(mode, x, out, batch, inL, outL, window)
  }
  const [, ph, pw] = spec.poolSize as unknown as [number, number, number]
  const [, sh, sw] = spec.strides as unknown as [number, number, number]
  const [ad, ah, aw] = axes as [ConvAxis, ConvAxis, ConvAxis]
  // 1. every depth slice: a 2-D pooling over its rows × cols
  const planesIn = volumePlanes(spec.dataFormat, spatial, channels)
  const mid = [spatial[0] as number, ah.out, aw.out]
  const planesOut = volumePlanes(spec.dataFormat, mid, channels)
  const sliceWindow = { ph, pw, sh, sw, top: ah.before, left: aw.before }
  // 2. along depth: a pooling over the rows of the column view
  const depthIn = volumeDepth(spec.dataFormat, mid, channels)
  const depthOut = volumeDepth(spec.dataFormat, outSpatial, channels)
  const depthWindow = { ph: spec.poolSize[0] as number, pw: 1, sh: spec.strides[0] as number, sw: 1, top: ad.before, left: 0 }
  return (x: ArrayLike<number>, out: FloatArray, batch: number): void => {
    const slices = new Float64Array(batch * planesIn.count * planesOut.image.size)
    poolImages(mode, x, slices, batch * planesIn.count, planesIn.image, planesOut.image, sliceWindow)
    poolImages(mode, slices, out, batch * depthIn.count, depthIn.image, depthOut.image, depthWindow)
  }
}

// -------------------------------------------------------------------------------------
// layer kinds
// -------------------------------------------------------------------------------------

const poolingKind = <N extends PoolingNdClass>(className: N, alias: string, mode: PoolMode): LayerKind<PoolingNdSpec<N>> => ({
  className,
  aliases: [alias],
  arity: 'single',
  codec: poolingCodec(className),
  infer: inferPooling,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferPooling, spec, inputs),
      E.map(({ outputShape }) => {
        const run = poolNd(spec, mode, inputs[0] ?? [])
        const size = outputShape.reduce((a, b) => a * b, 1)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * size)
            run(x.data, out, batch)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
})

const globalKind = <N extends GlobalPoolingNdClass>(className: N, alias: string, mode: PoolMode): LayerKind<GlobalPoolingNdSpec<N>> => ({
  className,
  aliases: [alias],
  arity: 'single',
  codec: globalCodec(className),
  infer: inferGlobal,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferGlobal, spec, inputs),
      E.map(({ outputShape }) => {
        const { spatial, channels } = splitShape(spec.dataFormat, inputs[0] ?? [])
        // the spatial axes flattened into one: an image of (1, Π spatial) in the data format's order
        const inL = imageLayout(spec.dataFormat, 1, spatial.reduce((a, b) => a * b, 1), channels)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = xs[0] as Tensor
            const batch = x.shape[0] as number
            const out = allocate(options.dtype, batch * channels)
            globalPoolImages(mode, x.data, out, batch, inL, spec.dataFormat)
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
})

/**
 * MaxPooling1D (alias MaxPool1D): input NWC `(batch, steps, C)` or NCW `(batch, C, steps)`.
 * @category layers
 */
export const MaxPooling1DKind: LayerKind<MaxPooling1DSpec> = poolingKind('MaxPooling1D', 'MaxPool1D', 'max')

/**
 * AveragePooling1D (alias AvgPool1D): input NWC or NCW; `same` windows divide by their real elements.
 * @category layers
 */
export const AveragePooling1DKind: LayerKind<AveragePooling1DSpec> = poolingKind('AveragePooling1D', 'AvgPool1D', 'average')

/**
 * MaxPooling3D (alias MaxPool3D): input NDHWC `(batch, D, H, W, C)` or NCDHW `(batch, C, D, H, W)`.
 * @category layers
 */
export const MaxPooling3DKind: LayerKind<MaxPooling3DSpec> = poolingKind('MaxPooling3D', 'MaxPool3D', 'max')

/**
 * AveragePooling3D (alias AvgPool3D): input NDHWC or NCDHW; `same` windows divide by their real elements.
 * @category layers
 */
export const AveragePooling3DKind: LayerKind<AveragePooling3DSpec> = poolingKind('AveragePooling3D', 'AvgPool3D', 'average')

/**
 * GlobalAveragePooling1D (alias GlobalAvgPool1D): NWC / NCW → `(batch, C)` (keepdims `(batch, 1, C)` /
 * `(batch, C, 1)`), the mean over the steps.
 * @category layers
 */
export const GlobalAveragePooling1DKind: LayerKind<GlobalAveragePooling1DSpec> = globalKind('GlobalAveragePooling1D', 'GlobalAvgPool1D', 'average')

/**
 * GlobalMaxPooling1D (alias GlobalMaxPool1D): NWC / NCW → `(batch, C)`, the max over the steps.
 * @category layers
 */
export const GlobalMaxPooling1DKind: LayerKind<GlobalMaxPooling1DSpec> = globalKind('GlobalMaxPooling1D', 'GlobalMaxPool1D', 'max')

/**
 * GlobalAveragePooling3D (alias GlobalAvgPool3D): NDHWC / NCDHW → `(batch, C)` (keepdims
 * `(batch, 1, 1, 1, C)` / `(batch, C, 1, 1, 1)`), the mean over depth, rows and cols.
 * @category layers
 */
export const GlobalAveragePooling3DKind: LayerKind<GlobalAveragePooling3DSpec> = globalKind('GlobalAveragePooling3D', 'GlobalAvgPool3D', 'average')

/**
 * GlobalMaxPooling3D (alias GlobalMaxPool3D): NDHWC / NCDHW → `(batch, C)`, the max over depth, rows and cols.
 * @category layers
 */
export const GlobalMaxPooling3DKind: LayerKind<GlobalMaxPooling3DSpec> = globalKind('GlobalMaxPooling3D', 'GlobalMaxPool3D', 'max')
