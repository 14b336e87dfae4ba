import { describe, expect, it } from 'vitest'
import type { Initializer } from '../../src/codec/Initializer.js'
import { VARIANCE_SCALING_PRESETS } from '../../src/codec/Initializer.js'
import type { FloatArray } from '../../src/numerics/FloatArray.js'
import { computeFans, initializerProblem, sampleInitializer, varianceScalingFans } from '../../src/numerics/initializers.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

/** The standard deviation of a unit normal truncated to [−2, 2] (reference §5.2). */
const TRUNC = 0.87962566103423978

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** Values of `init` for `shape`, pooled over seeds 0, 1, 2, … until at least `n` values (independent draws). */
const pool = (init: Initializer, shape: readonly number[], n: number): Float64Array => {
  const per = product(shape)
  const runs = Math.ceil(n / per)
  const out = new Float64Array(runs * per)
  for (let s = 0; s < runs; s++) out.set(sampleInitializer(init, shape, 'float64', s), s * per)
  return out
}

interface Moments {
  readonly n: number
  readonly mean: number
  readonly variance: number
  readonly min: number
  readonly max: number
  /** standard errors of the mean and of the variance, from the sample's own 2nd and 4th central moments */
  readonly seMean: number
  readonly seVariance: number
}

const moments = (xs: ArrayLike<number>): Moments => {
  const n = xs.length
  let sum = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number
    sum += x
    if (x < min) min = x
    if (x > max) max = x
  }
  const mean = sum / n
  let m2 = 0
  let m4 = 0
  for (let i = 0; i < n; i++) {
    const d = (xs[i] as number) - mean
    m2 += d * d
    m4 += d * d * d * d
  }
  m2 /= n
  m4 /= n
  return { n, mean, variance: m2, min, max, seMean: Math.sqrt(m2 / n), seVariance: Math.sqrt((m4 - m2 * m2) / n) }
}

/** Mean and variance within 5 standard errors of the expected values. */
const expectMoments = (m: Moments, mean: number, variance: number): void => {
  expect(Math.abs(m.mean - mean), `mean ${m.mean} vs ${mean}`).toBeLessThan(5 * m.seMean)
  expect(Math.abs(m.variance - variance), `variance ${m.variance} vs ${variance}`).toBeLessThan(5 * m.seVariance)
}

const bytes = (a: FloatArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

const N = 200_000

// -------------------------------------------------------------------------------------
// fans
// -------------------------------------------------------------------------------------

describe('computeFans', () => {
  it('follows Keras\'s rule for every rank', () => {
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 })
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 })
    expect(computeFans([4, 9])).toEqual({ fanIn: 4, fanOut: 9 })
    expect(computeFans([5, 3, 2])).toEqual({ fanIn: 15, fanOut: 10 })
    expect(computeFans([2, 3, 4, 5, 6])).toEqual({ fanIn: 120, fanOut: 144 })
  })

  it('gives kh·kw·cin and kh·kw·cout for an HWIO kernel, F for a bias', () => {
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 })
    expect(computeFans([5, 1, 8, 4])).toEqual({ fanIn: 40, fanOut: 20 })
    expect(computeFans([32])).toEqual({ fanIn: 32, fanOut: 32 })
  })

  it('reproduces the §5.3 worked example limits and standard deviations for (3, 3, 16, 32)', () => {
    const { fanIn, fanOut } = computeFans([3, 3, 16, 32])
    const avg = (fanIn + fanOut) / 2
    expect(Math.sqrt(3 / avg)).toBeCloseTo(0.11785113, 8) // glorot_uniform limit
    expect(Math.sqrt(1 / avg) / TRUNC).toBeCloseTo(0.07735266, 8) // glorot_normal stddev
    expect(Math.sqrt(2 / fanIn) / TRUNC).toBeCloseTo(0.13397873, 8) // he_normal stddev
    expect(Math.sqrt(6 / fanIn)).toBeCloseTo(0.20412415, 8) // he_uniform limit
    expect(Math.sqrt(1 / fanIn) / TRUNC).toBeCloseTo(0.09473727, 8) // lecun_normal stddev
    expect(Math.sqrt(3 / fanIn)).toBeCloseTo(0.14433757, 8) // lecun_uniform limit
  })
})

