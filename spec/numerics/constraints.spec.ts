import { describe, expect, it } from 'vitest'
import type { Constraint } from '../../src/codec/Constraint.js'
import { applyConstraint, constraintProblem } from '../../src/numerics/constraints.js'
import type { FloatArray } from '../../src/numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const EPS = 1e-7

const expectClose = (actual: ArrayLike<number>, expected: readonly number[], rtol = 1e-15): void => {
  expect(actual.length).toBe(expected.length)
  const bad = expected
    .map((e, i) => ({ i, e, a: actual[i] as number }))
    .filter(({ e, a }) => !(Math.abs(a - e) <= rtol * Math.abs(e) + 1e-300))
  expect(bad).toEqual([])
}

const bytes = (a: FloatArray): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))

// W = [[3, 4], [0, 5]] (row-major): column norms (axis 0) 3 and √41, row norms (axis 1) 5 and 5
const W = (): Float64Array => Float64Array.from([3, 4, 0, 5])
const SQRT41 = Math.sqrt(41)

// HWIO kernel [kh=2, kw=2, cin=1, cout=2] holding 1…8: filter 0 = {1, 3, 5, 7}, filter 1 = {2, 4, 6, 8}
const HWIO = [2, 2, 1, 2]
const K = (): Float32Array => Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])

const maxNorm = (maxValue: number, axis: readonly number[]): Constraint => ({ kind: 'max_norm', maxValue, axis })
const unitNorm = (axis: readonly number[]): Constraint => ({ kind: 'unit_norm', axis })
const minMaxNorm = (minValue: number, maxValue: number, rate: number, axis: readonly number[]): Constraint => ({
  kind: 'min_max_norm',
  minValue,
  maxValue,
  rate,
  axis
})

// -------------------------------------------------------------------------------------
// formulas on a 2 × 2 matrix
// -------------------------------------------------------------------------------------

describe('applyConstraint: formulas on a 2 × 2 matrix', () => {
  it('unit_norm along axis 1 divides each row by ε + 5', () => {
    expectClose(applyConstraint(unitNorm([1]), W(), [2, 2]), [3 / (5 + EPS), 4 / (5 + EPS), 0, 5 / (5 + EPS)])
  })

  it('unit_norm along axis 0 divides each column by ε + its norm', () => {
    expectClose(applyConstraint(unitNorm([0]), W(), [2, 2]), [3 / (3 + EPS), 4 / (SQRT41 + EPS), 0, 5 / (SQRT41 + EPS)])
  })

  it('max_norm shrinks rows whose norm exceeds max_value', () => {
    const f = 2 / (5 + EPS)
    expectClose(applyConstraint(maxNorm(2, [1]), W(), [2, 2]), [3 * f, 4 * f, 0, 5 * f])
  })

  it('max_norm leaves small norms nearly alone (scaled by n / (ε + n), as Keras)', () => {
    const f = 5 / (5 + EPS)
    const out = applyConstraint(maxNorm(10, [1]), W(), [2, 2])
    expectClose(out, [3 * f, 4 * f, 0, 5 * f])
    expect(out[0]).not.toBe(3)
  })

  it('max_norm with per-column norms (axis 0, the Keras default)', () => {
    // column 0 has norm 3 ≤ 4: kept (up to ε); column 1 has norm √41 > 4: scaled to 4
    const f0 = 3 / (3 + EPS)
    const f1 = 4 / (SQRT41 + EPS)
    expectClose(applyConstraint(maxNorm(4, [0]), W(), [2, 2]), [3 * f0, 4 * f1, 0, 5 * f1])
  })

  it('min_max_norm with rate 1 clips each norm into [min, max]', () => {
    // columns: norm 3 → raised to 6; norm √41 ≈ 6.403 is inside [6, 8] → kept
    const f0 = 6 / (3 + EPS)
    const f1 = SQRT41 / (SQRT41 + EPS)
    expectClose(applyConstraint(minMaxNorm(6, 8, 1, [0]), W(), [2, 2]), [3 * f0, 4 * f1, 0, 5 * f1])
  })

  it('min_max_norm with rate 0.5 moves half-way', () => {
    // columns into [0, 1]: desired = 0.5·1 + 0.5·n → 2 for n = 3, 0.5 + √41/2 for n = √41
    const f0 = 2 / (3 + EPS)
    const f1 = (0.5 + SQRT41 / 2) / (SQRT41 + EPS)
    expectClose(applyConstraint(minMaxNorm(0, 1, 0.5, [0]), W(), [2, 2]), [3 * f0, 4 * f1, 0, 5 * f1], 1e-14)
  })

  it('min_max_norm with rate 0 changes nothing but the ε', () => {
    const f = 5 / (5 + EPS)
    expectClose(applyConstraint(minMaxNorm(0, 1, 0, [1]), W(), [2, 2]), [3 * f, 4 * f, 0, 5 * f])
  })

  it('an all-zero group stays zero (0 / ε)', () => {
    const out = applyConstraint(unitNorm([1]), Float64Array.from([0, 0, 3, 4]), [2, 2])
    expectClose(out, [0, 0, 3 / (5 + EPS), 4 / (5 + EPS)])
    expect(Array.from(applyConstraint(minMaxNorm(1, 2, 1, [1]), Float64Array.from([0, 0]), [1, 2]))).toEqual([0, 0])
  })

  it('non_neg is max(w, 0): negatives and −0 become +0', () => {
    const out = applyConstraint({ kind: 'non_neg' }, Float64Array.from([-1, 0, 2, -0, -1e-300, 1e-300]), [6])
    expect(Array.from(out)).toEqual([0, 0, 2, 0, 0, 1e-300])
    expect(Object.is(out[3], 0)).toBe(true)
    expect(Number.isNaN(applyConstraint({ kind: 'non_neg' }, Float64Array.from([NaN]), [1])[0])).toBe(true)
  })

  it('a negative axis counts from the end (−1 is the last axis)', () => {
    expect(Array.from(applyConstraint(unitNorm([-1]), W(), [2, 2]))).toEqual(Array.from(applyConstraint(unitNorm([1]), W(), [2, 2])))
    expect(Array.from(applyConstraint(unitNorm([-2]), W(), [2, 2]))).toEqual(Array.from(applyConstraint(unitNorm([0]), W(), [2, 2])))
  })

  it('axes [0, 1] take one norm over the whole matrix (√50)', () => {
    const n = Math.sqrt(50)
    expectClose(applyConstraint(unitNorm([0, 1]), W(), [2, 2]), [3 / (n + EPS), 4 / (n + EPS), 0, 5 / (n + EPS)])
  })
})

