/**
 * `npm run bench` (`-- --quick` for a short run): every case of bench/conv2d-cases.json, in one
 * process, on layerspec (plain-TS and WebAssembly SIMD backends, 1 and 2 threads, and the tiled
 * kernel where the selected path is another), @tensorflow/tfjs-backend-cpu, @tensorflow/tfjs-backend-wasm
 * (one thread) and onnxruntime-web (wasm, one thread). Same inputs and weights everywhere; every
 * engine's output is first checked against layerspec's, then warm calls are timed side by side (rounds
 * of samples over all engines, median per engine), each a
 * whole call from a JS Float32Array in to a JS Float32Array out (layerspec: the public `forward`,
 * copies into and out of wasm memory included; tfjs: tensor from the array, fused conv2d, dataSync;
 * onnxruntime: Tensor from the array, session.run). Prints a table and writes it to BENCHMARKS.md
 * (a `--quick` run only prints it).
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as ort from 'onnxruntime-web'
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import { fileURLToPath } from 'node:url'
import { decodeConv2D } from '../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'
import { formatErrors } from '../src/core/SpecError.js'
import { wasmScratch, type KernelPath } from '../src/kernel/prepare.js'
import { HAS_RELAXED_SIMD } from '../src/kernel/wasm/encoder.js'
import type { CompiledConv2D, CompileOptions, Conv2DParams } from '../src/conv/CompiledConv2D.js'
import { compileConv2D } from '../src/conv/compileConv2D.js'
import { withModelsSection } from './benchmarks-md.js'
import { conv2dOnnx } from './onnx.js'
import { mallocNote, withSteadyMalloc } from './malloc.js'

const quick = process.argv.includes('--quick')
/** `--case <name>`: only that case (a partial run prints its table and leaves BENCHMARKS.md alone). */
const only = ((i) => (i < 0 ? undefined : process.argv[i + 1]))(process.argv.indexOf('--case'))
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))

interface Case {
  readonly name: string
  readonly batch: number
  readonly input_shape: readonly [number, number, number]
  readonly config: Record<string, unknown>
}
const cases = (JSON.parse(readFileSync(here('./conv2d-cases.json'), 'utf8')) as { cases: Case[] }).cases

// -------------------------------------------------------------------------------------
// timing
// -------------------------------------------------------------------------------------

/** Each engine runs alone, untimed, for at least this long before its first timed sample. */
const WARM_MS = 250

/** Mean ms per call over `m` consecutive calls. */
const sample = async (call: () => unknown, m: number): Promise<number> => {
  const t = performance.now()
  for (let i = 0; i < m; i++) await call()
  return (performance.now() - t) / m
}

/**
 * Times engines side by side: after a warm-up of ≥ 250 ms per engine, rounds in which every engine runs one sample (a few
 * untimed calls to re-warm, then enough consecutive calls for ~15 ms), so that a disturbance of the
 * machine falls on all engines alike, in an order that turns from round to round; an
 * engine's figure is the median of its samples (9 rounds; 3 in quick mode). A full GC runs before
 * each sample where exposed.
 */
const timeSideBySide = async (engines: ReadonlyArray<Engine>, forceGc = true): Promise<Record<string, number>> => {
  const per: number[] = []
  for (const e of engines) {
    await e.before?.()
    // warm each engine alone for ≥ 250 ms (at least 2 calls) first: V8 runs a WebAssembly module on
    // its baseline compiler and tiers up after its first calls, and the 2-thread layer's module
    // (on shared memory) is its own module, so the 1-thread layer's calls do not warm it
    const t0 = performance.now()
    for (let n = 0; n < 2 || performance.now() - t0 < WARM_MS; n++) await e.call()
    per.push(Math.min(await sample(e.call, 1), await sample(e.call, 1)))
  }
  const samples: number[][] = engines.map(() => [])
  const rounds = quick ? 3 : 9
  const gc = forceGc ? (globalThis as { gc?: () => void }).gc : undefined
  for (let r = 0; r < rounds; r++) {
    // each round starts one engine further on, every other round in reverse order: what a position
    // in the round and a neighbour bring — the garbage of the engine before, the collector's state
    // after the forced GC — fall on every engine in turn (in a fixed order the second one-thread
    // layer, identical code, read 0.89× the first on mobilenet-stem)
    for (let i = 0; i < engines.length; i++) {
      const k = (r % 2 === 0 ? i + r : engines.length - 1 - i + r) % engines.length
      const e = engines[k] as Engine
      await e.before?.()
      // collect the garbage of the engines before (npm run bench passes --expose-gc), so that no
      // engine's sample pays for another's allocations, in the pause or in concurrent GC threads
      gc?.()
      // re-warm (a worker thread that slept during the other engines' samples, caches), then time
      const m = Math.max(1, Math.min(200, Math.round(15 / Math.max(per[k] as number, 0.01))))
      await sample(e.call, Math.max(2, Math.ceil(m / 4)))
      samples[k]?.push(await sample(e.call, m))
    }
  }
  const out: Record<string, number> = {}
  engines.forEach((e, k) => {
    const s = [...(samples[k] as number[])].sort((a, b) => a - b)
    out[e.name] = s[Math.floor(s.length / 2)] as number
  })
  return out
}

