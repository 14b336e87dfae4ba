/**
 * `TrainGraph`: a model's lowered graph (src/compiler/Graph.ts, no rewrites: BatchNormalization must
 * stay a layer and Dropout must drop) run in training mode with a tape, and its reverse pass.
 *
 * `run` computes every value of the graph, node by node, each node keeping what its backward needs
 * (its input, its pre-activation value, a dropout mask, BatchNormalization's normalized input);
 * `backward` takes the gradients of the model's outputs and walks the nodes in reverse, adding each
 * node's input gradients into its inputs' and its weight gradients into the params they read. A value
 * read by several nodes (a residual branch) gets the sum of their gradients.
 *
 * Per layer (the node's own arithmetic, then its epilogue stages — the activation lowering moved there):
 * - forward: the layer's own reference implementation (the interpreter's compiled layer, whose Conv2D
 *   runs the fast kernels), except where training differs from inference: BatchNormalization (batch
 *   statistics, moving averages), Dropout / SpatialDropout2D (masks);
 * - backward: src/train/vjp/ (convolution, Dense, pooling, BatchNormalization, activations, merges,
 *   bilinear upsampling) and, for the layers that only move values (padding, cropping, Concatenate,
 *   Reshape, Flatten, nearest upsampling; 1-D, 2-D and 3-D), the scatter of the forward's own gather map.
 * - the convolution family (Conv1D, Conv3D, Conv1D/2D/3DTranspose, SeparableConv1D/2D,
 *   DepthwiseConv1D): forward on compileConvNd, backward on vjp/convFamily.ts (the 2-D fast VJPs on
 *   height-1 views and depth folds; a transposed layer's input gradient is the forward convolution it
 *   is the adjoint of); 1-D / 3-D window pooling on vjp/poolNd.ts, global pooling on pool.ts's.
 *
 * Each op follows its node's spec (class name) and view: the trainer lowers one node per layer, but a
 * graph lowered as the model compiler does (a Conv1D as a Conv2D on the height-1 view, causal padding
 * as the node's extra padding, a separable layer as two nodes) trains to the same result.
 *
 * Memory (src/train/Workspace.ts): the hot ops write their outputs, argmax maps, masks and input
 * gradients into buffers planned per node and batch size and reused by the next run, a node's input
 * gradient becomes its input value's gradient without a copy, and a ReLU / ReLU6 runs in the
 * convolution kernel or in place (its gradient is read off its output). A run's outputs and logits are
 * therefore valid until the graph's next run; the params' gradients and new statistics are fresh.
 * Threads (`kernels.threads`): the convolutions' forward and backward split over the worker pool.
 *
 * Which layers cannot be trained through, and why, is reported by {@link compileTrainGraph}.
 */
import * as E from 'fp-ts/lib/Either.js'
import { quoteText } from '../core/describe.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { viewedGraph, type Graph, type Node, type Stage, type Value } from '../compiler/Graph.js'
import { convSetup } from '../compiler/kernels/ts/conv.js'
import { planesOf } from '../compiler/kernels/ts/padCrop.js'
import { unaryOfActivation, unaryOfRelu, applyUnary, type Unary } from '../compiler/Unary.js'
import type { WeightExpr } from '../compiler/WeightExpr.js'
import { axisPadding } from '../geometry/Padding.js'
import { poolAxis } from '../geometry/Axis.js'
import { convNdGeometry } from '../geometry/ConvNdGeometry.js'
import type { ConvFamilySpec } from '../conv/ConvFamilySpec.js'
import { convParams, pointwiseParams } from '../conv/inferConvFamily.js'
import { compileConvNd } from '../conv/kernel.js'
import { addChannelBias } from '../conv/kernelLayout.js'
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import { prepareKernel, selectKernel } from '../kernel/prepare.js'
import type { PoolingNdSpec } from '../layers/spatial/poolingNd.js'
import { splitShape } from '../layers/spatial/spatialNd.js'
import type { DataFormat } from '../geometry/DataFormat.js'
import { batchNormLayout, type BatchNormalizationSpec } from '../layers/elementwise/batchNormalization.js'
import type { DropoutSpec, SpatialDropout2DSpec } from '../layers/elementwise/dropout.js'
import type { SoftmaxSpec } from '../layers/elementwise/activations.js'
import type { CompiledLayer } from '../layers/LayerKind.js'
import { findLayerKind } from '../model/registry.js'
import { layoutOf } from '../layers/spatial/common.js'
import type { Pooling2DSpec } from '../layers/spatial/pooling.js'
import { bilinearAxis, type UpSampling2DSpec } from '../layers/spatial/UpSampling2D.js'
import { isOperation, type AnyLayerSpec } from '../model/ModelSpec.js'
import type { OperationSpec } from '../ops/OperationSpec.js'
import { bindOperands } from '../ops/OpKind.js'
import { findOpKind } from '../ops/registry.js'
import { opVjp } from './vjp/ops.js'
import type { ModelWeight } from '../model/infer.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import type { Activation } from '../codec/Activation.js'
import { deriveSeed, uint32Stream, uniformStream } from '../numerics/random.js'
import { augmentationOf, augmentImages, drawAugmentation, type AugmentationSpec, type ImageLayout } from './augment.js'
import { batchNormTrain, channelMap } from './vjp/batchNorm.js'
import { compileConvVjp } from './vjp/convFast.js'
import { denseForward, denseVjp } from './vjp/dense.js'
import { gatherForward, gatherVjp, probeAffine, probeGather } from './vjp/gather.js'
import { bilinearVjp, mergeVjp } from './vjp/merge.js'
import { globalPoolVjp, maxPoolArgmax, maxPoolScatter, poolVjp } from './vjp/pool.js'
import { poolNdVjp, type PoolVolume } from './vjp/poolNd.js'
import { compileConvNdVjp } from './vjp/convFamily.js'
import { unaryGradProblem, unaryVjp } from './vjp/unary.js'
import { workspace, type Buffers } from './Workspace.js'
import { loraMerger, loraVjp, type Lora } from '../layers/lora.js'

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** How a forward runs: training mode (dropout, batch statistics) or not, and the random key of its masks. */
export interface RunMode {
  readonly training: boolean
  /** Seeds the dropout masks: the same key gives the same masks. */
  readonly key: number
}

/** A node's backward: the gradients of its inputs and of its weights (in `node.weights` order), `undefined` where none flows. */
type NodeBackward = (dy: FloatArray) => { readonly inputs: ReadonlyArray<FloatArray | undefined>; readonly weights: ReadonlyArray<FloatArray | undefined> }

/** What a node's forward leaves: its output, its backward, and new values of its non-trainable weights. */
interface NodeRun {
  readonly output: FloatArray
  /** The value before a final softmax / sigmoid stage (a logits shortcut for crossentropy losses), and the backward from it. */
  readonly logits?: { readonly kind: 'softmax' | 'sigmoid'; readonly value: FloatArray; readonly backward: NodeBackward }
  readonly backward: NodeBackward
  /** Weight slot (index into `node.weights`) → its value after this call (BatchNormalization's moving statistics). */
  readonly updates?: ReadonlyArray<readonly [number, FloatArray]>
}

/** A node compiled for training: its forward for a batch (inputs, weights in `node.weights` order). */
type NodeOp = (inputs: ReadonlyArray<FloatArray>, weights: ReadonlyArray<FloatArray>, batch: number, mode: RunMode, buf: Buffers) => NodeRun

/**
 * One forward of a {@link TrainGraph}. Its outputs, logits and `backward` read buffers the graph's next
 * run writes: use them before running the graph again.
 */
