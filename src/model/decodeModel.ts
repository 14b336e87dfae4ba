/**
 * `decodeModel`: every form a Keras / TensorFlow.js model file takes (../shared/docs/keras-model-json-forms.md)
 * → a {@link ModelSpec}: Keras 2 `to_json()` (including Keras ≤ 2.1's bare-list Sequential config and the
 * bare `get_config()` dict), Keras 3 (`module`, `registered_name`, `build_config`, `DTypePolicy`,
 * `batch_shape`), TensorFlow.js `model.json` (both `modelTopology` shapes) and SavedModel's `__tuple__` /
 * `TensorShape` wrappers. Every layer is decoded with its own codec; every problem of every layer is
 * reported, with its JSON path from the file's root. Graphs are checked as data: unknown layer names,
 * bad node indices, cycles, and dangling inputs or outputs are errors. Keras 3's operation nodes (an
 * entry whose `module` is `keras.src.ops.*`) are read by src/ops/codec.ts, never as layers.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { deepFreeze } from '../core/deepFreeze.js'
import { describe, isPlainObject, oneOf, quoteText } from '../core/describe.js'
import { copyJson, MAX_JSON_DEPTH, tooDeep } from '../core/json.js'
import { hasOwnKey, ownValue } from '../core/NameTable.js'
import { suggestion } from '../core/didYouMean.js'
import { listItems } from '../core/Pair.js'
import { concatPaths, formatPath, fromValidationErrors, specError, type SpecError } from '../core/SpecError.js'
import { Bool } from '../core/primitives.js'
import { dialectOfKerasVersion, type Dialect } from '../codec/Dialect.js'
import { dtypeCodec, type DType } from '../codec/DType.js'
import { shapeOfMinRank } from '../codec/InputShape.js'
import type { DataFormat } from '../geometry/DataFormat.js'
import { LayerName } from '../layers/base.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { findLayerKind, LAYER_KINDS, UNRUNNABLE } from './registry.js'
import { inputLayerCodec } from './InputLayer.js'
import type { AnyLayerSpec, FunctionalSpec, GraphLayer, ModelSpec, NodeCall, SequentialSpec, TensorRef } from './ModelSpec.js'
import { isInputLayer, isModelSpec, isOperation, nodeOffset } from './ModelSpec.js'
import { decodeOperationEntry, readOperationNode } from '../ops/codec.js'
import { findOpKind, isOperationModule, OP_KINDS } from '../ops/registry.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options for decoding a model.
 * @category model
 */
export interface ModelDecodeOptions {
  /** `data_format` for layers whose config omits it (Keras's `image_data_format()`); default channels_last. */
  readonly imageDataFormat?: DataFormat
  /** Force the dialect instead of inferring it from `keras_version` / the envelopes. */
  readonly dialect?: Dialect
}

/** The wrapper a model file came in. */
export type ModelFormat = 'keras' | 'keras3' | 'tfjs-layers-model' | 'config'

/**
 * A decoded model file: the model, the wrapper it came in, and for TensorFlow.js files the weights
 * manifest (as JSON; {@link readWeightsManifest} validates it).
 * @category model
 */
export interface ModelFile {
  readonly model: ModelSpec
  readonly format: ModelFormat
  readonly kerasVersion: string | null
  readonly weightsManifest: unknown
  /** JSON path of the model's config in the file (`config`, `modelTopology.model_config.config`, `` for a bare config). */
  readonly configPath: string
  /** JSON path of the model's layer list (`config.layers`, or `config` for Keras ≤ 2.1's bare list). */
  readonly layersPath: string
  /**
   * How the file says the model was compiled for training, as `compileTrainer` takes it (`loss`,
   * `optimizer`, `metrics`, `loss_weights`, still JSON: the trainer decodes them), with the JSON path
   * it came from: tf.keras 2.x's `training_config` (`optimizer_config` is the optimizer), Keras 3's
   * `compile_config`, TensorFlow.js's `modelTopology.training_config` / `trainingConfig`; `null` when the
   * file has none.
   */
  readonly trainingConfig: { readonly path: string; readonly config: { readonly loss: unknown; readonly optimizer?: unknown; readonly metrics?: unknown; readonly loss_weights?: unknown } } | null
}

/** The training configuration a file holds at `path` (see {@link ModelFile.trainingConfig}). */
const trainingConfigAt = (u: unknown, path: string): ModelFile['trainingConfig'] => {
  if (!isPlainObject(u)) return null
  const pick = (k: string): unknown => (hasOwnKey(u, k) ? u[k] : undefined)
  const optimizer = pick('optimizer_config') ?? pick('optimizer')
  const config = { loss: pick('loss'), ...(optimizer === undefined ? {} : { optimizer }), ...(pick('metrics') === undefined ? {} : { metrics: pick('metrics') }), ...(pick('loss_weights') === undefined ? {} : { loss_weights: pick('loss_weights') }) }
  return { path, config }
}

