/**
 * Test harness of the plain-TypeScript kernel families (spec/compiler/ts-kernels.spec.ts,
 * properties/compiler-kernels.prop.ts): a one-node graph lowered from a Keras model (the layer on
 * inputs of the case's shapes), an epilogue the case asks for (its residual operands as extra values),
 * random data with NaN, ±∞ and ±0 mixed in, and a runner that calls a kernel directly on an arena it
 * builds:
 *
 *   [ guard | packed weights | guard | input 0 | guard | … | operands … | guard | output | guard | scratch | guard ]
 *
 * filled with a poison value before the call (NaN, then ±∞ or random garbage on a second call): the
 * output must not depend on it (every output value written, no state read), and every byte outside the
 * output and the scratch must be unchanged afterwards (inputs, operands and packed weights never
 * written, nothing written past the output).
 */
import * as E from 'fp-ts/lib/Either.js'
import { viewedGraph, type Graph, type Node, type Stage, type Value } from '../../src/compiler/Graph.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { lowerModel } from '../../src/compiler/lower.js'
import type { Arena, KernelChoice, KernelFactory, StepIO, StepKernel } from '../../src/compiler/StepKernel.js'
import type { Unary } from '../../src/compiler/Unary.js'
import { evaluateExpr, exprShape } from '../../src/compiler/WeightExpr.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { apply, functional, input, type LayerJson } from '../../src/model/builder.js'
import { allocate, type FloatArray, type FloatDType } from '../../src/numerics/FloatArray.js'
import { uniformStream } from '../../src/numerics/random.js'

// -------------------------------------------------------------------------------------
// graphs
// -------------------------------------------------------------------------------------

/** A graph holding one call of `layer` on inputs of the given per-sample shapes, and that call's node. */
export const oneNode = (layer: LayerJson, shapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): { readonly graph: Graph; readonly node: Node } => {
  const xs = shapes.map((s, i) => input(s, { name: `in${i}` }))
  const model = functional({ inputs: xs, outputs: [apply({ ...layer, config: { ...layer.config, dtype } }, xs.length === 1 ? (xs[0] as ReturnType<typeof input>) : xs)] })
  if (E.isLeft(model)) throw new Error(`model: ${model.left.map((e) => `${e.path}: ${e.message}`).join('; ')}`)
  // lowered as the compiler lowers (the convolution family and the 1-D layers onto their nodes)
  const g = lowerModel(model.right, shapes, dtype, { family: true })
  if (E.isLeft(g)) throw new Error(`lower: ${g.left.map((e) => `${e.path}: ${e.message}`).join('; ')}`)
  const node = g.right.nodes.find((n) => n.kind !== 'alias' && n.kind !== 'identity')
  if (node === undefined) throw new Error('no node')
  return { graph: g.right, node }
}

/** Epilogue stages a case can ask for. */
export type StageName = 'add' | 'relu' | 'relu6' | 'clamp' | 'leaky' | 'kerasRelu' | 'kerasRelu6' | 'kerasReluPlain' | 'tanh' | 'sigmoid' | 'gelu' | 'softmax' | 'logSoftmax'

export const STAGE_NAMES: ReadonlyArray<StageName> = ['add', 'relu', 'relu6', 'clamp', 'leaky', 'kerasRelu', 'kerasRelu6', 'kerasReluPlain', 'tanh', 'sigmoid', 'gelu', 'softmax', 'logSoftmax']

/** The elementwise stages (no row-wise activation). */
export const ELEMENTWISE_STAGES: ReadonlyArray<StageName> = STAGE_NAMES.filter((s) => s !== 'softmax' && s !== 'logSoftmax')

export const unaryOf = (s: Exclude<StageName, 'add'>): Unary => {
  switch (s) {
    case 'relu':
      return { kind: 'clamp', lo: 0, hi: Infinity }
    case 'relu6':
      return { kind: 'clamp', lo: 0, hi: 6 }
    case 'clamp':
      return { kind: 'clamp', lo: -0.5, hi: 0.25 }
    case 'leaky':
      return { kind: 'leaky', slope: 0.3 }
    case 'kerasRelu':
      return { kind: 'relu', negativeSlope: 0.1, maxValue: 0.75, threshold: 0.2 }
    case 'kerasRelu6':
      return { kind: 'relu', negativeSlope: 0, maxValue: 6, threshold: 0 }
    case 'kerasReluPlain':
      return { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 }
    case 'tanh':
      return { kind: 'activation', name: 'tanh', dialect: 'keras3' }
    case 'sigmoid':
      return { kind: 'activation', name: 'sigmoid', dialect: 'keras3' }
    case 'gelu':
      return { kind: 'activation', name: 'gelu', dialect: 'keras3' }
    case 'softmax':
      return { kind: 'activation', name: 'softmax', dialect: 'keras3' }
    case 'logSoftmax':
      return { kind: 'activation', name: 'log_softmax', dialect: 'keras3' }
  }
}

