/**
 * Tests for the mutation survivors of src/kernel/prepare.ts and src/kernel/js/{runtime,im2col,depthwise}.ts
 * that a test can tell apart (the others are listed, with reasons, as equivalent). Expected values come
 * from the reference kernel, the layer's own activation (numerics) or hand derivation in the comments.
 */
import { setFlagsFromString } from 'node:v8'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import type { KernelName } from '../../src/kernel/ConvKernel.js'
import { fusedActivation, fusedActivationBits } from '../../src/kernel/js/runtime.js'
import { prepareKernel } from '../../src/kernel/prepare.js'
import { referenceKernel } from '../../src/kernel/reference.js'
import { disposeThreads } from '../../src/kernel/threads.js'
import { HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import type { CompiledConv2D, CompileOptions } from '../../src/conv/CompiledConv2D.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { applyActivation } from '../../src/numerics/activations.js'
import { right } from '../helpers.js'

afterAll(() => disposeThreads())

const compile = (config: object, shape: ReadonlyArray<number>, options: CompileOptions = {}): CompiledConv2D =>
  right(compileConv2D(right(decodeConv2D(config)), shape, options))

const geometry = (config: object, shape: ReadonlyArray<number>): ConvGeometry => compile(config, shape, { backend: 'js' }).geometry

const size = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** Runs prepared kernel `name` once on a fresh zero-filled output (bias fused by every fast kernel). */
const runPrepared = (
  name: KernelName,
  g: ConvGeometry,
  batch: number,
  x: Float32Array | Float64Array,
  kernel: Float32Array | Float64Array,
  bias: Float32Array | Float64Array
): Float32Array | Float64Array => {
  const dtype = x instanceof Float64Array ? 'float64' : 'float32'
  const k = prepareKernel(name, g, { dtype, activation: 'linear', threads: 1 })
  try {
    const out = dtype === 'float64' ? new Float64Array(batch * g.outputSize) : new Float32Array(batch * g.outputSize)
    k.run({ kernel, bias }, batch, x, out)
    return out
  } finally {
    k.dispose()
  }
}

/** The oracle: the reference kernel in float64, then the bias (layer format). */
const oracle = (g: ConvGeometry, batch: number, x: ArrayLike<number>, kernel: ArrayLike<number>, bias: ArrayLike<number>): number[] => {
  const out = new Float64Array(batch * g.outputSize)
  referenceKernel(g, batch, Float64Array.from(x), Float64Array.from(kernel), out)
  const F = g.outChannels
  const plane = g.outHeight * g.outWidth
  return Array.from(out, (v, i) => v + (bias[g.dataFormat === 'channels_last' ? i % F : Math.floor(i / plane) % F] as number))
}

/** Small integers (exact in any summation order, float32 or float64). */
const ints = (n: number, seed: number, span = 7): number[] =>
  Array.from({ length: n }, (_, i) => ((i * 37 + seed * 101 + Math.floor(i / span) * 3) % span) - (span >> 1))

describe('Winograd kernels compute through the transforms (not the tiled kernel under their name)', () => {
  /**
   * One 4×4 tile, one channel, one filter whose only nonzero weight is the centre (1), bias 0; input
   * d(1,1) = 1, d(2,2) = M (huge), zeros elsewhere. Direct summation: y(0,0) = d(1,1) = 1, y(0,1) =
   * d(1,2) = 0, y(1,0) = d(2,1) = 0, y(1,1) = d(2,2) = M.
   * Winograd F(2×2, 3×3): U = G g Gᵀ = u uᵀ with u = (0, ½, −½, 0), so U11 = U22 = ¼, U12 = U21 = −¼,
   * every other Uij = 0. The inputs' transform V = Bᵀ d B gives V11 = d11 + d12 + d21 + d22,
   * V12 = (d12 + d22) − (d11 + d21), V21 = (d21 − d11) + (d22 − d12), V22 = (d22 − d12) − (d21 − d11):
   * M ± 1, which rounds to M when 1 is below half an ulp of M. Then y(0,0) = Σ_{i,j<3} Uij·Vij
   * = ¼(V11 − V12 − V21 + V22) = ¼(M − M − M + M) = 0, y(0,1) = ¼(V11 + V12 − V21 − V22) = 0,
   * y(1,0) = 0 likewise, y(1,1) = ¼(V11 + V12 + V21 + V22) = M. The 1 is lost to cancellation, a
   * difference only the transforms make.
   */
  const tileCase = (M: number) => {
    const x = new Array<number>(16).fill(0)
    x[1 * 4 + 1] = 1
    x[2 * 4 + 2] = M
    const kernel = new Array<number>(9).fill(0)
    kernel[4] = 1
    return { x, kernel }
  }

  it('js-winograd (float64): a 2^60 next to a 1 in one tile cancels the 1, which direct summation keeps', () => {
    const g = geometry({ filters: 1, kernel_size: 3 }, [4, 4, 1])
    const M = 2 ** 60
    const { x, kernel } = tileCase(M)
    const bias = [0]
    expect(oracle(g, 1, x, kernel, bias)).toEqual([1, 0, 0, M])
    expect(Array.from(runPrepared('js-tiled', g, 1, Float64Array.from(x), Float64Array.from(kernel), Float64Array.from(bias)))).toEqual([1, 0, 0, M])
    expect(Array.from(runPrepared('js-winograd', g, 1, Float64Array.from(x), Float64Array.from(kernel), Float64Array.from(bias)))).toEqual([0, 0, 0, M])
  })

  it.runIf(HAS_SIMD)('wasm-winograd (float32): a 2^30 next to a 1 in one tile cancels the 1, which direct summation keeps', () => {
    const g = geometry({ filters: 1, kernel_size: 3 }, [4, 4, 1])
    const M = 2 ** 30
    const { x, kernel } = tileCase(M)
    const bias = [0]
    expect(Array.from(runPrepared('wasm-tiled', g, 1, Float32Array.from(x), Float32Array.from(kernel), Float32Array.from(bias)))).toEqual([1, 0, 0, M])
    expect(Array.from(runPrepared('wasm-winograd', g, 1, Float32Array.from(x), Float32Array.from(kernel), Float32Array.from(bias)))).toEqual([0, 0, 0, M])
  })
})

describe('wasm-pointwise on a layer larger than its first memory page', () => {
  it.runIf(HAS_SIMD)('wasm-pointwise: 32×32×8 → 8 channels, batch 2, matches the reference exactly (small integers)', () => {
    const layer = compile({ filters: 8, kernel_size: 1 }, [32, 32, 8])
    expect(layer.kernel).toBe('wasm-pointwise')
    const g = layer.geometry
    const x = ints(2 * g.inputSize, 1)
    const kernel = ints(size(g.kernelShape), 2)
    const bias = ints(8, 3)
    const want = oracle(g, 2, x, kernel, bias)
    const got = runPrepared('wasm-pointwise', g, 2, Float32Array.from(x), Float32Array.from(kernel), Float32Array.from(bias))
    expect(Array.from(got)).toEqual(want)
  })
})

describe('the JS twin a wasm kernel falls back to', () => {
  it('is built with the layer’s options: activation fused, one thread (runtime whose wasm cannot be instantiated)', async () => {
    // A runtime that passed the SIMD probe but has no WebAssembly to instantiate with: prepareWasm
    // returns its fallback straight away (as it runs it for a call too large for 32-bit memory).
    vi.resetModules()
    vi.doMock('../../src/kernel/wasm/api.js', () => ({ wasmApi: undefined }))
    vi.doMock('../../src/kernel/wasm/encoder.js', async (importOriginal) => ({ ...(await importOriginal<object>()), HAS_SIMD: true }))
    try {
      const prep = await import('../../src/kernel/prepare.js')
      const g = geometry({ filters: 3, kernel_size: 3, padding: 'same' }, [5, 6, 2])
      const k = prep.prepareKernel('wasm-tiled', g, { dtype: 'float32', activation: 'relu6', threads: 2 })
      expect([k.name, k.backend, k.threads, k.fusesBias, k.fusesActivation]).toEqual(['js-tiled', 'js', 1, true, true])
      const x = ints(g.inputSize, 4)
      const kernel = ints(size(g.kernelShape), 5)
      const bias = ints(3, 6)
      const out = new Float32Array(g.outputSize)
      k.run({ kernel: Float32Array.from(kernel), bias: Float32Array.from(bias) }, 1, Float32Array.from(x), out)
      expect(Array.from(out)).toEqual(oracle(g, 1, x, kernel, bias).map((v) => Math.min(Math.max(v, 0), 6)))
    } finally {
      vi.doUnmock('../../src/kernel/wasm/api.js')
      vi.doUnmock('../../src/kernel/wasm/encoder.js')
      vi.resetModules()
    }
  })
})

describe('the relaxedSimd option', () => {
  /**
   * acc = bias + x·w with bias = −1 and x = w = 1 + 2⁻¹²: x·w = 1 + 2⁻¹¹ + 2⁻²⁴ exactly, half an ulp
   * above 1 + 2⁻¹¹, so a float32 multiply rounds it (to even) to 1 + 2⁻¹¹ and the sum is 2⁻¹¹; a fused
   * multiply-add rounds once, giving 2⁻¹¹ + 2⁻²⁴.
   */
  const UNFUSED = 2 ** -11
  const FUSED = 2 ** -11 + 2 ** -24

  it('wasm kernels use relaxed-SIMD FMA where it validates, unless relaxedSimd: false', async () => {
    // Relaxed SIMD is behind a flag on Node 20; turned on here, for this test, and off again after.
    setFlagsFromString('--experimental-wasm-relaxed-simd')
    vi.resetModules()
    try {
      const enc = await import('../../src/kernel/wasm/encoder.js')
      const prep = await import('../../src/kernel/prepare.js')
      const wasm = (await import('../../src/kernel/wasm/api.js')).wasmApi
      if (!enc.HAS_RELAXED_SIMD || wasm === undefined) return // a runtime without relaxed SIMD: nothing to choose
      // does this CPU's relaxed_madd fuse? (it may, or may not: relaxed semantics)
      const c = new enc.Code([])
      c.i32(0).f32x4Const(1 + 2 ** -12).f32x4Const(1 + 2 ** -12).f32x4Const(-1).f32x4RelaxedMadd().v128Store(0)
      const memory = new wasm.Memory({ initial: 1, maximum: 1 })
      const probe = new wasm.Instance(new wasm.Module(enc.encodeModule([{ name: 'f', code: c }], { shared: false, initialPages: 1, maxPages: 1 })), { env: { memory } })
      ;(probe.exports['f'] as () => void)()
      const madd = new Float32Array(memory.buffer)[0]
      expect([UNFUSED, FUSED]).toContain(madd)
      const g = geometry({ filters: 1, kernel_size: 1 }, [1, 1, 1])
      const run = (relaxedSimd: boolean | undefined): number => {
        const k = prep.prepareKernel('wasm-tiled', g, { dtype: 'float32', activation: 'linear', threads: 1, ...(relaxedSimd === undefined ? {} : { relaxedSimd }) })
        try {
          const out = new Float32Array(1)
          k.run({ kernel: Float32Array.of(1 + 2 ** -12), bias: Float32Array.of(-1) }, 1, Float32Array.of(1 + 2 ** -12), out)
          return out[0] as number
        } finally {
          k.dispose()
        }
      }
      expect(run(false)).toBe(UNFUSED)
      expect(run(undefined)).toBe(madd)
      expect(run(true)).toBe(madd)
    } finally {
      setFlagsFromString('--no-experimental-wasm-relaxed-simd')
      vi.resetModules()
    }
  })
})

describe('JS kernels report their backend and release their scratch', () => {
  it('a layer compiled for the js backend reports backend "js" (every JS path)', () => {
    const configs: ReadonlyArray<readonly [object, ReadonlyArray<number>, KernelName]> = [
      [{ filters: 4, kernel_size: 3 }, [6, 6, 2], 'js-tiled'],
      [{ filters: 4, kernel_size: 1 }, [6, 6, 2], 'js-pointwise'],
      [{ filters: 4, kernel_size: 3, groups: 4 }, [6, 6, 4], 'js-depthwise'],
      [{ filters: 8, kernel_size: 3, padding: 'same' }, [6, 6, 8], 'js-winograd']
    ]
    for (const [config, shape, name] of configs) {
      const layer = compile(config, shape, { backend: 'js' })
      expect([layer.kernel, layer.backend]).toEqual([name, 'js'])
    }
    const im2col = compile({ filters: 4, kernel_size: 3 }, [6, 6, 2], { kernel: 'js-im2col' })
    expect([im2col.kernel, im2col.backend]).toEqual(['js-im2col', 'js'])
    const float64 = compile({ filters: 4, kernel_size: 3, dtype: 'float64' }, [6, 6, 2])
    expect([float64.kernel, float64.backend]).toEqual(['js-tiled', 'js'])
  })

  it('dispose drops a JS kernel’s packed weights: the next call packs the kernel array as it is then', () => {
    // Params are values and a kernel array changed in place keeps its stale packing (README); the
    // packing is scratch, though, and dispose releases it, so the call after dispose packs anew.
    const layer = compile({ filters: 3, kernel_size: 3, padding: 'same', use_bias: false }, [5, 5, 2], { backend: 'js' })
    const g = layer.geometry
    const x = ints(g.inputSize, 7)
    const kernel = Float32Array.from(ints(size(g.kernelShape), 8))
    const params = { kernel: { shape: g.kernelShape, data: kernel } }
    const input = { shape: [1, 5, 5, 2], data: Float32Array.from(x) }
    expect(Array.from(layer.forward(params, input).data)).toEqual(oracle(g, 1, x, kernel, [0, 0, 0]))
    kernel.forEach((v, i) => (kernel[i] = 2 * v))
    layer.dispose()
    expect(Array.from(layer.forward(params, input).data)).toEqual(oracle(g, 1, x, kernel, [0, 0, 0]))
  })
})

describe('fused relu / relu6 agree with the layer’s activation at the edges', () => {
  const EDGES64 = [-Infinity, -1e300, -1, -5e-324, -0, 0, 5e-324, 1e-300, 5.999999999999999, 6, 6.000000000000001, 1e300, Infinity, NaN]

  it.each(['relu', 'relu6'] as const)('fusedActivation (float64) %s is applyActivation bit for bit, ±0 included', (a) => {
    const want = Float64Array.from(EDGES64)
    applyActivation(a, 'keras3', want, 1)
    const got = Float64Array.from(EDGES64)
    fusedActivation(a, got, got.length)
    expect(Array.from(got).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(want).map((v) => Object.is(v, -0) ? '-0' : v))
    // hand values: relu6 clips to [0, 6], keeps NaN and the sign of zero
    if (a === 'relu6') expect(Array.from(got).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual([0, 0, 0, 0, '-0', 0, 5e-324, 1e-300, 5.999999999999999, 6, 6, 6, 6, NaN])
  })

  // float32 values as bits: −∞, −1, the largest and smallest negative subnormals, +0, the smallest
  // subnormal, 1, just below 6, 6, just above 6, the largest float, +∞, quiet NaN, NaN with the sign
  // bit set, a signaling NaN
  const BITS = [0xff800000, 0xbf800000, 0x807fffff, 0x80000001, 0x00000000, 0x00000001, 0x3f800000, 0x40bfffff, 0x40c00000, 0x40c00001, 0x7f7fffff, 0x7f800000, 0x7fc00000, 0xffc00000, 0x7f800001]

  it('fusedActivationBits relu: negatives (subnormals included) → +0, the rest and every NaN untouched, bit for bit', () => {
    const out = new Float32Array(Uint32Array.from(BITS).buffer)
    fusedActivationBits('relu', out)
    const bits = Array.from(new Uint32Array(out.buffer))
    expect(bits).toEqual([0, 0, 0, 0, 0, 0x00000001, 0x3f800000, 0x40bfffff, 0x40c00000, 0x40c00001, 0x7f7fffff, 0x7f800000, 0x7fc00000, 0xffc00000, 0x7f800001])
    // and that is applyActivation's relu on every value but −0 (not among these)
    const want = new Float32Array(Uint32Array.from(BITS).buffer)
    applyActivation('relu', 'keras3', want, 1)
    expect(bits).toEqual(Array.from(new Uint32Array(want.buffer)))
  })

  it('fusedActivationBits relu6: negatives → +0, above 6 (up to +∞) → 6, NaN untouched, bit for bit', () => {
    const out = new Float32Array(Uint32Array.from(BITS).buffer)
    fusedActivationBits('relu6', out)
    const bits = Array.from(new Uint32Array(out.buffer))
    const SIX = 0x40c00000
    expect(bits).toEqual([0, 0, 0, 0, 0, 0x00000001, 0x3f800000, 0x40bfffff, SIX, SIX, SIX, SIX, 0x7fc00000, 0xffc00000, 0x7f800001])
    const want = new Float32Array(Uint32Array.from(BITS).buffer)
    applyActivation('relu6', 'keras3', want, 1)
    expect(bits).toEqual(Array.from(new Uint32Array(want.buffer)))
  })
})

describe('js-depthwise over several full channel blocks', () => {
  it.each([
    ['channels_last, 8 channels (two full blocks of 4), even width', { filters: 8, kernel_size: 3, groups: 8, padding: 'same' }, [5, 6, 8]],
    ['channels_last, 12 channels, stride 2, odd width', { filters: 12, kernel_size: [2, 3], groups: 12, strides: 2 }, [7, 9, 12]],
    ['channels_first, 9 channels (two full blocks and a partial one)', { filters: 9, kernel_size: 3, groups: 9, padding: 'same', data_format: 'channels_first' }, [9, 4, 6]]
  ])('js-depthwise, %s, batch 2, matches the reference exactly', (_, config, shape) => {
    const g = geometry(config, shape)
    const x = ints(2 * g.inputSize, 9)
    const kernel = ints(size(g.kernelShape), 10)
    const bias = ints(g.outChannels, 11)
    const got = runPrepared('js-depthwise', g, 2, Float64Array.from(x), Float64Array.from(kernel), Float64Array.from(bias))
    expect(Array.from(got)).toEqual(oracle(g, 2, x, kernel, bias))
  })
})
