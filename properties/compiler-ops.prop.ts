/**
 * The non-GEMM wasm kernels (src/compiler/kernels/wasm-ops.ts) against the reference kernel on random
 * nodes: pooling of random windows, strides, paddings and sizes in both data formats, global pooling,
 * BatchNormalization over a random axis, activation layers with random arguments, merges of 1-4
 * inputs, Concatenate along a random axis, UpSampling2D nearest, each with a random epilogue (fused adds, clamps, ReLUs, leaky ReLUs, and stages the store
 * cannot apply), batch 1-3, random placement (unaligned, at the end of memory), inputs with ±0, ±∞,
 * NaN, subnormal and huge values, on a NaN-poisoned arena. The results must be the reference's bit
 * for bit (NaN equal to NaN) and the arena untouched outside the output, also when a call's work
 * units are split into ranges run in any order (the threaded runner's contract).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { batchNormFamily, concatFamily, globalPoolFamily, mergeFamily, poolFamily, unaryFamily, upsampleFamily } from '../src/compiler/kernels/wasm-ops.js'
import type { KernelFactory } from '../src/compiler/StepKernel.js'
import type { Unary } from '../src/compiler/Unary.js'
import { compare, firstBitDifference, floats, oneNode, type TestStage } from '../spec/compiler/opsHarness.js'
import { params } from './settings.js'
import { softmaxCode } from '../src/compiler/kernels/wasm/opsSoftmax.js'
import { encodeModule, HAS_SIMD } from '../src/kernel/wasm/encoder.js'
import { wasmApi } from '../src/kernel/wasm/api.js'
import { applyActivation } from '../src/numerics/activations.js'

const softmaxRuns = HAS_SIMD && wasmApi !== undefined

interface Placement {
  readonly batch: number
  readonly gap: number
  readonly atEnd: boolean
  readonly inPlace: boolean
  readonly specials: number
  readonly seed: number
  /** Ranges a call's units are split into (run last first, as threads might finish). */
  readonly pieces: number
}

const arbPlacement: fc.Arbitrary<Placement> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  gap: fc.integer({ min: 0, max: 7 }),
  atEnd: fc.boolean(),
  inPlace: fc.boolean(),
  specials: fc.constantFrom(0, 0.02, 0.2),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  pieces: fc.constantFrom(1, 1, 2, 3, 7)
})

const arbUnary: fc.Arbitrary<Unary> = fc.oneof(
  fc.constantFrom<Unary>({ kind: 'clamp', lo: 0, hi: Infinity }, { kind: 'clamp', lo: 0, hi: 6 }, { kind: 'activation', name: 'sigmoid', dialect: 'keras3' }, { kind: 'activation', name: 'leaky_relu', dialect: 'keras2' }),
  fc.record({ kind: fc.constant('clamp' as const), lo: fc.double({ min: -3, max: 0, noNaN: true }), hi: fc.double({ min: 0, max: 3, noNaN: true }) }),
  fc.record({ kind: fc.constant('leaky' as const), slope: fc.double({ min: -1, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('relu' as const),
    negativeSlope: fc.constantFrom(0, 0, 0.1),
    maxValue: fc.option(fc.double({ min: 0, max: 4, noNaN: true }), { nil: null }),
    threshold: fc.constantFrom(0, 0, 0.1, 0.5, -0.3)
  })
)

const arbStages: fc.Arbitrary<ReadonlyArray<TestStage>> = fc.array(fc.oneof(fc.constant<TestStage>({ add: true }), arbUnary.map((fn): TestStage => ({ fn }))), { maxLength: 4 })

/** Runs one case; returns the kernel's name (fails the property on any difference). */
const run = (family: KernelFactory, className: string, config: Record<string, unknown>, shapes: ReadonlyArray<ReadonlyArray<number>>, stages: ReadonlyArray<TestStage>, p: Placement): void => {
  const one = oneNode(className, config, shapes, stages)
  const weights = one.weightShapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1)
    const d = floats(n, p.seed + 101 * i, 1)
    if (className === 'BatchNormalization') for (let j = 0; j < n; j++) d[j] = Math.abs(d[j] as number) + 1e-3
    return { shape: s, data: d }
  })
  const data = one.inShapes.map((s, i) => floats(p.batch * s.reduce((a, b) => a * b, 1), p.seed + i, 4, p.specials))
  const r = compare(family, one, weights, data, { batch: p.batch, gap: p.gap, atEnd: p.atEnd, inPlace: p.inPlace, pieces: p.pieces })
  expect(r, 'the family takes the node').toBeDefined()
  if (r === undefined) return
  const d = firstBitDifference(r.fast.out, r.reference.out)
  expect(d, `${r.fast.kernel}: first difference at ${d}: ${r.fast.out[d]} vs reference ${r.reference.out[d]}`).toBe(-1)
  expect(r.fast.untouched, 'nothing written outside the output').toBe(true)
  if (r.fast.kernel.startsWith('wasm-')) expect(r.fast.ranged, 'a wasm kernel exposes its unit ranges').toBe(true)
}

