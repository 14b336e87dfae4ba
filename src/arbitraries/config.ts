/**
 * `arbConv2DConfig`: raw Keras Conv2D configs in every accepted spelling (ints vs pairs, upper/lower
 * case, TF 2.x legacy vs Keras 3 envelopes, bare `get_config()` dicts), always valid. Generated from a
 * small "plan" of meaningful choices mapped to JSON, so shrinking works on the choices.
 */
import fc from 'fast-check'
import {
  arbActivationConfig,
  arbConstraintConfig,
  arbDTypeConfig,
  arbInitializerConfig,
  arbRegularizerConfig,
  type Json
} from './blocks.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The meaningful choices behind one generated config, and how to spell them. Sizes are per axis
 * `[rows, cols]`; `inputShape` is an input (no batch axis, data format order) the layer compiles for.
 * @category model
 */
export interface Conv2DPlan {
  readonly filters: number
  readonly kernelSize: readonly [number, number]
  readonly strides: readonly [number, number]
  readonly dilationRate: readonly [number, number]
  readonly padding: 'valid' | 'same'
  readonly dataFormat: 'channels_last' | 'channels_first'
  readonly groups: number
  readonly useBias: boolean
  readonly inputShape: readonly [number, number, number]
  /** The rendered Keras config. */
  readonly config: Json
}

/**
 * Options for {@link arbConv2DConfig}.
 * @category model
 */
export interface Conv2DConfigOptions {
  /** Largest kernel size per axis (default 3). */
  readonly maxKernel?: number
  /** Largest stride or dilation (default 3). */
  readonly maxStride?: number
  /** Largest number of groups (default 3) and of filters / channels per group (default 3). */
  readonly maxGroups?: number
  readonly maxPerGroup?: number
  /** Largest extra rows/cols beyond the smallest input that fits (default 5). */
  readonly maxExtent?: number
  /** Whether a `float64` dtype may be generated (default true). */
  readonly float64?: boolean
  /** Whether the optional Keras objects (initializers, regularizers, constraints, activations) vary (default true). */
  readonly keras?: boolean
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

const pair = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }))

/**
 * Generates {@link Conv2DPlan}s: a valid Conv2D config (strides > 1 never meets dilation > 1, filters
 * divisible by groups) together with an input shape it compiles for.
 * @category arbitraries
 */
