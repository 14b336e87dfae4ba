/**
 * The WebAssembly SIMD Dense kernels: nodes of kind `dense` (Keras Dense over the last axis: an input
 * of per-sample shape `[…, K]` is `batch · Π(leading dims)` rows of `K`) in float32 models whose arena
 * lives in WebAssembly memory. One generated module per shape and fused epilogue (wasm/denseCode.ts),
 * instantiated on the arena's memory:
 *
 * - `pack` writes the kernel (LoRA merged as the layer merges it) and bias as bias-first panels of 8
 *   columns, once per params object (the executor caches it);
 * - `run` calls the module's `dense` on every row and panel: 2×16 register tiles (two rows × two
 *   panels) for pairs of rows, 1×24 for a single row (the GEMV of batch 1, six independent
 *   accumulators per row). Measured on this 2-core Zen 4 (one thread, no FMA): 2×16 43-48 GFLOP/s
 *   against 4×8 39-43, 3×8 42-45, 5×8 26-33, 6×8 22-30 (they spill); `splat` (one v128 load of four
 *   inputs, lanes broadcast by shuffles) 25-34 against `load32_splat` 41-47; 1×24 and 1×16 31-35
 *   GFLOP/s at one row (1×32 spills: 17-19), reduction unrolled ×2 or ×4 never faster. With relaxed
 *   SIMD's FMA (Node 20: only behind --experimental-wasm-relaxed-simd) 2×16 and 4×8 both 51-53.
 * - the epilogue's leading `add`, clamp, leaky and plain Keras `relu` stages are applied to the
 *   registers before the store, bit for bit as `applyStages` would apply them to the stored sums
 *   (NaN kept through clamps: see denseCode.ts); the stages from the first other one on (sigmoid,
 *   softmax, …) run afterwards in TypeScript on the output (`applyStages`).
 *
 * It takes a node only when the backend allows wasm, the model is float32, SIMD validates and the
 * arena memory exists; otherwise the next family (or the reference kernel) runs it. `dense` takes row
 * and panel ranges: in a model compiled with threads (a shared arena), a call of at least
 * {@link DENSE_THREAD_MIN_MACS} multiply-adds splits over the worker pool (split.ts) — by panels of
 * output columns (each thread streams its share of the weights: batch 1's GEMV, and any call with
 * more columns than rows) or by rows ({@link denseSplitAxis}) — bit for bit the one-thread call.
 */
import type { Tensor } from '../../core/Tensor.js'
import type { DenseSpec } from '../../layers/Dense.js'
import { loraMerger } from '../../layers/lora.js'
import { wasmApi, type WasmMemory, type WasmModule } from '../../kernel/wasm/api.js'
import { encodeModule, HAS_RELAXED_SIMD, HAS_SIMD } from '../../kernel/wasm/encoder.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { Graph, Node, Stage, Value } from '../Graph.js'
import type { KernelChoice, KernelFactory, StepKernel } from '../StepKernel.js'
import { unaryOfActivation } from '../Unary.js'
import { applyStages } from './epilogue.js'
import { denseCode, packDense, packedDenseFloats, panelCount, panelFloats, type DenseTiling, type FusedOp } from './wasm/denseCode.js'
import { JOB_MAX_CALL_ARGS } from '../../kernel/threads.js'
import { splitAllowed, stepSplitter } from './split.js'

// -------------------------------------------------------------------------------------
// tiling
// -------------------------------------------------------------------------------------

/** Floats of inputs a row block keeps in cache (128 KiB: well inside the 1 MiB L2, beside the panel being read). */
const BLOCK_INPUT_FLOATS = 32768
const MAX_ROW_CHUNK = 256

/**
 * The tiling of a Dense layer with `K` inputs: 2×16 tiles, 1×24 for a single row, rows in blocks whose
 * inputs fit in L2.
 * @category kernels
 */
export const denseTiling = (K: number): DenseTiling => {
  const MR = 2
  const rows = Math.min(MAX_ROW_CHUNK, Math.max(MR, Math.floor(BLOCK_INPUT_FLOATS / K)))
  return { MR, panels: [0, 3, 2], broadcast: 'loadsplat', rowChunk: rows - (rows % MR) }
}

// -------------------------------------------------------------------------------------
// epilogue
// -------------------------------------------------------------------------------------