/** The graph and node with the node's epilogue extended by `stages` (each `add` reading a new value of the output's shape). */
export const withStages = (graph: Graph, node: Node, stages: ReadonlyArray<StageName>): { readonly graph: Graph; readonly node: Node } => {
  const values: Value[] = [...graph.values]
  const out = graph.values[node.output] as Value
  const extra: Stage[] = stages.map((s) => {
    if (s !== 'add') return { kind: 'unary', fn: unaryOf(s) }
    const id = values.length
    values.push({ id, shape: out.shape, size: out.size })
    return { kind: 'add', value: id }
  })
  return { graph: { ...graph, values }, node: { ...node, epilogue: { stages: [...node.epilogue.stages, ...extra] } } }
}

// -------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0] as const

/**
 * `n` values uniform in [−scale, scale), a share `special` of them (0 to 1) replaced by NaN, ±∞, +0 or −0.
 */
export const randomData = (dtype: FloatDType, n: number, seed: number, special: number, scale = 2): FloatArray => {
  const next = uniformStream(seed)
  const out = allocate(dtype, n)
  for (let i = 0; i < n; i++) {
    const u = next()
    out[i] = u < special ? (SPECIALS[Math.floor(next() * SPECIALS.length) % SPECIALS.length] as number) : (next() * 2 - 1) * scale
  }
  return out
}

/** Random params for a node's weight expressions (index → tensor), `positive` params drawn in [0.1, 2). */
export const randomWeights = (node: Node, dtype: FloatDType, seed: number, special = 0, positive: ReadonlySet<number> = new Set()): ReadonlyArray<Tensor> => {
  const params: Tensor[] = []
  node.weights.forEach((e, k) => {
    if (e.kind !== 'param') return
    const shape = exprShape(e)
    const n = shape.reduce((a, b) => a * b, 1)
    const data = randomData(dtype, n, seed * 31 + k, positive.has(k) ? 0 : special, 1)
    if (positive.has(k)) for (let i = 0; i < n; i++) data[i] = 0.1 + Math.abs(data[i] as number) * 1.9
    params[e.index] = { shape, data }
  })
  return node.weights.map((e) => evaluateExpr(e, params, dtype))
}

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

export const CHOICE = (dtype: FloatDType, backend: KernelChoice['backend'] = 'auto'): KernelChoice => ({ dtype, backend, threads: 1, memory: () => undefined })

const GUARD = 16
const align = (n: number): number => Math.ceil(n / 16) * 16

/** What a kernel wrote, and where it wrote what it must not have. */
export interface RunResult {
  readonly output: FloatArray
  /** Indices of the arena outside the output and scratch that changed (at most 5 listed). */
  readonly trespass: ReadonlyArray<number>
}

/**
 * Runs `kernel` for node `node` on an arena built for the call, every float first set to `poison`;
 * `inPlace`: the output at input 0's offset (for kernels that declare it).
 */
export const runKernel = (
  kernel: StepKernel,
  graph: Graph,
  node: Node,
  batch: number,
  inputs: ReadonlyArray<FloatArray>,
  operands: ReadonlyArray<FloatArray>,
  weights: ReadonlyArray<Tensor>,
  poison: number | ((i: number) => number),
  inPlace = false
): RunResult => {
  const dtype = graph.dtype
  const outSize = batch * (graph.values[node.output] as Value).size
  let at = GUARD
  const take = (n: number): number => {
    const o = at
    at = align(at + n) + GUARD
    return o
  }
  const packed = kernel.packedFloats > 0 ? take(kernel.packedFloats) : -1
  const ins = inputs.map((x) => take(x.length))
  const ops = operands.map((x) => take(x.length))
  const output = inPlace ? (ins[0] as number) : take(outSize)
  const scratchFloats = kernel.scratchFloats(batch)
  const scratch = scratchFloats > 0 ? take(scratchFloats) : -1
  const view = allocate(dtype, at)
  for (let i = 0; i < view.length; i++) view[i] = typeof poison === 'number' ? poison : poison(i)
  if (packed >= 0) kernel.pack(weights, view, packed)
  inputs.forEach((x, i) => view.set(x, ins[i] as number))
  operands.forEach((x, i) => view.set(x, ops[i] as number))
  const before = view.slice()
  const arena: Arena = { dtype, view: () => view, memory: undefined }
  const io: StepIO = { inputs: ins, output, operands: ops, weights: packed, scratch }
  kernel.run(arena, batch, io, weights)
  const trespass: number[] = []
  for (let i = 0; i < view.length && trespass.length < 5; i++) {
    const inOutput = i >= output && i < output + outSize
    const inScratch = scratch >= 0 && i >= scratch && i < scratch + scratchFloats
    if (!inOutput && !inScratch && !Object.is(view[i], before[i])) trespass.push(i)
  }
  return { output: view.slice(output, output + outSize), trespass }
}

