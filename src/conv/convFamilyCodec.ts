/**
 * The config codecs of the convolution family: Keras JSON (tf.keras 2.x / TensorFlow.js `keras2`,
 * Keras 3 `keras3`) ⇄ {@link ConvFamilySpec}. One codec factory serves every member: the window
 * arguments are the same at every rank (tuples of `rank` entries), and each kind adds its own
 * (filters and groups; output_padding; depth_multiplier and the depthwise / pointwise kernels).
 * Keras's per-class and per-version rules (family §3, §4, §5, §8):
 * - `causal` padding: Conv1D in both dialects, SeparableConv1D in keras2 only (tf.keras pads it like
 *   Conv1D; Keras 3 refuses it); no other member;
 * - strides > 1 with dilation_rate > 1 (judged across axes): rejected for forward and transposed
 *   convolutions; for separable and depthwise ones rejected in keras2 (tf.keras ≥ 2.12) and accepted
 *   in keras3 (Keras ≥ 3.15);
 * - `output_padding` entries ≥ 0 and `< strides` (Keras ≥ 3.14, tf.keras always);
 * - keras2 configs of transposed, separable and depthwise layers carry tf.keras's inherited `groups`
 *   (accepted when 1, written back), and separable ones its `kernel_initializer` / `_regularizer` /
 *   `_constraint` (accepted, unused by tf.keras, not written back: TensorFlow.js refuses them); Keras 3
 *   raises "Unrecognized keyword arguments" on all of them, and so does the keras3 dialect;
 * - tf.keras 2.x Conv1D's `data_format` defaults to `channels_last` literally (every other member, and
 *   Keras 3, use the image data format option); TensorFlow.js omits it for Conv1D.
 */
import * as t from 'io-ts'
import { optional, required, type DecodedOf, type Rule } from '../core/KerasObject.js'
import { intOrTuple, type Tuple } from '../core/Pair.js'
import { PositiveInt } from '../core/PositiveInt.js'
import { Bool, nullOr, oneOfNames } from '../core/primitives.js'
import * as E from 'fp-ts/lib/Either.js'
import { describe, isPlainObject } from '../core/describe.js'
import { activationCodec, type Activation } from '../codec/Activation.js'
import { constraintCodec, type Constraint } from '../codec/Constraint.js'
import type { Dialect } from '../codec/Dialect.js'
import { glorotUniform, initializerCodec, zeros, type Initializer } from '../codec/Initializer.js'
import { regularizerCodec, type Regularizer } from '../codec/Regularizer.js'
import { outputPaddingProblem, stridesDilationProblem, type ConvPadding } from '../geometry/Axis.js'
import type { ConvDataFormat } from '../geometry/ConvNdGeometry.js'
import { encodeKernelLayer, kernelLayerFields, kernelLayerRules, kernelLayerSpec } from '../layers/kernelLayer.js'
import type { LayerCodecOptions } from '../layers/LayerKind.js'
import { layerCodec } from '../layers/simple.js'
import type { ConvFamilySpec, ConvMember, ConvNdSpec, ConvTransposeSpec, DepthwiseConvSpec, SeparableConvSpec } from './ConvFamilySpec.js'

// -------------------------------------------------------------------------------------
// field codecs
// -------------------------------------------------------------------------------------

const CAUSAL_ELSEWHERE = 'causal padding exists only for Conv1D (and tf.keras 2.x SeparableConv1D)'

/** Whether a member takes `causal` padding in a dialect. */
const allowsCausal = (m: ConvMember, dialect: Dialect): boolean =>
  m.className === 'Conv1D' || (m.className === 'SeparableConv1D' && dialect === 'keras2')

