/**
 * `Initializer`: how a weight is initialized, in one canonical form per meaning (reference §5, §11.10).
 * Every Keras name and form decodes here: strings (`"glorot_uniform"`, `"GlorotUniform"`, `"zeros"`,
 * `"normal"`, …), legacy `{class_name, config}` and Keras 3 `{module, class_name, config,
 * registered_name}` objects, TF 2.x `…V2` class names. `Zeros` / `Ones` / `Constant` become one
 * `constant` form; `Glorot*`, `He*`, `Lecun*` become the `variance_scaling` they are defined as, so equal
 * meanings give deep-equal specs. `encode` writes the most specific Keras class again.
 */
import * as t from 'io-ts'
import { describe, isPlainObject } from '../core/describe.js'
import { listItems } from '../core/Pair.js'
import { envelope, rejected, resolved, stringsOf, validateClassObject, type ClassFamily, type Resolution } from '../core/ClassObject.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { kerasObject, optional, required, type Field } from '../core/KerasObject.js'
import { decodedAs, FiniteNumber, kindGuard, oneOfNames, PositiveNumber, SafeInt } from '../core/primitives.js'
import type { Dialect } from './Dialect.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A random initializer's seed: an integer, or `null` for "draw from the caller's seed". */
export type Seed = number | null

/** VarianceScaling's fan mode. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg'

/** VarianceScaling's distribution (`"normal"` is decoded as `truncated_normal`, as Keras does). */
export type ScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform'

/**
 * A normalized initializer.
 * - `constant`: every value is `value` (Keras `Zeros`, `Ones`, `Constant`).
 * - `random_normal`: N(mean, stddev²). `random_uniform`: U[minval, maxval).
 * - `truncated_normal`: N(mean, stddev²) re-drawn outside mean ± 2·stddev.
 * - `variance_scaling`: `s = scale / max(1, n)` with n the fan of `mode`; truncated normal with stddev
 *   `√s / 0.87962566103423978`, untruncated normal with stddev `√s`, or U[−√(3s), √(3s)].
 * - `orthogonal`: an orthogonal matrix of shape (∏ shape[:-1], shape[-1]) times `gain`.
 * - `identity`: `gain · I` (2-D weights only; a Conv2D kernel is rejected at compile time, as in Keras).
 * @category model
 */
export type Initializer =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'random_normal'; readonly mean: number; readonly stddev: number; readonly seed: Seed }
  | { readonly kind: 'random_uniform'; readonly minval: number; readonly maxval: number; readonly seed: Seed }
  | { readonly kind: 'truncated_normal'; readonly mean: number; readonly stddev: number; readonly seed: Seed }
  | {
      readonly kind: 'variance_scaling'
      readonly scale: number
      readonly mode: FanMode
      readonly distribution: ScalingDistribution
      readonly seed: Seed
      /** Keras ≥ 3.15's `input_axes` / `output_axes`, present only when both are given (see {@link FanAxes}). */
      readonly fanAxes?: FanAxes
    }
  | { readonly kind: 'orthogonal'; readonly gain: number; readonly seed: Seed }
  | { readonly kind: 'identity'; readonly gain: number }

/**
 * Keras ≥ 3.15's custom fans of a VarianceScaling initializer: `fanIn = ∏ shape[a]` over `input`,
 * `fanOut = ∏ shape[a]` over `output` (Python indexing: negative axes count from the end; a repeated
 * axis counts again; an empty list gives 1), instead of the standard rule. Keras uses them only when
 * both `input_axes` and `output_axes` are set; each list is kept sorted (the product does not depend on
 * the order). An axis outside the weight's rank is an error when the weight is created (Keras: IndexError).
 * @category model
 */
export interface FanAxes {
  readonly input: ReadonlyArray<number>
  readonly output: ReadonlyArray<number>
}

/** The kinds of {@link Initializer}. */
export type InitializerKind = Initializer['kind']

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The named VarianceScaling presets (Keras classes `GlorotUniform` … `LecunNormal`).
 * @category constructors
 */
export const VARIANCE_SCALING_PRESETS = {
  GlorotUniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  GlorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  HeUniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  HeNormal: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  LecunUniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  LecunNormal: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' }
} as const satisfies Record<string, { scale: number; mode: FanMode; distribution: ScalingDistribution }>

