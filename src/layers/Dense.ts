/**
 * Dense: `y = activation(x · kernel + bias)` over the last axis (kernel `[in, units]`), any input rank ≥ 2.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { deepFreeze } from '../core/deepFreeze.js'
import { describe } from '../core/describe.js'
import { kerasObject, optional, required, type DecodedOf } from '../core/KerasObject.js'
import { PositiveInt } from '../core/PositiveInt.js'
import { Bool, FiniteNumber, nullOr } from '../core/primitives.js'
import { specError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { activationCodec, type Activation } from '../codec/Activation.js'
import { constraintCodec, type Constraint } from '../codec/Constraint.js'
import type { Dialect } from '../codec/Dialect.js'
import { glorotUniform, initializerCodec, zeros, type Initializer } from '../codec/Initializer.js'
import { regularizerCodec, type Regularizer } from '../codec/Regularizer.js'
import { applyActivation } from '../numerics/activations.js'
import { allocate } from '../numerics/FloatArray.js'
import { bookkeepingFields, bookkeepingRules, bookkeepingSpec, encodeBookkeeping, type BaseLayerSpec } from './base.js'
import type { LayerKind, WeightSpec } from './LayerKind.js'
import { knownDim, singleInput } from './shapes.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized Dense layer.
 * @category model
 */
export interface DenseSpec extends BaseLayerSpec {
  readonly className: 'Dense'
  readonly units: PositiveInt
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
// codec
// -------------------------------------------------------------------------------------

/** Keras 3's `quantization_config`: only `null` (an unquantized layer) is supported. */
const NoQuantization = new t.Type<null, null, unknown>(
  'null',
  (u): u is null => u === null,
  (u, c) => (u === null ? t.success(null) : t.failure(u, c, `expected null (quantized Dense layers are not supported), found ${describe(u)}`)),
  (a) => a
)

const fields = (dialect: Dialect) =>
  ({
    ...bookkeepingFields(dialect, null),
    units: required(PositiveInt),
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
    lora_alpha: optional(nullOr(FiniteNumber), null),
    quantization_config: optional(NoQuantization, null)
  }) as const

type DenseConfig = DecodedOf<ReturnType<typeof fields>>

const LORA = 'LoRA-enabled Dense layers carry extra lora_kernel_a/lora_kernel_b weights that layerspec does not run; merge them into the kernel and save without lora_rank'

const codec = (dialect: Dialect): t.Type<DenseSpec, Record<string, unknown>, unknown> => {
  const f = fields(dialect)
  const config = kerasObject('Dense', f, {
    rules: [
      ...bookkeepingRules<DenseConfig>(),
      { keys: ['lora_rank'], check: (c) => (c.lora_rank === null ? undefined : { key: 'lora_rank', message: LORA }) }
    ]
  })
  return new t.Type<DenseSpec, Record<string, unknown>, unknown>(
    'a Dense config',
    (u): u is DenseSpec => typeof u === 'object' && u !== null && (u as { className?: unknown }).className === 'Dense',
    (u, c) =>
      pipe(
        config.validate(u, c),
        E.map((d) =>
          deepFreeze<DenseSpec>({
            className: 'Dense',
            ...bookkeepingSpec(dialect, d),
            units: d.units,
            activation: d.activation,
            useBias: d.use_bias,
            kernelInitializer: d.kernel_initializer,
            biasInitializer: d.bias_initializer,
            kernelRegularizer: d.kernel_regularizer,
            biasRegularizer: d.bias_regularizer,
            activityRegularizer: d.activity_regularizer,
            kernelConstraint: d.kernel_constraint,
            biasConstraint: d.bias_constraint
          })
        )
      ),
    (s) => {
      const g = fields(s.dialect)
      return {
        ...encodeBookkeeping(s, s.dialect, s.dialect === 'keras2' ? 'batch_input_shape' : 'input_shape'),
        units: s.units,
        activation: g.activation.codec.encode(s.activation),
        use_bias: s.useBias,
        kernel_initializer: g.kernel_initializer.codec.encode(s.kernelInitializer),
        bias_initializer: g.bias_initializer.codec.encode(s.biasInitializer),
        kernel_regularizer: g.kernel_regularizer.codec.encode(s.kernelRegularizer),
        bias_regularizer: g.bias_regularizer.codec.encode(s.biasRegularizer),
        activity_regularizer: g.activity_regularizer.codec.encode(s.activityRegularizer),
        kernel_constraint: g.kernel_constraint.codec.encode(s.kernelConstraint),
        bias_constraint: g.bias_constraint.codec.encode(s.biasConstraint)
      }
    }
  )
}

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

const weightsOf = (spec: DenseSpec, inputDim: number): ReadonlyArray<WeightSpec> => [
  { name: 'kernel', shape: [inputDim, spec.units], trainable: true, initializer: spec.kernelInitializer },
  ...(spec.useBias ? [{ name: 'bias', shape: [spec.units], trainable: true, initializer: spec.biasInitializer }] : [])
]

/**
 * Dense.
 * @category layers
 */
export const DenseKind: LayerKind<DenseSpec> = {
  className: 'Dense',
  aliases: [],
  arity: 'single',
  codec: (options) => codec(options.dialect),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Dense', inputs),
      E.chain((input) =>
        input.length < 2
          ? E.left([specError('', `Dense expects an input of rank ≥ 2 (batch axis included), found rank ${input.length}`)])
          : pipe(
              knownDim('Dense', input, -1, 'last dimension'),
              E.map((inputDim) => ({ outputShape: [...input.slice(0, -1), spec.units], weights: weightsOf(spec, inputDim) }))
            )
      )
    ),
  compile: (spec, inputs, options) => {
    const shape = inputs[0] ?? []
    const inputDim = shape[shape.length - 1]
    if (inputDim === undefined) return E.left([specError('', 'Dense expects an input of rank ≥ 2 (batch axis included)')])
    const units = spec.units
    const outputShape = [...shape.slice(0, -1), units]
    return E.right({
      outputShape,
      weights: weightsOf(spec, inputDim),
      forward: (weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const x = (xs[0] as Tensor).data
        const w = (weights[0] as Tensor).data
        const b = weights[1]?.data
        const rows = x.length / inputDim
        const out = allocate(options.dtype, rows * units)
        const acc = new Float64Array(units)
        for (let r = 0; r < rows; r++) {
          if (b === undefined) acc.fill(0)
          else for (let u = 0; u < units; u++) acc[u] = b[u]!
          const xr = r * inputDim
          for (let i = 0; i < inputDim; i++) {
            const v = x[xr + i]!
            const wi = i * units
            for (let u = 0; u < units; u++) acc[u]! += v * w[wi + u]!
          }
          out.set(acc, r * units)
        }
        applyActivation(spec.activation, spec.dialect, out, units)
        return { shape: [(xs[0] as Tensor).shape[0] as number, ...outputShape], data: out }
      }
    })
  }
}
