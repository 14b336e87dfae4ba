/**
 * The 2-D convolutions the family's kernels run: a {@link ConvGeometry} (the record the fast 2-D
 * kernels of src/kernel read) built from explicit lengths, paddings and channel counts, for the
 * views kernel.ts makes of an N-dimensional layer (a height-1 image for rank 1, the depth-folded
 * slices for rank 3, the zero-spread input of a transposed convolution). No validation: every
 * caller derives the fields from a valid {@link ConvNdGeometry}; the result is checked against the
 * N-D geometry's output lengths by the caller.
 */
import { effectiveKernel } from '../geometry/Axis.js'
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { ConvDataFormat, ConvNdGeometry, ConvRank } from '../geometry/ConvNdGeometry.js'

/**
 * The fields of a 2-D convolution (NHWC or NCHW per `dataFormat`, HWIO kernel
 * `[kernelHeight, kernelWidth, inChannels / groups, outChannels]`), paddings explicit.
 * @category model
 */
export interface Conv2DView {
  readonly dataFormat: ConvDataFormat
  readonly inHeight: number
  readonly inWidth: number
  readonly inChannels: number
  readonly outChannels: number
  readonly groups: number
  readonly kernelHeight: number
  readonly kernelWidth: number
  readonly strideHeight: number
  readonly strideWidth: number
  readonly dilationHeight: number
  readonly dilationWidth: number
  readonly padTop: number
  readonly padBottom: number
  readonly padLeft: number
  readonly padRight: number
}

/**
 * The {@link ConvGeometry} of a 2-D view: output lengths `⌊(n + before + after − ke) / s⌋ + 1` per
 * axis (the forward rule with explicit padding), shapes and sizes as `computeGeometry` gives them.
 * @category constructors
 */
export const conv2dGeometry = (v: Conv2DView): ConvGeometry => {
  const keh = effectiveKernel(v.kernelHeight, v.dilationHeight)
  const kew = effectiveKernel(v.kernelWidth, v.dilationWidth)
  const outHeight = Math.floor((v.inHeight + v.padTop + v.padBottom - keh) / v.strideHeight) + 1
  const outWidth = Math.floor((v.inWidth + v.padLeft + v.padRight - kew) / v.strideWidth) + 1
  const cf = v.dataFormat === 'channels_first'
  const Cg = v.inChannels / v.groups
  const F = v.outChannels
  return Object.freeze<ConvGeometry>({
    dataFormat: v.dataFormat,
    inHeight: v.inHeight,
    inWidth: v.inWidth,
    inChannels: v.inChannels,
    outHeight,
    outWidth,
    outChannels: F,
    kernelHeight: v.kernelHeight,
    kernelWidth: v.kernelWidth,
    strideHeight: v.strideHeight,
    strideWidth: v.strideWidth,
    dilationHeight: v.dilationHeight,
    dilationWidth: v.dilationWidth,
    effectiveKernelHeight: keh,
    effectiveKernelWidth: kew,
    groups: v.groups,
    inChannelsPerGroup: Cg,
    outChannelsPerGroup: F / v.groups,
    padTop: v.padTop,
    padBottom: v.padBottom,
    padLeft: v.padLeft,
    padRight: v.padRight,
    inputShape: Object.freeze(cf ? ([v.inChannels, v.inHeight, v.inWidth] as const) : ([v.inHeight, v.inWidth, v.inChannels] as const)),
    outputShape: Object.freeze(cf ? ([F, outHeight, outWidth] as const) : ([outHeight, outWidth, F] as const)),
    kernelShape: Object.freeze([v.kernelHeight, v.kernelWidth, Cg, F] as const),
    inputSize: v.inHeight * v.inWidth * v.inChannels,
    outputSize: outHeight * outWidth * F,
    macsPerSample: outHeight * outWidth * F * v.kernelHeight * v.kernelWidth * Cg
  })
}

/**
 * The fields of an N-D forward convolution with stride 1, one group and explicit padding (one phase
 * of a transposed convolution): spatial axes in order, Keras's conv kernel layout `[...k, C, F]`.
 * @category model
 */
export interface ForwardNdView {
  readonly rank: ConvRank
  readonly dataFormat: ConvDataFormat
  readonly inSpatial: ReadonlyArray<number>
  readonly inChannels: number
  readonly outChannels: number
  readonly kernelSize: ReadonlyArray<number>
  readonly dilationRate: ReadonlyArray<number>
  readonly padBefore: ReadonlyArray<number>
  readonly padAfter: ReadonlyArray<number>
}

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/**
 * The {@link ConvNdGeometry} (kind `conv`) of a {@link ForwardNdView}: output lengths
 * `n + before + after − d·(k−1)` per axis.
 * @category constructors
 */
export const forwardNdGeometry = (v: ForwardNdView): ConvNdGeometry => {
  const ke = v.kernelSize.map((k, a) => effectiveKernel(k, v.dilationRate[a] as number))
  const outSpatial = v.inSpatial.map((n, a) => n + (v.padBefore[a] as number) + (v.padAfter[a] as number) - (ke[a] as number) + 1)
  const C = v.inChannels
  const F = v.outChannels
  const cf = v.dataFormat === 'channels_first'
  return Object.freeze<ConvNdGeometry>({
    kind: 'conv',
    rank: v.rank,
    dataFormat: v.dataFormat,
    inSpatial: Object.freeze([...v.inSpatial]),
    outSpatial: Object.freeze(outSpatial),
    inChannels: C,
    outChannels: F,
    groups: 1,
    inChannelsPerGroup: C,
    outChannelsPerGroup: F,
    kernelSize: Object.freeze([...v.kernelSize]),
    strides: Object.freeze(v.kernelSize.map(() => 1)),
    dilationRate: Object.freeze([...v.dilationRate]),
    effectiveKernel: Object.freeze(ke),
    padBefore: Object.freeze([...v.padBefore]),
    padAfter: Object.freeze([...v.padAfter]),
    full: Object.freeze([]),
    crop: Object.freeze([]),
    inputShape: Object.freeze(cf ? [C, ...v.inSpatial] : [...v.inSpatial, C]),
    outputShape: Object.freeze(cf ? [F, ...outSpatial] : [...outSpatial, F]),
    kernelShape: Object.freeze([...v.kernelSize, C, F]),
    inputSize: product(v.inSpatial) * C,
    outputSize: product(outSpatial) * F,
    macsPerSample: product(outSpatial) * F * product(v.kernelSize) * C
  })
}
