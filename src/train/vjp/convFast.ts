/**
 * The fast vector-Jacobian product of a convolution (Conv2D, and DepthwiseConv2D as the grouped
 * convolution it is), built on the forward pass's kernels. `compileConvVjp(g)` prepares, once per
 * geometry, what {@link convVjp} (the oracle, src/train/vjp/conv.ts) computes in one naive pass:
 *
 * - **Input gradient** `dx`: the transposed convolution of `dy` with W, run as an ordinary
 *   convolution by a prepared forward kernel (prepare.ts: WebAssembly SIMD tiled / Winograd /
 *   pointwise / depthwise, or their plain-TS twins; threads where the forward uses them). `dy` is
 *   written into a zero buffer Z with `s − 1` zeros between its rows and columns, shifted by
 *   `d·(k−1) − p` (top / left): `Z[i·s + d·(k−1) − p] = dy[i]`, Z of `H + d·(k−1)` rows (likewise
 *   columns), so that the `valid`, stride-1, dilation-d convolution of Z with W rotated by 180° and its
 *   in/out channel axes swapped per group has exactly the input's size (rows no forward window reads
 *   stay 0). Z's zeros never change: a call only rewrites the positions of `dy`. The kernel of that
 *   convolution (the layer's weights, rotated) is rewritten and repacked by every call, into the same
 *   packed slot (cheap: `kh·kw·C·F/G` values). A depthwise layer with multiplier M (groups = C, M
 *   filters per channel) runs the transposed convolution as a depthwise one over its C·M channels and
 *   sums each channel's M results (a grouped convolution with M inputs and 1 output per group would
 *   waste the kernels' output-channel blocks).
 * - **Filter gradient** `dW[a, b, q, f] = Σ_{n,i,j} x[n, i·sh + a·dh − pt, j·sw + b·dw − pl, q]·dy[n, i, j, f]`:
 *   per group and tap a `[Cg, rows] × [rows, Fg]` product (rows = the batch's output positions whose
 *   tap lands inside the input), the rows of x being a shifted, strided window of x itself (no im2col):
 *   - wasm (`wasm-direct`, {@link directFilterCode}): generated per geometry, register tiles of 2 input
 *     channels × 16 filters (8 f32x4 accumulators) over one tap's rows, dy in NHWC (a channels_first
 *     dy is transposed on the way into wasm memory); the batch in 16 blocks, each summed in float32
 *     into a slot of its own, the slots added in block order in float64, so that threads (which take
 *     whole blocks) change no result bit. Measured on the MNIST convnet's second layer (13×13×32 →
 *     64, batch 128, one thread): 16.5 ms (34 GFLOP/s), against 30 ms for `wasm-gemm` below (its
 *     im2col gather and dy packing in JS cost as much as its GEMM) and 1.2 s for the oracle; first
 *     layer (1 input channel): 2.4 ms against 8.6 ms.
 *   - wasm (`wasm-gemm`: windows of more than {@link DIRECT_MAX_TAPS} taps, whose unrolled direct code
 *     would be large, or `filterKernel: 'gemm'`): the model compiler's WebAssembly SIMD Dense GEMM
 *     (compiler/kernels/wasm/denseCode.ts, 2×16 tiles) over the im2col patches of x, transposed (`Pᵀ`,
 *     `kh·kw·Cg` rows of `Kc` patch rows) times dy (`Kc` rows of `Fg`, in panels of 8), `Kc` = 256
 *     patch rows at a time, each block added onto the previous ones by the GEMM's fused `add` (blocks
 *     that stay in L2: one GEMM over all rows would stream all of dy for every two output rows).
 *   - js (`js-gemm`): the direct product in 4 (channels) × 4 (filters) float64 register tiles.
 *   - depthwise (one input channel per group, `depthwise`): a dot product per tap and channel over
 *     each sample's rows (no product to tile: `Cg = 1`), float64, on both backends.
 *   Why not a convolution (channels as the batch, samples as the channels, dy as the kernel, the
 *   dilation as the stride and the stride as the dilation): its output rows are `kw` pixels wide,
 *   which leaves the tiled kernels' 4-pixel register tiles mostly empty, its "kernel" (all of dy) is
 *   repacked by every call and does not stay in cache, and x would need a transpose first.
 * - **Bias gradient**: Σ dy per channel, in float64.
 *
 * Accuracy against the float64 oracle: the float64 dtype (always the JS backend) agrees within a few
 * float64 ulps of Σ|terms|. float32 results: the JS backend sums in float64 (only the result is
 * rounded); the wasm backend sums in float32: dx with the forward kernels' rounding (Winograd's
 * transforms mix each output with its 4×4 tile's inputs), dW in sequential float32 sums over a block's
 * rows. The property tests (spec/train/convFast.spec.ts) bound every element by
 * `64·eps·Σ|terms| + eps·|value|` (eps = 2⁻²³ for float32, 2⁻⁵² for float64; Σ|terms| the oracle run
 * on |x|, |w|, |dy|), plus `8·eps·max Σ|terms|` for dx (Winograd's tiles).
 *
 * noUncheckedIndexedAccess: indices are in range by construction (from the geometry); reads are
 * asserted with `!`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { denseTiling } from '../../compiler/kernels/wasm-dense.js'
import { denseCode, panelCount, panelFloats } from '../../compiler/kernels/wasm/denseCode.js'
import { decodeConv2D } from '../../conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { KernelParams, PreparedKernel } from '../../kernel/ConvKernel.js'
import { prepareKernel, selectKernel, wasmAvailable } from '../../kernel/prepare.js'
import { THREADS_AVAILABLE, ThreadedModule } from '../../kernel/threads.js'
import { wasmApi, type WasmMemory, type WasmModule } from '../../kernel/wasm/api.js'
import { Code, encodeModule, HAS_RELAXED_SIMD, HAS_SHARED_MEMORY, I32, V128 } from '../../kernel/wasm/encoder.js'
import { THREAD_MIN_MACS } from '../../kernel/wasm/runtime.js'
import type { FloatArray, FloatDType } from '../../numerics/FloatArray.js'
import type { ConvGrads } from './conv.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of {@link compileConvVjp}.
 * @category model
 */
export interface ConvVjpOptions {
  /** The dtype of the results (and of the kernels' arithmetic: float64 always runs the JS backend). Default float32. */
  readonly dtype?: FloatDType
  /** `wasm` where SIMD validates and the dtype is float32, else `js`; `auto` (default) = `wasm` when available. */
  readonly backend?: 'js' | 'wasm' | 'auto'
  /** Threads a large call may be split over (default 1): the input gradient's convolution and the direct filter gradient. */
  readonly threads?: number
  /** Multiply-adds from which a call is split over threads (default THREAD_MIN_MACS; tests use 0). */
  readonly parallelMinMacs?: number
  /** The wasm filter-gradient kernel (benchmarks and tests): `direct` (default) or `gemm`. */
  readonly filterKernel?: 'direct' | 'gemm'
}

