/**
 * The static memory plan: where every intermediate value (and every step's scratch) lives in the
 * arena for one batch size, assigned at compile time by liveness and reused once dead. Values a node
 * only renames (`alias` nodes: Reshape, Flatten) share their input's buffer; model inputs are live
 * from the start (they are copied in first), model outputs to the end (they are copied out last).
 *
 * Placement is XNNPACK's "greedy by size" best fit (src/memory-planner.c, `xnn_plan_value_allocation_tracker`;
 * ../shared/docs/model-compiler-notes.md §1.4): buffers are placed largest first, each in the smallest
 * gap left by the already-placed buffers whose lifetimes overlap its own, else after them.
 */
import type { Graph, ValueId } from './Graph.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A planned buffer: `[offset, offset + size)` in floats, live from step `first` to step `last`
 * (inclusive; −1 = before the first step, `steps` = after the last).
 * @category model
 */
export interface Block {
  readonly offset: number
  readonly size: number
  readonly first: number
  readonly last: number
}

/**
 * The plan for one batch size: each value's offset (aliases share one), each step's scratch offset
 * (−1 for none), and the floats the values region needs at its peak.
 * @category model
 */
export interface MemoryPlan {
  readonly batch: number
  readonly valueOffset: ReadonlyArray<number>
  readonly scratchOffset: ReadonlyArray<number>
  readonly peakFloats: number
  /** The planned buffers (for checks and the plan's report). */
  readonly blocks: ReadonlyArray<Block>
}

/** Floats a buffer's offset is a multiple of (64 bytes in float32: a cache line; SIMD loads need 16). */
export const ALIGN_FLOATS = 16

const alignUp = (n: number): number => Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS

// -------------------------------------------------------------------------------------
// planning
// -------------------------------------------------------------------------------------

interface Request {
  readonly size: number
  readonly first: number
  readonly last: number
  readonly values: ReadonlyArray<ValueId>
  readonly scratchOf: number | undefined
}

/**
 * Best-fit offsets for requests, largest first, among the placed blocks overlapping in time.
 * @category planning
 */
export const placeBlocks = (requests: ReadonlyArray<{ readonly size: number; readonly first: number; readonly last: number }>): ReadonlyArray<number> => {
  const order = requests.map((_, i) => i).sort((a, b) => (requests[b] as Request).size - (requests[a] as Request).size || a - b)
  const placed: Array<{ readonly offset: number; readonly end: number; readonly first: number; readonly last: number }> = []
  const offsets = new Array<number>(requests.length).fill(0)
  for (const i of order) {
    const r = requests[i] as Request
    const size = alignUp(r.size)
    if (size === 0) continue
    const overlapping = placed.filter((p) => p.first <= r.last && r.first <= p.last).sort((a, b) => a.offset - b.offset)
    let best = -1
    let bestGap = Infinity
    let cursor = 0
    for (const p of overlapping) {
      const gap = p.offset - cursor
      if (gap >= size && gap < bestGap) {
        best = cursor
        bestGap = gap
      }
      cursor = Math.max(cursor, p.end)
    }
    const offset = best >= 0 ? best : cursor
    offsets[i] = offset
    placed.push({ offset, end: offset + size, first: r.first, last: r.last })
  }
  return offsets
}

/**
 * The memory plan of `graph` for `batch` samples; `scratch[i]` is step `i`'s scratch floats (for the
 * batch), live only during that step. `inPlace[i]`: step `i`'s kernel may write its output over its
 * first input; it then does wherever that input dies at step `i` (read by no later step, not a model
 * output), has the output's size, and is read by the step only as that first input (not as another
 * input or an epilogue operand, which the kernel may read after writing). The output then shares the
 * input's buffer, as an alias does.
 * @category planning
 */
