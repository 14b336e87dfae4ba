/**
 * Operations that move values without arithmetic: `Reshape` (`newshape`, batch axis included, as
 * `keras.ops.reshape` takes it), `Transpose` (`axes`), `ExpandDims` / `Squeeze` (`axis`), and
 * `Concatenate` / `Stack` (`axis`, called on a list of tensors). Shapes follow Keras's
 * `compute_output_spec`; anything that would move, split or merge the batch axis is refused with the
 * reason (layerspec runs a model on a batch of any size, the batch axis first).
 */
import * as E from 'fp-ts/lib/Either.js'
import { quote } from '../core/describe.js'
import { optional, required } from '../core/KerasObject.js'
import { specError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { Axes, AxisInt, AxisOrAxes, batchAxisError, canonicalAxes, NewShape, Permutation } from './args.js'
import { sizeOf } from './broadcast.js'
import { batchOf, firstTensor, lazy, output, X, type Result } from './common.js'
import { concatenate, gather, transposeMap } from './kernels.js'
import type { Bound, OpKind } from './OpKind.js'

const NUMPY = 'keras.src.ops.numpy'

/** A copy of every sample (reshapes, expand_dims, squeeze: same values, new shape). */
const copyKernel = (index: number, shape: ReadonlyArray<number>, dtype: 'float32' | 'float64') => (xs: ReadonlyArray<Tensor>): Tensor => {
  const batch = batchOf(xs)
  const out = output(dtype, batch, shape)
  out.data.set((xs[index] as Tensor).data)
  return out
}

// -------------------------------------------------------------------------------------
// Reshape
// -------------------------------------------------------------------------------------

/** `Reshape`'s arguments. */
export interface ReshapeArgs {
  readonly newshape: ReadonlyArray<number>
}

/** The per-sample shape of a reshape, or why it does not keep the batch axis. */
const reshapeRule = (newshape: ReadonlyArray<number>, input: SymbolicShape): Result<SymbolicShape> => {
  if (newshape.length === 0 || (newshape[0] as number) !== -1) {
    return E.left([
      specError(
        'config.newshape',
        `Reshape newshape ${quote(newshape)} must start with -1, the batch axis: anything else fixes the batch size or folds the batch into other axes (layerspec runs a model on a batch of any size)`
      )
    ])
  }
  const rest = newshape.slice(1)
  const perSample = input.slice(1)
  if (perSample.every((d) => d !== null)) {
    const from = sizeOf(perSample as ReadonlyArray<number>)
    const to = sizeOf(rest)
    if (from !== to) {
      return E.left([
        specError(
          'config.newshape',
          `Reshape newshape ${quote(newshape)} holds ${to} value(s) per sample and the input ${showShape(input)} ${from}: with -1 first, the batch axis would ${to === 0 ? 'have no size (a sample of no values)' : to < from && from % to === 0 ? 'grow (samples split)' : to > from && to % from === 0 ? 'shrink (samples merged)' : 'not come out whole'}, so each sample must keep its size`
        )
      ])
    }
  }
  return E.right([null, ...rest])
}

/**
 * `ops.reshape(x, newshape)`: config `{name, newshape}`; `newshape` must be `[-1, …]` with as many
 * values per sample as the input.
 * @category kinds
 */
export const ReshapeKind: OpKind<ReshapeArgs> = {
  module: NUMPY,
  className: 'Reshape',
  params: X,
  fields: { newshape: required(NewShape) },
  infer: (args, operands) => {
    const x = firstTensor(operands)
    // Keras's compute_reshape_output_shape: -1 stays unknown when any input size is unknown.
    return E.map((s: SymbolicShape) => [x.shape.includes(null) ? null : (x.shape[0] as number), ...s.slice(1)])(reshapeRule(args.newshape, x.shape))
  },
  compile: (args, operands, { dtype }) => {
    const x = firstTensor(operands)
    const r = reshapeRule(args.newshape, [null, ...x.shape])
    if (E.isLeft(r)) return r
    const shape = r.right.slice(1) as ReadonlyArray<number>
    return E.right({ outputShape: shape, run: copyKernel(x.index, shape, dtype) })
  }
}

// -------------------------------------------------------------------------------------
// Transpose
// -------------------------------------------------------------------------------------

/** `Transpose`'s arguments. */
export interface TransposeArgs {
  readonly axes: ReadonlyArray<number> | null
}

/** The canonical permutation (batch axis included), or the error. */
const permutation = (args: TransposeArgs, rank: number): Result<ReadonlyArray<number>> => {
  if (args.axes === null) {
    return rank === 1
      ? E.right([0])
      : E.left([batchAxisError('config.axes', 'Transpose axes', null, `axes null reverses every axis, which moves the batch axis to the end (give axes such as [0, ${Array.from({ length: rank - 1 }, (_, i) => rank - 1 - i).join(', ')}])`)])
  }
  if (args.axes.length !== rank) {
    return E.left([specError('config.axes', `Transpose axes ${quote(args.axes)} must list every axis of the input once: expected ${rank} axes (batch axis included), found ${args.axes.length}`)])
  }
  const c = canonicalAxes(args.axes, rank, 'config.axes', 'Transpose axes')
  if (E.isLeft(c)) return E.left([c.left])
  const perm = args.axes.map((a) => (a < 0 ? a + rank : a))
  if (perm[0] !== 0) {
    return E.left([specError('config.axes', `Transpose axes ${quote(args.axes)} move the batch axis (axes[0] is ${String(args.axes[0])}): layerspec keeps the batch axis first, so axes must start with 0`)])
  }
  return E.right(perm)
}

/**
 * `ops.transpose(x, axes)`: config `{name, axes}`; `axes` must keep axis 0 first.
 * @category kinds
 */
export const TransposeKind: OpKind<TransposeArgs> = {
  module: NUMPY,
  className: 'Transpose',
  params: X,
  fields: { axes: optional(Permutation, null) },
  infer: (args, operands) => {
    const x = firstTensor(operands)
    return E.map((perm: ReadonlyArray<number>) => perm.map((p) => x.shape[p] ?? null))(permutation(args, x.shape.length))
  },
  compile: (args, operands, { dtype }) => {
    const x = firstTensor(operands)
    const p = permutation(args, x.shape.length + 1)
    if (E.isLeft(p)) return p
    const perm = p.right.slice(1).map((a) => a - 1)
    const shape = perm.map((a) => x.shape[a] as number)
    const map = lazy(() => transposeMap(x.shape, perm))
    const size = sizeOf(x.shape)
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        gather((xs[x.index] as Tensor).data, size, batch, map(), out.data)
        return out
      }
    })
  }
}

