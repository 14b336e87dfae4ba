/**
 * `layerspec run` timing and `--profile`, through the CLI's `main` in this process (the subprocess
 * behaviour of `run` is in cli.spec.ts):
 * - the forward line reports the warm median (with the number of calls, ≥ 3, and the warm-up, ≥ 250
 *   ms) and the first call separately;
 * - `--profile` prints the compiled model's plan (its passes, every rewrite grouped by pass, packed
 *   weights, peak intermediate memory) and one row per step of `compiled.plan.steps`, in order, with
 *   its kernel and fused epilogue, a total that is the sum of the rows, and the share per kernel —
 *   all checked against `compileModel(…).plan` of the same file, so the test follows the compiler as
 *   it changes;
 * - names from the file stay on one bounded line; `--profile` belongs to `run` only.
 */
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { readJson } from '../helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'layerspec-profile-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const cli = (args: ReadonlyArray<string>): { readonly code: number; readonly out: string; readonly err: string } => {
  const out: string[] = []
  const err: string[] = []
  const code = main(args, (s) => out.push(s), (s) => err.push(s))
  return { code, out: out.join('\n'), err: err.join('\n') }
}
const file = (p: string): string => join(root, p)

/** The plan `layerspec run` compiles (same options: the file's own input shape, every default). */
const planOf = (json: unknown): NonNullable<ReturnType<typeof compileOrThrow>['plan']> => {
  const plan = compileOrThrow(json).plan
  if (plan === null) throw new Error('no plan')
  return plan
}
const compileOrThrow = (json: unknown) => {
  const f = decodeModelFile(json)
  if (E.isLeft(f)) throw new Error('decode')
  const c = compileModel(f.right.model)
  if (E.isLeft(c)) throw new Error('compile')
  return c.right
}

/** A name as the table shows it: JSON-escaped, cut at `n` characters with an ellipsis. */
const cut = (s: string, n: number): string => {
  const q = JSON.stringify(s).slice(1, -1)
  return q.length > n ? `${q.slice(0, n - 1)}…` : q
}

const FORWARD = /^ {2}forward: (\d+\.\d+) ms warm median over (\d+) calls \(p90 (\d+\.\d+) ms\) after a (\d+) ms warm-up; first call (\d+\.\d+) ms; compile (\d+\.\d+) ms \(batch (\d+), float32, 1 thread\)$/m

describe('layerspec run: the first call and the warm calls, separately', () => {
  it('reports the warm median over ≥ 3 calls after a warm-up of ≥ 250 ms, and the first call', () => {
    const r = cli(['run', file('examples/tfjs/model.json'), '--batch', '2', '--seed', '3'])
    expect(r.code).toBe(0)
    expect(r.err).toBe('')
    const m = FORWARD.exec(r.out)
    expect(m, r.out).not.toBeNull()
    const [, median, calls, p90, warmUp, first, compile, batch] = (m as RegExpExecArray).map(Number)
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(calls).toBeLessThanOrEqual(1000)
    expect(warmUp).toBeGreaterThanOrEqual(250)
    expect(median).toBeGreaterThan(0)
    expect(p90).toBeGreaterThanOrEqual(median as number)
    expect(first).toBeGreaterThan(0)
    expect(compile).toBeGreaterThan(0)
    expect(batch).toBe(2)
    // the old single-figure form is still matched by `forward: <ms> ms`
    expect(r.out).toMatch(/forward: \d+\.\d+ ms/)
    // without --profile: no plan, no step table
    expect(r.out).not.toContain('profile:')
    expect(r.out).not.toContain('plan:')
  })
})

