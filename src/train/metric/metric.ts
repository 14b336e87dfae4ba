/**
 * Compiled Keras metrics: per batch, the sum of the per-sample values and the number of samples, so
 * that an epoch's value is Σ sum / Σ count, Keras's `Mean` over samples (reference §5.3: Keras 3's
 * `MeanMetricWrapper` first averages each sample's values over its non-batch axes).
 *
 * Shapes (`outputShape`, `labelShape`) are per sample, without the batch axis, as in `compileLoss`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import { lossSpec, type LossClass } from '../loss/LossSpec.js'
import { binaryOrSparse, effectiveShape, lossElements, planLoss, showShape, type LossPlan } from '../loss/loss.js'
import type { MetricClass, MetricSpec } from './MetricSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A batch's contribution to a metric: the sum of its per-sample values and the number of samples.
 * @category model
 */
export interface MetricUpdate {
  readonly sum: number
  readonly count: number
}

/**
 * A metric compiled for one output shape and one label shape.
 * @category model
 */
export interface CompiledMetric {
  /** The history key (not made unique: see `uniqueMetricNames`). */
  readonly name: string
  /** The resolved spec (`'accuracy'` / `'crossentropy'` replaced by the class the shapes select). */
  readonly spec: MetricSpec & { readonly className: MetricClass }
  /**
   * `yTrue`: `[batch, ...labelShape]`; `yPred`: `[batch, ...outputShape]`. Reads its arguments only;
   * throws a `RangeError` when a length does not match `batch`.
   */
  readonly update: (yTrue: FloatArray, yPred: FloatArray, batch: number) => MetricUpdate
}

type Resolved = MetricSpec & { readonly className: MetricClass }

// -------------------------------------------------------------------------------------
// per-sample values
// -------------------------------------------------------------------------------------

/** The index of the first largest value of a row (`argmax`, ties → the first). */
const argmax = (a: FloatArray, base: number, len: number): number => {
  let best = 0
  let bestValue = a[base] as number
  for (let k = 1; k < len; k++) {
    const v = a[base + k] as number
    if (v > bestValue) {
      best = k
      bestValue = v
    }
  }
  return best
}

/**
 * TensorFlow's `in_top_k`: the target is among the `k` largest when fewer than `k` values are strictly
 * greater (ties count in its favour); any non-finite value in the row, or a target out of range, gives false.
 */
const inTopK = (p: FloatArray, base: number, len: number, target: number, k: number): boolean => {
  if (!(target >= 0 && target < len)) return false
  const t = p[base + target] as number
  let greater = 0
  for (let j = 0; j < len; j++) {
    const v = p[base + j] as number
    if (!Number.isFinite(v)) return false
    if (v > t) greater++
  }
  return greater < k
}

const checkLengths = (yTrue: FloatArray, yPred: FloatArray, batch: number, labelSize: number, predSize: number): void => {
  if (!Number.isSafeInteger(batch) || batch < 0) throw new RangeError(`expected the batch size to be a non-negative integer, found ${String(batch)}`)
  if (yPred.length !== batch * predSize) throw new RangeError(`yPred has ${yPred.length} values; expected batch × ${predSize} = ${batch * predSize} (batch ${batch})`)
  if (yTrue.length !== batch * labelSize) throw new RangeError(`yTrue has ${yTrue.length} values; expected batch × ${labelSize} = ${batch * labelSize} (batch ${batch})`)
}

const product = (s: ReadonlyArray<number>): number => s.reduce((a, b) => a * b, 1)

/** An update from per-element 0/1 (or real) values, `perSample` of them per sample, all counted. */
const meanUpdate = (total: number, perSample: number, batch: number): MetricUpdate => ({ sum: perSample === 0 ? 0 : total / perSample, count: batch })

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

