/**
 * The family members as layer kinds (the model's view): shapes and weights from inferConvFamily.ts,
 * and a compiled forward on the family's kernels (src/conv/kernel.ts, `compileConvNd`: the fast 2-D
 * machinery for every rank and kind) followed by the activation. A separable layer runs its depthwise
 * convolution (no bias) into a scratch array, then the pointwise one with the bias; a Keras 3 LoRA
 * Conv1D / Conv3D merges its low-rank factors into the kernel first, as Conv2D does.
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError, formatErrors } from '../core/SpecError.js'
import { tensorProblems, type Tensor } from '../core/Tensor.js'
import { convNdGeometry, type ConvNdGeometry } from '../geometry/ConvNdGeometry.js'
import type { CompiledLayer, LayerKind, WeightSpec } from '../layers/LayerKind.js'
import { loraMerger } from '../layers/lora.js'
import { applyActivation } from '../numerics/activations.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import { CONV_MEMBERS, type ConvFamilySpec, type ConvMember } from './ConvFamilySpec.js'
import { convFamilyCodec } from './convFamilyCodec.js'
import { convFamilyWeights, convParams, inferConvFamily, pointwiseParams, weightProblems } from './inferConvFamily.js'
import { Conv2DKind } from './Conv2DKind.js'
import { DepthwiseConv2DKind } from './DepthwiseConv2D.js'
import { compileConvNd } from './kernel.js'

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

/** Checks the weight tensors against their specs; throws a TypeError naming expected vs got (a programmer error at the edge). */
const checkWeights = (className: string, weights: ReadonlyArray<WeightSpec>, ws: ReadonlyArray<Tensor>, dtype: FloatDType): void => {
  const bad = weights.flatMap((w, i) => tensorProblems(ws[i], w.shape, dtype, `weights[${i}] (${w.name})`))
  if (ws.length !== weights.length) bad.push(specError('weights', `expected ${weights.length} weights (${weights.map((w) => w.name).join(', ')}), found ${ws.length}`))
  if (bad.length > 0) throw new TypeError(`${className} forward: ${formatErrors(bad)}`)
}

/**
 * Compiles a member for a per-sample input shape: geometry (errors at `inputShape[i]`), weight
 * checks, the kernel(s); `forward` runs the convolution(s) with bias, then the activation.
 * @category compile
 */
export const compileConvFamily = (
  spec: ConvFamilySpec,
  inputShape: ReadonlyArray<number>,
  dtype: FloatDType
): E.Either<ReadonlyArray<SpecError>, CompiledLayer> => {
  const geometryE = convNdGeometry(convParams(spec), inputShape)
  if (E.isLeft(geometryE)) return geometryE
  const g: ConvNdGeometry = geometryE.right
  const second = spec.kind === 'separable' ? convNdGeometry(pointwiseParams(spec), g.outputShape) : undefined
  if (second !== undefined && E.isLeft(second)) return second
  const g2 = second === undefined ? undefined : second.right
  const weights = convFamilyWeights(spec, g.inChannels)
  const problems = weightProblems(spec, weights)
  if (problems.length > 0) return E.left(problems)
  const first = compileConvNd(g, { dtype })
  const pointwise = g2 === undefined ? undefined : compileConvNd(g2, { dtype })
  const last = g2 ?? g
  const lastAxis = last.outputShape[last.outputShape.length - 1] as number
  const merge = spec.kind === 'conv' && spec.loraRank !== null ? loraMerger({ rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }, dtype) : undefined
  const biasIndex = spec.kind === 'separable' ? 2 : 1
  const loraIndex = spec.useBias ? 2 : 1
  return E.right({
    outputShape: last.outputShape,
    weights,
    forward: (ws, xs) => {
      checkWeights(spec.className, weights, ws, dtype)
      const x = xs[0] as Tensor
      const bad = tensorProblems(x, [null, ...g.inputShape], dtype, 'inputs[0]')
      if (bad.length > 0) throw new TypeError(`${spec.className} forward: ${formatErrors(bad)}`)
      const batch = x.shape[0] as number
      const bias = spec.useBias ? (ws[biasIndex] as Tensor).data : undefined
      let kernel: FloatArray = (ws[0] as Tensor).data
      if (merge !== undefined) kernel = merge(kernel, (ws[loraIndex] as Tensor).data, (ws[loraIndex + 1] as Tensor).data)
      let out: FloatArray
      if (pointwise !== undefined && g2 !== undefined) {
        const z = allocate(dtype, batch * g.outputSize)
        first.run(batch, x.data, kernel, undefined, z)
        out = allocate(dtype, batch * g2.outputSize)
        pointwise.run(batch, z, (ws[1] as Tensor).data, bias, out)
      } else {
        out = allocate(dtype, batch * g.outputSize)
        first.run(batch, x.data, kernel, bias, out)
      }
      applyActivation(spec.activation, spec.dialect, out, lastAxis)
      return { shape: [batch, ...last.outputShape], data: out }
    }
  })
}

/**
 * The layer kind of a member.
 * @category layers
 */
export const convFamilyKind = (m: ConvMember): LayerKind<ConvFamilySpec> => ({
  className: m.className as ConvFamilySpec['className'],
  aliases: m.aliases,
  arity: 'single',
  codec: convFamilyCodec(m),
  infer: inferConvFamily,
  compile: (spec, inputs, options) => compileConvFamily(spec, inputs[0] ?? [], options.dtype)
})

/**
 * Every member with a spec here, as layer kinds, but DepthwiseConv2D (its own kind: the same codec, compiled as the grouped Conv2D it is); Conv2D has its own module.
 * @category layers
 */
export const CONV_FAMILY_KINDS: ReadonlyArray<LayerKind<ConvFamilySpec>> = CONV_MEMBERS.filter((m) => m.className !== 'DepthwiseConv2D').map(convFamilyKind)

/**
 * Every convolution layer kind: Conv2D, DepthwiseConv2D (their own modules) and the other members.
 * @category layers
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CONV_KINDS: ReadonlyArray<LayerKind<any>> = [Conv2DKind, DepthwiseConv2DKind, ...CONV_FAMILY_KINDS]
