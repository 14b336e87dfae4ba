/**
 * The convolution family's config codecs and shape inference (src/conv/convFamilyCodec.ts,
 * ConvFamilyKind.ts): every one-layer Keras 3.15 golden case of Conv1D, Conv3D, the transposed,
 * separable and DepthwiseConv1D members decodes, infers Keras's output shape and parameter count, and
 * round-trips; the same configs in tf.keras 2.x's form (its inherited keys) decode to the same spec;
 * each of Keras's per-class rules is an error at its path, all errors at once.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import { CONV_MEMBERS, type ConvFamilySpec, type ConvMember } from '../../src/conv/ConvFamilySpec.js'
import { convFamilyCodec } from '../../src/conv/convFamilyCodec.js'
import { inferConvFamily } from '../../src/conv/inferConvFamily.js'
import { layerConfig, memberCases } from '../keras3/convfamily.js'

const member = (name: string): ConvMember => {
  const m = CONV_MEMBERS.find((x) => x.className === name)
  if (m === undefined) throw new Error(`no member ${name}`)
  return m
}

const decode = (m: ConvMember, u: unknown, dialect: Dialect = 'keras3', imageDataFormat: 'channels_last' | 'channels_first' = 'channels_last'): E.Either<ReadonlyArray<SpecError>, ConvFamilySpec> =>
  pipe(convFamilyCodec(m)({ dialect, imageDataFormat }).decode(u), E.mapLeft(fromValidationErrors))

const encode = (m: ConvMember, s: ConvFamilySpec): Record<string, unknown> => convFamilyCodec(m)({ dialect: s.dialect, imageDataFormat: 'channels_last' }).encode(s)

const ok = (r: E.Either<ReadonlyArray<SpecError>, ConvFamilySpec>): ConvFamilySpec => {
  if (E.isLeft(r)) throw new Error(r.left.map((e) => `${e.path}: ${e.message}`).join('\n'))
  return r.right
}

const errorsOf = (r: E.Either<ReadonlyArray<SpecError>, unknown>): ReadonlyArray<SpecError> => (E.isLeft(r) ? r.left : [])

const paths = (r: E.Either<ReadonlyArray<SpecError>, unknown>): ReadonlyArray<string> => errorsOf(r).map((e) => e.path)

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * The layer as tf.keras 2.x writes it: the spec encoded in the keras2 dialect, plus the keys tf.keras's
 * SeparableConv inherits from Conv and writes (unused; the encoder leaves them out, as TensorFlow.js
 * refuses them).
 */
const asKeras2 = (m: ConvMember, spec: ConvFamilySpec): Record<string, unknown> => ({
  ...encode(m, { ...spec, dialect: 'keras2' }),
  ...(m.kind === 'separable' ? { kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, kernel_regularizer: null, kernel_constraint: null } : {})
})

const FAMILY = CONV_MEMBERS.map((m) => m.className)

