/**
 * Worked numeric examples of the issue 14 companions: the reference's test vectors P1, P2, P3 and R1
 * (conv-family reference §13, computed there by an independent NumPy implementation), in both dialects
 * and both data formats, and 3-D examples whose expected values are derived by hand in the comments
 * (TF's `same` split with the odd unit at the end, average pooling over real elements only, nearest
 * repetition, padding and cropping by index).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import type { BaseLayerSpec } from '../../src/layers/base.js'
import type { LayerKind } from '../../src/layers/LayerKind.js'
import {
  AveragePooling1DKind,
  AveragePooling3DKind,
  Cropping1DKind,
  Cropping3DKind,
  GlobalAveragePooling1DKind,
  GlobalAveragePooling3DKind,
  GlobalMaxPooling1DKind,
  GlobalMaxPooling3DKind,
  MaxPooling1DKind,
  MaxPooling3DKind,
  UpSampling1DKind,
  UpSampling3DKind,
  ZeroPadding1DKind,
  ZeroPadding3DKind
} from '../../src/layers/spatial.js'
import type { FloatDType } from '../../src/numerics/FloatArray.js'
import { right } from '../helpers.js'

const run = <S extends BaseLayerSpec>(
  kind: LayerKind<S>,
  config: Record<string, unknown>,
  shape: ReadonlyArray<number>,
  x: ReadonlyArray<number>,
  options: { readonly dtype?: FloatDType; readonly dialect?: Dialect } = {}
): { readonly shape: ReadonlyArray<number>; readonly data: number[] } => {
  const dtype = options.dtype ?? 'float64'
  const spec = right(pipe(kind.codec({ dialect: options.dialect ?? 'keras3', imageDataFormat: 'channels_last' }).decode(config), E.mapLeft(fromValidationErrors)))
  const compiled = right(kind.compile(spec, [shape], { dtype }))
  const A = dtype === 'float32' ? Float32Array : Float64Array
  const batch = x.length / shape.reduce((a, b) => a * b, 1)
  const y = compiled.forward([], [{ shape: [batch, ...shape], data: A.from(x) }])
  return { shape: y.shape, data: Array.from(y.data) }
}

/** 1, 2, …, n. */
const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

/** Two channels of a 1-D signal: channel 0 `x`, channel 1 `−x`, as NWC (interleaved) or NCW (stacked). */
const twoChannels = (x: ReadonlyArray<number>, channelsFirst: boolean): number[] =>
  channelsFirst ? [...x, ...x.map((v) => -v)] : x.flatMap((v) => [v, -v])

const DIALECTS: ReadonlyArray<Dialect> = ['keras2', 'keras3']

