/**
 * The typed builder: models written in TypeScript with Keras's own layer names and arguments, producing
 * exactly the spec that decoding the equivalent Keras 3 JSON produces (the builder writes that JSON and
 * decodes it, so there is one validation path and the same errors with the same paths).
 *
 *   sequential([layers.conv2d({ filters: 32, kernel_size: 3, activation: 'relu' }), layers.flatten(), layers.dense({ units: 10 })],
 *              { input_shape: [28, 28, 1] })
 *
 *   const x = input([32, 32, 3], { name: 'image' })
 *   const h = apply(layers.conv2d({ filters: 16, kernel_size: 3, padding: 'same' }), x)
 *   const y = apply(layers.add(), [h, apply(layers.conv2d({ filters: 16, kernel_size: 1 }), x)])
 *   functional({ inputs: [x], outputs: [y] })
 */
import type * as E from 'fp-ts/lib/Either.js'
import type { SpecError } from '../core/SpecError.js'
import type { Activation } from '../codec/Activation.js'
import type { Dialect } from '../codec/Dialect.js'
import type { Conv2DArgs, ConstraintName, InitializerName, IntOrPairArg, RegularizerName, SerializedObject } from '../conv/conv2d.js'
import type { DataFormat, Padding } from '../geometry/DataFormat.js'
import { decodeModel } from './decodeModel.js'
import type { ModelSpec } from './ModelSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A layer as Keras JSON: its class and config (Keras argument names). Layers are values: applying the
 * same layer object twice in a functional model shares it (and its weights), as in Keras.
 * @category model
 */
export interface LayerJson<C extends string = string> {
  readonly class_name: C
  readonly config: Readonly<Record<string, unknown>>
}

/** Arguments every layer accepts. */
export interface BaseArgs {
  readonly name?: string
  readonly trainable?: boolean
  readonly dtype?: 'float32' | 'float64'
}

type Init = InitializerName | SerializedObject | null
type Reg = RegularizerName | SerializedObject | null
type Con = ConstraintName | SerializedObject | null
type Pad = Padding | Uppercase<Padding>

/** Arguments of the layers the builder names (Keras's names and forms). */
export interface DenseArgs extends BaseArgs {
  readonly units: number
  readonly activation?: Activation | 'swish' | 'hard_swish' | null
  readonly use_bias?: boolean
  readonly kernel_initializer?: Init
  readonly bias_initializer?: Init
  readonly kernel_regularizer?: Reg
  readonly bias_regularizer?: Reg
  readonly activity_regularizer?: Reg
  readonly kernel_constraint?: Con
  readonly bias_constraint?: Con
}
export interface PoolingArgs extends BaseArgs {
  readonly pool_size?: IntOrPairArg
  readonly strides?: IntOrPairArg | null
  readonly padding?: Pad
  readonly data_format?: DataFormat | null
}
export interface GlobalPoolingArgs extends BaseArgs {
  readonly data_format?: DataFormat | null
  readonly keepdims?: boolean
}
export interface DepthwiseConv2DArgs extends BaseArgs {
  readonly kernel_size: IntOrPairArg
  readonly strides?: IntOrPairArg
  readonly padding?: Pad
  readonly depth_multiplier?: number
  readonly data_format?: DataFormat | null
  readonly dilation_rate?: IntOrPairArg
  readonly activation?: Activation | null
  readonly use_bias?: boolean
  readonly depthwise_initializer?: Init
  readonly bias_initializer?: Init
  readonly depthwise_regularizer?: Reg
  readonly bias_regularizer?: Reg
  readonly activity_regularizer?: Reg
  readonly depthwise_constraint?: Con
  readonly bias_constraint?: Con
}
export interface BatchNormalizationArgs extends BaseArgs {
  readonly axis?: number | ReadonlyArray<number>
  readonly momentum?: number
  readonly epsilon?: number
  readonly center?: boolean
  readonly scale?: boolean
  readonly beta_initializer?: Init
  readonly gamma_initializer?: Init
  readonly moving_mean_initializer?: Init
  readonly moving_variance_initializer?: Init
}
type PaddingPairs = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]]

// -------------------------------------------------------------------------------------
// layer constructors
// -------------------------------------------------------------------------------------

/**
 * Any layer by its Keras class name and config (for classes without a typed constructor below).
 * @category constructors
 */
