/**
 * `Graph`: the model compiler's intermediate form. A model (nested models inlined) becomes a flat list
 * of nodes in execution order over numbered values; every node keeps the normalized layer or
 * operation spec it came from (or an equivalent stand-in: a rank-1 layer as its 2-D self on a
 * height-1 {@link NodeView}, a separable layer as two convolutions; `layerClass` names the Keras
 * class), so kernels read Keras's meaning from the spec, and every node has a
 * reference implementation (the per-layer interpreter's compiled layer) that is both the oracle and
 * the fallback for nodes no fast kernel takes (compiled from the node's spec). Rewrite passes (src/compiler/passes/) map graphs to
 * graphs: they drop nodes, merge a node into its producer's epilogue, or change a node's weight
 * expressions; they never mutate a graph.
 */
import type { AnyLayerSpec, Operands } from '../model/ModelSpec.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import type { Unary } from './Unary.js'
import type { WeightExpr } from './WeightExpr.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A value (tensor) of the graph, by number. */
export type ValueId = number

/**
 * A tensor of the graph: its per-sample shape (no batch axis; the layout the layer's data format
 * gives it, row-major) and element count per sample.
 * @category model
 */
export interface Value {
  readonly id: ValueId
  readonly shape: ReadonlyArray<number>
  readonly size: number
}

/**
 * One stage of an epilogue: add another value of the same shape elementwise (a fused residual
 * `Add`), or apply an elementwise function.
 * @category model
 */
export type Stage = { readonly kind: 'add'; readonly value: ValueId } | { readonly kind: 'unary'; readonly fn: Unary }

/**
 * What a node does to its result before storing it, after its own arithmetic (a convolution's or
 * Dense's own arithmetic includes its bias): each stage in order — Keras's order: the layer's own
 * activation first (lowering moves it here), then a fused residual `+`, then a following activation
 * layer's function, ….
 * @category model
 */
export interface Epilogue {
  readonly stages: ReadonlyArray<Stage>
}

/** The epilogue of a node that does nothing after its own arithmetic. */
export const NO_EPILOGUE: Epilogue = Object.freeze({ stages: Object.freeze([]) })

/**
 * What a node computes, as far as the compiler's passes and kernels need to know. Every kind but
 * `layer` and `alias` is a family of Keras layers the compiler rewrites or has kernels for; `layer`
 * is any other layer or operation (run by its reference), `alias` a node whose output is its input's
 * memory (Reshape, Flatten of a contiguous tensor, and what identity removal leaves).
 * @category model
 */
export type NodeKind =
  | 'conv' // Conv2D, DepthwiseConv2D (a grouped convolution); Conv1D, DepthwiseConv1D and a separable layer's halves as those
  | 'convNd' // Conv3D, Conv1D/2D/3DTranspose (src/conv/kernel.ts compileConvNd)
  | 'dense' // Dense (over the last axis)
  | 'pool' // MaxPooling2D, AveragePooling2D (and the 1-D ones as those)
  | 'globalPool' // GlobalAveragePooling2D, GlobalMaxPooling2D (and the 1-D ones as those)
  | 'batchNorm' // BatchNormalization at inference (a per-channel affine)
  | 'unary' // Activation, ReLU, LeakyReLU, and elementwise operations of one tensor
  | 'merge' // Add, Subtract, Multiply, Average, Maximum, Minimum of equal shapes
  | 'concat' // Concatenate
  | 'pad' // ZeroPadding2D (and ZeroPadding1D as one)
  | 'crop' // Cropping2D (and Cropping1D as one)
  | 'upsample' // UpSampling2D (and UpSampling1D as one)
  | 'softmax' // Softmax
  | 'identity' // Dropout, SpatialDropout2D, Random* at inference (dropped by a pass)
  | 'alias' // Reshape, Flatten (row-major views)
  | 'layer' // anything else: its reference implementation runs

/**
 * Explicit zero padding of a convolution's input (rows then columns), added to what its spec's
 * `padding` gives: a folded ZeroPadding2D (the spec's padding is then `valid`).
 * @category model
 */
export interface ExtraPadding {
  readonly top: number
  readonly bottom: number
  readonly left: number
  readonly right: number
}

/**
 * The per-sample shapes a node's `spec` computes on, when they are not its values' own: a rank-1
 * layer lowered as its 2-D self reads `[L, C]` as the height-1 image `[1, L, C]` (`[C, L]` as
 * `[C, 1, L]`), the same elements in the same order. Values keep their Keras shapes (the memory plan,
 * the epilogue and the other nodes see those); kernels see these (`viewedGraph`).
 * @category model
 */
export interface NodeView {
  readonly inputs: ReadonlyArray<ReadonlyArray<number>>
  readonly output: ReadonlyArray<number>
}

/**
 * One call of a layer or operation.
 * @category model
 */
