/**
 * Running a generated module (which writes its output in the layer's data format): one
 * `WebAssembly.Memory` per prepared kernel, laid out as
 *
 *   [ job header | packed weights: one slot per live params object | padded input (batch) |
 *     output (batch) | per-thread scratch (Winograd) ]
 *
 * Slots are taken on a params object's first call (packing once, cached on its kernel array) and
 * given back when that array is garbage-collected. The input and output regions follow the slots and
 * grow with the largest batch seen; every call rewrites them entirely. So the memory holds one packed
 * copy of the weights per live params object, one padded copy of the input and one output, plus a
 * fixed scratch per thread for kernels that need one (the Winograd kernel's transformed tiles and
 * products for a batch of 4 groups of tiles, at most 136 KB; 192 KB past 128 channels) and a 4 KB header.
 *
 * Calls of at least {@link THREAD_MIN_MACS} multiply-adds with `threads > 1` run as one job shared
 * with worker threads (the memory is then shared; the header holds the job's counters and flags):
 * see threads.ts.
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { KernelName, KernelParams, PreparedKernel } from '../ConvKernel.js'
import { copyInPadded, copyOut, type PaddedLayout } from '../layout.js'
import { adaptiveSplit, type SplitPolicy } from '../splitPolicy.js'
import { JOB_HEADER_BYTES, JOB_MAX_CHUNKS, JOB_MAX_PARTS, ThreadedModule, THREADS_AVAILABLE, type Job, type JobSteps } from '../threads.js'
import { WeightCache } from '../weightCache.js'
import { wasmApi as maybeWasm, type WasmInstance, type WasmMemory, type WasmModule } from './api.js'
import { encodeModule, type Code } from './encoder.js'
import { padCode, padUnits, stagedPadApplies } from './pad.js'

/** Below this many multiply-adds per call, a call stays on one thread (dispatch would cost more). */
export const THREAD_MIN_MACS = 4_000_000

const PAGE = 65536
/** Bytes before the weight slots: the job header of threaded calls. */
const HEADER = JOB_HEADER_BYTES
/** Bytes after the output that loads may touch (the depthwise kernel's partial channel blocks). */
const SLACK = 64
const MAX_PAGES = 65536

/** What a wasm kernel needs besides its code. */
export interface WasmProgram {
  readonly name: KernelName
  readonly code: Code
  readonly layout: PaddedLayout
  /** Floats of one params object's packing. */
  readonly packedFloats: number
  readonly pack: (params: KernelParams, dst: Float32Array, offset: number) => void
  /** Work units of a batch (output rows, tile rows, or output pixels), and the granularity a thread split respects. */
  readonly units: (batch: number) => number
  /** The first output row (of `batch · outHeight`) of unit `u`; `undefined` when units are output pixels. */
  readonly rowOfUnit: ((u: number) => number) | undefined
  readonly align: number
  /**
   * The fewest work units a split call's chunk holds (default 1; rounded up to `align`): Winograd's
   * batch of groups with big weights, so that a thread streams them once per batch (`winogradMinChunk`).
   */
  readonly minChunk?: number
  /** Scratch bytes each thread's `run` needs (its last argument points at them); 0 for none. */
  readonly scratchBytes: number
  readonly fusesActivation: boolean
  /**
   * The kernel that runs a call again when its output holds a value that is not finite (Winograd:
   * see kernel/finite.ts); `undefined` for kernels whose sums are Keras's already. A program with one
   * reports finiteness itself: `run` ORs `v · 0` of every value it stores into 4 float lanes at byte
   * `finiteLanes` of its thread's scratch (zeroed by the caller before a call; each lane ±0 while all
   * it saw was finite, NaN otherwise), so no pass over the output is needed — and with threads each
   * thread checks what it wrote, while it is still in its registers.
   */
  readonly exact?: { readonly kernel: () => PreparedKernel; readonly finiteLanes: number }
}

/** Zeroes the finite lanes of `threads` scratch regions `stride` bytes apart from byte `scratch`. */
const clearFiniteLanes = (heap: Float32Array, scratch: number, stride: number, threads: number, lanes: number): void => {
  for (let t = 0; t < threads; t++) heap.fill(0, (scratch + t * stride + lanes) / 4, (scratch + t * stride + lanes) / 4 + 4)
}

