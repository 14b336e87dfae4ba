/**
 * Keras losses (src/train/loss/): every loss class and option against the values and gradients real
 * Keras 3.15 computed on TensorFlow (scripts/golden/losses.py → spec/fixtures/keras3/train/losses.json),
 * every decoding form (each string of the Keras 3, tf.keras 2.x and TensorFlow.js tables, the Keras 3 and
 * TF 2.x envelopes, the plain-function form, Keras-written compile configs), every decoding error, and
 * the shape rules of compileLoss.
 *
 * Tolerances against Keras (which computes in float32, layerspec in float64): the value within 1e-6
 * relative (+1e-7 absolute); each gradient element within 1e-6 × max|Keras gradient| + 1e-9 (the largest
 * errors seen: 2.1e-7 relative for values, 1.9e-7 × max|gradient|). Float64 cases: 1e-12 relative.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { compileLoss, planLoss } from '../../src/train/loss/loss.js'
import { decodeLoss, encodeLoss, LOSS_CLASSES, LOSS_STRING_NAMES, lossSpec, type LossClass, type LossSpec } from '../../src/train/loss/LossSpec.js'
import type { FloatArray } from '../../src/numerics/FloatArray.js'
import { left, readJson, right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// the fixture
// -------------------------------------------------------------------------------------

interface LossCase {
  readonly id: string
  readonly loss: unknown
  readonly dtype: 'float32' | 'float64'
  readonly batch: number
  readonly outputShape: ReadonlyArray<number>
  readonly labelShape: ReadonlyArray<number>
  readonly yTrue: ReadonlyArray<number>
  readonly yPred: ReadonlyArray<number>
  readonly sampleWeight: ReadonlyArray<number> | null
  readonly lossShape: ReadonlyArray<number>
  readonly value: number
  readonly grad: ReadonlyArray<number>
  readonly jax_equivalent?: { readonly value: number; readonly grad: ReadonlyArray<number> }
  readonly note?: string
}

interface Fixture {
  readonly keras_version: string
  readonly losses: ReadonlyArray<LossCase>
  readonly compileConfigs: ReadonlyArray<{ readonly loss: unknown; readonly metrics: unknown; readonly expect: { readonly loss: string; readonly metrics: ReadonlyArray<string> } }>
  readonly serialized: { readonly losses: ReadonlyArray<unknown>; readonly metrics: ReadonlyArray<unknown> }
}

const FIXTURE = readJson('spec/fixtures/keras3/train/losses.json') as Fixture

const arrayOf = (dtype: 'float32' | 'float64', values: ReadonlyArray<number>): FloatArray => (dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values))

/** Largest |a − b| over two arrays. */
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)))
  return m
}
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number))
  return m
}

/** Tolerances (see the module comment). */
const valueTol = (dtype: string, v: number): number => (dtype === 'float32' ? 1e-6 * Math.abs(v) + 1e-7 : 1e-12 * Math.max(1, Math.abs(v)))
const gradTol = (dtype: string, g: ArrayLike<number>): number => (dtype === 'float32' ? 1e-6 * maxAbs(g) + 1e-9 : 1e-12 * Math.max(1, maxAbs(g)))

/** The largest errors seen, relative to the tolerance's scale, printed once (for the report). */
const worst = { value: 0, grad: 0 }

// -------------------------------------------------------------------------------------
// golden values
// -------------------------------------------------------------------------------------

