/**
 * DepthwiseConv2D: each input channel convolved with its own `depth_multiplier` filters, run through
 * the compiler's grouped-convolution path.
 *
 * A depthwise convolution over C channels with multiplier M is the grouped Conv2D with
 * `filters = C·M` and `groups = C`, and the Keras depthwise kernel `(kh, kw, C, M)` read in row-major
 * order is exactly that Conv2D's HWIO kernel `(kh, kw, 1, C·M)`: output channel `f = c·M + m` reads
 * input channel `c` with `depthwise_kernel[:, :, c, m]`. So `compile` hands a {@link Conv2DSpec} to
 * `compileConv2D` and passes the weights through unchanged.
 *
 Its config is the family's depthwise member at rank 2 (src/conv/convFamilyCodec.ts: every argument of
 * Keras's signature with its defaults; `strides > 1` together with `dilation_rate > 1` rejected in
 * keras2 configs, where tf.keras raises, and run in keras3 ones, as Keras ≥ 3.15 does; tf.keras's
 * inherited `groups: 1`; TensorFlow.js's copy of `depthwise_regularizer` written as
 * `depthwise_constraint`, read as no constraint in keras2 files). Kept here:
 * - weights: the depthwise kernel `(kh, kw, C, M)`, named `depthwise_kernel` as tf.keras 2.x and
 *   TensorFlow.js name it and `kernel` as Keras 3 does (by the spec's dialect), then `bias` `(C·M)`;
 * - the compiled layer: the grouped Conv2D above (`asGroupedConv2D`), the path the model compiler
 *   lowers it to as well.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type * as t from 'io-ts'
import { nameTable, type NameTable } from '../core/NameTable.js'
import type { Pair } from '../core/Pair.js'
import type { PositiveInt } from '../core/PositiveInt.js'
import { formatErrors, specError, type SpecError } from '../core/SpecError.js'
import { tensorProblems, type Tensor } from '../core/Tensor.js'
import type { Constraint } from '../codec/Constraint.js'
import type { Conv2DSpec, Padding } from './Conv2DSpec.js'
import { outputLength } from '../geometry/Padding.js'
import { compileConv2D } from './compileConv2D.js'
import { constraintProblem } from '../numerics/constraints.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import { initializerProblem } from '../numerics/initializers.js'
import { checkConvInput } from './Conv2DKind.js'
import type { LayerCodecOptions, LayerKind, SymbolicShape, WeightSpec } from '../layers/LayerKind.js'
import { imageAxes } from '../layers/spatial/common.js'
import { CONV_MEMBERS, type ConvMember, type DepthwiseConvSpec } from './ConvFamilySpec.js'
import { convFamilyCodec } from './convFamilyCodec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized DepthwiseConv2D layer: the family's rank-2 depthwise spec (`[rows, cols]` tuples),
 * decoded by the family's codec (src/conv/convFamilyCodec.ts), as DepthwiseConv1D is.
 * @category model
 */
export type DepthwiseConv2DSpec = Omit<DepthwiseConvSpec, 'className' | 'rank' | 'kernelSize' | 'strides' | 'dilationRate' | 'padding'> & {
  readonly className: 'DepthwiseConv2D'
  readonly rank: 2
  /** `[kh, kw]`. */
  readonly kernelSize: Pair
  /** `[sh, sw]`. */
  readonly strides: Pair
  /** `[dh, dw]`. */
  readonly dilationRate: Pair
  readonly padding: Padding
}

const MEMBER = CONV_MEMBERS.find((m) => m.className === 'DepthwiseConv2D') as ConvMember

/** The family codec at rank 2 (every argument and rule of Keras's DepthwiseConv2D, both dialects). */
const codec = convFamilyCodec(MEMBER) as unknown as (o: LayerCodecOptions) => t.Type<DepthwiseConv2DSpec, Record<string, unknown>, unknown>

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

/**
 * The weights for `channels` input channels: depthwise kernel `(kh, kw, C, M)`, then bias `(C·M)`. The
 * kernel is named `depthwise_kernel` by tf.keras 2.x (and TensorFlow.js) and `kernel` by Keras 3.
 */
export const depthwiseWeights = (spec: DepthwiseConv2DSpec, channels: number): ReadonlyArray<WeightSpec> => [
  {
    name: spec.dialect === 'keras3' ? 'kernel' : 'depthwise_kernel',
    shape: [spec.kernelSize[0], spec.kernelSize[1], channels, spec.depthMultiplier],
    trainable: true,
    initializer: spec.depthwiseInitializer
  },
  ...(spec.useBias ? [{ name: 'bias', shape: [channels * spec.depthMultiplier], trainable: true, initializer: spec.biasInitializer }] : [])
]

/**
 * The grouped Conv2D a depthwise convolution over `channels` input channels is: `filters = C·M`,
 * `groups = C`, the depthwise initializer / regularizer / constraint as the kernel's.
 * @category utils
 */
