/**
 * The scratch layouts and weight panels of src/kernel/layout.ts and src/kernel/pack.ts, checked
 * against their definitions written out as plain loops, into destinations that hold garbage before
 * (NaN inside the range to be written, a finite sentinel around it).
 *
 * Dirty destinations are what the callers really pass: the wasm runtime copies the padded input into
 * its one `WebAssembly.Memory`, right after the weight slots, so the input region moves over the old
 * input and output regions when a new params object takes a slot or the batch grows; and it packs a
 * params object's weights into a freed slot that still holds another object's panels. Both functions
 * must therefore write every element of their range (padding zeros included) and nothing outside it:
 * the elements around the range are the previous slot's weights and the output region.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import { copyInPadded, paddedLayout, paddedLayoutOf, type PaddedLayout, type Scratch } from '../../src/kernel/layout.js'
import { depthwisePackedSize, packDepthwise } from '../../src/kernel/pack.js'
import { right } from '../helpers.js'

const geometry = (config: object, shape: readonly [number, number, number]): ConvGeometry =>
  right(computeGeometry(right(decodeConv2D(config)), shape))

/** Written outside the range under test: must survive the call. */
const GUARD = -4242.5
const BEFORE = 5
const AFTER = 9

/** A destination of `size` elements at offset BEFORE: NaN inside, GUARD around. */
const dirty = (make: (n: number) => Scratch, size: number): Scratch => {
  const d = make(BEFORE + size + AFTER)
  d.fill(GUARD)
  d.fill(Number.NaN, BEFORE, BEFORE + size)
  return d
}

/** The expected destination: GUARD around `inside` (converted to the destination's element type). */
const framed = (make: (n: number) => Scratch, inside: ReadonlyArray<number>): Scratch => {
  const e = make(BEFORE + inside.length + AFTER)
  e.fill(GUARD)
  e.set(inside, BEFORE)
  return e
}

/** Indices where `a` and `b` differ (Object.is), at most 10. */
const mismatches = (a: Scratch, b: Scratch): ReadonlyArray<string> => {
  const out: string[] = []
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 10; i++) {
    if (!Object.is(a[i], b[i])) out.push(`[${i}]: ${String(a[i])} (expected ${String(b[i])})`)
  }
  return out
}

const F64 = (n: number): Scratch => new Float64Array(n)
const F32 = (n: number): Scratch => new Float32Array(n)

/** Input values: distinct, non-zero, exact in float32. */
const inputOf = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (i + 1) * 0.25)

/**
 * The padded copy by definition: element (pr, pc, c) of sample n is input (pr − padTop, pc − padLeft, c)
 * when that is inside the input, else 0; placed NHWC (`(pr·Wp + pc)·C + c`) or NCHW (`(c·Hp + pr)·Wp + pc`).
 */
const paddedByDefinition = (g: ConvGeometry, L: PaddedLayout, batch: number, x: Float64Array): number[] => {
  const { Hp, Wp, C } = L
  const H = g.inHeight
  const W = g.inWidth
  const cf = g.dataFormat === 'channels_first'
  const out = new Array<number>(batch * Hp * Wp * C).fill(-1)
  for (let n = 0; n < batch; n++) {
    for (let pr = 0; pr < Hp; pr++) {
      for (let pc = 0; pc < Wp; pc++) {
        for (let c = 0; c < C; c++) {
          const h = pr - g.padTop
          const w = pc - g.padLeft
          const inside = h >= 0 && h < H && w >= 0 && w < W
          const v = inside ? x[cf ? ((n * C + c) * H + h) * W + w : ((n * H + h) * W + w) * C + c]! : 0
          const at = L.nchw ? ((c * Hp + pr) * Wp + pc) : ((pr * Wp + pc) * C + c)
          out[n * Hp * Wp * C + at] = v
        }
      }
    }
  }
  return out
}

const checkCopyIn = (g: ConvGeometry, L: PaddedLayout, batch: number, make: (n: number) => Scratch): void => {
  const x = inputOf(batch * g.inputSize)
  const expected = framed(make, paddedByDefinition(g, L, batch, x))
  const dst = dirty(make, batch * L.sampleSize)
  copyInPadded(g, L, batch, x, dst, BEFORE)
  expect(mismatches(dst, expected)).toEqual([])
}

// channels_first geometries only go into an NCHW layout (the wasm tiled kernel's), and into NHWC ones
type LayoutCase = readonly [name: string, config: object, shape: readonly [number, number, number], layout: (g: ConvGeometry) => PaddedLayout]

const sameCl = { filters: 2, kernel_size: 3, padding: 'same' }
const sameCf = { ...sameCl, data_format: 'channels_first' }
// kernel [1, 5] on a 1-column input: padLeft 2 > the 1 input column, padTop 0 (first padded row is data)
const wideCl = { filters: 2, kernel_size: [1, 5], padding: 'same' }
const wideCf = { ...wideCl, data_format: 'channels_first' }

