/**
 * `PositiveInt`: a strictly positive safe integer, as a branded number (io-ts brand). Every size, stride,
 * dilation, filter count and group count in a spec is one. `2.5`, `"3"`, `true`, `null`, `NaN`, `0`
 * and `-1` are all rejected with a message saying which rule they break (reference §11.5).
 */
import * as t from 'io-ts'
import { describe } from './describe.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Brand carried by {@link PositiveInt}. */
export interface PositiveIntBrand {
  readonly PositiveInt: unique symbol
}

/**
 * A positive safe integer (1, 2, … up to `Number.MAX_SAFE_INTEGER`).
 * @category model
 */
export type PositiveInt = t.Branded<number, PositiveIntBrand>

// -------------------------------------------------------------------------------------
// refinements
// -------------------------------------------------------------------------------------

/**
 * True for a positive safe integer.
 * @category refinements
 */
export const isPositiveInt = (u: unknown): u is PositiveInt =>
  // Number.isSafeInteger is false for anything that is not a number (it does not coerce).
  Number.isSafeInteger(u) && (u as number) > 0

/**
 * Why `u` is not a positive integer, as the tail of a sentence (`found 0, which is not positive`), or
 * `undefined` when it is one.
 * @category refinements
 */
export const positiveIntProblem = (u: unknown): string | undefined => {
  if (isPositiveInt(u)) return undefined
  if (typeof u === 'number') {
    if (!Number.isFinite(u)) return `found ${describe(u)}`
    if (!Number.isInteger(u)) return `found ${describe(u)}, which is not an integer`
    if (u <= 0) return `found ${describe(u)}, which is not positive`
    return `found ${describe(u)}, which is too large to be an exact integer`
  }
  if (typeof u === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(u)) {
    return `found ${describe(u)} (write the number without quotes)`
  }
  return `found ${describe(u)}`
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * Codec for {@link PositiveInt}; its name is the description used in "expected …" messages.
 * @category codecs
 */
export const PositiveInt: t.Type<PositiveInt, number, unknown> = new t.Type<PositiveInt, number, unknown>(
  'a positive integer',
  isPositiveInt,
  (u, c) => {
    const problem = positiveIntProblem(u)
    return problem === undefined ? t.success(u as PositiveInt) : t.failure(u, c, `expected a positive integer, ${problem}`)
  },
  (a) => a
)
