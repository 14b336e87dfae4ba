/**
 * Properties of the issue 14 companions' kernels, against definition-level oracles written here
 * independently of src/geometry/Axis.ts and of the 2-D kernels the layers reuse through views:
 * - 1-D and 3-D window pooling (max, average; valid, same; both data formats; strides below, equal to
 *   and above the window): each output is the max / the mean of the real elements of its window, the
 *   window of output `o` starting at `o·s − before` with TF's `same` split (total
 *   `max((⌈n/s⌉ − 1)·s + p − n, 0)`, the odd unit at the end), and the output lengths are Keras's;
 * - global pooling: the max / mean over every spatial position of each channel;
 * - UpSampling3D: output `(d, h, w)` is input `(⌊d/fd⌋, ⌊h/fh⌋, ⌊w/fw⌋)`;
 * - ZeroPadding3D / Cropping3D: output `(d, h, w)` is input `(d − front, h − top, w − left)` where that
 *   is inside the input, 0 elsewhere.
 * Every oracle indexes the NDHWC / NCDHW (NWC / NCW) layout itself, so channels_first is checked
 * against the definition too, not against channels_last. Computed in float64: max pooling, upsampling,
 * padding and cropping are exact; averages agree within 1e-12.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { DataFormat } from '../src/conv/Conv2DSpec.js'
import type { LayerKind } from '../src/layers/LayerKind.js'
import {
  AveragePooling1DKind,
  AveragePooling3DKind,
  Cropping3DKind,
  GlobalAveragePooling1DKind,
  GlobalAveragePooling3DKind,
  GlobalMaxPooling1DKind,
  GlobalMaxPooling3DKind,
  MaxPooling1DKind,
  MaxPooling3DKind,
  UpSampling3DKind,
  ZeroPadding3DKind
} from '../src/layers/spatial.js'
import { params } from './settings.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = LayerKind<any>

interface Volume {
  readonly dataFormat: DataFormat
  /** Spatial lengths, spatial order. */
  readonly spatial: ReadonlyArray<number>
  readonly channels: number
  readonly batch: number
}

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** The per-sample shape of a volume in its data format. */
const sampleShape = (v: Volume): number[] => (v.dataFormat === 'channels_first' ? [v.channels, ...v.spatial] : [...v.spatial, v.channels])

/** The flat index of element (n, c, pos) of a batch of volumes, read from the layout's definition. */
const indexOf = (v: Volume, n: number, c: number, pos: ReadonlyArray<number>): number => {
  const dims = sampleShape(v)
  const coords = v.dataFormat === 'channels_first' ? [c, ...pos] : [...pos, c]
  return coords.reduce((acc, x, i) => acc * (dims[i] as number) + x, n)
}

/** Every position of a box of the given lengths, row-major. */
const positions = (lengths: ReadonlyArray<number>): number[][] =>
  lengths.reduce<number[][]>((acc, n) => acc.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])), [[]])

/** Runs a layer kind (keras3 config) on a batch of volumes in float64. */
const runKind = (kind: AnyKind, config: Record<string, unknown>, v: Volume, x: Float64Array): { readonly shape: ReadonlyArray<number>; readonly data: Float64Array } => {
  const spec = kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' }).decode(config)
  if (E.isLeft(spec)) throw new Error(`config ${JSON.stringify(config)} does not decode`)
  const compiled = kind.compile(spec.right, [sampleShape(v)], { dtype: 'float64' })
  if (E.isLeft(compiled)) throw new Error(`${JSON.stringify(config)} on ${JSON.stringify(sampleShape(v))}: ${JSON.stringify(compiled.left)}`)
  const y = compiled.right.forward([], [{ shape: [v.batch, ...sampleShape(v)], data: x }])
  return { shape: y.shape, data: y.data as Float64Array }
}

const inputOf = (v: Volume, seed: number): Float64Array => {
  // multiples of 0.5 in [−4, 4]: ties in max windows are common
  const size = v.batch * v.channels * product(v.spatial)
  return Float64Array.from({ length: size }, (_, i) => Math.round((((i * 7919 + seed * 104729) % 997) / 997) * 16) / 2 - 4)
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

interface PoolCase {
  readonly rank: 1 | 3
  readonly padding: 'valid' | 'same'
  readonly pool: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly volume: Volume
  readonly seed: number
}

const arbPoolCase = (rank: 1 | 3): fc.Arbitrary<PoolCase> =>
  fc
    .record({
      padding: fc.constantFrom('valid' as const, 'same' as const),
      axes: fc.array(fc.record({ p: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 4 }), extra: fc.nat(4) }), { minLength: rank, maxLength: rank }),
      dataFormat: fc.constantFrom('channels_last' as const, 'channels_first' as const),
      channels: fc.integer({ min: 1, max: 3 }),
      batch: fc.integer({ min: 1, max: 2 }),
      seed: fc.nat(1000)
    })
    .map(({ padding, axes, dataFormat, channels, batch, seed }) => ({
      rank,
      padding,
      pool: axes.map((a) => a.p),
      strides: axes.map((a) => a.s),
      // a valid window fits: n ≥ p; same takes any n ≥ 1
      volume: { dataFormat, channels, batch, spatial: axes.map((a) => (padding === 'valid' ? a.p : 1) + a.extra) },
      seed
    }))

