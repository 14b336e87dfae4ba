/**
 * Optimizers: the update rules against real Keras 3.15 (the golden fixture of
 * scripts/golden/optimizers.py: every class and option set, 5 updates of three variables, float32 and
 * float64), decoding every form Keras, tf.keras and TensorFlow.js write (Keras's own serialized configs
 * from the fixture, tf.keras's new and legacy configs, Keras 2.2's `lr`, tfjs's classes), every error
 * with its path, the version differences of reference §1 on their test vectors, and purity.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { FloatArray } from '../../src/numerics/FloatArray.js'
import { applyGradients, clipGradients, initOptimizer, learningRateOf, slotNames, type OptimizerState } from '../../src/train/optimizer/optimizer.js'
import { decodeOptimizer, encodeOptimizer, type OptimizerSpec } from '../../src/train/optimizer/OptimizerSpec.js'
import { left, readJson, right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// fixture
// -------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly dtype: 'float32' | 'float64'
  readonly excluded: ReadonlyArray<boolean>
  readonly schedule: string | null
  readonly config: Record<string, unknown>
  readonly serialized: Record<string, unknown>
  readonly learning_rates: ReadonlyArray<number>
  readonly iterations: number
  readonly states: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>
}

interface Fixture {
  readonly keras_version: string
  readonly problem: {
    readonly variables: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number>; readonly values: ReadonlyArray<number> }>
    readonly grads: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>
  }
  readonly cases: ReadonlyArray<Case>
  readonly names: ReadonlyArray<{ readonly identifier: string; readonly serialized?: Record<string, unknown>; readonly raised?: boolean; readonly error?: string | null }>
  readonly verdicts: ReadonlyArray<{
    readonly what: string
    readonly input: Record<string, unknown>
    readonly layerspec: 'rejects' | 'accepts' | 'stricter'
    readonly raised: boolean
    readonly error: string | null
  }>
}

const FIXTURE = readJson('spec/fixtures/keras3/train/optimizers.json') as Fixture

/** Float32 tolerance of every golden value, in float32 ulps (all are bit-identical with Keras 3.15.1 on TF 2.21; 1 ulp leaves room for other TensorFlow builds). */
const ULPS = 1
/** Float64 tolerance, relative to the value (measured: 2.1e-16). */
const REL64 = 1e-13

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const decode = (u: unknown): OptimizerSpec => right(decodeOptimizer(u, ''))
const errorsOf = (u: unknown, path = ''): ReadonlyArray<{ readonly path: string; readonly message: string }> => left(decodeOptimizer(u, path))

const k3 = (className: string, config: Record<string, unknown>): Record<string, unknown> => ({ module: 'keras.optimizers', class_name: className, config, registered_name: null })

const F32 = new Float32Array(1)
const I32 = new Int32Array(F32.buffer)

/** Distance in float32 ulps (0 for equal values, ∞ when one is not finite). */
const ulps32 = (a: number, b: number): number => {
  if (a === b) return 0
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity
  const ordered = (x: number): number => {
    F32[0] = x
    const i = I32[0] as number
    return i < 0 ? -(i & 0x7fffffff) : i
  }
  return Math.abs(ordered(a) - ordered(b))
}

/**
 * The fixture's problem data in `dtype`. The values are float32 (written with 9 significant digits, which name the
 * float32 exactly but not as a double), so float64 buffers take their float32 values too, as Keras's did.
 */
const array = (dtype: 'float32' | 'float64', values: ReadonlyArray<number>): FloatArray =>
  dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values, (x) => Math.fround(x))

/** Runs the fixture's 5 updates; returns the variables after each. */
const run = (spec: OptimizerSpec, c: Case): FloatArray[][] => {
  let variables: ReadonlyArray<FloatArray> = FIXTURE.problem.variables.map((v) => array(c.dtype, v.values))
  let state: OptimizerState = initOptimizer(spec, variables)
  const out: FloatArray[][] = []
  for (const step of FIXTURE.problem.grads) {
    const r = applyGradients(
      spec,
      state,
      variables,
      step.map((g) => array(c.dtype, g)),
      c.excluded
    )
    variables = r.variables
    state = r.state
    out.push([...variables])
  }
  return out
}

