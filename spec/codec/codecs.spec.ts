/**
 * The Keras concept codecs one by one: every accepted form decodes to its canonical value, encoding
 * writes each dialect's form, and the messages are pinned word for word.
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { ACTIVATION_NAMES, activationCodec } from '../../src/codec/Activation.js'
import { constraintCodec, CONSTRAINT_NAMES } from '../../src/codec/Constraint.js'
import { detectDialect, dialectOfKerasVersion } from '../../src/codec/Dialect.js'
import { dtypeCodec } from '../../src/codec/DType.js'
import { glorotUniform, INITIALIZER_NAMES, initializerCodec, type Initializer } from '../../src/codec/Initializer.js'
import { shapeOfMinRank, shapeOfRank, showShape } from '../../src/codec/InputShape.js'
import { REGULARIZER_NAMES, regularizerCodec } from '../../src/codec/Regularizer.js'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import { decodeErrors as errs } from '../helpers.js'

const ok = <A>(codec: t.Type<A, unknown, unknown>, u: unknown): A => {
  const r = codec.decode(u)
  if (E.isLeft(r)) throw new Error(JSON.stringify(fromValidationErrors(r.left)))
  return r.right
}

describe('dialect', () => {
  it('from keras_version', () => {
    expect(['2.4.0', '2.2.4-tf', 'tfjs-layers 4.22.0', '3.5.0', '10.0', 'dev', 5].map(dialectOfKerasVersion)).toEqual(['keras2', 'keras2', 'keras2', 'keras3', 'keras3', undefined, undefined])
  })
  it.each([
    [{ class_name: 'Conv2D', config: {} }, 'keras2'],
    [{ module: 'keras.layers', class_name: 'Conv2D', config: {} }, 'keras3'],
    [{ class_name: 'Conv2D', config: {}, registered_name: null }, 'keras3'],
    [{ filters: 1, dtype: { class_name: 'DTypePolicy', config: { name: 'float32' } } }, 'keras3'],
    [{ filters: 1, dtype: { class_name: 'FloatDTypePolicy', config: { name: 'float32' } } }, 'keras3'],
    [{ filters: 1, dtype: { module: 'keras', class_name: 'X', config: {} } }, 'keras3'],
    [{ filters: 1, dtype: { class_name: 'Policy', config: { name: 'mixed_float16' } } }, 'keras2'],
    [{ filters: 1, bias_initializer: { class_name: 'Zeros', config: {} } }, 'keras2'],
    [{ filters: 1, kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: {} } }, 'keras3'],
    [{ filters: 1, depthwise_initializer: { class_name: 'Zeros', config: {}, registered_name: null } }, 'keras3'],
    [{ filters: 1, activation: 'relu' }, 'keras3'],
    ['Conv2D', 'keras3']
  ])('%j → %s', (raw, dialect) => {
    expect(detectDialect(raw)).toBe(dialect)
  })
})

describe('activation', () => {
  it('names, aliases, null and the Keras 3 function envelope', () => {
    const c = activationCodec('keras3')
    expect(['relu', 'swish', 'hard_swish', null].map((u) => ok(c, u))).toEqual(['relu', 'silu', 'hard_silu', 'linear'])
    expect(ok(c, { module: 'keras.activations', class_name: 'function', config: 'gelu', registered_name: 'gelu' })).toBe('gelu')
    expect(ACTIVATION_NAMES).toContain('hard_swish')
  })
  it('encodes silu as swish for keras2 only', () => {
    expect(activationCodec('keras2').encode('silu')).toBe('swish')
    expect(activationCodec('keras3').encode('silu')).toBe('silu')
    expect(activationCodec('keras2').encode('relu')).toBe('relu')
  })
  it('errors', () => {
    const c = activationCodec('keras3')
    expect(errs(c, 3)).toEqual([{ path: '', message: 'expected an activation name such as "relu" (or null for linear), found 3' }])
    expect(errs(c, { class_name: 'function', config: 'relu', extra: 1 })).toEqual([{ path: '', message: 'unexpected key "extra" in a serialized activation function' }])
    expect(errs(c, { class_name: 'function', config: 'rellu' })[0]?.path).toBe('config')
    expect(errs(c, 'Relu')[0]?.message).toMatch(/^unknown activation "Relu"; did you mean "relu"\? \(names are case-sensitive\); expected one of "linear", "relu", /)
    expect(c.is('relu') && !c.is('swish')).toBe(true)
  })
})

describe('dtype', () => {
  it('strings, policies, null', () => {
    const c = dtypeCodec('keras3')
    expect(['float64', null, { class_name: 'DTypePolicy', config: { name: 'bfloat16' } }, { module: 'keras', class_name: 'FloatDTypePolicy', config: { name: 'float16' }, registered_name: null }, { class_name: 'Policy', config: { name: 'mixed_float16' } }].map((u) => ok(c, u))).toEqual(['float64', 'float32', 'bfloat16', 'float16', 'mixed_float16'])
  })
  it('encodes per dialect', () => {
    expect(dtypeCodec('keras2').encode('float32')).toBe('float32')
    expect(dtypeCodec('keras2').encode('mixed_bfloat16')).toEqual({ class_name: 'Policy', config: { name: 'mixed_bfloat16' } })
    expect(dtypeCodec('keras3').encode('float32')).toEqual({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null })
  })
  it('errors', () => {
    const c = dtypeCodec('keras3')
    expect(errs(c, 'int8')).toEqual([{ path: '', message: 'unknown dtype policy "int8"; expected one of "float32", "float64", "float16", "bfloat16", "mixed_float16" or "mixed_bfloat16"' }])
    expect(errs(c, 32)).toEqual([{ path: '', message: 'expected a dtype such as "float32" or a DTypePolicy object, found 32' }])
    expect(errs(c, { class_name: 'DTypePolicy', config: { name: 'float31' } })).toEqual([{ path: 'config.name', message: 'expected the dtype to be "float32", "float64", "float16", "bfloat16", "mixed_float16" or "mixed_bfloat16", found the string "float31"; did you mean "float32"?' }])
    expect(errs(c, { class_name: 'DTypePolicy', config: { name: 'float32', extra: 1 } })[0]?.path).toBe('config.extra')
  })
})

describe('initializer', () => {
  const c = initializerCodec('keras3')
  const vs = (scale: number, mode: string, distribution: string, seed: number | null = null): Initializer => ({ kind: 'variance_scaling', scale, mode, distribution, seed }) as Initializer
  it.each([
    ['zeros', { kind: 'constant', value: 0 }],
    ['zero', { kind: 'constant', value: 0 }],
    ['ones', { kind: 'constant', value: 1 }],
    ['one', { kind: 'constant', value: 1 }],
    ['random_normal', { kind: 'random_normal', mean: 0, stddev: 0.05, seed: null }],
    ['normal', { kind: 'random_normal', mean: 0, stddev: 0.05, seed: null }],
    ['random_uniform', { kind: 'random_uniform', minval: -0.05, maxval: 0.05, seed: null }],
    ['uniform', { kind: 'random_uniform', minval: -0.05, maxval: 0.05, seed: null }],
    ['truncated_normal', { kind: 'truncated_normal', mean: 0, stddev: 0.05, seed: null }],
    ['variance_scaling', vs(1, 'fan_in', 'truncated_normal')],
    ['glorot_uniform', vs(1, 'fan_avg', 'uniform')],
    ['glorot_normal', vs(1, 'fan_avg', 'truncated_normal')],
    ['he_uniform', vs(2, 'fan_in', 'uniform')],
    ['he_normal', vs(2, 'fan_in', 'truncated_normal')],
    ['lecun_uniform', vs(1, 'fan_in', 'uniform')],
    ['lecun_normal', vs(1, 'fan_in', 'truncated_normal')],
    ['orthogonal', { kind: 'orthogonal', gain: 1, seed: null }],
    ['OrthogonalInitializer', { kind: 'orthogonal', gain: 1, seed: null }],
    ['identity', { kind: 'identity', gain: 1 }],
    ['HeNormal', vs(2, 'fan_in', 'truncated_normal')]
  ])('%s', (name, expected) => {
    expect(ok(c, name)).toEqual(expected)
  })
  it('dialects: TF 2.x …V2 aliases only in keras2, Keras 3 …Initializer aliases only in keras3, Constant needs value in keras3', () => {
    const k2 = initializerCodec('keras2')
    expect(ok(k2, 'GlorotUniformV2')).toEqual(vs(1, 'fan_avg', 'uniform'))
    expect(errs(c, 'GlorotUniformV2')[0]?.message).toContain('a tf.keras 2.x alias that Keras 3 no longer knows')
    expect(errs(c, { class_name: 'HeNormalV2', config: {} })[0]?.path).toBe('class_name')
    expect(errs(k2, 'OrthogonalInitializer')[0]?.message).toContain('a Keras 3 alias that tf.keras 2.x (this config\'s dialect, keras2) does not know')
    expect(ok(k2, { class_name: 'Constant', config: {} })).toEqual({ kind: 'constant', value: 0 })
    expect(errs(c, { class_name: 'Constant', config: {} })).toEqual([{ path: 'config.value', message: 'missing required Constant argument "value": expected a finite number' }])
    expect(errs(c, 'constant')[0]?.message).toContain("Constant.from_config raises KeyError 'value'")
    expect(ok(k2, 'constant')).toEqual({ kind: 'constant', value: 0 })
  })
  it('Keras ≥ 3.15 fan axes: kept (sorted) when both are set, dropped when one is null; unknown to keras2', () => {
    expect(ok(c, { class_name: 'HeNormal', config: { input_axes: [2, 0, 1], output_axes: [-1] } })).toEqual({ ...vs(2, 'fan_in', 'truncated_normal'), fanAxes: { input: [0, 1, 2], output: [-1] } })
    expect(ok(c, { class_name: 'HeNormal', config: { input_axes: [0], output_axes: null } })).toEqual(vs(2, 'fan_in', 'truncated_normal'))
    expect(c.encode({ ...vs(1, 'fan_avg', 'uniform'), fanAxes: { input: [0], output: [1] } } as Initializer)).toEqual({
      module: 'keras.initializers',
      class_name: 'GlorotUniform',
      config: { seed: null, input_axes: [0], output_axes: [1] },
      registered_name: null
    })
    expect(errs(c, { class_name: 'HeNormal', config: { input_axes: [0, 'x'], output_axes: 'y' } }).map((e) => e.path)).toEqual(['config.input_axes[1]', 'config.output_axes'])
    expect(errs(initializerCodec('keras2'), { class_name: 'HeNormal', config: { input_axes: null } })[0]?.message).toContain('input_axes is a Keras ≥ 3.15 VarianceScaling argument; tf.keras 2.x')
  })
  it('class configs with arguments', () => {
    expect(ok(c, { class_name: 'Constant', config: { value: -2 } })).toEqual({ kind: 'constant', value: -2 })
    expect(ok(c, { class_name: 'RandomUniform', config: { minval: 0, maxval: 2, seed: 5 } })).toEqual({ kind: 'random_uniform', minval: 0, maxval: 2, seed: 5 })
    expect(ok(c, { class_name: 'VarianceScaling', config: { scale: 3, mode: 'fan_out', distribution: 'Normal', seed: 1 } })).toEqual(vs(3, 'fan_out', 'truncated_normal', 1))
    expect(ok(c, { class_name: 'Identity', config: { gain: 2 } })).toEqual({ kind: 'identity', gain: 2 })
  })
  it('encodes the most specific class, in each dialect', () => {
    const k2 = initializerCodec('keras2')
    expect(k2.encode({ kind: 'constant', value: 0 })).toEqual({ class_name: 'Zeros', config: {} })
    expect(k2.encode({ kind: 'constant', value: 1 })).toEqual({ class_name: 'Ones', config: {} })
    expect(k2.encode({ kind: 'constant', value: 0.5 })).toEqual({ class_name: 'Constant', config: { value: 0.5 } })
    expect(k2.encode(vs(2, 'fan_in', 'uniform', 4))).toEqual({ class_name: 'HeUniform', config: { seed: 4 } })
    expect(k2.encode(vs(2, 'fan_avg', 'uniform'))).toEqual({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_avg', distribution: 'uniform', seed: null } })
    expect(k2.encode({ kind: 'random_normal', mean: 1, stddev: 2, seed: 3 })).toEqual({ class_name: 'RandomNormal', config: { mean: 1, stddev: 2, seed: 3 } })
    expect(k2.encode({ kind: 'random_uniform', minval: 1, maxval: 2, seed: null })).toEqual({ class_name: 'RandomUniform', config: { minval: 1, maxval: 2, seed: null } })
    expect(k2.encode({ kind: 'truncated_normal', mean: 0, stddev: 1, seed: null })).toEqual({ class_name: 'TruncatedNormal', config: { mean: 0, stddev: 1, seed: null } })
    expect(k2.encode({ kind: 'orthogonal', gain: 2, seed: 1 })).toEqual({ class_name: 'Orthogonal', config: { gain: 2, seed: 1 } })
    expect(k2.encode({ kind: 'identity', gain: 3 })).toEqual({ class_name: 'Identity', config: { gain: 3 } })
    expect(c.encode(glorotUniform(7))).toEqual({ module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: 7 }, registered_name: null })
  })
  it('null means glorot_uniform (or what the field says)', () => {
    expect(ok(c, null)).toEqual(glorotUniform())
    expect(ok(initializerCodec('keras3', { kind: 'constant', value: 0 }), null)).toEqual({ kind: 'constant', value: 0 })
  })
  it('errors', () => {
    expect(errs(c, { class_name: 'GlorotUniform', config: { seed: 'x' } })).toEqual([{ path: 'config.seed', message: 'expected an integer seed or null, found the string "x"' }])
    expect(errs(c, { class_name: 'GlorotUniform', config: { seed: { class_name: 'SeedGenerator' } } })).toEqual([
      { path: 'config.seed', message: 'expected an integer seed or null, found an object {"class_name":"SeedGenerator"} (a serialized SeedGenerator cannot be reproduced outside Keras; use an integer)' }
    ])
    expect(errs(c, { class_name: 'VarianceScaling', config: { distribution: 'gaussian' } })[0]?.message).toBe(
      'expected distribution to be "truncated_normal", "untruncated_normal", "uniform" or "normal", found the string "gaussian"'
    )
    expect(errs(c, 'initializer')[0]?.message).toContain('the base Initializer class cannot generate values')
    expect(errs(c, 'STFTInitializer')[0]?.message).toContain('rank-3 (frame_length, channels, fft_length)')
    expect(INITIALIZER_NAMES).toContain('glorot_uniform')
  })
})

describe('regularizer', () => {
  const c = regularizerCodec('keras3')
  it('strings (§11.2) and classes', () => {
    expect(REGULARIZER_NAMES.map((n) => (/^(orthogonal|Orthogonal|regularizer|Regularizer|l1_l2)/.test(n) ? null : ok(c, n)))).toEqual([
      { l1: 0.01, l2: 0 },
      { l1: 0.01, l2: 0 },
      { l1: 0, l2: 0.01 },
      { l1: 0, l2: 0.01 },
      null,
      { l1: 0, l2: 0 },
      { l1: 0, l2: 0 },
      null,
      null,
      null,
      null
    ])
    expect(ok(c, { class_name: 'L2', config: { l2: 0.5 } })).toEqual({ l1: 0, l2: 0.5 })
    expect(ok(c, { class_name: 'L1L2', config: {} })).toEqual({ l1: 0, l2: 0 })
    expect(ok(c, null)).toBe(null)
  })
  it('l1_l2 is TF 2.x\'s L1L2(0.01, 0.01) in keras2 and an error in keras3 (Keras 3 does not know it)', () => {
    expect(ok(regularizerCodec('keras2'), 'l1_l2')).toEqual({ l1: 0.01, l2: 0.01 })
    expect(errs(c, 'l1_l2')).toEqual([
      {
        path: '',
        message:
          'regularizer "l1_l2" is a tf.keras 2.x name (L1L2 with l1 = l2 = 0.01) that Keras 3 no longer knows (Keras 3 raises "Could not interpret regularizer identifier: l1_l2"); in a Keras 3 config write {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.01}}'
      }
    ])
    expect(errs(c, 'regularizer')[0]?.message).toContain('the base Regularizer class adds no penalty')
  })
  it('encodes L1 / L2 / L1L2 in keras3 and always L1L2 in keras2', () => {
    expect(c.encode({ l1: 0.1, l2: 0 })).toEqual({ module: 'keras.regularizers', class_name: 'L1', config: { l1: 0.1 }, registered_name: null })
    expect(c.encode({ l1: 0, l2: 0.2 })).toEqual({ module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.2 }, registered_name: null })
    expect(c.encode({ l1: 0, l2: 0 })).toEqual({ module: 'keras.regularizers', class_name: 'L1L2', config: { l1: 0, l2: 0 }, registered_name: null })
    expect(c.encode({ l1: 0.1, l2: 0.2 })).toEqual({ module: 'keras.regularizers', class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 }, registered_name: null })
    expect(regularizerCodec('keras2').encode({ l1: 0.1, l2: 0 })).toEqual({ class_name: 'L1L2', config: { l1: 0.1, l2: 0 } })
    expect(c.encode(null)).toBe(null)
  })
  it('rejects OrthogonalRegularizer with the reason', () => {
    expect(errs(c, { class_name: 'OrthogonalRegularizer', config: {} })[0]?.message).toContain('OrthogonalRegularizer only accepts rank-2 weights')
  })
})

describe('constraint', () => {
  const c = constraintCodec('keras3')
  it('names and classes, axes sorted', () => {
    const k2 = constraintCodec('keras2')
    expect(CONSTRAINT_NAMES.filter((n) => !n.toLowerCase().startsWith('radial')).map((n) => ok(k2, n)?.kind)).toEqual(['max_norm', 'max_norm', 'non_neg', 'non_neg', 'unit_norm', 'unit_norm', 'min_max_norm', 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'])
    expect(['max_norm', 'non_neg', 'unit_norm', 'min_max_norm', 'MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm'].map((n) => ok(c, n)?.kind)).toEqual(['max_norm', 'non_neg', 'unit_norm', 'min_max_norm', 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'])
    expect(errs(c, 'maxnorm')[0]?.message).toBe('constraint "maxnorm" is a tf.keras 2.x name that Keras 3 no longer knows (Keras 3 raises "Could not interpret constraint identifier: maxnorm"); Keras 3 calls it "max_norm"')
    expect(ok(c, 'min_max_norm')).toEqual({ kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 1, axis: [0] })
    expect(ok(c, { class_name: 'UnitNorm', config: { axis: [3, -1] } })).toEqual({ kind: 'unit_norm', axis: [-1, 3] })
    expect(ok(c, { class_name: 'MaxNorm', config: { axis: { class_name: '__tuple__', items: [2, 0] } } })).toEqual({ kind: 'max_norm', maxValue: 2, axis: [0, 2] })
  })
  it('encodes a single axis as an integer', () => {
    expect(c.encode({ kind: 'max_norm', maxValue: 3, axis: [0] })).toEqual({ module: 'keras.constraints', class_name: 'MaxNorm', config: { max_value: 3, axis: 0 }, registered_name: null })
    expect(constraintCodec('keras2').encode({ kind: 'min_max_norm', minValue: 0.5, maxValue: 2, rate: 0.5, axis: [0, 1] })).toEqual({ class_name: 'MinMaxNorm', config: { min_value: 0.5, max_value: 2, rate: 0.5, axis: [0, 1] } })
    expect(constraintCodec('keras2').encode({ kind: 'non_neg' })).toEqual({ class_name: 'NonNeg', config: {} })
    expect(constraintCodec('keras2').encode({ kind: 'unit_norm', axis: [1] })).toEqual({ class_name: 'UnitNorm', config: { axis: 1 } })
  })
  it('errors', () => {
    expect(errs(c, { class_name: 'MaxNorm', config: { axis: [] } })).toEqual([{ path: 'config.axis', message: 'expected an integer axis or a non-empty list of integer axes, found a list of 0 items []' }])
    expect(errs(c, { class_name: 'MaxNorm', config: { axis: 1.5 } })).toEqual([{ path: 'config.axis', message: 'expected an integer axis, found 1.5' }])
    expect(errs(c, { class_name: 'MaxNorm', config: { axis: [0, 0] } })).toEqual([{ path: 'config.axis', message: 'expected distinct axes, found [0,0] with a repeated axis' }])
    expect(errs(constraintCodec('keras2'), 'radial_constraint')[0]?.message).toContain('RadialConstraint (TF 2.x only, removed in Keras 3) is not supported')
    expect(errs(c, 'radial_constraint')[0]?.message).toContain('Keras 3 has no RadialConstraint')
  })
})

describe('input shapes', () => {
  it('a fixed rank, unwrapping TensorShape, with element errors', () => {
    const c = shapeOfRank(4, '[batch, …]')
    expect(ok(c, { class_name: 'TensorShape', items: [null, 2, 3, 1] })).toEqual([null, 2, 3, 1])
    expect(errs(c, [null, 2, 0, 'x'])).toEqual([
      { path: '[2]', message: 'expected a positive integer or null (unknown) dimension, found 0, which is not positive' },
      { path: '[3]', message: 'expected a positive integer or null (unknown) dimension, found the string "x"' }
    ])
    expect(errs(c, [1, 2, 3])).toEqual([{ path: '', message: 'expected 4 dimensions [batch, …], found 3: [1,2,3]' }])
    expect(errs(c, 'x')).toEqual([{ path: '', message: 'expected a list of 4 dimensions [batch, …] (positive integers or null), found the string "x"' }])
    expect(c.encode([null, 1] as never)).toEqual([null, 1])
  })
  it('a minimum rank', () => {
    const c = shapeOfMinRank(2, '[batch, …]')
    expect(ok(c, [null, 5, 6])).toEqual([null, 5, 6])
    expect(errs(c, [null])).toEqual([{ path: '', message: 'expected a list of at least 2 dimensions [batch, …] (positive integers or null), found a list of 1 item [null]' }])
  })
  it('showShape prints Keras-style', () => {
    expect(showShape([null, 28, 28, 1])).toBe('(None, 28, 28, 1)')
    expect(showShape([7])).toBe('(7,)')
  })
})
