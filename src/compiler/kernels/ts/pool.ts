/**
 * `pool` nodes (MaxPooling2D, AveragePooling2D: `valid` and `same`, both data formats) and `globalPool`
 * nodes (GlobalMaxPooling2D, GlobalAveragePooling2D, with or without keepdims) in plain TypeScript.
 *
 * Keras's rules, as the layers compute them: `same` windows are clipped to the image (max ignores the
 * padding; average divides by the number of in-bounds taps of each window, not by the window's size);
 * a NaN in a window gives NaN; ties between −0 and +0 keep the first in row-major window order (the
 * taps are visited in the layer's order: rows, then columns); sums are float64 in that order, divided
 * (not multiplied by a reciprocal) and rounded once. So the results are the reference's bit for bit.
 * Float32 max pooling compares order keys of the bits without branches; float64 max pooling and
 * average pooling unroll full 2×2 (and 3×3) windows (a loop over so few taps costs more than the taps).
 */
import type { GlobalPooling2DSpec, Pooling2DSpec } from '../../../layers/spatial/pooling.js'
import { axisPadding } from '../../../geometry/Padding.js'
import type { FloatArray } from '../../../numerics/FloatArray.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { int32Of, lastAxisOf, makeEpilogue, shapeOf, sizeOf, withEpilogue } from './common.js'
import { planesOf, type Planes } from './padCrop.js'

/** `v` replaces the running maximum `m` when it is larger or NaN (the layer's rule). */
const maxOf = (m: number, v: number): number => (v > m || v !== v ? v : m)

interface Window {
  readonly ph: number
  readonly pw: number
  readonly sh: number
  readonly sw: number
  readonly top: number
  readonly left: number
}

/**
 * The order key of float32 bits for the layer's max: the bits' order as a signed magnitude (negative
 * values flipped), −0 and +0 equal (the layer keeps the first of tied zeros: a candidate replaces the
 * maximum only when its key is greater), every NaN the largest key (a NaN in the window wins, as in the
 * layer: after a NaN nothing compares greater). Keys lie in [−0x7f800000, 0x7f800000] ∪ {0x7fffffff}.
 */
const keyOf = (b: number): number => {
  const nan = (0x7f800000 - (b & 0x7fffffff)) >> 31
  return (((b ^ ((b >> 31) & 0x7fffffff)) - (b >> 31)) & ~nan) | (0x7fffffff & nan)
}

/**
 * Max pooling of `batch` float32 images on their bits (`x`, `out` are int32 indices): the layer's
 * maximum (see {@link keyOf}), without a data-dependent branch (a random comparison mispredicts
 * about every other tap otherwise: 3-5× slower).
 */
const maxPoolBits = (b: Int32Array<ArrayBufferLike>, batch: number, x: number, inL: Planes, out: number, outL: Planes, w: Window): void => {
  const px = inL.pixel
  const inRow = inL.cols * px
  const inPlane = inL.rows * inRow
  const outRow = outL.cols * px
  const outPlane = outL.rows * outRow
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = x + p * inPlane
    const op = out + p * outPlane
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * w.sh - w.top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + w.ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * w.sw - w.left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + w.pw, inL.cols)
        const o = op + oh * outRow + ow * px
        const base = xp + h0 * inRow + w0 * px
        const rows = h1 - h0
        const cols = w1 - w0
        if (rows === 2 && cols === 2) {
          for (let c = 0; c < px; c++) {
            const i = base + c
            let mb = b[i] as number
            let km = keyOf(mb)
            let vb = b[i + px] as number
            let kv = keyOf(vb)
            let m = -+(kv > km)
            km = (kv & m) | (km & ~m)
            mb = (vb & m) | (mb & ~m)
            vb = b[i + inRow] as number
            kv = keyOf(vb)
            m = -+(kv > km)
            km = (kv & m) | (km & ~m)
            mb = (vb & m) | (mb & ~m)
            vb = b[i + inRow + px] as number
            kv = keyOf(vb)
            m = -+(kv > km)
            b[o + c] = (vb & m) | (mb & ~m)
          }
          continue
        }
        for (let c = 0; c < px; c++) {
          let mb = b[base + c] as number
          let km = keyOf(mb)
          for (let h = 0; h < rows; h++) {
            const r = base + h * inRow + c
            for (let k = h === 0 ? 1 : 0; k < cols; k++) {
              const vb = b[r + k * px] as number
              const kv = keyOf(vb)
              const m = -+(kv > km)
              km = (kv & m) | (km & ~m)
              mb = (vb & m) | (mb & ~m)
            }
          }
          b[o + c] = mb
        }
      }
    }
  }
}

