/**
 * Learning-rate schedules: decoding the real serialized forms (Keras 3's, from the golden fixture
 * written by scripts/golden/optimizers.py with Keras 3.15, and tf.keras's `{class_name, config}`),
 * every error with its path, encoding back, and `learningRateAt` against the values Keras computed.
 */
import { describe, expect, it } from 'vitest'
import { formatErrors } from '../../src/core/SpecError.js'
import { learningRateAt, scheduleCodec, type ScheduleSpec } from '../../src/train/optimizer/ScheduleSpec.js'
import { decodeErrors, readJson } from '../helpers.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

interface ScheduleCase {
  readonly name: string
  readonly serialized: Record<string, unknown>
  readonly config: Record<string, unknown>
  readonly values: ReadonlyArray<number>
}

interface Fixture {
  readonly keras_version: string
  readonly schedules: ReadonlyArray<ScheduleCase>
}

const FIXTURE = readJson('spec/fixtures/keras3/train/optimizers.json') as Fixture

/** The decoded schedule, or a thrown error listing the problems. */
const decode = (u: unknown): ScheduleSpec => {
  const r = scheduleCodec.decode(u)
  if (r._tag === 'Left') throw new Error(formatErrors(decodeErrors(scheduleCodec, u)))
  return r.right
}

const F32 = new Float32Array(1)
const I32 = new Int32Array(F32.buffer)

/** Distance in float32 ulps between two float32 values (0 for equal values, ∞ when one is not finite). */
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

const k3 = (className: string, config: Record<string, unknown>): Record<string, unknown> => ({
  module: 'keras.optimizers.schedules',
  class_name: className,
  config,
  registered_name: null
})

// -------------------------------------------------------------------------------------
// golden
// -------------------------------------------------------------------------------------

describe(`schedules against Keras ${FIXTURE.keras_version}`, () => {
  it('covers every schedule class', () => {
    const classes = new Set(FIXTURE.schedules.map((s) => s.serialized['class_name']))
    expect([...classes].sort()).toEqual(['CosineDecay', 'CosineDecayRestarts', 'ExponentialDecay', 'InverseTimeDecay', 'PiecewiseConstantDecay', 'PolynomialDecay'])
  })

  for (const c of FIXTURE.schedules) {
    describe(c.name, () => {
      it('decodes keras.optimizers.schedules.serialize(s) and encodes it back', () => {
        const spec = decode(c.serialized)
        expect(scheduleCodec.encode(spec)).toEqual(c.serialized)
        expect(decode(scheduleCodec.encode(spec))).toEqual(spec)
      })

      it(`gives Keras's value at steps 0..${c.values.length - 1} (float32, within 1 ulp)`, () => {
        const spec = decode(c.serialized)
        const worst = Math.max(...c.values.map((v, step) => ulps32(learningRateAt(spec, step), v)))
        expect(worst).toBeLessThanOrEqual(1)
      })

      it('decodes the tf.keras envelope of the same config', () => {
        const spec = decode({ class_name: c.serialized['class_name'], config: c.config })
        expect(spec).toEqual(decode(c.serialized))
      })
    })
  }
})

// -------------------------------------------------------------------------------------
// forms and defaults
// -------------------------------------------------------------------------------------

describe('schedule forms', () => {
  it("takes Keras 3's default names in the Keras 3 envelope and null in tf.keras's", () => {
    const config = { initial_learning_rate: 0.1, first_decay_steps: 10 }
    expect(decode(k3('CosineDecayRestarts', config))).toEqual({
      className: 'CosineDecayRestarts',
      initialLearningRate: 0.1,
      firstDecaySteps: 10,
      tMul: 2,
      mMul: 1,
      alpha: 0,
      name: 'SGDRDecay'
    })
    expect(decode({ class_name: 'CosineDecayRestarts', config })).toMatchObject({ name: null })
    expect(decode(k3('PiecewiseConstantDecay', { boundaries: [5], values: [0.1, 0.01] }))).toMatchObject({ name: 'PiecewiseConstant' })
  })

  it('reads a tf.keras 2.12 schedule (name null, no warm-up keys)', () => {
    const tf212 = { class_name: 'PolynomialDecay', config: { initial_learning_rate: 2e-5, decay_steps: 1500, end_learning_rate: 0.0, power: 1.0, cycle: false, name: null } }
    expect(decode(tf212)).toEqual({
      className: 'PolynomialDecay',
      initialLearningRate: 2e-5,
      decaySteps: 1500,
      endLearningRate: 0,
      power: 1,
      cycle: false,
      name: null
    })
    expect(decode({ class_name: 'CosineDecay', config: { initial_learning_rate: 0.1, decay_steps: 100, alpha: 0.0, name: null } })).toMatchObject({
      warmupTarget: null,
      warmupSteps: 0
    })
  })

  it('fills PolynomialDecay and CosineDecay defaults as Keras 3 does', () => {
    expect(decode(k3('PolynomialDecay', { initial_learning_rate: 0.1, decay_steps: 10 }))).toMatchObject({ endLearningRate: 0.0001, power: 1, cycle: false })
    expect(decode(k3('CosineDecay', { initial_learning_rate: 0.1, decay_steps: 10 }))).toMatchObject({ alpha: 0, warmupTarget: null, warmupSteps: 0, name: 'CosineDecay' })
    expect(decode(k3('ExponentialDecay', { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.9 }))).toMatchObject({ staircase: false })
  })
})

