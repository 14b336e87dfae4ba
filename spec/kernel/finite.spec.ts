/**
 * Non-finite inputs through the Winograd kernels (kernel/finite.ts): their transforms would turn ±∞
 * into NaN (∞ − ∞) where Keras's direct sums give ±∞, and spread a NaN to outputs whose window does
 * not hold it. Every kernel must give the reference kernel's values, NaN and ±∞ included, bit for bit
 * on the small-integer cases (within float32 rounding where the weights are random).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { KERNEL_NAMES, type KernelName } from '../../src/kernel/ConvKernel.js'
import { allFinite } from '../../src/kernel/finite.js'
import { prepareKernel } from '../../src/kernel/prepare.js'
import { disposeThreads, threadStats, THREADS_AVAILABLE } from '../../src/kernel/threads.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { right } from '../helpers.js'

afterAll(() => disposeThreads())

/** Non-finite values equal (NaN, ±∞), finite ones within float32 rounding of the reference's float64 sums. */
const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length &&
  Array.from(a).every((v, i) => {
    const w = b[i]!
    return Number.isFinite(w) ? Math.abs(v - w) <= 1e-5 * (1 + Math.abs(w)) : Object.is(v, w)
  })

/** Runs `kernel` and the reference on the same layer, params and input. */
const both = (config: object, shape: ReadonlyArray<number>, x: Float32Array, kernel: KernelName) => {
  const spec = right(decodeConv2D(config))
  const fast = right(compileConv2D(spec, shape.slice(1), { kernel }))
  const ref = right(compileConv2D(spec, shape.slice(1), { kernel: 'reference' }))
  const params = ref.init(3)
  const input: Tensor = { shape, data: x }
  return { fast: fast.forward(params, input).data, ref: ref.forward(params, input).data, name: fast.kernel, params }
}

/** A `shape`-sized input of small integers with `special` values at the given flat indices. */
const inputWith = (shape: ReadonlyArray<number>, special: ReadonlyArray<readonly [number, number]>): Float32Array => {
  const n = shape.reduce((a, b) => a * b, 1)
  const x = Float32Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 2)
  for (const [i, v] of special) x[i] = v
  return x
}

const WINOGRAD: ReadonlyArray<KernelName> = ['js-winograd', 'wasm-winograd']
const ones3x3 = { filters: 1, kernel_size: 3, use_bias: false, kernel_initializer: 'ones' }

