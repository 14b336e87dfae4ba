/**
 * Codec tables for the spatial layer kinds: valid configs (every accepted form, Keras's defaults, the
 * image data format option) with their full normalized specs written out by hand from Keras's
 * signatures; invalid configs with their exact error paths; encoding back to each dialect's JSON; and
 * decode(encode(spec)) deep-equal to spec for every valid case in both dialects.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import type { Initializer } from '../../src/codec/Initializer.js'
import type { DataFormat } from '../../src/conv/Conv2DSpec.js'
import type { LayerKind } from '../../src/layers/LayerKind.js'
import { findLayerKind, LAYER_KINDS } from '../../src/model/registry.js'
import {
  AveragePooling2DKind,
  Cropping2DKind,
  GlobalAveragePooling2DKind,
  GlobalMaxPooling2DKind,
  MaxPooling2DKind,
  ReshapeKind,
  SPATIAL_KINDS,
  UpSampling2DKind,
  ZeroPadding2DKind
} from '../../src/layers/spatial.js'
import { DepthwiseConv2DKind } from '../../src/conv/DepthwiseConv2D.js'
import { left, right } from '../helpers.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = LayerKind<any>

interface Options {
  readonly dialect?: Dialect
  readonly imageDataFormat?: DataFormat
}

const decode = (kind: AnyKind, u: unknown, o: Options = {}): E.Either<ReadonlyArray<SpecError>, Record<string, unknown>> =>
  pipe(
    kind.codec({ dialect: o.dialect ?? 'keras3', imageDataFormat: o.imageDataFormat ?? 'channels_last' }).decode(u),
    E.mapLeft(fromValidationErrors)
  )

const encode = (kind: AnyKind, spec: unknown, dialect: Dialect = 'keras3'): Record<string, unknown> =>
  kind.codec({ dialect, imageDataFormat: 'channels_last' }).encode(spec)

const base = (className: string, dialect: Dialect = 'keras3') => ({
  className,
  dialect,
  name: null,
  trainable: true,
  dtype: 'float32',
  inputShape: null,
  batchSize: null
})

const glorotUniform: Initializer = { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null }
const heNormal: Initializer = { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null }
const zeros: Initializer = { kind: 'constant', value: 0 }

interface Valid {
  readonly name: string
  readonly kind: AnyKind
  readonly input: unknown
  readonly options?: Options
  readonly expected: Record<string, unknown>
}

interface Invalid {
  readonly name: string
  readonly kind: AnyKind
  readonly input: unknown
  readonly options?: Options
  /** The exact set of error paths, each with a phrase its message contains. */
  readonly errors: ReadonlyArray<readonly [path: string, phrase: string]>
}

const tuple = (...items: unknown[]) => ({ class_name: '__tuple__', items })

// -------------------------------------------------------------------------------------
// valid configs
// -------------------------------------------------------------------------------------

const pool = (className: string, over: Record<string, unknown> = {}, dialect: Dialect = 'keras3') => ({
  ...base(className, dialect),
  poolSize: [2, 2],
  strides: [2, 2],
  padding: 'valid',
  dataFormat: 'channels_last',
  ...over
})

const depthwise = (over: Record<string, unknown>, dialect: Dialect = 'keras3') => ({
  ...base('DepthwiseConv2D', dialect),
  rank: 2,
  kind: 'depthwise',
  kernelSize: [3, 3],
  strides: [1, 1],
  padding: 'valid',
  depthMultiplier: 1,
  dataFormat: 'channels_last',
  dilationRate: [1, 1],
  activation: 'linear',
  useBias: true,
  depthwiseInitializer: glorotUniform,
  biasInitializer: zeros,
  depthwiseRegularizer: null,
  biasRegularizer: null,
  activityRegularizer: null,
  depthwiseConstraint: null,
  biasConstraint: null,
  ...over
})

