/**
 * Every fast kernel against the reference kernel (the oracle), on random geometries: both data
 * formats, both paddings, strides, dilations, rectangular windows, groups (depthwise included), batch
 * > 1, odd sizes, float32 and float64, bias and activations (fused or not), 1 and 2 threads (split
 * even for tiny calls), both backends. The fast kernels are run as prepared kernels (packing,
 * fused bias/activation), the oracle plus the layer's own bias and activation code.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeConv2D } from '../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'
import { computeGeometry, type ConvGeometry } from '../src/geometry/ConvGeometry.js'
import { KERNEL_NAMES, type KernelName } from '../src/kernel/ConvKernel.js'
import { coversPath, prepareKernel, selectKernel, type KernelPath } from '../src/kernel/prepare.js'
import { referenceKernel } from '../src/kernel/reference.js'
import { disposeThreads } from '../src/kernel/threads.js'
import { applyActivation } from '../src/numerics/activations.js'
import { uniformStream } from '../src/numerics/random.js'
import { params } from './settings.js'

interface Case {
  readonly spec: Conv2DSpec
  readonly g: ConvGeometry
  readonly batch: number
  readonly seed: number
}

const DTYPES = ['float32', 'float64'] as const
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'tanh'] as const

/**
 * A valid layer, built directly (no filtering): `kind` picks plain (1 group), grouped, depthwise
 * (groups = channels = filters) or pointwise-shaped (1×1) layers; the input is the effective window
 * plus 0..5 more rows/columns, so `valid` always fits.
 */
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.constantFrom('plain', 'grouped', 'depthwise', 'pointwise'),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    strided: fc.boolean(),
    groups: fc.integer({ min: 2, max: 3 }),
    perGroupIn: fc.integer({ min: 1, max: 5 }),
    perGroupOut: fc.integer({ min: 1, max: 10 }),
    extraH: fc.nat(5),
    extraW: fc.nat(9),
    padding: fc.constantFrom('valid', 'same'),
    dataFormat: fc.constantFrom('channels_last', 'channels_first'),
    batch: fc.integer({ min: 1, max: 3 }),
    useBias: fc.boolean(),
    activation: fc.constantFrom(...ACTIVATIONS),
    dtype: fc.constantFrom(...DTYPES),
    seed: fc.nat()
  })
  .map((r) => {
    const pointwise = r.kind === 'pointwise'
    const kh = pointwise ? 1 : r.kh
    const kw = pointwise ? 1 : r.kw
    const strides = r.strided && !pointwise ? r.stride : ([1, 1] as const)
    const dilation = r.strided || pointwise ? ([1, 1] as const) : r.dilation
    const groups = r.kind === 'plain' || pointwise ? 1 : r.kind === 'depthwise' ? r.perGroupIn + 1 : r.groups
    const cin = r.kind === 'depthwise' ? groups : groups * r.perGroupIn
    const filters = r.kind === 'depthwise' ? groups : groups * r.perGroupOut
    const h = (kh - 1) * dilation[0] + 1 + r.extraH
    const w = (kw - 1) * dilation[1] + 1 + r.extraW
    const spec = decodeConv2D({
      filters,
      kernel_size: [kh, kw],
      strides,
      dilation_rate: dilation,
      padding: r.padding,
      data_format: r.dataFormat,
      groups,
      use_bias: r.useBias,
      activation: r.activation,
      dtype: r.dtype
    })
    if (E.isLeft(spec)) throw new Error(JSON.stringify(spec.left))
    const shape = r.dataFormat === 'channels_last' ? [h, w, cin] : [cin, h, w]
    const g = computeGeometry(spec.right, shape)
    if (E.isLeft(g)) throw new Error(JSON.stringify(g.left))
    return { spec: spec.right, g: g.right, batch: r.batch, seed: r.seed }
  })

const data = (n: number, dtype: 'float32' | 'float64', seed: number): Float32Array | Float64Array => {
  const next = uniformStream(seed)
  const values = Array.from({ length: n }, () => next() * 2 - 1)
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values)
}

