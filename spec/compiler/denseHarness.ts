/**
 * Test harness of the wasm Dense kernels (spec/compiler/wasm-dense.spec.ts, properties/compiler-dense.prop.ts):
 * a one-node graph (a Dense layer lowered from a Keras model, with the epilogue a case asks for and
 * its residual operands as extra graph inputs), run by the wasm kernel on a NaN-poisoned WebAssembly
 * memory, by the reference kernel on a plain arena, and by a float64 oracle.
 *
 * Tolerance: float32 sums in another order than the reference's float64 ones. For an output whose
 * exact pre-epilogue value is `b + Σ x·w`, recursive float32 summation (products rounded too) is
 * within `(K + 2) · 2⁻²⁴ · S` of it, `S = |b| + Σ |x·w|`; the epilogues tested are 1-Lipschitz (adds,
 * clamps, ReLUs, leaky slopes ≤ 1, sigmoid) and round once more per stage, a residual add relative
 * to its operands (which may cancel), so the bound used is
 * `(K + 2) · 2⁻²⁴ · S + 4 · (stages + 2) · 2⁻²⁴ · (M + |expected|)` with `M = S + Σ |residuals|`
 * (plus 1e-30 for zeros). A wrong or missing term is of the order of `S / K`, far above it. Non-finite expected values must be matched
 * exactly (NaN for NaN, ∞ of the same sign).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../../src/core/Tensor.js'
import type { Graph, Node, Stage } from '../../src/compiler/Graph.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { wasmDenseKernel, type WasmDenseOptions } from '../../src/compiler/kernels/wasm-dense.js'
import { packedDenseFloats } from '../../src/compiler/kernels/wasm/denseCode.js'
import { lowerModel } from '../../src/compiler/lower.js'
import type { Arena, KernelChoice, StepIO, StepKernel } from '../../src/compiler/StepKernel.js'
import { applyUnary, type Unary } from '../../src/compiler/Unary.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { sequential, type LayerJson } from '../../src/model/builder.js'

/** Epilogue stages a case can ask for. */
export type StageName = 'add' | 'relu' | 'relu6' | 'leaky' | 'leaky32' | 'sigmoid' | 'clamp' | 'kerasRelu6' | 'kerasRelu' | 'reluThreshold' | 'softmax'

export const STAGE_NAMES: ReadonlyArray<StageName> = ['add', 'relu', 'relu6', 'leaky', 'leaky32', 'sigmoid', 'clamp', 'kerasRelu6', 'kerasRelu', 'reluThreshold', 'softmax']

const unaryOf = (s: Exclude<StageName, 'add'>): Unary => {
  switch (s) {
    case 'relu':
      return { kind: 'clamp', lo: 0, hi: Infinity }
    case 'relu6':
      return { kind: 'clamp', lo: 0, hi: 6 }
    case 'clamp':
      return { kind: 'clamp', lo: -0.3, hi: 0.1 }
    case 'leaky':
      // 0.3 is not a float32 value: the fused product is computed in float64
      return { kind: 'leaky', slope: 0.3 }
    case 'leaky32':
      return { kind: 'leaky', slope: 0.25 }
    case 'kerasRelu6':
      return { kind: 'relu', negativeSlope: 0, maxValue: 6, threshold: 0 }
    case 'kerasRelu':
      return { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 }
    case 'reluThreshold':
      return { kind: 'relu', negativeSlope: 0.1, maxValue: 0.5, threshold: 0.2 }
    case 'sigmoid':
      return { kind: 'activation', name: 'sigmoid', dialect: 'keras3' }
    case 'softmax':
      return { kind: 'activation', name: 'softmax', dialect: 'keras3' }
  }
}

export interface DenseCase {
  /** Inputs per row. */
  readonly K: number
  readonly N: number
  /** Per-sample leading dims before the last axis (0-2 of them: ranks 2-4 with the batch). */
  readonly lead: ReadonlyArray<number>
  readonly batch: number
  readonly useBias: boolean
  readonly stages: ReadonlyArray<StageName>
  /** Keras 3 LoRA rank (null: none). */
  readonly loraRank?: number | null
  /** The layer's own activation left on the node (lowering moves it; `keepActivation` puts it back). */
  readonly keepActivation?: 'relu' | 'sigmoid'
}

