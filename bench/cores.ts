/**
 * How fast each core of this machine is, alone: the same one-thread work pinned to each CPU in turn
 * (`taskset -c K`, a child process per CPU: bench/coreProbe.ts), so that a benchmark's two-thread
 * ratios can be read against what the two cores can give.
 *
 * Why: on the 2-vCPU VMs the benches run on, the two vCPUs are not equally fast. At 19:25 on
 * 2026-12-07 a one-thread dilated 3×3 layer took 4.7 ms pinned to CPU 0 and 9.1 ms pinned to CPU 1,
 * the Winograd and pointwise layers 1.3× longer, a 64 MB copy 1.3-1.5× — while a loop of SIMD
 * multiply-adds on registers ran within 3 % on both (the host shares something of CPU 1 with other
 * work: its caches or memory path, not its arithmetic). Two threads sharing work perfectly then do
 * at most 1 + fast/slow times the work of the faster core alone (Winograd: 1 + 1/1.33 = 1.75), and
 * a model's one-thread time depends on which CPU its thread ran on.
 *
 * Also the round trip of a cache line between two threads (bench/crossCore.ts): 430-530 ns on that VM,
 * several times what two cores sharing an L3 take.
 *
 * `npm run bench:cores` prints the probe; bench:models puts it in its header (at its start and end).
 * Run under the benches' allocator setting (bench/malloc.ts), which the children inherit.
 */
import { spawnSync } from 'node:child_process'
import * as os from 'node:os'
import { fileURLToPath } from 'node:url'
import { withSteadyMalloc } from './malloc.js'

/** One CPU's times (ms, median), one thread pinned to it. */
export interface CoreTimes {
  readonly cpu: number
  /** A 56×56×64 → 64 dilated 3×3 Conv2D on the tiled kernel, one call. */
  readonly tiled: number
  /** The same without dilation, on the Winograd kernel. */
  readonly winograd: number
  /** A 28×28×256 → 256 1×1 Conv2D (pointwise kernel). */
  readonly pointwise: number
  /** 50 M iterations of 12 independent f32x4 multiply-adds on registers (no memory). */
  readonly registers: number
}

/**
 * The probe's result: every CPU's times and the cross-core round trip of a cache line (ns,
 * bench/crossCore.ts; absent where it could not run), or why it did not run.
 */
export type CoreProbe = { readonly cores: ReadonlyArray<CoreTimes>; readonly roundTripNs?: number } | { readonly skip: string }

const probeScript = fileURLToPath(new URL('./coreProbe.ts', import.meta.url))
const crossCoreScript = fileURLToPath(new URL('./crossCore.ts', import.meta.url))

/** The cross-core round trip in a child process (not pinned: its two threads on two CPUs), or `undefined`. */
const roundTrip = (): number | undefined => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', crossCoreScript], { encoding: 'utf8', timeout: 60_000 })
  try {
    const v = (JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { roundTripNs?: unknown }).roundTripNs
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined
  } catch {
    return undefined
  }
}

/** Runs the probe pinned to each CPU in turn (`taskset`; Linux). */
export const probeCores = (): CoreProbe => {
  const n = os.availableParallelism()
  const cores: CoreTimes[] = []
  for (let cpu = 0; cpu < n; cpu++) {
    const r = spawnSync('taskset', ['-c', String(cpu), process.execPath, '--import', 'tsx', probeScript], { encoding: 'utf8', timeout: 120_000 })
    if (r.error !== undefined) return { skip: `taskset could not run (${r.error.message})` }
    const line = r.stdout.trim().split('\n').pop() ?? ''
    try {
      cores.push({ cpu, ...(JSON.parse(line) as Omit<CoreTimes, 'cpu'>) })
    } catch {
      return { skip: `the probe on CPU ${cpu} failed (${(r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`).slice(0, 160)})` }
    }
  }
  const rt = n >= 2 ? roundTrip() : undefined
  return rt === undefined ? { cores } : { cores, roundTripNs: rt }
}

const KINDS = ['tiled', 'winograd', 'pointwise', 'registers'] as const

/** One line: each CPU's times, the slowest ÷ the fastest per kind, and what that leaves two threads. */
export const describeProbe = (p: CoreProbe): string => {
  if ('skip' in p) return `core probe not run: ${p.skip}`
  const fmt = (v: number): string => (v >= 10 ? v.toFixed(0) : v.toFixed(2))
  const each = p.cores.map((c) => `CPU ${c.cpu} ${KINDS.map((k) => `${k} ${fmt(c[k])}`).join(' · ')} ms`).join('; ')
  const spread = KINDS.map((k) => {
    const ts = p.cores.map((c) => c[k])
    return `${k} ${(Math.max(...ts) / Math.min(...ts)).toFixed(2)}`
  }).join(', ')
  const w = p.cores.map((c) => c.winograd)
  const cap = p.cores.length < 2 ? '' : `; two threads sharing Winograd work perfectly: at most ${w.reduce((a, t) => a + Math.min(...w) / t, 0).toFixed(2)}× the faster core alone`
  const rt = p.roundTripNs === undefined ? '' : `; a cache line from one core to the other and back: ${p.roundTripNs.toFixed(0)} ns`
  return `one thread pinned to each CPU (taskset): ${each}; slowest ÷ fastest: ${spread}${cap}${rt}`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // the layers' 800 KB results would otherwise be mapped afresh by every call (bench/malloc.ts); the
  // children inherit the setting
  withSteadyMalloc()
  console.log(describeProbe(probeCores()))
}
