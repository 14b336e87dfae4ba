/**
 * Emitting helpers shared by the non-GEMM kernels' code generators: loads and stores of 1-4 floats
 * (a vector, or the lanes of a tail, which never touch memory past a tensor's last float), the fused
 * store operations of {@link VecOp}, and a "span" loop over a run of floats (4 vectors per iteration,
 * then single vectors, then a 1-3 float tail) whose length is a constant or a local.
 */
import { Code, I32, V128 } from '../../../kernel/wasm/encoder.js'
import {
  bitselect,
  f32x4Add,
  f32x4Const,
  f32x4DemoteZero,
  f32x4Gt,
  f32x4Mul,
  f32x4Pmax,
  f32x4Pmin,
  f64x2Const,
  f64x2Mul,
  f64x2PromoteLow,
  load32Lane,
  load32Zero,
  load64Zero,
  shuffle32,
  v128And
} from './simd.js'
import type { VecOp } from './opsStages.js'

/** Lanes of a load or store: a whole vector (4) or the first 1-3 floats of a tail. */
export type Lanes = 1 | 2 | 3 | 4

/** Pushes an address on the stack. */
export type Addr = () => void

/**
 * Loads `lanes` floats from `addr + off` into a vector (lanes above `lanes` are +0). A 3-float load
 * pushes the address twice, so it needs a scratch vector local `tmp`.
 * @category emit
 */
export const loadLanes = (c: Code, addr: Addr, off: number, lanes: Lanes, tmp: number): void => {
  addr()
  if (lanes === 4) c.v128Load(off)
  else if (lanes === 1) load32Zero(c, off)
  else if (lanes === 2) load64Zero(c, off)
  else {
    load64Zero(c, off)
    c.set(tmp)
    addr()
    c.get(tmp)
    load32Lane(c, off + 8, 2)
  }
}

/**
 * Stores the first `lanes` floats of vector local `v` at `addr + off`.
 * @category emit
 */
export const storeLanes = (c: Code, addr: Addr, off: number, lanes: Lanes, v: number): void => {
  addr()
  c.get(v)
  if (lanes === 4) c.v128Store(off)
  else if (lanes === 1) c.v128Store32Lane(off, 0)
  else {
    c.v128Store64Lane(off, 0)
    if (lanes === 3) {
      addr()
      c.get(v)
      c.v128Store32Lane(off + 8, 2)
    }
  }
}

/**
 * Pushes the two doubles of the floats `off`, `off + 4` (`lo`, `count` 1-2) or `off + 8`, `off + 12`
 * (`hi`) of a run of `lanes` floats at `addr` (missing floats read as +0).
 * @category emit
 */
export const loadHalf64 = (c: Code, addr: Addr, off: number, lanes: Lanes, half: 0 | 1): void => {
  const n = Math.max(0, Math.min(2, lanes - 2 * half))
  if (n === 0) c.v128Zero()
  else {
    addr()
    if (n === 1) load32Zero(c, off + 8 * half)
    else load64Zero(c, off + 8 * half)
  }
  f64x2PromoteLow(c)
}

/**
 * Rounds the two f64x2 locals `lo` and `hi` to one f32x4 on the stack (lanes lo.0 lo.1 hi.0 hi.1).
 * @category emit
 */
export const demotePair = (c: Code, lo: number, hi: number): void => {
  c.get(lo)
  f32x4DemoteZero(c)
  c.get(hi)
  f32x4DemoteZero(c)
  shuffle32(c, [0, 1, 4, 5])
}

/** Scratch locals the fused operations use. */
export interface OpLocals {
  /** A vector for 3-lane loads. */
  readonly tmp: number
}

/**
 * Applies the fused store operations to vector local `t` (`lanes` valid floats); `operand(k)` pushes
 * the address of the `k`-th fused add's float matching `t`'s first float minus `off`.
 * @category emit
 */
