/**
 * WebAssembly SIMD code for window pooling (MaxPooling2D, AveragePooling2D) and global pooling
 * (GlobalMaxPooling2D, GlobalAveragePooling2D), after XNNPACK's pooling kernels
 * (../shared/docs/model-compiler-notes.md §1.7) but with Keras's semantics exactly, as the reference
 * computes them (src/layers/spatial/pooling.ts):
 *
 * - Only in-bounds taps are read: `same` max ignores the padding, `same` average divides by the count
 *   of in-bounds taps. Each output row's window rows and each output column's window columns are
 *   known when the code is generated (a column's clip is the same for every row; a row's depends on
 *   the row only), so every window shape that occurs gets its own straight-line code.
 * - Max: `pmax(m, v)` = `m < v ? v : m` in the reference's tap order (rows, then columns), which keeps
 *   the first of equal values (−0 before +0) as the reference's `v > m` does. A NaN tap must win: a
 *   running float32 sum of the taps is NaN when one is (or when +∞ meets −∞), tested once per output
 *   vector; only then are the taps scanned again for NaN lanes (rare), which become NaN.
 * - Average: the taps' float64 sum from +0 in the reference's order, divided by the count in float64
 *   and rounded once: the reference's value bit for bit.
 *
 * Layouts: channels-last pools vectors across channels (taps are constant offsets from the window's
 * first in-bounds pixel); channels-first pools 4 neighbouring output columns per vector (a tap is one
 * load for stride 1, two loads and a shuffle for stride 2, a 4-lane gather otherwise) and clipped
 * columns one at a time. Global pooling sums or maxes 16 channels per unit across all pixels
 * (channels-last) or 4 planes lane by lane (channels-first), each lane in the reference's order.
 *
 * Functions (byte addresses; `d…` one byte distance `operand − o` per fused add):
 * - `pool(o, x, d…, u0, u1)`: output rows `[u0, u1)` of `batch · OH` (channels-last) or
 *   `batch · C · OH` (channels-first);
 * - `gpool(o, x, d…, u0, u1)`: units `[u0, u1)` of `batch · ⌈C/16⌉` (channels-last: 16 channels of a
 *   sample) or `batch · ⌈C/4⌉` (channels-first: 4 planes).
 */
import { Code, I32 } from '../../../kernel/wasm/encoder.js'
import { emitOps, i32Local, loadLanes, storeLanes, v128Local, type Lanes, type OpLocals } from './opsEmit.js'
import {
  anyTrue,
  bitselect,
  f32x4Add,
  f32x4Const,
  f32x4DemoteZero,
  f32x4Ne,
  f32x4Pmax,
  f64x2Add,
  f64x2Const,
  f64x2Div,
  f64x2PromoteLow,
  i32x4Const,
  load32Lane,
  load32Zero,
  load64Zero,
  select,
  shuffle32,
  v128Or
} from './simd.js'
import type { VecOp } from './opsStages.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A window pooling's geometry (per sample) and mode.
 * @category model
 */
export interface PoolDef {
  readonly mode: 'max' | 'avg'
  readonly channelsLast: boolean
  readonly H: number
  readonly W: number
  readonly C: number
  readonly OH: number
  readonly OW: number
  readonly kh: number
  readonly kw: number
  readonly sh: number
  readonly sw: number
  /** Padding before the first row / column (TF's `same` split; 0 for `valid`). */
  readonly top: number
  readonly left: number
  readonly ops: ReadonlyArray<VecOp>
  readonly adds: number
}

/** A quiet NaN's bits. */
const NAN_BITS = 0x7fc00000
/** Taps beyond this many per window are looped over by rows instead of written out. */
const MAX_UNROLLED_TAPS = 32

/** The in-bounds window along one axis for output index `o`: first input index and count. */
const clip = (o: number, stride: number, before: number, k: number, size: number): { readonly start: number; readonly count: number } => {
  const s = o * stride - before
  const a = Math.max(s, 0)
  const b = Math.min(s + k, size)
  return { start: a, count: b - a }
}

/**
 * The taps of a window: `rows` × `cols` in-bounds taps, each at byte offset `row · rowBytes + col ·
 * colBytes` from the window's first tap.
 */
interface Window {
  readonly rows: number
  readonly cols: number
  readonly rowBytes: number
  readonly colBytes: number
}

/** How a vector's taps are read: one vector load, or a gather of lanes `lanes` apart (bytes). */
interface TapRead {
  readonly lanes: Lanes
  /** Bytes between neighbouring lanes' taps (4: contiguous). */
  readonly laneStep: number
}

