/**
 * compileConv2D: output shapes from the reference's case table, worked examples whose expected numbers
 * are derived by hand in the test (reference §2.6 vectors V1–V10 and more), compile-time errors with
 * paths, bad tensors, purity and determinism.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../../src/conv/Conv2DSpec.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { KERNEL_NAMES, type KernelName } from '../../src/kernel/ConvKernel.js'
import type { CompiledConv2D, Conv2DParams } from '../../src/conv/CompiledConv2D.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { left, right } from '../helpers.js'

const spec = (config: object): Conv2DSpec => right(decodeConv2D(config))
const compile = (config: object, inputShape: ReadonlyArray<number>, kernel: KernelName | 'auto' = 'auto'): CompiledConv2D =>
  right(compileConv2D(spec(config), inputShape, { kernel }))
const f32 = (shape: ReadonlyArray<number>, values: ReadonlyArray<number>): Tensor => ({ shape, data: Float32Array.from(values) })
const f64 = (shape: ReadonlyArray<number>, values: ReadonlyArray<number>): Tensor => ({ shape, data: Float64Array.from(values) })
const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from)
const values = (t: Tensor): number[] => Array.from(t.data)

describe('output shapes (reference §8)', () => {
  // [row, config, input shape with batch, expected output shape with batch]
  const rows: ReadonlyArray<readonly [string, object, ReadonlyArray<number>, ReadonlyArray<number>]> = [
    ['#1', { filters: 5, kernel_size: 2 }, [3, 5, 5, 4], [3, 4, 4, 5]],
    ['#2', { filters: 6, kernel_size: 2, padding: 'same', dilation_rate: [2, 2], groups: 2 }, [3, 4, 4, 4], [3, 4, 4, 6]],
    ['#3', { filters: 6, kernel_size: [2, 2], strides: [2, 1], groups: 2 }, [3, 5, 5, 4], [3, 2, 4, 6]],
    ['#4', { filters: 6, kernel_size: 3 }, [1, 5, 5, 4], [1, 3, 3, 6]],
    ['#5', { filters: 6, kernel_size: 2, strides: 2, groups: 2 }, [1, 5, 5, 4], [1, 2, 2, 6]],
    ['#15', { filters: 5, kernel_size: 2 }, [2, 8, 8, 4], [2, 7, 7, 5]],
    ['#16', { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }, [2, 8, 8, 4], [2, 4, 4, 4]],
    ['#17', { filters: 6, kernel_size: 2, padding: 'same', dilation_rate: [2, 2], groups: 2 }, [2, 8, 8, 4], [2, 8, 8, 6]],
    ['#18', { filters: 6, kernel_size: 2, padding: 'same', dilation_rate: [2, 3], groups: 2 }, [2, 8, 8, 4], [2, 8, 8, 6]],
    ['#19', { filters: 6, kernel_size: [4, 3], strides: [2, 1], groups: 2 }, [2, 8, 8, 4], [2, 3, 6, 6]],
    ['#20', { filters: 6, kernel_size: [4, 3], strides: [2, 1], groups: 2, data_format: 'channels_first' }, [2, 8, 8, 4], [2, 6, 3, 2]],
    ['#22', { filters: 1, kernel_size: [3, 3] }, [1, 4, 4, 1], [1, 2, 2, 1]],
    ['#24', { filters: 1, kernel_size: 3, strides: 2 }, [1, 4, 4, 1], [1, 1, 1, 1]],
    ['#25', { filters: 3, kernel_size: 3, strides: 2 }, [1, 4, 4, 3], [1, 1, 1, 3]],
    ['#26', { filters: 3, kernel_size: 3, padding: 'same' }, [1, 4, 4, 3], [1, 4, 4, 3]],
    ['#27', { filters: 2, kernel_size: 2 }, [2, 10, 10, 3], [2, 9, 9, 2]],
    ['#27 cf', { filters: 2, kernel_size: 2, data_format: 'channels_first' }, [2, 3, 10, 10], [2, 2, 9, 9]],
    ['#28', { filters: 2, kernel_size: 2, padding: 'same' }, [2, 10, 10, 3], [2, 10, 10, 2]],
    ['#31', { filters: 2, kernel_size: 3 }, [2, 7, 6, 3], [2, 5, 4, 2]],
    ['#32', { filters: 2, kernel_size: 3, padding: 'same' }, [2, 7, 6, 3], [2, 7, 6, 2]],
    ['#33', { filters: 2, kernel_size: 3, padding: 'same', dilation_rate: 2 }, [2, 7, 6, 3], [2, 7, 6, 2]],
    ['#34', { filters: 2, kernel_size: 3, strides: 2 }, [2, 7, 6, 3], [2, 3, 2, 2]],
    ['#35', { filters: 2, kernel_size: 3, dilation_rate: 2 }, [2, 7, 6, 3], [2, 3, 2, 2]],
    ['#36', { filters: 2, kernel_size: 3, data_format: 'channels_first' }, [2, 7, 6, 3], [2, 2, 4, 1]],
    ['#37', { filters: 6, kernel_size: 3, groups: 3 }, [2, 7, 6, 3], [2, 5, 4, 6]],
    ['#46', { filters: 16, kernel_size: 3, groups: 4, use_bias: false }, [2, 12, 12, 32], [2, 10, 10, 16]],
    ['#47', { filters: 32, kernel_size: 3, groups: 32, use_bias: false }, [1, 27, 27, 32], [1, 25, 25, 32]],
    ['#48', { filters: 1, kernel_size: 3, dilation_rate: 2 }, [1, 7, 6, 2], [1, 3, 2, 1]],
    ['#49', { filters: 1, kernel_size: 3, dilation_rate: 2 }, [1, 6, 5, 2], [1, 2, 1, 1]],
    ['#50', { filters: 1, kernel_size: 3, dilation_rate: 2, padding: 'same' }, [1, 6, 5, 2], [1, 6, 5, 1]],
    ['#52', { filters: 64, kernel_size: [2, 2], strides: [2, 2] }, [2, 11, 9, 16], [2, 5, 4, 64]],
    ['#53', { filters: 1, kernel_size: [2, 2], strides: [2, 2], padding: 'same' }, [2, 11, 9, 16], [2, 6, 5, 1]],
    ['#54', { filters: 1, kernel_size: [3, 4], strides: [3, 4] }, [2, 11, 9, 16], [2, 3, 2, 1]],
    ['#54 same', { filters: 1, kernel_size: [3, 4], strides: [3, 4], padding: 'same' }, [2, 11, 9, 16], [2, 4, 3, 1]],
    ['#55', { filters: 7, kernel_size: [3, 4], strides: [3, 4], padding: 'same', data_format: 'channels_first' }, [2, 16, 11, 9], [2, 7, 4, 3]],
    ['#56', { filters: 1, kernel_size: [2, 2] }, [2, 11, 9, 16], [2, 10, 8, 1]],
    ['#57', { filters: 1, kernel_size: [3, 4], data_format: 'channels_first' }, [2, 16, 11, 9], [2, 1, 9, 6]],
    ['#57 same', { filters: 1, kernel_size: [3, 4], padding: 'same', data_format: 'channels_first' }, [2, 16, 11, 9], [2, 1, 11, 9]]
  ]
  it.each(rows.map((r) => [r[0], r] as const))('%s', (_n, [, config, input, output]) => {
    const layer = compile(config, input.slice(1))
    expect([...layer.outputShape]).toEqual(output.slice(1))
    const x = { shape: input, data: new Float32Array(input.reduce((a, b) => a * b, 1)) }
    expect(layer.forward(layer.init(0), x).shape).toEqual(output)
  })

  it('parameter counts (reference §2.5): Conv2D(32, 3) on 28×28×1 is 320, Conv2D(16, 3, groups=4) on C=32 is 1168', () => {
    expect(compile({ filters: 32, kernel_size: 3 }, [28, 28, 1]).paramCount).toBe(3 * 3 * 1 * 32 + 32)
    expect(compile({ filters: 16, kernel_size: 3, groups: 4 }, [12, 12, 32]).paramCount).toBe(3 * 3 * (32 / 4) * 16 + 16)
    expect(compile({ filters: 16, kernel_size: 3, use_bias: false }, [12, 12, 32]).weightShapes).toEqual({ kernel: [3, 3, 32, 16] })
  })
})

/** A no-bias 1-filter, 1-channel layer with the given HWIO kernel values. */
const singleChannel = (kernel: ReadonlyArray<number>, kh: number, kw: number): Conv2DParams => ({ kernel: f32([kh, kw, 1, 1], kernel) })

