/**
 * `NameTable`: the one way layerspec looks up a name a user wrote (an activation, an initializer class,
 * a layer class, a padding, an unknown key's explanation, …). A plain object literal used as a table
 * answers `table["constructor"]` with `Object` and `table["__proto__"]` with `Object.prototype`: a
 * config could then smuggle a built-in into a spec (and `deepFreeze` would freeze it for the whole
 * process) or print `function Object() { [native code] }` in a message. A `NameTable` sees its own
 * entries only, so a prototype name is an unknown name like any other.
 *
 * Reading a user's object by a fixed key (`u['class_name']`) goes through {@link ownValue} /
 * {@link hasOwnKey} for the same reason.
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A read-only table from names to values that only sees its own entries.
 * @category model
 */
export interface NameTable<V> {
  /** Every name in the table, in the order the entries were given (for listings and did-you-mean). */
  readonly names: ReadonlyArray<string>
  /** The value of `name`; `undefined` for an unknown name or anything that is not a string. */
  readonly get: (name: unknown) => V | undefined
  /** True when `name` is one of the table's names. */
  readonly has: (name: unknown) => name is string
  /** The number of names. */
  readonly size: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A table of the given entries (a later entry with the same name replaces an earlier one, keeping the
 * earlier position). Accepts a list of `[name, value]` pairs or an object literal, whose own
 * enumerable string keys are taken.
 * @category constructors
 */
export const nameTable = <V>(entries: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): NameTable<V> => {
  const map = new Map<string, V>(
    Symbol.iterator in entries ? (entries as Iterable<readonly [string, V]>) : Object.entries(entries as Readonly<Record<string, V>>)
  )
  const names = Object.freeze([...map.keys()])
  return Object.freeze({
    names,
    size: map.size,
    get: (name: unknown): V | undefined => (typeof name === 'string' ? map.get(name) : undefined),
    has: (name: unknown): name is string => typeof name === 'string' && map.has(name)
  })
}

/**
 * A table whose value for each name is the name itself (a set of accepted names).
 * @category constructors
 */
export const nameSet = <N extends string>(names: Iterable<N>): NameTable<N> => nameTable<N>([...names].map((n) => [n, n] as const))

/** The empty table. */
export const EMPTY_TABLE: NameTable<never> = nameTable<never>([])

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * True when `o` has `key` as an own property (never through its prototype: `hasOwnKey({}, 'constructor')`
 * is false).
 * @category utils
 */
export const hasOwnKey = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key)

/**
 * The own property `key` of `o`, or `undefined` when `o` has no such own property.
 * @category utils
 */
export const ownValue = (o: Readonly<Record<string, unknown>>, key: string): unknown => (hasOwnKey(o, key) ? o[key] : undefined)