/**
 * A convolution's VJP compiled for one geometry: `run(batch, x, w, dy, wantBias)` gives what
 * {@link convVjp} gives (in the dtype's array type). Writes nothing it is given; reusable for any
 * batch size; `dispose` releases its scratch and threads (it keeps working).
 * @category model
 */
export interface CompiledConvVjp {
  /** The kernels it runs, e.g. `dx:wasm-winograd dw:wasm-direct`. */
  readonly name: string
  readonly run: (batch: number, x: FloatArray, w: FloatArray, dy: FloatArray, wantBias: boolean) => ConvGrads<FloatArray>
  /**
   * Only the filter and bias gradients (what `run` gives as `dw`, `db`): for a layer whose input needs
   * no gradient (a model's first layer), which saves the transposed convolution.
   */
  readonly weightGrads: (batch: number, x: FloatArray, dy: FloatArray, wantBias: boolean) => Omit<ConvGrads<FloatArray>, 'dx'>
  readonly dispose: () => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Compiles the VJP of the convolution of geometry `g` (see the module comment for the algorithms).
 * @category constructors
 */
export const compileConvVjp = (g: ConvGeometry, options: ConvVjpOptions = {}): CompiledConvVjp => {
  const dtype = options.dtype ?? 'float32'
  const backend = options.backend === 'js' || !wasmAvailable(dtype) ? 'js' : 'wasm'
  const threads = Math.max(1, Math.floor(options.threads ?? 1))
  const minMacs = options.parallelMinMacs ?? THREAD_MIN_MACS
  // prepared on first use: a layer whose input needs no gradient (weightGrads only) never builds it
  let input: InputGradient | undefined
  const inputOf = (): InputGradient => (input ??= inputGradient(g, dtype, backend, threads, minMacs))
  const depthwise = g.inChannelsPerGroup === 1 && g.groups > 1
  const wasmFilter = (): FilterGradient | undefined =>
    (options.filterKernel === 'gemm' ? undefined : wasmDirectFilterGradient(g, threads, minMacs)) ?? wasmGemmFilterGradient(g)
  const filter: FilterGradient = depthwise ? depthwiseFilterGradient(g) : (backend === 'wasm' ? wasmFilter() : undefined) ?? jsFilterGradient(g)
  const kernelSize = g.kernelHeight * g.kernelWidth * g.inChannelsPerGroup * g.outChannels
  const check = (batch: number, x: FloatArray, dy: FloatArray): void => {
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`convVjp: expected a positive integer batch, got ${batch}`)
    if (x.length !== batch * g.inputSize) throw new RangeError(`convVjp: expected an input of ${batch * g.inputSize} values (batch ${batch}), got ${x.length}`)
    if (dy.length !== batch * g.outputSize) throw new RangeError(`convVjp: expected an output gradient of ${batch * g.outputSize} values (batch ${batch}), got ${dy.length}`)
  }
  const weightGrads = (batch: number, x: FloatArray, dy: FloatArray, wantBias: boolean): Omit<ConvGrads<FloatArray>, 'dx'> => {
    const dw = allocate(dtype, kernelSize)
    const db = wantBias ? allocate(dtype, g.outChannels) : undefined
    filter.run(batch, x, dy, dw, db)
    return { dw, db }
  }
  return {
    get name() {
      return `dx:${inputOf().name} dw:${filter.name}`
    },
    run: (batch, x, w, dy, wantBias) => {
      check(batch, x, dy)
      if (w.length !== kernelSize) throw new RangeError(`convVjp: expected a kernel of ${kernelSize} values, got ${w.length}`)
      const dx = inputOf().run(batch, w, dy)
      return { dx, ...weightGrads(batch, x, dy, wantBias) }
    },
    weightGrads: (batch, x, dy, wantBias) => {
      check(batch, x, dy)
      return weightGrads(batch, x, dy, wantBias)
    },
    dispose: () => {
      input?.dispose()
      filter.dispose()
    }
  }
}

// -------------------------------------------------------------------------------------
// input gradient
// -------------------------------------------------------------------------------------

const allocate = (dtype: FloatDType, n: number): FloatArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n))

/** A geometry from a Keras config and an input shape (both valid by construction). */
const geometryOf = (config: object, shape: readonly [number, number, number]): ConvGeometry => {
  const spec = decodeConv2D(config)
  if (E.isLeft(spec)) throw new Error(`convVjp: internal geometry ${JSON.stringify(config)}: ${spec.left.map((e) => e.message).join('; ')}`)
  const tg = computeGeometry(spec.right, shape)
  if (E.isLeft(tg)) throw new Error(`convVjp: internal geometry ${JSON.stringify(config)} on [${shape.join(', ')}]: ${tg.left.map((e) => e.message).join('; ')}`)
  return tg.right
}

/**
 * The convolution whose output is the input gradient: `valid`, stride 1, the layer's dilation, over
 * Z (`H + dh·(kh−1)` × `W + dw·(kw−1)` pixels of the layer's F channels, its data format). For a
 * depthwise layer with multiplier M: a depthwise convolution of its C·M channels (summed per channel
 * afterwards).
 */
export const transposedGeometry = (g: ConvGeometry): ConvGeometry => {
  const depthwise = g.inChannelsPerGroup === 1 && g.groups > 1
  const Hz = g.inHeight + g.dilationHeight * (g.kernelHeight - 1)
  const Wz = g.inWidth + g.dilationWidth * (g.kernelWidth - 1)
  const F = g.outChannels
  const cf = g.dataFormat === 'channels_first'
  return geometryOf(
    {
      filters: depthwise ? F : g.inChannels,
      kernel_size: [g.kernelHeight, g.kernelWidth],
      strides: [1, 1],
      dilation_rate: [g.dilationHeight, g.dilationWidth],
      padding: 'valid',
      data_format: g.dataFormat,
      groups: depthwise ? F : g.groups,
      use_bias: false
    },
    cf ? [F, Hz, Wz] : [Hz, Wz, F]
  )
}

interface InputGradient {
  readonly name: string
  readonly run: (batch: number, w: FloatArray, dy: FloatArray) => FloatArray
  readonly dispose: () => void
}

