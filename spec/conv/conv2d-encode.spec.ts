/**
 * encodeConv2D writes what each Keras writes (reference §3): the expected JSON below is the reference's
 * §3.5 examples, the layer entry by default and the bare get_config() dict on request, in the spec's own
 * dialect or another one. The round-trip properties (properties/codec.prop.ts) cannot see these forms:
 * the decoder accepts every one of them.
 */
import { describe, expect, it } from 'vitest'
import { conv2DCodec, conv2DConfigCodec, decodeConv2D, encodeConv2D } from '../../src/conv/conv2DCodec.js'
import { right } from '../helpers.js'

/** §3.5(b): the Conv2D entry of a TF 2.4 Sequential (legacy envelopes, batch_input_shape in the config). */
const TF2_ENTRY = {
  class_name: 'Conv2D',
  config: {
    name: 'conv2d', trainable: true, batch_input_shape: [null, 28, 28, 1], dtype: 'float32', filters: 32, kernel_size: [3, 3], strides: [1, 1],
    padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true,
    kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null
  }
} as const

const k3 = (module: string, className: string, config: object) => ({ module, class_name: className, config, registered_name: null })

/** §3.5(c): the same kind of layer serialized by Keras 3.4–3.14 (module envelopes, DTypePolicy, build_config). */
const K3_CONFIG = {
  name: 'conv2d', trainable: true, dtype: k3('keras', 'DTypePolicy', { name: 'float32' }), filters: 32, kernel_size: [3, 3], strides: [1, 1],
  padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true,
  kernel_initializer: k3('keras.initializers', 'GlorotUniform', { seed: null }),
  bias_initializer: k3('keras.initializers', 'Zeros', {}),
  kernel_regularizer: k3('keras.regularizers', 'L2', { l2: 0.01 }), bias_regularizer: null, activity_regularizer: null,
  kernel_constraint: k3('keras.constraints', 'MaxNorm', { max_value: 3, axis: [0, 1, 2] }), bias_constraint: null
}
const K3_ENTRY = { module: 'keras.layers', class_name: 'Conv2D', config: K3_CONFIG, registered_name: null, build_config: { input_shape: [null, 28, 28, 1] } }

const tf2 = right(decodeConv2D(TF2_ENTRY))
const keras3 = right(decodeConv2D(K3_ENTRY))

describe('encodeConv2D in the spec\'s own dialect', () => {
  it('keras2: a {class_name, config} entry by default, batch_input_shape in the config (§3.5(b))', () => {
    expect(encodeConv2D(tf2)).toEqual(TF2_ENTRY)
  })
  it('keras2 without the envelope: the bare get_config() dict', () => {
    expect(encodeConv2D(tf2, { envelope: false })).toEqual(TF2_ENTRY.config)
  })
  it('keras3: the module entry by default, the input shape in build_config only (§3.5(c))', () => {
    expect(encodeConv2D(keras3)).toEqual(K3_ENTRY)
    expect(encodeConv2D(keras3, { envelope: true })).toEqual(K3_ENTRY)
  })
  it('keras3 without the envelope: the constructor arguments, input_shape without the batch axis (§1.14)', () => {
    expect(encodeConv2D(keras3, { envelope: false })).toEqual({ ...K3_CONFIG, input_shape: [28, 28, 1] })
  })
  it('keras3 without an input shape: no build_config at all (an unbuilt layer, §3.3)', () => {
    const { build_config: _built, ...unbuiltEntry } = K3_ENTRY
    const unbuilt = right(decodeConv2D(unbuiltEntry))
    expect(unbuilt.inputShape).toBe(null)
    const entry = encodeConv2D(unbuilt)
    expect(entry).toEqual({ module: 'keras.layers', class_name: 'Conv2D', config: K3_CONFIG, registered_name: null })
    expect('build_config' in entry).toBe(false)
    expect(encodeConv2D(unbuilt, { envelope: false })).toEqual(K3_CONFIG)
  })
})

describe('encodeConv2D into the other dialect', () => {
  it('a TF2 layer written for Keras 3: module envelopes, DTypePolicy, build_config', () => {
    expect(encodeConv2D(tf2, { dialect: 'keras3' })).toEqual({
      module: 'keras.layers',
      class_name: 'Conv2D',
      config: {
        name: 'conv2d', trainable: true, dtype: k3('keras', 'DTypePolicy', { name: 'float32' }), filters: 32, kernel_size: [3, 3], strides: [1, 1],
        padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true,
        kernel_initializer: k3('keras.initializers', 'GlorotUniform', { seed: null }),
        bias_initializer: k3('keras.initializers', 'Zeros', {}),
        kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null
      },
      registered_name: null,
      build_config: { input_shape: [null, 28, 28, 1] }
    })
  })
  it('a Keras 3 layer written for TF2 carries its shape as batch_input_shape', () => {
    const entry = encodeConv2D(keras3, { dialect: 'keras2' }) as { class_name: string; config: Record<string, unknown> }
    expect(Object.keys(entry)).toEqual(['class_name', 'config'])
    expect([entry.class_name, entry.config['batch_input_shape'], entry.config['dtype']]).toEqual(['Conv2D', [null, 28, 28, 1], 'float32'])
    expect('input_shape' in entry.config).toBe(false)
  })
})

describe('LoRA arguments (Keras 3 writes them only when lora_rank is set, §3.1)', () => {
  it('a LoRA layer writes lora_rank and lora_alpha', () => {
    const lora = right(decodeConv2D({ filters: 2, kernel_size: 3, lora_rank: 4, lora_alpha: 8 }))
    const config = encodeConv2D(lora, { envelope: false })
    expect([config['lora_rank'], config['lora_alpha']]).toEqual([4, 8])
  })
  it('a layer without LoRA writes neither key', () => {
    const plain = encodeConv2D(right(decodeConv2D({ filters: 2, kernel_size: 3 })), { envelope: false })
    expect('lora_rank' in plain || 'lora_alpha' in plain).toBe(false)
  })
})

describe('the codec objects encode', () => {
  it('conv2DCodec writes with its options', () => {
    expect(conv2DCodec().encode(tf2)).toEqual(TF2_ENTRY)
    expect(conv2DCodec({ envelope: false }).encode(tf2)).toEqual(TF2_ENTRY.config)
    expect(conv2DCodec({ dialect: 'keras3' }).encode(tf2)).toEqual(encodeConv2D(tf2, { dialect: 'keras3' }))
  })
  it('conv2DConfigCodec writes a bare config in the spec\'s dialect: batch_input_shape for keras2, input_shape for keras3', () => {
    expect(conv2DConfigCodec({ dialect: 'keras2' }).encode(tf2)).toEqual(TF2_ENTRY.config)
    expect(conv2DConfigCodec({ dialect: 'keras3' }).encode(keras3)).toEqual({ ...K3_CONFIG, input_shape: [28, 28, 1] })
  })
})