/** The layer's output with the oracle: reference kernel, then bias, then activation. */
const oracle = (c: Case, x: Float32Array | Float64Array, kernel: Float32Array | Float64Array, bias: Float32Array | Float64Array | undefined) => {
  const out = new Float64Array(c.batch * c.g.outputSize)
  referenceKernel(c.g, c.batch, Float64Array.from(x), Float64Array.from(kernel), out)
  const F = c.g.outChannels
  const plane = c.g.outHeight * c.g.outWidth
  if (bias !== undefined) {
    for (let i = 0; i < out.length; i++) {
      const f = c.g.dataFormat === 'channels_last' ? i % F : Math.floor(i / plane) % F
      out[i] = (out[i] as number) + (bias[f] as number)
    }
  }
  applyActivation(c.spec.activation, c.spec.dialect, out, c.g.outputShape[2])
  return out
}

/** Runs prepared kernel `name` with `threads` (split from the first multiply-add on). */
const runKernel = (name: KernelName, c: Case, threads: number, x: Float32Array | Float64Array, kernel: Float32Array | Float64Array, bias: Float32Array | Float64Array | undefined) => {
  const k = prepareKernel(name, c.g, { dtype: c.spec.dtype === 'float64' ? 'float64' : 'float32', activation: c.spec.activation, threads, parallelMinMacs: 0 })
  try {
    const out = c.spec.dtype === 'float64' ? new Float64Array(c.batch * c.g.outputSize) : new Float32Array(c.batch * c.g.outputSize)
    k.run({ kernel, bias }, c.batch, x, out)
    const F = c.g.outChannels
    const plane = c.g.outHeight * c.g.outWidth
    if (!k.fusesBias && bias !== undefined) {
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (bias[c.g.dataFormat === 'channels_last' ? i % F : Math.floor(i / plane) % F] as number)
    }
    if (!k.fusesActivation) applyActivation(c.spec.activation, c.spec.dialect, out, c.g.outputShape[2])
    return { out, name: k.name, backend: k.backend }
  } finally {
    k.dispose()
  }
}

const worstError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= worst)) worst = e
  }
  return worst
}

const FAST = KERNEL_NAMES.filter((k) => k !== 'reference')

