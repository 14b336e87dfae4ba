/**
 * Training through the convolution family (issue 14) in the trainer: Keras's semantics of the new
 * weights — regularizers (`depthwise_regularizer`, `pointwise_regularizer`, Keras 3's DepthwiseConv1D
 * `kernel` under `depthwise_regularizer`) in the loss and gradient, constraints
 * (`depthwise_constraint`, `pointwise_constraint`) after the update, `trainable: false` — and the
 * example causal TCN (examples/models/causal-tcn.keras3.json, causal Conv1D with dilations 1-8 and
 * residual adds) fitted for a few epochs on a forecasting task: its loss falls. And the train graph
 * follows a node's spec: a model lowered as the model compiler lowers it (`family: true`: rank-1
 * layers as their 2-D selves on height-1 views, causal as explicit padding, separable layers as two
 * nodes) trains to the same outputs and gradients as the trainer's own lowering (one node per layer).
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { layer, layers, sequential } from '../../src/model/builder.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { lowerModel } from '../../src/compiler/lower.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { compileTrainGraph } from '../../src/train/TrainGraph.js'
import { compileTrainer, type Batch } from '../../src/train/Trainer.js'
import { fit } from '../../src/train/fit.js'
import { readJson, right } from '../helpers.js'

/** A deterministic stream of values in [−1, 1). */
const values = (seed: number, n: number): Float64Array => {
  let s = (seed * 2654435761 + 12345) >>> 0
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

const sumSq = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v * v, 0)
const sumAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + Math.abs(v), 0)

describe('the new weights in the trainer', () => {
  const sgd = (lr: number) => ({ class_name: 'SGD', config: { learning_rate: lr } })

  it('SeparableConv2D: depthwise (L2) and pointwise (L1) regularizers in the loss and gradient; their constraints after the update', () => {
    const reg = { depthwise_regularizer: { class_name: 'L2', config: { l2: 0.3 } }, pointwise_regularizer: { class_name: 'L1', config: { l1: 0.2 } } }
    const model = right(
      sequential([layer('SeparableConv2D', { filters: 2, kernel_size: 2, depth_multiplier: 2, ...reg, depthwise_constraint: { class_name: 'NonNeg', config: {} }, pointwise_constraint: { class_name: 'NonNeg', config: {} } }), layers.flatten()], {
        input_shape: [3, 3, 2]
      })
    )
    const plain = right(sequential([layer('SeparableConv2D', { filters: 2, kernel_size: 2, depth_multiplier: 2 }), layers.flatten()], { input_shape: [3, 3, 2] }))
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: sgd(10) }, { dtype: 'float64' }))
    const without = right(compileTrainer(plain, { loss: 'mse', optimizer: sgd(10) }, { dtype: 'float64' }))
    expect(trainer.compiled.weights.map((w) => w.name)).toEqual(['depthwise_kernel', 'pointwise_kernel', 'bias'])
    const params: Tensor[] = trainer.compiled.weights.map((w, i) => ({ shape: w.shape, data: values(i + 1, w.shape.reduce((a, b) => a * b, 1)) }))
    const batch: Batch = { x: [{ shape: [2, 3, 3, 2], data: values(7, 36) }], y: [{ shape: [2, 8], data: values(8, 16) }] }
    const a = trainer.valueAndGrad(params, batch)
    const b = without.valueAndGrad(params, batch)
    const [dk, pk] = params as [Tensor, Tensor]
    expect(a.loss - b.loss).toBeCloseTo(0.3 * sumSq(dk.data) + 0.2 * sumAbs(pk.data), 12)
    dk.data.forEach((v, k) => expect((a.grads[0]?.data[k] as number) - (b.grads[0]?.data[k] as number)).toBeCloseTo(2 * 0.3 * v, 12))
    pk.data.forEach((v, k) => expect((a.grads[1]?.data[k] as number) - (b.grads[1]?.data[k] as number)).toBeCloseTo(0.2 * Math.sign(v), 12))
    // a large step drives some entries negative: NonNeg clips both kernels, the bias (no constraint) keeps its sign
    const next = trainer.step(trainer.init(params), batch).state.params
    expect(Math.min(...Array.from(next[0]?.data ?? []))).toBeGreaterThanOrEqual(0)
    expect(Math.min(...Array.from(next[1]?.data ?? []))).toBeGreaterThanOrEqual(0)
    const unconstrained = without.step(without.init(params), batch).state.params
    expect(Math.min(...Array.from(unconstrained[0]?.data ?? []))).toBeLessThan(0)
  })

  it("DepthwiseConv1D (Keras 3 names its kernel `kernel`) and DepthwiseConv2D: the depthwise regularizer is the kernel's", () => {
    for (const [cls, shape] of [
      ['DepthwiseConv1D', [5, 2]],
      ['DepthwiseConv2D', [4, 4, 2]]
    ] as const) {
      const reg = { class_name: 'L2', config: { l2: 0.25 } }
      const model = right(sequential([layer(cls, { kernel_size: 2, depth_multiplier: 2, depthwise_regularizer: reg }), layers.flatten()], { input_shape: shape }))
      const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: sgd(0.1) }, { dtype: 'float64' }))
      expect(trainer.compiled.weights[0]?.name).toBe('kernel')
      const params: Tensor[] = trainer.compiled.weights.map((w, i) => ({ shape: w.shape, data: values(i + 3, w.shape.reduce((a, b) => a * b, 1)) }))
      const n = shape.reduce((a: number, b: number) => a * b, 1)
      const outSize = trainer.compiled.outputShapes[0]?.reduce((a, b) => a * b, 1) ?? 0
      // zero input and zero bias, zero target: the loss is the penalty alone, the gradient 2·l2·w
      const zero = params.map((p, i) => (i === 1 ? { shape: p.shape, data: new Float64Array(p.data.length) } : p))
      const batch: Batch = { x: [{ shape: [1, ...shape], data: new Float64Array(n) }], y: [{ shape: [1, outSize], data: new Float64Array(outSize) }] }
      const r = trainer.valueAndGrad(zero, batch)
      expect(r.loss, cls).toBeCloseTo(0.25 * sumSq(params[0]?.data ?? []), 12)
      params[0]?.data.forEach((v, k) => expect(r.grads[0]?.data[k], cls).toBeCloseTo(0.5 * v, 12))
    }
  })

  it('trainable: false — a frozen Conv3D gets no gradient and keeps its weights; the gradient still flows through it', () => {
    const model = right(
      sequential(
        [
          layer('Conv3D', { filters: 2, kernel_size: 2, activation: 'tanh' }),
          layer('Conv3DTranspose', { filters: 2, kernel_size: 2, strides: 2, padding: 'same', trainable: false }),
          layer('Conv3D', { filters: 1, kernel_size: 1 }),
          layer('GlobalAveragePooling3D')
        ],
        { input_shape: [3, 3, 3, 1] }
      )
    )
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: sgd(0.5) }, { dtype: 'float64' }))
    expect(trainer.compiled.weights.map((w) => w.trainable)).toEqual([true, true, false, false, true, true])
    const params = trainer.compiled.init(3)
    const batch: Batch = { x: [{ shape: [2, 3, 3, 3, 1], data: values(1, 54) }], y: [{ shape: [2, 1], data: Float64Array.from([1, -1]) }] }
    const r = trainer.valueAndGrad(params, batch)
    expect(r.grads.map((g) => g === null)).toEqual([false, false, true, true, false, false])
    expect(sumAbs(r.grads[0]?.data ?? [])).toBeGreaterThan(0)
    const next = trainer.step(trainer.init(params), batch).state.params
    expect(next[2]?.data).toEqual(params[2]?.data)
    expect(next[0]?.data).not.toEqual(params[0]?.data)
  })
})

