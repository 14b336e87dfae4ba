/**
 * Training steps against real Keras 3.15 (TensorFlow backend): spec/fixtures/keras3/train/steps.json,
 * written by scripts/golden/train.py. Each case: a small model (convolutions with strides, dilation,
 * groups, BatchNormalization in training, max / average / global pooling, DepthwiseConv2D with a
 * residual Add, Dense; issue 14's convolution family: causal / strided Conv1D with MaxPooling1D and
 * GlobalAveragePooling1D, Conv2DTranspose with strides and output_padding, SeparableConv2D with
 * depthwise / pointwise regularizers, Conv3D + MaxPooling3D + Conv3DTranspose, DepthwiseConv1D +
 * SeparableConv1D + Conv1DTranspose with the 1-D pooling / upsampling / padding / cropping layers;
 * LoRA-enabled Dense and Conv2D, the kernel frozen and lora_kernel_a / lora_kernel_b trained),
 * its weights by golden.py's rule, one batch, Keras's `compile(optimizer, loss)` and two
 * `train_on_batch` steps. Here the same file is decoded, the same weights are generated, and
 * two `Trainer.step`s run.
 *
 * Tolerance, per case: every weight after the two steps (moving statistics included) within
 * `5e-5 · u + 1e-7`, u the largest change Keras made to any weight of the case (the update is what is
 * compared), and each step's loss within 2e-6 relative. Measured (2026-12-06): at most 5.2e-6 · u
 * (conv-adam-categorical) and 3.6e-7 relative on the losses; the family's cases at most 1.7e-6 · u
 * (conv3d-rmsprop-sparse) and 8.3e-8 relative on the losses. Both sides compute in float32, in
 * different orders.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { readJson, right } from '../helpers.js'
import { fillWeights, makeInput } from '../keras3/golden.js'

interface Case {
  readonly name: string
  readonly model: unknown
  readonly seed: number
  readonly input: { readonly shape: number[]; readonly seed: number; readonly low: number; readonly high: number }
  readonly labels: { readonly shape: number[]; readonly values: number[] }
  readonly loss: string
  readonly optimizer: unknown
  readonly losses: number[]
  readonly weights_after: ReadonlyArray<{ readonly path: string; readonly shape: number[]; readonly values: number[] }>
}

const fixture = readJson('spec/fixtures/keras3/train/steps.json') as { readonly keras: string; readonly cases: ReadonlyArray<Case> }

describe(`training steps against Keras ${fixture.keras} (TensorFlow backend)`, () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: two steps, the weights and losses Keras gets', (_name, c) => {
    const file = right(decodeModelFile(c.model))
    const trainer = right(compileTrainer(file.model, { loss: c.loss, optimizer: c.optimizer }))
    const weights = trainer.compiled.weights
    expect(weights.map((w) => w.shape)).toEqual(c.weights_after.map((w) => w.shape))
    const initial = fillWeights(
      c.weights_after.map((w) => ({ name: w.path, shape: w.shape })),
      c.seed
    )
    const params: Tensor[] = initial.map((data, i) => ({ shape: weights[i]?.shape ?? [], data }))
    const x: Tensor = { shape: c.input.shape, data: makeInput(c.input.shape, c.input.seed, c.input.low, c.input.high) }
    const y: Tensor = { shape: c.labels.shape, data: Float32Array.from(c.labels.values) }
    let state = trainer.init(params)
    const losses: number[] = []
    for (let s = 0; s < 2; s++) {
      const r = trainer.step(state, { x: [x], y: [y] })
      losses.push(r.loss)
      state = r.state
    }
    losses.forEach((l, s) => expect(Math.abs(l - (c.losses[s] as number)), `loss of step ${s + 1}: ours ${l}, Keras ${c.losses[s]}`).toBeLessThanOrEqual(2e-6 * Math.abs(c.losses[s] as number)))
    let update = 0
    c.weights_after.forEach((w, i) => w.values.forEach((v, k) => (update = Math.max(update, Math.abs(v - ((initial[i] as Float32Array)[k] as number))))))
    expect(update).toBeGreaterThan(0)
    let err = 0
    c.weights_after.forEach((w, i) => {
      const ours = (state.params[i] as Tensor).data
      w.values.forEach((v, k) => {
        const e = Math.abs((ours[k] as number) - v)
        err = Math.max(err, e)
        expect(e, `${w.path}[${k}]: ours ${ours[k]}, Keras ${v} (largest update ${update})`).toBeLessThanOrEqual(5e-5 * update + 1e-7)
      })
    })
    expect(err).toBeLessThanOrEqual(5e-5 * update + 1e-7)
  })
})
