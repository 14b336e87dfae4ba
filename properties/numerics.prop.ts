import { params } from './settings.js'
import fc from 'fast-check'
import { describe, it } from 'vitest'
import type { Activation } from '../src/codec/Activation.js'
import type { Constraint } from '../src/codec/Constraint.js'
import type { Initializer } from '../src/codec/Initializer.js'
import { applyActivation, elementwiseActivation } from '../src/numerics/activations.js'
import { applyConstraint } from '../src/numerics/constraints.js'
import type { FloatArray } from '../src/numerics/FloatArray.js'
import { sampleInitializer } from '../src/numerics/initializers.js'
import { penalty } from '../src/numerics/regularizers.js'

const RUNS = params()

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/** A row-major shape of rank 1–4 with dims 1–4. */
const arbShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })

/**
 * A shape, a non-empty set of distinct axes (each written either as d or as d − rank, at random) and
 * float64 data in [−10, 10] of the right length.
 */
const arbWeight = arbShape.chain((shape) => {
  const rank = shape.length
  const n = shape.reduce((a, b) => a * b, 1)
  return fc.record({
    shape: fc.constant(shape),
    axes: fc
      .subarray(
        Array.from({ length: rank }, (_, d) => d),
        { minLength: 1 }
      )
      .chain((dims) => fc.tuple(...dims.map((d) => fc.constantFrom(d, d - rank)))),
    data: fc.float64Array({ min: -10, max: 10, noNaN: true, minLength: n, maxLength: n })
  })
})

/**
 * The L2 norm of every group of `data` (the values sharing their coordinates off `axes`), keyed by those
 * coordinates; `Math.hypot` scales, so tiny or huge values do not underflow or overflow when squared.
 */
const groupNorms = (data: FloatArray, shape: readonly number[], axes: readonly number[]): Map<string, number> => {
  const rank = shape.length
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)))
  const groups = new Map<string, number[]>()
  for (let i = 0; i < data.length; i++) {
    // coordinates of i, from the last axis backwards
    let rest = i
    const key: number[] = []
    for (let d = rank - 1; d >= 0; d--) {
      const dim = shape[d] as number
      if (!reduced.has(d)) key.push(rest % dim)
      rest = Math.floor(rest / dim)
    }
    const k = key.join(',')
    const values = groups.get(k) ?? []
    values.push(data[i] as number)
    groups.set(k, values)
  }
  return new Map([...groups].map(([k, values]) => [k, Math.hypot(...values)]))
}

const ELEMENTWISE: ReadonlyArray<Activation> = [
  'linear', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'hard_silu', 'tanh',
  'softplus', 'softsign', 'exponential', 'silu', 'mish', 'gelu', 'celu', 'squareplus', 'soft_shrink',
  'hard_shrink', 'tanh_shrink', 'hard_tanh', 'sparse_plus', 'sparse_sigmoid', 'log_sigmoid'
]

const fn = (a: Activation, dialect: 'keras2' | 'keras3' = 'keras3'): ((x: number) => number) => {
  const f = elementwiseActivation(a, dialect)
  if (f === undefined) throw new Error(`${a} is not elementwise`)
  return f
}

const bytes = (a: FloatArray): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))

// -------------------------------------------------------------------------------------
// constraints
// -------------------------------------------------------------------------------------

