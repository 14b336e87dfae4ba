/**
 * `ConvKernel`: the shape every convolution kernel has. A kernel computes the cross-correlation of a
 * batch with an HWIO kernel, for one resolved {@link ConvGeometry}, into an output buffer the caller
 * allocated (zero-filled). Bias and activation are applied by the layer, not the kernel. A kernel
 * never writes into `x` or `w` and keeps no state between calls.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatArray } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `(geometry, batch, x, w, out) => void`: `x` is `[batch, ...geometry.inputShape]` (NHWC or NCHW),
 * `w` is HWIO `geometry.kernelShape`, `out` is `[batch, ...geometry.outputShape]`, all row-major.
 * @category model
 */
export type ConvKernel = (g: ConvGeometry, batch: number, x: FloatArray, w: FloatArray, out: FloatArray) => void

/** The kernels the compiler can select. */
export type KernelName = 'reference' | 'direct'

/** Every kernel name, the oracle first. */
export const KERNEL_NAMES: ReadonlyArray<KernelName> = ['reference', 'direct']
