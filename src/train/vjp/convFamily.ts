/**
 * The fast vector-Jacobian products of the convolution family (issue 14): every member reduced to the
 * 2-D machinery the forward and Conv2D's training already run — {@link compileConvVjp} (convFast.ts:
 * dx as a transposed convolution on the fast forward kernels, dW by the generated SIMD per-tap code)
 * and {@link compileConvNd} (src/conv/kernel.ts). No naive loops over multiply-adds.
 *
 * - **Forward kinds, rank 1 and 2** (Conv1D, DepthwiseConv1D, a separable layer's depthwise and
 *   pointwise parts): the 2-D VJP of the same data seen as a 2-D convolution — rank 1 is a height-1
 *   image (`[N, L, C]` = `[N, 1, L, C]`, NCW = NCHW with H = 1) with the kernel `[1, k, C/G, F]`; the
 *   geometry's paddings are explicit (`causal` is the left pad `d·(k−1)`); a depthwise kernel
 *   `[...k, C, M]` is the grouped kernel `[...k, 1, C·M]` (G = C) unchanged.
 * - **Forward kinds, rank 3** (Conv3D): the depth fold of the forward (kernel.ts): output depth `od`
 *   reads the input slices `id = od·sd + td·dd − before` (`td < Kd`); laid side by side as `Kd·C`
 *   channels (order (group, td, q)) they make one 2-D convolution over `N·Do` channels-last images with
 *   the kernel `W'[a, b, td·C/G + q, f] = K[td, a, b, q, f]`. Its 2-D filter gradient gives dW' (read
 *   back as dK, the same permutation). dx, one group: the transposed convolution of dy that is the
 *   layer's adjoint ({@link transposedGeometry}: crop = the padding before, the same kernel array),
 *   run by compileConvNd; several groups (compileConvNd's transposed convolutions have one): the 2-D
 *   VJP's gradient of the folded input, which the unfold's adjoint adds back onto the depth slices it
 *   was gathered from (a slice read by several depth taps gets the sum). Measured (float32 wasm, batch
 *   4, one thread): Conv3D k3 `same` 8×16×16×8 → 16, dx 1.9 ms transposed against 6.6 ms through the
 *   fold (which computes the gradient of all `Kd·C` folded channels); k2 4×8×8×32 → 32, 0.44 against
 *   0.98 ms. A channels_first layer gathers from / scatters to NCDHW and transposes dy to NDHWC.
 * - **Transposed** (Conv1D/2D/3DTranspose, kernel `[...k, F, C]`): the layer is the adjoint of the
 *   forward convolution D from its output space (F channels) back to its input space (C channels)
 *   with the same strides and dilation: output index `j` and input index `i` are connected by tap `t`
 *   when `j + crop = i·s + t·d`. So `dx = D(dy)` — a forward convolution of dy with the layer's kernel
 *   read as D's `[...k, in = F, out = C]` (no rewrite), padded by `crop` before and
 *   `max(0, full − crop − out)` after (exactly `n` outputs per axis: with `output_padding` the output
 *   may reach past the scatter, whose last elements then feed no input) — run by compileConvNd; and
 *   `dK[t, f, c] = Σ dy[i·s + t·d − crop, f]·x[i, c]` is D's filter gradient with the roles of input
 *   and output gradient swapped (D's input = dy, D's output gradient = x), run by the forward kinds'
 *   VJP above; `db = Σ dy` per channel.
 *
 * Results are in the dtype (float64 runs the plain-TS kernels); `dx` of a rank-3 layer and every
 * bias gradient are float64 sums.
 *
 * noUncheckedIndexedAccess: indices are in range by construction (from the geometry); reads are
 * asserted with `!`.
 */
import { compileConvNd } from '../../conv/kernel.js'
import { conv2dGeometry } from '../../conv/kernelGeometry.js'
import { effectiveKernel } from '../../geometry/Axis.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { ConvNdGeometry } from '../../geometry/ConvNdGeometry.js'
import { allocate, type FloatArray, type FloatDType } from '../../numerics/FloatArray.js'
import { compileConvVjp, type ConvVjpOptions } from './convFast.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Gradients of a family convolution call: input (when asked), kernel (Keras's layout) and bias (when asked). */
export interface ConvNdGrads {
  readonly dx: FloatArray | undefined
  readonly dw: FloatArray
  readonly db: FloatArray | undefined
}

