/**
 * The core of the hostile-input fix (issue 10): own-entry name lookups, a `deepFreeze` that cannot
 * reach a built-in, bounded quoting and suggestions, copies of the JSON a decoder keeps, and the depth
 * limit. The issue's own reproductions come first; spec/hostile and properties/fuzz.prop.ts cover every
 * layer kind and mutated real files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe as group, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { deepFreeze } from '../../src/core/deepFreeze.js'
import { describe, MAX_QUOTE, oneOf, quote, quoteText } from '../../src/core/describe.js'
import { didYouMean, MAX_SUGGEST_LENGTH } from '../../src/core/didYouMean.js'
import { copyJson, DEEP_PATH_SEGMENTS, MAX_JSON_DEPTH, tooDeep } from '../../src/core/json.js'
import { hasOwnKey, nameSet, nameTable, ownValue } from '../../src/core/NameTable.js'
import { formatErrors, formatPath, type SpecError } from '../../src/core/SpecError.js'
import { main } from '../../src/cli/main.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { left, readJson, right } from '../helpers.js'

/** Every name `Object.prototype` answers to, plus the ones a careless table or a JSON key can hold. */
const PROTO_NAMES = [...Object.getOwnPropertyNames(Object.prototype), 'prototype', '__proto__'].filter((n, i, a) => a.indexOf(n) === i)