/** `padding`, any case: `valid` / `same`, and `causal` where the member takes it. */
const paddingCodec = (m: ConvMember, dialect: Dialect): t.Type<ConvPadding, ConvPadding, unknown> =>
  allowsCausal(m, dialect)
    ? oneOfNames<ConvPadding>('padding', ['valid', 'same', 'causal'], { caseInsensitive: true })
    : oneOfNames<ConvPadding>('padding', ['valid', 'same'], {
        caseInsensitive: true,
        explain: {
          causal:
            m.className === 'SeparableConv1D'
              ? 'expected padding to be "valid" or "same", found "causal": Keras 3 SeparableConv1D has no causal padding (tf.keras 2.x had it; this config is keras3)'
              : `expected padding to be "valid" or "same", found "causal": ${CAUSAL_ELSEWHERE}, not ${m.className}`
        }
      })

/** `data_format`: null or missing mean the image data format option, except tf.keras Conv1D's literal default. */
const dataFormatField = (m: ConvMember, o: LayerCodecOptions) =>
  optional(
    oneOfNames<ConvDataFormat>('data_format', ['channels_last', 'channels_first'], { caseInsensitive: true, nullMeans: o.imageDataFormat }),
    m.className === 'Conv1D' && o.dialect === 'keras2' ? 'channels_last' : o.imageDataFormat
  )

/** tf.keras 2.x's inherited `groups` of transposed / separable / depthwise layers: 1 (written, ignored). */
const inheritedGroups = (m: ConvMember): t.Type<1, 1, unknown> =>
  new t.Type<1, 1, unknown>(
    '1',
    (u): u is 1 => u === 1,
    (u, c) =>
      u === 1
        ? t.success(1)
        : t.failure(
            u,
            c,
            `expected groups to be 1 (tf.keras writes 1 for ${m.className}, inherited from Conv, and ignores it; ${m.kind === 'transpose' ? 'a transposed convolution has no groups' : 'depth_multiplier sets the filters per channel'}), found ${describe(u)}`
          ),
    (a) => a
  )

const NOT_KERAS3 = (m: ConvMember, key: string): string =>
  `${JSON.stringify(key)} is not a Keras 3 ${m.className} argument (Keras 3 raises "Unrecognized keyword arguments passed to ${m.className}"); tf.keras 2.x writes it (inherited from Conv, unused), which the keras2 dialect accepts: remove the key`

/** The window fields every member has (kernel_size … dilation_rate), in Keras's order. */
const windowFields = (m: ConvMember, o: LayerCodecOptions) =>
  ({
    kernel_size: required(intOrTuple(m.rank)),
    strides: optional(intOrTuple(m.rank), ones(m.rank)),
    padding: optional(paddingCodec(m, o.dialect), 'valid' as ConvPadding),
    data_format: dataFormatField(m, o),
    dilation_rate: optional(intOrTuple(m.rank), ones(m.rank))
  }) as const

const ones = (rank: number): Tuple => Array.from({ length: rank }, () => 1) as unknown as Tuple

/** The bias / activation fields of separable and depthwise members (their kernels have other names). */
const outputFields = (dialect: Dialect) =>
  ({
    activation: optional(activationCodec(dialect), 'linear' as Activation),
    use_bias: optional(Bool, true),
    bias_initializer: optional(initializerCodec(dialect), zeros),
    bias_regularizer: optional(regularizerCodec(dialect), null),
    activity_regularizer: optional(regularizerCodec(dialect), null),
    bias_constraint: optional(constraintCodec(dialect), null)
  }) as const

/** A kernel's initializer / regularizer / constraint fields under a prefix (`depthwise`, `pointwise`). */
const kernelFields = <P extends string>(prefix: P, dialect: Dialect) =>
  ({
    [`${prefix}_initializer`]: optional(initializerCodec(dialect), glorotUniform()),
    [`${prefix}_regularizer`]: optional(regularizerCodec(dialect), null),
    [`${prefix}_constraint`]: optional(constraintCodec(dialect), null)
  }) as Record<`${P}_initializer`, ReturnType<typeof optional<Initializer, unknown>>> &
    Record<`${P}_regularizer`, ReturnType<typeof optional<Regularizer | null, unknown>>> &
    Record<`${P}_constraint`, ReturnType<typeof optional<Constraint | null, unknown>>>

