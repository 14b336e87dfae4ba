import { describe, expect, it } from 'vitest'
import { ACTIVATIONS, type Activation } from '../../src/codec/Activation.js'
import { applyActivation, elementwiseActivation, erf, erfc, SELU_ALPHA, SELU_SCALE } from '../../src/numerics/activations.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

/** |actual − expected| ≤ rtol·|expected| + atol, element by element, with a readable failure. */
const expectClose = (actual: ArrayLike<number>, expected: readonly number[], rtol = 1e-7, atol = 0): void => {
  expect(actual.length).toBe(expected.length)
  const bad = expected
    .map((e, i) => ({ i, e, a: actual[i] as number }))
    .filter(({ e, a }) => !(Math.abs(a - e) <= rtol * Math.abs(e) + atol))
  expect(bad).toEqual([])
}

const f = (a: Activation, dialect: 'keras2' | 'keras3' = 'keras3'): ((x: number) => number) => {
  const fn = elementwiseActivation(a, dialect)
  if (fn === undefined) throw new Error(`${a} is not elementwise`)
  return fn
}

const X = [-3, -1, -0.5, 0, 0.5, 1, 3]

// -------------------------------------------------------------------------------------
// reference §4.3 table (float64, 8 significant digits)
// -------------------------------------------------------------------------------------

const TABLE: ReadonlyArray<readonly [Activation, readonly number[]]> = [
  ['relu', [0, 0, 0, 0, 0.5, 1, 3]],
  ['relu6', [0, 0, 0, 0, 0.5, 1, 3]],
  ['leaky_relu', [-0.6, -0.2, -0.1, 0, 0.5, 1, 3]],
  ['elu', [-0.95021293, -0.63212056, -0.39346934, 0, 0.5, 1, 3]],
  ['selu', [-1.6705687, -1.1113307, -0.69175819, 0, 0.52535049, 1.050701, 3.152103]],
  ['sigmoid', [0.047425873, 0.26894142, 0.37754067, 0.5, 0.62245933, 0.73105858, 0.95257413]],
  ['hard_silu', [0, -0.33333333, -0.20833333, 0, 0.29166667, 0.66666667, 3]],
  ['tanh', [-0.99505475, -0.76159416, -0.46211716, 0, 0.46211716, 0.76159416, 0.99505475]],
  ['softplus', [0.048587352, 0.31326169, 0.47407698, 0.69314718, 0.97407698, 1.3132617, 3.0485874]],
  ['softsign', [-0.75, -0.5, -0.33333333, 0, 0.33333333, 0.5, 0.75]],
  ['exponential', [0.049787068, 0.36787944, 0.60653066, 1, 1.6487213, 2.7182818, 20.085537]],
  ['silu', [-0.14227762, -0.26894142, -0.18877033, 0, 0.31122967, 0.73105858, 2.8577224]],
  ['mish', [-0.14564746, -0.30340146, -0.22074377, 0, 0.37524521, 0.86509839, 2.986535]],
  ['gelu', [-0.0040496941, -0.15865525, -0.15426877, 0, 0.34573123, 0.84134475, 2.9959503]],
  ['linear', [-3, -1, -0.5, 0, 0.5, 1, 3]]
]

describe('elementwiseActivation: reference §4.3 table', () => {
  for (const [name, expected] of TABLE) {
    it(`${name} matches the table to 8 significant digits`, () => {
      expectClose(X.map(f(name)), expected, 1e-7)
    })
  }

  it('hard_sigmoid follows the dialect (keras2: 0.2x + 0.5, keras3: x/6 + 0.5)', () => {
    expectClose(X.map(f('hard_sigmoid', 'keras2')), [0, 0.3, 0.4, 0.5, 0.6, 0.7, 1], 1e-12)
    expectClose(X.map(f('hard_sigmoid', 'keras3')), [0, 0.33333333, 0.41666667, 0.5, 0.58333333, 0.66666667, 1], 1e-7)
    // keras2 saturates at ±2.5, keras3 at ±3
    expect(f('hard_sigmoid', 'keras2')(2.5)).toBe(1)
    expect(f('hard_sigmoid', 'keras2')(-2.5)).toBe(0)
    expect(f('hard_sigmoid', 'keras3')(2.5)).toBeCloseTo(11 / 12, 15)
  })

  it('the elementwise functions do not depend on the dialect except hard_sigmoid', () => {
    for (const a of ACTIVATIONS) {
      const k2 = elementwiseActivation(a, 'keras2')
      const k3 = elementwiseActivation(a, 'keras3')
      if (k2 === undefined || k3 === undefined) {
        expect([k2, k3]).toEqual([undefined, undefined])
        continue
      }
      if (a === 'hard_sigmoid') continue
      expect(X.map(k2)).toEqual(X.map(k3))
    }
  })

  it('softmax, log_softmax and sparsemax have no scalar function; every other activation has one', () => {
    const rowWise = ACTIVATIONS.filter((a) => elementwiseActivation(a, 'keras3') === undefined)
    expect([...rowWise].sort()).toEqual(['log_softmax', 'softmax', 'sparsemax'])
  })

  it('selu uses Keras\'s constants', () => {
    expect(SELU_ALPHA).toBe(1.6732632423543772)
    expect(SELU_SCALE).toBe(1.0507009873554805)
    expect(f('selu')(2)).toBe(SELU_SCALE * 2)
  })
})

