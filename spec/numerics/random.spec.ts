import { describe, expect, it } from 'vitest'
import { deriveSeed, normalStream, uniformStream } from '../../src/numerics/random.js'

const take = (next: () => number, n: number): Float64Array => {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = next()
  return out
}

const mean = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0) / xs.length

describe('deriveSeed', () => {
  it('gives a deterministic unsigned 32-bit integer', () => {
    for (const seed of [0, 1, -1, 42, 2 ** 32, 2 ** 32 + 5, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const s = deriveSeed(seed, 'kernel')
      expect(Number.isInteger(s)).toBe(true)
      expect(s).toBeGreaterThanOrEqual(0)
      expect(s).toBeLessThan(2 ** 32)
      expect(deriveSeed(seed, 'kernel')).toBe(s)
    }
  })

  it('differs across labels and across seeds, high bits included', () => {
    expect(deriveSeed(0, 'kernel')).not.toBe(deriveSeed(0, 'bias'))
    expect(deriveSeed(0, 'a')).not.toBe(deriveSeed(0, 'b'))
    expect(deriveSeed(0, '')).not.toBe(deriveSeed(0, '\u0000'))
    expect(deriveSeed(5, 'kernel')).not.toBe(deriveSeed(5 + 2 ** 32, 'kernel'))
    expect(deriveSeed(-1, 'kernel')).not.toBe(deriveSeed(2 ** 32 - 1, 'kernel'))
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(i, 'kernel')))
    expect(seeds.size).toBe(1000)
  })

  it('rejects seeds that are not safe integers', () => {
    expect(() => deriveSeed(1.5, 'kernel')).toThrow(RangeError)
    expect(() => deriveSeed(Number.NaN, 'kernel')).toThrow(RangeError)
    expect(() => deriveSeed(2 ** 53, 'kernel')).toThrow(RangeError)
  })
})

describe('uniformStream', () => {
  it('replays the same sequence for the same seed and differs for another', () => {
    expect(take(uniformStream(7), 100)).toEqual(take(uniformStream(7), 100))
    expect(take(uniformStream(7), 100)).not.toEqual(take(uniformStream(8), 100))
    expect(take(uniformStream(-7), 100)).not.toEqual(take(uniformStream(7), 100))
  })

  it('draws from [0, 1) with 53-bit resolution and uniform moments', () => {
    const xs = take(uniformStream(2024), 200_000)
    expect(Math.min(...xs.subarray(0, 100_000))).toBeGreaterThanOrEqual(0)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    // most values use bits below 2^-32
    expect(xs.subarray(0, 1000).filter((x) => !Number.isInteger(x * 2 ** 32)).length).toBeGreaterThan(990)
    const n = xs.length
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n))
    const v = xs.reduce((a, x) => a + (x - 0.5) ** 2, 0) / n
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n))
  })

  it('fills 100 bins evenly (chi-square) with no lag-1 correlation', () => {
    const n = 200_000
    const xs = take(uniformStream(99), n)
    const bins = new Array<number>(100).fill(0)
    for (const x of xs) bins[Math.floor(x * 100)] = (bins[Math.floor(x * 100)] as number) + 1
    const expected = n / 100
    const chi2 = bins.reduce((a, c) => a + (c - expected) ** 2 / expected, 0)
    expect(chi2).toBeLessThan(160) // 99 degrees of freedom: p ≈ 1e-4
    let cov = 0
    for (let i = 1; i < n; i++) cov += ((xs[i] as number) - 0.5) * ((xs[i - 1] as number) - 0.5)
    const corr = cov / (n - 1) / (1 / 12)
    expect(Math.abs(corr)).toBeLessThan(5 / Math.sqrt(n))
  })
})

describe('normalStream', () => {
  it('replays the same sequence for the same seed', () => {
    expect(take(normalStream(3), 101)).toEqual(take(normalStream(3), 101))
    expect(take(normalStream(3), 101)).not.toEqual(take(normalStream(4), 101))
  })

  it('has the moments and tails of N(0, 1)', () => {
    const n = 200_000
    const xs = take(normalStream(31337), n)
    expect(Math.abs(mean(xs))).toBeLessThan(5 / Math.sqrt(n))
    const m2 = xs.reduce((a, x) => a + x * x, 0) / n
    const m3 = xs.reduce((a, x) => a + x ** 3, 0) / n
    const m4 = xs.reduce((a, x) => a + x ** 4, 0) / n
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n))
    expect(Math.abs(m3)).toBeLessThan(5 * Math.sqrt(15 / n))
    expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt(96 / n))
    // P(|z| > 2) = 0.04550026
    const p = xs.filter((x) => Math.abs(x) > 2).length / n
    expect(Math.abs(p - 0.04550026)).toBeLessThan(5 * Math.sqrt((0.0455 * 0.9545) / n))
  })
})