interface PoolLocals extends OpLocals {
  readonly m: ReadonlyArray<number>
  readonly s: ReadonlyArray<number>
  readonly lo: ReadonlyArray<number>
  readonly hi: ReadonlyArray<number>
  readonly v: number
  readonly ty: number
  readonly ka: number
}

const declarePoolLocals = (c: Code, vectors: number): PoolLocals => ({
  tmp: v128Local(c),
  m: Array.from({ length: vectors }, () => v128Local(c)),
  s: Array.from({ length: vectors }, () => v128Local(c)),
  lo: Array.from({ length: vectors }, () => v128Local(c)),
  hi: Array.from({ length: vectors }, () => v128Local(c)),
  v: v128Local(c),
  ty: i32Local(c),
  ka: i32Local(c)
})

/** Pushes the vector of one tap at `addr + off`: `read.lanes` floats `read.laneStep` bytes apart. */
const emitTapLoad = (c: Code, addr: () => void, off: number, read: TapRead, tmp: number): void => {
  if (read.laneStep === 4) {
    loadLanes(c, addr, off, read.lanes, tmp)
    return
  }
  if (read.laneStep === 8 && read.lanes === 4) {
    // lanes at +0, +8, +16, +24 bytes: (a.0, a.2) of a = [+0, +16) and (b.1, b.3) of b = [+12, +28)
    addr()
    c.v128Load(off)
    addr()
    c.v128Load(off + 12)
    shuffle32(c, [0, 2, 5, 7])
    return
  }
  addr()
  load32Zero(c, off)
  for (let j = 1; j < read.lanes; j++) {
    c.set(tmp)
    addr()
    c.get(tmp)
    load32Lane(c, off + j * read.laneStep, j)
  }
}

/**
 * The taps of `vectors` output vectors (vector `k` at byte `k · 16` past `base` in the input) of one
 * window: calls `each(k, addr, off, first)` per tap and vector in the reference's order (rows, then
 * columns), the tap being at `addr + off`. Windows of more than {@link MAX_UNROLLED_TAPS} taps loop
 * over their rows (local `ka`, pointer `ty`).
 */
const emitTaps = (
  c: Code,
  L: PoolLocals,
  base: () => void,
  win: Window,
  vectors: number,
  each: (k: number, addr: () => void, off: number, first: boolean) => void,
  unrolled: boolean
): void => {
  const colsTaps = (addr: () => void, rowOff: number, firstRow: boolean): void => {
    for (let dx = 0; dx < win.cols; dx++) {
      for (let k = 0; k < vectors; k++) each(k, addr, rowOff + dx * win.colBytes + k * 16, firstRow && dx === 0)
    }
  }
  if (unrolled) {
    for (let dy = 0; dy < win.rows; dy++) colsTaps(base, dy * win.rowBytes, dy === 0)
    return
  }
  base()
  c.set(L.ty)
  c.i32(win.rows).set(L.ka).loop()
  colsTaps(() => void c.get(L.ty), 0, false)
  c.addTo(L.ty, win.rowBytes)
  c.get(L.ka).i32(1).i32Sub().tee(L.ka).brIf(0).end()
}

/**
 * One window's result for the output vectors `reads` (vector `k` at byte `k · 16` past `xAddr` in
 * the input and `oAddr` in the output), fused operations applied, stored.
 */
