/**
 * Shared checks for hostile input (the fuzz suite properties/fuzz.prop.ts and the table test
 * spec/hostile/prototype-names.spec.ts): the prototype names, snapshots of the built-in prototypes and
 * of an input value (so a test sees any write, freeze or extension), and the rules every error must
 * follow.
 */
import type { SpecError } from '../src/core/SpecError.js'

// -------------------------------------------------------------------------------------
// names
// -------------------------------------------------------------------------------------

/**
 * Every own property name of `Object.prototype` (a plain object answers each of them through its
 * prototype), plus `prototype` (every function's own key) and a few names of `Array.prototype` /
 * `Function.prototype` (`name` is left out: it is a Keras argument of every layer).
 */
export const PROTO_NAMES: ReadonlyArray<string> = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'length',
  'call',
  'apply',
  'bind'
]

/**
 * Sets an own enumerable property the way `JSON.parse` creates it: `o['__proto__'] = v` would set the
 * prototype instead, `Object.defineProperty` never does.
 */
export const setOwn = (o: object, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A copy of a plain object with `from` renamed `to` in the same position (own keys, `__proto__` too). */
export const renameKey = (o: Readonly<Record<string, unknown>>, from: string, to: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(o)) setOwn(out, k === from ? to : k, o[k])
  return out
}

// -------------------------------------------------------------------------------------
// built-in prototypes
// -------------------------------------------------------------------------------------

const INTRINSICS = { 'Object.prototype': Object.prototype, 'Array.prototype': Array.prototype, 'Function.prototype': Function.prototype } as const

interface PropSnapshot {
  readonly key: string | symbol
  readonly descriptor: PropertyDescriptor
}

interface ObjectSnapshot {
  readonly frozen: boolean
  readonly sealed: boolean
  readonly extensible: boolean
  readonly proto: unknown
  readonly props: ReadonlyArray<PropSnapshot>
}

const snapshotObject = (o: object): ObjectSnapshot => ({
  frozen: Object.isFrozen(o),
  sealed: Object.isSealed(o),
  extensible: Object.isExtensible(o),
  proto: Object.getPrototypeOf(o),
  props: Reflect.ownKeys(o).map((key) => ({ key, descriptor: Object.getOwnPropertyDescriptor(o, key) as PropertyDescriptor }))
})

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable

const diffObject = (what: string, before: ObjectSnapshot, after: ObjectSnapshot): string[] => {
  const out: string[] = []
  if (before.frozen !== after.frozen) out.push(`${what} frozen: ${before.frozen} → ${after.frozen}`)
  if (before.sealed !== after.sealed) out.push(`${what} sealed: ${before.sealed} → ${after.sealed}`)
  if (before.extensible !== after.extensible) out.push(`${what} extensible: ${before.extensible} → ${after.extensible}`)
  if (before.proto !== after.proto) out.push(`${what}: its prototype changed`)
  const keysBefore = before.props.map((p) => p.key)
  const keysAfter = after.props.map((p) => p.key)
  for (const k of keysAfter) if (!keysBefore.includes(k)) out.push(`${what}: own key ${String(k)} added`)
  for (const p of before.props) {
    const q = after.props.find((x) => x.key === p.key)
    if (q === undefined) out.push(`${what}: own key ${String(p.key)} removed`)
    else if (!sameDescriptor(p.descriptor, q.descriptor)) out.push(`${what}: own property ${String(p.key)} changed`)
  }
  return out
}

/** A snapshot of `Object.prototype`, `Array.prototype` and `Function.prototype`. */
export type IntrinsicsSnapshot = Readonly<Record<keyof typeof INTRINSICS, ObjectSnapshot>>

/** Snapshots the three built-in prototypes (frozen / sealed / extensible state, prototype, every own property's descriptor). */
export const snapshotIntrinsics = (): IntrinsicsSnapshot => ({
  'Object.prototype': snapshotObject(INTRINSICS['Object.prototype']),
  'Array.prototype': snapshotObject(INTRINSICS['Array.prototype']),
  'Function.prototype': snapshotObject(INTRINSICS['Function.prototype'])
})

/** What changed in the built-in prototypes since `before` (empty when nothing did). */
export const intrinsicsChanges = (before: IntrinsicsSnapshot): string[] => {
  const now = snapshotIntrinsics()
  return (Object.keys(INTRINSICS) as Array<keyof typeof INTRINSICS>).flatMap((k) => diffObject(k, before[k], now[k]))
}

// -------------------------------------------------------------------------------------
// inputs
// -------------------------------------------------------------------------------------

/**
 * A snapshot of every object and array reachable from `u` (iterative: any depth): each one's frozen
 * and extensible state and own properties. `changes()` lists what differs now: a write, a deletion,
 * an added key, a freeze. Values are compared with `Object.is` (a 1 MB string costs a pointer compare).
 */
