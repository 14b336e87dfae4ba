/**
 * Shape inference of the spatial layer kinds, as Keras's `model.summary()` shows it: output shapes
 * (batch axis first, unknown dims `null` flowing through as in Keras) and weights with their Keras
 * names, shapes and trainable flags; errors with their paths. Expected values are worked out by hand
 * from Keras's formulas (and from Keras's own docstring examples and MobileNet's summary where noted).
 * Also: `compile` agrees with `infer`, reports compile-time problems, and its forward is pure.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { BaseLayerSpec } from '../../src/layers/base.js'
import type { LayerKind, SymbolicShape } from '../../src/layers/LayerKind.js'
import { allocate, type FloatArray, type FloatDType } from '../../src/numerics/FloatArray.js'
import {
  AveragePooling2DKind,
  Cropping2DKind,
  GlobalAveragePooling2DKind,
  GlobalMaxPooling2DKind,
  MaxPooling2DKind,
  ReshapeKind,
  UpSampling2DKind,
  ZeroPadding2DKind
} from '../../src/layers/spatial.js'
import { DepthwiseConv2DKind } from '../../src/conv/DepthwiseConv2D.js'
import { left, right } from '../helpers.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = LayerKind<any>

const specOf = <S extends BaseLayerSpec>(kind: LayerKind<S>, config: unknown, options: { readonly dialect?: 'keras2' | 'keras3' } = {}): S =>
  right(pipe(kind.codec({ dialect: options.dialect ?? 'keras3', imageDataFormat: 'channels_last' }).decode(config), E.mapLeft(fromValidationErrors)))

const filled = (dtype: FloatDType, n: number, f: (i: number) => number): FloatArray => {
  const out = allocate(dtype, n)
  for (let i = 0; i < n; i++) out[i] = f(i)
  return out
}

interface ShapeCase {
  readonly name: string
  readonly kind: AnyKind
  readonly config: Record<string, unknown>
  readonly input: SymbolicShape
  readonly output: SymbolicShape
  /** `[name, shape]` of each weight, in Keras order (all trainable). */
  readonly weights?: ReadonlyArray<readonly [string, ReadonlyArray<number>]>
}

interface ErrorCase {
  readonly name: string
  readonly kind: AnyKind
  readonly config: Record<string, unknown>
  readonly inputs: ReadonlyArray<SymbolicShape>
  readonly errors: ReadonlyArray<readonly [path: string, phrase: string]>
}