/** The fused form of a stage, or `undefined` when the generated store does not apply it. */
const fusedOf = (s: Stage): FusedOp | undefined => {
  if (s.kind === 'add') return { kind: 'add' }
  const fn = s.fn
  switch (fn.kind) {
    case 'clamp':
      // lo ≤ hi (false for NaN bounds): then min(max(x, lo), hi) is Unary.ts's if / else-if
      return fn.lo <= fn.hi ? { kind: 'clamp', lo: fn.lo, hi: fn.hi } : undefined
    case 'leaky':
      return { kind: 'leaky', slope: fn.slope }
    case 'relu':
      return fn.negativeSlope === 0 && fn.threshold === 0 ? { kind: 'relu', hi: fn.maxValue ?? Infinity } : undefined
    case 'activation':
      return undefined
  }
}

/**
 * An epilogue split into the stages the generated store applies (its longest fusable prefix) and the
 * rest (applied afterwards with `applyStages`); `adds` is the number of `add` stages fused.
 * @category kernels
 */
export const splitEpilogue = (stages: ReadonlyArray<Stage>): { readonly fused: ReadonlyArray<FusedOp>; readonly rest: ReadonlyArray<Stage>; readonly adds: number } => {
  const fused: FusedOp[] = []
  for (const s of stages) {
    const f = fusedOf(s)
    if (f === undefined) break
    fused.push(f)
  }
  return { fused, rest: stages.slice(fused.length), adds: fused.filter((f) => f.kind === 'add').length }
}

// -------------------------------------------------------------------------------------
// modules
// -------------------------------------------------------------------------------------

const opKey = (op: FusedOp): string => {
  switch (op.kind) {
    case 'add':
      return 'a'
    case 'clamp':
      return `c${op.lo},${op.hi}`
    case 'leaky':
      return `l${op.slope}`
    case 'relu':
      return `r${op.hi}`
  }
}

interface CachedModule {
  readonly module: WasmModule
  readonly key: string
  warm: boolean
}

/** Compiled modules by shape, epilogue and memory kind (a model compiled twice reuses them, tier-up included). */
const modules = new Map<string, CachedModule>()
const MAX_CACHED_MODULES = 64

const moduleFor = (K: number, N: number, tiling: DenseTiling, ops: ReadonlyArray<FusedOp>, fma: boolean, shared: boolean): CachedModule | undefined => {
  const api = wasmApi
  if (api === undefined) return undefined
  const key = `${K}|${N}|${tiling.MR}|${tiling.panels.join(',')}|${tiling.broadcast}|${tiling.rowChunk}|${ops.map(opKey).join(';')}|${fma}|${shared}`
  const hit = modules.get(key)
  if (hit !== undefined) return hit
  const bytes = encodeModule([{ name: 'dense', code: denseCode({ K, N, tiling, ops, fma }) }], { shared, initialPages: 0, maxPages: 65536 })
  const entry: CachedModule = { module: new api.Module(bytes), key, warm: false }
  if (modules.size >= MAX_CACHED_MODULES) modules.delete(modules.keys().next().value as string)
  modules.set(key, entry)
  return entry
}

type DenseFn = (...args: number[]) => void

/**
 * Runs a fresh module on a private memory until V8 has (very likely) moved it from its baseline tier
 * to the optimizing one: about 200 000 reduction steps over (at most) 3 ms, each call one panel of
 * three rows (both tile shapes). Measured: a 1024→1024 layer's first call at batch 32 drops from
 * 10-20 ms to about 3 ms (the warm time); V8 tiers a function up by the code it has executed.
 */
const warmUp = (entry: CachedModule, K: number, N: number, adds: number, shared: boolean): void => {
  const api = wasmApi
  if (entry.warm || api === undefined) return
  entry.warm = true
  const rows = 3
  const floats = rows * K + panelFloats(K) + rows * N + 64
  const pages = Math.ceil((floats * 4) / 65536)
  try {
    const memory = new api.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages, maximum: pages })
    const fn = new api.Instance(entry.module, { env: { memory } }).exports['dense'] as DenseFn
    const w = rows * K * 4
    const o = w + panelFloats(K) * 4
    const args = [0, w, o, 0, rows, 0, 1, ...new Array<number>(adds).fill(0)]
    const calls = Math.min(5000, Math.max(20, Math.ceil(200_000 / K)))
    const t0 = performance.now()
    for (let i = 0; i < calls && performance.now() - t0 < 3; i++) Reflect.apply(fn, undefined, args)
  } catch {
    // warming is only an optimization
  }
}

