/**
 * The initializer codec beyond codecs.spec.ts: its guard accepts exactly the normalized forms of
 * reference §5 (so `is(decode(x))` holds and malformed values are refused), and the serialized-object
 * envelope is checked even when the config is fine.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { INITIALIZER_NAMES, initializerCodec } from '../../src/codec/Initializer.js'
import { decodeErrors as errs } from '../helpers.js'


describe('initializerCodec.is', () => {
  it('holds for everything the codec decodes', () => {
    const c = initializerCodec('keras3')
    const decoded = INITIALIZER_NAMES.map((n) => c.decode(n)).filter(E.isRight).map((r) => r.right)
    expect(decoded.length).toBeGreaterThan(20)
    expect(decoded.every((i) => c.is(i))).toBe(true)
    const vs = c.decode({ class_name: 'VarianceScaling', config: { distribution: 'untruncated_normal', mode: 'fan_out' } })
    expect(E.isRight(vs) && c.is(vs.right)).toBe(true)
  })
  it.each([
    ['constant', { kind: 'constant', value: -0.5 }],
    ['random_normal, unseeded', { kind: 'random_normal', mean: 0, stddev: 0.05, seed: null }],
    ['random_normal, seeded', { kind: 'random_normal', mean: 1, stddev: 2, seed: 42 }],
    ['random_uniform', { kind: 'random_uniform', minval: -1, maxval: 1, seed: 7 }],
    ['truncated_normal', { kind: 'truncated_normal', mean: 0, stddev: 1, seed: null }],
    ['variance_scaling, truncated_normal', { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null }],
    ['variance_scaling, untruncated_normal', { kind: 'variance_scaling', scale: 1, mode: 'fan_out', distribution: 'untruncated_normal', seed: 3 }],
    ['variance_scaling, uniform', { kind: 'variance_scaling', scale: 0.5, mode: 'fan_avg', distribution: 'uniform', seed: null }],
    ['orthogonal', { kind: 'orthogonal', gain: 1, seed: null }],
    ['identity', { kind: 'identity', gain: 2 }]
  ])('accepts a normalized %s', (_name, value) => {
    expect(initializerCodec('keras2').is(value)).toBe(true)
  })
  it.each([
    ['a name', 'glorot_uniform'],
    ['null', null],
    ['a serialized object', { class_name: 'Zeros', config: {} }],
    ['an unknown kind', { kind: 'zeros' }],
    ['a constant without a finite value', { kind: 'constant', value: Number.NaN }],
    ['a constant with a quoted value', { kind: 'constant', value: '0' }],
    ['a random_normal with a string mean', { kind: 'random_normal', mean: 'x', stddev: 1, seed: null }],
    ['a random_normal without stddev', { kind: 'random_normal', mean: 0, seed: null }],
    ['a random_normal with a fractional seed', { kind: 'random_normal', mean: 0, stddev: 1, seed: 1.5 }],
    ['a random_normal with a quoted seed', { kind: 'random_normal', mean: 0, stddev: 1, seed: '1' }],
    ['a random_uniform with a null minval', { kind: 'random_uniform', minval: null, maxval: 1, seed: null }],
    ['a random_uniform with an infinite maxval', { kind: 'random_uniform', minval: 0, maxval: Infinity, seed: null }],
    ['a random_uniform with a SeedGenerator seed', { kind: 'random_uniform', minval: 0, maxval: 1, seed: {} }],
    ['a truncated_normal without a seed', { kind: 'truncated_normal', mean: 0, stddev: 1 }],
    ['a truncated_normal with a bad mean', { kind: 'truncated_normal', mean: [], stddev: 1, seed: null }],
    ['a truncated_normal with a bad stddev', { kind: 'truncated_normal', mean: 0, stddev: '1', seed: null }],
    ['a variance_scaling with scale 0', { kind: 'variance_scaling', scale: 0, mode: 'fan_in', distribution: 'uniform', seed: null }],
    ['a variance_scaling with an unknown mode', { kind: 'variance_scaling', scale: 1, mode: 'fan_sum', distribution: 'uniform', seed: null }],
    ['a variance_scaling with the un-normalized "normal"', { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'normal', seed: null }],
    ['a variance_scaling with an empty distribution', { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: '', seed: null }],
    ['a variance_scaling with a bad seed', { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'uniform', seed: 'x' }],
    ['an orthogonal with a string gain', { kind: 'orthogonal', gain: 'x', seed: null }],
    ['an orthogonal with a bad seed', { kind: 'orthogonal', gain: 1, seed: true }],
    ['an identity without gain', { kind: 'identity' }]
  ])('rejects %s', (_name, value) => {
    expect(initializerCodec('keras3').is(value)).toBe(false)
  })
})

describe('initializer codec name and envelope', () => {
  it('is named for messages', () => {
    expect(initializerCodec('keras3').name).toBe('an initializer')
  })
  it('reports a misspelled envelope key even when the config is valid', () => {
    expect(errs(initializerCodec('keras3'), { class_name: 'Zeros', config: {}, modul: 'keras.initializers' })).toEqual([
      { path: 'modul', message: 'unknown key "modul" in a serialized initializer; did you mean "module"?; expected "class_name" and "config" (and optionally "module", "registered_name")' }
    ])
    expect(errs(initializerCodec('keras3'), { class_name: 'HeNormal', config: { seed: 1 }, registered_name: 5 })).toEqual([
      { path: 'registered_name', message: 'expected registered_name to be a string or null, found 5' }
    ])
  })
  it('says "an initializer" when given something that is neither a name nor an object', () => {
    expect(errs(initializerCodec('keras3'), 5)).toEqual([
      { path: '', message: 'expected an initializer: a name such as "zeros" or an object {"class_name": …, "config": {…}}, found 5' }
    ])
  })
  it('distribution names are case-insensitive and "normal" means truncated_normal (reference §5)', () => {
    expect(initializerCodec('keras3').decode({ class_name: 'VarianceScaling', config: { distribution: 'Normal' } })).toEqual(
      E.right({ kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal', seed: null })
    )
  })
})
