/**
 * Human-readable descriptions of arbitrary (usually JSON) values, for error messages of the form
 * "expected X, found Y". Pure and total: never throws, whatever it is given.
 */

const MAX = 60

const clip = (s: string): string => (s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s)

const shortJson = (u: unknown): string => {
  try {
    const s = JSON.stringify(u, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
    return s === undefined ? String(u) : clip(s)
  } catch {
    return '(unprintable value)'
  }
}

/**
 * Describes a value for an error message: `null`, `2.5`, `NaN`, `the string "3"`, `the boolean true`,
 * `a list of 3 items [1,2,3]`, `an object {"a":1}`, `nothing` (for a missing value).
 * @category utils
 */
export const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing'
  if (u === null) return 'null'
  switch (typeof u) {
    case 'number':
      return Object.is(u, -0) ? '-0' : String(u)
    case 'string':
      return `the string ${clip(JSON.stringify(u))}`
    case 'boolean':
      return `the boolean ${String(u)}`
    case 'bigint':
      return `the bigint ${String(u)}`
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
 * Formats a value as compact JSON for quoting inside a message (`[2,2]`, `"same"`).
 * @category utils
 */
export const quote = (u: unknown): string => shortJson(u)

/**
 * True for a plain JSON object (not null, not an array, not a typed array).
 * @category utils
 */
export const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && !ArrayBuffer.isView(u)

/**
 * Lists accepted names for a message: `"valid" or "same"`, `"a", "b" or "c"`.
 * @category utils
 */
export const oneOf = (names: ReadonlyArray<string>): string => {
  const q = names.map((n) => JSON.stringify(n))
  // Zero or one name: join() has nothing to separate.
  if (q.length <= 1) return q.join()
  return `${q.slice(0, -1).join(', ')} or ${q.slice(-1).join()}`
}
