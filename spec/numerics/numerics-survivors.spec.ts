import { describe, expect, it } from 'vitest'
import { applyActivation } from '../../src/numerics/activations.js'
import { deriveSeed, uniformStream } from '../../src/numerics/random.js'

// Tests for behaviour that the mutation run of src/numerics (2026-11-25 19:21, 91.5 %) showed
// untested: see docs/mutation-equivalents.md, "Equivalent mutants in src/numerics".

// -------------------------------------------------------------------------------------
// seeds at the ends of the safe-integer range
// -------------------------------------------------------------------------------------

/** `count` consecutive integers from `first`. */
const run = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i)

describe('seeds near ±2^53 keep all their low bits', () => {
  // The 64 seeds 2^53 − 64 … 2^53 − 1 share their high word 0x001fffff (low words 0xffffffc0 …
  // 0xffffffff); −(2^53 − 1) … −(2^53 − 64) share 0xffe00000 (low words 1 … 64). Splitting a seed into
  // words must be exact there: an intermediate above 2^53 in magnitude rounds odd low words to even ones,
  // and two seeds one apart would then get the same words.
  const top = run(Number.MAX_SAFE_INTEGER - 63, 64)
  const bottom = run(Number.MIN_SAFE_INTEGER, 64)

  it('deriveSeed is one-to-one over seeds that share their high word', () => {
    // With the high word and the label fixed, deriveSeed is a composition of bijections of the low word
    // (xor, the fmix32 finalizer, multiplication by an odd constant), so the 64 results must differ.
    for (const seeds of [top, bottom]) {
      for (const label of ['kernel', 'bias']) {
        expect(new Set(seeds.map((s) => deriveSeed(s, label))).size, `${label} from ${seeds[0]}`).toBe(64)
      }
    }
  })

  it('uniformStream starts differently for each of those seeds', () => {
    // The first 32-bit draw of xoshiro128** is a bijection of the seeded state, itself one-to-one in the
    // low word for a fixed high word; two draws make a collision of the first uniforms practically impossible.
    for (const seeds of [top, bottom]) {
      const starts = seeds.map((s) => {
        const u = uniformStream(s)
        return `${u()} ${u()}`
      })
      expect(new Set(starts).size, `from ${seeds[0]}`).toBe(64)
    }
  })
})

// -------------------------------------------------------------------------------------
// linear is a no-op
// -------------------------------------------------------------------------------------

describe("applyActivation('linear') is a no-op", () => {
  // Keras's `linear(x)` returns x itself, and applyActivation documents `linear` as a no-op: not even a
  // read-and-write-back, which would quieten a float32 signaling NaN (float32 → float64 → float32
  // conversion turns 0x7f800001 into 0x7fc00001).
  it('leaves every byte of a float32 buffer as it was, signaling NaN and −0 included', () => {
    const data = new Float32Array(6)
    const bits = new Uint32Array(data.buffer)
    bits.set([0x7f800001, 0xff800123, 0x7fc12345, 0x80000000, 0x3fc00000, 0xff800000]) // sNaN, −sNaN, qNaN, −0, 1.5, −∞
    const before = Array.from(bits)
    applyActivation('linear', 'keras3', data, 3)
    expect(Array.from(bits).map((b) => b.toString(16))).toEqual(before.map((b) => b.toString(16)))
  })

  it('leaves every byte of a float64 buffer as it was', () => {
    const data = new Float64Array(4)
    const bits = new Uint32Array(data.buffer)
    bits.set([1, 0x7ff00000, 0, 0x80000000, 0x12345, 0xfff80000, 0, 0x3ff80000]) // sNaN, −0, −qNaN with payload, 1.5 (little-endian words)
    const before = Array.from(bits)
    applyActivation('linear', 'keras2', data, 2)
    expect(Array.from(bits)).toEqual(before)
  })
})