export const layer = <C extends string>(className: C, config: object = {}): LayerJson<C> => ({
  class_name: className,
  config: config as Readonly<Record<string, unknown>>
})

/**
 * Typed constructors for the layers layerspec runs, with Keras's argument names.
 * @category constructors
 */
export const layers = {
  conv2d: (args: Conv2DArgs) => layer('Conv2D', args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => layer('DepthwiseConv2D', args),
  dense: (args: DenseArgs) => layer('Dense', args),
  flatten: (args: BaseArgs & { readonly data_format?: DataFormat | null } = {}) => layer('Flatten', args),
  reshape: (args: BaseArgs & { readonly target_shape: ReadonlyArray<number> }) => layer('Reshape', args),
  activation: (args: BaseArgs & { readonly activation: Activation | 'swish' | 'hard_swish' }) => layer('Activation', args),
  relu: (args: BaseArgs & { readonly max_value?: number | null; readonly negative_slope?: number; readonly threshold?: number } = {}) => layer('ReLU', args),
  leakyRelu: (args: BaseArgs & { readonly negative_slope?: number } = {}) => layer('LeakyReLU', args),
  softmax: (args: BaseArgs & { readonly axis?: number | ReadonlyArray<number> } = {}) => layer('Softmax', args),
  dropout: (args: BaseArgs & { readonly rate: number; readonly seed?: number | null }) => layer('Dropout', args),
  spatialDropout2d: (args: BaseArgs & { readonly rate: number; readonly data_format?: DataFormat | null }) => layer('SpatialDropout2D', args),
  rescaling: (args: BaseArgs & { readonly scale: number | ReadonlyArray<number>; readonly offset?: number | ReadonlyArray<number> }) => layer('Rescaling', args),
  /** Keras 3's Normalization: `(x − mean) / max(√variance, 1e-7)` along `axis` (mean and variance here, or as weights). */
  normalization: (
    args: BaseArgs & {
      readonly axis?: number | ReadonlyArray<number> | null
      readonly mean?: number | ReadonlyArray<number> | null
      readonly variance?: number | ReadonlyArray<number> | null
      readonly invert?: boolean
    } = {}
  ) => layer('Normalization', args),
  maxPooling2d: (args: PoolingArgs = {}) => layer('MaxPooling2D', args),
  averagePooling2d: (args: PoolingArgs = {}) => layer('AveragePooling2D', args),
  globalAveragePooling2d: (args: GlobalPoolingArgs = {}) => layer('GlobalAveragePooling2D', args),
  globalMaxPooling2d: (args: GlobalPoolingArgs = {}) => layer('GlobalMaxPooling2D', args),
  zeroPadding2d: (args: BaseArgs & { readonly padding?: PaddingPairs; readonly data_format?: DataFormat | null } = {}) => layer('ZeroPadding2D', args),
  cropping2d: (args: BaseArgs & { readonly cropping?: PaddingPairs; readonly data_format?: DataFormat | null } = {}) => layer('Cropping2D', args),
  upSampling2d: (args: BaseArgs & { readonly size?: IntOrPairArg; readonly interpolation?: 'nearest' | 'bilinear'; readonly data_format?: DataFormat | null } = {}) =>
    layer('UpSampling2D', args),
  batchNormalization: (args: BatchNormalizationArgs = {}) => layer('BatchNormalization', args),
  add: (args: BaseArgs = {}) => layer('Add', args),
  subtract: (args: BaseArgs = {}) => layer('Subtract', args),
  multiply: (args: BaseArgs = {}) => layer('Multiply', args),
  average: (args: BaseArgs = {}) => layer('Average', args),
  maximum: (args: BaseArgs = {}) => layer('Maximum', args),
  minimum: (args: BaseArgs = {}) => layer('Minimum', args),
  concatenate: (args: BaseArgs & { readonly axis?: number } = {}) => layer('Concatenate', args)
} as const

// -------------------------------------------------------------------------------------
// sequential
// -------------------------------------------------------------------------------------

/** Options of {@link sequential}. */
export interface SequentialOptions {
  readonly name?: string
  /** Input shape without the batch axis (Keras's `keras.Input(shape=…)`). */
  readonly input_shape?: ReadonlyArray<number | null>
  readonly batch_size?: number
  readonly dialect?: Dialect
}

const envelope = (l: LayerJson, dialect: Dialect): Record<string, unknown> =>
  dialect === 'keras3' ? { module: 'keras.layers', class_name: l.class_name, config: l.config, registered_name: null } : { class_name: l.class_name, config: l.config }

const inputLayer = (shape: ReadonlyArray<number | null>, batch: number | null, name: string, dialect: Dialect): Record<string, unknown> =>
  envelope({ class_name: 'InputLayer', config: { [dialect === 'keras3' ? 'batch_shape' : 'batch_input_shape']: [batch, ...shape], dtype: 'float32', sparse: false, ragged: false, name } }, dialect)

/**
 * A Sequential model from layers, as Keras 3's `keras.Sequential([keras.Input(shape), …])` writes it.
 * @category constructors
 */
export const sequential = (ls: ReadonlyArray<LayerJson>, options: SequentialOptions = {}): E.Either<ReadonlyArray<SpecError>, ModelSpec> => {
  const dialect = options.dialect ?? 'keras3'
  const entries = [
    ...(options.input_shape === undefined ? [] : [inputLayer(options.input_shape, options.batch_size ?? null, 'input_layer', dialect)]),
    ...ls.map((l) => envelope(l, dialect))
  ]
  const config = { name: options.name ?? 'sequential', layers: entries }
  return decodeModel(dialect === 'keras3' ? { module: 'keras', class_name: 'Sequential', config, registered_name: null } : { class_name: 'Sequential', config }, { dialect })
}

// -------------------------------------------------------------------------------------
// functional
// -------------------------------------------------------------------------------------

/**
 * A symbolic tensor of a functional model under construction: the output of one call. It carries the
 * calls that produced it, so building is pure (no global graph).
 * @category model
 */
export interface SymbolicTensor {
  readonly call: Call
}

interface Call {
  readonly layer: LayerJson
  /** `null` for a model input. */
  readonly inputs: ReadonlyArray<SymbolicTensor> | null
  readonly asList: boolean
  readonly depth: number
  /** An operation call: its module and arguments (tensors among them are `inputs`). */
  readonly op?: { readonly module: string; readonly args: ReadonlyArray<OpArg>; readonly kwargs: Readonly<Record<string, OpArg>> }
}

/**
 * An argument of an operation call: a tensor, a number or boolean (Python's int, float, bool), `null`,
 * a list of arguments, or an array constant as Keras writes it (`{ class_name: '__numpy__', config: { value, dtype } }`).
 * @category model
 */
export type OpArg = SymbolicTensor | number | boolean | null | ReadonlyArray<OpArg> | { readonly class_name: '__numpy__' | '__tensor__'; readonly config: { readonly value: unknown; readonly dtype: string } }

const isSymbolic = (a: unknown): a is SymbolicTensor => typeof a === 'object' && a !== null && !Array.isArray(a) && Object.prototype.hasOwnProperty.call(a, 'call')

/** The tensors among an operation's arguments, in order (lists are at most a few levels deep). */
const tensorsIn = (args: ReadonlyArray<OpArg>): SymbolicTensor[] => args.flatMap((a) => (isSymbolic(a) ? [a] : Array.isArray(a) ? tensorsIn(a as ReadonlyArray<OpArg>) : []))

/**
 * An operation call (Keras 3's `keras.src.ops.*` node) on tensors and constants: `module` and class as
 * Keras names them, the constructor arguments (`config`, without `name` unless you give one), and the
 * call's arguments. Each call is a new operation, as each `keras.ops` call is in Keras.
 * @category constructors
 * @example
 * operation('keras.src.ops.numpy', 'Add', {}, [x, 3]) // x + 3
 */
export const operation = (module: string, className: string, config: object, args: ReadonlyArray<OpArg>, kwargs: Readonly<Record<string, OpArg>> = {}): SymbolicTensor => {
  const inputs = tensorsIn([...args, ...Object.values(kwargs)])
  return {
    call: {
      layer: { class_name: className, config: config as Readonly<Record<string, unknown>> },
      inputs,
      asList: false,
      depth: 1 + Math.max(0, ...inputs.map((t) => t.call.depth)),
      op: { module, args, kwargs }
    }
  }
}

const NUMPY = 'keras.src.ops.numpy'
const NN = 'keras.src.ops.nn'
type Operand = SymbolicTensor | number | boolean | OpArg
const binaryOp = (className: string) => (x1: Operand, x2: Operand) => operation(NUMPY, className, {}, [x1, x2])
const unaryOp = (module: string, className: string) => (x: SymbolicTensor) => operation(module, className, {}, [x])
/** Reduction arguments. */
export interface ReduceArgs {
  readonly axis?: number | ReadonlyArray<number> | null
  readonly keepdims?: boolean
}

/**
 * Keras's `keras.ops` functions that layerspec runs, written as Keras 3 writes them (`ops.add(x, 3)` is
 * `x + 3`, an `Add` node of `keras.src.ops.numpy`). Reductions refuse the batch axis, as the decoder does.
 * @category constructors
 */
export const ops = {
  add: binaryOp('Add'),
  subtract: binaryOp('Subtract'),
  multiply: binaryOp('Multiply'),
  divide: binaryOp('Divide'),
  trueDivide: binaryOp('TrueDivide'),
  maximum: binaryOp('Maximum'),
  minimum: binaryOp('Minimum'),
  power: binaryOp('Power'),
  matmul: binaryOp('Matmul'),
  negative: unaryOp(NUMPY, 'Negative'),
  square: unaryOp(NUMPY, 'Square'),
  sqrt: unaryOp(NUMPY, 'Sqrt'),
  abs: unaryOp(NUMPY, 'Absolute'),
  exp: unaryOp(NUMPY, 'Exp'),
  log: unaryOp(NUMPY, 'Log'),
  tanh: unaryOp(NUMPY, 'Tanh'),
  relu: unaryOp(NN, 'Relu'),
  relu6: unaryOp(NN, 'Relu6'),
  sigmoid: unaryOp(NN, 'Sigmoid'),
  hardSigmoid: unaryOp(NN, 'HardSigmoid'),
  hardSilu: unaryOp(NN, 'HardSilu'),
  hardSwish: unaryOp(NN, 'HardSilu'),
  silu: unaryOp(NN, 'Silu'),
  swish: unaryOp(NN, 'Silu'),
  gelu: (x: SymbolicTensor, approximate = true) => operation(NN, 'Gelu', { approximate }, [x]),
  softmax: (x: SymbolicTensor, axis: number | ReadonlyArray<number> = -1) => operation(NN, 'Softmax', { axis }, [x]),
  clip: (x: SymbolicTensor, x_min: number, x_max: number) => operation(NUMPY, 'Clip', { x_min, x_max }, [x]),
  reshape: (x: SymbolicTensor, newshape: ReadonlyArray<number>) => operation(NUMPY, 'Reshape', { newshape }, [x]),
  transpose: (x: SymbolicTensor, axes: ReadonlyArray<number> | null = null) => operation(NUMPY, 'Transpose', { axes }, [x]),
  concatenate: (xs: ReadonlyArray<SymbolicTensor>, axis = 0) => operation(NUMPY, 'Concatenate', { axis }, [xs]),
  mean: (x: SymbolicTensor, args: ReduceArgs = {}) => operation(NUMPY, 'Mean', args, [x]),
  sum: (x: SymbolicTensor, args: ReduceArgs = {}) => operation(NUMPY, 'Sum', args, [x]),
  max: (x: SymbolicTensor, args: ReduceArgs = {}) => operation(NUMPY, 'Max', args, [x]),
  min: (x: SymbolicTensor, args: ReduceArgs = {}) => operation(NUMPY, 'Min', args, [x])
} as const

/**
 * A model input (Keras's `keras.Input(shape)`), `shape` without the batch axis.
 * @category constructors
 */
export const input = (shape: ReadonlyArray<number | null>, options: { readonly name?: string; readonly batch_size?: number } = {}): SymbolicTensor => ({
  call: {
    layer: { class_name: 'InputLayer', config: { batch_shape: [options.batch_size ?? null, ...shape], ...(options.name === undefined ? {} : { name: options.name }) } },
    inputs: null,
    asList: false,
    depth: 0
  }
})

/**
 * Calls a layer on a tensor, or on a list of tensors (merge layers). Calling the same layer object
 * again shares it.
 * @category constructors
 */
export const apply = (l: LayerJson, x: SymbolicTensor | ReadonlyArray<SymbolicTensor>): SymbolicTensor => {
  const inputs = Array.isArray(x) ? (x as ReadonlyArray<SymbolicTensor>) : [x as SymbolicTensor]
  return { call: { layer: l, inputs, asList: Array.isArray(x), depth: 1 + Math.max(...inputs.map((t) => t.call.depth)) } }
}

/** Keras's `to_snake_case` for default layer names: `Conv2D` → `conv2d`, `GlobalAveragePooling2D` → `global_average_pooling2d`. */
const snake = (s: string): string => s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()

/**
 * A functional model from its inputs and outputs, as Keras 3's `keras.Model(inputs, outputs)` writes
 * it. Unnamed layers get Keras-style names (`conv2d`, `conv2d_1`, …) in the order they are found.
 * @category constructors
 */
export const functional = (options: {
  readonly inputs: ReadonlyArray<SymbolicTensor>
  readonly outputs: ReadonlyArray<SymbolicTensor>
  readonly name?: string
}): E.Either<ReadonlyArray<SpecError>, ModelSpec> => {
  // Every call reachable from the outputs, inputs first, then by depth (stable in discovery order).
  const calls: Call[] = []
  const seen = new Set<Call>()
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.call)) return
    seen.add(t.call)
    for (const i of t.call.inputs ?? []) visit(i)
    calls.push(t.call)
  }
  options.inputs.forEach(visit)
  options.outputs.forEach(visit)
  const ordered = [...calls].sort((a, b) => a.depth - b.depth)
  // Layers in first-call order; names given or generated.
  const layerOrder: LayerJson[] = []
  const nodes = new Map<LayerJson, Call[]>()
  for (const c of ordered) {
    if (!nodes.has(c.layer)) {
      nodes.set(c.layer, [])
      layerOrder.push(c.layer)
    }
    ;(nodes.get(c.layer) as Call[]).push(c)
  }
  const used = new Set(layerOrder.map((l) => l.config['name']).filter((n): n is string => typeof n === 'string'))
  const names = new Map<LayerJson, string>()
  const counters = new Map<string, number>()
  for (const l of layerOrder) {
    const given = l.config['name']
    if (typeof given === 'string') {
      names.set(l, given)
      continue
    }
    const base = l.class_name === 'InputLayer' ? 'input_layer' : snake(l.class_name)
    let k = counters.get(base) ?? 0
    let candidate = k === 0 ? base : `${base}_${k}`
    while (used.has(candidate)) candidate = `${base}_${++k}`
    counters.set(base, k + 1)
    used.add(candidate)
    names.set(l, candidate)
  }
  const ref = (t: SymbolicTensor): [string, number, number] => [names.get(t.call.layer) as string, (nodes.get(t.call.layer) as Call[]).indexOf(t.call), 0]
  const kt = (t: SymbolicTensor) => ({ class_name: '__keras_tensor__', config: { keras_history: ref(t) } })
  const argJson = (a: OpArg): unknown => (isSymbolic(a) ? kt(a) : Array.isArray(a) ? (a as ReadonlyArray<OpArg>).map(argJson) : a)
  const entries = layerOrder.map((l) => {
    const name = names.get(l) as string
    const calls_ = nodes.get(l) as Call[]
    const op = calls_[0]?.op
    if (op !== undefined) {
      const kwargsOf = (c: Call): Record<string, unknown> => {
        const kwargs: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(c.op?.kwargs ?? {})) Object.defineProperty(kwargs, k, { value: argJson(v), enumerable: true, writable: true, configurable: true })
        return kwargs
      }
      return {
        module: op.module,
        class_name: l.class_name,
        config: { name, ...l.config },
        registered_name: l.class_name,
        name,
        inbound_nodes: calls_.map((c) => ({ args: (c.op?.args ?? []).map(argJson), kwargs: kwargsOf(c) }))
      }
    }
    return {
      module: 'keras.layers',
      class_name: l.class_name,
      config: { ...l.config, name },
      registered_name: null,
      name,
      inbound_nodes: l.class_name === 'InputLayer' ? [] : calls_.map((c) => ({ args: c.asList ? [(c.inputs ?? []).map(kt)] : (c.inputs ?? []).map(kt), kwargs: {} }))
    }
  })
  const json = {
    module: 'keras',
    class_name: 'Functional',
    config: { name: options.name ?? 'functional', trainable: true, layers: entries, input_layers: options.inputs.map(ref), output_layers: options.outputs.map(ref) },
    registered_name: null
  }
  return decodeModel(json, { dialect: 'keras3' })
}