const MODEL_CLASSES = ['Sequential', 'Functional', 'Model'] as const

interface Ctx {
  readonly dialect: Dialect
  readonly imageDataFormat: DataFormat
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

const err = (path: string, message: string): SpecError => specError(path, message)

/** Runs an io-ts codec on a value found at `path`, prefixing its errors' paths. */
const runCodec = <A>(codec: t.Type<A, unknown, unknown>, value: unknown, path: string): Result<A> => {
  const r = codec.validate(value, [{ key: '', type: codec, actual: value }])
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths(path, e.path), message: e.message }))) : E.right(r.right)
}

const unknownKeys = (o: Readonly<Record<string, unknown>>, allowed: ReadonlyArray<string>, path: string, what: string): SpecError[] =>
  Object.keys(o)
    .filter((k) => !allowed.includes(k))
    .map((k) => err(concatPaths(path, formatPath([k])), `unknown key ${quoteText(k)} in ${what}${suggestion(k, allowed)}; expected ${oneOf(allowed)}`))

// -------------------------------------------------------------------------------------
// tensor references
// -------------------------------------------------------------------------------------

/** `[name, node, tensor]` or `[name, node, tensor, kwargs]` (classic), or a Keras 3 `__keras_tensor__`. */
const readRef = (u: unknown, path: string): Result<TensorRef> => {
  if (isPlainObject(u) && u['class_name'] === '__keras_tensor__') {
    const history = isPlainObject(u['config']) ? u['config']['keras_history'] : undefined
    return readRef(history, concatPaths(path, 'config.keras_history'))
  }
  const items = listItems(u)
  if (items !== undefined && items.length >= 3 && items.length <= 4 && typeof items[0] === 'string' && Number.isSafeInteger(items[1]) && Number.isSafeInteger(items[2]) && (items[1] as number) >= 0 && (items[2] as number) >= 0) {
    // + 0 folds a -0 (possible in a JS value) into 0, as every numeric codec does.
    return E.right({ layer: items[0], node: (items[1] as number) + 0, tensor: (items[2] as number) + 0 })
  }
  return E.left([err(path, `expected a tensor reference [layer_name, node_index, tensor_index], found ${describe(u)}`)])
}

const isRefLike = (u: unknown): boolean => {
  const items = listItems(u)
  return (items !== undefined && typeof items[0] === 'string') || (isPlainObject(u) && u['class_name'] === '__keras_tensor__')
}

/** A list of references, or a single reference (Keras 3 writes a single model input that way). */
const readRefList = (u: unknown, path: string): Result<ReadonlyArray<TensorRef>> => {
  if (isRefLike(u)) return E.map((r: TensorRef) => [r])(readRef(u, path))
  const items = listItems(u)
  if (items === undefined) return E.left([err(path, `expected a list of tensor references [[layer_name, node_index, tensor_index], …], found ${describe(u)}`)])
  const errors: SpecError[] = []
  const refs: TensorRef[] = []
  items.forEach((item, i) => {
    const r = readRef(item, concatPaths(path, `[${i}]`))
    if (E.isLeft(r)) errors.push(...r.left)
    else refs.push(r.right)
  })
  return errors.length > 0 ? E.left(errors) : E.right(refs)
}

/**
 * One entry of `inbound_nodes` in any of its three spellings: classic `[[name, node, tensor, {kwargs}], …]`,
 * SavedModel's compact `[name, node, tensor]`, or Keras 3's `{"args": [...], "kwargs": {...}}`.
 */
