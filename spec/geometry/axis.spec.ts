/**
 * Axis: the per-axis geometry of the convolution family, checked on the conv-family reference's §2
 * examples and §13 test vectors (computed there with an independent NumPy implementation). The test
 * vectors are checked by value: tiny definition-level 1-D operations below take only the geometry
 * (length, padding, crop) from Axis and must reproduce the reference's numbers.
 */
import { describe, expect, it } from 'vitest'
import {
  convAxis,
  convAxisProblem,
  cropAxis,
  cropAxisProblem,
  effectiveKernel,
  outputPaddingProblem,
  padAxis,
  poolAxis,
  poolAxisProblem,
  stridesDilationProblem,
  transposedAxis,
  transposedAxisProblem,
  upsampleAxis,
  type ConvAxis,
  type TransposedAxis
} from '../../src/geometry/Axis.js'
import * as Padding from '../../src/geometry/Padding.js'

// -------------------------------------------------------------------------------------
// definition-level 1-D operations (one channel), driven by the geometry only
// -------------------------------------------------------------------------------------

/** Cross-correlation over the zero-padded input: `y[i] = Σ_t xpad[i·s + t·d]·w[t]`. */
const conv1d = (x: readonly number[], w: readonly number[], s: number, d: number, g: ConvAxis): number[] => {
  const xpad = [...Array<number>(g.before).fill(0), ...x, ...Array<number>(g.after).fill(0)]
  return Array.from({ length: g.out }, (_, i) => w.reduce((acc, wt, t) => acc + (xpad[i * s + t * d] as number) * wt, 0))
}

/** Scatter `x[i]·w[t]` to `i·s + t·d` of a buffer of length `full`; output `j` reads `j + crop`, zero past `full`. */
const transpose1d = (x: readonly number[], w: readonly number[], s: number, d: number, g: TransposedAxis): number[] => {
  const z = Array<number>(g.full).fill(0)
  x.forEach((xi, i) => w.forEach((wt, t) => (z[i * s + t * d] = (z[i * s + t * d] as number) + xi * wt)))
  return Array.from({ length: g.out }, (_, j) => (j + g.crop < g.full ? (z[j + g.crop] as number) : 0))
}

/** Pooling over the real elements of each window (window `i` starts at `i·s − before`). */
const pool1d = (x: readonly number[], p: number, s: number, g: ConvAxis, kind: 'max' | 'avg'): number[] =>
  Array.from({ length: g.out }, (_, i) => {
    const start = i * s - g.before
    const real = x.slice(Math.max(start, 0), Math.min(start + p, x.length))
    return kind === 'max' ? Math.max(...real) : real.reduce((a, b) => a + b, 0) / real.length
  })

const x5 = [1, 2, 3, 4, 5]
const w3 = [1, 10, 100]

// -------------------------------------------------------------------------------------
// lengths and padding
// -------------------------------------------------------------------------------------

describe('effectiveKernel', () => {
  it('is d·(k−1)+1, and Padding.ts re-exports the same function', () => {
    expect([effectiveKernel(3, 1), effectiveKernel(3, 2), effectiveKernel(1, 5), effectiveKernel(2, 3)]).toEqual([3, 5, 1, 4])
    expect(Padding.effectiveKernel).toBe(effectiveKernel)
  })
})

