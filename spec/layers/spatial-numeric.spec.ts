/**
 * Worked numeric examples of the spatial layer kinds, every expected value derived by hand in the
 * comments next to it (Keras semantics: TF's `same` split with the odd row at the bottom/right,
 * average pooling over in-bounds elements only, half-pixel bilinear resizing, the depthwise kernel
 * layout `(kh, kw, C, M)` with output channel `c·M + m`).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { BaseLayerSpec } from '../../src/layers/base.js'
import type { LayerKind } from '../../src/layers/LayerKind.js'
import {
  AveragePooling2DKind,
  Cropping2DKind,
  GlobalAveragePooling2DKind,
  GlobalMaxPooling2DKind,
  MaxPooling2DKind,
  ReshapeKind,
  UpSampling2DKind,
  ZeroPadding2DKind
} from '../../src/layers/spatial.js'
import { DepthwiseConv2DKind } from '../../src/conv/DepthwiseConv2D.js'
import type { FloatDType } from '../../src/numerics/FloatArray.js'
import { right } from '../helpers.js'

const run = <S extends BaseLayerSpec>(
  kind: LayerKind<S>,
  config: Record<string, unknown>,
  shape: ReadonlyArray<number>,
  x: ReadonlyArray<number>,
  weights: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: ReadonlyArray<number> }> = [],
  dtype: FloatDType = 'float64'
): { readonly shape: ReadonlyArray<number>; readonly data: number[] } => {
  const spec = right(pipe(kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' }).decode(config), E.mapLeft(fromValidationErrors)))
  const compiled = right(kind.compile(spec, [shape], { dtype }))
  const A = dtype === 'float32' ? Float32Array : Float64Array
  const batch = x.length / shape.reduce((a, b) => a * b, 1)
  const y = compiled.forward(
    weights.map((w) => ({ shape: w.shape, data: A.from(w.data) })),
    [{ shape: [batch, ...shape], data: A.from(x) }]
  )
  return { shape: y.shape, data: Array.from(y.data) }
}

/** 1, 2, …, n. */
const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

