/**
 * `OptimizerSpec`: a Keras optimizer as decoded, immutable data (reference §1), read from every form
 * Keras, tf.keras and TensorFlow.js write for `model.compile(optimizer=…)` and a model file's
 * training config, with Keras 3's defaults (§1.8). The update rules live in `optimizer.ts`.
 *
 * ## Forms
 *
 * - **`keras3`**: a name (`"adam"`, `"SGD"`, `"RMSprop"`: case-insensitive, as Keras 3's
 *   `optimizers.get` lower-cases it) or the `{"module", "class_name", "config", "registered_name"}`
 *   entry of `keras.optimizers.serialize` / `compile_config`. Keras 3's `from_config` keys only:
 *   `lr`, `jit_compile`, `is_legacy_optimizer` are errors (Keras 3 raises), `decay` is accepted and
 *   ignored (Keras 3 warns and ignores it). At most one of `clipnorm`, `global_clipnorm`, `clipvalue`.
 * - **`tf2-new`**: tf.keras's `training_config.optimizer_config` `{"class_name", "config"}` whose config
 *   holds `is_legacy_optimizer: false` (tf.keras 2.11+ and tf-keras): the Keras 3 update rules,
 *   `jit_compile` accepted, `decay` and `lr` errors, `clipnorm` with `global_clipnorm` an error and
 *   `clipvalue` ignored when either is set (as tf.keras does).
 * - **`tf2-legacy`**: the same envelope with a non-empty config lacking `is_legacy_optimizer` (or with
 *   it `true`): tf.keras ≤ 2.10's `OptimizerV2` and standalone Keras 2.2 files. `lr` is accepted for
 *   `learning_rate` (not both), `decay` gives `lr / (1 + decay·iterations)`, `null` or `0` epsilon means
 *   1e-7 (`epsilon or backend.epsilon()`), no `weight_decay`, any of the clip options (`clipnorm` with
 *   `global_clipnorm` an error) applied in the order clipvalue → clipnorm → global_clipnorm. Its update
 *   rules differ where the fused TF kernels did (see `optimizer.ts`): RMSprop without momentum puts ε
 *   outside the root, Adagrad puts ε outside the root, Nadam's momentum schedule is
 *   `0.96^(0.004·k)` (`schedule_decay`, which the legacy class always sets) and takes no schedule.
 *   AdamW has no legacy class.
 * - **`tfjs`**: TensorFlow.js's class names `Adam`, `SGD`, `Momentum` (SGD with momentum),
 *   `RMSProp`, `Adagrad`, `Adadelta`, `Adamax` (case-sensitive, as tfjs looks them up) with tfjs's keys,
 *   camelCase as tfjs writes them (`learningRate`, `beta1`, `useNesterov`, `initialAccumulatorValue`)
 *   or snake_case (`learning_rate`, `beta_1`, `use_nesterov`); RMSProp's `decay` is ρ, Adamax's `decay`
 *   is the `lr / (1 + decay·iterations)` decay. Missing keys take tfjs-layers' string defaults
 *   (`Adagrad` lr 0.01, `Adadelta` lr 1.0, `Adamax` lr 0.002, ε = 1e-7). An envelope is tfjs when its
 *   class is `Momentum` or `RMSProp` (Keras writes `RMSprop`) or its config has a tfjs-only key; tfjs
 *   *strings* are not special: a name always means Keras 3's optimizer with Keras 3's defaults.
 *
 * ## Where TensorFlow.js departs (the trainer follows Keras, not tfjs)
 *
 * tfjs's RMSprop centered subtracts ε inside the root (`√(s − (a² + ε))`); its Adam applies ε to the
 * bias-corrected `√v̂` (`θ −= lr·m̂/(√v̂ + ε)`), not Keras's ε-hat; its SGD has no momentum (Momentum
 * accumulates `a ← μa + g; θ −= lr·a`, the same trajectory while lr is constant); and its `fit` applies
 * no clipping, weight decay, schedule or constraint. A `tfjs`-form spec is trained with Keras 3's
 * update rules and tfjs's hyperparameters.
 *
 * Where Keras is lax the decoder is strict: learning rates, `weight_decay`, `epsilon`, the clip values
 * and `initial_accumulator_value` are finite and ≥ 0; `momentum` and `rho` lie in [0, 1] (Keras 3 raises
 * only for SGD's momentum); `beta_1`, `beta_2` in [0, 1). Keras 3's `use_ema` (with `ema_momentum`,
 * `ema_overwrite_frequency`) and `gradient_accumulation_steps` (≥ 2) are run as Keras 3 runs them; a
 * tf.keras new-optimizer config's `use_ema: true` is refused (its average starts from the weights and
 * is updated on another schedule, not reproduced here).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { deepFreeze } from '../../core/deepFreeze.js'
import { describe, isPlainObject, oneOf, quoteText } from '../../core/describe.js'
import { suggestion } from '../../core/didYouMean.js'
import { kerasObject, optional, type Field, type Fields, type Rule } from '../../core/KerasObject.js'
import { hasOwnKey, nameTable, ownValue, type NameTable } from '../../core/NameTable.js'
import { Bool, NonNegativeNumber, nullOr, numberWhere, PositiveNumber, SafeInt, Str } from '../../core/primitives.js'
import { concatPaths, fromValidationErrors, type SpecError } from '../../core/SpecError.js'
import { scheduleCodec, type ScheduleSpec } from './ScheduleSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The optimizer classes layerspec trains with (Keras's class names).
 * @category model
 */
export type OptimizerClass = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad' | 'Adadelta' | 'Adamax' | 'Nadam'

/** Every optimizer class, in the order of reference §1. */
export const OPTIMIZER_CLASSES: ReadonlyArray<OptimizerClass> = ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad', 'Adadelta', 'Adamax', 'Nadam']

