/**
 * WebAssembly SIMD code generation for the tiled, pointwise and im2col kernels: one module per compiled
 * geometry. The register tile is 4 output pixels × 8 output channels (8 f32x4 accumulators, 2 weight
 * vectors, 4 broadcast inputs: 14 of V8's 15 usable v128 registers). Every stride of the geometry is
 * a constant: the 4 pixels' inputs are one pointer plus constant load offsets, the weight panel is
 * read front to back. One reduction step per loop body (V8 hoists a body's loads; unrolling spills).
 * The accumulators start at the bias; `relu`/`relu6` are applied before the store.
 *
 * Exported function `run(x, w, o, u0, u1)` (byte addresses in the module's memory; `u0..u1` work
 * units): rows of `batch · outHeight` for the tiled kernel, pixels of `batch · H · W` for pointwise.
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

/** Settings of the reduction loops of one tile. */
interface Reduction {
  /** Window rows (loop count of the outer reduction loop). */
  readonly rows: number
  /** Runs per window row (window columns, or 1 when a row is contiguous). */
  readonly runs: number
  /** Steps per run. */
  readonly runLen: number
  /** Bytes from one run's start to the next, and from one window row's start to the next. */
  readonly runStep: number
  readonly rowStep: number
  /** Bytes between the inputs of neighbouring pixels of the tile. */
  readonly pixelStep: number
  /** Bytes between neighbouring output pixels. */
  readonly outPixel: number
}

/** Applies the fused activation to the tile's accumulators and stores their valid lanes at `ot`. */
const emitStore = (c: Code, L: Locals, t: TileShape, outPixel: number, activation: Activation, acc: (p: number, v: number) => number): void => {
  const V = t.nq > 4 ? 2 : 1
  for (let p = 0; p < t.P; p++) {
    for (let v = 0; v < V; v++) {
      const a = acc(p, v)
      if (activation === 'relu' || activation === 'relu6') {
        c.get(a).v128Zero().f32x4Pmax()
        if (activation === 'relu6') c.f32x4Const(6).f32x4Pmin()
        c.set(a)
      }
      const off = p * outPixel + v * 16
      const lanes = Math.min(4, t.nq - v * 4)
      if (lanes === 4) c.get(L.ot).get(a).v128Store(off)
      else if (lanes === 1) c.get(L.ot).get(a).v128Store32Lane(off, 0)
      else {
        c.get(L.ot).get(a).v128Store64Lane(off, 0)
        if (lanes === 3) c.get(L.ot).get(a).v128Store32Lane(off + 8, 2)
      }
    }
  }
}

