/**
 * Properties of the compiled losses (src/train/loss/) and metrics:
 * - the gradient equals central finite differences (float64, step 1e-6) for every loss class and option,
 *   on random shapes and values kept away from clip bounds and kinks (tolerance 1e-6 × the gradient's
 *   scale, plus 1e-9);
 * - reductions: `sum` = `sum_over_batch_size` × the number of loss elements; `mean_with_sample_weight`
 *   is unchanged by scaling every weight; with `sum`, weights are linear per sample; permuting the
 *   samples permutes the gradient and keeps the value;
 * - invariances: CategoricalCrossentropy from probabilities is unchanged when a row is scaled, from
 *   logits when a constant is added to a row;
 * - inputs are never written; decode(encode(s)) = s; a metric's update is additive over a split batch.
 */
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileLoss, type CompiledLoss } from '../src/train/loss/loss.js'
import { decodeLoss, encodeLoss, LOSS_CLASSES, lossSpec, type LossClass, type LossSpec, type Reduction } from '../src/train/loss/LossSpec.js'
import { compileMetric } from '../src/train/metric/metric.js'
import { metricSpec, type MetricClass } from '../src/train/metric/MetricSpec.js'
import { params } from './settings.js'
import { ok } from './util.js'

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/** A small PRNG (mulberry32) so a case's values follow from its seed, with the same seed the same case. */
const prng = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s) >>> 0
    t = ((t + Math.imul(t ^ (t >>> 7), 61 | t)) >>> 0) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A loss, shapes and float64 data on which the loss is smooth around every prediction (no clip bound or kink within 1e-3). */
interface Case {
  readonly spec: LossSpec
  readonly out: ReadonlyArray<number>
  readonly label: ReadonlyArray<number>
  readonly batch: number
  readonly yTrue: Float64Array
  readonly yPred: Float64Array
  readonly sampleWeight: Float64Array | undefined
}

interface Draw {
  readonly cls: LossClass
  readonly seed: number
  readonly batch: number
  readonly dims: ReadonlyArray<number>
  readonly reduction: Reduction
  readonly weighted: boolean
  readonly fromLogits: boolean
  readonly smoothing: number
  readonly axisPick: number
  readonly negativeAxis: boolean
  readonly delta: number
  readonly ignore: boolean
  readonly trailingOne: boolean
}

const arbDraw: fc.Arbitrary<Draw> = fc.record({
  cls: fc.constantFrom(...LOSS_CLASSES),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  batch: fc.integer({ min: 1, max: 3 }),
  dims: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 3 }),
  reduction: fc.constantFrom<Reduction>('sum_over_batch_size', 'sum', 'mean_with_sample_weight'),
  weighted: fc.boolean(),
  fromLogits: fc.boolean(),
  smoothing: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
  axisPick: fc.nat(),
  negativeAxis: fc.boolean(),
  delta: fc.double({ min: 0.1, max: 3, noNaN: true }),
  ignore: fc.boolean(),
  trailingOne: fc.boolean()
})

const AXIS_CLASSES: ReadonlyArray<LossClass> = ['CategoricalCrossentropy', 'BinaryCrossentropy', 'CosineSimilarity']