/** Max pooling of `batch` images: every output value written. */
const maxPool = (view: FloatArray, batch: number, x: number, inL: Planes, out: number, outL: Planes, w: Window): void => {
  if (view instanceof Float32Array) {
    const at = view.byteOffset >> 2
    maxPoolBits(int32Of(view), batch, x + at, inL, out + at, outL, w)
    return
  }
  const px = inL.pixel
  const inRow = inL.cols * px
  const inPlane = inL.rows * inRow
  const outRow = outL.cols * px
  const outPlane = outL.rows * outRow
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = x + p * inPlane
    const op = out + p * outPlane
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * w.sh - w.top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + w.ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * w.sw - w.left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + w.pw, inL.cols)
        const o = op + oh * outRow + ow * px
        const base = xp + h0 * inRow + w0 * px
        const rows = h1 - h0
        const cols = w1 - w0
        if (rows === 2 && cols === 2) {
          for (let c = 0; c < px; c++) {
            const i = base + c
            let m = view[i] as number
            m = maxOf(m, view[i + px] as number)
            m = maxOf(m, view[i + inRow] as number)
            m = maxOf(m, view[i + inRow + px] as number)
            view[o + c] = m
          }
        } else if (rows === 3 && cols === 3) {
          const r2 = 2 * inRow
          const p2 = 2 * px
          for (let c = 0; c < px; c++) {
            const i = base + c
            let m = view[i] as number
            m = maxOf(m, view[i + px] as number)
            m = maxOf(m, view[i + p2] as number)
            m = maxOf(m, view[i + inRow] as number)
            m = maxOf(m, view[i + inRow + px] as number)
            m = maxOf(m, view[i + inRow + p2] as number)
            m = maxOf(m, view[i + r2] as number)
            m = maxOf(m, view[i + r2 + px] as number)
            m = maxOf(m, view[i + r2 + p2] as number)
            view[o + c] = m
          }
        } else {
          for (let c = 0; c < px; c++) {
            let m = -Infinity
            for (let h = 0; h < rows; h++) {
              const r = base + h * inRow + c
              for (let k = 0; k < cols; k++) m = maxOf(m, view[r + k * px] as number)
            }
            view[o + c] = m
          }
        }
      }
    }
  }
}

/** Average pooling of `batch` images (in-bounds taps only): every output value written. */
const averagePool = (view: FloatArray, batch: number, x: number, inL: Planes, out: number, outL: Planes, w: Window): void => {
  const px = inL.pixel
  const inRow = inL.cols * px
  const inPlane = inL.rows * inRow
  const outRow = outL.cols * px
  const outPlane = outL.rows * outRow
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = x + p * inPlane
    const op = out + p * outPlane
    for (let oh = 0; oh < outL.rows; oh++) {
      const hStart = oh * w.sh - w.top
      const h0 = Math.max(hStart, 0)
      const h1 = Math.min(hStart + w.ph, inL.rows)
      for (let ow = 0; ow < outL.cols; ow++) {
        const wStart = ow * w.sw - w.left
        const w0 = Math.max(wStart, 0)
        const w1 = Math.min(wStart + w.pw, inL.cols)
        const o = op + oh * outRow + ow * px
        const base = xp + h0 * inRow + w0 * px
        const rows = h1 - h0
        const cols = w1 - w0
        const count = rows * cols
        if (rows === 2 && cols === 2) {
          for (let c = 0; c < px; c++) {
            const i = base + c
            // 0 + first tap, as the layer's sum starts at 0 (−0 + … would keep a −0 it turns into +0)
            view[o + c] = (0 + (view[i] as number) + (view[i + px] as number) + (view[i + inRow] as number) + (view[i + inRow + px] as number)) / 4
          }
        } else {
          for (let c = 0; c < px; c++) {
            let sum = 0
            for (let h = 0; h < rows; h++) {
              const r = base + h * inRow + c
              for (let k = 0; k < cols; k++) sum += view[r + k * px] as number
            }
            view[o + c] = sum / count
          }
        }
      }
    }
  }
}

