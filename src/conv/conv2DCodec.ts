/**
 * The Conv2D codec: Keras / TensorFlow.js JSON ⇄ {@link Conv2DSpec}. Decoding accepts the bare
 * `get_config()` dict, the legacy `{"class_name": "Conv2D", "config": {…}}` entry and the Keras 3
 * `{"module", "class_name", "config", "registered_name", "build_config"}` entry, and reports every
 * problem at once with its JSON path. Encoding writes the spec back in its dialect (or another one on
 * request); `decode(encode(spec))` deep-equals `spec`.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { deepFreeze } from '../core/deepFreeze.js'
import { describe, isPlainObject, oneOf, quote, quoteText } from '../core/describe.js'
import { copyJson } from '../core/json.js'
import { hasOwnKey, nameTable, ownValue } from '../core/NameTable.js'
import { suggestion } from '../core/didYouMean.js'
import { kerasObject, optional, type DecodedOf, type Rule } from '../core/KerasObject.js'
import type { Pair } from '../core/Pair.js'
import { nullOr } from '../core/primitives.js'
import { bookkeepingFields, bookkeepingRules, bookkeepingSpec, encodeBookkeeping, KERAS3_BATCH_KEYS } from '../layers/base.js'
import { encodeKernelLayer, kernelLayerSpec } from '../layers/kernelLayer.js'
import { fromValidationErrors, type SpecError } from '../core/SpecError.js'
import { detectDialect, type Dialect } from '../codec/Dialect.js'
import { sameShape, shapeOfRank, type PartialShape } from '../codec/InputShape.js'
import { CONV2D_MEMBER } from './ConvFamilySpec.js'
import { convConfigFields, convConfigRules, KERAS1_ARGUMENTS } from './convFamilyCodec.js'
import type { Conv2DSpec, DataFormat, InputShape3, Padding } from './Conv2DSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options for decoding.
 * @category model
 */
export interface DecodeOptions {
  /**
   * The `data_format` used when a config omits it or writes `null`: layerspec's explicit stand-in for
   * Keras's global `image_data_format()` setting. Default `channels_last`.
   */
  readonly imageDataFormat?: DataFormat
  /** Force the dialect instead of inferring it from the JSON (reference §11.1). */
  readonly dialect?: Dialect
}

/**
 * Options for encoding.
 * @category model
 */
export interface EncodeOptions {
  /** The dialect to write; default: the spec's own. */
  readonly dialect?: Dialect
  /**
   * `true` (default): the layer entry a model file holds (`{class_name, config}` for keras2,
   * `{module, class_name, config, registered_name, build_config}` for keras3). `false`: the bare
   * `get_config()` dict.
   */
  readonly envelope?: boolean
}

/** A JSON object as written by `encodeConv2D`. */
export type KerasJson = Readonly<Record<string, unknown>>

// -------------------------------------------------------------------------------------
// field codecs
// -------------------------------------------------------------------------------------

const BatchShape = shapeOfRank(4, '[batch, then the 3 image axes in the data format\'s order]')

const EXPLAINED: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries(KERAS1_ARGUMENTS).map(([k, v]) => [
      k,
      `"${k}" is a Keras 1 argument (the Keras 1 Convolution2D format is not supported); Keras 2 and later call it "${v}": re-save the model with Keras 2 or later`
    ])
  ),
  weights: '"weights" (initial weight values inside a config) is not supported; load weights separately',
  input_dim: '"input_dim" describes a 1-D input; a Conv2D input needs "input_shape" or "batch_input_shape"',
  inbound_nodes: '"inbound_nodes" belongs to a layer entry of a functional model; decode the whole model with decodeModel'
}

/** Conv2D's arguments: the bookkeeping ones (rank-3 input shapes), then the family's forward-convolution ones at rank 2. */
const fields = (dialect: Dialect, imageDataFormat: DataFormat) =>
  ({
    ...bookkeepingFields(dialect, 3),
    ...convConfigFields(CONV2D_MEMBER, { dialect, imageDataFormat })
  }) as const

