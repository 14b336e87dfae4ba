/**
 * `compileTrainer`: a model, a loss, an optimizer and metrics — what Keras's `model.compile` takes and a
 * file's `training_config` holds, decoded like every other spec — compiled into pure training
 * functions, the way JAX + optax are: state in, state out.
 *
 * One Keras 3 training step (`Trainer.step`, training notes §1.1 and §4):
 * 1. the forward in training mode (Dropout drops, BatchNormalization uses and updates batch
 *    statistics) on the state's params;
 * 2. the loss: Σ over outputs of `loss_weight · loss(y, ŷ)` + the weight regularizers' penalties of the
 *    trainable weights (from the current weights) + the activity regularizers' (÷ batch size);
 * 3. gradients of that loss w.r.t. the trainable weights (TrainGraph's backward);
 * 4. the optimizer's update (clipping, weight decay, the rule, the schedule at the state's step);
 * 5. each updated weight's constraint; the moving statistics of BatchNormalization from the forward;
 * 6. metrics of the training-mode outputs (before the update), as Keras reports them.
 *
 * A crossentropy of an output that ends in softmax (sigmoid for binary crossentropy), given from
 * probabilities, is computed from the logits before it, as Keras on its default TensorFlow backend
 * does (training notes §3.2, "logits shortcut"): no clipping at 1e-7, exact gradients `p − y`.
 *
 * Everything is pure: nothing passed in is written, and the same state and batch give bit-identical
 * results (the dropout masks come from the state's key and step).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, isPlainObject, quote } from '../core/describe.js'
import { hasOwnKey, nameTable, ownValue, type NameTable } from '../core/NameTable.js'
import { concatPaths, formatPath, specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { lowerModel } from '../compiler/lower.js'
import type { Constraint } from '../codec/Constraint.js'
import type { Regularizer } from '../codec/Regularizer.js'
import { compileModel, type CompiledModel, type CompileModelOptions, type ModelParams } from '../model/compileModel.js'
import { withLayerNames } from '../model/exportModel.js'
import type { ModelSpec } from '../model/ModelSpec.js'
import { applyConstraint } from '../numerics/constraints.js'
import { allocate, type FloatArray } from '../numerics/FloatArray.js'
import { deriveSeed } from '../numerics/random.js'
import { penalty } from '../numerics/regularizers.js'
import { compileLoss, type CompiledLoss } from './loss/loss.js'
import { decodeLoss, type LossSpec } from './loss/LossSpec.js'
import { compileMetric, type CompiledMetric } from './metric/metric.js'
import { decodeMetrics, uniqueMetricNames, type MetricSpec } from './metric/MetricSpec.js'
import { applyGradients, finalizeVariables, initOptimizer, type OptimizerState } from './optimizer/optimizer.js'
import { decodeOptimizer, type OptimizerSpec } from './optimizer/OptimizerSpec.js'
import { compileTrainGraph, type TrainGraph } from './TrainGraph.js'

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What Keras's `model.compile` takes (and a file's `training_config` holds): `loss` (a name, a
 * serialized loss, or a list of them, one per output), `optimizer` (a name or a serialized optimizer;
 * default `"rmsprop"`, as Keras's), `metrics` (a list), `loss_weights` (a number or a list, one per
 * output). Decoded with their paths.
 * @category training
 */
export interface TrainConfig {
  readonly loss: unknown
  readonly optimizer?: unknown
  readonly metrics?: unknown
  readonly loss_weights?: unknown
}

/**
 * Options of {@link compileTrainer}: `compileModel`'s (the model `Trainer.compiled` evaluates with), and
 * `configPath`, the JSON path of the config in its file (a `ModelFile.trainingConfig.path`): errors in
 * the config are reported under it.
 */
export type TrainerOptions = Pick<CompileModelOptions, 'inputShapes' | 'dtype' | 'backend' | 'threads'> & { readonly configPath?: string }

/**
 * The training state: the params (in `compiled.weights` order), the optimizer's slots and step count,
 * and the random key the dropout masks come from.
 * @category training
 */
