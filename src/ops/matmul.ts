/**
 * `Matmul` (`keras.ops.matmul(x1, x2)`, `x1 @ x2`): NumPy's matrix product — the last two axes are
 * matrices, the leading ones broadcast, a 1-D operand is a row (`x1`) or column (`x2`) vector whose
 * axis is dropped from the result. Keras's shape rule (`compute_matmul_output_shape`), and the batch
 * rule of layerspec: every tensor's batch axis must become the result's axis 0 without ever being
 * summed over or crossed with another sample. So a tensor `x1` of rank 2 (a row per sample) takes a
 * constant matrix or vector `x2`; otherwise tensors of rank ≥ 3 have their batch axis among the
 * broadcast leading axes, all at the result's rank.
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError } from '../core/SpecError.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { broadcastShapes, broadcastStrides, broadcastSymbolic, sizeOf } from './broadcast.js'
import { batchOf, constantData, output, X1X2, type Result } from './common.js'
import { matmul, type MatmulOperand } from './kernels.js'
import type { Bound, OpKind } from './OpKind.js'

/** An operand's shape (a tensor's with its batch axis) and whether it is a tensor. */
interface Side {
  readonly shape: SymbolicShape
  readonly tensor: boolean
  readonly path: string
}

/**
 * The result shape of `x1 @ x2` (Keras's rule), or why it cannot keep the batch axis first.
 * @category shapes
 */
export const matmulShape = (a: Side, b: Side): E.Either<SpecError, SymbolicShape> => {
  const fail = (side: Side, why: string): E.Either<SpecError, SymbolicShape> => E.left(specError(side.path, `Matmul of ${showShape(a.shape)} and ${showShape(b.shape)}: ${why}`))
  if (a.shape.length === 0 || b.shape.length === 0) return fail(a.shape.length === 0 ? a : b, 'a scalar operand has no matrix axes (NumPy refuses it)')
  // The batch rule.
  for (const [side, which] of [
    [a, 'x1'],
    [b, 'x2']
  ] as const) {
    if (!side.tensor) continue
    const other = side === a ? b : a
    if (side.shape.length === 1) return fail(side, `the tensor ${which} of rank 1 would be summed over its batch axis`)
    if (side.shape.length === 2) {
      if (which === 'x2') return fail(side, 'the tensor x2 of rank 2 would be summed over its batch axis (its rows)')
      if (other.tensor) return fail(other, 'a tensor x1 of rank 2 (one row per sample) can only be multiplied by a constant matrix or vector: any tensor x2 would mix the samples')
      if (other.shape.length > 2) return fail(other, `the constant x2 of rank ${other.shape.length} would put its leading axes before the batch axis`)
    } else {
      const rank = other.tensor ? other.shape.length : other.shape.length
      if (other.tensor && rank !== side.shape.length) return fail(other, 'two tensors of rank ≥ 3 must have the same rank (their batch axes must line up)')
      if (!other.tensor && rank > side.shape.length) return fail(other, `the constant of rank ${rank} would put its leading axes before the batch axis of the tensor of rank ${side.shape.length}`)
      if (!other.tensor && rank === side.shape.length && other.shape[0] !== 1) return fail(other, `the constant's axis 0 of size ${String(other.shape[0])} would meet the batch axis (only 1 broadcasts over any batch)`)
    }
  }
  // Keras's compute_matmul_output_shape.
  const s1 = a.shape.length === 1 ? [1, a.shape[0] as number | null] : a.shape
  const s2 = b.shape.length === 1 ? [b.shape[0] as number | null, 1] : b.shape
  const k1 = s1[s1.length - 1] as number | null
  const k2 = s2[s2.length - 2] as number | null
  if (k1 !== null && k2 !== null && k1 !== k2) return fail(b, `the inner sizes differ: x1's last axis has ${k1} values and x2's second-to-last ${k2}`)
  const lead = broadcastSymbolic(s1.slice(0, -2), s2.slice(0, -2))
  if (lead === undefined) return fail(b, `the leading axes ${showShape(s1.slice(0, -2))} and ${showShape(s2.slice(0, -2))} do not broadcast`)
  const out: Array<number | null> = [...lead, s1[s1.length - 2] as number | null, s2[s2.length - 1] as number | null]
  if (b.shape.length === 1) out.splice(out.length - 1, 1)
  if (a.shape.length === 1) out.splice(out.length - (b.shape.length === 1 ? 1 : 2), 1)
  return E.right(out)
}

