/**
 * `ScheduleSpec`: Keras's learning-rate schedules (reference §2) as decoded, immutable data, and
 * {@link learningRateAt}, the value Keras computes for an optimizer step.
 *
 * The codec reads the two envelopes a schedule is serialized in inside an optimizer's `learning_rate`:
 * Keras 3 (and tf.keras ≥ 2.13) `{"module": "keras.optimizers.schedules", "class_name", "config",
 * "registered_name"}`, and tf.keras ≤ 2.12 `{"class_name", "config"}`. A missing `name` takes Keras 3's
 * default in the first (`"ExponentialDecay"`, `"PiecewiseConstant"`, …, `"SGDRDecay"`) and tf.keras's
 * `null` in the second. Encoding writes the Keras 3 envelope.
 *
 * Where Keras is lax, the codec is strict: a learning rate (initial, end, warm-up target, piecewise
 * value) is a finite number ≥ 0; `decay_steps` / `first_decay_steps` > 0 (Keras raises on ≤ 0 too);
 * `decay_rate` ≥ 0; `alpha` in [0, 1]; `t_mul` > 0; PiecewiseConstantDecay's boundaries are strictly
 * increasing integers (Keras casts them to the integer step) with exactly one more value than
 * boundaries (Keras raises otherwise).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { envelope, rejected, resolved, validateClassObject, type ClassFamily, type Resolution } from '../../core/ClassObject.js'
import { deepFreeze } from '../../core/deepFreeze.js'
import { describe, isPlainObject, quote } from '../../core/describe.js'
import { kerasObject, optional, required, type Rule } from '../../core/KerasObject.js'
import { EMPTY_TABLE, hasOwnKey, nameTable, type NameTable } from '../../core/NameTable.js'
import { Bool, decodedAs, NonNegativeNumber, nullOr, numberWhere, PositiveNumber, Str } from '../../core/primitives.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `initial_learning_rate · decay_rate^p`, `p = step / decay_steps` (floored when `staircase`).
 * @category model
 */
export interface ExponentialDecay {
  readonly className: 'ExponentialDecay'
  readonly initialLearningRate: number
  readonly decaySteps: number
  readonly decayRate: number
  readonly staircase: boolean
  readonly name: string | null
}

/**
 * `values[0]` while `step ≤ boundaries[0]`, `values[i]` while `boundaries[i−1] < step ≤ boundaries[i]`,
 * `values[n]` after the last boundary (`values.length = boundaries.length + 1`).
 * @category model
 */
export interface PiecewiseConstantDecay {
  readonly className: 'PiecewiseConstantDecay'
  readonly boundaries: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
  readonly name: string | null
}

/**
 * `initial_learning_rate / (1 + decay_rate · p)`, `p` as {@link ExponentialDecay}'s.
 * @category model
 */
export interface InverseTimeDecay {
  readonly className: 'InverseTimeDecay'
  readonly initialLearningRate: number
  readonly decaySteps: number
  readonly decayRate: number
  readonly staircase: boolean
  readonly name: string | null
}

/**
 * `(initial − end)·(1 − s/D)^power + end` with `s = min(step, D)`; with `cycle`, `D` grows to the first
 * multiple of `decay_steps` at or above the step instead.
 * @category model
 */
export interface PolynomialDecay {
  readonly className: 'PolynomialDecay'
  readonly initialLearningRate: number
  readonly decaySteps: number
  readonly endLearningRate: number
  readonly power: number
  readonly cycle: boolean
  readonly name: string | null
}

/**
 * Cosine decay from the initial rate (or, with a warm-up, from `warmupTarget` after a linear warm-up
 * of `warmupSteps` steps) to `alpha` times it over `decaySteps` steps.
 * @category model
 */
export interface CosineDecay {
  readonly className: 'CosineDecay'
  readonly initialLearningRate: number
  readonly decaySteps: number
  readonly alpha: number
  readonly warmupTarget: number | null
  readonly warmupSteps: number
  readonly name: string | null
}

/**
 * SGDR: cosine decay over `firstDecaySteps`, then restarts whose length is multiplied by `tMul` and
 * whose height by `mMul` each time (`alpha` is not scaled by `mMul`).
 * @category model
 */
export interface CosineDecayRestarts {
  readonly className: 'CosineDecayRestarts'
  readonly initialLearningRate: number
  readonly firstDecaySteps: number
  readonly tMul: number
  readonly mMul: number
  readonly alpha: number
  readonly name: string | null
}

