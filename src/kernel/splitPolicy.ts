/**
 * Whether a call that may split over the worker threads does, decided from the times of its own calls.
 *
 * The break-even of a split is not a constant of the geometry on a 2-core virtual machine: the same
 * model, in two processes started a minute apart, ran 1.6× faster with two threads in one and 1.6×
 * slower in the other (bench:models, K.json at batch 1), and two independent single-threaded
 * processes at times slowed each other by 1.5×: the host does not always give the second core. A
 * threshold fixed at compile time (the multiply-adds below which a call never splits) keeps the
 * calls that cannot win on one thread; above it, the compiler's choice — split — is the prior, and
 * each call site checks it against its own measured calls, the way autotuners do (FFTW's plans,
 * ATLAS), but at run time, because the machine changes:
 *
 * - the calls start split (the prior: on a quiet machine most models above the thresholds are
 *   faster split — `split: 'always'` against `threads: 1`: every model of 200 MFLOP and more at
 *   batch 8 by 1.5-1.9×; some small ones at batch 1 are slower, which the first check catches); the first
 *   `SKIP` calls are not measured (packing, V8's baseline code), nor is the first call after a change
 *   of way (the worker wakes, the caches refill);
 * - the prior is checked early: the last two of the first `firstProbe` calls (default 8) run on one
 *   thread. An earlier design measured both ways in turn before choosing; a model of 100 ms per
 *   forward, called a dozen times (bench:models's budget, or a user's short run), then spent half of
 *   its calls on the slower way, and the two-thread medians came out equal to one thread's
 *   (resnet50 at batch 8: 1.01 adaptive, 1.50 with every call split);
 * - then each call runs the way whose fastest of its last `window` (32) measured calls is faster (one
 *   thread unless the split is faster by `margin`), except two calls in every `probeEvery`, which
 *   run the other way, so that a change of the machine is seen. The fastest, not the median: the
 *   slow calls are the collector's and the machine's (a scavenge every few forwards landed on the
 *   measured split calls and made a 1.5× faster split look slower), and a machine that stops giving
 *   the second core slows every split call, the fastest included. The window is long (32, was 8)
 *   because the machine has regimes: a one-thread forward of MobileNet at batch 8 ran 3.8 ms for
 *   tens of milliseconds, then 6 ms for as long, in a process alone; eight split calls can all fall
 *   in a slow regime and a single one-thread probe in a fast one (Q.json at batch 1 then ran on one
 *   thread, 8.1 ms, where two threads take 4.1).
 *
 * Which way a call runs changes no arithmetic (a split is bit-identical to one thread), only its
 * time. The state is per batch size (a model runs one batch size call after call).
 */

/** Tuning of a {@link SplitPolicy}. */
export interface SplitPolicyOptions {
  /** Measured calls each way kept, the fastest of which is compared (default 32). */
  readonly window?: number
  /** The first check of the prior: calls after the unmeasured start, the last two on one thread (default 8). */
  readonly firstProbe?: number
  /** Every this many calls after that, two run the way not chosen (default 32). */
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

/** A {@link SplitPolicy} that splits unless its calls measure one thread faster (see the module comment). */
export const adaptiveSplit = (options: SplitPolicyOptions = {}): SplitPolicy => {
  const window = Math.max(1, Math.floor(options.window ?? 32))
  const probeEvery = Math.max(4, Math.floor(options.probeEvery ?? 32))
  const firstProbe = Math.max(3, Math.floor(options.firstProbe ?? 8))
  const margin = options.margin ?? 0.03
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
    // the first check of the prior: split, then the last two on one thread (the first of them unmeasured)
    if (w < firstProbe) return w < firstProbe - 2 ? [true, true] : [false, w === firstProbe - 1]
    const p = (w - firstProbe) % probeEvery
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

/** A {@link SplitPolicy} that always (or never) splits. */
export const fixedSplit = (split: boolean): SplitPolicy => ({ split: () => split, record: () => undefined })