const SHAPES: ReadonlyArray<ShapeCase> = [
  // ---- window pooling: valid ⌊(L − k)/s⌋ + 1, same ⌈L/s⌉ ----
  { name: 'MaxPooling2D() on MNIST conv output', kind: MaxPooling2DKind, config: {}, input: [null, 24, 24, 64], output: [null, 12, 12, 64] },
  { name: 'pool 2 valid on odd 5', kind: MaxPooling2DKind, config: { pool_size: 2 }, input: [null, 5, 5, 3], output: [null, 2, 2, 3] },
  { name: 'pool 2 same on odd 5', kind: AveragePooling2DKind, config: { pool_size: 2, padding: 'same' }, input: [null, 5, 5, 3], output: [null, 3, 3, 3] },
  { name: 'pool 3 stride 2 same, unknown cols', kind: MaxPooling2DKind, config: { pool_size: 3, strides: 2, padding: 'same' }, input: [null, 7, null, 3], output: [null, 4, null, 3] },
  { name: 'pool 3 stride 1 valid on exactly 3', kind: AveragePooling2DKind, config: { pool_size: 3, strides: 1 }, input: [4, 3, 9, 2], output: [4, 1, 7, 2] },
  { name: 'rectangular pool [1, 2], strides [2, 1]', kind: MaxPooling2DKind, config: { pool_size: [1, 2], strides: [2, 1] }, input: [null, 5, 4, 1], output: [null, 3, 3, 1] },
  { name: 'channels_first, known batch', kind: MaxPooling2DKind, config: { data_format: 'channels_first' }, input: [8, 3, 32, 31], output: [8, 3, 16, 15] },
  { name: 'rank-only input', kind: AveragePooling2DKind, config: { pool_size: 2 }, input: [null, null, null, null], output: [null, null, null, null] },
  // ---- global pooling ----
  { name: 'GlobalAveragePooling2D', kind: GlobalAveragePooling2DKind, config: {}, input: [null, 7, 7, 512], output: [null, 512] },
  { name: 'GlobalMaxPooling2D keepdims', kind: GlobalMaxPooling2DKind, config: { keepdims: true }, input: [null, 7, 7, 512], output: [null, 1, 1, 512] },
  { name: 'GlobalAveragePooling2D channels_first keepdims', kind: GlobalAveragePooling2DKind, config: { keepdims: true, data_format: 'channels_first' }, input: [2, 16, null, null], output: [2, 16, 1, 1] },
  { name: 'GlobalMaxPooling2D channels_first', kind: GlobalMaxPooling2DKind, config: { data_format: 'channels_first' }, input: [null, 16, 5, 5], output: [null, 16] },
  { name: 'global pooling, unknown channels', kind: GlobalAveragePooling2DKind, config: {}, input: [null, null, null, null], output: [null, null] },
  // ---- ZeroPadding2D / Cropping2D ----
  { name: 'ZeroPadding2D ((0,1),(0,1)) as in MobileNet', kind: ZeroPadding2DKind, config: { padding: [[0, 1], [0, 1]] }, input: [null, 224, 224, 3], output: [null, 225, 225, 3] },
  { name: 'ZeroPadding2D 3 channels_first, unknown rows', kind: ZeroPadding2DKind, config: { padding: 3, data_format: 'channels_first' }, input: [null, 3, null, 224], output: [null, 3, null, 230] },
  { name: 'Cropping2D ((2,2),(4,4)) (Keras docstring)', kind: Cropping2DKind, config: { cropping: [[2, 2], [4, 4]] }, input: [2, 28, 28, 3], output: [2, 24, 20, 3] },
  { name: 'Cropping2D unknown rows stay unknown', kind: Cropping2DKind, config: { cropping: [[9, 9], [4, 4]] }, input: [null, null, 28, 3], output: [null, null, 20, 3] },
  { name: 'Cropping2D channels_first leaving 1', kind: Cropping2DKind, config: { cropping: [1, [0, 2]], data_format: 'channels_first' }, input: [null, 4, 3, 3], output: [null, 4, 1, 1] },
  // ---- UpSampling2D ----
  { name: 'UpSampling2D()', kind: UpSampling2DKind, config: {}, input: [null, 7, 7, 32], output: [null, 14, 14, 32] },
  { name: 'UpSampling2D (2, 3), unknown cols', kind: UpSampling2DKind, config: { size: [2, 3], interpolation: 'bilinear' }, input: [null, 4, null, 5], output: [null, 8, null, 5] },
  { name: 'UpSampling2D channels_first', kind: UpSampling2DKind, config: { size: [1, 2], data_format: 'channels_first' }, input: [3, 5, 4, 4], output: [3, 5, 4, 8] },
  // ---- Reshape (Keras docstring examples first) ----
  { name: 'Reshape (12,) → (3, 4)', kind: ReshapeKind, config: { target_shape: [3, 4] }, input: [null, 12], output: [null, 3, 4] },
  { name: 'Reshape (12,) → (-1, 2, 2)', kind: ReshapeKind, config: { target_shape: [-1, 2, 2] }, input: [null, 12], output: [null, 3, 2, 2] },
  { name: 'Reshape image to vector', kind: ReshapeKind, config: { target_shape: [-1] }, input: [5, 7, 7, 64], output: [5, 3136] },
  { name: 'Reshape with an unknown input dim: -1 → unknown', kind: ReshapeKind, config: { target_shape: [-1, 2] }, input: [null, null, 4], output: [null, null, 2] },
  { name: 'Reshape with an unknown input dim: sizes unchecked (as Keras)', kind: ReshapeKind, config: { target_shape: [3, 5] }, input: [null, null, 4], output: [null, 3, 5] },
  { name: 'Reshape (1,) → ()', kind: ReshapeKind, config: { target_shape: [] }, input: [null, 1], output: [null] },
  // ---- DepthwiseConv2D: weights (kh, kw, C, M) and (C·M) ----
  {
    name: 'DepthwiseConv2D 3×3, depth_multiplier 2',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: 3, depth_multiplier: 2 },
    input: [null, 10, 10, 12],
    output: [null, 8, 8, 24],
    weights: [
      ['kernel', [3, 3, 12, 2]],
      ['bias', [24]]
    ]
  },
  {
    name: 'MobileNet conv_dw_1: 3×3 same, no bias (288 params)',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: [3, 3], padding: 'same', use_bias: false },
    input: [null, 112, 112, 32],
    output: [null, 112, 112, 32],
    weights: [['kernel', [3, 3, 32, 1]]]
  },
  {
    name: 'MobileNet conv_dw_2: 3×3 strides 2 valid after ZeroPadding2D ((0,1),(0,1))',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: 3, strides: 2, use_bias: false },
    input: [null, 113, 113, 64],
    output: [null, 56, 56, 64],
    weights: [['kernel', [3, 3, 64, 1]]]
  },
  {
    name: 'DepthwiseConv2D same, strides 2 on odd 7',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: 3, strides: 2, padding: 'same' },
    input: [null, 7, 7, 3],
    output: [null, 4, 4, 3],
    weights: [
      ['kernel', [3, 3, 3, 1]],
      ['bias', [3]]
    ]
  },
  {
    name: 'DepthwiseConv2D dilation 2: effective kernel 5',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: 3, dilation_rate: 2, depth_multiplier: 3 },
    input: [null, 9, 9, 4],
    output: [null, 5, 5, 12],
    weights: [
      ['kernel', [3, 3, 4, 3]],
      ['bias', [12]]
    ]
  },
  {
    name: 'DepthwiseConv2D channels_first, unknown cols',
    kind: DepthwiseConv2DKind,
    config: { kernel_size: [3, 1], depth_multiplier: 2, data_format: 'channels_first' },
    input: [null, 16, 32, null],
    output: [null, 32, 30, null],
    weights: [
      ['kernel', [3, 1, 16, 2]],
      ['bias', [32]]
    ]
  }
]