// -------------------------------------------------------------------------------------
// kernel
// -------------------------------------------------------------------------------------

/**
 * Options of {@link wasmDenseKernel} beyond the kernel choice (tests and benchmarks).
 * @category kernels
 */
export interface WasmDenseOptions {
  /** Use relaxed SIMD's FMA when the runtime has it (default true). */
  readonly fma?: boolean
  /** Warm a newly compiled module up on a private memory (default true). */
  readonly warm?: boolean
  /** Another tiling (benchmarks). */
  readonly tiling?: DenseTiling
  /** Multiply-adds per call from which a model compiled with threads splits it (default {@link DENSE_THREAD_MIN_MACS}). */
  readonly parallelMinMacs?: number
  /** How a split call is divided (default `auto`: {@link denseSplitAxis}). */
  readonly splitAxis?: 'auto' | 'rows' | 'panels'
}

/**
 * Multiply-adds from which a Dense call of a model compiled with threads (on its shared arena) splits
 * over the worker pool: as the arena convolutions' `ARENA_THREAD_MIN_MACS`.
 * @category kernels
 */
export const DENSE_THREAD_MIN_MACS = 1_000_000

/**
 * Which range a split Dense call divides: its panels of output columns (each thread reads its own
 * share of the weights, every row: the GEMV of batch 1, and any call whose weights outweigh its
 * inputs), or its rows (each thread its own rows, all the weights: calls of many rows over few
 * weights). Either is bit for bit one thread (each output is the same sum whichever tile computes it).
 * @category kernels
 */
export const denseSplitAxis = (rows: number, K: number, N: number, threads: number): 'rows' | 'panels' =>
  panelCount(N) >= 2 * threads && K * N >= rows * K ? 'panels' : rows >= 2 * threads ? 'rows' : 'panels'

const isShared = (m: WasmMemory): boolean => typeof SharedArrayBuffer !== 'undefined' && m.buffer instanceof SharedArrayBuffer

/** The largest byte offset an i32 address can reach. */
const MAX_BYTES = 2 ** 32

/**
 * The wasm Dense kernel of a node, or `undefined` when this family does not run it.
 * @category kernels
 */
