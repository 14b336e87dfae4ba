/**
 * Prototype names as a table (issue 10): every name a plain object answers through its prototype
 * (properties/hostile.ts PROTO_NAMES: `__proto__`, `constructor`, `toString`, `valueOf`,
 * `hasOwnProperty`, … and `prototype`, `length`, `call`, `apply`, `bind`)
 * - as the value of every argument of every layer kind layerspec reads (LAYER_KINDS, InputLayer) and of
 *   the model classes (Sequential, Functional), in both dialects, and as an extra key of each. The
 *   arguments are found by encoding a minimal valid spec of each kind, so a new argument joins the
 *   table by itself (and fails it until its rule below is written);
 * - as class names: of a layer, of a model, of an initializer / regularizer / constraint / dtype
 *   policy, of a Keras 3 activation envelope;
 * - as layer names, which are legal Keras names: the model decodes, summarizes, compiles and runs,
 *   and `inbound_nodes` / `input_layers` / `output_layers` references to the layer work;
 * - as weight names of a TensorFlow.js manifest (a layer named so, a weight named so, a shard file
 *   named so): loaded correctly, or a clear error.
 * The expected result of each rule is written by hand below. `Object.prototype`, `Array.prototype`
 * and `Function.prototype` are checked unchanged after the whole table.
 */
import * as E from 'fp-ts/lib/Either.js'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type * as t from 'io-ts'
import { main } from '../../src/cli/main.js'
import { summaryText } from '../../src/cli/report.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { LAYER_KINDS } from '../../src/model/registry.js'
import { apply, functional, input, layers, sequential } from '../../src/model/builder.js'
import { compileModel, type CompiledModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { inputLayerCodec } from '../../src/model/InputLayer.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { assignNamedWeights, decodeWeightData, readWeightsManifest } from '../../src/model/weights.js'
import { errorProblems, intrinsicsChanges, PROTO_NAMES, renameKey, setOwn, snapshotIntrinsics } from '../../properties/hostile.js'
import { left, right } from '../helpers.js'

const before = snapshotIntrinsics()
afterAll(() => expect(intrinsicsChanges(before)).toEqual([]))

const DIALECTS: ReadonlyArray<Dialect> = ['keras2', 'keras3']
const q = (s: string): string => JSON.stringify(s)

/** The one error of a Left, checked for the rules every error follows. */
const oneError = (errors: ReadonlyArray<SpecError>, where: string): SpecError => {
  expect(errorProblems(errors), where).toEqual([])
  expect(errors.map((e) => `${e.path}: ${e.message}`), where).toHaveLength(1)
  return errors[0] as SpecError
}

// -------------------------------------------------------------------------------------
// the kinds and their arguments
// -------------------------------------------------------------------------------------

/** A config codec by dialect. */
interface Kind {
  readonly className: string
  readonly codec: (dialect: Dialect) => t.Type<unknown, Record<string, unknown>, unknown>
}

const KINDS: ReadonlyArray<Kind> = [
  ...LAYER_KINDS.map((k): Kind => ({ className: k.className, codec: (dialect) => k.codec({ dialect, imageDataFormat: 'channels_last' }) as t.Type<unknown, Record<string, unknown>, unknown> })),
  { className: 'InputLayer', codec: (dialect) => inputLayerCodec(dialect) as t.Type<unknown, Record<string, unknown>, unknown> }
]

/** The required arguments of each kind that has some (every other kind decodes from `{}`). */
const REQUIRED: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  Conv2D: { filters: 2, kernel_size: 3 },
  Conv1D: { filters: 2, kernel_size: 3 },
  Conv3D: { filters: 2, kernel_size: 3 },
  Conv1DTranspose: { filters: 2, kernel_size: 3 },
  Conv2DTranspose: { filters: 2, kernel_size: 3 },
  Conv3DTranspose: { filters: 2, kernel_size: 3 },
  SeparableConv1D: { filters: 2, kernel_size: 3 },
  SeparableConv2D: { filters: 2, kernel_size: 3 },
  DepthwiseConv1D: { kernel_size: 3 },
  DepthwiseConv2D: { kernel_size: 3 },
  Dense: { units: 2 },
  Reshape: { target_shape: [4] },
  Activation: { activation: 'relu' },
  Dropout: { rate: 0.5 },
  SpatialDropout2D: { rate: 0.5 },
  Rescaling: { scale: 1 },
  RandomRotation: { factor: 0.1 },
  RandomZoom: { height_factor: 0.1 },
  RandomTranslation: { height_factor: 0.1, width_factor: 0.1 },
  RandomContrast: { factor: 0.1 },
  RandomBrightness: { factor: 0.1 },
  RandomHeight: { factor: 0.1 },
  RandomWidth: { factor: 0.1 }
}

/** Arguments Keras 3 requires where tf.keras 2.x has a default. */
const REQUIRED_KERAS3: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  AveragePooling2D: { pool_size: 2 },
  AveragePooling1D: { pool_size: 2 },
  AveragePooling3D: { pool_size: 2 },
  Rescaling: { scale: 1, offset: 0 }
}

/**
 * A minimal valid config of a kind, with a name, an input shape (tf.keras's batch_input_shape, Keras 3's
 * input_shape) and a non-default autocast and activity regularizer so the bookkeeping arguments are
 * written too (Keras 3's SpatialDropout2D takes only name and dtype of them).
 */