const readNode = (u: unknown, path: string): Result<NodeCall> => {
  if (isPlainObject(u) && (hasOwnKey(u, 'args') || hasOwnKey(u, 'kwargs'))) {
    const extra = unknownKeys(u, ['args', 'kwargs'], path, 'a Keras 3 node')
    const args = listItems(u['args'])
    const kwargs = u['kwargs'] ?? {}
    if (args === undefined) return E.left([...extra, err(concatPaths(path, `args`), `expected the node's args to be a list, found ${describe(u['args'])}`)])
    if (!isPlainObject(kwargs)) return E.left([...extra, err(concatPaths(path, `kwargs`), `expected the node's kwargs to be an object, found ${describe(kwargs)}`)])
    // One positional argument: a tensor, or a list of tensors (merge layers).
    const first = args[0]
    const asList = args.length === 1 && first !== undefined && !isRefLike(first)
    const refs = asList ? readRefList(first, concatPaths(path, `args[0]`)) : readRefList(args, concatPaths(path, `args`))
    if (extra.length > 0) return E.left(extra)
    return E.map((r: ReadonlyArray<TensorRef>): NodeCall => ({ args: r, asList: asList || r.length > 1, kwargs }))(refs)
  }
  if (isRefLike(u)) return E.map((r: TensorRef): NodeCall => ({ args: [r], asList: false, kwargs: {} }))(readRef(u, path))
  const items = listItems(u)
  if (items === undefined || items.length === 0) {
    return E.left([err(path, `expected an inbound node: a list of tensor references [[layer_name, node_index, tensor_index, {kwargs}], …] or {"args", "kwargs"}, found ${describe(u)}`)])
  }
  const errors: SpecError[] = []
  const refs: TensorRef[] = []
  let kwargs: Readonly<Record<string, unknown>> = {}
  items.forEach((item, i) => {
    const r = readRef(item, concatPaths(path, `[${i}]`))
    if (E.isLeft(r)) errors.push(...r.left)
    else refs.push(r.right)
    const ref = listItems(item)
    const kw = ref?.[3]
    if (isPlainObject(kw)) kwargs = kw
  })
  return errors.length > 0 ? E.left(errors) : E.right({ args: refs, asList: refs.length > 1, kwargs })
}

// -------------------------------------------------------------------------------------
// layers
// -------------------------------------------------------------------------------------

const LAYER_ENTRY_KEYS = ['class_name', 'config', 'name', 'inbound_nodes', 'module', 'registered_name', 'build_config', 'shared_object_id'] as const

const KNOWN_CLASSES = [...LAYER_KINDS.flatMap((k) => [k.className, ...k.aliases]), 'InputLayer', ...MODEL_CLASSES, ...UNRUNNABLE.names]

/** For a layer class no layer kind has but an operation does: where the operation's entry says so. */
const operationHint = (cls: string): string => {
  const op = OP_KINDS.find((k) => k.className === cls)
  return op === undefined ? '' : `; ${quoteText(cls)} is an operation of ${quoteText(op.module)}, which an entry names with "module": ${quoteText(op.module)}`
}

/** Decodes one layer entry (`{class_name, config, …}`) at `path`, which is the `index`-th layer. */
const decodeLayerEntry = (entry: unknown, path: string, index: number, ctx: Ctx): Result<{ readonly spec: AnyLayerSpec; readonly inbound: unknown }> => {
  if (!isPlainObject(entry)) return E.left([err(path, `expected a layer entry {"class_name": …, "config": {…}}, found ${describe(entry)}`)])
  const cls = entry['class_name']
  const config = entry['config']
  const name = (isPlainObject(config) && typeof config['name'] === 'string' ? config['name'] : typeof entry['name'] === 'string' ? entry['name'] : null) ?? `#${index}`
  const errors: SpecError[] = unknownKeys(entry, LAYER_ENTRY_KEYS, path, 'a layer entry')
  if (typeof cls !== 'string') {
    return E.left([...errors, err(concatPaths(path, `class_name`), `expected the layer's class_name to be a string, found ${describe(cls)}`)])
  }
  const registered = entry['registered_name']
  if (typeof registered === 'string' && registered !== cls && !registered.startsWith('keras')) {
    return E.left([...errors, err(concatPaths(path, `registered_name`), `layer ${index} ${quoteText(name)} is a custom class (registered_name ${quoteText(registered)}), which layerspec cannot run`)])
  }
  // An operation node (Keras 3's `keras.src.ops.*`): its module decides, never its class name.
  if (isOperationModule(ownValue(entry, 'module'))) {
    const op = decodeOperationEntry(entry, path, index, ctx.dialect)
    if (E.isRight(op) && typeof entry['name'] === 'string' && op.right.name !== null && entry['name'] !== op.right.name) {
      errors.push(err(concatPaths(path, `name`), `the entry's name ${quoteText(entry['name'])} disagrees with config.name ${quoteText(op.right.name)}`))
    }
    return E.isLeft(op) ? E.left([...errors, ...op.left]) : errors.length > 0 ? E.left(errors) : E.right({ spec: op.right, inbound: entry['inbound_nodes'] })
  }
  if ((MODEL_CLASSES as ReadonlyArray<string>).includes(cls)) {
    const nested = decodeModelEntry(entry, path, ctx)
    return E.isLeft(nested) ? E.left([...errors, ...nested.left]) : errors.length > 0 ? E.left(errors) : E.right({ spec: nested.right, inbound: entry['inbound_nodes'] })
  }
  const reason = UNRUNNABLE.get(cls)
  if (reason !== undefined) return E.left([...errors, err(concatPaths(path, `class_name`), `layer ${index} ${quoteText(name)} (${cls}) cannot be run: ${reason}`)])
  const configPath = concatPaths(path, `config`)
  if (!isPlainObject(config)) return E.left([...errors, err(configPath, `expected the layer's config to be a JSON object, found ${describe(config)}`)])
  if (typeof entry['name'] === 'string' && typeof config['name'] === 'string' && entry['name'] !== config['name']) {
    errors.push(err(concatPaths(path, `name`), `the entry's name ${quoteText(entry['name'])} disagrees with config.name ${quoteText(config['name'])}`))
  }
  const decoded =
    cls === 'InputLayer'
      ? runCodec(inputLayerCodec(ctx.dialect), config, configPath)
      : (() => {
          const kind = findLayerKind(cls)
          if (kind === undefined) {
            return E.left([
              err(
                concatPaths(path, `class_name`),
                `layer ${index} ${quoteText(name)} has class ${quoteText(cls)}, which layerspec does not know (a custom layer?)${suggestion(cls, KNOWN_CLASSES)}${operationHint(cls)}`
              )
            ])
          }
          return runCodec(kind.codec(ctx), config, configPath)
        })()
  if (E.isLeft(decoded)) return E.left([...errors, ...decoded.left])
  return errors.length > 0 ? E.left(errors) : E.right({ spec: decoded.right as AnyLayerSpec, inbound: entry['inbound_nodes'] })
}

