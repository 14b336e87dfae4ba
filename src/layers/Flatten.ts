/**
 * Flatten: `[batch, d1, …, dn]` → `[batch, d1·…·dn]`. With `data_format: channels_first` Keras first
 * moves the channel axis last, so the flattened order is the channels_last one.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { optional } from '../core/KerasObject.js'
import { oneOfNames } from '../core/primitives.js'
import { specError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { DATA_FORMATS, type DataFormat } from '../geometry/DataFormat.js'
import { allocate } from '../numerics/FloatArray.js'
import type { BaseLayerSpec } from './base.js'
import type { LayerKind } from './LayerKind.js'
import { productOrNull, singleInput } from './shapes.js'
import { layerCodec } from './simple.js'

/**
 * A normalized Flatten layer.
 * @category model
 */
export interface FlattenSpec extends BaseLayerSpec {
  readonly className: 'Flatten'
  readonly dataFormat: DataFormat
}

/**
 * Flatten.
 * @category layers
 */
export const FlattenKind: LayerKind<FlattenSpec> = {
  className: 'Flatten',
  aliases: [],
  arity: 'single',
  codec: layerCodec<FlattenSpec>('Flatten')(
    (o) => ({ data_format: optional(oneOfNames<DataFormat>('data_format', DATA_FORMATS, { caseInsensitive: true, nullMeans: o.imageDataFormat }), o.imageDataFormat) }),
    (c) => ({ dataFormat: c.data_format }),
    (s) => ({ data_format: s.dataFormat })
  ),
  infer: (_spec, inputs) =>
    pipe(
      singleInput('Flatten', inputs),
      E.chain((input) =>
        input.length < 2
          ? E.left([specError('', `Flatten expects an input of rank ≥ 2 (batch axis included), found rank ${input.length}`)])
          : E.right({ outputShape: [input[0] ?? null, productOrNull(input.slice(1))], weights: [] })
      )
    ),
  compile: (spec, inputs, options) => {
    const shape = inputs[0] ?? []
    const size = shape.reduce((a, b) => a * b, 1)
    const moveChannels = spec.dataFormat === 'channels_first' && shape.length >= 2
    const channels = shape[0] ?? 1
    const inner = size / channels
    return E.right({
      outputShape: [size],
      weights: [],
      forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const x = xs[0] as Tensor
        const batch = x.shape[0] as number
        if (!moveChannels) return { shape: [batch, size], data: x.data.slice() }
        // [batch, C, rest…] → [batch, rest…, C]
        const out = allocate(options.dtype, batch * size)
        for (let n = 0; n < batch; n++) {
          const base = n * size
          for (let c = 0; c < channels; c++) {
            for (let i = 0; i < inner; i++) out[base + i * channels + c] = x.data[base + c * inner + i]!
          }
        }
        return { shape: [batch, size], data: out }
      }
    })
  }
}
