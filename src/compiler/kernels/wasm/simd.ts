/**
 * The WebAssembly instructions the compiler's kernels (wasm-ops.ts, wasm-dense.ts) need beyond what the shared encoder
 * (src/kernel/wasm/encoder.ts) emits: partial and lane loads/stores (channel tails and strided
 * gathers never touch memory past a tensor's last element), comparisons and selects (NaN handling,
 * thresholds, leaky ReLU), the f64x2 arithmetic and conversions that make averages, batch
 * normalization and multi-input merges round exactly as the TypeScript reference does (it computes in
 * float64 and rounds once), and a few scalar i32 operations. Each appends to a {@link Code}'s bytes.
 *
 * Opcodes: https://webassembly.github.io/spec/core/binary/instructions.html#vector-instructions
 */
import type { Code } from '../../../kernel/wasm/encoder.js'

const uleb = (out: number[], v: number): void => {
  let n = v >>> 0
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
}

const simd = (c: Code, sub: number): Code => {
  c.bytes.push(0xfd)
  uleb(c.bytes, sub)
  return c
}

const memarg = (c: Code, align: number, offset: number): void => {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`wasm memarg offset ${offset}`)
  uleb(c.bytes, align)
  uleb(c.bytes, offset)
}

// -------------------------------------------------------------------------------------
// memory
// -------------------------------------------------------------------------------------

/** `v128.load32_zero`: one float into lane 0, the other lanes +0. */
export const load32Zero = (c: Code, offset: number): Code => {
  simd(c, 0x5c)
  memarg(c, 2, offset)
  return c
}

/** `v128.load64_zero`: two floats into lanes 0-1, lanes 2-3 +0. */
export const load64Zero = (c: Code, offset: number): Code => {
  simd(c, 0x5d)
  memarg(c, 3, offset)
  return c
}

/** `v128.load64_splat`: one double in both f64 lanes. */
export const load64Splat = (c: Code, offset: number): Code => {
  simd(c, 0x0a)
  memarg(c, 3, offset)
  return c
}

/** `v128.load32_lane` (stack: address, vector): the vector with lane `lane` replaced by the float at the address. */
export const load32Lane = (c: Code, offset: number, lane: number): Code => {
  simd(c, 0x56)
  memarg(c, 2, offset)
  c.bytes.push(lane)
  return c
}

// -------------------------------------------------------------------------------------
// f32x4
// -------------------------------------------------------------------------------------

/** `f32x4.ne` (true where a ≠ b, so where either is NaN). */
export const f32x4Ne = (c: Code): Code => simd(c, 0x42)
/** `f32x4.gt` (a > b; false where either is NaN). */
export const f32x4Gt = (c: Code): Code => simd(c, 0x44)
/** `v128.and`. */
export const v128And = (c: Code): Code => simd(c, 0x4e)
/** `v128.or`. */
export const v128Or = (c: Code): Code => simd(c, 0x50)
/** `v128.bitselect(a, b, mask)`: the bits of `a` where `mask` is set, of `b` elsewhere. */
export const bitselect = (c: Code): Code => simd(c, 0x52)
/** `v128.any_true`: i32 1 when any bit is set. */
export const anyTrue = (c: Code): Code => simd(c, 0x53)
/** `f32x4.add`. */
export const f32x4Add = (c: Code): Code => simd(c, 0xe4)
/** `f32x4.sub`. */
export const f32x4Sub = (c: Code): Code => simd(c, 0xe5)
/** `f32x4.mul`. */
export const f32x4Mul = (c: Code): Code => simd(c, 0xe6)
/** `f32x4.pmin(a, b)` = `b < a ? b : a` (keeps `a` when either is NaN, and on ties). */
export const f32x4Pmin = (c: Code): Code => simd(c, 0xea)
/** `f32x4.pmax(a, b)` = `a < b ? b : a` (keeps `a` when either is NaN, and on ties). */
export const f32x4Pmax = (c: Code): Code => simd(c, 0xeb)

