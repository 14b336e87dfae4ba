/**
 * Codec tables for the issue 14 companions (MaxPooling1D/3D, AveragePooling1D/3D, Global*Pooling1D/3D,
 * UpSampling1D/3D, ZeroPadding1D/3D, Cropping1D/3D), in both dialects: valid configs with their full
 * normalized specs written out by hand from Keras's signatures (conv-family reference §8–§10), invalid
 * configs with their exact error paths and a phrase of each message, shape-inference errors, the JSON
 * each dialect writes, decode(encode(spec)) deep-equal to spec for every valid case, and the registry.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import type { DataFormat } from '../../src/conv/Conv2DSpec.js'
import type { LayerKind, SymbolicShape } from '../../src/layers/LayerKind.js'
import { findLayerKind, LAYER_KINDS, UNRUNNABLE } from '../../src/model/registry.js'
import {
  AveragePooling1DKind,
  AveragePooling3DKind,
  Cropping1DKind,
  Cropping3DKind,
  GlobalAveragePooling1DKind,
  GlobalAveragePooling3DKind,
  GlobalMaxPooling1DKind,
  GlobalMaxPooling3DKind,
  MaxPooling1DKind,
  MaxPooling3DKind,
  SPATIAL_KINDS,
  UpSampling1DKind,
  UpSampling3DKind,
  ZeroPadding1DKind,
  ZeroPadding3DKind
} from '../../src/layers/spatial.js'
import { left, right } from '../helpers.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = LayerKind<any>

interface Options {
  readonly dialect?: Dialect
  readonly imageDataFormat?: DataFormat
}

const decode = (kind: AnyKind, u: unknown, o: Options = {}): E.Either<ReadonlyArray<SpecError>, Record<string, unknown>> =>
  pipe(kind.codec({ dialect: o.dialect ?? 'keras3', imageDataFormat: o.imageDataFormat ?? 'channels_last' }).decode(u), E.mapLeft(fromValidationErrors))

const encode = (kind: AnyKind, spec: unknown): Record<string, unknown> => kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' }).encode(spec)

const base = (className: string, dialect: Dialect = 'keras3') => ({ className, dialect, name: null, trainable: true, dtype: 'float32', inputShape: null, batchSize: null })

const tuple = (...items: unknown[]) => ({ class_name: '__tuple__', items })

/** How Keras 3 writes a layer's float32 dtype. */
const K3_FLOAT32 = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }

const pool = (className: string, rank: 1 | 3, over: Record<string, unknown> = {}, dialect: Dialect = 'keras3') => ({
  ...base(className, dialect),
  poolSize: rank === 1 ? [2] : [2, 2, 2],
  strides: rank === 1 ? [2] : [2, 2, 2],
  padding: 'valid',
  dataFormat: 'channels_last',
  ...over
})

const ONES3 = [
  [1, 1],
  [1, 1],
  [1, 1]
]

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

// -------------------------------------------------------------------------------------
// valid configs
// -------------------------------------------------------------------------------------

const K2: Options = { dialect: 'keras2' }
const CF: Options = { imageDataFormat: 'channels_first' }
const K2_CF: Options = { dialect: 'keras2', imageDataFormat: 'channels_first' }

