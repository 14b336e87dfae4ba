/**
 * `npm run bench:family` (`node --expose-gc --import tsx bench/conv-family.bench.ts`; `npm run bench`
 * runs it after the Conv2D kernel bench; `--quick` for fewer rounds and no BENCHMARKS.md): a
 * performance sanity check of the convolution family's kernels (src/conv/kernel.ts `compileConvNd`)
 * on a few layer sizes, printed, never asserted: plain TS, WebAssembly SIMD on 1 and 2 threads (and,
 * for strided transposed layers, the spread-input decomposition against the default phases), the
 * oracle (src/conv/reference.ts, one call, small cases only), and @tensorflow/tfjs-backend-wasm (one
 * thread) where it has the op: conv1d, conv3d, conv2dTranspose, conv3dTranspose. Every engine's output
 * is checked against compileConvNd's first. Times are medians of warm whole calls (same inputs), each
 * engine warmed ≥ 250 ms, taken in rounds over all engines (a disturbance falls on all alike).
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as E from 'fp-ts/lib/Either.js'
import { compileConvNd, type ConvNdKernelOptions } from '../src/conv/kernel.js'
import { convNdReference } from '../src/conv/reference.js'
import { formatErrors } from '../src/core/SpecError.js'
import { convNdGeometry, type ConvNdGeometry, type ConvNdParams } from '../src/geometry/ConvNdGeometry.js'
import { disposeThreads } from '../src/kernel/threads.js'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { replaceSection } from './benchmarks-md.js'
import { mallocNote, withSteadyMalloc } from './malloc.js'

const quick = process.argv.includes('--quick')

interface Case {
  readonly name: string
  readonly batch: number
  readonly shape: ReadonlyArray<number>
  readonly p: ConvNdParams
  /** The tfjs-backend-wasm call of the same layer (NWC / NDHWC / NHWC inputs), if tfjs has one. */
  readonly tfjs?: (x: tf.Tensor, w: tf.Tensor, g: ConvNdGeometry, batch: number) => tf.Tensor
}

const P = (over: Partial<ConvNdParams> & Pick<ConvNdParams, 'kind' | 'rank' | 'kernelSize'>): ConvNdParams => {
  const ones = over.kernelSize.map(() => 1)
  return { dataFormat: 'channels_last', strides: ones, dilationRate: ones, padding: 'valid', filters: 1, groups: 1, depthMultiplier: 1, outputPadding: null, ...over }
}

const CASES: ReadonlyArray<Case> = [
  {
    name: 'Conv1D same k3 1024×64→64 b8',
    batch: 8,
    shape: [1024, 64],
    p: P({ kind: 'conv', rank: 1, kernelSize: [3], padding: 'same', filters: 64 }),
    tfjs: (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, 'same')
  },
  {
    name: 'Conv1D causal k5 d2 512×32→32 b8',
    batch: 8,
    shape: [512, 32],
    p: P({ kind: 'conv', rank: 1, kernelSize: [5], dilationRate: [2], padding: 'causal', filters: 32 }),
    // causal = left pad d·(k−1), then valid
    tfjs: (x, w) => tf.conv1d(tf.pad(x as tf.Tensor3D, [[0, 0], [8, 0], [0, 0]]), w as tf.Tensor3D, 1, 'valid', 'NWC', 2)
  },
  {
    name: 'Conv1D channels_first k3 s2 C32 L2048→64 b4',
    batch: 4,
    shape: [32, 2048],
    p: P({ kind: 'conv', rank: 1, kernelSize: [3], strides: [2], padding: 'same', filters: 64, dataFormat: 'channels_first' })
  },
  {
    name: 'Conv3D same k3 16×32×32×16→32 b1',
    batch: 1,
    shape: [16, 32, 32, 16],
    p: P({ kind: 'conv', rank: 3, kernelSize: [3, 3, 3], padding: 'same', filters: 32 }),
    tfjs: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, 'same')
  },
  {
    name: 'Conv3D valid k3 s2 17×33×33×8→16 b2',
    batch: 2,
    shape: [17, 33, 33, 8],
    p: P({ kind: 'conv', rank: 3, kernelSize: [3, 3, 3], strides: [2, 2, 2], filters: 16 }),
    tfjs: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 2, 'valid')
  },
  {
    name: 'Conv2DTranspose same k4 s2 16×16×64→32 b4',
    batch: 4,
    shape: [16, 16, 64],
    p: P({ kind: 'transpose', rank: 2, kernelSize: [4, 4], strides: [2, 2], padding: 'same', filters: 32 }),
    tfjs: (x, w, g, batch) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [batch, ...g.outputShape] as [number, number, number, number], 2, 'same')
  },
  {
    name: 'Conv2DTranspose valid k3 s2 32×32×32→16 b2',
    batch: 2,
    shape: [32, 32, 32],
    p: P({ kind: 'transpose', rank: 2, kernelSize: [3, 3], strides: [2, 2], filters: 16 }),
    tfjs: (x, w, g, batch) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [batch, ...g.outputShape] as [number, number, number, number], 2, 'valid')
  },
  {
    name: 'Conv2DTranspose same k3 s1 32×32×32→32 b2',
    batch: 2,
    shape: [32, 32, 32],
    p: P({ kind: 'transpose', rank: 2, kernelSize: [3, 3], padding: 'same', filters: 32 }),
    tfjs: (x, w, g, batch) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [batch, ...g.outputShape] as [number, number, number, number], 1, 'same')
  },
  {
    name: 'Conv3DTranspose same k3 s2 8×16×16×16→8 b1',
    batch: 1,
    shape: [8, 16, 16, 16],
    p: P({ kind: 'transpose', rank: 3, kernelSize: [3, 3, 3], strides: [2, 2, 2], padding: 'same', filters: 8 }),
    tfjs: (x, w, g, batch) => tf.conv3dTranspose(x as tf.Tensor5D, w as tf.Tensor5D, [batch, ...g.outputShape] as [number, number, number, number, number], 2, 'same')
  },
  {
    name: 'DepthwiseConv1D k5 m2 1024×64 b8',
    batch: 8,
    shape: [1024, 64],
    p: P({ kind: 'depthwise', rank: 1, kernelSize: [5], padding: 'same', depthMultiplier: 2 })
  },
  {
    name: 'DepthwiseConv2D k3 m2 s2 64×64×32 b4',
    batch: 4,
    shape: [64, 64, 32],
    p: P({ kind: 'depthwise', rank: 2, kernelSize: [3, 3], strides: [2, 2], padding: 'same', depthMultiplier: 2 }),
    tfjs: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')
  },
  {
    name: 'DepthwiseConv2D k3 64×64×32 b4',
    batch: 4,
    shape: [64, 64, 32],
    p: P({ kind: 'depthwise', rank: 2, kernelSize: [3, 3], padding: 'same' }),
    tfjs: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
  }
]

