/**
 * The executor: a graph with a kernel chosen for every node becomes a pure `forward`. One arena per
 * compiled model holds, in floats:
 *
 *   [ packed weights: one slot per live params object | values and scratch, planned per batch size ]
 *
 * A call packs its params object's weights on first use (evaluating the nodes' weight expressions —
 * BatchNormalization folded in float64 — once, cached on the params array), plans memory for its
 * batch size on first use, copies the inputs in, runs the steps, and copies each output out into a
 * fresh array. Nothing else is allocated per call by the executor; the caller's arrays are never
 * written (a params object's weights are read when it is first seen: change them in place and the
 * model keeps the old values, as the convolution kernels' packing does).
 */
import type { Tensor } from '../core/Tensor.js'
import type { WasmMemory } from '../kernel/wasm/api.js'
import type { SplitPolicy } from '../kernel/splitPolicy.js'
import type { FloatArray, FloatDType } from '../numerics/FloatArray.js'
import type { Graph, Node, Value } from './Graph.js'
import { planMemory, type MemoryPlan } from './memoryPlan.js'
import type { Arena, StepIO, StepKernel } from './StepKernel.js'
import { evaluateExpr } from './WeightExpr.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A graph ready to run: its nodes with their kernels, in execution order.
 * @category model
 */
export interface Program {
  readonly graph: Graph
  readonly kernels: ReadonlyArray<StepKernel>
}

/**
 * A running program: `forward` for a batch of inputs (one tensor per model input, `[batch, ...shape]`,
 * already checked by the caller), and what it has planned so far.
 * @category model
 */
export interface Executor {
  readonly forward: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
  /** The memory plan for a batch size (computed on first use and kept). */
  readonly planFor: (batch: number) => MemoryPlan
  /** Floats of one params object's packed weights. */
  readonly packedFloats: number
  /** Runs one call with a timer around each step: milliseconds per step, in step order. */
  readonly profile: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, now: () => number) => ReadonlyArray<number>
}

// -------------------------------------------------------------------------------------
// arena
// -------------------------------------------------------------------------------------

const FLOAT_BYTES = (dtype: FloatDType): number => (dtype === 'float64' ? 8 : 4)
const PAGE = 65536

/**
 * A growable arena over a WebAssembly memory (when given) or a plain ArrayBuffer. The float view is
 * kept between calls and `memory.buffer` is read only when the view is too short (a getter that
 * costs 20-30 ns a read, a tenth of a tiny model's forward): a view of a shared memory stays valid
 * for the bytes it covers when the memory grows; one of a plain memory is detached (length 0) and
 * then recreated.
 */
const makeArena = (dtype: FloatDType, memory: WasmMemory | undefined): Arena & { readonly ensure: (floats: number) => void } => {
  const bytesPer = FLOAT_BYTES(dtype)
  let buffer: ArrayBuffer | SharedArrayBuffer = memory?.buffer ?? new ArrayBuffer(0)
  let view: FloatArray = dtype === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer)
  const refresh = (): void => {
    buffer = memory?.buffer ?? buffer
    view = dtype === 'float64' ? new Float64Array(buffer) : new Float32Array(buffer)
  }
  const ensure = (floats: number): void => {
    if (view.length >= floats) return
    const bytes = floats * bytesPer
    if (memory !== undefined) {
      const have = memory.buffer.byteLength
      if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE))
      refresh()
      return
    }
    const next = new ArrayBuffer(Math.max(bytes, buffer.byteLength * 2))
    new Uint8Array(next).set(new Uint8Array(buffer))
    buffer = next
    refresh()
  }
  return {
    dtype,
    memory,
    ensure,
    view: () => {
      // a plain memory grown by another user of it detaches this view
      if (view.length === 0 && memory !== undefined) refresh()
      return view
    }
  }
}

// -------------------------------------------------------------------------------------
// executor
// -------------------------------------------------------------------------------------

interface Packed {
  /** Where this params object's slot starts. */
  readonly base: number
  /** The nodes' evaluated weights. */
  readonly weights: ReadonlyArray<ReadonlyArray<Tensor>>
  readonly slot: number
}

/**
 * How a model compiled with threads decides, forward by forward, whether its large steps split over
 * the worker pool: `policy` chooses before each forward and is told its time after (a profiled call
 * follows the choice without being recorded); `set` passes the choice to the kernels
 * (`KernelChoice.split`).
 * @category executor
 */
