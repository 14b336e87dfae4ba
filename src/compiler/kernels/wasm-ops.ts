/**
 * WebAssembly SIMD kernels for the non-GEMM hot nodes (issue 12: MaxPooling2D was 25 % of `A.json`'s
 * time, separate activation passes 14 %; MobileNet v2's ReLU6 27 %, BatchNormalization 14 %), one
 * family per node kind:
 *
 * - `pool`: MaxPooling2D / AveragePooling2D, `valid` and `same`, either data format;
 * - `globalPool`: GlobalAveragePooling2D / GlobalMaxPooling2D (with or without `keepdims`);
 * - `batchNorm`: inference BatchNormalization over one axis as a per-channel `x·a + b` (`a`, `b`
 *   computed when the params are packed, in float64, from gamma / beta / moving mean / variance);
 * - `unary`: Activation, ReLU, LeakyReLU where the function is a clamp, Keras's ReLU without a slope,
 *   or a leaky ReLU; other activations (sigmoid, tanh, …) run their TypeScript function in place in
 *   the arena (no allocation, no copy out);
 * - `merge`: Add, Subtract, Multiply, Average, Maximum, Minimum of equal shapes;
 * - `concat`: Concatenate (profiles: DenseNet121's dense blocks), `upsample`: UpSampling2D `nearest`
 *   (the conv decoders C and Q2: 10-18 % of their time in TypeScript).
 *
 * Every kernel computes in the arena (inputs, output and fused operands at the executor's offsets),
 * applies the node's epilogue stages in its store as long as they are residual adds, clamps and
 * ReLUs (opsStages.ts) and the rest in TypeScript afterwards, and gives the reference kernel's result
 * bit for bit (where the reference rounds a float64 result once, the code computes in float64 too:
 * averages, BatchNormalization, merges of three or more inputs). Each generated function takes a unit
 * range (output rows, pixels, planes or floats: `units(batch)`): in a model compiled with threads (a
 * shared arena), a call moving at least {@link OPS_THREAD_MIN_FLOATS} floats splits its units over the
 * worker pool (split.ts), bit for bit the one-thread call; the unfused stages then run once, after. The families take a node only for a float32 model whose backend allows wasm, on a runtime
 * with SIMD, and return `undefined` otherwise (the next family, finally the reference, takes it).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../../core/Tensor.js'
import { HAS_SIMD } from '../../kernel/wasm/encoder.js'
import type { Code } from '../../kernel/wasm/encoder.js'
import { axisPadding } from '../../geometry/Padding.js'
import { inferenceEpsilon, type BatchNormalizationSpec } from '../../layers/elementwise/batchNormalization.js'
import { normalizeAxes, normalizeAxis, productOf } from '../../layers/elementwise/common.js'
import type { ConcatenateSpec } from '../../layers/elementwise/merge.js'
import type { UpSampling2DSpec } from '../../layers/spatial/UpSampling2D.js'
import type { ActivationSpec, LeakyReLUSpec, ReLUSpec } from '../../layers/elementwise/activations.js'
import type { GlobalPooling2DSpec, Pooling2DSpec } from '../../layers/spatial/pooling.js'
import type { Graph, Node, Stage, Value } from '../Graph.js'
import type { Arena, KernelChoice, KernelFactory, StepIO, StepKernel } from '../StepKernel.js'
import { isElementwise, unaryOfActivation, unaryOfRelu, type Unary } from '../Unary.js'
import { affineCode, affinePackedFloats, mapCode, packAffine, type Combine } from './wasm/opsElementwise.js'
import { concatCode, upsampleCode } from './wasm/opsCopy.js'
import { globalPoolCode, globalUnitsPerSample, poolCode } from './wasm/opsPool.js'
import { instantiateModule, type WarmPlan, type WasmFn } from './wasm/opsRuntime.js'
import { JOB_MAX_CALL_ARGS } from '../../kernel/threads.js'
import { splitAllowed, stepSplitter } from './split.js'
import { applyRestStages, splitStages, type SplitStages } from './wasm/opsStages.js'

// -------------------------------------------------------------------------------------
// shared
// -------------------------------------------------------------------------------------

/** Whether the families may take nodes of this model at all. */
const usable = (graph: Graph, choice: KernelChoice): boolean => choice.backend !== 'js' && choice.dtype === 'float32' && graph.dtype === 'float32' && HAS_SIMD

