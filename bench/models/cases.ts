/**
 * The models of `npm run bench:models`: every runnable real model file with known input dimensions
 * (spec/fixtures/shared/real-keras-models, a copy of ../shared/testdata/real-keras-models; J at the
 * 128×128×1 its first Conv2D declares), every example model, four keras.applications architectures
 * written by Keras 3.15 (spec/fixtures/keras3/apps, at their fixture sizes, with the fixtures' own
 * weights) and two models built in tfjs-layers (a wide Dense MLP, MobileNetV2 inverted residual
 * blocks).
 *
 * Each case loads into what every engine needs, through the public API only (`decodeModelFile`,
 * `compileModel`, `encodeModel`, `loadTfjsWeights`, `assignOrderedWeights`):
 * - the layerspec model spec (and input shapes where the file's are unknown);
 * - the topology tfjs-layers reads: the file itself where `tfl.models.modelFromJSON` accepts it,
 *   else layerspec's `encodeModel(model, { dialect: 'keras2' })` (Keras 3 files, a bare get_config,
 *   the `L2` regularizer class tfjs lacks), with the few documented adjustments below;
 * - the weights, one value per layerspec weight: the file's own (examples/tfjs), the fixture's
 *   (keras.applications: regenerated bit for bit as spec/keras3/applications.spec.ts does), else
 *   seeded by name with golden.ts's fill rule (He-uniform kernels, gamma in [0.8, 1.2], moving
 *   variance in [0.5, 1.5], biases / beta / moving mean in ±0.1), so that every BatchNormalization
 *   really normalizes;
 * - the input: seeded uniform values (the fixture's range for keras.applications).
 *
 * Deterministic: the benchmark's child processes (peak memory, cold first call) load the same case by
 * name and get the same model, weights and input.
 */
import * as E from 'fp-ts/lib/Either.js'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  assignOrderedWeights,
  decodeModelFile,
  encodeModel,
  formatErrors,
  inferModel,
  loadTfjsWeights,
  type CompiledModel,
  type ModelFile,
  type ModelSummary,
  type ModelParams,
  type ModelSpec,
  type SpecError
} from '../../src/index.js'
import { uniform, weightRange } from '../../spec/keras3/golden.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const readJson = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'))

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

export type Group = 'real' | 'example' | 'keras.applications' | 'synthetic'

/** A model the bench runs, before loading. */
export interface ModelCase {
  /** Short name, as `--model` takes it and the table prints it. */
  readonly name: string
  readonly group: Group
  /** Where it comes from (a file, or how it is built). */
  readonly source: string
  /** One line on what it is. */
  readonly what: string
  /** In the `--quick` set. */
  readonly quick: boolean
  readonly load: () => Promise<LoadedCase>
}

/** Everything the engines need, identical in every process that loads the case. */
export interface LoadedCase {
  readonly model: ModelSpec
  /** Per-sample input shapes given to compileModel (models whose file leaves them unknown). */
  readonly inputShapes?: ReadonlyArray<ReadonlyArray<number>>
  /** The topology tfjs-layers loads, or why tfjs cannot run the model. */
  readonly tfjs: { readonly topology: unknown; readonly how: string } | { readonly skip: string }
  /** The weights for a compiled model (one tensor per `compiled.weights` entry, Keras order). */
  readonly weights: (compiled: CompiledModel) => ModelParams
  /** Where the weights come from. */
  readonly weightSource: string
  /** The input values of a batch (one array per model input, `[batch, ...inputShape]`). */
  readonly input: (compiled: CompiledModel, batch: number) => ReadonlyArray<Float32Array>
  /** What was adjusted for tfjs, and anything else worth printing with the row. */
  readonly notes: ReadonlyArray<string>
}

/** A model the bench does not run, and why. */
export interface SkippedCase {
  readonly name: string
  readonly source: string
  readonly reason: string
}

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const orThrow = <A>(what: string, r: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(r)) throw new Error(`${what}: ${formatErrors(r.left.slice(0, 5))}`)
  return r.right
}

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** A stable 31-bit seed from a string (FNV-1a). */
export const seedOf = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
  return h & 0x7fffffff
}