type PresetName = keyof typeof VARIANCE_SCALING_PRESETS

/**
 * Keras's default kernel initializer, `glorot_uniform` (unseeded).
 * @category constructors
 */
export const glorotUniform = (seed: Seed = null): Initializer => ({
  kind: 'variance_scaling',
  ...VARIANCE_SCALING_PRESETS.GlorotUniform,
  seed
})

/**
 * `Zeros`, Keras's default bias initializer.
 * @category constructors
 */
export const zeros: Initializer = { kind: 'constant', value: 0 }

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const isSeed = (u: unknown): u is Seed => u === null || SafeInt.is(u)

const SeedCodec: t.Type<Seed, Seed, unknown> = new t.Type<Seed, Seed, unknown>(
  'an integer seed or null',
  isSeed,
  (u, c) =>
    isSeed(u)
      ? t.success(u)
      : t.failure(
          u,
          c,
          `expected an integer seed or null, found ${describe(u)}` +
            (typeof u === 'object' ? ' (a serialized SeedGenerator cannot be reproduced outside Keras; use an integer)' : '')
        ),
  (a) => a
)

const FanModeCodec = oneOfNames<FanMode>('mode', ['fan_in', 'fan_out', 'fan_avg'])

/** Keras lower-cases `distribution` and maps `"normal"` to `"truncated_normal"`. */
const DistributionCodec: t.Type<ScalingDistribution, string, unknown> = new t.Type<ScalingDistribution, string, unknown>(
  '"truncated_normal", "untruncated_normal" or "uniform"',
  (u): u is ScalingDistribution => u === 'truncated_normal' || u === 'untruncated_normal' || u === 'uniform',
  (u, c) => {
    const inner = oneOfNames<ScalingDistribution | 'normal'>(
      'distribution',
      ['truncated_normal', 'untruncated_normal', 'uniform', 'normal'],
      { caseInsensitive: true }
    )
    const r = inner.validate(u, c)
    if (r._tag === 'Left') return r
    return t.success(r.right === 'normal' ? 'truncated_normal' : r.right)
  },
  (a) => a
)

const isAxes = (u: unknown): u is ReadonlyArray<number> => Array.isArray(u) && u.every((a) => SafeInt.is(a))

/** `input_axes` / `output_axes` (Keras ≥ 3.15): `null` or a list of integer axes (sorted on decoding). */
const AxesOrNull: t.Type<ReadonlyArray<number> | null, number[] | null, unknown> = new t.Type<ReadonlyArray<number> | null, number[] | null, unknown>(
  'null or a list of integer axes',
  (u): u is ReadonlyArray<number> | null => u === null || isAxes(u),
  (u, c) => {
    if (u === null) return t.success(null)
    const items = listItems(u)
    if (items === undefined) return t.failure(u, c, `expected null or a list of integer axes of the weight, found ${describe(u)}`)
    const errors: t.ValidationError[] = []
    items.forEach((x, i) => {
      if (!SafeInt.is(x)) errors.push({ value: x, context: t.appendContext(c, String(i), t.never, x), message: `expected an integer axis, found ${describe(x)}` })
    })
    return errors.length > 0 ? t.failures(errors) : t.success((items as ReadonlyArray<number>).map((a) => a + 0).sort((a, b) => a - b))
  },
  (a) => (a === null ? null : [...a])
)

const isFanAxes = (u: unknown): u is FanAxes => isPlainObject(u) && isAxes(u['input']) && isAxes(u['output'])

/** The extra arguments Keras ≥ 3.15 writes for every VarianceScaling-family initializer (a `keras3` config only). */
const fanAxesFields = (dialect: Dialect): Readonly<Record<string, Field<ReadonlyArray<number> | null, number[] | null>>> =>
  dialect === 'keras3' ? { input_axes: optional(AxesOrNull, null), output_axes: optional(AxesOrNull, null) } : {}

/** The decoded fan-axes fields (absent for `keras2`). */
interface FanAxesDecoded {
  readonly input_axes?: ReadonlyArray<number> | null
  readonly output_axes?: ReadonlyArray<number> | null
}