describe('example: the causal TCN (examples/models/causal-tcn.keras3.json) learns to forecast', () => {
  it('fits a noisy sum of sines for a few epochs (Adam): the loss falls', () => {
    const file = right(decodeModelFile(readJson('examples/models/causal-tcn.keras3.json')))
    const trainer = right(compileTrainer(file.model, { loss: 'mse', optimizer: { class_name: 'Adam', config: { learning_rate: 0.003 } } }))
    expect(trainer.compiled.inputShapes).toEqual([[64, 2]])
    expect(trainer.compiled.outputShapes).toEqual([[64, 1]])
    // 32 series of 64 steps, two channels (a signal and its phase clock); target: the signal 1 step ahead
    const N = 32
    const L = 64
    const noise = values(5, N * (L + 1))
    const x = new Float32Array(N * L * 2)
    const y = new Float32Array(N * L)
    for (let n = 0; n < N; n++) {
      const f = 0.15 + 0.1 * ((n * 7) % 5) / 5
      const phase = (n * 0.37) % (2 * Math.PI)
      const s = (t: number): number => Math.sin(f * t + phase) + 0.5 * Math.sin(2.3 * f * t) + 0.02 * (noise[n * (L + 1) + t] as number)
      for (let t = 0; t < L; t++) {
        x[(n * L + t) * 2] = s(t)
        x[(n * L + t) * 2 + 1] = Math.cos(f * t + phase)
        y[n * L + t] = s(t + 1)
      }
    }
    const data = { x: [{ shape: [N, L, 2], data: x }], y: [{ shape: [N, L, 1], data: y }] }
    const start = trainer.init(trainer.compiled.init(1))
    const before = trainer.evaluate(start.params, data).loss
    const r = fit(trainer, start, data, { epochs: 6, batchSize: 8, seed: 1 })
    const losses = r.history['loss'] as ReadonlyArray<number>
    const after = trainer.evaluate(r.state.params, data).loss
    expect(losses).toHaveLength(6)
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(losses[losses.length - 1] as number).toBeLessThan(losses[0] as number)
    // measured: 0.995 before, 0.027 after (epoch losses 0.389, 0.172, 0.059, 0.068, 0.029, 0.034)
    expect(after).toBeLessThan(0.1 * before)
  })
})

