/**
 * `conv` nodes (Conv2D, and DepthwiseConv2D as the grouped Conv2D it is: `asGroupedConv2D`; a Conv1D,
 * DepthwiseConv1D or separable half lowered as those, its values read in the shapes of its view) through the
 * convolution kernels `compileConv2D` runs: the kernel `selectKernel` picks for the geometry (wasm SIMD
 * for float32 where the runtime has it, else the plain-TypeScript twin; `choice.backend` 'js' forces
 * the TypeScript kernels), built once by `prepareKernel`, run on views of the arena (its input read
 * where it lies, its output written where the plan put it; the views are kept between calls of the
 * same batch). It is the fallback of the arena family (../wasm-conv.ts, tried first), which runs the
 * same wasm programs on the model's arena: here run float64 models, the `js` backend, runtimes without
 * SIMD or an arena memory, and the direct kernel's geometries.
 *
 * - A folded ZeroPadding2D (`extraPadding`) becomes the geometry's own padding: the geometry of the
 *   spec on the padded input, with the input's real size and the pads added to the padding it has
 *   (`same` resolved on the padded size, as the reference computes it). Every kernel but the wasm
 *   pointwise one reads the geometry's pads (the padded input copy they compute on is zero outside the
 *   image), so the sums are the reference's over the same zeros; a padded 1×1 layer runs `wasm-tiled`.
 * - Bias: the fast kernels start their sums at it (`fusesBias`); the direct kernel (for a padding out of
 *   all proportion) accumulates into a zeroed output and the bias is added after, as the layer does.
 * - Activation: lowering moved it into the epilogue. A leading `relu` / `relu6` clamp is handed back to
 *   a wasm kernel, whose `pmax`/`pmin` clamp keeps NaN and −0 as the epilogue's does (the TypeScript
 *   kernels' float32 ReLU works on the bits and turns −0 into +0, so there it stays in the epilogue).
 *   So is a leading Keras ReLU layer without slope or threshold (`max_value` none or 6: MobileNet v2's
 *   ReLU6), which differs from that clamp only on −0 (it gives +0): the wasm kernels start every sum
 *   at the bias (+0 without one) or add it last, and `b + Σ…` is −0 only when `b` is −0, so the output
 *   holds a −0 only when the bias does, checked once per params object; then −0 becomes +0 after the
 *   kernel.
 * - LoRA: the merged kernel (as the layer merges it, cached per kernel/A/B arrays).
 */
import type { Tensor } from '../../../core/Tensor.js'
import type { Conv2DSpec } from '../../../conv/Conv2DSpec.js'
import { computeGeometry, type ConvGeometry } from '../../../geometry/ConvGeometry.js'
import type { KernelParams } from '../../../kernel/ConvKernel.js'
import { prepareKernel, selectKernel, wasmAvailable } from '../../../kernel/prepare.js'
import { THREADS_AVAILABLE } from '../../../kernel/threads.js'
import { loraMerger } from '../../../layers/lora.js'
import { asGroupedConv2D, type DepthwiseConv2DSpec } from '../../../conv/DepthwiseConv2D.js'
import type { FloatArray } from '../../../numerics/FloatArray.js'
import { viewedGraph, type ExtraPadding, type Graph, type Node, type Stage } from '../../Graph.js'
import type { Arena, KernelChoice, StepIO, StepKernel } from '../../StepKernel.js'
import { unaryOfActivation } from '../../Unary.js'
import { ioViews, makeEpilogue, sameShape, shapeOf } from './common.js'

/**
 * The geometry of `g` (computed on the padded input) for the unpadded input of shape `shape`: the
 * same output, the input's real size, and the extra pads added to `g`'s own.
 * @category kernels
 */
export const withExtraPadding = (g: ConvGeometry, shape: ReadonlyArray<number>, extra: ExtraPadding): ConvGeometry => {
  const [a, b, c] = shape as [number, number, number]
  const channelsFirst = g.dataFormat === 'channels_first'
  const inHeight = channelsFirst ? b : a
  const inWidth = channelsFirst ? c : b
  return Object.freeze({
    ...g,
    inHeight,
    inWidth,
    padTop: g.padTop + extra.top,
    padBottom: g.padBottom + extra.bottom,
    padLeft: g.padLeft + extra.left,
    padRight: g.padRight + extra.right,
    inputShape: Object.freeze([a, b, c] as const),
    inputSize: a * b * c
  })
}