const VALID: ReadonlyArray<Valid> = [
  // ---- MaxPooling2D / AveragePooling2D ----
  { name: 'MaxPooling2D(): pool 2, strides = pool_size', kind: MaxPooling2DKind, input: {}, expected: pool('MaxPooling2D') },
  { name: 'pool_size int → pair, strides default to it', kind: MaxPooling2DKind, input: { pool_size: 3 }, expected: pool('MaxPooling2D', { poolSize: [3, 3], strides: [3, 3] }) },
  {
    name: 'strides null means pool_size',
    kind: MaxPooling2DKind,
    input: { pool_size: [2, 3], strides: null },
    expected: pool('MaxPooling2D', { poolSize: [2, 3], strides: [2, 3] })
  },
  {
    name: 'padding and data_format case-insensitive (tf.keras lower-cases a pooling padding)',
    kind: MaxPooling2DKind,
    input: { pool_size: 2, strides: 1, padding: 'SAME', data_format: 'Channels_First' },
    options: { dialect: 'keras2' },
    expected: pool('MaxPooling2D', { dialect: 'keras2', strides: [1, 1], padding: 'same', dataFormat: 'channels_first' })
  },
  {
    name: 'data_format null → the image data format option',
    kind: AveragePooling2DKind,
    input: { pool_size: 2, data_format: null },
    options: { imageDataFormat: 'channels_first' },
    expected: pool('AveragePooling2D', { dataFormat: 'channels_first' })
  },
  {
    name: 'data_format missing → the image data format option',
    kind: AveragePooling2DKind,
    input: { pool_size: [3, 1], strides: [1, 2] },
    options: { imageDataFormat: 'channels_first' },
    expected: pool('AveragePooling2D', { poolSize: [3, 1], strides: [1, 2], dataFormat: 'channels_first' })
  },
  {
    name: 'SavedModel __tuple__ pool_size and strides',
    kind: MaxPooling2DKind,
    input: { pool_size: tuple(2, 2), strides: tuple(1, 1) },
    expected: pool('MaxPooling2D', { strides: [1, 1] })
  },
  {
    name: 'Keras 3 get_config',
    kind: MaxPooling2DKind,
    input: { name: 'max_pooling2d', trainable: true, dtype: 'float32', pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
    expected: pool('MaxPooling2D', { name: 'max_pooling2d' })
  },
  {
    name: 'tf.keras 2 config with batch_input_shape',
    kind: MaxPooling2DKind,
    input: { name: 'pool', trainable: true, batch_input_shape: [null, 28, 28, 1], dtype: 'float32', pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
    options: { dialect: 'keras2' },
    expected: pool('MaxPooling2D', { name: 'pool', inputShape: [28, 28, 1] }, 'keras2')
  },
  // ---- global pooling ----
  {
    name: 'GlobalAveragePooling2D(): keepdims false',
    kind: GlobalAveragePooling2DKind,
    input: {},
    expected: { ...base('GlobalAveragePooling2D'), dataFormat: 'channels_last', keepdims: false }
  },
  {
    name: 'GlobalMaxPooling2D keepdims, channels_first',
    kind: GlobalMaxPooling2DKind,
    input: { keepdims: true, data_format: 'channels_first' },
    expected: { ...base('GlobalMaxPooling2D'), dataFormat: 'channels_first', keepdims: true }
  },
  {
    name: 'GlobalAveragePooling2D data_format null',
    kind: GlobalAveragePooling2DKind,
    input: { data_format: null },
    options: { imageDataFormat: 'channels_first', dialect: 'keras2' },
    expected: { ...base('GlobalAveragePooling2D', 'keras2'), dataFormat: 'channels_first', keepdims: false }
  },
  // ---- ZeroPadding2D ----
  { name: 'ZeroPadding2D(): 1 all round', kind: ZeroPadding2DKind, input: {}, expected: { ...base('ZeroPadding2D'), padding: [[1, 1], [1, 1]], dataFormat: 'channels_last' } },
  { name: 'padding int', kind: ZeroPadding2DKind, input: { padding: 2 }, expected: { ...base('ZeroPadding2D'), padding: [[2, 2], [2, 2]], dataFormat: 'channels_last' } },
  { name: 'padding 0', kind: ZeroPadding2DKind, input: { padding: 0 }, expected: { ...base('ZeroPadding2D'), padding: [[0, 0], [0, 0]], dataFormat: 'channels_last' } },
  {
    name: 'padding pair (symmetric rows, symmetric cols)',
    kind: ZeroPadding2DKind,
    input: { padding: [1, 2] },
    expected: { ...base('ZeroPadding2D'), padding: [[1, 1], [2, 2]], dataFormat: 'channels_last' }
  },
  {
    name: 'padding pair of pairs (asymmetric, as real files have it)',
    kind: ZeroPadding2DKind,
    input: { padding: [[0, 1], [2, 3]], data_format: 'channels_first' },
    expected: { ...base('ZeroPadding2D'), padding: [[0, 1], [2, 3]], dataFormat: 'channels_first' }
  },
  {
    name: 'padding mixed [[t, b], n] (Keras standardizes each entry)',
    kind: ZeroPadding2DKind,
    input: { padding: [[0, 1], 2] },
    expected: { ...base('ZeroPadding2D'), padding: [[0, 1], [2, 2]], dataFormat: 'channels_last' }
  },
  {
    name: 'padding as SavedModel tuples',
    kind: ZeroPadding2DKind,
    input: { padding: tuple(tuple(0, 1), tuple(0, 1)) },
    expected: { ...base('ZeroPadding2D'), padding: [[0, 1], [0, 1]], dataFormat: 'channels_last' }
  },
  // ---- Cropping2D ----
  { name: 'Cropping2D(): nothing', kind: Cropping2DKind, input: {}, expected: { ...base('Cropping2D'), cropping: [[0, 0], [0, 0]], dataFormat: 'channels_last' } },
  { name: 'cropping int', kind: Cropping2DKind, input: { cropping: 1 }, expected: { ...base('Cropping2D'), cropping: [[1, 1], [1, 1]], dataFormat: 'channels_last' } },
  { name: 'cropping pair', kind: Cropping2DKind, input: { cropping: [2, 0] }, expected: { ...base('Cropping2D'), cropping: [[2, 2], [0, 0]], dataFormat: 'channels_last' } },
  {
    name: 'cropping pair of pairs, channels_first',
    kind: Cropping2DKind,
    input: { cropping: [[2, 2], [4, 4]], data_format: 'CHANNELS_FIRST' },
    expected: { ...base('Cropping2D'), cropping: [[2, 2], [4, 4]], dataFormat: 'channels_first' }
  },
  // ---- UpSampling2D ----
  {
    name: 'UpSampling2D(): size 2, nearest',
    kind: UpSampling2DKind,
    input: {},
    expected: { ...base('UpSampling2D'), size: [2, 2], dataFormat: 'channels_last', interpolation: 'nearest' }
  },
  {
    name: 'size int, interpolation case-insensitive',
    kind: UpSampling2DKind,
    input: { size: 3, interpolation: 'BILINEAR' },
    expected: { ...base('UpSampling2D'), size: [3, 3], dataFormat: 'channels_last', interpolation: 'bilinear' }
  },
  {
    name: 'size pair, channels_first',
    kind: UpSampling2DKind,
    input: { size: [1, 2], data_format: 'channels_first', interpolation: 'nearest' },
    expected: { ...base('UpSampling2D'), size: [1, 2], dataFormat: 'channels_first', interpolation: 'nearest' }
  },
  // ---- Reshape ----
  { name: 'Reshape to (7, 7, 64)', kind: ReshapeKind, input: { target_shape: [7, 7, 64] }, expected: { ...base('Reshape'), targetShape: [7, 7, 64] } },
  { name: 'Reshape with one -1', kind: ReshapeKind, input: { target_shape: [-1, 3] }, expected: { ...base('Reshape'), targetShape: [-1, 3] } },
  { name: 'Reshape target as __tuple__', kind: ReshapeKind, input: { target_shape: tuple(4, -1) }, expected: { ...base('Reshape'), targetShape: [4, -1] } },
  { name: 'Reshape with null (TensorFlow.js writes -1 as null)', kind: ReshapeKind, input: { target_shape: [4, null] }, expected: { ...base('Reshape'), targetShape: [4, -1] } },
  { name: 'Reshape to () (one value per sample)', kind: ReshapeKind, input: { target_shape: [] }, expected: { ...base('Reshape'), targetShape: [] } },
  {
    name: 'Reshape with input_shape (Keras 3 constructor argument)',
    kind: ReshapeKind,
    input: { target_shape: [784], input_shape: [28, 28] },
    expected: { ...base('Reshape'), targetShape: [784], inputShape: [28, 28] }
  },
  // ---- DepthwiseConv2D ----
  { name: 'DepthwiseConv2D(3): Keras defaults', kind: DepthwiseConv2DKind, input: { kernel_size: 3 }, expected: depthwise({}) },
  {
    name: 'Keras 3 get_config, every argument',
    kind: DepthwiseConv2DKind,
    input: {
      name: 'dw',
      trainable: false,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      depth_multiplier: 2,
      kernel_size: [3, 5],
      strides: [2, 1],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'relu',
      use_bias: false,
      depthwise_initializer: { module: 'keras.initializers', class_name: 'HeNormal', config: { seed: null }, registered_name: null },
      bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
      depthwise_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.001 }, registered_name: null },
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: { module: 'keras.constraints', class_name: 'NonNeg', config: {}, registered_name: null },
      bias_constraint: null
    },
    expected: depthwise({
      name: 'dw',
      trainable: false,
      depthMultiplier: 2,
      kernelSize: [3, 5],
      strides: [2, 1],
      padding: 'same',
      activation: 'relu',
      useBias: false,
      depthwiseInitializer: heNormal,
      depthwiseRegularizer: { l1: 0, l2: 0.001 },
      depthwiseConstraint: { kind: 'non_neg' }
    })
  },
  {
    name: 'tf.keras 2 config (groups 1, swish, dilation, batch_input_shape)',
    kind: DepthwiseConv2DKind,
    input: {
      name: 'depthwise_conv2d',
      trainable: true,
      batch_input_shape: [null, 32, 32, 16],
      dtype: 'float32',
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [2, 2],
      groups: 1,
      activation: 'swish',
      use_bias: true,
      bias_initializer: { class_name: 'Zeros', config: {} },
      bias_regularizer: null,
      activity_regularizer: null,
      bias_constraint: null,
      depth_multiplier: 1,
      depthwise_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      depthwise_regularizer: null,
      depthwise_constraint: null
    },
    options: { dialect: 'keras2' },
    expected: depthwise({ name: 'depthwise_conv2d', inputShape: [32, 32, 16], dilationRate: [2, 2], activation: 'silu' }, 'keras2')
  },
  {
    name: 'DepthwiseConv2D null initializers / activation, channels_first option',
    kind: DepthwiseConv2DKind,
    input: { kernel_size: [1, 2], depthwise_initializer: null, activation: null, padding: 'Same' },
    options: { imageDataFormat: 'channels_first' },
    expected: depthwise({ kernelSize: [1, 2], padding: 'same', dataFormat: 'channels_first' })
  }
]

