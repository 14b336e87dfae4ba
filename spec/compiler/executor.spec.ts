/**
 * The compiler's core with no rewrites and the reference kernels only: lowering (nested models
 * inlined), the memory plan and the executor must give exactly the per-layer interpreter's outputs,
 * stay pure, and plan memory that never overlaps while live.
 */
import fc from 'fast-check'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { lowerModel } from '../../src/compiler/lower.js'
import { placeBlocks, planMemory, planProblems } from '../../src/compiler/memoryPlan.js'
import type { Graph } from '../../src/compiler/Graph.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { uniformStream } from '../../src/numerics/random.js'
import { readJson, readShared, right } from '../helpers.js'
import { assignOrderedWeights } from '../../src/model/weights.js'
import { caseInput, caseWeights, convFamilyCases, CONV_FAMILY_MEMBERS, MIXED_GROUP, type ConvFamilyCase } from '../keras3/convfamily.js'

const inputsFor = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number): Tensor[] => {
  const next = uniformStream(seed)
  return shapes.map((s) => {
    const n = batch * s.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1
    return { shape: [batch, ...s], data }
  })
}

const exampleModels = (): ReadonlyArray<readonly [string, unknown]> => {
  const dir = fileURLToPath(new URL('../../examples/models/', import.meta.url))
  return [
    ...readdirSync(dir).map((f) => [`examples/models/${f}`, readJson(`examples/models/${f}`)] as const),
    ['examples/tfjs/model.json', readJson('examples/tfjs/model.json')] as const,
    ...['A', 'C', 'D', 'F', 'I', 'Q', 'Q2'].map((n) => [`shared ${n}.json`, readShared(`real-keras-models/${n}.json`)] as const)
  ]
}

describe('compiler without rewrites = the per-layer interpreter, bit for bit', () => {
  it.each(exampleModels())('%s', (_name, json) => {
    const file = right(decodeModelFile(json))
    const reference = right(compileModel(file.model, { interpreter: true }))
    // the reference kernel on every step: the fast kernels sum in other orders (each is checked against
    // the reference in ts-kernels / wasm-ops / wasm-dense specs; the whole models below, with a tolerance)
    const compiled = right(compileModel(file.model, { rewrites: false, kernels: 'reference' }))
    expect(compiled.plan).not.toBeNull()
    expect(compiled.plan?.rewrites).toEqual([])
    const params = compiled.init(3)
    for (const batch of [1, 3]) {
      const xs = inputsFor(compiled.inputShapes, batch, batch)
      const copies = xs.map((x) => Float32Array.from(x.data))
      const want = reference.forward(params, xs)
      const got = compiled.forward(params, xs)
      expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape))
      got.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from((want[i] as Tensor).data)))
      // pure: inputs untouched, a second call gives equal, fresh arrays
      xs.forEach((x, i) => expect(x.data).toEqual(copies[i]))
      const again = compiled.forward(params, xs)
      again.forEach((t, i) => {
        expect(t.data).not.toBe((got[i] as Tensor).data)
        expect(t.data).toEqual((got[i] as Tensor).data)
      })
    }
    const peak = compiled.plan?.peakIntermediateBytes(1) ?? 0
    expect(peak).toBeGreaterThan(0)
  })
})

/** max |got − want| / max(1, max |want|) over every output; exact equality of NaN / ±∞ positions required. */
const relativeError = (got: ReadonlyArray<Tensor>, want: ReadonlyArray<Tensor>): number => {
  let err = 0
  got.forEach((t, i) => {
    if (err === Infinity) return
    const w = (want[i] as Tensor).data
    let scale = 1
    for (let k = 0; k < w.length; k++) if (Number.isFinite(w[k])) scale = Math.max(scale, Math.abs(w[k] as number))
    for (let k = 0; k < w.length; k++) {
      const a = t.data[k] as number
      const b = w[k] as number
      if (!Number.isFinite(b) || !Number.isFinite(a)) {
        if (!Object.is(a, b)) {
          err = Infinity
          return
        }
        continue
      }
      err = Math.max(err, Math.abs(a - b) / scale)
    }
  })
  return err
}

