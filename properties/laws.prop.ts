/**
 * Algebraic laws of convolution, checked on every kernel the compiler can select, with small integer
 * values in float64 so that every law holds exactly (no tolerance to hide behind):
 * linearity; translation equivariance; channels_first = channels_last up to transposition; a dilated
 * kernel = the undilated kernel with zeros inserted; a 1×1 convolution = a matrix product; an identity
 * kernel returns its input; groups = k equals k independent convolutions on channel slices.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbConv2DPlan, arbTensor } from '../src/arbitraries/index.js'
import { decodeConv2D } from '../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'
import type { Tensor } from '../src/core/Tensor.js'
import { KERNEL_NAMES, type KernelName } from '../src/kernel/ConvKernel.js'
import { compileConv2D } from '../src/conv/compileConv2D.js'
import { params } from './settings.js'
import { combine, nhwcToNchw, ok, slice } from './util.js'

/** A linear (no bias, no activation) float64 spec from a generated plan, with overrides. */
const linearSpec = (config: Record<string, unknown>, over: Record<string, unknown> = {}): Conv2DSpec => {
  const inner = ('config' in config ? config['config'] : config) as Record<string, unknown>
  return ok(decodeConv2D({ ...inner, use_bias: false, activation: 'linear', dtype: 'float64', batch_input_shape: null, input_shape: null, ...over }))
}

/** The values of a tensor, with -0 read as 0 (IEEE zeros compare equal; deep equality does not). */
const values = (t: Tensor): number[] => Array.from(t.data, (v) => v + 0)

const run = (spec: Conv2DSpec, inputShape: ReadonlyArray<number>, kernel: Tensor, x: Tensor, name: KernelName): Tensor =>
  ok(compileConv2D(spec, inputShape, { kernel: name })).forward({ kernel }, x)

/** A channels_last plan and integer-valued kernel and input for it. */
const arbLinearCase = (options: Parameters<typeof arbConv2DPlan>[0] = {}) =>
  arbConv2DPlan({ keras: false, ...options }).chain((plan) => {
    const spec = linearSpec(plan.config, { data_format: 'channels_last' })
    const [kh, kw] = spec.kernelSize
    const channels = plan.dataFormat === 'channels_last' ? plan.inputShape[2] : plan.inputShape[0]
    const rows = plan.dataFormat === 'channels_last' ? plan.inputShape[0] : plan.inputShape[1]
    const cols = plan.dataFormat === 'channels_last' ? plan.inputShape[1] : plan.inputShape[2]
    const inputShape = [rows, cols, channels] as const
    return fc.record({
      spec: fc.constant(spec),
      inputShape: fc.constant(inputShape),
      kernel: arbTensor([kh, kw, channels / spec.groups, spec.filters], 'float64', 'integers'),
      x: fc.integer({ min: 1, max: 2 }).chain((batch) => arbTensor([batch, ...inputShape], 'float64', 'integers')),
      y: fc.constant(null)
    })
  })

