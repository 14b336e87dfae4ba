/**
 * Exporting a model (after training, say) in the files other tools read, as pure data — nothing here
 * touches the file system (`writeTfjsModel` in `src/cli/writeModel.ts` does):
 *
 * - {@link toKerasJson}: the model as Keras JSON (`model.to_json()`), in its own dialect or another;
 * - {@link toTfjsArtifacts}: what TensorFlow.js `model.save('file://…')` writes — a `model.json`
 *   (`format: 'layers-model'`, the tf.keras 2.x topology tfjs-layers reads, a weights manifest) and the
 *   bytes of its one weight shard `group1-shard1of1.bin` — so that tfjs-layers 4.22
 *   (`tf.loadLayersModel`) and layerspec (`decodeModelFile` + `loadTfjsWeights`) both load it.
 *
 * Layouts:
 * - `model.json`: `{ format: 'layers-model', generatedBy, convertedBy: null, modelTopology,
 *   weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name, shape, dtype: 'float32' }, …] }] }`,
 *   `modelTopology` being `{ class_name, config, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }`
 *   (what tfjs-layers' `toJSON` writes) in the `keras2` dialect (tfjs-layers 4.22 reads tf.keras 2.x
 *   JSON, not Keras 3's `module` / `registered_name` envelopes and `{args, kwargs}` nodes).
 * - weight names: `layer/weight` (`conv2d/kernel`, `batch_normalization/moving_mean`,
 *   `depthwise_conv2d/depthwise_kernel`), the innermost layer's own name even inside a nested model,
 *   as tfjs-layers names a weight (`LayerVariable.originalName`) and matches names when it loads;
 * - the shard: every weight in the manifest's order (the model's `weights` order, Keras's), each as
 *   float32 little-endian values in row-major order, back to back, no padding. Float64 params are
 *   rounded to float32 (tfjs has no float64 weights).
 *
 * A model that tfjs-layers 4.22 cannot read, or would read with another meaning (it ignores keys it
 * does not know, so a file is never written with such a key set), is refused: one `SpecError` per
 * problem, its path in the model.json (`modelTopology.config.layers[2].config.groups`), saying what
 * tfjs expects and what the model has. Nothing is dropped or approximated silently.
 */
import * as E from 'fp-ts/lib/Either.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { describe, isPlainObject, quoteText } from '../core/describe.js'
import { concatPaths, formatPath, specError, type PathSegments, type SpecError } from '../core/SpecError.js'
import type { Dialect } from '../codec/Dialect.js'
import type { CompiledModel, ModelParams } from './compileModel.js'
import { decodeModel } from './decodeModel.js'
import { encodeModel } from './encodeModel.js'
import { inferModel, type ModelSummary } from './infer.js'
import type { AnyLayerSpec, ModelSpec } from './ModelSpec.js'
import { isInputLayer, isModelSpec, isOperation } from './ModelSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A Keras model file as JSON (`{ class_name, config, … }`), as `model.to_json()` writes it.
 * @category model
 */
export type KerasModelJson = Readonly<Record<string, unknown>>

/**
 * One weight of a tfjs weights manifest, as tfjs-layers writes it.
 * @category model
 */
export interface TfjsWeightEntry {
  /** `layer/weight`: the layer's own name and the weight's Keras name. */
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly dtype: 'float32'
}

/**
 * A TensorFlow.js `model.json` of a layers model.
 * @category model
 */
export interface TfjsModelJson {
  readonly format: 'layers-model'
  readonly generatedBy: string
  readonly convertedBy: null
  /** The tf.keras 2.x topology: `{ class_name, config, keras_version, backend }`. */
  readonly modelTopology: KerasModelJson
  /** One group: the shard's file name and the weights it holds, in order. */
  readonly weightsManifest: ReadonlyArray<{ readonly paths: ReadonlyArray<string>; readonly weights: ReadonlyArray<TfjsWeightEntry> }>
}

/**
 * What `model.save` writes: the model.json and the bytes of its one shard (`weightsManifest[0].paths[0]`).
 * @category model
 */
export interface TfjsArtifacts {
  readonly modelJson: TfjsModelJson
  /** Every weight of the manifest, float32 little-endian, back to back. */
  readonly weightData: Uint8Array
}

