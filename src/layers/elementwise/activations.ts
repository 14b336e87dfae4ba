/**
 * Activation layers: `Activation`, `ReLU`, `LeakyReLU`, `Softmax`. None has weights; each keeps its
 * input's shape.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional, required } from '../../core/KerasObject.js'
import { Bool, FiniteNumber, NonNegativeNumber, nullOr } from '../../core/primitives.js'
import { specError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { activationCodec, type Activation } from '../../codec/Activation.js'
import type { Dialect } from '../../codec/Dialect.js'
import { showShape } from '../../codec/InputShape.js'
import { applyActivation } from '../../numerics/activations.js'
import { allocate, type FloatArray } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { absentOr, AxisList, copyOf, inDtype, normalizeAxes, productOf, sameShape } from './common.js'

// -------------------------------------------------------------------------------------
// Activation
// -------------------------------------------------------------------------------------

/**
 * A normalized Activation layer: `activation` applied to its input. `softmax`, `log_softmax` and
 * `sparsemax` act along the last axis.
 * @category model
 */
export interface ActivationSpec extends BaseLayerSpec {
  readonly className: 'Activation'
  readonly activation: Activation
}

const ROW_WISE: ReadonlySet<Activation> = new Set<Activation>(['softmax', 'log_softmax', 'sparsemax'])

/**
 * Activation. The row-wise activations (`softmax`, `log_softmax`, `sparsemax`) need an axis besides
 * the batch axis in tf.keras 2.x ("Cannot apply softmax to a tensor that is 1D"); Keras 3 applies them
 * along the last axis whatever the rank, so on a rank-1 input (the batch axis alone) they normalize
 * across the batch.
 * @category layers
 */
export const ActivationKind: LayerKind<ActivationSpec> = {
  className: 'Activation',
  aliases: [],
  arity: 'single',
  codec: layerCodec<ActivationSpec>('Activation')(
    (o) => ({ activation: required(activationCodec(o.dialect)) }),
    (c) => ({ activation: c.activation }),
    (s, dialect) => ({ activation: activationCodec(dialect).encode(s.activation) })
  ),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Activation', inputs),
      E.chain((input) =>
        spec.dialect === 'keras2' && ROW_WISE.has(spec.activation) && input.length < 2
          ? E.left([specError('', `activation "${spec.activation}" needs an axis besides the batch axis (tf.keras raises "Cannot apply softmax to a tensor that is 1D"), found input ${showShape(input)}`)])
          : E.right({ outputShape: input, weights: [] })
      )
    ),
  compile: (spec, inputs, options) => {
    const shape = inputs[0] ?? []
    if (spec.dialect === 'keras2' && ROW_WISE.has(spec.activation) && shape.length === 0) {
      return E.left([specError('', `activation "${spec.activation}" needs an axis besides the batch axis (tf.keras raises "Cannot apply softmax to a tensor that is 1D")`)])
    }
    return E.right({
      outputShape: [...shape],
      weights: [],
      forward: (_w, xs) => {
        const y = copyOf(xs[0] as Tensor, options.dtype)
        const last = shape.length > 0 ? (shape[shape.length - 1] as number) : (y.shape[0] as number)
        applyActivation(spec.activation, spec.dialect, y.data, last)
        return y
      }
    })
  }
}

// -------------------------------------------------------------------------------------
// ReLU
// -------------------------------------------------------------------------------------

/**
 * A normalized ReLU layer (`maxValue` `null` = unbounded).
 * @category model
 */
export interface ReLUSpec extends BaseLayerSpec {
  readonly className: 'ReLU'
  readonly maxValue: number | null
  readonly negativeSlope: number
  readonly threshold: number
}

/**
 * Keras's `relu(x, negative_slope, max_value, threshold)` (tf-keras `backend.relu`, Keras 3
 * `ReLU.static_call`, the same algorithm), IN PLACE on `data`:
 * - `negative_slope ≠ 0`, no `max_value`, `threshold = 0`: leaky ReLU, `x > 0 ? x : slope·x`;
 * - otherwise `y = threshold ≠ 0 ? (x > threshold ? x : 0) : max(x, 0)`, clipped to `[0, max_value]`,
 *   minus `slope · max(threshold − x, 0)`.
 * So `x` equal to a non-zero threshold gives 0 (Keras's `greater`), not the `threshold` its docstring's
 * formula suggests.
 */
const reluInPlace = (data: FloatArray, slope: number, maxValue: number | null, threshold: number): void => {
  const n = data.length
  if (slope !== 0 && maxValue === null && threshold === 0) {
    for (let i = 0; i < n; i++) {
      const x = data[i] as number
      if (!(x > 0)) data[i] = slope * x
    }
    return
  }
  const hi = maxValue ?? Infinity
  for (let i = 0; i < n; i++) {
    const x = data[i] as number
    let y = threshold !== 0 ? (x > threshold ? x : 0) : x > 0 ? x : x === x ? 0 : x
    if (y > hi) y = hi
    if (slope !== 0) {
      const neg = threshold - x
      if (neg > 0) y -= slope * neg
    }
    data[i] = y
  }
}

