/**
 * Operation nodes as hostile input (the rules of issue 10, for the new surface):
 * - every prototype name (properties/hostile.ts) as the value of every constructor argument of every
 *   operation kind (found by encoding a minimal config, so a new argument joins by itself and fails
 *   until its rule below is written), and as an extra config key;
 * - as an operation's class, its module's last part, a keyword argument, a constant, an array's dtype
 *   and key; as the name of an operation node (a legal name: it runs);
 * - every path of the golden operation fixtures set to a prototype name, renamed to one, and every
 *   number replaced by odd ones, through decode, infer, compile, forward, encode and the round trip
 *   (properties/pipeline.ts), plus random combinations of such mutations (fast-check).
 * Nothing throws, every error has a path and a one-line bounded message without a built-in's text,
 * and the built-in prototypes and the input are untouched.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { SpecError } from '../../src/core/SpecError.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { opConfigCodec } from '../../src/ops/codec.js'
import { OP_KINDS, opClassesOf } from '../../src/ops/registry.js'
import { errorProblems, intrinsicsChanges, PROTO_NAMES, renameKey, setOwn, snapshotIntrinsics } from '../../properties/hostile.js'
import { ODD_NUMBERS } from '../../properties/mutate.js'
import { runPipeline } from '../../properties/pipeline.js'
import { params } from '../../properties/settings.js'
import { left, right } from '../helpers.js'

const before = snapshotIntrinsics()
afterAll(() => expect(intrinsicsChanges(before)).toEqual([]))

const q = (s: string): string => JSON.stringify(s)
const NUMPY = 'keras.src.ops.numpy'
const X = [null, 4, 6]
const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: X, dtype: 'float32', keras_history: [name, 0, 0] } })
const file = (module: string, cls: string, config: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown> = {}, name = 'op') => ({
  module: 'keras',
  class_name: 'Functional',
  config: {
    name: 'm',
    trainable: true,
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: X, dtype: 'float32', name: 'x' }, registered_name: null, name: 'x', inbound_nodes: [] },
      { module, class_name: cls, config, registered_name: cls, name, inbound_nodes: [{ args, kwargs }] }
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [[name, 0, 0]]
  },
  registered_name: 'Functional'
})

/** The one error of a Left, checked for the rules every error follows. */
const oneError = (errors: ReadonlyArray<SpecError>, where: string): SpecError => {
  expect(errorProblems(errors), where).toEqual([])
  expect(errors.map((e) => `${e.path}: ${e.message}`), where).toHaveLength(1)
  return errors[0] as SpecError
}

// -------------------------------------------------------------------------------------
// constructor arguments
// -------------------------------------------------------------------------------------

/** The required arguments of the kinds that have some. */
const REQUIRED: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  Clip: { x_min: 0, x_max: 1 },
  Reshape: { newshape: [-1, 24] },
  ExpandDims: { axis: 1 },
  Cast: { dtype: 'float32' },
  Threshold: { threshold: 0, default_value: 0 }
}

const found = (n: string): string => `found the string ${q(n)}`
type Rule = 'accepted' | ((n: string) => string)
const number: Rule = (n) => `expected a finite number, ${found(n)}`
const bool: Rule = (n) => `expected true or false, ${found(n)}`

/** The message a prototype name as the argument's value gives, by argument (and class where it differs). */
const RULES: Readonly<Record<string, Rule>> = {
  name: 'accepted',
  axis: (n) => `expected an integer axis, a list of integer axes or null, ${found(n)}`,
  keepdims: bool,
  approximate: bool,
  initial: number,
  x_min: number,
  x_max: number,
  alpha: number,
  negative_slope: number,
  max_value: number,
  threshold: number,
  default_value: number,
  b: number,
  newshape: (n) => `expected newshape to be a list of sizes (non-negative integers, or -1 for the one inferred size), ${found(n)}`,
  axes: (n) => `expected a list of integer axes or null, ${found(n)}`,
  dtype: (n) => `expected dtype to be "float32", "float64", "float16" or "bfloat16", ${found(n)}`
}
const KIND_RULES: Readonly<Record<string, Rule>> = {
  'ExpandDims.axis': (n) => `expected an integer axis or a non-empty list of integer axes, ${found(n)}`,
  'Softmax.axis': (n) => `expected an integer axis or a non-empty list of integer axes, ${found(n)}`,
  'LogSoftmax.axis': (n) => `expected an integer axis or a non-empty list of integer axes, ${found(n)}`,
  'Concatenate.axis': (n) => `expected an integer axis, ${found(n)}`,
  'Stack.axis': (n) => `expected an integer axis, ${found(n)}`
}