/** What a message must never contain: text only a built-in value prints. */
const BUILT_IN_TEXT = /\[native code\]|\[object Object\]|function [A-Za-z_$]*\(/

interface ProtoState {
  readonly frozen: boolean
  readonly extensible: boolean
  readonly keys: ReadonlyArray<string | symbol>
}
const snapshot = (o: object): ProtoState => ({ frozen: Object.isFrozen(o), extensible: Object.isExtensible(o), keys: Reflect.ownKeys(o) })
const PROTOS = [Object.prototype, Array.prototype, Function.prototype] as const
const before = PROTOS.map(snapshot)
const expectPrototypesUntouched = (): void => expect(PROTOS.map(snapshot)).toEqual(before)

const messages = (errors: ReadonlyArray<SpecError>): string => errors.map((e) => e.message).join('\n')

afterAll(expectPrototypesUntouched)

group("the issue's reproductions", () => {
  it.each([
    ['kernel_regularizer', '__proto__', 'unknown regularizer "__proto__"'],
    ['activity_regularizer', '__proto__', 'unknown regularizer "__proto__"'],
    ['kernel_regularizer', 'constructor', 'unknown regularizer "constructor"'],
    ['bias_regularizer', 'toString', 'unknown regularizer "toString"'],
    ['activation', 'constructor', 'unknown activation "constructor"'],
    ['activation', '__proto__', 'unknown activation "__proto__"'],
    ['padding', '__proto__', 'expected padding to be "valid" or "same", found the string "__proto__"'],
    ['padding', 'constructor', 'expected padding to be "valid" or "same", found the string "constructor"'],
    ['data_format', 'valueOf', 'expected data_format to be "channels_last" or "channels_first", found the string "valueOf"'],
    ['kernel_initializer', 'hasOwnProperty', 'unknown initializer "hasOwnProperty"'],
    ['kernel_constraint', '__proto__', 'unknown constraint "__proto__"'],
    ['dtype', 'constructor', 'unknown dtype policy "constructor"']
  ])('%s: %j is an unknown name, and Object.prototype stays as it was', (key, value, text) => {
    const errors = left(decodeConv2D({ filters: 2, kernel_size: 3, [key]: value }))
    expect(errors.map((e) => e.path)).toEqual([key])
    expect(errors[0]?.message).toContain(text)
    expect(messages(errors)).not.toMatch(BUILT_IN_TEXT)
    expectPrototypesUntouched()
    // A plain object can still be given a constructor or toString of its own (strict mode throws if frozen).
    const o: Record<string, unknown> = {}
    o['constructor'] = 1
    o['toString'] = () => 'mine'
    expect(String(o)).toBe('mine')
  })

  it('prototype names as class names of a serialized object are unknown classes', () => {
    for (const name of PROTO_NAMES) {
      for (const key of ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint', 'dtype']) {
        const errors = left(decodeConv2D({ filters: 2, kernel_size: 3, [key]: { class_name: name, config: {} } }))
        expect(errors.map((e) => e.path)).toEqual([`${key}.class_name`])
        expect(errors[0]?.message).toMatch(/^unknown (initializer|regularizer|constraint|dtype policy) class /)
        expect(messages(errors)).not.toMatch(BUILT_IN_TEXT)
      }
    }
    expectPrototypesUntouched()
  })

  it('prototype names as keys (own keys, as JSON.parse makes them) are unknown arguments', () => {
    for (const name of PROTO_NAMES) {
      const config = JSON.parse(`{"filters": 2, "kernel_size": 3, ${JSON.stringify(name)}: 1}`) as unknown
      const errors = left(decodeConv2D(config))
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^unknown Conv2D argument ${JSON.stringify(name).replace(/[$]/g, '\\$')}`))])
      expect(messages(errors)).not.toMatch(BUILT_IN_TEXT)
    }
    expectPrototypesUntouched()
  })

  it('a layer of class "__proto__" in a model: "does not know", not "[object Object]"', () => {
    for (const cls of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const model = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'in' } }, { class_name: cls, config: {} }] }, keras_version: '2.15.0' }
      const errors = left(decodeModel(model))
      expect(errors).toEqual([{ path: 'config.layers[1].class_name', message: `layer 1 "#1" has class ${JSON.stringify(cls)}, which layerspec does not know (a custom layer?)` }])
    }
  })

  it('the same Conv2D in a model file does not validate with the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerspec-hostile-'))
    try {
      const file = join(dir, 'model.json')
      const model = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: 3, batch_input_shape: [null, 8, 8, 1], kernel_regularizer: '__proto__' } }] }, keras_version: '2.15.0' }
      writeFileSync(file, JSON.stringify(model))
      const out: string[] = []
      const code = main(['validate', file], (s) => out.push(s), (s) => out.push(s))
      expect(code).toBe(1)
      expect(out.join('\n')).toContain('config.layers[0].config.kernel_regularizer: unknown regularizer "__proto__"')
      expectPrototypesUntouched()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

group('NameTable: own entries only', () => {
  const table = nameTable({ relu: 1, tanh: 2 })
  it('finds its names, in order, and nothing else', () => {
    expect(table.names).toEqual(['relu', 'tanh'])
    expect(table.size).toBe(2)
    expect([table.get('relu'), table.get('tanh'), table.get('elu')]).toEqual([1, 2, undefined])
    for (const n of PROTO_NAMES) {
      expect(table.get(n)).toBeUndefined()
      expect(table.has(n)).toBe(false)
    }
  })
  it('anything that is not a string is not a name', () => {
    for (const u of [undefined, null, 1, {}, ['relu'], Symbol.iterator]) expect(table.get(u)).toBeUndefined()
  })
  it('takes pairs or an object literal; a repeated name keeps its first position and its last value', () => {
    expect(nameTable([['a', 1], ['b', 2], ['a', 3]] as const).names).toEqual(['a', 'b'])
    expect(nameTable([['a', 1], ['b', 2], ['a', 3]] as const).get('a')).toBe(3)
    expect(nameSet(['x', 'y']).get('y')).toBe('y')
  })
  it('a table is frozen', () => {
    expect(Object.isFrozen(table)).toBe(true)
    expect(Object.isFrozen(table.names)).toBe(true)
  })
  it('hasOwnKey / ownValue read own properties only', () => {
    const o = JSON.parse('{"__proto__": 5, "a": 1}') as Record<string, unknown>
    expect([hasOwnKey(o, '__proto__'), hasOwnKey(o, 'a'), hasOwnKey(o, 'constructor'), hasOwnKey(o, 'toString')]).toEqual([true, true, false, false])
    expect([ownValue(o, '__proto__'), ownValue(o, 'constructor')]).toEqual([5, undefined])
  })
})

group('no lookup in src/ can see a prototype (a scan of the source)', () => {
  const root = fileURLToPath(new URL('../../src/', import.meta.url))
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []))
  const sources = files('').map((f) => ({ file: f, lines: readFileSync(join(root, f), 'utf8').split('\n') }))
  const hits = (pattern: RegExp): string[] =>
    sources.flatMap(({ file, lines }) => lines.flatMap((l, i) => (pattern.test(l) && !l.trimStart().startsWith('*') && !l.trimStart().startsWith('//') ? [`${file}:${i + 1}: ${l.trim()}`] : [])))

  it('no constant table is indexed by a computed key (NAME[key]): tables are NameTables', () => {
    // Allowed: tables keyed by a closed union the type checker holds every key of (never a user's string).
    const allowed = [
      /codec\/Initializer\.ts:\d+: .*VARIANCE_SCALING_PRESETS\[name\]/, // name: PresetName, the table's own keys
      /geometry\/ConvGeometry\.ts:\d+: .*AXIS_NAMES\[spec\.dataFormat\]/, // a decoded DataFormat
      /layers\/elementwise\/merge\.ts:\d+: .*COMBINE\[className\]/, // className: ElementwiseMergeName
      /train\/loss\/LossSpec\.ts:\d+: .*(DEFAULT_LOSS_NAMES|FIELDS)\[className\]/, // className: LossClass
      /train\/loss\/LossSpec\.ts:\d+: .*FUNCTIONS\[fn\]/, // fn: a literal of the table's own construction (functionEntry)
      /train\/loss\/loss\.ts:\d+: .*BOUNDS\[dtypeOf\(yPred\)\]/, // a FloatDType
      /train\/metric\/MetricSpec\.ts:\d+: .*(DEFAULT_METRIC_NAMES|FIELDS)\[className\]/, // className: MetricClass
      /train\/metric\/metric\.ts:\d+: .*LOSS_OF\[cls\]/ // cls: MetricClass
    ]
    expect(hits(/\b[A-Z][A-Z0-9_]{2,}\[(?![0-9'"`\]])/).filter((h) => !allowed.some((a) => a.test(h)))).toEqual([])
  })
  it('no optional index by a computed key into an options record (options.x?.[key])', () => {
    expect(hits(/\?\.\[[A-Za-z_$][\w$]*\]/).filter((h) => !/\?\.\[(i|j|k|t|n|c|index)\]/.test(h))).toEqual([])
  })
  it("no `'key' in value` on parsed JSON (it sees prototypes): hasOwnKey instead", () => {
    // Each allowed use tests a value layerspec built itself (a descriptor, a tagged union, a typed array).
    const allowed = [
      /core\/deepFreeze\.ts:\d+: .*'value' in d\b/, // a property descriptor
      /core\/describe\.ts:\d+: .*'length' in v\b/, // a typed array or DataView
      /layers\/elementwise\/augmentation\.ts:\d+: .*'pair' in outcome/, // a tagged union of layerspec's
      /numerics\/initializers\.ts:\d+: .*'seed' in init\b/, // a decoded Initializer
      /arbitraries\/invalid\.ts:\d+: .*'(config|className)' in (raw|breaker)\b/ // values the arbitraries built
    ]
    const inOperator = /['"][\w$]+['"] in [A-Za-z_$][\w$.]*\s*(\)|&&|\|\||\?|,|;|$)/
    expect(hits(inOperator).filter((h) => !allowed.some((a) => a.test(h)))).toEqual([])
  })
})

