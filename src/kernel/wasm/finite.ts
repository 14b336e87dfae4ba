/**
 * The `finite` export of a wasm Winograd module: the non-finite check of kernel/finite.ts over the
 * output in wasm memory, with SIMD. `finite(o, n4, dst)` ORs the bits of `v · 0` over the `n4` vectors
 * of 4 floats from byte `o` and stores the 4 lanes at byte `dst`: each lane is ±0 when every value it
 * saw is finite, NaN otherwise.
 */
import { Code, I32, V128 } from './encoder.js'

/** The `finite` function's code (its signature matches `run`'s first three parameters). */
export const finiteCode = (): Code => {
  const c = new Code([I32, I32, I32])
  const O = 0
  const N4 = 1
  const DST = 2
  const p = c.local(I32)
  const end4 = c.local(I32)
  const end = c.local(I32)
  const acc = c.local(V128)
  const orZeroed = (offset: number): void => {
    c.get(acc).get(p).v128Load(offset).f32x4Const(0).f32x4Mul().v128Or().set(acc)
  }
  c.v128Zero().set(acc)
  c.get(O).set(p)
  // [o, end4): four vectors per step; [end4, end): one
  c.get(O).get(N4).i32(-4).i32And().i32(16).i32Mul().i32Add().set(end4)
  c.get(O).get(N4).i32(16).i32Mul().i32Add().set(end)
  c.block()
  c.get(p).get(end4).i32LtU().i32Eqz().brIf(0)
  c.loop()
  for (let k = 0; k < 4; k++) orZeroed(16 * k)
  c.get(p).i32(64).i32Add().tee(p).get(end4).i32LtU().brIf(0)
  c.end()
  c.end()
  c.block()
  c.get(p).get(end).i32LtU().i32Eqz().brIf(0)
  c.loop()
  orZeroed(0)
  c.get(p).i32(16).i32Add().tee(p).get(end).i32LtU().brIf(0)
  c.end()
  c.end()
  c.get(DST).get(acc).v128Store(0)
  return c
}
