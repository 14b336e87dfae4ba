/**
 * The building blocks every codec uses, with their messages checked word for word: error text is part
 * of the contract (a user acts on it), as in io-ts's own tests.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe as group, expect, it } from 'vitest'
import { envelope, rejected, resolved, validateClassObject, type ClassFamily, type StringResolution } from '../../src/core/ClassObject.js'
import { nameTable } from '../../src/core/NameTable.js'
import { deepFreeze } from '../../src/core/deepFreeze.js'
import { describe, isPlainObject, oneOf, quote } from '../../src/core/describe.js'
import { didYouMean, suggestion } from '../../src/core/didYouMean.js'
import { kerasObject, optional, required } from '../../src/core/KerasObject.js'
import { IntOrPair, listItems } from '../../src/core/Pair.js'
import { PositiveInt, positiveIntProblem } from '../../src/core/PositiveInt.js'
import { Bool, decodedAs, FiniteNumber, NonNegativeNumber, nullOr, numberWhere, oneOfNames, PositiveNumber, SafeInt } from '../../src/core/primitives.js'
import { concatPaths, formatErrors, formatPath, fromValidationErrors, specError } from '../../src/core/SpecError.js'
import { tensorProblems } from '../../src/core/Tensor.js'
import { decodeErrors as errors } from '../helpers.js'


group('describe', () => {
  it.each([
    [undefined, 'nothing'],
    [null, 'null'],
    [2.5, '2.5'],
    [-0, '-0'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['3', 'the string "3"'],
    [true, 'the boolean true'],
    [10n, 'the bigint 10'],
    [() => 1, 'a function'],
    [Symbol('s'), 'a symbol'],
    [[1], 'a list of 1 item [1]'],
    [[1, 2, 3], 'a list of 3 items [1,2,3]'],
    [new Float32Array(2), 'a Float32Array'],
    [{ a: 1 }, 'an object {"a":1}']
  ])('%s → %s', (u, text) => {
    expect(describe(u)).toBe(text)
  })
  it('clips long values to 60 characters with an ellipsis, and names a long string\'s length', () => {
    const long = 'x'.repeat(100)
    expect(describe(long)).toBe(`a string of 100 characters "${'x'.repeat(59)}…"`)
    expect(quote({ k: 'y'.repeat(80) }).length).toBe(60)
    expect(quote({ k: 'y'.repeat(80) })).toBe(`{"k":"${'y'.repeat(53)}…`)
  })
  it('quote is compact JSON, and survives what JSON cannot print', () => {
    expect(quote([2, 2])).toBe('[2,2]')
    expect(quote(undefined)).toBe('undefined')
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    // A cyclic value (only code can build one) prints as far as the clip, like any other.
    expect(quote(cyclic)).toBe(`${'{"self":'.repeat(7)}{"s…`)
    const throwing = { get boom(): number { throw new Error('no') } }
    expect(quote(throwing)).toBe('(unprintable value)')
    expect(quote({ n: 1n })).toBe('{"n":"1n"}')
  })
  it('isPlainObject', () => {
    expect([{}, [], null, new Uint8Array(1), 'x', { a: 1 }].map(isPlainObject)).toEqual([true, false, false, false, false, true])
  })
  it('oneOf lists names for a sentence', () => {
    expect(oneOf([])).toBe('')
    expect(oneOf(['valid'])).toBe('"valid"')
    expect(oneOf(['valid', 'same'])).toBe('"valid" or "same"')
    expect(oneOf(['a', 'b', 'c'])).toBe('"a", "b" or "c"')
  })
})

group('didYouMean', () => {
  const keys = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate']
  it.each([
    ['kernel_sise', 'kernel_size'],
    ['KernelSize', 'kernel_size'],
    ['kernel-size', 'kernel_size'],
    ['stride', 'strides'],
    ['dilaton_rate', 'dilation_rate'],
    ['fitlers', 'filters'],
    ['padd', undefined],
    ['xyz', undefined],
    ['data', undefined]
  ])('%s → %s', (input, expected) => {
    expect(didYouMean(input, keys)).toBe(expected)
  })
  it('a transposition counts as one edit; the threshold is a third of the word, 1 to 3', () => {
    expect(didYouMean('ab', ['ba'])).toBe('ba')
    expect(didYouMean('abc', ['abd'])).toBe('abd')
    expect(didYouMean('abc', ['axy'])).toBe(undefined)
    expect(didYouMean('abcdefghijkl', ['abcdefghixyz'])).toBe('abcdefghixyz')
    expect(didYouMean('abcdefghijkl', ['abcdefgwxyzq'])).toBe(undefined)
    expect(didYouMean('relu', ['elu', 'relu6', 'selu'])).toBe('elu')
  })
  it('suggestion phrases it, or says nothing', () => {
    expect(suggestion('kernel_sise', keys)).toBe('; did you mean "kernel_size"?')
    expect(suggestion('zzz', keys)).toBe('')
  })
})

group('paths and errors', () => {
  it('formatPath', () => {
    expect(formatPath([])).toBe('')
    expect(formatPath(['kernel_size', 1])).toBe('kernel_size[1]')
    expect(formatPath(['layers', '3', 'config', 'pool_size'])).toBe('layers[3].config.pool_size')
    expect(formatPath(['a b', 'c'])).toBe('["a b"].c')
    expect(formatPath([0, 'x'])).toBe('[0].x')
  })
  it('concatPaths', () => {
    expect(concatPaths('', 'x')).toBe('x')
    expect(concatPaths('x', '')).toBe('x')
    expect(concatPaths('layers', '[3].config')).toBe('layers[3].config')
    expect(concatPaths('config', 'layers')).toBe('config.layers')
  })
  it('specError takes segments or a formatted path', () => {
    expect(specError(['a', 0], 'm')).toEqual({ path: 'a[0]', message: 'm' })
    expect(specError('b.c', 'n')).toEqual({ path: 'b.c', message: 'n' })
  })
  it('formatErrors prints one line per error, the root as (root)', () => {
    expect(formatErrors([specError('', 'bad'), specError('x[1]', 'worse')])).toBe('(root): bad\nx[1]: worse')
  })
  it('fromValidationErrors drops duplicates and names the type when a codec gave no message', () => {
    const r = t.type({ a: t.number }).decode({ a: 'x' })
    expect(E.isLeft(r) && fromValidationErrors([...r.left, ...r.left])).toEqual([{ path: 'a', message: 'expected number, found the string "x"' }])
  })
})

group('PositiveInt', () => {
  it.each([
    [0, 'found 0, which is not positive'],
    [-1, 'found -1, which is not positive'],
    [2.5, 'found 2.5, which is not an integer'],
    [Number.NaN, 'found NaN'],
    [Number.NEGATIVE_INFINITY, 'found -Infinity'],
    [2 ** 53, 'found 9007199254740992, which is too large to be an exact integer'],
    ['3', 'found the string "3" (write the number without quotes)'],
    [' 4.5 ', 'found the string " 4.5 " (write the number without quotes)'],
    ['three', 'found the string "three"'],
    [true, 'found the boolean true'],
    [null, 'found null']
  ])('%s: %s', (u, problem) => {
    expect(positiveIntProblem(u)).toBe(problem)
    expect(errors(PositiveInt, u)).toEqual([{ path: '', message: `expected a positive integer, ${problem}` }])
  })
  it('accepts positive safe integers and encodes them as they are', () => {
    expect(positiveIntProblem(1)).toBe(undefined)
    expect(PositiveInt.decode(2 ** 53 - 1)).toEqual(E.right(2 ** 53 - 1))
    expect(PositiveInt.is(3)).toBe(true)
    expect(PositiveInt.is(0)).toBe(false)
    expect(PositiveInt.encode(PositiveInt.decode(7)._tag === 'Right' ? (7 as never) : (0 as never))).toBe(7)
  })
})

group('IntOrPair and listItems', () => {
  it('an int is both axes, a list its two axes, a __tuple__ is a list', () => {
    expect(IntOrPair.decode(3)).toEqual(E.right([3, 3]))
    expect(IntOrPair.decode([3, 5])).toEqual(E.right([3, 5]))
    expect(IntOrPair.decode({ class_name: '__tuple__', items: [1, 2] })).toEqual(E.right([1, 2]))
    expect(IntOrPair.encode([2, 4] as never)).toEqual([2, 4])
    expect(IntOrPair.is([1, 2])).toBe(true)
    expect(IntOrPair.is([1, 0])).toBe(false)
    expect(IntOrPair.is(3)).toBe(false)
  })
  it.each([
    [0, '', 'expected a positive integer or a list of 2 positive integers, found 0, which is not positive'],
    ['3', '', 'expected a positive integer or a list of 2 positive integers, found the string "3" (write the number without quotes)'],
    ['x', '', 'expected a positive integer or a list of 2 positive integers, found the string "x"'],
    [[3], '', 'expected a positive integer or a list of 2 positive integers, found a list of 1 item [3]'],
    [[1, 1, 1], '', 'expected a positive integer or a list of 2 positive integers, found a list of 3 items [1,1,1]'],
    [null, '', 'expected a positive integer or a list of 2 positive integers, found null'],
    [[2, 0], '[1]', 'expected a positive integer, found 0, which is not positive']
  ])('#%# %j', (u, path, message) => {
    expect(errors(IntOrPair, u)).toEqual([{ path, message }])
  })
  it('reports both bad elements', () => {
    expect(errors(IntOrPair, [0, -1]).map((e) => e.path)).toEqual(['[0]', '[1]'])
  })
  it('listItems unwraps only exact wrappers', () => {
    expect(listItems([1])).toEqual([1])
    expect(listItems({ class_name: 'TensorShape', items: [null, 2] })).toEqual([null, 2])
    expect(listItems({ class_name: '__tuple__', items: [1], extra: 1 })).toBe(undefined)
    expect(listItems({ class_name: 'Other', items: [1] })).toBe(undefined)
    expect(listItems({ class_name: '__tuple__', items: 'x' })).toBe(undefined)
    expect(listItems('x')).toBe(undefined)
  })
})

group('primitives', () => {
  it('Bool', () => {
    expect(Bool.decode(false)).toEqual(E.right(false))
    expect(errors(Bool, 0)).toEqual([{ path: '', message: 'expected true or false, found 0' }])
    expect(Bool.is(true)).toBe(true)
    expect(Bool.is('true')).toBe(false)
  })
  it('numbers: finite, non-negative, positive, integer; -0 is 0; quoted numbers get a hint', () => {
    expect(FiniteNumber.decode(-2.5)).toEqual(E.right(-2.5))
    expect(Object.is((FiniteNumber.decode(-0) as E.Right<number>).right, 0)).toBe(true)
    expect(errors(FiniteNumber, Infinity)).toEqual([{ path: '', message: 'expected a finite number, found Infinity' }])
    expect(errors(NonNegativeNumber, -1)).toEqual([{ path: '', message: 'expected a finite, non-negative number, found -1' }])
    expect(NonNegativeNumber.decode(0)).toEqual(E.right(0))
    expect(errors(PositiveNumber, 0)).toEqual([{ path: '', message: 'expected a finite, positive number, found 0' }])
    expect(errors(SafeInt, 1.5)).toEqual([{ path: '', message: 'expected an integer, found 1.5' }])
    expect(errors(FiniteNumber, '0.5')).toEqual([{ path: '', message: 'expected a finite number, found the string "0.5" (write the number without quotes)' }])
    expect(errors(FiniteNumber, '')).toEqual([{ path: '', message: 'expected a finite number, found the string ""' }])
    expect(numberWhere('an even number', (n) => n % 2 === 0).is(4)).toBe(true)
    expect(numberWhere('an even number', (n) => n % 2 === 0).is(3)).toBe(false)
    expect(FiniteNumber.is(Number.NaN)).toBe(false)
  })
  it('nullOr', () => {
    const c = nullOr(PositiveInt)
    expect(c.decode(null)).toEqual(E.right(null))
    expect(c.decode(2)).toEqual(E.right(2))
    expect(c.name).toBe('a positive integer or null')
    expect(c.encode(null)).toBe(null)
    expect(c.is(null) && c.is(1) && !c.is(0)).toBe(true)
  })
  it('oneOfNames: exact, case-insensitive, explained, null meaning a default, did-you-mean', () => {
    const exact = oneOfNames('mode', ['fan_in', 'fan_out'])
    expect(exact.decode('fan_in')).toEqual(E.right('fan_in'))
    expect(errors(exact, 'FAN_IN')).toEqual([{ path: '', message: 'expected mode to be "fan_in" or "fan_out", found the string "FAN_IN"; did you mean "fan_in"?' }])
    expect(errors(exact, 3)).toEqual([{ path: '', message: 'expected mode to be "fan_in" or "fan_out", found 3' }])
    expect(errors(exact, null)).toEqual([{ path: '', message: 'expected mode to be "fan_in" or "fan_out", found null' }])
    const loose = oneOfNames('padding', ['valid', 'same'], { caseInsensitive: true, explain: { causal: 'no causal' }, nullMeans: 'valid' })
    expect(loose.decode('SAME')).toEqual(E.right('same'))
    expect(loose.decode(null)).toEqual(E.right('valid'))
    expect(errors(loose, 'Causal')).toEqual([{ path: '', message: 'no causal' }])
    expect(loose.is('same') && !loose.is('SAME')).toBe(true)
    expect(loose.name).toBe('"valid" or "same"')
  })
})

group('kerasObject', () => {
  const codec = kerasObject(
    'Thing',
    { size: required(PositiveInt), flag: optional(Bool, true), rate: optional(FiniteNumber, 0.5) },
    {
      ignored: ['dtype'],
      explained: { old: '"old" is gone; use "size"' },
      rules: [{ keys: ['size', 'rate'], check: (c) => (c.rate > c.size ? { key: 'rate', message: 'rate above size' } : undefined) }]
    }
  )
  it('fills defaults, ignores the ignored keys, encodes every field in order', () => {
    expect(codec.decode({ size: 2, dtype: 'float32' })).toEqual(E.right({ size: 2, flag: true, rate: 0.5 }))
    expect(codec.decode({ size: 2, flag: undefined })).toEqual(E.right({ size: 2, flag: true, rate: 0.5 }))
    expect(Object.keys(codec.encode({ size: 2, flag: false, rate: 1 } as never))).toEqual(['size', 'flag', 'rate'])
    expect(codec.is({ size: 2, flag: true, rate: 0 })).toBe(true)
    expect(codec.is({ size: 0, flag: true, rate: 0 })).toBe(false)
    expect(codec.name).toBe('Thing arguments')
  })
  it('reports everything at once: missing, bad, unknown (with or without a suggestion), explained, broken rules', () => {
    expect(errors(codec, { flag: 1, sise: 2, zzz: 1, old: 3 })).toEqual([
      { path: 'size', message: 'missing required Thing argument "size": expected a positive integer' },
      { path: 'flag', message: 'expected true or false, found 1' },
      { path: 'sise', message: 'unknown Thing argument "sise"; did you mean "size"?' },
      { path: 'zzz', message: 'unknown Thing argument "zzz" (accepted: "size", "flag", "rate" or "dtype")' },
      { path: 'old', message: '"old" is gone; use "size"' }
    ])
    expect(errors(codec, { size: 1, rate: 2 })).toEqual([{ path: 'rate', message: 'rate above size' }])
    // a rule whose keys did not decode does not run
    expect(errors(codec, { size: 0, rate: 2 }).map((e) => e.path)).toEqual(['size'])
  })
  it('rejects what is not an object', () => {
    expect(errors(codec, [1])).toEqual([{ path: '', message: 'expected the Thing arguments as a JSON object, found a list of 1 item [1]' }])
  })
})

group('serialized objects', () => {
  const family: ClassFamily<number> = {
    what: 'widget',
    classes: nameTable([
      ['Small', resolved(decodedAs(kerasObject('Small', { n: optional(PositiveInt, 1 as never) }), (c) => c.n as number))],
      ['Broken', rejected('Broken widgets cannot be used')]
    ]),
    strings: nameTable<StringResolution<number>>([
      ['small', resolved(decodedAs(kerasObject('Small', {}), () => 1))],
      ['tiny', { _tag: 'Value', value: 0 }]
    ])
  }
  const codec = new t.Type<number, unknown, unknown>('widget', (u): u is number => typeof u === 'number', (u, c) => validateClassObject(family, u, c), (a) => a)
  it('strings and envelopes', () => {
    expect(codec.decode('tiny')).toEqual(E.right(0))
    expect(codec.decode('small')).toEqual(E.right(1))
    expect(codec.decode({ class_name: 'Small', config: { n: 4 } })).toEqual(E.right(4))
    expect(codec.decode({ module: 'w', class_name: 'Small', config: {}, registered_name: null })).toEqual(E.right(1))
  })
  it.each([
    ['huge', '', 'unknown widget "huge"; expected one of "small" or "tiny"'],
    ['smal', '', 'unknown widget "smal"; did you mean "small"?; expected one of "small" or "tiny"'],
    [3, '', 'expected a widget: a name such as "small" or an object {"class_name": …, "config": {…}}, found 3'],
    [{ class_name: 5, config: {} }, 'class_name', 'expected the widget\'s class_name to be one of "Small" or "Broken", found 5'],
    [{ class_name: 'Smal', config: {} }, 'class_name', 'unknown widget class "Smal"; did you mean "Small"?; expected one of "Small" or "Broken"'],
    [{ class_name: 'Broken', config: {} }, 'class_name', 'Broken widgets cannot be used'],
    [{ class_name: 'Small' }, 'config', 'missing "config" in the serialized widget "Small": expected a JSON object of its arguments (use {} for the defaults)'],
    [{ class_name: 'Small', config: { n: 0 } }, 'config.n', 'expected a positive integer, found 0, which is not positive']
  ])('#%# %j', (u, path, message) => {
    expect(errors(codec, u)).toEqual([{ path, message }])
  })
  it('unknown envelope keys and bad module / registered_name, with the config still checked', () => {
    expect(errors(codec, { class_name: 'Small', config: { n: 0 }, modul: 'x', module: 3, registered_name: [] })).toEqual([
      { path: 'modul', message: 'unknown key "modul" in a serialized widget; did you mean "module"?; expected "class_name" and "config" (and optionally "module", "registered_name")' },
      { path: 'module', message: 'expected module to be a string or null, found 3' },
      { path: 'registered_name', message: 'expected registered_name to be a string or null, found a list of 0 items []' },
      { path: 'config.n', message: 'expected a positive integer, found 0, which is not positive' }
    ])
  })
  it('envelope writes each dialect\'s form', () => {
    expect(envelope('keras2', 'm', 'C', { a: 1 })).toEqual({ class_name: 'C', config: { a: 1 } })
    expect(envelope('keras3', 'm', 'C', { a: 1 })).toEqual({ module: 'm', class_name: 'C', config: { a: 1 }, registered_name: null })
  })
})

group('deepFreeze', () => {
  it('freezes nested objects and arrays, skips typed arrays, returns its argument', () => {
    const v = { a: [{ b: 1 }], t: new Float32Array(2) }
    expect(deepFreeze(v)).toBe(v)
    expect(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a[0])).toBe(true)
    v.t[0] = 3
    expect(v.t[0]).toBe(3)
    expect(deepFreeze(5)).toBe(5)
  })
})

group('tensorProblems', () => {
  const ok = { shape: [2, 3], data: new Float32Array(6) }
  it('accepts a matching tensor, any positive batch for null', () => {
    expect(tensorProblems(ok, [null, 3], 'float32', 'x')).toEqual([])
    expect(tensorProblems({ shape: [1, 3], data: new Float64Array(3) }, [null, 3], 'float64', 'x')).toEqual([])
  })
  it.each([
    [null, 'x', 'expected a tensor { shape, data } with shape [?, 3], found null'],
    [{ shape: 'x', data: new Float32Array(1) }, 'x.shape', 'expected a shape [?, 3] (an array of 2 dimensions), found the string "x"'],
    [{ shape: [3], data: new Float32Array(3) }, 'x.shape', 'expected rank 2 [?, 3], found rank 1 [3]'],
    [{ shape: [2, 4], data: new Float32Array(8) }, 'x.shape[1]', 'expected 3 (shape [?, 3]), found 4'],
    [{ shape: [0, 3], data: new Float32Array(0) }, 'x.shape[0]', 'expected a positive integer (shape [?, 3]), found 0'],
    [{ shape: [2, 3], data: new Float32Array(5) }, 'x.data', 'expected 6 values for shape [2,3], found 5'],
    [{ shape: [2, 3], data: new Int32Array(6) }, 'x.data', "expected a Float32Array (the layer's dtype is float32), found Int32Array"],
    [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, 'x.data', "expected a Float32Array (the layer's dtype is float32), found a list of 6 items [1,2,3,4,5,6]"]
  ])('#%# %j', (u, path, message) => {
    expect(tensorProblems(u, [null, 3], 'float32', 'x')).toEqual([{ path, message }])
  })
  it('names float64 for float64 layers', () => {
    expect(tensorProblems(ok, [null, 3], 'float64', 'p')[0]?.message).toBe("expected a Float64Array (the layer's dtype is float64), found Float32Array")
  })
})
