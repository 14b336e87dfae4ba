/**
 * Lowering: a model spec → a {@link Graph}. Nested models are inlined (their layers become nodes of
 * the one graph, their params the matching slice); every layer and operation call is compiled once by
 * its own kind for its per-sample input shapes, which checks it exactly as the per-layer interpreter
 * does and gives its output shape; convolutions and Dense move their activation into the epilogue
 * (their spec is lowered with `activation: 'linear'`), so that passes and kernels see it as a stage.
 * With `family` (the model compiler's lowering), the convolution family and the 1-D spatial layers
 * become the nodes of lowerFamily.ts.
 */
import * as E from 'fp-ts/lib/Either.js'
import { quote, quoteText } from '../core/describe.js'
import { nameTable } from '../core/NameTable.js'
import { concatPaths, specError, type SpecError } from '../core/SpecError.js'
import { deepFreeze } from '../core/deepFreeze.js'
import { MAX_ELEMENTS } from '../geometry/ConvGeometry.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { findLayerKind } from '../model/registry.js'
import { entryLabel, inferModel } from '../model/infer.js'
import type { AnyLayerSpec, ModelSpec, OperationSpec } from '../model/ModelSpec.js'
import { isModelSpec, isOperation } from '../model/ModelSpec.js'
import { planOf, type TensorKey } from '../model/plan.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import { bindOperands } from '../ops/OpKind.js'
import { findOpKind } from '../ops/registry.js'
import type { Activation } from '../codec/Activation.js'
import type { Graph, Node, NodeKind, Stage, Value, ValueId } from './Graph.js'
import { unaryOfActivation } from './Unary.js'
import { param, type WeightExpr } from './WeightExpr.js'
import { FAMILY_WITH_ACTIVATION, lowerFamilyLayer } from './lowerFamily.js'

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** The node kind of a layer class (every other class is a `layer` node, run by its reference). */
const KIND_OF_CLASS = nameTable<NodeKind>({
  Conv2D: 'conv',
  DepthwiseConv2D: 'conv',
  Dense: 'dense',
  MaxPooling2D: 'pool',
  AveragePooling2D: 'pool',
  GlobalAveragePooling2D: 'globalPool',
  GlobalMaxPooling2D: 'globalPool',
  BatchNormalization: 'batchNorm',
  Activation: 'unary',
  ReLU: 'unary',
  LeakyReLU: 'unary',
  Add: 'merge',
  Subtract: 'merge',
  Multiply: 'merge',
  Average: 'merge',
  Maximum: 'merge',
  Minimum: 'merge',
  Concatenate: 'concat',
  ZeroPadding2D: 'pad',
  Cropping2D: 'crop',
  UpSampling2D: 'upsample',
  Softmax: 'softmax',
  Dropout: 'identity',
  SpatialDropout2D: 'identity',
  RandomFlip: 'identity',
  RandomRotation: 'identity',
  RandomZoom: 'identity',
  RandomTranslation: 'identity',
  RandomContrast: 'identity',
  RandomBrightness: 'identity',
  RandomHeight: 'identity',
  RandomWidth: 'identity',
  Reshape: 'alias'
})

/** Layers whose own activation lowering moves into the epilogue. */
const HAS_ACTIVATION = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense'])

/** The node kind of a layer spec. */
const kindOf = (spec: AnyLayerSpec): NodeKind => {
  if (spec.className === 'Flatten') {
    // Flatten of a channels_first input transposes to channels_last first: not a view.
    return (spec as { readonly dataFormat?: string }).dataFormat === 'channels_first' ? 'layer' : 'alias'
  }
  if (spec.className === 'Activation') {
    const a = (spec as { readonly activation?: Activation }).activation
    return a === 'softmax' || a === 'log_softmax' || a === 'sparsemax' ? 'layer' : 'unary'
  }
  return KIND_OF_CLASS.get(spec.className) ?? 'layer'
}

interface Builder {
  readonly values: Value[]
  readonly nodes: Node[]
  readonly errors: SpecError[]
  readonly dtype: FloatDType
  readonly options: LowerOptions
}

/**
 * Options of {@link lowerModel}.
 * @category compile
 */
export interface LowerOptions {
  /**
   * Lower the convolution family and the 1-D spatial layers onto the compiler's nodes (lowerFamily.ts:
   * rank-1 layers as their 2-D selves on height-1 views, separable layers as two convolutions,
   * Conv3D and the transposed ones as `convNd`); `false` (the default, as the trainer lowers): each is
   * one `layer` node run by its reference. The model compiler lowers with `true`.
   */
  readonly family?: boolean
}