// -------------------------------------------------------------------------------------
// values
// -------------------------------------------------------------------------------------

describe('learningRateAt', () => {
  it('halves ExponentialDecay(1.0, 1, 0.5) at every step (reference §2: updates moved θ by −1, −0.5, −0.25)', () => {
    const s = decode(k3('ExponentialDecay', { initial_learning_rate: 1.0, decay_steps: 1, decay_rate: 0.5 }))
    expect([0, 1, 2, 3].map((k) => learningRateAt(s, k))).toEqual([1, 0.5, 0.25, 0.125])
  })

  it('steps PiecewiseConstantDecay after each boundary (values[i] while step ≤ boundaries[i])', () => {
    const s = decode(k3('PiecewiseConstantDecay', { boundaries: [2, 4], values: [0.5, 0.25, 0.125] }))
    expect([0, 1, 2, 3, 4, 5, 100].map((k) => learningRateAt(s, k))).toEqual([0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125])
  })

  it('returns float32 values', () => {
    const s = decode(k3('InverseTimeDecay', { initial_learning_rate: 0.1, decay_steps: 3, decay_rate: 0.7 }))
    for (let k = 0; k < 10; k++) expect(Math.fround(learningRateAt(s, k))).toBe(learningRateAt(s, k))
  })

  it('holds PolynomialDecay at the end rate after decay_steps (no cycle) and restarts it with cycle', () => {
    const s = decode(k3('PolynomialDecay', { initial_learning_rate: 0.1, decay_steps: 4, end_learning_rate: 0.01 }))
    expect(learningRateAt(s, 4)).toBe(Math.fround(0.01))
    expect(learningRateAt(s, 40)).toBe(Math.fround(0.01))
    const c = decode(k3('PolynomialDecay', { initial_learning_rate: 0.1, decay_steps: 4, end_learning_rate: 0.01, cycle: true }))
    expect(learningRateAt(c, 5)).toBeGreaterThan(learningRateAt(c, 4))
  })

  it('warms CosineDecay up linearly, then decays from the warm-up target', () => {
    const s = decode(k3('CosineDecay', { initial_learning_rate: 0.0, decay_steps: 10, warmup_target: 0.1, warmup_steps: 4 }))
    expect(learningRateAt(s, 0)).toBe(0)
    expect(learningRateAt(s, 2)).toBeCloseTo(0.05, 7)
    expect(learningRateAt(s, 4)).toBeCloseTo(0.1, 7)
    expect(learningRateAt(s, 14)).toBeCloseTo(0, 7)
  })
})

// -------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------

