/**
 * The convolution family's shapes, read from a spec: the geometry arguments of its convolution(s),
 * its weights in Keras's order, and Keras's symbolic shape inference with unknown dims. Lengths come
 * from `Axis.ts` (through `ConvNdGeometry` when compiling); nothing here computes one itself.
 *
 * Weights (family §6), for input channels C:
 * - Conv1D / Conv3D: `kernel [...k, C/G, F]`, `bias [F]`, Keras 3 LoRA's `lora_kernel_a`, `lora_kernel_b`;
 * - transposed: `kernel [...k, F, C]`, `bias [F]`;
 * - separable: `depthwise_kernel [...k, C, M]`, `pointwise_kernel [...1, C·M, F]`, `bias [F]`;
 * - DepthwiseConv1D: `kernel` (Keras 3) / `depthwise_kernel` (tf.keras 2.x) `[k, C, M]`, `bias [C·M]`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { specError, type SpecError } from '../core/SpecError.js'
import { showShape } from '../codec/InputShape.js'
import type { Constraint } from '../codec/Constraint.js'
import type { Initializer } from '../codec/Initializer.js'
import { convAxis, convAxisProblem, transposedAxis, transposedAxisProblem } from '../geometry/Axis.js'
import { spatialAxisNames, type ConvNdParams } from '../geometry/ConvNdGeometry.js'
import type { InferredLayer, SymbolicShape, WeightSpec } from '../layers/LayerKind.js'
import { knownDim, singleInput } from '../layers/shapes.js'
import { loraWeights } from '../layers/lora.js'
import { constraintProblem } from '../numerics/constraints.js'
import { initializerProblem } from '../numerics/initializers.js'
import type { ConvFamilySpec } from './ConvFamilySpec.js'

// -------------------------------------------------------------------------------------
// geometry of a spec
// -------------------------------------------------------------------------------------

/**
 * The geometry arguments of a spec's (first) convolution: the spec's window; a separable layer's
 * depthwise part (its pointwise part is {@link pointwiseParams}).
 * @category utils
 */
export const convParams = (spec: ConvFamilySpec): ConvNdParams => ({
  kind: spec.kind === 'separable' ? 'depthwise' : spec.kind,
  rank: spec.rank,
  dataFormat: spec.dataFormat,
  kernelSize: spec.kernelSize,
  strides: spec.strides,
  dilationRate: spec.dilationRate,
  padding: spec.padding,
  filters: spec.kind === 'conv' || spec.kind === 'transpose' ? spec.filters : 1,
  groups: spec.kind === 'conv' ? spec.groups : 1,
  depthMultiplier: spec.kind === 'separable' || spec.kind === 'depthwise' ? spec.depthMultiplier : 1,
  outputPadding: spec.kind === 'transpose' ? spec.outputPadding : null
})

/**
 * A separable layer's pointwise convolution: `[...1]` kernel, stride 1, `valid`, F filters.
 * @category utils
 */
export const pointwiseParams = (spec: ConvFamilySpec & { readonly kind: 'separable' }): ConvNdParams => {
  const ones = Array.from({ length: spec.rank }, () => 1)
  return {
    kind: 'conv',
    rank: spec.rank,
    dataFormat: spec.dataFormat,
    kernelSize: ones,
    strides: ones,
    dilationRate: ones,
    padding: 'valid',
    filters: spec.filters,
    groups: 1,
    depthMultiplier: 1,
    outputPadding: null
  }
}

// -------------------------------------------------------------------------------------
// weights
// -------------------------------------------------------------------------------------

/**
 * A member's weights for `channels` input channels, in Keras's order (module comment).
 * @category utils
 */
export const convFamilyWeights = (spec: ConvFamilySpec, channels: number): ReadonlyArray<WeightSpec> => {
  const k = [...spec.kernelSize]
  const bias = (n: number): ReadonlyArray<WeightSpec> => (spec.useBias ? [{ name: 'bias', shape: [n], trainable: true, initializer: spec.biasInitializer }] : [])
  switch (spec.kind) {
    case 'conv': {
      const kernelShape = [...k, channels / spec.groups, spec.filters]
      return [
        { name: 'kernel', shape: kernelShape, trainable: spec.loraRank === null, initializer: spec.kernelInitializer },
        ...bias(spec.filters),
        ...(spec.loraRank === null ? [] : loraWeights(kernelShape, spec.loraRank))
      ]
    }
    case 'transpose':
      return [{ name: 'kernel', shape: [...k, spec.filters, channels], trainable: true, initializer: spec.kernelInitializer }, ...bias(spec.filters)]
    case 'separable':
      return [
        { name: 'depthwise_kernel', shape: [...k, channels, spec.depthMultiplier], trainable: true, initializer: spec.depthwiseInitializer },
        { name: 'pointwise_kernel', shape: [...k.map(() => 1), channels * spec.depthMultiplier, spec.filters], trainable: true, initializer: spec.pointwiseInitializer },
        ...bias(spec.filters)
      ]
    case 'depthwise':
      return [
        { name: spec.dialect === 'keras3' ? 'kernel' : 'depthwise_kernel', shape: [...k, channels, spec.depthMultiplier], trainable: true, initializer: spec.depthwiseInitializer },
        ...bias(channels * spec.depthMultiplier)
      ]
  }
}

