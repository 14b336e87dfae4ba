/**
 * Compiled Keras losses: the value and the gradient with respect to `y_pred` of a {@link LossSpec} on
 * a batch, with Keras 3's semantics (reference §3, §9), computed in float64 whatever the dtype.
 *
 * A loss is computed in two stages, as Keras does: a per-element loss L (the class axis, or the last
 * axis for regressions, already reduced: one value per row), then a reduction of L with the sample
 * weights. Every prediction element belongs to exactly one row, so the gradient is the row's local
 * derivative times the row's coefficient in the reduction.
 *
 * Shapes (`outputShape`, `labelShape`) are **per sample**: without the batch axis. `[10]` is a
 * `(batch, 10)` output; `[]` a `(batch,)` label.
 *
 * Numerics, with ε = 1e-7 (Keras's fuzz factor, as a float32 for float32 predictions, so that the caps
 * are Keras's float32 ones: 16.118095 and 15.942385):
 * - probabilities are clipped to [ε, 1 − ε]; where a value lies outside, its gradient is 0 (Keras 3 on
 *   JAX, TensorFlow.js; the TensorFlow backend's `clip_by_value` agrees);
 * - CategoricalCrossentropy from probabilities divides p by its sum over the axis first, and the
 *   gradient flows through that division; SparseCategoricalCrossentropy is CategoricalCrossentropy of
 *   the one-hot labels (Keras 3 on JAX / torch: normalize, then clip; Keras's TensorFlow backend clips
 *   first, which differs only where a probability is clipped);
 * - from logits: log-softmax and the stable sigmoid form, never clipped. The gradient is the true one,
 *   softmax·Σy − y (TensorFlow's kernel returns softmax − y, which differs only when Σy ≠ 1);
 * - at a tie of `maximum` / `minimum` / a clip bound the gradient follows TensorFlow's rule (it flows
 *   to the first argument: hinge margin 0, p = ε).
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import { allocate, dtypeOf, type FloatArray, type FloatDType } from '../../numerics/FloatArray.js'
import type { LossClass, LossSpec, Reduction, ResolvedLossSpec } from './LossSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A loss value and its gradient: `grad[i] = ∂value/∂yPred[i]`, the same length and layout as `yPred`
 * and its dtype; the reduction and the sample weights are included.
 * @category model
 */
export interface LossValue {
  readonly value: number
  readonly grad: FloatArray
}

/**
 * A loss compiled for one output shape and one label shape.
 * @category model
 */
export interface CompiledLoss {
  /** The spec, with `'crossentropy'` resolved to its class. */
  readonly spec: ResolvedLossSpec
  /**
   * The loss and its gradient. `yTrue`: labels, `[batch, ...labelShape]` (class indices as floats for
   * sparse crossentropy); `yPred`: `[batch, ...outputShape]`; `sampleWeight`: one weight per sample
   * (length `batch`), applied to every loss element of the sample. Throws a `RangeError` when a length
   * does not match `batch` or a sparse label is not a class index.
   */
  readonly valueAndGrad: (yTrue: FloatArray, yPred: FloatArray, batch: number, sampleWeight?: FloatArray) => LossValue
  /** The loss alone (same arguments as `valueAndGrad`). */
  readonly value: (yTrue: FloatArray, yPred: FloatArray, batch: number, sampleWeight?: FloatArray) => number
}

/**
 * Where a compiled loss reduces, per sample: the prediction of a sample is `outer × len × inner`
 * row-major, the loss reduces the `len` axis, and L has `outer × inner` elements (rows) per sample.
 * Shared with the metrics, which average the same per-element losses.
 * @category model
 */
export interface LossPlan {
  readonly spec: ResolvedLossSpec
  readonly outer: number
  readonly len: number
  readonly inner: number
  /** Values per sample in `yPred` and in `yTrue`. */
  readonly predSize: number
  readonly labelSize: number
  /** The per-sample shape of L. */
  readonly lossShape: ReadonlyArray<number>
}