export const wasmDenseKernel = (node: Node, graph: Graph, choice: KernelChoice, options: WasmDenseOptions = {}): StepKernel | undefined => {
  if (node.kind !== 'dense' || node.spec.className !== 'Dense') return undefined
  if (choice.backend === 'js' || choice.dtype !== 'float32' || graph.dtype !== 'float32' || !HAS_SIMD || wasmApi === undefined) return undefined
  if (node.inputs.length !== 1 || node.extraPadding !== undefined) return undefined
  const spec = node.spec as DenseSpec
  const inV = graph.values[node.inputs[0] as number] as Value | undefined
  const outV = graph.values[node.output] as Value | undefined
  if (inV === undefined || outV === undefined) return undefined
  const K = inV.shape[inV.shape.length - 1]
  const N = spec.units
  if (K === undefined || K < 1 || outV.shape[outV.shape.length - 1] !== N || inV.size % K !== 0 || (inV.size / K) * N !== outV.size) return undefined
  const rowsPerSample = inV.size / K
  const lora = spec.loraRank !== null
  const loraAt = spec.useBias ? 2 : 1
  if (node.weights.length !== loraAt + (lora ? 2 : 0)) return undefined
  if ((packedDenseFloats(K, N) + 2 * panelFloats(K)) * 4 >= MAX_BYTES) return undefined
  // the layer's own activation comes first (lowering moves it into the epilogue; a node that kept it applies it here)
  const own = spec.activation === 'linear' ? undefined : unaryOfActivation(spec.activation, spec.dialect)
  const stages: ReadonlyArray<Stage> = own === undefined ? node.epilogue.stages : [{ kind: 'unary', fn: own }, ...node.epilogue.stages]
  const { fused, rest, adds } = splitEpilogue(stages)
  const memory = choice.memory()
  if (memory === undefined) return undefined
  const shared = isShared(memory)
  const fma = (options.fma ?? true) && HAS_RELAXED_SIMD
  const tiling = options.tiling ?? denseTiling(K)
  let fn: DenseFn
  let cached: CachedModule
  try {
    const entry = moduleFor(K, N, tiling, fused, fma, shared)
    if (entry === undefined) return undefined
    cached = entry
    fn = new wasmApi.Instance(entry.module, { env: { memory } }).exports['dense'] as DenseFn
    if (options.warm ?? true) warmUp(entry, K, N, adds, shared)
  } catch {
    // a memory the module cannot import (limits), or a module the runtime refuses: not ours to run
    return undefined
  }
  const panels = panelCount(N)
  const merge = lora ? loraMerger({ rank: spec.loraRank ?? 1, alpha: spec.loraAlpha ?? spec.loraRank ?? 1 }, 'float32') : undefined
  // per-call buffers, filled in place (run allocates nothing of its own)
  const args = new Array<number>(7 + adds).fill(0)
  const splitter = args.length <= JOB_MAX_CALL_ARGS ? stepSplitter(choice, memory, cached.module, cached.key, 'dense') : undefined
  const threads = Math.max(1, Math.floor(choice.threads))
  const minMacs = options.parallelMinMacs ?? DENSE_THREAD_MIN_MACS
  // panel chunks in multiples of every tile's panel count (whole register tiles on each side of a cut)
  const panelAlign = tiling.panels.slice(1).reduce((a, b) => lcm(a, Math.max(1, b)), 1)
  const rowAlign = tiling.MR
  const localRows = (u0: number, u1: number): void => {
    args[3] = u0
    args[4] = u1
    Reflect.apply(fn, undefined, args)
  }
  const localPanels = (u0: number, u1: number): void => {
    args[5] = u0
    args[6] = u1
    Reflect.apply(fn, undefined, args)
  }
  const restOperands = new Array<number>(rest.filter((s) => s.kind === 'add').length).fill(0)
  return {
    name: `wasm-dense-${tiling.MR}x${NR_WIDE(tiling)}${fma ? '-fma' : ''}`,
    packedFloats: packedDenseFloats(K, N),
    pack: (weights: ReadonlyArray<Tensor>, dst: FloatArray, offset: number) => {
      const kernel = (weights[0] as Tensor).data
      const w = merge === undefined ? kernel : merge(kernel, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data)
      packDense(K, N, w, spec.useBias ? (weights[1] as Tensor).data : undefined, dst, offset)
    },
    scratchFloats: () => 0,
    inPlace: false,
    run: (arena, batch, io) => {
      const rows = batch * rowsPerSample
      if (rows === 0) return
      if ((io.output + rows * N) * 4 > MAX_BYTES || ((io.inputs[0] as number) + rows * K) * 4 > MAX_BYTES) throw new RangeError('wasm Dense: the arena is beyond 4 GiB')
      args[0] = (io.inputs[0] as number) * 4
      args[1] = io.weights * 4
      args[2] = io.output * 4
      // the whole call (a split call's last chunk left its range here)
      args[3] = 0
      args[4] = rows
      args[5] = 0
      args[6] = panels
      for (let k = 0; k < adds; k++) args[7 + k] = (((io.operands[k] as number) - io.output) * 4) | 0
      if (splitter !== undefined && rows * K * N >= minMacs && splitAllowed(choice)) {
        const axis = options.splitAxis === undefined || options.splitAxis === 'auto' ? denseSplitAxis(rows, K, N, threads) : options.splitAxis
        if (axis === 'panels' && panels >= 2) {
          splitter(args, 5, panels, Math.min(panelAlign, Math.max(1, Math.floor(panels / (2 * threads)))), localPanels)
        } else if (axis === 'rows' && rows >= 2 * rowAlign) {
          splitter(args, 3, rows, rowAlign, localRows)
        } else Reflect.apply(fn, undefined, args)
      } else Reflect.apply(fn, undefined, args)
      if (rest.length > 0) {
        for (let k = 0; k < restOperands.length; k++) restOperands[k] = io.operands[adds + k] as number
        applyStages(rest, arena.view(), io.output, rows * N, restOperands, N)
      }
    }
  }
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b

/** Columns of the full register tile. */
const NR_WIDE = (t: DenseTiling): number => 8 * (t.panels[t.MR] ?? 1)

/**
 * The family: {@link wasmDenseKernel} with its defaults.
 * @category kernels
 */
export const wasmDenseFamily: KernelFactory = (node, graph, choice) => wasmDenseKernel(node, graph, choice)