const minimal = (className: string, dialect: Dialect): Record<string, unknown> => ({
  name: 'l',
  ...(className === 'InputLayer'
    ? { batch_input_shape: [2, 8, 8, 4] }
    : className === 'SpatialDropout2D' && dialect === 'keras3'
    ? {}
    : { ...(dialect === 'keras2' ? { batch_input_shape: [2, 8, 8, 4] } : { input_shape: [8, 8, 4] }), autocast: false, activity_regularizer: 'l2' }),
  ...(REQUIRED[className] ?? {}),
  ...(dialect === 'keras3' ? (REQUIRED_KERAS3[className] ?? {}) : {})
})

/** The arguments of a kind in a dialect: the keys its codec writes for the minimal spec. */
const argsOf = (kind: Kind, dialect: Dialect): { readonly config: Record<string, unknown>; readonly args: ReadonlyArray<string> } => {
  const codec = kind.codec(dialect)
  const spec = right(E.mapLeft(fromValidationErrors)(codec.decode(minimal(kind.className, dialect))))
  const config = codec.encode(spec)
  return { config, args: Object.keys(config) }
}

// -------------------------------------------------------------------------------------
// the rules, by hand
// -------------------------------------------------------------------------------------

/** What a prototype name `n` as an argument's value gives: accepted, or one error whose message starts with a text and ends with another. */
type Rule = 'accepted' | ((n: string) => { readonly starts: string; readonly ends?: string })

const found = (n: string): string => `found the string ${q(n)}`
const exactly = (message: string): { readonly starts: string; readonly ends: string } => ({ starts: message, ends: message })
const bool: Rule = (n) => exactly(`expected true or false, ${found(n)}`)
const positiveInt: Rule = (n) => exactly(`expected a positive integer, ${found(n)}`)
const intOrPair: Rule = (n) => exactly(`expected a positive integer or a list of 2 positive integers, ${found(n)}`)
const finite: Rule = (n) => exactly(`expected a finite number, ${found(n)}`)
const finiteNonNegative: Rule = (n) => exactly(`expected a finite, non-negative number, ${found(n)}`)
const factor: Rule = (n) => exactly(`expected a number or a list of 2 numbers, ${found(n)}`)
const shape: Rule = (n) => ({ starts: 'expected a list of ', ends: `(positive integers or null), ${found(n)}` })
const unknownName = (what: string, first: string): Rule => (n) => ({ starts: `unknown ${what} ${q(n)}; expected one of "${first}"` })
const initializer = unknownName('initializer', 'zeros')
const regularizer = unknownName('regularizer', 'l1')
const constraint = unknownName('constraint', 'max_norm')
const dataFormat: Rule = (n) => exactly(`expected data_format to be "channels_last" or "channels_first", ${found(n)}`)
const intOrTuple = (rank: number, noun = 'positive integer'): Rule => (n) => exactly(`expected a ${noun} or a list of ${rank} ${noun}${rank === 1 ? '' : 's'}, ${found(n)}`)
/** The tuple rules of the family's rank-1 and rank-3 members (`Conv1D.kernel_size`, `MaxPooling3D.strides`, …). */
const tupleRules = (classNames: ReadonlyArray<string>, rank: number, args: ReadonlyArray<string>): Readonly<Record<string, Rule>> =>
  Object.fromEntries(classNames.flatMap((c) => args.map((a) => [`${c}.${a}`, intOrTuple(rank)] as const)))
const inheritedGroups = (className: string): Rule => (n) => ({ starts: `expected groups to be 1 (tf.keras writes 1 for ${className}, inherited from Conv, and ignores it;`, ends: found(n) })
const sides = (arg: string): Rule => (n) => exactly(`expected ${arg} to be an integer ≥ 0, a list of 2 (symmetric rows, symmetric cols), or 2 pairs [[top, bottom], [left, right]], ${found(n)}`)