const ERRORS: ReadonlyArray<ErrorCase> = [
  { name: 'pooling a rank-3 input', kind: MaxPooling2DKind, config: {}, inputs: [[null, 28, 28]], errors: [['', 'rank 4']] },
  { name: 'pooling two inputs', kind: AveragePooling2DKind, config: { pool_size: 2 }, inputs: [[null, 4, 4, 1], [null, 4, 4, 1]], errors: [['', 'exactly one input']] },
  { name: 'valid pool 3 on 2 rows', kind: MaxPooling2DKind, config: { pool_size: 3 }, inputs: [[null, 2, 9, 1]], errors: [['pool_size', 'rows 2 are fewer than the pool size 3']] },
  {
    name: 'valid pool 2 on 1×1 (Keras 3 would give a 0-size output)',
    kind: AveragePooling2DKind,
    config: { pool_size: 2, data_format: 'channels_first' },
    inputs: [[null, 3, 1, 1]],
    errors: [
      ['pool_size', 'rows 1'],
      ['pool_size', 'cols 1']
    ]
  },
  { name: 'global pooling a rank-2 input', kind: GlobalMaxPooling2DKind, config: {}, inputs: [[null, 10]], errors: [['', 'rank 4']] },
  { name: 'cropping all rows', kind: Cropping2DKind, config: { cropping: [[14, 14], [0, 0]] }, inputs: [[null, 28, 28, 1]], errors: [['cropping', 'leaves nothing']] },
  { name: 'cropping more cols than there are (channels_first)', kind: Cropping2DKind, config: { cropping: [0, 3], data_format: 'channels_first' }, inputs: [[null, 1, 9, 5]], errors: [['cropping', "input's 5 cols"]] },
  { name: 'UpSampling2D rank 5', kind: UpSampling2DKind, config: {}, inputs: [[null, 2, 2, 2, 2]], errors: [['', 'rank 4']] },
  { name: 'Reshape size mismatch', kind: ReshapeKind, config: { target_shape: [5] }, inputs: [[null, 12]], errors: [['target_shape', 'holds 5 values per sample but the input (None, 12) holds 12']] },
  { name: 'Reshape -1 not divisible', kind: ReshapeKind, config: { target_shape: [5, -1] }, inputs: [[null, 3, 4]], errors: [['target_shape', 'cannot be inferred']] },
  { name: 'DepthwiseConv2D unknown channels', kind: DepthwiseConv2DKind, config: { kernel_size: 3 }, inputs: [[null, 10, 10, null]], errors: [['', 'channel dimension']] },
  { name: 'DepthwiseConv2D valid kernel larger than input', kind: DepthwiseConv2DKind, config: { kernel_size: [2, 5] }, inputs: [[null, 4, 4, 3]], errors: [['kernel_size', 'cols 4 are fewer than the effective kernel size 5']] },
  { name: 'DepthwiseConv2D dilated kernel larger than input', kind: DepthwiseConv2DKind, config: { kernel_size: 3, dilation_rate: [3, 1] }, inputs: [[null, 6, 6, 3]], errors: [['kernel_size', 'effective kernel size 7']] },
  { name: 'DepthwiseConv2D rank 3', kind: DepthwiseConv2DKind, config: { kernel_size: 3 }, inputs: [[null, 10, 3]], errors: [['', 'rank 4']] }
]

