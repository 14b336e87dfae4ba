/**
 * `npm run bench:dense` (`-- --quick` for a short run): the WebAssembly SIMD Dense kernels
 * (src/compiler/kernels/wasm-dense.ts) against TensorFlow.js on @tensorflow/tfjs-backend-wasm (one
 * thread, XNNPACK), on a Dense 784 → 512 (relu) → 512 (relu) → 10 MLP and a single Dense 1024 → 1024,
 * at batch 1 and 32. Engines, same weights and inputs everywhere:
 *
 * - `ours`: layerspec's public `compileModel(model, { backend: 'wasm', threads: 1 }).forward` — a
 *   call from a JS Float32Array in to a fresh Float32Array out (input copied into the arena, output
 *   copied out);
 * - `ours kernels`: only the Dense steps' `run` on the arena (no copies, no executor): the kernels'
 *   own GFLOP/s;
 * - `tfjs-layers`: tfjs-layers 4.22 `predict` of the same model (weights set from ours), `dataSync`;
 * - `tfjs matMul`: `tf.fused.matMul` per layer (bias and relu fused, as tfjs-layers' Dense does), `dataSync`.
 *
 * Outputs are checked first (max |a − b| / (1 + |b|) against `ours`; 0 is expected: XNNPACK's GEMM,
 * like ours, starts from the bias and adds the products in input order, mul then add). Each engine is warmed for at least
 * 250 ms (V8 tiers WebAssembly up after its first runs), then timed in rounds in which every engine
 * runs one sample (~15 ms of consecutive calls, a GC before each where exposed), so that a disturbance
 * of the machine falls on all engines alike; an engine's figure is its median sample (its best sample
 * too, the figure least disturbed by other load). Prints a table: ms per call, GFLOP/s
 * (2 · multiply-adds / time) and tfjs time ÷ ours (> 1: we are faster).
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import * as E from 'fp-ts/lib/Either.js'
import * as os from 'node:os'
import type { Graph } from '../src/compiler/Graph.js'
import { wasmDenseKernel } from '../src/compiler/kernels/wasm-dense.js'
import { lowerModel } from '../src/compiler/lower.js'
import type { Arena, KernelChoice } from '../src/compiler/StepKernel.js'
import { formatErrors } from '../src/core/SpecError.js'
import type { Tensor } from '../src/core/Tensor.js'
import { wasmApi } from '../src/kernel/wasm/api.js'
import { HAS_RELAXED_SIMD } from '../src/kernel/wasm/encoder.js'
import { layers, sequential } from '../src/model/builder.js'
import { compileModel } from '../src/model/compileModel.js'
import { mallocNote, withSteadyMalloc } from './malloc.js'

const quick = process.argv.includes('--quick')
const WARM_MS = 250
const ROUNDS = quick ? 3 : 11
const SAMPLE_MS = 15

// -------------------------------------------------------------------------------------
// cases
// -------------------------------------------------------------------------------------

interface Layer {
  readonly units: number
  readonly relu: boolean
}

interface Case {
  readonly name: string
  readonly input: number
  readonly layers: ReadonlyArray<Layer>
  readonly batch: number
}

const MLP: ReadonlyArray<Layer> = [
  { units: 512, relu: true },
  { units: 512, relu: true },
  { units: 10, relu: false }
]
const WIDE: ReadonlyArray<Layer> = [{ units: 1024, relu: false }]

const CASES: ReadonlyArray<Case> = [
  { name: 'MLP 784→512→512→10', input: 784, layers: MLP, batch: 1 },
  { name: 'MLP 784→512→512→10', input: 784, layers: MLP, batch: 32 },
  { name: 'Dense 1024→1024', input: 1024, layers: WIDE, batch: 1 },
  { name: 'Dense 1024→1024', input: 1024, layers: WIDE, batch: 32 }
]

const macs = (c: Case): number => {
  let k = c.input
  let total = 0
  for (const l of c.layers) {
    total += k * l.units
    k = l.units
  }
  return total * c.batch
}

// -------------------------------------------------------------------------------------
// timing
// -------------------------------------------------------------------------------------

interface Engine {
  readonly name: string
  readonly before?: () => Promise<unknown>
  readonly call: () => Float32Array | undefined
}

const gc = (globalThis as { gc?: () => void }).gc

/** Mean ms per call over calls for about `ms` milliseconds (at least `min` calls). */
const sample = (call: () => unknown, ms: number, min = 2): number => {
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (n < min || t - t0 < ms) {
    call()
    n++
    t = performance.now()
  }
  return (t - t0) / n
}