/**
 * The per-element losses of a batch (`values`, one per row, `batch × outer × inner`), the rows that
 * count (`mask`, only for an `ignore_class`: 0 where the label is ignored), and, when asked, each
 * prediction's derivative of its own row's loss (`deriv`, the layout of `yPred`).
 * @category model
 */
export interface LossElements {
  readonly values: Float64Array
  readonly mask: Uint8Array | undefined
  readonly deriv: Float64Array | undefined
}

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

/**
 * A per-sample shape as Keras prints the batch shape: `(batch, 10)`, `(batch,)`.
 * @category shapes
 */
export const showShape = (s: ReadonlyArray<number>): string => `(${['batch', ...s.map(String)].join(', ')}${s.length === 0 ? ',' : ''})`
const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((d, i) => d === b[i])
const product = (s: ReadonlyArray<number>): number => s.reduce((a, b) => a * b, 1)
const last = (s: ReadonlyArray<number>): number | undefined => s[s.length - 1]

/** Problems with a per-sample shape given by the caller (every dimension a positive integer). */
const dimProblems = (shape: ReadonlyArray<number>, what: string, path: string): SpecError[] =>
  shape.every((d) => Number.isSafeInteger(d) && d > 0)
    ? []
    : [specError(path, `expected the ${what} shape per sample to be a list of positive integers, found [${shape.join(', ')}]`)]

/**
 * Keras's choice for `"crossentropy"` / `"accuracy"` from shapes (reference §5.1, Keras 3
 * `is_binary_or_sparse_categorical`): last output dimension 1 → binary; else labels of lower rank, or a
 * last label dimension of 1 against more than one output → sparse; else categorical.
 * @category shapes
 */
export const binaryOrSparse = (outputShape: ReadonlyArray<number>, labelShape: ReadonlyArray<number>): 'binary' | 'sparse' | 'categorical' => {
  const outLast = last(outputShape)
  const labelLast = last(labelShape)
  if (outLast === 1) return 'binary'
  if (labelShape.length < outputShape.length || (labelLast === 1 && outLast !== undefined && outLast > 1)) return 'sparse'
  return 'categorical'
}

const resolveCrossentropy = (spec: LossSpec, outputShape: ReadonlyArray<number>, labelShape: ReadonlyArray<number>): ResolvedLossSpec => {
  const kind = binaryOrSparse(outputShape, labelShape)
  const className: LossClass = kind === 'binary' ? 'BinaryCrossentropy' : kind === 'sparse' ? 'SparseCategoricalCrossentropy' : 'CategoricalCrossentropy'
  return Object.freeze({ ...spec, className })
}

/** Classes whose `axis` argument chooses the reduced axis (the others reduce the last one). */
const AXIS_CLASSES: ReadonlyArray<LossClass> = ['CategoricalCrossentropy', 'BinaryCrossentropy', 'CosineSimilarity']

/**
 * The per-sample shape a label-vs-output loss computes on, by Keras's `squeeze_or_expand_to_same_rank`
 * (applied before every loss function): a trailing axis of size 1 on one side only is squeezed (or, when
 * the other side is `(batch,)`, added to it). `undefined` when the shapes do not match that way.
 * @category shapes
 */
export const effectiveShape = (out: ReadonlyArray<number>, label: ReadonlyArray<number>): ReadonlyArray<number> | undefined => {
  if (sameShape(out, label)) return out
  if (label.length === out.length + 1 && last(label) === 1 && sameShape(label.slice(0, -1), out)) return out.length === 0 ? [1] : out
  if (out.length === label.length + 1 && last(out) === 1 && sameShape(out.slice(0, -1), label)) return label.length === 0 ? [1] : label
  return undefined
}

/** The axis of a tensor of `rank` (batch axis counted) that `axis` names, or `undefined` when out of range. */
const resolveAxis = (axis: number, rank: number): number | undefined => {
  const a = axis < 0 ? axis + rank : axis
  return a >= 0 && a < rank ? a : undefined
}