/** max |a − b| / (1 + |b|). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= worst)) worst = e
  }
  return worst
}

// -------------------------------------------------------------------------------------
// engines
// -------------------------------------------------------------------------------------

interface Engine {
  readonly name: string
  /** Makes the engine's runtime current (tfjs: its backend), outside the timed region. */
  readonly before?: () => Promise<unknown>
  readonly call: () => Float32Array | Promise<Float32Array>
  readonly dispose: () => void
}

const layerspecEngine = (name: string, spec: Conv2DSpec, c: Case, options: CompileOptions, params: Conv2DParams, x: Float32Array): Engine & { layer: CompiledConv2D } => {
  const r = compileConv2D(spec, c.input_shape, options)
  if (E.isLeft(r)) throw new Error(formatErrors(r.left))
  const layer = r.right
  const input = { shape: [c.batch, ...c.input_shape], data: x }
  return { name, layer, call: () => layer.forward(params, input).data as Float32Array, dispose: layer.dispose }
}

const tfjsEngine = (backend: 'cpu' | 'wasm', spec: Conv2DSpec, c: Case, layer: CompiledConv2D, params: Conv2DParams, x: Float32Array): Engine => {
  const g = layer.geometry
  const w = tf.tensor4d(params.kernel.data as Float32Array, [...g.kernelShape])
  const b = params.bias === undefined ? undefined : tf.tensor1d(params.bias.data as Float32Array)
  const cf = g.dataFormat === 'channels_first'
  const activation = spec.activation === 'relu' ? 'relu' : 'linear'
  const call = (): Float32Array => {
    const y = tf.tidy(() => {
      let t: tf.Tensor4D = tf.tensor4d(x, [c.batch, ...c.input_shape])
      if (cf) t = tf.transpose(t, [0, 2, 3, 1])
      let out = tf.fused.conv2d({
        x: t,
        filter: w,
        strides: [g.strideHeight, g.strideWidth],
        pad: spec.padding,
        dilations: [g.dilationHeight, g.dilationWidth],
        ...(b === undefined ? {} : { bias: b }),
        activation
      })
      if (cf) out = tf.transpose(out, [0, 3, 1, 2])
      return out
    })
    const d = y.dataSync() as Float32Array
    y.dispose()
    return d
  }
  return { name: `tfjs-${backend}`, before: () => tf.setBackend(backend), call, dispose: () => tf.dispose([w, ...(b === undefined ? [] : [b])]) }
}

const ortEngine = async (spec: Conv2DSpec, c: Case, layer: CompiledConv2D, params: Conv2DParams, x: Float32Array): Promise<Engine> => {
  const model = conv2dOnnx(
    layer.geometry,
    c.batch,
    params.kernel.data as Float32Array,
    params.bias?.data as Float32Array | undefined,
    spec.activation === 'relu' ? 'relu' : 'linear'
  )
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })
  const dims = [c.batch, ...c.input_shape]
  const call = async (): Promise<Float32Array> => {
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) })
    return (out['y'] as ort.Tensor).data as Float32Array
  }
  return { name: 'ort-wasm', call, dispose: () => void session.release() }
}

