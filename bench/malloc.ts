/**
 * The benches' allocator setting, the same for every engine.
 *
 * Every engine's call returns a fresh array (layerspec's `forward`, tfjs's `dataSync`, onnxruntime's
 * `session.run`), and glibc hands a freed multi-MB block back to the OS (an mmap'd block at once, the
 * heap's top once it passes the trim threshold), so the next call's result is mapped anew and faults
 * once per 4 KB page as it is written. On this VM a fault costs ~10 µs: a 0.6 ms convolution with a
 * 1.6 MB output (mobilenet-stem) took 4.5 ms, 384 faults a call, in some processes and some samples
 * and not in others — noise of 1-7× that had nothing to do with the engines. A long-running program's
 * allocator keeps its heap; the benches make that explicit by running with glibc's thresholds fixed
 * (blocks up to 32 MiB from the heap, no trimming), set through `GLIBC_TUNABLES` by re-running the
 * bench under it (ignored where the C library is not glibc).
 */
import { spawnSync } from 'node:child_process'

/** mmap threshold 32 MiB (glibc's largest), trim threshold 4 GiB. */
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296'

const active = (): boolean => (process.env['GLIBC_TUNABLES'] ?? '').includes('glibc.malloc.trim_threshold=')

/**
 * Call first in a bench's entry point: when the tunables are not set, runs this same command again
 * with them (same node flags and arguments, output inherited) and exits with its status.
 */
export const withSteadyMalloc = (): void => {
  if (active()) return
  const prior = process.env['GLIBC_TUNABLES']
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: prior === undefined || prior === '' ? MALLOC_TUNABLES : `${prior}:${MALLOC_TUNABLES}` }
  })
  if (r.error !== undefined) throw r.error
  process.exit(r.status ?? 1)
}

/** For a report's header: the allocator setting in effect. */
export const mallocNote = (): string => (active() ? 'glibc malloc: mmap threshold 32 MiB, no trim (bench/malloc.ts)' : 'glibc malloc defaults')
