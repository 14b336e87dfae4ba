/**
 * Example-based tests of decodeConv2D: a table of valid configs with their full normalized specs and
 * invalid configs with their exact error paths. Cases come from the reference's case table
 * (../shared/docs/keras-conv2d-reference.md §8, "ref #n"), from the configs in examples/, and from the
 * forms real Keras / TensorFlow.js files take. Expected specs are written out by hand from Keras's
 * documented defaults, never printed from the implementation.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D, type DecodeOptions } from '../../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../../src/conv/Conv2DSpec.js'
import type { Initializer } from '../../src/codec/Initializer.js'
import { left, readJson, right } from '../helpers.js'

const glorotUniform: Initializer = { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null }
const zeros: Initializer = { kind: 'constant', value: 0 }

/** Keras's defaults for Conv2D(filters, kernel_size), written out from the reference's §1.0 table. */
/** Fields given as plain JSON-like values (branded numbers unbranded); keys are checked against the spec. */
type SpecFields = { readonly [K in keyof Conv2DSpec]?: unknown } & { readonly filters: number; readonly kernelSize: readonly [number, number] }

const spec = (over: SpecFields): Conv2DSpec =>
  ({
    className: 'Conv2D',
    dialect: 'keras3',
    name: null,
    trainable: true,
    dtype: 'float32',
    strides: [1, 1],
    padding: 'valid',
    dataFormat: 'channels_last',
    dilationRate: [1, 1],
    groups: 1,
    activation: 'linear',
    useBias: true,
    kernelInitializer: glorotUniform,
    biasInitializer: zeros,
    kernelRegularizer: null,
    biasRegularizer: null,
    activityRegularizer: null,
    kernelConstraint: null,
    biasConstraint: null,
    inputShape: null,
    batchSize: null,
    loraRank: null,
    loraAlpha: null,
    ...over
  }) as Conv2DSpec

interface ValidCase {
  readonly name: string
  readonly input: unknown
  readonly options?: DecodeOptions
  readonly expected: Conv2DSpec
}

interface InvalidCase {
  readonly name: string
  readonly input: unknown
  readonly options?: DecodeOptions
  /** Exact set of error paths, and a phrase each message must contain. */
  readonly errors: ReadonlyArray<readonly [path: string, phrase: string]>
}

const legacy = (className: string, config: object) => ({ class_name: className, config })
const k3 = (module: string, className: string, config: object) => ({ module, class_name: className, config, registered_name: null })

