/**
 * The typed builder gives the same spec as decoding the equivalent Keras 3 JSON, and the same errors.
 */
import { describe, expect, it } from 'vitest'
import { apply, functional, input, layers, sequential } from '../../src/model/builder.js'
import { decodeModel } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { compileModel } from '../../src/model/compileModel.js'
import { inferModel } from '../../src/model/infer.js'
import { left, right } from '../helpers.js'

const k3 = (cls: string, config: object) => ({ module: 'keras.layers', class_name: cls, config, registered_name: null })

describe('sequential', () => {
  it('the Keras MNIST convnet equals its Keras 3 JSON', () => {
    const built = right(
      sequential(
        [
          layers.conv2d({ name: 'conv2d', filters: 32, kernel_size: [3, 3], activation: 'relu' }),
          layers.maxPooling2d({ name: 'max_pooling2d', pool_size: [2, 2] }),
          layers.conv2d({ name: 'conv2d_1', filters: 64, kernel_size: [3, 3], activation: 'relu' }),
          layers.maxPooling2d({ name: 'max_pooling2d_1', pool_size: [2, 2] }),
          layers.flatten({ name: 'flatten' }),
          layers.dropout({ name: 'dropout', rate: 0.5 }),
          layers.dense({ name: 'dense', units: 10, activation: 'softmax' })
        ],
        { input_shape: [28, 28, 1] }
      )
    )
    const json = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], name: 'input_layer' }, registered_name: null },
          k3('Conv2D', { name: 'conv2d', filters: 32, kernel_size: [3, 3], activation: 'relu' }),
          k3('MaxPooling2D', { name: 'max_pooling2d', pool_size: [2, 2] }),
          k3('Conv2D', { name: 'conv2d_1', filters: 64, kernel_size: [3, 3], activation: 'relu' }),
          k3('MaxPooling2D', { name: 'max_pooling2d_1', pool_size: [2, 2] }),
          k3('Flatten', { name: 'flatten' }),
          k3('Dropout', { name: 'dropout', rate: 0.5 }),
          k3('Dense', { name: 'dense', units: 10, activation: 'softmax' })
        ]
      },
      registered_name: null
    }
    expect(built).toEqual(right(decodeModel(json)))
    expect(right(inferModel(built)).params).toBe(34826)
    expect(right(decodeModel(encodeModel(built)))).toEqual(built)
  })

  it('reports errors with their paths in the equivalent JSON', () => {
    const e = left(sequential([layers.conv2d({ filters: 0, kernel_size: 3 }), layers.dense({ units: 2.5 })], { input_shape: [8, 8, 1] }))
    expect(e.map((x) => x.path)).toEqual(['config.layers[1].config.filters', 'config.layers[2].config.units'])
  })
})

describe('functional', () => {
  it('a residual block equals its Keras 3 JSON; unnamed layers get Keras-style names', () => {
    const x = input([8, 8, 4], { name: 'image' })
    const c = layers.conv2d({ filters: 4, kernel_size: 3, padding: 'same' })
    const h = apply(layers.batchNormalization(), apply(c, x))
    const y = apply(layers.add(), [h, x])
    const built = right(functional({ inputs: [x], outputs: [apply(layers.globalAveragePooling2d(), y)], name: 'res' }))
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } })
    const entry = (cls: string, name: string, config: object, args: unknown[]) => ({ ...k3(cls, { ...config, name }), name, inbound_nodes: [{ args, kwargs: {} }] })
    const json = {
      module: 'keras',
      class_name: 'Functional',
      config: {
        name: 'res',
        trainable: true,
        layers: [
          { ...k3('InputLayer', { batch_shape: [null, 8, 8, 4], name: 'image' }), name: 'image', inbound_nodes: [] },
          entry('Conv2D', 'conv2d', { filters: 4, kernel_size: 3, padding: 'same' }, [kt('image')]),
          entry('BatchNormalization', 'batch_normalization', {}, [kt('conv2d')]),
          entry('Add', 'add', {}, [[kt('batch_normalization'), kt('image')]]),
          entry('GlobalAveragePooling2D', 'global_average_pooling2d', {}, [kt('add')])
        ],
        input_layers: [['image', 0, 0]],
        output_layers: [['global_average_pooling2d', 0, 0]]
      },
      registered_name: null
    }
    expect(built).toEqual(right(decodeModel(json)))
    // Conv2D(4, 3x3) on 4 channels: 3·3·4·4 + 4 = 148; BatchNormalization(4): 4·4 = 16
    expect(right(inferModel(built)).params).toBe(148 + 16)
  })

  it('applying a layer object twice shares it: one layer, two nodes, weights once', () => {
    const a = input([5], { name: 'a' })
    const b = input([5], { name: 'b' })
    const shared = layers.dense({ units: 3 })
    const m = right(functional({ inputs: [a, b], outputs: [apply(layers.subtract(), [apply(shared, a), apply(shared, b)])] }))
    expect(m.className === 'Functional' && m.layers.map((l) => [l.spec.name, l.inbound.length])).toEqual([
      ['a', 0],
      ['b', 0],
      ['dense', 2],
      ['subtract', 1]
    ])
    const s = right(inferModel(m))
    // Dense(3) on 5 features: 5·3 + 3 = 18, counted once
    expect(s.params).toBe(18)
    expect(s.layers[3]?.connectedTo).toEqual(['dense[0][0]', 'dense[1][0]'])
  })

  it('layers.normalization: mean and variance in the config, (x − mean) / √variance', () => {
    const m = right(sequential([layers.normalization({ mean: [1, 2], variance: [4, 9] })], { input_shape: [2], dialect: 'keras3' }))
    const c = right(compileModel(m))
    expect(c.weights).toEqual([])
    expect(Array.from(c.forward([], [{ shape: [2, 2], data: new Float32Array([3, 5, 1, -1]) }])[0]?.data ?? [])).toEqual([1, 1, 0, -1])
    expect(right(decodeModel(encodeModel(m)))).toEqual(m)
  })
})