const emitWindow = (
  c: Code,
  L: PoolLocals,
  mode: 'max' | 'avg',
  ops: ReadonlyArray<VecOp>,
  xAddr: () => void,
  oAddr: () => void,
  operand: (k: number) => void,
  win: Window,
  reads: ReadonlyArray<TapRead>
): void => {
  const unrolled = win.rows * win.cols <= MAX_UNROLLED_TAPS
  const V = reads.length
  const tap = (k: number, addr: () => void, off: number): void => emitTapLoad(c, addr, off, reads[k] as TapRead, L.tmp)
  if (mode === 'max') {
    if (!unrolled) {
      for (let k = 0; k < V; k++) {
        f32x4Const(c, -Infinity).set(L.m[k] as number)
        c.v128Zero().set(L.s[k] as number)
      }
    }
    emitTaps(
      c,
      L,
      xAddr,
      win,
      V,
      (k, addr, off, first) => {
        const m = L.m[k] as number
        const s = L.s[k] as number
        tap(k, addr, off)
        if (first && unrolled) {
          c.tee(m).set(s)
          return
        }
        c.set(L.v)
        c.get(m).get(L.v)
        f32x4Pmax(c)
        c.set(m)
        c.get(s).get(L.v)
        f32x4Add(c)
        c.set(s)
      },
      unrolled
    )
    // a NaN tap (or +∞ meeting −∞) made a sum NaN: find the NaN lanes exactly
    for (let k = 0; k < V; k++) {
      c.get(L.s[k] as number).get(L.s[k] as number)
      f32x4Ne(c)
      if (k > 0) v128Or(c)
    }
    anyTrue(c)
    c.if_()
    for (let k = 0; k < V; k++) c.v128Zero().set(L.s[k] as number)
    emitTaps(
      c,
      L,
      xAddr,
      win,
      V,
      (k, addr, off) => {
        const s = L.s[k] as number
        c.get(s)
        tap(k, addr, off)
        c.tee(L.v).get(L.v)
        f32x4Ne(c)
        v128Or(c)
        c.set(s)
      },
      unrolled
    )
    for (let k = 0; k < V; k++) {
      const m = L.m[k] as number
      i32x4Const(c, NAN_BITS)
      c.get(m).get(L.s[k] as number)
      bitselect(c)
      c.set(m)
    }
    c.end()
  } else {
    for (let k = 0; k < V; k++) {
      f64x2Const(c, 0).set(L.lo[k] as number)
      f64x2Const(c, 0).set(L.hi[k] as number)
    }
    emitTaps(
      c,
      L,
      xAddr,
      win,
      V,
      (k, addr, off) => {
        const lo = L.lo[k] as number
        const hi = L.hi[k] as number
        const read = reads[k] as TapRead
        if (read.laneStep === 4) {
          // contiguous: each half straight from memory
          for (const [half, acc] of [
            [0, lo],
            [1, hi]
          ] as const) {
            const n = Math.min(2, read.lanes - 2 * half)
            if (n <= 0) continue
            c.get(acc)
            addr()
            if (n === 1) load32Zero(c, off + 8 * half)
            else load64Zero(c, off + 8 * half)
            f64x2PromoteLow(c)
            f64x2Add(c)
            c.set(acc)
          }
          return
        }
        tap(k, addr, off)
        c.set(L.v)
        c.get(lo).get(L.v)
        f64x2PromoteLow(c)
        f64x2Add(c)
        c.set(lo)
        if (read.lanes > 2) {
          c.get(hi).get(L.v).get(L.v)
          shuffle32(c, [2, 3, 2, 3])
          f64x2PromoteLow(c)
          f64x2Add(c)
          c.set(hi)
        }
      },
      unrolled
    )
    const count = win.rows * win.cols
    for (let k = 0; k < V; k++) {
      c.get(L.lo[k] as number)
      f64x2Const(c, count)
      f64x2Div(c)
      f32x4DemoteZero(c)
      c.get(L.hi[k] as number)
      f64x2Const(c, count)
      f64x2Div(c)
      f32x4DemoteZero(c)
      shuffle32(c, [0, 1, 4, 5])
      c.set(L.m[k] as number)
    }
  }
  reads.forEach((read, k) => {
    const m = L.m[k] as number
    emitOps(c, ops, m, read.lanes, k * 16, operand, L)
    storeLanes(c, oAddr, k * 16, read.lanes, m)
  })
}

// -------------------------------------------------------------------------------------
// window pooling
// -------------------------------------------------------------------------------------

/** A run of output columns sharing one window shape: first column, count, first input column, taps. */
interface ColumnRun {
  readonly ow: number
  readonly n: number
  readonly w0: number
  readonly kc: number
}

/** Groups the output columns into runs of one window shape whose input advances by the stride. */
const columnRuns = (def: PoolDef): ReadonlyArray<ColumnRun> => {
  const runs: ColumnRun[] = []
  for (let ow = 0; ow < def.OW; ow++) {
    const { start, count } = clip(ow, def.sw, def.left, def.kw, def.W)
    const last = runs[runs.length - 1]
    if (last !== undefined && last.kc === count && last.w0 + last.n * def.sw === start) runs[runs.length - 1] = { ...last, n: last.n + 1 }
    else runs.push({ ow, n: 1, w0: start, kc: count })
  }
  return runs
}

/**
 * The window pooling function `pool(o, x, d…, u0, u1)` over output rows `[u0, u1)`.
 * @category code
 */