/**
 * Which Keras wrote the optimizer, and so which update rules apply where versions differ (module doc).
 * @category model
 */
export type OptimizerForm = 'keras3' | 'tf2-new' | 'tf2-legacy' | 'tfjs'

/**
 * What every optimizer has (Keras's base-optimizer arguments).
 * @category model
 */
export interface OptimizerBase {
  /** The optimizer's name (Keras 3's default is the snake_case class name, `adam`, `rm_sprop`; tf.keras's the class name). */
  readonly name: string
  /** A float32 learning rate, or a schedule evaluated at the iteration count before each update. */
  readonly learningRate: number | ScheduleSpec
  /** Decoupled weight decay `θ ← θ − θ·wd·lr` before each update, or `null` (AdamW's default 0.004). */
  readonly weightDecay: number | null
  /** Each gradient's L2 norm is clipped to this (when > 0), or `null`. */
  readonly clipnorm: number | null
  /** The gradients' global L2 norm is clipped to this (when > 0), or `null`. */
  readonly globalClipnorm: number | null
  /** Each gradient value is clipped to [−c, c] (when > 0), or `null`. */
  readonly clipvalue: number | null
  /** Keras 3's `loss_scale_factor`: the trainer multiplies the loss by it and the update divides the gradients by it; `null` for none. */
  readonly lossScaleFactor: number | null
  /** The form the optimizer was read from. */
  readonly form: OptimizerForm
  /** tf.keras-legacy's (and tfjs Adamax's) learning-rate decay `lr / (1 + decay·iterations)`; 0 elsewhere. */
  readonly decay: number
  /**
   * Keras 3's `use_ema`: an exponential moving average of the trainable weights kept by the optimizer
   * (`ema_momentum`), written over the weights every `ema_overwrite_frequency` updates if set and at the
   * end of `fit`; `null` when off (and in every other form).
   */
  readonly ema: { readonly momentum: number; readonly overwriteFrequency: number | null } | null
  /** Keras 3's `gradient_accumulation_steps` (≥ 2): gradients summed over that many steps, one update per that many; `null` for none. */
  readonly gradientAccumulationSteps: number | null
}

/**
 * SGD: `θ −= lr·g`; with momentum `v ← μv − lr·g`, `θ += v` (Nesterov: `θ += μv − lr·g`).
 * @category model
 */
export interface SGDSpec extends OptimizerBase {
  readonly className: 'SGD'
  readonly momentum: number
  readonly nesterov: boolean
}

/**
 * Adam (ε-hat form). `AdamW` is the same rule with a default `weightDecay` of 0.004.
 * @category model
 */
export interface AdamSpec extends OptimizerBase {
  readonly className: 'Adam' | 'AdamW'
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly amsgrad: boolean
}

/**
 * RMSprop (ε inside the square root in Keras 3).
 * @category model
 */
export interface RMSpropSpec extends OptimizerBase {
  readonly className: 'RMSprop'
  readonly rho: number
  readonly momentum: number
  readonly epsilon: number
  readonly centered: boolean
}

/**
 * Adagrad, accumulators starting at `initialAccumulatorValue`.
 * @category model
 */
export interface AdagradSpec extends OptimizerBase {
  readonly className: 'Adagrad'
  readonly initialAccumulatorValue: number
  readonly epsilon: number
}

/**
 * Adadelta.
 * @category model
 */
export interface AdadeltaSpec extends OptimizerBase {
  readonly className: 'Adadelta'
  readonly rho: number
  readonly epsilon: number
}

/**
 * Adamax.
 * @category model
 */
export interface AdamaxSpec extends OptimizerBase {
  readonly className: 'Adamax'
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
}

/**
 * Nadam. `scheduleDecay` scales the exponent of the momentum schedule `μ_k = β1(1 − ½·0.96^(scheduleDecay·k))`:
 * 1 in Keras 3 and tf.keras-new (`0.96^k`), 0.004 in tf.keras-legacy (its `schedule_decay`).
 * @category model
 */
export interface NadamSpec extends OptimizerBase {
  readonly className: 'Nadam'
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly scheduleDecay: number
}

/**
 * A decoded optimizer: its class, the base arguments and the class's own hyperparameters, every default
 * filled. Deeply frozen.
 * @category model
 */
export type OptimizerSpec = SGDSpec | AdamSpec | RMSpropSpec | AdagradSpec | AdadeltaSpec | AdamaxSpec | NadamSpec

/**
 * Keras's default learning rate of each class (all forms but tfjs, whose defaults differ).
 * @category model
 */
export const DEFAULT_LEARNING_RATES: Readonly<Record<OptimizerClass, number>> = {
  SGD: 0.01,
  Adam: 0.001,
  AdamW: 0.001,
  RMSprop: 0.001,
  Adagrad: 0.001,
  Adadelta: 0.001,
  Adamax: 0.001,
  Nadam: 0.001
}

/**
 * Keras 3's default `name` of each class: `auto_name` of the class, the snake_case class name (Keras
 * adds `_1`, `_2`, … for later optimizers of a session; a decoded spec takes the first).
 * @category model
 */
export const KERAS3_OPTIMIZER_NAMES: Readonly<Record<OptimizerClass, string>> = {
  SGD: 'sgd',
  Adam: 'adam',
  AdamW: 'adam_w',
  RMSprop: 'rm_sprop',
  Adagrad: 'adagrad',
  Adadelta: 'adadelta',
  Adamax: 'adamax',
  Nadam: 'nadam'
}

