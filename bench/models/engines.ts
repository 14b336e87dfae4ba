/**
 * The engines of `npm run bench:models` as one interface, layerspec's here (tfjs-layers' in tfjs.ts,
 * which imports TensorFlow.js), and the measuring shared by the main process and its children: the
 * clock, warm-up, per-call statistics, agreement, resident memory.
 *
 * Every engine's call goes from JS Float32Arrays in to JS Float32Arrays out: layerspec's public
 * `compileModel(…).forward` (copies into and out of its memory included), tfjs-layers' `predict` on
 * a tensor made from the array, read back with `dataSync` (each output disposed).
 */
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { compileModel, formatErrors, type CompiledModel, type ModelParams } from '../../src/index.js'
import type { LoadedCase } from './cases.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

export type EngineName = 'ours' | 'ours×2' | 'tfjs-wasm' | 'tfjs-cpu'
export const ENGINE_NAMES: ReadonlyArray<EngineName> = ['ours', 'ours×2', 'tfjs-wasm', 'tfjs-cpu']

/** One input batch: `[batch, ...inputShape]` per model input. */
export interface Batch {
  readonly size: number
  readonly inputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: Float32Array }>
}

export interface Engine {
  readonly name: EngineName
  /** Makes the engine's runtime current (tfjs: its backend), outside the timed region. */
  readonly before?: () => Promise<unknown>
  /** One whole call: arrays in, the output arrays out. */
  readonly run: (batch: Batch) => ReadonlyArray<Float32Array>
  /** Milliseconds to build it (layerspec: compileModel; tfjs: modelFromJSON + setWeights). */
  readonly buildMs: number
  readonly dispose: () => void
}

// -------------------------------------------------------------------------------------
// layerspec
// -------------------------------------------------------------------------------------

/**
 * layerspec through its public API: `compileModel(model, { threads })` (every other option its
 * default: all rewrites, the `auto` backend), the case's weights assigned to it.
 */
export const oursEngine = (loaded: LoadedCase, threads: number, params?: ModelParams): Engine & { readonly compiled: CompiledModel; readonly params: ModelParams } => {
  const t0 = performance.now()
  const r = compileModel(loaded.model, { threads, ...(loaded.inputShapes === undefined ? {} : { inputShapes: loaded.inputShapes }) })
  const buildMs = performance.now() - t0
  if (E.isLeft(r)) throw new Error(`compileModel: ${formatErrors(r.left.slice(0, 5))}`)
  const compiled = r.right
  const p = params ?? loaded.weights(compiled)
  return {
    name: threads === 1 ? 'ours' : 'ours×2',
    compiled,
    params: p,
    buildMs,
    run: (b) => compiled.forward(p, b.inputs).map((t) => t.data as Float32Array),
    dispose: () => undefined
  }
}

/** A fresh copy of params (weights are packed once per params object: a copy is packed anew). */
export const copyParams = (params: ModelParams): ModelParams => params.map((t) => ({ shape: t.shape, data: Float32Array.from(t.data) }))

// -------------------------------------------------------------------------------------
// measuring
// -------------------------------------------------------------------------------------

/** Warm-up before any timing: V8 first runs WebAssembly on its baseline compiler and tiers up later. */
export const WARM_MS = 250

export interface Stats {
  readonly median: number
  readonly p90: number
  /** Calls timed. */
  readonly n: number
}

export const stats = (xs: ReadonlyArray<number>): Stats => {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number
  const median = s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
  return { median, p90: at(0.9), n: s.length }
}

/** Calls `f` and returns its duration in ms. */
export const timed = (f: () => unknown): number => {
  const t = performance.now()
  f()
  return performance.now() - t
}

/** Calls until at least `WARM_MS` have passed (at least `minCalls`); returns the last call's ms. */
export const warmUp = (f: () => unknown, already = 0, minCalls = 1): number => {
  let spent = already
  let last = NaN
  let calls = 0
  while (spent < WARM_MS || calls < minCalls) {
    last = timed(f)
    spent += last
    calls++
  }
  return last
}

/**
 * Agreement of two engines' outputs: max |a − b| over every output value, divided by the scale
 * max |b| (the reference's largest magnitude); Infinity on a length mismatch or a non-finite pair
 * that differs.
 */
export const relToScale = (a: ReadonlyArray<ArrayLike<number>>, b: ReadonlyArray<ArrayLike<number>>): number => {
  if (a.length !== b.length) return Infinity
  let worst = 0
  let scale = 0
  for (let o = 0; o < b.length; o++) {
    const x = a[o] as ArrayLike<number>
    const y = b[o] as ArrayLike<number>
    if (x.length !== y.length) return Infinity
    for (let i = 0; i < y.length; i++) {
      const u = x[i] as number
      const v = y[i] as number
      if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v))
      if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue
      const d = Math.abs(u - v)
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d
    }
  }
  return scale === 0 ? (worst === 0 ? 0 : Infinity) : worst / scale
}

// -------------------------------------------------------------------------------------
// resident memory
// -------------------------------------------------------------------------------------

const statusKiB = (field: string): number | undefined => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}

/**
 * Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0: `echo 5 >
 * /proc/self/clear_refs`); false where that is not possible (then the process-lifetime peak is used).
 */
export const resetPeakRss = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

/** Peak resident set since the last reset (or since the process started), MiB. */
export const peakRssMiB = (): number => (statusKiB('VmHWM') ?? process.resourceUsage().maxRSS) / 1024

export const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20

/** A full collection where exposed (`node --expose-gc`). */
export const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

// -------------------------------------------------------------------------------------
// other processes
// -------------------------------------------------------------------------------------

/** CPU time of the whole machine (busy) and of this process, in seconds, and the wall clock. */
export interface CpuMark {
  readonly busy: number
  readonly own: number
  readonly wall: number
}

/** `/proc/stat`'s busy time (every CPU, in USER_HZ = 1/100 s) and this process's CPU time (all its threads). */
export const cpuMark = (): CpuMark | undefined => {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy
    const busy = [0, 1, 2, 5, 6, 7].reduce((a, i) => a + (fields[i] ?? 0), 0)
    const u = process.cpuUsage()
    return { busy: busy / 100, own: (u.user + u.system) / 1e6, wall: performance.now() / 1000 }
  } catch {
    return undefined
  }
}

/** Cores other processes kept busy between two marks (0 on a quiet machine; the machine's cores at most). */
export const otherCores = (a: CpuMark | undefined, b: CpuMark | undefined): number | undefined => {
  if (a === undefined || b === undefined || !(b.wall > a.wall)) return undefined
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / (b.wall - a.wall))
}

/**
 * Waits (up to `maxS` seconds) until other processes use less than `below` cores over a 1 s window;
 * returns the cores they used in the last window.
 */
export const waitQuiet = async (maxS: number, below = 0.25): Promise<number | undefined> => {
  const until = performance.now() + maxS * 1000
  let last: number | undefined
  do {
    const a = cpuMark()
    await new Promise((r) => setTimeout(r, 1000))
    last = otherCores(a, cpuMark())
  } while (last !== undefined && last >= below && performance.now() < until)
  return last
}

