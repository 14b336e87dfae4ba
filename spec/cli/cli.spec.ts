/**
 * The `layerspec` CLI run as a subprocess (the built dist/cli/main.js, as `npx layerspec` runs it):
 * exit codes and output for good files, every kind of bad file, stdin, `--json`, `summary` and `run`.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const cli = join(root, 'dist/cli/main.js')
const tmp = mkdtempSync(join(tmpdir(), 'layerspec-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const run = (args: ReadonlyArray<string>, input?: string) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', input })
  return { code: r.status, out: r.stdout, err: r.stderr }
}
const write = (name: string, text: string): string => {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}
const noStackTrace = (s: string): void => expect(s).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/)

describe('validate', () => {
  it('valid layer configs and model files: exit 0, one line each with output shape and parameter count', () => {
    const r = run(['validate', 'examples/conv2d/keras3-dilated.json', 'examples/models/mnist-convnet.keras3.json', 'examples/tfjs/model.json'])
    expect(r.code).toBe(0)
    expect(r.out.trim().split('\n')).toEqual([
      'examples/conv2d/keras3-dilated.json: valid Conv2D layer "dilated", output (None, 64, 64, 64), 18,496 params',
      'examples/models/mnist-convnet.keras3.json: valid Sequential "sequential" (8 layers), output (None, 10), 34,826 params',
      'examples/tfjs/model.json: valid Sequential "tfjs_convnet" (6 layers), output (None, 10), 9,162 params'
    ])
    expect(r.err).toBe('')
  })

  it('an invalid file: exit 1, every error with its JSON path', () => {
    const r = run(['validate', 'examples/conv2d/invalid-several-errors.json'])
    expect(r.code).toBe(1)
    const lines = r.out.trim().split('\n')
    expect(lines[0]).toBe('examples/conv2d/invalid-several-errors.json: invalid, 5 errors')
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual(['kernel_size[1]', 'padding', 'activation', 'strides', 'kernel_sise'])
  })

  it('errors inside a model carry the layer path', () => {
    const model = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 1], name: 'in' } },
          { class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: 3 } },
          { class_name: 'MaxPooling2D', config: { name: 'p', pool_size: [2, 0] } },
          { class_name: 'Lambda', config: { name: 'l', function: 'x' } }
        ]
      },
      keras_version: '2.4.0'
    }
    const r = run(['validate', write('bad-model.json', JSON.stringify(model))])
    expect(r.code).toBe(1)
    expect(r.out).toContain('config.layers[2].config.pool_size[1]: expected a positive integer, found 0')
    expect(r.out).toContain('config.layers[3].class_name: layer 3 "l" (Lambda) cannot be run')
  })

  it.each([
    ['a missing file', () => join(tmp, 'nope.json'), 'cannot read', 'no such file'],
    ['a directory', () => tmp, 'cannot read', 'directory'],
    ['an empty file', () => write('empty.json', '  \n'), 'is empty', 'empty'],
    ['a file that is not JSON', () => write('broken.json', '{"filters": 3,'), 'is not JSON', 'JSON']
  ])('%s: exit 2 with one clear line, no stack trace', (_name, path, phrase, word) => {
    const r = run(['validate', path()])
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    const lines = r.err.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^layerspec: /)
    expect(lines[0]).toContain(phrase)
    expect(lines[0]).toContain(word)
    noStackTrace(r.err)
  })

  it('reads stdin with -', () => {
    const ok = run(['validate', '-'], JSON.stringify({ filters: 4, kernel_size: 3, input_shape: [10, 10, 2] }))
    expect(ok.code).toBe(0)
    expect(ok.out.trim()).toBe('-: valid Conv2D layer, output (None, 8, 8, 4), 76 params')
    const bad = run(['validate', '-'], '{"filters": 0, "kernel_size": 3}')
    expect(bad.code).toBe(1)
    expect(bad.out).toContain('filters: expected a positive integer, found 0')
    const empty = run(['validate', '-'], '')
    expect(empty.code).toBe(2)
    expect(empty.err.trim()).toBe('layerspec: standard input is empty')
  })

  it('the worst outcome decides the exit code across several files', () => {
    const r = run(['validate', 'examples/models/mnist-convnet.keras3.json', 'examples/conv2d/invalid-several-errors.json', join(tmp, 'missing.json')])
    expect(r.code).toBe(2)
    expect(r.out).toContain('mnist-convnet.keras3.json: valid')
    expect(r.out).toContain('invalid-several-errors.json: invalid')
    expect(r.err).toContain('missing.json')
  })

  it('--json prints one object per file with the documented fields', () => {
    const r = run(['validate', '--json', 'examples/models/residual-block.keras3.json', 'examples/conv2d/invalid-several-errors.json', join(tmp, 'missing.json')])
    expect(r.code).toBe(2)
    const [good, bad, missing] = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(Object.keys(good ?? {}).sort()).toEqual(['errors', 'file', 'layers', 'output_shape', 'param_count', 'valid'])
    expect(good).toMatchObject({ file: 'examples/models/residual-block.keras3.json', valid: true, errors: [], output_shape: [null, 10], param_count: 4906 })
    expect((good?.['layers'] as unknown[])[1]).toEqual({ name: 'conv_a', class_name: 'Conv2D', output_shape: [null, 32, 32, 16], param_count: 2304 })
    expect(bad).toMatchObject({ valid: false, output_shape: null, param_count: null, layers: [] })
    expect((bad?.['errors'] as Array<{ path: string }>).map((e) => e.path)).toEqual(['kernel_size[1]', 'padding', 'activation', 'strides', 'kernel_sise'])
    expect(missing).toMatchObject({ valid: false, errors: [{ path: '' }] })
  })

  it('--json gives a list of shapes for a model with several outputs', () => {
    const r = run(['validate', '--json', 'spec/fixtures/shared/real-keras-models/K.json'])
    expect(r.code).toBe(0)
    expect((JSON.parse(r.out) as { output_shape: unknown }).output_shape).toEqual([[null, 7], [null, 1]])
  })

  it('--input-shape supplies an unknown input shape', () => {
    const noShape = run(['validate', 'examples/conv2d/tf2-get-config.json'])
    expect(noShape.out).toContain('params unknown')
    const r = run(['validate', '--input-shape', '28,28,1', 'examples/conv2d/tf2-get-config.json'])
    expect(r.out.trim()).toBe('examples/conv2d/tf2-get-config.json: valid Conv2D layer "conv2d", output (None, 26, 26, 32), 320 params')
  })
})

describe('summary', () => {
  it('prints the Keras-style table with totals', () => {
    const r = run(['summary', 'examples/models/channels-first.tf24.json'])
    expect(r.code).toBe(0)
    const lines = r.out.split('\n')
    expect(lines[0]).toBe('Model: "cifar_channels_first"')
    expect(r.out).toMatch(/ conv2d \(Conv2D\)\s+\(None, 16, 32, 32\)\s+432\n/)
    expect(r.out).toMatch(/ batch_normalization \(BatchNormalization\)\s+\(None, 16, 32, 32\)\s+64\n/)
    expect(r.out).toContain('Total params: 5,562')
    // BatchNormalization's moving mean and variance are not trained: 2 × (16 + 32)
    expect(r.out).toContain('Non-trainable params: 96')
    expect(r.out).toContain('Trainable params: 5,466')
  })
  it('shows "Connected to" for functional models', () => {
    const r = run(['summary', 'examples/models/residual-block.keras3.json'])
    expect(r.out).toContain('Connected to')
    expect(r.out).toMatch(/ add \(Add\)\s+\(None, 32, 32, 16\)\s+0\s+bn_b\[0\]\[0\], input_layer\[0\]\[0\]/)
  })
  it('an invalid model: exit 1 with the errors', () => {
    const r = run(['summary', 'spec/fixtures/shared/real-keras-models/B.json'])
    expect(r.code).toBe(1)
    expect(r.out).toContain('(Lambda) cannot be run')
  })
})

describe('run', () => {
  it('runs a tfjs model with the weights its manifest names; same seed, same checksum', () => {
    const a = run(['run', 'examples/tfjs/model.json', '--seed', '3', '--batch', '2'])
    const b = run(['run', 'examples/tfjs/model.json', '--seed', '3', '--batch', '2'])
    expect(a.code).toBe(0)
    expect(a.out).toContain('loaded from the weights manifest')
    // Softmax rows sum to 1, so two samples sum to 2 up to float32 rounding (which the kernel selected may change).
    expect(a.out).toContain('output 0: shape (2, 10), checksum sum=')
    expect(Number(/checksum sum=(\S+)/.exec(a.out)?.[1])).toBeCloseTo(2, 5)
    expect(a.out).toMatch(/forward: \d+\.\d+ ms/)
    const checksum = (s: string) => /checksum .*/.exec(s)?.[0]
    expect(checksum(a.out)).toBe(checksum(b.out))
    const c = run(['run', 'examples/tfjs/model.json', '--seed', '4', '--batch', '2'])
    expect(checksum(c.out)).not.toBe(checksum(a.out))
  })
  it('initializes from the seed when the file has no weights', () => {
    const r = run(['run', 'examples/models/residual-block.keras3.json', '--seed', '1'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('from a seeded init (seed 1)')
    expect(r.out).toContain('output 0: shape (1, 10)')
  })
  it('--input-shape compiles a model whose input is unknown', () => {
    const r = run(['run', 'spec/fixtures/shared/real-keras-models/P.json', '--input-shape', '32,32,3'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('output 0: shape (1, 4, 4, 1)')
    const missing = run(['run', 'spec/fixtures/shared/real-keras-models/P.json'])
    expect(missing.code).toBe(1)
    expect(missing.out).toContain('--input-shape')
  })
  it('a missing shard: exit 1 naming the shard', () => {
    const dir = join(tmp, 'tfjs')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(root, 'examples/tfjs/model.json'), join(dir, 'model.json'))
    const r = run(['run', join(dir, 'model.json')])
    expect(r.code).toBe(1)
    expect(r.out).toContain('shard file "group1-shard1of1.bin" is missing')
    noStackTrace(r.out + r.err)
  })
})

describe('usage', () => {
  it.each([[['frobnicate']], [['validate']], [['validate', '--input-shape', '28,x']], [['run', 'a.json', '--batch', '0']], [['validate', '--bogus', 'x.json']]])(
    'bad usage %j: exit 2 with the usage',
    (args) => {
      const r = run(args)
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/^layerspec: /)
      expect(r.err).toContain('usage:')
      noStackTrace(r.err)
    }
  )
  it('--help: exit 0', () => {
    const r = run(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('layerspec validate FILE')
  })
})