/** tf.keras 2.x's VarianceScaling has no `input_axes` / `output_axes` (it raises on unknown arguments). */
const fanAxesExplained = (dialect: Dialect): Readonly<Record<string, string>> =>
  dialect === 'keras2'
    ? Object.fromEntries(
        ['input_axes', 'output_axes'].map((k) => [
          k,
          `${k} is a Keras ≥ 3.15 VarianceScaling argument; tf.keras 2.x (this config's dialect, keras2) has none and raises on it`
        ])
      )
    : {}

/** The fan axes of a decoded config: both lists, or neither (Keras ignores one without the other). */
const fanAxesOf = (c: FanAxesDecoded): { readonly fanAxes?: FanAxes } =>
  c.input_axes !== undefined && c.input_axes !== null && c.output_axes !== undefined && c.output_axes !== null
    ? { fanAxes: { input: c.input_axes, output: c.output_axes } }
    : {}

/** TF 1.x-era initializer configs carry `dtype`; it only sets the generated dtype and is ignored. */
const LEGACY_IGNORED = { ignored: ['dtype'] }

// The config decoders below only read: encoding writes the most specific class, by kind, in `toKeras`.

const constantOf = (value: number) =>
  decodedAs(kerasObject('initializer', {}, LEGACY_IGNORED), (): Initializer => ({ kind: 'constant', value }))

/** Keras 3's `Constant.from_config` reads `config["value"]` (a KeyError without it); tf.keras 2.x defaults it to 0. */
const constantConfig = (dialect: Dialect) =>
  decodedAs(
    kerasObject('Constant', { value: dialect === 'keras3' ? required(FiniteNumber) : optional(FiniteNumber, 0) }, LEGACY_IGNORED),
    (c): Initializer => ({ kind: 'constant', value: c.value })
  )

const RandomNormalConfig = decodedAs(
  kerasObject(
    'RandomNormal',
    { mean: optional(FiniteNumber, 0), stddev: optional(FiniteNumber, 0.05), seed: optional(SeedCodec, null) },
    LEGACY_IGNORED
  ),
  (c): Initializer => ({ kind: 'random_normal', mean: c.mean, stddev: c.stddev, seed: c.seed })
)

const TruncatedNormalConfig = decodedAs(
  kerasObject(
    'TruncatedNormal',
    { mean: optional(FiniteNumber, 0), stddev: optional(FiniteNumber, 0.05), seed: optional(SeedCodec, null) },
    LEGACY_IGNORED
  ),
  (c): Initializer => ({ kind: 'truncated_normal', mean: c.mean, stddev: c.stddev, seed: c.seed })
)

const RandomUniformConfig = decodedAs(
  kerasObject(
    'RandomUniform',
    { minval: optional(FiniteNumber, -0.05), maxval: optional(FiniteNumber, 0.05), seed: optional(SeedCodec, null) },
    LEGACY_IGNORED
  ),
  (c): Initializer => ({ kind: 'random_uniform', minval: c.minval, maxval: c.maxval, seed: c.seed })
)

const varianceScalingConfig = (dialect: Dialect) =>
  decodedAs(
    kerasObject(
      'VarianceScaling',
      {
        scale: optional(PositiveNumber, 1),
        mode: optional(FanModeCodec, 'fan_in'),
        distribution: optional(DistributionCodec, 'truncated_normal'),
        seed: optional(SeedCodec, null),
        ...fanAxesFields(dialect)
      },
      { ...LEGACY_IGNORED, explained: fanAxesExplained(dialect) }
    ),
    (c): Initializer => ({ kind: 'variance_scaling', scale: c.scale, mode: c.mode, distribution: c.distribution, seed: c.seed, ...fanAxesOf(c as FanAxesDecoded) })
  )

const presetConfig = (name: PresetName, dialect: Dialect) =>
  decodedAs(
    kerasObject(name, { seed: optional(SeedCodec, null), ...fanAxesFields(dialect) }, { ...LEGACY_IGNORED, explained: fanAxesExplained(dialect) }),
    (c): Initializer => ({ kind: 'variance_scaling', ...VARIANCE_SCALING_PRESETS[name], seed: c.seed, ...fanAxesOf(c as FanAxesDecoded) })
  )

const OrthogonalConfig = decodedAs(
  kerasObject('Orthogonal', { gain: optional(FiniteNumber, 1), seed: optional(SeedCodec, null) }, LEGACY_IGNORED),
  (c): Initializer => ({ kind: 'orthogonal', gain: c.gain, seed: c.seed })
)

