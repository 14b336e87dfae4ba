/**
 * Worker threads for the wasm kernels: a process-wide pool of `worker_threads` workers sharing a
 * generated module's `WasmMemory`. Calls stay synchronous: the calling thread posts a job through a
 * shared control block, takes part in it, then blocks until every chunk of it is done (a worker
 * that wakes too late to claim one acknowledges the job afterwards; its next command waits for that).
 *
 * A job is one call of a kernel, in one dispatch: the calling thread copies the input into wasm
 * memory (only it can read the caller's array) and flags it ready; every thread then claims items
 * — first the padding of the input in chunks (`pad`, when the kernel pads inside wasm), then the
 * computation in chunks of work units (`run`, bounds from a table in the job header, chosen by the
 * kernel: wasm/runtime.ts's `chunkStarts`; a chunk waits until all padding is done: the raw input is
 * staged in the output region, so no output may be written before every row is padded). Items go
 * in parts, one per thread, each part a stretch of consecutive units with a claim counter of its
 * own: a thread claims from its own part first, then from the others' (`JOB_MAX_PARTS`), so that
 * consecutive steps of a model give each thread the same rows and its input is in its own cache. The result array belongs to the caller and is not shared, so only the calling
 * thread can copy the output into it: after each chunk it computes, it copies that chunk and every
 * chunk the workers have finished (a done flag per chunk), each run of consecutive chunks in one
 * piece (a channels_first chunk is a piece of each channel's plane: a run means fewer, longer
 * copies). Claiming balances the load: the calling thread, busy copying, simply takes fewer
 * chunks (the workers then finish its part), and its copying (with the page faults of a fresh
 * result array) overlaps the workers' computing instead of following it.
 *
 * - Workers are `unref`'d: they never keep the process alive. `disposeThreads()` ends them; the pool
 *   also ends once no layer uses it.
 * - A worker spins briefly after a job before sleeping, so back-to-back calls skip the 40-60 µs
 *   wake-up of `Atomics.wait`/`notify`; it sleeps (burning nothing) otherwise.
 * - A job never waits for a worker still on its previous command: the calling thread starts on the
 *   chunks itself and hands the rest over once the worker is free (`threadStats.late` / `alone`).
 * - While a model's forward that splits runs, `keepWorkersAwake` keeps the workers spinning between
 *   its jobs (at most HOT_MAX_MS without one) instead of sleeping through its unsplit stretches.
 * - The two cores of the machines this runs on share no cache close by: a line one thread writes and
 *   the other then reads or writes moves between them in ~250 ns (bench:cores). So what each thread
 *   writes during a job is kept apart from what the other writes — each part's claim counters and
 *   done flags a `LINE` from the others', and a job on the model's arena (nothing to copy out:
 *   `JobSteps.copiesOut` false) reads the workers' flags only at its end — and `Atomics.notify`,
 *   which takes a process-wide lock in V8, is called only when a thread sleeps (`WAITING`,
 *   `SLEEPING`, `WAITER`). Measured, a chain of 12 DenseNet-sized 4 × 4 steps (1×1 32 → 128, 3×3
 *   128 → 32): the split steps 5-7 % faster, ~1 µs a job; models within the noise.
 * - Node only (`worker_threads`, loaded lazily); where it is missing, every call runs on the calling
 *   thread.
 */

import type { WasmMemory, WasmModule } from './wasm/api.js'

// control block layout (Int32Array over a SharedArrayBuffer, one per worker). SEQ, DONE and STATUS
// share the first cache line; the arguments start on another, so that the caller's writes of a
// command's arguments do not bounce the line a spinning worker reads SEQ from (one transfer, not 15)
const SEQ = 0 // bumped by the caller to post a command
const DONE = 1 // set to SEQ by the worker when the command is done
const STATUS = 2
const HOT = 3 // set by the caller while a model's forward runs (`keepWorkersAwake`): spin between jobs, do not sleep
// Set around a sleep: the worker's `Atomics.wait` for a command, the caller's for DONE. The other side
// notifies only then — V8's `Atomics.notify` takes a process-wide lock even when no one waits, and two
// threads taking it in turn move its line between the cores on every job. (Sequentially consistent:
// a side that reads 0 here stored its value before the sleeper's `Atomics.wait` compares it.)
const SLEEPING = 4
const WAITER = 5
const CMD = 16
const ID = 17
const ARGS = 18 // 9 i32 arguments of a job: x, w, o, stage, pads, padChunk, padUnits, chunks, scratch
const ARG_COUNT = 9
const CALL_N = 27 // a call job (`Job.call`): its argument count (0: the classic `run(x, w, o, u0, u1, s)`)
const CALL_AT = 28 // where u0, u1 go in the call's arguments
const THREAD = 29 // the worker's thread index in the job (the calling thread is 0)
const PARTS_N = 30 // the job's parts (see JOB_MAX_PARTS)
const CALL_ARGS = 32 // the call's arguments
/** Most arguments of a call job ({@link Job.call}). */
export const JOB_MAX_CALL_ARGS = 96
const CTRL_INTS = CALL_ARGS + JOB_MAX_CALL_ARGS