/** Weights seeded by path with golden.ts's fill rule, in `compiled.weights` order. */
const seededWeights = (seed: number) => (compiled: CompiledModel): ModelParams =>
  compiled.weights.map((w) => {
    const [low, high] = weightRange(w.path, w.shape)
    return { shape: w.shape, data: uniform(seed ^ seedOf(w.path), sizeOf(w.shape), low, high) }
  })

/** Seeded inputs in [low, high): input `i` from `seed + i`, the batch part of the seed. */
const seededInput = (seed: number, low = -1, high = 1) => (compiled: CompiledModel, batch: number): ReadonlyArray<Float32Array> =>
  compiled.inputShapes.map((s, i) => uniform(seed + 7919 * batch + i, batch * sizeOf(s), low, high))

type Json = Record<string, unknown>
type LayerEntry = { class_name: string; name?: string; config: Json; inbound_nodes?: unknown }

/** The layer list of a keras2 topology (Sequential or functional), or `null`. */
const layersOf = (topology: unknown): LayerEntry[] | null => {
  const config = (topology as { config?: unknown }).config
  if (Array.isArray(config)) return config as LayerEntry[]
  const layers = (config as { layers?: unknown } | undefined)?.layers
  return Array.isArray(layers) ? (layers as LayerEntry[]) : null
}

/**
 * tfjs-layers 4.22 has no `keepdims` on global pooling (it drops the key and returns [batch, C]):
 * a Keras 3 `GlobalAveragePooling2D(keepdims=True)` becomes the pooling followed by a
 * `Reshape((1, 1, C))` named as the original layer (Keras 2's MobileNet head, D.json, is exactly
 * that), so the graph and weight names stay the same. Functional keras2 topologies only.
 */
const splitKeepdims = (topology: unknown, channels: (name: string) => number | undefined): { topology: unknown; changed: string[] } => {
  const copy = structuredClone(topology) as { config: { layers: LayerEntry[] } }
  const layers = layersOf(copy)
  const changed: string[] = []
  if (layers === null || Array.isArray((copy as { config: unknown }).config)) return { topology, changed }
  const out: LayerEntry[] = []
  for (const l of layers) {
    const keep = l.config['keepdims'] === true && (l.class_name === 'GlobalAveragePooling2D' || l.class_name === 'GlobalMaxPooling2D')
    const name = l.name ?? (l.config['name'] as string)
    const c = channels(name)
    if (!keep || c === undefined || l.config['data_format'] === 'channels_first') {
      out.push(l)
      continue
    }
    const pooled = `${name}__pooled`
    out.push({ ...l, name: pooled, config: { ...l.config, name: pooled, keepdims: false } })
    out.push({
      class_name: 'Reshape',
      name,
      config: { name, trainable: true, dtype: 'float32', target_shape: [1, 1, c] },
      inbound_nodes: [[[pooled, 0, 0, {}]]]
    })
    changed.push(name)
  }
  copy.config.layers = out
  return { topology: copy, changed }
}

/**
 * The topology tfjs reads: the file's own when `modelFromJSON` takes it (checked by the caller, who
 * has tfjs), else the keras2 encoding. Returns both candidates; `how` says which is which.
 */
const tfjsCandidates = (json: unknown, file: ModelFile): { readonly raw: unknown; readonly encoded: unknown } => ({
  raw: (json as { modelTopology?: unknown }).modelTopology ?? json,
  encoded: encodeModel(file.model, { dialect: 'keras2' })
})

// -------------------------------------------------------------------------------------
// loading
// -------------------------------------------------------------------------------------

/**
 * Set by the caller that has tfjs-layers loaded: whether `modelFromJSON` accepts a topology (built
 * and disposed on the current backend). The catalogue itself never imports tfjs, so that a child
 * process measuring layerspec alone does not load it.
 */
export interface TfjsProbe {
  readonly accepts: (topology: unknown) => Promise<string | null>
}

let probe: TfjsProbe | undefined
export const setTfjsProbe = (p: TfjsProbe): void => {
  probe = p
}

