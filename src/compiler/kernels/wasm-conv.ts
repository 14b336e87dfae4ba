/**
 * The WebAssembly SIMD convolution kernels on the model arena (issue 12: intermediate tensors live in
 * WebAssembly memory; the input is copied in once and each output copied out once): `conv` nodes
 * (Conv2D, and DepthwiseConv2D as the grouped Conv2D it is; Conv1D, DepthwiseConv1D and the separable
 * layers' halves, which lowering made those on height-1 views: `convSetup` reads the node's view) of
 * float32 models whose arena lives in
 * WebAssembly memory, through the same generated programs `compileConv2D` runs (kernel/prepare.ts:
 * `wasm-tiled`, `wasm-winograd`, `wasm-pointwise`, `wasm-depthwise`, chosen by `selectKernel` for the
 * geometry), instantiated on the arena's memory instead of a memory of their own
 * (kernel/wasm/runtime.ts `wasmProgramOn`):
 *
 * - `pack` writes the program's packing (tiled / depthwise panels, or Winograd's transformed 4×4
 *   weights; LoRA merged as the layer merges it) into the params object's slot, once per params object;
 * - the input is read where it lies when the program's layout is the input itself (`valid` padding
 *   that needs no extra rows or columns: pointwise always); otherwise the padded input is built in the
 *   step's scratch, in wasm (`memory.copy` / `fill`) when the orders agree, else by a transposing copy
 *   in TypeScript (a channels_first DepthwiseConv2D: its kernel reads NHWC). Winograd's per-thread
 *   scratch is in the step's scratch too;
 * - the output is written where the plan put it (the programs write the layer's format, dense), then
 *   the rest of the epilogue runs on it in place: its leading residual adds, clamps, ReLUs and leaky
 *   ReLUs in one generated map (wasm-ops' store operations, opsStages.ts), the others in TypeScript.
 *
 * Like `tsConv` (ts/conv.ts, the fallback: float64, the `js` backend, runtimes without SIMD, the direct
 * kernel's geometries): a folded ZeroPadding2D is the geometry's own padding (`withExtraPadding`; a
 * padded 1×1 layer runs `wasm-tiled`, as the pointwise program maps pixels one to one); a leading
 * `relu` / `relu6` clamp (or Keras ReLU without slope or threshold, `max_value` none or 6) is the
 * program's store clamp, with Keras ReLU's −0 → +0 applied after when the bias holds a −0; a Winograd
 * call whose output holds a non-finite value runs again on the tiled kernel (±∞ and NaN where Keras puts
 * them: kernel/finite.ts), the output overwritten in place.
 *
 * Threads: a model compiled with `threads > 1` has a shared arena (compile.ts), and a call of at least
 * `ARENA_THREAD_MIN_MACS` multiply-adds (with work units for two threads at least) runs split over the worker
 * pool on the arena itself (`wasmProgramOn`'s threading: the padding and the work units in chunks claimed
 * by every thread, each with its own scratch; nothing copied), bit for bit the one-thread result;
 * smaller calls run on the calling thread. On an arena that is not shared (a caller's memory), such
 * calls run on `prepareKernel`'s threaded kernel instead (its own shared memory, the input copied in and
 * the output out, as `tsConv` does).
 *
 * Kernel names: `conv:wasm-<path>@arena`.
 */
import type { Tensor } from '../../core/Tensor.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { KernelName, KernelParams, PreparedKernel } from '../../kernel/ConvKernel.js'
import { paddedLayout, type PaddedLayout } from '../../kernel/layout.js'
import { depthwisePackedSize, packDepthwise, packTiled, tiledPackedSize } from '../../kernel/pack.js'
import { prepareKernel, selectKernel, wasmAvailable } from '../../kernel/prepare.js'
import { THREADS_AVAILABLE } from '../../kernel/threads.js'
import { HAS_RELAXED_SIMD } from '../../kernel/wasm/encoder.js'
import { THREAD_MIN_MACS, wasmProgramOn, type WasmProgram } from '../../kernel/wasm/runtime.js'
import { depthwiseRowsCode, pointwiseAlign, pointwiseCode, pointwiseParts, pointwiseUnits, tiledParts, tiledRowsCode, WASM_Q } from '../../kernel/wasm/tiled.js'
import { WASM_WINOGRAD_GROUP, WASM_WINOGRAD_Q, winogradCode, winogradFiniteLanes, winogradMinChunk, winogradRowOfUnit, winogradScratchBytes, winogradUnits } from '../../kernel/wasm/winograd.js'
import { packWinograd, winogradLayout, winogradPackedSize } from '../../kernel/winograd.js'
import { loraMerger } from '../../layers/lora.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { Graph, Node } from '../Graph.js'
import type { Arena, KernelChoice, KernelFactory, StepIO, StepKernel } from '../StepKernel.js'
import { convSetup, fusableStage, hasNegativeZero } from './ts/conv.js'
import { mapCode } from './wasm/opsElementwise.js'
import { instantiate, type WasmFn } from './wasm/opsRuntime.js'
import { splitStages } from './wasm/opsStages.js'
import { restStages } from './restStages.js'

