/**
 * The convolution family's fast VJPs (src/train/vjp/convFamily.ts) and the 1-D / 3-D pooling VJP
 * (src/train/vjp/poolNd.ts) against naive oracles, over random geometries (issue 14).
 *
 * Convolutions: the family's N-D oracle (src/conv/reference.ts, `convNdReference`, a direct loop in
 * float64) is linear in the input, the kernel and the bias, so a correct VJP satisfies the adjoint
 * identities `⟨dx, v⟩ = ⟨dy, f(v, K)⟩`, `⟨dK, U⟩ = ⟨dy, f(x, U)⟩` and `⟨db, u⟩ = ⟨dy, f(0, 0, u)⟩` for
 * every v, U, u; they are checked for random directions (a wrong element shows in every random
 * direction that touches it) and for every basis direction of the kernel and bias (the kernel
 * gradient element by element). Geometries: every kind (forward, grouped, depthwise, transposed) of
 * rank 1-3, both data formats, `valid` / `same` / `causal`, strides, dilation, `output_padding`,
 * groups, depth multipliers, batches of 1-3. Tolerance `1e-12 · S` in float64 (S: the same pairing on
 * absolute values, the size of the sum's terms), `2e-5 · S` in float32 (WebAssembly SIMD where it
 * validates: sums in float32, Winograd's tiles; and the plain-TS kernels). Measured: 3.2e-16 · S
 * (float64), 1.5e-7 · S (float32).
 *
 * Pooling: the average pooling VJP by the adjoint identity against the layer's own forward (linear);
 * max pooling against the layer's forward's directional derivative (central difference at a point
 * with distinct values, exact while no window's maximum changes).
 */
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { convNdReference } from '../../src/conv/reference.js'
import { convNdGeometry, type ConvNdGeometry, type ConvNdParams, type ConvRank } from '../../src/geometry/ConvNdGeometry.js'
import { poolAxis } from '../../src/geometry/Axis.js'
import { findLayerKind } from '../../src/model/registry.js'
import type { FloatArray, FloatDType } from '../../src/numerics/FloatArray.js'
import { compileConvNdVjp } from '../../src/train/vjp/convFamily.js'
import { poolNdVjp } from '../../src/train/vjp/poolNd.js'
import { right } from '../helpers.js'

/** A deterministic stream of values in [−1, 1). */
const values = (seed: number, n: number): Float64Array => {
  let s = (seed * 2654435761 + 12345) >>> 0
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number)
  return s
}
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs)
const size = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)
const cast = (dtype: FloatDType, a: ArrayLike<number>): FloatArray => (dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a))

// -------------------------------------------------------------------------------------
// convolutions
// -------------------------------------------------------------------------------------

interface ConvCase {
  readonly params: ConvNdParams
  readonly inputShape: ReadonlyArray<number>
  readonly batch: number
  readonly seed: number
}

const perAxis = (arb: fc.Arbitrary<number>) => fc.tuple(arb, arb, arb)

