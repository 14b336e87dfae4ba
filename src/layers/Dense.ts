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
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { Dialect } from '../codec/Dialect.js'
import { applyActivation } from '../numerics/activations.js'
import { allocate } from '../numerics/FloatArray.js'
import { bookkeepingFields, bookkeepingRules, bookkeepingSpec, encodeBookkeeping, KERAS3_BATCH_KEYS, type BaseLayerSpec } from './base.js'
import { encodeKernelLayer, kernelLayerFields, kernelLayerRules, kernelLayerSpec, type KernelLayerSpec } from './kernelLayer.js'
import { loraMerger, loraWeights } from './lora.js'
import { initializerProblem } from '../numerics/initializers.js'
import type { LayerKind, WeightSpec } from './LayerKind.js'
import { knownDim, singleInput } from './shapes.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized Dense layer.
 * @category model
 */
export interface DenseSpec extends BaseLayerSpec, KernelLayerSpec {
  readonly className: 'Dense'
  readonly units: PositiveInt
  readonly activityRegularizer: KernelLayerSpec['activityRegularizer']
  /** Keras 3 LoRA rank (`lora_rank`), `null` when LoRA is off. */
  readonly loraRank: PositiveInt | null
  /**
   * The LoRA scale numerator: Keras 3.15's Dense always uses the rank (its `build` calls
   * `enable_lora(rank)`, which resets `lora_alpha` to the rank, and writes that back), so it is the rank
   * whatever the config says; `null` when LoRA is off.
   */
  readonly loraAlpha: number | null
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

/**
 * Keras 3's `quantization_config` (Keras 3.15 writes it): only `null` (an unquantized layer) is supported. Keras accepts
 * any value here and reads it only when the layer is quantized; layerspec refuses anything else.
 */
const NoQuantization = new t.Type<null, null, unknown>(
  'null',
  (u): u is null => u === null,
  (u, c) =>
    u === null
      ? t.success(null)
      : t.failure(
          u,
          c,
          `expected null (a Dense layer that is not quantized), found ${describe(u)}: quantized Dense layers (int8, int4, float8, GPTQ, AWQ kernels and their scales) are not supported by layerspec`
        ),
  (a) => a
)

const fields = (dialect: Dialect) =>
  ({
    ...bookkeepingFields(dialect, null),
    units: required(PositiveInt),
    ...kernelLayerFields(dialect),
    // Keras 3 only: tf.keras 2.x's Dense raises on the keyword (explained below).
    ...(dialect === 'keras3' ? { quantization_config: optional(NoQuantization, null) } : {})
  }) as const

type DenseConfig = DecodedOf<ReturnType<typeof fields>>

const codec = (dialect: Dialect): t.Type<DenseSpec, Record<string, unknown>, unknown> => {
  const f = fields(dialect)
  const config = kerasObject('Dense', f, {
    explained: dialect === 'keras3' ? KERAS3_BATCH_KEYS : { quantization_config: 'quantization_config is a Keras 3 Dense argument; tf.keras 2.x (this config\'s dialect, keras2) has none and raises on it' },
    rules: [...bookkeepingRules<DenseConfig>(dialect), ...kernelLayerRules<DenseConfig>(dialect)]
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
            ...kernelLayerSpec(d),
            loraRank: d.lora_rank,
            loraAlpha: d.lora_rank
          })
        )
      ),
    (s) => ({
      ...encodeBookkeeping(s, s.dialect, s.dialect === 'keras2' ? 'batch_input_shape' : 'input_shape'),
      units: s.units,
      ...encodeKernelLayer(s, s.dialect),
      // (quantization_config, always null here, is not written: older Keras 3 releases do not know it)
      ...(s.loraRank === null ? {} : { lora_rank: s.loraRank, lora_alpha: s.loraAlpha })
    })
  )
}

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

/** Dense's weights: kernel `[in, units]` (frozen under LoRA), bias, then LoRA's `lora_kernel_a`, `lora_kernel_b`. */
const weightsOf = (spec: DenseSpec, inputDim: number): ReadonlyArray<WeightSpec> => [
  { name: 'kernel', shape: [inputDim, spec.units], trainable: spec.loraRank === null, initializer: spec.kernelInitializer },
  ...(spec.useBias ? [{ name: 'bias', shape: [spec.units], trainable: true, initializer: spec.biasInitializer }] : []),
  ...(spec.loraRank === null ? [] : loraWeights([inputDim, spec.units], spec.loraRank))
]

/** Problems of the kernel and bias initializers with their shapes (Keras raises when it builds the layer). */
const initializerProblems = (weights: ReadonlyArray<WeightSpec>): ReadonlyArray<SpecError> =>
  weights.slice(0, 2).flatMap((w) => {
    const problem = initializerProblem(w.initializer, [...w.shape])
    return problem === undefined ? [] : [specError(w.name === 'kernel' ? 'kernel_initializer' : 'bias_initializer', problem)]
  })

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
              E.chain((inputDim) => {
                const weights = weightsOf(spec, inputDim)
                const problems = initializerProblems(weights)
                return problems.length > 0 ? E.left(problems) : E.right({ outputShape: [...input.slice(0, -1), spec.units], weights })
              })
            )
      )
    ),
  compile: (spec, inputs, options) => {
    const shape = inputs[0] ?? []
    const inputDim = shape[shape.length - 1]
    if (inputDim === undefined) return E.left([specError('', 'Dense expects an input of rank ≥ 2 (batch axis included)')])
    const units = spec.units
    const outputShape = [...shape.slice(0, -1), units]
    const weights = weightsOf(spec, inputDim)
    const problems = initializerProblems(weights)
    if (problems.length > 0) return E.left(problems)
    const merge = spec.loraRank === null ? undefined : loraMerger({ rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }, options.dtype)
    const loraAt = spec.useBias ? 2 : 1
    return E.right({
      outputShape,
      weights,
      forward: (weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const x = (xs[0] as Tensor).data
        const kernel = (weights[0] as Tensor).data
        const w = merge === undefined ? kernel : merge(kernel, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data)
        const b = spec.useBias ? weights[1]?.data : undefined
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