/** Lookups of the two tables above (own entries only, as every table layerspec reads). */
const LEARNING_RATE_TABLE = nameTable(DEFAULT_LEARNING_RATES)
const NAME_TABLE = nameTable(KERAS3_OPTIMIZER_NAMES)
const defaultLearningRate = (cls: OptimizerClass): number => LEARNING_RATE_TABLE.get(cls) as number
const keras3Name = (cls: OptimizerClass): string => NAME_TABLE.get(cls) as string

/** Keras's backend epsilon, the default ε of every class. */
const EPSILON = 1e-7

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/** A plain learning rate: finite and ≥ 0 (a negative one would climb the loss). */
const Rate = numberWhere('a finite, non-negative learning rate', (n) => n >= 0)

/** A number in [0, 1] (`momentum`, `rho`, `ema_momentum`). */
const Unit = numberWhere('a finite number in [0, 1]', (n) => n >= 0 && n <= 1)

/** A number in [0, 1) (`beta_1`, `beta_2`: 1 would divide by 1 − β^k = 0). */
const Beta = numberWhere('a finite number in [0, 1)', (n) => n >= 0 && n < 1)

/** A positive integer (`ema_overwrite_frequency`). */
const PositiveInteger = numberWhere('a positive integer', (n) => Number.isSafeInteger(n) && n > 0)

/**
 * A learning rate: a non-negative number or a serialized schedule.
 * @category codecs
 */
export const LearningRate: t.Type<number | ScheduleSpec, unknown, unknown> = new t.Type<number | ScheduleSpec, unknown, unknown>(
  'a learning rate (a non-negative number or a schedule)',
  (u): u is number | ScheduleSpec => Rate.is(u) || scheduleCodec.is(u),
  (u, c) => {
    if (typeof u === 'number') return Rate.validate(u, c)
    if (isPlainObject(u)) return scheduleCodec.validate(u, c)
    return t.failure(
      u,
      c,
      `expected the learning rate as a non-negative number or a schedule {"class_name": "ExponentialDecay", "config": {…}}, found ${describe(u)}`
    )
  },
  (a) => (typeof a === 'number' ? a : scheduleCodec.encode(a))
)

/** A field whose missing value is `undefined` (an alias such as `lr`, resolved after decoding). */
const absent = <A, O>(codec: t.Type<A, O, unknown>): Field<A | undefined, O> => ({ codec: codec as unknown as t.Type<A | undefined, O, unknown>, hasDefault: true, defaultValue: undefined })

type Raw = Readonly<Record<string, unknown>>

const num = (c: Raw, k: string): number => c[k] as number
const numOrNull = (c: Raw, k: string): number | null => c[k] as number | null
const bool = (c: Raw, k: string): boolean => c[k] as boolean
/** An alias pair (`learningRate` / `learning_rate`): the one given, else `fallback`. */
const either = <A>(c: Raw, a: string, b: string, fallback: A): A => (c[a] ?? c[b] ?? fallback) as A

/** A rule reporting at `key` when both `key` and `other` are given. */
const notBoth = (key: string, other: string, why: string): Rule<Raw> => ({
  keys: [],
  check: (c) => (c[key] !== undefined && c[other] !== undefined ? { key, message: `${quoteText(key)} and ${quoteText(other)} are the same argument (${why}): give only one` } : undefined)
})

const CLIP_KEYS = ['clipnorm', 'global_clipnorm', 'clipvalue'] as const

const atMostOneClip: Rule<Raw> = {
  keys: [],
  check: (c) => {
    const set = CLIP_KEYS.filter((k) => c[k] !== null && c[k] !== undefined)
    return set.length > 1
      ? {
          key: set[1] as string,
          message: `only one of "clipnorm", "global_clipnorm" and "clipvalue" can be set (Keras 3 raises "Only one of clipnorm, clipvalue and global_clipnorm can be set"), found ${set.map((k) => `${k}=${String(c[k])}`).join(' and ')}`
        }
      : undefined
  }
}

const notNormAndGlobal = (who: string): Rule<Raw> => ({
  keys: [],
  check: (c) =>
    c['clipnorm'] !== null && c['clipnorm'] !== undefined && c['global_clipnorm'] !== null && c['global_clipnorm'] !== undefined
      ? {
          key: 'global_clipnorm',
          message: `"clipnorm" and "global_clipnorm" cannot both be set (${who} raises), found clipnorm=${String(c['clipnorm'])} and global_clipnorm=${String(c['global_clipnorm'])}`
        }
      : undefined
})

const noTf2Ema: Rule<Raw> = {
  keys: [],
  check: (c) =>
    c['use_ema'] === true
      ? {
          key: 'use_ema',
          message:
            'use_ema: true in a tf.keras new-optimizer config is not supported by layerspec\'s trainer (tf.keras starts the average from the weights and updates it on its own schedule; layerspec runs Keras 3\'s EMA); found true (use false, or a Keras 3 config)'
        }
      : undefined
}

const accumulationSteps: Rule<Raw> = {
  keys: [],
  check: (c) => {
    const s = c['gradient_accumulation_steps']
    if (s === null || s === undefined || (typeof s === 'number' && s >= 2)) return undefined
    return { key: 'gradient_accumulation_steps', message: `expected gradient_accumulation_steps to be null or an integer ≥ 2 (Keras raises otherwise), found ${String(s)}` }
  }
}

const adamwNeedsDecay: Rule<Raw> = {
  keys: [],
  check: (c) =>
    c['weight_decay'] === null
      ? { key: 'weight_decay', message: 'expected AdamW\'s weight_decay to be a number (Keras raises "Argument `weight_decay` must be a float"), found null' }
      : undefined
}

