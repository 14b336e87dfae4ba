/**
 * Exporting a model as TensorFlow.js `model.json` + `group1-shard1of1.bin` (and as Keras JSON), issue 13:
 * "The trained model is written out … and tfjs-layers loads it and predicts the same classes."
 *
 * Models: the Keras MNIST convnet (examples/models/mnist-convnet.keras3.json) trained with
 * `compileTrainer` + `fit` on 800 real digits (one epoch of 25 steps, batch 32, Adam 1e-3: 29 of 50
 * unseen digits right); a functional residual
 * block built with the builder (Conv2D → BatchNormalization → ReLU → Conv2D → BatchNormalization, Add
 * with the first convolution, global pooling, Dense softmax) with BatchNormalization statistics and biases
 * away from their initial 0 / 1; a Dense MLP of unnamed layers (Keras names given on export); a graph
 * holding a nested Sequential with a Keras 3 DepthwiseConv2D (weight `kernel`, tfjs's `depthwise_kernel`),
 * a LeakyReLU layer, pooling and Concatenate; and small models of every other layer kind and argument
 * exported (SeparableConv2D, Conv1D, Conv3D, the transposed convolutions, 1-D / 3-D pooling,
 * channels_first layers, regularizers and initializers tfjs spells otherwise, …). Each is exported with `toTfjsArtifacts` and written with
 * `writeTfjsModel` into a temporary folder, then:
 * - (a) read back the way a user reads a tfjs model with layerspec (`readJsonFile` → `decodeModelFile`
 *   → `compileModel` → `loadTfjsWeights`): the same params bit for bit, in the same order, and the same
 *   outputs;
 * - (b) loaded by tfjs-layers 4.22 (cpu backend) from the written files (`tf.io.fromMemory` over the
 *   file contents, what tfjs's file handlers hand to `loadLayersModel`): `predict` agrees with
 *   `compileModel(model).forward` within 1e-5 of the output scale (max |ours − tfjs| / max |tfjs|;
 *   both compute in float32; measured: MNIST 2.7e-7, residual block 1.6e-7, MLP 9.9e-8, nested 1.5e-7,
 *   the layer kinds ≤ 2.2e-7) and the argmax classes are equal;
 * - (c) models tfjs-layers 4.22 cannot read, or would compute otherwise, are refused with a path into
 *   the model.json and what tfjs expects (each refusal in REFUSED was first measured against tfjs:
 *   another output shape, other values, or a throw).
 * Runtime about 3.5 s of tests, most of it the MNIST training.
 */
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadTfjsWeights, readJsonFile } from '../../src/cli/io.js'
import { writeTfjsModel } from '../../src/cli/writeModel.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { apply, functional, input, layer, layers, sequential, type LayerJson } from '../../src/model/builder.js'
import { compileModel, type CompiledModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { toKerasJson, toTfjsArtifacts, toTfjsTopology, type TfjsArtifacts } from '../../src/model/exportModel.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { fit } from '../../src/train/fit.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { uniform } from '../keras3/golden.js'
import { left, readJson, right } from '../helpers.js'
import { tf, tfl } from '../tfjs.js'
import { mnistSplit } from '../train/mnistData.js'

// -------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------

/** The Keras MNIST convnet after one epoch of `fit` on 800 real digits; 50 other digits to predict. */
const trainedMnist = (): { readonly model: ModelSpec; readonly params: ModelParams; readonly x: Tensor } => {
  const model = right(decodeModelFile(readJson('examples/models/mnist-convnet.keras3.json'))).model
  const trainer = right(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } }, metrics: ['accuracy'] }))
  const train = mnistSplit(0, 80)
  const r = fit(trainer, trainer.init(trainer.compiled.init(1)), { x: [train.x], y: [train.y] }, { epochs: 1, batchSize: 32, seed: 3 })
  return { model, params: r.state.params, x: mnistSplit(500, 5).x }
}