// -------------------------------------------------------------------------------------
// ExpandDims, Squeeze
// -------------------------------------------------------------------------------------

/** `ExpandDims`'s arguments. */
export interface ExpandDimsArgs {
  readonly axis: number | ReadonlyArray<number>
}

/** Keras's `compute_expand_dims_output_shape`, refusing a new axis before the batch axis. */
const expandRule = <D>(args: ExpandDimsArgs, shape: ReadonlyArray<D>, one: D): Result<D[]> => {
  const list = typeof args.axis === 'number' ? [args.axis] : args.axis
  const rank = list.length + shape.length
  const axes = canonicalAxes(args.axis, rank, 'config.axis', 'ExpandDims axis')
  if (E.isLeft(axes)) return E.left([axes.left])
  if (axes.right.includes(0)) return E.left([batchAxisError('config.axis', 'ExpandDims axis', args.axis, 'a new axis 0 would stand before the batch axis')])
  const out: D[] = []
  let k = 0
  for (let a = 0; a < rank; a++) out.push(axes.right.includes(a) ? one : (shape[k++] as D))
  return E.right(out)
}

/**
 * `ops.expand_dims(x, axis)`: config `{name, axis}` (an axis or a list of axes, of the result).
 * @category kinds
 */
export const ExpandDimsKind: OpKind<ExpandDimsArgs> = {
  module: NUMPY,
  className: 'ExpandDims',
  params: X,
  fields: { axis: required(AxisOrAxes) },
  infer: (args, operands) => expandRule<number | null>(args, firstTensor(operands).shape, 1),
  compile: (args, operands, { dtype }) => {
    const x = firstTensor(operands)
    const r = expandRule<number>(args, [1, ...x.shape], 1)
    if (E.isLeft(r)) return r
    const shape = r.right.slice(1)
    return E.right({ outputShape: shape, run: copyKernel(x.index, shape, dtype) })
  }
}

