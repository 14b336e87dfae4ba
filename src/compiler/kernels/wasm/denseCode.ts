/**
 * WebAssembly SIMD code generation for Dense (`y = x · kernel + bias` over rows of `K` inputs, `N`
 * outputs), one module per shape and fused epilogue, after XNNPACK's f32 GEMM for wasm SIMD
 * (../shared/docs/model-compiler-notes.md §1.5):
 *
 * - **Packed weights**: panels of {@link NR} = 8 output columns, each `[8 biases | K × 8 weights]`,
 *   the last panel zero-padded ({@link packDense}). A tile's accumulators start from the bias.
 * - **Register tiles** of `m` rows × `q` panels (`2·m·q` f32x4 accumulators, `2·q` weight vectors, `m`
 *   broadcast inputs: at most V8's 15 allocatable xmm registers): `tiling.MR` rows for the full tiles,
 *   and for the 1 … MR−1 rows left over (the whole call when it has fewer rows than MR: the GEMV path
 *   of batch 1), `tiling.panels[m]` panels per tile so that one row still has several independent
 *   accumulators (1 × 24: six). Every stride is a constant of the shape: rows of a tile are constant
 *   load/store offsets from one pointer, panels of a tile constant offsets from another.
 * - **Loops**: rows in cache blocks of `tiling.rowChunk` (their inputs stay in L2), then panels, then
 *   the block's row tiles, so a panel is read from L1/L2 for every row tile of the block; one reduction
 *   step per loop body (`loadsplat`: one `v128.load32_splat` per row) or four (`splat`: one `v128.load`
 *   of 4 inputs per row, broadcast by shuffles; K mod 4 steps after the loop). No per-element branch:
 *   the N remainder is the last panel's tile code with partial stores, the M remainder tile code of
 *   its own row count, chosen once per row block.
 * - **Epilogue in the store**: fused residual adds (operands at a constant byte distance from the
 *   output, passed as parameters), clamps as `pmax(x, lo)` then `pmin(x, hi)` — in that operand order
 *   they are `x < lo ? lo : x` and `x > hi ? hi : x`, which keep NaN exactly like the TypeScript epilogue
 *   (src/compiler/Unary.ts) — and leaky ReLU as a select (its product in float64, rounded once, when
 *   the slope is not a float32 value, as the TypeScript epilogue computes it). So the fused epilogue
 *   gives bit for bit what `applyStages` gives on the same sums.
 * - **FMA** (`f32x4.relaxed_madd`) where the runtime validates relaxed SIMD, mul + add otherwise.
 *
 * Exported function `dense(x, w, o, r0, r1, p0, p1, d…)` (byte addresses; rows `[r0, r1)` of the call,
 * panels `[p0, p1)` of the weights, and one byte distance `operand − o` per fused add, in stage
 * order): a threaded runner may split either range.
 */
import { Code, I32, V128 } from '../../../kernel/wasm/encoder.js'
import { bitselect, f32x4DemoteZero, f32x4Gt, f32x4Ne, f64x2Const, f64x2Mul, f64x2PromoteLow, lanes32, load32Lane, load32Zero, load64Zero } from './simd.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Output columns per packed panel (two f32x4). */
export const NR = 8

/**
 * A stage applied in the store, in order: add the next fused residual operand, clamp to `[lo, hi]`
 * (`lo ≤ hi`, NaN kept), `x > 0 ? x : slope · x`, or Keras's `relu(x, max_value = hi)` with no slope
 * and no threshold (`x > 0 ? x : x is NaN ? x : +0`, then `min(·, hi)`: unlike the clamp, −0 becomes +0).
 * @category model
 */
export type FusedOp =
  | { readonly kind: 'add' }
  | { readonly kind: 'clamp'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'leaky'; readonly slope: number }
  | { readonly kind: 'relu'; readonly hi: number }

/**
 * The blocking of the generated code.
 * @category model
 */
export interface DenseTiling {
  /** Rows of the full register tiles. */
  readonly MR: number
  /** `panels[m]`: panels (of 8 columns) per tile of `m` rows, for m = 1 … MR (index 0 unused). */
  readonly panels: ReadonlyArray<number>
  /** How an input is broadcast: one `load32_splat` each, or one `v128.load` of 4 and shuffles. */
  readonly broadcast: 'splat' | 'loadsplat'
  /** Rows per cache block (a multiple of MR). */
  readonly rowChunk: number
}