describe('convAxis', () => {
  it('valid: floor((n − ke) / s) + 1, no padding (Conv2D reference §2.2)', () => {
    expect(convAxis(7, 3, 1, 1, 'valid')).toEqual({ out: 5, before: 0, after: 0 })
    expect(convAxis(7, 3, 2, 1, 'valid')).toEqual({ out: 3, before: 0, after: 0 })
    expect(convAxis(7, 3, 1, 2, 'valid')).toEqual({ out: 3, before: 0, after: 0 })
    expect(convAxis(4, 4, 1, 1, 'valid')).toEqual({ out: 1, before: 0, after: 0 })
  })

  it("same: ceil(n / s) and TF's split, odd unit at the end (Conv2D reference §2.3 examples)", () => {
    expect(convAxis(4, 2, 1, 1, 'same')).toEqual({ out: 4, before: 0, after: 1 })
    expect(convAxis(5, 3, 2, 1, 'same')).toEqual({ out: 3, before: 1, after: 1 })
    expect(convAxis(6, 3, 2, 1, 'same')).toEqual({ out: 3, before: 0, after: 1 })
    expect(convAxis(4, 4, 1, 1, 'same')).toEqual({ out: 4, before: 1, after: 2 })
    expect(convAxis(8, 2, 1, 2, 'same')).toEqual({ out: 8, before: 1, after: 1 })
    expect(convAxis(5, 1, 3, 1, 'same')).toEqual({ out: 2, before: 0, after: 0 })
    expect(convAxis(7, 3, 2, 1, 'same')).toEqual({ out: 4, before: 1, after: 1 })
  })

  it('causal: left pad d·(k−1), nothing after, then valid; the length of same (family §2)', () => {
    expect(convAxis(5, 3, 1, 1, 'causal')).toEqual({ out: 5, before: 2, after: 0 })
    expect(convAxis(5, 3, 1, 2, 'causal')).toEqual({ out: 5, before: 4, after: 0 })
    expect(convAxis(5, 3, 2, 1, 'causal')).toEqual({ out: 3, before: 2, after: 0 })
    expect(convAxis(8, 3, 1, 1, 'causal')).toEqual({ out: 8, before: 2, after: 0 }) // tfjs says 6 (family §12)
    expect(convAxis(1, 4, 3, 1, 'causal')).toEqual({ out: 1, before: 3, after: 0 })
  })

  it('reports zero and negative valid lengths as computed (Conv2D reference §2.4)', () => {
    expect(convAxis(2, 3, 1, 1, 'valid').out).toBe(0)
    expect(convAxis(10, 2, 1, 10, 'valid').out).toBe(0) // ke = 11
    expect(convAxis(5, 20, 1, 1, 'valid').out).toBe(-14)
    expect(convAxis(3, 5, 2, 1, 'valid').out).toBe(0) // floor(−2 / 2) + 1
    expect(convAxis(3, 8, 2, 1, 'valid').out).toBe(-2) // floor(−5 / 2) + 1
  })

  it("Padding.ts's outputLength and axisPadding are convAxis (null stays null)", () => {
    expect(Padding.outputLength(7, 3, 2, 1, 'same')).toBe(4)
    expect(Padding.outputLength(5, 20, 1, 1, 'valid')).toBe(-14)
    expect(Padding.outputLength(null, 3, 1, 1, 'valid')).toBe(null)
    expect(Padding.axisPadding(4, 4, 1, 1, 'same')).toEqual({ before: 1, after: 2 })
    expect(Padding.axisPadding(8, 3, 1, 1, 'valid')).toEqual({ before: 0, after: 0 })
  })
})

describe('poolAxis', () => {
  it('is the convolution rule with ke = p', () => {
    expect(poolAxis(5, 2, 2, 'same')).toEqual({ out: 3, before: 0, after: 1 })
    expect(poolAxis(5, 3, 2, 'same')).toEqual({ out: 3, before: 1, after: 1 })
    expect(poolAxis(5, 2, 1, 'valid')).toEqual({ out: 4, before: 0, after: 0 })
    expect(poolAxis(7, 2, 2, 'valid')).toEqual({ out: 3, before: 0, after: 0 })
    expect(poolAxis(1, 2, 1, 'valid').out).toBe(0)
    expect(poolAxis(2, 5, 1, 'valid').out).toBe(-2)
  })
})

