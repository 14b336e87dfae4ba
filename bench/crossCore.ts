/**
 * How long a cache line takes to go from one core to the other and back: the calling thread and a
 * worker take turns storing into one shared Int32 (each spins until it sees the other's store), so
 * a round trip is two transfers of the line between the cores.
 *
 * Why: data one thread writes and the other reads crosses this (a split step's worker reading rows
 * the calling thread wrote in an unsplit step before). On the 2-vCPU VM the benches ran on, a round
 * trip took 430-530 ns (2026-12-07 21:00) — several times what two cores sharing an L3 take: the two
 * vCPUs share no cache close by. bench:cores and bench:models's header print it.
 */
import { Worker } from 'node:worker_threads'

/** The worker: answers each odd value with the next even one; stops at a negative one. */
const ECHO = `
const { workerData } = require('node:worker_threads')
const a = new Int32Array(workerData)
for (;;) {
  const v = Atomics.load(a, 0)
  if (v < 0) break
  if ((v & 1) === 1) Atomics.store(a, 0, v + 1)
}
`

/** Median ns of a round trip over `rounds` runs of `trips` round trips each (after one unmeasured run). */
export const crossCoreRoundTrip = async (trips = 100_000, rounds = 5): Promise<number> => {
  const a = new Int32Array(new SharedArrayBuffer(64))
  const w = new Worker(ECHO, { eval: true, workerData: a.buffer })
  try {
    const ns: number[] = []
    for (let r = 0; r <= rounds; r++) {
      // values keep rising from run to run: the worker never sees a stale odd value twice
      const base = 2 * r * trips
      const t0 = performance.now()
      for (let i = 0; i < trips; i++) {
        const v = base + 2 * i
        Atomics.store(a, 0, v + 1)
        while (Atomics.load(a, 0) !== v + 2);
      }
      if (r > 0) ns.push(((performance.now() - t0) / trips) * 1e6)
    }
    ns.sort((x, y) => x - y)
    return ns[ns.length >> 1] as number
  } finally {
    Atomics.store(a, 0, -1)
    await w.terminate()
  }
}

if (process.argv[1] !== undefined && (await import('node:url')).fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify({ roundTripNs: await crossCoreRoundTrip() }))
  process.exit(0)
}