// -------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------

const BuildShape = shapeOfMinRank(1, '[batch, then the input axes]')

const modelName = (config: Readonly<Record<string, unknown>>, path: string, errors: SpecError[]): string | null => {
  const r = runCodec(LayerName, config['name'] ?? null, concatPaths(path, `name`))
  if (E.isLeft(r)) errors.push(...r.left)
  return E.isRight(r) ? r.right : null
}

const modelBookkeeping = (config: Readonly<Record<string, unknown>>, path: string, ctx: Ctx, errors: SpecError[]): { name: string | null; trainable: boolean; dtype: DType } => {
  const name = modelName(config, path, errors)
  const trainable = config['trainable'] === undefined ? E.right(true) : runCodec(Bool, config['trainable'], concatPaths(path, `trainable`))
  const dtype = config['dtype'] === undefined ? E.right<ReadonlyArray<SpecError>, DType>('float32') : runCodec(dtypeCodec(ctx.dialect), config['dtype'], concatPaths(path, `dtype`))
  if (E.isLeft(trainable)) errors.push(...trainable.left)
  if (E.isLeft(dtype)) errors.push(...dtype.left)
  return { name, trainable: E.isRight(trainable) ? trainable.right : true, dtype: E.isRight(dtype) ? dtype.right : 'float32' }
}

const decodeSequential = (config: unknown, path: string, ctx: Ctx, built: unknown): Result<SequentialSpec> => {
  // Keras ≤ 2.1 writes a Sequential's config as the bare list of layers.
  const isList = listItems(config) !== undefined
  const obj: Readonly<Record<string, unknown>> = isList ? { layers: config } : isPlainObject(config) ? config : {}
  if (!isList && !isPlainObject(config)) return E.left([err(path, `expected a Sequential config (an object with "layers", or the list of layers), found ${describe(config)}`)])
  const layersPath = isList ? path : concatPaths(path, `layers`)
  const errors: SpecError[] = isList ? [] : unknownKeys(obj, ['name', 'layers', 'build_input_shape', 'trainable', 'dtype'], path, 'a Sequential config')
  const book = modelBookkeeping(obj, path, ctx, errors)
  const items = listItems(obj['layers'])
  if (items === undefined) return E.left([...errors, err(layersPath, `expected a list of layers, found ${describe(obj['layers'])}`)])
  const layers: AnyLayerSpec[] = []
  items.forEach((entry, i) => {
    const r = decodeLayerEntry(entry, concatPaths(layersPath, `[${i}]`), i, ctx)
    if (E.isLeft(r)) errors.push(...r.left)
    else if (isOperation(r.right.spec)) {
      errors.push(err(concatPaths(layersPath, `[${i}].module`), `layer ${i} ${quoteText(r.right.spec.name ?? '')} is an operation node (${r.right.spec.className} of ${r.right.spec.module}): operations are nodes of functional models, a Sequential model holds layers`))
    } else layers.push(r.right.spec)
  })
  let buildInputShape: SymbolicShape | null = null
  for (const [value, p] of [[obj['build_input_shape'], concatPaths(path, `build_input_shape`)], [built, 'build_config.input_shape']] as const) {
    if (value === undefined || value === null || buildInputShape !== null) continue
    const r = runCodec(BuildShape, value, p)
    if (E.isLeft(r)) errors.push(...r.left)
    else buildInputShape = r.right
  }
  checkUniqueNames(layers, layersPath, errors)
  if (errors.length > 0) return E.left(errors)
  return E.right({ className: 'Sequential', dialect: ctx.dialect, ...book, inputShape: null, batchSize: null, layers, buildInputShape })
}