const CMD_JOB = 1
const CMD_REGISTER = 2
const CMD_UNREGISTER = 3
const CMD_EXIT = 4
const CMD_HOLD = 5

// job header at the start of the module's memory (i32 indices)
// i32 0 is unused (it held the one claim counter before jobs had parts)
const READY = 1 // 1 once the input is in wasm memory
const PADDED = 2 // pad items done
const ABORT = 3 // 1 once a thread failed: everyone stops
/**
 * Threads asleep in a timed wait on the header (counted around each `Atomics.wait`): a thread that
 * sets a flag notifies only when someone sleeps. V8's `Atomics.notify` takes a process-wide lock
 * even when no one waits, and two cores taking it in turn move its line between them per call.
 * A notify missed in the race (the waiter counted itself just after the check) costs at most one
 * timed wait (WAIT_MS): the value is rechecked when it ends.
 */
const WAITING = 4
const FLAGS = 16 // one done flag per compute chunk, each part's FLAG_GAP further on than the part before
/** Spins (a few µs) a job gives a worker to acknowledge its previous command before starting without it. */
const LATE_SPINS = 256
/** Longest a worker spins for the next job while a forward holds it awake (then it sleeps anyway). */
const HOT_MAX_MS = 20
/** Spins of a wait before it sleeps in timed waits of WAIT_MS. */
const SPINS = 4000
const WAIT_MS = 0.05

/** Bytes reserved at the start of a threaded module's memory for the job header. */
export const JOB_HEADER_BYTES = 4096
/**
 * The parts area at the end of the header: a job's chunks (and pad items) go in up to
 * JOB_MAX_PARTS parts of consecutive work units, part `p` owned by thread `p` (the calling thread
 * 0): each thread claims its own part's items first, then the others' (see `runJob`).
 */
/**
 * Ints between two cache lines' worth of a thread's own counters (128 bytes: a line and the one a
 * CPU's adjacent-line prefetcher pairs it with). A counter or flag that one thread writes while the
 * other reads or writes its neighbour moves the line between the cores on every write — on this
 * 2-core VM a round trip of ~500 ns (bench:cores) — so each part's claim counters and done flags
 * are kept a `LINE` apart from the others'.
 */
const LINE = 32
/** Ints between the last done flag of a part and the first of the next (see `flagAt`). */
const FLAG_GAP = LINE
/** Where each part's claim counters start: the last JOB_MAX_PARTS lines of the header. */
const CLAIMS = JOB_HEADER_BYTES / 4 - 4 * LINE
const PART_CLAIM = CLAIMS // + LINE · p: chunks of part p claimed so far
const PAD_CLAIM = CLAIMS + LINE / 2 // + LINE · p: pad items of part p claimed so far
/** The parts' ends, in a line of their own (written once a job, before the workers start). */
const PARTS = CLAIMS - LINE
const PART_END = PARTS // + p: the chunk index where part p ends
/** Compute chunks a job may have (a done flag and a first work unit each in the header). */
export const JOB_MAX_CHUNKS = Math.floor((PARTS - FLAGS - FLAG_GAP * 3 - 1) / 2)
/**
 * Parts a job's work units go in, one per thread up to this many: thread `t` owns part `t`, so that
 * step after step each thread computes the same stretch of units (the same rows of the tensors, in
 * the kernels' layouts) and finds its input in its own core's cache — the rows it wrote in the step
 * before — instead of fetching the other core's half.
 */
export const JOB_MAX_PARTS = 4
const STARTS = FLAGS + JOB_MAX_CHUNKS + FLAG_GAP * (JOB_MAX_PARTS - 1) // chunk j is work units [H[STARTS + j], H[STARTS + j + 1])

