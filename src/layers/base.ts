/**
 * The bookkeeping arguments every Keras layer config carries (`name`, `trainable`, `dtype`,
 * `batch_input_shape`, `input_shape`, `batch_size`), decoded once for all layer kinds, with the rules
 * that tie them together. A layer's codec spreads {@link bookkeepingFields} into its own fields, adds
 * {@link BOOKKEEPING_RULES} to its rules, and builds its spec with {@link bookkeepingSpec}.
 */
import * as t from 'io-ts'
import { describe, quote } from '../core/describe.js'
import { optional, type Rule } from '../core/KerasObject.js'
import type { PositiveInt } from '../core/PositiveInt.js'
import { PositiveInt as PositiveIntCodec } from '../core/PositiveInt.js'
import { Bool, nullOr } from '../core/primitives.js'
import type { Dialect } from '../codec/Dialect.js'
import { dtypeCodec, type DType } from '../codec/DType.js'
import { sameShape, shapeOfMinRank, shapeOfRank, type PartialShape } from '../codec/InputShape.js'

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
}

/** The decoded bookkeeping fields of a config. */
export interface Bookkeeping {
  readonly name: string | null
  readonly trainable: boolean
  readonly dtype: DType
  readonly batch_input_shape: PartialShape | null
  readonly input_shape: PartialShape | null
  readonly batch_size: PositiveInt | null
}

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
    batch_input_shape: optional(
      nullOr(
        inputRank === null
          ? shapeOfMinRank(2, '[batch, then the input axes]')
          : shapeOfRank(inputRank + 1, `[batch, then the ${inputRank} input axes in the data format's order]`)
      ),
      null
    ),
    input_shape: optional(
      nullOr(
        inputRank === null
          ? shapeOfMinRank(1, '[the input axes, no batch axis]')
          : shapeOfRank(inputRank, `[the ${inputRank} input axes in the data format's order, no batch axis]`)
      ),
      null
    ),
    batch_size: optional(nullOr(PositiveIntCodec), null)
  }) as const

/**
 * Rules between the bookkeeping fields: `input_shape` must agree with `batch_input_shape`, `batch_size`
 * with its batch axis.
 * @category codecs
 */
export const bookkeepingRules = <C extends Bookkeeping>(): ReadonlyArray<Rule<C>> => [
  {
    keys: ['input_shape', 'batch_input_shape'],
    check: (c) =>
      c.input_shape !== null && c.batch_input_shape !== null && !sameShape(c.input_shape, c.batch_input_shape.slice(1))
        ? {
            key: 'input_shape',
            message: `input_shape ${quote(c.input_shape)} disagrees with batch_input_shape ${quote(c.batch_input_shape)} (which without its batch axis is ${quote(c.batch_input_shape.slice(1))}); give one of them`
          }
        : undefined
  },
  {
    keys: ['batch_size', 'batch_input_shape'],
    check: (c) =>
      c.batch_size !== null && c.batch_input_shape !== null && c.batch_input_shape[0] !== c.batch_size
        ? { key: 'batch_size', message: `batch_size ${c.batch_size} disagrees with the batch axis of batch_input_shape ${quote(c.batch_input_shape)}` }
        : undefined
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
): Pick<BaseLayerSpec, 'dialect' | 'name' | 'trainable' | 'dtype' | 'inputShape' | 'batchSize'> => {
  const batchShape = c.batch_input_shape ?? built
  const inputShape = batchShape?.slice(1) ?? c.input_shape ?? null
  const batchSize = batchShape?.[0] ?? c.batch_size ?? null
  return { dialect, name: c.name, trainable: c.trainable, dtype: c.dtype, inputShape, batchSize: inputShape === null ? null : batchSize }
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
  if (spec.inputShape !== null && shape === 'input_shape') {
    out['input_shape'] = [...spec.inputShape]
    if (spec.batchSize !== null) out['batch_size'] = spec.batchSize
  }
  return out
}
