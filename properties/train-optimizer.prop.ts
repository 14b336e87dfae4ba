/**
 * Properties of the optimizers and schedules: decode(encode(spec)) = spec over arbitrary Keras 3
 * specs; SGD with momentum 0 is plain SGD; zero gradients leave SGD's variables where they are;
 * clipnorm never leaves a gradient's norm above c; global_clipnorm scales every gradient by one factor;
 * clipvalue bounds every value; schedules follow their closed forms and decrease where they should;
 * applyGradients never writes its arguments and is deterministic to the bit.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { FloatArray } from '../src/numerics/FloatArray.js'
import { applyGradients, clipGradients, initOptimizer, slotNames } from '../src/train/optimizer/optimizer.js'
import { decodeOptimizer, encodeOptimizer, type OptimizerBase, type OptimizerSpec } from '../src/train/optimizer/OptimizerSpec.js'
import { learningRateAt, type ScheduleSpec } from '../src/train/optimizer/ScheduleSpec.js'
import { params } from './settings.js'

const RUNS = params()

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/** `x` with −0 written as 0 (the decoders keep one zero). */
const noNegZero = (x: number): number => (x === 0 ? 0 : x)

const arbRate = fc.double({ min: 0, max: 2, noNaN: true }).map(noNegZero)
const arbNonNeg = fc.double({ min: 0, max: 100, noNaN: true }).map(noNegZero)
const arbPositive = fc.double({ min: 1e-3, max: 1e4, noNaN: true })
const arbUnit = fc.double({ min: 0, max: 1, noNaN: true }).map(noNegZero)
const arbBeta = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map(noNegZero)
const arbName = fc.option(fc.string({ maxLength: 8 }), { nil: null })

/** Strictly increasing integer boundaries and one more value than boundaries. */
const arbPiecewise: fc.Arbitrary<ScheduleSpec> = fc
  .uniqueArray(fc.integer({ min: -3, max: 500 }), { minLength: 1, maxLength: 5 })
  .map((bs) => [...bs].sort((a, b) => a - b))
  .chain((boundaries) =>
    fc.record({
      className: fc.constant('PiecewiseConstantDecay' as const),
      boundaries: fc.constant(boundaries),
      values: fc.array(arbRate, { minLength: boundaries.length + 1, maxLength: boundaries.length + 1 }),
      name: arbName
    })
  )

const arbSchedule: fc.Arbitrary<ScheduleSpec> = fc.oneof(
  fc.record({
    className: fc.constantFrom('ExponentialDecay' as const, 'InverseTimeDecay' as const),
    initialLearningRate: arbRate,
    decaySteps: arbPositive,
    decayRate: arbNonNeg,
    staircase: fc.boolean(),
    name: arbName
  }),
  arbPiecewise,
  fc.record({
    className: fc.constant('PolynomialDecay' as const),
    initialLearningRate: arbRate,
    decaySteps: arbPositive,
    endLearningRate: arbRate,
    power: arbNonNeg,
    cycle: fc.boolean(),
    name: arbName
  }),
  fc.record({
    className: fc.constant('CosineDecay' as const),
    initialLearningRate: arbRate,
    decaySteps: arbPositive,
    alpha: arbUnit,
    warmupTarget: fc.option(arbRate, { nil: null }),
    warmupSteps: arbNonNeg,
    name: arbName
  }),
  fc.record({
    className: fc.constant('CosineDecayRestarts' as const),
    initialLearningRate: arbRate,
    firstDecaySteps: arbPositive,
    tMul: arbPositive,
    mMul: arbNonNeg,
    alpha: arbUnit,
    name: arbName
  })
)