// -------------------------------------------------------------------------------------
// invalid configs
// -------------------------------------------------------------------------------------

const INVALID: ReadonlyArray<Invalid> = [
  { name: 'pool_size 0', kind: MaxPooling2DKind, input: { pool_size: 0 }, errors: [['pool_size', 'not positive']] },
  { name: 'pool_size [2, 0]', kind: MaxPooling2DKind, input: { pool_size: [2, 0] }, errors: [['pool_size[1]', 'not positive']] },
  {
    name: 'pool_size and strides entries both bad',
    kind: AveragePooling2DKind,
    input: { pool_size: [2, 2.5], strides: [1, -1] },
    errors: [
      ['pool_size[1]', 'not an integer'],
      ['strides[1]', 'not positive']
    ]
  },
  { name: 'pool_size null (Keras cannot standardize None)', kind: MaxPooling2DKind, input: { pool_size: null }, errors: [['pool_size', 'found null']] },
  { name: 'strides as a string', kind: MaxPooling2DKind, input: { strides: '2' }, errors: [['strides', 'without quotes']] },
  { name: 'padding causal', kind: MaxPooling2DKind, input: { padding: 'causal' }, errors: [['padding', 'causal']] },
  { name: 'padding full', kind: AveragePooling2DKind, input: { pool_size: 2, padding: 'full' }, errors: [['padding', '"valid" or "same"']] },
  { name: 'padding SAME in a Keras 3 pooling config', kind: MaxPooling2DKind, input: { padding: 'SAME' }, errors: [['padding', 'in lower case']] },
  { name: 'AveragePooling2D without pool_size in a Keras 3 config', kind: AveragePooling2DKind, input: {}, errors: [['pool_size', 'missing required']] },
  { name: 'data_format NHWC', kind: MaxPooling2DKind, input: { data_format: 'NHWC' }, errors: [['data_format', '"channels_last" or "channels_first"']] },
  { name: 'typo pool_sise', kind: MaxPooling2DKind, input: { pool_sise: 2 }, errors: [['pool_sise', 'did you mean "pool_size"']] },
  { name: 'keepdims not a boolean', kind: GlobalAveragePooling2DKind, input: { keepdims: 1 }, errors: [['keepdims', 'true or false']] },
  { name: 'keep_dims typo', kind: GlobalMaxPooling2DKind, input: { keep_dims: true }, errors: [['keep_dims', 'did you mean "keepdims"']] },
  { name: 'negative padding', kind: ZeroPadding2DKind, input: { padding: -1 }, errors: [['padding', 'found -1']] },
  { name: 'padding of 1 entry', kind: ZeroPadding2DKind, input: { padding: [1] }, errors: [['padding', 'found a list of 1 item']] },
  { name: 'padding[1][1] negative', kind: ZeroPadding2DKind, input: { padding: [[0, 1], [2, -3]] }, errors: [['padding[1][1]', 'non-negative integer']] },
  { name: 'padding[0] of 3', kind: ZeroPadding2DKind, input: { padding: [[0, 1, 2], [1, 1]] }, errors: [['padding[0]', 'rows (top, bottom)']] },
  {
    name: 'padding entries 1.5 and "a"',
    kind: ZeroPadding2DKind,
    input: { padding: [1.5, 'a'] },
    errors: [
      ['padding[0]', 'found 1.5'],
      ['padding[1]', 'cols (left, right)']
    ]
  },
  { name: 'padding "same" (that is Conv2D padding)', kind: ZeroPadding2DKind, input: { padding: 'same' }, errors: [['padding', 'an integer ≥ 0']] },
  { name: 'cropping negative int', kind: Cropping2DKind, input: { cropping: -2 }, errors: [['cropping', 'found -2']] },
  { name: 'cropping[0][0] not an int', kind: Cropping2DKind, input: { cropping: [[0.5, 1], [0, 0]] }, errors: [['cropping[0][0]', 'found 0.5']] },
  {
    name: 'interpolation bicubic (Keras has it, layerspec does not run it)',
    kind: UpSampling2DKind,
    input: { interpolation: 'bicubic' },
    errors: [['interpolation', 'layerspec does not run']]
  },
  { name: 'interpolation linear', kind: UpSampling2DKind, input: { interpolation: 'linear' }, errors: [['interpolation', '"nearest" or "bilinear"']] },
  { name: 'size [2, 0]', kind: UpSampling2DKind, input: { size: [2, 0] }, errors: [['size[1]', 'not positive']] },
  { name: 'Reshape without target_shape', kind: ReshapeKind, input: {}, errors: [['target_shape', 'missing required']] },
  { name: 'Reshape two -1s', kind: ReshapeKind, input: { target_shape: [-1, 2, -1] }, errors: [['target_shape[2]', 'at most one -1']] },
  { name: 'Reshape 0 dimension', kind: ReshapeKind, input: { target_shape: [0, 2] }, errors: [['target_shape[0]', 'positive integer or -1']] },
  { name: 'Reshape null and -1 (two inferred dims)', kind: ReshapeKind, input: { target_shape: [null, 2, -1] }, errors: [['target_shape[2]', 'at most one -1 (the inferred dim; TensorFlow.js writes it null)']] },
  { name: 'Reshape two nulls', kind: ReshapeKind, input: { target_shape: [null, null] }, errors: [['target_shape[1]', 'at most one -1']] },
  { name: 'Reshape -2', kind: ReshapeKind, input: { target_shape: [2, -2] }, errors: [['target_shape[1]', 'found -2']] },
  { name: 'Reshape target an int', kind: ReshapeKind, input: { target_shape: 5 }, errors: [['target_shape', 'found 5']] },
  { name: 'DepthwiseConv2D without kernel_size', kind: DepthwiseConv2DKind, input: {}, errors: [['kernel_size', 'missing required']] },
  {
    name: 'DepthwiseConv2D strides 2 with dilation 2 (tf.keras refuses it; Keras 3 runs it)',
    kind: DepthwiseConv2DKind,
    input: { kernel_size: 3, strides: 2, dilation_rate: 2 },
    options: { dialect: 'keras2' },
    errors: [['strides', 'not supported in conjunction with dilation_rate']]
  },
  { name: 'depth_multiplier 0', kind: DepthwiseConv2DKind, input: { kernel_size: 3, depth_multiplier: 0 }, errors: [['depth_multiplier', 'not positive']] },
  { name: 'groups in a Keras 3 config', kind: DepthwiseConv2DKind, input: { kernel_size: 3, groups: 1 }, errors: [['groups', 'Unrecognized keyword arguments']] },
  {
    name: 'groups 2 in a tf.keras config',
    kind: DepthwiseConv2DKind,
    input: { kernel_size: 3, groups: 2 },
    options: { dialect: 'keras2' },
    errors: [['groups', 'expected groups to be 1']]
  },
  { name: 'filters on DepthwiseConv2D', kind: DepthwiseConv2DKind, input: { kernel_size: 3, filters: 8 }, errors: [['filters', 'depth_multiplier']] },
  { name: 'kernel_initializer on DepthwiseConv2D', kind: DepthwiseConv2DKind, input: { kernel_size: 3, kernel_initializer: 'zeros' }, errors: [['kernel_initializer', 'depthwise_initializer']] },
  {
    name: 'kernel_size[1] 0 and causal padding',
    kind: DepthwiseConv2DKind,
    input: { kernel_size: [3, 0], padding: 'causal' },
    errors: [
      ['kernel_size[1]', 'not positive'],
      ['padding', 'causal']
    ]
  },
  { name: 'unknown depthwise_regularizer', kind: DepthwiseConv2DKind, input: { kernel_size: 3, depthwise_regularizer: 'l3' }, errors: [['depthwise_regularizer', 'l3']] },
  {
    name: 'input_shape disagreeing with batch_input_shape',
    kind: MaxPooling2DKind,
    input: { input_shape: [4, 4, 1], batch_input_shape: [null, 4, 4, 2] },
    options: { dialect: 'keras2' },
    errors: [['input_shape', 'disagrees']]
  }
]

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