/** Whether the finite lanes of `threads` scratch regions are all ±0 (every value stored was finite). */
const finiteLanesClear = (heap: Float32Array, scratch: number, stride: number, threads: number, lanes: number): boolean => {
  for (let t = 0; t < threads; t++) {
    const at = (scratch + t * stride + lanes) / 4
    for (let k = 0; k < 4; k++) if (heap[at + k] !== 0) return false
  }
  return true
}

interface Slot {
  readonly index: number
  readonly generation: number
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16
/** Cache lines: each thread's scratch starts on one of its own (no line shared between threads' scratch). */
const align64 = (n: number): number => Math.ceil(n / 64) * 64

/**
 * The chunks a split call's `units` work units go in (chunk `j` is `[starts[j], starts[j + 1])`).
 * The units are first cut into one part per thread (at most JOB_MAX_PARTS), consecutive and of
 * equal size in whole `align`s: thread `t` computes part `t` (threads.ts), the same stretch of
 * units step after step, so that a step reads what the same core wrote in the step before. Each
 * part is chunked guided: each chunk takes a `1 / (2 · threads)` share of the part's units still
 * unclaimed, in multiples of `align` — large chunks first (fewer pieces to copy out, channels_first
 * especially), then smaller and smaller ones, down to one unit (`align`), so that a thread done with
 * its own part helps with another's in small pieces and the threads finish within a small chunk of
 * each other. At most {@link JOB_MAX_CHUNKS} in all. (Measured, 2 threads against 1, medians of 5-6
 * runs, one part: against 16 equal chunks per thread, each copied out as it came, pointwise-1x1
 * 1.06 → 1.45×, dilated-3x3 1.62 → 1.78×; against 16 equal chunks with finished runs copied in one
 * piece, cifar-batch 1.56 → 1.65×, channels-first 1.23 → 1.31×.) No chunk is smaller than
 * `minUnits` (rounded up to `align`) but a part's last.
 */
export const chunkStarts = (units: number, align: number, threads: number, minUnits = 1): number[] => {
  const parts = Math.max(1, Math.min(threads, JOB_MAX_PARTS))
  const min = Math.max(align, Math.ceil(units / (JOB_MAX_CHUNKS - parts) / align) * align, Math.ceil(minUnits / align) * align)
  const starts = [0]
  for (let p = 0; p < parts; p++) {
    const end = p === parts - 1 ? units : Math.min(units, Math.ceil(((p + 1) * units) / parts / align) * align)
    for (let u = starts[starts.length - 1] as number; u < end; ) {
      u = Math.min(end, u + Math.max(min, Math.ceil((end - u) / (2 * threads) / align) * align))
      starts.push(u)
    }
  }
  return starts
}

/**
 * A prepared wasm kernel. `fallback(batch)` gives the kernel to run a call too large for 32-bit
 * wasm memory (the JS twin).
 */
export const prepareWasm = (
  g: ConvGeometry,
  program: WasmProgram,
  threads: number,
  fallback: () => PreparedKernel,
  parallelMinMacs = THREAD_MIN_MACS,
  decide?: () => boolean
): PreparedKernel => {
  const L0 = program.layout
  const unpadded =
    L0.nchw === (g.dataFormat === 'channels_first') && L0.Hp === g.inHeight && L0.Wp === g.inWidth && g.padTop === 0 && g.padLeft === 0
  const staged = !unpadded && stagedPadApplies(g, program.layout)
  const functions = [{ name: 'run', code: program.code }, ...(staged ? [{ name: 'pad', code: padCode(g, program.layout) }] : [])]
  const bytes = encodeModule(functions, { shared: threads > 1, initialPages: 1, maxPages: MAX_PAGES })
  const wasm = maybeWasm
  if (wasm === undefined) return fallback()
  const module = new wasm.Module(bytes)
  const slotBytes = align16(program.packedFloats * 4)
  const sampleInBytes = program.layout.sampleSize * 4
  const sampleOutBytes = g.outputSize * 4
  const scratchStride = align64(program.scratchBytes)

  let memory: WasmMemory
  let instance: WasmInstance
  let run: (x: number, w: number, o: number, u0: number, u1: number, s: number) => void
  let pad: (stage: number, dst: number, unused: number, u0: number, u1: number) => void
  let threaded: ThreadedModule | undefined
  // the caller's decision per call (a model's forward), or this kernel's own from its calls' times
  const policy: Pick<SplitPolicy, 'split' | 'record'> = decide === undefined ? adaptiveSplit() : { split: () => decide(), record: () => undefined }
  let heap: Float32Array
  let generation = 0
  let slots = 0
  let free: number[] = []
  let capacity = 0 // batch the scratch regions hold
  let live = false

  const start = (): void => {
    memory = new wasm.Memory(threads > 1 ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1, maximum: MAX_PAGES })
    instance = new wasm.Instance(module, { env: { memory } })
    run = instance.exports['run'] as typeof run
    pad = instance.exports['pad'] as typeof pad
    threaded = threads > 1 ? new ThreadedModule(module, memory, threads - 1) : undefined
    heap = new Float32Array(memory.buffer)
    slots = 0
    free = []
    capacity = 0
    live = true
  }