// -------------------------------------------------------------------------------------
// run
// -------------------------------------------------------------------------------------

interface Row {
  readonly name: string
  readonly mflop: number
  readonly kernel: string
  readonly ms: Readonly<Record<string, number>>
  readonly err: Readonly<Record<string, number>>
  readonly scratchMB: number
}

const seeded = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const main = async (): Promise<void> => {
  withSteadyMalloc()
  setThreadsCount(1)
  ort.env.wasm.numThreads = 1
  ort.env.logLevel = 'error'
  await import('@tensorflow/tfjs-backend-wasm')
  const rows: Row[] = []
  const extraRows: Array<{ case: string; name: string; ms: number; gflops: number }> = []
  for (const c of cases.filter((c) => only === undefined || c.name === only)) {
    const decoded = decodeConv2D(c.config)
    if (E.isLeft(decoded)) throw new Error(formatErrors(decoded.left))
    const spec = decoded.right
    const next = seeded(c.name.length * 7919 + 17)
    const n = c.batch * c.input_shape.reduce((a, b) => a * b, 1)
    const x = Float32Array.from({ length: n }, () => next() * 2 - 1)
    const ls = {
      js: (p: Conv2DParams) => layerspecEngine('js', spec, c, { backend: 'js' }, p, x),
      wasm1: (p: Conv2DParams) => layerspecEngine('wasm×1', spec, c, { backend: 'wasm', threads: 1 }, p, x),
      wasm2: (p: Conv2DParams) => layerspecEngine('wasm×2', spec, c, { backend: 'wasm', threads: 2 }, p, x)
    }
    const base = ls.wasm1(undefined as never)
    const params = base.layer.init(1)
    const g = base.layer.geometry
    const mflop = (2 * c.batch * g.macsPerSample) / 1e6
    // `wasm×1′`: the one-thread layer compiled a second time, timed like the others: the A/A control
    // (identical code, so its ratio to wasm×1 shows how far a ratio of two of these medians strays from 1)
    const engines: Engine[] = [ls.js(params), ls.wasm1(params), ls.wasm2(params), layerspecEngine('wasm×1′', spec, c, { backend: 'wasm', threads: 1 }, params, x)]
    const auto = base.layer.kernel
    if (!auto.endsWith('-tiled')) {
      engines.push(layerspecEngine('wasm-tiled×1', spec, c, { kernel: 'wasm-tiled' }, params, x))
      if (!quick) engines.push(layerspecEngine('js-tiled', spec, c, { kernel: 'js-tiled' }, params, x))
    }
    const expected = base.layer.forward(params, { shape: [c.batch, ...c.input_shape], data: x }).data
    // each tfjs engine's weights are created on its own backend, so no call moves data between backends
    await tf.setBackend('cpu')
    engines.push(tfjsEngine('cpu', spec, c, base.layer, params, x))
    await tf.setBackend('wasm')
    engines.push(tfjsEngine('wasm', spec, c, base.layer, params, x))
    engines.push(await ortEngine(spec, c, base.layer, params, x))
    const err: Record<string, number> = {}
    for (const e of engines) {
      await e.before?.()
      err[e.name] = relErr(await e.call(), expected)
    }
    const ms = await timeSideBySide(engines)
    // the thread pair again on its own, without the forced GC before each sample (see report)
    if (mflop >= 50) {
      const pair = engines.filter((e) => e.name === 'wasm×1' || e.name === 'wasm×2')
      const steady = await timeSideBySide(pair, false)
      for (const e of pair) ms[`${e.name} steady`] = steady[e.name] as number
    }
    for (const e of engines) e.dispose()
    base.dispose()
    for (const e of engines.filter((e) => e.name.endsWith('tiled×1') || e.name === 'js-tiled')) extraRows.push({ case: c.name, name: e.name, ms: ms[e.name] as number, gflops: mflop / (ms[e.name] as number) })
    // the selected wasm kernel's scratch on 2 threads: padded input + packed weights + output + each thread's fixed scratch
    const s = wasmScratch(auto.split('-')[1] as KernelPath, g, c.batch)
    const scratchMB = (s.paddedInput + s.packedWeights + s.output + 2 * s.perThread) / 2 ** 20
    rows.push({ name: c.name, mflop, kernel: auto, ms, err, scratchMB })
    console.error(`${c.name}: ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}`)
  }
  report(rows, extraRows)
}