describe('reference test vectors (conv-family §13)', () => {
  it.each(DIALECTS)('P1 (%s): AveragePooling1D(2, strides=2, padding="same") on [1,2,3,4,5] → [1.5, 3.5, 5] (the last window has 1 real element)', (dialect) => {
    expect(run(AveragePooling1DKind, { pool_size: 2, strides: 2, padding: 'same' }, [5, 1], iota(5), { dialect })).toEqual({ shape: [1, 3, 1], data: [1.5, 3.5, 5] })
  })

  it.each(DIALECTS)('P2 (%s): MaxPooling1D(3, strides=2, padding="same") (pad (1,1)) on [1,5,2,4,3] → [5, 5, 4]', (dialect) => {
    expect(run(MaxPooling1DKind, { pool_size: 3, strides: 2, padding: 'same' }, [5, 1], [1, 5, 2, 4, 3], { dialect }).data).toEqual([5, 5, 4])
  })

  it.each(DIALECTS)('P3 (%s): AveragePooling1D(2, strides=1) on [1,2,3,4,5] → [1.5, 2.5, 3.5, 4.5]', (dialect) => {
    expect(run(AveragePooling1DKind, { pool_size: 2, strides: 1 }, [5, 1], iota(5), { dialect }).data).toEqual([1.5, 2.5, 3.5, 4.5])
  })

  it('P1–P3 on two channels (channel 1 = −x), NWC and NCW, float32', () => {
    // NCW: (C, steps); the same per-channel results, laid out channel by channel
    for (const cf of [false, true]) {
      const df = cf ? 'channels_first' : 'channels_last'
      const shape = cf ? [2, 5] : [5, 2]
      const o = { dtype: 'float32' } as const
      expect(run(AveragePooling1DKind, { pool_size: 2, strides: 2, padding: 'same', data_format: df }, shape, twoChannels(iota(5), cf), o).data).toEqual(twoChannels([1.5, 3.5, 5], cf))
      // channel 1 = −[1,5,2,4,3]: windows {−1,−5}, {−5,−2,−4}, {−4,−3} → −1, −2, −3 (padding never wins)
      const p2 = run(MaxPooling1DKind, { pool_size: 3, strides: 2, padding: 'same', data_format: df }, shape, twoChannels([1, 5, 2, 4, 3], cf), o).data
      expect(p2).toEqual(cf ? [5, 5, 4, -1, -2, -3] : [5, -1, 5, -2, 4, -3])
      expect(run(AveragePooling1DKind, { pool_size: 2, strides: 1, data_format: df }, shape, twoChannels(iota(5), cf), o).data).toEqual(twoChannels([1.5, 2.5, 3.5, 4.5], cf))
    }
  })

  it.each(DIALECTS)('R1 (%s): UpSampling1D(3) [a,b] → [a,a,a,b,b,b]; Cropping1D((1,2)) [1..6] → [2,3,4]; ZeroPadding1D((2,0)) [a,b] → [0,0,a,b]', (dialect) => {
    const [a, b] = [0.25, -7]
    expect(run(UpSampling1DKind, { size: 3 }, [2, 1], [a, b], { dialect })).toEqual({ shape: [1, 6, 1], data: [a, a, a, b, b, b] })
    expect(run(Cropping1DKind, { cropping: [1, 2] }, [6, 1], iota(6), { dialect })).toEqual({ shape: [1, 3, 1], data: [2, 3, 4] })
    expect(run(ZeroPadding1DKind, { padding: [2, 0] }, [2, 1], [a, b], { dialect })).toEqual({ shape: [1, 4, 1], data: [0, 0, a, b] })
  })

  it('R1 on two channels: NWC repeats / crops / pads whole steps; ZeroPadding1D NCW pads each channel', () => {
    // x = steps [1, 2] with channels (v, −v): NWC [1, −1, 2, −2]
    expect(run(UpSampling1DKind, { size: 3 }, [2, 2], [1, -1, 2, -2]).data).toEqual([1, -1, 1, -1, 1, -1, 2, -2, 2, -2, 2, -2])
    expect(run(Cropping1DKind, { cropping: [1, 2] }, [6, 2], twoChannels(iota(6), false)).data).toEqual([2, -2, 3, -3, 4, -4])
    expect(run(ZeroPadding1DKind, { padding: [2, 0] }, [2, 2], [1, -1, 2, -2]).data).toEqual([0, 0, 0, 0, 1, -1, 2, -2])
    expect(run(ZeroPadding1DKind, { padding: [2, 0], data_format: 'channels_first' }, [2, 2], [1, 2, -1, -2])).toEqual({ shape: [1, 2, 4], data: [0, 0, 1, 2, 0, 0, -1, -2] })
  })
})

describe('1-D pooling details', () => {
  it('a NaN in a max window gives NaN; −∞ alone stays −∞', () => {
    expect(run(MaxPooling1DKind, { pool_size: 2 }, [4, 1], [1, NaN, -Infinity, -Infinity]).data).toEqual([NaN, -Infinity])
  })

  it('strides default to the pool size; a batch of 2 is pooled sample by sample', () => {
    expect(run(MaxPooling1DKind, { pool_size: 3 }, [6, 1], [...iota(6), ...iota(6).map((v) => -v)])).toEqual({ shape: [2, 2, 1], data: [3, 6, -1, -4] })
  })

  it('global pooling: mean and max over the steps; keepdims keeps a 1', () => {
    // NWC x = [[1, −1], [2, −2], [6, −6]]: mean (3, −3), max (6, −1)
    expect(run(GlobalAveragePooling1DKind, {}, [3, 2], [1, -1, 2, -2, 6, -6])).toEqual({ shape: [1, 2], data: [3, -3] })
    expect(run(GlobalMaxPooling1DKind, { keepdims: true }, [3, 2], [1, -1, 2, -2, 6, -6])).toEqual({ shape: [1, 1, 2], data: [6, -1] })
    expect(run(GlobalMaxPooling1DKind, { keepdims: true, data_format: 'channels_first' }, [2, 3], [1, 2, 6, -1, -2, -6])).toEqual({ shape: [1, 2, 1], data: [6, -1] })
  })
})