/** `v128.const` of four equal floats. */
export const f32x4Const = (c: Code, v: number): Code => {
  simd(c, 0x0c)
  for (const b of new Uint8Array(new Float32Array([v, v, v, v]).buffer)) c.bytes.push(b)
  return c
}

/** `v128.const` of four equal 32-bit patterns (e.g. a quiet NaN). */
export const i32x4Const = (c: Code, bits: number): Code => {
  simd(c, 0x0c)
  for (const b of new Uint8Array(new Int32Array([bits, bits, bits, bits]).buffer)) c.bytes.push(b)
  return c
}

/** `i8x16.shuffle` of the two vectors on the stack by 32-bit lanes (0-3: first, 4-7: second). */
export const shuffle32 = (c: Code, l: readonly [number, number, number, number]): Code => {
  simd(c, 0x0d)
  for (const k of l) c.bytes.push(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3)
  return c
}

// -------------------------------------------------------------------------------------
// f64x2
// -------------------------------------------------------------------------------------

/** `f64x2.promote_low_f32x4`: lanes 0-1 as doubles (exact). */
export const f64x2PromoteLow = (c: Code): Code => simd(c, 0x5f)
/** `f32x4.demote_f64x2_zero`: the two doubles rounded to floats (to nearest, ties to even) in lanes 0-1, +0 above. */
export const f32x4DemoteZero = (c: Code): Code => simd(c, 0x5e)
/** `f64x2.add`. */
export const f64x2Add = (c: Code): Code => simd(c, 0xf0)
/** `f64x2.sub`. */
export const f64x2Sub = (c: Code): Code => simd(c, 0xf1)
/** `f64x2.mul`. */
export const f64x2Mul = (c: Code): Code => simd(c, 0xf2)
/** `f64x2.div`. */
export const f64x2Div = (c: Code): Code => simd(c, 0xf3)

/** `f64x2.eq`, `ne`, `lt`, `gt`, `ge` (all-ones lanes where true). */
export const f64x2Eq = (c: Code): Code => simd(c, 0x47)
export const f64x2Ne = (c: Code): Code => simd(c, 0x48)
export const f64x2Lt = (c: Code): Code => simd(c, 0x49)
export const f64x2Gt = (c: Code): Code => simd(c, 0x4a)
export const f64x2Ge = (c: Code): Code => simd(c, 0x4c)
/** `f64x2.abs`, `f64x2.trunc` (toward zero). */
export const f64x2Abs = (c: Code): Code => simd(c, 0xec)
/** `f64x2.neg` (flips the sign bit: −(+0) = −0). */
export const f64x2Neg = (c: Code): Code => simd(c, 0xed)
export const f64x2Trunc = (c: Code): Code => simd(c, 0x7a)
/** `f64x2.splat` of the f64 on the stack; `f64x2.extract_lane`. */
export const f64x2Splat = (c: Code): Code => simd(c, 0x14)
export const f64x2ExtractLane = (c: Code, lane: number): Code => {
  simd(c, 0x21)
  c.bytes.push(lane)
  return c
}
/** `i32x4.trunc_sat_f64x2_s_zero`: the two doubles toward zero as i32 lanes 0-1 (saturating), 0 above. */
export const i32x4TruncSatF64x2Zero = (c: Code): Code => simd(c, 0xfc)
/** `i64x2.extend_low_i32x4_s`, `i64x2.shl` (by an i32), `i64x2.add`. */
export const i64x2ExtendLowI32x4S = (c: Code): Code => simd(c, 0xc7)
export const i64x2Shl = (c: Code): Code => simd(c, 0xcb)
export const i64x2Add = (c: Code): Code => simd(c, 0xce)
/** `v128.store32_lane`, `v128.store64_lane` (address, vector). */
export const store32Lane = (c: Code, offset: number, lane: number): Code => {
  simd(c, 0x5a)
  memarg(c, 2, offset)
  c.bytes.push(lane)
  return c
}
export const store64Lane = (c: Code, offset: number, lane: number): Code => {
  simd(c, 0x5b)
  memarg(c, 3, offset)
  c.bytes.push(lane)
  return c
}

