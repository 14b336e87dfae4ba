/**
 * WebAssembly SIMD code generation for the Winograd F(2×2, 3×3) kernel (see ../winograd.ts for the
 * algebra): one module per compiled geometry, every size and stride a constant.
 *
 * `run(x, w, o, u0, u1, s)` computes tile rows `[u0, u1)` of `batch · ⌈OH/2⌉` (each two output rows)
 * from the padded input at `x` (`winogradLayout(g, 4, channels_first)`) and the Winograd panels at
 * `w` into the output at `o` (in the layer's data format), with this thread's scratch at `s`
 * ({@link winogradScratchBytes}). Along a tile row, tiles go in groups of 4 (8 output columns), and
 * the groups of consecutive tile rows (across samples too) in batches of up to
 * {@link winogradBatch} (4, or 32 with big weights), listed in a small table in the scratch; per batch:
 *
 * 1. input transform: the group's four 4×4 windows, `CB = min(C, 128)` channels at a time, into
 *    `V[16][CB][4]` (f32x4 lanes: NHWC transforms 4 channels of one tile per vector and stores
 *    `V[p][t][c]`; NCHW transforms one channel of the 4 tiles per vector, the 4 windows' columns
 *    picked out of one row of 10 values by even/odd shuffles, and stores `V[p][c][t]`);
 * 2. for each block of 8 output channels, each of the 16 positions and each group of the batch,
 *    the product `V[p] · U[p]` (the position's weights, ≤ 4 KB, read from memory for the batch's
 *    first group and from L1 for the others) with the tiled kernel's register tile (4 tiles × 8 channels: 8 f32x4 accumulators, 2 weight
 *    vectors, 4 broadcast inputs; one reduction step per loop body) into `M[16][4][8]` (NCHW: each
 *    4 tiles × 4 channels transposed in registers to `M[16][8][4]`, lanes = tiles);
 * 3. per group, output transform `Aᵀ M A` + bias (+ relu/relu6), stored straight into the output: NHWC 4
 *    channels of one output pixel per vector; NCHW 4 tiles' outputs of one channel, interleaved into
 *    8 consecutive columns. Columns and rows past the output (odd sizes, the last group) are not
 *    stored.
 *
 * With more than 128 input channels the channels go in chunks, the products accumulating in `M`,
 * which then holds 8 blocks of output channels (64 channels) so that each chunk's transform serves
 * all 8; the input transform is redone once per 64 output channels. The scratch stays fixed: per
 * thread and group of a batch `V` (≤ 16·128·4 floats, 32 KB) and `M` (512 floats, 2 KB; 16 KB when
 * chunked), ≤ 136 KB (192 KB) in all for a batch of 4 groups, 1.5 MB for one of 32.
 *
 * Why batches: one group's products read every transformed weight once (16·C·F values: 1.2-3.7 MB
 * for 120-240 channels), which at 8-32 pixels a row came from L3 or memory for every 4 tiles — the
 * layers ran at 60-85 GFLOP/s on one thread, and two threads (each streaming all weights for its
 * half of the rows) gained 1.15-1.4×. A batch of 4 groups reads them once per 16 tiles; past
 * {@link WINOGRAD_BIG_PANELS} bytes of weights (C·F > 65536: VGG's 512-channel stages) a batch
 * holds {@link WASM_WINOGRAD_BIG_BATCH} groups ({@link winogradBatch}).
 */
import type { Activation } from '../../codec/Activation.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { winogradBlockSize, winogradTiles, WINOGRAD_POSITIONS } from '../winograd.js'
import { Code, I32, V128 } from './encoder.js'

/** Tiles per group (one register tile: 4 tiles × 8 output channels). */
export const WASM_WINOGRAD_GROUP = 4
/** Output channels per panel. */
export const WASM_WINOGRAD_Q = 8
/** Input channels transformed at a time. */
export const WASM_WINOGRAD_CHUNK = 128
/**
 * Groups of tiles (of one tile row or of consecutive ones) whose products share each weight panel
 * as it is read: the transformed weights (16·C·F values, 1-4 MB for 120-256 channels) are streamed
 * from memory once per batch of groups instead of once per group.
 */
