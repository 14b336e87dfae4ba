/**
 * WebAssembly SIMD code for the copying nodes: Concatenate (runs of each input into each output row)
 * and UpSampling2D `nearest` (each value repeated `fw` times along a row, each row `fh` times). The
 * values are copied bit for bit (NaN payloads included), then the fused store operations applied, as
 * the reference copies and then runs the epilogue.
 *
 * Functions (byte addresses; `d…` one byte distance `operand − o` per fused add):
 * - `concat(o, x_0 … x_{n−1}, d…, u0, u1)`: output rows `[u0, u1)` (the output's dims before the
 *   axis, batch included), each the inputs' runs one after the other; a long run without store
 *   operations is one `memory.copy`;
 * - `upsample(o, x, d…, u0, u1)`: input rows `[u0, u1)` (channels-last: `batch · H`; channels-first:
 *   `batch · C · H`), each giving `fh` output rows: the first built from the input row, the others
 *   copied from it (`memory.copy`) when no add reads an operand, else each built with its operands.
 */
import { Code, I32 } from '../../../kernel/wasm/encoder.js'
import { emitOps, emitSpan, i32Local, loadLanes, storeLanes, v128Local, type Lanes, type Stream } from './opsEmit.js'
import { shuffle32 } from './simd.js'
import type { VecOp } from './opsStages.js'

/** A run this long (bytes) or longer, with no store operation, is copied by `memory.copy`. */
const MEMCPY_BYTES = 512

// -------------------------------------------------------------------------------------
// concat
// -------------------------------------------------------------------------------------

/**
 * The concat function over output rows: input `k` contributes `chunks[k]` floats to each row.
 * @category code
 */
export const concatCode = (chunks: ReadonlyArray<number>, ops: ReadonlyArray<VecOp>, adds: number): Code => {
  const n = chunks.length
  const c = new Code(Array.from({ length: 1 + n + adds + 2 }, () => I32))
  const O = 0
  const X = (k: number): number => 1 + k
  const D = (k: number): number => 1 + n + k
  const U0 = 1 + n + adds
  const U1 = U0 + 1
  const row = chunks.reduce((a, b) => a + b, 0)
  const u = i32Local(c)
  const op = i32Local(c)
  const xp = Array.from({ length: n }, () => i32Local(c))
  const ip = i32Local(c)
  const wp = i32Local(c)
  const dp = Array.from({ length: adds }, () => i32Local(c))
  const t = v128Local(c)
  const tmp = v128Local(c)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(u)
  c.get(O).get(U0).i32(row * 4).i32Mul().i32Add().set(op)
  chunks.forEach((chunk, k) => c.get(X(k)).get(U0).i32(chunk * 4).i32Mul().i32Add().set(xp[k] as number))
  c.loop()
  let at = 0
  chunks.forEach((chunk, k) => {
    const x = xp[k] as number
    if (ops.length === 0 && chunk * 4 >= MEMCPY_BYTES) {
      c.get(op).i32(at * 4).i32Add().get(x).i32(chunk * 4)
      c.memoryCopy()
      c.addTo(x, chunk * 4)
    } else {
      c.get(op).i32(at * 4).i32Add().set(wp)
      c.get(x).set(ip)
      for (let j = 0; j < adds; j++) c.get(wp).get(D(j)).i32Add().set(dp[j] as number)
      const streams: Stream[] = [ip, wp, ...dp].map((local) => ({ local, scale: 4 }))
      emitSpan(c, chunk, streams, (lanes: Lanes, f: number) => {
        loadLanes(c, () => void c.get(ip), f * 4, lanes, tmp)
        c.set(t)
        emitOps(c, ops, t, lanes, f * 4, (j) => void c.get(dp[j] as number), { tmp })
        storeLanes(c, () => void c.get(wp), f * 4, lanes, t)
      })
      c.get(ip).set(x)
    }
    at += chunk
  })
  c.addTo(op, row * 4)
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}

// -------------------------------------------------------------------------------------
// upsample
// -------------------------------------------------------------------------------------

/**
 * A nearest upsampling's geometry (per sample).
 * @category model
 */
export interface UpsampleDef {
  readonly channelsLast: boolean
  readonly H: number
  readonly W: number
  readonly C: number
  readonly fh: number
  readonly fw: number
  readonly ops: ReadonlyArray<VecOp>
  readonly adds: number
}

/**
 * The upsample function over input rows.
 * @category code
 */