describe('elementwiseActivation: TensorFlow float32 documentation examples', () => {
  it('gelu (exact) on [-3, -1, 0, 1, 3]', () => {
    // float32 results: agree to float32 precision (about 2e-7 absolute at these magnitudes)
    expectClose([-3, -1, 0, 1, 3].map(f('gelu')), [-0.00404951, -0.15865529, 0, 0.8413447, 2.9959507], 0, 1e-6)
  })
  it('swish = silu on [-20, -1, 0, 1, 20]', () => {
    expectClose([-20, -1, 0, 1, 20].map(f('silu')), [-4.1223075e-8, -0.26894143, 0, 0.7310586, 20], 1e-6)
  })
})

describe('elementwiseActivation: Keras 3 activations, values derived from their definitions', () => {
  it('celu = max(x, 0) + expm1(min(x, 0)) (α = 1)', () => {
    // e^-3 − 1, e^-1 − 1, e^-0.5 − 1
    expectClose(X.map(f('celu')), [-0.950212931632136, -0.6321205588285577, -0.3934693402873666, 0, 0.5, 1, 3], 1e-14)
  })
  it('squareplus = (x + √(x² + 4)) / 2', () => {
    // (−3 + √13)/2, (√5 − 1)/2, (−0.5 + √4.25)/2, 1, (0.5 + √4.25)/2, (1 + √5)/2, (3 + √13)/2
    expectClose(
      X.map(f('squareplus')),
      [0.3027756377319947, 0.6180339887498949, 0.7807764064044151, 1, 1.2807764064044151, 1.618033988749895, 3.302775637731995],
      1e-14
    )
  })
  it('soft_shrink and hard_shrink (threshold 0.5)', () => {
    expect(X.map(f('soft_shrink'))).toEqual([-2.5, -0.5, 0, 0, 0, 0.5, 2.5])
    expect(X.map(f('hard_shrink'))).toEqual([-3, -1, 0, 0, 0, 1, 3])
    expect(f('hard_shrink')(0.5000001)).toBe(0.5000001)
  })
  it('tanh_shrink = x − tanh(x)', () => {
    // tanh(3) = 0.99505475368673045, tanh(1) = 0.76159415595576489, tanh(0.5) = 0.46211715726000974
    expectClose(
      X.map(f('tanh_shrink')),
      [-2.0049452463132695, -0.23840584404423512, -0.03788284273999024, 0, 0.03788284273999024, 0.23840584404423512, 2.0049452463132695],
      1e-12
    )
  })
  it('hard_tanh = clip(x, −1, 1)', () => {
    expect(X.map(f('hard_tanh'))).toEqual([-1, -1, -0.5, 0, 0.5, 1, 1])
  })
  it('sparse_plus: 0 | (x + 1)²/4 | x', () => {
    expect(X.map(f('sparse_plus'))).toEqual([0, 0, 0.0625, 0.25, 0.5625, 1, 3])
  })
  it('sparse_sigmoid: 0 | (x + 1)/2 | 1', () => {
    expect(X.map(f('sparse_sigmoid'))).toEqual([0, 0, 0.25, 0.5, 0.75, 1, 1])
  })
  it('log_sigmoid = −softplus(−x) = −log(1 + e^(−x))', () => {
    // the softplus row of §4.3 mirrored and negated; log 2 at 0
    expectClose(
      X.map(f('log_sigmoid')),
      [-3.048587351573742, -1.3132616875182228, -0.9740769841801067, -0.6931471805599453, -0.4740769841801067, -0.3132616875182228, -0.04858735157374206],
      1e-14
    )
  })
})

