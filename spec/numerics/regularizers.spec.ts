import { describe, expect, it } from 'vitest'
import { activityPenalty, penalty } from '../../src/numerics/regularizers.js'

// W = [[1, -2], [3, -4]]: Σ|w| = 10, Σw² = 30
const W = (): Float32Array => Float32Array.from([1, -2, 3, -4])

describe('penalty', () => {
  it('is l1·Σ|w| + l2·Σw² on a 2 × 2 matrix', () => {
    expect(penalty({ l1: 0.01, l2: 0 }, W())).toBeCloseTo(0.1, 15)
    expect(penalty({ l1: 0, l2: 0.01 }, W())).toBeCloseTo(0.3, 15)
    expect(penalty({ l1: 0.5, l2: 0.25 }, W())).toBe(12.5) // 5 + 7.5
    expect(penalty({ l1: 0, l2: 0 }, W())).toBe(0)
  })

  it('uses the factors exactly as given (TF 2.x float32-rounded 0.01 stays that)', () => {
    expect(penalty({ l1: 0, l2: 0.009999999776482582 }, Float64Array.from([2]))).toBe(4 * 0.009999999776482582)
  })

  it('is 0 for an empty weight', () => {
    expect(penalty({ l1: 1, l2: 1 }, new Float32Array(0))).toBe(0)
  })

  it('a zero factor contributes exactly 0, even against an infinite weight', () => {
    const w = Float64Array.from([Infinity, 1])
    expect(penalty({ l1: 0, l2: 0 }, w)).toBe(0)
    expect(penalty({ l1: 0, l2: 1 }, w)).toBe(Infinity)
    expect(penalty({ l1: 1, l2: 0 }, w)).toBe(Infinity)
  })

  it('accumulates in float64 even for float32 weights', () => {
    const w = new Float32Array(1_000_000).fill(0.1)
    const v = Math.fround(0.1)
    // a float32 running sum would be off by about 1e-3 relative here; float64 is within 1e-9
    const rel = (a: number, e: number): number => Math.abs(a - e) / e
    expect(rel(penalty({ l1: 1, l2: 0 }, w), 1_000_000 * v)).toBeLessThan(1e-9)
    expect(rel(penalty({ l1: 0, l2: 1 }, w), 1_000_000 * v * v)).toBeLessThan(1e-9)
  })
})

describe('activityPenalty', () => {
  it('divides the penalty of the whole output by the batch size', () => {
    // output of shape [2, 1, 1, 2] = [[1, -2], [3, -4]]: l2 penalty 0.01 · 30 = 0.3, per sample 0.15
    expect(activityPenalty({ l1: 0, l2: 0.01 }, W(), 2)).toBeCloseTo(0.15, 15)
    // l1 = 1: Σ|y| = 10 over a batch of 1 → 10; the same data seen as a batch of 4 → 2.5
    expect(activityPenalty({ l1: 1, l2: 0 }, W(), 1)).toBe(10)
    expect(activityPenalty({ l1: 1, l2: 0 }, W(), 4)).toBe(2.5)
  })

  it('is 0 for an empty batch (divide_no_nan)', () => {
    expect(activityPenalty({ l1: 1, l2: 1 }, new Float32Array(0), 0)).toBe(0)
  })

  it('rejects a batch size that cannot be the leading axis', () => {
    expect(() => activityPenalty({ l1: 1, l2: 0 }, W(), 3)).toThrow(RangeError)
    expect(() => activityPenalty({ l1: 1, l2: 0 }, W(), -1)).toThrow(RangeError)
    expect(() => activityPenalty({ l1: 1, l2: 0 }, W(), 1.5)).toThrow(RangeError)
    expect(() => activityPenalty({ l1: 1, l2: 0 }, W(), 0)).toThrow(RangeError)
  })

  it('does not modify the output', () => {
    const y = W()
    activityPenalty({ l1: 1, l2: 1 }, y, 2)
    expect(Array.from(y)).toEqual([1, -2, 3, -4])
  })
})