  const ensureBytes = (n: number): boolean => {
    const have = memory.buffer.byteLength
    if (n > have) {
      const pages = Math.ceil((n - have) / PAGE)
      if (have / PAGE + pages > MAX_PAGES) return false
      memory.grow(pages)
    }
    if (heap.buffer !== memory.buffer || heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer)
    return true
  }

  const inputOffset = (): number => align16(HEADER + slots * slotBytes)

  const cache = new WeightCache<Slot>(
    (params, previous) => {
      let slot = previous !== undefined && previous.generation === generation ? previous : undefined
      if (slot === undefined) {
        const index = free.pop() ?? slots
        if (index === slots) {
          if (!ensureBytes(HEADER + (slots + 1) * slotBytes)) throw new RangeError('layerspec: packed weights do not fit in wasm memory')
          slots++
          capacity = 0 // the scratch regions move past the new slot
        }
        slot = { index, generation }
      }
      program.pack(params, heap, (HEADER + slot.index * slotBytes) / 4)
      return slot
    },
    (slot) => {
      if (slot.generation === generation) free.push(slot.index)
    }
  )

  let twin: PreparedKernel | undefined
  let exact: PreparedKernel | undefined

  /**
   * Runs the call again on the exact kernel when a value the call stored was not finite (`program.exact`
   * only: the finite lanes of the `n` threads' scratch from byte `s`, zeroed before the call).
   */
  const checkFinite = (params: KernelParams, batch: number, x: FloatArray, out: FloatArray, s: number, n: number): void => {
    const p = program.exact
    if (p === undefined || finiteLanesClear(heap, s, scratchStride, n, p.finiteLanes)) return
    exact ??= p.kernel()
    exact.run(params, batch, x, out)
  }

  /** Copies the output of work units `[u0, u1)` (already in the layer's format) into `out`. */
  const copyUnits = (h: Float32Array, offset: number, out: FloatArray, u0: number, u1: number): void => {
    const rowOf = program.rowOfUnit
    if (rowOf === undefined) {
      const F = g.outChannels
      out.set(h.subarray(offset + u0 * F, offset + u1 * F), u0 * F)
      return
    }
    copyRows(h, offset, out, rowOf(u0), rowOf(u1))
  }

  /** Copies output rows `[r0, r1)` of `batch · outHeight` (in the layer's format) into `out`. */
  const copyRows = (h: Float32Array, offset: number, out: FloatArray, u0: number, u1: number): void => {
    if (g.dataFormat === 'channels_first') {
      // rows of NCHW output: one run of columns per (row, channel); a chunk may span samples
      const OH = g.outHeight
      const OW = g.outWidth
      const F = g.outChannels
      const plane = OH * OW
      for (let r = u0; r < u1; ) {
        const n = Math.floor(r / OH)
        const i = r - n * OH
        const rows = Math.min(u1 - r, OH - i)
        for (let f = 0; f < F; f++) {
          const start = (n * F + f) * plane + i * OW
          out.set(h.subarray(offset + start, offset + start + rows * OW), start)
        }
        r += rows
      }
      return
    }
    const per = g.outWidth * g.outChannels
    out.set(h.subarray(offset + u0 * per, offset + u1 * per), u0 * per)
  }

  // with threads, a call that does not split runs on a one-thread twin on plain memory (built on first
  // need), the same program: V8 copies into and out of shared memory with relaxed atomics, ~2-3× slower
  // than memcpy (a 0.6 ms layer's 2.2 MB in and out: ~5 % of its time), so a call kept on one thread
  // costs what `threads: 1` costs
  let single: PreparedKernel | undefined

