/**
 * The Conv2D layer kind: the model's view of `decodeConv2D` / `compileConv2D`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { specError, type SpecError } from '../core/SpecError.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { conv2DConfigCodec } from './conv2DCodec.js'
import type { Conv2DSpec } from './Conv2DSpec.js'
import { inferOutputShape } from '../geometry/ConvGeometry.js'
import { effectiveKernel } from '../geometry/Padding.js'
import { compileConv2D } from './compileConv2D.js'
import type { LayerKind, WeightSpec } from '../layers/LayerKind.js'
import { knownDim, singleInput } from '../layers/shapes.js'
import { loraMerger, loraWeights } from '../layers/lora.js'
import type { Tensor } from '../core/Tensor.js'

/**
 * Conv2D's weights for `channels` input channels: HWIO kernel (frozen under LoRA), bias, then Keras 3
 * LoRA's `lora_kernel_a` `[kh, kw, C/groups, rank]` and `lora_kernel_b` `[rank, filters]`.
 */
export const conv2DWeights = (spec: Conv2DSpec, channels: number): ReadonlyArray<WeightSpec> => {
  const kernelShape = [spec.kernelSize[0], spec.kernelSize[1], channels / spec.groups, spec.filters]
  return [
    { name: 'kernel', shape: kernelShape, trainable: spec.loraRank === null, initializer: spec.kernelInitializer },
    ...(spec.useBias ? [{ name: 'bias', shape: [spec.filters], trainable: true, initializer: spec.biasInitializer }] : []),
    ...(spec.loraRank === null ? [] : loraWeights(kernelShape, spec.loraRank))
  ]
}

/**
 * Checks a Conv2D's (possibly partial) input shape, batch axis included: rank 4, known channels
 * divisible by groups, and no `valid` window larger than a known spatial size.
 * @category utils
 */
export const checkConvInput = (
  className: string,
  spec: Pick<Conv2DSpec, 'dataFormat' | 'groups' | 'kernelSize' | 'dilationRate' | 'padding'>,
  inputs: ReadonlyArray<SymbolicShape>
): E.Either<ReadonlyArray<SpecError>, { readonly input: SymbolicShape; readonly channels: number }> =>
  pipe(
    singleInput(className, inputs, 4),
    E.chain((input) =>
      pipe(
        knownDim(className, input, spec.dataFormat === 'channels_first' ? 1 : 3, 'channel dimension'),
        E.chain((channels) => {
          const errors: SpecError[] = []
          if (channels % spec.groups !== 0) {
            errors.push(specError('groups', `expected the input channel count to be divisible by groups ${spec.groups}, found ${channels} channels (input ${showShape(input)})`))
          }
          if (spec.padding === 'valid') {
            const axes = spec.dataFormat === 'channels_first' ? [2, 3] : [1, 2]
            axes.forEach((axis, i) => {
              const length = input[axis]
              const keff = effectiveKernel(spec.kernelSize[i] as number, spec.dilationRate[i] as number)
              if (length !== null && length !== undefined && length < keff) {
                errors.push(
                  specError(
                    'kernel_size',
                    `the input ${i === 0 ? 'rows' : 'cols'} ${length} are fewer than the effective kernel size ${keff} (kernel_size, dilation_rate) with padding "valid", which would give an empty output (input ${showShape(input)})`
                  )
                )
              }
            })
          }
          return errors.length > 0 ? E.left(errors) : E.right({ input, channels })
        })
      )
    )
  )

/**
 * Conv2D (alias Convolution2D).
 * @category layers
 */
export const Conv2DKind: LayerKind<Conv2DSpec> = {
  className: 'Conv2D',
  aliases: ['Convolution2D'],
  arity: 'single',
  codec: (options) => conv2DConfigCodec(options),
  infer: (spec, inputs) =>
    pipe(
      checkConvInput('Conv2D', spec, inputs),
      E.map(({ input, channels }) => ({
        outputShape: [input[0] ?? null, ...inferOutputShape(spec, [input[1] ?? null, input[2] ?? null, input[3] ?? null])],
        weights: conv2DWeights(spec, channels)
      }))
    ),
  compile: (spec, inputs, options) =>
    pipe(
      // LoRA is merged into the kernel here, so the convolution itself runs without it.
      compileConv2D({ ...spec, dtype: options.dtype, inputShape: null, loraRank: null, loraAlpha: null }, inputs[0] ?? []),
      E.map((layer) => {
        const merge = spec.loraRank === null ? undefined : loraMerger({ rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }, options.dtype)
        const loraAt = spec.useBias ? 2 : 1
        return {
          outputShape: layer.outputShape,
          weights: conv2DWeights(spec, layer.geometry.inChannels),
          forward: (weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>) => {
            const kernel = weights[0] as Tensor
            const bias = spec.useBias ? weights[1] : undefined
            const merged: Tensor =
              merge === undefined ? kernel : { shape: kernel.shape, data: merge(kernel.data, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data) }
            return layer.forward(bias === undefined ? { kernel: merged } : { kernel: merged, bias }, xs[0] as Tensor)
          }
        }
      })
    )
}
