/**
 * `ModelSpec`: a Keras model as data — a `Sequential` list of layers or a `Functional` graph of layer
 * calls — with every layer decoded into its normalized spec. Models nest: a model is also a layer.
 */
import type { BaseLayerSpec } from '../layers/base.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import type { OperationSpec } from '../ops/OperationSpec.js'

export type { OperationSpec } from '../ops/OperationSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A reference to one output tensor of one call of a layer: Keras's `[layer_name, node_index, tensor_index]`,
 * except that `node` always counts the layer's calls from 0. (In files, a nested model built with an
 * input numbers its first call 1, its own build call being node 0; see {@link nodeOffset}.)
 * @category model
 */
export interface TensorRef {
  readonly layer: string
  readonly node: number
  readonly tensor: number
}

/**
 * One call of a layer in a functional graph: its input tensors (one, or a list for merge layers)
 * and the keyword arguments Keras recorded (kept as JSON). For an operation node (Keras 3's
 * `keras.src.ops.*` calls, {@link OperationSpec}), `args` lists every tensor the call reads, in the
 * order they appear, and `operands` holds the call's arguments as Keras recorded them, tensors and
 * constants; its `kwargs` is then `{}`.
 * @category model
 */
export interface NodeCall {
  /** The tensors the call reads: what the graph's order, checks and "Connected to" follow. */
  readonly args: ReadonlyArray<TensorRef>
  /** `true` when the layer was called on a list (merge layers), even of one tensor. */
  readonly asList: boolean
  readonly kwargs: Readonly<Record<string, unknown>>
  /** Operation nodes only: the positional and keyword arguments, tensors as indices into `args`. */
  readonly operands?: Operands
}

/**
 * The arguments of an operation call, in Keras's `{"args": [...], "kwargs": {...}}` form: positional
 * arguments in order, keyword arguments as `[name, argument]` pairs in the file's order.
 * @category model
 */
export interface Operands {
  readonly args: ReadonlyArray<CallArg>
  readonly kwargs: ReadonlyArray<readonly [string, CallArg]>
}

/**
 * One argument of an operation call, as Keras serialized it:
 * - `tensor`: a `__keras_tensor__`, by its index in the call's `args` (`NodeCall.args[index]`);
 * - `scalar`: a Python `int`, `float` or `bool` (a JSON number or boolean), or `None` (`null`);
 * - `list`: a Python list or tuple of arguments (`ops.concatenate([a, b])`);
 * - `array`: a NumPy array or a backend tensor constant (`{"class_name": "__numpy__" | "__tensor__",
 *   "config": {"value": nested lists, "dtype"}}`), its values flat in row-major order.
 * @category model
 */
export type CallArg =
  | { readonly kind: 'tensor'; readonly index: number }
  | { readonly kind: 'scalar'; readonly value: number | boolean | null }
  | { readonly kind: 'list'; readonly items: ReadonlyArray<CallArg> }
  | ArrayConstant

/**
 * A NumPy array or backend tensor written into a node's arguments (`__numpy__` / `__tensor__`): its
 * dtype as Keras names it, its shape, and its values flat in row-major order (booleans as 0 and 1).
 * @category model
 */
export interface ArrayConstant {
  readonly kind: 'array'
  readonly wrapper: '__numpy__' | '__tensor__'
  readonly dtype: string
  readonly shape: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

/**
 * Keras's `InputLayer`: the batch shape of a model input (batch axis first, unknown dims `null`).
 * @category model
 */
export interface InputLayerSpec extends BaseLayerSpec {
  readonly className: 'InputLayer'
  readonly batchShape: SymbolicShape
  readonly sparse: boolean
  readonly ragged: boolean
}

/** Any layer spec: a registered layer kind's spec, an InputLayer, a nested model, or an operation. */
export type AnyLayerSpec = BaseLayerSpec | InputLayerSpec | ModelSpec | OperationSpec

/**
 * A `Sequential` model: layers applied in order. The input shape comes from a leading `InputLayer`,
 * else the first layer's declared input shape, else `build_input_shape`.
 * @category model
 */
export interface SequentialSpec extends BaseLayerSpec {
  readonly className: 'Sequential'
  readonly layers: ReadonlyArray<AnyLayerSpec>
  /** `build_input_shape` (TF 2.0–2.2, Keras 3), batch axis first. */
  readonly buildInputShape: SymbolicShape | null
}

/**
 * A layer of a functional graph and the calls made to it (several for a shared layer).
 * @category model
 */
export interface GraphLayer {
  readonly spec: AnyLayerSpec
  readonly inbound: ReadonlyArray<NodeCall>
}

/**
 * A functional model (`Model` ≤ TF 2.3, `Functional` after): a graph of layer calls from `inputs` to
 * `outputs`.
 * @category model
 */
export interface FunctionalSpec extends BaseLayerSpec {
  readonly className: 'Functional'
  readonly layers: ReadonlyArray<GraphLayer>
  readonly inputs: ReadonlyArray<TensorRef>
  readonly outputs: ReadonlyArray<TensorRef>
}

/**
 * A Keras model.
 * @category model
 */
export type ModelSpec = SequentialSpec | FunctionalSpec

/**
 * True for a nested model spec.
 * @category refinements
 */
export const isModelSpec = (s: AnyLayerSpec): s is ModelSpec => (s.className === 'Sequential' || s.className === 'Functional') && !isOperation(s)

/**
 * True for an InputLayer spec.
 * @category refinements
 */
export const isInputLayer = (s: AnyLayerSpec): s is InputLayerSpec => s.className === 'InputLayer' && !isOperation(s)

/**
 * True for an operation node's spec (Keras 3's `keras.src.ops.*`): never a layer, whatever its class name.
 * @category refinements
 */
export const isOperation = (s: AnyLayerSpec): s is OperationSpec => (s as Partial<OperationSpec>).kind === 'operation'

/**
 * How files number the calls of a layer: Keras and TensorFlow.js skip a nested model's own first node
 * (the one linking its inputs to its outputs) when it was built with an input, so its first call in the
 * outer graph is node 1. tf.keras 2.x does so for a nested functional model and for a nested Sequential
 * whose first layer is an InputLayer or declares an input shape; Keras 3 only for a nested functional
 * model (its Sequential is not a Functional subclass).
 * @category utils
 */
export const nodeOffset = (spec: AnyLayerSpec, dialect: BaseLayerSpec['dialect']): number => {
  if (spec.className === 'Functional') return 1
  if (spec.className !== 'Sequential' || dialect === 'keras3') return 0
  const first = (spec as SequentialSpec).layers[0]
  return first !== undefined && (isInputLayer(first) || first.inputShape !== null) ? 1 : 0
}
