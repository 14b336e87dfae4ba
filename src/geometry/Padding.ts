/**
 * The 2-D layers' view of one spatial axis: output length (with Keras's unknown `null` lengths) and the
 * `valid` / `same` padding split. Both are computed by `Axis.ts` (`convAxis`), the only place in
 * layerspec where an output length or a padding split is computed (Conv2D reference §2.2, §2.3;
 * conv-family reference §2); this module keeps the names the 2-D layers, kernels and passes import.
 */
import { convAxis, type AxisPadding } from './Axis.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Zero padding added before and after one spatial axis (re-exported from `Axis.ts`).
 * @category model
 */
export type { AxisPadding } from './Axis.js'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The effective (dilated) kernel size `d·(k−1)+1` (re-exported from `Axis.ts`).
 * @category utils
 */
export { effectiveKernel } from './Axis.js'

/**
 * Output length along one axis for input length `length` (Keras `conv_output_length`, `convAxis`'s
 * `out`): `valid` → `floor((L − Keff) / s) + 1`; `same` → `ceil(L / s)`. May be ≤ 0 for `valid` when
 * the window is larger than the input: callers reject that. `null` (unknown) in gives `null` out.
 * @category utils
 */
export const outputLength = (
  length: number | null,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same'
): number | null => (length === null ? null : convAxis(length, kernel, stride, dilation, padding).out)

/**
 * Padding along one axis (`convAxis`'s `before` / `after`): none for `valid`; for `same`, TF's rule
 * `total = max((out − 1)·s + Keff − L, 0)`, `before = floor(total / 2)`, the odd remainder after
 * (at the bottom / right).
 * @category utils
 */
export const axisPadding = (
  length: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same'
): AxisPadding => {
  const { before, after } = convAxis(length, kernel, stride, dilation, padding)
  return { before, after }
}
