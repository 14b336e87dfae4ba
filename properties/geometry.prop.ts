/**
 * Properties of the geometry stage: output sizes and the `same` padding split, checked against Keras's
 * formulas written here independently (TF 2.x's `conv_output_length` form), and the shape rule end to
 * end: forward's output shape = the compiled outputShape = the formula.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbConv2DCase } from '../src/arbitraries/index.js'
import { axisPadding, effectiveKernel, outputLength } from '../src/geometry/Padding.js'
import { compileConv2D } from '../src/conv/compileConv2D.js'
import { params } from './settings.js'
import { ok } from './util.js'

/** TF 2.x `conv_output_length`: `(L − Keff + 1 + s − 1) // s` for valid, `(L + s − 1) // s` for same. */
const kerasLength = (L: number, k: number, s: number, d: number, padding: 'valid' | 'same'): number => {
  const keff = k + (k - 1) * (d - 1)
  const span = padding === 'valid' ? L - keff + 1 : L
  return Math.floor((span + s - 1) / s)
}

const axis = fc.record({
  L: fc.integer({ min: 1, max: 64 }),
  k: fc.integer({ min: 1, max: 9 }),
  s: fc.integer({ min: 1, max: 5 }),
  d: fc.integer({ min: 1, max: 5 }),
  padding: fc.constantFrom<'valid' | 'same'>('valid', 'same')
})

describe('output length and padding (one axis)', () => {
  it('outputLength equals Keras\'s formula, including the ≤ 0 outputs compile rejects', () => {
    fc.assert(
      fc.property(axis, ({ L, k, s, d, padding }) => {
        expect(outputLength(L, k, s, d, padding)).toBe(kerasLength(L, k, s, d, padding))
      }),
      params()
    )
  })

  it('same padding with stride 1 keeps the length, whatever the kernel and dilation', () => {
    fc.assert(fc.property(axis, ({ L, k, d }) => outputLength(L, k, 1, d, 'same') === L), params())
  })

  it('unknown lengths stay unknown', () => {
    fc.assert(fc.property(axis, ({ k, s, d, padding }) => outputLength(null, k, s, d, padding) === null), params())
  })

  it('same padding is TF\'s split: the last window ends at the padded edge, the odd pixel goes after', () => {
    fc.assert(
      fc.property(axis, ({ L, k, s, d }) => {
        const { before, after } = axisPadding(L, k, s, d, 'same')
        const out = Math.ceil(L / s)
        const keff = effectiveKernel(k, d)
        const needed = (out - 1) * s + keff // input span the windows cover
        expect(before + after).toBe(Math.max(needed - L, 0))
        expect(after - before === 0 || after - before === 1).toBe(true)
        expect(before >= 0 && after >= 0).toBe(true)
      }),
      params()
    )
  })

  it('valid padding adds nothing', () => {
    fc.assert(fc.property(axis, ({ L, k, s, d }) => {
      const p = axisPadding(L, k, s, d, 'valid')
      return p.before === 0 && p.after === 0
    }), params())
  })
})

describe('the shape rule', () => {
  it("forward's output shape = outputShape = Keras's formula, for every case, both data formats", () => {
    fc.assert(
      fc.property(arbConv2DCase(), ({ spec, inputShape, params: p, input }) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const cf = spec.dataFormat === 'channels_first'
        const [H, W] = cf ? [inputShape[1], inputShape[2]] : [inputShape[0], inputShape[1]]
        const oh = kerasLength(H, spec.kernelSize[0], spec.strides[0], spec.dilationRate[0], spec.padding)
        const ow = kerasLength(W, spec.kernelSize[1], spec.strides[1], spec.dilationRate[1], spec.padding)
        const expected = cf ? [spec.filters, oh, ow] : [oh, ow, spec.filters]
        expect([...layer.outputShape]).toEqual(expected)
        const y = layer.forward(p, input)
        expect(y.shape).toEqual([input.shape[0], ...expected])
        expect(y.data.length).toBe((input.shape[0] as number) * expected.reduce((a, b) => a * b, 1))
      }),
      params()
    )
  })
})