const IdentityConfig = decodedAs(
  kerasObject('Identity', { gain: optional(FiniteNumber, 1) }, LEGACY_IGNORED),
  (c): Initializer => ({ kind: 'identity', gain: c.gain })
)

/** True exactly for a normalized {@link Initializer} (the codec's `is`). */
const isInitializer = kindGuard<Initializer>({
  constant: { value: FiniteNumber.is },
  random_normal: { mean: FiniteNumber.is, stddev: FiniteNumber.is, seed: isSeed },
  random_uniform: { minval: FiniteNumber.is, maxval: FiniteNumber.is, seed: isSeed },
  truncated_normal: { mean: FiniteNumber.is, stddev: FiniteNumber.is, seed: isSeed },
  variance_scaling: {
    scale: PositiveNumber.is,
    mode: FanModeCodec.is,
    distribution: DistributionCodec.is,
    seed: isSeed,
    fanAxes: (u) => u === undefined || isFanAxes(u)
  },
  orthogonal: { gain: FiniteNumber.is, seed: isSeed },
  identity: { gain: FiniteNumber.is }
} satisfies Record<InitializerKind, Record<string, (u: unknown) => boolean>>)

const STFT_REASON =
  'the STFT initializer builds Fourier-basis kernels for rank-3 (frame_length, channels, fft_length) weights; it does not apply to a Conv2D kernel'
const BASE_REASON = 'the base Initializer class cannot generate values (Keras raises NotImplementedError); name a concrete initializer such as "glorot_uniform"'

const v2Reason = (name: string): string =>
  `initializer class ${JSON.stringify(name)} is a tf.keras 2.x alias that Keras 3 no longer knows (Keras 3 raises "Could not interpret initializer identifier"); Keras 3 calls it ${JSON.stringify(name.slice(0, -2))}`

const keras3OnlyReason = (name: string, tf2: string): string =>
  `initializer class ${JSON.stringify(name)} is a Keras 3 alias that tf.keras 2.x (this config's dialect, keras2) does not know; tf.keras calls it ${JSON.stringify(tf2)}`

/**
 * Class names (and their aliases) → config codec, by dialect: TF 2.x registers `…V2` variants of every
 * class, which Keras 3 does not know; Keras 3 adds `IdentityInitializer` / `OrthogonalInitializer`.
 */
const classesOf = (dialect: Dialect): NameTable<Resolution<Initializer>> => {
  const table: Record<string, Resolution<Initializer>> = {
    Zeros: resolved(constantOf(0)),
    Ones: resolved(constantOf(1)),
    Constant: resolved(constantConfig(dialect)),
    RandomNormal: resolved(RandomNormalConfig),
    RandomUniform: resolved(RandomUniformConfig),
    TruncatedNormal: resolved(TruncatedNormalConfig),
    VarianceScaling: resolved(varianceScalingConfig(dialect)),
    Orthogonal: resolved(OrthogonalConfig),
    Identity: resolved(IdentityConfig),
    STFT: rejected(STFT_REASON),
    Initializer: rejected(BASE_REASON)
  }
  for (const name of Object.keys(VARIANCE_SCALING_PRESETS) as PresetName[]) table[name] = resolved(presetConfig(name, dialect))
  for (const name of Object.keys(table)) {
    if (name !== 'STFT' && name !== 'Initializer') table[`${name}V2`] = dialect === 'keras2' ? (table[name] as Resolution<Initializer>) : rejected(v2Reason(`${name}V2`))
  }
  table['IdentityInitializer'] = dialect === 'keras3' ? resolved(IdentityConfig) : rejected(keras3OnlyReason('IdentityInitializer', 'Identity'))
  table['OrthogonalInitializer'] = dialect === 'keras3' ? resolved(OrthogonalConfig) : rejected(keras3OnlyReason('OrthogonalInitializer', 'Orthogonal'))
  table['STFTInitializer'] = rejected(STFT_REASON)
  return nameTable(table)
}

/** snake_case and alias strings → class name (Keras resolves strings through the same table). */
const STRINGS: Readonly<Record<string, string>> = {
  zeros: 'Zeros',
  zero: 'Zeros',
  ones: 'Ones',
  one: 'Ones',
  constant: 'Constant',
  random_normal: 'RandomNormal',
  normal: 'RandomNormal',
  random_uniform: 'RandomUniform',
  uniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal',
  variance_scaling: 'VarianceScaling',
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  lecun_uniform: 'LecunUniform',
  lecun_normal: 'LecunNormal',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
  stft: 'STFT',
  initializer: 'Initializer'
}