group('deepFreeze walks only plain data', () => {
  it('freezes nested objects and arrays', () => {
    const v = deepFreeze({ a: [1, { b: 2 }], c: Object.create(null) as object })
    expect([Object.isFrozen(v), Object.isFrozen(v.a), Object.isFrozen(v.a[1]), Object.isFrozen(v.c)]).toEqual([true, true, true, true])
  })
  it('never freezes a built-in prototype, whatever reaches it', () => {
    const v = deepFreeze({ o: Object.prototype, a: Array.prototype, f: Function.prototype, list: [Object.prototype] })
    expect(Object.isFrozen(v)).toBe(true)
    expectPrototypesUntouched()
  })
  it('leaves class instances, functions, typed arrays and accessors alone', () => {
    class Box {
      inner = { x: 1 }
    }
    const fn = (): number => 1
    let reads = 0
    const withGetter = { get g(): { readonly y: number } { reads++; return { y: 1 } } }
    const v = deepFreeze({ box: new Box(), fn, data: new Float32Array(2), withGetter })
    expect([Object.isFrozen(v.box), Object.isFrozen(v.box.inner), Object.isFrozen(fn), reads]).toEqual([false, false, false, 0])
  })
  it('goes any depth without recursion', () => {
    let deep: unknown = {}
    for (let i = 0; i < 100_000; i++) deep = { next: deep }
    expect(Object.isFrozen(deepFreeze(deep))).toBe(true)
  })
})