/** The base arguments of a Keras 3 spec: at most one clip option. */
const arbBase = (weightDecayRequired: boolean): fc.Arbitrary<OptimizerBase> =>
  fc
    .record({
      name: fc.string({ maxLength: 10 }),
      learningRate: fc.oneof(arbRate, arbSchedule),
      weightDecay: weightDecayRequired ? arbNonNeg : fc.option(arbNonNeg, { nil: null }),
      clip: fc.oneof(fc.constant(null), fc.tuple(fc.constantFrom('clipnorm' as const, 'globalClipnorm' as const, 'clipvalue' as const), arbNonNeg)),
      lossScaleFactor: fc.option(arbPositive, { nil: null }),
      ema: fc.option(fc.record({ momentum: arbUnit, overwriteFrequency: fc.option(fc.integer({ min: 1, max: 9 }), { nil: null }) }), { nil: null }),
      gradientAccumulationSteps: fc.option(fc.integer({ min: 2, max: 9 }), { nil: null })
    })
    .map(({ clip, ...b }) => ({
      ...b,
      clipnorm: clip?.[0] === 'clipnorm' ? clip[1] : null,
      globalClipnorm: clip?.[0] === 'globalClipnorm' ? clip[1] : null,
      clipvalue: clip?.[0] === 'clipvalue' ? clip[1] : null,
      form: 'keras3' as const,
      decay: 0
    }))

/** Any Keras 3 optimizer spec (the canonical form its decoder gives). */
const arbSpec: fc.Arbitrary<OptimizerSpec> = fc.oneof(
  fc.tuple(arbBase(false), fc.record({ momentum: arbUnit, nesterov: fc.boolean() })).map(([b, o]): OptimizerSpec => ({ className: 'SGD', ...b, ...o })),
  fc
    .tuple(fc.constantFrom('Adam' as const, 'AdamW' as const), fc.boolean(), fc.record({ beta1: arbBeta, beta2: arbBeta, epsilon: arbNonNeg, amsgrad: fc.boolean() }))
    .chain(([className, wd, o]) => arbBase(className === 'AdamW' || wd).map((b): OptimizerSpec => ({ className, ...b, ...o }))),
  fc
    .tuple(arbBase(false), fc.record({ rho: arbUnit, momentum: arbUnit, epsilon: arbNonNeg, centered: fc.boolean() }))
    .map(([b, o]): OptimizerSpec => ({ className: 'RMSprop', ...b, ...o })),
  fc
    .tuple(arbBase(false), fc.record({ initialAccumulatorValue: arbNonNeg, epsilon: arbNonNeg }))
    .map(([b, o]): OptimizerSpec => ({ className: 'Adagrad', ...b, ...o })),
  fc.tuple(arbBase(false), fc.record({ rho: arbUnit, epsilon: arbNonNeg })).map(([b, o]): OptimizerSpec => ({ className: 'Adadelta', ...b, ...o })),
  fc
    .tuple(arbBase(false), fc.record({ beta1: arbBeta, beta2: arbBeta, epsilon: arbNonNeg }))
    .map(([b, o]): OptimizerSpec => ({ className: 'Adamax', ...b, ...o })),
  fc
    .tuple(arbBase(false), fc.record({ beta1: arbBeta, beta2: arbBeta, epsilon: arbNonNeg }))
    .map(([b, o]): OptimizerSpec => ({ className: 'Nadam', ...b, ...o, scheduleDecay: 1 }))
)

/** A float32 vector of `n` values in [−bound, bound]. */
const arbVector = (n: number, bound: number): fc.Arbitrary<Float32Array> =>
  fc.float32Array({ min: -bound, max: bound, noNaN: true, noDefaultInfinity: true, minLength: n, maxLength: n })

/** 1–3 variables of 1–6 values with gradients of the same lengths. */
const arbProblem = (bound: number): fc.Arbitrary<{ readonly variables: Float32Array[]; readonly grads: Float32Array[] }> =>
  fc
    .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 })
    .chain((lengths) => fc.record({ variables: fc.tuple(...lengths.map((n) => arbVector(n, bound))), grads: fc.tuple(...lengths.map((n) => arbVector(n, bound))) }))

const decoded = (spec: OptimizerSpec): E.Either<unknown, OptimizerSpec> => decodeOptimizer(encodeOptimizer(spec), '')

const bits = (a: FloatArray): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')

const norm = (a: FloatArray): number => Math.hypot(...Array.from(a))

/** A Keras 3 SGD spec. */
const sgd = (o: Partial<Extract<OptimizerSpec, { className: 'SGD' }>>): OptimizerSpec => ({
  className: 'SGD',
  name: 'sgd',
  learningRate: 0.01,
  weightDecay: null,
  clipnorm: null,
  globalClipnorm: null,
  clipvalue: null,
  lossScaleFactor: null,
  form: 'keras3',
  decay: 0,
  ema: null,
  gradientAccumulationSteps: null,
  momentum: 0,
  nesterov: false,
  ...o
})

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

