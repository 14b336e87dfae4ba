/**
 * Keras's serialized-object envelopes, shared by initializers, regularizers, constraints and dtype
 * policies: a bare name (`"glorot_uniform"`), the legacy `{"class_name", "config"}` form (TF 2.x), or
 * the Keras 3 `{"module", "class_name", "config", "registered_name"}` form. `module` and
 * `registered_name` are accepted and ignored (reference §3.2), and so is the `shared_object_id` Keras 3
 * adds when it saves a whole model (`model.save` → config.json) to an object several layers share
 * (every layer's DTypePolicy): each occurrence still carries the full config.
 */
import * as t from 'io-ts'
import { describe, isPlainObject, oneOf, quoteText } from './describe.js'
import { suggestion } from './didYouMean.js'
import { nameTable, ownValue, type NameTable } from './NameTable.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How a class name resolves: to a codec for its `config` (decoding to the normalized value), or to a
 * rejection explaining why that class cannot be used here.
 * @category model
 */
export type Resolution<A> =
  | { readonly _tag: 'Codec'; readonly codec: t.Decoder<unknown, A> }
  | { readonly _tag: 'Rejected'; readonly reason: string }

/** What a bare string name resolves to: a decoded value, or a resolution like a class name's. */
export type StringResolution<A> = { readonly _tag: 'Value'; readonly value: A } | Resolution<A>

/**
 * What a family of serialized objects (e.g. initializers) accepts. Both tables are {@link NameTable}s,
 * so a name is found only among the family's own entries (`"__proto__"` is an unknown name).
 */
