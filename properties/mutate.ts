/**
 * Mutated model files for the fuzz suite (properties/fuzz.prop.ts): the corpus of real files, every
 * path in them, and mutations described as small data (so fast-check shrinks them) and applied to a
 * fresh parse of the file: prototype-named values and keys, wrong types, huge and non-finite numbers,
 * long strings, deep nesting, deleted keys and transplanted subtrees.
 */
import fc from 'fast-check'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PROTO_NAMES, renameKey, setOwn } from './hostile.js'

// -------------------------------------------------------------------------------------
// corpus
// -------------------------------------------------------------------------------------

type Segment = string | number

/** One file of the corpus: its text (parsed afresh for every case) and every path in it. */
export interface CorpusFile {
  readonly name: string
  /** Where the file is, so the CLI can find files next to it (tfjs shards). */
  readonly file: string
  readonly text: string
  readonly paths: ReadonlyArray<ReadonlyArray<Segment>>
}

const root = fileURLToPath(new URL('../', import.meta.url))

const pathsOf = (u: unknown): Array<ReadonlyArray<Segment>> => {
  const out: Array<ReadonlyArray<Segment>> = []
  const stack: Array<{ readonly v: unknown; readonly p: ReadonlyArray<Segment> }> = [{ v: u, p: [] }]
  while (stack.length > 0) {
    const { v, p } = stack.pop() as { readonly v: unknown; readonly p: ReadonlyArray<Segment> }
    out.push(p)
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, p: [...p, i] }))
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) stack.push({ v: x, p: [...p, k] })
  }
  return out.reverse()
}

const load = (dir: string, name: string): CorpusFile => {
  const file = `${root}${dir}/${name}`
  const text = readFileSync(file, 'utf8')
  return { name: `${dir}/${name}`, file, text, paths: pathsOf(JSON.parse(text)) }
}

/**
 * The real model files: the team's shared testdata (spec/fixtures/shared/real-keras-models, 18 files from
 * public repositories: Keras 2.0.4 to Keras 3, tfjs model.json, Sequential and Functional, nested
 * models, Lambda layers), the shipped examples and the example tfjs model.
 */
export const CORPUS: ReadonlyArray<CorpusFile> = [
  ...readdirSync(`${root}spec/fixtures/shared/real-keras-models`)
    .filter((f) => f.endsWith('.json') && f !== 'expected.json')
    .sort()
    .map((f) => load('spec/fixtures/shared/real-keras-models', f)),
  ...readdirSync(`${root}examples/models`)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => load('examples/models', f)),
  load('examples/tfjs', 'model.json')
]

// -------------------------------------------------------------------------------------
// mutations
// -------------------------------------------------------------------------------------

/** A value a mutation writes, as data (built when the mutation is applied). */
export type Value =
  | { readonly t: 'proto'; readonly name: string }
  | { readonly t: 'json'; readonly json: unknown }
  | { readonly t: 'number'; readonly n: number }
  | { readonly t: 'long'; readonly size: number; readonly fill: string }
  | { readonly t: 'deep'; readonly depth: number; readonly wrap: 'list' | 'object' | 'config' | 'envelope' }
  | { readonly t: 'wrapList' }
  | { readonly t: 'copy'; readonly from: number }

/** One mutation at the path `at` (an index into the file's paths, taken modulo their number). */
export type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: Value }
  | { readonly kind: 'addKey'; readonly at: number; readonly key: string; readonly value: Value }
  | { readonly kind: 'renameKey'; readonly at: number; readonly key: string }
  | { readonly kind: 'longKey'; readonly at: number; readonly size: number }
  | { readonly kind: 'delete'; readonly at: number }

/** A test case: a corpus file and the mutations applied to it, in order. */
export interface Case {
  readonly file: number
  readonly mutations: ReadonlyArray<Mutation>
}

/** Numbers no real file holds: huge, beyond 2^53, negative, fractional, denormal, non-finite. */
export const ODD_NUMBERS: ReadonlyArray<number> = [1e308, -1e308, 2 ** 53 + 1, 1e9, -1e9, 2 ** 31, 2 ** 32, -1, 0, -0, 0.5, 1e-320, Number.MAX_VALUE, NaN, Infinity, -Infinity]

/** Values of the wrong type for most places. */
const WRONG_TYPES: ReadonlyArray<unknown> = [null, true, false, '', 'x', '3', 0, 3, [], {}, [null], [[1]], [1, 2], { a: 1 }, { class_name: 'X', config: {} }, 'relu', 'float32', 'same']

/** Values that often fit where they land (so the case decodes and reaches compile and forward with an odd but legal config). */
const PLAUSIBLE: ReadonlyArray<unknown> = [1, 2, 5, 64, 0.5, -1, 'valid', 'same', 'channels_first', 'channels_last', 'float64', 'linear', 'softmax', [2, 2], [1, 1], [3, 1], [null, 7, 7, 3], null, true, false]

