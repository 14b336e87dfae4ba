/**
 * The convolution family's kernels (src/conv/reference.ts, src/conv/kernel.ts):
 *
 * - the oracle `convNdReference` on the reference's §13 test vectors (F1–F4, T1–T6, D1, S1) and on the
 *   Keras 3.15 golden fixtures of every convolution member (spec/keras3/convfamily.ts), activations
 *   linear / relu / tanh / sigmoid applied here;
 * - `compileConvNd` on the same vectors and fixtures (both backends, 1 and 2 threads), and against the
 *   oracle on every kind × rank × data format × backend × threads × dtype, within a bound relative to
 *   Σ|terms| (kernel-helpers.ts `excess`), with the guarantees: inputs never written, every output
 *   element written, scratch reused across batches and weights without stale values, and the special
 *   paths (no-copy rank-3 slices, the `direct` 2-D kernel whose bias is added here, Winograd).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { compileConvNd, type ConvNdKernelOptions } from '../../src/conv/kernel.js'
import { convNdReference } from '../../src/conv/reference.js'
import type { ConvNdGeometry, ConvNdKind, ConvNdParams, ConvRank } from '../../src/geometry/ConvNdGeometry.js'
import { disposeThreads } from '../../src/kernel/threads.js'
import type { FloatArray, FloatDType } from '../../src/numerics/FloatArray.js'
import { caseInput, caseOutput, caseWeights, layerConfig, memberCases, type ConvFamilyCase } from '../keras3/convfamily.js'
import { EPS, excess, geometryOf, paramsOfConfig, pointwiseParams, values } from './kernel-helpers.js'

afterAll(() => disposeThreads())

const base = (kind: ConvNdKind, rank: ConvRank, over: Partial<ConvNdParams>): ConvNdParams => ({
  kind,
  rank,
  dataFormat: 'channels_last',
  kernelSize: [3],
  strides: [1],
  dilationRate: [1],
  padding: 'valid',
  filters: 1,
  groups: 1,
  depthMultiplier: 1,
  outputPadding: null,
  ...over
})

const f64 = (xs: ReadonlyArray<number>): Float64Array => Float64Array.from(xs)

/** The compiled kernel's output for one call (float32 / float64 arrays of the dtype). */
const runCompiled = (g: ConvNdGeometry, batch: number, x: FloatArray, K: FloatArray, b: FloatArray | undefined, options: ConvNdKernelOptions): { readonly out: FloatArray; readonly name: string } => {
  const dtype = options.dtype ?? 'float32'
  const cast = (a: FloatArray): FloatArray => (dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a))
  const c = compileConvNd(g, options)
  try {
    const out = dtype === 'float32' ? new Float32Array(batch * g.outputSize).fill(Number.NaN) : new Float64Array(batch * g.outputSize).fill(Number.NaN)
    c.run(batch, cast(x), cast(K), b === undefined ? undefined : cast(b), out)
    return { out, name: c.name }
  } finally {
    c.dispose()
  }
}

const BACKENDS: ReadonlyArray<ConvNdKernelOptions> = [
  { dtype: 'float64', backend: 'js' },
  { dtype: 'float32', backend: 'js' },
  { dtype: 'float32', backend: 'wasm' },
  { dtype: 'float32', backend: 'wasm', threads: 2, parallelMinMacs: 0 }
]

// -------------------------------------------------------------------------------------
// §13 test vectors
// -------------------------------------------------------------------------------------

interface Vector {
  readonly id: string
  readonly p: ConvNdParams
  readonly shape: ReadonlyArray<number>
  readonly x: ReadonlyArray<number>
  readonly kernel: ReadonlyArray<number>
  readonly want: ReadonlyArray<number>
}

const K3 = [1, 10, 100]
const X5 = [1, 2, 3, 4, 5]
const X3 = [1, 2, 3]
const conv1 = (over: Partial<ConvNdParams>): ConvNdParams => base('conv', 1, over)
const tconv1 = (over: Partial<ConvNdParams>): ConvNdParams => base('transpose', 1, { strides: [2], ...over })