/** Conv → BN → ReLU → Conv → BN, added to the first conv's output, ReLU, global pooling, Dense softmax. */
const residualBlock = (): ModelSpec => {
  const x = input([8, 8, 3], { name: 'image' })
  const c1 = apply(layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same' }), x)
  const b1 = apply(layers.batchNormalization(), c1)
  const r1 = apply(layers.relu(), b1)
  const c2 = apply(layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same' }), r1)
  const b2 = apply(layers.batchNormalization(), c2)
  const sum = apply(layers.add(), [b2, c1])
  const r2 = apply(layers.activation({ activation: 'relu' }), sum)
  const pooled = apply(layers.globalAveragePooling2d(), r2)
  const y = apply(layers.dense({ units: 4, activation: 'softmax' }), pooled)
  return right(functional({ inputs: [x], outputs: [y], name: 'residual' }))
}

/** A Dense MLP whose layers have no names (the export gives Keras's: dense, dense_1, …). */
const mlp = (): ModelSpec =>
  right(
    sequential(
      [layers.dense({ units: 16, activation: 'relu' }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 8, activation: 'tanh' }), layers.dense({ units: 3, activation: 'softmax' })],
      { input_shape: [5] }
    )
  )

/** A graph around a nested Sequential (DepthwiseConv2D, LeakyReLU), with pooling and Concatenate. */
const nestedGraph = (): ModelSpec => {
  const inner = right(
    sequential([layers.depthwiseConv2d({ kernel_size: 3, depth_multiplier: 2, padding: 'same', name: 'dw' }), layers.leakyRelu({ negative_slope: 0.2, name: 'leaky' })], {
      input_shape: [6, 6, 2],
      name: 'features'
    })
  )
  const x = input([6, 6, 2], { name: 'pixels' })
  const f = apply({ class_name: 'Sequential', config: (encodeModel(inner) as { readonly config: Readonly<Record<string, unknown>> }).config }, x)
  const p = apply(layers.maxPooling2d({ pool_size: 2 }), f)
  const q = apply(layers.averagePooling2d({ pool_size: 2 }), f)
  const cat = apply(layers.concatenate({ axis: -1 }), [p, q])
  const flat = apply(layers.flatten(), cat)
  const y = apply(layers.dense({ units: 5, activation: 'softmax', name: 'head' }), flat)
  return right(functional({ inputs: [x], outputs: [y], name: 'nested' }))
}

/** Seeded params with BatchNormalization statistics and biases away from 0 / 1 (so that they matter). */
const perturbed = (compiled: CompiledModel, seed: number): ModelParams => {
  const ranges: Readonly<Record<string, readonly [number, number]>> = { gamma: [0.5, 1.5], beta: [-0.5, 0.5], moving_mean: [-0.5, 0.5], moving_variance: [0.3, 2], bias: [-0.2, 0.2] }
  return compiled.init(seed).map((p, i) => {
    const range = ranges[compiled.weights[i]?.name ?? '']
    return range === undefined ? p : { shape: p.shape, data: uniform(seed + 31 * i, p.data.length, range[0], range[1]) }
  })
}

const batchOf = (compiled: CompiledModel, n: number, seed: number): Tensor => {
  const shape = [n, ...(compiled.inputShapes[0] ?? [])]
  return { shape, data: uniform(seed, shape.reduce((a, b) => a * b, 1), -1, 1) }
}

// -------------------------------------------------------------------------------------
// writing and reading
// -------------------------------------------------------------------------------------

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Exports and writes into a fresh temporary folder; returns the model.json path. */
const exportTo = (compiled: CompiledModel, params: ModelParams): { readonly path: string; readonly artifacts: TfjsArtifacts } => {
  const artifacts = right(toTfjsArtifacts(compiled, params))
  const dir = mkdtempSync(join(tmpdir(), 'layerspec-export-'))
  dirs.push(dir)
  const written = right(writeTfjsModel(join(dir, 'out'), artifacts))
  return { path: written.modelJsonPath, artifacts }
}

/** What a layerspec user does with a model.json: read, decode, compile, load the shard next to it. */
const readWithLayerspec = (path: string): { readonly compiled: CompiledModel; readonly params: ModelParams } => {
  const json = readJsonFile(path)
  if (E.isLeft(json)) throw new Error(json.left)
  const file = right(decodeModelFile(json.right))
  expect(file.format).toBe('tfjs-layers-model')
  const compiled = right(compileModel(file.model))
  const params = right(loadTfjsWeights(path, file, compiled))
  if (params === null) throw new Error('no weights manifest')
  return { compiled, params }
}

/** What tfjs's file handlers hand to `loadLayersModel`: the model.json's topology and manifest, the shard's bytes. */
const loadWithTfjs = async (path: string): Promise<tfl.LayersModel> => {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: object; weightsManifest: ReadonlyArray<{ paths: ReadonlyArray<string>; weights: tf.io.WeightsManifestEntry[] }> }
  const group = json.weightsManifest[0]
  if (group === undefined || json.weightsManifest.length !== 1 || group.paths.length !== 1) throw new Error('expected one group of one shard')
  const bin = readFileSync(join(path, '..', group.paths[0] as string))
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }))
}

