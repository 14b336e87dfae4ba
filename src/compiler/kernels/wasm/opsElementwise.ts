/**
 * WebAssembly SIMD code for the elementwise nodes: activations and merges (`mapCode`) and
 * inference BatchNormalization as a per-channel affine (`affineCode`, XNNPACK's vmulcaddc,
 * ../shared/docs/model-compiler-notes.md §1.7), each followed by the fused store operations.
 *
 * Every result is bit for bit the reference's (src/layers/elementwise/merge.ts, batchNormalization.ts):
 * where the reference computes in float64 and rounds once (merges of three or more inputs, Average,
 * BatchNormalization's `x·a + b` with `a`, `b` in float64) the code does too, on promoted lanes
 * (f64x2), in the same order; two-input Add, Subtract, Multiply are float32 operations (the float64
 * result of one operation on two float32 values rounds to the float32 result); Maximum and Minimum
 * are `pmax`/`pmin` (the accumulator kept on ties and when it is NaN, as the reference's `a >= v ||
 * a !== a ? a : v`) with a NaN operand selected in.
 *
 * Functions (byte addresses; `d…` one byte distance `operand − o` per fused add):
 * - `map(o, x_0 … x_{n−1}, d…, u0, u1)`: floats `[u0, u1)` of the batch;
 * - `affine(o, x, w, d…, len, inner, u0, u1)`: channels-last rows `[u0, u1)` (each `len` floats:
 *   `w` holds per 4 channels 4 doubles `a` then 4 doubles `b`), or planes `[u0, u1)` (each `inner`
 *   floats, of channel `u mod len`: `w` holds `a`, `b` as doubles at `16·c`).
 */
import { Code, I32 } from '../../../kernel/wasm/encoder.js'
import { emitOps, emitSpan, i32Local, loadHalf64, loadLanes, storeLanes, v128Local, type Lanes, type Stream } from './opsEmit.js'
import {
  bitselect,
  f32x4Add,
  f32x4DemoteZero,
  f32x4Mul,
  f32x4Ne,
  f32x4Pmax,
  f32x4Pmin,
  f32x4Sub,
  f64x2Add,
  f64x2Const,
  f64x2Div,
  f64x2Mul,
  f64x2Sub,
  load64Splat,
  shuffle32
} from './simd.js'
import type { VecOp } from './opsStages.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How a map combines its inputs before the store operations:
 * - `copy`: the single input;
 * - `add`/`sub`/`mul` (two inputs, float32), `max`/`min` (any number, float32);
 * - `add64`/`mul64`/`avg64`/`sub64`: in float64 in input order, rounded once (`avg64` divides by the count).
 * @category model
 */
export type Combine = 'copy' | 'add' | 'sub' | 'mul' | 'max' | 'min' | 'add64' | 'mul64' | 'avg64' | 'sub64'

/**
 * A map's code: `inputs` inputs combined by `combine`, then `ops` with `adds` fused operands.
 * @category model
 */
export interface MapDef {
  readonly inputs: number
  readonly combine: Combine
  readonly ops: ReadonlyArray<VecOp>
  readonly adds: number
}

// -------------------------------------------------------------------------------------
// map
// -------------------------------------------------------------------------------------

/**
 * The map function `map(o, x_0 … x_{n−1}, d…, u0, u1)` over floats `[u0, u1)`.
 * @category code
 */
