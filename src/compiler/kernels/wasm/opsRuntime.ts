/**
 * Instantiating the non-GEMM kernels' generated functions on a model's arena memory. Each function
 * is one module importing `env.memory` (shared when the arena's memory is); modules are compiled once
 * per distinct code (a model's ReLU6 steps share one, its BatchNormalizations of one layout and
 * epilogue another) and instantiated once per memory.
 *
 * A freshly compiled module is warmed up once on a private memory of zeros: V8 first runs WebAssembly
 * on its baseline compiler (Liftoff) — lazily compiled on the first call, about 0.4 ms, then 2-3x
 * slower than the optimized code for the next 50-150 calls (measured on these kernels) — and tiers a
 * function up by the code it has executed; optimized code is shared by every instance of the module.
 */
import { wasmApi, type WasmMemory, type WasmModule } from '../../../kernel/wasm/api.js'
import { encodeModule, type Code } from '../../../kernel/wasm/encoder.js'

/** An exported function of a generated module: i32 arguments, no result. */
export type WasmFn = (...args: number[]) => void

/** The arena's maximum in 64 KiB pages (src/compiler/compile.ts creates it with 65536). */
const MAX_PAGES = 65536

/** Compiled modules by code (a model compiled again reuses them, tier-up included); oldest dropped first. */
const modules = new Map<string, WasmModule>()
const MAX_MODULES = 256
const instances = new WeakMap<WasmMemory, Map<string, { readonly fn: WasmFn; readonly module: WasmModule; readonly key: string }>>()

/**
 * How to warm a module up: a private memory of `floats` floats (zeros), the call's arguments there,
 * and the floats of work one call does.
 * @category runtime
 */
export interface WarmPlan {
  readonly floats: number
  readonly args: ReadonlyArray<number>
  readonly work: number
}

/** Work (floats through a kernel) after which V8 has very likely optimized it, and the time cap. */
const WARM_WORK = 3_000_000
const WARM_MS = 3
const WARM_MAX_BYTES = 32 << 20

const warmUp = (module: WasmModule, shared: boolean, plan: WarmPlan): void => {
  const api = wasmApi
  if (api === undefined || plan.floats * 4 > WARM_MAX_BYTES) return
  try {
    const pages = Math.max(1, Math.ceil((plan.floats * 4 + 64) / 65536))
    const memory = new api.Memory(shared ? { initial: pages, maximum: MAX_PAGES, shared: true } : { initial: pages, maximum: MAX_PAGES })
    const fn = new api.Instance(module, { env: { memory } }).exports['run'] as WasmFn
    const calls = Math.min(2000, Math.max(8, Math.ceil(WARM_WORK / Math.max(1, plan.work))))
    const t0 = performance.now()
    for (let i = 0; i < calls && performance.now() - t0 < WARM_MS; i++) Reflect.apply(fn, undefined, plan.args)
  } catch {
    // warming is only an optimization
  }
}

const keyOf = (bytes: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096))
  return s
}

/**
 * The function `code` (exported as `run`) instantiated on `memory`; a module compiled here for the
 * first time is warmed up with `warm` first.
 * @category runtime
 */
export const instantiate = (code: Code, memory: WasmMemory, warm?: WarmPlan): WasmFn => instantiateModule(code, memory, warm).fn

/**
 * {@link instantiate}, with the compiled module and its cache key (for a threaded runner: the workers
 * instantiate the same module on the same memory).
 * @category runtime
 */
export const instantiateModule = (code: Code, memory: WasmMemory, warm?: WarmPlan): { readonly fn: WasmFn; readonly module: WasmModule; readonly key: string } => {
  const api = wasmApi
  if (api === undefined) throw new Error('wasm-ops: no WebAssembly in this runtime')
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  const bytes = encodeModule([{ name: 'run', code }], { shared, initialPages: 1, maxPages: MAX_PAGES })
  const key = keyOf(bytes)
  let perMemory = instances.get(memory)
  if (perMemory === undefined) {
    perMemory = new Map()
    instances.set(memory, perMemory)
  }
  const known = perMemory.get(key)
  if (known !== undefined) return known
  let module = modules.get(key)
  if (module === undefined) {
    module = new api.Module(bytes)
    if (modules.size >= MAX_MODULES) modules.delete(modules.keys().next().value as string)
    modules.set(key, module)
    if (warm !== undefined) warmUp(module, shared, warm)
  }
  const instance = new api.Instance(module, { env: { memory } })
  const made = { fn: instance.exports['run'] as WasmFn, module, key }
  perMemory.set(key, made)
  return made
}
