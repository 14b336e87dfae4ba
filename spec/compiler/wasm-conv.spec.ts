/**
 * The arena wasm convolution kernels (src/compiler/kernels/wasm-conv.ts) against the reference kernel
 * (the layer's own forward, then the epilogue): random geometries (strides, dilation, valid / same,
 * folded ZeroPadding2D, both data formats, depthwise multipliers, 1×1 pointwise, Winograd 3×3), run on
 * an arena in a WebAssembly memory poisoned with NaN, +∞ and garbage (every float of the memory, used or
 * not: the output must not depend on it, nothing outside the output and the scratch may change), batch
 * 1 and 3, within a float32 summation bound and with non-finite values exactly where the reference has
 * them (they run the same generated programs, so in practice bit for bit); then ±∞ / NaN through
 * Winograd (the exact rerun), Keras ReLU's −0, the memory growing between calls, two params objects
 * alternating, threads, and whole models compiled by default against the per-layer interpreter.
 */
import fc from 'fast-check'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Graph, Node, Value } from '../../src/compiler/Graph.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { wasmConvFamily, wasmConvKernel, wasmConvLayout, wasmConvPackedFloats, type WasmConvOptions, type WasmConvPath } from '../../src/compiler/kernels/wasm-conv.js'
import { convSetup } from '../../src/compiler/kernels/ts/conv.js'
import type { Arena, KernelChoice, StepIO, StepKernel } from '../../src/compiler/StepKernel.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { wasmScratch } from '../../src/kernel/prepare.js'
import { HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { pointwiseParts, tiledParts } from '../../src/kernel/wasm/tiled.js'
import { THREADS_AVAILABLE, threadStats } from '../../src/kernel/threads.js'
import { HAS_SHARED_MEMORY } from '../../src/kernel/wasm/encoder.js'
import { layer, type LayerJson } from '../../src/model/builder.js'
import { compileModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import type { FloatArray } from '../../src/numerics/FloatArray.js'
import { uniformStream } from '../../src/numerics/random.js'
import { readJson, readShared, right } from '../helpers.js'
import { assignOrderedWeights } from '../../src/model/weights.js'
import { caseInput, caseWeights, convFamilyCases } from '../keras3/convfamily.js'
import { caseNode, type Case } from './tsKernelCases.js'
import { POISONS, randomData, randomWeights, runKernel, type StageName } from './tsKernelHarness.js'

const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WebAssemblyMemory } }).WebAssembly
interface WebAssemblyMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}
const PAGE = 65536
const newMemory = (shared = false): WebAssemblyMemory => new (wasm as NonNullable<typeof wasm>).Memory({ initial: 1, maximum: 65536, ...(shared ? { shared: true } : {}) })
const choiceOn = (memory: WebAssemblyMemory, threads = 1): KernelChoice => ({ dtype: 'float32', backend: 'auto', threads, memory: () => memory })

// -------------------------------------------------------------------------------------
// running on a WebAssembly memory
// -------------------------------------------------------------------------------------

const GUARD = 16
const align = (n: number): number => Math.ceil(n / 16) * 16

interface Placement {
  /** Floats of the memory's start left unused (moves every buffer). */
  readonly shift?: number
  /** Put the input last, ending exactly at the memory's end (a kernel reading past it would trap). */
  readonly inputAtEnd?: boolean
}

interface ArenaRun {
  readonly output: Float32Array
  readonly trespass: ReadonlyArray<number>
}

/**
 * Runs `kernel` on `memory` laid out as [guard | packed | guard | operands … | guard | output | guard |
 * scratch | guard | input | guard] (the input last; with `inputAtEnd` the memory ends right after it),
 * every float of the memory first set to `poison`.
 */
const runOnMemory = (
  kernel: StepKernel,
  memory: WebAssemblyMemory,
  graph: Graph,
  node: Node,
  batch: number,
  inputs: ReadonlyArray<FloatArray>,
  operands: ReadonlyArray<FloatArray>,
  weights: ReadonlyArray<Tensor>,
  poison: number | ((i: number) => number),
  place: Placement = {}
): ArenaRun => {
  const outSize = batch * (graph.values[node.output] as Value).size
  let at = GUARD + (place.shift ?? 0) * 16
  const take = (n: number): number => {
    const o = at
    at = align(at + n) + GUARD
    return o
  }
  const packed = kernel.packedFloats > 0 ? take(kernel.packedFloats) : -1
  const ops = operands.map((x) => take(x.length))
  const output = take(outSize)
  const scratchFloats = kernel.scratchFloats(batch)
  const scratch = scratchFloats > 0 ? take(scratchFloats) : -1
  const x = inputs[0] as FloatArray
  let input: number
  if (place.inputAtEnd === true) {
    // the memory's end at the input's end: grow to whole pages, then start the input that far back
    const need = align(at + x.length) * 4
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE))
    input = memory.buffer.byteLength / 4 - x.length
    expect(input).toBeGreaterThanOrEqual(at)
  } else {
    input = take(x.length)
    if (memory.buffer.byteLength < at * 4) memory.grow(Math.ceil((at * 4 - memory.buffer.byteLength) / PAGE))
  }
  const view = new Float32Array(memory.buffer)
  for (let i = 0; i < view.length; i++) view[i] = typeof poison === 'number' ? poison : poison(i)
  if (packed >= 0) kernel.pack(weights, view, packed)
  view.set(x, input)
  operands.forEach((o, i) => view.set(o, ops[i] as number))
  const before = view.slice()
  const arena: Arena = { dtype: 'float32', view: () => new Float32Array(memory.buffer), memory }
  const io: StepIO = { inputs: [input], output, operands: ops, weights: packed, scratch }
  kernel.run(arena, batch, io, weights)
  const after = new Float32Array(memory.buffer)
  const trespass: number[] = []
  for (let i = 0; i < after.length && trespass.length < 5; i++) {
    const inOutput = i >= output && i < output + outSize
    const inScratch = scratch >= 0 && i >= scratch && i < scratch + scratchFloats
    if (!inOutput && !inScratch && !Object.is(after[i], before[i])) trespass.push(i)
  }
  return { output: after.slice(output, output + outSize), trespass }
}

