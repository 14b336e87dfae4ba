/**
 * `fuse-residual-add`: an `Add` of two values becomes an `add` stage of the node producing one of them
 * (../shared/docs/model-compiler-notes.md §2.2, §6.3; ORT `ConvAddActivationFusion`,
 * `SelectProducerConv`): that node adds the other value to its result on the way out, after its own
 * epilogue, and the Add's own stages (a fused activation) follow — `((own arithmetic + bias), own
 * stages, + other, the Add's stages)`, Keras's order.
 *
 * Which input: the one produced **later** in execution order (a model input counts as produced before
 * every node). The other one is then already computed when that producer runs, so it is live in the
 * arena, and the fused value is written where the Add's result would be. Fusing into the earlier one
 * would need the later value before it exists. If the later one does not qualify, nothing fires.
 *
 * It fires only when the Add has exactly two inputs, two different values of identical shapes (no
 * broadcasting); the chosen input's producer runs a kernel (not a view: `alias`, `identity`), its
 * output is read by the Add alone and is not a model output. An Add of three or more inputs is left
 * alone: the layer sums all of them in float64 and rounds once, which chained stages would not.
 *
 * No arithmetic changes: the Add layer rounds `a + b` once, and so does the stage (`+` is commutative in
 * IEEE arithmetic, NaN and signed zeros included): bit-identical.
 */
import { replaceValue, type Graph, type Node, type Value } from '../Graph.js'
import type { Pass } from './Pass.js'
import { classOf, hasEpilogue, operandsReadyBefore, readOnlyBy, toFixedPoint, updateNode, valueName, type Scan } from './util.js'

/**
 * The producer an Add node fuses into and the value it adds, or `undefined`.
 * @category utils
 */
export const residualTarget = (scan: Scan, add: Node): { readonly producer: Node; readonly other: number } | undefined => {
  if (add.kind !== 'merge' || add.spec.className !== 'Add' || add.inputs.length !== 2) return undefined
  const [a, b] = add.inputs as [number, number]
  if (a === b) return undefined
  const sa = (scan.graph.values[a] as Value).shape
  const sb = (scan.graph.values[b] as Value).shape
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) return undefined
  const at = (v: number): number => {
    const p = scan.producers.get(v)
    return p === undefined ? -1 : (scan.position.get(p.id) as number)
  }
  const [later, other] = at(a) > at(b) ? [a, b] : [b, a]
  const producer = scan.producers.get(later)
  if (producer === undefined || !hasEpilogue(producer) || !readOnlyBy(scan, later, add) || !operandsReadyBefore(scan, add.epilogue.stages, producer)) return undefined
  return { producer, other }
}

/**
 * The pass.
 * @category passes
 */
export const fuseResidualAdd: Pass = {
  name: 'fuse-residual-add',
  description: 'fuses a two-input Add of equal shapes into the epilogue of the later-produced input\'s producer (+ the other input, then the Add\'s own stages)',
  run: (graph: Graph) =>
    toFixedPoint(graph, (scan, add) => {
      const t = residualTarget(scan, add)
      if (t === undefined) return undefined
      const { producer, other } = t
      const g = updateNode(replaceValue(scan.graph, add.output, producer.output, new Set([add.id])), producer.id, (p) => ({
        ...p,
        epilogue: { stages: [...p.epilogue.stages, { kind: 'add', value: other }, ...add.epilogue.stages] },
        notes: [...p.notes, `fuse-residual-add(${add.name})`, ...add.notes]
      }))
      return {
        graph: g,
        rewrite: { pass: 'fuse-residual-add', node: producer.name, detail: `Add ${add.name} fused into ${classOf(producer)} ${producer.name}'s epilogue: + ${valueName(scan, other)}` }
      }
    })
}