const VALID: ReadonlyArray<Valid> = [
  // ---- 1-D window pooling ----
  { name: 'MaxPooling1D(): pool 2, strides = pool_size', kind: MaxPooling1DKind, input: {}, expected: pool('MaxPooling1D', 1) },
  { name: 'MaxPooling1D pool_size int, strides null', kind: MaxPooling1DKind, input: { pool_size: 3, strides: null }, expected: pool('MaxPooling1D', 1, { poolSize: [3], strides: [3] }) },
  {
    name: 'MaxPooling1D Keras 3 get_config (lists of 1)',
    kind: MaxPooling1DKind,
    input: { name: 'max_pooling1d', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }, pool_size: [2], padding: 'same', strides: [1], data_format: 'channels_first' },
    expected: pool('MaxPooling1D', 1, { name: 'max_pooling1d', strides: [1], padding: 'same', dataFormat: 'channels_first' })
  },
  { name: 'MaxPooling1D SavedModel __tuple__', kind: MaxPooling1DKind, input: { pool_size: tuple(4), strides: tuple(2) }, expected: pool('MaxPooling1D', 1, { poolSize: [4], strides: [2] }) },
  {
    name: 'keras3 AveragePooling1D: data_format missing → the image data format option',
    kind: AveragePooling1DKind,
    input: { pool_size: 2 },
    options: CF,
    expected: pool('AveragePooling1D', 1, { dataFormat: 'channels_first' })
  },
  {
    name: 'keras2 AveragePooling1D(): pool_size defaults to 2, data_format missing → channels_last literally (tf.keras 2.x default)',
    kind: AveragePooling1DKind,
    input: {},
    options: K2_CF,
    expected: pool('AveragePooling1D', 1, {}, 'keras2')
  },
  {
    name: 'keras2 MaxPooling1D: data_format null → the image data format option',
    kind: MaxPooling1DKind,
    input: { data_format: null },
    options: K2_CF,
    expected: pool('MaxPooling1D', 1, { dataFormat: 'channels_first' }, 'keras2')
  },
  {
    name: 'keras2 MaxPooling1D: padding and data_format case-insensitive (tf.keras lower-cases them)',
    kind: MaxPooling1DKind,
    input: { pool_size: [3], strides: [2], padding: 'SAME', data_format: 'Channels_First' },
    options: K2,
    expected: pool('MaxPooling1D', 1, { poolSize: [3], padding: 'same', dataFormat: 'channels_first' }, 'keras2')
  },
  {
    name: 'keras2 MaxPooling1D as TensorFlow.js writes it (no data_format, batch_input_shape)',
    kind: MaxPooling1DKind,
    input: { name: 'm', trainable: true, batch_input_shape: [null, 8, 3], dtype: 'float32', pool_size: [2], padding: 'valid', strides: [2] },
    options: K2_CF,
    expected: pool('MaxPooling1D', 1, { name: 'm', inputShape: [8, 3] }, 'keras2')
  },
  // ---- 3-D window pooling ----
  { name: 'MaxPooling3D(): (2, 2, 2)', kind: MaxPooling3DKind, input: {}, expected: pool('MaxPooling3D', 3) },
  {
    name: 'MaxPooling3D pool_size triple, strides int',
    kind: MaxPooling3DKind,
    input: { pool_size: [1, 2, 3], strides: 1, padding: 'same' },
    expected: pool('MaxPooling3D', 3, { poolSize: [1, 2, 3], strides: [1, 1, 1], padding: 'same' })
  },
  {
    name: 'AveragePooling3D data_format missing → the image data format option (in keras2 too)',
    kind: AveragePooling3DKind,
    input: { pool_size: 2 },
    options: K2_CF,
    expected: pool('AveragePooling3D', 3, { dataFormat: 'channels_first' }, 'keras2')
  },
  { name: 'keras2 AveragePooling3D(): pool_size defaults to (2, 2, 2)', kind: AveragePooling3DKind, input: {}, options: K2, expected: pool('AveragePooling3D', 3, {}, 'keras2') },
  {
    name: 'AveragePooling3D Keras 3 get_config, channels_first',
    kind: AveragePooling3DKind,
    input: { name: 'p', pool_size: [2, 3, 2], padding: 'valid', strides: [1, 2, 1], data_format: 'channels_first' },
    expected: pool('AveragePooling3D', 3, { name: 'p', poolSize: [2, 3, 2], strides: [1, 2, 1], dataFormat: 'channels_first' })
  },
  // ---- global pooling ----
  { name: 'GlobalAveragePooling1D(): keepdims false', kind: GlobalAveragePooling1DKind, input: {}, expected: { ...base('GlobalAveragePooling1D'), dataFormat: 'channels_last', keepdims: false } },
  {
    name: 'keras3 GlobalMaxPooling1D: data_format missing → the option',
    kind: GlobalMaxPooling1DKind,
    input: { keepdims: true },
    options: CF,
    expected: { ...base('GlobalMaxPooling1D'), dataFormat: 'channels_first', keepdims: true }
  },
  {
    name: 'keras2 GlobalAveragePooling1D: data_format missing → channels_last literally',
    kind: GlobalAveragePooling1DKind,
    input: {},
    options: K2_CF,
    expected: { ...base('GlobalAveragePooling1D', 'keras2'), dataFormat: 'channels_last', keepdims: false }
  },
  {
    name: 'keras2 GlobalMaxPooling1D: data_format null → the option',
    kind: GlobalMaxPooling1DKind,
    input: { data_format: null },
    options: K2_CF,
    expected: { ...base('GlobalMaxPooling1D', 'keras2'), dataFormat: 'channels_first', keepdims: false }
  },
  {
    name: 'keras2 GlobalAveragePooling3D: data_format missing → the option',
    kind: GlobalAveragePooling3DKind,
    input: { keepdims: true },
    options: K2_CF,
    expected: { ...base('GlobalAveragePooling3D', 'keras2'), dataFormat: 'channels_first', keepdims: true }
  },
  {
    name: 'GlobalMaxPooling3D channels_first',
    kind: GlobalMaxPooling3DKind,
    input: { data_format: 'channels_first', keepdims: false },
    expected: { ...base('GlobalMaxPooling3D'), dataFormat: 'channels_first', keepdims: false }
  },
  // ---- UpSampling ----
  { name: 'UpSampling1D(): size 2', kind: UpSampling1DKind, input: {}, expected: { ...base('UpSampling1D'), size: 2 } },
  { name: 'UpSampling1D size 3 (keras2)', kind: UpSampling1DKind, input: { size: 3 }, options: K2, expected: { ...base('UpSampling1D', 'keras2'), size: 3 } },
  { name: 'UpSampling3D(): (2, 2, 2)', kind: UpSampling3DKind, input: {}, expected: { ...base('UpSampling3D'), size: [2, 2, 2], dataFormat: 'channels_last' } },
  {
    name: 'UpSampling3D size int, data_format null → the option',
    kind: UpSampling3DKind,
    input: { size: 3, data_format: null },
    options: CF,
    expected: { ...base('UpSampling3D'), size: [3, 3, 3], dataFormat: 'channels_first' }
  },
  {
    name: 'UpSampling3D size triple (keras2)',
    kind: UpSampling3DKind,
    input: { size: [1, 2, 3], data_format: 'channels_last' },
    options: K2,
    expected: { ...base('UpSampling3D', 'keras2'), size: [1, 2, 3], dataFormat: 'channels_last' }
  },
  // ---- ZeroPadding1D ----
  { name: 'ZeroPadding1D(): 1 each side', kind: ZeroPadding1DKind, input: {}, expected: { ...base('ZeroPadding1D'), padding: [1, 1], dataFormat: 'channels_last' } },
  { name: 'ZeroPadding1D int', kind: ZeroPadding1DKind, input: { padding: 3 }, expected: { ...base('ZeroPadding1D'), padding: [3, 3], dataFormat: 'channels_last' } },
  {
    name: 'ZeroPadding1D pair, Keras ≥ 3.5 data_format',
    kind: ZeroPadding1DKind,
    input: { padding: [2, 0], data_format: 'channels_first' },
    expected: { ...base('ZeroPadding1D'), padding: [2, 0], dataFormat: 'channels_first' }
  },
  {
    name: 'keras3 ZeroPadding1D without data_format (Keras 3.0–3.4 wrote none) → the option',
    kind: ZeroPadding1DKind,
    input: { padding: tuple(0, 1) },
    options: CF,
    expected: { ...base('ZeroPadding1D'), padding: [0, 1], dataFormat: 'channels_first' }
  },
  {
    name: 'keras2 ZeroPadding1D: no data_format, always NWC',
    kind: ZeroPadding1DKind,
    input: { padding: [1, 2] },
    options: K2_CF,
    expected: { ...base('ZeroPadding1D', 'keras2'), padding: [1, 2], dataFormat: 'channels_last' }
  },
  // ---- Cropping1D ----
  { name: 'Cropping1D(): 1 each side', kind: Cropping1DKind, input: {}, expected: { ...base('Cropping1D'), cropping: [1, 1] } },
  { name: 'Cropping1D int', kind: Cropping1DKind, input: { cropping: 2 }, options: K2, expected: { ...base('Cropping1D', 'keras2'), cropping: [2, 2] } },
  { name: 'Cropping1D pair with a 0', kind: Cropping1DKind, input: { cropping: [0, 3] }, expected: { ...base('Cropping1D'), cropping: [0, 3] } },
  // ---- ZeroPadding3D / Cropping3D ----
  { name: 'ZeroPadding3D(): 1 on every side', kind: ZeroPadding3DKind, input: {}, expected: { ...base('ZeroPadding3D'), padding: ONES3, dataFormat: 'channels_last' } },
  {
    name: 'ZeroPadding3D tf.keras default written as (1, 1, 1)',
    kind: ZeroPadding3DKind,
    input: { padding: [1, 1, 1], data_format: 'channels_last' },
    options: K2,
    expected: { ...base('ZeroPadding3D', 'keras2'), padding: ONES3, dataFormat: 'channels_last' }
  },
  {
    name: 'ZeroPadding3D int → all six sides',
    kind: ZeroPadding3DKind,
    input: { padding: 2 },
    expected: { ...base('ZeroPadding3D'), padding: [[2, 2], [2, 2], [2, 2]], dataFormat: 'channels_last' }
  },
  {
    name: 'ZeroPadding3D mixed int / pair entries',
    kind: ZeroPadding3DKind,
    input: { padding: [1, [0, 2], 3], data_format: 'channels_first' },
    expected: { ...base('ZeroPadding3D'), padding: [[1, 1], [0, 2], [3, 3]], dataFormat: 'channels_first' }
  },
  {
    name: 'ZeroPadding3D nested SavedModel tuples',
    kind: ZeroPadding3DKind,
    input: { padding: tuple(tuple(1, 0), tuple(0, 2), tuple(1, 1)) },
    expected: { ...base('ZeroPadding3D'), padding: [[1, 0], [0, 2], [1, 1]], dataFormat: 'channels_last' }
  },
  { name: 'Cropping3D(): 1 on every side', kind: Cropping3DKind, input: {}, options: CF, expected: { ...base('Cropping3D'), cropping: ONES3, dataFormat: 'channels_first' } },
  {
    name: 'Cropping3D ints per axis',
    kind: Cropping3DKind,
    input: { cropping: [1, 0, 2] },
    options: K2,
    expected: { ...base('Cropping3D', 'keras2'), cropping: [[1, 1], [0, 0], [2, 2]], dataFormat: 'channels_last' }
  },
  {
    name: 'Cropping3D Keras 3 get_config',
    kind: Cropping3DKind,
    input: { name: 'c', trainable: false, cropping: [[0, 1], [1, 0], [2, 1]], data_format: 'channels_last' },
    expected: { ...base('Cropping3D'), name: 'c', trainable: false, cropping: [[0, 1], [1, 0], [2, 1]], dataFormat: 'channels_last' }
  }
]

