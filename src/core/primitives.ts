/**
 * Small io-ts codecs every Keras config field is built from. Each codec's `name` is the phrase used after
 * "expected" in error messages, and each failure carries a full sentence ("expected …, found …").
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { describe, isPlainObject, oneOf } from './describe.js'
import { suggestion } from './didYouMean.js'
import { nameSet, nameTable } from './NameTable.js'

/**
 * A JSON boolean; `0`, `1`, `"true"` are rejected (Keras's `trainable` rule, applied to every flag).
 * @category codecs
 */
export const Bool: t.Type<boolean, boolean, unknown> = new t.Type<boolean, boolean, unknown>(
  'a boolean (true or false)',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => (typeof u === 'boolean' ? t.success(u) : t.failure(u, c, `expected true or false, found ${describe(u)}`)),
  (a) => a
)

/**
 * A JSON string.
 * @category codecs
 */
export const Str: t.Type<string, string, unknown> = new t.Type<string, string, unknown>(
  'a string',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c, `expected a string, found ${describe(u)}`)),
  (a) => a
)

/**
 * A finite number satisfying `ok`; `expected` completes "expected …" (`'a finite, non-negative number'`).
 * @category codecs
 */
export const numberWhere = (expected: string, ok: (n: number) => boolean): t.Type<number, number, unknown> => {
  // Number.isFinite is false for anything that is not a number (it does not coerce).
  const accepts = (u: unknown): u is number => Number.isFinite(u) && ok(u as number)
  return new t.Type<number, number, unknown>(
    expected,
    accepts,
    (u, c) => {
      // -0 and 0 mean the same everywhere a Keras argument is a number: keep one of them.
      if (accepts(u)) return t.success(u === 0 ? 0 : u)
      const hint = typeof u === 'string' && u.trim() !== '' && Number.isFinite(Number(u)) ? ' (write the number without quotes)' : ''
      return t.failure(u, c, `expected ${expected}, found ${describe(u)}${hint}`)
    },
    (a) => a
  )
}

/**
 * Any finite number.
 * @category codecs
 */
export const FiniteNumber = numberWhere('a finite number', () => true)

/**
 * A finite number ≥ 0 (regularizer factors, norms).
 * @category codecs
 */
export const NonNegativeNumber = numberWhere('a finite, non-negative number', (n) => n >= 0)

/**
 * A finite number > 0 (VarianceScaling `scale`).
 * @category codecs
 */
export const PositiveNumber = numberWhere('a finite, positive number', (n) => n > 0)

/**
 * A safe integer (any sign).
 * @category codecs
 */
export const SafeInt = numberWhere('an integer', (n) => Number.isSafeInteger(n))

/**
 * `null` or a value of `codec` (for Keras's optional values such as `seed: null`).
 * @category combinators
 */
export const nullOr = <A, O>(codec: t.Type<A, O, unknown>): t.Type<A | null, O | null, unknown> =>
  new t.Type<A | null, O | null, unknown>(
    `${codec.name} or null`,
    (u): u is A | null => u === null || codec.is(u),
    (u, c) => (u === null ? t.success(null) : codec.validate(u, c)),
    (a) => (a === null ? null : codec.encode(a))
  )

/**
 * One of a fixed set of names. With `caseInsensitive`, the input is lower-cased first (Keras's rule for
 * `padding` and `data_format`) and the lower-case form is stored. `what` names the argument in messages.
 * `explain` gives specific messages for known-but-rejected names (e.g. `"causal"` padding).
 * @category combinators
 */
export const oneOfNames = <N extends string>(
  what: string,
  names: ReadonlyArray<N>,
  options: {
    readonly caseInsensitive?: boolean
    readonly explain?: Readonly<Record<string, string>>
    /** The value `null` decodes to (Keras's "use the default" for some arguments); `null` is an error without it. */
    readonly nullMeans?: N
  } = {}
): t.Type<N, N, unknown> => {
  const set = nameSet(names)
  const explain = nameTable(options.explain ?? {})
  return new t.Type<N, N, unknown>(
    oneOf(names),
    (u): u is N => set.has(u),
    (u, c) => {
      if (u === null && options.nullMeans !== undefined) return t.success(options.nullMeans)
      if (typeof u !== 'string') return t.failure(u, c, `expected ${what} to be ${oneOf(names)}, found ${describe(u)}`)
      const key = options.caseInsensitive === true ? u.toLowerCase() : u
      if (set.has(key)) return t.success(key as N)
      const why = explain.get(key)
      if (why !== undefined) return t.failure(u, c, why)
      return t.failure(u, c, `expected ${what} to be ${oneOf(names)}, found ${describe(u)}${suggestion(u, names)}`)
    },
    (a) => a
  )
}

/**
 * A plain JSON object (any keys).
 * @category codecs
 */
export const PlainObject: t.Type<Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>, unknown> =
  new t.Type<Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>, unknown>(
    'a JSON object',
    isPlainObject,
    (u, c) => (isPlainObject(u) ? t.success(u) : t.failure(u, c, `expected a JSON object, found ${describe(u)}`)),
    (a) => a
  )

/**
 * The guard of a union of records told apart by `kind`: `guards[kind]` checks each field of that
 * variant (`{ constant: { value: FiniteNumber.is } }`); an unknown kind is not a member.
 * @category combinators
 */
export const kindGuard = <A>(
  guards: Readonly<Record<string, Readonly<Record<string, (u: unknown) => boolean>>>>
): ((u: unknown) => u is A) => {
  const byKind: ReadonlyMap<unknown, Readonly<Record<string, (u: unknown) => boolean>>> = new Map(Object.entries(guards))
  return (u: unknown): u is A => {
    const fields = isPlainObject(u) ? byKind.get(u['kind']) : undefined
    return fields !== undefined && Object.entries(fields).every(([key, is]) => is((u as Readonly<Record<string, unknown>>)[key]))
  }
}

/**
 * A decoder whose value is `to(a)` of another decoder's `a`, for values that are only ever read through
 * it (a serialized class's `config`: its owner encodes by kind, in one place).
 * @category combinators
 */
export const decodedAs = <A, B>(decoder: t.Decoder<unknown, A>, to: (a: A) => B): t.Decoder<unknown, B> => ({
  name: decoder.name,
  validate: (u, c) => E.map(to)(decoder.validate(u, c)),
  decode: (u) => E.map(to)(decoder.decode(u))
})