export interface ForwardSplit {
  readonly policy: SplitPolicy
  readonly set: (split: boolean) => void
  /** Jobs dispatched to the worker pool so far (process-wide; a forward runs on the calling thread, so the difference is its own). */
  readonly jobs: () => number
  /** Keeps the pool's workers spinning between the jobs of a split forward (`true` at its start, `false` at its end). */
  readonly awake?: (on: boolean) => void
  /**
   * The model's one-thread twin on plain memory (made on the first call), which runs the forwards that
   * do not split: those the policy keeps on one thread once it has chosen so (its probes of one
   * thread before that run on the shared arena), and every forward at a batch size whose split
   * forward dispatched no job (every step below its threshold: nothing will ever split there).
   */
  readonly single?: () => Executor
  /** Whether `single` has been made. */
  readonly hasSingle?: () => boolean
}

/**
 * The executor of a program; `memory` is the WebAssembly memory its wasm kernels were built on
 * (undefined when every kernel is TypeScript).
 * @category executor
 */
export const makeExecutor = (program: Program, memory?: WasmMemory, splitting?: ForwardSplit): Executor => {
  const { graph, kernels } = program
  const dtype = graph.dtype
  const arena = makeArena(dtype, memory)
  // each kernel's packed weights at a fixed place in a slot
  const packOffset: number[] = []
  let slotFloats = 0
  for (const k of kernels) {
    packOffset.push(slotFloats)
    slotFloats += Math.ceil(k.packedFloats / 16) * 16
  }
  // slots of live params objects; a slot is given back when its params array is collected
  const freeSlots: number[] = []
  let slotCount = 0
  const packedOf = new WeakMap<object, Packed>()
  const registry = new FinalizationRegistry<number>((slot) => freeSlots.push(slot))
  const plans = new Map<number, MemoryPlan>()
  /** Whether the last split forward at a batch size dispatched a job to the worker pool. */
  const dispatches = new Map<number, boolean>()
  /**
   * Batch sizes whose first split forward dispatched no job: every step is below its threshold there
   * (a step's own policy — a Conv2DTranspose's layer kernel — starts split too), so none ever splits.
   */
  const inert = new Set<number>()
  const everDispatched = new Set<number>()

  const planFor = (batch: number): MemoryPlan => {
    let p = plans.get(batch)
    if (p === undefined) {
      p = planMemory(
        graph,
        batch,
        kernels.map((k) => k.scratchFloats(batch)),
        kernels.map((k) => k.inPlace)
      )
      plans.set(batch, p)
    }
    return p
  }

  const packedFor = (params: ReadonlyArray<Tensor>): Packed => {
    const known = packedOf.get(params)
    if (known !== undefined) return known
    const weights = graph.nodes.map((n: Node) => n.weights.map((e) => evaluateExpr(e, params, dtype)))
    const slot = freeSlots.pop() ?? slotCount++
    const base = slot * slotFloats
    // the values region follows the slots: keep it clear of a new slot
    arena.ensure((slotCount) * slotFloats)
    const view = arena.view()
    kernels.forEach((k, i) => {
      if (k.packedFloats > 0) k.pack(weights[i] as ReadonlyArray<Tensor>, view, base + (packOffset[i] as number))
    })
    const packed = { base, weights, slot }
    packedOf.set(params, packed)
    registry.register(params, slot)
    return packed
  }

  /** A forward on the one-thread twin (a profiled one fills the timer's times). */
  const onTwin = (twin: Executor, params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, timer?: { readonly now: () => number; readonly times: number[] }): ReadonlyArray<Tensor> => {
    if (timer === undefined) return twin.forward(params, inputs)
    twin.profile(params, inputs, timer.now).forEach((t, i) => (timer.times[i] = t))
    return []
  }

  const call = (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, timer?: { readonly now: () => number; readonly times: number[] }): ReadonlyArray<Tensor> => {
    const batch = (inputs[0] as Tensor).shape[0] as number
    // a batch size with nothing to split runs on the twin, without the policy (a clock read costs a
    // tenth of a µs: a tiny model's forward is a few µs)
    if (splitting?.single !== undefined && inert.has(batch)) return onTwin(splitting.single(), params, inputs, timer)
    const split = splitting?.policy.split(batch) ?? true
    if (!split && splitting?.single !== undefined && (splitting.hasSingle?.() === true || !splitting.policy.chosen(batch))) {
      const timing = timer === undefined && splitting.policy.measures(batch)
      const started = timing ? performance.now() : 0
      const outputs = onTwin(splitting.single(), params, inputs, timer)
      if (timer === undefined) splitting.policy.record(batch, false, timing ? performance.now() - started : NaN, false)
      return outputs
    }
    splitting?.set(split)
    const timing = splitting !== undefined && timer === undefined && splitting.policy.measures(batch)
    const started = timing ? performance.now() : 0
    const packed = packedFor(params)
    const plan = planFor(batch)
    // the workers spin through the forward's unsplit stretches — unless its last split forward at this
    // batch size dispatched no job (every step below its threshold: nothing to be awake for)
    const hold = split && splitting?.awake !== undefined && dispatches.get(batch) !== false
    const before = splitting?.jobs() ?? 0
    if (hold) splitting.awake?.(true)
    try {
      runSteps(packed, plan, batch, inputs, timer)
    } finally {
      if (hold) splitting.awake?.(false)
    }
    if (split && splitting !== undefined) {
      const dispatched = splitting.jobs() !== before
      dispatches.set(batch, dispatched)
      if (dispatched) everDispatched.add(batch)
      else if (!everDispatched.has(batch)) inert.add(batch)
    }
    const outputs = copyOut(plan, batch)
    if (splitting !== undefined && timer === undefined) splitting.policy.record(batch, split, timing ? performance.now() - started : NaN, splitting.jobs() !== before)
    return outputs
  }

  /**
   * Every step's offsets for a plan, where the values start and where a params object's slot
   * starts: made once and kept (on the last plan used), so that a forward allocates nothing per step.
   */
  let steps: { readonly plan: MemoryPlan; readonly valuesBase: number; readonly base: number; readonly io: ReadonlyArray<StepIO | undefined> } | undefined
  const stepIO = (plan: MemoryPlan, valuesBase: number, base: number): ReadonlyArray<StepIO | undefined> => {
    if (steps !== undefined && steps.plan === plan && steps.valuesBase === valuesBase && steps.base === base) return steps.io
    const at = (v: number): number => valuesBase + (plan.valueOffset[v] as number)
    const io = graph.nodes.map((node, i): StepIO | undefined => {
      if (node.kind === 'alias' || node.kind === 'identity') return undefined
      const k = kernels[i] as StepKernel
      return {
        inputs: node.inputs.map(at),
        output: at(node.output),
        operands: node.epilogue.stages.flatMap((s) => (s.kind === 'add' ? [at(s.value)] : [])),
        weights: k.packedFloats > 0 ? base + (packOffset[i] as number) : -1,
        scratch: plan.scratchOffset[i] === -1 ? -1 : valuesBase + (plan.scratchOffset[i] as number)
      }
    })
    steps = { plan, valuesBase, base, io }
    return io
  }

  const runSteps = (packed: Packed, plan: MemoryPlan, batch: number, inputs: ReadonlyArray<Tensor>, timer?: { readonly now: () => number; readonly times: number[] }): void => {
    // values start after every slot ever made (slots are only added, never moved)
    const valuesBase = Math.ceil((slotCount * slotFloats) / 16) * 16
    arena.ensure(valuesBase + plan.peakFloats)
    const view = arena.view()
    for (let i = 0; i < graph.inputs.length; i++) view.set((inputs[i] as Tensor).data, valuesBase + (plan.valueOffset[graph.inputs[i] as number] as number))
    const io = stepIO(plan, valuesBase, packed.base)
    for (let i = 0; i < kernels.length; i++) {
      const s = io[i]
      if (s === undefined) continue
      const t0 = timer?.now()
      ;(kernels[i] as StepKernel).run(arena, batch, s, packed.weights[i] as ReadonlyArray<Tensor>)
      if (timer !== undefined) timer.times[i] = timer.now() - (t0 as number)
    }
  }

  const copyOut = (plan: MemoryPlan, batch: number): ReadonlyArray<Tensor> => {
    const valuesBase = Math.ceil((slotCount * slotFloats) / 16) * 16
    const at = (v: number): number => valuesBase + (plan.valueOffset[v] as number)
    const out = arena.view()
    return graph.outputs.map((v) => {
      const value = graph.values[v] as Value
      const start = at(v)
      return { shape: [batch, ...value.shape], data: out.slice(start, start + batch * value.size) }
    })
  }

  return {
    forward: (params, inputs) => call(params, inputs),
    planFor,
    packedFloats: slotFloats,
    profile: (params, inputs, now) => {
      const times = new Array<number>(graph.nodes.length).fill(0)
      call(params, inputs, { now, times })
      return times
    }
  }
}