/**
 * What one generated module computes.
 * @category model
 */
export interface DenseCodeOptions {
  /** Inputs per row (Dense's `in`). */
  readonly K: number
  /** Outputs per row (Dense's `units`). */
  readonly N: number
  readonly tiling: DenseTiling
  readonly ops: ReadonlyArray<FusedOp>
  readonly fma: boolean
}

// -------------------------------------------------------------------------------------
// packing
// -------------------------------------------------------------------------------------

/** Floats of one packed panel: 8 biases, then `K` rows of 8 weights. */
export const panelFloats = (K: number): number => NR * (K + 1)

/** Panels of `N` columns (the last one zero-padded). */
export const panelCount = (N: number): number => Math.ceil(N / NR)

/** Floats of a Dense layer's packed weights. */
export const packedDenseFloats = (K: number, N: number): number => panelCount(N) * panelFloats(K)

/**
 * Writes `kernel` (`[K, N]`, row-major: Keras's `[in, units]`) and `bias` (N values, or none: zeros)
 * as panels at `dst[offset …]`, padding lanes zero. Writes every float of the packing (the slot may
 * hold anything before).
 * @category packing
 */
export const packDense = (
  K: number,
  N: number,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  dst: Float32Array | Float64Array,
  offset: number
): void => {
  const PF = panelFloats(K)
  const P = panelCount(N)
  dst.fill(0, offset, offset + P * PF)
  for (let u = 0; u < N; u++) {
    const panel = offset + (u >> 3) * PF + (u & 7)
    if (bias !== undefined) dst[panel] = bias[u] as number
  }
  for (let k = 0; k < K; k++) {
    const row = k * N
    const at = offset + NR + k * NR
    for (let u = 0; u < N; u++) dst[at + (u >> 3) * PF + (u & 7)] = kernel[row + u] as number
  }
}

// -------------------------------------------------------------------------------------
// code
// -------------------------------------------------------------------------------------

// parameters of dense(x, w, o, r0, r1, p0, p1, d…)
const X = 0
const W = 1
const O = 2
const R0 = 3
const R1 = 4
const P0 = 5
const P1 = 6
const DELTA = 7

interface Locals {
  readonly rb: number
  readonly re: number
  readonly nt: number
  readonly rem: number
  readonly xrow: number
  readonly orow: number
  readonly p: number
  readonly pe: number
  readonly wp: number
  readonly xt: number
  readonly ot: number
  readonly xq: number
  readonly wq: number
  readonly wend: number
  readonly cnt: number
  readonly ob: ReadonlyArray<number>
  readonly acc: ReadonlyArray<number>
  readonly wv: ReadonlyArray<number>
  readonly s: ReadonlyArray<number>
  readonly xv: ReadonlyArray<number>
  readonly t: ReadonlyArray<number>
}

const declareLocals = (c: Code, o: DenseCodeOptions, adds: number): Locals => {
  const i32 = (): number => c.local(I32)
  const v128 = (): number => c.local(V128)
  const { MR, panels } = o.tiling
  let maxAcc = 0
  let maxPanels = 0
  for (let m = 1; m <= MR; m++) {
    const q = panels[m] ?? 1
    maxAcc = Math.max(maxAcc, 2 * m * q)
    maxPanels = Math.max(maxPanels, q)
  }
  return {
    rb: i32(), re: i32(), nt: i32(), rem: i32(), xrow: i32(), orow: i32(), p: i32(), pe: i32(), wp: i32(), xt: i32(), ot: i32(),
    xq: i32(), wq: i32(), wend: i32(), cnt: i32(),
    ob: Array.from({ length: adds }, i32),
    acc: Array.from({ length: maxAcc }, v128),
    wv: Array.from({ length: 2 * maxPanels }, v128),
    s: Array.from({ length: MR }, v128),
    xv: Array.from({ length: o.tiling.broadcast === 'splat' ? MR : 0 }, v128),
    t: Array.from({ length: 2 }, v128)
  }
}

/** Whether the Dense code applies `slope · x` in float32 exactly as the TypeScript epilogue's double product rounded once. */
const float32Slope = (slope: number): boolean => Math.fround(slope) === slope

