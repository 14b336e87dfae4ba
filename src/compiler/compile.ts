/**
 * The model compiler: lower → rewrite → choose a kernel per node → plan memory → run. What it did is
 * reported as a {@link ModelPlan}: the rewrites that fired, every step with its kernel and epilogue,
 * and the arena's size per batch.
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { ModelSpec } from '../model/ModelSpec.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import { wasmApi, type WasmMemory } from '../kernel/wasm/api.js'
import { wasmAvailable } from '../kernel/prepare.js'
import { keepWorkersAwake, THREADS_AVAILABLE, threadStats } from '../kernel/threads.js'
import { HAS_SHARED_MEMORY } from '../kernel/wasm/encoder.js'
import { adaptiveSplit, fixedSplit } from '../kernel/splitPolicy.js'
import { makeExecutor, type Executor, type ForwardSplit } from './executor.js'
import { viewedGraph, type Graph, type Stage } from './Graph.js'
import { KERNEL_FAMILIES } from './kernels/index.js'
import { referenceKernel } from './kernels/reference.js'
import { lowerModel } from './lower.js'
import { PASSES } from './passes/index.js'
import type { Rewrite } from './passes/Pass.js'
import type { KernelChoice, KernelFactory, StepKernel } from './StepKernel.js'
import type { Unary } from './Unary.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One step of a compiled model, as the plan reports it.
 * @category model
 */
export interface PlanStep {
  readonly name: string
  /** The Keras class it computes (a Conv1D lowered as a Conv2D on its height-1 view says `Conv1D`). */
  readonly className: string
  /** The JSON path of its entry in the model config. */
  readonly path: string
  readonly kernel: string
  /** The epilogue stages fused into it (`relu6`, `add(block1_add_input)`, …). */
  readonly epilogue: ReadonlyArray<string>
  /** Rewrites that changed it. */
  readonly notes: ReadonlyArray<string>
  /** How lowering mapped its layer onto the step, when not as itself (`Conv1D as Conv2D on the height-1 view`). */
  readonly lowering?: string
  /** Per-sample output shape. */
  readonly outputShape: ReadonlyArray<number>
}

/**
 * What the compiler made of a model.
 * @category model
 */
export interface ModelPlan {
  /** The passes that ran, in order, and every place each fired. */
  readonly passes: ReadonlyArray<string>
  readonly rewrites: ReadonlyArray<Rewrite>
  /** The steps that run, in order (nodes removed by rewrites are gone; views are listed with kernel `view`). */
  readonly steps: ReadonlyArray<PlanStep>
  /** Bytes of one params object's packed weights in the arena. */
  readonly packedWeightBytes: number
  /** Peak bytes of the intermediate values and scratch for a batch size (planned on first call with it). */
  readonly peakIntermediateBytes: (batch: number) => number
}

/**
 * Options of the compiler.
 * @category model
 */
export interface CompilerOptions {
  /** `true` (default): every pass; `false`: none; or the names of the passes to run (in their own order). */
  readonly rewrites?: boolean | ReadonlyArray<string>
  readonly backend?: 'js' | 'wasm' | 'auto'
  readonly threads?: number
  /** `fast` (default): the kernel families; `reference`: the reference kernel on every step (the oracle). */
  readonly kernels?: 'fast' | 'reference'
  /**
   * With `threads > 1`: `adaptive` (default) splits the large steps of a forward or runs them on one
   * thread, whichever its calls measure faster (splitPolicy.ts); `always` / `never` fix the choice
   * (for measuring either way; the arithmetic is the same bit for bit).
   */
  readonly split?: 'adaptive' | 'always' | 'never'
}

/**
 * A compiled graph: the executor and its plan.
 * @category model
 */
export interface CompiledGraph {
  readonly graph: Graph
  readonly plan: ModelPlan
  readonly forward: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
  readonly profile: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>, now: () => number) => ReadonlyArray<number>
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/** The arena's maximum size in 64 KiB pages (4 GiB: all a wasm32 memory can address). */
const ARENA_MAX_PAGES = 65536

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

const showUnary = (fn: Unary): string => {
  switch (fn.kind) {
    case 'clamp':
      return fn.lo === 0 && fn.hi === Infinity ? 'relu' : fn.lo === 0 && fn.hi === 6 ? 'relu6' : `clamp(${fn.lo}, ${fn.hi})`
    case 'leaky':
      return `leaky_relu(${fn.slope})`
    case 'relu':
      return `relu(negative_slope ${fn.negativeSlope}, max_value ${String(fn.maxValue)}, threshold ${fn.threshold})`
    case 'activation':
      return fn.name
  }
}

const showStage = (g: Graph, s: Stage): string => {
  if (s.kind === 'unary') return showUnary(s.fn)
  const producer = g.nodes.find((n) => n.output === s.value)
  return `add(${producer?.name ?? `input ${g.inputs.indexOf(s.value)}`})`
}

