#!/usr/bin/env node
/**
 * The `layerspec` command line: `validate`, `summary`, `run`. The only impure edge of the library:
 * it reads files, prints, and sets the exit code (0 valid, 1 invalid, 2 unreadable or bad usage).
 * Everything it says comes from src/cli/report.ts; no stack trace ever reaches the user.
 */
import * as E from 'fp-ts/lib/Either.js'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { formatErrors } from '../core/SpecError.js'
import { uniformStream } from '../numerics/random.js'
import { compileModel, type CompiledModel, type ModelParams } from '../model/compileModel.js'
import type { Tensor } from '../core/Tensor.js'
import { loadTfjsWeights, readJsonFile } from './io.js'
import { check, fileReport, summaryText, validateText, showKerasShape, type Checked } from './report.js'
import { quoteText } from '../core/describe.js'

const USAGE = `usage:
  layerspec validate FILE... | -  [--json] [--input-shape H,W,C]
      check Keras / TensorFlow.js layer configs or model files (- reads stdin)
  layerspec summary FILE [--input-shape H,W,C]
      print the Keras-style model summary
  layerspec run MODEL.json [--seed N] [--batch N] [--input-shape H,W,C] [--profile] [--threads N] [--backend js|wasm|auto] [--no-rewrites]
      compile, load the weights the manifest names (else a seeded init), run on seeded random input;
      times the first call and, after a warm-up of at least 250 ms, the warm calls (median)
      --profile: also the compiler's plan (rewrites applied, memory) and the time of every step
      --threads, --backend: compileModel's options (default 1 thread, auto); --no-rewrites: compile without the graph rewrites
exit codes: 0 valid, 1 invalid, 2 unreadable file or bad usage`

interface Options {
  readonly json: boolean
  readonly inputShape: ReadonlyArray<number> | undefined
  readonly seed: number
  readonly batch: number
  readonly profile: boolean
  /** `run`'s compile options (undefined: compileModel's defaults). */
  readonly threads: number | undefined
  readonly backend: 'js' | 'wasm' | 'auto' | undefined
  readonly rewrites: boolean
  readonly files: ReadonlyArray<string>
}

class UsageError extends Error {}

const parseInt10 = (flag: string, v: string | undefined, min: number): number => {
  const n = Number(v)
  if (v === undefined || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} expects an integer ≥ ${min}, found ${v === undefined ? 'nothing' : quoteText(v)}`)
  return n
}

const parseArgs = (args: ReadonlyArray<string>): Options => {
  let json = false
  let inputShape: number[] | undefined
  let seed = 0
  let batch = 1
  let profile = false
  let threads: number | undefined
  let backend: Options['backend']
  let rewrites = true
  const files: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--json') json = true
    else if (a === '--input-shape') {
      const v = args[++i]
      const dims = (v ?? '').split(',').map((d) => Number(d.trim()))
      if (v === undefined || dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
        throw new UsageError(`--input-shape expects positive integers separated by commas (e.g. 28,28,1), found ${v === undefined ? 'nothing' : quoteText(v)}`)
      }
      inputShape = dims
    } else if (a === '--seed') seed = parseInt10('--seed', args[++i], -(2 ** 52))
    else if (a === '--batch') batch = parseInt10('--batch', args[++i], 1)
    else if (a === '--profile') profile = true
    else if (a === '--threads') {
      threads = parseInt10('--threads', args[++i], 1)
      if (threads > 64) throw new UsageError(`--threads expects an integer from 1 to 64, found ${threads}`)
    } else if (a === '--backend') {
      const v = args[++i]
      if (v !== 'js' && v !== 'wasm' && v !== 'auto') throw new UsageError(`--backend expects js, wasm or auto, found ${v === undefined ? 'nothing' : quoteText(v)}`)
      backend = v
    } else if (a === '--no-rewrites') rewrites = false
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${quoteText(a)}`)
    else files.push(a)
  }
  return { json, inputShape, seed, batch, profile, threads, backend, rewrites, files }
}

type Print = (s: string) => void

