/**
 * What the op kinds share: the shape rule and compiler of elementwise operations (NumPy broadcasting
 * of tensors and constants, with the batch axis kept first), constants in the model's float type, and
 * small constructors of kinds.
 */
import * as E from 'fp-ts/lib/Either.js'
import { quote } from '../core/describe.js'
import type { Fields, Rule } from '../core/KerasObject.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import { batchMisalignment, broadcastShapes, broadcastStrides, broadcastSymbolic, perSample, sizeOf } from './broadcast.js'
import { binary, noRound, unary, type Round, type Strided } from './kernels.js'
import type { Bound, ConstantValue, OpKernel, OpKind, Param } from './OpKind.js'
import type { OpModule } from './OperationSpec.js'

// Indexing note: reads of arrays whose length the surrounding code has checked are written `a[i] as T`.

/** An `Either` of every problem found, or a value. */
export type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** `x` (one tensor). */
export const X: ReadonlyArray<Param> = [{ name: 'x', role: 'tensor' }]
/** `x1, x2` (tensors or constants, broadcast). */
export const X1X2: ReadonlyArray<Param> = [
  { name: 'x1', role: 'operand' },
  { name: 'x2', role: 'operand' }
]

/**
 * The rounding of a float type: `Math.fround` for float32.
 * @category constructors
 */
export const roundOf = (dtype: FloatDType): Round => (dtype === 'float32' ? Math.fround : noRound)

/**
 * A constant's values in the model's float type (Keras converts a Python number to the tensors'
 * dtype; an array's values are rounded to the model's type too, see the README).
 * @category constructors
 */
export const constantData = (c: ConstantValue, dtype: FloatDType): FloatArray => {
  const data = allocate(dtype, c.values.length)
  for (let i = 0; i < data.length; i++) data[i] = c.values[i] as number
  return data
}

/**
 * The shape of a bound operand (a tensor's with its batch axis at inference; a constant's own).
 * @category constructors
 */
export const shapeOfBound = (b: Bound<SymbolicShape>): SymbolicShape => (b.kind === 'tensor' ? b.shape : b.kind === 'constant' ? b.constant.shape : [])

/** The first tensor operand (every node reads one; the binder checks it). */
export const firstTensor = <S>(operands: ReadonlyArray<Bound<S>>): Extract<Bound<S>, { readonly kind: 'tensor' }> =>
  operands.find((o) => o.kind === 'tensor') as Extract<Bound<S>, { readonly kind: 'tensor' }>

/** A fresh output tensor of `batch` samples of per-sample shape `shape`. */
export const output = (dtype: FloatDType, batch: number, shape: ReadonlyArray<number>): Tensor & { readonly data: FloatArray } => ({
  shape: [batch, ...shape],
  data: allocate(dtype, batch * sizeOf(shape))
})

/**
 * A value computed on first use and kept: index tables as large as a sample are built when a kernel
 * first runs, never at compile time (compiling a model whose inputs could never be allocated must not
 * allocate either).
 * @category constructors
 */
export const lazy = <A>(f: () => A): (() => A) => {
  let value: A | undefined
  return () => (value === undefined ? (value = f()) : value)
}

/** The batch size of a call (its first tensor's). */
export const batchOf = (xs: ReadonlyArray<Tensor>): number => (xs[0] as Tensor).shape[0] as number

// -------------------------------------------------------------------------------------
// elementwise
// -------------------------------------------------------------------------------------

/**
 * The shape rule of an elementwise operation (Keras's `broadcast_shapes` over its operands, a
 * constant's shape its own, a Python number `()`), keeping the batch axis first.
 * @category elementwise
 */
export const inferElementwise = (_className: string, operands: ReadonlyArray<Bound<SymbolicShape>>): Result<SymbolicShape> => {
  let out: SymbolicShape = shapeOfBound(operands[0] as Bound<SymbolicShape>)
  for (let i = 1; i < operands.length; i++) {
    const o = operands[i] as Bound<SymbolicShape>
    const next = broadcastSymbolic(out, shapeOfBound(o))
    if (next === undefined) {
      return E.left([
        specError(
          o.path,
          `cannot broadcast shapes ${showShape(out)} and ${showShape(shapeOfBound(o))} (NumPy's rule: aligned from the right, a size broadcasts only when it is 1)`
        )
      ])
    }
    out = next
  }
  for (const o of operands) {
    const shape = shapeOfBound(o)
    const bad = batchMisalignment(shape, o.kind === 'tensor', out.length, o.kind === 'tensor' ? `the tensor ${showShape(shape)}` : 'the constant')
    if (bad !== undefined) return E.left([specError(o.path, bad)])
  }
  return E.right(out)
}

