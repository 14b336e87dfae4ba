/**
 * `arbConvConfig`: raw Keras configs of every member of the convolution family — Conv1D/2D/3D,
 * Conv1D/2D/3DTranspose, SeparableConv1D/2D, DepthwiseConv1D/2D — in either dialect (tf.keras 2.x /
 * TensorFlow.js `keras2`, Keras 3 `keras3`), always valid in that dialect, each with an input shape it
 * compiles for. Generated from a small plan of meaningful choices mapped to JSON (no `.filter`), so
 * counterexamples shrink to small configs. Keras's per-class and per-dialect rules
 * (`keras-conv-family-reference.md`, "family §n") are respected by construction:
 * - strides > 1 meets dilation_rate > 1 (judged across axes) only for separable and depthwise members
 *   in keras3 (Keras ≥ 3.15 accepts it; family §4);
 * - `causal` padding only for Conv1D (both dialects) and SeparableConv1D (keras2 only; family §3);
 * - transposed members: `output_padding` `None` or each entry in `[0, strides)` (family §5); tf.keras
 *   2.x Conv3DTranspose never dilates (it drops `dilation_rate`; family §8, §11);
 * - keras2 configs may carry tf.keras's inherited keys (`groups: 1` on transposed, separable and
 *   depthwise members; `kernel_initializer` / `_regularizer` / `_constraint` on separable ones; family
 *   §8); keras3 configs never do (Keras 3 refuses them);
 * - Conv1D / Conv2D / Conv3D: `filters` divisible by `groups`, input channels too.
 */
import fc from 'fast-check'
import type { Dialect } from '../codec/Dialect.js'
import { hasOwnKey } from '../core/NameTable.js'
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

/** The spatial rank of a family member: 1 (steps), 2 (rows, cols) or 3 (depth, rows, cols). */
export type ConvConfigRank = 1 | 2 | 3

/**
 * The kinds of member: forward (`Conv{1,2,3}D`), transposed (`Conv{1,2,3}DTranspose`), separable
 * (`SeparableConv{1,2}D`) and depthwise (`DepthwiseConv{1,2}D`) convolutions.
 */
export type ConvConfigKind = 'conv' | 'transpose' | 'separable' | 'depthwise'

/**
 * The Keras class of a member, or `undefined` when Keras has none (rank-3 separable and depthwise).
 * @category building blocks
 */
export const convClassName = (rank: ConvConfigRank, kind: ConvConfigKind): string | undefined => {
  switch (kind) {
    case 'conv':
      return `Conv${rank}D`
    case 'transpose':
      return `Conv${rank}DTranspose`
    case 'separable':
      return rank === 3 ? undefined : `SeparableConv${rank}D`
    case 'depthwise':
      return rank === 3 ? undefined : `DepthwiseConv${rank}D`
  }
}

/**
 * Every member of the family as `[rank, kind]`: conv 1–3, transpose 1–3, separable 1–2, depthwise 1–2.
 * @category building blocks
 */
export const convMembers = (): ReadonlyArray<readonly [ConvConfigRank, ConvConfigKind]> => [
  [1, 'conv'],
  [2, 'conv'],
  [3, 'conv'],
  [1, 'transpose'],
  [2, 'transpose'],
  [3, 'transpose'],
  [1, 'separable'],
  [2, 'separable'],
  [1, 'depthwise'],
  [2, 'depthwise']
]

/**
 * The meaningful choices behind one generated family config, and its rendering. Tuples have one
 * entry per spatial axis, spatial order. `inputShape` is a per-sample input (no batch axis, data
 * format order) the layer compiles for; `channels` is its C.
 * @category model
 */
