/**
 * Output lengths and padding along one spatial axis: the only place in layerspec where a convolution's
 * output size or `same` padding split is computed (reference §2.2, §2.3). Everything else reads these.
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Zero padding added before and after one spatial axis.
 * @category model
 */
export interface AxisPadding {
  readonly before: number
  readonly after: number
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The effective (dilated) kernel size `d·(k−1)+1`.
 * @category utils
 */
export const effectiveKernel = (kernel: number, dilation: number): number => dilation * (kernel - 1) + 1

/**
 * Output length along one axis for input length `length` (Keras `conv_output_length`):
 * `valid` → `floor((L − Keff) / s) + 1`; `same` → `ceil(L / s)`. May be ≤ 0 for `valid` when the
 * window is larger than the input: callers reject that. `null` (unknown) in gives `null` out.
 * @category utils
 */
export const outputLength = (
  length: number | null,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same'
): number | null => {
  if (length === null) return null
  if (padding === 'same') return Math.ceil(length / stride)
  return Math.floor((length - effectiveKernel(kernel, dilation)) / stride) + 1
}

/**
 * Padding along one axis: none for `valid`; for `same`, TF's rule
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
  if (padding === 'valid') return { before: 0, after: 0 }
  const out = Math.ceil(length / stride)
  const total = Math.max((out - 1) * stride + effectiveKernel(kernel, dilation) - length, 0)
  const before = Math.floor(total / 2)
  return { before, after: total - before }
}
