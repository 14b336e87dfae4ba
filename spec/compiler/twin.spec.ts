/**
 * A model compiled with threads runs the forwards that do not split on a one-thread twin of itself on
 * plain memory (src/compiler/executor.ts `ForwardSplit.single`, made in compile.ts): the forwards the
 * policy keeps on one thread once it has chosen so, and every forward at a batch size whose first
 * split forward dispatched no job. First the routing, on an executor with a scripted policy and a
 * recording twin; then real models: the twin's memory is plain, no job is dispatched on it, and its
 * outputs are bit for bit those of `threads: 1`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Graph, ValueId } from '../../src/compiler/Graph.js'
import { makeExecutor, type Executor, type ForwardSplit } from '../../src/compiler/executor.js'
import type { Tensor } from '../../src/core/Tensor.js'
import type { SplitPolicy } from '../../src/kernel/splitPolicy.js'
import { THREADS_AVAILABLE, threadStats } from '../../src/kernel/threads.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { HAS_SHARED_MEMORY, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { layer, layers, sequential } from '../../src/model/builder.js'
import { compileModel } from '../../src/model/compileModel.js'
import { right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// routing, on a scripted policy
// -------------------------------------------------------------------------------------

/** A graph of no steps: its input is its output (the executor copies it in and out). */
const IDENTITY: Graph = {
  dtype: 'float32',
  values: [{ id: 0 as ValueId, shape: [3], size: 3 }],
  nodes: [],
  inputs: [0 as ValueId],
  outputs: [0 as ValueId],
  paramCount: 0
}

interface Script {
  /** The way of the next calls (a probe runs against the choice). */
  way: boolean
  chosen: boolean
  /** Whether a forward on the main executor dispatches a job (the jobs counter moves while it runs). */
  dispatching: boolean
}

const harness = (script: Script) => {
  const log: string[] = []
  let jobs = 0
  let inForward = false
  const policy: SplitPolicy = {
    split: () => {
      log.push('policy')
      inForward = true
      return script.way
    },
    measures: () => true,
    record: (_b, split, _ms, dispatched) => {
      inForward = false
      log.push(`record ${split ? 'split' : 'one'}${dispatched === false ? ' idle' : ''}`)
    },
    chosen: () => script.chosen
  }
  let twin: Executor | undefined
  const twinForward = (_p: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> => {
    log.push('twin')
    return [{ shape: [...(inputs[0] as Tensor).shape], data: Float32Array.from((inputs[0] as Tensor).data, (v) => -v) }]
  }
  const splitting: ForwardSplit = {
    policy,
    set: (on) => log.push(on ? 'main split' : 'main one'),
    // the counter moves on every read inside a dispatching forward
    jobs: () => (script.dispatching && inForward ? ++jobs : jobs),
    single: () => (twin ??= { forward: twinForward, planFor: () => { throw new Error('not used') }, packedFloats: 0, profile: () => [] }),
    hasSingle: () => twin !== undefined
  }
  const executor = makeExecutor({ graph: IDENTITY, kernels: [] }, undefined, splitting)
  const x: Tensor = { shape: [1, 3], data: Float32Array.of(1, 2, 3) }
  /** Runs a forward; the log of it and whether the twin answered (it negates). */
  const run = (): { readonly log: string; readonly twin: boolean } => {
    log.length = 0
    const y = executor.forward([], [x])
    return { log: log.join(', '), twin: (y[0] as Tensor).data[0] === -1 }
  }
  return { run }
}

describe('the one-thread twin: which forwards it runs', () => {
  it('a split forward runs on the shared executor', () => {
    const s: Script = { way: true, chosen: true, dispatching: true }
    const h = harness(s)
    expect(h.run()).toEqual({ log: 'policy, main split, record split', twin: false })
  })

  it('a probe of one thread before the policy has chosen one thread runs on the shared executor (no twin made)', () => {
    const s: Script = { way: true, chosen: true, dispatching: true }
    const h = harness(s)
    h.run()
    s.way = false
    expect(h.run()).toEqual({ log: 'policy, main one, record one', twin: false })
  })

  it('one thread chosen: its forwards run on the twin, measured for the policy; then the probes of one thread too, and split forwards stay on the shared executor', () => {
    const s: Script = { way: true, chosen: true, dispatching: true }
    const h = harness(s)
    h.run()
    s.way = false
    s.chosen = false
    expect(h.run()).toEqual({ log: 'policy, twin, record one idle', twin: true })
    // a probe of the split (chosen one thread)
    s.way = true
    expect(h.run()).toEqual({ log: 'policy, main split, record split', twin: false })
    // split chosen again, a probe of one thread: the twin exists, it runs there
    s.chosen = true
    s.way = false
    expect(h.run()).toEqual({ log: 'policy, twin, record one idle', twin: true })
  })

  it('a batch size whose first split forward dispatched nothing runs on the twin from then on, without asking the policy', () => {
    const s: Script = { way: true, chosen: true, dispatching: false }
    const h = harness(s)
    expect(h.run()).toEqual({ log: 'policy, main split, record split idle', twin: false })
    for (let i = 0; i < 3; i++) expect(h.run()).toEqual({ log: 'twin', twin: true })
  })

  it('a batch size whose first split forward dispatched a job is never locked to the twin by a later idle one (a step with its own policy kept one thread)', () => {
    const s: Script = { way: true, chosen: true, dispatching: true }
    const h = harness(s)
    h.run()
    s.dispatching = false
    expect(h.run()).toEqual({ log: 'policy, main split, record split idle', twin: false })
    expect(h.run()).toEqual({ log: 'policy, main split, record split idle', twin: false })
  })
})

// -------------------------------------------------------------------------------------
// real models
// -------------------------------------------------------------------------------------

const RUNS = HAS_SIMD && wasmApi !== undefined && THREADS_AVAILABLE && HAS_SHARED_MEMORY

/** Spies on WebAssembly.Memory: the memories made, shared or plain. */
const spyMemories = () => {
  const made: boolean[] = []
  const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => unknown } }).WebAssembly
  const Real = wasm.Memory
  const spy = vi.spyOn(wasm, 'Memory').mockImplementation(function (this: unknown, d: { initial: number; maximum?: number; shared?: boolean }) {
    made.push(d.shared === true)
    return new Real(d)
  } as never)
  return { made, restore: () => spy.mockRestore() }
}