const newValue = (b: Builder, shape: ReadonlyArray<number>): ValueId => {
  const id = b.values.length
  b.values.push({ id, shape: [...shape], size: sizeOf(shape) })
  return id
}

const knownShape = (shape: SymbolicShape, what: string, path: string): Result<ReadonlyArray<number>> =>
  shape.slice(1).every((d) => d !== null)
    ? E.right(shape.slice(1) as ReadonlyArray<number>)
    : E.left([specError(path, `${what} has unknown dimensions ${quote(shape)}; give the per-sample input shape to compile (the CLI's --input-shape)`)])

/** An operation's output shape for its inputs, checked by its kind (as the interpreter compiles it). */
const operationShape = (spec: OperationSpec, node: Node['operands'], nodeIndex: number, inputs: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): Result<ReadonlyArray<number>> => {
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined || node === undefined) return E.left([specError('class_name', `no operation ${quoteText(spec.className)} of ${quoteText(spec.module)} with its arguments`)])
  const bound = bindOperands(kind, node, inputs, `inbound_nodes[${nodeIndex}]`)
  if (E.isLeft(bound)) return bound
  return E.map((k: { readonly outputShape: ReadonlyArray<number> }) => k.outputShape)(kind.compile(spec.args, bound.right, { dtype }))
}

/**
 * Lowers `model` into `b`, its inputs being `inputs` (values of known shape); its params start at
 * `paramBase`. Paths are prefixed with `pathPrefix`, names with `namePrefix`. Returns the values of the
 * model's outputs.
 */