export interface ConvConfigPlan {
  readonly className: string
  readonly rank: ConvConfigRank
  readonly kind: ConvConfigKind
  /** The dialect `config` is valid in (decode it with that dialect's codec). */
  readonly dialect: Dialect
  /** F for conv / transpose / separable; for depthwise the output channels C·M. */
  readonly filters: number
  readonly kernelSize: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly dilationRate: ReadonlyArray<number>
  readonly padding: 'valid' | 'same' | 'causal'
  /** The resolved data format (a config that omits the key means `channels_last` here). */
  readonly dataFormat: 'channels_last' | 'channels_first'
  /** G (conv only; 1 elsewhere). */
  readonly groups: number
  /** M (separable and depthwise; 1 elsewhere). */
  readonly depthMultiplier: number
  /** Transposed only: Keras's `output_padding` (`null` = None; always `null` for other kinds). */
  readonly outputPadding: ReadonlyArray<number> | null
  readonly useBias: boolean
  /** C. */
  readonly channels: number
  readonly inputShape: ReadonlyArray<number>
  /** The layer's `config` dict (what a model's layer entry holds, and the layer codecs decode). */
  readonly config: Json
  /** The same config in its layer envelope: `{class_name, config}` (keras2) or Keras 3's `{module, class_name, config, registered_name}`. */
  readonly layer: Json
}

/**
 * Options for {@link arbConvConfig}. Every limit is inclusive.
 * @category model
 */
export interface ConvConfigOptions {
  /** The dialects to draw from (default both). */
  readonly dialects?: ReadonlyArray<Dialect>
  /** Largest kernel size per axis (default 3). */
  readonly maxKernel?: number
  /** Largest stride per axis (default 3). */
  readonly maxStride?: number
  /** Largest dilation per axis (default 3; 1 never dilates). */
  readonly maxDilation?: number
  /** Largest number of input channels per group, of filters per group, of groups, of the depth multiplier (default 3 each; `maxGroups` only for conv). */
  readonly maxChannels?: number
  readonly maxFilters?: number
  readonly maxGroups?: number
  readonly maxDepthMultiplier?: number
  /** Largest extra length per axis beyond the smallest input that fits (default 4). */
  readonly maxExtent?: number
  /** The paddings to draw from (default every padding the member takes in the dialect; `causal` is dropped where it is not allowed). */
  readonly paddings?: ReadonlyArray<'valid' | 'same' | 'causal'>
  /** The data formats to draw from (default both). */
  readonly dataFormats?: ReadonlyArray<'channels_last' | 'channels_first'>
  /** Transposed members: whether `output_padding` may be given (default true; else always None). */
  readonly outputPadding?: boolean
  /** Separable / depthwise in keras3: whether strides > 1 may meet dilation > 1 (default true). */
  readonly stridedDilation?: boolean
  /** Whether `use_bias` may be false (default true). */
  readonly noBias?: boolean
  /** Whether `float64` dtypes may be generated (default true). */
  readonly float64?: boolean
  /** Whether the optional Keras objects (activations, initializers, regularizers, constraints) vary (default true; else left out: linear activation). */
  readonly keras?: boolean
  /** Whether spellings vary (ints for equal tuples, `__tuple__`, letter case, omitted defaults, names, input declarations, inherited tf.keras keys; default true). */
  readonly spellings?: boolean
}

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const tupleOf = (rank: number, min: number, max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min, max: Math.max(min, max) }), { minLength: rank, maxLength: rank })

const allowsCausal = (className: string, dialect: Dialect): boolean => className === 'Conv1D' || (className === 'SeparableConv1D' && dialect === 'keras2')

/**
 * Whether a member kind rejects max(strides) > 1 with max(dilation_rate) > 1 in a dialect (family §4):
 * forward and transposed convolutions always; separable and depthwise ones in keras2 (tf.keras ≥
 * 2.12) but not in keras3 (Keras ≥ 3.15).
 * @category building blocks
 */
export const rejectsStridedDilation = (kind: ConvConfigKind, dialect: Dialect): boolean => kind === 'conv' || kind === 'transpose' || dialect === 'keras2'