// -------------------------------------------------------------------------------------
// report
// -------------------------------------------------------------------------------------

const geomean = (xs: ReadonlyArray<number>): number => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length)
const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '—')

const report = (rows: ReadonlyArray<Row>, extra: ReadonlyArray<{ case: string; name: string; ms: number; gflops: number }>): void => {
  const ms = (r: Row, k: string): number => r.ms[k] as number
  const ratios: ReadonlyArray<readonly [string, (r: Row) => number, string]> = [
    ['tfjs-cpu ÷ js', (r) => ms(r, 'tfjs-cpu') / ms(r, 'js'), 'plain-TS path vs @tensorflow/tfjs-backend-cpu (target: geomean ≥ 4.5, none < 3)'],
    ['tfjs-wasm ÷ wasm×1', (r) => ms(r, 'tfjs-wasm') / ms(r, 'wasm×1'), 'wasm SIMD, 1 thread, vs @tensorflow/tfjs-backend-wasm (target: geomean ≥ 1.5, none < 1)'],
    ['ort ÷ wasm×1', (r) => ms(r, 'ort-wasm') / ms(r, 'wasm×1'), 'wasm SIMD, 1 thread, vs onnxruntime-web wasm, 1 thread'],
    ['tfjs-wasm ÷ wasm×2', (r) => ms(r, 'tfjs-wasm') / ms(r, 'wasm×2'), 'wasm SIMD, 2 threads, vs @tensorflow/tfjs-backend-wasm'],
    ['wasm×1 ÷ wasm×2', (r) => ms(r, 'wasm×1') / ms(r, 'wasm×2'), '2 threads vs 1 (target ≥ 1.8 on cases of ≥ 50 MFLOP)'],
    ['wasm×1 ÷ wasm×2, every case', (r) => ms(r, 'wasm×1') / ms(r, 'wasm×2'), '2 threads vs 1 on every case (issue 12: two threads never slower than one)'],
    [
      'wasm×1 ÷ wasm×1′ (A/A control)',
      (r) => ms(r, 'wasm×1') / ms(r, 'wasm×1′'),
      'the same one-thread layer compiled twice and timed as two engines: identical code, so this row\'s spread (slowest and fastest) is how far from 1.0 a ratio of two medians of this bench reads by chance'
    ],
    [
      'wasm×1 ÷ wasm×2, steady',
      (r) => ms(r, 'wasm×1 steady') / ms(r, 'wasm×2 steady'),
      '2 threads vs 1 timed as a pair, without the forced GC before each sample (the collector\'s steady state: the garbage of earlier calls collected while these run)'
    ]
  ]
  const engines = ['js', 'wasm×1', 'wasm×2', 'tfjs-cpu', 'tfjs-wasm', 'ort-wasm']
  // (the every-case row is the wasm×1 ÷ wasm×2 column's summary: not a column of its own)
  const columns = ratios.filter((r) => !r[0].endsWith('every case'))
  const head = ['case', 'MFLOP', 'kernel', ...engines.flatMap((e) => [`${e} ms`, `${e} GFLOP/s`]), ...columns.map((r) => r[0]), 'scratch MiB']
  const lines: string[] = []
  lines.push(`| ${head.join(' | ')} |`)
  lines.push(`|${head.map(() => '---').join('|')}|`)
  for (const r of rows) {
    const cells = [r.name, f(r.mflop, 1), r.kernel, ...engines.flatMap((e) => [f(ms(r, e)), f(r.mflop / ms(r, e), 1)]), ...columns.map(([, fn]) => f(fn(r))), f(r.scratchMB)]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const summary: string[] = ['| ratio (peer time ÷ ours) | geometric mean | slowest case | what |', '|---|---|---|---|']
  for (const [name, fn, what] of ratios) {
    const threadsRow = name.startsWith('wasm×1 ÷ wasm×2') && !name.endsWith('every case')
    const subset = threadsRow ? rows.filter((r) => r.mflop >= 50) : rows
    // (a `--case` run of a small layer has no case of ≥ 50 MFLOP)
    if (subset.length === 0) {
      summary.push(`| ${name} (≥ 50 MFLOP) | – | no case of ≥ 50 MFLOP in this run | ${what} |`)
      continue
    }
    const vals = subset.map(fn)
    const worst = subset.reduce((a, b) => (fn(b) < fn(a) ? b : a))
    const best = subset.reduce((a, b) => (fn(b) > fn(a) ? b : a))
    const control = name.includes('A/A')
    summary.push(`| ${name}${threadsRow ? ' (≥ 50 MFLOP)' : ''} | ${f(geomean(vals))} | ${worst.name} ${f(fn(worst))}${control ? ` (fastest: ${best.name} ${f(fn(best))})` : ''} | ${what} |`)
  }
  const errLines = ['| case | ' + [...new Set(rows.flatMap((r) => Object.keys(r.err)))].join(' | ') + ' |']
  const errKeys = [...new Set(rows.flatMap((r) => Object.keys(r.err)))]
  errLines[0] = `| case | ${errKeys.join(' | ')} |`
  errLines.push(`|${['', ...errKeys].map(() => '---').join('|')}|`)
  for (const r of rows) errLines.push(`| ${r.name} | ${errKeys.map((k) => (r.err[k] === undefined ? '' : (r.err[k] as number).toExponential(1))).join(' | ')} |`)
  const extraLines = ['| case | kernel | ms | GFLOP/s |', '|---|---|---|---|', ...extra.map((e) => `| ${e.case} | ${e.name} | ${f(e.ms)} | ${f(e.gflops, 1)} |`)]
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const peakMiB = process.resourceUsage().maxRSS / 1024
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  const worstErr = Math.max(...rows.flatMap((r) => Object.values(r.err)))
  const md = [
    '# Benchmarks',
    '',
    `${when} · Node ${process.version} · ${mallocNote()} · ${cpu} × ${os.availableParallelism()} · relaxed-SIMD FMA ${HAS_RELAXED_SIMD ? 'on' : 'off (not validated by this runtime)'} · \`npm run bench${quick ? ' -- --quick' : ''}\``,
    '',
    'ms per call: median over 9 rounds in which every engine runs one sample of consecutive warm calls (~15 ms), so that a disturbance of the machine falls on all engines alike; each call goes from a JS Float32Array in to a JS Float32Array out (layerspec: the public `forward`, copies into and out of wasm memory included; tfjs: tensor from the array, `fused.conv2d`, `dataSync`; onnxruntime-web: `Tensor` from the array, `session.run`, wasm backend, 1 thread). GFLOP/s = 2·N·Ho·Wo·F·kh·kw·C/G ÷ time. `kernel` is the one layerspec selects; `js` is the plain-TypeScript backend, `wasm×k` WebAssembly SIMD on k threads. Ratios are a peer\'s time divided by ours (> 1: we are faster). Scratch: the selected wasm kernel\'s padded input + packed weights (Winograd: the transformed 4×4 weights, 16/9 of the kernel) + output + two threads\' fixed scratch (Winograd: 136 KB each at most, 192 KB past 128 channels).',
    '',
    ...summary,
    '',
    ...lines,
    '',
    'Other layerspec kernels on the cases whose selected path is not the tiled one:',
    '',
    ...extraLines,
    '',
    `Agreement with layerspec's wasm×1 output, max |a − b| / (1 + |b|) (largest: ${worstErr.toExponential(1)}):`,
    '',
    ...errLines,
    '',
    `Peak resident memory of the whole benchmark process (all engines): ${f(peakMiB, 0)} MiB.`,
    ''
  ].join('\n')
  console.log(md)
  // a quick run is a smoke test of the harness: it prints, and leaves BENCHMARKS.md to full runs
  // (the "Models" section written by `npm run bench:models` is kept)
  if (!quick && only === undefined) writeFileSync(here('../BENCHMARKS.md'), withModelsSection(here('../BENCHMARKS.md'), md))
  if (!(worstErr <= 1e-3)) {
    console.error(`an engine disagrees with layerspec: max relative error ${worstErr}`)
    process.exitCode = 1
  }
}

await main()
