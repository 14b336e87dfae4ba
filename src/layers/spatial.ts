/**
 * Spatial layers: pooling, global pooling, padding, cropping, upsampling (1-D, 2-D and 3-D), reshape,
 * depthwise convolution. Each lives in src/layers/spatial/; this module re-exports them and lists them
 * for the registry.
 */
import { Cropping2DKind, ZeroPadding2DKind } from './spatial/padding.js'
import { Cropping1DKind, Cropping3DKind, ZeroPadding1DKind, ZeroPadding3DKind } from './spatial/paddingNd.js'
import { AveragePooling2DKind, GlobalAveragePooling2DKind, GlobalMaxPooling2DKind, MaxPooling2DKind } from './spatial/pooling.js'
import {
  AveragePooling1DKind,
  AveragePooling3DKind,
  GlobalAveragePooling1DKind,
  GlobalAveragePooling3DKind,
  GlobalMaxPooling1DKind,
  GlobalMaxPooling3DKind,
  MaxPooling1DKind,
  MaxPooling3DKind
} from './spatial/poolingNd.js'
import { ReshapeKind } from './spatial/Reshape.js'
import { UpSampling2DKind } from './spatial/UpSampling2D.js'
import { UpSampling1DKind, UpSampling3DKind } from './spatial/UpSamplingNd.js'
import type { LayerKind } from './LayerKind.js'

export * from './spatial/padding.js'
export * from './spatial/paddingNd.js'
export * from './spatial/pooling.js'
export * from './spatial/poolingNd.js'
export * from './spatial/Reshape.js'
export * from './spatial/spatialNd.js'
export * from './spatial/UpSampling2D.js'
export * from './spatial/UpSamplingNd.js'

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
  MaxPooling1DKind,
  MaxPooling3DKind,
  AveragePooling1DKind,
  AveragePooling3DKind,
  GlobalAveragePooling1DKind,
  GlobalAveragePooling3DKind,
  GlobalMaxPooling1DKind,
  GlobalMaxPooling3DKind,
  UpSampling1DKind,
  UpSampling3DKind,
  ZeroPadding1DKind,
  ZeroPadding3DKind,
  Cropping1DKind,
  Cropping3DKind
]
