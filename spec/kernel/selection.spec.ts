/**
 * Kernel selection pinned against the README's "Performance" table: which path runs a geometry on
 * each backend, every threshold checked on both sides of its boundary, and what a forced kernel name
 * does when its path does not cover the geometry. Every kernel computes the same outputs, so the
 * choice is only observable by name: `selectPath` / `selectKernel` and `layer.kernel`.
 * (The larger, realistic geometries are in kernels.spec.ts; these are the smallest that decide.)
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import type { KernelName } from '../../src/kernel/ConvKernel.js'
import { coversPath, selectKernel, selectPath, wasmScratch, type KernelPath } from '../../src/kernel/prepare.js'
import { depthwisePackedSize } from '../../src/kernel/pack.js'
import { HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { WASM_Q } from '../../src/kernel/wasm/tiled.js'
import type { CompileOptions } from '../../src/conv/CompiledConv2D.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { right } from '../helpers.js'

type Shape = ReadonlyArray<number>

const geometry = (config: object, shape: Shape): ConvGeometry => right(computeGeometry(right(decodeConv2D(config)), shape))

const kernelOf = (config: object, shape: Shape, options: CompileOptions = {}): string =>
  right(compileConv2D(right(decodeConv2D(config)), shape, options)).kernel

/** The wasm name where the runtime has SIMD (Node 20 has), its JS twin otherwise. */
const onWasm = (path: KernelPath): string => (HAS_SIMD ? `wasm-${path}` : `js-${path}`)

/** [what, config, input shape (no batch), wasm path, js path]. */
type Row = readonly [string, object, Shape, KernelPath, KernelPath]