describe('constraints (properties)', () => {
  it('non_neg output is ≥ 0 everywhere', () => {
    fc.assert(
      fc.property(fc.float32Array({ noNaN: true, minLength: 0, maxLength: 64 }), (data) => {
        const out = applyConstraint({ kind: 'non_neg' }, data, [data.length])
        return out.every((v) => v >= 0) && out.every((v, i) => v === Math.max(data[i] as number, 0))
      }),
      RUNS
    )
  })

  it('max_norm output norms are ≤ max_value along the axes, and groups already inside barely move', () => {
    fc.assert(
      fc.property(arbWeight, fc.double({ min: 0, max: 20, noNaN: true }), ({ shape, axes, data }, maxValue) => {
        const out = applyConstraint({ kind: 'max_norm', maxValue, axis: axes }, data, shape)
        const before = groupNorms(data, shape, axes)
        const after = groupNorms(out, shape, axes)
        return [...after].every(([k, n]) => {
          const n0 = before.get(k) as number
          const expected = Math.min(n0, maxValue) * (n0 / (n0 + 1e-7))
          return n <= maxValue * (1 + 1e-12) + 1e-300 && Math.abs(n - expected) <= 1e-12 * Math.max(1, expected)
        })
      }),
      RUNS
    )
  })

  it('unit_norm output norms are ≈ 1 along the axes (for input norms that are not tiny)', () => {
    fc.assert(
      fc.property(arbWeight, ({ shape, axes, data }) => {
        const out = applyConstraint({ kind: 'unit_norm', axis: axes }, data, shape)
        const before = groupNorms(data, shape, axes)
        const after = groupNorms(out, shape, axes)
        return [...after].every(([k, n]) => {
          const n0 = before.get(k) as number
          return n0 < 1e-3 || Math.abs(n - 1) <= 1e-7 / n0 + 1e-12
        })
      }),
      RUNS
    )
  })

  it('min_max_norm with rate 1 lands each norm in [min_value, max_value]', () => {
    const arbRange = fc
      .tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }))
      .map(([a, b]): readonly [number, number] => (a <= b ? [a, b] : [b, a]))
    fc.assert(
      fc.property(arbWeight, arbRange, ({ shape, axes, data }, [minValue, maxValue]) => {
        const c: Constraint = { kind: 'min_max_norm', minValue, maxValue, rate: 1, axis: axes }
        const out = applyConstraint(c, data, shape)
        const before = groupNorms(data, shape, axes)
        const after = groupNorms(out, shape, axes)
        return [...after].every(([k, n]) => {
          const n0 = before.get(k) as number
          if (n0 < 1e-3) return n <= maxValue * (1 + 1e-12) + 1e-300 // a (near-)zero group cannot be scaled up to min_value
          return n >= minValue * (1 - 1e-7 / n0) * (1 - 1e-12) - 1e-300 && n <= maxValue * (1 + 1e-12) + 1e-300
        })
      }),
      RUNS
    )
  })

  it('no constraint ever modifies its input', () => {
    const arbConstraint = (axes: readonly number[]): fc.Arbitrary<Constraint> =>
      fc.oneof(
        fc.constant<Constraint>({ kind: 'non_neg' }),
        fc.double({ min: 0, max: 5, noNaN: true }).map((maxValue): Constraint => ({ kind: 'max_norm', maxValue, axis: axes })),
        fc.constant<Constraint>({ kind: 'unit_norm', axis: axes }),
        fc.double({ min: 0, max: 1, noNaN: true }).map((rate): Constraint => ({ kind: 'min_max_norm', minValue: 0.5, maxValue: 2, rate, axis: axes }))
      )
    fc.assert(
      fc.property(
        arbWeight.chain((w) => fc.tuple(fc.constant(w), arbConstraint(w.axes), fc.boolean())),
        ([{ shape, data }, c, asFloat32]) => {
          const input: FloatArray = asFloat32 ? Float32Array.from(data) : data
          const before = bytes(input)
          const out = applyConstraint(c, input, shape)
          const after = bytes(input)
          return out !== input && out.constructor === input.constructor && before.every((b, i) => b === after[i])
        }
      ),
      RUNS
    )
  })
})

// -------------------------------------------------------------------------------------
// activations
// -------------------------------------------------------------------------------------