describe.each(KERNEL_NAMES.map((k) => [k] as const))('worked examples (%s kernel)', (kernelName) => {
  const V = [10, 30, 50, 70, 20, 40, 60, 80, -10, -30, -50, -70, -20, -40, -60, -80]

  it('V1: 4×4 input, kernel [[1,0],[0,-1]], valid: each output is x[i][j] − x[i+1][j+1]', () => {
    const layer = compile({ filters: 1, kernel_size: 2, use_bias: false }, [4, 4, 1], kernelName)
    const y = layer.forward(singleChannel([1, 0, 0, -1], 2, 2), f32([1, 4, 4, 1], V))
    const x = (i: number, j: number) => V[i * 4 + j] as number
    const expected = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => x(i, j) - x(i + 1, j + 1)))
    expect(expected).toEqual([-30, -30, -30, 50, 90, 130, 30, 30, 30]) // the reference's printed V1
    expect(values(y)).toEqual(expected)
  })

  it('V2: the same with stride 2 keeps outputs (0,0), (0,2), (2,0), (2,2) of V1', () => {
    const layer = compile({ filters: 1, kernel_size: 2, strides: 2, use_bias: false }, [4, 4, 1], kernelName)
    expect(values(layer.forward(singleChannel([1, 0, 0, -1], 2, 2), f32([1, 4, 4, 1], V)))).toEqual([-30, -30, 30, 30])
  })

  it('V3: same padding adds one zero row and column at the bottom/right (pad (0, 1))', () => {
    const layer = compile({ filters: 1, kernel_size: 2, padding: 'same', use_bias: false }, [4, 4, 1], kernelName)
    const x = (i: number, j: number) => (i < 4 && j < 4 ? (V[i * 4 + j] as number) : 0)
    const expected = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => x(i, j) - x(i + 1, j + 1)))
    expect(values(layer.forward(singleChannel([1, 0, 0, -1], 2, 2), f32([1, 4, 4, 1], V)))).toEqual(expected)
  })

  it('V4: channels_first, 2×2 ones, stride 2: sums of 2×2 blocks; bias 1 adds 1; relu zeroes negatives', () => {
    const blocks = [10 + 30 + 20 + 40, 50 + 70 + 60 + 80, -10 - 30 - 20 - 40, -50 - 70 - 60 - 80]
    expect(blocks).toEqual([100, 260, -100, -260])
    const base = { filters: 1, kernel_size: 2, strides: 2, data_format: 'channels_first' }
    const ones = f32([2, 2, 1, 1], [1, 1, 1, 1])
    const x = f32([1, 1, 4, 4], V)
    const noBias = compile({ ...base, use_bias: false }, [1, 4, 4], kernelName)
    expect(values(noBias.forward({ kernel: ones }, x))).toEqual(blocks)
    const withBias = compile(base, [1, 4, 4], kernelName)
    expect(values(withBias.forward({ kernel: ones, bias: f32([1], [1]) }, x))).toEqual(blocks.map((b) => b + 1))
    const relu = compile({ ...base, activation: 'relu' }, [1, 4, 4], kernelName)
    expect(values(relu.forward({ kernel: ones, bias: f32([1], [0]) }, x))).toEqual([100, 260, 0, 0])
  })

  it('V5: dilation 2 with a 2×2 ones kernel sums x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2]', () => {
    const X = [
      0.89240986, 0.54892443, 0.24670805, 0.03983783, 0.56602233, 0.21421895, 0.58529864, 0.60060781, 0.66895784, 0.08855761,
      0.56657235, 0.25803428, 0.17971111, 0.65166403, 0.70492866, 0.46641512, 0.05765411, 0.52517211, 0.62557303, 0.30612501,
      0.8406994, 0.56932724, 0.96028134, 0.34666753, 0.04458038
    ]
    const layer = compile({ filters: 1, kernel_size: 2, dilation_rate: 2, use_bias: false }, [5, 5, 1], kernelName)
    const y = values(layer.forward(singleChannel([1, 1, 1, 1], 2, 2), f32([1, 5, 5, 1], X)))
    const printed = [1.8854014, 1.4984605, 1.6973702, 1.8064139, 1.9374835, 1.5204625, 2.547264, 1.8256931, 1.8895016]
    y.forEach((v, i) => expect(v).toBeCloseTo(printed[i] as number, 6))
  })

  it('V6: 1..16, 2×2 ones, same, stride 1', () => {
    const layer = compile({ filters: 1, kernel_size: 2, padding: 'same', use_bias: false }, [4, 4, 1], kernelName)
    const y = values(layer.forward(singleChannel([1, 1, 1, 1], 2, 2), f32([1, 4, 4, 1], range(16))))
    // row 0: 1+2+5+6, 2+3+6+7, 3+4+7+8, 4+8 (right column padded); last row: 13+14, 14+15, 15+16, 16
    expect(y).toEqual([14, 18, 22, 12, 30, 34, 38, 20, 46, 50, 54, 28, 27, 29, 31, 16])
  })

  it('V7: 1..25, 3×3 ones, same, stride 2 (pad 1 on each side)', () => {
    const layer = compile({ filters: 1, kernel_size: 3, padding: 'same', strides: 2, use_bias: false }, [5, 5, 1], kernelName)
    const y = values(layer.forward(singleChannel(Array(9).fill(1), 3, 3), f32([1, 5, 5, 1], range(25))))
    // (0,0) covers rows 0-1, cols 0-1 of 1..25: 1+2+6+7 = 16; (1,1) covers rows 1-3, cols 1-3: 7+8+9+12+13+14+17+18+19 = 117
    expect(y).toEqual([16, 33, 28, 69, 117, 87, 76, 123, 88])
  })

  it('V8: 1..36, 3×3 ones, same, stride 2 (pad 0 before, 1 after)', () => {
    const layer = compile({ filters: 1, kernel_size: 3, padding: 'same', strides: 2, use_bias: false }, [6, 6, 1], kernelName)
    const y = values(layer.forward(singleChannel(Array(9).fill(1), 3, 3), f32([1, 6, 6, 1], range(36))))
    // (0,0) covers rows 0-2, cols 0-2: 1+2+3+7+8+9+13+14+15 = 72; (2,2) covers rows 4-5, cols 4-5: 29+30+35+36 = 130
    expect(y).toEqual([72, 90, 69, 180, 198, 141, 174, 186, 130])
  })

  it('V9: groups 2: group 0 sees inputs 1,2 with kernel column 0, group 1 sees 3,4 with column 1', () => {
    const layer = compile({ filters: 2, kernel_size: 1, groups: 2, use_bias: false }, [1, 1, 4], kernelName)
    // HWIO kernel (1, 1, 2, 2), K[0,0,q,f]: [[1, 10], [100, 1000]]
    const y = values(layer.forward({ kernel: f32([1, 1, 2, 2], [1, 10, 100, 1000]) }, f32([1, 1, 1, 4], [1, 2, 3, 4])))
    expect(y).toEqual([1 * 1 + 2 * 100, 3 * 10 + 4 * 1000])
  })

  it('V10: channels_first 1×1 kernel of ones (2 → 3 filters) with bias [0.5, −1, 2]', () => {
    const layer = compile({ filters: 3, kernel_size: 1, data_format: 'channels_first' }, [2, 2, 2], kernelName)
    const y = values(layer.forward({ kernel: f32([1, 1, 2, 3], Array(6).fill(1)), bias: f32([3], [0.5, -1, 2]) }, f32([1, 2, 2, 2], range(8))))
    const sums = [1 + 5, 2 + 6, 3 + 7, 4 + 8]
    expect(y).toEqual([...sums.map((s) => s + 0.5), ...sums.map((s) => s - 1), ...sums.map((s) => s + 2)])
  })

  it('3×3 input, 2×2 kernel, same, stride 2, channels_first, bias 0.5 (derived by hand)', () => {
    // L = 3, s = 2: out = ceil(3/2) = 2; pad total = (2−1)·2 + 2 − 3 = 1 → 0 before, 1 after (bottom/right).
    // x = [[1,2,3],[4,5,6],[7,8,9]], K = [[1,10],[100,1000]]
    const layer = compile({ filters: 1, kernel_size: 2, strides: 2, padding: 'same', data_format: 'channels_first' }, [1, 3, 3], kernelName)
    const y = values(layer.forward({ kernel: f32([2, 2, 1, 1], [1, 10, 100, 1000]), bias: f32([1], [0.5]) }, f32([1, 1, 3, 3], range(9))))
    expect(y).toEqual([
      1 * 1 + 2 * 10 + 4 * 100 + 5 * 1000 + 0.5, // rows 0-1, cols 0-1
      3 * 1 + 6 * 100 + 0.5, // rows 0-1, col 2 and the padded col 3
      7 * 1 + 8 * 10 + 0.5, // row 2 and the padded row 3, cols 0-1
      9 * 1 + 0.5 // the bottom-right corner
    ])
  })

  it('float64 layers compute in Float64Array', () => {
    const layer = compile({ filters: 1, kernel_size: 1, dtype: 'float64', use_bias: false }, [1, 2, 1], kernelName)
    const y = layer.forward({ kernel: f64([1, 1, 1, 1], [0.1]) }, f64([1, 1, 2, 1], [0.2, 0.3]))
    expect(y.data).toBeInstanceOf(Float64Array)
    expect(values(y)).toEqual([0.1 * 0.2, 0.1 * 0.3])
  })

  it('softmax acts along the last axis: channels for channels_last, width for channels_first (as Keras)', () => {
    // identity 1×1 kernel on 2 channels, input 1×2 spatial
    const cl = compile({ filters: 2, kernel_size: 1, activation: 'softmax', use_bias: false }, [1, 2, 2], kernelName)
    const ycl = values(cl.forward({ kernel: f32([1, 1, 2, 2], [1, 0, 0, 1]) }, f32([1, 1, 2, 2], [0, Math.log(3), 1, 1])))
    // pixel 0: softmax([0, ln 3]) = [1/4, 3/4]; pixel 1: softmax([1, 1]) = [1/2, 1/2]
    ;[0.25, 0.75, 0.5, 0.5].forEach((v, i) => expect(ycl[i]).toBeCloseTo(v, 6))
    const cf = compile({ filters: 2, kernel_size: 1, activation: 'softmax', use_bias: false, data_format: 'channels_first' }, [2, 1, 2], kernelName)
    // NCHW input: channel 0 = [0, ln 3], channel 1 = [1, 1]; softmax over width within each channel
    const ycf = values(cf.forward({ kernel: f32([1, 1, 2, 2], [1, 0, 0, 1]) }, f32([1, 2, 1, 2], [0, Math.log(3), 1, 1])))
    ;[0.25, 0.75, 0.5, 0.5].forEach((v, i) => expect(ycf[i]).toBeCloseTo(v, 6))
  })
})

