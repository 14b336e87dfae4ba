/**
 * `compileTrainer` by example: closed-form steps of tiny models (computed here by hand in float64, not
 * by the trainer), purity, what `trainable: false` and BatchNormalization's moving statistics do,
 * Dropout's masks, the crossentropy-from-logits shortcut Keras's TensorFlow backend takes, regularizers
 * and constraints in the step, and the errors of a config or a model that cannot be trained.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { layer, layers, sequential } from '../../src/model/builder.js'
import { decodeModel } from '../../src/model/decodeModel.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { compileTrainer, type Batch } from '../../src/train/Trainer.js'
import { left, right } from '../helpers.js'

const t64 = (shape: ReadonlyArray<number>, values: ReadonlyArray<number>): Tensor => ({ shape, data: Float64Array.from(values) })
const t32 = (shape: ReadonlyArray<number>, values: ReadonlyArray<number>): Tensor => ({ shape, data: Float32Array.from(values) })

const dense1 = (extra: object = {}): ModelSpec => right(sequential([layers.dense({ units: 1, ...extra })], { input_shape: [2] }))

describe('one step, by hand', () => {
  it('Dense(1), mean squared error, SGD: w ← w − lr·(2/N)·Σ(ŷ − y)·x, b likewise', () => {
    const trainer = right(compileTrainer(dense1(), { loss: 'mse', optimizer: { class_name: 'SGD', config: { learning_rate: 0.1 } } }, { dtype: 'float64' }))
    const w = [0.5, -0.25]
    const b0 = 0.1
    const params = [t64([2, 1], w), t64([1], [b0])]
    const x = [1, 2, -1, 0.5, 3, -2]
    const y = [1, 0, 2]
    const batch: Batch = { x: [t64([3, 2], x)], y: [t64([3, 1], y)] }
    const pred = [0, 1, 2].map((n) => (x[2 * n] as number) * (w[0] as number) + (x[2 * n + 1] as number) * (w[1] as number) + b0)
    const err = pred.map((p, n) => p - (y[n] as number))
    const loss = err.reduce((a, e) => a + e * e, 0) / 3
    const gw = [0, 1].map((k) => (2 / 3) * err.reduce((a, e, n) => a + e * (x[2 * n + k] as number), 0))
    const gb = (2 / 3) * err.reduce((a, e) => a + e, 0)
    const r = trainer.step(trainer.init(params), batch)
    expect(r.loss).toBeCloseTo(loss, 14)
    const [kw, kb] = r.state.params as [Tensor, Tensor]
    // Keras keeps the learning rate in a float32 variable: 0.1 is 0.10000000149011612
    const lr = Math.fround(0.1)
    expect(Array.from(kw.data)).toEqual(w.map((v, k) => v - lr * (gw[k] as number)).map((v) => expect.closeTo(v, 14) as unknown as number))
    expect(kb.data[0]).toBeCloseTo(b0 - lr * gb, 14)
    expect(r.state.step).toBe(1)
    const vg = trainer.valueAndGrad(params, batch)
    expect(vg.loss).toBeCloseTo(loss, 14)
    expect(vg.grads[0]?.data[0]).toBeCloseTo(gw[0] as number, 14)
  })

  it('an L2 kernel regularizer adds l2·Σw² to the loss and 2·l2·w to the gradient; a non_neg constraint clips after the update', () => {
    const model = dense1({ use_bias: false, kernel_regularizer: { class_name: 'L2', config: { l2: 0.5 } }, kernel_constraint: { class_name: 'NonNeg', config: {} } })
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: { class_name: 'SGD', config: { learning_rate: 1 } } }, { dtype: 'float64' }))
    const params = [t64([2, 1], [0.5, 0.2])]
    const batch: Batch = { x: [t64([1, 2], [0, 0])], y: [t64([1, 1], [0])] }
    // prediction 0 = target: only the penalty 0.5·(0.25 + 0.04); gradient 2·0.5·w = w; w − 1·w = 0 ≥ 0 kept
    const vg = trainer.valueAndGrad(params, batch)
    expect(vg.loss).toBeCloseTo(0.5 * (0.25 + 0.04), 14)
    expect(Array.from(vg.grads[0]?.data ?? [])).toEqual([0.5, 0.2])
    const big = right(compileTrainer(model, { loss: 'mse', optimizer: { class_name: 'SGD', config: { learning_rate: 3 } } }, { dtype: 'float64' }))
    // w − 3·w = −2w < 0: the constraint makes it 0
    expect(Array.from(big.step(big.init(params), batch).state.params[0]?.data ?? [])).toEqual([0, 0])
  })
})

describe('purity and determinism', () => {
  const model = right(
    sequential([layers.conv2d({ filters: 2, kernel_size: 2 }), layers.batchNormalization(), layers.dropout({ rate: 0.5 }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })], { input_shape: [4, 4, 1] })
  )
  const trainer = right(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] }))
  const params = trainer.compiled.init(3)
  const batch: Batch = { x: [t32([2, 4, 4, 1], Array.from({ length: 32 }, (_, i) => Math.sin(i)))], y: [t32([2], [0, 2])] }
  const copies = { params: params.map((p) => Float32Array.from(p.data)), x: Float32Array.from(batch.x[0]?.data ?? []) }

  it('the same state and batch give bit-identical results; nothing passed in is written', () => {
    const s = trainer.init(params, 42)
    const a = trainer.step(s, batch)
    const b = trainer.step(s, batch)
    expect(a.loss).toBe(b.loss)
    a.state.params.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(b.state.params[i]?.data ?? [])))
    params.forEach((p, i) => expect(p.data).toEqual(copies.params[i]))
    expect(batch.x[0]?.data).toEqual(copies.x)
    expect(Object.keys(a.metrics)).toEqual(['accuracy'])
  })

  it('dropout masks follow the key and the step: another key, another loss; evaluate runs without dropout (deterministic)', () => {
    const l1 = trainer.valueAndGrad(params, batch, 1).loss
    const l2 = trainer.valueAndGrad(params, batch, 2).loss
    expect(l1).not.toBe(l2)
    expect(trainer.valueAndGrad(params, batch, 1).loss).toBe(l1)
    expect(trainer.evaluate(params, batch).loss).toBe(trainer.evaluate(params, batch).loss)
  })

  it('BatchNormalization updates its moving statistics by momentum from the batch (biased variance, Keras 3)', () => {
    const bnModel = right(sequential([layers.batchNormalization({ momentum: 0.9 }), layers.flatten(), layers.dense({ units: 1 })], { input_shape: [2, 1, 1] }))
    const tr = right(compileTrainer(bnModel, { loss: 'mse', optimizer: { class_name: 'SGD', config: { learning_rate: 0 } } }, { dtype: 'float64' }))
    const ps = tr.compiled.init(0)
    const xs = [1, 2, 3, 6] // channel values over batch 2 × 2 rows
    const r = tr.step(tr.init(ps), { x: [t64([2, 2, 1, 1], xs)], y: [t64([2, 1], [0, 0])] })
    const mean = 3
    const variance = ((1 - 3) ** 2 + (2 - 3) ** 2 + (3 - 3) ** 2 + (6 - 3) ** 2) / 4
    const names = tr.compiled.weights.map((w) => w.name)
    expect(r.state.params[names.indexOf('moving_mean')]?.data[0]).toBeCloseTo(0.9 * 0 + 0.1 * mean, 14)
    expect(r.state.params[names.indexOf('moving_variance')]?.data[0]).toBeCloseTo(0.9 * 1 + 0.1 * variance, 14)
  })

  it('a layer with trainable: false keeps its weights and gets no gradient', () => {
    const frozen = right(sequential([layers.dense({ units: 2, trainable: false }), layers.dense({ units: 1 })], { input_shape: [3] }))
    const tr = right(compileTrainer(frozen, { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    const ps = tr.compiled.init(1)
    const b: Batch = { x: [t64([2, 3], [1, 2, 3, 4, 5, 6])], y: [t64([2, 1], [1, -1])] }
    const after = tr.step(tr.init(ps), b).state.params
    expect(after[0]?.data).toEqual(ps[0]?.data)
    expect(after[1]?.data).toEqual(ps[1]?.data)
    expect(after[2]?.data).not.toEqual(ps[2]?.data)
    expect(tr.valueAndGrad(ps, b).grads.slice(0, 2)).toEqual([null, null])
  })
})

describe('nested models', () => {
  it('a Sequential inside a Sequential (tf.keras JSON): its weights get the finite-difference gradient', () => {
    const dense = (name: string, units: number, extra: object = {}) => ({ class_name: 'Dense', config: { name, units, activation: 'tanh', ...extra } })
    const model = right(
      decodeModel({
        class_name: 'Sequential',
        config: { name: 'outer', layers: [dense('d1', 3, { batch_input_shape: [null, 2] }), { class_name: 'Sequential', config: { name: 'inner', layers: [dense('d_in', 2, { batch_input_shape: [null, 3] })] } }, dense('d2', 1)] }
      })
    )
    const tr = right(compileTrainer(model, { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    expect(tr.compiled.weights.map((w) => w.path)).toContain('inner/d_in/kernel')
    const ps = tr.compiled.init(5)
    const b: Batch = { x: [t64([2, 2], [0.3, -0.7, 1.1, 0.4])], y: [t64([2, 1], [0.5, -0.5])] }
    const { grads } = tr.valueAndGrad(ps, b)
    const h = 1e-6
    ps.forEach((p, i) => {
      for (let k = 0; k < p.data.length; k++) {
        const at = (d: number): number => tr.valueAndGrad(ps.map((q, j) => (j === i ? { shape: q.shape, data: Float64Array.from(q.data, (v, m) => (m === k ? v + d : v)) } : q)), b).loss
        expect(grads[i]?.data[k]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 7)
      }
    })
  })
})

describe('crossentropy of a softmax output: from its logits, as Keras on TensorFlow computes it', () => {
  it('logits (40, 0, 0), true class 1: the loss is 40 (not the clipped 16.118), and the gradient p − y', () => {
    const model = right(sequential([layers.dense({ units: 3, activation: 'softmax', use_bias: false })], { input_shape: [1] }))
    const tr = right(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: 'sgd' }, { dtype: 'float64' }))
    const ps = [t64([1, 3], [40, 0, 0])]
    const b: Batch = { x: [t64([1, 1], [1])], y: [t64([1], [1])] }
    expect(tr.evaluate(ps, b).loss).toBeCloseTo(40, 10)
    const g = tr.valueAndGrad(ps, b).grads[0]?.data ?? new Float64Array(3)
    const p = [1 / (1 + 2 * Math.exp(-40)), Math.exp(-40) / (1 + 2 * Math.exp(-40)), Math.exp(-40) / (1 + 2 * Math.exp(-40))]
    expect(g[0]).toBeCloseTo(p[0] as number, 12)
    expect(g[1]).toBeCloseTo((p[1] as number) - 1, 12)
  })
})

describe('errors: every problem at once, with its path', () => {
  it('an unknown loss and optimizer are reported at loss and optimizer', () => {
    const errors = left(compileTrainer(dense1(), { loss: 'mean_squared_eror', optimizer: 'adamm' }))
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['loss', 'optimizer']))
  })

  it("a layer without a gradient (tf.keras 2.x's RandomFlip) is named with its path and the reason", () => {
    const tf2 = right(sequential([layer('RandomFlip', { mode: 'horizontal' }), layers.flatten()], { input_shape: [4, 4, 1], dialect: 'keras2' }))
    const tf2Errors = left(compileTrainer(tf2, { loss: 'mse', optimizer: 'sgd' }))
    expect(tf2Errors.some((e) => /RandomFlip/.test(e.message) && /tf\.keras 2\.x/.test(e.message))).toBe(true)
  })

  it('a batch of the wrong form is a TypeError naming what was expected', () => {
    const tr = right(compileTrainer(dense1(), { loss: 'mse', optimizer: 'sgd' }))
    const s = tr.init(tr.compiled.init(0))
    expect(() => tr.step(s, { x: [], y: [] })).toThrow(/expects 1 input tensor\(s\) and 1 target tensor\(s\), found 0 and 0/)
  })
})
