/**
 * `StepKernel`: one graph node compiled for its shapes, reading and writing the model's arena — one
 * buffer holding every intermediate value at an offset the memory plan chose (src/compiler/memoryPlan.ts),
 * the packed weights of each live params object, and per-step scratch. A kernel never allocates in
 * `run` and never writes outside its output and its scratch; it applies the node's epilogue (bias,
 * fused residual adds, fused activations) itself.
 *
 * Offsets are in floats of the arena's dtype (Float32Array or Float64Array indices). A value of per-sample
 * size `n` for a batch of `b` occupies `[offset, offset + b·n)`, samples back to back, each row-major in
 * the layout of its per-sample shape. A WebAssembly kernel multiplies offsets by 4 for its byte pointers.
 */
import type { Tensor } from '../core/Tensor.js'
import type { FloatArray, FloatDType } from '../numerics/FloatArray.js'
import type { WasmMemory } from '../kernel/wasm/api.js'
import type { Graph, Node } from './Graph.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Where one call of a step reads and writes, in floats of the arena.
 * @category model
 */
export interface StepIO {
  /** The node's inputs, in `node.inputs` order. */
  readonly inputs: ReadonlyArray<number>
  /** The node's output (it may equal an input's offset only if the kernel declared `inPlace`). */
  readonly output: number
  /** The values of the epilogue's `add` stages, in stage order. */
  readonly operands: ReadonlyArray<number>
  /** The node's packed weights (what `pack` wrote), or -1 when `packedFloats` is 0. */
  readonly weights: number
  /** `scratchFloats(batch)` floats of scratch, or -1 when none. */
  readonly scratch: number
}

/**
 * The buffer a compiled model computes in. `view()` is the float view of all of it (recreated after
 * the memory grows, so never kept across a call that may grow it); `memory` is the WebAssembly memory
 * behind it when the model runs wasm kernels.
 * @category model
 */
export interface Arena {
  readonly dtype: FloatDType
  readonly view: () => FloatArray
  readonly memory: WasmMemory | undefined
}

/**
 * A node compiled for its shapes.
 * @category model
 */
export interface StepKernel {
  /** The kernel's name, for the plan and profiles (`ts-dense`, `wasm-gemm-4x8`, `reference`). */
  readonly name: string
  /** Floats of packed weights `run` reads (0 when it reads the weights as given, or none). */
  readonly packedFloats: number
  /**
   * Writes the node's evaluated weights (one tensor per `node.weights` entry, in the model's dtype) in
   * the layout `run` reads, at `dst[offset …]`. Called once per params object.
   */
  readonly pack: (weights: ReadonlyArray<Tensor>, dst: FloatArray, offset: number) => void
  /** Floats of scratch a call of `batch` samples needs (0 for none). */
  readonly scratchFloats: (batch: number) => number
  /** Whether `run` may be given its output at its first input's offset (an elementwise step whose input dies with it). */
  readonly inPlace: boolean
  /**
   * Computes the node for `batch` samples. `weights` are the node's evaluated weights (for kernels
   * that read them unpacked, like the reference); fast kernels read their packed copy at `io.weights`.
   */
  readonly run: (arena: Arena, batch: number, io: StepIO, weights: ReadonlyArray<Tensor>) => void
}

/**
 * Options a kernel is chosen with.
 * @category model
 */
export interface KernelChoice {
  readonly dtype: FloatDType
  /** `js`: plain TypeScript only; `wasm`: WebAssembly SIMD where a kernel exists; `auto`: wasm when available. */
  readonly backend: 'js' | 'wasm' | 'auto'
  /** Threads a large step may split over. */
  readonly threads: number
  /**
   * The WebAssembly memory the arena lives in, created on the first call (float32 models where the
   * runtime has SIMD and the backend allows wasm; `undefined` otherwise): wasm kernels import it as
   * `env.memory` and take byte offsets (float offsets · 4). It may grow between calls (never during
   * `run`); re-read views. Models whose kernels never ask for it compute in a plain ArrayBuffer.
   */
  readonly memory: () => WasmMemory | undefined
  /**
   * Whether a step that may split over the threads does in the current call: the model's decision
   * for the whole forward (executor.ts, splitPolicy.ts); asked by the kernels at each call. Absent:
   * every step that may split does.
   */
  readonly split?: () => boolean
}

/**
 * A family of kernels: given a node (and its graph, for the shapes of its values: the compiler hands
 * each family the node's `viewedGraph`, its values in the shapes of its view), a kernel that
 * computes it, or `undefined` when this family does not cover it (the next family, and finally the
 * reference kernel, is tried).
 * @category model
 */
export type KernelFactory = (node: Node, graph: Graph, choice: KernelChoice) => StepKernel | undefined