  const runWasm = (params: KernelParams, batch: number, x: FloatArray, out: FloatArray): void => {
    if (threads > 1) {
      const eligible = batch * g.macsPerSample >= parallelMinMacs && program.units(batch) >= 2 * program.align
      if (!eligible || !policy.split(batch)) {
        const t1 = eligible ? performance.now() : 0
        single ??= prepareWasm(g, program, 1, fallback, parallelMinMacs)
        single.run(params, batch, x, out)
        if (eligible) policy.record(batch, false, performance.now() - t1)
        return
      }
    }
    if (!live) start()
    const slot = cache.get(params)
    const inOff = inputOffset()
    const outOff = align16(inOff + batch * sampleInBytes)
    // each thread's scratch after the output (and the slack its loads may touch), on cache lines of its own
    const scratchOff = align64(outOff + batch * sampleOutBytes + SLACK)
    if (batch > capacity) {
      if (!ensureBytes(scratchOff + threads * scratchStride)) {
        twin ??= fallback()
        twin.run(params, batch, x, out)
        return
      }
      capacity = batch
    } else if (heap.buffer !== memory.buffer) {
      heap = new Float32Array(memory.buffer)
    }
    const wOff = HEADER + slot.index * slotBytes
    const units = program.units(batch)
    // (with threads, only a call that splits comes here)
    const eligible = threaded !== undefined
    const parallel = eligible
    const t0 = eligible ? performance.now() : 0
    /** The input into wasm memory: as it is, staged raw in the (still free) output region, or padded from JS. */
    const copyIn = (): void => {
      if (unpadded) heap.set(x, inOff / 4)
      else if (staged) heap.set(x, outOff / 4)
      else copyInPadded(g, program.layout, batch, x, heap, inOff / 4)
    }
    if (program.exact !== undefined) clearFiniteLanes(heap, scratchOff, scratchStride, parallel ? threads : 1, program.exact.finiteLanes)
    if (parallel && threaded !== undefined) {
      const starts = chunkStarts(units, program.align, threads, program.minChunk)
      const padRows = staged ? padUnits(program.layout, batch) : 0
      const padChunk = Math.max(1, Math.ceil(padRows / (threads * 4)))
      const h = heap
      threaded.runJob(
        {
          x: inOff,
          w: wOff,
          o: outOff,
          stage: outOff,
          pads: Math.ceil(padRows / padChunk),
          padChunk,
          padUnits: padRows,
          starts,
          scratch: scratchOff,
          scratchBytes: scratchStride
        },
        {
          copyIn,
          pad: (u0, u1) => pad(outOff, inOff, 0, u0, u1),
          run: (u0, u1) => run(inOff, wOff, outOff, u0, u1, scratchOff),
          copyOut: (u0, u1) => copyUnits(h, outOff / 4, out, u0, u1)
        }
      )
      policy.record(batch, true, performance.now() - t0)
      checkFinite(params, batch, x, out, scratchOff, threads)
      return
    }
    copyIn()
    if (staged) pad(outOff, inOff, 0, 0, padUnits(program.layout, batch))
    run(inOff, wOff, outOff, 0, units, scratchOff)
    copyOut(g, batch, heap, outOff / 4, out, true)
    if (eligible) policy.record(batch, false, performance.now() - t0)
    checkFinite(params, batch, x, out, scratchOff, 1)
  }

  return {
    name: program.name,
    backend: 'wasm',
    threads,
    fusesBias: true,
    fusesActivation: program.fusesActivation,
    run: runWasm,
    dispose: () => {
      single?.dispose()
      single = undefined
      if (!live) return
      threaded?.dispose()
      live = false
      generation++
      cache.clear()
      twin?.dispose()
      exact?.dispose()
    }
  }
}

// -------------------------------------------------------------------------------------
// on a given memory (the model compiler's arena)
// -------------------------------------------------------------------------------------

