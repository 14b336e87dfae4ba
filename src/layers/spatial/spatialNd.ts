/**
 * Building blocks shared by the 1-D and 3-D spatial layer kinds (pooling, global pooling, upsampling,
 * zero padding, cropping): the "int or tuple of `rank` ints" arguments, the before / after amounts of
 * ZeroPadding1D/3D and Cropping1D/3D, tf.keras 2.x's literal `channels_last` default of the 1-D pooling
 * layers, where the spatial axes of a rank-3 / rank-5 shape sit, and the views that run these layers on
 * the 2-D kernels (src/layers/spatial/pooling.ts, UpSampling2D.ts, padding.ts).
 *
 * Layouts (per sample, no batch axis): 1-D `channels_last` (steps, C) (NWC), `channels_first`
 * (C, steps) (NCW); 3-D `channels_last` (D, H, W, C) (NDHWC), `channels_first` (C, D, H, W) (NCDHW).
 *
 * Views (no data is moved):
 * - a 1-D sample is a 2-D image of one row: NWC (steps, C) = NHWC (1, steps, C), NCW (C, steps) =
 *   NCHW (C, 1, steps) ({@link lineImage});
 * - a 3-D sample is a stack of 2-D images ({@link volumePlanes}): NDHWC = D images (H, W, C), NCDHW =
 *   C·D one-channel images (H, W);
 * - along depth, a 3-D sample is a column image ({@link volumeDepth}): NDHWC = one image (D, 1, H·W·C)
 *   with H·W·C "channels", NCDHW = C images (D, 1, H·W). A 2-D pass over the rows of this view pools,
 *   repeats or shifts whole depth slices.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe } from '../../core/describe.js'
import { optional } from '../../core/KerasObject.js'
import { intOrTuple, listItems } from '../../core/Pair.js'
import type { PositiveInt } from '../../core/PositiveInt.js'
import { oneOfNames } from '../../core/primitives.js'
import { DATA_FORMATS, type DataFormat } from '../../geometry/DataFormat.js'
import { spatialAxisNames } from '../../geometry/ConvNdGeometry.js'
import type { LayerCodecOptions } from '../LayerKind.js'
import { dataFormatField, imageLayout, NonNegativeInt, type ImageLayout } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The spatial rank of the layers here: 1 (steps) or 3 (depth, rows, cols). */
export type SpatialRank = 1 | 3

/**
 * The normalized form of a 1-D "int or tuple of 1 int" argument (`pool_size: [2]`, as Keras writes it).
 * @category model
 */
export type Single = readonly [PositiveInt]

/**
 * The normalized form of a 3-D "int or tuple of 3 ints" argument: `[depth, rows, cols]`.
 * @category model
 */
export type Triple = readonly [PositiveInt, PositiveInt, PositiveInt]

/**
 * A tuple of `R` positive integers, in spatial order.
 * @category model
 */
export type PositiveTuple<R extends SpatialRank> = R extends 1 ? Single : Triple

/**
 * The amounts added (ZeroPadding) or removed (Cropping) before and after one spatial axis.
 * @category model
 */
export type Sides = readonly [number, number]

/**
 * `[[front, back], [top, bottom], [left, right]]`: the nested pairs Keras's `get_config` writes for
 * ZeroPadding3D's `padding` and Cropping3D's `cropping`, in spatial order (depth, rows, cols).
 * @category model
 */
export type Sides3 = readonly [Sides, Sides, Sides]

/**
 * Where the axes of a rank `rank + 2` shape with its batch axis sit.
 * @category model
 */
export interface SpatialAxes {
  /** The spatial axes, in spatial order. */
  readonly spatial: ReadonlyArray<number>
  readonly channels: number
}

/**
 * A per-sample shape split into its spatial lengths (spatial order) and its channels.
 * @category model
 */
export interface SpatialShape {
  readonly spatial: ReadonlyArray<number>
  readonly channels: number
}

/**
 * `count` consecutive 2-D images of layout `image` per sample (see the module comment).
 * @category model
 */