/**
 * The float32 summation bound (spec/compiler/tsKernelCases.ts): `(K + 1 + stages) · 2⁻²⁴ · (1 + 2K) ·
 * 2^stages` for `K = kh·kw·C/groups` products of |x| < 2, |w| < 1 and a bias |b| < 1.
 */
const tolerance = (node: Node): number => {
  const kernel = node.weights[0]
  const shape = kernel?.kind === 'param' ? kernel.shape : [1, 1, 1, 1]
  const K = (shape[0] as number) * (shape[1] as number) * (shape[2] as number)
  const stages = node.epilogue.stages.length
  return (K + 1 + stages) * 2 ** -24 * (1 + 2 * K) * 2 ** stages
}

/** Non-finite values equal (NaN to NaN, ±∞ to itself), finite ones within `tol`. */
const expectClose = (got: FloatArray, want: FloatArray, tol: number, what: string): void => {
  expect(got.length, what).toBe(want.length)
  for (let i = 0; i < got.length; i++) {
    const g = got[i] as number
    const w = want[i] as number
    if (Number.isFinite(w)) {
      if (!(Math.abs(g - w) <= tol)) expect.fail(`${what} [${i}]: ${g} vs ${w} (tolerance ${tol})`)
    } else if (!(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)))) expect.fail(`${what} [${i}]: ${g} vs ${w}`)
  }
}

const sameBits = (a: FloatArray, b: FloatArray): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i] as number)))

interface Checked {
  readonly name: string
  /** Whether every output value equals the reference's bit for bit (NaNs as NaN). */
  readonly exact: boolean
}

/**
 * Runs the arena kernel of a case on a fresh memory once per poison (the outputs must agree bit for
 * bit, nothing outside output and scratch written), and compares with the reference kernel.
 */
const checkOnArena = (
  graph: Graph,
  node: Node,
  batch: number,
  seed: number,
  special: number,
  given: {
    readonly inputs?: ReadonlyArray<FloatArray>
    readonly weights?: ReadonlyArray<Tensor>
    readonly place?: Placement
    readonly options?: WasmConvOptions
    readonly threads?: number
    readonly shared?: boolean
  } = {}
): Checked => {
  const memory = newMemory(given.shared)
  const kernel = wasmConvKernel(node, graph, choiceOn(memory, given.threads ?? 1), given.options)
  expect(kernel, `the family declined ${node.spec.className}`).toBeDefined()
  const k = kernel as StepKernel
  const size = (v: number): number => batch * (graph.values[v] as Value).size
  const inputs = given.inputs ?? node.inputs.map((v, i) => randomData('float32', size(v), seed * 7 + i, special))
  const operands = node.epilogue.stages.flatMap((s, i) => (s.kind === 'add' ? [randomData('float32', size(s.value), seed * 13 + i, special)] : []))
  const weights = given.weights ?? randomWeights(node, 'float32', seed, special / 4)
  const want = runKernel(referenceKernel(node, graph), graph, node, batch, inputs, operands, weights, NaN).output
  let first: Float32Array | undefined
  for (const poison of POISONS) {
    const r = runOnMemory(k, memory, graph, node, batch, inputs, operands, weights, poison, given.place)
    expect(r.trespass, `${k.name} wrote outside its output and scratch`).toEqual([])
    if (first === undefined) first = r.output
    else expect(sameBits(r.output, first), `${k.name}: the output depends on the poison`).toBe(true)
  }
  const got = first as Float32Array
  expectClose(got, want, tolerance(node), k.name)
  return { name: k.name, exact: sameBits(got, want) }
}

// -------------------------------------------------------------------------------------
// cases
// -------------------------------------------------------------------------------------

const image = (format: string, rows: number, cols: number, channels: number): number[] => (format === 'channels_first' ? [channels, rows, cols] : [rows, cols, channels])

const conv = (l: LayerJson, shape: ReadonlyArray<number>, stages: ReadonlyArray<StageName> = [], extraPadding?: Case['extraPadding']): { readonly graph: Graph; readonly node: Node } =>
  caseNode({ kind: 'conv', family: wasmConvFamily, layer: l, shapes: [shape], stages, batch: 1, dtype: 'float32', seed: 0, special: 0, backend: 'auto', positive: [], ...(extraPadding === undefined ? {} : { extraPadding }) })

const STAGES: ReadonlyArray<StageName> = ['add', 'relu', 'relu6', 'clamp', 'kerasRelu', 'kerasRelu6', 'kerasReluPlain', 'leaky', 'tanh', 'softmax']