// -------------------------------------------------------------------------------------
// HWIO kernel axes
// -------------------------------------------------------------------------------------

describe('applyConstraint: axes of an HWIO kernel', () => {
  it('axis [0, 1, 2] constrains each output filter', () => {
    // filter norms √(1+9+25+49) = √84 and √(4+16+36+64) = √120
    const n0 = Math.sqrt(84)
    const n1 = Math.sqrt(120)
    const out = applyConstraint(unitNorm([0, 1, 2]), K(), HWIO)
    expect(out).toBeInstanceOf(Float32Array)
    expect(Array.from(out)).toEqual(
      [1 / (n0 + EPS), 2 / (n1 + EPS), 3 / (n0 + EPS), 4 / (n1 + EPS), 5 / (n0 + EPS), 6 / (n1 + EPS), 7 / (n0 + EPS), 8 / (n1 + EPS)].map(Math.fround)
    )
    const f0 = 2 / (n0 + EPS)
    const f1 = 2 / (n1 + EPS)
    expect(Array.from(applyConstraint(maxNorm(2, [0, 1, 2]), K(), HWIO))).toEqual(
      [1 * f0, 2 * f1, 3 * f0, 4 * f1, 5 * f0, 6 * f1, 7 * f0, 8 * f1].map(Math.fround)
    )
  })

  it('negative axes [−4, −3, −2] mean the same as [0, 1, 2]', () => {
    expect(bytes(applyConstraint(maxNorm(2, [-4, -3, -2]), K(), HWIO))).toEqual(bytes(applyConstraint(maxNorm(2, [0, 1, 2]), K(), HWIO)))
  })

  it('the default axis [0] normalizes along the kernel rows (pairs h = 0, 1)', () => {
    // (w=0,o=0): 1 and 5 → √26; (w=0,o=1): 2 and 6 → √40; (w=1,o=0): 3 and 7 → √58; (w=1,o=1): 4 and 8 → √80
    const n = [26, 40, 58, 80].map(Math.sqrt) as [number, number, number, number]
    const expected = [1 / (n[0] + EPS), 2 / (n[1] + EPS), 3 / (n[2] + EPS), 4 / (n[3] + EPS), 5 / (n[0] + EPS), 6 / (n[1] + EPS), 7 / (n[2] + EPS), 8 / (n[3] + EPS)]
    expect(Array.from(applyConstraint(unitNorm([0]), K(), HWIO))).toEqual(expected.map(Math.fround))
  })

  it('axis [3] normalizes across filters at each kernel position', () => {
    // positions hold (1,2), (3,4), (5,6), (7,8)
    const n = [5, 25, 61, 113].map(Math.sqrt) as [number, number, number, number]
    const expected = [1, 2, 3, 4, 5, 6, 7, 8].map((v, i) => v / ((n[Math.floor(i / 2)] as number) + EPS))
    expect(Array.from(applyConstraint(unitNorm([3]), K(), HWIO))).toEqual(expected.map(Math.fround))
  })

  it('a bias of shape [F] with axis 0 has one norm', () => {
    const out = applyConstraint(maxNorm(1, [0]), Float64Array.from([3, 4]), [2])
    expectClose(out, [3 / (5 + EPS), 4 / (5 + EPS)])
  })
})

