/**
 * `MetricSpec`: a Keras metric as validated, normalized data (reference §5). It decodes what
 * `model.compile(metrics=[...])`, a TF 2.x file's `training_config.metrics` or a Keras 3
 * `compile_config.metrics` holds: names (Keras 3's and tf.keras 2.x's tables, TensorFlow.js's names),
 * `{class_name, config}` objects in the TF 2.x and Keras 3 envelopes, Keras 3's plain-function form, and
 * TF 2.x files' `MeanMetricWrapper` `{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy",
 * "dtype": "float32", "fn": "binary_accuracy"}}`.
 *
 * `"accuracy"` / `"acc"` and `"crossentropy"` / `"ce"` (any case, as Keras 3 compares them) stay
 * unresolved until shapes are known (`compileMetric`, reference §5.1); the metric keeps the user's
 * string as its name. Only metrics whose epoch value is a mean of per-sample values are computed
 * (Keras's `MeanMetricWrapper` family); the stateful ones (AUC, Precision, RootMeanSquaredError, …)
 * are rejected with that reason.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { rejected, resolved, validateClassObject, type ClassFamily, type Resolution, type StringResolution } from '../../core/ClassObject.js'
import { describe, isPlainObject, oneOf } from '../../core/describe.js'
import { suggestion } from '../../core/didYouMean.js'
import { kerasObject, optional, type Fields, type Rule } from '../../core/KerasObject.js'
import { nameTable, ownValue, type NameTable } from '../../core/NameTable.js'
import { PositiveInt } from '../../core/PositiveInt.js'
import { Bool, FiniteNumber, nullOr, numberWhere, SafeInt, Str } from '../../core/primitives.js'
import { concatPaths, formatPath, fromValidationErrors, specError, type SpecError } from '../../core/SpecError.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The Keras metric classes layerspec computes: every one is a mean over samples of a per-sample value.
 * @category model
 */
export type MetricClass =
  | 'BinaryAccuracy'
  | 'CategoricalAccuracy'
  | 'SparseCategoricalAccuracy'
  | 'TopKCategoricalAccuracy'
  | 'SparseTopKCategoricalAccuracy'
  | 'Accuracy'
  | 'MeanSquaredError'
  | 'MeanAbsoluteError'
  | 'MeanAbsolutePercentageError'
  | 'MeanSquaredLogarithmicError'
  | 'LogCoshError'
  | 'CosineSimilarity'
  | 'KLDivergence'
  | 'Poisson'
  | 'Hinge'
  | 'SquaredHinge'
  | 'CategoricalHinge'
  | 'BinaryCrossentropy'
  | 'CategoricalCrossentropy'
  | 'SparseCategoricalCrossentropy'

/**
 * Every {@link MetricClass}.
 * @category model
 */
export const METRIC_CLASSES: ReadonlyArray<MetricClass> = [
  'BinaryAccuracy',
  'CategoricalAccuracy',
  'SparseCategoricalAccuracy',
  'TopKCategoricalAccuracy',
  'SparseTopKCategoricalAccuracy',
  'Accuracy',
  'MeanSquaredError',
  'MeanAbsoluteError',
  'MeanAbsolutePercentageError',
  'MeanSquaredLogarithmicError',
  'LogCoshError',
  'CosineSimilarity',
  'KLDivergence',
  'Poisson',
  'Hinge',
  'SquaredHinge',
  'CategoricalHinge',
  'BinaryCrossentropy',
  'CategoricalCrossentropy',
  'SparseCategoricalCrossentropy'
]

/**
 * A normalized Keras metric. `'accuracy'` and `'crossentropy'` are resolved by shapes when compiled.
 * Fields a class does not use keep Keras's defaults (`threshold` 0.5, `k` 5, `fromLogits` false,
 * `labelSmoothing` 0, `axis` −1, `ignoreClass` null).
 * @category model
 */
export interface MetricSpec {
  readonly className: MetricClass | 'accuracy' | 'crossentropy'
  /** The history key: the string the user wrote (`'acc'`, `'mae'`) or the config's / class's name. */
  readonly name: string
  /** BinaryAccuracy: a prediction counts as 1 when strictly greater. */
  readonly threshold: number
  /** TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy. */
  readonly k: number
  /** Crossentropy metrics. */
  readonly fromLogits: boolean
  readonly labelSmoothing: number
  /** CategoricalCrossentropy, SparseCategoricalCrossentropy (last axis only), CosineSimilarity. */
  readonly axis: number
  /** SparseCategoricalCrossentropy. */
  readonly ignoreClass: number | null
}