/** The worker's program (a CommonJS script, run with `eval`). */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const ctrl = new Int32Array(workerData.ctrl)
const port = workerData.port
const instances = new Map()
const entries = new Map()
const headers = new Map()
const callArgs = []
let seen = 0
// waits until ok(H[i]) (or an abort): spins first, then sleeps in short timed waits (woken by notify),
// so that a thread the OS has descheduled does not cost the waiter whole time slices of spinning
const nonZero = (v) => v !== 0
const until = (H, i, ok) => {
  for (let n = 0; ; n++) {
    const v = Atomics.load(H, i)
    if (ok(v) || Atomics.load(H, ${ABORT}) !== 0) return
    if (n > ${SPINS}) {
      Atomics.add(H, ${WAITING}, 1)
      Atomics.wait(H, i, v, ${WAIT_MS})
      Atomics.sub(H, ${WAITING}, 1)
    }
  }
}
const wake = (H, i) => {
  if (Atomics.load(H, ${WAITING}) !== 0) Atomics.notify(H, i)
}
for (;;) {
  if (Atomics.load(ctrl, ${SEQ}) === seen) {
    // spin up to 0.3 ms (up to ${HOT_MAX_MS} ms while the caller holds HOT: a forward between its
    // split steps), reading the clock every 1024 spins (each reading allocates a number, and a worker
    // that allocates while it spins collects garbage every few calls)
    const t0 = performance.now()
    for (let n = 1; Atomics.load(ctrl, ${SEQ}) === seen; n++) {
      if ((n & 1023) === 0 && performance.now() - t0 >= (Atomics.load(ctrl, ${HOT}) !== 0 ? ${HOT_MAX_MS} : ${0.3})) break
    }
    // asleep until a command, or a wake-up (keepWorkersAwake) that sends it back to spinning
    if (Atomics.load(ctrl, ${SEQ}) === seen) {
      Atomics.store(ctrl, ${SLEEPING}, 1)
      Atomics.wait(ctrl, ${SEQ}, seen)
      Atomics.store(ctrl, ${SLEEPING}, 0)
      continue
    }
  }
  seen = Atomics.load(ctrl, ${SEQ})
  const cmd = ctrl[${CMD}]
  let status = 0
  let H
  try {
    if (cmd === ${CMD_JOB}) {
      const id = ctrl[${ID}]
      const ex = instances.get(id).exports
      H = headers.get(id)
      const a = ${ARGS}
      const x = ctrl[a], w = ctrl[a + 1], o = ctrl[a + 2], stage = ctrl[a + 3], pads = ctrl[a + 4], padChunk = ctrl[a + 5]
      const padUnits = ctrl[a + 6], chunks = ctrl[a + 7], s = ctrl[a + 8]
      const callN = ctrl[${CALL_N}], callAt = ctrl[${CALL_AT}]
      const entry = callN > 0 ? entries.get(id) : undefined
      if (callN > 0) {
        callArgs.length = callN
        for (let i = 0; i < callN; i++) callArgs[i] = ctrl[${CALL_ARGS} + i]
      }
      const t = ctrl[${THREAD}], parts = ctrl[${PARTS_N}]
      until(H, ${READY}, nonZero)
      // pad items: this thread's part first, then the others'
      for (let q = 0; q < parts && pads > 0; q++) {
        const p = (t + q) % parts
        const lo = Math.floor((p * pads) / parts), hi = Math.floor(((p + 1) * pads) / parts)
        for (;;) {
          if (Atomics.load(H, ${ABORT}) !== 0) break
          const k = lo + Atomics.add(H, ${PAD_CLAIM} + ${LINE} * p, 1)
          if (k >= hi) break
          const u0 = k * padChunk
          ex.pad(stage, x, 0, u0, Math.min(padUnits, u0 + padChunk))
          Atomics.add(H, ${PADDED}, 1)
          wake(H, ${PADDED})
        }
      }
      if (pads > 0) until(H, ${PADDED}, (v) => v >= pads)
      // chunks: the same way
      for (let q = 0; q < parts; q++) {
        const p = (t + q) % parts
        const lo = p === 0 ? 0 : H[${PART_END} + p - 1], hi = H[${PART_END} + p]
        for (;;) {
          if (Atomics.load(H, ${ABORT}) !== 0) break
          const k = lo + Atomics.add(H, ${PART_CLAIM} + ${LINE} * p, 1)
          if (k >= hi) break
          const j = ${STARTS} + k
          if (entry !== undefined) {
            callArgs[callAt] = H[j]
            callArgs[callAt + 1] = H[j + 1]
            Reflect.apply(entry, undefined, callArgs)
          } else ex.run(x, w, o, H[j], H[j + 1], s)
          // part p's flags are FLAG_GAP · p further on (flagAt)
          Atomics.store(H, ${FLAGS} + ${FLAG_GAP} * p + k, 1)
          wake(H, ${FLAGS} + ${FLAG_GAP} * p + k)
        }
      }
    } else if (cmd === ${CMD_REGISTER}) {
      const m = receiveMessageOnPort(port).message
      const inst = new WebAssembly.Instance(m.module, { env: { memory: m.memory } })
      instances.set(m.id, inst)
      entries.set(m.id, inst.exports[m.entry])
      headers.set(m.id, new Int32Array(m.header !== undefined ? m.header : m.memory.buffer, 0, ${JOB_HEADER_BYTES / 4}))
    } else if (cmd === ${CMD_HOLD}) {
      const end = performance.now() + ctrl[${ARGS}] / 1000
      while (performance.now() < end);
    } else if (cmd === ${CMD_UNREGISTER}) {
      instances.delete(ctrl[${ID}])
      entries.delete(ctrl[${ID}])
      headers.delete(ctrl[${ID}])
    }
  } catch (e) {
    status = 1
    if (H !== undefined) Atomics.store(H, ${ABORT}, 1)
  }
  Atomics.store(ctrl, ${STATUS}, status)
  Atomics.store(ctrl, ${DONE}, seen)
  if (Atomics.load(ctrl, ${WAITER}) !== 0) Atomics.notify(ctrl, ${DONE})
  if (cmd === ${CMD_EXIT}) break
}
`

interface WorkerLike {
  unref(): void
  terminate(): Promise<number>
}
interface PortLike {
  postMessage(m: unknown): void
  unref(): void
  close(): void
}
interface WorkerThreads {
  Worker: new (src: string, opts: object) => WorkerLike
  MessageChannel: new () => { port1: PortLike; port2: PortLike }
}

const loadWorkerThreads = (): WorkerThreads | undefined => {
  try {
    const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
    return typeof get === 'function' ? (get('node:worker_threads') as WorkerThreads) : undefined
  } catch {
    return undefined
  }
}

/** Cores this process may use (1 where unknown). */
export const availableCores = (): number => {
  try {
    const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
    const os = typeof get === 'function' ? (get('node:os') as { availableParallelism?: () => number; cpus: () => unknown[] }) : undefined
    if (os === undefined) return 1
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length)
  } catch {
    return 1
  }
}

/** Whether worker threads can be used here (Node with `worker_threads` and shared memory). */
export const THREADS_AVAILABLE: boolean = typeof SharedArrayBuffer === 'function' && loadWorkerThreads() !== undefined

class PoolWorker {
  readonly ctrl: Int32Array
  private readonly worker: WorkerLike
  private readonly port: PortLike
  private seq = 0
  readonly registered = new Set<number>()

  constructor(wt: WorkerThreads) {
    this.ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4))
    const { port1, port2 } = new wt.MessageChannel()
    this.port = port1
    this.worker = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { ctrl: this.ctrl.buffer, port: port2 }, transferList: [port2] })
    this.worker.unref()
    port1.unref()
  }

  /**
   * Posts a command. The worker's previous command must be done first (its arguments and the job
   * header are reused): a job's caller returns as soon as every chunk is done, without waiting for
   * a worker that found nothing left to claim to say so (that worker may still be waking up), so the
   * acknowledgement is awaited here, before the next command, when it has almost always arrived.
   */
  post(cmd: number, id: number, args: ReadonlyArray<number> = [], call?: JobCall, thread = 0, parts = 1): void {
    if (!this.finished()) this.wait()
    const c = this.ctrl
    c[CMD] = cmd
    c[ID] = id
    c[THREAD] = thread
    c[PARTS_N] = parts
    for (let k = 0; k < ARG_COUNT; k++) c[ARGS + k] = args[k] ?? 0
    c[CALL_N] = call === undefined ? 0 : call.args.length
    c[CALL_AT] = call === undefined ? 0 : call.at
    if (call !== undefined) for (let k = 0; k < call.args.length; k++) c[CALL_ARGS + k] = call.args[k] as number
    this.seq = (this.seq + 1) | 0
    Atomics.store(c, SEQ, this.seq)
    if (Atomics.load(c, SLEEPING) !== 0) Atomics.notify(c, SEQ)
  }

  /** Whether the last posted command is done. */
  finished(): boolean {
    return Atomics.load(this.ctrl, DONE) === this.seq
  }

  /** Blocks until the last posted command is done; throws if it failed. */
  wait(): void {
    const c = this.ctrl
    const target = this.seq
    for (let spins = 0; ; spins++) {
      const v = Atomics.load(c, DONE)
      if (v === target) break
      if (spins > 2000) {
        Atomics.store(c, WAITER, 1)
        Atomics.wait(c, DONE, v, 1000)
        Atomics.store(c, WAITER, 0)
      }
    }
    if (Atomics.load(c, STATUS) !== 0) throw new Error('layerspec: a worker thread failed to run a convolution')
  }

  register(id: number, module: WasmModule, memory: WasmMemory, header: SharedArrayBuffer | undefined, entry: string): void {
    this.port.postMessage({ id, module, memory, header, entry })
    this.post(CMD_REGISTER, id)
    this.wait()
    this.registered.add(id)
  }

  unregister(id: number): void {
    if (!this.registered.delete(id)) return
    this.post(CMD_UNREGISTER, id)
    this.wait()
  }

  end(): void {
    this.post(CMD_EXIT, 0)
    this.port.close()
    void this.worker.terminate()
  }
}

/**
 * Calls split over workers so far (`calls`): a model's forward tells its split policy whether it
 * split anything (executor.ts); tests check that splitting happens. `late`: those that found a
 * worker still on its previous command and started on their own; `alone`: those that then ran to
 * the end on the calling thread.
 */
export const threadStats = { calls: 0, late: 0, alone: 0 }

let pool: PoolWorker[] = []
/** Whether a worker is still on its previous command (a job of any module). */
const anyBusy = (ws: ReadonlyArray<PoolWorker>): boolean => {
  for (const wk of ws) if (!wk.finished()) return true
  return false
}

/**
 * Waits until `H[i] >= min` (a done flag, the pad items done): spins, then sleeps in short timed
 * waits (the workers notify); throws if a worker failed (or they all finished without making it true).
 */
const waitUntil = (H: Int32Array, ws: ReadonlyArray<PoolWorker>, i: number, min: number): void => {
  for (let n = 1; ; n++) {
    const v = Atomics.load(H, i)
    if (v >= min) return
    if ((n & 1023) === 0 && (Atomics.load(H, ABORT) !== 0 || !anyBusy(ws))) {
      if (Atomics.load(H, i) >= min) return
      throw new Error('layerspec: a worker thread failed to run a convolution')
    }
    if (n > SPINS) {
      Atomics.add(H, WAITING, 1)
      Atomics.wait(H, i, v, WAIT_MS)
      Atomics.sub(H, WAITING, 1)
    }
  }
}

/** Notifies a header flag's waiters, if any thread sleeps (see `WAITING`). */
const wake = (H: Int32Array, i: number): void => {
  if (Atomics.load(H, WAITING) !== 0) Atomics.notify(H, i)
}

/**
 * Copies out the finished chunks from `low` on not copied yet, each run of consecutive ones in one go
 * (a channels_first chunk is one piece of row per channel: fewer, longer pieces); returns the new
 * `low` (every chunk below it copied).
 */
const drain = (H: Int32Array, flag: Int32Array, copied: Uint8Array, low: number, chunks: number, starts: ReadonlyArray<number>, steps: JobSteps): number => {
  for (let j = low; j < chunks; ) {
    if (copied[j] !== 0 || Atomics.load(H, flag[j] as number) === 0) {
      j++
      continue
    }
    let e = j + 1
    while (e < chunks && copied[e] === 0 && Atomics.load(H, flag[e] as number) !== 0) e++
    steps.copyOut(starts[j] as number, starts[e] as number)
    copied.fill(1, j, e)
    j = e
  }
  let l = low
  while (l < chunks && copied[l] !== 0) l++
  return l
}
/** A job's arguments as posted to a worker (copied into its control block at once: one array reused). */
const jobArgs: number[] = new Array<number>(ARG_COUNT).fill(0)
let generation = 0
let nextId = 1

const ensureWorkers = (n: number): PoolWorker[] => {
  const wt = loadWorkerThreads()
  if (wt === undefined) throw new Error('layerspec: worker_threads is not available')
  while (pool.length < n) pool.push(new PoolWorker(wt))
  return pool.slice(0, n)
}

/** One call of a kernel split over threads (byte addresses in the module's memory). */
export interface Job {
  /** `run`'s first three arguments: padded input, packed weights, output. */
  readonly x: number
  readonly w: number
  readonly o: number
  /** `pad`'s source (the raw input staged in the output region) when `pads > 0`. */
  readonly stage: number
  /** Pad items, of `padChunk` of the `padUnits` padded rows each (0: no padding in wasm). */
  readonly pads: number
  readonly padChunk: number
  readonly padUnits: number
  /**
   * Compute items (at most {@link JOB_MAX_CHUNKS}): chunk `j` is work units `[starts[j], starts[j + 1])`
   * (`starts` increasing from 0 to the batch's work units).
   */
  readonly starts: ReadonlyArray<number>
  /** The calling thread's scratch; worker `k`'s is at `scratch + (k + 1) · scratchBytes`. */
  readonly scratch: number
  readonly scratchBytes: number
  /**
   * Instead of `run(x, w, o, u0, u1, scratch)`, the workers call the module's export
   * {@link ThreadedModuleOptions.entry} with these arguments, a chunk's first and end work units at
   * `at` and `at + 1` (the model compiler's non-convolution steps: `fn(o, x…, d…, u0, u1)`, Dense's
   * `dense(x, w, o, r0, r1, p0, p1, d…)`); at most {@link JOB_MAX_CALL_ARGS} arguments, no padding.
   */
  readonly call?: JobCall
}

/** The arguments of a call job ({@link Job.call}). */
export interface JobCall {
  readonly args: ReadonlyArray<number>
  readonly at: number
}

/** What the calling thread does in a job (see the module comment). */
export interface JobSteps {
  /** Writes the input into wasm memory (before anything else runs). */
  readonly copyIn: () => void
  readonly pad: (u0: number, u1: number) => void
  readonly run: (u0: number, u1: number) => void
  /** Copies the output of work units `[u0, u1)` out of wasm memory. */
  readonly copyOut: (u0: number, u1: number) => void
  /**
   * `false` when `copyOut` does nothing (the output is written where it stays: the model's arena):
   * the calling thread then reads the workers' done flags only once its own part is done.
   */
  readonly copiesOut?: boolean
}

/**
 * Options of a {@link ThreadedModule}.
 */
export interface ThreadedModuleOptions {
  /**
   * Where the job header lives: `memory` (default) at byte 0 of the module's memory (the first
   * {@link JOB_HEADER_BYTES} bytes are the module's to reserve); `own`: in a SharedArrayBuffer of its
   * own, so that the memory is all the caller's (the model compiler's arena), and a memory that grows
   * never moves or hides the header from a worker.
   */
  readonly header?: 'memory' | 'own'
  /**
   * Unregister the module from the workers once it is garbage-collected (for owners that are never
   * disposed: the model compiler's steps); the pool ends when no module uses it.
   */
  readonly collect?: boolean
  /** The export a call job ({@link Job.call}) calls (default `run`). */
  readonly entry?: string
}

/** Workers' registrations of collected modules (`collect`): dropped, and the pool ended when unused. */
const collected =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ readonly id: number; readonly workers: PoolWorker[]; readonly generation: number }>((r) => {
        if (r.generation !== generation) return
        for (const wk of r.workers) wk.unregister(r.id)
        if (pool.length > 0 && pool.every((wk) => wk.registered.size === 0)) disposeThreads()
      })
    : undefined

/**
 * A generated module shared with `helpers` workers. Chunking changes no arithmetic (each unit is
 * computed the same way whichever thread takes it): results are bit-identical to one thread.
 */
export class ThreadedModule {
  private readonly id = nextId++
  private workers: PoolWorker[] | undefined
  private generation = -1
  /** The job header when it is not in the memory (`header: 'own'`). */
  private readonly header: Int32Array | undefined
  /** Which chunks of the running job the calling thread has copied out (kept: a forward runs dozens of jobs). */
  private readonly copied = new Uint8Array(JOB_MAX_CHUNKS)
  /** The header index of each chunk's done flag in the running job (`FLAGS + j + FLAG_GAP · part`). */
  private readonly flag = new Int32Array(JOB_MAX_CHUNKS)

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly helpers: number,
    private readonly options: ThreadedModuleOptions = {}
  ) {
    this.header = options.header === 'own' ? new Int32Array(new SharedArrayBuffer(JOB_HEADER_BYTES)) : undefined
  }

  /** Runs a job on this thread and the workers (see the module comment); returns once all is copied out. */
  runJob(job: Job, steps: JobSteps): void {
    if (this.workers === undefined || this.generation !== generation) {
      const ws = ensureWorkers(this.helpers)
      for (const wk of ws) wk.register(this.id, this.module, this.memory, this.header?.buffer as SharedArrayBuffer | undefined, this.options.entry ?? 'run')
      this.workers = ws
      this.generation = generation
      if (this.options.collect === true) {
        collected?.unregister(this)
        collected?.register(this, { id: this.id, workers: ws, generation }, this)
      }
    }
    const ws = this.workers
    if (job.call !== undefined && (job.call.args.length > JOB_MAX_CALL_ARGS || job.call.at < 0 || job.call.at + 2 > job.call.args.length || job.pads > 0)) {
      throw new RangeError('layerspec: a call job takes at most JOB_MAX_CALL_ARGS arguments, its unit range inside them, and no padding')
    }
    threadStats.calls++
    // A worker must finish its previous command before the header is reset. One still on it (it woke
    // too late for the last job and has yet to say so, or the OS gave its core to another thread) is
    // not waited for — measured on this 2-core VM, such a wait took 0.3-0.5 ms, more than many a
    // whole job: this thread starts on the chunks itself and hands the rest over once every worker
    // is free (none, when they stay busy to the end: the job ran on this thread alone).
    const all = job.starts.length - 1
    let first = 0
    let pads = job.pads
    // an acknowledgement in flight (the worker finished the last job's final chunk a moment ago)
    // arrives within a few spins: only a worker still busy after them is left behind
    for (let n = 0; n < LATE_SPINS && anyBusy(ws); n++);
    if (anyBusy(ws)) {
      threadStats.late++
      steps.copyIn()
      if (pads > 0) steps.pad(0, job.padUnits)
      pads = 0
      for (; first < all && anyBusy(ws); first++) {
        steps.run(job.starts[first] as number, job.starts[first + 1] as number)
        steps.copyOut(job.starts[first] as number, job.starts[first + 1] as number)
      }
      if (first === all) {
        threadStats.alone++
        return
      }
    }
    const starts = first === 0 ? job.starts : job.starts.slice(first)
    const H = this.header ?? new Int32Array(this.memory.buffer, 0, JOB_HEADER_BYTES / 4)
    const chunks = all - first
    const parts = Math.min(ws.length + 1, JOB_MAX_PARTS)
    H.fill(0, 0, FLAGS + chunks + FLAG_GAP * (parts - 1))
    H.set(starts, STARTS)
    // the parts: part p starts at the first chunk at or past p/parts of the units (chunkStarts lays
    // each part's chunks out on its own, so its boundaries are exactly such chunk starts)
    const u0 = starts[0] as number
    const span = (starts[chunks] as number) - u0
    H.fill(0, PARTS, PARTS + JOB_MAX_PARTS)
    for (let p = 1, j = 0; p < parts; p++) {
      while (j < chunks && ((starts[j] as number) - u0) * parts < p * span) j++
      H[PART_END + p - 1] = j
    }
    H[PART_END + parts - 1] = chunks
    const flag = this.flag
    for (let p = 0, j = 0; p < parts; p++) {
      H[PART_CLAIM + LINE * p] = 0
      H[PAD_CLAIM + LINE * p] = 0
      for (const end = H[PART_END + p] as number; j < end; j++) flag[j] = FLAGS + FLAG_GAP * p + j
    }
    const args = jobArgs
    args[0] = job.x
    args[1] = job.w
    args[2] = job.o
    args[3] = job.stage
    args[4] = pads
    args[5] = job.padChunk
    args[6] = job.padUnits
    args[7] = chunks
    for (let k = 0; k < ws.length; k++) {
      args[8] = job.scratch + (k + 1) * job.scratchBytes
      ;(ws[k] as PoolWorker).post(CMD_JOB, this.id, args, job.call, (k + 1) % parts, parts)
    }
    // (no closures below: a forward runs dozens of jobs, and each closure made per job is garbage)
    let error: unknown
    try {
      if (first === 0) steps.copyIn()
      Atomics.store(H, READY, 1)
      wake(H, READY)
      const copied = this.copied
      copied.fill(0, 0, chunks)
      let low = 0 // chunks below are copied out
      // pad items, then chunks: this thread's part (0) first, then the others'
      for (let p = 0; p < parts && pads > 0; p++) {
        const lo = Math.floor((p * pads) / parts)
        const hi = Math.floor(((p + 1) * pads) / parts)
        for (let k = lo + Atomics.add(H, PAD_CLAIM + LINE * p, 1); k < hi; k = lo + Atomics.add(H, PAD_CLAIM + LINE * p, 1)) {
          const a = k * job.padChunk
          steps.pad(a, Math.min(job.padUnits, a + job.padChunk))
          Atomics.add(H, PADDED, 1)
          wake(H, PADDED)
        }
      }
      if (pads > 0) waitUntil(H, ws, PADDED, pads)
      const copies = steps.copiesOut !== false
      for (let p = 0; p < parts; p++) {
        const lo = p === 0 ? 0 : (H[PART_END + p - 1] as number)
        const hi = H[PART_END + p] as number
        const claim = PART_CLAIM + LINE * p
        for (let j = lo + Atomics.add(H, claim, 1); j < hi; j = lo + Atomics.add(H, claim, 1)) {
          steps.run(starts[j] as number, starts[j + 1] as number)
          Atomics.store(H, flag[j] as number, 1)
          // this chunk while it is in cache, with whatever the workers have finished (nothing to
          // copy: the workers' flags are not read before the end, their lines left where they are)
          if (copies) low = drain(H, flag, copied, low, chunks, starts, steps)
        }
      }
      while (low < chunks) {
        waitUntil(H, ws, flag[low] as number, 1)
        low = copies ? drain(H, flag, copied, low, chunks, starts, steps) : low + 1
      }
    } catch (e) {
      error = e
      Atomics.store(H, ABORT, 1)
    }
    // Every chunk is done: the result is complete. A worker still waking up finds nothing to claim
    // and only acknowledges; that is awaited before its next command (`post`), not here, so a job
    // never waits out a sleeping worker's wake-up (40-60 µs, far more when the OS gave its core to
    // another thread) — what made two threads slower than one on steps of a few hundred µs. After
    // an error the workers are awaited now: none may still write into memory the caller reuses.
    if (error !== undefined) {
      for (const wk of ws) {
        try {
          wk.wait()
        } catch {
          // the error being thrown is the one to report
        }
      }
      throw error
    }
  }

  /** Drops the workers' instances; ends the pool when no module uses it. */
  dispose(): void {
    collected?.unregister(this)
    if (this.workers === undefined) return
    if (this.generation === generation) for (const wk of this.workers) wk.unregister(this.id)
    this.workers = undefined
    if (pool.every((wk) => wk.registered.size === 0)) disposeThreads()
  }
}

/**
 * Keeps each of the pool's first `workers` workers (started if need be) busy for `us` microseconds,
 * returning at once: what a worker descheduled by the OS looks like to the next job. For tests.
 */
export const holdWorkers = (workers: number, us: number): void => {
  for (const wk of ensureWorkers(workers)) wk.post(CMD_HOLD, 0, [Math.max(0, Math.round(us))])
}

/**
 * While a model's forward runs its steps (`on`), the pool's workers spin between jobs instead of
 * going to sleep after 0.3 ms, and sleeping ones are woken now: a forward's unsplit stretches (a
 * DenseNet stage of small steps, 2-3 ms) otherwise put the worker to sleep, and the next split step
 * then waits out its wake-up (0.05-0.5 ms on this VM) or runs without it. Counted: nested or
 * interleaved holders keep the workers awake until the last lets go. No workers yet: nothing to do.
 */
export const keepWorkersAwake = (on: boolean): void => {
  awake = Math.max(0, awake + (on ? 1 : -1))
  const flag = awake > 0 ? 1 : 0
  for (const wk of pool) {
    Atomics.store(wk.ctrl, HOT, flag)
    if (flag === 1) Atomics.notify(wk.ctrl, SEQ)
  }
}
let awake = 0

/** Ends every worker thread (the next threaded call starts new ones). */
export const disposeThreads = (): void => {
  const old = pool
  pool = []
  generation++
  for (const wk of old) {
    wk.registered.clear()
    wk.end()
  }
}