describe('MaxPooling2D / AveragePooling2D', () => {
  // x (4×4×1) = 1 … 16 row by row:
  //  1  2  3  4
  //  5  6  7  8
  //  9 10 11 12
  // 13 14 15 16
  it('2×2 valid: max of each quadrant', () => {
    expect(run(MaxPooling2DKind, {}, [4, 4, 1], iota(16))).toEqual({ shape: [1, 2, 2, 1], data: [6, 8, 14, 16] })
  })

  it('2×2 valid: mean of each quadrant', () => {
    // (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5, (9+10+13+14)/4 = 11.5, (11+12+15+16)/4 = 13.5
    expect(run(AveragePooling2DKind, { pool_size: 2 }, [4, 4, 1], iota(16)).data).toEqual([3.5, 5.5, 11.5, 13.5])
  })

  it('3×3 stride 1 same: averages over the in-bounds elements only', () => {
    // x (3×3) = 1 … 9; same: out 3, total padding (3−1)·1 + 3 − 3 = 2 → 1 before, 1 after.
    // corner (0,0): rows 0–1 × cols 0–1 → 1,2,4,5 → 12/4 = 3 (dividing by 9 would give 1.33)
    // edge (0,1): rows 0–1 × cols 0–2 → 1..6 → 21/6 = 3.5;   (0,2): 2,3,5,6 → 4
    // (1,0): rows 0–2 × cols 0–1 → 1,2,4,5,7,8 → 27/6 = 4.5; centre 45/9 = 5; (1,2): 33/6 = 5.5
    // (2,0): 4,5,7,8 → 6; (2,1): 39/6 = 6.5; (2,2): 5,6,8,9 → 7
    expect(run(AveragePooling2DKind, { pool_size: 3, strides: 1, padding: 'same' }, [3, 3, 1], iota(9)).data).toEqual([3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7])
  })

  it('2×2 stride 2 same on 3×3: padding is ignored by max (negative values), odd row at the bottom', () => {
    // out ⌈3/2⌉ = 2, total (2−1)·2 + 2 − 3 = 1 → 0 before, 1 after (bottom / right).
    // x = −1 … −9: (0,0) max(−1,−2,−4,−5) = −1; (0,1) col 2 only: max(−3,−6) = −3;
    // (1,0) row 2 only: max(−7,−8) = −7; (1,1) −9. Zero padding would give 0s instead.
    expect(run(MaxPooling2DKind, { padding: 'same' }, [3, 3, 1], iota(9).map((v) => -v)).data).toEqual([-1, -3, -7, -9])
  })

  it('2×2 stride 2 same on 3×3: average divides by the 4, 2, 2, 1 in-bounds elements', () => {
    // (1+2+4+5)/4 = 3, (3+6)/2 = 4.5, (7+8)/2 = 7.5, 9/1 = 9
    expect(run(AveragePooling2DKind, { pool_size: 2, padding: 'same' }, [3, 3, 1], iota(9)).data).toEqual([3, 4.5, 7.5, 9])
  })

  it('pool [1, 2] stride 1 same along one row: the extra column goes after', () => {
    // row [1, 5, 2]: total (3−1)·1 + 2 − 3 = 1 → windows [1,5], [5,2], [2]
    expect(run(MaxPooling2DKind, { pool_size: [1, 2], strides: 1, padding: 'same' }, [1, 3, 1], [1, 5, 2]).data).toEqual([5, 5, 2])
    expect(run(AveragePooling2DKind, { pool_size: [1, 2], strides: 1, padding: 'same' }, [1, 3, 1], [1, 5, 2]).data).toEqual([3, 3.5, 2])
  })

  it('strides null → pool_size; rectangular pool with strides [1, 2]', () => {
    // pool [2, 1] with strides [1, 2] on 3×4 (1 … 12): rows windows {0,1},{1,2}; cols 0, 2
    // (0,0) max(1,5) = 5; (0,1) max(3,7) = 7; (1,0) max(5,9) = 9; (1,1) max(7,11) = 11
    expect(run(MaxPooling2DKind, { pool_size: [2, 1], strides: [1, 2] }, [3, 4, 1], iota(12))).toEqual({ shape: [1, 2, 2, 1], data: [5, 7, 9, 11] })
    expect(run(MaxPooling2DKind, { pool_size: [2, 1], strides: null }, [3, 4, 1], iota(12))).toEqual({ shape: [1, 1, 4, 1], data: [5, 6, 7, 8] })
  })

  it('channels_last with several channels and a batch of 2', () => {
    // 2×2×2 per sample, channel 0 = 1..4, channel 1 = 10·(1..4), interleaved; sample 2 = sample 1 negated.
    const s1 = [1, 10, 2, 20, 3, 30, 4, 40]
    const x = [...s1, ...s1.map((v) => -v)]
    expect(run(MaxPooling2DKind, {}, [2, 2, 2], x)).toEqual({ shape: [2, 1, 1, 2], data: [4, 40, -1, -10] })
    expect(run(AveragePooling2DKind, { pool_size: 2 }, [2, 2, 2], x).data).toEqual([2.5, 25, -2.5, -25])
  })

  it('channels_first: each channel plane pooled on its own', () => {
    // [2 channels, 2, 2]: channel 0 = 1..4 → 4 / 2.5; channel 1 = 5..8 → 8 / 6.5
    expect(run(MaxPooling2DKind, { data_format: 'channels_first' }, [2, 2, 2], iota(8))).toEqual({ shape: [1, 2, 1, 1], data: [4, 8] })
    expect(run(AveragePooling2DKind, { pool_size: 2, data_format: 'channels_first' }, [2, 2, 2], iota(8)).data).toEqual([2.5, 6.5])
  })

  it('float32: the mean is rounded once from a float64 sum', () => {
    // (0.1 + 0.2 + 0.3 + 0.4) / 4 = 0.25 exactly in float64 from the float32 inputs' values
    const x = [0.1, 0.2, 0.3, 0.4]
    const expected = Math.fround((Math.fround(0.1) + Math.fround(0.2) + Math.fround(0.3) + Math.fround(0.4)) / 4)
    expect(run(AveragePooling2DKind, { pool_size: 2 }, [2, 2, 1], x, [], 'float32').data).toEqual([expected])
  })
})