type Conv2DFields = ReturnType<typeof fields>
type Conv2DConfig = DecodedOf<Conv2DFields>

const rulesFor = (dialect: Dialect): ReadonlyArray<Rule<Conv2DConfig>> => [...bookkeepingRules<Conv2DConfig>(dialect), ...convConfigRules<Conv2DConfig>(CONV2D_MEMBER, dialect)]

const EXPLAINED_TABLE = nameTable(EXPLAINED)

const configCodec = (dialect: Dialect, imageDataFormat: DataFormat) =>
  kerasObject('Conv2D', fields(dialect, imageDataFormat), {
    explained: dialect === 'keras3' ? { ...EXPLAINED, ...KERAS3_BATCH_KEYS } : EXPLAINED,
    rules: rulesFor(dialect)
  })

// -------------------------------------------------------------------------------------
// envelope
// -------------------------------------------------------------------------------------

const CLASS_NAMES = ['Conv2D', 'Convolution2D'] as const
const ENVELOPE_KEYS = ['class_name', 'config', 'module', 'registered_name', 'build_config', 'name'] as const

const BuildConfig = kerasObject('build_config', { input_shape: optional(nullOr(BatchShape), null) })

/** The errors of a validation: none when it succeeded. */
const errorsOf = <A>(v: t.Validation<A>): t.Errors => (E.isLeft(v) ? v.left : [])

const push = (errors: t.ValidationError[], c: t.Context, key: string, value: unknown, message: string): void => {
  errors.push({ value, context: t.appendContext(c, key, t.never, value), message })
}

