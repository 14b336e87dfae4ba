/**
 * `DType`: a layer's dtype policy (reference §1.16). Accepts a dtype string, a Keras 3 `DTypePolicy`
 * object, a TF 2.x mixed-precision `Policy` object, or `null` (the default policy, float32).
 */
import * as t from 'io-ts'
import { describe } from '../core/describe.js'
import { envelope, resolved, validateClassObject, type ClassFamily } from '../core/ClassObject.js'
import { kerasObject, required } from '../core/KerasObject.js'
import { mapped, oneOfNames } from '../core/primitives.js'
import type { Dialect } from './Dialect.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Every dtype policy name accepted. */
export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'mixed_float16', 'mixed_bfloat16'] as const

/**
 * A dtype policy name. The compiler runs `float32` (Float32Array) and `float64` (Float64Array); the
 * others decode (real files carry them) and are rejected at compile time with a clear error.
 * @category model
 */
export type DType = (typeof DTYPES)[number]

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const DTypeName = oneOfNames<DType>('the dtype', DTYPES)

const PolicyConfig = mapped(
  kerasObject('DTypePolicy', { name: required(DTypeName) }),
  (c) => c.name,
  (name) => ({ name }),
  (u): u is DType => DTypeName.is(u)
)

const family: ClassFamily<DType> = {
  what: 'dtype policy',
  classNames: ['DTypePolicy', 'FloatDTypePolicy', 'Policy'],
  resolveClass: (name) =>
    name === 'DTypePolicy' || name === 'FloatDTypePolicy' || name === 'Policy' ? resolved(PolicyConfig) : undefined,
  stringNames: DTYPES,
  resolveString: (name) => (DTypeName.is(name) ? { _tag: 'Value', value: name } : undefined)
}

/**
 * The dtype codec for a dialect. Encodes as Keras of that dialect writes it: `keras2` a plain string
 * (a `Policy` object for mixed precision), `keras3` a `DTypePolicy` object.
 * @category codecs
 */
export const dtypeCodec = (dialect: Dialect): t.Type<DType, unknown, unknown> =>
  new t.Type<DType, unknown, unknown>(
    'a dtype',
    (u): u is DType => DTypeName.is(u),
    (u, c) => {
      if (u === null) return t.success('float32')
      if (typeof u === 'string' || (typeof u === 'object' && !Array.isArray(u))) return validateClassObject(family, u, c)
      return t.failure(u, c, `expected a dtype such as "float32" or a DTypePolicy object, found ${describe(u)}`)
    },
    (a) => {
      if (dialect === 'keras3') return envelope('keras3', 'keras', 'DTypePolicy', { name: a })
      return a.startsWith('mixed_') ? envelope('keras2', 'keras', 'Policy', { name: a }) : a
    }
  )
