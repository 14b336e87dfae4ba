/**
 * Deterministic, seeded randomness. Nothing here reads a clock, `Math.random` or any global state:
 * a stream is a closure over its own generator state, and the same seed always gives the same
 * sequence, on every platform (only 32-bit integer arithmetic and IEEE doubles are used).
 *
 * The generator is xoshiro128** (Blackman & Vigna), a 128-bit-state generator with good statistical
 * quality, seeded by a SplitMix-style sequence (a Weyl sequence passed through the MurmurHash3 32-bit
 * finalizer) so that nearby seeds give unrelated states.
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A stream of random numbers: every call returns the next value. State lives in the closure.
 * @category model
 */
export type Stream = () => number

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const TWO_32 = 4294967296
const GOLDEN_32 = 0x9e3779b9

/** The MurmurHash3 32-bit finalizer: a bijection on uint32 with full avalanche. */
const fmix32 = (h0: number): number => {
  let h = h0 >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** `x` rotated left by `k` bits, as uint32. */
const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0

/**
 * The low and high 32-bit words of a safe integer in two's complement (so `-1` is `[0xffffffff,
 * 0xffffffff]` and `2^32 + 5` is `[5, 1]`). Throws a `RangeError` for anything else.
 */
const words = (seed: number, where: string): readonly [number, number] => {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${where}: expected a safe integer seed, got ${String(seed)}`)
  }
  const hi = Math.floor(seed / TWO_32)
  const lo = seed - hi * TWO_32
  return [lo >>> 0, hi >>> 0]
}

/** FNV-1a over the UTF-16 code units of `s`, finished with {@link fmix32}. */
const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return fmix32(h ^ s.length)
}

/** The xoshiro128** generator over four uint32 words seeded from a 64-bit seed; returns uint32 draws. */
const xoshiro128ss = (seed: number, where: string): (() => number) => {
  const [lo, hi] = words(seed, where)
  // SplitMix-style expansion: a Weyl sequence started from the mixed seed, each step finalized.
  let weyl = fmix32(lo ^ fmix32(hi + GOLDEN_32))
  const next = (): number => {
    weyl = (weyl + GOLDEN_32) >>> 0
    return fmix32(weyl)
  }
  // fmix32 is a bijection and the four Weyl values differ, so at most one word is zero: the state is
  // never all-zero (the one state xoshiro must avoid).
  let s0 = next()
  let s1 = next()
  let s2 = next()
  let s3 = next()
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0
    const t = (s1 << 9) >>> 0
    s2 = (s2 ^ s0) >>> 0
    s3 = (s3 ^ s1) >>> 0
    s1 = (s1 ^ s2) >>> 0
    s0 = (s0 ^ s3) >>> 0
    s2 = (s2 ^ t) >>> 0
    s3 = rotl(s3, 11)
    return result
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A 32-bit unsigned seed derived from an integer `seed` (any safe integer, negative or above 2^32) and a
 * `label`: different labels (`"kernel"`, `"bias"`) give unrelated streams from one layer seed, and all
 * 64 bits of the seed matter. Throws a `RangeError` when `seed` is not a safe integer.
 * @category constructors
 */
export const deriveSeed = (seed: number, label: string): number => {
  const [lo, hi] = words(seed, 'deriveSeed')
  const l = hashString(label)
  return fmix32(Math.imul(fmix32(lo ^ l) ^ fmix32(hi + GOLDEN_32), 0x27d4eb2d) ^ rotl(l, 16))
}

/**
 * A stream of uniform uint32 draws (xoshiro128**) from the given safe-integer seed: one generator
 * step per draw, for the hot loops (dropout masks) where 32 bits of resolution suffice.
 * @category constructors
 */
export const uint32Stream = (seed: number): Stream => xoshiro128ss(seed, 'uint32Stream')

/**
 * A stream of uniform doubles in [0, 1) with 53 random bits each (every multiple of 2^-53 in [0, 1)
 * equally likely), from the given safe-integer seed.
 * @category constructors
 */
export const uniformStream = (seed: number): Stream => {
  const u32 = xoshiro128ss(seed, 'uniformStream')
  return () => {
    const a = u32() >>> 5 // 27 bits
    const b = u32() >>> 6 // 26 bits
    return (a * 67108864 + b) / 9007199254740992
  }
}

/**
 * A stream of standard normal doubles N(0, 1) from the given safe-integer seed (Marsaglia's polar method
 * in float64 over {@link uniformStream}-quality draws; each accepted pair yields two values).
 * @category constructors
 */
export const normalStream = (seed: number): Stream => {
  const u = uniformStream(seed)
  let spare = 0
  let hasSpare = false
  return () => {
    if (hasSpare) {
      hasSpare = false
      return spare
    }
    let x = 0
    let y = 0
    let s = 0
    do {
      x = 2 * u() - 1
      y = 2 * u() - 1
      s = x * x + y * y
    } while (s >= 1 || s === 0)
    const f = Math.sqrt((-2 * Math.log(s)) / s)
    spare = y * f
    hasSpare = true
    return x * f
  }
}
