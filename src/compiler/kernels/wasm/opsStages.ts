/**
 * Which elementwise functions the non-GEMM wasm kernels apply in their store, as vector operations
 * that give bit for bit what the TypeScript reference gives (src/compiler/Unary.ts `applyUnary`,
 * src/compiler/kernels/epilogue.ts `applyStages`, and the activation layers' own loops):
 *
 * - `x < lo ? lo : x` is `f32x4.pmax(x, lo)` and `x > hi ? hi : x` is `f32x4.pmin(x, hi)` in that
 *   operand order: both keep NaN and keep `x` on ties (so −0 stays −0), as the reference's compare
 *   and store do. A bound that is not a float32 is rounded to nearest: for every float32 `x`, `x < lo`
 *   holds exactly when `x < fround(lo)` or `x = fround(lo)` rounds up from below — and then the
 *   reference stores `fround(lo)` too, so the result is the same value.
 * - Keras's ReLU with threshold 0 keeps NaN but maps −0 to +0: `pmax(x, 0) + 0` (−0 + +0 = +0, every
 *   other value unchanged). With a threshold `t`: `x > t ? x : 0` is `x & (x > t')` with `t'` the
 *   largest float32 ≤ `t` (no float32 lies strictly between `t'` and `t` when `t` is not one).
 * - Leaky ReLU `x > 0 ? x : s·x`: a select on `x > 0`; the product in float32 when `s` is a float32
 *   (the float64 product of two float32 values rounds to the same float32), else in float64 from the
 *   promoted lanes, rounded once, as the reference computes it.
 * - A fused residual `+`: one float32 add (the reference adds two float32 values in float64 and rounds
 *   once, which gives the float32 sum).
 *
 * Stages after the first one that is none of these run in TypeScript on the stored output
 * ({@link applyRestStages}).
 */
import type { FloatArray } from '../../../numerics/FloatArray.js'
import type { Stage } from '../../Graph.js'
import { applyUnary, type Unary } from '../../Unary.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One vector operation of a fused store:
 * - `max`/`min`: `pmax(x, v)` / `pmin(x, v)`;
 * - `plusZero`: `x + 0` (−0 → +0);
 * - `above`: `x > t ? x : +0` (NaN → +0);
 * - `leaky`: `x > 0 ? x : s·x` (product in float64 when `f64`);
 * - `add`: `x + operand[k]` (the `k`-th fused add, in stage order).
 * @category model
 */
export type VecOp =
  | { readonly kind: 'max'; readonly v: number }
  | { readonly kind: 'min'; readonly v: number }
  | { readonly kind: 'plusZero' }
  | { readonly kind: 'above'; readonly t: number }
  | { readonly kind: 'leaky'; readonly slope: number; readonly f64: boolean }
  | { readonly kind: 'add'; readonly operand: number }

/**
 * A node's stages split at the first one the store cannot apply: `ops` (fused, with `adds` operand
 * reads) and the `rest` (applied in TypeScript afterwards; their `add` stages read `operands[adds …]`).
 * @category model
 */
export interface SplitStages {
  readonly ops: ReadonlyArray<VecOp>
  readonly adds: number
  readonly rest: ReadonlyArray<Stage>
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** The largest float32 that is ≤ `t` (`t` itself when it is a float32). */
export const floatBelow = (t: number): number => {
  const f = Math.fround(t)
  if (f <= t || f !== f) return f
  // f is the float32 just above t: step one float32 down
  const b = new Float32Array([f])
  const i = new Int32Array(b.buffer)
  if (f === 0) return -Math.fround(1.4e-45) // t < 0 tiny: the negative float32 closest to 0
  i[0] = (i[0] as number) + (f > 0 ? -1 : 1)
  return b[0] as number
}

/**
 * The vector operations of an elementwise function, or `undefined` when the store cannot apply it
 * exactly (Keras's general ReLU with a slope and a threshold or bound, transcendental activations).
 * @category utils
 */
export const vecOpsOf = (fn: Unary): ReadonlyArray<VecOp> | undefined => {
  switch (fn.kind) {
    case 'clamp': {
      const lo = Math.fround(fn.lo)
      const hi = Math.fround(fn.hi)
      // the reference stores `lo` without testing `hi` when x < lo: same only when lo ≤ hi
      if (!(lo <= hi)) return undefined
      return [...(fn.lo === -Infinity ? [] : [{ kind: 'max', v: lo } as const]), ...(fn.hi === Infinity ? [] : [{ kind: 'min', v: hi } as const])]
    }
    case 'relu': {
      if (fn.negativeSlope !== 0) return undefined
      const hi = fn.maxValue === null ? [] : [{ kind: 'min', v: Math.fround(fn.maxValue) } as const]
      if (fn.maxValue !== null && !(Math.fround(fn.maxValue) >= 0)) return undefined
      return fn.threshold === 0 ? [{ kind: 'max', v: 0 }, { kind: 'plusZero' }, ...hi] : [{ kind: 'above', t: floatBelow(fn.threshold) }, ...hi]
    }
    case 'leaky':
      return [{ kind: 'leaky', slope: fn.slope, f64: Math.fround(fn.slope) !== fn.slope }]
    case 'activation':
      switch (fn.name) {
        case 'linear':
          return []
        case 'relu':
          return [{ kind: 'max', v: 0 }]
        case 'relu6':
          return [
            { kind: 'max', v: 0 },
            { kind: 'min', v: 6 }
          ]
        case 'leaky_relu':
          // x >= 0 ? x : 0.2·x — the same as x > 0 ? x : 0.2·x on ±0 (0.2·(−0) = −0) and NaN
          return [{ kind: 'leaky', slope: 0.2, f64: true }]
        default:
          return undefined
      }
  }
}

/**
 * Splits `stages` at the first stage the store cannot apply.
 * @category utils
 */
export const splitStages = (stages: ReadonlyArray<Stage>): SplitStages => {
  const ops: VecOp[] = []
  let adds = 0
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i] as Stage
    if (s.kind === 'add') {
      ops.push({ kind: 'add', operand: adds++ })
      continue
    }
    const v = vecOpsOf(s.fn)
    if (v === undefined) return { ops, adds, rest: stages.slice(i) }
    ops.push(...v)
  }
  return { ops, adds, rest: [] }
}

/**
 * Applies the stages the store did not (`rest`) IN PLACE to the `count` floats at `view[output …]`:
 * `add` stages read `operands[firstOperand …]` in order. Allocates nothing for elementwise stages.
 * @category utils
 */
export const applyRestStages = (
  rest: ReadonlyArray<Stage>,
  view: FloatArray,
  output: number,
  count: number,
  operands: ReadonlyArray<number>,
  firstOperand: number,
  lastAxis: number
): void => {
  let k = firstOperand
  for (const s of rest) {
    if (s.kind === 'add') {
      const at = operands[k++] as number
      for (let i = 0; i < count; i++) view[output + i] = (view[output + i] as number) + (view[at + i] as number)
    } else applyUnary(s.fn, view, output, count, lastAxis)
  }
}