const inputGradient = (g: ConvGeometry, dtype: FloatDType, backend: 'js' | 'wasm', threads: number, parallelMinMacs: number): InputGradient => {
  const tg = transposedGeometry(g)
  const kernel: PreparedKernel = prepareKernel(selectKernel(tg, dtype, backend), tg, { dtype, activation: 'linear', threads, parallelMinMacs })
  const depthwise = g.inChannelsPerGroup === 1 && g.groups > 1
  const M = depthwise ? g.outChannelsPerGroup : 1
  const cf = g.dataFormat === 'channels_first'
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, outChannels: F, inChannels: C } = g
  const Hz = tg.inHeight
  const Wz = tg.inWidth
  const zSize = tg.inputSize
  // where dy's row i / column j lands in Z, and the rows / columns that land inside it (all, by construction)
  const rz0 = g.dilationHeight * (g.kernelHeight - 1) - g.padTop
  const cz0 = g.dilationWidth * (g.kernelWidth - 1) - g.padLeft
  const sh = g.strideHeight
  const sw = g.strideWidth
  const i0 = Math.max(0, Math.ceil(-rz0 / sh))
  const i1 = Math.min(OH, Math.floor((Hz - 1 - rz0) / sh) + 1)
  const j0 = Math.max(0, Math.ceil(-cz0 / sw))
  const j1 = Math.min(OW, Math.floor((Wz - 1 - cz0) / sw) + 1)
  const T = g.kernelHeight * g.kernelWidth
  const Cg = g.inChannelsPerGroup
  const Fg = g.outChannelsPerGroup
  const G = g.groups
  const wt = allocate(dtype, T * tg.inChannelsPerGroup * tg.outChannels)
  // two zero biases used in turn: a params object whose bias differs from the last call's makes the
  // kernel repack `wt` (rewritten by every call) into the same slot
  const tokens = [allocate(dtype, tg.outChannels), allocate(dtype, tg.outChannels)] as const
  let turn = 0
  let z = allocate(dtype, 0)
  let zBatch = 0
  let sums = allocate(dtype, 0)

  /** `wt` = W rotated by 180°, in/out channels swapped per group (depthwise: only rotated). */
  const fillKernel = (w: FloatArray): void => {
    if (depthwise) {
      for (let t = 0; t < T; t++) {
        const d = (T - 1 - t) * F
        const s = t * F
        for (let k = 0; k < F; k++) wt[d + k] = w[s + k]!
      }
      return
    }
    for (let t = 0; t < T; t++) {
      const rt = T - 1 - t
      for (let grp = 0; grp < G; grp++) {
        for (let q = 0; q < Cg; q++) {
          const s = (t * Cg + q) * F + grp * Fg
          const d = rt * Fg * C + grp * Cg + q
          for (let f = 0; f < Fg; f++) wt[d + f * C] = w[s + f]!
        }
      }
    }
  }

  /** Writes dy into Z (its zeros were written once, when Z was allocated). */
  const fillZ = (batch: number, dy: FloatArray): void => {
    if (batch > zBatch) {
      z = allocate(dtype, batch * zSize)
      zBatch = batch
    }
    const run = j1 - j0
    if (run <= 0) return
    if (cf) {
      for (let n = 0; n < batch; n++) {
        for (let f = 0; f < F; f++) {
          const zp = (n * F + f) * Hz * Wz
          const yp = (n * F + f) * OH * OW
          for (let i = i0; i < i1; i++) {
            const d = zp + (i * sh + rz0) * Wz + j0 * sw + cz0
            const s = yp + i * OW + j0
            if (sw === 1) z.set(dy.subarray(s, s + run), d)
            else for (let j = 0; j < run; j++) z[d + j * sw] = dy[s + j]!
          }
        }
      }
      return
    }
    for (let n = 0; n < batch; n++) {
      for (let i = i0; i < i1; i++) {
        const d = ((n * Hz + i * sh + rz0) * Wz + j0 * sw + cz0) * F
        const s = ((n * OH + i) * OW + j0) * F
        if (sw === 1) z.set(dy.subarray(s, s + run * F), d)
        else {
          for (let j = 0; j < run; j++) {
            const dj = d + j * sw * F
            const sj = s + j * F
            for (let f = 0; f < F; f++) z[dj + f] = dy[sj + f]!
          }
        }
      }
    }
  }

  return {
    name: kernel.name,
    run: (batch, w, dy) => {
      fillKernel(w)
      fillZ(batch, dy)
      turn ^= 1
      const params: KernelParams = { kernel: wt, bias: tokens[turn] }
      const zIn = z.subarray(0, batch * zSize)
      const dx = allocate(dtype, batch * g.inputSize)
      if (M === 1) {
        kernel.run(params, batch, zIn, dx)
        return dx
      }
      // depthwise with multiplier M: the C·M channels' gradients, summed per input channel
      const n = batch * tg.outputSize
      if (sums.length < n) sums = allocate(dtype, n)
      const s = sums.subarray(0, n)
      kernel.run(params, batch, zIn, s)
      if (cf) {
        const plane = H * W
        for (let b = 0; b < batch; b++) {
          for (let c = 0; c < C; c++) {
            const d = (b * C + c) * plane
            const s0 = (b * F + c * M) * plane
            for (let p = 0; p < plane; p++) {
              let acc = 0
              for (let m = 0; m < M; m++) acc += s[s0 + m * plane + p]!
              dx[d + p] = acc
            }
          }
        }
      } else {
        const pixels = batch * H * W
        for (let p = 0; p < pixels; p++) {
          const d = p * C
          const s0 = p * F
          for (let c = 0; c < C; c++) {
            let acc = 0
            for (let m = 0; m < M; m++) acc += s[s0 + c * M + m]!
            dx[d + c] = acc
          }
        }
      }
      return dx
    },
    dispose: () => {
      kernel.dispose()
      z = allocate(dtype, 0)
      zBatch = 0
      sums = allocate(dtype, 0)
    }
  }
}

// -------------------------------------------------------------------------------------
// filter gradient
// -------------------------------------------------------------------------------------

interface FilterGradient {
  readonly name: string
  /** Writes the filter gradient (HWIO) into `dw` and, when given, the bias gradient into `db` (fresh arrays of the dtype). */
  readonly run: (batch: number, x: FloatArray, dy: FloatArray, dw: FloatArray, db: FloatArray | undefined) => void
  readonly dispose: () => void
}

/** Strides of a geometry's input and output layouts (per sample, channel, row, column). */
const layoutStrides = (g: ConvGeometry) => {
  const cf = g.dataFormat === 'channels_first'
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: F } = g
  return {
    xc: cf ? H * W : 1,
    xh: cf ? W : W * C,
    xw: cf ? 1 : C,
    yf: cf ? OH * OW : 1,
    yh: cf ? OW : OW * F,
    yw: cf ? 1 : F
  }
}

/**
 * The output rows `[lo, hi)` whose tap at kernel offset `a` lands inside the input (`i·s + a·d − p`
 * in `[0, n)`), along one axis.
 */
