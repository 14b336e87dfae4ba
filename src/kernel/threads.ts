/**
 * Worker threads for the wasm kernels: a process-wide pool of `worker_threads` workers, each running
 * the generated module's `run` over a share of a call's work units on the same shared
 * `WasmMemory`. Calls stay synchronous: the calling thread posts the work through a shared
 * control block, computes its own share, then blocks in `Atomics.wait` until the workers are done.
 *
 * - Workers are `unref`'d: they never keep the process alive. `disposeThreads()` ends them; the pool
 *   also ends once no layer uses it.
 * - A worker spins briefly after a task before sleeping, so back-to-back calls skip the 40-60 µs
 *   wake-up of `Atomics.wait`/`notify`; it sleeps (burning nothing) otherwise.
 * - Node only (`worker_threads`, loaded lazily); where it is missing, every call runs on the calling
 *   thread.
 */

import type { WasmMemory, WasmModule } from './wasm/api.js'

// control block layout (Int32Array over a SharedArrayBuffer, one per worker)
const SEQ = 0 // bumped by the caller to post a command
const DONE = 1 // set to SEQ by the worker when the command is done
const CMD = 2
const ID = 3
const ARGS = 4 // 6 i32 arguments: x, w, o, units, chunk, scratch
const STATUS = 10
const FN = 11 // which export: 0 = run, 1 = pad
const CTRL_INTS = 16

const CMD_RUN = 1
const CMD_REGISTER = 2
const CMD_UNREGISTER = 3
const CMD_EXIT = 4

/** The worker's program (a CommonJS script, run with `eval`). */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const ctrl = new Int32Array(workerData.ctrl)
const port = workerData.port
const instances = new Map()
const counters = new Map()
let seen = 0
for (;;) {
  if (Atomics.load(ctrl, ${SEQ}) === seen) {
    const t0 = performance.now()
    while (Atomics.load(ctrl, ${SEQ}) === seen && performance.now() - t0 < ${0.3}) {}
    if (Atomics.load(ctrl, ${SEQ}) === seen) Atomics.wait(ctrl, ${SEQ}, seen)
  }
  seen = Atomics.load(ctrl, ${SEQ})
  const cmd = ctrl[${CMD}]
  let status = 0
  try {
    if (cmd === ${CMD_RUN}) {
      const id = ctrl[${ID}]
      const run = ctrl[${FN}] === 1 ? instances.get(id).exports.pad : instances.get(id).exports.run
      const counter = counters.get(id)
      const x = ctrl[${ARGS}], w = ctrl[${ARGS + 1}], o = ctrl[${ARGS + 2}], units = ctrl[${ARGS + 3}], chunk = ctrl[${ARGS + 4}], s = ctrl[${ARGS + 5}]
      for (;;) {
        const u0 = Atomics.add(counter, 0, 1) * chunk
        if (u0 >= units) break
        run(x, w, o, u0, Math.min(units, u0 + chunk), s)
      }
    } else if (cmd === ${CMD_REGISTER}) {
      const m = receiveMessageOnPort(port).message
      instances.set(m.id, new WebAssembly.Instance(m.module, { env: { memory: m.memory } }))
      counters.set(m.id, new Int32Array(m.memory.buffer, 0, 1))
    } else if (cmd === ${CMD_UNREGISTER}) {
      instances.delete(ctrl[${ID}])
      counters.delete(ctrl[${ID}])
    }
  } catch (e) {
    status = 1
  }
  Atomics.store(ctrl, ${STATUS}, status)
  Atomics.store(ctrl, ${DONE}, seen)
  Atomics.notify(ctrl, ${DONE})
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

  /** Posts a command; `wait()` must follow before the next one. */
  post(cmd: number, id: number, args: ReadonlyArray<number> = [], fn = 0): void {
    const c = this.ctrl
    c[CMD] = cmd
    c[ID] = id
    c[FN] = fn
    for (let k = 0; k < 6; k++) c[ARGS + k] = args[k] ?? 0
    this.seq = (this.seq + 1) | 0
    Atomics.store(c, SEQ, this.seq)
    Atomics.notify(c, SEQ)
  }

  /** Blocks until the last posted command is done; throws if it failed. */
  wait(): void {
    const c = this.ctrl
    const target = this.seq
    let spins = 0
    while (Atomics.load(c, DONE) !== target) {
      if (++spins > 2000) Atomics.wait(c, DONE, Atomics.load(c, DONE), 1000)
    }
    if (Atomics.load(c, STATUS) !== 0) throw new Error('layerspec: a worker thread failed to run a convolution')
  }

  register(id: number, module: WasmModule, memory: WasmMemory): void {
    this.port.postMessage({ id, module, memory })
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

/** Diagnostics: calls split over workers so far (tests check that splitting happens). */
export const threadStats = { calls: 0 }

let pool: PoolWorker[] = []
let generation = 0
let nextId = 1

const ensureWorkers = (n: number): PoolWorker[] => {
  const wt = loadWorkerThreads()
  if (wt === undefined) throw new Error('layerspec: worker_threads is not available')
  while (pool.length < n) pool.push(new PoolWorker(wt))
  return pool.slice(0, n)
}

/**
 * A generated module shared with `helpers` workers. A call's work units are taken in chunks from a
 * shared counter (the first 4 bytes of the module's memory) by the calling thread and the workers
 * alike, so a worker that the OS has not scheduled yet costs nothing: the calling thread simply
 * takes more chunks. Chunking changes no arithmetic (each unit is computed the same way).
 */
export class ThreadedModule {
  private readonly id = nextId++
  private workers: PoolWorker[] | undefined
  private generation = -1

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly helpers: number
  ) {}

  /**
   * Runs `exports.run(x, w, o, u0, u1, s)` (or `exports.pad` when `fn` is 1) over `[0, units)` in
   * chunks of `chunk` units, on this thread (through `local`, whose scratch is at `scratch`) and on
   * the workers (worker `k`'s scratch at `scratch + (k + 1) · scratchBytes`).
   */
  run(x: number, w: number, o: number, units: number, chunk: number, local: (u0: number, u1: number) => void, fn = 0, scratch = 0, scratchBytes = 0): void {
    if (this.workers === undefined || this.generation !== generation) {
      const ws = ensureWorkers(this.helpers)
      for (const wk of ws) wk.register(this.id, this.module, this.memory)
      this.workers = ws
      this.generation = generation
    }
    const ws = this.workers
    threadStats.calls++
    const counter = new Int32Array(this.memory.buffer, 0, 1)
    Atomics.store(counter, 0, 0)
    ws.forEach((wk, k) => wk.post(CMD_RUN, this.id, [x, w, o, units, chunk, scratch + (k + 1) * scratchBytes], fn))
    let error: unknown
    try {
      for (;;) {
        const u0 = Atomics.add(counter, 0, 1) * chunk
        if (u0 >= units) break
        local(u0, Math.min(units, u0 + chunk))
      }
    } catch (e) {
      error = e
    }
    for (const wk of ws) wk.wait()
    if (error !== undefined) throw error
  }

  /** Drops the workers' instances; ends the pool when no module uses it. */
  dispose(): void {
    if (this.workers === undefined) return
    if (this.generation === generation) for (const wk of this.workers) wk.unregister(this.id)
    this.workers = undefined
    if (pool.every((wk) => wk.registered.size === 0)) disposeThreads()
  }
}

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
