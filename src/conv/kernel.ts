/**
 * `compileConvNd`: the fast kernels of the whole convolution family — forward (grouped) and
 * depthwise convolutions of rank 1, 2 and 3, and transposed convolutions of rank 1, 2 and 3, in both
 * data formats — as views of one 2-D convolution (a strided transposed layer: one per phase) run by
 * the existing 2-D kernels (src/kernel: WebAssembly SIMD tiled / pointwise / depthwise / Winograd, or
 * their plain-TS twins; threads where they use them). What each kind and rank becomes:
 *
 * - **Rank 1** (`[N, L, C]` / `[N, C, L]`): the 2-D convolution of a height-1 image
 *   (`[N, 1, L, C]` / `[N, C, 1, L]`, the same data) with the kernel `[1, k, C/G, F]` (the same
 *   data); `causal` is the left pad `d·(k−1)` the geometry already holds.
 * - **Rank 2**: the 2-D convolution itself.
 * - **Depthwise**: the grouped convolution with `G = C`: its kernel `[...k, C, M]` is the grouped
 *   kernel `[...k, 1, C·M]` unchanged (output channel `c·M + m` reads input channel `c`); M = 1 runs
 *   the 2-D depthwise kernels, M > 1 the grouped tiled ones. (Repeating each input channel M times
 *   to run the depthwise kernels on `C·M` channels was measured slower: DepthwiseConv1D k5 m2
 *   1024×64 ×8, 4.4 ms against 1.6 ms; DepthwiseConv2D k3 m2 s2 64×64×32 ×4, 3.9 against 0.8 ms.)
 * - **Rank 3** (depth folded into channels): output depth `od` reads the input depth slices
 *   `od·s + td·d − before` (`td < Kd`, zero outside); laid side by side as `Kd·C` channels of one
 *   `H × W` image (channel order (group, td, q), so groups stay contiguous), they make one 2-D
 *   convolution over a batch of `N·Do` images with the kernel `[kh, kw, Kd·C/G, F]`,
 *   `W'[a, b, td·C/G + q, f] = K[td, a, b, q, f]`. The folded input is a gather of the input into a
 *   buffer kept between calls (grown to the largest batch): out-of-range slices are zeros written once,
 *   the others are rewritten by every call. A layer with `Kd = 1`, depth stride 1 and no depth padding
 *   in channels_last needs no fold: its input already is `N·D` images.
 * - **Transposed with strides** (any rank; the default): by phases. Along an axis of stride `s > 1`
 *   (dilation 1: Keras rejects strides > 1 with dilation > 1), the outputs `j = q·s + r − crop` of one
 *   residue `r` read only the taps `t = r + m·s`: `y[j] = Σ_m x[q − m]·K[r + m·s]`, a forward
 *   convolution of x itself with those taps reversed (`⌈(k − r)/s⌉` of them; none: bias only), with
 *   its in/out channel axes swapped. One forward convolution per combination of residues (`Πs` of
 *   them; an axis of stride 1 is one phase with all its taps and its dilation), each compiled as
 *   above (rank 3 folded), each placed into the output by a strided copy. `1/Πs` of the multiply-adds
 *   of the spread input below, and no zeros copied (measured: Conv2DTranspose k4 s2 16×16×64→32 ×4,
 *   1.95 ms against 5.66 ms spread; k3 s2 32×32×32→16 ×2, 0.87 against 1.29 ms).
 * - **Transposed, spread** (strides with dilation, or `transposed: 'spread'`; and every transposed layer
 *   without strides): `y` is the `valid`, stride-1, dilation-`d` convolution of `Z` with the
 *   kernel rotated in space and its last two axes swapped, `W'[t, c, f] = K[k−1−t, f, c]`, where per
 *   axis `Z` has length `out + d·(k−1)` and `Z[i·s + d·(k−1) − crop] = x[i]` (zeros elsewhere;
 *   positions outside Z only reach outputs outside `[0, out)`; family §2, §7: with
 *   `p = i·s + d·(k−1) − crop`, output `j` reads `Z[j + (k−1−t)·d]`, i.e. `j + crop = i·s + t·d`,
 *   the scatter rule). An axis of stride 1 needs no spreading: its `Z` is the input padded with
 *   `d·(k−1) − crop` before and `out − n + crop` after (both ≥ 0), which the 2-D kernels pad
 *   themselves; only axes of stride > 1 are spread into a zero buffer (kept between calls: a call
 *   rewrites only the input's positions). Rank 3 transposed layers fold the depth taps of `Z` as above
 *   (straight from the input: `Z` is never materialized in 3-D).
 * - **channels_first**: ranks 1-2 run the 2-D kernels' NCHW support (the WebAssembly tiled kernel
 *   reads NCHW as it is; the others transpose on their way in and out); rank 3 gathers the fold from
 *   NCDHW and transposes the NDHWC result into the output.
 *
 * Bias is fused by the fast 2-D kernels (added here for the `direct` kernel, which the 2-D selection
 * takes for a padding out of all proportion to the layer); the activation is the caller's (linear
 * here). float64 runs the plain-TS kernels (sums in float64); float32 runs WebAssembly SIMD where the
 * runtime validates it (sums in float32), plain TS otherwise or when asked.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { ConvGeometry } from '../geometry/ConvGeometry.js'
import type { ConvNdGeometry } from '../geometry/ConvNdGeometry.js'
import type { PreparedKernel } from '../kernel/ConvKernel.js'
import { prepareKernel, selectKernel } from '../kernel/prepare.js'
import { THREADS_AVAILABLE } from '../kernel/threads.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import { conv2dGeometry, forwardNdGeometry } from './kernelGeometry.js'
import {
  addChannelBias,
  channelsLastToFirst,
  copyBlock,
  foldDepthKernel,
  phaseKernel,
  placePhase,
  rotateTransposedKernel,
  type BlockStrides,
  type PhaseAxis
} from './kernelLayout.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of {@link compileConvNd}.
 * @category model
 */
