/**
 * `ConvGeometry`: everything about one Conv2D call's shapes, resolved once at compile time into one
 * flat record (the idea of tfjs's `Conv2DInfo`). Kernels read it and compute no geometry of their own.
 * Output lengths and padding come from `Axis.ts` (`convAxis`), one call per spatial axis.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe } from '../core/describe.js'
import { positiveIntProblem } from '../core/PositiveInt.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { DataFormat, Padding } from './DataFormat.js'
import { convAxis, effectiveKernel } from './Axis.js'
import { outputLength } from './Padding.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The resolved geometry of a Conv2D layer on one input shape (per sample; the batch axis is free).
 * Input and output are NHWC for `channels_last`, NCHW for `channels_first`; the kernel is HWIO
 * `[kernelHeight, kernelWidth, inChannelsPerGroup, outChannels]` in both.
 * @category model
 */
export interface ConvGeometry {
  readonly dataFormat: DataFormat
  readonly inHeight: number
  readonly inWidth: number
  readonly inChannels: number
  readonly outHeight: number
  readonly outWidth: number
  readonly outChannels: number
  readonly kernelHeight: number
  readonly kernelWidth: number
  readonly strideHeight: number
  readonly strideWidth: number
  readonly dilationHeight: number
  readonly dilationWidth: number
  /** `dilationHeight·(kernelHeight−1)+1`. */
  readonly effectiveKernelHeight: number
  readonly effectiveKernelWidth: number
  readonly groups: number
  readonly inChannelsPerGroup: number
  readonly outChannelsPerGroup: number
  /** Zero padding: top/bottom rows, left/right columns (TF's `same` split; all 0 for `valid`). */
  readonly padTop: number
  readonly padBottom: number
  readonly padLeft: number
  readonly padRight: number
  /** Input shape without batch, in the data format's order. */
  readonly inputShape: readonly [number, number, number]
  /** Output shape without batch, in the data format's order. */
  readonly outputShape: readonly [number, number, number]
  /** HWIO kernel shape. */
  readonly kernelShape: readonly [number, number, number, number]
  /** Elements per sample of the input and of the output. */
  readonly inputSize: number
  readonly outputSize: number
  /** Multiply-adds per sample: `outH·outW·F·kh·kw·C/G`. */
  readonly macsPerSample: number
}

/**
 * The largest typed-array length layerspec allocates (2³¹ − 1, the portable limit across JavaScript
 * engines). Weights, per-sample outputs and batches beyond it are rejected before any allocation.
 * @category model
 */
export const MAX_ELEMENTS = 2 ** 31 - 1

/**
 * The arguments of a 2-D convolution the geometry reads (a `Conv2DSpec` has them all; the family's
 * 2-D views build one directly): `[rows, cols]` tuples, the window padding, F and G.
 * @category model
 */
export interface Conv2DWindow {
  readonly dataFormat: DataFormat
  readonly kernelSize: readonly [number, number]
  readonly strides: readonly [number, number]
  readonly dilationRate: readonly [number, number]
  readonly padding: Padding
  readonly groups: number
  readonly filters: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const AXIS_NAMES: Readonly<Record<DataFormat, readonly [string, string, string]>> = {
  channels_last: ['rows', 'cols', 'channels'],
  channels_first: ['channels', 'rows', 'cols']
}

/**
 * Checks an input shape (no batch axis, data format order) against a spec and resolves the geometry,
 * or returns every problem: wrong rank, dimensions that are not positive integers, channels not
 * divisible by `groups`, a `valid` window larger than the (dilated) input, and sizes no typed array
 * can hold. Paths are `inputShape[i]` (or `path` + `[i]`).
 * @category constructors
 */
export const computeGeometry = (
  spec: Conv2DWindow,
  inputShape: unknown,
  path = 'inputShape'
): E.Either<ReadonlyArray<SpecError>, ConvGeometry> => {
  const names = AXIS_NAMES[spec.dataFormat]
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    return E.left([
      specError(
        path,
        `expected an input shape of 3 dimensions [${names.join(', ')}] without the batch axis (${spec.dataFormat}), found ${describe(inputShape)}` +
          (Array.isArray(inputShape) && inputShape.length === 4 ? ' (drop the batch axis)' : '')
      )
    ])
  }
  const errors: SpecError[] = []
  names.forEach((name, i) => {
    const problem = positiveIntProblem(inputShape[i])
    if (problem !== undefined) {
      errors.push(specError(`${path}[${i}]`, `expected the ${name} dimension to be a positive integer, ${problem}`))
    }
  })
  if (errors.length > 0) return E.left(errors)
  const dims = inputShape as unknown as readonly [number, number, number]
  const channelsFirst = spec.dataFormat === 'channels_first'
  const cAxis = channelsFirst ? 0 : 2
  const hAxis = channelsFirst ? 1 : 0
  const wAxis = channelsFirst ? 2 : 1
  const inChannels = dims[cAxis]
  const inHeight = dims[hAxis]
  const inWidth = dims[wAxis]
  const [kh, kw] = spec.kernelSize
  const [sh, sw] = spec.strides
  const [dh, dw] = spec.dilationRate
  const groups = spec.groups
  const filters = spec.filters

