/**
 * `Dialect`: which Keras wrote a config, kept in the normalized spec (reference §11.1). It decides the
 * few behaviours where Keras versions disagree (`hard_sigmoid`'s formula) and how `encode` writes the
 * config back (`keras2`: TF 2.x legacy `{class_name, config}` envelopes; `keras3`: `module` /
 * `registered_name` envelopes and `DTypePolicy` dtypes).
 */
import { isPlainObject } from '../core/describe.js'
import { hasOwnKey } from '../core/NameTable.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `keras2` (tf.keras 2.x, tf-keras, TensorFlow.js) or `keras3`.
 * @category model
 */
export type Dialect = 'keras2' | 'keras3'

/** Every dialect, default first. */
export const DIALECTS: ReadonlyArray<Dialect> = ['keras3', 'keras2']

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const NESTED_KEYS = [
  'kernel_initializer',
  'bias_initializer',
  'kernel_regularizer',
  'bias_regularizer',
  'activity_regularizer',
  'kernel_constraint',
  'bias_constraint',
  'activation',
  'depthwise_initializer',
  'depthwise_regularizer',
  'depthwise_constraint',
  'gamma_initializer',
  'beta_initializer',
  'moving_mean_initializer',
  'moving_variance_initializer'
] as const

/** The dialect a Keras `keras_version` string implies (`"2.4.0"`, `"2.2.4-tf"`, `"tfjs-layers 4.22.0"`). */
export const dialectOfKerasVersion = (version: unknown): Dialect | undefined => {
  if (typeof version !== 'string') return undefined
  if (version.startsWith('tfjs')) return 'keras2'
  const major = /^(\d+)\./.exec(version)?.[1]
  if (major === undefined) return undefined
  return Number(major) >= 3 ? 'keras3' : 'keras2'
}

/**
 * Infers the dialect of a layer entry (`{class_name, config, …}`) or a bare layer config, from the
 * strongest evidence present:
 * 1. the layer envelope: `module` / `registered_name` → `keras3` (unless its config holds `batch_input_shape`
 *    or `batch_size`, which only tf.keras writes: Keras 2.13–2.15 entries look like Keras 3 ones);
 *    a legacy `{class_name, config}` → `keras2`;
 * 2. `dtype`: a `DTypePolicy` object → `keras3`; a legacy `Policy` object → `keras2`;
 * 3. `batch_input_shape` or `batch_size` in the config → `keras2` (tf.keras 2.x writes them; Keras 3
 *    never does, and refuses them as "Unrecognized keyword arguments");
 * 4. nested initializer/regularizer/constraint envelopes: `module` → `keras3`, legacy → `keras2`
 *    (the layer envelope wins over nested ones: Keras 2.15's H5 output nests new-style envelopes in
 *    legacy layer entries);
 * 5. otherwise `keras3`, the current Keras.
 * @category utils
 */
export const detectDialect = (raw: unknown): Dialect => {
  if (!isPlainObject(raw)) return 'keras3'
  const wrapped = typeof raw['class_name'] === 'string' && isPlainObject(raw['config'])
  if (wrapped) {
    const inner = raw['config'] as Readonly<Record<string, unknown>>
    // Keras 2.13–2.15 wrote Keras 3-style entries (module, registered_name) around tf.keras configs,
    // which keep batch_input_shape: Keras 3 never writes it.
    if (hasOwnKey(inner, 'batch_input_shape') || hasOwnKey(inner, 'batch_size')) return 'keras2'
    if (hasOwnKey(raw, 'module') || hasOwnKey(raw, 'registered_name')) return 'keras3'
    return 'keras2'
  }
  const config = raw
  const dtype = config['dtype']
  if (isPlainObject(dtype)) {
    if (dtype['class_name'] === 'DTypePolicy' || dtype['class_name'] === 'FloatDTypePolicy' || hasOwnKey(dtype, 'module')) return 'keras3'
    if (dtype['class_name'] === 'Policy') return 'keras2'
  }
  if (hasOwnKey(config, 'batch_input_shape') || hasOwnKey(config, 'batch_size')) return 'keras2'
  for (const key of NESTED_KEYS) {
    const v = config[key]
    if (isPlainObject(v) && typeof v['class_name'] === 'string') {
      return hasOwnKey(v, 'module') || hasOwnKey(v, 'registered_name') ? 'keras3' : 'keras2'
    }
  }
  return 'keras3'
}
