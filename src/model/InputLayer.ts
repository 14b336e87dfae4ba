/**
 * The `InputLayer` codec: Keras 2's `batch_input_shape`, Keras 3's `batch_shape`, or `input_shape`
 * (+ `batch_size`), with `dtype`, `sparse`, `ragged`, `name` and Keras ≥ 3.14's `optional`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { deepFreeze } from '../core/deepFreeze.js'
import { kerasObject, optional } from '../core/KerasObject.js'
import { PositiveInt } from '../core/PositiveInt.js'
import { Bool, nullOr } from '../core/primitives.js'
import type { Dialect } from '../codec/Dialect.js'
import { dtypeCodec } from '../codec/DType.js'
import { shapeOfMinRank } from '../codec/InputShape.js'
import { LayerName } from '../layers/base.js'
import type { InputLayerSpec } from './ModelSpec.js'

const BatchShape = shapeOfMinRank(1, '[batch, then the input axes]')
const Shape = shapeOfMinRank(0, '[the input axes, no batch axis]')

const fields = (dialect: Dialect) =>
  ({
    name: optional(LayerName, null),
    batch_input_shape: optional(nullOr(BatchShape), null),
    batch_shape: optional(nullOr(BatchShape), null),
    input_shape: optional(nullOr(Shape), null),
    batch_size: optional(nullOr(PositiveInt), null),
    dtype: optional(dtypeCodec(dialect), 'float32'),
    sparse: optional(Bool, false),
    ragged: optional(Bool, false),
    optional: optional(Bool, false)
  }) as const

/**
 * The InputLayer config codec. Sparse, ragged and optional inputs are rejected (layerspec runs dense
 * tensors); a config without any shape is rejected (Keras requires one).
 * @category codecs
 */
export const inputLayerCodec = (dialect: Dialect): t.Type<InputLayerSpec, Record<string, unknown>, unknown> => {
  const config = kerasObject('InputLayer', fields(dialect), {
    rules: [
      {
        keys: ['batch_input_shape', 'batch_shape', 'input_shape'],
        check: (c) =>
          c.batch_input_shape === null && c.batch_shape === null && c.input_shape === null
            ? { key: 'batch_input_shape', message: 'an InputLayer needs a shape: give batch_input_shape (Keras 2), batch_shape (Keras 3) or input_shape' }
            : [c.batch_input_shape, c.batch_shape].every((s) => s !== null)
              ? { key: 'batch_shape', message: 'give either batch_input_shape (Keras 2) or batch_shape (Keras 3), not both' }
              : undefined
      },
      { keys: ['sparse'], check: (c) => (c.sparse ? { key: 'sparse', message: 'sparse inputs are not supported (layerspec runs dense tensors); expected false' } : undefined) },
      { keys: ['ragged'], check: (c) => (c.ragged ? { key: 'ragged', message: 'ragged inputs are not supported (layerspec runs dense tensors); expected false' } : undefined) },
      { keys: ['optional'], check: (c) => (c.optional ? { key: 'optional', message: 'optional inputs are not supported; expected false' } : undefined) }
    ]
  })
  return new t.Type<InputLayerSpec, Record<string, unknown>, unknown>(
    'an InputLayer config',
    (u): u is InputLayerSpec => typeof u === 'object' && u !== null && (u as { className?: unknown }).className === 'InputLayer',
    (u, c) =>
      pipe(
        config.validate(u, c),
        E.map((d) => {
          const batchShape = d.batch_input_shape ?? d.batch_shape ?? [d.batch_size, ...(d.input_shape ?? [])]
          return deepFreeze<InputLayerSpec>({
            className: 'InputLayer',
            dialect,
            name: d.name,
            trainable: true,
            dtype: d.dtype,
            inputShape: batchShape.slice(1),
            batchSize: (batchShape[0] ?? null) as InputLayerSpec['batchSize'],
            batchShape,
            sparse: d.sparse,
            ragged: d.ragged
          })
        })
      ),
    (s) => {
      const shapeKey = s.dialect === 'keras2' ? 'batch_input_shape' : 'batch_shape'
      return {
        [shapeKey]: [...s.batchShape],
        // Keras writes an InputLayer's dtype as a plain string in every version
        dtype: s.dtype,
        sparse: s.sparse,
        ragged: s.ragged,
        ...(s.name === null ? {} : { name: s.name })
      }
    }
  )
}