/** Builds a case from a draw: values are drawn so that no prediction sits within 1e-3 of a kink or a clip bound. */
const caseOf = (d: Draw): Case => {
  const rnd = prng(d.seed)
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rnd()
  const sign = (): number => (rnd() < 0.5 ? -1 : 1)
  const rank = d.dims.length
  const axisFull = AXIS_CLASSES.includes(d.cls) ? 1 + (d.axisPick % rank) : rank
  const axis = d.negativeAxis ? axisFull - (rank + 1) : axisFull
  const sparse = d.cls === 'SparseCategoricalCrossentropy'
  const out = d.dims
  const positions = out.slice(0, -1)
  const label = sparse ? (d.trailingOne ? [...positions, 1] : positions) : out
  const classes = out[rank - 1] as number
  const ignoreClass = sparse && d.ignore ? classes : null
  const spec = lossSpec(d.cls, {
    reduction: d.reduction,
    from_logits: d.fromLogits,
    label_smoothing: d.cls === 'CategoricalCrossentropy' || d.cls === 'BinaryCrossentropy' ? d.smoothing : 0,
    axis: AXIS_CLASSES.includes(d.cls) ? axis : -1,
    delta: d.delta,
    ignore_class: ignoreClass
  })
  const nPred = d.batch * out.reduce((a, b) => a * b, 1)
  const nLabel = d.batch * label.reduce((a, b) => a * b, 1)
  const y = new Float64Array(nLabel)
  const p = new Float64Array(nPred)
  const fill = (f: (i: number) => readonly [number, number]): void => {
    for (let i = 0; i < nPred; i++) {
      const [yi, pi] = f(i)
      if (i < nLabel) y[i] = yi
      p[i] = pi
    }
  }
  switch (d.cls) {
    case 'MeanSquaredError':
    case 'LogCosh':
      fill(() => [u(-2, 2), u(-2, 2)])
      break
    case 'MeanAbsoluteError':
      fill(() => {
        const yi = u(-2, 2)
        return [yi, yi + sign() * u(0.01, 1)]
      })
      break
    case 'MeanAbsolutePercentageError':
      fill(() => {
        const yi = sign() * u(0.1, 2)
        return [yi, yi + sign() * u(0.01, 1)]
      })
      break
    case 'MeanSquaredLogarithmicError':
      fill(() => [u(-0.5, 3), u(0.01, 3)])
      break
    case 'Huber':
      fill(() => {
        const yi = u(-2, 2)
        const e = rnd() < 0.5 ? u(0, d.delta - 0.01) : u(d.delta + 0.01, d.delta + 2)
        return [yi, yi + sign() * Math.max(e, 0)]
      })
      break
    case 'KLDivergence':
      fill(() => [u(0, 1), u(0.05, 0.95)])
      break
    case 'Poisson':
      fill(() => [u(0, 3), u(0.1, 3)])
      break
    case 'Hinge':
    case 'SquaredHinge': {
      // Labels all 0/1 (mapped to ±1 by Keras) or ±1; the margin 1 − t·p is kept away from 0.
      const binary = rnd() < 0.5
      fill(() => {
        const yi = binary ? (rnd() < 0.5 ? 0 : 1) : sign()
        return [yi, 0]
      })
      const convert = y.every((v) => v === 0 || v === 1)
      for (let i = 0; i < nPred; i++) {
        const t = convert ? 2 * (y[i] as number) - 1 : (y[i] as number)
        p[i] = (1 - sign() * u(0.01, 1.5)) / t
      }
      break
    }
    case 'CategoricalHinge':
      fill(() => [rnd() < 0.3 ? 1 : 0, u(-2, 2)])
      break
    case 'CosineSimilarity':
      fill(() => [u(-1, 1), u(-1, 1)])
      break
    case 'BinaryCrossentropy':
      fill(() => [u(0, 1), d.fromLogits ? u(-6, 6) : u(0.02, 0.98)])
      break
    case 'CategoricalCrossentropy':
      fill(() => [u(0, 1), d.fromLogits ? u(-4, 4) : u(0.05, 1)])
      break
    case 'SparseCategoricalCrossentropy':
      fill(() => [0, d.fromLogits ? u(-4, 4) : u(0.05, 1)])
      for (let r = 0; r < nLabel; r++) y[r] = ignoreClass !== null && rnd() < 0.3 ? ignoreClass : Math.floor(u(0, classes))
      break
  }
  const sampleWeight = d.weighted ? Float64Array.from({ length: d.batch }, () => u(0.1, 2)) : undefined
  return { spec, out, label, batch: d.batch, yTrue: y, yPred: p, sampleWeight }
}

