/**
 * Building blocks shared by the elementwise / merge layer kinds: axis lists, numbers-or-lists, the
 * identity compilation of layers that do nothing at inference, and shape checks.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, isPlainObject, quote } from '../../core/describe.js'
import type { Field } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { allocate, type FloatDType } from '../../numerics/FloatArray.js'
import type { CompiledLayer, InferredLayer, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const isInt = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u)

/**
 * An axis argument: an integer or a non-empty list of integers (any sign; the batch axis is 0). Decodes
 * to a list (`-1` → `[-1]`, the same meaning as `[-1]`); encodes a one-element list as the integer.
 * Element errors point at the element (`axis[1]`).
 * @category codecs
 */
export const AxisList: t.Type<ReadonlyArray<number>, number | number[], unknown> = new t.Type<ReadonlyArray<number>, number | number[], unknown>(
  'an integer or a non-empty list of integers',
  (u): u is ReadonlyArray<number> => Array.isArray(u) && u.length > 0 && u.every(isInt),
  (u, c) => {
    if (typeof u === 'number') {
      return isInt(u) ? t.success([u === 0 ? 0 : u]) : t.failure(u, c, `expected an integer axis or a list of integer axes, found ${describe(u)}`)
    }
    const items = listItems(u)
    if (items === undefined || items.length === 0) {
      return t.failure(u, c, `expected an integer axis or a non-empty list of integer axes, found ${describe(u)}`)
    }
    const errors: t.ValidationError[] = []
    items.forEach((item, i) => {
      if (!isInt(item)) {
        errors.push({ value: item, context: t.appendContext(c, String(i), t.never, item), message: `expected an integer axis, found ${describe(item)}` })
      }
    })
    return errors.length > 0 ? t.failures(errors) : t.success((items as number[]).map((a) => (a === 0 ? 0 : a)))
  },
  (a) => (a.length === 1 ? (a[0] as number) : [...a])
)

const isFiniteNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/**
 * A list of exactly two finite numbers (`value_range`), kept in the given order.
 * @category codecs
 */
export const NumberPair: t.Type<readonly [number, number], [number, number], unknown> = new t.Type<readonly [number, number], [number, number], unknown>(
  'a list of 2 numbers',
  (u): u is readonly [number, number] => Array.isArray(u) && u.length === 2 && u.every(isFiniteNumber),
  (u, c) => {
    const items = listItems(u)
    if (items === undefined || items.length !== 2) return t.failure(u, c, `expected a list of 2 numbers, found ${describe(u)}`)
    const errors: t.ValidationError[] = []
    items.forEach((item, i) => {
      if (!isFiniteNumber(item)) errors.push({ value: item, context: t.appendContext(c, String(i), t.never, item), message: `expected a finite number, found ${describe(item)}` })
    })
    if (errors.length > 0) return t.failures(errors)
    const [a, b] = items as [number, number]
    return t.success([a === 0 ? 0 : a, b === 0 ? 0 : b] as const)
  },
  (a) => [a[0], a[1]]
)

/**
 * An optional argument whose absence stays visible (`undefined`), for rules that must know whether a
 * key was given (e.g. two spellings of one argument).
 * @category codecs
 */
export const absentOr = <A, O>(codec: t.Type<A, O, unknown>): Field<A | undefined, O> => ({
  codec: codec as unknown as t.Type<A | undefined, O, unknown>,
  hasDefault: true,
  defaultValue: undefined
})

/**
 * A codec that only accepts `null` (or the given "off" values), with a sentence explaining why other
 * values are rejected.
 * @category codecs
 */
export const onlyOff = <A>(expected: string, off: ReadonlyArray<A>, why: string): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(
    expected,
    (u): u is A => off.includes(u as A),
    (u, c) => (off.includes(u as A) ? t.success(u as A) : t.failure(u, c, `expected ${expected}, found ${describe(u)}: ${why}`)),
    (a) => a
  )

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Normalizes an axis (batch axis 0) for a tensor of `rank` dimensions, or `undefined` when out of range.
 * @category utils
 */
export const normalizeAxis = (axis: number, rank: number): number | undefined => {
  const a = axis < 0 ? axis + rank : axis
  return a >= 0 && a < rank ? a : undefined
}

/**
 * Normalizes a list of axes for `rank`, reporting out-of-range and repeated axes at `path`.
 * @category utils
 */
export const normalizeAxes = (
  axes: ReadonlyArray<number>,
  input: SymbolicShape,
  path: string,
  className: string
): E.Either<ReadonlyArray<SpecError>, ReadonlyArray<number>> => {
  const rank = input.length
  const out: number[] = []
  const errors: SpecError[] = []
  axes.forEach((axis, i) => {
    const at = axes.length === 1 ? path : `${path}[${i}]`
    const a = normalizeAxis(axis, rank)
    if (a === undefined) {
      errors.push(specError(at, `${className} axis ${axis} is out of range for an input of rank ${rank} (batch axis included), whose axes are ${-rank} … ${rank - 1}: input ${showShape(input)}`))
    } else if (out.includes(a)) {
      errors.push(specError(at, `${className} axis ${axis} repeats axis ${a} (axes ${quote(axes)} for an input of rank ${rank})`))
    } else out.push(a)
  })
  return errors.length > 0 ? E.left(errors) : E.right(out)
}

/**
 * The symbolic output of a layer that keeps its input's shape and has no weights.
 * @category utils
 */
