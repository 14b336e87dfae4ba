/**
 * The arguments Keras's kernel layers (Conv2D, Dense) share: activation, bias flag, and the kernel and
 * bias initializers, regularizers and constraints — decoded, normalized and encoded in one place.
 */
import { optional, type DecodedOf, type Rule } from '../core/KerasObject.js'
import { PositiveInt } from '../core/PositiveInt.js'
import { Bool, FiniteNumber, nullOr } from '../core/primitives.js'
import { activationCodec, type Activation } from '../codec/Activation.js'
import { constraintCodec, type Constraint } from '../codec/Constraint.js'
import type { Dialect } from '../codec/Dialect.js'
import { glorotUniform, initializerCodec, zeros, type Initializer } from '../codec/Initializer.js'
import { regularizerCodec, type Regularizer } from '../codec/Regularizer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The normalized shared arguments of a kernel layer.
 * @category model
 */
export interface KernelLayerSpec {
  readonly activation: Activation
  readonly useBias: boolean
  readonly kernelInitializer: Initializer
  readonly biasInitializer: Initializer
  readonly kernelRegularizer: Regularizer | null
  readonly biasRegularizer: Regularizer | null
  readonly activityRegularizer: Regularizer | null
  readonly kernelConstraint: Constraint | null
  readonly biasConstraint: Constraint | null
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

/**
 * The shared fields with Keras's defaults (`glorot_uniform` kernel, `zeros` bias, no regularizers or
 * constraints), plus Keras 3's `lora_rank` / `lora_alpha`, which each layer handles itself.
 * @category codecs
 */
export const kernelLayerFields = (dialect: Dialect) =>
  ({
    activation: optional(activationCodec(dialect), 'linear'),
    use_bias: optional(Bool, true),
    kernel_initializer: optional(initializerCodec(dialect), glorotUniform()),
    bias_initializer: optional(initializerCodec(dialect), zeros),
    kernel_regularizer: optional(regularizerCodec(dialect), null),
    bias_regularizer: optional(regularizerCodec(dialect), null),
    activity_regularizer: optional(regularizerCodec(dialect), null),
    kernel_constraint: optional(constraintCodec(dialect), null),
    bias_constraint: optional(constraintCodec(dialect), null),
    lora_rank: optional(nullOr(PositiveInt), null),
    lora_alpha: optional(nullOr(FiniteNumber), null)
  }) as const

/** The decoded shared fields. */
export type KernelLayerConfig = DecodedOf<ReturnType<typeof kernelLayerFields>>

/**
 * Rules of the shared fields: LoRA (`lora_rank`, `lora_alpha`) exists only in Keras 3 (tf.keras 2.x
 * raises on the keyword), and Keras 3 refuses it together with a kernel constraint ("Lora is
 * incompatible with kernel constraints", when it builds the layer).
 * @category codecs
 */
export const kernelLayerRules = <C extends KernelLayerConfig>(dialect: Dialect): ReadonlyArray<Rule<C>> =>
  dialect === 'keras2'
    ? [
        {
          keys: ['lora_rank', 'lora_alpha'],
          check: (c) =>
            c.lora_rank !== null || c.lora_alpha !== null
              ? { key: c.lora_rank !== null ? 'lora_rank' : 'lora_alpha', message: 'LoRA (lora_rank, lora_alpha) is a Keras 3 argument; tf.keras 2.x (this config\'s dialect, keras2) has none and raises on it' }
              : undefined
        }
      ]
    : [
        {
          keys: ['lora_rank', 'kernel_constraint'],
          check: (c) =>
            c.lora_rank !== null && c.kernel_constraint !== null
              ? { key: 'lora_rank', message: 'LoRA is incompatible with kernel constraints (Keras 3 raises when it builds the layer); remove kernel_constraint or lora_rank' }
              : undefined
        }
      ]

/**
 * The spec part of the decoded shared fields.
 * @category constructors
 */
export const kernelLayerSpec = (c: KernelLayerConfig): KernelLayerSpec => ({
  activation: c.activation,
  useBias: c.use_bias,
  kernelInitializer: c.kernel_initializer,
  biasInitializer: c.bias_initializer,
  kernelRegularizer: c.kernel_regularizer,
  biasRegularizer: c.bias_regularizer,
  activityRegularizer: c.activity_regularizer,
  kernelConstraint: c.kernel_constraint,
  biasConstraint: c.bias_constraint
})

/**
 * The shared fields as Keras JSON of a dialect, in Keras's key order.
 * @category constructors
 */
export const encodeKernelLayer = (s: KernelLayerSpec, dialect: Dialect): Record<string, unknown> => {
  const f = kernelLayerFields(dialect)
  return {
    activation: f.activation.codec.encode(s.activation),
    use_bias: s.useBias,
    kernel_initializer: f.kernel_initializer.codec.encode(s.kernelInitializer),
    bias_initializer: f.bias_initializer.codec.encode(s.biasInitializer),
    kernel_regularizer: f.kernel_regularizer.codec.encode(s.kernelRegularizer),
    bias_regularizer: f.bias_regularizer.codec.encode(s.biasRegularizer),
    activity_regularizer: f.activity_regularizer.codec.encode(s.activityRegularizer),
    kernel_constraint: f.kernel_constraint.codec.encode(s.kernelConstraint),
    bias_constraint: f.bias_constraint.codec.encode(s.biasConstraint)
  }
}