const valueOf = (graph: Graph, v: number): Value => graph.values[v] as Value

const lastAxisOf = (v: Value): number => v.shape[v.shape.length - 1] ?? 1

/** What a kernel built on one generated function needs besides its code. */
interface WasmStep {
  readonly name: string
  readonly code: Code
  /** Work units of a call of `batch` samples (what the function's `[u0, u1)` counts). */
  readonly units: (batch: number) => number
  readonly inputs: number
  /** Whether the function takes the packed weights' address after the inputs. */
  readonly packed?: { readonly floats: number; readonly pack: (weights: ReadonlyArray<Tensor>, dst: Float32Array, offset: number) => void }
  readonly split: SplitStages
  readonly inPlace: boolean
  /** Arguments after the operands' distances, before `u0, u1` (sizes the code takes at run time). */
  readonly sizes?: ReadonlyArray<number>
  /**
   * Warming the module up: floats read per input and written per output by units `[0, units)` of a
   * call, from each one's start (inputs all placed at one address, operands read back from the
   * output), and floats of packed weights.
   */
  readonly warm: { readonly units: number; readonly inFloats: number; readonly outFloats: number }
  /** Units a split chunk is a multiple of (default 1; 16 for floats: a cache line per chunk edge). */
  readonly align?: number
}

/**
 * Floats a call reads and writes (inputs, fused operands, output) from which a model compiled with
 * threads splits a non-convolution step over the worker pool (split.ts).
 * @category kernels
 */
export const OPS_THREAD_MIN_FLOATS = 262_144

/**
 * Options of the wasm-ops families beyond the kernel choice (tests).
 * @category kernels
 */
export interface WasmOpsOptions {
  /** Floats moved per call from which a step splits over the worker pool (default {@link OPS_THREAD_MIN_FLOATS}). */
  readonly parallelMinFloats?: number
}

/** The private-memory layout and arguments that warm a step's module up. */
const warmPlanOf = (step: WasmStep): WarmPlan => {
  const w = Math.ceil((step.packed?.floats ?? 0) / 16) * 16
  const x = w
  const o = x + Math.ceil(step.warm.inFloats / 16) * 16
  const args = [o * 4, ...new Array<number>(step.inputs).fill(x * 4), ...(step.packed !== undefined ? [0] : []), ...new Array<number>(step.split.adds).fill(0), ...(step.sizes ?? []), 0, step.warm.units]
  return { floats: o + step.warm.outFloats + 16, args, work: step.warm.inFloats * step.inputs + step.warm.outFloats }
}

/**
 * A kernel of this file built on one generated function, with what a threaded runner needs to split
 * a call: `run` is `runUnits(…, 0, units(batch))` then `finish` (the stages the store did not apply,
 * in TypeScript over the whole output: run it once, after every range).
 * @category kernels
 */
export interface RangedStepKernel extends StepKernel {
  /** Work units of a call of `batch` samples. */
  readonly units: (batch: number) => number
  /** Computes units `[u0, u1)` (independent of every other unit: ranges may run concurrently). */
  readonly runUnits: (arena: Arena, batch: number, io: StepIO, u0: number, u1: number) => void
  /** Applies the unfused epilogue stages to the whole output (nothing when every stage is fused). */
  readonly finish: (arena: Arena, batch: number, io: StepIO) => void
}

/**
 * A step kernel whose `run` calls `fn(o, x…, [w], d…, sizes…, 0, units)` and applies the unfused stages.
 * The argument array is allocated once per kernel.
 */
