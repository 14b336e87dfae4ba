/**
 * `npm run bench:train` (`node --expose-gc --import tsx bench/train.bench.ts`; `-- --quick` for a
 * short run, `-- --tfjs-batch N` for TensorFlow.js's batch, default 16): the convolutions of the Keras
 * MNIST convnet (examples/models/mnist-convnet.keras3.json: Conv2D 32 3×3 → MaxPool 2 → Conv2D 64 3×3
 * → …) at batch 128, forward and backward (input, filter and bias gradients of the pre-activation
 * output), per layer. Engines, same inputs, weights and output gradients everywhere:
 *
 * - `forward`: the layer compiled by `compileConv2D` (fast kernel, `auto`), linear activation;
 * - `naive vjp`: `convVjp` (src/train/vjp/conv.ts, the one-pass loop, the oracle);
 * - `fast vjp`: `compileConvVjp` (src/train/vjp/convFast.ts) on wasm with 1 and 2 threads, with the
 *   GEMM filter gradient instead of the direct one, and on js; `fast dW + db only`: its `weightGrads`
 *   (a first layer, whose input needs no gradient);
 * - `tfjs`: `tf.grads((x, w, b) => conv2d(x, w) + b)` on @tensorflow/tfjs-backend-cpu with the output
 *   gradient given (forward included, as in a training step), `dataSync` on every gradient. One call
 *   at batch 128 takes seconds, so it runs at `--tfjs-batch` (16) and its time is scaled by 128 / 16
 *   (the CPU kernels' time is linear in the batch).
 *
 * Results are checked first (max |a − b| / (1 + max|b|) against the oracle, per gradient). Each engine
 * is warmed for at least 250 ms, then timed in rounds in which every engine runs one sample (≥ 15 ms of
 * consecutive calls, a GC before each), so a disturbance of the machine falls on all engines alike; an
 * engine's figure is its median sample. Prints ms per call, GFLOP/s of the backward (2 · multiply-adds
 * of the input and filter gradients / time) and the ratios (> 1: the fast path is faster).
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
// tfjs-layers registers tfjs-core's gradients (tfjs-core alone has none)
import * as tfl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { replaceSection } from './benchmarks-md.js'
import { decodeConv2D } from '../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'
import { formatErrors, type SpecError } from '../src/core/SpecError.js'
import type { ConvGeometry } from '../src/geometry/ConvGeometry.js'
import { disposeThreads } from '../src/kernel/threads.js'
import { compileConv2D } from '../src/conv/compileConv2D.js'
import type { FloatArray } from '../src/numerics/FloatArray.js'
import { convVjp } from '../src/train/vjp/conv.js'
import { decodeModelFile } from '../src/model/decodeModel.js'
import { encodeModel } from '../src/model/encodeModel.js'
import { compileTrainer } from '../src/train/Trainer.js'
import { compileConvVjp } from '../src/train/vjp/convFast.js'
import { mallocNote, withSteadyMalloc } from './malloc.js'

withSteadyMalloc()

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const argValue = (name: string, fallback: number): number => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const BATCH = argValue('--batch', 128)
const TFJS_BATCH = Math.min(BATCH, argValue('--tfjs-batch', 16))
const WARM_MS = 250
const ROUNDS = quick ? 3 : 7
const SAMPLE_MS = 15
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined)

await tf.setBackend('cpu')
await tf.ready()

const unwrap = <A>(e: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(e)) throw new Error(formatErrors(e.left))
  return e.right
}

// -------------------------------------------------------------------------------------
// the model's convolutions
// -------------------------------------------------------------------------------------

interface LayerCase {
  readonly name: string
  readonly spec: Conv2DSpec
  readonly shape: readonly [number, number, number]
}

interface KerasLayer {
  readonly class_name: string
  readonly config: Record<string, unknown>
}

/** The Conv2D layers of the model file and their input shapes (channels_last; MaxPooling2D 'valid'). */
const convLayers = (): ReadonlyArray<LayerCase> => {
  const model = JSON.parse(readFileSync(new URL('../examples/models/mnist-convnet.keras3.json', import.meta.url), 'utf8')) as {
    readonly config: { readonly layers: ReadonlyArray<KerasLayer> }
  }
  const out: LayerCase[] = []
  let shape: [number, number, number] = [0, 0, 0]
  for (const l of model.config.layers) {
    const c = l.config
    if (l.class_name === 'InputLayer') {
      const s = c['batch_shape'] as ReadonlyArray<number>
      shape = [s[1] as number, s[2] as number, s[3] as number]
    } else if (l.class_name === 'Conv2D') {
      const spec = unwrap(decodeConv2D({ ...c, activation: 'linear' }))
      out.push({ name: `${String(c['name'])} ${spec.filters} ${spec.kernelSize.join('×')} on ${shape.join('×')}`, spec, shape })
      const g = unwrap(compileConv2D(spec, shape)).geometry
      shape = [g.outHeight, g.outWidth, g.outChannels]
    } else if (l.class_name === 'MaxPooling2D') {
      const p = c['pool_size'] as readonly [number, number]
      const s = (c['strides'] as readonly [number, number] | null) ?? p
      shape = [Math.floor((shape[0] - p[0]) / s[0]) + 1, Math.floor((shape[1] - p[1]) / s[1]) + 1, shape[2]]
    }
  }
  return out
}