const VECTORS: ReadonlyArray<Vector> = [
  { id: 'F1', p: conv1({ padding: 'causal' }), shape: [5, 1], x: X5, kernel: K3, want: [100, 210, 321, 432, 543] },
  { id: 'F2', p: conv1({ padding: 'causal', dilationRate: [2] }), shape: [5, 1], x: X5, kernel: K3, want: [100, 200, 310, 420, 531] },
  { id: 'F3', p: conv1({ padding: 'causal', strides: [2] }), shape: [5, 1], x: X5, kernel: K3, want: [100, 321, 543] },
  { id: 'F4', p: conv1({ padding: 'same', strides: [2] }), shape: [5, 1], x: X5, kernel: K3, want: [210, 432, 54] },
  { id: 'T1', p: tconv1({}), shape: [3, 1], x: X3, kernel: K3, want: [1, 10, 102, 20, 203, 30, 300] },
  { id: 'T2', p: tconv1({ outputPadding: [1] }), shape: [3, 1], x: X3, kernel: K3, want: [1, 10, 102, 20, 203, 30, 300, 0] },
  { id: 'T3', p: tconv1({ padding: 'same' }), shape: [3, 1], x: X3, kernel: K3, want: [1, 10, 102, 20, 203, 30] },
  { id: 'T3 (op=1)', p: tconv1({ padding: 'same', outputPadding: [1] }), shape: [3, 1], x: X3, kernel: K3, want: [1, 10, 102, 20, 203, 30] },
  { id: 'T4', p: tconv1({ padding: 'same', outputPadding: [0] }), shape: [3, 1], x: X3, kernel: K3, want: [10, 102, 20, 203, 30] },
  { id: 'T5', p: tconv1({ padding: 'same', kernelSize: [4] }), shape: [3, 1], x: X3, kernel: [1, 10, 100, 1000], want: [10, 102, 1020, 203, 2030, 300] },
  { id: 'T6', p: tconv1({ strides: [1], dilationRate: [2] }), shape: [3, 1], x: X3, kernel: K3, want: [1, 2, 13, 20, 130, 200, 300] },
  {
    id: 'D1',
    p: base('depthwise', 1, { kernelSize: [2], depthMultiplier: 2 }),
    shape: [3, 2],
    x: [1, 2, 3, 4, 5, 6],
    // W[t, c, m]: W[:, 0, :] = [[1, 2], [3, 4]], W[:, 1, :] = [[10, 20], [30, 40]]
    kernel: [1, 2, 10, 20, 3, 4, 30, 40],
    want: [10, 14, 140, 200, 18, 26, 220, 320]
  }
]

describe('§13 test vectors', () => {
  it.each(VECTORS.map((v) => [v.id, v] as const))('%s: the oracle, and compileConvNd on every backend', (_id, v) => {
    const g = geometryOf(v.p, v.shape)
    expect(Array.from(convNdReference(g, 1, f64(v.x), f64(v.kernel), undefined))).toEqual(v.want)
    for (const options of BACKENDS) {
      const { out, name } = runCompiled(g, 1, f64(v.x), f64(v.kernel), undefined, options)
      expect(Array.from(out), `${JSON.stringify(options)} ${name}`).toEqual(v.want)
    }
  })

  it('S1: DepthwiseConv1D (D1) then a pointwise rank-1 conv gives [13, 23.12]', () => {
    const gd = geometryOf(base('depthwise', 1, { kernelSize: [2], depthMultiplier: 2 }), [3, 2])
    const gp = geometryOf(pointwiseParams(1, 'channels_last', 1), gd.outputShape)
    const x = f64([1, 2, 3, 4, 5, 6])
    const dw = f64([1, 2, 10, 20, 3, 4, 30, 40])
    const pw = f64([1, 0.1, 0.01, 0.001])
    const y = convNdReference(gp, 1, convNdReference(gd, 1, x, dw, undefined), pw, undefined)
    expect(Array.from(y).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([13, 23.12])
    for (const options of BACKENDS) {
      const z = runCompiled(gd, 1, x, dw, undefined, options).out
      const { out } = runCompiled(gp, 1, z, pw, undefined, options)
      expect(Math.abs((out[0] as number) - 13)).toBeLessThan(1e-5)
      expect(Math.abs((out[1] as number) - 23.12)).toBeLessThan(1e-5)
    }
  })
})

// -------------------------------------------------------------------------------------
// Keras 3.15 golden fixtures
// -------------------------------------------------------------------------------------

const MEMBERS: ReadonlyArray<readonly [string, ConvNdKind | 'separable', ConvRank]> = [
  ['Conv1D', 'conv', 1],
  ['Conv3D', 'conv', 3],
  ['Conv1DTranspose', 'transpose', 1],
  ['Conv2DTranspose', 'transpose', 2],
  ['Conv3DTranspose', 'transpose', 3],
  ['DepthwiseConv1D', 'depthwise', 1],
  ['DepthwiseConv2D', 'depthwise', 2],
  ['SeparableConv1D', 'separable', 1],
  ['SeparableConv2D', 'separable', 2]
]

const ACTIVATIONS: Readonly<Record<string, (v: number) => number>> = {
  linear: (v) => v,
  relu: (v) => Math.max(0, v),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v))
}