// -------------------------------------------------------------------------------------
// invalid configs
// -------------------------------------------------------------------------------------

const INVALID: ReadonlyArray<Invalid> = [
  // pooling strides 0: Keras accepts it (zero allowed), layerspec refuses it
  { name: 'MaxPooling1D strides 0', kind: MaxPooling1DKind, input: { strides: 0 }, errors: [['strides', 'a stride of 0 never moves the pooling window']] },
  { name: 'MaxPooling1D strides [0] (keras2)', kind: MaxPooling1DKind, input: { strides: [0] }, options: K2, errors: [['strides[0]', 'Keras accepts it when it builds the layer']] },
  { name: 'AveragePooling3D strides [1, 0, 2]', kind: AveragePooling3DKind, input: { pool_size: 2, strides: [1, 0, 2] }, errors: [['strides[1]', 'found 0']] },
  { name: 'MaxPooling3D strides 0 (keras2)', kind: MaxPooling3DKind, input: { strides: 0 }, options: K2, errors: [['strides', 'found 0']] },
  // pool_size
  { name: 'AveragePooling1D without pool_size in a Keras 3 config', kind: AveragePooling1DKind, input: {}, errors: [['pool_size', 'missing required AveragePooling1D argument']] },
  { name: 'AveragePooling3D without pool_size in a Keras 3 config', kind: AveragePooling3DKind, input: { strides: 1 }, errors: [['pool_size', 'missing required AveragePooling3D argument']] },
  { name: 'MaxPooling1D pool_size 0', kind: MaxPooling1DKind, input: { pool_size: 0 }, errors: [['pool_size', 'not positive']] },
  { name: 'MaxPooling1D pool_size [2, 2] (a 2-D pool size)', kind: MaxPooling1DKind, input: { pool_size: [2, 2] }, errors: [['pool_size', 'a list of 1 positive integer, found a list of 2 items']] },
  { name: 'MaxPooling3D pool_size of 2 entries', kind: MaxPooling3DKind, input: { pool_size: [2, 2] }, errors: [['pool_size', 'a list of 3 positive integers, found a list of 2 items']] },
  {
    name: 'MaxPooling3D bad entries in pool_size and strides together',
    kind: MaxPooling3DKind,
    input: { pool_size: [2, 2.5, -1], strides: [1, '2', 1] },
    errors: [
      ['pool_size[1]', 'not an integer'],
      ['pool_size[2]', 'not positive'],
      ['strides[1]', 'without quotes']
    ]
  },
  { name: 'MaxPooling1D pool_size null', kind: MaxPooling1DKind, input: { pool_size: null }, errors: [['pool_size', 'found null']] },
  { name: 'MaxPooling1D pool_size true', kind: MaxPooling1DKind, input: { pool_size: true }, errors: [['pool_size', 'found the boolean true']] },
  // padding
  { name: 'MaxPooling1D padding causal (keras2)', kind: MaxPooling1DKind, input: { padding: 'causal' }, options: K2, errors: [['padding', 'pooling has no causal padding']] },
  { name: 'AveragePooling1D padding causal (keras3)', kind: AveragePooling1DKind, input: { pool_size: 2, padding: 'causal' }, errors: [['padding', 'pooling has no causal padding']] },
  { name: 'MaxPooling3D padding SAME in a Keras 3 config', kind: MaxPooling3DKind, input: { padding: 'SAME' }, errors: [['padding', 'in lower case']] },
  { name: 'MaxPooling3D padding full', kind: MaxPooling3DKind, input: { padding: 'full' }, options: K2, errors: [['padding', '"valid" or "same"']] },
  { name: 'MaxPooling1D data_format NWC', kind: MaxPooling1DKind, input: { data_format: 'NWC' }, errors: [['data_format', '"channels_last" or "channels_first"']] },
  { name: 'typo pool_sise', kind: MaxPooling3DKind, input: { pool_sise: 2 }, errors: [['pool_sise', 'did you mean "pool_size"']] },
  { name: 'MaxPooling1D batch_input_shape in a Keras 3 config', kind: MaxPooling1DKind, input: { batch_input_shape: [null, 8, 2] }, errors: [['batch_input_shape', 'tf.keras 2.x layer argument']] },
  // global pooling
  { name: 'GlobalAveragePooling1D keepdims 1', kind: GlobalAveragePooling1DKind, input: { keepdims: 1 }, errors: [['keepdims', 'true or false']] },
  { name: 'GlobalMaxPooling3D keep_dims typo', kind: GlobalMaxPooling3DKind, input: { keep_dims: true }, errors: [['keep_dims', 'did you mean "keepdims"']] },
  { name: 'GlobalAveragePooling3D pool_size', kind: GlobalAveragePooling3DKind, input: { pool_size: 2 }, errors: [['pool_size', 'unknown GlobalAveragePooling3D argument']] },
  // UpSampling
  { name: 'UpSampling1D size 0', kind: UpSampling1DKind, input: { size: 0 }, errors: [['size', 'not positive']] },
  { name: 'UpSampling1D size 2.5 (keras3: Keras ≥ 3.15 rejects it)', kind: UpSampling1DKind, input: { size: 2.5 }, errors: [['size', 'Expected an integer value for size']] },
  { name: 'UpSampling1D size 2.5 (keras2: tf.keras would truncate it)', kind: UpSampling1DKind, input: { size: 2.5 }, options: K2, errors: [['size', 'truncate']] },
  { name: 'UpSampling1D size [2] (one integer, not a list)', kind: UpSampling1DKind, input: { size: [2] }, errors: [['size', 'not a list']] },
  { name: 'UpSampling1D size true', kind: UpSampling1DKind, input: { size: true }, errors: [['size', 'found the boolean true']] },
  { name: 'UpSampling1D data_format (no Keras has it)', kind: UpSampling1DKind, input: { data_format: 'channels_last' }, errors: [['data_format', 'no data_format argument in any Keras version']] },
  { name: 'UpSampling1D interpolation (nearest only)', kind: UpSampling1DKind, input: { interpolation: 'nearest' }, errors: [['interpolation', 'unknown UpSampling1D argument']] },
  { name: 'UpSampling3D size [2, 0, 1]', kind: UpSampling3DKind, input: { size: [2, 0, 1] }, errors: [['size[1]', 'not positive']] },
  { name: 'UpSampling3D size of 2 entries', kind: UpSampling3DKind, input: { size: [2, 2] }, options: K2, errors: [['size', 'a list of 3 positive integers']] },
  { name: 'UpSampling3D interpolation', kind: UpSampling3DKind, input: { interpolation: 'bilinear' }, errors: [['interpolation', 'unknown UpSampling3D argument']] },
  // ZeroPadding / Cropping
  { name: 'ZeroPadding1D negative int', kind: ZeroPadding1DKind, input: { padding: -1 }, errors: [['padding', 'found -1']] },
  { name: 'ZeroPadding1D pair with a negative entry', kind: ZeroPadding1DKind, input: { padding: [1, -2] }, errors: [['padding[1]', 'non-negative integer, found -2']] },
  { name: 'ZeroPadding1D nested pair', kind: ZeroPadding1DKind, input: { padding: [[1, 2]] }, errors: [['padding', 'a list of 2 integers ≥ 0 (before, after), found a list of 1 item']] },
  { name: 'ZeroPadding1D data_format in a tf.keras config', kind: ZeroPadding1DKind, input: { data_format: 'channels_last' }, options: K2, errors: [['data_format', 'Keras ≥ 3.5 only']] },
  { name: 'Cropping1D negative int (keras2)', kind: Cropping1DKind, input: { cropping: -1 }, options: K2, errors: [['cropping', 'found -1']] },
  { name: 'Cropping1D 3 entries', kind: Cropping1DKind, input: { cropping: [1, 2, 3] }, errors: [['cropping', 'found a list of 3 items']] },
  { name: 'Cropping1D 1.5', kind: Cropping1DKind, input: { cropping: [1.5, 0] }, errors: [['cropping[0]', 'found 1.5']] },
  { name: 'Cropping1D data_format (no Keras has it)', kind: Cropping1DKind, input: { data_format: 'channels_first' }, errors: [['data_format', 'always crops axis 1']] },
  { name: 'ZeroPadding3D negative bare int (Keras lets it through to TensorFlow)', kind: ZeroPadding3DKind, input: { padding: -1 }, errors: [['padding', 'found -1']] },
  { name: 'ZeroPadding3D 2 entries (a 2-D padding)', kind: ZeroPadding3DKind, input: { padding: [1, 2] }, errors: [['padding', 'a list of 3 entries (depth, rows, cols)']] },
  {
    name: 'ZeroPadding3D bad entries at their paths',
    kind: ZeroPadding3DKind,
    input: { padding: [1, [0, -2], 'a'] },
    errors: [
      ['padding[1][1]', 'non-negative integer, found -2'],
      ['padding[2]', 'the cols entry of padding']
    ]
  },
  { name: 'ZeroPadding3D an entry of 3', kind: ZeroPadding3DKind, input: { padding: [[1, 1, 1], 0, 0] }, options: K2, errors: [['padding[0]', 'the depth entry of padding']] },
  { name: 'Cropping3D negative bare int (Keras 3: "cropping cannot be negative")', kind: Cropping3DKind, input: { cropping: -2 }, errors: [['cropping', 'found -2']] },
  { name: 'Cropping3D rows entry 0.5', kind: Cropping3DKind, input: { cropping: [0, [0.5, 1], 0] }, errors: [['cropping[1][0]', 'found 0.5']] }
]