describe('layerspec run --profile', () => {
  const PATH = 'examples/models/residual-block.keras3.json'

  it('prints the plan, every rewrite by pass, and one row per step in order with kernel, epilogue, ms and share', () => {
    const plan = planOf(readJson(PATH))
    const r = cli(['run', file(PATH), '--profile', '--seed', '1'])
    expect(r.code).toBe(0)
    expect(r.err).toBe('')
    const lines = r.out.split('\n')
    expect(r.out).toMatch(FORWARD)

    // the plan line: steps, passes, rewrites, packed weights, peak intermediates at the batch
    const planLine = lines.find((l) => l.startsWith('  plan: ')) as string
    expect(planLine).toContain(`${plan.steps.length} steps`)
    expect(planLine).toContain(plan.passes.length === 0 ? 'passes (none)' : `passes ${plan.passes.join(', ')}`)
    expect(planLine).toContain(`${plan.rewrites.length} rewrite${plan.rewrites.length === 1 ? '' : 's'} applied`)
    expect(planLine).toContain(`packed weights ${(plan.packedWeightBytes / 2 ** 20).toFixed(2)} MiB`)
    expect(planLine).toContain(`peak intermediates ${(plan.peakIntermediateBytes(1) / 2 ** 20).toFixed(2)} MiB at batch 1`)

    // every pass that fired, with its count and (up to 8) the rewrites themselves
    const passes = [...new Set(plan.rewrites.map((x) => x.pass))]
    for (const p of passes) {
      const count = plan.rewrites.filter((x) => x.pass === p).length
      expect(lines).toContain(`  rewrites by ${p} (${count}):`)
    }
    for (const x of plan.rewrites.slice(0, 3)) expect(r.out).toContain(`    ${x.node}: `)

    // the step table: header, one row per plan step in order, then the total
    const head = lines.findIndex((l) => /^ {4}#\s+step\s+class\s+kernel\s+epilogue\s+ms\s+share$/.test(l))
    expect(head, r.out).toBeGreaterThan(0)
    expect(lines[head - 1]).toMatch(/^ {2}profile: median per step over \d+ profiled calls after the warm-up \(batch 1\), in execution order:$/)
    const rows = lines.slice(head + 1, head + 1 + plan.steps.length)
    const parsed = rows.map((l) => {
      const m = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*(\d+\.\d{3})\s+(\d+\.\d) %$/.exec(l)
      expect(m, l).not.toBeNull()
      const [, i, step, className, kernel, epilogue, ms, share] = m as RegExpExecArray
      return { i: Number(i), step, className, kernel, epilogue: epilogue?.trim(), ms: Number(ms), share: Number(share) }
    })
    expect(parsed.map((p) => p.i)).toEqual(plan.steps.map((_, i) => i + 1))
    expect(parsed.map((p) => p.step)).toEqual(plan.steps.map((s) => cut(s.name, 40)))
    expect(parsed.map((p) => p.className)).toEqual(plan.steps.map((s) => cut(s.className, 24)))
    expect(parsed.map((p) => p.kernel)).toEqual(plan.steps.map((s) => cut(s.kernel, 24)))
    expect(parsed.map((p) => p.epilogue)).toEqual(plan.steps.map((s) => cut(s.epilogue.join(' → '), 72)))
    const total = /^\s+total\s+(\d+\.\d{3})\s+100\.0 %$/.exec(lines[head + 1 + plan.steps.length] ?? '')
    expect(total, lines[head + 1 + plan.steps.length]).not.toBeNull()
    const sum = parsed.reduce((a, p) => a + p.ms, 0)
    expect(Math.abs(sum - Number((total as RegExpExecArray)[1]))).toBeLessThanOrEqual(0.0005 * parsed.length + 1e-9)
    const shares = parsed.reduce((a, p) => a + p.share, 0)
    expect(Math.abs(shares - 100)).toBeLessThanOrEqual(0.05 * parsed.length + 0.1)

    // the total against the forward time, and the share per kernel (every kernel of the plan, once)
    expect(r.out).toMatch(/^ {2}total of the steps \d+\.\d{3} ms; forward warm median \d+\.\d{3} ms/m)
    const byKernel = lines.find((l) => l.startsWith('  by kernel: ')) as string
    for (const k of new Set(plan.steps.map((s) => s.kernel))) {
      const n = plan.steps.filter((s) => s.kernel === k).length
      expect(byKernel).toContain(`${k} `)
      expect(byKernel).toMatch(new RegExp(`${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\d+\\.\\d % \\(${n} steps?\\)`))
    }
  })

  it('at a batch size: the profile and the peak memory are for that batch', () => {
    const plan = planOf(readJson('examples/tfjs/model.json'))
    const r = cli(['run', file('examples/tfjs/model.json'), '--profile', '--batch', '3'])
    expect(r.code).toBe(0)
    expect(r.out).toContain(`peak intermediates ${(plan.peakIntermediateBytes(3) / 2 ** 20).toFixed(2)} MiB at batch 3`)
    expect(r.out).toMatch(/profiled calls after the warm-up \(batch 3\)/)
  })

  it('names from the file stay on one line, escaped and cut', () => {
    const name = `evil\nname${'x'.repeat(300)}`
    const model = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'in' } },
          { class_name: 'Dense', config: { name, units: 3, activation: 'relu' } }
        ]
      },
      keras_version: '2.4.0'
    }
    const path = join(tmp, 'hostile.json')
    writeFileSync(path, JSON.stringify(model))
    const r = cli(['run', path, '--profile'])
    expect(r.code).toBe(0)
    const row = r.out.split('\n').find((l) => l.includes('evil'))
    expect(row).toBeDefined()
    expect(row).toContain('evil\\nname')
    expect(row).toContain('…')
    expect(r.out).not.toContain('x'.repeat(60))
    for (const l of r.out.split('\n')) expect(l.length).toBeLessThan(400)
  })

  it.each([['summary'], ['validate']])('--profile with %s: exit 2 with the usage', (command) => {
    const r = cli([command, '--profile', file('examples/tfjs/model.json')])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--profile applies to run only')
    expect(r.err).toContain('usage:')
  })

  it('--threads, --backend and --no-rewrites reach compileModel: the same checksums, the plan without rewrites', () => {
    const path = file('examples/models/residual-block.keras3.json')
    const base = cli(['run', path, '--seed', '4'])
    const checksum = (out: string): string | undefined => out.split('\n').find((l) => l.includes('checksum'))
    expect(base.code).toBe(0)
    const two = cli(['run', path, '--seed', '4', '--threads', '2', '--backend', 'js'])
    expect(two.code).toBe(0)
    expect(two.out).toContain('2 threads)')
    const plain = cli(['run', path, '--seed', '4', '--no-rewrites', '--profile'])
    expect(plain.code).toBe(0)
    expect(plain.out).not.toContain('fuse-residual-add ×')
    const fused = cli(['run', path, '--seed', '4', '--profile'])
    expect(fused.out).toContain('fuse-residual-add')
    // float32 sums in another order and a folded BatchNormalization: the checksums agree to 5 digits
    const sums = [base, two, plain].map((r) => Number(/sum=(\S+)/.exec(checksum(r.out) ?? '')?.[1]))
    for (const v of sums) expect(v).toBeCloseTo(sums[0] as number, 3)
  })

  it.each([
    [['--threads', '0'], '--threads expects an integer ≥ 1, found "0"'],
    [['--threads', '65'], '--threads expects an integer from 1 to 64, found 65'],
    [['--backend', 'gpu'], '--backend expects js, wasm or auto, found "gpu"'],
    [['--backend'], '--backend expects js, wasm or auto, found nothing']
  ])('run %j: exit 2 naming expected and found', (flags, message) => {
    const r = cli(['run', file('examples/tfjs/model.json'), ...flags])
    expect(r.code).toBe(2)
    expect(r.err).toContain(message)
  })

  it('--threads with validate: exit 2, run only', () => {
    const r = cli(['validate', '--threads', '2', file('examples/tfjs/model.json')])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--threads applies to run only')
  })

  it('the usage names --profile', () => {
    const r = cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('layerspec run MODEL.json [--seed N] [--batch N] [--input-shape H,W,C] [--profile] [--threads N] [--backend js|wasm|auto] [--no-rewrites]')
    expect(r.out).toContain('--profile: also the compiler\'s plan')
  })
})
