/**
 * Backward of the layers that only move values: ZeroPadding2D, Cropping2D, Concatenate, Reshape,
 * Flatten, nearest UpSampling2D. Each output element is one input element or a zero, so the backward
 * is a scatter-add of the output gradient through that map. The map is read off the layer's own
 * forward once per shape: its reference implementation runs in float64 on one sample whose elements
 * hold their own (1-based) index, inputs numbered one after the other, and every output value names
 * its source (0: a zero it made). The backward is therefore the forward's transpose by construction.
 *
 * Also the elementwise affine layers (Rescaling, Normalization at inference): `y = a ⊙ x + b` per
 * element, with `a` read off the forward as f(1) − f(0).
 */
import type { Tensor } from '../../core/Tensor.js'
import type { CompiledLayer } from '../../layers/LayerKind.js'
import type { FloatArray } from '../../numerics/FloatArray.js'

/** Where each output element of a sample comes from: input `input[o]`, element `element[o]` (input −1: a zero). */
export interface GatherMap {
  readonly input: Int32Array
  readonly element: Int32Array
}

/**
 * Probes a float64 compiled layer (`layer`, per-sample input sizes `sizes`) for its gather map, or
 * returns `undefined` when an output value is not one of its inputs' elements (the layer is not a
 * pure gather).
 * @category training
 */
export const probeGather = (layer: CompiledLayer, shapes: ReadonlyArray<ReadonlyArray<number>>, weights: ReadonlyArray<Tensor>): GatherMap | undefined => {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1))
  const starts: number[] = []
  let next = 1
  const inputs: Tensor[] = shapes.map((s, i) => {
    starts.push(next)
    const data = new Float64Array(sizes[i] as number)
    for (let e = 0; e < data.length; e++) data[e] = next + e
    next += data.length
    return { shape: [1, ...s], data }
  })
  const out = layer.forward(weights, inputs).data
  const input = new Int32Array(out.length).fill(-1)
  const element = new Int32Array(out.length)
  for (let o = 0; o < out.length; o++) {
    const v = out[o] as number
    if (v === 0) continue
    if (!Number.isInteger(v) || v < 1 || v >= next) return undefined
    let i = starts.length - 1
    while ((starts[i] as number) > v) i--
    input[o] = i
    element[o] = v - (starts[i] as number)
  }
  return { input, element }
}

/**
 * The input gradients of a gather for `batch` samples: `dy` the output gradient; `sizes` the inputs'
 * per-sample sizes; `into` (optional) the buffers to write them to (zeroed here).
 * @category training
 */
export const gatherVjp = (map: GatherMap, sizes: ReadonlyArray<number>, batch: number, dy: FloatArray, into?: ReadonlyArray<FloatArray>): ReadonlyArray<FloatArray> => {
  const dxs = into === undefined ? sizes.map((s) => new Float64Array(batch * s)) : into.map((d) => d.fill(0))
  const outSize = map.input.length
  for (let n = 0; n < batch; n++) {
    const o0 = n * outSize
    for (let o = 0; o < outSize; o++) {
      const i = map.input[o] as number
      if (i < 0) continue
      const dx = dxs[i] as FloatArray
      const at = n * (sizes[i] as number) + (map.element[o] as number)
      dx[at] = (dx[at] as number) + (dy[o0 + o] as number)
    }
  }
  return dxs
}

/**
 * The forward of a gather for `batch` samples into `out`: each output element its source element, or 0.
 * @category training
 */
export const gatherForward = (map: GatherMap, sizes: ReadonlyArray<number>, batch: number, xs: ReadonlyArray<FloatArray>, out: FloatArray): FloatArray => {
  const outSize = map.input.length
  for (let n = 0; n < batch; n++) {
    const o0 = n * outSize
    for (let o = 0; o < outSize; o++) {
      const i = map.input[o] as number
      out[o0 + o] = i < 0 ? 0 : ((xs[i] as FloatArray)[n * (sizes[i] as number) + (map.element[o] as number)] as number)
    }
  }
  return out
}

/**
 * The per-element slope `a` of an elementwise affine layer (`y = a ⊙ x + b`) of per-sample shape
 * `shape`, from its float64 forward at 1 and at 0; `undefined` when the output is not elementwise
 * affine (its size differs, or f(2) ≠ 2·f(1) − f(0) somewhere beyond rounding).
 * @category training
 */
export const probeAffine = (layer: CompiledLayer, shape: ReadonlyArray<number>, weights: ReadonlyArray<Tensor>): Float64Array | undefined => {
  const size = shape.reduce((a, b) => a * b, 1)
  const at = (v: number): FloatArray => layer.forward(weights, [{ shape: [1, ...shape], data: new Float64Array(size).fill(v) }]).data
  const f0 = at(0)
  const f1 = at(1)
  const f2 = at(2)
  if (f0.length !== size) return undefined
  const a = new Float64Array(size)
  for (let e = 0; e < size; e++) {
    const slope = (f1[e] as number) - (f0[e] as number)
    const check = (f2[e] as number) - (f1[e] as number)
    if (!(Math.abs(check - slope) <= 1e-9 * Math.max(1, Math.abs(slope)))) return undefined
    a[e] = slope
  }
  return a
}