describe('every prototype name in every constructor argument of every operation kind', () => {
  const table = OP_KINDS.map((k) => [`${k.module}.${k.className}`, k] as const)
  const configOf = (k: (typeof OP_KINDS)[number]): Record<string, unknown> => {
    const codec = opConfigCodec(k)
    const decoded = codec.decode({ name: 'op', ...(REQUIRED[k.className] ?? {}) })
    if (E.isLeft(decoded)) throw new Error(`${k.className}: the minimal config does not decode`)
    return codec.encode(decoded.right) as Record<string, unknown>
  }

  it('every argument has a rule', () => {
    const missing = OP_KINDS.flatMap((k) => Object.keys(configOf(k)).filter((a) => KIND_RULES[`${k.className}.${a}`] === undefined && RULES[a] === undefined).map((a) => `${k.className}.${a}`))
    expect(missing).toEqual([])
    const cells = OP_KINDS.reduce((a, k) => a + Object.keys(configOf(k)).length, 0)
    console.log(`operation prototype-name table: ${OP_KINDS.length} kinds, ${cells} (kind, argument) cells × ${PROTO_NAMES.length} names, and ${OP_KINDS.length * PROTO_NAMES.length} extra keys`)
  })

  it.each(table)('%s: each argument set to each name, and each name as an extra key', (_name, kind) => {
    const config = configOf(kind)
    const args = kind.params.map((p) => (p.role === 'tensors' ? [kt('x')] : kt('x')))
    for (const arg of Object.keys(config)) {
      const rule = KIND_RULES[`${kind.className}.${arg}`] ?? (RULES[arg] as Rule)
      for (const n of PROTO_NAMES) {
        const c = { ...config }
        setOwn(c, arg, n)
        const where = `${kind.className}.${arg} = ${q(n)}`
        const r = decodeModelFile(file(kind.module, kind.className, c, args, {}, arg === 'name' ? n : 'op'))
        if (rule === 'accepted') {
          expect(E.isRight(r), `${where}: ${E.isLeft(r) ? JSON.stringify(r.left) : ''}`).toBe(true)
          continue
        }
        const e = oneError(left(r), where)
        expect(e, where).toEqual({ path: `config.layers[1].config.${arg}`, message: rule(n) })
      }
    }
    for (const n of PROTO_NAMES) {
      const c = { ...config }
      setOwn(c, n, 1)
      const e = oneError(left(decodeModelFile(file(kind.module, kind.className, c, args))), `${kind.className} + ${q(n)}`)
      expect(e.path).toBe(`config.layers[1].config.${n}`)
      expect(e.message.startsWith(`unknown ${kind.className} argument ${q(n)} (accepted: "name"`), e.message).toBe(true)
    }
  })
})

// -------------------------------------------------------------------------------------
// names elsewhere
// -------------------------------------------------------------------------------------