/** By argument name, for every kind that has it. */
const RULES: Readonly<Record<string, Rule>> = {
  // A layer name is any string without "/": a prototype name is a legal name.
  name: 'accepted',
  trainable: bool,
  use_bias: bool,
  center: bool,
  keepdims: bool,
  synchronized: bool,
  renorm: bool,
  invert: bool,
  autocast: bool,
  sparse: bool,
  ragged: bool,
  optional: bool,
  dtype: (n) => ({ starts: `unknown dtype policy ${q(n)}; expected one of "float32"` }),
  activation: (n) => ({ starts: `unknown activation ${q(n)} (names are case-sensitive); expected one of "linear"` }),
  kernel_initializer: initializer,
  bias_initializer: initializer,
  depthwise_initializer: initializer,
  pointwise_initializer: initializer,
  beta_initializer: initializer,
  gamma_initializer: initializer,
  moving_mean_initializer: initializer,
  moving_variance_initializer: initializer,
  kernel_regularizer: regularizer,
  bias_regularizer: regularizer,
  activity_regularizer: regularizer,
  depthwise_regularizer: regularizer,
  pointwise_regularizer: regularizer,
  beta_regularizer: regularizer,
  gamma_regularizer: regularizer,
  kernel_constraint: constraint,
  bias_constraint: constraint,
  depthwise_constraint: constraint,
  pointwise_constraint: constraint,
  beta_constraint: constraint,
  gamma_constraint: constraint,
  filters: positiveInt,
  units: positiveInt,
  depth_multiplier: positiveInt,
  groups: positiveInt,
  batch_size: (n) => exactly(`expected a positive integer, ${found(n)}`),
  kernel_size: intOrPair,
  strides: intOrPair,
  dilation_rate: intOrPair,
  pool_size: intOrPair,
  size: intOrPair,
  padding: (n) => exactly(`expected padding to be "valid" or "same", ${found(n)}`),
  cropping: sides('cropping'),
  data_format: dataFormat,
  interpolation: (n) => exactly(`expected interpolation to be "nearest" or "bilinear", ${found(n)}`),
  fill_mode: (n) => exactly(`expected fill_mode to be "reflect", "wrap", "constant" or "nearest", ${found(n)}`),
  fill_value: finite,
  momentum: finite,
  renorm_momentum: finite,
  renorm_clipping: (n) => exactly(`expected null or a dict with keys rmax, rmin, dmax, ${found(n)}`),
  quantization_config: (n) => ({ starts: `expected null (a Dense layer that is not quantized), ${found(n)}` }),
  alpha: finite,
  epsilon: finiteNonNegative,
  max_value: finiteNonNegative,
  negative_slope: finiteNonNegative,
  threshold: finiteNonNegative,
  axis: (n) => exactly(`expected an integer axis or a non-empty list of integer axes, ${found(n)}`),
  seed: (n) => exactly(`expected an integer, ${found(n)}`),
  rate: (n) => exactly(`expected a number between 0 and 1 (the fraction of units dropped), ${found(n)}`),
  noise_shape: shape,
  factor,
  height_factor: factor,
  width_factor: factor,
  value_range: (n) => exactly(`expected a list of 2 numbers, ${found(n)}`),
  scale: (n) => exactly(`expected a finite number, a (nested) list of finite numbers, or a serialized NumPy array, ${found(n)}`),
  offset: (n) => exactly(`expected a finite number, a (nested) list of finite numbers, or a serialized NumPy array, ${found(n)}`),
  mean: (n) => exactly(`expected null or a finite number or a (nested) list of finite numbers, ${found(n)}`),
  variance: (n) => exactly(`expected null or a finite number or a (nested) list of finite numbers, ${found(n)}`),
  mode: (n) => exactly(`expected mode to be "horizontal", "vertical" or "horizontal_and_vertical", ${found(n)}`),
  target_shape: (n) => ({ starts: 'expected target_shape to be a list of positive integers with at most one -1', ends: found(n) }),
  batch_input_shape: shape,
  batch_shape: shape,
  input_shape: shape
}

/** Where a kind reads an argument of the same name differently. */
const KIND_RULES: Readonly<Record<string, Rule>> = {
  'ZeroPadding2D.padding': sides('padding'),
  // the convolution family's rank-1 and rank-3 members (issue 14)
  ...tupleRules(['Conv1D', 'Conv1DTranspose', 'SeparableConv1D', 'DepthwiseConv1D'], 1, ['kernel_size', 'strides', 'dilation_rate']),
  ...tupleRules(['Conv3D', 'Conv3DTranspose'], 3, ['kernel_size', 'strides', 'dilation_rate']),
  ...tupleRules(['MaxPooling1D', 'AveragePooling1D'], 1, ['pool_size', 'strides']),
  ...tupleRules(['MaxPooling3D', 'AveragePooling3D'], 3, ['pool_size', 'strides']),
  'UpSampling3D.size': intOrTuple(3),
  'UpSampling1D.size': (n) => exactly(`expected size to be a positive integer (how many times each step is repeated), ${found(n)}`),
  'ZeroPadding1D.padding': (n) => exactly(`expected padding to be an integer ≥ 0 or a list of 2 integers ≥ 0 (before, after), ${found(n)}`),
  'Cropping1D.cropping': (n) => exactly(`expected cropping to be an integer ≥ 0 or a list of 2 integers ≥ 0 (before, after), ${found(n)}`),
  'ZeroPadding3D.padding': (n) => exactly(`expected padding to be an integer ≥ 0, or a list of 3 entries (depth, rows, cols), each an integer ≥ 0 (both sides) or a pair [before, after] of integers ≥ 0, ${found(n)}`),
  'Cropping3D.cropping': (n) => exactly(`expected cropping to be an integer ≥ 0, or a list of 3 entries (depth, rows, cols), each an integer ≥ 0 (both sides) or a pair [before, after] of integers ≥ 0, ${found(n)}`),
  'Conv1D.padding': (n) => exactly(`expected padding to be "valid", "same" or "causal", ${found(n)}`),
  // keras2 SeparableConv1D also takes "causal"
  'SeparableConv1D.padding': (n) => ({ starts: 'expected padding to be "valid"', ends: found(n) }),
  'Conv1DTranspose.output_padding': intOrTuple(1, 'non-negative integer'),
  'Conv2DTranspose.output_padding': intOrTuple(2, 'non-negative integer'),
  'Conv3DTranspose.output_padding': intOrTuple(3, 'non-negative integer'),
  'Conv1DTranspose.groups': inheritedGroups('Conv1DTranspose'),
  'Conv2DTranspose.groups': inheritedGroups('Conv2DTranspose'),
  'Conv3DTranspose.groups': inheritedGroups('Conv3DTranspose'),
  'DepthwiseConv1D.groups': inheritedGroups('DepthwiseConv1D'),
  'DepthwiseConv2D.groups': inheritedGroups('DepthwiseConv2D'),
  'BatchNormalization.scale': bool,
  'Normalization.axis': (n) => exactly(`expected an integer axis, a list of integer axes or null, ${found(n)}`),
  'Concatenate.axis': (n) => exactly(`expected an integer, ${found(n)}`),
  'RandomHeight.interpolation': (n) => ({ starts: 'expected interpolation to be "bilinear", "nearest", "bicubic"', ends: found(n) }),
  'RandomWidth.interpolation': (n) => ({ starts: 'expected interpolation to be "bilinear", "nearest", "bicubic"', ends: found(n) })
}

