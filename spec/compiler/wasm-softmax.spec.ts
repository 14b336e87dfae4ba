/**
 * The generated softmax (src/compiler/kernels/wasm/opsSoftmax.ts) and the rest-stage runner that uses
 * it (restStages.ts): bit for bit the TypeScript reference (`applyActivation`'s softmax, whose
 * exponential is V8's `Math.exp`, fdlibm's), including ±0, ±∞, NaN, subnormal results and the
 * argument-reduction branch edges; rows split over the worker pool give the same bits.
 */
import { describe, expect, it } from 'vitest'
import { restStages, wasmSoftmaxRows } from '../../src/compiler/kernels/restStages.js'
import { SOFTMAX_KEPT_FLOATS, softmaxCode } from '../../src/compiler/kernels/wasm/opsSoftmax.js'
import type { Stage } from '../../src/compiler/Graph.js'
import type { KernelChoice } from '../../src/compiler/StepKernel.js'
import { THREADS_AVAILABLE, threadStats } from '../../src/kernel/threads.js'
import { encodeModule, HAS_SHARED_MEMORY, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { wasmApi, type WasmMemory } from '../../src/kernel/wasm/api.js'
import { applyActivation } from '../../src/numerics/activations.js'
import { firstBitDifference, floats, newMemory } from './opsHarness.js'

/** Scales cycling along the data: ordinary logits, wide spreads (zero and subnormal exponentials), tiny differences. */
const SCALES = [2, 15, 400, 2.5e-7]

/** Rows of logits: opsHarness's floats (specials 0.4 %), scaled by SCALES in turn. */
const logits = (count: number, seed: number): Float32Array => floats(count, seed, 1, 0.004).map((v, i) => v * (SCALES[i % SCALES.length] as number))

const reference = (x: Float32Array, n: number): Float32Array => {
  const want = Float32Array.from(x)
  applyActivation('softmax', 'keras3', want, n)
  return want
}

type Run = (o: number, x: number, u0: number, u1: number) => void

const api = wasmApi as NonNullable<typeof wasmApi>

const instantiate = (n: number, memory: WasmMemory): Run => {
  const bytes = encodeModule([{ name: 'run', code: softmaxCode(n) }], { shared: false, initialPages: 1, maxPages: 65536 })
  return new api.Instance(new api.Module(bytes), { env: { memory } }).exports['run'] as Run
}

describe.runIf(HAS_SIMD && wasmApi !== undefined)('softmaxCode: fdlibm exp in float64 lanes, bit for bit the TypeScript softmax', () => {
  it('rows of 1 to 40 floats (kept exponentials to 16, recomputed above), out of place and in place, with specials', () => {
    for (let n = 1; n <= 40; n++) {
      const rows = Math.max(3, Math.floor(6000 / n))
      const x = logits(rows * n, n)
      const want = reference(x, n)
      const memory = new api.Memory({ initial: 4, maximum: 65536 })
      const run = instantiate(n, memory)
      const heap = new Float32Array(memory.buffer)
      const at = 16
      const out = at + x.length + 16
      heap.fill(NaN)
      heap.set(x, at)
      run(out * 4, at * 4, 0, rows)
      expect(firstBitDifference(heap.subarray(out, out + x.length), want), `n ${n}`).toBe(-1)
      expect(Number.isNaN(heap[out + x.length] as number), 'nothing written past the last row').toBe(true)
      // in place, in two ranges run last first (as threads may)
      heap.set(x, at)
      const mid = Math.floor(rows / 3)
      run(at * 4, at * 4, mid, rows)
      run(at * 4, at * 4, 0, mid)
      expect(firstBitDifference(heap.subarray(at, at + x.length), want), `n ${n} in place`).toBe(-1)
    }
  })

  it('the exponential\'s branches: a row sweeping x − max over the reduction edges, the thresholds and the tiny range', () => {
    const edges = [0, -1e-9, -3.7252902984e-9, -0.34657359, -0.3465736, -1.03972077, -1.0397208, -1.5, -2, -20, -87.3, -103.9, -708.39, -708.4, -709.78, -744, -745.13, -745.14, -800]
    const n = 2
    const xs: number[] = []
    for (const e of edges) for (const d of [-1e-6, 0, 1e-6]) xs.push(0, Math.fround(e + d))
    const x = Float32Array.from(xs)
    const memory = new api.Memory({ initial: 1, maximum: 65536 })
    const heap = new Float32Array(memory.buffer)
    heap.set(x, 0)
    instantiate(n, memory)(0, 0, 0, x.length / n)
    expect(firstBitDifference(heap.subarray(0, x.length), reference(x, n))).toBe(-1)
  })

  it('wasmSoftmaxRows: rows of 2 to SOFTMAX_KEPT_FLOATS take the kernel', () => {
    expect([1, 2, 8, SOFTMAX_KEPT_FLOATS, SOFTMAX_KEPT_FLOATS + 1].map(wasmSoftmaxRows)).toEqual([false, true, true, true, false])
  })
})

describe.runIf(HAS_SIMD && wasmApi !== undefined)('restStages: a softmax stage on the generated kernel, the others in TypeScript', () => {
  const softmax: Stage = { kind: 'unary', fn: { kind: 'activation', name: 'softmax', dialect: 'keras3' } }
  const relu: Stage = { kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: Infinity } }
  const add: Stage = { kind: 'add', value: 0 }

  const check = (threads: number, stages: ReadonlyArray<Stage>, n: number, rows: number): void => {
    const shared = threads > 1
    const memory = newMemory(4, shared)
    const choice: KernelChoice = { dtype: 'float32', backend: 'wasm', threads, memory: () => memory }
    const run = restStages(stages, n, memory, choice, { parallelMinFloats: 0 })
    const count = rows * n
    const x = logits(count, 7 * n + threads)
    const operand = logits(count, 11 * n)
    const heap = new Float32Array(memory.buffer)
    const out = 32
    const op = out + count + 32
    heap.set(x, out)
    heap.set(operand, op)
    run(heap, out, count, [op], 0)
    const want = Float32Array.from(x)
    for (const s of stages) {
      if (s.kind === 'add') for (let i = 0; i < count; i++) want[i] = (want[i] as number) + (operand[i] as number)
      else if (s === relu) for (let i = 0; i < count; i++) want[i] = (want[i] as number) < 0 ? 0 : (want[i] as number)
      else applyActivation('softmax', 'keras3', want, n)
    }
    expect(firstBitDifference(heap.subarray(out, out + count), want), `${threads} threads, n ${n}`).toBe(-1)
  }

  it('softmax, then an add and a softmax again; rows of 8 and 3 (and 40: TypeScript)', () => {
    for (const n of [8, 3, 40]) check(1, [softmax, add, softmax], n, 257)
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('on a shared arena the rows split over the worker pool, bit for bit one thread', () => {
    const before = threadStats.calls
    for (const n of [8, 5]) check(2, [softmax], n, 1000)
    expect(threadStats.calls).toBeGreaterThan(before)
  })

  it('without a softmax stage (or rows the kernel does not take) it is applyRestStages', () => {
    check(1, [relu], 8, 10)
  })
})