export const asGroupedConv2D = (spec: DepthwiseConv2DSpec, channels: number, dtype: FloatDType): Conv2DSpec => ({
  className: 'Conv2D',
  dialect: spec.dialect,
  name: spec.name,
  trainable: spec.trainable,
  dtype,
  filters: (channels * spec.depthMultiplier) as PositiveInt,
  kernelSize: spec.kernelSize,
  strides: spec.strides,
  padding: spec.padding,
  dataFormat: spec.dataFormat,
  dilationRate: spec.dilationRate,
  groups: channels as PositiveInt,
  activation: spec.activation,
  useBias: spec.useBias,
  kernelInitializer: spec.depthwiseInitializer,
  biasInitializer: spec.biasInitializer,
  kernelRegularizer: spec.depthwiseRegularizer,
  biasRegularizer: spec.biasRegularizer,
  activityRegularizer: spec.activityRegularizer,
  kernelConstraint: spec.depthwiseConstraint,
  biasConstraint: spec.biasConstraint,
  inputShape: null,
  batchSize: null,
  loraRank: null,
  loraAlpha: null
})

const inferDepthwise = (spec: DepthwiseConv2DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    checkConvInput('DepthwiseConv2D', { ...spec, groups: 1 as PositiveInt }, inputs),
    E.map(({ input, channels }) => {
      const ax = imageAxes(spec.dataFormat)
      const out = [...input]
      out[ax.rows] = outputLength(input[ax.rows] ?? null, spec.kernelSize[0], spec.strides[0], spec.dilationRate[0], spec.padding)
      out[ax.cols] = outputLength(input[ax.cols] ?? null, spec.kernelSize[1], spec.strides[1], spec.dilationRate[1], spec.padding)
      out[ax.channels] = channels * spec.depthMultiplier
      return { outputShape: out, weights: depthwiseWeights(spec, channels) }
    })
  )

/** Problems of the spec's initializers and constraints with the real weight shapes. */
const weightProblems = (weights: ReadonlyArray<WeightSpec>, spec: DepthwiseConv2DSpec): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  const [kernel, bias] = weights
  const checks: ReadonlyArray<readonly [string, string, WeightSpec | undefined, Constraint | null]> = [
    ['depthwise_initializer', 'depthwise_constraint', kernel, spec.depthwiseConstraint],
    ['bias_initializer', 'bias_constraint', bias, spec.biasConstraint]
  ]
  for (const [initPath, constraintPath, w, constraint] of checks) {
    if (w === undefined) continue
    const ip = initializerProblem(w.initializer, [...w.shape])
    if (ip !== undefined) errors.push(specError(initPath, ip))
    const cp = constraint === null ? undefined : constraintProblem(constraint, [...w.shape])
    if (cp !== undefined) errors.push(specError(constraintPath, cp))
  }
  return errors
}

/** compileConv2D reports at the Conv2D argument names; these are the DepthwiseConv2D ones. */
const CONV_TO_DEPTHWISE: NameTable<string> = nameTable({
  kernel_initializer: 'depthwise_initializer',
  kernel_regularizer: 'depthwise_regularizer',
  kernel_constraint: 'depthwise_constraint',
  filters: 'depth_multiplier',
  groups: 'depth_multiplier'
})

/**
 * DepthwiseConv2D.
 * @category layers
 */
export const DepthwiseConv2DKind: LayerKind<DepthwiseConv2DSpec> = {
  className: 'DepthwiseConv2D',
  aliases: [],
  arity: 'single',
  codec,
  infer: inferDepthwise,
  compile: (spec, inputs, options) => {
    const shape = inputs[0] ?? []
    const inferred = inferDepthwise(spec, [[null, ...shape]])
    if (E.isLeft(inferred)) return inferred
    const channels = shape[spec.dataFormat === 'channels_first' ? 0 : 2] as number
    const weights = inferred.right.weights
    const problems = weightProblems(weights, spec)
    if (problems.length > 0) return E.left(problems)
    return pipe(
      compileConv2D(asGroupedConv2D(spec, channels, options.dtype), shape),
      E.mapLeft((errors) => errors.map((e) => ({ path: CONV_TO_DEPTHWISE.get(e.path) ?? e.path, message: e.message }))),
      E.map((layer) => {
        const kernelShape = [spec.kernelSize[0], spec.kernelSize[1], 1, channels * spec.depthMultiplier]
        return {
          outputShape: layer.outputShape,
          weights,
          forward: (ws: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const [kernel, bias] = ws
            const bad = tensorProblems(kernel, weights[0]?.shape ?? [], options.dtype, `weights[0] (${weights[0]?.name ?? 'kernel'})`)
            if (bad.length > 0) throw new TypeError(`DepthwiseConv2D forward: ${formatErrors(bad)}`)
            // The (kh, kw, C, M) depthwise kernel's data is the (kh, kw, 1, C·M) grouped kernel's.
            const grouped: Tensor = { shape: kernelShape, data: (kernel as Tensor).data }
            return layer.forward(bias === undefined ? { kernel: grouped } : { kernel: grouped, bias }, xs[0] as Tensor)
          }
        }
      })
    )
  }
}
