/**
 * The activation operations: `keras.src.ops.nn` (`ops.relu`, `ops.sigmoid`, `ops.hard_sigmoid`,
 * `ops.hard_silu` / `ops.hard_swish`, `ops.silu` / `ops.swish`, `ops.gelu`, `ops.softmax`, …) and the
 * two operation classes of `keras.src.activations.activations` that `keras.activations.relu(x)` and
 * `keras.activations.mish(x)` write on a symbolic tensor (`ReLU`, `Mish`). Formulas are TensorFlow's
 * (Keras's TensorFlow backend), including the order of the float32 steps of composite ones.
 */
import * as E from 'fp-ts/lib/Either.js'
import { optional, required } from '../core/KerasObject.js'
import { Bool, nullOr } from '../core/primitives.js'
import { SELU_ALPHA, SELU_SCALE } from '../numerics/activations.js'
import { AxisOrAxes, batchAxisError, canonicalAxes, Num } from './args.js'
import { batchOf, firstTensor, inferElementwise, lazy, output, unaryKind, unaryKindWith, X, type Result } from './common.js'
import { gelu, hardSigmoid, hardSilu, reductionPlan, sigmoid, softmax, softplus, type Round } from './kernels.js'
import type { OpKind } from './OpKind.js'
import { sizeOf } from './broadcast.js'

const NN = 'keras.src.ops.nn'
const ACTIVATIONS = 'keras.src.activations.activations'

const fixed =
  (f: (x: number) => number) =>
  (): ((x: number) => number) =>
    f

// -------------------------------------------------------------------------------------
// scalar functions
// -------------------------------------------------------------------------------------

const relu = (x: number): number => (x < 0 ? 0 : x)
const relu6 = (x: number): number => (x < 0 ? 0 : x > 6 ? 6 : x)
const selu = (x: number): number => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x))
const softsign = (x: number): number => x / (1 + Math.abs(x))
const silu = (x: number): number => x * sigmoid(x)
const elu =
  (alpha: number): ((x: number) => number) =>
  (x) =>
    x > 0 ? x : alpha * Math.expm1(x)

/**
 * Keras's `keras.activations.relu(x, negative_slope, max_value, threshold)` (the `ReLU` operation's
 * `static_call`), step by step: a leaky ReLU when only `negative_slope` is set; otherwise
 * `y = threshold ≠ 0 ? (x > threshold ? x : 0) : max(x, 0)`, clipped to `[0, max_value]`, minus
 * `negative_slope · max(threshold − x, 0)`.
 */
const reluWith =
  (a: ReLUArgs, round: Round): ((x: number) => number) =>
  (x) => {
    const slope = round(a.negative_slope)
    const threshold = round(a.threshold)
    if (a.negative_slope !== 0 && a.max_value === null && a.threshold === 0) return x >= 0 ? x : round(slope * x)
    // Keras's where(x > threshold, x, 0): NaN gives 0 there, as in TensorFlow.
    let y = a.threshold !== 0 ? (x > threshold ? x : 0) : relu(x)
    if (a.max_value !== null) {
      const hi = round(a.max_value)
      y = y > hi ? hi : y < 0 ? 0 : y
    }
    if (a.negative_slope !== 0) {
      const neg = round(a.threshold !== 0 ? relu(round(-x + threshold)) : relu(-x))
      y = round(y - round(slope * neg))
    }
    return y
  }

// -------------------------------------------------------------------------------------
// kinds
// -------------------------------------------------------------------------------------

/** `ReLU`'s constructor arguments. */
export interface ReLUArgs {
  readonly negative_slope: number
  readonly max_value: number | null
  readonly threshold: number
}

/**
 * The activation operations of one tensor.
 * @category kinds
 */