const predict = (model: tfl.LayersModel, x: Tensor): Float32Array => {
  const xt = tf.tensor(Float32Array.from(x.data), [...x.shape])
  const yt = model.predict(xt) as tf.Tensor
  const out = Float32Array.from(yt.dataSync())
  tf.dispose([xt, yt])
  return out
}

/** max |ours − theirs| / max(1e-6, max |theirs|). */
const relError = (ours: ArrayLike<number>, theirs: ArrayLike<number>): number => {
  expect(ours.length).toBe(theirs.length)
  let diff = 0
  let scale = 0
  for (let i = 0; i < theirs.length; i++) {
    diff = Math.max(diff, Math.abs((ours[i] as number) - (theirs[i] as number)))
    scale = Math.max(scale, Math.abs(theirs[i] as number))
  }
  return diff / Math.max(1e-6, scale)
}

const argmaxRows = (data: ArrayLike<number>, classes: number): number[] =>
  Array.from({ length: data.length / classes }, (_, r) => {
    let best = 0
    for (let c = 1; c < classes; c++) if ((data[r * classes + c] as number) > (data[r * classes + best] as number)) best = c
    return best
  })

const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(Float32Array.from(t.data).buffer)

/** (a) and (b) for one model. */
const roundTrip = async (label: string, compiled: CompiledModel, params: ModelParams, x: Tensor): Promise<{ readonly rel: number; readonly classes: ReadonlyArray<number> }> => {
  const { path, artifacts } = exportTo(compiled, params)
  // the manifest: tfjs's layout
  expect(artifacts.modelJson.format).toBe('layers-model')
  expect(artifacts.modelJson.convertedBy).toBeNull()
  expect(artifacts.modelJson.modelTopology['keras_version']).toBe('tfjs-layers 4.22.0')
  expect(artifacts.modelJson.modelTopology['backend']).toBe('tensor_flow.js')
  expect(artifacts.modelJson.weightsManifest.map((g) => g.paths)).toEqual([['group1-shard1of1.bin']])
  expect(artifacts.weightData.byteLength).toBe(4 * params.reduce((a, p) => a + p.data.length, 0))

  // (a) layerspec reads back the very params, in order, and computes the same outputs
  const back = readWithLayerspec(path)
  expect(back.compiled.weights.map((w) => w.shape)).toEqual(compiled.weights.map((w) => w.shape))
  expect(back.params.length).toBe(params.length)
  back.params.forEach((p, i) => {
    expect(p.shape).toEqual(params[i]?.shape)
    expect(bytesOf(p)).toEqual(bytesOf(params[i] as Tensor))
  })
  const ours = (compiled.forward(params, [x])[0] as Tensor).data
  expect(relError((back.compiled.forward(back.params, [x])[0] as Tensor).data, ours)).toBeLessThanOrEqual(1e-6)

  // (b) tfjs-layers loads the written files and predicts the same
  const model = await loadWithTfjs(path)
  try {
    const theirs = predict(model, x)
    const rel = relError(ours, theirs)
    const classes = compiled.outputShapes[0]?.at(-1) ?? 1
    const oursClasses = argmaxRows(ours, classes)
    expect(argmaxRows(theirs, classes)).toEqual(oursClasses)
    expect(rel).toBeLessThanOrEqual(1e-5)
    console.log(`${label}: ${compiled.weights.length} weights, ${artifacts.weightData.byteLength} bytes; tfjs vs ours max rel error ${rel.toExponential(2)}`)
    return { rel, classes: oursClasses }
  } finally {
    model.dispose()
  }
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('toTfjsArtifacts + writeTfjsModel: layerspec and tfjs-layers read the model back', () => {
  it('the Keras MNIST convnet trained with fit on real digits: same params, tfjs predicts the same classes', async () => {
    const { model, params, x } = trainedMnist()
    const compiled = right(compileModel(model))
    const r = await roundTrip('mnist-convnet (trained)', compiled, params, x)
    // trained, not an initial model: it tells the digits apart (5 of each class, interleaved)
    const labels = Array.from({ length: 50 }, (_, i) => i % 10)
    const correct = r.classes.filter((c, i) => c === labels[i]).length
    console.log(`mnist-convnet: ${correct} of 50 unseen digits right`)
    expect(correct).toBeGreaterThanOrEqual(25)
  })

  it('a functional residual block with BatchNormalization and Add (builder-made)', async () => {
    const compiled = right(compileModel(residualBlock()))
    await roundTrip('residual block', compiled, perturbed(compiled, 11), batchOf(compiled, 6, 12))
  })

  it('a Dense MLP of unnamed layers: Keras names are given (dense, dropout, dense_1, dense_2)', async () => {
    const compiled = right(compileModel(mlp()))
    const { artifacts } = exportTo(compiled, perturbed(compiled, 21))
    expect(artifacts.modelJson.weightsManifest[0]?.weights.map((w) => w.name)).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias'])
    await roundTrip('dense MLP', compiled, perturbed(compiled, 21), batchOf(compiled, 7, 22))
  })

  it('a nested Sequential with a Keras 3 DepthwiseConv2D: weights named as tfjs names them (depthwise_kernel, no model prefix)', async () => {
    const compiled = right(compileModel(nestedGraph()))
    expect(compiled.weights.map((w) => w.path)).toEqual(['features/dw/kernel', 'features/dw/bias', 'head/kernel', 'head/bias'])
    const params = perturbed(compiled, 31)
    const { artifacts } = exportTo(compiled, params)
    expect(artifacts.modelJson.weightsManifest[0]?.weights.map((w) => w.name)).toEqual(['dw/depthwise_kernel', 'dw/bias', 'head/kernel', 'head/bias'])
    await roundTrip('nested + depthwise', compiled, params, batchOf(compiled, 3, 32))
  })

  it('the shard holds every weight as float32 little-endian, in manifest order', () => {
    const compiled = right(compileModel(mlp()))
    const params = perturbed(compiled, 41)
    const { weightData, modelJson } = right(toTfjsArtifacts(compiled, params))
    const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength)
    let at = 0
    modelJson.weightsManifest[0]?.weights.forEach((w, i) => {
      const p = params[i] as Tensor
      expect(w.shape).toEqual(p.shape)
      expect(w.dtype).toBe('float32')
      for (let k = 0; k < p.data.length; k++, at += 4) expect(view.getFloat32(at, true)).toBe(p.data[k])
    })
    expect(at).toBe(weightData.byteLength)
  })
})