// -------------------------------------------------------------------------------------
// oracles
// -------------------------------------------------------------------------------------

/** One axis of a pooling window, from the definition: `[out, before]`. */
const windowAxis = (n: number, p: number, s: number, padding: 'valid' | 'same'): readonly [number, number] => {
  if (padding === 'valid') return [Math.floor((n - p) / s) + 1, 0]
  const out = Math.ceil(n / s)
  return [out, Math.floor(Math.max((out - 1) * s + p - n, 0) / 2)]
}

const poolOracle = (c: PoolCase, mode: 'max' | 'average', x: Float64Array): { readonly shape: number[]; readonly data: Float64Array } => {
  const v = c.volume
  const axes = v.spatial.map((n, i) => windowAxis(n, c.pool[i] as number, c.strides[i] as number, c.padding))
  const outV: Volume = { ...v, spatial: axes.map((a) => a[0]) }
  const y = new Float64Array(v.batch * v.channels * product(outV.spatial))
  for (let n = 0; n < v.batch; n++) {
    for (let ch = 0; ch < v.channels; ch++) {
      for (const o of positions(outV.spatial)) {
        // the real elements of the window: on each axis o·s − before … + p − 1, clipped to the input
        const ranges = o.map((oi, i) => {
          const start = oi * (c.strides[i] as number) - (axes[i] as readonly [number, number])[1]
          const lo = Math.max(start, 0)
          const hi = Math.min(start + (c.pool[i] as number), v.spatial[i] as number)
          return Array.from({ length: Math.max(hi - lo, 0) }, (_, k) => lo + k)
        })
        const taps = ranges.reduce<number[][]>((acc, r) => acc.flatMap((p) => r.map((k) => [...p, k])), [[]])
        const values = taps.map((pos) => x[indexOf(v, n, ch, pos)] as number)
        y[indexOf(outV, n, ch, o)] = mode === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length
      }
    }
  }
  return { shape: [v.batch, ...sampleShape(outV)], data: y }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!(Math.abs((a[i] as number) - (b[i] as number)) <= tol * (1 + Math.abs(b[i] as number)))) return false
  return true
}

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

describe('1-D and 3-D window pooling equal the definition (both data formats, valid and same)', () => {
  const cases: ReadonlyArray<readonly [string, AnyKind, 1 | 3, 'max' | 'average']> = [
    ['MaxPooling1D', MaxPooling1DKind, 1, 'max'],
    ['AveragePooling1D', AveragePooling1DKind, 1, 'average'],
    ['MaxPooling3D', MaxPooling3DKind, 3, 'max'],
    ['AveragePooling3D', AveragePooling3DKind, 3, 'average']
  ]
  it.each(cases)('%s', (_name, kind, rank, mode) => {
    fc.assert(
      fc.property(arbPoolCase(rank), (c) => {
        const x = inputOf(c.volume, c.seed)
        const config = { pool_size: c.pool, strides: c.strides, padding: c.padding, data_format: c.volume.dataFormat }
        const ours = runKind(kind, config, c.volume, x)
        const oracle = poolOracle(c, mode, x)
        expect([...ours.shape]).toEqual(oracle.shape)
        if (mode === 'max') expect(Array.from(ours.data)).toEqual(Array.from(oracle.data))
        else expect(close(ours.data, oracle.data, 1e-12)).toBe(true)
      }),
      params(60)
    )
  })
})

const arbVolume = (rank: 1 | 3, min = 1): fc.Arbitrary<Volume & { readonly seed: number }> =>
  fc.record({
    dataFormat: fc.constantFrom('channels_last' as const, 'channels_first' as const),
    spatial: fc.array(fc.integer({ min, max: min + 3 }), { minLength: rank, maxLength: rank }),
    channels: fc.integer({ min: 1, max: 3 }),
    batch: fc.integer({ min: 1, max: 2 }),
    seed: fc.nat(1000)
  })

