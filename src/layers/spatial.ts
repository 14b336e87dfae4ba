/**
 * Spatial layers: pooling, global pooling, padding, cropping, upsampling, reshape, depthwise convolution.
 */
import type { LayerKind } from './LayerKind.js'

/** The spatial layer kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SPATIAL_KINDS: ReadonlyArray<LayerKind<any>> = []
