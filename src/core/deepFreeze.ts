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

/**
 * Freezes a plain data value and everything reachable from it (objects and arrays; typed arrays cannot
 * be frozen and are skipped). Returns the same value, for use in expressions.
 * @category utils
 */
export const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}