/**
 * A family convolution's VJP compiled for one geometry: `run(batch, x, kernel, dy, wantDx, wantBias)`
 * (arrays of the dtype; `dy` is `[batch, ...g.outputShape]`). Writes nothing it is given; any batch.
 * @category model
 */
export interface CompiledConvNdVjp {
  /** The decomposition and the kernels, e.g. `rank1-row dx:wasm-tiled dw:wasm-direct` (reading it prepares every kernel). */
  readonly name: string
  readonly run: (batch: number, x: FloatArray, kernel: FloatArray, dy: FloatArray, wantDx: boolean, wantBias: boolean) => ConvNdGrads
  readonly dispose: () => void
}

// -------------------------------------------------------------------------------------
// forward kinds
// -------------------------------------------------------------------------------------

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/**
 * The 2-D convolution a rank-1 or rank-2 forward (or depthwise) geometry is: the same data, a height-1
 * image for rank 1, paddings explicit.
 * @category utils
 */
export const planarGeometry = (g: ConvNdGeometry): ConvGeometry => {
  const r1 = g.rank === 1
  const at = (xs: ReadonlyArray<number>, a: 0 | 1, unit: number): number => (r1 ? (a === 0 ? unit : xs[0]!) : xs[a]!)
  return conv2dGeometry({
    dataFormat: g.dataFormat,
    inHeight: at(g.inSpatial, 0, 1),
    inWidth: at(g.inSpatial, 1, 1),
    inChannels: g.inChannels,
    outChannels: g.outChannels,
    groups: g.groups,
    kernelHeight: at(g.kernelSize, 0, 1),
    kernelWidth: at(g.kernelSize, 1, 1),
    strideHeight: at(g.strides, 0, 1),
    strideWidth: at(g.strides, 1, 1),
    dilationHeight: at(g.dilationRate, 0, 1),
    dilationWidth: at(g.dilationRate, 1, 1),
    padTop: at(g.padBefore, 0, 0),
    padBottom: at(g.padAfter, 0, 0),
    padLeft: at(g.padBefore, 1, 0),
    padRight: at(g.padAfter, 1, 0)
  })
}

const checkShape = (what: string, got: ReadonlyArray<number>, expected: ReadonlyArray<number>): void => {
  if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
    throw new Error(`convNdVjp: internal error: the ${what} has shape [${got.join(', ')}], expected [${expected.join(', ')}]`)
  }
}

/** Ranks 1 and 2: the 2-D VJP of the planar view (the same arrays). */
const planarVjp = (g: ConvNdGeometry, options: ConvVjpOptions): CompiledConvNdVjp => {
  const g2 = planarGeometry(g)
  checkShape('planar view output', g2.outputShape, g.rank === 1 ? (g.dataFormat === 'channels_first' ? [g.outChannels, 1, g.outSpatial[0]!] : [1, g.outSpatial[0]!, g.outChannels]) : g.outputShape)
  const vjp = compileConvVjp(g2, options)
  return {
    get name() {
      return `rank${g.rank}-${g.rank === 1 ? 'row' : 'plane'} ${vjp.name}`
    },
    run: (batch, x, kernel, dy, wantDx, wantBias) => {
      if (!wantDx) return { dx: undefined, ...vjp.weightGrads(batch, x, dy, wantBias) }
      return vjp.run(batch, x, kernel, dy, wantBias)
    },
    dispose: vjp.dispose
  }
}