const VALID: ReadonlyArray<ValidCase> = [
  // ---- reference §8 rows that construct successfully ----
  { name: 'ref #1: f=5, k=2', input: { filters: 5, kernel_size: 2 }, expected: spec({ filters: 5, kernelSize: [2, 2] }) },
  {
    name: 'ref #2: f=6, k=2, same, d=(2,2), g=2',
    input: { filters: 6, kernel_size: 2, strides: 1, padding: 'same', dilation_rate: [2, 2], groups: 2 },
    expected: spec({ filters: 6, kernelSize: [2, 2], padding: 'same', dilationRate: [2, 2], groups: 2 })
  },
  {
    name: 'ref #3: f=6, k=(2,2), s=(2,1), g=2',
    input: { filters: 6, kernel_size: [2, 2], strides: [2, 1], groups: 2 },
    expected: spec({ filters: 6, kernelSize: [2, 2], strides: [2, 1], groups: 2 })
  },
  {
    name: 'ref #6: sigmoid, kernel_regularizer "l2", lora_rank 2',
    input: { filters: 5, kernel_size: 3, activation: 'sigmoid', kernel_regularizer: 'l2', lora_rank: 2 },
    expected: spec({ filters: 5, kernelSize: [3, 3], activation: 'sigmoid', kernelRegularizer: { l1: 0, l2: 0.01 }, loraRank: 2, loraAlpha: 2 })
  },
  {
    name: 'ref #21: non_neg kernel and bias constraints',
    input: { filters: 4, kernel_size: 3, kernel_constraint: 'non_neg', bias_constraint: 'NonNeg' },
    expected: spec({ filters: 4, kernelSize: [3, 3], kernelConstraint: { kind: 'non_neg' }, biasConstraint: { kind: 'non_neg' } })
  },
  {
    name: 'ref #67: padding "SAME" and data_format "Channels_First" are lower-cased',
    input: { filters: 1, kernel_size: 2, padding: 'SAME', data_format: 'Channels_First' },
    expected: spec({ filters: 1, kernelSize: [2, 2], padding: 'same', dataFormat: 'channels_first' })
  },
  {
    name: 'ref #20: channels_first, k=(4,3), s=(2,1), g=2',
    input: { filters: 6, kernel_size: [4, 3], strides: [2, 1], groups: 2, data_format: 'channels_first' },
    expected: spec({ filters: 6, kernelSize: [4, 3], strides: [2, 1], groups: 2, dataFormat: 'channels_first' })
  },
  {
    name: 'ref #47: depthwise as groups = filters = 32, no bias',
    input: { filters: 32, kernel_size: 3, groups: 32, use_bias: false },
    expected: spec({ filters: 32, kernelSize: [3, 3], groups: 32, useBias: false })
  },
  // ---- the reference's §3.5 serialized forms ----
  {
    name: '§3.5(a) TF2 legacy entry with batch_input_shape, L2, MaxNorm',
    input: legacy('Conv2D', {
      name: 'conv2d', trainable: true, batch_input_shape: [null, 28, 28, 1], dtype: 'float32', filters: 32, kernel_size: [3, 3],
      strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: { class_name: 'L2', config: { l2: 0.009999999776482582 } }, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 3, axis: [0, 1, 2] } }, bias_constraint: null
    }),
    expected: spec({
      dialect: 'keras2', name: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'same', activation: 'relu',
      kernelRegularizer: { l1: 0, l2: 0.009999999776482582 }, kernelConstraint: { kind: 'max_norm', maxValue: 3, axis: [0, 1, 2] },
      inputShape: [28, 28, 1]
    })
  },
  {
    name: '§3.5(c) Keras 3 entry: module envelopes, DTypePolicy, build_config',
    input: {
      ...k3('keras.layers', 'Conv2D', {
        name: 'conv2d', trainable: true, dtype: k3('keras', 'DTypePolicy', { name: 'float32' }), filters: 32, kernel_size: [3, 3],
        strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true,
        kernel_initializer: k3('keras.initializers', 'GlorotUniform', { seed: null }), bias_initializer: k3('keras.initializers', 'Zeros', {}),
        kernel_regularizer: k3('keras.regularizers', 'L2', { l2: 0.01 }), bias_regularizer: null, activity_regularizer: null,
        kernel_constraint: k3('keras.constraints', 'MaxNorm', { max_value: 3, axis: [0, 1, 2] }), bias_constraint: null
      }),
      build_config: { input_shape: [null, 28, 28, 1] }
    },
    expected: spec({
      name: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'same', activation: 'relu',
      kernelRegularizer: { l1: 0, l2: 0.01 }, kernelConstraint: { kind: 'max_norm', maxValue: 3, axis: [0, 1, 2] }, inputShape: [28, 28, 1]
    })
  },
  {
    name: '§3.5(e) tfjs toJSON: VarianceScaling normal → truncated_normal, L1L2, MaxNorm axis 0',
    input: legacy('Conv2D', {
      filters: 4, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } },
      kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }, kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } },
      kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true,
      bias_initializer: { class_name: 'Zeros', config: {} }, bias_regularizer: null, activity_regularizer: null, bias_constraint: null,
      name: 'conv2d_Conv2D1', trainable: true, batch_input_shape: [null, 28, 28, 1], dtype: 'float32'
    }),
    expected: spec({
      dialect: 'keras2', name: 'conv2d_Conv2D1', filters: 4, kernelSize: [3, 3], activation: 'relu',
      kernelInitializer: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'truncated_normal', seed: null },
      kernelRegularizer: { l1: 0, l2: 0.01 }, kernelConstraint: { kind: 'max_norm', maxValue: 2, axis: [0] }, inputShape: [28, 28, 1]
    })
  },
  {
    name: 'Keras 2.2.4 VarianceScaling(1, fan_avg, uniform) is glorot_uniform',
    input: legacy('Conv2D', { filters: 32, kernel_size: [3, 3], kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null } } }),
    expected: spec({ dialect: 'keras2', filters: 32, kernelSize: [3, 3] })
  },
  {
    name: 'Convolution2D is an alias of Conv2D',
    input: legacy('Convolution2D', { filters: 8, kernel_size: 1 }),
    expected: spec({ dialect: 'keras2', filters: 8, kernelSize: [1, 1] })
  },
  // ---- defaults, nulls, options ----
  {
    name: 'data_format null takes the image_data_format option',
    input: { filters: 2, kernel_size: 3, data_format: null },
    options: { imageDataFormat: 'channels_first' },
    expected: spec({ filters: 2, kernelSize: [3, 3], dataFormat: 'channels_first' })
  },
  {
    name: 'missing data_format takes the image_data_format option',
    input: { filters: 2, kernel_size: 3 },
    options: { imageDataFormat: 'channels_first' },
    expected: spec({ filters: 2, kernelSize: [3, 3], dataFormat: 'channels_first' })
  },
  {
    name: 'an explicit data_format wins over the option',
    input: { filters: 2, kernel_size: 3, data_format: 'channels_last' },
    options: { imageDataFormat: 'channels_first' },
    expected: spec({ filters: 2, kernelSize: [3, 3] })
  },
  {
    name: 'activation null is linear',
    input: { filters: 2, kernel_size: 3, activation: null },
    expected: spec({ filters: 2, kernelSize: [3, 3] })
  },
  {
    name: 'swish is folded into silu, hard_swish into hard_silu',
    input: { filters: 2, kernel_size: 3, activation: 'swish' },
    expected: spec({ filters: 2, kernelSize: [3, 3], activation: 'silu' })
  },
  {
    name: 'Keras 3 serialized activation function',
    input: { filters: 2, kernel_size: 3, activation: { module: 'keras.activations', class_name: 'function', config: 'hard_swish', registered_name: 'hard_swish' } },
    expected: spec({ filters: 2, kernelSize: [3, 3], activation: 'hard_silu' })
  },
  {
    name: '§11.7: bias_initializer null means glorot_uniform',
    input: { filters: 2, kernel_size: 3, bias_initializer: null },
    expected: spec({ filters: 2, kernelSize: [3, 3], biasInitializer: glorotUniform })
  },
  {
    name: 'kernel_initializer null means glorot_uniform',
    input: { filters: 2, kernel_size: 3, kernel_initializer: null },
    expected: spec({ filters: 2, kernelSize: [3, 3] })
  },
  {
    name: 'JSON 4.0 is the integer 4 (JSON.parse gives 4)',
    input: JSON.parse('{"filters": 4.0, "kernel_size": [3.0, 3]}'),
    expected: spec({ filters: 4, kernelSize: [3, 3] })
  },
  {
    name: 'input_shape and batch_size become the spec input shape and batch (batch_size: a tf.keras 2.x config)',
    input: { filters: 2, kernel_size: 3, input_shape: [32, 32, 3], batch_size: 8 },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], inputShape: [32, 32, 3], batchSize: 8 })
  },
  {
    name: 'batch_input_shape with unknown dims is kept partial (batch_input_shape: a tf.keras 2.x config)',
    input: { filters: 2, kernel_size: 3, batch_input_shape: [null, null, null, 3] },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], inputShape: [null, null, 3] })
  },
  {
    name: 'SavedModel __tuple__ wrappers',
    input: { filters: 2, kernel_size: { class_name: '__tuple__', items: [3, 3] }, strides: { class_name: '__tuple__', items: [1, 1] }, name: null },
    expected: spec({ filters: 2, kernelSize: [3, 3] })
  },
  {
    name: 'mixed_float16 TF2 Policy object',
    input: { filters: 2, kernel_size: 3, dtype: { class_name: 'Policy', config: { name: 'mixed_float16' } } },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], dtype: 'mixed_float16' })
  },
  {
    name: 'dtype float64 string',
    input: { filters: 2, kernel_size: 3, dtype: 'float64' },
    expected: spec({ filters: 2, kernelSize: [3, 3], dtype: 'float64' })
  },
  {
    name: 'dialect option overrides detection',
    input: legacy('Conv2D', { filters: 2, kernel_size: 3 }),
    options: { dialect: 'keras3' },
    expected: spec({ filters: 2, kernelSize: [3, 3] })
  },
  // ---- initializers ----
  {
    name: 'he_normal string is VarianceScaling(2, fan_in, truncated_normal)',
    input: { filters: 2, kernel_size: 3, kernel_initializer: 'he_normal' },
    expected: spec({ filters: 2, kernelSize: [3, 3], kernelInitializer: { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null } })
  },
  {
    name: 'LecunUniform class with a seed and Keras 3.15 null fan axes',
    input: { filters: 2, kernel_size: 3, kernel_initializer: k3('keras.initializers', 'LecunUniform', { seed: 7, input_axes: null, output_axes: null }) },
    expected: spec({ filters: 2, kernelSize: [3, 3], kernelInitializer: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'uniform', seed: 7 } })
  },
  {
    name: 'Ones and Constant(1) are the same initializer',
    input: { filters: 2, kernel_size: 3, bias_initializer: { class_name: 'Constant', config: { value: 1 } }, kernel_initializer: 'ones' },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], kernelInitializer: { kind: 'constant', value: 1 }, biasInitializer: { kind: 'constant', value: 1 } })
  },
  {
    name: 'normal / uniform aliases with defaults (0.05)',
    input: { filters: 2, kernel_size: 3, kernel_initializer: 'normal', bias_initializer: 'uniform' },
    expected: spec({
      filters: 2, kernelSize: [3, 3],
      kernelInitializer: { kind: 'random_normal', mean: 0, stddev: 0.05, seed: null },
      biasInitializer: { kind: 'random_uniform', minval: -0.05, maxval: 0.05, seed: null }
    })
  },
  {
    name: 'TruncatedNormalV2 (TF2 V2 class) and VarianceScaling distribution upper case',
    input: {
      filters: 2, kernel_size: 3,
      kernel_initializer: { class_name: 'TruncatedNormalV2', config: { mean: 0.5, stddev: 2 } },
      bias_initializer: { class_name: 'VarianceScaling', config: { scale: 0.5, mode: 'fan_out', distribution: 'UNTRUNCATED_NORMAL' } }
    },
    expected: spec({
      dialect: 'keras2', filters: 2, kernelSize: [3, 3],
      kernelInitializer: { kind: 'truncated_normal', mean: 0.5, stddev: 2, seed: null },
      biasInitializer: { kind: 'variance_scaling', scale: 0.5, mode: 'fan_out', distribution: 'untruncated_normal', seed: null }
    })
  },
  {
    name: 'orthogonal and identity decode (identity fails only at compile, on the kernel rank)',
    input: { filters: 2, kernel_size: 3, kernel_initializer: { class_name: 'Orthogonal', config: { gain: 2, seed: 1 } }, bias_initializer: 'identity' },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], kernelInitializer: { kind: 'orthogonal', gain: 2, seed: 1 }, biasInitializer: { kind: 'identity', gain: 1 } })
  },
  {
    name: 'a TF 1.x-era initializer config with dtype',
    input: { filters: 2, kernel_size: 3, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null, dtype: 'float32' } } },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3] })
  },
  // ---- regularizers (§11.2) ----
  {
    name: '§11.2: l1 / L2 strings',
    input: { filters: 2, kernel_size: 3, kernel_regularizer: 'l1', bias_regularizer: 'L2' },
    expected: spec({ filters: 2, kernelSize: [3, 3], kernelRegularizer: { l1: 0.01, l2: 0 }, biasRegularizer: { l1: 0, l2: 0.01 } })
  },
  {
    name: '§11.2: l1_l2 is 0.01/0.01 (TF2, keras2 only), l1l2 is 0/0 (Keras 3 class defaults)',
    input: { filters: 2, kernel_size: 3, kernel_regularizer: 'l1_l2', activity_regularizer: 'l1l2' },
    options: { dialect: 'keras2' },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], kernelRegularizer: { l1: 0.01, l2: 0.01 }, activityRegularizer: { l1: 0, l2: 0 } })
  },
  {
    name: 'L1 class with its default factor and L1L2 with integer factors',
    input: { filters: 2, kernel_size: 3, kernel_regularizer: { class_name: 'L1', config: {} }, bias_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 1 } } },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], kernelRegularizer: { l1: 0.01, l2: 0 }, biasRegularizer: { l1: 0, l2: 1 } })
  },
  // ---- constraints ----
  {
    name: 'TF2 constraint aliases and sorted axes',
    input: { filters: 2, kernel_size: 3, kernel_constraint: { class_name: 'MinMaxNorm', config: { min_value: 0.5, max_value: 2, rate: 0.5, axis: [2, 0, 1] } }, bias_constraint: 'unitnorm' },
    expected: spec({
      dialect: 'keras2', filters: 2, kernelSize: [3, 3],
      kernelConstraint: { kind: 'min_max_norm', minValue: 0.5, maxValue: 2, rate: 0.5, axis: [0, 1, 2] },
      biasConstraint: { kind: 'unit_norm', axis: [0] }
    })
  },
  {
    name: 'maxnorm string (TF 2.x, keras2 only) takes MaxNorm defaults (2, axis 0)',
    input: { filters: 2, kernel_size: 3, kernel_constraint: 'maxnorm' },
    options: { dialect: 'keras2' },
    expected: spec({ dialect: 'keras2', filters: 2, kernelSize: [3, 3], kernelConstraint: { kind: 'max_norm', maxValue: 2, axis: [0] } })
  },
  // ---- bookkeeping ----
  {
    name: 'trainable false and a name are kept',
    input: { filters: 2, kernel_size: 3, trainable: false, name: 'block1_conv1' },
    expected: spec({ filters: 2, kernelSize: [3, 3], trainable: false, name: 'block1_conv1' })
  },
  {
    name: 'lora_rank with lora_alpha',
    input: { filters: 2, kernel_size: 3, lora_rank: 4, lora_alpha: 8 },
    expected: spec({ filters: 2, kernelSize: [3, 3], loraRank: 4, loraAlpha: 8 })
  }
]

