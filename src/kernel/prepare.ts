/**
 * Kernel selection and preparation: from a geometry (at compile time) to the kernel that runs it.
 *
 * `selectKernel` picks the path from the geometry alone:
 * - depthwise when every group has one input and one output channel (`groups` = channels = filters);
 * - pointwise (one GEMM over all pixels) for 1×1 windows with stride 1, channels_last;
 * - the tiled direct kernel otherwise (the plain `direct` kernel when the padded input copy the fast
 *   kernels read would be out of all proportion: see {@link paddingOutOfProportion}). Few input
 *   channels (a network's stem, MNIST) need no path of their own: the tiled code reduces each window
 *   row as one run of `kw·C` steps (the wasm code is generated for the geometry, so that run is a
 *   constant). `js-im2col`, which gathers a row of windows into one run of `kh·kw·C` steps, is
 *   available by name but not selected: on the bench cases its gather cost more than the longer run
 *   saved (stem 8.0 vs 7.5 ms, MNIST 3.3 vs 2.9 ms).
 * The backend is WebAssembly SIMD for float32 where the runtime validates SIMD, plain TypeScript
 * otherwise (or when asked). `prepareKernel` builds the chosen kernel once.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import type { Backend, ConvKernel, KernelName, KernelOptions, KernelParams, PreparedKernel } from './ConvKernel.js'
import { directKernel } from './direct.js'
import { rerunNonFinite } from './finite.js'
import { jsDepthwise } from './js/depthwise.js'
import { im2colRowSize, jsIm2col } from './js/im2col.js'
import { prepareJs, type JsInput } from './js/runtime.js'
import { JS_Q, jsTiled } from './js/tiled.js'
import { JS_WINOGRAD_GROUP, jsWinograd } from './js/winograd.js'
import { paddedLayout, type PaddedLayout } from './layout.js'
import { depthwisePackedSize, packDepthwise, packTiled, tiledPackedSize } from './pack.js'
import { referenceKernel } from './reference.js'
import { HAS_RELAXED_SIMD, HAS_SIMD } from './wasm/encoder.js'
import { prepareWasm } from './wasm/runtime.js'
import { depthwiseRowsCode, fusable, pointwiseCode, tiledRowsCode, WASM_P, WASM_Q } from './wasm/tiled.js'
import { WASM_WINOGRAD_GROUP, WASM_WINOGRAD_Q, winogradCode, winogradFiniteLanes, winogradMinChunk, winogradRowOfUnit, winogradScratchBytes, winogradUnits } from './wasm/winograd.js'
import { packWinograd, winogradCovers, winogradLayout, winogradPackedSize } from './winograd.js'

/** The kernel paths (a kernel name is a backend and a path). */
export type KernelPath = 'tiled' | 'pointwise' | 'depthwise' | 'im2col' | 'winograd'

/** Whether the WebAssembly SIMD backend can run a dtype here. */
export const wasmAvailable = (dtype: FloatDType): boolean => HAS_SIMD && dtype === 'float32'

/** Whether a path's kernel computes this geometry (others run the tiled kernel instead). */
export const coversPath = (path: KernelPath, g: ConvGeometry): boolean => {
  switch (path) {
    case 'tiled':
      return true
    case 'pointwise':
      // a 1×1 window maps pixels one to one: with zero padding (a family view: a transposed layer's
      // phase, a folded pad) the output is larger than the input and the tiled kernel runs instead
      return (
        g.kernelHeight === 1 &&
        g.kernelWidth === 1 &&
        g.strideHeight === 1 &&
        g.strideWidth === 1 &&
        g.dataFormat === 'channels_last' &&
        g.padTop + g.padBottom + g.padLeft + g.padRight === 0
      )
    case 'depthwise':
      return g.inChannelsPerGroup === 1 && g.outChannelsPerGroup === 1
    case 'im2col':
      return g.groups === 1
    case 'winograd':
      return winogradCovers(g)
  }
}

/**
 * Whether the JS backend runs Winograd on a geometry it covers: from 4 input channels, with more
 * than one block of 4 filters (measured: with fewer channels, or 4 filters or less, its transforms
 * cost about what the saved multiplications gain: 0.86-1.0x the tiled kernel; from there 1.1-1.8x).
 */
export const jsWinogradPays = (g: ConvGeometry): boolean => g.inChannels >= 4 && g.outChannels > JS_Q

/**
 * Whether the wasm backend runs Winograd on a geometry it covers: with at least
 * {@link WASM_WINOGRAD_MIN_CHANNELS} input channels and 8 channel pairs `C·F`, and rows of at least
 * {@link WASM_WINOGRAD_MIN_ROW_TILES} tiles. With 512 channels on a 7×7 image both kernels stream
 * their weights from memory and run at parity.
 */
export const wasmWinogradPays = (g: ConvGeometry): boolean =>
  g.inChannels >= WASM_WINOGRAD_MIN_CHANNELS && g.inChannels * g.outChannels >= 8 && Math.ceil(g.outWidth / 2) >= WASM_WINOGRAD_MIN_ROW_TILES

