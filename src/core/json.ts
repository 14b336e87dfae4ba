/**
 * Plain JSON data a decoder keeps from its input (a node's `kwargs`, a weights manifest): copied into
 * values the decoder owns, so that freezing a spec never freezes (or reaches through) the caller's
 * objects, and checked for a nesting depth the rest of layerspec can walk. Both are iterative: any
 * input, however deep, costs one pass and never overflows the stack.
 */
import { isPlainObject } from './describe.js'
import { formatPath } from './SpecError.js'

/**
 * How deeply a model file may nest (objects and lists). Keras files nest about six levels per
 * nested model and a few more per layer, so this allows dozens of nested models; Python's `json`
 * module stops near 1,000 levels.
 * @category utils
 */
export const MAX_JSON_DEPTH = 512

/** How many segments of a too-deep value's path {@link tooDeep} reports: enough to find the value. */
export const DEEP_PATH_SEGMENTS = 24

/**
 * Where `u` nests deeper than `maxDepth` levels of objects and lists (the top value is level 0; a
 * number or string inside the deepest list is not a level), or `undefined` when it does not. The path
 * is that of the first such value's ancestor {@link DEEP_PATH_SEGMENTS} levels down (the whole path
 * would be hundreds of segments long). Visits each value at most once, without recursion.
 * @category utils
 */
export const tooDeep = (u: unknown, maxDepth: number = MAX_JSON_DEPTH): string | undefined => {
  interface Visit {
    readonly value: unknown
    readonly key: string | number
    readonly depth: number
    readonly parent: Visit | undefined
  }
  const pathOf = (v: Visit): string => {
    const segments: Array<string | number> = []
    for (let at: Visit | undefined = v; at !== undefined && at.depth > 0; at = at.parent) if (at.depth <= DEEP_PATH_SEGMENTS) segments.push(at.key)
    return formatPath(segments.reverse())
  }
  const stack: Visit[] = [{ value: u, key: '', depth: 0, parent: undefined }]
  while (stack.length > 0) {
    const visit = stack.pop() as Visit
    const value = visit.value
    const keys: ReadonlyArray<string | number> = Array.isArray(value) ? value.map((_, i) => i) : isPlainObject(value) ? Object.keys(value) : []
    for (const key of keys) {
      const child: unknown = (value as Record<string | number, unknown>)[key]
      if (typeof child !== 'object' || child === null) continue
      const next: Visit = { value: child, key, depth: visit.depth + 1, parent: visit }
      if (next.depth > maxDepth) return pathOf(next)
      stack.push(next)
    }
  }
  return undefined
}

/**
 * A fresh copy of JSON data: plain objects and arrays are rebuilt (own enumerable keys, `__proto__`
 * included as an ordinary key, never as a prototype); every other value is kept as it is. The copy
 * shares nothing mutable with `u`, so it can be frozen without touching the caller's objects.
 * @category utils
 */
export const copyJson = (u: unknown): unknown => {
  const copyShallow = (v: unknown): unknown => {
    if (Array.isArray(v)) return [...(v as ReadonlyArray<unknown>)]
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: v[k], enumerable: true, writable: true, configurable: true })
      return out
    }
    return v
  }
  // Originals already copied, so a value reached twice (or a cycle in a hand-built object) is copied once.
  const copies = new Map<unknown, unknown>()
  const root = copyShallow(u)
  copies.set(u, root)
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as Record<string | number, unknown>
    if (typeof node !== 'object' || node === null) continue
    for (const k of Object.keys(node)) {
      const child = node[k]
      if (typeof child !== 'object' || child === null || (!Array.isArray(child) && !isPlainObject(child))) continue
      const seen = copies.get(child)
      const c = seen ?? copyShallow(child)
      Object.defineProperty(node, k, { value: c, enumerable: true, writable: true, configurable: true })
      if (seen === undefined) {
        copies.set(child, c)
        stack.push(c)
      }
    }
  }
  return root
}