const validate = (o: Options, out: Print, err: Print): number => {
  if (o.files.length === 0) throw new UsageError('validate needs at least one FILE (or - for stdin)')
  let code = 0
  for (const file of o.files) {
    const json = readJsonFile(file)
    if (E.isLeft(json)) {
      if (o.json) out(JSON.stringify({ file, valid: false, errors: [{ path: '', message: json.left }], layers: [], output_shape: null, param_count: null }))
      else err(`layerspec: ${json.left}`)
      code = 2
      continue
    }
    const checked = check(json.right, o.inputShape)
    const report = fileReport(file, checked)
    out(o.json ? JSON.stringify(report) : validateText(report, checked))
    if (!report.valid) code = Math.max(code, 1)
  }
  return code
}

/** The one file of `summary` / `run`, checked; or the exit code after reporting why not (2 unreadable, 1 invalid). */
const checkOne = (o: Options, command: string, out: Print, err: Print): { readonly file: string; readonly checked: Checked } | number => {
  if (o.files.length !== 1) throw new UsageError(`${command} needs exactly one FILE`)
  const file = o.files[0] as string
  const json = readJsonFile(file)
  if (E.isLeft(json)) {
    err(`layerspec: ${json.left}`)
    return 2
  }
  const checked = check(json.right, o.inputShape)
  if (E.isLeft(checked)) {
    out(validateText(fileReport(file, checked), checked))
    return 1
  }
  return { file, checked: checked.right }
}

const summary = (o: Options, out: Print, err: Print): number => {
  const one = checkOne(o, 'summary', out, err)
  if (typeof one === 'number') return one
  const { file } = one
  const c = one.checked
  out(c.kind === 'model' ? summaryText(c.summary) : validateText(fileReport(file, E.right(c)), E.right(c)))
  return 0
}

const run = (o: Options, out: Print, err: Print): number => {
  const one = checkOne(o, 'run', out, err)
  if (typeof one === 'number') return one
  const { file, checked } = one
  if (checked.kind !== 'model') {
    err(`layerspec: ${file} is a single layer config; run needs a model file`)
    return 1
  }
  const mf = checked.file
  const tCompile = performance.now()
  const compiled = compileModel(mf.model, {
    ...(o.inputShape === undefined ? {} : { inputShapes: [o.inputShape] }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    ...(o.backend === undefined ? {} : { backend: o.backend }),
    rewrites: o.rewrites
  })
  const compileMs = performance.now() - tCompile
  if (E.isLeft(compiled)) {
    out(`${file}: cannot compile:\n${formatErrors(compiled.left).replace(/^/gm, '  ')}`)
    return 1
  }
  const model = compiled.right
  const loaded = loadTfjsWeights(file, mf, model)
  if (E.isLeft(loaded)) {
    out(`${file}: cannot load weights:\n${formatErrors(loaded.left).replace(/^/gm, '  ')}`)
    return 1
  }
  const params = loaded.right ?? model.init(o.seed)
  const next = uniformStream(o.seed)
  const inputs = model.inputShapes.map((s) => {
    const n = o.batch * s.reduce((a, b) => a * b, 1)
    const data = model.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = next()
    return { shape: [o.batch, ...s], data }
  })
  // the first call (weights packed, memory planned, WebAssembly on V8's baseline tier), then warm calls
  const t0 = performance.now()
  const outputs = model.forward(params, inputs)
  const firstMs = performance.now() - t0
  const warm = warmCalls(() => model.forward(params, inputs))
  out(`${file}: ${model.summary.className} ${quoteText(model.summary.name)}, ${model.weights.length} weight tensors ${loaded.right === null ? `from a seeded init (seed ${o.seed})` : 'loaded from the weights manifest'}`)
  out(`  input ${model.inputShapes.map((s) => showKerasShape([o.batch, ...s])).join(', ')}: uniform [0, 1) values, seed ${o.seed}`)
  outputs.forEach((y, i) => {
    // sum, sum of |y|, and a position-weighted sum that moves when values are permuted
    let sum = 0
    let abs = 0
    let weighted = 0
    y.data.forEach((v, k) => {
      sum += v
      abs += Math.abs(v)
      weighted += v * ((k % 97) + 1)
    })
    out(`  output ${i}: shape ${showKerasShape(y.shape)}, checksum sum=${sum.toPrecision(10)} abs=${abs.toPrecision(10)} weighted=${weighted.toPrecision(10)}`)
  })
  out(
    `  forward: ${warm.median.toFixed(2)} ms warm median over ${warm.calls} calls (p90 ${warm.p90.toFixed(2)} ms) after a ${warm.warmUpMs.toFixed(0)} ms warm-up; ` +
      `first call ${firstMs.toFixed(2)} ms; compile ${compileMs.toFixed(2)} ms (batch ${o.batch}, ${model.dtype}, ${o.threads ?? 1} thread${(o.threads ?? 1) > 1 ? 's' : ''})`
  )
  if (o.profile) out(profileText(model, params, inputs, warm.median))
  return 0
}

// -------------------------------------------------------------------------------------
// timing and --profile
// -------------------------------------------------------------------------------------

/** Warm-up before timing: V8 first runs WebAssembly on its baseline compiler and tiers up later. */
const WARM_MS = 250

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const h = s.length >> 1
  return s.length % 2 === 1 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2
}