/**
 * The fused stages and the store of one accumulator vector `a` (lanes `nl` valid) at byte `off` from
 * `ot` (and from each operand base `ob`).
 */
const emitStoreVector = (c: Code, L: Locals, ops: ReadonlyArray<FusedOp>, a: number, off: number, nl: number): void => {
  let k = 0
  for (const op of ops) {
    switch (op.kind) {
      case 'add': {
        const ob = L.ob[k++] as number
        c.get(a)
        if (nl === 4) c.get(ob).v128Load(off)
        else if (nl === 1) {
          c.get(ob)
          load32Zero(c, off)
        } else {
          c.get(ob)
          if (nl === 3) c.get(ob)
          load64Zero(c, off)
          if (nl === 3) load32Lane(c, off + 8, 2)
        }
        c.f32x4Add().set(a)
        break
      }
      case 'clamp':
        // pmax(x, lo) = x < lo ? lo : x and pmin(x, hi) = hi < x ? hi : x: NaN stays NaN
        if (op.lo > -Infinity) c.get(a).f32x4Const(op.lo).f32x4Pmax().set(a)
        if (op.hi < Infinity) c.get(a).f32x4Const(op.hi).f32x4Pmin().set(a)
        break
      case 'relu': {
        // x > 0 or NaN ? x : +0, then hi < y ? hi : y
        const [t0] = L.t as [number, number]
        c.get(a).v128Zero()
        f32x4Gt(c)
        c.get(a).get(a)
        f32x4Ne(c)
        c.v128Or().set(t0)
        c.get(a).v128Zero().get(t0)
        bitselect(c)
        c.set(a)
        if (op.hi < Infinity) c.get(a).f32x4Const(op.hi).f32x4Pmin().set(a)
        break
      }
      case 'leaky': {
        const [t0, t1] = L.t as [number, number]
        if (float32Slope(op.slope)) c.get(a).f32x4Const(op.slope).f32x4Mul().set(t0)
        else {
          // slope · x in float64, rounded to float32 once: the TypeScript epilogue's `s * x` stored in a Float32Array
          c.get(a)
          f64x2PromoteLow(c)
          f64x2Const(c, op.slope)
          f64x2Mul(c)
          f32x4DemoteZero(c)
          c.set(t0)
          c.get(a).get(a).i8x16Shuffle(lanes32([2, 3, 2, 3]))
          f64x2PromoteLow(c)
          f64x2Const(c, op.slope)
          f64x2Mul(c)
          f32x4DemoteZero(c)
          c.set(t1)
          c.get(t0).get(t1).i8x16Shuffle(lanes32([0, 1, 4, 5])).set(t0)
        }
        // x > 0 ? x : slope · x (false for NaN: slope · NaN = NaN)
        c.get(a).get(t0).get(a).v128Zero()
        f32x4Gt(c)
        bitselect(c)
        c.set(a)
        break
      }
    }
  }
  if (nl === 4) c.get(L.ot).get(a).v128Store(off)
  else if (nl === 1) c.get(L.ot).get(a).v128Store32Lane(off, 0)
  else {
    c.get(L.ot).get(a).v128Store64Lane(off, 0)
    if (nl === 3) c.get(L.ot).get(a).v128Store32Lane(off + 8, 2)
  }
}

/**
 * One tile: `m` rows from `xt` × `q` panels from `wp` (the last with `lanes` valid columns), stored
 * at `ot`.
 */