const arbConvCase: fc.Arbitrary<ConvCase> = fc
  .record({
    kind: fc.constantFrom<ConvNdParams['kind']>('conv', 'depthwise', 'transpose'),
    rank: fc.constantFrom<ConvRank>(1, 2, 3),
    channelsFirst: fc.boolean(),
    k: perAxis(fc.integer({ min: 1, max: 3 })),
    s: perAxis(fc.integer({ min: 1, max: 3 })),
    d: perAxis(fc.integer({ min: 1, max: 2 })),
    strided: fc.boolean(),
    padding: fc.constantFrom('valid', 'same', 'causal'),
    filters: fc.integer({ min: 1, max: 5 }),
    groups: fc.constantFrom(1, 2),
    mult: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 3 }),
    op: fc.option(perAxis(fc.nat(2)), { nil: null }),
    n: perAxis(fc.integer({ min: 1, max: 7 })),
    batch: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1e6 })
  })
  .map((r): ConvCase => {
    const cut = (t: readonly [number, number, number]): number[] => t.slice(0, r.rank)
    // Keras: strides > 1 or dilation > 1, not both
    const strides = r.strided ? cut(r.s) : cut([1, 1, 1])
    const dilationRate = r.strided ? cut([1, 1, 1]) : cut(r.d)
    const padding = r.padding === 'causal' && (r.rank !== 1 || r.kind === 'transpose') ? 'same' : r.padding
    const groups = r.kind === 'conv' ? r.groups : 1
    const C = r.kind === 'conv' ? groups * r.cg : r.cg
    const filters = r.kind === 'conv' ? groups * r.filters : r.filters
    const outputPadding = r.kind === 'transpose' && r.op !== null ? cut(r.op).map((p, a) => p % (strides[a] as number)) : null
    const spatial = cut(r.n).map((n) => (r.rank === 3 ? Math.min(n, 5) : n))
    return {
      params: { kind: r.kind, rank: r.rank, dataFormat: r.channelsFirst ? 'channels_first' : 'channels_last', kernelSize: cut(r.k), strides, dilationRate, padding, filters, groups, depthMultiplier: r.mult, outputPadding },
      inputShape: r.channelsFirst ? [C, ...spatial] : [...spatial, C],
      batch: r.batch,
      seed: r.seed
    }
  })

/** The geometry of a case, or `undefined` where Keras would refuse the shapes (a `valid` window larger than the input, …). */
const geometryOf = (c: ConvCase): ConvNdGeometry | undefined => {
  const g = convNdGeometry(c.params, c.inputShape)
  return E.isRight(g) && g.right.outSpatial.every((n) => n > 0) ? g.right : undefined
}

/** Checks the VJP of a geometry by the adjoint identities against the oracle; returns the worst error relative to its scale. */
const checkConv = (g: ConvNdGeometry, batch: number, seed: number, dtype: FloatDType, backend: 'js' | 'auto'): number => {
  const kernelSize = size(g.kernelShape)
  const F = g.outChannels
  const x = values(seed, batch * g.inputSize)
  const K = values(seed + 1, kernelSize)
  const dy = values(seed + 2, batch * g.outputSize)
  const vjp = compileConvNdVjp(g, { dtype, backend })
  const r = vjp.run(batch, cast(dtype, x), cast(dtype, K), cast(dtype, dy), true, true)
  const tol = dtype === 'float64' ? 1e-12 : 2e-5
  let worst = 0
  const check = (what: string, ours: number, theirs: number, scale: number): void => {
    const e = Math.abs(ours - theirs) / (scale + 1e-300)
    worst = Math.max(worst, e)
    expect(Math.abs(ours - theirs), `${what}: ours ${ours}, oracle ${theirs} (scale ${scale})`).toBeLessThanOrEqual(tol * scale + 1e-300)
  }
  const zeroX = new Float64Array(batch * g.inputSize)
  const zeroK = new Float64Array(kernelSize)
  // dx: two random directions
  for (let t = 0; t < 2; t++) {
    const v = values(seed + 10 + t, x.length)
    check(`⟨dx, v${t}⟩`, dot(r.dx as FloatArray, v), dot(dy, convNdReference(g, batch, v, K, undefined)), dot(abs(dy), convNdReference(g, batch, abs(v), abs(K), undefined)))
  }
  // dK: a random direction and every basis direction (each kernel element)
  const U = values(seed + 20, kernelSize)
  check('⟨dK, U⟩', dot(r.dw, U), dot(dy, convNdReference(g, batch, x, U, undefined)), dot(abs(dy), convNdReference(g, batch, abs(x), abs(U), undefined)))
  for (let e = 0; e < kernelSize; e++) {
    const basis = new Float64Array(kernelSize)
    basis[e] = 1
    check(`dK[${e}]`, r.dw[e] as number, dot(dy, convNdReference(g, batch, x, basis, undefined)), dot(abs(dy), convNdReference(g, batch, abs(x), basis, undefined)))
  }
  // db: every channel
  for (let f = 0; f < F; f++) {
    const u = new Float64Array(F)
    u[f] = 1
    const y = convNdReference(g, batch, zeroX, zeroK, u)
    check(`db[${f}]`, (r.db as FloatArray)[f] as number, dot(dy, y), dot(abs(dy), y))
  }
  // the weight-only call gives the same kernel and bias gradients
  const w = vjp.run(batch, cast(dtype, x), cast(dtype, K), cast(dtype, dy), false, true)
  expect(w.dx).toBeUndefined()
  expect(Array.from(w.dw)).toEqual(Array.from(r.dw))
  expect(Array.from(w.db as FloatArray)).toEqual(Array.from(r.db as FloatArray))
  vjp.dispose()
  return worst
}