export const poolCode = (def: PoolDef): Code => {
  const c = new Code(Array.from({ length: 2 + def.adds + 2 }, () => I32))
  const O = 0
  const X = 1
  const D = (k: number): number => 2 + k
  const U0 = 2 + def.adds
  const U1 = U0 + 1
  const { H, W, C, OH, OW, kh, sh, top } = def
  const cl = def.channelsLast
  const planeBytes = cl ? H * W * C * 4 : H * W * 4
  const inRowBytes = cl ? W * C * 4 : W * 4
  const pixelBytes = cl ? C * 4 : 4
  const outRowBytes = cl ? OW * C * 4 : OW * 4
  const u = i32Local(c)
  const oh = i32Local(c)
  const hs = i32Local(c)
  const h0 = i32Local(c)
  const kr = i32Local(c)
  const xr = i32Local(c)
  const orow = i32Local(c)
  const xt = i32Local(c)
  const ot = i32Local(c)
  const xc = i32Local(c)
  const oc = i32Local(c)
  const jc = i32Local(c)
  const jb = i32Local(c)
  const dk = Array.from({ length: def.adds }, (_, k) => D(k))
  const L = declarePoolLocals(c, 2)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(u)
  c.get(O).get(U0).i32(outRowBytes).i32Mul().i32Add().set(orow)
  // the row classes (in-bounds window rows) that occur
  const rowCounts = [...new Set(Array.from({ length: OH }, (_, i) => clip(i, sh, top, kh, H).count))]
  c.loop()
  // oh = u mod OH; hs = oh·sh − top; h0 = max(hs, 0); kr = min(hs + kh, H) − h0
  c.get(u).i32(OH).i32RemU().tee(oh).i32(sh).i32Mul().i32(top).i32Sub().set(hs)
  c.get(hs).i32(0).get(hs).i32(0).i32GtS()
  select(c)
  c.set(h0)
  c.get(hs).i32(kh).i32Add().i32(H).get(hs).i32(kh).i32Add().i32(H).i32LtS()
  select(c)
  c.get(h0).i32Sub().set(kr)
  c.get(X).get(u).i32(OH).i32DivU().i32(planeBytes).i32Mul().i32Add().get(h0).i32(inRowBytes).i32Mul().i32Add().set(xr)
  const operandAt = (base: number) => (k: number) => void c.get(base).get(dk[k] as number).i32Add()
  const rowBody = (rows: number): void => {
    for (const run of columnRuns(def)) {
      const win: Window = { rows, cols: run.kc, rowBytes: inRowBytes, colBytes: pixelBytes }
      if (cl) {
        c.get(xr).i32(run.w0 * pixelBytes).i32Add().set(xt)
        c.get(orow).i32(run.ow * pixelBytes).i32Add().set(ot)
        if (run.n > 1) c.i32(run.n).set(jc).loop()
        // channels: blocks of 8 (two vectors), then one of 4, then the tail lanes
        c.get(xt).set(xc)
        c.get(ot).set(oc)
        const pairs = Math.floor(C / 8)
        const full: TapRead = { lanes: 4, laneStep: 4 }
        const window = (reads: ReadonlyArray<TapRead>): void =>
          emitWindow(c, L, def.mode, def.ops, () => void c.get(xc), () => void c.get(oc), operandAt(oc), win, reads)
        if (pairs > 0) {
          if (pairs > 1) c.i32(pairs).set(jb).loop()
          window([full, full])
          c.addTo(xc, 32)
          c.addTo(oc, 32)
          if (pairs > 1) c.get(jb).i32(1).i32Sub().tee(jb).brIf(0).end()
        }
        const rest = C % 8
        const reads: TapRead[] = []
        if (rest >= 4) reads.push(full)
        if (rest % 4 > 0) reads.push({ lanes: (rest % 4) as Lanes, laneStep: 4 })
        if (reads.length > 0) window(reads)
        if (run.n > 1) {
          c.addTo(xt, def.sw * pixelBytes)
          c.addTo(ot, pixelBytes)
          c.get(jc).i32(1).i32Sub().tee(jc).brIf(0).end()
        }
      } else {
        // channels-first: 4 neighbouring output columns per vector where the run allows, then singles
        const groups = Math.floor(run.n / 4)
        const laneStep = def.sw * 4
        if (groups > 0) {
          c.get(xr).i32(run.w0 * 4).i32Add().set(xt)
          c.get(orow).i32(run.ow * 4).i32Add().set(ot)
          if (groups > 1) c.i32(groups).set(jc).loop()
          emitWindow(c, L, def.mode, def.ops, () => void c.get(xt), () => void c.get(ot), operandAt(ot), win, [{ lanes: 4, laneStep }])
          if (groups > 1) {
            c.addTo(xt, 4 * def.sw * 4)
            c.addTo(ot, 16)
            c.get(jc).i32(1).i32Sub().tee(jc).brIf(0).end()
          }
        }
        for (let j = groups * 4; j < run.n; j++) {
          c.get(xr).i32((run.w0 + j * def.sw) * 4).i32Add().set(xt)
          c.get(orow).i32((run.ow + j) * 4).i32Add().set(ot)
          emitWindow(c, L, def.mode, def.ops, () => void c.get(xt), () => void c.get(ot), operandAt(ot), win, [{ lanes: 1, laneStep: 4 }])
        }
      }
    }
  }
  // dispatch on the row class
  const emitClasses = (i: number): void => {
    const rows = rowCounts[i] as number
    if (i === rowCounts.length - 1) {
      rowBody(rows)
      return
    }
    c.get(kr).i32(rows).i32Eq().if_()
    rowBody(rows)
    c.else_()
    emitClasses(i + 1)
    c.end()
  }
  emitClasses(0)
  c.addTo(orow, outRowBytes)
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}

