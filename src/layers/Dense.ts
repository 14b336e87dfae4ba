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
import { specError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { Dialect } from '../codec/Dialect.js'
import { applyActivation } from '../numerics/activations.js'
import { allocate } from '../numerics/FloatArray.js'
import { bookkeepingFields, bookkeepingRules, bookkeepingSpec, encodeBookkeeping, type BaseLayerSpec } from './base.js'
import { encodeKernelLayer, kernelLayerFields, kernelLayerSpec, type KernelLayerSpec } from './kernelLayer.js'
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
    ...kernelLayerFields(dialect),
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
            ...kernelLayerSpec(d)
          })
        )
      ),
    (s) => ({
      ...encodeBookkeeping(s, s.dialect, s.dialect === 'keras2' ? 'batch_input_shape' : 'input_shape'),
      units: s.units,
      ...encodeKernelLayer(s, s.dialect)
    })
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
