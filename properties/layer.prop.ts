/**
 * Properties of the compiled layer: every kernel the compiler can select agrees with the reference
 * kernel; forward, init, constrain and the regularizers are pure and deterministic; init and constrain
 * meet their postconditions.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbConv2DCase } from '../src/arbitraries/index.js'
import { KERNEL_NAMES } from '../src/kernel/ConvKernel.js'
import { compileConv2D } from '../src/conv/compileConv2D.js'
import type { Tensor } from '../src/core/Tensor.js'
import { params } from './settings.js'
import { bytesOf, maxRelError, ok } from './util.js'

const FAST_KERNELS = KERNEL_NAMES.filter((k) => k !== 'reference')

describe('kernels agree with the reference kernel', () => {
  it.each(FAST_KERNELS.map((k) => [k] as const))('%s', (kernel) => {
    fc.assert(
      fc.property(arbConv2DCase({ maxBatch: 3, maxGroups: 4 }), ({ spec, inputShape, params: p, input }) => {
        const reference = ok(compileConv2D(spec, inputShape, { kernel: 'reference' })).forward(p, input)
        const fast = ok(compileConv2D(spec, inputShape, { kernel })).forward(p, input)
        expect(fast.shape).toEqual(reference.shape)
        expect(maxRelError(fast.data, reference.data)).toBeLessThanOrEqual(spec.dtype === 'float64' ? 1e-12 : 1e-5)
      }),
      params()
    )
  })
})

describe('purity and determinism', () => {
  it('forward, run, init, constrain, regularization and activityRegularization never write into their arguments', () => {
    fc.assert(
      fc.property(arbConv2DCase(), fc.integer(), ({ spec, inputShape, params: p, input }, seed) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const before = [bytesOf(input), bytesOf(p.kernel), ...(p.bias ? [bytesOf(p.bias)] : [])]
        const y = layer.forward(p, input)
        layer.run(p, input)
        layer.constrain(p)
        layer.regularization(p)
        const yBefore = bytesOf(y)
        layer.activityRegularization(y)
        layer.init(seed)
        expect([bytesOf(input), bytesOf(p.kernel), ...(p.bias ? [bytesOf(p.bias)] : [])]).toEqual(before)
        expect(bytesOf(y)).toEqual(yBefore)
      }),
      params()
    )
  })

  it('the same inputs give bit-identical outputs, and run agrees with forward', () => {
    fc.assert(
      fc.property(arbConv2DCase(), ({ spec, inputShape, params: p, input }) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const a = layer.forward(p, input)
        const b = ok(compileConv2D(spec, inputShape)).forward(p, input)
        const r = ok(layer.run(p, input))
        expect(bytesOf(a)).toEqual(bytesOf(b))
        expect(bytesOf(r)).toEqual(bytesOf(a))
      }),
      params()
    )
  })

  it('init is deterministic in its seed, independent of call order, and shaped like weightShapes', () => {
    fc.assert(
      fc.property(arbConv2DCase(), fc.integer(), fc.integer(), ({ spec, inputShape }, s1, s2) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const a = layer.init(s1)
        layer.init(s2)
        const b = layer.init(s1)
        expect(bytesOf(b.kernel)).toEqual(bytesOf(a.kernel))
        expect(a.kernel.shape).toEqual(layer.weightShapes.kernel)
        expect(a.bias?.shape).toEqual(layer.weightShapes.bias)
        expect(a.kernel.data.length + (a.bias?.data.length ?? 0)).toBe(layer.paramCount)
      }),
      params()
    )
  })
})

describe('initializer and constraint postconditions at the layer', () => {
  const inBounds = (t: Tensor, lo: number, hi: number): boolean => t.data.every((v) => v >= lo && v <= hi)

  it('init respects each initializer: constants exact, uniform within its limit, truncated within 2 stddev', () => {
    fc.assert(
      fc.property(arbConv2DCase(), fc.integer(), ({ spec, inputShape }, seed) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const p = layer.init(seed)
        const fanIn = layer.weightShapes.kernel[0] * layer.weightShapes.kernel[1] * layer.weightShapes.kernel[2]
        const fanOut = layer.weightShapes.kernel[0] * layer.weightShapes.kernel[1] * layer.weightShapes.kernel[3]
        const check = (init: typeof spec.kernelInitializer, t: Tensor, fans: readonly [number, number]): void => {
          const slack = 1e-6
          switch (init.kind) {
            case 'constant':
              expect(t.data.every((v) => v === Math.fround(init.value) || v === init.value)).toBe(true)
              break
            case 'random_uniform':
              expect(inBounds(t, init.minval - slack, init.maxval + slack)).toBe(true)
              break
            case 'truncated_normal':
              expect(inBounds(t, init.mean - 2 * init.stddev - slack, init.mean + 2 * init.stddev + slack)).toBe(true)
              break
            case 'variance_scaling': {
              const n = init.mode === 'fan_in' ? fans[0] : init.mode === 'fan_out' ? fans[1] : (fans[0] + fans[1]) / 2
              const s = init.scale / Math.max(1, n)
              if (init.distribution === 'uniform') expect(inBounds(t, -Math.sqrt(3 * s) - slack, Math.sqrt(3 * s) + slack)).toBe(true)
              if (init.distribution === 'truncated_normal') {
                const bound = (2 * Math.sqrt(s)) / 0.87962566103423978
                expect(inBounds(t, -bound - slack, bound + slack)).toBe(true)
              }
              break
            }
            default:
              expect(t.data.every((v) => Number.isFinite(v))).toBe(true)
          }
        }
        check(spec.kernelInitializer, p.kernel, [fanIn, fanOut])
        if (p.bias !== undefined) check(spec.biasInitializer, p.bias, [spec.filters, spec.filters])
      }),
      params()
    )
  })

  it('constrain meets each constraint: non_neg ≥ 0, max_norm ≤ max_value, unit_norm 1, min_max_norm (rate 1) in range', () => {
    const norms = (t: Tensor, axes: ReadonlyArray<number>): number[] => {
      const shape = t.shape
      const rank = shape.length
      const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)))
      const sums = new Map<string, number>()
      const idx = new Array<number>(rank).fill(0)
      for (let i = 0; i < t.data.length; i++) {
        let r = i
        for (let d = rank - 1; d >= 0; d--) {
          idx[d] = r % (shape[d] as number)
          r = Math.floor(r / (shape[d] as number))
        }
        const key = idx.filter((_, d) => !reduced.has(d)).join(',')
        sums.set(key, (sums.get(key) ?? 0) + (t.data[i] as number) ** 2)
      }
      return [...sums.values()].map(Math.sqrt)
    }
    fc.assert(
      fc.property(arbConv2DCase(), ({ spec, inputShape, params: p }) => {
        const layer = ok(compileConv2D(spec, inputShape))
        const c = layer.constrain(p)
        const pairs: ReadonlyArray<readonly [typeof spec.kernelConstraint, Tensor | undefined, Tensor | undefined]> = [
          [spec.kernelConstraint, p.kernel, c.kernel],
          [spec.biasConstraint, p.bias, c.bias]
        ]
        for (const [constraint, before, after] of pairs) {
          if (constraint === null || before === undefined || after === undefined) continue
          const tol = spec.dtype === 'float64' ? 1e-9 : 1e-5
          switch (constraint.kind) {
            case 'non_neg':
              expect(after.data.every((v) => v >= 0)).toBe(true)
              break
            case 'max_norm':
              for (const n of norms(after, constraint.axis)) expect(n).toBeLessThanOrEqual(constraint.maxValue * (1 + tol) + tol)
              break
            // Keras divides by (ε + n) with ε = 1e-7, so a norm n lands at n / (n + ε) of its target.
            case 'unit_norm':
              norms(after, constraint.axis).forEach((n, i) => {
                const n0 = norms(before, constraint.axis)[i] as number
                expect(n).toBeLessThanOrEqual(1 + tol)
                expect(n).toBeGreaterThanOrEqual(n0 / (n0 + 1e-7) - tol)
              })
              break
            case 'min_max_norm':
              if (constraint.rate === 1)
                norms(after, constraint.axis).forEach((n, i) => {
                  const n0 = norms(before, constraint.axis)[i] as number
                  expect(n).toBeGreaterThanOrEqual((constraint.minValue * n0) / (n0 + 1e-7) - tol)
                  expect(n).toBeLessThanOrEqual(constraint.maxValue + tol)
                })
              break
          }
        }
      }),
      params()
    )
  })
})
