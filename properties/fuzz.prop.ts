/**
 * The fuzz suite of hostile model files (issue 10): the real model files of the corpus
 * (properties/mutate.ts: the 18 shared real files, the 6 example models, the example tfjs model.json)
 * mutated at random paths — every key and index is reachable — with prototype-named strings, keys
 * named like prototype properties (own keys, as JSON.parse makes them), wrong types, huge and
 * non-finite numbers, 100 KB strings and keys, values wrapped up to thousands of levels deep, deleted
 * keys, transplanted subtrees and combinations of a few of them. Every case runs through
 * `decodeModelFile` and, when it decodes, `inferModel`, `compileModel`, `forward` on batch 1 (when
 * cheap), the weights manifest and `encodeModel` with its round trip (properties/pipeline.ts).
 *
 * Properties, after every case: nothing throws; every error has a string path and a non-empty
 * one-line message of at most MAX_MESSAGE characters without a built-in's text; `Object.prototype`,
 * `Array.prototype` and `Function.prototype` are as they were (frozen / sealed / extensible state,
 * own keys, own property values and descriptors); the input value is neither written nor frozen.
 *
 * Then the CLI: a subset of the mutated files written to a temp folder and run in-process through
 * `main()` (validate, validate --json, summary, and run for small models) and about ten of them
 * through the built `node dist/cli/main.js`: exit code 0, 1 or 2, no stack trace, no internal error,
 * no built-in text, bounded lines.
 *
 * Seeds and run counts follow properties/settings.ts (`npm run test:deep` runs 10x the cases with a
 * random seed, and sweeps every corpus file of up to 600 paths instead of three).
 */
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { decodeConv2D } from '../src/conv/conv2DCodec.js'
import { decodeModelFile } from '../src/model/decodeModel.js'
import { BUILTIN_TEXT, errorProblems, intrinsicsChanges, MAX_MESSAGE, PROTO_NAMES, setOwn, snapshotIntrinsics, snapshotValue, type IntrinsicsSnapshot } from './hostile.js'
import { applyCase, arbCase, CORPUS, ODD_NUMBERS, showCase, toJsonText, type Case, type Mutation } from './mutate.js'
import { MAX_FORWARD_COST, MAX_PARAMS, forwardCost, runPipeline, type Outcome } from './pipeline.js'
import { params, SEED } from './settings.js'

const deep = process.env['LAYERSPEC_DEEP'] === '1'
const root = fileURLToPath(new URL('../', import.meta.url))

let intrinsics: IntrinsicsSnapshot
beforeAll(() => {
  intrinsics = snapshotIntrinsics()
})

/** Cases run and how far each got, printed at the end (the figures of the suite). */
const tally: Record<Outcome, number> = { rejected: 0, decoded: 0, inferred: 0, compiled: 0, ran: 0 }
let cases = 0
const started = performance.now()
afterAll(() => {
  const s = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`fuzz: ${cases} mutated model files (seed ${SEED}${deep ? ', deep' : ''}) in ${s} s: ${JSON.stringify(tally)}`)
})

/** Runs one case through the library; a failure names the case and every problem. */
const check = (c: Case): void => {
  const { json } = applyCase(c)
  const r = runPipeline(json, intrinsics)
  cases++
  tally[r.outcome]++
  if (r.problems.length > 0) throw new Error(`${showCase(c).slice(0, 2000)}\n${r.problems.slice(0, 12).join('\n')}`)
}