const deepFrozen = (u: unknown): boolean =>
  typeof u !== 'object' || u === null || (Object.isFrozen(u) && Object.values(u).every(deepFrozen))

describe('spatial layer codecs: valid configs', () => {
  it.each(VALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = right(decode(c.kind, c.input, c.options))
    expect(spec).toEqual(c.expected)
    expect(deepFrozen(spec)).toBe(true)
  })
})

describe('spatial layer codecs: invalid configs', () => {
  it.each(INVALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const errors = left(decode(c.kind, c.input, c.options))
    expect(errors.map((e) => e.path).sort()).toEqual(c.errors.map(([p]) => p).sort())
    for (const [path, phrase] of c.errors) {
      const e = errors.find((x) => x.path === path)
      expect(e?.message, path).toContain(phrase)
    }
  })
})

describe('spatial layer codecs: round trip', () => {
  it.each(VALID.map((c) => [c.name, c] as const))('%s: decode(encode(spec)) = spec in its dialect, and in the other', (_name, c) => {
    for (const dialect of ['keras2', 'keras3'] as const) {
      const options = { ...c.options, dialect }
      const first = decode(c.kind, c.input, options)
      // The Keras 3 dialect rejects tf.keras's `groups` key: that case round-trips in keras2 only.
      if (E.isLeft(first) && dialect === 'keras3' && c.options?.dialect === 'keras2') continue
      const spec = right(first)
      const json = encode(c.kind, spec, dialect)
      // the image data format option must not matter once data_format is written
      const other = options.imageDataFormat === 'channels_first' ? 'channels_last' : 'channels_first'
      expect(right(decode(c.kind, json, { dialect, imageDataFormat: other }))).toEqual(spec)
      expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    }
  })
})