const ruleOf = (className: string, arg: string): Rule | undefined => KIND_RULES[`${className}.${arg}`] ?? RULES[arg]

/** Checks the result of decoding a config whose argument `arg` is the name `n`, against the rule. */
const expectRule = (rule: Rule, n: string, r: E.Either<ReadonlyArray<SpecError>, unknown>, path: string, where: string): void => {
  if (rule === 'accepted') {
    expect(E.isRight(r), `${where}: ${E.isLeft(r) ? JSON.stringify(r.left) : ''}`).toBe(true)
    return
  }
  expect(E.isLeft(r), where).toBe(true)
  if (E.isRight(r)) return
  const e = oneError(r.left, where)
  const { starts, ends } = rule(n)
  expect(e.path, where).toBe(path)
  expect(e.message.startsWith(starts), `${where}: ${e.message}`).toBe(true)
  if (ends !== undefined) expect(e.message.endsWith(ends), `${where}: ${e.message}`).toBe(true)
  // No prototype name is a plausible typo of any accepted name.
  expect(e.message, where).not.toContain('did you mean')
}

const decodeWith = (kind: Kind, dialect: Dialect, config: unknown): E.Either<ReadonlyArray<SpecError>, unknown> =>
  E.mapLeft(fromValidationErrors)(kind.codec(dialect).decode(config))

/** A keras2 / keras3 Sequential model file: an InputLayer, then the layer (decoding does not check arity or shapes). */
const inModel = (className: string, config: Record<string, unknown>, dialect: Dialect): unknown => {
  const layersList = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 4], name: 'the_input' } },
    { class_name: className, config }
  ]
  return dialect === 'keras2'
    ? { class_name: 'Sequential', config: { name: 's', layers: layersList }, keras_version: '2.15.0' }
    : { module: 'keras', class_name: 'Sequential', config: { name: 's', layers: layersList.map((l) => ({ module: 'keras.layers', ...l, registered_name: null })) }, registered_name: null }
}

describe('every prototype name as the value of every argument of every layer kind', () => {
  // RandomHeight / RandomWidth are tf.keras 2.x layers: every keras3 config of them is refused as a whole.
  const NOT_IN_KERAS3 = ['RandomHeight', 'RandomWidth']
  const table = KINDS.flatMap((kind) => DIALECTS.filter((d) => d === 'keras2' || !NOT_IN_KERAS3.includes(kind.className)).map((dialect) => [kind.className, dialect, kind] as const))

  it('the table covers every kind and every argument has a rule', () => {
    expect(KINDS.map((k) => k.className)).toEqual([...LAYER_KINDS.map((k) => k.className), 'InputLayer'])
    const missing = table.flatMap(([className, dialect, kind]) => argsOf(kind, dialect).args.filter((a) => ruleOf(className, a) === undefined).map((a) => `${className}.${a} (${dialect})`))
    // A new argument: write its rule in RULES (or KIND_RULES) by hand.
    expect(missing).toEqual([])
    const count = table.reduce((a, [, dialect, kind]) => a + argsOf(kind, dialect).args.length, 0)
    expect(count).toBeGreaterThan(500)
    const names = new Set(table.flatMap(([, dialect, kind]) => argsOf(kind, dialect).args))
    // (batch_size: no encoder writes it any more — tf.keras's layers carry the batch in batch_input_shape, Keras 3's have none; autocast: read and dropped, as Keras does not write it)
    for (const a of ['name', 'trainable', 'dtype', 'batch_input_shape', 'input_shape', 'batch_shape', 'activity_regularizer']) expect(names).toContain(a)
    console.log(
      `prototype-name table: ${KINDS.length} kinds × ${DIALECTS.length} dialects, ${count} (kind, dialect, argument) cells over ${names.size} argument names, × ${PROTO_NAMES.length} names = ${count * PROTO_NAMES.length} values (each alone and in a model file) and ${table.length * PROTO_NAMES.length} extra keys`
    )
  })

  it.each(table)('%s (%s): each argument set to each name decodes as its rule says, alone and inside a model file', (className, dialect, kind) => {
    const { config, args } = argsOf(kind, dialect)
    for (const arg of args) {
      const rule = ruleOf(className, arg) as Rule
      for (const n of PROTO_NAMES) {
        const where = `${className}.${arg} = ${q(n)} (${dialect})`
        const c = { ...config }
        setOwn(c, arg, n)
        expectRule(rule, n, decodeWith(kind, dialect, c), arg, where)
        expectRule(rule, n, decodeModelFile(inModel(className, c, dialect)), `config.layers[1].config.${arg}`, `${where} in a model`)
      }
    }
  })

  // (Dropout and SpatialDropout2D once suggested "rate" for "__proto__": the edit limit followed the raw length.)
  it.each(table)('%s (%s): each name as an extra key (an own key, as JSON.parse makes it) is an unknown argument', (className, dialect, kind) => {
    const { config } = argsOf(kind, dialect)
    for (const n of PROTO_NAMES) {
      const where = `${className} + key ${q(n)} (${dialect})`
      const c = { ...config }
      setOwn(c, n, 1)
      const e = oneError(left(decodeWith(kind, dialect, c)), where)
      expect(e.path, where).toBe(n)
      expect(e.message.startsWith(`unknown ${className} argument ${q(n)} (accepted: "name", `), `${where}: ${e.message}`).toBe(true)
      const m = oneError(left(decodeModelFile(inModel(className, c, dialect))), `${where} in a model`)
      expect(m.path).toBe(`config.layers[1].config.${n}`)
      expect(m.message).toBe(e.message)
    }
  })

  it('a prototype name renaming an argument: the argument is missing or defaulted, and the name unknown', () => {
    for (const n of PROTO_NAMES) {
      const c = renameKey({ filters: 2, kernel_size: 3, padding: 'same' }, 'filters', n)
      const errors = left(decodeConv2D(c))
      expect(errorProblems(errors)).toEqual([])
      expect(errors.map((e) => e.path).sort()).toEqual(['filters', n].sort())
      const d = left(decodeConv2D(renameKey({ filters: 2, kernel_size: 3, padding: 'same' }, 'padding', n)))
      expect(d.map((e) => e.path)).toEqual([n])
    }
  })
})

