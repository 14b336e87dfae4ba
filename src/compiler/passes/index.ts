/**
 * The rewrite passes, in the order they run (../shared/docs/model-compiler-notes.md §7: identity
 * removal, BatchNormalization folding, padding into convolutions, activations into producers,
 * residual adds into epilogues).
 */
import type { Pass } from './Pass.js'

/**
 * Every pass, in order.
 * @category passes
 */
export const PASSES: ReadonlyArray<Pass> = []
