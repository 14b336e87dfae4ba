/**
 * Shared by spec/conv/kernel.spec.ts and properties/conv-kernel.prop.ts: random data, the geometry of
 * a Keras config, and the float tolerance of a fast kernel against the oracle (bounded relative to
 * Σ|terms|, as spec/train/convFast.spec.ts does).
 */
import * as E from 'fp-ts/lib/Either.js'
import { convNdReference } from '../../src/conv/reference.js'
import { formatErrors } from '../../src/core/SpecError.js'
import type { ConvPadding } from '../../src/geometry/Axis.js'
import { convNdGeometry, type ConvNdGeometry, type ConvNdKind, type ConvNdParams, type ConvRank } from '../../src/geometry/ConvNdGeometry.js'
import type { FloatArray, FloatDType } from '../../src/numerics/FloatArray.js'

/** Uniform values in [−1, 1) from a seed (mulberry32), in the dtype's array. */
export const values = (dtype: FloatDType, n: number, seed: number): FloatArray => {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n)
  let s = seed | 0
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  }
  return out
}

/** The geometry, or a thrown error listing the problems. */
export const geometryOf = (p: ConvNdParams, inputShape: ReadonlyArray<number>): ConvNdGeometry => {
  const g = convNdGeometry(p, inputShape)
  if (E.isLeft(g)) throw new Error(`${JSON.stringify(p)} on [${inputShape.join(', ')}]: ${formatErrors(g.left)}`)
  return g.right
}

const tuple = (v: unknown, rank: number, fallback: number): ReadonlyArray<number> =>
  v === undefined || v === null ? Array.from({ length: rank }, () => fallback) : typeof v === 'number' ? Array.from({ length: rank }, () => v) : (v as ReadonlyArray<number>)

/** The geometry parameters of a Keras config (K3 keys; `kind` and `rank` from the class). */
export const paramsOfConfig = (kind: ConvNdKind, rank: ConvRank, config: Record<string, unknown>): ConvNdParams => ({
  kind,
  rank,
  dataFormat: config['data_format'] === 'channels_first' ? 'channels_first' : 'channels_last',
  kernelSize: tuple(config['kernel_size'], rank, 1),
  strides: tuple(config['strides'], rank, 1),
  dilationRate: tuple(config['dilation_rate'], rank, 1),
  padding: (config['padding'] ?? 'valid') as ConvPadding,
  filters: typeof config['filters'] === 'number' ? config['filters'] : 1,
  groups: typeof config['groups'] === 'number' ? config['groups'] : 1,
  depthMultiplier: typeof config['depth_multiplier'] === 'number' ? config['depth_multiplier'] : 1,
  outputPadding: config['output_padding'] === undefined || config['output_padding'] === null ? null : tuple(config['output_padding'], rank, 0)
})

/** A pointwise (all-ones kernel, stride 1, `valid`) convolution to `filters` channels on `inputShape` (separable layers' second step). */
export const pointwiseParams = (rank: ConvRank, dataFormat: ConvNdParams['dataFormat'], filters: number): ConvNdParams => {
  const ones = Array.from({ length: rank }, () => 1)
  return { kind: 'conv', rank, dataFormat, kernelSize: ones, strides: ones, dilationRate: ones, padding: 'valid', filters, groups: 1, depthMultiplier: 1, outputPadding: null }
}

export const EPS: Readonly<Record<FloatDType, number>> = { float32: 2 ** -23, float64: 2 ** -52 }

/**
 * The largest violation of `|got − want| ≤ 64·eps·Σ|terms| + 8·eps·max Σ|terms| + eps·|want|` (≤ 0:
 * within tolerance), where `want` is the oracle and `terms` the oracle on |x|, |K|, |b| (the sum of
 * the absolute values of the products each output adds up); the `8·eps·max` term allows for
 * Winograd's transforms, which mix each output with its 4×4 tile's inputs.
 */
export const excess = (g: ConvNdGeometry, batch: number, x: FloatArray, K: FloatArray, b: FloatArray | undefined, got: FloatArray, eps: number): { readonly worst: number; readonly at: number; readonly want: Float64Array } => {
  const want = convNdReference(g, batch, x, K, b)
  const abs = (a: FloatArray): Float64Array => Float64Array.from(a, Math.abs)
  const terms = convNdReference(g, batch, abs(x), abs(K), b === undefined ? undefined : abs(b))
  let largest = 0
  for (let i = 0; i < terms.length; i++) largest = Math.max(largest, terms[i] as number)
  let worst = -Infinity
  let at = -1
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs((got[i] as number) - (want[i] as number)) - (64 * eps * (terms[i] as number) + 8 * eps * largest + eps * Math.abs(want[i] as number))
    if (!(e <= worst)) {
      worst = e
      at = i
    }
  }
  return { worst, at, want }
}
