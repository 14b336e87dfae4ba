import { describe, expect, it } from 'vitest'
import type { Initializer } from '../../src/codec/Initializer.js'
import { computeFans, sampleInitializer, TRUNCATED_NORMAL_STDDEV } from '../../src/numerics/initializers.js'
import { normalStream, uniformStream } from '../../src/numerics/random.js'

// Deterministic facts about the random initializers, given the seed: each kind is the documented
// transform of the library's seeded streams (reference §5.2), so the parameters are checked exactly,
// not only through moments.

const take = (next: () => number, n: number): number[] => Array.from({ length: n }, () => next())

/** The first n values of N(0, 1) from `seed` that lie within [−2, 2] (Keras: re-drawn beyond two stddev). */
const truncatedDraws = (seed: number, n: number): number[] => {
  const z = normalStream(seed)
  const out: number[] = []
  while (out.length < n) {
    const v = z()
    if (Math.abs(v) <= 2) out.push(v)
  }
  return out
}

const sample = (init: Initializer, shape: readonly number[], seed: number): number[] => Array.from(sampleInitializer(init, shape, 'float64', seed))

describe('random_normal, truncated_normal, random_uniform: the seeded streams, transformed', () => {
  it('random_normal(mean, stddev) = mean + stddev·z over the normal stream', () => {
    const zs = take(normalStream(11), 24)
    expect(sample({ kind: 'random_normal', mean: 1.5, stddev: 0.3, seed: null }, [2, 3, 4], 11)).toEqual(zs.map((z) => 1.5 + 0.3 * z))
  })

  it('truncated_normal(mean, stddev) is the same stream with the draws beyond mean ± 2·stddev discarded', () => {
    const seed = 5
    const n = 400 // about 18 of the first 419 normal draws lie beyond ±2
    const zs = truncatedDraws(seed, n)
    expect(take(normalStream(seed), n + 40).filter((z) => Math.abs(z) > 2).length).toBeGreaterThan(5) // some were discarded
    expect(sample({ kind: 'truncated_normal', mean: -1, stddev: 2, seed: null }, [n], seed)).toEqual(zs.map((z) => -1 + 2 * z))
  })

  it('random_uniform(minval, maxval) = minval + (maxval − minval)·u over the uniform stream', () => {
    const us = take(uniformStream(8), 10)
    expect(sample({ kind: 'random_uniform', minval: -0.2, maxval: 0.7, seed: null }, [10], 8)).toEqual(us.map((u) => -0.2 + (0.7 - -0.2) * u))
  })

  it('random_normal puts 68.27% of its values within one stddev of the mean (a normal, not stddev / z)', () => {
    const xs = sampleInitializer({ kind: 'random_normal', mean: 2, stddev: 0.5, seed: null }, [100_000], 'float64', 21)
    const within = xs.filter((x) => Math.abs(x - 2) <= 0.5).length / xs.length
    expect(Math.abs(within - 0.6826894921370859)).toBeLessThan(5 * Math.sqrt((0.6827 * 0.3173) / xs.length))
    expect(Math.max(...xs.map((x) => Math.abs(x - 2)))).toBeLessThan(0.5 * 6)
  })
})

describe('variance_scaling: exact parameters from the fans of an HWIO kernel', () => {
  const shape = [3, 5, 4, 6] // fanIn = 3·5·4 = 60, fanOut = 3·5·6 = 90, fan_avg = 75
  const fans = { fan_in: 60, fan_out: 90, fan_avg: 75 } as const
  const size = 3 * 5 * 4 * 6

  it('the fans are receptive field × channels', () => {
    expect(computeFans(shape)).toEqual({ fanIn: 60, fanOut: 90 })
  })

  for (const mode of ['fan_in', 'fan_out', 'fan_avg'] as const) {
    const s = 1.7 / fans[mode]
    it(`${mode}: uniform is U[−√(3s), √(3s)), s = scale / ${fans[mode]}`, () => {
      const limit = Math.sqrt(3 * s)
      const expected = take(uniformStream(4), size).map((u) => -limit + 2 * limit * u)
      expect(sample({ kind: 'variance_scaling', scale: 1.7, mode, distribution: 'uniform', seed: null }, shape, 4)).toEqual(expected)
    })
    it(`${mode}: truncated_normal has stddev √s / 0.87962566103423978, cut at ±2 stddev`, () => {
      const stddev = Math.sqrt(s) / TRUNCATED_NORMAL_STDDEV
      const expected = truncatedDraws(4, size).map((z) => stddev * z)
      expect(sample({ kind: 'variance_scaling', scale: 1.7, mode, distribution: 'truncated_normal', seed: null }, shape, 4)).toEqual(expected)
    })
    it(`${mode}: untruncated_normal has stddev √s`, () => {
      const expected = take(normalStream(4), size).map((z) => Math.sqrt(s) * z)
      expect(sample({ kind: 'variance_scaling', scale: 1.7, mode, distribution: 'untruncated_normal', seed: null }, shape, 4)).toEqual(expected)
    })
  }

  it('the truncated normal constant is the stddev of N(0, 1) cut to [−2, 2]', () => {
    // Var = 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)), φ(2) = e^−2/√(2π), Φ(2) − Φ(−2) = erf(√2)
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI)
    const mass = 0.9544997361036416 // erf(√2)
    expect(Math.sqrt(1 - (4 * phi2) / mass)).toBeCloseTo(TRUNCATED_NORMAL_STDDEV, 14)
  })
})