export interface DenseGraph {
  readonly graph: Graph
  readonly node: Node
  /** Value ids of the residual operands, in stage order. */
  readonly residuals: ReadonlyArray<number>
  readonly rows: number
}

/** The one-node graph of a case (a lowered Keras Dense; its epilogue replaced by the case's stages). */
export const denseGraph = (c: DenseCase): DenseGraph => {
  const layer: LayerJson = {
    class_name: 'Dense',
    config: { name: 'dense', units: c.N, use_bias: c.useBias, activation: 'linear', ...(c.loraRank === undefined || c.loraRank === null ? {} : { lora_rank: c.loraRank }) }
  }
  const model = sequential([layer], { input_shape: [...c.lead, c.K] })
  if (E.isLeft(model)) throw new Error(model.left.map((e) => e.message).join('\n'))
  const lowered = lowerModel(model.right, undefined, 'float32')
  if (E.isLeft(lowered)) throw new Error(lowered.left.map((e) => e.message).join('\n'))
  const base = lowered.right
  const node0 = base.nodes[0] as Node
  const out = base.values[node0.output] as Graph['values'][number]
  const residuals: number[] = []
  const values = [...base.values]
  const stages: Stage[] = c.stages.map((s) => {
    if (s !== 'add') return { kind: 'unary', fn: unaryOf(s) }
    const id = values.length
    values.push({ id, shape: out.shape, size: out.size })
    residuals.push(id)
    return { kind: 'add', value: id }
  })
  const spec = c.keepActivation === undefined ? node0.spec : { ...node0.spec, activation: c.keepActivation }
  const node: Node = { ...node0, spec: spec as Node['spec'], epilogue: { stages } }
  const graph: Graph = { ...base, values, nodes: [node], inputs: [...base.inputs, ...residuals] }
  const rows = c.batch * c.lead.reduce((a, b) => a * b, 1)
  return { graph, node, residuals, rows }
}