// -------------------------------------------------------------------------------------
// the model classes
// -------------------------------------------------------------------------------------

describe('every prototype name as the value of every argument of Sequential and Functional, and as an extra key', () => {
  const seq = right(sequential([layers.dense({ units: 2, name: 'd' })], { input_shape: [4], name: 's', dialect: 'keras2' }))
  const x = input([4], { name: 'in' })
  const fun = right(functional({ inputs: [x], outputs: [apply(layers.dense({ units: 2, name: 'd' }), x)], name: 'f' }))

  /** By argument of a model config. */
  const MODEL_RULES: Readonly<Record<string, Rule>> = {
    name: 'accepted',
    trainable: bool,
    dtype: RULES['dtype'] as Rule,
    layers: (n) => exactly(`expected a list of layers, ${found(n)}`),
    build_input_shape: shape,
    input_layers: (n) => exactly(`expected a list of tensor references [[layer_name, node_index, tensor_index], …], ${found(n)}`),
    output_layers: (n) => exactly(`expected a list of tensor references [[layer_name, node_index, tensor_index], …], ${found(n)}`)
  }

  it.each([
    ['Sequential', seq],
    ['Functional', fun]
  ] as const)('%s', (className, spec: ModelSpec) => {
    for (const dialect of DIALECTS) {
      const file = encodeModel(spec, { dialect })
      const config = file['config'] as Record<string, unknown>
      const args = Object.keys(config)
      expect(args).toContain('layers')
      const known = ['name', 'layers', 'build_input_shape', 'trainable', 'dtype', 'input_layers', 'output_layers']
      for (const arg of args) {
        const rule = MODEL_RULES[arg]
        expect(rule, `${className}.${arg}: write its rule in MODEL_RULES`).toBeDefined()
        for (const n of PROTO_NAMES) {
          const c = { ...config }
          setOwn(c, arg, n)
          expectRule(rule as Rule, n, decodeModelFile({ ...file, config: c }), `config.${arg}`, `${className}.${arg} = ${q(n)} (${dialect})`)
        }
      }
      for (const n of PROTO_NAMES) {
        const c = { ...config }
        setOwn(c, n, 1)
        const e = oneError(left(decodeModelFile({ ...file, config: c })), `${className} + key ${q(n)}`)
        expect(e.path).toBe(`config.${n}`)
        const what = className === 'Sequential' ? 'a Sequential config' : 'a functional model config'
        expect(e.message.startsWith(`unknown key ${q(n)} in ${what}; expected `)).toBe(true)
        expect(known.some((k) => e.message.includes(q(k)))).toBe(true)
        // the top level of the file and a layer entry likewise
        const top = { ...file }
        setOwn(top, n, 1)
        expect(oneError(left(decodeModelFile(top)), 'top').message.startsWith(`unknown key ${q(n)} in a model file; expected "class_name", "config"`)).toBe(true)
        const entry = { ...((config['layers'] as Array<Record<string, unknown>>)[1] as Record<string, unknown>) }
        setOwn(entry, n, 1)
        const withEntry = { ...file, config: { ...config, layers: [(config['layers'] as unknown[])[0], entry] } }
        const ee = oneError(left(decodeModelFile(withEntry)), 'entry')
        expect(ee.path).toBe(`config.layers[1].${n}`)
        expect(ee.message.startsWith(`unknown key ${q(n)} in a layer entry; expected "class_name", "config"`)).toBe(true)
      }
    }
  })
})

// -------------------------------------------------------------------------------------
// class names
// -------------------------------------------------------------------------------------

