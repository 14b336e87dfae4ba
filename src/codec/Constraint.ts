/**
 * `Constraint`: a projection applied to a weight after each optimizer update (reference §7, §11.11):
 * `max_norm`, `non_neg`, `unit_norm`, `min_max_norm`, by class name, snake_case name or, in `keras2`
 * configs, TF 2.x alias (`maxnorm`, `nonneg`, `unitnorm`; Keras 3 no longer knows them, so a `keras3`
 * config naming one is an error). `axis` is normalized to a sorted list without duplicates.
 */
import * as t from 'io-ts'
import { describe, quote } from '../core/describe.js'
import { envelope, rejected, resolved, stringsOf, validateClassObject, type ClassFamily, type Resolution, type StringResolution } from '../core/ClassObject.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { kerasObject, optional } from '../core/KerasObject.js'
import { listItems } from '../core/Pair.js'
import { decodedAs, kindGuard, NonNegativeNumber, numberWhere, SafeInt } from '../core/primitives.js'
import type { Dialect } from './Dialect.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Axes of the weight along which norms are taken (L2 over these axes, kept as size-1 dims); for a
 * Conv2D kernel (HWIO) `[0, 1, 2]` constrains each filter. Negative axes count from the end.
 * @category model
 */
export type Axes = ReadonlyArray<number>

/**
 * A normalized constraint (ε = 1e-7 in every formula, as Keras's backend epsilon):
 * - `max_norm`: `w · clip(n, 0, maxValue) / (ε + n)`;
 * - `non_neg`: `max(w, 0)`;
 * - `unit_norm`: `w / (ε + n)`;
 * - `min_max_norm`: `w · (rate·clip(n, minValue, maxValue) + (1 − rate)·n) / (ε + n)`,
 * where `n` is the L2 norm over `axis`.
 * @category model
 */
export type Constraint =
  | { readonly kind: 'max_norm'; readonly maxValue: number; readonly axis: Axes }
  | { readonly kind: 'non_neg' }
  | { readonly kind: 'unit_norm'; readonly axis: Axes }
  | {
      readonly kind: 'min_max_norm'
      readonly minValue: number
      readonly maxValue: number
      readonly rate: number
      readonly axis: Axes
    }

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/** `axis`: an integer or a list of distinct integers; encodes a single axis as an integer. */
const AxisCodec: t.Type<Axes, number | number[], unknown> = new t.Type<Axes, number | number[], unknown>(
  'an integer axis or a list of integer axes',
  // the normalized form: a non-empty, strictly increasing list of integers
  (u): u is Axes => Array.isArray(u) && u.length > 0 && u.every((x: unknown, i) => SafeInt.is(x) && (i === 0 || x > u[i - 1])),
  (u, c) => {
    if (typeof u === 'number') {
      return SafeInt.is(u) ? t.success([u]) : t.failure(u, c, `expected an integer axis, found ${describe(u)}`)
    }
    const items = listItems(u)
    if (items === undefined || items.length === 0) {
      return t.failure(u, c, `expected an integer axis or a non-empty list of integer axes, found ${describe(u)}`)
    }
    const errors: t.ValidationError[] = []
    items.forEach((x, i) => {
      if (!SafeInt.is(x)) {
        errors.push({ value: x, context: t.appendContext(c, String(i), t.never, x), message: `expected an integer axis, found ${describe(x)}` })
      }
    })
    if (errors.length > 0) return t.failures(errors)
    const axes = items as ReadonlyArray<number>
    if (new Set(axes).size !== axes.length) {
      return t.failure(u, c, `expected distinct axes, found ${quote(axes)} with a repeated axis`)
    }
    return t.success([...axes].sort((a, b) => a - b))
  },
  (a) => (a.length === 1 ? (a[0] as number) : [...a])
)

const Rate = numberWhere('a number between 0 and 1', (n) => n >= 0 && n <= 1)

// The config decoders below only read: encoding writes each kind's class in `toKeras`.

const MaxNormConfig = decodedAs(
  kerasObject('MaxNorm', { max_value: optional(NonNegativeNumber, 2), axis: optional(AxisCodec, [0]) }),
  (c): Constraint => ({ kind: 'max_norm', maxValue: c.max_value, axis: c.axis })
)

const NonNegConfig = decodedAs(kerasObject('NonNeg', {}), (): Constraint => ({ kind: 'non_neg' }))

const UnitNormConfig = decodedAs(
  kerasObject('UnitNorm', { axis: optional(AxisCodec, [0]) }),
  (c): Constraint => ({ kind: 'unit_norm', axis: c.axis })
)

const MinMaxNormConfig = decodedAs(
  kerasObject(
    'MinMaxNorm',
    {
      min_value: optional(NonNegativeNumber, 0),
      max_value: optional(NonNegativeNumber, 1),
      rate: optional(Rate, 1),
      axis: optional(AxisCodec, [0])
    },
    {
      rules: [
        {
          keys: ['min_value', 'max_value'],
          check: (c) =>
            c.min_value > c.max_value
              ? { key: 'min_value', message: `expected min_value <= max_value, found min_value ${c.min_value} > max_value ${c.max_value}` }
              : undefined
        }
      ]
    }
  ),
  (c): Constraint => ({ kind: 'min_max_norm', minValue: c.min_value, maxValue: c.max_value, rate: c.rate, axis: c.axis })
)

