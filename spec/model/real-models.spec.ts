/**
 * Every real model file of the shared data (spec/fixtures/shared/real-keras-models, see its README):
 * the runnable ones give exactly the per-layer output shapes and parameter counts TensorFlow.js
 * computes (expected.json), through the library and through `layerspec validate --json`; the others
 * fail naming the layer that cannot be run.
 */
import * as E from 'fp-ts/lib/Either.js'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { check, fileReport } from '../../src/cli/report.js'
import { decodeModel } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { readShared } from '../helpers.js'

interface Expected {
  readonly supported: boolean
  readonly unsupported: ReadonlyArray<string>
  readonly output_shapes: ReadonlyArray<ReadonlyArray<number | null>>
  readonly total_params: number
  readonly layers: ReadonlyArray<{ readonly name: string; readonly class_name: string; readonly output_shape: ReadonlyArray<number | null>; readonly params: number }>
  readonly normalization: ReadonlyArray<string>
}

const expected = readShared('real-keras-models/expected.json') as Readonly<Record<string, Expected>>
const file = (name: string): unknown => readShared(`real-keras-models/${name}.json`)
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/shared/real-keras-models/${name}.json`, import.meta.url))

/**
 * Files tfjs can run after normalizations layerspec does not need (it reads L2 regularizers, Keras 3
 * keys and bare get_config dicts as they are; I2, the DCGAN generator, holds Conv2DTranspose layers,
 * which expected.json marks unsupported but whose shapes and counts it lists), and the two it could only
 * run with stand-ins for a Lambda (B, N), which layerspec reports instead.
 */
const RUNNABLE = ['A', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'I2', 'K', 'M', 'O', 'P', 'Q', 'Q2']
const UNRUNNABLE: Readonly<Record<string, string>> = { B: 'Lambda', N: 'Lambda' }

describe('real model files: runnable ones match TensorFlow.js shapes and parameter counts', () => {
  it.each(RUNNABLE.map((n) => [n] as const))('%s', (name) => {
    const e = expected[name] as Expected
    const model = decodeModel(file(name))
    if (E.isLeft(model)) throw new Error(JSON.stringify(model.left.slice(0, 5), null, 1))
    const summary = inferModel(model.right)
    if (E.isLeft(summary)) throw new Error(JSON.stringify(summary.left.slice(0, 5), null, 1))
    const ours = summary.right.layers.map((l) => ({ name: l.name, class_name: l.className, output_shape: l.outputShapes[0], params: l.params }))
    expect(ours).toEqual(e.layers.map((l) => ({ ...l, class_name: l.class_name === 'Convolution2D' ? 'Conv2D' : l.class_name })))
    expect(summary.right.outputShapes).toEqual(e.output_shapes)
    expect(summary.right.params).toBe(e.total_params)
  })
})

describe('real model files that hold layers nobody can run from JSON fail naming that layer', () => {
  it.each(Object.entries(UNRUNNABLE))('%s (%s)', (name, cls) => {
    expect((expected[name] as Expected).unsupported).toEqual([cls])
    const r = decodeModel(file(name))
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) {
      const naming = r.left.filter((e) => e.message.includes(`(${cls}) cannot be run`))
      expect(naming.length).toBeGreaterThan(0)
      // every other layer was still checked: no other error is reported for these valid files
      expect(r.left.filter((e) => !e.message.includes('cannot be run'))).toEqual([])
    }
  })
})

describe('J: a nested augmentation Sequential behind an input of unknown shape', () => {
  it('fails where Keras fails: the first Conv2D needs a known channel count', () => {
    const r = check(file('J'))
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) {
      expect(r.left.map((e) => e.path)).toEqual(['config.layers[3]'])
      expect(r.left[0]?.message).toContain('conv2d_55')
      expect(r.left[0]?.message).toContain('channel dimension')
    }
  })
  it('with the input shape its first Conv2D declares (128, 128, 1), it gives TensorFlow.js\'s shapes and counts', () => {
    const e = expected['J'] as Expected
    const r = check(file('J'), [128, 128, 1])
    const report = fileReport('J.json', r)
    expect(report.valid).toBe(true)
    expect(report.layers.map((l) => [l.name, l.output_shape, l.param_count])).toEqual(e.layers.map((l) => [l.name, l.output_shape, l.params]))
    expect(report.param_count).toBe(e.total_params)
  })
})

describe('through the CLI: layerspec validate --json', () => {
  it('reports the same shapes and counts for every runnable file, and fails the others (exit 1)', () => {
    const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
    const files = [...RUNNABLE, ...Object.keys(UNRUNNABLE)].map(fixture)
    let stdout = ''
    let status = 0
    try {
      stdout = execFileSync(process.execPath, [cli, 'validate', '--json', ...files], { encoding: 'utf8' })
    } catch (e) {
      const err = e as { stdout: string; status: number }
      stdout = err.stdout
      status = err.status
    }
    expect(status).toBe(1)
    const reports = stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; valid: boolean; output_shape: unknown; param_count: number; layers: Array<{ name: string; output_shape: unknown; param_count: number }> })
    expect(reports).toHaveLength(files.length)
    for (const r of reports) {
      const name = (/([A-Z0-9]+)\.json$/.exec(r.file) as RegExpExecArray)[1] as string
      const e = expected[name] as Expected
      if (name in UNRUNNABLE) {
        expect(r.valid).toBe(false)
        continue
      }
      expect(r.valid).toBe(true)
      expect(r.param_count).toBe(e.total_params)
      expect(r.output_shape).toEqual(e.output_shapes.length === 1 ? e.output_shapes[0] : e.output_shapes)
      expect(r.layers.map((l) => [l.name, l.output_shape, l.param_count])).toEqual(e.layers.map((l) => [l.name, l.output_shape, l.params]))
    }
  })
})