/** `v128.const` of two equal doubles. */
export const f64x2Const = (c: Code, v: number): Code => {
  simd(c, 0x0c)
  for (const b of new Uint8Array(new Float64Array([v, v]).buffer)) c.bytes.push(b)
  return c
}

// -------------------------------------------------------------------------------------
// scalar
// -------------------------------------------------------------------------------------

/** `i32.shl`. */
export const i32Shl = (c: Code): Code => {
  c.bytes.push(0x74)
  return c
}

/** `i32.le_u`. */
export const i32LeU = (c: Code): Code => {
  c.bytes.push(0x4d)
  return c
}

/** `i32.ge_u`. */
export const i32GeU = (c: Code): Code => {
  c.bytes.push(0x4f)
  return c
}

/** `select` (stack: a, b, cond → cond ? a : b) on i32 operands. */
export const select = (c: Code): Code => {
  c.bytes.push(0x1b)
  return c
}

/** A scalar opcode without immediates. */
const op = (c: Code, b: number): Code => {
  c.bytes.push(b)
  return c
}

/** `f64.const v`. */
export const f64Const = (c: Code, v: number): Code => {
  c.bytes.push(0x44)
  for (const b of new Uint8Array(new Float64Array([v]).buffer)) c.bytes.push(b)
  return c
}
/** `f64.add`, `f64.sub`, `f64.mul`, `f64.div`. */
export const f64Add = (c: Code): Code => op(c, 0xa0)
export const f64Sub = (c: Code): Code => op(c, 0xa1)
export const f64Mul = (c: Code): Code => op(c, 0xa2)
export const f64Div = (c: Code): Code => op(c, 0xa3)
/** `f64.lt`, `f64.gt`, `f64.ne` (i32 results). */
export const f64Lt = (c: Code): Code => op(c, 0x63)
export const f64Gt = (c: Code): Code => op(c, 0x64)
export const f64Ne = (c: Code): Code => op(c, 0x62)
/** `f64.promote_f32`, `f32.demote_f64` (round to nearest even). */
export const f64PromoteF32 = (c: Code): Code => op(c, 0xbb)
export const f32DemoteF64 = (c: Code): Code => op(c, 0xb6)
/** `f64.convert_i32_s`, `i32.trunc_f64_s` (toward zero, as C's `(int)`). */
export const f64ConvertI32S = (c: Code): Code => op(c, 0xb7)
export const i32TruncF64S = (c: Code): Code => op(c, 0xaa)
/** `i64.reinterpret_f64`, `f64.reinterpret_i64`. */
export const i64ReinterpretF64 = (c: Code): Code => op(c, 0xbd)
export const f64ReinterpretI64 = (c: Code): Code => op(c, 0xbf)
/** `i64.extend_i32_s`, `i32.wrap_i64`, `i64.shl`, `i64.shr_u`, `i64.add`, `i64.const` (small). */
export const i64ExtendI32S = (c: Code): Code => op(c, 0xac)
export const i32WrapI64 = (c: Code): Code => op(c, 0xa7)
export const i64Shl = (c: Code): Code => op(c, 0x86)
export const i64ShrU = (c: Code): Code => op(c, 0x88)
export const i64Add = (c: Code): Code => op(c, 0x7c)
export const i64Const = (c: Code, v: number): Code => {
  if (!Number.isSafeInteger(v) || v < -64 || v > 63) throw new RangeError(`i64Const: ${v} (one-byte constants only)`)
  c.bytes.push(0x42, v & 0x7f)
  return c
}
/** `i32.gt_u`. */
export const i32GtU = (c: Code): Code => op(c, 0x4b)

/** `i8x16.shuffle` lanes that take 32-bit lanes `l` of (a: 0-3, b: 4-7). */
export const lanes32 = (l: readonly [number, number, number, number]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3])