/** The Conv2D spec a conv node's kernel runs (linear: its activation is a stage), and the activation it had. */
const convSpecOf = (node: Node, shape: ReadonlyArray<number>, dtype: Graph['dtype']): { readonly spec: Conv2DSpec; readonly activation: Conv2DSpec['activation'] } | undefined => {
  if (node.spec.className === 'Conv2D') {
    const s = node.spec as Conv2DSpec
    return { spec: { ...s, dtype, inputShape: null, loraRank: null, loraAlpha: null, activation: 'linear' }, activation: s.activation }
  }
  if (node.spec.className === 'DepthwiseConv2D') {
    const s = node.spec as DepthwiseConv2DSpec
    const channels = (s.dataFormat === 'channels_first' ? shape[0] : shape[2]) as number
    return { spec: { ...asGroupedConv2D(s, channels, dtype), activation: 'linear' }, activation: s.activation }
  }
  return undefined
}

/**
 * The wasm kernel activation a leading stage is: the clamp of `relu` (`[+0, ∞]`) or `relu6`
 * (`[+0, 6]`), exactly; or Keras's ReLU layer without slope or threshold (`max_value` none or 6), which
 * differs from the clamp only in turning −0 into +0 (`keras`).
 * @category kernels
 */
export const fusableStage = (s: Stage | undefined): { readonly activation: 'relu' | 'relu6'; readonly keras: boolean } | undefined => {
  if (s === undefined || s.kind !== 'unary') return undefined
  const fn = s.fn
  if (fn.kind === 'clamp' && fn.lo === 0 && !Object.is(fn.lo, -0)) {
    return fn.hi === Infinity ? { activation: 'relu', keras: false } : fn.hi === 6 ? { activation: 'relu6', keras: false } : undefined
  }
  if (fn.kind === 'relu' && fn.negativeSlope === 0 && fn.threshold === 0 && (fn.maxValue === null || fn.maxValue === 6)) {
    return { activation: fn.maxValue === 6 ? 'relu6' : 'relu', keras: true }
  }
  return undefined
}

/**
 * Whether a bias holds a −0 (only then can a kernel whose sums start at the bias produce a −0).
 * @category kernels
 */
export const hasNegativeZero = (bias: FloatArray | undefined): boolean => {
  if (bias === undefined) return false
  for (let i = 0; i < bias.length; i++) if (Object.is(bias[i], -0)) return true
  return false
}

/**
 * What a `conv` node runs, whatever the kernel: the linear Conv2D spec, the geometry on the node's
 * (unpadded) input with a folded ZeroPadding2D's pads added, the epilogue stages with the layer's own
 * activation first (a node that kept it), and where the LoRA factors are among the weights.
 * @category kernels
 */
export interface ConvSetup {
  readonly spec: Conv2DSpec
  readonly g: ConvGeometry
  readonly stages: ReadonlyArray<Stage>
  readonly lora: Conv2DSpec | undefined
  readonly loraAt: number
}

/**
 * The {@link ConvSetup} of a node, or `undefined` when it is not a single-input Conv2D /
 * DepthwiseConv2D on a rank-3 value whose geometry gives the node's output shape.
 * @category kernels
 */
export const convSetup = (node: Node, model: Graph): ConvSetup | undefined => {
  if (node.kind !== 'conv' || node.inputs.length !== 1) return undefined
  // a rank-1 convolution lowered as its 2-D self: its values in the shapes of its view
  const graph = viewedGraph(model, node)
  const dtype = graph.dtype
  const shape = shapeOf(graph, node.inputs[0] as number)
  if (shape.length !== 3) return undefined
  const conv = convSpecOf(node, shape, dtype)
  if (conv === undefined) return undefined
  const { spec } = conv
  const lora = node.spec.className === 'Conv2D' && (node.spec as Conv2DSpec).loraRank !== null ? (node.spec as Conv2DSpec) : undefined
  const loraAt = spec.useBias ? 2 : 1
  if (node.weights.length !== loraAt + (lora === undefined ? 0 : 2)) return undefined
  const extra = node.extraPadding
  const channelsFirst = spec.dataFormat === 'channels_first'
  const padded =
    extra === undefined
      ? shape
      : channelsFirst
        ? [shape[0] as number, (shape[1] as number) + extra.top + extra.bottom, (shape[2] as number) + extra.left + extra.right]
        : [(shape[0] as number) + extra.top + extra.bottom, (shape[1] as number) + extra.left + extra.right, shape[2] as number]
  const geometry = computeGeometry(spec, padded)
  if (geometry._tag === 'Left') return undefined
  const g = extra === undefined ? geometry.right : withExtraPadding(geometry.right, shape, extra)
  if (!sameShape(g.outputShape, shapeOf(graph, node.output))) return undefined
  const own = unaryOfActivation(conv.activation, spec.dialect)
  const stages: ReadonlyArray<Stage> = own === undefined ? node.epilogue.stages : [{ kind: 'unary', fn: own }, ...node.epilogue.stages]
  return { spec, g, stages, lora, loraAt }
}