const paramCount = (weights: ReadonlyArray<{ readonly shape: ReadonlyArray<number> }>): number =>
  weights.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0)

describe('spatial shape inference', () => {
  it.each(SHAPES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = specOf(c.kind, c.config)
    const r = right(c.kind.infer(spec, [c.input]))
    expect(r.outputShape).toEqual(c.output)
    expect(r.weights.map((w) => [w.name, w.shape])).toEqual(c.weights ?? [])
    for (const w of r.weights) expect(w.trainable).toBe(true)
  })

  it('parameter counts equal Keras summary() counts', () => {
    const count = (config: Record<string, unknown>, input: SymbolicShape): number =>
      paramCount(right(DepthwiseConv2DKind.infer(specOf(DepthwiseConv2DKind, config), [input])).weights)
    expect(count({ kernel_size: 3, depth_multiplier: 2 }, [null, 10, 10, 12])).toBe(3 * 3 * 12 * 2 + 24)
    expect(count({ kernel_size: 3, padding: 'same', use_bias: false }, [null, 112, 112, 32])).toBe(288)
    // MobileNetV2 expanded_conv_depthwise: 3×3 on 32 channels with no bias, 288 params
    expect(count({ kernel_size: 3, padding: 'same', use_bias: false }, [null, 112, 112, 32])).toBe(288)
    expect(paramCount(right(MaxPooling2DKind.infer(specOf(MaxPooling2DKind, {}), [[null, 4, 4, 3]])).weights)).toBe(0)
  })

  it('the depthwise weights carry the spec initializers', () => {
    const spec = specOf(DepthwiseConv2DKind, { kernel_size: 1, depthwise_initializer: 'ones', bias_initializer: { class_name: 'Constant', config: { value: 0.5 } } })
    const [kernel, bias] = right(DepthwiseConv2DKind.infer(spec, [[null, 2, 2, 2]])).weights
    expect(kernel?.initializer).toEqual({ kind: 'constant', value: 1 })
    expect(bias?.initializer).toEqual({ kind: 'constant', value: 0.5 })
  })
})

describe('spatial shape inference errors', () => {
  it.each(ERRORS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const errors = left(c.kind.infer(specOf(c.kind, c.config), c.inputs))
    expect(errors.map((e) => e.path)).toEqual(c.errors.map(([p]) => p))
    c.errors.forEach(([, phrase], i) => expect(errors[i]?.message).toContain(phrase))
  })
})