const RADIAL_REASON =
  'RadialConstraint (TF 2.x only, removed in Keras 3) is not supported by layerspec; use max_norm, non_neg, unit_norm or min_max_norm'

const CLASSES: NameTable<Resolution<Constraint>> = nameTable({
  MaxNorm: resolved(MaxNormConfig),
  NonNeg: resolved(NonNegConfig),
  UnitNorm: resolved(UnitNormConfig),
  MinMaxNorm: resolved(MinMaxNormConfig),
  RadialConstraint: rejected(RADIAL_REASON)
})

const STRINGS: Readonly<Record<string, string>> = {
  max_norm: 'MaxNorm',
  maxnorm: 'MaxNorm',
  non_neg: 'NonNeg',
  nonneg: 'NonNeg',
  unit_norm: 'UnitNorm',
  unitnorm: 'UnitNorm',
  min_max_norm: 'MinMaxNorm',
  radial_constraint: 'RadialConstraint'
}

/** tf.keras 2.x names Keras 3 no longer knows ("Could not interpret constraint identifier"), and what Keras 3 calls them. */
const TF2_ONLY: Readonly<Record<string, string>> = {
  maxnorm: 'max_norm',
  nonneg: 'non_neg',
  unitnorm: 'unit_norm',
  radial_constraint: '(none)',
  RadialConstraint: '(none)'
}

const keras3Strings = (): NameTable<StringResolution<Constraint>> => {
  const tf2 = nameTable(TF2_ONLY)
  const all = stringsOf(STRINGS, CLASSES)
  return nameTable(
    all.names.map((n) => {
      const keras3Name = tf2.get(n)
      return [
        n,
        keras3Name === undefined
          ? (all.get(n) as StringResolution<Constraint>)
          : rejected(
              `constraint ${quote(n)} is a tf.keras 2.x name that Keras 3 no longer knows (Keras 3 raises "Could not interpret constraint identifier: ${n}")` +
                (keras3Name === '(none)' ? '; Keras 3 has no RadialConstraint' : `; Keras 3 calls it ${quote(keras3Name)}`)
            )
      ] as const
    })
  )
}

const FAMILIES: Readonly<Record<Dialect, ClassFamily<Constraint>>> = {
  keras2: { what: 'constraint', classes: CLASSES, strings: stringsOf(STRINGS, CLASSES) },
  keras3: {
    what: 'constraint',
    classes: CLASSES,
    strings: keras3Strings()
  }
}

/** The Keras class and config of a normalized constraint (a single axis is written as an integer). */
const toKeras = (k: Constraint): { readonly className: string; readonly config: Record<string, unknown> } => {
  switch (k.kind) {
    case 'max_norm':
      return { className: 'MaxNorm', config: { max_value: k.maxValue, axis: AxisCodec.encode(k.axis) } }
    case 'non_neg':
      return { className: 'NonNeg', config: {} }
    case 'unit_norm':
      return { className: 'UnitNorm', config: { axis: AxisCodec.encode(k.axis) } }
    case 'min_max_norm':
      return {
        className: 'MinMaxNorm',
        config: { min_value: k.minValue, max_value: k.maxValue, rate: k.rate, axis: AxisCodec.encode(k.axis) }
      }
  }
}

/** True exactly for a normalized {@link Constraint}. */
const isConstraint = kindGuard<Constraint>({
  max_norm: { maxValue: NonNegativeNumber.is, axis: AxisCodec.is },
  non_neg: {},
  unit_norm: { axis: AxisCodec.is },
  min_max_norm: { minValue: NonNegativeNumber.is, maxValue: NonNegativeNumber.is, rate: Rate.is, axis: AxisCodec.is }
} satisfies Record<Constraint['kind'], Record<string, (u: unknown) => boolean>>)

/**
 * The constraint codec (`null` means no constraint).
 * @category codecs
 */
export const constraintCodec = (dialect: Dialect): t.Type<Constraint | null, unknown, unknown> =>
  new t.Type<Constraint | null, unknown, unknown>(
    'a constraint or null',
    (u): u is Constraint | null => u === null || isConstraint(u),
    (u, c) => (u === null ? t.success(null) : validateClassObject(dialect === 'keras2' ? FAMILIES.keras2 : FAMILIES.keras3, u, c)),
    (k) => {
      if (k === null) return null
      const { className, config } = toKeras(k)
      return envelope(dialect, 'keras.constraints', className, config)
    }
  )

/** Constraint names, for documentation and arbitraries (`maxnorm`, `nonneg`, `unitnorm` only in `keras2`). */
export const CONSTRAINT_NAMES: ReadonlyArray<string> = FAMILIES.keras2.strings.names
