/**
 * `node --expose-gc --import tsx bench/wasm-ops.bench.ts [--quick] [--only <substring>]`: the non-GEMM
 * wasm kernels of src/compiler/kernels/wasm-ops.ts, one step on MobileNet-sized tensors, against the
 * reference kernel (the per-layer interpreter's TypeScript layer run on the arena: its allocation and
 * copy included, as the compiler without these kernels runs it) and against the matching
 * @tensorflow/tfjs-backend-wasm op (one thread, input resident in its heap as ours is in the arena;
 * the op plus disposing its result is timed, no upload or download on either side). Every engine is
 * warmed for at least 250 ms (V8's wasm tier-up), then rounds of samples over all engines give a
 * median per engine. Outputs are checked against the reference first.
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import type { Tensor } from '../src/core/Tensor.js'
import { KERNEL_FAMILIES } from '../src/compiler/kernels/index.js'
import { referenceKernel } from '../src/compiler/kernels/reference.js'
import { WASM_OP_FAMILIES } from '../src/compiler/kernels/wasm-ops.js'
import type { Arena, KernelChoice, KernelFactory, StepIO, StepKernel } from '../src/compiler/StepKernel.js'
import type { WasmMemory } from '../src/kernel/wasm/api.js'
import { floats, newMemory, oneNode, type OneNode, type TestStage } from '../spec/compiler/opsHarness.js'
import { withSteadyMalloc } from './malloc.js'

const quick = process.argv.includes('--quick')
const only = ((i) => (i < 0 ? undefined : process.argv[i + 1]))(process.argv.indexOf('--only'))

const WARM_MS = 250

interface Case {
  readonly name: string
  readonly className: string
  readonly config: Record<string, unknown>
  readonly shape: readonly [number, number, number]
  readonly inputs?: number
  /** Per-sample input shapes when they differ (Concatenate). */
  readonly shapes?: ReadonlyArray<readonly [number, number, number]>
  readonly stages?: ReadonlyArray<TestStage>
  readonly tfjs: (xs: ReadonlyArray<tf.Tensor4D>, w: ReadonlyArray<tf.Tensor1D>) => tf.Tensor
}

const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [112, 112, 32],
  [56, 56, 64],
  [7, 7, 1024]
]

const cases: Case[] = SHAPES.flatMap((shape): Case[] => {
  const s = shape.join('×')
  return [
    { name: `maxpool 2×2/2 valid ${s}`, className: 'MaxPooling2D', config: { pool_size: [2, 2] }, shape, tfjs: ([x]) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
    { name: `maxpool 3×3/2 same ${s}`, className: 'MaxPooling2D', config: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, shape, tfjs: ([x]) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
    { name: `avgpool 2×2/2 valid ${s}`, className: 'AveragePooling2D', config: { pool_size: [2, 2] }, shape, tfjs: ([x]) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
    { name: `relu6 ${s}`, className: 'ReLU', config: { max_value: 6 }, shape, tfjs: ([x]) => tf.relu6(x as tf.Tensor4D) },
    { name: `relu ${s}`, className: 'Activation', config: { activation: 'relu' }, shape, tfjs: ([x]) => tf.relu(x as tf.Tensor4D) },
    { name: `leaky_relu ${s}`, className: 'LeakyReLU', config: { negative_slope: 0.2 }, shape, tfjs: ([x]) => tf.leakyRelu(x as tf.Tensor4D, 0.2) },
    { name: `add ${s}`, className: 'Add', config: {}, shape, inputs: 2, tfjs: ([x, y]) => tf.add(x as tf.Tensor4D, y as tf.Tensor4D) },
    { name: `add+relu ${s}`, className: 'Add', config: {}, shape, inputs: 2, stages: [{ fn: { kind: 'clamp', lo: 0, hi: Infinity } }], tfjs: ([x, y]) => tf.relu(tf.add(x as tf.Tensor4D, y as tf.Tensor4D)) },
    {
      name: `batchnorm ${s}`,
      className: 'BatchNormalization',
      config: {},
      shape,
      tfjs: ([x], [g, b, m, v]) => tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3)
    },
    {
      name: `batchnorm+relu6 ${s}`,
      className: 'BatchNormalization',
      config: {},
      shape,
      stages: [{ fn: { kind: 'clamp', lo: 0, hi: 6 } }],
      tfjs: ([x], [g, b, m, v]) => tf.relu6(tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3))
    },
    { name: `global avgpool ${s}`, className: 'GlobalAveragePooling2D', config: {}, shape, tfjs: ([x]) => tf.mean(x as tf.Tensor4D, [1, 2]) },
    { name: `global maxpool ${s}`, className: 'GlobalMaxPooling2D', config: {}, shape, tfjs: ([x]) => tf.max(x as tf.Tensor4D, [1, 2]) },
    { name: `sigmoid ${s}`, className: 'Activation', config: { activation: 'sigmoid' }, shape, tfjs: ([x]) => tf.sigmoid(x as tf.Tensor4D) },
    { name: `concat(+32 ch) ${s}`, className: 'Concatenate', config: { axis: -1 }, shape, shapes: [shape, [shape[0], shape[1], 32]], tfjs: ([x, y]) => tf.concat([x as tf.Tensor4D, y as tf.Tensor4D], 3) },
    {
      name: `upsample 2×2 ${s}`,
      className: 'UpSampling2D',
      config: { size: [2, 2] },
      shape,
      tfjs: ([x]) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [shape[0] * 2, shape[1] * 2])
    }
  ]
})