const rows: ReadonlyArray<Row> = [
  // depthwise: groups = channels = filters
  ['depthwise 3×3, groups = C = F = 2', { filters: 2, kernel_size: 3, groups: 2 }, [5, 5, 2], 'depthwise', 'depthwise'],
  ['depthwise 1×1 (depthwise before pointwise)', { filters: 3, kernel_size: 1, groups: 3 }, [4, 4, 3], 'depthwise', 'depthwise'],
  ['depthwise channels_first', { filters: 2, kernel_size: 3, groups: 2, data_format: 'channels_first' }, [2, 5, 5], 'depthwise', 'depthwise'],
  ['groups 2, C = 4 (2 input channels per group): not depthwise', { filters: 4, kernel_size: 3, groups: 2 }, [5, 5, 4], 'tiled', 'tiled'],
  ['groups 2, F = 4 (2 output channels per group): not depthwise', { filters: 4, kernel_size: 3, groups: 2 }, [5, 5, 2], 'tiled', 'tiled'],
  ['groups 2, C = 4, F = 2 (2 input channels per group): not depthwise', { filters: 2, kernel_size: 3, groups: 2 }, [5, 5, 4], 'tiled', 'tiled'],
  ['groups 1, C = F = 1 (README: depthwise needs groups > 1): tiled', { filters: 1, kernel_size: 3 }, [5, 5, 1], 'tiled', 'tiled'],

  // pointwise: 1×1 window, stride 1, channels_last
  ['pointwise 1×1 stride 1', { filters: 3, kernel_size: 1 }, [4, 4, 2], 'pointwise', 'pointwise'],
  ['1×3 window: not pointwise', { filters: 3, kernel_size: [1, 3] }, [4, 4, 2], 'tiled', 'tiled'],
  ['3×1 window: not pointwise', { filters: 3, kernel_size: [3, 1] }, [4, 4, 2], 'tiled', 'tiled'],
  ['1×1 stride 2: not pointwise', { filters: 3, kernel_size: 1, strides: 2 }, [4, 4, 2], 'tiled', 'tiled'],
  ['1×1 stride (1, 2): not pointwise', { filters: 3, kernel_size: 1, strides: [1, 2] }, [4, 4, 2], 'tiled', 'tiled'],
  ['1×1 stride (2, 1): not pointwise', { filters: 3, kernel_size: 1, strides: [2, 1] }, [4, 4, 2], 'tiled', 'tiled'],
  ['1×1 channels_first: not pointwise', { filters: 3, kernel_size: 1, data_format: 'channels_first' }, [2, 4, 4], 'tiled', 'tiled'],

  // winograd: 3×3, stride 1, dilation 1, one group; wasm from C ≥ 4 and C·F ≥ 8 and 4 tiles a row (an
  // output 7 wide or more), JS from C ≥ 4 and F > 4
  ['3×3 on a 6-wide output (3 tiles a row), C = F = 8: Winograd on JS only', { filters: 8, kernel_size: 3, padding: 'same' }, [9, 6, 8], 'tiled', 'winograd'],
  ['3×3 on a 2×2 output (ResNet50 at 64×64, last stage), C = F = 16: Winograd on JS only', { filters: 16, kernel_size: 3, padding: 'same' }, [2, 2, 16], 'tiled', 'winograd'],
  ['3×3 on a 7-wide output (4 tiles a row), C = F = 8: Winograd on both', { filters: 8, kernel_size: 3, padding: 'same' }, [3, 7, 8], 'winograd', 'winograd'],
  ['3×3, C = 2, F = 4 (C·F = 8 but 2 channels): tiled', { filters: 4, kernel_size: 3 }, [9, 9, 2], 'tiled', 'tiled'],
  ['3×3, C = 2, F = 3 (C·F = 6): tiled', { filters: 3, kernel_size: 3 }, [5, 5, 2], 'tiled', 'tiled'],
  ['3×3, C = 1, F = 8 (C·F = 8 but 1 channel): tiled', { filters: 8, kernel_size: 3 }, [5, 5, 1], 'tiled', 'tiled'],
  ['3×3, C = 1, F = 16: tiled', { filters: 16, kernel_size: 3 }, [5, 5, 1], 'tiled', 'tiled'],
  ['3×3, C = 4, F = 2 (C·F = 8): Winograd on wasm only', { filters: 2, kernel_size: 3 }, [9, 9, 4], 'winograd', 'tiled'],
  ['3×3, C = 4, F = 5: Winograd on both', { filters: 5, kernel_size: 3 }, [9, 9, 4], 'winograd', 'winograd'],
  ['3×3, C = 3, F = 5 (both need 4 channels): tiled', { filters: 5, kernel_size: 3 }, [9, 9, 3], 'tiled', 'tiled'],
  ['3×3, C = 3, F = 16 (an RGB first layer): tiled', { filters: 16, kernel_size: 3 }, [9, 9, 3], 'tiled', 'tiled'],
  ['3×3, C = 4, F = 4 (JS needs more than 4 filters): Winograd on wasm only', { filters: 4, kernel_size: 3 }, [9, 9, 4], 'winograd', 'tiled'],
  ['3×3, C = 8, F = 5: Winograd on both', { filters: 5, kernel_size: 3 }, [9, 9, 8], 'winograd', 'winograd'],
  ['3×3 channels_first, C = 4, F = 5: Winograd on both', { filters: 5, kernel_size: 3, data_format: 'channels_first' }, [4, 9, 9], 'winograd', 'winograd'],
  ['3×3 channels_first, C = 2, F = 4: tiled', { filters: 4, kernel_size: 3, data_format: 'channels_first' }, [2, 9, 9], 'tiled', 'tiled'],
  ['3×3 channels_first, C = 4, F = 2: Winograd on wasm only', { filters: 2, kernel_size: 3, data_format: 'channels_first' }, [4, 9, 9], 'winograd', 'tiled'],
  ['3×3 same padding, C = 4, F = 5: Winograd on both', { filters: 5, kernel_size: 3, padding: 'same' }, [9, 9, 4], 'winograd', 'winograd'],
  ['3×3 stride 2: not Winograd', { filters: 5, kernel_size: 3, strides: 2 }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 stride (1, 2): not Winograd', { filters: 5, kernel_size: 3, strides: [1, 2] }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 stride (2, 1): not Winograd', { filters: 5, kernel_size: 3, strides: [2, 1] }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 dilation 2: not Winograd', { filters: 5, kernel_size: 3, dilation_rate: 2 }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 dilation (1, 2): not Winograd', { filters: 5, kernel_size: 3, dilation_rate: [1, 2] }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 dilation (2, 1): not Winograd', { filters: 5, kernel_size: 3, dilation_rate: [2, 1] }, [7, 7, 4], 'tiled', 'tiled'],
  ['3×3 groups 2, C = 8, F = 10: not Winograd', { filters: 10, kernel_size: 3, groups: 2 }, [5, 5, 8], 'tiled', 'tiled'],
  ['3×1 window, C = 4, F = 5: not Winograd', { filters: 5, kernel_size: [3, 1] }, [5, 5, 4], 'tiled', 'tiled'],
  ['1×3 window, C = 4, F = 5: not Winograd', { filters: 5, kernel_size: [1, 3] }, [5, 5, 4], 'tiled', 'tiled'],
  ['2×2 window, C = 4, F = 5: not Winograd', { filters: 5, kernel_size: 2 }, [5, 5, 4], 'tiled', 'tiled'],
  ['5×5 window, C = 4, F = 8: not Winograd', { filters: 8, kernel_size: 5 }, [6, 6, 4], 'tiled', 'tiled'],

  // tiled: everything else, few input channels included
  ['5×5 on 1 channel (a small MNIST)', { filters: 4, kernel_size: 5 }, [6, 6, 1], 'tiled', 'tiled'],
  ['3×3 stride 2 on 3 channels (a small stem)', { filters: 8, kernel_size: 3, strides: 2, padding: 'same' }, [6, 6, 3], 'tiled', 'tiled']
]

describe('selectPath: the README table, per backend', () => {
  it.each(rows)('%s', (_, config, shape, wasm, js) => {
    const g = geometry(config, shape)
    expect(selectPath(g, 'wasm')).toBe(wasm)
    expect(selectPath(g, 'js')).toBe(js)
  })

  it('selects for the wasm backend when no backend is given', () => {
    // C = 4, F = 4 (and C = 4, F = 2): Winograd on wasm, tiled on JS — the backend difference that matters here
    expect(selectPath(geometry({ filters: 4, kernel_size: 3 }, [9, 9, 4]))).toBe('winograd')
    expect(selectPath(geometry({ filters: 2, kernel_size: 3 }, [9, 9, 4]))).toBe('winograd')
    expect(selectPath(geometry({ filters: 4, kernel_size: 3 }, [9, 9, 4]), 'js')).toBe('tiled')
    expect(selectPath(geometry({ filters: 5, kernel_size: 3 }, [9, 9, 3]))).toBe('tiled')
    expect(selectPath(geometry({ filters: 3, kernel_size: 3 }, [5, 5, 2]))).toBe('tiled')
  })

  it('never selects im2col by itself', () => {
    for (const [, config, shape] of rows) {
      const g = geometry(config, shape)
      expect(selectPath(g, 'wasm')).not.toBe('im2col')
      expect(selectPath(g, 'js')).not.toBe('im2col')
    }
  })
})

describe('selectKernel: backend and path', () => {
  it.each(rows)('%s', (_, config, shape, wasm, js) => {
    const g = geometry(config, shape)
    expect(selectKernel(g, 'float32', 'js')).toBe(`js-${js}`)
    expect(selectKernel(g, 'float32', 'wasm')).toBe(onWasm(wasm))
    expect(selectKernel(g, 'float32', 'auto')).toBe(onWasm(wasm))
    // float64 always runs the JS backend, with the JS thresholds
    expect(selectKernel(g, 'float64', 'auto')).toBe(`js-${js}`)
    expect(selectKernel(g, 'float64', 'wasm')).toBe(`js-${js}`)
  })
})

describe('layer.kernel of compileConv2D follows the same rules', () => {
  it.each(rows)('%s', (_, config, shape, wasm, js) => {
    expect(kernelOf(config, shape)).toBe(onWasm(wasm))
    expect(kernelOf(config, shape, { backend: 'auto' })).toBe(onWasm(wasm))
    expect(kernelOf(config, shape, { backend: 'wasm' })).toBe(onWasm(wasm))
    expect(kernelOf(config, shape, { backend: 'js' })).toBe(`js-${js}`)
    expect(kernelOf({ ...config, dtype: 'float64' }, shape)).toBe(`js-${js}`)
    expect(kernelOf(config, shape, { kernel: 'auto', backend: 'js' })).toBe(`js-${js}`)
  })
})

describe('coversPath', () => {
  const g = (config: object, shape: Shape): ConvGeometry => geometry(config, shape)
  it('im2col covers one group only, any window', () => {
    expect(coversPath('im2col', g({ filters: 4, kernel_size: 5, strides: 2 }, [7, 7, 2]))).toBe(true)
    expect(coversPath('im2col', g({ filters: 4, kernel_size: 3 }, [5, 5, 4]))).toBe(true)
    expect(coversPath('im2col', g({ filters: 4, kernel_size: 3, groups: 2 }, [5, 5, 4]))).toBe(false)
  })
  it('tiled covers everything', () => {
    for (const [, config, shape] of rows) expect(coversPath('tiled', g(config, shape))).toBe(true)
  })
})

describe('a forced kernel name', () => {
  const winogradGeometry = [{ filters: 4, kernel_size: 3 }, [5, 5, 2]] as const // C = 2: not selected on JS
  const strided = [{ filters: 4, kernel_size: 3, strides: 2 }, [7, 7, 2]] as const // 3×3 stride 2, one group
  const grouped = [{ filters: 4, kernel_size: 3, groups: 2 }, [5, 5, 4]] as const // 2 channels per group
  const pointwise = [{ filters: 4, kernel_size: 1 }, [4, 4, 2]] as const
  const depthwise = [{ filters: 2, kernel_size: 3, groups: 2 }, [5, 5, 2]] as const

  const force = (spec: readonly [object, Shape], kernel: KernelName, extra: CompileOptions = {}): string =>
    kernelOf(spec[0], spec[1], { ...extra, kernel })

  it('runs when its path covers the geometry, even where selection would not pick it', () => {
    expect(force(winogradGeometry, 'js-winograd')).toBe('js-winograd')
    expect(force(winogradGeometry, 'wasm-tiled')).toBe(onWasm('tiled'))
    expect(force(winogradGeometry, 'js-tiled')).toBe('js-tiled')
    expect(force(strided, 'js-im2col')).toBe('js-im2col')
    expect(force(winogradGeometry, 'js-im2col')).toBe('js-im2col')
    expect(force(pointwise, 'js-pointwise')).toBe('js-pointwise')
    expect(force(pointwise, 'wasm-pointwise')).toBe(onWasm('pointwise'))
    expect(force(depthwise, 'js-depthwise')).toBe('js-depthwise')
    expect(force(depthwise, 'wasm-depthwise')).toBe(onWasm('depthwise'))
    expect(force(winogradGeometry, 'wasm-winograd')).toBe(onWasm('winograd'))
  })

  it('takes precedence over the backend option', () => {
    expect(force(winogradGeometry, 'js-winograd', { backend: 'wasm' })).toBe('js-winograd')
    expect(force(strided, 'js-im2col', { backend: 'wasm' })).toBe('js-im2col')
    expect(force(winogradGeometry, 'wasm-tiled', { backend: 'js' })).toBe(onWasm('tiled'))
  })

  it('runs its backend’s tiled kernel when its path does not cover the geometry', () => {
    expect(force(grouped, 'js-im2col')).toBe('js-tiled')
    expect(force(strided, 'js-winograd')).toBe('js-tiled')
    expect(force(strided, 'wasm-winograd')).toBe(onWasm('tiled'))
    expect(force(grouped, 'js-winograd')).toBe('js-tiled')
    expect(force(grouped, 'wasm-winograd')).toBe(onWasm('tiled'))
    expect(force(strided, 'js-pointwise')).toBe('js-tiled')
    expect(force(strided, 'wasm-pointwise')).toBe(onWasm('tiled'))
    expect(force([{ filters: 4, kernel_size: 1, data_format: 'channels_first' }, [2, 4, 4]], 'wasm-pointwise')).toBe(onWasm('tiled'))
    expect(force([{ filters: 4, kernel_size: 1, strides: [1, 2] }, [4, 4, 2]], 'js-pointwise')).toBe('js-tiled')
    expect(force(grouped, 'js-depthwise')).toBe('js-tiled')
    expect(force(grouped, 'wasm-depthwise')).toBe(onWasm('tiled'))
    expect(force(winogradGeometry, 'wasm-depthwise')).toBe(onWasm('tiled'))
  })

  it('a wasm name on float64 runs its JS twin (tiled where the path does not cover)', () => {
    const f64 = (spec: readonly [object, Shape]): readonly [object, Shape] => [{ ...spec[0], dtype: 'float64' }, spec[1]]
    expect(force(f64(winogradGeometry), 'wasm-winograd')).toBe('js-winograd')
    expect(force(f64(pointwise), 'wasm-pointwise')).toBe('js-pointwise')
    expect(force(f64(depthwise), 'wasm-depthwise')).toBe('js-depthwise')
    expect(force(f64(strided), 'wasm-winograd')).toBe('js-tiled')
    expect(force(f64(strided), 'wasm-tiled')).toBe('js-tiled')
  })

  it('reference and direct run as named, on the JS backend', () => {
    for (const spec of [winogradGeometry, strided, grouped, pointwise, depthwise]) {
      for (const name of ['reference', 'direct'] as const) {
        const layer = right(compileConv2D(right(decodeConv2D(spec[0])), spec[1], { kernel: name }))
        expect(layer.kernel).toBe(name)
        expect(layer.backend).toBe('js')
      }
    }
  })
})

describe('wasmScratch sizes the kernel prepareKernel would run', () => {
  const strided = geometry({ filters: 4, kernel_size: 3, strides: 2 }, [7, 7, 2])
  const grouped = geometry({ filters: 4, kernel_size: 3, groups: 2 }, [5, 5, 4])
  const winograd = geometry({ filters: 4, kernel_size: 3 }, [5, 5, 2])

  it('a path that does not cover the geometry is sized as tiled', () => {
    expect(wasmScratch('winograd', strided, 2)).toEqual(wasmScratch('tiled', strided, 2))
    expect(wasmScratch('depthwise', grouped, 2)).toEqual(wasmScratch('tiled', grouped, 2))
    expect(wasmScratch('pointwise', strided, 2)).toEqual(wasmScratch('tiled', strided, 2))
    expect(wasmScratch('winograd', strided, 1).perThread).toBe(0)
  })

  it('im2col (no wasm kernel) is sized as tiled', () => {
    expect(wasmScratch('im2col', winograd, 3)).toEqual(wasmScratch('tiled', winograd, 3))
  })

  it('a covering Winograd path keeps its own scratch', () => {
    expect(wasmScratch('winograd', winograd, 1).perThread).toBeGreaterThan(0)
    expect(wasmScratch('winograd', winograd, 1).packedWeights).not.toBe(wasmScratch('tiled', winograd, 1).packedWeights)
  })

  it('a covering depthwise path is sized with the depthwise packing', () => {
    const dw = geometry({ filters: 16, kernel_size: 3, groups: 16 }, [5, 5, 16])
    expect(wasmScratch('depthwise', dw, 1).packedWeights).toBe(depthwisePackedSize(dw, WASM_Q) * 4)
    expect(wasmScratch('depthwise', dw, 1).packedWeights).toBeLessThan(wasmScratch('tiled', dw, 1).packedWeights)
  })

  it('the output is one float32 result of the batch', () => {
    for (const g of [strided, grouped, winograd]) {
      expect(wasmScratch('tiled', g, 3).output).toBe(3 * g.outputSize * 4)
      expect(wasmScratch('winograd', g, 2).output).toBe(2 * g.outputSize * 4)
    }
  })
})
