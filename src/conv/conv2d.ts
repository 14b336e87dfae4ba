/**
 * `conv2d`: the typed builder for TypeScript callers. It takes Keras's own argument names and forms
 * (so a config copied from Python or a model file type-checks) and goes through exactly the same
 * validation as {@link decodeConv2D}, returning the same `Either`.
 */
import type * as E from 'fp-ts/lib/Either.js'
import type { SpecError } from '../core/SpecError.js'
import type { Activation } from '../codec/Activation.js'
import type { DType } from '../codec/DType.js'
import { decodeConv2D, type DecodeOptions } from './conv2DCodec.js'
import type { Conv2DSpec, DataFormat, Padding } from './Conv2DSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** An int or a `[rows, cols]` pair, as Keras accepts for `kernel_size`, `strides`, `dilation_rate`. */
export type IntOrPairArg = number | readonly [number, number]

/** A serialized Keras object: `{class_name, config}`, optionally with Keras 3's `module` / `registered_name`. */
export interface SerializedObject {
  readonly class_name: string
  readonly config: Readonly<Record<string, unknown>>
  readonly module?: string | null
  readonly registered_name?: string | null
}

/** Initializer names Keras resolves from a string. */
export type InitializerName =
  | 'zeros' | 'zero' | 'ones' | 'one' | 'constant' | 'random_normal' | 'normal' | 'random_uniform' | 'uniform'
  | 'truncated_normal' | 'variance_scaling' | 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal'
  | 'lecun_uniform' | 'lecun_normal' | 'orthogonal' | 'identity'
  | 'Zeros' | 'Ones' | 'Constant' | 'RandomNormal' | 'RandomUniform' | 'TruncatedNormal' | 'VarianceScaling'
  | 'GlorotUniform' | 'GlorotNormal' | 'HeUniform' | 'HeNormal' | 'LecunUniform' | 'LecunNormal' | 'Orthogonal' | 'Identity'

/** Regularizer names Keras resolves from a string (§11.2 meanings). */
export type RegularizerName = 'l1' | 'L1' | 'l2' | 'L2' | 'l1_l2' | 'L1L2' | 'l1l2'

/** Constraint names Keras resolves from a string. */
export type ConstraintName =
  | 'max_norm' | 'maxnorm' | 'non_neg' | 'nonneg' | 'unit_norm' | 'unitnorm' | 'min_max_norm'
  | 'MaxNorm' | 'NonNeg' | 'UnitNorm' | 'MinMaxNorm'

/**
 * Conv2D arguments with Keras's names and accepted forms. Omitted arguments take Keras's defaults.
 * @category model
 */
export interface Conv2DArgs {
  readonly filters: number
  readonly kernel_size: IntOrPairArg
  readonly strides?: IntOrPairArg
  readonly padding?: Padding | Uppercase<Padding> | Capitalize<Padding>
  readonly data_format?: DataFormat | null
  readonly dilation_rate?: IntOrPairArg
  readonly groups?: number
  readonly activation?: Activation | 'swish' | 'hard_swish' | null
  readonly use_bias?: boolean
  readonly kernel_initializer?: InitializerName | SerializedObject | null
  readonly bias_initializer?: InitializerName | SerializedObject | null
  readonly kernel_regularizer?: RegularizerName | SerializedObject | null
  readonly bias_regularizer?: RegularizerName | SerializedObject | null
  readonly activity_regularizer?: RegularizerName | SerializedObject | null
  readonly kernel_constraint?: ConstraintName | SerializedObject | null
  readonly bias_constraint?: ConstraintName | SerializedObject | null
  readonly name?: string
  readonly trainable?: boolean
  readonly dtype?: DType
  /** Input shape without the batch axis, in the data format's order. */
  readonly input_shape?: readonly (number | null)[]
  readonly batch_input_shape?: readonly (number | null)[]
  readonly batch_size?: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Builds a Conv2D spec from Keras-style arguments, with the same validation and errors as
 * {@link decodeConv2D}. The dialect is `keras3` unless `options.dialect` says otherwise.
 * @category constructors
 * @example
 * conv2d({ filters: 32, kernel_size: 3, activation: 'relu', input_shape: [28, 28, 1] })
 */
export const conv2d = (args: Conv2DArgs, options: DecodeOptions = {}): E.Either<ReadonlyArray<SpecError>, Conv2DSpec> =>
  decodeConv2D(args, { ...options, dialect: options.dialect ?? 'keras3' })