/** Rows (reduction groups) of a case's predictions: the indices of each group along the reduced axis. */
const rowsOf = (c: Case): number[][] => {
  const sparse = c.spec.className === 'SparseCategoricalCrossentropy'
  const rank = c.out.length
  const axisFull = sparse ? rank : c.spec.axis < 0 ? c.spec.axis + rank + 1 : c.spec.axis
  const a = AXIS_CLASSES.includes(c.spec.className as LossClass) || sparse ? axisFull - 1 : rank - 1
  const outer = c.batch * c.out.slice(0, a).reduce((x, y) => x * y, 1)
  const len = c.out[a] as number
  const inner = c.out.slice(a + 1).reduce((x, y) => x * y, 1)
  const rows: number[][] = []
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) rows.push(Array.from({ length: len }, (_, k) => (o * len + k) * inner + i))
  return rows
}

/** Keeps only cases where no kink or bound depends on several predictions at once within 1e-3 (categorical hinge, cosine). */
const smoothEnough = (c: Case): boolean => {
  if (c.spec.className === 'CategoricalHinge') {
    return rowsOf(c).every((row) => {
      const negs = row.map((i) => (1 - (c.yTrue[i] as number)) * (c.yPred[i] as number)).sort((a, b) => b - a)
      const pos = row.reduce((s, i) => s + (c.yTrue[i] as number) * (c.yPred[i] as number), 0)
      const top = negs[0] as number
      const second = negs.length > 1 ? (negs[1] as number) : -Infinity
      return Math.abs(top - pos + 1) > 1e-3 && top - second > 1e-3
    })
  }
  if (c.spec.className === 'CosineSimilarity') {
    return rowsOf(c).every((row) => Math.hypot(...row.map((i) => c.yPred[i] as number)) > 0.1 && Math.hypot(...row.map((i) => c.yTrue[i] as number)) > 0.1)
  }
  return true
}

const compiled = (c: Case): CompiledLoss => ok(compileLoss(c.spec, c.out, c.label, 'loss'))

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number))
  return m
}

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

describe('loss gradients', () => {
  it('equal central finite differences (float64, step 1e-6) for every loss class and option', () => {
    fc.assert(
      fc.property(arbDraw, (d) => {
        const c = caseOf(d)
        fc.pre(smoothEnough(c))
        const loss = compiled(c)
        const { value, grad } = loss.valueAndGrad(c.yTrue, c.yPred, c.batch, c.sampleWeight)
        expect(Number.isFinite(value)).toBe(true)
        const h = 1e-6
        const fd = new Float64Array(c.yPred.length)
        for (let i = 0; i < c.yPred.length; i++) {
          const plus = Float64Array.from(c.yPred)
          const minus = Float64Array.from(c.yPred)
          plus[i] = (plus[i] as number) + h
          minus[i] = (minus[i] as number) - h
          fd[i] = (loss.value(c.yTrue, plus, c.batch, c.sampleWeight) - loss.value(c.yTrue, minus, c.batch, c.sampleWeight)) / (2 * h)
        }
        const tol = 1e-6 * Math.max(maxAbs(fd), maxAbs(grad), 1) + 1e-9
        for (let i = 0; i < fd.length; i++) {
          expect(Math.abs((grad[i] as number) - (fd[i] as number)), `${c.spec.className} element ${i}: ${grad[i]} vs ${fd[i]}`).toBeLessThanOrEqual(tol)
        }
      }),
      params(300)
    )
  })

  it('are zero where a probability was clipped (BCE at p = 0 and p = 1)', () => {
    const loss = ok(compileLoss(lossSpec('BinaryCrossentropy'), [4], [4], 'loss'))
    const { grad } = loss.valueAndGrad(Float64Array.of(1, 0, 1, 0), Float64Array.of(0, 1, 1.5, -0.5), 1)
    expect(Array.from(grad)).toEqual([0, 0, 0, 0])
  })
})

