/**
 * `Workspace`: the training step's memory plan. A {@link TrainGraph} run writes the values its backward
 * needs (node outputs, pooling argmax maps, dropout masks) and the gradients it passes between nodes
 * into buffers named per node, and the next run of the same batch size writes into the same buffers
 * instead of allocating new ones: a step's allocations are its results (new params, the params'
 * gradients), not its activations, which keeps V8's collector out of the training loop (issue 13: "keep
 * activations needed by the backward pass in planned buffers").
 *
 * Every buffer of a run has a name of its own (`node/purpose`), so nothing one node keeps for its
 * backward is written by another node of the same run. A buffer's contents on hand-out are whatever
 * the last run left: a user writes every element it reads (or zeroes it first). The plans of the last
 * {@link WORKSPACE_BATCHES} batch sizes are kept (`fit`'s batch, its last partial batch, validation).
 */
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'

/** The buffers of one node in one run. */
export interface Buffers {
  /** This node's `dtype` buffer `name` of length `n` (stale contents: write before reading). */
  readonly float: (name: string, n: number) => FloatArray
  /** This node's `Int32Array` buffer `name` of length `n` (stale contents). */
  readonly int: (name: string, n: number) => Int32Array
}

/** How many batch sizes' plans a workspace keeps. */
export const WORKSPACE_BATCHES = 3

/** The buffers of every node of a graph, per batch size: `forBatch(batch)(node)`. */
export interface Workspace {
  readonly forBatch: (batch: number) => (node: number) => Buffers
}

/** A workspace whose float buffers are `dtype` arrays. */
export const workspace = (dtype: FloatDType): Workspace => {
  // batch size → buffer key → buffer, most recently used batch last
  const plans = new Map<number, Map<string, FloatArray | Int32Array>>()
  const forBatch = (batch: number): ((node: number) => Buffers) => {
    let plan = plans.get(batch)
    if (plan === undefined) {
      plan = new Map()
      if (plans.size >= WORKSPACE_BATCHES) plans.delete(plans.keys().next().value as number)
    } else plans.delete(batch)
    plans.set(batch, plan)
    const held = plan
    return (node) => {
      const float = (name: string, n: number): FloatArray => {
        const key = `${node}/${name}`
        const have = held.get(key)
        if (have !== undefined && have.length === n && !(have instanceof Int32Array)) return have
        const made = allocate(dtype, n)
        held.set(key, made)
        return made
      }
      const int = (name: string, n: number): Int32Array => {
        const key = `${node}/${name}#i`
        const have = held.get(key)
        if (have instanceof Int32Array && have.length === n) return have
        const made = new Int32Array(n)
        held.set(key, made)
        return made
      }
      return { float, int }
    }
  }
  return { forBatch }
}