  if (inChannels % groups !== 0) {
    errors.push(
      specError(
        `${path}[${cAxis}]`,
        `expected the input channel count to be divisible by groups ${groups}, found ${inChannels} channels (input shape [${dims.join(', ')}])`
      )
    )
  }
  const ph = convAxis(inHeight, kh, sh, dh, spec.padding)
  const pw = convAxis(inWidth, kw, sw, dw, spec.padding)
  const outHeight = ph.out
  const outWidth = pw.out
  const axes: ReadonlyArray<readonly [number, number, number, number, string]> = [
    [hAxis, inHeight, outHeight, effectiveKernel(kh, dh), 'rows'],
    [wAxis, inWidth, outWidth, effectiveKernel(kw, dw), 'cols']
  ]
  for (const [axis, length, out, keff, name] of axes) {
    if (out <= 0) {
      errors.push(
        specError(
          `${path}[${axis}]`,
          `the ${name} axis is too small for a "valid" window: input ${name} ${length} < effective kernel size ${keff} (kernel_size, dilation_rate), which would give an output of ${out}; use a larger input or padding "same"`
        )
      )
    }
  }
  if (errors.length > 0) return E.left(errors)

  const inPerGroup = inChannels / groups
  const kernelElements = kh * kw * inPerGroup * filters
  const outputSize = outHeight * outWidth * filters
  const inputSize = inHeight * inWidth * inChannels
  const limits: ReadonlyArray<readonly [number, string, string]> = [
    [kernelElements, 'kernel_size', `the kernel [${kh}, ${kw}, ${inPerGroup}, ${filters}] has ${kernelElements} elements`],
    [outputSize, 'filters', `one sample's output [${channelsFirst ? [filters, outHeight, outWidth] : [outHeight, outWidth, filters]}] has ${outputSize} elements`],
    [inputSize, path, `one sample's input has ${inputSize} elements`]
  ]
  for (const [n, p, what] of limits) {
    if (n > MAX_ELEMENTS) errors.push(specError(p, `${what}, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
  }
  if (errors.length > 0) return E.left(errors)

  return E.right(
    Object.freeze<ConvGeometry>({
      dataFormat: spec.dataFormat,
      inHeight,
      inWidth,
      inChannels,
      outHeight,
      outWidth,
      outChannels: filters,
      kernelHeight: kh,
      kernelWidth: kw,
      strideHeight: sh,
      strideWidth: sw,
      dilationHeight: dh,
      dilationWidth: dw,
      effectiveKernelHeight: effectiveKernel(kh, dh),
      effectiveKernelWidth: effectiveKernel(kw, dw),
      groups,
      inChannelsPerGroup: inPerGroup,
      outChannelsPerGroup: filters / groups,
      padTop: ph.before,
      padBottom: ph.after,
      padLeft: pw.before,
      padRight: pw.after,
      inputShape: Object.freeze([dims[0], dims[1], dims[2]] as const),
      outputShape: Object.freeze(
        channelsFirst ? ([filters, outHeight, outWidth] as const) : ([outHeight, outWidth, filters] as const)
      ),
      kernelShape: Object.freeze([kh, kw, inPerGroup, filters] as const),
      inputSize,
      outputSize,
      macsPerSample: outHeight * outWidth * filters * kh * kw * inPerGroup
    })
  )
}

/**
 * Keras's symbolic output shape for a possibly partial input shape (no batch axis, data format
 * order): unknown (`null`) spatial dims stay unknown, as in Keras. Does not validate; use
 * {@link computeGeometry} to compile.
 * @category utils
 */
export const inferOutputShape = (
  spec: Conv2DWindow,
  inputShape: readonly [number | null, number | null, number | null]
): readonly [number | null, number | null, number | null] => {
  const cf = spec.dataFormat === 'channels_first'
  const h = outputLength(cf ? inputShape[1] : inputShape[0], spec.kernelSize[0], spec.strides[0], spec.dilationRate[0], spec.padding)
  const w = outputLength(cf ? inputShape[2] : inputShape[1], spec.kernelSize[1], spec.strides[1], spec.dilationRate[1], spec.padding)
  return cf ? [spec.filters, h, w] : [h, w, spec.filters]
}