describe('compiled by default (every rewrite, the fast kernels) = the interpreter within float32 rounding', () => {
  it.each(exampleModels())('%s', (_name, json) => {
    const file = right(decodeModelFile(json))
    const reference = right(compileModel(file.model, { interpreter: true }))
    const compiled = right(compileModel(file.model))
    expect(compiled.plan?.steps.some((s) => s.kernel !== 'reference')).toBe(true)
    const params = compiled.init(5)
    for (const batch of [1, 3]) {
      const xs = inputsFor(compiled.inputShapes, batch, 10 + batch)
      const copies = xs.map((x) => Float32Array.from(x.data))
      const want = reference.forward(params, xs)
      const got = compiled.forward(params, xs)
      expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape))
      // relative to the largest output: float32 sums in another order, BatchNormalization folded into weights
      expect(relativeError(got, want)).toBeLessThan(2e-5)
      xs.forEach((x, i) => expect(x.data).toEqual(copies[i]))
    }
  })
})

describe('the arena grows between calls', () => {
  it.each([['js', 1], ['auto', 1], ['auto', 2]] as const)('backend %s, threads %d: after a larger batch and a second params object (a new weights slot moves the values), every call = a fresh model\'s', (backend, threads) => {
    const file = right(decodeModelFile(readShared('real-keras-models/A.json')))
    const fresh = () => right(compileModel(file.model, { backend, threads }))
    const model = fresh()
    const first = model.init(1)
    const second = model.init(2)
    const small = inputsFor(model.inputShapes, 1, 31)
    const large = inputsFor(model.inputShapes, 8, 32)
    const calls: ReadonlyArray<readonly [ReadonlyArray<Tensor>, Tensor[]]> = [
      [first, small], [first, large], [second, small], [first, small], [second, large], [first, large]
    ]
    for (const [i, [params, xs]] of calls.entries()) {
      const want = fresh().forward(params, xs)
      const got = model.forward(params, xs)
      got.forEach((t, k) => expect(Array.from(t.data), `call ${i}`).toEqual(Array.from((want[k] as Tensor).data)))
    }
  })
})

// -------------------------------------------------------------------------------------
// the convolution family (issue 14): Keras's golden cases through the compiler
// -------------------------------------------------------------------------------------

/** The layers that stay `layer` nodes, run by their reference (the 3-D window pooling, padding, cropping and upsampling layers: views of the 2-D routines already). */
const LAYER_NODES: ReadonlyArray<string> = ['MaxPooling3D', 'AveragePooling3D', 'UpSampling3D', 'ZeroPadding3D', 'Cropping3D']

/** A golden case's model, its interpreter, and the params holding Keras's weights. */
const goldenCase = (c: ConvFamilyCase) => {
  const model = right(decodeModelFile(c.model)).model
  const interpreter = right(compileModel(model, { interpreter: true }))
  const params = right(assignOrderedWeights(interpreter, caseWeights(c).map((data, i) => ({ shape: c.weights[i]?.shape ?? [], data })), { order: 'layers' }))
  const input = caseInput(c)
  const x: Tensor = { shape: input.shape, data: input.data }
  return { model, interpreter, params, x, want: interpreter.forward(params, [x]) }
}