const planSparse = (spec: ResolvedLossSpec, out: ReadonlyArray<number>, label: ReadonlyArray<number>, path: string): E.Either<ReadonlyArray<SpecError>, LossPlan> => {
  const cls = spec.className
  const C = last(out)
  if (C === undefined) {
    return E.left([specError(path, `${cls} needs outputs with a class axis, found outputs of shape ${showShape(out)}; give the model outputs of shape (batch, classes)`)])
  }
  const errors: SpecError[] = []
  const rank = out.length + 1
  const axis = resolveAxis(spec.axis, rank)
  if (axis !== rank - 1) {
    errors.push(
      specError(
        path,
        `${cls} takes the class axis to be the last axis of the outputs (Keras 3.15's TensorFlow backend ignores any other axis): expected axis -1 or ${rank - 1} for outputs of shape ${showShape(out)}, found axis ${spec.axis}`
      )
    )
  }
  const positions = out.slice(0, -1)
  const ok = sameShape(label, positions) || (sameShape(label.slice(0, -1), positions) && label.length === out.length && last(label) === 1)
  if (!ok) {
    const hint = sameShape(label, out) && C > 1 ? `; one-hot labels of the outputs' shape need CategoricalCrossentropy` : ''
    errors.push(
      specError(
        path,
        `${cls} expects one class index per output position: labels of shape ${showShape(positions)} or ${showShape([...positions, 1])} for outputs of shape ${showShape(out)}, found labels of shape ${showShape(label)}${hint}`
      )
    )
  }
  if (errors.length > 0) return E.left(errors)
  return E.right({ spec, outer: product(positions), len: C, inner: 1, predSize: product(out), labelSize: product(label), lossShape: positions })
}

const planElementwise = (spec: ResolvedLossSpec, out: ReadonlyArray<number>, label: ReadonlyArray<number>, path: string): E.Either<ReadonlyArray<SpecError>, LossPlan> => {
  const cls = spec.className
  const eff = effectiveShape(out, label)
  if (eff === undefined) {
    const positions = out.slice(0, -1)
    const hint =
      cls === 'CategoricalCrossentropy' && (sameShape(label, positions) || (label.length === out.length && last(label) === 1 && sameShape(label.slice(0, -1), positions)))
        ? '; integer class labels need SparseCategoricalCrossentropy'
        : ''
    return E.left([
      specError(
        path,
        `${cls} compares labels and outputs element by element: expected labels of shape ${showShape(out)} (a trailing axis of size 1 may be added or left out), found labels of shape ${showShape(label)}${hint}`
      )
    ])
  }
  if (eff.length === 0) {
    return E.left([
      specError(
        path,
        `${cls} reduces an axis of each sample's outputs, and outputs of shape ${showShape(out)} have none (Keras would reduce the batch axis instead); give the model outputs of shape (batch, 1)`
      )
    ])
  }
  const rank = eff.length + 1
  const axis = AXIS_CLASSES.includes(cls) ? resolveAxis(spec.axis, rank) : rank - 1
  if (axis === undefined) {
    return E.left([specError(path, `axis ${spec.axis} of ${cls} is out of range for outputs of shape ${showShape(eff)}: expected an axis in [${-rank}, ${rank - 1}] other than the batch axis`)])
  }
  if (axis === 0) {
    return E.left([specError(path, `axis ${spec.axis} of ${cls} is the batch axis of outputs of shape ${showShape(eff)}: a loss reduces an axis of each sample; expected an axis in [${1 - rank}, -1] or [1, ${rank - 1}]`)])
  }
  const a = axis - 1
  return E.right({
    spec,
    outer: product(eff.slice(0, a)),
    len: eff[a] as number,
    inner: product(eff.slice(a + 1)),
    predSize: product(out),
    labelSize: product(label),
    lossShape: [...eff.slice(0, a), ...eff.slice(a + 1)]
  })
}