/** One-layer (or few-layer) Sequential models: [label, layers, per-sample input shape]. */
type Case = readonly [string, ReadonlyArray<LayerJson>, ReadonlyArray<number>]
const cf = { data_format: 'channels_first' } as const

/** Layer kinds and arguments tfjs-layers 4.22 runs as Keras does (each measured here against it). */
const EXPORTED: ReadonlyArray<Case> = [
  ['SeparableConv2D strided, dilated', [layer('SeparableConv2D', { filters: 4, kernel_size: 3, depth_multiplier: 2, padding: 'same', strides: 2 }), layer('SeparableConv2D', { filters: 2, kernel_size: 2, dilation_rate: 2 })], [9, 9, 3]],
  ['DepthwiseConv2D channels_first', [layer('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, ...cf })], [3, 6, 6]],
  ['Conv2D dilated channels_first, same', [layer('Conv2D', { filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'same', ...cf })], [2, 7, 7]],
  ['Conv1D strided and dilated, 1-D pooling', [layer('Conv1D', { filters: 4, kernel_size: 3, padding: 'same', strides: 2 }), layer('Conv1D', { filters: 4, kernel_size: 2, dilation_rate: 2 }), layer('MaxPooling1D', { pool_size: 2 }), layer('AveragePooling1D', { pool_size: 2, padding: 'same' })], [17, 3]],
  ['GlobalAveragePooling1D', [layer('GlobalAveragePooling1D', {})], [9, 3]],
  ['GlobalMaxPooling1D', [layer('GlobalMaxPooling1D', {})], [9, 3]],
  ['Conv2DTranspose same / valid, channels_first', [layer('Conv2DTranspose', { filters: 4, kernel_size: 3, strides: 2, padding: 'same', ...cf }), layer('Conv2DTranspose', { filters: 2, kernel_size: 2, strides: 2, ...cf })], [3, 4, 4]],
  ['Conv3D, 3-D pooling, Conv3DTranspose', [layer('Conv3D', { filters: 2, kernel_size: 3, strides: 2, padding: 'same' }), layer('MaxPooling3D', { pool_size: 1 }), layer('AveragePooling3D', { pool_size: 2, strides: 1, padding: 'same' }), layer('Conv3DTranspose', { filters: 2, kernel_size: 2, strides: 2 })], [6, 6, 6, 2]],
  ['pooling same, global pooling, channels_first', [layer('MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same', ...cf }), layer('AveragePooling2D', { pool_size: 2, padding: 'same', ...cf }), layer('GlobalMaxPooling2D', cf)], [2, 7, 7]],
  ['padding, cropping, nearest upsampling, channels_first', [layer('ZeroPadding2D', { padding: [[1, 2], [0, 1]], ...cf }), layer('Cropping2D', { cropping: [[1, 0], [0, 2]], ...cf }), layer('UpSampling2D', { size: [2, 3], ...cf })], [2, 4, 4]],
  ['Conv2D → MaxPooling2D → Flatten channels_first → Dense', [layer('Conv2D', { filters: 3, kernel_size: 3, ...cf }), layer('MaxPooling2D', cf), layer('Flatten', cf), layer('Dense', { units: 2 })], [2, 7, 7]],
  ['Rescaling, ReLU max_value, LeakyReLU, Softmax, Activation', [layer('Rescaling', { scale: 0.5, offset: 0.25 }), layer('ReLU', { max_value: 0.3 }), layer('LeakyReLU', { negative_slope: 0.2 }), layer('Activation', { activation: 'elu' }), layer('Softmax', { axis: 2 })], [3, 4]],
  ['BatchNormalization after Dense (axis 1 = last), center false', [layer('Dense', { units: 4 }), layer('BatchNormalization', { center: false, epsilon: 0.01 }), layer('BatchNormalization', { axis: 1, scale: false })], [3]],
  ['Dense on a rank-3 input, Dropout with noise_shape, Reshape', [layer('Dense', { units: 4 }), layer('Dropout', { rate: 0.5, noise_shape: [null, 1, 4] }), layer('Reshape', { target_shape: [2, 10] })], [5, 3]],
  ['regularizers, LeCun initializer, constraint (written as tfjs reads them)', [layer('Conv2D', { filters: 2, kernel_size: 1, kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } }, bias_regularizer: { class_name: 'L1', config: { l1: 0.01 } }, kernel_initializer: 'lecun_normal', bias_initializer: 'lecun_uniform', kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2 } } })], [3, 3, 2]],
  ['frozen layers, an orthogonal Dense kernel', [layer('Dense', { units: 2, trainable: false, kernel_initializer: 'orthogonal' }), layer('BatchNormalization', { trainable: false })], [3]]
]

