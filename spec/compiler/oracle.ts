/**
 * The oracle of the rewrite tests (../shared/docs/model-compiler-notes.md §6.4).
 *
 * - Exact rewrites: the compiler's pipeline with the reference kernel on every step
 *   ({@link referenceCompiled}) against the per-layer interpreter, bit for bit.
 * - Folding: step by step ({@link stepErrors}). A folded step's float32 result carries an error of
 *   order `eps32 · (Σ|w'||x| + |b'|)`, not `eps32 · |y|`: where the terms cancel, |y| is small and the
 *   error is not. Each step of the rewritten graph is therefore run on the float64 interpreter's values
 *   of its inputs and compared with the float64 interpreter's value of the chain it replaced (conv → BN
 *   → ReLU6 …), per output element, in units of that step's own scale. A whole-network bound of that
 *   kind (the same graph run on |x| with |w|) grows like √K per layer faster than the error really does,
 *   and is useless past a few layers; the step-wise check is exact in what it measures.
 */
import * as E from 'fp-ts/lib/Either.js'
import { makeExecutor } from '../../src/compiler/executor.js'
import type { Graph, Node, Value, ValueId } from '../../src/compiler/Graph.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { lowerModel } from '../../src/compiler/lower.js'
import { PASSES } from '../../src/compiler/passes/index.js'
import type { Rewrite } from '../../src/compiler/passes/Pass.js'
import type { Arena, StepIO, StepKernel } from '../../src/compiler/StepKernel.js'
import { evaluateExpr } from '../../src/compiler/WeightExpr.js'
import type { SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import type { BatchNormalizationSpec } from '../../src/layers/elementwise/batchNormalization.js'
import type { CompiledModel } from '../../src/model/compileModel.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { allocate, type FloatArray, type FloatDType } from '../../src/numerics/FloatArray.js'
import { uniformStream } from '../../src/numerics/random.js'

/** float32's unit roundoff (2^-24) and float64's (2^-53). */
export const EPS32 = 2 ** -24
export const EPS64 = 2 ** -53

/** The rewrites that change no arithmetic: compiled with them, a model is bit-identical to the interpreter. */
export const EXACT_REWRITES = ['drop-identities', 'fold-padding', 'fuse-activation', 'fuse-residual-add'] as const

const ok = <A>(e: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.map((x) => `${x.path}: ${x.message}`).join('\n'))
  return e.right
}

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** A float64 copy of a tensor (the same values). */
export const toF64 = (t: Tensor): Tensor => ({ shape: t.shape, data: Float64Array.from(t.data) })

/**
 * Where two results differ as values (`Object.is`: NaN equals NaN, −0 differs from +0): the count and
 * the first index, over every output.
 */
export const bitDiff = (got: ReadonlyArray<Tensor>, want: ReadonlyArray<Tensor>): { readonly count: number; readonly first: string } => {
  let count = 0
  let first = ''
  if (got.length !== want.length) return { count: Infinity, first: `${got.length} outputs, expected ${want.length}` }
  got.forEach((t, o) => {
    const w = want[o] as Tensor
    if (t.data.length !== w.data.length || t.shape.join() !== w.shape.join()) {
      count += Infinity
      first ||= `output ${o}: shape ${t.shape.join('×')}, expected ${w.shape.join('×')}`
      return
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Object.is(t.data[i], w.data[i])) {
        if (count === 0) first = `output ${o}[${i}]: ${t.data[i]} ≠ ${w.data[i]}`
        count++
      }
    }
  })
  return { count, first }
}

/** Inputs of the model's shapes, uniform in [−1, 1). */
export const randomInputs = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number): Tensor[] => {
  const next = uniformStream(seed)
  return shapes.map((s) => {
    const n = batch * sizeOf(s)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1
    return { shape: [batch, ...s], data }
  })
}

/**
 * Options of {@link randomParams}: the BatchNormalization statistics to draw.
 * - `plain`: gamma ∈ [0.5, 1.5), beta, mean ∈ [−0.5, 0.5), variance ∈ [0.2, 2);
 * - `hostile`: also negative gammas, about a quarter of the channels dead (variance 0 or 1e-9), and about
 *   a quarter with a large mean (±1000) and the beta that cancels it (`beta ≈ mean · s`).
 */
