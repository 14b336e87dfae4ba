/**
 * `npm run bench:models`: whole models, layerspec against TensorFlow.js, in one process.
 *
 * Models (bench/models/cases.ts): every runnable real model file with known input dimensions, every
 * example model, four keras.applications architectures (Keras 3.15 fixtures), and two models built in
 * tfjs-layers. Engines: layerspec's public `compileModel(model, { threads: 1 })` (`ours`) and
 * `{ threads: 2 }` (`ours×2`), tfjs-layers 4.22 on @tensorflow/tfjs-backend-wasm (one thread) and on
 * @tensorflow/tfjs-backend-cpu, each loaded from the same model JSON with the same weights assigned by
 * name, run on the same input. For each batch size (1 and 8):
 * 1. every engine's first call (layerspec: its first call after `compileModel` with a fresh params
 *    object at batch 1, its first call at the new batch size at 8) gives the outputs, checked against
 *    `ours` (and at batch 1 against a float64 run of layerspec's per-layer interpreter): a difference
 *    above 1e-5 of the output scale (max |a − b| / max |b|) marks the row (the tolerance of
 *    spec/compiler/tfjs-differential.spec.ts: float32 sums in other orders and BatchNormalization
 *    folded into the weights; measured worst there 2.8e-6, each engine alone up to 3.2e-6 from float64);
 * 2. every engine is warmed for at least 250 ms (V8 tiers WebAssembly up after its first runs);
 * 3. rounds: in each, every engine runs one sample of consecutive calls (~20 ms, at least one call;
 *    a full GC before each sample), each call timed, so that a disturbance of the machine falls on all
 *    engines alike; 9 rounds (3 with --quick), fewer for an engine once it has 8 s of timed calls
 *    (at least 3 rounds). An engine whose call takes 5 s or more is timed over 2 calls (1 with
 *    --quick or from 20 s); at batch 8 an engine whose batch-1 time × 8 exceeds --max-call-s (60; 10
 *    with --quick) is skipped, with the reason printed. Reported: the median and the 90th percentile of the calls.
 * Then, per engine, a child process (bench/models/child.ts) measures the peak resident memory above
 * its baseline and the cold first call (see there for why RSS needs a process of its own).
 *
 * Flags: --quick (fewer models and samples), --model NAME (repeatable or comma-separated),
 * --batch N (repeatable; default 1 and 8), --no-rss (no child processes), --max-call-s S,
 * --wait-quiet S (before timing each batch, wait up to S s for other processes to leave the cores),
 * --no-write (print only; otherwise the "Models" section of BENCHMARKS.md is replaced, the kernel
 * bench's part kept), --no-core-probe (skip bench/cores.ts's per-CPU probe at the start and the end).
 */
import * as E from 'fp-ts/lib/Either.js'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import * as os from 'node:os'
import { fileURLToPath } from 'node:url'
import { compileModel, type CompiledModel, type ModelParams } from '../src/index.js'
import { replaceModelsSection } from './benchmarks-md.js'
import { CASES, SKIPPED, type LoadedCase, type ModelCase } from './models/cases.js'
import { copyParams, cpuMark, ENGINE_NAMES, gc, otherCores, oursEngine, relToScale, stats, timed, waitQuiet, warmUp, type Batch, type Engine, type EngineName, type Stats } from './models/engines.js'
import { macsPerSample } from './models/flops.js'
import { tfjsEngine } from './models/tfjs.js'
import { mallocNote, withSteadyMalloc } from './malloc.js'
import { describeProbe, probeCores, type CoreProbe } from './cores.js'

// -------------------------------------------------------------------------------------
// options
// -------------------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name: string): boolean => argv.includes(name)
const values = (name: string): string[] => argv.flatMap((a, i) => (a === name && argv[i + 1] !== undefined ? (argv[i + 1] as string).split(',') : []))
const known = new Set(['--quick', '--model', '--batch', '--no-rss', '--max-call-s', '--no-write', '--wait-quiet', '--no-core-probe'])
const unknown = argv.filter((a, i) => a.startsWith('--') && !known.has(a) && !['--model', '--batch', '--max-call-s', '--wait-quiet'].includes(argv[i - 1] ?? ''))
if (unknown.length > 0) {
  console.error(`bench:models: unknown option ${unknown.join(', ')}; options: ${[...known].join(', ')}`)
  process.exit(2)
}
const quick = flag('--quick')
const only = values('--model')
const batches = values('--batch').map(Number)
const BATCHES = batches.length > 0 ? batches : [1, 8]
if (BATCHES.some((b) => !Number.isSafeInteger(b) || b < 1)) throw new Error(`--batch expects positive integers, found ${values('--batch').join(', ')}`)
const rss = !flag('--no-rss')
/** The per-CPU probe (bench/cores.ts) at the start and the end, unless `--no-core-probe`. */
const coreProbe = !flag('--no-core-probe')
const write = !flag('--no-write')
const MAX_CALL_MS = 1000 * Number(values('--max-call-s')[0] ?? (quick ? 10 : 60))
/** `--wait-quiet S`: before timing each batch, wait up to S s for other processes to leave the cores. */
const WAIT_QUIET_S = Number(values('--wait-quiet')[0] ?? 0)

