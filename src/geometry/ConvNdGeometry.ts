/**
 * `ConvNdGeometry`: the resolved shapes of one convolution-family layer of rank 1, 2 or 3 on one input
 * shape — what tfjs's `Conv2DInfo` / `Conv3DInfo` are, as one record for the whole family (forward,
 * grouped and depthwise convolutions, transposed convolutions). Every length and padding comes from
 * `Axis.ts` applied axis by axis; kernels, layers and gradients read this record and compute no shape
 * of their own. A separable convolution is two of these: its depthwise part, then a pointwise (all
 * ones kernel, stride 1, `valid`) forward convolution.
 *
 * Layouts (no batch axis in the shapes here; a batch adds a leading axis):
 * - input / output: channels last `[...spatial, C]` for `channels_last` (NWC, NHWC, NDHWC),
 *   channels first `[C, ...spatial]` for `channels_first` (NCW, NCHW, NCDHW);
 * - kernel, Keras's layout, spatial axes first: `conv` `[...k, C/G, F]` (…IO), `transpose`
 *   `[...k, F, C]` (…OI: output channels before input channels, family §6), `depthwise`
 *   `[...k, C, M]` (read row-major, the same data as the grouped `conv` kernel `[...k, 1, C·M]` with
 *   `G = C`: output channel `c·M + m` reads input channel `c`, family §7).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe } from '../core/describe.js'
import { positiveIntProblem } from '../core/PositiveInt.js'
import { specError, type SpecError } from '../core/SpecError.js'
import {
  convAxis,
  convAxisProblem,
  effectiveKernel,
  transposedAxis,
  transposedAxisProblem,
  type ConvPadding
} from './Axis.js'
import { MAX_ELEMENTS } from './ConvGeometry.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The spatial rank of a family member: Conv1D 1, Conv2D 2, Conv3D 3. */
export type ConvRank = 1 | 2 | 3

/**
 * What the layer computes: `conv` a (grouped) cross-correlation, `depthwise` one with `G = C` groups
 * and `M` filters per channel, `transpose` the transposed convolution (family §7).
 */
export type ConvNdKind = 'conv' | 'depthwise' | 'transpose'

/** Channel axis last (`channels_last`) or right after the batch axis (`channels_first`). */
export type ConvDataFormat = 'channels_last' | 'channels_first'

/**
 * The arguments a geometry needs, normalized: every tuple has `rank` entries in spatial order
 * (depth, rows, cols for rank 3).
 */
export interface ConvNdParams {
  readonly kind: ConvNdKind
  readonly rank: ConvRank
  readonly dataFormat: ConvDataFormat
  readonly kernelSize: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly dilationRate: ReadonlyArray<number>
  /** `causal` only for forward convolutions (Conv1D; SeparableConv1D in tf.keras 2.x). */
  readonly padding: ConvPadding
  /** `conv` / `transpose`: F. Ignored for `depthwise` (its F is C·M). */
  readonly filters: number
  /** `conv`: G (1 for the others). */
  readonly groups: number
  /** `depthwise`: M (1 for the others). */
  readonly depthMultiplier: number
  /** `transpose`: Keras's `output_padding` (`null` = None). */
  readonly outputPadding: ReadonlyArray<number> | null
}

/**
 * One family layer resolved for one input shape (see the module comment for the layouts).
 * @category model
 */