const bits = (a: FloatArray): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')

// -------------------------------------------------------------------------------------
// golden
// -------------------------------------------------------------------------------------

describe(`optimizers against Keras ${FIXTURE.keras_version}`, () => {
  it('covers every class, option set and schedule', () => {
    const classes = new Set(FIXTURE.cases.map((c) => c.serialized['class_name']))
    expect([...classes].sort()).toEqual(['Adadelta', 'Adagrad', 'Adam', 'AdamW', 'Adamax', 'Nadam', 'RMSprop', 'SGD'])
    const has = (key: string): boolean => FIXTURE.cases.some((c) => c.config[key] !== null && c.config[key] !== undefined && c.config[key] !== false)
    for (const key of ['weight_decay', 'clipnorm', 'clipvalue', 'global_clipnorm', 'loss_scale_factor', 'amsgrad', 'nesterov', 'centered']) expect(has(key)).toBe(true)
    expect(FIXTURE.cases.filter((c) => c.schedule !== null).length).toBeGreaterThanOrEqual(6)
    expect(FIXTURE.cases.some((c) => c.dtype === 'float64')).toBe(true)
  })

  for (const c of FIXTURE.cases) {
    describe(c.name, () => {
      it('decodes keras.optimizers.serialize(optimizer) and encodes it back exactly', () => {
        const spec = decode(c.serialized)
        expect(spec.form).toBe('keras3')
        expect(encodeOptimizer(spec)).toEqual(c.serialized)
        expect(decode(encodeOptimizer(spec))).toEqual(spec)
      })

      it("reads Keras's learning rate before each update", () => {
        const spec = decode(c.serialized)
        c.learning_rates.forEach((lr, k) => expect(ulps32(learningRateOf(spec, k), lr)).toBeLessThanOrEqual(1))
      })

      it(`gives Keras's variables after each of ${c.states.length} updates (${c.dtype === 'float32' ? `≤ ${ULPS} ulp` : `relative ${REL64}`})`, () => {
        const spec = decode(c.serialized)
        const ours = run(spec, c)
        c.states.forEach((keras, step) =>
          keras.forEach((values, v) => {
            const got = ours[step]?.[v] as FloatArray
            values.forEach((want, i) => {
              const have = got[i] as number
              if (c.dtype === 'float32') {
                expect(ulps32(have, want), `update ${step + 1}, variable ${v}, value ${i}: ${have} vs ${want}`).toBeLessThanOrEqual(ULPS)
              } else {
                expect(Math.abs(have - want), `update ${step + 1}, variable ${v}, value ${i}: ${have} vs ${want}`).toBeLessThanOrEqual(REL64 * Math.max(1e-300, Math.abs(want)))
              }
            })
          })
        )
      })
    })
  }

  it("decodes every optimizer name as keras.optimizers.get does (Keras 3's defaults and names)", () => {
    // Keras's config holds the learning rate read back from its float32 variable.
    const f32lr = (s: OptimizerSpec): OptimizerSpec => ({ ...s, learningRate: Math.fround(s.learningRate as number) })
    for (const n of FIXTURE.names) {
      if (n.serialized !== undefined) expect(f32lr(decode(n.identifier)), n.identifier).toEqual(f32lr(decode(n.serialized)))
      else {
        expect(n.raised, n.identifier).toBe(true)
        expect(E.isLeft(decodeOptimizer(n.identifier, '')), n.identifier).toBe(true)
      }
    }
  })

  it("agrees with Keras's verdicts, and is stricter only where documented", () => {
    for (const v of FIXTURE.verdicts) {
      const ours = decodeOptimizer(v.input, '')
      if (v.layerspec === 'accepts') {
        expect(v.raised, `${v.what}: Keras ${v.error ?? ''}`).toBe(false)
        expect(E.isRight(ours), v.what).toBe(true)
      } else {
        expect(v.raised, v.what).toBe(v.layerspec === 'rejects')
        expect(E.isLeft(ours), v.what).toBe(true)
      }
    }
  })
})

// -------------------------------------------------------------------------------------
// forms
// -------------------------------------------------------------------------------------

