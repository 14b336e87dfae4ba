/**
 * `LossSpec`: a Keras loss as validated, normalized data (reference §3). It decodes everything
 * `model.compile(loss=...)`, a TF 2.x file's `training_config.loss` or a Keras 3 `compile_config.loss`
 * holds: a name (Keras 3's and tf.keras 2.x's tables, TensorFlow.js's camelCase names), a
 * `{class_name, config}` object (TF 2.x), the Keras 3 `{module, class_name, config, registered_name}`
 * envelope, and Keras 3's plain-function form `{"module": "builtins", "class_name": "function",
 * "config": "categorical_crossentropy", "registered_name": "function"}`.
 *
 * Normalization: one spec per meaning. `reduction` `"auto"` (TF 2.x) and `"mean"` (Keras 3) are
 * `sum_over_batch_size`, `null` is `none`; every field a class does not use keeps Keras's default
 * (`fromLogits` false, `labelSmoothing` 0, `axis` −1, `delta` 1, `ignoreClass` null), so equal meanings
 * give deep-equal specs. `"crossentropy"` / `"ce"` (any case, as Keras compares them) stay unresolved
 * until the output and label shapes are known (`compileLoss`, reference §5.1).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { envelope, rejected, resolved, validateClassObject, type ClassFamily, type Resolution, type StringResolution } from '../../core/ClassObject.js'
import { describe, oneOf } from '../../core/describe.js'
import { suggestion } from '../../core/didYouMean.js'
import { kerasObject, optional, type Fields } from '../../core/KerasObject.js'
import { nameTable, type NameTable } from '../../core/NameTable.js'
import { Bool, nullOr, numberWhere, PositiveNumber, SafeInt, Str } from '../../core/primitives.js'
import { concatPaths, fromValidationErrors, type SpecError } from '../../core/SpecError.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The Keras loss classes layerspec computes (values and gradients).
 * @category model
 */
export type LossClass =
  | 'CategoricalCrossentropy'
  | 'SparseCategoricalCrossentropy'
  | 'BinaryCrossentropy'
  | 'MeanSquaredError'
  | 'MeanAbsoluteError'
  | 'MeanAbsolutePercentageError'
  | 'MeanSquaredLogarithmicError'
  | 'Huber'
  | 'LogCosh'
  | 'KLDivergence'
  | 'Poisson'
  | 'Hinge'
  | 'SquaredHinge'
  | 'CategoricalHinge'
  | 'CosineSimilarity'

/**
 * Every {@link LossClass}, in Keras's documentation order.
 * @category model
 */
export const LOSS_CLASSES: ReadonlyArray<LossClass> = [
  'CategoricalCrossentropy',
  'SparseCategoricalCrossentropy',
  'BinaryCrossentropy',
  'MeanSquaredError',
  'MeanAbsoluteError',
  'MeanAbsolutePercentageError',
  'MeanSquaredLogarithmicError',
  'Huber',
  'LogCosh',
  'KLDivergence',
  'Poisson',
  'Hinge',
  'SquaredHinge',
  'CategoricalHinge',
  'CosineSimilarity'
]

/**
 * `'crossentropy'`: Keras's `"crossentropy"` / `"ce"` strings, resolved by shapes when compiled
 * (binary, sparse categorical or categorical crossentropy, reference §5.1).
 * @category model
 */
export type UnresolvedLoss = 'crossentropy'

/**
 * How the per-element losses L (the loss tensor after the class / last axis is reduced) become one
 * number (reference §3.1): `sum_over_batch_size` = Σ L·w / size(L) (Keras's default, also written
 * `"mean"` or `"auto"`), `sum` = Σ L·w, `mean_with_sample_weight` = Σ L·w / Σ w, `none` = L·w unreduced.
 * @category model
 */
export type Reduction = 'sum_over_batch_size' | 'sum' | 'mean_with_sample_weight' | 'none'

/**
 * A normalized Keras loss. Fields a class does not use keep Keras's defaults: `fromLogits` false,
 * `labelSmoothing` 0, `axis` −1, `delta` 1, `ignoreClass` null.
 * @category model
 */
