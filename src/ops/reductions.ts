/**
 * Reductions over axes (`keras.ops.mean`, `sum`, `max`, `min`, `prod`, `amax`, `amin`, `var`, `std`,
 * and `logsumexp` of `keras.src.ops.math`): config `{name, axis, keepdims}` (+ `initial` for `Max` /
 * `Min`, `dtype` for `Prod`). Keras's rule (`reduce_shape`): the reduced axes are removed, or kept with
 * size 1 under `keepdims`. `axis: null` (every axis) and any axis list holding the batch axis are
 * refused: layerspec runs a model one sample at a time.
 */
import * as E from 'fp-ts/lib/Either.js'
import { optional } from '../core/KerasObject.js'
import { Bool, nullOr } from '../core/primitives.js'
import { specError } from '../core/SpecError.js'
import { Axes, batchAxisError, canonicalAxes, CastDTypeCodec, Num } from './args.js'
import { batchOf, firstTensor, lazy, output, X, type Result } from './common.js'
import { reduce, reductionPlan, type Reducer } from './kernels.js'
import type { OpKind } from './OpKind.js'
import { sizeOf } from './broadcast.js'
import type { SymbolicShape } from '../layers/LayerKind.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The arguments of a reduction.
 * @category model
 */
export interface ReductionArgs {
  readonly axis: number | ReadonlyArray<number> | null
  readonly keepdims: boolean
  /** `Max` / `Min`: the result is at least (at most) `initial`. */
  readonly initial?: number | null
}

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

/** The reduced axes (batch axis included in the numbering), or the error. */
const reducedAxes = (className: string, args: ReductionArgs, rank: number): Result<ReadonlyArray<number>> => {
  if (args.axis === null) return E.left([batchAxisError('config.axis', `${className} axis`, null, 'axis null reduces every axis, the batch axis too')])
  const a = canonicalAxes(args.axis, rank, 'config.axis', `${className} axis`)
  if (E.isLeft(a)) return E.left([a.left])
  if (a.right.includes(0)) return E.left([batchAxisError('config.axis', `${className} axis`, args.axis, 'a reduction over it would mix the samples of a batch')])
  return E.right(a.right)
}

/**
 * Keras's `reduce_shape`: the shape after reducing `axes` (canonical), with or without `keepdims`.
 * @category shapes
 */
export const reduceShape = <D>(shape: ReadonlyArray<D>, axes: ReadonlyArray<number>, keepdims: boolean, one: D): D[] =>
  keepdims ? shape.map((d, i) => (axes.includes(i) ? one : d)) : shape.filter((_, i) => !axes.includes(i))

// -------------------------------------------------------------------------------------
// kinds
// -------------------------------------------------------------------------------------

const reductionKind = (module: OpKind['module'], className: string, reducer: Reducer, extra: 'initial' | 'dtype' | null): OpKind<ReductionArgs> => ({
  module,
  className,
  params: X,
  fields: {
    axis: optional(Axes, null),
    keepdims: optional(Bool, false),
    ...(extra === 'initial' ? { initial: optional(nullOr(Num), null) } : extra === 'dtype' ? { dtype: optional(nullOr(CastDTypeCodec), null) } : {})
  },
  infer: (args, operands) => {
    const x = firstTensor(operands)
    const axes = reducedAxes(className, args, x.shape.length)
    if (E.isLeft(axes)) return axes
    return E.right(reduceShape<number | null>(x.shape, axes.right, args.keepdims, 1) as SymbolicShape)
  },
  compile: (args, operands, { dtype }) => {
    const x = firstTensor(operands)
    const axes = reducedAxes(className, args, x.shape.length + 1)
    if (E.isLeft(axes)) return axes
    const perSample = axes.right.map((a) => a - 1)
    if (perSample.some((a) => (x.shape[a] as number) === 0) && (reducer === 'max' || reducer === 'min') && (args.initial ?? null) === null) {
      return E.left([specError('config.axis', `${className} of an empty axis (size 0) has no value (Keras raises "Cannot compute the ${reducer} of an empty tensor")`)])
    }
    const shape = reduceShape(x.shape, perSample, args.keepdims, 1)
    const plan = lazy(() => reductionPlan(x.shape, perSample))
    const inSize = sizeOf(x.shape)
    const initial = args.initial ?? null
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        if (out.data.length === 0) return out
        reduce((xs[x.index] as { readonly data: ArrayLike<number> }).data, inSize, batch, plan(), reducer, out.data)
        if (initial !== null) {
          const init = dtype === 'float32' ? Math.fround(initial) : initial
          for (let i = 0; i < out.data.length; i++) {
            const v = out.data[i] as number
            // tf.math.maximum / minimum with the initial value: NaN propagates.
            out.data[i] = v !== v ? v : reducer === 'max' ? (v >= init ? v : init) : v <= init ? v : init
          }
        }
        return out
      }
    })
  }
})

const NUMPY = 'keras.src.ops.numpy'

/**
 * The reductions.
 * @category kinds
 */
export const REDUCTION_KINDS: ReadonlyArray<OpKind> = [
  reductionKind(NUMPY, 'Mean', 'mean', null),
  reductionKind(NUMPY, 'Sum', 'sum', null),
  reductionKind(NUMPY, 'Max', 'max', 'initial'),
  reductionKind(NUMPY, 'Min', 'min', 'initial'),
  reductionKind(NUMPY, 'Amax', 'max', null),
  reductionKind(NUMPY, 'Amin', 'min', null),
  reductionKind(NUMPY, 'Prod', 'prod', 'dtype'),
  reductionKind(NUMPY, 'Var', 'var', null),
  reductionKind(NUMPY, 'Std', 'std', null),
  reductionKind('keras.src.ops.math', 'Logsumexp', 'logsumexp', null)
]
