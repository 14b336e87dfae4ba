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
 * ATLAS), but at run time, because the machine changes.
 *
 * What makes this hard is that the machine's speed changes by *regimes*: a one-thread MobileNet
 * forward at batch 8 ran 3.8 ms for tens of milliseconds, then 6 ms for as long, in a process alone.
 * Two earlier designs compared samples taken in different regimes and chose wrong: the fastest of a
 * window of each way (the one-thread probes, 1 in 32 calls, spanned a thousand calls and kept the
 * luckiest regime; the split calls spanned the last 32: M.json at batch 1 then ran on one thread at
 * 1.0× where a split is 1.6× faster), and one probe against the calls just before it, deciding on
 * its first ratio (a probe taken next to another engine's calls decided resnet50 at batch 8 for the
 * rest of the run). So here:
 *
 * - the calls start split (the prior: with `split: 'always'` every model of 200 MFLOP and more ran
 *   1.3-1.9× faster than one thread, at batch 1 and 8); the first `SKIP` calls are not measured
 *   (packing, V8's baseline code), nor is the first call after each change of way (the worker wakes,
 *   the caches refill);
 * - a *probe* is three calls the way not chosen (the first unmeasured); the faster of its two
 *   measured calls is compared with the faster of the chosen way's measured calls just before and
 *   just after it — bracketed, so that a speed that drifts cancels, and the fastest of each side,
 *   because the slow calls come in bursts (the collector, the machine) that fall on either way —
 *   giving one ratio, split time ÷ one-thread time (two samples a side: no side is favoured);
 * - the choice follows the median of the last `ratios` (3) ratios, and is made only once there are
 *   that many: one ratio taken in a bad moment cannot decide. Split is chosen when the median is
 *   below 1 − `margin` (0.10: a split must measure at least ~10 % faster). A tie goes to one thread —
 *   a split occupies the other core for nothing — and so does a small gain: the same configuration
 *   timed twice in one process reads 0.94-1.10 (bench:models's A/A control), so a split measured
 *   3-9 % faster is as likely a tie, and where it then loses, two threads run slower than one (K.json
 *   at batch 1: split 1.06× faster alone, 0.92× in a bench:models row, with the old 0.03);
 * - a *cold* call — one that starts more than 1 ms (and a quarter of its own time) after the previous
 *   call ended: the worker has gone to sleep and other work has filled the caches — is not measured,
 *   unless the last eight calls were all cold (a model called now and then: cold is its regime). In
 *   bench:models's main rounds, where each engine runs ~20 ms of calls in turn, F.json's first split
 *   call of each turn took 10-16 ms and the next ones 4.5-6 (one thread: 5.7-7): measured, they made
 *   one thread look faster;
 * - probes come early and then rarely: from the 8th call, `earlyEvery` (8) calls apart until
 *   `earlyProbes` (3) have run, so the prior is checked by call ~30, then one in every `probeEvery`
 *   (32) calls, so that a change of the machine is followed within two probes — or every 16 while
 *   the ways measure close (the median ratio within `close`, 1.25×, of 1), where a wrong choice is
 *   likely and a probe costs little; and `earlyEvery` calls after a probe whose ratio goes against
 *   the choice (a second such ratio flips the median: in bench:models a choice made in the main
 *   rounds, between tfjs's calls, took two probes 32 calls apart to undo). Their cost is 3 calls in
 *   32 on the slower way (+4-6 % of the time when one way is 1.5-2× faster);
 * - but *short* calls probe by time: at least `quietMs` (100) of calls apart, up to 2048 calls. A
 *   probe costs about a call whatever the call's length (the worker woken, two changes of way, the
 *   slower way's calls), and more for the shortest: 3 in 16 of a 0.22 ms U-Net forward, where the
 *   ways tie (one thread chosen, ratios 1.03-1.10), cost 3-7 % (bench:models rows at 0.93-0.97 two
 *   threads ÷ one); 20 ms apart (the first rule), 3-6 % of the mean time of 0.03-0.3 ms forwards
 *   kept on one thread (tfjs-example at batch 8, unet at batch 1: the probe's first split call
 *   waits for a sleeping worker and refills the caches, ~0.2 ms). A change of the machine is still
 *   followed within ~100 ms of calls;
 * - *long* calls (the last call and the chosen way's last measured one took `longMs`, 50, or more:
 *   a model of hundreds of MFLOP at batch 8) are probed with a single call, measured, and measured
 *   the first call after a change of way too: next to tens of milliseconds, a worker's wake-up and the caches'
 *   refill do not count, and the slower way's calls do (three one-thread calls of a 4-second
 *   forward are 5 s lost; in bench:models, H.json at batch 8 — three timed calls a way — measured
 *   two probe calls and printed 1.10 where a split is 1.8× faster);
 * - a batch size whose split calls dispatch no work to the pool (every step below its threshold:
 *   a 7 µs model) stops deciding after two such calls: its way changes nothing, and its probes and
 *   timings would only cost.
 *
 * Which way a call runs changes no arithmetic (a split is bit-identical to one thread), only its
 * time. The state is per batch size (a model runs one batch size call after call).
 */

/** Tuning of a {@link SplitPolicy}. */
export interface SplitPolicyOptions {
  /** Where the first probe starts: its second call, counted from the first measured call (default 8). */
  readonly firstProbe?: number
  /** Probes before the first choice, `earlyEvery` calls apart (default 3: the choice is a median of three). */
  readonly earlyProbes?: number
  /** Calls between the early probes (default 8). */
  readonly earlyEvery?: number
  /** After the early probes, one probe in every this many calls (default 32), or in half as many while the ways are close. */
  readonly probeEvery?: number
  /** The ways are close while the median ratio is within this factor of 1 (default 1.25). */
  readonly close?: number
  /** Calls of a probe, the first unmeasured (default 3). */
  readonly probeCalls?: number
  /** A call this long (ms) or longer makes the next probe one call, measured, and is measured after a change of way (default 50). */
  readonly longMs?: number
  /** The chosen way's measured calls on each side of a probe it is compared with (default 1). */
  readonly neighbours?: number
  /** Probe ratios kept; the choice follows their median (default 3). */
  readonly ratios?: number
  /** The split is chosen when the median ratio split ÷ one thread is below 1 − margin (default 0.10). */
  readonly margin?: number
  /**
   * After the early probes, probes are at least this many ms of calls apart (default 100), up to
   * `64 × probeEvery` calls: a probe costs about one call (and a wake-up), so short calls probe rarer.
   */
  readonly quietMs?: number
  /** A call that starts more than this many ms (and a quarter of its own time) after the previous call ended is cold (default 1). */
  readonly coldGapMs?: number
  /** After this many cold calls in a row, cold calls are the regime and are measured (default 8). */
  readonly coldRun?: number
  /** The clock (ms), for tests (default `performance.now`). */
  readonly now?: () => number
}

/** One call site's choice, call after call: `split(batch)` before a call, `record(...)` after it. */
export interface SplitPolicy {
  /** Whether the next call at this batch size splits. */
  readonly split: (batch: number) => boolean
  /**
   * Whether `record` wants the time of the call `split` was just asked for: only the calls around a
   * probe are timed (when not, the caller need not read the clock — four reads, ~0.3 µs, are 1 % of
   * a 30 µs forward — and passes `NaN`).
   */
  readonly measures: (batch: number) => boolean
  /**
   * After every call `split` was asked for: the time it took (ms; `NaN` when `measures` said no — the
   * call is counted, not timed), whether it split, and whether it dispatched work to the
   * worker pool (default true): a batch size whose split calls dispatch nothing twice (every step
   * below its threshold) is inert from then on — always "split", a no-op, never timed or probed.
   */
  readonly record: (batch: number, split: boolean, ms: number, dispatched?: boolean) => void
  /** The way chosen at this batch size, whatever the next call's (a probe runs the other way): `true` split. */
  readonly chosen: (batch: number) => boolean
}

interface Pending {
  /** The probe's first call, its way and its measured times. */
  readonly start: number
  readonly split: boolean
  readonly ms: number[]
  /** The chosen way's measured calls before it, then after it. */
  readonly near: number[]
  after: number
}

interface BatchState {
  calls: number
  chosen: boolean
  /** The way the previous call ran (undefined: none yet). */
  last: boolean | undefined
  /** The chosen way's last measured calls (at most `neighbours`; emptied when the choice changes). */
  readonly recent: number[]
  /** Split ÷ one-thread ratios of the last probes (a ring of `ratios`). */
  readonly kept: number[]
  next: number
  pending: Pending | undefined
  /** The first call of the last probe begun, of the next one, and the probes begun (calls counted after the unmeasured start). */
  probeStart: number
  nextProbe: number
  probes: number
  /** Split calls that dispatched nothing (two: the batch size is inert). */
  idle: number
  /** The calls of the probe begun (`probeCalls`, or 1 after a long call), and the last timed call's time. */
  probeLen: number
  lastMs: number
  /** Whether the call `split` was last asked for is timed (around a probe). */
  timed: boolean
}

/** Calls at the start that are never measured. */
const SKIP = 2

const medianOf = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** A {@link SplitPolicy} that splits unless bracketed probes measure one thread faster (see the module comment). */
export const adaptiveSplit = (options: SplitPolicyOptions = {}): SplitPolicy => {
  const firstProbe = Math.max(3, Math.floor(options.firstProbe ?? 8))
  const earlyProbes = Math.max(1, Math.floor(options.earlyProbes ?? 3))
  const neighbours = Math.max(1, Math.floor(options.neighbours ?? 1))
  const probeCalls = Math.max(2, Math.floor(options.probeCalls ?? 3))
  // room between probes for the calls after one (one unmeasured, `neighbours` measured) and before the next
  const earlyEvery = Math.max(probeCalls + 2 * neighbours + 2, Math.floor(options.earlyEvery ?? 8))
  const probeEvery = Math.max(earlyEvery, Math.floor(options.probeEvery ?? 32))
  const keep = Math.max(1, Math.floor(options.ratios ?? 3))
  const margin = options.margin ?? 0.1
  const close = Math.log(Math.max(1, options.close ?? 1.25))
  const longMs = options.longMs ?? 50
  const coldGap = options.coldGapMs ?? 1
  const quietMs = Math.max(0, options.quietMs ?? 100)
  const coldRun = Math.max(0, Math.floor(options.coldRun ?? 8))
  const now = options.now ?? (() => performance.now())
  // the calls' clock, across batch sizes: when the last call ended, when this one started, cold calls in a row
  let endedAt = -Infinity
  let startedAt = 0
  let colds = 0
  const states = new Map<number, BatchState>()
  const stateOf = (batch: number): BatchState => {
    let s = states.get(batch)
    if (s === undefined) {
      s = { calls: 0, chosen: true, last: undefined, recent: [], kept: [], next: 0, pending: undefined, probeStart: -Infinity, nextProbe: firstProbe - 2, probes: 0, idle: 0, probeLen: probeCalls, lastMs: 0, timed: true }
      states.set(batch, s)
    }
    return s
  }
  /** Calls from a probe's start to the next's: short early and while the ways measure close; at least `quietMs` of short calls. */
  const gapAfter = (s: BatchState): number => {
    if (s.probes < earlyProbes) return earlyEvery
    const gap = s.kept.length === 0 || Math.abs(Math.log(medianOf(s.kept))) < close ? Math.max(earlyEvery, probeEvery >> 1) : probeEvery
    // a probe costs about a call whatever the call's length (two changes of way, a worker woken, the
    // slower way's calls): short calls spread their probes over `quietMs` of calls, up to 64 × probeEvery
    const callMs = s.recent[s.recent.length - 1] ?? s.lastMs
    return callMs > 0 ? Math.max(gap, Math.min(probeEvery * 64, Math.floor(quietMs / callMs))) : gap
  }
  /** The first call of the probe that call `w` (counted after the unmeasured start) belongs to, or -1. */
  const probeOf = (s: BatchState, w: number): number => {
    if (w < 0) return -1
    if (w >= s.nextProbe) {
      s.probeStart = s.nextProbe
      s.probes++
      s.nextProbe = s.probeStart + gapAfter(s)
      // long: the last call and the chosen way's last measured one (one slow call, a collector's pause, is not enough)
      s.probeLen = Math.min(s.lastMs, s.recent[s.recent.length - 1] ?? 0) >= longMs ? 1 : probeCalls
    }
    return w < s.probeStart + s.probeLen ? s.probeStart : -1
  }
  const wayOf = (s: BatchState): boolean => s.idle >= 2 || (probeOf(s, s.calls - SKIP) >= 0 ? !s.chosen : s.chosen)
  /**
   * Whether call `w` is timed: the calls a probe compares (the chosen way's `neighbours` before it,
   * its own, and after it until its ratio is taken), from `neighbours + 2` calls before it (the first
   * timed call after untimed ones only tells when it ended, for the next one's cold check); every
   * call of a second or more (the clock is nothing next to it), and none of an inert batch size.
   */
  const timedAt = (s: BatchState, w: number): boolean =>
    s.idle < 2 && (w < 0 || s.pending !== undefined || w >= s.nextProbe - neighbours - 2 || w < s.probeStart + s.probeLen + neighbours + 1 || s.lastMs >= 1)
  const decide = (s: BatchState, ratio: number): void => {
    if (s.kept.length < keep) s.kept.push(ratio)
    else s.kept[s.next] = ratio
    s.next = (s.next + 1) % keep
    if (s.kept.length < keep) return
    const chosen = medianOf(s.kept) < 1 - margin
    if (chosen !== s.chosen) {
      s.chosen = chosen
      s.recent.length = 0
    } else if (s.probes > earlyProbes && ratio < 1 - margin !== chosen) {
      // a ratio against the choice is followed up soon (the machine may have changed: a second such
      // ratio flips the median), not a whole `probeEvery` later
      s.nextProbe = Math.min(s.nextProbe, s.probeStart + earlyEvery)
    }
  }
  return {
    split: (batch) => {
      const s = stateOf(batch)
      const way = wayOf(s)
      s.timed = timedAt(s, s.calls - SKIP)
      if (s.timed) startedAt = now()
      return way
    },
    measures: (batch) => stateOf(batch).timed,
    chosen: (batch) => stateOf(batch).chosen,
    record: (batch, split, ms, dispatched = true) => {
      const s = stateOf(batch)
      // nothing to split at this batch size: the way makes no difference (a tiny model); stop deciding
      if (s.idle >= 2) return
      if (split && !dispatched) {
        s.idle++
        return
      }
      if (!s.timed || Number.isNaN(ms)) {
        // counted, not timed: the next timed call cannot tell how long the process was away
        s.calls++
        s.last = split
        endedAt = NaN
        return
      }
      const way = wayOf(s)
      const probe = probeOf(s, s.calls - SKIP)
      // cold: the process did other work since the last call (the worker asleep, the caches refilled by
      // other arrays); not compared with warm calls unless every call is cold (a model called now and then)
      // (after an untimed call the gap is unknown: this call is not measured, only its end time kept)
      const gapKnown = !Number.isNaN(endedAt)
      const cold = gapKnown && startedAt - endedAt > Math.max(coldGap, ms / 4)
      if (gapKnown) colds = cold ? colds + 1 : 0
      endedAt = now()
      // (a long call after a long one is measured after a change of way: a wake-up and a cache refill are noise to it)
      const measured = s.calls >= SKIP && way === split && (s.last === split || Math.min(ms, s.lastMs) >= longMs) && gapKnown && (!cold || colds > coldRun)
      s.calls++
      s.last = split
      s.lastMs = ms
      // a call that ran another way than scheduled (a profiled call in between) is not measured
      if (!measured) return
      if (probe >= 0) {
        if (s.pending?.start === probe) s.pending.ms.push(ms)
        else s.pending = { start: probe, split, ms: [ms], near: [...s.recent], after: 0 }
        return
      }
      if (s.recent.length === neighbours) s.recent.shift()
      s.recent.push(ms)
      const p = s.pending
      if (p === undefined || p.split === split) return
      p.near.push(ms)
      if (++p.after < neighbours) return
      s.pending = undefined
      // the fastest of each side: the slow calls come in bursts (the collector, the machine) and fall on either way
      const near = Math.min(...p.near)
      const probed = Math.min(...p.ms)
      decide(s, p.split ? probed / near : near / probed)
    }
  }
}

/** A {@link SplitPolicy} that always (or never) splits. */
export const fixedSplit = (split: boolean): SplitPolicy => ({ split: () => split, measures: () => false, record: () => undefined, chosen: () => split })
