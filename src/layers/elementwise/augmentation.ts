/**
 * The Random* image augmentation layers that are the identity at inference: `RandomFlip`,
 * `RandomRotation`, `RandomZoom`, `RandomTranslation`, `RandomContrast`, `RandomBrightness`, and
 * tf.keras 2.x's `RandomHeight` / `RandomWidth` (identity values, but their symbolic output shape has
 * an unknown height / width, as Keras declares it).
 *
 * Their arguments only matter in training; they are decoded and checked as the file's Keras does
 * (tf.keras 2.x `image_preprocessing.py`, Keras 3 `image_preprocessing/random_*.py`). Each `factor`
 * becomes the `[lower, upper]` pair that Keras computes from it, by the dialect's rule (the rules
 * differ: tf.keras reads `RandomRotation(0.2)` as `[-0.2, 0.2]` and `RandomContrast(0.2)` as
 * `[0.2, 0.2]`, Keras 3 reads the latter as `[0, 0.2]`), and is written back as that list, which both
 * read the same way. Keras 3 adds `data_format` (defaulting to the image data format) and, once set,
 * `bounding_box_format`; tf.keras 2.x has neither (always channels_last), so they are rejected there.
 *
 * `RandomCrop` is not here: it is not the identity at inference (it center-crops and resizes to
 * height × width), and Keras versions disagree on what it does then.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe } from '../../core/describe.js'
import { optional, required, type Fields } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { FiniteNumber, nullOr, oneOfNames, SafeInt, Str } from '../../core/primitives.js'
import { specError } from '../../core/SpecError.js'
import type { Dialect } from '../../codec/Dialect.js'
import type { Seed } from '../../codec/Initializer.js'
import { showShape } from '../../codec/InputShape.js'
import { DATA_FORMATS, type DataFormat } from '../../geometry/DataFormat.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerCodecOptions, LayerKind } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { identityLayer, NumberPair } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A `[lower, upper]` pair computed from a Keras `factor` argument.
 * @category model
 */
export type Factor = readonly [number, number]

/**
 * How points outside the image are filled (training only).
 * @category model
 */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest'

/**
 * Interpolation of the affine augmentation layers (training only).
 * @category model
 */
export type AffineInterpolation = 'nearest' | 'bilinear'

/**
 * RandomFlip's mode.
 * @category model
 */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical'

/**
 * Interpolation of `tf.image.resize` (RandomHeight / RandomWidth, training only).
 * @category model
 */
export type ResizeInterpolation = 'bilinear' | 'nearest' | 'bicubic' | 'area' | 'lanczos3' | 'lanczos5' | 'gaussian' | 'mitchellcubic'

/**
 * Fields of every image augmentation spec: the seed, Keras 3's `data_format` and `bounding_box_format`.
 * @category model
 */
export interface ImageAugmentationSpec extends BaseLayerSpec {
  readonly seed: Seed
  /** Keras 3's `data_format`; always `channels_last` for tf.keras 2.x. */
  readonly dataFormat: DataFormat
  /** Keras 3's `bounding_box_format` (only used with dict inputs), or `null`. */
  readonly boundingBoxFormat: string | null
}

/** @category model */
export interface RandomFlipSpec extends ImageAugmentationSpec {
  readonly className: 'RandomFlip'
  readonly mode: FlipMode
}

/** @category model */
export interface RandomRotationSpec extends ImageAugmentationSpec {
  readonly className: 'RandomRotation'
  readonly factor: Factor
  readonly fillMode: FillMode
  readonly interpolation: AffineInterpolation
  readonly fillValue: number
}

/** @category model */
export interface RandomZoomSpec extends ImageAugmentationSpec {
  readonly className: 'RandomZoom'
  readonly heightFactor: Factor
  /** `null`: zoom both axes by the height factor (keeping the aspect ratio). */
  readonly widthFactor: Factor | null
  readonly fillMode: FillMode
  readonly interpolation: AffineInterpolation
  readonly fillValue: number
}