const noLegacySchedule: Rule<Raw> = {
  keys: [],
  check: (c) =>
    isPlainObject(c['learning_rate']) || isPlainObject(c['lr'])
      ? {
          key: c['lr'] !== undefined ? 'lr' : 'learning_rate',
          message: 'tf.keras\'s legacy Nadam does not take a learning-rate schedule (it raises "The Nadam optimizer does not support tf.keras.optimizers.LearningRateSchedules"); use a number'
        }
      : undefined
}

const KERAS3_EXPLAINED: Readonly<Record<string, string>> = {
  lr: 'Keras 3 rejects the argument "lr" (ValueError "Argument(s) not recognized"); write "learning_rate"',
  is_legacy_optimizer:
    'Keras 3 rejects "is_legacy_optimizer", a tf.keras key (ValueError "Argument(s) not recognized"); a tf.keras config is the {"class_name", "config"} object without "module"',
  jit_compile:
    'Keras 3 rejects "jit_compile" in an optimizer config, a tf.keras key (ValueError "Argument(s) not recognized"); a tf.keras config is the {"class_name", "config"} object without "module"'
}

const TF2_NEW_EXPLAINED: Readonly<Record<string, string>> = {
  lr: 'tf.keras\'s new optimizers ignore "lr" (with a warning), which would silently train with the default learning rate; write "learning_rate"',
  decay: 'tf.keras\'s new optimizers reject "decay" (ValueError "decay is deprecated in the new Keras optimizer"); use a learning-rate schedule',
  loss_scale_factor: '"loss_scale_factor" is a Keras 3 argument that tf.keras does not know',
  gradient_accumulation_steps: '"gradient_accumulation_steps" is a Keras 3 argument that tf.keras does not know'
}

const TF2_LEGACY_EXPLAINED: Readonly<Record<string, string>> = {
  weight_decay:
    'tf.keras\'s legacy optimizers (configs without "is_legacy_optimizer": false) have no weight_decay; a new-optimizer config writes "is_legacy_optimizer": false',
  use_ema: 'tf.keras\'s legacy optimizers have no use_ema; a new-optimizer config writes "is_legacy_optimizer": false'
}

/** The fields every Keras 3 optimizer config has (Keras 3's `get_config` order). */
const keras3Base = (cls: OptimizerClass): Fields => ({
  name: optional(nullOr(Str), null),
  learning_rate: optional(LearningRate, defaultLearningRate(cls)),
  weight_decay: optional(nullOr(NonNegativeNumber), cls === 'AdamW' ? 0.004 : null),
  clipnorm: optional(nullOr(NonNegativeNumber), null),
  global_clipnorm: optional(nullOr(NonNegativeNumber), null),
  clipvalue: optional(nullOr(NonNegativeNumber), null),
  use_ema: optional(Bool, false),
  ema_momentum: optional(Unit, 0.99),
  ema_overwrite_frequency: optional(nullOr(PositiveInteger), null),
  loss_scale_factor: optional(nullOr(PositiveNumber), null),
  gradient_accumulation_steps: optional(nullOr(SafeInt), null)
})

/** The fields of a tf.keras new-optimizer config (tf-keras's `get_config` order). */
const tf2NewBase = (cls: OptimizerClass): Fields => ({
  name: optional(nullOr(Str), null),
  weight_decay: optional(nullOr(NonNegativeNumber), cls === 'AdamW' ? 0.004 : null),
  clipnorm: optional(nullOr(NonNegativeNumber), null),
  global_clipnorm: optional(nullOr(NonNegativeNumber), null),
  clipvalue: optional(nullOr(NonNegativeNumber), null),
  use_ema: optional(Bool, false),
  ema_momentum: optional(Unit, 0.99),
  ema_overwrite_frequency: optional(nullOr(PositiveInteger), null),
  jit_compile: optional(Bool, true),
  is_legacy_optimizer: optional(Bool, false),
  learning_rate: optional(LearningRate, defaultLearningRate(cls))
})

/** The fields of a tf.keras legacy (`OptimizerV2`) or Keras 2.2 config. */
const tf2LegacyBase = (): Fields => ({
  name: optional(nullOr(Str), null),
  learning_rate: absent(LearningRate),
  lr: absent(LearningRate),
  decay: optional(NonNegativeNumber, 0),
  clipnorm: optional(nullOr(NonNegativeNumber), null),
  clipvalue: optional(nullOr(NonNegativeNumber), null),
  global_clipnorm: optional(nullOr(NonNegativeNumber), null),
  is_legacy_optimizer: optional(Bool, true)
})

/** Epsilon: Keras 3 and tf.keras-new take the number; tf.keras-legacy reads `null` as 1e-7. */
const epsilonField = (form: OptimizerForm): Field<number | null, number | null> =>
  form === 'tf2-legacy' ? optional(nullOr(NonNegativeNumber), null) : optional(NonNegativeNumber as unknown as t.Type<number | null, number | null, unknown>, EPSILON)

/** tf.keras-legacy's `epsilon or backend.epsilon()`: `null` and 0 both mean 1e-7. */
const epsilonOf = (c: Raw): number => {
  const e = c['epsilon'] as number | null
  return e === null || e === 0 ? EPSILON : e
}

/** The class's own fields (after the base fields, as `get_config` writes them). */
const classFields = (cls: OptimizerClass, form: OptimizerForm): Fields => {
  const epsilon = epsilonField(form)
  switch (cls) {
    case 'SGD':
      return { momentum: optional(Unit, 0), nesterov: optional(Bool, false) }
    case 'Adam':
    case 'AdamW':
      return { beta_1: optional(Beta, 0.9), beta_2: optional(Beta, 0.999), epsilon, amsgrad: optional(Bool, false) }
    case 'RMSprop':
      return { rho: optional(Unit, 0.9), momentum: optional(Unit, 0), epsilon, centered: optional(Bool, false) }
    case 'Adagrad':
      return { initial_accumulator_value: optional(NonNegativeNumber, 0.1), epsilon }
    case 'Adadelta':
      return { rho: optional(Unit, 0.95), epsilon }
    case 'Adamax':
      return { beta_1: optional(Beta, 0.9), beta_2: optional(Beta, 0.999), epsilon }
    case 'Nadam':
      return form === 'tf2-legacy'
        ? { beta_1: optional(Beta, 0.9), beta_2: optional(Beta, 0.999), epsilon, schedule_decay: optional(NonNegativeNumber, 0.004) }
        : { beta_1: optional(Beta, 0.9), beta_2: optional(Beta, 0.999), epsilon }
  }
}