export const emitOps = (c: Code, ops: ReadonlyArray<VecOp>, t: number, lanes: Lanes, off: number, operand: (k: number) => void, L: OpLocals): void => {
  for (const op of ops) {
    switch (op.kind) {
      case 'max':
        c.get(t)
        f32x4Const(c, op.v)
        f32x4Pmax(c)
        c.set(t)
        break
      case 'min':
        c.get(t)
        f32x4Const(c, op.v)
        f32x4Pmin(c)
        c.set(t)
        break
      case 'plusZero':
        c.get(t)
        c.v128Zero()
        f32x4Add(c)
        c.set(t)
        break
      case 'above':
        c.get(t)
        c.get(t)
        f32x4Const(c, op.t)
        f32x4Gt(c)
        v128And(c)
        c.set(t)
        break
      case 'leaky':
        // bitselect(x, s·x, x > 0)
        c.get(t)
        if (!op.f64) {
          c.get(t)
          f32x4Const(c, op.slope)
          f32x4Mul(c)
        } else {
          c.get(t)
          f64x2PromoteLow(c)
          f64x2Const(c, op.slope)
          f64x2Mul(c)
          f32x4DemoteZero(c)
          c.get(t)
          c.get(t)
          shuffle32(c, [2, 3, 2, 3])
          f64x2PromoteLow(c)
          f64x2Const(c, op.slope)
          f64x2Mul(c)
          f32x4DemoteZero(c)
          shuffle32(c, [0, 1, 4, 5])
        }
        c.get(t)
        c.v128Zero()
        f32x4Gt(c)
        bitselect(c)
        c.set(t)
        break
      case 'add':
        c.get(t)
        loadLanes(c, () => operand(op.operand), off, lanes, L.tmp)
        f32x4Add(c)
        c.set(t)
        break
    }
  }
}

/** A pointer local that a span advances by `scale` bytes per float. */
export interface Stream {
  readonly local: number
  readonly scale: number
}

/**
 * Emits the code for a run of floats: `body(lanes, at)` computes (and stores) the vector of the
 * `lanes` floats at FLOAT offset `at` (bytes: `at · scale` for each stream) from the streams' current positions. The run's length is the
 * constant `count`, or the value of local `count` (which the code consumes) when given as
 * `{ local }`. The streams end advanced past the run.
 * @category emit
 */
export const emitSpan = (c: Code, count: number | { readonly local: number }, streams: ReadonlyArray<Stream>, body: (lanes: Lanes, off: number) => void): void => {
  const advance = (floats: number): void => {
    for (const s of streams) c.addTo(s.local, floats * s.scale)
  }
  const group = (): void => {
    for (let v = 0; v < 4; v++) body(4, v * 4)
    advance(16)
  }
  if (typeof count === 'number') {
    const groups = Math.floor(count / 16)
    if (groups > 1) {
      const k = c.local(I32)
      c.i32(groups).set(k).loop()
      group()
      c.get(k).i32(1).i32Sub().tee(k).brIf(0).end()
    } else if (groups === 1) group()
    const singles = Math.floor((count % 16) / 4)
    for (let v = 0; v < singles; v++) body(4, v * 4)
    const tail = count % 4
    if (tail > 0) body(tail as Lanes, singles * 4)
    advance(singles * 4 + tail)
    return
  }
  const n = count.local
  c.block().loop()
  c.get(n).i32(16).i32LtU().brIf(1)
  group()
  c.get(n).i32(16).i32Sub().set(n)
  c.br(0).end().end()
  c.block().loop()
  c.get(n).i32(4).i32LtU().brIf(1)
  body(4, 0)
  advance(4)
  c.get(n).i32(4).i32Sub().set(n)
  c.br(0).end().end()
  for (const lanes of [1, 2, 3] as const) {
    c.get(n).i32(lanes).i32Eq().if_()
    body(lanes, 0)
    advance(lanes)
    c.end()
  }
}

/** Declares a vector local. */
export const v128Local = (c: Code): number => c.local(V128)
/** Declares an i32 local. */
export const i32Local = (c: Code): number => c.local(I32)