/** `Squeeze`'s arguments. */
export interface SqueezeArgs {
  readonly axis: number | ReadonlyArray<number> | null
}

/** Keras's squeeze rule; the batch axis is never squeezed. */
const squeezeRule = (args: SqueezeArgs, shape: SymbolicShape): Result<SymbolicShape> => {
  if (args.axis === null) return E.right(shape.filter((d, i) => i === 0 || d !== 1))
  const axes = canonicalAxes(args.axis, shape.length, 'config.axis', 'Squeeze axis')
  if (E.isLeft(axes)) return E.left([axes.left])
  if (axes.right.includes(0)) return E.left([batchAxisError('config.axis', 'Squeeze axis', args.axis, 'the batch axis is not squeezed')])
  for (const a of axes.right) {
    if (shape[a] !== 1) return E.left([specError('config.axis', `cannot squeeze axis ${a} of ${showShape(shape)}: its size is ${shape[a] === null ? 'unknown' : String(shape[a])}, not 1 (Keras's rule)`)])
  }
  return E.right(shape.filter((_, i) => !axes.right.includes(i)))
}

/**
 * `ops.squeeze(x, axis)`: config `{name, axis}`; with `axis: null`, every axis of size 1 but the batch axis.
 * @category kinds
 */
export const SqueezeKind: OpKind<SqueezeArgs> = {
  module: NUMPY,
  className: 'Squeeze',
  params: X,
  fields: { axis: optional(Axes, null) },
  infer: (args, operands) => squeezeRule(args, firstTensor(operands).shape),
  compile: (args, operands, { dtype }) => {
    const x = firstTensor(operands)
    const r = squeezeRule(args, [null, ...x.shape])
    if (E.isLeft(r)) return r
    const shape = r.right.slice(1) as ReadonlyArray<number>
    return E.right({ outputShape: shape, run: copyKernel(x.index, shape, dtype) })
  }
}

// -------------------------------------------------------------------------------------
// Concatenate, Stack
// -------------------------------------------------------------------------------------

/** `Concatenate` / `Stack` arguments. */
export interface JoinArgs {
  readonly axis: number
}

type Items<S> = Extract<Bound<S>, { readonly kind: 'tensors' }>['items']

const itemsOf = <S>(operands: ReadonlyArray<Bound<S>>): Items<S> => (operands[0] as Extract<Bound<S>, { readonly kind: 'tensors' }>).items

/** Keras's concatenate rule: equal ranks, equal sizes off the axis (unknown matches anything), the axis summed. */
const concatRule = (args: JoinArgs, shapes: ReadonlyArray<SymbolicShape>, paths: ReadonlyArray<string>): Result<SymbolicShape> => {
  const first = shapes[0] as SymbolicShape
  const axes = canonicalAxes(args.axis, first.length, 'config.axis', 'Concatenate axis')
  if (E.isLeft(axes)) return E.left([axes.left])
  const axis = axes.right[0] as number
  if (axis === 0) return E.left([batchAxisError('config.axis', 'Concatenate axis', args.axis, 'joining along it would stack samples (keras.ops.concatenate defaults to axis 0: pass axis=-1 or another axis)')])
  let total: number | null = 0
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i] as SymbolicShape
    const same = s.length === first.length && s.every((d, a) => a === axis || d === null || first[a] === null || d === first[a])
    if (!same) {
      return E.left([specError(paths[i] ?? '', `Concatenate: every tensor must have the first one's shape except on axis ${axis}, found ${showShape(s)} and ${showShape(first)}`)])
    }
    const d = s[axis] ?? null
    total = total === null || d === null ? null : total + d
  }
  return E.right(first.map((d, a) => (a === axis ? total : d)))
}

/**
 * `ops.concatenate(xs, axis)`: config `{name, axis}` (default 0 in Keras: refused, it is the batch
 * axis), call `(xs)`, a list of tensors.
 * @category kinds
 */