/** Rank 3: the 2-D VJP of the depth-folded convolution (module comment), folded and unfolded here. */
const foldedVjp = (g: ConvNdGeometry, options: ConvVjpOptions): CompiledConvNdVjp => {
  const dtype: FloatDType = options.dtype ?? 'float32'
  const cf = g.dataFormat === 'channels_first'
  const [D, H, W] = g.inSpatial as readonly [number, number, number]
  const Do = g.outSpatial[0]!
  const [Kd, kh, kw] = g.kernelSize as readonly [number, number, number]
  const sd = g.strides[0]!
  const dd = g.dilationRate[0]!
  const before = g.padBefore[0]!
  const C = g.inChannels
  const F = g.outChannels
  const G = g.groups
  const Cg = g.inChannelsPerGroup
  const KC = Kd * C
  const g2 = conv2dGeometry({
    dataFormat: 'channels_last',
    inHeight: H,
    inWidth: W,
    inChannels: KC,
    outChannels: F,
    groups: G,
    kernelHeight: kh,
    kernelWidth: kw,
    strideHeight: g.strides[1]!,
    strideWidth: g.strides[2]!,
    dilationHeight: g.dilationRate[1]!,
    dilationWidth: g.dilationRate[2]!,
    padTop: g.padBefore[1]!,
    padBottom: g.padAfter[1]!,
    padLeft: g.padBefore[2]!,
    padRight: g.padAfter[2]!
  })
  checkShape('folded output', [g2.outHeight, g2.outWidth], g.outSpatial.slice(1))
  const vjp = compileConvVjp(g2, options)
  // one group: dx as the transposed convolution of dy (its own fold, on compileConvNd), not the folded input's gradient
  const dxConv = G === 1 ? compileConvNd(transposedGeometry(g), kernelOptions(options)) : undefined
  // the (output depth, depth tap, input depth) triples that read an input slice
  const slots: Array<readonly [number, number, number]> = []
  for (let od = 0; od < Do; od++) {
    for (let td = 0; td < Kd; td++) {
      const id = od * sd + td * dd - before
      if (id >= 0 && id < D) slots.push([od, td, id])
    }
  }
  const plane = H * W
  const P = g.outputSize / F
  // x's element (sample n, depth d, pixel p of the H×W plane, channel ch), and the fold's channel of (group, tap, q)
  const xAt = cf ? (n: number, d: number, p: number, ch: number): number => ((n * C + ch) * D + d) * plane + p : (n: number, d: number, p: number, ch: number): number => ((n * D + d) * plane + p) * C + ch
  const foldChannel = (ch: number, td: number): number => (Math.floor(ch / Cg) * Kd + td) * Cg + (ch % Cg)
  const fold = (batch: number, x: FloatArray): FloatArray => {
    const xf = allocate(dtype, batch * Do * plane * KC)
    for (let n = 0; n < batch; n++) {
      for (const [od, td, id] of slots) {
        const base = (n * Do + od) * plane * KC
        for (let ch = 0; ch < C; ch++) {
          const fc = foldChannel(ch, td)
          for (let p = 0; p < plane; p++) xf[base + p * KC + fc] = x[xAt(n, id, p, ch)]!
        }
      }
    }
    return xf
  }
  const unfold = (batch: number, dxf: FloatArray): Float64Array => {
    const dx = new Float64Array(batch * g.inputSize)
    for (let n = 0; n < batch; n++) {
      for (const [od, td, id] of slots) {
        const base = (n * Do + od) * plane * KC
        for (let ch = 0; ch < C; ch++) {
          const fc = foldChannel(ch, td)
          for (let p = 0; p < plane; p++) {
            const i = xAt(n, id, p, ch)
            dx[i] = dx[i]! + dxf[base + p * KC + fc]!
          }
        }
      }
    }
    return dx
  }
  // K[td, a, b, q, f] ↔ W'[a, b, td·Cg + q, f]
  const taps2 = kh * kw
  const kernelIndex = (td: number, t2: number, q: number): readonly [number, number] => [((td * taps2 + t2) * Cg + q) * F, (t2 * Kd * Cg + td * Cg + q) * F]
  const foldKernel = (K: FloatArray): FloatArray => {
    const w = allocate(dtype, K.length)
    for (let td = 0; td < Kd; td++) {
      for (let t2 = 0; t2 < taps2; t2++) {
        for (let q = 0; q < Cg; q++) {
          const [s, d] = kernelIndex(td, t2, q)
          w.set(K.subarray(s, s + F), d)
        }
      }
    }
    return w
  }
  const unfoldKernel = (w: FloatArray): FloatArray => {
    const K = allocate(dtype, w.length)
    for (let td = 0; td < Kd; td++) {
      for (let t2 = 0; t2 < taps2; t2++) {
        for (let q = 0; q < Cg; q++) {
          const [d, s] = kernelIndex(td, t2, q)
          K.set(w.subarray(s, s + F), d)
        }
      }
    }
    return K
  }
  /** dy as the folded convolution's NHWC output gradient. */
  const dyOf = (batch: number, dy: FloatArray): FloatArray => {
    if (!cf) return dy
    const t = allocate(dtype, dy.length)
    for (let n = 0; n < batch; n++) {
      const b = n * P * F
      for (let f = 0; f < F; f++) for (let p = 0; p < P; p++) t[b + p * F + f] = dy[b + f * P + p]!
    }
    return t
  }
  return {
    get name() {
      return `rank3-fold(Kd=${Kd}) ${dxConv === undefined ? vjp.name : `dx:${dxConv.name} dw:${vjp.name.replace(/^.* dw:/, '')}`}`
    },
    run: (batch, x, kernel, dy, wantDx, wantBias) => {
      const xf = fold(batch, x)
      const dy2 = dyOf(batch, dy)
      if (!wantDx) {
        const r = vjp.weightGrads(batch * Do, xf, dy2, wantBias)
        return { dx: undefined, dw: unfoldKernel(r.dw), db: r.db }
      }
      if (dxConv !== undefined) {
        const r = vjp.weightGrads(batch * Do, xf, dy2, wantBias)
        const dx = allocate(dtype, batch * g.inputSize)
        dxConv.run(batch, dy, kernel, undefined, dx)
        return { dx, dw: unfoldKernel(r.dw), db: r.db }
      }
      const r = vjp.run(batch * Do, xf, foldKernel(kernel), dy2, wantBias)
      return { dx: unfold(batch, r.dx), dw: unfoldKernel(r.dw), db: r.db }
    },
    dispose: () => {
      vjp.dispose()
      dxConv?.dispose()
    }
  }
}

