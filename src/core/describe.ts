/**
 * Human-readable descriptions of arbitrary (usually JSON) values, for error messages of the form
 * "expected X, found Y". Pure, total and bounded: never throws, and never costs more than a few
 * hundred steps or prints more than about {@link MAX_QUOTE} characters of the value, however large,
 * deep or cyclic it is (a 1 MB string is described as `a string of 1000000 characters "aaaa…"`).
 */

/** The most characters of a user's value a message quotes. */
export const MAX_QUOTE = 60

const clip = (s: string): string => (s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE - 1)}…` : s)

/** A JSON string literal of at most about `max` characters of `s` (never reads past them). */
const jsonPrefix = (s: string, max: number): string => JSON.stringify(s.length > max ? s.slice(0, max) : s)

/**
 * Compact JSON of `u`, written only as far as `budget` characters: the same text `JSON.stringify` gives
 * for the first `budget` characters of a JSON value (bigints as `"5n"`), without ever visiting more
 * than `budget` parts of the value, so its cost does not grow with the value's size or depth.
 */
const boundedJson = (u: unknown, budget: number): string => {
  let out = ''
  const emit = (s: string): boolean => {
    out += s
    return out.length <= budget
  }
  const walk = (v: unknown, inArray: boolean): boolean => {
    switch (typeof v) {
      case 'string':
        return emit(jsonPrefix(v, budget))
      case 'number':
        return emit(Number.isFinite(v) ? JSON.stringify(v) : 'null')
      case 'boolean':
        return emit(String(v))
      case 'bigint':
        return emit(`"${v}n"`)
      case 'undefined':
      case 'function':
      case 'symbol':
        return inArray ? emit('null') : true
    }
    if (v === null) return emit('null')
    if (ArrayBuffer.isView(v)) return emit(`${v.constructor.name}(${'length' in v ? String(v.length) : v.byteLength})`)
    if (Array.isArray(v)) {
      if (!emit('[')) return false
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !emit(',')) return false
        if (!walk(v[i], true)) return false
      }
      return emit(']')
    }
    if (!emit('{')) return false
    let first = true
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue
      const item = (v as Record<string, unknown>)[key]
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue
      if (!first && !emit(',')) return false
      first = false
      if (!emit(`${jsonPrefix(key, budget)}:`)) return false
      if (!walk(item, false)) return false
    }
    return emit('}')
  }
  walk(u, false)
  return out
}

const shortJson = (u: unknown): string => {
  // What JSON.stringify cannot write at the top level is named as JavaScript prints it.
  if (u === undefined) return 'undefined'
  if (typeof u === 'function' || typeof u === 'symbol') return `a ${typeof u}`
  try {
    return clip(boundedJson(u, MAX_QUOTE + 1))
  } catch {
    // A getter or proxy of a value built in code (never a parsed JSON value) threw.
    return '(unprintable value)'
  }
}

/**
 * Quotes a string a user wrote (a name, a key) for a message: `"relu"`, or for one longer than
 * {@link MAX_QUOTE} characters its beginning and its length, `"aaaa…" (100000 characters)`.
 * Control characters are escaped, so the message stays on one line.
 * @category utils
 */
export const quoteText = (s: string): string =>
  s.length <= MAX_QUOTE ? JSON.stringify(s) : `${jsonPrefix(s, MAX_QUOTE - 1).slice(0, -1)}…" (${s.length} characters)`

/**
 * Describes a value for an error message: `null`, `2.5`, `NaN`, `the string "3"`, `the boolean true`,
 * `a list of 3 items [1,2,3]`, `an object {"a":1}`, `nothing` (for a missing value), and for a long
 * string `a string of 100000 characters "aaaa…"`.
 * @category utils
 */
export const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing'
  if (u === null) return 'null'
  switch (typeof u) {
    case 'number':
      return Object.is(u, -0) ? '-0' : String(u)
    case 'string':
      return u.length <= MAX_QUOTE
        ? `the string ${JSON.stringify(u)}`
        : `a string of ${u.length} characters ${jsonPrefix(u, MAX_QUOTE - 1).slice(0, -1)}…"`
    case 'boolean':
      return `the boolean ${String(u)}`
    case 'bigint':
      return `the bigint ${clip(String(u))}`
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
  }
  if (Array.isArray(u)) {
    return u.length === 1 ? `a list of 1 item ${shortJson(u)}` : `a list of ${u.length} items ${shortJson(u)}`
  }
  if (ArrayBuffer.isView(u)) return `a ${u.constructor.name}`
  return `an object ${shortJson(u)}`
}

/**
 * Formats a value as compact JSON for quoting inside a message (`[2,2]`, `"same"`), cut to
 * {@link MAX_QUOTE} characters.
 * @category utils
 */
export const quote = (u: unknown): string => shortJson(u)

/**
 * True for a plain JSON object: an object whose prototype is `Object.prototype` or `null` (what
 * `JSON.parse` and object literals make), and not a built-in prototype itself. Arrays, typed arrays,
 * class instances, `Map`s and functions are not plain objects.
 * @category utils
 */
export const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> => {
  if (typeof u !== 'object' || u === null || Array.isArray(u) || u === Object.prototype) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * Lists accepted names for a message: `"valid" or "same"`, `"a", "b" or "c"` (each cut to
 * {@link MAX_QUOTE} characters).
 * @category utils
 */
export const oneOf = (names: ReadonlyArray<string>): string => {
  const q = names.map(quoteText)
  // Zero or one name: join() has nothing to separate.
  if (q.length <= 1) return q.join()
  return `${q.slice(0, -1).join(', ')} or ${q.slice(-1).join()}`
}