/** One conv step of a fixture: its geometry, kernel and bias. */
interface Step {
  readonly g: ConvNdGeometry
  readonly kernel: Float32Array
  readonly bias: Float32Array | undefined
}

/** A fixture case as one or two conv steps (separable: depthwise, then pointwise with the bias). */
const stepsOf = (c: ConvFamilyCase, kind: ConvNdKind | 'separable', rank: ConvRank): ReadonlyArray<Step> => {
  const config = layerConfig(c, 0) ?? {}
  const weights = caseWeights(c)
  const inputShape = c.input.shape.slice(1)
  if (kind !== 'separable') {
    const g = geometryOf(paramsOfConfig(kind, rank, config), inputShape)
    return [{ g, kernel: weights[0]!, bias: weights[1] }]
  }
  const gd = geometryOf(paramsOfConfig('depthwise', rank, config), inputShape)
  const gp = geometryOf(pointwiseParams(rank, gd.dataFormat, config['filters'] as number), gd.outputShape)
  return [
    { g: gd, kernel: weights[0]!, bias: undefined },
    { g: gp, kernel: weights[1]!, bias: weights[2] }
  ]
}

/** max |got − keras| / (1 + |keras|), and max |got − keras|. */
const errors = (got: ArrayLike<number>, keras: Float32Array): { readonly rel: number; readonly abs: number } => {
  let rel = 0
  let abs = 0
  for (let i = 0; i < keras.length; i++) {
    const d = Math.abs((got[i] as number) - (keras[i] as number))
    rel = Math.max(rel, d / (1 + Math.abs(keras[i] as number)))
    abs = Math.max(abs, Number.isNaN(d) ? Infinity : d)
  }
  return { rel, abs }
}

/** Runs every case of a member through `run` (steps in order, then the activation); returns the worst errors and the counts. */
const overFixtures = (
  kind: ConvNdKind | 'separable',
  rank: ConvRank,
  member: string,
  run: (step: Step, batch: number, x: FloatArray) => FloatArray
): { readonly cases: number; readonly skipped: ReadonlyArray<string>; readonly rel: number; readonly abs: number; readonly worstCase: string } => {
  let rel = 0
  let abs = 0
  let worstCase = ''
  let cases = 0
  const skipped: string[] = []
  for (const c of memberCases(member)) {
    const activation = String(layerConfig(c, 0)?.['activation'] ?? 'linear')
    const act = ACTIVATIONS[activation]
    if (act === undefined) {
      skipped.push(`${c.id} (${activation})`)
      continue
    }
    const input = caseInput(c)
    const batch = input.shape[0]!
    let y: FloatArray = input.data
    for (const step of stepsOf(c, kind, rank)) y = run(step, batch, y)
    const got = Float64Array.from(y, act)
    const keras = caseOutput(c)
    expect(keras.data.length, c.id).toBe(got.length)
    const e = errors(got, keras.data)
    if (e.rel > rel) worstCase = c.id
    rel = Math.max(rel, e.rel)
    abs = Math.max(abs, e.abs)
    cases++
  }
  return { cases, skipped, rel, abs, worstCase }
}