const INVALID: ReadonlyArray<InvalidCase> = [
  // ---- reference §8 rows that Keras rejects (or that §11 decides to reject) ----
  { name: 'ref #7: kernel_size (1, 0)', input: { filters: 2, kernel_size: [1, 0] }, errors: [['kernel_size[1]', 'found 0, which is not positive']] },
  { name: 'ref #8: strides (1, 0)', input: { filters: 2, kernel_size: [2, 2], strides: [1, 0] }, errors: [['strides[1]', 'not positive']] },
  {
    name: 'ref #9: strides 2 with dilation_rate (2, 1)',
    input: { filters: 2, kernel_size: [2, 2], strides: 2, dilation_rate: [2, 1] },
    errors: [['strides', 'found strides [2, 2] and dilation_rate [2, 1]']]
  },
  { name: 'ref #10: groups 0', input: { filters: 5, kernel_size: [2, 2], groups: 0 }, errors: [['groups', 'found 0, which is not positive']] },
  { name: 'ref #11: filters 5 not divisible by groups 2', input: { filters: 5, kernel_size: [2, 2], groups: 2 }, errors: [['groups', 'found filters 5 and groups 2']] },
  { name: 'ref #12: filters 0', input: { filters: 0, kernel_size: 1 }, errors: [['filters', 'not positive']] },
  { name: 'ref #41: kernel_size 0', input: { filters: 2, kernel_size: 0 }, errors: [['kernel_size', 'found 0, which is not positive']] },
  {
    name: 'ref #43: cross-axis strides [1,2] with dilation_rate [2,1]',
    input: { filters: 1, kernel_size: 2, strides: [1, 2], dilation_rate: [2, 1] },
    errors: [['strides', 'found strides [1, 2] and dilation_rate [2, 1]']]
  },
  { name: 'ref #44: filters 16 with groups 3', input: { filters: 16, kernel_size: 3, groups: 3 }, errors: [['groups', 'divisible']] },
  { name: 'ref #58: filters 2.5', input: { filters: 2.5, kernel_size: 3 }, errors: [['filters', 'found 2.5, which is not an integer']] },
  { name: 'ref #59: kernel_size [1,1,1]', input: { filters: 2, kernel_size: [1, 1, 1] }, errors: [['kernel_size', 'found a list of 3 items']] },
  { name: 'ref #60: kernel_size [1,1,1,1]', input: { filters: 2, kernel_size: [1, 1, 1, 1] }, errors: [['kernel_size', 'a list of 2 positive integers']] },
  { name: 'ref #61: missing filters', input: { kernel_size: 3 }, errors: [['filters', 'missing required Conv2D argument "filters"']] },
  { name: 'ref #66: causal padding', input: { filters: 1, kernel_size: 2, padding: 'causal' }, errors: [['padding', 'causal padding exists only for Conv1D']] },
  { name: 'ref #69: kernel_size (3,)', input: { filters: 2, kernel_size: [3] }, errors: [['kernel_size', 'found a list of 1 item']] },
  {
    name: 'ref #76: filters 0 and kernel_size 0 are both reported',
    input: { filters: 0, kernel_size: 0 },
    errors: [['filters', 'not positive'], ['kernel_size', 'not positive']]
  },
  { name: 'ref #77: strides 2 with dilation 2', input: { filters: 1, kernel_size: 2, strides: 2, dilation_rate: 2 }, errors: [['strides', 'not supported in conjunction with dilation_rate > 1']] },
  // ---- §11.5: strict positive integers ----
  { name: 'string "3" as filters', input: { filters: '3', kernel_size: 3 }, errors: [['filters', 'write the number without quotes']] },
  { name: 'boolean true as kernel_size', input: { filters: 3, kernel_size: true }, errors: [['kernel_size', 'found the boolean true']] },
  { name: 'null filters', input: { filters: null, kernel_size: 3 }, errors: [['filters', 'found null']] },
  { name: 'NaN strides element', input: { filters: 3, kernel_size: 3, strides: [1, NaN] }, errors: [['strides[1]', 'found NaN']] },
  { name: 'negative dilation_rate', input: { filters: 3, kernel_size: 3, dilation_rate: -1 }, errors: [['dilation_rate', 'found -1, which is not positive']] },
  { name: 'float pair element (2.5, 2)', input: { filters: 3, kernel_size: [2.5, 2] }, errors: [['kernel_size[0]', 'not an integer']] },
  { name: 'Infinity filters', input: { filters: Infinity, kernel_size: 3 }, errors: [['filters', 'found Infinity']] },
  { name: 'trainable 1', input: { filters: 3, kernel_size: 3, trainable: 1 }, errors: [['trainable', 'expected true or false']] },
  { name: 'use_bias "true"', input: { filters: 3, kernel_size: 3, use_bias: 'true' }, errors: [['use_bias', 'expected true or false']] },
  // ---- names ----
  { name: 'unknown padding "full"', input: { filters: 1, kernel_size: 2, padding: 'full' }, errors: [['padding', '"valid" or "same"']] },
  { name: 'unknown data_format', input: { filters: 1, kernel_size: 2, data_format: 'NHWC' }, errors: [['data_format', '"channels_last" or "channels_first"']] },
  { name: 'activation "ReLU" (case-sensitive)', input: { filters: 1, kernel_size: 2, activation: 'ReLU' }, errors: [['activation', 'did you mean "relu"']] },
  { name: 'activation glu is rejected with a reason', input: { filters: 2, kernel_size: 2, activation: 'glu' }, errors: [['activation', 'halves the channel axis']] },
  { name: 'activation threshold is rejected with a reason', input: { filters: 2, kernel_size: 2, activation: 'threshold' }, errors: [['activation', 'needs its `threshold`']] },
  { name: 'unknown initializer string', input: { filters: 1, kernel_size: 2, kernel_initializer: 'glorot' }, errors: [['kernel_initializer', 'unknown initializer "glorot"']] },
  { name: 'STFT initializer', input: { filters: 1, kernel_size: 2, kernel_initializer: 'stft' }, errors: [['kernel_initializer', 'STFT']] },
  {
    name: 'unknown initializer class',
    input: { filters: 1, kernel_size: 2, kernel_initializer: { class_name: 'GlorotUniformm', config: {} } },
    errors: [['kernel_initializer.class_name', 'did you mean "GlorotUniform"']]
  },
  {
    name: 'bad initializer arguments, each at its path',
    input: { filters: 1, kernel_size: 2, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 0, mode: 'fan', distribution: 'normalish', sed: 1 } } },
    errors: [
      ['kernel_initializer.config.scale', 'positive'],
      ['kernel_initializer.config.mode', '"fan_in", "fan_out" or "fan_avg"'],
      ['kernel_initializer.config.distribution', 'distribution'],
      ['kernel_initializer.config.sed', 'did you mean "seed"']
    ]
  },
  { name: 'initializer without config', input: { filters: 1, kernel_size: 2, kernel_initializer: { class_name: 'Zeros' } }, errors: [['kernel_initializer.config', 'missing "config"']] },
  { name: 'unknown regularizer string', input: { filters: 1, kernel_size: 2, kernel_regularizer: 'l3' }, errors: [['kernel_regularizer', 'unknown regularizer "l3"']] },
  { name: 'negative regularizer factor', input: { filters: 1, kernel_size: 2, kernel_regularizer: { class_name: 'L2', config: { l2: -0.1 } } }, errors: [['kernel_regularizer.config.l2', 'non-negative']] },
  { name: 'OrthogonalRegularizer on a conv kernel', input: { filters: 1, kernel_size: 2, kernel_regularizer: 'orthogonal_regularizer' }, errors: [['kernel_regularizer', 'rank-2']] },
  { name: 'unknown constraint', input: { filters: 1, kernel_size: 2, bias_constraint: 'positive' }, errors: [['bias_constraint', 'unknown constraint "positive"']] },
  {
    name: 'MinMaxNorm with min above max and rate above 1',
    input: { filters: 1, kernel_size: 2, kernel_constraint: { class_name: 'MinMaxNorm', config: { min_value: 3, max_value: 1, rate: 2 } } },
    errors: [['kernel_constraint.config.rate', 'between 0 and 1'], ['kernel_constraint.config.min_value', 'found min_value 3 > max_value 1']]
  },
  {
    name: 'MinMaxNorm with min above max',
    input: { filters: 1, kernel_size: 2, kernel_constraint: { class_name: 'MinMaxNorm', config: { min_value: 3, max_value: 1 } } },
    errors: [['kernel_constraint.config.min_value', 'min_value <= max_value']]
  },
  { name: 'constraint axis list with a float', input: { filters: 1, kernel_size: 2, kernel_constraint: { class_name: 'MaxNorm', config: { axis: [0, 1.5] } } }, errors: [['kernel_constraint.config.axis[1]', 'integer axis']] },
  { name: 'unknown dtype', input: { filters: 1, kernel_size: 2, dtype: 'int32' }, errors: [['dtype', 'unknown dtype policy "int32"']] },
  // ---- keys ----
  { name: 'typo kernel_sise', input: { filters: 1, kernel_sise: 3 }, errors: [['kernel_size', 'missing required'], ['kernel_sise', 'did you mean "kernel_size"']] },
  { name: 'unknown key far from any name', input: { filters: 1, kernel_size: 3, foo: 1 }, errors: [['foo', 'unknown Conv2D argument "foo"']] },
  { name: 'Keras 1 nb_filter', input: { nb_filter: 32, nb_row: 3, nb_col: 3, kernel_size: 3, filters: 32 }, errors: [['nb_filter', 'Keras 1'], ['nb_row', 'Keras 1'], ['nb_col', 'Keras 1']] },
  { name: 'layer name with a slash', input: { filters: 1, kernel_size: 3, name: 'block/conv' }, errors: [['name', 'without "/"']] },
  // ---- envelopes ----
  { name: 'class_name Dense', input: legacy('Dense', { units: 3 }), errors: [['class_name', 'reads Conv2D layers only'], ['config.units', 'unknown Conv2D argument'], ['config.filters', 'missing'], ['config.kernel_size', 'missing']] },
  { name: 'errors inside a wrapped config carry the config prefix', input: legacy('Conv2D', { filters: 3, kernel_size: [3, -3] }), errors: [['config.kernel_size[1]', 'not positive']] },
  { name: 'config not an object', input: { class_name: 'Conv2D', config: [] }, errors: [['config', 'JSON object']] },
  { name: 'custom registered_name', input: { module: 'my_layers', class_name: 'Conv2D', config: { filters: 1, kernel_size: 1 }, registered_name: 'Custom>Conv2D' }, errors: [['registered_name', 'custom']] },
  { name: 'inbound_nodes in a single-layer decode', input: { class_name: 'Conv2D', config: { filters: 1, kernel_size: 1 }, inbound_nodes: [] }, errors: [['inbound_nodes', 'decodeModel']] },
  { name: 'not an object at all', input: [1, 2, 3], errors: [['', 'expected a Conv2D layer config']] },
  { name: 'a string', input: 'Conv2D', errors: [['', 'found the string']] },
  // ---- input shapes ----
  { name: 'batch_input_shape of rank 3', input: { filters: 1, kernel_size: 1, batch_input_shape: [28, 28, 1] }, errors: [['batch_input_shape', 'expected 4 dimensions']] },
  { name: 'batch_input_shape of rank 5 (extra batch axes)', input: { filters: 1, kernel_size: 1, batch_input_shape: [null, 2, 28, 28, 1] }, errors: [['batch_input_shape', 'extra leading batch axes']] },
  { name: 'input_shape dim 0', input: { filters: 1, kernel_size: 1, input_shape: [28, 0, 1] }, errors: [['input_shape[1]', 'not positive']] },
  { name: 'input_shape disagreeing with batch_input_shape', input: { filters: 1, kernel_size: 1, input_shape: [28, 28, 1], batch_input_shape: [null, 28, 28, 3] }, errors: [['input_shape', 'disagrees']] },
  {
    name: 'build_config disagreeing with input_shape',
    input: { module: 'keras.layers', class_name: 'Conv2D', config: { filters: 1, kernel_size: 1, input_shape: [8, 8, 1] }, registered_name: null, build_config: { input_shape: [null, 9, 9, 1] } },
    errors: [['build_config.input_shape', 'disagrees']]
  },
  {
    name: 'batch_input_shape and batch_size in a Keras 3 config (Keras 3 refuses them; the keys alone make a config keras2)',
    input: { module: 'keras.layers', class_name: 'Conv2D', config: { filters: 1, kernel_size: 1, batch_input_shape: [null, 8, 8, 1], batch_size: 2 }, registered_name: null },
    options: { dialect: 'keras3' },
    errors: [['config.batch_input_shape', 'Unrecognized keyword arguments'], ['config.batch_size', 'Unrecognized keyword arguments']]
  },
  { name: 'l1_l2 in a Keras 3 config', input: { filters: 1, kernel_size: 1, kernel_regularizer: 'l1_l2' }, errors: [['kernel_regularizer', 'Could not interpret regularizer identifier: l1_l2']] },
  {
    name: 'LoRA with a kernel constraint (Keras 3 refuses it when it builds the layer)',
    input: { filters: 1, kernel_size: 1, lora_rank: 2, kernel_constraint: 'non_neg' },
    errors: [['lora_rank', 'incompatible with kernel constraints']]
  },
  { name: 'lora_alpha without lora_rank', input: { filters: 1, kernel_size: 1, lora_alpha: 4 }, errors: [['lora_alpha', 'lora_rank']] },
  // ---- examples/ ----
  {
    name: 'examples/conv2d/invalid-several-errors.json: every problem at once',
    input: readJson('examples/conv2d/invalid-several-errors.json'),
    errors: [
      ['kernel_size[1]', 'not positive'],
      ['padding', 'causal'],
      ['activation', 'did you mean "relu"'],
      ['strides', 'dilation_rate'],
      ['kernel_sise', 'did you mean "kernel_size"']
    ]
  }
]

