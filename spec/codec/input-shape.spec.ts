/**
 * Input-shape codecs beyond codecs.spec.ts: their io-ts names and type guards (public API of any io-ts
 * type: `t.array(shape).name`, `shape.is(x)`), encoding, and shape equality. Keras writes unknown
 * dimensions as `null` (None); a known one is a positive integer.
 */
import { describe, expect, it } from 'vitest'
import { sameShape, shapeOfMinRank, shapeOfRank, type PartialShape } from '../../src/codec/InputShape.js'

/** A shape literal (dimensions unbranded). */
const dims = (...d: ReadonlyArray<number | null>): PartialShape => d as PartialShape

describe('shapeOfRank', () => {
  // built inside each test (not at collection time), so that per-test coverage sees the construction
  const c = () => shapeOfRank(4, '[batch, rows, cols, channels]')
  it('is named with its rank and axes', () => {
    expect(c().name).toBe('a list of 4 dimensions [batch, rows, cols, channels]')
  })
  it('is(): exactly `rank` dimensions, each a positive integer or null', () => {
    expect(c().is([null, 28, 28, 1])).toBe(true)
    expect(c().is([8, 28, 28, 3])).toBe(true)
    expect(c().is([null, null, null, null])).toBe(true)
  })
  it('is(): anything else is not a shape', () => {
    expect(c().is([28, 28, 1])).toBe(false) // rank 3
    expect(c().is([null, 2, 28, 28, 1])).toBe(false) // rank 5
    expect(c().is([null, 28, 0, 1])).toBe(false) // one dimension not positive
    expect(c().is([null, 28, 2.5, 1])).toBe(false)
    expect(c().is([null, '28', 28, 1])).toBe(false)
    expect(c().is('abcd')).toBe(false)
    expect(c().is({ length: 4 })).toBe(false)
    expect(c().is(null)).toBe(false)
  })
})

describe('shapeOfMinRank', () => {
  const c = () => shapeOfMinRank(2, '[batch, then the input axes]')
  it('is named with its minimum rank and axes', () => {
    expect(c().name).toBe('a list of at least 2 dimensions [batch, then the input axes]')
  })
  it('is(): at least `minRank` dimensions, each a positive integer or null', () => {
    expect(c().is([null, 5])).toBe(true) // exactly the minimum
    expect(c().is([null, 28, 28, 3])).toBe(true)
    expect(c().is([4, null, 3])).toBe(true)
    expect(shapeOfMinRank(0, '[the input axes]').is([])).toBe(true)
  })
  it('is(): anything else is not a shape', () => {
    expect(c().is([null])).toBe(false) // below the minimum
    expect(c().is([null, 5, 0])).toBe(false)
    expect(c().is([null, 5, -1, 3])).toBe(false)
    expect(c().is([null, true])).toBe(false)
    expect(c().is('ab')).toBe(false)
    expect(c().is(undefined)).toBe(false)
  })
  it('decodes any rank above the minimum', () => {
    expect(c().decode([null, 2, 3, 4, 5, 6])).toEqual({ _tag: 'Right', right: [null, 2, 3, 4, 5, 6] })
  })
  it('encodes a shape as a fresh JSON list', () => {
    const shape = dims(null, 3)
    const encoded = c().encode(shape)
    expect(encoded).toEqual([null, 3])
    expect(encoded).not.toBe(shape)
  })
})

describe('sameShape', () => {
  it('equal ranks and equal dimensions, null matching only null', () => {
    expect(sameShape(dims(null, 28, 28, 1), dims(null, 28, 28, 1))).toBe(true)
    expect(sameShape(dims(), dims())).toBe(true)
    expect(sameShape(dims(null, 28, 28, 1), dims(8, 28, 28, 1))).toBe(false)
    expect(sameShape(dims(28, 28, 1), dims(28, 28, 3))).toBe(false)
    expect(sameShape(dims(3, 28, 28), dims(28, 28, 3))).toBe(false)
  })
  it('a shape and its extension are different shapes', () => {
    expect(sameShape(dims(28, 28), dims(28, 28, 1))).toBe(false)
    expect(sameShape(dims(28, 28, 1), dims(28, 28))).toBe(false)
  })
})