/** A kernel and its arena, inputs in place. */
interface Bound {
  readonly kernel: StepKernel
  readonly call: () => void
  readonly output: () => Float32Array
}

const bind = (family: KernelFactory | 'reference', one: OneNode, weights: ReadonlyArray<Tensor>, data: ReadonlyArray<Float32Array>, batch: number): Bound | undefined => {
  let memory: WasmMemory | undefined
  const choice: KernelChoice = {
    dtype: 'float32',
    backend: 'wasm',
    threads: 1,
    memory: () => (memory ??= newMemory())
  }
  const kernel = family === 'reference' ? referenceKernel(one.node, one.graph) : family(one.node, one.graph, choice)
  if (kernel === undefined) return undefined
  const mem = choice.memory() as WasmMemory
  const sizes = one.inShapes.map((s) => batch * s.reduce((a, b) => a * b, 1))
  let at = Math.ceil(kernel.packedFloats / 16) * 16
  const offsets = sizes.map((n) => {
    const here = at
    at += Math.ceil(n / 16) * 16
    return here
  })
  const out = at
  at += Math.ceil((batch * one.outSize) / 16) * 16
  const need = at * 4
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536))
  const view = new Float32Array(mem.buffer)
  if (kernel.packedFloats > 0) kernel.pack(weights, view, 0)
  data.forEach((d, i) => view.set(d, offsets[i] as number))
  const arena: Arena = { dtype: 'float32', memory: mem, view: () => new Float32Array(mem.buffer) }
  const nIn = one.node.inputs.length
  const io: StepIO = { inputs: offsets.slice(0, nIn), output: out, operands: offsets.slice(nIn), weights: kernel.packedFloats > 0 ? 0 : -1, scratch: -1 }
  return {
    kernel,
    call: () => kernel.run(arena, batch, io, weights),
    output: () => new Float32Array(mem.buffer).slice(out, out + batch * one.outSize)
  }
}

const firstOf = (families: ReadonlyArray<KernelFactory>): KernelFactory => (node, graph, choice) => {
  for (const f of families) {
    const k = f(node, graph, choice)
    if (k !== undefined) return k
  }
  return undefined
}

/** ms per call: warm ≥ 250 ms, then `rounds` samples of ≈ 10 ms each per engine, interleaved; medians. */
const timeAll = (engines: ReadonlyArray<{ readonly name: string; readonly call: () => void }>): Record<string, number> => {
  const per: number[] = engines.map((e) => {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < WARM_MS) {
      e.call()
      n++
    }
    return (performance.now() - t0) / n
  })
  const rounds = quick ? 3 : 9
  const samples: number[][] = engines.map(() => [])
  const gc = (globalThis as { gc?: () => void }).gc
  for (let r = 0; r < rounds; r++) {
    engines.forEach((e, k) => {
      gc?.()
      const m = Math.max(3, Math.min(2000, Math.round(10 / Math.max(per[k] as number, 0.0005))))
      for (let i = 0; i < Math.ceil(m / 4); i++) e.call()
      const t = performance.now()
      for (let i = 0; i < m; i++) e.call()
      samples[k]?.push((performance.now() - t) / m)
    })
  }
  const out: Record<string, number> = {}
  engines.forEach((e, k) => {
    const s = [...(samples[k] as number[])].sort((a, b) => a - b)
    out[e.name] = s[Math.floor(s.length / 2)] as number
  })
  return out
}