const wasmKernel = (
  node: Node,
  graph: Graph,
  memory: NonNullable<ReturnType<KernelChoice['memory']>>,
  step: WasmStep,
  choice: KernelChoice,
  options: WasmOpsOptions = {}
): RangedStepKernel => {
  const made = instantiateModule(step.code, memory, warmPlanOf(step))
  const fn: WasmFn = made.fn
  const out = valueOf(graph, node.output)
  // floats a sample moves: its inputs, the fused operands and its output
  const movedPerSample = node.inputs.reduce((a, v) => a + valueOf(graph, v).size, 0) + out.size * (1 + step.split.adds)
  const minFloats = options.parallelMinFloats ?? OPS_THREAD_MIN_FLOATS
  // (a call job carries at most JOB_MAX_CALL_ARGS arguments: a merge of dozens of inputs stays on one thread)
  const splitter = 1 + step.inputs + (step.packed !== undefined ? 1 : 0) + step.split.adds + (step.sizes?.length ?? 0) + 2 <= JOB_MAX_CALL_ARGS ? stepSplitter(choice, memory, made.module, made.key, 'run') : undefined
  const align = step.align ?? 1
  const lastAxis = lastAxisOf(out)
  const { split } = step
  const hasW = step.packed !== undefined
  const sizes = step.sizes ?? []
  const args: number[] = new Array<number>(1 + step.inputs + (hasW ? 1 : 0) + split.adds + sizes.length + 2).fill(0)
  const dAt = 1 + step.inputs + (hasW ? 1 : 0)
  const uAt = dAt + split.adds + sizes.length
  sizes.forEach((v, i) => (args[dAt + split.adds + i] = v))
  const setArgs = (io: StepIO): void => {
    const o = io.output
    args[0] = o * 4
    for (let k = 0; k < step.inputs; k++) args[1 + k] = (io.inputs[k] as number) * 4
    if (hasW) args[1 + step.inputs] = io.weights * 4
    for (let k = 0; k < split.adds; k++) args[dAt + k] = ((io.operands[k] as number) - o) * 4
  }
  const local = (u0: number, u1: number): void => {
    args[uAt] = u0
    args[uAt + 1] = u1
    Reflect.apply(fn, undefined, args)
  }
  const runUnits = (_arena: Arena, _batch: number, io: StepIO, u0: number, u1: number): void => {
    setArgs(io)
    local(u0, u1)
  }
  /** Whether a call of `batch` samples may split (then it does when the model's policy says so). */
  const parallel = (batch: number): boolean => splitter !== undefined && batch * movedPerSample >= minFloats && step.units(batch) >= 2 * align
  const finish = (arena: Arena, batch: number, io: StepIO): void => {
    if (split.rest.length > 0) applyRestStages(split.rest, arena.view(), io.output, batch * out.size, io.operands, split.adds, lastAxis)
  }
  return {
    name: step.name,
    packedFloats: step.packed?.floats ?? 0,
    pack: (weights, dst, offset) => step.packed?.pack(weights, dst as Float32Array, offset),
    scratchFloats: () => 0,
    inPlace: step.inPlace,
    units: step.units,
    runUnits,
    finish,
    run: (arena: Arena, batch: number, io: StepIO) => {
      const units = step.units(batch)
      if (splitter !== undefined && parallel(batch) && splitAllowed(choice)) {
        setArgs(io)
        splitter(args, uAt, units, align, local)
      } else runUnits(arena, batch, io, 0, units)
      finish(arena, batch, io)
    }
  }
}

/** Floats a warm-up call works on (about; the work per call of V8's tier-up is what matters). */
const WARM_FLOATS = 16384

/** The warm-up of an elementwise function over `size` floats per sample. */
const flatWarm = (size: number): WasmStep['warm'] => {
  const n = Math.min(size, WARM_FLOATS)
  return { units: n, inFloats: n, outFloats: n }
}

/** Whether the unfused stages read an operand (then the output may not overwrite an input). */
const restReadsOperand = (split: SplitStages): boolean => split.rest.some((s) => s.kind === 'add')