export interface LossSpec {
  readonly className: LossClass | UnresolvedLoss
  /** Keras's `name`: the string a user wrote (`'mse'`), or the class's default (`'mean_squared_error'`). */
  readonly name: string
  readonly reduction: Reduction
  /** Cross-entropies: `y_pred` holds logits (log-softmax / stable sigmoid form, no clipping). */
  readonly fromLogits: boolean
  /** CategoricalCrossentropy / BinaryCrossentropy: in [0, 1]. */
  readonly labelSmoothing: number
  /** CategoricalCrossentropy, BinaryCrossentropy, CosineSimilarity (and SparseCategoricalCrossentropy, last axis only): the reduced axis, batch axis counted. */
  readonly axis: number
  /** Huber: the positive point where the loss turns from quadratic to linear. */
  readonly delta: number
  /** SparseCategoricalCrossentropy: a label value whose positions get loss 0 and are left out of the mean. */
  readonly ignoreClass: number | null
}

/**
 * A spec whose class is known (what `compileLoss` returns in a compiled loss).
 * @category model
 */
export type ResolvedLossSpec = LossSpec & { readonly className: LossClass }

/**
 * Each class's default `name` (Keras 3's constructors).
 * @category model
 */
export const DEFAULT_LOSS_NAMES: Readonly<Record<LossClass, string>> = {
  CategoricalCrossentropy: 'categorical_crossentropy',
  SparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  BinaryCrossentropy: 'binary_crossentropy',
  MeanSquaredError: 'mean_squared_error',
  MeanAbsoluteError: 'mean_absolute_error',
  MeanAbsolutePercentageError: 'mean_absolute_percentage_error',
  MeanSquaredLogarithmicError: 'mean_squared_logarithmic_error',
  Huber: 'huber_loss',
  LogCosh: 'log_cosh',
  KLDivergence: 'kl_divergence',
  Poisson: 'poisson',
  Hinge: 'hinge',
  SquaredHinge: 'squared_hinge',
  CategoricalHinge: 'categorical_hinge',
  CosineSimilarity: 'cosine_similarity'
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** The arguments a spec is built from (Keras names; any missing one takes Keras's default). */
interface LossArgs {
  readonly name?: string | null
  readonly reduction?: Reduction
  readonly from_logits?: boolean
  readonly label_smoothing?: number
  readonly axis?: number
  readonly delta?: number
  readonly ignore_class?: number | null
}

/**
 * A frozen spec of `className` with Keras's defaults for every argument not given.
 * @category constructors
 */
export const lossSpec = (className: LossClass, args: LossArgs = {}): ResolvedLossSpec =>
  Object.freeze({
    className,
    name: args.name ?? DEFAULT_LOSS_NAMES[className],
    reduction: args.reduction ?? 'sum_over_batch_size',
    fromLogits: args.from_logits ?? false,
    labelSmoothing: args.label_smoothing ?? 0,
    axis: args.axis ?? -1,
    delta: args.delta ?? 1,
    ignoreClass: args.ignore_class ?? null
  })

/** The unresolved `"crossentropy"` / `"ce"` spec, named as the user wrote it. */
const crossentropySpec = (name: string): LossSpec =>
  Object.freeze({
    className: 'crossentropy' as const,
    name,
    reduction: 'sum_over_batch_size' as const,
    fromLogits: false,
    labelSmoothing: 0,
    axis: -1,
    delta: 1,
    ignoreClass: null
  })

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const REDUCTIONS: ReadonlyArray<string> = ['sum_over_batch_size', 'sum', 'mean_with_sample_weight', 'none', 'mean', 'auto']
const REDUCTION_OF = nameTable<Reduction>({
  sum_over_batch_size: 'sum_over_batch_size',
  sum: 'sum',
  mean_with_sample_weight: 'mean_with_sample_weight',
  none: 'none',
  mean: 'sum_over_batch_size',
  auto: 'sum_over_batch_size'
})

/**
 * A loss `reduction`: Keras 3's values (`"sum_over_batch_size"`, `"sum"`, `"mean"`,
 * `"mean_with_sample_weight"`, `"none"`, `null`) and TF 2.x's `"auto"`, case-sensitive as in Keras.
 * @category codecs
 */
export const ReductionCodec: t.Type<Reduction, string, unknown> = new t.Type<Reduction, string, unknown>(
  `${oneOf(REDUCTIONS)} or null`,
  (u): u is Reduction => u === 'sum_over_batch_size' || u === 'sum' || u === 'mean_with_sample_weight' || u === 'none',
  (u, c) => {
    if (u === null) return t.success<Reduction>('none')
    const r = REDUCTION_OF.get(u)
    if (r !== undefined) return t.success(r)
    const hint = typeof u === 'string' ? suggestion(u, REDUCTIONS) : ''
    return t.failure(u, c, `expected reduction to be ${oneOf(REDUCTIONS)} or null, found ${describe(u)}${hint}`)
  },
  (a) => a
)

/** `label_smoothing`: a number in [0, 1] (Keras does not check; a value outside makes no sense). */
const LabelSmoothing = numberWhere('a label_smoothing in [0, 1]', (n) => n >= 0 && n <= 1)

const NAME = { name: optional(nullOr(Str), null) }
const BASE = { ...NAME, reduction: optional(ReductionCodec, 'sum_over_batch_size' as Reduction) }
const CROSSENTROPY = { ...BASE, from_logits: optional(Bool, false), label_smoothing: optional(LabelSmoothing, 0), axis: optional(SafeInt, -1) }

/** Each class's Keras arguments: Keras 3's `get_config` keys, plus the constructor keys Keras 3.15 does not write back (Huber `delta`, CosineSimilarity `axis`, SparseCategoricalCrossentropy `axis`), which TF 2.x and Keras 3.16 write. */
const FIELDS: Readonly<Record<LossClass, Fields>> = {
  CategoricalCrossentropy: CROSSENTROPY,
  BinaryCrossentropy: CROSSENTROPY,
  SparseCategoricalCrossentropy: { ...BASE, from_logits: optional(Bool, false), ignore_class: optional(nullOr(SafeInt), null), axis: optional(SafeInt, -1) },
  MeanSquaredError: BASE,
  MeanAbsoluteError: BASE,
  MeanAbsolutePercentageError: BASE,
  MeanSquaredLogarithmicError: BASE,
  Huber: { ...BASE, delta: optional(PositiveNumber, 1) },
  LogCosh: BASE,
  KLDivergence: BASE,
  Poisson: BASE,
  Hinge: BASE,
  SquaredHinge: BASE,
  CategoricalHinge: BASE,
  CosineSimilarity: { ...BASE, axis: optional(SafeInt, -1) }
}

/**
 * The decoder of a class's `config`. `dtype` (a Keras 3 constructor argument Keras does not write) and
 * `fn` (tf.keras's new-format saving) are accepted and ignored.
 */
const configCodec = (className: LossClass): t.Decoder<unknown, LossSpec> => {
  const codec = kerasObject(className, FIELDS[className], { ignored: ['dtype', 'fn'] })
  return {
    name: codec.name,
    validate: (u, c) => E.map((a: LossArgs) => lossSpec(className, a) as LossSpec)(codec.validate(u, c)),
    decode: (u) => E.map((a: LossArgs) => lossSpec(className, a) as LossSpec)(codec.decode(u))
  }
}

/** Keras 3's loss functions (and tf.keras's), by name: the class each computes. */
const FUNCTIONS: Readonly<Record<string, LossClass>> = {
  categorical_crossentropy: 'CategoricalCrossentropy',
  sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
  binary_crossentropy: 'BinaryCrossentropy',
  mean_squared_error: 'MeanSquaredError',
  mean_absolute_error: 'MeanAbsoluteError',
  mean_absolute_percentage_error: 'MeanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'MeanSquaredLogarithmicError',
  huber: 'Huber',
  log_cosh: 'LogCosh',
  kl_divergence: 'KLDivergence',
  poisson: 'Poisson',
  hinge: 'Hinge',
  squared_hinge: 'SquaredHinge',
  categorical_hinge: 'CategoricalHinge',
  cosine_similarity: 'CosineSimilarity'
}

/** Keras 3's aliases (`keras/src/losses/__init__.py`): the function each names. */
const KERAS3_ALIASES: Readonly<Record<string, string>> = {
  bce: 'binary_crossentropy',
  BCE: 'binary_crossentropy',
  kld: 'kl_divergence',
  KLD: 'kl_divergence',
  mae: 'mean_absolute_error',
  MAE: 'mean_absolute_error',
  mse: 'mean_squared_error',
  MSE: 'mean_squared_error',
  mape: 'mean_absolute_percentage_error',
  MAPE: 'mean_absolute_percentage_error',
  msle: 'mean_squared_logarithmic_error',
  MSLE: 'mean_squared_logarithmic_error'
}

/** tf.keras 2.x's extra aliases (`tf_keras/losses.py`). */
const TF2_ALIASES: Readonly<Record<string, string>> = {
  kullback_leibler_divergence: 'kl_divergence',
  logcosh: 'log_cosh',
  huber_loss: 'huber'
}

/** TensorFlow.js's loss names (`tfjs-layers/src/losses.ts` `lossesMap`, reference §3.4). */
const TFJS_NAMES: Readonly<Record<string, string>> = {
  meanSquaredError: 'mean_squared_error',
  meanAbsoluteError: 'mean_absolute_error',
  meanAbsolutePercentageError: 'mean_absolute_percentage_error',
  meanSquaredLogarithmicError: 'mean_squared_logarithmic_error',
  squaredHinge: 'squared_hinge',
  categoricalHinge: 'categorical_hinge',
  categoricalCrossentropy: 'categorical_crossentropy',
  sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  binaryCrossentropy: 'binary_crossentropy',
  kullbackLeiblerDivergence: 'kl_divergence',
  cosineProximity: 'cosine_similarity'
}

const UNSUPPORTED_REASON = (name: string): string =>
  `loss ${JSON.stringify(name)} is a Keras loss layerspec does not compute; supported: ${oneOf(LOSS_CLASSES)} (and their function names and aliases)`

/** Keras losses known but not computed here: rejected with that reason, not reported as unknown names. */
const UNSUPPORTED: ReadonlyArray<string> = [
  'BinaryFocalCrossentropy',
  'binary_focal_crossentropy',
  'CategoricalFocalCrossentropy',
  'categorical_focal_crossentropy',
  'CategoricalGeneralizedCrossEntropy',
  'categorical_generalized_cross_entropy',
  'Dice',
  'dice',
  'Tversky',
  'tversky',
  'Circle',
  'circle',
  'CTC',
  'ctc',
  'Loss',
  'LossFunctionWrapper'
]

const unsupported = (): ReadonlyArray<readonly [string, Resolution<LossSpec>]> => UNSUPPORTED.map((n) => [n, rejected(UNSUPPORTED_REASON(n))] as const)

/** A function name or alias (`mse`) → its function's class; `name` is what the spec is named. */
const functionEntry = (alias: string, fn: string, name: string): readonly [string, StringResolution<LossSpec>] => {
  const cls = FUNCTIONS[fn] as LossClass
  return [alias, { _tag: 'Value', value: lossSpec(cls, { name }) }] as const
}

/**
 * Every string name: a class name gives the class with its default name (Keras 3 instantiates it); a
 * function name or alias gives the function's class named as written (Keras 3 wraps the function in a
 * `LossFunctionWrapper` named after the string).
 */
const STRINGS: NameTable<StringResolution<LossSpec>> = nameTable<StringResolution<LossSpec>>([
  // Function names first: they are what compile() is usually given, and did-you-mean prefers the first of equally close names.
  ...Object.keys(FUNCTIONS).map((f) => functionEntry(f, f, f)),
  ...LOSS_CLASSES.map((c) => [c, { _tag: 'Value', value: lossSpec(c) }] as const),
  ...Object.entries(KERAS3_ALIASES).map(([a, f]) => functionEntry(a, f, a)),
  ...Object.entries(TF2_ALIASES).map(([a, f]) => functionEntry(a, f, a)),
  ...Object.entries(TFJS_NAMES).map(([a, f]) => functionEntry(a, f, a)),
  ...unsupported()
])

/**
 * Keras 3's plain-function form: `config` is a function name (or alias) in Keras 3's table; the spec is
 * named after the function (Keras names a wrapped function by its `__name__`).
 */
const FUNCTION_CONFIG: t.Decoder<unknown, LossSpec> = (() => {
  const table = nameTable<StringResolution<LossSpec>>([
    ...LOSS_CLASSES.map((c) => [c, { _tag: 'Value', value: lossSpec(c) }] as const),
    ...Object.keys(FUNCTIONS).map((f) => functionEntry(f, f, f)),
    ...Object.entries(KERAS3_ALIASES).map(([a, f]) => functionEntry(a, f, f)),
    ...unsupported()
  ])
  const validate = (u: unknown, c: t.Context): t.Validation<LossSpec> => {
    const r = table.get(u)
    if (r === undefined) {
      const hint = typeof u === 'string' ? suggestion(u, table.names) : ''
      return t.failure(u, c, `expected the name of a Keras loss function such as "categorical_crossentropy" or "mean_squared_error", found ${describe(u)}${hint}`)
    }
    return r._tag === 'Value' ? t.success(r.value) : r._tag === 'Rejected' ? t.failure(u, c, r.reason) : r.codec.validate(u, c)
  }
  return { name: 'a Keras loss function name', validate, decode: (u) => validate(u, [{ key: '', type: t.unknown, actual: u }]) }
})()

const CLASSES: NameTable<Resolution<LossSpec>> = nameTable<Resolution<LossSpec>>([
  ...LOSS_CLASSES.map((c) => [c, resolved(configCodec(c))] as const),
  ['function', resolved(FUNCTION_CONFIG)] as const,
  ...unsupported()
])

const FAMILY: ClassFamily<LossSpec> = { what: 'loss', classes: CLASSES, strings: STRINGS }

// -------------------------------------------------------------------------------------
// decoding and encoding
// -------------------------------------------------------------------------------------

/**
 * Decodes a Keras loss (any form listed in the module comment) into a frozen {@link LossSpec}, or every
 * problem found, each at its path under `path` (`loss`, `training_config.loss.config.from_logits`).
 * `"crossentropy"` / `"ce"` in any case give the unresolved `'crossentropy'` spec.
 * @category decoding
 * @example
 * decodeLoss('mse', 'loss') // Right({ className: 'MeanSquaredError', name: 'mse', reduction: 'sum_over_batch_size', … })
 */
export const decodeLoss = (u: unknown, path: string): E.Either<ReadonlyArray<SpecError>, LossSpec> => {
  if (typeof u === 'string' && (u.toLowerCase() === 'crossentropy' || u.toLowerCase() === 'ce')) return E.right(crossentropySpec(u))
  const r = validateClassObject(FAMILY, u, [{ key: '', type: t.unknown, actual: u }])
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths(path, e.path), message: e.message }))) : E.right(r.right)
}