// -------------------------------------------------------------------------------------
// plain distributions
// -------------------------------------------------------------------------------------

describe('sampleInitializer: constant', () => {
  it('fills every value', () => {
    const v = sampleInitializer({ kind: 'constant', value: 0.1 }, [2, 3], 'float64', 0)
    expect(Array.from(v)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    const z = sampleInitializer({ kind: 'constant', value: 0 }, [4], 'float32', 0)
    expect(z).toBeInstanceOf(Float32Array)
    expect(Array.from(z)).toEqual([0, 0, 0, 0])
  })
  it('rounds to float32 when asked', () => {
    const v = sampleInitializer({ kind: 'constant', value: 0.1 }, [1], 'float32', 0)
    expect(v[0]).toBe(Math.fround(0.1))
  })
})

describe('sampleInitializer: random_normal, random_uniform, truncated_normal', () => {
  it('random_normal has mean `mean` and variance stddev²', () => {
    const xs = sampleInitializer({ kind: 'random_normal', mean: 1.5, stddev: 0.3, seed: null }, [N], 'float64', 11)
    expectMoments(moments(xs), 1.5, 0.09)
  })

  it('random_normal with the Keras defaults (0, 0.05)', () => {
    const xs = pool({ kind: 'random_normal', mean: 0, stddev: 0.05, seed: null }, [3, 3, 16, 32], N)
    expectMoments(moments(xs), 0, 0.0025)
  })

  it('random_uniform stays in [minval, maxval) with the uniform moments', () => {
    const xs = sampleInitializer({ kind: 'random_uniform', minval: -0.2, maxval: 0.7, seed: null }, [N], 'float64', 12)
    const m = moments(xs)
    expect(m.min).toBeGreaterThanOrEqual(-0.2)
    expect(m.max).toBeLessThan(0.7)
    expect(m.min).toBeLessThan(-0.2 + 1e-3) // the range is covered
    expect(m.max).toBeGreaterThan(0.7 - 1e-3)
    expectMoments(m, 0.25, 0.81 / 12)
  })

  it('truncated_normal stays within mean ± 2·stddev, with variance stddev²·0.87962566103423978²', () => {
    const xs = sampleInitializer({ kind: 'truncated_normal', mean: -1, stddev: 2, seed: null }, [N], 'float64', 13)
    const m = moments(xs)
    expect(m.min).toBeGreaterThanOrEqual(-5)
    expect(m.max).toBeLessThanOrEqual(3)
    expect(m.min).toBeLessThan(-4.99)
    expect(m.max).toBeGreaterThan(2.99)
    expectMoments(m, -1, 4 * TRUNC * TRUNC)
    expect(TRUNC * TRUNC).toBeCloseTo(0.7737413, 7)
  })
})

// -------------------------------------------------------------------------------------
// variance scaling
// -------------------------------------------------------------------------------------

describe('sampleInitializer: variance_scaling', () => {
  const shapes: ReadonlyArray<readonly number[]> = [
    [3, 3, 16, 32], // fans 144 / 288
    [20, 50], // fans 20 / 50
    [2, 3, 4, 5, 6] // fans 120 / 144
  ]
  const modes = ['fan_in', 'fan_out', 'fan_avg'] as const
  const distributions = ['uniform', 'truncated_normal', 'untruncated_normal'] as const
  for (const shape of shapes) {
    for (const mode of modes) {
      for (const distribution of distributions) {
        it(`${distribution}, ${mode}, scale 2 on [${shape.join(', ')}] has variance s = 2 / n`, () => {
          const { fanIn, fanOut } = computeFans(shape)
          const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2
          const s = 2 / n
          const m = moments(pool({ kind: 'variance_scaling', scale: 2, mode, distribution, seed: null }, shape, 100_000))
          expectMoments(m, 0, s)
          if (distribution === 'uniform') {
            const limit = Math.sqrt(3 * s)
            expect(m.min).toBeGreaterThanOrEqual(-limit)
            expect(m.max).toBeLessThan(limit)
            expect(m.max).toBeGreaterThan(0.99 * limit)
          } else if (distribution === 'truncated_normal') {
            const bound = (2 * Math.sqrt(s)) / TRUNC
            expect(m.min).toBeGreaterThanOrEqual(-bound)
            expect(m.max).toBeLessThanOrEqual(bound)
            expect(m.max).toBeGreaterThan(0.99 * bound)
          } else {
            // untruncated: some values beyond 2·√s (about 4.6% of them)
            const beyond = pool({ kind: 'variance_scaling', scale: 2, mode, distribution, seed: null }, shape, 100_000).filter(
              (x) => Math.abs(x) > 2 * Math.sqrt(s)
            ).length
            expect(beyond).toBeGreaterThan(0.03 * m.n)
          }
        })
      }
    }
  }

  it('uses s = scale / max(1, n): a rank-0 weight has fans 1', () => {
    const m = moments(pool({ kind: 'variance_scaling', scale: 0.5, mode: 'fan_avg', distribution: 'untruncated_normal', seed: null }, [], 50_000))
    expectMoments(m, 0, 0.5)
  })

  it('glorot / he / lecun presets on (3, 3, 16, 32) have the §5.3 limits and variances', () => {
    const shape = [3, 3, 16, 32]
    const expected = {
      GlorotUniform: { variance: 1 / 216, bound: 0.11785113 },
      GlorotNormal: { variance: 1 / 216, bound: 2 * 0.07735266 },
      HeUniform: { variance: 2 / 144, bound: 0.20412415 },
      HeNormal: { variance: 2 / 144, bound: 2 * 0.13397873 },
      LecunUniform: { variance: 1 / 144, bound: 0.14433757 },
      LecunNormal: { variance: 1 / 144, bound: 2 * 0.09473727 }
    } as const
    for (const name of Object.keys(expected) as Array<keyof typeof expected>) {
      const m = moments(pool({ kind: 'variance_scaling', ...VARIANCE_SCALING_PRESETS[name], seed: null }, shape, 100_000))
      expectMoments(m, 0, expected[name].variance)
      expect(m.max, name).toBeLessThanOrEqual(expected[name].bound + 1e-8)
      expect(m.min, name).toBeGreaterThanOrEqual(-expected[name].bound - 1e-8)
      expect(m.max, name).toBeGreaterThan(0.98 * expected[name].bound)
    }
  })
})

// -------------------------------------------------------------------------------------
// orthogonal and identity
// -------------------------------------------------------------------------------------

/** The (rows × rows) or (cols × cols) Gram matrix of an orthogonal init, whichever is the identity. */
const gramError = (w: FloatArray, rows: number, cols: number, gain: number): number => {
  // rows ≥ cols: WᵀW = gain²·I (cols × cols); rows < cols: WWᵀ = gain²·I (rows × rows)
  const tall = rows >= cols
  const k = tall ? cols : rows
  const len = tall ? rows : cols
  const at = (i: number, j: number): number => (tall ? (w[j * cols + i] as number) : (w[i * cols + j] as number)) // vector i, entry j
  let worst = 0
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let dot = 0
      for (let j = 0; j < len; j++) dot += at(a, j) * at(b, j)
      worst = Math.max(worst, Math.abs(dot - (a === b ? gain * gain : 0)))
    }
  }
  return worst
}