export const snapshotValue = (u: unknown): { readonly changes: () => string[] } => {
  interface Node {
    readonly node: object
    readonly snap: ObjectSnapshot
    readonly key: string | symbol | undefined
    readonly parent: Node | undefined
  }
  const nodes: Node[] = []
  const seen = new Set<object>()
  const stack: Array<{ readonly v: unknown; readonly key: string | symbol | undefined; readonly parent: Node | undefined }> = [{ v: u, key: undefined, parent: undefined }]
  while (stack.length > 0) {
    const { v, key, parent } = stack.pop() as { readonly v: unknown; readonly key: string | symbol | undefined; readonly parent: Node | undefined }
    if (typeof v !== 'object' || v === null || seen.has(v)) continue
    seen.add(v)
    const node: Node = { node: v, snap: snapshotObject(v), key, parent }
    nodes.push(node)
    for (const p of node.snap.props) if ('value' in p.descriptor) stack.push({ v: p.descriptor.value, key: p.key, parent: node })
  }
  const pathOf = (n: Node): string => {
    const keys: string[] = []
    for (let at: Node | undefined = n; at?.key !== undefined; at = at.parent) keys.push(String(at.key))
    keys.reverse()
    return keys.length > 12 ? `${keys.slice(0, 6).join('.')}…(${keys.length} levels)` : keys.join('.')
  }
  return {
    changes: () => {
      const out: string[] = []
      for (const n of nodes) {
        const d = diffObject('', n.snap, snapshotObject(n.node))
        if (d.length > 0) out.push(...d.map((x) => `the input at ${JSON.stringify(pathOf(n))}${x}`))
        if (out.length > 5) break
      }
      return out
    }
  }
}

// -------------------------------------------------------------------------------------
// messages
// -------------------------------------------------------------------------------------

/**
 * The longest message or path allowed. A message quotes at most 60 characters of each user value
 * (`quoteText` / `describe`); JSON-escaping control characters can make those up to 6 × 60 = 360
 * characters. It may list the accepted names of a table: the longest listing is the unknown
 * initializer's (56 spellings, ≈ 810 characters); Conv2D's ~25 argument names or the ~30 activations
 * take ≈ 450. A model's errors prefix layer names (`layer "…" (Sequential): `, ≤ 90 characters each).
 * 1,500 characters leaves room for the longest listing with a fully escaped quote and a prefix, while
 * any echo of a 100 KB value breaks it at once.
 */
export const MAX_MESSAGE = 1500

/** Text a message may only hold when a built-in value (a function, an object's default string) leaked into it. */
export const BUILTIN_TEXT: ReadonlyArray<RegExp> = [
  /\[native code\]/,
  /\[object [A-Za-z]*\]/,
  /\bfunction [A-Za-z_$]*\s*\(/,
  /=>/,
  /Object\.prototype/,
  /Array\.prototype/,
  /Function\.prototype/,
  /\bundefined\b/,
  /\bclass [A-Za-z_$]+\s*(extends|\{)/
]

/** Why a message leaks a built-in or breaks the form (non-empty, one line, bounded), or undefined. */
export const messageProblem = (message: unknown): string | undefined => {
  if (typeof message !== 'string') return `the message is not a string: ${typeof message}`
  if (message.trim() === '') return 'the message is empty'
  if (message.includes('\n') || message.includes('\r')) return 'the message spans several lines'
  if (message.length > MAX_MESSAGE) return `the message is ${message.length} characters long`
  const builtin = BUILTIN_TEXT.find((re) => re.test(message))
  return builtin === undefined ? undefined : `the message holds ${String(builtin)}`
}

/** Every problem of a list of errors (an error without a string path, a bad message), each with the error. */
export const errorProblems = (errors: unknown): string[] => {
  if (!Array.isArray(errors)) return [`the errors are not a list: ${typeof errors}`]
  if (errors.length === 0) return ['a Left with no errors']
  const out: string[] = []
  for (const e of errors as ReadonlyArray<Partial<SpecError>>) {
    const show = (): string => `${String(e?.path).slice(0, 200)}: ${String(e?.message).slice(0, 300)}`
    if (typeof e !== 'object' || e === null) out.push(`an error that is not an object: ${String(e)}`)
    else if (typeof e.path !== 'string') out.push(`an error without a string path (${show()})`)
    else if (e.path.length > MAX_MESSAGE || /[\n\r]/.test(e.path)) out.push(`a path of ${e.path.length} characters or several lines (${show()})`)
    else {
      const p = messageProblem(e.message)
      if (p !== undefined) out.push(`${p} (${show()})`)
    }
  }
  return out
}