// -------------------------------------------------------------------------------------
// global pooling
// -------------------------------------------------------------------------------------

/**
 * A global pooling's geometry and mode.
 * @category model
 */
export interface GlobalPoolDef {
  readonly mode: 'max' | 'avg'
  readonly channelsLast: boolean
  /** Pixels per sample (H · W). */
  readonly P: number
  readonly C: number
  readonly ops: ReadonlyArray<VecOp>
  readonly adds: number
}

/** Channels per unit of the channels-last global pooling (4 vectors). */
export const GLOBAL_BLOCK = 16

/**
 * Units of a global pooling for one sample.
 * @category code
 */
export const globalUnitsPerSample = (def: GlobalPoolDef): number => Math.ceil(def.C / (def.channelsLast ? GLOBAL_BLOCK : 4))

/**
 * The global pooling function `gpool(o, x, d…, u0, u1)`.
 * @category code
 */
export const globalPoolCode = (def: GlobalPoolDef): Code => {
  const c = new Code(Array.from({ length: 2 + def.adds + 2 }, () => I32))
  const O = 0
  const X = 1
  const D = (k: number): number => 2 + k
  const U0 = 2 + def.adds
  const U1 = U0 + 1
  const { P, C } = def
  const cl = def.channelsLast
  const block = cl ? GLOBAL_BLOCK : 4
  const per = globalUnitsPerSample(def)
  const tail = C - (per - 1) * block
  const u = i32Local(c)
  const b = i32Local(c)
  const xb = i32Local(c)
  const ob = i32Local(c)
  const L = declarePoolLocals(c, 4)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(u)
  c.loop()
  c.get(u).i32(per).i32RemU().set(b)
  // sample n = u / per: x + n·P·C·4 + b·block·(cl ? 4 : P·4); o + n·C·4 + b·block·4
  c.get(X).get(u).i32(per).i32DivU().i32(P * C * 4).i32Mul().i32Add().get(b).i32(block * (cl ? 4 : P * 4)).i32Mul().i32Add().set(xb)
  c.get(O).get(u).i32(per).i32DivU().i32(C * 4).i32Mul().i32Add().get(b).i32(block * 4).i32Mul().i32Add().set(ob)
  const operand = (k: number): void => void c.get(ob).get(D(k)).i32Add()
  const body = (channels: number): void => {
    if (cl) {
      const reads: TapRead[] = []
      for (let k = 0; k < channels; k += 4) reads.push({ lanes: Math.min(4, channels - k) as Lanes, laneStep: 4 })
      // all pixels as one window of P rows × 1 column (rows looped: P can be large)
      const win: Window = { rows: P, cols: 1, rowBytes: C * 4, colBytes: 0 }
      emitGlobal(c, L, def, () => void c.get(xb), () => void c.get(ob), operand, win, reads)
    } else {
      const win: Window = { rows: P, cols: 1, rowBytes: 4, colBytes: 0 }
      emitGlobal(c, L, def, () => void c.get(xb), () => void c.get(ob), operand, win, [{ lanes: channels as Lanes, laneStep: P * 4 }])
    }
  }
  if (tail === block) body(block)
  else {
    c.get(b).i32(per - 1).i32Eq().if_()
    body(tail)
    c.else_()
    body(block)
    c.end()
  }
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}

/** A global pooling's window: the taps of all pixels (looped once there are more than a few). */
const emitGlobal = (
  c: Code,
  L: PoolLocals,
  def: GlobalPoolDef,
  xAddr: () => void,
  oAddr: () => void,
  operand: (k: number) => void,
  win: Window,
  reads: ReadonlyArray<TapRead>
): void => emitWindow(c, L, def.mode, def.ops, xAddr, oAddr, operand, win, reads)
