/**
 * Keras 3's optimizer options `use_ema` (`ema_momentum`, `ema_overwrite_frequency`) and
 * `gradient_accumulation_steps`, against real Keras 3.15 `fit` runs (spec/fixtures/keras3/train/
 * optimizer-ema.json, written by scripts/golden/train_ema.py): an MLP, 6 steps over 2 epochs, with
 * accumulation over 2 and 3 steps (clipnorm, momentum), EMA with and without overwriting, and all of
 * them with AdamW, weight decay and an ExponentialDecay schedule. The weights after `fit` (after its
 * `finalize_variable_values`: an EMA run ends on the averages) within `5e-5 · u + 1e-7` of Keras's, u
 * the largest change Keras made; the epoch losses within 1e-5 relative.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { fit } from '../../src/train/fit.js'
import { decodeOptimizer } from '../../src/train/optimizer/OptimizerSpec.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { left, readJson, right } from '../helpers.js'
import { fillWeights, makeInput } from '../keras3/golden.js'

interface Case {
  readonly name: string
  readonly model: unknown
  readonly seed: number
  readonly labels: number[]
  readonly optimizer: unknown
  readonly losses: number[]
  readonly weights_after: ReadonlyArray<{ readonly path: string; readonly shape: number[]; readonly values: number[] }>
}

const fx = readJson('spec/fixtures/keras3/train/optimizer-ema.json') as { readonly keras: string; readonly cases: ReadonlyArray<Case> }

describe(`EMA and gradient accumulation against Keras ${fx.keras} fit`, () => {
  it.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const file = right(decodeModelFile(c.model))
    const trainer = right(compileTrainer(file.model, { loss: 'sparse_categorical_crossentropy', optimizer: c.optimizer }))
    const initial = fillWeights(
      c.weights_after.map((w) => ({ name: w.path, shape: w.shape })),
      c.seed
    )
    const params: Tensor[] = initial.map((data, i) => ({ shape: c.weights_after[i]?.shape ?? [], data }))
    const r = fit(trainer, trainer.init(params), { x: [{ shape: [12, 5], data: makeInput([12, 5], c.seed, -1, 1) }], y: [{ shape: [12], data: Float32Array.from(c.labels) }] }, { epochs: 2, batchSize: 4, shuffle: false })
    const losses = r.history['loss'] as ReadonlyArray<number>
    c.losses.forEach((l, e) => expect(Math.abs((losses[e] as number) - l), `epoch ${e + 1} loss: ours ${losses[e]}, Keras ${l}`).toBeLessThanOrEqual(1e-5 * Math.abs(l)))
    let update = 0
    c.weights_after.forEach((w, i) => w.values.forEach((v, k) => (update = Math.max(update, Math.abs(v - ((initial[i] as Float32Array)[k] as number))))))
    expect(update).toBeGreaterThan(0)
    c.weights_after.forEach((w, i) => {
      const ours = (r.state.params[i] as Tensor).data
      w.values.forEach((v, k) => expect(Math.abs((ours[k] as number) - v), `${w.path}[${k}]: ours ${ours[k]}, Keras ${v} (largest update ${update})`).toBeLessThanOrEqual(5e-5 * update + 1e-7))
    })
  })

  it('refuses gradient_accumulation_steps below 2 and a tf.keras config with use_ema, with the reason', () => {
    const one = left(decodeOptimizer({ module: 'keras.optimizers', class_name: 'SGD', config: { gradient_accumulation_steps: 1 }, registered_name: null }, 'optimizer'))
    expect(one[0]?.path).toBe('optimizer.config.gradient_accumulation_steps')
    expect(one[0]?.message).toMatch(/integer ≥ 2/)
    const tf2 = left(decodeOptimizer({ class_name: 'Adam', config: { use_ema: true, is_legacy_optimizer: false } }, 'optimizer'))
    expect(tf2[0]?.message).toMatch(/tf\.keras/)
  })
})
