/**
 * Run-time immutability for specs: the type system says `readonly`, `deepFreeze` makes it true.
 */

/** Recursively readonly view of a type (functions and typed arrays are left as they are). */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ArrayBufferView
    ? T
    : T extends ReadonlyArray<infer U>
      ? ReadonlyArray<DeepReadonly<U>>
      : T extends object
        ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
        : T

/** Built-in prototypes: never frozen, whatever reaches them (`Array.prototype` is itself an array). */
const INTRINSICS: ReadonlySet<unknown> = new Set<unknown>([Object.prototype, Array.prototype, Function.prototype])

/** A plain object or array layerspec may have built: own prototype `Object.prototype`, `Array.prototype` or `null`. */
const isPlainData = (value: object): boolean => {
  if (INTRINSICS.has(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return Array.isArray(value) ? proto === Array.prototype : proto === Object.prototype || proto === null
}

/**
 * Freezes a plain data value and everything reachable from it through plain objects and arrays.
 * Returns the same value, for use in expressions. It walks only data of the kind the decoders build
 * (object literals, arrays, null-prototype objects), reading own enumerable properties only; it never
 * freezes or enters a built-in prototype (`Object.prototype`, `Array.prototype`, `Function.prototype`),
 * a function, a class instance or a typed array, so nothing a decoder returns can freeze more than the
 * value it built. Iterative: any depth is fine.
 * @category utils
 */
export const deepFreeze = <T>(value: T): T => {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v !== 'object' || v === null || Object.isFrozen(v) || !isPlainData(v)) continue
    Object.freeze(v)
    for (const key of Object.keys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)
      if (d !== undefined && 'value' in d) stack.push(d.value)
    }
  }
  return value
}