export type BnStats = 'plain' | 'hostile'

/**
 * Params for a model that exercise the rewrites: kernels He-uniform (±√(6 / fan-in), a depthwise
 * kernel's fan-in is its window), biases in ±0.1, BatchNormalization statistics as `stats` says, every
 * other weight as the model's own `init` gives it.
 */
export const randomParams = (compiled: CompiledModel, seed: number, stats: BnStats = 'plain'): Tensor[] => {
  const params = compiled.init(seed).map((t) => ({ shape: t.shape, data: Float32Array.from(t.data) }))
  const g = ok(lowerModel(compiled.model, compiled.inputShapes, 'float32', { family: true }))
  const next = uniformStream(seed + 7)
  const u = (lo: number, hi: number): number => lo + (hi - lo) * next()
  const fill = (index: number, f: (i: number) => number): void => {
    const t = params[index] as { readonly data: Float32Array }
    for (let i = 0; i < t.data.length; i++) t.data[i] = f(i)
  }
  const indexOf = (n: Node, k: number): number | undefined => {
    const e = n.weights[k]
    return e?.kind === 'param' ? e.index : undefined
  }
  for (const n of g.nodes) {
    const cls = n.spec.className
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D' || cls === 'Dense') {
      const k = indexOf(n, 0)
      if (k === undefined) continue
      // the kernel as the node reads it (a Conv1D's `[k, C, F]` as `[1, k, C, F]`)
      const shape = n.weights[0]?.kind === 'param' ? n.weights[0].shape : (params[k] as Tensor).shape
      const fanIn = cls === 'DepthwiseConv2D' ? (shape[0] as number) * (shape[1] as number) : sizeOf(shape.slice(0, -1))
      const r = Math.sqrt(6 / fanIn)
      fill(k, () => u(-r, r))
      const b = (n.spec as { readonly useBias?: boolean }).useBias === true ? indexOf(n, 1) : undefined
      if (b !== undefined) fill(b, () => u(-0.1, 0.1))
    } else if (cls === 'BatchNormalization') {
      const spec = n.spec as BatchNormalizationSpec
      let w = 0
      const gamma = spec.scale ? indexOf(n, w++) : undefined
      const beta = spec.center ? indexOf(n, w++) : undefined
      const mean = indexOf(n, w++) as number
      const variance = indexOf(n, w++) as number
      const channels = (params[mean] as Tensor).data.length
      const kind = Array.from({ length: channels }, () => (stats === 'plain' ? 0 : Math.floor(u(0, 4))))
      const gammas = Array.from({ length: channels }, () => (stats === 'hostile' && u(0, 1) < 0.3 ? -u(0.5, 1.5) : u(0.5, 1.5)))
      const means = kind.map((c) => (c === 2 ? (u(0, 1) < 0.5 ? -1000 : 1000) * u(0.9, 1.1) : u(-0.5, 0.5)))
      const variances = kind.map((c) => (c === 1 ? (u(0, 1) < 0.5 ? 0 : 1e-9) : u(0.2, 2)))
      fill(variance, (c) => variances[c] as number)
      fill(mean, (c) => means[c] as number)
      if (gamma !== undefined) fill(gamma, (c) => gammas[c] as number)
      if (beta !== undefined) {
        fill(beta, (c) => {
          if (kind[c] !== 2) return u(-0.5, 0.5)
          // the beta that cancels mean · s, up to a small offset: the output stays of order 1
          const s = (gamma === undefined ? 1 : Math.fround(gammas[c] as number)) / Math.sqrt(Math.fround(variances[c] as number) + spec.epsilon)
          return Math.fround(means[c] as number) * s + u(-0.5, 0.5)
        })
      }
    }
  }
  return params
}

// -------------------------------------------------------------------------------------
// the compiler with the reference kernels only
// -------------------------------------------------------------------------------------

const VIEW: StepKernel = { name: 'view', packedFloats: 0, pack: () => undefined, scratchFloats: () => 0, inPlace: true, run: () => undefined }