/**
 * Input channels from which the wasm backend runs Winograd (below, the tiled kernel). With 1-3
 * channels a product has 1-3 reduction steps: the transforms and the products' stores cost what the
 * saved multiplications gain. Measured 2026-12-07 (2-core EPYC, one layer, one thread, with its
 * copy-out; tiled ÷ Winograd time): 3 channels 0.92-0.99 (150×150 → 32 b1 / b8, 64×64 → 16 / 120,
 * 224×224 → 64), 4 channels 1.09, 8 channels 1.40 (64×64 → 32); and the tiled kernel splits better
 * over two threads (150×150×3 → 32 b8: 1.66× against 1.32×). In whole models, 3-channel first layers
 * tiled instead of Winograd: A.json b8 20.1 → 19.0 ms on one thread, 16.0 → 12.4 ms on two; Q b1
 * two threads 3.86 → 3.61 ms; cifar10-cnn b8 two threads 3.01 → 2.84 ms; unet, C, K unchanged.
 * (Measured on 64×64 images before the Winograd batches, the rule had been 2 channels: 1.0-2.1×.)
 * @category kernels
 */
export const WASM_WINOGRAD_MIN_CHANNELS = 4

/**
 * Winograd's 2×2 output tiles per output row below which the wasm backend runs the tiled kernel: it
 * computes its tiles in groups of 4 along a row, so a row of 1-3 tiles (an output 1-6 wide) wastes a
 * quarter or more of its work and transforms, and streams 16/9 as many packed weights as the tiled
 * kernel. Measured, one thread, per step (2026-12-06, 2-core EPYC): ResNet50's 2×2×512 outputs 2.6 →
 * 0.83 ms at batch 1, 15-16 → 5.0 ms at batch 8; 4×4×256 0.94 → 0.47 ms; J.json's 6×6×512 7.2 → 5.5 ms
 * (batch 1) and 54 → 35 ms (batch 8); its 8×8×512 (4 tiles a row) stays on Winograd (17-19 against 26 ms
 * tiled at batch 8).
 * @category kernels
 */
export const WASM_WINOGRAD_MIN_ROW_TILES = 4

/** The path that fits a geometry best on a backend. */
export const selectPath = (g: ConvGeometry, backend: Backend = 'wasm'): KernelPath => {
  if (g.groups > 1 && coversPath('depthwise', g)) return 'depthwise'
  if (coversPath('pointwise', g)) return 'pointwise'
  if (coversPath('winograd', g) && (backend === 'wasm' ? wasmWinogradPays(g) : jsWinogradPays(g))) return 'winograd'
  return 'tiled'
}

/**
 * Whether the zero-padded input copy every fast kernel reads is out of all proportion to the layer's
 * input and output (more than 16 times both together): a dilation far beyond the image with `same`
 * padding (`dilation_rate: 2147483648` pads each row by about 2³¹ zeros, which no typed array holds).
 * The direct kernel, which reads only the taps inside the image and copies nothing, runs those.
 */
export const paddingOutOfProportion = (g: ConvGeometry): boolean => {
  const padded = (g.outHeight - 1) * g.strideHeight + g.effectiveKernelHeight
  const paddedCols = (g.outWidth - 1) * g.strideWidth + g.effectiveKernelWidth
  return padded * paddedCols * g.inChannels > 16 * (g.inputSize + g.outputSize) + 65536
}

