/**
 * softmax along the last axis in WebAssembly, bit for bit the TypeScript reference
 * (`applyActivation`'s `softmaxRows`, the Softmax layer's `ts-softmax`): per row of `n` floats, the
 * maximum (NaN skipped as `v > max` skips it), `Σ e^(x − max)` in float64 in index order, then each
 * `e^(x − max) / Σ` rounded once to float32.
 *
 * Bit for bit needs the same float64 exponential as `Math.exp`: V8's is fdlibm's `__ieee754_exp`
 * (src/base/ieee754.cc; 6 million arguments over (−760, 700), ±0, ±∞, NaN and the branch edges gave
 * identical bits), and {@link emitExp} is that algorithm, operation for operation: the argument
 * reduction `x = k·ln2 + r` with ln2 split in a high part exact in `k·ln2HI` and a low part, the
 * degree-5 rational approximation of `r·(e^r + 1)/(e^r − 1)`, and the scaling by `2^k` added to the
 * exponent bits (through `2^−1000` for results below the normal range). WebAssembly's float64
 * operations are IEEE's, with no contraction into fused multiply-adds, so each step rounds as C does.
 *
 * The function `run(o, x, u0, u1)` computes rows `[u0, u1)`; `o` may be `x` (in place: each value is
 * read before it is written). Rows are independent, so a split over the worker pool is bit for bit
 * one call.
 */
import { Code, F64, I32, V128 } from '../../../kernel/wasm/encoder.js'
import {
  bitselect,
  f32x4DemoteZero,
  f64Add,
  f64Const,
  f64Gt,
  f64PromoteF32,
  f64x2Abs,
  f64x2Add,
  f64x2Const,
  f64x2Div,
  f64x2ExtractLane,
  f64x2Ge,
  f64x2Gt,
  f64x2Lt,
  f64x2Mul,
  f64x2Ne,
  f64x2Neg,
  f64x2PromoteLow,
  f64x2Splat,
  f64x2Sub,
  f64x2Trunc,
  i32x4TruncSatF64x2Zero,
  i64x2Add,
  i64x2ExtendLowI32x4S,
  i64x2Shl,
  load32Zero,
  load64Zero,
  select,
  store32Lane,
  store64Lane
} from './simd.js'

// fdlibm e_exp.c's constants
const TWOM1000 = 9.33263618503218878990e-302
const O_THRESHOLD = 7.09782712893383973096e2
const U_THRESHOLD = -7.45133219101941108420e2
const LN2HI = 6.93147180369123816490e-1
const LN2LO = 1.90821492927058770002e-10
const INVLN2 = 1.44269504088896338700
const P1 = 1.66666666666666019037e-1
const P2 = -2.77777777770155933842e-3
const P3 = 6.61375632143793436117e-5
const P4 = -1.65339022054652515390e-6
const P5 = 4.13813679705723846039e-8

/** The double whose high word is `hi` and low word 0 (fdlibm compares `|x|`'s high word with such bounds). */
const highWord = (hi: number): number => {
  const b = new DataView(new ArrayBuffer(8))
  b.setUint32(0, hi >>> 0)
  b.setUint32(4, 0)
  return b.getFloat64(0)
}
/** `hx > 0x3fd62e42` (|x| > 0.5 ln2): `|x| ≥` this. */
const HALF_LN2_UP = highWord(0x3fd62e43)
/** `hx < 0x3ff0a2b2` (|x| < 1.5 ln2): `|x| <` this. */
const THREE_HALVES_LN2 = highWord(0x3ff0a2b2)
/** `hx < 0x3e300000` (|x| < 2^−28): `|x| <` this. */
const TINY = highWord(0x3e300000)

/** The v128 locals {@link emitExp2} works in. */
interface ExpLocals {
  /** The argument, two doubles (kept). */
  readonly x: number
  /** The result. */
  readonly y: number
  readonly ax: number
  readonly neg: number
  readonly kf: number
  readonly reduced: number
  readonly hi: number
  readonly lo: number
  readonly xr: number
  readonly t: number
  readonly c: number
  readonly q: number
  readonly low: number
}