describe('every prototype name as a class name', () => {
  const model = (layer: unknown): unknown => ({
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 4], name: 'the_input' } }, layer] },
    keras_version: '2.15.0'
  })

  it.each(PROTO_NAMES.map((n) => [n]))('%s: of a layer, of a model, of an initializer, a regularizer, a constraint, a dtype policy, an activation envelope', (n) => {
    const layer = oneError(left(decodeModelFile(model({ class_name: n, config: { name: 'x' } }))), 'layer class')
    expect(layer).toEqual({ path: 'config.layers[1].class_name', message: `layer 1 "x" has class ${q(n)}, which layerspec does not know (a custom layer?)` })
    const top = oneError(left(decodeModelFile({ class_name: n, config: { name: 'm', layers: [] } })), 'model class')
    expect(top).toEqual({ path: 'class_name', message: `expected a model class, "Sequential", "Functional" or "Model", found the string ${q(n)}` })
    const nested = oneError(left(decodeModelFile({ class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'Sequential', config: { name: 'inner', layers: [{ class_name: n, config: {} }] } }] } })), 'nested')
    expect(nested.path).toBe('config.layers[0].config.layers[0].class_name')
    expect(nested.message).toBe(`layer 0 "#0" has class ${q(n)}, which layerspec does not know (a custom layer?)`)

    /** The BatchNormalization argument of the same family. */
    const BN_ARG: Readonly<Record<string, string>> = {
      kernel_initializer: 'gamma_initializer',
      bias_initializer: 'beta_initializer',
      kernel_regularizer: 'gamma_regularizer',
      activity_regularizer: 'beta_regularizer',
      kernel_constraint: 'gamma_constraint',
      dtype: 'dtype'
    }
    const families: ReadonlyArray<readonly [string, string, string]> = [
      ['kernel_initializer', 'initializer', '"Zeros"'],
      ['bias_initializer', 'initializer', '"Zeros"'],
      ['kernel_regularizer', 'regularizer', '"L1"'],
      ['activity_regularizer', 'regularizer', '"L1"'],
      ['kernel_constraint', 'constraint', '"MaxNorm"'],
      ['dtype', 'dtype policy', '"DTypePolicy"']
    ]
    for (const [arg, what, first] of families) {
      for (const envelope of [{ class_name: n, config: {} }, { module: 'keras', class_name: n, config: {}, registered_name: null }]) {
        const e = oneError(left(decodeConv2D({ filters: 2, kernel_size: 3, [arg]: envelope })), `${arg}.class_name`)
        expect(e.path).toBe(`${arg}.class_name`)
        expect(e.message.startsWith(`unknown ${what} class ${q(n)}; expected one of ${first}`), e.message).toBe(true)
        expect(e.message).not.toContain('did you mean')
        // The same inside a model, for Dense and BatchNormalization too
        const inner = BN_ARG[arg] as string
        const bn = oneError(left(decodeModelFile(model({ class_name: 'BatchNormalization', config: { name: 'bn', [inner]: envelope } }))), `BN ${inner}`)
        expect(bn.path).toBe(`config.layers[1].config.${inner}.class_name`)
        expect(bn.message.startsWith(`unknown ${what} class ${q(n)}`), bn.message).toBe(true)
      }
    }
    // A Keras 3 activation envelope: its class_name must be "function"; its config is the activation's name.
    const envelope = (className: string, config: string) => ({ module: 'keras.activations', class_name: className, config, registered_name: null })
    const act = oneError(left(decodeConv2D({ filters: 2, kernel_size: 3, activation: envelope(n, 'relu') })), 'activation class_name')
    expect(act.path).toBe('activation')
    expect(act.message.startsWith('expected an activation name such as "relu" (or null for linear), found an object ')).toBe(true)
    const actName = oneError(left(decodeConv2D({ filters: 2, kernel_size: 3, activation: envelope('function', n) })), 'activation config')
    expect(actName.path).toBe('activation.config')
    expect(actName.message.startsWith(`unknown activation ${q(n)} (names are case-sensitive); expected one of "linear"`)).toBe(true)
    // A dtype policy named so
    const policy = oneError(left(decodeConv2D({ filters: 2, kernel_size: 3, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: n }, registered_name: null } })), 'policy name')
    expect(policy).toEqual({ path: 'dtype.config.name', message: `expected the dtype to be "float32", "float64", "float16", "bfloat16", "mixed_float16" or "mixed_bfloat16", found the string ${q(n)}` })
  })
})

// -------------------------------------------------------------------------------------
// layer names
// -------------------------------------------------------------------------------------

const sampleInput = (shape: ReadonlyArray<number>): { shape: number[]; data: Float32Array } => {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = Math.sin(i + 1)
  return { shape: [1, ...shape], data }
}

/** Runs a model with given params on the fixed sample input. */
const runWith = (m: CompiledModel, params: ModelParams): ReadonlyArray<ArrayLike<number>> => m.forward(params, m.inputShapes.map(sampleInput)).map((y) => y.data)