/** compileConvNd's options of a VJP's. */
const kernelOptions = (options: ConvVjpOptions) => ({
  dtype: options.dtype ?? 'float32',
  ...(options.backend === undefined ? {} : { backend: options.backend }),
  ...(options.threads === undefined ? {} : { threads: options.threads })
})

/**
 * The transposed convolution that is a one-group forward geometry's adjoint: from its output (F
 * channels) back to its input (C channels), the same strides and dilation, crop = the forward's
 * padding before (input index `j = i·s + t·d − before` of output `i`, tap `t`: the scatter rule with
 * `crop = before`), length the forward's input. Its kernel `[...k, C, F]` (transposed layout: output
 * channels first) is the forward kernel as it is.
 * @category utils
 */
export const transposedGeometry = (g: ConvNdGeometry): ConvNdGeometry => {
  const C = g.inChannels
  const F = g.outChannels
  const full = g.outSpatial.map((o, a) => (o - 1) * g.strides[a]! + g.effectiveKernel[a]!)
  return Object.freeze<ConvNdGeometry>({
    ...g,
    kind: 'transpose',
    inSpatial: g.outSpatial,
    outSpatial: g.inSpatial,
    inChannels: F,
    outChannels: C,
    groups: 1,
    inChannelsPerGroup: F,
    outChannelsPerGroup: C,
    padBefore: Object.freeze(g.kernelSize.map(() => 0)),
    padAfter: Object.freeze(g.kernelSize.map(() => 0)),
    full: Object.freeze(full),
    crop: g.padBefore,
    inputShape: g.outputShape,
    outputShape: g.inputShape,
    kernelShape: Object.freeze([...g.kernelSize, C, F]),
    inputSize: g.outputSize,
    outputSize: g.inputSize,
    macsPerSample: product(g.outSpatial) * product(g.kernelSize) * C * F
  })
}

/** A forward (grouped) or depthwise convolution of any rank. */
const forwardVjp = (g: ConvNdGeometry, options: ConvVjpOptions): CompiledConvNdVjp => (g.rank === 3 ? foldedVjp(g, options) : planarVjp(g, options))

// -------------------------------------------------------------------------------------
// transposed
// -------------------------------------------------------------------------------------

/**
 * The forward convolution D whose adjoint a transposed geometry is (module comment): from the layer's
 * output space (F channels) to its input space (C channels), the layer's strides and dilation, padded
 * by `crop` before and `max(0, full − crop − out)` after.
 * @category utils
 */