/** One kernel's initializer / regularizer / constraint, by the prefix of its arguments. */
interface KernelArgs {
  readonly prefix: string
  readonly initializer: Initializer
  readonly regularizer: Regularizer | null
  readonly constraint: Constraint | null
}

/**
 * The activation, bias flag and weight arguments of a separable or depthwise layer in Keras's order:
 * every initializer (kernels, then the bias), every regularizer (then the activity's), every constraint.
 */
const encodeWeightArguments = (
  s: Pick<SeparableConvSpec, 'activation' | 'useBias' | 'biasInitializer' | 'biasRegularizer' | 'activityRegularizer' | 'biasConstraint'>,
  kernels: ReadonlyArray<KernelArgs>,
  dialect: Dialect
): Record<string, unknown> => {
  const init = initializerCodec(dialect)
  const reg = regularizerCodec(dialect)
  const con = constraintCodec(dialect)
  return {
    activation: activationCodec(dialect).encode(s.activation),
    use_bias: s.useBias,
    ...Object.fromEntries(kernels.map((k) => [`${k.prefix}_initializer`, init.encode(k.initializer)])),
    bias_initializer: init.encode(s.biasInitializer),
    ...Object.fromEntries(kernels.map((k) => [`${k.prefix}_regularizer`, reg.encode(k.regularizer)])),
    bias_regularizer: reg.encode(s.biasRegularizer),
    activity_regularizer: reg.encode(s.activityRegularizer),
    ...Object.fromEntries(kernels.map((k) => [`${k.prefix}_constraint`, con.encode(k.constraint)])),
    bias_constraint: con.encode(s.biasConstraint)
  }
}

// -------------------------------------------------------------------------------------
// rules
// -------------------------------------------------------------------------------------

interface WindowConfig {
  readonly strides: Tuple
  readonly dilation_rate: Tuple
}

/** The strides / dilation rule for a member in a dialect (family §4), or none. */
const stridesDilationRule = <C extends WindowConfig>(m: ConvMember, dialect: Dialect): ReadonlyArray<Rule<C>> =>
  (m.kind === 'separable' || m.kind === 'depthwise') && dialect === 'keras3'
    ? [] // Keras ≥ 3.15 accepts the combination for separable and depthwise layers
    : [
        {
          keys: ['strides', 'dilation_rate'],
          check: (c) => {
            const problem = stridesDilationProblem(c.strides, c.dilation_rate)
            return problem === undefined ? undefined : { key: 'strides', message: problem }
          }
        }
      ]

/**
 * Keras 1 argument names of the convolution classes (Convolution1D/2D/3D, …), and their names since
 * Keras 2: explained instead of "unknown argument" (Conv2D's codec reads the same table).
 * @category codecs
 */
export const KERAS1_ARGUMENTS: Readonly<Record<string, string>> = {
  nb_filter: 'filters',
  nb_row: 'kernel_size',
  nb_col: 'kernel_size',
  filter_length: 'kernel_size',
  subsample_length: 'strides',
  subsample: 'strides',
  border_mode: 'padding',
  dim_ordering: 'data_format',
  init: 'kernel_initializer',
  W_regularizer: 'kernel_regularizer',
  b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint',
  b_constraint: 'bias_constraint',
  bias: 'use_bias'
}

const explainedFor = (m: ConvMember, dialect: Dialect, extra: Readonly<Record<string, string>> = {}): Readonly<Record<string, string>> => ({
  ...Object.fromEntries(
    Object.entries(KERAS1_ARGUMENTS).map(([k, v]) => [k, `"${k}" is a Keras 1 argument (the Keras 1 format is not supported); Keras 2 and later call it "${v}": re-save the model with Keras 2 or later`])
  ),
  weights: '"weights" (initial weight values inside a config) is not supported; load weights separately',
  ...(dialect === 'keras3' && m.kind !== 'conv' ? { groups: NOT_KERAS3(m, 'groups') } : {}),
  ...extra
})

