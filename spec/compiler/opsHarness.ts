/**
 * A harness for the non-GEMM wasm kernels (src/compiler/kernels/wasm-ops.ts): one node in a graph of
 * its own (its inputs, and one model input per fused `add` operand), run by a family's kernel and by
 * the reference kernel on arenas of the same layout whose every float not written as an input starts
 * as NaN (a poisoned arena: a kernel that reads memory it should not shows NaN where the reference has
 * none), then compared bit for bit (any NaN equal to any NaN) or within a tolerance, and the wasm
 * arena checked to be unchanged outside the output.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import type { Graph, Node, NodeKind, Stage } from '../../src/compiler/Graph.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import type { Arena, KernelChoice, KernelFactory, StepKernel } from '../../src/compiler/StepKernel.js'
import type { RangedStepKernel } from '../../src/compiler/kernels/wasm-ops.js'
import type { Unary } from '../../src/compiler/Unary.js'
import { param } from '../../src/compiler/WeightExpr.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import { findLayerKind } from '../../src/model/registry.js'
import { wasmApi, type WasmMemory } from '../../src/kernel/wasm/api.js'
import { right } from '../helpers.js'

const KIND: Readonly<Record<string, NodeKind>> = {
  MaxPooling2D: 'pool',
  AveragePooling2D: 'pool',
  GlobalAveragePooling2D: 'globalPool',
  GlobalMaxPooling2D: 'globalPool',
  BatchNormalization: 'batchNorm',
  Activation: 'unary',
  ReLU: 'unary',
  LeakyReLU: 'unary',
  Add: 'merge',
  Subtract: 'merge',
  Multiply: 'merge',
  Average: 'merge',
  Maximum: 'merge',
  Minimum: 'merge',
  Concatenate: 'concat',
  UpSampling2D: 'upsample'
}

/** An epilogue stage of a test node: a fused add of a fresh operand, or a function. */
export type TestStage = { readonly add: true } | { readonly fn: Unary }

/** One node in a graph of its own. */
export interface OneNode {
  readonly graph: Graph
  readonly node: Node
  /** Per-sample shapes of the node's inputs, then of its operands. */
  readonly inShapes: ReadonlyArray<ReadonlyArray<number>>
  readonly operands: number
  readonly outSize: number
  readonly weightShapes: ReadonlyArray<ReadonlyArray<number>>
}

/** The graph of one layer (`config` as Keras writes it) on inputs of `shapes`, with `stages`. */
export const oneNode = (
  className: string,
  config: Record<string, unknown>,
  shapes: ReadonlyArray<ReadonlyArray<number>>,
  stages: ReadonlyArray<TestStage> = [],
  dialect: Dialect = 'keras3'
): OneNode => {
  const kind = findLayerKind(className)
  if (kind === undefined) throw new Error(className)
  const spec = right(pipe(kind.codec({ dialect, imageDataFormat: 'channels_last' }).decode({ name: 'n', ...config }), E.mapLeft(fromValidationErrors)))
  const compiled = right(kind.compile(spec, shapes, { dtype: 'float32' }))
  const out = compiled.outputShape
  const size = (s: ReadonlyArray<number>): number => s.reduce((a, b) => a * b, 1)
  const values = [...shapes.map((s, id) => ({ id, shape: [...s], size: size(s) }))]
  const output = values.length
  values.push({ id: output, shape: [...out], size: size(out) })
  const graphStages: Stage[] = []
  const operandIds: number[] = []
  for (const s of stages) {
    if ('add' in s) {
      const id = values.length
      values.push({ id, shape: [...out], size: size(out) })
      operandIds.push(id)
      graphStages.push({ kind: 'add', value: id })
    } else graphStages.push({ kind: 'unary', fn: s.fn })
  }
  const node: Node = {
    id: 0,
    kind: KIND[className] ?? 'layer',
    spec,
    path: 'layers[0]',
    name: 'n',
    inputs: shapes.map((_, i) => i),
    output,
    weights: compiled.weights.map((w, i) => param(i, w.shape)),
    epilogue: { stages: graphStages },
    notes: []
  }
  const graph: Graph = {
    dtype: 'float32',
    values,
    nodes: [node],
    inputs: [...shapes.map((_, i) => i), ...operandIds],
    outputs: [output],
    paramCount: compiled.weights.length
  }
  return { graph, node, inShapes: [...shapes, ...operandIds.map(() => out)], operands: operandIds.length, outSize: size(out), weightShapes: compiled.weights.map((w) => w.shape) }
}

const PAGE = 65536

/** A fresh non-shared wasm memory of `pages` pages (maximum 4 GiB, as the compiler's arena). */
export const newMemory = (pages = 1, shared = false): WasmMemory => {
  if (wasmApi === undefined) throw new Error('no WebAssembly')
  return new wasmApi.Memory(shared ? { initial: pages, maximum: 65536, shared: true } : { initial: pages, maximum: 65536 })
}
const POISON = 0x7fa00001 // a NaN with a payload no arithmetic produces