const checkUniqueNames = (layers: ReadonlyArray<AnyLayerSpec>, path: string, errors: SpecError[]): void => {
  const seen = new Map<string, number>()
  layers.forEach((l, i) => {
    if (l.name === null) return
    const first = seen.get(l.name)
    if (first !== undefined) errors.push(err(concatPaths(path, `[${i}].config.name`), `layer name ${quoteText(l.name)} is used by layers ${first} and ${i}; names must be unique within a model`))
    else seen.set(l.name, i)
  })
}

/** Number of output tensors of a layer: 1, or a nested functional model's output count. */
const outputCount = (spec: AnyLayerSpec): number => (spec.className === 'Functional' ? (spec as FunctionalSpec).outputs.length : 1)

const decodeFunctional = (config: unknown, path: string, ctx: Ctx): Result<FunctionalSpec> => {
  if (!isPlainObject(config)) return E.left([err(path, `expected a functional model config {"layers", "input_layers", "output_layers"}, found ${describe(config)}`)])
  const errors: SpecError[] = unknownKeys(config, ['name', 'layers', 'input_layers', 'output_layers', 'trainable', 'dtype'], path, 'a functional model config')
  const book = modelBookkeeping(config, path, ctx, errors)
  const items = listItems(config['layers'])
  if (items === undefined) return E.left([...errors, err(concatPaths(path, `layers`), `expected a list of layers, found ${describe(config['layers'])}`)])
  const layers: GraphLayer[] = []
  const paths: string[] = []
  items.forEach((entry, i) => {
    const p = concatPaths(path, `layers[${i}]`)
    const r = decodeLayerEntry(entry, p, i, ctx)
    if (E.isLeft(r)) {
      errors.push(...r.left)
      return
    }
    const nodes = r.right.inbound === undefined || r.right.inbound === null ? [] : listItems(r.right.inbound)
    if (nodes === undefined) {
      errors.push(err(concatPaths(p, `inbound_nodes`), `expected a list of inbound nodes, found ${describe(r.right.inbound)}`))
      return
    }
    const inbound: NodeCall[] = []
    const spec = r.right.spec
    const op = isOperation(spec) ? findOpKind(spec.module, spec.className) : undefined
    nodes.forEach((n, j) => {
      const node = op !== undefined ? readOperationNode(n, concatPaths(p, `inbound_nodes[${j}]`), op, readRef) : readNode(n, concatPaths(p, `inbound_nodes[${j}]`))
      if (E.isLeft(node)) errors.push(...node.left)
      else inbound.push(node.right)
    })
    layers.push({ spec: r.right.spec, inbound })
    paths.push(p)
  })
  const inputsRaw = readRefList(config['input_layers'], concatPaths(path, `input_layers`))
  const outputsRaw = readRefList(config['output_layers'], concatPaths(path, `output_layers`))
  // Count every layer's calls from 0 (files number a nested model's first call 1).
  const offsets = new Map(layers.map((l) => [l.spec.name ?? '', nodeOffset(l.spec, ctx.dialect)] as const))
  const rebase = (ref: TensorRef, p: string): TensorRef => {
    const offset = offsets.get(ref.layer) ?? 0
    if (offset === 0) return ref
    if (ref.node < offset) {
      errors.push(err(p, `layer ${quoteText(ref.layer)} is a nested model built with an input: its node 0 is its own build call, and its calls start at node ${offset}; found a reference to node ${ref.node}`))
      return ref
    }
    return { ...ref, node: ref.node - offset }
  }
  const rebased: GraphLayer[] = layers.map((l, i) => ({
    spec: l.spec,
    inbound: l.inbound.map((n, j) => ({ ...n, args: n.args.map((r, k) => rebase(r, concatPaths(paths[i] as string, `inbound_nodes[${j}][${k}]`))) }))
  }))
  const inputs = E.map((rs: ReadonlyArray<TensorRef>) => rs.map((r, k) => rebase(r, concatPaths(path, `input_layers[${k}]`))))(inputsRaw)
  const outputs = E.map((rs: ReadonlyArray<TensorRef>) => rs.map((r, k) => rebase(r, concatPaths(path, `output_layers[${k}]`))))(outputsRaw)
  if (E.isLeft(inputs)) errors.push(...inputs.left)
  if (E.isLeft(outputs)) errors.push(...outputs.left)
  checkUniqueNames(layers.map((l) => l.spec), concatPaths(path, `layers`), errors)
  if (errors.length > 0 || E.isLeft(inputs) || E.isLeft(outputs)) return E.left(errors)
  const spec: FunctionalSpec = { className: 'Functional', dialect: ctx.dialect, ...book, inputShape: null, batchSize: null, layers: rebased, inputs: inputs.right, outputs: outputs.right }
  const graphErrors = checkGraph(spec, path, paths)
  return graphErrors.length > 0 ? E.left(graphErrors) : E.right(spec)
}