describe('the convolution family\'s Keras golden cases (spec/keras3/convfamily.ts, the mixed group included) through the compiler', () => {
  it.each([...CONV_FAMILY_MEMBERS, MIXED_GROUP].map((g) => [g] as const))('%s: no rewrites and the reference kernels = the interpreter bit for bit; compiled by default (fast steps, js and auto) within float32 rounding; threads 2 = threads 1', (group) => {
    const cases = convFamilyCases(group)
    expect(cases.length).toBeGreaterThan(0)
    for (const c of cases) {
      const { model, params, x, want } = goldenCase(c)
      const exact = right(compileModel(model, { rewrites: false, kernels: 'reference' }))
      expect(exact.plan?.rewrites, c.id).toEqual([])
      const got = exact.forward(params, [x])
      expect(got.map((t) => t.shape), c.id).toEqual(want.map((t) => t.shape))
      got.forEach((t, i) => expect(Array.from(t.data), c.id).toEqual(Array.from((want[i] as Tensor).data)))
      for (const backend of ['auto', 'js'] as const) {
        const compiled = right(compileModel(model, { backend }))
        // every step of the family runs a fast kernel, but the 3-D layers that stay `layer` nodes
        const slow = (compiled.plan?.steps ?? []).filter((s) => s.kernel === 'reference' && !LAYER_NODES.includes(s.className))
        expect(slow.map((s) => `${s.name} ${s.className}`), `${c.id} ${backend}`).toEqual([])
        expect(relativeError(compiled.forward(params, [x]), want), `${c.id} ${backend}`).toBeLessThan(2e-5)
      }
      const one = right(compileModel(model, { threads: 1 }))
      const two = right(compileModel(model, { threads: 2 }))
      const y1 = one.forward(params, [x])
      two.forward(params, [x]).forEach((t, i) => expect(Array.from(t.data), `${c.id} threads`).toEqual(Array.from((y1[i] as Tensor).data)))
    }
  })

  it('float64: every golden case compiled (the plain-TS kernels, sums in float64) = the float64 interpreter within 1e-12 relative', () => {
    for (const c of convFamilyCases()) {
      const model = right(decodeModelFile(c.model)).model
      const interpreter = right(compileModel(model, { interpreter: true, dtype: 'float64' }))
      const params = right(assignOrderedWeights(interpreter, caseWeights(c).map((data, i) => ({ shape: c.weights[i]?.shape ?? [], data: Float64Array.from(data) })), { order: 'layers' }))
      const input = caseInput(c)
      const x: Tensor = { shape: input.shape, data: Float64Array.from(input.data) }
      const compiled = right(compileModel(model, { dtype: 'float64' }))
      expect(relativeError(compiled.forward(params, [x]), interpreter.forward(params, [x])), c.id).toBeLessThan(1e-12)
    }
  })
})

