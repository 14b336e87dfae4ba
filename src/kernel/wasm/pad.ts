/**
 * The `pad` export: builds the zero-padded input inside wasm memory from a raw copy of the input
 * staged in the output region (free until the kernel runs), one padded row per work unit, with
 * `memory.copy` and `memory.fill`. Used when the raw input fits in the output region and is already
 * in the padded layout's order (NHWC into NHWC, NCHW into NCHW), so that padding costs one memcpy
 * of the input from JS plus bulk copies that threads can share.
 *
 * `pad(stage, dst, _, u0, u1)`: padded rows `[u0, u1)` of `batch · Hp` (NHWC) or `batch · C · Hp`
 * (NCHW); the third argument is unused (the signature matches `run`, so worker threads call either).
 */
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { PaddedLayout } from '../layout.js'
import { Code, I32 } from './encoder.js'

/** Whether the staged pad applies: same order, and the raw input fits in the output region. */
export const stagedPadApplies = (g: ConvGeometry, L: PaddedLayout): boolean =>
  L.nchw === (g.dataFormat === 'channels_first') && g.outputSize >= g.inputSize

/** Padded rows of a batch. */
export const padUnits = (L: PaddedLayout, batch: number): number => batch * L.Hp * (L.nchw ? L.C : 1)

/** The `pad` function's code. */
export const padCode = (g: ConvGeometry, L: PaddedLayout): Code => {
  const c = new Code([I32, I32, I32, I32, I32])
  const STAGE = 0
  const DST = 1
  const U0 = 3
  const U1 = 4
  const u = c.local(I32)
  const q = c.local(I32)
  const h = c.local(I32)
  const d = c.local(I32)
  const per = L.nchw ? 1 : L.C // values per column
  const dstRow = L.rowSize * 4
  const srcRow = g.inWidth * per * 4
  const left = Math.min(g.padLeft, L.Wp) * per * 4
  const cols = Math.max(0, Math.min(g.inWidth, L.Wp - g.padLeft)) * per * 4
  const right = dstRow - left - cols
  c.get(U0).get(U1).i32GeS().if_().return_().end()
  c.get(U0).set(u)
  c.loop()
  // q = u / Hp (sample, or sample·C + channel), h = u % Hp − padTop; d = dst + u·dstRow
  c.get(u).i32(L.Hp).i32DivU().set(q)
  c.get(u).get(q).i32(L.Hp).i32Mul().i32Sub().i32(g.padTop).i32Sub().set(h)
  c.get(DST).get(u).i32(dstRow).i32Mul().i32Add().set(d)
  c.get(h).i32(0).i32GeS().get(h).i32(g.inHeight).i32LtS().i32And()
  c.i32(cols > 0 ? 1 : 0).i32And()
  c.if_()
  if (left > 0) c.get(d).i32(0).i32(left).memoryFill()
  c.get(d).i32(left).i32Add()
  c.get(STAGE).get(q).i32(g.inHeight).i32Mul().get(h).i32Add().i32(srcRow).i32Mul().i32Add()
  c.i32(cols).memoryCopy()
  if (right > 0) c.get(d).i32(left + cols).i32Add().i32(0).i32(right).memoryFill()
  c.else_()
  c.get(d).i32(0).i32(dstRow).memoryFill()
  c.end()
  c.get(u).i32(1).i32Add().tee(u).get(U1).i32LtS().brIf(0)
  c.end()
  return c
}
