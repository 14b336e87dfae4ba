/**
 * Keras 3's augmentation layers in training (src/train/augment.ts) against Keras 3.15 itself
 * (spec/fixtures/keras3/train/augment.json, written by scripts/golden/augment.py): for 42 layer configs
 * (flip modes, rotation / zoom / translation with every fill mode and both interpolations, contrast,
 * brightness; both data formats) Keras's draws are fed to layerspec's transform and the images must be
 * Keras's: nearest sampling, flips and brightness exactly, bilinear and contrast within 2e-6 (float32,
 * the same operation order; the contrast's mean is summed in another order). Measured: every case
 * passes at these bounds (bilinear and contrast differ by at most a few float32 ulps). The rotation matrices layerspec builds from Keras's angles are Keras's within 2e-6.
 */
import { describe, expect, it } from 'vitest'
import { findLayerKind } from '../../src/model/registry.js'
import { augmentationOf, augmentImages, type AugmentationSpec, type ImageLayout } from '../../src/train/augment.js'
import { compileModel } from '../../src/model/compileModel.js'
import { layer, layers, sequential } from '../../src/model/builder.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { readJson, right } from '../helpers.js'
import { makeInput } from '../keras3/golden.js'

interface Case {
  readonly name: string
  readonly layer: { readonly class_name: string; readonly config: unknown }
  readonly input: { readonly shape: number[]; readonly seed: number; readonly low: number; readonly high: number }
  readonly transformation: Readonly<Record<string, number[] | number>>
  readonly output: number[]
}

const fx = readJson('spec/fixtures/keras3/train/augment.json') as { readonly keras: string; readonly cases: ReadonlyArray<Case> }

const specOf = (c: Case): AugmentationSpec => {
  const kind = findLayerKind(c.layer.class_name)
  if (kind === undefined) throw new Error(`no layer kind ${c.layer.class_name}`)
  const r = kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' }).decode(c.layer.config)
  if (r._tag === 'Left') throw new Error(`${c.name}: the layer config does not decode`)
  return r.right as unknown as AugmentationSpec
}

describe(`augmentation layers in training against Keras ${fx.keras}`, () => {
  it.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = specOf(c)
    const [batch, a, b, d] = c.input.shape as [number, number, number, number]
    const channelsFirst = (spec as unknown as { readonly dataFormat: string }).dataFormat === 'channels_first'
    const layout: ImageLayout = channelsFirst ? { rows: b, cols: d, channels: a, channelsFirst } : { rows: a, cols: b, channels: d, channelsFirst }
    const draws = Object.fromEntries(Object.entries(c.transformation).filter(([, v]) => Array.isArray(v))) as Record<string, number[]>
    const aug = augmentationOf(spec, layout, draws)
    if (aug.kind === 'projective' && c.transformation['rotation_matrix'] !== undefined) {
      const keras = c.transformation['rotation_matrix'] as number[]
      Array.from(aug.transforms).forEach((v, i) => expect(Math.abs(v - (keras[i] as number)), `matrix[${i}]`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(keras[i] as number))))
    }
    const x = makeInput(c.input.shape, c.input.seed, c.input.low, c.input.high)
    const out = new Float32Array(x.length)
    const n = batch * layout.rows * layout.cols
    augmentImages(aug, batch, layout, x, out, { at: new Int32Array(4 * n), w: new Float32Array(4 * n) })
    // contrast's spatial mean is summed in another order than TensorFlow's two reduce_means: ulps
    const exact = aug.kind === 'flip' || aug.kind === 'brightness' || (aug.kind === 'projective' && aug.interpolation === 'nearest')
    let worst = 0
    out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (c.output[i] as number)))))
    if (exact) expect(worst, 'largest difference').toBe(0)
    else expect(worst, 'largest difference').toBeLessThanOrEqual(2e-6)
  })
})

