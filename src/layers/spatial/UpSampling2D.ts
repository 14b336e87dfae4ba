/**
 * UpSampling2D: repeats (`nearest`) or interpolates (`bilinear`) the image axes by integer factors.
 *
 * Semantics, the same in both dialects:
 * - `nearest` repeats each row `size[0]` times and each column `size[1]` times (Keras 3 calls
 *   `ops.repeat`; tf.keras 2.x's `resize_images` calls `tf.image.resize(method="nearest")`, which for
 *   integer factors picks the same pixels).
 * - `bilinear` is TensorFlow 2's `tf.image.resize(method="bilinear")` (Keras 3 `ops.image.resize`,
 *   tf.keras 2.x `backend.resize_images`): half-pixel centers, no antialiasing. Output row `o` samples
 *   input row `(o + 0.5) / size[0] − 0.5`, clamped to the image, interpolating linearly between its two
 *   neighbours (columns likewise). TensorFlow.js's `resizeBilinear`, which tfjs-layers calls, uses the
 *   legacy asymmetric mapping `o / size[0]` instead, so tfjs-layers' bilinear output differs from Keras's.
 * - `interpolation` is case-insensitive (both Kerases lower-case it). The other methods Keras accepts
 *   (`bicubic`, `lanczos3`, `lanczos5`; tf.keras also `area`, `gaussian`, `mitchellcubic`) are rejected:
 *   layerspec does not run them.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional } from '../../core/KerasObject.js'
import { IntOrPair, type Pair } from '../../core/Pair.js'
import { oneOfNames } from '../../core/primitives.js'
import type { Tensor } from '../../core/Tensor.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import { allocate, type FloatArray } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { dataFormatField, imageAxes, inferKnown, layoutOf, type ImageLayout } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** UpSampling2D interpolation methods layerspec runs. */
export type Interpolation = 'nearest' | 'bilinear'

/** Every interpolation, the default first. */
export const INTERPOLATIONS: ReadonlyArray<Interpolation> = ['nearest', 'bilinear']

/**
 * A normalized UpSampling2D layer.
 * @category model
 */