describe('decoding forms', () => {
  it('reads names case-insensitively with Keras 3 defaults', () => {
    const adam = decode('ADAM')
    expect(adam).toEqual({
      className: 'Adam',
      name: 'adam',
      learningRate: 0.001,
      weightDecay: null,
      clipnorm: null,
      globalClipnorm: null,
      clipvalue: null,
      lossScaleFactor: null,
      form: 'keras3',
      decay: 0,
      ema: null,
      gradientAccumulationSteps: null,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false
    })
    expect(Object.isFrozen(adam)).toBe(true)
    expect(decode('RMSProp')).toMatchObject({ className: 'RMSprop', name: 'rm_sprop', rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false })
    expect(decode('adamw')).toMatchObject({ className: 'AdamW', name: 'adam_w', weightDecay: 0.004 })
    expect(decode('sgd')).toMatchObject({ className: 'SGD', learningRate: 0.01, momentum: 0, nesterov: false })
    expect(decode('adagrad')).toMatchObject({ className: 'Adagrad', learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7, form: 'keras3' })
    expect(decode('Nadam')).toMatchObject({ className: 'Nadam', scheduleDecay: 1 })
  })

  it('reads the Keras 3 entry, accepting and ignoring the legacy decay', () => {
    expect(decode(k3('Adam', { learning_rate: 0.0010000000474974513, decay: 0.5 }))).toMatchObject({ learningRate: 0.0010000000474974513, decay: 0, form: 'keras3' })
  })

  it("reads tf.keras's new-optimizer config (is_legacy_optimizer: false) with a tf.keras 2.12 schedule", () => {
    const spec = decode({
      class_name: 'Adam',
      config: {
        name: 'Adam',
        weight_decay: null,
        clipnorm: null,
        global_clipnorm: null,
        clipvalue: null,
        use_ema: false,
        ema_momentum: 0.99,
        ema_overwrite_frequency: null,
        jit_compile: false,
        is_legacy_optimizer: false,
        learning_rate: { class_name: 'PolynomialDecay', config: { initial_learning_rate: 2e-5, decay_steps: 1500, end_learning_rate: 0.0, power: 1.0, cycle: false, name: null } },
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        amsgrad: false
      }
    })
    expect(spec).toMatchObject({ className: 'Adam', name: 'Adam', form: 'tf2-new', epsilon: 1e-8, decay: 0 })
    expect(spec.learningRate).toMatchObject({ className: 'PolynomialDecay', decaySteps: 1500, name: null })
    expect(decode({ class_name: 'AdamW', config: { is_legacy_optimizer: false, weight_decay: 1e-5 } })).toMatchObject({ className: 'AdamW', name: 'AdamW', weightDecay: 1e-5, form: 'tf2-new' })
  })

  it("reads tf.keras's legacy config (no is_legacy_optimizer) with float32-rounded hyperparameters", () => {
    const spec = decode({
      class_name: 'Adam',
      config: { name: 'Adam', learning_rate: 0.0010000000474974513, decay: 0.0, beta_1: 0.8999999761581421, beta_2: 0.9990000128746033, epsilon: 1e-7, amsgrad: false }
    })
    expect(spec).toMatchObject({ className: 'Adam', form: 'tf2-legacy', beta1: 0.8999999761581421, decay: 0, weightDecay: null })
    expect(decode({ class_name: 'RMSprop', config: { name: 'RMSprop', learning_rate: 0.001, decay: 0.0, rho: 0.9, momentum: 0.0, epsilon: null, centered: false } })).toMatchObject({
      form: 'tf2-legacy',
      epsilon: 1e-7
    })
    // Any combination of clip options but clipnorm + global_clipnorm.
    expect(decode({ class_name: 'SGD', config: { name: 'SGD', learning_rate: 0.1, clipnorm: 1.0, clipvalue: 0.5 } })).toMatchObject({ clipnorm: 1, clipvalue: 0.5 })
    expect(decode({ class_name: 'Adagrad', config: { is_legacy_optimizer: true } })).toMatchObject({ form: 'tf2-legacy', name: 'Adagrad' })
  })

  it("reads Keras 2.2's lr, decay and Nadam's schedule_decay", () => {
    expect(decode({ class_name: 'SGD', config: { lr: 0.01, momentum: 0.9, decay: 1e-6, nesterov: true } })).toMatchObject({
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
      decay: 1e-6,
      form: 'tf2-legacy'
    })
    expect(decode({ class_name: 'Nadam', config: { lr: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8, schedule_decay: 0.004 } })).toMatchObject({ scheduleDecay: 0.004, decay: 0 })
    expect(decode({ class_name: 'Nadam', config: { name: 'Nadam', learning_rate: 0.002, decay: 0.004 } })).toMatchObject({ scheduleDecay: 0.004, decay: 0 })
  })

  it("reads TensorFlow.js's classes and keys (camelCase or snake_case) with tfjs's defaults", () => {
    expect(decode({ class_name: 'Adam', config: { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: null } })).toMatchObject({
      className: 'Adam',
      form: 'tfjs',
      learningRate: 0.01,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-7
    })
    expect(decode({ class_name: 'Momentum', config: { learningRate: 0.1, momentum: 0.9, useNesterov: true } })).toMatchObject({
      className: 'SGD',
      momentum: 0.9,
      nesterov: true,
      form: 'tfjs'
    })
    expect(decode({ class_name: 'Momentum', config: { learning_rate: 0.1, momentum: 0.5, use_nesterov: false } })).toMatchObject({ momentum: 0.5, nesterov: false })
    expect(decode({ class_name: 'RMSProp', config: { learningRate: 0.001, decay: 0.95, momentum: 0, epsilon: 1e-7, centered: true } })).toMatchObject({
      className: 'RMSprop',
      rho: 0.95,
      centered: true,
      decay: 0,
      form: 'tfjs'
    })
    expect(decode({ class_name: 'Adagrad', config: { learningRate: 0.05 } })).toMatchObject({ className: 'Adagrad', initialAccumulatorValue: 0.1, epsilon: 1e-7, form: 'tfjs' })
    expect(decode({ class_name: 'Adagrad', config: { initialAccumulatorValue: 0.2 } })).toMatchObject({ learningRate: 0.01, initialAccumulatorValue: 0.2 })
    expect(decode({ class_name: 'Adamax', config: { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: null, decay: 0.1 } })).toMatchObject({ decay: 0.1, form: 'tfjs' })
    expect(decode({ class_name: 'SGD', config: { learningRate: 0.3 } })).toMatchObject({ className: 'SGD', learningRate: 0.3, momentum: 0, form: 'tfjs' })
    expect(decode({ class_name: 'RMSProp', config: {} })).toMatchObject({ learningRate: 0.001, rho: 0.9, form: 'tfjs' })
  })

  it("reads tfjs's strings as Keras's (the 'adagrad' string is Keras 3's lr 0.001, not tfjs's 0.01)", () => {
    expect(decode('adagrad')).toMatchObject({ learningRate: 0.001, form: 'keras3' })
    expect(decode('adadelta')).toMatchObject({ learningRate: 0.001, rho: 0.95, form: 'keras3' })
  })

  it('encodes every form as Keras 3 would train it', () => {
    const legacy = decode({ class_name: 'SGD', config: { lr: 0.1, decay: 0.01, momentum: 0.5 } })
    const again = decode(encodeOptimizer(legacy))
    expect(again).toMatchObject({ form: 'keras3', learningRate: 0.1, momentum: 0.5, decay: 0, name: 'SGD' })
  })
})