describe('every prototype name as a class, a module, a keyword, a constant, an array dtype or key, a node name', () => {
  const numpy = opClassesOf(NUMPY) ?? []
  it.each(PROTO_NAMES.map((n) => [n]))('%s', (n) => {
    const cls = oneError(left(decodeModelFile(file(NUMPY, n, { name: 'op' }, [kt('x')]))), 'class')
    expect(cls).toEqual({
      path: 'config.layers[1].class_name',
      message: `layer 1 "op" is the operation ${q(n)} of "keras.src.ops.numpy", which layerspec does not run; of this module it runs ${numpy.slice(0, 15).map(q).join(', ')} or ${q(numpy[15] as string)} and ${numpy.length - 16} more`
    })
    const mod = oneError(left(decodeModelFile(file(`keras.src.ops.${n}`, 'Add', { name: 'op' }, [kt('x'), 1]))), 'module')
    expect(mod.message).toContain(`of ${q(`keras.src.ops.${n}`)}, a module of which layerspec runs no operation`)
    // a keyword argument
    const kwargs: Record<string, unknown> = {}
    setOwn(kwargs, n, 1)
    const kw = oneError(left(decodeModelFile(file(NUMPY, 'Add', { name: 'op' }, [kt('x'), 1], kwargs))), 'keyword')
    expect(kw.message).toBe(`Add(x1, x2) has no argument ${q(n)}`)
    // a constant
    const c = oneError(left(decodeModelFile(file(NUMPY, 'Add', { name: 'op' }, [kt('x'), n]))), 'constant')
    expect(c.path).toBe('config.layers[1].inbound_nodes[0].args[1]')
    expect(c.message.endsWith(`found the string ${q(n)}`)).toBe(true)
    // an array's dtype, and a key of its config
    const dt = oneError(left(decodeModelFile(file(NUMPY, 'Add', { name: 'op' }, [kt('x'), { class_name: '__numpy__', config: { value: [1], dtype: n } }]))), 'dtype')
    expect(dt.path).toBe('config.layers[1].inbound_nodes[0].args[1].config.dtype')
    const cfg: Record<string, unknown> = { value: [1], dtype: 'float32' }
    setOwn(cfg, n, 1)
    const key = oneError(left(decodeModelFile(file(NUMPY, 'Add', { name: 'op' }, [kt('x'), { class_name: '__numpy__', config: cfg }]))), 'key')
    expect(key.message).toBe(`unknown key ${q(n)} in a __numpy__ constant's config; expected "value" and "dtype"`)
    // the name of an operation node: legal; it decodes, runs, and encodes back
    const m = right(decodeModel(file(NUMPY, 'Add', { name: n }, [kt('x'), 1], {}, n)))
    const y = right(compileModel(m)).forward([], [{ shape: [1, 4, 6], data: new Float32Array(24).fill(1) }])
    expect([...(y[0]?.data ?? [])]).toEqual(new Array(24).fill(2))
    expect(right(decodeModel(encodeModel(m)))).toEqual(m)
  })
})

// -------------------------------------------------------------------------------------
// the golden fixtures, mutated
// -------------------------------------------------------------------------------------

const dir = fileURLToPath(new URL('../fixtures/keras3/ops/', import.meta.url))
/** The model JSON of each golden fixture, as text (parsed afresh for every case). */
const FILES: ReadonlyArray<{ readonly name: string; readonly text: string }> = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, text: JSON.stringify((JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as { model: unknown }).model) }))

type Segment = string | number
const pathsOf = (u: unknown): Array<ReadonlyArray<Segment>> => {
  const out: Array<ReadonlyArray<Segment>> = []
  const stack: Array<{ readonly v: unknown; readonly p: ReadonlyArray<Segment> }> = [{ v: u, p: [] }]
  while (stack.length > 0) {
    const { v, p } = stack.pop() as { readonly v: unknown; readonly p: ReadonlyArray<Segment> }
    if (p.length > 0) out.push(p)
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, p: [...p, i] }))
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) stack.push({ v: x, p: [...p, k] })
  }
  return out
}
const at = (doc: unknown, p: ReadonlyArray<Segment>): unknown => p.reduce<unknown>((o, s) => (typeof o === 'object' && o !== null ? (o as Record<Segment, unknown>)[s] : undefined), doc)

/** One mutation of a document at a path: a value set there, or the key there renamed. */
type Mutation = { readonly path: number; readonly set: unknown } | { readonly path: number; readonly rename: string }

