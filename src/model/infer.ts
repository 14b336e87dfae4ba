/**
 * Shape inference for whole models, as Keras does it: each layer call's output shape from its inputs'
 * shapes, unknown (`null`) dimensions flowing through, and per-layer parameter counts (total,
 * trainable, non-trainable) equal to Keras's `model.summary()`. Errors carry the layer's path
 * (`layers[3].config.pool_size`), relative to the model's config.
 */
import * as E from 'fp-ts/lib/Either.js'
import { concatPaths, specError, type SpecError } from '../core/SpecError.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape, WeightSpec } from '../layers/LayerKind.js'
import { findLayerKind } from '../layers/registry.js'
import type { AnyLayerSpec, ModelSpec } from './ModelSpec.js'
import { isInputLayer, isModelSpec } from './ModelSpec.js'
import { planOf, type TensorKey } from './plan.js'
import { quoteText } from '../core/describe.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One weight of a model: the layer it belongs to (a path of names for nested models), its Keras name,
 * shape, and whether it is trained (the weight's own flag and every enclosing layer's `trainable`).
 * @category model
 */
export interface ModelWeight extends WeightSpec {
  /** `conv2d/kernel`, `sequential_1/conv2d/kernel` for a nested model's layer. */
  readonly path: string
  readonly layer: string
}

/**
 * One row of the summary: a layer, its output shape for each call, its parameter counts and what feeds it.
 * @category model
 */
export interface LayerSummary {
  readonly name: string
  readonly className: string
  /** Output shape of each call (one per node; a nested model with several outputs lists them in order). */
  readonly outputShapes: ReadonlyArray<SymbolicShape>
  readonly params: number
  readonly trainableParams: number
  readonly nonTrainableParams: number
  /** The tensors feeding its first call, as `name[node][tensor]` (functional models). */
  readonly connectedTo: ReadonlyArray<string>
}

/**
 * A model's inferred shapes and parameter counts.
 * @category model
 */
export interface ModelSummary {
  readonly name: string
  readonly className: string
  readonly layers: ReadonlyArray<LayerSummary>
  readonly inputShapes: ReadonlyArray<SymbolicShape>
  readonly outputShapes: ReadonlyArray<SymbolicShape>
  /** Every weight, in Keras's order (layers in order, each layer's weights in creation order). */
  readonly weights: ReadonlyArray<ModelWeight>
  readonly params: number
  readonly trainableParams: number
  readonly nonTrainableParams: number
}

/**
 * Options for inference: `inputShapes` (batch axis first) override the shapes the model declares, in
 * the order of its inputs (a Sequential model has one).
 * @category model
 */