const validRange = (a: number, s: number, d: number, p: number, n: number, out: number): readonly [number, number] => {
  const off = a * d - p
  const lo = Math.max(0, Math.ceil(-off / s))
  const hi = Math.min(out, Math.floor((n - 1 - off) / s) + 1)
  return [lo, Math.max(lo, hi)]
}

/** Float64 copies of the inputs the JS loops read (so no load converts), reused across calls. */
const float64View = () => {
  let buf = new Float64Array(0)
  return {
    of: (a: FloatArray): Float64Array => {
      if (a instanceof Float64Array) return a
      if (buf.length < a.length) buf = new Float64Array(a.length)
      const v = buf.subarray(0, a.length)
      v.set(a)
      return v
    },
    clear: (): void => {
      buf = new Float64Array(0)
    }
  }
}

/**
 * The JS filter gradient: per sample and tap, (rows of x the tap reads)ᵀ × (rows of dy) in 4×4
 * float64 register tiles.
 */
const jsFilterGradient = (g: ConvGeometry): FilterGradient => {
  const { xc, xh, xw, yf, yh, yw } = layoutStrides(g)
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, outChannels: F, kernelHeight: KH, kernelWidth: KW } = g
  const Cg = g.inChannelsPerGroup
  const Fg = g.outChannelsPerGroup
  const G = g.groups
  const sh = g.strideHeight
  const sw = g.strideWidth
  const rowsA = Array.from({ length: KH }, (_, a) => validRange(a, sh, g.dilationHeight, g.padTop, H, OH))
  const colsB = Array.from({ length: KW }, (_, b) => validRange(b, sw, g.dilationWidth, g.padLeft, W, OW))
  const xs = float64View()
  const ys = float64View()
  let acc = new Float64Array(0)
  const sxw = sw * xw
  const Q4 = Cg - (Cg % 4)
  const F4 = Fg - (Fg % 4)
  return {
    name: 'js-gemm',
    run: (batch, x0, dy0, dw, db) => {
      if (db !== undefined) biasGradient(g, batch, dy0, db)
      const x = xs.of(x0)
      const dy = ys.of(dy0)
      if (acc.length < dw.length) acc = new Float64Array(dw.length)
      acc.fill(0, 0, dw.length)
      for (let n = 0; n < batch; n++) {
        const xn = n * g.inputSize
        const yn = n * g.outputSize
        for (let a = 0; a < KH; a++) {
          const [i0, i1] = rowsA[a]!
          if (i0 >= i1) continue
          for (let b = 0; b < KW; b++) {
            const [j0, j1] = colsB[b]!
            if (j0 >= j1) continue
            const t = a * KW + b
            // x of output position (i, j0) at this tap, channel 0; dy of (i, j0), filter 0
            const xBase = xn + (a * g.dilationHeight - g.padTop) * xh + (j0 * sw + b * g.dilationWidth - g.padLeft) * xw
            const yBase = yn + j0 * yw
            for (let grp = 0; grp < G; grp++) {
              const cq0 = grp * Cg
              const fq0 = grp * Fg
              for (let q = 0; q < Cg; q += q < Q4 ? 4 : 1) {
                const xq = xBase + (cq0 + q) * xc
                const wRow = (t * Cg + q) * F + fq0
                for (let f = 0; f < Fg; f += f < F4 ? 4 : 1) {
                  const yq = yBase + (fq0 + f) * yf
                  if (q < Q4 && f < F4) {
                    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0
                    let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0
                    for (let i = i0; i < i1; i++) {
                      let xp = xq + i * sh * xh
                      let yp = yq + i * yh
                      for (let j = j0; j < j1; j++, xp += sxw, yp += yw) {
                        const x0v = x[xp]!, x1v = x[xp + xc]!, x2v = x[xp + 2 * xc]!, x3v = x[xp + 3 * xc]!
                        const d0 = dy[yp]!, d1 = dy[yp + yf]!, d2 = dy[yp + 2 * yf]!, d3 = dy[yp + 3 * yf]!
                        c00 += x0v * d0; c01 += x0v * d1; c02 += x0v * d2; c03 += x0v * d3
                        c10 += x1v * d0; c11 += x1v * d1; c12 += x1v * d2; c13 += x1v * d3
                        c20 += x2v * d0; c21 += x2v * d1; c22 += x2v * d2; c23 += x2v * d3
                        c30 += x3v * d0; c31 += x3v * d1; c32 += x3v * d2; c33 += x3v * d3
                      }
                    }
                    const r0 = wRow + f
                    acc[r0] = acc[r0]! + c00; acc[r0 + 1] = acc[r0 + 1]! + c01; acc[r0 + 2] = acc[r0 + 2]! + c02; acc[r0 + 3] = acc[r0 + 3]! + c03
                    const r1 = r0 + F
                    acc[r1] = acc[r1]! + c10; acc[r1 + 1] = acc[r1 + 1]! + c11; acc[r1 + 2] = acc[r1 + 2]! + c12; acc[r1 + 3] = acc[r1 + 3]! + c13
                    const r2 = r1 + F
                    acc[r2] = acc[r2]! + c20; acc[r2 + 1] = acc[r2 + 1]! + c21; acc[r2 + 2] = acc[r2 + 2]! + c22; acc[r2 + 3] = acc[r2 + 3]! + c23
                    const r3 = r2 + F
                    acc[r3] = acc[r3]! + c30; acc[r3 + 1] = acc[r3 + 1]! + c31; acc[r3 + 2] = acc[r3 + 2]! + c32; acc[r3 + 3] = acc[r3 + 3]! + c33
                  } else if (q < Q4) {
                    // one filter (of the last Fg mod 4) × 4 channels
                    let c0 = 0, c1 = 0, c2 = 0, c3 = 0
                    for (let i = i0; i < i1; i++) {
                      let xp = xq + i * sh * xh
                      let yp = yq + i * yh
                      for (let j = j0; j < j1; j++, xp += sxw, yp += yw) {
                        const d = dy[yp]!
                        c0 += x[xp]! * d; c1 += x[xp + xc]! * d; c2 += x[xp + 2 * xc]! * d; c3 += x[xp + 3 * xc]! * d
                      }
                    }
                    const r0 = wRow + f
                    acc[r0] = acc[r0]! + c0; acc[r0 + F] = acc[r0 + F]! + c1; acc[r0 + 2 * F] = acc[r0 + 2 * F]! + c2; acc[r0 + 3 * F] = acc[r0 + 3 * F]! + c3
                  } else if (f < F4) {
                    // one channel (of the last Cg mod 4) × 4 filters
                    let c0 = 0, c1 = 0, c2 = 0, c3 = 0
                    for (let i = i0; i < i1; i++) {
                      let xp = xq + i * sh * xh
                      let yp = yq + i * yh
                      for (let j = j0; j < j1; j++, xp += sxw, yp += yw) {
                        const v = x[xp]!
                        c0 += v * dy[yp]!; c1 += v * dy[yp + yf]!; c2 += v * dy[yp + 2 * yf]!; c3 += v * dy[yp + 3 * yf]!
                      }
                    }
                    const r0 = wRow + f
                    acc[r0] = acc[r0]! + c0; acc[r0 + 1] = acc[r0 + 1]! + c1; acc[r0 + 2] = acc[r0 + 2]! + c2; acc[r0 + 3] = acc[r0 + 3]! + c3
                  } else {
                    let c0 = 0
                    for (let i = i0; i < i1; i++) {
                      let xp = xq + i * sh * xh
                      let yp = yq + i * yh
                      for (let j = j0; j < j1; j++, xp += sxw, yp += yw) c0 += x[xp]! * dy[yp]!
                    }
                    acc[wRow + f] = acc[wRow + f]! + c0
                  }
                }
              }
            }
          }
        }
      }
      for (let k = 0; k < dw.length; k++) dw[k] = acc[k]!
    },
    dispose: () => {
      xs.clear()
      ys.clear()
      acc = new Float64Array(0)
    }
  }
}