/** A model compiled with the given passes (in their own order) and the reference kernel for every step. */
export interface ReferenceCompiled {
  readonly graph: Graph
  readonly rewrites: ReadonlyArray<Rewrite>
  readonly forward: (params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
}

/**
 * The compiler's pipeline (lower as the compiler does, the convolution family onto its nodes → the
 * selected passes → executor with its memory plan) with the
 * reference kernel on every step: what the rewrites alone do to the interpreter's arithmetic, whatever
 * fast kernels the kernel families hold.
 */
export const referenceCompiled = (
  model: ModelSpec,
  rewrites: ReadonlyArray<string>,
  dtype: FloatDType,
  inputShapes?: ReadonlyArray<ReadonlyArray<number>>
): ReferenceCompiled => {
  let g = ok(lowerModel(model, inputShapes, dtype, { family: true }))
  const fired: Rewrite[] = []
  for (const pass of PASSES) {
    if (!rewrites.includes(pass.name)) continue
    const r = pass.run(g)
    g = r.graph
    fired.push(...r.rewrites)
  }
  return { graph: g, rewrites: fired, forward: referenceForward(g) }
}

/** A graph's forward with the reference kernel on every step (and the executor's memory plan). */
export const referenceForward = (graph: Graph): ReferenceCompiled['forward'] =>
  makeExecutor({ graph, kernels: graph.nodes.map((n) => (n.kind === 'alias' || n.kind === 'identity' ? VIEW : referenceKernel(n, graph))) }).forward

/** Every pass's name. */
export const ALL_REWRITES: ReadonlyArray<string> = PASSES.map((p) => p.name)

// -------------------------------------------------------------------------------------
// step by step: each fused step against the float64 values of the chain it replaced
// -------------------------------------------------------------------------------------

/** Runs one node's reference kernel on its own arena: inputs and `add` operands given, the output returned. */
const runStep = (
  node: Node,
  graph: Graph,
  weights: ReadonlyArray<Tensor>,
  inputs: ReadonlyArray<FloatArray>,
  operands: ReadonlyArray<FloatArray>,
  batch: number
): FloatArray => {
  const outSize = batch * (graph.values[node.output] as Value).size
  const total = [...inputs, ...operands].reduce((a, d) => a + d.length, 0) + outSize
  const buf = allocate(graph.dtype, total)
  let at = 0
  const place = (d: FloatArray): number => {
    const start = at
    buf.set(d, at)
    at += d.length
    return start
  }
  const io: StepIO = { inputs: inputs.map(place), operands: operands.map(place), output: at, weights: -1, scratch: -1 }
  const arena: Arena = { dtype: graph.dtype, view: () => buf, memory: undefined }
  referenceKernel(node, graph).run(arena, batch, io, weights)
  return buf.slice(at, at + outSize)
}

/** Every value of a graph, run step by step with the reference kernels (no memory reuse). */
export const allValues = (graph: Graph, params: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>): ReadonlyMap<ValueId, FloatArray> => {
  const batch = (inputs[0] as Tensor).shape[0] as number
  const values = new Map<ValueId, FloatArray>()
  graph.inputs.forEach((v, i) => values.set(v, Float64Array.from((inputs[i] as Tensor).data)))
  for (const n of graph.nodes) {
    if (n.kind === 'alias' || n.kind === 'identity') {
      values.set(n.output, values.get(n.inputs[0] as number) as FloatArray)
      continue
    }
    const weights = n.weights.map((e) => evaluateExpr(e, params, graph.dtype))
    const operands = n.epilogue.stages.flatMap((s) => (s.kind === 'add' ? [values.get(s.value) as FloatArray] : []))
    values.set(n.output, runStep(n, graph, weights, n.inputs.map((v) => values.get(v) as FloatArray), operands, batch))
  }
  return values
}

/**
 * For each value of a rewritten graph, the value of the original (lowered) graph it holds: a node that
 * absorbed later nodes (notes `fold-batch-norm(bn)`, `fuse-activation(relu)`, `fuse-residual-add(add)`, in
 * order) writes what the last of them wrote; a padding folded into a convolution (`fold-padding`) is an
 * earlier node, and changes nothing here.
 */
export const meaningOf = (rewritten: Graph, original: Graph): ReadonlyMap<ValueId, ValueId> => {
  const byName = new Map(original.nodes.map((n) => [n.name, n] as const))
  const meaning = new Map<ValueId, ValueId>()
  rewritten.inputs.forEach((v) => meaning.set(v, v))
  for (const n of rewritten.nodes) {
    const absorbed = n.notes.filter((s) => !s.startsWith('fold-padding(')).map((s) => s.slice(s.indexOf('(') + 1, -1))
    const last = absorbed[absorbed.length - 1]
    meaning.set(n.output, last === undefined ? n.output : (byName.get(last) as Node).output)
  }
  return meaning
}

/**
 * One fused step's errors against the float64 values of what it replaced (see {@link stepErrors}): the
 * larger of its linear part's error (the folded arithmetic and its adds, activations left out on both
 * sides) and, where its activations are continuous, the whole step's error.
 */
export interface StepError {
  readonly node: string
  /** float32, in units of eps32 · M (M = Σ|w'||x| + |b'| + Σ|operands|, the step's own scale; + |y| for the whole step). */
  readonly ratio32: number
  /** float64, in units of eps64 · (M + M_chain) (M_chain: the same scale of the unfolded chain; + |y| for the whole step). */
  readonly ratio64: number
}

const absData = (d: ArrayLike<number>): Float64Array => {
  const out = new Float64Array(d.length)
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(d[i] as number)
  return out
}
const absTensor = (t: Tensor): Tensor => ({ shape: t.shape, data: absData(t.data) })
const addOperands = (m: Node): ValueId[] => m.epilogue.stages.flatMap((s) => (s.kind === 'add' ? [s.value] : []))
/** A node without its activation stages (they never amplify an error: left out of a magnitude). */
const linearPart = (m: Node): Node => ({ ...m, epilogue: { stages: m.epilogue.stages.filter((s) => s.kind === 'add') } })

/**
 * The largest value of `m` (per-sample shape `shape`, rank 3, batch-major) over each element's 3×3 spatial
 * neighbourhood, channel by channel: a convolution's float32 kernels include Winograd F(2×2, 3×3), whose
 * transforms mix the 4×4 input tile of an output's 2×2 tile, so an output's rounding error scales with
 * the magnitudes of its tile's outputs, not its own alone (measured: 56·eps32 of an output's own scale
 * where a dead channel's large values sat next to zeros, ≤ 8 with the neighbourhood).
 */
const neighbourhoodMax = (m: FloatArray, batch: number, shape: ReadonlyArray<number>, channelsFirst: boolean): Float64Array => {
  const [a, b, c] = shape as [number, number, number]
  const [H, W, C] = channelsFirst ? [b, c, a] : [a, b, c]
  const at = (n: number, i: number, j: number, k: number): number => (channelsFirst ? ((n * C + k) * H + i) * W + j : ((n * H + i) * W + j) * C + k)
  const out = new Float64Array(m.length)
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let k = 0; k < C; k++) {
          let v = 0
          for (let di = Math.max(0, i - 1); di <= Math.min(H - 1, i + 1); di++)
            for (let dj = Math.max(0, j - 1); dj <= Math.min(W - 1, j + 1); dj++) v = Math.max(v, Math.abs(m[at(n, di, dj, k)] as number))
          out[at(n, i, j, k)] = v
        }
  return out
}

