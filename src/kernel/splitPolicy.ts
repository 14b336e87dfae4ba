/**
 * Whether a call that may split over the worker threads does, decided from the times of its own calls.
 *
 * The break-even of a split is not a constant of the geometry on a 2-core virtual machine: the same
 * model, in two processes started a minute apart, ran 1.6× faster with two threads in one and 1.6×
 * slower in the other (bench:models, K.json at batch 1), and two independent single-threaded
 * processes at times slowed each other by 1.5×: the host does not always give the second core. A
 * threshold fixed at compile time (the multiply-adds below which a call never splits) keeps the
 * calls that cannot win on one thread; above it, each call site measures both ways and keeps the
 * faster, the way autotuners do (FFTW's plans, ATLAS), but at run time, because the machine changes:
 *
 * - a change of way costs a call (the worker wakes, the caches refill): the first call after a
 *   change is never measured, nor are the first two calls of all (packing, V8's baseline code);
 * - then pairs of calls each way in turn, in the order split, one, one, split (so that a trend — V8
 *   still tiering the code up — weighs on both alike): `warmup` measured calls each way (default 1:
 *   six calls in all, split, split, one, one after the two unmeasured; bench:models gives a model of
 *   200 ms per forward a dozen calls, and a longer warm-up half on one thread would be most of them —
 *   a first choice made on one cold sample each is corrected by the next probes, as the fastest of
 *   the kept calls only falls);
 * - then each call runs the way whose fastest of its last `window` measured calls is faster (one
 *   thread unless the split is faster by `margin`), except two calls in every `probeEvery`, which
 *   run the other way, so that a change of the machine is seen. The fastest, not the median: the
 *   slow calls are the collector's and the machine's (a scavenge every few forwards landed on the
 *   measured split calls of the warm-up and made a 1.5× faster split look slower), and a machine
 *   that stops giving the second core slows every split call, the fastest included.
 *
 * Which way a call runs changes no arithmetic (a split is bit-identical to one thread), only its
 * time. The state is per batch size (a model runs one batch size call after call).
 */

/** Tuning of a {@link SplitPolicy}. */
export interface SplitPolicyOptions {
  /** Measured calls each way kept, the fastest of which is compared (default 8). */
  readonly window?: number
  /** Measured calls each way before the first choice (default 1). */
  readonly warmup?: number
  /** Every this many calls, two run the way not chosen (default 32). */
  readonly probeEvery?: number
  /** The split is chosen when its fastest is below one thread's fastest × (1 − margin) (default 0.03). */
  readonly margin?: number
}

/** One call site's choice, call after call: `split(batch)` before a call, `record(...)` after it. */
export interface SplitPolicy {
  /** Whether the next call at this batch size splits. */
  readonly split: (batch: number) => boolean
  /** The time the call just made took (ms), and whether it split. */
  readonly record: (batch: number, split: boolean, ms: number) => void
}

interface BatchState {
  calls: number
  readonly times: readonly [Float64Array, Float64Array] // [one thread, split], rings of `window`
  readonly counts: [number, number]
  chosen: boolean
}

/** Calls at the start that are never measured. */
const SKIP = 2

/** A {@link SplitPolicy} that measures and keeps the faster way (see the module comment). */
export const adaptiveSplit = (options: SplitPolicyOptions = {}): SplitPolicy => {
  const window = Math.max(1, Math.floor(options.window ?? 8))
  const probeEvery = Math.max(4, Math.floor(options.probeEvery ?? 32))
  const margin = options.margin ?? 0.03
  const warm = 4 * Math.max(1, Math.floor(options.warmup ?? 1))
  const states = new Map<number, BatchState>()
  const stateOf = (batch: number): BatchState => {
    let s = states.get(batch)
    if (s === undefined) {
      s = { calls: 0, times: [new Float64Array(window), new Float64Array(window)], counts: [0, 0], chosen: true }
      states.set(batch, s)
    }
    return s
  }
  /** Call `c`'s way and whether its time is measured. */
  const schedule = (s: BatchState, c: number): readonly [boolean, boolean] => {
    if (c < SKIP) return [true, false]
    const w = c - SKIP
    // blocks of four: split, split, one, one — then one, one, split, split (ABBA: a time trend, V8
    // still tiering up, weighs on both ways alike)
    if (w < warm) return [((w >> 2) & 1) === 0 ? (w & 2) === 0 : (w & 2) !== 0, (w & 1) === 1]
    const p = (w - warm) % probeEvery
    // the last two calls of each period the other way, then back (the first call of each way unmeasured)
    return p >= probeEvery - 2 ? [!s.chosen, p === probeEvery - 1] : [s.chosen, p !== 0]
  }
  const fastest = (ring: Float64Array, count: number): number => {
    let m = Infinity
    for (let i = 0; i < Math.min(count, window); i++) m = Math.min(m, ring[i] as number)
    return m
  }
  return {
    split: (batch) => {
      const s = stateOf(batch)
      return schedule(s, s.calls)[0]
    },
    record: (batch, split, ms) => {
      const s = stateOf(batch)
      const [way, measured] = schedule(s, s.calls)
      s.calls++
      // a call that ran another way than scheduled (a profiled call in between) is not measured
      if (!measured || way !== split) return
      const k = split ? 1 : 0
      ;(s.times[k] as Float64Array)[s.counts[k] % window] = ms
      s.counts[k]++
      if (s.counts[0] > 0 && s.counts[1] > 0) s.chosen = fastest(s.times[1], s.counts[1]) < fastest(s.times[0], s.counts[0]) * (1 - margin)
    }
  }
}