export interface ConvNdGeometry {
  readonly kind: ConvNdKind
  readonly rank: ConvRank
  readonly dataFormat: ConvDataFormat
  /** Spatial lengths of the input and output, spatial order. */
  readonly inSpatial: ReadonlyArray<number>
  readonly outSpatial: ReadonlyArray<number>
  readonly inChannels: number
  readonly outChannels: number
  /** `conv`: G; `depthwise`: C; `transpose`: 1. */
  readonly groups: number
  readonly inChannelsPerGroup: number
  readonly outChannelsPerGroup: number
  readonly kernelSize: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly dilationRate: ReadonlyArray<number>
  /** `d·(k−1)+1` per axis. */
  readonly effectiveKernel: ReadonlyArray<number>
  /**
   * Forward kinds: zero padding before / after each spatial axis (TF's `same` split, causal's left pad).
   * `transpose`: all 0 (see `crop` and `full`).
   */
  readonly padBefore: ReadonlyArray<number>
  readonly padAfter: ReadonlyArray<number>
  /**
   * `transpose` only (empty otherwise): the un-cropped scatter length `(n−1)·s + ke` and the crop
   * (output `j` reads scatter index `j + crop`; indices ≥ full read 0), per axis (`TransposedAxis`).
   */
  readonly full: ReadonlyArray<number>
  readonly crop: ReadonlyArray<number>
  /** Input and output shapes without the batch axis, data format order. */
  readonly inputShape: ReadonlyArray<number>
  readonly outputShape: ReadonlyArray<number>
  /** The kernel in Keras's layout for the kind (module comment). */
  readonly kernelShape: ReadonlyArray<number>
  readonly inputSize: number
  readonly outputSize: number
  /** Multiply-adds per sample of the direct computation (transpose: per input element and tap). */
  readonly macsPerSample: number
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** The names of a rank's spatial axes, spatial order. */
export const spatialAxisNames = (rank: ConvRank): ReadonlyArray<string> =>
  rank === 1 ? ['steps'] : rank === 2 ? ['rows', 'cols'] : ['depth', 'rows', 'cols']

/**
 * Checks an input shape (no batch axis, data format order) against the arguments and resolves the
 * geometry, or returns every problem with its path (`inputShape[i]`, or `path[i]`): wrong rank,
 * dimensions that are not positive integers, channels not divisible by groups, a `valid` window
 * larger than the input, a transposed axis of length ≤ 0, sizes no typed array can hold. The
 * arguments themselves are the codec's to validate (strides / dilation, `output_padding < strides`).
 * @category constructors
 */
export const convNdGeometry = (p: ConvNdParams, inputShape: unknown, path = 'inputShape'): E.Either<ReadonlyArray<SpecError>, ConvNdGeometry> => {
  const rank = p.rank
  const cf = p.dataFormat === 'channels_first'
  const names = cf ? ['channels', ...spatialAxisNames(rank)] : [...spatialAxisNames(rank), 'channels']
  if (!Array.isArray(inputShape) || inputShape.length !== rank + 1) {
    return E.left([
      specError(
        path,
        `expected an input shape of ${rank + 1} dimensions [${names.join(', ')}] without the batch axis (${p.dataFormat}), found ${describe(inputShape)}` +
          (Array.isArray(inputShape) && inputShape.length === rank + 2 ? ' (drop the batch axis)' : '')
      )
    ])
  }
  const errors: SpecError[] = []
  names.forEach((name, i) => {
    const problem = positiveIntProblem(inputShape[i])
    if (problem !== undefined) errors.push(specError(`${path}[${i}]`, `expected the ${name} dimension to be a positive integer, ${problem}`))
  })
  if (errors.length > 0) return E.left(errors)
  const dims = inputShape as ReadonlyArray<number>
  const cAxis = cf ? 0 : rank
  const spatialAxis = (i: number): number => (cf ? i + 1 : i)
  const C = dims[cAxis] as number
  const inSpatial = Array.from({ length: rank }, (_, i) => dims[spatialAxis(i)] as number)
  const groups = p.kind === 'conv' ? p.groups : p.kind === 'depthwise' ? C : 1
  const F = p.kind === 'depthwise' ? C * p.depthMultiplier : p.filters
  if (p.kind === 'conv' && C % groups !== 0) {
    errors.push(specError(`${path}[${cAxis}]`, `expected the input channel count to be divisible by groups ${groups}, found ${C} channels (input shape [${dims.join(', ')}])`))
  }
  const ke = p.kernelSize.map((k, i) => effectiveKernel(k, p.dilationRate[i] as number))
  const outSpatial: number[] = []
  const padBefore: number[] = []
  const padAfter: number[] = []
  const full: number[] = []
  const crop: number[] = []
  for (let i = 0; i < rank; i++) {
    const n = inSpatial[i] as number
    const k = p.kernelSize[i] as number
    const s = p.strides[i] as number
    const d = p.dilationRate[i] as number
    if (p.kind === 'transpose') {
      const padding = p.padding === 'causal' ? 'valid' : p.padding
      const op = p.outputPadding === null ? null : (p.outputPadding[i] as number)
      const a = transposedAxis(n, k, s, d, padding, op)
      const problem = transposedAxisProblem(n, k, s, d, padding, op)
      if (problem !== undefined) errors.push(specError(`${path}[${spatialAxis(i)}]`, `the ${spatialAxisNames(rank)[i]} axis: ${problem}`))
      outSpatial.push(a.out)
      full.push(a.full)
      crop.push(a.crop)
      padBefore.push(0)
      padAfter.push(0)
    } else {
      const a = convAxis(n, k, s, d, p.padding)
      const problem = convAxisProblem(n, k, s, d, p.padding)
      if (problem !== undefined) {
        errors.push(specError(`${path}[${spatialAxis(i)}]`, `the ${spatialAxisNames(rank)[i]} axis is too small: ${problem}; use a larger input or padding "same"`))
      }
      outSpatial.push(a.out)
      padBefore.push(a.before)
      padAfter.push(a.after)
    }
  }
  if (errors.length > 0) return E.left(errors)
  const inPerGroup = C / groups
  const kernelShape =
    p.kind === 'conv' ? [...p.kernelSize, inPerGroup, F] : p.kind === 'depthwise' ? [...p.kernelSize, C, p.depthMultiplier] : [...p.kernelSize, F, C]
  const inputSize = product(dims)
  const outputSize = product(outSpatial) * F
  const outputShape = cf ? [F, ...outSpatial] : [...outSpatial, F]
  const limits: ReadonlyArray<readonly [number, string, string]> = [
    [product(kernelShape), 'kernel_size', `the kernel [${kernelShape.join(', ')}] has ${product(kernelShape)} elements`],
    [outputSize, 'filters', `one sample's output [${outputShape.join(', ')}] has ${outputSize} elements`],
    [inputSize, path, `one sample's input has ${inputSize} elements`]
  ]
  for (const [n, where, what] of limits) {
    if (n > MAX_ELEMENTS) errors.push(specError(where, `${what}, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
  }
  if (errors.length > 0) return E.left(errors)
  const taps = product(p.kernelSize)
  const macsPerSample = p.kind === 'transpose' ? product(inSpatial) * taps * C * F : product(outSpatial) * F * taps * inPerGroup
  return E.right(
    Object.freeze<ConvNdGeometry>({
      kind: p.kind,
      rank,
      dataFormat: p.dataFormat,
      inSpatial: Object.freeze(inSpatial),
      outSpatial: Object.freeze(outSpatial),
      inChannels: C,
      outChannels: F,
      groups,
      inChannelsPerGroup: inPerGroup,
      outChannelsPerGroup: F / groups,
      kernelSize: Object.freeze([...p.kernelSize]),
      strides: Object.freeze([...p.strides]),
      dilationRate: Object.freeze([...p.dilationRate]),
      effectiveKernel: Object.freeze(ke),
      padBefore: Object.freeze(padBefore),
      padAfter: Object.freeze(padAfter),
      full: Object.freeze(full),
      crop: Object.freeze(crop),
      inputShape: Object.freeze([...dims]),
      outputShape: Object.freeze(outputShape),
      kernelShape: Object.freeze(kernelShape),
      inputSize,
      outputSize,
      macsPerSample
    })
  )
}