// -------------------------------------------------------------------------------------
// timing
// -------------------------------------------------------------------------------------

interface Engine {
  readonly name: string
  /** Runs one call. */
  readonly call: () => void
  /** Multiplies the measured time (tfjs at a smaller batch). */
  readonly scale: number
  reps: number
  readonly samples: number[]
}

const engine = (name: string, call: () => void, scale = 1): Engine => ({ name, call, scale, reps: 1, samples: [] })

/** Warms each engine ≥ 250 ms (and sizes its sample to ≥ 15 ms), then times them in interleaved rounds. */
const timeAll = (engines: ReadonlyArray<Engine>): void => {
  for (const e of engines) {
    const t0 = performance.now()
    let calls = 0
    while (performance.now() - t0 < WARM_MS || calls < 1) {
      e.call()
      calls++
    }
    const per = (performance.now() - t0) / calls
    e.reps = Math.max(1, Math.ceil(SAMPLE_MS / per))
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of engines) {
      gc()
      const t0 = performance.now()
      for (let k = 0; k < e.reps; k++) e.call()
      e.samples.push(((performance.now() - t0) / e.reps) * e.scale)
    }
  }
}

const median = (a: ReadonlyArray<number>): number => {
  const s = [...a].sort((x, y) => x - y)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

// -------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------

const random = (n: number, seed: number): Float32Array => {
  const out = new Float32Array(n)
  let s = seed | 0
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  }
  return out
}

/** max |a − b| / (1 + max |b|). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0
  let m = 0
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)))
    m = Math.max(m, Math.abs(b[i] as number))
  }
  return d / (1 + m)
}

// -------------------------------------------------------------------------------------
// run
// -------------------------------------------------------------------------------------

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2))
/** Thousands separated, for the tfjs figures in the table. */
const fmtBig = (ms: number): string => (ms >= 1000 ? Math.round(ms).toLocaleString('en-US') : fmt(ms))
/** The "Training" section of BENCHMARKS.md, filled as the run goes. */
const mdTables: string[] = []
let worstCheck = 0

console.log(`MNIST convnet convolutions, batch ${BATCH} (tfjs-backend-cpu at batch ${TFJS_BATCH}, scaled), medians of ${ROUNDS} rounds; node ${process.version}`)

