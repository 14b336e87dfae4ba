/**
 * WebAssembly SIMD code generation for the tiled, pointwise and depthwise kernels: one module per
 * compiled geometry. The register tile is 4 output pixels × 8 output channels (8 f32x4 accumulators,
 * 2 weight vectors, 4 broadcast inputs: 14 of V8's 15 usable v128 registers). Every stride of the
 * geometry is a constant: the 4 pixels' inputs are one pointer plus constant load offsets, the weight
 * panel is read front to back. One reduction step per loop body (V8 hoists a body's loads; unrolling
 * spills). The accumulators start at the bias; `relu`/`relu6` are applied before the store.
 *
 * Input and output strides come from the layouts, so channels_first layers read their NCHW padded
 * input as it is (a channel step is a plane) and write NCHW output directly (a 4×4 in-register
 * transpose turns 4 pixels × 4 channels into 4 channel rows of 4 pixels).
 *
 * Exported function `run(x, w, o, u0, u1)` (byte addresses in the module's memory; `u0..u1` work
 * units): rows of `batch · outHeight` for the tiled and depthwise kernels, pixels of `batch · H · W`
 * for pointwise.
 */
import type { Activation } from '../../codec/Activation.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { blocksPerGroup, depthwiseBlockSize, tiledBlockSize } from '../pack.js'
import { Code, I32, V128 } from './encoder.js'

/** Output channels per panel of the wasm kernels (two f32x4). */
export const WASM_Q = 8
/** Output pixels per register tile. */
export const WASM_P = 4
/** Pixels per cache block of the pointwise kernel (its input block stays in L1 across channel blocks). */
export const POINTWISE_CHUNK = 64

/** The activations the generated code applies itself. */
export const fusable = (a: Activation): boolean => a === 'linear' || a === 'relu' || a === 'relu6'

interface TileShape {
  /** Pixels in the tile (1..4). */
  readonly P: number
  /** Valid output channels in the panel (1..8). */
  readonly nq: number
}

/** Byte strides of the output: between neighbouring pixels of a row, and between channels. */
interface OutStrides {
  readonly pixel: number
  readonly channel: number
}

/** Settings of the reduction loops of one tile (bytes). */
interface Reduction {
  /** Window rows (loop count of the outer reduction loop). */
  readonly rows: number
  /** Runs per window row (window columns, or 1 when a row is contiguous). */
  readonly runs: number
  /** Steps per run, and the input step of one step. */
  readonly runLen: number
  readonly step: number
  /** From one run's start to the next, and from one window row's start to the next. */
  readonly runStep: number
  readonly rowStep: number
  /** Between the inputs of neighbouring pixels of the tile. */
  readonly pixelStep: number
}

interface Locals {
  readonly u: number
  readonly i: number
  readonly xRow: number
  readonly oRow: number
  readonly grp: number
  readonly fb: number
  readonly wb: number
  readonly ob: number
  readonly xg: number
  readonly xt: number
  readonly ot: number
  readonly jc: number
  readonly xp: number
  readonly xq: number
  readonly wp: number
  readonly wend: number
  readonly ka: number
  readonly kb: number
  readonly acc: ReadonlyArray<number>
  readonly s: ReadonlyArray<number>
  readonly w: ReadonlyArray<number>
}

const declareLocals = (c: Code): Locals => {
  const i32 = (): number => c.local(I32)
  const v128 = (): number => c.local(V128)
  return {
    u: i32(), i: i32(), xRow: i32(), oRow: i32(), grp: i32(), fb: i32(), wb: i32(), ob: i32(), xg: i32(), xt: i32(), ot: i32(), jc: i32(),
    xp: i32(), xq: i32(), wp: i32(), wend: i32(), ka: i32(), kb: i32(),
    acc: Array.from({ length: 8 }, v128),
    s: Array.from({ length: 4 }, v128),
    w: Array.from({ length: 2 }, v128)
  }
}

