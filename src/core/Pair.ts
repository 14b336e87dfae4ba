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
 * Codec for an "int or pair" argument: `3` → `[3, 3]`, `[3, 5]` → `[3, 5]`. Encodes as a JSON list.
 * Errors point at the element (`kernel_size[1]`) when the list has the right length.
 * @category codecs
 */
export const IntOrPair: t.Type<Pair, [number, number], unknown> = new t.Type<Pair, [number, number], unknown>(
  'a positive integer or a list of 2 positive integers',
  (u): u is Pair => Array.isArray(u) && u.length === 2 && u.every((x) => PositiveInt.is(x)),
  (u, c) => {
    const items = listItems(u)
    if (items === undefined) {
      // Not a list: a single integer for both axes, or what is wrong with it (a quoted number gets a hint).
      const problem = positiveIntProblem(u)
      return problem === undefined
        ? t.success([u, u] as unknown as Pair)
        : t.failure(u, c, `expected a positive integer or a list of 2 positive integers, ${problem}`)
    }
    if (items.length !== 2) {
      return t.failure(u, c, `expected a positive integer or a list of 2 positive integers, found ${describe(items)}`)
    }
    const errors: t.ValidationError[] = []
    const out: PositiveInt[] = []
    items.forEach((item, i) => {
      const r = PositiveInt.validate(item, t.appendContext(c, String(i), PositiveInt, item))
      if (isLeft(r)) errors.push(...r.left)
      else out.push(r.right)
    })
    return errors.length > 0 ? t.failures(errors) : t.success(out as unknown as Pair)
  },
  (a) => [a[0], a[1]]
)
