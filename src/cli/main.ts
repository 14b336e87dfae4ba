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
import { compileModel } from '../model/compileModel.js'
import { loadTfjsWeights, readJsonFile } from './io.js'
import { check, fileReport, summaryText, validateText, showKerasShape, type Checked } from './report.js'
import { quoteText } from '../core/describe.js'

const USAGE = `usage:
  layerspec validate FILE... | -  [--json] [--input-shape H,W,C]
      check Keras / TensorFlow.js layer configs or model files (- reads stdin)
  layerspec summary FILE [--input-shape H,W,C]
      print the Keras-style model summary
  layerspec run MODEL.json [--seed N] [--batch N] [--input-shape H,W,C]
      compile, load the weights the manifest names (else a seeded init), run on seeded random input
exit codes: 0 valid, 1 invalid, 2 unreadable file or bad usage`

interface Options {
  readonly json: boolean
  readonly inputShape: ReadonlyArray<number> | undefined
  readonly seed: number
  readonly batch: number
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
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${quoteText(a)}`)
    else files.push(a)
  }
  return { json, inputShape, seed, batch, files }
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
  const compiled = compileModel(mf.model, o.inputShape === undefined ? {} : { inputShapes: [o.inputShape] })
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
  model.forward(params, inputs) // warm-up
  const t0 = performance.now()
  const outputs = model.forward(params, inputs)
  const ms = performance.now() - t0
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
  out(`  forward: ${ms.toFixed(2)} ms (batch ${o.batch}, ${model.dtype})`)
  return 0
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
