/**
 * Building blocks shared by the spatial layer kinds: the `data_format` and `padding` fields, the
 * "int, pair, or pair of pairs" argument of ZeroPadding2D / Cropping2D, where the image axes of a
 * rank-4 shape sit in each data format, and the element strides of a per-sample image.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, quote, quoteText } from '../../core/describe.js'
import { optional } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { numberWhere, oneOfNames } from '../../core/primitives.js'
import { DATA_FORMATS, PADDINGS, type DataFormat, type Padding } from '../../geometry/DataFormat.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import { MAX_ELEMENTS } from '../../geometry/ConvGeometry.js'
import type { InferredLayer, LayerCodecOptions, SymbolicShape } from '../LayerKind.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Amounts added or removed before and after each image axis: `[[top, bottom], [left, right]]`, the
 * one form Keras's `get_config` writes for ZeroPadding2D's `padding` and Cropping2D's `cropping`.
 * @category model
 */
export type SidePairs = readonly [readonly [number, number], readonly [number, number]]

/**
 * Where the image axes of a rank-4 shape (batch axis 0) sit.
 * @category model
 */
export interface ImageAxes {
  readonly rows: number
  readonly cols: number
  readonly channels: number
}

/**
 * A per-sample image's sizes and the element strides of its rows, cols and channels (row-major, in
 * the data format's order).
 * @category model
 */
export interface ImageLayout {
  readonly rows: number
  readonly cols: number
  readonly channels: number
  readonly rowStride: number
  readonly colStride: number
  readonly channelStride: number
  /** rows · cols · channels: the elements of one sample. */
  readonly size: number
}

// -------------------------------------------------------------------------------------
// field codecs
// -------------------------------------------------------------------------------------

/**
 * `data_format`: `channels_last` / `channels_first`, any case (Keras lower-cases it), `null` or missing
 * meaning the image data format option (Keras's `image_data_format()`).
 * @category codecs
 */
export const dataFormatField = (o: LayerCodecOptions) =>
  optional(oneOfNames<DataFormat>('data_format', DATA_FORMATS, { caseInsensitive: true, nullMeans: o.imageDataFormat }), o.imageDataFormat)

/**
 * `padding` of pooling and convolution: `valid` / `same`, any case.
 * @category codecs
 */
export const PaddingCodec = oneOfNames<Padding>('padding', PADDINGS, {
  caseInsensitive: true,
  explain: {
    causal: 'expected padding to be "valid" or "same", found "causal": causal padding exists only for 1-D layers (Keras rejects it here)'
  }
})

/**
 * An integer ≥ 0.
 * @category codecs
 */
export const NonNegativeInt = numberWhere('a non-negative integer', (n) => Number.isSafeInteger(n) && n >= 0)

const SIDE_PAIRS_FORMS = 'an integer ≥ 0, a list of 2 (symmetric rows, symmetric cols), or 2 pairs [[top, bottom], [left, right]]'

/**
 * Keras's `padding` / `cropping` argument: `n` → `[[n, n], [n, n]]`; `[a, b]` → `[[a, a], [b, b]]`;
 * `[[t, b], [l, r]]` as it is (each entry may also be an int, as Keras's per-entry `standardize_tuple`
 * allows: `[[1, 2], 3]` → `[[1, 2], [3, 3]]`). Every amount is an integer ≥ 0. Errors point at the
 * entry (`padding[0][1]`). Encodes as the pair of pairs.
 * @category codecs
 */
