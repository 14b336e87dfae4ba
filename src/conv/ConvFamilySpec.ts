/**
 * The convolution family as data: which Keras classes are members (rank, kind, aliases) and the
 * normalized spec of each kind — forward (Conv1D, Conv3D), transposed (Conv1D/2D/3DTranspose),
 * separable (SeparableConv1D/2D) and depthwise (DepthwiseConv1D) convolutions. Every "int or tuple"
 * argument is a tuple of `rank` positive integers in spatial order (steps; rows, cols; depth, rows,
 * cols); every default is filled; both dialects decode to the same spec (semantics:
 * `keras-conv-family-reference.md`, "family §n").
 *
 * Conv2D is the family's rank-2 forward member; it keeps its own spec type (`Conv2DSpec`, whose fields
 * are `ConvNdSpec`'s at rank 2, as pairs) and codec (it also reads whole layer entries, standalone).
 * DepthwiseConv2D is the rank-2 `DepthwiseConvSpec` (`DepthwiseConv2DSpec`), decoded by the same codec
 * as DepthwiseConv1D.
 */
import type { Tuple } from '../core/Pair.js'
import type { PositiveInt } from '../core/PositiveInt.js'
import type { Activation } from '../codec/Activation.js'
import type { Constraint } from '../codec/Constraint.js'
import type { Initializer } from '../codec/Initializer.js'
import type { Regularizer } from '../codec/Regularizer.js'
import type { ConvPadding } from '../geometry/Axis.js'
import type { ConvDataFormat, ConvRank } from '../geometry/ConvNdGeometry.js'
import type { KernelLayerSpec } from '../layers/kernelLayer.js'
import type { BaseLayerSpec } from '../layers/base.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The kinds of family member with a spec here (pooling and resampling layers live in src/layers/spatial/). */
export type ConvFamilyKind = 'conv' | 'transpose' | 'separable' | 'depthwise'

/**
 * One Keras class of the family: its canonical name, spatial rank, kind and the aliases Keras
 * registers it under (K3 `@keras_export`, family §1).
 * @category model
 */
export interface ConvMember {
  /** A {@link ConvFamilyClass}, or `Conv2D` ({@link CONV2D_MEMBER}: its own spec type, `Conv2DSpec`). */
  readonly className: ConvFamilyClass | 'Conv2D'
  readonly rank: ConvRank
  readonly kind: ConvFamilyKind
  readonly aliases: ReadonlyArray<string>
}

/** The class names with a {@link ConvFamilySpec}. */
export type ConvFamilyClass =
  | 'Conv1D'
  | 'Conv3D'
  | 'Conv1DTranspose'
  | 'Conv2DTranspose'
  | 'Conv3DTranspose'
  | 'SeparableConv1D'
  | 'SeparableConv2D'
  | 'DepthwiseConv1D'
  | 'DepthwiseConv2D'

/**
 * The members with a spec here, in the reference's order.
 * @category model
 */
export const CONV_MEMBERS: ReadonlyArray<ConvMember> = [
  { className: 'Conv1D', rank: 1, kind: 'conv', aliases: ['Convolution1D'] },
  { className: 'Conv3D', rank: 3, kind: 'conv', aliases: ['Convolution3D'] },
  { className: 'Conv1DTranspose', rank: 1, kind: 'transpose', aliases: ['Convolution1DTranspose'] },
  { className: 'Conv2DTranspose', rank: 2, kind: 'transpose', aliases: ['Convolution2DTranspose'] },
  { className: 'Conv3DTranspose', rank: 3, kind: 'transpose', aliases: ['Convolution3DTranspose'] },
  { className: 'SeparableConv1D', rank: 1, kind: 'separable', aliases: ['SeparableConvolution1D'] },
  { className: 'SeparableConv2D', rank: 2, kind: 'separable', aliases: ['SeparableConvolution2D'] },
  { className: 'DepthwiseConv1D', rank: 1, kind: 'depthwise', aliases: [] },
  { className: 'DepthwiseConv2D', rank: 2, kind: 'depthwise', aliases: [] }
]

/**
 * Conv2D as a member: the rank-2 forward convolution, whose config Conv2D's codec decodes with the
 * family's forward-convolution fields and rules (`Conv2DSpec` is `ConvNdSpec`'s fields at rank 2).
 * @category model
 */
export const CONV2D_MEMBER: ConvMember = { className: 'Conv2D', rank: 2, kind: 'conv', aliases: ['Convolution2D'] }