export interface TrainRun {
  /** The model's outputs (`[batch, ...shape]`). */
  readonly outputs: ReadonlyArray<Tensor>
  /**
   * Per output: the logits before its final softmax / sigmoid, when the model ends in one (Keras's
   * TensorFlow backend computes a crossentropy of such an output from its logits).
   */
  readonly logits: ReadonlyArray<{ readonly kind: 'softmax' | 'sigmoid'; readonly value: FloatArray } | undefined>
  /** Activity-regularizer losses of this forward (Keras 3: each penalty ÷ batch size), summed. */
  readonly activityLoss: number
  /** New values of non-trainable params after this forward (training mode): param index → value. */
  readonly updates: ReadonlyMap<number, FloatArray>
  /**
   * The params' gradients (Float64Array per param, `undefined` for params no gradient reaches) from
   * the gradients of the outputs (`fromLogits[i]`: output i's gradient is w.r.t. its logits).
   */
  readonly backward: (outputGrads: ReadonlyArray<FloatArray>, fromLogits?: ReadonlyArray<boolean>) => ReadonlyArray<Float64Array | undefined>
}

/**
 * A model graph compiled for training: `run(params, inputs, mode)`.
 * @category training
 */
export interface TrainGraph {
  readonly graph: Graph
  readonly run: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, mode: RunMode) => TrainRun
}

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const shapeOf = (g: Graph, v: number): ReadonlyArray<number> => (g.values[v] as Value).shape
const sizeOfValue = (g: Graph, v: number): number => (g.values[v] as Value).size

const toDtype = (dtype: FloatDType, a: ArrayLike<number>): FloatArray => {
  const out = allocate(dtype, a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] as number
  return out
}

/** The reference implementation of a node's own arithmetic for its input shapes and a dtype. */
const referenceLayer = (spec: AnyLayerSpec, inShapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): Result<CompiledLayer> => {
  const kind = findLayerKind(spec.className)
  if (kind === undefined) return E.left([specError('', `no layer kind for class ${quoteText(spec.className)}`)])
  return kind.compile(spec, inShapes, { dtype })
}

const tensorsOf = (xs: ReadonlyArray<FloatArray>, shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number): Tensor[] =>
  xs.map((data, i) => ({ shape: [batch, ...(shapes[i] as ReadonlyArray<number>)], data }))

/** No gradient for any weight. */
const none = (n: number): ReadonlyArray<undefined> => new Array<undefined>(n).fill(undefined)

// -------------------------------------------------------------------------------------
// epilogue stages
// -------------------------------------------------------------------------------------

/**
 * Wraps a node's own op with its epilogue's unary stages (the activation lowering moved there): each
 * stage's input is kept for its backward. A final softmax / sigmoid is offered as logits.
 */
const withStages = (core: NodeOp, stages: ReadonlyArray<Stage>, lastAxis: number, firstApplied = false): NodeOp => {
  if (stages.length === 0) return core
  const fns = stages.map((s) => (s.kind === 'unary' ? s.fn : undefined)).filter((f): f is Unary => f !== undefined)
  const first = fns[0] as Unary
  const firstInPlace = maskFromOutput(first)
  return (inputs, weights, batch, mode, buf) => {
    const r = core(inputs, weights, batch, mode, buf)
    const values: FloatArray[] = [r.output]
    // the first stage may overwrite the op's output when its gradient reads only its own output (ReLU, clamps)
    // and that output is the op's own memory (not a view of an input)
    const inPlace = firstInPlace && !inputs.some((x) => x.buffer === r.output.buffer)
    fns.forEach((fn, k) => {
      const prev = values[values.length - 1] as FloatArray
      if (k === 0 && firstApplied) {
        values.push(prev)
        return
      }
      const next = k === 0 && inPlace ? prev : buf.float(`stage${k}`, prev.length)
      if (next !== prev) next.set(prev)
      applyUnary(fn, next, 0, next.length, lastAxis)
      values.push(next)
    })
    const through = (dy: FloatArray, upTo: number): FloatArray => {
      let d: FloatArray = dy
      for (let k = upTo - 1; k >= 0; k--) {
        const fn = fns[k] as Unary
        // in place: the output gradient is the graph's own (a copy of the caller's, or memory no one reads again)
        d = maskFromOutput(fn) ? outputMaskVjp(fn, values[k + 1] as FloatArray, d, d) : unaryVjp(fn, values[k] as FloatArray, values[k + 1] as FloatArray, d, lastAxis)
      }
      return d
    }
    const last = fns[fns.length - 1] as Unary
    const lastKind = last.kind === 'activation' && (last.name === 'softmax' || last.name === 'sigmoid') ? last.name : undefined
    return {
      output: values[values.length - 1] as FloatArray,
      backward: (dy) => r.backward(through(dy, fns.length)),
      ...(lastKind === undefined ? {} : { logits: { kind: lastKind, value: values[values.length - 2] as FloatArray, backward: (dz: FloatArray) => r.backward(through(dz, fns.length - 1)) } }),
      ...(r.updates === undefined ? {} : { updates: r.updates })
    }
  }
}

/**
 * Whether a function's derivative is read off its output alone: a clamp `[lo, hi]` (ReLU, ReLU6; lo < hi),
 * 1 strictly inside, 0 outside, as x is strictly inside exactly when y is; a leaky ReLU of slope ≥ 0
 * (x > 0 exactly when y > 0 — at slope 0 both sides give 0).
 */
const maskFromOutput = (fn: Unary): boolean => (fn.kind === 'clamp' && fn.lo < fn.hi) || (fn.kind === 'leaky' && fn.slope >= 0)

/** The input gradient of a {@link maskFromOutput} function from its output `y`, into `dx`. */
const outputMaskVjp = (fn: Unary, y: FloatArray, dy: FloatArray, dx: FloatArray): FloatArray => {
  const n = dy.length
  if (fn.kind === 'clamp') {
    const lo = fn.lo
    const hi = fn.hi
    for (let i = 0; i < n; i++) {
      const v = y[i] as number
      dx[i] = v > lo && v < hi ? (dy[i] as number) : 0
    }
  } else if (fn.kind === 'leaky') {
    const slope = fn.slope
    for (let i = 0; i < n; i++) dx[i] = (y[i] as number) > 0 ? (dy[i] as number) : slope * (dy[i] as number)
  } else throw new Error(`layerspec: outputMaskVjp of a ${fn.kind}`)
  return dx
}

/**
 * A kernel layer with Keras 3's LoRA (`lora_rank`): its op runs on the merged kernel
 * `kernel + (alpha / rank)·A·B` (weights `[kernel, bias?, lora_kernel_a, lora_kernel_b]`, the op seeing
 * `[merged, bias?]`), and the merged kernel's gradient becomes A's and B's (the kernel is frozen).
 */
const withLora = (op: NodeOp, lora: Lora, loraAt: number, dtype: FloatDType): NodeOp => {
  const merge = loraMerger(lora, dtype)
  return (inputs, weights, batch, mode, buf) => {
    const a = weights[loraAt] as FloatArray
    const b = weights[loraAt + 1] as FloatArray
    const r = op(inputs, [merge(weights[0] as FloatArray, a, b), ...weights.slice(1, loraAt)], batch, mode, buf)
    const lift = (back: NodeBackward): NodeBackward => (dy) => {
      const d = back(dy)
      const dk = d.weights[0]
      const ab = dk === undefined ? undefined : loraVjp(dk, a, b, lora)
      return { inputs: d.inputs, weights: [undefined, ...d.weights.slice(1, loraAt), ab?.da, ab?.db] }
    }
    return { ...r, backward: lift(r.backward), ...(r.logits === undefined ? {} : { logits: { ...r.logits, backward: lift(r.logits.backward) } }) }
  }
}

// -------------------------------------------------------------------------------------
// node ops
// -------------------------------------------------------------------------------------

/** How the trainer's kernels run: `compileModel`'s backend and threads. */
export interface TrainKernelOptions {
  readonly backend?: 'js' | 'wasm' | 'auto'
  readonly threads?: number
}