// parameters of run(x, w, o, u0, u1)
const X = 0
const W = 1
const O = 2
const U0 = 3
const U1 = 4

/** i32x4 lane shuffles of two vectors (lanes 0-3: a, 4-7: b) as an i8x16.shuffle. */
const lanes32 = (l: readonly [number, number, number, number]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3])

/**
 * Applies the fused activation to the tile's accumulators and stores their valid lanes at `ot`:
 * vector stores when channels are contiguous (NHWC); for NCHW, full tiles are transposed in
 * registers (4 pixels × 4 channels → 4 channel rows) and stored as vectors, partial tiles lane by lane.
 */
const emitStore = (c: Code, L: Locals, t: TileShape, out: OutStrides, activation: Activation, acc: (p: number, v: number) => number): void => {
  const V = t.nq > 4 ? 2 : 1
  for (let p = 0; p < t.P; p++) {
    for (let v = 0; v < V; v++) {
      const a = acc(p, v)
      if (activation === 'relu' || activation === 'relu6') {
        c.get(a).v128Zero().f32x4Pmax()
        if (activation === 'relu6') c.f32x4Const(6).f32x4Pmin()
        c.set(a)
      }
    }
  }
  for (let v = 0; v < V; v++) {
    const lanes = Math.min(4, t.nq - v * 4)
    if (out.channel === 4) {
      for (let p = 0; p < t.P; p++) {
        const a = acc(p, v)
        const off = p * out.pixel + v * 16
        if (lanes === 4) c.get(L.ot).get(a).v128Store(off)
        else if (lanes === 1) c.get(L.ot).get(a).v128Store32Lane(off, 0)
        else {
          c.get(L.ot).get(a).v128Store64Lane(off, 0)
          if (lanes === 3) c.get(L.ot).get(a).v128Store32Lane(off + 8, 2)
        }
      }
    } else if (t.P === 4 && out.pixel === 4) {
      // transpose: t0 = (r0.0 r1.0 r0.1 r1.1), t1 = (r0.2 r1.2 r0.3 r1.3), t2/t3 likewise for r2, r3;
      // channel k = (t.k/2 halves): c0 = (t0.lo t2.lo), c1 = (t0.hi t2.hi), c2 = (t1.lo t3.lo), c3 = (t1.hi t3.hi)
      const [r0, r1, r2, r3] = [acc(0, v), acc(1, v), acc(2, v), acc(3, v)]
      const [t0, t1, t2, t3] = L.s as [number, number, number, number]
      c.get(r0).get(r1).i8x16Shuffle(lanes32([0, 4, 1, 5])).set(t0)
      c.get(r0).get(r1).i8x16Shuffle(lanes32([2, 6, 3, 7])).set(t1)
      c.get(r2).get(r3).i8x16Shuffle(lanes32([0, 4, 1, 5])).set(t2)
      c.get(r2).get(r3).i8x16Shuffle(lanes32([2, 6, 3, 7])).set(t3)
      const rows: ReadonlyArray<readonly [number, number, readonly [number, number, number, number]]> = [
        [t0, t2, [0, 1, 4, 5]],
        [t0, t2, [2, 3, 6, 7]],
        [t1, t3, [0, 1, 4, 5]],
        [t1, t3, [2, 3, 6, 7]]
      ]
      rows.slice(0, lanes).forEach(([a, b, sh], k) => {
        c.get(L.ot).get(a).get(b).i8x16Shuffle(lanes32(sh)).v128Store((v * 4 + k) * out.channel)
      })
    } else {
      for (let p = 0; p < t.P; p++) {
        for (let k = 0; k < lanes; k++) c.get(L.ot).get(acc(p, v)).v128Store32Lane(p * out.pixel + (v * 4 + k) * out.channel, k)
      }
    }
  }
}