/**
 * What every member's spec has: the window (kernel size, strides, padding, dilation, data format)
 * and the output's bias and activation.
 * @category model
 */
export interface ConvFamilyBase extends BaseLayerSpec {
  readonly className: ConvFamilyClass
  readonly rank: ConvRank
  readonly kind: ConvFamilyKind
  /** `rank` entries, spatial order. */
  readonly kernelSize: Tuple
  readonly strides: Tuple
  /** `causal` only for Conv1D (and tf.keras 2.x SeparableConv1D). */
  readonly padding: ConvPadding
  /** channels_last: NWC / NHWC / NDHWC; channels_first: NCW / NCHW / NCDHW. */
  readonly dataFormat: ConvDataFormat
  readonly dilationRate: Tuple
  readonly activation: Activation
  readonly useBias: boolean
  readonly biasInitializer: Initializer
  readonly biasRegularizer: Regularizer | null
  readonly activityRegularizer: Regularizer | null
  readonly biasConstraint: Constraint | null
}

/**
 * Conv1D / Conv3D: the grouped forward convolution (Conv2D's arguments at rank 1 or 3). Kernel
 * `[...k, C/G, F]`.
 * @category model
 */
export interface ConvNdSpec extends ConvFamilyBase, KernelLayerSpec {
  readonly className: 'Conv1D' | 'Conv3D'
  readonly kind: 'conv'
  readonly activityRegularizer: Regularizer | null
  /** F. */
  readonly filters: PositiveInt
  /** G; `filters` is divisible by it. */
  readonly groups: PositiveInt
  /** Keras 3 LoRA rank (`lora_rank`), `null` when off. */
  readonly loraRank: PositiveInt | null
  /** Keras 3 LoRA scale numerator (the rank when the config omits it), `null` when off. */
  readonly loraAlpha: number | null
}

/**
 * Conv1DTranspose / Conv2DTranspose / Conv3DTranspose. Kernel `[...k, F, C]` (output channels
 * first, family §6).
 * @category model
 */
export interface ConvTransposeSpec extends ConvFamilyBase, KernelLayerSpec {
  readonly className: 'Conv1DTranspose' | 'Conv2DTranspose' | 'Conv3DTranspose'
  readonly kind: 'transpose'
  readonly activityRegularizer: Regularizer | null
  readonly filters: PositiveInt
  /** Keras's `output_padding` (`null` = None), each entry `< strides` (family §5). */
  readonly outputPadding: ReadonlyArray<number> | null
}

/**
 * SeparableConv1D / SeparableConv2D: a depthwise convolution (multiplier M, the window arguments)
 * then a pointwise one to F filters, bias and activation after (family §7). Kernels
 * `depthwise_kernel [...k, C, M]`, `pointwise_kernel [...1, C·M, F]`.
 * @category model
 */
export interface SeparableConvSpec extends ConvFamilyBase {
  readonly className: 'SeparableConv1D' | 'SeparableConv2D'
  readonly kind: 'separable'
  readonly filters: PositiveInt
  readonly depthMultiplier: PositiveInt
  readonly depthwiseInitializer: Initializer
  readonly pointwiseInitializer: Initializer
  readonly depthwiseRegularizer: Regularizer | null
  readonly pointwiseRegularizer: Regularizer | null
  readonly depthwiseConstraint: Constraint | null
  readonly pointwiseConstraint: Constraint | null
}

/**
 * DepthwiseConv1D / DepthwiseConv2D: each input channel convolved with its own M filters; output
 * channel `c·M + m`. Kernel `[...k, C, M]` (named `kernel` by Keras 3, `depthwise_kernel` by tf.keras 2.x
 * and TensorFlow.js).
 * @category model
 */
export interface DepthwiseConvSpec extends ConvFamilyBase {
  readonly className: 'DepthwiseConv1D' | 'DepthwiseConv2D'
  readonly kind: 'depthwise'
  readonly depthMultiplier: PositiveInt
  readonly depthwiseInitializer: Initializer
  readonly depthwiseRegularizer: Regularizer | null
  readonly depthwiseConstraint: Constraint | null
}

/**
 * A normalized member of the convolution family (discriminated by `kind`, and by `className`).
 * @category model
 */
export type ConvFamilySpec = ConvNdSpec | ConvTransposeSpec | SeparableConvSpec | DepthwiseConvSpec