/** Operands at compile time, with their per-sample shapes and strides over the result. */
const stridedOperands = (
  operands: ReadonlyArray<Bound<ReadonlyArray<number>>>,
  dtype: FloatDType
): Result<{ readonly shape: ReadonlyArray<number>; readonly operands: ReadonlyArray<{ readonly tensor: number | null; readonly constant: FloatArray | null; readonly shape: ReadonlyArray<number> }> }> => {
  const rank = Math.max(...operands.map((o) => (o.kind === 'tensor' ? o.shape.length + 1 : o.kind === 'constant' ? o.constant.shape.length : 0)))
  const items = operands.map((o) =>
    o.kind === 'tensor'
      ? { tensor: o.index, constant: null, shape: o.shape, full: [1, ...o.shape], path: o.path }
      : { tensor: null, constant: o.kind === 'constant' ? constantData(o.constant, dtype) : null, shape: o.kind === 'constant' ? perSample(o.constant.shape, false, rank) : [], full: o.kind === 'constant' ? o.constant.shape : [], path: o.path }
  )
  for (const it of items) {
    const bad = batchMisalignment(it.full, it.tensor !== null, rank, it.tensor !== null ? 'the tensor' : 'the constant')
    if (bad !== undefined) return E.left([specError(it.path, bad)])
  }
  let shape: ReadonlyArray<number> = items[0]?.shape ?? []
  for (const it of items.slice(1)) {
    const next = broadcastShapes(shape, it.shape)
    if (next === undefined) {
      return E.left([specError(it.path, `cannot broadcast the per-sample shapes ${quote(shape)} and ${quote(it.shape)} (NumPy's rule: aligned from the right, a size broadcasts only when it is 1)`)])
    }
    shape = next
  }
  return E.right({ shape, operands: items })
}

/**
 * Compiles an elementwise operation of one or two operands: `f1` for one (`Negative`, `Relu`), `f2`
 * for two (`Add`), broadcast as NumPy does; constants shared by every sample.
 * @category elementwise
 */
export const compileElementwise = (
  _className: string,
  operands: ReadonlyArray<Bound<ReadonlyArray<number>>>,
  dtype: FloatDType,
  f1: ((x: number) => number) | null,
  f2: ((x: number, y: number) => number) | null
): Result<OpKernel> => {
  const r = stridedOperands(operands, dtype)
  if (E.isLeft(r)) return r
  const { shape, operands: items } = r.right
  const size = sizeOf(shape)
  const strided = (it: (typeof items)[number], xs: ReadonlyArray<Tensor>): Strided => ({
    data: it.tensor !== null ? (xs[it.tensor] as Tensor).data : (it.constant as FloatArray),
    sampleSize: it.tensor !== null ? sizeOf(it.shape) : 0,
    strides: broadcastStrides(it.shape, shape)
  })
  if (items.length === 1 && f1 !== null) {
    const only = items[0] as (typeof items)[number]
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        unary((xs[only.tensor as number] as Tensor).data, f1, out.data)
        return out
      }
    })
  }
  const f = f2 as (x: number, y: number) => number
  const [a, b] = items as unknown as readonly [(typeof items)[number], (typeof items)[number]]
  return E.right({
    outputShape: shape,
    run: (xs) => {
      const batch = batchOf(xs)
      const out = output(dtype, batch, shape)
      if (size > 0) binary(strided(a, xs), strided(b, xs), shape, batch, f, out.data)
      return out
    }
  })
}

/**
 * A kind with no config arguments, computed elementwise on one tensor (`Exp`, `Relu`): `f` may depend
 * on the model's rounding (composite functions).
 * @category elementwise
 */
export const unaryKind = (module: OpModule, className: string, f: (round: Round) => (x: number) => number): OpKind<Record<string, never>> => ({
  module,
  className,
  params: X,
  fields: {},
  infer: (_a, operands) => inferElementwise(className, operands),
  compile: (_a, operands, { dtype }) => compileElementwise(className, operands, dtype, f(roundOf(dtype)), null)
})

/**
 * A unary kind with config arguments (`Elu(alpha)`, `Clip(x_min, x_max)`).
 * @category elementwise
 */
export const unaryKindWith = <A extends object>(
  module: OpModule,
  className: string,
  fields: Fields,
  f: (args: A, round: Round) => (x: number) => number,
  rules: ReadonlyArray<Rule<A>> = []
): OpKind<A> => ({
  module,
  className,
  params: X,
  fields,
  rules,
  infer: (_a, operands) => inferElementwise(className, operands),
  compile: (args, operands, { dtype }) => compileElementwise(className, operands, dtype, f(args, roundOf(dtype)), null)
})

/**
 * A binary kind broadcasting two operands (`Add`, `Power`).
 * @category elementwise
 */
export const binaryKind = (module: OpModule, className: string, f: (x: number, y: number) => number): OpKind<Record<string, never>> => ({
  module,
  className,
  params: X1X2,
  fields: {},
  infer: (_a, operands) => inferElementwise(className, operands),
  compile: (_a, operands, { dtype }) => compileElementwise(className, operands, dtype, null, f)
})