for (const layer of convLayers()) {
  const compiled = (threads: number) => unwrap(compileConv2D(layer.spec, layer.shape, { threads }))
  const fwd1 = compiled(1)
  const fwd2 = compiled(2)
  const g: ConvGeometry = fwd1.geometry
  const x = random(BATCH * g.inputSize, 1)
  const w = random(g.kernelHeight * g.kernelWidth * g.inChannelsPerGroup * g.outChannels, 2).map((v) => v * 0.2)
  const b = random(g.outChannels, 3)
  const dy = random(BATCH * g.outputSize, 4)
  const xT = { shape: [BATCH, ...g.inputShape], data: x }
  const params = { kernel: { shape: g.kernelShape, data: w }, bias: { shape: [g.outChannels], data: b } }
  const fast1 = compileConvVjp(g, { threads: 1 })
  const fast2 = compileConvVjp(g, { threads: 2 })
  const fastJs = compileConvVjp(g, { backend: 'js' })
  const fastGemm = compileConvVjp(g, { filterKernel: 'gemm' })

  // checks: each fast path against the oracle; tfjs against the oracle on its batch
  const want = convVjp(g, BATCH, x, w, dy, true)
  for (const [name, v] of [
    ['fast wasm', fast1],
    ['fast wasm 2 threads', fast2],
    ['fast js', fastJs],
    ['fast wasm, GEMM filter gradient', fastGemm]
  ] as const) {
    const r = v.run(BATCH, x, w, dy, true)
    worstCheck = Math.max(worstCheck, relErr(r.dx, want.dx), relErr(r.dw, want.dw))
    console.log(
      `  check ${name} (${v.name}): dx ${relErr(r.dx, want.dx).toExponential(1)}, dw ${relErr(r.dw, want.dw).toExponential(1)}, db ${relErr(r.db as FloatArray, want.db as Float64Array).toExponential(1)}`
    )
  }
  const xTf = tf.tensor4d(x.subarray(0, TFJS_BATCH * g.inputSize), [TFJS_BATCH, ...g.inputShape] as [number, number, number, number])
  const wTf = tf.tensor4d(w, [...g.kernelShape] as [number, number, number, number])
  const bTf = tf.tensor1d(b)
  const dyTf = tf.tensor4d(dy.subarray(0, TFJS_BATCH * g.outputSize), [TFJS_BATCH, ...g.outputShape] as [number, number, number, number])
  const pad = layer.spec.padding
  const stride: [number, number] = [layer.spec.strides[0], layer.spec.strides[1]]
  const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.add(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, stride, pad), bs))
  const tfjsCall = (): ReadonlyArray<Float32Array> =>
    tf.tidy(() => grads([xTf, wTf, bTf], dyTf).map((t) => t.dataSync() as Float32Array)) as unknown as ReadonlyArray<Float32Array>
  {
    const [dxT, dwT, dbT] = tfjsCall() as [Float32Array, Float32Array, Float32Array]
    const small = convVjp(g, TFJS_BATCH, x.subarray(0, TFJS_BATCH * g.inputSize), w, dy.subarray(0, TFJS_BATCH * g.outputSize), true)
    console.log(
      `  check tfjs (batch ${TFJS_BATCH}): dx ${relErr(dxT, small.dx).toExponential(1)}, dw ${relErr(dwT, small.dw).toExponential(1)}, db ${relErr(dbT, small.db as Float64Array).toExponential(1)}`
    )
  }

  const engines = [
    engine('forward (1 thread)', () => void fwd1.forward(params, xT)),
    engine('forward (2 threads)', () => void fwd2.forward(params, xT)),
    engine('naive vjp', () => void convVjp(g, BATCH, x, w, dy, true)),
    engine('fast vjp wasm (1 thread)', () => void fast1.run(BATCH, x, w, dy, true)),
    engine('fast vjp wasm (2 threads)', () => void fast2.run(BATCH, x, w, dy, true)),
    engine('fast vjp wasm GEMM dW (1 thread)', () => void fastGemm.run(BATCH, x, w, dy, true)),
    engine('fast dW + db only (1 thread)', () => void fast1.weightGrads(BATCH, x, dy, true)),
    engine('fast vjp js', () => void fastJs.run(BATCH, x, w, dy, true)),
    engine(`tfjs forward + vjp (×${BATCH / TFJS_BATCH})`, () => void tfjsCall(), BATCH / TFJS_BATCH)
  ]
  timeAll(engines)
  const t = Object.fromEntries(engines.map((e) => [e.name, median(e.samples)]))
  const ms = (name: string): number => t[name] as number
  const flops = 2 * 2 * BATCH * g.macsPerSample
  console.log(`\n${layer.name}: forward ${(BATCH * g.macsPerSample / 1e6).toFixed(0)}M multiply-adds, backward (dx + dW) ${(2 * BATCH * g.macsPerSample / 1e6).toFixed(0)}M`)
  for (const e of engines) {
    const m = ms(e.name)
    const f = e.name.includes('vjp') && !e.name.startsWith('tfjs') ? flops : e.name.includes('only') ? flops / 2 : 0
    const gf = f > 0 ? `  ${(f / m / 1e6).toFixed(1)} GFLOP/s` : ''
    console.log(`  ${e.name.padEnd(32)} ${fmt(m).padStart(8)} ms${gf}`)
  }
  const fwd = ms('forward (1 thread)')
  const fwd2t = ms('forward (2 threads)')
  const naive = fwd + ms('naive vjp')
  const fast = fwd + ms('fast vjp wasm (1 thread)')
  const fast2t = fwd2t + ms('fast vjp wasm (2 threads)')
  const tfjsMs = ms(`tfjs forward + vjp (×${BATCH / TFJS_BATCH})`)
  console.log(`  forward + backward: naive ${fmt(naive)} ms, fast ${fmt(fast)} ms (2 threads ${fmt(fast2t)} ms), tfjs ${fmt(tfjsMs)} ms`)
  console.log(
    `  backward alone: naive / fast = ${(ms('naive vjp') / ms('fast vjp wasm (1 thread)')).toFixed(1)}x (2 threads ${(ms('naive vjp') / ms('fast vjp wasm (2 threads)')).toFixed(1)}x, js ${(ms('naive vjp') / ms('fast vjp js')).toFixed(1)}x)`
  )
  console.log(
    `  forward + backward: naive / fast = ${(naive / fast).toFixed(1)}x, tfjs / fast = ${(tfjsMs / fast).toFixed(1)}x (2 threads: ${(naive / fast2t).toFixed(1)}x, ${(tfjsMs / fast2t).toFixed(1)}x)\n`
  )
  const gflops = (name: string): string => (flops / ms(name) / 1e6).toFixed(1)
  mdTables.push(
    [
      `| ${layer.name} (${g.outChannels} ${g.kernelHeight}×${g.kernelWidth} on ${g.inputShape.join('×')}) | ms | |`,
      '|---|---:|---|',
      `| forward, 1 / 2 threads | ${fmt(fwd)} / ${fmt(fwd2t)} | |`,
      `| backward, naive | ${fmt(ms('naive vjp'))} | ${gflops('naive vjp')} GFLOP/s |`,
      `| backward, fast wasm, 1 / 2 threads | ${fmt(ms('fast vjp wasm (1 thread)'))} / ${fmt(ms('fast vjp wasm (2 threads)'))} | ${gflops('fast vjp wasm (1 thread)')} / ${gflops('fast vjp wasm (2 threads)')} GFLOP/s |`,
      `| backward, fast js | ${fmt(ms('fast vjp js'))} | ${gflops('fast vjp js')} GFLOP/s |`,
      `| forward + backward: naive / fast / tfjs-cpu | ${fmt(naive)} / ${fmt(fast)} / ${fmtBig(tfjsMs)} | tfjs ÷ fast ${(tfjsMs / fast).toFixed(0)}× |`
    ].join('\n')
  )
  for (const v of [fast1, fast2, fastJs, fastGemm]) v.dispose()
  fwd1.dispose()
  fwd2.dispose()
  tf.dispose([xTf, wTf, bTf, dyTf])
}
// -------------------------------------------------------------------------------------
// a whole training step
// -------------------------------------------------------------------------------------