/** The largest |a − b| / (eps · scale) over two results (equal values, NaN included, count 0). */
const worstRatio = (got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, eps: number): number => {
  let ratio = 0
  for (let i = 0; i < got.length; i++) {
    const a = got[i] as number
    const b = want[i] as number
    if (Object.is(a, b)) continue
    const r = Math.abs(a - b) / (eps * Math.abs(scale[i] as number))
    if (!(r <= ratio)) ratio = r
  }
  return ratio
}

/**
 * Each step of `model` compiled with every rewrite that `which` selects, run in float32 and in float64 on
 * the float64 interpreter's values of its inputs (rounded to the dtype), and compared per output element
 * with the float64 interpreter's value of the chain it replaced (conv → BN → ReLU6 …):
 * - in float32 in units of `eps32 · M`, `M` the step's own forward-error scale — the step run in float64 on
 *   |inputs| with |weights| (the folded ones: |w·s|, |(b − mean)·s + beta|), its `add` stages adding
 *   |operands|, its activations left out: the notes' §6.4 tolerance `c · eps32 · (Σ|w'||x| + |b'|)`; the
 *   float64 reference's own error is far below it;
 * - in float64 in units of `eps64 · (M + M_chain)`: both sides now round alike, and the reference's own
 *   terms count too, `M_chain` being the same scale of the original chain (`|s|·(Σ|w||x| + |b|) + |mean·s| +
 *   |beta|` for a BatchNormalization: a large mean that beta cancels is a large term of the reference).
 * Both on the linear part (activations left out of step and chain alike: they are the same functions on
 * both sides, checked bit for bit by the exact rewrites) and on the whole step where its activations are
 * continuous (a ReLU with a threshold jumps there: a rounding of its input may move its output by the
 * threshold), with `|y|` added to the scale for the activation's own rounding (the ReLU family and the
 * squashing functions are 1-Lipschitz, so they never amplify the error of their input).
 */
