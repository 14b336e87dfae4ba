#!/usr/bin/env node
// `npm run train:mnist`: the Keras "simple MNIST convnet" (examples/models/mnist-convnet.keras3.json, as
// Keras 3.15 writes it: Conv2D 32 3×3 relu → MaxPooling2D 2 → Conv2D 64 3×3 relu → MaxPooling2D 2 →
// Flatten → Dropout 0.5 → Dense 10 softmax) trained with layerspec's `fit` on 8,000 real MNIST digits (of the
// `mnist` package's 10,000, split at random with a fixed seed) for 2 epochs — Adam (learning rate 1e-3), sparse
// categorical crossentropy, batch 128, as the Keras example compiles it — with a progress line per epoch
// and its accuracy on the other 2,000 digits (never trained on).
// The trained model is then written out for TensorFlow.js (model.json + weights .bin) and as Keras JSON.
//
// Usage (after `npm ci`, which builds the package): node examples/train/mnist-convnet.mjs
//   [--epochs N] [--threads N] [--seed N] [--out DIR]   (DIR defaults to ./mnist-convnet-trained)
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileTrainer, decodeModelFile, evaluateDataset, fit, toKerasJson, toTfjsArtifacts, writeTfjsModel } from 'layerspec'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const epochs = Number(option('--epochs', '2'))
const threads = Number(option('--threads', '1'))
const seed = Number(option('--seed', '1'))
const outDir = resolve(option('--out', 'mnist-convnet-trained'))

// --- the data: the package's 10,000 digits (863 to 1,127 per class), split at random (seeded) into 8,000
// for training and the other 2,000 held out, as the package's own `set(8000, 2000)` does; pixels in [0, 1],
// NHWC [n, 28, 28, 1], labels 0-9
const require = createRequire(import.meta.url)
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
const PIXELS = 28 * 28
const all = Array.from({ length: 10 }, (_, c) => JSON.parse(readFileSync(join(digitsDir, `${c}.json`), 'utf8')).data).flatMap((data, c) =>
  Array.from({ length: data.length / PIXELS }, (_, k) => ({ c, pixels: data.slice(k * PIXELS, (k + 1) * PIXELS) }))
)
// Fisher-Yates with a 32-bit xorshift generator from seed 1: the split Keras's reference runs used
// (scripts/golden/mnist_convnet.py); --seed varies the initial weights, the shuffling and the dropout masks
let s32 = 2654435761
const next = () => {
  s32 ^= s32 << 13
  s32 >>>= 0
  s32 ^= s32 >>> 17
  s32 ^= s32 << 5
  s32 >>>= 0
  return s32 / 4294967296
}
for (let i = all.length - 1; i > 0; i--) {
  const j = Math.floor(next() * (i + 1))
  ;[all[i], all[j]] = [all[j], all[i]]
}
const tensors = (digits) => {
  const x = new Float32Array(digits.length * PIXELS)
  const y = new Float32Array(digits.length)
  digits.forEach((d, i) => {
    x.set(d.pixels, i * PIXELS)
    y[i] = d.c
  })
  return { x: [{ shape: [digits.length, 28, 28, 1], data: x }], y: [{ shape: [digits.length], data: y }] }
}
const train = tensors(all.slice(0, 8000))
const heldOut = tensors(all.slice(8000))

const unwrap = (e) => {
  if (e._tag === 'Left') throw new Error(e.left.map((x) => `${x.path}: ${x.message}`).join('\n'))
  return e.right
}

// --- the model, as Keras wrote it, and the trainer
const file = unwrap(decodeModelFile(JSON.parse(readFileSync(join(here, '..', 'models', 'mnist-convnet.keras3.json'), 'utf8'))))
const trainer = unwrap(
  compileTrainer(file.model, { loss: 'sparse_categorical_crossentropy', optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } }, metrics: ['accuracy'] }, { threads })
)
const params = trainer.compiled.init(seed)
const count = params.reduce((a, p) => a + p.data.length, 0)
console.log(`${file.model.name}: ${count.toLocaleString('en')} params; training on ${train.y[0].shape[0]} MNIST digits, ${heldOut.y[0].shape[0]} held out; Adam 1e-3, batch 128, ${threads} thread(s)`)

// --- fit, a Keras-style line per epoch
const steps = Math.ceil(train.y[0].shape[0] / 128)
let t0 = performance.now()
const started = t0
const epochTimes = []
const { state } = fit(trainer, trainer.init(params), train, {
  epochs,
  batchSize: 128,
  shuffle: true,
  seed,
  validationData: heldOut,
  onEpochEnd: (epoch, logs) => {
    const t = performance.now()
    epochTimes.push((t - t0) / 1000)
    const line = Object.entries(logs)
      .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
      .join(' - ')
    console.log(`Epoch ${epoch + 1}/${epochs}\n${steps}/${steps} - ${((t - t0) / 1000).toFixed(1)}s ${Math.round((t - t0) / steps)}ms/step - ${line}`)
    t0 = t
  }
})
const total = (performance.now() - started) / 1000

// --- held-out accuracy
const scores = evaluateDataset(trainer, state.params, heldOut, 500)
const accuracy = scores.metrics.accuracy
console.log(`held-out digits: loss ${scores.loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(2)} % — ${epochs} epochs in ${total.toFixed(1)} s (epochs incl. validation: ${epochTimes.map((s) => `${s.toFixed(1)} s`).join(', ')})`)

// --- the trained model for TensorFlow.js (tf.loadLayersModel reads model.json + its .bin) and as Keras JSON
const written = unwrap(writeTfjsModel(outDir, unwrap(toTfjsArtifacts(trainer.compiled, state.params))))
writeFileSync(join(outDir, 'model.keras.json'), JSON.stringify(unwrap(toKerasJson(file.model)), null, 1))
console.log(`written: ${written.modelJsonPath} + ${written.weightPaths.map((p) => p.split('/').pop()).join(', ')} (TensorFlow.js), ${join(outDir, 'model.keras.json')} (Keras JSON)`)

// Keras 3.15.1 on the same split and protocol (scripts/golden/mnist_convnet.py, three seeds)
const keras = JSON.parse(readFileSync(join(here, '..', '..', 'spec', 'fixtures', 'keras3', 'mnist-convnet-fit.json'), 'utf8'))
const after = (e) => Object.values(keras.issue).map((a) => a[e - 1]).filter((v) => v !== undefined)
const range = (xs) => `${(Math.min(...xs) * 100).toFixed(2)}-${(Math.max(...xs) * 100).toFixed(2)} %`
if (after(epochs).length > 0) console.log(`Keras ${keras.keras}, same split and protocol, after ${epochs} epoch(s): ${range(after(epochs))} over ${after(epochs).length} seeds`)