/**
 * A wasm program instantiated on a memory it does not own — the model compiler's arena
 * (src/compiler/kernels/wasm-conv.ts) — where the caller places everything (float offsets into the
 * memory, 16-float aligned): the packed weights (`program.pack` into the caller's slot), the input
 * and the output (the layer's format, dense: the programs write it so), and `scratchFloats(batch)`
 * floats of scratch:
 *
 *   [ padded input (batch) | slack (16) | each thread's scratch (Winograd: its finite lanes in it) ]
 *
 * The input is read where it lies when the program's layout is the input itself and `inPlace` says
 * its loads stay inside it; otherwise the padded input is built in the scratch: by the module's `pad`
 * (memory.copy / fill, reading the input where it lies) when the orders agree, else by
 * `copyInPadded` from JavaScript (a channels_first input into an NHWC layout). Nothing is copied out.
 *
 * Threads (`threading`, on a shared memory): a call of at least `parallelMinMacs` multiply-adds
 * (and two alignments of work units) runs as one job of threads.ts's pool on the memory itself — the
 * padding in chunks by every thread (the module's `pad`) or by the calling thread alone
 * (`copyInPadded`), then the work units in {@link chunkStarts}'s chunks claimed from the shared
 * counter, each thread with a scratch of its own; the job header is outside the memory (`header:
 * 'own'`), when `threading.split()` says so (the model decides per call, splitPolicy.ts). Nothing
 * is copied in or out; the split changes no arithmetic (bit for bit one thread).
 * @category kernels
 */
export interface WasmProgramOn {
  /** Whether `run` reads the input where it lies (no padded copy). */
  readonly readsInPlace: boolean
  /** Floats of scratch a call of `batch` samples needs. */
  readonly scratchFloats: (batch: number) => number
  /**
   * Computes `batch` samples: input at float `x`, packed weights at `w`, output at `o`, scratch at `s`
   * (−1 when `scratchFloats` is 0); `heap` is a current float view of the whole memory. Returns `false`
   * when the program has an exact twin (`program.exact`) and its output holds a value that is not
   * finite: the caller runs the call again exactly (the output is then to be overwritten).
   */
  readonly run: (heap: Float32Array, batch: number, x: number, w: number, o: number, s: number) => boolean
}

/**
 * Floats of padded input from which a split call on the arena pads in chunks claimed by every thread
 * (`pad` items, then a barrier); below, the calling thread pads it all before the workers start on
 * the chunks — a copy of a few µs, shorter than the pad phase's round trips between the cores.
 */
export const PAD_SPLIT_MIN_FLOATS = 32768

/** Floats of the slack after the padded input (what loads past it may touch). */
const ON_SLACK = SLACK / 4

const isSharedMemory = (m: WasmMemory): boolean => typeof SharedArrayBuffer !== 'undefined' && m.buffer instanceof SharedArrayBuffer

/**
 * `program` instantiated on `memory` (one thread: the arena is the caller's), or `undefined` when the
 * runtime has no WebAssembly or refuses the module. `inPlace`: the program's loads stay inside its
 * padded layout (so an unpadded input may be read where it lies, whatever follows it).
 * @category kernels
 */
