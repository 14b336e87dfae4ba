import { describe, expect, it } from 'vitest'
import { applyConstraint, constraintProblem } from '../../src/numerics/constraints.js'
import { allocate, dtypeOf } from '../../src/numerics/FloatArray.js'
import { activityPenalty } from '../../src/numerics/regularizers.js'

// Argument checks and their messages across the numerics modules (FloatArray, regularizers,
// constraints): the wording names the function, what was expected and what was got.

describe('allocate and dtypeOf', () => {
  it('allocates zero-filled buffers of the dtype', () => {
    const a = allocate('float32', 3)
    const b = allocate('float64', 2)
    expect(a).toBeInstanceOf(Float32Array)
    expect(b).toBeInstanceOf(Float64Array)
    expect(Array.from(a)).toEqual([0, 0, 0])
    expect(allocate('float64', 0).length).toBe(0)
  })

  it('rejects a length that is not a non-negative safe integer (NaN would otherwise be a silent 0)', () => {
    for (const bad of [NaN, 1.5, -1, Infinity, 2 ** 53]) {
      expect(() => allocate('float32', bad), String(bad)).toThrow(
        new RangeError(`allocate: expected a non-negative integer length, got ${String(bad)}`)
      )
    }
  })

  it('dtypeOf names the buffer\'s dtype', () => {
    expect(dtypeOf(new Float32Array(1))).toBe('float32')
    expect(dtypeOf(new Float64Array(1))).toBe('float64')
  })
})

describe('activityPenalty: messages', () => {
  const y = Float32Array.from([1, -2, 3, -4])
  it('names the bad batch size', () => {
    expect(() => activityPenalty({ l1: 1, l2: 0 }, y, 1.5)).toThrow(
      /^activityPenalty: expected a non-negative integer batch size, got 1\.5$/
    )
    expect(() => activityPenalty({ l1: 1, l2: 0 }, y, -2)).toThrow(/got -2$/)
  })
  it('a batch of 0 with values, and a batch that does not divide the output', () => {
    expect(() => activityPenalty({ l1: 1, l2: 0 }, y, 0)).toThrow(/^activityPenalty: a batch of 0 has no values, got 4$/)
    expect(() => activityPenalty({ l1: 1, l2: 0 }, y, 3)).toThrow(/^activityPenalty: 4 output values do not split into a batch of 3$/)
  })
})

describe('constraints: guards', () => {
  it('a scalar weight has no axes: the message says so instead of an empty range', () => {
    const p = constraintProblem({ kind: 'unit_norm', axis: [0] }, [])
    expect(p).toBe('unit_norm axis 0 is out of range for a scalar weight (rank 0, shape []), which has no axes')
    expect(constraintProblem({ kind: 'max_norm', maxValue: 2, axis: [-1] }, [])).toContain('scalar weight')
  })

  it('applyConstraint rejects a shape with a fractional or negative dimension even when the size matches', () => {
    const c = { kind: 'unit_norm', axis: [0] } as const
    expect(() => applyConstraint(c, new Float64Array(3), [2, 1.5])).toThrow(
      /^applyConstraint: expected 3 values for shape \[2, 1\.5\], got 3$/
    )
    expect(() => applyConstraint(c, new Float64Array(3), [-1, -3])).toThrow(RangeError)
    expect(() => applyConstraint({ kind: 'non_neg' }, new Float64Array(3), [-1, -3])).toThrow(RangeError)
  })
})