export const sameShape = (className: string, inputs: ReadonlyArray<SymbolicShape>): E.Either<ReadonlyArray<SpecError>, InferredLayer> =>
  E.map((input: SymbolicShape) => ({ outputShape: input, weights: [] }))(singleInput(className, inputs))

/**
 * A copy of `x` in the compile dtype (never the same buffer).
 * @category utils
 */
export const copyOf = (x: Tensor, dtype: FloatDType): Tensor => {
  const out = allocate(dtype, x.data.length)
  out.set(x.data)
  return { shape: [...x.shape], data: out }
}

/**
 * The compiled form of a layer that is the identity at inference (dropout, augmentation).
 * @category utils
 */
export const identityLayer = (inputs: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): CompiledLayer => ({
  outputShape: [...(inputs[0] ?? [])],
  weights: [],
  forward: (_w, xs) => copyOf(xs[0] as Tensor, dtype)
})

/**
 * Rounds a constant to the precision the layer computes in (Keras casts its Python floats to the
 * layer's float32 compute dtype before comparing or multiplying).
 * @category utils
 */
export const inDtype = (x: number, dtype: FloatDType): number => (dtype === 'float32' ? Math.fround(x) : x)

/**
 * The product of dims `[from, to)`.
 * @category utils
 */
export const productOf = (dims: ReadonlyArray<number>, from = 0, to = dims.length): number => {
  let p = 1
  for (let i = from; i < to; i++) p *= dims[i] as number
  return p
}

// -------------------------------------------------------------------------------------
// arrays of numbers (Rescaling's scale / offset, Normalization's mean / variance)
// -------------------------------------------------------------------------------------

/**
 * A rectangular array of numbers of rank ≥ 1, as nested lists (`[1, 2, 3]`, `[[0.5, 0.25]]`).
 * @category model
 */
export type NumberArray = ReadonlyArray<number | NumberArray>

const isFiniteNum = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/**
 * The shape of a number (`[]`) or rectangular nested array, or `undefined` when it is not rectangular.
 * @category utils
 */
export const arrayShape = (a: number | NumberArray): ReadonlyArray<number> | undefined => {
  if (typeof a === 'number') return []
  if (a.length === 0) return [0]
  const inner = a.map((x) => arrayShape(x))
  const first = inner[0]
  if (first === undefined || inner.some((s) => s === undefined || s.length !== first.length || s.some((d, i) => d !== first[i]))) return undefined
  return [a.length, ...first]
}

/**
 * The values of a number or nested array in row-major order.
 * @category utils
 */
export const flattenArray = (a: number | NumberArray): ReadonlyArray<number> => (typeof a === 'number' ? [a] : a.flatMap((x) => flattenArray(x)))

/**
 * True for a non-empty rectangular nested array of finite numbers.
 * @category utils
 */
export const isNumberArray = (u: unknown): u is NumberArray =>
  Array.isArray(u) && u.length > 0 && u.every((x) => isFiniteNum(x) || isNumberArray(x)) && arrayShape(u as NumberArray) !== undefined

/**
 * Validates a finite number or a rectangular, non-empty nested list of them at `c` (a SavedModel or
 * Keras 3 serialized tuple counts as a list), pushing every element error; `expected` completes
 * "expected …" for a value of the wrong kind.
 * @category codecs
 */
export const validateNumbers = (u: unknown, c: t.Context, errors: t.ValidationError[], expected: string): number | NumberArray | undefined => {
  if (isFiniteNum(u)) return u === 0 ? 0 : u
  const items = listItems(u) ?? (isPlainObject(u) && u['class_name'] === '__tuple__' && isPlainObject(u['config']) ? listItems(u['config']['value']) : undefined)
  if (items === undefined || items.length === 0) {
    errors.push({ value: u, context: c, message: `expected ${expected}, found ${describe(u)}` })
    return undefined
  }
  const out: Array<number | NumberArray> = []
  items.forEach((item, i) => {
    const v = validateNumbers(item, t.appendContext(c, String(i), t.never, item), errors, 'a finite number or a list of them')
    if (v !== undefined) out.push(v)
  })
  if (out.length !== items.length) return undefined
  if (arrayShape(out) === undefined) {
    errors.push({ value: u, context: c, message: `expected a rectangular array (every list at one depth of the same length), found ${describe(u)}` })
    return undefined
  }
  return out
}

/**
 * For each position of one sample of `perSample` (no batch axis), the index into a row-major array of
 * `shape` broadcast to it as NumPy does (aligned from the last axis; a dim of 1 repeats).
 * @category utils
 */
export const broadcastIndex = (shape: ReadonlyArray<number>, perSample: ReadonlyArray<number>): Int32Array => {
  const rank = perSample.length
  const size = perSample.reduce((a, b) => a * b, 1)
  const strides = new Array<number>(rank).fill(0)
  let st = 1
  for (let k = 1; k <= Math.min(shape.length, rank); k++) {
    const d = shape[shape.length - k] as number
    strides[rank - k] = d === 1 ? 0 : st
    st *= d
  }
  const index = new Int32Array(size)
  const idx = new Array<number>(rank).fill(0)
  let p = 0
  for (let e = 0; e < size; e++) {
    index[e] = p
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      p += strides[a] as number
      if ((idx[a] as number) < (perSample[a] as number)) break
      p -= (strides[a] as number) * (perSample[a] as number)
      idx[a] = 0
    }
  }
  return index
}