describe('Keras 3.15 golden configs of the family decode, infer and round-trip', () => {
  for (const name of FAMILY) {
    const m = member(name)
    const cases = memberCases(name)
    it(`${name}: ${cases.length} cases`, () => {
      expect(cases.length).toBeGreaterThan(3)
      for (const c of cases) {
        const config = layerConfig(c, 0) as Record<string, unknown>
        const spec = ok(decode(m, config))
        expect(spec.className, c.id).toBe(name)
        expect(spec.rank, c.id).toBe(m.rank)
        const inferred = inferConvFamily(spec, [[null, ...c.input.shape.slice(1)]])
        if (E.isLeft(inferred)) throw new Error(`${c.id}: ${inferred.left.map((e) => e.message).join('; ')}`)
        expect(inferred.right.outputShape, c.id).toEqual(c.output_shape)
        expect(inferred.right.weights.map((w) => w.shape), c.id).toEqual(c.weights.map((w) => w.shape))
        // Keras 3 names the depthwise kernel `kernel`, tf.keras `depthwise_kernel`
        expect(inferred.right.weights.map((w) => w.name), c.id).toEqual(c.weights.map((w) => w.name.split('/').pop()))
        expect(inferred.right.weights.reduce((a, w) => a + sizeOf(w.shape), 0), c.id).toBe(c.params)
        // encode writes Keras's own values for every key it writes, and decodes back to the spec
        const json = encode(m, spec)
        for (const [k, v] of Object.entries(json)) {
          if (k === 'dtype' || k === 'input_shape' || k.endsWith('_initializer')) continue
          expect(v, `${c.id} ${k}`).toEqual(config[k])
        }
        expect(ok(decode(m, json)), c.id).toEqual(spec)
        // the same layer as tf.keras 2.x writes it
        const tf2 = asKeras2(m, spec)
        if (m.kind === 'transpose' || m.kind === 'depthwise') expect(tf2['groups'], c.id).toBe(1)
        // what tf.keras cannot mean: Conv3DTranspose dilation, strides with dilation (Keras ≥ 3.15 only)
        const dilated = Math.max(...spec.dilationRate) > 1
        if ((m.className === 'Conv3DTranspose' && dilated) || (dilated && Math.max(...spec.strides) > 1)) {
          expect(paths(decode(m, tf2, 'keras2')), c.id).toEqual([m.className === 'Conv3DTranspose' ? 'dilation_rate' : 'strides'])
          continue
        }
        const spec2 = ok(decode(m, tf2, 'keras2'))
        expect({ ...spec2, dialect: 'keras3', dtype: spec.dtype }, c.id).toEqual(spec)
        expect(ok(decode(m, encode(m, spec2), 'keras2')), c.id).toEqual(spec2)
      }
    })
  }
})

describe('defaults and accepted forms', () => {
  it('Conv1D: an int kernel_size becomes a 1-tuple; data_format defaults by dialect', () => {
    const s = ok(decode(member('Conv1D'), { filters: 2, kernel_size: 3 }, 'keras3', 'channels_first'))
    expect(s).toMatchObject({ kernelSize: [3], strides: [1], dilationRate: [1], padding: 'valid', dataFormat: 'channels_first', groups: 1 })
    // tf.keras 2.x Conv1D defaults data_format to "channels_last" literally, whatever the global setting
    expect(ok(decode(member('Conv1D'), { filters: 2, kernel_size: 3 }, 'keras2', 'channels_first')).dataFormat).toBe('channels_last')
    expect(ok(decode(member('Conv1D'), { filters: 2, kernel_size: 3, data_format: null }, 'keras2', 'channels_first')).dataFormat).toBe('channels_first')
    expect(ok(decode(member('Conv1DTranspose'), { filters: 2, kernel_size: 3 }, 'keras2', 'channels_first')).dataFormat).toBe('channels_first')
  })
  it('causal padding: Conv1D always, SeparableConv1D in keras2 only, nowhere else', () => {
    expect(ok(decode(member('Conv1D'), { filters: 1, kernel_size: 3, padding: 'CAUSAL' })).padding).toBe('causal')
    expect(ok(decode(member('SeparableConv1D'), { filters: 1, kernel_size: 3, padding: 'causal' }, 'keras2')).padding).toBe('causal')
    expect(paths(decode(member('SeparableConv1D'), { filters: 1, kernel_size: 3, padding: 'causal' }))).toEqual(['padding'])
    for (const name of ['Conv3D', 'Conv1DTranspose', 'DepthwiseConv1D', 'SeparableConv2D']) {
      const r = decode(member(name), { filters: 1, kernel_size: 3, padding: 'causal' })
      expect(errorsOf(r).find((e) => e.path === 'padding')?.message, name).toMatch(/causal padding exists only for Conv1D/)
    }
  })
  it('Conv3D takes 3-tuples; mixed int forms are not tuples of the wrong rank', () => {
    expect(ok(decode(member('Conv3D'), { filters: 1, kernel_size: [1, 2, 3], strides: 2 }))).toMatchObject({ kernelSize: [1, 2, 3], strides: [2, 2, 2] })
    const r = decode(member('Conv3D'), { filters: 1, kernel_size: [3, 3] })
    expect(errorsOf(r)).toEqual([{ path: 'kernel_size', message: 'expected a positive integer or a list of 3 positive integers, found a list of 2 items [3,3]' }])
  })
  it('output_padding: null, an int or a tuple of integers ≥ 0, each < strides', () => {
    const m = member('Conv2DTranspose')
    expect(ok(decode(m, { filters: 1, kernel_size: 3, strides: 2, output_padding: 0 }))).toMatchObject({ outputPadding: [0, 0] })
    expect(ok(decode(m, { filters: 1, kernel_size: 3, strides: 2, output_padding: null }))).toMatchObject({ outputPadding: null })
    const r = decode(m, { filters: 1, kernel_size: 3, strides: [2, 1], output_padding: [1, 1] })
    expect(paths(r)).toEqual(['output_padding'])
    expect(errorsOf(r)[0]?.message).toMatch(/must be strictly less than `strides`.*axis 1: 1 ≥ 1/)
    expect(errorsOf(decode(m, { filters: 1, kernel_size: 3, output_padding: [0, -1] }))).toEqual([
      { path: 'output_padding[1]', message: 'expected a non-negative integer, found -1, which is negative' }
    ])
  })
})