describe('fuzz: mutated real model files through decode, infer, compile, forward, weights and encode', () => {
  it('the corpus: every file parses and has paths to mutate', () => {
    expect(CORPUS.length).toBe(27)
    for (const f of CORPUS) expect(f.paths.length).toBeGreaterThan(100)
  })

  it('one mutation at a random path of a random file', () => {
    fc.assert(fc.property(arbCase({ max: 1 }), check), params(700))
  })

  it('two to four mutations together', () => {
    fc.assert(fc.property(arbCase({ min: 2, max: 4 }), check), params(500))
  })

  it('values nested up to thousands of levels deep, at random paths', () => {
    fc.assert(fc.property(arbCase({ max: 2, deepWeight: 40 }), check), params(60))
  })

  // Every path of a few small files, each with a prototype name as its value and as a key (renaming
  // the key there, or adding one to the object there): deterministic, so no path is left to chance.
  // (Deep runs: every file of up to 600 paths, i.e. all but the six largest real files.)
  const sweepFiles = deep ? CORPUS.flatMap((f, i) => (f.paths.length <= 600 ? [i] : [])) : CORPUS.flatMap((f, i) => (['examples/tfjs/model.json', 'examples/models/mnist-convnet.keras3.json', 'examples/models/residual-block.keras3.json'].includes(f.name) ? [i] : []))
  it.each(sweepFiles.map((i) => [(CORPUS[i] as { name: string }).name, i] as const))('every path of %s: a prototype name as the value, and as a key', (_name, file) => {
    const paths = (CORPUS[file] as { paths: ReadonlyArray<unknown> }).paths
    for (let at = 0; at < paths.length; at++) {
      const name = PROTO_NAMES[at % PROTO_NAMES.length] as string
      const key = PROTO_NAMES[(at + 7) % PROTO_NAMES.length] as string
      const mutations: Mutation[][] = [
        [{ kind: 'set', at, value: { t: 'proto', name } }],
        [at % 2 === 0 ? { kind: 'renameKey', at, key } : { kind: 'addKey', at, key, value: { t: 'json', json: {} } }]
      ]
      if (deep) mutations.push([{ kind: 'renameKey', at, key: '__proto__' }], [{ kind: 'set', at, value: { t: 'proto', name: 'constructor' } }])
      for (const m of mutations) check({ file, mutations: m })
    }
  })

  // Every number of the same files replaced by odd numbers (-0, NaN, ±Infinity, 1e308, 2^53 + 1, 1e9, …:
  // four of the 16 per place in CI (eight in deep runs), rotating so each number lands in a quarter (a
  // half) of the places). Numbers are where a mutated file most often still decodes and compiles.
  it.each(sweepFiles.map((i) => [(CORPUS[i] as { name: string }).name, i] as const))('every number of %s replaced by huge, non-finite and signed-zero numbers', (_name, file) => {
    const f = CORPUS[file] as { text: string; paths: ReadonlyArray<ReadonlyArray<string | number>> }
    const doc = JSON.parse(f.text) as unknown
    let k = 0
    f.paths.forEach((p, at) => {
      const v = p.reduce<unknown>((o, s) => (o as Record<string | number, unknown>)[s], doc)
      if (typeof v !== 'number') return
      const per = deep ? 8 : 4
      const picks = Array.from({ length: per }, (_, j) => (per * k + j) % ODD_NUMBERS.length)
      k++
      for (const j of picks) check({ file, mutations: [{ kind: 'set', at, value: { t: 'number', n: ODD_NUMBERS[j] as number } }] })
    })
  })

  // Found by the sweep above: a -0 node index was kept, so decode(encode(m)) differed from m.
  it('a tensor reference whose node index is -0 (a JS value) round-trips through encodeModel', () => {
    const file = CORPUS.findIndex((f) => f.name === 'examples/models/residual-block.keras3.json')
    const paths = (CORPUS[file] as { paths: ReadonlyArray<ReadonlyArray<string | number>> }).paths
    const at = paths.findIndex((p) => JSON.stringify(p) === JSON.stringify(['config', 'layers', 1, 'inbound_nodes', 0, 'args', 0, 'config', 'keras_history', 1]))
    expect(at).toBeGreaterThan(0)
    check({ file, mutations: [{ kind: 'set', at, value: { t: 'number', n: -0 } }] })
  })
})

// -------------------------------------------------------------------------------------
// long strings, deep and cyclic values: fixed cases, with times
// -------------------------------------------------------------------------------------

