/**
 * `upsample` nodes (UpSampling2D) in plain TypeScript, both data formats. `nearest` writes each output
 * row once from its input row (each pixel repeated `size[1]` times) and copies it for the other
 * `size[0] − 1` rows; `bilinear` is TensorFlow's half-pixel-center resize as the layer computes it
 * (per-axis source indices and weights tabulated once, the same float64 formula in the same order), so
 * both are the reference's bit for bit.
 */
import type { UpSampling2DSpec } from '../../../layers/spatial/UpSampling2D.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { lastAxisOf, makeEpilogue, shapeOf, sizeOf, withEpilogue } from './common.js'
import { planesOf } from './padCrop.js'

/** Per output index along one axis: the two input indices and the weight of the second (the layer's table). */
const bilinearAxis = (inLength: number, factor: number): { readonly lo: Int32Array; readonly hi: Int32Array; readonly frac: Float64Array } => {
  const n = inLength * factor
  const lo = new Int32Array(n)
  const hi = new Int32Array(n)
  const frac = new Float64Array(n)
  for (let o = 0; o < n; o++) {
    const src = (o + 0.5) / factor - 0.5
    const f = Math.floor(src)
    lo[o] = Math.max(f, 0)
    hi[o] = Math.min(Math.ceil(src), inLength - 1)
    frac[o] = src - f
  }
  return { lo, hi, frac }
}

/**
 * The family of `upsample` nodes: `ts-upsample-nearest`, `ts-upsample-bilinear`.
 * @category kernels
 */
export const tsUpsample = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'upsample' || node.spec.className !== 'UpSampling2D' || node.inputs.length !== 1) return undefined
  const spec = node.spec as UpSampling2DSpec
  const inL = planesOf(spec.dataFormat, shapeOf(graph, node.inputs[0] as number))
  const outShape = shapeOf(graph, node.output)
  const outL = planesOf(spec.dataFormat, outShape)
  const [fh, fw] = spec.size
  if (inL === undefined || outL === undefined || outL.rows !== inL.rows * fh || outL.cols !== inL.cols * fw || outL.planes !== inL.planes || outL.pixel !== inL.pixel) return undefined
  const px = inL.pixel
  const inRow = inL.cols * px
  const outRow = outL.cols * px
  const inPlane = inL.rows * inRow
  const outPlane = outL.rows * outRow
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(outShape))
  if (spec.interpolation === 'nearest') {
    return withEpilogue('ts-upsample-nearest', false, epilogue, size, (view, batch, io) => {
      const planes = batch * inL.planes
      for (let p = 0; p < planes; p++) {
        const xp = (io.inputs[0] as number) + p * inPlane
        const op = io.output + p * outPlane
        for (let h = 0; h < inL.rows; h++) {
          const src = xp + h * inRow
          const first = op + h * fh * outRow
          let d = first
          for (let w = 0; w < inL.cols; w++) {
            const s = src + w * px
            for (let r = 0; r < fw; r++, d += px) for (let c = 0; c < px; c++) view[d + c] = view[s + c] as number
          }
          for (let r = 1; r < fh; r++) view.copyWithin(first + r * outRow, first, first + outRow)
        }
      }
    })
  }
  const rowsT = bilinearAxis(inL.rows, fh)
  const colsT = bilinearAxis(inL.cols, fw)
  return withEpilogue('ts-upsample-bilinear', false, epilogue, size, (view, batch, io) => {
    const planes = batch * inL.planes
    for (let p = 0; p < planes; p++) {
      const xp = (io.inputs[0] as number) + p * inPlane
      const op = io.output + p * outPlane
      for (let oh = 0; oh < outL.rows; oh++) {
        const top = xp + (rowsT.lo[oh] as number) * inRow
        const bottom = xp + (rowsT.hi[oh] as number) * inRow
        const dy = rowsT.frac[oh] as number
        const orow = op + oh * outRow
        for (let ow = 0; ow < outL.cols; ow++) {
          const l = (colsT.lo[ow] as number) * px
          const r = (colsT.hi[ow] as number) * px
          const dx = colsT.frac[ow] as number
          const o = orow + ow * px
          for (let c = 0; c < px; c++) {
            const tl = view[top + l + c] as number
            const tr = view[top + r + c] as number
            const bl = view[bottom + l + c] as number
            const br = view[bottom + r + c] as number
            const t = tl + (tr - tl) * dx
            const b = bl + (br - bl) * dx
            view[o + c] = t + (b - t) * dy
          }
        }
      }
    }
  })
}