const input = (shape: ReadonlyArray<number>, seed: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1)
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.37) * 2) }
}

describe.runIf(RUNS)('the one-thread twin of real models', () => {
  let restore: (() => void) | undefined
  afterEach(() => restore?.())

  it("a tiny model (no step reaches a threshold): after its first forward, forwards make a plain memory once, dispatch no job, and equal threads 1 bit for bit", () => {
    const model = right(
      sequential([layer('Conv2D', { filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' }), layers.flatten(), layer('Dense', { units: 3 })], { input_shape: [6, 6, 2] })
    )
    const one = right(compileModel(model, { threads: 1 }))
    const m = spyMemories()
    restore = m.restore
    const two = right(compileModel(model, { threads: 2 }))
    const params = one.init(3)
    for (const batch of [1, 4]) {
      const x = input([batch, 6, 6, 2], batch)
      const want = one.forward(params, [x])
      const madeBefore = m.made.length
      two.forward(params, [x])
      const jobs = threadStats.calls
      for (let i = 0; i < 5; i++) {
        const got = two.forward(params, [x])
        expect(Array.from((got[0] as Tensor).data)).toEqual(Array.from((want[0] as Tensor).data))
      }
      expect(threadStats.calls, 'no job dispatched').toBe(jobs)
      // the twin's memory: plain, made once (at the first batch size only)
      expect(m.made.slice(madeBefore)).toEqual(batch === 1 ? [false] : [])
    }
    expect(m.made[0], 'the threaded model itself is on shared memory').toBe(true)
  })

  it("split 'never': every forward runs on the twin (a plain memory), dispatches no job, = threads 1 bit for bit; split 'always' makes no twin", () => {
    const model = right(
      sequential([layer('Conv2D', { filters: 32, kernel_size: 3, padding: 'same', activation: 'relu' }), layer('Conv2D', { filters: 32, kernel_size: 3, padding: 'same' })], { input_shape: [32, 32, 16] })
    )
    const one = right(compileModel(model, { threads: 1 }))
    const params = one.init(9)
    const x = input([2, 32, 32, 16], 5)
    const want = Array.from((one.forward(params, [x])[0] as Tensor).data)
    for (const split of ['never', 'always'] as const) {
      const m = spyMemories()
      const two = compileModel(model, { threads: 2, split })
      expect(E.isRight(two)).toBe(true)
      const compiled = right(two)
      const jobs = threadStats.calls
      for (let i = 0; i < 3; i++) expect(Array.from((compiled.forward(params, [x])[0] as Tensor).data)).toEqual(want)
      m.restore()
      if (split === 'never') {
        expect(threadStats.calls, 'no job dispatched').toBe(jobs)
        expect(m.made).toEqual([true, false])
      } else {
        expect(threadStats.calls, 'jobs dispatched').toBeGreaterThan(jobs)
        expect(m.made).toEqual([true])
      }
    }
  })
})