/**
 * The forward of a 2-D convolution geometry (explicit paddings) on the fast kernel the model compiler
 * would pick, bias added, then `activation` (a ReLU / ReLU6 clamp the kernel fuses where it can).
 */
const paddedConv = (g: ConvGeometry, dtype: FloatDType, kernels: TrainKernelOptions, activation: 'linear' | 'relu' | 'relu6' = 'linear') => {
  const selected = selectKernel(g, dtype, kernels.backend ?? 'auto')
  // the wasm pointwise kernel pads nothing (as kernels/ts/conv.ts: padded 1×1 windows run the tiled kernel)
  const name = g.padTop + g.padBottom + g.padLeft + g.padRight > 0 && selected === 'wasm-pointwise' ? 'wasm-tiled' : selected
  const kernel = prepareKernel(name, g, { dtype, activation, threads: kernels.threads ?? 1 })
  const clamp: Unary | undefined = activation === 'linear' || kernel.fusesActivation ? undefined : { kind: 'clamp', lo: 0, hi: activation === 'relu' ? Infinity : 6 }
  return (batch: number, x: FloatArray, w: FloatArray, bias: FloatArray | undefined, out: FloatArray): FloatArray => {
    kernel.run({ kernel: w, bias }, batch, x, out)
    if (!kernel.fusesBias && bias !== undefined) addChannelBias(out, batch, g.outHeight * g.outWidth, g.outChannels, g.dataFormat === 'channels_first', bias)
    if (clamp !== undefined) applyUnary(clamp, out, 0, out.length, g.outChannels)
    return out
  }
}