// -------------------------------------------------------------------------------------
// shape inference errors
// -------------------------------------------------------------------------------------

interface InferCase {
  readonly name: string
  readonly kind: AnyKind
  readonly config: Record<string, unknown>
  readonly input: SymbolicShape
  /** Every error's path with a phrase of its message. */
  readonly errors: ReadonlyArray<readonly [path: string, phrase: string]>
}

const INFER_ERRORS: ReadonlyArray<InferCase> = [
  { name: 'MaxPooling1D valid window larger than the steps', kind: MaxPooling1DKind, config: { pool_size: 4 }, input: [null, 3, 2], errors: [['pool_size', 'the steps axis: Computed output size would be zero or negative']] },
  {
    name: 'AveragePooling3D valid window larger than depth and cols',
    kind: AveragePooling3DKind,
    config: { pool_size: [3, 1, 5], data_format: 'channels_first' },
    input: [null, 2, 2, 4, 4],
    errors: [
      ['pool_size', 'the depth axis'],
      ['pool_size', 'the cols axis']
    ]
  },
  { name: 'Cropping1D leaving nothing', kind: Cropping1DKind, config: { cropping: [2, 1] }, input: [null, 3, 2], errors: [['cropping', 'leaves n − before − after = 3 − 2 − 1 = 0']] },
  { name: 'Cropping3D leaving nothing of the rows', kind: Cropping3DKind, config: { cropping: [0, [2, 2], 0] }, input: [null, 4, 4, 4, 1], errors: [['cropping', 'the rows axis']] },
  { name: 'MaxPooling1D on a rank-4 input', kind: MaxPooling1DKind, config: {}, input: [null, 4, 4, 1], errors: [['', 'expects an input of rank 3']] },
  { name: 'GlobalMaxPooling3D on a rank-4 input', kind: GlobalMaxPooling3DKind, config: {}, input: [null, 4, 4, 1], errors: [['', 'expects an input of rank 5']] },
  { name: 'UpSampling1D on a rank-4 input', kind: UpSampling1DKind, config: {}, input: [null, 4, 4, 1], errors: [['', 'expects an input of rank 3']] },
  { name: 'ZeroPadding3D on a rank-3 input', kind: ZeroPadding3DKind, config: {}, input: [null, 4, 1], errors: [['', 'expects an input of rank 5']] }
]

