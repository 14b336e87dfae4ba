/**
 * The geometry of one spatial axis, for every member of the convolution family: forward convolutions
 * (`valid`, `same`, `causal`), pooling windows, transposed convolutions (length, un-cropped scatter
 * length and crop), and the trivial lengths of UpSampling, ZeroPadding and Cropping. This is the only
 * place in layerspec where an output length or a padding split is computed; `Padding.ts` and
 * `ConvGeometry.ts` read it, and an N-dimensional geometry is these functions applied axis by axis.
 *
 * References: `keras-conv-family-reference.md` (written "family §n") and `keras-conv2d-reference.md`
 * ("Conv2D §n"). Notation per axis: `n` input length, `k` kernel, `s` stride, `d` dilation,
 * `ke = d·(k−1)+1`, `p` pool size, `op` output_padding.
 *
 * Every function here is total over positive integers and returns lengths as computed, **including
 * zero or negative ones** (a `valid` window larger than the input, a `same` transposed layer of length
 * 1 with an even kernel and `output_padding` 0, a crop larger than the axis). Callers decide what to
 * reject and where to report it; the `*Problem` helpers below give the message for each rule
 * (a string naming the rule, Keras's key phrase, the formula and the numbers, or `undefined`).
 * Inputs are expected to be validated already: `n ≥ 1`, `k, s, d, p ≥ 1`, `op ≥ 0`; unknown
 * (`null`) lengths are the caller's business (Keras keeps them `None`).
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Zero padding added before and after one spatial axis (before = top / left / front).
 * @category model
 */
export interface AxisPadding {
  readonly before: number
  readonly after: number
}

/**
 * One axis of a forward convolution or pooling window: the output length and the zero padding the
 * input gets first (`out` may be ≤ 0 for `valid`: see {@link convAxisProblem}).
 * @category model
 */
export interface ConvAxis extends AxisPadding {
  readonly out: number
}

/**
 * One axis of a transposed convolution (family §2, "Transposed-conv placement"). Input element `i`
 * scatters tap `t` to index `i·s + t·d` of a buffer of length `full = (n−1)·s + ke`; output index
 * `j` (`0 ≤ j < out`) reads scatter index `j + crop`, and a scatter index `≥ full` reads as zero
 * (bias only). `full − out − crop` is the crop at the end; when negative, that many trailing outputs
 * are zeros (`valid` with `s > ke`, or an `output_padding`).
 * @category model
 */
export interface TransposedAxis {
  readonly out: number
  readonly full: number
  readonly crop: number
}

/**
 * The paddings of the forward convolution family.
 * @category model
 */
export type ConvPadding = 'valid' | 'same' | 'causal'

/**
 * The paddings of pooling windows and transposed convolutions (no `causal`).
 * @category model
 */
export type WindowPadding = 'valid' | 'same'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * One axis of a forward convolution (Conv1D/2D/3D, separable, depthwise), family §2:
 * - `valid`: `out = floor((n − ke) / s) + 1`, no padding (K3 `ops/operation_utils.py
 *   compute_conv_output_shape`; TF2 `conv_utils.conv_output_length`, written `ceil((n − ke + 1)/s)`,
 *   the same value). May be ≤ 0 when the window is larger than the input.
 * - `same`: `out = ceil(n / s)`; TF's split `total = max((out − 1)·s + ke − n, 0)`,
 *   `before = floor(total / 2)`, `after = total − before`, so the odd unit goes at the **end**
 *   (family §2 "`same` split"; Conv2D §2.3; tfjs `core/ops/conv_util.ts getPadAndOutInfo`).
 * - `causal` (Conv1D; TF2 also SeparableConv1D): `before = d·(k−1)`, `after = 0`, then a `valid`
 *   convolution, so `out = ceil(n / s)` like `same` (K3 `conv1d.py Conv1D._compute_causal_padding`).
 * @category constructors
 */
export const convAxis = (n: number, k: number, s: number, d: number, padding: ConvPadding): ConvAxis => {
  const ke = effectiveKernel(k, d)
  switch (padding) {
    case 'valid':
      return { out: Math.floor((n - ke) / s) + 1, before: 0, after: 0 }
    case 'same': {
      const out = Math.ceil(n / s)
      const total = Math.max((out - 1) * s + ke - n, 0)
      const before = Math.floor(total / 2)
      return { out, before, after: total - before }
    }
    case 'causal': {
      const before = ke - 1
      return { out: Math.floor((n + before - ke) / s) + 1, before, after: 0 }
    }
  }
}