// -------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------

describe('decoding errors', () => {
  it('rejects an unknown optimizer name with a suggestion', () => {
    expect(errorsOf('adma')).toEqual([
      {
        path: '',
        message: 'unknown optimizer "adma"; did you mean "adam"?; expected one of "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax" or "nadam" (any case)'
      }
    ])
    expect(errorsOf('ftrl')[0]?.message).toMatch(/^Ftrl is a Keras optimizer that layerspec does not train with/)
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) expect(errorsOf(name)[0]?.message).toMatch(/^unknown optimizer/)
  })

  it('rejects an unknown class, and a prototype class name, at class_name', () => {
    const e = errorsOf(k3('Adma', {}))
    expect(e.map((x) => x.path)).toEqual(['class_name'])
    expect(e[0]?.message).toMatch(/^unknown optimizer class "Adma"; did you mean "Adam"\?/)
    expect(errorsOf(JSON.parse('{"class_name": "__proto__", "config": {}}'))[0]?.message).toMatch(/^unknown optimizer class "__proto__"/)
    expect(errorsOf({ class_name: 'Adamm', config: { learningRate: 0.1 } })[0]?.message).toMatch(/^unknown TensorFlow.js optimizer class "Adamm"; did you mean "Adam"\?/)
  })

  it('reports wrong types, all at once, under the given path', () => {
    expect(errorsOf(k3('SGD', { momentum: '0.9', nesterov: 1, learning_rate: [0.1] }), 'training_config.optimizer_config')).toEqual([
      { path: 'training_config.optimizer_config.config.learning_rate', message: 'expected the learning rate as a non-negative number or a schedule {"class_name": "ExponentialDecay", "config": {…}}, found a list of 1 item [0.1]' },
      { path: 'training_config.optimizer_config.config.momentum', message: 'expected a finite number in [0, 1], found the string "0.9" (write the number without quotes)' },
      { path: 'training_config.optimizer_config.config.nesterov', message: 'expected true or false, found 1' }
    ])
  })

  it('rejects a negative learning rate and momentum outside [0, 1]', () => {
    expect(errorsOf(k3('SGD', { learning_rate: -0.1, momentum: 1.5 }))).toEqual([
      { path: 'config.learning_rate', message: 'expected a finite, non-negative learning rate, found -0.1' },
      { path: 'config.momentum', message: 'expected a finite number in [0, 1], found 1.5' }
    ])
    expect(errorsOf(k3('RMSprop', { momentum: -1 }))[0]?.path).toBe('config.momentum')
    expect(errorsOf(k3('Adam', { beta_1: 1 }))).toEqual([{ path: 'config.beta_1', message: 'expected a finite number in [0, 1), found 1' }])
  })

  it('rejects two clip options together in Keras 3', () => {
    expect(errorsOf(k3('Adam', { clipnorm: 1.0, clipvalue: 0.5 }))).toEqual([
      {
        path: 'config.clipvalue',
        message:
          'only one of "clipnorm", "global_clipnorm" and "clipvalue" can be set (Keras 3 raises "Only one of clipnorm, clipvalue and global_clipnorm can be set"), found clipnorm=1 and clipvalue=0.5'
      }
    ])
    expect(errorsOf({ class_name: 'SGD', config: { name: 'SGD', clipnorm: 1.0, global_clipnorm: 1.0 } })[0]?.path).toBe('config.global_clipnorm')
  })

  it('rejects schedule problems at their path inside learning_rate', () => {
    const sched = (className: string, config: Record<string, unknown>) => ({ module: 'keras.optimizers.schedules', class_name: className, config, registered_name: null })
    expect(errorsOf(k3('SGD', { learning_rate: sched('ExponentialDecay', { initial_learning_rate: 0.1, decay_steps: 0, decay_rate: 0.5 }) }))).toEqual([
      { path: 'config.learning_rate.config.decay_steps', message: 'expected a finite, positive number of steps (Keras raises "must be > 0"), found 0' }
    ])
    expect(errorsOf(k3('SGD', { learning_rate: sched('PiecewiseConstantDecay', { boundaries: [10], values: [0.1] }) }))[0]?.path).toBe('config.learning_rate.config.values')
  })

  it('rejects unknown keys with a suggestion, and explains the keys of other Kerases', () => {
    expect(errorsOf(k3('Adam', { beta1: 0.9 }))).toEqual([{ path: 'config.beta1', message: 'unknown Adam argument "beta1"; did you mean "beta_1"?' }])
    expect(errorsOf(k3('Adam', { lr: 0.1 }))[0]?.message).toMatch(/^Keras 3 rejects the argument "lr"/)
    expect(errorsOf(k3('Adam', { jit_compile: true }))[0]?.message).toMatch(/^Keras 3 rejects "jit_compile"/)
    expect(errorsOf({ class_name: 'Adam', config: { is_legacy_optimizer: false, decay: 0.1 } })).toEqual([
      { path: 'config.decay', message: 'tf.keras\'s new optimizers reject "decay" (ValueError "decay is deprecated in the new Keras optimizer"); use a learning-rate schedule' }
    ])
    expect(errorsOf({ class_name: 'Adam', config: { name: 'Adam', weight_decay: 0.1 } })[0]?.message).toMatch(/^tf.keras's legacy optimizers .* have no weight_decay/)
    expect(errorsOf(JSON.parse('{"class_name": "SGD", "config": {"name": "SGD", "__proto__": 1}}'))[0]?.path).toBe('config.__proto__')
  })

  it("reads Keras 3's use_ema and gradient accumulation; rejects tf.keras's use_ema, AdamW without weight decay, legacy AdamW", () => {
    expect(decode(k3('Adam', { use_ema: true, ema_overwrite_frequency: 4 }))).toMatchObject({ ema: { momentum: 0.99, overwriteFrequency: 4 }, gradientAccumulationSteps: null })
    expect(decode(k3('Adam', { gradient_accumulation_steps: 4 }))).toMatchObject({ ema: null, gradientAccumulationSteps: 4 })
    expect(errorsOf({ class_name: 'Adam', config: { use_ema: true, is_legacy_optimizer: false } })[0]?.path).toBe('config.use_ema')
    expect(errorsOf(k3('AdamW', { weight_decay: null }))[0]?.path).toBe('config.weight_decay')
    expect(errorsOf({ class_name: 'AdamW', config: { learning_rate: 0.1 } })[0]?.message).toMatch(/^AdamW has no tf.keras legacy class/)
    expect(errorsOf({ class_name: 'SGD', config: { lr: 0.1, learning_rate: 0.1 } })[0]?.path).toBe('config.lr')
    expect(errorsOf({ class_name: 'Momentum', config: { learningRate: 0.1 } })[0]?.path).toBe('config.momentum')
    expect(errorsOf({ class_name: 'Adam', config: { beta1: 0.9, beta_1: 0.9 } })[0]?.path).toBe('config.beta_1')
  })

  it('rejects what is not an optimizer envelope', () => {
    expect(errorsOf(3)).toEqual([{ path: '', message: 'expected an optimizer: a name such as "adam" or an object {"class_name": …, "config": {…}}, found 3' }])
    expect(errorsOf({ class_name: 'Adam' })[0]?.path).toBe('config')
    expect(errorsOf({ class_name: 'Adam', config: {}, extra: 1 }).map((e) => e.path)).toEqual(['extra'])
    expect(errorsOf({ config: {} })[0]?.path).toBe('class_name')
  })
})

