/**
 * `fuse-activation`: an activation layer becomes the last stage of its producer's epilogue, so the
 * kernel that writes the value applies it on the way out (../shared/docs/model-compiler-notes.md §1.3,
 * §6.3; ORT `ConvActivationFusion` / `GemmActivationFusion`, XNNPACK's clamp merge).
 *
 * The activation layers (node kind `unary`) and their `Unary` (src/compiler/Unary.ts), with the
 * layer's constants rounded to the model's dtype first, as the layer itself does (`inDtype`):
 * - `Activation(name)` with an elementwise function: `unaryOfActivation` (relu and relu6 are clamps);
 *   `linear` is left to `drop-identities`, the row-wise softmax family is not a `unary` node;
 * - `ReLU(max_value, negative_slope, threshold)`, any arguments: `unaryOfRelu` — Keras's general relu,
 *   kept exact (a threshold ReLU maps `x ≤ threshold` to 0 or the slope line, and `−0` to `+0`);
 * - `LeakyReLU(negative_slope)`: `leaky` (not `unaryOfRelu`: a slope of 0 keeps `0 · x = −0` for
 *   negative x, where the general relu gives `+0`).
 *
 * It fires only when the activation's input has a producer (not a model input) that runs a kernel
 * (not a view: `alias`, `identity`), is read by the activation alone and is not a model output. The
 * function is appended after the producer's stages (its own activation, fused adds), then the
 * activation's own stages. Two clamps in a row merge into one, in order (XNNPACK:
 * `lo' = min(max(lo, lo2), hi2)`, `hi' = min(max(hi, lo2), hi2)`), exact for every input including NaN
 * (kept) and ±∞; bounds of −0 are not merged. No arithmetic changes: bit-identical.
 */
import type { Activation } from '../../codec/Activation.js'
import type { Dialect } from '../../codec/Dialect.js'
import { inDtype } from '../../layers/elementwise/common.js'
import type { FloatDType } from '../../numerics/FloatArray.js'
import { replaceValue, type Graph, type Node, type Stage } from '../Graph.js'
import { isElementwise, unaryOfActivation, unaryOfRelu, type Unary } from '../Unary.js'
import type { Pass } from './Pass.js'
import { classOf, hasEpilogue, operandsReadyBefore, readOnlyBy, toFixedPoint, updateNode } from './util.js'

/**
 * The elementwise function an activation node computes, or `undefined` (not an activation layer,
 * `linear`, or a row-wise one).
 * @category utils
 */
export const unaryOfNode = (n: Node, dtype: FloatDType): Unary | undefined => {
  if (n.kind !== 'unary' || n.inputs.length !== 1) return undefined
  const spec = n.spec as unknown as { readonly dialect: Dialect; readonly activation: Activation; readonly negativeSlope: number; readonly maxValue: number | null; readonly threshold: number }
  let fn: Unary | undefined
  switch (n.spec.className) {
    case 'Activation':
      fn = unaryOfActivation(spec.activation, spec.dialect)
      break
    case 'ReLU':
      fn = unaryOfRelu(inDtype(spec.negativeSlope, dtype), spec.maxValue === null ? null : inDtype(spec.maxValue, dtype), inDtype(spec.threshold, dtype))
      break
    case 'LeakyReLU':
      fn = { kind: 'leaky', slope: inDtype(spec.negativeSlope, dtype) }
      break
    default:
      return undefined
  }
  return fn !== undefined && isElementwise(fn) ? fn : undefined
}

const isNegativeZero = (x: number): boolean => Object.is(x, -0)

/**
 * `stages` followed by `fn`: a clamp after a clamp merges into one (XNNPACK's rule, in order).
 * @category utils
 */
export const appendUnary = (stages: ReadonlyArray<Stage>, fn: Unary): ReadonlyArray<Stage> => {
  const last = stages[stages.length - 1]
  if (last !== undefined && last.kind === 'unary' && last.fn.kind === 'clamp' && fn.kind === 'clamp' && ![last.fn.lo, last.fn.hi, fn.lo, fn.hi].some(isNegativeZero)) {
    const lo = Math.min(Math.max(last.fn.lo, fn.lo), fn.hi)
    const hi = Math.min(Math.max(last.fn.hi, fn.lo), fn.hi)
    return [...stages.slice(0, -1), { kind: 'unary', fn: { kind: 'clamp', lo, hi } }]
  }
  return [...stages, { kind: 'unary', fn }]
}

/**
 * The pass.
 * @category passes
 */
export const fuseActivation: Pass = {
  name: 'fuse-activation',
  description: 'fuses Activation, ReLU (any arguments) and LeakyReLU into the epilogue of the node producing their input (clamps merged)',
  run: (graph: Graph) =>
    toFixedPoint(graph, (scan, n) => {
      const fn = unaryOfNode(n, scan.graph.dtype)
      if (fn === undefined) return undefined
      const input = n.inputs[0] as number
      const producer = scan.producers.get(input)
      if (producer === undefined || !hasEpilogue(producer) || !readOnlyBy(scan, input, n) || !operandsReadyBefore(scan, n.epilogue.stages, producer)) return undefined
      let stages = appendUnary(producer.epilogue.stages, fn)
      for (const s of n.epilogue.stages) stages = s.kind === 'unary' ? appendUnary(stages, s.fn) : [...stages, s]
      const g = updateNode(replaceValue(scan.graph, n.output, producer.output, new Set([n.id])), producer.id, (p) => ({
        ...p,
        epilogue: { stages },
        notes: [...p.notes, `fuse-activation(${n.name})`, ...n.notes]
      }))
      return { graph: g, rewrite: { pass: 'fuse-activation', node: producer.name, detail: `${classOf(n)} ${n.name} fused into ${classOf(producer)} ${producer.name}'s epilogue` } }
    })
}