describe("Keras's per-class rules, every error at once", () => {
  it('strides with dilation: rejected for forward and transposed convolutions in both dialects', () => {
    for (const name of ['Conv1D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose']) {
      for (const dialect of ['keras2', 'keras3'] as const) {
        const r = decode(member(name), { filters: 1, kernel_size: 3, strides: 2, dilation_rate: 2 }, dialect)
        expect(paths(r), `${name} ${dialect}`).toEqual(['strides'])
        expect(errorsOf(r)[0]?.message).toMatch(/not supported in conjunction with/)
      }
    }
  })
  it('separable and depthwise layers: rejected in keras2 (tf.keras ≥ 2.12), accepted in keras3 (Keras ≥ 3.15)', () => {
    for (const name of ['SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv1D']) {
      const config = { filters: 1, kernel_size: 3, strides: 2, dilation_rate: 2 }
      const own = name.startsWith('Depthwise') ? { kernel_size: 3, strides: 2, dilation_rate: 2 } : config
      expect(paths(decode(member(name), own, 'keras2')), name).toEqual(['strides'])
      expect(E.isRight(decode(member(name), own, 'keras3')), name).toBe(true)
    }
  })
  it("tf.keras's inherited keys: accepted in keras2 (groups must be 1), explained in keras3", () => {
    const t = member('Conv2DTranspose')
    expect(E.isRight(decode(t, { filters: 1, kernel_size: 3, groups: 1 }, 'keras2'))).toBe(true)
    expect(errorsOf(decode(t, { filters: 1, kernel_size: 3, groups: 2 }, 'keras2'))[0]?.message).toMatch(/expected groups to be 1 .*a transposed convolution has no groups.*found 2/)
    expect(errorsOf(decode(t, { filters: 1, kernel_size: 3, groups: 1 }, 'keras3'))[0]?.message).toMatch(/not a Keras 3 Conv2DTranspose argument/)
    const s = member('SeparableConv2D')
    const tf2 = { filters: 1, kernel_size: 3, groups: 1, kernel_initializer: 'glorot_uniform', kernel_regularizer: null, kernel_constraint: null }
    expect(E.isRight(decode(s, tf2, 'keras2'))).toBe(true)
    expect(paths(decode(s, tf2, 'keras3'))).toEqual(['groups', 'kernel_initializer', 'kernel_regularizer', 'kernel_constraint'])
  })
  it('a bad config reports every problem with its path', () => {
    const r = decode(member('Conv1D'), { filters: 0, kernel_size: [3, 3], strides: 'x', padding: 'full', groups: 3, dilation_rate: 2, lora_alpha: 2 })
    expect(paths(r)).toEqual(['filters', 'kernel_size', 'strides', 'padding', 'lora_alpha'])
    const r2 = decode(member('Conv1D'), { filters: 4, kernel_size: 3, groups: 3, lora_alpha: 2 })
    expect(paths(r2)).toEqual(['groups', 'lora_alpha'])
    expect(errorsOf(r2)[0]?.message).toBe('expected filters to be divisible by groups, found filters 4 and groups 3 (4 % 3 = 1)')
  })
  it('DepthwiseConv1D explains the Conv argument names it does not take', () => {
    const r = decode(member('DepthwiseConv1D'), { kernel_size: 3, filters: 4, kernel_initializer: 'zeros' })
    expect(errorsOf(r).map((e) => e.message)).toEqual([
      'DepthwiseConv1D has no "filters" argument: its output has input channels × depth_multiplier channels; set depth_multiplier',
      'DepthwiseConv1D has no "kernel_initializer" argument; its kernel argument is "depthwise_initializer"'
    ])
  })
  it('tf.keras 2.x Conv3DTranspose cannot mean a dilation', () => {
    const r = decode(member('Conv3DTranspose'), { filters: 1, kernel_size: 3, dilation_rate: 2 }, 'keras2')
    expect(paths(r)).toEqual(['dilation_rate'])
    expect(E.isRight(decode(member('Conv3DTranspose'), { filters: 1, kernel_size: 3, dilation_rate: 2 }, 'keras3'))).toBe(true)
  })
  it('transposed layers have no LoRA', () => {
    expect(errorsOf(decode(member('Conv1DTranspose'), { filters: 1, kernel_size: 3, lora_rank: 2 }))[0]?.message).toMatch(/has no LoRA/)
  })
})