export const WASM_WINOGRAD_BATCH = 4
/**
 * Groups of a batch when the transformed weights are larger than {@link WINOGRAD_BIG_PANELS}: they
 * no longer stay in this VM's share of L3 between batches and come from memory each time, so a batch
 * serves 32 groups (128 tiles) per pass over them, with 1.5 MB of `V` and `M` scratch a thread.
 * Measured (one thread, one process, alternating 40 ms blocks, batch 4 → 8 → 16 → 32): 28×28×384→384
 * 48.3 → 41.2 → 37.5 → 34.0 ms, 28×28×256→512 36.3 → 30.9 → 27.4 → 24.9, 14×14×512→512 at batch 8
 * 147 → 118 → 104 → 99; at 4 MB of weights or less no gain (28×28×256→256 12.3 / 13.1 / 13.2 / 12.3,
 * 56×56×256→256 37.6 / 39.1 / 40.9 at 4 / 8 / 16) and none below. Whole VGG16 (`H.json`, 224×224,
 * batch 1, six such layers), old ÷ new in one process: one thread 437 → 362 and 431 → 353 ms, two
 * threads 259 → 207 and 275 → 220 ms.
 */
export const WASM_WINOGRAD_BIG_BATCH = 32
/** Bytes of transformed weights (16·C·F floats) past which a batch holds {@link WASM_WINOGRAD_BIG_BATCH} groups: 4 MiB. */
export const WINOGRAD_BIG_PANELS = 4 * 1024 * 1024

const P = WINOGRAD_POSITIONS
const T = WASM_WINOGRAD_GROUP
const Q = WASM_WINOGRAD_Q

/** Channels per chunk, and the V row stride (channels rounded up to whole vectors). */
const chunking = (g: ConvGeometry): { readonly CB: number; readonly CS: number; readonly chunks: number } => {
  const CB = Math.min(g.inChannels, WASM_WINOGRAD_CHUNK)
  return { CB, CS: Math.ceil(CB / 4) * 4, chunks: Math.ceil(g.inChannels / CB) }
}

/** Bytes of the transformed-input scratch `V` of one thread. */
const vBytes = (g: ConvGeometry): number => P * T * chunking(g).CS * 4
/** Bytes of the products of one block of output channels (`M[16][4][8]`). */
const M_BYTES = P * T * Q * 4
/**
 * Blocks of output channels whose products are kept at once: 1 when the input channels fit one chunk
 * (the group's input transform is done once, before all blocks); with more channels, 8 blocks (64
 * output channels), so that each chunk's transform serves 8 blocks instead of one.
 */
const superBlock = (g: ConvGeometry): number => (chunking(g).chunks === 1 ? 1 : 8)

/** Bytes of one group's products (`M`, all blocks of a superblock). */
const mBytes = (g: ConvGeometry): number => superBlock(g) * M_BYTES
/**
 * Groups per batch for a geometry: {@link WASM_WINOGRAD_BATCH}, or {@link WASM_WINOGRAD_BIG_BATCH}
 * when its transformed weights (16·C·F floats) pass {@link WINOGRAD_BIG_PANELS}.
 */
export const winogradBatch = (g: ConvGeometry): number =>
  P * g.inChannels * g.outChannels * 4 > WINOGRAD_BIG_PANELS ? WASM_WINOGRAD_BIG_BATCH : WASM_WINOGRAD_BATCH

/**
 * The fewest tile rows a chunk of a split call should hold: with big weights (batches of
 * {@link WASM_WINOGRAD_BIG_BATCH}), as many as one batch of groups covers, so that each thread
 * streams the weights once per batch, not once per small chunk (VGG16 two threads with this as the
 * chunks' floor, against without: 288 → 273 ms); otherwise 1 — the guided chunks' balancing is
 * worth more there (one chunk per thread: densenet121 b1 two threads 1.38 → 1.31×).
 */
export const winogradMinChunk = (g: ConvGeometry): number =>
  winogradBatch(g) > WASM_WINOGRAD_BATCH ? Math.max(1, Math.floor(winogradBatch(g) / Math.ceil(winogradTiles(g).cols / T))) : 1

/** Bytes of the batch's table: per group its input and output addresses and flags (16 bytes). */
const tableBytes = (g: ConvGeometry): number => winogradBatch(g) * 16