/** Why a layer cannot be trained through (data augmentation, operations, …), or the op. */
const nodeOp = (node: Node, graph: Graph, trainable: (node: Node) => boolean, kernels: TrainKernelOptions): Result<NodeOp> => {
  const dtype = graph.dtype
  const spec = node.spec
  // a node lowered as an equivalent stand-in (a Conv1D as its 2-D self) reads its values in its view's shapes (the same data)
  const viewed = viewedGraph(graph, node)
  const inShapes = node.inputs.map((v) => shapeOf(viewed, v))
  const outShape = shapeOf(viewed, node.output)
  const fail = (message: string): Result<NodeOp> => E.left([specError(node.path, `${spec.className} ${quoteText(node.name)}: ${message}`)])
  if (node.epilogue.stages.some((s) => s.kind !== 'unary')) return fail('a fused residual Add in training (compile the trainer without rewrites)')
  for (const s of node.epilogue.stages) {
    const p = s.kind === 'unary' ? unaryGradProblem(s.fn) : undefined
    if (p !== undefined) return fail(p)
  }
  const lastAxis = outShape.length === 0 ? 1 : (outShape[outShape.length - 1] as number)
  if (isOperation(spec)) return operationOp(node, inShapes, dtype, fail, lastAxis)
  const wShapes = node.weights.map((e) => (e.kind === 'param' ? e.shape : undefined))
  const ref = (): Result<CompiledLayer> => referenceLayer(spec, inShapes, dtype)
  const wrap = (op: Result<NodeOp>): Result<NodeOp> => E.map((o: NodeOp) => withStages(o, node.epilogue.stages, lastAxis))(op)
  const cls = spec.className
  switch (cls) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const setup = convSetup(node, graph)
      if (setup === undefined) return fail('the convolution does not fit its geometry')
      // the linear convolution (its activation is setup.stages' first: lowering moves it there, convSetup reads
      // it from the spec otherwise) on the fast kernel the model compiler would pick, with the trainer's threads
      const g = setup.g
      const useBias = setup.spec.useBias
      // the fast backward (src/train/vjp/convFast.ts), built once per node; a model input needs no gradient
      const vjp = compileConvVjp(g, { dtype, backend: kernels.backend ?? 'auto', threads: kernels.threads ?? 1 })
      const wantsDx = !graph.inputs.includes(node.inputs[0] as number)
      // (g holds any padding lowering added, e.g. a causal Conv1D lowered as a `valid` Conv2D)
      // a leading ReLU / ReLU6 runs in the kernel (its gradient is read off the output)
      const lead = setup.stages[0]
      const fused = lead !== undefined && lead.kind === 'unary' && lead.fn.kind === 'clamp' && lead.fn.lo === 0 && (lead.fn.hi === Infinity || lead.fn.hi === 6) ? (lead.fn.hi === 6 ? 'relu6' : 'relu') : 'linear'
      const forward = paddedConv(g, dtype, kernels, fused)
      const conv: NodeOp = withStages(
        (inputs, weights, batch, _mode, buf) => {
          const x = inputs[0] as FloatArray
          const out = forward(batch, x, weights[0] as FloatArray, useBias ? weights[1] : undefined, buf.float('out', batch * g.outputSize))
          return {
            output: out,
            backward: (dy) => {
              if (!wantsDx) {
                const r = vjp.weightGrads(batch, x, dy, useBias)
                return { inputs: [undefined], weights: useBias ? [r.dw, r.db] : [r.dw] }
              }
              const r = vjp.run(batch, x, weights[0] as FloatArray, dy, useBias)
              return { inputs: [r.dx], weights: useBias ? [r.dw, r.db] : [r.dw] }
            }
          }
        },
        setup.stages,
        lastAxis,
        fused !== 'linear'
      )
      const l = setup.lora
      return E.right(l === undefined ? conv : withLora(conv, { rank: l.loraRank as number, alpha: l.loraAlpha ?? (l.loraRank as number) }, setup.loraAt, dtype))
    }
    case 'Dense': {
      const s = spec as unknown as { readonly useBias: boolean; readonly units: number; readonly loraRank: number | null; readonly loraAlpha: number | null }
      // the op runs on the merged kernel (withLora below): the reference layer without LoRA's weights
      const layer = referenceLayer({ ...spec, loraRank: null, loraAlpha: null } as AnyLayerSpec, inShapes, dtype)
      if (E.isLeft(layer)) return layer
      const inShape = inShapes[0] as ReadonlyArray<number>
      const k = inShape[inShape.length - 1] as number
      const rowsPerSample = sizeOfValue(graph, node.inputs[0] as number) / k
      const ownActivation = (spec as unknown as { readonly activation: Activation }).activation
      if (ownActivation !== 'linear' && unaryOfActivation(ownActivation, spec.dialect) !== undefined) {
        // an activation left in the spec (not lowered to the stages) would need its own backward
        return fail(`the Dense's own activation ${quoteText(ownActivation)} was not moved to its epilogue`)
      }
      const loraOf = (op: NodeOp): NodeOp => (s.loraRank === null ? op : withLora(op, { rank: s.loraRank, alpha: s.loraAlpha ?? s.loraRank }, s.useBias ? 2 : 1, dtype))
      return wrap(
        E.right(loraOf((inputs, weights, batch, _mode, buf) => {
          const x = inputs[0] as FloatArray
          const rows = batch * rowsPerSample
          // the linear part, in a planned buffer (lowering moved the activation to the stages)
          const out = denseForward(rows, k, s.units, x, weights[0] as FloatArray, s.useBias ? weights[1] : undefined, buf.float('out', rows * s.units))
          return {
            output: out,
            backward: (dy) => {
              const r = denseVjp(rows, k, s.units, x, weights[0] as FloatArray, dy, s.useBias, buf.float('dx', rows * k))
              return { inputs: [r.dx], weights: s.useBias ? [r.dw, r.db] : [r.dw] }
            }
          }
        }))
      )
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const p = spec as Pooling2DSpec
      const inL = planesOf(p.dataFormat, inShapes[0] as ReadonlyArray<number>)
      const outL = planesOf(p.dataFormat, outShape)
      if (inL === undefined || outL === undefined) return fail('pooling needs a rank-3 input')
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const win = {
        ph: p.poolSize[0],
        pw: p.poolSize[1],
        sh: p.strides[0],
        sw: p.strides[1],
        top: axisPadding(inL.rows, p.poolSize[0], p.strides[0], 1, p.padding).before,
        left: axisPadding(inL.cols, p.poolSize[1], p.strides[1], 1, p.padding).before
      }
      const inSize = sizeOfValue(graph, node.inputs[0] as number)
      const outSize = sizeOfValue(graph, node.output)
      if (cls === 'MaxPooling2D') {
        // the forward records each window's argmax, the backward scatters to it
        return wrap(
          E.right((inputs, _w, batch, _mode, buf) => {
            const out = buf.float('out', batch * outSize)
            const arg = buf.int('argmax', batch * outSize)
            maxPoolArgmax(batch, inputs[0] as FloatArray, inL, outL, win, out, arg)
            return { output: out, backward: (dy) => ({ inputs: [maxPoolScatter(dy, arg, buf.float('dx', batch * inSize))], weights: [] }) }
          })
        )
      }
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          return {
            output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => ({ inputs: [poolVjp(false, batch, x, inL, dy, outL, win)], weights: [] })
          }
        })
      )
    }
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling2D': {
      const inL = planesOf((spec as unknown as { readonly dataFormat: DataFormat }).dataFormat, inShapes[0] as ReadonlyArray<number>)
      if (inL === undefined) return fail('global pooling needs a rank-3 input')
      const layer = ref()
      if (E.isLeft(layer)) return layer
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          return {
            output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => ({ inputs: [globalPoolVjp(cls === 'GlobalMaxPooling2D', batch, x, inL, dy)], weights: [] })
          }
        })
      )
    }
    case 'BatchNormalization': {
      const s = spec as BatchNormalizationSpec
      if (s.renorm && spec.dialect !== 'keras3') {
        return fail("training with tf.keras 2.x's batch renormalization is not supported (layerspec trains Keras 3's renorm, whose statistics tf.keras updates otherwise); use a Keras 3 file")
      }
      const perSample = inShapes[0] as ReadonlyArray<number>
      const layout = batchNormLayout(s, perSample)
      if (layout === undefined) return fail('the layer does not compile for its input')
      const layer = ref()
      if (E.isLeft(layer)) return layer
      // normalized axes of the per-sample shape
      const map = channelMap(
        perSample,
        layout.axes.map((a) => a - 1)
      )
      const epsilon = layout.fused ? Math.max(s.epsilon, 1.001e-5) : s.epsilon
      const gammaAt = s.scale ? 0 : -1
      const betaAt = s.center ? (s.scale ? 1 : 0) : -1
      const meanAt = (s.scale ? 1 : 0) + (s.center ? 1 : 0)
      const learns = trainable(node)
      return wrap(
        E.right((inputs, weights, batch, mode, buf) => {
          const x = inputs[0] as FloatArray
          const gamma = gammaAt >= 0 ? (weights[gammaAt] as FloatArray) : undefined
          const beta = betaAt >= 0 ? (weights[betaAt] as FloatArray) : undefined
          const mean = weights[meanAt] as FloatArray
          const variance = weights[meanAt + 1] as FloatArray
          const into = { y: buf.float('out', x.length), xhat: buf.float('xhat', x.length), dx: buf.float('dx', x.length) }
          if (mode.training && learns && s.renorm) return renormTrain(batch, x, map, weights, gammaAt, betaAt, meanAt, s, epsilon, dtype, into)
          if (mode.training && learns) {
            const f = batchNormTrain(batch, x, map, gamma, beta, mean, variance, s.momentum, epsilon, layout.fused, into)
            return {
              output: f.y,
              updates: [
                [meanAt, toDtype(dtype, f.movingMean)],
                [meanAt + 1, toDtype(dtype, f.movingVariance)]
              ],
              backward: (dy) => {
                const b = f.backward(dy)
                const w: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(weights.length).fill(undefined)
                if (gammaAt >= 0) w[gammaAt] = b.dgamma
                if (betaAt >= 0) w[betaAt] = b.dbeta
                return { inputs: [b.dx], weights: w }
              }
            }
          }
          // inference: a per-channel affine of the moving statistics
          const out = layer.right.forward(weights.map((w, i) => ({ shape: wShapes[i] ?? [w.length], data: w })), tensorsOf(inputs, inShapes, batch)).data
          return {
            output: out,
            backward: (dy) => {
              const C = map.channels
              const inv = new Float64Array(C)
              for (let c = 0; c < C; c++) inv[c] = 1 / Math.sqrt((variance[c] as number) + epsilon)
              const size = map.of.length
              const dx = new Float64Array(dy.length)
              const dgamma = new Float64Array(C)
              const dbeta = new Float64Array(C)
              for (let n = 0; n < batch; n++) {
                for (let e = 0; e < size; e++) {
                  const c = map.of[e] as number
                  const i = n * size + e
                  const d = dy[i] as number
                  dx[i] = d * (gamma === undefined ? 1 : (gamma[c] as number)) * (inv[c] as number)
                  dgamma[c] = (dgamma[c] as number) + d * ((x[i] as number) - (mean[c] as number)) * (inv[c] as number)
                  dbeta[c] = (dbeta[c] as number) + d
                }
              }
              const w: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(weights.length).fill(undefined)
              if (gammaAt >= 0) w[gammaAt] = dgamma
              if (betaAt >= 0) w[betaAt] = dbeta
              return { inputs: [dx], weights: w }
            }
          }
        })
      )
    }
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU': {
      const a = spec as unknown as { readonly activation: Parameters<typeof unaryOfActivation>[0]; readonly negativeSlope: number; readonly maxValue: number | null; readonly threshold: number }
      const fn: Unary | undefined =
        cls === 'Activation' ? unaryOfActivation(a.activation, spec.dialect) : cls === 'ReLU' ? unaryOfRelu(a.negativeSlope, a.maxValue, a.threshold) : { kind: 'leaky', slope: a.negativeSlope }
      if (fn !== undefined) {
        const p = unaryGradProblem(fn)
        if (p !== undefined) return fail(p)
      }
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const logitsKind = fn !== undefined && fn.kind === 'activation' && (fn.name === 'softmax' || fn.name === 'sigmoid') ? fn.name : undefined
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          const y = layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data
          const pass: NodeBackward = (dz) => ({ inputs: [Float64Array.from(dz)], weights: [] })
          return {
            output: y,
            backward: (dy) => ({ inputs: [fn === undefined ? Float64Array.from(dy) : unaryVjp(fn, x, y, dy, lastAxis)], weights: [] }),
            ...(logitsKind === undefined ? {} : { logits: { kind: logitsKind, value: x, backward: pass } })
          }
        })
      )
    }
    case 'Softmax': {
      const s = spec as SoftmaxSpec
      const rank = outShape.length + 1
      const axes = s.axis.map((a) => (a < 0 ? a + rank : a))
      if (axes.length !== 1 || (axes[0] as number) < 1) return fail('training through a Softmax over several axes is not supported yet')
      const axis = (axes[0] as number) - 1
      const inner = outShape.slice(axis + 1).reduce((p, d) => p * d, 1)
      const len = outShape[axis] as number
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const isLast = axis === outShape.length - 1
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          const y = layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data
          return {
            output: y,
            backward: (dy) => {
              const dx = new Float64Array(dy.length)
              const outer = dy.length / (len * inner)
              for (let o = 0; o < outer; o++) {
                for (let q = 0; q < inner; q++) {
                  const base = o * len * inner + q
                  let dot = 0
                  for (let j = 0; j < len; j++) dot += (dy[base + j * inner] as number) * (y[base + j * inner] as number)
                  for (let j = 0; j < len; j++) dx[base + j * inner] = (y[base + j * inner] as number) * ((dy[base + j * inner] as number) - dot)
                }
              }
              return { inputs: [dx], weights: [] }
            },
            ...(isLast ? { logits: { kind: 'softmax' as const, value: x, backward: (dz: FloatArray) => ({ inputs: [Float64Array.from(dz)], weights: [] }) } } : {})
          }
        })
      )
    }
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum': {
      if (inShapes.some((sh) => sh.length !== outShape.length || sh.some((d, i) => d !== outShape[i]))) return fail('training a merge of inputs that broadcast is not supported yet')
      const layer = ref()
      if (E.isLeft(layer)) return layer
      return wrap(
        E.right((inputs, _w, batch) => ({
          output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
          backward: (dy) => ({ inputs: mergeVjp(cls, inputs, dy), weights: [] })
        }))
      )
    }
    case 'UpSampling2D': {
      const s = spec as UpSampling2DSpec
      if (s.interpolation === 'bilinear') {
        const layer = ref()
        if (E.isLeft(layer)) return layer
        const inL = layoutOf(s.dataFormat, inShapes[0] as ReadonlyArray<number>)
        const outL = layoutOf(s.dataFormat, outShape)
        const rows = bilinearAxis(inL.rows, s.size[0])
        const cols = bilinearAxis(inL.cols, s.size[1])
        return wrap(
          E.right((inputs, _w, batch) => ({
            output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => ({ inputs: [bilinearVjp(batch, dy, rows, cols, inL.channels, inL, outL)], weights: [] })
          }))
        )
      }
      return gatherOp(node, graph, inShapes, fail, wrap)
    }
    case 'Conv1D':
    case 'Conv3D':
    case 'Conv1DTranspose':
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
    case 'SeparableConv1D':
    case 'SeparableConv2D':
    case 'DepthwiseConv1D':
      return convFamilyOp(node, graph, kernels, fail, lastAxis)
    case 'MaxPooling1D':
    case 'AveragePooling1D':
    case 'MaxPooling3D':
    case 'AveragePooling3D': {
      const p = spec as PoolingNdSpec
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const cf = p.dataFormat === 'channels_first'
      const lead = <A>(xs: ReadonlyArray<A>, unit: A): readonly [A, A, A] => [...new Array<A>(3 - xs.length).fill(unit), ...xs] as unknown as readonly [A, A, A]
      const volume = (shape: ReadonlyArray<number>): PoolVolume => {
        const { spatial, channels } = splitShape(p.dataFormat, shape)
        return { spatial: lead(spatial, 1), channels, channelsFirst: cf }
      }
      const inSpatial = splitShape(p.dataFormat, inShapes[0] as ReadonlyArray<number>).spatial
      const before = inSpatial.map((n, i) => poolAxis(n, p.poolSize[i] as number, p.strides[i] as number, p.padding).before)
      const win = { size: lead(p.poolSize as ReadonlyArray<number>, 1), strides: lead(p.strides as ReadonlyArray<number>, 1), before: lead(before, 0) }
      const inV = volume(inShapes[0] as ReadonlyArray<number>)
      const outV = volume(outShape)
      const max = cls.startsWith('Max')
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          return {
            output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => ({ inputs: [poolNdVjp(max, batch, x, inV, dy, outV, win)], weights: [] })
          }
        })
      )
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling3D':
    case 'GlobalMaxPooling3D': {
      const format = (spec as unknown as { readonly dataFormat: DataFormat }).dataFormat
      const { spatial, channels } = splitShape(format, inShapes[0] as ReadonlyArray<number>)
      const pixels = spatial.reduce((a, b) => a * b, 1)
      // the spatial axes flattened into one row of pixels
      const inL = format === 'channels_first' ? { planes: channels, rows: 1, cols: pixels, pixel: 1 } : { planes: 1, rows: 1, cols: pixels, pixel: channels }
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const max = cls.startsWith('GlobalMax')
      return wrap(
        E.right((inputs, _w, batch) => {
          const x = inputs[0] as FloatArray
          return {
            output: layer.right.forward([], tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => ({ inputs: [globalPoolVjp(max, batch, x, inL, dy)], weights: [] })
          }
        })
      )
    }
    case 'UpSampling1D':
    case 'UpSampling3D':
    case 'ZeroPadding1D':
    case 'ZeroPadding3D':
    case 'Cropping1D':
    case 'Cropping3D':
    case 'ZeroPadding2D':
    case 'Cropping2D':
    case 'Concatenate':
    case 'Reshape':
    case 'Flatten':
      return gatherOp(node, graph, inShapes, fail, wrap)
    case 'Rescaling':
    case 'Normalization': {
      const layer = ref()
      if (E.isLeft(layer)) return layer
      const probe = referenceLayer(spec, inShapes, 'float64')
      if (E.isLeft(probe)) return probe
      return wrap(
        E.right((inputs, weights, batch) => {
          const ws = weights.map((w, i) => ({ shape: wShapes[i] ?? [w.length], data: w }))
          const slope = probeAffine(probe.right, inShapes[0] as ReadonlyArray<number>, ws.map((w) => ({ shape: w.shape, data: Float64Array.from(w.data) })))
          if (slope === undefined) throw new Error(`layerspec: ${cls} ${node.name} is not elementwise affine`)
          return {
            output: layer.right.forward(ws, tensorsOf(inputs, inShapes, batch)).data,
            backward: (dy) => {
              const dx = new Float64Array(dy.length)
              const k = slope.length
              for (let i = 0; i < dy.length; i++) dx[i] = (dy[i] as number) * (slope[i % k] as number)
              return { inputs: [dx], weights: none(weights.length) }
            }
          }
        })
      )
    }
    case 'Dropout':
    case 'SpatialDropout2D':
      return wrap(E.right(dropoutOp(node, inShapes[0] as ReadonlyArray<number>, dtype)))
    case 'RandomFlip':
    case 'RandomRotation':
    case 'RandomZoom':
    case 'RandomTranslation':
    case 'RandomContrast':
    case 'RandomBrightness':
      return augmentOp(node, inShapes[0] as ReadonlyArray<number>, dtype, fail, wrap)
    default:
      if (cls.startsWith('Random')) {
        return fail('training through this random augmentation layer is not supported (tf.keras 2.x\'s RandomHeight / RandomWidth change the image size at random in training); augment the data before fit, or remove the layer for training')
      }
      return fail('layerspec has no gradient for this layer yet')
  }
}