const lowerInto = (
  b: Builder,
  model: ModelSpec,
  inputs: ReadonlyArray<ValueId>,
  paramBase: number,
  pathPrefix: string,
  namePrefix: string
): ReadonlyArray<ValueId> | undefined => {
  const summaryE = inferModel(model, { inputShapes: inputs.map((v) => [null, ...(b.values[v] as Value).shape]) })
  if (E.isLeft(summaryE)) {
    b.errors.push(...summaryE.left.map((e) => ({ ...e, path: concatPaths(pathPrefix, e.path) })))
    return undefined
  }
  const summary = summaryE.right
  const plan = planOf(model)
  // where each layer's weights start in the params
  const layerList = model.className === 'Sequential' ? model.layers : model.layers.map((l) => l.spec)
  const offsets: number[] = []
  const counts: number[] = []
  let offset = paramBase
  layerList.forEach((spec, i) => {
    const name = spec.name ?? `#${i}`
    const count = summary.weights.filter((w) => w.path === name || w.path.startsWith(`${name}/`)).length
    offsets.push(offset)
    counts.push(count)
    offset += count
  })
  const valueOf = new Map<TensorKey, ValueId>()
  plan.inputs.forEach((input, i) => valueOf.set(input.key, inputs[i] as ValueId))
  for (const step of plan.steps) {
    const ins = step.inputs.map((k) => valueOf.get(k))
    if (ins.some((v) => v === undefined)) continue
    const inValues = ins as ValueId[]
    const inShapes = inValues.map((v) => (b.values[v] as Value).shape)
    const path = concatPaths(pathPrefix, step.path)
    const name = `${namePrefix}${step.spec.name ?? `#${step.layerIndex}`}`
    const label = entryLabel(step.spec, step.spec.name ?? '')
    const fail = (errors: ReadonlyArray<SpecError>, relativeToConfig: boolean): void => {
      b.errors.push(...errors.map((e) => ({ path: concatPaths(path, e.path === '' || !relativeToConfig ? e.path : concatPaths('config', e.path)), message: `${label}: ${e.message}` })))
    }
    const spec = step.spec
    if (isModelSpec(spec)) {
      const outs = lowerInto(b, spec, inValues, offsets[step.layerIndex] ?? 0, concatPaths(path, 'config'), `${name}/`)
      if (outs === undefined) continue
      outs.forEach((v, t) => valueOf.set(step.outputs[t] as TensorKey, v))
      continue
    }
    let outShape: ReadonlyArray<number>
    if (isOperation(spec)) {
      const r = operationShape(spec, step.operands, step.node, inShapes, b.dtype)
      if (E.isLeft(r)) {
        fail(r.left, false)
        continue
      }
      outShape = r.right
    } else {
      const kind = findLayerKind(spec.className)
      if (kind === undefined) {
        fail([specError('', `no layer kind for class ${quoteText(spec.className)}`)], true)
        continue
      }
      const c = kind.compile(spec, inShapes, { dtype: b.dtype })
      if (E.isLeft(c)) {
        fail(c.left, true)
        continue
      }
      outShape = c.right.outputShape
    }
    if (sizeOf(outShape) > MAX_ELEMENTS) {
      b.errors.push(specError(path, `${label}: one sample's output ${quote(outShape)} has ${sizeOf(outShape)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
      continue
    }
    const first = offsets[step.layerIndex] ?? 0
    // an unnamed layer's weights are `#<index>/…` in the summary (as the params offsets above count them)
    const layerName = spec.name ?? `#${step.layerIndex}`
    const layerWeights = summary.weights.filter((w) => w.path === layerName || w.path.startsWith(`${layerName}/`))
    const weights: WeightExpr[] = layerWeights.slice(0, counts[step.layerIndex] ?? 0).map((w, k) => param(first + k, w.shape))
    // A convolution's or Dense's activation becomes the first stage of its epilogue.
    let lowered: AnyLayerSpec = spec
    const stages: Stage[] = []
    if (!isOperation(spec) && (HAS_ACTIVATION.has(spec.className) || (b.options.family === true && FAMILY_WITH_ACTIVATION.has(spec.className)))) {
      const activation = (spec as unknown as { readonly activation: Activation }).activation
      const fn = unaryOfActivation(activation, spec.dialect)
      if (fn !== undefined) {
        lowered = deepFreeze({ ...spec, activation: 'linear' }) as AnyLayerSpec
        stages.push({ kind: 'unary', fn })
      }
    }
    const parts = b.options.family === true && !isOperation(spec) ? lowerFamilyLayer(lowered, inShapes[0], outShape, weights, stages) : undefined
    if (parts !== undefined) {
      let input = inValues
      let output = -1
      for (const part of parts) {
        output = newValue(b, part.outputShape ?? outShape)
        const nodeName = `${step.node === 0 ? name : `${name}#${step.node}`}${part.suffix}`
        b.nodes.push({
          id: b.nodes.length,
          kind: part.kind,
          spec: part.spec,
          path,
          name: nodeName,
          inputs: input,
          output,
          weights: part.weights,
          epilogue: { stages: part.stages },
          ...(part.view === undefined ? {} : { view: part.view }),
          ...(part.extraPadding === undefined ? {} : { extraPadding: part.extraPadding }),
          ...(part.spec.className === spec.className ? {} : { layerClass: spec.className }),
          ...(part.note === '' ? {} : { lowering: part.note }),
          notes: []
        })
        input = [output]
      }
      valueOf.set(step.outputs[0] as TensorKey, output)
      continue
    }
    const output = newValue(b, outShape)
    b.nodes.push({
      id: b.nodes.length,
      kind: isOperation(spec) ? 'layer' : kindOf(spec),
      spec: lowered,
      path,
      name: step.node === 0 ? name : `${name}#${step.node}`,
      inputs: inValues,
      output,
      weights,
      epilogue: { stages },
      ...(step.operands === undefined ? {} : { operands: step.operands }),
      notes: []
    })
    valueOf.set(step.outputs[0] as TensorKey, output)
  }
  const outs = plan.outputs.map((k) => valueOf.get(k))
  return outs.some((v) => v === undefined) ? undefined : (outs as ValueId[])
}

/**
 * Lowers a model for per-sample input shapes (default: the model's own, which must then be known),
 * checking every layer as the per-layer interpreter does; errors have paths relative to the model's
 * config.
 * @category compile
 */
export const lowerModel = (model: ModelSpec, inputShapes: ReadonlyArray<ReadonlyArray<number>> | undefined, dtype: FloatDType, options: LowerOptions = {}): Result<Graph> => {
  const summaryE = inferModel(model, inputShapes === undefined ? {} : { inputShapes: inputShapes.map((s) => [null, ...s]) })
  if (E.isLeft(summaryE)) return summaryE
  const summary = summaryE.right
  const errors: SpecError[] = []
  const ins: Array<ReadonlyArray<number>> = []
  summary.inputShapes.forEach((s, i) => {
    const k = knownShape(s, `input ${i}`, '')
    if (E.isLeft(k)) errors.push(...k.left)
    else ins.push(k.right)
  })
  summary.weights.forEach((w) => {
    if (sizeOf(w.shape) > MAX_ELEMENTS) {
      errors.push(specError('', `weight ${quoteText(w.path)} ${quote(w.shape)} has ${sizeOf(w.shape)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
    }
  })
  if (errors.length > 0) return E.left(errors)
  const b: Builder = { values: [], nodes: [], errors: [], dtype, options }
  const inputs = ins.map((s) => newValue(b, s))
  const outputs = lowerInto(b, model, inputs, 0, '', '')
  if (b.errors.length > 0 || outputs === undefined) return E.left(b.errors.length > 0 ? b.errors : [specError('', 'the model has outputs no layer computes')])
  return E.right({ dtype, values: b.values, nodes: b.nodes, inputs, outputs, paramCount: summary.weights.length })
}