/** Arguments tfjs-layers 4.22 ignores or runs otherwise (each measured): [label, layers, input shape, the refused key]. */
const REFUSED: ReadonlyArray<readonly [...Case, string]> = [
  ['causal Conv1D (tfjs throws when it runs)', [layer('Conv1D', { filters: 2, kernel_size: 3, padding: 'causal' })], [9, 3], 'padding'],
  ['Conv1D channels_first (tfjs treats it as channels_last)', [layer('Conv1D', { filters: 4, kernel_size: 3, ...cf })], [3, 9], 'data_format'],
  ['MaxPooling1D channels_first', [layer('MaxPooling1D', { pool_size: 2, ...cf })], [3, 9], 'data_format'],
  ['GlobalAveragePooling1D channels_first', [layer('GlobalAveragePooling1D', cf)], [3, 5], 'data_format'],
  ['SeparableConv2D channels_first (tfjs: relative error 0.3)', [layer('SeparableConv2D', { filters: 4, kernel_size: 3, ...cf })], [3, 6, 6], 'data_format'],
  ['dilated DepthwiseConv2D (tfjs ignores the dilation)', [layer('DepthwiseConv2D', { kernel_size: 3, dilation_rate: 2 })], [8, 8, 2], 'dilation_rate'],
  ['dilated Conv2DTranspose', [layer('Conv2DTranspose', { filters: 4, kernel_size: 3, dilation_rate: 2 })], [5, 5, 3], 'dilation_rate'],
  ['Conv2DTranspose output_padding (tfjs ignores it)', [layer('Conv2DTranspose', { filters: 4, kernel_size: 3, strides: 2, output_padding: 1 })], [5, 5, 3], 'output_padding'],
  ['Conv3DTranspose output_padding', [layer('Conv3DTranspose', { filters: 2, kernel_size: 3, strides: 2, output_padding: 1 })], [3, 3, 3, 2], 'output_padding'],
  ['Softmax on a non-last axis (tfjs: "not yet supported")', [layer('Softmax', { axis: 1 })], [3, 4], 'axis'],
  ['an orthogonal Conv2D kernel (tfjs fails building it)', [layer('Conv2D', { filters: 2, kernel_size: 1, kernel_initializer: 'orthogonal' })], [3, 3, 2], 'kernel_initializer.class_name'],
  ['an activity regularizer (tfjs throws when the layer runs)', [layer('Dense', { units: 2, activity_regularizer: { class_name: 'L2', config: { l2: 0.1 } } })], [3], 'activity_regularizer'],
  ['Normalization (tfjs has none)', [layer('Normalization', { mean: 0.5, variance: 2 })], [3], 'class_name']
]