/** keras2 spelling of values drawn as either envelope style: legacy envelopes, activation names, dtype strings. */
const asKeras2 = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(asKeras2)
  if (typeof u !== 'object' || u === null) return u
  const o = u as Json
  if (hasOwnKey(o, 'module') && typeof o['class_name'] === 'string') {
    if (o['class_name'] === 'function') return o['config']
    if (o['class_name'] === 'DTypePolicy') return (o['config'] as Json)['name']
    return { class_name: o['class_name'], config: asKeras2(o['config']) }
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, asKeras2(v)]))
}

/** A letter case of a case-insensitive word: as is, UPPER, Capitalized. */
const casing = (word: string, k: number): string => (k === 0 ? word : k === 1 ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1))

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/**
 * Generates {@link ConvConfigPlan}s for the member of spatial rank `rank` and kind `kind` (see the
 * module comment for the rules respected). Throws for the pairs Keras has no class for (rank-3
 * separable and depthwise).
 * @category arbitraries
 * @example
 * fc.assert(fc.property(arbConvConfig(1, 'transpose'), (plan) => {
 *   const kind = LAYER_KINDS.find((k) => k.className === plan.className)!
 *   return E.isRight(kind.codec({ dialect: plan.dialect, imageDataFormat: 'channels_last' }).decode(plan.config))
 * }))
 */