/** Agreement required between engines, relative to the output scale. */
const TOLERANCE = 1e-5
const ROUNDS = quick ? 3 : 9
const MIN_ROUNDS = quick ? 1 : 3
/**
 * Blocks a way of the two-thread phase (each ~2 × SAMPLE_MS of calls, up to PHASE_BLOCK_CALLS calls):
 * more than the main rounds' ROUNDS, because its ratio compares the same code on one and two threads
 * and the machine's regimes last tens of ms (the same configuration twice in one process read
 * 0.96-1.08 over 10 blocks).
 */
const PHASE_ROUNDS = quick ? 6 : 18
const PHASE_BLOCK_CALLS = 20_000
const SAMPLE_MS = quick ? 10 : 20
const BUDGET_MS = quick ? 1500 : 8000
const SLOW_MS = 5000
/** Children are skipped for an engine whose warm call at the largest batch takes longer. */
const CHILD_MAX_MS = 30_000

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))

// -------------------------------------------------------------------------------------
// results
// -------------------------------------------------------------------------------------

interface EngineRun {
  readonly stats?: Stats
  /** The first call at this batch size (layerspec: after compileModel with fresh params at the first batch). */
  readonly firstMs?: number
  /** Agreement with `ours`, and (first batch) with the float64 interpreter. */
  readonly err?: number
  readonly errF64?: number
  readonly skip?: string
}

interface BatchRun {
  readonly batch: number
  readonly engines: Partial<Record<EngineName, EngineRun>>
  /** Cores other processes kept busy while the engines were timed. */
  readonly others: number | undefined
  /**
   * The two-thread phase: `ours`, `ours×2` and the control `ours′` (a second `threads: 1` model:
   * identical code) alone, in alternating blocks (`threadsPhase`).
   */
  readonly pair?: { readonly one: Stats; readonly two: Stats; readonly control: Stats }
}

interface ChildRun {
  readonly baselineMiB: number
  readonly peakMiB: number
  /** The weights as JS arrays (made after the baseline; subtracted from the peak). */
  readonly weightsMiB: number
  readonly peakReset: boolean
  readonly buildMs: number
  readonly firstMs: ReadonlyArray<number>
  readonly batches: ReadonlyArray<number>
}

interface PlanInfo {
  readonly steps: number
  readonly rewrites: number
  readonly kernels: string
  readonly packedMiB: number
  readonly peakMiB: ReadonlyArray<number>
}

interface ModelRun {
  readonly c: ModelCase
  readonly params: number
  readonly macs: number
  readonly compileMs: number
  readonly weightSource: string
  readonly tfjsHow: string
  readonly notes: ReadonlyArray<string>
  readonly runs: ReadonlyArray<BatchRun>
  readonly children: Partial<Record<EngineName, ChildRun | { readonly skip: string }>>
  readonly plan: PlanInfo | null
}

interface Failed {
  readonly c: ModelCase
  readonly error: string
}

// -------------------------------------------------------------------------------------
// timing
// -------------------------------------------------------------------------------------

interface Timed {
  readonly engine: Engine
  readonly call: () => unknown
  /** ms of one warm call, for sizing samples. */
  readonly estimate: number
}

/** Rounds over the engines, every call timed; per engine the statistics of its calls. */
const sideBySide = async (entries: ReadonlyArray<Timed>): Promise<Map<EngineName, Stats>> => {
  const calls = entries.map((): number[] => [])
  const spent = entries.map(() => 0)
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, t] of entries.entries()) {
      if (r >= MIN_ROUNDS && (spent[k] as number) >= BUDGET_MS) continue
      await t.engine.before?.()
      gc()
      const m = Math.max(1, Math.min(200, Math.round(SAMPLE_MS / Math.max(t.estimate, 0.005))))
      // re-warm after the other engines' turns (caches, a worker thread gone to sleep); cheap calls only
      if (t.estimate < 50) for (let i = 0; i < Math.ceil(m / 4); i++) t.call()
      for (let i = 0; i < m; i++) {
        const ms = timed(t.call)
        ;(calls[k] as number[]).push(ms)
        spent[k] = (spent[k] as number) + ms
      }
    }
  }
  return new Map(entries.map((t, k) => [t.engine.name, stats(calls[k] as number[])]))
}