export const mapCode = (def: MapDef): Code => {
  const n = def.inputs
  const c = new Code(Array.from({ length: 1 + n + def.adds + 2 }, () => I32))
  const O = 0
  const X = (k: number): number => 1 + k
  const D = (k: number): number => 1 + n + k
  const U0 = 1 + n + def.adds
  const U1 = U0 + 1
  const op = i32Local(c)
  const xp = Array.from({ length: n }, () => i32Local(c))
  const dp = Array.from({ length: def.adds }, () => i32Local(c))
  const count = i32Local(c)
  const t = v128Local(c)
  const v = v128Local(c)
  const tmp = v128Local(c)
  const lo = v128Local(c)
  const hi = v128Local(c)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).i32(2)
  c.bytes.push(0x74) // i32.shl: byte offset of float u0
  c.set(count)
  c.get(O).get(count).i32Add().set(op)
  for (let k = 0; k < n; k++) c.get(X(k)).get(count).i32Add().set(xp[k] as number)
  for (let k = 0; k < def.adds; k++) c.get(op).get(D(k)).i32Add().set(dp[k] as number)
  c.get(U1).get(U0).i32Sub().set(count)
  const streams: Stream[] = [op, ...xp, ...dp].map((local) => ({ local, scale: 4 }))
  const L = { tmp }
  const x = (k: number) => () => void c.get(xp[k] as number)
  emitSpan(c, { local: count }, streams, (lanes: Lanes, at: number) => {
    const off = at * 4
    const f64 = def.combine.endsWith('64')
    if (!f64) {
      loadLanes(c, x(0), off, lanes, tmp)
      c.set(t)
      for (let k = 1; k < n; k++) {
        if (def.combine === 'max' || def.combine === 'min') {
          // t = v is NaN ? v : (max: pmax(t, v), min: pmin(t, v))
          loadLanes(c, x(k), off, lanes, tmp)
          c.set(v)
          c.get(v)
          c.get(t).get(v)
          if (def.combine === 'max') f32x4Pmax(c)
          else f32x4Pmin(c)
          c.get(v).get(v)
          f32x4Ne(c)
          bitselect(c)
          c.set(t)
        } else {
          c.get(t)
          loadLanes(c, x(k), off, lanes, tmp)
          if (def.combine === 'add') f32x4Add(c)
          else if (def.combine === 'sub') f32x4Sub(c)
          else f32x4Mul(c)
          c.set(t)
        }
      }
    } else {
      for (const [half, acc] of [
        [0, lo],
        [1, hi]
      ] as const) {
        loadHalf64(c, x(0), off, lanes, half)
        c.set(acc)
        for (let k = 1; k < n; k++) {
          c.get(acc)
          loadHalf64(c, x(k), off, lanes, half)
          if (def.combine === 'mul64') f64x2Mul(c)
          else if (def.combine === 'sub64') f64x2Sub(c)
          else f64x2Add(c)
          c.set(acc)
        }
        if (def.combine === 'avg64') {
          c.get(acc)
          f64x2Const(c, n)
          f64x2Div(c)
          c.set(acc)
        }
      }
      c.get(lo)
      f32x4DemoteZero(c)
      c.get(hi)
      f32x4DemoteZero(c)
      shuffle32(c, [0, 1, 4, 5])
      c.set(t)
    }
    emitOps(c, def.ops, t, lanes, off, (k) => void c.get(dp[k] as number), L)
    storeLanes(c, () => void c.get(op), off, lanes, t)
  })
  return c
}

// -------------------------------------------------------------------------------------
// affine
// -------------------------------------------------------------------------------------

/**
 * Bytes of packed `a`, `b` (doubles) for `channels` channels: 64 per 4 channels.
 * @category code
 */
export const affinePackedFloats = (channels: number): number => Math.ceil(channels / 4) * 16

/**
 * Writes the per-channel doubles `a`, `b` at float offset `offset` of `dst`'s buffer (8-byte aligned):
 * `rows` layout (channels-last, `len` channels per row): per 4 channels `a0 a1 a2 a3 b0 b1 b2 b3`
 * (zeros past the last channel); `planes` layout: `a_c, b_c` at double `2c`.
 * @category code
 */
export const packAffine = (a: Float64Array, b: Float64Array, dst: { readonly buffer: ArrayBufferLike; readonly byteOffset: number }, offset: number, layout: 'rows' | 'planes'): void => {
  const channels = a.length
  const d = new Float64Array(dst.buffer, dst.byteOffset + offset * 4, affinePackedFloats(channels) / 2)
  d.fill(0)
  for (let ch = 0; ch < channels; ch++) {
    if (layout === 'rows') {
      const base = (ch >> 2) * 8 + (ch & 3)
      d[base] = a[ch] as number
      d[base + 4] = b[ch] as number
    } else {
      d[2 * ch] = a[ch] as number
      d[2 * ch + 1] = b[ch] as number
    }
  }
}