describe('compile-time errors', () => {
  const errs = (config: object, inputShape: unknown) => left(compileConv2D(spec(config), inputShape as ReadonlyArray<number>))
  it('wrong rank', () => {
    expect(errs({ filters: 1, kernel_size: 2 }, [5, 1]).map((e) => e.path)).toEqual(['inputShape'])
    const withBatch = errs({ filters: 1, kernel_size: 2 }, [1, 5, 5, 1])
    expect(withBatch[0]?.message).toContain('drop the batch axis')
  })
  it('non-positive and non-integer dims, each at its index', () => {
    expect(errs({ filters: 1, kernel_size: 2 }, [0, 5.5, 1]).map((e) => e.path)).toEqual(['inputShape[0]', 'inputShape[1]'])
  })
  it('ref #45: input channels not divisible by groups, at the channel axis', () => {
    const e = errs({ filters: 16, kernel_size: 3, groups: 4 }, [12, 12, 3])
    expect(e.map((x) => x.path)).toEqual(['inputShape[2]'])
    expect(e[0]?.message).toContain('divisible by groups 4, found 3 channels')
    expect(errs({ filters: 4, kernel_size: 3, groups: 4, data_format: 'channels_first' }, [6, 12, 12]).map((x) => x.path)).toEqual(['inputShape[0]'])
  })
  it('ref #13, #14, #42, #70, #71: a valid window larger than the (dilated) input, naming axis and sizes', () => {
    const e13 = errs({ filters: 1, kernel_size: 2, dilation_rate: 10 }, [10, 10, 3])
    expect(e13.map((x) => x.path)).toEqual(['inputShape[0]', 'inputShape[1]'])
    expect(e13[0]?.message).toContain('input rows 10 < effective kernel size 11')
    expect(errs({ filters: 6, kernel_size: 5 }, [4, 4, 4]).length).toBe(2)
    expect(errs({ filters: 2, kernel_size: 20 }, [5, 5, 2])[0]?.message).toContain('output of -14')
    expect(errs({ filters: 2, kernel_size: 3 }, [2, 2, 3])[0]?.message).toContain('output of 0')
    expect(errs({ filters: 2, kernel_size: 3, strides: 2 }, [1, 1, 3])[0]?.message).toContain('input rows 1 < effective kernel size 3')
    expect(errs({ filters: 2, kernel_size: [1, 3] }, [5, 2, 3]).map((x) => x.path)).toEqual(['inputShape[1]'])
  })
  it('same padding never fails on size', () => {
    expect(E.isRight(compileConv2D(spec({ filters: 1, kernel_size: 9, padding: 'same' }), [1, 1, 1]))).toBe(true)
  })
  it('sizes no typed array can hold are compile errors, before any allocation', () => {
    expect(errs({ filters: 2 ** 31, kernel_size: 1 }, [1, 1, 1]).map((x) => x.path)).toEqual(['kernel_size', 'filters'])
    expect(errs({ filters: 4096, kernel_size: 1 }, [1024, 1024, 1])[0]?.message).toContain('more than a typed array can hold')
  })
  it('identity initializer on a 4-D kernel, as in Keras', () => {
    const e = errs({ filters: 1, kernel_size: 2, kernel_initializer: 'identity' }, [4, 4, 1])
    expect(e.map((x) => x.path)).toEqual(['kernel_initializer'])
    expect(e[0]?.message).toContain('can only be used for 2D matrices')
  })
  it('dtypes without a typed array, LoRA, and constraint axes out of range', () => {
    expect(errs({ filters: 1, kernel_size: 2, dtype: 'float16' }, [4, 4, 1]).map((x) => x.path)).toEqual(['dtype'])
    expect(errs({ filters: 1, kernel_size: 2, lora_rank: 2 }, [4, 4, 1]).map((x) => x.path)).toEqual(['lora_rank'])
    const c = errs({ filters: 1, kernel_size: 2, bias_constraint: { class_name: 'MaxNorm', config: { axis: 1 } } }, [4, 4, 1])
    expect(c.map((x) => x.path)).toEqual(['bias_constraint'])
  })
  it("uses the spec's declared input shape, and rejects a different one", () => {
    const s = spec({ filters: 1, kernel_size: 2, batch_input_shape: [null, 4, 4, 1] })
    expect(right(compileConv2D(s)).outputShape).toEqual([3, 3, 1])
    expect(left(compileConv2D(s, [5, 5, 1]))[0]?.message).toContain('disagrees')
    expect(left(compileConv2D(spec({ filters: 1, kernel_size: 2 })))[0]?.path).toBe('inputShape')
    expect(left(compileConv2D(spec({ filters: 1, kernel_size: 2, batch_input_shape: [null, null, 4, 1] })))[0]?.path).toBe('inputShape[0]')
  })
})