/**
 * Graph checks: references name existing layers, nodes and tensors; `input_layers` are InputLayers and
 * every InputLayer is an input; outputs exist; there is no cycle.
 */
/** How many unknown layer names in one graph get a did-you-mean suggestion. */
const MAX_GRAPH_SUGGESTIONS = 32

/** A cycle's layers for a message: every name quoted, at most ten of them (first five … last five). */
const showTrail = (trail: ReadonlyArray<string>): string => {
  const q = trail.map(quoteText)
  return (q.length <= 10 ? q : [...q.slice(0, 5), `… (${q.length - 10} more)`, ...q.slice(-5)]).join(' → ')
}

const checkGraph = (spec: FunctionalSpec, path: string, paths: ReadonlyArray<string>): SpecError[] => {
  const errors: SpecError[] = []
  const index = new Map<string, number>()
  spec.layers.forEach((l, i) => {
    if (l.spec.name !== null) index.set(l.spec.name, i)
  })
  const names = [...index.keys()]
  const nodeCount = (i: number): number => {
    const l = spec.layers[i] as GraphLayer
    return isInputLayer(l.spec) ? 1 : l.inbound.length
  }
  // Suggestions compare a name with every layer name: only the first few unknown names get one, so a
  // file full of dangling references still decodes in time linear in its size.
  let suggestionsLeft = MAX_GRAPH_SUGGESTIONS
  const checkRef = (ref: TensorRef, p: string): boolean => {
    const i = index.get(ref.layer)
    if (i === undefined) {
      const hint = suggestionsLeft-- > 0 ? suggestion(ref.layer, names) : ''
      errors.push(err(p, `unknown layer ${quoteText(ref.layer)}${hint}; the model's layers are ${oneOf(names.slice(0, 20))}${names.length > 20 ? ', …' : ''}`))
      return false
    }
    if (ref.node >= nodeCount(i)) {
      errors.push(err(p, `layer ${quoteText(ref.layer)} has ${nodeCount(i)} node(s), found a reference to node ${ref.node}`))
      return false
    }
    const count = outputCount((spec.layers[i] as GraphLayer).spec)
    if (ref.tensor >= count) {
      errors.push(err(p, `layer ${quoteText(ref.layer)} has ${count} output tensor(s), found a reference to tensor ${ref.tensor}`))
      return false
    }
    return true
  }
  spec.layers.forEach((l, i) => {
    const p = paths[i] as string
    if (isInputLayer(l.spec) && l.inbound.length > 0) errors.push(err(concatPaths(p, `inbound_nodes`), `an InputLayer has no inbound nodes, found ${l.inbound.length}`))
    if (!isInputLayer(l.spec) && l.inbound.length === 0) {
      errors.push(err(concatPaths(p, `inbound_nodes`), `layer ${i} ${quoteText(l.spec.name ?? '')} is never called (no inbound nodes): a dangling layer`))
    }
    l.inbound.forEach((node, j) => node.args.forEach((ref, k) => checkRef(ref, concatPaths(p, `inbound_nodes[${j}][${k}]`))))
  })
  spec.inputs.forEach((ref, k) => {
    const p = concatPaths(path, `input_layers[${k}]`)
    if (!checkRef(ref, p)) return
    const l = spec.layers[index.get(ref.layer) as number] as GraphLayer
    if (!isInputLayer(l.spec)) errors.push(err(p, `input ${quoteText(ref.layer)} is a ${l.spec.className} layer; model inputs must be InputLayers`))
  })
  spec.layers.forEach((l, i) => {
    if (isInputLayer(l.spec) && !spec.inputs.some((r) => r.layer === l.spec.name)) {
      errors.push(err(paths[i] as string, `InputLayer ${quoteText(l.spec.name ?? '')} is not listed in input_layers: a dangling input`))
    }
  })
  spec.outputs.forEach((ref, k) => checkRef(ref, concatPaths(path, `output_layers[${k}]`)))
  if (spec.outputs.length === 0) errors.push(err(concatPaths(path, `output_layers`), 'expected at least one output'))
  if (spec.inputs.length === 0) errors.push(err(concatPaths(path, `input_layers`), 'expected at least one input'))
  if (errors.length > 0) return errors
  // Cycle check over nodes: depth-first search with colours, on an explicit stack (a chain of thousands
  // of layers is a legal graph; recursion would overflow the call stack on it).
  const state = new Map<string, 'visiting' | 'done'>()
  interface Frame {
    readonly layer: number
    readonly node: number
    readonly args: ReadonlyArray<TensorRef>
    next: number
  }
  const nameOf = (layer: number): string => (spec.layers[layer] as GraphLayer).spec.name ?? `#${layer}`
  const frameOf = (layer: number, node: number): Frame => {
    const l = spec.layers[layer] as GraphLayer
    return { layer, node, args: isInputLayer(l.spec) ? [] : (l.inbound[node] as NodeCall).args, next: 0 }
  }
  const visit = (layer: number, node: number): boolean => {
    if (state.get(`${layer}:${node}`) === 'done') return true
    state.set(`${layer}:${node}`, 'visiting')
    const stack: Frame[] = [frameOf(layer, node)]
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame
      const ref = top.args[top.next]
      if (ref === undefined) {
        state.set(`${top.layer}:${top.node}`, 'done')
        stack.pop()
        continue
      }
      top.next++
      const at = index.get(ref.layer) as number
      const key = `${at}:${ref.node}`
      const s = state.get(key)
      if (s === 'done') continue
      if (s === 'visiting') {
        errors.push(err(concatPaths(paths[at] as string, `inbound_nodes[${ref.node}]`), `the graph has a cycle: ${showTrail([...stack.map((f) => nameOf(f.layer)), nameOf(at)])}`))
        return false
      }
      state.set(key, 'visiting')
      stack.push(frameOf(at, ref.node))
    }
    return true
  }
  for (let i = 0; i < spec.layers.length; i++) for (let n = 0; n < nodeCount(i); n++) if (!visit(i, n)) return errors
  return errors
}

