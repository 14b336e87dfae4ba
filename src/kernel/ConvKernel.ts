/**
 * `ConvKernel`: the shapes every convolution kernel has.
 *
 * - A plain {@link ConvKernel} computes the cross-correlation of a batch with an HWIO kernel, for one
 *   resolved {@link ConvGeometry}, into an output buffer the caller allocated (zero-filled). The
 *   reference (oracle) and direct kernels have this shape.
 * - A {@link KernelFactory} is the compile-time half of a fast kernel: from the geometry it builds a
 *   {@link PreparedKernel} once (code generated for the geometry, scratch layout, thread split), whose
 *   `run` repacks each params object's weights once (cached, keyed on the kernel data) and computes.
 *
 * Every kernel reads the geometry and computes no shapes of its own; none writes into `x`, the
 * params, or keeps state that changes its results.
 */
import type { Activation } from '../codec/Activation.js'
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray, FloatDType } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `(geometry, batch, x, w, out) => void`: `x` is `[batch, ...geometry.inputShape]` (NHWC or NCHW),
 * `w` is HWIO `geometry.kernelShape`, `out` is `[batch, ...geometry.outputShape]`, all row-major.
 * @category model
 */
export type ConvKernel = (g: ConvGeometry, batch: number, x: FloatArray, w: FloatArray, out: FloatArray) => void

/**
 * The kernels the compiler can select:
 * - `reference`: the definition, the oracle; `direct`: the simple plain-TypeScript loop;
 * - `js-*`: plain TypeScript, register-tiled over a padded copy of the input and weights packed once;
 * - `wasm-*`: WebAssembly SIMD generated per geometry (float32; float64 layers run the `js-*` twin);
 * - `*-tiled`: the general direct convolution; `*-pointwise`: 1×1 stride-1 channels_last as a GEMM
 *   (`wasm-pointwise` flattens all pixels into one matrix in 64-pixel cache blocks; `js-pointwise`
 *   runs the JS tiled code, whose window on a 1×1 layer is already one contiguous run of `C` steps);
 *   `*-depthwise`: one input and one output channel per group (vectorized over channels);
 *   `js-im2col`: each output row's windows gathered into one run of `kh·kw·C` steps (meant for few
 *   input channels; available by name, not selected: see prepare.ts);
 *   `*-winograd`: Winograd F(2×2, 3×3) for 3×3 windows with stride 1, dilation 1 and one group
 *   (2.25× fewer multiplications; see winograd.ts).
 * A fast kernel asked to run a geometry its path does not cover runs its backend's `tiled` kernel.
 */
export type KernelName =
  | 'reference'
  | 'direct'
  | 'js-tiled'
  | 'js-pointwise'
  | 'js-depthwise'
  | 'js-im2col'
  | 'wasm-tiled'
  | 'wasm-pointwise'
  | 'wasm-depthwise'
  | 'js-winograd'
  | 'wasm-winograd'

/** Every kernel name, the oracle first. */
export const KERNEL_NAMES: ReadonlyArray<KernelName> = [
  'reference',
  'direct',
  'js-tiled',
  'js-pointwise',
  'js-depthwise',
  'js-im2col',
  'wasm-tiled',
  'wasm-pointwise',
  'wasm-depthwise',
  'js-winograd',
  'wasm-winograd'
]

/** Where a kernel's arithmetic runs. */
export type Backend = 'js' | 'wasm'

/** A params object's arrays as the kernels see them. */
export interface KernelParams {
  readonly kernel: FloatArray
  readonly bias: FloatArray | undefined
}

/** What a kernel is compiled for besides the geometry. */
export interface KernelOptions {
  readonly dtype: FloatDType
  /** The layer's activation: kernels fuse `linear`, `relu` and `relu6` and report it. */
  readonly activation: Activation
  /** Threads to split large calls over (1 = the calling thread only). */
  readonly threads: number
  /** Use relaxed-SIMD FMA when the runtime has it (default true). */
  readonly relaxedSimd?: boolean
  /** Multiply-adds from which a call is split over threads (default: THREAD_MIN_MACS; tests use 0). */
  readonly parallelMinMacs?: number
  /**
   * With threads: whether a call large enough to split does, asked at each such call — a model's
   * per-forward decision (src/compiler/kernels/ts/convNd.ts). Default: the kernel's own split policy
   * (splitPolicy.ts), from its own calls' times.
   */
  readonly split?: () => boolean
}

/**
 * A kernel compiled for one geometry. `run` writes `[batch, ...outputShape]` into `out` (fresh,
 * zero-filled), adding the bias when `fusesBias` and applying the activation when `fusesActivation`.
 */
export interface PreparedKernel {
  readonly name: KernelName
  readonly backend: Backend
  /** Threads a large enough call is split over. */
  readonly threads: number
  readonly fusesBias: boolean
  readonly fusesActivation: boolean
  readonly run: (params: KernelParams, batch: number, x: FloatArray, out: FloatArray) => void
  /** Releases worker threads and scratch memory; the kernel keeps working (it re-acquires them). */
  readonly dispose: () => void
}

/** The compile-time half of a fast kernel. */
export type KernelFactory = (g: ConvGeometry, options: KernelOptions) => PreparedKernel