/**
 * Where, in a thread's scratch, `run` keeps its finite lanes: 4 floats into which it ORs `v · 0` of
 * every vector it stores (the non-finite check of kernel/finite.ts, done on values still in
 * registers): each lane stays ±0 while every value stored through it is finite and becomes NaN
 * otherwise. `run` reads them (to OR into): the caller zeroes them before a call and reads them
 * after, each thread's, instead of scanning the output.
 */
export const winogradFiniteLanes = (g: ConvGeometry): number => winogradBatch(g) * (vBytes(g) + mBytes(g)) + tableBytes(g)

/**
 * Scratch bytes one thread needs: `V` and `M` for each group of a batch, the batch's table, then
 * the finite lanes ({@link winogradFiniteLanes}): at most 4 · (32 KB + 2 KB) + 80 B, or
 * 4 · (32 KB + 16 KB) + 80 B past 128 input channels (32 groups, 1.5 MB, with big weights: {@link winogradBatch}).
 */
export const winogradScratchBytes = (g: ConvGeometry): number => winogradFiniteLanes(g) + 16

/** Work units of a batch: tile rows. */
export const winogradUnits = (g: ConvGeometry, batch: number): number => batch * winogradTiles(g).rows

/** The first output row (of `batch · outHeight`) of work unit `u`. */
export const winogradRowOfUnit = (g: ConvGeometry, u: number): number => {
  const rows = winogradTiles(g).rows
  const n = Math.floor(u / rows)
  return n * g.outHeight + 2 * (u - n * rows)
}

// parameters of run(x, w, o, u0, u1, s)
const X = 0
const W = 1
const O = 2
const U0 = 3
const U1 = 4
const S = 5

/** i32x4 lane shuffles of two vectors (lanes 0-3: a, 4-7: b) as an i8x16.shuffle. */
const lanes32 = (l: readonly [number, number, number, number]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3])

interface Locals {
  readonly u: number
  readonly i: number
  readonly xRow: number
  readonly oRow: number
  readonly xg: number
  readonly ob: number
  readonly wb: number
  readonly wq: number
  readonly mq: number
  readonly oq: number
  readonly bk: number
  readonly fb: number
  readonly row1: number
  readonly xp: number
  readonly vp: number
  readonly kc: number
  readonly kt: number
  readonly pc: number
  readonly xq: number
  readonly wp: number
  readonly wend: number
  readonly mp: number
  readonly vb: number
  readonly gn: number
  readonly ek: number
  readonly tp: number
  readonly gi: number
  readonly vg: number
  readonly mg: number
  readonly wr: number
  readonly bo: number
  readonly mb: number
  readonly acc: ReadonlyArray<number>
  readonly s: ReadonlyArray<number>
  readonly w: ReadonlyArray<number>
  readonly e: ReadonlyArray<number>
  /** The finite lanes of this call (ORed into the scratch's at the end). */
  readonly fin: number
}

/** Stores the first `lanes` lanes of `vec` at `ptr + off`. */
const storeLanes = (c: Code, ptr: number, vec: () => void, off: number, lanes: number): void => {
  if (lanes <= 0) return
  if (lanes >= 4) {
    c.get(ptr)
    vec()
    c.v128Store(off)
    return
  }
  if (lanes >= 2) {
    c.get(ptr)
    vec()
    c.v128Store64Lane(off, 0)
  }
  if (lanes === 1 || lanes === 3) {
    c.get(ptr)
    vec()
    c.v128Store32Lane(off + (lanes - 1) * 4, lanes - 1)
  }
}

/**
 * The Winograd kernel's `run` for a geometry `winogradCovers` accepts, reading the padded layout
 * `Lp` (= `winogradLayout(g, 4, g.dataFormat === 'channels_first')`).
 */