describe('decodeConv2D: valid configs give their normalized specs', () => {
  it.each(VALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(right(decodeConv2D(c.input, c.options))).toEqual(c.expected)
  })
})

describe('decodeConv2D: invalid configs give every error at its exact path', () => {
  it.each(INVALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const errors = left(decodeConv2D(c.input, c.options))
    expect(errors.map((e) => e.path).sort()).toEqual(c.errors.map(([p]) => p).sort())
    for (const [path, phrase] of c.errors) {
      const messages = errors.filter((e) => e.path === path).map((e) => e.message)
      expect(messages.some((m) => m.includes(phrase)), `${path}: ${JSON.stringify(messages)} should contain ${JSON.stringify(phrase)}`).toBe(true)
    }
  })
})

describe('the example files decode', () => {
  const convEntries = (file: string): ReadonlyArray<unknown> => {
    const json = readJson(file) as { config: { layers: ReadonlyArray<{ class_name: string }> } }
    return json.config.layers.filter((l) => l.class_name === 'Conv2D')
  }
  it('MNIST convnet (Keras 3): two Conv2D layers, 32 and 64 filters, relu, build_config shapes', () => {
    const specs = convEntries('examples/models/mnist-convnet.keras3.json').map((e) => right(decodeConv2D(e)))
    expect(specs.map((s) => [s.name, s.filters, s.activation, s.dialect, s.inputShape])).toEqual([
      ['conv2d', 32, 'relu', 'keras3', [28, 28, 1]],
      ['conv2d_1', 64, 'relu', 'keras3', [13, 13, 32]]
    ])
  })
  it('DCGAN discriminator (TF 2.4): 5x5 stride-2 same convolutions', () => {
    const specs = convEntries('examples/models/dcgan-discriminator.tf24.json').map((e) => right(decodeConv2D(e)))
    expect(specs.map((s) => [s.filters, s.kernelSize, s.strides, s.padding, s.dialect, s.inputShape])).toEqual([
      [64, [5, 5], [2, 2], 'same', 'keras2', [28, 28, 1]],
      [128, [5, 5], [2, 2], 'same', 'keras2', null]
    ])
  })
  it('CIFAR-10 CNN (Keras 2.2.4): VarianceScaling decodes as glorot_uniform', () => {
    const specs = convEntries('examples/models/cifar10-cnn.keras224.json').map((e) => right(decodeConv2D(e)))
    expect(specs.map((s) => [s.filters, s.padding])).toEqual([[32, 'same'], [32, 'valid'], [64, 'same'], [64, 'valid']])
    for (const s of specs) expect(s.kernelInitializer).toEqual(glorotUniform)
  })
  it('standalone configs: TF2 get_config, Keras 3 dilated, tfjs channels_first', () => {
    const tf2 = right(decodeConv2D(readJson('examples/conv2d/tf2-get-config.json')))
    expect([tf2.dialect, tf2.activation, tf2.filters]).toEqual(['keras2', 'relu', 32])
    const k3d = right(decodeConv2D(readJson('examples/conv2d/keras3-dilated.json')))
    expect([k3d.dialect, k3d.dilationRate, k3d.kernelRegularizer, k3d.inputShape]).toEqual(['keras3', [2, 2], { l1: 0, l2: 0.0001 }, [64, 64, 32]])
    const tfjs = right(decodeConv2D(readJson('examples/conv2d/tfjs-channels-first.json')))
    expect([tfjs.dataFormat, tfjs.strides, tfjs.inputShape, tfjs.kernelConstraint]).toEqual([
      'channels_first', [2, 2], [3, 32, 32], { kind: 'max_norm', maxValue: 2, axis: [0] }
    ])
  })
})

describe('specs are immutable', () => {
  it('is deep-frozen at run time', () => {
    const s = right(decodeConv2D({ filters: 2, kernel_size: 3, kernel_constraint: { class_name: 'MaxNorm', config: { axis: [0, 1] } } }))
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.kernelSize)).toBe(true)
    expect(Object.isFrozen(s.kernelInitializer)).toBe(true)
    const c = s.kernelConstraint
    expect(c !== null && c.kind === 'max_norm' && Object.isFrozen(c.axis)).toBe(true)
    expect(() => {
      ;(s as { filters: number }).filters = 3
    }).toThrow(TypeError)
  })
  it('decoding does not modify its input', () => {
    const input = { filters: 2, kernel_size: [3, 3], padding: 'SAME', kernel_constraint: { class_name: 'MaxNorm', config: { axis: [2, 0, 1] } } }
    const copy = structuredClone(input)
    right(decodeConv2D(input))
    expect(input).toEqual(copy)
  })
})

describe('case counts', () => {
  it('the table has at least 60 cases', () => {
    expect(VALID.length + INVALID.length).toBeGreaterThanOrEqual(60)
  })
})