describe('activations (properties)', () => {
  it('every elementwise activation is finite for finite input (exponential below overflow)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ELEMENTWISE),
        fc.constantFrom('keras2' as const, 'keras3' as const),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        (a, dialect, x) => {
          const input = a === 'exponential' ? x / 20 : x // e^500 is finite, e^10000 is not (in Keras too)
          return Number.isFinite(fn(a, dialect)(input))
        }
      ),
      RUNS
    )
  })

  const MONOTONE: ReadonlyArray<Activation> = ['relu', 'sigmoid', 'tanh', 'softplus', 'elu', 'selu', 'softsign']
  /** Two doubles in [lo, hi], smaller first. */
  const ordered = (lo: number, hi: number): fc.Arbitrary<readonly [number, number]> =>
    fc
      .tuple(fc.double({ min: lo, max: hi, noNaN: true }), fc.double({ min: lo, max: hi, noNaN: true }))
      .map(([a, b]): readonly [number, number] => (a <= b ? [a, b] : [b, a]))
  /** f(a) ≤ f(b) up to a few ulps of rounding. */
  const nonDecreasing = (f: (x: number) => number, a: number, b: number): boolean => f(a) <= f(b) + 4 * Number.EPSILON * Math.abs(f(b))

  it('relu, sigmoid, tanh, softplus, elu, selu, softsign are non-decreasing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MONOTONE), ordered(-1e3, 1e3), (a, [x, y]) => nonDecreasing(fn(a), x, y)),
      RUNS
    )
  })

  it('the monotone ones are also non-decreasing on close pairs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MONOTONE), fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: 0, max: 1e-3, noNaN: true }), (a, x, d) =>
        nonDecreasing(fn(a), x, x + d)
      ),
      RUNS
    )
  })

  it('silu is non-decreasing for x ≥ 0', () => {
    fc.assert(fc.property(ordered(0, 1e3), ([x, y]) => nonDecreasing(fn('silu'), x, y)), RUNS)
  })

  /** rows × n float64 data in [−50, 50] and one constant per row. */
  const arbRows = fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }))
    .chain(([rows, n]) =>
      fc.record({
        n: fc.constant(n),
        data: fc.float64Array({ min: -50, max: 50, noNaN: true, minLength: rows * n, maxLength: rows * n }),
        shifts: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: rows, maxLength: rows })
      })
    )

  const rowSums = (data: FloatArray, n: number): number[] => {
    const sums: number[] = []
    for (let s = 0; s < data.length; s += n) {
      let sum = 0
      for (let j = s; j < s + n; j++) sum += data[j] as number
      sums.push(sum)
    }
    return sums
  }

  it('softmax rows are in [0, 1] and sum to 1', () => {
    fc.assert(
      fc.property(arbRows, ({ n, data }) => {
        const out = Float64Array.from(data)
        applyActivation('softmax', 'keras3', out, n)
        return out.every((v) => v >= 0 && v <= 1) && rowSums(out, n).every((s) => Math.abs(s - 1) <= 1e-12)
      }),
      RUNS
    )
  })

  it('softmax is invariant to adding a constant to each row', () => {
    fc.assert(
      fc.property(arbRows, ({ n, data, shifts }) => {
        const plain = Float64Array.from(data)
        const shifted = Float64Array.from(data, (v, i) => v + (shifts[Math.floor(i / n)] as number))
        applyActivation('softmax', 'keras3', plain, n)
        applyActivation('softmax', 'keras3', shifted, n)
        return plain.every((v, i) => Math.abs(v - (shifted[i] as number)) <= 1e-11)
      }),
      RUNS
    )
  })

  // Keras 3.15's sparsemax is not the simplex projection (its τ sums the cumulative sums over the
  // support, see src/numerics/activations.ts): its rows need not sum to 1 nor be shift-invariant.
  // What does hold: every output is max(x − τ, 0) for one τ per row, and with a single value in the
  // support (the top one ahead of the second by more than 1) it agrees with the projection, one-hot.
  it('sparsemax (Keras 3.15): outputs ≥ 0, each nonzero one x − τ with one τ per row', () => {
    fc.assert(
      fc.property(arbRows, ({ n, data }) => {
        const out = Float64Array.from(data)
        applyActivation('sparsemax', 'keras3', out, n)
        for (let s = 0; s < data.length; s += n) {
          const taus = new Set<number>()
          for (let j = s; j < s + n; j++) {
            const y = out[j] as number
            if (!(y >= 0)) return false
            if (y > 0) taus.add(Math.round(((data[j] as number) - y) * 1e9) / 1e9)
          }
          if (taus.size > 1) return false
        }
        return true
      }),
      RUNS
    )
  })

  it('sparsemax (Keras 3.15) of a row whose top value leads by 2 is one-hot, as the simplex projection', () => {
    fc.assert(
      fc.property(arbRows, fc.nat(7), ({ n, data }, pick) => {
        const out = Float64Array.from(data)
        for (let s = 0; s < out.length; s += n) {
          let max = -Infinity
          for (let j = s; j < s + n; j++) max = Math.max(max, out[j] as number)
          out[s + (pick % n)] = max + 2
        }
        applyActivation('sparsemax', 'keras3', out, n)
        for (let s = 0; s < out.length; s += n) {
          for (let j = s; j < s + n; j++) if ((out[j] as number) !== (j === s + (pick % n) ? 1 : 0)) return false
        }
        return true
      }),
      RUNS
    )
  })

  it('log_softmax is log(softmax) row by row', () => {
    fc.assert(
      fc.property(arbRows, ({ n, data }) => {
        const sm = Float64Array.from(data)
        const lsm = Float64Array.from(data)
        applyActivation('softmax', 'keras3', sm, n)
        applyActivation('log_softmax', 'keras3', lsm, n)
        return lsm.every((v, i) => v <= 0 && Math.abs(Math.exp(v) - (sm[i] as number)) <= 1e-12)
      }),
      RUNS
    )
  })
})

// -------------------------------------------------------------------------------------
// regularizers
// -------------------------------------------------------------------------------------

