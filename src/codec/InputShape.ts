/**
 * Input shapes as Keras writes them in a layer config: `batch_input_shape` (batch axis first, e.g.
 * `[null, 28, 28, 1]`), `input_shape` (no batch axis) and `batch_size`, and Keras 3's
 * `build_config.input_shape`. Unknown dimensions are `null`. SavedModel's `__tuple__` / `TensorShape`
 * wrappers are unwrapped.
 */
import * as t from 'io-ts'
import { describe, quote } from '../core/describe.js'
import { listItems } from '../core/Pair.js'
import { PositiveInt, positiveIntProblem } from '../core/PositiveInt.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A dimension: a positive integer, or `null` when unknown.
 * @category model
 */
export type Dim = PositiveInt | null

/**
 * A shape of known rank whose dimensions may be unknown.
 * @category model
 */
export type PartialShape = ReadonlyArray<Dim>

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * A list of `rank` dimensions (positive integers or null). `what` describes the axes for messages,
 * e.g. `'[batch, rows, cols, channels]'`.
 * @category codecs
 */
export const shapeOfRank = (rank: number, what: string): t.Type<PartialShape, Array<number | null>, unknown> =>
  new t.Type<PartialShape, Array<number | null>, unknown>(
    `a list of ${rank} dimensions ${what}`,
    (u): u is PartialShape => Array.isArray(u) && u.length === rank && u.every((d) => d === null || PositiveInt.is(d)),
    (u, c) => {
      const items = listItems(u)
      if (items === undefined) {
        return t.failure(u, c, `expected a list of ${rank} dimensions ${what} (positive integers or null), found ${describe(u)}`)
      }
      if (items.length !== rank) {
        return t.failure(
          u,
          c,
          `expected ${rank} dimensions ${what}, found ${items.length}: ${quote(items)}` +
            (items.length > rank ? ' (layerspec does not support extra leading batch axes)' : '')
        )
      }
      const errors: t.ValidationError[] = []
      items.forEach((d, i) => {
        if (d === null) return
        const problem = positiveIntProblem(d)
        if (problem !== undefined) {
          errors.push({
            value: d,
            context: t.appendContext(c, String(i), t.never, d),
            message: `expected a positive integer or null (unknown) dimension, ${problem}`
          })
        }
      })
      // A copy: the spec (deep-frozen) must not hold the caller's array.
      return errors.length > 0 ? t.failures(errors) : t.success([...items] as PartialShape)
    },
    (a) => [...a]
  )

/**
 * True when two partial shapes have the same rank and the same dimensions (an unknown `null` dimension
 * equals only another `null`).
 * @category utils
 */
export const sameShape = (a: PartialShape, b: PartialShape): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Describes a partial shape: `(None, 28, 28, 1)` style, with `null` printed as `None` like Keras.
 * @category utils
 */
export const showShape = (shape: ReadonlyArray<number | null>): string =>
  `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`

/**
 * A list of at least `minRank` dimensions (positive integers or null), any rank above that.
 * @category codecs
 */
export const shapeOfMinRank = (minRank: number, what: string): t.Type<PartialShape, Array<number | null>, unknown> =>
  new t.Type<PartialShape, Array<number | null>, unknown>(
    `a list of at least ${minRank} dimensions ${what}`,
    (u): u is PartialShape => Array.isArray(u) && u.length >= minRank && u.every((d) => d === null || PositiveInt.is(d)),
    (u, c) => {
      const items = listItems(u)
      if (items === undefined || items.length < minRank) {
        return t.failure(u, c, `expected a list of at least ${minRank} dimensions ${what} (positive integers or null), found ${describe(u)}`)
      }
      return shapeOfRank(items.length, what).validate(items, c)
    },
    (a) => [...a]
  )
