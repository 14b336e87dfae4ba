/**
 * `pad` (ZeroPadding2D) and `crop` (Cropping2D) nodes in plain TypeScript: each output row is its
 * input row's overlap (one contiguous run in either data format: a row of `cols · C` values for
 * channels_last, of `cols` values per channel for channels_first) with zeros written around it, so
 * every output value is written on every call.
 */
import type { DataFormat } from '../../../geometry/DataFormat.js'
import type { Cropping2DSpec, ZeroPadding2DSpec } from '../../../layers/spatial/padding.js'
import type { FloatArray } from '../../../numerics/FloatArray.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { lastAxisOf, makeEpilogue, shapeOf, sizeOf, withEpilogue } from './common.js'

/**
 * An image of `planes` planes (1 for channels_last, C for channels_first) of `rows` rows of `cols`
 * pixels of `pixel` values (C for channels_last, 1 for channels_first).
 */
export interface Planes {
  readonly planes: number
  readonly rows: number
  readonly cols: number
  readonly pixel: number
}

/** The planes of a rank-3 per-sample image shape. */
export const planesOf = (format: DataFormat, shape: ReadonlyArray<number>): Planes | undefined => {
  if (shape.length !== 3) return undefined
  const [a, b, c] = shape as [number, number, number]
  return format === 'channels_first' ? { planes: a, rows: b, cols: c, pixel: 1 } : { planes: 1, rows: a, cols: b, pixel: c }
}

/**
 * Writes `batch` output images whose origin sits at (`rowOffset`, `colOffset`) of the input's (positive
 * for padding, negative for cropping): the overlap copied, the rest zero.
 */
export const shiftCopy = (view: FloatArray, batch: number, x: number, inL: Planes, out: number, outL: Planes, rowOffset: number, colOffset: number): void => {
  const h0 = Math.max(0, -rowOffset)
  const h1 = Math.min(inL.rows, outL.rows - rowOffset)
  const w0 = Math.max(0, -colOffset)
  const w1 = Math.min(inL.cols, outL.cols - colOffset)
  const px = inL.pixel
  const inRow = inL.cols * px
  const outRow = outL.cols * px
  const left = (w0 + colOffset) * px
  const run = Math.max(0, w1 - w0) * px
  const planes = batch * inL.planes
  for (let p = 0; p < planes; p++) {
    const xp = x + p * inL.rows * inRow + w0 * px
    const op = out + p * outL.rows * outRow
    for (let oh = 0; oh < outL.rows; oh++) {
      const o = op + oh * outRow
      const h = oh - rowOffset
      if (h < h0 || h >= h1 || run === 0) {
        view.fill(0, o, o + outRow)
        continue
      }
      if (left > 0) view.fill(0, o, o + left)
      const src = xp + h * inRow
      const dst = o + left
      if (run < 64) for (let i = 0; i < run; i++) view[dst + i] = view[src + i] as number
      else view.copyWithin(dst, src, src + run)
      if (left + run < outRow) view.fill(0, o + left + run, o + outRow)
    }
  }
}

/**
 * The family of `pad` and `crop` nodes: `ts-pad`, `ts-crop`.
 * @category kernels
 */
export const tsPadCrop = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.inputs.length !== 1) return undefined
  let rowOffset: number
  let colOffset: number
  let format: DataFormat
  if (node.kind === 'pad' && node.spec.className === 'ZeroPadding2D') {
    const s = node.spec as ZeroPadding2DSpec
    rowOffset = s.padding[0][0]
    colOffset = s.padding[1][0]
    format = s.dataFormat
  } else if (node.kind === 'crop' && node.spec.className === 'Cropping2D') {
    const s = node.spec as Cropping2DSpec
    rowOffset = -s.cropping[0][0]
    colOffset = -s.cropping[1][0]
    format = s.dataFormat
  } else return undefined
  const input = node.inputs[0] as number
  const inL = planesOf(format, shapeOf(graph, input))
  const outShape = shapeOf(graph, node.output)
  const outL = planesOf(format, outShape)
  if (inL === undefined || outL === undefined || inL.planes !== outL.planes || inL.pixel !== outL.pixel) return undefined
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(outShape))
  return withEpilogue(node.kind === 'pad' ? 'ts-pad' : 'ts-crop', false, epilogue, size, (view, batch, io) =>
    shiftCopy(view, batch, io.inputs[0] as number, inL, io.output, outL, rowOffset, colOffset)
  )
}