/** The spec of a decoded Keras / tf.keras config: `base` from the base fields, then the class's own. */
const specOf = (cls: OptimizerClass, c: Raw, base: OptimizerBase): OptimizerSpec => {
  const legacy = base.form === 'tf2-legacy'
  const epsilon = legacy ? epsilonOf(c) : num(c, 'epsilon')
  switch (cls) {
    case 'SGD':
      return { className: 'SGD', ...base, momentum: num(c, 'momentum'), nesterov: bool(c, 'nesterov') }
    case 'Adam':
    case 'AdamW':
      return { className: cls, ...base, beta1: num(c, 'beta_1'), beta2: num(c, 'beta_2'), epsilon, amsgrad: bool(c, 'amsgrad') }
    case 'RMSprop':
      return { className: 'RMSprop', ...base, rho: num(c, 'rho'), momentum: num(c, 'momentum'), epsilon, centered: bool(c, 'centered') }
    case 'Adagrad':
      return { className: 'Adagrad', ...base, initialAccumulatorValue: num(c, 'initial_accumulator_value'), epsilon }
    case 'Adadelta':
      return { className: 'Adadelta', ...base, rho: num(c, 'rho'), epsilon }
    case 'Adamax':
      return { className: 'Adamax', ...base, beta1: num(c, 'beta_1'), beta2: num(c, 'beta_2'), epsilon }
    case 'Nadam':
      // tf.keras-legacy's Nadam uses `decay` as its momentum-schedule decay (overwritten by schedule_decay), never to decay lr.
      return {
        className: 'Nadam',
        ...base,
        decay: 0,
        beta1: num(c, 'beta_1'),
        beta2: num(c, 'beta_2'),
        epsilon,
        scheduleDecay: legacy ? num(c, 'schedule_decay') : 1
      }
  }
}

/** What a config of `cls` in `form` is called in messages (`Adam`, `tf.keras Adam`, `tf.keras legacy Adam`, `tfjs Adam`). */
const FORM_LABELS: Readonly<Record<OptimizerForm, string>> = { keras3: '', 'tf2-new': 'tf.keras ', 'tf2-legacy': 'tf.keras legacy ', tfjs: 'tfjs ' }
const FORM_LABEL_TABLE = nameTable(FORM_LABELS)

/** The base of a decoded config: the base arguments as `form` reads them. */
const baseOf = (cls: OptimizerClass, form: Exclude<OptimizerForm, 'tfjs'>, c: Raw): OptimizerBase => ({
  name: (c['name'] as string | null) ?? (form === 'keras3' ? keras3Name(cls) : cls),
  learningRate: form === 'tf2-legacy' ? either<number | ScheduleSpec>(c, 'lr', 'learning_rate', defaultLearningRate(cls)) : (c['learning_rate'] as number | ScheduleSpec),
  weightDecay: form === 'tf2-legacy' ? null : numOrNull(c, 'weight_decay'),
  clipnorm: numOrNull(c, 'clipnorm'),
  globalClipnorm: numOrNull(c, 'global_clipnorm'),
  clipvalue: numOrNull(c, 'clipvalue'),
  lossScaleFactor: form === 'keras3' ? numOrNull(c, 'loss_scale_factor') : null,
  form,
  decay: form === 'tf2-legacy' ? num(c, 'decay') : 0,
  ema: form === 'keras3' && c['use_ema'] === true ? { momentum: num(c, 'ema_momentum'), overwriteFrequency: numOrNull(c, 'ema_overwrite_frequency') } : null,
  gradientAccumulationSteps: form === 'keras3' ? numOrNull(c, 'gradient_accumulation_steps') : null
})

/** The kerasObject codec of a config of `cls` in `form` (not tfjs). */
const rawCodec = (cls: OptimizerClass, form: Exclude<OptimizerForm, 'tfjs'>): t.Decoder<unknown, Raw> => {
  const own = classFields(cls, form)
  const what = `${FORM_LABEL_TABLE.get(form) ?? ''}${cls}`
  const adamw = cls === 'AdamW' ? [adamwNeedsDecay] : []
  switch (form) {
    case 'keras3':
      return kerasObject(what, { ...keras3Base(cls), ...own }, {
        ignored: ['decay'],
        explained: KERAS3_EXPLAINED,
        rules: [atMostOneClip, accumulationSteps, ...adamw]
      })
    case 'tf2-new':
      return kerasObject(what, { ...tf2NewBase(cls), ...own }, { explained: TF2_NEW_EXPLAINED, rules: [notNormAndGlobal('tf.keras'), noTf2Ema, ...adamw] })
    case 'tf2-legacy':
      return kerasObject(what, { ...tf2LegacyBase(), ...own }, {
        explained: TF2_LEGACY_EXPLAINED,
        rules: [notBoth('lr', 'learning_rate', 'Keras 2.2 wrote "lr"'), notNormAndGlobal('tf.keras'), ...(cls === 'Nadam' ? [noLegacySchedule] : [])]
      })
  }
}