describe('the oracle against the Keras 3.15 golden fixtures', () => {
  it.each(MEMBERS.map((m) => [m[0], m] as const))('%s', (_name, [member, kind, rank]) => {
    const r = overFixtures(kind, rank, member, (s, batch, x) => convNdReference(s.g, batch, x, s.kernel, s.bias))
    console.log(`oracle ${member}: ${r.cases} cases, ${r.skipped.length} skipped${r.skipped.length > 0 ? ` ${r.skipped.join(', ')}` : ''}; worst |d|/(1+|keras|) ${r.rel.toExponential(2)} (${r.worstCase}), max |d| ${r.abs.toExponential(2)}`)
    expect(r.cases).toBeGreaterThan(0)
    expect(r.rel).toBeLessThan(2e-6)
  })
})

describe('compileConvNd against the Keras 3.15 golden fixtures', () => {
  const configs: ReadonlyArray<readonly [string, ConvNdKernelOptions]> = [
    ['js float32', { backend: 'js' }],
    ['js float64', { backend: 'js', dtype: 'float64' }],
    ['wasm', { backend: 'wasm' }],
    ['wasm ×2', { backend: 'wasm', threads: 2, parallelMinMacs: 0 }]
  ]
  it.each(MEMBERS.map((m) => [m[0], m] as const))('%s', (_name, [member, kind, rank]) => {
    for (const [label, options] of configs) {
      const dtype: FloatDType = options.dtype ?? 'float32'
      const cast = (a: FloatArray): FloatArray => (dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a))
      const r = overFixtures(kind, rank, member, (s, batch, x) => {
        const c = compileConvNd(s.g, options)
        const out = dtype === 'float32' ? new Float32Array(batch * s.g.outputSize) : new Float64Array(batch * s.g.outputSize)
        c.run(batch, cast(x), cast(s.kernel), s.bias === undefined ? undefined : cast(s.bias), out)
        c.dispose()
        return out
      })
      console.log(`compileConvNd ${label} ${member}: ${r.cases} cases; worst |d|/(1+|keras|) ${r.rel.toExponential(2)} (${r.worstCase}), max |d| ${r.abs.toExponential(2)}`)
      expect(r.rel, label).toBeLessThan(2e-6)
    }
  })
})

// -------------------------------------------------------------------------------------
// every kind × rank × format × backend × threads against the oracle
// -------------------------------------------------------------------------------------

/** A deterministic small generator for the sweep's geometries. */
const rng = (seed: number) => {
  let s = seed >>> 0
  return (lo: number, hi: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return lo + (s % (hi - lo + 1))
  }
}

/** A valid random geometry of a kind, rank and format (strides × dilation both > 1 now and then: K3 ≥ 3.15 depthwise accepts them). */
const randomGeometry = (kind: ConvNdKind, rank: ConvRank, dataFormat: ConvNdParams['dataFormat'], seed: number): ConvNdGeometry => {
  const r = rng(seed)
  for (;;) {
    const kernelSize = Array.from({ length: rank }, () => r(1, 3))
    const strides = Array.from({ length: rank }, () => r(1, 3))
    // strides with dilation now and then (Keras rejects it for forward and transposed layers, K3 ≥ 3.15 accepts it for depthwise ones)
    const dilationRate = strides.some((s) => s > 1) && r(0, 2) !== 0 ? strides.map(() => 1) : Array.from({ length: rank }, () => (r(0, 3) === 0 ? 2 : 1))
    const paddings = kind === 'transpose' ? (['valid', 'same'] as const) : rank === 1 ? (['valid', 'same', 'causal'] as const) : (['valid', 'same'] as const)
    const padding = paddings[r(0, paddings.length - 1)]!
    const groups = kind === 'conv' ? r(1, 3) : 1
    const C = kind === 'conv' ? groups * r(1, 3) : r(1, 5)
    const spatial = Array.from({ length: rank }, () => r(1, 7))
    const p: ConvNdParams = {
      kind,
      rank,
      dataFormat,
      kernelSize,
      strides,
      dilationRate,
      padding,
      filters: groups * r(1, 5),
      groups,
      depthMultiplier: r(1, 3),
      outputPadding: kind === 'transpose' && r(0, 2) === 0 ? strides.map((s) => r(0, s - 1)) : null
    }
    const shape = dataFormat === 'channels_first' ? [C, ...spatial] : [...spatial, C]
    try {
      return geometryOf(p, shape)
    } catch {
      seed++
    }
  }
}