export const sidePairsCodec = (what: string): t.Type<SidePairs, Array<[number, number]>, unknown> =>
  new t.Type<SidePairs, Array<[number, number]>, unknown>(
    SIDE_PAIRS_FORMS,
    (u): u is SidePairs =>
      Array.isArray(u) &&
      u.length === 2 &&
      u.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => NonNegativeInt.is(n))),
    (u, c) => {
      if (typeof u === 'number') {
        const r = NonNegativeInt.validate(u, c)
        return E.isLeft(r)
          ? t.failure(u, c, `expected ${what} to be ${SIDE_PAIRS_FORMS}, found ${describe(u)}`)
          : t.success([
              [r.right, r.right],
              [r.right, r.right]
            ] as const)
      }
      const items = listItems(u)
      if (items === undefined || items.length !== 2) {
        return t.failure(u, c, `expected ${what} to be ${SIDE_PAIRS_FORMS}, found ${describe(u)}`)
      }
      const errors: t.ValidationError[] = []
      const out: Array<readonly [number, number]> = []
      items.forEach((item, i) => {
        const ci = t.appendContext(c, String(i), t.never, item)
        const axis = i === 0 ? 'rows (top, bottom)' : 'cols (left, right)'
        if (typeof item === 'number') {
          const r = NonNegativeInt.validate(item, ci)
          if (E.isLeft(r)) errors.push(...r.left)
          else out.push([r.right, r.right])
          return
        }
        const pair = listItems(item)
        if (pair === undefined || pair.length !== 2) {
          errors.push({ value: item, context: ci, message: `expected the ${axis} entry of ${what} to be an integer ≥ 0 or a list of 2 integers ≥ 0, found ${describe(item)}` })
          return
        }
        const p: number[] = []
        pair.forEach((n, j) => {
          const r = NonNegativeInt.validate(n, t.appendContext(ci, String(j), t.never, n))
          if (E.isLeft(r)) errors.push(...r.left)
          else p.push(r.right)
        })
        if (p.length === 2) out.push([p[0] as number, p[1] as number])
      })
      return errors.length > 0 ? t.failures(errors) : t.success([out[0], out[1]] as unknown as SidePairs)
    },
    (a) => [
      [a[0][0], a[0][1]],
      [a[1][0], a[1][1]]
    ]
  )

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The axes of rows, cols and channels in a rank-4 shape with its batch axis.
 * @category utils
 */
export const imageAxes = (dataFormat: DataFormat): ImageAxes =>
  dataFormat === 'channels_first' ? { rows: 2, cols: 3, channels: 1 } : { rows: 1, cols: 2, channels: 3 }

/**
 * The layout of a per-sample image of the given sizes.
 * @category utils
 */
export const imageLayout = (dataFormat: DataFormat, rows: number, cols: number, channels: number): ImageLayout =>
  dataFormat === 'channels_first'
    ? { rows, cols, channels, rowStride: cols, colStride: 1, channelStride: rows * cols, size: rows * cols * channels }
    : { rows, cols, channels, rowStride: cols * channels, colStride: channels, channelStride: 1, size: rows * cols * channels }

/**
 * The layout of a per-sample shape (no batch axis, data format order).
 * @category utils
 */
export const layoutOf = (dataFormat: DataFormat, shape: ReadonlyArray<number>): ImageLayout =>
  dataFormat === 'channels_first'
    ? imageLayout(dataFormat, shape[1] ?? 1, shape[2] ?? 1, shape[0] ?? 1)
    : imageLayout(dataFormat, shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1)

/**
 * A per-sample shape in the data format's order.
 * @category utils
 */
export const imageShape = (dataFormat: DataFormat, rows: number, cols: number, channels: number): ReadonlyArray<number> =>
  dataFormat === 'channels_first' ? [channels, rows, cols] : [rows, cols, channels]

/** `"rows"` / `"cols"` for image axis 0 / 1. */
export const axisName = (i: number): string => (i === 0 ? 'rows' : 'cols')

/**
 * Compiles through a layer's own `infer`: the per-sample output shape (and weights) for a fully known
 * per-sample input shape, or the same errors `infer` reports. An output or weight larger than a typed
 * array can hold ({@link MAX_ELEMENTS}) is an error here, before the compiler allocates anything for it
 * (UpSampling2D's `size: 2147483648` used to throw a RangeError from `compileModel`).
 * @category utils
 */
export const inferKnown = <S>(
  infer: (spec: S, inputs: ReadonlyArray<SymbolicShape>) => E.Either<ReadonlyArray<SpecError>, InferredLayer>,
  spec: S,
  inputs: ReadonlyArray<ReadonlyArray<number>>
): E.Either<ReadonlyArray<SpecError>, { readonly outputShape: ReadonlyArray<number>; readonly weights: InferredLayer['weights'] }> =>
  pipe(
    infer(
      spec,
      inputs.map((s) => [null, ...s])
    ),
    E.map((r) => ({ outputShape: r.outputShape.slice(1) as ReadonlyArray<number>, weights: r.weights })),
    E.chain((r) => {
      const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)
      const tooLarge = (shape: ReadonlyArray<number>): boolean => sizeOf(shape) > MAX_ELEMENTS
      const errors: SpecError[] = []
      if (tooLarge(r.outputShape)) {
        errors.push(specError('', `one sample's output ${quote(r.outputShape)} has ${sizeOf(r.outputShape)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
      }
      for (const w of r.weights) {
        if (tooLarge(w.shape)) errors.push(specError('', `the weight ${quoteText(w.name)} ${quote(w.shape)} has ${sizeOf(w.shape)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
      }
      return errors.length > 0 ? E.left(errors) : E.right(r)
    })
  )