/** A config decoder of `cls` in `form` (not tfjs). */
const configDecoder = (cls: OptimizerClass, form: Exclude<OptimizerForm, 'tfjs'>): t.Decoder<unknown, OptimizerSpec> => {
  const codec = rawCodec(cls, form)
  const to = (c: Raw): OptimizerSpec => specOf(cls, c, baseOf(cls, form, c))
  return { name: codec.name, validate: (u, ctx) => E.map(to)(codec.validate(u, ctx)), decode: (u) => E.map(to)(codec.decode(u)) }
}

/** The tfjs class names and the Keras class each trains as. */
const TFJS_CLASSES = ['Adam', 'SGD', 'Momentum', 'RMSProp', 'Adagrad', 'Adadelta', 'Adamax'] as const
type TfjsClass = (typeof TFJS_CLASSES)[number]

/** Keys only tfjs writes (camelCase, or its own snake_case names). */
const TFJS_ONLY_KEYS = ['learningRate', 'beta1', 'beta2', 'useNesterov', 'use_nesterov', 'initialAccumulatorValue'] as const

const lrPair = (): Fields => ({ learning_rate: absent(Rate), learningRate: absent(Rate) })
const tfjsEpsilon = optional(nullOr(NonNegativeNumber), null)
const SAME = 'tfjs converts between camelCase and snake_case keys'

/** A config decoder of a tfjs class. */
const tfjsDecoder = (cls: TfjsClass): t.Decoder<unknown, OptimizerSpec> => {
  const betas = (): Fields => ({ beta1: absent(Beta), beta_1: absent(Beta), beta2: absent(Beta), beta_2: absent(Beta) })
  const betaRules = [notBoth('beta_1', 'beta1', SAME), notBoth('beta_2', 'beta2', SAME)]
  const lrRule = notBoth('learningRate', 'learning_rate', SAME)
  const eps = (c: Raw): number => (c['epsilon'] as number | null) ?? EPSILON
  const base = (kerasClass: OptimizerClass, c: Raw, defaultLr: number, decay = 0): OptimizerBase => ({
    name: keras3Name(kerasClass),
    learningRate: either<number>(c, 'learningRate', 'learning_rate', defaultLr),
    weightDecay: null,
    clipnorm: null,
    globalClipnorm: null,
    clipvalue: null,
    lossScaleFactor: null,
    form: 'tfjs',
    decay,
    ema: null,
    gradientAccumulationSteps: null
  })
  const make = (fields: Fields, rules: ReadonlyArray<Rule<Raw>>, to: (c: Raw) => OptimizerSpec): t.Decoder<unknown, OptimizerSpec> => {
    const codec = kerasObject(`tfjs ${cls}`, fields, { rules }) as t.Decoder<unknown, Raw>
    return { name: codec.name, validate: (u, ctx) => E.map(to)(codec.validate(u, ctx)), decode: (u) => E.map(to)(codec.decode(u)) }
  }
  switch (cls) {
    case 'Adam':
      return make({ ...lrPair(), ...betas(), epsilon: tfjsEpsilon }, [lrRule, ...betaRules], (c) => ({
        className: 'Adam',
        ...base('Adam', c, 0.001),
        beta1: either(c, 'beta1', 'beta_1', 0.9),
        beta2: either(c, 'beta2', 'beta_2', 0.999),
        epsilon: eps(c),
        amsgrad: false
      }))
    case 'SGD':
      return make({ ...lrPair() }, [lrRule], (c) => ({ className: 'SGD', ...base('SGD', c, 0.01), momentum: 0, nesterov: false }))
    case 'Momentum':
      return make(
        { ...lrPair(), momentum: absent(Unit), useNesterov: absent(Bool), use_nesterov: absent(Bool) },
        [
          lrRule,
          notBoth('useNesterov', 'use_nesterov', SAME),
          {
            keys: [],
            check: (c) => (c['momentum'] === undefined ? { key: 'momentum', message: 'missing required tfjs Momentum argument "momentum": expected a finite number in [0, 1]' } : undefined)
          }
        ],
        (c) => ({ className: 'SGD', ...base('SGD', c, 0.01), momentum: num(c, 'momentum'), nesterov: either(c, 'useNesterov', 'use_nesterov', false) })
      )
    case 'RMSProp':
      return make(
        { ...lrPair(), decay: optional(Unit, 0.9), momentum: optional(Unit, 0), epsilon: tfjsEpsilon, centered: optional(Bool, false) },
        [lrRule],
        (c) => ({
          className: 'RMSprop',
          ...base('RMSprop', c, 0.001),
          rho: num(c, 'decay'),
          momentum: num(c, 'momentum'),
          epsilon: eps(c),
          centered: bool(c, 'centered')
        })
      )
    case 'Adagrad':
      return make(
        { ...lrPair(), initialAccumulatorValue: absent(NonNegativeNumber), initial_accumulator_value: absent(NonNegativeNumber) },
        [lrRule, notBoth('initialAccumulatorValue', 'initial_accumulator_value', SAME)],
        (c) => ({
          className: 'Adagrad',
          ...base('Adagrad', c, 0.01),
          initialAccumulatorValue: either(c, 'initialAccumulatorValue', 'initial_accumulator_value', 0.1),
          epsilon: EPSILON
        })
      )
    case 'Adadelta':
      return make({ ...lrPair(), rho: optional(Unit, 0.95), epsilon: tfjsEpsilon }, [lrRule], (c) => ({
        className: 'Adadelta',
        ...base('Adadelta', c, 1.0),
        rho: num(c, 'rho'),
        epsilon: eps(c)
      }))
    case 'Adamax':
      return make({ ...lrPair(), ...betas(), epsilon: tfjsEpsilon, decay: optional(NonNegativeNumber, 0) }, [lrRule, ...betaRules], (c) => ({
        className: 'Adamax',
        ...base('Adamax', c, 0.002, num(c, 'decay')),
        beta1: either(c, 'beta1', 'beta_1', 0.9),
        beta2: either(c, 'beta2', 'beta_2', 0.999),
        epsilon: eps(c)
      }))
  }
}