describe('optimizer codec', () => {
  it('decode(encode(spec)) deep-equals spec for every Keras 3 spec, also through JSON text', () => {
    fc.assert(
      fc.property(arbSpec, (spec) => {
        expect(decoded(spec)).toEqual(E.right(spec))
        expect(decodeOptimizer(JSON.parse(JSON.stringify(encodeOptimizer(spec))), '')).toEqual(E.right(spec))
      }),
      RUNS
    )
  })
})

// -------------------------------------------------------------------------------------
// update rules
// -------------------------------------------------------------------------------------

describe('SGD', () => {
  it('with momentum 0 is plain SGD, θ − lr·g in float32, whatever nesterov says, with no slots', () => {
    fc.assert(
      fc.property(arbProblem(10), arbRate, fc.boolean(), ({ variables, grads }, lr, nesterov) => {
        const spec = sgd({ learningRate: lr, nesterov })
        const state = initOptimizer(spec, variables)
        expect(state.slots.every((s) => s.length === 0)).toBe(true)
        const f = Math.fround
        const lr32 = f(lr)
        const out = applyGradients(spec, state, variables, grads).variables
        out.forEach((v, i) => v.forEach((x, j) => expect(x).toBe(f((variables[i]?.[j] as number) - f((grads[i]?.[j] as number) * lr32)))))
      }),
      RUNS
    )
  })

  it('leaves the variables unchanged for zero gradients without weight decay, from a fresh state, at any momentum', () => {
    fc.assert(
      fc.property(arbProblem(10), arbRate, arbUnit, fc.boolean(), fc.integer({ min: 1, max: 4 }), ({ variables }, lr, momentum, nesterov, steps) => {
        const spec = sgd({ learningRate: lr, momentum, nesterov })
        let vs: ReadonlyArray<FloatArray> = variables
        let state = initOptimizer(spec, vs)
        for (let k = 0; k < steps; k++) ({ variables: vs, state } = applyGradients(spec, state, vs, vs.map((v) => new Float32Array(v.length))))
        vs.forEach((v, i) => expect(Array.from(v).every((x, j) => x === variables[i]?.[j])).toBe(true))
      }),
      RUNS
    )
  })
})