describe('Winograd kernels keep Keras’s ±∞ and NaN', () => {
  it('+∞ at (0, 1) of a 4×4 input, 3×3 ones, valid: [∞, ∞, finite, finite] as direct sums give', () => {
    const x = new Float32Array(16)
    x[1] = Infinity
    for (const k of WINOGRAD) {
      const { fast, ref, name } = both(ones3x3, [1, 4, 4, 1], x, k)
      expect(name).toBe(k)
      expect(Array.from(ref)).toEqual([Infinity, Infinity, 0, 0])
      expect(Array.from(fast)).toEqual([Infinity, Infinity, 0, 0])
    }
  })

  const cases: ReadonlyArray<readonly [string, object, ReadonlyArray<number>, ReadonlyArray<readonly [number, number]>]> = [
    ['+∞ and −∞ in different windows, same padding, 8 channels', { filters: 8, kernel_size: 3, padding: 'same', kernel_initializer: 'ones' }, [1, 9, 9, 8], [[8 * 10 + 3, Infinity], [8 * 60 + 5, -Infinity]]],
    ['NaN in one window: only the outputs whose window holds it are NaN', { filters: 4, kernel_size: 3, padding: 'same', kernel_initializer: 'ones' }, [2, 8, 8, 4], [[4 * 27 + 1, NaN]]],
    ['+∞ with random weights (∞·w of either sign, ∞ − ∞ where windows mix)', { filters: 8, kernel_size: 3, padding: 'valid' }, [1, 10, 10, 6], [[6 * 33, Infinity], [6 * 35 + 2, -Infinity], [6 * 77 + 5, Infinity]]],
    ['channels_first, +∞ on one channel', { filters: 6, kernel_size: 3, padding: 'same', data_format: 'channels_first', kernel_initializer: 'ones' }, [1, 4, 8, 8], [[64 * 2 + 19, Infinity]]],
    ['batch of 3 with relu, −∞ in the last sample (relu: 0) and +∞ in the second', { filters: 8, kernel_size: 3, padding: 'same', kernel_initializer: 'ones', activation: 'relu' }, [3, 6, 6, 4], [[2 * 144 + 4 * 14 + 2, -Infinity], [144 + 4 * 20, Infinity]]]
  ]
  for (const [what, config, shape, special] of cases) {
    for (const k of WINOGRAD) {
      it(`${what}: ${k} gives the reference's values`, () => {
        const { fast, ref, name } = both(config, shape, inputWith(shape, special), k)
        expect(name).toBe(k)
        expect(allFinite(ref, ref.length)).toBe(false)
        expect(same(fast, ref)).toBe(true)
      })
    }
    it(`${what}: wasm-winograd split over 2 threads gives the reference's values`, () => {
      // these layers are too small to split by themselves: prepare the kernel to split from the first multiply-add
      const { ref, params } = both(config, shape, inputWith(shape, special), 'reference')
      const spec = right(decodeConv2D(config))
      const g = right(compileConv2D(spec, shape.slice(1))).geometry
      const k = prepareKernel('wasm-winograd', g, { dtype: 'float32', activation: spec.activation, threads: 2, parallelMinMacs: 0 })
      try {
        if (k.name !== 'wasm-winograd') return // no SIMD here: the JS twin is covered above
        expect(k.fusesBias && k.fusesActivation).toBe(true)
        const out = new Float32Array(ref.length)
        const before = threadStats.calls
        k.run({ kernel: params.kernel.data, bias: params.bias?.data }, shape[0]!, inputWith(shape, special), out)
        // split twice: the Winograd call, then its rerun on the tiled kernel (built with the same options)
        if (THREADS_AVAILABLE) expect(threadStats.calls).toBe(before + 2)
        expect(same(out, ref)).toBe(true)
      } finally {
        k.dispose()
      }
    })
  }

  it('a layer split over 2 threads: a non-finite value in either thread’s rows gives the reference’s values, call after call', () => {
    // 40×40×16 → 16: 20 tile rows in two parts of 10, each part's finite lanes checked; every call splits
    const config = { filters: 16, kernel_size: 3, padding: 'same' }
    const shape = [1, 40, 40, 16]
    const spec = right(decodeConv2D(config))
    const g = right(compileConv2D(spec, shape.slice(1))).geometry
    const ref = right(compileConv2D(spec, shape.slice(1), { kernel: 'reference' }))
    const params = ref.init(3)
    const k = prepareKernel('wasm-winograd', g, { dtype: 'float32', activation: spec.activation, threads: 2, parallelMinMacs: 0, split: () => true })
    try {
      if (k.name !== 'wasm-winograd') return // no SIMD here: the JS twin is covered above
      const cases = [[36, Infinity], [3, -Infinity], [33, NaN], [25, -Infinity]] as const
      const before = threadStats.calls
      for (const [r, bad] of [...cases, ...cases, ...cases, ...cases]) {
        const x = inputWith(shape, [[(r * 40 + 11) * 16 + 2, bad]])
        const want = ref.forward(params, { shape, data: x }).data
        expect(allFinite(want, want.length)).toBe(false)
        const out = new Float32Array(want.length)
        k.run({ kernel: params.kernel.data, bias: params.bias?.data }, 1, x, out)
        expect(same(out, want), `${bad} in row ${r}`).toBe(true)
      }
      // each call split twice: the Winograd call, then its rerun on the tiled kernel (built with the same options)
      if (THREADS_AVAILABLE) expect(threadStats.calls - before).toBe(32)
    } finally {
      k.dispose()
    }
  })

  it('large finite inputs whose Winograd transform overflows float32 give the direct sums (no ∞)', () => {
    const shape = [1, 6, 6, 2]
    const x = Float32Array.from({ length: 72 }, (_, i) => (i % 3 === 0 ? -3e38 : 3e38))
    for (const k of WINOGRAD) {
      const spec = right(decodeConv2D({ filters: 2, kernel_size: 3, use_bias: false, kernel_initializer: { class_name: 'Constant', config: { value: 1e-3 } } }))
      const fast = right(compileConv2D(spec, shape.slice(1), { kernel: k }))
      const ref = right(compileConv2D(spec, shape.slice(1), { kernel: 'reference' }))
      const params = ref.init(1)
      const a = fast.forward(params, { shape, data: x }).data
      const b = ref.forward(params, { shape, data: x }).data
      expect(fast.kernel).toBe(k)
      expect(allFinite(b, b.length)).toBe(true)
      expect(allFinite(a, a.length)).toBe(true)
      for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(b[i]!) + 1e30)
    }
  })

  it('every kernel agrees with the reference on an input with ±∞ and NaN (the others never needed the rerun)', () => {
    const shape = [1, 7, 7, 4]
    const x = inputWith(shape, [[4 * 8, Infinity], [4 * 30 + 3, NaN], [4 * 44 + 1, -Infinity]])
    for (const k of KERNEL_NAMES) {
      const { fast, ref } = both({ filters: 8, kernel_size: 3, padding: 'same', kernel_initializer: 'ones' }, shape, x, k)
      expect(same(fast, ref), k).toBe(true)
    }
  })
})