const arbValue = (deepWeight: number): fc.Arbitrary<Value> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...PROTO_NAMES).map((name): Value => ({ t: 'proto', name })), weight: 6 },
    { arbitrary: fc.constantFrom(...WRONG_TYPES).map((json): Value => ({ t: 'json', json })), weight: 3 },
    { arbitrary: fc.constantFrom(...PLAUSIBLE).map((json): Value => ({ t: 'json', json })), weight: 3 },
    { arbitrary: fc.constantFrom(...ODD_NUMBERS).map((n): Value => ({ t: 'number', n })), weight: 3 },
    {
      arbitrary: fc
        .record({ size: fc.constantFrom(100_000, 150_000), fill: fc.constantFrom('a', 'relu', '__proto__', 'é\u0000"\n', 'conv2d_') })
        .map(({ size, fill }): Value => ({ t: 'long', size, fill })),
      weight: 1
    },
    {
      arbitrary: fc
        .record({ depth: fc.constantFrom(50, 511, 512, 513, 3000), wrap: fc.constantFrom('list' as const, 'object' as const, 'config' as const, 'envelope' as const) })
        .map(({ depth, wrap }): Value => ({ t: 'deep', depth, wrap })),
      weight: deepWeight
    },
    { arbitrary: fc.constant<Value>({ t: 'wrapList' }), weight: 1 },
    { arbitrary: fc.nat().map((from): Value => ({ t: 'copy', from })), weight: 2 }
  )

/** One mutation anywhere in a file. */
export const arbMutation = (deepWeight = 1): fc.Arbitrary<Mutation> =>
  fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: arbValue(deepWeight) }), weight: 8 },
    { arbitrary: fc.record({ kind: fc.constant('addKey' as const), at: fc.nat(), key: fc.constantFrom(...PROTO_NAMES), value: arbValue(deepWeight) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('renameKey' as const), at: fc.nat(), key: fc.constantFrom(...PROTO_NAMES) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('longKey' as const), at: fc.nat(), size: fc.constantFrom(100_000) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }), weight: 2 }
  )

/** A case: a corpus file (`files` restricts which) and 1 to `max` mutations. */
export const arbCase = (options: { readonly min?: number; readonly max?: number; readonly files?: ReadonlyArray<number>; readonly deepWeight?: number } = {}): fc.Arbitrary<Case> =>
  fc.record({
    file: options.files === undefined ? fc.nat(CORPUS.length - 1) : fc.constantFrom(...options.files),
    mutations: fc.array(arbMutation(options.deepWeight), { minLength: options.min ?? 1, maxLength: options.max ?? 1 })
  })

// -------------------------------------------------------------------------------------
// applying
// -------------------------------------------------------------------------------------

const longString = (size: number, fill: string): string => fill.repeat(Math.ceil(size / fill.length)).slice(0, size)

const wrapDeep = (inner: unknown, depth: number, wrap: 'list' | 'object' | 'config' | 'envelope'): unknown => {
  let v = inner
  for (let i = 0; i < depth; i++) {
    v = wrap === 'list' ? [v] : wrap === 'object' ? { a: v } : wrap === 'config' ? { config: v } : { class_name: 'Sequential', config: { layers: [v] } }
  }
  return v
}

/** The value at `path` (undefined when it does not resolve). */
const at = (u: unknown, path: ReadonlyArray<Segment>): unknown => {
  let v = u
  for (const s of path) {
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, s)) return undefined
    v = (v as Record<Segment, unknown>)[s]
  }
  return v
}

/** The longest prefix of `path` that still resolves in `u` (earlier mutations may have changed it). */
const resolve = (u: unknown, path: ReadonlyArray<Segment>): ReadonlyArray<Segment> => {
  let v = u
  for (let i = 0; i < path.length; i++) {
    const s = path[i] as Segment
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, s)) return path.slice(0, i)
    v = (v as Record<Segment, unknown>)[s]
  }
  return path
}

/** True when `inner` is `outer` or reachable from it. */
const contains = (outer: unknown, inner: unknown): boolean => {
  if (typeof inner !== 'object' || inner === null) return false
  const stack: unknown[] = [outer]
  const seen = new Set<unknown>()
  while (stack.length > 0) {
    const v = stack.pop()
    if (v === inner) return true
    if (typeof v !== 'object' || v === null || seen.has(v)) continue
    seen.add(v)
    stack.push(...Object.values(v))
  }
  return false
}

/** The value `v` stands for, to be stored inside `holder` (undefined for the root). */
const build = (v: Value, current: unknown, holder: unknown, doc: unknown, paths: ReadonlyArray<ReadonlyArray<Segment>>): unknown => {
  switch (v.t) {
    case 'proto':
      return v.name
    case 'json':
      return structuredClone(v.json)
    case 'number':
      return v.n
    case 'long':
      return longString(v.size, v.fill)
    case 'deep':
      return wrapDeep(current, v.depth, v.wrap)
    case 'wrapList':
      return [current]
    case 'copy': {
      // A subtree from elsewhere in the file, shared as a JS caller could pass it (JSON files cannot);
      // copied when it holds the object it goes into, which would make a cycle (a separate test has those).
      const source = at(doc, paths[v.from % paths.length] ?? [])
      return contains(source, holder) ? JSON.parse(JSON.stringify(source) ?? 'null') : source
    }
  }
}