describe('forward: bad tensors get a clear error before any work', () => {
  const layer = compile({ filters: 2, kernel_size: 3 }, [5, 5, 3])
  const params = layer.init(1)
  const x = { shape: [2, 5, 5, 3], data: new Float32Array(150) }
  const cases: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['wrong rank', () => layer.forward(params, { shape: [5, 5, 3], data: new Float32Array(75) }), 'x.shape: expected rank 4 [?, 5, 5, 3], found rank 3'],
    ['wrong channels', () => layer.forward(params, { shape: [1, 5, 5, 4], data: new Float32Array(100) }), 'x.shape[3]: expected 3'],
    ['wrong length', () => layer.forward(params, { shape: [2, 5, 5, 3], data: new Float32Array(149) }), 'x.data: expected 150 values'],
    ['Int32Array', () => layer.forward(params, { shape: [2, 5, 5, 3], data: new Int32Array(150) as never }), 'x.data: expected a Float32Array (the layer\'s dtype is float32), found Int32Array'],
    ['Float64Array on a float32 layer', () => layer.forward(params, { shape: [2, 5, 5, 3], data: new Float64Array(150) }), 'found Float64Array'],
    ['batch 0', () => layer.forward(params, { shape: [0, 5, 5, 3], data: new Float32Array(0) }), 'x.shape[0]: expected a positive integer'],
    ['kernel of the wrong shape', () => layer.forward({ ...params, kernel: { shape: [3, 3, 2, 2], data: new Float32Array(36) } }, x), 'params.kernel.shape[2]: expected 3'],
    ['missing bias', () => layer.forward({ kernel: params.kernel }, x), 'params.bias'],
    ['not a tensor', () => layer.forward(params, null as never), 'x: expected a tensor']
  ]
  it.each(cases.map((c) => [c[0], c] as const))('%s', (_n, [, call, message]) => {
    expect(call).toThrow(TypeError)
    expect(call).toThrow(message)
  })
  it('run returns the same problems as values', () => {
    const r = layer.run(params, { shape: [1, 5, 5, 4], data: new Float32Array(100) })
    expect(left(r).map((e) => e.path)).toEqual(['x.shape[3]'])
    expect(E.isRight(layer.run(params, x))).toBe(true)
  })
  it('an extra bias on a use_bias=false layer is an error', () => {
    const nb = compile({ filters: 2, kernel_size: 3, use_bias: false }, [5, 5, 3])
    expect(() => nb.forward(params, x)).toThrow('params.bias: expected no bias')
  })
})