describe('sampleInitializer: orthogonal', () => {
  const cases: ReadonlyArray<readonly [readonly number[], number, number, number]> = [
    [[5, 3], 5, 3, 1],
    [[3, 5], 3, 5, 1],
    [[4, 4], 4, 4, 1],
    [[1, 1], 1, 1, 1],
    [[3, 3, 4, 8], 36, 8, 1],
    [[3, 3, 16, 32], 144, 32, 1.5],
    [[1, 1, 3, 20], 3, 20, 2.5],
    [[2, 64], 2, 64, 1],
    [[64, 64], 64, 64, 0.5]
  ]
  for (const [shape, rows, cols, gain] of cases) {
    it(`[${shape.join(', ')}] (${rows} × ${cols}), gain ${gain}: orthonormal columns or rows times gain`, () => {
      const w = sampleInitializer({ kind: 'orthogonal', gain, seed: null }, shape, 'float64', 3)
      expect(w.length).toBe(rows * cols)
      expect(gramError(w, rows, cols, gain)).toBeLessThan(1e-10)
    })
  }

  it('a 1 × 1 orthogonal matrix is ±gain, and signs vary over seeds', () => {
    const values = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((s) => sampleInitializer({ kind: 'orthogonal', gain: 2, seed: null }, [1, 1], 'float64', s)[0]))
    expect([...values].sort()).toEqual([-2, 2])
  })

  it('entries of a large orthogonal matrix look like N(0, 1/rows)·gain² (a random rotation)', () => {
    const w = sampleInitializer({ kind: 'orthogonal', gain: 1, seed: null }, [300, 300], 'float64', 9)
    const m = moments(w)
    expect(Math.abs(m.mean)).toBeLessThan(5 * m.seMean)
    expect(m.variance).toBeCloseTo(1 / 300, 5)
  })

  it('rank < 2 is a problem', () => {
    expect(initializerProblem({ kind: 'orthogonal', gain: 1, seed: null }, [5])).toMatch(/rank 2 or more.*\[5\]/)
    expect(() => sampleInitializer({ kind: 'orthogonal', gain: 1, seed: null }, [5], 'float32', 0)).toThrow(RangeError)
  })
})

