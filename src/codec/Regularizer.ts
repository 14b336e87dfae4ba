/**
 * `Regularizer`: a weight or activity penalty `l1·Σ|w| + l2·Σw²`, the one canonical form of Keras's
 * `L1`, `L2` and `L1L2` (reference §6, §11.2). Strings follow §11.2: `l1`/`L1` → l1 = 0.01, `l2`/`L2` →
 * l2 = 0.01, `l1_l2` → 0.01 and 0.01 (TF 2.x's meaning; `keras2` only: Keras 3 no longer knows the name,
 * so a `keras3` config with it is an error), `L1L2`/`l1l2` → 0 and 0 (the class defaults, as Keras 3
 * does). Factors are kept exactly as written (`0.009999999776482582` stays that).
 */
import * as t from 'io-ts'
import { envelope, rejected, resolved, validateClassObject, type ClassFamily, type Resolution } from '../core/ClassObject.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { isPlainObject } from '../core/describe.js'
import { kerasObject, optional } from '../core/KerasObject.js'
import { decodedAs, NonNegativeNumber } from '../core/primitives.js'
import type { Dialect } from './Dialect.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A penalty `l1·Σ|w| + l2·Σw²` with finite, non-negative factors.
 * @category model
 */
export interface Regularizer {
  readonly l1: number
  readonly l2: number
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

// The config decoders below only read: the codec's `encode` picks the class.
const L1Config = decodedAs(kerasObject('L1', { l1: optional(NonNegativeNumber, 0.01) }), (c): Regularizer => ({ l1: c.l1, l2: 0 }))
const L2Config = decodedAs(kerasObject('L2', { l2: optional(NonNegativeNumber, 0.01) }), (c): Regularizer => ({ l1: 0, l2: c.l2 }))
const L1L2Config = decodedAs(
  kerasObject('L1L2', { l1: optional(NonNegativeNumber, 0), l2: optional(NonNegativeNumber, 0) }),
  (c): Regularizer => ({ l1: c.l1, l2: c.l2 })
)

const ORTHOGONAL_REASON =
  'OrthogonalRegularizer only accepts rank-2 weights (Keras raises "Inputs to OrthogonalRegularizer must have rank 2" for a rank-4 Conv2D kernel, a rank-1 bias or a rank-4 activity); use L1, L2 or L1L2'

const CLASSES: NameTable<Resolution<Regularizer>> = nameTable({
  L1: resolved(L1Config),
  L2: resolved(L2Config),
  L1L2: resolved(L1L2Config),
  OrthogonalRegularizer: rejected(ORTHOGONAL_REASON)
})

/** Keras 3 raises "Could not interpret regularizer identifier: l1_l2": the TF 2.x string is gone. */
const L1_L2_KERAS3 =
  'regularizer "l1_l2" is a tf.keras 2.x name (L1L2 with l1 = l2 = 0.01) that Keras 3 no longer knows (Keras 3 raises "Could not interpret regularizer identifier: l1_l2"); in a Keras 3 config write {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.01}}'

const BASE_REASON =
  'the base Regularizer class adds no penalty and cannot be saved (its get_config raises NotImplementedError); use null for no regularizer'

/** String names and what each means, by dialect (`keras2`: tf.keras 2.x; `keras3`: Keras 3's table). */
const STRINGS: Readonly<Record<string, Regularizer | 'orthogonal' | 'l1_l2' | 'base'>> = {
  l1: { l1: 0.01, l2: 0 },
  L1: { l1: 0.01, l2: 0 },
  l2: { l1: 0, l2: 0.01 },
  L2: { l1: 0, l2: 0.01 },
  l1_l2: 'l1_l2',
  L1L2: { l1: 0, l2: 0 },
  l1l2: { l1: 0, l2: 0 },
  orthogonal_regularizer: 'orthogonal',
  OrthogonalRegularizer: 'orthogonal',
  regularizer: 'base',
  Regularizer: 'base'
}

const familyOf = (dialect: Dialect): ClassFamily<Regularizer> => ({
  what: 'regularizer',
  classes: CLASSES,
  strings: nameTable(
    Object.entries(STRINGS).map(
      ([name, v]) =>
        [
          name,
          v === 'orthogonal'
            ? rejected(ORTHOGONAL_REASON)
            : v === 'base'
              ? rejected(BASE_REASON)
              : v === 'l1_l2'
                ? dialect === 'keras2'
                  ? ({ _tag: 'Value', value: { l1: 0.01, l2: 0.01 } } as const)
                  : rejected(L1_L2_KERAS3)
                : ({ _tag: 'Value', value: v } as const)
        ] as const
    )
  )
})

const FAMILIES: Readonly<Record<Dialect, ClassFamily<Regularizer>>> = { keras2: familyOf('keras2'), keras3: familyOf('keras3') }

/**
 * The regularizer codec (`null` means no regularizer). The string `l1_l2` is TF 2.x's `L1L2(0.01, 0.01)`
 * in `keras2` and an error in `keras3` (Keras 3 does not know it). `keras2` writes every penalty as
 * `L1L2`, the one class TF 2.0 and TensorFlow.js know; `keras3` writes `L1`, `L2` or `L1L2` as Keras 3
 * would.
 * @category codecs
 */
export const regularizerCodec = (dialect: Dialect): t.Type<Regularizer | null, unknown, unknown> => {
  const write = (className: string, config: Readonly<Record<string, unknown>>) => envelope(dialect, 'keras.regularizers', className, config)
  return new t.Type<Regularizer | null, unknown, unknown>(
    'a regularizer or null',
    (u): u is Regularizer | null => u === null || (isPlainObject(u) && NonNegativeNumber.is(u['l1']) && NonNegativeNumber.is(u['l2'])),
    (u, c) => (u === null ? t.success(null) : validateClassObject(dialect === 'keras2' ? FAMILIES.keras2 : FAMILIES.keras3, u, c)),
    (r) => {
      if (r === null) return null
      if (dialect === 'keras2') return write('L1L2', { l1: r.l1, l2: r.l2 })
      if (r.l2 === 0 && r.l1 !== 0) return write('L1', { l1: r.l1 })
      if (r.l1 === 0 && r.l2 !== 0) return write('L2', { l2: r.l2 })
      return write('L1L2', { l1: r.l1, l2: r.l2 })
    }
  )
}

/** Regularizer strings, for documentation and arbitraries (`l1_l2` only in `keras2`; base and orthogonal are rejected). */
export const REGULARIZER_NAMES: ReadonlyArray<string> = Object.keys(STRINGS)
