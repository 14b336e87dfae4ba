/**
 * Spatial layers: pooling, global pooling, padding, cropping, upsampling, reshape, depthwise convolution.
 * Each lives in src/layers/spatial/; this module re-exports them and lists them for the registry.
 */
import { DepthwiseConv2DKind } from './spatial/DepthwiseConv2D.js'
import { Cropping2DKind, ZeroPadding2DKind } from './spatial/padding.js'
import { AveragePooling2DKind, GlobalAveragePooling2DKind, GlobalMaxPooling2DKind, MaxPooling2DKind } from './spatial/pooling.js'
import { ReshapeKind } from './spatial/Reshape.js'
import { UpSampling2DKind } from './spatial/UpSampling2D.js'
import type { LayerKind } from './LayerKind.js'

export * from './spatial/DepthwiseConv2D.js'
export * from './spatial/padding.js'
export * from './spatial/pooling.js'
export * from './spatial/Reshape.js'
export * from './spatial/UpSampling2D.js'

/** The spatial layer kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SPATIAL_KINDS: ReadonlyArray<LayerKind<any>> = [
  MaxPooling2DKind,
  AveragePooling2DKind,
  GlobalAveragePooling2DKind,
  GlobalMaxPooling2DKind,
  ZeroPadding2DKind,
  Cropping2DKind,
  UpSampling2DKind,
  ReshapeKind,
  DepthwiseConv2DKind
]