/** Emits the accumulate-and-store code of one tile at (xt, wb, ot). */
const emitTile = (c: Code, L: Locals, red: Reduction, t: TileShape, activation: Activation, fma: boolean): void => {
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
  c.addTo(L.xq, 4)
  c.get(L.wp).i32(WASM_Q * 4).i32Add().tee(L.wp).get(L.wend).i32Ne().brIf(0)
  c.end()
  if (runLoop) {
    c.addTo(L.xq, red.runStep - red.runLen * 4)
    c.get(L.kb).i32(1).i32Sub().tee(L.kb).brIf(0).end()
  }
  if (rowLoop) {
    c.addTo(L.xp, red.rowStep)
    c.get(L.ka).i32(1).i32Sub().tee(L.ka).brIf(0).end()
  }
  emitStore(c, L, t, red.outPixel, activation, acc)
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

/**
 * For the current (group, block) at `wb`/`ob` and the tile start pointers `xt`/`ot`: `count` tiles of
 * `WASM_P` pixels (count a local or a constant), then one tile of `rem` pixels.
 */
const emitTiles = (
  c: Code,
  L: Locals,
  red: Reduction,
  nq: number,
  full: number | 'local',
  rem: number,
  activation: Activation,
  fma: boolean
): void => {
  const tilePixels = WASM_P
  const emitFull = (): void => {
    c.loop()
    emitTile(c, L, red, { P: tilePixels, nq }, activation, fma)
    c.addTo(L.xt, tilePixels * red.pixelStep)
    c.addTo(L.ot, tilePixels * red.outPixel)
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
  if (rem > 0) emitTile(c, L, red, { P: rem, nq }, activation, fma)
}

/**
 * Emits, for the group/block loops, the tiles of one strip (an output row, or a pixel chunk) whose
 * first input and output pixels are at `xg` (group 0) and `ob`-relative `oRow`.
 */
const emitStrip = (
  c: Code,
  L: Locals,
  g: ConvGeometry,
  red: Reduction,
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
  // group loop
  c.get(L.xRow).set(L.xg)
  c.get(W).set(L.wb)
  c.get(L.oRow).set(L.ob)
  if (G > 1) c.i32(G).set(L.grp).loop()
  const emitBlock = (nq: number): void => {
    c.get(L.xg).set(L.xt)
    c.get(L.ob).set(L.ot)
    reloadCount()
    emitTiles(c, L, red, nq, full, rem, activation, fma)
    c.addTo(L.wb, blockBytes)
    c.addTo(L.ob, Q * 4)
  }
  if (fullBlocks > 0) {
    if (fullBlocks > 1) c.i32(fullBlocks).set(L.fb).loop()
    emitBlock(Q)
    if (fullBlocks > 1) c.get(L.fb).i32(1).i32Sub().tee(L.fb).brIf(0).end()
  }
  if (tail > 0) emitBlock(tail)
  if (G > 1) {
    // next group: its input channels, its panels (already advanced), its output channels
    c.addTo(L.xg, g.inChannelsPerGroup * 4)
    c.addTo(L.ob, (FG - nfb * Q) * 4)
    c.get(L.grp).i32(1).i32Sub().tee(L.grp).brIf(0).end()
  }
}

/** The tiled kernel's `run` over output rows `[u0, u1)` of `batch · outHeight`. */
export const tiledRowsCode = (g: ConvGeometry, Lp: PaddedLayout, activation: Activation, fma: boolean): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const C = g.inChannels
  const merged = g.dilationWidth === 1 && g.groups === 1
  const red: Reduction = {
    rows: g.kernelHeight,
    runs: merged ? 1 : g.kernelWidth,
    runLen: merged ? g.kernelWidth * C : g.inChannelsPerGroup,
    runStep: g.dilationWidth * C * 4,
    rowStep: g.dilationHeight * Lp.rowSize * 4,
    pixelStep: g.strideWidth * C * 4,
    outPixel: g.outChannels * 4
  }
  const OH = g.outHeight
  const OW = g.outWidth
  const outRowBytes = OW * g.outChannels * 4
  const inRowBytes = g.strideHeight * Lp.rowSize * 4
  const sampleBytes = Lp.sampleSize * 4
  // if (u0 >= u1) return
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  // i = u0 % OH; xRow = x + (u0 / OH)·sample + i·inRow; oRow = o + u0·outRow
  c.get(U0).set(L.u)
  c.get(U0).i32(OH).i32RemU().set(L.i)
  c.get(X).get(U0).i32(OH).i32DivU().i32(sampleBytes).i32Mul().i32Add().get(L.i).i32(inRowBytes).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(outRowBytes).i32Mul().i32Add().set(L.oRow)
  c.loop()
  emitStrip(c, L, g, red, Math.floor(OW / WASM_P), OW % WASM_P, activation, fma, () => undefined)
  // next row
  c.addTo(L.oRow, outRowBytes)
  c.addTo(L.xRow, inRowBytes)
  c.get(L.i).i32(1).i32Add().tee(L.i).i32(OH).i32Eq().if_()
  c.i32(0).set(L.i)
  c.addTo(L.xRow, sampleBytes - OH * inRowBytes)
  c.end()
  c.get(L.u).i32(1).i32Add().tee(L.u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}

/**
 * The pointwise kernel's `run` over pixels `[u0, u1)` of `batch · H · W` (1×1, stride 1: the input is
 * the pixel-major matrix `[pixels, C]`, the output `[pixels, F]`), in chunks of
 * {@link POINTWISE_CHUNK} pixels.
 */
export const pointwiseCode = (g: ConvGeometry, activation: Activation, fma: boolean): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const C = g.inChannels
  const red: Reduction = {
    rows: 1,
    runs: 1,
    runLen: g.inChannelsPerGroup,
    runStep: 0,
    rowStep: 0,
    pixelStep: C * 4,
    outPixel: g.outChannels * 4
  }
  const chunk = POINTWISE_CHUNK
  // u = u0; xRow = x + u0·C·4; oRow = o + u0·F·4
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(L.u)
  c.get(X).get(U0).i32(C * 4).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(g.outChannels * 4).i32Mul().i32Add().set(L.oRow)
  c.block()
  c.loop()
  // a full chunk while u + chunk <= u1
  c.get(L.u).i32(chunk).i32Add().get(U1).i32GtS().brIf(1)
  emitStrip(c, L, g, red, chunk / WASM_P, 0, activation, fma, () => undefined)
  c.addTo(L.xRow, chunk * C * 4)
  c.addTo(L.oRow, chunk * g.outChannels * 4)
  c.get(L.u).i32(chunk).i32Add().set(L.u)
  c.br(0)
  c.end()
  c.end()
  // the last partial chunk: (u1 − u) / 4 full tiles, then up to 3 single pixels
  c.get(L.u).get(U1).i32LtS().if_()
  // i := number of remaining pixels
  c.get(U1).get(L.u).i32Sub().set(L.i)
  emitStrip(c, L, g, red, 'local', 0, activation, fma, () => {
    c.get(L.i).i32(2).i32ShrU().set(L.jc) // jc = i >> 2
  })
  // singles: pixels u + 4·floor(i/4) .. u1
  c.get(L.u).get(L.i).i32(-4).i32And().i32Add().set(L.u) // u += i & ~3
  c.get(L.xRow).get(L.i).i32(-4).i32And().i32(C * 4).i32Mul().i32Add().set(L.xRow)
  c.get(L.oRow).get(L.i).i32(-4).i32And().i32(g.outChannels * 4).i32Mul().i32Add().set(L.oRow)
  c.block()
  c.loop()
  c.get(L.u).get(U1).i32GeS().brIf(1)
  emitStrip(c, L, g, red, 0, 1, activation, fma, () => undefined)
  c.addTo(L.xRow, C * 4)
  c.addTo(L.oRow, g.outChannels * 4)
  c.get(L.u).i32(1).i32Add().set(L.u)
  c.br(0)
  c.end()
  c.end()
  c.end()
  return c
}

/** Emits one depthwise tile of `P` pixels × `nq` channels at (xt, wb, ot). */
const emitDepthwiseTile = (c: Code, L: Locals, g: ConvGeometry, Lp: PaddedLayout, t: TileShape, activation: Activation, fma: boolean): void => {
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
  emitStore(c, L, t, C * 4, activation, acc)
}

/**
 * The depthwise kernel's `run` over output rows `[u0, u1)` (one input and one output channel per
 * group): 4 pixels × 8 channels per tile, each tap one v128 load of 4 neighbouring channels per pixel
 * and vector (no broadcast), weights from the depthwise panels. A partial channel block reads up to 7
 * values past a pixel's last channel (inside the scratch; those lanes are not stored).
 */
export const depthwiseRowsCode = (g: ConvGeometry, Lp: PaddedLayout, activation: Activation, fma: boolean): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const L = declareLocals(c)
  const C = g.inChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const outRowBytes = OW * C * 4
  const inRowBytes = g.strideHeight * Lp.rowSize * 4
  const sampleBytes = Lp.sampleSize * 4
  const blockBytes = depthwiseBlockSize(g, WASM_Q) * 4
  const fullBlocks = Math.floor(C / WASM_Q)
  const tail = C - fullBlocks * WASM_Q
  const pixelStep = g.strideWidth * C * 4
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(L.u)
  c.get(U0).i32(OH).i32RemU().set(L.i)
  c.get(X).get(U0).i32(OH).i32DivU().i32(sampleBytes).i32Mul().i32Add().get(L.i).i32(inRowBytes).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(outRowBytes).i32Mul().i32Add().set(L.oRow)
  c.loop()
  c.get(L.xRow).set(L.xg)
  c.get(W).set(L.wb)
  c.get(L.oRow).set(L.ob)
  const emitBlock = (nq: number): void => {
    c.get(L.xg).set(L.xt)
    c.get(L.ob).set(L.ot)
    const full = Math.floor(OW / WASM_P)
    if (full > 0) {
      c.i32(full).set(L.jc).loop()
      emitDepthwiseTile(c, L, g, Lp, { P: WASM_P, nq }, activation, fma)
      c.addTo(L.xt, WASM_P * pixelStep)
      c.addTo(L.ot, WASM_P * C * 4)
      c.get(L.jc).i32(1).i32Sub().tee(L.jc).brIf(0).end()
    }
    if (OW % WASM_P > 0) emitDepthwiseTile(c, L, g, Lp, { P: OW % WASM_P, nq }, activation, fma)
    c.addTo(L.wb, blockBytes)
    c.addTo(L.ob, WASM_Q * 4)
    c.addTo(L.xg, WASM_Q * 4)
  }
  if (fullBlocks > 0) {
    if (fullBlocks > 1) c.i32(fullBlocks).set(L.fb).loop()
    emitBlock(WASM_Q)
    if (fullBlocks > 1) c.get(L.fb).i32(1).i32Sub().tee(L.fb).brIf(0).end()
  }
  if (tail > 0) emitBlock(tail)
  c.addTo(L.oRow, outRowBytes)
  c.addTo(L.xRow, inRowBytes)
  c.get(L.i).i32(1).i32Add().tee(L.i).i32(OH).i32Eq().if_()
  c.i32(0).set(L.i)
  c.addTo(L.xRow, sampleBytes - OH * inRowBytes)
  c.end()
  c.get(L.u).i32(1).i32Add().tee(L.u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}