/** The kernel `compileConv2D` runs for a geometry when none is named. */
export const selectKernel = (g: ConvGeometry, dtype: FloatDType, backend: Backend | 'auto'): KernelName => {
  if (paddingOutOfProportion(g)) return 'direct'
  const b: Backend = backend === 'js' || !wasmAvailable(dtype) ? 'js' : 'wasm'
  return `${b}-${selectPath(g, b)}` as KernelName
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

const prepareJsPath = (path: KernelPath, g: ConvGeometry, options: KernelOptions): PreparedKernel => {
  const fuses = fusable(options.activation)
  if (path === 'winograd') {
    const layout = winogradLayout(g, JS_WINOGRAD_GROUP, false)
    const kernel = prepareJs(
      g,
      {
        name: 'js-winograd',
        input: { kind: 'padded', layout, kernel: jsWinograd(g, layout) },
        packedFloats: winogradPackedSize(g, JS_Q),
        pack: (p, dst, off) => packWinograd(g, JS_Q, p.kernel, p.bias, dst, off)
      },
      options.activation,
      fuses
    )
    return rerunNonFinite(kernel, g.outputSize, () => prepareJsPath('tiled', g, options))
  }
  const layout = paddedLayout(g)
  const depthwise = path === 'depthwise'
  const input: JsInput =
    path === 'im2col'
      ? { kind: 'im2col', rowSize: im2colRowSize(g), kernel: jsIm2col(g) }
      : { kind: 'padded', layout, kernel: depthwise ? jsDepthwise(g, layout) : jsTiled(g, layout) }
  return prepareJs(
    g,
    {
      name: `js-${path}`,
      input,
      packedFloats: depthwise ? depthwisePackedSize(g, JS_Q) : tiledPackedSize(g, JS_Q),
      pack: depthwise
        ? (p, dst, off) => packDepthwise(g, JS_Q, p.kernel, p.bias, dst, off)
        : (p, dst, off) => packTiled(g, JS_Q, p.kernel, p.bias, dst, off)
    },
    options.activation,
    fuses
  )
}

/**
 * The padded input a wasm path reads: the tiled kernel reads a channels_first layer's input in NCHW
 * as it is, and so does Winograd (its transform vectorizes over tiles); the others read NHWC.
 */
const wasmLayout = (path: Exclude<KernelPath, 'im2col'>, g: ConvGeometry): PaddedLayout => {
  const nchw = g.dataFormat === 'channels_first'
  if (path === 'winograd') return winogradLayout(g, WASM_WINOGRAD_GROUP, nchw)
  return paddedLayout(g, path === 'tiled' && nchw)
}

/** Floats of one params object's packing on a wasm path (Winograd: the transformed 4×4 weights). */
const wasmPackedFloats = (path: Exclude<KernelPath, 'im2col'>, g: ConvGeometry): number =>
  path === 'winograd' ? winogradPackedSize(g, WASM_WINOGRAD_Q) : path === 'depthwise' ? depthwisePackedSize(g, WASM_Q) : tiledPackedSize(g, WASM_Q)

/** Scratch a wasm kernel keeps besides the output it returns, in bytes (the README's memory rule). */
export interface WasmScratch {
  /** The padded copy of the input (the batch). */
  readonly paddedInput: number
  /** One params object's packed weights. */
  readonly packedWeights: number
  /** The output before it is copied out (the batch). */
  readonly output: number
  /** Fixed scratch of each thread (the Winograd kernel's transformed tiles and products; 0 for the others). */
  readonly perThread: number
}

/** The scratch of wasm path `path` (as `prepareKernel` would choose it) for a geometry and batch. */
export const wasmScratch = (path: KernelPath, g: ConvGeometry, batch: number): WasmScratch => {
  const p = path === 'im2col' || !coversPath(path, g) ? 'tiled' : path
  return {
    paddedInput: batch * wasmLayout(p, g).sampleSize * 4,
    packedWeights: wasmPackedFloats(p, g) * 4,
    output: batch * g.outputSize * 4,
    perThread: p === 'winograd' ? winogradScratchBytes(g) : 0
  }
}

const prepareWasmPath = (path: Exclude<KernelPath, 'im2col'>, g: ConvGeometry, options: KernelOptions): PreparedKernel => {
  const fma = options.relaxedSimd !== false && HAS_RELAXED_SIMD
  const fuses = fusable(options.activation)
  const act = fuses ? options.activation : 'linear'
  const fallback = (): PreparedKernel => prepareJsPath(path, g, { ...options, threads: 1 })
  const layout = wasmLayout(path, g)
  if (path === 'winograd') {
    return prepareWasm(
      g,
      {
        name: 'wasm-winograd',
        code: winogradCode(g, layout, act, fma),
        layout,
        packedFloats: wasmPackedFloats(path, g),
        pack: (p: KernelParams, dst: Float32Array, off: number) => packWinograd(g, WASM_WINOGRAD_Q, p.kernel, p.bias, dst, off),
        units: (batch) => winogradUnits(g, batch),
        rowOfUnit: (u) => winogradRowOfUnit(g, u),
        align: 1,
        minChunk: winogradMinChunk(g),
        scratchBytes: winogradScratchBytes(g),
        fusesActivation: fuses,
        exact: { kernel: () => prepareWasmPath('tiled', g, options), finiteLanes: winogradFiniteLanes(g) }
      },
      options.threads,
      fallback,
      options.parallelMinMacs,
      options.split
    )
  }
  const depthwise = path === 'depthwise'
  const code =
    path === 'pointwise' ? pointwiseCode(g, act, fma) : depthwise ? depthwiseRowsCode(g, layout, act, fma) : tiledRowsCode(g, layout, act, fma)
  return prepareWasm(
    g,
    {
      name: `wasm-${path}`,
      code,
      layout,
      packedFloats: wasmPackedFloats(path, g),
      pack: depthwise
        ? (p: KernelParams, dst: Float32Array, off: number) => packDepthwise(g, WASM_Q, p.kernel, p.bias, dst, off)
        : (p: KernelParams, dst: Float32Array, off: number) => packTiled(g, WASM_Q, p.kernel, p.bias, dst, off),
      units: path === 'pointwise' ? (batch) => batch * g.inHeight * g.inWidth : (batch) => batch * g.outHeight,
      rowOfUnit: path === 'pointwise' ? undefined : (u) => u,
      align: path === 'pointwise' ? WASM_P : 1,
      scratchBytes: 0,
      fusesActivation: fuses
    },
    options.threads,
    fallback,
    options.parallelMinMacs,
    options.split
  )
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
  if (backend === 'wasm' && p !== 'im2col' && wasmAvailable(options.dtype)) return prepareWasmPath(p, g, options)
  return prepareJsPath(p, g, options)
}
