/**
 * TensorFlow.js's own spellings, layer by layer: every layer kind layerspec reads is built in the real
 * producer, @tensorflow/tfjs-layers 4.22 (cpu backend), with its options at their defaults and with
 * each option tfjs allows set to non-default values (options left undefined included: tfjs's
 * `convertTsToPythonic` writes them as `null`, or the layer's `getConfig` leaves them out), saved
 * with `tf.io.withSaveHandler` as a model.json + weights, and read by layerspec as a user does
 * (`decodeModelFile` → `compileModel` → the weights manifest). Per case:
 * - every layer's output shape and parameter count, and the model's totals, equal tfjs's;
 * - the forward outputs equal tfjs's `predict` on seeded random inputs, |ours − theirs| ≤ 1e-4·(1 + |theirs|);
 * - decode(encode(spec)) = spec in the file's dialect (keras2), and up to the dialect when converted to keras3.
 *
 * tfjs spellings found (from the layers' `getConfig` in node_modules/@tensorflow/tfjs-layers and the
 * runs below), and what layerspec does with them:
 * - Reshape `target_shape`: tfjs's constructor turns every unknown dim into `null`, so
 *   `reshape({ targetShape: [4, -1] })` saves `[4, null]` → decoded as `-1`; encoded as `-1` in every
 *   dialect (tfjs reads `-1` back, checked in the last tests);
 * - DepthwiseConv2D `depthwise_constraint`: tfjs writes `serializeConstraint(this.depthwiseRegularizer)`,
 *   a copy of the regularizer (`{"class_name": "L1L2", …}`), never the constraint → read as no constraint;
 * - everything else tfjs writes is already Keras's spelling once snake-cased (`channels_first`,
 *   `hard_sigmoid`, `log_softmax`, `fan_avg`, `truncated_normal`, …): `null` for unset `max_value`,
 *   `noise_shape`, `seed`, regularizers and constraints; `[n, n]` lists for kernel sizes, strides,
 *   dilations and pool sizes (an int for UpSampling2D `size` given as one); ZeroPadding2D / Cropping2D
 *   as pairs of pairs; Softmax's own default `axis: 1` written out; no `data_format` for Flatten unless
 *   given; no `groups` for Conv2D / DepthwiseConv2D; LeakyReLU's `alpha` (tf.keras 2.x's name).
 *
 * What tfjs writes that layerspec rejects, because Keras rejects it too (each with a clear error, pinned
 * in `rejected`): Conv2D `padding: "causal"`, the activation `gelu_new` (tfjs's tanh-approximated GELU,
 * which no Keras names so), a one-item `pool_size` (tfjs itself then fails to run: NaN sizes), and two
 * inferred Reshape dims (`[null, null]`, which tfjs saves but cannot run).
 *
 * What tfjs cannot save at all (so there is no file): any activity regularizer (tfjs throws on the layer
 * call), `orthogonal` initializers (tfjs crashes: "rMat.flatten is not a function"), and `identity`
 * on a non-square kernel.
 *
 * Where tfjs departs from Keras (spec/tfjs.ts, spec/model/tfjs-producer.spec.ts) Keras wins: the file
 * must still decode, and then only what tfjs gets right is compared (`deviates`):
 * - UpSampling2D `bilinear` (tfjs: asymmetric legacy resize) and BatchNormalization on an axis other
 *   than the last (tfjs's cpu kernel indexes the statistics by flat position) → values not compared;
 * - UpSampling2D with `size` an int (tfjs reads `size[0]` of a number: NaN shapes), DepthwiseConv2D
 *   `dilation_rate` (tfjs ignores it), RandomWidth (tfjs resizes at inference; Keras is the identity),
 *   Reshape with an inferred dim (tfjs cannot resolve it with an unknown batch), Concatenate on a
 *   negative axis other than -1 (tfjs concatenates on the last axis) and Softmax's default axis 1 on a
 *   rank-3 input (tfjs raises: "not yet supported") → our output shape is checked
 *   against Keras's (given in the case), our values against Keras's meaning where it is simple
 *   (identity, reshape), and tfjs's only where it agrees.
 */
import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import type { Tensor } from '../../src/core/Tensor.js'
import type { SymbolicShape } from '../../src/layers/LayerKind.js'
import { ReshapeKind, type ReshapeSpec } from '../../src/layers/spatial/Reshape.js'
import type { DepthwiseConv2DSpec } from '../../src/conv/DepthwiseConv2D.js'
import { compileModel, type CompiledModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import type { AnyLayerSpec, ModelSpec } from '../../src/model/ModelSpec.js'
import { assignNamedWeights, decodeWeightData, readWeightsManifest } from '../../src/model/weights.js'
import { uniformStream } from '../../src/numerics/random.js'
import { decodeErrors, left, right } from '../helpers.js'
import { tf, tfl } from '../tfjs.js'

// -------------------------------------------------------------------------------------
// the producer: build, seed the weights, save as tfjs does
// -------------------------------------------------------------------------------------

type TfLayer = tfl.layers.Layer
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const L = tfl.layers as any as Record<string, (args?: Record<string, unknown>) => TfLayer>

interface Saved {
  readonly json: Record<string, unknown>
  readonly weightData: Uint8Array
}

const save = async (model: tfl.LayersModel): Promise<Saved> => {
  let saved: Saved | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData
      const parts = (data === undefined ? [] : Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b))
      const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
      let at = 0
      for (const p of parts) {
        bytes.set(p, at)
        at += p.byteLength
      }
      saved = {
        json: {
          format: 'layers-model',
          generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }]
        },
        weightData: bytes
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  if (saved === undefined) throw new Error('tfjs saved nothing')
  return saved
}

/** Seeded weights for every layer: BatchNormalization's gamma and variance in [0.5, 1.5), the rest in [-1, 1). */
const seedWeights = (model: tfl.LayersModel, seed: number): void => {
  const rng = uniformStream(seed)
  for (const layer of model.layers) {
    const ws = layer.weights
    if (ws.length === 0) continue
    layer.setWeights(
      ws.map((w) => {
        const positive = /gamma|moving_variance/.test(w.name)
        const n = w.shape.reduce((a: number, b) => a * (b as number), 1)
        return tf.tensor(Float32Array.from({ length: n }, () => (positive ? 0.5 + rng() : 2 * rng() - 1)), w.shape as number[])
      })
    )
  }
}