const expLocals = (c: Code): ExpLocals => ({
  x: c.local(V128),
  y: c.local(V128),
  ax: c.local(V128),
  neg: c.local(V128),
  kf: c.local(V128),
  reduced: c.local(V128),
  hi: c.local(V128),
  lo: c.local(V128),
  xr: c.local(V128),
  t: c.local(V128),
  c: c.local(V128),
  q: c.local(V128),
  low: c.local(V128)
})

/**
 * `y = e^x` for the two doubles of `L.x`, each exactly fdlibm's `__ieee754_exp` (module comment):
 * its branches become lane selects, every path computed.
 *
 * - the reduction: `k = (int)(invln2·x ± 0.5)` for |x| ≥ 1.5 ln2, `k = ±1` for 0.5 ln2 < |x| < 1.5 ln2
 *   (then `x − k·ln2HI` and `k·ln2LO` are fdlibm's `x − ln2HI[xsb]` and `ln2LO[xsb]` exactly: a product
 *   by ±1 is exact), `k = 0` below; `hi − lo` the reduced argument;
 * - `k = 0`: `1 − ((x·c)/(c − 2) − x)`, with `(x·c)/(c − 2) = −((x·c)/(2 − c))` exactly (IEEE
 *   rounding is symmetric), so one division serves both formulas;
 * - the special cases override last: |x| < 2^−28 → `1 + x`, below the underflow threshold (−∞
 *   included) → +0, above the overflow threshold (+∞ included) → +∞, NaN → `x + x`.
 */
const emitExp2 = (c: Code, L: ExpLocals): void => {
  const k2 = (v: number): void => void f64x2Const(c, v)
  const sel = (a: () => void, b: () => void, mask: number): void => {
    a()
    b()
    c.get(mask)
    bitselect(c)
  }
  c.get(L.x)
  f64x2Abs(c)
  c.set(L.ax)
  c.get(L.x)
  k2(0)
  f64x2Lt(c)
  c.set(L.neg)
  // kf: r2 ? trunc(invln2·x ± 0.5) : r1 ? ±1 : 0
  c.get(L.ax)
  k2(HALF_LN2_UP)
  f64x2Ge(c)
  c.set(L.reduced)
  // the mask r2 = |x| ≥ 1.5 ln2, in L.t for the moment
  c.get(L.ax)
  k2(THREE_HALVES_LN2)
  f64x2Ge(c)
  c.set(L.t)
  sel(
    () => {
      k2(INVLN2)
      c.get(L.x)
      f64x2Mul(c)
      sel(() => k2(-0.5), () => k2(0.5), L.neg)
      f64x2Add(c)
      f64x2Trunc(c)
    },
    () => {
      sel(() => k2(-1), () => k2(1), L.neg)
      k2(0)
      c.get(L.reduced)
      bitselect(c)
    },
    L.t
  )
  c.set(L.kf)
  // hi = x − k·ln2HI, lo = k·ln2LO, xr = reduced ? hi − lo : x
  c.get(L.x)
  c.get(L.kf)
  k2(LN2HI)
  f64x2Mul(c)
  f64x2Sub(c)
  c.set(L.hi)
  c.get(L.kf)
  k2(LN2LO)
  f64x2Mul(c)
  c.set(L.lo)
  sel(
    () => {
      c.get(L.hi).get(L.lo)
      f64x2Sub(c)
    },
    () => void c.get(L.x),
    L.reduced
  )
  c.set(L.xr)
  // t = xr², c = xr − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5)))), q = (xr·c)/(2 − c)
  c.get(L.xr).get(L.xr)
  f64x2Mul(c)
  c.set(L.t)
  c.get(L.xr)
  c.get(L.t)
  k2(P1)
  c.get(L.t)
  k2(P2)
  c.get(L.t)
  k2(P3)
  c.get(L.t)
  k2(P4)
  c.get(L.t)
  k2(P5)
  f64x2Mul(c)
  f64x2Add(c)
  f64x2Mul(c)
  f64x2Add(c)
  f64x2Mul(c)
  f64x2Add(c)
  f64x2Mul(c)
  f64x2Add(c)
  f64x2Mul(c)
  f64x2Sub(c)
  c.set(L.c)
  c.get(L.xr).get(L.c)
  f64x2Mul(c)
  k2(2)
  c.get(L.c)
  f64x2Sub(c)
  f64x2Div(c)
  c.set(L.q)
  // k ≠ 0: y = 1 − ((lo − q) − hi), times 2^k through the exponent bits (k < −1021: 2^(k+1000), × 2^−1000)
  c.get(L.kf)
  k2(-1021)
  f64x2Lt(c)
  c.set(L.low)
  k2(1)
  c.get(L.lo).get(L.q)
  f64x2Sub(c)
  c.get(L.hi)
  f64x2Sub(c)
  f64x2Sub(c)
  c.get(L.kf)
  sel(() => k2(1000), () => k2(0), L.low)
  f64x2Add(c)
  i32x4TruncSatF64x2Zero(c)
  i64x2ExtendLowI32x4S(c)
  c.i32(52)
  i64x2Shl(c)
  i64x2Add(c)
  sel(() => k2(TWOM1000), () => k2(1), L.low)
  f64x2Mul(c)
  // k = 0: y = 1 − ((−q) − xr)
  k2(1)
  c.get(L.q)
  f64x2Neg(c)
  c.get(L.xr)
  f64x2Sub(c)
  f64x2Sub(c)
  c.get(L.reduced)
  bitselect(c)
  c.set(L.y)
  // |x| < 2^−28: 1 + x (the mask in L.t)
  c.get(L.ax)
  k2(TINY)
  f64x2Lt(c)
  c.set(L.t)
  sel(
    () => {
      k2(1)
      c.get(L.x)
      f64x2Add(c)
    },
    () => void c.get(L.y),
    L.t
  )
  c.set(L.y)
  // x < underflow threshold (−∞ too) → +0
  k2(0)
  c.get(L.y)
  c.get(L.x)
  k2(U_THRESHOLD)
  f64x2Lt(c)
  bitselect(c)
  c.set(L.y)
  // x > overflow threshold (+∞ too) → +∞
  k2(Infinity)
  c.get(L.y)
  c.get(L.x)
  k2(O_THRESHOLD)
  f64x2Gt(c)
  bitselect(c)
  c.set(L.y)
  // NaN → x + x
  c.get(L.x).get(L.x)
  f64x2Add(c)
  c.get(L.y)
  c.get(L.x).get(L.x)
  f64x2Ne(c)
  bitselect(c)
  c.set(L.y)
}