/** Emits the accumulate-and-store code of one tile at (xt, wb, ot). */
const emitTile = (c: Code, L: Locals, red: Reduction, t: TileShape, out: OutStrides, activation: Activation, fma: boolean): void => {
  const V = t.nq > 4 ? 2 : 1
  const acc = (p: number, v: number): number => L.acc[p * 2 + v] as number
  // accumulators = bias
  for (let p = 0; p < t.P; p++) for (let v = 0; v < V; v++) c.get(L.wb).v128Load(v * 16).set(acc(p, v))
  c.get(L.xt).set(L.xp)
  c.get(L.wb).i32(WASM_Q * 4).i32Add().set(L.wp)
  const rowLoop = red.rows > 1
  if (rowLoop) c.i32(red.rows).set(L.ka).loop()
  c.get(L.xp).set(L.xq)
  const runLoop = red.runs > 1
  if (runLoop) c.i32(red.runs).set(L.kb).loop()
  c.get(L.wp).i32(red.runLen * WASM_Q * 4).i32Add().set(L.wend)
  c.loop()
  for (let v = 0; v < V; v++) c.get(L.wp).v128Load(v * 16).set(L.w[v] as number)
  for (let p = 0; p < t.P; p++) c.get(L.xq).v128Load32Splat(p * red.pixelStep).set(L.s[p] as number)
  for (let p = 0; p < t.P; p++) {
    for (let v = 0; v < V; v++) {
      if (fma) c.get(L.s[p] as number).get(L.w[v] as number).get(acc(p, v)).f32x4RelaxedMadd().set(acc(p, v))
      else c.get(acc(p, v)).get(L.s[p] as number).get(L.w[v] as number).f32x4Mul().f32x4Add().set(acc(p, v))
    }
  }
  c.addTo(L.xq, red.step)
  c.get(L.wp).i32(WASM_Q * 4).i32Add().tee(L.wp).get(L.wend).i32Ne().brIf(0)
  c.end()
  if (runLoop) {
    c.addTo(L.xq, red.runStep - red.runLen * red.step)
    c.get(L.kb).i32(1).i32Sub().tee(L.kb).brIf(0).end()
  }
  if (rowLoop) {
    c.addTo(L.xp, red.rowStep)
    c.get(L.ka).i32(1).i32Sub().tee(L.ka).brIf(0).end()
  }
  emitStore(c, L, t, out, activation, acc)
}

/**
 * For the current (group, block) at `wb` and the tile start pointers `xt`/`ot`: `count` tiles of
 * `WASM_P` pixels (a constant, or the local `jc` when 'local'), then one tile of `rem` pixels.
 */
const emitTiles = (
  c: Code,
  L: Locals,
  tile: (P: number) => void,
  pixelStep: number,
  outPixel: number,
  full: number | 'local',
  rem: number
): void => {
  const emitFull = (): void => {
    c.loop()
    tile(WASM_P)
    c.addTo(L.xt, WASM_P * pixelStep)
    c.addTo(L.ot, WASM_P * outPixel)
    c.get(L.jc).i32(1).i32Sub().tee(L.jc).brIf(0)
    c.end()
  }
  if (full === 'local') {
    c.get(L.jc).if_()
    emitFull()
    c.end()
  } else if (full > 0) {
    c.i32(full).set(L.jc)
    emitFull()
  }
  if (rem > 0) tile(rem)
}

/**
 * The group and channel-block loops over one strip (an output row, or a pixel chunk) whose first
 * input and output pixels are at `xRow` and `oRow`.
 */