interface InferOk {
  readonly kind: AnyKind
  readonly config: Record<string, unknown>
  readonly input: SymbolicShape
  readonly output: SymbolicShape
}

/** Output shapes from Keras's formulas (reference §2), unknown dims kept unknown. */
const INFER_OK: ReadonlyArray<InferOk> = [
  { kind: MaxPooling1DKind, config: { pool_size: 3, strides: 2, padding: 'same' }, input: [null, 8, 2], output: [null, 4, 2] },
  { kind: MaxPooling1DKind, config: { pool_size: 3, strides: 1, data_format: 'channels_first' }, input: [null, 2, 6], output: [null, 2, 4] },
  { kind: MaxPooling1DKind, config: {}, input: [null, null, 2], output: [null, null, 2] },
  { kind: AveragePooling3DKind, config: { pool_size: [2, 3, 2], strides: [1, 2, 1], padding: 'same' }, input: [null, 3, 5, 3, 2], output: [null, 3, 3, 3, 2] },
  { kind: MaxPooling3DKind, config: { data_format: 'channels_first' }, input: [4, 2, 4, null, 3], output: [4, 2, 2, null, 1] },
  { kind: GlobalAveragePooling1DKind, config: {}, input: [null, null, 3], output: [null, 3] },
  { kind: GlobalAveragePooling1DKind, config: { keepdims: true, data_format: 'channels_first' }, input: [null, 3, 5], output: [null, 3, 1] },
  { kind: GlobalMaxPooling3DKind, config: { keepdims: true }, input: [null, 3, 4, 2, 3], output: [null, 1, 1, 1, 3] },
  { kind: GlobalMaxPooling3DKind, config: { keepdims: true, data_format: 'channels_first' }, input: [null, 3, 3, 4, 2], output: [null, 3, 1, 1, 1] },
  { kind: UpSampling1DKind, config: { size: 3 }, input: [null, 3, 2], output: [null, 9, 2] },
  { kind: UpSampling3DKind, config: { size: [1, 2, 3], data_format: 'channels_first' }, input: [null, 2, 2, null, 3], output: [null, 2, 2, null, 9] },
  { kind: ZeroPadding1DKind, config: { padding: [2, 0], data_format: 'channels_first' }, input: [null, 3, 4], output: [null, 3, 6] },
  { kind: ZeroPadding3DKind, config: { padding: [[1, 0], [0, 2], [1, 1]] }, input: [null, 2, 2, 3, 2], output: [null, 3, 4, 5, 2] },
  { kind: Cropping1DKind, config: { cropping: [1, 2] }, input: [null, 6, 2], output: [null, 3, 2] },
  { kind: Cropping1DKind, config: {}, input: [null, null, 2], output: [null, null, 2] },
  { kind: Cropping3DKind, config: { cropping: [1, 0, 2], data_format: 'channels_first' }, input: [null, 2, 4, 3, 5], output: [null, 2, 2, 3, 1] }
]

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

