/**
 * The compiled convolution VJP (src/train/vjp/convFast.ts) against the naive one-pass VJP
 * (src/train/vjp/conv.ts, the oracle), over random geometries: strides, dilations, groups (depthwise
 * with a multiplier included), both paddings, both data formats, odd sizes, batches of 1-3, on each
 * backend. Tolerance, per element: `64·eps·Σ|terms| + eps·|value|` (eps of the dtype; Σ|terms| is the
 * oracle run on |x|, |w|, |dy|: the sum of the absolute values of the products each gradient value
 * adds up), plus `8·eps·max Σ|terms|` for the input gradient (Winograd's tiles: see `excess`). Inputs are never written; one compiled object serves repeated calls and other batch sizes.
 */
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import { wasmAvailable } from '../../src/kernel/prepare.js'
import type { FloatArray, FloatDType } from '../../src/numerics/FloatArray.js'
import { convVjp, type ConvGrads } from '../../src/train/vjp/conv.js'
import { compileConvVjp, transposedGeometry, type ConvVjpOptions } from '../../src/train/vjp/convFast.js'
import { right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

interface Case {
  readonly config: object
  readonly shape: readonly [number, number, number]
  readonly batch: number
  readonly seed: number
}

/** strides > 1 or dilation > 1 (never both, as Keras requires), each axis on its own. */
const arbStepping = fc.oneof(
  fc.record({ strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), dilation: fc.constant([1, 1] as const) }),
  fc.record({ strides: fc.constant([1, 1] as const), dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })) })
)

/**
 * Channels: one group, several groups (filters per group past one register tile of 16 now and then),
 * or depthwise (groups = channels) with a multiplier.
 */
const arbChannels = fc.oneof(
  fc.record({ groups: fc.constant(1), cg: fc.integer({ min: 1, max: 6 }), fg: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ groups: fc.integer({ min: 2, max: 3 }), cg: fc.integer({ min: 1, max: 5 }), fg: fc.integer({ min: 1, max: 18 }) }),
  fc.record({ groups: fc.integer({ min: 1, max: 5 }), cg: fc.constant(1), fg: fc.integer({ min: 1, max: 3 }) })
)

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    padding: fc.constantFrom('valid', 'same'),
    dataFormat: fc.constantFrom('channels_last', 'channels_first'),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stepping: arbStepping,
    channels: arbChannels,
    extraH: fc.nat(6),
    extraW: fc.nat(6),
    batch: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer()
  })
  .map((r) => {
    const [dh, dw] = r.stepping.dilation
    // 'valid' needs at least the effective kernel; 'same' takes any size from 1
    const H = (r.padding === 'valid' ? dh * (r.kh - 1) + 1 : 1) + r.extraH
    const W = (r.padding === 'valid' ? dw * (r.kw - 1) + 1 : 1) + r.extraW
    const C = r.channels.groups * r.channels.cg
    const F = r.channels.groups * r.channels.fg
    return {
      config: {
        filters: F,
        kernel_size: [r.kh, r.kw],
        strides: r.stepping.strides,
        dilation_rate: r.stepping.dilation,
        padding: r.padding,
        data_format: r.dataFormat,
        groups: r.channels.groups
      },
      shape: (r.dataFormat === 'channels_first' ? [C, H, W] : [H, W, C]) as readonly [number, number, number],
      batch: r.batch,
      seed: r.seed
    }
  })

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const geometry = (config: object, shape: readonly [number, number, number]): ConvGeometry => right(computeGeometry(right(decodeConv2D(config)), shape))

/** Uniform values in [−1, 1) from a seed (mulberry32), in the dtype's array. */
const values = (dtype: FloatDType, n: number, seed: number): FloatArray => {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n)
  let s = seed | 0
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  }
  return out
}

const abs = (a: FloatArray): Float64Array => Float64Array.from(a, Math.abs)

const EPS: Readonly<Record<FloatDType, number>> = { float32: 2 ** -23, float64: 2 ** -52 }