/**
 * The depthwise filter gradient (one input channel per group, M = F/C filters each): per sample, tap
 * and filter k, the dot product of the tap's window of channel ⌊k/M⌋ with dy's channel k.
 */
const depthwiseFilterGradient = (g: ConvGeometry): FilterGradient => {
  const { xc, xh, xw, yf, yh, yw } = layoutStrides(g)
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, outChannels: F, kernelHeight: KH, kernelWidth: KW } = g
  const M = g.outChannelsPerGroup
  const sh = g.strideHeight
  const sw = g.strideWidth
  const rowsA = Array.from({ length: KH }, (_, a) => validRange(a, sh, g.dilationHeight, g.padTop, H, OH))
  const colsB = Array.from({ length: KW }, (_, b) => validRange(b, sw, g.dilationWidth, g.padLeft, W, OW))
  const xs = float64View()
  const ys = float64View()
  let acc = new Float64Array(0)
  const sxw = sw * xw
  return {
    name: 'depthwise',
    run: (batch, x0, dy0, dw, db) => {
      if (db !== undefined) biasGradient(g, batch, dy0, db)
      const x = xs.of(x0)
      const dy = ys.of(dy0)
      if (acc.length < dw.length) acc = new Float64Array(dw.length)
      acc.fill(0, 0, dw.length)
      for (let n = 0; n < batch; n++) {
        const xn = n * g.inputSize
        const yn = n * g.outputSize
        for (let a = 0; a < KH; a++) {
          const [i0, i1] = rowsA[a]!
          if (i0 >= i1) continue
          for (let b = 0; b < KW; b++) {
            const [j0, j1] = colsB[b]!
            if (j0 >= j1) continue
            const t = a * KW + b
            const xBase = xn + (a * g.dilationHeight - g.padTop) * xh + (j0 * sw + b * g.dilationWidth - g.padLeft) * xw
            const yBase = yn + j0 * yw
            for (let k = 0; k < F; k++) {
              const xq = xBase + Math.floor(k / M) * xc
              const yq = yBase + k * yf
              let s = 0
              for (let i = i0; i < i1; i++) {
                let xp = xq + i * sh * xh
                let yp = yq + i * yh
                for (let j = j0; j < j1; j++, xp += sxw, yp += yw) s += x[xp]! * dy[yp]!
              }
              acc[t * F + k] = acc[t * F + k]! + s
            }
          }
        }
      }
      for (let k = 0; k < dw.length; k++) dw[k] = acc[k]!
    },
    dispose: () => {
      xs.clear()
      ys.clear()
      acc = new Float64Array(0)
    }
  }
}

/** Patch rows per GEMM block of the wasm filter gradient. */
export const GEMM_BLOCK_ROWS = 256

type DenseFn = (x: number, w: number, o: number, r0: number, r1: number, p0: number, p1: number, d: number) => void

/**
 * The wasm filter gradient: per group, `Pᵀ` (`kh·kw·Cg` rows of `Kc` patch rows) times `dy` (`Kc`
 * rows of `Fg`, in the Dense GEMM's panels of 8 columns) for each block of `Kc` patch rows, the
 * products summed into the `[kh·kw·Cg, Fg]` result by the GEMM's fused add. Memory (floats):
 * `[ Pᵀ block | dy panels | result ]`. `undefined` where WebAssembly is missing or refuses the module.
 */
