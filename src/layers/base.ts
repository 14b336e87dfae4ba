/**
 * The bookkeeping arguments every Keras layer config carries, decoded once for all layer kinds, with the
 * rules that tie them together. Both dialects: `name`, `trainable`, `dtype`, `input_shape`, `input_dim`,
 * `autocast` and `activity_regularizer` (every Keras layer takes the last two, tf.keras 2.x and Keras 3
 * alike); `keras2` also `batch_input_shape` and `batch_size`, which Keras 3 layers refuse ("Unrecognized
 * keyword arguments"). `autocast` is checked and dropped: no Keras writes it back (it is not in
 * `get_config`), and it changes nothing when the whole model computes in one dtype. A layer's codec
 * spreads {@link bookkeepingFields} into its own fields, adds {@link bookkeepingRules} to its rules, and
 * builds its spec with {@link bookkeepingSpec}.
 */
import * as t from 'io-ts'
import { describe, quote } from '../core/describe.js'
import { optional, type Field, type Rule } from '../core/KerasObject.js'
import type { PositiveInt } from '../core/PositiveInt.js'
import { PositiveInt as PositiveIntCodec } from '../core/PositiveInt.js'
import { Bool, nullOr } from '../core/primitives.js'
import type { Dialect } from '../codec/Dialect.js'
import { dtypeCodec, type DType } from '../codec/DType.js'
import { sameShape, shapeOfMinRank, shapeOfRank, type PartialShape } from '../codec/InputShape.js'
import { regularizerCodec, type Regularizer } from '../codec/Regularizer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Fields every normalized layer spec has.
 * @category model
 */
export interface BaseLayerSpec {
  /** The canonical Keras class name (`'Conv2D'`, `'Dense'`, …): the discriminant of layer specs. */
  readonly className: string
  /** The dialect of the file the layer came from (the same for every layer of a model). */
  readonly dialect: Dialect
  readonly name: string | null
  readonly trainable: boolean
  readonly dtype: DType
  /** The input shape the config declares, without the batch axis (`batch_input_shape` / `input_shape`). */
  readonly inputShape: PartialShape | null
  /** The batch size the config declares, when it fixes one. */
  readonly batchSize: PositiveInt | null
  /**
   * The activity regularizer every Keras layer takes (a loss on the layer's output, training only).
   * Kernel layers always have it (`null` for none); other layers have it only when one is set.
   */
  readonly activityRegularizer?: Regularizer | null
}

/** The decoded bookkeeping fields of a config (a `keras3` codec has no `batch_input_shape` / `batch_size`: undefined there at run time). */
export interface Bookkeeping {
  readonly name: string | null
  readonly trainable: boolean
  readonly dtype: DType
  readonly batch_input_shape: PartialShape | null
  readonly input_shape: PartialShape | null
  readonly batch_size: PositiveInt | null
  readonly input_dim?: PositiveInt | null
  readonly autocast?: boolean
  readonly activity_regularizer?: Regularizer | null
}

/**
 * Why a `keras3` layer config may not hold tf.keras 2.x's `batch_input_shape` / `batch_size`.
 * @category codecs
 */
export const KERAS3_BATCH_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
  ['batch_input_shape', 'batch_size'].map((k) => [
    k,
    `"${k}" is a tf.keras 2.x layer argument: Keras 3 layers refuse it ("Unrecognized keyword arguments"), and Keras 3 files give the input shape in an InputLayer's batch_shape or the layer's build_config; use "input_shape" (without the batch axis), or read the file as keras2`
  ])
)

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * A layer name: a string without `/` (Keras 3 rejects it), or `null` (SavedModel metadata writes it).
 * @category codecs
 */
export const LayerName: t.Type<string | null, string | null, unknown> = new t.Type<string | null, string | null, unknown>(
  'a layer name (a string without "/")',
  (u): u is string | null => u === null || (typeof u === 'string' && !u.includes('/')),
  (u, c) => {
    if (u === null) return t.success(null)
    if (typeof u !== 'string') return t.failure(u, c, `expected the layer name to be a string, found ${describe(u)}`)
    if (u.includes('/')) return t.failure(u, c, `expected a layer name without "/" (Keras 3 rejects it), found ${describe(u)}`)
    return t.success(u)
  },
  (a) => a
)

/**
 * The bookkeeping fields. `inputRank` fixes the rank of the input (3 for Conv2D's image axes); `null`
 * accepts any rank ≥ 1.
 * @category codecs
 */
export const bookkeepingFields = (dialect: Dialect, inputRank: number | null) =>
  ({
    name: optional(LayerName, null),
    trainable: optional(Bool, true),
    dtype: optional(dtypeCodec(dialect), 'float32'),
    ...(dialect === 'keras2'
      ? {
          batch_input_shape: optional(
            nullOr(
              inputRank === null
                ? shapeOfMinRank(2, '[batch, then the input axes]')
                : shapeOfRank(inputRank + 1, `[batch, then the ${inputRank} input axes in the data format's order]`)
            ),
            null
          )
        }
      : {}),
    input_shape: optional(
      nullOr(
        inputRank === null
          ? shapeOfMinRank(1, '[the input axes, no batch axis]')
          : shapeOfRank(inputRank, `[the ${inputRank} input axes in the data format's order, no batch axis]`)
      ),
      null
    ),
    ...(dialect === 'keras2' ? { batch_size: optional(nullOr(PositiveIntCodec), null) } : {}),
    ...(inputRank === null ? { input_dim: optional(nullOr(PositiveIntCodec), null) } : {}),
    autocast: optional(Bool, true),
    activity_regularizer: optional(regularizerCodec(dialect), null)
  }) as unknown as BookkeepingFields