describe('fuzz: 1 MB strings, 100,000 levels, cycles', () => {
  const mb = 'x'.repeat(1_000_000)
  const tfjs = CORPUS.findIndex((f) => f.name === 'examples/tfjs/model.json')
  const base = (): Record<string, unknown> => JSON.parse((CORPUS[tfjs] as { text: string }).text) as Record<string, unknown>
  const layersOf = (m: Record<string, unknown>): Array<{ class_name: string; config: Record<string, unknown> }> =>
    (m['modelTopology'] as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }).config.layers
  /** The config of the example tfjs model's first layer, a Conv2D. */
  const conv = (m: Record<string, unknown>): Record<string, unknown> => (layersOf(m)[0] as { config: Record<string, unknown> }).config

  it('a 1 MB string as an initializer, an activation, a key, a class name or a layer name of a model file: decoded in milliseconds (times printed)', () => {
    const variants: ReadonlyArray<readonly [string, (m: Record<string, unknown>) => void, boolean]> = [
      ['kernel_initializer', (m) => void (conv(m)['kernel_initializer'] = mb), false],
      ['activation', (m) => void (conv(m)['activation'] = mb), false],
      ['a key of a config', (m) => void (conv(m)[mb] = 1), false],
      ['kernel_initializer.class_name', (m) => void (conv(m)['kernel_initializer'] = { class_name: mb, config: {} }), false],
      ['the layer name (legal: decodes)', (m) => void (conv(m)['name'] = mb), true]
    ]
    const times: string[] = []
    for (const [what, mutate, decodes] of variants) {
      const m = base()
      mutate(m)
      const t0 = performance.now()
      const r = decodeModelFile(m)
      const ms = performance.now() - t0
      times.push(`${what} ${ms.toFixed(1)} ms`)
      expect(E.isRight(r), what).toBe(decodes)
      if (E.isLeft(r)) expect(errorProblems(r.left), what).toEqual([])
      // Linear at worst: a 1 MB value is copied and compared a few times, never quadratically (the time is
      // printed, not asserted: timings belong to the bench, and the bounded work is pinned by the messages).
      const whole = runPipeline(m, intrinsics)
      expect(whole.problems, what).toEqual([])
    }
    console.log(`1 MB string in a model file (examples/tfjs/model.json): decodeModelFile ${times.join(', ')}`)
  })

  it('decodeConv2D of a config holding a 1 MB string (time printed)', () => {
    const config = { filters: 2, kernel_size: 3, kernel_initializer: mb }
    const before = snapshotValue(config)
    const t0 = performance.now()
    const r = decodeConv2D(config)
    const ms = performance.now() - t0
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) {
      expect(errorProblems(r.left)).toEqual([])
      expect(r.left[0]?.message).toContain('(1000000 characters)')
    }
    expect(before.changes()).toEqual([])
    console.log(`decodeConv2D of a config holding a 1 MB string: ${ms.toFixed(2)} ms`)
    console.log(`1 MB string in a Conv2D config: decodeConv2D ${ms.toFixed(2)} ms`)
  })

  it('a value nested 100,000 levels deep (lists, objects, nested models) anywhere in a model file or a Conv2D config: one error, no stack overflow', () => {
    const nest = (n: number, wrap: (v: unknown) => unknown, inner: unknown): unknown => {
      let v = inner
      for (let i = 0; i < n; i++) v = wrap(v)
      return v
    }
    const wrappers: ReadonlyArray<(v: unknown) => unknown> = [(v) => [v], (v) => ({ a: v }), (v) => ({ class_name: 'Sequential', config: { layers: [v] } })]
    for (const wrap of wrappers) {
      const m = base()
      conv(m)['filters'] = nest(100_000, wrap, 2)
      const r = runPipeline(m, intrinsics)
      expect(r.problems).toEqual([])
      expect(r.outcome).toBe('rejected')
      const c = decodeConv2D({ filters: nest(100_000, wrap, 2), kernel_size: 3 })
      expect(E.isLeft(c)).toBe(true)
      if (E.isLeft(c)) expect(errorProblems(c.left)).toEqual([])
    }
  })

  it('cyclic JS values (a config that contains itself, a layer list that contains the model): errors, no hang or overflow', () => {
    const m = base()
    const c = conv(m)
    c['kernel_initializer'] = { class_name: 'Zeros', config: c }
    expect(runPipeline(m, intrinsics).problems).toEqual([])
    const m2 = base()
    ;(layersOf(m2) as unknown[]).push(m2)
    expect(runPipeline(m2, intrinsics).problems).toEqual([])
    const cyclic: Record<string, unknown> = { filters: 2, kernel_size: 3 }
    cyclic['bias_initializer'] = cyclic
    const r = decodeConv2D(cyclic)
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) expect(errorProblems(r.left)).toEqual([])
    expect(intrinsicsChanges(intrinsics)).toEqual([])
  })
})

