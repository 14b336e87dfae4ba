/**
 * The wasm Dense kernels on random layers: `in` 1..300, `units` 1..300, 1..40 rows as a batch of
 * per-sample shapes of rank 1-3 (ranks 2-4 with the batch), bias on or off, random epilogues (residual
 * adds, relu, relu6, leaky, sigmoid, and the stages the store does not fuse), sometimes NaN/±∞ in the
 * inputs, on a NaN-poisoned arena. Each case: within the tolerance of the reference kernel and of a
 * float64 oracle (spec/compiler/denseHarness.ts: `(K + 2)·2⁻²⁴·S` with `S = |b| + Σ|x·w|`, plus a few
 * roundings of the result per epilogue stage; non-finite values exactly), the fused epilogue equal bit
 * for bit to the kernel's bare sums followed by the TypeScript epilogue, and nothing written outside
 * the output.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyStages } from '../src/compiler/kernels/epilogue.js'
import { HAS_SIMD } from '../src/kernel/wasm/encoder.js'
import {
  bitDifference,
  denseData,
  denseGraph,
  disagreement,
  oracle,
  poisonLost,
  runReference,
  runWasm,
  type DenseCase,
  type StageName
} from '../spec/compiler/denseHarness.js'
import { params } from './settings.js'

const STAGES: ReadonlyArray<StageName> = ['add', 'relu', 'relu6', 'leaky', 'sigmoid', 'add', 'leaky32', 'clamp', 'kerasRelu6', 'reluThreshold']

interface Case extends DenseCase {
  readonly seed: number
  readonly nonFinite: boolean
}

/** Rows ≤ 40: the leading dims first, then a batch that keeps batch · Π(lead) ≤ 40. */
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    K: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 })),
    N: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 })),
    lead: fc.oneof(fc.constant([] as number[]), fc.tuple(fc.integer({ min: 1, max: 6 })), fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))),
    batchSeed: fc.nat(),
    useBias: fc.boolean(),
    stages: fc.array(fc.constantFrom(...STAGES), { maxLength: 4 }),
    seed: fc.nat(),
    nonFinite: fc.boolean()
  })
  .map((r) => {
    const per = r.lead.reduce((a, b) => a * b, 1)
    const batch = 1 + (r.batchSeed % Math.max(1, Math.floor(40 / per)))
    return { K: r.K, N: r.N, lead: r.lead, batch, useBias: r.useBias, stages: r.stages, seed: r.seed, nonFinite: r.nonFinite }
  })

describe.runIf(HAS_SIMD)('wasm Dense kernel (property)', () => {
  it('agrees with the reference kernel and a float64 oracle; the fused epilogue is the TypeScript one; only the output is written', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const g = denseGraph(c)
        const d = denseData(c, g, c.seed, c.nonFinite)
        const r = runWasm(c, g, d)
        expect(r).toBeDefined()
        if (r === undefined) return
        const o = oracle(c, g, d)
        expect(disagreement(c, r.out, runReference(c, g, d), o), 'reference').toBeUndefined()
        expect(disagreement(c, r.out, o.y, o), 'float64 oracle').toBeUndefined()
        // the bare sums of the same kernel tiling, then the epilogue in TypeScript: the same bits
        const bareCase = { ...c, stages: [] }
        const bare = runWasm(bareCase, denseGraph(bareCase), { ...d, residuals: [] })
        if (bare === undefined) throw new Error('refused')
        const n = bare.out.length
        const all = new Float32Array(n * (1 + d.residuals.length))
        all.set(bare.out)
        d.residuals.forEach((res, i) => all.set(res, n * (i + 1)))
        applyStages(g.node.epilogue.stages, all, 0, n, d.residuals.map((_, i) => n * (i + 1)), c.N)
        expect(bitDifference(r.out, all.subarray(0, n)), 'fused = bare + applyStages').toBeUndefined()
        const L = r.layout
        const written: Array<readonly [number, number]> = [
          [L.weights, L.weights + r.kernel.packedFloats],
          [L.x, L.x + g.rows * c.K],
          ...L.residuals.map((a) => [a, a + g.rows * c.N] as const),
          [L.output, L.output + g.rows * c.N]
        ]
        expect(poisonLost(r, written)).toBeUndefined()
      }),
      params(100)
    )
  })
})