describe('wasm-ops kernels = reference kernel, bit for bit (random nodes)', () => {
  it('MaxPooling2D / AveragePooling2D', () => {
    fc.assert(
      fc.property(
        fc.record({
          max: fc.boolean(),
          cl: fc.boolean(),
          kh: fc.integer({ min: 1, max: 4 }),
          kw: fc.integer({ min: 1, max: 4 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          same: fc.boolean(),
          extraH: fc.integer({ min: 0, max: 7 }),
          extraW: fc.integer({ min: 0, max: 9 }),
          C: fc.integer({ min: 1, max: 20 })
        }),
        arbStages,
        arbPlacement,
        (g, stages, p) => {
          const H = g.kh + g.extraH - (g.same ? Math.min(g.extraH, g.kh) : 0)
          const W = g.kw + g.extraW - (g.same ? Math.min(g.extraW, g.kw) : 0)
          const shape = g.cl ? [H, W, g.C] : [g.C, H, W]
          const config = { pool_size: [g.kh, g.kw], strides: [g.sh, g.sw], padding: g.same ? 'same' : 'valid', data_format: g.cl ? 'channels_last' : 'channels_first' }
          run(poolFamily, g.max ? 'MaxPooling2D' : 'AveragePooling2D', config, [shape], stages, p)
        }
      ),
      params(100)
    )
  })

  it('GlobalAveragePooling2D / GlobalMaxPooling2D', () => {
    fc.assert(
      fc.property(
        fc.record({ max: fc.boolean(), cl: fc.boolean(), keepdims: fc.boolean(), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }), C: fc.integer({ min: 1, max: 40 }) }),
        arbStages,
        arbPlacement,
        (g, stages, p) => {
          const shape = g.cl ? [g.H, g.W, g.C] : [g.C, g.H, g.W]
          run(globalPoolFamily, g.max ? 'GlobalMaxPooling2D' : 'GlobalAveragePooling2D', { data_format: g.cl ? 'channels_last' : 'channels_first', keepdims: g.keepdims }, [shape], stages, p)
        }
      ),
      params(100)
    )
  })

  it('BatchNormalization over one axis', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(1e-3, 1e-5, 0.1),
        arbStages,
        arbPlacement,
        (shape, axisPick, scale, center, epsilon, stages, p) => {
          const axis = 1 + (axisPick % shape.length)
          run(batchNormFamily, 'BatchNormalization', { axis: axis === shape.length ? -1 : axis, scale, center, epsilon }, [shape], stages, p)
        }
      ),
      params(100)
    )
  })

  it('Activation / ReLU / LeakyReLU', () => {
    const arbLayer = fc.oneof(
      fc.constantFrom('relu', 'relu6', 'linear', 'leaky_relu', 'sigmoid', 'elu').map((activation) => ['Activation', { activation }] as const),
      fc
        .record({
          max_value: fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: null }),
          negative_slope: fc.constantFrom(0, 0, 0.1, 0.3),
          threshold: fc.constantFrom(0, 0, 0.2, 1)
        })
        .map((c) => ['ReLU', c] as const),
      fc.double({ min: 0, max: 1, noNaN: true }).map((s) => ['LeakyReLU', { negative_slope: s }] as const)
    )
    fc.assert(
      fc.property(arbLayer, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }), arbStages, arbPlacement, ([cls, config], shape, stages, p) => {
        run(unaryFamily, cls, config, [shape], stages, p)
      }),
      params(100)
    )
  })

  it('Add / Subtract / Multiply / Average / Maximum / Minimum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        arbStages,
        arbPlacement,
        (cls, n, shape, stages, p) => {
          const inputs = cls === 'Subtract' ? 2 : n
          run(mergeFamily, cls, {}, Array.from({ length: inputs }, () => shape), stages, p)
        }
      ),
      params(100)
    )
  })

  it('Concatenate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        arbStages,
        arbPlacement,
        (shape, sizes, axisPick, stages, p) => {
          const a = axisPick % shape.length
          const shapes = sizes.map((n) => shape.map((d, i) => (i === a ? n : d)))
          run(concatFamily, 'Concatenate', { axis: a + 1 }, shapes, stages, p)
        }
      ),
      params(100)
    )
  })

  it('UpSampling2D nearest', () => {
    fc.assert(
      fc.property(
        fc.record({ cl: fc.boolean(), fh: fc.integer({ min: 1, max: 4 }), fw: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 9 }), C: fc.integer({ min: 1, max: 12 }) }),
        arbStages,
        arbPlacement,
        (g, stages, p) => {
          const shape = g.cl ? [g.H, g.W, g.C] : [g.C, g.H, g.W]
          run(upsampleFamily, 'UpSampling2D', { size: [g.fh, g.fw], data_format: g.cl ? 'channels_last' : 'channels_first' }, [shape], stages, p)
        }
      ),
      params(100)
    )
  })
})

describe('the generated softmax (wasm/opsSoftmax.ts): fdlibm\'s exponential in float64 lanes', () => {
  it.runIf(softmaxRuns)('any rows of any floats (±0, ±∞, NaN, subnormals, huge spreads): bit for bit the TypeScript softmax, out of place and in place', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.float({ noDefaultInfinity: false, noNaN: false }), { minLength: 1, maxLength: 200 }),
        fc.boolean(),
        (n, values, inPlace) => {
          const rows = Math.max(1, Math.floor(values.length / n))
          const x = Float32Array.from({ length: rows * n }, (_, i) => values[i % values.length] as number)
          const want = Float32Array.from(x)
          applyActivation('softmax', 'keras3', want, n)
          const api = wasmApi as NonNullable<typeof wasmApi>
          const memory = new api.Memory({ initial: 1, maximum: 65536 })
          const run = new api.Instance(new api.Module(encodeModule([{ name: 'run', code: softmaxCode(n) }], { shared: false, initialPages: 1, maxPages: 65536 })), { env: { memory } }).exports['run'] as (o: number, x: number, u0: number, u1: number) => void
          const heap = new Float32Array(memory.buffer)
          heap.set(x, 0)
          const out = inPlace ? 0 : x.length + 4
          run(out * 4, 0, 0, rows)
          expect(firstBitDifference(heap.subarray(out, out + x.length), want)).toBe(-1)
        }
      ),
      params(200)
    )
  })
})
