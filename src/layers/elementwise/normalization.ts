/**
 * Normalization (`keras.layers.Normalization`, the preprocessing layer EfficientNet starts with):
 * `y = (x − mean) / max(√variance, ε)`, or with `invert` `y = mean + x · max(√variance, ε)`, where ε is
 * Keras's `backend.epsilon()` = 1e-7, with one mean and variance per index of the kept `axis` (the
 * other axes share them).
 *
 * Keras details kept here (Keras 3 `layers/preprocessing/normalization.py`, tf.keras 2.x
 * `layers/preprocessing/normalization.py`, the same rules):
 * - `axis`: an integer, a list of integers, or `null` (→ `[]`: one scalar mean and variance); default
 *   -1. Written back as a list, as Keras writes it.
 * - `mean` / `variance` given in the config (a number or a nested list, both or neither, of the same
 *   shape, of rank at most the number of axes): broadcast to the kept axes aligned from the last one;
 *   the layer then has no weights. Otherwise (an adapted layer) it has three non-trainable weights, in
 *   this order: `mean` and `variance` (the kept axes' dims) and `count` (a scalar int64 kept for old
 *   files, read by nothing).
 * - Every kept axis must be in range and have a known size (Keras raises otherwise). layerspec also
 *   refuses a repeated axis; keeping the batch axis (axis 0) needs a fixed batch size, which a compiled
 *   model never has (it runs any batch), so it is refused when compiling.
 * - The arithmetic is Keras's in float32: the mean and variance rounded to float32, √ in float32, the
 *   maximum with ε (a NaN variance stays NaN), then the subtraction and the division.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, quote } from '../../core/describe.js'
import { optional, type Rule } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { Bool, SafeInt } from '../../core/primitives.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { allocate, type FloatDType } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec, Bookkeeping } from '../base.js'
import type { LayerKind, SymbolicShape, WeightSpec } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { arrayShape, flattenArray, isNumberArray, normalizeAxes, productOf, validateNumbers, type NumberArray } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized Normalization layer.
 * @category model
 */
export interface NormalizationSpec extends BaseLayerSpec {
  readonly className: 'Normalization'
  /** The kept axes as written (batch axis 0, negative from the end); `[]` for Keras's `axis=None`. */
  readonly axis: ReadonlyArray<number>
  /** The given mean (a number or an array), or `null` for an adapted layer (mean and variance are weights). */
  readonly mean: number | NumberArray | null
  /** The given variance, of the mean's shape; `null` exactly when `mean` is. */
  readonly variance: number | NumberArray | null
  /** Apply the inverse transformation (de-normalize). */
  readonly invert: boolean
}

/**
 * Keras's `backend.epsilon()`: the floor of the standard deviation Normalization divides by.
 * @category constants
 */
export const NORMALIZATION_EPSILON = 1e-7

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const isInt = (u: unknown): u is number => SafeInt.is(u)

/** `axis`: an integer, a list of integers (any length, `[]` included) or `null` (→ `[]`); encodes as a list. */
const NormalizationAxis: t.Type<ReadonlyArray<number>, number[], unknown> = new t.Type<ReadonlyArray<number>, number[], unknown>(
  'an integer, a list of integers or null',
  (u): u is ReadonlyArray<number> => Array.isArray(u) && u.every(isInt),
  (u, c) => {
    if (u === null) return t.success([])
    if (typeof u === 'number') return isInt(u) ? t.success([u + 0]) : t.failure(u, c, `expected an integer axis, a list of integer axes or null, found ${describe(u)}`)
    const items = listItems(u)
    if (items === undefined) return t.failure(u, c, `expected an integer axis, a list of integer axes or null, found ${describe(u)}`)
    const errors: t.ValidationError[] = []
    items.forEach((x, i) => {
      if (!isInt(x)) errors.push({ value: x, context: t.appendContext(c, String(i), t.never, x), message: `expected an integer axis, found ${describe(x)}` })
    })
    return errors.length > 0 ? t.failures(errors) : t.success((items as ReadonlyArray<number>).map((a) => a + 0))
  },
  (a) => [...a]
)

const VALUES = 'a finite number or a (nested) list of finite numbers'

/** `mean` / `variance`: `null`, a number or a rectangular nested list (Keras writes `np.array(x).tolist()`). */
const Values: t.Type<number | NumberArray | null, number | unknown[] | null, unknown> = new t.Type<number | NumberArray | null, number | unknown[] | null, unknown>(
  `null or ${VALUES}`,
  (u): u is number | NumberArray | null => u === null || (typeof u === 'number' && Number.isFinite(u)) || isNumberArray(u),
  (u, c) => {
    if (u === null) return t.success(null)
    const errors: t.ValidationError[] = []
    const v = validateNumbers(u, c, errors, `null or ${VALUES}`)
    return v === undefined || errors.length > 0 ? t.failures(errors) : t.success(v)
  },
  (a) => (a === null || typeof a === 'number' ? a : (JSON.parse(JSON.stringify(a)) as unknown[]))
)

