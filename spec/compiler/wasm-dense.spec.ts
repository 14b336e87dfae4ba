/**
 * The WebAssembly SIMD Dense kernels (src/compiler/kernels/wasm-dense.ts) against the reference kernel
 * and a float64 oracle (tolerance: spec/compiler/denseHarness.ts), on the shapes where tiles, panel
 * remainders and row remainders change; every fused epilogue bit for bit equal to the TypeScript
 * epilogue applied to the same sums; NaN kept through clamps; nothing written outside the output on
 * a NaN-poisoned arena; row and panel ranges; packing once per params object through the executor;
 * and whole models compiled with the wasm backend.
 */
import { describe, expect, it } from 'vitest'
import { makeExecutor } from '../../src/compiler/executor.js'
import type { Graph, Stage } from '../../src/compiler/Graph.js'
import { applyStages } from '../../src/compiler/kernels/epilogue.js'
import { KERNEL_FAMILIES } from '../../src/compiler/kernels/index.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { denseTiling, splitEpilogue, wasmDenseFamily, wasmDenseKernel } from '../../src/compiler/kernels/wasm-dense.js'
import { denseCode, packDense, packedDenseFloats, panelCount, type DenseTiling } from '../../src/compiler/kernels/wasm/denseCode.js'
import { lowerModel } from '../../src/compiler/lower.js'
import type { KernelChoice, StepKernel } from '../../src/compiler/StepKernel.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { encodeModule, HAS_RELAXED_SIMD, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { sequential, layers } from '../../src/model/builder.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { readJson, readShared, right } from '../helpers.js'
import {
  bitDifference,
  denseData,
  denseGraph,
  disagreement,
  oracle,
  poisonLost,
  runReference,
  runWasm,
  stream,
  type DenseCase,
  type StageName
} from './denseHarness.js'

/** The runtime's WebAssembly (the suite runs only where it has SIMD). */
const wasm = wasmApi as NonNullable<typeof wasmApi>

const base: DenseCase = { K: 13, N: 11, lead: [], batch: 1, useBias: true, stages: [] }

/** Runs a case on the wasm kernel and checks it against the reference, the oracle and the guards. */
const check = (c: DenseCase, seed = 1, nonFinite = false, options: Parameters<typeof runWasm>[3] = {}): Float32Array => {
  const g = denseGraph(c)
  const d = denseData(c, g, seed, nonFinite)
  const r = runWasm(c, g, d, options)
  expect(r, 'the wasm kernel takes the node').toBeDefined()
  if (r === undefined) throw new Error('unreachable')
  const o = oracle(c, g, d)
  expect(disagreement(c, r.out, runReference(c, g, d), o), 'against the reference kernel').toBeUndefined()
  expect(disagreement(c, r.out, o.y, o), 'against the float64 oracle').toBeUndefined()
  const L = r.layout
  const written: Array<readonly [number, number]> = [
    [L.weights, L.weights + r.kernel.packedFloats],
    [L.x, L.x + g.rows * c.K],
    ...L.residuals.map((a) => [a, a + g.rows * c.N] as const),
    [L.output, L.output + g.rows * c.N]
  ]
  expect(poisonLost(r, written), 'nothing written outside the output').toBeUndefined()
  return r.out
}

/** The kernel's output with no epilogue, then the case's epilogue applied in TypeScript. */
const unfusedThenTs = (c: DenseCase, seed: number, nonFinite: boolean, options: Parameters<typeof runWasm>[3] = {}): Float32Array => {
  const g = denseGraph(c)
  const bare = denseGraph({ ...c, stages: [] })
  const d = denseData(c, g, seed, nonFinite)
  const r = runWasm({ ...c, stages: [] }, bare, { ...d, residuals: [] }, options)
  if (r === undefined) throw new Error('the wasm kernel refused the node')
  const n = r.out.length
  const all = new Float32Array(n * (1 + d.residuals.length))
  all.set(r.out)
  d.residuals.forEach((res, i) => all.set(res, n * (i + 1)))
  applyStages(g.node.epilogue.stages, all, 0, n, d.residuals.map((_, i) => n * (i + 1)), c.N)
  return all.slice(0, n)
}

