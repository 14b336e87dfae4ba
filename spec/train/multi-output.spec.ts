/**
 * A two-output model trained with `fit` against real Keras 3.15 (spec/fixtures/keras3/train/
 * multi-output.json, written by scripts/golden/train_multi.py): losses, loss weights and metrics given
 * per output name (`loss: { reg: 'mse', cls: 'sparse_categorical_crossentropy' }`, `loss_weights:
 * { reg: 0.5, cls: 2 }`, `metrics: { reg: 'mae', cls: ['accuracy'] }`), read from the saved file's
 * compile_config. Keras's history keys for several outputs (`loss`, `<output>_loss` unweighted,
 * `<output>_<metric>`, `val_` twins), their values, and the weights after two epochs.
 *
 * Tolerance: losses and metrics within 1e-5 relative (+1e-7), accuracies exactly; every weight within
 * `5e-5 · u + 1e-7`, u the largest change Keras made (as spec/train/keras-golden.spec.ts).
 * Also: the errors of a loss dict that misses or invents an output name, and of metrics of the wrong length.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { fit } from '../../src/train/fit.js'
import { compileTrainer, outputNamesOf } from '../../src/train/Trainer.js'
import { left, readJson, right } from '../helpers.js'
import { fillWeights, makeInput } from '../keras3/golden.js'

interface Fixture {
  readonly keras: string
  readonly file: unknown
  readonly seed: number
  readonly x: { readonly shape: number[]; readonly seed: number }
  readonly x_val: { readonly shape: number[]; readonly seed: number }
  readonly y_reg: number[]
  readonly y_cls: number[]
  readonly weights_before: ReadonlyArray<{ readonly path: string; readonly shape: number[] }>
  readonly history: Readonly<Record<string, ReadonlyArray<number>>>
  readonly weights_after: ReadonlyArray<{ readonly path: string; readonly shape: number[]; readonly values: number[] }>
}

const fx = readJson('spec/fixtures/keras3/train/multi-output.json') as Fixture

describe(`a two-output model against Keras ${fx.keras}: losses, loss weights and metrics by output name`, () => {
  const file = right(decodeModelFile(fx.file))
  const training = file.trainingConfig
  if (training === null) throw new Error('the fixture has no compile_config')

  it('names the outputs as Keras does', () => {
    expect(outputNamesOf(file.model)).toEqual(['reg', 'cls'])
  })

  it("fit: Keras's history keys and values, and the weights after two epochs", () => {
    const trainer = right(compileTrainer(file.model, training.config, { configPath: training.path }))
    expect([...trainer.metricNames].sort()).toEqual(['cls_accuracy', 'cls_loss', 'reg_loss', 'reg_mae'])
    const initial = fillWeights(
      fx.weights_before.map((w) => ({ name: w.path, shape: w.shape })),
      fx.seed
    )
    const params: Tensor[] = initial.map((data, i) => ({ shape: fx.weights_before[i]?.shape ?? [], data }))
    const y = (from: number, n: number): Tensor[] => [
      { shape: [n, 2], data: Float32Array.from(fx.y_reg.slice(2 * from, 2 * (from + n))) },
      { shape: [n], data: Float32Array.from(fx.y_cls.slice(from, from + n)) }
    ]
    const r = fit(
      trainer,
      trainer.init(params),
      { x: [{ shape: fx.x.shape, data: makeInput(fx.x.shape, fx.x.seed, -1, 1) }], y: y(0, 8) },
      { epochs: 2, batchSize: 4, shuffle: false, validationData: { x: [{ shape: fx.x_val.shape, data: makeInput(fx.x_val.shape, fx.x_val.seed, -1, 1) }], y: y(8, 4) } }
    )
    expect(Object.keys(r.history).sort()).toEqual(Object.keys(fx.history).sort())
    for (const [k, want] of Object.entries(fx.history)) {
      const got = r.history[k] as ReadonlyArray<number>
      want.forEach((v, e) => {
        if (k.endsWith('accuracy')) expect(got[e], `${k} epoch ${e + 1}`).toBe(v)
        else expect(Math.abs((got[e] as number) - v), `${k} epoch ${e + 1}: ours ${got[e]}, Keras ${v}`).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-7)
      })
    }
    let update = 0
    fx.weights_after.forEach((w, i) => w.values.forEach((v, k) => (update = Math.max(update, Math.abs(v - ((initial[i] as Float32Array)[k] as number))))))
    fx.weights_after.forEach((w, i) => {
      const ours = (r.state.params[i] as Tensor).data
      w.values.forEach((v, k) => expect(Math.abs((ours[k] as number) - v), `${w.path}[${k}]`).toBeLessThanOrEqual(5e-5 * update + 1e-7))
    })
  })

  it('refuses a loss dict that misses or invents an output name, and metrics of the wrong length, each at its path', () => {
    const missing = left(compileTrainer(file.model, { loss: { cls: 'mse' }, optimizer: 'sgd' }))
    expect(missing.map((e) => e.path)).toEqual(['loss'])
    expect(missing[0]?.message).toMatch(/output names "reg", "cls".*missing "reg"/)
    const invented = left(compileTrainer(file.model, { loss: { reg: 'mse', cls: 'mse', other: 'mse' }, optimizer: 'sgd' }))
    expect(invented[0]?.message).toMatch(/found the keys "reg", "cls", "other"/)
    const bad = left(compileTrainer(file.model, { loss: { reg: 'mse', cls: 'no_such_loss' }, loss_weights: { reg: -1, cls: 1 }, metrics: ['mae'], optimizer: 'sgd' }))
    expect(bad.map((e) => e.path).sort()).toEqual(['loss.cls', 'loss_weights.reg', 'metrics'])
  })
})