describe('3-D examples', () => {
  // x (3×3×3×1) = 1 … 27, x[d, h, w] = 9d + 3h + w + 1 (linear, so a window's mean is x at the mean position).
  const cube = iota(27)

  it('AveragePooling3D(2, strides 2, same) on 3×3×3: windows [0,1] / [2] per axis, divided by their real elements', () => {
    // out ⌈3/2⌉ = 2 per axis, total (2−1)·2 + 2 − 3 = 1 → 0 before, 1 after: windows {0,1} and {2}.
    // (0,0,0): means 0.5, 0.5, 0.5 → 9·0.5 + 3·0.5 + 0.5 + 1 = 7.5; (0,0,1): w = 2 → 9;
    // (0,1,0): h = 2 → 12; (0,1,1) 13.5; (1,0,0): d = 2 → 21; 22.5; 25.5; (1,1,1): x[2,2,2] = 27
    // (dividing the corner by 8 instead of its 1 real element would give 3.375).
    expect(run(AveragePooling3DKind, { pool_size: 2, strides: 2, padding: 'same' }, [3, 3, 3, 1], cube)).toEqual({
      shape: [1, 2, 2, 2, 1],
      data: [7.5, 9, 12, 13.5, 21, 22.5, 25.5, 27]
    })
  })

  it('MaxPooling3D(2, strides 2, same) on −x, NCDHW with two channels (channel 1 = x): padding never wins', () => {
    // channel 0 = −x: each window's max is −(its smallest x) = −x at the window's first corner:
    // −x[0,0,0] = −1, −x[0,0,2] = −3, −x[0,2,0] = −7, −9, −x[2,0,0] = −19, −21, −25, −27
    // channel 1 = x: the window's last corner: x[1,1,1] = 14, x[1,1,2] = 15, x[1,2,1] = 17, 18, x[2,1,1] = 23, 24, 26, 27
    const x = [...cube.map((v) => -v), ...cube]
    expect(run(MaxPooling3DKind, { pool_size: 2, strides: 2, padding: 'same', data_format: 'channels_first' }, [2, 3, 3, 3], x)).toEqual({
      shape: [1, 2, 2, 2, 2],
      data: [-1, -3, -7, -9, -19, -21, -25, -27, 14, 15, 17, 18, 23, 24, 26, 27]
    })
  })

  it('MaxPooling3D((1, 2, 3)) valid, strides 1 on 2×3×4: each output the max of its window (its last corner)', () => {
    // x[d, h, w] = 12d + 4h + w + 1; out (2, 2, 2); (d, h, w) → x[d, h + 1, w + 2] = 12d + 4h + w + 7
    expect(run(MaxPooling3DKind, { pool_size: [1, 2, 3], strides: 1 }, [2, 3, 4, 1], iota(24)).data).toEqual([7, 8, 11, 12, 19, 20, 23, 24])
  })

  it('AveragePooling3D((2, 3, 2), strides (1, 2, 1), same) on 3×5×3: divisors are products of per-axis counts', () => {
    // depth: out 3, total 1 → windows {0,1},{1,2},{2}; rows (p 3, s 2): out 3, total (3−1)·2 + 3 − 5 = 2 → 1 before:
    // {0,1},{1,2,3},{3,4}; cols: out 3, total 1 → {0,1},{1,2},{2}. x[d,h,w] = 15d + 3h + w + 1 (linear):
    // the mean is x at the mean position. Spot checks: (0,0,0) → means (0.5, 0.5, 0.5) = 7.5 + 1.5 + 0.5 + 1 = 10.5;
    // (2,2,2) → (2, 3.5, 2) = 30 + 10.5 + 2 + 1 = 43.5; (1,1,1) → (1.5, 2, 1.5) = 22.5 + 6 + 1.5 + 1 = 31.
    const y = run(AveragePooling3DKind, { pool_size: [2, 3, 2], strides: [1, 2, 1], padding: 'same' }, [3, 5, 3, 1], iota(45))
    expect(y.shape).toEqual([1, 3, 3, 3, 1])
    expect(y.data[0]).toBe(10.5)
    expect(y.data[26]).toBe(43.5)
    expect(y.data[13]).toBe(31)
  })

  it('global pooling of the cube: mean 14, max 27; keepdims 1×1×1', () => {
    expect(run(GlobalAveragePooling3DKind, {}, [3, 3, 3, 1], cube)).toEqual({ shape: [1, 1], data: [14] })
    expect(run(GlobalMaxPooling3DKind, { keepdims: true }, [3, 3, 3, 1], cube)).toEqual({ shape: [1, 1, 1, 1, 1], data: [27] })
    // NCDHW, channel 1 = −x: mean −14, max −1
    expect(run(GlobalMaxPooling3DKind, { data_format: 'channels_first', keepdims: true }, [2, 3, 3, 3], [...cube, ...cube.map((v) => -v)])).toEqual({ shape: [1, 2, 1, 1, 1], data: [27, -1] })
    expect(run(GlobalAveragePooling3DKind, { data_format: 'channels_first' }, [2, 3, 3, 3], [...cube, ...cube.map((v) => -v)]).data).toEqual([14, -14])
  })

  it('UpSampling3D((2, 2, 1)) on 2×1×2: each slice repeated, rows repeated, cols kept', () => {
    // x: d0 = [[a, b]], d1 = [[c, d]] → depth 4, rows 2, cols 2: d0, d0, d1, d1 each [[·,·],[·,·]]
    const [a, b, c, d] = [1, 2, 3, 4]
    expect(run(UpSampling3DKind, { size: [2, 2, 1] }, [2, 1, 2, 1], [a, b, c, d])).toEqual({ shape: [1, 4, 2, 2, 1], data: [a, b, a, b, a, b, a, b, c, d, c, d, c, d, c, d] })
    // NCDHW with one channel: the same values
    expect(run(UpSampling3DKind, { size: [2, 2, 1], data_format: 'channels_first' }, [1, 2, 1, 2], [a, b, c, d]).data).toEqual([a, b, a, b, a, b, a, b, c, d, c, d, c, d, c, d])
  })

  it('UpSampling3D((1, 1, 2)) NDHWC with two channels repeats whole pixels', () => {
    expect(run(UpSampling3DKind, { size: [1, 1, 2] }, [1, 1, 2, 2], [1, -1, 2, -2]).data).toEqual([1, -1, 1, -1, 2, -2, 2, -2])
  })

  it('ZeroPadding3D([1, [0, 1], 0]) on 1×1×2: a zero slice before and after, a zero row below', () => {
    // (3, 2, 2): d0 zeros; d1 [[a, b], [0, 0]]; d2 zeros
    expect(run(ZeroPadding3DKind, { padding: [1, [0, 1], 0] }, [1, 1, 2, 1], [5, 6])).toEqual({ shape: [1, 3, 2, 2, 1], data: [0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 0] })
    // NCDHW, two channels (5, 6) and (−5, −6): each channel padded alike
    expect(run(ZeroPadding3DKind, { padding: [1, [0, 1], 0], data_format: 'channels_first' }, [2, 1, 1, 2], [5, 6, -5, -6]).data).toEqual([
      0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5, -6, 0, 0, 0, 0, 0, 0
    ])
  })

  it('Cropping3D([[1, 0], [0, 1], [1, 1]]) on 2×2×3: only x[1, 0, 1] is left', () => {
    // x[d, h, w] = 6d + 3h + w + 1; keep d ∈ {1}, h ∈ {0}, w ∈ {1} → 6 + 0 + 1 + 1 = 8
    expect(run(Cropping3DKind, { cropping: [[1, 0], [0, 1], [1, 1]] }, [2, 2, 3, 1], iota(12))).toEqual({ shape: [1, 1, 1, 1, 1], data: [8] })
    // NCDHW, channel 1 = −x: (8, −8)
    expect(run(Cropping3DKind, { cropping: [[1, 0], [0, 1], [1, 1]], data_format: 'channels_first' }, [2, 2, 2, 3], [...iota(12), ...iota(12).map((v) => -v)]).data).toEqual([8, -8])
  })

  it('float32 results are the float64 results rounded once (AveragePooling3D sums in float64)', () => {
    const x = Array.from({ length: 2 * 4 * 3 * 5 * 2 }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3))
    const config = { pool_size: [2, 3, 2], strides: [1, 2, 2], padding: 'same' }
    const f64 = run(AveragePooling3DKind, config, [4, 3, 5, 2], x)
    const f32 = run(AveragePooling3DKind, config, [4, 3, 5, 2], x, { dtype: 'float32' })
    expect(f32.shape).toEqual(f64.shape)
    f32.data.forEach((v, i) => expect(v).toBe(Math.fround(f64.data[i] as number)))
  })
})