/** Keras optimizers layerspec knows but does not train with. */
const UNSUPPORTED = ['Ftrl', 'Lion', 'Adafactor', 'Lamb', 'Muon', 'LossScaleOptimizer', 'MultiOptimizer', 'ScheduleFreeAdamW', 'Optimizer']

type Lookup = { readonly _tag: 'Class'; readonly cls: OptimizerClass } | { readonly _tag: 'Rejected'; readonly reason: string }

/** Keras's optimizer table, by lower-cased class name (Keras 3 and tf.keras lower-case the name first). */
const KERAS_TABLE: NameTable<Lookup> = nameTable<Lookup>([
  ...OPTIMIZER_CLASSES.map((cls) => [cls.toLowerCase(), { _tag: 'Class', cls }] as const),
  ...UNSUPPORTED.map(
    (name) =>
      [
        name.toLowerCase(),
        {
          _tag: 'Rejected',
          reason: `${name} is a Keras optimizer that layerspec does not train with; expected one of ${oneOf(OPTIMIZER_CLASSES)}`
        }
      ] as const
  )
])

const TFJS_TABLE: NameTable<TfjsClass> = nameTable(TFJS_CLASSES.map((c) => [c, c] as const))

const DECODERS: ReadonlyMap<string, t.Decoder<unknown, OptimizerSpec>> = new Map([
  ...(['keras3', 'tf2-new', 'tf2-legacy'] as const).flatMap((form) => OPTIMIZER_CLASSES.map((cls) => [`${form}:${cls}`, configDecoder(cls, form)] as const)),
  ...TFJS_CLASSES.map((cls) => [`tfjs:${cls}`, tfjsDecoder(cls)] as const)
])

const decoderOf = (form: OptimizerForm, cls: string): t.Decoder<unknown, OptimizerSpec> => DECODERS.get(`${form}:${cls}`) as t.Decoder<unknown, OptimizerSpec>

const ENVELOPE_KEYS = ['class_name', 'config', 'module', 'registered_name'] as const

/** The form an optimizer envelope was written in (module doc). */
const formOf = (u: Raw): OptimizerForm => {
  if (hasOwnKey(u, 'module') || hasOwnKey(u, 'registered_name')) return 'keras3'
  const cls = ownValue(u, 'class_name')
  const config = ownValue(u, 'config')
  if (cls === 'Momentum' || cls === 'RMSProp') return 'tfjs'
  if (!isPlainObject(config)) return 'tf2-new'
  if (TFJS_ONLY_KEYS.some((k) => hasOwnKey(config, k))) return 'tfjs'
  const legacy = ownValue(config, 'is_legacy_optimizer')
  if (legacy === false) return 'tf2-new'
  if (legacy === true) return 'tf2-legacy'
  // tf.keras's rule: a non-empty config without is_legacy_optimizer is a legacy optimizer's.
  return Object.keys(config).length > 0 ? 'tf2-legacy' : 'tf2-new'
}


const LOWER_NAMES = OPTIMIZER_CLASSES.map((c) => c.toLowerCase())

const validateOptimizer = (u: unknown, c: t.Context): t.Validation<OptimizerSpec> => {
  if (typeof u === 'string') {
    const hit = KERAS_TABLE.get(u.toLowerCase())
    if (hit === undefined) {
      return t.failure(u, c, `unknown optimizer ${quoteText(u)}${suggestion(u, LOWER_NAMES)}; expected one of ${oneOf(LOWER_NAMES)} (any case)`)
    }
    if (hit._tag === 'Rejected') return t.failure(u, c, hit.reason)
    return E.map((s: OptimizerSpec) => deepFreeze(s))(decoderOf('keras3', hit.cls).validate({}, c))
  }
  if (!isPlainObject(u)) {
    return t.failure(u, c, `expected an optimizer: a name such as "adam" or an object {"class_name": …, "config": {…}}, found ${describe(u)}`)
  }
  const errors: t.ValidationError[] = []
  const at = (key: string, value: unknown, message: string): void => {
    errors.push({ value, context: t.appendContext(c, key, t.never, value), message })
  }
  for (const key of Object.keys(u)) {
    if (!(ENVELOPE_KEYS as ReadonlyArray<string>).includes(key)) {
      at(key, u[key], `unknown key ${quoteText(key)} in a serialized optimizer${suggestion(key, ENVELOPE_KEYS)}; expected "class_name" and "config" (and optionally "module", "registered_name")`)
    }
  }
  for (const key of ['module', 'registered_name'] as const) {
    const v = ownValue(u, key)
    if (v !== undefined && v !== null && typeof v !== 'string') at(key, v, `expected ${key} to be a string or null, found ${describe(v)}`)
  }
  const className = ownValue(u, 'class_name')
  if (typeof className !== 'string') {
    at('class_name', className, `expected the optimizer's class_name to be one of ${oneOf(OPTIMIZER_CLASSES)}, found ${describe(className)}`)
    return t.failures(errors)
  }
  const form = formOf(u)
  let decoder: t.Decoder<unknown, OptimizerSpec> | undefined
  if (form === 'tfjs') {
    const cls = TFJS_TABLE.get(className)
    if (cls === undefined) {
      at(
        'class_name',
        className,
        `unknown TensorFlow.js optimizer class ${quoteText(className)}${suggestion(className, TFJS_CLASSES)}; expected one of ${oneOf(TFJS_CLASSES)} (the config has TensorFlow.js keys)`
      )
    } else decoder = decoderOf('tfjs', cls)
  } else {
    const hit = KERAS_TABLE.get(className.toLowerCase())
    if (hit === undefined) {
      at('class_name', className, `unknown optimizer class ${quoteText(className)}${suggestion(className, OPTIMIZER_CLASSES)}; expected one of ${oneOf(OPTIMIZER_CLASSES)}`)
    } else if (hit._tag === 'Rejected') {
      at('class_name', className, hit.reason)
    } else if (form === 'tf2-legacy' && hit.cls === 'AdamW') {
      at(
        'class_name',
        className,
        'AdamW has no tf.keras legacy class, and a {"class_name", "config"} config without "is_legacy_optimizer": false is read as legacy (tf.keras\'s rule); add "is_legacy_optimizer": false or use the Keras 3 form with "module"'
      )
    } else decoder = decoderOf(form, hit.cls)
  }
  if (decoder === undefined) return t.failures(errors)
  const config = ownValue(u, 'config')
  if (config === undefined) {
    at('config', config, `missing "config" in the serialized optimizer ${quoteText(className)}: expected a JSON object of its arguments (use {} for the defaults)`)
    return t.failures(errors)
  }
  const decoded = decoder.validate(config, t.appendContext(c, 'config', t.never, config))
  if (decoded._tag === 'Left') {
    return t.failures([...errors, ...decoded.left])
  }
  return errors.length > 0 ? t.failures(errors) : t.success(deepFreeze(decoded.right))
}

