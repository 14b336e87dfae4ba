/**
 * The epilogue in plain TypeScript: every stage of a node's epilogue applied in place to its output
 * in the arena. Fast kernels that fuse some stages apply the rest with {@link applyStages}.
 */
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { Stage } from '../Graph.js'
import { applyUnary } from '../Unary.js'

/**
 * Applies `stages` in order to the `count` floats at `view[output …]`; `operands` are the offsets of
 * the stages' `add` values in stage order (same count of floats each); `lastAxis` is the length of the
 * value's last axis (for row-wise activations).
 * @category kernels
 */
export const applyStages = (
  stages: ReadonlyArray<Stage>,
  view: FloatArray,
  output: number,
  count: number,
  operands: ReadonlyArray<number>,
  lastAxis: number
): void => {
  let k = 0
  for (const s of stages) {
    if (s.kind === 'add') {
      const at = operands[k++] as number
      for (let i = 0; i < count; i++) view[output + i] = (view[output + i] as number) + (view[at + i] as number)
    } else applyUnary(s.fn, view, output, count, lastAxis)
  }
}