const deepFrozen = (u: unknown): boolean => typeof u !== 'object' || u === null || (Object.isFrozen(u) && Object.values(u).every(deepFrozen))

describe('companion codecs: valid configs', () => {
  it.each(VALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = right(decode(c.kind, c.input, c.options))
    expect(spec).toEqual(c.expected)
    expect(deepFrozen(spec)).toBe(true)
  })
})

describe('companion codecs: invalid configs, every error at its path', () => {
  it.each(INVALID.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const errors = left(decode(c.kind, c.input, c.options))
    expect(errors.map((e) => e.path).sort()).toEqual(c.errors.map(([p]) => p).sort())
    for (const [path, phrase] of c.errors) {
      const e = errors.find((x) => x.path === path)
      expect(e?.message, path).toContain(phrase)
      // a sentence naming what was expected and what was found
      expect(e?.message ?? '', path).toMatch(/expected|has no|argument/)
    }
  })
})

describe('companion codecs: round trip', () => {
  it.each(VALID.map((c) => [c.name, c] as const))('%s: decode(encode(spec)) = spec in both dialects', (_name, c) => {
    for (const dialect of ['keras2', 'keras3'] as const) {
      const options = { ...c.options, dialect }
      const first = decode(c.kind, c.input, options)
      // keras3 get_config dtype policies and required pool sizes belong to one dialect
      if (E.isLeft(first)) {
        expect(dialect === 'keras2' ? c.options?.dialect !== 'keras2' : c.options?.dialect === 'keras2', `${dialect}: ${JSON.stringify(first.left)}`).toBe(true)
        continue
      }
      const spec = first.right
      const json = encode(c.kind, spec)
      // the image data format option must not matter once the spec is written
      const other = options.imageDataFormat === 'channels_first' ? 'channels_last' : 'channels_first'
      expect(right(decode(c.kind, json, { dialect, imageDataFormat: other }))).toEqual(spec)
      expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    }
  })
})