/**
 * Applies the mutations of a case to a fresh parse of its file. Returns the mutated value (which may
 * be the root replaced) and a one-line description of each mutation, for failure reports.
 */
export const applyCase = (c: Case): { readonly json: unknown; readonly text: string; readonly what: ReadonlyArray<string> } => {
  const file = CORPUS[c.file] as CorpusFile
  let doc: unknown = JSON.parse(file.text)
  const what: string[] = []
  const replace = (path: ReadonlyArray<Segment>, value: unknown): void => {
    if (path.length === 0) {
      doc = value
      return
    }
    const parent = at(doc, path.slice(0, -1)) as Record<Segment, unknown>
    setOwn(parent, String(path[path.length - 1]), value)
  }
  for (const m of c.mutations) {
    const path = resolve(doc, file.paths[m.at % file.paths.length] ?? [])
    const current = at(doc, path)
    const where = JSON.stringify(path)
    const last = path[path.length - 1]
    const parent = path.length === 0 ? undefined : at(doc, path.slice(0, -1))
    switch (m.kind) {
      case 'set': {
        replace(path, build(m.value, current, parent, doc, file.paths))
        what.push(`set ${where} to ${show(m.value)}`)
        break
      }
      case 'addKey': {
        // Into the object at the path, or the nearest object around it.
        let p = path
        while (p.length > 0 && (typeof at(doc, p) !== 'object' || at(doc, p) === null || Array.isArray(at(doc, p)))) p = p.slice(0, -1)
        const target = at(doc, p)
        if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
          // The value wrapped or copied is the one at the mutation's path, unless that is the object itself (a cycle).
          const inner = path.length === p.length ? 1 : at(doc, path)
          setOwn(target, m.key, build(m.value, inner, target, doc, file.paths))
          what.push(`add key ${JSON.stringify(m.key)} = ${show(m.value)} at ${JSON.stringify(p)}`)
        }
        break
      }
      case 'renameKey':
      case 'longKey': {
        const key = m.kind === 'renameKey' ? m.key : longString(m.size, 'k')
        const show = m.kind === 'renameKey' ? JSON.stringify(key) : `a key of ${m.size} characters`
        if (typeof last === 'string' && typeof parent === 'object' && parent !== null && !Array.isArray(parent)) {
          replace(path.slice(0, -1), renameKey(parent as Record<string, unknown>, last, key))
          what.push(`rename ${where} to ${show}`)
        } else if (typeof current === 'object' && current !== null && !Array.isArray(current)) {
          setOwn(current, key, 1)
          what.push(`add key ${show} = 1 at ${where}`)
        } else {
          replace(path, key)
          what.push(`set ${where} to ${show}`)
        }
        break
      }
      case 'delete': {
        if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1)
        else if (typeof parent === 'object' && parent !== null && last !== undefined) delete (parent as Record<Segment, unknown>)[last]
        else doc = undefined
        what.push(`delete ${where}`)
        break
      }
    }
  }
  return { json: doc, text: file.text, what }
}

/** JSON text of a mutation's description that keeps what JSON loses: `-0`, `NaN`, `Infinity`. */
const show = (u: unknown): string =>
  JSON.stringify(u, (_k, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? '-0' : String(v)}` : v))

/** A case described for a failure report. */
export const showCase = (c: Case): string => {
  const file = CORPUS[c.file] as CorpusFile
  return `${file.name}: ${applyCase(c).what.join('; ')}`
}

/**
 * JSON text of a value of any depth (`JSON.stringify` recurses, and overflows the stack on a value
 * nested thousands of levels deep): what a file on disk holds. Non-finite numbers become `null`, as
 * `JSON.stringify` writes them; `__proto__` keys are written as the own keys they are.
 */
export const toJsonText = (u: unknown): string => {
  const parts: string[] = []
  // A stack of things to write: values, or literal text (commas, closing brackets, keys).
  const stack: Array<{ readonly value: unknown } | { readonly text: string }> = [{ value: u }]
  while (stack.length > 0) {
    const item = stack.pop() as { readonly value: unknown } | { readonly text: string }
    if ('text' in item) {
      parts.push(item.text)
      continue
    }
    const v = item.value
    if (Array.isArray(v)) {
      const next: Array<{ readonly value: unknown } | { readonly text: string }> = [{ text: '[' }]
      v.forEach((x, i) => next.push(...(i > 0 ? [{ text: ',' }] : []), { value: x === undefined ? null : x }))
      next.push({ text: ']' })
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i] as { readonly value: unknown } | { readonly text: string })
    } else if (typeof v === 'object' && v !== null) {
      const next: Array<{ readonly value: unknown } | { readonly text: string }> = [{ text: '{' }]
      Object.keys(v)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .forEach((k, i) => next.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` }, { value: (v as Record<string, unknown>)[k] }))
      next.push({ text: '}' })
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i] as { readonly value: unknown } | { readonly text: string })
    } else parts.push(typeof v === 'number' && !Number.isFinite(v) ? 'null' : (JSON.stringify(v) ?? 'null'))
  }
  return parts.join('')
}