/**
 * Keras 3's batch renormalization in training (`BatchNormalization(renorm=True)`): with the batch's
 * mean μ and variance σ², σ = √(σ² + ε) and the renorm statistics (μ_r, σ_r ← max(σ_r, √ε)), the
 * corrections `r = σ/σ_r`, `d = (μ − μ_r)/σ_r` (clipped by `renorm_clipping`, and constants for the
 * gradient) turn γ, β into `r·γ`, `d·γ + β` for the batch-normalized output; then μ_r, σ_r move by
 * `renorm_momentum`, the moving mean and moving stddev by `momentum`, and the moving variance becomes
 * `relu(stddev² − ε)`. Weights: [γ?, β?, moving_mean, moving_variance, moving_stddev, renorm_mean,
 * renorm_stddev].
 */
const renormTrain = (
  batch: number,
  x: FloatArray,
  map: { readonly channels: number; readonly of: Int32Array },
  weights: ReadonlyArray<FloatArray>,
  gammaAt: number,
  betaAt: number,
  meanAt: number,
  s: BatchNormalizationSpec,
  epsilon: number,
  dtype: FloatDType,
  into: { readonly y: FloatArray; readonly xhat: FloatArray; readonly dx: FloatArray }
): NodeRun => {
  const C = map.channels
  const size = map.of.length
  const mean = new Float64Array(C)
  const variance = new Float64Array(C)
  const count = new Float64Array(C)
  for (let n = 0; n < batch; n++) {
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      mean[c] = (mean[c] as number) + (x[n * size + e] as number)
      count[c] = (count[c] as number) + 1
    }
  }
  for (let c = 0; c < C; c++) mean[c] = (mean[c] as number) / (count[c] as number)
  for (let n = 0; n < batch; n++) {
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      const v = (x[n * size + e] as number) - (mean[c] as number)
      variance[c] = (variance[c] as number) + v * v
    }
  }
  for (let c = 0; c < C; c++) variance[c] = (variance[c] as number) / (count[c] as number)
  const gamma = gammaAt >= 0 ? (weights[gammaAt] as FloatArray) : undefined
  const beta = betaAt >= 0 ? (weights[betaAt] as FloatArray) : undefined
  const [movingMean, , movingStddev, renormMean, renormStddev] = [0, 1, 2, 3, 4].map((k) => weights[meanAt + k] as FloatArray) as [FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
  const clip = s.renormClipping
  const r = new Float64Array(C)
  const d = new Float64Array(C)
  const stddev = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    stddev[c] = Math.sqrt((variance[c] as number) + epsilon)
    const rs = Math.max(renormStddev[c] as number, Math.sqrt(epsilon))
    let rc = (stddev[c] as number) / rs
    let dc = ((mean[c] as number) - (renormMean[c] as number)) / rs
    if (clip?.rmin !== null && clip?.rmin !== undefined) rc = Math.max(rc, clip.rmin)
    if (clip?.rmax !== null && clip?.rmax !== undefined) rc = Math.min(rc, clip.rmax)
    if (clip?.dmax !== null && clip?.dmax !== undefined) dc = Math.min(Math.max(dc, -clip.dmax), clip.dmax)
    r[c] = rc
    d[c] = dc
  }
  const gammaEff = Float64Array.from({ length: C }, (_, c) => (r[c] as number) * (gamma === undefined ? 1 : (gamma[c] as number)))
  const betaEff = Float64Array.from({ length: C }, (_, c) => (d[c] as number) * (gamma === undefined ? 1 : (gamma[c] as number)) + (beta === undefined ? 0 : (beta[c] as number)))
  // the batch-normalized output with the composed scale and offset (its moving updates are not renorm's)
  const f = batchNormTrain(batch, x, map, gammaEff, betaEff, movingMean, weights[meanAt + 1] as FloatArray, s.momentum, epsilon, false, into)
  const m = s.momentum
  const mr = s.renormMomentum
  const moved = (old: FloatArray, value: Float64Array, momentum: number): FloatArray =>
    toDtype(
      dtype,
      Float64Array.from({ length: C }, (_, c) => (old[c] as number) * momentum + (value[c] as number) * (1 - momentum))
    )
  const newStddev = moved(movingStddev, stddev, m)
  return {
    output: f.y,
    updates: [
      [meanAt, moved(movingMean, mean, m)],
      [meanAt + 1, toDtype(dtype, Float64Array.from(newStddev, (v) => Math.max(v * v - epsilon, 0)))],
      [meanAt + 2, newStddev],
      [meanAt + 3, moved(renormMean, mean, mr)],
      [meanAt + 4, moved(renormStddev, stddev, mr)]
    ],
    backward: (dy) => {
      const b = f.backward(dy)
      const w: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(weights.length).fill(undefined)
      // γ_eff = r·γ, β_eff = d·γ + β (r, d constants): ∂L/∂γ = r·∂L/∂γ_eff + d·∂L/∂β_eff
      if (gammaAt >= 0) w[gammaAt] = Float64Array.from({ length: C }, (_, c) => (r[c] as number) * (b.dgamma[c] as number) + (d[c] as number) * (b.dbeta[c] as number))
      if (betaAt >= 0) w[betaAt] = b.dbeta
      return { inputs: [b.dx], weights: w }
    }
  }
}