const emitStrip = (
  c: Code,
  L: Locals,
  g: ConvGeometry,
  red: Reduction,
  inChannel: number,
  out: OutStrides,
  full: number | 'local',
  rem: number,
  activation: Activation,
  fma: boolean,
  reloadCount: () => void
): void => {
  const Q = WASM_Q
  const FG = g.outChannelsPerGroup
  const nfb = blocksPerGroup(g, Q)
  const fullBlocks = Math.floor(FG / Q)
  const tail = FG - fullBlocks * Q
  const blockBytes = tiledBlockSize(g, Q) * 4
  const G = g.groups
  c.get(L.xRow).set(L.xg)
  c.get(W).set(L.wb)
  c.get(L.oRow).set(L.ob)
  if (G > 1) c.i32(G).set(L.grp).loop()
  const emitBlock = (nq: number): void => {
    c.get(L.xg).set(L.xt)
    c.get(L.ob).set(L.ot)
    reloadCount()
    emitTiles(c, L, (P) => emitTile(c, L, red, { P, nq }, out, activation, fma), red.pixelStep, out.pixel, full, rem)
    c.addTo(L.wb, blockBytes)
    c.addTo(L.ob, Q * out.channel)
  }
  if (fullBlocks > 0) {
    if (fullBlocks > 1) c.i32(fullBlocks).set(L.fb).loop()
    emitBlock(Q)
    if (fullBlocks > 1) c.get(L.fb).i32(1).i32Sub().tee(L.fb).brIf(0).end()
  }
  if (tail > 0) emitBlock(tail)
  if (G > 1) {
    // next group: its input channels, its output channels (panels are already advanced)
    c.addTo(L.xg, g.inChannelsPerGroup * inChannel)
    c.addTo(L.ob, (FG - nfb * Q) * out.channel)
    c.get(L.grp).i32(1).i32Sub().tee(L.grp).brIf(0).end()
  }
}

/** Output strides of a geometry's layer-format output (bytes), per pixel and channel. */
const outStrides = (g: ConvGeometry): OutStrides =>
  g.dataFormat === 'channels_last' ? { pixel: g.outChannels * 4, channel: 4 } : { pixel: 4, channel: g.outHeight * g.outWidth * 4 }

/**
 * The row loop shared by the tiled and depthwise kernels: rows `[u0, u1)` of `batch · outHeight`,
 * `xRow`/`oRow` at each row's first input/output pixel, `body` emitting one row.
 */
const emitRows = (c: Code, L: Locals, g: ConvGeometry, Lp: PaddedLayout, body: () => void): void => {
  const OH = g.outHeight
  const inRowBytes = g.strideHeight * Lp.rowSize * 4
  const sampleBytes = Lp.sampleSize * 4
  const cl = g.dataFormat === 'channels_last'
  // output: NHWC rows follow each other; NCHW rows of a sample are OW apart, samples F·OH·OW apart
  const outRowBytes = g.outWidth * (cl ? g.outChannels : 1) * 4
  const outSampleBytes = g.outputSize * 4
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(L.u)
  c.get(U0).i32(OH).i32RemU().set(L.i)
  c.get(X).get(U0).i32(OH).i32DivU().i32(sampleBytes).i32Mul().i32Add().get(L.i).i32(inRowBytes).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(OH).i32DivU().i32(outSampleBytes).i32Mul().i32Add().get(L.i).i32(outRowBytes).i32Mul().i32Add().set(L.oRow)
  c.loop()
  body()
  c.addTo(L.oRow, outRowBytes)
  c.addTo(L.xRow, inRowBytes)
  c.get(L.i).i32(1).i32Add().tee(L.i).i32(OH).i32Eq().if_()
  c.i32(0).set(L.i)
  c.addTo(L.xRow, sampleBytes - OH * inRowBytes)
  c.addTo(L.oRow, outSampleBytes - OH * outRowBytes)
  c.end()
  c.get(L.u).i32(1).i32Add().tee(L.u).get(U1).i32LtS().brIf(0)
  c.end()
}

/**
 * Parts the output channels of a tiled call on the model's arena are split into, so that a call with
 * few output rows has work for two threads, each streaming only its part's panels: 1 unless one
 * sample has fewer than {@link TILED_PART_ROWS} output rows (DenseNet121's 3×3 layers at 4 × 4 and
 * 2 × 2 at 64 × 64: 0.3-0.6M multiply-adds, 13-30 µs, in 2-4 rows), else the most parts (≤ 8) that
 * divide the channel blocks evenly, one block of `WASM_Q` channels each at least. Each block already
 * reads the whole strip of input, so parts read nothing twice.
 */