/** The tfjs topology of a file: raw if tfjs takes it, else encoded (keepdims split), else a skip. */
const tfjsTopology = async (json: unknown, file: ModelFile, summary: ModelSummary, adjust?: (t: unknown) => unknown): Promise<LoadedCase['tfjs'] & { notes?: string[] }> => {
  if (probe === undefined) return { skip: 'tfjs not loaded in this process' }
  const { raw, encoded } = tfjsCandidates(json, file)
  const rawT = adjust === undefined ? raw : adjust(raw)
  const rawErr = await probe.accepts(rawT)
  if (rawErr === null) return { topology: rawT, how: 'the file' }
  const channelsOf = (name: string): number | undefined => {
    const layer = summary.layers.find((l) => l.name === name)
    const shape = layer?.outputShapes[0]
    const c = shape?.[shape.length - 1]
    return typeof c === 'number' ? c : undefined
  }
  const split = splitKeepdims(encoded, channelsOf)
  const encT = adjust === undefined ? split.topology : adjust(split.topology)
  const encErr = await probe.accepts(encT)
  const how = `encodeModel(…, { dialect: 'keras2' })${split.changed.length > 0 ? `, keepdims pooling → pooling + Reshape (${split.changed.join(', ')})` : ''}`
  if (encErr === null) return { topology: encT, how, notes: [`tfjs-layers refuses the file itself (${rawErr.slice(0, 120)})`] }
  return { skip: `tfjs-layers refuses the file (${rawErr.slice(0, 100)}) and its keras2 encoding (${encErr.slice(0, 100)})` }
}

const fromFile = async (path: string, options: { readonly inputShape?: ReadonlyArray<number>; readonly adjustTfjs?: (t: unknown) => unknown; readonly adjustNote?: string } = {}): Promise<LoadedCase> => {
  const json = readJson(path)
  const file = orThrow(`decode ${path}`, decodeModelFile(json))
  const inputShapes = options.inputShape === undefined ? undefined : [options.inputShape]
  const summary = orThrow(`infer ${path}`, inferModel(file.model, inputShapes === undefined ? {} : { inputShapes: inputShapes.map((s) => [null, ...s]) }))
  const tfjs = await tfjsTopology(json, file, summary, options.adjustTfjs)
  const seed = seedOf(path)
  // tfjs model.json files with their shards next to them carry real weights
  const manifest: unknown = file.weightsManifest
  const groups = Array.isArray(manifest) ? (manifest as ReadonlyArray<{ readonly paths?: ReadonlyArray<string> }>) : null
  const shards = groups !== null && groups.every((g) => (g.paths ?? []).every((p: string) => existsSync(join(root, dirname(path), p))))
  const notes = [...('notes' in tfjs ? (tfjs.notes ?? []) : []), ...(options.adjustNote === undefined ? [] : [options.adjustNote])]
  const base = {
    model: file.model,
    ...(inputShapes === undefined ? {} : { inputShapes }),
    tfjs: 'skip' in tfjs ? { skip: tfjs.skip } : { topology: tfjs.topology, how: tfjs.how },
    input: seededInput(seed),
    notes
  }
  if (shards) {
    return {
      ...base,
      weightSource: 'the file\'s own (weights manifest and shards)',
      weights: (c) => {
        const p = orThrow(`weights of ${path}`, loadTfjsWeights(join(root, path), file, c))
        if (p === null) throw new Error(`${path}: no weights manifest`)
        return p
      }
    }
  }
  return { ...base, weightSource: `seeded by name (golden.ts fill rule)${groups !== null ? '; the file\'s shards are not in the fixture' : ''}`, weights: seededWeights(seed) }
}

interface AppFixture {
  readonly seed: number
  readonly input: { readonly shape: ReadonlyArray<number>; readonly low: number; readonly high: number }
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number>; readonly value?: number | ReadonlyArray<number>; readonly low?: number; readonly high?: number }>
  readonly model: unknown
}