/** The last layer of the model file's own config (the one under test). */
const configs = (saved: Saved): ReadonlyArray<Record<string, unknown>> => {
  const top = saved.json['modelTopology'] as { model_config?: unknown; config: { layers: Array<{ config: Record<string, unknown> }> } }
  return top.config.layers.map((l) => l.config)
}

/** What a user does: decode the model.json, compile it, read the weights its manifest names. */
const load = (saved: Saved): { readonly model: ModelSpec; readonly compiled: CompiledModel; readonly params: ModelParams } => {
  const file = right(decodeModelFile(JSON.parse(JSON.stringify(saved.json)) as unknown))
  const compiled = right(compileModel(file.model))
  const groups = right(readWeightsManifest(file.weightsManifest))
  const named = right(decodeWeightData(groups, [[saved.weightData]], compiled.dtype))
  return { model: file.model, compiled, params: right(assignNamedWeights(compiled, named)) }
}

const layerSpecs = (m: ModelSpec): ReadonlyArray<AnyLayerSpec> => (m.className === 'Sequential' ? m.layers : m.layers.map((l) => l.spec))

const sizeOf = (shape: ReadonlyArray<number | null>): number => shape.reduce((a: number, b) => a * (b ?? 1), 1)

/** A config decoded by a layer codec (throws with the errors otherwise). */
const decoded = <A>(codec: t.Decoder<unknown, A>, u: unknown): A => {
  const errors = decodeErrors(codec, u)
  if (errors.length > 0) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('\n'))
  return (codec.decode(u) as { readonly right: A }).right
}

/** The spec with every `dialect` replaced, for comparing a spec with its re-decoded keras3 encoding. */
const dialectFree = (u: unknown): unknown => JSON.parse(JSON.stringify(u), (k, v: unknown) => (k === 'dialect' ? 'any' : v))

// -------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------

interface Case {
  /** Class name and what the options exercise. */
  readonly label: string
  /** The tfjs layer under test (seeded initializers are not needed: the weights are set afterwards). */
  readonly layer: () => TfLayer
  /** Per-sample input shape, or shapes for a merge layer. */
  readonly input: ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>
  /** Where tfjs departs from Keras: what is not compared, and Keras's output shape (batch axis first) when it differs from tfjs's. */
  readonly deviates?: { readonly reason: string; readonly values: 'skip' | 'identity' | 'reshape'; readonly kerasShape?: SymbolicShape }
  /** Checks on the saved config (what tfjs wrote) and the decoded spec. */
  readonly check?: (config: Record<string, unknown>, spec: AnyLayerSpec) => void
}

const one = (input: ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>): ReadonlyArray<ReadonlyArray<number>> =>
  Array.isArray(input[0]) ? (input as ReadonlyArray<ReadonlyArray<number>>) : [input as ReadonlyArray<number>]

const IMG = [6, 5, 3]
const IMG_FIRST = [3, 6, 5]

const ACTIVATIONS = ['elu', 'hardSigmoid', 'linear', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'tanh', 'swish', 'mish', 'gelu', 'logSoftmax'] as const