export interface ImageStack {
  readonly count: number
  readonly image: ImageLayout
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * Keras's "int or tuple of `rank` ints" (`standardize_tuple` / `normalize_tuple`), core/Pair.ts's
 * `intOrTuple(rank)` typed as a tuple of `rank`: `n` → `rank` copies; a list (or SavedModel
 * `__tuple__`) of exactly `rank` positive integers as it is. Errors point at the entry (`strides[2]`).
 * `zero`, when given, replaces the message for a 0 (pooling strides: Keras allows it, layerspec
 * explains why it does not). Encodes as a JSON list.
 * @category codecs
 */
export const positiveTuple = <R extends SpatialRank>(rank: R, zero?: string): t.Type<PositiveTuple<R>, number[], unknown> => {
  const base = intOrTuple(rank)
  return new t.Type<PositiveTuple<R>, number[], unknown>(
    base.name,
    (u): u is PositiveTuple<R> => base.is(u),
    (u, c) => {
      const r = base.validate(u, c) as t.Validation<PositiveTuple<R>>
      return zero === undefined || E.isRight(r) ? r : t.failures(r.left.map((e) => (e.value === 0 ? { ...e, message: zero } : e)))
    },
    (a) => base.encode(a)
  )
}

/**
 * The message for a pooling stride of 0 (family §1, §15.9): Keras normalizes pooling strides allowing
 * zero, so its constructors accept it, and the layer fails only when it runs.
 * @category codecs
 */
export const ZERO_POOLING_STRIDE =
  'expected strides to be positive integers, found 0: a stride of 0 never moves the pooling window (Keras accepts it when it builds the layer, because pooling strides are normalized allowing zero, and fails only when the layer runs)'

const SIDES_FORMS = 'an integer ≥ 0 or a list of 2 integers ≥ 0 (before, after)'

/**
 * ZeroPadding1D's `padding` / Cropping1D's `cropping`: `n` → `[n, n]`; `[before, after]` as it is.
 * Amounts are integers ≥ 0 (Keras's `standardize_tuple(…, allow_zero=True)`); errors point at the
 * entry (`cropping[1]`). Encodes as the pair.
 * @category codecs
 */
export const sidesCodec = (what: string): t.Type<Sides, [number, number], unknown> =>
  new t.Type<Sides, [number, number], unknown>(
    SIDES_FORMS,
    (u): u is Sides => Array.isArray(u) && u.length === 2 && u.every((n) => NonNegativeInt.is(n)),
    (u, c) => {
      if (typeof u === 'number') {
        return NonNegativeInt.is(u) ? t.success([u === 0 ? 0 : u, u === 0 ? 0 : u] as const) : t.failure(u, c, `expected ${what} to be ${SIDES_FORMS}, found ${describe(u)}`)
      }
      const items = listItems(u)
      if (items === undefined || items.length !== 2) return t.failure(u, c, `expected ${what} to be ${SIDES_FORMS}, found ${describe(u)}`)
      return pairOf(items, c)
    },
    (a) => [a[0], a[1]]
  )

/** Two amounts ≥ 0, errors at `[0]` / `[1]`. */
const pairOf = (items: ReadonlyArray<unknown>, c: t.Context): t.Validation<Sides> => {
  const errors: t.ValidationError[] = []
  const out: number[] = []
  items.forEach((n, j) => {
    const r = NonNegativeInt.validate(n, t.appendContext(c, String(j), t.never, n))
    if (E.isLeft(r)) errors.push(...r.left)
    else out.push(r.right)
  })
  return errors.length > 0 ? t.failures(errors) : t.success([out[0] as number, out[1] as number] as const)
}


const SIDES3_FORMS = 'an integer ≥ 0, or a list of 3 entries (depth, rows, cols), each an integer ≥ 0 (both sides) or a pair [before, after] of integers ≥ 0'

/**
 * ZeroPadding3D's `padding` / Cropping3D's `cropping` (family §10): `n` → all six sides; a list of 3
 * entries, each an int (both sides of that axis) or a pair — mixed forms allowed (`[1, [0, 2], 3]`) —
 * stored as the nested pairs Keras writes. Amounts are integers ≥ 0 (Keras checks the tuple entries;
 * a negative bare int only fails later in ZeroPadding3D, and in tf.keras's Cropping3D). Errors point at
 * the entry (`padding[1][0]`). Encodes as the nested pairs.
 * @category codecs
 */
export const sides3Codec = (what: string): t.Type<Sides3, Array<[number, number]>, unknown> =>
  new t.Type<Sides3, Array<[number, number]>, unknown>(
    SIDES3_FORMS,
    (u): u is Sides3 =>
      Array.isArray(u) && u.length === 3 && u.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => NonNegativeInt.is(n))),
    (u, c) => {
      if (typeof u === 'number') {
        if (!NonNegativeInt.is(u)) return t.failure(u, c, `expected ${what} to be ${SIDES3_FORMS}, found ${describe(u)}`)
        const n = u === 0 ? 0 : u
        return t.success([
          [n, n],
          [n, n],
          [n, n]
        ] as const)
      }
      const items = listItems(u)
      if (items === undefined || items.length !== 3) return t.failure(u, c, `expected ${what} to be ${SIDES3_FORMS}, found ${describe(u)}`)
      const errors: t.ValidationError[] = []
      const out: Sides[] = []
      items.forEach((item, i) => {
        const ci = t.appendContext(c, String(i), t.never, item)
        if (typeof item === 'number') {
          const r = NonNegativeInt.validate(item, ci)
          if (E.isLeft(r)) errors.push(...r.left)
          else out.push([r.right, r.right])
          return
        }
        const pair = listItems(item)
        if (pair === undefined || pair.length !== 2) {
          errors.push({
            value: item,
            context: ci,
            message: `expected the ${spatialAxisNames(3)[i] ?? ''} entry of ${what} to be an integer ≥ 0 or a list of 2 integers ≥ 0 (before, after), found ${describe(item)}`
          })
          return
        }
        const r = pairOf(pair, ci)
        if (E.isLeft(r)) errors.push(...r.left)
        else out.push(r.right)
      })
      return errors.length > 0 ? t.failures(errors) : t.success([out[0], out[1], out[2]] as unknown as Sides3)
    },
    (a) => a.map((p) => [p[0], p[1]] as [number, number])
  )