describe('GlobalAveragePooling2D / GlobalMaxPooling2D', () => {
  // 2×2×2 channels_last: channel 0 = 1, 2, 3, 4; channel 1 = 10, 20, 30, 40
  const x = [1, 10, 2, 20, 3, 30, 4, 40]
  it('channels_last: per-channel mean and max', () => {
    expect(run(GlobalAveragePooling2DKind, {}, [2, 2, 2], x)).toEqual({ shape: [1, 2], data: [2.5, 25] })
    expect(run(GlobalMaxPooling2DKind, {}, [2, 2, 2], x)).toEqual({ shape: [1, 2], data: [4, 40] })
  })

  it('keepdims keeps 1×1 image axes', () => {
    expect(run(GlobalAveragePooling2DKind, { keepdims: true }, [2, 2, 2], x)).toEqual({ shape: [1, 1, 1, 2], data: [2.5, 25] })
    expect(run(GlobalMaxPooling2DKind, { keepdims: true, data_format: 'channels_first' }, [2, 2, 2], x)).toEqual({ shape: [1, 2, 1, 1], data: [20, 40] })
  })

  it('channels_first: the same numbers read as 2 planes', () => {
    // plane 0 = 1, 10, 2, 20 → mean 8.25, max 20; plane 1 = 3, 30, 4, 40 → mean 19.25, max 40
    expect(run(GlobalAveragePooling2DKind, { data_format: 'channels_first' }, [2, 2, 2], x).data).toEqual([8.25, 19.25])
    expect(run(GlobalMaxPooling2DKind, { data_format: 'channels_first' }, [2, 2, 2], x).data).toEqual([20, 40])
  })

  it('max of all-negative values is not 0', () => {
    expect(run(GlobalMaxPooling2DKind, {}, [1, 3, 1], [-3, -1, -2]).data).toEqual([-1])
  })
})

