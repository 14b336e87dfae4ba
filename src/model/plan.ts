/**
 * `Plan`: a model flattened into the order its layer calls run — the one place graph structure is
 * turned into steps, shared by shape inference and the compiler. A Sequential model is a chain; a
 * functional model's nodes are sorted topologically (stable: file order where free).
 */
import type { AnyLayerSpec, FunctionalSpec, GraphLayer, ModelSpec, Operands, SequentialSpec, TensorRef } from './ModelSpec.js'
import { isInputLayer, isModelSpec } from './ModelSpec.js'

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
  /** An operation node's arguments (tensors as indices into `inputs`, and constants). */
  readonly operands?: Operands
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
  spec.className === 'Functional' && isModelSpec(spec) ? (spec as FunctionalSpec).outputs.length : 1

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

/** A min-heap of numbers (file positions of ready calls). */
const heapOf = (items: ReadonlyArray<number>): { readonly push: (n: number) => void; readonly pop: () => number | undefined; readonly size: () => number } => {
  const h: number[] = []
  const push = (n: number): void => {
    h.push(n)
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if ((h[parent] as number) <= (h[i] as number)) break
      ;[h[parent], h[i]] = [h[i] as number, h[parent] as number]
      i = parent
    }
  }
  const pop = (): number | undefined => {
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && (h[l] as number) < (h[m] as number)) m = l
        if (r < h.length && (h[r] as number) < (h[m] as number)) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i] as number, h[m] as number]
        i = m
      }
    }
    return top
  }
  for (const n of items) push(n)
  return { push, pop, size: () => h.length }
}

const functionalPlan = (model: FunctionalSpec): Plan => {
  // Kahn's algorithm over (layer, node) pairs, taking ready nodes in file order: passes over the
  // pending calls in file order, each taking every call whose inputs exist when the scan reaches it.
  // Run with a count of missing inputs per call and a heap of ready calls by file position (a call
  // made ready by one at a later position waits for the next pass), so any file order costs
  // O(n log n): plain passes cost O(n²) for a chain listed in reverse.
  const layers: ReadonlyArray<GraphLayer> = model.layers
  const produced = new Set<TensorKey>()
  const inputs = model.inputs.map((ref) => ({ key: keyOf(ref), layerIndex: layers.findIndex((l) => l.spec.name === ref.layer) }))
  for (const i of inputs) produced.add(i.key)
  const calls: Array<{ readonly layerIndex: number; readonly node: number; readonly ins: ReadonlyArray<TensorKey>; missing: number }> = []
  // Which pending calls (by position) wait for each tensor.
  const waiting = new Map<TensorKey, number[]>()
  layers.forEach((l, layerIndex) => {
    if (isInputLayer(l.spec)) return
    l.inbound.forEach((call, node) => {
      const ins = call.args.map(keyOf)
      const missing = new Set(ins.filter((k) => !produced.has(k)))
      for (const k of missing) {
        const w = waiting.get(k)
        if (w === undefined) waiting.set(k, [calls.length])
        else w.push(calls.length)
      }
      calls.push({ layerIndex, node, ins, missing: missing.size })
    })
  })
  const steps: Step[] = []
  let pass = heapOf(calls.flatMap((c, pos) => (c.missing === 0 ? [pos] : [])))
  while (pass.size() > 0) {
    const next: number[] = []
    for (let pos = pass.pop(); pos !== undefined; pos = pass.pop()) {
      const { layerIndex, node, ins } = calls[pos] as (typeof calls)[number]
      const layer = layers[layerIndex] as GraphLayer
      const call = layer.inbound[node] as GraphLayer['inbound'][number]
      const name = layerKey(layer.spec, layerIndex)
      const outs = Array.from({ length: outputCountOf(layer.spec) }, (_, t) => `${name}:${node}:${t}`)
      steps.push({
        layerIndex,
        node,
        spec: layer.spec,
        inputs: ins,
        asList: call.asList,
        outputs: outs,
        path: `layers[${layerIndex}]`,
        ...(call.operands === undefined ? {} : { operands: call.operands })
      })
      for (const k of outs) {
        if (produced.has(k)) continue
        produced.add(k)
        for (const q of waiting.get(k) ?? []) {
          const c = calls[q] as (typeof calls)[number]
          c.missing--
          if (c.missing === 0) {
            if (q > pos) pass.push(q)
            else next.push(q)
          }
        }
      }
    }
    pass = heapOf(next)
  }
  // Calls never taken cannot be reached from the inputs; the decoder rejects cycles and unknown
  // references, so these are calls on tensors no input produces (they do not affect the outputs).
  return { inputs, outputs: model.outputs.map(keyOf), steps }
}

/**
 * The plan of a model.
 * @category constructors
 */
export const planOf = (model: ModelSpec): Plan => (model.className === 'Sequential' ? sequentialPlan(model) : functionalPlan(model))