describe('regularizers (properties)', () => {
  const arbFactor = fc.double({ min: 0, max: 10, noNaN: true })
  const arbData = fc.float32Array({ min: -100, max: 100, noNaN: true, minLength: 0, maxLength: 64 })

  it('the penalty is ≥ 0 and splits into its l1 and l2 parts', () => {
    fc.assert(
      fc.property(arbFactor, arbFactor, arbData, (l1, l2, data) => {
        const p = penalty({ l1, l2 }, data)
        const parts = penalty({ l1, l2: 0 }, data) + penalty({ l1: 0, l2 }, data)
        return p >= 0 && Math.abs(p - parts) <= 1e-12 * Math.max(1, p)
      }),
      RUNS
    )
  })

  it('the penalty scales linearly with the factors', () => {
    fc.assert(
      fc.property(arbFactor, arbFactor, fc.double({ min: 0, max: 100, noNaN: true }), arbData, (l1, l2, k, data) => {
        const p = penalty({ l1, l2 }, data)
        const q = penalty({ l1: k * l1, l2: k * l2 }, data)
        return Math.abs(q - k * p) <= 1e-12 * Math.max(1, k * p)
      }),
      RUNS
    )
  })
})

// -------------------------------------------------------------------------------------
// initializers
// -------------------------------------------------------------------------------------

describe('initializers (properties)', () => {
  const arbKernelShape = fc.tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 1, max: 6 })
  )
  const arbSeed = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
  const arbDType = fc.constantFrom('float32' as const, 'float64' as const)
  const arbRandomInit: fc.Arbitrary<Initializer> = fc.oneof(
    fc.record({ kind: fc.constant('random_normal' as const), mean: fc.double({ min: -1, max: 1, noNaN: true }), stddev: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.constant(null) }),
    fc.record({ kind: fc.constant('random_uniform' as const), minval: fc.double({ min: -1, max: 0, noNaN: true }), maxval: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.constant(null) }),
    fc.record({ kind: fc.constant('truncated_normal' as const), mean: fc.double({ min: -1, max: 1, noNaN: true }), stddev: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.constant(null) }),
    fc.record({
      kind: fc.constant('variance_scaling' as const),
      scale: fc.double({ min: 0.01, max: 4, noNaN: true }),
      mode: fc.constantFrom('fan_in' as const, 'fan_out' as const, 'fan_avg' as const),
      distribution: fc.constantFrom('uniform' as const, 'truncated_normal' as const, 'untruncated_normal' as const),
      seed: fc.constant(null)
    }),
    fc.record({ kind: fc.constant('orthogonal' as const), gain: fc.double({ min: 0.1, max: 3, noNaN: true }), seed: fc.constant(null) })
  )

  it('is deterministic: the same seed gives the same bytes', () => {
    fc.assert(
      fc.property(arbRandomInit, arbKernelShape, arbDType, arbSeed, (init, shape, dtype, seed) => {
        const a = bytes(sampleInitializer(init, shape, dtype, seed))
        const b = bytes(sampleInitializer(init, shape, dtype, seed))
        return a.length === b.length && a.every((x, i) => x === b[i])
      }),
      RUNS
    )
  })

  /** [lo, hi] of the kinds with bounded support, computed from the definitions (reference §5.2). */
  const bounds = (init: Initializer, [kh, kw, cin, cout]: readonly [number, number, number, number]): readonly [number, number] | undefined => {
    switch (init.kind) {
      case 'random_uniform':
        return [init.minval, init.maxval]
      case 'truncated_normal':
        return [init.mean - 2 * init.stddev, init.mean + 2 * init.stddev]
      case 'variance_scaling': {
        const fanIn = kh * kw * cin
        const fanOut = kh * kw * cout
        const n = init.mode === 'fan_in' ? fanIn : init.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2
        const s = init.scale / Math.max(1, n)
        if (init.distribution === 'uniform') return [-Math.sqrt(3 * s), Math.sqrt(3 * s)]
        if (init.distribution === 'truncated_normal') {
          const stddev = Math.sqrt(s) / 0.87962566103423978
          return [-2 * stddev, 2 * stddev]
        }
        return undefined
      }
      default:
        return undefined
    }
  }

  it('uniform and truncated kinds stay within their bounds', () => {
    fc.assert(
      fc.property(arbRandomInit, arbKernelShape, arbDType, arbSeed, (init, shape, dtype, seed) => {
        const b = bounds(init, shape)
        fc.pre(b !== undefined)
        const [lo, hi] = dtype === 'float32' ? (b as readonly [number, number]).map(Math.fround) : (b as readonly [number, number])
        const out = sampleInitializer(init, shape, dtype, seed)
        return out.length === shape.reduce((x, y) => x * y, 1) && out.every((v) => v >= (lo as number) && v <= (hi as number))
      }),
      RUNS
    )
  })
})