export interface ConvNdKernelOptions {
  /** The dtype of inputs, weights and outputs (default float32). float64 always runs the plain-TS kernels. */
  readonly dtype?: FloatDType
  /** `wasm` (WebAssembly SIMD where it validates, float32), `js`, or `auto` (default: wasm where it runs). */
  readonly backend?: 'js' | 'wasm' | 'auto'
  /** Threads a large call may be split over (default 1; 1 where worker threads are missing). */
  readonly threads?: number
  /** Multiply-adds from which a call is split over threads (default: the 2-D kernels'; tests use 0). */
  readonly parallelMinMacs?: number
  /** With threads: whether a call large enough to split does, asked per call (a model's decision; default: each 2-D kernel's own policy). */
  readonly split?: () => boolean
  /**
   * How a transposed convolution with strides runs (tests and benchmarks): `phases` (default) or
   * `spread` (the convolution of the zero-spread input). Layers phases do not apply to run `spread`.
   */
  readonly transposed?: 'phases' | 'spread'
}

/**
 * A family layer's convolution compiled for one geometry. `run(batch, x, kernel, bias, out)` writes
 * `[batch, ...g.outputShape]` (every element) into `out`: the convolution plus the bias (`[F]`, or
 * `undefined` for none), linear activation. `x` is `[batch, ...g.inputShape]`, `kernel` is Keras's
 * layout `g.kernelShape` (conv `[...k, C/G, F]`, depthwise `[...k, C, M]`, transpose `[...k, F, C]`),
 * all row-major arrays of the dtype. Writes nothing it is given besides `out`; rewritten kernels are
 * cached per kernel array (params are values: pass a new array to change weights). Throws a
 * `RangeError` for arrays of the wrong length. `dispose` releases scratch and threads (it keeps
 * working).
 * @category model
 */
export interface CompiledConvNd {
  /** The decomposition and the 2-D kernel, e.g. `rank3-fold(Kd=3) wasm-tiled`. */
  readonly name: string
  readonly run: (batch: number, x: FloatArray, kernel: FloatArray, bias: FloatArray | undefined, out: FloatArray) => void
  readonly dispose: () => void
}

// -------------------------------------------------------------------------------------
// axis maps
// -------------------------------------------------------------------------------------

/**
 * How one spatial axis of the layer maps onto the input axis of its 2-D convolution: input element
 * `i` (for `i0 ≤ i < i1`) sits at view position `i·step + offset` of a view axis of length `len`,
 * which the 2-D convolution pads by `before` / `after` and reads with `stride`, `dilation`, `k`
 * taps, giving `out` outputs. Forward kinds: the identity (`step` 1, `offset` 0) with the layer's
 * stride and padding. Transposed, stride 1: the identity padded by `d·(k−1) − crop` / `out − n + crop`,
 * stride 1. Transposed, stride > 1: `Z` (`step` = s, `offset` = `d·(k−1) − crop`), unpadded.
 */
