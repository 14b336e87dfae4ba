/**
 * `Pair`: the normalized form of Keras's "int or tuple of 2 ints" arguments (`kernel_size`, `strides`,
 * `dilation_rate`): always a readonly `[rows, cols]` tuple of positive integers, so nothing downstream
 * asks "int or pair?".
 */
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/lib/Either.js'
import { describe, isPlainObject } from './describe.js'
import { PositiveInt, positiveIntProblem } from './PositiveInt.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `[rows, cols]` (height, width), whatever the data format.
 * @category model
 */
export type Pair = readonly [PositiveInt, PositiveInt]

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The items of a JSON list, also unwrapping the tuple wrappers Keras's SavedModel metadata writes
 * (`{"class_name": "__tuple__", "items": [...]}`, `{"class_name": "TensorShape", "items": [...]}`).
 * `undefined` when `u` is not a list.
 * @category utils
 */
export const listItems = (u: unknown): ReadonlyArray<unknown> | undefined => {
  if (Array.isArray(u)) return u
  if (
    isPlainObject(u) &&
    (u['class_name'] === '__tuple__' || u['class_name'] === 'TensorShape') &&
    Array.isArray(u['items']) &&
    Object.keys(u).every((k) => k === 'class_name' || k === 'items')
  ) {
    return u['items'] as ReadonlyArray<unknown>
  }
  return undefined
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * A normalized "int or tuple of `rank` ints" argument of a convolution-family layer (`kernel_size`,
 * `strides`, `dilation_rate` of Conv1D / Conv3D, …): a readonly tuple of `rank` positive integers in
 * spatial order (steps; rows, cols; depth, rows, cols). {@link Pair} is its rank-2 form.
 * @category model
 */
export type Tuple = ReadonlyArray<PositiveInt>

const PLURAL = (rank: number, what: string): string => `a list of ${rank} ${what}${rank === 1 ? '' : 's'}`

/**
 * Codec for an "int or tuple of `rank` ints" argument (Keras's `standardize_tuple`): `3` → `[3, …, 3]`,
 * a list of exactly `rank` items kept as it is. `allowZero` admits 0 (`output_padding`). Encodes as a
 * JSON list. Errors point at the element (`kernel_size[1]`) when the list has the right length.
 * @category codecs
 */
export const intOrTuple = (rank: number, allowZero = false): t.Type<Tuple, number[], unknown> => {
  const item = allowZero ? NonNegativeIntItem : PositiveInt
  const noun = allowZero ? 'non-negative integer' : 'positive integer'
  const expected = `a ${noun} or ${PLURAL(rank, noun)}`
  const problemOf = (u: unknown): string | undefined => (allowZero ? nonNegativeIntProblem(u) : positiveIntProblem(u))
  return new t.Type<Tuple, number[], unknown>(
    expected,
    (u): u is Tuple => Array.isArray(u) && u.length === rank && u.every((x) => item.is(x)),
    (u, c) => {
      const items = listItems(u)
      if (items === undefined) {
        // Not a list: a single integer for every axis, or what is wrong with it (a quoted number gets a hint).
        const problem = problemOf(u)
        return problem === undefined ? t.success(Array.from({ length: rank }, () => u) as unknown as Tuple) : t.failure(u, c, `expected ${expected}, ${problem}`)
      }
      if (items.length !== rank) return t.failure(u, c, `expected ${expected}, found ${describe(items)}`)
      const errors: t.ValidationError[] = []
      const out: PositiveInt[] = []
      items.forEach((x, i) => {
        const r = item.validate(x, t.appendContext(c, String(i), item, x))
        if (isLeft(r)) errors.push(...r.left)
        else out.push(r.right as PositiveInt)
      })
      return errors.length > 0 ? t.failures(errors) : t.success(out as Tuple)
    },
    (a) => [...a]
  )
}

/** Why `u` is not an integer ≥ 0, or `undefined` when it is one. */
const nonNegativeIntProblem = (u: unknown): string | undefined =>
  u === 0 ? undefined : typeof u === 'number' && Number.isInteger(u) && u < 0 ? `found ${describe(u)}, which is negative` : positiveIntProblem(u)

/** An integer ≥ 0, with {@link positiveIntProblem}'s messages (a tuple item of `output_padding`). */
const NonNegativeIntItem: t.Type<number, number, unknown> = new t.Type<number, number, unknown>(
  'a non-negative integer',
  (u): u is number => u === 0 || PositiveInt.is(u),
  (u, c) => {
    const problem = nonNegativeIntProblem(u)
    return problem === undefined ? t.success(u as number) : t.failure(u, c, `expected a non-negative integer, ${problem}`)
  },
  (a) => a
)

/**
 * Codec for an "int or pair" argument: `3` → `[3, 3]`, `[3, 5]` → `[3, 5]` ({@link intOrTuple} of rank 2).
 * Encodes as a JSON list. Errors point at the element (`kernel_size[1]`) when the list has the right length.
 * @category codecs
 */
export const IntOrPair: t.Type<Pair, [number, number], unknown> = intOrTuple(2) as unknown as t.Type<Pair, [number, number], unknown>