describe('transposedAxis', () => {
  it('the family §2 examples (n = 5)', () => {
    expect(transposedAxis(5, 3, 2, 1, 'same', null)).toEqual({ out: 10, full: 11, crop: 0 }) // crop (0, 1)
    expect(transposedAxis(5, 4, 2, 1, 'same', null)).toEqual({ out: 10, full: 12, crop: 1 }) // crop (1, 1)
    expect(transposedAxis(5, 3, 2, 1, 'valid', null)).toEqual({ out: 11, full: 11, crop: 0 })
    expect(transposedAxis(5, 1, 2, 1, 'valid', null)).toEqual({ out: 10, full: 9, crop: 0 }) // one trailing zero
    expect(transposedAxis(5, 3, 2, 1, 'same', 0)).toEqual({ out: 9, full: 11, crop: 1 }) // crop (1, 1)
    const cropAfter = (g: TransposedAxis): number => g.full - g.out - g.crop
    expect(cropAfter(transposedAxis(5, 3, 2, 1, 'same', null))).toBe(1)
    expect(cropAfter(transposedAxis(5, 4, 2, 1, 'same', null))).toBe(1)
    expect(cropAfter(transposedAxis(5, 1, 2, 1, 'valid', null))).toBe(-1)
    expect(cropAfter(transposedAxis(5, 3, 2, 1, 'same', 0))).toBe(1)
  })

  it("Keras's output lengths with and without output_padding (family §2 table)", () => {
    // valid: (n−1)·s + max(ke, s) / (n−1)·s + ke + op
    expect(transposedAxis(4, 2, 3, 1, 'valid', null).out).toBe(12) // s > ke: 9 + 3
    expect(transposedAxis(4, 3, 2, 2, 'valid', null).out).toBe(11) // ke 5: 6 + 5
    expect(transposedAxis(4, 3, 2, 2, 'valid', 1).out).toBe(12)
    // same: n·s / (n−1)·s + (ke mod 2) + op
    expect(transposedAxis(4, 3, 3, 1, 'same', null).out).toBe(12)
    expect(transposedAxis(4, 3, 3, 1, 'same', 2).out).toBe(12) // 9 + 1 + 2
    expect(transposedAxis(4, 2, 3, 1, 'same', 2).out).toBe(11) // 9 + 0 + 2
    // tfjs would say 7 for valid k=3, d=2 on n=5 (dilation ignored, family §12); Keras says 9
    expect(transposedAxis(5, 3, 1, 2, 'valid', null).out).toBe(9)
  })

  it('a zero length: n = 1, same, even ke, output_padding 0', () => {
    expect(transposedAxis(1, 2, 2, 1, 'same', 0)).toEqual({ out: 0, full: 2, crop: 1 })
    expect(transposedAxis(1, 2, 2, 1, 'same', null).out).toBe(2)
  })
})

describe('the other lengths (family §10)', () => {
  it('UpSampling, ZeroPadding, Cropping', () => {
    expect(upsampleAxis(2, 3)).toBe(6)
    expect(padAxis(2, 2, 0)).toBe(4)
    expect(cropAxis(6, 1, 2)).toBe(3)
    expect(cropAxis(3, 1, 2)).toBe(0)
    expect(cropAxis(3, 2, 2)).toBe(-1)
  })
})

// -------------------------------------------------------------------------------------
// the §13 test vectors, by value
// -------------------------------------------------------------------------------------