interface AxisMap {
  readonly n: number
  readonly len: number
  readonly step: number
  readonly offset: number
  readonly i0: number
  readonly i1: number
  readonly k: number
  readonly stride: number
  readonly dilation: number
  readonly before: number
  readonly after: number
  readonly out: number
}

/** The trivial axis rank 1 adds (a height of 1). */
const UNIT_AXIS: AxisMap = { n: 1, len: 1, step: 1, offset: 0, i0: 0, i1: 1, k: 1, stride: 1, dilation: 1, before: 0, after: 0, out: 1 }

const axisMap = (g: ConvNdGeometry, a: number): AxisMap => {
  const n = g.inSpatial[a]!
  const k = g.kernelSize[a]!
  const s = g.strides[a]!
  const d = g.dilationRate[a]!
  const out = g.outSpatial[a]!
  const identity = { n, len: n, step: 1, offset: 0, i0: 0, i1: n, k, dilation: d, out }
  if (g.kind !== 'transpose') return { ...identity, stride: s, before: g.padBefore[a]!, after: g.padAfter[a]! }
  const span = d * (k - 1)
  const crop = g.crop[a]!
  const before = span - crop
  const after = out + span - n - before
  if (s === 1 && before >= 0 && after >= 0) return { ...identity, stride: 1, before, after }
  const len = out + span
  const offset = span - crop
  const i0 = Math.min(n, Math.max(0, Math.ceil(-offset / s)))
  const i1 = Math.max(i0, Math.min(n, Math.floor((len - 1 - offset) / s) + 1))
  return { n, len, step: s, offset, i0, i1, k, stride: 1, dilation: d, before: 0, after: 0, out }
}

/** Whether the view axis is the input axis itself (no spreading). */
const isIdentity = (m: AxisMap): boolean => m.step === 1 && m.offset === 0 && m.len === m.n

/**
 * The input element a view position `od·stride + td·dilation − before` holds, or −1 (a zero: padding
 * or a spread gap).
 */
const sourceOf = (m: AxisMap, od: number, td: number): number => {
  const u = od * m.stride + td * m.dilation - m.before - m.offset
  if (u < 0 || u % m.step !== 0) return -1
  const i = u / m.step
  return i >= m.i0 && i < m.i1 ? i : -1
}

// -------------------------------------------------------------------------------------
// plans
// -------------------------------------------------------------------------------------

/** A layer as one 2-D convolution: its geometry, and how its input, kernel and output are made. */
interface Plan {
  /** The decomposition, for `name`. */
  readonly what: string
  readonly g2: ConvGeometry
  /** 2-D samples per layer sample (the folded depth, or 1). */
  readonly samples: number
  /** The 2-D input of a batch (`x` itself, or a buffer this plan owns). */
  readonly input: (batch: number, x: FloatArray) => FloatArray
  /** The 2-D HWIO kernel of a layer kernel (the same array when the data already is one). */
  readonly kernel: (K: FloatArray) => FloatArray
  /** Whether the 2-D output is channels_last and must be transposed into a channels_first output. */
  readonly transposeOut: boolean
  readonly dispose: () => void
}

/** A zero-filled buffer of `perSample` elements per sample, grown to the largest batch seen (zeros written once). */
const sampleBuffer = (dtype: FloatDType, perSample: number) => {
  let buf = allocate(dtype, 0)
  let batch = 0
  return {
    /** The first `n` samples of the buffer (zeros except where a caller wrote). */
    get: (n: number): FloatArray => {
      if (n > batch) {
        if (n * perSample > 2 ** 31 - 1) throw new RangeError(`compileConvNd: a batch of ${n} needs a scratch of ${n * perSample} values, more than a typed array can hold; split the batch`)
        buf = allocate(dtype, n * perSample)
        batch = n
      }
      return buf.subarray(0, n * perSample)
    },
    clear: (): void => {
      buf = allocate(dtype, 0)
      batch = 0
    }
  }
}

/** The strides of a `[rows, cols, C]` (channels_last) or `[C, rows, cols]` (channels_first) sample. */
const planeStrides = (channelsFirst: boolean, rows: number, cols: number, C: number): BlockStrides =>
  channelsFirst ? { channel: rows * cols, row: cols, col: 1 } : { channel: 1, row: cols * C, col: C }