describe('clipping', () => {
  it('clipnorm never leaves a gradient norm above c, and keeps a gradient already within it', () => {
    fc.assert(
      fc.property(arbProblem(100), fc.double({ min: 0.01, max: 20, noNaN: true }), ({ grads }, c) => {
        const out = clipGradients(sgd({ clipnorm: c }), grads)
        out.forEach((g, i) => {
          const before = norm(grads[i] as Float32Array)
          expect(norm(g)).toBeLessThanOrEqual(c * (1 + 2e-6))
          if (before <= c * (1 - 1e-6)) g.forEach((x, j) => expect(Math.abs(x - (grads[i]?.[j] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(grads[i]?.[j] as number) + 1e-40))
        })
      }),
      RUNS
    )
  })

  it('global_clipnorm scales every gradient by one factor, min(1, c/N)', () => {
    fc.assert(
      fc.property(arbProblem(100), fc.double({ min: 0.01, max: 20, noNaN: true }), ({ grads }, c) => {
        const out = clipGradients(sgd({ globalClipnorm: c }), grads)
        const n = Math.hypot(...grads.map(norm))
        const factor = n === 0 ? 1 : Math.min(1, c / n)
        out.forEach((g, i) =>
          g.forEach((x, j) => {
            const before = grads[i]?.[j] as number
            // float32 roundings of the norm, the factor and the product
            expect(Math.abs(x - before * factor)).toBeLessThanOrEqual(2e-6 * Math.abs(before * factor) + 1e-40)
          })
        )
        expect(Math.hypot(...out.map(norm))).toBeLessThanOrEqual(Math.min(c, n) * (1 + 2e-6) + 1e-30)
      }),
      RUNS
    )
  })

  it('clipvalue bounds every value by c and keeps those within it', () => {
    fc.assert(
      fc.property(arbProblem(100), fc.double({ min: 0.01, max: 20, noNaN: true }), ({ grads }, c) => {
        const c32 = Math.fround(c)
        const out = clipGradients(sgd({ clipvalue: c }), grads)
        out.forEach((g, i) =>
          g.forEach((x, j) => {
            const before = grads[i]?.[j] as number
            expect(Math.abs(x)).toBeLessThanOrEqual(c32)
            if (Math.abs(before) <= c32) expect(x).toBe(before)
          })
        )
      }),
      RUNS
    )
  })
})

describe('purity', () => {
  it('applyGradients writes none of its arguments and gives bit-identical results for the same arguments', () => {
    fc.assert(
      fc.property(arbSpec, arbProblem(10), fc.integer({ min: 0, max: 3 }), (spec, { variables, grads }, warm) => {
        let state = initOptimizer(spec, variables)
        for (let k = 0; k < warm; k++) state = applyGradients(spec, state, variables, grads).state
        expect(state.slots.every((s) => s.length === slotNames(spec).length)).toBe(true)
        const excluded = variables.map((_, i) => i % 2 === 1)
        const snapshot = JSON.stringify([variables.map(bits), grads.map(bits), state.slots.map((s) => s.map(bits)), state.iterations])
        const a = applyGradients(spec, state, variables, grads, excluded)
        const b = applyGradients(spec, state, variables, grads, excluded)
        expect(JSON.stringify([variables.map(bits), grads.map(bits), state.slots.map((s) => s.map(bits)), state.iterations])).toBe(snapshot)
        expect(a.variables.map(bits)).toEqual(b.variables.map(bits))
        expect(a.state.slots.map((s) => s.map(bits))).toEqual(b.state.slots.map((s) => s.map(bits)))
        expect(a.state.iterations).toBe(state.iterations + 1)
      }),
      RUNS
    )
  })
})

// -------------------------------------------------------------------------------------
// schedules
// -------------------------------------------------------------------------------------

/** Each schedule's formula (reference §2) in double precision. */
const closedForm = (s: ScheduleSpec, step: number): number => {
  switch (s.className) {
    case 'ExponentialDecay': {
      const p = s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps
      return s.initialLearningRate * Math.pow(s.decayRate, p)
    }
    case 'InverseTimeDecay': {
      const p = s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps
      return s.initialLearningRate / (1 + s.decayRate * p)
    }
    case 'PiecewiseConstantDecay': {
      const i = s.boundaries.findIndex((b) => step <= b)
      return s.values[i < 0 ? s.values.length - 1 : i] as number
    }
    case 'PolynomialDecay': {
      const at = Math.min(step, s.decaySteps)
      return (s.initialLearningRate - s.endLearningRate) * Math.pow(1 - at / s.decaySteps, s.power) + s.endLearningRate
    }
    case 'CosineDecay': {
      const cosine = (at: number, from: number): number => from * ((1 - s.alpha) * 0.5 * (1 + Math.cos((Math.PI * at) / s.decaySteps)) + s.alpha)
      if (s.warmupTarget === null) return cosine(Math.min(step, s.decaySteps), s.initialLearningRate)
      const at = Math.min(step, s.decaySteps + s.warmupSteps)
      if (at < s.warmupSteps) return s.initialLearningRate + ((s.warmupTarget - s.initialLearningRate) * at) / s.warmupSteps
      return cosine(at - s.warmupSteps, s.warmupTarget)
    }
    case 'CosineDecayRestarts': {
      // t_mul = 1 only (below): restart i = floor(step / first), fraction the rest.
      const f = step / s.firstDecaySteps
      const i = Math.floor(f)
      return s.initialLearningRate * ((1 - s.alpha) * 0.5 * Math.pow(s.mMul, i) * (1 + Math.cos(Math.PI * (f - i))) + s.alpha)
    }
  }
}

const arbStep = fc.integer({ min: 0, max: 100 })
const arbSteps = fc.integer({ min: 1, max: 50 })
const arbLr = fc.double({ min: 1e-4, max: 1, noNaN: true })

/** Schedules whose float32 evaluation stays within a few ulps of the formula (no restarts at fractional steps). */
const arbSmoothSchedule: fc.Arbitrary<ScheduleSpec> = fc.oneof(
  fc.record({
    className: fc.constantFrom('ExponentialDecay' as const, 'InverseTimeDecay' as const),
    initialLearningRate: arbLr,
    decaySteps: arbSteps,
    decayRate: fc.double({ min: 0.05, max: 1, noNaN: true }),
    staircase: fc.boolean(),
    name: fc.constant(null)
  }),
  arbPiecewise,
  fc.record({
    className: fc.constant('PolynomialDecay' as const),
    initialLearningRate: arbLr,
    decaySteps: arbSteps,
    endLearningRate: fc.double({ min: 0, max: 1e-2, noNaN: true }).map(noNegZero),
    power: fc.double({ min: 0.5, max: 3, noNaN: true }),
    cycle: fc.constant(false),
    name: fc.constant(null)
  }),
  fc.record({
    className: fc.constant('CosineDecay' as const),
    initialLearningRate: arbLr,
    decaySteps: arbSteps,
    alpha: arbUnit,
    warmupTarget: fc.option(arbLr, { nil: null }),
    warmupSteps: fc.integer({ min: 0, max: 20 }),
    name: fc.constant(null)
  }),
  fc.record({
    className: fc.constant('CosineDecayRestarts' as const),
    initialLearningRate: arbLr,
    firstDecaySteps: arbSteps,
    tMul: fc.constant(1),
    mMul: arbUnit,
    alpha: arbUnit,
    name: fc.constant(null)
  })
)

/** The largest rate a schedule can give, the scale of its error. */
const scaleOf = (s: ScheduleSpec): number => {
  switch (s.className) {
    case 'PiecewiseConstantDecay':
      return Math.max(...s.values)
    case 'PolynomialDecay':
      return Math.max(s.initialLearningRate, s.endLearningRate)
    case 'CosineDecay':
      return Math.max(s.initialLearningRate, s.warmupTarget ?? 0)
    default:
      return s.initialLearningRate
  }
}

describe('schedules', () => {
  it('follow their closed forms (float32 against double: within 1e-5 of the schedule’s scale)', () => {
    fc.assert(
      fc.property(arbSmoothSchedule, arbStep, (s, step) => {
        const ours = learningRateAt(s, step)
        const want = closedForm(s, step)
        expect(Math.abs(ours - want)).toBeLessThanOrEqual(1e-5 * scaleOf(s) + 1e-30)
      }),
      RUNS
    )
  })

  it('PiecewiseConstantDecay gives exactly the float32 value of its interval', () => {
    fc.assert(
      fc.property(arbPiecewise, fc.integer({ min: -5, max: 600 }), (s, step) => {
        expect(learningRateAt(s, step)).toBe(Math.fround(closedForm(s, step)))
      }),
      RUNS
    )
  })

  it('never increase where Keras decays (ExponentialDecay rate ≤ 1, InverseTimeDecay, PolynomialDecay end ≤ initial, CosineDecay after warm-up, decreasing piecewise values)', () => {
    const arbDecreasing: fc.Arbitrary<ScheduleSpec> = fc.oneof(
      arbSmoothSchedule.filter((s) => s.className === 'ExponentialDecay' || s.className === 'InverseTimeDecay'),
      arbSmoothSchedule
        .filter((s) => s.className === 'PolynomialDecay')
        .map((s) => (s.className === 'PolynomialDecay' ? { ...s, endLearningRate: Math.min(s.endLearningRate, s.initialLearningRate) } : s)),
      arbSmoothSchedule.filter((s) => s.className === 'CosineDecay').map((s) => (s.className === 'CosineDecay' ? { ...s, warmupTarget: null } : s)),
      arbPiecewise.map((s) => (s.className === 'PiecewiseConstantDecay' ? { ...s, values: [...s.values].sort((a, b) => b - a) } : s))
    )
    fc.assert(
      fc.property(arbDecreasing, (s) => {
        for (let k = 0; k < 120; k++) expect(learningRateAt(s, k + 1)).toBeLessThanOrEqual(learningRateAt(s, k))
      }),
      params(50)
    )
  })

  it('returns float32 values that are finite and ≥ 0 for any decodable schedule', () => {
    fc.assert(
      fc.property(arbSchedule, arbStep, (s, step) => {
        const v = learningRateAt(s, step)
        expect(Math.fround(v)).toBe(v)
        if (Number.isFinite(v)) expect(v).toBeGreaterThanOrEqual(0)
      }),
      RUNS
    )
  })
})