export const winogradCode = (g: ConvGeometry, Lp: PaddedLayout, activation: Activation, fma: boolean): Code => {
  const c = new Code([I32, I32, I32, I32, I32, I32])
  const i32 = (): number => c.local(I32)
  const v128 = (): number => c.local(V128)
  const L: Locals = {
    u: i32(), i: i32(), xRow: i32(), oRow: i32(), xg: i32(), ob: i32(), wb: i32(), wq: i32(), mq: i32(), oq: i32(), bk: i32(),
    fb: i32(), row1: i32(),
    xp: i32(), vp: i32(), kc: i32(), kt: i32(), pc: i32(), xq: i32(), wp: i32(), wend: i32(), mp: i32(),
    vb: i32(), gn: i32(), ek: i32(), tp: i32(), gi: i32(), vg: i32(), mg: i32(), wr: i32(), bo: i32(), mb: i32(),
    acc: Array.from({ length: 8 }, v128),
    s: Array.from({ length: 4 }, v128),
    w: Array.from({ length: 2 }, v128),
    e: Array.from({ length: 4 }, v128),
    fin: v128()
  }
  const nchw = Lp.nchw
  const C = g.inChannels
  const F = g.outChannels
  const OH = g.outHeight
  const OW = g.outWidth
  const tiles = winogradTiles(g)
  const { CB, CS, chunks } = chunking(g)
  const VB = vBytes(g)
  const MG = mBytes(g)
  const B = winogradBatch(g)
  const M_AT = B * VB // the batch's M, after its V
  const TABLE_AT = B * (VB + MG)
  const FIN_AT = winogradFiniteLanes(g)
  const posV = T * CS * 4 // bytes from one position's V to the next
  const rowBytes = Lp.rowSize * 4
  const pixelBytes = Lp.pixel * 4
  const channelBytes = Lp.channel * 4
  const sampleBytes = Lp.sampleSize * 4
  // output: NHWC pixels F·4 apart, channels 4; NCHW pixels 4 apart, channels a plane apart
  const outPixel = nchw ? 4 : F * 4
  const outChannel = nchw ? OH * OW * 4 : 4
  const outRow = OW * outPixel
  const outSample = g.outputSize * 4
  const panelBytes = winogradBlockSize(g, Q) * 4
  const fullBlocks = Math.floor(F / Q)
  const tailQ = F - fullBlocks * Q
  const fullGroups = Math.floor(OW / (2 * T))
  const lastCols = OW - fullGroups * 2 * T // valid columns of a last, partial group (0: none)

  const activate = (v: number): void => {
    if (activation === 'relu' || activation === 'relu6') {
      c.get(v).v128Zero().f32x4Pmax()
      if (activation === 'relu6') c.f32x4Const(6).f32x4Pmin()
      c.set(v)
    }
  }

  // ---------------------------------------------------------------------------------
  // 1. input transform of channels [c0, c0 + n) of the group at xg into its V (at vb)
  // ---------------------------------------------------------------------------------
  // row combinations of Bᵀ: output row i = row a (+|−) row b
  const ROWS: ReadonlyArray<readonly [number, number, boolean]> = [
    [0, 2, false],
    [1, 2, true],
    [2, 1, false],
    [1, 3, false]
  ]
  /** e[0..3] (the 4 columns of one row of Bᵀ d) → V[i][0..3] at vp + off(j). */
  const columnsToV = (i: number, off: (j: number) => number): void => {
    const [e0, e1, e2, e3] = L.e as [number, number, number, number]
    const cols: ReadonlyArray<readonly [number, number, boolean]> = [
      [e0, e2, false],
      [e1, e2, true],
      [e2, e1, false],
      [e1, e3, false]
    ]
    cols.forEach(([a, b, add], j) => {
      c.get(L.vp).get(a).get(b)
      if (add) c.f32x4Add()
      else c.f32x4Sub()
      c.v128Store(off(4 * i + j))
    })
  }

  const emitTransform = (c0: number, n: number): void => {
    if (!nchw) {
      // per tile, per 4 channels: 16 vectors of the window → 16 of V[p][t][c..c+3]
      const groupsOf4 = Math.ceil(n / 4)
      c.get(L.xg).i32(c0 * 4).i32Add().set(L.xq)
      c.get(L.vb).set(L.wp) // V row of tile 0 (wp doubles as the V tile pointer here)
      c.i32(T).set(L.kt).loop()
      c.get(L.xq).set(L.xp)
      c.get(L.wp).set(L.vp)
      c.i32(groupsOf4).set(L.kc).loop()
      ROWS.forEach(([a, b, add], i) => {
        for (let j = 0; j < 4; j++) {
          c.get(L.xp).v128Load(a * rowBytes + j * pixelBytes)
          c.get(L.xp).v128Load(b * rowBytes + j * pixelBytes)
          if (add) c.f32x4Add()
          else c.f32x4Sub()
          c.set(L.e[j] as number)
        }
        columnsToV(i, (p) => p * posV)
      })
      c.addTo(L.xp, 16)
      c.addTo(L.vp, 16)
      c.get(L.kc).i32(1).i32Sub().tee(L.kc).brIf(0).end()
      c.addTo(L.xq, 2 * pixelBytes)
      c.addTo(L.wp, CS * 4)
      c.get(L.kt).i32(1).i32Sub().tee(L.kt).brIf(0).end()
      return
    }
    // NCHW: per channel, the 4 tiles' windows as lanes: columns 0..9 of the group's rows
    c.get(L.xg).i32(c0 * channelBytes).i32Add().set(L.xp)
    c.get(L.vb).set(L.vp)
    c.i32(n).set(L.kc).loop()
    const even = lanes32([0, 2, 4, 6])
    const odd = lanes32([1, 3, 5, 7])
    ROWS.forEach(([a, b, add], i) => {
      // raw row combination at column offsets 0, 4, 2, 6 (floats), then the 4 window columns
      const raw = (k: number): void => {
        c.get(L.xp).v128Load(a * rowBytes + k * 4)
        c.get(L.xp).v128Load(b * rowBytes + k * 4)
        if (add) c.f32x4Add()
        else c.f32x4Sub()
      }
      const [r0, r4, r2, r6] = L.s as [number, number, number, number]
      raw(0)
      c.set(r0)
      raw(4)
      c.set(r4)
      raw(2)
      c.set(r2)
      raw(6)
      c.set(r6)
      c.get(r0).get(r4).i8x16Shuffle(even).set(L.e[0] as number)
      c.get(r0).get(r4).i8x16Shuffle(odd).set(L.e[1] as number)
      c.get(r2).get(r6).i8x16Shuffle(even).set(L.e[2] as number)
      c.get(r2).get(r6).i8x16Shuffle(odd).set(L.e[3] as number)
      columnsToV(i, (p) => p * posV)
    })
    c.addTo(L.xp, channelBytes)
    c.addTo(L.vp, 16)
    c.get(L.kc).i32(1).i32Sub().tee(L.kc).brIf(0).end()
  }

  // ---------------------------------------------------------------------------------
  // 2. the 16 products of chunk [c0, c0 + n) for the block at wq, for each of the batch's gn groups
  //    (V at S + k·VB) into their M (at mq + k·MG): each position's weights (n·8 values, ≤ 4 KB)
  //    are read from memory for the first group and from L1 for the others
  // ---------------------------------------------------------------------------------
  const acc = (t: number, v: number): number => L.acc[t * 2 + v] as number
  const emitProducts = (c0: number, n: number, first: boolean, last: boolean, nv: number): void => {
    // V: NHWC V[p][t][c] (tile t at t·CS·4, channel step 4); NCHW V[p][c][t] (tile t at t·4, channel step 16)
    const tileStep = nchw ? 4 : CS * 4
    const step = nchw ? 16 : 4
    c.get(S).set(L.vp)
    c.get(L.wq).i32(Q * 4 + c0 * Q * 4).i32Add().set(L.wp)
    c.get(L.mq).set(L.mp)
    c.i32(P).set(L.pc).loop()
    c.get(L.vp).set(L.vg)
    c.get(L.mp).set(L.mg)
    c.get(L.wp).i32(n * Q * 4).i32Add().set(L.wend)
    c.get(L.gn).set(L.ek).loop()
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < nv; v++) {
        if (first) c.v128Zero().set(acc(t, v))
        else c.get(L.mg).v128Load((t * Q + v * 4) * 4).set(acc(t, v))
      }
    }
    c.get(L.vg).set(L.xq)
    c.get(L.wp).set(L.wr)
    c.loop()
    for (let v = 0; v < nv; v++) c.get(L.wr).v128Load(v * 16).set(L.w[v] as number)
    for (let t = 0; t < T; t++) c.get(L.xq).v128Load32Splat(t * tileStep).set(L.s[t] as number)
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < nv; v++) {
        const a = acc(t, v)
        if (fma) c.get(L.s[t] as number).get(L.w[v] as number).get(a).f32x4RelaxedMadd().set(a)
        else c.get(a).get(L.s[t] as number).get(L.w[v] as number).f32x4Mul().f32x4Add().set(a)
      }
    }
    c.addTo(L.xq, step)
    c.get(L.wr).i32(Q * 4).i32Add().tee(L.wr).get(L.wend).i32Ne().brIf(0)
    c.end()
    if (nchw && last) {
      // M[p][f][t]: 4 tiles × 4 channels transposed (lanes = tiles)
      for (let v = 0; v < nv; v++) {
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
        rows.forEach(([a, b, sh], k) => {
          c.get(L.mg).get(a).get(b).i8x16Shuffle(lanes32(sh)).v128Store((v * 4 + k) * 16)
        })
      }
    } else {
      for (let t = 0; t < T; t++) for (let v = 0; v < nv; v++) c.get(L.mg).get(acc(t, v)).v128Store((t * Q + v * 4) * 4)
    }
    c.addTo(L.vg, VB)
    c.addTo(L.mg, MG)
    c.get(L.ek).i32(1).i32Sub().tee(L.ek).brIf(0)
    c.end()
    c.addTo(L.vp, posV)
    // the next position's panel starts C·Q values after this one's
    c.addTo(L.wp, C * Q * 4)
    c.addTo(L.mp, T * Q * 4)
    c.get(L.pc).i32(1).i32Sub().tee(L.pc).brIf(0).end()
  }

  // ---------------------------------------------------------------------------------
  // 3. output transform of M into the output at ob (+ bias at wb)
  // ---------------------------------------------------------------------------------
  /** s[j] = row i of Aᵀ M for column j, with m(r, j) loading M[4r + j] of the current vector. */
  const aRows = (i: number, m: (p: number) => void): void => {
    for (let j = 0; j < 4; j++) {
      if (i === 0) {
        m(j)
        m(4 + j)
        c.f32x4Add()
        m(8 + j)
        c.f32x4Add()
      } else {
        m(4 + j)
        m(8 + j)
        c.f32x4Sub()
        m(12 + j)
        c.f32x4Sub()
      }
      c.set(L.s[j] as number)
    }
  }
  const [s0, s1, s2, s3] = L.s as [number, number, number, number]
  const [y0, y1] = L.w as [number, number]
  /** y0 = s0 + s1 + s2 + bias, y1 = s1 − s2 − s3 + bias (bias pushed by `bias()`), activated. */
  const aCols = (bias: () => void): void => {
    c.get(s0).get(s1).f32x4Add().get(s2).f32x4Add()
    bias()
    c.f32x4Add().set(y0)
    c.get(s1).get(s2).f32x4Sub().get(s3).f32x4Sub()
    bias()
    c.f32x4Add().set(y1)
    activate(y0)
    activate(y1)
  }
  /** Emits `body` for output rows 0 and 1 of the tile row (row 1 only where it exists). */
  const forRows = (body: (i: number) => void): void => {
    body(0)
    if (OH % 2 === 0) body(1)
    else {
      c.get(L.row1).if_()
      body(1)
      c.end()
    }
  }
  /** Stores the first `lanes` lanes of `vec` at `oq + off` and ORs them (times 0) into the finite lanes. */
  const store = (vec: () => void, off: number, lanes: number): void => {
    if (lanes <= 0) return
    storeLanes(c, L.oq, vec, off, lanes)
    c.get(L.fin)
    vec()
    if (lanes < 4) c.v128Zero().i8x16Shuffle(lanes32([0, 1, 2, 3].map((k) => (k < lanes ? k : 4)) as [number, number, number, number]))
    c.f32x4Const(0).f32x4Mul().v128Or().set(L.fin)
  }
  const emitOutput = (nq: number, cols: number): void => {
    c.get(L.mq).set(L.mp)
    if (!nchw) {
      const nv = nq > 4 ? 2 : 1
      for (let t = 0; t < T && 2 * t < cols; t++) {
        const col1 = 2 * t + 1 < cols
        for (let v = 0; v < nv; v++) {
          const lanes = Math.min(4, nq - 4 * v)
          const m = (p: number): void => {
            c.get(L.mp).v128Load(((p * T + t) * Q + v * 4) * 4)
          }
          forRows((i) => {
            aRows(i, m)
            aCols(() => c.get(L.wq).v128Load(v * 16))
            const off = i * outRow + 2 * t * outPixel + v * 16
            store(() => c.get(y0), off, lanes)
            if (col1) store(() => c.get(y1), off + outPixel, lanes)
          })
        }
      }
      return
    }
    for (let f = 0; f < nq; f++) {
      const m = (p: number): void => {
        c.get(L.mp).v128Load(((p * Q + f) * T) * 4)
      }
      forRows((i) => {
        aRows(i, m)
        aCols(() => c.get(L.wq).v128Load32Splat(f * 4))
        // interleave the tiles' two columns: (t0c0 t0c1 t1c0 t1c1) (t2c0 t2c1 t3c0 t3c1)
        const off = f * outChannel + i * outRow
        store(() => c.get(y0).get(y1).i8x16Shuffle(lanes32([0, 4, 1, 5])), off, Math.min(4, cols))
        store(() => c.get(y0).get(y1).i8x16Shuffle(lanes32([2, 6, 3, 7])), off + 16, Math.min(4, cols - 4))
      })
    }
  }

  // ---------------------------------------------------------------------------------
  // a batch of gn groups (4 tiles each), listed in the table at S + TABLE_AT (16 bytes a group:
  // padded-input address, output address, flags: 1 = the row's last, partial group, 2 = the tile
  // row's second output row exists): every block of output channels, in superblocks
  // ---------------------------------------------------------------------------------
  const SB = superBlock(g)
  const PARTIAL = 1
  const ROW1 = 2
  /** Runs `body` for `count` consecutive blocks (a loop when more than one), advancing wq, mq (and oq). */
  const forBlocks = (count: number, withOut: boolean, body: () => void): void => {
    if (count === 0) return
    if (count > 1) c.i32(count).set(L.bk).loop()
    body()
    if (count > 1) {
      c.addTo(L.wq, panelBytes)
      c.addTo(L.mq, M_BYTES)
      if (withOut) c.addTo(L.oq, Q * outChannel)
      c.get(L.bk).i32(1).i32Sub().tee(L.bk).brIf(0).end()
    }
  }
  /** Runs `body` once per group of the batch, with tp at its table entry. */
  const forEntries = (body: () => void, advance: () => void): void => {
    c.get(S).i32(TABLE_AT).i32Add().set(L.tp)
    c.get(L.gn).set(L.ek).loop()
    body()
    c.addTo(L.tp, 16)
    advance()
    c.get(L.ek).i32(1).i32Sub().tee(L.ek).brIf(0)
    c.end()
  }
  /** Input transform of channels [c0, c0 + n) of every group of the batch into its V. */
  const emitTransforms = (c0: number, n: number): void => {
    c.get(S).set(L.vb)
    forEntries(
      () => {
        c.get(L.tp).i32Load(0).set(L.xg)
        emitTransform(c0, n)
      },
      () => c.addTo(L.vb, VB)
    )
  }
  /** `full` blocks of 8 channels and, when `tail`, the last partial block, from wb / bo on. */
  const emitSuper = (full: number, tail: boolean): void => {
    const blocks = full + (tail ? 1 : 0)
    const toTail = (withOut: boolean): void => {
      // a loop over 2+ blocks leaves wq/mq (and oq) past its last block, at the tail; one block does not move them
      if (full === 1) {
        c.addTo(L.wq, panelBytes)
        c.addTo(L.mq, M_BYTES)
        if (withOut) c.addTo(L.oq, Q * outChannel)
      }
    }
    for (let k = 0; k < chunks; k++) {
      const c0 = k * CB
      const n = Math.min(CB, C - c0)
      if (chunks > 1) emitTransforms(c0, n)
      c.get(L.wb).set(L.wq)
      c.get(S).i32(M_AT).i32Add().set(L.mq)
      forBlocks(full, false, () => emitProducts(c0, n, k === 0, k === chunks - 1, 2))
      if (tail) {
        toTail(false)
        emitProducts(c0, n, k === 0, k === chunks - 1, tailQ > 4 ? 2 : 1)
      }
    }
    // output transforms, group by group
    const outputs = (cols: number): void => {
      c.get(L.wb).set(L.wq)
      c.get(L.mb).set(L.mq)
      c.get(L.ob).set(L.oq)
      forBlocks(full, true, () => emitOutput(Q, cols))
      if (tail) {
        toTail(true)
        emitOutput(tailQ, cols)
      }
    }
    c.get(S).i32(M_AT).i32Add().set(L.mb)
    forEntries(
      () => {
        c.get(L.tp).i32Load(4).get(L.bo).i32Add().set(L.ob)
        if (OH % 2 === 1) c.get(L.tp).i32Load(8).i32(ROW1).i32And().set(L.row1)
        if (fullGroups > 0 && lastCols > 0) {
          c.get(L.tp).i32Load(8).i32(PARTIAL).i32And().if_()
          outputs(lastCols)
          c.else_()
          outputs(2 * T)
          c.end()
        } else outputs(fullGroups > 0 ? 2 * T : lastCols)
      },
      () => c.addTo(L.mb, MG)
    )
    c.addTo(L.wb, blocks * panelBytes)
    c.addTo(L.bo, blocks * Q * outChannel)
  }
  const emitBatch = (): void => {
    if (chunks === 1) emitTransforms(0, C)
    c.get(W).set(L.wb)
    c.i32(0).set(L.bo)
    const supers = Math.floor(fullBlocks / SB)
    if (supers > 0) {
      if (supers > 1) c.i32(supers).set(L.fb).loop()
      emitSuper(SB, false)
      if (supers > 1) c.get(L.fb).i32(1).i32Sub().tee(L.fb).brIf(0).end()
    }
    const rest = fullBlocks - supers * SB
    if (rest > 0 || tailQ > 0) emitSuper(rest, tailQ > 0)
  }

  // ---------------------------------------------------------------------------------
  // tile rows [u0, u1): their groups, in batches of up to B (a batch may span tile rows)
  // ---------------------------------------------------------------------------------
  const NT = tiles.rows
  const inTileRow = 2 * rowBytes
  const outTileRow = 2 * outRow
  const perRow = fullGroups + (lastCols > 0 ? 1 : 0)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.v128Zero().set(L.fin)
  c.get(U0).set(L.u)
  c.get(U0).i32(NT).i32RemU().set(L.i)
  c.get(X).get(U0).i32(NT).i32DivU().i32(sampleBytes).i32Mul().i32Add().get(L.i).i32(inTileRow).i32Mul().i32Add().set(L.xRow)
  c.get(O).get(U0).i32(NT).i32DivU().i32(outSample).i32Mul().i32Add().get(L.i).i32(outTileRow).i32Mul().i32Add().set(L.oRow)
  c.i32(0).set(L.gi)
  c.loop()
  // fill the table with the next groups (up to B, while tile rows remain)
  c.get(S).i32(TABLE_AT).i32Add().set(L.tp)
  c.i32(0).set(L.gn)
  c.loop()
  c.get(L.tp).get(L.xRow).get(L.gi).i32(2 * T * pixelBytes).i32Mul().i32Add().i32Store(0)
  c.get(L.tp).get(L.oRow).get(L.gi).i32(2 * T * outPixel).i32Mul().i32Add().i32Store(4)
  c.get(L.tp)
  c.get(L.gi).i32(fullGroups).i32Eq() // PARTIAL (never true without a partial group)
  if (OH % 2 === 1) c.get(L.i).i32(NT - 1).i32Ne().i32(ROW1).i32Mul()
  else c.i32(ROW1)
  c.i32Add().i32Store(8)
  c.addTo(L.tp, 16)
  c.addTo(L.gn, 1)
  c.get(L.gi).i32(1).i32Add().tee(L.gi).i32(perRow).i32Eq().if_()
  c.i32(0).set(L.gi)
  c.addTo(L.oRow, outTileRow)
  c.addTo(L.xRow, inTileRow)
  c.get(L.i).i32(1).i32Add().tee(L.i).i32(NT).i32Eq().if_()
  c.i32(0).set(L.i)
  c.addTo(L.xRow, sampleBytes - NT * inTileRow)
  c.addTo(L.oRow, outSample - NT * outTileRow)
  c.end()
  c.addTo(L.u, 1)
  c.end()
  c.get(L.gn).i32(B).i32LtS().get(L.u).get(U1).i32LtS().i32And().brIf(0)
  c.end()
  emitBatch()
  c.get(L.u).get(U1).i32LtS().brIf(0)
  c.end()
  // this call's finite lanes into the thread's
  c.get(S).get(S).v128Load(FIN_AT).get(L.fin).v128Or().v128Store(FIN_AT)
  return c
}