/**
 * Calls `f` for at least {@link WARM_MS} (the warm-up), then times calls until at least 250 ms and 3
 * calls (at most 1000): their median and 90th percentile.
 */
const warmCalls = (f: () => unknown): { readonly median: number; readonly p90: number; readonly calls: number; readonly warmUpMs: number } => {
  const w0 = performance.now()
  do f()
  while (performance.now() - w0 < WARM_MS)
  const warmUpMs = performance.now() - w0
  const times: number[] = []
  let spent = 0
  while ((spent < WARM_MS || times.length < 3) && times.length < 1000) {
    const t = performance.now()
    f()
    const ms = performance.now() - t
    times.push(ms)
    spent += ms
  }
  const sorted = [...times].sort((a, b) => a - b)
  return { median: median(times), p90: sorted[Math.max(0, Math.ceil(0.9 * sorted.length) - 1)] as number, calls: times.length, warmUpMs }
}

/** A name from the file for a table column: escaped (one line), cut at `n` characters. */
const cell = (s: string, n: number): string => {
  const q = JSON.stringify(s).slice(1, -1)
  return q.length > n ? `${q.slice(0, n - 1)}…` : q
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`

/**
 * `--profile`: the plan (passes, rewrites by pass, packed weights, peak intermediate memory) and the
 * time of every step, in execution order with its kernel and fused epilogue: the median per step over
 * profiled calls (at least 3, and at least 250 ms), their total, and the share of each kernel.
 */
const profileText = (model: CompiledModel, params: ModelParams, inputs: ReadonlyArray<Tensor>, forwardMs: number): string => {
  const lines: string[] = []
  const plan = model.plan
  const batch = inputs[0]?.shape[0] ?? 1
  if (plan === null) lines.push('  plan: none (the per-layer interpreter)')
  else {
    const byPass = new Map<string, Array<{ readonly node: string; readonly detail: string }>>()
    for (const r of plan.rewrites) byPass.set(r.pass, [...(byPass.get(r.pass) ?? []), r])
    lines.push(
      `  plan: ${plan.steps.length} steps; passes ${plan.passes.length === 0 ? '(none)' : plan.passes.join(', ')}; ${plan.rewrites.length} rewrite${plan.rewrites.length === 1 ? '' : 's'} applied; ` +
        `packed weights ${mib(plan.packedWeightBytes)}; peak intermediates ${mib(plan.peakIntermediateBytes(batch))} at batch ${batch}`
    )
    for (const [pass, rs] of byPass) {
      lines.push(`  rewrites by ${cell(pass, 40)} (${rs.length}):`)
      for (const r of rs.slice(0, 8)) lines.push(`    ${cell(r.node, 40)}: ${cell(r.detail, 100)}`)
      if (rs.length > 8) lines.push(`    … and ${rs.length - 8} more`)
    }
  }
  // per-step medians over profiled calls
  const runs: Array<ReadonlyArray<{ readonly step: string; readonly kernel: string; readonly ms: number }>> = []
  let spent = 0
  while ((spent < WARM_MS || runs.length < 3) && runs.length < 1000) {
    const p = model.profile(params, inputs)
    runs.push(p)
    spent += p.reduce((a, s) => a + s.ms, 0)
  }
  const first = runs[0] ?? []
  const steps = first.map((s, i) => {
    const planned = plan?.steps[i]?.name === s.step ? plan.steps[i] : plan?.steps.find((p) => p.name === s.step)
    return {
      step: s.step,
      className: planned?.className ?? '',
      kernel: s.kernel,
      epilogue: planned?.epilogue.join(' → ') ?? '',
      ms: median(runs.map((r) => r[i]?.ms ?? 0))
    }
  })
  const total = steps.reduce((a, s) => a + s.ms, 0)
  const pct = (ms: number): string => `${(total > 0 ? (100 * ms) / total : 0).toFixed(1)} %`
  const rows = steps.map((s, i) => [String(i + 1), cell(s.step, 40), cell(s.className, 24), cell(s.kernel, 24), cell(s.epilogue, 72), s.ms.toFixed(3), pct(s.ms)])
  const head = ['#', 'step', 'class', 'kernel', 'epilogue', 'ms', 'share']
  const all = [head, ...rows, ['', 'total', '', '', '', total.toFixed(3), pct(total)]]
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] as string).length)))
  const right = new Set([0, 5, 6])
  lines.push(`  profile: median per step over ${runs.length} profiled calls after the warm-up (batch ${batch}), in execution order:`)
  for (const r of all) lines.push(`    ${r.map((v, c) => (right.has(c) ? v.padStart(widths[c] as number) : v.padEnd(widths[c] as number))).join('  ')}`.trimEnd())
  lines.push(`  total of the steps ${total.toFixed(3)} ms; forward warm median ${forwardMs.toFixed(3)} ms (besides the steps: argument checks, the input copied in, the outputs out)`)
  const byKernel = new Map<string, { ms: number; n: number }>()
  for (const s of steps) {
    const k = byKernel.get(s.kernel) ?? { ms: 0, n: 0 }
    byKernel.set(s.kernel, { ms: k.ms + s.ms, n: k.n + 1 })
  }
  const kernels = [...byKernel].sort((a, b) => b[1].ms - a[1].ms)
  lines.push(`  by kernel: ${kernels.map(([k, v]) => `${cell(k, 24)} ${pct(v.ms)} (${v.n} step${v.n === 1 ? '' : 's'})`).join(', ')}`)
  return lines.join('\n')
}

/**
 * Runs the CLI on arguments (without `node` and the script) and returns the exit code.
 * @category cli
 */
export const main = (args: ReadonlyArray<string>, out: Print = (s) => process.stdout.write(`${s}\n`), err: Print = (s) => process.stderr.write(`${s}\n`)): number => {
  const [command, ...rest] = args
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out(USAGE)
      return command === undefined ? 2 : 0
    }
    const o = parseArgs(rest)
    if (command !== 'run') {
      const runOnly = [o.profile && '--profile', o.threads !== undefined && '--threads', o.backend !== undefined && '--backend', !o.rewrites && '--no-rewrites'].filter((f): f is string => typeof f === 'string')
      if (runOnly.length > 0) throw new UsageError(`${runOnly.join(', ')} ${runOnly.length > 1 ? 'apply' : 'applies'} to run only, not to ${quoteText(command)}`)
    }
    switch (command) {
      case 'validate':
        return validate(o, out, err)
      case 'summary':
        return summary(o, out, err)
      case 'run':
        return run(o, out, err)
      default:
        throw new UsageError(`unknown command ${quoteText(command)}`)
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`layerspec: ${e.message}\n${USAGE}`)
      return 2
    }
    err(`layerspec: internal error: ${e instanceof Error ? e.message : String(e)} (please report it with the file that caused it)`)
    return 2
  }
}

/** True when this file is the program node was started with (directly or through the `bin` link). */
const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}
if (isEntryPoint()) process.exitCode = main(process.argv.slice(2))
