/**
 * Two threads for the non-convolution steps (src/compiler/kernels/split.ts): wasm-ops' kernels
 * (pooling, BatchNormalization, activations, merges, Concatenate, UpSampling2D) and Dense split their
 * work units over the worker pool on a shared arena, bit for bit the one-thread result on a poisoned
 * arena (nothing written outside the output), call after call (a split call leaves no state that
 * changes the next, split or not), and only from their thresholds on. Also the narrow-output Winograd →
 * tiled switch of the arena convolutions, and whole models with such steps: threads 2 = threads 1.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { DENSE_THREAD_MIN_MACS, denseSplitAxis } from '../../src/compiler/kernels/wasm-dense.js'
import { batchNormFamily, concatFamily, globalPoolFamily, mergeFamily, OPS_THREAD_MIN_FLOATS, poolFamily, unaryFamily, upsampleFamily } from '../../src/compiler/kernels/wasm-ops.js'
import { wasmConvKernel } from '../../src/compiler/kernels/wasm-conv.js'
import { WASM_WINOGRAD_MIN_ROW_TILES } from '../../src/kernel/prepare.js'
import type { KernelChoice } from '../../src/compiler/StepKernel.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { holdWorkers, THREADS_AVAILABLE, threadStats } from '../../src/kernel/threads.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { HAS_SHARED_MEMORY, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { layer, layers, sequential } from '../../src/model/builder.js'
import { compileModel } from '../../src/model/compileModel.js'
import { lowerModel } from '../../src/compiler/lower.js'
import { right } from '../helpers.js'
import { bitDifference, denseData, denseGraph, POISON_BITS, runWasm, type DenseCase } from './denseHarness.js'
import { compareThreads, firstBitDifference, floats, oneNode, type OneNode, type OpsFamily, type TestStage } from './opsHarness.js'

const RUNS = HAS_SIMD && wasmApi !== undefined && THREADS_AVAILABLE && HAS_SHARED_MEMORY

const RELU6: TestStage = { fn: { kind: 'clamp', lo: 0, hi: 6 } }
const ADD: TestStage = { add: true }
const SIGMOID: TestStage = { fn: { kind: 'activation', name: 'sigmoid', dialect: 'keras3' } }

const weightsFor = (one: OneNode, className: string, seed: number): Tensor[] =>
  one.weightShapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1)
    const d = floats(n, seed + 17 * i, 1, 0.05)
    if (className === 'BatchNormalization') for (let j = 0; j < n; j++) d[j] = Math.abs(d[j] as number) + 1e-3
    return { shape: s, data: d }
  })

interface OpsCase {
  readonly family: OpsFamily
  readonly className: string
  readonly config: Record<string, unknown>
  readonly shapes: ReadonlyArray<ReadonlyArray<number>>
  readonly stages?: ReadonlyArray<TestStage>
}

const OPS_CASES: ReadonlyArray<OpsCase> = [
  { family: unaryFamily, className: 'ReLU', config: { max_value: 6 }, shapes: [[9, 7, 13]] },
  { family: unaryFamily, className: 'Activation', config: { activation: 'relu' }, shapes: [[5, 6, 11]], stages: [ADD, SIGMOID] },
  { family: mergeFamily, className: 'Add', config: {}, shapes: [[7, 5, 9], [7, 5, 9]], stages: [RELU6] },
  { family: mergeFamily, className: 'Average', config: {}, shapes: [[3, 5, 7], [3, 5, 7], [3, 5, 7]] },
  { family: batchNormFamily, className: 'BatchNormalization', config: {}, shapes: [[6, 5, 12]], stages: [RELU6] },
  { family: batchNormFamily, className: 'BatchNormalization', config: { axis: 1 }, shapes: [[7, 6, 5]] },
  { family: poolFamily, className: 'MaxPooling2D', config: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, shapes: [[11, 9, 6]] },
  { family: poolFamily, className: 'AveragePooling2D', config: { pool_size: [2, 2], data_format: 'channels_first' }, shapes: [[5, 8, 10]] },
  { family: globalPoolFamily, className: 'GlobalAveragePooling2D', config: {}, shapes: [[5, 4, 40]] },
  { family: concatFamily, className: 'Concatenate', config: { axis: -1 }, shapes: [[5, 6, 3], [5, 6, 9], [5, 6, 1]], stages: [RELU6] },
  { family: upsampleFamily, className: 'UpSampling2D', config: { size: [2, 3] }, shapes: [[4, 5, 7]] }
]

describe.runIf(RUNS)('wasm-ops steps split over the worker pool on a shared arena', () => {
  it.each(OPS_CASES.map((c) => [`${c.className} ${JSON.stringify(c.config)}`, c] as const))('%s: threads 2 and 3 = one thread bit for bit, call after call, split or not', (_name, c) => {
    for (const batch of [1, 3]) {
      for (const threads of [2, 3]) {
        const one = oneNode(c.className, c.config, c.shapes, c.stages ?? [])
        const weights = weightsFor(one, c.className, 5 + batch)
        const data = one.inShapes.map((s, i) => floats(batch * s.reduce((a, b) => a * b, 1), 11 * batch + i, 4, 0.05))
        // the model's decision alternating: split, one thread, split, split
        const ways = [true, false, true, true]
        let call = 0
        const before = threadStats.calls
        const r = compareThreads(c.family, one, weights, data, { batch, threads, parallelMinFloats: 0, split: () => ways[call++ % ways.length] as boolean }, ways.length)
        expect(r, 'the family takes it').toBeDefined()
        if (r === undefined) return
        for (const [k, t] of r.threaded.entries()) {
          const d = firstBitDifference(t.out, r.single.out)
          expect(d, `batch ${batch}, ${threads} threads, call ${k}: first difference at ${d}`).toBe(-1)
          expect(t.untouched, `call ${k} writes nothing outside its output`).toBe(true)
        }
        // every call that was to split and had two units per thread did
        expect(threadStats.calls - before).toBeGreaterThan(0)
        expect(threadStats.calls - before).toBeLessThanOrEqual(3)
      }
    }
  })

  it('splits from its threshold on (floats moved per call: inputs, operands, output), never below', () => {
    const one = oneNode('Add', {}, [[8, 8, 16], [8, 8, 16]], [ADD])
    const moved = 4 * 8 * 8 * 16 // two inputs, one operand, the output
    const weights = weightsFor(one, 'Add', 1)
    const data = one.inShapes.map((s, i) => floats(s.reduce((a, b) => a * b, 1), 3 + i))
    for (const [min, splits] of [[moved, true], [moved + 1, false], [0, true]] as const) {
      const before = threadStats.calls
      const r = compareThreads(mergeFamily, one, weights, data, { batch: 1, threads: 2, parallelMinFloats: min })
      expect(r).toBeDefined()
      expect(firstBitDifference((r?.threaded[0] as { out: Float32Array }).out, r?.single.out as Float32Array)).toBe(-1)
      expect(threadStats.calls > before, `threshold ${min}`).toBe(splits)
    }
    // the default: a 16×16×64 BatchNormalization (32 K floats moved) stays on one thread
    expect(OPS_THREAD_MIN_FLOATS).toBeGreaterThan(2 * 16 * 16 * 64)
    const bn = oneNode('BatchNormalization', {}, [[16, 16, 64]])
    const before = threadStats.calls
    const memory = new (wasmApi as NonNullable<typeof wasmApi>).Memory({ initial: 1, maximum: 65536, shared: true })
    const choice: KernelChoice = { dtype: 'float32', backend: 'wasm', threads: 2, memory: () => memory }
    const k = batchNormFamily(bn.node, bn.graph, choice)
    expect(k).toBeDefined()
    memory.grow(4)
    const view = new Float32Array(memory.buffer)
    k?.pack(weightsFor(bn, 'BatchNormalization', 2), view, 0)
    k?.run({ dtype: 'float32', memory, view: () => new Float32Array(memory.buffer) }, 1, { inputs: [1024], output: 1024 + 16384, operands: [], weights: 0, scratch: -1 }, [])
    expect(threadStats.calls).toBe(before)
  })

  it('a plain (not shared) memory or one thread: never splits', () => {
    const c = OPS_CASES[0] as OpsCase
    const one = oneNode(c.className, c.config, c.shapes)
    const data = one.inShapes.map((s, i) => floats(s.reduce((a, b) => a * b, 1), 9 + i))
    const before = threadStats.calls
    const r = compareThreads(c.family, one, [], data, { batch: 1, threads: 1, parallelMinFloats: 0 })
    expect(firstBitDifference((r?.threaded[0] as { out: Float32Array }).out, r?.single.out as Float32Array)).toBe(-1)
    expect(threadStats.calls).toBe(before)
  })
})

describe.runIf(RUNS)('Dense split over the worker pool on a shared arena', () => {
  const cases: ReadonlyArray<DenseCase> = [
    { K: 37, N: 203, lead: [], batch: 1, useBias: true, stages: ['relu'] },
    { K: 64, N: 100, lead: [], batch: 1, useBias: false, stages: ['add', 'sigmoid'] },
    { K: 19, N: 48, lead: [], batch: 9, useBias: true, stages: ['add', 'relu6'] },
    { K: 33, N: 24, lead: [5], batch: 3, useBias: true, stages: ['leaky'] },
    { K: 8, N: 9, lead: [], batch: 40, useBias: true, stages: [] }
  ]
  it.each(cases.map((c) => [`${c.K}→${c.N} × ${c.batch}${c.lead.length > 0 ? ` (lead ${c.lead.join(',')})` : ''}`, c] as const))('%s: rows, panels and auto, 2 and 3 threads = one thread bit for bit, call after call', (_name, c) => {
    const g = denseGraph(c)
    const d = denseData(c, g, 17, true)
    const one = runWasm(c, g, d)
    expect(one).toBeDefined()
    for (const splitAxis of ['auto', 'rows', 'panels'] as const) {
      for (const threads of [2, 3]) {
        // split, then one thread on the same arena (a split call's ranges must not leak into it), then split
        for (const ways of [[true, false], [false, true], [true, true]]) {
          let call = 0
          const before = threadStats.calls
          const two = runWasm(c, g, d, { parallelMinMacs: 0, splitAxis }, POISON_BITS, { threads, split: () => ways[call++] as boolean, calls: 2 })
          expect(two).toBeDefined()
          expect(bitDifference(two?.out as Float32Array, one?.out as Float32Array), `${splitAxis}, ${threads} threads, ${ways.join('/')}`).toBeUndefined()
          // nothing written outside the output
          const L = two?.layout
          const bits = two?.arena as Uint32Array
          if (L !== undefined) {
            for (let i = L.output - 3; i < L.output; i++) expect(bits[i]).toBe(POISON_BITS)
            for (let i = L.output + g.rows * c.N; i < L.end; i++) expect(bits[i]).toBe(POISON_BITS)
          }
          expect(threadStats.calls - before).toBeLessThanOrEqual(ways.filter((w) => w).length)
        }
      }
    }
  })

  it('splits from DENSE_THREAD_MIN_MACS on (per call: rows · K · N), never below; the axis: panels unless rows outnumber columns', () => {
    const c: DenseCase = { K: 64, N: 64, lead: [], batch: 2, useBias: true, stages: [] }
    const g = denseGraph(c)
    const d = denseData(c, g, 3)
    const macs = 2 * 64 * 64
    for (const [min, splits] of [[macs, true], [macs + 1, false]] as const) {
      const before = threadStats.calls
      runWasm(c, g, d, { parallelMinMacs: min }, POISON_BITS, { threads: 2 })
      expect(threadStats.calls > before, `threshold ${min}`).toBe(splits)
    }
    // default threshold: this layer is far below it
    const before = threadStats.calls
    runWasm(c, g, d, {}, POISON_BITS, { threads: 2 })
    expect(macs).toBeLessThan(DENSE_THREAD_MIN_MACS)
    expect(threadStats.calls).toBe(before)
    expect(denseSplitAxis(1, 4096, 4096, 2)).toBe('panels')
    expect(denseSplitAxis(8, 2048, 2048, 2)).toBe('panels')
    expect(denseSplitAxis(4096, 64, 16, 2)).toBe('rows')
    // too few panels to share: rows
    expect(denseSplitAxis(64, 64, 8, 2)).toBe('rows')
  })
})

describe.runIf(HAS_SIMD && wasmApi !== undefined)('arena convolutions: Winograd only where its tile groups fill', () => {
  it(`an output narrower than ${2 * WASM_WINOGRAD_MIN_ROW_TILES - 1} columns runs on the tiled kernel (selectKernel's rule)`, () => {
    const memory = new (wasmApi as NonNullable<typeof wasmApi>).Memory({ initial: 1, maximum: 65536 })
    const choice: KernelChoice = { dtype: 'float32', backend: 'auto', threads: 1, memory: () => memory }
    const kernelAt = (width: number): string => {
      const model = right(sequential([layer('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' })], { input_shape: [width, width, 16] }))
      const graph = right(lowerModel(model, undefined, 'float32'))
      const node = graph.nodes[0] as (typeof graph.nodes)[number]
      return wasmConvKernel(node, graph, choice)?.name ?? 'none'
    }
    expect(kernelAt(2)).toBe('conv:wasm-tiled@arena')
    expect(kernelAt(6)).toBe('conv:wasm-tiled@arena')
    expect(kernelAt(7)).toBe('conv:wasm-winograd@arena')
    expect(kernelAt(8)).toBe('conv:wasm-winograd@arena')
  })
})

describe.runIf(RUNS)('whole models with threads: Dense, BatchNormalization, pooling, Concatenate split too', () => {
  it('an MLP with 1024-wide Dense, a conv net with BatchNormalization, Concatenate, pooling, a Conv2DTranspose: threads 2 = threads 1 bit for bit, batch 1 and 8', () => {
    const mlp = right(sequential([layers.dense({ units: 1024, activation: 'relu' }), layers.dense({ units: 1024, activation: 'relu' }), layers.dense({ units: 10 })], { input_shape: [784] }))
    const net = right(
      sequential(
        [
          layer('Conv2D', { filters: 32, kernel_size: [3, 3], padding: 'same' }),
          layer('BatchNormalization', {}),
          layer('ReLU', {}),
          layer('MaxPooling2D', { pool_size: [2, 2] }),
          layer('UpSampling2D', { size: [2, 2] }),
          layer('Activation', { activation: 'relu6' })
        ],
        { input_shape: [64, 64, 16] }
      )
    )
    // a transposed convolution (convNd: its own compiled 2-D kernels, by phases): with split 'never' its
    // one-thread kernels run, and dispatch nothing
    const up = right(sequential([layer('Conv2DTranspose', { filters: 32, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu' })], { input_shape: [32, 32, 32] }))
    for (const model of [mlp, net, up]) {
      const calls = threadStats.calls
      const one = right(compileModel(model, { threads: 1 }))
      const two = right(compileModel(model, { threads: 2 }))
      const params = one.init(5)
      for (const batch of [1, 8]) {
        const shape = one.inputShapes[0] as ReadonlyArray<number>
        const n = batch * shape.reduce((a, b) => a * b, 1)
        const xs = [{ shape: [batch, ...shape], data: floats(n, 7 + batch) }]
        const want = (one.forward(params, xs)[0] as Tensor).data as Float32Array
        // the first ten calls run both ways (splitPolicy.ts: eight split, two on one thread): all the same bits
        for (let call = 0; call < 12; call++) {
          const got = (two.forward(params, xs)[0] as Tensor).data as Float32Array
          expect(firstBitDifference(got, want), `batch ${batch} call ${call}`).toBe(-1)
        }
        // and the fixed choices
        for (const split of ['always', 'never'] as const) {
          const fixed = right(compileModel(model, { threads: 2, split }))
          const before = threadStats.calls
          const got = (fixed.forward(params, xs)[0] as Tensor).data as Float32Array
          expect(firstBitDifference(got, want), `batch ${batch} split ${split}`).toBe(-1)
          if (split === 'never') expect(threadStats.calls, 'split: never dispatches no job').toBe(before)
        }
        // a worker held busy (as the OS may hold it): the split steps start on the calling thread and
        // hand over, or run alone; the same bits
        const always = right(compileModel(model, { threads: 2, split: 'always' }))
        always.forward(params, xs)
        for (const us of [100, 1000, 200_000]) {
          const { late, calls } = threadStats
          holdWorkers(1, us)
          const got = (always.forward(params, xs)[0] as Tensor).data as Float32Array
          expect(firstBitDifference(got, want), `batch ${batch} worker held ${us} µs`).toBe(-1)
          // held longer than the forward: every split step found it busy (a short hold may end before
          // the first split step)
          if (us === 200_000) expect(threadStats.late - late, `batch ${batch}`).toBe(threadStats.calls - calls)
        }
      }
      expect(threadStats.calls).toBeGreaterThan(calls)
    }
  })

  it("a Conv2DTranspose step follows the model's decision, not a split policy of its own: with split 'always' every forward dispatches", () => {
    // its phases (each a 2-D kernel from compileConvNd, ~38 M multiply-adds) would, with policies of
    // their own, probe one thread at their 8th-10th calls: those forwards would dispatch nothing
    const up = right(sequential([layer('Conv2DTranspose', { filters: 64, kernel_size: [3, 3], strides: [2, 2], padding: 'same' })], { input_shape: [32, 32, 64] }))
    const one = right(compileModel(up, { threads: 1 }))
    const always = right(compileModel(up, { threads: 2, split: 'always' }))
    const params = one.init(3)
    const xs = [{ shape: [1, 32, 32, 64], data: floats(32 * 32 * 64, 11) }]
    const want = (one.forward(params, xs)[0] as Tensor).data as Float32Array
    for (let call = 0; call < 24; call++) {
      const before = threadStats.calls
      const got = (always.forward(params, xs)[0] as Tensor).data as Float32Array
      expect(threadStats.calls - before, `forward ${call}: jobs`).toBeGreaterThan(0)
      if (call % 8 === 0) expect(firstBitDifference(got, want), `forward ${call}`).toBe(-1)
    }
  })

  it('options.split: a value other than adaptive / always / never is refused with its path', () => {
    const model = right(sequential([layer('Dense', { units: 4 })], { input_shape: [3] }))
    const r = compileModel(model, { threads: 2, split: 'sometimes' as never })
    expect(E.isLeft(r) ? r.left : []).toEqual([{ path: 'options.split', message: 'expected "adaptive", "always" or "never", found "sometimes"' }])
  })
})

describe.runIf(RUNS)('a split Winograd step with big weights (batches of 32 groups, chunks of whole batches)', () => {
  it('260 → 257 channels (16·260·257 floats > 4 MiB): threads 2 = threads 1 bit for bit, batch 1 and 2, call after call', () => {
    // 12×20 output: 6 tile rows of 3 groups; a chunk holds at least 10 tile rows (a batch of 32 groups),
    // so each thread's part is one chunk
    const model = right(sequential([layer('Conv2D', { filters: 257, kernel_size: [3, 3], padding: 'same', activation: 'relu' })], { input_shape: [12, 20, 260] }))
    const one = right(compileModel(model, { threads: 1 }))
    const two = right(compileModel(model, { threads: 2, split: 'always' }))
    expect(one.plan?.steps[0]?.kernel).toBe('conv:wasm-winograd@arena')
    const params = one.init(4)
    const before = threadStats.calls
    for (const batch of [1, 2, 1, 2, 2]) {
      const input = [{ shape: [batch, 12, 20, 260], data: floats(batch * 12 * 20 * 260, 11 + batch, 1, 0) }]
      const want = (one.forward(params, input)[0] as Tensor).data as Float32Array
      const got = (two.forward(params, input)[0] as Tensor).data as Float32Array
      expect(want.some((v) => v > 0)).toBe(true)
      expect(firstBitDifference(got, want), `batch ${batch}`).toBe(-1)
    }
    expect(threadStats.calls - before).toBeGreaterThanOrEqual(5)
  })
})

describe.runIf(RUNS)('a split Winograd step checks what each thread wrote for non-finite values', () => {
  it('±∞ or NaN in rows of either thread’s half: the exact rerun, threads 2 = threads 1 bit for bit (NaN as NaN)', () => {
    // 40×40×16 → 16, 3×3 same: 20 tile rows, two parts of 10; the worker computes the second
    const model = right(sequential([layer('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same', activation: 'relu' })], { input_shape: [40, 40, 16] }))
    const one = right(compileModel(model, { threads: 1 }))
    const two = right(compileModel(model, { threads: 2, split: 'always' }))
    expect(one.plan?.steps[0]?.kernel).toBe('conv:wasm-winograd@arena')
    const params = one.init(3)
    const n = 40 * 40 * 16
    const base = floats(n, 7, 2, 0)
    const sameBits = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i] as number)))
    const before = threadStats.calls
    let nonFinite = 0
    // a value in row r, each kind in both halves, and a finite input; four rounds (a worker that wakes
    // late leaves its part to the calling thread: the later rounds find it spinning)
    const cases = [[1, Infinity], [37, Infinity], [8, -Infinity], [30, -Infinity], [20, NaN], [39, NaN], [-1, 0]] as const
    for (const [r, bad] of [...cases, ...cases, ...cases, ...cases]) {
      const x = Float32Array.from(base)
      if (r >= 0) x[(r * 40 + 17) * 16 + 5] = bad
      const input = [{ shape: [1, 40, 40, 16], data: x }]
      const want = (one.forward(params, input)[0] as Tensor).data as Float32Array
      const got = (two.forward(params, input)[0] as Tensor).data as Float32Array
      expect(sameBits(got, want), `${bad} in row ${r}`).toBe(true)
      if (want.some((v) => !Number.isFinite(v))) nonFinite++
      // what Winograd alone gives differs: NaN where Keras's direct sums give ±∞ (so a missed rerun shows)
      if (bad === Infinity) expect(want.some((v) => v === Infinity)).toBe(true)
    }
    expect(nonFinite).toBe(24)
    expect(threadStats.calls - before).toBeGreaterThanOrEqual(28)
  })
})