/**
 * A convolution-family member (Conv1D, Conv3D, Conv1D/2D/3DTranspose, SeparableConv1D/2D,
 * DepthwiseConv1D): the forward on the family's kernels (compileConvNd; a separable layer keeps its
 * depthwise result for the backward), the backward on their fast VJPs (vjp/convFamily.ts; a separable
 * layer's pointwise VJP, then its depthwise one on the pointwise part's input gradient). The layer's
 * own activation runs as the first epilogue stage (whether lowering moved it there or left it in the
 * spec), so the kernels compute the linear convolution.
 */
const convFamilyOp = (node: Node, graph: Graph, kernels: TrainKernelOptions, fail: (message: string) => Result<NodeOp>, lastAxis: number): Result<NodeOp> => {
  const spec = node.spec as unknown as ConvFamilySpec
  const dtype = graph.dtype
  const gE = convNdGeometry(convParams(spec), shapeOf(graph, node.inputs[0] as number))
  if (E.isLeft(gE)) return gE
  const g = gE.right
  const pointwiseE = spec.kind === 'separable' ? convNdGeometry(pointwiseParams(spec), g.outputShape) : undefined
  if (pointwiseE !== undefined && E.isLeft(pointwiseE)) return pointwiseE
  const own = unaryOfActivation(spec.activation, spec.dialect)
  const problem = own === undefined ? undefined : unaryGradProblem(own)
  if (problem !== undefined) return fail(problem)
  const stages: ReadonlyArray<Stage> = own === undefined ? node.epilogue.stages : [{ kind: 'unary', fn: own }, ...node.epilogue.stages]
  const options = { dtype, backend: kernels.backend ?? 'auto', threads: kernels.threads ?? 1 }
  const wantsDx = !graph.inputs.includes(node.inputs[0] as number)
  const useBias = spec.useBias
  const first = compileConvNd(g, options)
  const firstVjp = compileConvNdVjp(g, options)
  if (pointwiseE !== undefined) {
    const g2 = pointwiseE.right
    const second = compileConvNd(g2, options)
    const secondVjp = compileConvNdVjp(g2, options)
    return E.right(
      withStages(
        (inputs, weights, batch, _mode, buf) => {
          const x = inputs[0] as FloatArray
          const z = buf.float('depthwise', batch * g.outputSize)
          first.run(batch, x, weights[0] as FloatArray, undefined, z)
          const y = buf.float('out', batch * g2.outputSize)
          second.run(batch, z, weights[1] as FloatArray, useBias ? weights[2] : undefined, y)
          return {
            output: y,
            backward: (dy) => {
              const p = secondVjp.run(batch, z, weights[1] as FloatArray, dy, true, useBias)
              const d = firstVjp.run(batch, x, weights[0] as FloatArray, p.dx as FloatArray, wantsDx, false)
              return { inputs: [d.dx], weights: useBias ? [d.dw, p.dw, p.db] : [d.dw, p.dw] }
            }
          }
        },
        stages,
        lastAxis
      )
    )
  }
  const single: NodeOp = withStages(
    (inputs, weights, batch, _mode, buf) => {
      const x = inputs[0] as FloatArray
      const y = buf.float('out', batch * g.outputSize)
      first.run(batch, x, weights[0] as FloatArray, useBias ? weights[1] : undefined, y)
      return {
        output: y,
        backward: (dy) => {
          const r = firstVjp.run(batch, x, weights[0] as FloatArray, dy, wantsDx, useBias)
          return { inputs: [r.dx], weights: useBias ? [r.dw, r.db] : [r.dw] }
        }
      }
    },
    stages,
    lastAxis
  )
  return E.right(spec.kind === 'conv' && spec.loraRank !== null ? withLora(single, { rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }, useBias ? 2 : 1, dtype) : single)
}