// -------------------------------------------------------------------------------------
// unary
// -------------------------------------------------------------------------------------

/**
 * The elementwise function of an activation layer's own arithmetic, with the numbers the layer
 * compiles with (float32 values of ReLU's and LeakyReLU's arguments), or `undefined` for `linear`.
 */
const unaryOfNode = (node: Node): Unary | undefined | 'unsupported' => {
  const spec = node.spec
  switch (spec.className) {
    case 'Activation': {
      const s = spec as ActivationSpec
      return unaryOfActivation(s.activation, s.dialect)
    }
    case 'ReLU': {
      const s = spec as ReLUSpec
      return unaryOfRelu(Math.fround(s.negativeSlope), s.maxValue === null ? null : Math.fround(s.maxValue), Math.fround(s.threshold))
    }
    case 'LeakyReLU':
      return { kind: 'leaky', slope: Math.fround((spec as LeakyReLUSpec).negativeSlope) }
    default:
      return 'unsupported'
  }
}

/**
 * `unary`: activation layers. The layer's own function becomes the first stage of its epilogue; the
 * store applies every leading clamp / ReLU / leaky ReLU / residual add (`wasm-unary`). When the first
 * stage is another function (`arena-unary`), the input is copied to the output in the arena and the
 * stages run in TypeScript in place — what the reference computes, without its allocation and copies.
 * @category kernels
 */
export const unaryFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'unary' || node.inputs.length !== 1 || !usable(graph, choice)) return undefined
  const own = unaryOfNode(node)
  // softmax-like activations act along an axis: the reference's layer (or another family) runs them
  if (own === 'unsupported' || (own !== undefined && !isElementwise(own))) return undefined
  const stages: ReadonlyArray<Stage> = [...(own === undefined ? [] : [{ kind: 'unary', fn: own } as const]), ...node.epilogue.stages]
  const input = valueOf(graph, node.inputs[0] as number)
  const out = valueOf(graph, node.output)
  if (input.size !== out.size) return undefined
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(stages)
  if (split.ops.length === 0 && split.rest.length > 0) {
    const lastAxis = lastAxisOf(out)
    return {
      name: 'arena-unary',
      packedFloats: 0,
      pack: () => undefined,
      scratchFloats: () => 0,
      inPlace: !restReadsOperand(split),
      run: (arena, batch, io) => {
        const view = arena.view()
        const n = batch * out.size
        const x = io.inputs[0] as number
        if (x !== io.output) view.copyWithin(io.output, x, x + n)
        applyRestStages(split.rest, view, io.output, n, io.operands, 0, lastAxis)
      }
    }
  }
  return wasmKernel(node, graph, memory, {
    name: 'wasm-unary',
    code: mapCode({ inputs: 1, combine: 'copy', ops: split.ops, adds: split.adds }),
    units: (batch) => batch * out.size,
    inputs: 1,
    split,
    warm: flatWarm(out.size),
    align: 16,
    inPlace: !restReadsOperand(split)
  }, choice, options)
}

// -------------------------------------------------------------------------------------
// merge
// -------------------------------------------------------------------------------------

/** How a merge class combines `n` inputs bit for bit as the reference does. */
const combineOf = (className: string, n: number): Combine | undefined => {
  if (n === 1) return className === 'Subtract' ? undefined : className === 'Average' ? 'avg64' : 'copy'
  switch (className) {
    case 'Add':
      return n === 2 ? 'add' : 'add64'
    case 'Subtract':
      return n === 2 ? 'sub' : undefined
    case 'Multiply':
      return n === 2 ? 'mul' : 'mul64'
    case 'Average':
      return 'avg64'
    case 'Maximum':
      return 'max'
    case 'Minimum':
      return 'min'
    default:
      return undefined
  }
}

/** Most inputs a merge kernel takes (one function parameter each). */
const MAX_MERGE_INPUTS = 64