export const stepErrors = (
  model: ModelSpec,
  params: ReadonlyArray<Tensor>,
  inputs: ReadonlyArray<Tensor>,
  which: (n: Node) => boolean,
  inputShapes?: ReadonlyArray<ReadonlyArray<number>>
): ReadonlyArray<StepError> => {
  const original = ok(lowerModel(model, inputShapes, 'float64', { family: true }))
  const byName = new Map(original.nodes.map((n) => [n.name, n] as const))
  const p64 = params.map(toF64)
  const ref = allValues(original, p64, inputs.map(toF64))
  const g32 = referenceCompiled(model, ALL_REWRITES, 'float32', inputShapes).graph
  const g64 = referenceCompiled(model, ALL_REWRITES, 'float64', inputShapes).graph
  const meaning = meaningOf(g64, original)
  const batch = (inputs[0] as Tensor).shape[0] as number
  const refOf = (v: ValueId): FloatArray => ref.get(meaning.get(v) as ValueId) as FloatArray
  // |params| with the means a normalization subtracts negated: x·s − mean·s + beta → |x||s| + |mean||s| + |beta|
  const magParams = p64.map(absTensor)
  for (const n of original.nodes) {
    if (n.spec.className !== 'BatchNormalization') continue
    const spec = n.spec as BatchNormalizationSpec
    const e = n.weights[(spec.scale ? 1 : 0) + (spec.center ? 1 : 0)]
    if (e?.kind === 'param') magParams[e.index] = { shape: (p64[e.index] as Tensor).shape, data: absData((p64[e.index] as Tensor).data).map((x) => -x) }
  }
  return g64.nodes.filter(which).map((n64) => {
    const n32 = g32.nodes.find((x) => x.id === n64.id) as Node
    const ins = n64.inputs.map(refOf)
    const ops = addOperands(n64).map(refOf)
    const want = refOf(n64.output)
    const y32 = runStep(n32, g32, n32.weights.map((e) => evaluateExpr(e, params, 'float32')), ins.map((d) => Float32Array.from(d)), ops.map((d) => Float32Array.from(d)), batch)
    const y64 = runStep(n64, g64, n64.weights.map((e) => evaluateExpr(e, p64, 'float64')), ins, ops, batch)
    const own = runStep(linearPart(n64), g64, n64.weights.map((e) => absTensor(evaluateExpr(e, p64, 'float64'))), ins.map(absData), ops.map(absData), batch)
    const outShape = (g64.values[n64.output] as Value).shape
    const scale = n64.kind === 'conv' && outShape.length === 3 ? neighbourhoodMax(own, batch, outShape, (n64.spec as { readonly dataFormat?: string }).dataFormat === 'channels_first') : own
    // the original chain: the original node, then each node it absorbed, in order; run in float64 on
    // magnitudes (the unfolded chain's scale) and without its activations (the linear part's reference)
    const chain = [original.nodes.find((x) => x.id === n64.id) as Node, ...n64.notes.filter((s) => !s.startsWith('fold-padding(')).map((s) => byName.get(s.slice(s.indexOf('(') + 1, -1)) as Node)]
    const mag = new Map<ValueId, FloatArray>()
    const lin = new Map<ValueId, FloatArray>()
    const magOf = (v: ValueId): FloatArray => mag.get(v) ?? absData(ref.get(v) as FloatArray)
    const linOf = (v: ValueId): FloatArray => lin.get(v) ?? (ref.get(v) as FloatArray)
    for (const c of chain) {
      if (c.kind === 'unary' || c.kind === 'identity' || c.kind === 'alias') {
        mag.set(c.output, magOf(c.inputs[0] as ValueId))
        lin.set(c.output, linOf(c.inputs[0] as ValueId))
        continue
      }
      mag.set(c.output, absData(runStep(linearPart(c), original, c.weights.map((e) => evaluateExpr(e, magParams, 'float64')), c.inputs.map(magOf), addOperands(c).map(magOf), batch)))
      lin.set(c.output, runStep(linearPart(c), original, c.weights.map((e) => evaluateExpr(e, p64, 'float64')), c.inputs.map(linOf), addOperands(c).map(linOf), batch))
    }
    const last = (chain[chain.length - 1] as Node).output
    const chainOwn = magOf(last)
    const chainScale = n64.kind === 'conv' && outShape.length === 3 ? neighbourhoodMax(chainOwn, batch, outShape, (n64.spec as { readonly dataFormat?: string }).dataFormat === 'channels_first') : chainOwn
    const scale64 = scale.map((m, i) => Math.abs(m) + (chainScale[i] as number))
    // the linear parts (the folded arithmetic and its adds), and the whole step where its activations are continuous
    const w32 = n32.weights.map((e) => evaluateExpr(e, params, 'float32'))
    const w64 = n64.weights.map((e) => evaluateExpr(e, p64, 'float64'))
    const lin32 = runStep(linearPart(n32), g32, w32, ins.map((d) => Float32Array.from(d)), ops.map((d) => Float32Array.from(d)), batch)
    const lin64 = runStep(linearPart(n64), g64, w64, ins, ops, batch)
    const continuous = n64.epilogue.stages.every((st) => st.kind === 'add' || st.fn.kind !== 'relu' || st.fn.threshold === 0)
    // an activation adds its own rounding, eps · |f(y)| (sigmoid(0) = 0.5 whatever the scale of y)
    const full32 = scale.map((m, i) => Math.abs(m) + Math.abs(want[i] as number))
    const full64 = scale64.map((m, i) => m + Math.abs(want[i] as number))
    return {
      node: n64.name,
      ratio32: Math.max(worstRatio(lin32, linOf(last), scale, EPS32), continuous ? worstRatio(y32, want, full32, EPS32) : 0),
      ratio64: Math.max(worstRatio(lin64, linOf(last), scale64, EPS64), continuous ? worstRatio(y64, want, full64, EPS64) : 0)
    }
  })
}

