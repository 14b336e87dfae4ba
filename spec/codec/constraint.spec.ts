/**
 * The constraint codec beyond codecs.spec.ts (reference §7): what `axis` and `rate` accept, each kind
 * written back in both dialects, and a guard that accepts exactly the normalized forms.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { constraintCodec } from '../../src/codec/Constraint.js'
import { decodeErrors as errs } from '../helpers.js'


describe('constraint arguments', () => {
  it('axis must be an integer or a list, not a string or an object', () => {
    const c = constraintCodec('keras3')
    expect(errs(c, { class_name: 'UnitNorm', config: { axis: 'x' } })).toEqual([
      { path: 'config.axis', message: 'expected an integer axis or a non-empty list of integer axes, found the string "x"' }
    ])
    expect(errs(c, { class_name: 'MaxNorm', config: { axis: { a: 0 } } })).toEqual([
      { path: 'config.axis', message: 'expected an integer axis or a non-empty list of integer axes, found an object {"a":0}' }
    ])
  })
  it('rate is a number from 0 to 1, both ends included', () => {
    const c = constraintCodec('keras3')
    expect(c.decode({ class_name: 'MinMaxNorm', config: { rate: 0 } })).toEqual(E.right({ kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 0, axis: [0] }))
    expect(c.decode({ class_name: 'MinMaxNorm', config: { rate: 1 } })).toEqual(E.right({ kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 1, axis: [0] }))
    expect(errs(c, { class_name: 'MinMaxNorm', config: { rate: 1.5 } })).toEqual([{ path: 'config.rate', message: 'expected a number between 0 and 1, found 1.5' }])
    expect(errs(c, { class_name: 'MinMaxNorm', config: { rate: -0.25 } })).toEqual([{ path: 'config.rate', message: 'expected a number between 0 and 1, found -0.25' }])
  })
})

describe('constraint encoding, every kind in both dialects', () => {
  it('keras3 envelopes', () => {
    const c = constraintCodec('keras3')
    const env = (class_name: string, config: object) => ({ module: 'keras.constraints', class_name, config, registered_name: null })
    expect(c.encode({ kind: 'non_neg' })).toEqual(env('NonNeg', {}))
    expect(c.encode({ kind: 'unit_norm', axis: [0, 1, 2] })).toEqual(env('UnitNorm', { axis: [0, 1, 2] }))
    expect(c.encode({ kind: 'max_norm', maxValue: 2, axis: [0, 1, 2] })).toEqual(env('MaxNorm', { max_value: 2, axis: [0, 1, 2] }))
    expect(c.encode({ kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 1, axis: [3] })).toEqual(env('MinMaxNorm', { min_value: 0, max_value: 1, rate: 1, axis: 3 }))
    expect(c.encode(null)).toBe(null)
  })
  it('keras2 envelopes', () => {
    const c = constraintCodec('keras2')
    expect(c.encode({ kind: 'max_norm', maxValue: 0.5, axis: [-1, 0] })).toEqual({ class_name: 'MaxNorm', config: { max_value: 0.5, axis: [-1, 0] } })
    expect(c.encode({ kind: 'unit_norm', axis: [0, 1, 2] })).toEqual({ class_name: 'UnitNorm', config: { axis: [0, 1, 2] } })
  })
  it('decoding what was encoded gives the same constraint', () => {
    const c = constraintCodec('keras3')
    const k = { kind: 'min_max_norm', minValue: 0.5, maxValue: 3, rate: 0.25, axis: [0, 1, 2] } as const
    expect(c.decode(c.encode(k))).toEqual(E.right(k))
  })
})

describe('constraintCodec.is', () => {
  it('is named for messages', () => {
    expect(constraintCodec('keras3').name).toBe('a constraint or null')
  })
  it.each([
    ['null', null],
    ['non_neg', { kind: 'non_neg' }],
    ['max_norm over one axis', { kind: 'max_norm', maxValue: 2, axis: [0] }],
    ['max_norm over sorted axes', { kind: 'max_norm', maxValue: 0, axis: [-1, 0, 2] }],
    ['unit_norm', { kind: 'unit_norm', axis: [1] }],
    ['min_max_norm with rate 0', { kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 0, axis: [0, 1, 2] }]
  ])('accepts %s', (_name, value) => {
    expect(constraintCodec('keras3').is(value)).toBe(true)
  })
  it.each([
    ['a name', 'max_norm'],
    ['a serialized object', { class_name: 'NonNeg', config: {} }],
    ['an unknown kind', { kind: 'radial_constraint' }],
    ['an object without kind', {}],
    ['max_norm with a negative max', { kind: 'max_norm', maxValue: -1, axis: [0] }],
    ['max_norm without axis', { kind: 'max_norm', maxValue: 2 }],
    ['max_norm with an integer axis (not normalized)', { kind: 'max_norm', maxValue: 2, axis: 0 }],
    ['max_norm with no axes', { kind: 'max_norm', maxValue: 2, axis: [] }],
    ['max_norm with unsorted axes', { kind: 'max_norm', maxValue: 2, axis: [1, 0] }],
    ['max_norm with a repeated axis', { kind: 'max_norm', maxValue: 2, axis: [0, 0] }],
    ['max_norm with a fractional axis', { kind: 'max_norm', maxValue: 2, axis: [0.5] }],
    ['max_norm with a quoted second axis', { kind: 'max_norm', maxValue: 2, axis: [0, '1'] }],
    ['unit_norm without axis', { kind: 'unit_norm' }],
    ['min_max_norm with a negative min', { kind: 'min_max_norm', minValue: -1, maxValue: 1, rate: 1, axis: [0] }],
    ['min_max_norm with a string max', { kind: 'min_max_norm', minValue: 0, maxValue: '1', rate: 1, axis: [0] }],
    ['min_max_norm with rate 2', { kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 2, axis: [0] }],
    ['min_max_norm with a bad axis', { kind: 'min_max_norm', minValue: 0, maxValue: 1, rate: 1, axis: ['0'] }]
  ])('rejects %s', (_name, value) => {
    expect(constraintCodec('keras3').is(value)).toBe(false)
  })
})