/**
 * The two-thread phase: `ours`, `ours×2` and the control `ours′` (`ours` compiled again: identical
 * code, an arena and packed weights of its own) alone, in alternating blocks of about 2 × SAMPLE_MS
 * of calls (a GC and a few unmeasured calls before each block), until each has had MIN_ROUNDS blocks
 * and half the budget (at most PHASE_ROUNDS blocks), each round in the next of PHASE_ORDERS (whatever
 * a block leaves — its garbage, a worker still spinning, the caches — falls on every engine alike).
 * ours ÷ ours′ is the A/A control: two engines that cannot differ, measured the way ours ÷ ours×2
 * is, so a table can tell a two-thread ratio of 0.97 from a tie. In the main rounds every sample of `ours×2` follows
 * tfjs's engines (a 300 ms tfjs-cpu call, the worker asleep, the caches full of another engine's
 * arrays); a user running a model call after call does not see that, and its cost falls on the
 * split calls more than on one thread's. The ratio ours ÷ ours×2 is taken from this phase. Each
 * engine first runs alone, unmeasured, for ≥ 250 ms and ≥ 48 calls (at most 1 s): the split policy's
 * choice was made between tfjs's calls, and it follows a change within two or three probes.
 */
const threadsPhase = async (one: Timed, two: Timed, control: Timed): Promise<NonNullable<BatchRun['pair']>> => {
  const calls: [number[], number[], number[]] = [[], [], []]
  const spent = [0, 0, 0]
  const pair = [one, two, control] as const
  // each alone first, ≥ 250 ms and ≥ 48 calls (at most 1 s), not measured: ours×2's split policy has
  // until now seen its calls between tfjs's engines, and takes two or three probes to follow the change
  for (const t of pair) {
    gc()
    const start = performance.now()
    for (let n = 0; ; n++) {
      const ms = performance.now() - start
      if ((ms >= 250 && n >= 48) || ms >= 1000) break
      t.call()
    }
  }
  for (let r = 0; r < PHASE_ROUNDS; r++) {
    if (r >= MIN_ROUNDS && spent.every((ms) => ms >= BUDGET_MS / 2)) break
    for (const k of PHASE_ORDERS[r % PHASE_ORDERS.length] as ReadonlyArray<0 | 1 | 2>) {
      const t = pair[k]
      gc()
      // back to this engine: its arena into the caches, the worker awake (not measured)
      const warm = t.estimate >= 50 ? 1 : Math.max(2, Math.ceil(10 / Math.max(t.estimate, 0.005)))
      for (let i = 0; i < warm; i++) t.call()
      const m = Math.max(1, Math.min(PHASE_BLOCK_CALLS, Math.round((2 * SAMPLE_MS) / Math.max(t.estimate, 0.002))))
      for (let i = 0; i < m; i++) {
        const ms = timed(t.call)
        ;(calls[k] as number[]).push(ms)
        spent[k] = (spent[k] as number) + ms
      }
    }
  }
  return { one: stats(calls[0]), two: stats(calls[1]), control: stats(calls[2]) }
}
/**
 * The order of the two-thread phase's blocks in successive rounds (0 `ours`, 1 `ours×2`, 2 `ours′`):
 * every permutation in turn, so that over six rounds each engine runs first, second and third
 * twice, after each of the others alike.
 */
const PHASE_ORDERS = [
  [0, 1, 2],
  [2, 1, 0],
  [1, 2, 0],
  [0, 2, 1],
  [2, 0, 1],
  [1, 0, 2]
] as const

/** An engine too slow for rounds: a few calls after its warm-up. */
const fewCalls = async (t: Timed): Promise<Stats> => {
  await t.engine.before?.()
  gc()
  const n = quick || t.estimate >= 20_000 ? 1 : 2
  return stats(Array.from({ length: n }, () => timed(t.call)))
}

// -------------------------------------------------------------------------------------
// one model
// -------------------------------------------------------------------------------------

const batchOf = (loaded: LoadedCase, compiled: CompiledModel, size: number): Batch => ({
  size,
  inputs: loaded.input(compiled, size).map((data, i) => ({ shape: [size, ...(compiled.inputShapes[i] ?? [])], data }))
})

const log = (s: string): void => {
  process.stderr.write(`${s}\n`)
}
const f = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d))
const mib = (bytes: number): number => bytes / 2 ** 20

const planInfo = (compiled: CompiledModel, batches: ReadonlyArray<number>): PlanInfo | null => {
  const plan = compiled.plan
  if (plan === null) return null
  const counts = new Map<string, number>()
  for (const s of plan.steps) counts.set(s.kernel, (counts.get(s.kernel) ?? 0) + 1)
  return {
    steps: plan.steps.length,
    rewrites: plan.rewrites.length,
    kernels: [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', '),
    packedMiB: mib(plan.packedWeightBytes),
    peakMiB: batches.map((b) => mib(plan.peakIntermediateBytes(b)))
  }
}

const runChild = (name: string, engine: EngineName): ChildRun | { readonly skip: string } => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', here('./models/child.ts'), name, engine, ...BATCHES.map(String)], {
    cwd: here('..'),
    encoding: 'utf8',
    timeout: 15 * 60_000,
    maxBuffer: 1 << 24
  })
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(line) as ChildRun
  } catch {
    const why = (r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' ')).slice(0, 200)
    return { skip: `child process failed (${why || `exit ${String(r.status)}`})` }
  }
}

