/**
 * The `InputLayer` codec: Keras 2's `batch_input_shape`, Keras 3's `batch_shape`, or a per-sample shape
 * (`input_shape`, or Keras 3's constructor argument `shape`) with `batch_size`, plus `dtype`, `sparse`,
 * `ragged` (`null` = false, as both Kerases read it), `name` and Keras ≥ 3.14's `optional`.
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
import { shapeOfMinRank, type PartialShape } from '../codec/InputShape.js'
import { LayerName } from '../layers/base.js'
import type { InputLayerSpec } from './ModelSpec.js'

const BatchShape = shapeOfMinRank(1, '[batch, then the input axes]')
const Shape = shapeOfMinRank(0, '[the input axes, no batch axis]')

/** A flag whose `null` means false (Keras 3's InputLayer defaults `sparse` and `ragged` to None and reads `bool(…)`). */
const NullFalse = nullOr(Bool)

const fields = (dialect: Dialect) =>
  ({
    name: optional(LayerName, null),
    batch_input_shape: optional(nullOr(BatchShape), null),
    batch_shape: optional(nullOr(BatchShape), null),
    input_shape: optional(nullOr(Shape), null),
    // Keras 3's constructor argument (`keras.layers.InputLayer(shape=…)`); tf.keras 2.x has no `shape`
    ...(dialect === 'keras3' ? { shape: optional(nullOr(Shape), null) } : {}),
    batch_size: optional(nullOr(PositiveInt), null),
    dtype: optional(dtypeCodec(dialect), 'float32'),
    sparse: optional(NullFalse, false),
    ragged: optional(NullFalse, false),
    optional: optional(Bool, false)
  }) as const

type Decoded = { readonly shape?: PartialShape | null }

/**
 * The InputLayer config codec. Sparse, ragged and optional inputs are rejected (layerspec runs dense
 * tensors); a config without any shape is rejected (Keras requires one).
 * @category codecs
 */
export const inputLayerCodec = (dialect: Dialect): t.Type<InputLayerSpec, Record<string, unknown>, unknown> => {
  const config = kerasObject('InputLayer', fields(dialect), {
    rules: [
      {
        keys: ['batch_input_shape', 'batch_shape', 'input_shape', 'batch_size'],
        check: (c) => {
          const shape = (c as Decoded).shape ?? null
          const batch = c.batch_input_shape ?? c.batch_shape
          if (batch === null && c.input_shape === null && shape === null) {
            return { key: 'batch_input_shape', message: `an InputLayer needs a shape: give batch_input_shape (Keras 2), batch_shape (Keras 3) or ${dialect === 'keras3' ? 'shape (or input_shape)' : 'input_shape'}` }
          }
          if (c.batch_input_shape !== null && c.batch_shape !== null) return { key: 'batch_shape', message: 'give either batch_input_shape (Keras 2) or batch_shape (Keras 3), not both' }
          if (c.input_shape !== null && shape !== null) return { key: 'shape', message: 'give either shape or input_shape (its deprecated spelling), not both' }
          if (batch !== null && (c.input_shape !== null || shape !== null)) {
            return { key: c.batch_shape !== null ? 'batch_shape' : 'batch_input_shape', message: 'give either a batch shape or a per-sample shape, not both (Keras raises "You cannot pass both `shape` and `batch_shape`")' }
          }
          if (batch !== null && c.batch_size !== null) {
            return { key: 'batch_size', message: 'give either a batch shape or batch_size with a per-sample shape, not both (Keras raises "You cannot pass both `batch_size` and `batch_shape`")' }
          }
          return undefined
        }
      },
      { keys: ['sparse'], check: (c) => (c.sparse === true ? { key: 'sparse', message: 'sparse inputs are not supported (layerspec runs dense tensors); expected false' } : undefined) },
      { keys: ['ragged'], check: (c) => (c.ragged === true ? { key: 'ragged', message: 'ragged inputs are not supported (layerspec runs dense tensors); expected false' } : undefined) },
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
          const batchShape = d.batch_input_shape ?? d.batch_shape ?? [d.batch_size, ...(d.input_shape ?? (d as Decoded).shape ?? [])]
          return deepFreeze<InputLayerSpec>({
            className: 'InputLayer',
            dialect,
            name: d.name,
            trainable: true,
            dtype: d.dtype,
            inputShape: batchShape.slice(1),
            batchSize: (batchShape[0] ?? null) as InputLayerSpec['batchSize'],
            batchShape,
            sparse: d.sparse === true,
            ragged: d.ragged === true
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
