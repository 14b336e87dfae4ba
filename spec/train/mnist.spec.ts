/**
 * `fit` on real MNIST digits (the `mnist` package's 10,000), with Keras 3.15 as the reference:
 *
 * - the Keras "simple MNIST convnet" as Keras writes it (examples/models/mnist-convnet.keras3.json:
 *   Conv2D 32 → MaxPooling2D → Conv2D 64 → MaxPooling2D → Flatten → Dropout 0.5 → Dense 10 softmax),
 *   Adam 1e-3, batch 128, 1 epoch on 4,000 digits (the issue's run, shortened): its accuracy on the
 *   2,000 held out must be no worse than Keras's own on the same split and protocol, less 3 points
 *   (spec/fixtures/keras3/mnist-convnet-fit.json, written by scripts/golden/mnist_convnet.py: Keras
 *   79.3-81.5 % over three seeds). A wrong gradient anywhere keeps accuracy near chance (10 %).
 *   `npm run train:mnist` runs the full one (8,000 digits, 2 epochs).
 * - a small strided convnet with `validationSplit`: Keras's history keys, a falling loss, ≥ 90 %.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { layers, sequential } from '../../src/model/builder.js'
import { evaluateDataset, fit } from '../../src/train/fit.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { right } from '../helpers.js'
import { mnistShuffled, mnistSplit } from './mnistData.js'

interface KerasFit {
  readonly split_check: { readonly first: ReadonlyArray<number>; readonly held_out_counts: ReadonlyArray<number> }
  readonly issue: Readonly<Record<string, ReadonlyArray<number>>>
  readonly short: Readonly<Record<string, ReadonlyArray<number>>>
}
const keras = JSON.parse(readFileSync(new URL('../fixtures/keras3/mnist-convnet-fit.json', import.meta.url), 'utf8')) as KerasFit

describe('the Keras MNIST convnet learns as in Keras', () => {
  const heldOut = mnistShuffled(1, 8000, 2000)

  it('splits the digits as the Keras reference run did', () => {
    const first = mnistShuffled(1, 0, 16)
    expect(Array.from(first.y.data)).toEqual(keras.split_check.first)
    const counts = new Array<number>(10).fill(0)
    for (const c of heldOut.y.data) counts[c] = (counts[c] as number) + 1
    expect(counts).toEqual(keras.split_check.held_out_counts)
  })

  it('1 epoch on 4,000 digits: held-out accuracy within 3 points of Keras 3.15 on the same split (or better)', () => {
    const file = right(decodeModelFile(JSON.parse(readFileSync(new URL('../../examples/models/mnist-convnet.keras3.json', import.meta.url), 'utf8'))))
    const trainer = right(compileTrainer(file.model, { loss: 'sparse_categorical_crossentropy', optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } }, metrics: ['accuracy'] }))
    const train = mnistShuffled(1, 0, 4000)
    const r = fit(trainer, trainer.init(trainer.compiled.init(1)), { x: [train.x], y: [train.y] }, { epochs: 1, batchSize: 128, seed: 1 })
    expect(r.state.step).toBe(Math.ceil(4000 / 128))
    const scores = evaluateDataset(trainer, r.state.params, { x: [heldOut.x], y: [heldOut.y] }, 500)
    const kerasWorst = Math.min(...Object.values(keras.short).map((a) => a[0] as number))
    expect(scores.metrics['accuracy']).toBeGreaterThanOrEqual(kerasWorst - 0.03)
  })
})

describe('fit on real MNIST digits', () => {
  it('a small convnet learns: ≥ 90 % on 1,000 unseen digits after 2 epochs', () => {
    const model = right(
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
    const trainer = right(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: { class_name: 'Adam', config: { learning_rate: 0.003 } }, metrics: ['accuracy'] }))
    const train = mnistSplit(0, 300)
    const test = mnistSplit(300, 100)
    const lines: string[] = []
    const r = fit(trainer, trainer.init(trainer.compiled.init(1)), { x: [train.x], y: [train.y] }, {
      epochs: 2,
      batchSize: 32,
      seed: 7,
      validationSplit: 0.1,
      onEpochEnd: (epoch, logs) => lines.push(`epoch ${epoch + 1}: ${Object.entries(logs).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`)
    })
    expect(Object.keys(r.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy'])
    expect(lines).toHaveLength(2)
    const loss = r.history['loss'] as ReadonlyArray<number>
    expect(loss[1]).toBeLessThan(loss[0] as number)
    expect(r.state.step).toBe(2 * Math.ceil(2700 / 32))
    const scores = evaluateDataset(trainer, r.state.params, { x: [test.x], y: [test.y] }, 100)
    expect(scores.metrics['accuracy']).toBeGreaterThanOrEqual(0.9)
  })
})
