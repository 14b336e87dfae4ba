/**
 * The convolution family's oracle: every kind (`conv`, `depthwise`, `transpose`), rank (1, 2, 3) and
 * data format, written straight from the definitions in `keras-conv-family-reference.md` §7 ("family
 * §7"), for one {@link ConvNdGeometry}. Clarity over speed: one output element at a time, explicit
 * multi-indices, an offset function per layout, accumulation in float64. The fast kernels
 * (kernel.ts) are tested against it.
 *
 * Notation per spatial axis `a`: `s` stride, `d` dilation, `before` the geometry's `padBefore`
 * (TF's `same` split, causal's `d·(k−1)`, 0 for `valid`).
 *
 * - **conv (grouped)**: `y[o, f] = b[f] + Σ_t Σ_{q<C/G} x[i(o, t), g·C/G + q] · K[t, q, f]`,
 *   `g = ⌊f / (F/G)⌋`, `i_a = o_a·s_a + t_a·d_a − before_a`, x = 0 outside the input.
 * - **depthwise**: `y[o, c·M + m] = b[c·M + m] + Σ_t x[i(o, t), c] · W[t, c, m]`.
 * - **transpose**: scatter `z[i·s + t·d, f] += x[i, c] · K[t, f, c]` into `z` of length `full` per
 *   axis, then `y[j, f] = z[j + crop, f] + b[f]` (zero where `j + crop ≥ full` on some axis).
 *
 * Layouts (batch axis first): input `[N, ...spatial, C]` (channels_last) or `[N, C, ...spatial]`
 * (channels_first), output likewise with the output's lengths and channels; kernels in Keras's layout:
 * conv `[...k, C/G, F]`, depthwise `[...k, C, M]`, transpose `[...k, F, C]` (all row-major).
 */
import type { ConvNdGeometry } from '../geometry/ConvNdGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// index helpers
// -------------------------------------------------------------------------------------

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** Every multi-index of `shape`, row-major (the last axis fastest). One empty index for rank 0. */
const multiIndices = (shape: ReadonlyArray<number>): ReadonlyArray<ReadonlyArray<number>> => {
  const out: number[][] = []
  const idx = shape.map(() => 0)
  const total = product(shape)
  for (let k = 0; k < total; k++) {
    out.push([...idx])
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      if ((idx[a] as number) < (shape[a] as number)) break
      idx[a] = 0
    }
  }
  return out
}

/** The row-major offset of a multi-index in `shape` (no bounds check). */
const flat = (idx: ReadonlyArray<number>, shape: ReadonlyArray<number>): number => idx.reduce((acc, v, a) => acc * (shape[a] as number) + v, 0)

/**
 * The offset of element (sample `n`, spatial position `pos`, channel `c`) of a `[N, ...spatial, C]`
 * (channels_last) or `[N, C, ...spatial]` (channels_first) tensor.
 */
const offsetIn = (channelsFirst: boolean, spatial: ReadonlyArray<number>, channels: number) => {
  const size = product(spatial)
  return (n: number, pos: ReadonlyArray<number>, c: number): number =>
    channelsFirst ? (n * channels + c) * size + flat(pos, spatial) : (n * size + flat(pos, spatial)) * channels + c
}

// -------------------------------------------------------------------------------------
// oracle
// -------------------------------------------------------------------------------------

/**
 * The family's reference computation (see the module comment): `batch` samples of `x`
 * (`[batch, ...g.inputShape]`), the kernel in Keras's layout for `g.kind` (`g.kernelShape`), the
 * bias `[g.outChannels]` or `undefined`; returns `[batch, ...g.outputShape]` in float64 (linear
 * activation). Writes nothing it is given.
 * @category kernels
 */
export const convNdReference = (g: ConvNdGeometry, batch: number, x: FloatArray, kernel: FloatArray, bias: FloatArray | undefined): Float64Array => {
  const cf = g.dataFormat === 'channels_first'
  const C = g.inChannels
  const F = g.outChannels
  const xAt = offsetIn(cf, g.inSpatial, C)
  const yAt = offsetIn(cf, g.outSpatial, F)
  const y = new Float64Array(batch * g.outputSize)
  const taps = multiIndices(g.kernelSize)
  const outPositions = multiIndices(g.outSpatial)
  const inside = (pos: ReadonlyArray<number>, shape: ReadonlyArray<number>): boolean => pos.every((v, a) => v >= 0 && v < (shape[a] as number))
  /** The input position output `o`'s tap `t` reads (forward kinds): `o·s + t·d − before` per axis. */
  const inputPosition = (o: ReadonlyArray<number>, t: ReadonlyArray<number>): ReadonlyArray<number> =>
    o.map((v, a) => v * (g.strides[a] as number) + (t[a] as number) * (g.dilationRate[a] as number) - (g.padBefore[a] as number))
  const b = (f: number): number => (bias === undefined ? 0 : (bias[f] as number))

  if (g.kind === 'conv') {
    // K[...t, q, f], shape [...k, C/G, F]
    const Cg = g.inChannelsPerGroup
    const Fg = g.outChannelsPerGroup
    for (let n = 0; n < batch; n++) {
      for (const o of outPositions) {
        for (let f = 0; f < F; f++) {
          const group = Math.floor(f / Fg)
          let sum = 0
          for (const t of taps) {
            const i = inputPosition(o, t)
            if (!inside(i, g.inSpatial)) continue
            const tap = flat(t, g.kernelSize)
            for (let q = 0; q < Cg; q++) {
              sum += (x[xAt(n, i, group * Cg + q)] as number) * (kernel[(tap * Cg + q) * F + f] as number)
            }
          }
          y[yAt(n, o, f)] = sum + b(f)
        }
      }
    }
    return y
  }

  if (g.kind === 'depthwise') {
    // W[...t, c, m], shape [...k, C, M]; output channel c·M + m
    const M = g.outChannelsPerGroup
    for (let n = 0; n < batch; n++) {
      for (const o of outPositions) {
        for (let c = 0; c < C; c++) {
          for (let m = 0; m < M; m++) {
            let sum = 0
            for (const t of taps) {
              const i = inputPosition(o, t)
              if (!inside(i, g.inSpatial)) continue
              sum += (x[xAt(n, i, c)] as number) * (kernel[(flat(t, g.kernelSize) * C + c) * M + m] as number)
            }
            y[yAt(n, o, c * M + m)] = sum + b(c * M + m)
          }
        }
      }
    }
    return y
  }

  // transpose: K[...t, f, c], shape [...k, F, C]; scatter into z ([...full, F] per sample), then crop
  const full = g.full
  const inPositions = multiIndices(g.inSpatial)
  for (let n = 0; n < batch; n++) {
    const z = new Float64Array(product(full) * F)
    for (const i of inPositions) {
      for (const t of taps) {
        const p = i.map((v, a) => v * (g.strides[a] as number) + (t[a] as number) * (g.dilationRate[a] as number))
        const zp = flat(p, full)
        const tap = flat(t, g.kernelSize)
        for (let c = 0; c < C; c++) {
          const v = x[xAt(n, i, c)] as number
          for (let f = 0; f < F; f++) z[zp * F + f] = (z[zp * F + f] as number) + v * (kernel[(tap * F + f) * C + c] as number)
        }
      }
    }
    for (const j of outPositions) {
      const p = j.map((v, a) => v + (g.crop[a] as number))
      const within = inside(p, full)
      for (let f = 0; f < F; f++) y[yAt(n, j, f)] = (within ? (z[flat(p, full) * F + f] as number) : 0) + b(f)
    }
  }
  return y
}