const wasmGemmFilterGradient = (g: ConvGeometry): FilterGradient | undefined => {
  const api = wasmApi
  if (api === undefined) return undefined
  const { xc, xh, xw, yf, yh, yw } = layoutStrides(g)
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, outChannels: F, kernelHeight: KH, kernelWidth: KW } = g
  const Cg = g.inChannelsPerGroup
  const Fg = g.outChannelsPerGroup
  const G = g.groups
  const T = KH * KW
  const Mt = T * Cg
  const sh = g.strideHeight
  const sw = g.strideWidth
  const perSample = OH * OW
  const Kc = Math.min(GEMM_BLOCK_ROWS, perSample)
  const P = panelCount(Fg)
  const PF = panelFloats(Kc)
  const align = (n: number): number => Math.ceil(n / 16) * 16
  const ptAt = 0
  const pwAt = align(Mt * Kc)
  const poAt = align(pwAt + P * PF)
  const floats = align(poAt + Mt * Fg + 64)
  if (floats * 4 > 2 ** 31) return undefined
  let memory: WasmMemory
  let dense: DenseFn
  try {
    const code = denseCode({ K: Kc, N: Fg, tiling: denseTiling(Kc), ops: [{ kind: 'add' }], fma: HAS_RELAXED_SIMD })
    const module = new api.Module(encodeModule([{ name: 'dense', code }], { shared: false, initialPages: 0, maxPages: 65536 }))
    memory = new api.Memory({ initial: Math.ceil((floats * 4) / 65536), maximum: 65536 })
    dense = new api.Instance(module, { env: { memory } }).exports['dense'] as DenseFn
  } catch {
    return undefined
  }
  const heap = new Float32Array(memory.buffer)
  const rowsA = Array.from({ length: KH }, (_, a) => validRange(a, sh, g.dilationHeight, g.padTop, H, OH))
  const colsB = Array.from({ length: KW }, (_, b) => validRange(b, sw, g.dilationWidth, g.padLeft, W, OW))
  const sxw = sw * xw

  /**
   * Writes patch rows `[r0, r0 + kc)` of group `grp` as `Pᵀ` columns `[0, kc)` and as dy panel rows
   * `[0, kc)` (the rest of a short last block zero).
   */
  const gather = (x: FloatArray, dy: FloatArray, grp: number, r0: number, kc: number): void => {
    const cq0 = grp * Cg
    const fq0 = grp * Fg
    for (let r = r0; r < r0 + kc; ) {
      const n = Math.floor(r / perSample)
      const rem = r - n * perSample
      const i = Math.floor(rem / OW)
      const ja = rem - i * OW
      const jb = Math.min(OW, ja + (r0 + kc - r))
      const k0 = r - r0
      const xn = n * g.inputSize
      const yn = n * g.outputSize
      // Pᵀ: for each tap and channel, the run of columns ja … jb−1 of output row i
      for (let a = 0; a < KH; a++) {
        const [ia, ib] = rowsA[a]!
        const rowIn = i >= ia && i < ib
        const y = i * sh + a * g.dilationHeight - g.padTop
        for (let b = 0; b < KW; b++) {
          const [jc, jd] = colsB[b]!
          const lo = rowIn ? Math.min(jb, Math.max(ja, jc)) : jb
          const hi = rowIn ? Math.max(lo, Math.min(jb, jd)) : jb
          const t = a * KW + b
          for (let q = 0; q < Cg; q++) {
            const d = ptAt + (t * Cg + q) * Kc + k0 - ja
            for (let j = ja; j < lo; j++) heap[d + j] = 0
            if (hi > lo) {
              let s = xn + y * xh + (lo * sw + b * g.dilationWidth - g.padLeft) * xw + (cq0 + q) * xc
              for (let j = lo; j < hi; j++, s += sxw) heap[d + j] = x[s]!
            }
            for (let j = hi; j < jb; j++) heap[d + j] = 0
          }
        }
      }
      // dy panels: row k of panel p holds filters 8p … 8p+7
      for (let j = ja; j < jb; j++) {
        const s = yn + i * yh + j * yw + fq0 * yf
        const d = pwAt + 8 + (k0 + j - ja) * 8
        for (let f = 0; f < Fg; f++) heap[d + (f >> 3) * PF + (f & 7)] = dy[s + f * yf]!
      }
      r += jb - ja
    }
    if (kc < Kc) {
      for (let m = 0; m < Mt; m++) heap.fill(0, ptAt + m * Kc + kc, ptAt + (m + 1) * Kc)
      for (let p = 0; p < P; p++) heap.fill(0, pwAt + p * PF + 8 + kc * 8, pwAt + (p + 1) * PF)
    }
  }

  return {
    name: 'wasm-gemm',
    run: (batch, x, dy, dw, db) => {
      if (db !== undefined) biasGradient(g, batch, dy, db)
      const rows = batch * perSample
      // panel biases and padding lanes: zero (the gather writes only the Fg valid lanes)
      heap.fill(0, pwAt, pwAt + P * PF)
      for (let grp = 0; grp < G; grp++) {
        heap.fill(0, poAt, poAt + Mt * Fg)
        for (let r0 = 0; r0 < rows; r0 += Kc) {
          gather(x, dy, grp, r0, Math.min(Kc, rows - r0))
          dense(ptAt * 4, pwAt * 4, poAt * 4, 0, Mt, 0, P, 0)
        }
        for (let m = 0; m < Mt; m++) {
          const d = m * F + grp * Fg
          const s = poAt + m * Fg
          for (let f = 0; f < Fg; f++) dw[d + f] = heap[s + f]!
        }
      }
    },
    dispose: () => undefined
  }
}

// -------------------------------------------------------------------------------------
// filter gradient: direct WebAssembly SIMD kernel
// -------------------------------------------------------------------------------------

/** Filters per register tile of the direct kernel (four f32x4), and input channels per tile. */
const DIRECT_NF = 16
const DIRECT_MQ = 2
/** Taps up to which the direct kernel is generated (its code is unrolled over taps); larger windows run the GEMM. */
const DIRECT_MAX_TAPS = 64
/** The wasm memory the direct kernel may grow to (bytes: 32-bit addresses, less a page). */
const MAX_WASM_BYTES = 2 ** 32 - 65536

/**
 * The direct filter-gradient code of a geometry: `run(x, y, o, n0, n1, B)` (byte addresses) adds,
 * for samples `[n0, n1)`, every tap's `Σ_{i,j} x[n, i·sh + a·dh − pt, j·sw + b·dw − pl, q]·dy[n, i, j, f]`
 * into the HWIO result slot `(n0 / B)` at `o` (`slotBytes` apart), and Σ dy over the samples' rows (the
 * bias gradient) into the F floats after it. `x` is the input as the layer
 * holds it (NHWC or NCHW), `y` the output gradient in NHWC. Register tiles of 2 input channels × 16
 * filters (8 accumulators, 4 dy vectors, 2 broadcast inputs), loaded from the slot and stored back
 * around the tap's rows and columns that land inside the input (constant ranges per tap): one
 * reduction step per loop body, every stride a constant.
 */
