/**
 * What every training op of a {@link TrainGraph} is made of: a node's forward for a batch (`NodeOp`: its
 * output, its backward, new values of its non-trainable weights), the epilogue stages around it
 * (`withStages`: the activation lowering moved there; ReLU-like stages in place, their gradient read off
 * their output), LoRA's merged kernel (`withLora`), the fast 2-D convolution forward (`paddedConv`), and
 * the small helpers the ops share. The ops themselves are in TrainGraph.ts (the layer kinds) and
 * src/train/ops/ (the larger families).
 */
import * as E from 'fp-ts/lib/Either.js'
import { quoteText } from '../core/describe.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { Graph, Stage, Value } from '../compiler/Graph.js'
import { applyUnary, type Unary } from '../compiler/Unary.js'
import { addChannelBias } from '../conv/kernelLayout.js'
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import { prepareKernel, selectKernel } from '../kernel/prepare.js'
import type { CompiledLayer } from '../layers/LayerKind.js'
import { findLayerKind } from '../model/registry.js'
import type { AnyLayerSpec } from '../model/ModelSpec.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import { unaryVjp } from './vjp/unary.js'
import type { Buffers } from './Workspace.js'
import { loraMerger, loraVjp, type Lora } from '../layers/lora.js'

/** How a forward runs: training mode (dropout, batch statistics) or not, and the random key of its masks. */
export interface RunMode {
  readonly training: boolean
  /** Seeds the dropout masks: the same key gives the same masks. */
  readonly key: number
}

/** An `Either` of every problem found, or a value. */
export type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/** A node's backward: the gradients of its inputs and of its weights (in `node.weights` order), `undefined` where none flows. */
export type NodeBackward = (dy: FloatArray) => { readonly inputs: ReadonlyArray<FloatArray | undefined>; readonly weights: ReadonlyArray<FloatArray | undefined> }

/** What a node's forward leaves: its output, its backward, and new values of its non-trainable weights. */
export interface NodeRun {
  readonly output: FloatArray
  /** The value before a final softmax / sigmoid stage (a logits shortcut for crossentropy losses), and the backward from it. */
  readonly logits?: { readonly kind: 'softmax' | 'sigmoid'; readonly value: FloatArray; readonly backward: NodeBackward }
  readonly backward: NodeBackward
  /** Weight slot (index into `node.weights`) → its value after this call (BatchNormalization's moving statistics). */
  readonly updates?: ReadonlyArray<readonly [number, FloatArray]>
}

/** A node compiled for training: its forward for a batch (inputs, weights in `node.weights` order). */
export type NodeOp = (inputs: ReadonlyArray<FloatArray>, weights: ReadonlyArray<FloatArray>, batch: number, mode: RunMode, buf: Buffers) => NodeRun

/** A graph value's per-sample shape. */
export const shapeOf = (g: Graph, v: number): ReadonlyArray<number> => (g.values[v] as Value).shape

/** A graph value's per-sample size. */
export const sizeOfValue = (g: Graph, v: number): number => (g.values[v] as Value).size

/** The values in a fresh array of `dtype`. */
export const toDtype = (dtype: FloatDType, a: ArrayLike<number>): FloatArray => {
  const out = allocate(dtype, a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] as number
  return out
}

/** The reference implementation of a node's own arithmetic for its input shapes and a dtype. */
export const referenceLayer = (spec: AnyLayerSpec, inShapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): Result<CompiledLayer> => {
  const kind = findLayerKind(spec.className)
  if (kind === undefined) return E.left([specError('', `no layer kind for class ${quoteText(spec.className)}`)])
  return kind.compile(spec, inShapes, { dtype })
}

/** Batch tensors of the given per-sample shapes over the arrays. */
export const tensorsOf = (xs: ReadonlyArray<FloatArray>, shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number): Tensor[] =>
  xs.map((data, i) => ({ shape: [batch, ...(shapes[i] as ReadonlyArray<number>)], data }))

/** No gradient for any weight. */
export const none = (n: number): ReadonlyArray<undefined> => new Array<undefined>(n).fill(undefined)

/**
 * Wraps a node's own op with its epilogue's unary stages (the activation lowering moved there): each
 * stage's input is kept for its backward. A final softmax / sigmoid is offered as logits.
 */
export const withStages = (core: NodeOp, stages: ReadonlyArray<Stage>, lastAxis: number, firstApplied = false): NodeOp => {
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
export const maskFromOutput = (fn: Unary): boolean => (fn.kind === 'clamp' && fn.lo < fn.hi) || (fn.kind === 'leaky' && fn.slope >= 0)

/** The input gradient of a {@link maskFromOutput} function from its output `y`, into `dx`. */
export const outputMaskVjp = (fn: Unary, y: FloatArray, dy: FloatArray, dx: FloatArray): FloatArray => {
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
export const withLora = (op: NodeOp, lora: Lora, loraAt: number, dtype: FloatDType): NodeOp => {
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

/** How the trainer's kernels run: `compileModel`'s backend and threads. */
export interface TrainKernelOptions {
  readonly backend?: 'js' | 'wasm' | 'auto'
  readonly threads?: number
}

/**
 * The forward of a 2-D convolution geometry (explicit paddings) on the fast kernel the model compiler
 * would pick, bias added, then `activation` (a ReLU / ReLU6 clamp the kernel fuses where it can).
 */
export const paddedConv = (g: ConvGeometry, dtype: FloatDType, kernels: TrainKernelOptions, activation: 'linear' | 'relu' | 'relu6' = 'linear') => {
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
