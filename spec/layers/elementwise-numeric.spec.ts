/**
 * Worked numeric examples for the elementwise / merge layer kinds, the expected values derived by hand
 * here (or quoted from Keras's docstrings), plus purity: forward never writes into its arguments and
 * always returns a new buffer of the compile dtype.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { left, right } from '../helpers.js'
import { close, infer, kindOf, run, spec } from './elementwise-helpers.js'

const t = (shape: ReadonlyArray<number>, data: ReadonlyArray<number>) => ({ shape, data })

describe('ReLU', () => {
  it("matches Keras's docstring example (max_value 10, negative_slope 0.5)", () => {
    const s = spec('ReLU', { max_value: 10, negative_slope: 0.5, threshold: 0 })
    expect(Array.from(run('ReLU', s, [t([5], [-10, -5, 0, 5, 10])]).data)).toEqual([-5, -2.5, 0, 5, 10])
  })

  it('plain, capped at 6, and leaky without a cap', () => {
    expect(Array.from(run('ReLU', spec('ReLU', {}), [t([4], [-2, -0.5, 0, 3])]).data)).toEqual([0, 0, 0, 3])
    expect(Array.from(run('ReLU', spec('ReLU', { max_value: 6 }), [t([4], [-1, 3, 6, 7])]).data)).toEqual([0, 3, 6, 6])
    expect(Array.from(run('ReLU', spec('ReLU', { negative_slope: 0.25 }), [t([3], [-4, 0, 2])]).data)).toEqual([-1, 0, 2])
  })

  it('with a threshold: x > t keeps x (capped), x ≤ t gives slope·(x − t), and x = t gives 0', () => {
    // threshold 1, slope 0.5, max 3:
    //  -1 → 0.5·(−1 − 1) = −1;  0.5 → 0.5·(0.5 − 1) = −0.25;  1 → 0 (Keras tests x > t);  2 → 2;  5 → 3
    const s = spec('ReLU', { threshold: 1, negative_slope: 0.5, max_value: 3 })
    expect(Array.from(run('ReLU', s, [t([5], [-1, 0.5, 1, 2, 5])]).data)).toEqual([-1, -0.25, 0, 2, 3])
    // threshold 2 without slope: values at or below 2 are 0
    expect(Array.from(run('ReLU', spec('ReLU', { threshold: 2 }), [t([4], [-3, 2, 2.5, 9])]).data)).toEqual([0, 0, 2.5, 9])
  })

  it('compares against the constants rounded to float32 when computing in float32', () => {
    // float32(0.1) = 0.10000000149…: an input of float32(0.1) is not greater than the float32 threshold
    const s = spec('ReLU', { threshold: 0.1 })
    expect(Array.from(run('ReLU', s, [t([2], [0.1, 0.2])], [], 'float32').data)).toEqual([0, Math.fround(0.2)])
  })
})

describe('LeakyReLU', () => {
  it('x > 0 ? x : slope·x', () => {
    expect(Array.from(run('LeakyReLU', spec('LeakyReLU', {}), [t([3], [-10, 0, 2])]).data)).toEqual([-3, 0, 2])
    expect(Array.from(run('LeakyReLU', spec('LeakyReLU', { alpha: 0.5 }, { dialect: 'keras2' }), [t([2], [-4, 4])]).data)).toEqual([-2, 4])
  })
})

describe('Activation', () => {
  it('softmax along the last axis: e^x / Σ e^x', () => {
    const r = run('Activation', spec('Activation', { activation: 'softmax' }), [t([2, 3], [1, 2, 1, 0, 0, 0])])
    const d = 2 * Math.E + Math.E * Math.E
    close(r.data, [Math.E / d, (Math.E * Math.E) / d, Math.E / d, 1 / 3, 1 / 3, 1 / 3])
    // Keras's docstring: [0.21194157, 0.5761169, 0.21194157]
    close(r.data.subarray(0, 3), [0.21194157, 0.5761169, 0.21194157], 1e-7)
  })

  it('elementwise activations, and the dialect of hard_sigmoid', () => {
    close(run('Activation', spec('Activation', { activation: 'tanh' }), [t([2, 1], [0, 1])]).data, [0, Math.tanh(1)])
    // tf.keras: clip(0.2x + 0.5, 0, 1); Keras 3: clip(x/6 + 0.5, 0, 1)
    close(run('Activation', spec('Activation', { activation: 'hard_sigmoid' }, { dialect: 'keras2' }), [t([1, 2], [1, 3])]).data, [0.7, 1])
    close(run('Activation', spec('Activation', { activation: 'hard_sigmoid' }), [t([1, 2], [1, 3])]).data, [1 / 6 + 0.5, 1])
  })

  it('Keras 3 applies softmax across the batch on a rank-1 input', () => {
    close(run('Activation', spec('Activation', { activation: 'softmax' }), [t([2], [0, Math.log(3)])]).data, [0.25, 0.75])
  })
})

describe('Softmax', () => {
  const x = [1, 2, 3, 4] // shape [1, 2, 2]: [[1, 2], [3, 4]]
  const s2 = 1 + Math.exp(2)

  it('along the last axis (default): rows [1, 2] and [3, 4]', () => {
    const e1 = 1 / (1 + Math.E)
    close(run('Softmax', spec('Softmax', {}), [t([1, 2, 2], x)]).data, [e1, 1 - e1, e1, 1 - e1])
  })

  it('along axis 1: columns (1, 3) and (2, 4)', () => {
    close(run('Softmax', spec('Softmax', { axis: 1 }), [t([1, 2, 2], x)]).data, [1 / s2, 1 / s2, Math.exp(2) / s2, Math.exp(2) / s2])
  })

  it('over axes [1, 2]: exp(x − logsumexp) over all four', () => {
    const z = Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4)
    close(run('Softmax', spec('Softmax', { axis: [1, 2] }), [t([1, 2, 2], x)]).data, x.map((v) => Math.exp(v) / z))
  })

  it('over the batch axis (axis 0) and mixed axes [0, -1]', () => {
    // shape [2, 2]: [[0, 1], [2, 3]]; axis 0 pairs (0, 2) and (1, 3)
    const a = 1 / (1 + Math.exp(2))
    close(run('Softmax', spec('Softmax', { axis: 0 }), [t([2, 2], [0, 1, 2, 3])]).data, [a, a, 1 - a, 1 - a])
    const z = 1 + Math.E + Math.exp(2) + Math.exp(3)
    close(run('Softmax', spec('Softmax', { axis: [0, -1] }), [t([2, 2], [0, 1, 2, 3])]).data, [0, 1, 2, 3].map((v) => Math.exp(v) / z))
  })

  it('is stable for large inputs', () => {
    close(run('Softmax', spec('Softmax', {}), [t([1, 2], [1000, 1000])]).data, [0.5, 0.5])
  })
})

describe('identity at inference', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, 'keras2' | 'keras3']> = [
    ['Dropout', { rate: 0.9 }, 'keras3'],
    ['SpatialDropout2D', { rate: 0.5 }, 'keras2'],
    ['RandomFlip', {}, 'keras3'],
    ['RandomRotation', { factor: 0.5 }, 'keras2'],
    ['RandomZoom', { height_factor: 0.5 }, 'keras3'],
    ['RandomTranslation', { height_factor: 0.5, width_factor: 0.5 }, 'keras3'],
    ['RandomContrast', { factor: 0.5 }, 'keras2'],
    ['RandomBrightness', { factor: 0.5 }, 'keras3'],
    ['RandomHeight', { factor: 0.5 }, 'keras2'],
    ['RandomWidth', { factor: 0.5 }, 'keras2']
  ]
  it.each(cases)('%s returns a copy of its input', (cls, config, dialect) => {
    const data = Float32Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => i - 5.5)
    const x = { shape: [2, 2, 3, 2], data }
    const before = data.slice()
    const y = run(cls, spec(cls, config, { dialect }), [x], [], 'float32')
    expect(y.shape).toEqual([2, 2, 3, 2])
    expect(y.data).toBeInstanceOf(Float32Array)
    expect(Array.from(y.data)).toEqual(Array.from(before))
    expect(Array.from(data)).toEqual(Array.from(before))
    expect(y.data).not.toBe(data)
  })

  it('single-input layers never write into their input', () => {
    const layers: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ['Activation', { activation: 'softmax' }],
      ['ReLU', { negative_slope: 0.1, threshold: 0.5 }],
      ['LeakyReLU', {}],
      ['Softmax', { axis: [1, 2] }],
      ['Rescaling', { scale: 2, offset: 1 }]
    ]
    for (const [cls, config] of layers) {
      const data = Float64Array.of(-1, 2, -3, 4)
      const y = run(cls, spec(cls, config), [{ shape: [1, 2, 2], data }])
      expect(Array.from(data)).toEqual([-1, 2, -3, 4])
      expect(y.data).not.toBe(data)
    }
    const data = Float64Array.of(-1, 2)
    run('BatchNormalization', spec('BatchNormalization', {}), [{ shape: [1, 2], data }], [t([2], [1, 1]), t([2], [0, 0]), t([2], [0, 0]), t([2], [1, 1])])
    expect(Array.from(data)).toEqual([-1, 2])
  })
})

describe('Rescaling', () => {
  it('x · scale + offset: [0, 255] → [-1, 1] with scale 1/127.5 and offset -1', () => {
    close(run('Rescaling', spec('Rescaling', { scale: 1 / 127.5, offset: -1 }), [t([3], [0, 127.5, 255])]).data, [-1, 0, 1])
  })

  it('list scale and offset broadcast over the last axis', () => {
    // [[1, 1, 1], [2, 2, 2]] · [1, 2, 3] + [0, 0, 1] = [[1, 2, 4], [2, 4, 7]]
    const s = spec('Rescaling', { scale: [1, 2, 3], offset: [0, 0, 1] })
    expect(Array.from(run('Rescaling', s, [t([1, 2, 3], [1, 1, 1, 2, 2, 2])]).data)).toEqual([1, 2, 4, 2, 4, 7])
  })

  it('a Keras 3 list scale under channels_first scales axis -3 (the offset still broadcasts over the last axis)', () => {
    // input [1, 3, 1, 2]: channel c holds [c+1, c+1]; scale [1, 2, 3] per channel; offset [10, 20] per column
    const s = spec('Rescaling', { scale: [1, 2, 3], offset: [10, 20] }, { imageDataFormat: 'channels_first' })
    expect(Array.from(run('Rescaling', s, [t([1, 3, 1, 2], [1, 1, 2, 2, 3, 3])]).data)).toEqual([11, 21, 14, 24, 19, 29])
  })
})

describe('BatchNormalization', () => {
  it('gamma · (x − mean) / √(var + ε) + beta per channel (Keras 3: ε as given)', () => {
    // channels last, 2 channels; ε = 0: channel 0 → 2·(x − 3)/2 + 1, channel 1 → 0.5·(x + 1)/1 − 2
    const s = spec('BatchNormalization', { epsilon: 0 })
    const w = [t([2], [2, 0.5]), t([2], [1, -2]), t([2], [3, -1]), t([2], [4, 1])]
    const y = run('BatchNormalization', s, [t([2, 2], [5, 1, 3, -3])], w)
    expect(Array.from(y.data)).toEqual([3, -1, 1, -3])
  })

  it('normalizes axis 1 of a channels_first input, without gamma (scale=False)', () => {
    // [1, 2, 1, 2]: channel 0 = [1, 3] with mean 1, var 4 → (x − 1)/2 + 10; channel 1 = [0, 0] with mean −2, var 1 → x + 2
    const s = spec('BatchNormalization', { axis: 1, scale: false, epsilon: 0 })
    const w = [t([2], [10, 0]), t([2], [1, -2]), t([2], [4, 1])]
    expect(Array.from(run('BatchNormalization', s, [t([1, 2, 1, 2], [1, 3, 0, 0])], w).data)).toEqual([10, 11, 2, 2])
  })

  it('normalizes a middle axis (axis 2 of a rank-4 input): each (row, col) pair by its column statistics', () => {
    // [1, 2, 2, 2], axis 2 (size 2), ε = 0: column 0 mean 1 var 1, column 1 mean −1 var 4; gamma 1, beta 0
    // x[0, r, c, k] = 4r + 2c + k; column c: (x − mean_c) / sd_c
    const s = spec('BatchNormalization', { axis: 2, epsilon: 0 })
    const w = [t([2], [1, 1]), t([2], [0, 0]), t([2], [1, -1]), t([2], [1, 4])]
    const x = [0, 1, 2, 3, 4, 5, 6, 7]
    const expected = x.map((v, i) => (Math.floor(i / 2) % 2 === 0 ? (v - 1) / 1 : (v + 1) / 2))
    expect(Array.from(run('BatchNormalization', s, [t([1, 2, 2, 2], x)], w).data)).toEqual(expected)
    expect(expected).toEqual([-1, 0, 1.5, 2, 3, 4, 3.5, 4])
  })

  it('several axes (tf.keras): parameters indexed by the normalized axes', () => {
    // axes [1, 2] of [1, 2, 2, 1]: four parameter positions; gamma = 1, beta = [0, 1, 2, 3], mean = 0, var = 1 − ε
    const eps = 1e-3
    const s = spec('BatchNormalization', { axis: [1, 2], fused: false }, { dialect: 'keras2' })
    const w = [t([1, 2, 2, 1], [1, 1, 1, 1]), t([1, 2, 2, 1], [0, 1, 2, 3]), t([1, 2, 2, 1], [0, 0, 0, 0]), t([1, 2, 2, 1], [1 - eps, 1 - eps, 1 - eps, 1 - eps])]
    close(run('BatchNormalization', s, [t([1, 2, 2, 1], [5, 5, 5, 5])], w).data, [5, 6, 7, 8])
  })

  it("tf.keras's fused kernel (rank 4, axis 3) raises ε to 1.001e-5; Keras 3 and fused=False keep it", () => {
    const w = [t([1], [1]), t([1], [0]), t([1], [0]), t([1], [0])]
    const x = [t([1, 1, 1, 1], [1])]
    // var 0: y = 1 / √ε
    close(run('BatchNormalization', spec('BatchNormalization', { epsilon: 1e-6 }, { dialect: 'keras2' }), x, w).data, [1 / Math.sqrt(1.001e-5)])
    close(run('BatchNormalization', spec('BatchNormalization', { epsilon: 1e-6, fused: false }, { dialect: 'keras2' }), x, w).data, [1 / Math.sqrt(1e-6)])
    close(run('BatchNormalization', spec('BatchNormalization', { epsilon: 1e-6 }), x, w).data, [1 / Math.sqrt(1e-6)])
    // rank 2 is never fused
    close(run('BatchNormalization', spec('BatchNormalization', { epsilon: 1e-6 }, { dialect: 'keras2' }), [t([1, 1], [1])], w).data, [1 / Math.sqrt(1e-6)])
  })

  it('computes in float32 when compiled for float32', () => {
    const w = [t([1], [1]), t([1], [0]), t([1], [0]), t([1], [1 - 1e-3])]
    const y = run('BatchNormalization', spec('BatchNormalization', {}), [t([1, 1], [0.1])], w, 'float32')
    expect(y.data).toBeInstanceOf(Float32Array)
    close(y.data, [0.1], 1e-7)
  })
})

describe('merges', () => {
  const a = t([2, 2], [1, 2, 3, 4])
  const b = t([2, 2], [10, -20, 30, -40])
  const c = t([2, 2], [0.5, 0.5, 0.5, 0.5])

  it('Add, Subtract, Multiply, Average, Maximum, Minimum of equal shapes', () => {
    expect(Array.from(run('Add', spec('Add', {}), [a, b, c]).data)).toEqual([11.5, -17.5, 33.5, -35.5])
    expect(Array.from(run('Subtract', spec('Subtract', {}), [a, b]).data)).toEqual([-9, 22, -27, 44])
    expect(Array.from(run('Multiply', spec('Multiply', {}), [a, b, c]).data)).toEqual([5, -20, 45, -80])
    expect(Array.from(run('Average', spec('Average', {}), [a, b]).data)).toEqual([5.5, -9, 16.5, -18])
    expect(Array.from(run('Maximum', spec('Maximum', {}), [a, b, c]).data)).toEqual([10, 2, 30, 4])
    expect(Array.from(run('Minimum', spec('Minimum', {}), [a, b, c]).data)).toEqual([0.5, -20, 0.5, -40])
    expect(Array.from(run('Add', spec('Add', {}), [a]).data)).toEqual([1, 2, 3, 4])
  })

  it('broadcast: lower-rank inputs align from the right, size-1 dims repeat', () => {
    // [1, 2, 3] + [1, 3]: the [3] row is added to both rows
    const x = t([1, 2, 3], [0, 0, 0, 10, 10, 10])
    const y = t([1, 3], [1, 2, 3])
    const r = run('Add', spec('Add', {}), [x, y])
    expect(r.shape).toEqual([1, 2, 3])
    expect(Array.from(r.data)).toEqual([1, 2, 3, 11, 12, 13])
    // [1, 2, 1] − [1, 1, 3]: outer difference
    const d = run('Subtract', spec('Subtract', {}), [t([1, 2, 1], [10, 20]), t([1, 1, 3], [1, 2, 3])])
    expect(d.shape).toEqual([1, 2, 3])
    expect(Array.from(d.data)).toEqual([9, 8, 7, 19, 18, 17])
    // batch of 2, second input broadcast per sample
    const m = run('Multiply', spec('Multiply', {}), [t([2, 2], [1, 2, 3, 4]), t([2, 1], [10, 100])])
    expect(Array.from(m.data)).toEqual([10, 20, 300, 400])
  })

  it('Concatenate along the last axis and along axis 1', () => {
    const r = run('Concatenate', spec('Concatenate', {}), [t([2, 1, 2], [1, 2, 3, 4]), t([2, 1, 1], [9, 8])])
    expect(r.shape).toEqual([2, 1, 3])
    expect(Array.from(r.data)).toEqual([1, 2, 9, 3, 4, 8])
    // Keras's docstring: x = arange(20).reshape(2, 2, 5), y = arange(20, 30).reshape(2, 1, 5), axis 1
    const x = t([2, 2, 5], Array.from({ length: 20 }, (_, i) => i))
    const y = t([2, 1, 5], Array.from({ length: 10 }, (_, i) => 20 + i))
    const z = run('Concatenate', spec('Concatenate', { axis: 1 }), [x, y])
    expect(z.shape).toEqual([2, 3, 5])
    expect(Array.from(z.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23, 24, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29])
  })

  it('Concatenate with a negative axis other than -1 (axis -2 of a rank-3 input is axis 1)', () => {
    const r = run('Concatenate', spec('Concatenate', { axis: -2 }), [t([1, 1, 2], [1, 2]), t([1, 2, 2], [3, 4, 5, 6])])
    expect(r.shape).toEqual([1, 3, 2])
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('never write into their inputs', () => {
    const x = { shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) }
    const y = { shape: [2, 2], data: Float64Array.of(5, 6, 7, 8) }
    for (const cls of ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']) {
      const out = run(cls, spec(cls, {}), [x, y])
      expect(out.data).toBeInstanceOf(Float64Array)
      expect(out.data).not.toBe(x.data)
      expect(out.data).not.toBe(y.data)
      expect(Array.from(x.data)).toEqual([1, 2, 3, 4])
      expect(Array.from(y.data)).toEqual([5, 6, 7, 8])
    }
  })
})

describe('Rescaling arrays of any rank (Keras 3)', () => {
  it('a (rows, 1, channels) scale broadcasts over the columns, a (1, 1, 1) offset everywhere', () => {
    // input [1, 2, 2, 2] = 0..7; scale [[[1, 10]], [[100, 1000]]] (shape 2, 1, 2): row r, channel c → scale[r][0][c]
    const s = spec('Rescaling', { scale: [[[1, 10]], [[100, 1000]]], offset: [[[0.5]]] })
    expect(Array.from(run('Rescaling', s, [t([1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7])]).data)).toEqual([0.5, 10.5, 2.5, 30.5, 400.5, 5000.5, 600.5, 7000.5])
  })
})

describe('Normalization', () => {
  it('(x − mean) / max(√variance, 1e-7) per index of the kept axis, with the mean and variance given', () => {
    const s = spec('Normalization', { axis: -1, mean: [1, 2], variance: [4, 0] })
    // variance 0 divides by ε = 1e-7
    close(run('Normalization', s, [t([2, 2], [3, 2, -1, 2.5])]).data, [1, 0, -1, 0.5 / 1e-7])
  })

  it('invert: mean + x · max(√variance, ε)', () => {
    const s = spec('Normalization', { axis: -1, mean: [1, 2], variance: [4, 9], invert: true })
    close(run('Normalization', s, [t([1, 2], [1, -1])]).data, [3, -1])
  })

  it('an adapted layer reads mean, variance and count weights; axis null shares one scalar pair', () => {
    const s = spec('Normalization', { axis: null })
    const inferred = right(infer('Normalization', s, [[null, 2, 3]]))
    expect(inferred.weights.map((w: { name: string; shape: ReadonlyArray<number>; trainable: boolean }) => [w.name, w.shape, w.trainable])).toEqual([
      ['mean', [], false],
      ['variance', [], false],
      ['count', [], false]
    ])
    close(run('Normalization', s, [t([1, 2, 3], [0, 1, 2, 3, 4, 5])], [t([], [1]), t([], [4]), t([], [7])]).data, [-0.5, 0, 0.5, 1, 1.5, 2])
  })

  it('a given mean of lower rank broadcasts onto the kept axes aligned from the last; a NaN variance stays NaN', () => {
    const s = spec('Normalization', { axis: [1, 2], mean: [10, 20], variance: [1, 1] })
    close(run('Normalization', s, [t([1, 2, 2], [10, 20, 11, 22])]).data, [0, 0, 1, 2])
    expect(left(infer('Normalization', spec('Normalization', { axis: [1, 2], mean: [1, 2, 3], variance: [1, 1, 1] }), [[null, 2, 2]]))[0]?.path).toBe('mean')
    const nan = run('Normalization', spec('Normalization', { mean: 0, variance: -1 }), [t([1, 1], [1])])
    expect(nan.data[0]).toBeNaN()
  })

  it('kept axes must be known and in range; the batch axis is refused at compile', () => {
    expect(left(infer('Normalization', spec('Normalization', { axis: -1 }), [[null, null]]))[0]?.message).toContain('must have a known size')
    expect(left(infer('Normalization', spec('Normalization', { axis: 3 }), [[null, 4]]))[0]?.path).toBe('axis')
    const batch = kindOf('Normalization').compile(spec('Normalization', { axis: 0, mean: 0, variance: 1 }), [[4]], { dtype: 'float32' })
    expect(E.isLeft(batch) && batch.left[0]?.message).toContain('axis 0 of input (None, 4) is unknown')
  })
})

describe('LoRA (Keras 3): kernel + (lora_alpha / lora_rank) · A·B', () => {
  it('Dense: lora_kernel_a [in, r], lora_kernel_b [r, units] follow the bias; the kernel is frozen; alpha is always the rank', () => {
    const s = spec('Dense', { units: 2, lora_rank: 1, lora_alpha: 8 })
    expect(s.loraAlpha).toBe(1)
    const inferred = right(infer('Dense', s, [[null, 3]]))
    expect(inferred.weights.map((w: { name: string; shape: ReadonlyArray<number>; trainable: boolean }) => [w.name, w.shape, w.trainable])).toEqual([
      ['kernel', [3, 2], false],
      ['bias', [2], true],
      ['lora_kernel_a', [3, 1], true],
      ['lora_kernel_b', [1, 2], true]
    ])
    // kernel 0, A = [1, 2, 3]ᵀ, B = [1, -1]: merged = [[1, -1], [2, -2], [3, -3]]
    const y = run('Dense', s, [t([1, 3], [1, 1, 1])], [t([3, 2], [0, 0, 0, 0, 0, 0]), t([2], [0.5, 0]), t([3, 1], [1, 2, 3]), t([1, 2], [1, -1])])
    close(y.data, [6.5, -6])
  })
})