describe('schedule errors', () => {
  it('rejects decay_steps ≤ 0 (Keras raises) at its path', () => {
    expect(decodeErrors(scheduleCodec, k3('ExponentialDecay', { initial_learning_rate: 0.1, decay_steps: 0, decay_rate: 0.5 }))).toEqual([
      { path: 'config.decay_steps', message: 'expected a finite, positive number of steps (Keras raises "must be > 0"), found 0' }
    ])
    expect(decodeErrors(scheduleCodec, k3('CosineDecayRestarts', { initial_learning_rate: 0.1, first_decay_steps: -2 }))).toEqual([
      { path: 'config.first_decay_steps', message: 'expected a finite, positive number of steps (Keras raises "must be > 0"), found -2' }
    ])
  })

  it('rejects PiecewiseConstantDecay with len(values) ≠ len(boundaries) + 1', () => {
    expect(decodeErrors(scheduleCodec, k3('PiecewiseConstantDecay', { boundaries: [1, 2], values: [0.1, 0.2] }))).toEqual([
      {
        path: 'config.values',
        message:
          'expected one more value than boundaries (Keras raises "The length of boundaries should be 1 less than the length of values"), found 2 boundaries and 2 values'
      }
    ])
  })

  it('rejects boundaries that are not strictly increasing integers', () => {
    expect(decodeErrors(scheduleCodec, k3('PiecewiseConstantDecay', { boundaries: [3, 3], values: [0.1, 0.2, 0.3] }))).toEqual([
      { path: 'config.boundaries', message: 'expected strictly increasing boundaries, found [3,3], where item 1 (3) is not above item 0' }
    ])
    expect(decodeErrors(scheduleCodec, k3('PiecewiseConstantDecay', { boundaries: [1, 2.5], values: [0.1, 0.2, 0.3] }))).toEqual([
      { path: 'config.boundaries[1]', message: 'expected an integer step, found 2.5' }
    ])
    expect(decodeErrors(scheduleCodec, k3('PiecewiseConstantDecay', { boundaries: [], values: [0.1] }))[0]?.path).toBe('config.boundaries')
  })

  it('rejects a negative learning rate', () => {
    expect(decodeErrors(scheduleCodec, k3('ExponentialDecay', { initial_learning_rate: -0.1, decay_steps: 2, decay_rate: 0.5 }))).toEqual([
      { path: 'config.initial_learning_rate', message: 'expected a finite, non-negative learning rate, found -0.1' }
    ])
    expect(decodeErrors(scheduleCodec, k3('PiecewiseConstantDecay', { boundaries: [1], values: [0.1, -1] }))).toEqual([
      { path: 'config.values[1]', message: 'expected a finite, non-negative learning rate, found -1' }
    ])
  })

  it('reports every problem at once: wrong types, missing and unknown keys with a suggestion', () => {
    const errors = decodeErrors(scheduleCodec, k3('ExponentialDecay', { initial_learning_rate: '0.1', decay_step: 10, decay_rate: 0.5, staircase: 1 }))
    expect(errors.map((e) => e.path)).toEqual(['config.initial_learning_rate', 'config.decay_steps', 'config.staircase', 'config.decay_step'])
    expect(errors[0]?.message).toBe('expected a finite, non-negative learning rate, found the string "0.1" (write the number without quotes)')
    expect(errors[1]?.message).toMatch(/^missing required ExponentialDecay argument "decay_steps"/)
    expect(errors[2]?.message).toBe('expected true or false, found 1')
    expect(errors[3]?.message).toMatch(/^unknown ExponentialDecay argument "decay_step"; did you mean "decay_steps"\?/)
  })

  it('rejects unknown classes with a suggestion, and prototype names as unknown', () => {
    const errors = decodeErrors(scheduleCodec, k3('ExponentialDecy', {}))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.path).toBe('class_name')
    expect(errors[0]?.message).toMatch(/^unknown learning-rate schedule class "ExponentialDecy"; did you mean "ExponentialDecay"\?/)
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const e = decodeErrors(scheduleCodec, JSON.parse(`{"class_name": "${name}", "config": {}}`))
      expect(e[0]?.message).toMatch(new RegExp(`^unknown learning-rate schedule class "${name}"`))
    }
  })

  it('rejects the TF 2.x-only LinearCosineDecay with an explanation', () => {
    expect(decodeErrors(scheduleCodec, { class_name: 'LinearCosineDecay', config: {} })[0]?.message).toMatch(/^LinearCosineDecay is a tf.keras 2.x schedule/)
  })

  it('rejects a string (schedules are serialized only as objects)', () => {
    expect(decodeErrors(scheduleCodec, 'exponential_decay')).toEqual([
      {
        path: '',
        message:
          'expected a learning-rate schedule {"class_name": "ExponentialDecay", "config": {…}} (Keras serializes only those as objects), found the string "exponential_decay"'
      }
    ])
  })

  it('rejects a missing config', () => {
    expect(decodeErrors(scheduleCodec, { class_name: 'CosineDecay' })[0]?.path).toBe('config')
  })
})