export const tiledParts = (g: ConvGeometry): number => {
  if (g.groups !== 1 || g.outChannels % WASM_Q !== 0 || g.outHeight >= TILED_PART_ROWS) return 1
  const blocks = g.outChannels / WASM_Q
  for (let s = 8; s >= 2; s--) if (blocks % s === 0) return s
  return 1
}

/** Output rows per sample below which a tiled call on the arena splits its output channels too. */
export const TILED_PART_ROWS = 8

/**
 * The tiled kernel's `run` over work units `[u0, u1)`, reading layout `Lp`: output rows of
 * `batch · outHeight` when `parts` is 1 (default), else (sample, part, row) in that order, `parts ×
 * outHeight` per sample, each part `F / parts` output channels of the same rows from its own panels
 * (the model's arena only: `tiledParts`) — the same instructions per output value, so any split of
 * the units is bit for bit one call.
 */
export const tiledRowsCode = (g: ConvGeometry, Lp: PaddedLayout, activation: Activation, fma: boolean, parts = 1): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const C = g.inChannels
  // window rows are one contiguous run when columns and channels are (NHWC, dilation 1, one group)
  const merged = !Lp.nchw && g.dilationWidth === 1 && g.groups === 1
  const red: Reduction = {
    rows: g.kernelHeight,
    runs: merged ? 1 : g.kernelWidth,
    runLen: merged ? g.kernelWidth * C : g.inChannelsPerGroup,
    step: Lp.channel * 4,
    runStep: g.dilationWidth * Lp.pixel * 4,
    rowStep: g.dilationHeight * Lp.rowSize * 4,
    pixelStep: g.strideWidth * Lp.pixel * 4
  }
  const out = outStrides(g)
  // a row of the output channels of `gs` (all of them, or a part's), at the full output's strides
  const strip = (gs: ConvGeometry) => (): void =>
    emitStrip(c, L, gs, red, Lp.channel * 4, out, Math.floor(g.outWidth / WASM_P), g.outWidth % WASM_P, activation, fma, () => undefined)
  if (parts === 1) {
    emitRows(c, L, g, Lp, strip(g))
    return c
  }
  const F = g.outChannels
  const Fp = F / parts
  if (g.groups !== 1 || !Number.isInteger(Fp) || Fp % WASM_Q !== 0) throw new RangeError(`tiled parts: ${parts} parts of ${F} channels in blocks of ${WASM_Q} (groups ${g.groups})`)
  const gp: ConvGeometry = { ...g, outChannels: Fp, outChannelsPerGroup: Fp }
  const OH = g.outHeight
  const partBytes = (Fp / WASM_Q) * tiledBlockSize(g, WASM_Q) * 4
  const u = c.local(I32)
  const end = c.local(I32)
  const seg = c.local(I32)
  const segEnd = c.local(I32)
  const w0 = c.local(I32)
  const o0 = c.local(I32)
  const base = c.local(I32)
  c.get(U0).set(u)
  c.get(U1).set(end)
  c.get(W).set(w0)
  c.get(O).set(o0)
  c.block()
  c.loop()
  c.get(u).get(end).i32GeS().brIf(1)
  // segment = sample · parts + part: units [seg · OH, (seg + 1) · OH) are its rows
  c.get(u).i32(OH).i32DivU().set(seg)
  c.get(seg).i32(1).i32Add().i32(OH).i32Mul().set(segEnd)
  c.get(segEnd).get(end).i32GtS().if_().get(end).set(segEnd).end()
  // the row of `batch · outHeight`, less the unit: row = unit + base (base = sample · OH − seg · OH)
  c.get(seg).i32(parts).i32DivU().i32(OH).i32Mul().get(seg).i32(OH).i32Mul().i32Sub().set(base)
  c.get(u).get(base).i32Add().set(U0)
  c.get(segEnd).get(base).i32Add().set(U1)
  c.get(w0).get(seg).i32(parts).i32RemU().i32(partBytes).i32Mul().i32Add().set(W)
  c.get(o0).get(seg).i32(parts).i32RemU().i32(Fp * out.channel).i32Mul().i32Add().set(O)
  emitRows(c, L, g, Lp, strip(gp))
  c.get(segEnd).set(u)
  c.br(0)
  c.end()
  c.end()
  return c
}

