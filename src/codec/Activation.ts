/**
 * `Activation`: the activation function of a layer, by its canonical Keras name (reference §4, §11.9).
 * Accepts every TF 2.x name and every Keras 3 name that works elementwise or along the last axis,
 * `null` (→ `linear`), and Keras 3's serialized function envelope
 * (`{"module": "keras.activations", "class_name": "function", "config": "relu", …}`). Aliases are folded
 * (`swish` → `silu`, `hard_swish` → `hard_silu`), so equal functions give equal specs. Names are
 * case-sensitive, as in Keras.
 */
import * as t from 'io-ts'
import { describe, isPlainObject, oneOf, quoteText } from '../core/describe.js'
import { nameTable, ownValue, type NameTable } from '../core/NameTable.js'
import { suggestion } from '../core/didYouMean.js'
import type { Dialect } from './Dialect.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Every canonical activation name layerspec runs. */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'leaky_relu',
  'elu',
  'selu',
  'sigmoid',
  'hard_sigmoid',
  'hard_silu',
  'tanh',
  'softplus',
  'softsign',
  'exponential',
  'silu',
  'mish',
  'gelu',
  'softmax',
  'log_softmax',
  'celu',
  'squareplus',
  'soft_shrink',
  'hard_shrink',
  'tanh_shrink',
  'hard_tanh',
  'sparse_plus',
  'sparse_sigmoid',
  'log_sigmoid',
  'sparsemax'
] as const

/**
 * A canonical activation name. `softmax`, `log_softmax` and `sparsemax` act along the last axis of the
 * layer's output (the width axis for `channels_first`, as in Keras); every other one is elementwise.
 * @category model
 */
export type Activation = (typeof ACTIVATIONS)[number]

/** Accepted aliases and the canonical name each stands for. */
export const ACTIVATION_ALIASES: Readonly<Record<string, Activation>> = { swish: 'silu', hard_swish: 'hard_silu' }

/** Every activation name accepted on input (canonical names and aliases). */
export const ACTIVATION_NAMES: ReadonlyArray<string> = [...ACTIVATIONS, ...Object.keys(ACTIVATION_ALIASES)]

const REJECTED: NameTable<string> = nameTable({
  gelu_new:
    'activation "gelu_new" is TensorFlow.js\'s tanh approximation of GELU, which no Keras activation name means (Keras\'s "gelu" is the exact, erf-based one, which TensorFlow.js also writes as "gelu"); layerspec runs the Keras names only',
  glu: 'activation "glu" halves the channel axis (it splits it into value and gate), so it cannot follow a Conv2D whose output shape must keep `filters` channels; use a separate layer',
  threshold:
    'activation "threshold" needs its `threshold` and `default_value` arguments, which a string activation cannot carry (Keras fails at call time); use a ReLU layer with `threshold` instead'
})

const LOOKUP: NameTable<Activation> = nameTable<Activation>([...ACTIVATIONS.map((a) => [a, a] as const), ...Object.entries(ACTIVATION_ALIASES)])

/**
 * The names tf.keras 2.x resolves (`keras.activations.deserialize`: the module's functions plus its
 * `leaky_relu`, `log_softmax`, `relu6`, `silu` aliases); TensorFlow.js writes a subset of them. Every
 * other name of {@link ACTIVATION_NAMES} exists only in Keras 3, and a `keras2` config naming one is
 * an error (tf.keras 2.x raises "Unknown activation function").
 */
export const KERAS2_ACTIVATION_NAMES: ReadonlyArray<string> = [
  'linear',
  'relu',
  'relu6',
  'leaky_relu',
  'elu',
  'selu',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softplus',
  'softsign',
  'exponential',
  'silu',
  'swish',
  'mish',
  'gelu',
  'softmax',
  'log_softmax'
]

const KERAS2_LOOKUP: NameTable<Activation> = nameTable<Activation>(
  KERAS2_ACTIVATION_NAMES.map((n) => [n, LOOKUP.get(n) as Activation] as const)
)

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const resolveName = (dialect: Dialect, name: string, u: unknown, c: t.Context): t.Validation<Activation> => {
  const found = (dialect === 'keras2' ? KERAS2_LOOKUP : LOOKUP).get(name)
  if (found !== undefined) return t.success(found)
  const why = REJECTED.get(name)
  if (why !== undefined) return t.failure(u, c, why)
  if (dialect === 'keras2' && LOOKUP.has(name)) {
    return t.failure(
      u,
      c,
      `activation ${quoteText(name)} exists only in Keras 3; tf.keras 2.x (this config's dialect, keras2) raises "Unknown activation function" for it; expected one of ${oneOf(KERAS2_ACTIVATION_NAMES)}`
    )
  }
  const names = dialect === 'keras2' ? KERAS2_ACTIVATION_NAMES : ACTIVATION_NAMES
  return t.failure(u, c, `unknown activation ${quoteText(name)}${suggestion(name, names)} (names are case-sensitive); expected one of ${oneOf(names)}`)
}

/**
 * The activation codec for a dialect. Decoding accepts every form in either dialect, and the names that
 * dialect's Keras knows (`keras2`: {@link KERAS2_ACTIVATION_NAMES}; `keras3`: every name of
 * {@link ACTIVATION_NAMES}); encoding writes the name Keras of that dialect serializes (`keras2` writes
 * `silu` as `swish`, the name TF ≥ 2.2 and TensorFlow.js know).
 * @category codecs
 */
export const activationCodec = (dialect: Dialect): t.Type<Activation, string, unknown> =>
  new t.Type<Activation, string, unknown>(
    'an activation name',
    (u): u is Activation => LOOKUP.get(u) === u,
    (u, c) => {
      if (u === null) return t.success('linear')
      if (typeof u === 'string') return resolveName(dialect, u, u, c)
      const config = isPlainObject(u) && ownValue(u, 'class_name') === 'function' ? ownValue(u, 'config') : undefined
      if (isPlainObject(u) && typeof config === 'string') {
        const extra = Object.keys(u).filter((k) => !['module', 'class_name', 'config', 'registered_name', 'shared_object_id'].includes(k))
        if (extra.length > 0) {
          return t.failure(u, c, `unexpected key ${quoteText(extra[0] ?? '')} in a serialized activation function`)
        }
        return resolveName(dialect, config, config, t.appendContext(c, 'config', t.never, config))
      }
      return t.failure(
        u,
        c,
        `expected an activation name such as "relu" (or null for linear), found ${describe(u)}`
      )
    },
    (a) => (dialect === 'keras2' && a === 'silu' ? 'swish' : a)
  )