/**
 * Each class's default name (Keras 3's constructors).
 * @category model
 */
export const DEFAULT_METRIC_NAMES: Readonly<Record<MetricClass, string>> = {
  BinaryAccuracy: 'binary_accuracy',
  CategoricalAccuracy: 'categorical_accuracy',
  SparseCategoricalAccuracy: 'sparse_categorical_accuracy',
  TopKCategoricalAccuracy: 'top_k_categorical_accuracy',
  SparseTopKCategoricalAccuracy: 'sparse_top_k_categorical_accuracy',
  Accuracy: 'accuracy',
  MeanSquaredError: 'mean_squared_error',
  MeanAbsoluteError: 'mean_absolute_error',
  MeanAbsolutePercentageError: 'mean_absolute_percentage_error',
  MeanSquaredLogarithmicError: 'mean_squared_logarithmic_error',
  LogCoshError: 'logcosh',
  CosineSimilarity: 'cosine_similarity',
  KLDivergence: 'kl_divergence',
  Poisson: 'poisson',
  Hinge: 'hinge',
  SquaredHinge: 'squared_hinge',
  CategoricalHinge: 'categorical_hinge',
  BinaryCrossentropy: 'binary_crossentropy',
  CategoricalCrossentropy: 'categorical_crossentropy',
  SparseCategoricalCrossentropy: 'sparse_categorical_crossentropy'
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Keras arguments of a metric (any missing one takes Keras's default). */
interface MetricArgs {
  readonly name?: string | null
  readonly threshold?: number
  readonly k?: number
  readonly from_logits?: boolean
  readonly label_smoothing?: number
  readonly axis?: number
  readonly ignore_class?: number | null
}

/**
 * A frozen spec of `className` (or an unresolved `'accuracy'` / `'crossentropy'`, which then needs a
 * name) with Keras's defaults for every argument not given.
 * @category constructors
 */
export const metricSpec = (className: MetricSpec['className'], args: MetricArgs = {}): MetricSpec =>
  Object.freeze({
    className,
    name: args.name ?? (className === 'accuracy' || className === 'crossentropy' ? className : DEFAULT_METRIC_NAMES[className]),
    threshold: args.threshold ?? 0.5,
    k: args.k ?? 5,
    fromLogits: args.from_logits ?? false,
    labelSmoothing: args.label_smoothing ?? 0,
    axis: args.axis ?? -1,
    ignoreClass: args.ignore_class ?? null
  })

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const LabelSmoothing = numberWhere('a label_smoothing in [0, 1]', (n) => n >= 0 && n <= 1)
const NAME = { name: optional(nullOr(Str), null) }
const K = { ...NAME, k: optional(PositiveInt, 5 as PositiveInt) }

const FIELDS: Readonly<Record<MetricClass, Fields>> = {
  BinaryAccuracy: { ...NAME, threshold: optional(FiniteNumber, 0.5) },
  CategoricalAccuracy: NAME,
  SparseCategoricalAccuracy: NAME,
  TopKCategoricalAccuracy: K,
  SparseTopKCategoricalAccuracy: { ...K, from_sorted_ids: optional(Bool, false) },
  Accuracy: NAME,
  MeanSquaredError: NAME,
  MeanAbsoluteError: NAME,
  MeanAbsolutePercentageError: NAME,
  MeanSquaredLogarithmicError: NAME,
  LogCoshError: NAME,
  CosineSimilarity: { ...NAME, axis: optional(SafeInt, -1) },
  KLDivergence: NAME,
  Poisson: NAME,
  Hinge: NAME,
  SquaredHinge: NAME,
  CategoricalHinge: NAME,
  BinaryCrossentropy: { ...NAME, from_logits: optional(Bool, false), label_smoothing: optional(LabelSmoothing, 0) },
  CategoricalCrossentropy: { ...NAME, from_logits: optional(Bool, false), label_smoothing: optional(LabelSmoothing, 0), axis: optional(SafeInt, -1) },
  SparseCategoricalCrossentropy: { ...NAME, from_logits: optional(Bool, false), ignore_class: optional(nullOr(SafeInt), null), axis: optional(SafeInt, -1) }
}

const SORTED_IDS_RULE: Rule<Readonly<Record<string, unknown>>> = {
  keys: ['from_sorted_ids'],
  check: (a) =>
    a['from_sorted_ids'] === true
      ? { key: 'from_sorted_ids', message: 'from_sorted_ids: true (predictions that are sorted class ids, not scores) is not supported; expected false' }
      : undefined
}

/** The decoder of a class's `config` (`dtype` accepted and ignored: a one-dtype model computes in its own). */
const configCodec = (className: MetricClass): t.Decoder<unknown, MetricSpec> => {
  const codec = kerasObject(className, FIELDS[className], {
    ignored: ['dtype'],
    rules: className === 'SparseTopKCategoricalAccuracy' ? [SORTED_IDS_RULE] : []
  })
  const to = (a: MetricArgs): MetricSpec => metricSpec(className, a)
  return { name: codec.name, validate: (u, c) => E.map(to)(codec.validate(u, c)), decode: (u) => E.map(to)(codec.decode(u)) }
}

/** Metric functions (Keras 3's snake-case class names, tf.keras 2.x's functions) and their classes. */
const FUNCTIONS: Readonly<Record<string, MetricClass>> = {
  binary_accuracy: 'BinaryAccuracy',
  categorical_accuracy: 'CategoricalAccuracy',
  sparse_categorical_accuracy: 'SparseCategoricalAccuracy',
  top_k_categorical_accuracy: 'TopKCategoricalAccuracy',
  sparse_top_k_categorical_accuracy: 'SparseTopKCategoricalAccuracy',
  mean_squared_error: 'MeanSquaredError',
  mean_absolute_error: 'MeanAbsoluteError',
  mean_absolute_percentage_error: 'MeanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'MeanSquaredLogarithmicError',
  log_cosh_error: 'LogCoshError',
  log_cosh: 'LogCoshError',
  logcosh: 'LogCoshError',
  cosine_similarity: 'CosineSimilarity',
  kl_divergence: 'KLDivergence',
  kullback_leibler_divergence: 'KLDivergence',
  poisson: 'Poisson',
  hinge: 'Hinge',
  squared_hinge: 'SquaredHinge',
  categorical_hinge: 'CategoricalHinge',
  binary_crossentropy: 'BinaryCrossentropy',
  categorical_crossentropy: 'CategoricalCrossentropy',
  sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
  // Keras 3 and tf.keras 2.x aliases.
  mse: 'MeanSquaredError',
  MSE: 'MeanSquaredError',
  mae: 'MeanAbsoluteError',
  MAE: 'MeanAbsoluteError',
  mape: 'MeanAbsolutePercentageError',
  MAPE: 'MeanAbsolutePercentageError',
  msle: 'MeanSquaredLogarithmicError',
  MSLE: 'MeanSquaredLogarithmicError',
  bce: 'BinaryCrossentropy',
  BCE: 'BinaryCrossentropy',
  kld: 'KLDivergence',
  KLD: 'KLDivergence',
  // TensorFlow.js (tfjs-layers/src/metrics.ts metricsMap).
  binaryAccuracy: 'BinaryAccuracy',
  categoricalAccuracy: 'CategoricalAccuracy',
  categoricalCrossentropy: 'CategoricalCrossentropy',
  sparseCategoricalCrossentropy: 'SparseCategoricalCrossentropy'
}

const STATEFUL_REASON = (name: string): string =>
  `metric ${JSON.stringify(name)} is not a mean of per-sample values (Keras keeps other state for it), which is all layerspec's metrics compute; supported: ${oneOf(METRIC_CLASSES)}, "accuracy" and "crossentropy"`

/** Keras metrics known but not computed here. */
const STATEFUL: ReadonlyArray<string> = [
  'RootMeanSquaredError',
  'root_mean_squared_error',
  'AUC',
  'auc',
  'Precision',
  'precision',
  'Recall',
  'recall',
  'F1Score',
  'f1_score',
  'FBetaScore',
  'f_beta_score',
  'IoU',
  'io_u',
  'MeanIoU',
  'mean_io_u',
  'BinaryIoU',
  'binary_io_u',
  'OneHotIoU',
  'OneHotMeanIoU',
  'TruePositives',
  'true_positives',
  'TrueNegatives',
  'true_negatives',
  'FalsePositives',
  'false_positives',
  'FalseNegatives',
  'false_negatives',
  'PrecisionAtRecall',
  'RecallAtPrecision',
  'SensitivityAtSpecificity',
  'SpecificityAtSensitivity',
  'R2Score',
  'r2_score',
  'PearsonCorrelation',
  'ConcordanceCorrelation',
  'Mean',
  'Sum',
  'Metric'
]

const TFJS_COSINE =
  'TensorFlow.js\'s metric "cosine" is its cosine-proximity loss (minus the cosine similarity); use "cosine_similarity" or {"class_name": "CosineSimilarity"} for Keras\'s metric'

const rejections = (): ReadonlyArray<readonly [string, Resolution<MetricSpec>]> => [
  ...STATEFUL.map((n) => [n, rejected(STATEFUL_REASON(n))] as const),
  ['cosine', rejected(TFJS_COSINE)] as const
]

/** The string table: class names (default names), function names and aliases (named as written). */
const STRINGS: NameTable<StringResolution<MetricSpec>> = nameTable<StringResolution<MetricSpec>>([
  // Function names first: did-you-mean prefers the first of equally close names.
  ...Object.entries(FUNCTIONS).map(([f, c]) => [f, { _tag: 'Value', value: metricSpec(c, { name: f }) }] as const),
  ...METRIC_CLASSES.map((c) => [c, { _tag: 'Value', value: metricSpec(c) }] as const),
  ...rejections()
])

/** A metric function's name, as a string or in Keras 3's function form (`{"class_name": "function", "config": "binary_accuracy"}`). */
const functionName = (u: unknown): string | undefined => {
  if (typeof u === 'string') return u
  if (isPlainObject(u) && ownValue(u, 'class_name') === 'function' && typeof ownValue(u, 'config') === 'string') return ownValue(u, 'config') as string
  return undefined
}

const lookupFunction = (u: unknown, c: t.Context): t.Validation<MetricSpec> => {
  const name = functionName(u)
  const r = STRINGS.get(name)
  if (name === undefined || r === undefined) {
    const hint = name === undefined ? '' : suggestion(name, STRINGS.names)
    return t.failure(u, c, `expected the name of a Keras metric function such as "binary_accuracy" or "mean_squared_error", found ${describe(u)}${hint}`)
  }
  return r._tag === 'Value' ? t.success(r.value) : r._tag === 'Rejected' ? t.failure(u, c, r.reason) : r.codec.validate(u, c)
}

/** Keras 3's plain-function form: `config` is the function name; the metric is named after it. */
const FUNCTION_CONFIG: t.Decoder<unknown, MetricSpec> = {
  name: 'a Keras metric function name',
  validate: (u, c) => E.map((s: MetricSpec) => Object.freeze({ ...s, name: u as string }))(lookupFunction(u, c)),
  decode: (u) => FUNCTION_CONFIG.validate(u, [{ key: '', type: t.unknown, actual: u }])
}

/**
 * A `MeanMetricWrapper` config: `fn` (a function name or Keras 3's function form) picks the class, and
 * the other keys are that class's arguments (tf.keras writes the function's keyword arguments beside
 * `name` and `dtype`). A missing name is the function's.
 */
const MEAN_METRIC_WRAPPER: t.Decoder<unknown, MetricSpec> = {
  name: 'MeanMetricWrapper arguments',
  validate: (u, c) => {
    if (!isPlainObject(u)) return t.failure(u, c, `expected the MeanMetricWrapper arguments as a JSON object, found ${describe(u)}`)
    const fn = ownValue(u, 'fn')
    const fnContext = t.appendContext(c, 'fn', t.unknown, fn)
    if (fn === undefined) return t.failure(u, fnContext, 'missing required MeanMetricWrapper argument "fn": expected the name of a Keras metric function such as "binary_accuracy"')
    const found = lookupFunction(fn, fnContext)
    if (found._tag === 'Left') return found
    const cls = found.right.className as MetricClass
    const rest: Record<string, unknown> = {}
    for (const key of Object.keys(u)) if (key !== 'fn') Object.defineProperty(rest, key, { value: u[key], enumerable: true })
    const name = ownValue(u, 'name')
    return E.map((s: MetricSpec) => (name === undefined || name === null ? Object.freeze({ ...s, name: functionName(fn) as string }) : s))(configCodec(cls).validate(rest, c))
  },
  decode: (u) => MEAN_METRIC_WRAPPER.validate(u, [{ key: '', type: t.unknown, actual: u }])
}

const CLASSES: NameTable<Resolution<MetricSpec>> = nameTable<Resolution<MetricSpec>>([
  ...METRIC_CLASSES.map((c) => [c, resolved(configCodec(c))] as const),
  ['MeanMetricWrapper', resolved(MEAN_METRIC_WRAPPER)] as const,
  ['function', resolved(FUNCTION_CONFIG)] as const,
  ...rejections()
])

const FAMILY: ClassFamily<MetricSpec> = { what: 'metric', classes: CLASSES, strings: STRINGS }

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/** Keras 3 resolves these strings by shapes, compared lower-cased (`compile_utils.get_metric`). */
const unresolved = (u: string): MetricSpec | undefined => {
  const lower = u.toLowerCase()
  if (lower === 'accuracy' || lower === 'acc') return metricSpec('accuracy', { name: u })
  if (lower === 'crossentropy' || lower === 'ce') return metricSpec('crossentropy', { name: u })
  return undefined
}

/**
 * Decodes one metric (any form listed in the module comment) into a frozen {@link MetricSpec}, or every
 * problem found, each at its path under `path` (`metrics[1]`, `metrics[0].config.threshold`).
 * @category decoding
 * @example
 * decodeMetric('acc', 'metrics[0]') // Right({ className: 'accuracy', name: 'acc', … })
 */
export const decodeMetric = (u: unknown, path: string): Result<MetricSpec> => {
  const early = typeof u === 'string' ? unresolved(u) : undefined
  if (early !== undefined) return E.right(early)
  const r = validateClassObject(FAMILY, u, [{ key: '', type: t.unknown, actual: u }])
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths(path, e.path), message: e.message }))) : E.right(r.right)
}