group('bounded quoting', () => {
  const big = 'a'.repeat(100_000)
  it('a long string is cut at 60 characters and its length named', () => {
    expect(describe(big)).toBe(`a string of 100000 characters "${'a'.repeat(59)}…"`)
    expect(quoteText(big)).toBe(`"${'a'.repeat(59)}…" (100000 characters)`)
    expect(quoteText('relu')).toBe('"relu"')
    expect(quoteText('x'.repeat(MAX_QUOTE))).toBe(`"${'x'.repeat(MAX_QUOTE)}"`)
  })
  it('control characters are escaped: a message stays on one line', () => {
    expect(quoteText('a\nb')).toBe('"a\\nb"')
    expect(describe('a\u2028b\u0000')).toBe('the string "a\u2028b\\u0000"')
  })
  it('a huge or deep list or object is previewed without being walked', () => {
    const list = new Array<number>(1_000_000).fill(7)
    expect(describe(list)).toBe(`a list of 1000000 items [${'7,'.repeat(29)}…`)
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(quote(deep)).toBe(`${'['.repeat(59)}…`)
    expect(quote({ [big]: 1 })).toBe(`{"${'a'.repeat(57)}…`)
  })
  it('a path cuts a long key', () => {
    expect(formatPath(['config', big, 0])).toBe(`config["${'a'.repeat(59)}…"][0]`)
  })
  it('oneOf cuts each name', () => {
    expect(oneOf(['a', big])).toBe(`"a" or ${quoteText(big)}`)
  })
})

group('bounded suggestions', () => {
  it('long inputs get none; candidates too far in length are not compared', () => {
    expect(didYouMean('kernel_sise', ['kernel_size'])).toBe('kernel_size')
    expect(didYouMean(`${'k'.repeat(MAX_SUGGEST_LENGTH)}x`, ['k'.repeat(MAX_SUGGEST_LENGTH)])).toBeUndefined()
    expect(didYouMean('k'.repeat(MAX_SUGGEST_LENGTH), [`${'k'.repeat(MAX_SUGGEST_LENGTH)}x`])).toBe(`${'k'.repeat(MAX_SUGGEST_LENGTH)}x`)
    expect(didYouMean('relu', ['r'.repeat(1_000_000)])).toBeUndefined()
  })
  it('the allowed distance follows the normalized word: "__proto__" (5 letters) is not a typo of "rate"', () => {
    expect(didYouMean('__proto__', ['rate', 'seed', 'noise_shape'])).toBeUndefined()
    expect(didYouMean('__rate__', ['rate'])).toBe('rate')
  })
  it('a 1 MB string anywhere in a Conv2D config: the usual errors, each a short line (time printed)', () => {
    const mb = 'a'.repeat(1_000_000)
    const configs = [
      { filters: 2, kernel_size: 3, kernel_initializer: mb },
      { filters: 2, kernel_size: 3, [mb]: 1 },
      { filters: 2, kernel_size: 3, activation: mb },
      { filters: 2, kernel_size: 3, padding: mb },
      { filters: 2, kernel_size: 3, kernel_regularizer: { class_name: mb, config: {} } },
      { class_name: mb, config: { filters: 2, kernel_size: 3 } }
    ]
    const times: number[] = []
    for (const config of configs) {
      const t0 = performance.now()
      const errors = left(decodeConv2D(config))
      times.push(performance.now() - t0)
      for (const line of formatErrors(errors).split('\n')) expect(line.length).toBeLessThan(1200)
      expect(formatErrors(errors)).toContain('1000000 characters')
    }
    // A 1 MB name is a legal layer name: it decodes.
    expect(right(decodeConv2D({ filters: 2, kernel_size: 3, name: mb })).name).toBe(mb)
    console.log(`1 MB string in a Conv2D config: decode ${times.map((t) => t.toFixed(2)).join(' / ')} ms`)
  })
  it('a model with thousands of references to unknown layers reports each, with a few suggestions', () => {
    const n = 3000
    const layers: unknown[] = [{ class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 2], name: 'in' }, inbound_nodes: [] }]
    for (let i = 0; i < n; i++) layers.push({ class_name: 'Dense', name: `dense_${i}`, config: { name: `dense_${i}`, units: 2 }, inbound_nodes: [[[`dense_${i}x`, 0, 0, {}]]] })
    const model = { class_name: 'Functional', config: { name: 'f', layers, input_layers: [['in', 0, 0]], output_layers: [['dense_0', 0, 0]] }, keras_version: '2.15.0' }
    const t0 = performance.now()
    const errors = left(decodeModel(model))
    const ms = performance.now() - t0
    expect(errors.filter((e) => e.message.startsWith('unknown layer')).length).toBe(n)
    expect(errors.filter((e) => e.message.includes('did you mean')).length).toBe(32)
    console.log(`${n} unknown layer references: decode ${ms.toFixed(1)} ms`)
  })
})

