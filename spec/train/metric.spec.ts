/**
 * Keras metrics (src/train/metric/): each metric against the value real Keras 3.15 reports after one or
 * two `update_state` calls (spec/fixtures/keras3/train/losses.json, scripts/golden/losses.py), with the
 * name Keras gives it; the resolution of "accuracy" / "acc" / "crossentropy" by shapes; every decoding
 * form and error; the shape errors; and `uniqueMetricNames`.
 *
 * Tolerance against Keras (float32, layerspec float64): 1e-6 relative + 1e-7 absolute; accuracies exactly.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { compileMetric } from '../../src/train/metric/metric.js'
import { decodeMetric, decodeMetrics, METRIC_CLASSES, METRIC_STRING_NAMES, metricSpec, uniqueMetricNames, type MetricSpec } from '../../src/train/metric/MetricSpec.js'
import { left, readJson, right } from '../helpers.js'

interface MetricCase {
  readonly id: string
  readonly metric: unknown
  readonly kerasClass: string
  readonly name: string
  readonly outputShape: ReadonlyArray<number>
  readonly labelShape: ReadonlyArray<number>
  readonly batches: ReadonlyArray<{ readonly batch: number; readonly yTrue: ReadonlyArray<number>; readonly yPred: ReadonlyArray<number> }>
  readonly value: number
}

interface Fixture {
  readonly keras_version: string
  readonly metrics: ReadonlyArray<MetricCase>
  readonly compileConfigs: ReadonlyArray<{ readonly metrics: unknown; readonly expect: { readonly metrics: ReadonlyArray<string> } }>
  readonly serialized: { readonly metrics: ReadonlyArray<unknown> }
}

const FIXTURE = readJson('spec/fixtures/keras3/train/losses.json') as Fixture

describe(`metrics against Keras ${FIXTURE.keras_version}`, () => {
  for (const c of FIXTURE.metrics) {
    it(`${c.id} (${c.kerasClass})`, () => {
      const spec = right(decodeMetric(c.metric, 'metrics[0]'))
      const m = right(compileMetric(spec, c.outputShape, c.labelShape, 'metrics[0]'))
      expect(m.name).toBe(c.name)
      expect(m.spec.className).toBe(c.kerasClass === 'MeanMetricWrapper' ? m.spec.className : c.kerasClass)
      let sum = 0
      let count = 0
      for (const b of c.batches) {
        const u = m.update(Float32Array.from(b.yTrue), Float32Array.from(b.yPred), b.batch)
        sum += u.sum
        count += u.count
      }
      const value = count === 0 ? 0 : sum / count
      expect(Math.abs(value - c.value), `${value} vs Keras ${c.value}`).toBeLessThanOrEqual(1e-6 * Math.abs(c.value) + 1e-7)
    })
  }
})

const decoded = (u: unknown): MetricSpec => right(decodeMetric(u, 'metrics[0]'))

describe('decodeMetric', () => {
  it('"accuracy", "acc" (any case) stay unresolved and keep the user\'s string', () => {
    for (const n of ['accuracy', 'acc', 'ACC', 'Accuracy']) expect(decoded(n)).toEqual(metricSpec('accuracy', { name: n }))
    for (const n of ['crossentropy', 'ce']) expect(decoded(n)).toEqual(metricSpec('crossentropy', { name: n }))
  })
  it('strings of Keras 3, tf.keras 2.x and TensorFlow.js', () => {
    expect(decoded('mae')).toEqual(metricSpec('MeanAbsoluteError', { name: 'mae' }))
    expect(decoded('binary_accuracy')).toEqual(metricSpec('BinaryAccuracy', { name: 'binary_accuracy' }))
    expect(decoded('top_k_categorical_accuracy').className).toBe('TopKCategoricalAccuracy')
    expect(decoded('logcosh').className).toBe('LogCoshError')
    expect(decoded('kullback_leibler_divergence').className).toBe('KLDivergence')
    expect(decoded('categoricalAccuracy')).toEqual(metricSpec('CategoricalAccuracy', { name: 'categoricalAccuracy' }))
    expect(decoded('BinaryAccuracy')).toEqual(metricSpec('BinaryAccuracy'))
    for (const n of METRIC_STRING_NAMES) expect(E.isRight(decodeMetric(n, 'm')), n).toBe(true)
    // "Accuracy" is also Keras 3's equality metric class, but as a string Keras resolves it by shapes.
    for (const c of METRIC_CLASSES) expect(decoded(c)).toEqual(c === 'Accuracy' ? metricSpec('accuracy', { name: 'Accuracy' }) : metricSpec(c))
  })
  it('class envelopes (Keras 3 and TF 2.x)', () => {
    expect(decoded({ module: 'keras.metrics', class_name: 'BinaryAccuracy', config: { name: 'ba', dtype: 'float32', threshold: 0.7 }, registered_name: null })).toEqual(
      metricSpec('BinaryAccuracy', { name: 'ba', threshold: 0.7 })
    )
    expect(decoded({ class_name: 'TopKCategoricalAccuracy', config: { k: 3 } })).toEqual(metricSpec('TopKCategoricalAccuracy', { k: 3 }))
    expect(decoded({ class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true, ignore_class: 0 } })).toEqual(
      metricSpec('SparseCategoricalCrossentropy', { from_logits: true, ignore_class: 0 })
    )
  })
  it('TF 2.x MeanMetricWrapper and the Keras 3 function form', () => {
    expect(decoded({ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'binary_accuracy' } })).toEqual(metricSpec('BinaryAccuracy', { name: 'accuracy' }))
    expect(decoded({ class_name: 'MeanMetricWrapper', config: { fn: { module: 'builtins', class_name: 'function', config: 'top_k_categorical_accuracy', registered_name: 'function' }, k: 2 } })).toEqual(
      metricSpec('TopKCategoricalAccuracy', { name: 'top_k_categorical_accuracy', k: 2 })
    )
    expect(decoded({ module: 'builtins', class_name: 'function', config: 'sparse_categorical_accuracy', registered_name: 'function' })).toEqual(
      metricSpec('SparseCategoricalAccuracy', { name: 'sparse_categorical_accuracy' })
    )
  })
  it('Keras 3\'s serialize() output for every class', () => {
    for (const u of FIXTURE.serialized.metrics) expect(E.isRight(decodeMetric(u, 'm')), JSON.stringify(u)).toBe(true)
  })
  it('model.get_compile_config()\'s metrics', () => {
    for (const cc of FIXTURE.compileConfigs) {
      const specs = right(decodeMetrics(cc.metrics, 'metrics'))
      expect(specs.map((s) => s.className)).toEqual(cc.expect.metrics)
    }
  })
  it('errors: unknown names with a suggestion, prototype names, stateful metrics, bad arguments', () => {
    const e = left(decodeMetric('binary_acuracy', 'metrics[2]'))
    expect(e[0]?.path).toBe('metrics[2]')
    expect(e[0]?.message).toMatch(/^unknown metric "binary_acuracy"; did you mean "binary_accuracy"\?/)
    for (const n of ['__proto__', 'constructor']) expect(left(decodeMetric(n, 'm'))[0]?.message).toMatch(new RegExp(`^unknown metric "${n}"`))
    expect(left(decodeMetric({ class_name: 'MeanMetricWrapper', config: { fn: '__proto__' } }, 'm'))[0]).toMatchObject({ path: 'm.config.fn' })
    expect(left(decodeMetric('AUC', 'm'))[0]?.message).toMatch(/^metric "AUC" is not a mean of per-sample values/)
    expect(left(decodeMetric('cosine', 'm'))[0]?.message).toMatch(/TensorFlow\.js's metric "cosine"/)
    expect(left(decodeMetric({ class_name: 'TopKCategoricalAccuracy', config: { k: 0, treshold: 1 } }, 'm'))).toEqual([
      { path: 'm.config.k', message: 'expected a positive integer, found 0, which is not positive' },
      { path: 'm.config.treshold', message: 'unknown TopKCategoricalAccuracy argument "treshold" (accepted: "name", "k" or "dtype")' }
    ])
    expect(left(decodeMetric({ class_name: 'SparseTopKCategoricalAccuracy', config: { from_sorted_ids: true } }, 'm'))[0]?.path).toBe('m.config.from_sorted_ids')
    expect(left(decodeMetric({ class_name: 'MeanMetricWrapper', config: { name: 'x' } }, 'm'))[0]).toMatchObject({ path: 'm.config.fn' })
    expect(left(decodeMetric({ class_name: 'BinaryCrossentropy', config: { label_smoothing: 2 } }, 'm'))[0]?.path).toBe('m.config.label_smoothing')
  })
})

describe('decodeMetrics', () => {
  it('lists, TF 2.x\'s one list per output, a one-output object, nothing', () => {
    expect(right(decodeMetrics(null, 'metrics'))).toEqual([])
    expect(right(decodeMetrics(undefined, 'metrics'))).toEqual([])
    expect(right(decodeMetrics(['acc', 'mae'], 'metrics')).map((s) => s.name)).toEqual(['acc', 'mae'])
    const tf2 = [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'binary_accuracy' } }]]
    expect(right(decodeMetrics(tf2, 'metrics'))).toEqual([metricSpec('BinaryAccuracy', { name: 'accuracy' })])
    expect(right(decodeMetrics({ dense_1: ['accuracy'] }, 'metrics'))).toEqual([metricSpec('accuracy')])
  })
  it('every error at once, at its path', () => {
    expect(left(decodeMetrics(['acc', 'foo', 3], 'metrics')).map((e) => e.path)).toEqual(['metrics[1]', 'metrics[2]'])
    expect(left(decodeMetrics([['bar']], 'metrics'))[0]?.path).toBe('metrics[0][0]')
    expect(left(decodeMetrics('accuracy', 'metrics'))[0]?.message).toBe('expected a list of metrics (Keras\'s metrics=[...]), found the string "accuracy"')
    expect(left(decodeMetrics([['acc'], ['acc']], 'metrics'))[0]?.message).toMatch(/found 2 lists \(one per output/)
    expect(left(decodeMetrics({ a: ['acc'], b: ['acc'] }, 'metrics'))[0]?.message).toMatch(/an object with 2 keys/)
  })
})

describe('compileMetric', () => {
  const compiled = (spec: MetricSpec, out: ReadonlyArray<number>, label: ReadonlyArray<number>): MetricSpec['className'] => right(compileMetric(spec, out, label, 'metrics[0]')).spec.className
  it('resolves "accuracy" by Keras 3\'s shape rule (reference §5.1)', () => {
    const acc = metricSpec('accuracy', { name: 'acc' })
    expect(compiled(acc, [1], [])).toBe('BinaryAccuracy')
    expect(compiled(acc, [1], [1])).toBe('BinaryAccuracy')
    expect(compiled(acc, [5], [])).toBe('SparseCategoricalAccuracy')
    expect(compiled(acc, [5], [1])).toBe('SparseCategoricalAccuracy')
    expect(compiled(acc, [5], [5])).toBe('CategoricalAccuracy')
    expect(compiled(acc, [2], [2])).toBe('CategoricalAccuracy')
    expect(right(compileMetric(acc, [5], [5], 'm')).name).toBe('acc')
    const ce = metricSpec('crossentropy', { name: 'ce' })
    expect(compiled(ce, [1], [1])).toBe('BinaryCrossentropy')
    expect(compiled(ce, [4], [])).toBe('SparseCategoricalCrossentropy')
    expect(compiled(ce, [4], [4])).toBe('CategoricalCrossentropy')
  })
  it('shape errors name the expected and found shapes', () => {
    expect(left(compileMetric(metricSpec('CategoricalAccuracy'), [5], [], 'metrics[0]'))).toEqual([
      {
        path: 'metrics[0]',
        message:
          'CategoricalAccuracy compares the argmax of one-hot labels with the outputs: expected labels of shape (batch, 5) (one value per class), found labels of shape (batch,); integer class labels need SparseCategoricalAccuracy'
      }
    ])
    expect(left(compileMetric(metricSpec('SparseCategoricalAccuracy'), [5], [5], 'm'))[0]?.message).toMatch(/labels of shape \(batch,\) or \(batch, 1\) for outputs of shape \(batch, 5\), found labels of shape \(batch, 5\)/)
    expect(left(compileMetric(metricSpec('BinaryAccuracy'), [3], [2], 'm'))[0]?.message).toMatch(/expected labels of shape \(batch, 3\)/)
    expect(left(compileMetric(metricSpec('MeanSquaredError'), [3], [2], 'm'))[0]?.path).toBe('m')
  })
  it('binary accuracy is strict at the threshold; argmax ties go to the first index', () => {
    const b = right(compileMetric(metricSpec('BinaryAccuracy', { threshold: 0.5 }), [2], [2], 'm'))
    expect(b.update(Float32Array.of(0, 1), Float32Array.of(0.5, 0.5), 1)).toEqual({ sum: 0.5, count: 1 })
    const c = right(compileMetric(metricSpec('CategoricalAccuracy'), [3], [3], 'm'))
    expect(c.update(Float32Array.of(1, 0, 0, 0, 1, 0), Float32Array.of(0.4, 0.4, 0.2, 0.4, 0.4, 0.2), 2)).toEqual({ sum: 1, count: 2 })
  })
  it('per-pixel metrics average each sample first', () => {
    const s = right(compileMetric(metricSpec('SparseCategoricalAccuracy'), [2, 2], [2], 'm'))
    // sample 0: both positions right; sample 1: one of two.
    expect(s.update(Float32Array.of(0, 1, 1, 1), Float32Array.of(0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4), 2)).toEqual({ sum: 1.5, count: 2 })
  })
  it('does not write its inputs', () => {
    const y = Float32Array.of(0, 2)
    const p = Float32Array.of(0.2, 0.3, 0.5, 0.1, 0.1, 0.8)
    const m = right(compileMetric(metricSpec('SparseCategoricalCrossentropy'), [3], [], 'm'))
    m.update(y, p, 2)
    expect(Array.from(y)).toEqual([0, 2])
    expect(Array.from(p)).toEqual(Array.from(Float32Array.of(0.2, 0.3, 0.5, 0.1, 0.1, 0.8)))
  })
})

describe('uniqueMetricNames', () => {
  it('suffixes repeats with _1, _2, … skipping names already taken', () => {
    expect(uniqueMetricNames(['acc', 'acc', 'mae', 'acc'])).toEqual(['acc', 'acc_1', 'mae', 'acc_2'])
    expect(uniqueMetricNames(['acc', 'acc_1', 'acc'])).toEqual(['acc', 'acc_1', 'acc_2'])
    expect(uniqueMetricNames([])).toEqual([])
  })
})
