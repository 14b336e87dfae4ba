/**
 * Splitting a non-convolution step over the worker pool (issue 12: two threads for the whole model,
 * not only its convolutions): a step whose generated function takes a work-unit range — wasm-ops'
 * `fn(o, x…, [w], d…, sizes…, u0, u1)`, Dense's `dense(x, w, o, r0, r1, p0, p1, d…)` — runs as one
 * call job of threads.ts's pool on the model's shared arena: the units in `chunkStarts`'s guided
 * chunks claimed by every thread from the shared counter, each chunk one call of the same function
 * with the chunk's range. Units are independent (each output float is computed by the same
 * instructions whichever range holds it), so a split call is bit for bit the one-thread call; nothing
 * is copied in or out.
 *
 * A step splits only when its model was compiled with threads over a shared arena, its call is at
 * least its family's threshold (below, the job's dispatch — tens of µs — costs more than the second
 * core wins back), and the model's split policy says so for this forward (`KernelChoice.split`,
 * splitPolicy.ts: the same per-forward decision as the convolutions').
 */
import { ThreadedModule, THREADS_AVAILABLE } from '../../kernel/threads.js'
import type { WasmMemory, WasmModule } from '../../kernel/wasm/api.js'
import { chunkStarts } from '../../kernel/wasm/runtime.js'
import type { KernelChoice } from '../StepKernel.js'

/** Whether a memory is shared (a model compiled with threads: compile.ts). */
export const isSharedMemory = (m: WasmMemory): boolean => typeof SharedArrayBuffer !== 'undefined' && m.buffer instanceof SharedArrayBuffer

/** The workers' instances of a module on a memory, shared by every step running that module there. */
const threadedModules = new WeakMap<WasmMemory, Map<string, ThreadedModule>>()

const threadedOn = (memory: WasmMemory, module: WasmModule, key: string, entry: string, threads: number): ThreadedModule => {
  let perMemory = threadedModules.get(memory)
  if (perMemory === undefined) {
    perMemory = new Map()
    threadedModules.set(memory, perMemory)
  }
  const k = `${threads}|${entry}|${key}`
  let tm = perMemory.get(k)
  if (tm === undefined) {
    tm = new ThreadedModule(module, memory, threads - 1, { header: 'own', collect: true, entry })
    perMemory.set(k, tm)
  }
  return tm
}

/**
 * Runs units `[0, units)` of a ranged function: `args` are its arguments (the range at `at`, `at + 1`,
 * overwritten), `local(u0, u1)` runs a range on the calling thread (it sets `args`' range and calls).
 * @category kernels
 */
export type SplitCall = (args: number[], at: number, units: number, align: number, local: (u0: number, u1: number) => void) => void

/**
 * The splitter of a step whose module is `module` (its `entry` export the ranged function) on
 * `memory`, or `undefined` when the step never splits (one thread, no shared arena, no workers). The
 * workers' instances are made on the first split call.
 * @category kernels
 */
export const stepSplitter = (choice: KernelChoice, memory: WasmMemory, module: WasmModule, key: string, entry: string): SplitCall | undefined => {
  const threads = THREADS_AVAILABLE ? Math.max(1, Math.floor(choice.threads)) : 1
  if (threads < 2 || !isSharedMemory(memory)) return undefined
  let tm: ThreadedModule | undefined
  const noop = (): void => undefined
  return (args, at, units, align, local) => {
    tm ??= threadedOn(memory, module, key, entry, threads)
    tm.runJob(
      {
        x: 0,
        w: 0,
        o: 0,
        stage: 0,
        pads: 0,
        padChunk: 1,
        padUnits: 0,
        starts: chunkStarts(units, align, threads),
        scratch: 0,
        scratchBytes: 0,
        call: { args, at }
      },
      { copyIn: noop, pad: noop, run: local, copyOut: noop, copiesOut: false }
    )
  }
}

/** Whether the model's policy lets this forward's large steps split (absent: always). */
export const splitAllowed = (choice: KernelChoice): boolean => choice.split?.() ?? true