/** Poisons: NaN, then +∞, then pseudo-random garbage. */
export const POISONS: ReadonlyArray<number | ((i: number) => number)> = [NaN, Infinity, (i) => ((i * 2654435761) % 1000) / 7 - 70]

/** Where two outputs differ as values (`Object.is`: NaN equals NaN, −0 differs from +0): count and first. */
export const bitDiff = (got: FloatArray, want: FloatArray): { readonly count: number; readonly first: string } => {
  if (got.length !== want.length) return { count: Infinity, first: `length ${got.length} ≠ ${want.length}` }
  let count = 0
  let first = ''
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) {
      if (count === 0) first = `[${i}]: ${got[i]} ≠ ${want[i]}`
      count++
    }
  }
  return { count, first }
}

/** The outcome of one case: the kernel's name and its disagreements with the reference. */
export interface Comparison {
  readonly name: string
  readonly diff: { readonly count: number; readonly first: string }
  readonly trespass: ReadonlyArray<number>
  readonly got: FloatArray
  readonly want: FloatArray
}

/**
 * Runs `family`'s kernel and the reference kernel for the node on the same data, the fast kernel
 * once per poison (and in place when it declares it): every run's output must equal the first's, and
 * is compared with the reference's.
 */
export const compareWithReference = (
  family: KernelFactory,
  graph: Graph,
  node: Node,
  batch: number,
  seed: number,
  special: number,
  choice: KernelChoice = CHOICE(graph.dtype),
  positiveWeights: ReadonlySet<number> = new Set(),
  given: { readonly inputs?: ReadonlyArray<FloatArray>; readonly weights?: ReadonlyArray<Tensor> } = {}
): Comparison | undefined => {
  // as the compiler hands it: the node's values in the shapes of its view (a rank-1 layer as its 2-D self)
  const kernel = family(node, viewedGraph(graph, node), choice)
  if (kernel === undefined) return undefined
  const dtype = graph.dtype
  const size = (v: number): number => batch * (graph.values[v] as Value).size
  const inputs = given.inputs ?? node.inputs.map((v, i) => randomData(dtype, size(v), seed * 7 + i, special))
  const operands = node.epilogue.stages.flatMap((s, i) => (s.kind === 'add' ? [randomData(dtype, size(s.value), seed * 13 + i, special)] : []))
  const weights = given.weights ?? randomWeights(node, dtype, seed, special / 4, positiveWeights)
  const want = runKernel(referenceKernel(node, graph), graph, node, batch, inputs, operands, weights, NaN)
  let got: RunResult | undefined
  let worst = { count: 0, first: '' }
  const trespass: number[] = []
  const runs = [...POISONS.map((p) => [p, false] as const), ...(kernel.inPlace && node.inputs.length >= 1 && size(node.inputs[0] as number) === size(node.output) ? [[NaN, true] as const] : [])]
  for (const [poison, inPlace] of runs) {
    const r = runKernel(kernel, graph, node, batch, inputs, operands, weights, poison, inPlace)
    trespass.push(...(inPlace ? [] : r.trespass))
    if (got === undefined) got = r
    else {
      const d = bitDiff(r.output, got.output)
      if (d.count > 0) worst = { count: d.count, first: `a run (poison ${String(typeof poison === 'number' ? poison : 'garbage')}${inPlace ? ', in place' : ''}) differs from the first: ${d.first}` }
    }
  }
  const g = (got as RunResult).output
  const diff = worst.count > 0 ? worst : bitDiff(g, want.output)
  return { name: kernel.name, diff, trespass, got: g, want: want.output }
}