export interface UpSampling2DSpec extends BaseLayerSpec {
  readonly className: 'UpSampling2D'
  /** `[rows, cols]` upsampling factors. */
  readonly size: Pair
  readonly dataFormat: DataFormat
  readonly interpolation: Interpolation
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const unsupported = (name: string): string =>
  `interpolation "${name}" is a Keras resize method that layerspec does not run; expected "nearest" or "bilinear"`

const InterpolationCodec = oneOfNames<Interpolation>('interpolation', INTERPOLATIONS, {
  caseInsensitive: true,
  explain: Object.fromEntries(['bicubic', 'lanczos3', 'lanczos5', 'area', 'gaussian', 'mitchellcubic'].map((n) => [n, unsupported(n)]))
})

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

const inferUpSampling = (spec: UpSampling2DSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('UpSampling2D', inputs, 4),
    E.map((input) => {
      const ax = imageAxes(spec.dataFormat)
      const out = [...input]
      const rows = input[ax.rows] ?? null
      const cols = input[ax.cols] ?? null
      out[ax.rows] = rows === null ? null : rows * spec.size[0]
      out[ax.cols] = cols === null ? null : cols * spec.size[1]
      return { outputShape: out, weights: [] }
    })
  )

/**
 * Per output index along one axis: the two input indices and the weight of the second (TF's half-pixel
 * rule). Training reads it for the backward (src/train/vjp/upsample.ts).
 * @category utils
 */
export const bilinearAxis = (inLength: number, factor: number): { readonly lo: Int32Array; readonly hi: Int32Array; readonly frac: Float64Array } => {
  const n = inLength * factor
  const lo = new Int32Array(n)
  const hi = new Int32Array(n)
  const frac = new Float64Array(n)
  for (let o = 0; o < n; o++) {
    const src = (o + 0.5) / factor - 0.5
    const f = Math.floor(src)
    lo[o] = Math.max(f, 0)
    hi[o] = Math.min(Math.ceil(src), inLength - 1)
    frac[o] = src - f
  }
  return { lo, hi, frac }
}

/**
 * The reference `nearest` upsampling kernel of UpSampling2D, and through views of UpSampling1D / 3D:
 * each of `batch` consecutive images of `x` (layout `inL`: NHWC or NCHW) into `out` (layout `outL`,
 * `fh` times the rows and `fw` times the cols), output row `oh` copying input row `⌊oh / fh⌋` and
 * output col `ow` input col `⌊ow / fw⌋` (each element repeated consecutively).
 * @category kernels
 */
export const repeatNearest = (x: ArrayLike<number>, out: FloatArray, batch: number, inL: ImageLayout, outL: ImageLayout, fh: number, fw: number): void => {
  const C = inL.channels
  for (let n = 0; n < batch; n++) {
    const xBase = n * inL.size
    const oBase = n * outL.size
    for (let oh = 0; oh < outL.rows; oh++) {
      const xr = xBase + Math.floor(oh / fh) * inL.rowStride
      for (let ow = 0; ow < outL.cols; ow++) {
        const xp = xr + Math.floor(ow / fw) * inL.colStride
        const op = oBase + oh * outL.rowStride + ow * outL.colStride
        for (let c = 0; c < C; c++) out[op + c * outL.channelStride] = x[xp + c * inL.channelStride] as number
      }
    }
  }
}

/**
 * UpSampling2D.
 * @category layers
 */
export const UpSampling2DKind: LayerKind<UpSampling2DSpec> = {
  className: 'UpSampling2D',
  aliases: [],
  arity: 'single',
  codec: layerCodec<UpSampling2DSpec>('UpSampling2D')(
    (o) => ({
      size: optional(IntOrPair, [2, 2] as unknown as Pair),
      data_format: dataFormatField(o),
      interpolation: optional(InterpolationCodec, 'nearest' as Interpolation)
    }),
    (c) => ({ size: c.size, dataFormat: c.data_format, interpolation: c.interpolation }),
    (s) => ({ size: [s.size[0], s.size[1]], data_format: s.dataFormat, interpolation: s.interpolation })
  ),
  infer: inferUpSampling,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferUpSampling, spec, inputs),
      E.map(({ outputShape }) => {
        const inL = layoutOf(spec.dataFormat, inputs[0] ?? [])
        const outL = layoutOf(spec.dataFormat, outputShape)
        const [fh, fw] = spec.size
        const C = inL.channels
        const rowsT = bilinearAxis(inL.rows, fh)
        const colsT = bilinearAxis(inL.cols, fw)
        return {
          outputShape,
          weights: [],
          forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const x = (xs[0] as Tensor).data
            const batch = (xs[0] as Tensor).shape[0] as number
            const out = allocate(options.dtype, batch * outL.size)
            if (spec.interpolation === 'nearest') {
              repeatNearest(x, out, batch, inL, outL, fh, fw)
              return { shape: [batch, ...outputShape], data: out }
            }
            for (let n = 0; n < batch; n++) {
              const xBase = n * inL.size
              const oBase = n * outL.size
              for (let oh = 0; oh < outL.rows; oh++) {
                const top = xBase + (rowsT.lo[oh] as number) * inL.rowStride
                const bottom = xBase + (rowsT.hi[oh] as number) * inL.rowStride
                const dy = rowsT.frac[oh] as number
                for (let ow = 0; ow < outL.cols; ow++) {
                  const l = (colsT.lo[ow] as number) * inL.colStride
                  const r = (colsT.hi[ow] as number) * inL.colStride
                  const dx = colsT.frac[ow] as number
                  const op = oBase + oh * outL.rowStride + ow * outL.colStride
                  for (let c = 0; c < C; c++) {
                    const cs = c * inL.channelStride
                    const tl = x[top + l + cs] as number
                    const tr = x[top + r + cs] as number
                    const bl = x[bottom + l + cs] as number
                    const br = x[bottom + r + cs] as number
                    const t = tl + (tr - tl) * dx
                    const b = bl + (br - bl) * dx
                    out[op + c * outL.channelStride] = t + (b - t) * dy
                  }
                }
              }
            }
            return { shape: [batch, ...outputShape], data: out }
          }
        }
      })
    )
}