describe('ZeroPadding2D / Cropping2D', () => {
  it('asymmetric padding ((1, 0), (0, 2)) on 2×2', () => {
    // 2×2 [1 2; 3 4] → 3×4: one zero row on top, two zero columns on the right
    expect(run(ZeroPadding2DKind, { padding: [[1, 0], [0, 2]] }, [2, 2, 1], [1, 2, 3, 4])).toEqual({
      shape: [1, 3, 4, 1],
      data: [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]
    })
  })

  it('padding 1 with 2 channels (channels_last)', () => {
    // 1×1×2 pixel [7, 8] → 3×3×2 with the pixel in the centre
    const out = run(ZeroPadding2DKind, { padding: 1 }, [1, 1, 2], [7, 8])
    expect(out.shape).toEqual([1, 3, 3, 2])
    expect(out.data).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('padding [0, 1] channels_first: columns only, each plane', () => {
    // planes [1 2] and [3 4] (1×2 each) → [0 1 2 0] and [0 3 4 0]
    expect(run(ZeroPadding2DKind, { padding: [0, 1], data_format: 'channels_first' }, [2, 1, 2], [1, 2, 3, 4])).toEqual({
      shape: [1, 2, 1, 4],
      data: [0, 1, 2, 0, 0, 3, 4, 0]
    })
  })

  it('cropping ((1, 0), (0, 1)) on 3×3 keeps rows 1–2, cols 0–1', () => {
    // 1 … 9 → [4 5; 7 8]
    expect(run(Cropping2DKind, { cropping: [[1, 0], [0, 1]] }, [3, 3, 1], iota(9))).toEqual({ shape: [1, 2, 2, 1], data: [4, 5, 7, 8] })
  })

  it('cropping 1 with 2 channels, batch 2', () => {
    // 3×3×2, value = 10·pixel + channel; centre pixel is pixel 5 → [50, 51]; sample 2 adds 100
    const s = Array.from({ length: 9 }, (_, p) => [10 * (p + 1), 10 * (p + 1) + 1]).flat()
    expect(run(Cropping2DKind, { cropping: 1 }, [3, 3, 2], [...s, ...s.map((v) => v + 100)])).toEqual({ shape: [2, 1, 1, 2], data: [50, 51, 150, 151] })
  })

  it('cropping channels_first', () => {
    // planes 1..6 and 7..12 (2×3): crop cols (1, 1) → [2; 5] and [8; 11]
    expect(run(Cropping2DKind, { cropping: [0, 1], data_format: 'channels_first' }, [2, 2, 3], iota(12))).toEqual({ shape: [1, 2, 2, 1], data: [2, 5, 8, 11] })
  })
})

describe('UpSampling2D', () => {
  it('nearest repeats rows size[0] times and columns size[1] times', () => {
    // [1 2; 3 4] with size (2, 1) → rows repeated: [1 2; 1 2; 3 4; 3 4]
    expect(run(UpSampling2DKind, { size: [2, 1] }, [2, 2, 1], [1, 2, 3, 4])).toEqual({ shape: [1, 4, 2, 1], data: [1, 2, 1, 2, 3, 4, 3, 4] })
    // [1 2] with size 3 → 3 rows of [1 1 1 2 2 2]
    expect(run(UpSampling2DKind, { size: 3 }, [1, 2, 1], [1, 2]).data).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
  })

  it('nearest channels_first with 2 channels', () => {
    // planes [1 2] and [3 4] (1×2), size (1, 2) → [1 1 2 2] and [3 3 4 4]
    expect(run(UpSampling2DKind, { size: [1, 2], data_format: 'channels_first' }, [2, 1, 2], [1, 2, 3, 4]).data).toEqual([1, 1, 2, 2, 3, 3, 4, 4])
  })

  it('bilinear, factor 2: half-pixel centers, clamped at the edges', () => {
    // Output index o samples (o + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamp → weights of the
    // second pixel 0, 0.25, 0.75, 1 on each axis. For [1 2; 3 4] value = 1 + c + 2r:
    // r = 0: 1, 1.25, 1.75, 2;  r = 0.25: 1.5, 1.75, 2.25, 2.5;  r = 0.75: 2.5 …;  r = 1: 3 …
    expect(run(UpSampling2DKind, { interpolation: 'bilinear' }, [2, 2, 1], [1, 2, 3, 4]).data).toEqual([
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4
    ])
  })

  it('bilinear, factor 3 along cols only', () => {
    // [0 3], size (1, 3): sources −1/3, 0, 1/3, 2/3, 1, 4/3 → 0, 0, 1, 2, 3, 3
    const out = run(UpSampling2DKind, { size: [1, 3], interpolation: 'bilinear' }, [1, 2, 1], [0, 3])
    expect(out.shape).toEqual([1, 1, 6, 1])
    out.data.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 1, 2, 3, 3][i] as number, 12))
  })

  it('bilinear with 2 channels, channels_last and channels_first agree', () => {
    // channel 0 = [0 4], channel 1 = [8 0]; size (1, 2): weights 0, .25, .75, 1 → [0 1 3 4] and [8 6 2 0]
    expect(run(UpSampling2DKind, { size: [1, 2], interpolation: 'bilinear' }, [1, 2, 2], [0, 8, 4, 0]).data).toEqual([0, 8, 1, 6, 3, 2, 4, 0])
    expect(run(UpSampling2DKind, { size: [1, 2], interpolation: 'bilinear', data_format: 'channels_first' }, [2, 1, 2], [0, 4, 8, 0]).data).toEqual([0, 1, 3, 4, 8, 6, 2, 0])
  })
})

describe('Reshape', () => {
  it('keeps the row-major values, changes the shape', () => {
    expect(run(ReshapeKind, { target_shape: [3, 2] }, [2, 3], iota(6))).toEqual({ shape: [1, 3, 2], data: iota(6) })
    expect(run(ReshapeKind, { target_shape: [-1] }, [2, 2, 1], [...iota(4), ...iota(4)])).toEqual({ shape: [2, 4], data: [...iota(4), ...iota(4)] })
  })
})