describe('purity and determinism', () => {
  const layer = compile({ filters: 4, kernel_size: 3, padding: 'same', activation: 'tanh', kernel_constraint: 'unit_norm', bias_constraint: 'non_neg' }, [6, 5, 2])
  const bytes = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer.slice(0))

  it('forward, init and constrain leave inputs and params byte-for-byte unchanged; outputs are bit-identical', () => {
    const params = layer.init(7)
    const x = { shape: [3, 6, 5, 2], data: Float32Array.from({ length: 180 }, (_, i) => Math.sin(i)) }
    const before = [bytes(x), bytes(params.kernel), bytes(params.bias as Tensor)]
    const y1 = layer.forward(params, x)
    const y2 = layer.forward(params, x)
    const constrained = layer.constrain(params)
    layer.regularization(params)
    layer.activityRegularization(y1)
    expect([bytes(x), bytes(params.kernel), bytes(params.bias as Tensor)]).toEqual(before)
    expect(bytes(y1)).toEqual(bytes(y2))
    expect(constrained.kernel.data).not.toBe(params.kernel.data)
  })

  it('init is deterministic in its seed and independent of call order', () => {
    const a = layer.init(3)
    layer.init(4)
    const b = layer.init(3)
    expect(bytes(a.kernel)).toEqual(bytes(b.kernel))
    expect(bytes(layer.init(3).kernel)).not.toEqual(bytes(layer.init(4).kernel))
  })

  it('the compiled layer is frozen', () => {
    expect(Object.isFrozen(layer)).toBe(true)
    expect(Object.isFrozen(layer.geometry)).toBe(true)
  })
})