describe('fast kernels agree with the reference kernel', () => {
  afterAll(() => disposeThreads())

  it.each(FAST.map((k) => [k] as const))('%s, 1 and 2 threads', (name) => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const x = data(c.batch * c.g.inputSize, c.spec.dtype === 'float64' ? 'float64' : 'float32', c.seed)
        const kernel = data(c.g.kernelShape.reduce((a, b) => a * b, 1), c.spec.dtype === 'float64' ? 'float64' : 'float32', c.seed + 1)
        const bias = c.spec.useBias ? data(c.g.outChannels, c.spec.dtype === 'float64' ? 'float64' : 'float32', c.seed + 2) : undefined
        const before = [Array.from(x), Array.from(kernel)]
        const want = oracle(c, x, kernel, bias)
        const tolerance = c.spec.dtype === 'float64' ? 1e-12 : 2e-5
        const one = runKernel(name, c, 1, x, kernel, bias)
        const two = runKernel(name, c, 2, x, kernel, bias)
        expect(worstError(one.out, want)).toBeLessThanOrEqual(tolerance)
        // a split over threads changes no arithmetic: bit-identical
        expect(Array.from(two.out)).toEqual(Array.from(one.out))
        // the path runs where it covers the geometry; elsewhere the backend's tiled kernel does
        const [, path] = name.split('-') as [string, KernelPath]
        if (name !== 'direct') expect(one.name.endsWith(coversPath(path, c.g) ? `-${path}` : '-tiled')).toBe(true)
        // inputs and params untouched
        expect([Array.from(x), Array.from(kernel)]).toEqual(before)
      }),
      params(100)
    )
  })

  /**
   * Winograd geometries (3×3, stride 1, dilation 1, one group), which the random geometries above hit
   * only now and then: odd and even output sizes (a last tile sticking out by a row and/or a column,
   * a last group of 1-3 tiles), valid and same padding, both data formats, 1-20 filters (partial
   * blocks of 4 and 8 channels), and now and then more than 128 input channels (the channel chunks,
   * with up to 80 filters: superblocks of 64 output channels and a remainder).
   * Float32 is held to the same 2e-5 as every kernel: F(2×2, 3×3) only adds and subtracts (and halves,
   * exactly) in its transforms, so its rounding stays within that bound on these sizes.
   */
  const arbWinogradCase: fc.Arbitrary<Case> = fc
    .record({
      channels: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 129, max: 140 }) }),
      filters: fc.integer({ min: 1, max: 20 }),
      manyFilters: fc.integer({ min: 1, max: 80 }),
      h: fc.integer({ min: 1, max: 13 }),
      w: fc.integer({ min: 1, max: 19 }),
      padding: fc.constantFrom('valid', 'same'),
      dataFormat: fc.constantFrom('channels_last', 'channels_first'),
      batch: fc.integer({ min: 1, max: 3 }),
      useBias: fc.boolean(),
      activation: fc.constantFrom(...ACTIVATIONS),
      dtype: fc.constantFrom(...DTYPES),
      seed: fc.nat()
    })
    .map((r) => {
      // valid needs the 3×3 window to fit; many channels get a small image (the oracle is slow)
      const small = r.channels > 128
      const h = Math.min(r.padding === 'valid' ? Math.max(3, r.h) : r.h, small ? 5 : 13)
      const w = Math.min(r.padding === 'valid' ? Math.max(3, r.w) : r.w, small ? 6 : 19)
      const spec = decodeConv2D({
        // many channels: up to 80 filters too (several blocks of 64 output channels per channel chunk)
        filters: small ? r.manyFilters : r.filters,
        kernel_size: 3,
        padding: r.padding,
        data_format: r.dataFormat,
        use_bias: r.useBias,
        activation: r.activation,
        dtype: r.dtype
      })
      if (E.isLeft(spec)) throw new Error(JSON.stringify(spec.left))
      const shape = r.dataFormat === 'channels_last' ? [h, w, r.channels] : [r.channels, h, w]
      const g = computeGeometry(spec.right, shape)
      if (E.isLeft(g)) throw new Error(JSON.stringify(g.left))
      return { spec: spec.right, g: g.right, batch: r.batch, seed: r.seed }
    })

  it.each((['js-winograd', 'wasm-winograd'] as const).map((k) => [k] as const))('%s on Winograd geometries (odd sizes, both paddings and formats), 1 and 2 threads', (name) => {
    fc.assert(
      fc.property(arbWinogradCase, (c) => {
        const dtype = c.spec.dtype === 'float64' ? 'float64' : 'float32'
        const x = data(c.batch * c.g.inputSize, dtype, c.seed)
        const kernel = data(c.g.kernelShape.reduce((a, b) => a * b, 1), dtype, c.seed + 1)
        const bias = c.spec.useBias ? data(c.g.outChannels, dtype, c.seed + 2) : undefined
        const before = [Array.from(x), Array.from(kernel)]
        const want = oracle(c, x, kernel, bias)
        const one = runKernel(name, c, 1, x, kernel, bias)
        const two = runKernel(name, c, 2, x, kernel, bias)
        expect(one.name).toBe(dtype === 'float64' ? 'js-winograd' : name)
        expect(worstError(one.out, want)).toBeLessThanOrEqual(dtype === 'float64' ? 1e-12 : 2e-5)
        expect(Array.from(two.out)).toEqual(Array.from(one.out))
        expect([Array.from(x), Array.from(kernel)]).toEqual(before)
      }),
      params(100)
    )
  })

  it('the selected kernel covers its geometry and uses wasm for float32 where SIMD validates', () => {
    fc.assert(
      fc.property(arbCase, fc.constantFrom('js', 'wasm', 'auto') as fc.Arbitrary<'js' | 'wasm' | 'auto'>, (c, backend) => {
        const dtype = c.spec.dtype === 'float64' ? 'float64' : 'float32'
        const name = selectKernel(c.g, dtype, backend)
        const [b, path] = name.split('-') as ['js' | 'wasm', KernelPath]
        expect(coversPath(path, c.g)).toBe(true)
        if (backend === 'js' || dtype === 'float64') expect(b).toBe('js')
        if (c.g.groups > 1 && c.g.inChannelsPerGroup === 1 && c.g.outChannelsPerGroup === 1) expect(path).toBe('depthwise')
        if (b === 'wasm' && coversPath('winograd', c.g)) expect(path).toBe(c.g.inChannels >= 4 && c.g.inChannels * c.g.outChannels >= 8 ? 'winograd' : 'tiled')
        if (b === 'js' && coversPath('winograd', c.g)) expect(path).toBe(c.g.inChannels >= 4 && c.g.outChannels > 4 ? 'winograd' : 'tiled')
      }),
      params(100)
    )
  })
})