// -------------------------------------------------------------------------------------
// programs
// -------------------------------------------------------------------------------------

/** The wasm paths (kernel/prepare.ts's `KernelPath` less im2col, which has no wasm kernel). */
export type WasmConvPath = 'tiled' | 'pointwise' | 'depthwise' | 'winograd'

/**
 * The padded input a wasm path reads (as kernel/prepare.ts's `wasmLayout`): the tiled kernel reads a
 * channels_first layer's input in NCHW as it is, and so does Winograd; the others read NHWC.
 * @category kernels
 */
export const wasmConvLayout = (path: WasmConvPath, g: ConvGeometry): PaddedLayout => {
  const nchw = g.dataFormat === 'channels_first'
  if (path === 'winograd') return winogradLayout(g, WASM_WINOGRAD_GROUP, nchw)
  return paddedLayout(g, path === 'tiled' && nchw)
}

/**
 * Floats of one params object's packing on a wasm path (as kernel/prepare.ts's `wasmPackedFloats`).
 * @category kernels
 */
export const wasmConvPackedFloats = (path: WasmConvPath, g: ConvGeometry): number =>
  path === 'winograd' ? winogradPackedSize(g, WASM_WINOGRAD_Q) : path === 'depthwise' ? depthwisePackedSize(g, WASM_Q) : tiledPackedSize(g, WASM_Q)

/**
 * The program of a wasm path: the code, layout, packing and work units `prepareWasm` runs for it
 * (kernel/prepare.ts `prepareWasmPath`); Winograd's `exact` is the tiled kernel.
 * @category kernels
 */
export const wasmConvProgram = (path: WasmConvPath, g: ConvGeometry, activation: 'linear' | 'relu' | 'relu6', fma: boolean): WasmProgram => {
  const layout = wasmConvLayout(path, g)
  const packedFloats = wasmConvPackedFloats(path, g)
  if (path === 'winograd') {
    return {
      name: 'wasm-winograd',
      code: winogradCode(g, layout, activation, fma),
      layout,
      packedFloats,
      pack: (p, dst, off) => packWinograd(g, WASM_WINOGRAD_Q, p.kernel, p.bias, dst, off),
      units: (batch) => winogradUnits(g, batch),
      rowOfUnit: (u) => winogradRowOfUnit(g, u),
      align: 1,
      minChunk: winogradMinChunk(g),
      scratchBytes: winogradScratchBytes(g),
      fusesActivation: true,
      exact: { kernel: () => prepareKernel('wasm-tiled', g, { dtype: 'float32', activation, threads: 1 }), finiteLanes: winogradFiniteLanes(g) }
    }
  }
  const depthwise = path === 'depthwise'
  // on the arena nothing is copied out per unit, so a pointwise call with few pixels, or a tiled call
  // with few rows, splits its channels too
  const parts = path === 'pointwise' ? pointwiseParts(g) : path === 'tiled' ? tiledParts(g) : 1
  return {
    name: `wasm-${path}` as KernelName,
    code: path === 'pointwise' ? pointwiseCode(g, activation, fma, parts) : depthwise ? depthwiseRowsCode(g, layout, activation, fma) : tiledRowsCode(g, layout, activation, fma, parts),
    layout,
    packedFloats,
    pack: depthwise ? (p, dst, off) => packDepthwise(g, WASM_Q, p.kernel, p.bias, dst, off) : (p, dst, off) => packTiled(g, WASM_Q, p.kernel, p.bias, dst, off),
    units: path === 'pointwise' ? pointwiseUnits(g, parts) : (batch) => batch * parts * g.outHeight,
    // (the arena copies nothing out per unit: rows are for the copying layer kernel, one part)
    rowOfUnit: path === 'pointwise' || parts > 1 ? undefined : (u) => u,
    align: path === 'pointwise' ? pointwiseAlign(g, parts) : 1,
    scratchBytes: 0,
    fusesActivation: true
  }
}

/**
 * Whether a path's loads stay inside its padded layout, so that an unpadded input may be read where it
 * lies in the arena (whatever follows it, the end of the memory included): the tiled and pointwise
 * kernels load single floats; the depthwise kernel and Winograd's NHWC transform load 4 channels at a
 * time (past the last pixel unless `C` is a multiple of 4); Winograd's NCHW transform loads 4 columns
 * from column 8 of a group's 10.
 */
