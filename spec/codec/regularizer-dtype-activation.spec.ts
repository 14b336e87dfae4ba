/**
 * The regularizer (reference §6), dtype policy (§1.16, §3) and activation codecs beyond codecs.spec.ts:
 * class defaults, unknown classes, the codec guards and names, and the activation envelope's edges.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { activationCodec } from '../../src/codec/Activation.js'
import { dtypeCodec } from '../../src/codec/DType.js'
import { regularizerCodec } from '../../src/codec/Regularizer.js'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import { decodeErrors as errs } from '../helpers.js'


describe('regularizer classes and guard', () => {
  it('L1 and L2 default to 0.01, the other factor is 0', () => {
    const c = regularizerCodec('keras3')
    expect(c.decode({ class_name: 'L1', config: {} })).toEqual(E.right({ l1: 0.01, l2: 0 }))
    expect(c.decode({ class_name: 'L1', config: { l1: 0.3 } })).toEqual(E.right({ l1: 0.3, l2: 0 }))
    expect(c.decode({ class_name: 'L2', config: {} })).toEqual(E.right({ l1: 0, l2: 0.01 }))
    expect(c.decode({ class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 } })).toEqual(E.right({ l1: 0.1, l2: 0.2 }))
  })
  it('an L1 config has no l2', () => {
    expect(errs(regularizerCodec('keras3'), { class_name: 'L1', config: { l2: 0.1 } })).toEqual([
      { path: 'config.l2', message: 'unknown L1 argument "l2"; did you mean "l1"?' }
    ])
  })
  it('says "a regularizer" for what is neither a name nor an object', () => {
    expect(errs(regularizerCodec('keras3'), 0.01)).toEqual([
      { path: '', message: 'expected a regularizer: a name such as "l1" or an object {"class_name": …, "config": {…}}, found 0.01' }
    ])
  })
  it('is named, and guards exactly null or two non-negative factors', () => {
    const c = regularizerCodec('keras2')
    expect(c.name).toBe('a regularizer or null')
    expect([null, { l1: 0, l2: 0 }, { l1: 0.5, l2: 0.01 }].every((u) => c.is(u))).toBe(true)
    for (const u of ['l2', { l1: 0.01 }, { l2: 0.01 }, { l1: -1, l2: 0 }, { l1: 0, l2: Number.NaN }, { l1: '0', l2: 0 }, [0, 0]]) {
      expect(c.is(u)).toBe(false)
    }
  })
})

describe('dtype policies', () => {
  it('an unknown policy class is reported at class_name with a suggestion', () => {
    // "Polcy" → "Policy" is one insertion; the limit for a 5-letter word is 1
    expect(errs(dtypeCodec('keras3'), { class_name: 'Polcy', config: { name: 'mixed_float16' } })).toEqual([
      {
        path: 'class_name',
        message: 'unknown dtype policy class "Polcy"; did you mean "Policy"?; expected one of "DTypePolicy", "FloatDTypePolicy" or "Policy"'
      }
    ])
  })
  it('a policy needs its name', () => {
    expect(errs(dtypeCodec('keras3'), { class_name: 'DTypePolicy', config: {} })).toEqual([
      {
        path: 'config.name',
        message: 'missing required DTypePolicy argument "name": expected "float32", "float64", "float16", "bfloat16", "mixed_float16" or "mixed_bfloat16"'
      }
    ])
  })
  it('keras3 writes every policy as a DTypePolicy object (reference §3, K3 ≥ 3.4)', () => {
    expect(dtypeCodec('keras3').encode('mixed_float16')).toEqual({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'mixed_float16' }, registered_name: null })
    expect(dtypeCodec('keras3').encode('float64')).toEqual({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float64' }, registered_name: null })
  })
  it('keras2 writes a string, or a Policy object for mixed precision', () => {
    expect(dtypeCodec('keras2').encode('float64')).toBe('float64')
    expect(dtypeCodec('keras2').encode('mixed_float16')).toEqual({ class_name: 'Policy', config: { name: 'mixed_float16' } })
  })
  it('is named, and guards the policy names', () => {
    const c = dtypeCodec('keras3')
    expect(c.name).toBe('a dtype')
    expect(c.is('bfloat16') && !c.is('int8') && !c.is(null)).toBe(true)
  })
})

describe('activations', () => {
  it('only the "function" envelope with a string config is an activation object', () => {
    const c = activationCodec('keras3')
    const notAName = (found: string) => [{ path: '', message: `expected an activation name such as "relu" (or null for linear), found ${found}` }]
    expect(errs(c, { class_name: 'Function', config: 'relu' })).toEqual(notAName('an object {"class_name":"Function","config":"relu"}'))
    expect(errs(c, { class_name: 'function', config: 3 })).toEqual(notAName('an object {"class_name":"function","config":3}'))
    expect(errs(c, { config: 'relu' })).toEqual(notAName('an object {"config":"relu"}'))
    expect(errs(c, ['relu'])).toEqual(notAName('a list of 1 item ["relu"]'))
  })
  it('an unknown name inside the envelope is reported at config, with the name as the value', () => {
    const r = activationCodec('keras3').decode({ class_name: 'function', config: 'rellu' })
    expect(E.isLeft(r) && r.left.map((e) => [e.value, e.context.map((x) => x.key).join('/')])).toEqual([['rellu', '/config']])
    expect(E.isLeft(r) && fromValidationErrors(r.left)[0]?.message).toMatch(/^unknown activation "rellu"; did you mean "relu"\?/)
  })
  it('is named, and guards only canonical names', () => {
    const c = activationCodec('keras2')
    expect(c.name).toBe('an activation name')
    expect(c.is('silu') && c.is('linear')).toBe(true)
    expect(c.is('swish') || c.is(null) || c.is({ class_name: 'function', config: 'relu' })).toBe(false)
  })
})
