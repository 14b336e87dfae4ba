/**
 * `tensorFits` (the allocation-free check a model's `forward` makes of every argument on every call)
 * says yes exactly when `tensorProblems` (the check that writes the messages) finds nothing: over
 * tensors that fit and near misses of every kind — a wrong dimension, a wrong rank, a non-integer or
 * non-positive dimension, the other float type, a plain array, a short or long data array, a value
 * that is no object, an object that is not plain.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { tensorFits, tensorProblems } from '../src/core/Tensor.js'
import { params } from './settings.js'

const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
const expectedOf = (shape: ReadonlyArray<number>): fc.Arbitrary<ReadonlyArray<number | null>> =>
  fc.tuple(...shape.map((d) => fc.constantFrom<number | null>(d, null, d + 1))).map((xs) => xs)

const dimValue = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom(1.5, Number.NaN, '2', null))

/** A value near a tensor of `shape`: the tensor itself, or one thing changed. */
const nearTensor = (shape: ReadonlyArray<number>): fc.Arbitrary<unknown> => {
  const size = shape.reduce((a, b) => a * b, 1)
  return fc.oneof(
    fc.constant({ shape: [...shape], data: new Float32Array(size) }),
    fc.constant({ shape: [...shape], data: new Float64Array(size) }),
    fc.constant({ shape: [...shape], data: Array.from({ length: size }, () => 0) }),
    fc.integer({ min: 0, max: 3 }).map((extra) => ({ shape: [...shape], data: new Float32Array(Math.max(0, size - 1 + extra)) })),
    fc.tuple(fc.nat(), dimValue).map(([i, v]) => {
      const s: unknown[] = [...shape]
      if (s.length > 0) s[i % s.length] = v
      return { shape: s, data: new Float32Array(size) }
    }),
    fc.constant({ shape: [...shape, 1], data: new Float32Array(size) }),
    fc.constant({ shape: shape.slice(1), data: new Float32Array(size) }),
    fc.constantFrom(null, undefined, 3, 'tensor', [1, 2], new Float32Array(size)),
    fc.constant(Object.assign(Object.create({ inherited: true }) as object, { shape: [...shape], data: new Float32Array(size) }))
  )
}

describe('tensorFits', () => {
  it('is true exactly when tensorProblems finds no problem', () => {
    fc.assert(
      fc.property(
        dims.chain((shape) => fc.tuple(nearTensor(shape), expectedOf(shape), fc.constantFrom<'float32' | 'float64'>('float32', 'float64'))),
        ([u, expected, dtype]) => {
          expect(tensorFits(u, expected, dtype)).toBe(tensorProblems(u, expected, dtype, 'x').length === 0)
        }
      ),
      params(300)
    )
  })
})