/**
 * Parts the output channels of a pointwise call on the model's arena are split into, so that a call
 * with few pixels still has work units for two threads: 1 (units are pixels) unless one sample has
 * fewer than `POINTWISE_PART_PIXELS` pixels (ResNet50's and DenseNet121's last stages at 2 × 2; a
 * 1 × 1 classifier head), else the most parts (≤ 8) that divide the channel blocks evenly, each of at
 * least 4 blocks of `WASM_Q` channels. Weights are read once whichever part reads them; only the
 * (small) input block is read once per part.
 */
export const pointwiseParts = (g: ConvGeometry): number => {
  if (g.groups !== 1 || g.outChannels % WASM_Q !== 0 || g.inHeight * g.inWidth >= POINTWISE_PART_PIXELS) return 1
  const blocks = g.outChannels / WASM_Q
  for (let s = 8; s >= 2; s--) if (blocks % s === 0 && blocks / s >= 4) return s
  return 1
}

/** Pixels per sample below which a pointwise call on the arena splits its output channels too. */
export const POINTWISE_PART_PIXELS = 16

/**
 * The pointwise kernel's work units for `parts` channel parts (`pointwiseParts`): output pixels when
 * 1, else (sample, part, pixel) in that order, `parts × H·W` per sample.
 */
export const pointwiseUnits = (g: ConvGeometry, parts: number): ((batch: number) => number) => (batch) => batch * parts * g.inHeight * g.inWidth

/** The alignment of a split's chunks of pointwise units (whole 4-pixel tiles where they line up). */
export const pointwiseAlign = (g: ConvGeometry, parts: number): number => (parts === 1 || (g.inHeight * g.inWidth) % WASM_P === 0 ? WASM_P : 1)

/**
 * The pointwise kernel's `run` over units `[u0, u1)` (1×1, stride 1, channels_last: the input is the
 * pixel-major matrix `[pixels, C]`, the output `[pixels, F]`). With one part (default) a unit is a
 * pixel of `batch · H · W`, in chunks of {@link POINTWISE_CHUNK} pixels; with `parts` > 1 (the
 * model's arena only: `pointwiseParts`) units run (sample, part, pixel), each part `F / parts`
 * output channels of the same pixels from its own panels — the same instructions per output value,
 * so any split of the units is bit for bit one call.
 */
