/** The training op of Keras 3's image augmentation layers (src/train/augment.ts has the transforms). */
import * as E from 'fp-ts/lib/Either.js'
import type { Node } from '../../compiler/Graph.js'
import type { DataFormat } from '../../geometry/DataFormat.js'
import type { FloatArray, FloatDType } from '../../numerics/FloatArray.js'
import { deriveSeed, uniformStream } from '../../numerics/random.js'
import { augmentationOf, augmentImages, drawAugmentation, type AugmentationSpec, type ImageLayout } from '../augment.js'
import type { Result, NodeOp } from '../NodeOp.js'

/**
 * Keras 3's image augmentation layers (src/train/augment.ts): in training, a random transform per image
 * drawn from the run's key and the node (Keras's own random stream cannot be reproduced), its backward
 * exact; outside training, the identity. tf.keras 2.x's versions of these layers draw and transform
 * otherwise (independent flips per axis, its own rotation convention): refused.
 */
export const augmentOp = (
  node: Node,
  perSample: ReadonlyArray<number>,
  dtype: FloatDType,
  fail: (message: string) => Result<NodeOp>,
  wrap: (op: Result<NodeOp>) => Result<NodeOp>
): Result<NodeOp> => {
  const spec = node.spec as unknown as AugmentationSpec & { readonly dataFormat: DataFormat; readonly dialect: string }
  if (node.spec.dialect !== 'keras3') {
    return fail("training through tf.keras 2.x's augmentation layers is not supported (layerspec trains them as Keras 3 does, and tf.keras 2.x draws and transforms otherwise); augment the data before fit, or use a Keras 3 file")
  }
  if (perSample.length !== 3) return fail(`expected images (a rank-3 value per sample), found a value of shape ${JSON.stringify(perSample)}`)
  const cf = spec.dataFormat === 'channels_first'
  const layout: ImageLayout = cf
    ? { rows: perSample[1] as number, cols: perSample[2] as number, channels: perSample[0] as number, channelsFirst: true }
    : { rows: perSample[0] as number, cols: perSample[1] as number, channels: perSample[2] as number, channelsFirst: false }
  return wrap(
    E.right((inputs, _w, batch, mode, buf) => {
      const x = inputs[0] as FloatArray
      if (!mode.training) {
        const out = buf.float('out', x.length)
        out.set(x)
        return { output: out, backward: (dy) => ({ inputs: [Float64Array.from(dy)], weights: [] }) }
      }
      const draws = drawAugmentation(spec, batch, layout, uniformStream(deriveSeed(mode.key, `augment/${node.id}`)))
      const pixels = batch * layout.rows * layout.cols
      const out = buf.float('out', x.length)
      const back = augmentImages(augmentationOf(spec, layout, draws), batch, layout, x, out, { at: buf.int('at', 4 * pixels), w: buf.float('w', 4 * pixels) }, dtype)
      return { output: out, backward: (dy) => ({ inputs: [back(dy, buf.float('dx', dy.length))], weights: [] }) }
    })
  )
}