const fromApp = async (name: string): Promise<LoadedCase> => {
  const path = `spec/fixtures/keras3/apps/${name}.json`
  const fx = readJson(path) as AppFixture
  const file = orThrow(`decode ${path}`, decodeModelFile(fx.model))
  const summary = orThrow(`infer ${path}`, inferModel(file.model))
  const tfjs = await tfjsTopology(fx.model, file, summary)
  return {
    model: file.model,
    tfjs: 'skip' in tfjs ? { skip: tfjs.skip } : { topology: tfjs.topology, how: tfjs.how },
    weightSource: 'the fixture\'s (regenerated as spec/keras3/applications.spec.ts does; Keras get_weights() order)',
    weights: (c) => {
      const values = fx.weights.map((w, i) => ({
        shape: w.shape,
        data: w.value !== undefined ? Float32Array.from([w.value].flat()) : uniform(fx.seed + 1 + i, sizeOf(w.shape), w.low as number, w.high as number)
      }))
      return orThrow(`weights of ${path}`, assignOrderedWeights(c, values, { order: 'layers' }))
    },
    input: seededInput(fx.seed, fx.input.low, fx.input.high),
    notes: 'notes' in tfjs ? (tfjs.notes ?? []) : []
  }
}

// -------------------------------------------------------------------------------------
// models built in tfjs-layers
// -------------------------------------------------------------------------------------

/** Builds a topology with tfjs-layers (set by the caller that has it loaded). */
export interface TfjsBuilder {
  readonly mlp: () => unknown
  readonly invertedResiduals: () => unknown
}
let builder: TfjsBuilder | undefined
export const setTfjsBuilder = (b: TfjsBuilder): void => {
  builder = b
}

const fromBuilt = async (name: string, build: (b: TfjsBuilder) => unknown): Promise<LoadedCase> => {
  if (builder === undefined) throw new Error(`${name}: built with tfjs-layers, which this process has not loaded`)
  const topology = build(builder)
  const file = orThrow(`decode ${name}`, decodeModelFile(topology))
  const seed = seedOf(name)
  const accepted = probe === undefined ? 'tfjs not loaded' : await probe.accepts(topology)
  return {
    model: file.model,
    tfjs: accepted === null ? { topology, how: 'the topology tfjs-layers wrote (toJSON)' } : { skip: accepted },
    weightSource: 'seeded by name (golden.ts fill rule)',
    weights: seededWeights(seed),
    input: seededInput(seed),
    notes: []
  }
}

// -------------------------------------------------------------------------------------
// the catalogue
// -------------------------------------------------------------------------------------

const real = (n: string, what: string, quick: boolean, extra?: Parameters<typeof fromFile>[1]): ModelCase => ({
  name: n,
  group: 'real',
  source: `spec/fixtures/shared/real-keras-models/${n}.json`,
  what,
  quick,
  load: () => fromFile(`spec/fixtures/shared/real-keras-models/${n}.json`, extra)
})

const example = (file: string, name: string, what: string, quick: boolean): ModelCase => ({
  name,
  group: 'example',
  source: `examples/${file}`,
  what,
  quick,
  load: () => fromFile(`examples/${file}`)
})

const app = (n: string, what: string, quick: boolean): ModelCase => ({
  name: n,
  group: 'keras.applications',
  source: `spec/fixtures/keras3/apps/${n}.json`,
  what,
  quick,
  load: () => fromApp(n)
})

/** J without its augmentation Sequential for tfjs (identity at inference; tfjs has none of its layers), input 128×128×1. */
const jForTfjs = (t: unknown): unknown => {
  const copy = structuredClone(t) as Json
  const layers = layersOf(copy)
  if (layers === null) return t
  const kept = layers.filter((l) => l.class_name !== 'Sequential')
  const input = kept.find((l) => l.class_name === 'InputLayer')
  if (input !== undefined) input.config['batch_input_shape'] = [null, 128, 128, 1]
  ;(copy['config'] as Json)['layers'] = kept
  return copy
}