describe('sampleInitializer: identity', () => {
  it('is gain · eye(rows, cols) on 2-D shapes, rectangular included', () => {
    expect(Array.from(sampleInitializer({ kind: 'identity', gain: 2 }, [2, 3], 'float64', 0))).toEqual([2, 0, 0, 0, 2, 0])
    expect(Array.from(sampleInitializer({ kind: 'identity', gain: 1 }, [3, 2], 'float32', 0))).toEqual([1, 0, 0, 1, 0, 0])
    expect(Array.from(sampleInitializer({ kind: 'identity', gain: 1 }, [2, 2], 'float64', 0))).toEqual([1, 0, 0, 1])
  })

  it('cannot be used for a 4-D conv kernel', () => {
    const problem = initializerProblem({ kind: 'identity', gain: 1 }, [3, 3, 16, 32])
    expect(problem).toContain('can only be used for 2D matrices')
    expect(problem).toContain('[3, 3, 16, 32]')
    expect(initializerProblem({ kind: 'identity', gain: 1 }, [32])).toContain('can only be used for 2D matrices')
    expect(() => sampleInitializer({ kind: 'identity', gain: 1 }, [3, 3, 16, 32], 'float32', 0)).toThrow(/2D matrices.*\[3, 3, 16, 32\]/)
  })

  it('no problem for everything else', () => {
    expect(initializerProblem({ kind: 'identity', gain: 1 }, [4, 4])).toBeUndefined()
    expect(initializerProblem({ kind: 'orthogonal', gain: 1, seed: 1 }, [3, 3, 16, 32])).toBeUndefined()
    expect(initializerProblem({ kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null }, [3, 3, 16, 32])).toBeUndefined()
    expect(initializerProblem({ kind: 'constant', value: 0 }, [])).toBeUndefined()
  })

  it('a malformed shape is a problem', () => {
    expect(initializerProblem({ kind: 'constant', value: 0 }, [3, -1])).toMatch(/dimension 1 = -1/)
    expect(initializerProblem({ kind: 'constant', value: 0 }, [2.5])).toMatch(/non-negative integer/)
  })
})

// -------------------------------------------------------------------------------------
// seeds and dtypes
// -------------------------------------------------------------------------------------

const RANDOM_KINDS: ReadonlyArray<Initializer> = [
  { kind: 'random_normal', mean: 0, stddev: 0.05, seed: null },
  { kind: 'random_uniform', minval: -0.05, maxval: 0.05, seed: null },
  { kind: 'truncated_normal', mean: 0, stddev: 0.05, seed: null },
  { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null },
  { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null },
  { kind: 'variance_scaling', scale: 1, mode: 'fan_out', distribution: 'untruncated_normal', seed: null },
  { kind: 'orthogonal', gain: 1, seed: null }
]