/** @category model */
export interface RandomTranslationSpec extends ImageAugmentationSpec {
  readonly className: 'RandomTranslation'
  readonly heightFactor: Factor
  readonly widthFactor: Factor
  readonly fillMode: FillMode
  readonly interpolation: AffineInterpolation
  readonly fillValue: number
}

/**
 * RandomContrast. tf.keras 2.x has no `value_range` but clips to [0, 255], so its `valueRange` is
 * `[0, 255]`.
 * @category model
 */
export interface RandomContrastSpec extends ImageAugmentationSpec {
  readonly className: 'RandomContrast'
  readonly factor: Factor
  readonly valueRange: readonly [number, number]
}

/** @category model */
export interface RandomBrightnessSpec extends ImageAugmentationSpec {
  readonly className: 'RandomBrightness'
  readonly factor: Factor
  /** Sorted, as Keras stores it. */
  readonly valueRange: readonly [number, number]
}

/**
 * tf.keras 2.x's RandomHeight / RandomWidth.
 * @category model
 */
export interface RandomResizeSpec<C extends 'RandomHeight' | 'RandomWidth'> extends BaseLayerSpec {
  readonly className: C
  readonly factor: Factor
  readonly interpolation: ResizeInterpolation
  readonly seed: Seed
}

/** @category model */
export type RandomHeightSpec = RandomResizeSpec<'RandomHeight'>
/** @category model */
export type RandomWidthSpec = RandomResizeSpec<'RandomWidth'>

// -------------------------------------------------------------------------------------
// factor codecs
// -------------------------------------------------------------------------------------

type FactorOutcome = { readonly pair: Factor } | { readonly problem: string; readonly at?: 0 | 1 }

const z = (x: number): number => (x === 0 ? 0 : x)
const ok = (lo: number, hi: number): FactorOutcome => ({ pair: [z(lo), z(hi)] })
const sorted = (a: number, b: number): FactorOutcome => (a <= b ? ok(a, b) : ok(b, a))

/** tf.keras: a number `f` is `[-f, f]`, a list is `[lower, upper]` as given. */
const tfPair = (raw: number | Factor): Factor => (typeof raw === 'number' ? [-raw, raw] : raw)

/** Each value in [-1, 1]; a number `f` is `[-|f|, |f|]`, a list is sorted. */
const withinUnit =
  (raw: number | Factor): FactorOutcome => {
    if (typeof raw === 'number') {
      return Math.abs(raw) > 1 ? { problem: `expected a number in [-1, 1], found ${raw}` } : ok(-Math.abs(raw), Math.abs(raw))
    }
    for (const i of [0, 1] as const) {
      if (Math.abs(raw[i]) > 1) return { problem: `expected a number in [-1, 1], found ${raw[i]}`, at: i }
    }
    return sorted(raw[0], raw[1])
  }

/**
 * Keras 3's `BaseImagePreprocessingLayer._set_factor` with bounds `[b0, b1]`: a number must lie in
 * the bounds and gives `[max(-|f|, b0), |f|]`; a list needs `factor[0] <= b1` and `factor[1] >= b0`
 * and is sorted.
 */
const kerasBase =
  (b0: number, b1: number) =>
  (raw: number | Factor): FactorOutcome => {
    if (typeof raw === 'number') {
      if (raw < b0 || raw > b1) return { problem: `expected a number in [${b0}, ${b1}], found ${raw}` }
      const f = Math.abs(raw)
      return ok(Math.max(-f, b0), f)
    }
    if (raw[0] > b1) return { problem: `expected the lower bound to be at most ${b1}, found ${raw[0]}`, at: 0 }
    if (raw[1] < b0) return { problem: `expected the upper bound to be at least ${b0}, found ${raw[1]}`, at: 1 }
    return sorted(raw[0], raw[1])
  }