const decodeList = (items: ReadonlyArray<unknown>, path: string): Result<ReadonlyArray<MetricSpec>> => {
  const errors: SpecError[] = []
  const specs: MetricSpec[] = []
  items.forEach((item, i) => {
    const r = decodeMetric(item, `${path}[${i}]`)
    if (E.isLeft(r)) errors.push(...r.left)
    else specs.push(r.right)
  })
  return errors.length > 0 ? E.left(errors) : E.right(specs)
}

/**
 * Decodes the metrics of a single-output model: a list (TF 2.x files nest one list per output, so
 * `[[...]]` is read as the one output's list), a one-entry object keyed by the output's name, or
 * `null` / `undefined` (no metrics). Every problem is reported, each at its path under `path`.
 * @category decoding
 */
export const decodeMetrics = (u: unknown, path: string): Result<ReadonlyArray<MetricSpec>> => {
  if (u === null || u === undefined) return E.right([])
  if (Array.isArray(u)) {
    const items = u as ReadonlyArray<unknown>
    if (items.length === 1 && Array.isArray(items[0])) return decodeList(items[0] as ReadonlyArray<unknown>, `${path}[0]`)
    if (items.length > 1 && items.every(Array.isArray)) {
      return E.left([specError(path, `expected the metrics of the model's one output, found ${items.length} lists (one per output, as for a model of ${items.length} outputs)`)])
    }
    return decodeList(items, path)
  }
  if (isPlainObject(u)) {
    if (ownValue(u, 'class_name') !== undefined) {
      return E.left([specError(path, `expected a list of metrics (Keras's metrics=[...]), found a single serialized metric ${describe(u)}; put it in a list`)])
    }
    const keys = Object.keys(u)
    if (keys.length === 1) {
      const key = keys[0] as string
      const inner = u[key]
      return decodeMetrics(Array.isArray(inner) || inner === null ? inner : [inner], concatPaths(path, formatPath([key])))
    }
    return E.left([specError(path, `expected the metrics of the model's one output, found an object with ${keys.length} keys (metrics per output name, as for a model of several outputs)`)])
  }
  return E.left([specError(path, `expected a list of metrics (Keras's metrics=[...]), found ${describe(u)}`)])
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * History keys without repeats: a name seen before gets `_1`, `_2`, … (the first free suffix), in order.
 * @category utils
 * @example
 * uniqueMetricNames(['acc', 'acc', 'mae']) // ['acc', 'acc_1', 'mae']
 */
export const uniqueMetricNames = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const taken = new Set<string>()
  return names.map((n) => {
    let out = n
    for (let i = 1; taken.has(out); i++) out = `${n}_${i}`
    taken.add(out)
    return out
  })
}

/**
 * Every string `decodeMetric` accepts (besides `"accuracy"`, `"acc"`, `"crossentropy"`, `"ce"` in any case).
 * @category utils
 */
export const METRIC_STRING_NAMES: ReadonlyArray<string> = STRINGS.names.filter((n) => STRINGS.get(n)?._tag === 'Value')