const emitTile = (c: Code, L: Locals, o: DenseCodeOptions, m: number, q: number, lanes: number): void => {
  const { K, N, fma } = o
  const K4 = K * 4
  const N4 = N * 4
  const PB = panelFloats(K) * 4
  const vecs = (j: number): number => (j === q - 1 && lanes <= 4 ? 1 : 2)
  const acc = (r: number, j: number, v: number): number => L.acc[(r * q + j) * 2 + v] as number
  const wv = (j: number, v: number): number => L.wv[j * 2 + v] as number
  // accumulators = bias
  for (let j = 0; j < q; j++) {
    for (let v = 0; v < vecs(j); v++) {
      c.get(L.wp).v128Load(j * PB + v * 16).set(acc(0, j, v))
      for (let r = 1; r < m; r++) c.get(acc(0, j, v)).set(acc(r, j, v))
    }
  }
  const madd = (r: number, s: number): void => {
    for (let j = 0; j < q; j++) {
      for (let v = 0; v < vecs(j); v++) {
        const a = acc(r, j, v)
        if (fma) c.get(s).get(wv(j, v)).get(a).f32x4RelaxedMadd().set(a)
        else c.get(a).get(s).get(wv(j, v)).f32x4Mul().f32x4Add().set(a)
      }
    }
  }
  /** One reduction step from weights at `wq + wOff` and inputs at `xq + xOff`. */
  const loadsplatStep = (wOff: number, xOff: number): void => {
    for (let j = 0; j < q; j++) for (let v = 0; v < vecs(j); v++) c.get(L.wq).v128Load(wOff + j * PB + v * 16).set(wv(j, v))
    for (let r = 0; r < m; r++) c.get(L.xq).v128Load32Splat(xOff + r * K4).set(L.s[r] as number)
    for (let r = 0; r < m; r++) madd(r, L.s[r] as number)
  }
  c.get(L.xt).set(L.xq)
  c.get(L.wp).i32(NR * 4).i32Add().set(L.wq)
  if (o.tiling.broadcast === 'loadsplat') {
    // one step per loop body: unrolling by 2 or 4 measured 5-45 % slower (V8 hoists the body's loads and spills)
    c.get(L.wq).i32(K * NR * 4).i32Add().set(L.wend)
    c.loop()
    loadsplatStep(0, 0)
    c.addTo(L.xq, 4)
    c.get(L.wq).i32(NR * 4).i32Add().tee(L.wq).get(L.wend).i32Ne().brIf(0)
    c.end()
  } else {
    const k4 = Math.floor(K / 4)
    if (k4 > 0) {
      c.get(L.wq).i32(k4 * 4 * NR * 4).i32Add().set(L.wend)
      c.loop()
      for (let r = 0; r < m; r++) c.get(L.xq).v128Load(r * K4).set(L.xv[r] as number)
      for (let l = 0; l < 4; l++) {
        for (let j = 0; j < q; j++) for (let v = 0; v < vecs(j); v++) c.get(L.wq).v128Load(l * NR * 4 + j * PB + v * 16).set(wv(j, v))
        for (let r = 0; r < m; r++) {
          const x = L.xv[r] as number
          c.get(x).get(x).i8x16Shuffle(lanes32([l, l, l, l])).set(L.s[r] as number)
        }
        for (let r = 0; r < m; r++) madd(r, L.s[r] as number)
      }
      c.addTo(L.xq, 16)
      c.get(L.wq).i32(4 * NR * 4).i32Add().tee(L.wq).get(L.wend).i32Ne().brIf(0)
      c.end()
    }
    for (let l = 0; l < K % 4; l++) loadsplatStep(l * NR * 4, l * 4)
  }
  // store, with the fused stages
  o.ops.filter((op) => op.kind === 'add').forEach((_, k) => c.get(L.ot).get(DELTA + k).i32Add().set(L.ob[k] as number))
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < q; j++) {
      const valid = j === q - 1 ? lanes : NR
      for (let v = 0; v < vecs(j); v++) emitStoreVector(c, L, o.ops, acc(r, j, v), r * N4 + j * NR * 4 + v * 16, Math.min(4, valid - 4 * v))
    }
  }
}

/**
 * The panels `[p0, min(p1, full panels))` in groups of `q` (then one group of the 1 … q−1 left), then
 * the partial last panel if the range holds it; `body(q, lanes)` emits the work of one group at `wp`
 * (panel `p`).
 */