const loadsInLayout = (path: WasmConvPath, g: ConvGeometry): boolean => {
  switch (path) {
    case 'tiled':
    case 'pointwise':
      return true
    case 'depthwise':
      return g.inChannels % 4 === 0
    case 'winograd':
      return g.dataFormat === 'channels_last' && g.inChannels % 4 === 0
  }
}

// -------------------------------------------------------------------------------------
// kernel
// -------------------------------------------------------------------------------------

/** Warming the epilogue's map up (opsRuntime.ts): in place over up to 16384 floats, operands at the output. */
const mapWarm = (size: number, adds: number): { readonly floats: number; readonly args: ReadonlyArray<number>; readonly work: number } => {
  const n = Math.min(size, 16384)
  return { floats: n + 16, args: [0, 0, ...new Array<number>(adds).fill(0), 0, n], work: n }
}

/**
 * Multiply-adds from which a call on a shared arena splits over the worker pool: far lower than the
 * copying threaded kernel's `THREAD_MIN_MACS` (4M), as a split on the arena copies nothing — only the
 * job's dispatch (~2 µs to a spinning worker) is to be won back; a 125k-MAC layer takes 5-10 µs.
 * Measured, `compileModel(m, { threads: 2 })` against `threads: 1`, medians of 30 warm calls, batch 1:
 * F.json 1.05-1.09× at 4M → 1.55-1.78× at 1M, D.json 1.51× → 1.83×. Then (issue 12, one process,
 * alternating 20 ms blocks, split always, 1M → 250k → 125k): unet 1.06 → 1.19 → 1.21, C.json b8 1.11 →
 * 1.47 → 1.48, mobilenet_v2 1.07 → 1.16 → 1.26, F.json 1.77 → 1.89 → 1.93, densenet121 (64 × 64: its
 * 4 × 4 stage's 1×1 layers are 0.5-0.9M MACs, 30-57 µs) 1.51 → 1.61 → 1.61, D.json 1.84 → 1.88 → 1.87;
 * K, I, Q, Q2, A, cifar10-cnn unchanged; 64k no better than 125k; batch 8 (F, A) unchanged.
 * @category kernels
 */
export const ARENA_THREAD_MIN_MACS = 125_000


/**
 * Options of {@link wasmConvKernel} beyond the kernel choice (tests).
 * @category kernels
 */
export interface WasmConvOptions {
  /** Use relaxed SIMD's FMA when the runtime has it (default true, as `compileConv2D`). */
  readonly fma?: boolean
  /**
   * Multiply-adds from which a model compiled with threads splits a call over the worker pool (default
   * ARENA_THREAD_MIN_MACS on a shared arena, else THREAD_MIN_MACS: the copying threaded kernel).
   */
  readonly parallelMinMacs?: number
  /** Floats of padded input from which a split call pads in chunks over the threads (default `PAD_SPLIT_MIN_FLOATS`). */
  readonly padSplitMinFloats?: number
}

/**
 * The arena wasm convolution kernel of a node, or `undefined` when this family does not run it.
 * @category kernels
 */
