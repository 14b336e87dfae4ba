/**
 * `arbConv2DCase`: everything a Conv2D property needs at once — a raw config, its decoded spec, an
 * input shape it compiles for, params and an input tensor of matching shapes and dtype.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../core/Tensor.js'
import { formatErrors } from '../core/SpecError.js'
import { decodeConv2D } from '../conv/conv2DCodec.js'
import type { Conv2DSpec } from '../conv/Conv2DSpec.js'
import type { Conv2DParams } from '../conv/CompiledConv2D.js'
import { computeGeometry } from '../geometry/ConvGeometry.js'
import type { Json } from './blocks.js'
import { arbConv2DPlan, type Conv2DConfigOptions } from './config.js'
import { arbTensor, type TensorValues } from './tensor.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A complete Conv2D test case. `input` is `[batch, ...inputShape]`; `params.kernel` is HWIO
 * `[kh, kw, C/G, F]`, `params.bias` `[F]` when the spec uses a bias; all of the spec's dtype.
 * @category model
 */
export interface Conv2DCase {
  readonly config: Json
  readonly spec: Conv2DSpec
  readonly inputShape: readonly [number, number, number]
  readonly params: Conv2DParams
  readonly input: Tensor
}

/**
 * Options for {@link arbConv2DCase}.
 * @category model
 */
export interface Conv2DCaseOptions extends Conv2DConfigOptions {
  /** Largest batch (default 2). */
  readonly maxBatch?: number
  /** How input and weight values are drawn (default `floats` in [-1, 1]). */
  readonly values?: TensorValues
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/**
 * Complete Conv2D cases (config, spec, input shape, params, input). Sizes are small so the reference
 * kernel stays fast and counterexamples stay readable.
 * @category arbitraries
 * @example
 * fc.assert(fc.property(arbConv2DCase(), ({ spec, inputShape, params, input }) => {
 *   const layer = compileConv2D(spec, inputShape)
 *   return E.isRight(layer) && layer.right.forward(params, input).shape[0] === input.shape[0]
 * }))
 */
export const arbConv2DCase = (options: Conv2DCaseOptions = {}): fc.Arbitrary<Conv2DCase> =>
  arbConv2DPlan(options).chain((plan) => {
    const decoded = decodeConv2D(plan.config)
    if (E.isLeft(decoded)) throw new Error(`arbConv2DPlan produced an invalid config:\n${formatErrors(decoded.left)}`)
    const spec = decoded.right
    const geometry = computeGeometry(spec, plan.inputShape)
    if (E.isLeft(geometry)) throw new Error(`arbConv2DPlan produced an input shape that does not fit:\n${formatErrors(geometry.left)}`)
    const dtype = spec.dtype === 'float64' ? 'float64' : 'float32'
    const values = options.values ?? 'floats'
    return fc
      .integer({ min: 1, max: options.maxBatch ?? 2 })
      .chain((batch) =>
        fc.record({
          kernel: arbTensor(geometry.right.kernelShape, dtype, values),
          bias: spec.useBias ? arbTensor([spec.filters], dtype, values) : fc.constant(undefined),
          input: arbTensor([batch, ...plan.inputShape], dtype, values)
        })
      )
      .map(({ kernel, bias, input }) => ({
        config: plan.config,
        spec,
        inputShape: plan.inputShape,
        params: bias === undefined ? { kernel } : { kernel, bias },
        input
      }))
  })