// -------------------------------------------------------------------------------------
// update rules on reference test vectors
// -------------------------------------------------------------------------------------

const step1 = (spec: OptimizerSpec, theta: ReadonlyArray<number>, g: ReadonlyArray<number>): Float32Array => {
  const v = [Float32Array.from(theta)]
  return applyGradients(spec, initOptimizer(spec, v), v, [Float32Array.from(g)]).variables[0] as Float32Array
}

describe('update rules', () => {
  it("moves Adam's first step as Keras does (ε-hat; reference §1.4: [0.9000013, −2.099684])", () => {
    const out = step1(decode(k3('Adam', { learning_rate: 0.1 })), [1, -2], [0.5, 0.001])
    expect(out[0]).toBeCloseTo(0.9000013, 6)
    expect(out[1]).toBeCloseTo(-2.099684, 5)
  })

  it('puts RMSprop ε inside the root in Keras 3 and outside in tf.keras-legacy (reference §1.5: 0.73274 vs 0.70258)', () => {
    expect(step1(decode(k3('RMSprop', { learning_rate: 0.1, epsilon: 0.01 })), [1], [0.5])[0]).toBeCloseTo(0.73274, 5)
    expect(step1(decode({ class_name: 'RMSprop', config: { learning_rate: 0.1, epsilon: 0.01 } }), [1], [0.5])[0]).toBeCloseTo(0.70258, 5)
    // With momentum the legacy kernel puts ε inside again.
    expect(step1(decode({ class_name: 'RMSprop', config: { learning_rate: 0.1, epsilon: 0.01, momentum: 0.5 } }), [1], [0.5])[0]).toBeCloseTo(0.73274, 5)
  })

  it('puts Adagrad ε inside the root in Keras 3 and outside in tf.keras-legacy', () => {
    // A = 0.1 + 0.25 = 0.35; Keras 3: 1 − 0.1·0.5/√(0.35 + 0.01); legacy: 1 − 0.1·0.5/(√0.35 + 0.01).
    expect(step1(decode(k3('Adagrad', { learning_rate: 0.1, epsilon: 0.01 })), [1], [0.5])[0]).toBeCloseTo(1 - 0.05 / Math.sqrt(0.36), 6)
    expect(step1(decode({ class_name: 'Adagrad', config: { learning_rate: 0.1, epsilon: 0.01 } }), [1], [0.5])[0]).toBeCloseTo(1 - 0.05 / (Math.sqrt(0.35) + 0.01), 6)
  })

  it("divides tf.keras-legacy's learning rate by 1 + decay·iterations", () => {
    const spec = decode({ class_name: 'SGD', config: { learning_rate: 0.1, decay: 0.5 } })
    expect([0, 1, 2].map((k) => learningRateOf(spec, k))).toEqual([Math.fround(0.1), Math.fround(Math.fround(0.1) / 1.5), Math.fround(Math.fround(0.1) / 2)])
    let v: ReadonlyArray<FloatArray> = [Float32Array.of(0)]
    let state = initOptimizer(spec, v)
    for (let k = 0; k < 3; k++) ({ variables: v, state } = applyGradients(spec, state, v, [Float32Array.of(1)]))
    expect(v[0]?.[0]).toBeCloseTo(-(0.1 + 0.1 / 1.5 + 0.1 / 2), 6)
  })

  it('uses the schedule at the iteration count before the increment (ExponentialDecay(1, 1, 0.5): −1, −0.5, −0.25)', () => {
    const spec = decode(k3('SGD', { learning_rate: { class_name: 'ExponentialDecay', config: { initial_learning_rate: 1.0, decay_steps: 1, decay_rate: 0.5 } } }))
    let v: ReadonlyArray<FloatArray> = [Float32Array.of(0)]
    let state = initOptimizer(spec, v)
    const moves: number[] = []
    for (let k = 0; k < 3; k++) {
      const before = v[0]?.[0] as number
      ;({ variables: v, state } = applyGradients(spec, state, v, [Float32Array.of(1)]))
      moves.push((v[0]?.[0] as number) - before)
    }
    expect(moves).toEqual([-1, -0.5, -0.25])
    expect(state.iterations).toBe(3)
  })

  it('applies decoupled weight decay before the step, skipping excluded variables', () => {
    const spec = decode(k3('SGD', { learning_rate: 0.5, weight_decay: 0.1 }))
    const v = [Float32Array.of(2), Float32Array.of(2)]
    const out = applyGradients(spec, initOptimizer(spec, v), v, [Float32Array.of(0), Float32Array.of(0)], [false, true]).variables
    expect(out[0]?.[0]).toBe(Math.fround(2 - Math.fround(Math.fround(2 * Math.fround(0.1)) * 0.5)))
    expect(out[1]?.[0]).toBe(2)
  })

  it('clips by norm, global norm and value as Keras 3 (at most one), and all in order in tf.keras-legacy', () => {
    const g = [Float32Array.of(3, 4), Float32Array.of(0, 12)]
    const norm = clipGradients(decode(k3('SGD', { clipnorm: 1 })), g)
    expect(Array.from(norm[0] as Float32Array)).toEqual([Math.fround(0.6), Math.fround(0.8)])
    expect(Array.from(norm[1] as Float32Array)).toEqual([0, 1])
    const global = clipGradients(decode(k3('SGD', { global_clipnorm: 6.5 })), g)
    expect(Array.from(global[0] as Float32Array)).toEqual([1.5, 2])
    expect(Array.from(global[1] as Float32Array)).toEqual([0, 6])
    expect(Array.from(clipGradients(decode(k3('SGD', { clipvalue: 3.5 })), g)[1] as Float32Array)).toEqual([0, 3.5])
    const legacy = clipGradients(decode({ class_name: 'SGD', config: { clipvalue: 3.5, clipnorm: 2 } }), g)
    expect(Array.from(legacy[1] as Float32Array)).toEqual([0, 2])
    expect(Array.from(legacy[0] as Float32Array)).toEqual([3, 3.5].map((x) => Math.fround(Math.fround(x * 2) / Math.fround(Math.sqrt(9 + 12.25)))))
    // clipnorm 0 means no clipping in Keras 3.
    expect(Array.from(clipGradients(decode(k3('SGD', { clipnorm: 0 })), g)[1] as Float32Array)).toEqual([0, 12])
  })

  it('divides the gradients by loss_scale_factor', () => {
    const spec = decode(k3('SGD', { learning_rate: 1.0, loss_scale_factor: 4.0 }))
    expect(step1(spec, [1], [2])[0]).toBe(0.5)
  })

  it('lays slots out as slotNames says, with Adagrad accumulators at the initial value', () => {
    expect(slotNames(decode(k3('RMSprop', { momentum: 0.5, centered: true })))).toEqual(['velocity', 'momentum', 'averageGradient'])
    expect(slotNames(decode('sgd'))).toEqual([])
    expect(slotNames(decode(k3('Adam', { amsgrad: true })))).toEqual(['momentum', 'velocity', 'velocityHat'])
    const s = initOptimizer(decode('adagrad'), [new Float32Array(3), new Float64Array(2)])
    expect(Array.from(s.slots[0]?.[0] as FloatArray)).toEqual([Math.fround(0.1), Math.fround(0.1), Math.fround(0.1)])
    expect(s.slots[1]?.[0]).toBeInstanceOf(Float64Array)
    // Keras 3's Constant initializer casts 0.1 through float32, also for a float64 variable.
    expect(Array.from(s.slots[1]?.[0] as FloatArray)).toEqual([Math.fround(0.1), Math.fround(0.1)])
  })

  it('throws a RangeError when the arguments do not fit together', () => {
    const spec = decode('adam')
    const v = [new Float32Array(2)]
    const state = initOptimizer(spec, v)
    expect(() => applyGradients(spec, state, v, [new Float32Array(3)])).toThrow(RangeError)
    expect(() => applyGradients(spec, state, v, [])).toThrow(RangeError)
    expect(() => applyGradients(decode('adagrad'), state, v, [new Float32Array(2)])).toThrow(RangeError)
  })
})