describe('layer kinds: exported ones run in tfjs-layers as in layerspec, the others are refused', () => {
  it.each(EXPORTED)('%s', async (label, ls, shape) => {
    const compiled = right(compileModel(right(sequential(ls, { input_shape: shape }))))
    await roundTrip(label, compiled, perturbed(compiled, 51), batchOf(compiled, 2, 52))
  })

  it.each(REFUSED)('%s', (_, ls, shape, key) => {
    const errors = left(toTfjsTopology(right(sequential(ls, { input_shape: shape }))))
    expect(errors.map((e) => e.path)).toEqual([`modelTopology.config.layers[1].${key === 'class_name' ? key : `config.${key}`}`])
  })
})

describe('toKerasJson', () => {
  it('writes the model in its own dialect (decode(toKerasJson(m)) = m), and in tf.keras 2.x form with keras_version', () => {
    const model = right(decodeModelFile(readJson('examples/models/mnist-convnet.keras3.json'))).model
    const own = right(toKerasJson(model))
    expect(own['module']).toBe('keras')
    expect(right(decodeModel(own))).toEqual(model)
    const k2 = right(toKerasJson(model, { dialect: 'keras2' }))
    expect(k2['keras_version']).toBe('2.15.0')
    expect(k2['backend']).toBe('tensorflow')
    const file = right(decodeModelFile(k2))
    expect(file.model.dialect).toBe('keras2')
    expect(right(compileModel(file.model)).weights.map((w) => w.path)).toEqual(right(compileModel(model)).weights.map((w) => w.path))
  })

  it('names unnamed layers as Keras does', () => {
    const json = right(toKerasJson(mlp())) as { readonly config: { readonly layers: ReadonlyArray<{ readonly config: { readonly name?: string } }> } }
    expect(json.config.layers.map((l) => l.config.name)).toEqual(['input_layer', 'dense', 'dropout', 'dense_1', 'dense_2'])
  })

  it('refuses to convert a Keras 3 hard_sigmoid to tf.keras 2.x, where the name means another function', () => {
    const model = right(sequential([layers.dense({ units: 2, activation: 'hard_sigmoid' })], { input_shape: [3] }))
    expect(right(toKerasJson(model))['class_name']).toBe('Sequential')
    const errors = left(toKerasJson(model, { dialect: 'keras2' }))
    expect(errors.map((e) => e.path)).toEqual(['config.layers[1].config.activation'])
    expect(errors[0]?.message).toMatch(/clip\(x\/6 \+ 0\.5, 0, 1\) in keras3 but clip\(0\.2·x \+ 0\.5, 0, 1\) in keras2/)
  })
})

