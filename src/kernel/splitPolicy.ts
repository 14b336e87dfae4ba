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
 *   a first choice made on one cold sample each is corrected as the probes refill the window);
 * - then each call runs the way whose trimmed mean over its last `window` measured calls is lower (one
 *   thread unless the split is faster by `margin`), except the last two calls of every `probeEvery`
 *   (31: a prime, so that the probes do not fall in step with a collection every 8 or 16 calls — with
 *   a period of 32 a scavenge every 8 forwards fell on every measured probe), which run the other
 *   way, so that a change of the machine is seen. The trimmed mean (the slowest quarter of the kept
 *   calls dropped, the rest averaged): not the fastest — on this machine a split call is often either
 *   fast or slow (the second core given or not), and choosing by the fastest picked splitting for
 *   F.json at batch 1 whose typical split call was 13 % slower —, and not the median of a few calls,
 *   which a collection every few calls can land on (I.json kept on one thread at 1.5× slower).
 *
 * Which way a call runs changes no arithmetic (a split is bit-identical to one thread), only its
 * time. The state is per batch size (a model runs one batch size call after call).
 */

/** Tuning of a {@link SplitPolicy}. */
export interface SplitPolicyOptions {
  /** Measured calls each way kept, whose trimmed mean is compared (default 8). */
  readonly window?: number
  /** Measured calls each way before the first choice (default 1). */
  readonly warmup?: number
  /** Every this many calls, two run the way not chosen (default 31). */
  readonly probeEvery?: number
  /** The split is chosen when its trimmed mean is below one thread's × (1 − margin) (default 0.03). */
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
  const probeEvery = Math.max(4, Math.floor(options.probeEvery ?? 31))
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
  const sorted = new Float64Array(window)
  const trimmedMean = (ring: Float64Array, count: number): number => {
    const n = Math.min(count, window)
    for (let i = 0; i < n; i++) {
      // insertion into sorted[0, i)
      const v = ring[i] as number
      let j = i
      for (; j > 0 && (sorted[j - 1] as number) > v; j--) sorted[j] = sorted[j - 1] as number
      sorted[j] = v
    }
    // the slowest quarter dropped (none of one call, the slower of two), the rest averaged
    const keep = Math.max(1, n - Math.ceil(n / 4))
    let sum = 0
    for (let i = 0; i < keep; i++) sum += sorted[i] as number
    return sum / keep
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
      if (s.counts[0] > 0 && s.counts[1] > 0) s.chosen = trimmedMean(s.times[1], s.counts[1]) < trimmedMean(s.times[0], s.counts[0]) * (1 - margin)
    }
  }
}