/** Decodes a model entry `{class_name, config, …}` at `path`. */
const decodeModelEntry = (entry: Readonly<Record<string, unknown>>, path: string, ctx: Ctx): Result<ModelSpec> => {
  const cls = entry['class_name']
  const built = isPlainObject(entry['build_config']) ? entry['build_config']['input_shape'] : undefined
  if (cls === 'Sequential') return decodeSequential(entry['config'], concatPaths(path, `config`), ctx, built)
  if (cls === 'Functional' || cls === 'Model') return decodeFunctional(entry['config'], concatPaths(path, `config`), ctx)
  return E.left([err(concatPaths(path, `class_name`), `expected a model class, ${oneOf(MODEL_CLASSES)}, found ${describe(cls)}${typeof cls === 'string' ? suggestion(cls, MODEL_CLASSES) : ''}`)])
}

/** The dialect of a model: the option, else keras_version, else the envelopes of its layers. */
const modelDialect = (root: Readonly<Record<string, unknown>> | null, model: unknown, kerasVersion: unknown): Dialect => {
  const fromVersion = dialectOfKerasVersion(kerasVersion)
  if (fromVersion !== undefined) return fromVersion
  if (root !== null && (hasOwnKey(root, 'module') || hasOwnKey(root, 'registered_name'))) return 'keras3'
  const config = isPlainObject(model) ? model['config'] ?? model : model
  const layers = listItems(isPlainObject(config) ? config['layers'] : config) ?? []
  for (const l of layers) {
    if (isPlainObject(l) && typeof l['class_name'] === 'string') return hasOwnKey(l, 'module') || hasOwnKey(l, 'registered_name') ? 'keras3' : 'keras2'
  }
  return 'keras3'
}

// -------------------------------------------------------------------------------------
// entry points
// -------------------------------------------------------------------------------------

const TOP_KEYS = ['class_name', 'config', 'keras_version', 'backend', 'module', 'registered_name', 'build_config', 'compile_config'] as const
const TFJS_KEYS = ['format', 'generatedBy', 'convertedBy', 'modelTopology', 'weightsManifest', 'signature', 'userDefinedMetadata', 'modelInitializer', 'trainingConfig'] as const

/**
 * Decodes a model file in any accepted form, with every problem found (paths from the file's root).
 * Never throws.
 * @category decode
 */
export const decodeModelFile = (json: unknown, options: ModelDecodeOptions = {}): Result<ModelFile> => {
  try {
    const deep = tooDeep(json)
    if (deep !== undefined) {
      return E.left([err(deep, `the file nests objects and lists more than ${MAX_JSON_DEPTH} levels deep inside this value; no Keras or TensorFlow.js model file does (a corrupted or hostile file?)`)])
    }
    // Decode a copy: nothing the spec keeps (and freezes) can be the caller's own object.
    return decodeFile(copyJson(json), options)
  } catch (e) {
    return E.left([err('', `could not read the model: ${e instanceof Error ? e.message : String(e)}`)])
  }
}

