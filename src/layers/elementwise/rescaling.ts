/**
 * Rescaling: `y = x · scale + offset`, with NumPy broadcasting of `scale` and `offset` (numbers, or
 * arrays of any rank) against the input.
 *
 * Keras 3's full surface (`keras/src/layers/preprocessing/rescaling.py`):
 * - `scale` and `offset` are whatever `serialize_keras_object` wrote: a number, a (nested) list, a
 *   serialized NumPy array `{"class_name": "__numpy__", "config": {"value": …, "dtype": …}}` or a
 *   serialized tuple `{"class_name": "__tuple__", "config": {"value": […]}}`; both keys are required in
 *   a Keras 3 config (`from_config` reads `config["offset"]`, a KeyError without it; Keras always
 *   writes it). tf.keras 2.x writes plain numbers or lists, `offset` defaulting to 0.
 * - Both are cast to the compute dtype, and broadcast against the input as NumPy does (aligned from
 *   the last axis). When Keras 3's global `image_data_format()` is `channels_first`, a `scale` of rank
 *   r ≥ 1 is first reshaped to `shape + (1,)·(3 − r)` (a per-channel list becomes `(C, 1, 1)` and
 *   scales axis −3); the offset is not.
 * - Keras declares the input's shape as the output's; a scale or offset that would broadcast the output
 *   to another shape (a dim of the input that is 1, a rank above the input's, a dim on the batch axis)
 *   is an error here.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, isPlainObject } from '../../core/describe.js'
import { optional, required } from '../../core/KerasObject.js'
import { ownValue } from '../../core/NameTable.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import { allocate } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerCodecOptions, LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { arrayShape, broadcastIndex, flattenArray, inDtype, isNumberArray, validateNumbers, type NumberArray } from './common.js'

export type { NumberArray } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

const isFiniteNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

/**
 * A normalized Rescaling layer. `scale` / `offset` are numbers or arrays ({@link NumberArray}); a list
 * of one number is stored as the number (it broadcasts alike), except for a Keras 3 scale under
 * channels_first, whose rank decides its reshape.
 *
 * `scaleDataFormat` records Keras 3's global `image_data_format()` (the codec's `imageDataFormat`
 * option) for a Keras 3 array `scale`, which it reshapes under `channels_first`; it is `null` otherwise
 * (tf.keras 2.x always broadcasts as NumPy does).
 * @category model
 */
export interface RescalingSpec extends BaseLayerSpec {
  readonly className: 'Rescaling'
  readonly scale: number | NumberArray
  readonly offset: number | NumberArray
  readonly scaleDataFormat: DataFormat | null
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const VALUE_FORMS = 'a finite number, a (nested) list of finite numbers, or a serialized NumPy array'

/** The NumPy dtypes a serialized array may have: floats only (layerspec does not cast integers). */
const NUMPY_FLOAT_DTYPES: ReadonlyArray<string> = ['float32', 'float64']

/**
 * `scale` / `offset`: a number, a (nested) list, a serialized tuple, or a serialized NumPy array of
 * dtype float32 or float64. A one-element 1-D list decodes as its number when `keepSingle` is false.
 */
const valueCodec = (keepSingle: boolean): t.Type<number | NumberArray, number | unknown[], unknown> =>
  new t.Type<number | NumberArray, number | unknown[], unknown>(
    VALUE_FORMS,
    (u): u is number | NumberArray => isFiniteNumber(u) || isNumberArray(u),
    (u, c) => {
      let value: unknown = u
      let ctx = c
      if (isPlainObject(u) && u['class_name'] === '__numpy__') {
        const config = ownValue(u, 'config')
        if (!isPlainObject(config)) return t.failure(u, t.appendContext(c, 'config', t.never, config), `expected a serialized NumPy array's config {"value": …, "dtype": …}, found ${describe(config)}`)
        const dtype = ownValue(config, 'dtype')
        if (dtype !== undefined && !NUMPY_FLOAT_DTYPES.includes(dtype as string)) {
          return t.failure(dtype, t.appendContext(t.appendContext(c, 'config', t.never, config), 'dtype', t.never, dtype), `expected a float32 or float64 NumPy array, found dtype ${describe(dtype)} (layerspec does not cast integer or half-precision arrays)`)
        }
        value = ownValue(config, 'value')
        ctx = t.appendContext(t.appendContext(c, 'config', t.never, config), 'value', t.never, value)
      }
      const errors: t.ValidationError[] = []
      const v = validateNumbers(value, ctx, errors, VALUE_FORMS)
      if (v === undefined || errors.length > 0) return t.failures(errors)
      if (!keepSingle && typeof v !== 'number' && v.length === 1 && typeof v[0] === 'number') return t.success(v[0])
      return t.success(v)
    },
    (a) => (typeof a === 'number' ? a : (JSON.parse(JSON.stringify(a)) as unknown[]))
  )

// -------------------------------------------------------------------------------------
// broadcasting
// -------------------------------------------------------------------------------------

/** The shape `scale` broadcasts with: Keras 3 under channels_first pads an array scale to rank 3 with trailing 1s. */
const scaleShape = (spec: RescalingSpec): ReadonlyArray<number> => {
  const shape = arrayShape(spec.scale) ?? []
  return spec.scaleDataFormat === 'channels_first' && shape.length > 0 && shape.length < 3 ? [...shape, ...new Array<number>(3 - shape.length).fill(1)] : shape
}

/**
 * Why `shape` (aligned to the input from the last axis) cannot broadcast against `input` (batch axis
 * included) without changing its shape, or `undefined`.
 */
const broadcastProblem = (key: string, shape: ReadonlyArray<number>, input: SymbolicShape, written: string): string | undefined => {
  const rank = input.length
  // Beyond the input's rank the output would gain axes; on the batch axis only a 1 keeps the batch.
  if (shape.length > rank || (shape.length === rank && shape[0] !== 1)) {
    return `a ${key} of shape ${showShape(shape)}${written} broadcasts over ${shape.length} axes, more than this input has besides its batch axis: input ${showShape(input)}`
  }
  for (let k = 1; k <= Math.min(shape.length, rank - 1); k++) {
    const s = shape[shape.length - k] as number
    const d = input[rank - k]
    if (s === 1 || d === null || d === undefined || d === s) continue
    return (
      `a ${key} of shape ${showShape(shape)}${written} must match the input's axis ${-k}, which has ${d}, with ${s} values (input ${showShape(input)})` +
      (d === 1 ? '; Keras would broadcast the output to a shape other than the one it declares' : '')
    )
  }
  return undefined
}

/** Checks that the array arguments broadcast against the input (batch axis included) to the input's shape. */
const checkArrays = (spec: RescalingSpec, input: SymbolicShape): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  const cf = spec.scaleDataFormat === 'channels_first' ? ' (reshaped for channels_first)' : ''
  const s = broadcastProblem('scale', scaleShape(spec), input, cf)
  if (s !== undefined) errors.push(specError('scale', s))
  const o = broadcastProblem('offset', arrayShape(spec.offset) ?? [], input, '')
  if (o !== undefined) errors.push(specError('offset', o))
  return errors
}

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

