/**
 * `SpecError`: one problem found in a config, as data. Every decoder and compiler in layerspec reports
 * all the problems it finds as a `ReadonlyArray<SpecError>`, each with the JSON path of the offending
 * value and a sentence naming what was expected and what was found.
 */
import type * as t from 'io-ts'
import { describe, MAX_QUOTE } from './describe.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One problem with a config or an input, located by `path`: a JSON path relative to the value that was
 * decoded, written the way a person reads it: `kernel_size[1]`, `config.kernel_initializer.config.scale`,
 * `layers[3].config.pool_size`. The empty string means the value itself.
 * @category model
 */
export interface SpecError {
  readonly path: string
  readonly message: string
}

/** A path as a list of segments: object keys (strings) and list indices (numbers). */
export type PathSegments = ReadonlyArray<string | number>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/**
 * Joins path segments: `['layers', 3, 'config', 'pool_size']` → `layers[3].config.pool_size`.
 * Numeric strings are treated as indices (Keras keys are never numeric). A key longer than
 * {@link MAX_QUOTE} characters is cut (`["aaaa…"]`), so a path never echoes a huge key.
 * @category constructors
 */
export const formatPath = (segments: PathSegments): string => {
  let out = ''
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (seg.length > MAX_QUOTE) out += `[${JSON.stringify(seg.slice(0, MAX_QUOTE - 1)).slice(0, -1)}…"]`
    else if (/^\d+$/.test(seg)) out += `[${seg}]`
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/**
 * Concatenates two formatted paths: `concatPaths('layers[3]', 'config.strides')` → `layers[3].config.strides`.
 * @category constructors
 */
export const concatPaths = (prefix: string, tail: string): string => {
  if (prefix === '') return tail
  if (tail === '') return prefix
  return tail.startsWith('[') ? prefix + tail : `${prefix}.${tail}`
}

/**
 * A `SpecError` at the given path.
 * @category constructors
 */
export const specError = (path: PathSegments | string, message: string): SpecError => ({
  path: typeof path === 'string' ? path : formatPath(path),
  message
})

// -------------------------------------------------------------------------------------
// io-ts interop
// -------------------------------------------------------------------------------------

/**
 * The path an io-ts validation context points at. The root entry (key `''`) is dropped.
 * @category io-ts interop
 */
export const contextPath = (context: t.Context): string =>
  formatPath(context.map((entry) => entry.key).filter((key) => key !== ''))

/**
 * Converts io-ts `Errors` to `SpecError`s. layerspec's own codecs always set a message; for any other
 * codec the message falls back to "expected <type name>, found <value>".
 * @category io-ts interop
 */
export const fromValidationErrors = (errors: t.Errors): ReadonlyArray<SpecError> => {
  const seen = new Set<string>()
  const out: SpecError[] = []
  for (const e of errors) {
    const path = contextPath(e.context)
    const last = e.context[e.context.length - 1]
    const message = e.message ?? `expected ${last?.type.name ?? 'a valid value'}, found ${describe(e.value)}`
    const key = `${path}\u0000${message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ path, message })
    }
  }
  return out
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * One line per error: `kernel_size[1]: expected a positive integer, found 0`.
 * @category utils
 */
export const formatErrors = (errors: ReadonlyArray<SpecError>): string =>
  errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('\n')