describe('family §13 test vectors', () => {
  it('F1–F4: Conv1D causal, dilated causal, strided causal, strided same', () => {
    expect(conv1d(x5, w3, 1, 1, convAxis(5, 3, 1, 1, 'causal'))).toEqual([100, 210, 321, 432, 543])
    expect(conv1d(x5, w3, 1, 2, convAxis(5, 3, 1, 2, 'causal'))).toEqual([100, 200, 310, 420, 531])
    expect(conv1d(x5, w3, 2, 1, convAxis(5, 3, 2, 1, 'causal'))).toEqual([100, 321, 543])
    expect(convAxis(5, 3, 2, 1, 'same')).toEqual({ out: 3, before: 1, after: 1 })
    expect(conv1d(x5, w3, 2, 1, convAxis(5, 3, 2, 1, 'same'))).toEqual([210, 432, 54])
  })

  it('T1–T6: Conv1DTranspose', () => {
    const x = [1, 2, 3]
    const t = (w: readonly number[], s: number, d: number, padding: 'valid' | 'same', op: number | null): number[] =>
      transpose1d(x, w, s, d, transposedAxis(3, w.length, s, d, padding, op))
    expect(t(w3, 2, 1, 'valid', null)).toEqual([1, 10, 102, 20, 203, 30, 300])
    expect(t(w3, 2, 1, 'valid', 1)).toEqual([1, 10, 102, 20, 203, 30, 300, 0])
    expect(t(w3, 2, 1, 'same', null)).toEqual([1, 10, 102, 20, 203, 30])
    expect(t(w3, 2, 1, 'same', 1)).toEqual([1, 10, 102, 20, 203, 30])
    expect(t(w3, 2, 1, 'same', 0)).toEqual([10, 102, 20, 203, 30])
    expect(transposedAxis(3, 4, 2, 1, 'same', null)).toEqual({ out: 6, full: 8, crop: 1 })
    expect(t([1, 10, 100, 1000], 2, 1, 'same', null)).toEqual([10, 102, 1020, 203, 2030, 300])
    expect(t(w3, 1, 2, 'valid', null)).toEqual([1, 2, 13, 20, 130, 200, 300])
  })

  it('D1, S1: DepthwiseConv1D and SeparableConv1D (valid, n = 3, k = 2)', () => {
    const g = convAxis(3, 2, 1, 1, 'valid')
    expect(g).toEqual({ out: 2, before: 0, after: 0 })
    const channels = [
      [1, 3, 5],
      [2, 4, 6]
    ]
    // W[:, c, m] for c, m: taps (rows) of each (channel, multiplier)
    const W = [
      [
        [1, 3],
        [2, 4]
      ],
      [
        [10, 30],
        [20, 40]
      ]
    ]
    const per = W.flatMap((ws, c) => ws.map((w) => conv1d(channels[c] as number[], w, 1, 1, g)))
    const depthwise = [0, 1].map((i) => per.map((col) => col[i] as number)) // order c0m0, c0m1, c1m0, c1m1
    expect(depthwise).toEqual([
      [10, 14, 140, 200],
      [18, 26, 220, 320]
    ])
    const pointwise = [1, 0.1, 0.01, 0.001]
    const separable = depthwise.map((row) => row.reduce((a, v, i) => a + v * (pointwise[i] as number), 0))
    expect(separable[0]).toBeCloseTo(13.0, 10)
    expect(separable[1]).toBeCloseTo(23.12, 10)
  })

  it('P1–P3: AveragePooling1D / MaxPooling1D', () => {
    expect(pool1d(x5, 2, 2, poolAxis(5, 2, 2, 'same'), 'avg')).toEqual([1.5, 3.5, 5])
    expect(poolAxis(5, 3, 2, 'same')).toEqual({ out: 3, before: 1, after: 1 })
    expect(pool1d([1, 5, 2, 4, 3], 3, 2, poolAxis(5, 3, 2, 'same'), 'max')).toEqual([5, 5, 4])
    expect(pool1d(x5, 2, 1, poolAxis(5, 2, 1, 'valid'), 'avg')).toEqual([1.5, 2.5, 3.5, 4.5])
  })

  it('R1: UpSampling1D(3), Cropping1D((1, 2)), ZeroPadding1D((2, 0)) lengths', () => {
    expect(upsampleAxis(2, 3)).toBe(['a', 'a', 'a', 'b', 'b', 'b'].length)
    expect(cropAxis(6, 1, 2)).toBe([2, 3, 4].length)
    expect(padAxis(2, 2, 0)).toBe([0, 0, 'a', 'b'].length)
  })
})

// -------------------------------------------------------------------------------------
// rules and their messages
// -------------------------------------------------------------------------------------

describe('stridesDilationProblem (family §4)', () => {
  it('accepts strides or dilation alone, on any number of axes', () => {
    expect(stridesDilationProblem([1], [1])).toBeUndefined()
    expect(stridesDilationProblem([3], [1])).toBeUndefined()
    expect(stridesDilationProblem([1, 1], [2, 4])).toBeUndefined()
    expect(stridesDilationProblem([2, 2, 2], [1, 1, 1])).toBeUndefined()
  })

  it('rejects both > 1, judged across axes, with Keras\'s key phrase', () => {
    expect(stridesDilationProblem([2, 1], [1, 2])).toBe(
      'strides > 1 is not supported in conjunction with dilation_rate > 1 (Keras rejects the combination, judged across all axes: max(strides) > 1 and max(dilation_rate) > 1): found strides [2, 1] and dilation_rate [1, 2]; set strides to 1 or dilation_rate to 1'
    )
    expect(stridesDilationProblem([2], [2])).toContain('not supported in conjunction with')
    expect(stridesDilationProblem([1, 1, 3], [2, 1, 1])).toContain('found strides [1, 1, 3] and dilation_rate [2, 1, 1]')
  })
})

