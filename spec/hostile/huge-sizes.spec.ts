/**
 * Sizes no typed array can hold, found by the fuzz suite (properties/fuzz.prop.ts): a mutated real file
 * whose numbers stay legal Keras but make a tensor larger than 2³¹ − 1 elements must give an error at
 * compile time, never a `RangeError` thrown from `compileModel`, `init` or `forward`; and a Conv2D
 * whose dilation reaches far beyond its image runs (on the direct kernel) instead of allocating a
 * padded copy of billions of zeros.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { MAX_ELEMENTS } from '../../src/geometry/ConvGeometry.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModel } from '../../src/model/decodeModel.js'
import { errorProblems } from '../../properties/hostile.js'
import { left, readShared, right } from '../helpers.js'

const sequential = (inputShape: ReadonlyArray<number>, ...layers: ReadonlyArray<{ class_name: string; config: Record<string, unknown> }>): unknown => ({
  class_name: 'Sequential',
  config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, ...inputShape], name: 'in' } }, ...layers] },
  keras_version: '2.15.0'
})

/** compileModel's errors for a model, checked for the rules every error follows (and that it does not throw). */
const compileErrors = (json: unknown): ReadonlyArray<string> => {
  const errors = left(compileModel(right(decodeModel(json))))
  expect(errorProblems(errors)).toEqual([])
  return errors.map((e) => `${e.path}: ${e.message}`)
}

describe('outputs and weights beyond a typed array: compile errors, not RangeErrors', () => {
  it('UpSampling2D with size 2147483648 (the shared C.json autoencoder, mutated): the layer\'s output is too large', () => {
    const json = readShared('real-keras-models/C.json') as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
    const up = json.config.layers.find((l) => l.class_name === 'UpSampling2D') as { config: Record<string, unknown> }
    up.config['size'] = [2 ** 31, 2]
    const errors = compileErrors(json)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^layers\[\d+\]: layer "up_sampling2d_1" \(UpSampling2D\): one sample's output \[8589934592,8,8\] has 549755813888 elements, more than a typed array can hold \(at most 2147483647\)$/)
  })

  it('ZeroPadding2D of 1e9 rows: the output is too large', () => {
    const errors = compileErrors(sequential([4, 4, 1], { class_name: 'ZeroPadding2D', config: { name: 'pad', padding: [[1e9, 1e9], [0, 0]] } }))
    expect(errors).toEqual([`layers[1]: layer "pad" (ZeroPadding2D): one sample's output [2000000004,4,1] has 8000000016 elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`])
  })

  it('Dense with 2^31 units: the kernel is too large (compile fails instead of init throwing)', () => {
    const errors = compileErrors(sequential([4], { class_name: 'Dense', config: { name: 'd', units: 2 ** 31 } }))
    expect(errors).toContain(`: weight "d/kernel" [4,2147483648] has 8589934592 elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`)
    expect(errors).toContain(`: weight "d/bias" [2147483648] has 2147483648 elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`)
  })

  it('Flatten of an input of 2^31 elements into a Dense: the Flatten output is too large', () => {
    const errors = compileErrors(sequential([2 ** 16, 2 ** 15, 1], { class_name: 'Flatten', config: { name: 'f' } }))
    expect(errors).toEqual([`layers[1]: layer "f" (Flatten): one sample's output [2147483648] has 2147483648 elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`])
  })

  it('just below the limit still compiles (no allocation at compile time)', () => {
    const m = right(compileModel(right(decodeModel(sequential([4, 4, 1], { class_name: 'ZeroPadding2D', config: { name: 'pad', padding: [[0, 2 ** 27 - 4], [0, 0]] } })))))
    expect(m.outputShapes).toEqual([[2 ** 27, 4, 1]])
  })
})

describe('a dilation far beyond the image, with same padding', () => {
  it.each([
    ['2^31', 2 ** 31],
    ['1e6', 1e6]
  ])('dilation_rate %s: runs on the direct kernel, equal to the reference kernel', (_label, dilation) => {
    const spec = right(decodeConv2D({ filters: 3, kernel_size: 3, padding: 'same', dilation_rate: [dilation, 1], use_bias: true, bias_initializer: 'ones' }))
    const layer = right(compileConv2D(spec, [5, 6, 2]))
    expect(layer.kernel).toBe('direct')
    const reference = right(compileConv2D(spec, [5, 6, 2], { kernel: 'reference' }))
    const params = layer.init(5)
    const x = { shape: [2, 5, 6, 2], data: new Float32Array(2 * 5 * 6 * 2).map((_, i) => Math.cos(i)) }
    const y = layer.forward(params, x)
    expect(y.shape).toEqual([2, 5, 6, 3])
    expect(Array.from(y.data)).toEqual(Array.from(reference.forward(params, x).data))
    // Only the centre row of taps reads the image: the rows above and below fall in the padding.
    const rows = right(compileConv2D(right(decodeConv2D({ filters: 3, kernel_size: [1, 3], padding: 'same', use_bias: true, bias_initializer: 'ones' })), [5, 6, 2], { kernel: 'reference' }))
    const kernel = params.kernel.data
    const centre = new Float32Array(3 * 2 * 3)
    // HWIO [3, 3, 2, 3] → its middle row [1, 3, 2, 3]
    for (let i = 0; i < centre.length; i++) centre[i] = kernel[1 * 3 * 2 * 3 + i] as number
    const expected = rows.forward({ kernel: { shape: [1, 3, 2, 3], data: centre }, bias: params.bias }, x)
    const got = Array.from(y.data)
    Array.from(expected.data).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5))
  })

  it.each(['js-tiled', 'wasm-tiled', 'js-im2col', 'js-depthwise'] as const)('a fast kernel named by the caller (%s) is refused at compile time, naming "direct"', (kernel) => {
    const spec = right(decodeConv2D({ filters: 3, kernel_size: 3, padding: 'same', dilation_rate: [2 ** 31, 1] }))
    const errors = left(compileConv2D(spec, [5, 6, 2], { kernel }))
    expect(errors.map((e) => e.path)).toEqual(['options.kernel'])
    expect(errors[0]?.message).toContain(`kernel "${kernel}" reads a zero-padded copy of the input`)
    expect(errors[0]?.message).toContain('name "direct" or leave the kernel to "auto"')
    expect(right(compileConv2D(spec, [5, 6, 2], { kernel: 'direct' })).kernel).toBe('direct')
  })

  it('in a model: the shared C.json autoencoder with dilation_rate 2147483648 compiles and runs', () => {
    const json = readShared('real-keras-models/C.json') as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
    const conv = json.config.layers.filter((l) => l.class_name === 'Conv2D')[2] as { config: Record<string, unknown> }
    conv.config['dilation_rate'] = [1, 2 ** 31]
    const m = right(compileModel(right(decodeModel(json))))
    const y = m.forward(m.init(1), [{ shape: [1, 28, 28, 1], data: new Float32Array(28 * 28) }])
    expect(y[0]?.shape).toEqual([1, 28, 28, 1])
    expect(E.isRight(m.run(m.init(1), [{ shape: [1, 28, 28, 1], data: new Float32Array(28 * 28) }]))).toBe(true)
  })
})