/**
 * Resolves `'crossentropy'` (§5.1) and checks the label shape against the output shape (both per
 * sample) by Keras's rules: sparse labels `(batch, ...positions)` or `(batch, ...positions, 1)` against
 * `(batch, ...positions, classes)`; otherwise the same shape, up to a trailing axis of size 1 on one side;
 * an `axis` inside each sample. Errors at `path`. The reduction is not checked here.
 * @category shapes
 */
export const planLoss = (
  spec: LossSpec,
  outputShape: ReadonlyArray<number>,
  labelShape: ReadonlyArray<number>,
  path: string
): E.Either<ReadonlyArray<SpecError>, LossPlan> => {
  const problems = [...dimProblems(outputShape, 'output', path), ...dimProblems(labelShape, 'label', path)]
  if (problems.length > 0) return E.left(problems)
  const resolved: ResolvedLossSpec = spec.className === 'crossentropy' ? resolveCrossentropy(spec, outputShape, labelShape) : (spec as ResolvedLossSpec)
  return resolved.className === 'SparseCategoricalCrossentropy'
    ? planSparse(resolved, outputShape, labelShape, path)
    : planElementwise(resolved, outputShape, labelShape, path)
}

// -------------------------------------------------------------------------------------
// per-element losses
// -------------------------------------------------------------------------------------

/** Keras's ε and clip bounds in a dtype: what `1e-7` and `1 − 1e-7` become in Keras's computation. */
interface Bounds {
  readonly eps: number
  readonly hi: number
  /** `1 / ε`, the cap of `normalize`'s inverse norm. */
  readonly invEps: number
}

const BOUNDS: Readonly<Record<FloatDType, Bounds>> = {
  float32: { eps: Math.fround(1e-7), hi: Math.fround(1 - 1e-7), invEps: Math.fround(1 / 1e-7) },
  float64: { eps: 1e-7, hi: 1 - 1e-7, invEps: 1 / 1e-7 }
}

/**
 * The loss of one row whose predictions sit at `base + k·stride` (k < len); when `d` is given, writes
 * each prediction's derivative of the row's loss at the same index.
 */
type RowLoss = (row: number, base: number, stride: number, d: Float64Array | undefined) => number

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)))
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)))

/** True when every label is 0 or 1 (Keras then maps hinge labels to −1 / 1, for the whole batch). */
const binaryLabels = (y: FloatArray): boolean => {
  for (let i = 0; i < y.length; i++) if (y[i] !== 0 && y[i] !== 1) return false
  return true
}

/** The class index of a sparse label (Keras casts it to an integer, truncating). */
const classIndex = (y: FloatArray, row: number, classes: number): number => {
  const v = y[row] as number
  const t = Math.trunc(v)
  if (!(t >= 0 && t < classes)) {
    throw new RangeError(`sparse label ${String(v)} at position ${row} of yTrue: expected a class index in [0, ${classes - 1}] (the outputs have ${classes} classes)`)
  }
  return t
}

/** `log Σ exp(z)` over a row, and its maximum (for the softmax). */
const logSumExp = (p: FloatArray, base: number, stride: number, len: number): { readonly max: number; readonly sum: number } => {
  let max = -Infinity
  for (let k = 0; k < len; k++) max = Math.max(max, p[base + k * stride] as number)
  let sum = 0
  for (let k = 0; k < len; k++) sum += Math.exp((p[base + k * stride] as number) - max)
  return { max, sum }
}