/** The loss whose per-element values a loss-like metric averages, and the sign it is read with. */
const LOSS_OF: Partial<Readonly<Record<MetricClass, LossClass>>> = {
  MeanSquaredError: 'MeanSquaredError',
  MeanAbsoluteError: 'MeanAbsoluteError',
  MeanAbsolutePercentageError: 'MeanAbsolutePercentageError',
  MeanSquaredLogarithmicError: 'MeanSquaredLogarithmicError',
  LogCoshError: 'LogCosh',
  CosineSimilarity: 'CosineSimilarity',
  KLDivergence: 'KLDivergence',
  Poisson: 'Poisson',
  Hinge: 'Hinge',
  SquaredHinge: 'SquaredHinge',
  CategoricalHinge: 'CategoricalHinge',
  BinaryCrossentropy: 'BinaryCrossentropy',
  CategoricalCrossentropy: 'CategoricalCrossentropy',
  SparseCategoricalCrossentropy: 'SparseCategoricalCrossentropy'
}

/** Resolves `'accuracy'` / `'crossentropy'` by Keras 3's shape rule (§5.1), keeping the user's name. */
const resolve = (spec: MetricSpec, outputShape: ReadonlyArray<number>, labelShape: ReadonlyArray<number>): Resolved => {
  if (spec.className !== 'accuracy' && spec.className !== 'crossentropy') return spec as Resolved
  const kind = binaryOrSparse(outputShape, labelShape)
  const className: MetricClass =
    spec.className === 'accuracy'
      ? kind === 'binary'
        ? 'BinaryAccuracy'
        : kind === 'sparse'
          ? 'SparseCategoricalAccuracy'
          : 'CategoricalAccuracy'
      : kind === 'binary'
        ? 'BinaryCrossentropy'
        : kind === 'sparse'
          ? 'SparseCategoricalCrossentropy'
          : 'CategoricalCrossentropy'
  return Object.freeze({ ...spec, className })
}

/**
 * A loss-like metric: the mean over each sample's loss elements. With a sparse crossentropy's
 * `ignore_class`, ignored positions count as loss 0 and still count in the mean: Keras 3's
 * `MeanMetricWrapper` reads only `y_pred`'s mask, not the one the loss function sets (observed with
 * Keras 3.15: 5 valid positions of 8 give 5/8 of the loss's masked mean), unlike the loss itself.
 */
const lossMetric = (spec: Resolved, lossClass: LossClass, outputShape: ReadonlyArray<number>, labelShape: ReadonlyArray<number>, path: string): E.Either<ReadonlyArray<SpecError>, CompiledMetric> => {
  const ls = lossSpec(lossClass, {
    name: spec.name,
    from_logits: spec.fromLogits,
    label_smoothing: spec.labelSmoothing,
    axis: spec.axis,
    ignore_class: spec.ignoreClass
  })
  const planned = planLoss(ls, outputShape, labelShape, path)
  if (E.isLeft(planned)) return E.left(planned.left)
  const plan: LossPlan = planned.right
  // Keras's cosine metric is the similarity; the loss is its negative.
  const sign = spec.className === 'CosineSimilarity' ? -1 : 1
  const perSample = plan.outer * plan.inner
  const update = (yTrue: FloatArray, yPred: FloatArray, batch: number): MetricUpdate => {
    checkLengths(yTrue, yPred, batch, plan.labelSize, plan.predSize)
    const el = lossElements(plan, yTrue, yPred, batch, false)
    let total = 0
    for (let r = 0; r < el.values.length; r++) total += el.values[r] as number
    return meanUpdate(sign * total, perSample, batch)
  }
  return E.right(Object.freeze({ name: spec.name, spec, update }))
}

/**
 * Resolves `'accuracy'` / `'acc'` / `'crossentropy'` by Keras 3's shape rule (§5.1: last output
 * dimension 1 → binary; else labels of lower rank, or a last label dimension of 1 → sparse; else
 * categorical), checks the label shape against the output shape (per sample, as `compileLoss`), and
 * compiles. Errors name the expected and found shapes at `path`.
 * @category compile
 */