// -------------------------------------------------------------------------------------
// purity
// -------------------------------------------------------------------------------------

describe('purity', () => {
  for (const name of ['sgd_nesterov', 'adam_amsgrad', 'rmsprop_centered_momentum', 'adagrad_custom', 'nadam', 'adamw_exclude_bias', 'adam_f64']) {
    it(`${name}: writes none of its arguments and gives bit-identical results for the same arguments`, () => {
      const c = FIXTURE.cases.find((x) => x.name === name) as Case
      const spec = decode(c.serialized)
      const variables = FIXTURE.problem.variables.map((v) => array(c.dtype, v.values))
      const grads = (FIXTURE.problem.grads[0] as ReadonlyArray<ReadonlyArray<number>>).map((g) => array(c.dtype, g))
      // A state with history, so every slot holds non-zero values.
      const state = applyGradients(spec, initOptimizer(spec, variables), variables, grads, c.excluded).state
      const snapshot = JSON.stringify({ v: variables.map(bits), g: grads.map(bits), s: state.slots.map((s) => s.map(bits)), it: state.iterations })
      const a = applyGradients(spec, state, variables, grads, c.excluded)
      const b = applyGradients(spec, state, variables, grads, c.excluded)
      expect(JSON.stringify({ v: variables.map(bits), g: grads.map(bits), s: state.slots.map((s) => s.map(bits)), it: state.iterations })).toBe(snapshot)
      expect(a.variables.map(bits)).toEqual(b.variables.map(bits))
      expect(a.state.slots.map((s) => s.map(bits))).toEqual(b.state.slots.map((s) => s.map(bits)))
      a.variables.forEach((v, i) => expect(v).not.toBe(variables[i]))
      a.state.slots.forEach((s, i) => s.forEach((x, j) => expect(x).not.toBe(state.slots[i]?.[j])))
      expect(a.variables.map((v) => v.constructor)).toEqual(variables.map((v) => v.constructor))
    })
  }
})