/**
 * ReLU: `max_value` (≥ 0 or null), `negative_slope` (≥ 0, default 0), `threshold` (≥ 0, default 0),
 * the same names and rules in tf.keras 2.x and Keras 3.
 * @category layers
 */
export const ReLUKind: LayerKind<ReLUSpec> = {
  className: 'ReLU',
  aliases: [],
  arity: 'single',
  codec: layerCodec<ReLUSpec>('ReLU')(
    () => ({
      max_value: optional(nullOr(NonNegativeNumber), null),
      negative_slope: optional(NonNegativeNumber, 0),
      threshold: optional(NonNegativeNumber, 0)
    }),
    (c) => ({ maxValue: c.max_value, negativeSlope: c.negative_slope, threshold: c.threshold }),
    (s) => ({ max_value: s.maxValue, negative_slope: s.negativeSlope, threshold: s.threshold })
  ),
  infer: (_spec, inputs) => sameShape('ReLU', inputs),
  compile: (spec, inputs, options) => {
    const slope = inDtype(spec.negativeSlope, options.dtype)
    const maxValue = spec.maxValue === null ? null : inDtype(spec.maxValue, options.dtype)
    const threshold = inDtype(spec.threshold, options.dtype)
    return E.right({
      outputShape: [...(inputs[0] ?? [])],
      weights: [],
      forward: (_w, xs) => {
        const y = copyOf(xs[0] as Tensor, options.dtype)
        reluInPlace(y.data, slope, maxValue, threshold)
        return y
      }
    })
  }
}

// -------------------------------------------------------------------------------------
// LeakyReLU
// -------------------------------------------------------------------------------------

/**
 * A normalized LeakyReLU layer: `x > 0 ? x : negativeSlope · x`.
 * @category model
 */
export interface LeakyReLUSpec extends BaseLayerSpec {
  readonly className: 'LeakyReLU'
  readonly negativeSlope: number
}

/**
 * The slope of LeakyReLU when neither spelling is given (tf.keras `alpha=0.3`, Keras 3 `negative_slope=0.3`).
 * @category constants
 */
export const LEAKY_RELU_DEFAULT_SLOPE = 0.3

const slopeCodec = (dialect: Dialect) => (dialect === 'keras3' ? NonNegativeNumber : FiniteNumber)

/**
 * LeakyReLU. tf.keras 2.x calls the slope `alpha`; Keras 3 calls it `negative_slope` and still reads a
 * legacy `alpha`, which then wins (with a deprecation warning). Both spellings are accepted in both
 * dialects and become one field; in a keras3 config `alpha` wins as in Keras 3, in a keras2 one giving
 * both with different values is an error. Keras 3 rejects a negative slope, tf.keras does not.
 * Encoding writes `alpha` for `keras2`, `negative_slope` for `keras3`.
 * @category layers
 */
export const LeakyReLUKind: LayerKind<LeakyReLUSpec> = {
  className: 'LeakyReLU',
  aliases: [],
  arity: 'single',
  codec: (o) =>
    layerCodec<LeakyReLUSpec>('LeakyReLU')(
      () => ({
        negative_slope: absentOr(slopeCodec(o.dialect)),
        alpha: absentOr(slopeCodec(o.dialect))
      }),
      (c) => ({ negativeSlope: c.alpha ?? c.negative_slope ?? LEAKY_RELU_DEFAULT_SLOPE }),
      (s, dialect) => (dialect === 'keras2' ? { alpha: s.negativeSlope } : { negative_slope: s.negativeSlope }),
      {
        rules: [
          {
            keys: ['alpha', 'negative_slope'],
            check: (c) =>
              o.dialect === 'keras2' && c.alpha !== undefined && c.negative_slope !== undefined && c.alpha !== c.negative_slope
                ? {
                    key: 'alpha',
                    message: `alpha ${c.alpha} and negative_slope ${c.negative_slope} are two spellings of the same slope (alpha is tf.keras's name, negative_slope Keras 3's) and disagree; give one of them`
                  }
                : undefined
          }
        ]
      }
    )(o),
  infer: (_spec, inputs) => sameShape('LeakyReLU', inputs),
  compile: (spec, inputs, options) => {
    const slope = inDtype(spec.negativeSlope, options.dtype)
    return E.right({
      outputShape: [...(inputs[0] ?? [])],
      weights: [],
      forward: (_w, xs) => {
        const y = copyOf(xs[0] as Tensor, options.dtype)
        const d = y.data
        for (let i = 0; i < d.length; i++) {
          const x = d[i] as number
          if (!(x > 0) && x === x) d[i] = slope * x
        }
        return y
      }
    })
  }
}

