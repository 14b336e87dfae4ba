/**
 * Kernel selection and preparation: from a geometry (at compile time) to the kernel that runs it.
 *
 * `selectKernel` picks the path from the geometry alone: depthwise when every group has one input
 * and one output channel, pointwise (one GEMM over all pixels) for 1×1 stride-1 windows, im2col when
 * a window row holds few values (few input channels, like a network's stem), the tiled direct
 * kernel otherwise; the backend is WebAssembly SIMD for float32 where the runtime validates SIMD,
 * plain TypeScript otherwise. `prepareKernel` builds the chosen kernel once.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import type { Backend, ConvKernel, KernelName, KernelOptions, PreparedKernel } from './ConvKernel.js'
import { directKernel } from './direct.js'
import { prepareJs } from './js/runtime.js'
import { JS_Q, jsTiled } from './js/tiled.js'
import { paddedLayout } from './layout.js'
import { packTiled, tiledPackedSize } from './pack.js'
import { referenceKernel } from './reference.js'
import { HAS_SIMD, HAS_RELAXED_SIMD } from './wasm/encoder.js'
import { prepareWasm } from './wasm/runtime.js'
import { fusable, pointwiseCode, POINTWISE_CHUNK, tiledRowsCode, WASM_Q } from './wasm/tiled.js'

/** The kernel paths (a kernel name is a backend and a path). */
export type KernelPath = 'tiled' | 'pointwise' | 'depthwise' | 'im2col'

/** Whether the WebAssembly SIMD backend can run a dtype here. */
export const wasmAvailable = (dtype: FloatDType): boolean => HAS_SIMD && dtype === 'float32'

/** The path that fits a geometry best. */
export const selectPath = (g: ConvGeometry): KernelPath => {
  if (coversPath('pointwise', g)) return 'pointwise'
  return 'tiled'
}

/** Whether a path's kernel computes this geometry (others run the tiled kernel instead). */
export const coversPath = (path: KernelPath, g: ConvGeometry): boolean => {
  switch (path) {
    case 'tiled':
      return true
    case 'pointwise':
      return g.kernelHeight === 1 && g.kernelWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1
    case 'depthwise':
      return false
    case 'im2col':
      return false
  }
}

/** The kernel `compileConv2D` runs for a geometry when none is named. */
export const selectKernel = (g: ConvGeometry, dtype: FloatDType, backend: Backend | 'auto'): KernelName => {
  const b: Backend = backend === 'js' || !wasmAvailable(dtype) ? 'js' : 'wasm'
  return `${b}-${selectPath(g)}`
}

const legacy = (name: KernelName, kernel: ConvKernel, g: ConvGeometry): PreparedKernel => ({
  name,
  backend: 'js',
  threads: 1,
  fusesBias: false,
  fusesActivation: false,
  run: (params, batch, x, out) => kernel(g, batch, x, params.kernel, out),
  dispose: () => undefined
})

const prepareJsPath = (name: KernelName, path: KernelPath, g: ConvGeometry, options: KernelOptions): PreparedKernel => {
  const layout = paddedLayout(g)
  void path
  return prepareJs(
    g,
    {
      name,
      kernel: jsTiled(g, layout),
      layout,
      packedFloats: tiledPackedSize(g, JS_Q),
      pack: (p, dst, off) => packTiled(g, JS_Q, p.kernel, p.bias, dst, off),
      units: (batch) => batch * g.outHeight
    },
    options.activation,
    fusable(options.activation)
  )
}

const prepareWasmPath = (name: KernelName, path: KernelPath, g: ConvGeometry, options: KernelOptions): PreparedKernel => {
  const layout = paddedLayout(g)
  const fma = options.relaxedSimd !== false && HAS_RELAXED_SIMD
  const act = options.activation
  const fuses = fusable(act)
  const actIn = fuses ? act : 'linear'
  const common = {
    name,
    layout,
    packedFloats: tiledPackedSize(g, WASM_Q),
    pack: (p: { kernel: Float32Array | Float64Array; bias: Float32Array | Float64Array | undefined }, dst: Float32Array, off: number) =>
      packTiled(g, WASM_Q, p.kernel, p.bias, dst, off),
    fusesActivation: fuses
  }
  const twin = (): PreparedKernel => prepareJsPath(`js-${path}`, path, g, { ...options, threads: 1 })
  if (path === 'pointwise') {
    return prepareWasm(
      g,
      { ...common, code: pointwiseCode(g, actIn, fma), units: (batch) => batch * g.inHeight * g.inWidth, align: POINTWISE_CHUNK },
      options.threads,
      twin
    )
  }
  return prepareWasm(g, { ...common, code: tiledRowsCode(g, layout, actIn, fma), units: (batch) => batch * g.outHeight, align: 1 }, options.threads, twin)
}

/**
 * Builds kernel `name` for a geometry. A fast kernel whose path does not cover the geometry runs its
 * backend's tiled kernel; a wasm kernel on float64 (or without SIMD) runs its JS twin.
 */
export const prepareKernel = (name: KernelName, g: ConvGeometry, options: KernelOptions): PreparedKernel => {
  if (name === 'reference') return legacy(name, referenceKernel, g)
  if (name === 'direct') return legacy(name, directKernel, g)
  const [backend, path] = name.split('-') as [Backend, KernelPath]
  const p: KernelPath = coversPath(path, g) ? path : 'tiled'
  if (backend === 'wasm' && wasmAvailable(options.dtype)) return prepareWasmPath(`wasm-${p}`, p, g, options)
  return prepareJsPath(`js-${p}`, p, g, options)
}