/** A cache of rewritten kernels, keyed (weakly) on the caller's kernel array. */
const kernelCache = (rewrite: (K: FloatArray) => FloatArray) => {
  let map = new WeakMap<FloatArray, FloatArray>()
  return {
    get: (K: FloatArray): FloatArray => {
      const hit = map.get(K)
      if (hit !== undefined) return hit
      const w = rewrite(K)
      map.set(K, w)
      return w
    },
    clear: (): void => {
      map = new WeakMap()
    }
  }
}

/** The view's channel structure: input channels, groups, output channels. */
interface Channels {
  readonly C: number
  readonly G: number
  readonly F: number
}

const channelsOf = (g: ConvNdGeometry): Channels =>
  g.kind === 'transpose' ? { C: g.inChannels, G: 1, F: g.outChannels } : { C: g.inChannels, G: g.groups, F: g.outChannels }

const checkOutput = (g: ConvNdGeometry, g2: ConvGeometry, expected: ReadonlyArray<number>): ConvGeometry => {
  const got = [g2.outHeight, g2.outWidth]
  if (got[0] !== expected[0] || got[1] !== expected[1]) {
    throw new Error(`compileConvNd: internal error: the 2-D view of ${g.kind} rank ${g.rank} gives ${got.join('×')} outputs, expected ${expected.join('×')}`)
  }
  return g2
}

/** Ranks 1 and 2: the 2-D convolution in the layer's data format (input spread into Z where an axis needs it). */
const planar = (g: ConvNdGeometry, dtype: FloatDType): Plan => {
  const cf = g.dataFormat === 'channels_first'
  const [h, w] = g.rank === 1 ? [UNIT_AXIS, axisMap(g, 0)] : [axisMap(g, 0), axisMap(g, 1)]
  const { C, G, F } = channelsOf(g)
  const g2 = checkOutput(
    g,
    conv2dGeometry({
      dataFormat: g.dataFormat,
      inHeight: h.len,
      inWidth: w.len,
      inChannels: C,
      outChannels: F,
      groups: G,
      kernelHeight: h.k,
      kernelWidth: w.k,
      strideHeight: h.stride,
      strideWidth: w.stride,
      dilationHeight: h.dilation,
      dilationWidth: w.dilation,
      padTop: h.before,
      padBottom: h.after,
      padLeft: w.before,
      padRight: w.after
    }),
    [h.out, w.out]
  )
  const kernels = kernelCache((K) => rotateTransposedKernel(K, g.kernelSize, F, C))
  const kernel = g.kind === 'transpose' ? kernels.get : (K: FloatArray) => K
  const spread = !isIdentity(h) || !isIdentity(w)
  const rankName = `rank${g.rank}`
  if (!spread) {
    const what = g.kind === 'transpose' ? `${rankName}-transpose(padded)` : g.rank === 1 ? 'rank1-row' : 'rank2'
    return { what, g2, samples: 1, input: (_batch, x) => x, kernel, transposeOut: false, dispose: kernels.clear }
  }
  // transposed with a stride > 1: x spread into Z (the layer's data format), zeros kept between calls
  const z = sampleBuffer(dtype, g2.inputSize)
  const src = planeStrides(cf, h.n, w.n, C)
  const zs = planeStrides(cf, h.len, w.len, C)
  const dst: BlockStrides = { channel: zs.channel, row: zs.row * h.step, col: zs.col * w.step }
  const first = (h.offset + h.i0 * h.step) * zs.row + (w.offset + w.i0 * w.step) * zs.col
  return {
    what: `${rankName}-transpose(spread)`,
    g2,
    samples: 1,
    input: (batch, x) => {
      const buf = z.get(batch)
      for (let n = 0; n < batch; n++) {
        const s0 = n * g.inputSize + h.i0 * src.row + w.i0 * src.col
        copyBlock(x, s0, src, buf, n * g2.inputSize + first, dst, h.i1 - h.i0, w.i1 - w.i0, C)
      }
      return buf
    },
    kernel,
    transposeOut: false,
    dispose: () => {
      z.clear()
      kernels.clear()
    }
  }
}