export const planMemory = (graph: Graph, batch: number, scratch: ReadonlyArray<number>, inPlace: ReadonlyArray<boolean> = []): MemoryPlan => {
  const steps = graph.nodes.length
  // alias groups: an alias node's output shares its input's buffer
  const root = new Map<ValueId, ValueId>()
  const find = (v: ValueId): ValueId => {
    let r = v
    while (root.has(r) && root.get(r) !== r) r = root.get(r) as ValueId
    return r
  }
  for (const n of graph.nodes) if (n.kind === 'alias' || n.kind === 'identity') root.set(n.output, find(n.inputs[0] as ValueId))
  const first = new Map<ValueId, number>()
  const last = new Map<ValueId, number>()
  const liveness = (): void => {
    first.clear()
    last.clear()
    const touch = (v: ValueId, step: number): void => {
      const r = find(v)
      if (!first.has(r) || (first.get(r) as number) > step) first.set(r, step)
      if (!last.has(r) || (last.get(r) as number) < step) last.set(r, step)
    }
    for (const v of graph.inputs) touch(v, -1)
    graph.nodes.forEach((n, i) => {
      touch(n.output, i)
      for (const v of n.inputs) touch(v, i)
      for (const s of n.epilogue.stages) if (s.kind === 'add') touch(s.value, i)
    })
    for (const v of graph.outputs) touch(v, steps)
  }
  liveness()
  // in-place steps, in execution order: the output joins its dying first input's group
  let merged = false
  graph.nodes.forEach((n, i) => {
    if (inPlace[i] !== true || n.kind === 'alias' || n.kind === 'identity' || n.inputs.length === 0) return
    const r0 = find(n.inputs[0] as ValueId)
    const ro = find(n.output)
    if (r0 === ro || last.get(r0) !== i) return
    if ((graph.values[r0]?.size ?? -1) !== (graph.values[ro]?.size ?? -2)) return
    const readElsewhere =
      n.inputs.slice(1).some((v) => find(v) === r0) || n.epilogue.stages.some((s) => s.kind === 'add' && find(s.value) === r0)
    if (readElsewhere) return
    root.set(ro, r0)
    last.set(r0, last.get(ro) as number)
    merged = true
  })
  if (merged) liveness()
  const roots = [...first.keys()]
  const requests: Request[] = [
    ...roots.map((r) => ({ size: (graph.values[r]?.size ?? 0) * batch, first: first.get(r) as number, last: last.get(r) as number, values: [r], scratchOf: undefined })),
    ...scratch.flatMap((floats, i) => (floats > 0 ? [{ size: floats, first: i, last: i, values: [], scratchOf: i }] : []))
  ]
  const offsets = placeBlocks(requests)
  const rootOffset = new Map<ValueId, number>()
  const scratchOffset = new Array<number>(steps).fill(-1)
  requests.forEach((r, i) => {
    if (r.scratchOf !== undefined) scratchOffset[r.scratchOf] = offsets[i] as number
    else rootOffset.set(r.values[0] as ValueId, offsets[i] as number)
  })
  const valueOffset = graph.values.map((v) => rootOffset.get(find(v.id)) ?? -1)
  const blocks = requests.map((r, i) => ({ offset: offsets[i] as number, size: r.size, first: r.first, last: r.last }))
  const peakFloats = blocks.reduce((m, b) => Math.max(m, b.offset + alignUp(b.size)), 0)
  return { batch, valueOffset, scratchOffset, peakFloats, blocks }
}

/**
 * The problems of a plan, for tests and debug builds: two blocks whose lifetimes overlap must not
 * overlap in memory, and every offset is aligned.
 * @category planning
 */
export const planProblems = (plan: MemoryPlan): ReadonlyArray<string> => {
  const out: string[] = []
  const bs = plan.blocks.filter((b) => b.size > 0)
  bs.forEach((a, i) => {
    if (a.offset % ALIGN_FLOATS !== 0) out.push(`block ${i} at ${a.offset} is not aligned to ${ALIGN_FLOATS} floats`)
    for (let j = i + 1; j < bs.length; j++) {
      const b = bs[j] as Block
      const time = a.first <= b.last && b.first <= a.last
      const space = a.offset < b.offset + b.size && b.offset < a.offset + a.size
      if (time && space) out.push(`blocks ${i} [${a.offset}, ${a.offset + a.size}) steps ${a.first}–${a.last} and ${j} [${b.offset}, ${b.offset + b.size}) steps ${b.first}–${b.last} overlap`)
    }
  })
  return out
}