const runModel = async (c: ModelCase): Promise<ModelRun> => {
  const loaded = await c.load()
  const ours = oursEngine(loaded, 1)
  const compiled = ours.compiled
  const ours2 = oursEngine(loaded, 2, copyParams(ours.params))
  const control = oursEngine(loaded, 1, copyParams(ours.params))
  const engines: Engine[] = [ours, ours2]
  const skipAll: Partial<Record<EngineName, string>> = {}
  if ('topology' in loaded.tfjs) {
    for (const backend of ['wasm', 'cpu'] as const) {
      try {
        engines.push(await tfjsEngine(backend, loaded.tfjs.topology, compiled, ours.params))
      } catch (e) {
        skipAll[backend === 'wasm' ? 'tfjs-wasm' : 'tfjs-cpu'] = `tfjs-layers: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]?.slice(0, 160) ?? ''}`
      }
    }
  } else {
    skipAll['tfjs-wasm'] = loaded.tfjs.skip
    skipAll['tfjs-cpu'] = loaded.tfjs.skip
  }
  // the float64 oracle: layerspec's per-layer interpreter in float64, same weights, same input
  const refE = compileModel(loaded.model, { dtype: 'float64', interpreter: true, ...(loaded.inputShapes === undefined ? {} : { inputShapes: loaded.inputShapes }) })
  const ref = E.isRight(refE) ? refE.right : undefined
  const params64: ModelParams = ours.params.map((t) => ({ shape: t.shape, data: Float64Array.from(t.data) }))

  const runs: BatchRun[] = []
  const lastMedian = new Map<EngineName, { batch: number; ms: number }>()
  for (const [bi, size] of BATCHES.entries()) {
    const batch = batchOf(loaded, compiled, size)
    const result: Partial<Record<EngineName, EngineRun>> = {}
    for (const [name, why] of Object.entries(skipAll)) result[name as EngineName] = { skip: why }
    // at a larger batch, an engine whose projected call is too long is left out
    const active = engines.filter((e) => {
      const prev = lastMedian.get(e.name)
      const projected = prev === undefined ? 0 : (prev.ms * size) / prev.batch
      if (projected > MAX_CALL_MS) {
        result[e.name] = { skip: `~${(projected / 1000).toFixed(0)} s per call projected from batch ${prev?.batch} (limit ${MAX_CALL_MS / 1000} s, --max-call-s)` }
        return false
      }
      return true
    })
    // first calls: the outputs to check
    const outputs = new Map<EngineName, ReadonlyArray<Float32Array>>()
    const first = new Map<EngineName, number>()
    for (const e of active) {
      await e.before?.()
      gc()
      let out: ReadonlyArray<Float32Array> = []
      first.set(e.name, timed(() => (out = e.run(batch))))
      outputs.set(e.name, out)
    }
    const mine = outputs.get('ours') as ReadonlyArray<Float32Array>
    let f64: ReadonlyArray<ArrayLike<number>> | undefined
    if (bi === 0 && ref !== undefined) {
      f64 = ref.forward(params64, batch.inputs.map((x) => ({ shape: x.shape, data: Float64Array.from(x.data) }))).map((t) => t.data)
    }
    // warm-up, ≥ 250 ms of calls after the first (for a call of 5 s or more the first counts)
    const entries: Timed[] = []
    for (const e of active) {
      await e.before?.()
      const firstMs = first.get(e.name) as number
      const estimate = warmUp(() => e.run(batch), firstMs >= SLOW_MS ? firstMs : 0)
      entries.push({ engine: e, call: () => e.run(batch), estimate })
    }
    if (WAIT_QUIET_S > 0) await waitQuiet(WAIT_QUIET_S)
    const mark = cpuMark()
    const fast = entries.filter((t) => t.estimate < SLOW_MS)
    const measured = await sideBySide(fast)
    const oursT = fast.find((t) => t.engine.name === 'ours')
    const ours2T = fast.find((t) => t.engine.name === 'ours×2')
    // the A/A control: ours compiled again (its own arena and packed weights), timed in the phase as a third engine
    const pair = oursT !== undefined && ours2T !== undefined ? await threadsPhase(oursT, ours2T, { ...oursT, call: () => control.run(batch) }) : undefined
    for (const t of entries.filter((t) => t.estimate >= SLOW_MS)) measured.set(t.engine.name, await fewCalls(t))
    const others = otherCores(mark, cpuMark())
    for (const e of active) {
      const s = measured.get(e.name) as Stats
      lastMedian.set(e.name, { batch: size, ms: s.median })
      const out = outputs.get(e.name) as ReadonlyArray<Float32Array>
      result[e.name] = {
        stats: s,
        firstMs: first.get(e.name) as number,
        ...(e.name === 'ours' ? {} : { err: relToScale(out, mine) }),
        ...(f64 === undefined ? {} : { errF64: relToScale(out, f64) })
      }
    }
    runs.push({ batch: size, engines: result, others, ...(pair === undefined ? {} : { pair }) })
    log(
      `  batch ${size}: ${ENGINE_NAMES.map((n) => {
        const r = result[n]
        return r?.stats === undefined ? `${n} skipped` : `${n} ${f(r.stats.median)} ms${r.err === undefined ? '' : ` (${r.err.toExponential(1)})`}`
      }).join(', ')}; other processes ${f(others)} cores${pair === undefined ? '' : `; two-thread phase ${f(pair.one.median)} / ${f(pair.two.median)} / ${f(pair.control.median)} ms`}`
    )
  }
  const plan = planInfo(compiled, BATCHES)
  for (const e of engines) e.dispose()
  const medians = new Map(ENGINE_NAMES.map((n) => [n, runs[runs.length - 1]?.engines[n]?.stats?.median] as const))
  const children: ModelRun['children'] = {}
  if (rss) {
    for (const n of ENGINE_NAMES) {
      const ms = medians.get(n)
      if (skipAll[n] !== undefined) continue
      if (ms === undefined) children[n] = { skip: `not run at batch ${BATCHES[BATCHES.length - 1]}` }
      else if (ms > CHILD_MAX_MS) children[n] = { skip: `${(ms / 1000).toFixed(0)} s per call at batch ${BATCHES[BATCHES.length - 1]}` }
      else children[n] = runChild(c.name, n)
    }
  }
  return {
    c,
    params: compiled.summary.params,
    macs: macsPerSample(compiled),
    compileMs: ours.buildMs,
    weightSource: loaded.weightSource,
    tfjsHow: 'topology' in loaded.tfjs ? loaded.tfjs.how : `— (${loaded.tfjs.skip})`,
    notes: loaded.notes,
    runs,
    children,
    plan
  }
}

