/**
 * The typed builder `conv2d` goes through the same validation as decodeConv2D and returns the same Either.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { conv2d } from '../../src/conv/conv2d.js'
import { left, right } from '../helpers.js'

describe('conv2d builder', () => {
  it('gives the spec decoding the same arguments gives (keras3 dialect)', () => {
    const args = { filters: 32, kernel_size: 3, activation: 'relu', padding: 'SAME', input_shape: [28, 28, 1], kernel_regularizer: 'l2' } as const
    const built = right(conv2d(args))
    expect(built).toEqual(right(decodeConv2D(args, { dialect: 'keras3' })))
    expect([built.dialect, built.padding, built.kernelSize, built.inputShape]).toEqual(['keras3', 'same', [3, 3], [28, 28, 1]])
  })
  it('accepts serialized Keras objects and options', () => {
    const s = right(
      conv2d(
        { filters: 4, kernel_size: [1, 3], kernel_initializer: { class_name: 'HeUniform', config: { seed: 3 } }, data_format: null },
        { imageDataFormat: 'channels_first', dialect: 'keras2' }
      )
    )
    expect([s.dataFormat, s.dialect, s.kernelInitializer]).toEqual([
      'channels_first',
      'keras2',
      { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'uniform', seed: 3 }
    ])
  })
  it('reports the same errors, with paths', () => {
    expect(left(conv2d({ filters: 6, kernel_size: 3, groups: 4, strides: 2, dilation_rate: 2 })).map((e) => e.path)).toEqual(['strides', 'groups'])
  })
})