/** Per engine: the median sample (`ms`) and the best one (`best`: the figure least disturbed by other load on the machine). */
const timeSideBySide = async (engines: ReadonlyArray<Engine>): Promise<{ readonly ms: Record<string, number>; readonly best: Record<string, number> }> => {
  for (const e of engines) {
    await e.before?.()
    sample(e.call, WARM_MS, 5)
  }
  const samples: number[][] = engines.map(() => [])
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, e] of engines.entries()) {
      await e.before?.()
      gc?.()
      sample(e.call, 3, 2)
      samples[k]?.push(sample(e.call, SAMPLE_MS))
    }
  }
  const ms: Record<string, number> = {}
  const best: Record<string, number> = {}
  engines.forEach((e, k) => {
    const s = [...(samples[k] as number[])].sort((a, b) => a - b)
    ms[e.name] = s[Math.floor(s.length / 2)] as number
    best[e.name] = s[0] as number
  })
  return { ms, best }
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= worst)) worst = e
  }
  return worst
}

const seeded = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

// -------------------------------------------------------------------------------------
// engines
// -------------------------------------------------------------------------------------

const layerspecModel = (c: Case) => {
  const model = sequential(
    c.layers.map((l, i) => layers.dense({ name: `dense_${i}`, units: l.units, activation: l.relu ? 'relu' : 'linear' })),
    { input_shape: [c.input] }
  )
  if (E.isLeft(model)) throw new Error(formatErrors(model.left))
  return model.right
}

/** The Dense steps alone on an arena of their own: packed once, input in place, `run` per step. */
const kernelsEngine = (c: Case, params: ReadonlyArray<Tensor>, x: Float32Array): Engine => {
  const lowered = lowerModel(layerspecModel(c), undefined, 'float32')
  if (E.isLeft(lowered)) throw new Error(formatErrors(lowered.left))
  const graph: Graph = lowered.right
  const api = wasmApi
  if (api === undefined) throw new Error('no WebAssembly')
  const memory = new api.Memory({ initial: 1, maximum: 65536 })
  const choice: KernelChoice = { dtype: 'float32', backend: 'wasm', threads: 1, memory: () => memory }
  const kernels = graph.nodes.map((n) => {
    const k = wasmDenseKernel(n, graph, choice)
    if (k === undefined) throw new Error(`no wasm kernel for ${n.name}`)
    return k
  })
  // [packed weights per step | one buffer per value]
  let at = 0
  const wOff = kernels.map((k) => {
    const o = at
    at += Math.ceil(k.packedFloats / 16) * 16
    return o
  })
  const vOff = graph.values.map((v) => {
    const o = at
    at += Math.ceil((v.size * c.batch) / 16) * 16
    return o
  })
  memory.grow(Math.ceil((at * 4) / 65536))
  const arena: Arena = { dtype: 'float32', memory, view: () => new Float32Array(memory.buffer) }
  let p = 0
  graph.nodes.forEach((n, i) => {
    const ws = params.slice(p, p + n.weights.length)
    p += n.weights.length
    ;(kernels[i] as (typeof kernels)[number]).pack(ws, arena.view(), wOff[i] as number)
  })
  arena.view().set(x, vOff[graph.inputs[0] as number] as number)
  const ios = graph.nodes.map((n, i) => ({ inputs: n.inputs.map((v) => vOff[v] as number), output: vOff[n.output] as number, operands: [], weights: wOff[i] as number, scratch: -1 }))
  const out = graph.outputs[0] as number
  const outSize = (graph.values[out]?.size ?? 0) * c.batch
  return {
    name: 'ours kernels',
    call: () => {
      for (let i = 0; i < kernels.length; i++) kernels[i]?.run(arena, c.batch, ios[i] as (typeof ios)[number], [])
      return undefined
    },
    // for the check
    ...{ result: () => arena.view().slice(vOff[out] as number, (vOff[out] as number) + outSize) }
  } as Engine & { result: () => Float32Array }
}

const tfjsLayersEngine = (c: Case, params: ReadonlyArray<Tensor>, x: Float32Array): Engine => {
  const m = tfl.sequential()
  c.layers.forEach((l, i) => m.add(tfl.layers.dense({ ...(i === 0 ? { inputShape: [c.input] } : {}), units: l.units, activation: l.relu ? 'relu' : 'linear' })))
  m.setWeights(params.map((t) => tf.tensor(t.data as Float32Array, [...t.shape])))
  const input = tf.tensor2d(x, [c.batch, c.input])
  return {
    name: 'tfjs-layers',
    call: () => {
      const y = m.predict(input) as tf.Tensor
      const d = y.dataSync() as Float32Array
      y.dispose()
      return d
    }
  }
}

