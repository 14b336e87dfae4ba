/**
 * Properties of the per-axis geometry (src/geometry/Axis.ts), stated from the definitions in the
 * conv-family reference §2 rather than from the formulas Axis uses:
 * - `same`: the length is `ceil(n/s)` and the padding is TF's split of exactly what the windows need;
 * - `valid`: every window fits and one more would not;
 * - causal: a valid convolution of the left-padded input whose windows end at their own position;
 * - transposed: the adjoint of the forward convolution from length `out` back to `n` (the reference's
 *   own check): the placement (crop, full) connects exactly the pairs the forward convolution does,
 *   tap for tap, wherever that forward convolution maps `out` to `n`, and that fails only in TF's
 *   known corner (`same`, even `ke`, `output_padding = 0`, family §11).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { convAxis, poolAxis, transposedAxis } from '../src/geometry/Axis.js'
import { params } from './settings.js'

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b)
const dilated = (k: number, d: number): number => (k - 1) * d + 1

const axis = fc.record({
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.integer({ min: 1, max: 9 }),
  s: fc.integer({ min: 1, max: 5 }),
  d: fc.integer({ min: 1, max: 4 })
})

describe('same', () => {
  it("out = ceil(n/s); before + after = max((out−1)·s + ke − n, 0); before = floor(total/2)", () => {
    fc.assert(
      fc.property(axis, ({ n, k, s, d }) => {
        const g = convAxis(n, k, s, d, 'same')
        const out = ceilDiv(n, s)
        const total = Math.max((out - 1) * s + dilated(k, d) - n, 0)
        expect(g).toEqual({ out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) })
        // the last window ends exactly at the padded edge, or inside it when no padding is needed
        expect((out - 1) * s + dilated(k, d) <= n + g.before + g.after).toBe(true)
        expect(g.after - g.before === 0 || g.after - g.before === 1).toBe(true)
      }),
      params()
    )
  })

  it('pooling: the same rule with ke = p, and every window holds a real element', () => {
    fc.assert(
      fc.property(axis, ({ n, k: p, s }) => {
        const g = poolAxis(n, p, s, 'same')
        expect(g).toEqual(convAxis(n, p, s, 1, 'same'))
        for (let i = 0; i < g.out; i++) {
          const start = i * s - g.before
          expect(start < n && start + p > 0).toBe(true)
        }
      }),
      params()
    )
  })
})

describe('valid', () => {
  it('every window fits, one more would not; no padding', () => {
    fc.assert(
      fc.property(axis, ({ n, k, s, d }) => {
        const g = convAxis(n, k, s, d, 'valid')
        const ke = dilated(k, d)
        expect([g.before, g.after]).toEqual([0, 0])
        if (g.out >= 1) {
          expect((g.out - 1) * s + ke <= n).toBe(true) // window out−1 fits
          expect(g.out * s + ke > n).toBe(true) // window out would not
        } else {
          expect(ke > n).toBe(true) // not even the first window fits
        }
        expect(poolAxis(n, k, s, 'valid')).toEqual(convAxis(n, k, s, 1, 'valid'))
      }),
      params()
    )
  })
})

describe('causal', () => {
  it('= valid on the input left-padded by d·(k−1), with the length of same; output i ends at input i·s', () => {
    fc.assert(
      fc.property(axis, ({ n, k, s, d }) => {
        const g = convAxis(n, k, s, d, 'causal')
        const pad = (k - 1) * d
        expect([g.before, g.after]).toEqual([pad, 0])
        expect(g.out).toBe(convAxis(n + pad, k, s, d, 'valid').out)
        expect(g.out).toBe(convAxis(n, k, s, d, 'same').out)
        // the last tap of output i is input (i·s + (k−1)·d) − pad = i·s: real, and never a later input
        expect((g.out - 1) * s <= n - 1 && g.out * s > n - 1).toBe(true)
      }),
      params()
    )
  })
})

/** `i,j,t` for each (output of the forward conv, its input, tap). */
type Links = ReadonlyArray<string>

/**
 * The forward convolution from length `len` (padding from convAxis) to its output: output `i` reads
 * input `i·s + t·d − before` with tap `t`, when that index is real.
 */
const forwardLinks = (
  len: number,
  k: number,
  s: number,
  d: number,
  padding: 'valid' | 'same'
): { out: number; links: Links } => {
  const g = convAxis(len, k, s, d, padding)
  const links: string[] = []
  for (let i = 0; i < g.out; i++)
    for (let t = 0; t < k; t++) {
      const j = i * s + t * d - g.before
      if (j >= 0 && j < len) links.push(`${i},${j},${t}`)
    }
  return { out: g.out, links: links.sort() }
}

/**
 * The transposed convolution from length `n`, read from the output side: output `j` reads scatter index
 * `q = j + crop` (zero when `q ≥ full`), which holds input `i`'s tap `t` when `i·s + t·d = q`.
 */
const transposedLinks = (
  n: number,
  k: number,
  s: number,
  d: number,
  padding: 'valid' | 'same',
  op: number | null
): { out: number; links: Links } => {
  const g = transposedAxis(n, k, s, d, padding, op)
  const links: string[] = []
  for (let j = 0; j < g.out; j++) {
    const q = j + g.crop
    if (q >= g.full) continue
    for (let i = 0; i < n; i++)
      for (let t = 0; t < k; t++) if (i * s + t * d === q) links.push(`${i},${j},${t}`)
  }
  return { out: g.out, links: links.sort() }
}

const transposedCase = fc.record({
  n: fc.integer({ min: 1, max: 8 }),
  k: fc.integer({ min: 1, max: 6 }),
  s: fc.integer({ min: 1, max: 4 }),
  d: fc.integer({ min: 1, max: 3 }),
  padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
  // output_padding: None, or 0 … s − 1 (taken modulo s below)
  op: fc.option(fc.nat(3), { nil: null })
})

describe('transposed', () => {
  it('is the adjoint of the forward conv from out to n, except exactly TF’s same / even ke / op = 0 corner', () => {
    fc.assert(
      fc.property(transposedCase, ({ n, k, s, d, padding, op: rawOp }) => {
        const op = rawOp === null ? null : rawOp % s
        const t = transposedLinks(n, k, s, d, padding, op)
        const corner = padding === 'same' && dilated(k, d) % 2 === 0 && op === 0
        const f = t.out >= 1 ? forwardLinks(t.out, k, s, d, padding) : undefined
        if (f === undefined || f.out !== n) {
          expect(corner).toBe(true)
          if (f !== undefined) expect(f.out).toBe(n - 1)
          return
        }
        expect(corner).toBe(false)
        expect(t.links).toEqual(f.links)
      }),
      params(300)
    )
  })

  it("the output length is TF 2's deconv_output_length, written its own way (family §2 table)", () => {
    fc.assert(
      fc.property(transposedCase, ({ n, k, s, d, padding, op: rawOp }) => {
        const op = rawOp === null ? null : rawOp % s
        const ke = dilated(k, d)
        const expected =
          padding === 'valid'
            ? op === null
              ? n * s + Math.max(ke - s, 0)
              : (n - 1) * s + ke + op
            : op === null
              ? n * s
              : (n - 1) * s + ke - 2 * Math.floor(ke / 2) + op
        const g = transposedAxis(n, k, s, d, padding, op)
        expect(g.out).toBe(expected)
        expect(g.full).toBe((n - 1) * s + ke)
        expect(g.crop).toBe(Math.max(Math.floor((g.full - g.out) / 2), 0))
      }),
      params()
    )
  })
})