export const CASES: ReadonlyArray<ModelCase> = [
  real('A', '3 conv + dense (Keras 2.0.6)', true),
  real('C', 'conv autoencoder, MNIST (Keras 2.0.4)', true),
  real('D', 'MobileNet v1 224 (Keras 2.2.0)', true),
  real('E', '2 conv + 87 M-param dense (tf.keras 2.4)', false),
  real('F', 'MobileNetV2 128 backbone + head (tf.keras 2.4)', false),
  real('G', 'FER conv net 48×48 (TF 2.15)', false),
  real('H', 'VGG16 224 (tfjs converter)', false),
  real('I', 'DCGAN discriminator (tf.keras 2.4)', false),
  real('I2', 'DCGAN generator: Dense → 3 Conv2DTranspose (tf.keras 2.4)', false),
  real('J', 'VGG-like 128×128×1 behind an augmentation Sequential (TF 2.11)', false, {
    inputShape: [128, 128, 1],
    adjustTfjs: jForTfjs,
    adjustNote: 'J: run at its first Conv2D\'s 128×128×1; tfjs gets the file without the augmentation Sequential (identity at inference; tfjs-layers 4.22 has no RandomRotation / RandomFlip / RandomZoom / …)'
  }),
  real('K', 'two-headed residual net on 2×6×7 (bare get_config)', false),
  real('M', '3 conv + BN 224 (Keras 3 keys)', false),
  real('O', 'tiny channels_first net (64 params)', false),
  real('Q', 'conv encoder 64×64 (tfjs-layers 2.8)', true),
  real('Q2', 'conv decoder to 64×64 (tfjs-layers 2.8)', true),
  example('models/channels-first.tf24.json', 'channels-first', 'NCHW convnet with BatchNormalization on axis 1', false),
  example('models/cifar10-cnn.keras224.json', 'cifar10-cnn', 'Keras examples cifar10_cnn.py', true),
  example('models/dcgan-discriminator.tf24.json', 'dcgan-discriminator', 'TF DCGAN tutorial discriminator', false),
  example('models/dilated-context.tf215.json', 'dilated-context', 'dilated context module (dilations 1-8)', true),
  example('models/mnist-convnet.keras3.json', 'mnist-convnet', 'keras.io simple MNIST convnet (Keras 3)', false),
  example('models/residual-block.keras3.json', 'residual-block', 'ResNet basic block + head (Keras 3)', false),
  example('models/unet.keras3.json', 'unet', 'U-Net-style encoder/decoder, Conv2DTranspose + Concatenate skips (Keras 3)', false),
  example('tfjs/model.json', 'tfjs-example', 'small convnet + BN saved by tfjs-layers 4.22, with its weights', true),
  app('mobilenet', 'keras.applications MobileNet α 0.25, 96×96', false),
  app('mobilenet_v2', 'keras.applications MobileNetV2 α 0.35, 96×96', true),
  app('resnet50', 'keras.applications ResNet50, 64×64', false),
  app('densenet121', 'keras.applications DenseNet121, 64×64', false),
  {
    name: 'mlp-wide',
    group: 'synthetic',
    source: 'built in tfjs-layers (bench/models/tfjs.ts)',
    what: 'Dense MLP 784 → 2048 → 2048 → 2048 → 10',
    quick: true,
    load: () => fromBuilt('mlp-wide', (b) => b.mlp())
  },
  {
    name: 'mbv2-blocks',
    group: 'synthetic',
    source: 'built in tfjs-layers (bench/models/tfjs.ts)',
    what: 'MobileNetV2 inverted residual blocks, 56×56×24 → 28×28×32 (6 blocks)',
    quick: false,
    load: () => fromBuilt('mbv2-blocks', (b) => b.invertedResiduals())
  }
]

/** What is left out, and why (printed with every run). */
export const SKIPPED: ReadonlyArray<SkippedCase> = [
  { name: 'B', source: 'real-keras-models/B.json', reason: 'a Lambda layer (Python bytecode): nobody can run it from JSON' },
  { name: 'N', source: 'real-keras-models/N.json', reason: 'a Lambda layer (space_to_depth): nobody can run it from JSON' },
  {
    name: 'causal-tcn',
    source: 'examples/models/causal-tcn.keras3.json',
    reason: 'causal Conv1D: tfjs-layers 4.22 refuses causal padding at execution ("CAUSAL padding mode … not implemented"); spec/keras3/applications.spec.ts checks it against Keras 3.15 instead'
  },
  { name: 'P', source: 'real-keras-models/P.json', reason: 'input dimensions unknown ([null, null, null, 3]; CSRNet is run at any size)' }
]