describe('sampleInitializer: determinism, seeds and dtypes', () => {
  const shape = [3, 3, 4, 8]
  for (const init of RANDOM_KINDS) {
    const label = init.kind === 'variance_scaling' ? `${init.kind} ${init.distribution}` : init.kind

    it(`${label}: the same seed gives bit-identical values, different seeds differ`, () => {
      const a = sampleInitializer(init, shape, 'float64', 42)
      const b = sampleInitializer(init, shape, 'float64', 42)
      const c = sampleInitializer(init, shape, 'float64', 43)
      expect(a).not.toBe(b) // a new array every call
      expect(bytes(a)).toEqual(bytes(b))
      expect(bytes(a)).not.toEqual(bytes(c))
      // negative and large seeds are fine and distinct
      const d = sampleInitializer(init, shape, 'float64', -42)
      const e = sampleInitializer(init, shape, 'float64', 42 + 2 ** 32)
      expect(bytes(d)).not.toEqual(bytes(a))
      expect(bytes(e)).not.toEqual(bytes(a))
    })

    it(`${label}: the initializer's own seed overrides the caller's`, () => {
      const seeded = { ...init, seed: 7 } as Initializer
      const a = sampleInitializer(seeded, shape, 'float64', 1)
      const b = sampleInitializer(seeded, shape, 'float64', 2)
      expect(bytes(a)).toEqual(bytes(b))
      expect(bytes(a)).toEqual(bytes(sampleInitializer(init, shape, 'float64', 7)))
    })

    it(`${label}: float32 output is the float64 output rounded`, () => {
      const f64 = sampleInitializer(init, shape, 'float64', 5)
      const f32 = sampleInitializer(init, shape, 'float32', 5)
      expect(f64).toBeInstanceOf(Float64Array)
      expect(f32).toBeInstanceOf(Float32Array)
      expect(f32.length).toBe(product(shape))
      expect(Array.from(f32)).toEqual(Array.from(f64, Math.fround))
    })
  }

  it('a zero-size shape gives an empty array', () => {
    for (const init of RANDOM_KINDS) expect(sampleInitializer(init, [3, 0, 4, 8], 'float32', 1).length).toBe(0)
  })
})

describe('Keras ≥ 3.15 fan axes (VarianceScaling input_axes / output_axes)', () => {
  const vs = { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'uniform', seed: null } as const
  it('each fan is the product of the dims at its axes (negative from the end, a repeated axis twice, none = 1)', () => {
    expect(varianceScalingFans({ ...vs, fanAxes: { input: [0, 1], output: [-1] } }, [3, 5, 2, 7])).toEqual({ fanIn: 15, fanOut: 7 })
    expect(varianceScalingFans({ ...vs, fanAxes: { input: [-1, -1], output: [] } }, [3, 4])).toEqual({ fanIn: 16, fanOut: 1 })
    expect(varianceScalingFans(vs, [3, 3, 2, 4])).toEqual(computeFans([3, 3, 2, 4]))
  })
  it('an axis beyond the weight is the error Keras raises when it creates the weight', () => {
    expect(initializerProblem({ ...vs, fanAxes: { input: [0], output: [4] } }, [3, 3, 2, 4])).toContain('output_axes axis 4 is out of range for a weight of shape [3, 3, 2, 4]')
    expect(initializerProblem({ ...vs, fanAxes: { input: [-3], output: [0] } }, [5, 2])).toContain('input_axes axis -3')
  })
  it('sampling uses them: fan_in 1 (input_axes []) gives the widest uniform limit √3', () => {
    const out = sampleInitializer({ ...vs, fanAxes: { input: [], output: [0] } }, [50, 40], 'float64', 7)
    expect(Math.max(...Array.from(out, Math.abs))).toBeLessThanOrEqual(Math.sqrt(3))
    expect(Math.max(...Array.from(out, Math.abs))).toBeGreaterThan(Math.sqrt(3) * 0.9)
  })
})
