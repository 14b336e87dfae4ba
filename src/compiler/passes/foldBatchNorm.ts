/**
 * `fold-batch-norm`: an inference BatchNormalization right after a Conv2D, DepthwiseConv2D or Dense
 * becomes that layer's weights (../shared/docs/model-compiler-notes.md §6.2; ORT `ConvBNFusion`).
 * With Keras's formula `y = gamma · (x − mean) / √(variance + ε) + beta` and `s = gamma / √(variance + ε)`
 * per channel, the producer's kernel becomes `kernel · s` along its output channel (`scaled`) and its
 * bias `(bias − mean) · s + beta` (`foldedBias`, bias 0 when it had none), both evaluated in float64 and
 * rounded once per params object (src/compiler/WeightExpr.ts); `scale: false` means gamma = 1,
 * `center: false` beta = 0 (those weights are then absent: the weights are gamma, beta, moving_mean,
 * moving_variance, only the present ones, then batch renormalization's three, which inference never
 * reads). ε is the one the layer itself uses for this input (tf.keras's fused kernel raises it to
 * 1.001e-5: `inferenceEpsilon`).
 *
 * It fires only when all of these hold, else the BatchNormalization stays a `batchNorm` node:
 * - the producer is a Conv2D or DepthwiseConv2D (output channel = last axis of its kernel `[kh, kw, C/g, F]`,
 *   and of a depthwise kernel `[kh, kw, C, m]` flattened, channel `c·m + j`) — Conv1D, DepthwiseConv1D and
 *   a separable layer's pointwise half are lowered as those —, a Conv3D (`[kd, kh, kw, C/g, F]`: last
 *   axis), a Conv1D/2D/3DTranspose (`[...k, F, C]`: axis −2, `scaled` with `inner` = C) or a Dense
 *   (`[in, units]`), without LoRA (its kernel is a sum the expression does not see), whose spec's own
 *   activation is linear (lowering moved an elementwise one to the epilogue; a row-wise one stays);
 * - the producer's output is read by the BatchNormalization alone and is not a model output;
 * - the producer's epilogue is empty: nothing (no activation) between the two;
 * - the BatchNormalization normalizes exactly one axis, the producer's channel axis (channels_last and
 *   Dense: the last axis; a channels_first convolution: axis 1);
 * - ε > 0: then `variance + ε ≤ 0` needs a negative moving variance, which gives NaN for the channel
 *   folded or not; with ε = 0 a zero variance makes `s` infinite, where Keras's `x · s + (beta − mean · s)`
 *   and the folded `Σ x · (w · s)` disagree on which outputs are ±∞ and which NaN (0 · ∞), so it is not folded.
 *
 * Numerics: not bit-identical (the product `w · s` is rounded once into the kernel, and the sum runs
 * over `x · (w · s)` instead of `(Σ x · w) · s`); as accurate as running the layer, relative to the
 * forward-error scale `Σ|w'||x| + |b'|`, and more accurate where `mean · s` and `beta` nearly cancel.
 */
import type { BatchNormalizationSpec } from '../../layers/elementwise/batchNormalization.js'
import { inferenceEpsilon } from '../../layers/elementwise/batchNormalization.js'
import { replaceValue, type Graph, type Node, type Value } from '../Graph.js'
import { exprShape, type BatchNormExpr, type WeightExpr } from '../WeightExpr.js'
import type { Pass } from './Pass.js'
import { classOf, operandsReadyBefore, readOnlyBy, toFixedPoint, updateNode, withSpec, type Scan } from './util.js'

/** The classes a BatchNormalization folds into (as the node's spec names them), with their node kinds. */
const FOLDS_INTO: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose'])
const FOLD_KINDS: ReadonlySet<string> = new Set(['conv', 'convNd', 'dense'])

/** The transposed convolutions: kernel `[...k, F, C]`, output channel on axis −2. */
const TRANSPOSED: ReadonlySet<string> = new Set(['Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose'])

/** The full-rank (batch axis 0) index of a producer's output channel axis. */
const channelAxis = (producer: Node, rank: number): number =>
  (producer.kind === 'conv' || producer.kind === 'convNd') && (producer.spec as { readonly dataFormat?: string }).dataFormat === 'channels_first' ? 1 : rank - 1