/** Validates a layer entry's envelope; returns its config and `build_config.input_shape`. */
const validateEnvelope = (
  u: Readonly<Record<string, unknown>>,
  c: t.Context
): t.Validation<{ readonly config: unknown; readonly built: PartialShape | null }> => {
  const errors: t.ValidationError[] = []
  for (const key of Object.keys(u)) {
    if ((ENVELOPE_KEYS as ReadonlyArray<string>).includes(key)) continue
    push(
      errors,
      c,
      key,
      u[key],
      EXPLAINED_TABLE.get(key) ??
        `unknown key ${quoteText(key)} in a Conv2D layer entry${suggestion(key, ENVELOPE_KEYS)}; expected ${oneOf(ENVELOPE_KEYS)}`
    )
  }
  const cls = u['class_name']
  if (cls !== 'Conv2D' && cls !== 'Convolution2D') {
    push(
      errors,
      c,
      'class_name',
      cls,
      `expected class_name ${oneOf(CLASS_NAMES)}, found ${describe(cls)}; decodeConv2D reads Conv2D layers only` +
        (typeof cls === 'string' ? suggestion(cls, CLASS_NAMES) : '')
    )
  }
  const mod = u['module']
  if (mod !== undefined && mod !== null && typeof mod !== 'string') {
    push(errors, c, 'module', mod, `expected module to be a string or null, found ${describe(mod)}`)
  }
  const reg = u['registered_name']
  if (reg !== undefined && reg !== null && reg !== 'Conv2D') {
    push(
      errors,
      c,
      'registered_name',
      reg,
      typeof reg === 'string'
        ? `registered_name ${quoteText(reg)} names a custom (user-registered) class, which layerspec cannot run; expected null for the built-in Conv2D`
        : `expected registered_name to be null or a string, found ${describe(reg)}`
    )
  }
  const config = u['config']
  if (!isPlainObject(config)) {
    push(errors, c, 'config', config, `expected the layer's "config" to be a JSON object of Conv2D arguments, found ${describe(config)}`)
  }
  const entryName = u['name']
  if (entryName !== undefined && (typeof entryName !== 'string' || (isPlainObject(config) && config['name'] !== undefined && config['name'] !== entryName))) {
    push(
      errors,
      c,
      'name',
      entryName,
      `expected the entry's name to be a string equal to config.name, found ${describe(entryName)}` +
        (isPlainObject(config) ? ` and config.name ${describe(config['name'])}` : '')
    )
  }
  let built: PartialShape | null = null
  if (u['build_config'] !== undefined && u['build_config'] !== null) {
    const r = BuildConfig.validate(u['build_config'], t.appendContext(c, 'build_config', BuildConfig, u['build_config']))
    if (E.isLeft(r)) errors.push(...r.left)
    else built = r.right.input_shape
  }
  return errors.length > 0 ? t.failures(errors) : t.success({ config, built })
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const toSpec = (dialect: Dialect, c: Conv2DConfig, built: PartialShape | null): Conv2DSpec => {
  const base = bookkeepingSpec(dialect, c, built)
  return deepFreeze<Conv2DSpec>({
    className: 'Conv2D',
    ...base,
    // the codec admits only rank-3 input shapes for Conv2D
    inputShape: base.inputShape as InputShape3 | null,
    filters: c.filters,
    // the family's tuples at rank 2 are pairs
    kernelSize: c.kernel_size as unknown as Pair,
    strides: c.strides as unknown as Pair,
    // Conv2D's padding codec admits no causal
    padding: c.padding as Padding,
    dataFormat: c.data_format,
    dilationRate: c.dilation_rate as unknown as Pair,
    groups: c.groups,
    ...kernelLayerSpec(c),
    loraRank: c.lora_rank,
    // Keras's lora_alpha defaults to the rank (and is written so): one form per meaning.
    loraAlpha: c.lora_rank === null ? null : (c.lora_alpha ?? c.lora_rank)
  })
}

const encodeConfig = (
  spec: Conv2DSpec,
  dialect: Dialect,
  shape: 'batch_input_shape' | 'input_shape' | 'omit'
): Record<string, unknown> => {
  const f = fields(dialect, spec.dataFormat)
  const config: Record<string, unknown> = encodeBookkeeping(spec, dialect, shape)
  config['filters'] = spec.filters
  config['kernel_size'] = f.kernel_size.codec.encode(spec.kernelSize)
  config['strides'] = f.strides.codec.encode(spec.strides)
  config['padding'] = spec.padding
  config['data_format'] = spec.dataFormat
  config['dilation_rate'] = f.dilation_rate.codec.encode(spec.dilationRate)
  config['groups'] = spec.groups
  Object.assign(config, encodeKernelLayer(spec, dialect))
  if (spec.loraRank !== null) {
    config['lora_rank'] = spec.loraRank
    config['lora_alpha'] = spec.loraAlpha
  }
  return config
}

/**
 * Encodes a spec as Keras JSON (see {@link EncodeOptions}).
 * @category codec
 */
export const encodeConv2D = (spec: Conv2DSpec, options: EncodeOptions = {}): KerasJson => {
  const dialect = options.dialect ?? spec.dialect
  const wrapped = options.envelope ?? true
  if (dialect === 'keras2') {
    const config = encodeConfig(spec, dialect, 'batch_input_shape')
    return wrapped ? { class_name: 'Conv2D', config } : config
  }
  // Keras 3 accepts `input_shape` (+ `batch_size`) as constructor arguments; its get_config omits them
  // and a layer entry carries the shape in `build_config`.
  if (!wrapped) return encodeConfig(spec, dialect, 'input_shape')
  const config = encodeConfig(spec, dialect, 'omit')
  const batchShape = spec.inputShape === null ? null : [spec.batchSize, ...spec.inputShape]
  return {
    module: 'keras.layers',
    class_name: 'Conv2D',
    config,
    registered_name: null,
    ...(batchShape === null ? {} : { build_config: { input_shape: batchShape } })
  }
}

/**
 * The io-ts codec of a Conv2D layer: decodes any accepted JSON form to a deep-frozen {@link Conv2DSpec}
 * and encodes a spec back to Keras JSON.
 * @category codec
 */
export const conv2DCodec = (options: DecodeOptions & EncodeOptions = {}): t.Type<Conv2DSpec, KerasJson, unknown> =>
  new t.Type<Conv2DSpec, KerasJson, unknown>(
    'a Keras Conv2D layer config',
    (u): u is Conv2DSpec => isPlainObject(u) && u['className'] === 'Conv2D' && Object.isFrozen(u),
    (input, c) => {
      if (!isPlainObject(input)) {
        return t.failure(input, c, `expected a Conv2D layer config (a JSON object), found ${describe(input)}`)
      }
      // Decode a copy: nothing the frozen spec keeps can be the caller's own object.
      const u = copyJson(input) as Readonly<Record<string, unknown>>
      const dialect = options.dialect ?? detectDialect(u)
      const codec = configCodec(dialect, options.imageDataFormat ?? 'channels_last')
      if (!hasOwnKey(u, 'class_name')) {
        return pipe(
          codec.validate(u, c),
          E.map((config) => toSpec(dialect, config, null))
        )
      }
      const envelope = validateEnvelope(u, c)
      const config = ownValue(u, 'config')
      // a config that is not a JSON object fails with the envelope's error; there is nothing to decode in it
      const decoded = isPlainObject(config) ? codec.validate(config, t.appendContext(c, 'config', codec, config)) : t.failures<Conv2DConfig>([])
      if (E.isLeft(envelope) || E.isLeft(decoded)) return t.failures([...errorsOf(envelope), ...errorsOf(decoded)])
      const built = envelope.right.built
      const own = decoded.right.batch_input_shape ?? (decoded.right.input_shape === null ? null : [decoded.right.batch_size ?? null, ...decoded.right.input_shape])
      if (built !== null && own !== null && !sameShape(built, own)) {
        const bc = u['build_config'] as Record<string, unknown>
        return t.failure(
          bc['input_shape'],
          t.appendContext(t.appendContext(c, 'build_config', t.never, bc), 'input_shape', t.never, bc['input_shape']),
          `build_config.input_shape ${quote(built)} disagrees with the config's input shape ${quote(own)}`
        )
      }
      return t.success(toSpec(dialect, decoded.right, built))
    },
    (spec) => encodeConv2D(spec, options)
  )

/**
 * The codec of a Conv2D layer's `config` dict alone (no envelope), as a model's layer list holds it:
 * used by the model decoder. Encodes in the spec's dialect (`batch_input_shape` for keras2, Keras 3's
 * `input_shape` argument for keras3).
 * @category codec
 */
export const conv2DConfigCodec = (options: { readonly dialect: Dialect; readonly imageDataFormat?: DataFormat }): t.Type<Conv2DSpec, Record<string, unknown>, unknown> => {
  const codec = configCodec(options.dialect, options.imageDataFormat ?? 'channels_last')
  return new t.Type<Conv2DSpec, Record<string, unknown>, unknown>(
    'a Conv2D config',
    (u): u is Conv2DSpec => isPlainObject(u) && u['className'] === 'Conv2D',
    (u, c) => pipe(codec.validate(u, c), E.map((config) => toSpec(options.dialect, config, null))),
    (spec) => encodeConfig(spec, spec.dialect, spec.dialect === 'keras2' ? 'batch_input_shape' : 'input_shape')
  )
}

/**
 * Decodes a Keras Conv2D config (any accepted form) into a validated, normalized, deep-frozen spec, or
 * every problem found, each with its JSON path. Never throws.
 * @category codec
 * @example
 * decodeConv2D({ filters: 32, kernel_size: 3, padding: 'SAME' })
 * // Right({ filters: 32, kernelSize: [3, 3], strides: [1, 1], padding: 'same', … })
 */
export const decodeConv2D = (input: unknown, options: DecodeOptions = {}): E.Either<ReadonlyArray<SpecError>, Conv2DSpec> => {
  try {
    return pipe(conv2DCodec(options).decode(input), E.mapLeft(fromValidationErrors))
  } catch (e) {
    // A getter or proxy in a hand-built object can throw while being read; report it as a value.
    return E.left([{ path: '', message: `could not read the config: ${e instanceof Error ? e.message : String(e)}` }])
  }
}