group('what a decoder keeps from its input is its own copy', () => {
  it("a node's kwargs and a tfjs weightsManifest: the caller's objects are not frozen, the spec's copies are", () => {
    const file = readJson('examples/tfjs/model.json') as Record<string, unknown>
    const manifest = file['weightsManifest'] as unknown[]
    const decoded = right(decodeModelFile(file))
    expect(Object.isFrozen(manifest)).toBe(false)
    expect(Object.isFrozen(manifest[0])).toBe(false)
    expect(decoded.weightsManifest).toEqual(manifest)
    expect(decoded.weightsManifest).not.toBe(manifest)
    expect(Object.isFrozen(decoded.weightsManifest)).toBe(true)
    const kwargs = JSON.parse('{"training": false, "__proto__": {"x": 1}}') as Record<string, unknown>
    const model = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 2], name: 'in' }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'd', config: { name: 'd', units: 2 }, inbound_nodes: [[['in', 0, 0, kwargs]]] }
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['d', 0, 0]]
      },
      keras_version: '2.15.0'
    }
    const spec = right(decodeModel(model))
    expect(Object.isFrozen(kwargs)).toBe(false)
    const kept = (spec as unknown as { layers: Array<{ inbound: Array<{ kwargs: Record<string, unknown> }> }> }).layers[1]?.inbound[0]?.kwargs
    expect(kept).not.toBe(kwargs)
    expect(Object.isFrozen(kept)).toBe(true)
    // "__proto__" stays an own key of the copy; it never becomes the copy's prototype.
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype)
    expect(ownValue(kept as Record<string, unknown>, '__proto__')).toEqual({ x: 1 })
  })
  it('decoding never freezes or changes the caller\'s value (every example model, a Conv2D config)', () => {
    const anyFrozen = (u: unknown): boolean =>
      typeof u === 'object' && u !== null && (Object.isFrozen(u) || Object.values(u).some(anyFrozen))
    const dir = fileURLToPath(new URL('../../examples/models/', import.meta.url))
    const files = [...readdirSync(dir).map((f) => `examples/models/${f}`), 'examples/tfjs/model.json']
    for (const f of files) {
      const json = readJson(f)
      const copy = structuredClone(json)
      right(decodeModelFile(json))
      expect(anyFrozen(json), f).toBe(false)
      expect(json, f).toEqual(copy)
    }
    const config = { filters: 2, kernel_size: [3, 3], batch_input_shape: [null, 8, 8, 1], kernel_initializer: { class_name: 'Constant', config: { value: 1 } } }
    right(decodeConv2D(config))
    expect(anyFrozen(config)).toBe(false)
  })
  it('copyJson: same data, fresh objects, own "__proto__" keys, shared and cyclic values copied once', () => {
    const shared = { s: 1 }
    const input = JSON.parse('{"a": [1, {"b": 2}], "__proto__": [3]}') as Record<string, unknown>
    input['x'] = shared
    input['y'] = shared
    const c = copyJson(input) as Record<string, unknown>
    expect(c).toEqual(input)
    expect(c['a']).not.toBe(input['a'])
    expect(c['x']).toBe(c['y'])
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype)
    expect(ownValue(c, '__proto__')).toEqual([3])
    const cyclic: Record<string, unknown> = { n: 1 }
    cyclic['self'] = cyclic
    const cc = copyJson(cyclic) as Record<string, unknown>
    expect(cc['self']).toBe(cc)
  })
})