const emitPanels = (c: Code, L: Locals, o: DenseCodeOptions, q: number, body: (q: number, lanes: number) => void): void => {
  const PB = panelFloats(o.K) * 4
  const FP = Math.floor(o.N / NR)
  const tail = o.N % NR
  if (FP > 0) {
    c.get(P0).set(L.p)
    c.get(P1).set(L.pe)
    c.get(L.pe).i32(FP).i32GtS().if_().i32(FP).set(L.pe).end()
    c.get(W).get(L.p).i32(PB).i32Mul().i32Add().set(L.wp)
    if (q > 1) {
      c.block().loop()
      c.get(L.p).i32(q).i32Add().get(L.pe).i32GtS().brIf(1)
      body(q, NR)
      c.addTo(L.p, q)
      c.addTo(L.wp, q * PB)
      c.br(0)
      c.end().end()
      for (let r = 1; r < q; r++) {
        c.get(L.pe).get(L.p).i32Sub().i32(r).i32Eq().if_()
        body(r, NR)
        c.end()
      }
    } else {
      c.get(L.p).get(L.pe).i32LtS().if_().loop()
      body(1, NR)
      c.addTo(L.p, 1)
      c.addTo(L.wp, PB)
      c.get(L.p).get(L.pe).i32LtS().brIf(0)
      c.end().end()
    }
  }
  if (tail > 0) {
    // the last panel is in [p0, p1) when p1 > FP and p0 ≤ FP
    c.get(P1).i32(FP).i32GtS().get(P0).i32(FP + 1).i32LtS().i32And().if_()
    c.i32(FP).set(L.p)
    c.get(W).i32(FP * PB).i32Add().set(L.wp)
    body(1, tail)
    c.end()
  }
}

/** The `dense` function of a shape, tiling and fused epilogue. */
export const denseCode = (o: DenseCodeOptions): Code => {
  const { K, N, tiling } = o
  const { MR, rowChunk } = tiling
  if (rowChunk % MR !== 0 || rowChunk < MR) throw new RangeError(`dense: row chunk ${rowChunk} is not a positive multiple of MR ${MR}`)
  const adds = o.ops.filter((op) => op.kind === 'add').length
  const c = new Code(Array.from({ length: DELTA + adds }, () => I32))
  const L = declareLocals(c, o, adds)
  const K4 = K * 4
  const N4 = N * 4
  const panelsOf = (m: number): number => tiling.panels[m] ?? 1
  /** xrow, orow at row `rr` (on the stack as a value pushed by `row`). */
  const rowBases = (row: () => void): void => {
    c.get(X)
    row()
    c.i32(K4).i32Mul().i32Add().set(L.xrow)
    c.get(O)
    row()
    c.i32(N4).i32Mul().i32Add().set(L.orow)
  }
  /** Start of a panel group: xt at the row base, ot at the row base + panel p's columns. */
  const groupStart = (): void => {
    c.get(L.xrow).set(L.xt)
    c.get(L.orow).get(L.p).i32(NR * 4).i32Mul().i32Add().set(L.ot)
  }
  c.get(R0).get(R1).i32GeS().if_().return_().end()
  c.get(P0).get(P1).i32GeS().if_().return_().end()
  c.get(R0).set(L.rb)
  c.loop()
  c.get(L.rb).i32(rowChunk).i32Add().tee(L.re).get(R1).i32GtS().if_().get(R1).set(L.re).end()
  c.get(L.re).get(L.rb).i32Sub().i32(MR).i32DivU().set(L.nt)
  // full tiles of MR rows: per panel group, every tile of the block
  c.get(L.nt).if_()
  rowBases(() => c.get(L.rb))
  emitPanels(c, L, o, panelsOf(MR), (q, lanes) => {
    groupStart()
    c.get(L.nt).set(L.cnt)
    c.loop()
    emitTile(c, L, o, MR, q, lanes)
    c.addTo(L.xt, MR * K4)
    c.addTo(L.ot, MR * N4)
    c.get(L.cnt).i32(1).i32Sub().tee(L.cnt).brIf(0)
    c.end()
  })
  c.end()
  // the rows left (1 … MR−1, only in the last block): one tile per panel group
  if (MR > 1) {
    c.get(L.re).get(L.rb).i32Sub().get(L.nt).i32(MR).i32Mul().i32Sub().tee(L.rem).if_()
    rowBases(() => c.get(L.rb).get(L.nt).i32(MR).i32Mul().i32Add())
    for (let m = 1; m < MR; m++) {
      c.get(L.rem).i32(m).i32Eq().if_()
      emitPanels(c, L, o, panelsOf(m), (q, lanes) => {
        groupStart()
        emitTile(c, L, o, m, q, lanes)
      })
      c.end()
    }
    c.end()
  }
  c.get(L.re).set(L.rb)
  c.get(L.rb).get(R1).i32LtS().brIf(0)
  c.end()
  return c
}