describe('spatial compile', () => {
  it('compile gives infer\'s output shape (per sample) and weights for every known-shape case', () => {
    for (const c of SHAPES) {
      if (c.input.slice(1).some((d) => d === null)) continue
      const spec = specOf(c.kind, c.config)
      const compiled = right(c.kind.compile(spec, [c.input.slice(1) as number[]], { dtype: 'float32' }))
      expect(compiled.outputShape, c.name).toEqual(c.output.slice(1))
      expect(compiled.weights, c.name).toEqual(right(c.kind.infer(spec, [c.input])).weights)
    }
  })

  it('compile reports the same errors as infer', () => {
    expect(left(MaxPooling2DKind.compile(specOf(MaxPooling2DKind, { pool_size: 3 }), [[2, 9, 1]], { dtype: 'float32' })).map((e) => e.path)).toEqual(['pool_size'])
    expect(left(ReshapeKind.compile(specOf(ReshapeKind, { target_shape: [5] }), [[12]], { dtype: 'float64' })).map((e) => e.path)).toEqual(['target_shape'])
    expect(left(Cropping2DKind.compile(specOf(Cropping2DKind, { cropping: 2 }), [[4, 9, 1]], { dtype: 'float32' })).map((e) => e.path)).toEqual(['cropping'])
  })

  it('DepthwiseConv2D: initializer and constraint problems at the depthwise argument names', () => {
    const bad = specOf(DepthwiseConv2DKind, {
      kernel_size: 3,
      depthwise_initializer: 'identity',
      depthwise_constraint: { class_name: 'MaxNorm', config: { max_value: 2, axis: 4 } }
    })
    const errors = left(DepthwiseConv2DKind.compile(bad, [[5, 5, 2]], { dtype: 'float32' }))
    expect(errors.map((e) => e.path).sort()).toEqual(['depthwise_constraint', 'depthwise_initializer'])
    expect(errors.find((e) => e.path === 'depthwise_initializer')?.message).toContain('[3, 3, 2, 1]')
  })

  it('DepthwiseConv2D names its kernel as the dialect\'s Keras does: kernel (Keras 3), depthwise_kernel (tf.keras 2.x, TensorFlow.js)', () => {
    const k3 = right(DepthwiseConv2DKind.infer(specOf(DepthwiseConv2DKind, { kernel_size: 1 }), [[null, 2, 2, 3]]))
    expect(k3.weights.map((w) => w.name)).toEqual(['kernel', 'bias'])
    const k2 = right(DepthwiseConv2DKind.infer(specOf(DepthwiseConv2DKind, { kernel_size: 1 }, { dialect: 'keras2' }), [[null, 2, 2, 3]]))
    expect(k2.weights.map((w) => w.name)).toEqual(['depthwise_kernel', 'bias'])
  })

  it('DepthwiseConv2D forward rejects a kernel of the wrong shape, naming it', () => {
    const compiled = right(DepthwiseConv2DKind.compile(specOf(DepthwiseConv2DKind, { kernel_size: 1, use_bias: false, depth_multiplier: 2 }), [[1, 1, 2]], { dtype: 'float32' }))
    const x = { shape: [1, 1, 1, 2], data: new Float32Array(2) }
    // (1, 1, 2, 2) expected; (1, 1, 4, 1) has the same size but is not a depthwise kernel of this layer
    // named as the spec's Keras names it: kernel in Keras 3, depthwise_kernel in tf.keras 2.x
    expect(() => compiled.forward([{ shape: [1, 1, 4, 1], data: new Float32Array(4) }], [x])).toThrow(/weights\[0\] \(kernel\)/)
  })

  it('forward is pure: new output, inputs untouched, the compile dtype', () => {
    const cases: ReadonlyArray<readonly [AnyKind, Record<string, unknown>, ReadonlyArray<number>]> = [
      [MaxPooling2DKind, { padding: 'same' }, [3, 3, 2]],
      [AveragePooling2DKind, { pool_size: 3, strides: 1, padding: 'same' }, [3, 3, 2]],
      [GlobalAveragePooling2DKind, {}, [3, 3, 2]],
      [GlobalMaxPooling2DKind, { keepdims: true }, [3, 3, 2]],
      [ZeroPadding2DKind, {}, [3, 3, 2]],
      [Cropping2DKind, { cropping: 1 }, [3, 3, 2]],
      [UpSampling2DKind, { interpolation: 'bilinear' }, [3, 3, 2]],
      [ReshapeKind, { target_shape: [-1] }, [3, 3, 2]],
      [DepthwiseConv2DKind, { kernel_size: 2, depth_multiplier: 2 }, [3, 3, 2]]
    ]
    for (const [kind, config, shape] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const compiled = right(kind.compile(specOf(kind, config), [shape], { dtype }))
        const Array_ = dtype === 'float32' ? Float32Array : Float64Array
        const data = filled(dtype, 2 * 18, (i) => Math.sin(i + 1))
        const before = Array.from(data)
        const weights = compiled.weights.map((w) => ({ shape: w.shape, data: filled(dtype, w.shape.reduce((a, b) => a * b, 1), (i) => i / 7) }))
        const wBefore = weights.map((w) => Array.from(w.data))
        const x = { shape: [2, ...shape], data }
        const y = compiled.forward(weights, [x])
        expect(y.data, kind.className).toBeInstanceOf(Array_)
        expect(y.data).not.toBe(data)
        expect(y.shape).toEqual([2, ...compiled.outputShape])
        expect(y.data.length).toBe(y.shape.reduce((a, b) => a * b, 1))
        expect(Array.from(data)).toEqual(before)
        expect(weights.map((w) => Array.from(w.data))).toEqual(wBefore)
        // same inputs, bit-identical outputs
        expect(Array.from(compiled.forward(weights, [x]).data)).toEqual(Array.from(y.data))
      }
    }
  })
})