describe('reductions', () => {
  const arbPlain = arbDraw.map((d) => ({ ...d, ignore: false }))
  it('sum = sum_over_batch_size × the number of loss elements; mean_with_sample_weight ignores a common weight scale', () => {
    fc.assert(
      fc.property(arbPlain, fc.double({ min: 0.1, max: 10, noNaN: true }), (d, scale) => {
        const c = caseOf(d)
        const rows = rowsOf(c).length
        const at = (reduction: Reduction, sw?: Float64Array): number => ok(compileLoss({ ...c.spec, reduction }, c.out, c.label, 'loss')).value(c.yTrue, c.yPred, c.batch, sw)
        const sum = at('sum', c.sampleWeight)
        expect(Math.abs(sum - rows * at('sum_over_batch_size', c.sampleWeight))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(sum)))
        const w = c.sampleWeight ?? Float64Array.from({ length: c.batch }, (_, i) => 0.5 + i)
        const mw = at('mean_with_sample_weight', w)
        const mwScaled = at('mean_with_sample_weight', w.map((x) => x * scale))
        expect(Math.abs(mw - mwScaled)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(mw)))
        expect(Math.abs(at('mean_with_sample_weight') - at('sum_over_batch_size'))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(mw)))
      }),
      params(100)
    )
  })

  it('with sum, sample weights are linear per sample, and permuting samples permutes the gradient', () => {
    fc.assert(
      fc.property(arbPlain, (d) => {
        const c = caseOf({ ...d, reduction: 'sum', weighted: true, cls: d.cls === 'Hinge' || d.cls === 'SquaredHinge' ? 'MeanSquaredError' : d.cls })
        const loss = ok(compileLoss(c.spec, c.out, c.label, 'loss'))
        const predSize = c.yPred.length / c.batch
        const labelSize = c.yTrue.length / c.batch
        const w = c.sampleWeight as Float64Array
        let expected = 0
        for (let n = 0; n < c.batch; n++) {
          expected += (w[n] as number) * loss.value(c.yTrue.slice(n * labelSize, (n + 1) * labelSize), c.yPred.slice(n * predSize, (n + 1) * predSize), 1)
        }
        const all = loss.valueAndGrad(c.yTrue, c.yPred, c.batch, w)
        expect(Math.abs(all.value - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)))
        // Reverse the samples.
        const rev = (a: Float64Array, size: number): Float64Array => {
          const out = new Float64Array(a.length)
          for (let n = 0; n < c.batch; n++) out.set(a.subarray(n * size, (n + 1) * size), (c.batch - 1 - n) * size)
          return out
        }
        const r = loss.valueAndGrad(rev(c.yTrue, labelSize), rev(c.yPred, predSize), c.batch, rev(w, 1))
        expect(Math.abs(r.value - all.value)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(all.value)))
        expect(Array.from(r.grad)).toEqual(Array.from(rev(all.grad as Float64Array, predSize)))
      }),
      params(100)
    )
  })
})

describe('invariances', () => {
  it('CategoricalCrossentropy: probabilities up to a row scale, logits up to a row shift', () => {
    fc.assert(
      fc.property(arbDraw, fc.double({ min: 0.1, max: 10, noNaN: true }), (d, k) => {
        const c = caseOf({ ...d, cls: 'CategoricalCrossentropy', axisPick: d.dims.length - 1, negativeAxis: false })
        const loss = compiled(c)
        const base = loss.value(c.yTrue, c.yPred, c.batch, c.sampleWeight)
        const moved = c.yPred.map((v) => (c.spec.fromLogits ? v + k : v * k))
        const after = loss.value(c.yTrue, moved, c.batch, c.sampleWeight)
        expect(Math.abs(after - base)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(base)))
      }),
      params(100)
    )
  })

  it('never write their inputs', () => {
    fc.assert(
      fc.property(arbDraw, (d) => {
        const c = caseOf(d)
        const y = Float64Array.from(c.yTrue)
        const p = Float64Array.from(c.yPred)
        const w = c.sampleWeight === undefined ? undefined : Float64Array.from(c.sampleWeight)
        compiled(c).valueAndGrad(c.yTrue, c.yPred, c.batch, c.sampleWeight)
        expect(c.yTrue).toEqual(y)
        expect(c.yPred).toEqual(p)
        expect(c.sampleWeight).toEqual(w)
      }),
      params(100)
    )
  })
})