/**
 * A Keras learning-rate schedule, normalized: every default filled, camelCase names.
 * @category model
 */
export type ScheduleSpec = ExponentialDecay | PiecewiseConstantDecay | InverseTimeDecay | PolynomialDecay | CosineDecay | CosineDecayRestarts

/**
 * The schedule classes, in Keras's order.
 * @category model
 */
export const SCHEDULE_CLASSES: ReadonlyArray<ScheduleSpec['className']> = [
  'ExponentialDecay',
  'PiecewiseConstantDecay',
  'PolynomialDecay',
  'InverseTimeDecay',
  'CosineDecay',
  'CosineDecayRestarts'
]

/**
 * Keras 3's default `name` of each schedule class (tf.keras's default is `null`).
 * @category model
 */
export const KERAS3_SCHEDULE_NAMES: Readonly<Record<ScheduleSpec['className'], string>> = {
  ExponentialDecay: 'ExponentialDecay',
  PiecewiseConstantDecay: 'PiecewiseConstant',
  PolynomialDecay: 'PolynomialDecay',
  InverseTimeDecay: 'InverseTimeDecay',
  CosineDecay: 'CosineDecay',
  CosineDecayRestarts: 'SGDRDecay'
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const SCHEDULE_NAME_TABLE = nameTable(KERAS3_SCHEDULE_NAMES)

/** A learning rate in a schedule: finite and ≥ 0. */
const Rate = numberWhere('a finite, non-negative learning rate', (n) => n >= 0)

/** A fraction in [0, 1] (`alpha`). */
const Fraction = numberWhere('a finite number in [0, 1]', (n) => n >= 0 && n <= 1)

/** A step count that must be positive (`decay_steps`, `first_decay_steps`; Keras raises on ≤ 0). */
const DecaySteps = numberWhere('a finite, positive number of steps (Keras raises "must be > 0")', (n) => n > 0)

/** A non-empty JSON list whose items each satisfy `item`; `check` judges the whole list once the items decode. */
const listOf = (
  expected: string,
  item: t.Type<number, number, unknown>,
  check: (xs: ReadonlyArray<number>) => string | undefined
): t.Type<ReadonlyArray<number>, ReadonlyArray<number>, unknown> =>
  new t.Type<ReadonlyArray<number>, ReadonlyArray<number>, unknown>(
    expected,
    (u): u is ReadonlyArray<number> => Array.isArray(u) && u.length > 0 && u.every(item.is) && check(u as number[]) === undefined,
    (u, c) => {
      if (!Array.isArray(u) || u.length === 0) return t.failure(u, c, `expected ${expected}, found ${describe(u)}`)
      const errors: t.ValidationError[] = []
      const out: number[] = []
      u.forEach((x, i) => {
        const r = item.validate(x, t.appendContext(c, String(i), item, x))
        if (r._tag === 'Left') errors.push(...r.left)
        else out.push(r.right)
      })
      if (errors.length > 0) return t.failures(errors)
      const problem = check(out)
      return problem === undefined ? t.success(out) : t.failure(u, c, problem)
    },
    (a) => [...a]
  )

const Boundaries = listOf(
  'a non-empty list of strictly increasing integer steps',
  numberWhere('an integer step', (n) => Number.isSafeInteger(n)),
  (xs) => {
    const i = xs.findIndex((x, j) => j > 0 && x <= (xs[j - 1] as number))
    return i < 0 ? undefined : `expected strictly increasing boundaries, found ${quote(xs)}, where item ${i} (${String(xs[i])}) is not above item ${i - 1}`
  }
)

const Values = listOf('a non-empty list of learning rates', Rate, () => undefined)

const nameField = (defaultName: string | null) => optional(nullOr(Str), defaultName)

const exponentialFields = (defaultName: string | null) => ({
  initial_learning_rate: required(Rate),
  decay_steps: required(DecaySteps),
  decay_rate: required(NonNegativeNumber),
  staircase: optional(Bool, false),
  name: nameField(defaultName)
})

const piecewiseFields = (defaultName: string | null) => ({
  boundaries: required(Boundaries),
  values: required(Values),
  name: nameField(defaultName)
})

const polynomialFields = (defaultName: string | null) => ({
  initial_learning_rate: required(Rate),
  decay_steps: required(DecaySteps),
  end_learning_rate: optional(Rate, 0.0001),
  power: optional(NonNegativeNumber, 1.0),
  cycle: optional(Bool, false),
  name: nameField(defaultName)
})

const cosineFields = (defaultName: string | null) => ({
  initial_learning_rate: required(Rate),
  decay_steps: required(DecaySteps),
  alpha: optional(Fraction, 0.0),
  name: nameField(defaultName),
  warmup_target: optional(nullOr(Rate), null),
  warmup_steps: optional(NonNegativeNumber, 0)
})

const restartsFields = (defaultName: string | null) => ({
  initial_learning_rate: required(Rate),
  first_decay_steps: required(DecaySteps),
  t_mul: optional(PositiveNumber, 2.0),
  m_mul: optional(NonNegativeNumber, 1.0),
  alpha: optional(Fraction, 0.0),
  name: nameField(defaultName)
})

type PiecewiseRaw = { readonly boundaries: ReadonlyArray<number>; readonly values: ReadonlyArray<number>; readonly name: string | null }

const PIECEWISE_LENGTHS: Rule<PiecewiseRaw> = {
  keys: ['boundaries', 'values'],
  check: (c) =>
    c.values.length === c.boundaries.length + 1
      ? undefined
      : {
          key: 'values',
          message: `expected one more value than boundaries (Keras raises "The length of boundaries should be 1 less than the length of values"), found ${c.boundaries.length} boundaries and ${c.values.length} values`
        }
}

const TF2_ONLY =
  'is a tf.keras 2.x schedule that Keras 3 removed and layerspec does not run; use ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay or CosineDecayRestarts'

/** The schedule classes, with each missing `name` defaulting as the envelope's Keras does. */
const classesOf = (keras3: boolean): NameTable<Resolution<ScheduleSpec>> => {
  const dn = (cls: ScheduleSpec['className']): string | null => (keras3 ? (SCHEDULE_NAME_TABLE.get(cls) as string) : null)
  const entries: Array<readonly [string, Resolution<ScheduleSpec>]> = [
    [
      'ExponentialDecay',
      resolved(
        decodedAs(kerasObject('ExponentialDecay', exponentialFields(dn('ExponentialDecay'))), (c): ScheduleSpec => ({
          className: 'ExponentialDecay',
          initialLearningRate: c.initial_learning_rate,
          decaySteps: c.decay_steps,
          decayRate: c.decay_rate,
          staircase: c.staircase,
          name: c.name
        }))
      )
    ],
    [
      'PiecewiseConstantDecay',
      resolved(
        decodedAs(
          kerasObject('PiecewiseConstantDecay', piecewiseFields(dn('PiecewiseConstantDecay')), { rules: [PIECEWISE_LENGTHS] }),
          (c): ScheduleSpec => ({ className: 'PiecewiseConstantDecay', boundaries: c.boundaries, values: c.values, name: c.name })
        )
      )
    ],
    [
      'PolynomialDecay',
      resolved(
        decodedAs(kerasObject('PolynomialDecay', polynomialFields(dn('PolynomialDecay'))), (c): ScheduleSpec => ({
          className: 'PolynomialDecay',
          initialLearningRate: c.initial_learning_rate,
          decaySteps: c.decay_steps,
          endLearningRate: c.end_learning_rate,
          power: c.power,
          cycle: c.cycle,
          name: c.name
        }))
      )
    ],
    [
      'InverseTimeDecay',
      resolved(
        decodedAs(kerasObject('InverseTimeDecay', exponentialFields(dn('InverseTimeDecay'))), (c): ScheduleSpec => ({
          className: 'InverseTimeDecay',
          initialLearningRate: c.initial_learning_rate,
          decaySteps: c.decay_steps,
          decayRate: c.decay_rate,
          staircase: c.staircase,
          name: c.name
        }))
      )
    ],
    [
      'CosineDecay',
      resolved(
        decodedAs(kerasObject('CosineDecay', cosineFields(dn('CosineDecay'))), (c): ScheduleSpec => ({
          className: 'CosineDecay',
          initialLearningRate: c.initial_learning_rate,
          decaySteps: c.decay_steps,
          alpha: c.alpha,
          warmupTarget: c.warmup_target,
          warmupSteps: c.warmup_steps,
          name: c.name
        }))
      )
    ],
    [
      'CosineDecayRestarts',
      resolved(
        decodedAs(kerasObject('CosineDecayRestarts', restartsFields(dn('CosineDecayRestarts'))), (c): ScheduleSpec => ({
          className: 'CosineDecayRestarts',
          initialLearningRate: c.initial_learning_rate,
          firstDecaySteps: c.first_decay_steps,
          tMul: c.t_mul,
          mMul: c.m_mul,
          alpha: c.alpha,
          name: c.name
        }))
      )
    ],
    ['LinearCosineDecay', rejected(`LinearCosineDecay ${TF2_ONLY}`)],
    ['NoisyLinearCosineDecay', rejected(`NoisyLinearCosineDecay ${TF2_ONLY}`)]
  ]
  return nameTable(entries)
}

const FAMILY_KERAS3: ClassFamily<ScheduleSpec> = { what: 'learning-rate schedule', classes: classesOf(true), strings: EMPTY_TABLE }
const FAMILY_TF2: ClassFamily<ScheduleSpec> = { what: 'learning-rate schedule', classes: classesOf(false), strings: EMPTY_TABLE }

const isNumberList = (u: unknown): boolean => Array.isArray(u) && u.every((x) => typeof x === 'number')

/** The run-time guard of a decoded schedule (the fields of its class, with their types). */
const isSchedule = (u: unknown): u is ScheduleSpec => {
  if (!isPlainObject(u)) return false
  const n = (k: string): boolean => typeof u[k] === 'number'
  const b = (k: string): boolean => typeof u[k] === 'boolean'
  const named = u['name'] === null || typeof u['name'] === 'string'
  switch (u['className']) {
    case 'ExponentialDecay':
    case 'InverseTimeDecay':
      return named && n('initialLearningRate') && n('decaySteps') && n('decayRate') && b('staircase')
    case 'PiecewiseConstantDecay':
      return named && isNumberList(u['boundaries']) && isNumberList(u['values'])
    case 'PolynomialDecay':
      return named && n('initialLearningRate') && n('decaySteps') && n('endLearningRate') && n('power') && b('cycle')
    case 'CosineDecay':
      return named && n('initialLearningRate') && n('decaySteps') && n('alpha') && n('warmupSteps') && (u['warmupTarget'] === null || n('warmupTarget'))
    case 'CosineDecayRestarts':
      return named && n('initialLearningRate') && n('firstDecaySteps') && n('tMul') && n('mMul') && n('alpha')
    default:
      return false
  }
}

/** The Keras 3 `config` of a schedule (Keras's `get_config()` keys and order). */
const scheduleConfig = (s: ScheduleSpec): Record<string, unknown> => {
  switch (s.className) {
    case 'ExponentialDecay':
    case 'InverseTimeDecay':
      return { initial_learning_rate: s.initialLearningRate, decay_steps: s.decaySteps, decay_rate: s.decayRate, staircase: s.staircase, name: s.name }
    case 'PiecewiseConstantDecay':
      return { boundaries: [...s.boundaries], values: [...s.values], name: s.name }
    case 'PolynomialDecay':
      return {
        initial_learning_rate: s.initialLearningRate,
        decay_steps: s.decaySteps,
        end_learning_rate: s.endLearningRate,
        power: s.power,
        cycle: s.cycle,
        name: s.name
      }
    case 'CosineDecay':
      return {
        initial_learning_rate: s.initialLearningRate,
        decay_steps: s.decaySteps,
        alpha: s.alpha,
        name: s.name,
        warmup_target: s.warmupTarget,
        warmup_steps: s.warmupSteps
      }
    case 'CosineDecayRestarts':
      return { initial_learning_rate: s.initialLearningRate, first_decay_steps: s.firstDecaySteps, t_mul: s.tMul, m_mul: s.mMul, alpha: s.alpha, name: s.name }
  }
}

/**
 * The codec of a serialized learning-rate schedule: the Keras 3 envelope (`module` /
 * `registered_name` present; a missing `name` takes Keras 3's default) or tf.keras's
 * `{"class_name", "config"}` (a missing `name` is `null`). Class names are case-sensitive, as Keras's
 * lookup is. Encoding writes the Keras 3 envelope, so `decode(encode(s))` deep-equals `s`.
 * @category codecs
 */
export const scheduleCodec: t.Type<ScheduleSpec, Record<string, unknown>, unknown> = new t.Type<ScheduleSpec, Record<string, unknown>, unknown>(
  'a learning-rate schedule',
  isSchedule,
  (u, c) => {
    if (!isPlainObject(u)) {
      return t.failure(
        u,
        c,
        `expected a learning-rate schedule {"class_name": "ExponentialDecay", "config": {…}} (Keras serializes only those as objects), found ${describe(u)}`
      )
    }
    const keras3 = hasOwnKey(u, 'module') || hasOwnKey(u, 'registered_name')
    return E.map((s: ScheduleSpec) => deepFreeze(s))(validateClassObject(keras3 ? FAMILY_KERAS3 : FAMILY_TF2, u, c))
  },
  (s) => envelope('keras3', 'keras.optimizers.schedules', s.className, scheduleConfig(s))
)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const f = Math.fround

/** `f32(π)`, the float32 constant Keras builds with `ops.array(math.pi, dtype)`. */
const PI32 = f(Math.PI)

/** One cosine step of CosineDecay's `_decay_function` (float32, one rounding per operation). */
const cosineDecayed = (step: number, decaySteps: number, from: number, alpha: number): number => {
  const completed = f(step / decaySteps)
  const cosine = f(0.5 * f(1 + f(Math.cos(f(PI32 * completed)))))
  // `(1 - self.alpha) * cosine_decayed + self.alpha`: Python floats, cast to float32 when they meet a tensor.
  const decayed = f(f(f(1 - alpha) * cosine) + f(alpha))
  return f(from * decayed)
}

/**
 * The learning rate a schedule gives at optimizer step `step` (an integer ≥ 0: Keras evaluates the
 * schedule at `optimizer.iterations` before the increment, so update k uses step k − 1), computed as
 * Keras computes it: in float32 (the dtype of a Python-float `initial_learning_rate`), every operation
 * rounded to float32 (`Math.fround`), Python-float constants rounded where they meet a tensor. The
 * result is a float32 value.
 * @category utils
 */
export const learningRateAt = (s: ScheduleSpec, step: number): number => {
  const st = f(step)
  switch (s.className) {
    case 'ExponentialDecay': {
      const p0 = f(st / f(s.decaySteps))
      const p = s.staircase ? Math.floor(p0) : p0
      return f(f(s.initialLearningRate) * f(Math.pow(f(s.decayRate), p)))
    }
    case 'InverseTimeDecay': {
      const p0 = f(st / f(s.decaySteps))
      const p = s.staircase ? Math.floor(p0) : p0
      return f(f(s.initialLearningRate) / f(1 + f(f(s.decayRate) * p)))
    }
    case 'PiecewiseConstantDecay': {
      const { boundaries, values } = s
      // values[i] for the first boundary at or above the step; the last value past every boundary.
      let i = boundaries.findIndex((b) => step <= b)
      if (i < 0) i = boundaries.length
      return f(values[i] as number)
    }
    case 'PolynomialDecay': {
      const lr0 = f(s.initialLearningRate)
      const end = f(s.endLearningRate)
      let decaySteps = f(s.decaySteps)
      let at = st
      if (s.cycle) {
        // The first multiple of decay_steps at or above the step (1 at step 0).
        const multiplier = st === 0 ? 1 : Math.ceil(f(st / decaySteps))
        decaySteps = f(decaySteps * multiplier)
      } else {
        at = Math.min(st, decaySteps)
      }
      const p = f(at / decaySteps)
      return f(f(f(lr0 - end) * f(Math.pow(f(1 - p), f(s.power)))) + end)
    }
    case 'CosineDecay': {
      const lr0 = f(s.initialLearningRate)
      const decaySteps = f(s.decaySteps)
      if (s.warmupTarget === null) return cosineDecayed(Math.min(st, decaySteps), decaySteps, lr0, s.alpha)
      const target = f(s.warmupTarget)
      const warmupSteps = f(s.warmupSteps)
      const at = Math.min(st, f(decaySteps + warmupSteps))
      if (at < warmupSteps) return f(f(f(target - lr0) * f(at / warmupSteps)) + lr0)
      return cosineDecayed(f(at - warmupSteps), decaySteps, target, s.alpha)
    }
    case 'CosineDecayRestarts': {
      const lr0 = f(s.initialLearningRate)
      const alpha = f(s.alpha)
      const tMul = f(s.tMul)
      const mMul = f(s.mMul)
      let fraction = f(st / f(s.firstDecaySteps))
      let restart: number
      if (tMul === 1) {
        restart = Math.floor(fraction)
        fraction = f(fraction - restart)
      } else {
        restart = Math.floor(f(f(Math.log(f(1 - f(fraction * f(1 - tMul))))) / f(Math.log(tMul))))
        const tPow = f(Math.pow(tMul, restart))
        const sumR = f(f(1 - tPow) / f(1 - tMul))
        fraction = f(f(fraction - sumR) / tPow)
      }
      const mFac = f(Math.pow(mMul, restart))
      const cosine = f(f(0.5 * mFac) * f(1 + f(Math.cos(f(PI32 * fraction)))))
      return f(lr0 * f(f(f(1 - alpha) * cosine) + alpha))
    }
  }
}