describe('elementwiseActivation: stability for large |x|', () => {
  it('no NaN and the right limits at ±1000', () => {
    expect(f('sigmoid')(1000)).toBe(1)
    expect(f('sigmoid')(-1000)).toBe(0)
    expect(f('softplus')(1000)).toBe(1000)
    expect(f('softplus')(-1000)).toBe(0)
    expect(f('log_sigmoid')(-1000)).toBe(-1000)
    expect(f('log_sigmoid')(1000)).toBeCloseTo(0, 300)
    expect(f('silu')(1000)).toBe(1000)
    expect(f('silu')(-1000)).toBeCloseTo(0, 300)
    expect(f('mish')(1000)).toBe(1000)
    expect(f('mish')(-1000)).toBeCloseTo(0, 300)
    expect(f('gelu')(1000)).toBe(1000)
    expect(f('gelu')(-1000)).toBeCloseTo(0, 300)
    expect(f('elu')(-1000)).toBe(-1)
    expect(f('celu')(-1000)).toBe(-1)
    expect(f('selu')(-1000)).toBeCloseTo(-1.7580993408473768, 14)
    expect(f('tanh')(-1000)).toBe(-1)
    expect(f('softsign')(1000)).toBe(1000 / 1001)
    expect(f('exponential')(-1000)).toBe(0)
    // (x + √(x² + 4))/2 with √1000004 = 1000.001999998…: 2/(1000 + 1000.001999998) and 1000.000999999
    expect(f('squareplus')(-1000)).toBeCloseTo(9.99999000002e-4, 15)
    expect(f('squareplus')(1000)).toBeCloseTo(1000.000999999, 9)
    for (const a of ACTIVATIONS) {
      const fn = elementwiseActivation(a, 'keras3')
      if (fn === undefined) continue
      for (const x of [-1000, 1000, -1e300, 1e300]) {
        if (a === 'exponential' && x > 0) continue
        if (Math.abs(x) > 1000 && (a === 'selu' || a === 'hard_silu')) continue // scale·x or x² overflow, as in Keras
        expect(Number.isNaN(fn(x)), `${a}(${x})`).toBe(false)
      }
    }
  })

  it('keeps relative precision in the tails at ±30', () => {
    expectClose([f('sigmoid')(30), f('sigmoid')(-30)], [0.9999999999999064, 9.357622968839299e-14], 1e-13)
    expectClose([f('softplus')(30), f('softplus')(-30)], [30.000000000000092, 9.357622968839737e-14], 1e-13)
    expectClose([f('silu')(-30), f('mish')(-30)], [-2.8072868906517896e-12, -2.807286890651921e-12], 1e-12)
    expectClose([f('gelu')(-30)], [-1.472014178144456e-196], 1e-12)
  })
})

describe('erf and erfc', () => {
  it('matches known values', () => {
    expectClose(
      [erf(0.5), erf(1), erf(2), erf(-3), erf(0.1), erf(1e-5)],
      [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9999779095030014, 0.1124629160182849, 1.1283791670579e-5],
      2e-15
    )
    expect(erf(0)).toBe(0)
    expect(erf(Infinity)).toBe(1)
    expect(erf(-Infinity)).toBe(-1)
    expect(erf(6)).toBe(1)
    expect(Number.isNaN(erf(NaN))).toBe(true)
  })
  it('is odd', () => {
    for (const x of [1e-300, 1e-8, 0.3, 0.99, 1, 1.7, 2.49, 2.5, 2.51, 4, 7, 30]) expect(erf(-x)).toBe(-erf(x))
  })
  it('erfc keeps relative precision where erf is close to 1', () => {
    expectClose(
      [erfc(3), erfc(5), erfc(10), erfc(-1)],
      [2.209049699858544e-5, 1.537459794428035e-12, 2.088487583762545e-45, 1.8427007929497148],
      1e-14
    )
    expect(erfc(0)).toBe(1)
    expect(erfc(100)).toBe(0)
    expect(erfc(-100)).toBe(2)
  })
  it('erf + erfc = 1', () => {
    for (let x = -4; x <= 4; x += 0.125) expect(erf(x) + erfc(x)).toBeCloseTo(1, 15)
  })
})

// -------------------------------------------------------------------------------------
// applyActivation
// -------------------------------------------------------------------------------------

