/**
 * `Initializer`: how a weight is initialized, in one canonical form per meaning (reference §5, §11.10).
 * Every Keras name and form decodes here: strings (`"glorot_uniform"`, `"GlorotUniform"`, `"zeros"`,
 * `"normal"`, …), legacy `{class_name, config}` and Keras 3 `{module, class_name, config,
 * registered_name}` objects, TF 2.x `…V2` class names. `Zeros` / `Ones` / `Constant` become one
 * `constant` form; `Glorot*`, `He*`, `Lecun*` become the `variance_scaling` they are defined as, so equal
 * meanings give deep-equal specs. `encode` writes the most specific Keras class again.
 */
import * as t from 'io-ts'
import { describe } from '../core/describe.js'
import { envelope, rejected, resolved, stringsOf, validateClassObject, type ClassFamily, type Resolution } from '../core/ClassObject.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { kerasObject, optional } from '../core/KerasObject.js'
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
    }
  | { readonly kind: 'orthogonal'; readonly gain: number; readonly seed: Seed }
  | { readonly kind: 'identity'; readonly gain: number }

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

/** `input_axes` / `output_axes` (Keras ≥ 3.15): only `null`, the standard conv fan rule, is supported. */
const NullAxes: t.Type<null, null, unknown> = new t.Type<null, null, unknown>(
  'null',
  t.null.is,
  (u, c) =>
    u === null
      ? t.success(null)
      : t.failure(
          u,
          c,
          `expected null (the standard fan computation for a conv kernel), found ${describe(u)}; custom fan axes (Keras ≥ 3.15) are not supported by layerspec`
        ),
  (a) => a
)

/** Extra arguments Keras ≥ 3.15 writes for every VarianceScaling-family initializer. */
const FAN_AXES = { input_axes: optional(NullAxes, null), output_axes: optional(NullAxes, null) }

/** TF 1.x-era initializer configs carry `dtype`; it only sets the generated dtype and is ignored. */
const LEGACY_IGNORED = { ignored: ['dtype'] }

// The config decoders below only read: encoding writes the most specific class, by kind, in `toKeras`.

const constantOf = (value: number) =>
  decodedAs(kerasObject('initializer', {}, LEGACY_IGNORED), (): Initializer => ({ kind: 'constant', value }))

const ConstantConfig = decodedAs(
  kerasObject('Constant', { value: optional(FiniteNumber, 0) }, LEGACY_IGNORED),
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

const VarianceScalingConfig = decodedAs(
  kerasObject(
    'VarianceScaling',
    {
      scale: optional(PositiveNumber, 1),
      mode: optional(FanModeCodec, 'fan_in'),
      distribution: optional(DistributionCodec, 'truncated_normal'),
      seed: optional(SeedCodec, null),
      ...FAN_AXES
    },
    LEGACY_IGNORED
  ),
  (c): Initializer => ({ kind: 'variance_scaling', scale: c.scale, mode: c.mode, distribution: c.distribution, seed: c.seed })
)

const presetConfig = (name: PresetName) =>
  decodedAs(
    kerasObject(name, { seed: optional(SeedCodec, null), ...FAN_AXES }, LEGACY_IGNORED),
    (c): Initializer => ({ kind: 'variance_scaling', ...VARIANCE_SCALING_PRESETS[name], seed: c.seed })
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
  variance_scaling: { scale: PositiveNumber.is, mode: FanModeCodec.is, distribution: DistributionCodec.is, seed: isSeed },
  orthogonal: { gain: FiniteNumber.is, seed: isSeed },
  identity: { gain: FiniteNumber.is }
} satisfies Record<InitializerKind, Record<string, (u: unknown) => boolean>>)

const STFT_REASON =
  'the STFT initializer builds Fourier-basis kernels for rank-3 (frame_length, channels, fft_length) weights; it does not apply to a Conv2D kernel'
const BASE_REASON = 'the base Initializer class cannot generate values (Keras raises NotImplementedError); name a concrete initializer such as "glorot_uniform"'

/** Class names (and their aliases) → config codec. */
const CLASSES: NameTable<Resolution<Initializer>> = (() => {
  const table: Record<string, Resolution<Initializer>> = {
    Zeros: resolved(constantOf(0)),
    Ones: resolved(constantOf(1)),
    Constant: resolved(ConstantConfig),
    RandomNormal: resolved(RandomNormalConfig),
    RandomUniform: resolved(RandomUniformConfig),
    TruncatedNormal: resolved(TruncatedNormalConfig),
    VarianceScaling: resolved(VarianceScalingConfig),
    Orthogonal: resolved(OrthogonalConfig),
    Identity: resolved(IdentityConfig),
    STFT: rejected(STFT_REASON),
    Initializer: rejected(BASE_REASON)
  }
  for (const name of Object.keys(VARIANCE_SCALING_PRESETS) as PresetName[]) table[name] = resolved(presetConfig(name))
  // TF 2.x registers `…V2` variants of the same classes.
  for (const name of Object.keys(table)) {
    if (name !== 'STFT' && name !== 'Initializer') table[`${name}V2`] = table[name] as Resolution<Initializer>
  }
  table['IdentityInitializer'] = resolved(IdentityConfig)
  table['OrthogonalInitializer'] = resolved(OrthogonalConfig)
  table['STFTInitializer'] = rejected(STFT_REASON)
  return nameTable(table)
})()

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

const family: ClassFamily<Initializer> = {
  what: 'initializer',
  classes: CLASSES,
  strings: stringsOf(STRINGS, CLASSES)
}

/** The most specific Keras class and config for a normalized initializer. */
const toKeras = (i: Initializer): { readonly className: string; readonly config: Record<string, unknown> } => {
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
      for (const name of Object.keys(VARIANCE_SCALING_PRESETS) as PresetName[]) {
        const p = VARIANCE_SCALING_PRESETS[name]
        if (p.scale === i.scale && p.mode === i.mode && p.distribution === i.distribution) {
          return { className: name, config: { seed: i.seed } }
        }
      }
      return {
        className: 'VarianceScaling',
        config: { scale: i.scale, mode: i.mode, distribution: i.distribution, seed: i.seed }
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
    (u, c) => (u === null ? t.success(nullMeans) : validateClassObject(family, u, c)),
    (i) => {
      const { className, config } = toKeras(i)
      return envelope(dialect, 'keras.initializers', className, config)
    }
  )

/** Accepted initializer names (strings and class names), for documentation and arbitraries. */
export const INITIALIZER_NAMES: ReadonlyArray<string> = family.strings.names