describe('global pooling equals the definition', () => {
  const cases: ReadonlyArray<readonly [string, AnyKind, 1 | 3, 'max' | 'average']> = [
    ['GlobalMaxPooling1D', GlobalMaxPooling1DKind, 1, 'max'],
    ['GlobalAveragePooling1D', GlobalAveragePooling1DKind, 1, 'average'],
    ['GlobalMaxPooling3D', GlobalMaxPooling3DKind, 3, 'max'],
    ['GlobalAveragePooling3D', GlobalAveragePooling3DKind, 3, 'average']
  ]
  it.each(cases)('%s (keepdims or not)', (_name, kind, rank, mode) => {
    fc.assert(
      fc.property(arbVolume(rank), fc.boolean(), (v, keepdims) => {
        const x = inputOf(v, v.seed)
        const ours = runKind(kind, { data_format: v.dataFormat, keepdims }, v, x)
        const ones = v.spatial.map(() => 1)
        expect([...ours.shape]).toEqual(!keepdims ? [v.batch, v.channels] : v.dataFormat === 'channels_first' ? [v.batch, v.channels, ...ones] : [v.batch, ...ones, v.channels])
        const expected: number[] = []
        for (let n = 0; n < v.batch; n++) {
          for (let c = 0; c < v.channels; c++) {
            const values = positions(v.spatial).map((pos) => x[indexOf(v, n, c, pos)] as number)
            expected.push(mode === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length)
          }
        }
        expect(close(ours.data, expected, 1e-12)).toBe(true)
      }),
      params(60)
    )
  })
})

describe('UpSampling3D, ZeroPadding3D and Cropping3D equal the definition (by index)', () => {
  const factors = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 })
  const sides = fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: 3, maxLength: 3 })

  it('UpSampling3D: output (d, h, w) is input (⌊d/fd⌋, ⌊h/fh⌋, ⌊w/fw⌋)', () => {
    fc.assert(
      fc.property(arbVolume(3), factors, (v, f) => {
        const x = inputOf(v, v.seed)
        const ours = runKind(UpSampling3DKind, { size: f, data_format: v.dataFormat }, v, x)
        const outV: Volume = { ...v, spatial: v.spatial.map((n, i) => n * (f[i] as number)) }
        expect([...ours.shape]).toEqual([v.batch, ...sampleShape(outV)])
        for (let n = 0; n < v.batch; n++)
          for (let c = 0; c < v.channels; c++)
            for (const o of positions(outV.spatial)) {
              expect(ours.data[indexOf(outV, n, c, o)]).toBe(x[indexOf(v, n, c, o.map((k, i) => Math.floor(k / (f[i] as number))))])
            }
      }),
      params(40)
    )
  })

  it('ZeroPadding3D: input (d, h, w) lands at (d + front, h + top, w + left), zeros elsewhere', () => {
    fc.assert(
      fc.property(arbVolume(3), sides, (v, p) => {
        const x = inputOf(v, v.seed)
        const ours = runKind(ZeroPadding3DKind, { padding: p, data_format: v.dataFormat }, v, x)
        const outV: Volume = { ...v, spatial: v.spatial.map((n, i) => n + (p[i] as [number, number])[0] + (p[i] as [number, number])[1]) }
        expect([...ours.shape]).toEqual([v.batch, ...sampleShape(outV)])
        for (let n = 0; n < v.batch; n++)
          for (let c = 0; c < v.channels; c++)
            for (const o of positions(outV.spatial)) {
              const src = o.map((k, i) => k - (p[i] as [number, number])[0])
              const inside = src.every((k, i) => k >= 0 && k < (v.spatial[i] as number))
              expect(ours.data[indexOf(outV, n, c, o)]).toBe(inside ? x[indexOf(v, n, c, src)] : 0)
            }
      }),
      params(40)
    )
  })

  it('Cropping3D: output (d, h, w) is input (d + front, h + top, w + left)', () => {
    fc.assert(
      fc.property(arbVolume(3, 5), sides, (v, p) => {
        const x = inputOf(v, v.seed)
        const ours = runKind(Cropping3DKind, { cropping: p, data_format: v.dataFormat }, v, x)
        const outV: Volume = { ...v, spatial: v.spatial.map((n, i) => n - (p[i] as [number, number])[0] - (p[i] as [number, number])[1]) }
        expect([...ours.shape]).toEqual([v.batch, ...sampleShape(outV)])
        for (let n = 0; n < v.batch; n++)
          for (let c = 0; c < v.channels; c++)
            for (const o of positions(outV.spatial)) {
              expect(ours.data[indexOf(outV, n, c, o)]).toBe(x[indexOf(v, n, c, o.map((k, i) => k + (p[i] as [number, number])[0]))])
            }
      }),
      params(40)
    )
  })
})
