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
import { findLayerKind } from './registry.js'
import type { AnyLayerSpec, CallArg, ModelSpec, Operands, OperationSpec } from './ModelSpec.js'
import { isInputLayer, isModelSpec, isOperation } from './ModelSpec.js'
import { bindOperands } from '../ops/OpKind.js'
import { findOpKind } from '../ops/registry.js'
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
  /**
   * Present (true) when its layer or a model around it has `trainable: false`: the layer runs in
   * inference mode in training (BatchNormalization), whatever its weights' own flags.
   */
  readonly frozen?: true
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
      weights: s.weights.map((w) => ({ ...w, path: `${name}/${w.path}`, trainable: w.trainable && spec.trainable, ...(w.frozen === true || !spec.trainable ? { frozen: true as const } : {}) })),
      summary: s
    }))(E.mapLeft((errs: ReadonlyArray<SpecError>) => errs.map((e) => ({ path: concatPaths('config', e.path), message: e.message })))(r))
  }
  if (isInputLayer(spec)) return E.left([specError('', 'an InputLayer can only be the first layer of a Sequential model')])
  const kind = findLayerKind(spec.className)
  if (kind === undefined) return E.left([specError('class_name', `no layer kind for class ${spec.className}`)])
  const r = kind.infer(spec, inputs)
  return E.map((l: { readonly outputShape: SymbolicShape; readonly weights: ReadonlyArray<WeightSpec> }): LayerResult => ({
    outputs: [l.outputShape],
    weights: l.weights.map((w) => ({ ...w, path: `${name}/${w.name}`, layer: name, trainable: w.trainable && spec.trainable, ...(spec.trainable ? {} : { frozen: true as const }) })),
    summary: null
  }))(E.mapLeft((errs: ReadonlyArray<SpecError>) => errs.map((e) => ({ path: e.path === '' ? '' : concatPaths('config', e.path), message: e.message })))(r))
}

/**
 * Infers one call of an operation: its node's arguments bound to the operation's parameters, then
 * Keras's shape rule. Errors are relative to the graph entry (`config.axis`, `inbound_nodes[0].args[1]`).
 */
const inferOperation = (spec: OperationSpec, operands: Operands | undefined, node: number, inputs: ReadonlyArray<SymbolicShape>): Result<LayerResult> => {
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined || operands === undefined) return E.left([specError('class_name', `no operation ${quoteText(spec.className)} of ${quoteText(spec.module)} with its arguments`)])
  const bound = bindOperands(kind, operands, inputs, `inbound_nodes[${node}]`)
  if (E.isLeft(bound)) return bound
  return E.map((outputShape: SymbolicShape): LayerResult => ({ outputs: [outputShape], weights: [], summary: null }))(kind.infer(spec.args, bound.right))
}

/** How messages name a graph entry: `layer "conv" (Conv2D)`, `operation "add" (Add)`. */
export const entryLabel = (spec: AnyLayerSpec, name: string): string => `${isOperation(spec) ? 'operation' : 'layer'} ${quoteText(name)} (${spec.className})`

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
  const r = inferSteps(model, options)
  return E.isLeft(r) ? r : summarize(model, r.right)
}

/**
 * The inferred shape of every tensor of a model's graph (`layer:node:tensor`) that can be inferred,
 * even when others cannot (`encodeModel` writes them into Keras 3's `__keras_tensor__` references).
 * @category inference
 */
export const tensorShapes = (model: ModelSpec): ReadonlyMap<TensorKey, SymbolicShape> => {
  const r = inferSteps(model, {})
  return E.isLeft(r) ? new Map() : r.right.shapes
}

/** The dtype of a layer's outputs under its policy (`mixed_float16` computes in float16). */
const computeDType = (policy: string): string => (policy === 'mixed_float16' ? 'float16' : policy === 'mixed_bfloat16' ? 'bfloat16' : policy)