const KINDS: ReadonlyArray<ConvNdKind> = ['conv', 'depthwise', 'transpose']
const RANKS: ReadonlyArray<ConvRank> = [1, 2, 3]
const FORMATS = ['channels_last', 'channels_first'] as const
const SWEEP = KINDS.flatMap((kind) => RANKS.flatMap((rank) => FORMATS.map((format) => [`${kind} rank ${rank} ${format}`, kind, rank, format] as const)))

describe('compileConvNd against the oracle: every kind, rank and data format, on both backends, 1 and 2 threads, both dtypes', () => {
  it.each(SWEEP)('%s', (_label, kind, rank, format) => {
    const names = new Set<string>()
    for (let k = 0; k < 6; k++) {
      const seed = 1000 * k + 7 * RANKS.indexOf(rank) + 31 * KINDS.indexOf(kind) + (format === 'channels_first' ? 3 : 0)
      const g = randomGeometry(kind, rank, format, seed)
      const batch = 1 + (k % 3)
      for (const dtype of ['float32', 'float64'] as const) {
        const x = values(dtype, batch * g.inputSize, seed)
        const K = values(dtype, g.kernelShape.reduce((a, b) => a * b, 1), seed + 1)
        const b = k % 2 === 0 ? values(dtype, g.outChannels, seed + 2) : undefined
        for (const backend of ['js', 'wasm'] as const) {
          for (const threads of [1, 2]) {
            for (const transposed of kind === 'transpose' ? (['phases', 'spread'] as const) : (['phases'] as const)) {
              if (dtype === 'float64' && backend === 'wasm' && threads === 2) continue
              const { out, name } = runCompiled(g, batch, x, K, b, { dtype, backend, threads, parallelMinMacs: 0, transposed })
              names.add(name)
              const e = excess(g, batch, x, K, b, out, EPS[dtype])
              expect(e.worst, `${name} ${dtype} ${backend}×${threads} ${JSON.stringify(g)} at ${e.at}: got ${out[e.at]}, want ${e.want[e.at]}`).toBeLessThanOrEqual(0)
            }
          }
        }
      }
    }
    console.log(`${kind} rank ${rank} ${format}: ${[...names].sort().join(', ')}`)
  })
})

// -------------------------------------------------------------------------------------
// guarantees and special paths
// -------------------------------------------------------------------------------------

describe('compileConvNd: guarantees', () => {
  it('never writes its inputs, writes every output element, and reuses its scratch across batches, kernels and biases without stale values', () => {
    for (const [kind, rank, format] of SWEEP.map((s) => [s[1], s[2], s[3]] as const)) {
      const g = randomGeometry(kind, rank, format, 99 + rank)
      for (const backend of ['js', 'wasm'] as const) {
        const c = compileConvNd(g, { backend })
        // batches 3, 1, 2 (the scratch grows once, then serves smaller batches), two kernels and biases alternating
        const Ks = [values('float32', g.kernelShape.reduce((a, b) => a * b, 1), 5), values('float32', g.kernelShape.reduce((a, b) => a * b, 1), 6)]
        const bs = [values('float32', g.outChannels, 7), undefined]
        for (const [step, batch] of [3, 1, 2, 3].entries()) {
          const x = values('float32', batch * g.inputSize, 100 + step)
          const K = Ks[step % 2]!
          const b = bs[Math.floor(step / 2) % 2]
          const copies = [x.slice(), K.slice(), b?.slice()]
          const out = new Float32Array(batch * g.outputSize).fill(Number.NaN)
          c.run(batch, x, K, b, out)
          expect([x, K, b], `${c.name}: inputs untouched`).toEqual(copies)
          const e = excess(g, batch, x, K, b, out, EPS.float32)
          expect(e.worst, `${c.name} ${kind} rank ${rank} ${format} ${backend} step ${step}`).toBeLessThanOrEqual(0)
        }
        c.dispose()
        // still works after dispose
        const x = values('float32', g.inputSize, 1)
        const out = new Float32Array(g.outputSize)
        c.run(1, x, Ks[0]!, bs[0], out)
        expect(excess(g, 1, x, Ks[0]!, bs[0], out, EPS.float32).worst).toBeLessThanOrEqual(0)
      }
    }
  })

  it('rejects arrays of the wrong length with a RangeError', () => {
    const g = geometryOf(base('conv', 1, { filters: 2 }), [5, 1])
    const c = compileConvNd(g)
    const x = new Float32Array(5)
    const K = new Float32Array(6)
    expect(() => c.run(1, new Float32Array(4), K, undefined, new Float32Array(6))).toThrow(RangeError)
    expect(() => c.run(1, x, new Float32Array(5), undefined, new Float32Array(6))).toThrow(RangeError)
    expect(() => c.run(1, x, K, new Float32Array(1), new Float32Array(6))).toThrow(RangeError)
    expect(() => c.run(1, x, K, undefined, new Float32Array(5))).toThrow(RangeError)
    expect(() => c.run(0, new Float32Array(0), K, undefined, new Float32Array(0))).toThrow(RangeError)
  })
})