// -------------------------------------------------------------------------------------
// codecs by kind
// -------------------------------------------------------------------------------------

/**
 * The arguments of a forward convolution of any rank (Conv1D, Conv2D, Conv3D) without the bookkeeping
 * ones, in Keras's order: filters, the window, groups, the kernel layer's (LoRA included). Conv2D's
 * codec (conv2DCodec.ts) reads these at rank 2.
 * @category codecs
 */
export const convConfigFields = (m: ConvMember, o: LayerCodecOptions) =>
  ({
    filters: required(PositiveInt),
    ...windowFields(m, o),
    groups: optional(PositiveInt, 1 as PositiveInt),
    ...kernelLayerFields(o.dialect)
  }) as const

/** The decoded forward-convolution arguments. */
export type ConvConfig = DecodedOf<ReturnType<typeof convConfigFields>>

/**
 * Keras's rules of a forward convolution of any rank: strides with dilation (family §4), filters
 * divisible by groups, `lora_alpha` only with `lora_rank`, and the kernel layer's LoRA rules by dialect.
 * @category codecs
 */
export const convConfigRules = <C extends ConvConfig>(m: ConvMember, dialect: Dialect): ReadonlyArray<Rule<C>> => [
  ...stridesDilationRule<C>(m, dialect),
  {
    keys: ['filters', 'groups'],
    check: (c) =>
      c.filters % c.groups !== 0
        ? { key: 'groups', message: `expected filters to be divisible by groups, found filters ${c.filters} and groups ${c.groups} (${c.filters} % ${c.groups} = ${c.filters % c.groups})` }
        : undefined
  },
  {
    keys: ['lora_rank', 'lora_alpha'],
    check: (c) => (c.lora_alpha !== null && c.lora_rank === null ? { key: 'lora_alpha', message: `lora_alpha ${c.lora_alpha} is set but lora_rank is not; set lora_rank or remove lora_alpha` } : undefined)
  },
  ...kernelLayerRules<C>(dialect)
]

/** Conv1D / Conv3D: Conv2D's arguments at rank 1 / 3 (LoRA included). */
const convCodec = (m: ConvMember, o: LayerCodecOptions) =>
  layerCodec<ConvNdSpec>(m.className as ConvNdSpec['className'])(
    () => convConfigFields(m, o),
    (c) => ({
      rank: m.rank,
      kind: 'conv' as const,
      filters: c.filters,
      kernelSize: c.kernel_size,
      strides: c.strides,
      padding: c.padding,
      dataFormat: c.data_format,
      dilationRate: c.dilation_rate,
      groups: c.groups,
      ...kernelLayerSpec(c),
      loraRank: c.lora_rank,
      loraAlpha: c.lora_rank === null ? null : (c.lora_alpha ?? c.lora_rank)
    }),
    (s, dialect) => ({
      filters: s.filters,
      kernel_size: [...s.kernelSize],
      strides: [...s.strides],
      padding: s.padding,
      data_format: s.dataFormat,
      dilation_rate: [...s.dilationRate],
      groups: s.groups,
      ...encodeKernelLayer(s, dialect),
      ...(s.loraRank === null ? {} : { lora_rank: s.loraRank, lora_alpha: s.loraAlpha })
    }),
    { explained: explainedFor(m, o.dialect), rules: convConfigRules(m, o.dialect) as never }
  )(o)

