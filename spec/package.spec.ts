/**
 * The built package works for a plain-JavaScript consumer: `import { decodeConv2D } from 'layerspec'`
 * resolves through package.json `exports` to dist/ (npm ci builds it through `prepare`; npm test
 * builds it first).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('the package as a plain-JavaScript consumer sees it', () => {
  it('imports decodeConv2D, encodeConv2D, compileConv2D and layerspec/arbitraries by package name and runs them', () => {
    const script = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url))
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout) as Record<string, unknown>
    // the arbitraries subpath resolves and its values decode and compile
    expect(JSON.parse(r.stderr)).toEqual({ arbitraries: true })
    expect(out).toEqual({
      padding: 'same',
      outputShape: [1, 4, 4, 2],
      dtype: 'Float32Array',
      encoded: 'Conv2D',
      errors: [{ path: 'filters', message: 'expected a positive integer, found 0, which is not positive' }]
    })
  })
})