const fields = () =>
  ({
    axis: optional(NormalizationAxis, [-1]),
    mean: optional(Values, null),
    variance: optional(Values, null),
    invert: optional(Bool, false)
  }) as const

interface Decoded extends Bookkeeping {
  readonly axis: ReadonlyArray<number>
  readonly mean: number | NumberArray | null
  readonly variance: number | NumberArray | null
  readonly invert: boolean
}

const showValueShape = (v: number | NumberArray): string => showShape(arrayShape(v) ?? [])

/** Keras's constructor checks of a given mean and variance. */
const RULES: ReadonlyArray<Rule<Decoded>> = [
  {
    keys: ['mean', 'variance'],
    check: (c) =>
      (c.mean === null) !== (c.variance === null)
        ? {
            key: c.mean === null ? 'mean' : 'variance',
            message: `mean and variance must be given together (Keras raises "When setting values directly, both \`mean\` and \`variance\` must be set"); found only ${c.mean === null ? 'variance' : 'mean'}`
          }
        : undefined
  },
  {
    keys: ['mean', 'variance'],
    check: (c) =>
      c.mean !== null && c.variance !== null && showValueShape(c.mean) !== showValueShape(c.variance)
        ? { key: 'variance', message: `mean and variance must have the same shape, found mean ${showValueShape(c.mean)} and variance ${showValueShape(c.variance)}` }
        : undefined
  },
  {
    keys: ['mean', 'axis'],
    check: (c) =>
      c.mean !== null && (arrayShape(c.mean)?.length ?? 0) > c.axis.length
        ? {
            key: 'mean',
            message: `the rank of mean must be at most the number of axes (${c.axis.length}, axis ${quote(c.axis)}), found mean of shape ${showValueShape(c.mean)}`
          }
        : undefined
  }
]

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

interface Resolved {
  /** The kept axes, normalized and sorted (batch axis 0). */
  readonly keep: ReadonlyArray<number>
  /** The dims of the kept axes: the shape of the mean and variance weights. */
  readonly paramShape: ReadonlyArray<number>
}

/** Keras's `build`: axes in range, kept axes known; a given mean broadcasts onto the kept axes. */
const resolve = (spec: NormalizationSpec, input: SymbolicShape): E.Either<ReadonlyArray<SpecError>, Resolved> =>
  pipe(
    spec.axis.length === 0 ? E.right<ReadonlyArray<SpecError>, ReadonlyArray<number>>([]) : normalizeAxes(spec.axis, input, 'axis', 'Normalization'),
    E.chain((axes) => {
      const keep = [...axes].sort((a, b) => a - b)
      const errors: SpecError[] = []
      for (const a of keep) {
        if (input[a] === null || input[a] === undefined) {
          errors.push(specError('axis', `every kept axis of Normalization must have a known size (Keras raises); axis ${a} of input ${showShape(input)} is unknown`))
        }
      }
      if (errors.length > 0) return E.left(errors)
      const paramShape = keep.map((a) => input[a] as number)
      if (spec.mean !== null) {
        const ms = arrayShape(spec.mean) ?? []
        for (let i = 1; i <= ms.length; i++) {
          const m = ms[ms.length - i] as number
          const d = paramShape[paramShape.length - i] as number
          if (m !== 1 && m !== d) {
            errors.push(
              specError('mean', `mean and variance of shape ${showShape(ms)} do not broadcast onto the kept axes ${quote(keep)} of input ${showShape(input)} (dims ${showShape(paramShape)}), aligned from the last`)
            )
            break
          }
        }
      }
      return errors.length > 0 ? E.left(errors) : E.right({ keep, paramShape })
    })
  )

const weightsOf = (spec: NormalizationSpec, paramShape: ReadonlyArray<number>): ReadonlyArray<WeightSpec> =>
  spec.mean !== null
    ? []
    : [
        { name: 'mean', shape: paramShape, trainable: false, initializer: { kind: 'constant', value: 0 } },
        { name: 'variance', shape: paramShape, trainable: false, initializer: { kind: 'constant', value: 1 } },
        { name: 'count', shape: [], trainable: false, initializer: { kind: 'constant', value: 0 } }
      ]

