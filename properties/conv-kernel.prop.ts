/**
 * `compileConvNd` (src/conv/kernel.ts) against the family's oracle (src/conv/reference.ts) on random
 * geometries: every kind (forward grouped, depthwise with a multiplier, transposed with and without
 * `output_padding`), rank 1-3, both data formats, all paddings (causal for rank 1), strides and
 * dilations (both > 1 at once too, which K3 ≥ 3.15 depthwise layers accept), odd sizes, batches of 1-3,
 * with and without bias, float32 and float64, both backends, 1 and 2 threads (split from the first
 * multiply-add), strided transposed layers by phases and spread. Tolerance per element: `64·eps·Σ|terms| + 8·eps·max Σ|terms| + eps·|want|`
 * (spec/conv/kernel-helpers.ts `excess`). Also: inputs are never written, and each sample's result is
 * the same bits whether it runs alone or in a batch (scratch reused across batch sizes).
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { compileConvNd } from '../src/conv/kernel.js'
import { convNdGeometry, type ConvNdGeometry, type ConvNdParams, type ConvRank } from '../src/geometry/ConvNdGeometry.js'
import { disposeThreads } from '../src/kernel/threads.js'
import { EPS, excess, values } from '../spec/conv/kernel-helpers.js'
import { params } from './settings.js'

interface Case {
  readonly g: ConvNdGeometry
  readonly batch: number
  readonly bias: boolean
  readonly dtype: 'float32' | 'float64'
  readonly backend: 'js' | 'wasm'
  readonly threads: number
  readonly transposed: 'phases' | 'spread'
  readonly seed: number
}

const perAxis = <A>(arb: fc.Arbitrary<A>): fc.Arbitrary<readonly [A, A, A]> => fc.tuple(arb, arb, arb)

/**
 * A valid geometry, built directly: a `valid` forward window always fits (the input is the effective
 * window plus 0-4), channels divide into groups, and the one transposed corner of length 0 (`same`,
 * even window, `output_padding` 0 on an axis of 1) gets one more element.
 */
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.constantFrom('conv', 'depthwise', 'transpose'),
    rank: fc.constantFrom<ConvRank>(1, 2, 3),
    dataFormat: fc.constantFrom('channels_last', 'channels_first'),
    kernel: perAxis(fc.integer({ min: 1, max: 4 })),
    strides: perAxis(fc.integer({ min: 1, max: 3 })),
    dilation: perAxis(fc.integer({ min: 1, max: 3 })),
    stepping: fc.constantFrom('strides', 'dilation', 'both'),
    padding: fc.constantFrom('valid', 'same', 'causal'),
    groups: fc.integer({ min: 1, max: 3 }),
    channelsPerGroup: fc.integer({ min: 1, max: 4 }),
    filtersPerGroup: fc.integer({ min: 1, max: 9 }),
    multiplier: fc.integer({ min: 1, max: 3 }),
    outputPadding: fc.option(perAxis(fc.nat(2)), { nil: null }),
    extra: perAxis(fc.nat(4)),
    batch: fc.integer({ min: 1, max: 3 }),
    bias: fc.boolean(),
    dtype: fc.constantFrom('float32', 'float64'),
    backend: fc.constantFrom('js', 'wasm'),
    threads: fc.constantFrom(1, 2),
    transposed: fc.constantFrom('phases', 'spread'),
    seed: fc.nat()
  })
  .map((r): Case => {
    const rank = r.rank
    const take = <A>(t: readonly [A, A, A]): A[] => t.slice(0, rank)
    const kernelSize = take(r.kernel)
    const strides = r.stepping === 'dilation' ? kernelSize.map(() => 1) : take(r.strides)
    const dilationRate = r.stepping === 'strides' ? kernelSize.map(() => 1) : take(r.dilation)
    const padding = r.kind === 'transpose' ? (r.padding === 'causal' ? 'valid' : r.padding) : r.padding === 'causal' && rank !== 1 ? 'same' : r.padding
    const groups = r.kind === 'conv' ? r.groups : 1
    const C = r.kind === 'conv' ? groups * r.channelsPerGroup : r.channelsPerGroup + r.groups - 1
    const p: ConvNdParams = {
      kind: r.kind,
      rank,
      dataFormat: r.dataFormat,
      kernelSize,
      strides,
      dilationRate,
      padding,
      filters: groups * r.filtersPerGroup,
      groups,
      depthMultiplier: r.multiplier,
      outputPadding: r.kind === 'transpose' && r.outputPadding !== null ? take(r.outputPadding).map((op, a) => op % (strides[a] as number)) : null
    }
    const spatial = kernelSize.map((k, a) => (padding === 'valid' && r.kind !== 'transpose' ? (dilationRate[a] as number) * (k - 1) + 1 : 1) + (r.extra[a] as number))
    const shapeOf = (s: ReadonlyArray<number>): number[] => (r.dataFormat === 'channels_first' ? [C, ...s] : [...s, C])
    let g = convNdGeometry(p, shapeOf(spatial))
    if (E.isLeft(g)) g = convNdGeometry(p, shapeOf(spatial.map((n) => n + 1)))
    if (E.isLeft(g)) throw new Error(`arbCase: ${JSON.stringify(p)} on [${spatial.join(', ')}]: ${g.left.map((e) => e.message).join('; ')}`)
    return { g: g.right, batch: r.batch, bias: r.bias, dtype: r.dtype, backend: r.backend, threads: r.threads, transposed: r.transposed, seed: r.seed }
  })

describe('compileConvNd agrees with the oracle (every kind, rank, format, backend, threads, dtype)', () => {
  afterAll(() => disposeThreads())

  it('within float tolerance of Σ|terms|; inputs untouched; a sample alone gives the bits it gives in a batch', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { g, batch, dtype } = c
        const x = values(dtype, batch * g.inputSize, c.seed)
        const K = values(dtype, g.kernelShape.reduce((a, b) => a * b, 1), c.seed + 1)
        const b = c.bias ? values(dtype, g.outChannels, c.seed + 2) : undefined
        const copies = [x.slice(), K.slice(), b?.slice()]
        const compiled = compileConvNd(g, { dtype, backend: c.backend, threads: c.threads, parallelMinMacs: 0, transposed: c.transposed })
        try {
          const out = dtype === 'float32' ? new Float32Array(batch * g.outputSize).fill(Number.NaN) : new Float64Array(batch * g.outputSize).fill(Number.NaN)
          compiled.run(batch, x, K, b, out)
          const e = excess(g, batch, x, K, b, out, EPS[dtype])
          expect(e.worst, `${compiled.name} at ${e.at}: got ${out[e.at]}, want ${e.want[e.at]}`).toBeLessThanOrEqual(0)
          expect([x, K, b]).toEqual(copies)
          // the last sample alone, after the batch (the scratch is reused, smaller)
          const last = x.subarray((batch - 1) * g.inputSize)
          const one = dtype === 'float32' ? new Float32Array(g.outputSize).fill(Number.NaN) : new Float64Array(g.outputSize).fill(Number.NaN)
          compiled.run(1, last, K, b, one)
          expect(Array.from(one)).toEqual(Array.from(out.subarray((batch - 1) * g.outputSize)))
        } finally {
          compiled.dispose()
        }
      }),
      params(300)
    )
  })
})