describe('companion shape inference', () => {
  it.each(INFER_OK.map((c) => [`${c.kind.className} ${JSON.stringify(c.config)} on ${JSON.stringify(c.input)}`, c] as const))('%s', (_n, c) => {
    const spec = right(decode(c.kind, c.config))
    expect(right(c.kind.infer(spec, [c.input]))).toEqual({ outputShape: c.output, weights: [] })
  })

  it.each(INFER_ERRORS.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const spec = right(decode(c.kind, c.config))
    const errors = left(c.kind.infer(spec, [c.input]))
    expect(errors.map((e) => e.path)).toEqual(c.errors.map(([p]) => p))
    c.errors.forEach(([, phrase], i) => expect(errors[i]?.message).toContain(phrase))
    // compiling reports the same errors
    const known = c.input.slice(1)
    if (known.every((d) => d !== null)) expect(left(c.kind.compile(spec, [known as number[]], { dtype: 'float32' }))).toEqual(errors)
  })
})

describe('companion codecs: the JSON each dialect writes', () => {
  it('1-D pooling: lists of 1 and the resolved strides; keras2 with batch_input_shape and data_format', () => {
    const k2 = right(decode(MaxPooling1DKind, { name: 'p', pool_size: 3, strides: null, padding: 'SAME', input_shape: [8, 2] }, K2))
    expect(encode(MaxPooling1DKind, k2)).toEqual({ name: 'p', trainable: true, batch_input_shape: [null, 8, 2], dtype: 'float32', pool_size: [3], padding: 'same', strides: [3], data_format: 'channels_last' })
    const k3 = right(decode(AveragePooling3DKind, { pool_size: 2, strides: [1, 2, 1] }))
    expect(encode(AveragePooling3DKind, k3)).toEqual({ trainable: true, dtype: K3_FLOAT32, pool_size: [2, 2, 2], padding: 'valid', strides: [1, 2, 1], data_format: 'channels_last' })
  })

  it('global pooling writes data_format and keepdims; UpSampling1D an int, UpSampling3D a list', () => {
    expect(encode(GlobalMaxPooling1DKind, right(decode(GlobalMaxPooling1DKind, {}, K2)))).toEqual({ trainable: true, dtype: 'float32', data_format: 'channels_last', keepdims: false })
    expect(encode(UpSampling1DKind, right(decode(UpSampling1DKind, { size: 3 })))).toEqual({ trainable: true, dtype: K3_FLOAT32, size: 3 })
    expect(encode(UpSampling3DKind, right(decode(UpSampling3DKind, { size: 2 }, K2)))).toEqual({ trainable: true, dtype: 'float32', size: [2, 2, 2], data_format: 'channels_last' })
  })

  it('ZeroPadding1D: keras3 writes data_format, keras2 does not; a keras3 NCW spec converted to keras2 keeps it (refused there, never read as NWC)', () => {
    expect(encode(ZeroPadding1DKind, right(decode(ZeroPadding1DKind, { padding: 2 })))).toEqual({ trainable: true, dtype: K3_FLOAT32, padding: [2, 2], data_format: 'channels_last' })
    expect(encode(ZeroPadding1DKind, right(decode(ZeroPadding1DKind, { padding: 2 }, K2)))).toEqual({ trainable: true, dtype: 'float32', padding: [2, 2] })
    const converted = { ...right(decode(ZeroPadding1DKind, { data_format: 'channels_first' })), dialect: 'keras2' }
    const json = encode(ZeroPadding1DKind, converted)
    expect(json['data_format']).toBe('channels_first')
    expect(left(decode(ZeroPadding1DKind, json, K2)).map((e) => e.path)).toEqual(['data_format'])
  })

  it('Cropping1D writes its pair; ZeroPadding3D / Cropping3D the nested pairs', () => {
    expect(encode(Cropping1DKind, right(decode(Cropping1DKind, { cropping: 2 })))).toEqual({ trainable: true, dtype: K3_FLOAT32, cropping: [2, 2] })
    expect(encode(ZeroPadding3DKind, right(decode(ZeroPadding3DKind, { padding: [1, [0, 2], 3] }, K2)))).toEqual({
      trainable: true,
      dtype: 'float32',
      padding: [
        [1, 1],
        [0, 2],
        [3, 3]
      ],
      data_format: 'channels_last'
    })
    expect(encode(Cropping3DKind, right(decode(Cropping3DKind, { cropping: 1 })))['cropping']).toEqual(ONES3)
  })
})