describe('the memory plan', () => {
  it('best fit never overlaps two buffers live at once (random lifetimes)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 500 }), first: fc.integer({ min: -1, max: 30 }), span: fc.integer({ min: 0, max: 10 }) }), { maxLength: 40 }),
        (rs) => {
          const requests = rs.map((r) => ({ size: r.size, first: r.first, last: r.first + r.span }))
          const offsets = placeBlocks(requests)
          const blocks = requests.map((r, i) => ({ ...r, offset: offsets[i] as number }))
          const problems = planProblems({ batch: 1, valueOffset: [], scratchOffset: [], peakFloats: 0, blocks })
          expect(problems).toEqual([])
        }
      ),
      { numRuns: 300, seed: 20261206 }
    )
  })
  it('reuses memory: the peak is below the sum of every intermediate value (MobileNet D.json)', () => {
    const file = right(decodeModelFile(readShared('real-keras-models/D.json')))
    const compiled = right(compileModel(file.model, { rewrites: false }))
    const sizes = compiled.summary.layers.map((l) => (l.outputShapes[0] ?? []).slice(1).reduce<number>((x, d) => x * (d ?? 1), 1))
    const total = sizes.reduce((a, b) => a + b, 0) * 4
    const peak = compiled.plan?.peakIntermediateBytes(1) ?? Infinity
    // at most the two largest values live at once, plus scratch-free steps: far below the total
    expect(peak).toBeLessThan(total / 4)
    expect(peak).toBeGreaterThanOrEqual((Math.max(...sizes) * 4))
  })
  it('plans for a graph: aliases share, live values never overlap (every example and real model, batch 2)', () => {
    for (const [name, json] of exampleModels()) {
      const file = right(decodeModelFile(json))
      const lowered = lowerModel(file.model, undefined, 'float32', { family: true })
      const g = right(lowered)
      const plan = planMemory(g, 2, g.nodes.map(() => 0))
      expect(planProblems(plan), name).toEqual([])
      // every step in place where allowed: still no overlap of live buffers
      const inPlace = planMemory(g, 2, g.nodes.map(() => 0), g.nodes.map(() => true))
      expect(planProblems(inPlace), name).toEqual([])
      expect(inPlace.peakFloats).toBeLessThanOrEqual(plan.peakFloats)
    }
  })

  it('in place: an elementwise step writes over its dying input; never over one read later, by an epilogue add, or a model output', () => {
    const layer = (class_name: string, name: string, config: Record<string, unknown>, inbound: ReadonlyArray<string>): unknown => ({
      class_name,
      name,
      config: { name, ...config },
      inbound_nodes: inbound.length === 0 ? [] : [inbound.map((i) => [i, 0, 0, {}])]
    })
    const json = {
      class_name: 'Functional',
      config: {
        name: 'inplace',
        layers: [
          layer('InputLayer', 'x', { batch_input_shape: [null, 8, 8, 4] }, []),
          layer('MaxPooling2D', 'pool', { pool_size: [2, 2] }, ['x']),
          // BN after pooling does not fold: a standalone step that may run over the pool's buffer
          layer('BatchNormalization', 'bn', { axis: -1 }, ['pool']),
          layer('Activation', 'tanh', { activation: 'tanh' }, ['bn']),
          // the pool output is dead by now; `tanh` is read twice below (not in place for `add`)
          layer('Add', 'add', {}, ['tanh', 'tanh']),
          layer('Activation', 'sig', { activation: 'sigmoid' }, ['add'])
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['sig', 0, 0], ['add', 0, 0]]
      },
      keras_version: '2.4.0',
      backend: 'tensorflow'
    }
    const model = right(decodeModelFile(json)).model
    const reference = right(compileModel(model, { interpreter: true }))
    for (const kernels of ['fast', 'reference'] as const) {
      const compiled = right(compileModel(model, { kernels }))
      const params = compiled.init(7).map((t, i) => (i >= 2 ? { ...t, data: t.data.map((_, k) => 0.5 + k / 8) } : t))
      const xs = inputsFor(compiled.inputShapes, 3, 2)
      const want = reference.forward(params, xs)
      const got = compiled.forward(params, xs)
      got.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from((want[i] as Tensor).data)))
      xs.forEach((x) => expect(x.data.every((v) => Number.isFinite(v))).toBe(true))
    }
    const g = right(lowerModel(model, undefined, 'float32'))
    const names = g.nodes.map((n) => n.name)
    const at = (name: string): number => names.indexOf(name)
    const plan = planMemory(g, 3, g.nodes.map(() => 0), g.nodes.map(() => true))
    expect(planProblems(plan)).toEqual([])
    const offsetOf = (name: string): number => plan.valueOffset[(g.nodes[at(name)] as Graph['nodes'][number]).output] as number
    // bn over pool, tanh over bn
    expect(offsetOf('bn')).toBe(offsetOf('pool'))
    expect(offsetOf('tanh')).toBe(offsetOf('bn'))
    // add reads tanh twice: its own buffer; sig reads add, a model output: its own buffer
    expect(offsetOf('add')).not.toBe(offsetOf('tanh'))
    expect(offsetOf('sig')).not.toBe(offsetOf('add'))
    // without in-place steps each of them has a buffer of its own
    const apart = planMemory(g, 3, g.nodes.map(() => 0))
    expect(apart.valueOffset[(g.nodes[at('bn')] as Graph['nodes'][number]).output]).not.toBe(apart.valueOffset[(g.nodes[at('pool')] as Graph['nodes'][number]).output])
  })
})