describe.each(KERNEL_NAMES.map((k) => [k] as const))('laws (%s kernel)', (name) => {
  it('linearity in the input: f(a·x + b·y) = a·f(x) + b·f(y)', () => {
    fc.assert(
      fc.property(
        arbLinearCase().chain((c) => fc.record({ c: fc.constant(c), y: arbTensor(c.x.shape, 'float64', 'integers'), a: fc.integer({ min: -3, max: 3 }), b: fc.integer({ min: -3, max: 3 }) })),
        ({ c, y, a, b }) => {
          const f = (t: Tensor) => run(c.spec, c.inputShape, c.kernel, t, name)
          expect(values(f(combine(a, c.x, b, y)))).toEqual(values(combine(a, f(c.x), b, f(y))))
        }
      ),
      params()
    )
  })

  it('translation equivariance (stride 1, valid, away from borders): cropping the input crops the output', () => {
    fc.assert(
      fc.property(
        arbLinearCase({ maxStride: 3 }).chain((c) =>
          fc.record({ c: fc.constant(c), dy: fc.nat(2), dx: fc.nat(2) })
        ),
        ({ c, dy, dx }) => {
          const spec = { ...c.spec, strides: [1, 1] as never, padding: 'valid' as const }
          const [H, W, C] = c.inputShape
          const keffH = spec.dilationRate[0] * (spec.kernelSize[0] - 1) + 1
          const keffW = spec.dilationRate[1] * (spec.kernelSize[1] - 1) + 1
          fc.pre(H - dy >= keffH && W - dx >= keffW)
          const full = run(spec, c.inputShape, c.kernel, c.x, name)
          const shifted = run(spec, [H - dy, W - dx, C], c.kernel, slice(c.x, dy, H - dy, dx, W - dx), name)
          const [, oh, ow, F] = shifted.shape as [number, number, number, number]
          expect(values(shifted)).toEqual(values(slice(full, dy, oh, dx, ow, 0, F)))
        }
      ),
      params()
    )
  })

  it('channels_first equals channels_last up to transposition', () => {
    fc.assert(
      fc.property(arbLinearCase(), (c) => {
        const [H, W, C] = c.inputShape
        const last = run(c.spec, c.inputShape, c.kernel, c.x, name)
        const first = run({ ...c.spec, dataFormat: 'channels_first' }, [C, H, W], c.kernel, nhwcToNchw(c.x), name)
        expect(values(first)).toEqual(values(nhwcToNchw(last)))
      }),
      params()
    )
  })

  it('a dilated kernel equals the undilated kernel with zeros inserted', () => {
    fc.assert(
      fc.property(arbLinearCase({ maxStride: 3 }), (c) => {
        const spec = { ...c.spec, strides: [1, 1] as never }
        const [kh, kw, ci, F] = c.kernel.shape as [number, number, number, number]
        const [dh, dw] = spec.dilationRate
        const eh = dh * (kh - 1) + 1
        const ew = dw * (kw - 1) + 1
        const wide = new Float64Array(eh * ew * ci * F)
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++)
            for (let q = 0; q < ci * F; q++) wide[((a * dh) * ew + b * dw) * ci * F + q] = c.kernel.data[(a * kw + b) * ci * F + q] as number
        fc.pre(spec.padding === 'same' || (c.inputShape[0] >= eh && c.inputShape[1] >= ew))
        const dilated = run(spec, c.inputShape, c.kernel, c.x, name)
        const zeros = run({ ...spec, kernelSize: [eh, ew] as never, dilationRate: [1, 1] as never }, c.inputShape, { shape: [eh, ew, ci, F], data: wide }, c.x, name)
        expect(values(zeros)).toEqual(values(dilated))
      }),
      params()
    )
  })

  it('a 1×1 convolution is a matrix product over the channel axis', () => {
    fc.assert(
      fc.property(arbLinearCase({ maxKernel: 1, maxGroups: 1, maxStride: 1 }), (c) => {
        const [, , C, F] = c.kernel.shape as [number, number, number, number]
        const y = run(c.spec, c.inputShape, c.kernel, c.x, name)
        const pixels = c.x.data.length / C
        const expected: number[] = []
        for (let p = 0; p < pixels; p++)
          for (let f = 0; f < F; f++) {
            let s = 0
            for (let k = 0; k < C; k++) s += (c.x.data[p * C + k] as number) * (c.kernel.data[k * F + f] as number)
            expected.push(s)
          }
        expect(values(y)).toEqual(expected)
      }),
      params()
    )
  })

  it('an identity kernel (1 at the centre of an odd window, channel c → c) with same padding returns its input', () => {
    fc.assert(
      fc.property(
        fc.record({ half: fc.tuple(fc.nat(2), fc.nat(2)), d: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), C: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }), batch: fc.integer({ min: 1, max: 2 }) })
          .chain((g) => fc.record({ g: fc.constant(g), x: arbTensor([g.batch, g.H, g.W, g.C], 'float64', 'integers') })),
        ({ g, x }) => {
          const kh = 2 * g.half[0] + 1
          const kw = 2 * g.half[1] + 1
          const spec = ok(decodeConv2D({ filters: g.C, kernel_size: [kh, kw], padding: 'same', dilation_rate: g.d, use_bias: false, dtype: 'float64' }))
          const kernel = new Float64Array(kh * kw * g.C * g.C)
          for (let c = 0; c < g.C; c++) kernel[((g.half[0] * kw + g.half[1]) * g.C + c) * g.C + c] = 1
          const y = run(spec, [g.H, g.W, g.C], { shape: [kh, kw, g.C, g.C], data: kernel }, x, name)
          expect(values(y)).toEqual(values(x))
        }
      ),
      params()
    )
  })

  it('groups = k equals k independent convolutions on channel slices, concatenated', () => {
    fc.assert(
      fc.property(arbLinearCase({ maxGroups: 4 }), (c) => {
        const G = c.spec.groups
        const [kh, kw, CG, F] = c.kernel.shape as [number, number, number, number]
        const FG = F / G
        const [H, W] = c.inputShape
        const whole = run(c.spec, c.inputShape, c.kernel, c.x, name)
        const parts: Tensor[] = []
        for (let g = 0; g < G; g++) {
          const k = new Float64Array(kh * kw * CG * FG)
          for (let tap = 0; tap < kh * kw * CG; tap++)
            for (let f = 0; f < FG; f++) k[tap * FG + f] = c.kernel.data[tap * F + g * FG + f] as number
          const spec = { ...c.spec, groups: 1 as never, filters: FG as never }
          parts.push(run(spec, [H, W, CG], { shape: [kh, kw, CG, FG], data: k }, slice(c.x, 0, H, 0, W, g * CG, CG), name))
        }
        const [n, oh, ow] = whole.shape as [number, number, number, number]
        const concatenated: number[] = []
        for (let p = 0; p < n * oh * ow; p++) for (const part of parts) for (let f = 0; f < FG; f++) concatenated.push(part.data[p * FG + f] as number)
        expect(values(whole)).toEqual(concatenated)
      }),
      params()
    )
  })
})