export const ConcatenateKind: OpKind<JoinArgs> = {
  module: NUMPY,
  className: 'Concatenate',
  params: [{ name: 'xs', role: 'tensors' }],
  fields: { axis: optional(AxisInt, 0) },
  infer: (args, operands) => {
    const items = itemsOf(operands)
    return concatRule(
      args,
      items.map((i) => i.shape),
      items.map((i) => i.path)
    )
  },
  compile: (args, operands, { dtype }) => {
    const items = itemsOf(operands)
    const r = concatRule(
      args,
      items.map((i) => [null, ...i.shape]),
      items.map((i) => i.path)
    )
    if (E.isLeft(r)) return r
    const shape = r.right.slice(1) as ReadonlyArray<number>
    const axis = (canonicalAxes(args.axis, shape.length + 1, '', '') as E.Right<ReadonlyArray<number>>).right[0] as number
    const shapes = items.map((i) => i.shape)
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        concatenate(
          items.map((i) => (xs[i.index] as { readonly data: ArrayLike<number> }).data),
          shapes,
          axis - 1,
          batch,
          out.data
        )
        return out
      }
    })
  }
}

/** Keras's stack rule: equal shapes (unknown matches anything), a new axis of size `len(xs)`. */
const stackRule = (args: JoinArgs, shapes: ReadonlyArray<SymbolicShape>, paths: ReadonlyArray<string>): Result<{ readonly shape: SymbolicShape; readonly axis: number }> => {
  const first = shapes[0] as SymbolicShape
  const axes = canonicalAxes(args.axis, first.length + 1, 'config.axis', 'Stack axis')
  if (E.isLeft(axes)) return E.left([axes.left])
  const axis = axes.right[0] as number
  if (axis === 0) return E.left([batchAxisError('config.axis', 'Stack axis', args.axis, 'a new axis 0 would stand before the batch axis (keras.ops.stack defaults to axis 0: pass axis=1 or another axis)')])
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i] as SymbolicShape
    if (!(s.length === first.length && s.every((d, a) => d === null || first[a] === null || d === first[a]))) {
      return E.left([specError(paths[i] ?? '', `Stack: every tensor must have the first one's shape, found ${showShape(s)} and ${showShape(first)}`)])
    }
  }
  const shape = [...first]
  shape.splice(axis, 0, shapes.length)
  return E.right({ shape, axis })
}

/**
 * `ops.stack(x, axis)`: config `{name, axis}` (default 0: refused), call `(x)`, a list of tensors.
 * @category kinds
 */
export const StackKind: OpKind<JoinArgs> = {
  module: NUMPY,
  className: 'Stack',
  params: [{ name: 'x', role: 'tensors' }],
  fields: { axis: optional(AxisInt, 0) },
  infer: (args, operands) => {
    const items = itemsOf(operands)
    return E.map((r: { readonly shape: SymbolicShape }) => r.shape)(
      stackRule(
        args,
        items.map((i) => i.shape),
        items.map((i) => i.path)
      )
    )
  },
  compile: (args, operands, { dtype }) => {
    const items = itemsOf(operands)
    const r = stackRule(
      args,
      items.map((i) => [null, ...i.shape]),
      items.map((i) => i.path)
    )
    if (E.isLeft(r)) return r
    const shape = r.right.shape.slice(1) as ReadonlyArray<number>
    const axis = r.right.axis - 1
    // Stacking is concatenating inputs with a size-1 axis inserted at `axis`.
    const shapes = items.map((i) => {
      const s = [...i.shape]
      s.splice(axis, 0, 1)
      return s
    })
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        concatenate(
          items.map((i) => (xs[i.index] as { readonly data: ArrayLike<number> }).data),
          shapes,
          axis,
          batch,
          out.data
        )
        return out
      }
    })
  }
}

/**
 * Every layout kind.
 * @category kinds
 */
export const LAYOUT_KINDS: ReadonlyArray<OpKind> = [ReshapeKind, TransposeKind, ExpandDimsKind, SqueezeKind, ConcatenateKind, StackKind]