/** The run-time guard: an object with a known `className`, a `form` and a learning rate. */
const isOptimizerSpec = (u: unknown): u is OptimizerSpec =>
  isPlainObject(u) &&
  typeof u['className'] === 'string' &&
  (OPTIMIZER_CLASSES as ReadonlyArray<string>).includes(u['className']) &&
  typeof u['form'] === 'string' &&
  hasOwnKey(FORM_LABELS, u['form'] as string) &&
  LearningRate.is(u['learningRate'])

/**
 * The optimizer codec: decodes every form (module doc) into a deeply frozen {@link OptimizerSpec};
 * encodes into the Keras 3 form ({@link encodeOptimizer}).
 * @category codecs
 */
export const optimizerCodec: t.Type<OptimizerSpec, Record<string, unknown>, unknown> = new t.Type<OptimizerSpec, Record<string, unknown>, unknown>(
  'an optimizer',
  isOptimizerSpec,
  validateOptimizer,
  (s) => encodeOptimizer(s)
)

// -------------------------------------------------------------------------------------
// decode / encode
// -------------------------------------------------------------------------------------

/**
 * Decodes what Keras's `model.compile(optimizer=…)` and model files hold (module doc: a name, the
 * Keras 3 entry, tf.keras's new and legacy `{class_name, config}`, TensorFlow.js's classes) into an
 * {@link OptimizerSpec}, or every problem at once, each at its JSON path under `path` (e.g.
 * `training_config.optimizer_config.config.momentum`).
 * @category decode / encode
 */
export const decodeOptimizer = (u: unknown, path: string): E.Either<ReadonlyArray<SpecError>, OptimizerSpec> => {
  const r = optimizerCodec.decode(u)
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths(path, e.path), message: e.message }))) : E.right(r.right)
}

/** The Keras 3 `config` of the class's own hyperparameters (Keras's `get_config` order). */
const ownConfig = (s: OptimizerSpec): Record<string, unknown> => {
  switch (s.className) {
    case 'SGD':
      return { momentum: s.momentum, nesterov: s.nesterov }
    case 'Adam':
    case 'AdamW':
      return { beta_1: s.beta1, beta_2: s.beta2, epsilon: s.epsilon, amsgrad: s.amsgrad }
    case 'RMSprop':
      return { rho: s.rho, momentum: s.momentum, epsilon: s.epsilon, centered: s.centered }
    case 'Adagrad':
      return { initial_accumulator_value: s.initialAccumulatorValue, epsilon: s.epsilon }
    case 'Adadelta':
      return { rho: s.rho, epsilon: s.epsilon }
    case 'Adamax':
    case 'Nadam':
      return { beta_1: s.beta1, beta_2: s.beta2, epsilon: s.epsilon }
  }
}

/**
 * The Keras 3 entry of an optimizer, as `keras.optimizers.serialize` writes it:
 * `{"module": "keras.optimizers", "class_name", "config", "registered_name": null}` with every
 * `get_config()` key. `decodeOptimizer(encodeOptimizer(s))` deep-equals `s` for a `keras3`-form spec.
 * Other forms are written as Keras 3 would train them, which drops what Keras 3 has no argument for
 * (tf.keras-legacy's `decay`, legacy Nadam's `schedule_decay`, tfjs Adamax's `decay`; a legacy config's
 * second clip option makes an entry Keras 3 rejects).
 * @category decode / encode
 */
export const encodeOptimizer = (spec: OptimizerSpec): Record<string, unknown> => ({
  module: 'keras.optimizers',
  class_name: spec.className,
  config: {
    name: spec.name,
    learning_rate: LearningRate.encode(spec.learningRate),
    weight_decay: spec.weightDecay,
    clipnorm: spec.clipnorm,
    global_clipnorm: spec.globalClipnorm,
    clipvalue: spec.clipvalue,
    use_ema: spec.ema !== null,
    ema_momentum: spec.ema?.momentum ?? 0.99,
    ema_overwrite_frequency: spec.ema?.overwriteFrequency ?? null,
    loss_scale_factor: spec.lossScaleFactor,
    gradient_accumulation_steps: spec.gradientAccumulationSteps,
    ...ownConfig(spec)
  },
  registered_name: null
})