const mutate = (text: string, mutations: ReadonlyArray<Mutation>): unknown => {
  const doc = JSON.parse(text) as unknown
  for (const m of mutations) {
    // The paths of the document as it is now (an earlier mutation may have changed them).
    const paths = pathsOf(doc)
    const p = paths[m.path % paths.length] as ReadonlyArray<Segment>
    const parent = at(doc, p.slice(0, -1)) as Record<string, unknown>
    const last = p[p.length - 1] as Segment
    if (typeof parent !== 'object' || parent === null) continue
    if ('set' in m) setOwn(parent, String(last), m.set)
    else if (!Array.isArray(parent) && typeof last === 'string') {
      const renamed = renameKey(parent, last, m.rename)
      for (const k of Object.keys(parent)) delete parent[k]
      for (const k of Object.keys(renamed)) setOwn(parent, k, renamed[k])
    }
  }
  return doc
}

const check = (json: unknown, where: string): void => {
  const r = runPipeline(json, before)
  if (r.problems.length > 0) throw new Error(`${where}\n${r.problems.slice(0, 8).join('\n')}`)
}

describe('the golden operation fixtures mutated: nothing throws, every error is well formed, nothing is touched', () => {
  // CI sweeps about 120 evenly spaced paths of each fixture (every path of the smallest), with two odd
  // numbers per number; deep runs (LAYERSPEC_DEEP=1) every path of every fixture, with three.
  const deep = process.env['LAYERSPEC_DEEP'] === '1'
  it.each(FILES.map((f) => [f.name, f] as const))('%s: paths set to a prototype name and renamed to one; numbers replaced by odd numbers', (_name, f) => {
    const n = pathsOf(JSON.parse(f.text)).length
    const stride = deep ? 1 : Math.max(1, Math.ceil(n / 120))
    for (let i = 0; i < n; i += stride) {
      const name = PROTO_NAMES[i % PROTO_NAMES.length] as string
      check(mutate(f.text, [{ path: i, set: name }]), `${f.name}: path ${i} set to ${name}`)
      check(mutate(f.text, [{ path: i, rename: PROTO_NAMES[(i + 5) % PROTO_NAMES.length] as string }]), `${f.name}: path ${i} renamed`)
    }
    const doc = JSON.parse(f.text) as unknown
    let k = 0
    const per = deep ? 3 : 2
    pathsOf(doc).forEach((p, i) => {
      if (typeof at(doc, p) !== 'number' || i % stride !== 0) return
      for (let j = 0; j < per; j++) {
        const odd = ODD_NUMBERS[(per * k + j) % ODD_NUMBERS.length] as number
        check(mutate(f.text, [{ path: i, set: odd }]), `${f.name}: path ${i} set to ${String(odd)}`)
      }
      k++
    })
  })

  it('random combinations of one to three mutations (wrong types, odd numbers, prototype names, renames)', () => {
    const WRONG: ReadonlyArray<unknown> = [null, true, '', 'x', 0, 3, -1, [], {}, [null], [[1]], [1, 2], { class_name: '__numpy__', config: { value: [[1], [2, 3]], dtype: 'float32' } }, { class_name: '__keras_tensor__', config: {} }, { class_name: '__tensor__', config: { value: 2, dtype: 'float64' } }, [-1], 'float16']
    const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ path: fc.nat(), set: fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.constantFrom(...WRONG), fc.constantFrom(...ODD_NUMBERS)) }),
      fc.record({ path: fc.nat(), rename: fc.constantFrom(...PROTO_NAMES) })
    )
    fc.assert(
      fc.property(fc.nat(FILES.length - 1), fc.array(arbMutation, { minLength: 1, maxLength: 3 }), (file, mutations) => {
        const f = FILES[file] as (typeof FILES)[number]
        check(mutate(f.text, mutations), `${f.name}: ${JSON.stringify(mutations)}`)
      }),
      params(300)
    )
  })
})