const CASES: ReadonlyArray<Case> = [
  // ---- Conv2D ----
  { label: 'Conv2D defaults', layer: () => L.conv2d!({ filters: 2, kernelSize: 3 }), input: IMG },
  {
    label: 'Conv2D strides, same, channelsFirst, relu6, no bias, kernel [3, 2]',
    layer: () => L.conv2d!({ filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', dataFormat: 'channelsFirst', activation: 'relu6', useBias: false }),
    input: IMG_FIRST,
    check: (c) => {
      expect(c['data_format']).toBe('channels_first')
      expect(c['strides']).toEqual([2, 2])
    }
  },
  { label: 'Conv2D dilationRate [2, 1], hardSigmoid', layer: () => L.conv2d!({ filters: 2, kernelSize: 3, dilationRate: [2, 1], activation: 'hardSigmoid' }), input: IMG },
  { label: 'Conv2D dilationRate 2, strides [1, 1], swish', layer: () => L.conv2d!({ filters: 2, kernelSize: [2, 2], dilationRate: 2, strides: [1, 1], activation: 'swish' }), input: IMG },
  {
    label: 'Conv2D initializers by name (leCunNormal, truncatedNormal), regularizers, constraints, name, trainable',
    layer: () =>
      L.conv2d!({
        filters: 2,
        kernelSize: 1,
        kernelInitializer: 'leCunNormal',
        biasInitializer: 'truncatedNormal',
        kernelRegularizer: 'l1l2',
        biasRegularizer: tfl.regularizers.l2({ l2: 0.1 }),
        kernelConstraint: 'maxNorm',
        biasConstraint: 'nonNeg',
        name: 'my_conv',
        trainable: false
      }),
    input: IMG,
    check: (c) => expect(c['kernel_initializer']).toEqual({ class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'normal', seed: null } })
  },
  {
    label: 'Conv2D initializer objects (varianceScaling fanOut truncatedNormal, randomNormal), minMaxNorm / unitNorm',
    layer: () =>
      L.conv2d!({
        filters: 2,
        kernelSize: 2,
        kernelInitializer: tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'truncatedNormal', seed: 3 }),
        biasInitializer: tfl.initializers.randomNormal({ mean: 1, stddev: 2, seed: 4 }),
        kernelConstraint: tfl.constraints.minMaxNorm({ minValue: 0.1, maxValue: 2, rate: 0.5, axis: 1 }),
        biasConstraint: tfl.constraints.unitNorm({ axis: 0 })
      }),
    input: IMG
  },
  {
    label: 'Conv2D initializers heUniform, constant; l1 / l1l2 objects; maxNorm axis 0',
    layer: () =>
      L.conv2d!({
        filters: 2,
        kernelSize: 2,
        kernelInitializer: 'heUniform',
        biasInitializer: tfl.initializers.constant({ value: 0.5 }),
        kernelRegularizer: tfl.regularizers.l1({ l1: 0.3 }),
        biasRegularizer: tfl.regularizers.l1l2({ l1: 0.3, l2: 0 }),
        kernelConstraint: tfl.constraints.maxNorm({ maxValue: 3, axis: 0 })
      }),
    input: IMG
  },
  {
    label: 'Conv2D initializers varianceScaling (fanIn normal / fanAvg uniform), randomUniform, glorotNormal, leCunUniform',
    layer: () =>
      L.conv2d!({
        filters: 2,
        kernelSize: 2,
        kernelInitializer: tfl.initializers.varianceScaling({ scale: 2, mode: 'fanAvg', distribution: 'uniform' }),
        biasInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 2 })
      }),
    input: IMG
  },
  // ---- Dense ----
  { label: 'Dense defaults', layer: () => L.dense!({ units: 3 }), input: [5] },
  {
    label: 'Dense softmax, no bias, zeros / ones, nonNeg, l1l2, identity (square)',
    layer: () => L.dense!({ units: 5, activation: 'softmax', useBias: false, kernelInitializer: 'identity', biasInitializer: 'ones', kernelConstraint: 'nonNeg', biasRegularizer: 'l1l2' }),
    input: [5]
  },
  { label: 'Dense on a rank-4 input, logSoftmax, identity gain 2', layer: () => L.dense!({ units: 4, activation: 'logSoftmax', kernelInitializer: tfl.initializers.identity({ gain: 2 }) }), input: [2, 3, 4] },
  { label: 'Dense glorotNormal, heNormal', layer: () => L.dense!({ units: 3, kernelInitializer: 'glorotNormal', biasInitializer: 'heNormal' }), input: [4] },
  { label: 'Dense dtype int32 (tfjs does not write a dense layer\'s dtype)', layer: () => L.dense!({ units: 3, dtype: 'int32', kernelInitializer: 'leCunUniform' }), input: [4] },
  // ---- Flatten ----
  { label: 'Flatten defaults (no data_format written)', layer: () => L.flatten!(), input: [2, 3, 4], check: (c) => expect('data_format' in c).toBe(false) },
  { label: 'Flatten channelsFirst', layer: () => L.flatten!({ dataFormat: 'channelsFirst' }), input: [2, 3, 4], check: (c) => expect(c['data_format']).toBe('channels_first') },
  { label: 'Flatten channelsLast', layer: () => L.flatten!({ dataFormat: 'channelsLast' }), input: [2, 3, 4] },
  // ---- pooling ----
  { label: 'MaxPooling2D defaults', layer: () => L.maxPooling2d!({}), input: IMG, check: (c) => expect([c['pool_size'], c['strides']]).toEqual([[2, 2], [2, 2]]) },
  { label: 'MaxPooling2D poolSize 3, strides 1', layer: () => L.maxPooling2d!({ poolSize: 3, strides: 1 }), input: IMG },
  { label: 'MaxPooling2D poolSize [3, 2], strides [1, 2], same, channelsFirst', layer: () => L.maxPooling2d!({ poolSize: [3, 2], strides: [1, 2], padding: 'same', dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  { label: 'MaxPooling2D strides null (→ pool size)', layer: () => L.maxPooling2d!({ poolSize: 2, strides: null }), input: IMG },
  { label: 'MaxPooling2D via maxPool2d', layer: () => L.maxPool2d!({ poolSize: [2, 1] }), input: IMG },
  { label: 'AveragePooling2D defaults', layer: () => L.averagePooling2d!({}), input: IMG },
  { label: 'AveragePooling2D poolSize [3, 2], strides 2, same, channelsFirst', layer: () => L.averagePooling2d!({ poolSize: [3, 2], strides: 2, padding: 'same', dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  { label: 'AveragePooling2D via avgPool2d', layer: () => L.avgPool2d!({ poolSize: 2, strides: 1, padding: 'same' }), input: IMG },
  { label: 'GlobalAveragePooling2D defaults', layer: () => L.globalAveragePooling2d!({}), input: IMG },
  { label: 'GlobalAveragePooling2D channelsFirst', layer: () => L.globalAveragePooling2d!({ dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  { label: 'GlobalMaxPooling2D defaults', layer: () => L.globalMaxPooling2d!({}), input: IMG },
  { label: 'GlobalMaxPooling2D channelsFirst', layer: () => L.globalMaxPooling2d!({ dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  // ---- padding, cropping, upsampling ----
  { label: 'ZeroPadding2D defaults', layer: () => L.zeroPadding2d!({}), input: IMG, check: (c) => expect(c['padding']).toEqual([[1, 1], [1, 1]]) },
  { label: 'ZeroPadding2D padding 2', layer: () => L.zeroPadding2d!({ padding: 2 }), input: IMG },
  { label: 'ZeroPadding2D padding [1, 2]', layer: () => L.zeroPadding2d!({ padding: [1, 2] }), input: IMG },
  { label: 'ZeroPadding2D pairs, channelsFirst', layer: () => L.zeroPadding2d!({ padding: [[1, 2], [0, 3]], dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  { label: 'Cropping2D cropping 1', layer: () => L.cropping2D!({ cropping: 1 }), input: IMG },
  { label: 'Cropping2D cropping [1, 2]', layer: () => L.cropping2D!({ cropping: [1, 2] }), input: IMG },
  { label: 'Cropping2D pairs, channelsFirst', layer: () => L.cropping2D!({ cropping: [[1, 2], [0, 1]], dataFormat: 'channelsFirst' }), input: IMG_FIRST },
  { label: 'UpSampling2D defaults', layer: () => L.upSampling2d!({}), input: [3, 2, 2], check: (c) => expect([c['size'], c['interpolation']]).toEqual([[2, 2], 'nearest']) },
  { label: 'UpSampling2D size [2, 3], channelsFirst, nearest', layer: () => L.upSampling2d!({ size: [2, 3], dataFormat: 'channelsFirst', interpolation: 'nearest' }), input: [2, 3, 2] },
  {
    label: 'UpSampling2D bilinear',
    layer: () => L.upSampling2d!({ size: [2, 3], interpolation: 'bilinear' }),
    input: [3, 2, 2],
    deviates: { reason: 'tfjs resizes bilinear with the legacy asymmetric mapping, Keras with half-pixel centers', values: 'skip' }
  },
  {
    label: 'UpSampling2D size 2 (an int, written as one)',
    layer: () => L.upSampling2d!({ size: 2 }),
    input: [3, 2, 2],
    deviates: { reason: 'tfjs reads size[0] of the number (NaN shapes)', values: 'skip', kerasShape: [null, 6, 4, 2] },
    check: (c) => expect(c['size']).toBe(2)
  },
  // ---- Reshape ----
  { label: 'Reshape explicit', layer: () => L.reshape!({ targetShape: [5, 18] }), input: IMG },
  {
    label: 'Reshape targetShape [5, -1] (written [5, null])',
    layer: () => L.reshape!({ targetShape: [5, -1] }),
    input: IMG,
    deviates: { reason: 'tfjs does not resolve the inferred dim with an unknown batch', values: 'reshape', kerasShape: [null, 5, 18] },
    check: (c, s) => {
      expect(c['target_shape']).toEqual([5, null])
      expect((s as ReshapeSpec).targetShape).toEqual([5, -1])
    }
  },
  {
    label: 'Reshape targetShape [null, 9]',
    layer: () => L.reshape!({ targetShape: [null, 9] }),
    input: IMG,
    deviates: { reason: 'tfjs does not resolve the inferred dim with an unknown batch', values: 'reshape', kerasShape: [null, 10, 9] },
    check: (c, s) => {
      expect(c['target_shape']).toEqual([null, 9])
      expect((s as ReshapeSpec).targetShape).toEqual([-1, 9])
    }
  },
  // ---- DepthwiseConv2D ----
  // ---- the convolution family's other members tfjs has (issue 14; where tfjs departs from Keras: see
  // keras-conv-family-reference.md §12: no causal, Conv1D channels_first not transposed back, no
  // output_padding or dilation in transposed layers, 3-D `same` padding without TF's clamp) ----
  { label: 'Conv1D defaults', layer: () => L.conv1d!({ filters: 2, kernelSize: 3 }), input: [7, 3] },
  { label: 'Conv1D strides 2, same, dilation 1, relu, no bias', layer: () => L.conv1d!({ filters: 3, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu', useBias: false }), input: [7, 2] },
  { label: 'Conv1D dilationRate 2, tanh', layer: () => L.conv1d!({ filters: 2, kernelSize: 3, dilationRate: 2, activation: 'tanh' }), input: [9, 2] },
  { label: 'Conv3D defaults', layer: () => L.conv3d!({ filters: 2, kernelSize: 2 }), input: [3, 4, 4, 2] },
  { label: 'Conv3D strides [1, 2, 2], channelsFirst, relu', layer: () => L.conv3d!({ filters: 2, kernelSize: [1, 2, 2], strides: [1, 2, 2], dataFormat: 'channelsFirst', activation: 'relu' }), input: [2, 3, 4, 4] },
  { label: 'Conv2DTranspose defaults', layer: () => L.conv2dTranspose!({ filters: 2, kernelSize: 3 }), input: IMG },
  { label: 'Conv2DTranspose strides 2, same, channelsFirst, no bias', layer: () => L.conv2dTranspose!({ filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', dataFormat: 'channelsFirst', useBias: false }), input: IMG_FIRST },
  { label: 'Conv3DTranspose strides 2, valid', layer: () => L.conv3dTranspose!({ filters: 2, kernelSize: 2, strides: 2 }), input: [2, 3, 3, 2] },
  { label: 'SeparableConv2D defaults', layer: () => L.separableConv2d!({ filters: 2, kernelSize: 3 }), input: IMG },
  // (depthMultiplier > 1: tfjs does not write it, pinned below)
  { label: 'SeparableConv2D strides 2, same, relu', layer: () => L.separableConv2d!({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu' }), input: IMG },
  { label: 'MaxPooling1D defaults', layer: () => L.maxPooling1d!({}), input: [7, 3] },
  { label: 'AveragePooling1D poolSize 3, strides 2, same', layer: () => L.averagePooling1d!({ poolSize: 3, strides: 2, padding: 'same' }), input: [8, 2] },
  { label: 'MaxPooling3D defaults', layer: () => L.maxPooling3d!({}), input: [4, 4, 4, 2] },
  { label: 'AveragePooling3D poolSize [1, 2, 2], channelsFirst', layer: () => L.averagePooling3d!({ poolSize: [1, 2, 2], dataFormat: 'channelsFirst' }), input: [2, 3, 4, 4] },
  { label: 'GlobalAveragePooling1D', layer: () => L.globalAveragePooling1d!({}), input: [5, 3] },
  { label: 'GlobalMaxPooling1D', layer: () => L.globalMaxPooling1d!({}), input: [5, 3] },
  { label: 'DepthwiseConv2D defaults', layer: () => L.depthwiseConv2d!({ kernelSize: 3 }), input: IMG },
  {
    label: 'DepthwiseConv2D depthMultiplier, strides, same, channelsFirst, relu, no bias, heNormal, nonNeg bias constraint',
    layer: () =>
      L.depthwiseConv2d!({ kernelSize: [3, 2], depthMultiplier: 2, strides: 2, padding: 'same', dataFormat: 'channelsFirst', activation: 'relu', useBias: false, depthwiseInitializer: 'heNormal', biasConstraint: 'nonNeg' }),
    input: IMG_FIRST
  },
  {
    label: 'DepthwiseConv2D depthwiseRegularizer (tfjs writes a copy of it as depthwise_constraint)',
    layer: () => L.depthwiseConv2d!({ kernelSize: 3, depthwiseRegularizer: 'l1l2', biasRegularizer: tfl.regularizers.l2() }),
    input: IMG,
    check: (c, s) => {
      expect(c['depthwise_constraint']).toEqual(c['depthwise_regularizer'])
      expect(c['depthwise_constraint']).toEqual({ class_name: 'L1L2', config: { l1: 0.01, l2: 0.01 } })
      expect((s as DepthwiseConv2DSpec).depthwiseConstraint).toBe(null)
      expect((s as DepthwiseConv2DSpec).depthwiseRegularizer).toEqual({ l1: 0.01, l2: 0.01 })
    }
  },
  {
    label: 'DepthwiseConv2D depthwiseConstraint and depthwiseRegularizer (the constraint is not written)',
    layer: () => L.depthwiseConv2d!({ kernelSize: 2, depthwiseConstraint: tfl.constraints.maxNorm({ maxValue: 2 }), depthwiseRegularizer: tfl.regularizers.l2({ l2: 0.5 }) }),
    input: IMG,
    check: (c, s) => {
      expect(c['depthwise_constraint']).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.5 } })
      expect((s as DepthwiseConv2DSpec).depthwiseConstraint).toBe(null)
    }
  },
  {
    label: 'DepthwiseConv2D depthwiseConstraint alone (written null)',
    layer: () => L.depthwiseConv2d!({ kernelSize: 2, depthwiseConstraint: 'nonNeg', biasRegularizer: 'l1l2' }),
    input: IMG,
    check: (c) => expect(c['depthwise_constraint']).toBe(null)
  },
  {
    label: 'DepthwiseConv2D dilationRate 2',
    layer: () => L.depthwiseConv2d!({ kernelSize: 3, dilationRate: 2 }),
    input: [7, 6, 2],
    deviates: { reason: 'tfjs-layers ignores a DepthwiseConv2D dilation_rate', values: 'skip', kerasShape: [null, 3, 2, 2] }
  },
  // ---- activations ----
  ...ACTIVATIONS.map((a): Case => ({ label: `Activation ${a}`, layer: () => L.activation!({ activation: a }), input: [2, 5] })),
  { label: 'ReLU defaults (max_value null)', layer: () => L.reLU!(), input: [5], check: (c) => expect(c['max_value']).toBe(null) },
  { label: 'ReLU {}', layer: () => L.reLU!({}), input: [5] },
  { label: 'ReLU maxValue 0.5', layer: () => L.reLU!({ maxValue: 0.5 }), input: [5] },
  { label: 'LeakyReLU defaults (alpha 0.3 written)', layer: () => L.leakyReLU!(), input: [5], check: (c) => expect(c['alpha']).toBe(0.3) },
  { label: 'LeakyReLU alpha 0.1', layer: () => L.leakyReLU!({ alpha: 0.1 }), input: [5] },
  { label: 'Softmax defaults (axis 1 written)', layer: () => L.softmax!(), input: [5], check: (c) => expect(c['axis']).toBe(1) },
  {
    label: 'Softmax defaults on a rank-3 input (axis 1, not the last)',
    layer: () => L.softmax!(),
    input: [3, 5],
    deviates: { reason: 'tfjs raises "Softmax along a non-last dimension is not yet supported"; Keras normalizes over axis 1', values: 'skip' },
    check: (c, s) => {
      expect(c['axis']).toBe(1)
      expect((s as unknown as { readonly axis: unknown }).axis).toEqual([1])
    }
  },
  { label: 'Softmax axis -1', layer: () => L.softmax!({ axis: -1 }), input: [3, 5] },
  { label: 'Softmax axis 2', layer: () => L.softmax!({ axis: 2 }), input: [3, 5] },
  { label: 'Softmax axis [1, 2]', layer: () => L.softmax!({ axis: [1, 2] }), input: [3, 5] },
  // ---- dropout, rescaling, batch normalization ----
  { label: 'Dropout rate (noise_shape, seed null)', layer: () => L.dropout!({ rate: 0.3 }), input: [5], check: (c) => expect([c['noise_shape'], c['seed']]).toEqual([null, null]) },
  { label: 'Dropout noiseShape, seed', layer: () => L.dropout!({ rate: 0.3, noiseShape: [1, 5], seed: 3 }), input: [5] },
  { label: 'Dropout noiseShape with null', layer: () => L.dropout!({ rate: 0.3, noiseShape: [null, 1, 5] }), input: [4, 5] },
  { label: 'Dropout rate 1.5 (clamped, written 1)', layer: () => L.dropout!({ rate: 1.5 }), input: [5], check: (c) => expect(c['rate']).toBe(1) },
  { label: 'Rescaling scale (offset 0 written)', layer: () => L.rescaling!({ scale: 0.5 }), input: [5] },
  { label: 'Rescaling scale, offset', layer: () => L.rescaling!({ scale: 2, offset: -1 }), input: IMG },
  { label: 'BatchNormalization defaults', layer: () => L.batchNormalization!(), input: IMG },
  { label: 'BatchNormalization {}', layer: () => L.batchNormalization!({}), input: [5] },
  {
    label: 'BatchNormalization momentum, epsilon, initializers, regularizers, constraints',
    layer: () =>
      L.batchNormalization!({
        axis: -1,
        momentum: 0.9,
        epsilon: 0.01,
        betaInitializer: 'ones',
        gammaInitializer: 'zeros',
        movingMeanInitializer: 'ones',
        movingVarianceInitializer: 'zeros',
        betaConstraint: 'nonNeg',
        gammaConstraint: 'maxNorm',
        betaRegularizer: 'l1l2',
        gammaRegularizer: tfl.regularizers.l2()
      }),
    input: IMG
  },
  { label: 'BatchNormalization center false', layer: () => L.batchNormalization!({ center: false }), input: IMG },
  { label: 'BatchNormalization scale false', layer: () => L.batchNormalization!({ scale: false, axis: 2 }), input: [4, 3] },
  { label: 'BatchNormalization center and scale false', layer: () => L.batchNormalization!({ center: false, scale: false }), input: IMG },
  {
    label: 'BatchNormalization axis 1',
    layer: () => L.batchNormalization!({ axis: 1 }),
    input: IMG_FIRST,
    deviates: { reason: "tfjs's cpu kernel indexes the statistics by flat position modulo C", values: 'skip' }
  },
  {
    label: 'BatchNormalization axis -3',
    layer: () => L.batchNormalization!({ axis: -3 }),
    input: IMG_FIRST,
    deviates: { reason: "tfjs's cpu kernel indexes the statistics by flat position modulo C", values: 'skip' }
  },
  // ---- merge ----
  { label: 'Add', layer: () => L.add!(), input: [[4, 3], [4, 3], [4, 3]] },
  { label: 'Add {} (broadcasting a 1)', layer: () => L.add!({}), input: [[4, 3], [1, 3]] },
  { label: 'Multiply', layer: () => L.multiply!(), input: [[4], [4]] },
  { label: 'Average', layer: () => L.average!(), input: [[2, 4], [2, 4]] },
  { label: 'Maximum', layer: () => L.maximum!(), input: [[4], [4]] },
  { label: 'Minimum', layer: () => L.minimum!(), input: [[4], [4]] },
  { label: 'Concatenate defaults (axis -1 written)', layer: () => L.concatenate!(), input: [[4], [3]], check: (c) => expect(c['axis']).toBe(-1) },
  { label: 'Concatenate axis 1', layer: () => L.concatenate!({ axis: 1 }), input: [[2, 4], [3, 4]] },
  { label: 'Concatenate axis 2', layer: () => L.concatenate!({ axis: 2 }), input: [[2, 4], [2, 3]] },
  {
    label: 'Concatenate axis -2',
    layer: () => L.concatenate!({ axis: -2 }),
    input: [[2, 4], [2, 4]],
    deviates: { reason: 'tfjs-layers concatenates every negative axis on the last one', values: 'skip', kerasShape: [null, 4, 4] }
  },
  // ---- augmentation (identity at inference in Keras) ----
  {
    label: 'RandomWidth factor (interpolation bilinear, seed null written)',
    layer: () => L.randomWidth!({ factor: 0.2 }),
    input: [4, 4, 3],
    deviates: { reason: 'tfjs resizes at inference (and declares [h, -1, c]); Keras returns the input, its width declared unknown', values: 'identity', kerasShape: [null, 4, null, 3] }
  },
  {
    label: 'RandomWidth factor [-0.2, 0.3], nearest, seed',
    layer: () => L.randomWidth!({ factor: [-0.2, 0.3], interpolation: 'nearest', seed: 4 }),
    input: [4, 4, 3],
    deviates: { reason: 'tfjs resizes at inference (and declares [h, -1, c]); Keras returns the input, its width declared unknown', values: 'identity', kerasShape: [null, 4, null, 3] }
  }
]

// -------------------------------------------------------------------------------------
// running one case
// -------------------------------------------------------------------------------------

const TOL = 1e-4

interface Built {
  readonly model: tfl.LayersModel
  readonly layer: TfLayer
  readonly saved: Saved
}

const build = async (c: Case, seed: number): Promise<Built> => {
  const inputs = one(c.input).map((s, i) => tfl.input({ shape: [...s], name: `in_${i}` }))
  const layer = c.layer()
  const out = layer.apply(inputs.length === 1 ? (inputs[0] as tfl.SymbolicTensor) : inputs) as tfl.SymbolicTensor
  const model = tfl.model({ inputs, outputs: out })
  seedWeights(model, seed)
  return { model, layer, saved: await save(model) }
}

const compare = async (c: Case, seed: number): Promise<number> => {
  const { model, layer, saved } = await build(c, seed)
  const { model: spec, compiled, params } = load(saved)
  const ours = compiled.summary.layers.find((l) => l.name === layer.name)
  const mine = layerSpecs(spec).find((s) => s.name === layer.name)
  if (ours === undefined || mine === undefined) throw new Error(`${c.label}: layer ${layer.name} missing from layerspec's summary`)
  c.check?.(configs(saved).at(-1) as Record<string, unknown>, mine)

  // structure: output shape and parameter counts (Keras's shape where tfjs's deviates)
  expect(ours.className, c.label).toBe(layer.getClassName())
  expect(ours.outputShapes, `${c.label}: output shape`).toEqual([c.deviates?.kerasShape ?? (layer.outputShape as SymbolicShape)])
  expect(ours.params, `${c.label}: params`).toBe(layer.countParams())
  expect(compiled.summary.params).toBe(model.countParams())
  expect(compiled.summary.trainableParams, `${c.label}: trainable params`).toBe(model.trainableWeights.reduce((a, w) => a + sizeOf(w.shape), 0))

  // decode(encode(spec)) = spec, in the file's dialect and converted to keras3
  expect(spec.dialect).toBe('keras2')
  expect(right(decodeModelFile(encodeModel(spec))).model, `${c.label}: keras2 round trip`).toEqual(spec)
  // (RandomHeight / RandomWidth exist only in tf.keras 2.x: a keras3 file cannot hold them)
  if (!['RandomHeight', 'RandomWidth'].includes(layer.getClassName())) {
    expect(dialectFree(right(decodeModelFile(encodeModel(spec, { dialect: 'keras3' }))).model), `${c.label}: keras3 round trip`).toEqual(dialectFree(spec))
  }

  // forward on seeded inputs
  const rng = uniformStream(seed + 1)
  const xs: Tensor[] = compiled.inputShapes.map((s) => {
    const shape = [2, ...s]
    return { shape, data: Float32Array.from({ length: sizeOf(shape) }, () => 2 * rng() - 1) }
  })
  const y = compiled.forward(params, xs)[0] as Tensor
  if (c.deviates?.values === 'identity' || c.deviates?.values === 'reshape') {
    const x = xs[0] as Tensor
    expect(y.shape).toEqual(c.deviates.values === 'identity' ? x.shape : [2, ...(c.deviates.kerasShape ?? []).slice(1)])
    expect(Array.from(y.data)).toEqual(Array.from(x.data))
  }
  if (c.deviates !== undefined && c.deviates.values !== 'reshape') return 0
  const tfXs = xs.map((x) => tf.tensor(Float32Array.from(x.data), [...x.shape]))
  const predicted = model.predict(tfXs.length === 1 ? (tfXs[0] as TfTensor) : tfXs) as TfTensor
  const theirs = predicted.dataSync()
  expect(y.shape, `${c.label}: forward shape`).toEqual(predicted.shape)
  let worst = 0
  theirs.forEach((t, i) => {
    const e = Math.abs((y.data[i] as number) - t) / (1 + Math.abs(t))
    if (!(e <= worst)) worst = e
  })
  tf.dispose([...tfXs, predicted])
  expect(worst, `${c.label}: largest relative error vs tfjs predict`).toBeLessThanOrEqual(TOL)
  return worst
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('every layer kind as tfjs-layers 4.22 writes it, with each option it allows: decoded, shapes, counts, outputs', () => {
  it.each(CASES.map((c, i) => [c.label, c, 9100 + 10 * i] as const))('%s', async (_label, c, seed) => {
    await compare(c, seed)
  })

  it('covers every layer kind tfjs-layers 4.22 can write (Subtract, SpatialDropout2D and the other Random* layers it lacks)', async () => {
    const { LAYER_KINDS } = await import('../../src/model/registry.js')
    const covered = new Set<string>()
    for (const c of CASES) covered.add(c.layer().getClassName())
    const lacking = [
      'Subtract',
      'SpatialDropout2D',
      'RandomFlip',
      'RandomRotation',
      'RandomZoom',
      'RandomTranslation',
      'RandomContrast',
      'RandomBrightness',
      'RandomHeight',
      'Normalization',
      // the convolution family's members tfjs-layers has no class for (family reference §12)
      'Conv1DTranspose',
      'SeparableConv1D',
      'DepthwiseConv1D',
      'GlobalAveragePooling3D',
      'GlobalMaxPooling3D',
      'UpSampling1D',
      'UpSampling3D',
      'ZeroPadding1D',
      'ZeroPadding3D',
      'Cropping1D',
      'Cropping3D'
    ]
    for (const name of lacking) expect(tf.serialization.SerializationMap.getMap().classNameMap[name], `tfjs registers ${name}`).toBeUndefined()
    expect(LAYER_KINDS.map((k) => k.className).filter((n) => !covered.has(n) && !lacking.includes(n))).toEqual([])
  })
})

describe('tfjs departure, pinned: SeparableConv2D.getConfig drops depth_multiplier', () => {
  it('a tfjs-saved SeparableConv2D with depthMultiplier 2 reads as Keras reads it (multiplier 1), and its weights are refused with their shapes', () => {
    const m = tfl.sequential({ layers: [L.separableConv2d!({ filters: 4, kernelSize: 3, depthMultiplier: 2, inputShape: [6, 5, 3], name: 'sep' })] })
    const json = m.toJSON(null, false) as unknown as { config: { layers: Array<{ config: Record<string, unknown> }> } }
    // tfjs-layers 4.22 writes no depth_multiplier; its weights are those of multiplier 2
    expect('depth_multiplier' in (json.config.layers[0]?.config ?? {})).toBe(false)
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 3, 3, 2], [1, 1, 6, 4], [4]])
    const file = right(decodeModelFile(json))
    const compiled = right(compileModel(file.model))
    expect(compiled.weights.map((w) => w.shape)).toEqual([[3, 3, 3, 1], [1, 1, 3, 4], [4]])
    m.dispose()
  })
})

describe('how tfjs writes a model\'s input: batch_input_shape on the first layer of a Sequential, InputLayer', () => {
  const models: ReadonlyArray<readonly [string, () => tfl.LayersModel, ReadonlyArray<number | null>]> = [
    ['inputShape', () => tfl.sequential({ layers: [L.dense!({ units: 2, inputShape: [3] })] }), [null, 3]],
    ['inputShape and batchSize', () => tfl.sequential({ layers: [L.dense!({ units: 2, inputShape: [3], batchSize: 4 })] }), [4, 3]],
    ['inputDim', () => tfl.sequential({ layers: [L.dense!({ units: 2, inputDim: 3 })] }), [null, 3]],
    ['batchInputShape', () => tfl.sequential({ layers: [L.conv2d!({ filters: 2, kernelSize: 2, batchInputShape: [null, 4, 4, 1] })] }), [null, 4, 4, 1]],
    ['an inputLayer with batchSize and dtype', () => tfl.sequential({ layers: [L.inputLayer!({ inputShape: [3], batchSize: 5, dtype: 'float32', name: 'in' }), L.dense!({ units: 2 })] }), [5, 3]],
    [
      'tfl.input with batchShape',
      () => {
        const x = tfl.input({ batchShape: [2, 3], name: 'xb' })
        return tfl.model({ inputs: x, outputs: L.dense!({ units: 2 }).apply(x) as tfl.SymbolicTensor })
      },
      [2, 3]
    ]
  ]
  it.each(models)('%s', async (_label, make, inputShape) => {
    const model = make()
    seedWeights(model, 31)
    const saved = await save(model)
    const { compiled, params } = load(saved)
    expect(compiled.summary.inputShapes).toEqual([inputShape])
    expect(compiled.summary.inputShapes).toEqual(model.inputs.map((x) => x.shape))
    expect(compiled.summary.params).toBe(model.countParams())
    const batch = inputShape[0] ?? 3
    const shape = [batch, ...compiled.inputShapes[0]!]
    const rng = uniformStream(32)
    const x: Tensor = { shape, data: Float32Array.from({ length: sizeOf(shape) }, () => 2 * rng() - 1) }
    const ours = compiled.forward(params, [x])[0] as Tensor
    const theirs = model.predict(tf.tensor(Float32Array.from(x.data), shape)) as TfTensor
    expect(ours.shape).toEqual(theirs.shape)
    theirs.dataSync().forEach((t, i) => expect(Math.abs((ours.data[i] as number) - t) / (1 + Math.abs(t))).toBeLessThanOrEqual(TOL))
    theirs.dispose()
  })
})

describe('what tfjs writes and Keras rejects: clear errors', () => {
  const rejected: ReadonlyArray<readonly [string, Case, ReadonlyArray<string>, string]> = [
    ['Conv2D padding causal', { label: '', layer: () => L.conv2d!({ filters: 2, kernelSize: 3, padding: 'causal' }), input: IMG }, ['padding'], 'causal padding exists only for'],
    ['Activation gelu_new', { label: '', layer: () => L.activation!({ activation: 'gelu_new' }), input: [5] }, ['activation'], 'activation "gelu_new" is TensorFlow.js\'s tanh approximation of GELU'],
    [
      'MaxPooling2D poolSize [2] (strides default to it)',
      { label: '', layer: () => L.maxPooling2d!({ poolSize: [2] }), input: IMG },
      ['pool_size', 'strides'],
      'a list of 2 positive integers, found a list of 1 item'
    ],
    ['Reshape two inferred dims [-1, -1]', { label: '', layer: () => L.reshape!({ targetShape: [-1, -1] }), input: IMG }, ['target_shape[1]'], 'at most one -1']
  ]
  it.each(rejected)('%s', async (_label, c, paths, message) => {
    const { saved } = await build(c, 1)
    const errors = left(decodeModelFile(saved.json))
    expect(errors.map((e) => e.path)).toEqual(paths.map((p) => `modelTopology.config.layers[1].config.${p}`))
    expect(errors[0]?.message).toContain(message)
  })
})

describe('Reshape: TensorFlow.js writes the inferred dim as null', () => {
  const build = async (targetShape: ReadonlyArray<number | null>, input: ReadonlyArray<number>): Promise<Built> =>
    (async () => {
      const x = tfl.input({ shape: [...input], name: 'x' })
      const layer = L.reshape!({ targetShape: [...targetShape], name: 'r' })
      const model = tfl.model({ inputs: x, outputs: layer.apply(x) as tfl.SymbolicTensor })
      return { model, layer, saved: await save(model) }
    })()

  it('tfjs saves reshape({ targetShape: [4, -1] }) as [4, null]; layerspec decodes it as -1', async () => {
    const { saved } = await build([4, -1], [6, 6, 2])
    expect(configs(saved)[1]?.['target_shape']).toEqual([4, null])
    const spec = layerSpecs(load(saved).model).find((s) => s.name === 'r') as ReshapeSpec
    expect(spec.targetShape).toEqual([4, -1])
  })

  it('shape inference resolves it as Keras does: from the known dims, unknown when an input dim is unknown', () => {
    const spec = decoded(ReshapeKind.codec({ dialect: 'keras2', imageDataFormat: 'channels_last' }), { target_shape: [4, null] })
    expect(right(ReshapeKind.infer(spec, [[null, 6, 6, 2]])).outputShape).toEqual([null, 4, 18])
    expect(right(ReshapeKind.infer(spec, [[3, 8]])).outputShape).toEqual([3, 4, 2])
    expect(right(ReshapeKind.infer(spec, [[null, null, 6]])).outputShape).toEqual([null, 4, null])
    expect(left(ReshapeKind.infer(spec, [[null, 7]])).map((e) => e.path)).toEqual(['target_shape'])
  })

  it('encodes -1 in both dialects, and decode(encode(spec)) = spec', () => {
    for (const dialect of ['keras2', 'keras3'] as const) {
      const codec = ReshapeKind.codec({ dialect, imageDataFormat: 'channels_last' })
      for (const target of [[4, null], [null], [null, 3, 2], [2, -1]]) {
        const spec = decoded(codec, { target_shape: target })
        const encoded = codec.encode(spec)
        expect(encoded['target_shape']).toEqual(target.map((d) => d ?? -1))
        expect(decoded(codec, encoded)).toEqual(spec)
      }
    }
  })

  it('at most one inferred dim, -1s and nulls counted together', () => {
    const codec = ReshapeKind.codec({ dialect: 'keras2', imageDataFormat: 'channels_last' })
    for (const target of [[null, null], [-1, null], [null, 2, -1]]) {
      const errors = decodeErrors(codec, { target_shape: target })
      expect(errors.length).toBe(1)
      expect(errors[0]?.message).toContain('at most one -1')
    }
  })

  it('forward: equal to tfjs predict, for [4, null], [null, 4] and [null]', async () => {
    for (const target of [[4, null], [null, 4], [null]] as const) {
      const { model, saved } = await build(target, [6, 6, 2])
      const { compiled, params } = load(saved)
      const rng = uniformStream(77)
      const x: Tensor = { shape: [3, 6, 6, 2], data: Float32Array.from({ length: 216 }, () => 2 * rng() - 1) }
      const ours = compiled.forward(params, [x])[0] as Tensor
      const theirs = model.predict(tf.tensor(Float32Array.from(x.data), [3, 6, 6, 2])) as TfTensor
      expect(ours.shape).toEqual(theirs.shape)
      expect(Array.from(ours.data)).toEqual(Array.from(theirs.dataSync()))
      theirs.dispose()
    }
  })

  it('tfjs reads back what layerspec encodes (-1) as it reads its own null', async () => {
    const { saved } = await build([4, -1], [6, 6, 2])
    const { model } = load(saved)
    const encoded = encodeModel(model) as { config: { layers: Array<{ config: Record<string, unknown> }> } }
    expect(encoded.config.layers[1]?.config['target_shape']).toEqual([4, -1])
    const x = tf.ones([2, 6, 6, 2])
    for (const topology of [saved.json['modelTopology'], { class_name: 'Functional', config: encoded.config, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }]) {
      const back = await tfl.models.modelFromJSON({ modelTopology: topology as never })
      const y = back.predict(x) as TfTensor
      expect(y.shape).toEqual([2, 4, 18])
      y.dispose()
    }
    x.dispose()
  })
})