describe('the convolution family VJPs against the N-D oracle (adjoint identities)', () => {
  const runs = [
    ['float64', 'js', 200],
    ['float32', 'auto', 120],
    ['float32', 'js', 60]
  ] as const
  for (const [dtype, backend, numRuns] of runs) {
    it(`${dtype} ${backend}: random kinds, ranks, formats, paddings, strides, dilations, output_padding, groups, multipliers`, () => {
      let worst = 0
      fc.assert(
        fc.property(arbConvCase, (c) => {
          const g = geometryOf(c)
          fc.pre(g !== undefined)
          worst = Math.max(worst, checkConv(g as ConvNdGeometry, c.batch, c.seed, dtype, backend))
        }),
        { numRuns, seed: 20261206 }
      )
      console.log(`family VJP ${dtype} ${backend}: worst error ${worst.toExponential(2)} of the terms' scale`)
    })
  }

  it('every kind and rank is decomposed onto the 2-D machinery (names)', () => {
    const g = (p: Partial<ConvNdParams>, shape: ReadonlyArray<number>): ConvNdGeometry =>
      right(
        convNdGeometry(
          { kind: 'conv', rank: 1, dataFormat: 'channels_last', kernelSize: [3], strides: [1], dilationRate: [1], padding: 'valid', filters: 4, groups: 1, depthMultiplier: 1, outputPadding: null, ...p },
          shape
        )
      )
    expect(compileConvNdVjp(g({ padding: 'causal' }, [8, 2])).name).toMatch(/^rank1-row dx:/)
    expect(compileConvNdVjp(g({ kind: 'depthwise', depthMultiplier: 2 }, [8, 3])).name).toMatch(/^rank1-row dx:\S*depthwise/)
    expect(compileConvNdVjp(g({ rank: 3, kernelSize: [2, 3, 3], strides: [1, 1, 1], dilationRate: [1, 1, 1] }, [4, 5, 5, 2])).name).toMatch(/^rank3-fold\(Kd=2\)/)
    expect(compileConvNdVjp(g({ kind: 'transpose', rank: 2, kernelSize: [3, 3], strides: [2, 2], dilationRate: [1, 1], padding: 'same' }, [4, 4, 2])).name).toMatch(/^transpose dx:rank2 .* dw:rank2-plane/)
  })
})

// -------------------------------------------------------------------------------------
// pooling
// -------------------------------------------------------------------------------------

interface PoolCase {
  readonly className: 'MaxPooling1D' | 'AveragePooling1D' | 'MaxPooling3D' | 'AveragePooling3D'
  readonly channelsFirst: boolean
  readonly pool: ReadonlyArray<number>
  readonly strides: ReadonlyArray<number>
  readonly same: boolean
  readonly spatial: ReadonlyArray<number>
  readonly channels: number
  readonly batch: number
  readonly seed: number
}

const arbPoolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    max: fc.boolean(),
    rank: fc.constantFrom(1, 3),
    channelsFirst: fc.boolean(),
    pool: perAxis(fc.integer({ min: 1, max: 3 })),
    strides: perAxis(fc.integer({ min: 1, max: 3 })),
    same: fc.boolean(),
    n: perAxis(fc.integer({ min: 1, max: 6 })),
    channels: fc.integer({ min: 1, max: 3 }),
    batch: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer({ min: 0, max: 1e6 })
  })
  .map((r): PoolCase => {
    const cut = (t: readonly [number, number, number]): number[] => t.slice(0, r.rank)
    const pool = cut(r.pool)
    const spatial = cut(r.n).map((n, a) => Math.max(n, pool[a] as number))
    return {
      className: `${r.max ? 'Max' : 'Average'}Pooling${r.rank}D` as PoolCase['className'],
      channelsFirst: r.channelsFirst,
      pool,
      strides: cut(r.strides),
      same: r.same,
      spatial,
      channels: r.channels,
      batch: r.batch,
      seed: r.seed
    }
  })

describe('the 1-D / 3-D pooling VJP against the layer forward', () => {
  it('average: adjoint identity; max: directional derivative (both formats, valid / same, strides)', () => {
    fc.assert(
      fc.property(arbPoolCase, (c) => {
        const kind = findLayerKind(c.className)
        if (kind === undefined) throw new Error(`no layer kind ${c.className}`)
        const decoded = kind
          .codec({ dialect: 'keras3', imageDataFormat: 'channels_last' })
          .decode({ name: 'pool', pool_size: c.pool, strides: c.strides, padding: c.same ? 'same' : 'valid', data_format: c.channelsFirst ? 'channels_first' : 'channels_last' })
        if (E.isLeft(decoded)) throw new Error(`${c.className}: the config does not decode`)
        const spec = decoded.right
        const inShape = c.channelsFirst ? [c.channels, ...c.spatial] : [...c.spatial, c.channels]
        const layer = right(kind.compile(spec, [inShape], { dtype: 'float64' }))
        const outShape = layer.outputShape
        const forward = (x: Float64Array): FloatArray => layer.forward([], [{ shape: [c.batch, ...inShape], data: x }]).data
        // distinct values (a random permutation of a grid), so that no window's maximum is tied
        const n = c.batch * size(inShape)
        const keys = values(c.seed, n)
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number))
        const x = new Float64Array(n)
        order.forEach((i, rankOf) => (x[i] = rankOf / n - 0.5))
        const dy = values(c.seed + 1, c.batch * size(outShape))
        const lead = (xs: ReadonlyArray<number>, unit: number): readonly [number, number, number] => [...new Array<number>(3 - xs.length).fill(unit), ...xs] as unknown as readonly [number, number, number]
        const split = (shape: ReadonlyArray<number>) => ({
          spatial: lead(c.channelsFirst ? shape.slice(1) : shape.slice(0, -1), 1),
          channels: c.channels,
          channelsFirst: c.channelsFirst
        })
        const before = c.spatial.map((len, a) => poolAxis(len, c.pool[a] as number, c.strides[a] as number, c.same ? 'same' : 'valid').before)
        const dx = poolNdVjp(c.className.startsWith('Max'), c.batch, x, split(inShape), dy, split(outShape), { size: lead(c.pool, 1), strides: lead(c.strides, 1), before: lead(before, 0) })
        for (let t = 0; t < 2; t++) {
          const v = values(c.seed + 5 + t, n)
          let theirs: number
          if (c.className.startsWith('Max')) {
            const h = 1e-4 / n
            const plus = forward(Float64Array.from(x, (xi, i) => xi + h * (v[i] as number)))
            const minus = forward(Float64Array.from(x, (xi, i) => xi - h * (v[i] as number)))
            theirs = dot(dy, Float64Array.from(plus, (p, i) => (p - (minus[i] as number)) / (2 * h)))
          } else theirs = dot(dy, forward(v))
          const ours = dot(dx, v)
          expect(Math.abs(ours - theirs), `${c.className} ⟨dx, v${t}⟩: ours ${ours}, forward ${theirs}`).toBeLessThanOrEqual(1e-9 * (1 + dot(abs(dy), forward(abs(v)))))
        }
      }),
      { numRuns: 150, seed: 20261206 }
    )
  })
})