describe('compileConvNd: decompositions and special paths', () => {
  const check = (p: ConvNdParams, shape: ReadonlyArray<number>, namePart: string, options: ConvNdKernelOptions = {}): void => {
    const g = geometryOf(p, shape)
    const dtype = options.dtype ?? 'float32'
    const x = values(dtype, 2 * g.inputSize, 11)
    const K = values(dtype, g.kernelShape.reduce((a, b) => a * b, 1), 12)
    const b = values(dtype, g.outChannels, 13)
    const { out, name } = runCompiled(g, 2, x, K, b, options)
    expect(name).toContain(namePart)
    expect(excess(g, 2, x, K, b, out, EPS[dtype]).worst, name).toBeLessThanOrEqual(0)
  }
  const r3 = (over: Partial<ConvNdParams>): ConvNdParams => base('conv', 3, { kernelSize: [1, 3, 3], strides: [1, 1, 1], dilationRate: [1, 1, 1], filters: 4, ...over })

  it('rank 1 runs as one row; rank 2 as itself', () => {
    check(base('conv', 1, { padding: 'causal', filters: 3 }), [9, 2], 'rank1-row')
    check(base('conv', 2, { kernelSize: [2, 3], strides: [1, 1], dilationRate: [1, 1], filters: 3 }), [5, 6, 2], 'rank2')
  })

  it('a rank-3 layer with one depth tap, depth stride 1, channels_last, reads its input as N·D images (no copy)', () => {
    check(r3({}), [3, 5, 5, 2], 'rank3-slices')
    check(r3({ padding: 'same' }), [3, 5, 5, 2], 'rank3-slices')
    // channels_first, or a depth stride, folds
    check(r3({ dataFormat: 'channels_first' }), [2, 3, 5, 5], 'rank3-fold(Kd=1)')
    check(r3({ strides: [2, 1, 1] }), [3, 5, 5, 2], 'rank3-fold(Kd=1)')
  })

  it('rank 3 folds its depth taps into channels (grouped and depthwise included)', () => {
    check(r3({ kernelSize: [3, 2, 2], padding: 'same', groups: 2, filters: 4 }), [4, 3, 3, 4], 'rank3-fold(Kd=3)')
    check(base('depthwise', 3, { kernelSize: [2, 2, 2], strides: [2, 1, 1], dilationRate: [1, 1, 1], depthMultiplier: 2 }), [5, 4, 4, 3], 'rank3-fold(Kd=2)')
    check(base('depthwise', 3, { dataFormat: 'channels_first', kernelSize: [2, 2, 2], strides: [1, 1, 1], dilationRate: [2, 1, 1], depthMultiplier: 1 }), [3, 5, 4, 4], 'rank3-fold(Kd=2)')
  })

  it('transposed layers without strides: the convolution of the input padded by the 2-D kernel', () => {
    check(base('transpose', 2, { kernelSize: [3, 3], strides: [1, 1], dilationRate: [2, 1], padding: 'same', filters: 3 }), [4, 5, 2], 'rank2-transpose(padded)')
    check(base('transpose', 3, { kernelSize: [2, 3, 1], strides: [1, 1, 1], dilationRate: [1, 2, 1], padding: 'valid', filters: 3 }), [3, 4, 5, 2], 'rank3-fold(Kd=2)-transpose')
  })

  it('strided transposed layers by phases (the default), a phase per combination of residues', () => {
    const t2 = base('transpose', 2, { kernelSize: [3, 2], strides: [2, 1], dilationRate: [1, 1], padding: 'same', filters: 3 })
    check(t2, [4, 5, 2], 'rank2-transpose(phases×2)')
    check({ ...t2, dataFormat: 'channels_first' }, [2, 4, 5], 'rank2-transpose(phases×2)')
    check(base('transpose', 3, { kernelSize: [3, 3, 2], strides: [2, 1, 2], dilationRate: [1, 1, 1], padding: 'same', filters: 2, dataFormat: 'channels_first' }), [2, 3, 3, 4], 'rank3-transpose(phases×4)')
    // a kernel shorter than the stride: phases no tap reaches are the bias alone
    check(base('transpose', 1, { kernelSize: [1], strides: [3], filters: 2 }), [4, 3], 'rank1-transpose(phases×3)')
    check(base('transpose', 2, { kernelSize: [2, 1], strides: [3, 2], dilationRate: [1, 1], outputPadding: [2, 1], filters: 2 }), [3, 2, 3], 'rank2-transpose(phases×6)')
    // same, even window, output_padding 0: phases whose first output needs a negative pad compute one more and skip it
    check(base('transpose', 2, { kernelSize: [2, 4], strides: [2, 2], dilationRate: [1, 1], padding: 'same', outputPadding: [0, 0], filters: 3 }), [3, 4, 2], 'rank2-transpose(phases×4)')
    // 1×1 phases with padding run the tiled kernel (the pointwise kernels do not pad)
    check(base('transpose', 2, { kernelSize: [3, 3], strides: [3, 3], dilationRate: [1, 1], outputPadding: [2, 2], filters: 3 }), [2, 3, 2], 'rank2-transpose(phases×9) wasm-tiled', { backend: 'wasm' })
  })

  it('strided transposed layers spread into Z (asked for, or with a dilation: never in Keras)', () => {
    const spread: ConvNdKernelOptions = { transposed: 'spread' }
    check(base('transpose', 2, { kernelSize: [3, 2], strides: [2, 1], dilationRate: [1, 1], padding: 'same', filters: 3 }), [4, 5, 2], 'rank2-transpose(spread)', spread)
    check(base('transpose', 1, { kernelSize: [4], strides: [3], outputPadding: [2], filters: 2 }), [2, 6], 'rank1-transpose(spread)', { dtype: 'float64', transposed: 'spread' })
    check(base('transpose', 3, { kernelSize: [3, 3, 2], strides: [2, 1, 2], dilationRate: [1, 1, 1], padding: 'same', filters: 2, dataFormat: 'channels_first' }), [2, 3, 3, 4], 'rank3-fold(Kd=3)-transpose', spread)
    check(base('transpose', 2, { kernelSize: [3, 2], strides: [2, 1], dilationRate: [2, 1], padding: 'same', filters: 3 }), [4, 5, 2], 'rank2-transpose(spread)')
    // a dilation on an axis of stride 1 is that axis' one phase
    check(base('transpose', 2, { kernelSize: [3, 2], strides: [2, 1], dilationRate: [1, 2], padding: 'same', filters: 3 }), [4, 5, 2], 'rank2-transpose(phases×2)')
  })

  it('Winograd runs the 3×3 stride-1 transposed convolutions and 3×3 rank-3 slices it pays for', () => {
    const t = base('transpose', 2, { kernelSize: [3, 3], strides: [1, 1], dilationRate: [1, 1], padding: 'same', filters: 8 })
    // outputs 9 wide (5 tiles a row: wasm's Winograd needs 4, src/kernel/prepare.ts)
    check(t, [6, 9, 4], 'wasm-winograd', { backend: 'wasm' })
    check(t, [6, 9, 4], 'js-winograd', { backend: 'js' })
    check(r3({ filters: 8 }), [2, 6, 9, 4], 'rank3-slices wasm-winograd', { backend: 'wasm' })
  })

  it('a padding out of all proportion runs the direct 2-D kernel, whose bias is added here (both output layouts)', () => {
    check(base('conv', 1, { kernelSize: [2], dilationRate: [100000], padding: 'same', filters: 2 }), [3, 2], 'direct')
    check(base('conv', 3, { kernelSize: [2, 2, 2], strides: [1, 1, 1], dilationRate: [1, 100000, 1], padding: 'same', filters: 2, dataFormat: 'channels_first' }), [2, 2, 3, 2], 'direct')
  })
})