export const adjointGeometry = (g: ConvNdGeometry): ConvNdGeometry => {
  const C = g.inChannels
  const F = g.outChannels
  const padBefore = g.crop
  const padAfter = g.full.map((full, a) => Math.max(0, full - g.crop[a]! - g.outSpatial[a]!))
  const ke = g.kernelSize.map((k, a) => effectiveKernel(k, g.dilationRate[a]!))
  const outSpatial = g.outSpatial.map((n, a) => Math.floor((n + padBefore[a]! + padAfter[a]! - ke[a]!) / g.strides[a]!) + 1)
  checkShape('adjoint convolution output', outSpatial, g.inSpatial)
  return Object.freeze<ConvNdGeometry>({
    kind: 'conv',
    rank: g.rank,
    dataFormat: g.dataFormat,
    inSpatial: g.outSpatial,
    outSpatial: Object.freeze(outSpatial),
    inChannels: F,
    outChannels: C,
    groups: 1,
    inChannelsPerGroup: F,
    outChannelsPerGroup: C,
    kernelSize: g.kernelSize,
    strides: g.strides,
    dilationRate: g.dilationRate,
    effectiveKernel: Object.freeze(ke),
    padBefore: Object.freeze([...padBefore]),
    padAfter: Object.freeze(padAfter),
    full: Object.freeze([]),
    crop: Object.freeze([]),
    inputShape: g.outputShape,
    outputShape: g.inputShape,
    kernelShape: Object.freeze([...g.kernelSize, F, C]),
    inputSize: g.outputSize,
    outputSize: g.inputSize,
    macsPerSample: product(outSpatial) * C * product(g.kernelSize) * F
  })
}

/** Σ dy per output channel, in float64. */
const biasGradient = (g: ConvNdGeometry, batch: number, dy: FloatArray): Float64Array => {
  const F = g.outChannels
  const P = g.outputSize / F
  const db = new Float64Array(F)
  const cf = g.dataFormat === 'channels_first'
  for (let n = 0; n < batch; n++) {
    const b = n * g.outputSize
    for (let p = 0; p < P; p++) for (let f = 0; f < F; f++) db[f] = db[f]! + dy[b + (cf ? f * P + p : p * F + f)]!
  }
  return db
}

/** A transposed convolution: dx = D(dy) on compileConvNd, dK = D's filter gradient with the roles swapped. */
const transposedVjp = (g: ConvNdGeometry, options: ConvVjpOptions): CompiledConvNdVjp => {
  const dtype: FloatDType = options.dtype ?? 'float32'
  const d = adjointGeometry(g)
  const dxConv = compileConvNd(d, kernelOptions(options))
  const dwVjp = forwardVjp(d, options)
  return {
    get name() {
      return `transpose dx:${dxConv.name} dw:${dwVjp.name}`
    },
    run: (batch, x, kernel, dy, wantDx, wantBias) => {
      let dx: FloatArray | undefined
      if (wantDx) {
        dx = allocate(dtype, batch * g.inputSize)
        dxConv.run(batch, dy, kernel, undefined, dx)
      }
      const dw = dwVjp.run(batch, dy, kernel, x, false, false).dw
      return { dx, dw, db: wantBias ? biasGradient(g, batch, dy) : undefined }
    },
    dispose: () => {
      dxConv.dispose()
      dwVjp.dispose()
    }
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Compiles the VJP of a family geometry (forward, grouped, depthwise or transposed; rank 1-3; either
 * data format; see the module comment).
 * @category constructors
 */
export const compileConvNdVjp = (g: ConvNdGeometry, options: ConvVjpOptions = {}): CompiledConvNdVjp => {
  const dtype: FloatDType = options.dtype ?? 'float32'
  const inner = g.kind === 'transpose' ? transposedVjp(g, options) : forwardVjp(g, options)
  // the kernels read arrays of the dtype: a float64 gradient from the reverse pass is rounded first
  const own = (a: FloatArray): FloatArray => (dtype === 'float64' ? (a instanceof Float64Array ? a : Float64Array.from(a)) : a instanceof Float32Array ? a : Float32Array.from(a))
  return {
    get name() {
      return inner.name
    },
    run: (batch, x, kernel, dy, wantDx, wantBias) => {
      if (x.length !== batch * g.inputSize) throw new RangeError(`convNdVjp: expected an input of ${batch * g.inputSize} values (batch ${batch}), got ${x.length}`)
      if (dy.length !== batch * g.outputSize) throw new RangeError(`convNdVjp: expected an output gradient of ${batch * g.outputSize} values (batch ${batch}), got ${dy.length}`)
      if (kernel.length !== product(g.kernelShape)) throw new RangeError(`convNdVjp: expected a kernel of ${product(g.kernelShape)} values [${g.kernelShape.join(', ')}], got ${kernel.length}`)
      return inner.run(batch, own(x), own(kernel), own(dy), wantDx, wantBias)
    },
    dispose: inner.dispose
  }
}