export const arbConvConfig = (rank: ConvConfigRank, kind: ConvConfigKind, options: ConvConfigOptions = {}): fc.Arbitrary<ConvConfigPlan> => {
  const className = convClassName(rank, kind)
  if (className === undefined) throw new Error(`Keras has no ${kind} convolution of rank ${rank} (separable and depthwise members have ranks 1 and 2)`)
  const maxKernel = options.maxKernel ?? 3
  const maxStride = options.maxStride ?? 3
  const maxDilation = options.maxDilation ?? 3
  const maxExtent = options.maxExtent ?? 4
  const dialects = options.dialects ?? ['keras3', 'keras2']
  const formats = options.dataFormats ?? ['channels_last', 'channels_first']
  const spellings = options.spellings ?? true
  const keras = options.keras ?? true
  const kernelRank = rank + 2
  const isConv = kind === 'conv'
  const hasFilters = kind !== 'depthwise'
  const hasMultiplier = kind === 'separable' || kind === 'depthwise'

  const arbWindow = (dialect: Dialect) => {
    const noDilation = maxDilation <= 1 || (className === 'Conv3DTranspose' && dialect === 'keras2')
    const dilations = noDilation ? fc.constant(Array.from({ length: rank }, () => 1)) : tupleOf(rank, 1, maxDilation)
    const strides = tupleOf(rank, 1, maxStride)
    const ones = fc.constant(Array.from({ length: rank }, () => 1))
    const both = !rejectsStridedDilation(kind, dialect) && (options.stridedDilation ?? true)
    // simplest first: stride 1 and dilation 1
    return both
      ? fc.record({ strides, dilationRate: dilations })
      : fc.oneof(fc.record({ strides, dilationRate: ones }), fc.record({ strides: ones, dilationRate: dilations }))
  }

  const paddingsFor = (dialect: Dialect): ReadonlyArray<'valid' | 'same' | 'causal'> => {
    const wanted = options.paddings ?? ['valid', 'same', 'causal']
    const ok = wanted.filter((p) => p !== 'causal' || allowsCausal(className, dialect))
    return ok.length > 0 ? ok : ['valid']
  }

  const objects = (dialect: Dialect): fc.Arbitrary<Json> => {
    if (!keras) return fc.constant({})
    const kernelKeys: Record<string, fc.Arbitrary<unknown>> =
      kind === 'conv' || kind === 'transpose'
        ? { kernel_initializer: arbInitializerConfig(kernelRank), kernel_regularizer: arbRegularizerConfig, kernel_constraint: arbConstraintConfig(kernelRank) }
        : kind === 'separable'
          ? {
              depthwise_initializer: arbInitializerConfig(kernelRank),
              pointwise_initializer: arbInitializerConfig(kernelRank),
              depthwise_regularizer: arbRegularizerConfig,
              pointwise_regularizer: arbRegularizerConfig,
              depthwise_constraint: arbConstraintConfig(kernelRank),
              pointwise_constraint: arbConstraintConfig(kernelRank)
            }
          : { depthwise_initializer: arbInitializerConfig(kernelRank), depthwise_regularizer: arbRegularizerConfig, depthwise_constraint: arbConstraintConfig(kernelRank) }
    return fc
      .record({
        activation: arbActivationConfig,
        ...kernelKeys,
        bias_initializer: arbInitializerConfig(1),
        bias_regularizer: arbRegularizerConfig,
        activity_regularizer: arbRegularizerConfig,
        bias_constraint: arbConstraintConfig(1)
      })
      .map((o) => (dialect === 'keras2' ? (asKeras2(o) as Json) : o))
  }

  const spelling = spellings
    ? fc.record({
        kernelAsInt: fc.boolean(),
        stridesAsInt: fc.boolean(),
        dilationAsInt: fc.boolean(),
        tuples: fc.constantFrom('list', 'list', 'tuple'),
        paddingCase: fc.nat(2),
        formatCase: fc.nat(2),
        omitDefaults: fc.boolean(),
        declareInput: fc.constantFrom('none', 'batch_input_shape', 'input_shape'),
        inherited: fc.boolean(),
        name: fc.option(fc.constantFrom('conv', 'layer_1', 'block2_sepconv1'), { nil: undefined }),
        trainable: fc.option(fc.boolean(), { nil: undefined })
      })
    : fc.constant({
        kernelAsInt: false,
        stridesAsInt: false,
        dilationAsInt: false,
        tuples: 'list',
        paddingCase: 0,
        formatCase: 0,
        omitDefaults: false,
        declareInput: 'none',
        inherited: false,
        name: undefined,
        trainable: undefined
      })

  return fc.constantFrom(...dialects).chain((dialect) =>
    fc
      .record({
        kernelSize: tupleOf(rank, 1, maxKernel),
        window: arbWindow(dialect),
        padding: fc.constantFrom(...paddingsFor(dialect)),
        dataFormat: fc.constantFrom(...formats),
        groups: isConv ? fc.integer({ min: 1, max: Math.max(1, options.maxGroups ?? 3) }) : fc.constant(1),
        channelsPerGroup: fc.integer({ min: 1, max: Math.max(1, options.maxChannels ?? 3) }),
        filtersPerGroup: fc.integer({ min: 1, max: Math.max(1, options.maxFilters ?? 3) }),
        depthMultiplier: hasMultiplier ? fc.integer({ min: 1, max: Math.max(1, options.maxDepthMultiplier ?? 3) }) : fc.constant(1),
        // per axis: null = None, else an entry below the stride (drawn as a fraction of it)
        outputPadding: kind === 'transpose' && (options.outputPadding ?? true) ? fc.option(tupleOf(rank, 0, 100), { nil: null }) : fc.constant(null),
        extent: tupleOf(rank, 1, maxExtent + 1),
        useBias: (options.noBias ?? true) ? fc.boolean().map((b) => !b) : fc.constant(true),
        objects: objects(dialect),
        dtype: arbDTypeConfig(options.float64 ?? true).map((d) => (dialect === 'keras2' ? asKeras2(d) : d)),
        spelling
      })
      .map((p): ConvConfigPlan => {
        const { strides, dilationRate } = p.window
        const ke = p.kernelSize.map((k, i) => (dilationRate[i] as number) * (k - 1) + 1)
        const outputPadding = p.outputPadding === null ? null : p.outputPadding.map((v, i) => v % (strides[i] as number))
        const spatial = p.extent.map((e, i) => {
          // a forward `valid` window needs n ≥ ke; a transposed axis needs a positive output: only
          // n = 1, `same`, even ke, op 0 gives (n − 1)·s + (ke mod 2) + op = 0
          if (kind !== 'transpose') return (p.padding === 'valid' ? (ke[i] as number) - 1 : 0) + e
          const op = outputPadding === null ? null : (outputPadding[i] as number)
          const zero = e === 1 && p.padding === 'same' && op === 0 && (ke[i] as number) % 2 === 0
          return zero ? 2 : e
        })
        const channels = p.groups * p.channelsPerGroup
        const inputShape = p.dataFormat === 'channels_last' ? [...spatial, channels] : [channels, ...spatial]
        const filters = kind === 'depthwise' ? channels * p.depthMultiplier : p.groups * p.filtersPerGroup
        const s = p.spelling
        const spell = (v: ReadonlyArray<number>, asInt: boolean): unknown => {
          if (asInt && v.every((x) => x === v[0])) return v[0]
          return s.tuples === 'tuple' ? { class_name: '__tuple__', items: [...v] } : [...v]
        }
        const isOnes = (v: ReadonlyArray<number>) => v.every((x) => x === 1)
        const omit = s.omitDefaults
        const config: Json = {}
        if (s.name !== undefined) config['name'] = s.name
        if (s.trainable !== undefined) config['trainable'] = s.trainable
        if (p.dtype !== undefined) config['dtype'] = p.dtype
        if (s.declareInput === 'batch_input_shape' && dialect === 'keras2') config['batch_input_shape'] = [null, ...inputShape]
        else if (s.declareInput !== 'none') config['input_shape'] = [...inputShape]
        if (hasMultiplier && kind === 'separable' && !(omit && p.depthMultiplier === 1)) config['depth_multiplier'] = p.depthMultiplier
        if (hasFilters) config['filters'] = filters
        config['kernel_size'] = spell(p.kernelSize, s.kernelAsInt)
        if (!(omit && isOnes(strides))) config['strides'] = spell(strides, s.stridesAsInt)
        if (!(omit && p.padding === 'valid')) config['padding'] = casing(p.padding, s.paddingCase)
        if (kind === 'transpose' && !(omit && outputPadding === null)) config['output_padding'] = outputPadding === null ? null : [...outputPadding]
        if (!(omit && p.dataFormat === 'channels_last')) config['data_format'] = casing(p.dataFormat, s.formatCase)
        // tf.keras 2.x Conv3DTranspose drops dilation_rate from its config
        const writesDilation = !(className === 'Conv3DTranspose' && dialect === 'keras2' && s.inherited)
        if (writesDilation && !(omit && isOnes(dilationRate))) config['dilation_rate'] = spell(dilationRate, s.dilationAsInt)
        if (kind === 'depthwise' && !(omit && p.depthMultiplier === 1)) config['depth_multiplier'] = p.depthMultiplier
        if (isConv && !(omit && p.groups === 1)) config['groups'] = p.groups
        if (!isConv && dialect === 'keras2' && s.inherited) config['groups'] = 1
        if (!(omit && p.useBias)) config['use_bias'] = p.useBias
        Object.assign(config, p.objects)
        if (kind === 'separable' && dialect === 'keras2' && s.inherited) {
          // tf.keras 2.x SeparableConv writes Conv's kernel_* keys (unused)
          config['kernel_initializer'] = { class_name: 'GlorotUniform', config: { seed: null } }
          config['kernel_regularizer'] = null
          config['kernel_constraint'] = null
        }
        const layer: Json =
          dialect === 'keras2' ? { class_name: className, config } : { module: 'keras.layers', class_name: className, config, registered_name: null }
        return {
          className,
          rank,
          kind,
          dialect,
          filters,
          kernelSize: p.kernelSize,
          strides,
          dilationRate,
          padding: p.padding,
          dataFormat: p.dataFormat,
          groups: p.groups,
          depthMultiplier: p.depthMultiplier,
          outputPadding,
          useBias: p.useBias,
          channels,
          inputShape,
          config,
          layer
        }
      })
  )
}

/**
 * Plans of every member of the family (ten classes), each drawn by {@link arbConvConfig} with the
 * same options.
 * @category arbitraries
 */
export const arbAnyConvConfig = (options: ConvConfigOptions = {}): fc.Arbitrary<ConvConfigPlan> =>
  fc.oneof(...convMembers().map(([rank, kind]) => arbConvConfig(rank, kind, options)))