const caseArb = fc
  .record({
    kind: fc.constantFrom('conv', 'depthwise', 'pointwise', 'winograd'),
    filters: fc.integer({ min: 1, max: 20 }),
    multiplier: fc.integer({ min: 1, max: 3 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padding: fc.constantFrom('valid', 'same'),
    format: fc.constantFrom('channels_last', 'channels_first'),
    channels: fc.integer({ min: 1, max: 13 }),
    extra: fc.tuple(fc.nat(6), fc.nat(6)),
    useBias: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'relu6', 'tanh'),
    folded: fc.option(fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)), { nil: undefined }),
    stages: fc.array(fc.constantFrom(...STAGES), { maxLength: 3 }),
    batch: fc.constantFrom(1, 3),
    seed: fc.nat(1_000_000),
    special: fc.constantFrom(0, 0, 0.02, 0.2)
  })
  .map((r) => {
    const strided = r.strides[0] > 1 || r.strides[1] > 1
    const kernel: [number, number] = r.kind === 'pointwise' ? [1, 1] : r.kind === 'winograd' ? [3, 3] : r.kernel
    const strides = r.kind === 'pointwise' || r.kind === 'winograd' ? [1, 1] : r.strides
    const dilation = strided || r.kind === 'winograd' || r.kind === 'pointwise' ? [1, 1] : r.dilation
    const channels = r.kind === 'winograd' ? Math.max(2, r.channels) : r.channels
    const effH = (dilation[0] as number) * (kernel[0] - 1) + 1
    const effW = (dilation[1] as number) * (kernel[1] - 1) + 1
    const padding = r.folded === undefined ? r.padding : 'valid'
    const args = { kernel_size: kernel, strides, dilation_rate: dilation, padding, data_format: r.format, use_bias: r.useBias, activation: r.activation }
    const l = r.kind === 'depthwise' ? layer('DepthwiseConv2D', { ...args, depth_multiplier: r.multiplier }) : layer('Conv2D', { ...args, filters: r.kind === 'winograd' ? Math.max(4, r.filters) : r.filters })
    const extraPadding = r.folded === undefined ? undefined : { top: r.folded[0], bottom: r.folded[1], left: r.folded[2], right: r.folded[3] }
    return { ...r, l, shape: image(r.format, effH + r.extra[0], effW + r.extra[1], channels), extraPadding }
  })

// -------------------------------------------------------------------------------------
// specs
// -------------------------------------------------------------------------------------

