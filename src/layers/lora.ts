/**
 * Keras 3's LoRA (low-rank adaptation) of a kernel layer (Dense, Conv2D): with `lora_rank` r set, the
 * layer holds two more trainable weights, `lora_kernel_a` (the kernel's shape with its last axis r) and
 * `lora_kernel_b` (`[r, units]`), the kernel itself is frozen, and every call uses the merged kernel
 * `kernel + (lora_alpha / r) · (A · B)` (A flattened to `[∏ kernel.shape[:-1], r]`).
 */
import type { Initializer } from '../codec/Initializer.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import type { WeightSpec } from './LayerKind.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A layer's LoRA: its rank and the scale numerator (Keras's `lora_alpha`, the rank when not given).
 * @category model
 */
export interface Lora {
  readonly rank: number
  readonly alpha: number
}

/** `he_uniform`, Keras's initializer of `lora_kernel_a`. */
const HE_UNIFORM: Initializer = { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'uniform', seed: null }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The LoRA weights that follow a kernel of `kernelShape` (Keras's order: after the kernel and bias).
 * @category utils
 */
export const loraWeights = (kernelShape: ReadonlyArray<number>, rank: number): ReadonlyArray<WeightSpec> => [
  { name: 'lora_kernel_a', shape: [...kernelShape.slice(0, -1), rank], trainable: true, initializer: HE_UNIFORM },
  { name: 'lora_kernel_b', shape: [rank, kernelShape[kernelShape.length - 1] as number], trainable: true, initializer: { kind: 'constant', value: 0 } }
]

/**
 * The merged kernel `kernel + (alpha / rank) · (A · B)`, in float64 then stored in `dtype` (a new array).
 * @category utils
 */
export const mergeLora = (kernel: FloatArray, a: FloatArray, b: FloatArray, lora: Lora, dtype: FloatDType): FloatArray => {
  const rank = lora.rank
  const units = b.length / rank
  const rows = kernel.length / units
  const scale = lora.alpha / rank
  const out = allocate(dtype, kernel.length)
  for (let i = 0; i < rows; i++) {
    for (let u = 0; u < units; u++) {
      let acc = 0
      for (let k = 0; k < rank; k++) acc += (a[i * rank + k] as number) * (b[k * units + u] as number)
      out[i * units + u] = (kernel[i * units + u] as number) + scale * acc
    }
  }
  return out
}

/**
 * A cache of merged kernels by the identity of the kernel, A and B arrays (params are values: a new
 * merge only when one of them is a new array), so the kernel packing of a convolution is reused.
 * @category utils
 */
export const loraMerger = (lora: Lora, dtype: FloatDType): ((kernel: FloatArray, a: FloatArray, b: FloatArray) => FloatArray) => {
  const byKernel = new WeakMap<FloatArray, { readonly a: FloatArray; readonly b: FloatArray; readonly merged: FloatArray }>()
  return (kernel, a, b) => {
    const hit = byKernel.get(kernel)
    if (hit !== undefined && hit.a === a && hit.b === b) return hit.merged
    const merged = mergeLora(kernel, a, b, lora, dtype)
    byKernel.set(kernel, { a, b, merged })
    return merged
  }
}

/**
 * The gradients of LoRA's two matrices from the gradient `dk` of the merged kernel (`[rows, units]`,
 * rows the kernel's leading axes flattened): `dA = s · dK · Bᵀ`, `dB = s · Aᵀ · dK`, s = alpha / rank;
 * the frozen kernel gets none. Float64 sums.
 * @category training
 */
export const loraVjp = (dk: ArrayLike<number>, a: FloatArray, b: FloatArray, lora: Lora): { readonly da: Float64Array; readonly db: Float64Array } => {
  const rank = lora.rank
  const units = b.length / rank
  const rows = dk.length / units
  const scale = lora.alpha / rank
  const da = new Float64Array(a.length)
  const db = new Float64Array(b.length)
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < rank; k++) {
      const ak = a[i * rank + k] as number
      let acc = 0
      for (let u = 0; u < units; u++) {
        const d = dk[i * units + u] as number
        acc += d * (b[k * units + u] as number)
        db[k * units + u] = (db[k * units + u] as number) + scale * ak * d
      }
      da[i * rank + k] = scale * acc
    }
  }
  return { da, db }
}
