import { describe, expect, it } from 'vitest'
import { deriveSeed, normalStream, uniformStream } from '../../src/numerics/random.js'

// Known-answer values for the seeded streams. Every initialized weight is a function of these
// streams, so they pin "same seed, same weights" across versions. The values were computed by an
// independent Python implementation of the algorithms the module documents: the MurmurHash3 fmix32
// finalizer, FNV-1a over UTF-16 code units, a Weyl sequence (step 0x9e3779b9) through fmix32 seeding
// xoshiro128** (Blackman & Vigna), 27 + 26 bits per uniform double, Marsaglia's polar method.

const take = (next: () => number, n: number): number[] => Array.from({ length: n }, () => next())

describe('deriveSeed: known answers', () => {
  it('matches the reference for labels, negative seeds and seeds above 2^32', () => {
    const cases: ReadonlyArray<readonly [number, string, number]> = [
      [0, 'kernel', 4260833617],
      [0, 'bias', 514279574],
      [42, 'kernel', 2996246135],
      [-1, 'kernel', 3624677464],
      [2 ** 32 + 5, 'kernel', 3674236536],
      [0, '', 1921683478],
      [123456789, 'a long label, é', 1313759596]
    ]
    expect(cases.map(([s, l]) => deriveSeed(s, l))).toEqual(cases.map(([, , v]) => v))
  })

  it('names itself and the bad seed in its error', () => {
    expect(() => deriveSeed(1.5, 'kernel')).toThrow(/^deriveSeed: expected a safe integer seed, got 1\.5$/)
  })
})

describe('uniformStream: known answers', () => {
  it('matches the reference xoshiro128** draws', () => {
    expect(take(uniformStream(0), 4)).toEqual([0.5393196943140603, 0.06723976915771201, 0.9391822143601973, 0.5562058875344745])
    expect(take(uniformStream(1), 4)).toEqual([0.8061533561395928, 0.1590170255841028, 0.4694484056196806, 0.024247779890351095])
    expect(take(uniformStream(-1), 4)).toEqual([0.480986402222657, 0.9233920853952123, 0.27398153166530104, 0.9821813125436504])
    expect(take(uniformStream(2 ** 40 + 3), 4)).toEqual([0.14731389605368272, 0.9918737032891664, 0.8185384302265601, 0.3341423779391888])
  })

  it('names itself and the bad seed in its error', () => {
    expect(() => uniformStream(0.5)).toThrow(/^uniformStream: expected a safe integer seed, got 0\.5$/)
    expect(() => normalStream(NaN)).toThrow(/^uniformStream: expected a safe integer seed, got NaN$/)
  })
})

describe('normalStream: Marsaglia\'s polar method', () => {
  const close = (a: readonly number[], e: readonly number[]): void => {
    expect(a.length).toBe(e.length)
    a.forEach((v, i) => expect(Math.abs(v - (e[i] as number))).toBeLessThanOrEqual(1e-15 * Math.abs(e[i] as number)))
  }

  it('matches the reference draws', () => {
    close(take(normalStream(0), 5), [0.06778872753662114, -0.7460959676576824, 0.6916985877209826, 0.08852255796796639, 1.0444096846118494])
    close(take(normalStream(7), 5), [-0.45721997376936724, -0.39051844292228766, 0.5736647687628543, 0.383514906239947, -1.0739311558662072])
  })

  it('returns both values of each accepted pair: x·f then y·f, f = √(−2·ln s / s), from the uniform stream of the same seed', () => {
    for (const seed of [0, 3, -5, 2 ** 33]) {
      const u = uniformStream(seed)
      const expected: number[] = []
      while (expected.length < 40) {
        const x = 2 * u() - 1
        const y = 2 * u() - 1
        const s = x * x + y * y
        if (!(s < 1 && s > 0)) continue
        const f = Math.sqrt((-2 * Math.log(s)) / s)
        expected.push(x * f, y * f)
      }
      expect(take(normalStream(seed), 40)).toEqual(expected)
    }
  })
})
