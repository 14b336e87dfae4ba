/**
 * Codec tables for the elementwise / merge layer kinds: valid Keras configs (both dialects) → the full
 * normalized spec written by hand; invalid configs → the exact error paths; encode → decode round trips.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Dialect } from '../../src/codec/Dialect.js'
import type { DataFormat } from '../../src/conv/Conv2DSpec.js'
import { ELEMENTWISE_KINDS } from '../../src/layers/elementwise.js'
import { findLayerKind } from '../../src/model/registry.js'
import { readShared } from '../helpers.js'
import { base, decodeLayer, encodeLayer } from './elementwise-helpers.js'

interface Valid {
  readonly cls: string
  readonly config: Record<string, unknown>
  readonly dialect?: Dialect
  readonly imageDataFormat?: DataFormat
  readonly expected: Record<string, unknown>
}

interface Invalid {
  readonly cls: string
  readonly config: unknown
  readonly dialect?: Dialect
  /** Error paths, in order, each with a fragment of its message. */
  readonly errors: ReadonlyArray<readonly [string, string]>
}

const k2 = base('keras2')
const k3 = base('keras3')
const zeros = { kind: 'constant', value: 0 }
const ones = { kind: 'constant', value: 1 }
const image3 = { seed: null, dataFormat: 'channels_last', boundingBoxFormat: null }
const image2 = { seed: null, dataFormat: 'channels_last', boundingBoxFormat: null }

const bnDefaults = {
  axis: [-1],
  momentum: 0.99,
  epsilon: 1e-3,
  center: true,
  scale: true,
  betaInitializer: zeros,
  gammaInitializer: ones,
  movingMeanInitializer: zeros,
  movingVarianceInitializer: ones,
  betaRegularizer: null,
  gammaRegularizer: null,
  betaConstraint: null,
  gammaConstraint: null,
  synchronized: false,
  fused: null,
  renorm: false,
  renormClipping: null,
  renormMomentum: 0.99
}

/** The real BatchNormalization configs of the shared model files (M: Keras 3; F, D: tf.keras 2.x). */
const realLayer = (file: string, cls: string, name: string): Record<string, unknown> => {
  let found: Record<string, unknown> | undefined
  const walk = (u: unknown): void => {
    if (found !== undefined || typeof u !== 'object' || u === null) return
    if (Array.isArray(u)) return u.forEach(walk)
    const o = u as Record<string, unknown>
    if (o['class_name'] === cls && typeof o['config'] === 'object' && (o['config'] as Record<string, unknown>)['name'] === name) {
      found = o['config'] as Record<string, unknown>
      return
    }
    Object.values(o).forEach(walk)
  }
  walk(readShared(`real-keras-models/${file}.json`))
  if (found === undefined) throw new Error(`${cls} ${name} not in ${file}`)
  return found
}

