/**
 * `CompiledConv2D`: a Conv2D spec bound to one input shape, with every shape resolved and a kernel
 * chosen, and the pure functions that run it (the stax init/apply pair, plus Keras's regularizer,
 * constraint and activity-regularizer semantics). Parameters travel separately from the layer, so
 * one compiled layer runs with many sets of weights.
 */
import type * as E from 'fp-ts/lib/Either.js'
import type { SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { Conv2DSpec } from './Conv2DSpec.js'
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { Backend, KernelName } from '../kernel/ConvKernel.js'
import type { FloatDType } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A Conv2D layer's weights: `kernel` is HWIO `[kh, kw, C/G, F]`, `bias` is `[F]` (present exactly
 * when the spec has `useBias`). Params are values: to change one, make a copy (layerspec never
 * mutates them, and may cache work derived from a params object).
 * @category model
 */
export interface Conv2DParams {
  readonly kernel: Tensor
  readonly bias?: Tensor
}

/**
 * The shapes of a layer's weights.
 * @category model
 */
export interface WeightShapes {
  readonly kernel: readonly [number, number, number, number]
  readonly bias?: readonly [number]
}

/**
 * A compiled Conv2D layer. Every function is pure: same inputs, bit-identical outputs; inputs and
 * params are never written.
 * @category model
 */
export interface CompiledConv2D {
  readonly spec: Conv2DSpec
  /** Input shape without the batch axis (data format order). */
  readonly inputShape: readonly [number, number, number]
  /** Output shape without the batch axis (data format order). */
  readonly outputShape: readonly [number, number, number]
  readonly geometry: ConvGeometry
  readonly weightShapes: WeightShapes
  readonly paramCount: number
  /** The dtype of inputs, params and outputs: the spec's dtype. */
  readonly dtype: FloatDType
  /** The kernel that runs this geometry (the one asked for, or the one its path falls back to). */
  readonly kernel: KernelName
  /** Where the kernel computes: `'wasm'` (WebAssembly SIMD, float32) or `'js'` (plain TypeScript). */
  readonly backend: Backend
  /** Threads a large call is split over (1: the calling thread only). */
  readonly threads: number
  /**
   * Releases the layer's worker threads and scratch memory (wasm memory, cached packed weights). The
   * layer keeps working: a later call acquires them again. Workers never keep the process alive, so
   * calling it is optional.
   */
  readonly dispose: () => void
  /**
   * `x` is `[batch, ...inputShape]` for any batch ≥ 1; returns a new `[batch, ...outputShape]` tensor.
   * Throws a `TypeError` naming expected vs found for a wrong shape, length or dtype, or params of the
   * wrong shape, checked before any work.
   */
  readonly forward: (params: Conv2DParams, x: Tensor) => Tensor
  /** `forward` with problems returned as values. */
  readonly run: (params: Conv2DParams, x: Tensor) => E.Either<ReadonlyArray<SpecError>, Tensor>
  /** Fresh params from the spec's initializers, deterministic in `seed` (an initializer's own seed wins). */
  readonly init: (seed: number) => Conv2DParams
  /** Kernel + bias regularization penalty (0 without regularizers). */
  readonly regularization: (params: Conv2DParams) => number
  /** The activity regularizer's penalty on an output `y` of `forward`: summed, divided by the batch size. */
  readonly activityRegularization: (y: Tensor) => number
  /** New params with the kernel and bias constraints applied (the originals are untouched). */
  readonly constrain: (params: Conv2DParams) => Conv2DParams
}

/**
 * Options for {@link compileConv2D}.
 * @category model
 */
export interface CompileOptions {
  /** Which kernel to run: `'auto'` (default) picks the fastest for the geometry; `'reference'` is the oracle. */
  readonly kernel?: KernelName | 'auto'
  /**
   * Where `'auto'` kernels compute: `'wasm'` (WebAssembly SIMD; float32 layers on runtimes that
   * validate SIMD, plain TypeScript otherwise), `'js'`, or `'auto'` (default: wasm where it runs).
   */
  readonly backend?: Backend | 'auto'
  /**
   * Threads to split large calls over (wasm kernels): 1 (default), a count, or `'auto'` for the cores
   * available. Calls stay synchronous; small calls stay on the calling thread.
   */
  readonly threads?: number | 'auto'
}