// -------------------------------------------------------------------------------------
// Softmax
// -------------------------------------------------------------------------------------

/**
 * A normalized Softmax layer. `axis` lists the axes normalized together (batch axis 0, negative
 * counts from the end; `-1` and `[-1]` are the same); `robustMasking` is tf.keras 2.x's flag, which
 * only changes how masks are applied.
 * @category model
 */
export interface SoftmaxSpec extends BaseLayerSpec {
  readonly className: 'Softmax'
  readonly axis: ReadonlyArray<number>
  readonly robustMasking: boolean
}

/**
 * `exp(x − logsumexp(x))` over the given axes of a tensor of `shape` (batch axis included), into a new
 * buffer: one axis is walked directly, several through a group index per element.
 */
const softmaxOver = (x: FloatArray, shape: ReadonlyArray<number>, axes: ReadonlyArray<number>, out: FloatArray): void => {
  if (axes.length === 1) {
    const k = axes[0] as number
    const outer = productOf(shape, 0, k)
    const len = shape[k] as number
    const inner = productOf(shape, k + 1)
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i
        let max = -Infinity
        for (let j = 0; j < len; j++) {
          const v = x[base + j * inner] as number
          if (v > max) max = v
        }
        let sum = 0
        for (let j = 0; j < len; j++) sum += Math.exp((x[base + j * inner] as number) - max)
        for (let j = 0; j < len; j++) out[base + j * inner] = Math.exp((x[base + j * inner] as number) - max) / sum
      }
    }
    return
  }
  // Several axes: each element belongs to the group of its index with the reduced axes dropped.
  const rank = shape.length
  const reduced = new Set(axes)
  const groupStride = new Array<number>(rank).fill(0)
  let groups = 1
  for (let a = rank - 1; a >= 0; a--) {
    if (!reduced.has(a)) {
      groupStride[a] = groups
      groups *= shape[a] as number
    }
  }
  const n = x.length
  const group = new Int32Array(n)
  const idx = new Array<number>(rank).fill(0)
  let g = 0
  for (let e = 0; e < n; e++) {
    group[e] = g
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      g += groupStride[a] as number
      if ((idx[a] as number) < (shape[a] as number)) break
      g -= (groupStride[a] as number) * (shape[a] as number)
      idx[a] = 0
    }
  }
  const max = new Float64Array(groups).fill(-Infinity)
  const sum = new Float64Array(groups)
  for (let e = 0; e < n; e++) {
    const v = x[e] as number
    const gi = group[e] as number
    if (v > (max[gi] as number)) max[gi] = v
  }
  for (let e = 0; e < n; e++) {
    const gi = group[e] as number
    sum[gi] = (sum[gi] as number) + Math.exp((x[e] as number) - (max[gi] as number))
  }
  for (let e = 0; e < n; e++) {
    const gi = group[e] as number
    out[e] = Math.exp((x[e] as number) - (max[gi] as number) - Math.log(sum[gi] as number))
  }
}

/**
 * Softmax (`axis`, default -1, an integer or a list; tf.keras 2.x also `robust_masking`). One axis:
 * `exp(x − max) / Σ exp(x − max)`; several: `exp(x − logsumexp(x, axes))`, as Keras computes them.
 * Note: tfjs-layers defaults `axis` to 1, not Keras's -1.
 * @category layers
 */
export const SoftmaxKind: LayerKind<SoftmaxSpec> = {
  className: 'Softmax',
  aliases: [],
  arity: 'single',
  codec: (o) =>
    layerCodec<SoftmaxSpec>('Softmax')(
      () => ({
        axis: optional(AxisList, [-1]),
        ...(o.dialect === 'keras2' ? { robust_masking: optional(Bool, false) } : {})
      }),
      (c) => ({ axis: c.axis, robustMasking: (c as { robust_masking?: boolean }).robust_masking ?? false }),
      (s, dialect) => ({ axis: AxisList.encode(s.axis), ...(dialect === 'keras2' && s.robustMasking ? { robust_masking: true } : {}) }),
      { explained: o.dialect === 'keras3' ? { robust_masking: 'robust_masking is a tf.keras 2.x Softmax argument; Keras 3\'s Softmax has no such argument' } : {} }
    )(o),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Softmax', inputs),
      E.chain((input) => pipe(normalizeAxes(spec.axis, input, 'axis', 'Softmax'), E.map(() => ({ outputShape: input, weights: [] }))))
    ),
  compile: (spec, inputs, options) => {
    const perSample = inputs[0] ?? []
    return pipe(
      normalizeAxes(spec.axis, [null, ...perSample], 'axis', 'Softmax'),
      E.map((axes) => ({
        outputShape: [...perSample],
        weights: [],
        forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
          const x = xs[0] as Tensor
          const out = allocate(options.dtype, x.data.length)
          softmaxOver(x.data, x.shape, axes, out)
          return { shape: [...x.shape], data: out }
        }
      }))
    )
  }
}