const ordered = (pair: Factor, what: string): FactorOutcome =>
  pair[1] < pair[0] ? { problem: `${what} cannot have an upper bound ${pair[1]} below its lower bound ${pair[0]} (tf.keras raises)` } : ok(pair[0], pair[1])

/** The factor rules, by layer and dialect. */
const RULES = {
  rotation: {
    keras2: (raw: number | Factor) => ordered(tfPair(raw), 'factor'),
    keras3: kerasBase(-1, 1)
  },
  translation: {
    keras2: (raw: number | Factor) => {
      const [lo, hi] = tfPair(raw)
      if (hi < lo) return ordered([lo, hi], 'the factor')
      return Math.abs(lo) > 1 || Math.abs(hi) > 1 ? { problem: `expected values in [-1, 1], found [${lo}, ${hi}]` } : ok(lo, hi)
    },
    keras3: withinUnit
  },
  zoomHeight: {
    keras2: (raw: number | Factor) => {
      const [lo, hi] = tfPair(raw)
      return Math.abs(lo) > 1 || Math.abs(hi) > 1 ? { problem: `expected values in [-1, 1], found [${lo}, ${hi}]` } : ok(lo, hi)
    },
    keras3: withinUnit
  },
  zoomWidth: {
    keras2: (raw: number | Factor) => {
      const [lo, hi] = tfPair(raw)
      return lo < -1 || hi < -1 ? { problem: `expected values larger than -1, found [${lo}, ${hi}]` } : ok(lo, hi)
    },
    keras3: withinUnit
  },
  contrast: {
    keras2: (raw: number | Factor) => {
      const [lo, hi] = typeof raw === 'number' ? [raw, raw] : raw
      return lo < 0 || hi < 0 || lo > 1 ? { problem: `expected non-negative values with the lower one at most 1, found [${lo}, ${hi}]` } : ok(lo, hi)
    },
    keras3: kerasBase(0, 1)
  },
  brightness: { keras2: withinUnit, keras3: kerasBase(-1, 1) },
  resize: {
    keras2: (raw: number | Factor) => {
      const [lo, hi] = tfPair(raw)
      if (hi < lo) return ordered([lo, hi], 'factor')
      return lo < -1 || hi < -1 ? { problem: `expected values larger than -1, found [${lo}, ${hi}]` } : ok(lo, hi)
    }
  }
} as const

const isNum = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/**
 * A `factor` argument (a number or a list of 2 numbers) decoded by `rule` into `[lower, upper]`;
 * encodes as that list.
 */
const factorCodec = (rule: (raw: number | Factor) => FactorOutcome): t.Type<Factor, [number, number], unknown> =>
  new t.Type<Factor, [number, number], unknown>(
    'a number or a list of 2 numbers',
    (u): u is Factor => Array.isArray(u) && u.length === 2 && u.every(isNum),
    (u, c) => {
      let raw: number | Factor
      if (isNum(u)) raw = u
      else {
        const items = listItems(u)
        if (items === undefined || items.length !== 2) return t.failure(u, c, `expected a number or a list of 2 numbers, found ${describe(u)}`)
        const bad = items.findIndex((x) => !isNum(x))
        if (bad >= 0) return t.failure(items[bad], t.appendContext(c, String(bad), t.never, items[bad]), `expected a finite number, found ${describe(items[bad])}`)
        raw = [items[0] as number, items[1] as number]
      }
      const outcome = rule(raw)
      if ('pair' in outcome) return t.success(outcome.pair)
      const ctx = outcome.at === undefined ? c : t.appendContext(c, String(outcome.at), t.never, (raw as Factor)[outcome.at])
      return t.failure(u, ctx, outcome.problem)
    },
    (a) => [a[0], a[1]]
  )

const factorFor = (rules: { readonly keras2: (raw: number | Factor) => FactorOutcome; readonly keras3: (raw: number | Factor) => FactorOutcome }, dialect: Dialect) =>
  factorCodec(rules[dialect])

// -------------------------------------------------------------------------------------
// shared fields
// -------------------------------------------------------------------------------------