/** The float dtypes by width, for Keras's promotion of float operands (float16 with bfloat16 gives float32). */
const promoteFloats = (dtypes: ReadonlyArray<string>): string => {
  const floats = new Set(dtypes.filter((d) => d.startsWith('float') || d === 'bfloat16'))
  if (floats.has('float64')) return 'float64'
  if (floats.has('float32') || (floats.has('float16') && floats.has('bfloat16'))) return 'float32'
  return floats.has('float16') ? 'float16' : floats.has('bfloat16') ? 'bfloat16' : 'float32'
}

/**
 * The dtype Keras gives every tensor of a model's graph (`layer:node:tensor`): an input its
 * InputLayer's dtype, a layer's output its policy's compute dtype, an operation's output the
 * promotion of its float tensors and array constants (a Python number takes the tensors' dtype), a
 * cast its target (`encodeModel` writes them into `__keras_tensor__` references).
 * @category inference
 */
export const tensorDTypes = (model: ModelSpec): ReadonlyMap<TensorKey, string> => {
  const plan = planOf(model)
  const dtypes = new Map<TensorKey, string>()
  plan.inputs.forEach((input) => {
    const spec = input.layerIndex === null ? undefined : model.className === 'Sequential' ? model.layers[input.layerIndex] : model.layers[input.layerIndex]?.spec
    dtypes.set(input.key, spec === undefined ? 'float32' : computeDType(spec.dtype))
  })
  for (const step of plan.steps) {
    const spec = step.spec
    if (isModelSpec(spec)) {
      const inner = tensorDTypes(spec)
      planOf(spec).outputs.forEach((k, t) => dtypes.set(step.outputs[t] as TensorKey, inner.get(k) ?? 'float32'))
    } else if (isOperation(spec)) {
      const arrays: string[] = []
      const walk = (args: ReadonlyArray<CallArg>): void => {
        for (const a of args) {
          if (a.kind === 'array') arrays.push(a.dtype)
          else if (a.kind === 'list') walk(a.items)
        }
      }
      walk(step.operands?.args ?? [])
      walk((step.operands?.kwargs ?? []).map(([, a]) => a))
      const cast = spec.className === 'Cast' ? (spec.args as { readonly dtype?: unknown }).dtype : undefined
      const dtype = typeof cast === 'string' ? cast : promoteFloats([...step.inputs.map((k) => dtypes.get(k) ?? 'float32'), ...arrays])
      step.outputs.forEach((k) => dtypes.set(k, dtype))
    } else step.outputs.forEach((k) => dtypes.set(k, computeDType(spec.dtype)))
  }
  return dtypes
}

interface Steps {
  readonly plan: ReturnType<typeof planOf>
  readonly errors: ReadonlyArray<SpecError>
  readonly shapes: ReadonlyMap<TensorKey, SymbolicShape>
  readonly rows: ReadonlyMap<number, { outputs: SymbolicShape[]; weights: ReadonlyArray<ModelWeight>; connectedTo: string[] }>
  readonly inputShapes: ReadonlyArray<SymbolicShape>
}

/** Runs shape inference over the plan's steps: every shape it can infer, and every error. */
const inferSteps = (model: ModelSpec, options: InferOptions & { readonly nested?: boolean }): Result<Steps> => {
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
    const r = isOperation(step.spec) ? inferOperation(step.spec, step.operands, step.node, ins as SymbolicShape[]) : inferCall(step.spec, ins as SymbolicShape[], name)
    if (E.isLeft(r)) {
      errors.push(
        ...r.left.map((e) => ({
          path: concatPaths(step.path, e.path),
          message: `${entryLabel(step.spec, name)}: ${e.message}`
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
  return E.right({ plan, errors, shapes, rows, inputShapes })
}

/** The summary of a model from its inferred steps, or every error found. */
const summarize = (model: ModelSpec, steps: Steps): Result<ModelSummary> => {
  const { plan, shapes, rows, inputShapes } = steps
  const errors = [...steps.errors]
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