/** Pairs of a row short enough to keep its exponentials in locals. */
const KEPT_PAIRS = 8

/**
 * The longest row whose exponentials are kept in locals (computed once); longer rows compute each
 * twice (for the sum, then for the quotient), as the Softmax layer's TypeScript kernel does.
 * @category kernels
 */
export const SOFTMAX_KEPT_FLOATS = 2 * KEPT_PAIRS

/**
 * `run(o, x, u0, u1)`: softmax of rows `[u0, u1)` of `n` floats from `x` into `o` (module comment),
 * two values at a time in float64 lanes; the sum adds lane 0 then lane 1, in index order.
 * @category kernels
 */
export const softmaxCode = (n: number): Code => {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`softmaxCode: a row of ${n} floats`)
  const c = new Code([I32, I32, I32, I32])
  const O = 0
  const X = 1
  const U0 = 2
  const U1 = 3
  const L = expLocals(c)
  const xp = c.local(I32)
  const op = c.local(I32)
  const end = c.local(I32)
  const max = c.local(F64)
  const sum = c.local(F64)
  const v = c.local(F64)
  const maxv = c.local(V128)
  const sumv = c.local(V128)
  const rowBytes = n * 4
  const pairs = Math.floor(n / 2)
  const odd = n % 2 === 1
  // rows of up to 2 · KEPT_PAIRS floats keep their exponentials in locals (computed once, not twice)
  const kept = pairs + (odd ? 1 : 0) <= KEPT_PAIRS ? Array.from({ length: pairs + (odd ? 1 : 0) }, () => c.local(V128)) : []
  /** Each pair of the row (`xp`, `op` at its first float), then the odd last float. */
  const overRow = (pair: () => void, last: () => void): void => {
    c.get(X).get(U0).i32(rowBytes).i32Mul().i32Add().set(xp)
    c.get(O).get(U0).i32(rowBytes).i32Mul().i32Add().set(op)
    if (pairs > 0) {
      c.get(xp).i32(pairs * 8).i32Add().set(end)
      c.loop()
      pair()
      c.addTo(xp, 8)
      c.addTo(op, 8)
      c.get(xp).get(end).i32LtU().brIf(0)
      c.end()
    }
    if (odd) last()
  }
  /** `L.x = x − max` for the pair at `xp` (or its first float alone), then `L.y = e^L.x`. */
  const expAt = (one: boolean): void => {
    c.get(xp)
    if (one) load32Zero(c, 0)
    else load64Zero(c, 0)
    f64x2PromoteLow(c)
    c.get(maxv)
    f64x2Sub(c)
    c.set(L.x)
    emitExp2(c, L)
  }
  c.block()
  c.loop()
  c.get(U0).get(U1).i32GeS().brIf(1)
  // the row's maximum (NaN never compares greater), scalar
  c.get(X).get(U0).i32(rowBytes).i32Mul().i32Add().set(xp)
  c.get(xp).i32(rowBytes).i32Add().set(end)
  f64Const(c, -Infinity)
  c.set(max)
  c.loop()
  c.get(xp).f32Load(0)
  f64PromoteF32(c)
  c.set(v)
  c.get(v).get(max).get(v).get(max)
  f64Gt(c)
  select(c)
  c.set(max)
  c.addTo(xp, 4)
  c.get(xp).get(end).i32LtU().brIf(0)
  c.end()
  c.get(max)
  f64x2Splat(c)
  c.set(maxv)
  // Σ e^(x − max) in index order
  f64Const(c, 0)
  c.set(sum)
  const addLane = (lane: number): void => {
    c.get(sum)
    c.get(L.y)
    f64x2ExtractLane(c, lane)
    f64Add(c)
    c.set(sum)
  }
  /** `L.x`: the pair at `xp + offset` (or its first float alone) less the maximum; then `L.y = e^L.x`. */
  const expAtOffset = (offset: number, one: boolean): void => {
    c.get(xp)
    if (one) load32Zero(c, offset)
    else load64Zero(c, offset)
    f64x2PromoteLow(c)
    c.get(maxv)
    f64x2Sub(c)
    c.set(L.x)
    emitExp2(c, L)
  }
  if (kept.length > 0) {
    // a short row: each exponential computed once, kept in a local until the sum is known
    c.get(X).get(U0).i32(rowBytes).i32Mul().i32Add().set(xp)
    c.get(O).get(U0).i32(rowBytes).i32Mul().i32Add().set(op)
    kept.forEach((e, j) => {
      const one = odd && j === kept.length - 1
      expAtOffset(8 * j, one)
      c.get(L.y).set(e)
      addLane(0)
      if (!one) addLane(1)
    })
    c.get(sum)
    f64x2Splat(c)
    c.set(sumv)
    kept.forEach((e, j) => {
      const one = odd && j === kept.length - 1
      c.get(op)
      c.get(e).get(sumv)
      f64x2Div(c)
      f32x4DemoteZero(c)
      if (one) store32Lane(c, 8 * j, 0)
      else store64Lane(c, 8 * j, 0)
    })
    c.get(U0).i32(1).i32Add().set(U0)
    c.br(0)
  }
  overRow(
    () => {
      expAt(false)
      addLane(0)
      addLane(1)
    },
    () => {
      expAt(true)
      addLane(0)
    }
  )
  c.get(sum)
  f64x2Splat(c)
  c.set(sumv)
  // e^(x − max) / Σ, rounded once to float32
  const quotient = (): void => {
    c.get(op)
    c.get(L.y).get(sumv)
    f64x2Div(c)
    f32x4DemoteZero(c)
  }
  overRow(
    () => {
      expAt(false)
      quotient()
      store64Lane(c, 0, 0)
    },
    () => {
      expAt(true)
      quotient()
      store32Lane(c, 0, 0)
    }
  )
  c.get(U0).i32(1).i32Add().set(U0)
  c.br(0)
  c.end()
  c.end()
  return c
}