describe.runIf(HAS_SIMD && wasm !== undefined)('wasm convolution kernels on the arena', () => {
  it('random geometries = the reference kernel (poisoned memory, batch 1 and 3), every path taken', () => {
    const names = new Map<string, number>()
    let exact = 0
    let runs = 0
    fc.assert(
      fc.property(caseArb, (c) => {
        const { graph, node } = conv(c.l, c.shape, c.stages, c.extraPadding)
        const r = checkOnArena(graph, node, c.batch, c.seed, c.special)
        expect(r.name).toMatch(/^conv:wasm-(tiled|winograd|pointwise|depthwise)@arena$/)
        names.set(r.name, (names.get(r.name) ?? 0) + 1)
        runs++
        if (r.exact) exact++
      }),
      { numRuns: 150, seed: 20261206 }
    )
    expect([...names.keys()].sort()).toEqual(['conv:wasm-depthwise@arena', 'conv:wasm-pointwise@arena', 'conv:wasm-tiled@arena', 'conv:wasm-winograd@arena'])
    // the same generated programs as the layer's: bit for bit but for the folded-padding 1×1 (tiled vs pointwise order)
    console.log(`exact ${exact} of ${runs}`, [...names])
    expect(exact).toBeGreaterThanOrEqual(runs - 10)
  })

  it('each geometry runs its named path; the layout and packing are prepare.ts\'s', () => {
    const cases: ReadonlyArray<readonly [LayerJson, ReadonlyArray<number>, WasmConvPath, Case['extraPadding']?]> = [
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), [9, 9, 4], 'winograd'],
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same', data_format: 'channels_first' }), [4, 9, 7], 'winograd'],
      [layer('Conv2D', { filters: 8, kernel_size: 3 }), [10, 10, 4], 'winograd'],
      [layer('Conv2D', { filters: 9, kernel_size: 1 }), [5, 6, 7], 'pointwise'],
      [layer('Conv2D', { filters: 9, kernel_size: 1 }), [5, 6, 7], 'tiled', { top: 1, bottom: 0, left: 2, right: 1 }],
      [layer('Conv2D', { filters: 9, kernel_size: 1, data_format: 'channels_first' }), [7, 5, 6], 'tiled'],
      [layer('DepthwiseConv2D', { kernel_size: 3, padding: 'same' }), [6, 6, 8], 'depthwise'],
      [layer('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, data_format: 'channels_first' }), [3, 7, 7], 'tiled'],
      [layer('DepthwiseConv2D', { kernel_size: 3, strides: 2, data_format: 'channels_first' }), [5, 9, 9], 'depthwise'],
      [layer('Conv2D', { filters: 5, kernel_size: [2, 3], strides: [2, 1], dilation_rate: 1 }), [9, 8, 3], 'tiled']
    ]
    for (const [l, shape, path, extra] of cases) {
      const { graph, node } = conv(l, shape, [], extra)
      for (const batch of [1, 3]) expect(checkOnArena(graph, node, batch, 5, 0.01).name).toBe(`conv:wasm-${path}@arena`)
      const g = (convSetup(node, graph) as NonNullable<ReturnType<typeof convSetup>>).g
      const s = wasmScratch(path, g, 2)
      expect([wasmConvLayout(path, g).sampleSize * 2 * 4, wasmConvPackedFloats(path, g) * 4]).toEqual([s.paddedInput, s.packedWeights])
    }
  })

  it('an input read where it lies may end at the memory\'s end (no load past it)', () => {
    for (const [l, shape] of [
      [layer('Conv2D', { filters: 8, kernel_size: 3 }), [10, 10, 4]], // Winograd, unpadded NHWC
      [layer('Conv2D', { filters: 8, kernel_size: 3 }), [10, 10, 3]], // Winograd, C % 4 ≠ 0: padded copy
      [layer('Conv2D', { filters: 8, kernel_size: 3, data_format: 'channels_first' }), [4, 10, 10]],
      [layer('Conv2D', { filters: 3, kernel_size: 1 }), [5, 5, 3]],
      [layer('DepthwiseConv2D', { kernel_size: 2 }), [5, 5, 3]],
      [layer('DepthwiseConv2D', { kernel_size: 2 }), [5, 5, 8]],
      [layer('Conv2D', { filters: 3, kernel_size: 2, data_format: 'channels_first' }), [3, 5, 5]]
    ] as const) {
      const { graph, node } = conv(l, shape)
      for (const batch of [1, 3]) checkOnArena(graph, node, batch, 11, 0.05, { place: { inputAtEnd: true } })
    }
  })

  it('±∞ and NaN through Winograd keep Keras\'s results (the exact rerun), fused relu6 and a residual add included', () => {
    for (const format of ['channels_last', 'channels_first'] as const) {
      const { graph, node } = conv(layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same', data_format: format }), image(format, 8, 8, 4), ['relu6', 'add', 'relu'])
      const r = checkOnArena(graph, node, 2, 3, 0.02)
      expect(r.name).toBe('conv:wasm-winograd@arena')
      expect(r.exact).toBe(true)
      // one +∞ in an otherwise finite input: Winograd alone would give NaN around it
      const n = 2 * 8 * 8 * 4
      const x = randomData('float32', n, 4, 0)
      x[100] = Infinity
      const weights = randomWeights(node, 'float32', 9).map((t, i) => (i === 0 ? { shape: t.shape, data: t.data.map((v) => Math.abs(v) + 0.01) } : t))
      const s = checkOnArena(graph, node, 2, 4, 0, { inputs: [x], weights })
      expect(s.exact).toBe(true)
    }
  })

  it('a Keras ReLU fused into the program: −0 outputs (a −0 bias over a zero window) become +0; a plain relu6 clamp keeps them; NaN stays', () => {
    for (const [l, shape] of [
      [layer('Conv2D', { filters: 3, kernel_size: 1 }), [2, 2, 2]],
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), [4, 4, 4]],
      [layer('DepthwiseConv2D', { kernel_size: 3, padding: 'same' }), [4, 4, 4]]
    ] as const) {
      for (const stage of ['kerasRelu6', 'kerasReluPlain', 'relu6'] as const) {
        const { graph, node } = conv(l, shape, [stage])
        const n = shape.reduce((a, b) => a * b, 1)
        const x = new Float32Array(2 * n)
        x[n] = NaN
        x[n + 3] = Infinity
        const [kernel, bias] = randomWeights(node, 'float32', 3) as [Tensor, Tensor]
        const w = { shape: kernel.shape, data: kernel.data.map((v) => -Math.abs(v) - 0.1) }
        const b = { shape: bias.shape, data: bias.data.map((_, i) => (i % 2 === 0 ? -0 : 0.5)) }
        const memory = newMemory()
        const k = wasmConvKernel(node, graph, choiceOn(memory)) as StepKernel
        const got = runOnMemory(k, memory, graph, node, 2, [x], [], [w, b], NaN).output
        const want = runKernel(referenceKernel(node, graph), graph, node, 2, [x], [], [w, b], NaN).output
        expect(sameBits(got, want), `${k.name} ${stage}`).toBe(true)
        expect(got.some((v) => Object.is(v, -0))).toBe(stage === 'relu6')
        expect(got.some((v) => Number.isNaN(v))).toBe(true)
      }
    }
  })

  it('the memory growing between calls (views detached), the buffers moving, two params objects alternating', () => {
    for (const [l, shape, stages] of [
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), [9, 9, 4], ['kerasReluPlain']],
      [layer('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2 }), [7, 7, 3], ['add']],
      [layer('Conv2D', { filters: 5, kernel_size: 1 }), [6, 6, 12], ['relu6']],
      [layer('Conv2D', { filters: 5, kernel_size: 3, strides: 2, padding: 'same', lora_rank: 2 }), [9, 9, 6], []]
    ] as const) {
      const { graph, node } = conv(l, shape, stages)
      const memory = newMemory()
      const k = wasmConvKernel(node, graph, choiceOn(memory)) as StepKernel
      const p1 = randomWeights(node, 'float32', 1)
      // the second params object's bias holds −0 (the Keras ReLU fix per params object)
      const p2 = randomWeights(node, 'float32', 2).map((t, i) => (i === 1 && node.weights.length > 1 ? { shape: t.shape, data: t.data.map((v, j) => (j === 0 ? -0 : v)) } : t))
      for (let call = 0; call < 6; call++) {
        const batch = 1 + (call % 3)
        const weights = call % 2 === 0 ? p1 : p2
        const size = (v: number): number => batch * (graph.values[v] as Value).size
        const x = randomData('float32', size(node.inputs[0] as number), call, 0.02)
        const ops = node.epilogue.stages.flatMap((s) => (s.kind === 'add' ? [randomData('float32', size(s.value), call + 50, 0)] : []))
        if (call > 0) memory.grow(1)
        const got = runOnMemory(k, memory, graph, node, batch, [x], ops, weights, NaN, { shift: call * 3 + 1 })
        expect(got.trespass).toEqual([])
        const want = runKernel(referenceKernel(node, graph), graph, node, batch, [x], ops, weights, NaN).output
        expect(sameBits(got.output, want), `${k.name} call ${call}`).toBe(true)
      }
    }
  })

  it.runIf(THREADS_AVAILABLE)('threads: calls from the threshold run on the threaded kernel, bit for bit the arena\'s', () => {
    for (const [l, shape] of [
      [layer('Conv2D', { filters: 16, kernel_size: 3, padding: 'same' }), [12, 12, 8]],
      [layer('Conv2D', { filters: 8, kernel_size: 1 }), [9, 9, 8]],
      [layer('DepthwiseConv2D', { kernel_size: 3, strides: 2 }), [11, 11, 8]]
    ] as const) {
      const { graph, node } = conv(l, shape, ['relu'])
      const memory = newMemory()
      const one = wasmConvKernel(node, graph, choiceOn(memory)) as StepKernel
      const two = wasmConvKernel(node, graph, choiceOn(memory, 2), { parallelMinMacs: 0 }) as StepKernel
      const weights = randomWeights(node, 'float32', 1)
      const x = randomData('float32', 3 * (graph.values[node.inputs[0] as number] as Value).size, 3, 0.01)
      const a = runOnMemory(one, memory, graph, node, 3, [x], [], weights, NaN).output
      const b = runOnMemory(two, memory, graph, node, 3, [x], [], weights, Infinity)
      expect(b.trespass).toEqual([])
      expect(sameBits(a, b.output)).toBe(true)
    }
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('threads on a shared arena: random geometries split over the pool, bit for bit one thread, nothing written outside output and scratch (the padding split over the threads too, or by the calling thread alone)', () => {
    const before = threadStats.calls
    let split = 0
    fc.assert(
      // padSplitMinFloats 0: every padded input in pad items claimed by all threads; the default
      // (PAD_SPLIT_MIN_FLOATS, more than any of these): the calling thread pads alone
      fc.property(caseArb, fc.constantFrom(2, 3), fc.constantFrom(0, undefined), (c, threads, padSplitMinFloats) => {
        const { graph, node } = conv(c.l, c.shape, c.stages, c.extraPadding)
        const batch = c.batch + 1
        const size = (v: number): number => batch * (graph.values[v] as Value).size
        const x = randomData('float32', size(node.inputs[0] as number), c.seed, c.special)
        const ops = node.epilogue.stages.flatMap((s, i) => (s.kind === 'add' ? [randomData('float32', size(s.value), c.seed * 13 + i, c.special)] : []))
        const weights = randomWeights(node, 'float32', c.seed, c.special / 4)
        const plain = newMemory()
        const one = wasmConvKernel(node, graph, choiceOn(plain)) as StepKernel
        const shared = newMemory(true)
        const two = wasmConvKernel(node, graph, choiceOn(shared, threads), { parallelMinMacs: 0, ...(padSplitMinFloats === undefined ? {} : { padSplitMinFloats }) }) as StepKernel
        expect(two.name).toBe(one.name)
        const a = runOnMemory(one, plain, graph, node, batch, [x], ops, weights, NaN).output
        const calls = threadStats.calls
        const b = runOnMemory(two, shared, graph, node, batch, [x], ops, weights, Infinity, { shift: c.seed % 5 })
        if (threadStats.calls > calls) split++
        expect(b.trespass, `${two.name} wrote outside its output and scratch`).toEqual([])
        expect(sameBits(a, b.output), `${two.name} ${threads} threads, pads split from ${padSplitMinFloats ?? 'the default'}`).toBe(true)
      }),
      { numRuns: 80, seed: 20261207 }
    )
    // nearly every case is large enough to split at a threshold of 0
    expect(split).toBeGreaterThan(50)
    expect(threadStats.calls - before).toBe(split)
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('threads on a shared arena: a pointwise call with few pixels splits its output channels in parts (ResNet50\'s 2×2 stage, a 1×1 head), bit for bit one thread', () => {
    const before = threadStats.calls
    for (const [shape, filters, parts] of [
      [[2, 2, 48], 256, 8],
      [[1, 1, 40], 96, 3],
      [[3, 2, 16], 64, 2],
      [[3, 3, 24], 1000, 5],
      [[4, 4, 8], 64, 1]
    ] as const) {
      for (const stages of [['relu6'], ['add', 'relu']] as ReadonlyArray<ReadonlyArray<StageName>>) {
        const { graph, node } = conv(layer('Conv2D', { filters, kernel_size: 1 }), shape, stages)
        const g = convSetup(node, graph)?.g
        expect(g === undefined ? -1 : pointwiseParts(g), `${shape} → ${filters}`).toBe(parts)
        for (const batch of [1, 3]) {
          const one = checkOnArena(graph, node, batch, 5, 0.02)
          const two = checkOnArena(graph, node, batch, 5, 0.02, { shared: true, threads: 2, options: { parallelMinMacs: 0 } })
          expect(two.name).toBe('conv:wasm-pointwise@arena')
          expect(two.exact, `${shape} → ${filters} batch ${batch}: split = reference bits`).toBe(one.exact)
          const x = randomData('float32', batch * shape[0] * shape[1] * shape[2], 11, 0.02)
          const size = batch * shape[0] * shape[1] * filters
          const ops = stages.includes('add') ? [randomData('float32', size, 12, 0)] : []
          const weights = randomWeights(node, 'float32', 13)
          const plain = newMemory()
          const k1 = wasmConvKernel(node, graph, choiceOn(plain)) as StepKernel
          const shared = newMemory(true)
          const k2 = wasmConvKernel(node, graph, choiceOn(shared, 2), { parallelMinMacs: 0 }) as StepKernel
          const a = runOnMemory(k1, plain, graph, node, batch, [x], ops, weights, NaN).output
          const b = runOnMemory(k2, shared, graph, node, batch, [x], ops, weights, Infinity)
          expect(b.trespass).toEqual([])
          expect(sameBits(a, b.output), `${shape} → ${filters} batch ${batch} ${stages}`).toBe(true)
        }
      }
    }
    expect(threadStats.calls).toBeGreaterThan(before)
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('threads on a shared arena: a tiled call with few output rows splits its output channels in parts (DenseNet121\'s 4×4 and 2×2 stages), bit for bit one thread', () => {
    for (const [config, shape, parts] of [
      [{ filters: 32, kernel_size: 3, padding: 'same' }, [4, 4, 24], 4],
      [{ filters: 48, kernel_size: 3, padding: 'valid', strides: 2 }, [9, 7, 8], 6],
      [{ filters: 16, kernel_size: 3, padding: 'same', data_format: 'channels_first' }, [8, 3, 5], 2]
    ] as const) {
      const { graph, node } = conv(layer('Conv2D', config), shape, ['relu'])
      const g = convSetup(node, graph)?.g
      expect(g === undefined ? -1 : tiledParts(g), `${JSON.stringify(config)} ${shape}`).toBe(parts)
      for (const batch of [1, 3]) {
        const calls = threadStats.calls
        const two = checkOnArena(graph, node, batch, 5, 0.02, { shared: true, threads: 2, options: { parallelMinMacs: 0 } })
        expect(two.name).toBe('conv:wasm-tiled@arena')
        expect(threadStats.calls, 'the call split').toBeGreaterThan(calls)
        const x = randomData('float32', batch * shape[0] * shape[1] * shape[2], 11, 0.02)
        const weights = randomWeights(node, 'float32', 13)
        const plain = newMemory()
        const k1 = wasmConvKernel(node, graph, choiceOn(plain)) as StepKernel
        const shared = newMemory(true)
        const k2 = wasmConvKernel(node, graph, choiceOn(shared, 2), { parallelMinMacs: 0 }) as StepKernel
        const a = runOnMemory(k1, plain, graph, node, batch, [x], [], weights, NaN).output
        const b = runOnMemory(k2, shared, graph, node, batch, [x], [], weights, Infinity)
        expect(b.trespass).toEqual([])
        expect(sameBits(a, b.output), `${JSON.stringify(config)} batch ${batch}`).toBe(true)
      }
    }
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('threads on a shared arena: ±∞ and NaN through Winograd split over the pool keep Keras\'s results (the exact rerun)', () => {
    for (const format of ['channels_last', 'channels_first'] as const) {
      const { graph, node } = conv(layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same', data_format: format }), image(format, 8, 8, 4), ['relu6', 'add', 'relu'])
      const calls = threadStats.calls
      const r = checkOnArena(graph, node, 2, 3, 0.02, { shared: true, threads: 2, options: { parallelMinMacs: 0 } })
      expect(r.name).toBe('conv:wasm-winograd@arena')
      expect(r.exact).toBe(true)
      const n = 2 * 8 * 8 * 4
      const x = randomData('float32', n, 4, 0)
      x[100] = Infinity
      const weights = randomWeights(node, 'float32', 9).map((t, i) => (i === 0 ? { shape: t.shape, data: t.data.map((v) => Math.abs(v) + 0.01) } : t))
      const s = checkOnArena(graph, node, 2, 4, 0, { inputs: [x], weights, shared: true, threads: 2, options: { parallelMinMacs: 0 } })
      expect(s.exact).toBe(true)
      expect(threadStats.calls).toBeGreaterThan(calls)
    }
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('threads on a shared arena: the memory growing between calls (workers see the new pages), buffers moving, two params objects alternating', () => {
    for (const [l, shape, stages] of [
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), [9, 9, 4], ['kerasReluPlain']],
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same', data_format: 'channels_first' }), [4, 9, 9], []],
      [layer('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2 }), [7, 7, 3], ['add']],
      [layer('DepthwiseConv2D', { kernel_size: 3, padding: 'same', data_format: 'channels_first' }), [8, 7, 7], []],
      [layer('Conv2D', { filters: 5, kernel_size: 1 }), [6, 6, 12], ['relu6']],
      [layer('Conv2D', { filters: 5, kernel_size: 3, strides: 2, padding: 'same', lora_rank: 2 }), [9, 9, 6], []]
    ] as const) {
      const { graph, node } = conv(l, shape, stages)
      const memory = newMemory(true)
      const k = wasmConvKernel(node, graph, choiceOn(memory, 2), { parallelMinMacs: 0 }) as StepKernel
      const p1 = randomWeights(node, 'float32', 1)
      const p2 = randomWeights(node, 'float32', 2).map((t, i) => (i === 1 && node.weights.length > 1 ? { shape: t.shape, data: t.data.map((v, j) => (j === 0 ? -0 : v)) } : t))
      const calls = threadStats.calls
      for (let call = 0; call < 6; call++) {
        const batch = 2 + (call % 3)
        const weights = call % 2 === 0 ? p1 : p2
        const size = (v: number): number => batch * (graph.values[v] as Value).size
        const x = randomData('float32', size(node.inputs[0] as number), call, 0.02)
        const ops = node.epilogue.stages.flatMap((s) => (s.kind === 'add' ? [randomData('float32', size(s.value), call + 50, 0)] : []))
        // grow by more than the last call used: the input, output and scratch land on new pages
        if (call > 0) memory.grow(1 + call)
        const got = runOnMemory(k, memory, graph, node, batch, [x], ops, weights, NaN, { shift: call * 3 + 1 + (call > 0 ? (memory.buffer.byteLength - 2 * PAGE) / 64 : 0) })
        expect(got.trespass).toEqual([])
        const want = runKernel(referenceKernel(node, graph), graph, node, batch, [x], ops, weights, NaN).output
        expect(sameBits(got.output, want), `${k.name} call ${call}`).toBe(true)
      }
      expect(threadStats.calls - calls).toBe(6)
    }
  })

  it('declines what tsConv runs: the js backend, float64, no arena memory, the direct kernel\'s geometries', () => {
    const { graph, node } = conv(layer('Conv2D', { filters: 4, kernel_size: 3 }), [6, 6, 2])
    const memory = newMemory()
    expect(wasmConvKernel(node, graph, { ...choiceOn(memory), backend: 'js' })).toBeUndefined()
    expect(wasmConvKernel(node, { ...graph, dtype: 'float64' }, { ...choiceOn(memory), dtype: 'float64' })).toBeUndefined()
    expect(wasmConvKernel(node, graph, { ...choiceOn(memory), memory: () => undefined })).toBeUndefined()
    const huge = conv(layer('Conv2D', { filters: 2, kernel_size: 3, dilation_rate: 400, padding: 'same' }), [5, 6, 2])
    expect(wasmConvKernel(huge.node, huge.graph, choiceOn(memory))).toBeUndefined()
  })
})

// -------------------------------------------------------------------------------------
// whole models
// -------------------------------------------------------------------------------------

const inputsFor = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number): Tensor[] => {
  const next = uniformStream(seed)
  return shapes.map((s) => {
    const n = batch * s.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1
    return { shape: [batch, ...s], data }
  })
}

const models = (): ReadonlyArray<readonly [string, unknown]> => {
  const dir = fileURLToPath(new URL('../../examples/models/', import.meta.url))
  return [
    ...readdirSync(dir).map((f) => [`examples/models/${f}`, readJson(`examples/models/${f}`)] as const),
    ...['A', 'D', 'F', 'I', 'Q', 'Q2'].map((n) => [`shared ${n}.json`, readShared(`real-keras-models/${n}.json`)] as const)
  ]
}

describe.runIf(HAS_SIMD && wasm !== undefined && THREADS_AVAILABLE && HAS_SHARED_MEMORY)('whole models with threads: the large convolutions split on the shared arena', () => {
  it('A.json and D.json at batch 1 and 8: threads 2 = threads 1 bit for bit, two threaded models alive at once, outputs plain arrays', () => {
    const compiled = ['A', 'D'].map((n) => {
      const file = right(decodeModelFile(readShared(`real-keras-models/${n}.json`)))
      return { one: right(compileModel(file.model, { threads: 1 })), two: right(compileModel(file.model, { threads: 2 })) }
    })
    const params = compiled.map((c) => c.one.init(7))
    const calls = threadStats.calls
    // interleaved: each threaded model's workers' instances stay registered while the other runs
    for (const batch of [1, 8, 1]) {
      compiled.forEach((c, m) => {
        const xs = inputsFor(c.one.inputShapes, batch, 40 + batch + m)
        const copies = xs.map((x) => Float32Array.from(x.data))
        const want = c.one.forward(params[m] as ModelParams, xs)
        const got = c.two.forward(params[m] as ModelParams, xs)
        got.forEach((t, i) => {
          expect(t.data.buffer instanceof SharedArrayBuffer).toBe(false)
          expect(t.shape).toEqual((want[i] as Tensor).shape)
          expect(sameBits(t.data, (want[i] as Tensor).data), `model ${m} batch ${batch} output ${i}`).toBe(true)
        })
        xs.forEach((x, i) => expect(x.data).toEqual(copies[i]))
      })
    }
    expect(threadStats.calls).toBeGreaterThan(calls)
  })

  it('each forward splits its large steps or runs them all on one thread (splitPolicy.ts): both ways in the first ten calls, bit for bit the same', () => {
    const file = right(decodeModelFile(readShared('real-keras-models/A.json')))
    const one = right(compileModel(file.model, { threads: 1 }))
    const two = right(compileModel(file.model, { threads: 2 }))
    const params = one.init(3)
    const xs = inputsFor(one.inputShapes, 1, 5)
    const want = (one.forward(params, xs)[0] as Tensor).data
    // the first calls: split (the prior), the ninth and tenth on one thread to check it
    const ways: boolean[] = []
    for (let c = 0; c < 10; c++) {
      const before = threadStats.calls
      const got = (two.forward(params, xs)[0] as Tensor).data
      ways.push(threadStats.calls > before)
      expect(sameBits(got, want), `call ${c}`).toBe(true)
    }
    expect(ways).toEqual([true, true, true, true, true, true, true, true, false, false])
  })
})

/** The convolutions lowered as `conv` nodes (by their Keras class), and those lowered as `convNd`. */
const FORWARD_CONVS: ReadonlyArray<string> = ['Conv2D', 'DepthwiseConv2D', 'Conv1D', 'DepthwiseConv1D', 'SeparableConv1D', 'SeparableConv2D']
const ND_CONVS: ReadonlyArray<string> = ['Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose']

describe.runIf(HAS_SIMD && wasm !== undefined)('whole models: every convolution on the arena', () => {
  it.each(models())('%s: compiled by default = the interpreter within 2e-5 relative', (_name, json) => {
    const file = right(decodeModelFile(json))
    const reference = right(compileModel(file.model, { interpreter: true }))
    const compiled = right(compileModel(file.model))
    // Conv1D, DepthwiseConv1D and the separable layers' halves run as the 2-D convolutions they are lowered to
    const convSteps = (compiled.plan?.steps ?? []).filter((s) => FORWARD_CONVS.includes(s.className))
    expect(convSteps.length).toBeGreaterThan(0)
    for (const s of convSteps) expect(s.kernel).toMatch(/^conv:wasm-(tiled|winograd|pointwise|depthwise)@arena$/)
    // Conv3D and the transposed ones on compileConvNd's wasm kernels
    for (const s of (compiled.plan?.steps ?? []).filter((s) => ND_CONVS.includes(s.className))) expect(s.kernel).toMatch(/^convNd:.* wasm-(tiled|winograd|pointwise|depthwise)$/)
    const params = compiled.init(3)
    for (const batch of [1, 3]) {
      const xs = inputsFor(compiled.inputShapes, batch, batch)
      const want = reference.forward(params, xs)
      compiled.forward(params, xs).forEach((t, i) => {
        const w = (want[i] as Tensor).data
        let scale = 0
        for (let j = 0; j < w.length; j++) scale = Math.max(scale, Math.abs(w[j] as number))
        expectClose(t.data, w, 2e-5 * scale, `output ${i}`)
      })
    }
  })
})

describe.runIf(HAS_SIMD && wasm !== undefined)('the convolution family (issue 14) on the arena', () => {
  it('every Keras golden case (spec/keras3/convfamily.ts, mixed included): its forward convolutions on the arena programs, Conv3D and the transposed ones on compileConvNd\'s wasm kernels, = the interpreter within 2e-5 relative', () => {
    const kernels = new Map<string, number>()
    for (const c of convFamilyCases()) {
      const model = right(decodeModelFile(c.model)).model
      const reference = right(compileModel(model, { interpreter: true }))
      const compiled = right(compileModel(model))
      for (const s of compiled.plan?.steps ?? []) {
        if (FORWARD_CONVS.includes(s.className)) expect(s.kernel, `${c.id} ${s.name}`).toMatch(/^conv:wasm-(tiled|winograd|pointwise|depthwise)@arena$/)
        if (ND_CONVS.includes(s.className)) expect(s.kernel, `${c.id} ${s.name}`).toMatch(/^convNd:.* wasm-(tiled|winograd|pointwise|depthwise)$/)
        kernels.set(s.kernel, (kernels.get(s.kernel) ?? 0) + 1)
      }
      const params = right(assignOrderedWeights(reference, caseWeights(c).map((data, i) => ({ shape: c.weights[i]?.shape ?? [], data })), { order: 'layers' }))
      const input = caseInput(c)
      const x: Tensor = { shape: input.shape, data: input.data }
      const want = reference.forward(params, [x])
      compiled.forward(params, [x]).forEach((t, i) => {
        const w = (want[i] as Tensor).data
        let scale = 0
        for (let j = 0; j < w.length; j++) scale = Math.max(scale, Math.abs(w[j] as number))
        expectClose(t.data, w, 2e-5 * scale, `${c.id} output ${i}`)
      })
    }
    console.log([...kernels].map(([k, n]) => `${k} ×${n}`).join(', '))
  })

  it.runIf(THREADS_AVAILABLE && HAS_SHARED_MEMORY)('causal-tcn, unet and Xception (71×71): threads 2 = threads 1 bit for bit, batch 1 and 3', () => {
    const models = [
      readJson('examples/models/causal-tcn.keras3.json'),
      readJson('examples/models/unet.keras3.json'),
      (readJson('spec/fixtures/keras3/apps/xception.json') as { readonly model: unknown }).model
    ]
    models.forEach((json, m) => {
      const model = right(decodeModelFile(json)).model
      const one = right(compileModel(model, { threads: 1 }))
      const two = right(compileModel(model, { threads: 2 }))
      const params = one.init(9)
      for (const batch of [1, 3]) {
        const xs = inputsFor(one.inputShapes, batch, 60 + batch)
        const want = one.forward(params, xs)
        two.forward(params, xs).forEach((t, i) => expect(sameBits(t.data, (want[i] as Tensor).data), `model ${m} batch ${batch} output ${i}`).toBe(true))
      }
    })
  })
})