const maxRelErr = (a: Float32Array, b: Float32Array): number => {
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    if (Number.isNaN(x) && Number.isNaN(y)) continue
    const e = Math.abs(x - y) / (1 + Math.abs(y))
    if (!(e <= worst)) worst = e
  }
  return worst
}

const main = async (): Promise<void> => {
  withSteadyMalloc()
  setThreadsCount(1)
  await import('@tensorflow/tfjs-backend-wasm')
  await tf.setBackend('wasm')
  const rows: string[] = []
  const ratios: Record<string, number[]> = {}
  for (const batch of quick ? [1] : [1, 8]) {
    for (const c of cases.filter((c) => only === undefined || c.name.includes(only))) {
      const one = oneNode(c.className, c.config, c.shapes ?? Array.from({ length: c.inputs ?? 1 }, () => c.shape), c.stages ?? [])
      const weights = one.weightShapes.map((s, i) => {
        const n = s.reduce((a, b) => a * b, 1)
        const d = floats(n, 100 + i, 1)
        // variance (last for BatchNormalization) positive
        if (c.className === 'BatchNormalization' && i === 3) for (let j = 0; j < n; j++) d[j] = Math.abs(d[j] as number) + 0.1
        return { shape: s, data: d }
      })
      const data = one.inShapes.map((s, i) => floats(batch * s.reduce((a, b) => a * b, 1), 7 + i, 8))
      const ref = bind('reference', one, weights, data, batch) as Bound
      const ours = bind(firstOf(WASM_OP_FAMILIES), one, weights, data, batch)
      const chosen = bind(firstOf(KERNEL_FAMILIES), one, weights, data, batch)
      if (ours === undefined) {
        rows.push(`| ${c.name} | ${batch} | (no wasm kernel) |`)
        continue
      }
      ref.call()
      ours.call()
      const want = ref.output()
      const err = maxRelErr(ours.output(), want)
      const xs = data.slice(0, one.node.inputs.length).map((d, i) => tf.tensor4d(d, [batch, ...((c.shapes?.[i] ?? c.shape) as [number, number, number])]))
      const ws = weights.map((w) => tf.tensor1d(w.data as Float32Array))
      const tfOut = tf.tidy(() => c.tfjs(xs, ws))
      const tfErr = maxRelErr(tfOut.dataSync() as Float32Array, want)
      tfOut.dispose()
      const engines = [
        { name: 'reference', call: ref.call },
        { name: 'wasm-ops', call: ours.call },
        ...(chosen !== undefined && chosen.kernel.name !== ours.kernel.name ? [{ name: 'chosen', call: chosen.call }] : []),
        {
          name: 'tfjs-wasm',
          call: () => {
            const y = tf.tidy(() => c.tfjs(xs, ws))
            y.dispose()
          }
        }
      ]
      const t = timeAll(engines)
      xs.forEach((x) => x.dispose())
      ws.forEach((w) => w.dispose())
      const r1 = (t['reference'] as number) / (t['wasm-ops'] as number)
      const r2 = (t['tfjs-wasm'] as number) / (t['wasm-ops'] as number)
      const kind = c.name.split(' ')[0] as string
      ;(ratios[kind] ??= []).push(r2)
      rows.push(
        `| ${c.name} | ${batch} | ${ours.kernel.name} | ${(t['wasm-ops'] as number).toFixed(4)} | ${(t['reference'] as number).toFixed(4)} | ${(t['tfjs-wasm'] as number).toFixed(4)} | ${r1.toFixed(1)} | ${r2.toFixed(2)} | ${err === 0 ? '0 (bitwise)' : err.toExponential(1)} | ${tfErr.toExponential(1)} |`
      )
      console.log(rows[rows.length - 1])
    }
  }
  console.log('\n| case | batch | kernel | wasm-ops ms | reference ms | tfjs-wasm ms | ref ÷ ours | tfjs-wasm ÷ ours | err vs ref | tfjs err vs ref |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
  const geo = (xs: ReadonlyArray<number>): number => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length)
  console.log('\ngeometric mean of tfjs-wasm ÷ ours per op:')
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k}: ${geo(v).toFixed(2)} (min ${Math.min(...v).toFixed(2)}, ${v.length} cases)`)
}

void main()