/** Why a BatchNormalization does not fold into its producer, or `undefined` when it does. */
export const foldProblem = (scan: Scan, bn: Node): string | undefined => {
  const input = bn.inputs[0] as number
  const producer = scan.producers.get(input)
  if (producer === undefined) return 'its input is a model input'
  if (!FOLDS_INTO.has(producer.spec.className) || !FOLD_KINDS.has(producer.kind)) return `its producer ${producer.name} is a ${classOf(producer)}`
  if (((producer.spec as { readonly loraRank?: number | null }).loraRank ?? null) !== null) return `its producer ${producer.name} has LoRA`
  const own = (producer.spec as { readonly activation?: string }).activation
  if (own !== undefined && own !== 'linear') return `${producer.name} applies its ${own} activation before it`
  if (!readOnlyBy(scan, input, bn)) return `${producer.name}'s output is read elsewhere or is a model output`
  if (producer.epilogue.stages.length > 0) return `${producer.name} applies an activation before it`
  const spec = bn.spec as BatchNormalizationSpec
  const shape = (scan.graph.values[input] as Value).shape
  const rank = shape.length + 1
  if (spec.axis.length !== 1) return `it normalizes ${spec.axis.length} axes`
  const a = spec.axis[0] as number
  const axis = a < 0 ? a + rank : a
  if (axis !== channelAxis(producer, rank)) return `it normalizes axis ${axis}, not ${producer.name}'s channel axis ${channelAxis(producer, rank)}`
  const epsilon = inferenceEpsilon(spec, shape)
  if (epsilon === undefined || !(epsilon > 0)) return 'its epsilon is 0'
  if (!operandsReadyBefore(scan, bn.epilogue.stages, producer)) return `its fused adds read values computed after ${producer.name}`
  return undefined
}

/** The producer of `bn` with `bn` folded in. */
const folded = (scan: Scan, bn: Node, producer: Node): Node => {
  const spec = bn.spec as BatchNormalizationSpec
  const shape = (scan.graph.values[bn.inputs[0] as number] as Value).shape
  const rank = shape.length + 1
  const channels = shape[channelAxis(producer, rank) - 1] as number
  let w = 0
  const gamma = spec.scale ? (bn.weights[w++] as WeightExpr) : null
  const beta = spec.center ? (bn.weights[w++] as WeightExpr) : null
  const mean = bn.weights[w++] as WeightExpr
  const variance = bn.weights[w++] as WeightExpr
  const expr: BatchNormExpr = { gamma, beta, mean, variance, epsilon: inferenceEpsilon(spec, shape) as number }
  const useBias = (producer.spec as { readonly useBias?: boolean }).useBias === true
  const kernel = producer.weights[0] as WeightExpr
  const bias = useBias ? (producer.weights[1] as WeightExpr) : null
  // a transposed kernel [...k, F, C]: the output channel is axis −2, each one C elements long
  const kernelShape = exprShape(kernel)
  const inner = TRANSPOSED.has(producer.spec.className) ? (kernelShape[kernelShape.length - 1] as number) : 1
  return {
    ...producer,
    spec: withSpec(producer.spec, { useBias: true }),
    weights: [
      { kind: 'scaled', of: kernel, bn: expr, channels, ...(inner === 1 ? {} : { inner }) },
      { kind: 'foldedBias', bias, bn: expr, channels }
    ],
    epilogue: { stages: [...producer.epilogue.stages, ...bn.epilogue.stages] },
    notes: [...producer.notes, `fold-batch-norm(${bn.name})`, ...bn.notes]
  }
}

/**
 * The pass.
 * @category passes
 */
export const foldBatchNorm: Pass = {
  name: 'fold-batch-norm',
  description: 'folds an inference BatchNormalization into the convolution (Conv1D/2D/3D, depthwise, separable, transposed) or Dense before it (kernel · s, (bias − mean) · s + beta, in float64, rounded once)',
  run: (graph: Graph) =>
    toFixedPoint(graph, (scan, bn) => {
      if (bn.kind !== 'batchNorm' || bn.spec.className !== 'BatchNormalization' || foldProblem(scan, bn) !== undefined) return undefined
      const producer = scan.producers.get(bn.inputs[0] as number) as Node
      const next = folded(scan, bn, producer)
      const g = updateNode(replaceValue(scan.graph, bn.output, producer.output, new Set([bn.id])), producer.id, () => next)
      return {
        graph: g,
        rewrite: { pass: 'fold-batch-norm', node: producer.name, detail: `BatchNormalization ${bn.name} folded into ${classOf(producer)} ${producer.name}'s kernel and bias` }
      }
    })
}