describe('spatial layer codecs: encoding', () => {
  it('pooling writes the resolved strides, keras2 with batch_input_shape', () => {
    const spec = right(decode(MaxPooling2DKind, { name: 'pool', pool_size: 3, strides: null, padding: 'SAME', input_shape: [28, 28, 1] }, { dialect: 'keras2' }))
    expect(encode(MaxPooling2DKind, spec)).toEqual({
      name: 'pool',
      trainable: true,
      batch_input_shape: [null, 28, 28, 1],
      dtype: 'float32',
      pool_size: [3, 3],
      padding: 'same',
      strides: [3, 3],
      data_format: 'channels_last'
    })
  })

  it('ZeroPadding2D / Cropping2D write the pair of pairs', () => {
    expect(encode(ZeroPadding2DKind, right(decode(ZeroPadding2DKind, { padding: [1, 2] }, { dialect: 'keras2' })))).toEqual({
      trainable: true,
      dtype: 'float32',
      padding: [
        [1, 1],
        [2, 2]
      ],
      data_format: 'channels_last'
    })
    expect(encode(Cropping2DKind, right(decode(Cropping2DKind, { cropping: 3 }, { dialect: 'keras2' })))['cropping']).toEqual([
      [3, 3],
      [3, 3]
    ])
  })

  it('global pooling writes keepdims; UpSampling2D size as a pair; Reshape its list', () => {
    expect(encode(GlobalAveragePooling2DKind, right(decode(GlobalAveragePooling2DKind, {}, { dialect: 'keras2' })))).toEqual({
      trainable: true,
      dtype: 'float32',
      data_format: 'channels_last',
      keepdims: false
    })
    expect(encode(UpSampling2DKind, right(decode(UpSampling2DKind, { size: 2, interpolation: 'Bilinear' }, { dialect: 'keras2' })))).toEqual({
      trainable: true,
      dtype: 'float32',
      size: [2, 2],
      data_format: 'channels_last',
      interpolation: 'bilinear'
    })
    expect(encode(ReshapeKind, right(decode(ReshapeKind, { target_shape: tuple(-1, 4) }, { dialect: 'keras2' })))['target_shape']).toEqual([-1, 4])
  })

  it('DepthwiseConv2D: keras2 writes tf.keras\'s groups 1 and swish; keras3 neither', () => {
    const k2 = encode(DepthwiseConv2DKind, right(decode(DepthwiseConv2DKind, { kernel_size: 3, activation: 'silu', depthwise_initializer: 'he_normal' }, { dialect: 'keras2' })))
    expect(k2).toEqual({
      trainable: true,
      dtype: 'float32',
      depth_multiplier: 1,
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: 'swish',
      use_bias: true,
      depthwise_initializer: { class_name: 'HeNormal', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      depthwise_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: null,
      bias_constraint: null
    })
    const k3 = encode(DepthwiseConv2DKind, right(decode(DepthwiseConv2DKind, { kernel_size: 3, activation: 'silu' })))
    expect('groups' in k3).toBe(false)
    expect(k3['activation']).toBe('silu')
  })
})

describe('registry', () => {
  it('lists every spatial kind, found by class name and Keras alias', () => {
    const names = SPATIAL_KINDS.map((k) => k.className).sort()
    expect(names).toEqual(
      [
        'AveragePooling2D',
        'Cropping2D',
        'GlobalAveragePooling2D',
        'GlobalMaxPooling2D',
        'MaxPooling2D',
        'Reshape',
        'UpSampling2D',
        'ZeroPadding2D',
        // the 1-D / 3-D companions of the convolution family (issue 14)
        ...['MaxPooling', 'AveragePooling', 'GlobalAveragePooling', 'GlobalMaxPooling', 'UpSampling', 'ZeroPadding', 'Cropping'].flatMap((n) => [`${n}1D`, `${n}3D`])
      ].sort()
    )
    for (const k of SPATIAL_KINDS) {
      expect(LAYER_KINDS).toContain(k)
      expect(findLayerKind(k.className)).toBe(k)
      expect(k.arity).toBe('single')
    }
    expect(findLayerKind('MaxPool2D')).toBe(MaxPooling2DKind)
    expect(findLayerKind('AvgPool2D')).toBe(AveragePooling2DKind)
    expect(findLayerKind('GlobalAvgPool2D')).toBe(GlobalAveragePooling2DKind)
    expect(findLayerKind('GlobalMaxPool2D')).toBe(GlobalMaxPooling2DKind)
  })
})