describe(`losses against Keras ${FIXTURE.keras_version} (TensorFlow backend)`, () => {
  it('covers every loss class', () => {
    const all = new Set(FIXTURE.losses.map((c) => c.loss).filter((l): l is { class_name: string } => typeof l === 'object' && l !== null).map((l) => l.class_name))
    for (const cls of LOSS_CLASSES) expect(all.has(cls), cls).toBe(true)
  })

  for (const c of FIXTURE.losses) {
    it(`${c.id}: value and gradient`, () => {
      const spec = right(decodeLoss(c.loss, 'loss'))
      const compiled = right(compileLoss(spec, c.outputShape, c.labelShape, 'loss'))
      expect(right(planLoss(spec, c.outputShape, c.labelShape, 'loss')).lossShape).toEqual(c.lossShape)
      const yTrue = arrayOf(c.dtype, c.yTrue)
      const yPred = arrayOf(c.dtype, c.yPred)
      const sw = c.sampleWeight === null ? undefined : arrayOf(c.dtype, c.sampleWeight)
      const r = compiled.valueAndGrad(yTrue, yPred, c.batch, sw)
      expect(r.grad).toBeInstanceOf(c.dtype === 'float32' ? Float32Array : Float64Array)
      expect(r.grad.length).toBe(yPred.length)
      expect(compiled.value(yTrue, yPred, c.batch, sw)).toBe(r.value)
      // Where Keras's TensorFlow backend departs from Keras 3 on JAX / torch, layerspec follows the latter.
      const expected = c.jax_equivalent ?? { value: c.value, grad: c.grad }
      const dv = Math.abs(r.value - expected.value)
      const dg = maxDiff(r.grad, expected.grad)
      expect(dv, `value ${r.value} vs Keras ${expected.value}`).toBeLessThanOrEqual(valueTol(c.dtype, expected.value))
      expect(dg, `gradient ${Array.from(r.grad).join(',')} vs Keras ${expected.grad.join(',')}`).toBeLessThanOrEqual(gradTol(c.dtype, expected.grad))
      if (c.dtype === 'float32') {
        worst.value = Math.max(worst.value, dv / (Math.abs(expected.value) + 1e-30))
        worst.grad = Math.max(worst.grad, dg / (maxAbs(expected.grad) + 1e-30))
      }
    })
  }

  it('records where the TensorFlow backend departs from Keras 3 on JAX (sparse crossentropy, clipped probabilities)', () => {
    const departures = FIXTURE.losses.filter((c) => c.jax_equivalent !== undefined)
    expect(departures.length).toBeGreaterThan(0)
    for (const c of departures) {
      const j = c.jax_equivalent as { readonly value: number; readonly grad: ReadonlyArray<number> }
      expect(maxDiff(j.grad, c.grad)).toBeGreaterThan(0.1)
    }
  })

  it('reports its largest errors (relative to the value and to max |gradient|)', () => {
    // Printed for the record; the per-case assertions above are the tests.
    console.log(`float32 losses vs Keras: largest relative value error ${worst.value.toExponential(2)}, largest gradient error ${worst.grad.toExponential(2)} × max|grad|`)
    expect(worst.value).toBeLessThan(1e-6)
    expect(worst.grad).toBeLessThan(1e-6)
  })
})

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

const decoded = (u: unknown): LossSpec => right(decodeLoss(u, 'loss'))

describe('decodeLoss: names', () => {
  it('Keras 3 function names and aliases give the function\'s class named as written', () => {
    expect(decoded('mse')).toEqual(lossSpec('MeanSquaredError', { name: 'mse' }))
    expect(decoded('MAE')).toEqual(lossSpec('MeanAbsoluteError', { name: 'MAE' }))
    expect(decoded('sparse_categorical_crossentropy')).toEqual(lossSpec('SparseCategoricalCrossentropy'))
    expect(decoded('bce').className).toBe('BinaryCrossentropy')
    expect(decoded('kld').className).toBe('KLDivergence')
    expect(decoded('mape').className).toBe('MeanAbsolutePercentageError')
    expect(decoded('MSLE').className).toBe('MeanSquaredLogarithmicError')
  })
  it('class names give the class with its default name', () => {
    expect(decoded('MeanSquaredError')).toEqual(lossSpec('MeanSquaredError'))
    expect(decoded('Huber').name).toBe('huber_loss')
    for (const c of LOSS_CLASSES) expect(decoded(c)).toEqual(lossSpec(c))
  })
  it('tf.keras 2.x aliases', () => {
    expect(decoded('kullback_leibler_divergence').className).toBe('KLDivergence')
    expect(decoded('logcosh').className).toBe('LogCosh')
    expect(decoded('huber_loss')).toEqual(lossSpec('Huber', { name: 'huber_loss' }))
  })
  it('TensorFlow.js camelCase names', () => {
    const tfjs: Record<string, string> = {
      meanSquaredError: 'MeanSquaredError',
      meanAbsoluteError: 'MeanAbsoluteError',
      meanAbsolutePercentageError: 'MeanAbsolutePercentageError',
      meanSquaredLogarithmicError: 'MeanSquaredLogarithmicError',
      squaredHinge: 'SquaredHinge',
      hinge: 'Hinge',
      categoricalHinge: 'CategoricalHinge',
      logcosh: 'LogCosh',
      categoricalCrossentropy: 'CategoricalCrossentropy',
      sparseCategoricalCrossentropy: 'SparseCategoricalCrossentropy',
      binaryCrossentropy: 'BinaryCrossentropy',
      kullbackLeiblerDivergence: 'KLDivergence',
      poisson: 'Poisson',
      cosineProximity: 'CosineSimilarity'
    }
    for (const [name, cls] of Object.entries(tfjs)) expect(decoded(name), name).toEqual(lossSpec(cls as LossClass, { name }))
  })
  it('every listed string decodes', () => {
    for (const n of LOSS_STRING_NAMES) expect(E.isRight(decodeLoss(n, 'loss')), n).toBe(true)
    expect(LOSS_STRING_NAMES.length).toBeGreaterThan(40)
  })
  it('"crossentropy" and "ce", in any case, stay unresolved and keep the name', () => {
    for (const n of ['crossentropy', 'ce', 'CE', 'CrossEntropy']) {
      const s = decoded(n)
      expect(s.className).toBe('crossentropy')
      expect(s.name).toBe(n)
      expect(encodeLoss(s)).toBe(n)
    }
  })
})