/**
 * The family of `conv` nodes: `conv:<kernel>` (`conv:wasm-tiled`, `conv:js-winograd`, …).
 * @category kernels
 */
export const tsConv = (node: Node, graph: Graph, choice: KernelChoice): StepKernel | undefined => {
  const setup = convSetup(node, graph)
  if (setup === undefined) return undefined
  const { spec, g, stages, lora, loraAt } = setup
  const dtype = graph.dtype
  const channelsFirst = spec.dataFormat === 'channels_first'
  const selected = selectKernel(g, dtype, choice.backend)
  // the wasm pointwise kernel maps input pixels to output pixels one to one (a 1×1 stride-1 window
  // has no padding of its own): with folded pads the tiled kernel runs it
  const padded1x1 = g.padTop + g.padBottom + g.padLeft + g.padRight > 0 && selected === 'wasm-pointwise'
  const name = padded1x1 ? 'wasm-tiled' : selected
  const fusable = name.startsWith('wasm-') && wasmAvailable(dtype) ? fusableStage(stages[0]) : undefined
  const threads = THREADS_AVAILABLE ? Math.max(1, Math.floor(choice.threads)) : 1
  const kernel = prepareKernel(name, g, { dtype, activation: fusable?.activation ?? 'linear', threads })
  const fused = fusable !== undefined && kernel.fusesActivation ? fusable : undefined
  const rest = fused !== undefined ? stages.slice(1) : stages
  const epilogue = makeEpilogue(rest, g.outputShape[2])
  const merge = lora === undefined ? undefined : loraMerger({ rank: lora.loraRank as number, alpha: lora.loraAlpha ?? (lora.loraRank as number) }, dtype)
  const F = g.outChannels
  const plane = g.outHeight * g.outWidth

  // views and params kept from the last call (rebuilt when the arena, the offsets, the batch or the weights change)
  const views = ioViews(g.inputSize, g.outputSize)
  let lastWeights: ReadonlyArray<Tensor> | undefined
  let params: KernelParams = { kernel: new Float32Array(0), bias: undefined }
  // a fused Keras ReLU whose bias holds a −0: the kernel's −0 outputs become +0 after it
  let fixNegativeZero = false

  return {
    name: `conv:${kernel.name}`,
    packedFloats: 0,
    pack: () => undefined,
    scratchFloats: () => 0,
    inPlace: false,
    run: (arena: Arena, batch: number, io: StepIO, weights: ReadonlyArray<Tensor>) => {
      const { xs, ys } = views(arena, batch, io)
      if (weights !== lastWeights) {
        const k = (weights[0] as Tensor).data
        const merged = merge === undefined ? k : merge(k, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data)
        params = { kernel: merged, bias: spec.useBias ? (weights[1] as Tensor).data : undefined }
        fixNegativeZero = fused?.keras === true && hasNegativeZero(params.bias)
        lastWeights = weights
      }
      if (kernel.fusesBias) kernel.run(params, batch, xs, ys)
      else {
        ys.fill(0)
        kernel.run(params, batch, xs, ys)
        const bias = params.bias
        if (bias !== undefined) {
          if (!channelsFirst) {
            for (let o = 0; o < ys.length; o += F) for (let f = 0; f < F; f++) ys[o + f] = (ys[o + f] as number) + (bias[f] as number)
          } else {
            for (let n = 0; n < batch; n++) {
              for (let f = 0; f < F; f++) {
                const b = bias[f] as number
                const base = (n * F + f) * plane
                for (let p = 0; p < plane; p++) ys[base + p] = (ys[base + p] as number) + b
              }
            }
          }
        }
      }
      if (fixNegativeZero) {
        for (let i = 0; i < ys.length; i++) if (Object.is(ys[i], -0)) ys[i] = 0
      }
      epilogue(arena.view(), io.output, batch * g.outputSize, io.operands)
    }
  }
}