/**
 * The Keras 3 serialized form of a spec: `{module: "keras.losses", class_name, config, registered_name:
 * null}` with the class's `get_config` keys in Keras's order (plus Huber `delta`, CosineSimilarity
 * `axis` and a non-default SparseCategoricalCrossentropy `axis`, which Keras 3.15 accepts but does not
 * write). The unresolved `'crossentropy'` spec is the string it was written as, which is what Keras 3
 * keeps in a `compile_config`. `decodeLoss(encodeLoss(s))` deep-equals `s`.
 * @category encoding
 */
export const encodeLoss = (spec: LossSpec): string | Record<string, unknown> => {
  if (spec.className === 'crossentropy') return spec.name
  const base = { name: spec.name, reduction: spec.reduction }
  const config: Record<string, unknown> = (() => {
    switch (spec.className) {
      case 'CategoricalCrossentropy':
      case 'BinaryCrossentropy':
        return { ...base, from_logits: spec.fromLogits, label_smoothing: spec.labelSmoothing, axis: spec.axis }
      case 'SparseCategoricalCrossentropy':
        return { ...base, from_logits: spec.fromLogits, ignore_class: spec.ignoreClass, ...(spec.axis === -1 ? {} : { axis: spec.axis }) }
      case 'Huber':
        return { ...base, delta: spec.delta }
      case 'CosineSimilarity':
        return { ...base, axis: spec.axis }
      default:
        return base
    }
  })()
  return envelope('keras3', 'keras.losses', spec.className, config)
}

/**
 * Every string `decodeLoss` accepts as a loss (for documentation, tests and arbitraries), besides
 * `"crossentropy"` / `"ce"` in any case.
 * @category utils
 */
export const LOSS_STRING_NAMES: ReadonlyArray<string> = STRINGS.names.filter((n) => !UNSUPPORTED.includes(n))