const fields = (o: LayerCodecOptions) => {
  const keepSingle = o.dialect === 'keras3' && o.imageDataFormat === 'channels_first'
  return {
    scale: required(valueCodec(keepSingle)),
    // Keras 3's from_config reads config["offset"]: a config without it is refused.
    offset: o.dialect === 'keras3' ? required(valueCodec(false)) : optional(valueCodec(false), 0 as number | NumberArray)
  }
}

const encodeValue = (v: number | NumberArray): unknown => valueCodec(true).encode(v)

/**
 * Rescaling (`scale` required; `offset` required in Keras 3 configs, default 0 in tf.keras 2.x ones;
 * numbers or arrays broadcast as NumPy does). The constants are rounded to the compute dtype first, as
 * Keras casts them.
 * @category layers
 */
export const RescalingKind: LayerKind<RescalingSpec> = {
  className: 'Rescaling',
  aliases: [],
  arity: 'single',
  codec: layerCodec<RescalingSpec>('Rescaling')(
    fields,
    (c, o) => ({
      scale: c.scale,
      offset: c.offset,
      scaleDataFormat: o.dialect === 'keras3' && typeof c.scale !== 'number' ? o.imageDataFormat : null
    }),
    (s) => ({ scale: encodeValue(s.scale), offset: encodeValue(s.offset) })
  ),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Rescaling', inputs),
      E.chain((input) => {
        const errors = checkArrays(spec, input)
        return errors.length > 0 ? E.left(errors) : E.right({ outputShape: input, weights: [] })
      })
    ),
  compile: (spec, inputs, options) => {
    const perSample = inputs[0] ?? []
    const errors = checkArrays(spec, [null, ...perSample])
    if (errors.length > 0) return E.left(errors)
    const plan = (value: number | NumberArray, shape: ReadonlyArray<number>) => {
      const values = Float64Array.from(flattenArray(value), (v) => inDtype(v, options.dtype))
      // Dims beyond the per-sample rank are 1s aligned with the batch axis (checkArrays).
      return { values, index: values.length === 1 ? undefined : broadcastIndex(shape.slice(Math.max(0, shape.length - perSample.length)), perSample) }
    }
    const s = plan(spec.scale, scaleShape(spec))
    const b = plan(spec.offset, arrayShape(spec.offset) ?? [])
    const size = perSample.reduce((a, d) => a * d, 1)
    return E.right({
      outputShape: [...perSample],
      weights: [],
      forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const x = xs[0] as Tensor
        const n = x.data.length
        const out = allocate(options.dtype, n)
        const xd = x.data
        if (s.index === undefined && b.index === undefined) {
          const sv = s.values[0] as number
          const bv = b.values[0] as number
          for (let i = 0; i < n; i++) out[i] = (xd[i] as number) * sv + bv
        } else {
          for (let i = 0; i < n; i++) {
            const e = size === 0 ? 0 : i % size
            const sv = s.values[s.index === undefined ? 0 : (s.index[e] as number)] as number
            const bv = b.values[b.index === undefined ? 0 : (b.index[e] as number)] as number
            out[i] = (xd[i] as number) * sv + bv
          }
        }
        return { shape: [...x.shape], data: out }
      }
    })
  }
}