export interface InferOptions {
  readonly inputShapes?: ReadonlyArray<SymbolicShape>
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

// -------------------------------------------------------------------------------------
// inference
// -------------------------------------------------------------------------------------

/** Whether an actual shape fits a declared one: same rank, equal where both are known. */
const fits = (declared: SymbolicShape, actual: SymbolicShape): boolean =>
  declared.length === actual.length && declared.every((d, i) => d === null || actual[i] === null || d === actual[i])

/** The shapes a model declares for its inputs (batch axis first), or an error naming what is missing. */
const declaredInputs = (model: ModelSpec): Result<ReadonlyArray<SymbolicShape>> => {
  const plan = planOf(model)
  return E.right(
    plan.inputs.map(({ layerIndex }) => {
      if (model.className === 'Sequential') {
        const first = model.layers[0]
        if (first !== undefined && isInputLayer(first)) return first.batchShape
        if (first !== undefined && first.inputShape !== null) return [first.batchSize, ...first.inputShape]
        if (model.buildInputShape !== null) return model.buildInputShape
        return []
      }
      const layer = layerIndex === null ? undefined : model.layers[layerIndex]?.spec
      return layer !== undefined && isInputLayer(layer) ? layer.batchShape : []
    })
  )
}

interface LayerResult {
  readonly outputs: ReadonlyArray<SymbolicShape>
  readonly weights: ReadonlyArray<ModelWeight>
  readonly summary: ModelSummary | null
}

/** Infers one layer call (a registered kind, or a nested model). Errors are relative to the layer entry. */
const inferCall = (spec: AnyLayerSpec, inputs: ReadonlyArray<SymbolicShape>, name: string): Result<LayerResult> => {
  if (isModelSpec(spec)) {
    const r = inferModel(spec, { inputShapes: inputs, nested: true })
    return E.map((s: ModelSummary): LayerResult => ({
      outputs: s.outputShapes,
      weights: s.weights.map((w) => ({ ...w, path: `${name}/${w.path}`, trainable: w.trainable && spec.trainable })),
      summary: s
    }))(E.mapLeft((errs: ReadonlyArray<SpecError>) => errs.map((e) => ({ path: concatPaths('config', e.path), message: e.message })))(r))
  }
  if (isInputLayer(spec)) return E.left([specError('', 'an InputLayer can only be the first layer of a Sequential model')])
  const kind = findLayerKind(spec.className)
  if (kind === undefined) return E.left([specError('class_name', `no layer kind for class ${spec.className}`)])
  const r = kind.infer(spec, inputs)
  return E.map((l: { readonly outputShape: SymbolicShape; readonly weights: ReadonlyArray<WeightSpec> }): LayerResult => ({
    outputs: [l.outputShape],
    weights: l.weights.map((w) => ({ ...w, path: `${name}/${w.name}`, layer: name, trainable: w.trainable && spec.trainable })),
    summary: null
  }))(E.mapLeft((errs: ReadonlyArray<SpecError>) => errs.map((e) => ({ path: e.path === '' ? '' : concatPaths('config', e.path), message: e.message })))(r))
}

const countParams = (weights: ReadonlyArray<ModelWeight>): { params: number; trainable: number } => {
  let params = 0
  let trainable = 0
  for (const w of weights) {
    const n = sizeOf(w.shape)
    params += n
    if (w.trainable) trainable += n
  }
  return { params, trainable }
}

/**
 * Infers every layer's output shapes and parameters. Shapes include the batch axis; unknown dims are
 * `null` and flow through as in Keras.
 * @category inference
 */
export const inferModel = (model: ModelSpec, options: InferOptions & { readonly nested?: boolean } = {}): Result<ModelSummary> => {
  const plan = planOf(model)
  const errors: SpecError[] = []
  const declared = declaredInputs(model)
  if (E.isLeft(declared)) return declared
  const given = options.inputShapes
  if (given !== undefined && given.length !== plan.inputs.length) {
    return E.left([specError('', `the model has ${plan.inputs.length} input(s), found ${given.length} input shape(s)`)])
  }
  const inputShapes: SymbolicShape[] = []
  plan.inputs.forEach(({ layerIndex }, i) => {
    const d = declared.right[i] ?? []
    const g = given?.[i]
    const where = layerIndex === null ? '' : `layers[${layerIndex}]`
    if (g === undefined) {
      if (d.length === 0) {
        errors.push(specError(where, 'the model declares no input shape (no InputLayer, batch_input_shape or build_input_shape); give one (the CLI\'s --input-shape)'))
      }
      inputShapes.push(d)
    } else {
      if (d.length > 0 && !fits(d, g)) {
        errors.push(specError(where, `input shape ${showShape(g)} does not fit the declared input ${showShape(d)}`))
      }
      inputShapes.push(d.length > 0 && options.nested === true ? g.map((x, k) => x ?? d[k] ?? null) : g)
    }
  })
  if (errors.length > 0) return E.left(errors)

  const shapes = new Map<TensorKey, SymbolicShape>()
  plan.inputs.forEach((input, i) => shapes.set(input.key, inputShapes[i] as SymbolicShape))
  const rows = new Map<number, { outputs: SymbolicShape[]; weights: ReadonlyArray<ModelWeight>; connectedTo: string[] }>()
  for (const step of plan.steps) {
    const ins = step.inputs.map((k) => shapes.get(k))
    if (ins.some((s) => s === undefined)) continue // fed by a layer that failed: already reported
    const name = step.spec.name ?? `#${step.layerIndex}`
    const r = inferCall(step.spec, ins as SymbolicShape[], name)
    if (E.isLeft(r)) {
      errors.push(
        ...r.left.map((e) => ({
          path: concatPaths(step.path, e.path),
          message: `layer ${quoteText(name)} (${step.spec.className}): ${e.message}`
        }))
      )
      continue
    }
    r.right.outputs.forEach((s, t) => shapes.set(step.outputs[t] as TensorKey, s))
    const row = rows.get(step.layerIndex)
    if (row === undefined) {
      rows.set(step.layerIndex, {
        outputs: [...r.right.outputs],
        weights: r.right.weights,
        connectedTo: step.inputs.map((k) => {
          const [l, n, t] = k.split(':')
          return `${l}[${n}][${t}]`
        })
      })
    } else {
      // A shared layer: every call must need the same weights.
      const same = row.weights.length === r.right.weights.length && row.weights.every((w, i) => String(w.shape) === String(r.right.weights[i]?.shape))
      if (!same) errors.push(specError(step.path, `shared layer ${quoteText(name)} is called on inputs of incompatible shapes (its weights would differ between calls)`))
      row.outputs.push(...r.right.outputs)
    }
  }
  const outputShapes: SymbolicShape[] = []
  plan.outputs.forEach((k, i) => {
    const s = shapes.get(k)
    if (s === undefined) {
      if (errors.length === 0) errors.push(specError(`output_layers[${i}]`, `output ${k} cannot be computed from the model's inputs`))
    } else outputShapes.push(s)
  })
  if (errors.length > 0) return E.left(errors)

  const layerList = model.className === 'Sequential' ? model.layers : model.layers.map((l) => l.spec)
  const weights: ModelWeight[] = []
  const layers: LayerSummary[] = layerList.map((spec, i) => {
    const name = spec.name ?? `#${i}`
    if (isInputLayer(spec)) {
      const input = plan.inputs.findIndex((p) => p.layerIndex === i)
      return { name, className: 'InputLayer', outputShapes: [inputShapes[input] ?? spec.batchShape], params: 0, trainableParams: 0, nonTrainableParams: 0, connectedTo: [] }
    }
    const row = rows.get(i)
    const ws = row?.weights ?? []
    weights.push(...ws)
    const { params, trainable } = countParams(ws)
    return {
      name,
      className: spec.className,
      outputShapes: row?.outputs ?? [],
      params,
      trainableParams: trainable,
      nonTrainableParams: params - trainable,
      connectedTo: model.className === 'Sequential' ? [] : (row?.connectedTo ?? [])
    }
  })
  const totals = countParams(weights)
  return E.right({
    name: model.name ?? model.className.toLowerCase(),
    className: model.className,
    layers,
    inputShapes,
    outputShapes,
    weights,
    params: totals.params,
    trainableParams: totals.trainable,
    nonTrainableParams: totals.params - totals.trainable
  })
}