/** The given values broadcast to the kept axes' dims (NumPy's rule, aligned from the last axis), flat. */
const broadcastTo = (v: number | NumberArray, paramShape: ReadonlyArray<number>): Float64Array => {
  const values = flattenArray(v)
  const shape = arrayShape(v) ?? []
  const size = productOf(paramShape)
  const out = new Float64Array(size)
  const strides = new Array<number>(paramShape.length).fill(0)
  let st = 1
  for (let k = 1; k <= shape.length; k++) {
    const d = shape[shape.length - k] as number
    strides[paramShape.length - k] = d === 1 ? 0 : st
    st *= d
  }
  const idx = new Array<number>(paramShape.length).fill(0)
  let p = 0
  for (let e = 0; e < size; e++) {
    out[e] = values[p] as number
    for (let a = paramShape.length - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      p += strides[a] as number
      if ((idx[a] as number) < (paramShape[a] as number)) break
      p -= (strides[a] as number) * (paramShape[a] as number)
      idx[a] = 0
    }
  }
  return out
}

/** For each per-sample position, the index of its mean / variance among the kept axes' values. */
const paramIndexOf = (keep: ReadonlyArray<number>, perSample: ReadonlyArray<number>): Int32Array => {
  const rank = perSample.length
  const strides = new Array<number>(rank).fill(0)
  let st = 1
  for (let a = rank - 1; a >= 0; a--) {
    if (keep.includes(a + 1)) {
      strides[a] = st
      st *= perSample[a] as number
    }
  }
  const size = productOf(perSample)
  const index = new Int32Array(size)
  const idx = new Array<number>(rank).fill(0)
  let p = 0
  for (let e = 0; e < size; e++) {
    index[e] = p
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      p += strides[a] as number
      if ((idx[a] as number) < (perSample[a] as number)) break
      p -= (strides[a] as number) * (perSample[a] as number)
      idx[a] = 0
    }
  }
  return index
}

/** `mean` and `max(√variance, ε)` per kept index, in the compute dtype's arithmetic. */
const prepare = (mean: ArrayLike<number>, variance: ArrayLike<number>, dtype: FloatDType): { readonly mean: Float64Array; readonly scale: Float64Array } => {
  const f = dtype === 'float32' ? Math.fround : (x: number): number => x
  const eps = f(NORMALIZATION_EPSILON)
  const m = new Float64Array(mean.length)
  const scale = new Float64Array(mean.length)
  for (let i = 0; i < mean.length; i++) {
    m[i] = f(mean[i] as number)
    const sd = f(Math.sqrt(f(variance[i] as number)))
    // tf.maximum propagates a NaN (Math.max does too)
    scale[i] = Math.max(sd, eps)
  }
  return { mean: m, scale }
}

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

/**
 * Normalization (`axis` default -1, `mean` / `variance` default null, `invert` default false), in both
 * dialects.
 * @category layers
 */
export const NormalizationKind: LayerKind<NormalizationSpec> = {
  className: 'Normalization',
  aliases: [],
  arity: 'single',
  codec: layerCodec<NormalizationSpec>('Normalization')(
    fields,
    (c) => ({ axis: c.axis, mean: c.mean, variance: c.variance, invert: c.invert }),
    (s) => ({ axis: [...s.axis], invert: s.invert, mean: Values.encode(s.mean), variance: Values.encode(s.variance) }),
    { rules: RULES as never }
  ),
  infer: (spec, inputs) =>
    pipe(
      singleInput('Normalization', inputs),
      E.chain((input) => pipe(resolve(spec, input), E.map((r) => ({ outputShape: input, weights: weightsOf(spec, r.paramShape) }))))
    ),
  compile: (spec, inputs, options) => {
    const perSample = inputs[0] ?? []
    return pipe(
      // The batch axis is unknown here: keeping it (axis 0) fails as an unknown kept axis.
      resolve(spec, [null, ...perSample]),
      E.map((r) => {
        const given = spec.mean === null || spec.variance === null ? undefined : prepare(broadcastTo(spec.mean, r.paramShape), broadcastTo(spec.variance, r.paramShape), options.dtype)
        const index = paramIndexOf(r.keep, perSample)
        const size = productOf(perSample)
        const f = options.dtype === 'float32' ? Math.fround : (x: number): number => x
        return {
          outputShape: [...perSample],
          weights: weightsOf(spec, r.paramShape),
          forward: (weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            const p = given ?? prepare((weights[0] as Tensor).data, (weights[1] as Tensor).data, options.dtype)
            const x = xs[0] as Tensor
            const xd = x.data
            const out = allocate(options.dtype, xd.length)
            for (let base = 0; base < xd.length; base += size) {
              for (let e = 0; e < size; e++) {
                const k = index[e] as number
                const v = xd[base + e] as number
                const m = p.mean[k] as number
                const s = p.scale[k] as number
                out[base + e] = spec.invert ? m + f(v * s) : f(v - m) / s
              }
            }
            return { shape: [...x.shape], data: out }
          }
        }
      })
    )
  }
}