/** Conv1DTranspose / Conv2DTranspose / Conv3DTranspose. */
const transposeCodec = (m: ConvMember, o: LayerCodecOptions) => {
  const { lora_rank: _r, lora_alpha: _a, ...kernel } = kernelLayerFields(o.dialect)
  return layerCodec<ConvTransposeSpec>(m.className as ConvTransposeSpec['className'])(
    () => ({
      filters: required(PositiveInt),
      ...windowFields(m, o),
      output_padding: optional(nullOr(intOrTuple(m.rank, true)), null),
      ...(o.dialect === 'keras2' ? { groups: optional(inheritedGroups(m), 1 as const) } : {}),
      ...kernel
    }),
    (c) => ({
      rank: m.rank,
      kind: 'transpose' as const,
      filters: c.filters,
      kernelSize: c.kernel_size,
      strides: c.strides,
      padding: c.padding,
      dataFormat: c.data_format,
      dilationRate: c.dilation_rate,
      outputPadding: c.output_padding,
      ...kernelLayerSpec({ ...c, lora_rank: null, lora_alpha: null })
    }),
    (s, dialect) => ({
      filters: s.filters,
      kernel_size: [...s.kernelSize],
      strides: [...s.strides],
      padding: s.padding,
      output_padding: s.outputPadding === null ? null : [...s.outputPadding],
      data_format: s.dataFormat,
      // tf.keras 2.x Conv3DTranspose pops dilation_rate from its config (and ignores it); a dilation it
      // cannot mean is still written, for the keras2 decoder to refuse rather than silently drop
      ...(dialect === 'keras2' && m.rank === 3 && Math.max(...s.dilationRate) === 1 ? {} : { dilation_rate: [...s.dilationRate] }),
      ...(dialect === 'keras2' ? { groups: 1 } : {}),
      ...encodeKernelLayer(s, dialect)
    }),
    {
      explained: explainedFor(m, o.dialect, {
        lora_rank: `${m.className} has no LoRA (Keras 3's lora_rank belongs to Conv1D/2D/3D and Dense)`,
        lora_alpha: `${m.className} has no LoRA (Keras 3's lora_alpha belongs to Conv1D/2D/3D and Dense)`
      }),
      rules: [
        ...stridesDilationRule(m, o.dialect),
        {
          keys: ['output_padding', 'strides'],
          check: (c: { readonly output_padding: ReadonlyArray<number> | null; readonly strides: Tuple }) => {
            const problem = outputPaddingProblem(c.output_padding, c.strides)
            return problem === undefined ? undefined : { key: 'output_padding', message: problem }
          }
        },
        ...(m.rank === 3 && o.dialect === 'keras2'
          ? [
              {
                keys: ['dilation_rate'],
                check: (c: { readonly dilation_rate: Tuple }) =>
                  Math.max(...c.dilation_rate) > 1
                    ? {
                        key: 'dilation_rate',
                        message: `tf.keras 2.x Conv3DTranspose ignores dilation_rate (it never passes it to TensorFlow's op and drops it from its config), so a keras2 file cannot mean dilation ${JSON.stringify([...c.dilation_rate])}; set dilation_rate to 1, or read the file as keras3`
                      }
                    : undefined
              }
            ]
          : [])
      ] as never
    }
  )(o)
}