export interface ClassFamily<A> {
  /** `'initializer'`, `'regularizer'`, … (used in messages). */
  readonly what: string
  /** The class (or alias) names accepted in a `class_name`; its `names` feed did-you-mean and listings. */
  readonly classes: NameTable<Resolution<A>>
  /** The string names accepted on their own: decoded value or resolution. */
  readonly strings: NameTable<StringResolution<A>>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A resolution to a config codec.
 * @category constructors
 */
export const resolved = <A>(codec: t.Decoder<unknown, A>): Resolution<A> => ({ _tag: 'Codec', codec })

/**
 * A resolution that rejects the class with a reason.
 * @category constructors
 */
export const rejected = (reason: string): { readonly _tag: 'Rejected'; readonly reason: string } => ({
  _tag: 'Rejected',
  reason
})

/**
 * The string names of a family whose strings are aliases of its classes (`"glorot_uniform"` →
 * `GlorotUniform`, as Keras resolves them): each alias, then every class name itself.
 * @category constructors
 */
export const stringsOf = <A>(aliases: Readonly<Record<string, string>>, classes: NameTable<Resolution<A>>): NameTable<StringResolution<A>> =>
  nameTable<StringResolution<A>>([
    ...Object.entries(aliases).flatMap(([alias, cls]) => {
      const r = classes.get(cls)
      return r === undefined ? [] : [[alias, r] as const]
    }),
    ...classes.names.map((n) => [n, classes.get(n) as Resolution<A>] as const)
  ])

const ENVELOPE_KEYS = ['class_name', 'config', 'module', 'registered_name', 'shared_object_id'] as const

/** `an initializer`, `a regularizer`: the noun with its indefinite article. */
const withArticle = (noun: string): string => `${'aeiou'.includes(noun.charAt(0)) ? 'an' : 'a'} ${noun}`

/**
 * Validates a serialized object of a family (string or envelope) into its normalized value. Errors in
 * the envelope point at the envelope's keys (`kernel_initializer.class_name`), errors in the arguments
 * at `kernel_initializer.config.<arg>`.
 * @category constructors
 */
export const validateClassObject = <A>(family: ClassFamily<A>, u: unknown, c: t.Context): t.Validation<A> => {
  const stringNames = family.strings.names
  const classNames = family.classes.names
  if (typeof u === 'string') {
    const r = family.strings.get(u)
    if (r === undefined) {
      return t.failure(u, c, `unknown ${family.what} ${quoteText(u)}${suggestion(u, stringNames)}; expected one of ${oneOf(stringNames)}`)
    }
    switch (r._tag) {
      case 'Value':
        return t.success(r.value)
      case 'Rejected':
        return t.failure(u, c, r.reason)
      case 'Codec':
        return r.codec.validate({}, c)
    }
  }
  if (!isPlainObject(u)) {
    return t.failure(
      u,
      c,
      `expected ${withArticle(family.what)}: a name such as ${oneOf(stringNames.slice(0, 1))} or an object {"class_name": …, "config": {…}}, found ${describe(u)}`
    )
  }
  const errors: t.ValidationError[] = []
  for (const key of Object.keys(u)) {
    if (!(ENVELOPE_KEYS as ReadonlyArray<string>).includes(key)) {
      errors.push({
        value: u[key],
        context: t.appendContext(c, key, t.never, u[key]),
        message: `unknown key ${quoteText(key)} in a serialized ${family.what}${suggestion(key, ENVELOPE_KEYS)}; expected "class_name" and "config" (and optionally "module", "registered_name")`
      })
    }
  }
  const shared = ownValue(u, 'shared_object_id')
  if (shared !== undefined && !(typeof shared === 'number' && Number.isSafeInteger(shared))) {
    errors.push({
      value: shared,
      context: t.appendContext(c, 'shared_object_id', t.never, shared),
      message: `expected shared_object_id (the id Keras 3 gives an object several layers share) to be an integer, found ${describe(shared)}`
    })
  }
  for (const key of ['module', 'registered_name'] as const) {
    const v = ownValue(u, key)
    if (v !== undefined && v !== null && typeof v !== 'string') {
      errors.push({
        value: v,
        context: t.appendContext(c, key, t.never, v),
        message: `expected ${key} to be a string or null, found ${describe(v)}`
      })
    }
  }
  const className = ownValue(u, 'class_name')
  const config = ownValue(u, 'config')
  if (typeof className !== 'string') {
    errors.push({
      value: className,
      context: t.appendContext(c, 'class_name', t.never, className),
      message: `expected the ${family.what}'s class_name to be one of ${oneOf(classNames)}, found ${describe(className)}`
    })
    return t.failures(errors)
  }
  const r = family.classes.get(className)
  const classContext = t.appendContext(c, 'class_name', t.never, className)
  if (r === undefined) {
    errors.push({
      value: className,
      context: classContext,
      message: `unknown ${family.what} class ${quoteText(className)}${suggestion(className, classNames)}; expected one of ${oneOf(classNames)}`
    })
    return t.failures(errors)
  }
  if (r._tag === 'Rejected') {
    errors.push({ value: className, context: classContext, message: r.reason })
    return t.failures(errors)
  }
  if (config === undefined) {
    errors.push({
      value: config,
      context: t.appendContext(c, 'config', t.never, config),
      message: `missing "config" in the serialized ${family.what} ${quoteText(className)}: expected a JSON object of its arguments (use {} for the defaults)`
    })
    return t.failures(errors)
  }
  const decoded = r.codec.validate(config, t.appendContext(c, 'config', r.codec, config))
  if (decoded._tag === 'Left') return t.failures([...errors, ...decoded.left])
  return errors.length > 0 ? t.failures(errors) : decoded
}

/**
 * Writes a serialized object in a dialect's envelope: `{class_name, config}` for `keras2`,
 * `{module, class_name, config, registered_name: null}` for `keras3`.
 * @category constructors
 */
export const envelope = (
  dialect: 'keras2' | 'keras3',
  module: string,
  className: string,
  config: Readonly<Record<string, unknown>>
): Record<string, unknown> =>
  dialect === 'keras2'
    ? { class_name: className, config }
    : { module, class_name: className, config, registered_name: null }
