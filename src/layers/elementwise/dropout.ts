/**
 * Dropout layers: `Dropout` and `SpatialDropout2D`. At inference both are the identity; their
 * arguments only matter in training, but they are decoded and checked as Keras does.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional, required } from '../../core/KerasObject.js'
import { nullOr, numberWhere, oneOfNames, SafeInt } from '../../core/primitives.js'
import type { Seed } from '../../codec/Initializer.js'
import { shapeOfMinRank, type PartialShape } from '../../codec/InputShape.js'
import { DATA_FORMATS, type DataFormat } from '../../geometry/DataFormat.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { identityLayer, sameShape } from './common.js'
import * as t from 'io-ts'
import { isPlainObject } from '../../core/describe.js'
import { hasOwnKey } from '../../core/NameTable.js'
import type { LayerCodecOptions } from '../LayerKind.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized Dropout layer.
 * @category model
 */
export interface DropoutSpec extends BaseLayerSpec {
  readonly className: 'Dropout'
  /** The fraction of units dropped in training, in [0, 1]. */
  readonly rate: number
  /** The shape of the keep/drop mask (`null` dims follow the input), or `null` for the input's shape. */
  readonly noiseShape: PartialShape | null
  readonly seed: Seed
}

/**
 * A normalized SpatialDropout2D layer. `noiseShape` is tf.keras 2.x's inherited Dropout argument (kept
 * for its config, ignored by the layer); Keras 3 has none, so it is `null` there.
 * @category model
 */
export interface SpatialDropout2DSpec extends BaseLayerSpec {
  readonly className: 'SpatialDropout2D'
  readonly rate: number
  readonly dataFormat: DataFormat
  readonly noiseShape: PartialShape | null
  readonly seed: Seed
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * A dropout rate: a number in [0, 1] (Keras raises outside it).
 * @category codecs
 */
export const Rate = numberWhere('a number between 0 and 1 (the fraction of units dropped)', (n) => n >= 0 && n <= 1)

const NoiseShape = nullOr(shapeOfMinRank(1, '[one per input axis, batch included]'))

const SeedField = optional(nullOr(SafeInt), null)

// -------------------------------------------------------------------------------------
// layer kinds
// -------------------------------------------------------------------------------------

/**
 * Dropout (`rate`, `noise_shape`, `seed`): the identity at inference, for any input rank.
 * @category layers
 */
export const DropoutKind: LayerKind<DropoutSpec> = {
  className: 'Dropout',
  aliases: [],
  arity: 'single',
  codec: layerCodec<DropoutSpec>('Dropout')(
    () => ({ rate: required(Rate), noise_shape: optional(NoiseShape, null), seed: SeedField }),
    (c) => ({ rate: c.rate, noiseShape: c.noise_shape, seed: c.seed }),
    (s, dialect) =>
      dialect === 'keras2'
        ? { rate: s.rate, noise_shape: s.noiseShape === null ? null : [...s.noiseShape], seed: s.seed }
        : { rate: s.rate, seed: s.seed, noise_shape: s.noiseShape === null ? null : [...s.noiseShape] }
  ),
  infer: (_spec, inputs) => sameShape('Dropout', inputs),
  compile: (_spec, inputs, options) => E.right(identityLayer(inputs, options.dtype))
}

/**
 * SpatialDropout2D (`rate`, `data_format`, `seed`; tf.keras 2.x also accepts `noise_shape`, which it
 * ignores, and every layer's bookkeeping arguments, of which Keras 3 keeps only `name` and `dtype`): the
 * identity at inference, on rank-4 inputs only (Keras's `InputSpec(ndim=4)`).
 * @category layers
 */
export const SpatialDropout2DKind: LayerKind<SpatialDropout2DSpec> = {
  className: 'SpatialDropout2D',
  aliases: [],
  arity: 'single',
  codec: (o) => (o.dialect === 'keras3' ? keras3SpatialDropout(spatialDropoutCodec(o)) : spatialDropoutCodec(o)),
  infer: (_spec, inputs) =>
    pipe(
      singleInput('SpatialDropout2D', inputs, 4),
      E.map((input) => ({ outputShape: input, weights: [] }))
    ),
  compile: (_spec, inputs, options) =>
    pipe(
      singleInput('SpatialDropout2D', [[null, ...(inputs[0] ?? [])]], 4),
      E.map(() => identityLayer(inputs, options.dtype))
    )
}

/**
 * Keras 3's SpatialDropout2D takes only `rate`, `data_format`, `seed`, `name` and `dtype` (its
 * constructor has no `**kwargs`: "got an unexpected keyword argument 'trainable'"), and its config
 * holds only those: the other bookkeeping keys are errors in a keras3 config, and not written.
 */
const KERAS3_SPATIAL_DROPOUT_REFUSES: ReadonlyArray<string> = ['trainable', 'autocast', 'activity_regularizer', 'input_shape', 'input_dim']

const keras3SpatialDropout = (
  inner: t.Type<SpatialDropout2DSpec, Record<string, unknown>, unknown>
): t.Type<SpatialDropout2DSpec, Record<string, unknown>, unknown> =>
  new t.Type<SpatialDropout2DSpec, Record<string, unknown>, unknown>(
    inner.name,
    inner.is,
    (u, c) => {
      const refused = isPlainObject(u) ? KERAS3_SPATIAL_DROPOUT_REFUSES.filter((k) => hasOwnKey(u, k)) : []
      const r = inner.validate(u, c)
      if (refused.length === 0) return r
      const errors: t.ValidationError[] = refused.map((k) => ({
        value: (u as Record<string, unknown>)[k],
        context: t.appendContext(c, k, t.never, (u as Record<string, unknown>)[k]),
        message: `Keras 3's SpatialDropout2D takes no "${k}" argument (its constructor has only rate, data_format, seed, name and dtype, and raises "got an unexpected keyword argument")`
      }))
      return t.failures([...errors, ...(E.isLeft(r) ? r.left.filter((e) => !refused.includes(e.context[e.context.length - 1]?.key ?? '')) : [])])
    },
    (s) => {
      const out = { ...inner.encode(s) }
      delete out['trainable']
      return out
    }
  )

const spatialDropoutCodec = (o: LayerCodecOptions): t.Type<SpatialDropout2DSpec, Record<string, unknown>, unknown> =>
    layerCodec<SpatialDropout2DSpec>('SpatialDropout2D')(
      () => ({
        rate: required(Rate),
        data_format: optional(oneOfNames<DataFormat>('data_format', DATA_FORMATS, { caseInsensitive: true, nullMeans: o.imageDataFormat }), o.imageDataFormat),
        seed: SeedField,
        ...(o.dialect === 'keras2' ? { noise_shape: optional(NoiseShape, null) } : {})
      }),
      (c) => ({ rate: c.rate, dataFormat: c.data_format, noiseShape: (c as { noise_shape?: PartialShape | null }).noise_shape ?? null, seed: c.seed }),
      (s, dialect) =>
        dialect === 'keras2'
          ? { rate: s.rate, noise_shape: s.noiseShape === null ? null : [...s.noiseShape], seed: s.seed, data_format: s.dataFormat }
          : { rate: s.rate, seed: s.seed, data_format: s.dataFormat },
      {
        explained:
          o.dialect === 'keras3'
            ? { noise_shape: "noise_shape is not a Keras 3 SpatialDropout2D argument (its mask is always one value per sample and channel); only tf.keras 2.x's accepted (and ignored) it" }
            : {}
      }
    )(o)