describe('what tfjs-layers 4.22 cannot read, or would compute otherwise, is refused with its path', () => {
  it('layers tfjs lacks, ignored arguments, activations it has not, Keras 3 hard_sigmoid', () => {
    const model = right(
      sequential(
        [
          layers.conv2d({ filters: 4, kernel_size: 3, groups: 2, activation: 'leaky_relu' }),
          layers.spatialDropout2d({ rate: 0.1 }),
          layers.upSampling2d({ interpolation: 'bilinear' }),
          layers.relu({ negative_slope: 0.1 }),
          layers.globalAveragePooling2d({ keepdims: true }),
          layers.reshape({ target_shape: [-1] }),
          layers.dense({ units: 3, activation: 'hard_sigmoid' })
        ],
        { input_shape: [8, 8, 2] }
      )
    )
    const errors = left(toTfjsTopology(model))
    const at = (i: number, key: string): string => `modelTopology.config.layers[${i}].${key}`
    expect(errors.map((e) => e.path)).toEqual([
      at(1, 'config.activation'),
      at(1, 'config.groups'),
      at(2, 'class_name'),
      at(3, 'config.interpolation'),
      at(4, 'config.negative_slope'),
      at(5, 'config.keepdims'),
      at(6, 'config.target_shape'),
      at(7, 'config.activation')
    ])
    expect(errors[1]?.message).toBe('Conv2D "conv2d": tfjs-layers 4.22 ignores "groups" (it would run an ungrouped convolution with a kernel of another shape); expected 1, found 2')
    expect(errors[2]?.message).toMatch(/^SpatialDropout2D "spatial_dropout2d": tfjs-layers 4.22 has SpatialDropout1D only/)
    expect(errors[6]?.message).toMatch(/expected the explicit target shape \(here \[4\]\), found/)
  })

  it('Subtract in a graph, BatchNormalization on the channels_first axis', () => {
    const x = input([4, 5, 5], { name: 'x' })
    const a = apply(layers.conv2d({ filters: 3, kernel_size: 1, data_format: 'channels_first', name: 'a' }), x)
    const b = apply(layers.batchNormalization({ axis: 1, name: 'bn' }), a)
    const d = apply(layers.subtract({ name: 'diff' }), [a, b])
    const model = right(functional({ inputs: [x], outputs: [d] }))
    const errors = left(toTfjsTopology(model))
    expect(errors.map((e) => e.path)).toEqual(['modelTopology.config.layers[2].config.axis', 'modelTopology.config.layers[3].class_name'])
    expect(errors[0]?.message).toMatch(/^BatchNormalization "bn": tfjs-layers 4.22 normalizes right only along the last axis .*expected -1 or 3, found/)
    expect(errors[1]?.message).toMatch(/^Subtract "diff": tfjs-layers 4.22 has no Subtract layer/)
  })

  it('two nested layers whose weights tfjs would give the same name', () => {
    const inner = right(sequential([layers.dense({ units: 3, name: 'fc' })], { input_shape: [4], name: 'inner' }))
    const x = input([4], { name: 'x' })
    const h = apply({ class_name: 'Sequential', config: (encodeModel(inner) as { readonly config: Readonly<Record<string, unknown>> }).config }, x)
    const y = apply(layers.dense({ units: 2, name: 'fc' }), h)
    const compiled = right(compileModel(right(functional({ inputs: [x], outputs: [y] }))))
    const errors = left(toTfjsArtifacts(compiled, compiled.init(1)))
    expect(errors).toHaveLength(2)
    expect(errors[0]?.message).toMatch(/^weights "inner\/fc\/kernel" and "fc\/kernel" would both be named "fc\/kernel": tfjs-layers names a weight by its own layer's name/)
  })

  it('params that do not fit the model', () => {
    const compiled = right(compileModel(mlp()))
    const params = compiled.init(1)
    expect(left(toTfjsArtifacts(compiled, params.slice(1))).map((e) => e.path)).toEqual(['params'])
    const wrong = params.map((p, i) => (i === 2 ? { shape: [16, 7], data: new Float32Array(112) } : p))
    const errors = left(toTfjsArtifacts(compiled, wrong))
    expect(errors).toEqual([{ path: 'params[2]', message: 'weight "#3/kernel": expected shape [16, 8] (128 values), found shape [16, 7] with 112 values' }])
  })

  it('writeTfjsModel refuses a shard name that is not a file name next to model.json', () => {
    const compiled = right(compileModel(mlp()))
    const artifacts = right(toTfjsArtifacts(compiled, compiled.init(1), { shardName: '../elsewhere.bin' }))
    expect(left(writeTfjsModel(join(tmpdir(), 'never-written'), artifacts)).map((e) => e.path)).toEqual(['weightsManifest[0].paths'])
  })
})
