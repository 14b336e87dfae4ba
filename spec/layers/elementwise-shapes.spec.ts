/**
 * Shape inference of the elementwise / merge layer kinds: Keras's output shapes with unknown (`null`)
 * dims flowing through, weights (names, shapes, trainable flags) and parameter counts, and the errors.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { SymbolicShape } from '../../src/layers/LayerKind.js'
import { left, right } from '../helpers.js'
import { infer, kindOf, spec } from './elementwise-helpers.js'

const out = (cls: string, config: unknown, inputs: ReadonlyArray<SymbolicShape>, dialect: 'keras2' | 'keras3' = 'keras3') =>
  right(infer(cls, spec(cls, config, { dialect }), inputs)).outputShape

const errs = (cls: string, config: unknown, inputs: ReadonlyArray<SymbolicShape>, dialect: 'keras2' | 'keras3' = 'keras3') =>
  left(infer(cls, spec(cls, config, { dialect }), inputs))

const params = (weights: ReadonlyArray<{ readonly shape: ReadonlyArray<number> }>) => weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0)

describe('shape-preserving layers', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, 'keras2' | 'keras3']> = [
    ['Activation', { activation: 'relu' }, 'keras3'],
    ['Activation', { activation: 'softmax' }, 'keras2'],
    ['ReLU', { max_value: 6 }, 'keras2'],
    ['LeakyReLU', {}, 'keras3'],
    ['Softmax', {}, 'keras3'],
    ['Dropout', { rate: 0.5 }, 'keras2'],
    ['Rescaling', { scale: 0.5, offset: 0 }, 'keras3'],
    ['Normalization', { axis: null, mean: 0.5, variance: 2 }, 'keras3'],
    ['RandomFlip', {}, 'keras2'],
    ['RandomRotation', { factor: 0.1 }, 'keras3'],
    ['RandomZoom', { height_factor: 0.1 }, 'keras3'],
    ['RandomTranslation', { height_factor: 0.1, width_factor: 0.1 }, 'keras2'],
    ['RandomContrast', { factor: 0.1 }, 'keras3'],
    ['RandomBrightness', { factor: 0.1 }, 'keras2'],
    ['SpatialDropout2D', { rate: 0.1 }, 'keras3']
  ]
  it.each(cases)('%s keeps the shape, unknown dims included, and has no weights', (cls, config, dialect) => {
    for (const shape of [[null, 28, 28, 3], [null, null, null, 3], [4, null, 7, null]] as const) {
      const r = right(infer(cls, spec(cls, config, { dialect }), [shape]))
      expect(r.outputShape).toEqual(shape)
      expect(r.weights).toEqual([])
    }
  })

  it('rank-free layers keep any rank', () => {
    for (const cls of ['ReLU', 'LeakyReLU', 'Dropout'] as const) {
      const config = cls === 'Dropout' ? { rate: 0.1 } : {}
      expect(out(cls, config, [[null, 10]])).toEqual([null, 10])
      expect(out(cls, config, [[null]])).toEqual([null])
      expect(out(cls, config, [[null, 2, 3, 4, 5]])).toEqual([null, 2, 3, 4, 5])
    }
    expect(out('RandomFlip', {}, [[null, 10]], 'keras2')).toEqual([null, 10])
  })

  it('take exactly one input', () => {
    expect(left(infer('ReLU', spec('ReLU', {}), [[null, 2], [null, 2]]))[0]?.message).toContain('exactly one input, found 2')
    expect(left(infer('Dropout', spec('Dropout', { rate: 0 }), []))[0]?.message).toContain('found 0')
  })

  it('softmax-family activations need an axis besides the batch axis in tf.keras, not in Keras 3', () => {
    const e = errs('Activation', { activation: 'log_softmax' }, [[null]], 'keras2')
    expect(e.map((x) => x.path)).toEqual([''])
    expect(e[0]?.message).toContain('1D')
    expect(out('Activation', { activation: 'softmax' }, [[null]], 'keras3')).toEqual([null])
    expect(out('Activation', { activation: 'relu' }, [[null]], 'keras2')).toEqual([null])
  })

  it('Softmax checks its axes against the input rank', () => {
    expect(out('Softmax', { axis: [1, -1] }, [[null, 4, 5]])).toEqual([null, 4, 5])
    expect(out('Softmax', { axis: 0 }, [[null, 4]])).toEqual([null, 4])
    const e = errs('Softmax', { axis: 3 }, [[null, 4, 5]])
    expect(e.map((x) => x.path)).toEqual(['axis'])
    expect(e[0]?.message).toContain('out of range for an input of rank 3')
    expect(errs('Softmax', { axis: [1, -2] }, [[null, 4, 5]]).map((x) => x.path)).toEqual(['axis[1]'])
    expect(errs('Softmax', { axis: [5, 1, -4] }, [[null, 4, 5]]).map((x) => x.path)).toEqual(['axis[0]', 'axis[2]'])
  })

  it('SpatialDropout2D needs a rank-4 input', () => {
    expect(errs('SpatialDropout2D', { rate: 0.1 }, [[null, 4, 5]])[0]?.message).toContain('rank 4')
  })

  it("Keras 3's image layers need rank 3 or 4; tf.keras's return any input", () => {
    for (const cls of ['RandomFlip', 'RandomContrast'] as const) {
      const config = cls === 'RandomFlip' ? {} : { factor: 0.1 }
      expect(out(cls, config, [[null, 5, 3]])).toEqual([null, 5, 3])
      const e = errs(cls, config, [[null, 5]])
      expect(e.map((x) => x.path)).toEqual([''])
      expect(e[0]?.message).toContain('rank 4')
      expect(out(cls, config, [[null, 5]], 'keras2')).toEqual([null, 5])
    }
  })

  it('RandomHeight / RandomWidth declare the resized axis unknown (tf.keras compute_output_shape)', () => {
    expect(out('RandomHeight', { factor: 0.2 }, [[null, 32, 24, 3]], 'keras2')).toEqual([null, null, 24, 3])
    expect(out('RandomWidth', { factor: 0.2 }, [[null, 32, 24, 3]], 'keras2')).toEqual([null, 32, null, 3])
    // rank 2: W_AXIS = -2 is the batch axis, which Keras sets to None (it already is)
    expect(out('RandomWidth', { factor: 0.2 }, [[null, 24]], 'keras2')).toEqual([null, 24])
    expect(errs('RandomHeight', { factor: 0.2 }, [[null, 24]], 'keras2')[0]?.message).toContain('rank ≥ 3')
    const compiled = right(kindOf('RandomHeight').compile(spec('RandomHeight', { factor: 0.2 }, { dialect: 'keras2' }), [[32, 24, 3]], { dtype: 'float32' }))
    expect(compiled.outputShape).toEqual([32, 24, 3])
  })
})

describe('Rescaling list arguments', () => {
  it('broadcast over the last axis (or axis -3 for a Keras 3 scale under channels_first)', () => {
    expect(out('Rescaling', { scale: [1, 2, 3], offset: [0, 0, 1] }, [[null, 4, 4, 3]])).toEqual([null, 4, 4, 3])
    expect(out('Rescaling', { scale: [1, 2, 3], offset: 0 }, [[null, 4, 4, null]])).toEqual([null, 4, 4, null])
    const e = errs('Rescaling', { scale: [1, 2, 3], offset: [1, 2] }, [[null, 4, 4, 5]])
    expect(e.map((x) => x.path)).toEqual(['scale', 'offset'])
    expect(e[0]?.message).toContain('with 3 values (input')
    expect(errs('Rescaling', { scale: [1, 2], offset: 0 }, [[null, 4, 1]])[0]?.message).toContain('broadcast the output')
    const cf = spec('Rescaling', { scale: [1, 2, 3], offset: 0 }, { imageDataFormat: 'channels_first' })
    expect(right(infer('Rescaling', cf, [[null, 3, 4, 5]])).outputShape).toEqual([null, 3, 4, 5])
    expect(left(infer('Rescaling', cf, [[null, 4, 5, 3]])).map((x) => x.path)).toEqual(['scale'])
    expect(left(infer('Rescaling', cf, [[null, 3, 5]]))[0]?.message).toContain('more than this input has besides its batch axis')
    // arrays of any rank, broadcast as NumPy does; an extra leading axis or a batch-axis dim other than 1 is an error
    expect(out('Rescaling', { scale: [[1], [2], [3], [4]], offset: [[[0.5]]] }, [[null, 4, 4, 3]])).toEqual([null, 4, 4, 3])
    expect(errs('Rescaling', { scale: [[[[[1]]]]], offset: 0 }, [[null, 4, 4, 3]])[0]?.message).toContain('more than this input has')
    expect(errs('Rescaling', { scale: [[[[1, 2, 3]]], [[[1, 2, 3]]]], offset: 0 }, [[null, 4, 4, 3]])[0]?.path).toBe('scale')
  })
})

describe('BatchNormalization', () => {
  it('has gamma, beta (trainable), moving_mean, moving_variance (not trainable) of the axis size', () => {
    const r = right(infer('BatchNormalization', spec('BatchNormalization', {}), [[null, null, null, 8]]))
    expect(r.outputShape).toEqual([null, null, null, 8])
    expect(r.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([
      ['gamma', [8], true],
      ['beta', [8], true],
      ['moving_mean', [8], false],
      ['moving_variance', [8], false]
    ])
    expect(r.weights.map((w) => w.initializer)).toEqual([
      { kind: 'constant', value: 1 },
      { kind: 'constant', value: 0 },
      { kind: 'constant', value: 0 },
      { kind: 'constant', value: 1 }
    ])
    expect(params(r.weights)).toBe(32)
  })

  it('drops gamma without scale and beta without center', () => {
    const r = right(infer('BatchNormalization', spec('BatchNormalization', { axis: 1, scale: false }), [[null, 16, 7, 7]]))
    expect(r.weights.map((w) => `${w.name}${JSON.stringify(w.shape)}`)).toEqual(['beta[16]', 'moving_mean[16]', 'moving_variance[16]'])
    const c = right(infer('BatchNormalization', spec('BatchNormalization', { center: false, scale: false }), [[null, 5]]))
    expect(c.weights.map((w) => w.name)).toEqual(['moving_mean', 'moving_variance'])
    expect(params(c.weights)).toBe(10)
  })

  it('reads the axis forms of real files (-1, 1, 3, [3], [1])', () => {
    const shape = [null, 6, 6, 6] as const
    for (const [axis, size] of [[-1, 6], [1, 6], [3, 6], [[3], 6], [[1], 6]] as const) {
      const r = right(infer('BatchNormalization', spec('BatchNormalization', { axis }, { dialect: 'keras2' }), [shape]))
      expect(r.weights[0]?.shape).toEqual([size])
    }
    expect(right(infer('BatchNormalization', spec('BatchNormalization', { axis: 1 }), [[null, 3, 10, 10]])).weights[0]?.shape).toEqual([3])
  })

  it('shapes several-axis weights at the input rank with 1 on the other axes (tf.keras)', () => {
    const r = right(infer('BatchNormalization', spec('BatchNormalization', { axis: [2, 1] }, { dialect: 'keras2' }), [[null, 4, 5, 3]]))
    expect(r.weights.map((w) => w.shape)).toEqual([[1, 4, 5, 1], [1, 4, 5, 1], [1, 4, 5, 1], [1, 4, 5, 1]])
    expect(params(r.weights)).toBe(80)
  })

  it('needs the normalized axis known and in range', () => {
    const e = errs('BatchNormalization', {}, [[null, 8, null]])
    expect(e.map((x) => x.path)).toEqual([''])
    expect(e[0]?.message).toContain('normalized axis 2 to be known')
    expect(errs('BatchNormalization', { axis: 4 }, [[null, 2, 2, 2]]).map((x) => x.path)).toEqual(['axis'])
    expect(errs('BatchNormalization', { axis: [1, -2] }, [[null, 2, 2]], 'keras2').map((x) => x.path)).toEqual(['axis[1]'])
  })

  it("follows tf.keras's fused-kernel rules: rank-4 inputs only on axis 1 or 3, fused=True only on rank 4 or 5", () => {
    // axis 2 of a rank-4 input is not fusable at construction, so tf.keras falls back to the plain kernel
    expect(right(infer('BatchNormalization', spec('BatchNormalization', { axis: 2 }, { dialect: 'keras2' }), [[null, 4, 5, 6]])).weights[0]?.shape).toEqual([5])
    // axis -4 is fusable at construction, and is axis 0 of a rank-4 input: "Unsupported axis"
    const e = errs('BatchNormalization', { axis: -4 }, [[2, 4, 5, 6]], 'keras2')
    expect(e.map((x) => x.path)).toEqual(['axis'])
    expect(e[0]?.message).toContain('axis 1 or 3 only')
    expect(right(infer('BatchNormalization', spec('BatchNormalization', { axis: -4, fused: false }, { dialect: 'keras2' }), [[2, 4, 5, 6]])).weights[0]?.shape).toEqual([2])
    expect(right(infer('BatchNormalization', spec('BatchNormalization', { axis: -4 }), [[2, 4, 5, 6]])).weights[0]?.shape).toEqual([2])
    expect(errs('BatchNormalization', { fused: true }, [[null, 5]], 'keras2').map((x) => x.path)).toEqual(['fused'])
    expect(right(infer('BatchNormalization', spec('BatchNormalization', {}, { dialect: 'keras2' }), [[null, 5]])).weights[0]?.shape).toEqual([5])
    expect(right(infer('BatchNormalization', spec('BatchNormalization', { axis: 2 }, { dialect: 'keras2' }), [[null, 2, 3, 4, 5]])).weights[0]?.shape).toEqual([3])
  })
})

describe('elementwise merges', () => {
  const merge = (cls: string, inputs: ReadonlyArray<SymbolicShape>) => infer(cls, spec(cls, {}), inputs)

  it('equal shapes give that shape, for every merge class, without weights', () => {
    for (const cls of ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']) {
      const r = right(merge(cls, [[null, 4, 3], [null, 4, 3]]))
      expect(r.outputShape).toEqual([null, 4, 3])
      expect(r.weights).toEqual([])
    }
  })

  it("broadcast as Keras's _compute_elemwise_op_output_shape does", () => {
    const table: ReadonlyArray<readonly [ReadonlyArray<SymbolicShape>, SymbolicShape]> = [
      [[[null, 3], [null, 4, 3]], [null, 4, 3]],
      [[[null, 1, 3], [null, 4, 1]], [null, 4, 3]],
      [[[null, null, 3], [null, 4, 3]], [null, null, 3]],
      [[[null, 1, 3], [null, null, 3]], [null, null, 3]],
      [[[2, 3], [null, 3]], [2, 3]],
      [[[null, 5], [null, 5], [null, 5], [null, 1]], [null, 5]],
      [[[null, 7]], [null, 7]]
    ]
    for (const [inputs, expected] of table) expect(right(merge('Add', inputs)).outputShape).toEqual(expected)
  })

  it("report Keras's errors: incompatible shapes, different batch sizes, Subtract's two inputs", () => {
    const a = left(merge('Multiply', [[null, 4], [null, 5]]))
    expect(a.map((x) => x.path)).toEqual([''])
    expect(a[0]?.message).toContain('incompatible shapes: (4,) and (5,)')
    expect(left(merge('Add', [[2, 3], [3, 3]]))[0]?.message).toContain('different batch sizes')
    expect(left(merge('Subtract', [[null, 3], [null, 3], [null, 3]]))[0]?.message).toContain('exactly 2 inputs, found 3')
    expect(left(merge('Subtract', [[null, 3]]))[0]?.message).toContain('exactly 2 inputs, found 1')
    expect(left(merge('Maximum', []))[0]?.message).toContain('at least 1 input')
  })
})

describe('Concatenate', () => {
  const cat = (config: Record<string, unknown>, inputs: ReadonlyArray<SymbolicShape>) => infer('Concatenate', spec('Concatenate', config), inputs)

  it('sums the axis and keeps the first input\'s other dims (unknown ones stay unknown)', () => {
    expect(right(cat({}, [[null, 4, 3], [null, 4, 5]])).outputShape).toEqual([null, 4, 8])
    expect(right(cat({ axis: 1 }, [[null, 4, 3], [null, 2, 3], [null, 1, 3]])).outputShape).toEqual([null, 7, 3])
    expect(right(cat({}, [[null, null, 3], [null, 4, 5]])).outputShape).toEqual([null, null, 8])
    expect(right(cat({}, [[null, 4, 3], [null, null, 5]])).outputShape).toEqual([null, 4, 8])
    expect(right(cat({}, [[null, 4, 3], [null, 4, null]])).outputShape).toEqual([null, 4, null])
    expect(right(cat({ axis: -3 }, [[null, 2, 4, 3], [null, 3, 4, 3]])).outputShape).toEqual([null, 5, 4, 3])
    expect(right(cat({}, [[null, 4, 3], [null, 4, 3]])).weights).toEqual([])
  })

  it('rejects mismatched dims, ranks, out-of-range axes and the batch axis', () => {
    const e = left(cat({}, [[null, 4, 3], [null, 5, 3]]))
    expect(e.map((x) => x.path)).toEqual([''])
    expect(e[0]?.message).toContain('matching shapes except for the concatenation axis')
    expect(left(cat({}, [[null, 4, 3], [null, 3]]))[0]?.message).toContain('same rank')
    expect(left(cat({ axis: 3 }, [[null, 4, 3], [null, 4, 3]])).map((x) => x.path)).toEqual(['axis'])
    expect(left(cat({ axis: 0 }, [[null, 4], [null, 4]]))[0]?.message).toContain('batch axis')
    expect(left(cat({ axis: -3 }, [[null, 4, 3], [null, 4, 3]]))[0]?.path).toBe('axis')
    expect(left(cat({}, []))[0]?.message).toContain('at least 1 input')
  })

  it('compile checks the same rules on known shapes', () => {
    const s = spec('Concatenate', { axis: 1 })
    expect(E.isLeft(kindOf('Concatenate').compile(s, [[4, 3], [4, 5]], { dtype: 'float32' }))).toBe(true)
    expect(right(kindOf('Concatenate').compile(s, [[4, 3], [2, 3]], { dtype: 'float32' })).outputShape).toEqual([6, 3])
  })
})