const FILL_MODES: ReadonlyArray<FillMode> = ['reflect', 'wrap', 'constant', 'nearest']
const AFFINE_INTERPOLATIONS: ReadonlyArray<AffineInterpolation> = ['nearest', 'bilinear']
const FLIP_MODES: ReadonlyArray<FlipMode> = ['horizontal', 'vertical', 'horizontal_and_vertical']
const RESIZE_INTERPOLATIONS: ReadonlyArray<ResizeInterpolation> = ['bilinear', 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic']

const seedField = () => optional(nullOr(SafeInt), null)

const affineFields = () =>
  ({
    fill_mode: optional(oneOfNames<FillMode>('fill_mode', FILL_MODES), 'reflect'),
    interpolation: optional(oneOfNames<AffineInterpolation>('interpolation', AFFINE_INTERPOLATIONS), 'bilinear'),
    seed: seedField(),
    fill_value: optional(FiniteNumber, 0)
  }) as const

/** Keras 3's fields of every BaseImagePreprocessingLayer. */
const keras3ImageFields = (o: LayerCodecOptions) =>
  ({
    data_format: optional(oneOfNames<DataFormat>('data_format', DATA_FORMATS, { caseInsensitive: true, nullMeans: o.imageDataFormat }), o.imageDataFormat),
    bounding_box_format: optional(nullOr(Str), null)
  }) as const

const keras2Explained = (className: string, extra: ReadonlyArray<string> = []): Readonly<Record<string, string>> =>
  Object.fromEntries(
    ['data_format', 'bounding_box_format', ...extra].map((k) => [k, `${k} is a Keras 3 ${className} argument; tf.keras 2.x's ${className} has none (it works on channels_last images only)`])
  )

interface ImageDecoded {
  readonly seed: Seed
  readonly data_format?: DataFormat
  readonly bounding_box_format?: string | null
}

const imageSpecPart = (c: ImageDecoded): Pick<ImageAugmentationSpec, 'seed' | 'dataFormat' | 'boundingBoxFormat'> => ({
  seed: c.seed,
  dataFormat: c.data_format ?? 'channels_last',
  boundingBoxFormat: c.bounding_box_format ?? null
})

const imageEncoded = (s: ImageAugmentationSpec, dialect: Dialect): Record<string, unknown> =>
  dialect === 'keras2'
    ? { seed: s.seed }
    : { seed: s.seed, data_format: s.dataFormat, ...(s.boundingBoxFormat === null ? {} : { bounding_box_format: s.boundingBoxFormat }) }

/**
 * The codec of an augmentation layer: its own fields plus, for Keras 3, `data_format` and
 * `bounding_box_format`; for tf.keras 2.x those keys (and `keras3Only`) are explained errors.
 */
const imageCodec =
  <S extends ImageAugmentationSpec>(
    className: S['className'],
    own: (o: LayerCodecOptions) => Fields,
    toSpec: (c: Record<string, unknown>, o: LayerCodecOptions) => Omit<S, keyof BaseLayerSpec | 'seed' | 'dataFormat' | 'boundingBoxFormat'>,
    fromSpec: (s: S, dialect: Dialect) => Record<string, unknown>,
    keras3Only: ReadonlyArray<string> = []
  ) =>
  (o: LayerCodecOptions): t.Type<S, Record<string, unknown>, unknown> =>
    layerCodec<S>(className)(
      (opts) => ({ ...own(opts), ...(opts.dialect === 'keras3' ? keras3ImageFields(opts) : {}) }),
      (c, opts) => ({ ...toSpec(c as Record<string, unknown>, opts), ...imageSpecPart(c as unknown as ImageDecoded) }) as unknown as Omit<S, keyof BaseLayerSpec>,
      (s, dialect) => ({ ...fromSpec(s, dialect), ...imageEncoded(s, dialect) }),
      { explained: o.dialect === 'keras2' ? keras2Explained(className, keras3Only) : {} }
    )(o)

/**
 * Keras 3's image layers accept a batch of images (rank 4) or a single image (rank 3, whose first
 * axis is then the batch axis of the model) and raise on any other rank when called; tf.keras 2.x
 * returns any input unchanged at inference.
 */
const inferImage =
  (className: string) =>
  (spec: ImageAugmentationSpec, inputs: ReadonlyArray<ReadonlyArray<number | null>>) =>
    pipe(
      singleInput(className, inputs),
      E.chain((input) =>
        spec.dialect === 'keras3' && input.length !== 3 && input.length !== 4
          ? E.left([specError('', `${className} expects images of rank 4 (batch, then 3 image axes) or 3 (Keras 3 raises on other ranks), found rank ${input.length}: ${showShape(input)}`)])
          : E.right({ outputShape: input, weights: [] })
      )
    )

const compileImage =
  (className: string) =>
  (spec: ImageAugmentationSpec, inputs: ReadonlyArray<ReadonlyArray<number>>, options: { readonly dtype: 'float32' | 'float64' }) =>
    pipe(
      inferImage(className)(spec, [[null, ...(inputs[0] ?? [])]]),
      E.map(() => identityLayer(inputs, options.dtype))
    )

const pairOrNull = (p: Factor | null): [number, number] | null => (p === null ? null : [p[0], p[1]])

// -------------------------------------------------------------------------------------
// layer kinds
// -------------------------------------------------------------------------------------

/**
 * RandomFlip (`mode`, default `horizontal_and_vertical`; `seed`).
 * @category layers
 */
export const RandomFlipKind: LayerKind<RandomFlipSpec> = {
  className: 'RandomFlip',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomFlipSpec>(
    'RandomFlip',
    () => ({ mode: optional(oneOfNames<FlipMode>('mode', FLIP_MODES), 'horizontal_and_vertical'), seed: seedField() }),
    (c) => ({ mode: c['mode'] as FlipMode }),
    (s) => ({ mode: s.mode })
  ),
  infer: inferImage('RandomFlip'),
  compile: compileImage('RandomFlip')
}

/**
 * RandomRotation (`factor` required, a fraction of a full turn; `fill_mode` default `reflect`,
 * `interpolation` default `bilinear`, `seed`, `fill_value` default 0).
 * @category layers
 */
export const RandomRotationKind: LayerKind<RandomRotationSpec> = {
  className: 'RandomRotation',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomRotationSpec>(
    'RandomRotation',
    (o) => ({ factor: required(factorFor(RULES.rotation, o.dialect)), ...affineFields() }),
    (c) => ({ factor: c['factor'] as Factor, fillMode: c['fill_mode'] as FillMode, interpolation: c['interpolation'] as AffineInterpolation, fillValue: c['fill_value'] as number }),
    (s) => ({ factor: [s.factor[0], s.factor[1]], fill_mode: s.fillMode, fill_value: s.fillValue, interpolation: s.interpolation })
  ),
  infer: inferImage('RandomRotation'),
  compile: compileImage('RandomRotation')
}

/**
 * RandomZoom (`height_factor` required, `width_factor` default `null`; affine arguments as
 * RandomRotation).
 * @category layers
 */
export const RandomZoomKind: LayerKind<RandomZoomSpec> = {
  className: 'RandomZoom',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomZoomSpec>(
    'RandomZoom',
    (o) => ({
      height_factor: required(factorFor(RULES.zoomHeight, o.dialect)),
      width_factor: optional(nullOr(factorFor(RULES.zoomWidth, o.dialect)), null),
      ...affineFields()
    }),
    (c) => ({
      heightFactor: c['height_factor'] as Factor,
      widthFactor: c['width_factor'] as Factor | null,
      fillMode: c['fill_mode'] as FillMode,
      interpolation: c['interpolation'] as AffineInterpolation,
      fillValue: c['fill_value'] as number
    }),
    (s) => ({ height_factor: pairOrNull(s.heightFactor), width_factor: pairOrNull(s.widthFactor), fill_mode: s.fillMode, fill_value: s.fillValue, interpolation: s.interpolation })
  ),
  infer: inferImage('RandomZoom'),
  compile: compileImage('RandomZoom')
}

/**
 * RandomTranslation (`height_factor`, `width_factor` required; affine arguments as RandomRotation).
 * @category layers
 */
export const RandomTranslationKind: LayerKind<RandomTranslationSpec> = {
  className: 'RandomTranslation',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomTranslationSpec>(
    'RandomTranslation',
    (o) => ({
      height_factor: required(factorFor(RULES.translation, o.dialect)),
      width_factor: required(factorFor(RULES.translation, o.dialect)),
      ...affineFields()
    }),
    (c) => ({
      heightFactor: c['height_factor'] as Factor,
      widthFactor: c['width_factor'] as Factor,
      fillMode: c['fill_mode'] as FillMode,
      interpolation: c['interpolation'] as AffineInterpolation,
      fillValue: c['fill_value'] as number
    }),
    (s) => ({ height_factor: pairOrNull(s.heightFactor), width_factor: pairOrNull(s.widthFactor), fill_mode: s.fillMode, fill_value: s.fillValue, interpolation: s.interpolation })
  ),
  infer: inferImage('RandomTranslation'),
  compile: compileImage('RandomTranslation')
}

/** tf.keras 2.x RandomContrast clips its training output to [0, 255]. */
const TF2_CONTRAST_RANGE: readonly [number, number] = [0, 255]

/**
 * RandomContrast (`factor` required; Keras 3 also `value_range`, default `[0, 255]`, kept in the given
 * order as Keras 3 stores it).
 * @category layers
 */
export const RandomContrastKind: LayerKind<RandomContrastSpec> = {
  className: 'RandomContrast',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomContrastSpec>(
    'RandomContrast',
    (o) => ({
      factor: required(factorFor(RULES.contrast, o.dialect)),
      ...(o.dialect === 'keras3' ? { value_range: optional(NumberPair, [0, 255] as const) } : {}),
      seed: seedField()
    }),
    (c) => ({ factor: c['factor'] as Factor, valueRange: (c['value_range'] as readonly [number, number] | undefined) ?? TF2_CONTRAST_RANGE }),
    (s, dialect) => ({ factor: [s.factor[0], s.factor[1]], ...(dialect === 'keras3' ? { value_range: [s.valueRange[0], s.valueRange[1]] } : {}) }),
    ['value_range']
  ),
  infer: inferImage('RandomContrast'),
  compile: compileImage('RandomContrast')
}

const SortedPair = new t.Type<readonly [number, number], [number, number], unknown>(
  NumberPair.name,
  NumberPair.is,
  (u, c) => {
    const r = NumberPair.validate(u, c)
    if (E.isLeft(r)) return r
    const [a, b] = r.right
    return t.success(a <= b ? r.right : ([b, a] as const))
  },
  NumberPair.encode
)

/**
 * RandomBrightness (`factor` required, `value_range` default `[0, 255]`, sorted as Keras stores it;
 * `seed`).
 * @category layers
 */
export const RandomBrightnessKind: LayerKind<RandomBrightnessSpec> = {
  className: 'RandomBrightness',
  aliases: [],
  arity: 'single',
  codec: imageCodec<RandomBrightnessSpec>(
    'RandomBrightness',
    (o) => ({ factor: required(factorFor(RULES.brightness, o.dialect)), value_range: optional(SortedPair, [0, 255] as const), seed: seedField() }),
    (c) => ({ factor: c['factor'] as Factor, valueRange: c['value_range'] as readonly [number, number] }),
    (s) => ({ factor: [s.factor[0], s.factor[1]], value_range: [s.valueRange[0], s.valueRange[1]] })
  ),
  infer: inferImage('RandomBrightness'),
  compile: compileImage('RandomBrightness')
}

/**
 * The codec of a tf.keras 2.x layer class that Keras 3 does not have: every keras3 config of it is an
 * error (Keras 3 raises "Could not locate class" when it reads the file).
 */
const notInKeras3 = <S extends BaseLayerSpec>(className: string): t.Type<S, Record<string, unknown>, unknown> =>
  new t.Type<S, Record<string, unknown>, unknown>(
    `a ${className} config`,
    (_u): _u is S => false,
    (u, c) =>
      t.failure(
        u,
        c,
        `${className} is a tf.keras 2.x layer that Keras 3 does not have (Keras 3 raises "Could not locate class '${className}'" when it reads the file); only keras2 files (tf.keras 2.x, TensorFlow.js) can hold it`
      ),
    () => ({})
  )

const resizeKind = <C extends 'RandomHeight' | 'RandomWidth'>(className: C): LayerKind<RandomResizeSpec<C>> => {
  const axis = className === 'RandomHeight' ? -3 : -2
  const what = className === 'RandomHeight' ? 'height' : 'width'
  return {
    className,
    aliases: [],
    arity: 'single',
    codec: (o) =>
      o.dialect === 'keras3'
        ? notInKeras3<RandomResizeSpec<C>>(className)
        : layerCodec<RandomResizeSpec<C>>(className)(
            () => ({
              factor: required(factorCodec(RULES.resize.keras2)),
              interpolation: optional(oneOfNames<ResizeInterpolation>('interpolation', RESIZE_INTERPOLATIONS, { caseInsensitive: true }), 'bilinear'),
              seed: seedField()
            }),
            (c) => ({ factor: c.factor, interpolation: c.interpolation, seed: c.seed }) as Omit<RandomResizeSpec<C>, keyof BaseLayerSpec>,
            (s) => ({ factor: [s.factor[0], s.factor[1]], interpolation: s.interpolation, seed: s.seed })
          )(o),
    infer: (_spec, inputs) =>
      pipe(
        singleInput(className, inputs),
        E.chain((input) =>
          input.length < -axis
            ? E.left([specError('', `${className} expects an input with a ${what} axis (rank ≥ ${-axis}, batch axis included, channels_last), found rank ${input.length}: ${showShape(input)}`)])
            : E.right({ outputShape: input.map((d, i) => (i === input.length + axis ? null : d)), weights: [] })
        )
      ),
    compile: (_spec, inputs, options) =>
      (inputs[0] ?? []).length + 1 < -axis
        ? E.left([specError('', `${className} expects an input with a ${what} axis (rank ≥ ${-axis}, batch axis included)`)])
        : E.right(identityLayer(inputs, options.dtype))
  }
}

/**
 * tf.keras 2.x's RandomHeight (`factor` required, `interpolation` default `bilinear`, any
 * `tf.image.resize` method, case-insensitive; `seed`). The identity at inference, but Keras declares
 * the output height unknown (`None`), so the symbolic output shape has `null` there; compiled for
 * known shapes, the output keeps the input's height. Keras 3 has no such layer: a keras3 config of it is
 * an error.
 * @category layers
 */
export const RandomHeightKind: LayerKind<RandomHeightSpec> = resizeKind('RandomHeight')

/**
 * tf.keras 2.x's RandomWidth, as {@link RandomHeightKind} for the width axis. (tfjs-layers' RandomWidth
 * resizes even at inference and declares a broken output shape; Keras's behaviour is kept.)
 * @category layers
 */
export const RandomWidthKind: LayerKind<RandomWidthSpec> = resizeKind('RandomWidth')

/**
 * The augmentation kinds.
 * @category layers
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const AUGMENTATION_KINDS: ReadonlyArray<LayerKind<any>> = [
  RandomFlipKind,
  RandomRotationKind,
  RandomZoomKind,
  RandomTranslationKind,
  RandomContrastKind,
  RandomBrightnessKind,
  RandomHeightKind,
  RandomWidthKind
]