describe('metrics', () => {
  const METRICS: ReadonlyArray<readonly [MetricClass, LossClass]> = [
    ['MeanSquaredError', 'MeanSquaredError'],
    ['MeanAbsoluteError', 'MeanAbsoluteError'],
    ['CategoricalCrossentropy', 'CategoricalCrossentropy'],
    ['SparseCategoricalCrossentropy', 'SparseCategoricalCrossentropy'],
    ['SparseCategoricalAccuracy', 'SparseCategoricalCrossentropy'],
    ['CategoricalAccuracy', 'CategoricalCrossentropy'],
    ['BinaryAccuracy', 'BinaryCrossentropy']
  ]
  it('an update is additive over a batch split in two, and a loss-like metric of a whole batch is its sum_over_batch_size loss', () => {
    fc.assert(
      fc.property(arbDraw, fc.constantFrom(...METRICS), (d, [metricClass, lossClass]) => {
        const c = caseOf({ ...d, cls: lossClass, batch: Math.max(2, d.batch), axisPick: d.dims.length - 1, negativeAxis: false, ignore: false })
        const m = ok(compileMetric(metricSpec(metricClass, { from_logits: c.spec.fromLogits, label_smoothing: c.spec.labelSmoothing }), c.out, c.label, 'm'))
        const predSize = c.yPred.length / c.batch
        const labelSize = c.yTrue.length / c.batch
        const whole = m.update(c.yTrue, c.yPred, c.batch)
        const a = m.update(c.yTrue.slice(0, labelSize), c.yPred.slice(0, predSize), 1)
        const b = m.update(c.yTrue.slice(labelSize), c.yPred.slice(predSize), c.batch - 1)
        expect(Math.abs(a.sum + b.sum - whole.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(whole.sum)))
        expect(a.count + b.count).toBe(whole.count)
        if (metricClass === lossClass) {
          const loss = ok(compileLoss({ ...c.spec, reduction: 'sum_over_batch_size' }, c.out, c.label, 'loss')).value(c.yTrue, c.yPred, c.batch)
          expect(Math.abs(whole.sum / whole.count - loss)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(loss)))
        }
      }),
      params(100)
    )
  })
})

describe('codec', () => {
  const arbSpec: fc.Arbitrary<LossSpec> = fc
    .record({
      cls: fc.constantFrom<LossClass | 'crossentropy'>(...LOSS_CLASSES, 'crossentropy'),
      name: fc.oneof(fc.string(), fc.constantFrom('loss', '__proto__', 'constructor')),
      ceName: fc.constantFrom('crossentropy', 'ce', 'CE', 'CrossEntropy'),
      reduction: fc.constantFrom<Reduction>('sum_over_batch_size', 'sum', 'mean_with_sample_weight', 'none'),
      fromLogits: fc.boolean(),
      smoothing: fc.double({ min: 0, max: 1, noNaN: true }),
      axis: fc.integer({ min: -4, max: 4 }),
      delta: fc.double({ min: 1e-3, max: 100, noNaN: true }),
      ignore: fc.option(fc.integer({ min: -5, max: 300 }), { nil: null })
    })
    .map((r): LossSpec => {
      if (r.cls === 'crossentropy') return ok(decodeLoss(r.ceName, 'loss'))
      const c = r.cls
      const ce = c === 'CategoricalCrossentropy' || c === 'BinaryCrossentropy'
      return lossSpec(c, {
        name: r.name,
        reduction: r.reduction,
        from_logits: ce || c === 'SparseCategoricalCrossentropy' ? r.fromLogits : false,
        label_smoothing: ce ? r.smoothing : 0,
        axis: ce || c === 'CosineSimilarity' || c === 'SparseCategoricalCrossentropy' ? r.axis : -1,
        delta: c === 'Huber' ? r.delta : 1,
        ignore_class: c === 'SparseCategoricalCrossentropy' ? r.ignore : null
      })
    })
  it('decode(encode(s)) = s, through JSON', () => {
    fc.assert(
      fc.property(arbSpec, (s) => {
        const back = decodeLoss(JSON.parse(JSON.stringify(encodeLoss(s))), 'loss')
        expect(E.isRight(back) ? back.right : back.left).toEqual(s)
      }),
      params(200)
    )
  })
})