export const directFilterCode = (g: ConvGeometry, fma: boolean, slotBytes: number): Code => {
  const biasAt = g.kernelHeight * g.kernelWidth * g.inChannelsPerGroup * g.outChannels * 4
  const { xc, xh, xw } = layoutStrides(g)
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, outChannels: F, kernelHeight: KH, kernelWidth: KW } = g
  const Cg = g.inChannelsPerGroup
  const Fg = g.outChannelsPerGroup
  const G = g.groups
  const c = new Code([I32, I32, I32, I32, I32, I32])
  // parameters: x, y, o, n0, n1, B
  const X = 0
  const Y = 1
  const O = 2
  const N0 = 3
  const N1 = 4
  const B = 5
  const i32 = (): number => c.local(I32)
  const v128 = (): number => c.local(V128)
  const n = i32(), xn = i32(), yn = i32(), slot = i32(), grp = i32(), xg = i32(), yg = i32(), q = i32(), qx = i32(), qo = i32()
  const fb = i32(), fo = i32(), ob = i32(), xp = i32(), yp = i32(), xq = i32(), yq = i32(), ci = i32(), cj = i32()
  const acc = Array.from({ length: DIRECT_MQ * (DIRECT_NF / 4) }, v128)
  const d = Array.from({ length: DIRECT_NF / 4 }, v128)
  const s = Array.from({ length: DIRECT_MQ }, v128)
  const inBytes = g.inputSize * 4
  const outBytes = g.outputSize * 4
  const F4 = F * 4

  /** One tile of `mq` channels × `nv` vectors of filters (the last with `lanes` valid) over one tap's rows. */
  const tile = (mq: number, nv: number, lanes: number, xOff: number, yOff: number, ni: number, nj: number): void => {
    const a = (r: number, v: number): number => acc[r * (DIRECT_NF / 4) + v] as number
    // ob = slot + this tile's first (tap, channel) row + group and block filters
    c.get(slot).get(qo).i32Add().get(yg).i32Add().get(fo).i32Add().set(ob)
    for (let r = 0; r < mq; r++) for (let v = 0; v < nv; v++) c.get(ob).v128Load(r * F4 + v * 16).set(a(r, v))
    // the block's samples: the tile's x and dy at sample n0, then one sample further per pass
    c.get(X).get(N0).i32(inBytes).i32Mul().i32Add().get(xg).i32Add().get(qx).i32Add().i32(xOff).i32Add().set(xn)
    c.get(Y).get(N0).i32(outBytes).i32Mul().i32Add().get(yg).i32Add().get(fo).i32Add().i32(yOff).i32Add().set(yn)
    c.get(N1).get(N0).i32Sub().set(n)
    c.loop()
    c.get(xn).set(xp).get(yn).set(yp)
    c.i32(ni).set(ci)
    c.loop()
    c.get(xp).set(xq).get(yp).set(yq).i32(nj).set(cj)
    c.loop()
    for (let v = 0; v < nv; v++) c.get(yq).v128Load(v * 16).set(d[v] as number)
    for (let r = 0; r < mq; r++) c.get(xq).v128Load32Splat(r * xc * 4).set(s[r] as number)
    for (let r = 0; r < mq; r++) {
      for (let v = 0; v < nv; v++) {
        const ac = a(r, v)
        if (fma) c.get(s[r] as number).get(d[v] as number).get(ac).f32x4RelaxedMadd().set(ac)
        else c.get(ac).get(s[r] as number).get(d[v] as number).f32x4Mul().f32x4Add().set(ac)
      }
    }
    c.addTo(xq, g.strideWidth * xw * 4)
    c.addTo(yq, F4)
    c.get(cj).i32(1).i32Sub().tee(cj).brIf(0)
    c.end()
    c.addTo(xp, g.strideHeight * xh * 4)
    c.addTo(yp, OW * F4)
    c.get(ci).i32(1).i32Sub().tee(ci).brIf(0)
    c.end()
    c.addTo(xn, inBytes)
    c.addTo(yn, outBytes)
    c.get(n).i32(1).i32Sub().tee(n).brIf(0)
    c.end()
    for (let r = 0; r < mq; r++) for (let v = 0; v < nv; v++) store(a(r, v), r * F4 + v * 16, v === nv - 1 ? lanes : 4)
  }

  /** The bias gradient's tile: `nv` vectors of filters from `fo` (the last with `lanes` valid), Σ over the block's rows. */
  const biasTile = (nv: number, lanes: number): void => {
    const a = (v: number): number => acc[v] as number
    c.get(slot).i32(biasAt).i32Add().get(fo).i32Add().set(ob)
    for (let v = 0; v < nv; v++) c.get(ob).v128Load(v * 16).set(a(v))
    c.get(Y).get(N0).i32(outBytes).i32Mul().i32Add().get(fo).i32Add().set(yq)
    c.get(N1).get(N0).i32Sub().i32(OH * OW).i32Mul().set(cj)
    c.loop()
    for (let v = 0; v < nv; v++) c.get(a(v)).get(yq).v128Load(v * 16).f32x4Add().set(a(v))
    c.addTo(yq, F4)
    c.get(cj).i32(1).i32Sub().tee(cj).brIf(0)
    c.end()
    for (let v = 0; v < nv; v++) store(a(v), v * 16, v === nv - 1 ? lanes : 4)
  }

  /** Stores the `lanes` first lanes of vector `a` at `ob + off`. */
  const store = (a: number, off: number, lanes: number): void => {
    if (lanes === 4) c.get(ob).get(a).v128Store(off)
    else {
      if (lanes >= 2) c.get(ob).get(a).v128Store64Lane(off, 0)
      if (lanes === 1) c.get(ob).get(a).v128Store32Lane(off, 0)
      if (lanes === 3) c.get(ob).get(a).v128Store32Lane(off + 8, 2)
    }
  }

  /** The filter blocks of `mq` channels (at `qx`, `qo`): full blocks of 16 in a loop, then the rest. */
  const filterBlocks = (mq: number, xOff: number, yOff: number, ni: number, nj: number): void => {
    const full = Math.floor(Fg / DIRECT_NF)
    const rest = Fg % DIRECT_NF
    c.i32(0).set(fo)
    if (full > 0) {
      c.i32(full).set(fb)
      c.loop()
      tile(mq, DIRECT_NF / 4, 4, xOff, yOff, ni, nj)
      c.addTo(fo, DIRECT_NF * 4)
      c.get(fb).i32(1).i32Sub().tee(fb).brIf(0)
      c.end()
    }
    if (rest > 0) tile(mq, Math.ceil(rest / 4), rest % 4 === 0 ? 4 : rest % 4, xOff, yOff, ni, nj)
  }

  c.get(N0).get(N1).i32GeS().if_().return_().end()
  c.get(O).get(N0).get(B).i32DivU().i32(slotBytes).i32Mul().i32Add().set(slot)
  for (let a = 0; a < KH; a++) {
    const [i0, i1] = validRange(a, g.strideHeight, g.dilationHeight, g.padTop, H, OH)
    if (i0 >= i1) continue
    for (let b = 0; b < KW; b++) {
      const [j0, j1] = validRange(b, g.strideWidth, g.dilationWidth, g.padLeft, W, OW)
      if (j0 >= j1) continue
      const t = a * KW + b
      const xOff = ((i0 * g.strideHeight + a * g.dilationHeight - g.padTop) * xh + (j0 * g.strideWidth + b * g.dilationWidth - g.padLeft) * xw) * 4
      const yOff = (i0 * OW + j0) * F4
      // groups: x channels from grp·Cg (xg bytes), filters from grp·Fg (yg bytes, in dy and in the slot alike)
      c.i32(0).set(xg).i32(0).set(yg).i32(G).set(grp)
      c.loop()
      c.i32(0).set(qx).i32(t * Cg * F4).set(qo)
      const pairs = Math.floor(Cg / DIRECT_MQ)
      if (pairs > 0) {
        c.i32(pairs).set(q)
        c.loop()
        filterBlocks(DIRECT_MQ, xOff, yOff, i1 - i0, j1 - j0)
        c.addTo(qx, DIRECT_MQ * xc * 4)
        c.addTo(qo, DIRECT_MQ * F4)
        c.get(q).i32(1).i32Sub().tee(q).brIf(0)
        c.end()
      }
      if (Cg % DIRECT_MQ !== 0) filterBlocks(1, xOff, yOff, i1 - i0, j1 - j0)
      c.addTo(xg, Cg * xc * 4)
      c.addTo(yg, Fg * 4)
      c.get(grp).i32(1).i32Sub().tee(grp).brIf(0)
      c.end()
    }
  }
  // the bias gradient of the block: Σ dy over its rows, blocks of 16 filters, then the rest
  c.i32(0).set(fo)
  if (F >= DIRECT_NF) {
    c.i32(Math.floor(F / DIRECT_NF)).set(fb)
    c.loop()
    biasTile(DIRECT_NF / 4, 4)
    c.addTo(fo, DIRECT_NF * 4)
    c.get(fb).i32(1).i32Sub().tee(fb).brIf(0)
    c.end()
  }
  if (F % DIRECT_NF !== 0) biasTile(Math.ceil((F % DIRECT_NF) / 4), F % 4 === 0 ? 4 : F % 4)
  return c
}