/**
 * The largest violation of `|got − want| ≤ 64·eps·Σ|terms| + spread·eps·max Σ|terms| + eps·|want|`
 * (≤ 0: within tolerance), and where. `spread` is 0 except for the input gradient, whose Winograd
 * kernel mixes each output with its 4×4 tile's inputs (an output with few, small terms next to large
 * ones gets their rounding): 8 there.
 */
const excess = (got: FloatArray, want: Float64Array, terms: Float64Array, eps: number, spread: number): { readonly worst: number; readonly at: number } => {
  let worst = -Infinity
  let at = -1
  let largest = 0
  for (let i = 0; i < terms.length; i++) largest = Math.max(largest, terms[i] as number)
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs((got[i] as number) - (want[i] as number)) - (64 * eps * (terms[i] as number) + spread * eps * largest + eps * Math.abs(want[i] as number))
    if (!(e <= worst)) {
      worst = e
      at = i
    }
  }
  return { worst, at }
}

interface Inputs {
  readonly x: FloatArray
  readonly w: FloatArray
  readonly dy: FloatArray
}

const inputsOf = (g: ConvGeometry, dtype: FloatDType, batch: number, seed: number): Inputs => ({
  x: values(dtype, batch * g.inputSize, seed),
  w: values(dtype, g.kernelHeight * g.kernelWidth * g.inChannelsPerGroup * g.outChannels, seed + 1),
  dy: values(dtype, batch * g.outputSize, seed + 2)
})

/** Checks one call's gradients against the oracle (and its dtype). */
const expectAgrees = (g: ConvGeometry, dtype: FloatDType, batch: number, inp: Inputs, got: ConvGrads<FloatArray>, label: string): void => {
  const want = convVjp(g, batch, inp.x, inp.w, inp.dy, true)
  const terms = convVjp(g, batch, abs(inp.x), abs(inp.w), abs(inp.dy), true)
  const eps = EPS[dtype]
  const Arr = dtype === 'float32' ? Float32Array : Float64Array
  for (const key of ['dx', 'dw', 'db'] as const) {
    const a = got[key]
    const b = want[key] as Float64Array
    expect(a, `${label} ${key}`).toBeInstanceOf(Arr)
    expect(a?.length, `${label} ${key} length`).toBe(b.length)
    const { worst, at } = excess(a as FloatArray, b, terms[key] as Float64Array, eps, key === 'dx' ? 8 : 0)
    if (worst > 0) expect.fail(`${label} ${key}[${at}]: got ${a?.[at]}, want ${b[at]} (Σ|terms| ${terms[key]?.[at]})`)
  }
}

const copyOf = (a: FloatArray): FloatArray => a.slice()

const BACKENDS: ReadonlyArray<'js' | 'wasm'> = wasmAvailable('float32') ? ['js', 'wasm'] : ['js']

/** The compiled variants under test: each backend, and the wasm filter gradient's GEMM and its threads. */
const VARIANTS: ReadonlyArray<{ readonly label: string; readonly options: ConvVjpOptions }> = [
  { label: 'js', options: { backend: 'js' } },
  ...(wasmAvailable('float32')
    ? [
        { label: 'wasm', options: { backend: 'wasm' } } as const,
        { label: 'wasm gemm', options: { backend: 'wasm', filterKernel: 'gemm' } } as const,
        { label: 'wasm 2 threads (split from 0 multiply-adds)', options: { backend: 'wasm', threads: 2, parallelMinMacs: 0 } } as const
      ]
    : [])
]

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