export const pointwiseCode = (g: ConvGeometry, activation: Activation, fma: boolean, parts = 1): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const F = g.outChannels
  if (parts === 1) {
    c.get(U0).get(U1).i32GeS().if_().return_().end()
    emitPointwiseRange(c, L, g, F, activation, fma)
    return c
  }
  const Fp = F / parts
  if (g.groups !== 1 || !Number.isInteger(Fp) || Fp % WASM_Q !== 0) throw new RangeError(`pointwise parts: ${parts} parts of ${F} channels in blocks of ${WASM_Q} (groups ${g.groups})`)
  const gp: ConvGeometry = { ...g, outChannels: Fp, outChannelsPerGroup: Fp }
  const HW = g.inHeight * g.inWidth
  const partBytes = (Fp / WASM_Q) * tiledBlockSize(g, WASM_Q) * 4
  const u = c.local(I32)
  const end = c.local(I32)
  const seg = c.local(I32)
  const segEnd = c.local(I32)
  const w0 = c.local(I32)
  const o0 = c.local(I32)
  const base = c.local(I32)
  c.get(U0).set(u)
  c.get(U1).set(end)
  c.get(W).set(w0)
  c.get(O).set(o0)
  c.block()
  c.loop()
  c.get(u).get(end).i32GeS().brIf(1)
  // segment = sample · parts + part: units [seg · HW, (seg + 1) · HW) are its pixels
  c.get(u).i32(HW).i32DivU().set(seg)
  c.get(seg).i32(1).i32Add().i32(HW).i32Mul().set(segEnd)
  c.get(segEnd).get(end).i32GtS().if_().get(end).set(segEnd).end()
  // the sample's first pixel, less the segment's first unit: pixel = unit + base
  c.get(seg).i32(parts).i32DivU().i32(HW).i32Mul().get(seg).i32(HW).i32Mul().i32Sub().set(base)
  c.get(u).get(base).i32Add().set(U0)
  c.get(segEnd).get(base).i32Add().set(U1)
  c.get(w0).get(seg).i32(parts).i32RemU().i32(partBytes).i32Mul().i32Add().set(W)
  c.get(o0).get(seg).i32(parts).i32RemU().i32(Fp * 4).i32Mul().i32Add().set(O)
  emitPointwiseRange(c, L, gp, F, activation, fma)
  c.get(segEnd).set(u)
  c.br(0)
  c.end()
  c.end()
  return c
}

/**
 * Pixels `[U0, U1)` (non-empty) of a pointwise call: `g`'s output channels (panels from `W`) of an
 * output whose pixels are `F` channels apart.
 */
const emitPointwiseRange = (c: Code, L: Locals, g: ConvGeometry, F: number, activation: Activation, fma: boolean): void => {
  const C = g.inChannels
  const red: Reduction = { rows: 1, runs: 1, runLen: g.inChannelsPerGroup, step: 4, runStep: 0, rowStep: 0, pixelStep: C * 4 }
  const out: OutStrides = { pixel: F * 4, channel: 4 }
  const chunk = POINTWISE_CHUNK
  c.get(U0).set(L.u)
  c.get(X).get(U0).i32(C * 4).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(F * 4).i32Mul().i32Add().set(L.oRow)
  c.block()
  c.loop()
  // a full chunk while u + chunk <= u1
  c.get(L.u).i32(chunk).i32Add().get(U1).i32GtS().brIf(1)
  emitStrip(c, L, g, red, 4, out, chunk / WASM_P, 0, activation, fma, () => undefined)
  c.addTo(L.xRow, chunk * C * 4)
  c.addTo(L.oRow, chunk * F * 4)
  c.get(L.u).i32(chunk).i32Add().set(L.u)
  c.br(0)
  c.end()
  c.end()
  // the last partial chunk: (u1 − u) / 4 full tiles, then up to 3 single pixels
  c.get(L.u).get(U1).i32LtS().if_()
  c.get(U1).get(L.u).i32Sub().set(L.i)
  emitStrip(c, L, g, red, 4, out, 'local', 0, activation, fma, () => {
    c.get(L.i).i32(2).i32ShrU().set(L.jc)
  })
  c.get(L.u).get(L.i).i32(-4).i32And().i32Add().set(L.u)
  c.get(L.xRow).get(L.i).i32(-4).i32And().i32(C * 4).i32Mul().i32Add().set(L.xRow)
  c.get(L.oRow).get(L.i).i32(-4).i32And().i32(F * 4).i32Mul().i32Add().set(L.oRow)
  c.block()
  c.loop()
  c.get(L.u).get(U1).i32GeS().brIf(1)
  emitStrip(c, L, g, red, 4, out, 0, 1, activation, fma, () => undefined)
  c.addTo(L.xRow, C * 4)
  c.addTo(L.oRow, F * 4)
  c.get(L.u).i32(1).i32Add().set(L.u)
  c.br(0)
  c.end()
  c.end()
  c.end()
}