/**
 * `data_format` of tf.keras 2.x's 1-D pooling and global pooling layers (family §9, §10, §15.7): a
 * missing key means `channels_last` literally (their constructor default), `null` the image data
 * format option; Keras 3's (and every other keras2 spatial layer's) missing key is the image data
 * format option, as {@link dataFormatField}.
 * @category codecs
 */
export const dataFormat1DField = (o: LayerCodecOptions) =>
  o.dialect === 'keras2'
    ? optional(oneOfNames<DataFormat>('data_format', DATA_FORMATS, { caseInsensitive: true, nullMeans: o.imageDataFormat }), 'channels_last' as DataFormat)
    : dataFormatField(o)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The spatial and channel axes of a rank `rank + 2` shape with its batch axis: NWC / NDHWC
 * (`channels_last`) spatial `1…rank`, channels last; NCW / NCDHW (`channels_first`) channels 1,
 * spatial `2…rank+1`.
 * @category utils
 */
export const spatialAxes = (rank: SpatialRank, dataFormat: DataFormat): SpatialAxes =>
  dataFormat === 'channels_first'
    ? { spatial: Array.from({ length: rank }, (_, i) => i + 2), channels: 1 }
    : { spatial: Array.from({ length: rank }, (_, i) => i + 1), channels: rank + 1 }

/**
 * A per-sample shape (no batch axis; NWC / NCW / NDHWC / NCDHW) split into spatial lengths and channels.
 * @category utils
 */
export const splitShape = (dataFormat: DataFormat, shape: ReadonlyArray<number>): SpatialShape =>
  dataFormat === 'channels_first'
    ? { spatial: shape.slice(1), channels: shape[0] ?? 1 }
    : { spatial: shape.slice(0, -1), channels: shape[shape.length - 1] ?? 1 }

/**
 * A 1-D sample of `steps` steps and `channels` channels as a 2-D image of one row: NWC (steps, C) is
 * NHWC (1, steps, C); NCW (C, steps) is NCHW (C, 1, steps).
 * @category utils
 */
export const lineImage = (dataFormat: DataFormat, steps: number, channels: number): ImageLayout => imageLayout(dataFormat, 1, steps, channels)

/**
 * A 3-D sample `[D, H, W]` × `channels` as a stack of 2-D images: NDHWC is D images (H, W, C); NCDHW
 * is C·D one-channel images (H, W). Image `i` of sample `n` starts at `(n·count + i)·image.size`.
 * @category utils
 */
export const volumePlanes = (dataFormat: DataFormat, [D, H, W]: ReadonlyArray<number>, channels: number): ImageStack =>
  dataFormat === 'channels_first'
    ? { count: channels * (D ?? 1), image: imageLayout('channels_first', H ?? 1, W ?? 1, 1) }
    : { count: D ?? 1, image: imageLayout('channels_last', H ?? 1, W ?? 1, channels) }

/**
 * A 3-D sample `[D, H, W]` × `channels` as column images along depth: NDHWC is one image (D, 1, H·W·C);
 * NCDHW is C images (D, 1, H·W), each depth slice a row whose "channels" are the slice's elements.
 * @category utils
 */
export const volumeDepth = (dataFormat: DataFormat, [D, H, W]: ReadonlyArray<number>, channels: number): ImageStack => {
  const slice = (H ?? 1) * (W ?? 1) * (dataFormat === 'channels_first' ? 1 : channels)
  return { count: dataFormat === 'channels_first' ? channels : 1, image: imageLayout('channels_last', D ?? 1, 1, slice) }
}

/** The name of spatial axis `i` of a rank-`rank` layer, for messages. */
export const spatialAxisName = (rank: SpatialRank, i: number): string => (rank === 1 ? 'steps' : (spatialAxisNames(3)[i] ?? `axis ${i}`))
