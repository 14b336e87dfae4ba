import { describe, expect, it } from 'vitest'
import { adaptiveSplit, type SplitPolicy, type SplitPolicyOptions } from '../../src/kernel/splitPolicy.js'

/** The policy on a clock that stands still: no call is cold (the cold-call test runs its own clock). */
const quiet = (options: SplitPolicyOptions = {}): SplitPolicy => adaptiveSplit({ now: () => 0, ...options })

/** Runs `calls` calls through the policy, each taking `time(split, call)` ms; the ways taken. */
const drive = (policy: SplitPolicy, calls: number, time: (split: boolean, call: number) => number, batch = 1): boolean[] => {
  const ways: boolean[] = []
  for (let c = 0; c < calls; c++) {
    const split = policy.split(batch)
    ways.push(split)
    policy.record(batch, split, time(split, c))
  }
  return ways
}

const count = (ways: ReadonlyArray<boolean>, way: boolean): number => ways.filter((w) => w === way).length

/** The calls of a probe with the default schedule: calls 8-10, 16-18, 24-26, then 3 in every 32 (counted from 0). */
const isProbe = (c: number): boolean => [8, 9, 10, 16, 17, 18, 24, 25, 26].includes(c) || (c >= 56 && (c - 24) % 32 < 3)

/** The same while the ways measure close (within 1.25× of each other): after the early probes, one in every 16 calls. */
const isProbeClose = (c: number): boolean => [8, 9, 10, 16, 17, 18, 24, 25, 26].includes(c) || (c >= 40 && (c - 40) % 16 < 3)

