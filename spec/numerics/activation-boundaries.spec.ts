import { describe, expect, it } from 'vitest'
import { ACTIVATIONS, type Activation } from '../../src/codec/Activation.js'
import { applyActivation, elementwiseActivation, erf, erfc } from '../../src/numerics/activations.js'

// Boundary points, signed zeros, NaN and high-precision erf/erfc values: the cases the §4.3 table
// and the existing activation spec do not reach.

const f = (a: Activation, dialect: 'keras2' | 'keras3' = 'keras3'): ((x: number) => number) => {
  const fn = elementwiseActivation(a, dialect)
  if (fn === undefined) throw new Error(`${a} is not elementwise`)
  return fn
}

const relErr = (a: number, e: number): number => Math.abs(a - e) / Math.abs(e)

// -------------------------------------------------------------------------------------
// erf / erfc against 50-digit values (mpmath.erf / mpmath.erfc rounded to float64)
// -------------------------------------------------------------------------------------

/** [x, erf(x), erfc(x)] */
const REF: ReadonlyArray<readonly [number, number, number]> = [
  [0.1, 0.1124629160182849, 0.887537083981715],
  [0.25, 0.27632639016823696, 0.7236736098317631],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [0.75, 0.7111556336535151, 0.28884436634648486],
  [0.9, 0.7969082124228322, 0.20309178757716786],
  [0.99, 0.8385080695553698, 0.1614919304446302],
  [1, 0.8427007929497149, 0.15729920705028513],
  [1.01, 0.8468104962282768, 0.1531895037717233],
  [1.25, 0.9229001282564583, 0.07709987174354177],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [1.75, 0.9866716712191824, 0.013328328780817557],
  [2, 0.9953222650189527, 0.004677734981047266],
  [2.25, 0.9985372834133188, 0.0014627165866811518],
  [2.49, 0.9995707121322661, 0.0004292878677339129],
  [2.5, 0.999593047982555, 0.0004069520174449589],
  [2.51, 0.9996142945182758, 0.0003857054817242798],
  [2.75, 0.9998993780778803, 0.00010062192211963683],
  [3, 0.9999779095030014, 2.209049699858544e-5],
  [3.5, 0.9999992569016276, 7.430983723414128e-7],
  [4, 0.9999999845827421, 1.541725790028002e-8],
  [5, 0.9999999999984626, 1.537459794428035e-12],
  [6, 1, 2.1519736712498913e-17],
  [7, 1, 4.183825607779414e-23],
  [8, 1, 1.1224297172982926e-29],
  [10, 1, 2.088487583762545e-45],
  [12, 1, 1.3562611692059042e-64],
  [15, 1, 7.212994172451207e-100],
  [20, 1, 5.395865611607901e-176],
  [25, 1, 8.300172571196523e-274],
  [26, 1, 5.663192408856143e-296],
  [26.5, 1, 2.2109076642637343e-307]
]