/**
 * `merge`: Add, Subtract, Multiply, Average, Maximum, Minimum of inputs of the output's shape (no
 * broadcasting), epilogue fused as for `unary`.
 * @category kernels
 */
export const mergeFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'merge' || !usable(graph, choice) || node.inputs.length > MAX_MERGE_INPUTS) return undefined
  const out = valueOf(graph, node.output)
  const sameShape = (v: Value): boolean => v.shape.length === out.shape.length && v.shape.every((d, i) => d === out.shape[i])
  if (!node.inputs.every((v) => sameShape(valueOf(graph, v)))) return undefined
  const combine = combineOf(node.spec.className, node.inputs.length)
  if (combine === undefined) return undefined
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(node.epilogue.stages)
  return wasmKernel(node, graph, memory, {
    name: 'wasm-merge',
    code: mapCode({ inputs: node.inputs.length, combine, ops: split.ops, adds: split.adds }),
    units: (batch) => batch * out.size,
    inputs: node.inputs.length,
    split,
    warm: flatWarm(out.size),
    align: 16,
    inPlace: !restReadsOperand(split)
  }, choice, options)
}

// -------------------------------------------------------------------------------------
// batchNorm
// -------------------------------------------------------------------------------------

/**
 * `batchNorm`: inference BatchNormalization over one axis, as `y = x·a + b` per channel with
 * `a = gamma / √(variance + ε)`, `b = beta − mean·a` in float64 (computed in `pack`), applied in
 * float64 and rounded once — the reference's arithmetic. Channel innermost (channels-last, Dense
 * outputs): units are rows of channels; otherwise units are planes of one channel.
 * @category kernels
 */
export const batchNormFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'batchNorm' || node.spec.className !== 'BatchNormalization' || node.inputs.length !== 1 || !usable(graph, choice)) return undefined
  const spec = node.spec as BatchNormalizationSpec
  const input = valueOf(graph, node.inputs[0] as number)
  const perSample = input.shape
  const axesE = normalizeAxes(spec.axis, [null, ...perSample], 'axis', 'BatchNormalization')
  if (E.isLeft(axesE) || axesE.right.length !== 1) return undefined
  const axis = axesE.right[0] as number
  if (axis < 1) return undefined
  const k = axis - 1
  const len = perSample[k] as number
  const inner = productOf(perSample, k + 1)
  const size = input.size
  const wanted = (spec.scale ? 1 : 0) + (spec.center ? 1 : 0) + 2 + (spec.renorm ? 3 : 0)
  if (node.weights.length !== wanted || len < 1 || inner < 1) return undefined
  // the stored epsilon, raised where tf.keras runs its fused kernel (the layer's own rule)
  const epsilon = inferenceEpsilon(spec, perSample)
  if (epsilon === undefined) return undefined
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const layout = inner === 1 ? 'rows' : 'planes'
  const rowFloats = layout === 'rows' ? len : inner
  const warmRows = Math.max(1, Math.min(size / rowFloats, Math.floor(WARM_FLOATS / rowFloats)))
  const split = splitStages(node.epilogue.stages)
  return wasmKernel(node, graph, memory, {
    name: 'wasm-batchnorm',
    code: affineCode(layout, split.ops, split.adds),
    units: (batch) => (batch * size) / rowFloats,
    inputs: 1,
    sizes: [len, inner],
    warm: { units: warmRows, inFloats: warmRows * rowFloats, outFloats: warmRows * rowFloats },
    packed: {
      floats: affinePackedFloats(len),
      pack: (weights, dst, offset) => {
        let w = 0
        const gamma = spec.scale ? (weights[w++] as Tensor).data : undefined
        const beta = spec.center ? (weights[w++] as Tensor).data : undefined
        const mean = (weights[w++] as Tensor).data
        const variance = (weights[w++] as Tensor).data
        const a = new Float64Array(len)
        const b = new Float64Array(len)
        for (let c = 0; c < len; c++) {
          const ac = (gamma === undefined ? 1 : (gamma[c] as number)) / Math.sqrt((variance[c] as number) + epsilon)
          a[c] = ac
          b[c] = (beta === undefined ? 0 : (beta[c] as number)) - (mean[c] as number) * ac
        }
        packAffine(a, b, dst, offset, layout)
      }
    },
    split,
    inPlace: !restReadsOperand(split)
  }, choice, options)
}