/**
 * One axis of a pooling window of size `p` (MaxPooling / AveragePooling 1D/2D/3D), family §2 and §9:
 * the convolution rule with `ke = p` (K3 `compute_pooling_output_shape`; TF2 `conv_output_length`
 * with `k = p`): `valid` → `floor((n − p) / s) + 1` (may be ≤ 0), `same` → `ceil(n / s)` with TF's
 * split (odd unit at the end). Under `same` every window holds at least one real element
 * (`total ≤ p − 1`); which elements a window reads, and average pooling's divisor (the count of real
 * elements), stay in the kernels.
 * @category constructors
 */
export const poolAxis = (n: number, p: number, s: number, padding: WindowPadding): ConvAxis =>
  convAxis(n, p, s, 1, padding)

/**
 * One axis of a transposed convolution (Conv1D/2D/3DTranspose), family §2 and §5. Output length,
 * Keras's `deconv_output_length` (TF2 `conv_utils`) = K3 `backend/common/backend_utils.py
 * _get_output_shape_given_tf_padding`:
 * - `valid`, `op` null: `(n−1)·s + max(ke, s)`; `valid`, `op` given: `(n−1)·s + ke + op`;
 * - `same`, `op` null: `n·s`; `same`, `op` given: `(n−1)·s + (ke mod 2) + op`.
 *
 * Placement: `full = (n−1)·s + ke`, `crop = floor(max(full − out, 0) / 2)` (see {@link TransposedAxis}):
 * TF's transposed convolution, the adjoint of the forward convolution from length `out` back to `n`.
 * `out` is 0 for `n = 1`, `same`, even `ke`, `op = 0` (see {@link transposedAxisProblem}). With
 * `same`, even `ke` and `op = 0` the forward convolution of length `out` gives `n − 1`, not `n`, so
 * TF itself would refuse the layer (family §11); the placement here is K3-JAX's result. tfjs ignores
 * dilation and `output_padding` here (family §12); this function follows Keras.
 * @category constructors
 */