// -------------------------------------------------------------------------------------
// problems, purity
// -------------------------------------------------------------------------------------

describe('constraintProblem', () => {
  it('accepts every axis in [−rank, rank − 1]', () => {
    for (let a = -4; a <= 3; a++) expect(constraintProblem(maxNorm(2, [a]), HWIO)).toBeUndefined()
    expect(constraintProblem(unitNorm([0, 1, 2]), HWIO)).toBeUndefined()
    expect(constraintProblem({ kind: 'non_neg' }, HWIO)).toBeUndefined()
    expect(constraintProblem({ kind: 'non_neg' }, [])).toBeUndefined()
  })

  it('reports an axis out of range with the rank, shape and valid range', () => {
    const p = constraintProblem(maxNorm(2, [0, 4]), HWIO)
    expect(p).toContain('axis 4 is out of range')
    expect(p).toContain('rank 4')
    expect(p).toContain('[2, 2, 1, 2]')
    expect(p).toContain('[-4, 3]')
    expect(constraintProblem(unitNorm([-5]), HWIO)).toContain('axis -5 is out of range')
    expect(constraintProblem(minMaxNorm(0, 1, 1, [1]), [32])).toContain('[-1, 0]')
    expect(constraintProblem(unitNorm([0]), [])).toContain('rank 0')
  })

  it('reports two axes naming the same dimension', () => {
    const p = constraintProblem(unitNorm([-1, 3]), HWIO)
    expect(p).toContain('axes -1 and 3')
    expect(p).toContain('dimension 3')
    expect(constraintProblem(unitNorm([0, -4]), HWIO)).toContain('dimension 0')
  })

  it('applyConstraint throws a RangeError on a problem or a size mismatch', () => {
    expect(() => applyConstraint(maxNorm(2, [4]), K(), HWIO)).toThrow(/out of range/)
    expect(() => applyConstraint(maxNorm(2, [4]), K(), HWIO)).toThrow(RangeError)
    expect(() => applyConstraint(maxNorm(2, [0]), K(), [2, 2])).toThrow(/expected 4 values/)
  })
})

describe('applyConstraint: purity', () => {
  const constraints: ReadonlyArray<Constraint> = [
    maxNorm(2, [0, 1, 2]),
    unitNorm([0]),
    minMaxNorm(0.5, 1, 0.7, [-1]),
    { kind: 'non_neg' }
  ]
  for (const c of constraints) {
    it(`${c.kind} returns a new array of the same type and never writes its input`, () => {
      for (const data of [Float32Array.from([-1, 2, -3, 4, 5, -6, 7, -8]), Float64Array.from([-1, 2, -3, 4, 5, -6, 7, -8])]) {
        const before = bytes(data)
        const out = applyConstraint(c, data, HWIO)
        expect(out).not.toBe(data)
        expect(out.buffer).not.toBe(data.buffer)
        expect(out.constructor).toBe(data.constructor)
        expect(bytes(data)).toEqual(before)
      }
    })
  }

  it('handles an empty weight', () => {
    expect(applyConstraint(unitNorm([0]), new Float32Array(0), [0, 3]).length).toBe(0)
  })
})
