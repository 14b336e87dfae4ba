import { describe, expect, it } from 'vitest'
import { adaptiveSplit, type SplitPolicy } from '../../src/kernel/splitPolicy.js'

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

describe('adaptiveSplit: each call site splits unless its own calls measure one thread faster', () => {
  it('starts split (the prior): two calls unmeasured, six measured, then two on one thread to check the prior', () => {
    const ways = drive(adaptiveSplit({ window: 3 }), 2 + 8 + 4, () => 1)
    expect(ways).toEqual([true, true, true, true, true, true, true, true, false, false, false, false, false, false])
    // equal times: the split is not faster by the margin, so one thread is kept after the check
  })

  it('splits when splitting is faster, with two one-thread calls in every probeEvery', () => {
    const ways = drive(adaptiveSplit({ window: 5, probeEvery: 16 }), 10 + 160, (split) => (split ? 6 : 10))
    expect(ways.slice(0, 10)).toEqual([...new Array<boolean>(8).fill(true), false, false])
    const steady = ways.slice(10)
    expect(count(steady, false)).toBe(20) // 2 of every 16
    expect(steady.slice(0, 16)).toEqual([...new Array<boolean>(14).fill(true), false, false])
  })

  it('a short run (a model of 100 ms, a dozen calls in all) spends only two calls on the slower way', () => {
    const ways = drive(adaptiveSplit(), 12, (split) => (split ? 70 : 100))
    expect(count(ways, false)).toBe(2)
    expect(ways.slice(10).every((w) => w)).toBe(true)
  })

  it('a split that does not pay is dropped at the first check: six calls split, then one thread', () => {
    const ways = drive(adaptiveSplit({ probeEvery: 16 }), 10 + 64, (split) => (split ? 12 : 10))
    expect(count(ways.slice(0, 10), true)).toBe(8)
    expect(count(ways.slice(10), true)).toBe(8) // the probes: 2 of every 16
  })

  it('stays on one thread when splitting is slower, or not faster by the margin', () => {
    for (const splitMs of [12, 10, 9.8]) {
      const ways = drive(adaptiveSplit({ window: 5, probeEvery: 16, margin: 0.03 }), 10 + 160, (split) => (split ? splitMs : 10))
      expect(count(ways.slice(10), true), `split ${splitMs} ms`).toBe(20)
    }
    const faster = drive(adaptiveSplit({ window: 5, probeEvery: 16, margin: 0.03 }), 10 + 160, (split) => (split ? 9.6 : 10))
    expect(count(faster.slice(10), true)).toBe(140)
  })

  it('ignores the first call after each change of way (a sleeping worker, cold caches)', () => {
    // the first call of each run of one way costs 100 ms more: measured, it would decide everything
    const ways = drive(adaptiveSplit({ window: 5, probeEvery: 16 }), 200, (split) => (split ? 6 : 10))
    const policy = adaptiveSplit({ window: 5, probeEvery: 16 })
    let last: boolean | undefined
    const cold = drive(policy, 200, (split) => {
      const t = (split ? 6 : 10) + (split !== last ? 100 : 0)
      last = split
      return t
    })
    expect(cold).toEqual(ways)
  })

  it('a slow call every few calls (the collector) does not hide a faster way: the fastest of each window is compared', () => {
    // every 8th call costs 40 ms more, whichever way it runs (it fell on measured split calls in the warm-up)
    const ways = drive(adaptiveSplit({ probeEvery: 16 }), 200, (split, c) => (split ? 6 : 10) + (c % 8 === 3 ? 40 : 0))
    expect(count(ways.slice(40), true)).toBe(160 - 2 * 10)
  })

  it('follows a change of the machine: a split that stops paying is dropped within a few probes', () => {
    // two threads help for 300 calls, then the second core is gone (splitting costs 30 % more)
    const ways = drive(adaptiveSplit({ window: 5, probeEvery: 16 }), 600, (split, c) => (c < 300 ? (split ? 6 : 10) : split ? 13 : 10))
    expect(count(ways.slice(200, 300), true)).toBeGreaterThanOrEqual(100 - 14)
    // the split calls measure 13 ms from call 300 on: once they fill the window, one thread is chosen
    expect(ways.slice(310, 400).filter((w, i) => w && (310 + i - 10) % 16 < 14).length).toBe(0)
    expect(count(ways.slice(400), true)).toBe(24) // only the probes: calls 10 + 16k + 14, 15 in [400, 600)
  })

  it('keeps a state per batch size', () => {
    const policy = adaptiveSplit({ window: 5, probeEvery: 16 })
    drive(policy, 60, (split) => (split ? 5 : 10), 1)
    drive(policy, 60, (split) => (split ? 20 : 10), 8)
    expect(count(drive(policy, 32, (split) => (split ? 5 : 10), 1), true)).toBe(28)
    expect(count(drive(policy, 32, (split) => (split ? 20 : 10), 8), true)).toBe(4)
  })

  it('a call made the other way than scheduled (a profiled call) is not measured', () => {
    const policy = adaptiveSplit({ window: 5, probeEvery: 16 })
    drive(policy, 60, (split) => (split ? 5 : 10))
    // calls recorded as one-thread calls taking 1 ms while split was scheduled: ignored
    for (let c = 0; c < 40; c++) {
      const scheduled = policy.split(1)
      policy.record(1, scheduled ? false : true, scheduled ? 1 : 50)
    }
    expect(count(drive(policy, 32, (split) => (split ? 5 : 10)), true)).toBe(28)
  })
})