const decodeFile = (json: unknown, options: ModelDecodeOptions): Result<ModelFile> => {
  const imageDataFormat = options.imageDataFormat ?? 'channels_last'
  const finish = (
    r: Result<ModelSpec>,
    format: ModelFormat,
    kerasVersion: unknown,
    weightsManifest: unknown,
    configPath: string,
    listConfig: boolean,
    pre: SpecError[] = [],
    trainingConfig: ModelFile['trainingConfig'] = null
  ): Result<ModelFile> =>
    E.isLeft(r) || pre.length > 0
      ? E.left([...pre, ...(E.isLeft(r) ? r.left : [])])
      : E.right(
          deepFreeze({
            model: r.right,
            format,
            kerasVersion: typeof kerasVersion === 'string' ? kerasVersion : null,
            weightsManifest,
            configPath,
            layersPath: listConfig ? configPath : concatPaths(configPath, 'layers'),
            trainingConfig
          }) as ModelFile
        )

  // Keras ≤ 2.1 Sequential given as its bare list of layers
  if (listItems(json) !== undefined) {
    const ctx = { dialect: options.dialect ?? modelDialect(null, json, undefined), imageDataFormat }
    return finish(decodeSequential(json, '', ctx, undefined), 'config', null, null, '', true)
  }
  if (!isPlainObject(json)) return E.left([err('', `expected a model file (a JSON object), found ${describe(json)}`)])

  // TensorFlow.js model.json
  if (hasOwnKey(json, 'modelTopology') || json['format'] === 'layers-model') {
    const pre = unknownKeys(json, TFJS_KEYS, '', 'a TensorFlow.js model.json')
    if (json['format'] !== undefined && json['format'] !== 'layers-model') {
      pre.push(err('format', `expected format "layers-model" (a graph-model cannot be read as Keras layers), found ${describe(json['format'])}`))
    }
    const topology = json['modelTopology']
    if (!isPlainObject(topology)) return E.left([...pre, err('modelTopology', `expected the model topology (a JSON object), found ${describe(topology)}`)])
    const wrapped = isPlainObject(topology['model_config'])
    const model = wrapped ? (topology['model_config'] as Record<string, unknown>) : topology
    const modelPath = wrapped ? 'modelTopology.model_config' : 'modelTopology'
    if (wrapped) pre.push(...unknownKeys(topology, ['keras_version', 'backend', 'model_config', 'training_config'], 'modelTopology', 'a model topology'))
    else pre.push(...unknownKeys(topology, TOP_KEYS, 'modelTopology', 'a model topology'))
    const kerasVersion = topology['keras_version'] ?? model['keras_version']
    const ctx = { dialect: options.dialect ?? modelDialect(null, model, kerasVersion), imageDataFormat }
    const listConfig = listItems(model['config']) !== undefined
    const training = wrapped && hasOwnKey(topology, 'training_config') ? trainingConfigAt(topology['training_config'], 'modelTopology.training_config') : hasOwnKey(json, 'trainingConfig') ? trainingConfigAt(json['trainingConfig'], 'trainingConfig') : null
    return finish(decodeModelEntry(model, modelPath, ctx), 'tfjs-layers-model', kerasVersion, json['weightsManifest'] ?? null, concatPaths(modelPath, 'config'), listConfig, pre, training)
  }

  // A wrapped model: Keras 2 to_json() or Keras 3
  if (hasOwnKey(json, 'class_name')) {
    const pre = unknownKeys(json, TOP_KEYS, '', 'a model file')
    const ctx = { dialect: options.dialect ?? modelDialect(json, json, json['keras_version']), imageDataFormat }
    const entry = decodeModelEntry(json, '', ctx)
    const training = hasOwnKey(json, 'compile_config') ? trainingConfigAt(json['compile_config'], 'compile_config') : null
    return finish(entry, hasOwnKey(json, 'module') ? 'keras3' : 'keras', json['keras_version'], null, 'config', listItems(json['config']) !== undefined, pre, training)
  }

  // A bare get_config() dict
  if (hasOwnKey(json, 'layers')) {
    const ctx = { dialect: options.dialect ?? modelDialect(null, json, undefined), imageDataFormat }
    const r = hasOwnKey(json, 'input_layers') || hasOwnKey(json, 'output_layers') ? decodeFunctional(json, '', ctx) : decodeSequential(json, '', ctx, undefined)
    return finish(r, 'config', null, null, '', false)
  }
  return E.left([
    err('', `expected a Keras model file: {"class_name", "config", …}, a TensorFlow.js model.json {"modelTopology", …}, or a model config {"layers", …}; found an object with keys ${oneOf(Object.keys(json).slice(0, 8))}`)
  ])
}

/**
 * Decodes a model file into its {@link ModelSpec} (see {@link decodeModelFile}).
 * @category decode
 */
export const decodeModel = (json: unknown, options: ModelDecodeOptions = {}): Result<ModelSpec> =>
  E.map((f: ModelFile) => f.model)(decodeModelFile(json, options))

export { isModelSpec }