/** The op of a layer that only moves values: its forward, and the scatter of its gather map. */
const gatherOp = (
  node: Node,
  graph: Graph,
  inShapes: ReadonlyArray<ReadonlyArray<number>>,
  fail: (message: string) => Result<NodeOp>,
  wrap: (op: Result<NodeOp>) => Result<NodeOp>
): Result<NodeOp> => {
  const layer = referenceLayer(node.spec, inShapes, graph.dtype)
  const probe = referenceLayer(node.spec, inShapes, 'float64')
  if (E.isLeft(layer)) return layer
  if (E.isLeft(probe)) return probe
  const map = probeGather(probe.right, inShapes, [])
  if (map === undefined) return fail('the layer does not only move values (no gather map)')
  const sizes = node.inputs.map((v) => sizeOfValue(graph, v))
  const outSize = sizeOfValue(graph, node.output)
  // forward and backward through the gather map, in planned buffers
  return wrap(
    E.right((inputs, _w, batch, _mode, buf) => ({
      output: gatherForward(map, sizes, batch, inputs, buf.float('out', batch * outSize)),
      backward: (dy) => ({ inputs: gatherVjp(map, sizes, batch, dy, sizes.map((n, i) => buf.float(`dx${i}`, batch * n))), weights: [] })
    }))
  )
}

/**
 * A Keras 3 operation node (`keras.src.ops.*`): the forward on the operation's own kernel, the backward
 * from src/train/vjp/ops.ts (TensorFlow's gradient conventions); an operation without one is refused.
 */
const operationOp = (node: Node, inShapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType, fail: (message: string) => Result<NodeOp>, lastAxis: number): Result<NodeOp> => {
  const spec = node.spec as OperationSpec
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined || node.operands === undefined) return fail('no such operation')
  const bound = bindOperands(kind, node.operands, inShapes, node.path)
  if (E.isLeft(bound)) return bound
  const forward = kind.compile(spec.args, bound.right, { dtype })
  if (E.isLeft(forward)) return forward
  const probe = kind.compile(spec.args, bound.right, { dtype: 'float64' })
  if (E.isLeft(probe)) return probe
  const back = opVjp(spec.className, spec.args as Readonly<Record<string, unknown>>, bound.right, probe.right, node.inputs.length)
  if (E.isLeft(back)) return fail(`training through this operation is not supported: ${back.left}`)
  return E.right(
    withStages(
      (inputs, _w, batch) => {
        const y = forward.right.run(inputs.map((data, i) => ({ shape: [batch, ...(inShapes[i] as ReadonlyArray<number>)], data }))).data as FloatArray
        return { output: y, backward: (dy) => ({ inputs: back.right(inputs, y, dy, batch), weights: [] }) }
      },
      node.epilogue.stages,
      lastAxis
    )
  )
}

/**
 * Keras 3's image augmentation layers (src/train/augment.ts): in training, a random transform per image
 * drawn from the run's key and the node (Keras's own random stream cannot be reproduced), its backward
 * exact; outside training, the identity. tf.keras 2.x's versions of these layers draw and transform
 * otherwise (independent flips per axis, its own rotation convention): refused.
 */
const augmentOp = (
  node: Node,
  perSample: ReadonlyArray<number>,
  dtype: FloatDType,
  fail: (message: string) => Result<NodeOp>,
  wrap: (op: Result<NodeOp>) => Result<NodeOp>
): Result<NodeOp> => {
  const spec = node.spec as unknown as AugmentationSpec & { readonly dataFormat: DataFormat; readonly dialect: string }
  if (node.spec.dialect !== 'keras3') {
    return fail("training through tf.keras 2.x's augmentation layers is not supported (layerspec trains them as Keras 3 does, and tf.keras 2.x draws and transforms otherwise); augment the data before fit, or use a Keras 3 file")
  }
  if (perSample.length !== 3) return fail(`expected images (a rank-3 value per sample), found a value of shape ${JSON.stringify(perSample)}`)
  const cf = spec.dataFormat === 'channels_first'
  const layout: ImageLayout = cf
    ? { rows: perSample[1] as number, cols: perSample[2] as number, channels: perSample[0] as number, channelsFirst: true }
    : { rows: perSample[0] as number, cols: perSample[1] as number, channels: perSample[2] as number, channelsFirst: false }
  return wrap(
    E.right((inputs, _w, batch, mode, buf) => {
      const x = inputs[0] as FloatArray
      if (!mode.training) {
        const out = buf.float('out', x.length)
        out.set(x)
        return { output: out, backward: (dy) => ({ inputs: [Float64Array.from(dy)], weights: [] }) }
      }
      const draws = drawAugmentation(spec, batch, layout, uniformStream(deriveSeed(mode.key, `augment/${node.id}`)))
      const pixels = batch * layout.rows * layout.cols
      const out = buf.float('out', x.length)
      const back = augmentImages(augmentationOf(spec, layout, draws), batch, layout, x, out, { at: buf.int('at', 4 * pixels), w: buf.float('w', 4 * pixels) }, dtype)
      return { output: out, backward: (dy) => ({ inputs: [back(dy, buf.float('dx', dy.length))], weights: [] }) }
    })
  )
}

/**
 * Dropout / SpatialDropout2D: in training, inverted dropout (keep with probability 1 − rate, kept
 * values × 1/(1 − rate), the factor rounded to the dtype as Keras's TensorFlow backend does; rate 1
 * drops everything), the mask drawn from the run's key and the node; `noise_shape` (batch axis
 * first) broadcasts the mask; SpatialDropout2D drops whole channels. Outside training: the identity.
 */
const dropoutOp = (node: Node, perSample: ReadonlyArray<number>, dtype: FloatDType): NodeOp => {
  const spec = node.spec as DropoutSpec | SpatialDropout2DSpec
  const rate = spec.rate
  const size = perSample.reduce((a, b) => a * b, 1)
  // the mask's shape per sample (1 where it broadcasts) and whether the batch axis broadcasts
  let maskShape: ReadonlyArray<number> = perSample
  let perBatch = true
  if (spec.className === 'SpatialDropout2D') {
    maskShape = spec.dataFormat === 'channels_first' ? [perSample[0] as number, 1, 1] : [1, 1, perSample[2] as number]
  } else if (spec.noiseShape !== null && spec.noiseShape.length === perSample.length + 1) {
    perBatch = spec.noiseShape[0] !== 1
    maskShape = perSample.map((d, i) => {
      const m = spec.noiseShape?.[i + 1]
      return m === null || m === undefined ? d : m
    })
  }
  const maskSize = maskShape.reduce((a, b) => a * b, 1)
  // element → mask element
  const strides = maskShape.map((_, i) => maskShape.slice(i + 1).reduce((a, b) => a * b, 1))
  const maskOf = new Int32Array(size)
  const coord = perSample.map(() => 0)
  for (let e = 0; e < size; e++) {
    let m = 0
    for (let a = 0; a < perSample.length; a++) m += ((maskShape[a] as number) === 1 ? 0 : (coord[a] as number)) * (strides[a] as number)
    maskOf[e] = m
    for (let a = perSample.length - 1; a >= 0; a--) {
      coord[a] = (coord[a] as number) + 1
      if ((coord[a] as number) < (perSample[a] as number)) break
      coord[a] = 0
    }
  }
  const scale = rate >= 1 ? 0 : dtype === 'float32' ? Math.fround(1 / (1 - rate)) : 1 / (1 - rate)
  // the mask covers every element (no broadcast): the mask is read elementwise
  const full = perBatch && maskSize === size
  /** `to = from ⊙ mask` (the mask broadcast as the layer says). */
  const times = (from: FloatArray, masks: FloatArray, batch: number, to: FloatArray): FloatArray => {
    if (full) for (let i = 0; i < to.length; i++) to[i] = (from[i] as number) * (masks[i] as number)
    else {
      for (let n = 0; n < batch; n++) {
        const m0 = perBatch ? n * maskSize : 0
        for (let e = 0; e < size; e++) to[n * size + e] = (from[n * size + e] as number) * (masks[m0 + (maskOf[e] as number)] as number)
      }
    }
    return to
  }
  return (inputs, _w, batch, mode, buf) => {
    const x = inputs[0] as FloatArray
    if (!mode.training || rate === 0) return { output: x.slice(), backward: (dy) => ({ inputs: [Float64Array.from(dy)], weights: [] }) }
    // one uint32 per mask element: kept when the draw is ≥ rate·2³² (probability 1 − rate, to 2⁻³²)
    const u32 = uint32Stream(deriveSeed(mode.key, `dropout/${node.id}`))
    const masks = buf.float('mask', (perBatch ? batch : 1) * maskSize)
    const cut = rate * 4294967296
    for (let i = 0; i < masks.length; i++) masks[i] = rate >= 1 ? 0 : u32() >= cut ? scale : 0
    return {
      output: times(x, masks, batch, buf.float('out', x.length)),
      backward: (dy) => ({ inputs: [times(dy, masks, batch, buf.float('dx', dy.length))], weights: [] })
    }
  }
}

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

