/**
 * The few WebAssembly SIMD instructions the Dense kernels need beyond what the shared encoder
 * (src/kernel/wasm/encoder.ts) emits: partial loads for the last panel's residual operands, lane
 * broadcasts, float comparisons and selects for a fused leaky ReLU, and the f64x2 conversions that
 * make its product round as the TypeScript epilogue's does. They append to a {@link Code}'s bytes.
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

const simd = (c: Code, sub: number): void => {
  c.bytes.push(0xfd)
  uleb(c.bytes, sub)
}

const memarg = (c: Code, align: number, offset: number): void => {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`wasm memarg offset ${offset}`)
  uleb(c.bytes, align)
  uleb(c.bytes, offset)
}

/** `v128.load32_zero`: one float into lane 0, the other lanes 0. */
export const load32Zero = (c: Code, offset: number): void => {
  simd(c, 0x5c)
  memarg(c, 2, offset)
}

/** `v128.load64_zero`: two floats into lanes 0-1, the other lanes 0. */
export const load64Zero = (c: Code, offset: number): void => {
  simd(c, 0x5d)
  memarg(c, 3, offset)
}

/** `v128.load32_lane` (operands: address, vector): replaces one lane with the float at the address. */
export const load32Lane = (c: Code, offset: number, lane: number): void => {
  simd(c, 0x56)
  memarg(c, 2, offset)
  c.bytes.push(lane)
}

/** `f32x4.gt` (a > b lane-wise: all ones or all zeros; false when either is NaN). */
export const f32x4Gt = (c: Code): void => simd(c, 0x44)

/** `f32x4.ne` (true where a lane differs: where `a` is NaN when comparing `a` with itself). */
export const f32x4Ne = (c: Code): void => simd(c, 0x42)

/** `v128.bitselect(a, b, mask)`: the bits of `a` where `mask` is set, of `b` elsewhere. */
export const bitselect = (c: Code): void => simd(c, 0x52)

/** `f64x2.promote_low_f32x4`: lanes 0-1 as doubles (exact). */
export const f64x2PromoteLow = (c: Code): void => simd(c, 0x5f)

/** `f32x4.demote_f64x2_zero`: two doubles rounded to floats (to nearest, ties to even) in lanes 0-1, zeros above. */
export const f32x4DemoteZero = (c: Code): void => simd(c, 0x5e)

/** `f64x2.mul`. */
export const f64x2Mul = (c: Code): void => simd(c, 0xf2)

/** `v128.const` of two equal doubles. */
export const f64x2Const = (c: Code, v: number): void => {
  simd(c, 0x0c)
  for (const b of new Uint8Array(new Float64Array([v, v]).buffer)) c.bytes.push(b)
}

/** `i8x16.shuffle` lanes that take 32-bit lanes `l` of (a: 0-3, b: 4-7). */
export const lanes32 = (l: readonly [number, number, number, number]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3])
