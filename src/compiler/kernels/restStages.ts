/**
 * The epilogue stages a kernel's store did not apply (`splitStages`' `rest`), applied in place to its
 * output: a `softmax` over rows of 2 to 16 floats runs on the generated softmax kernel
 * (wasm/opsSoftmax.ts: bit for bit the TypeScript reference, 2-2.5× faster on one thread) and, in a
 * model compiled with threads, splits its rows over the worker pool like the other steps (split.ts);
 * every other stage runs in TypeScript (`applyRestStages`). (A convolution with `activation:
 * 'softmax'`, dilated-context's last layer: 3.4 of 15 ms at batch 8 was its TypeScript softmax.)
 */
import type { WasmMemory } from '../../kernel/wasm/api.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { Stage } from '../Graph.js'
import type { KernelChoice } from '../StepKernel.js'
import { splitAllowed, stepSplitter } from './split.js'
import { instantiateModule } from './wasm/opsRuntime.js'
import { SOFTMAX_KEPT_FLOATS, softmaxCode } from './wasm/opsSoftmax.js'
import { applyRestStages } from './wasm/opsStages.js'

/**
 * Whether rows of `n` floats take the generated softmax: from 2 (a row of one is all ones, faster in
 * TypeScript) to `SOFTMAX_KEPT_FLOATS` (longer rows recompute each exponential, no faster than
 * TypeScript's `Math.exp` on one thread).
 * @category kernels
 */
export const wasmSoftmaxRows = (n: number): boolean => Number.isSafeInteger(n) && n >= 2 && n <= SOFTMAX_KEPT_FLOATS

/**
 * Floats of a softmax call from which it splits over the worker pool (about 8 ns a float on one
 * thread: 16,384 floats are ~0.13 ms, several dispatches' worth).
 * @category kernels
 */
export const SOFTMAX_THREAD_MIN_FLOATS = 16_384

/**
 * Applies rest stages to the `count` floats at `view[output …]`; `add` stages read
 * `operands[firstOperand …]` in order (as `applyRestStages`).
 * @category kernels
 */
export type RestStages = (view: FloatArray, output: number, count: number, operands: ReadonlyArray<number>, firstOperand: number) => void

const isSoftmax = (s: Stage): boolean => s.kind === 'unary' && s.fn.kind === 'activation' && s.fn.name === 'softmax'

/**
 * The runner of `rest` for outputs whose last axis is `lastAxis` long, on `memory` (the model's
 * arena); `options.parallelMinFloats` for tests.
 * @category kernels
 */
export const restStages = (
  rest: ReadonlyArray<Stage>,
  lastAxis: number,
  memory: WasmMemory | undefined,
  choice: KernelChoice,
  options: { readonly parallelMinFloats?: number } = {}
): RestStages => {
  const plain: RestStages = (view, output, count, operands, firstOperand) => applyRestStages(rest, view, output, count, operands, firstOperand, lastAxis)
  if (memory === undefined || !rest.some(isSoftmax) || !wasmSoftmaxRows(lastAxis)) return plain
  let made: ReturnType<typeof instantiateModule>
  try {
    const rows = 512
    made = instantiateModule(softmaxCode(lastAxis), memory, { floats: rows * lastAxis + 16, args: [0, 0, 0, rows], work: rows * lastAxis })
  } catch {
    return plain
  }
  const fn = made.fn
  const splitter = stepSplitter(choice, memory, made.module, made.key, 'run')
  const minFloats = options.parallelMinFloats ?? SOFTMAX_THREAD_MIN_FLOATS
  const args = [0, 0, 0, 0]
  const local = (u0: number, u1: number): void => {
    args[2] = u0
    args[3] = u1
    Reflect.apply(fn, undefined, args)
  }
  return (view, output, count, operands, firstOperand) => {
    let k = firstOperand
    for (const s of rest) {
      if (isSoftmax(s)) {
        const rows = count / lastAxis
        args[0] = output * 4
        args[1] = output * 4
        if (splitter !== undefined && count >= minFloats && rows >= 2 && splitAllowed(choice)) splitter(args, 2, rows, 1, local)
        else local(0, rows)
      } else {
        applyRestStages([s], view, output, count, operands, k, lastAxis)
        if (s.kind === 'add') k++
      }
    }
  }
}
