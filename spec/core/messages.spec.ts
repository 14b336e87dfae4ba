/**
 * What the core building blocks say about bad values, beyond core.spec.ts: quoted-number hints, lists in
 * messages, typo suggestions at their thresholds, paths, tensors and keyword objects. Expected texts are
 * worked out by hand from the rules in the source comments (edit distances below are counted by hand).
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import { describe as group, expect, it } from 'vitest'
import { deepFreeze } from '../../src/core/deepFreeze.js'
import { describe } from '../../src/core/describe.js'
import { didYouMean } from '../../src/core/didYouMean.js'
import { kerasObject, optional, required } from '../../src/core/KerasObject.js'
import { IntOrPair } from '../../src/core/Pair.js'
import { isPositiveInt, PositiveInt, positiveIntProblem } from '../../src/core/PositiveInt.js'
import { Bool, FiniteNumber } from '../../src/core/primitives.js'
import { formatPath, fromValidationErrors } from '../../src/core/SpecError.js'
import { tensorProblems } from '../../src/core/Tensor.js'

const errors = <A>(codec: t.Type<A, unknown, unknown>, u: unknown) => {
  const r = codec.decode(u)
  return E.isLeft(r) ? fromValidationErrors(r.left) : []
}

group('positive integers: which strings get the "without quotes" hint', () => {
  it('a whole quoted numeral, with or without sign, decimals or surrounding blanks', () => {
    expect(positiveIntProblem('12')).toBe('found the string "12" (write the number without quotes)')
    expect(positiveIntProblem('-7')).toBe('found the string "-7" (write the number without quotes)')
    expect(positiveIntProblem('2.25')).toBe('found the string "2.25" (write the number without quotes)')
    expect(positiveIntProblem(' 3 ')).toBe('found the string " 3 " (write the number without quotes)')
  })
  it('not a string that merely contains digits', () => {
    expect(positiveIntProblem('x3')).toBe('found the string "x3"')
    expect(positiveIntProblem('3x')).toBe('found the string "3x"')
    expect(positiveIntProblem('3x3')).toBe('found the string "3x3"')
  })
  it('not a list holding a number', () => {
    expect(positiveIntProblem([3])).toBe('found a list of 1 item [3]')
  })
  it('the guard takes numbers only', () => {
    expect(isPositiveInt('3')).toBe(false)
    expect(isPositiveInt(3)).toBe(true)
    expect(isPositiveInt(2 ** 53)).toBe(false)
  })
})

group('IntOrPair messages', () => {
  const head = 'expected a positive integer or a list of 2 positive integers, '
  it('a quoted number gets the same hint as everywhere else', () => {
    expect(errors(IntOrPair, ' 3 ')).toEqual([{ path: '', message: `${head}found the string " 3 " (write the number without quotes)` }])
    expect(errors(IntOrPair, '3x3')).toEqual([{ path: '', message: `${head}found the string "3x3"` }])
    expect(errors(IntOrPair, true)).toEqual([{ path: '', message: `${head}found the boolean true` }])
  })
  it('a __tuple__ of the wrong length is described as the list it holds', () => {
    expect(errors(IntOrPair, { class_name: '__tuple__', items: [1, 2, 3] })).toEqual([{ path: '', message: `${head}found a list of 3 items [1,2,3]` }])
  })
  it('a long list is clipped to 60 characters with an ellipsis', () => {
    // JSON "[100,100,…,100]": "[" then 14 × "100," then "10" is 59 characters
    expect(errors(IntOrPair, new Array(30).fill(100))).toEqual([{ path: '', message: `${head}found a list of 30 items [${'100,'.repeat(14)}10…` }])
  })
  it('the guard wants exactly two positive integers in a list', () => {
    expect(IntOrPair.is([1, 2, 3])).toBe(false)
    expect(IntOrPair.is([4])).toBe(false)
    expect(IntOrPair.is('12')).toBe(false)
    expect(IntOrPair.is([2, 5])).toBe(true)
  })
})

group('describe at the clipping boundary', () => {
  it('a string of exactly 60 characters is quoted whole, 61 is cut and its length named', () => {
    expect(describe('x'.repeat(60))).toBe(`the string "${'x'.repeat(60)}"`)
    expect(describe('x'.repeat(61))).toBe(`a string of 61 characters "${'x'.repeat(59)}…"`)
  })
})

group('didYouMean thresholds (distances counted by hand)', () => {
  it('extra letters at the start are edits like any other', () => {
    // "zeropadding" is "padding" plus 4 insertions; the limit for a 7-letter word is 2
    expect(didYouMean('padding', ['zeropadding'])).toBe(undefined)
    // "tanh" is "tanhtanh" minus 4 letters; the limit for 8 letters is 2
    expect(didYouMean('tanhtanh', ['tanh'])).toBe(undefined)
  })
  it('two substitutions are not a transposition', () => {
    // relu → silu: r→s, e→i (2 > 1)
    expect(didYouMean('relu', ['silu'])).toBe(undefined)
    // erlu → selu: e→s, r→e; swapping "er" gives "re", not "se"
    expect(didYouMean('erlu', ['selu'])).toBe(undefined)
    // reu → elu: r→e, e→l; swapping gives "eru"
    expect(didYouMean('reu', ['elu'])).toBe(undefined)
    // eslu → relu: e→r, s→e; swapping gives "selu"
    expect(didYouMean('eslu', ['relu'])).toBe(undefined)
  })
  it('a swap of adjacent letters is one edit', () => {
    expect(didYouMean('erlu', ['selu', 'relu'])).toBe('relu')
  })
  it('when several candidates match up to case and separators, the first wins', () => {
    expect(didYouMean('Kernel-Size', ['kernel_size', 'kernelsize'])).toBe('kernel_size')
    expect(didYouMean('KERNELSIZE', ['kernelsize', 'kernel_size'])).toBe('kernelsize')
  })
})

group('paths', () => {
  it('multi-digit keys are indices; keys that start with a digit are quoted', () => {
    expect(formatPath(['layers', '12', 'config'])).toBe('layers[12].config')
    expect(formatPath(['3a'])).toBe('["3a"]')
  })
  it('an error with no context and no message still reads as a sentence', () => {
    expect(fromValidationErrors([{ value: 1, context: [] }])).toEqual([{ path: '', message: 'expected a valid value, found 1' }])
  })
})

group('tensorProblems: what is not a { shape, data } object', () => {
  it('a bare typed array is named as such (the shape is missing, not the tensor)', () => {
    expect(tensorProblems(new Float32Array(6), [null, 3], 'float32', 'x')).toEqual([
      { path: 'x', message: 'expected a tensor { shape, data } with shape [?, 3], found a Float32Array' }
    ])
  })
  it('a list is not a tensor', () => {
    expect(tensorProblems([1, 2, 3], [null, 3], 'float32', 'x')).toEqual([
      { path: 'x', message: 'expected a tensor { shape, data } with shape [?, 3], found a list of 3 items [1,2,3]' }
    ])
  })
  it('dimensions must be positive integer numbers', () => {
    expect(tensorProblems({ shape: [2.5, 3], data: new Float32Array(6) }, [null, 3], 'float32', 'x')).toEqual([
      { path: 'x.shape[0]', message: 'expected a positive integer (shape [?, 3]), found 2.5' }
    ])
    expect(tensorProblems({ shape: ['2', 3], data: new Float32Array(6) }, [null, 3], 'float32', 'x')).toEqual([
      { path: 'x.shape[0]', message: 'expected a positive integer (shape [?, 3]), found the string "2"' }
    ])
  })
  it('a fully fixed shape accepts its own dims', () => {
    expect(tensorProblems({ shape: [2, 3], data: new Float64Array(6) }, [2, 3], 'float64', 'w')).toEqual([])
    expect(tensorProblems({ shape: [3, 3], data: new Float64Array(9) }, [2, 3], 'float64', 'w')).toEqual([
      { path: 'w.shape[0]', message: 'expected 2 (shape [2, 3]), found 3' }
    ])
  })
})

group('deepFreeze', () => {
  it('leaves functions alone, as DeepReadonly does', () => {
    const f = (): number => 1
    const v = { f }
    deepFreeze(v)
    expect(Object.isFrozen(v)).toBe(true)
    expect(Object.isFrozen(f)).toBe(false)
  })
  it('null and primitives pass through', () => {
    expect(deepFreeze(null)).toBe(null)
    expect(deepFreeze('s')).toBe('s')
  })
})

group('kerasObject, built per test', () => {
  const fields = () => ({ size: required(PositiveInt), flag: optional(Bool, true), rate: optional(FiniteNumber, 0.5) })
  it('ignored keys are accepted only when listed', () => {
    expect(kerasObject('Thing', fields(), { ignored: ['dtype'] }).decode({ size: 2, dtype: 'float32' })).toEqual(E.right({ size: 2, flag: true, rate: 0.5 }))
    expect(errors(kerasObject('Thing', fields()), { size: 2, dtype: 'float32' })).toEqual([
      { path: 'dtype', message: 'unknown Thing argument "dtype" (accepted: "size", "flag" or "rate")' }
    ])
  })
  it('is named after the object', () => {
    expect(kerasObject('Conv2D', fields()).name).toBe('Conv2D arguments')
  })
  it('the guard checks every field with its own guard', () => {
    const c = kerasObject('Thing', fields())
    expect(c.is({ size: 2, flag: false, rate: -1 })).toBe(true)
    expect(c.is({ size: 2, flag: 'no', rate: 1 })).toBe(false)
    expect(c.is({ size: 2, flag: true })).toBe(false)
    expect(c.is([2, true, 1])).toBe(false)
  })
  it('encodes every field through its codec, in declaration order', () => {
    const c = kerasObject('Thing', { kernel: required(IntOrPair), flag: optional(Bool, true) })
    const encoded = c.encode({ kernel: [3, 5] as never, flag: false })
    expect(encoded).toEqual({ kernel: [3, 5], flag: false })
    expect(Object.keys(encoded)).toEqual(['kernel', 'flag'])
  })
})