export const ACTIVATION_KINDS: ReadonlyArray<OpKind> = [
  unaryKind(NN, 'Relu', fixed(relu)),
  unaryKind(NN, 'Relu6', fixed(relu6)),
  unaryKind(NN, 'Sigmoid', fixed(sigmoid)),
  unaryKind(NN, 'HardSigmoid', hardSigmoid),
  unaryKind(NN, 'HardSilu', hardSilu),
  unaryKind(NN, 'Silu', fixed(silu)),
  unaryKind(NN, 'Selu', fixed(selu)),
  unaryKind(NN, 'Softplus', fixed(softplus)),
  unaryKind(NN, 'Softsign', fixed(softsign)),
  unaryKind(NN, 'LogSigmoid', fixed((x) => -softplus(-x))),
  unaryKind(NN, 'HardTanh', fixed((x) => (x < -1 ? -1 : x > 1 ? 1 : x))),
  unaryKindWith<{ readonly approximate: boolean }>(NN, 'Gelu', { approximate: optional(Bool, true) }, (a) => gelu(a.approximate)),
  unaryKindWith<{ readonly alpha: number }>(NN, 'Elu', { alpha: optional(Num, 1) }, (a, round) => {
    const alpha = round(a.alpha)
    return a.alpha === 1 ? elu(1) : (x) => (x > 0 ? x : round(alpha * round(Math.expm1(x))))
  }),
  unaryKindWith<{ readonly alpha: number }>(NN, 'Celu', { alpha: optional(Num, 1) }, (a) => (x) => Math.max(x, 0) + a.alpha * Math.expm1(Math.min(x, 0) / a.alpha)),
  unaryKindWith<{ readonly negative_slope: number }>(NN, 'LeakyRelu', { negative_slope: optional(Num, 0.2) }, (a, round) => {
    const slope = round(a.negative_slope)
    return (x) => (x >= 0 ? x : round(slope * x))
  }),
  unaryKindWith<ReLUArgs>(
    ACTIVATIONS,
    'ReLU',
    { negative_slope: optional(Num, 0), max_value: optional(nullOr(Num), null), threshold: optional(Num, 0) },
    reluWith
  ),
  unaryKind(NN, 'SparsePlus', fixed((x) => (x <= -1 ? 0 : x < 1 ? 0.25 * (x + 1) * (x + 1) : x))),
  unaryKind(NN, 'SparseSigmoid', fixed((x) => (x <= -1 ? 0 : x >= 1 ? 1 : 0.5 * (x + 1)))),
  unaryKind(NN, 'TanhShrink', fixed((x) => x - Math.tanh(x))),
  unaryKindWith<{ readonly b: number }>(NN, 'Squareplus', { b: optional(Num, 4) }, (a, round) => {
    const b = round(a.b)
    return (x) => round(round(x + round(Math.sqrt(round(round(x * x) + b)))) / 2)
  }),
  unaryKindWith<{ readonly threshold: number }>(NN, 'SoftShrink', { threshold: optional(Num, 0.5) }, (a, round) => {
    const t = round(a.threshold)
    return (x) => (x > t ? x - t : x < -t ? x + t : x !== x ? x : 0)
  }),
  unaryKindWith<{ readonly threshold: number }>(NN, 'HardShrink', { threshold: optional(Num, 0.5) }, (a, round) => {
    const t = round(a.threshold)
    return (x) => (Math.abs(x) > t ? x : x !== x ? x : 0)
  }),
  unaryKindWith<{ readonly threshold: number; readonly default_value: number }>(
    NN,
    'Threshold',
    { threshold: required(Num), default_value: required(Num) },
    (a, round) => {
      const t = round(a.threshold)
      const v = round(a.default_value)
      // tf.where(x > threshold, x, default_value): NaN takes the default.
      return (x) => (x > t ? x : v)
    }
  ),
  unaryKind(ACTIVATIONS, 'Mish', fixed((x) => x * Math.tanh(softplus(x))))
]

/** `Softmax` / `LogSoftmax` arguments. */
export interface SoftmaxArgs {
  readonly axis: number | ReadonlyArray<number>
}

const softmaxKind = (className: 'Softmax' | 'LogSoftmax', log: boolean): OpKind<SoftmaxArgs> => {
  const axesOf = (args: SoftmaxArgs, rank: number): Result<ReadonlyArray<number>> => {
    const a = canonicalAxes(args.axis, rank, 'config.axis', `${className} axis`)
    if (E.isLeft(a)) return E.left([a.left])
    if (a.right.includes(0)) return E.left([batchAxisError('config.axis', `${className} axis`, args.axis, 'a softmax over it would mix the samples of a batch')])
    return E.right(a.right)
  }
  return {
    module: NN,
    className,
    params: X,
    fields: { axis: optional(AxisOrAxes, -1) },
    infer: (args, operands) => {
      const r = inferElementwise(className, operands)
      if (E.isLeft(r)) return r
      const axes = axesOf(args, r.right.length)
      return E.isLeft(axes) ? axes : r
    },
    compile: (args, operands, { dtype }) => {
      const x = firstTensor(operands)
      const axes = axesOf(args, x.shape.length + 1)
      if (E.isLeft(axes)) return axes
      const shape = x.shape
      const perSample = axes.right.map((a) => a - 1)
      const plan = lazy(() => reductionPlan(shape, perSample))
      const size = sizeOf(shape)
      return E.right({
        outputShape: shape,
        run: (xs) => {
          const batch = batchOf(xs)
          const out = output(dtype, batch, shape)
          if (size > 0) softmax((xs[x.index] as { readonly data: ArrayLike<number> }).data, size, batch, plan(), log, out.data)
          return out
        }
      })
    }
  }
}

/**
 * `ops.softmax(x, axis)` and `ops.log_softmax(x, axis)`: config `{name, axis}` (an axis or a list of
 * axes, default -1; never the batch axis).
 * @category kinds
 */
export const SOFTMAX_KINDS: ReadonlyArray<OpKind> = [softmaxKind('Softmax', false), softmaxKind('LogSoftmax', true)]
