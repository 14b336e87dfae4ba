/**
 * `Plan`: a model flattened into the order its layer calls run — the one place graph structure is
 * turned into steps, shared by shape inference and the compiler. A Sequential model is a chain; a
 * functional model's nodes are sorted topologically (stable: file order where free).
 */
import type { AnyLayerSpec, FunctionalSpec, GraphLayer, ModelSpec, SequentialSpec, TensorRef } from './ModelSpec.js'
import { isInputLayer } from './ModelSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A tensor of the plan: `layer:node:tensor`. */
export type TensorKey = string

/**
 * One layer call: which layer (by index in `model.layers`), which of its calls, its input and output
 * tensors, and the path of the layer entry relative to the model's config (`layers[3]`).
 * @category model
 */
export interface Step {
  readonly layerIndex: number
  readonly node: number
  readonly spec: AnyLayerSpec
  readonly inputs: ReadonlyArray<TensorKey>
  /** Whether the layer receives its inputs as a list (merge layers). */
  readonly asList: boolean
  readonly outputs: ReadonlyArray<TensorKey>
  readonly path: string
}

/**
 * A model as steps. `inputs` are the model's input tensors with the InputLayer (if any) that declares
 * each, `outputs` its output tensors.
 * @category model
 */
export interface Plan {
  readonly inputs: ReadonlyArray<{ readonly key: TensorKey; readonly layerIndex: number | null }>
  readonly outputs: ReadonlyArray<TensorKey>
  readonly steps: ReadonlyArray<Step>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** The key of a referenced tensor. */
export const keyOf = (ref: TensorRef): TensorKey => `${ref.layer}:${ref.node}:${ref.tensor}`

/** Number of output tensors of a layer spec (a nested functional model may have several). */
export const outputCountOf = (spec: AnyLayerSpec): number =>
  spec.className === 'Functional' ? (spec as FunctionalSpec).outputs.length : 1

const layerKey = (spec: AnyLayerSpec, index: number): string => spec.name ?? `#${index}`

const sequentialPlan = (model: SequentialSpec): Plan => {
  const first = model.layers[0]
  const hasInputLayer = first !== undefined && isInputLayer(first)
  const inputKey = hasInputLayer ? `${layerKey(first, 0)}:0:0` : '$input:0:0'
  let current = inputKey
  const steps: Step[] = []
  model.layers.forEach((spec, i) => {
    if (i === 0 && hasInputLayer) return
    const out = `${layerKey(spec, i)}:0:0`
    steps.push({ layerIndex: i, node: 0, spec, inputs: [current], asList: false, outputs: [out], path: `layers[${i}]` })
    current = out
  })
  return { inputs: [{ key: inputKey, layerIndex: hasInputLayer ? 0 : null }], outputs: [current], steps }
}

const functionalPlan = (model: FunctionalSpec): Plan => {
  // Kahn's algorithm over (layer, node) pairs, taking ready nodes in file order.
  const layers: ReadonlyArray<GraphLayer> = model.layers
  const produced = new Set<TensorKey>()
  const inputs = model.inputs.map((ref) => ({ key: keyOf(ref), layerIndex: layers.findIndex((l) => l.spec.name === ref.layer) }))
  for (const i of inputs) produced.add(i.key)
  const pending: Array<{ readonly layerIndex: number; readonly node: number }> = []
  layers.forEach((l, i) => {
    if (!isInputLayer(l.spec)) l.inbound.forEach((_n, node) => pending.push({ layerIndex: i, node }))
  })
  const steps: Step[] = []
  let progress = true
  while (pending.length > 0 && progress) {
    progress = false
    for (let p = 0; p < pending.length; p++) {
      const { layerIndex, node } = pending[p] as { layerIndex: number; node: number }
      const layer = layers[layerIndex] as GraphLayer
      const call = layer.inbound[node]
      if (call === undefined) continue
      const ins = call.args.map(keyOf)
      if (!ins.every((k) => produced.has(k))) continue
      const name = layerKey(layer.spec, layerIndex)
      const outs = Array.from({ length: outputCountOf(layer.spec) }, (_, t) => `${name}:${node}:${t}`)
      steps.push({ layerIndex, node, spec: layer.spec, inputs: ins, asList: call.asList, outputs: outs, path: `layers[${layerIndex}]` })
      for (const k of outs) produced.add(k)
      pending.splice(p, 1)
      p--
      progress = true
    }
  }
  // Nodes left pending cannot be reached from the inputs; the decoder rejects cycles and unknown
  // references, so these are calls on tensors no input produces (they do not affect the outputs).
  return { inputs, outputs: model.outputs.map(keyOf), steps }
}

/**
 * The plan of a model.
 * @category constructors
 */
export const planOf = (model: ModelSpec): Plan => (model.className === 'Sequential' ? sequentialPlan(model) : functionalPlan(model))