const seeded = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

/** Mean ms per call over `m` calls. */
const sample = (call: () => unknown, m: number): number => {
  const t = performance.now()
  for (let i = 0; i < m; i++) call()
  return (performance.now() - t) / m
}

/** Medians of rounds of samples over all engines, each warmed ≥ 250 ms first. */
const timeSideBySide = (engines: ReadonlyArray<{ readonly name: string; readonly call: () => unknown }>): Record<string, number> => {
  const per = engines.map((e) => {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < 250 || n < 2) {
      e.call()
      n++
    }
    return (performance.now() - t0) / n
  })
  const samples: number[][] = engines.map(() => [])
  const gc = (globalThis as { gc?: () => void }).gc
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    engines.forEach((e, k) => {
      gc?.()
      const m = Math.max(2, Math.min(200, Math.round(40 / Math.max(per[k]!, 0.01))))
      sample(e.call, 1)
      samples[k]!.push(sample(e.call, m))
    })
  }
  const out: Record<string, number> = {}
  engines.forEach((e, k) => {
    const s = [...samples[k]!].sort((a, b) => a - b)
    out[e.name] = s[Math.floor(s.length / 2)]!
  })
  return out
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)))
  return worst
}

const main = async (): Promise<void> => {
  withSteadyMalloc()
  setThreadsCount(1)
  await import('@tensorflow/tfjs-backend-wasm')
  await tf.setBackend('wasm')
  const lines: string[] = []
  const rows: string[] = []
  const ratios: number[] = []
  for (const c of CASES) {
    const ge = convNdGeometry(c.p, c.shape)
    if (E.isLeft(ge)) throw new Error(`${c.name}: ${formatErrors(ge.left)}`)
    const g = ge.right
    const next = seeded(c.name.length * 7919)
    const x = Float32Array.from({ length: c.batch * g.inputSize }, next)
    const K = Float32Array.from({ length: g.kernelShape.reduce((a, b) => a * b, 1) }, () => next() * 0.2)
    const b = Float32Array.from({ length: g.outChannels }, next)
    const engine = (name: string, options: ConvNdKernelOptions) => {
      const k = compileConvNd(g, options)
      const out = new Float32Array(c.batch * g.outputSize)
      return { name, kernel: k.name, call: () => (k.run(c.batch, x, K, b, out), out), dispose: k.dispose }
    }
    const engines = [engine('js', { backend: 'js' }), engine('wasm×1', { backend: 'wasm' }), engine('wasm×2', { backend: 'wasm', threads: 2 })]
    // strided transposed layers: the spread-input decomposition too (the default is by phases)
    const spread = c.p.kind === 'transpose' && c.p.strides.some((s) => s > 1)
    if (spread) engines.push(engine('spread×1', { backend: 'wasm', transposed: 'spread' }))
    const want = Float32Array.from(engines[1]!.call())
    const timed: Array<{ readonly name: string; readonly call: () => unknown }> = [...engines]
    const errs: string[] = engines.map((e) => `${e.name} ${relErr(e.call(), want).toExponential(1)}`)
    let tfjsDispose = (): void => undefined
    if (c.tfjs !== undefined) {
      const tfjs = c.tfjs
      const wT = tf.tensor(K, [...g.kernelShape])
      const bT = tf.tensor1d(b)
      const call = (): Float32Array => {
        const y = tf.tidy(() => tf.add(tfjs(tf.tensor(x, [c.batch, ...g.inputShape]), wT, g, c.batch), bT))
        const d = y.dataSync() as Float32Array
        y.dispose()
        return d
      }
      errs.push(`tfjs-wasm ${relErr(call(), want).toExponential(1)}`)
      timed.push({ name: 'tfjs-wasm', call })
      tfjsDispose = () => tf.dispose([wT, bT])
    }
    const mflop = (2 * c.batch * g.macsPerSample) / 1e6
    let oracle = '-'
    if (mflop < 60) {
      const t0 = performance.now()
      const y = convNdReference(g, c.batch, x, K, b)
      oracle = `${(performance.now() - t0).toFixed(0)} ms`
      errs.push(`oracle ${relErr(y, want).toExponential(1)}`)
    }
    const ms = timeSideBySide(timed)
    const fmt = (n: string): string => (ms[n] === undefined ? '-' : ms[n]!.toFixed(2))
    const line =
      `${c.name} (${mflop.toFixed(0)} MFLOP, ${engines[1]!.kernel}): js ${fmt('js')} | wasm×1 ${fmt('wasm×1')} | wasm×2 ${fmt('wasm×2')}${spread ? ` | spread×1 ${fmt('spread×1')} (${engines[3]!.kernel})` : ''} | tfjs-wasm ${fmt('tfjs-wasm')} ms` +
      (ms['tfjs-wasm'] === undefined ? '' : ` (tfjs ÷ wasm×1 ${(ms['tfjs-wasm'] / ms['wasm×1']!).toFixed(2)})`) +
      ` | oracle ${oracle} | errors vs wasm×1: ${errs.join(', ')}`
    console.log(line)
    lines.push(line)
    // a peer whose values disagree is timed but not compared (tfjs-backend-wasm's conv3dTranspose)
    const tfjsOk = c.tfjs !== undefined && errs.some((e) => e.startsWith('tfjs-wasm') && Number(e.split(' ')[1]) <= 1e-4)
    const ratio = ms['tfjs-wasm'] === undefined ? undefined : ms['tfjs-wasm'] / ms['wasm×1']!
    if (ratio !== undefined && tfjsOk) ratios.push(ratio)
    rows.push(
      `| ${c.name} | ${mflop.toFixed(0)} | ${engines[1]!.kernel} | ${fmt('js')} | ${fmt('wasm×1')} | ${fmt('wasm×2')} | ${fmt('tfjs-wasm')} | ${
        ratio === undefined ? '—' : tfjsOk ? ratio.toFixed(2) : `✗ (tfjs's values wrong: ${errs.find((e) => e.startsWith('tfjs-wasm'))?.split(' ')[1]})`
      } |`
    )
    engines.forEach((e) => e.dispose())
    tfjsDispose()
  }
  disposeThreads()
  const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
  const md = [
    '## Convolution family',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · Node ${process.version} · ${mallocNote()} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} · \`npm run bench:family\` (${quick ? 3 : 7} rounds) · load average (1 min) ${loadavg()[0]!.toFixed(1)} at the end`,
    '',
    "The family's kernels (`compileConvNd`, src/conv/kernel.ts: rank-1 views, rank-3 depth folding, transposed layers by phases, all on the 2-D kernels) against @tensorflow/tfjs-backend-wasm (1 thread: conv1d, conv3d, conv2dTranspose, conv3dTranspose, depthwiseConv2d, plus the bias), same inputs; ms per call, medians of rounds in which every engine runs (each warmed ≥ 250 ms). Every output is checked against wasm×1 first (max |a − b| / (1 + |b|) ≤ 1e-4, else the peer's ratio is left out).",
    '',
    `**tfjs-wasm ÷ wasm×1: geometric mean ${geomean.toFixed(2)} over ${ratios.length} cases** (slowest ${Math.min(...ratios).toFixed(2)})`,
    '',
    '| case | MFLOP | kernel | js ms | wasm×1 ms | wasm×2 ms | tfjs-wasm ms | tfjs-wasm ÷ wasm×1 |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
    ...rows
  ].join('\n')
  console.log(`\ntfjs-wasm ÷ wasm×1: geometric mean ${geomean.toFixed(2)} over ${ratios.length} cases`)
  if (!quick) {
    const path = new URL('../BENCHMARKS.md', import.meta.url).pathname
    writeFileSync(path, replaceSection(path, 'family', md))
    console.log('BENCHMARKS.md: "Convolution family" section written')
  }
}

void main()