const sideOf = (o: Bound<SymbolicShape>): Side => ({ shape: o.kind === 'tensor' ? o.shape : o.kind === 'constant' ? o.constant.shape : [], tensor: o.kind === 'tensor', path: o.path })

/** The per-sample matrix view of an operand, the batch axis a leading axis of size 1. */
const viewOf = (full: ReadonlyArray<number>, first: boolean): { readonly lead: ReadonlyArray<number>; readonly rows: number; readonly cols: number } => {
  if (full.length === 1) return first ? { lead: [], rows: 1, cols: full[0] as number } : { lead: [], rows: full[0] as number, cols: 1 }
  return { lead: full.slice(0, -2), rows: full[full.length - 2] as number, cols: full[full.length - 1] as number }
}

/**
 * `ops.matmul(x1, x2)`: call `(x1, x2)`, each a tensor or a constant; config `{name}`.
 * @category kinds
 */
export const MatmulKind: OpKind<Record<string, never>> = {
  module: 'keras.src.ops.numpy',
  className: 'Matmul',
  params: X1X2,
  fields: {},
  infer: (_args, operands) => E.mapLeft((e: SpecError) => [e])(matmulShape(sideOf(operands[0] as Bound<SymbolicShape>), sideOf(operands[1] as Bound<SymbolicShape>))),
  compile: (_args, operands, { dtype }) => {
    const [o1, o2] = operands as readonly [Bound<ReadonlyArray<number>>, Bound<ReadonlyArray<number>>]
    const full = (o: Bound<ReadonlyArray<number>>): ReadonlyArray<number> => (o.kind === 'tensor' ? [1, ...o.shape] : o.kind === 'constant' ? o.constant.shape : [])
    const sym = (o: Bound<ReadonlyArray<number>>): Side => ({ shape: o.kind === 'tensor' ? [null, ...o.shape] : full(o), tensor: o.kind === 'tensor', path: o.path })
    const checked = matmulShape(sym(o1), sym(o2))
    if (E.isLeft(checked)) return E.left([checked.left])
    const v1 = viewOf(full(o1), true)
    const v2 = viewOf(full(o2), false)
    const lead = broadcastShapes(v1.lead, v2.lead)
    if (lead === undefined) return E.left([specError(o2.path, `Matmul: the leading axes ${showShape(v1.lead)} and ${showShape(v2.lead)} do not broadcast`)])
    // The result with the batch as a leading axis of size 1, then without it.
    const outFull: number[] = [...lead, v1.rows, v2.cols]
    if (full(o2).length === 1) outFull.splice(outFull.length - 1, 1)
    if (full(o1).length === 1) outFull.splice(outFull.length - (full(o2).length === 1 ? 1 : 2), 1)
    const shape = outFull.slice(1)
    const c1 = o1.kind === 'constant' ? constantData(o1.constant, dtype) : null
    const c2 = o2.kind === 'constant' ? constantData(o2.constant, dtype) : null
    const strides = (v: { readonly lead: ReadonlyArray<number>; readonly rows: number; readonly cols: number }): ReadonlyArray<number> =>
      broadcastStrides(v.lead, lead).map((s) => s * v.rows * v.cols)
    const s1 = strides(v1)
    const s2 = strides(v2)
    const size1 = sizeOf(full(o1))
    const size2 = sizeOf(full(o2))
    return E.right({
      outputShape: shape,
      run: (xs) => {
        const batch = batchOf(xs)
        const out = output(dtype, batch, shape)
        const side = (o: Bound<ReadonlyArray<number>>, c: ArrayLike<number> | null, v: typeof v1, st: ReadonlyArray<number>, size: number): MatmulOperand => ({
          data: o.kind === 'tensor' ? (xs[o.index] as { readonly data: ArrayLike<number> }).data : (c as ArrayLike<number>),
          sampleSize: o.kind === 'tensor' ? size : 0,
          leadStrides: st,
          rows: v.rows,
          cols: v.cols
        })
        if (out.data.length > 0) matmul(side(o1, c1, v1, s1, size1), side(o2, c2, v2, s2, size2), lead, batch, out.data)
        return out
      }
    })
  }
}

export type { Result }