describe('adaptiveSplit: each call site splits unless bracketed probes measure one thread faster', () => {
  it('starts split (the prior) and checks it with three early probes of three one-thread calls', () => {
    const ways = drive(quiet(), 30, (split) => (split ? 6 : 10))
    expect(ways.map((w, c) => w !== isProbe(c))).toEqual(new Array<boolean>(30).fill(true))
  })

  it('equal times: one thread is chosen, but only after the third probe (a median of three ratios)', () => {
    // (10 ms calls: probes 16 apart are 160 ms of calls, past quietMs)
    const ways = drive(quiet(), 60, () => 10)
    // the third probe (24-26; 24, the first after a change, is not measured) is bracketed by calls 23
    // and 28 (27, the first after the change back, is not measured): the choice is made after call 28
    expect(ways.slice(0, 29).filter((w) => !w).length).toBe(9)
    ways.slice(29).forEach((w, i) => expect(w, `call ${29 + i}`).toBe(isProbeClose(29 + i))) // then one thread, probing the split every 16
  })

  it('splits when splitting is faster, with three one-thread calls in every probeEvery', () => {
    const ways = drive(quiet(), 29 + 320, (split) => (split ? 6 : 10))
    ways.forEach((w, c) => expect(w, `call ${c}`).toBe(!isProbe(c)))
    expect(count(ways.slice(29), false)).toBe(30) // 3 of every 32
  })

  it('a short run of short calls (a dozen calls in all) spends only three calls on the slower way', () => {
    const ways = drive(quiet(), 12, (split) => (split ? 7 : 10))
    expect(count(ways, false)).toBe(3)
  })

  it('long calls (≥ longMs, a 4-second forward): a probe is one call, measured; the choice is made as soon, and followed', () => {
    // split 1.8× faster: the slower way runs only the three early probes' one call each, then one in 32
    const fast = drive(quiet(), 12, (split) => (split ? 2200 : 4000))
    expect(fast.map((w, c) => (w ? '' : c)).join('')).toBe('8')
    const steady = drive(quiet(), 29 + 320, (split) => (split ? 2200 : 4000))
    expect(count(steady, false)).toBe(3 + 10)
    // split slower: dropped after the third probe (calls 8, 16, 24, each bracketed by measured calls)
    const slow = drive(quiet(), 60, (split) => (split ? 120 : 100))
    expect(slow.slice(0, 26).filter((w) => !w).length).toBe(3)
    expect(count(slow.slice(26), true)).toBeLessThanOrEqual(3) // only its probes split, one call in 16
    // a short model with a slow call now and then (the collector) keeps its three-call probes
    const gc = drive(quiet(), 40, (split, c) => (c % 7 === 6 ? 80 : split ? 6 : 10))
    expect(count(gc.slice(0, 29), false)).toBe(9)
  })

  it('a split that does not pay is dropped once three probes agree; then only the probes split', () => {
    const ways = drive(quiet(), 29 + 96, (split) => (split ? 12 : 10))
    expect(count(ways.slice(0, 29), true)).toBe(20)
    expect(ways.slice(29).map((w, i) => w === isProbeClose(29 + i))).toEqual(new Array<boolean>(96).fill(true))
  })

  it('stays on one thread when splitting is slower, or not faster by the margin', () => {
    for (const splitMs of [12, 10, 9.8]) {
      const ways = drive(quiet({ margin: 0.03 }), 29 + 320, (split) => (split ? splitMs : 10))
      expect(count(ways.slice(29), true), `split ${splitMs} ms`).toBe(60) // 3 in 16: the ways are close
    }
    const faster = drive(quiet({ margin: 0.03 }), 29 + 320, (split) => (split ? 9.6 : 10))
    expect(count(faster.slice(29), true)).toBe(260)
    // far apart (1.5×), a probe in every 32 calls
    expect(count(drive(quiet(), 29 + 320, (split) => (split ? 15 : 10)).slice(29), true)).toBe(30)
  })

  it('by default a split must measure at least 10 % faster: smaller gains are within what identical code reads (A/A)', () => {
    const small = drive(quiet(), 29 + 320, (split) => (split ? 9.5 : 10))
    expect(count(small.slice(29), true)).toBe(60) // one thread, probing the split 3 in 16 (close)
    const enough = drive(quiet(), 29 + 320, (split) => (split ? 8.5 : 10))
    expect(count(enough.slice(29), false)).toBe(60) // split, probing one thread 3 in 16 (close)
  })

  it('ignores the first call after each change of way (a sleeping worker, cold caches)', () => {
    // the first call of each run of one way costs 30 ms more: measured, it would decide everything
    for (const [one, two] of [[10, 6], [10, 12]] as const) {
      const ways = drive(quiet(), 200, (split) => (split ? two : one))
      let last: boolean | undefined
      const cold = drive(quiet(), 200, (split) => {
        const t = (split ? two : one) + (split !== last ? 30 : 0)
        last = split
        return t
      })
      expect(cold).toEqual(ways)
    }
  })

  it('speed regimes (the machine 1.6x slower for stretches of calls) do not fool it: split 1.5x faster stays chosen', () => {
    // stretches of 5 to 100 calls: with 40 and 100 the previous policy (each way's fastest over a
    // window; the one-thread probes' window spanned a thousand calls, the split's the last 32) ran
    // 95 and 110 of calls 41-400 on one thread where its probes took 23
    for (const stretch of [5, 7, 11, 13, 40, 100]) {
      const ways = drive(quiet(), 400, (split, c) => (split ? 6 : 9) * (Math.floor(c / stretch) % 2 === 0 ? 1 : 1.6))
      ways.forEach((w, c) => expect(w, `stretch ${stretch}, call ${c}`).toBe(!isProbe(c)))
    }
  })

  it('a cold call (the process did other work since the last call) is not measured, unless every call is cold', () => {
    // bench:models's main rounds: each engine runs a turn of a few calls, then 50 ms of other engines;
    // the first call of a turn finds the worker asleep and the caches full of other arrays (split
    // +10 ms, one thread +2 ms); warm, the split is faster (5 vs 6.5 ms)
    const turns = (turn: number, coldGapMs?: number): boolean[] => {
      let clock = 0
      const policy = adaptiveSplit({ now: () => clock, ...(coldGapMs === undefined ? {} : { coldGapMs }) })
      const ways: boolean[] = []
      for (let c = 0; c < 400; c++) {
        const first = c % turn === 0
        if (first) clock += 50
        const split = policy.split(1)
        const ms = (split ? 5 : 6.5) + (first ? (split ? 10 : 2) : 0)
        clock += ms
        policy.record(1, split, ms)
        ways.push(split)
      }
      return ways
    }
    for (const turn of [2, 3, 5]) {
      turns(turn).forEach((w, c) => expect(w, `turns of ${turn}, call ${c}`).toBe(!isProbe(c)))
    }
    // measured, the cold calls make one thread look faster (turns of 5: the probes fall on them)
    expect(count(turns(5, Infinity).slice(29), false)).toBeGreaterThan(50)
    // a model called 60 times a second: every call cold, and still measured and decided
    let clock = 0
    const policy = adaptiveSplit({ now: () => clock })
    const ways: boolean[] = []
    for (let c = 0; c < 200; c++) {
      clock += 16
      const split = policy.split(1)
      clock += split ? 12 : 10
      policy.record(1, split, split ? 12 : 10)
      ways.push(split)
    }
    expect(count(ways.slice(60), true)).toBeLessThanOrEqual(3 * 9)
  })

  it('a slow call every few calls (the collector) does not decide: one outlier ratio is outvoted', () => {
    // every 8th call costs 40 ms more, whichever way it runs
    const ways = drive(quiet(), 400, (split, c) => (split ? 6 : 10) + (c % 8 === 1 ? 40 : 0))
    ways.forEach((w, c) => expect(w, `call ${c}`).toBe(!isProbe(c)))
  })

  it('follows a change of the machine: a split that stops paying is dropped within two probes, the second 8 calls after the first', () => {
    // two threads help for 300 calls, then the second core is gone (splitting costs 30 % more)
    const ways = drive(quiet(), 600, (split, c) => (c < 300 ? (split ? 6 : 10) : split ? 13 : 10))
    ways.slice(0, 300).forEach((w, c) => expect(w, `call ${c}`).toBe(!isProbe(c)))
    // the probe at 312-314 goes against the choice: the next comes at 320-322 (not 344), and makes two of
    // the three ratios kept above 1, complete at call 324 (323 follows a change of way and is not
    // measured): one thread from 325 on, probing the split every 32 calls from the last probe (352)
    ways.slice(300, 325).forEach((w, i) => expect(w, `call ${300 + i}`).toBe(![312, 313, 314, 320, 321, 322].includes(300 + i)))
    ways.slice(325).forEach((w, i) => expect(w, `call ${325 + i}`).toBe(325 + i >= 352 && (325 + i - 352) % 32 < 3))
  })

  it('one ratio against the choice (a bad moment) is followed up 8 calls later, and outvoted', () => {
    // split 1.6× faster, but the probe at 312-314 falls in a slow stretch of split calls (300-318)
    const ways = drive(quiet(), 420, (split, c) => (split ? (c >= 300 && c <= 318 ? 20 : 6) : 10))
    ways.forEach((w, c) => expect(w, `call ${c}`).toBe(c < 320 ? !isProbe(c) : ![320, 321, 322].includes(c) && !(c >= 352 && (c - 352) % 32 < 3)))
  })

  it('short calls spread their probes over quietMs (100) of calls, at most 64 × probeEvery (2048) calls apart', () => {
    // a probe costs about a call whatever its length (a worker woken, two changes of way): at 0.25 ms a
    // call the ways tie (one thread kept) and, after the early probes, one probe in every 400 calls
    const probeEvery = (gap: number) => (c: number): boolean => [8, 9, 10, 16, 17, 18].includes(c) || (c >= 24 && (c - 24) % gap < 3)
    const tie = drive(quiet(), 29 + 2400, () => 0.25)
    tie.slice(29).forEach((w, i) => expect(w, `call ${29 + i}`).toBe(probeEvery(400)(29 + i)))
    expect(count(tie.slice(29), true)).toBe(18) // 3 in 400 (3 in 16 at 5 ms a call)
    // 0.01 ms a call: 10,000 calls of quiet, capped at 2048
    drive(quiet(), 29 + 6200, () => 0.01).slice(29).forEach((w, i) => expect(w, `call ${29 + i}`).toBe(probeEvery(2048)(29 + i)))
    // the split chosen (0.15 against 0.25 ms): its probes 100 ms of its calls apart; quietMs 0 keeps the schedule in calls
    drive(quiet(), 29 + 2400, (split) => (split ? 0.15 : 0.25)).forEach((w, c) => expect(w, `call ${c}`).toBe(!probeEvery(666)(c)))
    drive(quiet({ quietMs: 0 }), 29 + 320, (split) => (split ? 0.15 : 0.25)).forEach((w, c) => expect(w, `call ${c}`).toBe(!isProbe(c)))
  })

  it('short calls still follow a change of the machine: one probe against the choice is followed up 8 calls later', () => {
    // split 0.15 ms against 0.25 (probes 666 calls apart: 24, 690, …), then from call 400 the second
    // core is gone (split 0.4 ms): the probe at 690-692 goes against the choice, the next, 8 calls
    // later at 698-700, flips the median; one thread from call 703
    const ways = drive(quiet(), 1400, (split, c) => (c < 400 ? (split ? 0.15 : 0.25) : split ? 0.4 : 0.25))
    expect(ways.map((w, c) => (c >= 400 && c < 703 && !w ? c : '')).join(' ').trim().split(/ +/).map(Number)).toEqual([690, 691, 692, 698, 699, 700])
    // then probes only: 250 calls after the last (100 ms of 0.4 ms split calls), then every 400 (0.25 ms calls)
    expect(ways.map((w, c) => (c >= 703 && w ? c : '')).join(' ').trim().split(/ +/).map(Number)).toEqual([948, 949, 950, 1348, 1349, 1350])
  })

  it('a batch size whose split calls dispatch nothing (every step below its threshold) stops deciding: no probes, no timing', () => {
    const policy = quiet()
    const ways: boolean[] = []
    for (let c = 0; c < 100; c++) {
      const split = policy.split(1)
      ways.push(split)
      // one thread looks 10× faster, but nothing was split: the way makes no difference
      policy.record(1, split, split ? 10 : 1, false)
    }
    expect(ways.every((w) => w)).toBe(true)
    expect(policy.measures(1)).toBe(false) // the caller need not read the clock
    expect(policy.measures(8)).toBe(true)
    // another batch size of the same model does split: it decides as usual
    expect(count(drive(policy, 12, (split) => (split ? 6 : 10), 8), false)).toBe(3)
  })

  it('times only the calls around a probe: a caller that reads the clock only when measures() says so gets the same ways, the clock read on few calls', () => {
    // 0.05 ms calls, one thread faster; at call 4000 the machine changes and the split wins
    const time = (split: boolean, c: number): number => (c < 4000 ? (split ? 0.06 : 0.05) : split ? 0.03 : 0.05)
    const always = drive(quiet(), 8000, time)
    const policy = quiet()
    const ways: boolean[] = []
    let timed = 0
    for (let c = 0; c < 8000; c++) {
      const split = policy.split(1)
      ways.push(split)
      const measured = policy.measures(1)
      if (measured && c >= 100) timed++
      policy.record(1, split, measured ? time(split, c) : Number.NaN)
    }
    expect(ways).toEqual(always)
    expect(count(ways.slice(3900, 4000), true), 'one thread chosen before the change').toBeLessThan(10)
    expect(count(ways.slice(7900), true), 'the split chosen after it').toBeGreaterThan(90)
    expect(timed / 7900, 'share of calls timed after the early probes').toBeLessThan(0.05)
  })

  it('keeps a state per batch size', () => {
    const policy = quiet()
    drive(policy, 60, (split) => (split ? 5 : 10), 1)
    drive(policy, 60, (split) => (split ? 20 : 10), 8)
    expect(count(drive(policy, 32, (split) => (split ? 5 : 10), 1), true)).toBe(29)
    expect(count(drive(policy, 32, (split) => (split ? 20 : 10), 8), true)).toBe(3)
  })

  it('a call made the other way than scheduled (a profiled call) is not measured', () => {
    const policy = quiet()
    drive(policy, 60, (split) => (split ? 5 : 10))
    // calls recorded as one-thread calls taking 1 ms while split was scheduled: ignored
    for (let c = 0; c < 100; c++) {
      const scheduled = policy.split(1)
      policy.record(1, scheduled ? false : true, scheduled ? 1 : 50)
    }
    expect(count(drive(policy, 64, (split) => (split ? 5 : 10)), true)).toBeGreaterThanOrEqual(58)
  })
})