group('nesting depth', () => {
  const nest = (levels: number, inner: unknown): unknown => {
    let v = inner
    for (let i = 0; i < levels; i++) v = [v]
    return v
  }
  it('tooDeep names the first path past the limit; nothing at the limit', () => {
    // Containers count, the number inside does not: [[[[1]]]] has a list at each of the levels 0 to 3.
    expect(tooDeep(nest(4, 1), 3)).toBeUndefined()
    expect(tooDeep(nest(5, 1), 3)).toBe('[0][0][0][0]')
    expect(tooDeep({ a: { b: nest(2, {}) } }, 3)).toBe('a.b[0][0]')
    // The path stops DEEP_PATH_SEGMENTS levels down: it leads to the value, without hundreds of segments.
    expect(tooDeep(nest(1_000_000, 1))).toBe(formatPath(new Array<number>(DEEP_PATH_SEGMENTS).fill(0)))
  })
  it('a model file nested 100,000 levels deep is an error, not a stack overflow', () => {
    const model = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: nest(100_000, 2) } }] } }
    const errors = left(decodeModelFile(model))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep`)
    expect(errors[0]?.path).toBe(`config.layers[0].config.units${'[0]'.repeat(DEEP_PATH_SEGMENTS - 5)}`)
  })
  it('160 nested Sequential models (about 480 levels) decode, compile and run', async () => {
    const { compileModel } = await import('../../src/model/compileModel.js')
    const { encodeModel } = await import('../../src/model/encodeModel.js')
    let m: unknown = { class_name: 'Sequential', config: { name: 'm0', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 2], name: 'in0' } }, { class_name: 'Dense', config: { name: 'd0', units: 2 } }] } }
    for (let i = 1; i < 160; i++) m = { class_name: 'Sequential', config: { name: `m${i}`, layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 2], name: `in${i}` } }, m] } }
    const spec = right(decodeModel({ ...(m as object), keras_version: '2.15.0' }))
    const compiled = right(compileModel(spec))
    const y = compiled.forward(compiled.init(1), [{ shape: [1, 2], data: new Float32Array([1, 2]) }])
    expect(y[0]?.shape).toEqual([1, 2])
    expect(right(decodeModel(encodeModel(spec)))).toEqual(spec)
  })
})

group('weights shards stay in the model folder', () => {
  it.each([['../outside.bin'], ['/etc/passwd'], ['a/../../outside.bin'], ['']])('a manifest path %j is refused by name', (path) => {
    const dir = mkdtempSync(join(tmpdir(), 'layerspec-shard-'))
    try {
      const file = readJson('examples/tfjs/model.json') as { weightsManifest: Array<{ paths: string[] }> }
      const copy = JSON.parse(JSON.stringify(file)) as typeof file
      ;(copy.weightsManifest[0] as { paths: string[] }).paths = [path]
      writeFileSync(join(dir, 'model.json'), JSON.stringify(copy))
      const out: string[] = []
      const code = main(['run', join(dir, 'model.json')], (s) => out.push(s), (s) => out.push(s))
      expect(code).toBe(1)
      expect(out.join('\n')).toContain('weightsManifest[0].paths[0]: expected a shard file name')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('a shard in a subfolder of the model folder is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerspec-shard-'))
    try {
      const file = readJson('examples/tfjs/model.json') as { weightsManifest: Array<{ paths: string[] }> }
      ;(file.weightsManifest[0] as { paths: string[] }).paths = ['sub/weights.bin']
      mkdirSync(join(dir, 'sub'))
      writeFileSync(join(dir, 'model.json'), JSON.stringify(file))
      writeFileSync(join(dir, 'sub', 'weights.bin'), readFileSync(fileURLToPath(new URL('../../examples/tfjs/group1-shard1of1.bin', import.meta.url))))
      const out: string[] = []
      expect(main(['run', join(dir, 'model.json')], (s) => out.push(s), (s) => out.push(s))).toBe(0)
      expect(out.join('\n')).toContain('loaded from the weights manifest')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
