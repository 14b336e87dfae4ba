/**
 * `Unary`: an elementwise function the compiler can apply at the end of a producing kernel (in its
 * epilogue) or as a step of its own: a clamp (ReLU, ReLU6, ReLU with `max_value`), Keras's general
 * `relu(x, negative_slope, max_value, threshold)`, a leaky ReLU, or any Keras activation by name.
 * `applyUnary` is the plain-TypeScript implementation every kernel's epilogue must agree with.
 */
import type { Activation } from '../codec/Activation.js'
import type { Dialect } from '../codec/Dialect.js'
import { applyActivation } from '../numerics/activations.js'
import type { FloatArray } from '../numerics/FloatArray.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * An elementwise function (or, for `softmax`-like activations, one along the last axis of the value).
 * - `clamp`: `min(max(x, lo), hi)` with NaN kept (Keras's relu keeps NaN);
 * - `relu`: Keras's `relu(x, negative_slope, max_value, threshold)` in full;
 * - `leaky`: `x > 0 ? x : slope · x`;
 * - `activation`: a Keras activation by canonical name (its dialect decides `hard_sigmoid`); one of
 *   `softmax`, `log_softmax`, `sparsemax` acts along the last axis of the value's shape.
 * @category model
 */
export type Unary =
  | { readonly kind: 'clamp'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'relu'; readonly negativeSlope: number; readonly maxValue: number | null; readonly threshold: number }
  | { readonly kind: 'leaky'; readonly slope: number }
  | { readonly kind: 'activation'; readonly name: Activation; readonly dialect: Dialect }

/** The activations that act along the last axis rather than elementwise. */
const ROW_WISE: ReadonlySet<Activation> = new Set(['softmax', 'log_softmax', 'sparsemax'])

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The `Unary` of a Keras activation name, in its simplest form (`relu` and `relu6` as clamps, `linear`
 * as `undefined`: nothing to apply).
 * @category constructors
 */
export const unaryOfActivation = (name: Activation, dialect: Dialect): Unary | undefined => {
  switch (name) {
    case 'linear':
      return undefined
    case 'relu':
      return { kind: 'clamp', lo: 0, hi: Infinity }
    case 'relu6':
      return { kind: 'clamp', lo: 0, hi: 6 }
    default:
      return { kind: 'activation', name, dialect }
  }
}

/**
 * The `Unary` of a Keras ReLU layer's arguments: a leaky ReLU when there is only a slope, else Keras's
 * general `relu` (which, unlike the `relu` activation's clamp, turns −0 into +0: kept exact).
 * @category constructors
 */
export const unaryOfRelu = (negativeSlope: number, maxValue: number | null, threshold: number): Unary =>
  negativeSlope !== 0 && maxValue === null && threshold === 0 ? { kind: 'leaky', slope: negativeSlope } : { kind: 'relu', negativeSlope, maxValue, threshold }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Whether `fn` maps each element on its own (every kind but the row-wise activations): only those may
 * be applied to part of a value, or fused into a kernel that writes the value piece by piece.
 * @category utils
 */
export const isElementwise = (fn: Unary): boolean => fn.kind !== 'activation' || !ROW_WISE.has(fn.name)

/**
 * Applies `fn` IN PLACE to `count` values of `data` from `offset`; `lastAxis` is the length of the
 * value's last axis (rows for the row-wise activations). Allocates nothing for the elementwise kinds.
 * @category utils
 */
export const applyUnary = (fn: Unary, data: FloatArray, offset: number, count: number, lastAxis: number): void => {
  const end = offset + count
  switch (fn.kind) {
    case 'clamp': {
      const { lo, hi } = fn
      for (let i = offset; i < end; i++) {
        const x = data[i] as number
        // NaN compares false both ways and stays NaN, as in Keras's relu
        if (x < lo) data[i] = lo
        else if (x > hi) data[i] = hi
      }
      return
    }
    case 'leaky': {
      const s = fn.slope
      for (let i = offset; i < end; i++) {
        const x = data[i] as number
        if (!(x > 0)) data[i] = s * x
      }
      return
    }
    case 'relu': {
      const { negativeSlope: slope, threshold } = fn
      const hi = fn.maxValue ?? Infinity
      for (let i = offset; i < end; i++) {
        const x = data[i] as number
        let y = threshold !== 0 ? (x > threshold ? x : 0) : x > 0 ? x : x === x ? 0 : x
        if (y > hi) y = hi
        if (slope !== 0) {
          const neg = threshold - x
          if (neg > 0) y -= slope * neg
        }
        data[i] = y
      }
      return
    }
    case 'activation':
      applyActivation(fn.name, fn.dialect, data.subarray(offset, end), lastAxis)
  }
}