/** The config paths of each weight's initializer and constraint, with the constraint, in weight order. */
const weightArguments = (spec: ConvFamilySpec): ReadonlyArray<readonly [string, string, Initializer, Constraint | null]> => {
  const bias = spec.useBias ? [['bias_initializer', 'bias_constraint', spec.biasInitializer, spec.biasConstraint] as const] : []
  switch (spec.kind) {
    case 'conv':
    case 'transpose':
      return [['kernel_initializer', 'kernel_constraint', spec.kernelInitializer, spec.kernelConstraint], ...bias]
    case 'separable':
      return [
        ['depthwise_initializer', 'depthwise_constraint', spec.depthwiseInitializer, spec.depthwiseConstraint],
        ['pointwise_initializer', 'pointwise_constraint', spec.pointwiseInitializer, spec.pointwiseConstraint],
        ...bias
      ]
    case 'depthwise':
      return [['depthwise_initializer', 'depthwise_constraint', spec.depthwiseInitializer, spec.depthwiseConstraint], ...bias]
  }
}

/**
 * Problems of the spec's initializers and constraints with the real weight shapes (paths: the config's
 * `*_initializer` / `*_constraint`).
 * @category utils
 */
export const weightProblems = (spec: ConvFamilySpec, weights: ReadonlyArray<WeightSpec>): ReadonlyArray<SpecError> =>
  weightArguments(spec).flatMap(([initPath, constraintPath, init, constraint], i) => {
    const shape = [...(weights[i]?.shape ?? [])]
    const ip = initializerProblem(init, shape)
    const cp = constraint === null ? undefined : constraintProblem(constraint, shape)
    return [...(ip === undefined ? [] : [specError(initPath, ip)]), ...(cp === undefined ? [] : [specError(constraintPath, cp)])]
  })

// -------------------------------------------------------------------------------------
// inference
// -------------------------------------------------------------------------------------

/**
 * Keras's symbolic output shape (batch axis first, unknown dims `null`) and the weights, or every
 * problem: input rank, unknown channels, channels not divisible by groups, a known axis whose output
 * would be ≤ 0 (reported at `kernel_size`, the message naming the axis and the numbers).
 * @category utils
 */
export const inferConvFamily = (spec: ConvFamilySpec, inputs: ReadonlyArray<SymbolicShape>): E.Either<ReadonlyArray<SpecError>, InferredLayer> =>
  pipe(
    singleInput(spec.className, inputs, spec.rank + 2),
    E.chain((input) =>
      pipe(
        knownDim(spec.className, input, spec.dataFormat === 'channels_first' ? 1 : spec.rank + 1, 'channel dimension'),
        E.chain((channels) => {
          const errors: SpecError[] = []
          if (spec.kind === 'conv' && channels % spec.groups !== 0) {
            errors.push(specError('groups', `expected the input channel count to be divisible by groups ${spec.groups}, found ${channels} channels (input ${showShape(input)})`))
          }
          const first = spec.dataFormat === 'channels_first' ? 2 : 1
          const names = spatialAxisNames(spec.rank)
          const spatial = Array.from({ length: spec.rank }, (_, i) => {
            const n = input[first + i] ?? null
            const k = spec.kernelSize[i] as number
            const s = spec.strides[i] as number
            const d = spec.dilationRate[i] as number
            if (n === null) return null
            if (spec.kind === 'transpose') {
              const padding = spec.padding === 'causal' ? 'valid' : spec.padding
              const op = spec.outputPadding === null ? null : (spec.outputPadding[i] as number)
              const problem = transposedAxisProblem(n, k, s, d, padding, op)
              if (problem !== undefined) errors.push(specError('kernel_size', `the ${names[i]} axis of input ${showShape(input)}: ${problem}`))
              return transposedAxis(n, k, s, d, padding, op).out
            }
            const problem = convAxisProblem(n, k, s, d, spec.padding)
            if (problem !== undefined) errors.push(specError('kernel_size', `the ${names[i]} axis of input ${showShape(input)}: ${problem}`))
            return convAxis(n, k, s, d, spec.padding).out
          })
          if (errors.length > 0) return E.left(errors)
          const F = spec.kind === 'depthwise' ? channels * spec.depthMultiplier : spec.filters
          const outputShape = spec.dataFormat === 'channels_first' ? [input[0] ?? null, F, ...spatial] : [input[0] ?? null, ...spatial, F]
          return E.right({ outputShape, weights: convFamilyWeights(spec, channels) })
        })
      )
    )
  )