describe('regularization and activity regularization (reference §6, §11.3)', () => {
  it('kernel + bias penalties, by hand', () => {
    const layer = compile({ filters: 1, kernel_size: 1, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.5, l2: 2 } }, bias_regularizer: 'l1' }, [1, 1, 2])
    const p = { kernel: f32([1, 1, 2, 1], [1, -3]), bias: f32([1], [-4]) }
    // kernel: 0.5·(1 + 3) + 2·(1 + 9) = 22; bias: 0.01·4 = 0.04
    expect(layer.regularization(p)).toBeCloseTo(22.04, 6)
  })
  it('the activity penalty is summed over the output and divided by the batch size', () => {
    const layer = compile({ filters: 1, kernel_size: 1, activity_regularizer: { class_name: 'L2', config: { l2: 0.1 } }, use_bias: false }, [1, 2, 1])
    const y = layer.forward({ kernel: f32([1, 1, 1, 1], [1]) }, f32([2, 1, 2, 1], [1, 2, 3, 4]))
    // 0.1·(1 + 4 + 9 + 16) / 2 = 1.5
    expect(layer.activityRegularization(y)).toBeCloseTo(1.5, 6)
    expect(compile({ filters: 1, kernel_size: 1 }, [1, 2, 1]).activityRegularization(y)).toBe(0)
  })
})