describe('compileConvVjp against the oracle', () => {
  for (const variant of VARIANTS) {
    for (const dtype of variant.label === 'js' ? (['float32', 'float64'] as const) : (['float32'] as const)) {
      it(`${variant.label} ${dtype}: random geometries, inputs untouched, repeated calls and other batch sizes`, () => {
        fc.assert(
          fc.property(arbCase, (c) => {
            const g = geometry(c.config, c.shape)
            const vjp = compileConvVjp(g, { ...variant.options, dtype })
            const label = `${JSON.stringify(c.config)} on [${c.shape.join(', ')}] batch ${c.batch} (${vjp.name})`
            const inp = inputsOf(g, dtype, c.batch, c.seed)
            const before = [copyOf(inp.x), copyOf(inp.w), copyOf(inp.dy)]
            const first = vjp.run(c.batch, inp.x, inp.w, inp.dy, true)
            expect([inp.x, inp.w, inp.dy], `${label}: inputs written`).toEqual(before)
            expectAgrees(g, dtype, c.batch, inp, first, label)
            // the same call again gives the same arrays' values (no state leaks between calls)
            const again = vjp.run(c.batch, inp.x, inp.w, inp.dy, true)
            expect(again.dx).toEqual(first.dx)
            expect(again.dw).toEqual(first.dw)
            // another batch size and other weights on the same compiled object, then the first again
            const b2 = c.batch === 3 ? 1 : c.batch + 1
            const inp2 = inputsOf(g, dtype, b2, c.seed ^ 0x5bd1e995)
            expectAgrees(g, dtype, b2, inp2, vjp.run(b2, inp2.x, inp2.w, inp2.dy, true), `${label} then batch ${b2}`)
            const third = vjp.run(c.batch, inp.x, inp.w, inp.dy, false)
            expect(third.db).toBeUndefined()
            expect(third.dx).toEqual(first.dx)
            expect(third.dw).toEqual(first.dw)
            // the weights' gradients alone: the same values
            const weights = vjp.weightGrads(c.batch, inp.x, inp.dy, true)
            expect(weights.dw).toEqual(first.dw)
            expect(weights.db).toEqual(first.db)
            vjp.dispose()
          }),
          { numRuns: 60, seed: 20261206 }
        )
      })
    }
  }

  it('a float64 result from float32 arguments, and float32 from float64 ones', () => {
    const g = geometry({ filters: 3, kernel_size: 3, strides: 2, padding: 'same' }, [7, 6, 2])
    for (const [dtype, other] of [
      ['float32', 'float64'],
      ['float64', 'float32']
    ] as const) {
      const inp = inputsOf(g, other, 2, 7)
      const vjp = compileConvVjp(g, { dtype })
      const r = vjp.run(2, inp.x, inp.w, inp.dy, true)
      // the oracle on the values the compiled VJP computes with (its dtype's rounding of the arguments)
      const round = (a: FloatArray): FloatArray => (dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a))
      expectAgrees(g, dtype, 2, { x: round(inp.x), w: round(inp.w), dy: round(inp.dy) }, r, `${dtype} from ${other}`)
    }
  })
})

// -------------------------------------------------------------------------------------
// examples
// -------------------------------------------------------------------------------------