/**
 * Options for {@link toTfjsArtifacts}.
 * @category model
 */
export interface TfjsExportOptions {
  /** `generatedBy` in the model.json; default `'layerspec'`. */
  readonly generatedBy?: string
  /** The shard's file name, written next to model.json; default `'group1-shard1of1.bin'`, as tfjs names it. */
  readonly shardName?: string
}

/**
 * Options for {@link toKerasJson}.
 * @category model
 */
export interface KerasJsonOptions {
  /** The dialect to write (default: the model's own): `keras2` for tf.keras 2.x, `keras3` for Keras 3. */
  readonly dialect?: Dialect
  /** `keras_version` written with a `keras2` model (default `'2.15.0'`); Keras 3's `to_json` writes none. */
  readonly kerasVersion?: string
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/** The tfjs-layers release whose reading the export targets. */
const TFJS_VERSION = 'tfjs-layers 4.22.0'

// -------------------------------------------------------------------------------------
// Keras JSON
// -------------------------------------------------------------------------------------

/**
 * The model as Keras JSON, what `model.to_json()` writes: `encodeModel` in the model's dialect (or
 * `options.dialect`), with `keras_version` and `backend` for `keras2` (tf.keras 2.x writes them; Keras
 * 3 writes neither). Converting to another dialect is checked: the result must decode again with the
 * same weights, and a layer whose meaning differs between the two Kerases (`hard_sigmoid`: Keras 3's
 * `x/6 + 0.5` against tf.keras's `0.2·x + 0.5`) is an error, not a silently different model.
 * Unnamed layers get Keras's names ({@link withLayerNames}), so in its own dialect
 * `decodeModel(toKerasJson(m))` deep-equals `withLayerNames(m)` (`m` itself when every layer is named).
 * Errors are paths into the returned JSON (`config.layers[3].config.activation`).
 * @category Keras JSON
 */
export const toKerasJson = (spec: ModelSpec, options: KerasJsonOptions = {}): Result<KerasModelJson> => {
  const model = withLayerNames(spec)
  const dialect = options.dialect ?? model.dialect
  const json = encodeModel(model, { dialect })
  const out: KerasModelJson = dialect === 'keras2' ? { ...json, keras_version: options.kerasVersion ?? '2.15.0', backend: 'tensorflow' } : json
  if (dialect === model.dialect) return E.right(out)
  const problems = dialectProblems(model, ['config'], dialect)
  if (problems.length > 0) return E.left(problems)
  return E.map(() => out)(rereads(out, model, ''))
}

/**
 * Keras's `to_snake_case` of a class name, the stem of its default layer names: `Conv2D` → `conv2d`,
 * `BatchNormalization` → `batch_normalization`, `MaxPooling2D` → `max_pooling2d`, `ReLU` → `re_lu`.
 */
const snakeCase = (className: string): string =>
  className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()

/**
 * The model with a name for every unnamed layer (a `sequential([...])` of layers built without
 * `name`), as Keras names them: the class in snake case, then `_1`, `_2`, … for the next ones, unique
 * across the whole model (nested models included) and never a name the model already uses. Keras and
 * tfjs-layers always write names, and tfjs matches weights to layers by them. Named layers keep theirs.
 */
export const withLayerNames = (model: ModelSpec): ModelSpec => {
  const used = new Set<string>()
  const collect = (m: ModelSpec): void => {
    if (m.name !== null) used.add(m.name)
    for (const s of layersOf(m)) {
      if (s.name !== null) used.add(s.name)
      if (isModelSpec(s)) collect(s)
    }
  }
  collect(model)
  const fresh = (className: string): string => {
    const stem = snakeCase(className)
    let name = stem
    for (let k = 1; used.has(name); k++) name = `${stem}_${k}`
    used.add(name)
    return name
  }
  const name = <S extends AnyLayerSpec>(s: S): S => (s.name === null && !isOperation(s) ? { ...s, name: fresh(isModelSpec(s) ? s.className.toLowerCase() : s.className) } : s)
  const walk = (m: ModelSpec): ModelSpec => {
    const inner = (s: AnyLayerSpec): AnyLayerSpec => (isModelSpec(s) ? name(walk(s)) : name(s))
    return m.className === 'Sequential' ? { ...m, layers: m.layers.map(inner) } : { ...m, layers: m.layers.map((l) => ({ ...l, spec: inner(l.spec) })) }
  }
  return walk(model)
}

/** Layers whose meaning changes with the dialect, when `model` is written in `to`. */
const dialectProblems = (model: ModelSpec, at: PathSegments, to: Dialect): SpecError[] =>
  layersOf(model).flatMap((spec, i) => {
    const here = [...at, 'layers', i]
    if (isModelSpec(spec)) return dialectProblems(spec, [...here, 'config'], to)
    const activation = stringField(spec, 'activation')
    return activation === 'hard_sigmoid' && spec.dialect !== to
      ? [specError(formatPath([...here, 'config', 'activation']), `${layerLabel(spec)}: "hard_sigmoid" is clip(${spec.dialect === 'keras3' ? 'x/6 + 0.5' : '0.2·x + 0.5'}, 0, 1) in ${spec.dialect} but clip(${to === 'keras3' ? 'x/6 + 0.5' : '0.2·x + 0.5'}, 0, 1) in ${to}: the ${to} file would compute another function; expected an activation both dialects agree on`)]
      : []
  })

// -------------------------------------------------------------------------------------
// TensorFlow.js
// -------------------------------------------------------------------------------------

/**
 * The model's topology as tfjs-layers 4.22 reads it (`modelTopology` of a model.json): the `keras2`
 * encoding with `keras_version: 'tfjs-layers 4.22.0'` and `backend: 'tensor_flow.js'`, initializer and
 * regularizer classes under names tfjs registers (`LecunNormal` → the `VarianceScaling` it is,
 * `L1` / `L2` → `L1L2`). Errors (paths from the model.json root) for whatever tfjs-layers 4.22 cannot build or would
 * compute differently; see {@link toTfjsArtifacts}.
 * @category TensorFlow.js
 */
export const toTfjsTopology = (spec: ModelSpec): Result<KerasModelJson> => {
  const model = withLayerNames(spec)
  const root: PathSegments = ['modelTopology', 'config']
  const problems = [...tfjsProblems(model, root), ...dialectProblems(model, root, 'keras2')]
  if (problems.length > 0) return E.left(problems)
  const encoded = encodeModel(model, { dialect: 'keras2' })
  const renamed = renameForTfjs(encoded, ['modelTopology'])
  if (renamed.errors.length > 0) return E.left(renamed.errors)
  const topology: KerasModelJson = { ...(renamed.value as KerasModelJson), keras_version: TFJS_VERSION, backend: 'tensor_flow.js' }
  return E.map(() => topology)(rereads(topology, model, 'modelTopology'))
}

/**
 * What tfjs-layers' `model.save` writes for `compiled` with `params` (in `compiled.weights` order):
 * the model.json ({@link TfjsModelJson}) and its shard's bytes. `tf.loadLayersModel` (or
 * `tf.io.fromMemory`) loads it, and so does layerspec (`decodeModelFile` → `compileModel` →
 * `loadTfjsWeights`, which gives back `params` bit for bit when they are float32).
 *
 * Refused, each with its path in the model.json and what tfjs expects:
 * - layers tfjs-layers 4.22 does not have (`Subtract`, `SpatialDropout2D`, `Normalization`, the
 *   random augmentation layers, Keras 3 operation nodes, …) or that layerspec does not export;
 * - arguments tfjs ignores or runs otherwise: `groups` > 1, a dilated `DepthwiseConv2D` or transposed
 *   convolution, `output_padding`, causal `Conv1D`, `channels_first` 1-D layers and SeparableConv2D,
 *   global pooling `keepdims`, bilinear `UpSampling2D`, a Reshape with -1, a Softmax not on the last axis, `ReLU`'s `negative_slope` / `threshold`, BatchNormalization on
 *   an axis other than the last (tfjs indexes the statistics by flat position) or with `renorm`, array `Rescaling` factors, activity regularizers (tfjs throws when the
 *   layer runs), LoRA, activations tfjs lacks (`leaky_relu`, `exponential`, `hard_silu`, …) and Keras 3's
 *   `hard_sigmoid`, float64 / float16 layers, sparse or ragged inputs;
 * - initializers tfjs cannot build while loading (`Orthogonal` / `Identity` outside Dense, VarianceScaling
 *   with `untruncated_normal`), and regularizers or constraints it has no class for;
 * - two weights with the same `layer/weight` name (layers of nested models named alike): tfjs-layers
 *   names weights by their own layer's name and refuses duplicates;
 * - `params` that do not fit `compiled.weights` (count, shape, size), paths `params[i]`.
 * @category TensorFlow.js
 */
export const toTfjsArtifacts = (compiled: CompiledModel, params: ModelParams, options: TfjsExportOptions = {}): Result<TfjsArtifacts> => {
  const paramErrors = paramProblems(compiled, params)
  if (paramErrors.length > 0) return E.left(paramErrors)
  const topology = toTfjsTopology(compiled.model)
  if (E.isLeft(topology)) return topology
  // The names tfjs-layers gives each weight: those of the keras2 model it will build (a Keras 3
  // DepthwiseConv2D's `kernel` is tf.keras's `depthwise_kernel`), in compiled.weights' order.
  const reread = rereads(topology.right, compiled.model, 'modelTopology')
  if (E.isLeft(reread)) return reread
  const names = reread.right.weights.map((w) => `${w.layer}/${w.name}`)
  const seen = new Map<string, string>()
  const clashes: SpecError[] = []
  names.forEach((n, i) => {
    const path = compiled.weights[i]?.path ?? n
    const before = seen.get(n)
    if (before !== undefined) {
      clashes.push(
        specError(
          'weightsManifest',
          `weights ${quoteText(before)} and ${quoteText(path)} would both be named ${quoteText(n)}: tfjs-layers names a weight by its own layer's name (not the nested model's path) and refuses duplicates ("Duplicate weight name"); expected layer names unique across nested models`
        )
      )
    } else seen.set(n, path)
  })
  if (clashes.length > 0) return E.left(clashes)
  const shardName = options.shardName ?? 'group1-shard1of1.bin'
  const weights: TfjsWeightEntry[] = compiled.weights.map((w, i) => ({ name: names[i] as string, shape: [...w.shape], dtype: 'float32' }))
  return E.right({
    modelJson: {
      format: 'layers-model',
      generatedBy: options.generatedBy ?? 'layerspec',
      convertedBy: null,
      modelTopology: topology.right,
      weightsManifest: [{ paths: [shardName], weights }]
    },
    weightData: packFloat32(params)
  })
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const layersOf = (m: ModelSpec): ReadonlyArray<AnyLayerSpec> => (m.className === 'Sequential' ? m.layers : m.layers.map((l) => l.spec))

const field = (spec: AnyLayerSpec, key: string): unknown => (spec as unknown as Readonly<Record<string, unknown>>)[key]
const stringField = (spec: AnyLayerSpec, key: string): string | undefined => {
  const v = field(spec, key)
  return typeof v === 'string' ? v : undefined
}

const layerLabel = (spec: AnyLayerSpec): string => `${spec.className} ${quoteText(spec.name ?? '(unnamed)')}`

/** float32 little-endian, every tensor back to back. */
const packFloat32 = (params: ModelParams): Uint8Array => {
  const total = params.reduce((a, p) => a + p.data.length, 0)
  const out = new Uint8Array(total * 4)
  const view = new DataView(out.buffer)
  let at = 0
  for (const p of params) {
    for (let i = 0; i < p.data.length; i++) {
      view.setFloat32(at, p.data[i] as number, true)
      at += 4
    }
  }
  return out
}

const paramProblems = (compiled: CompiledModel, params: ModelParams): SpecError[] => {
  if (params.length !== compiled.weights.length) {
    return [specError('params', `expected ${compiled.weights.length} tensors (one per weight of compiled.weights), found ${params.length}`)]
  }
  return compiled.weights.flatMap((w, i) => {
    const p = params[i]
    const n = w.shape.reduce((a, b) => a * b, 1)
    if (p === undefined || p.shape.length !== w.shape.length || p.shape.some((d, k) => d !== w.shape[k]) || p.data.length !== n) {
      return [specError(`params[${i}]`, `weight ${quoteText(w.path)}: expected shape [${w.shape.join(', ')}] (${n} values), found ${p === undefined ? 'nothing' : `shape [${p.shape.join(', ')}] with ${p.data.length} values`}`)]
    }
    return []
  })
}

/**
 * Decodes a written model again and checks it has the same weights (count, order and shapes) as
 * `model`: the encoder's output is what a reader sees. Returns the summary of the re-read model.
 */
const rereads = (json: KerasModelJson, model: ModelSpec, at: string): Result<ModelSummary> => {
  const prefix = (errs: ReadonlyArray<SpecError>): ReadonlyArray<SpecError> => errs.map((e) => ({ path: concatPaths(at, e.path), message: `the written model does not read back: ${e.message}` }))
  const decoded = decodeModel(json)
  if (E.isLeft(decoded)) return E.left(prefix(decoded.left))
  const theirs = inferModel(decoded.right)
  const ours = inferModel(model)
  if (E.isLeft(theirs)) return E.left(prefix(theirs.left))
  if (E.isLeft(ours)) return ours
  const a = ours.right.weights
  const b = theirs.right.weights
  // Same count, order, shapes and weight names (a Keras 3 DepthwiseConv2D's `kernel` is tf.keras's `depthwise_kernel`).
  const sameName = (x: string, y: string): boolean => x === y || (x === 'kernel' && y === 'depthwise_kernel') || (x === 'depthwise_kernel' && y === 'kernel')
  const same =
    a.length === b.length &&
    a.every((w, i) => {
      const v = b[i]
      return v !== undefined && sameName(w.name, v.name) && w.shape.length === v.shape.length && w.shape.every((d, k) => d === v.shape[k])
    })
  if (!same) {
    return E.left([
      specError(at, `the written model reads back with other weights: [${b.map((w) => `${w.path} [${w.shape.join(', ')}]`).join(', ')}], expected [${a.map((w) => `${w.path} [${w.shape.join(', ')}]`).join(', ')}]`)
    ])
  }
  return theirs
}

// -------------------------------------------------------------------------------------
// what tfjs-layers 4.22 reads
// -------------------------------------------------------------------------------------

/** Activation names tfjs-layers 4.22 registers with Keras's meaning (`keras2` spelling; `silu` is written `swish`). */
const TFJS_ACTIVATIONS: ReadonlySet<string> = new Set(['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh', 'softplus', 'softsign', 'softmax', 'log_softmax', 'silu', 'gelu', 'mish'])

/** Layer classes tfjs-layers 4.22 has and layerspec exports (with the checks below). */
const TFJS_LAYERS: ReadonlySet<string> = new Set([
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Dense',
  'Flatten',
  'Reshape',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Dropout',
  'Rescaling',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
  'BatchNormalization',
  'Add',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Conv1D',
  'Conv3D',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'MaxPooling1D',
  'AveragePooling1D',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'MaxPooling3D',
  'AveragePooling3D'
])

/** Layers whose `channels_first` tfjs-layers 4.22 ignores or runs wrong (measured: other shapes or values). */
const CHANNELS_LAST_ONLY: ReadonlySet<string> = new Set(['Conv1D', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'SeparableConv2D'])

/** Why a class cannot be exported, where there is more to say than "tfjs-layers 4.22 has no such layer". */
const MISSING_WHY: NameTable<string> = nameTable<string>({
  Subtract: 'tfjs-layers 4.22 has no Subtract layer (nothing is registered under that name)',
  SpatialDropout2D: 'tfjs-layers 4.22 has SpatialDropout1D only; a Dropout keeps the inference-time behaviour but drops elementwise when trained',
  Normalization: 'tfjs-layers 4.22 has no Normalization layer; fold it into the data or a Rescaling'
})

/** A BatchNormalization's input rank, from the summary of the model holding it (one row per layer name). */
const outputRank = (summary: ModelSummary | null, name: string | null): number | null => {
  const row = summary?.layers.find((l) => l.name === name)
  const shape = row?.outputShapes[0]
  return shape === undefined ? null : shape.length
}

/** Everything tfjs-layers 4.22 would refuse or compute otherwise, with paths under `at` (the model's config). */
const tfjsProblems = (model: ModelSpec, at: PathSegments): SpecError[] => {
  const summary = inferModel(model)
  const rows = E.isRight(summary) ? summary.right : null
  return layersOf(model).flatMap((spec, i) => {
    const here = [...at, 'layers', i]
    const err = (key: string | null, message: string): SpecError => specError(formatPath(key === null ? here : [...here, 'config', key]), `${layerLabel(spec)}: ${message}`)
    if (isOperation(spec)) return [err(null, `tfjs-layers 4.22 has no Keras 3 operation nodes (keras.ops calls); expected a layer`)]
    if (isModelSpec(spec)) return tfjsProblems(spec, [...here, 'config'])
    const out: SpecError[] = []
    if (!TFJS_LAYERS.has(spec.className)) {
      const why = MISSING_WHY.get(spec.className) ?? 'tfjs-layers 4.22 has no such layer, or layerspec does not export it'
      return [specError(formatPath([...here, 'class_name']), `${layerLabel(spec)}: ${why}; expected one of ${[...TFJS_LAYERS].join(', ')} or a nested Sequential / Functional model`)]
    }
    if (isInputLayer(spec)) {
      if (spec.sparse || spec.ragged) out.push(err(spec.sparse ? 'sparse' : 'ragged', `tfjs-layers 4.22 has no sparse or ragged inputs; expected false`))
    }
    if (spec.dtype !== 'float32') out.push(err('dtype', `tfjs-layers computes in float32; expected "float32", found ${describe(spec.dtype)}`))
    const activation = stringField(spec, 'activation')
    if (activation !== undefined) {
      // (Keras 3's hard_sigmoid, which tfjs computes as tf.keras does, is reported by dialectProblems.)
      if (!TFJS_ACTIVATIONS.has(activation)) out.push(err('activation', `tfjs-layers 4.22 has no activation ${quoteText(activation)}; expected one of ${[...TFJS_ACTIVATIONS].join(', ')} (or a separate layer, e.g. LeakyReLU)`))
    }
    const activity = field(spec, 'activityRegularizer')
    if (activity !== undefined && activity !== null) out.push(err('activity_regularizer', `tfjs-layers 4.22 throws NotImplementedError when a layer with an activity regularizer runs; expected null`))
    const lora = field(spec, 'loraRank')
    if (lora !== undefined && lora !== null) out.push(err('lora_rank', `tfjs-layers 4.22 has no LoRA; expected null (merge the LoRA factors into the kernel first), found ${describe(lora)}`))
    const groups = field(spec, 'groups')
    if (typeof groups === 'number' && groups !== 1) out.push(err('groups', `tfjs-layers 4.22 ignores "groups" (it would run an ungrouped convolution with a kernel of another shape); expected 1, found ${groups}`))
    const dilation = field(spec, 'dilationRate')
    if ((spec.className === 'DepthwiseConv2D' || spec.className.endsWith('Transpose')) && Array.isArray(dilation) && dilation.some((d) => d !== 1)) {
      out.push(err('dilation_rate', `tfjs-layers 4.22 ignores the dilation of a ${spec.className} (its output has another shape); expected ${describe(dilation.map(() => 1))}, found ${describe(dilation)}`))
    }
    const outputPadding = field(spec, 'outputPadding')
    if (outputPadding !== undefined && outputPadding !== null) {
      out.push(err('output_padding', `tfjs-layers 4.22 ignores "output_padding" of a transposed convolution (its output has another shape); expected null, found ${describe(outputPadding)}`))
    }
    if (spec.className === 'Conv1D' && field(spec, 'padding') === 'causal') {
      out.push(err('padding', `tfjs-layers 4.22 cannot run causal padding ("The support for CAUSAL padding mode in conv1dWithBias is not implemented yet"); expected "valid" or "same" (or a ZeroPadding before it, in a model for tfjs), found "causal"`))
    }
    if (CHANNELS_LAST_ONLY.has(spec.className) && field(spec, 'dataFormat') === 'channels_first') {
      out.push(err('data_format', `tfjs-layers 4.22 runs a ${spec.className} in channels_first with another result (it treats the input as channels_last); expected "channels_last"`))
    }
    if (field(spec, 'keepdims') === true) out.push(err('keepdims', `tfjs-layers 4.22 has no "keepdims" on global pooling (it drops the key and returns [batch, channels]); expected false (add a Reshape to [1, 1, channels] after the pooling)`))
    if (spec.className === 'UpSampling2D' && field(spec, 'interpolation') !== 'nearest') {
      out.push(err('interpolation', `tfjs-layers 4.22 resizes "bilinear" with the legacy asymmetric rule, not Keras's half-pixel one; expected "nearest", found ${describe(field(spec, 'interpolation'))}`))
    }
    if (spec.className === 'ReLU') {
      if (field(spec, 'negativeSlope') !== 0) out.push(err('negative_slope', `tfjs-layers 4.22's ReLU has only max_value; expected 0, found ${describe(field(spec, 'negativeSlope'))}`))
      if (field(spec, 'threshold') !== 0) out.push(err('threshold', `tfjs-layers 4.22's ReLU has only max_value; expected 0, found ${describe(field(spec, 'threshold'))}`))
    }
    if (spec.className === 'Reshape') {
      const target = field(spec, 'targetShape')
      if (Array.isArray(target) && target.includes(-1)) {
        const shape = rows?.layers.find((l) => l.name === spec.name)?.outputShapes[0]
        const explicit = shape === undefined || shape.slice(1).some((d) => d === null) ? '' : ` (here [${shape.slice(1).join(', ')}])`
        out.push(err('target_shape', `tfjs-layers 4.22 cannot run a Reshape with -1 ("Tensor must have a shape comprised of positive integers"); expected the explicit target shape${explicit}, found ${describe(target)}`))
      }
    }
    if (spec.className === 'Softmax') {
      const axis = field(spec, 'axis')
      const rank = outputRank(rows, spec.name)
      const a = Array.isArray(axis) && axis.length === 1 ? (axis[0] as number) : null
      if (a === null || !(a === -1 || (rank !== null && a === rank - 1))) {
        out.push(err('axis', `tfjs-layers 4.22's Softmax runs along the last axis only ("Softmax along a non-last dimension is not yet supported"); expected ${rank === null ? '-1' : `-1 or ${rank - 1}`}, found ${describe(axis)}`))
      }
    }
    if (spec.className === 'Rescaling') {
      if (typeof field(spec, 'scale') !== 'number') out.push(err('scale', `tfjs-layers 4.22's Rescaling takes a number; expected one, found ${describe(field(spec, 'scale'))}`))
      if (typeof field(spec, 'offset') !== 'number') out.push(err('offset', `tfjs-layers 4.22's Rescaling takes a number; expected one, found ${describe(field(spec, 'offset'))}`))
    }
    if (spec.className === 'BatchNormalization') {
      const axis = field(spec, 'axis')
      const rank = outputRank(rows, spec.name)
      const a = Array.isArray(axis) && axis.length === 1 ? (axis[0] as number) : null
      if (a === null || rank === null || !(a === -1 || a === rank - 1)) {
        out.push(
          err(
            'axis',
            `tfjs-layers 4.22 normalizes right only along the last axis (on another one its batchNorm kernel indexes the statistics by flat position modulo the channels); expected ${rank === null ? '-1' : `-1 or ${rank - 1}`}, found ${describe(axis)}`
          )
        )
      }
      if (field(spec, 'renorm') === true) out.push(err('renorm', `tfjs-layers 4.22 has no batch renormalization; expected false`))
    }
    return out
  })
}

/**
 * Initializer classes tfjs-layers registers (Keras name → the name written). tfjs spells the LeCun
 * presets `LeCunNormal` / `LeCunUniform`, a name neither Keras (nor layerspec's decoder) knows, so they
 * are written as the `VarianceScaling` they are defined as, which both read.
 */
const TFJS_INITIALIZERS: NameTable<string> = nameTable<string>({
  Zeros: 'Zeros',
  Ones: 'Ones',
  Constant: 'Constant',
  RandomNormal: 'RandomNormal',
  RandomUniform: 'RandomUniform',
  TruncatedNormal: 'TruncatedNormal',
  VarianceScaling: 'VarianceScaling',
  GlorotUniform: 'GlorotUniform',
  GlorotNormal: 'GlorotNormal',
  HeUniform: 'HeUniform',
  HeNormal: 'HeNormal',
  LecunUniform: 'VarianceScaling',
  LecunNormal: 'VarianceScaling',
  Orthogonal: 'Orthogonal',
  Identity: 'Identity'
})
const TFJS_CONSTRAINTS: ReadonlySet<string> = new Set(['MaxNorm', 'MinMaxNorm', 'NonNeg', 'UnitNorm'])

interface Renamed {
  readonly value: unknown
  readonly errors: ReadonlyArray<SpecError>
}

/**
 * The keras2 encoding with initializer, regularizer and constraint objects under tfjs's class names,
 * and errors for those tfjs cannot build. Walks every `*_initializer` / `*_regularizer` /
 * `*_constraint` key of every layer config (nested models too).
 */
const renameForTfjs = (u: unknown, at: PathSegments, layerClass: string | null = null): Renamed => {
  if (Array.isArray(u)) {
    const parts = u.map((v, i) => renameForTfjs(v, [...at, i], layerClass))
    return { value: parts.map((p) => p.value), errors: parts.flatMap((p) => p.errors) }
  }
  if (!isPlainObject(u)) return { value: u, errors: [] }
  const cls = typeof u['class_name'] === 'string' && isPlainObject(u['config']) ? (u['class_name'] as string) : layerClass
  const errors: SpecError[] = []
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(u)) {
    const here = [...at, k]
    if (k.endsWith('_initializer') && isPlainObject(v)) {
      const name = v['class_name']
      const config = isPlainObject(v['config']) ? v['config'] : {}
      const tfjsName = typeof name === 'string' ? TFJS_INITIALIZERS.get(name) : undefined
      if (tfjsName === undefined) errors.push(specError(formatPath([...here, 'class_name']), `tfjs-layers 4.22 has no initializer ${describe(name)}; expected one of ${[...TFJS_INITIALIZERS.names].join(', ')}`))
      else if ((name === 'Orthogonal' || name === 'Identity') && cls !== 'Dense') errors.push(specError(formatPath([...here, 'class_name']), `tfjs-layers 4.22 builds ${name} only for a 2-D weight (it fails on a ${cls ?? 'layer'}'s, "rMat.flatten is not a function") while it loads the model; expected another initializer (the exported weights do not depend on it)`))
      else if (name === 'VarianceScaling' && config['distribution'] === 'untruncated_normal') errors.push(specError(formatPath([...here, 'config', 'distribution']), `tfjs-layers 4.22's VarianceScaling has no "untruncated_normal"; expected "truncated_normal", "normal" or "uniform"`))
      const lecun = name === 'LecunNormal' ? 'truncated_normal' : name === 'LecunUniform' ? 'uniform' : null
      out[k] = tfjsName === undefined ? v : lecun !== null ? { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: lecun, seed: config['seed'] ?? null } } : { ...v, class_name: tfjsName }
      continue
    }
    if (k.endsWith('_regularizer') && isPlainObject(v)) {
      const name = v['class_name']
      const config = isPlainObject(v['config']) ? v['config'] : {}
      if (name === 'L1' || name === 'L2' || name === 'L1L2') out[k] = { class_name: 'L1L2', config: { l1: config['l1'] ?? 0, l2: config['l2'] ?? 0 } }
      else {
        errors.push(specError(formatPath([...here, 'class_name']), `tfjs-layers 4.22 has no regularizer ${describe(name)}; expected L1, L2 or L1L2 (written as L1L2)`))
        out[k] = v
      }
      continue
    }
    if (k.endsWith('_constraint') && isPlainObject(v)) {
      const name = v['class_name']
      if (typeof name !== 'string' || !TFJS_CONSTRAINTS.has(name)) errors.push(specError(formatPath([...here, 'class_name']), `tfjs-layers 4.22 has no constraint ${describe(name)}; expected one of ${[...TFJS_CONSTRAINTS].join(', ')}`))
      out[k] = v
      continue
    }
    const r = renameForTfjs(v, here, cls)
    out[k] = r.value
    errors.push(...r.errors)
  }
  return { value: out, errors }
}