/** Where a run puts things, in floats. */
interface Layout {
  readonly weights: number
  readonly inputs: ReadonlyArray<number>
  readonly output: number
  readonly total: number
}

/**
 * Places packed weights, inputs (and operands) and the output in that order, each after a gap of
 * `gap` floats; `inPlace` puts the output on input 0; `atEnd` moves the whole layout so that its last
 * tensor ends exactly at the end of the memory (a read past it traps).
 */
const layoutFor = (packed: number, sizes: ReadonlyArray<number>, outSize: number, gap: number, inPlace: boolean): Layout => {
  let at = 0
  const place = (n: number): number => {
    const here = at
    at += n + gap
    return here
  }
  const weights = place(Math.ceil(packed / 16) * 16)
  // inputs 16-aligned plus the gap's remainder, so unaligned gaps give unaligned tensors
  at = Math.ceil(at / 16) * 16 + (gap % 4)
  const inputs = sizes.map(place)
  const output = inPlace ? (inputs[0] as number) : place(outSize)
  return { weights, inputs, output, total: at - gap }
}

/** Result of one run: the output's floats (as bits) and whether the rest of the arena is untouched. */
export interface RunResult {
  readonly kernel: string
  readonly ranged: boolean
  readonly out: Float32Array
  readonly untouched: boolean
}

const runOn = (
  kernel: StepKernel,
  one: OneNode,
  weights: ReadonlyArray<Tensor>,
  data: ReadonlyArray<Float32Array>,
  batch: number,
  memory: WasmMemory,
  layout: Layout,
  shift: number,
  pieces = 1
): RunResult => {
  const view = new Float32Array(memory.buffer)
  new Int32Array(memory.buffer).fill(POISON)
  // (a shared memory's views are plain typed arrays over a SharedArrayBuffer: `slice` copies them out)
  const w = layout.weights
  if (kernel.packedFloats > 0) kernel.pack(weights, view, w)
  data.forEach((d, i) => view.set(d, (layout.inputs[i] as number) + shift))
  const before = view.slice()
  const arena: Arena = { dtype: 'float32', memory, view: () => new Float32Array(memory.buffer) }
  const nIn = one.node.inputs.length
  const out = layout.output + shift
  const io = {
    inputs: layout.inputs.slice(0, nIn).map((x) => x + shift),
    output: out,
    operands: layout.inputs.slice(nIn).map((x) => x + shift),
    weights: kernel.packedFloats > 0 ? w : -1,
    scratch: -1
  }
  const ranged = kernel as Partial<RangedStepKernel>
  if (pieces > 1 && ranged.units !== undefined && ranged.runUnits !== undefined && ranged.finish !== undefined) {
    // split the units into `pieces` ranges, run last to first, then finish once
    const units = ranged.units(batch)
    const cuts = Array.from({ length: pieces + 1 }, (_, i) => Math.round((units * i) / pieces))
    for (let i = pieces - 1; i >= 0; i--) ranged.runUnits(arena, batch, io, cuts[i] as number, cuts[i + 1] as number)
    ranged.finish(arena, batch, io)
  } else kernel.run(arena, batch, io, weights)
  const after = new Float32Array(memory.buffer)
  const n = batch * one.outSize
  const bits = new Int32Array(memory.buffer)
  const beforeBits = new Int32Array(before.buffer, before.byteOffset, before.length)
  let untouched = true
  for (let i = 0; i < bits.length; i++) {
    if (i >= out && i < out + n) continue
    if (bits[i] !== beforeBits[i]) {
      untouched = false
      break
    }
  }
  return { kernel: kernel.name, ranged: ranged.runUnits !== undefined, out: after.slice(out, out + n), untouched }
}

/** Options of {@link compare}. */
export interface CompareOptions {
  readonly batch: number
  /** Floats between placed tensors (unaligned when not a multiple of 4). */
  readonly gap?: number
  readonly inPlace?: boolean
  /** Place the layout so that it ends at the end of the memory. */
  readonly atEnd?: boolean
  /** Run a ranged kernel's units in this many ranges (last first), then `finish`. */
  readonly pieces?: number
}