describe('decodeLoss: envelopes', () => {
  it('the Keras 3 envelope, every default filled', () => {
    const s = decoded({
      module: 'keras.losses',
      class_name: 'CategoricalCrossentropy',
      config: { name: 'cce', reduction: 'sum', from_logits: true, label_smoothing: 0.1, axis: -1 },
      registered_name: null
    })
    expect(s).toEqual(lossSpec('CategoricalCrossentropy', { name: 'cce', reduction: 'sum', from_logits: true, label_smoothing: 0.1 }))
    expect(Object.isFrozen(s)).toBe(true)
  })
  it('the TF 2.x envelope, with reduction "auto" and tf.keras\'s keys', () => {
    expect(decoded({ class_name: 'SparseCategoricalCrossentropy', config: { reduction: 'auto', name: 'sparse_categorical_crossentropy', from_logits: true, ignore_class: null } })).toEqual(
      lossSpec('SparseCategoricalCrossentropy', { from_logits: true })
    )
    expect(decoded({ class_name: 'Huber', config: { reduction: 'auto', name: 'huber_loss', delta: 0.5 } })).toEqual(lossSpec('Huber', { delta: 0.5 }))
    expect(decoded({ class_name: 'CosineSimilarity', config: { reduction: 'none', name: 'c', axis: 1 } })).toEqual(lossSpec('CosineSimilarity', { name: 'c', reduction: 'none', axis: 1 }))
  })
  it('reductions: "mean" and "auto" are sum_over_batch_size, null is none; a missing name is the default', () => {
    expect(decoded({ class_name: 'MeanSquaredError', config: { reduction: 'mean' } }).reduction).toBe('sum_over_batch_size')
    expect(decoded({ class_name: 'MeanSquaredError', config: { reduction: null, name: null } })).toEqual(lossSpec('MeanSquaredError', { reduction: 'none' }))
    expect(decoded({ class_name: 'MeanSquaredError', config: { reduction: 'mean_with_sample_weight' } }).reduction).toBe('mean_with_sample_weight')
  })
  it('accepts and ignores dtype and tf.keras\'s fn', () => {
    expect(decoded({ class_name: 'MeanAbsoluteError', config: { dtype: 'float32', fn: 'mean_absolute_error' } })).toEqual(lossSpec('MeanAbsoluteError'))
  })
  it('the Keras 3 plain-function form', () => {
    const s = decoded({ module: 'builtins', class_name: 'function', config: 'categorical_crossentropy', registered_name: 'function' })
    expect(s).toEqual(lossSpec('CategoricalCrossentropy'))
    expect(decoded({ module: 'builtins', class_name: 'function', config: 'mse', registered_name: 'function' })).toEqual(lossSpec('MeanSquaredError'))
  })
  it('Keras 3\'s serialize() output for every class and for plain functions', () => {
    for (const u of FIXTURE.serialized.losses) expect(E.isRight(decodeLoss(u, 'loss')), JSON.stringify(u)).toBe(true)
  })
  it('model.get_compile_config()\'s loss', () => {
    for (const cc of FIXTURE.compileConfigs) expect(decoded(cc.loss).className).toBe(cc.expect.loss)
  })
  it('encode writes the Keras 3 envelope, and decode(encode(s)) = s', () => {
    const s = lossSpec('Huber', { delta: 2, reduction: 'sum', name: 'h' })
    expect(encodeLoss(s)).toEqual({ module: 'keras.losses', class_name: 'Huber', config: { name: 'h', reduction: 'sum', delta: 2 }, registered_name: null })
    for (const c of LOSS_CLASSES) {
      const spec = lossSpec(c)
      expect(decoded(encodeLoss(spec))).toEqual(spec)
    }
    const sparse = lossSpec('SparseCategoricalCrossentropy', { ignore_class: 3, axis: 2 })
    expect(decoded(encodeLoss(sparse))).toEqual(sparse)
  })
})