/**
 * One Adam step of the whole model (sparse categorical crossentropy, batch BATCH): layerspec's
 * `Trainer.step` (1 and 2 threads) against tfjs-layers' `trainOnBatch` on tfjs-backend-cpu (at
 * TFJS_BATCH, scaled; issue 13 measured 45.6 s at batch 128). Weights: each engine's own seeded init.
 */
{
  const file = unwrap(decodeModelFile(JSON.parse(readFileSync(new URL('../examples/models/mnist-convnet.keras3.json', import.meta.url), 'utf8'))))
  const config = { loss: 'sparse_categorical_crossentropy', optimizer: 'adam' }
  const trainers = [1, 2].map((threads) => unwrap(compileTrainer(file.model, config, { threads })))
  const params = trainers[0]!.compiled.init(1)
  const images = (n: number): Float32Array => Float32Array.from({ length: n * 784 }, (_, i) => (Math.sin(i * 0.37) + 1) / 2)
  const labels = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i % 10)
  const batch = { x: [{ shape: [BATCH, 28, 28, 1], data: images(BATCH) }], y: [{ shape: [BATCH], data: labels(BATCH) }] }
  const states = trainers.map((t) => t.init(params))
  const tm = await tfl.models.modelFromJSON({ modelTopology: encodeModel(file.model, { dialect: 'keras2' }) as never })
  tm.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' })
  const tx = tf.tensor(images(TFJS_BATCH), [TFJS_BATCH, 28, 28, 1])
  const ty = tf.tensor(labels(TFJS_BATCH), [TFJS_BATCH])
  // trainOnBatch is async (its data checks await): one synchronous step instead, what it runs — the
  // training-mode forward, the loss, the gradients and Adam's update of every trainable weight
  const opt = tf.train.adam(0.001, 0.9, 0.999, 1e-7)
  const vars = tm.trainableWeights.map((w) => w.read() as tf.Variable)
  const oneHot = tf.oneHot(tf.tensor1d(labels(TFJS_BATCH), 'int32'), 10)
  const tfjsStep = (): void => {
    tf.tidy(() => {
      opt.minimize(
        () => {
          const p = tf.clipByValue(tm.apply(tx, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7)
          return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar
        },
        false,
        vars
      )
    })
  }
  void ty
  const engines = [
    engine('layerspec step (1 thread)', () => void trainers[0]!.step(states[0]!, batch)),
    engine('layerspec step (2 threads)', () => void trainers[1]!.step(states[1]!, batch)),
    engine(`tfjs trainOnBatch (×${BATCH / TFJS_BATCH})`, tfjsStep, BATCH / TFJS_BATCH)
  ]
  timeAll(engines)
  const t = Object.fromEntries(engines.map((e) => [e.name, median(e.samples)]))
  const one = t['layerspec step (1 thread)'] as number
  const two = t['layerspec step (2 threads)'] as number
  const tj = t[`tfjs trainOnBatch (×${BATCH / TFJS_BATCH})`] as number
  console.log(`whole model, one Adam step at batch ${BATCH} (sparse categorical crossentropy; tfjs: optimizer.minimize of the training-mode forward, what trainOnBatch runs):`)
  console.log(`  layerspec ${fmt(one)} ms (2 threads ${fmt(two)} ms), tfjs-cpu ${fmt(tj)} ms: tfjs / layerspec = ${(tj / one).toFixed(1)}x (2 threads ${(tj / two).toFixed(1)}x)`)
  mdTables.push(
    [
      `| whole model, one Adam step, batch ${BATCH} | ms |`,
      '|---|---:|',
      `| layerspec \`Trainer.step\`, 1 thread | ${fmt(one)} |`,
      `| layerspec, \`threads: 2\` | ${fmt(two)} |`,
      `| tfjs-cpu (\`optimizer.minimize\`, batch ${TFJS_BATCH} × ${BATCH / TFJS_BATCH}) | ${fmtBig(tj)} |`,
      `| **tfjs-cpu ÷ layerspec** | **${(tj / one).toFixed(0)}×** |`
    ].join('\n')
  )
  tf.dispose([tx, ty, oneHot])
  tm.dispose()
}
disposeThreads()

