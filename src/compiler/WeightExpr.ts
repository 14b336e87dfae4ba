/**
 * `WeightExpr`: a node's weight as an expression of the model's params, so that rewrites can change
 * what a kernel multiplies by without touching the caller's arrays. BatchNormalization folded into a
 * convolution scales the kernel along its output channels and replaces the bias; a standalone one is a
 * per-channel scale and shift. Expressions are evaluated in float64 and rounded once to the model's
 * dtype (../shared/docs/model-compiler-notes.md §6.2: folding in float64 is as accurate as running BN,
 * and far more so where `mean · s` and `beta` nearly cancel), once per params object.
 */
import type { Tensor } from '../core/Tensor.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A BatchNormalization's statistics as expressions (each of length `channels`): with
 * `s = gamma / sqrt(variance + epsilon)` it maps `x` to `(x − mean) · s + beta`. `gamma` is `null`
 * when the layer has `scale: false` (1), `beta` when it has `center: false` (0).
 * @category model
 */
export interface BatchNormExpr {
  readonly gamma: WeightExpr | null
  readonly beta: WeightExpr | null
  readonly mean: WeightExpr
  readonly variance: WeightExpr
  /** Keras's stored epsilon (a float32 artifact such as 0.0010000000474974513: used as stored). */
  readonly epsilon: number
}

/**
 * A weight of a compiled node:
 * - `param`: the model's params entry `index`, read as `shape`: its own shape, or the same elements
 *   under another one (a rank-1 convolution's kernel `[k, C/G, F]` as its height-1 2-D kernel
 *   `[1, k, C/G, F]`);
 * - `scaled`: `of` with element `i` multiplied by `bnScale[⌊i / inner⌋ mod channels]` (`inner` 1 when
 *   absent: the output channel is the last axis of an HWIO kernel, of a depthwise kernel `[kh, kw, C, m]`
 *   flattened (`c·m + j`), and of a Dense kernel `[in, units]`; a transposed kernel `[...k, F, C]` has
 *   it on axis −2: `inner` = C);
 * - `foldedBias`: `(bias − mean) · s + beta` (`bias` `null` = 0);
 * - `bnScale` / `bnShift`: a standalone BatchNormalization's `s` and `beta − mean · s`.
 * @category model
 */
export type WeightExpr =
  | { readonly kind: 'param'; readonly index: number; readonly shape: ReadonlyArray<number> }
  | { readonly kind: 'scaled'; readonly of: WeightExpr; readonly bn: BatchNormExpr; readonly channels: number; readonly inner?: number }
  | { readonly kind: 'foldedBias'; readonly bias: WeightExpr | null; readonly bn: BatchNormExpr; readonly channels: number }
  | { readonly kind: 'bnScale'; readonly bn: BatchNormExpr; readonly channels: number }
  | { readonly kind: 'bnShift'; readonly bn: BatchNormExpr; readonly channels: number }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The params entry `index` of shape `shape`.
 * @category constructors
 */
export const param = (index: number, shape: ReadonlyArray<number>): WeightExpr => ({ kind: 'param', index, shape })

/**
 * The shape an expression evaluates to.
 * @category utils
 */
export const exprShape = (e: WeightExpr): ReadonlyArray<number> => {
  switch (e.kind) {
    case 'param':
      return e.shape
    case 'scaled':
      return exprShape(e.of)
    default:
      return [e.channels]
  }
}

// -------------------------------------------------------------------------------------
// evaluation
// -------------------------------------------------------------------------------------

/** Values of an expression in float64 (params read as they are; nothing is written). */
const evaluate64 = (e: WeightExpr, params: ReadonlyArray<Tensor>): ArrayLike<number> => {
  switch (e.kind) {
    case 'param':
      return (params[e.index] as Tensor).data
    case 'scaled': {
      const w = evaluate64(e.of, params)
      const s = bnScale64(e.bn, e.channels, params)
      const out = new Float64Array(w.length)
      const inner = e.inner ?? 1
      if (inner === 1) for (let i = 0; i < w.length; i++) out[i] = (w[i] as number) * (s[i % e.channels] as number)
      else for (let i = 0; i < w.length; i++) out[i] = (w[i] as number) * (s[Math.floor(i / inner) % e.channels] as number)
      return out
    }
    case 'foldedBias': {
      const s = bnScale64(e.bn, e.channels, params)
      const mean = evaluate64(e.bn.mean, params)
      const beta = e.bn.beta === null ? undefined : evaluate64(e.bn.beta, params)
      const bias = e.bias === null ? undefined : evaluate64(e.bias, params)
      const out = new Float64Array(e.channels)
      for (let c = 0; c < e.channels; c++) out[c] = ((bias?.[c] ?? 0) - (mean[c] as number)) * (s[c] as number) + (beta?.[c] ?? 0)
      return out
    }
    case 'bnScale':
      return bnScale64(e.bn, e.channels, params)
    case 'bnShift': {
      const s = bnScale64(e.bn, e.channels, params)
      const mean = evaluate64(e.bn.mean, params)
      const beta = e.bn.beta === null ? undefined : evaluate64(e.bn.beta, params)
      const out = new Float64Array(e.channels)
      for (let c = 0; c < e.channels; c++) out[c] = (beta?.[c] ?? 0) - (mean[c] as number) * (s[c] as number)
      return out
    }
  }
}

/** `gamma / sqrt(variance + epsilon)` per channel, in float64. */
const bnScale64 = (bn: BatchNormExpr, channels: number, params: ReadonlyArray<Tensor>): Float64Array => {
  const variance = evaluate64(bn.variance, params)
  const gamma = bn.gamma === null ? undefined : evaluate64(bn.gamma, params)
  const s = new Float64Array(channels)
  for (let c = 0; c < channels; c++) s[c] = (gamma?.[c] ?? 1) / Math.sqrt((variance[c] as number) + bn.epsilon)
  return s
}

/**
 * Evaluates `e` on a params list: a `param` is the params tensor itself (never copied: read only; under
 * the expression's shape when that differs);
 * any other expression is computed in float64 and rounded once into a fresh array of `dtype`.
 * @category evaluation
 */
export const evaluateExpr = (e: WeightExpr, params: ReadonlyArray<Tensor>, dtype: FloatDType): Tensor => {
  if (e.kind === 'param') {
    const t = params[e.index] as Tensor
    const same = t.shape.length === e.shape.length && t.shape.every((d, i) => d === e.shape[i])
    // read under another shape: the same elements (never copied)
    return same ? t : { shape: e.shape, data: t.data }
  }
  const v = evaluate64(e, params)
  const data: FloatArray = allocate(dtype, v.length)
  for (let i = 0; i < v.length; i++) data[i] = v[i] as number
  return { shape: exprShape(e), data }
}

/**
 * The indices of the params an expression reads.
 * @category utils
 */
export const paramsRead = (e: WeightExpr): ReadonlyArray<number> => {
  const bnParams = (bn: BatchNormExpr): number[] => [bn.gamma, bn.beta, bn.mean, bn.variance].flatMap((x) => (x === null ? [] : paramsRead(x)))
  switch (e.kind) {
    case 'param':
      return [e.index]
    case 'scaled':
      return [...paramsRead(e.of), ...bnParams(e.bn)]
    case 'foldedBias':
      return [...(e.bias === null ? [] : paramsRead(e.bias)), ...bnParams(e.bn)]
    default:
      return bnParams(e.bn)
  }
}
