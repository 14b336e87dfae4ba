/**
 * computeGeometry's errors beyond geometry.spec.ts: the batch-axis hint only for a rank-4 list, the cols
 * axis named in a "valid" window error, size limits with grouped channels and channels_first, and one
 * error (not a cascade of nonsense sizes) when the channels do not divide into groups.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../../src/conv/Conv2DSpec.js'
import { computeGeometry, MAX_ELEMENTS } from '../../src/geometry/ConvGeometry.js'
import { left, right } from '../helpers.js'

const spec = (config: object): Conv2DSpec => right(decodeConv2D(config))
const shapeHead = 'expected an input shape of 3 dimensions [rows, cols, channels] without the batch axis (channels_last), found '

describe('computeGeometry input shape errors', () => {
  it('"drop the batch axis" only for a list of 4', () => {
    const s = spec({ filters: 1, kernel_size: 1 })
    expect(left(computeGeometry(s, 'same'))).toEqual([{ path: 'inputShape', message: `${shapeHead}the string "same"` }])
    expect(left(computeGeometry(s, [8, 8]))).toEqual([{ path: 'inputShape', message: `${shapeHead}a list of 2 items [8,8]` }])
    expect(left(computeGeometry(s, [1, 8, 8, 1, 1]))).toEqual([{ path: 'inputShape', message: `${shapeHead}a list of 5 items [1,8,8,1,1]` }])
  })
  it('a "valid" window wider than the input names the cols axis', () => {
    // cols: effective kernel 2·(3−1)+1 = 5 > 4 input cols → floor((4 − 5) / 1) + 1 = 0 outputs
    expect(left(computeGeometry(spec({ filters: 1, kernel_size: [1, 3], dilation_rate: [1, 2] }), [8, 4, 1]))).toEqual([
      {
        path: 'inputShape[1]',
        message: 'the cols axis is too small for a "valid" window: input cols 4 < effective kernel size 5 (kernel_size, dilation_rate), which would give an output of 0; use a larger input or padding "same"'
      }
    ])
  })
  it('channels that do not divide into groups are the only error reported, even with huge filters', () => {
    // 3 channels / 2 groups would make a kernel of 2·2·1.5·2³⁰ "elements": not worth reporting
    expect(left(computeGeometry(spec({ filters: 2 ** 30, kernel_size: 2, groups: 2 }), [8, 8, 3]))).toEqual([
      { path: 'inputShape[2]', message: 'expected the input channel count to be divisible by groups 2, found 3 channels (input shape [8, 8, 3])' }
    ])
  })
})

describe('computeGeometry size limits', () => {
  it('the kernel counts its input channels per group', () => {
    // 32·32·4·2²⁰ = 2³² elements
    expect(left(computeGeometry(spec({ filters: 2 ** 20, kernel_size: 32 }), [32, 32, 4]))).toEqual([
      { path: 'kernel_size', message: `the kernel [32, 32, 4, ${2 ** 20}] has ${2 ** 32} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})` }
    ])
  })
  it('a channels_first output is shown as [filters, rows, cols]', () => {
    // 2¹⁶ filters × 2¹⁵ rows × 2 cols = 2³² elements
    expect(left(computeGeometry(spec({ filters: 2 ** 16, kernel_size: 1, data_format: 'channels_first' }), [1, 2 ** 15, 2]))).toEqual([
      { path: 'filters', message: `one sample's output [65536,32768,2] has ${2 ** 32} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})` }
    ])
  })
})