// -------------------------------------------------------------------------------------
// pool
// -------------------------------------------------------------------------------------

/**
 * `pool`: MaxPooling2D and AveragePooling2D, `valid` and `same`, channels-last (vectors across
 * channels) and channels-first (vectors along output rows).
 * @category kernels
 */
export const poolFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'pool' || node.inputs.length !== 1 || !usable(graph, choice)) return undefined
  const cls = node.spec.className
  if (cls !== 'MaxPooling2D' && cls !== 'AveragePooling2D') return undefined
  const spec = node.spec as Pooling2DSpec
  const input = valueOf(graph, node.inputs[0] as number)
  const out = valueOf(graph, node.output)
  if (input.shape.length !== 3 || out.shape.length !== 3) return undefined
  const cl = spec.dataFormat === 'channels_last'
  const [H, W, C] = (cl ? input.shape : [input.shape[1], input.shape[2], input.shape[0]]) as [number, number, number]
  const [OH, OW] = (cl ? out.shape : out.shape.slice(1)) as [number, number]
  const [kh, kw] = spec.poolSize
  const [sh, sw] = spec.strides
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(node.epilogue.stages)
  // rows of the first plane (channels-first) or sample: reads only that plane's or sample's rows
  const warmRows = Math.max(1, Math.min(OH, Math.floor(WARM_FLOATS / Math.max(1, sh * W * (cl ? C : 1)))))
  const def = {
    mode: cls === 'MaxPooling2D' ? ('max' as const) : ('avg' as const),
    channelsLast: cl,
    H,
    W,
    C,
    OH,
    OW,
    kh,
    kw,
    sh,
    sw,
    top: axisPadding(H, kh, sh, 1, spec.padding).before,
    left: axisPadding(W, kw, sw, 1, spec.padding).before,
    ops: split.ops,
    adds: split.adds
  }
  return wasmKernel(node, graph, memory, {
    name: `wasm-${def.mode}pool`,
    code: poolCode(def),
    units: (batch) => batch * OH * (cl ? 1 : C),
    inputs: 1,
    split,
    warm: { units: warmRows, inFloats: Math.min(H, warmRows * sh + kh) * W * (cl ? C : 1), outFloats: warmRows * OW * (cl ? C : 1) },
    inPlace: false
  }, choice, options)
}

/**
 * `globalPool`: GlobalAveragePooling2D and GlobalMaxPooling2D, either data format, with or without
 * `keepdims`.
 * @category kernels
 */
export const globalPoolFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'globalPool' || node.inputs.length !== 1 || !usable(graph, choice)) return undefined
  const cls = node.spec.className
  if (cls !== 'GlobalAveragePooling2D' && cls !== 'GlobalMaxPooling2D') return undefined
  const spec = node.spec as GlobalPooling2DSpec
  const input = valueOf(graph, node.inputs[0] as number)
  if (input.shape.length !== 3) return undefined
  const cl = spec.dataFormat === 'channels_last'
  const C = (cl ? input.shape[2] : input.shape[0]) as number
  const P = input.size / C
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(node.epilogue.stages)
  const def = { mode: cls === 'GlobalMaxPooling2D' ? ('max' as const) : ('avg' as const), channelsLast: cl, P, C, ops: split.ops, adds: split.adds }
  const per = globalUnitsPerSample(def)
  return wasmKernel(node, graph, memory, {
    name: `wasm-global-${def.mode}pool`,
    code: globalPoolCode(def),
    units: (batch) => batch * per,
    inputs: 1,
    split,
    // unit 0: the first 16 channels (channels-last, strided over the whole sample) or 4 planes
    warm: { units: 1, inFloats: cl ? P * C : Math.min(4, C) * P, outFloats: C },
    inPlace: false
  }, choice, options)
}