// -------------------------------------------------------------------------------------
// report
// -------------------------------------------------------------------------------------

const geomean = (xs: ReadonlyArray<number>): number => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length)
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US')
const mflopAt = (m: ModelRun, batch: number): number => (2 * m.macs * batch) / 1e6
const fmtMs = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3))

type Ratio = readonly [
  label: string,
  fn: (r: BatchRun, m: ModelRun) => number | undefined,
  target: string,
  subset?: ((r: BatchRun, m: ModelRun) => boolean) | undefined,
  /** The target's least geomean, when it has one: a geomean that rounds to it from below is printed with 3 decimals. */
  least?: number
]

const med = (r: BatchRun, n: EngineName): number | undefined => r.engines[n]?.stats?.median

const RATIOS: ReadonlyArray<Ratio> = [
  ['tfjs-wasm ÷ ours', (r) => ratio(med(r, 'tfjs-wasm'), med(r, 'ours')), 'geomean ≥ 1.5, none < 1.0', undefined, 1.5],
  ['tfjs-cpu ÷ ours', (r) => ratio(med(r, 'tfjs-cpu'), med(r, 'ours')), ''],
  ['ours ÷ ours×2', (r) => twoThreads(r), 'never < 1.0 (2 threads never slower)'],
  ['ours ÷ ours×2, ≥ 200 MFLOP per forward', (r) => twoThreads(r), '≥ 1.6', (r, m) => mflopAt(m, r.batch) >= 200, 1.6],
  [
    'ours ÷ ours′ (A/A control)',
    (r) => (r.pair === undefined ? undefined : ratio(r.pair.one.median, r.pair.control.median)),
    'none: identical code (`ours` compiled twice), timed in the two-thread phase like ours×2 — how far from 1.0 a ratio of two of its medians reads by chance'
  ]
]

/** The ratios with a column of their own in the per-batch tables (all but the ≥ 200 MFLOP subset). */
const COLUMNS = RATIOS.filter((r) => r[3] === undefined)

/** ours ÷ ours×2: from the two-thread phase, or (an engine too slow for it) the main rounds. */
function twoThreads(r: BatchRun): number | undefined {
  return r.pair !== undefined ? ratio(r.pair.one.median, r.pair.two.median) : ratio(med(r, 'ours'), med(r, 'ours×2'))
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) ? undefined : a / b
}

const disagreements = (r: BatchRun): string[] =>
  ENGINE_NAMES.flatMap((n) => {
    const e = r.engines[n]?.err
    return e !== undefined && !(e <= TOLERANCE) ? [`${n} ${e.toExponential(1)}`] : []
  })

