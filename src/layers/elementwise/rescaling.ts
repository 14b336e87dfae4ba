/**
 * Rescaling: `y = x · scale + offset`, with NumPy broadcasting of a list `scale` / `offset` over the
 * last axis.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional, required } from '../../core/KerasObject.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import type { DataFormat } from '../../conv2d/Conv2DSpec.js'
import { allocate } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { inDtype, NumberOrList } from './common.js'

/**
 * A normalized Rescaling layer. `scale` / `offset` are numbers, or lists of at least 2 numbers (a
 * one-element list broadcasts as the number does, so it is stored as the number).
 *
 * Keras 3 reshapes a list `scale` (not `offset`) to `(C, 1, 1)` when the global `image_data_format()`
 * is `channels_first`, so it then scales axis -3. `scaleDataFormat` records that global setting (the
 * codec's `imageDataFormat` option) for Keras 3 list scales, and is `null` otherwise (tf.keras 2.x
 * always broadcasts over the last axis).
 * @category model
 */
export interface RescalingSpec extends BaseLayerSpec {
  readonly className: 'Rescaling'
  readonly scale: number | ReadonlyArray<number>
  readonly offset: number | ReadonlyArray<number>
  readonly scaleDataFormat: DataFormat | null
}

/** The axis (from the end) a list argument broadcasts over. */
const scaleAxis = (spec: RescalingSpec): number => (spec.scaleDataFormat === 'channels_first' ? -3 : -1)

/** Checks that the list arguments fit the input's axes (batch axis included). */
const checkLists = (spec: RescalingSpec, input: SymbolicShape): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  const check = (key: 'scale' | 'offset', value: number | ReadonlyArray<number>, fromEnd: number): void => {
    if (typeof value === 'number') return
    const rank = input.length
    if (rank + fromEnd < 1) {
      errors.push(
        specError(key, `a list ${key} of ${value.length} values broadcasts over axis ${fromEnd}, which this input does not have besides its batch axis: input ${showShape(input)}`)
      )
      return
    }
    const d = input[rank + fromEnd]
    if (d !== null && d !== undefined && d !== value.length) {
      errors.push(
        specError(
          key,
          `a list ${key} of ${value.length} values must match the input's axis ${fromEnd}, which has ${d} (input ${showShape(input)})` +
            (d === 1 ? '; Keras would broadcast the output to a shape other than the one it declares' : '')
        )
      )
    }
  }
  check('scale', spec.scale, scaleAxis(spec))
  check('offset', spec.offset, -1)
  return errors
}

/**
 * Rescaling (`scale` required, `offset` default 0; numbers or lists). The constants are rounded to the
 * compute dtype first, as Keras casts them.
 * @category layers
 */
export const RescalingKind: LayerKind<RescalingSpec> = {
  className: 'Rescaling',
  aliases: [],
  arity: 'single',
  codec: layerCodec<RescalingSpec>('Rescaling')(
    () => ({ scale: required(NumberOrList), offset: optional(NumberOrList, 0) }),
    (c, o) => ({
      scale: c.scale,
      offset: c.offset,
      scaleDataFormat: o.dialect === 'keras3' && typeof c.scale !== 'number' ? o.imageDataFormat : null
    }),
    (s) => ({ scale: NumberOrList.encode(s.scale), offset: NumberOrList.encode(s.offset) })
  ),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Rescaling', inputs),
      E.chain((input) => {
        const errors = checkLists(spec, input)
        return errors.length > 0 ? E.left(errors) : E.right({ outputShape: input, weights: [] })
      })
    ),
  compile: (spec, inputs, options) => {
    const perSample = inputs[0] ?? []
    const errors = checkLists(spec, [null, ...perSample])
    if (errors.length > 0) return E.left(errors)
    const rank = perSample.length + 1
    const full = [1, ...perSample]
    // A list argument along axis k (from the end) repeats every `inner` values with period `len`.
    const plan = (value: number | ReadonlyArray<number>, fromEnd: number) => {
      if (typeof value === 'number') return { values: Float64Array.of(inDtype(value, options.dtype)), inner: 1, len: 1 }
      const k = rank + fromEnd
      let inner = 1
      for (let i = k + 1; i < rank; i++) inner *= full[i] as number
      return { values: Float64Array.from(value, (v) => inDtype(v, options.dtype)), inner, len: value.length }
    }
    const s = plan(spec.scale, scaleAxis(spec))
    const b = plan(spec.offset, -1)
    return E.right({
      outputShape: [...perSample],
      weights: [],
      forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const x = xs[0] as Tensor
        const n = x.data.length
        const out = allocate(options.dtype, n)
        const xd = x.data
        if (s.len === 1 && b.len === 1) {
          const sv = s.values[0] as number
          const bv = b.values[0] as number
          for (let i = 0; i < n; i++) out[i] = (xd[i] as number) * sv + bv
        } else {
          for (let i = 0; i < n; i++) {
            const sv = s.values[Math.floor(i / s.inner) % s.len] as number
            const bv = b.values[Math.floor(i / b.inner) % b.len] as number
            out[i] = (xd[i] as number) * sv + bv
          }
        }
        return { shape: [...x.shape], data: out }
      }
    })
  }
}