export const upsampleCode = (def: UpsampleDef): Code => {
  const { W, C, fh, fw, adds, ops } = def
  const cl = def.channelsLast
  const c = new Code(Array.from({ length: 2 + adds + 2 }, () => I32))
  const O = 0
  const X = 1
  const D = (k: number): number => 2 + k
  const U0 = 2 + adds
  const U1 = U0 + 1
  const inRow = cl ? W * C : W
  const outRow = inRow * fw
  const u = i32Local(c)
  const xr = i32Local(c)
  const orow = i32Local(c)
  const r = i32Local(c)
  const ip = i32Local(c)
  const wp = i32Local(c)
  const k = i32Local(c)
  const dp = Array.from({ length: adds }, () => i32Local(c))
  const t = v128Local(c)
  const tmp = v128Local(c)
  const lo = v128Local(c)
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(u)
  c.get(X).get(U0).i32(inRow * 4).i32Mul().i32Add().set(xr)
  c.get(O).get(U0).i32(outRow * fh * 4).i32Mul().i32Add().set(orow)
  c.loop()
  /** Builds output row `orow + rowOff` from the input row at `xr`. */
  const buildRow = (): void => {
    c.get(xr).set(ip)
    for (let j = 0; j < adds; j++) c.get(wp).get(D(j)).i32Add().set(dp[j] as number)
    const operand = (j: number) => () => void c.get(dp[j] as number)
    if (cl) {
      // each input pixel's C floats, stored fw times (once per repeat when an add reads operands)
      c.i32(W).set(k).loop()
      const pixelStreams: Stream[] = [ip, wp, ...dp].map((local) => ({ local, scale: 4 }))
      if (adds === 0) {
        emitSpan(c, C, [{ local: ip, scale: 4 }, { local: wp, scale: 4 }], (lanes, f) => {
          loadLanes(c, () => void c.get(ip), f * 4, lanes, tmp)
          c.set(t)
          emitOps(c, ops, t, lanes, f * 4, () => undefined, { tmp })
          for (let j = 0; j < fw; j++) storeLanes(c, () => void c.get(wp), (f + j * C) * 4, lanes, t)
        })
        c.addTo(wp, (fw - 1) * C * 4)
      } else {
        for (let j = 0; j < fw; j++) {
          if (j > 0) c.get(ip).i32(C * 4).i32Sub().set(ip)
          emitSpan(c, C, pixelStreams, (lanes, f) => {
            loadLanes(c, () => void c.get(ip), f * 4, lanes, tmp)
            c.set(t)
            emitOps(c, ops, t, lanes, f * 4, (q) => operand(q)(), { tmp })
            storeLanes(c, () => void c.get(wp), f * 4, lanes, t)
          })
        }
      }
      c.get(k).i32(1).i32Sub().tee(k).brIf(0).end()
      return
    }
    // channels-first: a row of W values, each repeated fw times
    if (fw === 2) {
      emitSpan(c, W, [{ local: ip, scale: 4 }, { local: wp, scale: 8 }, ...dp.map((local) => ({ local, scale: 8 }))], (lanes, f) => {
        loadLanes(c, () => void c.get(ip), f * 4, lanes, tmp)
        c.set(t)
        // (a0 a0 a1 a1) (a2 a2 a3 a3)
        c.get(t).get(t)
        shuffle32(c, [0, 0, 1, 1])
        c.set(lo)
        c.get(t).get(t)
        shuffle32(c, [2, 2, 3, 3])
        c.set(t)
        const outLanes = 2 * lanes
        emitOps(c, ops, lo, Math.min(4, outLanes) as Lanes, f * 8, (q) => operand(q)(), { tmp })
        storeLanes(c, () => void c.get(wp), f * 8, Math.min(4, outLanes) as Lanes, lo)
        if (outLanes > 4) {
          emitOps(c, ops, t, (outLanes - 4) as Lanes, f * 8 + 16, (q) => operand(q)(), { tmp })
          storeLanes(c, () => void c.get(wp), f * 8 + 16, (outLanes - 4) as Lanes, t)
        }
      })
      return
    }
    if (fw === 1) {
      emitSpan(c, W, [ip, wp, ...dp].map((local) => ({ local, scale: 4 })), (lanes, f) => {
        loadLanes(c, () => void c.get(ip), f * 4, lanes, tmp)
        c.set(t)
        emitOps(c, ops, t, lanes, f * 4, (q) => operand(q)(), { tmp })
        storeLanes(c, () => void c.get(wp), f * 4, lanes, t)
      })
      return
    }
    // any other factor: each value broadcast, stored as fw floats (vectors, then a tail)
    c.i32(W).set(k).loop()
    c.get(ip).v128Load32Splat(0).set(t)
    if (adds === 0) {
      emitOps(c, ops, t, 4, 0, () => undefined, { tmp })
      for (let f = 0; f < fw; f += 4) storeLanes(c, () => void c.get(wp), f * 4, Math.min(4, fw - f) as Lanes, t)
    } else {
      for (let f = 0; f < fw; f += 4) {
        const lanes = Math.min(4, fw - f) as Lanes
        c.get(t).set(lo)
        emitOps(c, ops, lo, lanes, f * 4, (q) => operand(q)(), { tmp })
        storeLanes(c, () => void c.get(wp), f * 4, lanes, lo)
      }
    }
    c.addTo(ip, 4)
    c.addTo(wp, fw * 4)
    for (const d of dp) c.addTo(d, fw * 4)
    c.get(k).i32(1).i32Sub().tee(k).brIf(0).end()
  }
  if (adds === 0) {
    c.get(orow).set(wp)
    buildRow()
    // the other fh − 1 rows are copies of the first
    for (let q = 1; q < fh; q++) {
      c.get(orow).i32(q * outRow * 4).i32Add().get(orow).i32(outRow * 4)
      c.memoryCopy()
    }
  } else {
    c.i32(0).set(r)
    c.loop()
    c.get(orow).get(r).i32(outRow * 4).i32Mul().i32Add().set(wp)
    buildRow()
    c.get(r).i32(1).i32Add().tee(r).i32(fh).i32LtS().brIf(0)
    c.end()
  }
  c.addTo(xr, inRow * 4)
  c.addTo(orow, outRow * fh * 4)
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}