export const wasmConvKernel = (node: Node, graph: Graph, choice: KernelChoice, options: WasmConvOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'conv' || choice.backend === 'js' || choice.dtype !== 'float32' || graph.dtype !== 'float32' || !wasmAvailable('float32')) return undefined
  const setup = convSetup(node, graph)
  if (setup === undefined) return undefined
  const { spec, g, stages, lora, loraAt } = setup
  const selected = selectKernel(g, 'float32', choice.backend)
  if (!selected.startsWith('wasm-')) return undefined
  const padded = g.padTop + g.padBottom + g.padLeft + g.padRight > 0
  // (narrow outputs, fewer than WASM_WINOGRAD_MIN_ROW_TILES Winograd tiles a row, are already tiled: selectKernel)
  const path: WasmConvPath = selected === 'wasm-pointwise' && padded ? 'tiled' : (selected.slice(5) as WasmConvPath)
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const fused = fusableStage(stages[0])
  const activation = fused?.activation ?? 'linear'
  const fma = (options.fma ?? true) && HAS_RELAXED_SIMD
  const program = wasmConvProgram(path, g, activation, fma)
  const threads = THREADS_AVAILABLE ? Math.max(1, Math.floor(choice.threads)) : 1
  // a shared arena: large calls split over the worker pool on the arena itself (wasmProgramOn)
  const sharedArena = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  const parallelMinMacs = options.parallelMinMacs ?? (sharedArena ? ARENA_THREAD_MIN_MACS : THREAD_MIN_MACS)
  const on = wasmProgramOn(g, program, memory, loadsInLayout(path, g), sharedArena && threads > 1 ? { threads, parallelMinMacs, split: choice.split, ...(options.padSplitMinFloats === undefined ? {} : { padSplitMinFloats: options.padSplitMinFloats }) } : undefined)
  if (on === undefined) return undefined
  // the rest of the epilogue, in place on the output: its leading residual adds, clamps, ReLUs and leaky
  // ReLUs by one generated map (wasm-ops' store operations, bit for bit `applyStages`), the stages from
  // the first other one on by restStages.ts (a softmax over short rows generated, split with threads;
  // the others in TypeScript)
  const split = splitStages(fused !== undefined ? stages.slice(1) : stages)
  const lastAxis = g.outputShape[2] as number
  let map: WasmFn | undefined
  try {
    map = split.ops.length === 0 ? undefined : instantiate(mapCode({ inputs: 1, combine: 'copy', ops: split.ops, adds: split.adds }), memory, mapWarm(g.outputSize, split.adds))
  } catch {
    return undefined
  }
  const mapArgs = new Array<number>(2 + split.adds + 2).fill(0)
  const rest = restStages(split.rest, lastAxis, memory, choice)
  const merge = lora === undefined ? undefined : loraMerger({ rank: lora.loraRank as number, alpha: lora.loraAlpha ?? (lora.loraRank as number) }, 'float32')
  const kernelOf = (weights: ReadonlyArray<Tensor>): FloatArray => {
    const k = (weights[0] as Tensor).data
    return merge === undefined ? k : merge(k, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data)
  }
  // built on first need: the tiled rerun of a non-finite Winograd call, the threaded kernel of large calls
  // on an arena that is not shared
  let exact: PreparedKernel | undefined
  let threaded: PreparedKernel | undefined

  // per params object (its evaluated weights array): the merged kernel for the prepared kernels, and
  // whether a fused Keras ReLU meets a −0 bias (then the program's −0 outputs become +0 after it)
  let lastWeights: ReadonlyArray<Tensor> | undefined
  let params: KernelParams | undefined
  let fixNegativeZero = false
  const paramsOf = (weights: ReadonlyArray<Tensor>): KernelParams => {
    params ??= { kernel: kernelOf(weights), bias: spec.useBias ? (weights[1] as Tensor).data : undefined }
    return params
  }

  return {
    name: `conv:${program.name}@arena`,
    packedFloats: program.packedFloats,
    pack: (weights, dst, offset) => program.pack({ kernel: kernelOf(weights), bias: spec.useBias ? (weights[1] as Tensor).data : undefined }, dst as Float32Array, offset),
    scratchFloats: (batch) => on.scratchFloats(batch),
    inPlace: false,
    run: (arena: Arena, batch: number, io: StepIO, weights: ReadonlyArray<Tensor>) => {
      if (weights !== lastWeights) {
        lastWeights = weights
        params = undefined
        fixNegativeZero = fused?.keras === true && spec.useBias && hasNegativeZero((weights[1] as Tensor).data)
      }
      const n = batch * g.outputSize
      const x = io.inputs[0] as number
      const heap = arena.view() as Float32Array
      if (!sharedArena && threads > 1 && batch * g.macsPerSample >= parallelMinMacs) {
        threaded ??= prepareKernel(`wasm-${path}` as KernelName, g, { dtype: 'float32', activation, threads, relaxedSimd: options.fma, parallelMinMacs })
        threaded.run(paramsOf(weights), batch, heap.subarray(x, x + batch * g.inputSize), heap.subarray(io.output, io.output + n))
      } else if (!on.run(heap, batch, x, io.weights, io.output, io.scratch)) {
        exact ??= (program.exact as NonNullable<typeof program.exact>).kernel()
        exact.run(paramsOf(weights), batch, heap.subarray(x, x + batch * g.inputSize), heap.subarray(io.output, io.output + n))
      }
      if (fixNegativeZero) {
        for (let i = io.output; i < io.output + n; i++) if (Object.is(heap[i], -0)) heap[i] = 0
      }
      if (map !== undefined) {
        mapArgs[0] = io.output * 4
        mapArgs[1] = io.output * 4
        for (let k = 0; k < split.adds; k++) mapArgs[2 + k] = ((io.operands[k] as number) - io.output) * 4
        mapArgs[2 + split.adds] = 0
        mapArgs[3 + split.adds] = n
        Reflect.apply(map, undefined, mapArgs)
      }
      if (split.rest.length > 0) rest(arena.view(), io.output, n, io.operands, split.adds)
    }
  }
}

/**
 * The family: {@link wasmConvKernel} with its defaults.
 * @category kernels
 */
export const wasmConvFamily: KernelFactory = (node, graph, choice) => wasmConvKernel(node, graph, choice)