/** The row loss of a plan on these arrays. */
const rowLoss = (plan: LossPlan, y: FloatArray, p: FloatArray, b: Bounds): RowLoss => {
  const spec = plan.spec
  const len = plan.len
  const { eps, hi, invEps } = b
  const clip = (q: number): number => (q < eps ? eps : q > hi ? hi : q)
  const inRange = (q: number): boolean => q >= eps && q <= hi
  /** A mean over the row of `f(i, d)`, which returns element i's loss and writes its derivative into d. */
  const mean =
    (f: (i: number, d: Float64Array | undefined) => number): RowLoss =>
    (_row, base, stride, d) => {
      let acc = 0
      for (let k = 0; k < len; k++) acc += f(base + k * stride, d)
      if (d !== undefined) {
        for (let k = 0; k < len; k++) {
          const i = base + k * stride
          d[i] = (d[i] as number) / len
        }
      }
      return acc / len
    }
  const yi = (i: number): number => y[i] as number
  const pi = (i: number): number => p[i] as number
  switch (spec.className) {
    case 'MeanSquaredError':
      return mean((i, d) => {
        const e = pi(i) - yi(i)
        if (d !== undefined) d[i] = 2 * e
        return e * e
      })
    case 'MeanAbsoluteError':
      return mean((i, d) => {
        const e = pi(i) - yi(i)
        if (d !== undefined) d[i] = Math.sign(e)
        return Math.abs(e)
      })
    case 'MeanAbsolutePercentageError':
      return mean((i, d) => {
        const e = pi(i) - yi(i)
        const den = Math.max(Math.abs(yi(i)), eps)
        if (d !== undefined) d[i] = (100 * Math.sign(e)) / den
        return (100 * Math.abs(e)) / den
      })
    case 'MeanSquaredLogarithmicError':
      return mean((i, d) => {
        const a = Math.max(pi(i), eps)
        const diff = Math.log1p(a) - Math.log1p(Math.max(yi(i), eps))
        if (d !== undefined) d[i] = pi(i) >= eps ? (2 * diff) / (1 + a) : 0
        return diff * diff
      })
    case 'Huber': {
      const delta = spec.delta
      return mean((i, d) => {
        const e = pi(i) - yi(i)
        const ae = Math.abs(e)
        if (ae <= delta) {
          if (d !== undefined) d[i] = e
          return 0.5 * e * e
        }
        if (d !== undefined) d[i] = delta * Math.sign(e)
        return delta * ae - 0.5 * delta * delta
      })
    }
    case 'LogCosh':
      return mean((i, d) => {
        const x = pi(i) - yi(i)
        if (d !== undefined) d[i] = Math.tanh(x)
        return x + softplus(-2 * x) - Math.LN2
      })
    case 'Poisson':
      return mean((i, d) => {
        if (d !== undefined) d[i] = 1 - yi(i) / (pi(i) + eps)
        return pi(i) - yi(i) * Math.log(pi(i) + eps)
      })
    case 'Hinge':
    case 'SquaredHinge': {
      const convert = binaryLabels(y)
      const squared = spec.className === 'SquaredHinge'
      return mean((i, d) => {
        const t = convert ? 2 * yi(i) - 1 : yi(i)
        const m = 1 - t * pi(i)
        if (squared) {
          const mm = Math.max(m, 0)
          if (d !== undefined) d[i] = -2 * mm * t
          return mm * mm
        }
        if (d !== undefined) d[i] = m >= 0 ? -t : 0
        return Math.max(m, 0)
      })
    }
    case 'KLDivergence':
      // A sum over the row, not a mean.
      return (_row, base, stride, d) => {
        let acc = 0
        for (let k = 0; k < len; k++) {
          const i = base + k * stride
          const t = Math.min(Math.max(yi(i), eps), 1)
          const q = Math.min(Math.max(pi(i), eps), 1)
          acc += t * Math.log(t / q)
          if (d !== undefined) d[i] = pi(i) >= eps && pi(i) <= 1 ? -t / q : 0
        }
        return acc
      }
    case 'CategoricalHinge':
      return (_row, base, stride, d) => {
        let pos = 0
        let neg = -Infinity
        for (let k = 0; k < len; k++) {
          const i = base + k * stride
          pos += yi(i) * pi(i)
          neg = Math.max(neg, (1 - yi(i)) * pi(i))
        }
        const v = neg - pos + 1
        if (d !== undefined) {
          // TensorFlow's reduce_max shares the gradient among tied maxima.
          let ties = 0
          for (let k = 0; k < len; k++) if ((1 - yi(base + k * stride)) * pi(base + k * stride) === neg) ties++
          for (let k = 0; k < len; k++) {
            const i = base + k * stride
            const atMax = (1 - yi(i)) * pi(i) === neg
            d[i] = v >= 0 ? -yi(i) + (atMax ? (1 - yi(i)) / ties : 0) : 0
          }
        }
        return Math.max(v, 0)
      }
    case 'CosineSimilarity':
      return (_row, base, stride, d) => {
        let sy = 0
        let sp = 0
        let dot = 0
        for (let k = 0; k < len; k++) {
          const i = base + k * stride
          sy += yi(i) * yi(i)
          sp += pi(i) * pi(i)
          dot += yi(i) * pi(i)
        }
        // Keras's normalize: x · min(1/‖x‖, 1/ε).
        const ry = Math.min(1 / Math.sqrt(sy), invEps)
        const rpRaw = 1 / Math.sqrt(sp)
        const rp = Math.min(rpRaw, invEps)
        if (d !== undefined) {
          const through = rpRaw <= invEps
          for (let k = 0; k < len; k++) {
            const i = base + k * stride
            d[i] = through ? -ry * (rp * yi(i) - dot * rp * rp * rp * pi(i)) : -ry * rp * yi(i)
          }
        }
        return -ry * rp * dot
      }
    case 'BinaryCrossentropy': {
      const ls = spec.labelSmoothing
      const smooth = (v: number): number => (ls === 0 ? v : v * (1 - ls) + 0.5 * ls)
      if (spec.fromLogits) {
        return mean((i, d) => {
          const z = pi(i)
          const t = smooth(yi(i))
          if (d !== undefined) d[i] = sigmoid(z) - t
          return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)))
        })
      }
      return mean((i, d) => {
        const t = smooth(yi(i))
        const q = clip(pi(i))
        if (d !== undefined) d[i] = inRange(pi(i)) ? -t / q + (1 - t) / (1 - q) : 0
        return -(t * Math.log(q) + (1 - t) * Math.log(1 - q))
      })
    }
    case 'CategoricalCrossentropy': {
      const ls = spec.labelSmoothing
      // Keras ≤ 3.15.1 divides by the size of the last axis, 3.16 by that of `axis`: equal for axis −1.
      const smooth = (v: number): number => (ls === 0 ? v : v * (1 - ls) + ls / len)
      if (spec.fromLogits) {
        return (_row, base, stride, d) => {
          const { max, sum } = logSumExp(p, base, stride, len)
          const lse = max + Math.log(sum)
          let total = 0
          let acc = 0
          for (let k = 0; k < len; k++) {
            const i = base + k * stride
            const t = smooth(yi(i))
            total += t
            acc += t * (lse - pi(i))
          }
          if (d !== undefined) {
            for (let k = 0; k < len; k++) {
              const i = base + k * stride
              d[i] = (Math.exp(pi(i) - max) / sum) * total - smooth(yi(i))
            }
          }
          return acc
        }
      }
      return (_row, base, stride, d) => {
        let s = 0
        for (let k = 0; k < len; k++) s += pi(base + k * stride)
        let acc = 0
        let a = 0
        for (let k = 0; k < len; k++) {
          const i = base + k * stride
          const t = smooth(yi(i))
          const q = pi(i) / s
          acc -= t * Math.log(clip(q))
          if (d !== undefined) {
            // ∂L/∂q, then through q = p / Σp: ∂L/∂p_j = (∂L/∂q_j − Σ_k ∂L/∂q_k · q_k) / Σp.
            const g = inRange(q) ? -t / q : 0
            d[i] = g
            a += g * q
          }
        }
        if (d !== undefined) for (let k = 0; k < len; k++) d[base + k * stride] = ((d[base + k * stride] as number) - a) / s
        return acc
      }
    }
    case 'SparseCategoricalCrossentropy':
      if (spec.fromLogits) {
        return (row, base, stride, d) => {
          const c = classIndex(y, row, len)
          const { max, sum } = logSumExp(p, base, stride, len)
          if (d !== undefined) for (let k = 0; k < len; k++) d[base + k * stride] = Math.exp(pi(base + k * stride) - max) / sum - (k === c ? 1 : 0)
          return max + Math.log(sum) - pi(base + c * stride)
        }
      }
      return (row, base, stride, d) => {
        const c = classIndex(y, row, len)
        let s = 0
        for (let k = 0; k < len; k++) s += pi(base + k * stride)
        const q = pi(base + c * stride) / s
        if (d !== undefined) {
          const through = inRange(q)
          for (let k = 0; k < len; k++) d[base + k * stride] = through ? ((k === c ? -1 / q : 0) + 1) / s : 0
        }
        return -Math.log(clip(q))
      }
  }
}

