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
import { viewedGraph, type Graph, type Node } from '../compiler/Graph.js'
import { convSetup } from '../compiler/kernels/ts/conv.js'
import { planesOf } from '../compiler/kernels/ts/padCrop.js'
import { unaryOfActivation, unaryOfRelu, type Unary } from '../compiler/Unary.js'
import type { WeightExpr } from '../compiler/WeightExpr.js'
import { axisPadding } from '../geometry/Padding.js'
import { poolAxis } from '../geometry/Axis.js'
import type { PoolingNdSpec } from '../layers/spatial/poolingNd.js'
import { splitShape } from '../layers/spatial/spatialNd.js'
import type { DataFormat } from '../geometry/DataFormat.js'
import { batchNormLayout, type BatchNormalizationSpec } from '../layers/elementwise/batchNormalization.js'
import type { SoftmaxSpec } from '../layers/elementwise/activations.js'
import type { CompiledLayer } from '../layers/LayerKind.js'
import { layoutOf } from '../layers/spatial/common.js'
import type { Pooling2DSpec } from '../layers/spatial/pooling.js'
import { bilinearAxis, type UpSampling2DSpec } from '../layers/spatial/UpSampling2D.js'
import { isOperation, type AnyLayerSpec } from '../model/ModelSpec.js'
import type { ModelWeight } from '../model/infer.js'
import type { FloatArray } from '../numerics/FloatArray.js'
import type { Activation } from '../codec/Activation.js'
import { batchNormTrain, channelMap } from './vjp/batchNorm.js'
import { compileConvVjp } from './vjp/convFast.js'
import { denseForward, denseVjp } from './vjp/dense.js'
import { probeAffine } from './vjp/gather.js'
import { bilinearVjp, mergeVjp } from './vjp/merge.js'
import { globalPoolVjp, maxPoolArgmax, maxPoolScatter, poolVjp } from './vjp/pool.js'
import { poolNdVjp, type PoolVolume } from './vjp/poolNd.js'
import { unaryGradProblem, unaryVjp } from './vjp/unary.js'
import { workspace } from './Workspace.js'
import { type Result, type RunMode, type NodeBackward, type NodeRun, type NodeOp, shapeOf, sizeOfValue, toDtype, referenceLayer, tensorsOf, none, withStages, withLora, type TrainKernelOptions, paddedConv } from './NodeOp.js'
import { renormTrain } from './ops/renorm.js'
import { convFamilyOp } from './ops/convFamily.js'
import { gatherOp } from './ops/gather.js'
import { operationOp } from './ops/operation.js'
import { augmentOp } from './ops/augmentation.js'
import { dropoutOp } from './ops/dropout.js'

export type { RunMode, TrainKernelOptions } from './NodeOp.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

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
// node ops
// -------------------------------------------------------------------------------------

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