/**
 * The family of `pool` nodes: `ts-maxpool`, `ts-avgpool`.
 * @category kernels
 */
export const tsPool = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'pool' || node.inputs.length !== 1) return undefined
  const cls = node.spec.className
  if (cls !== 'MaxPooling2D' && cls !== 'AveragePooling2D') return undefined
  const spec = node.spec as Pooling2DSpec
  const input = node.inputs[0] as number
  const inL = planesOf(spec.dataFormat, shapeOf(graph, input))
  const outShape = shapeOf(graph, node.output)
  const outL = planesOf(spec.dataFormat, outShape)
  if (inL === undefined || outL === undefined || inL.planes !== outL.planes || inL.pixel !== outL.pixel) return undefined
  const [ph, pw] = spec.poolSize
  const [sh, sw] = spec.strides
  const win: Window = {
    ph,
    pw,
    sh,
    sw,
    top: axisPadding(inL.rows, ph, sh, 1, spec.padding).before,
    left: axisPadding(inL.cols, pw, sw, 1, spec.padding).before
  }
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(outShape))
  const pool = cls === 'MaxPooling2D' ? maxPool : averagePool
  return withEpilogue(cls === 'MaxPooling2D' ? 'ts-maxpool' : 'ts-avgpool', false, epilogue, size, (view, batch, io) =>
    pool(view, batch, io.inputs[0] as number, inL, io.output, outL, win)
  )
}

/**
 * The family of `globalPool` nodes: `ts-global-maxpool`, `ts-global-avgpool`.
 * @category kernels
 */
export const tsGlobalPool = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'globalPool' || node.inputs.length !== 1) return undefined
  const cls = node.spec.className
  if (cls !== 'GlobalMaxPooling2D' && cls !== 'GlobalAveragePooling2D') return undefined
  const spec = node.spec as GlobalPooling2DSpec
  const inL = planesOf(spec.dataFormat, shapeOf(graph, node.inputs[0] as number))
  const outShape = shapeOf(graph, node.output)
  if (inL === undefined) return undefined
  const C = inL.planes * inL.pixel
  const plane = inL.rows * inL.cols
  if (sizeOf(graph, node.output) !== C) return undefined
  const max = cls === 'GlobalMaxPooling2D'
  const channelsLast = spec.dataFormat === 'channels_last'
  // the per-channel float64 sums of a channels_last sample (the kernel's own, reused by every call)
  const acc = channelsLast && !max ? new Float64Array(C) : new Float64Array(0)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(outShape))
  return withEpilogue(max ? 'ts-global-maxpool' : 'ts-global-avgpool', false, epilogue, C, (view, batch, io) => {
    const x = io.inputs[0] as number
    for (let n = 0; n < batch; n++) {
      const xb = x + n * plane * C
      const o = io.output + n * C
      if (channelsLast) {
        if (max) {
          // the first pixel starts each channel's maximum (−∞ < anything it could replace, NaN included)
          for (let c = 0; c < C; c++) view[o + c] = maxOf(-Infinity, view[xb + c] as number)
          for (let p = 1; p < plane; p++) {
            const xp = xb + p * C
            for (let c = 0; c < C; c++) {
              const m = view[o + c] as number
              const v = view[xp + c] as number
              if (v > m || v !== v) view[o + c] = v
            }
          }
        } else {
          for (let c = 0; c < C; c++) acc[c] = 0 + (view[xb + c] as number)
          for (let p = 1; p < plane; p++) {
            const xp = xb + p * C
            for (let c = 0; c < C; c++) acc[c] = (acc[c] as number) + (view[xp + c] as number)
          }
          for (let c = 0; c < C; c++) view[o + c] = (acc[c] as number) / plane
        }
      } else {
        for (let c = 0; c < C; c++) {
          const xc = xb + c * plane
          let a = max ? -Infinity : 0
          if (max) for (let p = 0; p < plane; p++) a = maxOf(a, view[xc + p] as number)
          else for (let p = 0; p < plane; p++) a += view[xc + p] as number
          view[o + c] = max ? a : a / plane
        }
      }
    }
  })
}
