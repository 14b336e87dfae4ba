/**
 * `kerasObject`: the io-ts codec for a Keras keyword-argument dict (a layer's `config`, an initializer's
 * `config`, …). It checks every field with its own codec, fills Keras's defaults for missing optional
 * fields, reports missing required fields and unknown keys (with a did-you-mean suggestion), and returns
 * **all** the problems in one pass, each at its own path.
 */
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/lib/Either.js'
import { describe, isPlainObject, oneOf, quoteText } from './describe.js'
import { suggestion } from './didYouMean.js'
import { hasOwnKey, nameTable } from './NameTable.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One keyword argument: its codec (decoded type `A`, JSON type `O`) and, when optional, the value a
 * missing key takes (already in decoded form).
 * @category model
 */
export interface Field<A, O> {
  readonly codec: t.Type<A, O, unknown>
  readonly hasDefault: boolean
  readonly defaultValue: A | undefined
}

/** A record of fields, keyed by the Keras argument name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = { readonly [key: string]: Field<any, any> }

/** The decoded record of a set of fields. */
export type DecodedOf<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer A, unknown> ? A : never }

/** The JSON record of a set of fields. */
export type EncodedOf<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, infer O> ? O : never }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A required argument.
 * @category constructors
 */
export const required = <A, O>(codec: t.Type<A, O, unknown>): Field<A, O> => ({
  codec,
  hasDefault: false,
  defaultValue: undefined
})

/**
 * An optional argument and the decoded value Keras uses when it is missing.
 * @category constructors
 */
export const optional = <A, O>(codec: t.Type<A, O, unknown>, defaultValue: A): Field<A, O> => ({
  codec,
  hasDefault: true,
  defaultValue
})

/**
 * A cross-field rule (e.g. "strides > 1 is not supported in conjunction with dilation_rate > 1"). It runs only when
 * every key in `keys` decoded (or took its default), and may read only those keys. A broken rule is
 * reported at `key` with `message`.
 * @category model
 */
export interface Rule<A> {
  readonly keys: ReadonlyArray<keyof A & string>
  readonly check: (a: A) => { readonly key: keyof A & string; readonly message: string } | undefined
}

/** Options of {@link kerasObject}. */
export interface KerasObjectOptions<A> {
  /** Keys accepted and ignored (e.g. an initializer config's legacy `dtype`). */
  readonly ignored?: ReadonlyArray<string>
  /** Keys rejected with a specific explanation instead of "unknown argument" (own entries only are read). */
  readonly explained?: Readonly<Record<string, string>>
  /** Cross-field rules, checked in the same pass as the fields. */
  readonly rules?: ReadonlyArray<Rule<A>>
}

const has = hasOwnKey

/**
 * The codec of a Keras keyword-argument object named `what` (`'Conv2D'`, `'VarianceScaling'`), with
 * the given fields. A key present with value `undefined` counts as missing, as an omitted Python
 * keyword does. Encoding writes every field, in declaration order (Keras's `get_config` order).
 * @category constructors
 */
export const kerasObject = <F extends Fields>(
  what: string,
  fields: F,
  options: KerasObjectOptions<DecodedOf<F>> = {}
): t.Type<DecodedOf<F>, EncodedOf<F>, unknown> => {
  const names = Object.keys(fields)
  const entries = Object.entries(fields)
  const ignored = new Set(options.ignored ?? [])
  const accepted = [...names, ...ignored]
  const explainedTable = nameTable(options.explained ?? {})
  return new t.Type<DecodedOf<F>, EncodedOf<F>, unknown>(
    `${what} arguments`,
    (u): u is DecodedOf<F> => isPlainObject(u) && entries.every(([k, field]) => field.codec.is(u[k])),
    (u, c) => {
      if (!isPlainObject(u)) {
        return t.failure(u, c, `expected the ${what} arguments as a JSON object, found ${describe(u)}`)
      }
      const errors: t.ValidationError[] = []
      const out: Record<string, unknown> = {}
      const decoded = new Set<string>()
      for (const [key, field] of entries) {
        const value = has(u, key) ? u[key] : undefined
        if (value === undefined) {
          if (field.hasDefault) {
            out[key] = field.defaultValue
            decoded.add(key)
          } else {
            errors.push({
              value,
              context: t.appendContext(c, key, field.codec, value),
              message: `missing required ${what} argument ${quoteText(key)}: expected ${field.codec.name}`
            })
          }
          continue
        }
        const r = field.codec.validate(value, t.appendContext(c, key, field.codec, value))
        if (isLeft(r)) errors.push(...r.left)
        else {
          out[key] = r.right
          decoded.add(key)
        }
      }
      for (const rule of options.rules ?? []) {
        if (!rule.keys.every((k) => decoded.has(k))) continue
        const broken = rule.check(out as DecodedOf<F>)
        if (broken !== undefined) {
          const value = u[broken.key]
          errors.push({ value, context: t.appendContext(c, broken.key, t.never, value), message: broken.message })
        }
      }
      for (const key of Object.keys(u)) {
        if (has(fields, key) || ignored.has(key)) continue
        const explained = explainedTable.get(key)
        const hint = explained === undefined ? suggestion(key, accepted) : ''
        errors.push({
          value: u[key],
          context: t.appendContext(c, key, t.never, u[key]),
          message: explained ?? `unknown ${what} argument ${quoteText(key)}${hint}` + (hint === '' ? ` (accepted: ${oneOf(accepted)})` : '')
        })
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as DecodedOf<F>)
    },
    (a) => {
      const out: Record<string, unknown> = {}
      for (const [key, field] of entries) out[key] = field.codec.encode((a as Record<string, unknown>)[key])
      return out as EncodedOf<F>
    }
  )
}