describe('outputPaddingProblem (family §5)', () => {
  it('accepts None and output_padding < strides on every axis', () => {
    expect(outputPaddingProblem(null, [1])).toBeUndefined()
    expect(outputPaddingProblem([0], [1])).toBeUndefined()
    expect(outputPaddingProblem([1, 0], [2, 3])).toBeUndefined()
    expect(outputPaddingProblem([2, 2, 2], [3, 3, 3])).toBeUndefined()
  })

  it('rejects output_padding ≥ strides, naming the first axis, with Keras\'s key phrase', () => {
    expect(outputPaddingProblem([0, 3], [2, 3])).toBe(
      '`output_padding` must be strictly less than `strides` on every axis (Keras ≥ 3.14; tf.keras: "Strides must be greater than output padding"): found output_padding [0, 3] and strides [2, 3] (axis 1: 3 ≥ 3)'
    )
    expect(outputPaddingProblem([1], [1])).toContain('`output_padding` must be strictly less than `strides`')
    expect(outputPaddingProblem([5, 5], [2, 2])).toContain('(axis 0: 5 ≥ 2)')
  })
})

describe('zero / negative lengths (family §2 table)', () => {
  it('convAxisProblem: valid windows larger than the input, with the formula and the numbers', () => {
    expect(convAxisProblem(2, 3, 1, 1, 'valid')).toBe(
      'Computed output size would be zero or negative: a "valid" window of effective size d·(k−1)+1 = 1·(3−1)+1 = 3 does not fit an input of length 2: floor((n − ke) / s) + 1 = floor((2 − 3) / 1) + 1 = 0'
    )
    expect(convAxisProblem(10, 2, 1, 10, 'valid')).toContain('= 10·(2−1)+1 = 11 does not fit an input of length 10')
    expect(convAxisProblem(5, 20, 1, 1, 'valid')).toContain('= -14')
    expect(convAxisProblem(3, 3, 1, 1, 'valid')).toBeUndefined()
    expect(convAxisProblem(1, 9, 4, 3, 'same')).toBeUndefined()
    expect(convAxisProblem(1, 9, 1, 3, 'causal')).toBeUndefined()
  })

  it('poolAxisProblem', () => {
    expect(poolAxisProblem(1, 2, 1, 'valid')).toBe(
      'Computed output size would be zero or negative: a "valid" pooling window of size 2 does not fit an input of length 1: floor((n − pool_size) / s) + 1 = floor((1 − 2) / 1) + 1 = 0'
    )
    expect(poolAxisProblem(2, 2, 1, 'valid')).toBeUndefined()
    expect(poolAxisProblem(1, 5, 2, 'same')).toBeUndefined()
  })

  it('transposedAxisProblem: only n = 1, same, even ke, output_padding 0', () => {
    expect(transposedAxisProblem(1, 2, 2, 1, 'same', 0)).toBe(
      'the output length would be zero or negative: a "same" transposed convolution with effective kernel 2 and output_padding 0 on an input of length 1 gives (n − 1)·s + (ke mod 2) + output_padding = (1 − 1)·2 + 0 + 0 = 0'
    )
    expect(transposedAxisProblem(1, 3, 2, 1, 'same', 0)).toBeUndefined()
    expect(transposedAxisProblem(1, 2, 2, 1, 'same', null)).toBeUndefined()
    expect(transposedAxisProblem(1, 2, 2, 1, 'valid', 0)).toBeUndefined()
    expect(transposedAxisProblem(2, 2, 2, 1, 'same', 0)).toBeUndefined()
  })

  it('cropAxisProblem', () => {
    expect(cropAxisProblem(3, 1, 2)).toBe(
      'the output length would be zero or negative: cropping 1 before and 2 after an axis of length 3 leaves n − before − after = 3 − 1 − 2 = 0'
    )
    expect(cropAxisProblem(3, 2, 2)).toContain('= -1')
    expect(cropAxisProblem(4, 1, 2)).toBeUndefined()
  })
})