describe('compileConvVjp by example', () => {
  it('the Keras MNIST convnet layers at batch 3, on every backend', () => {
    const layers = [
      geometry({ filters: 32, kernel_size: 3 }, [28, 28, 1]),
      geometry({ filters: 64, kernel_size: 3 }, [13, 13, 32])
    ]
    for (const g of layers) {
      for (const variant of VARIANTS) {
        const inp = inputsOf(g, 'float32', 3, 11)
        const vjp = compileConvVjp(g, variant.options)
        expectAgrees(g, 'float32', 3, inp, vjp.run(3, inp.x, inp.w, inp.dy, true), `${variant.label} ${vjp.name}`)
      }
    }
  })

  it('runs fast kernels: the input gradient on a prepared forward kernel, the filter gradient on the direct SIMD kernel', () => {
    const g = geometry({ filters: 64, kernel_size: 3 }, [13, 13, 32])
    expect(compileConvVjp(g, { backend: 'js' }).name).toMatch(/^dx:js-(tiled|winograd) dw:js-gemm$/)
    if (wasmAvailable('float32')) {
      expect(compileConvVjp(g).name).toMatch(/^dx:wasm-(tiled|winograd) dw:wasm-direct$/)
      expect(compileConvVjp(g, { filterKernel: 'gemm' }).name).toMatch(/^dx:wasm-(tiled|winograd) dw:wasm-gemm$/)
    }
    const dw = geometry({ filters: 6, kernel_size: 3, groups: 3 }, [9, 9, 3])
    expect(compileConvVjp(dw).name).toMatch(/^dx:(js|wasm)-depthwise dw:depthwise$/)
  })

  it('a window of more than 64 taps: the GEMM filter gradient (the direct kernel is unrolled over taps)', () => {
    const g = geometry({ filters: 5, kernel_size: [9, 8], padding: 'same', data_format: 'channels_first' }, [3, 10, 9])
    const inp = inputsOf(g, 'float32', 2, 9)
    const vjp = compileConvVjp(g)
    if (wasmAvailable('float32')) expect(vjp.name).toMatch(/ dw:wasm-gemm$/)
    expectAgrees(g, 'float32', 2, inp, vjp.run(2, inp.x, inp.w, inp.dy, true), vjp.name)
  })

  it('two threads give the one-thread results bit for bit', () => {
    if (!wasmAvailable('float32')) return
    for (const [config, shape] of [
      [{ filters: 64, kernel_size: 3 }, [13, 13, 32]],
      [{ filters: 12, kernel_size: 3, strides: 2, padding: 'same', groups: 2, data_format: 'channels_first' }, [6, 11, 9]]
    ] as const) {
      const g = geometry(config, shape)
      const inp = inputsOf(g, 'float32', 9, 5)
      const one = compileConvVjp(g).run(9, inp.x, inp.w, inp.dy, true)
      const two = compileConvVjp(g, { threads: 2, parallelMinMacs: 0 })
      for (let k = 0; k < 3; k++) {
        const r = two.run(9, inp.x, inp.w, inp.dy, true)
        expect(r.dx).toEqual(one.dx)
        expect(r.dw).toEqual(one.dw)
      }
      two.dispose()
    }
  })

  it('the transposed geometry: stride 1, valid, over the input grown by the dilated kernel', () => {
    const g = geometry({ filters: 4, kernel_size: [3, 2], strides: [2, 3], padding: 'same', groups: 2 }, [7, 8, 6])
    const t = transposedGeometry(g)
    expect([t.inHeight, t.inWidth, t.inChannels, t.outHeight, t.outWidth, t.outChannels, t.groups]).toEqual([9, 9, 4, 7, 8, 6, 2])
    expect([t.strideHeight, t.strideWidth, t.padTop, t.padLeft]).toEqual([1, 1, 0, 0])
  })

  it('rows no forward window reads get 0 ("valid", stride 2 over an even size)', () => {
    const g = geometry({ filters: 2, kernel_size: 1, strides: 2 }, [4, 4, 1])
    const inp = inputsOf(g, 'float32', 1, 3)
    for (const backend of BACKENDS) {
      const { dx } = compileConvVjp(g, { backend }).run(1, inp.x, inp.w, inp.dy, false)
      for (const [h, w] of [[1, 0], [0, 1], [3, 3], [2, 3]] as const) expect(dx[h * 4 + w]).toBe(0)
      expect(dx[0]).not.toBe(0)
    }
  })

  it('rejects arguments of the wrong size, naming the expected size', () => {
    const g = geometry({ filters: 2, kernel_size: 3 }, [5, 5, 1])
    const vjp = compileConvVjp(g)
    const inp = inputsOf(g, 'float32', 2, 1)
    expect(() => vjp.run(2, inp.x.subarray(1), inp.w, inp.dy, true)).toThrow('expected an input of 50 values (batch 2), got 49')
    expect(() => vjp.run(2, inp.x, inp.w.subarray(1), inp.dy, true)).toThrow('expected a kernel of 18 values, got 17')
    expect(() => vjp.run(1, inp.x, inp.w, inp.dy, true)).toThrow('expected an input of 25 values (batch 1), got 50')
  })
})
