/**
 * The rewrite passes, in the order they run (../shared/docs/model-compiler-notes.md §7: identity
 * removal, BatchNormalization folding, padding into convolutions, activations into producers,
 * residual adds into epilogues).
 *
 * The order gives the full fusion of the two blocks that matter, in one run of each pass:
 * - Conv → BN → ReLU6 (MobileNet v2): BN folds into the conv (its epilogue is still empty), then the
 *   ReLU6 fuses into the conv: one step, `conv(w·s, b') → relu6`.
 * - Conv → BN → Add → ReLU (ResNet): BN folds, the ReLU fuses into the Add (an Add is a producer with an
 *   epilogue), then the Add fuses into the conv carrying its stage: one step, `conv → + shortcut → relu`.
 * Activations fuse before residual adds so that an activation after the Add travels with it; a second
 * `fuse-activation` after `fuse-residual-add` would find nothing new (an activation reading an Add's
 * result was already fused into the Add under the same conditions a fused Add leaves). Folding the
 * BatchNormalization must come before fusing activations: a fused stage between conv and BN would
 * block the fold (Conv → ReLU → BN never folds). Identities go first so that a Dropout between two
 * layers never hides a pattern.
 */
import { dropIdentities } from './dropIdentities.js'
import { foldBatchNorm } from './foldBatchNorm.js'
import { foldPadding } from './foldPadding.js'
import { fuseActivation } from './fuseActivation.js'
import { fuseResidualAdd } from './fuseResidualAdd.js'
import type { Pass } from './Pass.js'

/**
 * Every pass, in order.
 * @category passes
 */
export const PASSES: ReadonlyArray<Pass> = [dropIdentities, foldBatchNorm, foldPadding, fuseActivation, fuseResidualAdd]
