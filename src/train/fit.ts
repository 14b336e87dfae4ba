/**
 * `fit`: Keras's `model.fit` over arrays, pure (training notes §8): the state in, the state after
 * every epoch out, and the history.
 *
 * - `validationSplit` v: the last `N − floor(N·(1 − v))` samples are held out, taken before any
 *   shuffling (an error when that leaves no training or no validation sample); or `validationData`.
 * - Each epoch: a fresh permutation of the training samples (`shuffle`, default true; drawn from
 *   `seed` and the epoch), batches of `batchSize` (default 32; the last one smaller), one
 *   `Trainer.step` each.
 * - History (Keras's keys): `loss` and each metric as the mean over the epoch's samples of the
 *   training-mode values (each batch weighted by its size), then `val_loss`, `val_<metric>` from an
 *   inference-mode pass over the validation data in batches of `batchSize`.
 * - `onEpochEnd(epoch, logs)` after each epoch (a progress line, early stopping by throwing, …).
 * - At the end, `Trainer.finalize` (Keras's `finalize_variable_values`: an EMA optimizer's averages
 *   become the weights).
 */
import { describe, quote } from '../core/describe.js'
import type { Tensor } from '../core/Tensor.js'
import type { ModelParams } from '../model/compileModel.js'
import { allocate } from '../numerics/FloatArray.js'
import { deriveSeed, uniformStream } from '../numerics/random.js'
import type { Batch, Scores, Trainer, TrainState } from './Trainer.js'

/** A dataset: every input and every target, all with the same number of samples (axis 0). */
export interface Dataset {
  readonly x: ReadonlyArray<Tensor>
  readonly y: ReadonlyArray<Tensor>
}

/**
 * Options of {@link fit}, Keras's names in camelCase.
 * @category training
 */
export interface FitOptions {
  readonly epochs?: number
  readonly batchSize?: number
  readonly shuffle?: boolean
  /** Seeds the shuffling (default 0). */
  readonly seed?: number
  readonly validationSplit?: number
  readonly validationData?: Dataset
  /** Epoch to start counting from (Keras's `initial_epoch`; epochs run from it to `epochs − 1`). */
  readonly initialEpoch?: number
  readonly onEpochEnd?: (epoch: number, logs: Readonly<Record<string, number>>) => void
}

/** The result of {@link fit}: the final state and Keras's history (one value per epoch per key). */
export interface FitResult {
  readonly state: TrainState
  readonly history: Readonly<Record<string, ReadonlyArray<number>>>
}

const samplesOf = (d: Dataset, what: string): number => {
  if (d === null || typeof d !== 'object' || !Array.isArray(d.x) || !Array.isArray(d.y) || d.x.length === 0) {
    throw new TypeError(`layerspec: fit expects ${what} as { x: Tensor[], y: Tensor[] }, found ${describe(d)}`)
  }
  const n = d.x[0]?.shape[0]
  for (const t of [...d.x, ...d.y]) {
    if (t?.shape[0] !== n) throw new TypeError(`layerspec: fit: every tensor of ${what} needs the same number of samples (${quote(n)}), found shape ${quote(t?.shape)}`)
  }
  return n as number
}

/** Rows `idx` of a tensor (samples on axis 0), in that order. */
const take = (t: Tensor, idx: ReadonlyArray<number>): Tensor => {
  const per = t.data.length / (t.shape[0] as number)
  const data = allocate(t.data instanceof Float64Array ? 'float64' : 'float32', idx.length * per)
  idx.forEach((r, k) => data.set(t.data.subarray(r * per, (r + 1) * per), k * per))
  return { shape: [idx.length, ...t.shape.slice(1)], data }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

const batchOf = (d: Dataset, idx: ReadonlyArray<number>): Batch => ({ x: d.x.map((t) => take(t, idx)), y: d.y.map((t) => take(t, idx)) })

const positiveInt = (v: unknown, what: string, fallback: number): number => {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new RangeError(`layerspec: fit: expected ${what} to be a positive integer, found ${describe(v)}`)
  return v
}

/**
 * Inference-mode loss and metrics over a dataset in batches of `batchSize`, each batch weighted by its size.
 * @category training
 */
export const evaluateDataset = (trainer: Trainer, params: ModelParams, d: Dataset, batchSize: number): Scores => {
  const n = samplesOf(d, 'the evaluation data')
  let loss = 0
  const sums: Record<string, number> = {}
  for (let start = 0; start < n; start += batchSize) {
    const idx = range(start, Math.min(n, start + batchSize))
    const s = trainer.evaluate(params, batchOf(d, idx))
    loss += s.loss * idx.length
    for (const [k, v] of Object.entries(s.metrics)) sums[k] = (sums[k] ?? 0) + v * idx.length
  }
  return { loss: loss / n, metrics: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) }
}

/**
 * Trains `state` on `data` (see the module comment).
 * @category training
 */
export const fit = (trainer: Trainer, state: TrainState, data: Dataset, options: FitOptions = {}): FitResult => {
  const epochs = positiveInt(options.epochs, 'epochs', 1)
  const batchSize = positiveInt(options.batchSize, 'batchSize', 32)
  const initialEpoch = options.initialEpoch ?? 0
  const seed = options.seed ?? 0
  const total = samplesOf(data, 'the training data')
  let train: Dataset = data
  let validation: Dataset | undefined = options.validationData
  if (options.validationSplit !== undefined) {
    const v = options.validationSplit
    if (options.validationData !== undefined) throw new TypeError('layerspec: fit: give validationSplit or validationData, not both')
    if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new RangeError(`layerspec: fit: expected validationSplit in (0, 1), found ${describe(v)}`)
    const splitAt = Math.floor(total * (1 - v))
    if (splitAt === 0 || splitAt === total) {
      throw new RangeError(`layerspec: fit: validationSplit ${v} of ${total} samples leaves ${splitAt === 0 ? 'no training' : 'no validation'} sample`)
    }
    train = batchOf(data, range(0, splitAt))
    validation = batchOf(data, range(splitAt, total))
  }
  if (validation !== undefined) samplesOf(validation, 'validationData')
  const n = samplesOf(train, 'the training data')
  const history: Record<string, number[]> = {}
  const record = (k: string, v: number): void => {
    ;(history[k] ??= []).push(v)
  }
  let s = state
  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    const order = range(0, n)
    if (options.shuffle ?? true) {
      const u = uniformStream(deriveSeed(seed, `epoch/${epoch}`))
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1))
        const t = order[i] as number
        order[i] = order[j] as number
        order[j] = t
      }
    }
    let loss = 0
    const sums: Record<string, number> = {}
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice(start, start + batchSize)
      const r = trainer.step(s, batchOf(train, idx))
      s = r.state
      loss += r.loss * idx.length
      for (const [k, v] of Object.entries(r.metrics)) sums[k] = (sums[k] ?? 0) + v * idx.length
    }
    const logs: Record<string, number> = { loss: loss / n }
    for (const name of trainer.metricNames) logs[name] = (sums[name] ?? 0) / n
    if (validation !== undefined) {
      const v = evaluateDataset(trainer, s.params, validation, batchSize)
      logs['val_loss'] = v.loss
      for (const name of trainer.metricNames) logs[`val_${name}`] = v.metrics[name] ?? 0
    }
    for (const [k, v] of Object.entries(logs)) record(k, v)
    options.onEpochEnd?.(epoch, logs)
  }
  // Keras's fit ends with `optimizer.finalize_variable_values` (use_ema: the weights become their averages)
  if (epochs > initialEpoch) s = trainer.finalize(s)
  return { state: s, history }
}