/** The params index a node's weight reads (the trainer compiles without rewrites: every weight is a param). */
const paramIndex = (e: WeightExpr): number | undefined => (e.kind === 'param' ? e.index : undefined)

/**
 * Compiles a lowered graph (compiled without rewrites) for training; `weights` are the model's weights
 * in params order (their `trainable` flags decide which layers run BatchNormalization in training
 * mode). Every layer that cannot be trained through is reported, with its path.
 * @category training
 */
export const compileTrainGraph = (graph: Graph, weights: ReadonlyArray<ModelWeight>, kernels: TrainKernelOptions = {}): Result<TrainGraph> => {
  const errors: SpecError[] = []
  const ops: NodeOp[] = []
  const trainable = (node: Node): boolean => {
    // a layer's weights tell whether it and every model around it are trainable (`frozen`), also when
    // none of them is trained by nature (a BatchNormalization without center and scale)
    const first = node.weights.map(paramIndex).find((i): i is number => i !== undefined)
    return first === undefined ? node.spec.trainable : weights[first]?.frozen !== true
  }
  for (const node of graph.nodes) {
    if (node.weights.some((e) => paramIndex(e) === undefined)) {
      errors.push(specError(node.path, `${node.spec.className} ${quoteText(node.name)}: a rewritten weight in training (compile the trainer without rewrites)`))
      continue
    }
    if (node.kind === 'alias' || node.kind === 'identity') {
      // views and inference identities still need their training meaning
    }
    const op = nodeOp(node, graph, trainable, kernels)
    if (E.isLeft(op)) errors.push(...op.left)
    else ops.push(op.right)
  }
  if (errors.length > 0) return E.left(errors)
  const dtype = graph.dtype
  const activity = graph.nodes.map((n) => (n.spec as { readonly activityRegularizer?: { readonly l1: number; readonly l2: number } | null }).activityRegularizer ?? null)

  const plan = workspace(graph.dtype)
  const run = (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, mode: RunMode): TrainRun => {
    const batch = (inputs[0] as Tensor).shape[0] as number
    const buffers = plan.forBatch(batch)
    const values: Array<FloatArray | undefined> = new Array<FloatArray | undefined>(graph.values.length).fill(undefined)
    graph.inputs.forEach((v, i) => (values[v] = (inputs[i] as Tensor).data))
    const runs: NodeRun[] = []
    const updates = new Map<number, FloatArray>()
    let activityLoss = 0
    const activityGrads = new Map<number, Float64Array>()
    graph.nodes.forEach((node, i) => {
      const ins = node.inputs.map((v) => values[v] as FloatArray)
      const ws = node.weights.map((e) => (params[paramIndex(e) as number] as Tensor).data)
      const r = (ops[i] as NodeOp)(ins, ws, batch, mode, buffers(i))
      runs.push(r)
      values[node.output] = r.output
      for (const [slot, value] of r.updates ?? []) updates.set(paramIndex(node.weights[slot] as WeightExpr) as number, value)
      const reg = activity[i]
      if (reg !== null && reg !== undefined && (reg.l1 !== 0 || reg.l2 !== 0)) {
        // Keras 3 (≥ 3.14) and tf.keras: the activity penalty divided by the batch size
        let p = 0
        const g = new Float64Array(r.output.length)
        for (let k = 0; k < r.output.length; k++) {
          const y = r.output[k] as number
          p += reg.l1 * Math.abs(y) + reg.l2 * y * y
          g[k] = (reg.l1 * Math.sign(y) + 2 * reg.l2 * y) / batch
        }
        activityLoss += p / batch
        activityGrads.set(i, g)
      }
    })
    const outputs = graph.outputs.map((v) => ({ shape: [batch, ...shapeOf(graph, v)], data: values[v] as FloatArray }))
    const producer = new Map<number, number>()
    graph.nodes.forEach((n, i) => producer.set(n.output, i))
    const logits = graph.outputs.map((v) => {
      const p = producer.get(v)
      const l = p === undefined ? undefined : (runs[p] as NodeRun).logits
      return l === undefined ? undefined : { kind: l.kind, value: l.value }
    })
    return {
      outputs,
      logits,
      activityLoss,
      updates,
      backward: (outputGrads, fromLogits = []) => {
        const grads: Array<FloatArray | undefined> = new Array<FloatArray | undefined>(graph.values.length).fill(undefined)
        const viaLogits = new Set<number>()
        // a node's input gradient becomes the value's gradient as it is (its memory is the node's, read by no
        // one else: by the time a later-processed node adds into it, its producer's backward is done), unless it
        // was adopted already (an Add hands one array to both inputs) or is the caller's (the outputs' gradients)
        const adopted = new Set<FloatArray>()
        const add = (v: number, g: FloatArray, own: boolean): void => {
          const cur = grads[v]
          if (cur === undefined) {
            if (own && !adopted.has(g)) {
              adopted.add(g)
              grads[v] = g
            } else grads[v] = Float64Array.from(g)
          } else for (let k = 0; k < g.length; k++) cur[k] = (cur[k] as number) + (g[k] as number)
        }
        graph.outputs.forEach((v, i) => {
          if (fromLogits[i] === true) {
            viaLogits.add(v)
            // the logits' gradient: the node's logits backward takes it (the output value itself gets none)
            const p = producer.get(v)
            if (p === undefined || (runs[p] as NodeRun).logits === undefined) throw new Error('layerspec: an output without logits was given a logits gradient')
          }
          add(v, outputGrads[i] as FloatArray, false)
        })
        const paramGrads: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(params.length).fill(undefined)
        for (let i = graph.nodes.length - 1; i >= 0; i--) {
          const node = graph.nodes[i] as Node
          const r = runs[i] as NodeRun
          const act = activityGrads.get(i)
          if (act !== undefined) add(node.output, act, true)
          const dy = grads[node.output]
          if (dy === undefined) continue
          const back = viaLogits.has(node.output) && r.logits !== undefined ? r.logits.backward : r.backward
          const d = back(dy)
          node.inputs.forEach((v, k) => {
            const g = d.inputs[k]
            if (g !== undefined) add(v, g as FloatArray, true)
          })
          node.weights.forEach((e, k) => {
            const g = d.weights[k]
            const p = paramIndex(e) as number
            if (g === undefined) return
            const cur = paramGrads[p]
            if (cur === undefined) paramGrads[p] = Float64Array.from(g)
            else for (let j = 0; j < g.length; j++) cur[j] = (cur[j] as number) + (g[j] as number)
          })
        }
        return paramGrads
      }
    }
  }
  void dtype
  return E.right({ graph, run })
}