export const arbConv2DPlan = (options: Conv2DConfigOptions = {}): fc.Arbitrary<Conv2DPlan> => {
  const maxKernel = options.maxKernel ?? 3
  const maxStride = options.maxStride ?? 3
  const maxGroups = options.maxGroups ?? 3
  const maxPerGroup = options.maxPerGroup ?? 3
  const maxExtent = options.maxExtent ?? 5
  const keras = options.keras ?? true
  const ones = fc.constant([1, 1] as const)
  // Built directly: either strides vary (dilation 1) or dilation varies (strides 1), never both.
  const stridesAndDilation = fc.oneof(
    fc.record({ strides: pair(maxStride), dilationRate: ones }),
    fc.record({ strides: ones, dilationRate: pair(maxStride) })
  )
  const objects = keras
    ? fc.record({
        activation: arbActivationConfig,
        kernel_initializer: arbInitializerConfig(4),
        bias_initializer: arbInitializerConfig(1),
        kernel_regularizer: arbRegularizerConfig,
        bias_regularizer: arbRegularizerConfig,
        activity_regularizer: arbRegularizerConfig,
        kernel_constraint: arbConstraintConfig(4),
        bias_constraint: arbConstraintConfig(1)
      })
    : fc.constant({})
  return fc
    .record({
      kernelSize: pair(maxKernel),
      sd: stridesAndDilation,
      padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
      dataFormat: fc.constantFrom<'channels_last' | 'channels_first'>('channels_last', 'channels_first'),
      groups: fc.integer({ min: 1, max: maxGroups }),
      filtersPerGroup: fc.integer({ min: 1, max: maxPerGroup }),
      channelsPerGroup: fc.integer({ min: 1, max: maxPerGroup }),
      extent: pair(maxExtent + 1),
      useBias: fc.boolean().map((b) => !b),
      objects,
      dtype: arbDTypeConfig(options.float64 ?? true),
      spelling: fc.record({
        kernelAsInt: fc.boolean(),
        stridesAsInt: fc.boolean(),
        dilationAsInt: fc.boolean(),
        tuples: fc.constantFrom('list', 'list', 'tuple'),
        paddingCase: fc.nat(2),
        formatCase: fc.nat(2),
        omitDefaults: fc.boolean(),
        envelope: fc.constantFrom('bare', 'legacy', 'keras3'),
        declareInput: fc.constantFrom('none', 'batch_input_shape', 'input_shape'),
        name: fc.option(fc.constantFrom('conv2d', 'conv2d_1', 'block1_conv1'), { nil: undefined }),
        trainable: fc.option(fc.boolean(), { nil: undefined })
      })
    })
    .map((p) => {
      const { strides, dilationRate } = p.sd
      const keff = (k: number, d: number) => d * (k - 1) + 1
      // `valid` needs at least the effective kernel; `same` any positive size.
      const rows = (p.padding === 'valid' ? keff(p.kernelSize[0], dilationRate[0]) - 1 : 0) + p.extent[0]
      const cols = (p.padding === 'valid' ? keff(p.kernelSize[1], dilationRate[1]) - 1 : 0) + p.extent[1]
      const channels = p.groups * p.channelsPerGroup
      const inputShape = (p.dataFormat === 'channels_last' ? [rows, cols, channels] : [channels, rows, cols]) as readonly [number, number, number]
      const filters = p.groups * p.filtersPerGroup
      const s = p.spelling
      const spell = (v: readonly [number, number], asInt: boolean): unknown => {
        if (asInt && v[0] === v[1]) return v[0]
        return s.tuples === 'tuple' ? { class_name: '__tuple__', items: [...v] } : [...v]
      }
      const casing = (word: string, k: number) => (k === 0 ? word : k === 1 ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1))
      const config: Json = {}
      if (s.name !== undefined) config['name'] = s.name
      if (s.trainable !== undefined) config['trainable'] = s.trainable
      if (p.dtype !== undefined) config['dtype'] = p.dtype
      // batch_input_shape is tf.keras 2.x's (Keras 3 refuses it): only where the config, also unwrapped,
      // reads as keras2 (no Keras 3 envelope or DTypePolicy); input_shape elsewhere.
      const keras3Policy = typeof p.dtype === 'object' && p.dtype !== null
      const batchShapeOk = s.envelope !== 'keras3' && !keras3Policy
      if (s.declareInput === 'batch_input_shape' && batchShapeOk) config['batch_input_shape'] = [null, ...inputShape]
      if (s.declareInput === 'input_shape' || (s.declareInput === 'batch_input_shape' && !batchShapeOk)) config['input_shape'] = [...inputShape]
      config['filters'] = filters
      config['kernel_size'] = spell(p.kernelSize, s.kernelAsInt)
      const isDefault = (v: readonly [number, number]) => v[0] === 1 && v[1] === 1
      if (!(s.omitDefaults && isDefault(strides))) config['strides'] = spell(strides, s.stridesAsInt)
      if (!(s.omitDefaults && p.padding === 'valid')) config['padding'] = casing(p.padding, s.paddingCase)
      if (!(s.omitDefaults && p.dataFormat === 'channels_last')) config['data_format'] = casing(p.dataFormat, s.formatCase)
      if (!(s.omitDefaults && isDefault(dilationRate))) config['dilation_rate'] = spell(dilationRate, s.dilationAsInt)
      if (!(s.omitDefaults && p.groups === 1)) config['groups'] = p.groups
      if (!(s.omitDefaults && p.useBias)) config['use_bias'] = p.useBias
      Object.assign(config, p.objects)
      const rendered: Json =
        s.envelope === 'bare'
          ? config
          : s.envelope === 'legacy'
            ? { class_name: 'Conv2D', config }
            : { module: 'keras.layers', class_name: 'Conv2D', config, registered_name: null }
      return {
        filters,
        kernelSize: p.kernelSize,
        strides,
        dilationRate,
        padding: p.padding,
        dataFormat: p.dataFormat,
        groups: p.groups,
        useBias: p.useBias,
        inputShape,
        config: rendered
      }
    })
}

/**
 * Raw Keras Conv2D configs, valid, in every accepted spelling.
 * @category arbitraries
 * @example
 * fc.assert(fc.property(arbConv2DConfig(), (config) => E.isRight(decodeConv2D(config))))
 */
export const arbConv2DConfig = (options: Conv2DConfigOptions = {}): fc.Arbitrary<Json> =>
  arbConv2DPlan(options).map((p) => p.config)