describe('DepthwiseConv2D', () => {
  // Input 3×3×2 (channels_last): channel 0 = 1 … 9, channel 1 = the identity matrix.
  //   x0 = [1 2 3; 4 5 6; 7 8 9], x1 = [1 0 0; 0 1 0; 0 0 1]
  // Kernel 2×2, depth_multiplier 2, k[i][j][c][m]:
  //   (c0, m0) = [1 1; 1 1]   window sum of x0
  //   (c0, m1) = [1 0; 0 0]   top-left of x0
  //   (c1, m0) = [1 0; 0 −2]  x1[i][j] − 2·x1[i+1][j+1]
  //   (c1, m1) = [0 2; 0 0]   2·x1[i][j+1]
  // Output channel f = c·2 + m; bias [0.5, 0, 0, −1].
  //   f0: 12, 16, 24, 28 (+0.5)        f1: 1, 2, 4, 5
  //   f2: 1−2 = −1, 0, 0, 1−2 = −1     f3: 0, 0, 2, 0 (−1) → −1, −1, 1, −1
  const x = [1, 1, 2, 0, 3, 0, 4, 0, 5, 1, 6, 0, 7, 0, 8, 0, 9, 1]
  // row-major (i, j, c, m)
  const kernel = { shape: [2, 2, 2, 2], data: [1, 1, 1, 0, 1, 0, 0, 2, 1, 0, 0, 0, 1, 0, -2, 0] }
  const bias = { shape: [4], data: [0.5, 0, 0, -1] }
  const expected = [12.5, 1, -1, -1, 16.5, 2, 0, -1, 24.5, 4, 0, 1, 28.5, 5, -1, -1]

  it('each channel convolved with its own M filters; output channel c·M + m', () => {
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, depth_multiplier: 2 }, [3, 3, 2], x, [kernel, bias])).toEqual({ shape: [1, 2, 2, 4], data: expected })
  })

  it('float32 gives the same (exact) values', () => {
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, depth_multiplier: 2 }, [3, 3, 2], x, [kernel, bias], 'float32').data).toEqual(expected)
  })

  it('activation after the bias', () => {
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, depth_multiplier: 2, activation: 'relu' }, [3, 3, 2], x, [kernel, bias]).data).toEqual(expected.map((v) => Math.max(v, 0)))
  })

  it('channels_first: the same numbers in NCHW', () => {
    // input planes x0, x1; output planes f0 … f3
    const xcf = [...[1, 2, 3, 4, 5, 6, 7, 8, 9], ...[1, 0, 0, 0, 1, 0, 0, 0, 1]]
    const ycf = [0, 1, 2, 3].flatMap((f) => [0, 1, 2, 3].map((p) => expected[p * 4 + f] as number))
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, depth_multiplier: 2, data_format: 'channels_first' }, [2, 3, 3], xcf, [kernel, bias])).toEqual({
      shape: [1, 4, 2, 2],
      data: ycf
    })
  })

  it('no bias, same padding, stride 2: TF split puts the padding at the bottom/right', () => {
    // one channel 3×3 (1 … 9), kernel 2×2 of ones, M 1, same, strides 2:
    // out 2×2, total padding (2−1)·2 + 2 − 3 = 1 → 0 before, 1 after.
    // (0,0) 1+2+4+5 = 12; (0,1) 3+6 = 9; (1,0) 7+8 = 15; (1,1) 9
    const ones = { shape: [2, 2, 1, 1], data: [1, 1, 1, 1] }
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, strides: 2, padding: 'same', use_bias: false }, [3, 3, 1], iota(9), [ones]).data).toEqual([12, 9, 15, 9])
  })

  it('dilation 2: taps two apart', () => {
    // one channel 3×3 (1 … 9), kernel 2×2 = [1 0; 0 1] dilated by 2 → x[0][0] + x[2][2] = 1 + 9
    const diag = { shape: [2, 2, 1, 1], data: [1, 0, 0, 1] }
    expect(run(DepthwiseConv2DKind, { kernel_size: 2, dilation_rate: 2, use_bias: false }, [3, 3, 1], iota(9), [diag])).toEqual({ shape: [1, 1, 1, 1], data: [10] })
  })
})
