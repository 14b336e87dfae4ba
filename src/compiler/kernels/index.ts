/**
 * The kernel families, tried in order for each node; the reference kernel takes what none covers.
 */
import type { KernelFactory } from '../StepKernel.js'

/**
 * Every fast kernel family, most specific first.
 * @category kernels
 */
export const KERNEL_FAMILIES: ReadonlyArray<KernelFactory> = []