// -------------------------------------------------------------------------------------
// concat
// -------------------------------------------------------------------------------------

/**
 * `concat`: Concatenate along any axis but the batch axis, as runs of each input copied into each
 * output row (one `memory.copy` per long run), epilogue fused.
 * @category kernels
 */
export const concatFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'concat' || node.spec.className !== 'Concatenate' || node.inputs.length < 1 || node.inputs.length > MAX_MERGE_INPUTS || !usable(graph, choice)) return undefined
  const out = valueOf(graph, node.output)
  const ins = node.inputs.map((v) => valueOf(graph, v))
  let chunks: number[]
  let outer: number
  if (ins.length === 1) {
    chunks = [(ins[0] as Value).size]
    outer = 1
  } else {
    const axis = normalizeAxis((node.spec as ConcatenateSpec).axis, out.shape.length + 1)
    if (axis === undefined || axis < 1) return undefined
    if (!ins.every((v) => v.shape.length === out.shape.length && v.shape.every((d, i) => i === axis - 1 || d === out.shape[i]))) return undefined
    const inner = productOf(out.shape, axis)
    chunks = ins.map((v) => (v.shape[axis - 1] as number) * inner)
    outer = productOf(out.shape, 0, axis - 1)
  }
  const row = chunks.reduce((a, b) => a + b, 0)
  if (row * outer !== out.size) return undefined
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(node.epilogue.stages)
  const warmRows = Math.max(1, Math.min(outer, Math.floor(WARM_FLOATS / row)))
  return wasmKernel(node, graph, memory, {
    name: 'wasm-concat',
    code: concatCode(chunks, split.ops, split.adds),
    units: (batch) => batch * outer,
    inputs: ins.length,
    split,
    inPlace: false,
    warm: { units: warmRows, inFloats: warmRows * row, outFloats: warmRows * row }
  }, choice, options)
}

// -------------------------------------------------------------------------------------
// upsample
// -------------------------------------------------------------------------------------

/**
 * `upsample`: UpSampling2D with `nearest` interpolation, either data format, epilogue fused.
 * @category kernels
 */
export const upsampleFamily = (node: Node, graph: Graph, choice: KernelChoice, options: WasmOpsOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'upsample' || node.spec.className !== 'UpSampling2D' || node.inputs.length !== 1 || !usable(graph, choice)) return undefined
  const spec = node.spec as UpSampling2DSpec
  if (spec.interpolation !== 'nearest') return undefined
  const input = valueOf(graph, node.inputs[0] as number)
  if (input.shape.length !== 3) return undefined
  const cl = spec.dataFormat === 'channels_last'
  const [H, W, C] = (cl ? input.shape : [input.shape[1], input.shape[2], input.shape[0]]) as [number, number, number]
  const [fh, fw] = spec.size
  if (valueOf(graph, node.output).size !== input.size * fh * fw) return undefined
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const split = splitStages(node.epilogue.stages)
  const inRow = cl ? W * C : W
  const warmRows = Math.max(1, Math.min(H, Math.floor(WARM_FLOATS / (inRow * fh * fw))))
  return wasmKernel(node, graph, memory, {
    name: 'wasm-upsample-nearest',
    code: upsampleCode({ channelsLast: cl, H, W, C, fh, fw, ops: split.ops, adds: split.adds }),
    units: (batch) => batch * H * (cl ? 1 : C),
    inputs: 1,
    split,
    inPlace: false,
    warm: { units: warmRows, inFloats: warmRows * inRow, outFloats: warmRows * inRow * fh * fw }
  }, choice, options)
}

/**
 * The families of this file, in the order they are tried.
 * @category kernels
 */
export const WASM_OP_FAMILIES: ReadonlyArray<KernelFactory> = [poolFamily, globalPoolFamily, batchNormFamily, unaryFamily, mergeFamily, concatFamily, upsampleFamily]