const tfjsMatMulEngine = (c: Case, params: ReadonlyArray<Tensor>, x: Float32Array): Engine => {
  const ws = c.layers.map((l, i) => ({
    w: tf.tensor2d(params[2 * i]?.data as Float32Array, [...(params[2 * i]?.shape ?? [])] as [number, number]),
    b: tf.tensor1d(params[2 * i + 1]?.data as Float32Array),
    relu: l.relu
  }))
  return {
    name: 'tfjs matMul',
    call: () => {
      const y = tf.tidy(() => {
        let h: tf.Tensor2D = tf.tensor2d(x, [c.batch, c.input])
        for (const l of ws) h = tf.fused.matMul({ a: h, b: l.w, bias: l.b, activation: l.relu ? 'relu' : 'linear' }) as tf.Tensor2D
        return h
      })
      const d = y.dataSync() as Float32Array
      y.dispose()
      return d
    }
  }
}

// -------------------------------------------------------------------------------------
// run
// -------------------------------------------------------------------------------------

const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '—')

const main = async (): Promise<void> => {
  withSteadyMalloc()
  setThreadsCount(1)
  await import('@tensorflow/tfjs-backend-wasm')
  await tf.setBackend('wasm')
  await tf.ready()
  const rows: string[] = []
  const names = ['ours', 'ours kernels', 'tfjs-layers', 'tfjs matMul']
  for (const c of CASES) {
    const model = layerspecModel(c)
    const compiled = compileModel(model, { backend: 'wasm', threads: 1 })
    if (E.isLeft(compiled)) throw new Error(formatErrors(compiled.left))
    const m = compiled.right
    const params = m.init(7)
    const next = seeded(c.batch * 31 + c.input)
    const x = Float32Array.from({ length: c.batch * c.input }, () => next() * 2 - 1)
    const inputs = [{ shape: [c.batch, c.input], data: x }]
    const ours: Engine = { name: 'ours', call: () => m.forward(params, inputs)[0]?.data as Float32Array }
    const kernels = kernelsEngine(c, params, x) as Engine & { result: () => Float32Array }
    const engines: Engine[] = [ours, kernels, tfjsLayersEngine(c, params, x), tfjsMatMulEngine(c, params, x)]
    const expected = ours.call() as Float32Array
    kernels.call()
    const err: Record<string, number> = { 'ours kernels': relErr(kernels.result(), expected) }
    for (const e of engines.slice(2)) err[e.name] = relErr(e.call() as Float32Array, expected)
    const { ms, best } = await timeSideBySide(engines)
    const mflop = (2 * macs(c)) / 1e6
    const kernelNames = [...new Set(m.plan?.steps.map((s) => s.kernel) ?? [])].join(', ')
    const cells = [
      c.name,
      String(c.batch),
      f(mflop, 2),
      ...names.flatMap((n) => [f(ms[n] as number, 4), f(mflop / (ms[n] as number), 1)]),
      f((ms['tfjs-layers'] as number) / (ms['ours'] as number)),
      f((ms['tfjs matMul'] as number) / (ms['ours'] as number)),
      f((ms['tfjs matMul'] as number) / (ms['ours kernels'] as number)),
      `${f(mflop / (best['ours kernels'] as number), 1)} / ${f(mflop / (best['tfjs matMul'] as number), 1)}`,
      f((best['tfjs-layers'] as number) / (best['ours'] as number)),
      Object.values(err)
        .map((e) => e.toExponential(0))
        .join(' / '),
      kernelNames
    ]
    rows.push(`| ${cells.join(' | ')} |`)
    console.error(`${c.name} batch ${c.batch}: ${names.map((n) => `${n} ${f(ms[n] as number, 4)} ms`).join(', ')}`)
  }
  const head = [
    'case',
    'batch',
    'MFLOP',
    ...names.flatMap((n) => [`${n} ms`, `${n} GFLOP/s`]),
    'tfjs-layers ÷ ours',
    'tfjs matMul ÷ ours',
    'tfjs matMul ÷ ours kernels',
    'best sample GFLOP/s: ours kernels / tfjs matMul',
    'best samples: tfjs-layers ÷ ours',
    'max rel. err (kernels / layers / matMul vs ours)',
    'kernels'
  ]
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(
    [
      `# Dense: layerspec wasm vs tfjs-backend-wasm`,
      '',
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · Node ${process.version} · ${mallocNote()} · ${cpu} × ${os.availableParallelism()} · relaxed-SIMD FMA ${HAS_RELAXED_SIMD ? 'on' : 'off'} · tfjs-backend-wasm 1 thread · warm-up ≥ ${WARM_MS} ms per engine · median of ${ROUNDS} side-by-side samples of ~${SAMPLE_MS} ms · load average ${os.loadavg()[0]?.toFixed(1)} at the end`,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
      ...rows
    ].join('\n')
  )
}

await main()