export interface Node {
  readonly id: number
  readonly kind: NodeKind
  /**
   * The layer or operation the node computes, as a normalized spec (Keras's meaning). Lowering and
   * passes may hand a node a changed copy of its layer's spec (a convolution's `activation` moved to
   * the epilogue, `useBias` turned on by a folded BatchNormalization); the reference kernel compiles
   * this spec with the layer kind's own compiler.
   */
  readonly spec: AnyLayerSpec
  /** The JSON path of its entry in the file's model config, for messages and the plan (`layers[3]`). */
  readonly path: string
  /** A name for the plan and profiles (`conv1`, `block1/add`). */
  readonly name: string
  readonly inputs: ReadonlyArray<ValueId>
  readonly output: ValueId
  /** Its weights as `spec` expects them (`kernel`, `bias`, …), as expressions of the model's params. */
  readonly weights: ReadonlyArray<WeightExpr>
  readonly epilogue: Epilogue
  /** An operation's call arguments (constants and which inputs go where), for operation nodes. */
  readonly operands?: Operands
  /** A convolution's folded zero padding (and a causal one's left padding). */
  readonly extraPadding?: ExtraPadding
  /** The shapes `spec` reads its inputs and writes its output as, when they differ from the values' (see {@link NodeView}). */
  readonly view?: NodeView
  /**
   * The Keras class the node computes when `spec` is an equivalent stand-in (`Conv1D` lowered as a
   * Conv2D, `SeparableConv2D` as a DepthwiseConv2D then a 1×1 Conv2D), for the plan.
   */
  readonly layerClass?: string
  /** How lowering mapped the layer onto this node, for the plan (`Conv1D as Conv2D on the height-1 view`). */
  readonly lowering?: string
  /** Passes that rewrote this node, in order (e.g. `fold-batch-norm(bn1)`), for the plan. */
  readonly notes: ReadonlyArray<string>
}

/**
 * A flat model: values, nodes in execution order, the model's inputs and outputs.
 * @category model
 */
export interface Graph {
  readonly dtype: FloatDType
  readonly values: ReadonlyArray<Value>
  readonly nodes: ReadonlyArray<Node>
  readonly inputs: ReadonlyArray<ValueId>
  readonly outputs: ReadonlyArray<ValueId>
  /** How many params the model takes (CompiledModel.weights). */
  readonly paramCount: number
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * For each value, the nodes that read it (as an input or an epilogue operand), in node order.
 * @category utils
 */
export const consumers = (g: Graph): ReadonlyMap<ValueId, ReadonlyArray<Node>> => {
  const out = new Map<ValueId, Node[]>()
  const add = (v: ValueId, n: Node): void => {
    const list = out.get(v)
    if (list === undefined) out.set(v, [n])
    else if (list[list.length - 1] !== n) list.push(n)
  }
  for (const n of g.nodes) {
    for (const v of n.inputs) add(v, n)
    for (const s of n.epilogue.stages) if (s.kind === 'add') add(s.value, n)
  }
  return out
}

/**
 * The node producing each value (model inputs have none).
 * @category utils
 */
export const producers = (g: Graph): ReadonlyMap<ValueId, Node> => new Map(g.nodes.map((n) => [n.output, n] as const))

/**
 * Whether a value is one the caller sees (a model output): passes never fold it away.
 * @category utils
 */
export const isModelOutput = (g: Graph, v: ValueId): boolean => g.outputs.includes(v)

/**
 * The graph with every use of value `from` (node inputs, epilogue operands, model outputs) replaced by
 * `to`, and the given nodes removed.
 * @category utils
 */
export const replaceValue = (g: Graph, from: ValueId, to: ValueId, remove: ReadonlySet<number> = new Set()): Graph => {
  const swap = (v: ValueId): ValueId => (v === from ? to : v)
  return {
    ...g,
    nodes: g.nodes
      .filter((n) => !remove.has(n.id))
      .map((n) =>
        n.inputs.includes(from) || n.epilogue.stages.some((s) => s.kind === 'add' && s.value === from)
          ? {
              ...n,
              inputs: n.inputs.map(swap),
              epilogue: { ...n.epilogue, stages: n.epilogue.stages.map((s) => (s.kind === 'add' ? { ...s, value: swap(s.value) } : s)) }
            }
          : n
      ),
    outputs: g.outputs.map(swap)
  }
}

/**
 * The graph as node `n`'s kernel sees it: its inputs and output with the shapes of its {@link NodeView}
 * (the same sizes), every other value as it is; the graph itself when the node has no view. Kernel
 * factories and the reference kernel read shapes through it (idempotent).
 * @category utils
 */
export const viewedGraph = (g: Graph, n: Node): Graph => {
  const view = n.view
  if (view === undefined) return g
  const values = [...g.values]
  const put = (v: ValueId, shape: ReadonlyArray<number>): void => {
    const old = values[v] as Value
    values[v] = { id: v, shape, size: old.size }
  }
  n.inputs.forEach((v, i) => put(v, view.inputs[i] ?? (g.values[v] as Value).shape))
  put(n.output, view.output)
  return { ...g, values }
}

/**
 * The per-sample shape node `n`'s spec reads its input `i` as (its view's, else the value's).
 * @category utils
 */
export const inputShapeOf = (g: Graph, n: Node, i: number): ReadonlyArray<number> => n.view?.inputs[i] ?? (g.values[n.inputs[i] as ValueId] as Value).shape

/**
 * The per-sample shape node `n`'s spec writes its output as (its view's, else the value's).
 * @category utils
 */
export const outputShapeOf = (g: Graph, n: Node): ReadonlyArray<number> => n.view?.output ?? (g.values[n.output] as Value).shape
