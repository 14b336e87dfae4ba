/**
 * NumPy's broadcasting rule, as Keras operations apply it: shapes are aligned from the right (a
 * missing leading axis counts as 1), an axis of size 1 stretches to the other's size, any other sizes
 * must be equal. Keras's symbolic form (`operation_utils.broadcast_shapes`) also takes unknown sizes
 * (`null`): unknown with 1 is unknown, unknown with a size is that size.
 *
 * layerspec runs a model on a batch of any size, so every tensor of a graph has the batch axis first.
 * {@link batchMisalignment} is the one rule that keeps it there: under broadcasting, a tensor's batch
 * axis must land on the output's batch axis (it must have the output's rank), and a constant must not
 * reach the batch axis with a size other than 1.
 */
import { quote } from '../core/describe.js'
import type { SymbolicShape } from '../layers/LayerKind.js'

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

/**
 * The broadcast of two known shapes (NumPy), or `undefined` when they do not broadcast.
 * @category shapes
 * @example
 * broadcastShapes([4, 1, 6], [5, 1]) // [4, 5, 6]
 */
export const broadcastShapes = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] | undefined => {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let k = 0; k < rank; k++) {
    const i = a[a.length - rank + k] ?? 1
    const j = b[b.length - rank + k] ?? 1
    if (i === j || j === 1) out.push(i)
    else if (i === 1) out.push(j)
    else return undefined
  }
  return out
}

/**
 * Keras's symbolic broadcast (`operation_utils.broadcast_shapes`): as {@link broadcastShapes}, where an
 * unknown size (`null`) with 1 or unknown stays unknown and with a size `k` gives `k`. `undefined` when
 * two known sizes differ and neither is 1.
 * @category shapes
 */
export const broadcastSymbolic = (a: SymbolicShape, b: SymbolicShape): SymbolicShape | undefined => {
  const rank = Math.max(a.length, b.length)
  const out: Array<number | null> = []
  for (let k = 0; k < rank; k++) {
    const i = k < rank - a.length ? 1 : (a[a.length - rank + k] as number | null)
    const j = k < rank - b.length ? 1 : (b[b.length - rank + k] as number | null)
    if (i === 1) out.push(j)
    else if (i === null) out.push(j === 1 ? null : j)
    else if (j === 1 || j === null || j === i) out.push(i)
    else return undefined
  }
  return out
}

/**
 * Why an operand of a broadcast whose result has rank `rank` (batch axis included) would not keep the
 * batch axis first, or `undefined` when it does: a tensor (`tensor`) of lower rank than the result
 * would have its batch axis meet another axis (it would run only for some batch sizes), and a constant
 * of the result's rank must have size 1 on axis 0. `what` names the operand.
 * @category shapes
 */
export const batchMisalignment = (shape: SymbolicShape, tensor: boolean, rank: number, what: string): string | undefined => {
  if (tensor && shape.length < rank) {
    return `${what} has rank ${shape.length} (batch axis included) and the result rank ${rank}: aligned from the right, its batch axis would meet axis ${rank - shape.length} of the result, so the model would run only for some batch sizes (layerspec keeps the batch axis first)`
  }
  if (!tensor && shape.length === rank && rank > 0 && shape[0] !== 1) {
    return `${what} has shape ${quote(shape)}, whose axis 0 of size ${String(shape[0])} would meet the batch axis (only a size of 1 broadcasts over any batch)`
  }
  return undefined
}

/**
 * The per-sample shape of an operand broadcast to a result of rank `rank` (batch axis included):
 * a tensor's shape without its batch axis; a constant's shape without its leading axis when it has
 * the result's rank (that axis is 1, see {@link batchMisalignment}).
 * @category shapes
 */
export const perSample = (shape: ReadonlyArray<number>, tensor: boolean, rank: number): ReadonlyArray<number> =>
  tensor || shape.length === rank ? shape.slice(1) : shape

// -------------------------------------------------------------------------------------
// strides
// -------------------------------------------------------------------------------------

/**
 * The row-major strides with which an array of shape `shape` is read at each position of `out` when
 * broadcast to it (aligned from the right): 0 on stretched and missing axes. `shape` must broadcast to `out`.
 * @category strides
 * @example
 * broadcastStrides([3, 1], [2, 3, 4]) // [0, 1, 0]
 */
export const broadcastStrides = (shape: ReadonlyArray<number>, out: ReadonlyArray<number>): number[] => {
  const strides = new Array<number>(out.length).fill(0)
  let stride = 1
  for (let k = shape.length - 1; k >= 0; k--) {
    const a = out.length - shape.length + k
    const d = shape[k] as number
    strides[a] = d === 1 ? 0 : stride
    stride *= d
  }
  return strides
}

/**
 * Row-major strides of a shape.
 * @category strides
 */
export const stridesOf = (shape: ReadonlyArray<number>): number[] => {
  const strides = new Array<number>(shape.length).fill(1)
  for (let k = shape.length - 2; k >= 0; k--) strides[k] = (strides[k + 1] as number) * (shape[k + 1] as number)
  return strides
}

/**
 * The product of the dimensions (1 for a scalar).
 * @category strides
 */
export const sizeOf = (shape: ReadonlyArray<number>): number => {
  let n = 1
  for (const d of shape) n *= d
  return n
}