/** SeparableConv1D / SeparableConv2D. */
const separableCodec = (m: ConvMember, o: LayerCodecOptions) =>
  layerCodec<SeparableConvSpec>(m.className as SeparableConvSpec['className'])(
    () => ({
      depth_multiplier: optional(PositiveInt, 1 as PositiveInt),
      filters: required(PositiveInt),
      ...windowFields(m, o),
      ...(o.dialect === 'keras2'
        ? {
            groups: optional(inheritedGroups(m), 1 as const),
            kernel_initializer: optional(initializerCodec(o.dialect), glorotUniform()),
            kernel_regularizer: optional(regularizerCodec(o.dialect), null),
            kernel_constraint: optional(constraintCodec(o.dialect), null)
          }
        : {}),
      ...outputFields(o.dialect),
      ...kernelFields('depthwise', o.dialect),
      ...kernelFields('pointwise', o.dialect)
    }),
    (c) => ({
      rank: m.rank,
      kind: 'separable' as const,
      filters: c.filters,
      depthMultiplier: c.depth_multiplier,
      kernelSize: c.kernel_size,
      strides: c.strides,
      padding: c.padding,
      dataFormat: c.data_format,
      dilationRate: c.dilation_rate,
      activation: c.activation,
      useBias: c.use_bias,
      depthwiseInitializer: c.depthwise_initializer,
      pointwiseInitializer: c.pointwise_initializer,
      biasInitializer: c.bias_initializer,
      depthwiseRegularizer: c.depthwise_regularizer,
      pointwiseRegularizer: c.pointwise_regularizer,
      biasRegularizer: c.bias_regularizer,
      activityRegularizer: c.activity_regularizer,
      depthwiseConstraint: c.depthwise_constraint,
      pointwiseConstraint: c.pointwise_constraint,
      biasConstraint: c.bias_constraint
    }),
    (s, dialect) => ({
      depth_multiplier: s.depthMultiplier,
      filters: s.filters,
      kernel_size: [...s.kernelSize],
      strides: [...s.strides],
      padding: s.padding,
      data_format: s.dataFormat,
      dilation_rate: [...s.dilationRate],
      ...encodeWeightArguments(
        s,
        [
          { prefix: 'depthwise', initializer: s.depthwiseInitializer, regularizer: s.depthwiseRegularizer, constraint: s.depthwiseConstraint },
          { prefix: 'pointwise', initializer: s.pointwiseInitializer, regularizer: s.pointwiseRegularizer, constraint: s.pointwiseConstraint }
        ],
        dialect
      )
    }),
    {
      explained: explainedFor(
        m,
        o.dialect,
        o.dialect === 'keras3'
          ? Object.fromEntries(['kernel_initializer', 'kernel_regularizer', 'kernel_constraint'].map((k) => [k, NOT_KERAS3(m, k)]))
          : {}
      ),
      rules: stridesDilationRule(m, o.dialect) as never
    }
  )(o)

/**
 * TensorFlow.js's spelling (DepthwiseConv2D, the only depthwise layer tfjs has): tfjs-layers' (4.22) `DepthwiseConv2D.getConfig` writes
 * `depthwise_constraint: serializeConstraint(this.depthwiseRegularizer)`, so every tfjs-written
 * DepthwiseConv2D with a `depthwise_regularizer` holds a copy of it (`{"class_name": "L1L2", …}`) as
 * its constraint, and never the constraint it was built with. Keras would reject a regularizer as a
 * constraint; tfjs reads its own file back (the copy deserializes as a regularizer object). In a
 * keras2 file, a `depthwise_constraint` that is a regularizer of the same class and penalties as
 * `depthwise_regularizer` is that copy, and decodes as no constraint (which the file never recorded);
 * any other regularizer there is still an unknown constraint. Constraints play no part at inference.
 */
const isTfjsRegularizerCopy = (config: Readonly<Record<string, unknown>>): boolean => {
  const constraint = config['depthwise_constraint']
  const regularizer = config['depthwise_regularizer']
  if (!isPlainObject(constraint) || !isPlainObject(regularizer) || constraint['class_name'] !== regularizer['class_name']) return false
  const asRegularizer = regularizerCodec('keras2')
  const a = asRegularizer.decode(constraint)
  const b = asRegularizer.decode(regularizer)
  return E.isRight(a) && E.isRight(b) && a.right !== null && b.right !== null && a.right.l1 === b.right.l1 && a.right.l2 === b.right.l2
}

/** {@link depthwiseCodecOf}, reading tfjs's copied regularizer ({@link isTfjsRegularizerCopy}) in keras2 files. */
const depthwiseCodec = (m: ConvMember, o: LayerCodecOptions): t.Type<DepthwiseConvSpec, Record<string, unknown>, unknown> => {
  const inner = depthwiseCodecOf(m, o)
  if (o.dialect !== 'keras2') return inner
  return new t.Type<DepthwiseConvSpec, Record<string, unknown>, unknown>(
    inner.name,
    inner.is,
    (u, c) => inner.validate(isPlainObject(u) && isTfjsRegularizerCopy(u) ? { ...u, depthwise_constraint: null } : u, c),
    (s) => inner.encode(s)
  )
}

