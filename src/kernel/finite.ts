/**
 * The non-finite check of the Winograd kernels. Their transforms add and subtract input values that
 * direct summation never combines (a 4×4 tile feeds all four outputs of the tile), so an infinite
 * input gives `∞ − ∞ = NaN` in outputs where Keras gives `±∞`, and one whose window does not even hold
 * it. Every such difference shows in the output as a value that is not finite (a contribution that
 * cancels algebraically becomes NaN, never a finite number), so a call whose output holds one is run
 * again by the direct (tiled) kernel, whose sums are Keras's: correct results at the price of a check
 * of the output, and of a second run only for calls that have non-finite values anyway. The JS kernels
 * scan their output ({@link allFinite}); the wasm Winograd kernel checks each value as it stores it,
 * still in a register (wasm/winograd.ts `winogradFiniteLanes`: no pass over the output, and with
 * threads each thread checks what it wrote).
 */
import type { FloatArray } from '../numerics/FloatArray.js'
import type { KernelParams, PreparedKernel } from './ConvKernel.js'

/** Whether `a[0, n)` holds only finite values (`v · 0` is ±0 for finite `v`, NaN otherwise). */
export const allFinite = (a: FloatArray, n: number): boolean => {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  const m = n - (n % 4)
  for (let i = 0; i < m; i += 4) {
    s0 += a[i]! * 0
    s1 += a[i + 1]! * 0
    s2 += a[i + 2]! * 0
    s3 += a[i + 3]! * 0
  }
  for (let i = m; i < n; i++) s0 += a[i]! * 0
  return s0 + s1 + s2 + s3 === 0
}

/**
 * `kernel`, with every call whose output (`batch · outputSize` values) is not all finite run again by
 * `exact()` (built on first need, disposed with the kernel).
 */
export const rerunNonFinite = (kernel: PreparedKernel, outputSize: number, exact: () => PreparedKernel): PreparedKernel => {
  let twin: PreparedKernel | undefined
  return {
    ...kernel,
    run: (params: KernelParams, batch: number, x: FloatArray, out: FloatArray): void => {
      kernel.run(params, batch, x, out)
      if (allFinite(out, batch * outputSize)) return
      twin ??= exact()
      twin.run(params, batch, x, out)
    },
    dispose: () => {
      kernel.dispose()
      twin?.dispose()
    }
  }
}