describe('the rerun kernel is the layer’s own', () => {
  for (const k of WINOGRAD) {
    it(`${k}: dispose releases it with the rest (a kernel array changed after dispose is packed again by both)`, () => {
      const shape = [1, 8, 8, 4]
      const spec = right(decodeConv2D({ filters: 8, kernel_size: 3, padding: 'same' }))
      const layer = right(compileConv2D(spec, shape.slice(1), { kernel: k }))
      const ref = right(compileConv2D(spec, shape.slice(1), { kernel: 'reference' }))
      const params = layer.init(5)
      const x: Tensor = { shape, data: inputWith(shape, [[0, Infinity]]) }
      expect(same(layer.forward(params, x).data, ref.forward(params, x).data)).toBe(true)
      // params are values (README); writing a kernel array in place is only seen after dispose drops the packings
      ;(params.kernel.data as Float32Array).forEach((_, i, a) => (a[i] = ((i % 5) - 2) / 4))
      layer.dispose()
      expect(same(layer.forward(params, x).data, ref.forward(params, x).data)).toBe(true)
    })
  }
})

describe('allFinite', () => {
  it('is true for finite values, ±0, subnormals and the largest floats, at every length up to 9', () => {
    for (let n = 0; n <= 9; n++) {
      const a = Float64Array.from({ length: n }, (_, i) => [0, -0, 5e-324, -Number.MAX_VALUE, Number.MAX_VALUE, 1, -3][i % 7]!)
      expect(allFinite(a, n)).toBe(true)
    }
  })
  it('is false when any one of the first n values is NaN, +∞ or −∞, whatever its position mod 4', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let n = 1; n <= 9; n++) {
        for (let at = 0; at < n; at++) {
          const a = new Float32Array(n + 2).fill(1)
          a[at] = bad
          expect(allFinite(a, n), `${bad} at ${at} of ${n}`).toBe(false)
        }
      }
    }
  })
  it('reads only the first n values', () => {
    const a = new Float32Array([1, 2, 3, NaN, Infinity])
    expect(allFinite(a, 3)).toBe(true)
    expect(allFinite(a, 4)).toBe(false)
  })
})