/** DepthwiseConv1D / DepthwiseConv2D. */
const depthwiseCodecOf = (m: ConvMember, o: LayerCodecOptions) =>
  layerCodec<DepthwiseConvSpec>(m.className as DepthwiseConvSpec['className'])(
    () => ({
      ...windowFields(m, o),
      depth_multiplier: optional(PositiveInt, 1 as PositiveInt),
      ...(o.dialect === 'keras2' ? { groups: optional(inheritedGroups(m), 1 as const) } : {}),
      ...outputFields(o.dialect),
      ...kernelFields('depthwise', o.dialect)
    }),
    (c) => ({
      rank: m.rank,
      kind: 'depthwise' as const,
      depthMultiplier: c.depth_multiplier,
      kernelSize: c.kernel_size,
      strides: c.strides,
      padding: c.padding,
      dataFormat: c.data_format,
      dilationRate: c.dilation_rate,
      activation: c.activation,
      useBias: c.use_bias,
      depthwiseInitializer: c.depthwise_initializer,
      biasInitializer: c.bias_initializer,
      depthwiseRegularizer: c.depthwise_regularizer,
      biasRegularizer: c.bias_regularizer,
      activityRegularizer: c.activity_regularizer,
      depthwiseConstraint: c.depthwise_constraint,
      biasConstraint: c.bias_constraint
    }),
    (s, dialect) => ({
      depth_multiplier: s.depthMultiplier,
      kernel_size: [...s.kernelSize],
      strides: [...s.strides],
      padding: s.padding,
      data_format: s.dataFormat,
      dilation_rate: [...s.dilationRate],
      ...(dialect === 'keras2' ? { groups: 1 } : {}),
      ...encodeWeightArguments(s, [{ prefix: 'depthwise', initializer: s.depthwiseInitializer, regularizer: s.depthwiseRegularizer, constraint: s.depthwiseConstraint }], dialect)
    }),
    {
      explained: explainedFor(m, o.dialect, {
        filters: `${m.className} has no "filters" argument: its output has input channels × depth_multiplier channels; set depth_multiplier`,
        kernel_initializer: `${m.className} has no "kernel_initializer" argument; its kernel argument is "depthwise_initializer"`,
        kernel_regularizer: `${m.className} has no "kernel_regularizer" argument; its kernel argument is "depthwise_regularizer"`,
        kernel_constraint: `${m.className} has no "kernel_constraint" argument; its kernel argument is "depthwise_constraint"`
      }),
      rules: stridesDilationRule(m, o.dialect) as never
    }
  )(o)

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

/**
 * The codec of a family member's `config` dict (what a model's layer list holds), for a dialect:
 * decodes to a deep-frozen {@link ConvFamilySpec} with every error at its path, and encodes a spec
 * back in its dialect (Keras's key order); `decode(encode(s))` deep-equals `s`.
 * @category codecs
 */
export const convFamilyCodec = (m: ConvMember) => (o: LayerCodecOptions): t.Type<ConvFamilySpec, Record<string, unknown>, unknown> => {
  switch (m.kind) {
    case 'conv':
      return convCodec(m, o) as t.Type<ConvFamilySpec, Record<string, unknown>, unknown>
    case 'transpose':
      return transposeCodec(m, o) as t.Type<ConvFamilySpec, Record<string, unknown>, unknown>
    case 'separable':
      return separableCodec(m, o) as t.Type<ConvFamilySpec, Record<string, unknown>, unknown>
    case 'depthwise':
      return depthwiseCodec(m, o) as t.Type<ConvFamilySpec, Record<string, unknown>, unknown>
  }
}