describe('erf and erfc: double-precision accuracy', () => {
  it('erf is within 5e-16 relative of the 50-digit value on both sides of the series/fraction switch (2.5)', () => {
    const bad = REF.filter(([x, e]) => !(relErr(erf(x), e) <= 5e-16) || !(relErr(erf(-x), -e) <= 5e-16))
    expect(bad).toEqual([])
  })

  it('erfc(x ≥ 1) (continued fraction) is within 5e-16 relative, down to 1e-307', () => {
    // erfc(1) = 0.15729920705028513; 1 − erf(1) rounds to 0.157299207050285 (8e-16 off): x = 1 must take the fraction
    const bad = REF.filter(([x]) => x >= 1).filter(([x, , c]) => !(relErr(erfc(x), c) <= 5e-16))
    expect(bad).toEqual([])
  })

  it('erfc(x < 1) = 1 − erf(x) is within 4e-16 absolute, and erfc(−x) = 2 − erfc(x)', () => {
    const bad = REF.filter(([x]) => x < 1).filter(([x, , c]) => !(Math.abs(erfc(x) - c) <= 4e-16))
    expect(bad).toEqual([])
    for (const [x, , c] of REF) expect(Math.abs(erfc(-x) - (2 - c))).toBeLessThanOrEqual(4.5e-16)
  })

  it('erfc reaches the subnormal range before it underflows (erfc(27) = 5.23705e-319)', () => {
    // mpmath: erfc(26.9) = 1.1522406e-316, erfc(27) = 5.23705e-319, erfc(27.1) = 2.33e-321, erfc(27.2) = 1e-323
    expect(relErr(erfc(26.9), 1.1522406e-316)).toBeLessThan(1e-5)
    expect(relErr(erfc(27), 5.23705e-319)).toBeLessThan(1e-4)
    expect(relErr(erfc(27.1), 2.33e-321)).toBeLessThan(1e-2)
    expect(erfc(27.2)).toBe(1e-323)
    expect(erfc(27.4)).toBe(0) // below half the smallest subnormal
    expect(erfc(1e300)).toBe(0)
    expect(erfc(Infinity)).toBe(0)
    expect(erfc(-Infinity)).toBe(2)
  })

  it('erf(±0) = 0, erfc(±0) = 1, NaN stays NaN', () => {
    expect(erf(-0)).toBe(0)
    expect(erfc(0)).toBe(1)
    expect(erfc(-0)).toBe(1)
    expect(erfc(NaN)).toBeNaN()
    expect(erf(NaN)).toBeNaN()
  })
})

// -------------------------------------------------------------------------------------
// elementwise functions at their boundaries
// -------------------------------------------------------------------------------------