const checkLengths = (plan: LossPlan, yTrue: FloatArray, yPred: FloatArray, batch: number, sampleWeight: FloatArray | undefined): void => {
  if (!Number.isSafeInteger(batch) || batch < 0) throw new RangeError(`expected the batch size to be a non-negative integer, found ${String(batch)}`)
  if (yPred.length !== batch * plan.predSize) {
    throw new RangeError(`yPred has ${yPred.length} values; expected batch × ${plan.predSize} = ${batch * plan.predSize} (batch ${batch})`)
  }
  if (yTrue.length !== batch * plan.labelSize) {
    throw new RangeError(`yTrue has ${yTrue.length} values; expected batch × ${plan.labelSize} = ${batch * plan.labelSize} (batch ${batch})`)
  }
  if (sampleWeight !== undefined && sampleWeight.length !== batch) {
    throw new RangeError(`sampleWeight has ${sampleWeight.length} values; expected one per sample (batch ${batch})`)
  }
}

/** Calls `f(row, base, stride)` for every row of a batch, in row order. */
const forEachRow = (plan: LossPlan, batch: number, f: (row: number, base: number, stride: number) => void): void => {
  const rows = batch * plan.outer * plan.inner
  const { len, inner } = plan
  for (let r = 0; r < rows; r++) {
    const o = Math.floor(r / inner)
    f(r, o * len * inner + (r - o * inner), inner)
  }
}