const VALID: ReadonlyArray<Valid> = [
  // Activation
  { cls: 'Activation', config: { activation: 'relu' }, expected: { className: 'Activation', ...k3, activation: 'relu' } },
  { cls: 'Activation', config: { name: 'act', trainable: false, activation: 'swish' }, dialect: 'keras2', expected: { className: 'Activation', ...k2, name: 'act', trainable: false, activation: 'silu' } },
  { cls: 'Activation', config: { activation: null }, expected: { className: 'Activation', ...k3, activation: 'linear' } },
  {
    cls: 'Activation',
    config: { activation: { module: 'keras.activations', class_name: 'function', config: 'softmax', registered_name: 'softmax' } },
    expected: { className: 'Activation', ...k3, activation: 'softmax' }
  },
  { cls: 'Activation', config: { activation: 'hard_sigmoid', input_shape: [4] }, dialect: 'keras2', expected: { className: 'Activation', ...k2, activation: 'hard_sigmoid', inputShape: [4] } },
  // ReLU
  { cls: 'ReLU', config: {}, expected: { className: 'ReLU', ...k3, maxValue: null, negativeSlope: 0, threshold: 0 } },
  {
    cls: 'ReLU',
    config: { name: 'Conv1_relu', trainable: false, dtype: 'float32', max_value: 6.0, negative_slope: 0.0, threshold: 0.0 },
    dialect: 'keras2',
    expected: { className: 'ReLU', ...k2, name: 'Conv1_relu', trainable: false, maxValue: 6, negativeSlope: 0, threshold: 0 }
  },
  { cls: 'ReLU', config: { max_value: null, negative_slope: 0.5, threshold: 1 }, expected: { className: 'ReLU', ...k3, maxValue: null, negativeSlope: 0.5, threshold: 1 } },
  // LeakyReLU
  { cls: 'LeakyReLU', config: {}, dialect: 'keras2', expected: { className: 'LeakyReLU', ...k2, negativeSlope: 0.3 } },
  { cls: 'LeakyReLU', config: {}, expected: { className: 'LeakyReLU', ...k3, negativeSlope: 0.3 } },
  { cls: 'LeakyReLU', config: { alpha: 0.30000001192092896 }, dialect: 'keras2', expected: { className: 'LeakyReLU', ...k2, negativeSlope: 0.30000001192092896 } },
  { cls: 'LeakyReLU', config: { negative_slope: 0.2 }, expected: { className: 'LeakyReLU', ...k3, negativeSlope: 0.2 } },
  { cls: 'LeakyReLU', config: { alpha: 0.1 }, expected: { className: 'LeakyReLU', ...k3, negativeSlope: 0.1 } },
  { cls: 'LeakyReLU', config: { negative_slope: 0.1 }, dialect: 'keras2', expected: { className: 'LeakyReLU', ...k2, negativeSlope: 0.1 } },
  { cls: 'LeakyReLU', config: { alpha: 0.2, negative_slope: 0.2 }, expected: { className: 'LeakyReLU', ...k3, negativeSlope: 0.2 } },
  { cls: 'LeakyReLU', config: { alpha: 0.1, negative_slope: 0.2 }, expected: { className: 'LeakyReLU', ...k3, negativeSlope: 0.1 } },
  { cls: 'LeakyReLU', config: { alpha: -0.5 }, dialect: 'keras2', expected: { className: 'LeakyReLU', ...k2, negativeSlope: -0.5 } },
  // Softmax
  { cls: 'Softmax', config: {}, expected: { className: 'Softmax', ...k3, axis: [-1], robustMasking: false } },
  { cls: 'Softmax', config: { axis: 1 }, expected: { className: 'Softmax', ...k3, axis: [1], robustMasking: false } },
  { cls: 'Softmax', config: { axis: [1, 2] }, expected: { className: 'Softmax', ...k3, axis: [1, 2], robustMasking: false } },
  { cls: 'Softmax', config: { axis: { class_name: '__tuple__', items: [2, -1] } }, expected: { className: 'Softmax', ...k3, axis: [2, -1], robustMasking: false } },
  { cls: 'Softmax', config: { axis: -1, robust_masking: true }, dialect: 'keras2', expected: { className: 'Softmax', ...k2, axis: [-1], robustMasking: true } },
  // Dropout
  { cls: 'Dropout', config: { rate: 0.5, trainable: true, name: 'dropout_1' }, dialect: 'keras2', expected: { className: 'Dropout', ...k2, name: 'dropout_1', rate: 0.5, noiseShape: null, seed: null } },
  { cls: 'Dropout', config: { rate: 0, noise_shape: [null, 1, 1, 8], seed: 3 }, expected: { className: 'Dropout', ...k3, rate: 0, noiseShape: [null, 1, 1, 8], seed: 3 } },
  { cls: 'Dropout', config: { rate: 1 }, expected: { className: 'Dropout', ...k3, rate: 1, noiseShape: null, seed: null } },
  // SpatialDropout2D
  { cls: 'SpatialDropout2D', config: { rate: 0.2 }, expected: { className: 'SpatialDropout2D', ...k3, rate: 0.2, dataFormat: 'channels_last', noiseShape: null, seed: null } },
  {
    cls: 'SpatialDropout2D',
    config: { rate: 0.2 },
    imageDataFormat: 'channels_first',
    expected: { className: 'SpatialDropout2D', ...k3, rate: 0.2, dataFormat: 'channels_first', noiseShape: null, seed: null }
  },
  {
    cls: 'SpatialDropout2D',
    config: { rate: 0.2, data_format: 'Channels_First', seed: 7 },
    expected: { className: 'SpatialDropout2D', ...k3, rate: 0.2, dataFormat: 'channels_first', noiseShape: null, seed: 7 }
  },
  {
    cls: 'SpatialDropout2D',
    config: { rate: 0.1, noise_shape: null, seed: null, data_format: 'channels_last' },
    dialect: 'keras2',
    expected: { className: 'SpatialDropout2D', ...k2, rate: 0.1, dataFormat: 'channels_last', noiseShape: null, seed: null }
  },
  // RandomFlip
  { cls: 'RandomFlip', config: { mode: 'horizontal' }, dialect: 'keras2', expected: { className: 'RandomFlip', ...k2, ...image2, mode: 'horizontal' } },
  { cls: 'RandomFlip', config: {}, expected: { className: 'RandomFlip', ...k3, ...image3, mode: 'horizontal_and_vertical' } },
  {
    cls: 'RandomFlip',
    config: { mode: 'vertical', seed: 1, data_format: 'channels_first', bounding_box_format: 'xyxy' },
    expected: { className: 'RandomFlip', ...k3, mode: 'vertical', seed: 1, dataFormat: 'channels_first', boundingBoxFormat: 'xyxy' }
  },
  // RandomRotation: tf.keras reads 0.2 as [-0.2, 0.2] and keeps lists as given; Keras 3 sorts
  {
    cls: 'RandomRotation',
    config: { factor: 0.2, fill_mode: 'reflect', fill_value: 0.0, interpolation: 'bilinear', seed: null },
    dialect: 'keras2',
    expected: { className: 'RandomRotation', ...k2, ...image2, factor: [-0.2, 0.2], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  {
    cls: 'RandomRotation',
    config: { factor: [0.5, 2] },
    dialect: 'keras2',
    expected: { className: 'RandomRotation', ...k2, ...image2, factor: [0.5, 2], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  {
    cls: 'RandomRotation',
    config: { factor: [0.3, -0.1], fill_mode: 'constant', fill_value: 1, interpolation: 'nearest' },
    expected: { className: 'RandomRotation', ...k3, ...image3, factor: [-0.1, 0.3], fillMode: 'constant', interpolation: 'nearest', fillValue: 1 }
  },
  {
    cls: 'RandomRotation',
    config: { factor: -0.25 },
    expected: { className: 'RandomRotation', ...k3, ...image3, factor: [-0.25, 0.25], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  // RandomZoom
  {
    cls: 'RandomZoom',
    config: { height_factor: 0.2, width_factor: null, fill_mode: 'reflect', fill_value: 0.0, interpolation: 'bilinear', seed: null },
    dialect: 'keras2',
    expected: { className: 'RandomZoom', ...k2, ...image2, heightFactor: [-0.2, 0.2], widthFactor: null, fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  {
    cls: 'RandomZoom',
    config: { height_factor: [0.2, -0.3], width_factor: [0.5, 3] },
    dialect: 'keras2',
    expected: { className: 'RandomZoom', ...k2, ...image2, heightFactor: [0.2, -0.3], widthFactor: [0.5, 3], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  {
    cls: 'RandomZoom',
    config: { height_factor: [0.2, -0.3], width_factor: -0.5, data_format: 'channels_last' },
    expected: { className: 'RandomZoom', ...k3, ...image3, heightFactor: [-0.3, 0.2], widthFactor: [-0.5, 0.5], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  // RandomTranslation
  {
    cls: 'RandomTranslation',
    config: { height_factor: 0.2, width_factor: [-0.1, 0.3] },
    dialect: 'keras2',
    expected: { className: 'RandomTranslation', ...k2, ...image2, heightFactor: [-0.2, 0.2], widthFactor: [-0.1, 0.3], fillMode: 'reflect', interpolation: 'bilinear', fillValue: 0 }
  },
  {
    cls: 'RandomTranslation',
    config: { height_factor: 1, width_factor: [0.3, -0.1], fill_mode: 'wrap' },
    expected: { className: 'RandomTranslation', ...k3, ...image3, heightFactor: [-1, 1], widthFactor: [-0.1, 0.3], fillMode: 'wrap', interpolation: 'bilinear', fillValue: 0 }
  },
  // RandomContrast: tf.keras reads 0.2 as [0.2, 0.2] (contrast in [0.8, 1.2]), Keras 3 as [0, 0.2]
  { cls: 'RandomContrast', config: { factor: 0.2, seed: null }, dialect: 'keras2', expected: { className: 'RandomContrast', ...k2, ...image2, factor: [0.2, 0.2], valueRange: [0, 255] } },
  { cls: 'RandomContrast', config: { factor: 0.2 }, expected: { className: 'RandomContrast', ...k3, ...image3, factor: [0, 0.2], valueRange: [0, 255] } },
  { cls: 'RandomContrast', config: { factor: [0.5, 0.1], value_range: [1, 0] }, expected: { className: 'RandomContrast', ...k3, ...image3, factor: [0.1, 0.5], valueRange: [1, 0] } },
  // RandomBrightness: value_range sorted in both
  {
    cls: 'RandomBrightness',
    config: { factor: [-0.2, 0.2], value_range: [0, 255], seed: null },
    dialect: 'keras2',
    expected: { className: 'RandomBrightness', ...k2, ...image2, factor: [-0.2, 0.2], valueRange: [0, 255] }
  },
  { cls: 'RandomBrightness', config: { factor: -0.4, value_range: [1, 0] }, expected: { className: 'RandomBrightness', ...k3, ...image3, factor: [-0.4, 0.4], valueRange: [0, 1] } },
  // RandomHeight / RandomWidth (tf.keras 2.x)
  { cls: 'RandomHeight', config: { factor: 0.2 }, dialect: 'keras2', expected: { className: 'RandomHeight', ...k2, factor: [-0.2, 0.2], interpolation: 'bilinear', seed: null } },
  { cls: 'RandomWidth', config: { factor: [0.2, 0.3], interpolation: 'Bicubic', seed: 4 }, dialect: 'keras2', expected: { className: 'RandomWidth', ...k2, factor: [0.2, 0.3], interpolation: 'bicubic', seed: 4 } },
  // Rescaling
  { cls: 'Rescaling', config: { scale: 0.00392156862745098, offset: 0.0 }, dialect: 'keras2', expected: { className: 'Rescaling', ...k2, scale: 0.00392156862745098, offset: 0, scaleDataFormat: null } },
  { cls: 'Rescaling', config: { scale: 2, offset: 0 }, expected: { className: 'Rescaling', ...k3, scale: 2, offset: 0, scaleDataFormat: null } },
  { cls: 'Rescaling', config: { scale: [1, 2, 3], offset: [0, 0, 1] }, expected: { className: 'Rescaling', ...k3, scale: [1, 2, 3], offset: [0, 0, 1], scaleDataFormat: 'channels_last' } },
  { cls: 'Rescaling', config: { scale: [1, 2, 3], offset: 0.0 }, imageDataFormat: 'channels_first', expected: { className: 'Rescaling', ...k3, scale: [1, 2, 3], offset: 0, scaleDataFormat: 'channels_first' } },
  { cls: 'Rescaling', config: { scale: [0.5], offset: 0 }, imageDataFormat: 'channels_first', expected: { className: 'Rescaling', ...k3, scale: [0.5], offset: 0, scaleDataFormat: 'channels_first' } },
  { cls: 'Rescaling', config: { scale: [[1, 2, 3]], offset: [[[0.5]]] }, expected: { className: 'Rescaling', ...k3, scale: [[1, 2, 3]], offset: [[[0.5]]], scaleDataFormat: 'channels_last' } },
  {
    cls: 'Rescaling',
    config: { scale: { class_name: '__tuple__', config: { value: [1, 2] } }, offset: { class_name: '__numpy__', config: { value: 0.5, dtype: 'float64' } } },
    expected: { className: 'Rescaling', ...k3, scale: [1, 2], offset: 0.5, scaleDataFormat: 'channels_last' }
  },
  { cls: 'Rescaling', config: { scale: [1, 2, 3] }, dialect: 'keras2', imageDataFormat: 'channels_first', expected: { className: 'Rescaling', ...k2, scale: [1, 2, 3], offset: 0, scaleDataFormat: null } },
  { cls: 'Rescaling', config: { scale: [0.5], offset: -1 }, expected: { className: 'Rescaling', ...k3, scale: 0.5, offset: -1, scaleDataFormat: null } },
  {
    cls: 'Rescaling',
    config: { scale: { class_name: '__numpy__', config: { value: [0.5, 0.25], dtype: 'float32' } }, offset: 0 },
    expected: { className: 'Rescaling', ...k3, scale: [0.5, 0.25], offset: 0, scaleDataFormat: 'channels_last' }
  },
  // BatchNormalization
  { cls: 'BatchNormalization', config: {}, expected: { className: 'BatchNormalization', ...k3, ...bnDefaults } },
  { cls: 'BatchNormalization', config: {}, dialect: 'keras2', expected: { className: 'BatchNormalization', ...k2, ...bnDefaults } },
  {
    cls: 'BatchNormalization',
    config: realLayer('M', 'BatchNormalization', 'batch_normalization'),
    expected: { className: 'BatchNormalization', ...k3, name: 'batch_normalization', ...bnDefaults }
  },
  {
    cls: 'BatchNormalization',
    config: realLayer('F', 'BatchNormalization', 'bn_Conv1'),
    dialect: 'keras2',
    expected: { className: 'BatchNormalization', ...k2, name: 'bn_Conv1', trainable: false, ...bnDefaults, axis: [3], momentum: 0.999 }
  },
  {
    cls: 'BatchNormalization',
    config: { axis: [1, 2], epsilon: 1e-5, center: false, fused: false, renorm: false, renorm_clipping: { rmax: 3 }, renorm_momentum: 0.9, virtual_batch_size: null, adjustment: null, synchronized: true },
    dialect: 'keras2',
    expected: { className: 'BatchNormalization', ...k2, ...bnDefaults, axis: [1, 2], epsilon: 1e-5, center: false, fused: false, synchronized: true }
  },
  {
    cls: 'BatchNormalization',
    config: { renorm: true, renorm_clipping: { rmax: 3, rmin: 0.5, dmax: 1 }, renorm_momentum: 0.9 },
    expected: { className: 'BatchNormalization', ...k3, ...bnDefaults, renorm: true, renormClipping: { rmax: 3, rmin: 0.5, dmax: 1 }, renormMomentum: 0.9 }
  },
  {
    cls: 'BatchNormalization',
    config: { renorm: true, renorm_clipping: {}, fused: null },
    dialect: 'keras2',
    expected: { className: 'BatchNormalization', ...k2, ...bnDefaults, renorm: true }
  },
  {
    cls: 'BatchNormalization',
    config: { axis: [1], gamma_initializer: 'zeros', beta_regularizer: 'l2', gamma_constraint: 'non_neg', fused: true },
    dialect: 'keras2',
    expected: {
      className: 'BatchNormalization',
      ...k2,
      ...bnDefaults,
      axis: [1],
      gammaInitializer: zeros,
      betaRegularizer: { l1: 0, l2: 0.01 },
      gammaConstraint: { kind: 'non_neg' },
      fused: true
    }
  },
  // merges
  { cls: 'Add', config: { name: 'add_1', trainable: true }, dialect: 'keras2', expected: { className: 'Add', ...k2, name: 'add_1' } },
  { cls: 'Subtract', config: {}, expected: { className: 'Subtract', ...k3 } },
  { cls: 'Multiply', config: {}, expected: { className: 'Multiply', ...k3 } },
  { cls: 'Average', config: {}, expected: { className: 'Average', ...k3 } },
  { cls: 'Maximum', config: {}, expected: { className: 'Maximum', ...k3 } },
  { cls: 'Minimum', config: { dtype: 'float64' }, expected: { className: 'Minimum', ...k3, dtype: 'float64' } },
  { cls: 'Concatenate', config: { name: 'concatenate_1', trainable: true, axis: -1 }, dialect: 'keras2', expected: { className: 'Concatenate', ...k2, name: 'concatenate_1', axis: -1 } },
  { cls: 'Concatenate', config: {}, expected: { className: 'Concatenate', ...k3, axis: -1 } },
  { cls: 'Concatenate', config: { axis: 1 }, expected: { className: 'Concatenate', ...k3, axis: 1 } }
]

const INVALID: ReadonlyArray<Invalid> = [
  { cls: 'Activation', config: {}, errors: [['activation', 'missing required Activation argument']] },
  { cls: 'Activation', config: { activation: 'threshold' }, errors: [['activation', 'threshold']] },
  { cls: 'Activation', config: { activation: 'relu', alpha: 1 }, errors: [['alpha', 'unknown Activation argument "alpha"']] },
  { cls: 'Activation', config: 'relu', errors: [['', 'expected the Activation arguments as a JSON object']] },
  { cls: 'ReLU', config: { max_value: -1, threshold: null, negative_slope: '0' }, errors: [['max_value', 'non-negative'], ['negative_slope', 'without quotes'], ['threshold', 'found null']] },
  { cls: 'ReLU', config: { max_vlaue: 6 }, errors: [['max_vlaue', 'did you mean "max_value"']] },
  { cls: 'LeakyReLU', config: { alpha: 0.1, negative_slope: 0.2 }, dialect: 'keras2', errors: [['alpha', 'disagree']] },
  { cls: 'LeakyReLU', config: { alpha: -1 }, errors: [['alpha', 'non-negative']] },
  { cls: 'LeakyReLU', config: { negative_slope: null }, dialect: 'keras2', errors: [['negative_slope', 'found null']] },
  { cls: 'Softmax', config: { axis: [] }, errors: [['axis', 'non-empty']] },
  { cls: 'Softmax', config: { axis: [1, 'a'] }, errors: [['axis[1]', 'integer axis']] },
  { cls: 'Softmax', config: { axis: 1.5 }, errors: [['axis', 'found 1.5']] },
  { cls: 'Softmax', config: { robust_masking: true }, errors: [['robust_masking', 'tf.keras 2.x']] },
  { cls: 'Softmax', config: { robust_masking: 1 }, dialect: 'keras2', errors: [['robust_masking', 'true or false']] },
  { cls: 'Dropout', config: {}, errors: [['rate', 'missing required Dropout argument "rate"']] },
  { cls: 'Dropout', config: { rate: 1.5, noise_shape: [null, 0], seed: 0.5 }, errors: [['rate', 'between 0 and 1'], ['noise_shape[1]', 'not positive'], ['seed', 'integer']] },
  { cls: 'Dropout', config: { rate: -0.1, noise_shape: 'x' }, errors: [['rate', 'between 0 and 1'], ['noise_shape', 'list']] },
  { cls: 'SpatialDropout2D', config: { rate: 0.5, noise_shape: null }, errors: [['noise_shape', 'not a Keras 3 SpatialDropout2D argument']] },
  { cls: 'SpatialDropout2D', config: { rate: 0.5, data_format: 'NCHW' }, dialect: 'keras2', errors: [['data_format', '"channels_last" or "channels_first"']] },
  { cls: 'RandomFlip', config: { mode: 'diagonal' }, errors: [['mode', '"horizontal", "vertical" or "horizontal_and_vertical"']] },
  { cls: 'RandomFlip', config: { mode: 'horizontal', data_format: 'channels_last', bounding_box_format: 'xyxy' }, dialect: 'keras2', errors: [['data_format', 'Keras 3'], ['bounding_box_format', 'Keras 3']] },
  { cls: 'RandomFlip', config: { factor: 0.5 }, errors: [['factor', 'unknown RandomFlip argument']] },
  { cls: 'RandomRotation', config: {}, errors: [['factor', 'missing required']] },
  { cls: 'RandomRotation', config: { factor: [2, 3] }, errors: [['factor[0]', 'at most 1']] },
  { cls: 'RandomRotation', config: { factor: [-3, -2] }, errors: [['factor[1]', 'at least -1']] },
  { cls: 'RandomRotation', config: { factor: 1.5 }, errors: [['factor', 'in [-1, 1]']] },
  { cls: 'RandomRotation', config: { factor: -0.2 }, dialect: 'keras2', errors: [['factor', 'upper bound -0.2 below its lower bound 0.2']] },
  { cls: 'RandomRotation', config: { factor: [0.1, 'x'], fill_mode: 'mirror', interpolation: 'bicubic' }, errors: [['factor[1]', 'finite number'], ['fill_mode', '"reflect"'], ['interpolation', '"nearest" or "bilinear"']] },
  { cls: 'RandomRotation', config: { factor: [0.1, 0.2, 0.3] }, errors: [['factor', 'a list of 2 numbers']] },
  { cls: 'RandomZoom', config: { height_factor: [0.5, 1.5], width_factor: -2 }, dialect: 'keras2', errors: [['height_factor', 'in [-1, 1]'], ['width_factor', 'larger than -1']] },
  { cls: 'RandomZoom', config: { height_factor: [0.5, 1.5] }, errors: [['height_factor[1]', 'in [-1, 1]']] },
  { cls: 'RandomTranslation', config: { height_factor: 0.2 }, errors: [['width_factor', 'missing required']] },
  { cls: 'RandomTranslation', config: { height_factor: [0.3, 0.1], width_factor: 1.2 }, dialect: 'keras2', errors: [['height_factor', 'upper bound'], ['width_factor', 'in [-1, 1]']] },
  { cls: 'RandomContrast', config: { factor: -0.1 }, dialect: 'keras2', errors: [['factor', 'non-negative']] },
  { cls: 'RandomContrast', config: { factor: 1.5 }, errors: [['factor', 'in [0, 1]']] },
  { cls: 'RandomContrast', config: { factor: 0.2, value_range: [0, 1] }, dialect: 'keras2', errors: [['value_range', 'Keras 3']] },
  { cls: 'RandomBrightness', config: { factor: [-0.2, 1.2], value_range: [0] }, dialect: 'keras2', errors: [['factor[1]', 'in [-1, 1]'], ['value_range', 'a list of 2 numbers']] },
  { cls: 'RandomBrightness', config: { factor: 2 }, errors: [['factor', 'in [-1, 1]']] },
  { cls: 'RandomHeight', config: { factor: [-2, 0.5], interpolation: 'cubic' }, dialect: 'keras2', errors: [['factor', 'larger than -1'], ['interpolation', 'found the string "cubic"']] },
  { cls: 'RandomWidth', config: { factor: -0.2 }, dialect: 'keras2', errors: [['factor', 'upper bound']] },
  { cls: 'Rescaling', config: {}, errors: [['scale', 'missing required'], ['offset', 'missing required']] },
  { cls: 'Rescaling', config: { scale: 2 }, errors: [['offset', 'missing required']] },
  { cls: 'Rescaling', config: { scale: 'a', offset: [1, null] }, errors: [['scale', 'found the string "a"'], ['offset[1]', 'found null']] },
  { cls: 'Rescaling', config: { scale: [[1, 2], [3]], offset: 0 }, errors: [['scale', 'rectangular array']] },
  { cls: 'Rescaling', config: { scale: { class_name: '__numpy__', config: { value: [1, 'x'], dtype: 'float32' } }, offset: 0 }, errors: [['scale.config.value[1]', 'finite number']] },
  { cls: 'Rescaling', config: { scale: { class_name: '__numpy__', config: { value: [1, 2], dtype: 'int32' } }, offset: 0 }, errors: [['scale.config.dtype', 'float32 or float64']] },
  { cls: 'BatchNormalization', config: { renorm: true, virtual_batch_size: 2, adjustment: 'f', fused: true }, dialect: 'keras2', errors: [['virtual_batch_size', 'ghost'], ['adjustment', 'Python function'], ['fused', 'renorm=True']] },
  { cls: 'BatchNormalization', config: { renorm: true, renorm_clipping: { rmax: 1, rmin: 2 } }, errors: [['renorm_clipping', 'rmax should be greater than rmin']] },
  { cls: 'BatchNormalization', config: { renorm: true, renorm_clipping: { dmax: -1 } }, errors: [['renorm_clipping', 'dmax should be non-negative']] },
  { cls: 'BatchNormalization', config: { axis: 2, fused: true }, dialect: 'keras2', errors: [['fused', 'axis is 1 or 3']] },
  { cls: 'BatchNormalization', config: { fused: true, synchronized: true }, dialect: 'keras2', errors: [['fused', 'synchronized']] },
  { cls: 'BatchNormalization', config: { fused: true, dtype: 'float64' }, dialect: 'keras2', errors: [['fused', 'float64']] },
  { cls: 'BatchNormalization', config: { renorm_clipping: { rmax: 1, foo: 2 } }, dialect: 'keras2', errors: [['renorm_clipping.foo', '"foo"']] },
  { cls: 'BatchNormalization', config: { axis: [1, 2], fused: null, renorm: false }, errors: [['axis', 'one axis'], ['fused', 'tf.keras 2.x']] },
  { cls: 'BatchNormalization', config: { axis: 'channels', epsilon: -1, center: 1, gamma_initializer: 'nope' }, errors: [['axis', 'integer axis'], ['epsilon', 'non-negative'], ['center', 'true or false'], ['gamma_initializer', 'nope']] },
  { cls: 'Add', config: { axis: 1 }, errors: [['axis', 'unknown Add argument "axis"']] },
  { cls: 'Concatenate', config: { axis: 'x' }, errors: [['axis', 'integer']] },
  { cls: 'Concatenate', config: { axis: 1, input_shape: [4], batch_input_shape: [null, 5] }, dialect: 'keras2', errors: [['input_shape', 'disagrees']] },
  { cls: 'Concatenate', config: { axis: 1, batch_input_shape: [null, 5], batch_size: 2 }, dialect: 'keras3', errors: [['batch_input_shape', 'Unrecognized keyword arguments'], ['batch_size', 'Unrecognized keyword arguments']] },
  { cls: 'RandomHeight', config: { factor: 0.2 }, dialect: 'keras3', errors: [['', 'Keras 3 does not have']] },
  { cls: 'SpatialDropout2D', config: { rate: 0.5, trainable: true, autocast: false }, errors: [['trainable', 'no "trainable" argument'], ['autocast', 'no "autocast" argument']] },
  { cls: 'Normalization', config: { mean: [1, 2] }, errors: [['variance', 'must be given together']] },
  { cls: 'Normalization', config: { mean: [1, 2], variance: [1, 2, 3] }, errors: [['variance', 'same shape']] },
  { cls: 'Normalization', config: { axis: -1, mean: [[1, 2]], variance: [[1, 2]] }, errors: [['mean', 'rank of mean']] },
  { cls: 'Normalization', config: { axis: 'x', invert: 1 }, errors: [['axis', 'integer axis'], ['invert', 'true or false']] }
]

const label = (cls: string, config: unknown, dialect: Dialect | undefined): string => `${cls} ${dialect ?? 'keras3'} ${JSON.stringify(config).slice(0, 90)}`

describe('registry', () => {
  it('lists every elementwise kind once, each found by its class name', () => {
    const names = ELEMENTWISE_KINDS.map((k) => k.className)
    expect(names).toEqual([
      'Activation',
      'ReLU',
      'LeakyReLU',
      'Softmax',
      'Dropout',
      'SpatialDropout2D',
      'RandomFlip',
      'RandomRotation',
      'RandomZoom',
      'RandomTranslation',
      'RandomContrast',
      'RandomBrightness',
      'RandomHeight',
      'RandomWidth',
      'Rescaling',
      'Normalization',
      'BatchNormalization',
      'Add',
      'Subtract',
      'Multiply',
      'Average',
      'Maximum',
      'Minimum',
      'Concatenate'
    ])
    for (const k of ELEMENTWISE_KINDS) expect(findLayerKind(k.className)).toBe(k)
    const merges = ELEMENTWISE_KINDS.filter((k) => k.arity === 'multiple').map((k) => k.className)
    expect(merges).toEqual(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'])
    expect(findLayerKind('RandomCrop')).toBeUndefined()
  })
})

describe('valid configs decode to the full normalized spec', () => {
  it.each(VALID.map((v) => [label(v.cls, v.config, v.dialect), v] as const))('%s', (_l, v) => {
    const r = decodeLayer(v.cls, v.config, v)
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left))
    expect(r.right).toEqual(v.expected)
    expect(Object.isFrozen(r.right)).toBe(true)
    for (const value of Object.values(r.right as object)) if (typeof value === 'object' && value !== null) expect(Object.isFrozen(value)).toBe(true)
  })
})

describe('invalid configs are rejected at the exact paths', () => {
  it.each(INVALID.map((v) => [label(v.cls, v.config, v.dialect), v] as const))('%s', (_l, v) => {
    const r = decodeLayer(v.cls, v.config, v)
    if (E.isRight(r)) throw new Error(`decoded: ${JSON.stringify(r.right)}`)
    expect(r.left.map((e) => e.path)).toEqual(v.errors.map(([p]) => p))
    v.errors.forEach(([, fragment], i) => expect(r.left[i]?.message).toContain(fragment))
  })
})

describe('encoding', () => {
  it.each(VALID.map((v) => [label(v.cls, v.config, v.dialect), v] as const))('decode(encode(spec)) deep-equals spec: %s', (_l, v) => {
    const r = decodeLayer(v.cls, v.config, v)
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left))
    const json = JSON.parse(JSON.stringify(encodeLayer(v.cls, r.right, v)))
    const again = decodeLayer(v.cls, json, v)
    if (E.isLeft(again)) throw new Error(`${JSON.stringify(json)}: ${JSON.stringify(again.left)}`)
    expect(again.right).toEqual(r.right)
  })

  it('writes each dialect\'s own names', () => {
    const leaky = decodeLayer('LeakyReLU', { negative_slope: 0.2 })
    if (E.isLeft(leaky)) throw new Error('decode')
    expect(encodeLayer('LeakyReLU', { ...(leaky.right as object), dialect: 'keras2' })).toEqual({ trainable: true, dtype: 'float32', alpha: 0.2 })
    expect(encodeLayer('LeakyReLU', leaky.right)).toEqual({
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      negative_slope: 0.2
    })
    const softmax = decodeLayer('Softmax', { axis: [3] }, { dialect: 'keras2' })
    if (E.isLeft(softmax)) throw new Error('decode')
    expect(encodeLayer('Softmax', softmax.right)).toEqual({ trainable: true, dtype: 'float32', axis: 3 })
    const flip = decodeLayer('RandomFlip', { mode: 'horizontal', bounding_box_format: 'xyxy' })
    if (E.isLeft(flip)) throw new Error('decode')
    const flipJson = encodeLayer('RandomFlip', flip.right)
    expect(flipJson['mode']).toBe('horizontal')
    expect(flipJson['seed']).toBe(null)
    expect(flipJson['data_format']).toBe('channels_last')
    expect(flipJson['bounding_box_format']).toBe('xyxy')
    expect(encodeLayer('RandomFlip', { ...(flip.right as object), dialect: 'keras2', boundingBoxFormat: null })).toEqual({ trainable: true, dtype: 'float32', mode: 'horizontal', seed: null })
  })

  it('writes tf.keras BatchNormalization without Keras 3\'s synchronized unless set, and Keras 3 always with it', () => {
    const k2spec = decodeLayer('BatchNormalization', { axis: 3 }, { dialect: 'keras2' })
    if (E.isLeft(k2spec)) throw new Error('decode')
    const json = encodeLayer('BatchNormalization', k2spec.right)
    expect(Object.keys(json)).toEqual([
      'trainable',
      'dtype',
      'axis',
      'momentum',
      'epsilon',
      'center',
      'scale',
      'beta_initializer',
      'gamma_initializer',
      'moving_mean_initializer',
      'moving_variance_initializer',
      'beta_regularizer',
      'gamma_regularizer',
      'beta_constraint',
      'gamma_constraint'
    ])
    expect(json['axis']).toBe(3)
    const renorm = decodeLayer('BatchNormalization', { renorm: true }, { dialect: 'keras2' })
    if (E.isLeft(renorm)) throw new Error('decode')
    expect(Object.keys(encodeLayer('BatchNormalization', renorm.right)).slice(-3)).toEqual(['renorm', 'renorm_clipping', 'renorm_momentum'])
    expect(json['gamma_initializer']).toEqual({ class_name: 'Ones', config: {} })
    const k3spec = decodeLayer('BatchNormalization', {})
    if (E.isLeft(k3spec)) throw new Error('decode')
    expect(encodeLayer('BatchNormalization', k3spec.right)['synchronized']).toBe(false)
    // Keras 3.15 writes the renorm arguments in every config; layerspec only with renorm on (older Keras 3 releases lack them)
    expect(Object.keys(encodeLayer('BatchNormalization', k3spec.right)).slice(-1)).toEqual(['synchronized'])
    const renorm3 = decodeLayer('BatchNormalization', { renorm: true, renorm_momentum: 0.5 })
    if (E.isLeft(renorm3)) throw new Error('decode')
    expect(Object.keys(encodeLayer('BatchNormalization', renorm3.right)).slice(-4)).toEqual(['synchronized', 'renorm', 'renorm_clipping', 'renorm_momentum'])
  })
})
