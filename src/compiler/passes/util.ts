/**
 * What the rewrite passes share: running a local rewrite to a fixed point, and the legality checks
 * every fusion makes (a value read by exactly one node and not seen by the caller; a producer whose
 * epilogue a kernel applies).
 */
import { deepFreeze } from '../../core/deepFreeze.js'
import type { AnyLayerSpec } from '../../model/ModelSpec.js'
import { consumers, producers, type Graph, type Node, type Stage, type ValueId } from '../Graph.js'
import type { Rewrite } from './Pass.js'

/**
 * The maps a local rewrite reads, computed once per scan of the graph.
 * @category utils
 */
export interface Scan {
  readonly graph: Graph
  readonly consumers: ReadonlyMap<ValueId, ReadonlyArray<Node>>
  readonly producers: ReadonlyMap<ValueId, Node>
  /** Each node's position in execution order, by node id. */
  readonly position: ReadonlyMap<number, number>
}

/**
 * A local rewrite: given a node of the current graph, the rewritten graph and what was done, or
 * `undefined` when it does not fire there. Every firing removes a node, so a fixed point is reached.
 * @category utils
 */
export type LocalRewrite = (scan: Scan, node: Node) => { readonly graph: Graph; readonly rewrite: Rewrite } | undefined

/**
 * Applies `rewrite` wherever it fires, in execution order, until it fires nowhere (a firing may
 * enable another one earlier in the graph: a ZeroPadding2D before a folded one).
 * @category utils
 */
export const toFixedPoint = (graph: Graph, rewrite: LocalRewrite): { readonly graph: Graph; readonly rewrites: ReadonlyArray<Rewrite> } => {
  let g = graph
  const rewrites: Rewrite[] = []
  for (;;) {
    const scan: Scan = { graph: g, consumers: consumers(g), producers: producers(g), position: new Map(g.nodes.map((n, i) => [n.id, i] as const)) }
    let fired = false
    for (const n of g.nodes) {
      const r = rewrite(scan, n)
      if (r !== undefined) {
        g = r.graph
        rewrites.push(r.rewrite)
        fired = true
        break
      }
    }
    if (!fired) return { graph: g, rewrites }
  }
}

/**
 * Whether value `v` is read by `node` alone (as an input or an epilogue operand) and is not a model
 * output: only then may a pass fold the node that reads it into the one that writes it.
 * @category utils
 */
export const readOnlyBy = (scan: Scan, v: ValueId, node: Node): boolean => {
  const cs = scan.consumers.get(v) ?? []
  return cs.length === 1 && cs[0] === node && !scan.graph.outputs.includes(v)
}

/**
 * Whether a node's kernel applies an epilogue: every node the executor runs (the reference applies
 * every stage; fast kernels promise the same), not the views (`alias`, `identity`) that run nothing.
 * @category utils
 */
export const hasEpilogue = (n: Node): boolean => n.kind !== 'alias' && n.kind !== 'identity'

/**
 * The graph with node `id` replaced by `f(node)`.
 * @category utils
 */
export const updateNode = (g: Graph, id: number, f: (n: Node) => Node): Graph => ({ ...g, nodes: g.nodes.map((n) => (n.id === id ? f(n) : n)) })

/**
 * The current version of a node (passes replace nodes by id).
 * @category utils
 */
export const nodeById = (g: Graph, id: number): Node | undefined => g.nodes.find((n) => n.id === id)

/**
 * A frozen copy of a spec with some fields changed (specs are immutable data).
 * @category utils
 */
export const withSpec = (spec: AnyLayerSpec, changes: object): AnyLayerSpec => deepFreeze({ ...spec, ...changes }) as AnyLayerSpec

/**
 * How the plan names a value: its producer's name, or the model input it is.
 * @category utils
 */
export const valueName = (scan: Scan, v: ValueId): string => {
  const p = scan.producers.get(v)
  return p !== undefined ? p.name : `input ${scan.graph.inputs.indexOf(v)}`
}

/**
 * Whether every `add` operand among `stages` is computed before `node` runs (a model input, or a value
 * produced earlier in execution order): only then may the stages move into `node`'s epilogue.
 * @category utils
 */
export const operandsReadyBefore = (scan: Scan, stages: ReadonlyArray<Stage>, node: Node): boolean => {
  const at = scan.position.get(node.id) as number
  return stages.every((s) => {
    if (s.kind !== 'add') return true
    const p = scan.producers.get(s.value)
    return p === undefined || (scan.position.get(p.id) as number) < at
  })
}

/**
 * The Keras class a node computes, for the rewrites' details (a Conv1D lowered as a Conv2D: `Conv1D`).
 * @category utils
 */
export const classOf = (n: Node): string => n.layerClass ?? n.spec.className