/**
 * The per-element losses of a batch (and, with `withDeriv`, each prediction's derivative of its row's
 * loss). Rows whose sparse label is the `ignoreClass` get loss 0, derivative 0 and mask 0. Reads its
 * arguments only. Throws a `RangeError` on a length mismatch or a sparse label outside the classes.
 * @category per-element losses
 */
export const lossElements = (plan: LossPlan, yTrue: FloatArray, yPred: FloatArray, batch: number, withDeriv: boolean): LossElements => {
  checkLengths(plan, yTrue, yPred, batch, undefined)
  const row = rowLoss(plan, yTrue, yPred, BOUNDS[dtypeOf(yPred)])
  const values = new Float64Array(batch * plan.outer * plan.inner)
  const deriv = withDeriv ? new Float64Array(yPred.length) : undefined
  const ignore = plan.spec.className === 'SparseCategoricalCrossentropy' ? plan.spec.ignoreClass : null
  const mask = ignore === null ? undefined : new Uint8Array(values.length)
  forEachRow(plan, batch, (r, base, stride) => {
    if (mask !== undefined) {
      if (yTrue[r] === ignore) return
      mask[r] = 1
    }
    values[r] = row(r, base, stride, deriv)
  })
  return { values, mask, deriv }
}

// -------------------------------------------------------------------------------------
// reduction
// -------------------------------------------------------------------------------------

/**
 * Each row's coefficient in the reduced loss (Keras 3 `reduce_weighted_values` with `apply_mask`): the
 * sample's weight (1 without weights) times the row's mask, over the divisor: `sum` 1;
 * `sum_over_batch_size` the number of rows (the number of unmasked rows with an `ignore_class`);
 * `mean_with_sample_weight` Σ of the weights broadcast over the rows (without weights: as
 * `sum_over_batch_size`). A zero divisor gives 0 (`divide_no_nan`).
 */