/** Rank 3: the depth taps folded into channels (or, when the depth axis is the identity in channels_last, the input as `N·D` images). */
const folded = (g: ConvNdGeometry, dtype: FloatDType): Plan => {
  const cf = g.dataFormat === 'channels_first'
  const [dm, h, w] = [axisMap(g, 0), axisMap(g, 1), axisMap(g, 2)]
  const { C, G, F } = channelsOf(g)
  const Kd = dm.k
  const Do = dm.out
  const Cg = C / G
  const g2 = checkOutput(
    g,
    conv2dGeometry({
      dataFormat: 'channels_last',
      inHeight: h.len,
      inWidth: w.len,
      inChannels: Kd * C,
      outChannels: F,
      groups: G,
      kernelHeight: h.k,
      kernelWidth: w.k,
      strideHeight: h.stride,
      strideWidth: w.stride,
      dilationHeight: h.dilation,
      dilationWidth: w.dilation,
      padTop: h.before,
      padBottom: h.after,
      padLeft: w.before,
      padRight: w.after
    }),
    [h.out, w.out]
  )
  const [kd, kh, kw] = g.kernelSize as [number, number, number]
  const rewrite = (K: FloatArray): FloatArray => {
    const k1 = g.kind === 'transpose' ? rotateTransposedKernel(K, g.kernelSize, F, C) : K
    return Kd === 1 ? k1 : foldDepthKernel(k1, kd, kh, kw, Cg, F)
  }
  const kernels = kernelCache(rewrite)
  const kernel = g.kind !== 'transpose' && Kd === 1 ? (K: FloatArray) => K : kernels.get
  const depthIdentity = Kd === 1 && dm.stride === 1 && isIdentity(dm) && dm.before === 0 && Do === dm.n
  if (depthIdentity && !cf && isIdentity(h) && isIdentity(w)) {
    return { what: 'rank3-slices', g2, samples: Do, input: (_batch, x) => x, kernel, transposeOut: false, dispose: kernels.clear }
  }
  // the fold: sample (n, od) of the 2-D input is [Hv, Wv, Kd·C], channel (grp·Kd + td)·Cg + q = depth
  // tap td of input channel grp·Cg + q; input depth slices land spread by (h.step, w.step) from (h.offset, w.offset)
  const buf = sampleBuffer(dtype, Do * g2.inputSize)
  const D = dm.n
  const [H, W] = [h.n, w.n]
  const KC = Kd * C
  // strides of one depth slice of x (without its sample / depth offset)
  const src: BlockStrides = cf ? { channel: D * H * W, row: W, col: 1 } : { channel: 1, row: W * C, col: C }
  const srcDepth = cf ? H * W : H * W * C
  const dst: BlockStrides = { channel: 1, row: w.len * KC * h.step, col: KC * w.step }
  const first = (h.offset + h.i0 * h.step) * w.len * KC + (w.offset + w.i0 * w.step) * KC
  const rows = h.i1 - h.i0
  const cols = w.i1 - w.i0
  const srcFirst = h.i0 * src.row + w.i0 * src.col
  // the (od, td) slots that read an input slice (the others stay zero), computed once
  const slots: Array<readonly [number, number, number]> = []
  for (let od = 0; od < Do; od++) {
    for (let td = 0; td < Kd; td++) {
      const id = sourceOf(dm, od, td)
      if (id >= 0) slots.push([od, td, id])
    }
  }
  return {
    what: `rank3-fold(Kd=${Kd})${g.kind === 'transpose' ? '-transpose' : ''}`,
    g2,
    samples: Do,
    input: (batch, x) => {
      const out = buf.get(batch)
      for (let n = 0; n < batch; n++) {
        for (const [od, td, id] of slots) {
          const s0 = n * g.inputSize + id * srcDepth + srcFirst
          const d0 = (n * Do + od) * g2.inputSize + first
          if (G === 1) copyBlock(x, s0, src, out, d0 + td * C, dst, rows, cols, C)
          else if (Cg === 1) copyBlock(x, s0, src, out, d0 + td, { ...dst, channel: Kd }, rows, cols, C)
          else {
            for (let grp = 0; grp < G; grp++) copyBlock(x, s0 + grp * Cg * src.channel, src, out, d0 + (grp * Kd + td) * Cg, dst, rows, cols, Cg)
          }
        }
      }
      return out
    },
    kernel,
    transposeOut: cf,
    dispose: () => {
      buf.clear()
      kernels.clear()
    }
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Checks a call's arrays against the geometry (a `RangeError` naming expected vs found). */
const checkCall = (g: ConvNdGeometry, batch: number, x: FloatArray, kernel: FloatArray, bias: FloatArray | undefined, out: FloatArray): void => {
  const kernelLength = g.kernelShape.reduce((a, b) => a * b, 1)
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`compileConvNd: expected a positive integer batch, got ${batch}`)
  if (x.length !== batch * g.inputSize) throw new RangeError(`compileConvNd: expected an input of ${batch * g.inputSize} values (batch ${batch}), got ${x.length}`)
  if (kernel.length !== kernelLength) throw new RangeError(`compileConvNd: expected a kernel of ${kernelLength} values [${g.kernelShape.join(', ')}], got ${kernel.length}`)
  if (bias !== undefined && bias.length !== g.outChannels) throw new RangeError(`compileConvNd: expected a bias of ${g.outChannels} values, got ${bias.length}`)
  if (out.length !== batch * g.outputSize) throw new RangeError(`compileConvNd: expected an output of ${batch * g.outputSize} values (batch ${batch}), got ${out.length}`)
}

/** A layer as one 2-D convolution (a {@link Plan}) on the 2-D kernel the 2-D selection picks. */
const compilePlan = (g: ConvNdGeometry, options: ConvNdKernelOptions): CompiledConvNd => {
  const dtype: FloatDType = options.dtype ?? 'float32'
  const threads = THREADS_AVAILABLE ? Math.max(1, Math.floor(options.threads ?? 1)) : 1
  const plan = g.rank === 3 ? folded(g, dtype) : planar(g, dtype)
  const g2 = plan.g2
  const prepared: PreparedKernel = prepareKernel(selectKernel(g2, dtype, options.backend ?? 'auto'), g2, {
    dtype,
    activation: 'linear',
    threads,
    ...(options.parallelMinMacs === undefined ? {} : { parallelMinMacs: options.parallelMinMacs }),
    ...(options.split === undefined ? {} : { split: options.split })
  })
  const F = g.outChannels
  const P = g.outputSize / F
  const staging = sampleBuffer(dtype, g.outputSize)
  return {
    name: `${plan.what} ${prepared.name}`,
    run: (batch, x, kernel, bias, out) => {
      checkCall(g, batch, x, kernel, bias, out)
      const x2 = plan.input(batch, x)
      const dst = plan.transposeOut ? staging.get(batch) : out
      prepared.run({ kernel: plan.kernel(kernel), bias }, batch * plan.samples, x2, dst)
      if (!prepared.fusesBias && bias !== undefined) addChannelBias(dst, batch, P, F, g2.dataFormat === 'channels_first', bias)
      if (plan.transposeOut) channelsLastToFirst(dst, out, batch, P, F)
    },
    dispose: () => {
      prepared.dispose()
      plan.dispose()
      staging.clear()
    }
  }
}

// -------------------------------------------------------------------------------------
// transposed convolutions by phases
// -------------------------------------------------------------------------------------

/**
 * One phase `r` of one axis of a transposed convolution: the outputs `j = q·s + r − crop`
 * (`q0 ≤ q < q1`) read only the taps `t = r + m·s` (`m < kr`), `y[j] = Σ_m x[q − m·d]·K[r + m·s]`,
 * a forward convolution of x with the reversed taps, padded by `before` / `after`, whose output `o`
 * is `q = o + qs` (`qs ≤ q0`: a phase that would need a negative pad computes a few outputs more,
 * which are skipped). `kr = 0`: no tap reaches these outputs (bias only).
 */
interface PhaseOfAxis {
  readonly r: number
  readonly kr: number
  readonly dilation: number
  readonly before: number
  readonly after: number
  readonly place: PhaseAxis
}

const phasesOfAxis = (g: ConvNdGeometry, a: number): ReadonlyArray<PhaseOfAxis> => {
  const n = g.inSpatial[a]!
  const k = g.kernelSize[a]!
  const s = g.strides[a]!
  const d = s > 1 ? 1 : g.dilationRate[a]!
  const crop = g.crop[a]!
  const out = g.outSpatial[a]!
  return Array.from({ length: s }, (_, r): PhaseOfAxis => {
    const kr = s > 1 ? Math.max(0, Math.ceil((k - r) / s)) : k
    const q0 = Math.ceil((crop - r) / s)
    const q1 = Math.floor((out - 1 + crop - r) / s) + 1
    const count = Math.max(0, q1 - q0)
    const qs = kr > 0 ? Math.min(q0, (kr - 1) * d) : q0
    const before = kr > 0 ? (kr - 1) * d - qs : 0
    const after = Math.max(0, q1 - n)
    return { r, kr, dilation: d, before, after, place: { srcLen: n - qs + after, skip: q0 - qs, count, dstLen: out, first: q0 * s + r - crop, step: s } }
  })
}

/** Whether a transposed geometry splits into phases: some stride > 1, dilation 1 on every strided axis (always so in Keras, which rejects strides > 1 with dilation > 1). */
const phasesApply = (g: ConvNdGeometry): boolean =>
  g.kind === 'transpose' && g.strides.some((s) => s > 1) && g.strides.every((s, a) => s === 1 || g.dilationRate[a] === 1)

const UNIT_PLACE: PhaseAxis = { srcLen: 1, skip: 0, count: 1, dstLen: 1, first: 0, step: 1 }

/**
 * A transposed convolution with strides as `Πs` forward convolutions of x, one per phase (output
 * positions of one residue per axis), each with its taps of the kernel, placed into the output by
 * strided copies: `1/Πs` of the spread input's multiply-adds, on the input itself.
 */
const compilePhases = (g: ConvNdGeometry, options: ConvNdKernelOptions): CompiledConvNd => {
  const dtype: FloatDType = options.dtype ?? 'float32'
  const cf = g.dataFormat === 'channels_first'
  const C = g.inChannels
  const F = g.outChannels
  const perAxis = g.kernelSize.map((_, a) => phasesOfAxis(g, a))
  // every combination of one phase per axis
  const combos = perAxis.reduce<ReadonlyArray<ReadonlyArray<PhaseOfAxis>>>((acc, ps) => acc.flatMap((c) => ps.map((p) => [...c, p])), [[]])
  const phases = combos
    .filter((ps) => ps.every((p) => p.place.count > 0))
    .map((ps) => {
      const lead = Array.from({ length: 3 - g.rank }, () => UNIT_PLACE)
      const place = [...lead, ...ps.map((p) => p.place)] as unknown as readonly [PhaseAxis, PhaseAxis, PhaseAxis]
      if (ps.some((p) => p.kr === 0)) return { place, conv: undefined }
      const pg = forwardNdGeometry({
        rank: g.rank,
        dataFormat: g.dataFormat,
        inSpatial: g.inSpatial,
        inChannels: C,
        outChannels: F,
        kernelSize: ps.map((p) => p.kr),
        dilationRate: ps.map((p) => p.dilation),
        padBefore: ps.map((p) => p.before),
        padAfter: ps.map((p) => p.after)
      })
      const kernels = kernelCache((K) => phaseKernel(K, g.kernelSize, ps.map((p) => p.r), ps.map((p) => p.kr), g.strides, F, C))
      return { place, conv: { g: pg, compiled: compilePlan(pg, options), kernels, out: sampleBuffer(dtype, pg.outputSize) } }
    })
  const first = phases.find((p) => p.conv !== undefined)?.conv?.compiled.name ?? 'bias'
  return {
    name: `rank${g.rank}-transpose(phases×${phases.length}) ${first.split(' ').slice(1).join(' ')}`,
    run: (batch, x, kernel, bias, out) => {
      checkCall(g, batch, x, kernel, bias, out)
      for (const { place, conv } of phases) {
        if (conv === undefined) {
          placePhase(undefined, out, batch, F, cf, place, bias)
          continue
        }
        const y = conv.out.get(batch)
        conv.compiled.run(batch, x, conv.kernels.get(kernel), bias, y)
        placePhase(y, out, batch, F, cf, place, bias)
      }
    },
    dispose: () => {
      for (const { conv } of phases) {
        conv?.compiled.dispose()
        conv?.kernels.clear()
        conv?.out.clear()
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Compiles the convolution of a family geometry (forward, grouped, depthwise or transposed; rank 1,
 * 2 or 3; either data format) onto the 2-D kernels (see the module comment for the decompositions).
 * @category constructors
 */
export const compileConvNd = (g: ConvNdGeometry, options: ConvNdKernelOptions = {}): CompiledConvNd =>
  (options.transposed ?? 'phases') === 'phases' && phasesApply(g) ? compilePhases(g, options) : compilePlan(g, options)