/** A deterministic stream in [0, 1). */
export const stream = (seed: number): (() => number) => {
  let s = seed >>> 0 || 1
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** The data of a case: input rows, weights (kernel, bias, LoRA's A and B), residuals. */
export interface DenseData {
  readonly x: Float32Array
  readonly weights: ReadonlyArray<Tensor>
  readonly residuals: ReadonlyArray<Float32Array>
}

/** Random data; `nonFinite` plants NaN, +∞ and −∞ in the inputs (and one NaN in a residual). */
export const denseData = (c: DenseCase, g: DenseGraph, seed: number, nonFinite = false): DenseData => {
  const next = stream(seed)
  const r = (): number => next() * 2 - 1
  const x = Float32Array.from({ length: g.rows * c.K }, r)
  if (nonFinite && x.length > 0) {
    for (const v of [NaN, Infinity, -Infinity, Infinity]) x[Math.floor(next() * x.length)] = v
  }
  const kernel = Float32Array.from({ length: c.K * c.N }, r)
  const weights: Tensor[] = [{ shape: [c.K, c.N], data: kernel }]
  if (c.useBias) weights.push({ shape: [c.N], data: Float32Array.from({ length: c.N }, r) })
  const rank = c.loraRank ?? null
  if (rank !== null) {
    weights.push({ shape: [c.K, rank], data: Float32Array.from({ length: c.K * rank }, r) })
    weights.push({ shape: [rank, c.N], data: Float32Array.from({ length: rank * c.N }, r) })
  }
  const residuals = g.residuals.map(() => {
    const a = Float32Array.from({ length: g.rows * c.N }, r)
    if (nonFinite && a.length > 0) a[Math.floor(next() * a.length)] = NaN
    return a
  })
  return { x, weights, residuals }
}

/** A NaN with a payload no computation produces: what the arena holds before a run (and around the output after). */
export const POISON_BITS = 0x7fa5a5a5

export interface Layout {
  readonly weights: number
  readonly x: number
  readonly residuals: ReadonlyArray<number>
  readonly output: number
  readonly end: number
}

const align = (n: number): number => Math.ceil(n / 16) * 16

/** Where a case lives in an arena (floats): guard, packed weights, x, residuals, output, guard. */
export const layoutOf = (c: DenseCase, g: DenseGraph, packedFloats: number): Layout => {
  let at = 32
  const weights = at
  at = align(at + packedFloats) + 16
  const x = at
  at = align(at + g.rows * c.K) + 16
  const residuals = g.residuals.map(() => {
    const here = at
    at = align(at + g.rows * c.N) + 16
    return here
  })
  // an output not 16-aligned: the kernel must not depend on it
  const output = at + 3
  at = align(output + g.rows * c.N) + 64
  return { weights, x, residuals, output, end: at }
}

const ioOf = (L: Layout): StepIO => ({ inputs: [L.x], output: L.output, operands: L.residuals, weights: L.weights, scratch: -1 })

export interface WasmRun {
  readonly kernel: StepKernel
  readonly out: Float32Array
  /** The whole arena after the run (bits: for the guard checks). */
  readonly arena: Uint32Array
  readonly layout: Layout
}

/** Runs the wasm kernel of a case on a fresh memory filled with `fill` bits (poison by default). */
export const runWasm = (
  c: DenseCase,
  g: DenseGraph,
  d: DenseData,
  options: WasmDenseOptions = {},
  fill = POISON_BITS,
  threading?: { readonly threads: number; readonly split?: () => boolean; readonly calls?: number }
): WasmRun | undefined => {
  const wasm = wasmApi
  if (wasm === undefined) return undefined
  const layout = layoutOf(c, g, packedDenseFloats(c.K, c.N))
  const pages = Math.ceil((layout.end * 4) / 65536) + 1
  // threads: a shared memory, as a model compiled with threads computes in
  const memory = threading === undefined ? new wasm.Memory({ initial: pages, maximum: 65536 }) : new wasm.Memory({ initial: pages, maximum: 65536, shared: true })
  const choice: KernelChoice = {
    dtype: 'float32',
    backend: 'wasm',
    threads: threading?.threads ?? 1,
    memory: () => memory,
    ...(threading?.split === undefined ? {} : { split: threading.split })
  }
  const kernel = wasmDenseKernel(g.node, g.graph, choice, { warm: false, ...options })
  if (kernel === undefined) return undefined
  // earlier calls on the same arena (their results overwritten by the last, on fresh poison)
  for (let k = 1; k < (threading?.calls ?? 1); k++) {
    new Uint32Array(memory.buffer).fill(fill)
    const arena: Arena = { dtype: 'float32', memory, view: () => new Float32Array(memory.buffer) }
    const view = arena.view()
    kernel.pack(d.weights, view, layout.weights)
    view.set(d.x, layout.x)
    d.residuals.forEach((r, i) => view.set(r, layout.residuals[i] as number))
    kernel.run(arena, c.batch, ioOf(layout), d.weights)
  }
  new Uint32Array(memory.buffer).fill(fill)
  const arena: Arena = { dtype: 'float32', memory, view: () => new Float32Array(memory.buffer) }
  const view = arena.view()
  kernel.pack(d.weights, view, layout.weights)
  view.set(d.x, layout.x)
  d.residuals.forEach((r, i) => view.set(r, layout.residuals[i] as number))
  kernel.run(arena, c.batch, ioOf(layout), d.weights)
  const v = new Float32Array(memory.buffer)
  return { kernel, out: v.slice(layout.output, layout.output + g.rows * c.N), arena: new Uint32Array(memory.buffer.slice(0)), layout }
}

/** The reference kernel's output for a case (on a plain, zeroed arena). */
export const runReference = (c: DenseCase, g: DenseGraph, d: DenseData): Float32Array => {
  const kernel = referenceKernel(g.node, g.graph)
  const layout = layoutOf(c, g, 0)
  const data = new Float32Array(layout.end)
  const arena: Arena = { dtype: 'float32', memory: undefined, view: () => data }
  data.set(d.x, layout.x)
  d.residuals.forEach((r, i) => data.set(r, layout.residuals[i] as number))
  kernel.run(arena, c.batch, ioOf(layout), d.weights)
  return data.slice(layout.output, layout.output + g.rows * c.N)
}

/** The float64 oracle: its outputs, and each output's magnitudes `S = |b| + Σ |x·w|` and `M = S + Σ |residuals|`. */
export const oracle = (c: DenseCase, g: DenseGraph, d: DenseData): { readonly y: Float64Array; readonly S: Float64Array; readonly M: Float64Array } => {
  const { K, N } = c
  let kernel: ArrayLike<number> = (d.weights[0] as Tensor).data
  const bias = c.useBias ? (d.weights[1] as Tensor).data : undefined
  const rank = c.loraRank ?? null
  if (rank !== null) {
    // Keras 3: kernel + (alpha / rank) · A · B, alpha = rank
    const at = c.useBias ? 2 : 1
    const A = (d.weights[at] as Tensor).data
    const B = (d.weights[at + 1] as Tensor).data
    const merged = new Float64Array(K * N)
    for (let i = 0; i < K; i++) {
      for (let u = 0; u < N; u++) {
        let s = 0
        for (let k = 0; k < rank; k++) s += (A[i * rank + k] as number) * (B[k * N + u] as number)
        merged[i * N + u] = (kernel[i * N + u] as number) + s
      }
    }
    kernel = Float32Array.from(merged) // the layer merges in float64 and stores in the model's dtype
  }
  const y = new Float64Array(g.rows * N)
  const S = new Float64Array(g.rows * N)
  for (let r = 0; r < g.rows; r++) {
    for (let u = 0; u < N; u++) {
      let acc = bias === undefined ? 0 : (bias[u] as number)
      let mag = Math.abs(acc)
      for (let k = 0; k < K; k++) {
        const p = (d.x[r * K + k] as number) * (kernel[k * N + u] as number)
        acc += p
        mag += Math.abs(p)
      }
      y[r * N + u] = acc
      S[r * N + u] = mag
    }
  }
  const stages: ReadonlyArray<Stage> = [...(c.keepActivation === undefined ? [] : [{ kind: 'unary' as const, fn: unaryOf(c.keepActivation === 'relu' ? 'relu' : 'sigmoid') }]), ...g.node.epilogue.stages]
  const M = Float64Array.from(S)
  let k = 0
  for (const s of stages) {
    if (s.kind === 'add') {
      const res = d.residuals[k++] as Float32Array
      for (let i = 0; i < y.length; i++) {
        y[i] = (y[i] as number) + (res[i] as number)
        M[i] = (M[i] as number) + Math.abs(res[i] as number)
      }
    } else applyUnary(s.fn, y, 0, y.length, N)
  }
  return { y, S, M }
}

/** The tolerance of an output (see the header). */
export const tolerance = (c: DenseCase, S: number, M: number, expected: number): number =>
  (c.K + 2) * 2 ** -24 * S + 4 * (c.stages.length + 2) * 2 ** -24 * (M + Math.abs(expected)) + 1e-30

/**
 * The first disagreement of `got` with `want` (non-finite values exactly, finite ones within the
 * tolerance), as a message; `undefined` when they agree.
 */
export const disagreement = (
  c: DenseCase,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bounds: { readonly S: ArrayLike<number>; readonly M: ArrayLike<number> }
): string | undefined => {
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`
  for (let i = 0; i < want.length; i++) {
    const a = got[i] as number
    const b = want[i] as number
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) return `at ${i}: ${a} vs ${b}`
      continue
    }
    const s = bounds.S[i] as number
    const m = bounds.M[i] as number
    // a row with a non-finite input (or residual) has no finite error bound (clamps make its outputs finite)
    if (!Number.isFinite(m)) continue
    const tol = tolerance(c, s, m, b)
    if (!(Math.abs(a - b) <= tol)) return `at ${i}: ${a} vs ${b} (|Δ| ${Math.abs(a - b)} > ${tol})`
  }
  return undefined
}

/** Whether two float arrays are equal bit for bit, NaN payloads aside (the first difference, or undefined). */
export const bitDifference = (a: ArrayLike<number>, b: ArrayLike<number>): string | undefined => {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) return `at ${i}: ${x} vs ${y}`
  }
  return undefined
}

/** The first float outside the output (and the inputs and weights the run wrote) that lost its poison. */
export const poisonLost = (r: WasmRun, written: ReadonlyArray<readonly [number, number]>): string | undefined => {
  const inside = (i: number): boolean => written.some(([a, b]) => i >= a && i < b)
  for (let i = 0; i < r.layout.end + 64; i++) if (!inside(i) && r.arena[i] !== POISON_BITS) return `float ${i} overwritten`
  return undefined
}
