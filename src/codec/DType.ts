/**
 * `DType`: a layer's dtype policy (reference §1.16). Accepts a dtype string, a Keras 3 `DTypePolicy`
 * object, a TF 2.x mixed-precision `Policy` object, or `null` (the default policy, float32).
 */
import * as t from 'io-ts'
import { describe } from '../core/describe.js'
import { envelope, resolved, validateClassObject, type ClassFamily } from '../core/ClassObject.js'
import { kerasObject, required } from '../core/KerasObject.js'
import { nameTable } from '../core/NameTable.js'
import { decodedAs, oneOfNames } from '../core/primitives.js'
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

/** A policy's config; only read (the codec's `encode` writes policies). */
const PolicyConfig = decodedAs(kerasObject('DTypePolicy', { name: required(DTypeName) }), (c) => c.name)

const family: ClassFamily<DType> = {
  what: 'dtype policy',
  classes: nameTable(['DTypePolicy', 'FloatDTypePolicy', 'Policy'].map((n) => [n, resolved(PolicyConfig)] as const)),
  strings: nameTable(DTYPES.map((d) => [d, { _tag: 'Value', value: d } as const] as const))
}

/**
 * The dtype codec for a dialect. Encodes as Keras of that dialect writes it: `keras2` a plain string
 * (a `Policy` object for mixed precision), `keras3` a `DTypePolicy` object.
 * @category codecs
 */
export const dtypeCodec = (dialect: Dialect): t.Type<DType, unknown, unknown> =>
  new t.Type<DType, unknown, unknown>(
    'a dtype',
    DTypeName.is,
    (u, c) => {
      if (u === null) return t.success('float32')
      if (typeof u === 'string' || (typeof u === 'object' && !Array.isArray(u))) return validateClassObject(family, u, c)
      return t.failure(u, c, `expected a dtype such as "float32" or a DTypePolicy object, found ${describe(u)}`)
    },
    (a) =>
      // Keras 3 writes every policy as a DTypePolicy object; TF 2.x a plain string, or a Policy for mixed precision.
      dialect === 'keras3' || a.startsWith('mixed_')
        ? envelope(dialect, 'keras', dialect === 'keras3' ? 'DTypePolicy' : 'Policy', { name: a })
        : a
  )