const coefficients = (reduction: Reduction, rows: number, batch: number, mask: Uint8Array | undefined, sampleWeight: FloatArray | undefined): Float64Array => {
  const perSample = batch === 0 ? 0 : rows / batch
  const c = new Float64Array(rows)
  for (let r = 0; r < rows; r++) c[r] = (sampleWeight === undefined ? 1 : (sampleWeight[Math.floor(r / perSample)] as number)) * (mask === undefined ? 1 : (mask[r] as number))
  let divisor = 1
  if (reduction !== 'sum') {
    if (reduction === 'mean_with_sample_weight' && sampleWeight !== undefined) {
      divisor = 0
      for (let r = 0; r < rows; r++) divisor += c[r] as number
    } else if (mask !== undefined) {
      divisor = 0
      for (let r = 0; r < rows; r++) divisor += mask[r] as number
    } else divisor = rows
  }
  for (let r = 0; r < rows; r++) c[r] = divisor === 0 ? 0 : (c[r] as number) / divisor
  return c
}

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

const NONE_REASON =
  'reduction "none" leaves one loss per sample element, and training needs one number to differentiate; use "sum_over_batch_size" (Keras\'s default), "sum" or "mean_with_sample_weight"'

/**
 * Checks label and output shapes per sample (Keras's rules: sparse labels `(batch,)` or `(batch, 1)`
 * against `(batch, classes)`, and per position for per-pixel outputs; `(batch,)` labels against
 * `(batch, 1)` outputs; the same shape otherwise) and returns the compiled loss, or errors naming the
 * expected and found shapes at `path`. `outputShape` and `labelShape` are per sample (no batch axis).
 * Reduction `"none"` is an error here: training needs a scalar.
 * @category compile
 * @example
 * compileLoss(spec, [10], [], 'loss') // sparse labels (batch,) against (batch, 10) outputs
 */
export const compileLoss = (
  spec: LossSpec,
  outputShape: ReadonlyArray<number>,
  labelShape: ReadonlyArray<number>,
  path: string
): E.Either<ReadonlyArray<SpecError>, CompiledLoss> => {
  const none = spec.reduction === 'none' ? [specError(path, NONE_REASON)] : []
  const planned = planLoss(spec, outputShape, labelShape, path)
  if (E.isLeft(planned)) return E.left([...none, ...planned.left])
  if (none.length > 0) return E.left(none)
  const plan = planned.right
  const value = (yTrue: FloatArray, yPred: FloatArray, batch: number, sampleWeight?: FloatArray): number => {
    checkLengths(plan, yTrue, yPred, batch, sampleWeight)
    const el = lossElements(plan, yTrue, yPred, batch, false)
    const c = coefficients(plan.spec.reduction, el.values.length, batch, el.mask, sampleWeight)
    let total = 0
    for (let r = 0; r < c.length; r++) if (c[r] !== 0) total += (c[r] as number) * (el.values[r] as number)
    return total
  }
  const valueAndGrad = (yTrue: FloatArray, yPred: FloatArray, batch: number, sampleWeight?: FloatArray): LossValue => {
    checkLengths(plan, yTrue, yPred, batch, sampleWeight)
    const el = lossElements(plan, yTrue, yPred, batch, true)
    const d = el.deriv as Float64Array
    const c = coefficients(plan.spec.reduction, el.values.length, batch, el.mask, sampleWeight)
    const grad = allocate(dtypeOf(yPred), yPred.length)
    let total = 0
    const len = plan.len
    forEachRow(plan, batch, (r, base, stride) => {
      const cr = c[r] as number
      if (cr === 0) return
      total += cr * (el.values[r] as number)
      for (let k = 0; k < len; k++) grad[base + k * stride] = cr * (d[base + k * stride] as number)
    })
    return { value: total, grad }
  }
  return E.right(Object.freeze({ spec: plan.spec, valueAndGrad, value }))
}
