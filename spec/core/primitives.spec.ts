/**
 * The small codecs and combinators every Keras field is built from, beyond core.spec.ts: guards, encoders
 * and the boundaries of each rule. Codecs are built inside each test so a test covers what it checks.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { PositiveInt } from '../../src/core/PositiveInt.js'
import { decodedAs, FiniteNumber, kindGuard, nullOr, oneOfNames, PlainObject, Str } from '../../src/core/primitives.js'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import { decodeErrors as messages } from '../helpers.js'


describe('Str', () => {
  it('accepts strings and encodes them as they are', () => {
    expect(Str.decode('same')).toEqual(E.right('same'))
    expect(Str.encode('x')).toBe('x')
    expect(Str.is('') && !Str.is(3) && !Str.is(null)).toBe(true)
  })
  it('names what it found when given something else', () => {
    expect(messages(Str, 3)).toEqual([{ path: '', message: 'expected a string, found 3' }])
    expect(messages(Str, null)).toEqual([{ path: '', message: 'expected a string, found null' }])
  })
})

describe('PlainObject', () => {
  it('accepts a JSON object, rejects a list with a sentence', () => {
    expect(PlainObject.decode({ a: 1 })).toEqual(E.right({ a: 1 }))
    expect(messages(PlainObject, [])).toEqual([{ path: '', message: 'expected a JSON object, found a list of 0 items []' }])
    expect(PlainObject.encode({ b: 2 })).toEqual({ b: 2 })
  })
})

describe('numberWhere', () => {
  it('a quoted number gets the hint, a blank string does not (it is not a number)', () => {
    expect(messages(FiniteNumber, ' 2 ')).toEqual([{ path: '', message: 'expected a finite number, found the string " 2 " (write the number without quotes)' }])
    expect(messages(FiniteNumber, '  ')).toEqual([{ path: '', message: 'expected a finite number, found the string "  "' }])
  })
  it('encodes a number as itself', () => {
    expect(FiniteNumber.encode(2.5)).toBe(2.5)
  })
  it('the guard and the decoder agree on strings, NaN and the predicate', () => {
    expect(FiniteNumber.is('1')).toBe(false)
    expect(FiniteNumber.decode('1')._tag).toBe('Left')
    expect(FiniteNumber.is(-3)).toBe(true)
  })
})

describe('nullOr', () => {
  it('encodes null as null and anything else through the inner codec', () => {
    // an inner codec whose encoding differs from its value: tens on the inside, units outside
    const tens = nullOr(
      new t.Type<number, number, unknown>('tens', (u): u is number => typeof u === 'number', (u, c) => (PositiveInt.is(u) ? t.success(u * 10) : t.failure(u, c)), (m) => m / 10)
    )
    expect(tens.encode(30)).toBe(3)
    expect(tens.encode(null)).toBe(null)
    expect(tens.decode(4)).toEqual(E.right(40))
  })
})

describe('oneOfNames', () => {
  it('encodes a name as itself; the guard takes only the listed strings', () => {
    const padding = oneOfNames('padding', ['valid', 'same'])
    expect(padding.encode('same')).toBe('same')
    expect(padding.is('valid')).toBe(true)
    expect(padding.is(['valid'])).toBe(false)
    expect(padding.is(undefined)).toBe(false)
  })
})

describe('decodedAs', () => {
  it('maps a successful decoding, passes failures through, keeps the name', () => {
    const doubled = decodedAs(PositiveInt, (n) => n * 2)
    expect(doubled.name).toBe('a positive integer')
    expect(doubled.decode(3)).toEqual(E.right(6))
    expect(messages(doubled, 0)).toEqual([{ path: '', message: 'expected a positive integer, found 0, which is not positive' }])
    expect(doubled.validate(5, t.getDefaultContext(PositiveInt))).toEqual(E.right(10))
    const ctx = t.appendContext(t.getDefaultContext(PositiveInt), 'strides', PositiveInt, -1)
    const r = doubled.validate(-1, ctx)
    expect(E.isLeft(r) && fromValidationErrors(r.left)).toEqual([{ path: 'strides', message: 'expected a positive integer, found -1, which is not positive' }])
  })
})

describe('kindGuard', () => {
  type Shape = { readonly kind: 'square'; readonly side: number } | { readonly kind: 'dot' }
  it('checks the fields of the variant named by kind', () => {
    const isShape = kindGuard<Shape>({ square: { side: FiniteNumber.is }, dot: {} })
    expect(isShape({ kind: 'square', side: 2 })).toBe(true)
    expect(isShape({ kind: 'dot' })).toBe(true)
    expect(isShape({ kind: 'square', side: 'x' })).toBe(false)
    expect(isShape({ kind: 'square' })).toBe(false)
  })
  it('an unknown kind, a missing kind, an inherited name or a non-object is not a member', () => {
    const isShape = kindGuard<Shape>({ square: { side: FiniteNumber.is }, dot: {} })
    expect(isShape({ kind: 'circle' })).toBe(false)
    expect(isShape({ side: 2 })).toBe(false)
    expect(isShape({ kind: 'toString' })).toBe(false)
    expect(isShape(null)).toBe(false)
    expect(isShape('dot')).toBe(false)
    expect(isShape([{ kind: 'dot' }])).toBe(false)
  })
})