export interface TrainState {
  readonly params: ModelParams
  readonly optimizer: OptimizerState
  /** Steps taken (the optimizer's `iterations`). */
  readonly step: number
  readonly key: number
}

/** A batch: the model's inputs and the targets of its outputs (`[batch, ...]` each); optional per-sample weights. */
export interface Batch {
  readonly x: ReadonlyArray<Tensor>
  readonly y: ReadonlyArray<Tensor>
  /** Keras's `sample_weight`: one weight per sample (length batch), applied to every output's loss. */
  readonly sampleWeight?: FloatArray
}

/** A loss value and the metrics, by name. */
export interface Scores {
  readonly loss: number
  readonly metrics: Readonly<Record<string, number>>
}

/**
 * A compiled trainer (see the module comment).
 * @category training
 */
export interface Trainer {
  /** The model it trains, compiled for inference (its `weights` order is the params order). */
  readonly compiled: CompiledModel
  readonly losses: ReadonlyArray<LossSpec>
  readonly optimizer: OptimizerSpec
  /** The metric names (history keys), in order. */
  readonly metricNames: ReadonlyArray<string>
  /** A state to start from: these params, fresh optimizer slots, step 0, the key (default 0). */
  readonly init: (params: ModelParams, key?: number) => TrainState
  /** One training step (see the module comment). */
  readonly step: (state: TrainState, batch: Batch) => { readonly state: TrainState } & Scores
  /**
   * The loss in training mode and its gradient for every param (`null` for the params that are not
   * trainable), dropout masks from `key` (default 0).
   */
  readonly valueAndGrad: (params: ModelParams, batch: Batch, key?: number) => { readonly loss: number; readonly grads: ReadonlyArray<Tensor | null> }
  /** The loss (regularization included) and metrics in inference mode. */
  readonly evaluate: (params: ModelParams, batch: Batch) => Scores
  /**
   * Keras's `optimizer.finalize_variable_values` (what `fit` does when it ends): with the optimizer's
   * `use_ema`, the trainable params become their moving averages; otherwise the state as it is.
   */
  readonly finalize: (state: TrainState) => TrainState
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

/**
 * The names Keras 3 gives a model's outputs (`model.output_names`): the layers that produce them (a
 * Sequential model's last layer), unnamed layers named as Keras names them.
 * @category training
 */
export const outputNamesOf = (spec: ModelSpec): ReadonlyArray<string> => {
  const model = withLayerNames(spec)
  return model.className === 'Sequential' ? [model.layers[model.layers.length - 1]?.name ?? model.name ?? 'sequential'] : model.outputs.map((r) => r.layer)
}

const perOutput = <A>(u: unknown, names: ReadonlyArray<string>, path: string, decode: (v: unknown, p: string) => Result<A>): Result<ReadonlyArray<A>> => {
  const outputs = names.length
  if (Array.isArray(u)) {
    if (u.length !== outputs) return E.left([specError(path, `expected one entry per model output (${outputs}), found a list of ${u.length}`)])
    const rs = u.map((v, i) => decode(v, `${path}[${i}]`))
    const errors = rs.flatMap((r) => (E.isLeft(r) ? r.left : []))
    return errors.length > 0 ? E.left(errors) : E.right(rs.map((r) => (r as E.Right<A>).right))
  }
  if (isPlainObject(u) && !hasOwnKey(u, 'class_name')) {
    // Keras 3: a dict keyed by every output name (model.output_names), no more, no fewer
    const keys = Object.keys(u)
    const missing = names.filter((n) => !hasOwnKey(u, n))
    const unknown = keys.filter((k) => !names.includes(k))
    if (missing.length > 0 || unknown.length > 0) {
      return E.left([
        specError(
          path,
          `expected a dict keyed by the model's output names ${names.map((n) => quote(n)).join(', ')}, found the keys ${keys.map((k) => quote(k)).join(', ') || 'none'}${missing.length > 0 ? ` (missing ${missing.map((n) => quote(n)).join(', ')})` : ''}`
        )
      ])
    }
    const rs = names.map((n) => decode(ownValue(u, n), concatPaths(path, formatPath([n]))))
    const errors = rs.flatMap((r) => (E.isLeft(r) ? r.left : []))
    return errors.length > 0 ? E.left(errors) : E.right(rs.map((r) => (r as E.Right<A>).right))
  }
  return E.map((a: A) => new Array<A>(outputs).fill(a))(decode(u, path))
}

const lossWeightsOf = (u: unknown, names: ReadonlyArray<string>): Result<ReadonlyArray<number>> => {
  if (u === undefined || u === null) return E.right(new Array<number>(names.length).fill(1))
  const one = (v: unknown, p: string): Result<number> =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? E.right(v) : E.left([specError(p, `expected a finite, non-negative loss weight, found ${describe(v)}`)])
  if (Array.isArray(u) || isPlainObject(u)) return perOutput(u, names, 'loss_weights', one)
  return E.map((w: number) => new Array<number>(names.length).fill(w))(one(u, 'loss_weights'))
}

/**
 * The metrics of each output. One output: Keras's `metrics=[...]` (decodeMetrics). Several (Keras 3):
 * a list with one entry per output (a metric, a list of metrics, or null) or a dict by output name
 * (outputs left out get none); a flat list of another length is Keras's error too.
 */
const metricsPerOutput = (u: unknown, names: ReadonlyArray<string>, path: string): Result<ReadonlyArray<ReadonlyArray<MetricSpec>>> => {
  if (names.length === 1) return E.map((ms: ReadonlyArray<MetricSpec>) => [ms])(decodeMetrics(u, path))
  if (u === null || u === undefined || (Array.isArray(u) && u.length === 0)) return E.right(names.map(() => []))
  const entry = (v: unknown, p: string): Result<ReadonlyArray<MetricSpec>> => (v === null || v === undefined ? E.right([]) : decodeMetrics(Array.isArray(v) ? v : [v], p))
  if (Array.isArray(u)) {
    if (u.length !== names.length) {
      return E.left([specError(path, `expected one entry per model output (${names.map((n) => quote(n)).join(', ')}) — a metric, a list of metrics or null each — found a list of ${u.length}`)])
    }
    const rs = u.map((v, i) => entry(v, `${path}[${i}]`))
    const errors = rs.flatMap((r) => (E.isLeft(r) ? r.left : []))
    return errors.length > 0 ? E.left(errors) : E.right(rs.map((r) => (r as E.Right<ReadonlyArray<MetricSpec>>).right))
  }
  if (isPlainObject(u) && !hasOwnKey(u, 'class_name')) {
    const unknown = Object.keys(u).filter((k) => !names.includes(k))
    if (unknown.length > 0) return E.left([specError(path, `expected a dict keyed by output names ${names.map((n) => quote(n)).join(', ')}, found ${unknown.map((k) => quote(k)).join(', ')}`)])
    const rs = names.map((n) => entry(hasOwnKey(u, n) ? ownValue(u, n) : null, concatPaths(path, formatPath([n]))))
    const errors = rs.flatMap((r) => (E.isLeft(r) ? r.left : []))
    return errors.length > 0 ? E.left(errors) : E.right(rs.map((r) => (r as E.Right<ReadonlyArray<MetricSpec>>).right))
  }
  return E.left([specError(path, `expected a list with one entry per model output or a dict by output name, found ${describe(u)}`)])
}

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

/**
 * Regularizer and constraint fields of a weight, by its Keras name (`kernel` → `kernelRegularizer`).
 * A depthwise layer's kernel is named `kernel` by Keras 3 (`depthwise_kernel` by tf.keras 2.x), its
 * fields are `depthwise_*` in both: see {@link weightField}.
 */
const FIELD_OF: NameTable<string> = nameTable({
  kernel: 'kernel',
  bias: 'bias',
  depthwise_kernel: 'depthwise',
  pointwise_kernel: 'pointwise',
  gamma: 'gamma',
  beta: 'beta'
})

/**
 * The field prefix of a weight's regularizer and constraint in its layer's spec: {@link FIELD_OF}'s,
 * except a `kernel` of a layer with no `kernel*` fields but `depthwise*` ones (Keras 3's
 * DepthwiseConv1D / DepthwiseConv2D).
 */
const weightField = (spec: Readonly<Record<string, unknown>>, name: string): string | undefined => {
  const field = FIELD_OF.get(name)
  if (field === 'kernel' && !hasOwnKey(spec, 'kernelRegularizer') && hasOwnKey(spec, 'depthwiseRegularizer')) return 'depthwise'
  return field
}

/**
 * Compiles a trainer for `model` (see the module comment); every problem of the config (with its path
 * under `loss`, `optimizer`, `metrics`, `loss_weights`) and of the model (a layer with no gradient) at
 * once.
 * @category training
 */
export const compileTrainer = (model: ModelSpec, config: TrainConfig, options: TrainerOptions = {}): Result<Trainer> => {
  const { configPath, ...modelOptions } = options
  const compiledE = compileModel(model, modelOptions)
  if (E.isLeft(compiledE)) return compiledE
  const inConfig = (es: ReadonlyArray<SpecError>): ReadonlyArray<SpecError> =>
    configPath === undefined ? es : es.map((e) => (/^(loss|optimizer|metrics|loss_weights)\b/.test(e.path) ? { ...e, path: concatPaths(configPath, e.path) } : e))
  const compiled = compiledE.right
  const outputs = compiled.outputShapes.length
  const names = outputNamesOf(model)
  const errors: SpecError[] = []
  const lossesE = perOutput(config.loss, names, 'loss', decodeLoss)
  const optimizerE = decodeOptimizer(config.optimizer ?? 'rmsprop', 'optimizer')
  const metricsE = metricsPerOutput(config.metrics ?? [], names, 'metrics')
  const weightsE = lossWeightsOf(config.loss_weights, names)
  for (const r of [lossesE, optimizerE, metricsE, weightsE] as ReadonlyArray<Result<unknown>>) if (E.isLeft(r)) errors.push(...inConfig(r.left))
  const graphE = lowerModel(model, options.inputShapes ?? compiled.inputShapes, compiled.dtype)
  if (E.isLeft(graphE)) return graphE
  const trainGraphE = compileTrainGraph(graphE.right, compiled.weights, { ...(modelOptions.backend === undefined ? {} : { backend: modelOptions.backend }), ...(modelOptions.threads === undefined ? {} : { threads: modelOptions.threads }) })
  if (E.isLeft(trainGraphE)) errors.push(...trainGraphE.left)
  if (errors.length > 0 || E.isLeft(lossesE) || E.isLeft(optimizerE) || E.isLeft(metricsE) || E.isLeft(weightsE) || E.isLeft(trainGraphE)) return E.left(errors)
  const losses = lossesE.right
  const optimizer = optimizerE.right
  const lossWeights = weightsE.right
  const tg: TrainGraph = trainGraphE.right
  // Losses and metrics are compiled for the labels' per-sample shape, seen with the first batch of
  // that shape (Keras resolves "crossentropy" / "accuracy" and sparse labels (N,) or (N, 1) the same
  // way); checked now with the output's own shape and its sparse label shape, the two shapes Keras
  // accepts for every loss. A batch of another shape compiles them again (cached by shape).
  // each metric with its output; one output: the metrics' own names, several: `<output>_<metric>` (Keras 3)
  const metricSpecs = metricsE.right.flatMap((ms, o) => ms.map((spec, k) => ({ spec, output: o, path: outputs === 1 ? `metrics[${k}]` : `metrics[${o}][${k}]` })))
  const setupErrors: SpecError[] = []
  losses.forEach((spec, i) => {
    if (spec.reduction === 'none') setupErrors.push(specError(outputs === 1 ? 'loss' : `loss[${i}]`, 'reduction "none" leaves a loss per sample; training needs one number: use "sum_over_batch_size" (Keras\'s default), "sum" or "mean_with_sample_weight"'))
  })
  if (setupErrors.length > 0) return E.left(inConfig(setupErrors))
  // several outputs: each output's unweighted loss is logged as `<output>_loss` (Keras), before the metrics
  const outputLossNames = outputs === 1 ? [] : names.map((n) => `${n}_loss`)
  const metricNames = uniqueMetricNames([...outputLossNames, ...metricSpecs.map((m) => (outputs === 1 ? m.spec.name : `${names[m.output] as string}_${m.spec.name}`))])
  interface ForLabels {
    readonly losses: ReadonlyArray<{ readonly probs: CompiledLoss; readonly logits: CompiledLoss | undefined }>
    readonly metrics: ReadonlyArray<CompiledMetric>
  }
  const byLabels = new Map<string, ForLabels>()
  const forLabels = (ys: ReadonlyArray<Tensor>): ForLabels => {
    const labelShapes = ys.map((y) => y.shape.slice(1))
    const key = JSON.stringify(labelShapes)
    const known = byLabels.get(key)
    if (known !== undefined) return known
    const errors: SpecError[] = []
    const ls = losses.map((spec, i) => {
      const outShape = compiled.outputShapes[i] as ReadonlyArray<number>
      const path = outputs === 1 ? 'loss' : `loss[${i}]`
      const probs = compileLoss(spec, outShape, labelShapes[i] as ReadonlyArray<number>, path)
      if (E.isLeft(probs)) {
        errors.push(...probs.left)
        return undefined
      }
      const cls = probs.right.spec.className
      const shortcut = !spec.fromLogits && (cls === 'CategoricalCrossentropy' || cls === 'SparseCategoricalCrossentropy' || cls === 'BinaryCrossentropy')
      const logits = shortcut ? compileLoss({ ...probs.right.spec, fromLogits: true }, outShape, labelShapes[i] as ReadonlyArray<number>, path) : undefined
      return { probs: probs.right, logits: logits !== undefined && E.isRight(logits) ? logits.right : undefined }
    })
    const ms = metricSpecs.map((m) => {
      const c = compileMetric(m.spec, compiled.outputShapes[m.output] as ReadonlyArray<number>, labelShapes[m.output] as ReadonlyArray<number>, m.path)
      if (E.isLeft(c)) {
        errors.push(...c.left)
        return undefined
      }
      return c.right
    })
    if (errors.length > 0) throw new TypeError(`layerspec: the targets do not fit the loss or metrics: ${inConfig(errors).map((e) => `${e.path}: ${e.message}`).join('; ')}`)
    const r: ForLabels = { losses: ls as ForLabels['losses'], metrics: ms as ReadonlyArray<CompiledMetric> }
    byLabels.set(key, r)
    return r
  }

  const dtype = compiled.dtype
  const weights = compiled.weights
  const trainable = weights.map((w) => w.trainable)
  const trainableIndex = weights.flatMap((w, i) => (w.trainable ? [i] : []))
  // each param's regularizer and constraint, from its layer's spec
  const layerSpecOf = new Map<number, Readonly<Record<string, unknown>>>()
  for (const node of tg.graph.nodes) {
    node.weights.forEach((e) => {
      if (e.kind === 'param') layerSpecOf.set(e.index, node.spec as unknown as Readonly<Record<string, unknown>>)
    })
  }
  const fieldOf = (i: number, suffix: 'Regularizer' | 'Constraint'): unknown => {
    const spec = layerSpecOf.get(i)
    const name = weights[i]?.name ?? ''
    const field = spec === undefined ? undefined : weightField(spec, name)
    return spec === undefined || field === undefined ? null : (ownValue(spec, `${field}${suffix}`) ?? null)
  }
  const regularizers = weights.map((_, i) => (trainable[i] ? (fieldOf(i, 'Regularizer') as Regularizer | null) : null))
  const constraints = weights.map((_, i) => (trainable[i] ? (fieldOf(i, 'Constraint') as Constraint | null) : null))

  const checkBatch = (b: Batch, what: string): number => {
    if (b === null || typeof b !== 'object' || !Array.isArray(b.x) || !Array.isArray(b.y)) {
      throw new TypeError(`layerspec: ${what} expects a batch { x: Tensor[], y: Tensor[] }, found ${describe(b)}`)
    }
    if (b.x.length !== compiled.inputShapes.length || b.y.length !== outputs) {
      throw new TypeError(`layerspec: ${what} expects ${compiled.inputShapes.length} input tensor(s) and ${outputs} target tensor(s), found ${b.x.length} and ${b.y.length}`)
    }
    const n = b.x[0]?.shape[0]
    for (const t of [...b.x, ...b.y]) {
      if (t?.shape[0] !== n) throw new TypeError(`layerspec: ${what}: every input and target needs the same batch size (${quote(n)}), found a tensor of shape ${quote(t?.shape)}`)
    }
    return n as number
  }

  /** The loss of a forward and the outputs' gradients (w.r.t. logits where the shortcut applies). */
  const lossOf = (
    run: ReturnType<TrainGraph['run']>,
    b: Batch,
    batch: number,
    withGrad: boolean
  ): { readonly value: number; readonly perOutput: number[]; readonly grads: FloatArray[]; readonly fromLogits: boolean[] } => {
    let value = run.activityLoss
    const perOutput: number[] = []
    const grads: FloatArray[] = []
    const fromLogits: boolean[] = []
    forLabels(b.y).losses.forEach((l, i) => {
      const w = lossWeights[i] as number
      const logits = run.logits[i]
      const useLogits = l.logits !== undefined && logits !== undefined && (logits.kind === 'softmax') === (l.probs.spec.className !== 'BinaryCrossentropy')
      const c = useLogits ? (l.logits as CompiledLoss) : l.probs
      const pred = useLogits ? (logits as { readonly value: FloatArray }).value : ((run.outputs[i] as Tensor).data as FloatArray)
      const yTrue = (b.y[i] as Tensor).data as FloatArray
      if (withGrad) {
        const r = c.valueAndGrad(yTrue, pred, batch, b.sampleWeight)
        perOutput.push(r.value)
        value += w * r.value
        const g = r.grad
        if (w !== 1) for (let k = 0; k < g.length; k++) g[k] = (g[k] as number) * w
        grads.push(g)
      } else {
        const v = c.value(yTrue, pred, batch, b.sampleWeight)
        perOutput.push(v)
        value += w * v
      }
      fromLogits.push(useLogits)
    })
    return { value, perOutput, grads, fromLogits }
  }

  const regularization = (params: ModelParams): number => {
    let total = 0
    regularizers.forEach((r, i) => {
      if (r !== null) total += penalty(r, (params[i] as Tensor).data)
    })
    return total
  }

  const metricsOf = (outputs: ReadonlyArray<Tensor>, b: Batch, batch: number, lossPerOutput: ReadonlyArray<number>): Record<string, { sum: number; count: number }> => {
    const out: Record<string, { sum: number; count: number }> = {}
    outputLossNames.forEach((name, o) => (out[name] = { sum: lossPerOutput[o] as number, count: 1 }))
    forLabels(b.y).metrics.forEach((m, i) => {
      const o = (metricSpecs[i] as { readonly output: number }).output
      out[metricNames[outputLossNames.length + i] as string] = m.update((b.y[o] as Tensor).data as FloatArray, (outputs[o] as Tensor).data as FloatArray, batch)
    })
    return out
  }

  const gradients = (params: ModelParams, b: Batch, key: number, batch: number) => {
    const run = tg.run(params, b.x, { training: true, key })
    const l = lossOf(run, b, batch, true)
    const raw = run.backward(l.grads, l.fromLogits)
    const loss = l.value + regularization(params)
    const grads = params.map((p, i): Float64Array | null => {
      if (!trainable[i]) return null
      const g = raw[i] ?? new Float64Array(p.data.length)
      const r = regularizers[i]
      if (r !== null && r !== undefined && (r.l1 !== 0 || r.l2 !== 0)) {
        const w = p.data
        for (let k = 0; k < g.length; k++) {
          const v = w[k] as number
          g[k] = (g[k] as number) + r.l1 * Math.sign(v) + 2 * r.l2 * v
        }
      }
      return g
    })
    return { run, loss, lossPerOutput: l.perOutput, grads }
  }

  const toTensor = (shape: ReadonlyArray<number>, g: Float64Array): Tensor => {
    const data = allocate(dtype, g.length)
    for (let k = 0; k < g.length; k++) data[k] = g[k] as number
    return { shape, data }
  }

  const summarize = (acc: Record<string, { sum: number; count: number }>): Record<string, number> =>
    Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v.count > 0 ? v.sum / v.count : 0]))

  return E.right({
    compiled,
    losses,
    optimizer,
    metricNames,
    init: (params, key = 0) => {
      const problems = compiled.run(params, compiled.inputShapes.map((s) => ({ shape: [1, ...s], data: allocate(dtype, s.reduce((a, b) => a * b, 1)) })))
      if (E.isLeft(problems)) throw new TypeError(`layerspec: Trainer.init: ${problems.left.map((e) => concatPaths('params', e.path) + ': ' + e.message).join('; ')}`)
      return {
        params,
        optimizer: initOptimizer(
          optimizer,
          trainableIndex.map((i) => (params[i] as Tensor).data)
        ),
        step: 0,
        key
      }
    },
    step: (state, b) => {
      const batch = checkBatch(b, 'Trainer.step')
      const { run, loss, lossPerOutput, grads } = gradients(state.params, b, deriveSeed(state.key, `step/${state.step}`), batch)
      const metrics = summarize(metricsOf(run.outputs, b, batch, lossPerOutput))
      const vars = trainableIndex.map((i) => (state.params[i] as Tensor).data)
      // Keras 3 scales the loss by loss_scale_factor before the gradient, and the optimizer divides it out
      const scale = optimizer.lossScaleFactor ?? 1
      const gs = trainableIndex.map((i) => {
        const g = grads[i] as Float64Array
        const out = allocate(dtype, g.length)
        for (let k = 0; k < g.length; k++) out[k] = (g[k] as number) * scale
        return out
      })
      const applied = applyGradients(optimizer, state.optimizer, vars, gs)
      const params: Tensor[] = state.params.map((p, i) => {
        const update = run.updates.get(i)
        return update !== undefined ? { shape: p.shape, data: update } : p
      })
      trainableIndex.forEach((i, k) => {
        const p = state.params[i] as Tensor
        const c = constraints[i]
        const v = applied.variables[k] as FloatArray
        params[i] = { shape: p.shape, data: c === null || c === undefined ? v : applyConstraint(c, v, [...p.shape]) }
      })
      return { state: { params, optimizer: applied.state, step: state.step + 1, key: state.key }, loss, metrics }
    },
    valueAndGrad: (params, b, key = 0) => {
      const batch = checkBatch(b, 'Trainer.valueAndGrad')
      const { loss, grads } = gradients(params, b, key, batch)
      return { loss, grads: grads.map((g, i) => (g === null ? null : toTensor((params[i] as Tensor).shape, g))) }
    },
    evaluate: (params, b) => {
      const batch = checkBatch(b, 'Trainer.evaluate')
      const run = tg.run(params, b.x, { training: false, key: 0 })
      const l = lossOf(run, b, batch, false)
      return { loss: l.value + regularization(params), metrics: summarize(metricsOf(run.outputs, b, batch, l.perOutput)) }
    },
    finalize: (state) => {
      if (optimizer.ema === null) return state
      const final = finalizeVariables(
        optimizer,
        state.optimizer,
        trainableIndex.map((i) => (state.params[i] as Tensor).data)
      )
      const params = [...state.params]
      trainableIndex.forEach((i, k) => (params[i] = { shape: (state.params[i] as Tensor).shape, data: final[k] as FloatArray }))
      return { ...state, params }
    }
  })
}

/** Per-batch metric sums, for `fit`'s epoch averages (Keras's Mean over samples). */
export type MetricSums = Record<string, { sum: number; count: number }>