export const wasmProgramOn = (
  g: ConvGeometry,
  program: WasmProgram,
  memory: WasmMemory,
  inPlace: boolean,
  threading?: {
    readonly threads: number
    readonly parallelMinMacs?: number
    /** Whether a call that may split does, asked at each call (the model's split policy; default: always). */
    readonly split?: () => boolean
    /** Floats of padded input from which a split call pads over the threads (default {@link PAD_SPLIT_MIN_FLOATS}). */
    readonly padSplitMinFloats?: number
  }
): WasmProgramOn | undefined => {
  const L = program.layout
  const unpadded =
    L.nchw === (g.dataFormat === 'channels_first') && L.Hp === g.inHeight && L.Wp === g.inWidth && g.padTop === 0 && g.padLeft === 0
  const readsInPlace = unpadded && inPlace
  // the module pads from the input where it lies when the orders agree (no staging: it is in memory already)
  const padsInWasm = !readsInPlace && L.nchw === (g.dataFormat === 'channels_first')
  const exact = program.exact
  const functions = [{ name: 'run', code: program.code }, ...(padsInWasm ? [{ name: 'pad', code: padCode(g, L) }] : [])]
  const wasm = maybeWasm
  if (wasm === undefined) return undefined
  let instance: WasmInstance
  let module: WasmModule
  const shared = isSharedMemory(memory)
  try {
    const bytes = encodeModule(functions, { shared, initialPages: 0, maxPages: MAX_PAGES })
    module = new wasm.Module(bytes)
    instance = new wasm.Instance(module, { env: { memory } })
  } catch {
    return undefined
  }
  const threads = shared && THREADS_AVAILABLE && threading !== undefined ? Math.max(1, Math.floor(threading.threads)) : 1
  const parallelMinMacs = threading?.parallelMinMacs ?? THREAD_MIN_MACS
  const padSplitMin = threading?.padSplitMinFloats ?? PAD_SPLIT_MIN_FLOATS
  // the workers' instances, on first need (a model whose calls all stay below the threshold starts none)
  let threaded: ThreadedModule | undefined
  const splitNow = threading?.split ?? ((): boolean => true)
  const run = instance.exports['run'] as (x: number, w: number, o: number, u0: number, u1: number, s: number) => void
  const pad = instance.exports['pad'] as (stage: number, dst: number, unused: number, u0: number, u1: number) => void
  const paddedFloats = (batch: number): number => (readsInPlace ? 0 : align16(batch * L.sampleSize + ON_SLACK))
  const threadFloats = align16(align64(program.scratchBytes) / 4)
  const units = program.units
  const parallel = (batch: number): boolean => threads > 1 && batch * g.macsPerSample >= parallelMinMacs && units(batch) >= 2 * program.align
  const scratchFloats = (batch: number): number => {
    const n = paddedFloats(batch) + threadFloats * (parallel(batch) ? threads : 1)
    // a program that reads in place and needs no scratch of its own takes none
    return n === 0 ? 0 : n + ON_SLACK
  }
  // a split call's job: its chunks per batch size, and the calling thread's part of it (reading the
  // call's offsets from `call`), made once — a model's forward runs dozens of jobs
  const jobShapes = new Map<number, Pick<Job, 'pads' | 'padChunk' | 'padUnits' | 'starts'>>()
  const call = { heap: new Float32Array(0) as Float32Array, batch: 0, x: 0, xp: 0, xAt: 0, w: 0, o: 0, sAt: 0, padAlone: false }
  const steps: JobSteps = {
    copyIn: () => {
      if (call.padAlone) pad(call.x * 4, call.xp * 4, 0, 0, padUnits(L, call.batch))
      else if (!readsInPlace && !padsInWasm) copyInPadded(g, L, call.batch, call.heap.subarray(call.x, call.x + call.batch * g.inputSize), call.heap, call.xp)
    },
    pad: (u0, u1) => pad(call.x * 4, call.xp * 4, 0, u0, u1),
    run: (u0, u1) => run(call.xAt * 4, call.w * 4, call.o * 4, u0, u1, call.sAt),
    copyOut: () => undefined,
    copiesOut: false
  }
  return {
    readsInPlace,
    scratchFloats,
    run: (heap, batch, x, w, o, s) => {
      const xp = s
      const ts = xp + paddedFloats(batch)
      const xAt = readsInPlace ? x : xp
      const sAt = threadFloats > 0 ? ts * 4 : 0
      const split = parallel(batch) && splitNow()
      if (exact !== undefined) clearFiniteLanes(heap, sAt, threadFloats * 4, split ? threads : 1, exact.finiteLanes)
      if (split) {
        threaded ??= new ThreadedModule(module, memory, threads - 1, { header: 'own', collect: true })
        let shape = jobShapes.get(batch)
        if (shape === undefined) {
          // a small padded input is padded by the calling thread alone, while the workers wake up
          const padRows = padsInWasm && padUnits(L, batch) * L.rowSize >= padSplitMin ? padUnits(L, batch) : 0
          const padChunk = Math.max(1, Math.ceil(padRows / (threads * 4)))
          shape = { pads: Math.ceil(padRows / padChunk), padChunk, padUnits: padRows, starts: chunkStarts(units(batch), program.align, threads, program.minChunk) }
          jobShapes.set(batch, shape)
        }
        call.heap = heap
        call.batch = batch
        call.x = x
        call.xp = xp
        call.xAt = xAt
        call.w = w
        call.o = o
        call.sAt = sAt
        call.padAlone = padsInWasm && shape.pads === 0
        threaded.runJob(
          { x: xAt * 4, w: w * 4, o: o * 4, stage: x * 4, pads: shape.pads, padChunk: shape.padChunk, padUnits: shape.padUnits, starts: shape.starts, scratch: sAt, scratchBytes: threadFloats * 4 },
          steps
        )
      } else {
        if (!readsInPlace) {
          if (padsInWasm) pad(x * 4, xp * 4, 0, 0, padUnits(L, batch))
          else copyInPadded(g, L, batch, heap.subarray(x, x + batch * g.inputSize), heap, xp)
        }
        run(xAt * 4, w * 4, o * 4, 0, units(batch), sAt)
      }
      return exact === undefined || finiteLanesClear(heap, sAt, threadFloats * 4, split ? threads : 1, exact.finiteLanes)
    }
  }
}