describe('every prototype name as a layer name: a legal Keras name that decodes, summarizes, compiles and runs', () => {
  /** The same functional graph with the layer names given: input → Conv2D → Add(input, conv) → Flatten → Dense. */
  const graph = (names: { readonly input: string; readonly conv: string; readonly add: string; readonly dense: string }, dialect: Dialect): unknown => {
    const entry = (className: string, name: string, config: Record<string, unknown>, inbound: unknown[]) => ({ class_name: className, name, config: { name, ...config }, inbound_nodes: inbound })
    const node = (...refs: string[]) => [refs.map((r) => [r, 0, 0, {}])]
    const file = {
      class_name: 'Functional',
      config: {
        name: 'g',
        layers: [
          entry('InputLayer', names.input, { batch_input_shape: [null, 4, 4, 2] }, []),
          entry('Conv2D', names.conv, { filters: 2, kernel_size: 3, padding: 'same' }, node(names.input)),
          entry('Add', names.add, {}, node(names.input, names.conv)),
          entry('Flatten', 'flat', {}, node(names.add)),
          entry('Dense', names.dense, { units: 3 }, node('flat'))
        ],
        input_layers: [[names.input, 0, 0]],
        output_layers: [[names.dense, 0, 0]]
      },
      keras_version: '2.15.0'
    }
    // Keras 3's spelling of the same graph, through encodeModel (its nodes are {args, kwargs} with __keras_tensor__ references).
    return dialect === 'keras2' ? file : encodeModel(right(decodeModel(file)), { dialect: 'keras3' })
  }
  const plain = { input: 'the_input', conv: 'conv', add: 'add', dense: 'dense' }
  const reference = right(compileModel(right(decodeModel(graph(plain, 'keras2')))))
  const params = reference.init(7)
  const expected = runWith(reference, params)

  it.each(PROTO_NAMES.map((n) => [n]))('%s as the input, the Conv2D, the Add and the Dense (one at a time), in both dialects: same summary and outputs as plain names', (n) => {
    for (const role of ['input', 'conv', 'add', 'dense'] as const) {
      for (const dialect of DIALECTS) {
        const names = { ...plain, [role]: n }
        const where = `${n} as the ${role} (${dialect})`
        const json = graph(names, dialect)
        const file = right(decodeModelFile(json))
        const summary = right(inferModel(file.model))
        expect(summary.layers.map((l) => l.name), where).toEqual([names.input, names.conv, names.add, 'flat', names.dense])
        expect(summary.layers[2]?.connectedTo, where).toEqual([`${names.input}[0][0]`, `${names.conv}[0][0]`])
        expect(summary.params).toBe(reference.summary.params)
        expect(summaryText(summary)).toContain(`${n} (`)
        const m = right(compileModel(file.model))
        expect(m.weights.map((w) => w.path), where).toEqual(reference.weights.map((w) => w.path.replace(/^conv\//, `${names.conv}/`).replace(/^dense\//, `${names.dense}/`)))
        expect(runWith(m, params), where).toEqual(expected)
        // encode and decode give the same model back
        expect(right(decodeModel(encodeModel(file.model))), where).toEqual(file.model)
      }
    }
  })

  it.each(PROTO_NAMES.map((n) => [n]))('%s as the name of a Sequential model, of its layers, and of a nested model', (n) => {
    const spec = right(
      sequential([layers.conv2d({ filters: 2, kernel_size: 3, name: n }), layers.flatten({ name: `${n}_flat` }), layers.dense({ units: 3, name: 'd' })], {
        input_shape: [4, 4, 2],
        name: n
      })
    )
    const m = right(compileModel(spec))
    expect(m.summary.name).toBe(n)
    expect(m.weights.map((w) => w.path)).toEqual([`${n}/kernel`, `${n}/bias`, 'd/kernel', 'd/bias'])
    const y = runWith(m, m.init(3))
    expect(y[0]?.length).toBe(3)
    expect(Array.from(y[0] ?? []).every(Number.isFinite)).toBe(true)
    // A nested model named n, called in a functional model (its weights are n/<layer>/<weight>).
    const x = input([4, 4, 2], { name: 'x' })
    const outer = right(functional({ inputs: [x], outputs: [apply({ class_name: 'Sequential', config: encodeModel(spec, { dialect: 'keras3' })['config'] as Record<string, unknown> }, x)] }))
    const mo = right(compileModel(outer))
    expect(mo.weights.map((w) => w.path)).toEqual([`${n}/${n}/kernel`, `${n}/${n}/bias`, `${n}/d/kernel`, `${n}/d/bias`])
    expect(runWith(mo, m.init(3))).toEqual(y)
  })

  it('references to a missing layer named like a prototype property: "unknown layer", never a built-in', () => {
    for (const n of PROTO_NAMES) {
      const json = graph(plain, 'keras2') as { config: { layers: Array<{ inbound_nodes: unknown }>; output_layers: unknown } }
      ;(json.config.layers[1] as { inbound_nodes: unknown }).inbound_nodes = [[[n, 0, 0, {}]]]
      const errors = left(decodeModelFile(json))
      expect(errorProblems(errors)).toEqual([])
      expect(errors.map((e) => e.path)).toEqual(['config.layers[1].inbound_nodes[0][0]'])
      expect(errors[0]?.message.startsWith(`unknown layer ${q(n)}; the model's layers are "the_input", "conv", "add", "flat" or "dense"`)).toBe(true)
      json.config.output_layers = [[n, 0, 0]]
      expect(left(decodeModelFile(json)).map((e) => e.path)).toContain('config.output_layers[0]')
    }
  })
})

// -------------------------------------------------------------------------------------
// weight names
// -------------------------------------------------------------------------------------

describe('every prototype name in a TensorFlow.js weights manifest', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const example = JSON.parse(readFileSync(join(root, 'examples/tfjs/model.json'), 'utf8')) as {
    modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>
  }
  const bytes = new Uint8Array(readFileSync(join(root, 'examples/tfjs/group1-shard1of1.bin')))
  const reference = right(decodeModelFile(example))
  const referenceModel = right(compileModel(reference.model))
  const referenceParams = right(assignNamedWeights(referenceModel, right(decodeWeightData(right(readWeightsManifest(example.weightsManifest)), [[bytes]]))))

  /** The example with its first Conv2D (conv2d_Conv2D1) renamed `n`, in the topology and the manifest. */
  const renamed = (n: string): typeof example => {
    const copy = JSON.parse(JSON.stringify(example)) as typeof example
    ;(copy.modelTopology.config.layers[0] as { config: Record<string, unknown> }).config['name'] = n
    for (const w of (copy.weightsManifest[0] as { weights: Array<{ name: string }> }).weights) w.name = w.name.replace(/^conv2d_Conv2D1\//, `${n}/`)
    return copy
  }

  it.each(PROTO_NAMES.map((n) => [n]))('%s: a layer named so loads its weights by name; a weight named so belongs to no layer; a shard file named so is read', (n) => {
    const file = renamed(n)
    const decoded = right(decodeModelFile(file))
    const model = right(compileModel(decoded.model))
    expect(model.weights.slice(0, 2).map((w) => w.path)).toEqual([`${n}/kernel`, `${n}/bias`])
    const groups = right(readWeightsManifest(decoded.weightsManifest))
    expect(groups[0]?.weights[0]?.name).toBe(`${n}/kernel`)
    const named = right(decodeWeightData(groups, [[bytes]]))
    expect([...named.keys()].slice(0, 2)).toEqual([`${n}/kernel`, `${n}/bias`])
    const params = right(assignNamedWeights(model, named))
    expect(params.map((p) => [...p.data])).toEqual(referenceParams.map((p) => [...p.data]))
    expect(runWith(model, params)).toEqual(runWith(referenceModel, referenceParams))

    // A weight whose whole name is n: it belongs to no layer, and the weight it replaced is missing.
    const bare = JSON.parse(JSON.stringify(example)) as typeof example
    ;((bare.weightsManifest[0] as { weights: Array<{ name: string }> }).weights[1] as { name: string }).name = n
    const errors = left(assignNamedWeights(referenceModel, right(decodeWeightData(right(readWeightsManifest(bare.weightsManifest)), [[bytes]]))))
    expect(errorProblems(errors)).toEqual([])
    expect(errors.map((e) => e.message)).toEqual([
      'weight "conv2d_Conv2D1/bias" (shape [8]) is missing from the manifest',
      `weight ${q(n)} in the manifest belongs to no layer of the model`
    ])

    // Named weights given as a Map with a prototype-named entry: never read through a prototype.
    const map = new Map(named)
    map.set(n, { shape: [1], data: new Float32Array(1) })
    const extra = left(assignNamedWeights(model, map))
    expect(extra.map((e) => e.message)).toEqual([`weight ${q(n)} in the manifest belongs to no layer of the model`])

    // A manifest entry with a prototype-named key (own, as JSON.parse makes it) or a quantization dtype named so.
    const odd = JSON.parse(JSON.stringify(example.weightsManifest)) as Array<{ weights: Array<Record<string, unknown>> }>
    setOwn((odd[0] as { weights: Array<Record<string, unknown>> }).weights[0] as object, n, { dtype: 'uint8' })
    ;((odd[0] as { weights: Array<Record<string, unknown>> }).weights[1] as Record<string, unknown>)['quantization'] = { dtype: n, min: 0, scale: 1 }
    const oddErrors = left(readWeightsManifest(odd))
    expect(errorProblems(oddErrors)).toEqual([])
    expect(oddErrors.map((e) => e.path)).toEqual(['weightsManifest[0].weights[1].quantization'])
    expect(oddErrors[0]?.message.startsWith('expected a quantization with dtype "uint8", "uint16" or "float16", found an object')).toBe(true)
  })

  it('the CLI runs a model whose layer and shard file are named like prototype properties, loading its weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerspec-proto-'))
    try {
      for (const n of PROTO_NAMES) {
        const file = renamed(n)
        // A shard file name is any file name next to model.json: here the prototype name itself.
        ;(file.weightsManifest[0] as { paths: string[] }).paths = [n]
        copyFileSync(join(root, 'examples/tfjs/group1-shard1of1.bin'), join(dir, n))
        writeFileSync(join(dir, 'model.json'), JSON.stringify(file))
        const out: string[] = []
        const code = main(['run', join(dir, 'model.json')], (s) => out.push(s), (s) => out.push(s))
        expect(out.join('\n'), n).toContain('loaded from the weights manifest')
        expect(code, out.join('\n')).toBe(0)
        const summary: string[] = []
        expect(main(['summary', join(dir, 'model.json')], (s) => summary.push(s), (s) => summary.push(s))).toBe(0)
        expect(summary.join('\n')).toContain(`${n} (Conv2D)`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
