/** The training op of the layers that only move values: forward and backward through their own gather map. */
import * as E from 'fp-ts/lib/Either.js'
import type { Graph, Node } from '../../compiler/Graph.js'
import { gatherForward, gatherVjp, probeGather } from '../vjp/gather.js'
import { type Result, type NodeOp, sizeOfValue, referenceLayer } from '../NodeOp.js'

/** The op of a layer that only moves values: its forward, and the scatter of its gather map. */
export const gatherOp = (
  node: Node,
  graph: Graph,
  inShapes: ReadonlyArray<ReadonlyArray<number>>,
  fail: (message: string) => Result<NodeOp>,
  wrap: (op: Result<NodeOp>) => Result<NodeOp>
): Result<NodeOp> => {
  const layer = referenceLayer(node.spec, inShapes, graph.dtype)
  const probe = referenceLayer(node.spec, inShapes, 'float64')
  if (E.isLeft(layer)) return layer
  if (E.isLeft(probe)) return probe
  const map = probeGather(probe.right, inShapes, [])
  if (map === undefined) return fail('the layer does not only move values (no gather map)')
  const sizes = node.inputs.map((v) => sizeOfValue(graph, v))
  const outSize = sizeOfValue(graph, node.output)
  // forward and backward through the gather map, in planned buffers
  return wrap(
    E.right((inputs, _w, batch, _mode, buf) => ({
      output: gatherForward(map, sizes, batch, inputs, buf.float('out', batch * outSize)),
      backward: (dy) => ({ inputs: gatherVjp(map, sizes, batch, dy, sizes.map((n, i) => buf.float(`dx${i}`, batch * n))), weights: [] })
    }))
  )
}