/** The bookkeeping fields' codecs (the keras2-only ones absent from `keras3` codecs). */
type BookkeepingFields = {
  readonly name: Field<string | null, string | null>
  readonly trainable: Field<boolean, boolean>
  readonly dtype: Field<DType, unknown>
  readonly batch_input_shape: Field<PartialShape | null, Array<number | null> | null>
  readonly input_shape: Field<PartialShape | null, Array<number | null> | null>
  readonly batch_size: Field<PositiveInt | null, number | null>
  readonly autocast: Field<boolean, boolean>
  readonly activity_regularizer: Field<Regularizer | null, unknown>
}

/**
 * Rules between the bookkeeping fields: `input_shape` must agree with `batch_input_shape`, `batch_size`
 * with its batch axis.
 * @category codecs
 */
export const bookkeepingRules = <C extends Bookkeeping>(dialect: Dialect = 'keras2'): ReadonlyArray<Rule<C>> => [
  ...(dialect === 'keras3'
    ? [
        {
          keys: ['input_shape', 'input_dim'] as never,
          check: (c: C) =>
            c.input_dim !== undefined && c.input_dim !== null && c.input_shape !== null
              ? {
                  key: 'input_dim' as never,
                  message: `give input_shape or input_dim, not both (Keras 3 reads input_dim and then raises "Unrecognized keyword arguments" for input_shape)`
                }
              : undefined
        } satisfies Rule<C>
      ]
    : []),
  {
    keys: ['input_shape', 'batch_input_shape'],
    check: (c) => {
      const batchShape = c.batch_input_shape ?? null
      return c.input_shape !== null && batchShape !== null && !sameShape(c.input_shape, batchShape.slice(1))
        ? {
            key: 'input_shape',
            message: `input_shape ${quote(c.input_shape)} disagrees with batch_input_shape ${quote(batchShape)} (which without its batch axis is ${quote(batchShape.slice(1))}); give one of them`
          }
        : undefined
    }
  },
  {
    keys: ['batch_size', 'batch_input_shape'],
    check: (c) => {
      const batchShape = c.batch_input_shape ?? null
      const batchSize = c.batch_size ?? null
      return batchSize !== null && batchShape !== null && batchShape[0] !== batchSize
        ? { key: 'batch_size', message: `batch_size ${batchSize} disagrees with the batch axis of batch_input_shape ${quote(batchShape)}` }
        : undefined
    }
  }
]

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The spec fields of the decoded bookkeeping (`built` is Keras 3's `build_config.input_shape`, used
 * when the config itself declares no input shape).
 * @category constructors
 */
export const bookkeepingSpec = (
  dialect: Dialect,
  c: Bookkeeping,
  built: PartialShape | null = null
): Pick<BaseLayerSpec, 'dialect' | 'name' | 'trainable' | 'dtype' | 'inputShape' | 'batchSize' | 'activityRegularizer'> => {
  const batchShape = (c.batch_input_shape ?? null) ?? built
  // tf.keras 2.x: input_shape wins over input_dim; Keras 3 refuses both together (bookkeepingRules).
  const inputShape = batchShape?.slice(1) ?? c.input_shape ?? (c.input_dim === undefined || c.input_dim === null ? null : [c.input_dim])
  const batchSize = batchShape?.[0] ?? (c.batch_size ?? null)
  return {
    dialect,
    name: c.name,
    trainable: c.trainable,
    dtype: c.dtype,
    inputShape,
    batchSize: inputShape === null ? null : batchSize,
    ...(c.activity_regularizer === undefined || c.activity_regularizer === null ? {} : { activityRegularizer: c.activity_regularizer })
  }
}

/**
 * The bookkeeping part of an encoded config, in Keras's key order (`name`, `trainable`,
 * [`batch_input_shape`], `dtype`). With `withBatchShape` false (Keras 3 layer entries, whose input shape
 * lives in `build_config`), the declared shape is written as `input_shape` + `batch_size` only when
 * `asArguments` is set (a bare Keras 3 config).
 * @category constructors
 */
export const encodeBookkeeping = (
  spec: BaseLayerSpec,
  dialect: Dialect,
  shape: 'batch_input_shape' | 'input_shape' | 'omit'
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (spec.name !== null) out['name'] = spec.name
  out['trainable'] = spec.trainable
  if (spec.inputShape !== null && shape === 'batch_input_shape') out['batch_input_shape'] = [spec.batchSize, ...spec.inputShape]
  out['dtype'] = dtypeCodec(dialect).encode(spec.dtype)
  if (spec.activityRegularizer !== undefined && spec.activityRegularizer !== null) {
    out['activity_regularizer'] = regularizerCodec(dialect).encode(spec.activityRegularizer)
  }
  if (spec.inputShape !== null && shape === 'input_shape') {
    out['input_shape'] = [...spec.inputShape]
    // Keras 3 layers take no batch_size (a fixed batch lives in the model's InputLayer).
    if (spec.batchSize !== null && dialect === 'keras2') out['batch_size'] = spec.batchSize
  }
  return out
}