const batchTable = (models: ReadonlyArray<ModelRun>, batch: number): string[] => {
  const head = ['model', 'params', 'MFLOP', 'ours ms', 'ours×2 ms', 'tfjs-wasm ms', 'tfjs-cpu ms', 'two-thread phase: ours / ours×2 / ours′ ms', 'tfjs-wasm ÷ ours', 'tfjs-cpu ÷ ours', 'ours ÷ ours×2', 'ours ÷ ours′ (A/A)', 'ours first call ms', 'other processes (cores)', 'outputs agree']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const m of models) {
    const r = m.runs.find((x) => x.batch === batch)
    if (r === undefined) continue
    const cell = (n: EngineName): string => {
      const e = r.engines[n]
      if (e?.stats === undefined) return '—'
      return `${fmtMs(e.stats.median)} (${e.stats.n < 3 ? `${e.stats.n} call${e.stats.n === 1 ? '' : 's'}` : fmtMs(e.stats.p90)})`
    }
    const bad = disagreements(r)
    const cells = [
      m.c.name,
      thousands(m.params),
      f(mflopAt(m, batch), 1),
      cell('ours'),
      cell('ours×2'),
      cell('tfjs-wasm'),
      cell('tfjs-cpu'),
      r.pair === undefined ? '— (main rounds)' : `${fmtMs(r.pair.one.median)} / ${fmtMs(r.pair.two.median)} / ${fmtMs(r.pair.control.median)}`,
      ...COLUMNS.map(([, fn]) => f(fn(r, m))),
      f(r.engines.ours?.firstMs),
      f(r.others, 1),
      bad.length === 0 ? '✓' : `✗ ${bad.join(', ')}`
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  // the ratio columns' geometric mean and slowest model
  const per = COLUMNS.map(([, fn]) =>
    models.flatMap((m) => {
      const r = m.runs.find((x) => x.batch === batch)
      const v = r === undefined ? undefined : fn(r, m)
      return v === undefined ? [] : [{ m, v }]
    })
  )
  const blank = ['', '', '', '', '', '', '']
  lines.push(`| **geomean** | ${[...blank, ...per.map((vs) => (vs.length === 0 ? '—' : `**${f(geomean(vs.map((x) => x.v)))}**`)), '', '', ''].join(' | ')} |`)
  lines.push(
    `| **slowest** | ${[...blank, ...per.map((vs) => (vs.length === 0 ? '—' : ((w) => `${w.m.c.name} ${f(w.v)}`)(vs.reduce((a, x) => (x.v < a.v ? x : a))))), '', '', ''].join(' | ')} |`
  )
  return lines
}

const summaryTable = (models: ReadonlyArray<ModelRun>): string[] => {
  const head = ['ratio (time ÷ time)', ...BATCHES.flatMap((b) => [`batch ${b}: geomean (models)`, `batch ${b}: slowest`]), 'target (issue 12)']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const [label, fn, target, subset, least] of RATIOS) {
    const cells = BATCHES.flatMap((b) => {
      const vals = models.flatMap((m) => {
        const r = m.runs.find((x) => x.batch === b)
        if (r === undefined || (subset !== undefined && !subset(r, m))) return []
        const v = fn(r, m)
        return v === undefined ? [] : [{ m, v }]
      })
      if (vals.length === 0) return ['—', '—']
      const worst = vals.reduce((a, x) => (x.v < a.v ? x : a))
      const best = vals.reduce((a, x) => (x.v > a.v ? x : a))
      const range = label.includes('A/A') ? ` (fastest: ${best.m.c.name} ${f(best.v)})` : ''
      const g = geomean(vals.map((x) => x.v))
      // 1.596 is not ≥ 1.6: where two decimals would round a geomean up to its target, three
      const shown = least !== undefined && g < least && Number(f(g)) >= least ? g.toFixed(3) : f(g)
      return [`${shown} (${vals.length})`, `${worst.m.c.name} ${f(worst.v)}${range}`]
    })
    lines.push(`| ${label} | ${cells.join(' | ')} | ${target} |`)
  }
  return lines
}