/**
 * The direct wasm filter gradient ({@link directFilterCode}): x and dy (NHWC) copied into wasm
 * memory, the batch in blocks of `B = ⌈batch / 16⌉` samples, each block summed into a slot of its
 * own, the slots added in block order in float64. A call of at least THREAD_MIN_MACS multiply-adds
 * with `threads > 1` shares the blocks with worker threads (threads.ts); the blocks, and so the
 * result, are the same bit for bit whichever thread takes them.
 */
const wasmDirectFilterGradient = (g: ConvGeometry, threads: number, parallelMinMacs: number): FilterGradient | undefined => {
  const api = wasmApi
  if (api === undefined || g.kernelHeight * g.kernelWidth > DIRECT_MAX_TAPS) return undefined
  const T = g.kernelHeight * g.kernelWidth
  const size = T * g.inChannelsPerGroup * g.outChannels
  const align = (k: number): number => Math.ceil(k / 16) * 16
  // a slot: the block's kernel gradient (HWIO), then its bias gradient
  const slotFloats = align(size + g.outChannels)
  const shared = threads > 1 && THREADS_AVAILABLE && HAS_SHARED_MEMORY
  let memory: WasmMemory
  let run: (x: number, y: number, o: number, n0: number, n1: number, b: number) => void
  let module: WasmModule
  try {
    module = new api.Module(encodeModule([{ name: 'run', code: directFilterCode(g, HAS_RELAXED_SIMD, slotFloats * 4) }], { shared, initialPages: 0, maxPages: 65536 }))
    memory = new api.Memory(shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1, maximum: 65536 })
    run = new api.Instance(module, { env: { memory } }).exports['run'] as typeof run
  } catch {
    return undefined
  }
  let threaded: ThreadedModule | undefined
  let twin: FilterGradient | undefined
  let heap = new Float32Array(memory.buffer)
  const cf = g.dataFormat === 'channels_first'
  const F = g.outChannels
  const P = g.outHeight * g.outWidth
  return {
    name: 'wasm-direct',
    run: (batch, x, dy, dw, db) => {
      const B = Math.max(1, Math.ceil(batch / 16))
      const blocks = Math.ceil(batch / B)
      const xAt = 0
      const yAt = align(batch * g.inputSize)
      const oAt = align(yAt + batch * g.outputSize + 16)
      const end = oAt + blocks * slotFloats + 16
      if (end * 4 > MAX_WASM_BYTES) {
        // a batch beyond 32-bit wasm memory: the JS kernel
        twin ??= jsFilterGradient(g)
        twin.run(batch, x, dy, dw, db)
        return
      }
      const have = memory.buffer.byteLength
      if (end * 4 > have) memory.grow(Math.ceil((end * 4 - have) / 65536))
      if (heap.buffer !== memory.buffer || heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer)
      const h = heap
      const copyIn = (): void => {
        h.set(x, xAt)
        if (!cf) h.set(dy, yAt)
        else {
          // NCHW → NHWC
          for (let n = 0; n < batch; n++) {
            for (let f = 0; f < F; f++) {
              const s0 = (n * F + f) * P
              let d = yAt + n * P * F + f
              for (let p = 0; p < P; p++, d += F) h[d] = dy[s0 + p]!
            }
          }
        }
        h.fill(0, oAt, oAt + blocks * slotFloats)
      }
      if (shared && blocks >= 2 && batch * g.macsPerSample >= parallelMinMacs) {
        threaded ??= new ThreadedModule(module, memory, threads - 1, { header: 'own', collect: true })
        const starts = Array.from({ length: blocks + 1 }, (_, k) => Math.min(batch, k * B))
        threaded.runJob(
          { x: xAt * 4, w: yAt * 4, o: oAt * 4, stage: 0, pads: 0, padChunk: 1, padUnits: 0, starts, scratch: B, scratchBytes: 0 },
          { copyIn, pad: () => undefined, run: (u0, u1) => run(xAt * 4, yAt * 4, oAt * 4, u0, u1, B), copyOut: () => undefined }
        )
      } else {
        copyIn()
        for (let k = 0; k < blocks; k++) run(xAt * 4, yAt * 4, oAt * 4, k * B, Math.min(batch, (k + 1) * B), B)
      }
      for (let e = 0; e < size; e++) {
        let s = 0
        for (let k = 0; k < blocks; k++) s += h[oAt + k * slotFloats + e]!
        dw[e] = s
      }
      if (db !== undefined) {
        for (let f = 0; f < F; f++) {
          let s = 0
          for (let k = 0; k < blocks; k++) s += h[oAt + k * slotFloats + size + f]!
          db[f] = s
        }
      }
    },
    dispose: () => {
      threaded?.dispose()
      threaded = undefined
      twin?.dispose()
    }
  }
}

// -------------------------------------------------------------------------------------
// bias gradient
// -------------------------------------------------------------------------------------

/** Writes Σ dy per output channel (summed in float64) into `db`. */
const biasGradient = (g: ConvGeometry, batch: number, dy: FloatArray, db: FloatArray): void => {
  const F = g.outChannels
  const acc = new Float64Array(F)
  const pixels = g.outHeight * g.outWidth
  if (g.dataFormat === 'channels_first') {
    for (let n = 0; n < batch; n++) {
      for (let f = 0; f < F; f++) {
        const s0 = (n * F + f) * pixels
        let s = 0
        for (let p = 0; p < pixels; p++) s += dy[s0 + p]!
        acc[f] = acc[f]! + s
      }
    }
  } else {
    // per filter over blocks of 64 rows (a scalar sum in a register), then into the total
    const rows = batch * pixels
    for (let r0 = 0; r0 < rows; r0 += 64) {
      const r1 = Math.min(rows, r0 + 64)
      for (let f = 0; f < F; f++) {
        let s = 0
        for (let r = r0; r < r1; r++) s += dy[r * F + f]!
        acc[f] = acc[f]! + s
      }
    }
  }
  db.set(acc)
}