/** Emits one depthwise tile of `P` pixels × `nq` channels at (xt, wb, ot) over an NHWC padded input. */
const emitDepthwiseTile = (c: Code, L: Locals, g: ConvGeometry, Lp: PaddedLayout, t: TileShape, out: OutStrides, activation: Activation, fma: boolean): void => {
  const V = t.nq > 4 ? 2 : 1
  const C = g.inChannels
  const acc = (p: number, v: number): number => L.acc[p * 2 + v] as number
  const pixelStep = g.strideWidth * C * 4
  for (let p = 0; p < t.P; p++) for (let v = 0; v < V; v++) c.get(L.wb).v128Load(v * 16).set(acc(p, v))
  c.get(L.xt).set(L.xp)
  c.get(L.wb).i32(WASM_Q * 4).i32Add().set(L.wp)
  if (g.kernelHeight > 1) c.i32(g.kernelHeight).set(L.ka).loop()
  c.get(L.xp).set(L.xq)
  c.i32(g.kernelWidth).set(L.kb).loop()
  for (let v = 0; v < V; v++) c.get(L.wp).v128Load(v * 16).set(L.w[v] as number)
  for (let p = 0; p < t.P; p++) {
    for (let v = 0; v < V; v++) {
      const a = acc(p, v)
      const w = L.w[v] as number
      if (fma) c.get(L.xq).v128Load(p * pixelStep + v * 16).get(w).get(a).f32x4RelaxedMadd().set(a)
      else c.get(a).get(L.xq).v128Load(p * pixelStep + v * 16).get(w).f32x4Mul().f32x4Add().set(a)
    }
  }
  c.addTo(L.xq, g.dilationWidth * C * 4)
  c.addTo(L.wp, WASM_Q * 4)
  c.get(L.kb).i32(1).i32Sub().tee(L.kb).brIf(0).end()
  if (g.kernelHeight > 1) {
    c.addTo(L.xp, g.dilationHeight * Lp.rowSize * 4)
    c.get(L.ka).i32(1).i32Sub().tee(L.ka).brIf(0).end()
  }
  emitStore(c, L, t, out, activation, acc)
}

/**
 * The depthwise kernel's `run` over output rows `[u0, u1)` (one input and one output channel per
 * group, NHWC padded input): 4 pixels × 8 channels per tile, each tap one v128 load of 4
 * neighbouring channels per pixel and vector (no broadcast), weights from the depthwise panels. A
 * partial channel block reads up to 7 values past a pixel's last channel (inside the scratch; those
 * lanes are not stored).
 */
export const depthwiseRowsCode = (g: ConvGeometry, Lp: PaddedLayout, activation: Activation, fma: boolean): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const C = g.inChannels
  const OW = g.outWidth
  const blockBytes = depthwiseBlockSize(g, WASM_Q) * 4
  const fullBlocks = Math.floor(C / WASM_Q)
  const tail = C - fullBlocks * WASM_Q
  const pixelStep = g.strideWidth * C * 4
  const out = outStrides(g)
  emitRows(c, L, g, Lp, () => {
    c.get(L.xRow).set(L.xg)
    c.get(W).set(L.wb)
    c.get(L.oRow).set(L.ob)
    const emitBlock = (nq: number): void => {
      c.get(L.xg).set(L.xt)
      c.get(L.ob).set(L.ot)
      emitTiles(c, L, (P) => emitDepthwiseTile(c, L, g, Lp, { P, nq }, out, activation, fma), pixelStep, out.pixel, Math.floor(OW / WASM_P), OW % WASM_P)
      c.addTo(L.wb, blockBytes)
      c.addTo(L.ob, WASM_Q * out.channel)
      c.addTo(L.xg, WASM_Q * 4)
    }
    if (fullBlocks > 0) {
      if (fullBlocks > 1) c.i32(fullBlocks).set(L.fb).loop()
      emitBlock(WASM_Q)
      if (fullBlocks > 1) c.get(L.fb).i32(1).i32Sub().tee(L.fb).brIf(0).end()
    }
    if (tail > 0) emitBlock(tail)
  })
  return c
}