describe('applyActivation: elementwise', () => {
  it('writes into the buffer in place, bit-identically to the scalar function (signed zeros, clip points, NaN)', () => {
    // 24 values, rows of 3; the clip points of relu6, hard_sigmoid and the shrinks, and both zeros
    const values = [-Infinity, -1e300, -1000, -30, -6, -3, -2.5, -1, -0.5, -1e-300, -0, 0, 1e-300, 0.5, 1, 1.5, 2.5, 3, 6, 30, 1000, 1e300, Infinity, NaN]
    for (const a of ACTIVATIONS) {
      for (const dialect of ['keras2', 'keras3'] as const) {
        const fn = elementwiseActivation(a, dialect)
        if (fn === undefined) continue
        const data = Float64Array.from(values)
        applyActivation(a, dialect, data, 3)
        const bad = values.flatMap((x, i) => (Object.is(data[i], fn(x)) ? [] : [`${a} ${dialect} at ${x}: ${data[i]} vs ${fn(x)}`]))
        expect(bad).toEqual([])
      }
    }
  })

  it('linear leaves the buffer untouched', () => {
    const data = Float32Array.from([1.5, -2, 3])
    applyActivation('linear', 'keras3', data, 3)
    expect(Array.from(data)).toEqual([1.5, -2, 3])
  })

  it('stores float32 results in a Float32Array', () => {
    const data = Float32Array.from([-1, 0, 1])
    applyActivation('sigmoid', 'keras3', data, 1)
    expect(Array.from(data)).toEqual([Math.fround(0.2689414213699951), 0.5, Math.fround(0.7310585786300049)])
  })

  it('rejects a last axis that does not divide the buffer', () => {
    expect(() => applyActivation('relu', 'keras3', new Float32Array(6), 4)).toThrow(RangeError)
    expect(() => applyActivation('softmax', 'keras3', new Float32Array(6), 0)).toThrow(RangeError)
    expect(() => applyActivation('softmax', 'keras3', new Float32Array(0), 0)).not.toThrow()
  })
})

describe('applyActivation: along the last axis', () => {
  it('softmax on a [2, 3] buffer normalizes each row', () => {
    const data = Float64Array.from([1, 2, 3, 0, 0, 0])
    applyActivation('softmax', 'keras3', data, 3)
    // e^-2, e^-1, 1 over their sum 1.5032147243080551; a constant row is uniform
    expectClose(data, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 1 / 3, 1 / 3, 1 / 3], 1e-15)
    expect((data[0] as number) + (data[1] as number) + (data[2] as number)).toBeCloseTo(1, 15)
  })

  it('softmax subtracts the row maximum (no overflow at 1000)', () => {
    const data = Float64Array.from([1000, 1001, 1002, -1000, -999, -998])
    applyActivation('softmax', 'keras3', data, 3)
    expectClose(data, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 0.09003057317038046, 0.24472847105479764, 0.6652409557748219], 1e-14)
  })

  it('softmax over a single channel is 1', () => {
    const data = Float32Array.from([-5, 7, 0])
    applyActivation('softmax', 'keras3', data, 1)
    expect(Array.from(data)).toEqual([1, 1, 1])
  })

  it('log_softmax on a [2, 3] buffer', () => {
    const data = Float64Array.from([1, 2, 3, 5, 5, 5])
    applyActivation('log_softmax', 'keras3', data, 3)
    // x − 3 − log(1 + e^-1 + e^-2); −log 3 for a constant row
    const l3 = -1.0986122886681098
    expectClose(data, [-2.40760596444438, -1.4076059644443804, -0.4076059644443803, l3, l3, l3], 1e-15)
  })

  it("sparsemax is Keras 3.15's formula: τ = (Σ over the support of the cumulative sums − 1) / k", () => {
    const data = Float64Array.from([1, 2, 3, 0.1, 0.2, 0.3, 0.5, 0.2, -1])
    applyActivation('sparsemax', 'keras3', data, 3)
    // Keras 3.15 (TensorFlow, float64), `keras.activations.sparsemax`:
    // [1,2,3]: support {3}, τ = 2 → [0, 0, 1] (as the textbook projection: one value in the support)
    // [0.1,0.2,0.3]: support {0.3, 0.2}, τ = (0.3 + 0.5 − 1)/2 = −0.1 → [0, 0.0667, 0.1667] (the paper: [7/30, 1/3, 13/30])
    // [0.5,0.2,−1]: support {0.5, 0.2}, τ = (0.5 + 0.7 − 1)/2 = 0.1 → [0.4, 0.1, 0]
    expect(Array.from(data.subarray(0, 3))).toEqual([0, 0, 1])
    expectClose(data.subarray(3, 6), [0, 0.06666666666666671, 0.16666666666666669], 1e-15)
    expectClose(data.subarray(6, 9), [0.4, 0.10000000000000003, 0], 1e-15)
    expect(data[3]).toBe(0)
    expect(data[8]).toBe(0)
  })

  it('sparsemax of equal values is zero (Keras 3.15), and of a dominant value one-hot', () => {
    const data = Float32Array.from([4, 4, 4, 4, 0, 10, 0, 0])
    applyActivation('sparsemax', 'keras3', data, 4)
    expect(Array.from(data)).toEqual([0, 0, 0, 0, 0, 1, 0, 0])
  })

  it('acts on the last axis of an NHWC buffer, row by row', () => {
    // shape [1, 2, 2, 2]: four rows of two channels
    const data = Float64Array.from([0, 0, 1, 1, 0, Math.log(3), 5, 5])
    applyActivation('softmax', 'keras3', data, 2)
    expectClose(data, [0.5, 0.5, 0.5, 0.5, 0.25, 0.75, 0.5, 0.5], 1e-15)
  })
})