/** The family's kernel and the reference's results on the same data. */
export const compare = (
  family: KernelFactory,
  one: OneNode,
  weights: ReadonlyArray<Tensor>,
  data: ReadonlyArray<Float32Array>,
  options: CompareOptions
): { readonly fast: RunResult; readonly reference: RunResult } | undefined => {
  let memory: WasmMemory | undefined
  const choice: KernelChoice = {
    dtype: 'float32',
    backend: 'wasm',
    threads: 1,
    memory: () => {
      memory ??= newMemory()
      return memory
    }
  }
  const kernel = family(one.node, one.graph, choice)
  if (kernel === undefined) return undefined
  const sizes = one.inShapes.map((s) => options.batch * s.reduce((a, b) => a * b, 1))
  const layout = layoutFor(kernel.packedFloats, sizes, options.batch * one.outSize, options.gap ?? 0, (options.inPlace ?? false) && kernel.inPlace)
  const mem = choice.memory() as WasmMemory
  const need = layout.total + 64
  const pages = Math.ceil((need * 4) / PAGE)
  const have = mem.buffer.byteLength / PAGE
  if (pages > have) mem.grow(pages - have)
  const floats = mem.buffer.byteLength / 4
  // to end exactly at the memory's end, shift the tensors (not the packed weights, at 0)
  const s = options.atEnd === true ? floats - layout.total : 0
  const reference = referenceKernel(one.node, one.graph)
  return {
    fast: runOn(kernel, one, weights, data, options.batch, mem, layout, s, options.pieces ?? 1),
    reference: runOn(reference, one, weights, data, options.batch, newMemory(mem.buffer.byteLength / PAGE), layout, s)
  }
}

/** The index of the first float where `a` and `b` differ (NaNs all equal; +0 ≠ −0), or −1. */
export const firstBitDifference = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return 0
  const ai = new Int32Array(a.buffer, a.byteOffset, a.length)
  const bi = new Int32Array(b.buffer, b.byteOffset, b.length)
  for (let i = 0; i < a.length; i++) {
    if (ai[i] === bi[i]) continue
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue
    return i
  }
  return -1
}

/** Random floats from a seed: uniform in [−r, r], with a share of specials (±0, ±∞, NaN, tiny, huge) when `specials` > 0. */
export const floats = (n: number, seed: number, r = 4, specials = 0): Float32Array => {
  let s = seed >>> 0 || 1
  const next = (): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
  const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3e38, -3e38, 6, 1]
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    out[i] = next() < specials ? (SPECIAL[Math.floor(next() * SPECIAL.length)] as number) : (next() * 2 - 1) * r
  }
  return out
}

/** Options of {@link compareThreads}. */
export interface ThreadsOptions {
  readonly batch: number
  readonly threads: number
  readonly gap?: number
  readonly inPlace?: boolean
  /** The family's threshold (floats moved per call) for the threaded kernel. */
  readonly parallelMinFloats: number
  /** The model's per-forward decision, asked at each call (default: always split). */
  readonly split?: () => boolean
}

/** A family with the wasm-ops options (wasm-ops.ts's families take them as a fourth argument). */
export type OpsFamily = (node: OneNode['node'], graph: OneNode['graph'], choice: KernelChoice, options?: { readonly parallelMinFloats?: number }) => StepKernel | undefined

/**
 * The family's kernel on one thread (a plain memory) and on `threads` (a shared memory, as a model
 * compiled with threads has), the same layout, each on a poisoned arena; `calls` runs of the threaded
 * kernel in a row on the same arena (each refilled with poison), to catch state one call leaves to the next.
 */
export const compareThreads = (
  family: OpsFamily,
  one: OneNode,
  weights: ReadonlyArray<Tensor>,
  data: ReadonlyArray<Float32Array>,
  options: ThreadsOptions,
  calls = 1
): { readonly single: RunResult; readonly threaded: ReadonlyArray<RunResult> } | undefined => {
  const make = (threads: number, shared: boolean): { readonly kernel: StepKernel; readonly memory: WasmMemory } | undefined => {
    const memory = newMemory(1, shared)
    const choice: KernelChoice = { dtype: 'float32', backend: 'wasm', threads, memory: () => memory, ...(options.split === undefined ? {} : { split: options.split }) }
    const kernel = family(one.node, one.graph, choice, { parallelMinFloats: options.parallelMinFloats })
    return kernel === undefined ? undefined : { kernel, memory }
  }
  const a = make(1, false)
  const b = make(options.threads, true)
  if (a === undefined || b === undefined) return undefined
  const sizes = one.inShapes.map((s) => options.batch * s.reduce((x, y) => x * y, 1))
  const layout = layoutFor(a.kernel.packedFloats, sizes, options.batch * one.outSize, options.gap ?? 0, (options.inPlace ?? false) && a.kernel.inPlace)
  for (const m of [a.memory, b.memory]) {
    const pages = Math.ceil(((layout.total + 64) * 4) / PAGE)
    const have = m.buffer.byteLength / PAGE
    if (pages > have) m.grow(pages - have)
  }
  const single = runOn(a.kernel, one, weights, data, options.batch, a.memory, layout, 0)
  const threaded = Array.from({ length: calls }, () => runOn(b.kernel, one, weights, data, options.batch, b.memory, layout, 0))
  return { single, threaded }
}