const layoutCases: ReadonlyArray<LayoutCase> = [
  ['NHWC layout of channels_last input, same padding on all sides', sameCl, [4, 5, 3], (g) => paddedLayout(g)],
  ['NHWC layout of channels_first input (transposed), same padding', sameCf, [3, 4, 5], (g) => paddedLayout(g)],
  ['NCHW layout of channels_first input, same padding', sameCf, [3, 4, 5], (g) => paddedLayout(g, true)],
  ['NHWC layout with extra zero rows and columns past the padding (as Winograd’s)', sameCl, [4, 5, 3], (g) => paddedLayoutOf(g.inHeight + 4, g.inWidth + 5, 3, false)],
  ['NCHW layout with extra zero rows and columns past the padding (as Winograd’s)', sameCf, [3, 4, 5], (g) => paddedLayoutOf(g.inHeight + 4, g.inWidth + 5, 3, true)],
  ['NHWC layout of channels_last input, left padding wider than the input', wideCl, [2, 1, 3], (g) => paddedLayout(g)],
  ['NCHW layout of channels_first input, left padding wider than the input', wideCf, [3, 2, 1], (g) => paddedLayout(g, true)],
  // padTop 1, no bottom padding row, padLeft 1 and one input column fewer than the input has
  ['NHWC layout that drops the bottom padding and the last input column', sameCl, [4, 5, 3], (g) => paddedLayoutOf(1 + g.inHeight, 1 + g.inWidth - 1, 3, false)],
  ['NHWC layout of channels_first input that drops the bottom padding and the last input column', sameCf, [3, 4, 5], (g) => paddedLayoutOf(1 + g.inHeight, 1 + g.inWidth - 1, 3, false)],
  ['NCHW layout that drops the bottom padding and the last input column', sameCf, [3, 4, 5], (g) => paddedLayoutOf(1 + g.inHeight, 1 + g.inWidth - 1, 3, true)],
  ['NHWC layout narrower than the left padding (zeros only)', wideCl, [2, 1, 3], () => paddedLayoutOf(2, 1, 3, false)],
  ['NCHW layout narrower than the left padding (zeros only)', wideCf, [3, 2, 1], () => paddedLayoutOf(2, 1, 3, true)],
  ['NHWC layout of a valid stride-2 layer that skips the last row and column', { filters: 2, kernel_size: 1, strides: 2 }, [6, 6, 2], (g) => paddedLayout(g)]
]

describe('copyInPadded writes its whole range, padding zeros included, into a dirty destination, and nothing else', () => {
  it.each(layoutCases)('%s (float64 scratch, batch 2)', (_, config, shape, layoutOf) => {
    const g = geometry(config, shape)
    checkCopyIn(g, layoutOf(g), 2, F64)
  })

  it.each(layoutCases)('%s (float32 wasm heap, batch 3)', (_, config, shape, layoutOf) => {
    const g = geometry(config, shape)
    checkCopyIn(g, layoutOf(g), 3, F32)
  })

  it('copyInPadded into a reused scratch gives what it gives into a fresh zeroed one', () => {
    const g = geometry(sameCf, [3, 4, 5])
    for (const L of [paddedLayout(g), paddedLayout(g, true)]) {
      const fresh = new Float64Array(2 * L.sampleSize)
      copyInPadded(g, L, 2, inputOf(2 * g.inputSize), fresh, 0)
      const reused = new Float64Array(2 * L.sampleSize).fill(Number.NaN)
      copyInPadded(g, L, 2, inputOf(2 * g.inputSize), reused, 0)
      expect(mismatches(reused, fresh)).toEqual([])
    }
  })
})

// -------------------------------------------------------------------------------------
// depthwise panels
// -------------------------------------------------------------------------------------

/**
 * Depthwise panels by definition (pack.ts module comment): for each block of Q channels, Q bias values
 * then, for each tap t of the kh × kw window, the Q weights w[t, 0, f] (HWIO [kh, kw, 1, F]); lanes past
 * the last channel and the bias of a layer without one are 0.
 */
const depthwiseByDefinition = (F: number, taps: number, Q: number, w: Float64Array, bias: Float64Array | undefined): number[] => {
  const out: number[] = []
  for (let f0 = 0; f0 < F; f0 += Q) {
    for (let q = 0; q < Q; q++) out.push(bias !== undefined && f0 + q < F ? bias[f0 + q]! : 0)
    for (let t = 0; t < taps; t++) {
      for (let q = 0; q < Q; q++) out.push(f0 + q < F ? w[t * F + f0 + q]! : 0)
    }
  }
  return out
}

describe('packDepthwise panels', () => {
  it('depthwisePackedSize is ⌈F / Q⌉ blocks of Q bias values and kh·kw·Q weights', () => {
    const g = geometry({ filters: 5, kernel_size: [2, 3], groups: 5 }, [6, 6, 5])
    expect(depthwisePackedSize(g, 4)).toBe(2 * (4 + 6 * 4))
    expect(depthwisePackedSize(g, 5)).toBe(1 * (5 + 6 * 5))
    expect(depthwisePackedSize(g, 2)).toBe(3 * (2 + 6 * 2))
  })

  const packCases: ReadonlyArray<readonly [string, number, number, boolean]> = [
    ['5 channels in blocks of 2 (last block half empty), with bias', 5, 2, true],
    ['5 channels in blocks of 2 (last block half empty), no bias', 5, 2, false],
    ['6 channels in blocks of 4 (last block half empty), with bias', 6, 4, true],
    ['8 channels in blocks of 4 (full blocks), no bias', 8, 4, false],
    ['3 channels in one block of 8 (the wasm width), with bias', 3, 8, true]
  ]

  it.each(packCases)('packDepthwise into a dirty buffer: %s', (_, F, Q, withBias) => {
    const g = geometry({ filters: F, kernel_size: [2, 3], groups: F, use_bias: withBias }, [5, 5, F])
    const taps = 6
    const w = Float64Array.from({ length: taps * F }, (_, i) => (i + 1) * 0.5)
    const bias = withBias ? Float64Array.from({ length: F }, (_, i) => -(i + 1) * 0.75) : undefined
    const inside = depthwiseByDefinition(F, taps, Q, w, bias)
    expect(depthwisePackedSize(g, Q)).toBe(inside.length)
    for (const make of [F64, F32]) {
      const dst = dirty(make, inside.length)
      packDepthwise(g, Q, w, bias, dst, BEFORE)
      expect(mismatches(dst, framed(make, inside))).toEqual([])
    }
  })
})