// -------------------------------------------------------------------------------------
// orthogonal: Keras's QR of a normal matrix with the signs of diag(R) made positive
// -------------------------------------------------------------------------------------

/**
 * Checks W = gain·Q·diag(sign(diag R)) (transposed when rows < cols) for A = QR, A the (max × min)
 * row-major matrix of the first max·min normal draws of `seed` (Keras: `normal(flat_shape)`,
 * `qr`, `q *= sign(diag(r))`): with Q' = W/gain, Q'ᵀQ' = I, R' = Q'ᵀA is upper triangular with a
 * positive diagonal, and Q'R' = A. Returns the largest deviation and the smallest diagonal entry of R'.
 */
const qrCheck = (w: ArrayLike<number>, rows: number, cols: number, gain: number, seed: number): { dev: number; minDiag: number } => {
  const m = Math.max(rows, cols)
  const n = Math.min(rows, cols)
  const a = take(normalStream(seed), m * n)
  const q = (i: number, j: number): number => (rows >= cols ? (w[i * cols + j] as number) : (w[j * cols + i] as number)) / gain
  let dev = 0
  let minDiag = Infinity
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      let qq = 0
      let r = 0
      for (let i = 0; i < m; i++) {
        qq += q(i, x) * q(i, y)
        r += q(i, x) * (a[i * n + y] as number)
      }
      dev = Math.max(dev, Math.abs(qq - (x === y ? 1 : 0)))
      if (x > y) dev = Math.max(dev, Math.abs(r)) // R' below the diagonal
      if (x === y) minDiag = Math.min(minDiag, r)
    }
  }
  // Q'·R' = A, with R' = Q'ᵀA restricted to its upper triangle
  for (let i = 0; i < m; i++) {
    for (let y = 0; y < n; y++) {
      let v = 0
      for (let x = 0; x <= y; x++) {
        let r = 0
        for (let k = 0; k < m; k++) r += q(k, x) * (a[k * n + y] as number)
        v += q(i, x) * r
      }
      dev = Math.max(dev, Math.abs(v - (a[i * n + y] as number)))
    }
  }
  return { dev, minDiag }
}

describe('orthogonal: the sign-corrected Q of the QR of the seeded normal matrix', () => {
  const cases: ReadonlyArray<readonly [readonly number[], number, number, number, number]> = [
    [[5, 3], 5, 3, 1, 3],
    [[3, 5], 3, 5, 1, 3],
    [[4, 4], 4, 4, 1, 1],
    [[6, 6], 6, 6, 2, 17],
    [[2, 2, 3, 4], 12, 4, 1.5, 2],
    [[1, 1, 2, 7], 2, 7, 0.5, 9],
    [[8, 1], 8, 1, 1, 4],
    [[1, 8], 1, 8, 3, 4]
  ]
  for (const [shape, rows, cols, gain, seed] of cases) {
    it(`[${shape.join(', ')}] (${rows} × ${cols}), gain ${gain}`, () => {
      const w = sampleInitializer({ kind: 'orthogonal', gain, seed: null }, shape, 'float64', seed)
      const { dev, minDiag } = qrCheck(w, rows, cols, gain, seed)
      expect(dev).toBeLessThan(1e-12)
      expect(minDiag).toBeGreaterThan(0)
    })
  }

  it('a single column is the normalized normal vector (R = its norm > 0)', () => {
    const z = take(normalStream(6), 4)
    const norm = Math.hypot(...z)
    const w = sampleInitializer({ kind: 'orthogonal', gain: 2, seed: null }, [4, 1], 'float64', 6)
    Array.from(w).forEach((v, i) => expect(v).toBeCloseTo((2 * (z[i] as number)) / norm, 14))
  })

  it('an empty shape gives an empty result', () => {
    expect(sampleInitializer({ kind: 'orthogonal', gain: 1, seed: null }, [0, 3], 'float64', 1).length).toBe(0)
    expect(sampleInitializer({ kind: 'orthogonal', gain: 1, seed: null }, [3, 0], 'float64', 1).length).toBe(0)
  })
})

describe('identity on a tall matrix', () => {
  it('is gain on the first min(rows, cols) diagonal entries only (eye(4, 2))', () => {
    expect(sample({ kind: 'identity', gain: 3 }, [4, 2], 0)).toEqual([3, 0, 0, 3, 0, 0, 0, 0])
    expect(sample({ kind: 'identity', gain: 3 }, [5, 1], 0)).toEqual([3, 0, 0, 0, 0])
    expect(sample({ kind: 'identity', gain: 3 }, [1, 4], 0)).toEqual([3, 0, 0, 0])
  })
})