/**
 * The affine function `affine(o, x, w, d…, len, inner, u0, u1)`: `y = x·a + b` per channel in
 * float64, rounded once, then the store operations. `layout` `rows`: units are rows of `len`
 * channels (the channel is the innermost axis); `planes`: units are planes of `inner` floats of one
 * channel each, channel `u mod len`. The sizes are arguments, so that every BatchNormalization of a
 * layout and epilogue shares one module (and its tier-up).
 * @category code
 */
export const affineCode = (layout: 'rows' | 'planes', ops: ReadonlyArray<VecOp>, adds: number): Code => {
  const c = new Code(Array.from({ length: 3 + adds + 4 }, () => I32))
  const O = 0
  const X = 1
  const W = 2
  const D = (k: number): number => 3 + k
  const LEN = 3 + adds
  const INNER = LEN + 1
  const U0 = LEN + 2
  const U1 = LEN + 3
  const op = i32Local(c)
  const xp = i32Local(c)
  const wp = i32Local(c)
  const u = i32Local(c)
  const ch = i32Local(c)
  const count = i32Local(c)
  const rowBytes = i32Local(c)
  const dp = Array.from({ length: adds }, () => i32Local(c))
  const t = v128Local(c)
  const tmp = v128Local(c)
  const lo = v128Local(c)
  const hi = v128Local(c)
  const a = v128Local(c)
  const b = v128Local(c)
  const rowFloats = layout === 'rows' ? LEN : INNER
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(rowFloats).i32(4).i32Mul().set(rowBytes)
  c.get(O).get(U0).get(rowBytes).i32Mul().i32Add().set(op)
  c.get(X).get(U0).get(rowBytes).i32Mul().i32Add().set(xp)
  for (let k = 0; k < adds; k++) c.get(op).get(D(k)).i32Add().set(dp[k] as number)
  c.get(U0).set(u)
  if (layout === 'planes') c.get(U0).get(LEN).i32RemU().set(ch)
  const L = { tmp }
  c.loop()
  if (layout === 'planes') {
    c.get(W).get(ch).i32(16).i32Mul().i32Add().set(wp)
    c.get(wp)
    load64Splat(c, 0)
    c.set(a)
    c.get(wp)
    load64Splat(c, 8)
    c.set(b)
  } else c.get(W).set(wp)
  c.get(rowFloats).set(count)
  const streams: Stream[] = [
    { local: op, scale: 4 },
    { local: xp, scale: 4 },
    ...dp.map((local) => ({ local, scale: 4 })),
    ...(layout === 'rows' ? [{ local: wp, scale: 16 }] : [])
  ]
  emitSpan(c, { local: count }, streams, (lanes, at) => {
    const off = at * 4
    for (const [half, acc] of [
      [0, lo],
      [1, hi]
    ] as const) {
      if (lanes <= 2 && half === 1) {
        c.v128Zero().set(acc)
        continue
      }
      loadHalf64(c, () => void c.get(xp), off, lanes, half)
      if (layout === 'planes') c.get(a)
      else c.get(wp).v128Load(at * 16 + half * 16)
      f64x2Mul(c)
      if (layout === 'planes') c.get(b)
      else c.get(wp).v128Load(at * 16 + 32 + half * 16)
      f64x2Add(c)
      c.set(acc)
    }
    c.get(lo)
    f32x4DemoteZero(c)
    c.get(hi)
    f32x4DemoteZero(c)
    shuffle32(c, [0, 1, 4, 5])
    c.set(t)
    emitOps(c, ops, t, lanes, off, (k) => void c.get(dp[k] as number), L)
    storeLanes(c, () => void c.get(op), off, lanes, t)
  })
  if (layout === 'planes') {
    c.get(ch).i32(1).i32Add().tee(ch).get(LEN).i32Eq().if_().i32(0).set(ch).end()
  }
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}