describe('decodeLoss: errors', () => {
  const errs = (u: unknown, path = 'loss'): ReadonlyArray<{ readonly path: string; readonly message: string }> => left(decodeLoss(u, path))
  it('an unknown name, with a suggestion', () => {
    const [e, ...rest] = errs('categorical_crossentopy')
    expect(rest).toEqual([])
    expect(e?.path).toBe('loss')
    expect(e?.message).toMatch(/^unknown loss "categorical_crossentopy"; did you mean "categorical_crossentropy"\?; expected one of /)
  })
  it('prototype names are unknown names', () => {
    for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(errs(n)[0]?.message, n).toMatch(new RegExp(`^unknown loss "${n}"`))
    expect(errs({ class_name: '__proto__', config: {} })[0]).toMatchObject({ path: 'loss.class_name' })
    expect(errs({ class_name: 'constructor', config: {} })[0]?.message).toMatch(/^unknown loss class "constructor"/)
    expect(errs({ module: 'builtins', class_name: 'function', config: '__proto__' })[0]).toMatchObject({ path: 'loss.config' })
  })
  it('wrong types', () => {
    expect(errs(3)).toEqual([{ path: 'loss', message: 'expected a loss: a name such as "categorical_crossentropy" or an object {"class_name": …, "config": {…}}, found 3' }])
    expect(errs(null)[0]?.path).toBe('loss')
    expect(errs({ class_name: 'BinaryCrossentropy', config: { from_logits: 'true', label_smoothing: '0.1', axis: 1.5 } }, 'training_config.loss')).toEqual([
      { path: 'training_config.loss.config.from_logits', message: 'expected true or false, found the string "true"' },
      { path: 'training_config.loss.config.label_smoothing', message: 'expected a label_smoothing in [0, 1], found the string "0.1" (write the number without quotes)' },
      { path: 'training_config.loss.config.axis', message: 'expected an integer, found 1.5' }
    ])
    expect(errs({ class_name: 'MeanSquaredError', config: { name: 3 } })).toEqual([{ path: 'loss.config.name', message: 'expected a string, found 3' }])
  })
  it('unknown config keys, every one at once', () => {
    const e = errs({ class_name: 'CategoricalCrossentropy', config: { from_logit: true, label_smothing: 0.1, delta: 1 } })
    expect(e.map((x) => x.path)).toEqual(['loss.config.from_logit', 'loss.config.label_smothing', 'loss.config.delta'])
    expect(e[0]?.message).toBe('unknown CategoricalCrossentropy argument "from_logit"; did you mean "from_logits"?')
    expect(e[2]?.message).toMatch(/^unknown CategoricalCrossentropy argument "delta" \(accepted: /)
  })
  it('a bad reduction', () => {
    expect(errs({ class_name: 'MeanSquaredError', config: { reduction: 'summ' } })).toEqual([
      {
        path: 'loss.config.reduction',
        message: 'expected reduction to be "sum_over_batch_size", "sum", "mean_with_sample_weight", "none", "mean" or "auto" or null, found the string "summ"; did you mean "sum"?'
      }
    ])
    expect(errs({ class_name: 'MeanSquaredError', config: { reduction: 'SUM' } })[0]?.path).toBe('loss.config.reduction')
  })
  it('label_smoothing outside [0, 1], delta ≤ 0, a non-integer ignore_class', () => {
    expect(errs({ class_name: 'CategoricalCrossentropy', config: { label_smoothing: -0.1 } })).toEqual([
      { path: 'loss.config.label_smoothing', message: 'expected a label_smoothing in [0, 1], found -0.1' }
    ])
    expect(errs({ class_name: 'BinaryCrossentropy', config: { label_smoothing: 1.5 } })[0]?.message).toBe('expected a label_smoothing in [0, 1], found 1.5')
    expect(errs({ class_name: 'Huber', config: { delta: 0 } })).toEqual([{ path: 'loss.config.delta', message: 'expected a finite, positive number, found 0' }])
    expect(errs({ class_name: 'Huber', config: { delta: -1 } })[0]?.message).toBe('expected a finite, positive number, found -1')
    expect(errs({ class_name: 'SparseCategoricalCrossentropy', config: { ignore_class: 1.5 } })[0]).toEqual({ path: 'loss.config.ignore_class', message: 'expected an integer, found 1.5' })
  })
  it('a known Keras loss layerspec does not compute is rejected with that reason', () => {
    expect(errs('binary_focal_crossentropy')[0]?.message).toMatch(/^loss "binary_focal_crossentropy" is a Keras loss layerspec does not compute/)
    expect(errs({ class_name: 'Dice', config: {} })[0]).toMatchObject({ path: 'loss.class_name' })
  })
  it('envelope problems: missing config, unknown envelope keys', () => {
    expect(errs({ class_name: 'MeanSquaredError' })[0]?.path).toBe('loss.config')
    expect(errs({ class_name: 'MeanSquaredError', config: {}, confg: {} })[0]?.path).toBe('loss.confg')
  })
})

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

describe('compileLoss: shapes', () => {
  const compileErrs = (spec: LossSpec, out: ReadonlyArray<number>, label: ReadonlyArray<number>): ReadonlyArray<{ readonly path: string; readonly message: string }> =>
    left(compileLoss(spec, out, label, 'loss'))
  it('sparse labels (N,) and (N, 1) against (N, C); per position for per-pixel outputs', () => {
    const s = lossSpec('SparseCategoricalCrossentropy')
    for (const label of [[], [1]]) expect(E.isRight(compileLoss(s, [10], label, 'loss'))).toBe(true)
    for (const label of [[4, 4], [4, 4, 1]]) expect(E.isRight(compileLoss(s, [4, 4, 3], label, 'loss'))).toBe(true)
    expect(compileErrs(s, [10], [10])).toEqual([
      {
        path: 'loss',
        message:
          "SparseCategoricalCrossentropy expects one class index per output position: labels of shape (batch,) or (batch, 1) for outputs of shape (batch, 10), found labels of shape (batch, 10); one-hot labels of the outputs' shape need CategoricalCrossentropy"
      }
    ])
    expect(compileErrs(s, [], [])[0]?.message).toMatch(/needs outputs with a class axis, found outputs of shape \(batch,\)/)
    expect(compileErrs(lossSpec('SparseCategoricalCrossentropy', { axis: 1 }), [4, 3], [4])[0]?.message).toMatch(/expected axis -1 or 2 for outputs of shape \(batch, 4, 3\), found axis 1/)
  })
  it('(N,) labels against (N, 1) outputs, and the other way round', () => {
    expect(right(compileLoss(lossSpec('MeanSquaredError'), [1], [], 'loss')).spec.className).toBe('MeanSquaredError')
    expect(E.isRight(compileLoss(lossSpec('BinaryCrossentropy'), [], [1], 'loss'))).toBe(true)
    expect(right(planLoss(lossSpec('MeanSquaredError'), [3, 2, 1], [3, 2], 'loss')).lossShape).toEqual([3])
  })
  it('the same shape otherwise, with a hint for integer labels', () => {
    expect(compileErrs(lossSpec('CategoricalCrossentropy'), [10], [])).toEqual([
      {
        path: 'loss',
        message:
          'CategoricalCrossentropy compares labels and outputs element by element: expected labels of shape (batch, 10) (a trailing axis of size 1 may be added or left out), found labels of shape (batch,); integer class labels need SparseCategoricalCrossentropy'
      }
    ])
    expect(compileErrs(lossSpec('MeanSquaredError'), [3], [4])[0]?.message).toMatch(/found labels of shape \(batch, 4\)$/)
    expect(compileErrs(lossSpec('MeanSquaredError'), [], [])[0]?.message).toMatch(/outputs of shape \(batch,\) have none/)
  })
  it('axis: inside each sample, never the batch axis', () => {
    expect(compileErrs(lossSpec('CategoricalCrossentropy', { axis: 0 }), [3], [3])[0]?.message).toMatch(/is the batch axis/)
    expect(compileErrs(lossSpec('CategoricalCrossentropy', { axis: 3 }), [3], [3])[0]?.message).toMatch(/axis 3 of CategoricalCrossentropy is out of range for outputs of shape \(batch, 3\): expected an axis in \[-2, 1\]/)
    expect(right(planLoss(lossSpec('BinaryCrossentropy', { axis: -2 }), [4, 3], [4, 3], 'loss')).lossShape).toEqual([3])
  })
  it('"crossentropy" resolves by shapes (reference §5.1)', () => {
    const ce = decoded('crossentropy')
    expect(right(compileLoss(ce, [1], [1], 'loss')).spec.className).toBe('BinaryCrossentropy')
    expect(right(compileLoss(ce, [5], [], 'loss')).spec.className).toBe('SparseCategoricalCrossentropy')
    expect(right(compileLoss(ce, [5], [1], 'loss')).spec.className).toBe('SparseCategoricalCrossentropy')
    expect(right(compileLoss(ce, [5], [5], 'loss')).spec).toMatchObject({ className: 'CategoricalCrossentropy', name: 'crossentropy' })
  })
  it('reduction "none" cannot train, and says why (with any shape error)', () => {
    const e = compileErrs(lossSpec('MeanSquaredError', { reduction: 'none' }), [3], [4])
    expect(e[0]?.message).toMatch(/^reduction "none" leaves one loss per sample element, and training needs one number/)
    expect(e).toHaveLength(2)
  })
  it('rejects bad per-sample shapes', () => {
    expect(compileErrs(lossSpec('MeanSquaredError'), [0], [0])[0]?.message).toMatch(/positive integers/)
  })
})

describe('compiled losses: run-time checks', () => {
  const mse = right(compileLoss(lossSpec('MeanSquaredError'), [2], [2], 'loss'))
  it('lengths must match the batch', () => {
    expect(() => mse.value(new Float32Array(4), new Float32Array(3), 2)).toThrow(/yPred has 3 values; expected batch × 2 = 4/)
    expect(() => mse.value(new Float32Array(2), new Float32Array(4), 2)).toThrow(/yTrue has 2 values/)
    expect(() => mse.value(new Float32Array(4), new Float32Array(4), 2, new Float32Array(3))).toThrow(/sampleWeight has 3 values/)
  })
  it('sparse labels must be class indices (Keras truncates floats)', () => {
    const s = right(compileLoss(lossSpec('SparseCategoricalCrossentropy', { from_logits: true }), [3], [], 'loss'))
    expect(() => s.value(Float32Array.of(3), Float32Array.of(0, 0, 0), 1)).toThrow(/sparse label 3 at position 0 of yTrue: expected a class index in \[0, 2\]/)
    expect(() => s.value(Float32Array.of(Number.NaN), Float32Array.of(0, 0, 0), 1)).toThrow(RangeError)
    expect(s.value(Float32Array.of(1.7), Float32Array.of(0, 0, 0), 1)).toBeCloseTo(Math.log(3), 12)
  })
  it('an empty batch has loss 0', () => {
    expect(mse.valueAndGrad(new Float32Array(0), new Float32Array(0), 0)).toEqual({ value: 0, grad: new Float32Array(0) })
  })
})