/** The passes `rewrites` selects, in their own order; unknown names are errors. */
const selectPasses = (rewrites: CompilerOptions['rewrites']): Result<typeof PASSES> => {
  if (rewrites === undefined || rewrites === true) return E.right(PASSES)
  if (rewrites === false) return E.right([])
  const known = new Set(PASSES.map((p) => p.name))
  const unknown = rewrites.filter((r) => !known.has(r))
  if (unknown.length > 0) {
    return E.left(unknown.map((u) => specError('options.rewrites', `unknown rewrite ${JSON.stringify(u)}; the passes are ${PASSES.map((p) => JSON.stringify(p.name)).join(', ') || '(none yet)'}`)))
  }
  return E.right(PASSES.filter((p) => rewrites.includes(p.name)))
}

/** The kernel of a node: the first family that takes it, else the reference. */
const chooseKernel = (graph: Graph, index: number, choice: KernelChoice, families: ReadonlyArray<KernelFactory>): StepKernel => {
  const node = graph.nodes[index] as Graph['nodes'][number]
  if (node.kind === 'alias' || node.kind === 'identity') {
    return { name: 'view', packedFloats: 0, pack: () => undefined, scratchFloats: () => 0, inPlace: true, run: () => undefined }
  }
  // every family sees the node's values in the shapes its spec reads them as (a rank-1 layer lowered as its 2-D self)
  const seen = viewedGraph(graph, node)
  for (const family of families) {
    const k = family(node, seen, choice)
    if (k !== undefined) return k
  }
  return referenceKernel(node, graph)
}

/**
 * Compiles a model: lowering (every layer checked as the interpreter does), the selected rewrites,
 * a kernel per step, and an executor with a memory plan per batch size.
 * @category compile
 */
export const compileGraph = (
  model: ModelSpec,
  inputShapes: ReadonlyArray<ReadonlyArray<number>> | undefined,
  dtype: FloatDType,
  options: CompilerOptions = {}
): Result<CompiledGraph> => {
  const passesE = selectPasses(options.rewrites)
  if (E.isLeft(passesE)) return passesE
  const lowered = lowerModel(model, inputShapes, dtype, { family: true })
  if (E.isLeft(lowered)) return lowered
  let graph = lowered.right
  const rewrites: Rewrite[] = []
  for (const pass of passesE.right) {
    const r = pass.run(graph)
    graph = r.graph
    rewrites.push(...r.rewrites)
  }
  const backend = options.backend ?? 'auto'
  const api = wasmApi
  const canWasm = backend !== 'js' && wasmAvailable(dtype) && api !== undefined
  const families = options.kernels === 'reference' ? [] : KERNEL_FAMILIES
  /** A kernel per node for `threads`, on an arena made on first need (shared for a threaded one), and its executor. */
  const build = (threads: number, shared: boolean, split: () => boolean, splitting?: ForwardSplit): { readonly kernels: ReadonlyArray<StepKernel>; readonly executor: Executor } => {
    let memory: WasmMemory | undefined
    const choice: KernelChoice = {
      dtype,
      backend,
      threads,
      split,
      memory: () => {
        if (memory === undefined && canWasm) memory = new api.Memory({ initial: 1, maximum: ARENA_MAX_PAGES, ...(shared ? { shared: true } : {}) })
        return memory
      }
    }
    const kernels = graph.nodes.map((_, i) => chooseKernel(graph, i, choice, families))
    return { kernels, executor: makeExecutor({ graph, kernels }, memory, splitting) }
  }
  // threads: a shared arena, on which the large steps (convolutions, Dense, pooling, BatchNormalization,
  // elementwise, Concatenate, UpSampling2D) split their calls over the worker pool
  const shared = canWasm && (options.threads ?? 1) > 1 && THREADS_AVAILABLE && HAS_SHARED_MEMORY
  // with threads, each forward splits its large steps or runs them all on one thread, whichever its
  // calls measure faster (splitPolicy.ts: the break-even moves with the machine's load); the forwards
  // kept on one thread run on a one-thread twin of the model on plain memory, made on first need
  // (executor.ts: a shared arena's copies in and out cost, and its small steps run slightly slower)
  let splitNow = true
  const policy = options.split === 'always' || options.split === 'never' ? fixedSplit(options.split === 'always') : adaptiveSplit()
  let twin: Executor | undefined
  const splitting: ForwardSplit | undefined = shared
    ? {
        policy,
        set: (on) => (splitNow = on),
        jobs: () => threadStats.calls,
        awake: keepWorkersAwake,
        single: () => (twin ??= build(1, false, () => false).executor),
        hasSingle: () => twin !== undefined
      }
    : undefined
  const { kernels, executor } = build(options.threads ?? 1, shared, () => splitNow, splitting)
  const bytes = dtype === 'float64' ? 8 : 4
  const plan: ModelPlan = {
    passes: passesE.right.map((p) => p.name),
    rewrites,
    steps: graph.nodes.map((n, i) => ({
      name: n.name,
      className: n.layerClass ?? n.spec.className,
      path: n.path,
      kernel: (kernels[i] as StepKernel).name,
      epilogue: n.epilogue.stages.map((s) => showStage(graph, s)),
      notes: n.notes,
      ...(n.lowering === undefined ? {} : { lowering: n.lowering }),
      outputShape: graph.values[n.output]?.shape ?? []
    })),
    packedWeightBytes: executor.packedFloats * bytes,
    peakIntermediateBytes: (batch) => executor.planFor(batch).peakFloats * bytes
  }
  return E.right({ graph, plan, forward: executor.forward, profile: executor.profile })
}