// -------------------------------------------------------------------------------------
// the CLI
// -------------------------------------------------------------------------------------

/** Why a piece of CLI output breaks the rules (a stack trace, an internal error, a built-in, an unbounded line), or undefined. */
const outputProblem = (text: string, command: string): string | undefined => {
  if (/^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)$/m.test(text)) return 'a stack trace'
  if (/internal error/i.test(text)) return 'an internal error'
  if (/^(\w*Error|TypeError|RangeError): /m.test(text)) return 'an Error: line'
  const builtin = BUILTIN_TEXT.find((re) => re.test(text))
  if (builtin !== undefined) return `built-in text ${String(builtin)}`
  // `--json` reports carry every layer name in full (data for programs); text lines are bounded.
  if (command !== 'validate --json') {
    const long = text.split('\n').find((l) => l.length > MAX_MESSAGE + 200)
    if (long !== undefined) return `a line of ${long.length} characters`
  }
  return undefined
}

/** What `main()` printed, its exit code, and the problems found in it. */
const runMain = (args: ReadonlyArray<string>): { readonly code: number; readonly out: string; readonly err: string } => {
  const out: string[] = []
  const err: string[] = []
  const code = main(args, (s) => out.push(s), (s) => err.push(s))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('fuzz: the CLI on mutated files, in-process and as a subprocess', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layerspec-fuzz-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  /** The CLI's cases: files as JSON text (NaN and Infinity become null, as JSON has them), written once. */
  interface Written {
    readonly c: Case
    readonly file: string
    readonly small: boolean
  }
  const written: Written[] = []
  beforeAll(() => {
    copyFileSync(join(root, 'examples/tfjs/group1-shard1of1.bin'), join(tmp, 'group1-shard1of1.bin'))
    // Half the cases on the files small enough to `run` (C, O, channels-first, mnist-convnet, residual-block, the tfjs model).
    const smallFiles = CORPUS.flatMap((f, i) => (/\/(C|O)\.json$|channels-first|mnist-convnet|residual-block|tfjs\/model\.json/.test(f.name) ? [i] : []))
    const n = deep ? 300 : 30
    const sample = [...fc.sample(arbCase({ max: 2, files: smallFiles }), { seed: SEED, numRuns: n }), ...fc.sample(arbCase({ max: 2 }), { seed: SEED + 1, numRuns: n })]
    sample.forEach((c, i) => {
      const text = toJsonText(applyCase(c).json)
      const file = join(tmp, `case-${i}.json`)
      writeFileSync(file, text)
      // `run` only where compiling and running is cheap (decided in-process from the file as written).
      const r = runPipeline(JSON.parse(text), snapshotIntrinsics(), { roundTrip: false })
      const small = r.compiled !== undefined && r.compiled.summary.params <= MAX_PARAMS && forwardCost(r.compiled.summary) <= MAX_FORWARD_COST
      written.push({ c, file, small })
    })
  })

  it('main(): validate, validate --json, summary (and run for small models): exit 0, 1 or 2, no stack trace, no internal error, bounded output', () => {
    let runs = 0
    for (const { c, file, small } of written) {
      const commands: Array<ReadonlyArray<string>> = [['validate'], ['validate', '--json'], ['summary'], ...(small ? [['run']] : [])]
      for (const command of commands) {
        const name = command.join(' ')
        const r = runMain([...command, file])
        runs++
        const where = `${name} ${showCase(c).slice(0, 1500)}`
        expect([0, 1, 2], where).toContain(r.code)
        for (const text of [r.out, r.err]) expect(outputProblem(text, name), `${where}\n${text.slice(0, 2000)}`).toBeUndefined()
        if (name === 'validate --json') {
          const report = JSON.parse(r.out) as { valid: boolean; errors: unknown[] }
          expect(typeof report.valid).toBe('boolean')
          if (!report.valid) expect(errorProblems(report.errors), where).toEqual([])
          expect(report.valid, where).toBe(r.code === 0)
        }
      }
    }
    expect(intrinsicsChanges(intrinsics)).toEqual([])
    console.log(`fuzz CLI: ${written.length} mutated files, ${runs} in-process runs of main() (${written.filter((w) => w.small).length} with run)`)
  })

  it('a 1 MB layer name, initializer and key in the tfjs example: validate, summary and run answer in milliseconds with short lines (times printed)', () => {
    const mb = 'y'.repeat(1_000_000)
    const variants: ReadonlyArray<readonly [string, (config: Record<string, unknown>) => void, number]> = [
      ['layer name', (c) => void (c['name'] = mb), 0],
      ['kernel_initializer', (c) => void (c['kernel_initializer'] = mb), 1],
      ['a key', (c) => void setOwn(c, mb, 1), 1]
    ]
    const times: string[] = []
    for (const [what, mutate, code] of variants) {
      const m = JSON.parse((CORPUS.find((f) => f.name === 'examples/tfjs/model.json') as { text: string }).text) as { modelTopology: { config: { layers: Array<{ config: Record<string, unknown> }> } } }
      mutate((m.modelTopology.config.layers[0] as { config: Record<string, unknown> }).config)
      const file = join(tmp, 'model-1mb.json')
      writeFileSync(file, JSON.stringify(m))
      for (const command of ['validate', 'summary', 'run']) {
        const t0 = performance.now()
        const r = runMain([command, file])
        times.push(`${what} ${command} ${(performance.now() - t0).toFixed(0)} ms`)
        // run with the renamed layer: its weights in the manifest keep the old name, so they cannot be loaded (exit 1)
        expect(r.code, `${what} ${command}: ${r.out.slice(0, 500)}`).toBe(command === 'run' && what === 'layer name' ? 1 : code)
        for (const text of [r.out, r.err]) expect(outputProblem(text, command), `${what} ${command}`).toBeUndefined()
      }
    }
    console.log(`1 MB string through the CLI (in-process, parse included): ${times.join(', ')}`)
  })

  it('node dist/cli/main.js on ten of them: exit 0, 1 or 2, no stack trace, no internal error', async () => {
    const cli = join(root, 'dist/cli/main.js')
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build (npm test builds it before vitest)`)
    const commands = ['validate', 'validate', 'validate', 'validate --json', 'validate --json', 'summary', 'summary', 'summary', 'validate', 'run']
    const picks = commands.map((command, i) => {
      // `run` on a small model, the others spread over the files (both halves).
      const w = command === 'run' ? (written.find((x) => x.small) ?? written[0]) : written[Math.floor((i * written.length) / commands.length)]
      return { command, w: w as Written }
    })
    const results = await Promise.all(
      picks.map(
        ({ command, w }) =>
          new Promise<{ command: string; w: Written; code: number | null; out: string; err: string }>((resolve) => {
            const child = spawn(process.execPath, [cli, ...command.split(' '), w.file], { cwd: dirname(w.file) })
            let out = ''
            let err = ''
            child.stdout.on('data', (d: Buffer) => (out += d.toString()))
            child.stderr.on('data', (d: Buffer) => (err += d.toString()))
            child.on('close', (code) => resolve({ command, w, code, out, err }))
          })
      )
    )
    for (const r of results) {
      const where = `${r.command} ${showCase(r.w.c).slice(0, 1500)}`
      expect([0, 1, 2], `${where}\n${r.err.slice(0, 2000)}`).toContain(r.code)
      for (const text of [r.out, r.err]) expect(outputProblem(text, r.command), `${where}\n${text.slice(0, 2000)}`).toBeUndefined()
    }
    console.log(`fuzz CLI subprocess: ${results.length} runs, exit codes ${results.map((r) => r.code).join(' ')}`)
  })
})