describe('shape inference', () => {
  const spec = (name: string, config: Record<string, unknown>): ConvFamilySpec => ok(decode(member(name), config))
  it('keeps unknown spatial dims unknown and reports an empty output at kernel_size', () => {
    expect(pipe(inferConvFamily(spec('Conv1D', { filters: 2, kernel_size: 3, padding: 'causal' }), [[null, null, 4]]), E.map((r) => r.outputShape))).toEqual(E.right([null, null, 2]))
    const r = inferConvFamily(spec('Conv3D', { filters: 2, kernel_size: 3 }), [[null, 2, 8, 8, 1]])
    expect(paths(r)).toEqual(['kernel_size'])
    expect(errorsOf(r)[0]?.message).toMatch(/depth axis .*zero or negative/)
  })
  it('transposed output lengths follow deconv_output_length (family §2 examples, n = 5)', () => {
    const out = (config: Record<string, unknown>): unknown =>
      pipe(inferConvFamily(spec('Conv1DTranspose', { filters: 1, ...config }), [[null, 5, 1]]), E.map((r) => r.outputShape[1]))
    expect(out({ kernel_size: 3, strides: 2, padding: 'same' })).toEqual(E.right(10))
    expect(out({ kernel_size: 3, strides: 2, padding: 'valid' })).toEqual(E.right(11))
    expect(out({ kernel_size: 1, strides: 2, padding: 'valid' })).toEqual(E.right(10))
    expect(out({ kernel_size: 3, strides: 2, padding: 'same', output_padding: 0 })).toEqual(E.right(9))
  })
  it('needs the rank and the channels', () => {
    expect(errorsOf(inferConvFamily(spec('Conv1D', { filters: 2, kernel_size: 3 }), [[null, 5, 5, 1]]))[0]?.message).toMatch(/expects an input of rank 3/)
    expect(errorsOf(inferConvFamily(spec('Conv1D', { filters: 2, kernel_size: 3 }), [[null, 5, null]]))[0]?.message).toMatch(/channel dimension/)
    expect(paths(inferConvFamily(spec('Conv1D', { filters: 2, kernel_size: 3, groups: 2 }), [[null, 5, 3]]))).toEqual(['groups'])
  })
})
