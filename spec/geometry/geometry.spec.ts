/**
 * ConvGeometry: the one record every kernel reads, field by field for hand-worked layers, and every
 * compile-time error word for word.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../../src/conv/Conv2DSpec.js'
import { computeGeometry, inferOutputShape, MAX_ELEMENTS } from '../../src/geometry/ConvGeometry.js'
import { axisPadding, effectiveKernel, outputLength } from '../../src/geometry/Padding.js'
import { left, right } from '../helpers.js'

const spec = (config: object): Conv2DSpec => right(decodeConv2D(config))

describe('Padding', () => {
  it('effective kernel d·(k−1)+1', () => {
    expect([effectiveKernel(3, 1), effectiveKernel(3, 2), effectiveKernel(1, 5), effectiveKernel(2, 3)]).toEqual([3, 5, 1, 4])
  })
  it('output lengths (reference §2.2) and null', () => {
    expect(outputLength(7, 3, 1, 1, 'valid')).toBe(5)
    expect(outputLength(7, 3, 2, 1, 'valid')).toBe(3)
    expect(outputLength(7, 3, 1, 2, 'valid')).toBe(3)
    expect(outputLength(7, 3, 2, 1, 'same')).toBe(4)
    expect(outputLength(2, 3, 1, 1, 'valid')).toBe(0)
    expect(outputLength(5, 20, 1, 1, 'valid')).toBe(-14)
    expect(outputLength(null, 3, 1, 1, 'same')).toBe(null)
  })
  it('same padding split (reference §2.3 examples)', () => {
    expect(axisPadding(4, 2, 1, 1, 'same')).toEqual({ before: 0, after: 1 })
    expect(axisPadding(5, 3, 2, 1, 'same')).toEqual({ before: 1, after: 1 })
    expect(axisPadding(6, 3, 2, 1, 'same')).toEqual({ before: 0, after: 1 })
    expect(axisPadding(4, 4, 1, 1, 'same')).toEqual({ before: 1, after: 2 })
    expect(axisPadding(8, 2, 1, 2, 'same')).toEqual({ before: 1, after: 1 })
    expect(axisPadding(5, 1, 3, 1, 'same')).toEqual({ before: 0, after: 0 })
    expect(axisPadding(8, 3, 1, 1, 'valid')).toEqual({ before: 0, after: 0 })
  })
})

describe('computeGeometry', () => {
  it('every field of a channels_last layer', () => {
    // 7×6×4 input, 6 filters in 2 groups, 3×2 kernel, stride (2, 1), same padding
    const g = right(computeGeometry(spec({ filters: 6, kernel_size: [3, 2], strides: [2, 1], padding: 'same', groups: 2 }), [7, 6, 4]))
    expect(g).toEqual({
      dataFormat: 'channels_last',
      inHeight: 7,
      inWidth: 6,
      inChannels: 4,
      outHeight: 4, // ceil(7 / 2)
      outWidth: 6, // ceil(6 / 1)
      outChannels: 6,
      kernelHeight: 3,
      kernelWidth: 2,
      strideHeight: 2,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      effectiveKernelHeight: 3,
      effectiveKernelWidth: 2,
      groups: 2,
      inChannelsPerGroup: 2,
      outChannelsPerGroup: 3,
      padTop: 1, // total (4−1)·2 + 3 − 7 = 2 → 1 / 1
      padBottom: 1,
      padLeft: 0, // total (6−1)·1 + 2 − 6 = 1 → 0 / 1
      padRight: 1,
      inputShape: [7, 6, 4],
      outputShape: [4, 6, 6],
      kernelShape: [3, 2, 2, 6],
      inputSize: 7 * 6 * 4,
      outputSize: 4 * 6 * 6,
      macsPerSample: 4 * 6 * 6 * 3 * 2 * 2
    })
    expect(Object.isFrozen(g) && Object.isFrozen(g.outputShape)).toBe(true)
  })
  it('channels_first reads [C, H, W] and writes [F, OH, OW]', () => {
    const g = right(computeGeometry(spec({ filters: 5, kernel_size: 3, dilation_rate: [2, 1], data_format: 'channels_first' }), [2, 9, 8]))
    // rows: Keff 2·(3−1)+1 = 5, (9 − 5) + 1 = 5; cols: (8 − 3) + 1 = 6
    expect([g.inChannels, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.effectiveKernelHeight, g.effectiveKernelWidth]).toEqual([2, 9, 8, 5, 6, 5, 3])
    expect(g.outputShape).toEqual([5, 5, 6])
    expect([g.padTop, g.padBottom, g.padLeft, g.padRight]).toEqual([0, 0, 0, 0])
  })
  it('errors, word for word', () => {
    const s = spec({ filters: 4, kernel_size: 3, groups: 2 })
    expect(left(computeGeometry(s, 'x'))).toEqual([{ path: 'inputShape', message: 'expected an input shape of 3 dimensions [rows, cols, channels] without the batch axis (channels_last), found the string "x"' }])
    expect(left(computeGeometry(s, [1, 8, 8, 2]))).toEqual([
      { path: 'inputShape', message: 'expected an input shape of 3 dimensions [rows, cols, channels] without the batch axis (channels_last), found a list of 4 items [1,8,8,2] (drop the batch axis)' }
    ])
    expect(left(computeGeometry(spec({ filters: 1, kernel_size: 1, data_format: 'channels_first' }), [0, null, 2.5]))).toEqual([
      { path: 'inputShape[0]', message: 'expected the channels dimension to be a positive integer, found 0, which is not positive' },
      { path: 'inputShape[1]', message: 'expected the rows dimension to be a positive integer, found null' },
      { path: 'inputShape[2]', message: 'expected the cols dimension to be a positive integer, found 2.5, which is not an integer' }
    ])
    expect(left(computeGeometry(s, [8, 8, 3]))).toEqual([
      { path: 'inputShape[2]', message: 'expected the input channel count to be divisible by groups 2, found 3 channels (input shape [8, 8, 3])' }
    ])
    expect(left(computeGeometry(s, [2, 8, 2], 'batch_input_shape'))).toEqual([
      {
        path: 'batch_input_shape[0]',
        message: 'the rows axis is too small for a "valid" window: input rows 2 < effective kernel size 3 (kernel_size, dilation_rate), which would give an output of 0; use a larger input or padding "same"'
      }
    ])
  })
  it('sizes beyond a typed array are named', () => {
    expect(MAX_ELEMENTS).toBe(2 ** 31 - 1)
    expect(left(computeGeometry(spec({ filters: 2 ** 16, kernel_size: 1 }), [2 ** 15, 2, 1]))).toEqual([
      { path: 'filters', message: `one sample's output [32768,2,65536] has ${2 ** 32} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})` }
    ])
    expect(left(computeGeometry(spec({ filters: 1, kernel_size: 1, strides: 2 }), [2 ** 16, 2 ** 15, 1]))).toEqual([
      { path: 'inputShape', message: `one sample's input has ${2 ** 31} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})` }
    ])
    expect(left(computeGeometry(spec({ filters: 2 ** 20, kernel_size: 64 }), [64, 64, 1]))[0]).toEqual({
      path: 'kernel_size',
      message: `the kernel [64, 64, 1, ${2 ** 20}] has ${64 * 64 * 2 ** 20} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`
    })
  })
  it('the largest sizes that fit are accepted', () => {
    expect(computeGeometry(spec({ filters: 1, kernel_size: 1 }), [MAX_ELEMENTS, 1, 1])._tag).toBe('Right')
  })
})

describe('inferOutputShape', () => {
  it('keeps unknown dims unknown, in each data format', () => {
    expect(inferOutputShape(spec({ filters: 3, kernel_size: 3, strides: 2 }), [null, 9, 4])).toEqual([null, 4, 3])
    expect(inferOutputShape(spec({ filters: 3, kernel_size: 3, padding: 'same', data_format: 'channels_first' }), [4, 9, null])).toEqual([3, 9, null])
  })
})
