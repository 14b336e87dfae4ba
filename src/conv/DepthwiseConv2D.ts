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
 * Keras details kept here:
 * - every argument of Keras's signature with its defaults; `strides > 1` together with
 *   `dilation_rate > 1` is rejected in keras2 configs (tf.keras raises), reported at `strides`, and
 *   runs in keras3 ones (Keras 3's DepthwiseConv2D, unlike its Conv2D, accepts the combination and
 *   TensorFlow computes the strided, dilated convolution);
 * - weights: the depthwise kernel `(kh, kw, C, M)`, named `depthwise_kernel` as tf.keras 2.x and
 *   TensorFlow.js name it and `kernel` as Keras 3 does (by the spec's dialect), then `bias` `(C·M)`;
 * - tf.keras 2.x's `get_config` also writes `groups: 1` (inherited from Conv, and ignored): the keras2
 *   dialect accepts `groups` when it is 1 and writes it back; Keras 3 rejects the key ("Unrecognized
 *   keyword arguments passed to DepthwiseConv2D: {'groups': 1}"), and so does the keras3 dialect;
 * - TensorFlow.js writes a copy of `depthwise_regularizer` as `depthwise_constraint` (a tfjs
 *   `getConfig` slip): in keras2 files that copy reads as no constraint (`isTfjsRegularizerCopy`).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, isPlainObject } from '../core/describe.js'
import { optional, required } from '../core/KerasObject.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { IntOrPair, type Pair } from '../core/Pair.js'
import { PositiveInt } from '../core/PositiveInt.js'
import { Bool } from '../core/primitives.js'
import { formatErrors, specError, type SpecError } from '../core/SpecError.js'
import { tensorProblems, type Tensor } from '../core/Tensor.js'
import { activationCodec, type Activation } from '../codec/Activation.js'
import { constraintCodec, type Constraint } from '../codec/Constraint.js'
import type { Dialect } from '../codec/Dialect.js'
import { glorotUniform, initializerCodec, zeros, type Initializer } from '../codec/Initializer.js'
import { regularizerCodec, type Regularizer } from '../codec/Regularizer.js'
import type { Conv2DSpec, DataFormat, Padding } from './Conv2DSpec.js'
import { outputLength } from '../geometry/Padding.js'
import { compileConv2D } from './compileConv2D.js'
import { constraintProblem } from '../numerics/constraints.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import { initializerProblem } from '../numerics/initializers.js'
import type { BaseLayerSpec } from '../layers/base.js'
import { checkConvInput } from './Conv2DKind.js'
import type { LayerCodecOptions, LayerKind, SymbolicShape, WeightSpec } from '../layers/LayerKind.js'
import { layerCodec } from '../layers/simple.js'
import { dataFormatField, imageAxes, PaddingCodec } from '../layers/spatial/common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized DepthwiseConv2D layer.
 * @category model
 */
export interface DepthwiseConv2DSpec extends BaseLayerSpec {
  readonly className: 'DepthwiseConv2D'
  /** `[kh, kw]`. */
  readonly kernelSize: Pair
  /** `[sh, sw]`. */
  readonly strides: Pair
  readonly padding: Padding
  /** M: output channels per input channel. */
  readonly depthMultiplier: PositiveInt
  readonly dataFormat: DataFormat
  /** `[dh, dw]`; never > 1 together with a stride > 1. */
  readonly dilationRate: Pair
  readonly activation: Activation
  readonly useBias: boolean
  readonly depthwiseInitializer: Initializer
  readonly biasInitializer: Initializer
  readonly depthwiseRegularizer: Regularizer | null
  readonly biasRegularizer: Regularizer | null
  readonly activityRegularizer: Regularizer | null
  readonly depthwiseConstraint: Constraint | null
  readonly biasConstraint: Constraint | null
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const ONE = [1, 1] as unknown as Pair

/** tf.keras 2.x's inherited `groups` key: accepted when 1 (its only meaningful value, which tf.keras writes and ignores). */
const groupsCodec = (dialect: Dialect): t.Type<1, 1, unknown> =>
  new t.Type<1, 1, unknown>(
    '1',
    (u): u is 1 => u === 1,
    (u, c) =>
      dialect === 'keras3'
        ? t.failure(
            u,
            c,
            `"groups" is not a Keras 3 DepthwiseConv2D argument (Keras 3 raises "Unrecognized keyword arguments passed to DepthwiseConv2D: {'groups': …}"); tf.keras 2.x writes groups 1, which this layer kind accepts for keras2 files: remove the key`
          )
        : u === 1
          ? t.success(1)
          : t.failure(
              u,
              c,
              `expected groups to be 1 (tf.keras writes 1 for DepthwiseConv2D and ignores it; a depthwise convolution's groups are its input channels, and depth_multiplier sets the filters per channel), found ${describe(u)}`
            ),
    (a) => a
  )

const fields = (o: LayerCodecOptions) =>
  ({
    kernel_size: required(IntOrPair),
    strides: optional(IntOrPair, ONE),
    padding: optional(PaddingCodec, 'valid' as Padding),
    depth_multiplier: optional(PositiveInt, 1 as PositiveInt),
    data_format: dataFormatField(o),
    dilation_rate: optional(IntOrPair, ONE),
    groups: optional(groupsCodec(o.dialect), 1 as const),
    activation: optional(activationCodec(o.dialect), 'linear' as Activation),
    use_bias: optional(Bool, true),
    depthwise_initializer: optional(initializerCodec(o.dialect), glorotUniform()),
    bias_initializer: optional(initializerCodec(o.dialect), zeros),
    depthwise_regularizer: optional(regularizerCodec(o.dialect), null),
    bias_regularizer: optional(regularizerCodec(o.dialect), null),
    activity_regularizer: optional(regularizerCodec(o.dialect), null),
    depthwise_constraint: optional(constraintCodec(o.dialect), null),
    bias_constraint: optional(constraintCodec(o.dialect), null)
  }) as const

const renamed = (key: string, keras: string): string =>
  `DepthwiseConv2D has no ${JSON.stringify(key)} argument; its kernel argument is ${JSON.stringify(keras)}`

const EXPLAINED: Readonly<Record<string, string>> = {
  filters: 'DepthwiseConv2D has no "filters" argument: its output has input channels × depth_multiplier channels; set depth_multiplier',
  kernel_initializer: renamed('kernel_initializer', 'depthwise_initializer'),
  kernel_regularizer: renamed('kernel_regularizer', 'depthwise_regularizer'),
  kernel_constraint: renamed('kernel_constraint', 'depthwise_constraint'),
  weights: '"weights" (initial weight values inside a config) is not supported; load weights separately'
}

const showPair = (p: Pair): string => `[${p[0]}, ${p[1]}]`

const codec = (o: LayerCodecOptions): t.Type<DepthwiseConv2DSpec, Record<string, unknown>, unknown> =>
  layerCodec<DepthwiseConv2DSpec>('DepthwiseConv2D')(
  fields,
  (c) => ({
    kernelSize: c.kernel_size,
    strides: c.strides,
    padding: c.padding,
    depthMultiplier: c.depth_multiplier,
    dataFormat: c.data_format,
    dilationRate: c.dilation_rate,
    activation: c.activation,
    useBias: c.use_bias,
    depthwiseInitializer: c.depthwise_initializer,
    biasInitializer: c.bias_initializer,
    depthwiseRegularizer: c.depthwise_regularizer,
    biasRegularizer: c.bias_regularizer,
    activityRegularizer: c.activity_regularizer,
    depthwiseConstraint: c.depthwise_constraint,
    biasConstraint: c.bias_constraint
  }),
  (s, dialect) => {
    const init = initializerCodec(dialect)
    const reg = regularizerCodec(dialect)
    const con = constraintCodec(dialect)
    return {
      depth_multiplier: s.depthMultiplier,
      kernel_size: [s.kernelSize[0], s.kernelSize[1]],
      strides: [s.strides[0], s.strides[1]],
      padding: s.padding,
      data_format: s.dataFormat,
      dilation_rate: [s.dilationRate[0], s.dilationRate[1]],
      ...(dialect === 'keras2' ? { groups: 1 } : {}),
      activation: activationCodec(dialect).encode(s.activation),
      use_bias: s.useBias,
      depthwise_initializer: init.encode(s.depthwiseInitializer),
      bias_initializer: init.encode(s.biasInitializer),
      depthwise_regularizer: reg.encode(s.depthwiseRegularizer),
      bias_regularizer: reg.encode(s.biasRegularizer),
      activity_regularizer: reg.encode(s.activityRegularizer),
      depthwise_constraint: con.encode(s.depthwiseConstraint),
      bias_constraint: con.encode(s.biasConstraint)
    }
  },
  {
    explained: EXPLAINED,
    rules: [
      {
        keys: ['strides', 'dilation_rate'],
        check: (c) =>
          o.dialect === 'keras2' && Math.max(...c.strides) > 1 && Math.max(...c.dilation_rate) > 1
            ? {
                key: 'strides',
                message: `strides > 1 cannot be combined with dilation_rate > 1 (tf.keras rejects the combination, judged over both axes): found strides ${showPair(c.strides)} and dilation_rate ${showPair(c.dilation_rate)}; set strides to 1 or dilation_rate to 1`
              }
            : undefined
      }
    ]
  }
)(o)

/**
 * TensorFlow.js's spelling: tfjs-layers' (4.22) `DepthwiseConv2D.getConfig` writes
 * `depthwise_constraint: serializeConstraint(this.depthwiseRegularizer)`, so every tfjs-written
 * DepthwiseConv2D with a `depthwise_regularizer` holds a copy of it (`{"class_name": "L1L2", …}`) as
 * its constraint, and never the constraint it was built with. Keras would reject a regularizer as a
 * constraint; tfjs reads its own file back (the copy deserializes as a regularizer object). In a
 * keras2 file, a `depthwise_constraint` that is a regularizer of the same class and penalties as
 * `depthwise_regularizer` is that copy, and decodes as no constraint (which the file never recorded);
 * any other regularizer there is still an unknown constraint. Constraints play no part at inference.
 */
const isTfjsRegularizerCopy = (config: Readonly<Record<string, unknown>>): boolean => {
  const constraint = config['depthwise_constraint']
  const regularizer = config['depthwise_regularizer']
  if (!isPlainObject(constraint) || !isPlainObject(regularizer) || constraint['class_name'] !== regularizer['class_name']) return false
  const asRegularizer = regularizerCodec('keras2')
  const a = asRegularizer.decode(constraint)
  const b = asRegularizer.decode(regularizer)
  return E.isRight(a) && E.isRight(b) && a.right !== null && b.right !== null && a.right.l1 === b.right.l1 && a.right.l2 === b.right.l2
}

/** {@link codec}, reading tfjs's copied regularizer ({@link isTfjsRegularizerCopy}) in keras2 files. */
const tfjsTolerantCodec = (o: LayerCodecOptions): t.Type<DepthwiseConv2DSpec, Record<string, unknown>, unknown> => {
  const inner = codec(o)
  if (o.dialect !== 'keras2') return inner
  return new t.Type<DepthwiseConv2DSpec, Record<string, unknown>, unknown>(
    inner.name,
    inner.is,
    (u, c) => inner.validate(isPlainObject(u) && isTfjsRegularizerCopy(u) ? { ...u, depthwise_constraint: null } : u, c),
    (s) => inner.encode(s)
  )
}

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
  codec: tfjsTolerantCodec,
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