const familyOf = (dialect: Dialect): ClassFamily<Initializer> => {
  const classes = classesOf(dialect)
  const strings = stringsOf(STRINGS, classes)
  // Keras 3 builds a name as the class from an empty config, and Constant.from_config reads
  // config["value"]: "constant" alone is a KeyError there (tf.keras 2.x defaults it to 0).
  const constant = rejected(
    'initializer "constant" names Keras 3\'s Constant without its value, which Keras 3 cannot build (Constant.from_config raises KeyError \'value\'); write {"class_name": "Constant", "config": {"value": 0.0}} (tf.keras 2.x, the keras2 dialect, reads the name as Constant(0))'
  )
  return {
    what: 'initializer',
    classes,
    strings:
      dialect === 'keras2'
        ? strings
        : nameTable(strings.names.map((n) => [n, n === 'constant' || n === 'Constant' ? constant : (strings.get(n) as Resolution<Initializer>)] as const))
  }
}

const FAMILIES: Readonly<Record<Dialect, ClassFamily<Initializer>>> = { keras2: familyOf('keras2'), keras3: familyOf('keras3') }

/** The most specific Keras class and config for a normalized initializer, as Keras of the dialect writes it. */
const toKeras = (i: Initializer, dialect: Dialect): { readonly className: string; readonly config: Record<string, unknown> } => {
  switch (i.kind) {
    case 'constant':
      if (Object.is(i.value, 0)) return { className: 'Zeros', config: {} }
      if (i.value === 1) return { className: 'Ones', config: {} }
      return { className: 'Constant', config: { value: i.value } }
    case 'random_normal':
      return { className: 'RandomNormal', config: { mean: i.mean, stddev: i.stddev, seed: i.seed } }
    case 'random_uniform':
      return { className: 'RandomUniform', config: { minval: i.minval, maxval: i.maxval, seed: i.seed } }
    case 'truncated_normal':
      return { className: 'TruncatedNormal', config: { mean: i.mean, stddev: i.stddev, seed: i.seed } }
    case 'variance_scaling': {
      // Keras 3.15 writes both axes (null for the standard rule); they are written only when set, so that
      // Keras 3 before 3.15 (which has no such arguments) reads the standard case too.
      const axes = dialect === 'keras3' && i.fanAxes !== undefined ? { input_axes: [...i.fanAxes.input], output_axes: [...i.fanAxes.output] } : {}
      for (const name of Object.keys(VARIANCE_SCALING_PRESETS) as PresetName[]) {
        const p = VARIANCE_SCALING_PRESETS[name]
        if (p.scale === i.scale && p.mode === i.mode && p.distribution === i.distribution) {
          return { className: name, config: { seed: i.seed, ...axes } }
        }
      }
      return {
        className: 'VarianceScaling',
        config: { scale: i.scale, mode: i.mode, distribution: i.distribution, seed: i.seed, ...axes }
      }
    }
    case 'orthogonal':
      return { className: 'Orthogonal', config: { gain: i.gain, seed: i.seed } }
    case 'identity':
      return { className: 'Identity', config: { gain: i.gain } }
  }
}

/**
 * The initializer codec for a dialect. `null` decodes to `nullMeans` (Keras falls back to
 * `glorot_uniform` for any float weight, bias included, reference §1.11).
 * @category codecs
 */
export const initializerCodec = (dialect: Dialect, nullMeans: Initializer = glorotUniform()): t.Type<Initializer, unknown, unknown> =>
  new t.Type<Initializer, unknown, unknown>(
    'an initializer',
    isInitializer,
    (u, c) => (u === null ? t.success(nullMeans) : validateClassObject(dialect === 'keras2' ? FAMILIES.keras2 : FAMILIES.keras3, u, c)),
    (i) => {
      const { className, config } = toKeras(i, dialect)
      return envelope(dialect, 'keras.initializers', className, config)
    }
  )

/** Initializer names (strings and class names), for documentation and arbitraries. */
export const INITIALIZER_NAMES: ReadonlyArray<string> = FAMILIES.keras3.strings.names