describe('elementwiseActivation: saturation beyond the clip points', () => {
  it('keras3 hard_sigmoid = clip(x/6 + 0.5, 0, 1): 0 below −3, 1 above 3, exact at ±3', () => {
    const hs = f('hard_sigmoid', 'keras3')
    expect([-1e9, -10, -4, -3.5, -3, 3, 3.5, 4, 10, 1e9].map(hs)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    expect(hs(-Infinity)).toBe(0)
    expect(hs(Infinity)).toBe(1)
  })

  it('keras2 hard_sigmoid = clip(0.2·x + 0.5, 0, 1): 0 below −2.5, 1 above 2.5', () => {
    const hs = f('hard_sigmoid', 'keras2')
    expect([-10, -3, -2.5, 2.5, 3, 10].map(hs)).toEqual([0, 0, 0, 1, 1, 1])
  })

  it('hard_silu = x·hard_sigmoid(x): 0 below −3, x above 3', () => {
    const hs = f('hard_silu')
    expect([-10, -4].map((x) => hs(x) + 0)).toEqual([0, 0]) // −10·0 is −0
    expect([4, 10].map(hs)).toEqual([4, 10])
  })

  it('clipping functions are continuous at their switch points (either branch gives the same value)', () => {
    expect([-1, 1].map(f('hard_tanh'))).toEqual([-1, 1])
    expect([-1, 1].map(f('sparse_plus'))).toEqual([0, 1])
    expect([-1, 1].map(f('sparse_sigmoid'))).toEqual([0, 1])
    expect([-0.5, 0.5].map(f('soft_shrink'))).toEqual([0, 0])
    expect([-0.5, 0.5].map(f('hard_shrink'))).toEqual([0, 0])
    expect([0, 6].map(f('relu6'))).toEqual([0, 6])
  })
})

describe('elementwiseActivation: NaN', () => {
  it('every elementwise activation maps NaN to NaN (the shrinks do not turn it into 0)', () => {
    for (const a of ACTIVATIONS) {
      for (const dialect of ['keras2', 'keras3'] as const) {
        const fn = elementwiseActivation(a, dialect)
        if (fn === undefined) continue
        expect(fn(NaN), `${a} ${dialect}`).toBeNaN()
      }
    }
  })
})

// -------------------------------------------------------------------------------------
// applyActivation
// -------------------------------------------------------------------------------------

describe('applyActivation: rows are independent', () => {
  it('softmax and log_softmax subtract each row\'s own maximum (a far larger next row does not leak in)', () => {
    const s = Float64Array.from([0, 0, 1000, 1000, -1000, -1000])
    applyActivation('softmax', 'keras3', s, 2)
    expect(Array.from(s)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    const l = Float64Array.from([0, 0, 1000, 1000])
    applyActivation('log_softmax', 'keras3', l, 2)
    expect(Array.from(l)).toEqual([-Math.LN2, -Math.LN2, -Math.LN2, -Math.LN2])
  })

  it('softmax and log_softmax use the maximum, not the last value, of a decreasing row', () => {
    const s = Float64Array.from([1000, 0])
    applyActivation('softmax', 'keras3', s, 2)
    expect(Array.from(s)).toEqual([1, 0]) // e^-1000 underflows to 0
    const l = Float64Array.from([1000, 999])
    applyActivation('log_softmax', 'keras3', l, 2)
    // −log(1 + e^-1) = −0.31326168751822286, and that − 1
    expect(l[0]).toBeCloseTo(-0.31326168751822286, 14)
    expect(l[1]).toBeCloseTo(-1.3132616875182228, 14)
  })

  it("sparsemax follows Keras 3.15's arithmetic: not shift-invariant, float32 steps for a Float32Array (rows near 1e15)", () => {
    // Keras 3.15 (TensorFlow): sparsemax([[1e15 + 0.125, 1e15 + 0.5]]) is [[0, 0]] in float64 and
    // [[inf, inf]] in float32, where 1e15 − 1 rounds back to 1e15 and the support is empty; [0.125, 0.5]
    // gives [0.0625, 0.4375].
    const d = Float64Array.from([1e15 + 0.125, 1e15 + 0.5, 0.125, 0.5])
    applyActivation('sparsemax', 'keras3', d, 2)
    expect(Array.from(d)).toEqual([0, 0, 0.0625, 0.4375])
    const f = Float32Array.from([1e15, 1e15, 0.125, 0.5])
    applyActivation('sparsemax', 'keras3', f, 2)
    expect(Array.from(f)).toEqual([Infinity, Infinity, 0.0625, 0.4375])
  })

  it('sparsemax: a NaN sorts first, as in TensorFlow, and empties the support: NaN stays NaN, the rest become +∞', () => {
    // Keras 3.15: sparsemax([[nan, 1, 2]]) = [[nan, inf, inf]]; the second row is unaffected
    const d = Float64Array.from([NaN, 1, 2, 0.5, 0.2, -1])
    applyActivation('sparsemax', 'keras3', d, 3)
    expect(d[0]).toBeNaN()
    expect(Array.from(d.subarray(1))).toEqual([Infinity, Infinity, 0.4, 0.10000000000000003, 0])
    const all = Float64Array.from([NaN, NaN])
    applyActivation('sparsemax', 'keras3', all, 2)
    expect(Array.from(all)).toEqual([NaN, NaN])
  })
})

describe('applyActivation: argument checks', () => {
  it('rejects a fractional or negative last axis even when it would "divide" the buffer', () => {
    expect(() => applyActivation('relu', 'keras3', new Float64Array(3), 1.5)).toThrow(
      /^applyActivation: a last axis of length 1\.5 does not divide 3 values into rows$/
    )
    expect(() => applyActivation('relu', 'keras3', new Float64Array(3), -1)).toThrow(RangeError)
    expect(() => applyActivation('softmax', 'keras3', new Float64Array(6), -3)).toThrow(/last axis of length -3 does not divide 6 values/)
    expect(() => applyActivation('softmax', 'keras3', new Float64Array(0), 0.5)).toThrow(RangeError)
  })

  it('rejects a name that is not an activation (untyped callers)', () => {
    expect(() => applyActivation('bogus' as Activation, 'keras3', new Float64Array(2), 2)).toThrow(
      /^applyActivation: no elementwise function for bogus$/
    )
  })
})