if (!args.includes('--no-write')) {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ')
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const command = `npm run bench:train${quick ? ' -- --quick' : ''}`
  const md = [
    '## Training',
    '',
    `${stamp} UTC · Node ${process.version} · ${mallocNote()} · ${cpu} × ${cpus().length} · \`${command}\` (${ROUNDS} rounds) · load average (1 min) ${loadavg()[0]!.toFixed(1)} at the end`,
    '',
    'The Keras MNIST convnet (`examples/models/mnist-convnet.keras3.json`), batch 128. Per convolution: its',
    'forward (`compileConv2D`), its backward through the one-pass loop (`convVjp`, the oracle) and through',
    '`compileConvVjp` (src/train/vjp/convFast.ts: input gradient as a transposed convolution on the fast',
    'kernels, filter gradient by a generated SIMD per-tap kernel), and the same forward + gradients through',
    `TensorFlow.js (\`tf.grads\` on tfjs-backend-cpu, at batch ${TFJS_BATCH} × ${BATCH / TFJS_BATCH}). Then one whole Adam step (training-mode`,
    "forward, sparse categorical crossentropy, gradients, update): `Trainer.step` against tfjs's",
    "`optimizer.minimize` of the model's training-mode forward (what `trainOnBatch` runs; issue 13 measured",
    `45.6 s for \`trainOnBatch\` at batch 128). Gradients checked first (max |a − b| / (1 + max |b|) ≤ ${worstCheck.toExponential(1)}`,
    'against the float64 oracle).',
    '',
    mdTables.join('\n\n')
  ].join('\n')
  const path = new URL('../BENCHMARKS.md', import.meta.url)
  writeFileSync(path, replaceSection(path.pathname, 'train', md))
  console.log('BENCHMARKS.md: "Training" section written')
}