describe('registry: the companions', () => {
  const COMPANIONS: ReadonlyArray<readonly [AnyKind, ReadonlyArray<string>]> = [
    [MaxPooling1DKind, ['MaxPool1D']],
    [MaxPooling3DKind, ['MaxPool3D']],
    [AveragePooling1DKind, ['AvgPool1D']],
    [AveragePooling3DKind, ['AvgPool3D']],
    [GlobalAveragePooling1DKind, ['GlobalAvgPool1D']],
    [GlobalAveragePooling3DKind, ['GlobalAvgPool3D']],
    [GlobalMaxPooling1DKind, ['GlobalMaxPool1D']],
    [GlobalMaxPooling3DKind, ['GlobalMaxPool3D']],
    [UpSampling1DKind, []],
    [UpSampling3DKind, []],
    [ZeroPadding1DKind, []],
    [ZeroPadding3DKind, []],
    [Cropping1DKind, []],
    [Cropping3DKind, []]
  ]

  it('each is a spatial kind, found by its Keras class name and aliases, runnable', () => {
    for (const [kind, aliases] of COMPANIONS) {
      expect(SPATIAL_KINDS).toContain(kind)
      expect(LAYER_KINDS).toContain(kind)
      expect(kind.arity).toBe('single')
      expect(kind.aliases).toEqual(aliases)
      for (const name of [kind.className, ...aliases]) {
        expect(findLayerKind(name)).toBe(kind)
        expect(UNRUNNABLE.get(name)).toBeUndefined()
      }
    }
  })
})