const childTable = (models: ReadonlyArray<ModelRun>): string[] => {
  const big = BATCHES[BATCHES.length - 1] as number
  const head = [
    'model',
    'ours compile ms',
    ...BATCHES.map((b) => `ours first call b${b} ms`),
    `ours warm b${BATCHES[0]} ms`,
    `tfjs-wasm build + first call b${BATCHES[0]} ms`,
    'weights MiB',
    ...ENGINE_NAMES.map((n) => `${n} peak RSS MiB`)
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const m of models) {
    const ours = m.children.ours
    const wasm = m.children['tfjs-wasm']
    const ok = (c: ChildRun | { readonly skip: string } | undefined): c is ChildRun => c !== undefined && !('skip' in c)
    const rssCell = (n: EngineName): string => {
      const c = m.children[n]
      if (!ok(c)) return '—'
      return `${f(Math.max(0, c.peakMiB - c.baselineMiB - c.weightsMiB), 0)}`
    }
    const cells = [
      m.c.name,
      ok(ours) ? f(ours.buildMs, 1) : '—',
      ...BATCHES.map((_, i) => (ok(ours) ? f(ours.firstMs[i]) : '—')),
      f(m.runs[0]?.engines.ours?.stats?.median),
      ok(wasm) ? f(wasm.buildMs + (wasm.firstMs[0] ?? NaN), 1) : '—',
      ok(ours) ? f(ours.weightsMiB, 1) : '—',
      ...ENGINE_NAMES.map(rssCell)
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  lines.push(
    '',
    `Peak RSS: the engine's own, at batch ${big}: the child's peak above its baseline (libraries and model file loaded, after a GC), less the weights as JS arrays (\`weights MiB\`, the user's copy). \`ours compile\` and \`first call\` are cold (nothing of layerspec ran in that process before). \`—\`: not measured (see the notes).`
  )
  return lines
}

const agreementTable = (models: ReadonlyArray<ModelRun>): string[] => {
  const others: ReadonlyArray<EngineName> = ['ours×2', 'tfjs-wasm', 'tfjs-cpu']
  const head = ['model', ...BATCHES.flatMap((b) => others.map((n) => `b${b}: ${n} vs ours`)), ...ENGINE_NAMES.map((n) => `b${BATCHES[0]}: ${n} vs float64`)]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  const e = (v: number | undefined): string => (v === undefined ? '—' : `${v.toExponential(1)}${v <= TOLERANCE ? '' : ' ✗'}`)
  const e64 = (v: number | undefined): string => (v === undefined ? '—' : v.toExponential(1))
  for (const m of models) {
    const cells = [m.c.name, ...BATCHES.flatMap((b) => others.map((n) => e(m.runs.find((r) => r.batch === b)?.engines[n]?.err))), ...ENGINE_NAMES.map((n) => e64(m.runs[0]?.engines[n]?.errF64))]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines
}

const planTable = (models: ReadonlyArray<ModelRun>): string[] => {
  const head = ['model', 'steps', 'rewrites', 'kernels (steps)', 'packed weights MiB', ...BATCHES.map((b) => `peak intermediates b${b} MiB`)]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const m of models) {
    const p = m.plan
    lines.push(`| ${[m.c.name, p === null ? '—' : String(p.steps), p === null ? '—' : String(p.rewrites), p?.kernels ?? '(interpreter)', f(p?.packedMiB), ...BATCHES.map((_, i) => f(p?.peakMiB[i]))].join(' | ')} |`)
  }
  return lines
}

const report = (
  models: ReadonlyArray<ModelRun>,
  failed: ReadonlyArray<Failed>,
  elapsedS: number,
  loadStart: number,
  probes: readonly [CoreProbe, CoreProbe] | undefined
): string => {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  const command = `npm run bench:models${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`
  const notes: string[] = []
  for (const s of SKIPPED) notes.push(`- ${s.name} (${s.source}): not run: ${s.reason}.`)
  for (const x of failed) notes.push(`- ${x.c.name}: FAILED: ${x.error}`)
  for (const m of models) {
    const parts = [`weights ${m.weightSource}`, `tfjs reads ${m.tfjsHow}`, ...m.notes]
    for (const r of m.runs) for (const n of ENGINE_NAMES) if (r.engines[n]?.skip !== undefined) parts.push(`${n} at batch ${r.batch}: ${r.engines[n]?.skip}`)
    for (const n of ENGINE_NAMES) {
      const c = m.children[n]
      if (c !== undefined && 'skip' in c) parts.push(`${n} child process: ${c.skip}`)
    }
    notes.push(`- ${m.c.name} (${m.c.source}: ${m.c.what}): ${parts.join('; ')}.`)
  }
  const resets = models.flatMap((m) => Object.values(m.children)).filter((c): c is ChildRun => c !== undefined && !('skip' in c))
  return [
    '## Models',
    '',
    `${when} · Node ${process.version} · ${mallocNote()} · ${cpu} × ${os.availableParallelism()} · \`${command}\` · ${(elapsedS / 60).toFixed(1)} min · load average (1 min) ${loadStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? NaN).toFixed(1)} at the end (above ~1: other processes shared the cores)`,
    '',
    ...(probes === undefined
      ? []
      : [
          `Cores (bench/cores.ts: the same one-thread layers pinned to each CPU in turn; the host may give the two vCPUs different speeds, and change them within minutes): at the start, ${describeProbe(probes[0])}. At the end, ${describeProbe(probes[1])}.`,
          ''
        ]),
    'Whole models, side by side in one process: `ours` = layerspec `compileModel(model, { threads: 1 })` (every other option its default), `ours×2` = `{ threads: 2 }`, tfjs-layers 4.22 on `tfjs-backend-wasm` (1 thread) and on `tfjs-backend-cpu`, each loaded from the same model JSON with the same weights assigned by name and run on the same input. A call goes from JS Float32Arrays in to JS Float32Arrays out (`forward`; tfjs: tensors from the arrays, `predict`, `dataSync`). Outputs are checked first (max |a − b| / max |b| against `ours`; ✗ above 1e-5, the tolerance of spec/compiler/tfjs-differential.spec.ts). Each engine is warmed ≥ 250 ms, then timed in rounds in which every engine runs one sample (~20 ms of calls, a GC before each), each call timed: ms = median (90th percentile) over the calls, or the number of calls for an engine timed over fewer than 3. Then the two-thread phase: `ours`, `ours×2` and `ours′` (the A/A control: `ours` compiled a second time, same options, its own arena and packed weights) alone, each first run unmeasured for ≥ 250 ms and ≥ 48 calls (at most 1 s; the split policy follows the change from the main rounds within two or three probes), then in alternating blocks of ~40 ms of calls (a GC and a few unmeasured calls before each block; each round in the next of the six orders of the three, up to 16 blocks each until half an engine\'s 8 s budget, at least 3): in the main rounds every `ours×2` sample follows tfjs\'s engines (a worker asleep, caches full of another engine\'s arrays), which a user running a model call after call does not see; **ours ÷ ours×2 is the two-thread phase\'s ratio of medians** (the phase\'s medians in their own column; for an engine of ≥ 5 s a call, the main rounds\'), and **ours ÷ ours′ the same ratio for identical code**: its spread over the models is how far from 1.0 this bench reads a tie. Ratios are a time divided by a time (> 1: `ours` is faster; ours ÷ ours×2 > 1: two threads help). MFLOP = 2 × the multiply-adds of the Conv2D, DepthwiseConv2D and Dense calls per forward.',
    '`other processes`: the cores that other processes kept busy while the row was timed (`/proc/stat` less the CPU time of this process, all its threads), out of ' +
      `${os.availableParallelism()}: rows timed beside other work are noisier, the two-thread figures most. ` +
      '`ours first call`: its first forward after `compileModel` with a fresh params object (weights packed, memory planned) at the first batch size, its first at the new batch size after that, in this process.',
    '',
    ...summaryTable(models),
    '',
    ...BATCHES.flatMap((b) => [`### Batch ${b}`, '', ...batchTable(models, b), '']),
    ...(rss
      ? [
          '### First call and memory, each engine alone in a child process',
          '',
          `In the shared process every engine's memory stays mapped after its turn (tfjs-wasm's heap never shrinks, V8 and glibc keep what they grew), so an engine's RSS there depends on who ran before; each engine therefore also runs alone in a fresh process (bench/models/child.ts), which loads its libraries and the model file, collects garbage, resets the kernel's peak-RSS mark (\`/proc/self/clear_refs\`${resets.some((c) => !c.peakReset) ? '; not possible on some runs, which then report the process-lifetime peak' : ''}), builds the engine, makes the weights and the input, its first calls (cold: nothing of it ran before in that process) and warm calls for ≥ 250 ms at batch ${BATCHES[BATCHES.length - 1]}.`,
          '',
          ...childTable(models),
          ''
        ]
      : []),
    '### What the compiler did (`compiled.plan`)',
    '',
    ...planTable(models),
    '',
    '### Agreement',
    '',
    `max |a − b| / max |b|: against \`ours\` (✗ above ${TOLERANCE.toExponential(0)}), and at batch ${BATCHES[0]} against layerspec's per-layer interpreter in float64 (same weights and input) to tell which engine is off when two disagree.`,
    '',
    ...agreementTable(models),
    '',
    '### Notes',
    '',
    ...notes,
    ''
  ].join('\n')
}

// -------------------------------------------------------------------------------------
// run
// -------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  withSteadyMalloc()
  const t0 = performance.now()
  const loadStart = os.loadavg()[0] ?? NaN
  const probeStart = coreProbe ? probeCores() : undefined
  if (probeStart !== undefined) log(`cores at the start: ${describeProbe(probeStart)}`)
  const names = new Set(CASES.map((c) => c.name))
  const missing = only.filter((n) => !names.has(n))
  if (missing.length > 0) {
    console.error(`bench:models: no model ${missing.join(', ')}; models: ${[...names].join(', ')}`)
    process.exit(2)
  }
  const cases = CASES.filter((c) => (only.length > 0 ? only.includes(c.name) : !quick || c.quick))
  const models: ModelRun[] = []
  const failed: Failed[] = []
  for (const c of cases) {
    log(`${c.name} (${c.source})`)
    try {
      models.push(await runModel(c))
    } catch (e) {
      const error = e instanceof Error ? e.message.split('\n')[0]?.slice(0, 300) ?? '' : String(e)
      log(`  FAILED: ${error}`)
      failed.push({ c, error })
    }
    gc()
  }
  const probeEnd = coreProbe ? probeCores() : undefined
  if (probeEnd !== undefined) log(`cores at the end: ${describeProbe(probeEnd)}`)
  const md = report(models, failed, (performance.now() - t0) / 1000, loadStart, probeStart !== undefined && probeEnd !== undefined ? [probeStart, probeEnd] : undefined)
  console.log(md)
  if (write) {
    const path = here('../BENCHMARKS.md')
    writeFileSync(path, replaceModelsSection(path, md))
    log('BENCHMARKS.md: "Models" section written')
  }
  if (failed.length > 0) process.exitCode = 1
}

await main()
process.exit()
