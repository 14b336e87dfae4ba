/**
 * Elementwise, normalization, regularization-only and merge layers: activations, dropout and the
 * Random* augmentation layers (identity at inference), rescaling, normalization (the preprocessing
 * layer), batch normalization, Add … Concatenate.
 */
import { ActivationKind, LeakyReLUKind, ReLUKind, SoftmaxKind } from './elementwise/activations.js'
import { AUGMENTATION_KINDS } from './elementwise/augmentation.js'
import { BatchNormalizationKind } from './elementwise/batchNormalization.js'
import { DropoutKind, SpatialDropout2DKind } from './elementwise/dropout.js'
import { MERGE_KINDS } from './elementwise/merge.js'
import { NormalizationKind } from './elementwise/normalization.js'
import { RescalingKind } from './elementwise/rescaling.js'
import type { LayerKind } from './LayerKind.js'

export * from './elementwise/activations.js'
export * from './elementwise/augmentation.js'
export * from './elementwise/batchNormalization.js'
export * from './elementwise/dropout.js'
export * from './elementwise/merge.js'
export * from './elementwise/normalization.js'
export * from './elementwise/rescaling.js'

/** The elementwise / merge layer kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ELEMENTWISE_KINDS: ReadonlyArray<LayerKind<any>> = [
  ActivationKind,
  ReLUKind,
  LeakyReLUKind,
  SoftmaxKind,
  DropoutKind,
  SpatialDropout2DKind,
  ...AUGMENTATION_KINDS,
  RescalingKind,
  NormalizationKind,
  BatchNormalizationKind,
  ...MERGE_KINDS
]