const fusedRun = (c: DenseCase, seed: number, nonFinite: boolean, options: Parameters<typeof runWasm>[3] = {}): Float32Array => {
  const g = denseGraph(c)
  const r = runWasm(c, g, denseData(c, g, seed, nonFinite), options)
  if (r === undefined) throw new Error('the wasm kernel refused the node')
  return r.out
}

describe.runIf(HAS_SIMD)('wasm Dense kernel', () => {
  describe('which nodes it takes', () => {
    const g = denseGraph(base)
    const memory = new wasm.Memory({ initial: 1, maximum: 65536 })
    const choice: KernelChoice = { dtype: 'float32', backend: 'auto', threads: 1, memory: () => memory }
    it('float32 Dense nodes on the wasm and auto backends, before any other family that takes them', () => {
      expect(wasmDenseKernel(g.node, g.graph, choice)?.name).toMatch(/^wasm-dense-2x16/)
      expect(wasmDenseKernel(g.node, g.graph, { ...choice, backend: 'wasm' })).toBeDefined()
      const at = KERNEL_FAMILIES.indexOf(wasmDenseFamily)
      expect(at).toBeGreaterThanOrEqual(0)
      expect(KERNEL_FAMILIES.slice(0, at).map((f) => f(g.node, g.graph, choice))).toEqual(KERNEL_FAMILIES.slice(0, at).map(() => undefined))
    })
    it('nothing on the js backend, in float64, without an arena memory, or for other node kinds — without creating the memory', () => {
      let asked = 0
      const counting: KernelChoice = { ...choice, memory: () => (asked++, memory) }
      expect(wasmDenseKernel(g.node, g.graph, { ...counting, backend: 'js' })).toBeUndefined()
      expect(wasmDenseKernel(g.node, { ...g.graph, dtype: 'float64' }, { ...counting, dtype: 'float64' })).toBeUndefined()
      expect(wasmDenseKernel({ ...g.node, kind: 'layer' }, g.graph, counting)).toBeUndefined()
      expect(asked).toBe(0)
      expect(wasmDenseKernel(g.node, g.graph, { ...choice, memory: () => undefined })).toBeUndefined()
    })
    it('splits the epilogue at the first stage the store cannot apply', () => {
      const s = (fn: Stage & { kind: 'unary' }): Stage => fn
      const add: Stage = { kind: 'add', value: 9 }
      const sigmoid = s({ kind: 'unary', fn: { kind: 'activation', name: 'sigmoid', dialect: 'keras3' } })
      const relu = s({ kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: Infinity } })
      const odd = s({ kind: 'unary', fn: { kind: 'clamp', lo: 1, hi: 0 } })
      expect(splitEpilogue([relu, add, sigmoid, add]).fused.map((f) => f.kind)).toEqual(['clamp', 'add'])
      expect(splitEpilogue([relu, add, sigmoid, add]).rest).toEqual([sigmoid, add])
      expect(splitEpilogue([relu, add, sigmoid, add]).adds).toBe(1)
      // a clamp with lo > hi is Unary.ts's if / else-if, not min(max): left to TypeScript
      expect(splitEpilogue([odd]).fused).toEqual([])
    })
  })

  describe('shapes: full and partial panels, 1-3 rows (GEMV), pairs and odd rows, ranks 2-4, bias on and off', () => {
    const shapes: ReadonlyArray<readonly [number, number, ReadonlyArray<number>, number]> = [
      // K, N, lead, batch
      [1, 1, [], 1],
      [1, 8, [], 2],
      [3, 5, [], 3],
      [8, 7, [], 4],
      [13, 9, [], 5],
      [16, 16, [], 1],
      [17, 17, [], 2],
      [9, 24, [], 3],
      [31, 25, [], 7],
      [64, 40, [2], 3],
      [100, 100, [3, 2], 2],
      [300, 33, [], 40],
      [257, 300, [5], 1],
      [5, 300, [2, 3], 6]
    ]
    for (const useBias of [true, false]) {
      it.each(shapes)(`K %i → N %i, leading %j, batch %i, bias ${useBias}`, (K, N, lead, batch) => {
        check({ K, N, lead, batch, useBias, stages: [] }, K * 31 + N)
      })
    }
    it('more rows than one row block (rows of K = 2000 in blocks of 16)', () => {
      expect(denseTiling(2000).rowChunk).toBe(16)
      check({ K: 2000, N: 20, lead: [], batch: 37, useBias: true, stages: ['relu6'] }, 5)
    })
  })

  describe('the fused epilogue is the TypeScript epilogue, bit for bit (finite and non-finite inputs)', () => {
    const epilogues: ReadonlyArray<ReadonlyArray<StageName>> = [
      ['add'],
      ['relu'],
      ['relu6'],
      ['leaky'],
      ['leaky32'],
      ['sigmoid'],
      ['clamp'],
      ['kerasRelu'],
      ['kerasRelu6'],
      ['reluThreshold'],
      ['softmax'],
      ['add', 'relu'],
      ['relu', 'add', 'relu6'],
      ['add', 'add', 'leaky'],
      ['add', 'sigmoid', 'add', 'relu'],
      ['leaky', 'kerasRelu6', 'add', 'clamp']
    ]
    const shapes: ReadonlyArray<readonly [number, number, number]> = [
      [7, 5, 1],
      [19, 13, 3],
      [40, 27, 6]
    ]
    for (const stages of epilogues) {
      it(`${stages.join(' → ')}`, () => {
        for (const [K, N, batch] of shapes) {
          for (const nonFinite of [false, true]) {
            const c: DenseCase = { K, N, lead: [], batch, useBias: true, stages }
            check(c, K + N + batch, nonFinite)
            expect(bitDifference(fusedRun(c, K, nonFinite), unfusedThenTs(c, K, nonFinite))).toBeUndefined()
          }
        }
      })
    }
  })

  describe('non-finite sums through the clamps: NaN stays NaN (pmax(lo, x) would give lo), ±∞ clamp, −0 as Keras gives it', () => {
    // K = 1, no bias: output u of row r is x[r] · w[u]; w = [1, −1, 0]
    const sums = (stages: ReadonlyArray<StageName>): Float32Array => {
      const c: DenseCase = { K: 1, N: 3, lead: [], batch: 5, useBias: false, stages }
      const g = denseGraph(c)
      const d = { x: Float32Array.from([NaN, Infinity, -Infinity, 0, -2]), weights: [{ shape: [1, 3], data: Float32Array.from([1, -1, 0]) }], residuals: [] }
      const r = runWasm(c, g, d)
      if (r === undefined) throw new Error('refused')
      expect(bitDifference(r.out, runReference(c, g, d)), stages.join()).toBeUndefined()
      return r.out
    }
    const nan = NaN
    it('no epilogue', () => {
      // rows: NaN, +∞, −∞, 0, −2 times (1, −1, 0); bias-free sums start at +0: +0 + (0 · −1 = −0) = +0
      expect(Array.from(sums([]))).toEqual([nan, nan, nan, Infinity, -Infinity, nan, -Infinity, Infinity, nan, 0, 0, 0, -2, 2, 0])
    })
    it('relu (a clamp to [0, ∞)) and relu6', () => {
      expect(Array.from(sums(['relu']))).toEqual([nan, nan, nan, Infinity, 0, nan, 0, Infinity, nan, 0, 0, 0, 0, 2, 0])
      expect(Array.from(sums(['relu6']))).toEqual([nan, nan, nan, 6, 0, nan, 0, 6, nan, 0, 0, 0, 0, 2, 0])
    })
    it('leaky (x > 0 ? x : 0.3 x) and Keras relu layers', () => {
      expect(Array.from(sums(['leaky']))).toEqual([nan, nan, nan, Infinity, -Infinity, nan, -Infinity, Infinity, nan, 0, 0, 0, Math.fround(-0.6), 2, 0])
      expect(Array.from(sums(['kerasRelu6']))).toEqual([nan, nan, nan, 6, 0, nan, 0, 6, nan, 0, 0, 0, 0, 2, 0])
    })
    it('−0: a clamp keeps it, a Keras ReLU layer turns it into +0', () => {
      // bias −0 and x · w = −0: the sum is −0
      const c: DenseCase = { K: 1, N: 1, lead: [], batch: 1, useBias: true, stages: [] }
      const d = (stages: ReadonlyArray<StageName>) => {
        const cc = { ...c, stages }
        const g = denseGraph(cc)
        const data = { x: Float32Array.from([0]), weights: [{ shape: [1, 1], data: Float32Array.from([-1]) }, { shape: [1], data: Float32Array.from([-0]) }], residuals: [] }
        const r = runWasm(cc, g, data)
        if (r === undefined) throw new Error('refused')
        expect(bitDifference(r.out, runReference(cc, g, data))).toBeUndefined()
        return r.out[0]
      }
      expect(Object.is(d([]), -0)).toBe(true)
      expect(Object.is(d(['relu']), -0)).toBe(true)
      expect(Object.is(d(['kerasRelu']), 0)).toBe(true)
    })
  })

  describe('the arena', () => {
    it('a NaN-poisoned arena gives the same output as a zeroed one, and only the output is written', () => {
      for (const stages of [[], ['add', 'relu6']] as const) {
        const c: DenseCase = { K: 37, N: 21, lead: [3], batch: 3, useBias: true, stages }
        const g = denseGraph(c)
        const d = denseData(c, g, 7)
        const poisoned = runWasm(c, g, d)
        const zeroed = runWasm(c, g, d, {}, 0)
        if (poisoned === undefined || zeroed === undefined) throw new Error('refused')
        expect(bitDifference(poisoned.out, zeroed.out)).toBeUndefined()
        check(c, 7)
      }
    })
  })

  describe('the generated function', () => {
    it('rows and panels split in ranges (a threaded runner) give the whole call bit for bit', () => {
      const K = 45
      const N = 83
      const rows = 11
      const tiling = denseTiling(K)
      const bytes = encodeModule([{ name: 'dense', code: denseCode({ K, N, tiling, ops: [], fma: HAS_RELAXED_SIMD }) }], { shared: false, initialPages: 1, maxPages: 65536 })
      const memory = new wasm.Memory({ initial: 4, maximum: 65536 })
      const fn = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports['dense'] as (...a: number[]) => void
      const h = new Float32Array(memory.buffer)
      const next = stream(3)
      const W = 0
      const X = packedDenseFloats(K, N)
      const O1 = X + rows * K
      const O2 = O1 + rows * N
      packDense(K, N, Float32Array.from({ length: K * N }, next), Float32Array.from({ length: N }, next), h, W)
      h.set(Float32Array.from({ length: rows * K }, next), X)
      const P = panelCount(N)
      fn(X * 4, W * 4, O1 * 4, 0, rows, 0, P)
      // rows [0, 5) × panels [0, 4), [4, P); rows [5, 11) × panels [0, 7), [7, P); an empty range does nothing
      for (const [r0, r1, p0, p1] of [
        [0, 5, 0, 4],
        [0, 5, 4, P],
        [5, 11, 0, 7],
        [5, 11, 7, P],
        [3, 3, 0, P],
        [0, rows, 5, 5]
      ] as const)
        fn(X * 4, W * 4, O2 * 4, r0, r1, p0, p1)
      expect(bitDifference(h.subarray(O2, O2 + rows * N), h.subarray(O1, O1 + rows * N))).toBeUndefined()
    })
    const tilings: ReadonlyArray<readonly [string, DenseTiling]> = [
      ['4x8 (XNNPACK x86)', { MR: 4, panels: [0, 3, 2, 1, 1], broadcast: 'loadsplat', rowChunk: 8 }],
      ['4x8 splat', { MR: 4, panels: [0, 3, 2, 1, 1], broadcast: 'splat', rowChunk: 12 }],
      ['3x8', { MR: 3, panels: [0, 2, 1, 1], broadcast: 'loadsplat', rowChunk: 6 }],
      ['1x8', { MR: 1, panels: [0, 1], broadcast: 'splat', rowChunk: 1 }]
    ]
    it.each(tilings)('other tilings compute the same (%s)', (_name, tiling) => {
      for (const [K, N, batch] of [
        [1, 3, 5],
        [6, 17, 7],
        [33, 41, 13]
      ] as const)
        check({ K, N, lead: [], batch, useBias: true, stages: ['add', 'leaky'] }, K + N, true, { tiling })
    })
    it('with and without FMA', () => {
      const c: DenseCase = { K: 77, N: 29, lead: [], batch: 9, useBias: true, stages: ['relu'] }
      check(c, 2, false, { fma: false })
      check(c, 2, false, { fma: true })
      const withFma = fusedRun(c, 2, false, { fma: true })
      const without = fusedRun(c, 2, false, { fma: false })
      // FMA rounds each step once: the two differ only where the runtime has relaxed SIMD
      if (!HAS_RELAXED_SIMD) expect(bitDifference(withFma, without)).toBeUndefined()
    })
  })

  describe('the layer', () => {
    it('Keras 3 LoRA: the kernel merged as the layer merges it', () => {
      check({ K: 20, N: 12, lead: [], batch: 3, useBias: true, stages: [], loraRank: 3 }, 4)
      check({ K: 9, N: 30, lead: [2], batch: 2, useBias: false, stages: ['relu'], loraRank: 2 }, 5)
    })
    it('a node that kept its activation applies it before the epilogue', () => {
      check({ K: 20, N: 12, lead: [], batch: 3, useBias: true, stages: ['add'], keepActivation: 'relu' }, 6)
      check({ K: 20, N: 12, lead: [], batch: 3, useBias: true, stages: ['add'], keepActivation: 'sigmoid' }, 6)
    })
    it('batch 0 writes nothing', () => {
      const c: DenseCase = { K: 4, N: 4, lead: [], batch: 0, useBias: true, stages: [] }
      const g = denseGraph(c)
      const r = runWasm(c, g, denseData(c, g, 1))
      expect(r?.out.length).toBe(0)
    })
  })

  describe('through the executor and the compiler', () => {
    const mlp = right(
      sequential(
        [
          layers.dense({ name: 'd1', units: 37, activation: 'relu' }),
          layers.dense({ name: 'd2', units: 19, activation: 'relu6', use_bias: false }),
          layers.dense({ name: 'd3', units: 5, activation: 'sigmoid' })
        ],
        { input_shape: [23] }
      )
    )
    /** max |a − b| / (1 + |b|) over every output. */
    const relErr = (a: ReadonlyArray<Tensor>, b: ReadonlyArray<Tensor>): number => {
      let worst = 0
      a.forEach((t, i) => {
        const w = (b[i] as Tensor).data
        t.data.forEach((v, j) => {
          const e = Math.abs(v - (w[j] as number)) / (1 + Math.abs(w[j] as number))
          if (!(e <= worst)) worst = e
        })
      })
      return worst
    }
    const inputs = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number): Tensor[] => {
      const next = stream(seed)
      return shapes.map((s) => ({ shape: [batch, ...s], data: Float32Array.from({ length: batch * s.reduce((x, y) => x * y, 1) }, () => next() * 2 - 1) }))
    }

    it('two params objects alternating: each packed once, each call equal to the interpreter', () => {
      const graph: Graph = right(lowerModel(mlp, undefined, 'float32'))
      const memory = new wasm.Memory({ initial: 1, maximum: 65536 })
      const choice: KernelChoice = { dtype: 'float32', backend: 'wasm', threads: 1, memory: () => memory }
      let packs = 0
      const kernels: StepKernel[] = graph.nodes.map((n) => {
        const k = wasmDenseKernel(n, graph, choice) ?? referenceKernel(n, graph)
        expect(k.name).toMatch(/^wasm-dense/)
        return { ...k, pack: (w, dst, off) => (packs++, k.pack(w, dst, off)) }
      })
      const ex = makeExecutor({ graph, kernels }, memory)
      const interp = right(compileModel(mlp, { interpreter: true }))
      const p1 = interp.init(1)
      const p2 = interp.init(2)
      for (let call = 0; call < 6; call++) {
        const p = call % 2 === 0 ? p1 : p2
        const xs = inputs([[23]], 1 + (call % 3), call)
        expect(relErr(ex.forward(p, xs), interp.forward(p, xs))).toBeLessThan(1e-6)
      }
      expect(packs).toBe(2 * 3)
    })

    it('compileModel: the Dense steps run wasm-dense, outputs within 1e-6 of the interpreter', () => {
      const compiled = right(compileModel(mlp, { backend: 'wasm' }))
      expect(compiled.plan?.steps.map((s) => s.kernel)).toEqual(['wasm-dense-2x16' + (HAS_RELAXED_SIMD ? '-fma' : ''), expect.stringMatching(/^wasm-dense/), expect.stringMatching(/^wasm-dense/)])
      const interp = right(compileModel(mlp, { interpreter: true }))
      const params = interp.init(9)
      for (const batch of [1, 2, 3, 8, 33]) {
        const xs = inputs([[23]], batch, batch)
        expect(relErr(compiled.forward(params, xs), interp.forward(params, xs))).toBeLessThan(1e-6)
      }
      // the js backend keeps the reference kernels
      expect(right(compileModel(mlp, { backend: 'js' })).plan?.steps.every((s) => !s.kernel.startsWith('wasm'))).toBe(true)
    })

    const models: ReadonlyArray<readonly [string, () => unknown]> = [
      ['examples/models/mnist-convnet.keras3.json', () => readJson('examples/models/mnist-convnet.keras3.json')],
      ['examples/models/cifar10-cnn.keras224.json', () => readJson('examples/models/cifar10-cnn.keras224.json')],
      ['examples/models/residual-block.keras3.json', () => readJson('examples/models/residual-block.keras3.json')],
      ['examples/tfjs/model.json', () => readJson('examples/tfjs/model.json')],
      ['shared A.json', () => readShared('real-keras-models/A.json')],
      ['shared I.json', () => readShared('real-keras-models/I.json')],
      ['shared Q.json', () => readShared('real-keras-models/Q.json')]
    ]
    it.each(models)('%s: wasm backend within 1e-5 of the interpreter (batch 1 and 3)', (_name, load) => {
      const file = right(decodeModelFile(load()))
      const compiled = right(compileModel(file.model, { backend: 'wasm' }))
      const steps = compiled.plan?.steps ?? []
      const dense = steps.filter((s) => s.className === 'Dense')
      expect(dense.length).toBeGreaterThan(0)
      expect(dense.every((s) => s.kernel.startsWith('wasm-dense'))).toBe(true)
      const interp = right(compileModel(file.model, { interpreter: true }))
      const params = interp.init(3)
      for (const batch of [1, 3]) {
        const xs = inputs(compiled.inputShapes, batch, batch + 10)
        expect(relErr(compiled.forward(params, xs), interp.forward(params, xs))).toBeLessThan(1e-5)
      }
    })
  })
})