describe('augmentation in a training step', () => {
  const images = (n: number, seed: number): Float64Array => Float64Array.from(makeInput([n, 6, 5, 2], seed, 0, 1))

  it('transforms in training only, with draws from the state key and step; the model input is never written', () => {
    const model = right(
      sequential(
        [layer('RandomFlip', { mode: 'horizontal_and_vertical' }), layer('RandomRotation', { factor: 0.2, fill_mode: 'constant' }), layers.flatten(), layers.dense({ units: 2 })],
        { input_shape: [6, 5, 2] }
      )
    )
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    const params = trainer.compiled.init(3)
    const x = images(4, 1)
    const kept = Float64Array.from(x)
    const batch = { x: [{ shape: [4, 6, 5, 2], data: x }], y: [{ shape: [4, 2], data: new Float64Array(8) }] }
    // inference (evaluate): the identity, so the loss is the plain model's
    const plain = right(compileModel(right(sequential([layers.flatten(), layers.dense({ units: 2 })], { input_shape: [6, 5, 2] })), { dtype: 'float64' }))
    const y = plain.forward(params, [{ shape: [4, 6, 5, 2], data: x }])[0]?.data ?? []
    expect(trainer.evaluate(params, batch).loss).toBeCloseTo(Array.from(y).reduce((a, v) => a + v * v, 0) / 8, 12)
    // training: another loss, the same for the same key, another for another key
    const a = trainer.valueAndGrad(params, batch, 5).loss
    expect(a).not.toBeCloseTo(trainer.evaluate(params, batch).loss, 6)
    expect(trainer.valueAndGrad(params, batch, 5).loss).toBe(a)
    expect(trainer.valueAndGrad(params, batch, 6).loss).not.toBe(a)
    expect(x).toEqual(kept)
  })

  it.each([
    ['RandomFlip', { mode: 'horizontal_and_vertical' }],
    ['RandomRotation', { factor: 0.3, fill_mode: 'reflect' }],
    ['RandomRotation', { factor: 0.3, fill_mode: 'constant', interpolation: 'nearest' }],
    ['RandomZoom', { height_factor: [-0.3, 0.4], fill_mode: 'wrap' }],
    ['RandomTranslation', { height_factor: 0.3, width_factor: 0.3, fill_mode: 'nearest', data_format: 'channels_first' }],
    ['RandomContrast', { factor: 0.5, value_range: [0, 1] }],
    ['RandomBrightness', { factor: 0.3, value_range: [0, 1] }]
  ] as const)('%s %j: gradients through it against central finite differences (float64)', (cls, config) => {
    // a trainable Dense before the layer, so the gradient has to flow through the augmentation
    const cf = (config as { readonly data_format?: string }).data_format === 'channels_first'
    const shape = cf ? [2, 6, 5] : [6, 5, 2]
    const model = right(sequential([layers.dense({ units: shape[2] as number, activation: 'sigmoid' }), layer(cls, config), layers.flatten(), layers.dense({ units: 3 })], { input_shape: shape }))
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    const params = trainer.compiled.init(11)
    const batch = { x: [{ shape: [3, ...shape], data: Float64Array.from(makeInput([3, ...shape], 2, -1, 1)) }], y: [{ shape: [3, 3], data: Float64Array.from(makeInput([3, 3], 3, -1, 1)) }] }
    const key = 9
    const g = trainer.valueAndGrad(params, batch, key).grads[0]?.data ?? []
    const scale = Math.max(...Array.from(g, Math.abs))
    expect(scale).toBeGreaterThan(0)
    const h = 1e-6
    let worst = 0
    for (let i = 0; i < g.length; i++) {
      const at = (d: number) => trainer.valueAndGrad(params.map((p, k) => (k === 0 ? { shape: p.shape, data: p.data.map((v, j) => (j === i ? v + d : v)) } : p)), batch, key).loss
      worst = Math.max(worst, Math.abs((at(h) - at(-h)) / (2 * h) - (g[i] as number)))
    }
    expect(worst / (1 + scale)).toBeLessThan(1e-6)
  })
})
