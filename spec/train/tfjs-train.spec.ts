/**
 * One training step side by side with TensorFlow.js (tfjs-layers 4.22 on tfjs-backend-cpu: its
 * WebAssembly backend has no convolution gradients): random small models — Conv2D (kernel sizes,
 * strides, both paddings), DepthwiseConv2D, BatchNormalization (training mode), max / average pooling,
 * Dense, a residual Add — random weights assigned by name, one `trainOnBatch` with SGD, momentum SGD
 * and Adam on sparse / categorical crossentropy (softmax outputs) and mean squared error. The weights
 * after the step (moving statistics included) agree within `2e-5 · u + 1e-7`, u the largest change
 * tfjs made to any weight of the case (measured 2026-12-06: at most 1.8e-6 · u with SGD and momentum;
 * Adam differs by up to 0.3 · u on weights whose gradient is tiny — tfjs's ε, below).
 *
 * Where tfjs departs from Keras the test allows exactly that departure, computed, never copied:
 * - Adam: tfjs adds ε to the bias-corrected √v̂ (training notes §1.4), Keras to √v (ε-hat); after one
 *   step of gradient g the two updates differ by at most `lr·ε·(1/√(1 − β2) + 1)/|g|`, added to the
 *   tolerance of each entry (g from our own `valueAndGrad`);
 * - momentum: tfjs's `Momentum` optimizer (a ← μa + g; θ ← θ − lr·a) takes Keras's trajectory while
 *   the learning rate is constant, as here; no allowance;
 * - crossentropy of a softmax: tfjs clips probabilities, Keras's TensorFlow backend (and layerspec) uses
 *   the logits; the weights and inputs here keep every probability far from the clip (checked).
 * Not compared with tfjs: dilation (tfjs has no gradient for it), DepthwiseConv2D dilation (tfjs
 * ignores it), RMSprop (tfjs subtracts ε in the centered form) — those are tested against Keras itself
 * (keras-golden.spec.ts) and finite differences (properties/train-grad.prop.ts).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { apply, functional, input, layers, type LayerJson, type SymbolicTensor } from '../../src/model/builder.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { right } from '../helpers.js'
import { setTfjsWeights, tf, tfjsWeightsByName, tfl } from '../compiler/tfjsModels.js'

await tf.setBackend('cpu')
await tf.ready()

type Opt = 'sgd' | 'momentum' | 'adam'
type Loss = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'mean_squared_error'

interface Plan {
  readonly residual: boolean
  readonly conv: { readonly k: number; readonly stride: number; readonly same: boolean; readonly filters: number }
  readonly depthwise: boolean
  readonly bn: boolean
  readonly pool: 'max' | 'avg' | 'none'
  readonly units: number
  readonly opt: Opt
  readonly loss: Loss
  readonly seed: number
}

const arbPlan: fc.Arbitrary<Plan> = fc.record({
  residual: fc.boolean(),
  conv: fc.record({ k: fc.constantFrom(1, 2, 3), stride: fc.constantFrom(1, 2), same: fc.boolean(), filters: fc.constantFrom(2, 3, 4) }),
  depthwise: fc.boolean(),
  bn: fc.boolean(),
  pool: fc.constantFrom<'max' | 'avg' | 'none'>('max', 'avg', 'none'),
  units: fc.constantFrom(3, 4),
  opt: fc.constantFrom<Opt>('sgd', 'momentum', 'adam'),
  loss: fc.constantFrom<Loss>('sparse_categorical_crossentropy', 'categorical_crossentropy', 'mean_squared_error'),
  seed: fc.integer({ min: 1, max: 10_000 })
})

const PLANS = fc.sample(arbPlan, { numRuns: 18, seed: 20261206 })

const build = (p: Plan): ModelSpec => {
  const shape = [6, 6, 2]
  const x = input(shape)
  let t: SymbolicTensor = apply(layers.conv2d({ filters: p.conv.filters, kernel_size: p.conv.k, strides: p.conv.stride, padding: p.conv.same ? 'same' : 'valid', activation: 'relu' }), x)
  if (p.depthwise) t = apply(layers.depthwiseConv2d({ kernel_size: 2, padding: 'same', activation: 'tanh' }), t)
  if (p.residual) t = apply(layers.add(), [t, apply(layers.conv2d({ filters: p.conv.filters, kernel_size: 1 }), t)])
  if (p.bn) t = apply(layers.batchNormalization({ momentum: 0.9 }), t)
  if (p.pool !== 'none') t = apply(p.pool === 'max' ? layers.maxPooling2d({ pool_size: 2 }) : layers.averagePooling2d({ pool_size: 2 }), t)
  t = apply(layers.flatten(), t)
  const out: LayerJson = layers.dense({ units: p.units, activation: p.loss === 'mean_squared_error' ? 'linear' : 'softmax' })
  t = apply(out, t)
  return right(functional({ inputs: [x], outputs: [t] }))
}

const values = (seed: number, n: number, scale: number): Float32Array => {
  let s = seed >>> 0
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return ((s / 2 ** 32) * 2 - 1) * scale
  })
}

const LR = 0.05
const EPS = 1e-7

const tfjsOptimizer = (o: Opt): tf.Optimizer => (o === 'sgd' ? tf.train.sgd(LR) : o === 'momentum' ? tf.train.momentum(LR, 0.9) : tf.train.adam(LR, 0.9, 0.999, EPS))
const kerasOptimizer = (o: Opt): unknown =>
  o === 'sgd'
    ? { class_name: 'SGD', config: { learning_rate: LR } }
    : o === 'momentum'
      ? { class_name: 'SGD', config: { learning_rate: LR, momentum: 0.9 } }
      : { class_name: 'Adam', config: { learning_rate: LR, epsilon: EPS } }
const tfjsLoss: Readonly<Record<Loss, string>> = {
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  mean_squared_error: 'meanSquaredError'
}

describe('one training step against tfjs-layers (cpu backend)', () => {
  it.each(PLANS.map((p, i) => [i, p] as const))('model %i: the weight updates agree', async (_i, p) => {
    const model = build(p)
    const trainer = right(compileTrainer(model, { loss: p.loss, optimizer: kerasOptimizer(p.opt) }))
    const c = trainer.compiled
    const params: ReadonlyArray<Tensor> = c.init(p.seed)
    const batch = 4
    const x: Tensor = { shape: [batch, 6, 6, 2], data: values(p.seed + 1, batch * 72, 1) }
    const classes = p.units
    const labels = Array.from({ length: batch }, (_, n) => (p.seed + 3 * n) % classes)
    const y: Tensor =
      p.loss === 'sparse_categorical_crossentropy'
        ? { shape: [batch], data: Float32Array.from(labels) }
        : p.loss === 'categorical_crossentropy'
          ? { shape: [batch, classes], data: Float32Array.from({ length: batch * classes }, (_, k) => (labels[Math.floor(k / classes)] === k % classes ? 1 : 0)) }
          : { shape: [batch, classes], data: values(p.seed + 2, batch * classes, 1) }
    // probabilities stay far from tfjs's clip (1e-7): the two crossentropies agree there
    const probs = c.forward(params, [x])[0]?.data ?? new Float32Array(0)
    if (p.loss !== 'mean_squared_error') for (const v of probs) expect(v).toBeGreaterThan(1e-4)

    const topology = encodeModel(model, { dialect: 'keras2' })
    const tm = await tfl.models.modelFromJSON({ modelTopology: topology as never })
    const named = tfjsWeightsByName(tm, c, params)
    expect(named.problems).toEqual([])
    setTfjsWeights(tm, named.values)
    tm.compile({ optimizer: tfjsOptimizer(p.opt), loss: tfjsLoss[p.loss] })
    const tx = tf.tensor(x.data, [...x.shape])
    const ty = tf.tensor(y.data, [...y.shape])
    await tm.trainOnBatch(tx, ty)
    const after = new Map(tm.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]))
    tf.dispose([tx, ty])

    const grads = trainer.valueAndGrad(params, { x: [x], y: [y] }).grads
    const ours = trainer.step(trainer.init(params), { x: [x], y: [y] }).state.params
    let u = 0
    const pairs = c.weights.map((w, i) => {
      const key = `${w.layer}/${w.name}`
      const theirs = after.get(key) ?? after.get(key.replace(/\/kernel$/, '/depthwise_kernel'))
      expect(theirs, key).toBeDefined()
      const before = (params[i] as Tensor).data
      ;(theirs as Float32Array).forEach((v, k) => (u = Math.max(u, Math.abs(v - (before[k] as number)))))
      return { key, theirs: theirs as Float32Array, mine: (ours[i] as Tensor).data, g: grads[i]?.data }
    })
    expect(u).toBeGreaterThan(0)
    for (const { key, theirs, mine, g } of pairs) {
      theirs.forEach((v, k) => {
        const adam = p.opt === 'adam' && g !== undefined ? (LR * EPS * (1 / Math.sqrt(1 - 0.999) + 1)) / (Math.abs(g[k] as number) + 1e-30) : 0
        expect(Math.abs((mine[k] as number) - v), `${key}[${k}]: layerspec ${mine[k]}, tfjs ${v} (largest update ${u})`).toBeLessThanOrEqual(2e-5 * u + 1e-7 + adam)
      })
    }
    tm.dispose()
  })
})