export const compileMetric = (
  spec: MetricSpec,
  outputShape: ReadonlyArray<number>,
  labelShape: ReadonlyArray<number>,
  path: string
): E.Either<ReadonlyArray<SpecError>, CompiledMetric> => {
  const bad = [...outputShape, ...labelShape].some((d) => !(Number.isSafeInteger(d) && d > 0))
  if (bad) return E.left([specError(path, `expected per-sample shapes of positive integers, found outputs [${outputShape.join(', ')}] and labels [${labelShape.join(', ')}]`)])
  const r = resolve(spec, outputShape, labelShape)
  const cls = r.className
  const lossClass = LOSS_OF[cls]
  if (lossClass !== undefined) return lossMetric(r, lossClass, outputShape, labelShape, path)
  const done = (update: CompiledMetric['update']): E.Either<ReadonlyArray<SpecError>, CompiledMetric> => E.right(Object.freeze({ name: r.name, spec: r, update }))
  const predSize = product(outputShape)
  const labelSize = product(labelShape)
  const lastOut = outputShape[outputShape.length - 1]
  switch (cls) {
    case 'BinaryAccuracy':
    case 'Accuracy': {
      const eff = effectiveShape(outputShape, labelShape)
      if (eff === undefined) {
        return E.left([
          specError(path, `${cls} compares labels and outputs element by element: expected labels of shape ${showShape(outputShape)} (a trailing axis of size 1 may be added or left out), found labels of shape ${showShape(labelShape)}`)
        ])
      }
      const threshold = r.threshold
      const binary = cls === 'BinaryAccuracy'
      return done((yTrue, yPred, batch) => {
        checkLengths(yTrue, yPred, batch, labelSize, predSize)
        let hits = 0
        for (let i = 0; i < yPred.length; i++) {
          const p = yPred[i] as number
          if ((binary ? (p > threshold ? 1 : 0) : p) === yTrue[i]) hits++
        }
        return meanUpdate(hits, predSize, batch)
      })
    }
    case 'CategoricalAccuracy':
    case 'TopKCategoricalAccuracy': {
      if (lastOut === undefined || labelShape.length !== outputShape.length || labelShape.some((d, i) => d !== outputShape[i])) {
        const hint = lastOut !== undefined && lastOut > 1 && (labelShape.length < outputShape.length || labelShape[labelShape.length - 1] === 1) ? `; integer class labels need Sparse${cls}` : ''
        return E.left([specError(path, `${cls} compares the argmax of one-hot labels with the outputs: expected labels of shape ${showShape(outputShape)} (one value per class), found labels of shape ${showShape(labelShape)}${hint}`)])
      }
      const len = lastOut
      const k = r.k
      const topK = cls === 'TopKCategoricalAccuracy'
      return done((yTrue, yPred, batch) => {
        checkLengths(yTrue, yPred, batch, labelSize, predSize)
        let hits = 0
        for (let base = 0; base < yPred.length; base += len) {
          const target = argmax(yTrue, base, len)
          if (topK ? inTopK(yPred, base, len, target, k) : argmax(yPred, base, len) === target) hits++
        }
        return meanUpdate(hits, predSize / len, batch)
      })
    }
    case 'SparseCategoricalAccuracy':
    case 'SparseTopKCategoricalAccuracy': {
      const positions = outputShape.slice(0, -1)
      const ok =
        lastOut !== undefined &&
        (labelShape.length === positions.length
          ? labelShape.every((d, i) => d === positions[i])
          : labelShape.length === outputShape.length && labelShape[labelShape.length - 1] === 1 && positions.every((d, i) => d === labelShape[i]))
      if (!ok || lastOut === undefined) {
        return E.left([
          specError(path, `${cls} expects one class index per output position: labels of shape ${showShape(positions)} or ${showShape([...positions, 1])} for outputs of shape ${showShape(outputShape)}, found labels of shape ${showShape(labelShape)}`)
        ])
      }
      const len = lastOut
      const k = r.k
      const topK = cls === 'SparseTopKCategoricalAccuracy'
      return done((yTrue, yPred, batch) => {
        checkLengths(yTrue, yPred, batch, labelSize, predSize)
        let hits = 0
        for (let row = 0, base = 0; base < yPred.length; row++, base += len) {
          const label = yTrue[row] as number
          // Keras casts the label to an integer for top-k (truncating) and compares it as a float for accuracy.
          if (topK ? inTopK(yPred, base, len, Math.trunc(label), k) : argmax(yPred, base, len) === label) hits++
        }
        return meanUpdate(hits, product(positions), batch)
      })
    }
    default:
      // Every other class is loss-like (LOSS_OF).
      return E.left([specError(path, `metric class ${cls} cannot be compiled`)])
  }
}
