/**
 * Kernel selection, options, weight caching, threads and disposal, by example. (Agreement of every
 * kernel with the reference is the property suite's: properties/kernels.prop.ts.)
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { KERNEL_NAMES } from '../../src/kernel/ConvKernel.js'
import { disposeThreads, holdWorkers, JOB_HEADER_BYTES, JOB_MAX_CHUNKS, JOB_MAX_PARTS, ThreadedModule, threadStats, THREADS_AVAILABLE } from '../../src/kernel/threads.js'
import { chunkStarts } from '../../src/kernel/wasm/runtime.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { Code, encodeModule, HAS_SIMD, I32 } from '../../src/kernel/wasm/encoder.js'
import { wasmScratch } from '../../src/kernel/prepare.js'
import { WeightCache } from '../../src/kernel/weightCache.js'
import type { CompiledConv2D, CompileOptions } from '../../src/conv/CompiledConv2D.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { left, right } from '../helpers.js'

const compile = (config: object, shape: ReadonlyArray<number>, options: CompileOptions = {}): CompiledConv2D =>
  right(compileConv2D(right(decodeConv2D(config)), shape, options))

const input = (shape: ReadonlyArray<number>, seed = 1): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1)
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)) }
}

afterAll(() => disposeThreads())

describe('kernel selection from the geometry', () => {
  const rows: ReadonlyArray<readonly [string, object, ReadonlyArray<number>, string, string]> = [
    ['stem (3 channels, 3×3 stride 2)', { filters: 32, kernel_size: 3, strides: 2, padding: 'same' }, [224, 224, 3], 'wasm-tiled', 'js-tiled'],
    ['3×3 stride 1 on 64 channels (Winograd)', { filters: 64, kernel_size: 3, padding: 'same' }, [56, 56, 64], 'wasm-winograd', 'js-winograd'],
    ['3×3 stride 1 channels_first (Winograd)', { filters: 64, kernel_size: 3, padding: 'same', data_format: 'channels_first' }, [32, 64, 64], 'wasm-winograd', 'js-winograd'],
    ['3×3 stride 1 on 3 channels (tiled: too few channels for Winograd)', { filters: 16, kernel_size: 3, padding: 'same' }, [32, 32, 3], 'wasm-tiled', 'js-tiled'],
    ['3×3 stride 1 on 4 channels (Winograd on wasm only)', { filters: 4, kernel_size: 3, padding: 'same' }, [32, 32, 4], 'wasm-winograd', 'js-tiled'],
    ['3×3 stride 1, 4 filters (Winograd on wasm only)', { filters: 4, kernel_size: 3, padding: 'same' }, [32, 32, 64], 'wasm-winograd', 'js-tiled'],
    ['3×3 stride 1, 1 channel, 4 filters (too few channel pairs for Winograd)', { filters: 4, kernel_size: 3, padding: 'same' }, [32, 32, 1], 'wasm-tiled', 'js-tiled'],
    ['3×3 dilated (not Winograd)', { filters: 32, kernel_size: 3, dilation_rate: 2, padding: 'same' }, [64, 64, 32], 'wasm-tiled', 'js-tiled'],
    ['MNIST 5×5 on 1 channel', { filters: 32, kernel_size: 5 }, [28, 28, 1], 'wasm-tiled', 'js-tiled'],
    ['1×1', { filters: 128, kernel_size: 1 }, [56, 56, 64], 'wasm-pointwise', 'js-pointwise'],
    ['1×1 stride 2 (not a GEMM over all pixels)', { filters: 8, kernel_size: 1, strides: 2 }, [8, 8, 4], 'wasm-tiled', 'js-tiled'],
    ['depthwise (groups = channels = filters)', { filters: 32, kernel_size: 3, groups: 32, padding: 'same' }, [28, 28, 32], 'wasm-depthwise', 'js-depthwise'],
    ['depthwise channels_first', { filters: 8, kernel_size: 3, groups: 8, data_format: 'channels_first' }, [8, 9, 9], 'wasm-depthwise', 'js-depthwise'],
    ['grouped (2 channels per group)', { filters: 8, kernel_size: 3, groups: 4 }, [9, 9, 8], 'wasm-tiled', 'js-tiled']
  ]
  it.each(rows)('%s', (_, config, shape, wasm, js) => {
    const auto = compile(config, shape)
    expect(auto.kernel).toBe(HAS_SIMD ? wasm : js)
    expect(auto.backend).toBe(HAS_SIMD ? 'wasm' : 'js')
    expect(compile(config, shape, { backend: 'js' }).kernel).toBe(js)
    expect(compile({ ...config, dtype: 'float64' }, shape).kernel).toBe(js)
  })

  it('a named kernel whose path does not cover the geometry runs its backend’s tiled kernel', () => {
    expect(compile({ filters: 4, kernel_size: 3 }, [6, 6, 2], { kernel: 'wasm-pointwise' }).kernel).toBe(HAS_SIMD ? 'wasm-tiled' : 'js-tiled')
    expect(compile({ filters: 4, kernel_size: 3 }, [6, 6, 2], { kernel: 'js-depthwise' }).kernel).toBe('js-tiled')
    expect(compile({ filters: 4, kernel_size: 3, groups: 2 }, [6, 6, 2], { kernel: 'js-im2col' }).kernel).toBe('js-tiled')
    expect(compile({ filters: 4, kernel_size: 3, strides: 2 }, [6, 6, 2], { kernel: 'wasm-winograd' }).kernel).toBe(HAS_SIMD ? 'wasm-tiled' : 'js-tiled')
    expect(compile({ filters: 4, kernel_size: 3, groups: 2 }, [6, 6, 2], { kernel: 'js-winograd' }).kernel).toBe('js-tiled')
    // a float64 layer asked for the wasm Winograd kernel runs its JS twin
    expect(compile({ filters: 4, kernel_size: 3, dtype: 'float64' }, [6, 6, 2], { kernel: 'wasm-winograd' }).kernel).toBe('js-winograd')
    for (const k of KERNEL_NAMES) expect(KERNEL_NAMES).toContain(compile({ filters: 2, kernel_size: 1 }, [2, 2, 2], { kernel: k }).kernel)
  })

  it('rejects unknown options with their paths', () => {
    const spec = right(decodeConv2D({ filters: 2, kernel_size: 1 }))
    const errors = left(compileConv2D(spec, [2, 2, 2], { kernel: 'fastest' as never, backend: 'gpu' as never, threads: 0 }))
    expect(errors.map((e) => e.path)).toEqual(['options.kernel', 'options.backend', 'options.threads'])
    expect(E.isRight(compileConv2D(spec, [2, 2, 2], { threads: 'auto' }))).toBe(true)
  })
})

describe('memory: scratch within output + packed weights + padded input (+ a fixed per-thread scratch)', () => {
  const geometry = (config: object, shape: ReadonlyArray<number>) => compile(config, shape, { backend: 'js' }).geometry
  it.each([
    ['resnet-like', { filters: 64, kernel_size: 3, padding: 'same' }, [56, 56, 64]],
    ['odd sizes, valid', { filters: 13, kernel_size: 3 }, [9, 11, 5]],
    ['channels_first', { filters: 8, kernel_size: 3, padding: 'same', data_format: 'channels_first' }, [16, 7, 13]],
    ['many channels (chunked)', { filters: 16, kernel_size: 3, padding: 'same' }, [6, 6, 1000]],
    ['large image', { filters: 8, kernel_size: 3, padding: 'same' }, [300, 300, 8]]
  ] as const)('Winograd (%s): per-thread scratch ≤ 4 groups × 34 KB (48 KB past 128 channels) + the finite lanes, padded input ≤ one more row and 7 more columns, weights 16/9 of the kernel', (_, config, shape) => {
    const g = geometry(config, shape)
    const w = wasmScratch('winograd', g, 2)
    const t = wasmScratch('tiled', g, 2)
    expect(w.perThread).toBeGreaterThan(0)
    // a batch of up to 4 groups of tiles: each its transformed tiles and products, plus a 16-byte table entry
    expect(w.perThread).toBeLessThanOrEqual(4 * ((g.inChannels <= 128 ? 34 : 48) * 1024 + 16) + 16)
    expect(t.perThread).toBe(0)
    expect(w.output).toBe(t.output)
    const tiledPadded = t.paddedInput / (2 * 4 * g.inChannels) // pixels per sample of the tiled kernel's padded input
    const Hp = g.outHeight + 2
    const Wp = g.outWidth + 2
    expect(tiledPadded).toBe(Hp * Wp)
    expect(w.paddedInput).toBeLessThanOrEqual(2 * 4 * g.inChannels * (Hp + 1) * (Wp + 7))
    const [kh, kw, C, F] = g.kernelShape
    expect(w.packedWeights).toBe(4 * Math.ceil(F / 8) * 8 * (1 + 16 * C))
    expect(w.packedWeights).toBeLessThanOrEqual(4 * (Math.ceil(F / 8) * 8) * (1 + (16 / 9) * kh * kw * C))
  })
})

describe('weights are packed once per params object', () => {
  it('the cache packs on first use, keyed on the kernel array, and repacks for another bias', () => {
    let packs = 0
    const cache = new WeightCache<number>(() => ++packs)
    const kernel = new Float32Array(4)
    const bias = new Float32Array(2)
    const p = { kernel, bias }
    expect(cache.get(p)).toBe(1)
    expect(cache.get(p)).toBe(1)
    expect(cache.get({ kernel, bias })).toBe(1) // another params object over the same arrays
    expect(cache.get({ kernel, bias: new Float32Array(2) })).toBe(2)
    expect(cache.get({ kernel: new Float32Array(4), bias })).toBe(3)
  })

  it.each(['js', 'wasm'] as const)('params are values (%s): never written, and a changed copy gives its own result', (backend) => {
    const layer = compile({ filters: 5, kernel_size: 3, padding: 'same' }, [7, 6, 3], { backend })
    const params = layer.init(7)
    const x = input([2, 7, 6, 3])
    const kernelBytes = Array.from(params.kernel.data)
    const y1 = Array.from(layer.forward(params, x).data)
    expect(Array.from(layer.forward(params, x).data)).toEqual(y1)
    expect(Array.from(params.kernel.data)).toEqual(kernelBytes)
    const doubled = { ...params, kernel: { shape: params.kernel.shape, data: params.kernel.data.map((v) => 2 * v) } }
    const y2 = Array.from(layer.forward(doubled, x).data)
    const bias = Array.from(params.bias?.data ?? [])
    y2.forEach((v, i) => expect(v).toBeCloseTo(2 * (y1[i] as number) - (bias[i % 5] as number), 4))
    expect(Array.from(layer.forward(params, x).data)).toEqual(y1)
  })
})

describe('threads', () => {
  const config = { filters: 32, kernel_size: 3, padding: 'same' }
  const shape = [32, 32, 32] // 9.4 M multiply-adds: split
  it('a large call splits over 2 threads and gives the 1-thread result bit for bit; small calls stay on one', () => {
    const one = compile(config, shape, { threads: 1 })
    const two = compile(config, shape, { threads: 2 })
    expect(one.threads).toBe(1)
    expect(two.threads).toBe(THREADS_AVAILABLE && HAS_SIMD ? 2 : 1)
    const params = one.init(1)
    const x = input([1, ...shape])
    const before = threadStats.calls
    const y2 = two.forward(params, x)
    if (two.threads === 2) expect(threadStats.calls).toBeGreaterThan(before)
    expect(Array.from(y2.data)).toEqual(Array.from(one.forward(params, x).data))
    const small = compile({ filters: 4, kernel_size: 3 }, [8, 8, 4], { threads: 2 })
    const calls = threadStats.calls
    small.forward(small.init(1), input([1, 8, 8, 4]))
    expect(threadStats.calls).toBe(calls)
    two.dispose()
    // disposed layers keep working (they re-acquire memory and workers)
    expect(Array.from(two.forward(params, x).data)).toEqual(Array.from(y2.data))
    two.dispose()
    one.dispose()
  })

  it.runIf(THREADS_AVAILABLE && HAS_SIMD)('a call kept on one thread runs on plain memory, as threads: 1 does (V8 copies into and out of shared memory ~2-3× slower)', () => {
    const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { shared?: boolean }) => unknown } }).WebAssembly
    const Original = api.Memory
    const shared: boolean[] = []
    api.Memory = function (d: { shared?: boolean }) {
      shared.push(d.shared === true)
      return new Original(d)
    } as unknown as typeof Original
    let got: ArrayLike<number>
    let want: ArrayLike<number>
    try {
      // below the threshold: every call stays on one thread
      const small = compile({ filters: 4, kernel_size: 3 }, [8, 8, 4], { threads: 2 })
      const one = compile({ filters: 4, kernel_size: 3 }, [8, 8, 4], { threads: 1 })
      const params = one.init(1)
      const x = input([2, 8, 8, 4])
      got = small.forward(params, x).data
      want = one.forward(params, x).data
      small.dispose()
      one.dispose()
    } finally {
      api.Memory = Original
    }
    expect(shared.length).toBeGreaterThan(0)
    expect(shared.filter((s) => s)).toEqual([])
    expect(Array.from(got)).toEqual(Array.from(want))
  })

  it.each([
    [28, 1, 2, 1],
    [3136, 4, 2, 1],
    [256, 1, 4, 1],
    [5, 1, 2, 1],
    [7, 1, 8, 1],
    [1_000_000, 1, 2, 1],
    // a floor (Winograd's batch of groups with big weights): 14 tile rows, batches of 8 rows
    [14, 1, 2, 8],
    [56, 1, 2, 8],
    [3136, 4, 2, 10]
  ] as const)('%i work units (multiples of %i) over %i threads, chunks of at least %i: a part per thread, each in guided chunks, large first, down to the smallest', (units, align, threads, minUnits) => {
    const starts = chunkStarts(units, align, threads, minUnits)
    expect(starts[0]).toBe(0)
    expect(starts[starts.length - 1]).toBe(units)
    expect(starts.length - 1).toBeLessThanOrEqual(JOB_MAX_CHUNKS)
    const parts = Math.min(threads, JOB_MAX_PARTS)
    const min = Math.max(align, Math.ceil(units / (JOB_MAX_CHUNKS - parts) / align) * align, Math.ceil(minUnits / align) * align)
    // part p is [ceil(p/parts of the units) in whole aligns, the next part's start): each begins at a chunk start
    const bounds = Array.from({ length: parts + 1 }, (_, p) => (p === parts ? units : Math.min(units, Math.ceil((p * units) / parts / align) * align)))
    for (const b of bounds) expect(starts).toContain(b)
    for (let p = 0; p < parts; p++) {
      const lo = bounds[p] as number
      const hi = bounds[p + 1] as number
      const inPart = starts.filter((u) => u >= lo && u <= hi)
      const sizes = inPart.slice(1).map((u, j) => u - (inPart[j] as number))
      sizes.forEach((n, j) => {
        if (inPart[j + 1] !== units) expect(n % align).toBe(0)
        expect(n).toBeGreaterThan(0)
        if (j > 0) expect(n).toBeLessThanOrEqual(sizes[j - 1] as number)
        // each a 1/(2·threads) share of what is left of the part, rounded up to whole `align`s, at least `min`
        const left = hi - (inPart[j] as number)
        expect(n).toBe(Math.min(left, Math.max(min, Math.ceil(left / (2 * threads) / align) * align)))
        // only a part's last chunk is below the floor
        if (inPart[j + 1] !== hi) expect(n).toBeGreaterThanOrEqual(minUnits)
      })
    }
  })

  it('each thread computes its own part of the units first (the same rows step after step), then helps with the others', () => {
    const wasm = wasmApi
    if (!THREADS_AVAILABLE || wasm === undefined) return
    // run(x, w, o, u0, u1, s): for each unit of [u0, u1), spins a while, then writes the byte s (the
    // thread's scratch: 0 on the calling thread, 1 on the worker) into its 4 bytes at o
    const c = new Code([I32, I32, I32, I32, I32, I32])
    const u = c.local(I32)
    const k = c.local(I32)
    c.get(3).set(u).block().loop()
    c.get(u).get(4).i32GeS().brIf(1)
    c.i32(20_000).set(k).loop()
    c.get(k).i32(1).i32Sub().tee(k).brIf(0)
    c.end()
    c.get(2).get(u).i32(4).i32Mul().i32Add().get(5).i32(4).memoryFill()
    c.get(u).i32(1).i32Add().set(u).br(0)
    c.end().end()
    const module = new wasm.Module(encodeModule([{ name: 'run', code: c }], { shared: true, initialPages: 1, maxPages: 2 }))
    const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true })
    const run = new wasm.Instance(module, { env: { memory } }).exports['run'] as (...a: number[]) => void
    const threaded = new ThreadedModule(module, memory, 1)
    const units = 40
    const starts = chunkStarts(units, 1, 2)
    const half = starts.indexOf(units / 2)
    expect(half).toBeGreaterThan(2)
    const o = JOB_HEADER_BYTES
    const heap = new Uint8Array(memory.buffer)
    // jobs in which both threads computed units (on a loaded machine one thread may get no core for a
    // while: the other then computes everything, correctly, and the job tells nothing about parts)
    let shared = 0
    let owned = 0
    for (let job = 0; job < 200 && shared < 10; job++) {
      heap.fill(255, o, o + units * 4)
      threaded.runJob(
        { x: 0, w: 0, o, stage: 0, pads: 0, padChunk: 1, padUnits: 0, starts, scratch: 0, scratchBytes: 1 },
        { copyIn: () => undefined, pad: () => undefined, run: (u0, u1) => run(0, 0, o, u0, u1, 0), copyOut: () => undefined }
      )
      const by = Array.from({ length: units }, (_, i) => heap[o + 4 * i])
      expect(by.every((t) => t === 0 || t === 1)).toBe(true)
      if (!by.includes(0) || !by.includes(1)) continue
      shared++
      // the caller's first three chunks and the worker's first two, each from where its part begins
      if (by.slice(0, starts[3]).every((t) => t === 0) && by.slice(units / 2, starts[half + 2]).every((t) => t === 1)) owned++
    }
    threaded.dispose()
    expect(shared).toBeGreaterThanOrEqual(3)
    // one shared counter hands the worker the chunks after the caller's first, in order, whenever both run at once
    expect(owned).toBeGreaterThanOrEqual(Math.ceil(shared / 2))
  })

  it.each([1, 3])('a job of JOB_MAX_CHUNKS chunks over %i worker(s): every unit computed exactly once, its part\'s done flags and claim counters apart from the others\'', (helpers) => {
    const wasm = wasmApi
    if (!THREADS_AVAILABLE || wasm === undefined) return
    // run(x, w, o, u0, u1, s): for each unit of [u0, u1), adds 1 to its i32 at o and stores the thread's
    // scratch s (0: the calling thread, k: worker k) in its i32 at o + 4 · units: a unit computed twice
    // or never counts other than 1
    const units = JOB_MAX_CHUNKS
    const c = new Code([I32, I32, I32, I32, I32, I32])
    const u = c.local(I32)
    c.get(3).set(u).block().loop()
    c.get(u).get(4).i32GeS().brIf(1)
    c.get(2).get(u).i32(4).i32Mul().i32Add()
    c.get(2).get(u).i32(4).i32Mul().i32Add().i32Load(0).i32(1).i32Add().i32Store(0)
    c.get(2).get(u).i32(4).i32Mul().i32Add().i32(units * 4).i32Add().get(5).i32Store(0)
    c.get(u).i32(1).i32Add().set(u).br(0)
    c.end().end()
    const module = new wasm.Module(encodeModule([{ name: 'run', code: c }], { shared: true, initialPages: 1, maxPages: 2 }))
    const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true })
    const run = new wasm.Instance(module, { env: { memory } }).exports['run'] as (...a: number[]) => void
    const threaded = new ThreadedModule(module, memory, helpers)
    const o = JOB_HEADER_BYTES
    const counts = new Int32Array(memory.buffer, o, units)
    const by = new Int32Array(memory.buffer, o + units * 4, units)
    const starts = Array.from({ length: units + 1 }, (_, j) => j)
    const threadsSeen = new Set<number>()
    for (const copiesOut of [true, false, true, false]) {
      counts.fill(0)
      by.fill(255)
      const copied: number[] = []
      threaded.runJob(
        { x: 0, w: 0, o, stage: 0, pads: 0, padChunk: 1, padUnits: 0, starts, scratch: 0, scratchBytes: 1 },
        {
          copyIn: () => undefined,
          pad: () => undefined,
          run: (u0, u1) => run(0, 0, o, u0, u1, 0),
          copyOut: (u0, u1) => {
            for (let k = u0; k < u1; k++) copied.push(k)
          },
          copiesOut
        }
      )
      expect(Array.from(counts).every((n) => n === 1)).toBe(true)
      expect(Array.from(by).every((t) => t <= helpers)).toBe(true)
      for (const t of by) threadsSeen.add(t)
      // copied out once each when the steps copy (when they say they do not, copyOut is theirs to ignore)
      if (copiesOut) expect(copied.sort((a, b) => a - b)).toEqual(starts.slice(0, units))
    }
    threaded.dispose()
    expect(threadsSeen.has(0)).toBe(true)
  })

  it('a worker asleep (idle past its spin) is woken by the next job and takes its part', () => {
    const wasm = wasmApi
    if (!THREADS_AVAILABLE || wasm === undefined) return
    // run(x, w, o, u0, u1, s): stores the thread's scratch s in each unit's i32
    const c = new Code([I32, I32, I32, I32, I32, I32])
    const u = c.local(I32)
    c.get(3).set(u).block().loop()
    c.get(u).get(4).i32GeS().brIf(1)
    c.get(2).get(u).i32(4).i32Mul().i32Add().get(5).i32Store(0)
    c.get(u).i32(1).i32Add().set(u).br(0)
    c.end().end()
    const module = new wasm.Module(encodeModule([{ name: 'run', code: c }], { shared: true, initialPages: 1, maxPages: 2 }))
    const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true })
    const run = new wasm.Instance(module, { env: { memory } }).exports['run'] as (...a: number[]) => void
    const threaded = new ThreadedModule(module, memory, 1)
    const units = 16
    const o = JOB_HEADER_BYTES
    const by = new Int32Array(memory.buffer, o, units)
    const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
    let joined = 0
    for (let job = 0; job < 4; job++) {
      // idle for 20 ms: the worker stops spinning after 0.3 ms and sleeps until a command wakes it
      pause(20)
      by.fill(255)
      let first = true
      threaded.runJob(
        { x: 0, w: 0, o, stage: 0, pads: 0, padChunk: 1, padUnits: 0, starts: Array.from({ length: units + 1 }, (_, j) => j), scratch: 0, scratchBytes: 1 },
        {
          copyIn: () => undefined,
          pad: () => undefined,
          run: (u0, u1) => {
            // the calling thread's first chunk takes 100 ms: time for the woken worker to take the rest
            if (first) pause(100)
            first = false
            run(0, 0, o, u0, u1, 0)
          },
          copyOut: () => undefined,
          copiesOut: false
        }
      )
      expect(Array.from(by).every((t) => t === 0 || t === 1)).toBe(true)
      if (by.includes(1)) joined++
    }
    threaded.dispose()
    // a command posted to a sleeping worker wakes it (a lost wake-up would leave it asleep for good:
    // the calling thread would compute every unit, then block on its next command)
    expect(joined).toBeGreaterThanOrEqual(3)
  })

  it("a job's output is copied out exactly once, each run of chunks the workers finished in one piece", () => {
    const wasm = wasmApi
    if (!THREADS_AVAILABLE || wasm === undefined) return
    // run(x, w, o, u0, u1, s): byte u + 1 into the 4 bytes of each unit u of [u0, u1) at o
    const c = new Code([I32, I32, I32, I32, I32, I32])
    const u = c.local(I32)
    c.get(3).set(u).block().loop()
    c.get(u).get(4).i32GeS().brIf(1)
    c.get(2).get(u).i32(4).i32Mul().i32Add().get(u).i32(1).i32Add().i32(4).memoryFill()
    c.get(u).i32(1).i32Add().set(u).br(0)
    c.end().end()
    const module = new wasm.Module(encodeModule([{ name: 'run', code: c }], { shared: true, initialPages: 1, maxPages: 2 }))
    const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true })
    const run = new wasm.Instance(module, { env: { memory } }).exports['run'] as (...a: number[]) => void
    const threaded = new ThreadedModule(module, memory, 1)
    const units = 40
    const o = JOB_HEADER_BYTES
    const heap = new Uint8Array(memory.buffer)
    const out = new Uint8Array(units * 4)
    const pieces: Array<readonly [number, number]> = []
    let first = true
    threaded.runJob(
      { x: 0, w: 0, o, stage: 0, pads: 0, padChunk: 1, padUnits: 0, starts: Array.from({ length: units + 1 }, (_, j) => j), scratch: 0, scratchBytes: 0 },
      {
        copyIn: () => undefined,
        pad: () => undefined,
        run: (u0, u1) => {
          // the calling thread's first chunk takes long: the worker computes the others meanwhile
          if (first) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200)
          first = false
          run(0, 0, o, u0, u1, 0)
        },
        copyOut: (u0, u1) => {
          pieces.push([u0, u1])
          out.set(heap.subarray(o + u0 * 4, o + u1 * 4), u0 * 4)
        }
      }
    )
    threaded.dispose()
    expect(Array.from(out)).toEqual(Array.from(out, (_, i) => Math.floor(i / 4) + 1))
    // the pieces tile the units, each copied once
    const sorted = [...pieces].sort((a, b) => a[0] - b[0])
    expect(sorted.every(([u0, u1], k) => u0 < u1 && u0 === (k === 0 ? 0 : sorted[k - 1]?.[1]))).toBe(true)
    expect(sorted[sorted.length - 1]?.[1]).toBe(units)
    expect(pieces.length).toBeLessThan(units)
  })

  it.skipIf(!THREADS_AVAILABLE || !HAS_SIMD)('a worker still on its previous command is not waited for: the call starts on this thread and hands the rest over, or runs alone; the 1-thread result bit for bit', () => {
    // 'same' padding (padded in wasm by the job's pad items) and 'valid'; one call ~5-20 ms on one thread
    for (const padding of ['same', 'valid']) {
      const cfg = { filters: 64, kernel_size: 3, padding }
      const one = compile(cfg, [64, 64, 48], { threads: 1 })
      const two = compile(cfg, [64, 64, 48], { threads: 2 })
      const params = one.init(3)
      const x = input([1, 64, 64, 48], 5)
      const want = Array.from(one.forward(params, x).data)
      expect(Array.from(two.forward(params, x).data)).toEqual(want) // workers started, module registered
      // held for 0.3 ms (less than the call's first chunk): the call starts alone and hands over — on a
      // loaded machine the held worker may not run for the whole call (the call runs alone), or may be
      // done before the call starts (not late), so up to twenty tries for one hand-over
      const late = threadStats.late
      let handedOver = 0
      for (let attempt = 0; attempt < 20 && handedOver === 0; attempt++) {
        const before = { late: threadStats.late, alone: threadStats.alone }
        holdWorkers(1, 300)
        expect(Array.from(two.forward(params, x).data), padding).toEqual(want)
        expect(threadStats.late - before.late).toBeLessThanOrEqual(1)
        if (threadStats.late === before.late + 1 && threadStats.alone === before.alone) handedOver++
      }
      expect(handedOver, padding).toBe(1)
      const alone = threadStats.alone
      const lateNow = threadStats.late
      // held for longer than the call: it runs on this thread alone
      holdWorkers(1, 400_000)
      expect(Array.from(two.forward(params, x).data), padding).toEqual(want)
      expect(threadStats.late).toBe(lateNow + 1)
      expect(threadStats.late).toBeGreaterThan(late)
      expect(threadStats.alone).toBe(alone + 1)
      // the next call waits for nothing it needs: the worker rejoins once free
      expect(Array.from(two.forward(params, x).data), padding).toEqual(want)
      two.dispose()
      one.dispose()
    }
  })

  it('worker threads never keep the process alive (no dispose needed)', () => {
    const script = fileURLToPath(new URL('./fixtures/threaded-exit.ts', import.meta.url))
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 })
    expect(r.error).toBeUndefined()
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; split: number }
    if (THREADS_AVAILABLE && HAS_SIMD) {
      expect(out.threads).toBe(2)
      expect(out.split).toBeGreaterThan(0)
    }
  })
})

describe('relaxed SIMD', () => {
  it('is used only where WebAssembly.validate accepts it, and its FMA code agrees with the reference', () => {
    const script = fileURLToPath(new URL('./fixtures/relaxed-simd.ts', import.meta.url))
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 })
    if (r.status !== 0 && /bad option/.test(r.stderr)) return // a Node whose V8 dropped the flag (relaxed SIMD on by default)
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { relaxed: boolean; worst: number; kernels: string[] }
    expect(out.worst).toBeLessThan(1e-5)
    if (out.relaxed) expect(out.kernels).toEqual(['wasm-tiled', 'wasm-pointwise', 'wasm-depthwise', 'wasm-winograd', 'wasm-winograd'])
  })
})
