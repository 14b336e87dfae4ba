/** The training op of Dropout / SpatialDropout2D. */
import type { Node } from '../../compiler/Graph.js'
import type { DropoutSpec, SpatialDropout2DSpec } from '../../layers/elementwise/dropout.js'
import type { FloatArray, FloatDType } from '../../numerics/FloatArray.js'
import { deriveSeed, uint32Stream } from '../../numerics/random.js'
import type { NodeOp } from '../NodeOp.js'

/**
 * Dropout / SpatialDropout2D: in training, inverted dropout (keep with probability 1 − rate, kept
 * values × 1/(1 − rate), the factor rounded to the dtype as Keras's TensorFlow backend does; rate 1
 * drops everything), the mask drawn from the run's key and the node; `noise_shape` (batch axis
 * first) broadcasts the mask; SpatialDropout2D drops whole channels. Outside training: the identity.
 */
export const dropoutOp = (node: Node, perSample: ReadonlyArray<number>, dtype: FloatDType): NodeOp => {
  const spec = node.spec as DropoutSpec | SpatialDropout2DSpec
  const rate = spec.rate
  const size = perSample.reduce((a, b) => a * b, 1)
  // the mask's shape per sample (1 where it broadcasts) and whether the batch axis broadcasts
  let maskShape: ReadonlyArray<number> = perSample
  let perBatch = true
  if (spec.className === 'SpatialDropout2D') {
    maskShape = spec.dataFormat === 'channels_first' ? [perSample[0] as number, 1, 1] : [1, 1, perSample[2] as number]
  } else if (spec.noiseShape !== null && spec.noiseShape.length === perSample.length + 1) {
    perBatch = spec.noiseShape[0] !== 1
    maskShape = perSample.map((d, i) => {
      const m = spec.noiseShape?.[i + 1]
      return m === null || m === undefined ? d : m
    })
  }
  const maskSize = maskShape.reduce((a, b) => a * b, 1)
  // element → mask element
  const strides = maskShape.map((_, i) => maskShape.slice(i + 1).reduce((a, b) => a * b, 1))
  const maskOf = new Int32Array(size)
  const coord = perSample.map(() => 0)
  for (let e = 0; e < size; e++) {
    let m = 0
    for (let a = 0; a < perSample.length; a++) m += ((maskShape[a] as number) === 1 ? 0 : (coord[a] as number)) * (strides[a] as number)
    maskOf[e] = m
    for (let a = perSample.length - 1; a >= 0; a--) {
      coord[a] = (coord[a] as number) + 1
      if ((coord[a] as number) < (perSample[a] as number)) break
      coord[a] = 0
    }
  }
  const scale = rate >= 1 ? 0 : dtype === 'float32' ? Math.fround(1 / (1 - rate)) : 1 / (1 - rate)
  // the mask covers every element (no broadcast): the mask is read elementwise
  const full = perBatch && maskSize === size
  /** `to = from ⊙ mask` (the mask broadcast as the layer says). */
  const times = (from: FloatArray, masks: FloatArray, batch: number, to: FloatArray): FloatArray => {
    if (full) for (let i = 0; i < to.length; i++) to[i] = (from[i] as number) * (masks[i] as number)
    else {
      for (let n = 0; n < batch; n++) {
        const m0 = perBatch ? n * maskSize : 0
        for (let e = 0; e < size; e++) to[n * size + e] = (from[n * size + e] as number) * (masks[m0 + (maskOf[e] as number)] as number)
      }
    }
    return to
  }
  return (inputs, _w, batch, mode, buf) => {
    const x = inputs[0] as FloatArray
    if (!mode.training || rate === 0) return { output: x.slice(), backward: (dy) => ({ inputs: [Float64Array.from(dy)], weights: [] }) }
    // one uint32 per mask element: kept when the draw is ≥ rate·2³² (probability 1 − rate, to 2⁻³²)
    const u32 = uint32Stream(deriveSeed(mode.key, `dropout/${node.id}`))
    const masks = buf.float('mask', (perBatch ? batch : 1) * maskSize)
    const cut = rate * 4294967296
    for (let i = 0; i < masks.length; i++) masks[i] = rate >= 1 ? 0 : u32() >= cut ? scale : 0
    return {
      output: times(x, masks, batch, buf.float('out', x.length)),
      backward: (dy) => ({ inputs: [times(dy, masks, batch, buf.float('dx', dy.length))], weights: [] })
    }
  }
}
