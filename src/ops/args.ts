/**
 * Codecs of the constructor arguments operations save in their `config` (`axis`, `keepdims`,
 * `newshape`, `x_min`, …), and the axis rules every operation shares. An operation's arguments keep
 * the form Keras wrote (`axis: -1` and `axis: [-1]` stay apart) so that encoding reproduces the file;
 * the kinds normalize them when they infer and compile.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, quote } from '../core/describe.js'
import { listItems } from '../core/Pair.js'
import { specError, type SpecError } from '../core/SpecError.js'
import { oneOfNames } from '../core/primitives.js'

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const isInt = (u: unknown): u is number => Number.isSafeInteger(u)

/**
 * An integer axis (any sign; checked against the input's rank at inference). `-0` reads as `0`.
 * @category codecs
 */
export const AxisInt: t.Type<number, number, unknown> = new t.Type<number, number, unknown>(
  'an integer axis',
  isInt,
  (u, c) => (isInt(u) ? t.success(u + 0) : t.failure(u, c, `expected an integer axis, found ${describe(u)}`)),
  (a) => a
)

/** A list of integer axes (possibly empty). */
const axisListValidate = (u: unknown, c: t.Context, expected: string): t.Validation<ReadonlyArray<number>> => {
  const items = listItems(u)
  if (items === undefined || !items.every(isInt)) return t.failure(u, c, `expected ${expected}, found ${describe(u)}`)
  return t.success(items.map((a) => (a as number) + 0))
}

/**
 * An axis or a list of axes, or `null` (all axes): `axis` of the reductions and of `squeeze`.
 * @category codecs
 */
export const Axes: t.Type<number | ReadonlyArray<number> | null, number | number[] | null, unknown> = new t.Type<
  number | ReadonlyArray<number> | null,
  number | number[] | null,
  unknown
>(
  'an integer axis, a list of integer axes or null',
  (u): u is number | ReadonlyArray<number> | null => u === null || isInt(u) || (Array.isArray(u) && u.every(isInt)),
  (u, c) => (u === null ? t.success(null) : isInt(u) ? t.success(u + 0) : axisListValidate(u, c, 'an integer axis, a list of integer axes or null')),
  (a) => (a === null || typeof a === 'number' ? a : [...a])
)

/**
 * An axis or a non-empty list of axes (`expand_dims`, `softmax`).
 * @category codecs
 */
export const AxisOrAxes: t.Type<number | ReadonlyArray<number>, number | number[], unknown> = new t.Type<number | ReadonlyArray<number>, number | number[], unknown>(
  'an integer axis or a non-empty list of integer axes',
  (u): u is number | ReadonlyArray<number> => isInt(u) || (Array.isArray(u) && u.length > 0 && u.every(isInt)),
  (u, c) => {
    if (isInt(u)) return t.success(u + 0)
    const r = axisListValidate(u, c, 'an integer axis or a non-empty list of integer axes')
    return E.isRight(r) && r.right.length === 0 ? t.failure(u, c, `expected an integer axis or a non-empty list of integer axes, found ${describe(u)}`) : r
  },
  (a) => (typeof a === 'number' ? a : [...a])
)

/**
 * A permutation of axes, or `null` (reverse them): `Transpose.axes`. Checked against the rank at inference.
 * @category codecs
 */
export const Permutation: t.Type<ReadonlyArray<number> | null, number[] | null, unknown> = new t.Type<ReadonlyArray<number> | null, number[] | null, unknown>(
  'a list of integer axes or null',
  (u): u is ReadonlyArray<number> | null => u === null || (Array.isArray(u) && u.every(isInt)),
  (u, c) => (u === null ? t.success(null) : axisListValidate(u, c, 'a list of integer axes or null')),
  (a) => (a === null ? null : [...a])
)

/**
 * `Reshape.newshape`: a list of sizes, each a non-negative integer or `-1` (at most one), batch axis
 * included (Keras's operation reshapes the whole tensor).
 * @category codecs
 */
export const NewShape: t.Type<ReadonlyArray<number>, number[], unknown> = new t.Type<ReadonlyArray<number>, number[], unknown>(
  'a list of sizes (non-negative integers, at most one -1)',
  (u): u is ReadonlyArray<number> => Array.isArray(u) && u.every((d) => isInt(d) && d >= -1) && u.filter((d) => d === -1).length <= 1,
  (u, c) => {
    const items = listItems(u)
    if (items === undefined || !items.every((d) => isInt(d) && d >= -1)) {
      return t.failure(u, c, `expected newshape to be a list of sizes (non-negative integers, or -1 for the one inferred size), found ${describe(u)}`)
    }
    if (items.filter((d) => d === -1).length > 1) return t.failure(u, c, `expected at most one -1 in newshape (one size can be inferred), found ${quote(items)}`)
    return t.success(items.map((d) => (d as number) + 0))
  },
  (a) => [...a]
)

/**
 * Any JSON number (ints and floats alike; Keras keeps what the user passed), finite.
 * @category codecs
 */
export const Num: t.Type<number, number, unknown> = new t.Type<number, number, unknown>(
  'a finite number',
  (u): u is number => Number.isFinite(u),
  (u, c) => (Number.isFinite(u) ? t.success((u as number) + 0) : t.failure(u, c, `expected a finite number, found ${describe(u)}`)),
  (a) => a
)

/**
 * The float dtypes an operation can cast to (`Cast.dtype`); layerspec computes in float32 or float64
 * and rounds a cast to float16 / bfloat16 values.
 * @category codecs
 */
export const CAST_DTYPES = ['float32', 'float64', 'float16', 'bfloat16'] as const

/** A {@link CAST_DTYPES} name. */
export type CastDType = (typeof CAST_DTYPES)[number]

/**
 * `Cast.dtype`.
 * @category codecs
 */
export const CastDTypeCodec = oneOfNames<CastDType>('dtype', CAST_DTYPES, {
  explain: Object.fromEntries(
    ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string', 'complex64', 'complex128'].map((d) => [
      d,
      `a cast to ${d} is not supported: layerspec computes in floats (float32 or float64); a cast to "float32", "float64", "float16" or "bfloat16" is`
    ])
  )
})

// -------------------------------------------------------------------------------------
// axes
// -------------------------------------------------------------------------------------

/**
 * Canonical axes (`0 ≤ a < rank`, sorted, distinct) of an axis argument for a tensor of rank `rank`
 * (batch axis included), or the error at `path`: out of range, or repeated.
 * @category axes
 */
export const canonicalAxes = (axis: number | ReadonlyArray<number>, rank: number, path: string, what: string): E.Either<SpecError, ReadonlyArray<number>> => {
  const list = typeof axis === 'number' ? [axis] : axis
  const out: number[] = []
  for (const a of list) {
    if (a < -rank || a >= rank) return E.left(specError(path, `${what} ${a} is out of range for a tensor of rank ${rank} (batch axis included): expected an axis from ${-rank} to ${rank - 1}`))
    const c = a < 0 ? a + rank : a
    if (out.includes(c)) return E.left(specError(path, `${what} ${quote(axis)} names axis ${c} twice (for a tensor of rank ${rank})`))
    out.push(c)
  }
  return E.right(out.sort((x, y) => x - y))
}

/**
 * The error for an axis argument that reaches the batch axis, at `path`.
 * @category axes
 */
export const batchAxisError = (path: string, what: string, axis: unknown, effect: string): SpecError =>
  specError(path, `${what} ${quote(axis)} includes the batch axis 0: ${effect}; layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)`)