/** Whether a node of a rewritten graph had a BatchNormalization folded into it. */
export const hasFoldedBatchNorm = (n: Node): boolean => n.notes.some((s) => s.startsWith('fold-batch-norm('))

// -------------------------------------------------------------------------------------
// reports
// -------------------------------------------------------------------------------------

/** max |got − want| / max |want| over every output (the absolute error when every value wanted is 0). */
export const relativeToMax = (got: ReadonlyArray<Tensor>, want: ReadonlyArray<Tensor>): number => {
  let worst = 0
  let scale = 0
  got.forEach((t, o) => {
    const w = (want[o] as Tensor).data
    for (let i = 0; i < t.data.length; i++) {
      worst = Math.max(worst, Math.abs((t.data[i] as number) - (w[i] as number)))
      scale = Math.max(scale, Math.abs(w[i] as number))
    }
  })
  return worst === 0 ? 0 : scale === 0 ? worst : worst / scale
}

/** Which passes fired how often. */
export const firedCounts = (rewrites: ReadonlyArray<Rewrite>): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  for (const r of rewrites) counts.set(r.pass, (counts.get(r.pass) ?? 0) + 1)
  return counts
}

export const showFired = (rewrites: ReadonlyArray<Rewrite>): string => [...firedCounts(rewrites)].map(([p, n]) => `${p} ×${n}`).join(', ') || 'nothing'

/** Non-finite classes of two results agree (NaN with NaN, +∞ with +∞, −∞ with −∞) at every position. */
export const nonFiniteDiff = (got: ReadonlyArray<Tensor>, want: ReadonlyArray<Tensor>): number => {
  const cls = (x: number): string => (Number.isNaN(x) ? 'nan' : x === Infinity ? '+inf' : x === -Infinity ? '-inf' : 'finite')
  let count = 0
  got.forEach((t, o) => {
    const w = (want[o] as Tensor).data
    for (let i = 0; i < t.data.length; i++) if (cls(t.data[i] as number) !== cls(w[i] as number)) count++
  })
  return count
}
