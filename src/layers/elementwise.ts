/**
 * Elementwise, normalization, regularization-only and merge layers: activations, dropout and the
 * Random* augmentation layers (identity at inference), rescaling, batch normalization, Add … Concatenate.
 */
import type { LayerKind } from './LayerKind.js'

/** The elementwise / merge layer kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ELEMENTWISE_KINDS: ReadonlyArray<LayerKind<any>> = []