export const transposedAxis = (
  n: number,
  k: number,
  s: number,
  d: number,
  padding: WindowPadding,
  outputPadding: number | null
): TransposedAxis => {
  const ke = effectiveKernel(k, d)
  const full = (n - 1) * s + ke
  const out =
    padding === 'valid'
      ? outputPadding === null
        ? (n - 1) * s + Math.max(ke, s)
        : (n - 1) * s + ke + outputPadding
      : outputPadding === null
        ? n * s
        : (n - 1) * s + (ke % 2) + outputPadding
  return { out, full, crop: Math.floor(Math.max(full - out, 0) / 2) }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The effective (dilated) kernel size `ke = d·(k−1)+1` (family §0 notation; Conv2D §2.2 `Keff`;
 * tfjs `conv_util.ts getEffectiveFilterSize`).
 * @category utils
 */
export const effectiveKernel = (k: number, d: number): number => d * (k - 1) + 1

/**
 * UpSampling1D/2D/3D output length `n·size`: each element repeated `size` times (family §2, §10).
 * @category utils
 */
export const upsampleAxis = (n: number, size: number): number => n * size

/**
 * ZeroPadding1D/2D/3D output length `n + before + after` (family §2, §10).
 * @category utils
 */
export const padAxis = (n: number, before: number, after: number): number => n + before + after

/**
 * Cropping1D/2D/3D output length `n − before − after`; may be ≤ 0, which K3 rejects
 * (see {@link cropAxisProblem}; family §2, §10).
 * @category utils
 */
export const cropAxis = (n: number, before: number, after: number): number => n - before - after

// -------------------------------------------------------------------------------------
// validation
// -------------------------------------------------------------------------------------

const show = (xs: ReadonlyArray<number>): string => `[${xs.join(', ')}]`

/**
 * The strides / dilation rule of every convolution (family §4, Conv2D §1.7): `max(strides) > 1` and
 * `max(dilation_rate) > 1` together are rejected, judged across axes (strides `[2, 1]` with dilation
 * `[1, 2]` is rejected too). Keras's message says the combination is `not supported in conjunction
 * with` (K3 `BaseConv.__init__`, TF2 ≥ 2.12 `Conv._validate_init`). Which classes apply it is the
 * caller's choice (K3 ≥ 3.15 accepts it for separable and depthwise layers). Returns the problem, or
 * `undefined` when the pair is accepted.
 * @category validation
 */
export const stridesDilationProblem = (
  strides: ReadonlyArray<number>,
  dilation: ReadonlyArray<number>
): string | undefined =>
  Math.max(...strides) > 1 && Math.max(...dilation) > 1
    ? `strides > 1 is not supported in conjunction with dilation_rate > 1 (Keras rejects the combination, judged across all axes: max(strides) > 1 and max(dilation_rate) > 1): found strides ${show(strides)} and dilation_rate ${show(dilation)}; set strides to 1 or dilation_rate to 1`
    : undefined

/**
 * The `output_padding` rule of transposed convolutions (family §5): on every axis
 * `output_padding < strides` (K3 ≥ 3.14: `` `output_padding` must be strictly less than `strides` ``;
 * TF2 always: `Strides must be greater than output padding`). `null` (Keras's `None`) always passes.
 * Both tuples have one entry per spatial axis. Returns the problem naming the first offending axis,
 * or `undefined`.
 * @category validation
 */
export const outputPaddingProblem = (
  outputPadding: ReadonlyArray<number> | null,
  strides: ReadonlyArray<number>
): string | undefined => {
  if (outputPadding === null) return undefined
  const axis = outputPadding.findIndex((op, i) => op >= (strides[i] ?? Infinity))
  if (axis < 0) return undefined
  return `\`output_padding\` must be strictly less than \`strides\` on every axis (Keras ≥ 3.14; tf.keras: "Strides must be greater than output padding"): found output_padding ${show(outputPadding)} and strides ${show(strides)} (axis ${axis}: ${outputPadding[axis]} ≥ ${strides[axis]})`
}

/**
 * The zero / negative output check of a forward convolution axis (family §2 table, Conv2D §2.4): K3 ≥
 * 3.14 raises `Computed output size would be zero or negative` for `out ≤ 0` (earlier K3 and TF2 only
 * for `out < 0`; tfjs never). Only `valid` can fail for `n ≥ 1`. Returns the problem with the formula
 * and the numbers, or `undefined`.
 * @category validation
 */
export const convAxisProblem = (
  n: number,
  k: number,
  s: number,
  d: number,
  padding: ConvPadding
): string | undefined => {
  const { out } = convAxis(n, k, s, d, padding)
  if (out > 0) return undefined
  const ke = effectiveKernel(k, d)
  return `Computed output size would be zero or negative: a "${padding}" window of effective size d·(k−1)+1 = ${d}·(${k}−1)+1 = ${ke} does not fit an input of length ${n}: floor((n − ke) / s) + 1 = floor((${n} − ${ke}) / ${s}) + 1 = ${out}`
}

/**
 * The zero / negative output check of a pooling axis (family §2 table): K3 ≥ 3.15 raises for `out ≤ 0`
 * (`Computed output size would be zero or negative`; earlier only `< 0`). Only `valid` can fail.
 * Returns the problem with the formula and the numbers, or `undefined`.
 * @category validation
 */
export const poolAxisProblem = (n: number, p: number, s: number, padding: WindowPadding): string | undefined => {
  const { out } = poolAxis(n, p, s, padding)
  if (out > 0) return undefined
  return `Computed output size would be zero or negative: a "${padding}" pooling window of size ${p} does not fit an input of length ${n}: floor((n − pool_size) / s) + 1 = floor((${n} − ${p}) / ${s}) + 1 = ${out}`
}

/**
 * A transposed convolution axis of length ≤ 0 (only `n = 1`, `same`, even `ke`, `op = 0`:
 * `(n−1)·s + (ke mod 2) + op = 0`). Keras has no check here (K3 `BaseConvTranspose` builds without an
 * output-shape check, family §3) and would build an empty tensor; layerspec refuses it. Returns the
 * problem with the formula and the numbers, or `undefined`.
 * @category validation
 */
export const transposedAxisProblem = (
  n: number,
  k: number,
  s: number,
  d: number,
  padding: WindowPadding,
  outputPadding: number | null
): string | undefined => {
  const { out } = transposedAxis(n, k, s, d, padding, outputPadding)
  if (out > 0) return undefined
  const ke = effectiveKernel(k, d)
  return `the output length would be zero or negative: a "${padding}" transposed convolution with effective kernel ${ke} and output_padding ${outputPadding} on an input of length ${n} gives (n − 1)·s + (ke mod 2) + output_padding = (${n} − 1)·${s} + ${ke % 2} + ${outputPadding} = ${out}`
}

/**
 * The Cropping check (family §2 table, §10): K3 raises a ValueError when `n − before − after ≤ 0` (in
 * `compute_output_shape` and `call`; the reference gives no key phrase, so the message is ours; TF2
 * only fails on a negative length). Returns the problem with the numbers, or `undefined`.
 * @category validation
 */
export const cropAxisProblem = (n: number, before: number, after: number): string | undefined => {
  const out = cropAxis(n, before, after)
  return out > 0
    ? undefined
    : `the output length would be zero or negative: cropping ${before} before and ${after} after an axis of length ${n} leaves n − before − after = ${n} − ${before} − ${after} = ${out}`
}