describe('the train graph follows the lowering (family: true, as the model compiler lowers)', () => {
  const models: ReadonlyArray<readonly [string, ModelSpec]> = [
    [
      'rank 1',
      right(
        sequential(
          [
            layer('Conv1D', { filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2, activation: 'relu' }),
            layer('SeparableConv1D', { filters: 3, kernel_size: 2, depth_multiplier: 2, padding: 'same', activation: 'tanh' }),
            layer('MaxPooling1D', { pool_size: 2 }),
            layer('UpSampling1D', { size: 2 }),
            layer('ZeroPadding1D', { padding: 1 }),
            layer('Cropping1D', { cropping: [1, 0] }),
            layer('DepthwiseConv1D', { kernel_size: 2, depth_multiplier: 2, activation: 'tanh' }),
            layer('AveragePooling1D', { pool_size: 2, padding: 'same' }),
            layer('Conv1DTranspose', { filters: 2, kernel_size: 3, strides: 2 }),
            layer('GlobalAveragePooling1D')
          ],
          { input_shape: [10, 3] }
        )
      )
    ],
    [
      'rank 1 channels_first',
      right(
        sequential(
          [
            layer('Conv1D', { filters: 3, kernel_size: 2, padding: 'causal', data_format: 'channels_first', activation: 'tanh' }),
            layer('SeparableConv1D', { filters: 2, kernel_size: 3, padding: 'same', data_format: 'channels_first' }),
            layer('GlobalMaxPooling1D', { data_format: 'channels_first' })
          ],
          { input_shape: [2, 7] }
        )
      )
    ],
    [
      'rank 2',
      right(
        sequential(
          [
            layer('SeparableConv2D', { filters: 3, kernel_size: 3, padding: 'same', activation: 'tanh' }),
            layer('Conv2DTranspose', { filters: 2, kernel_size: 3, strides: 2, padding: 'same', activation: 'tanh' }),
            layers.flatten(),
            layers.dense({ units: 2 })
          ],
          { input_shape: [4, 4, 2] }
        )
      )
    ],
    [
      'rank 3',
      right(
        sequential(
          [
            layer('Conv3D', { filters: 2, kernel_size: 2, padding: 'same', activation: 'tanh' }),
            layer('MaxPooling3D', { pool_size: 2 }),
            layer('Conv3DTranspose', { filters: 2, kernel_size: 2, strides: 2, activation: 'tanh' }),
            layer('ZeroPadding3D', { padding: 1 }),
            layer('GlobalAveragePooling3D')
          ],
          { input_shape: [3, 4, 4, 2] }
        )
      )
    ]
  ]
  it.each(models)('%s: the same outputs and gradients', (_name, model) => {
    const trainer = right(compileTrainer(model, { loss: 'mse' }, { dtype: 'float64' }))
    const c = trainer.compiled
    const own = right(lowerModel(model, c.inputShapes, 'float64'))
    const family = right(lowerModel(model, c.inputShapes, 'float64', { family: true }))
    const a = right(compileTrainGraph(own, c.weights))
    const b = right(compileTrainGraph(family, c.weights))
    const params = c.init(2)
    const batch = 2
    const x: Tensor[] = c.inputShapes.map((s, i) => ({ shape: [batch, ...s], data: values(10 + i, batch * s.reduce((p, d) => p * d, 1)) }))
    const ra = a.run(params, x, { training: true, key: 0 })
    const rb = b.run(params, x, { training: true, key: 0 })
    const close = (p: ArrayLike<number>, q: ArrayLike<number>, what: string): void => {
      expect(p.length, what).toBe(q.length)
      let scale = 0
      for (let i = 0; i < p.length; i++) scale = Math.max(scale, Math.abs(q[i] as number))
      for (let i = 0; i < p.length; i++) expect(Math.abs((p[i] as number) - (q[i] as number)), `${what}[${i}]`).toBeLessThanOrEqual(1e-12 * (1 + scale))
    }
    close(ra.outputs[0]?.data ?? [], rb.outputs[0]?.data ?? [], 'output')
    const dy = ra.outputs.map((o, i) => values(20 + i, o.data.length))
    const ga = ra.backward(dy)
    const gb = rb.backward(dy)
    ga.forEach((g, i) => close(g ?? [], gb[i] ?? [], c.weights[i]?.path ?? `param ${i}`))
    expect(ga.every((g) => g !== undefined)).toBe(true)
  })
})
