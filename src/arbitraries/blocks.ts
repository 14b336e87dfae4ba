/**
 * Building blocks for Keras Conv2D configs as fast-check arbitraries: every value they produce is valid
 * Keras JSON in one of the spellings real files use. They are built directly (no `.filter`), with the
 * simplest value first, so failures shrink to small, readable configs.
 */
import fc from 'fast-check'

/** A JSON object. */
export type Json = { [key: string]: unknown }

/** The envelope styles of serialized objects: legacy `{class_name, config}` or Keras 3 `{module, …}`. */
export type EnvelopeStyle = 'legacy' | 'keras3'

// -------------------------------------------------------------------------------------
// spellings
// -------------------------------------------------------------------------------------

/**
 * A string in one of the letter cases Keras accepts for case-insensitive arguments: as is, UPPER,
 * Capitalized. The identity comes first.
 * @category building blocks
 */
export const arbLetterCase = (s: string): fc.Arbitrary<string> =>
  fc.constantFrom(s, s.toUpperCase(), s.charAt(0).toUpperCase() + s.slice(1))

/**
 * Wraps a class and its config in an envelope of the given style.
 * @category building blocks
 */
export const envelopeOf = (style: EnvelopeStyle, module: string, className: string, config: Json): Json =>
  style === 'legacy' ? { class_name: className, config } : { module, class_name: className, config, registered_name: null }

/**
 * An "int or pair" argument for the pair `[a, b]`: `a` when both are equal (sometimes), else the list,
 * sometimes as a SavedModel `__tuple__`.
 * @category building blocks
 */
export const arbPairSpelling = (a: number, b: number): fc.Arbitrary<unknown> =>
  a === b
    ? fc.constantFrom<unknown>(a, [a, b], { class_name: '__tuple__', items: [a, b] })
    : fc.constantFrom<unknown>([a, b], { class_name: '__tuple__', items: [a, b] })

// -------------------------------------------------------------------------------------
// Keras objects
// -------------------------------------------------------------------------------------

const arbSeed = fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: null })

/**
 * An activation as Keras writes it: a name both tf.keras 2.x and Keras 3 know (aliases included; the
 * Keras 3-only names are an error in a keras2 config, so a config valid in either dialect avoids them),
 * `null`, or a Keras 3 serialized function. `linear` first.
 * @category building blocks
 */
export const arbActivationConfig: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom('linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'swish', 'silu', 'gelu', 'hard_sigmoid', 'exponential', 'leaky_relu', 'mish', 'log_softmax'), weight: 8 },
  { arbitrary: fc.constant(null), weight: 1 },
  {
    arbitrary: fc.constantFrom('relu', 'linear', 'gelu').map((name) => ({ module: 'keras.activations', class_name: 'function', config: name, registered_name: name })),
    weight: 1
  }
)

/**
 * An initializer config for a weight of rank `rank` (4 for a Conv2D kernel, 1 for a bias): a string
 * name or an envelope with arguments, in either style. `glorot_uniform` first. `Orthogonal` only for
 * rank ≥ 2 (Keras rejects it below); `Identity` never (Keras rejects it for anything but 2-D weights).
 * @category building blocks
 */
export const arbInitializerConfig = (rank = 4): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom(
    'glorot_uniform', 'zeros', 'ones', 'glorot_normal', 'he_normal', 'he_uniform', 'lecun_normal', 'lecun_uniform',
    'random_normal', 'random_uniform', 'truncated_normal', 'normal', 'uniform', 'variance_scaling',
    // (not "constant": Keras 3 cannot build its Constant from the name alone)
    'GlorotUniform', 'HeNormal', 'Zeros', 'Ones', ...(rank >= 2 ? ['orthogonal'] : [])
  ),
  fc
    .tuple(
      fc.constantFrom<EnvelopeStyle>('legacy', 'keras3'),
      fc.oneof(
        fc.record({ c: fc.constantFrom('GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LecunNormal', 'LecunUniform'), seed: arbSeed }).map(({ c, seed }) => [c, { seed }] as const),
        fc.constantFrom(['Zeros', {}] as const, ['Ones', {}] as const),
        fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }).map((value) => ['Constant', { value }] as const),
        fc.record({ mean: fc.double({ min: -1, max: 1, noNaN: true }), stddev: fc.double({ min: 0.01, max: 1, noNaN: true }), seed: arbSeed }).map((c) => ['RandomNormal', c] as const),
        fc.record({ mean: fc.double({ min: -1, max: 1, noNaN: true }), stddev: fc.double({ min: 0.01, max: 1, noNaN: true }), seed: arbSeed }).map((c) => ['TruncatedNormal', c] as const),
        fc
          .record({ lo: fc.double({ min: -1, max: 0, noNaN: true }), width: fc.double({ min: 0.01, max: 1, noNaN: true }), seed: arbSeed })
          .map(({ lo, width, seed }) => ['RandomUniform', { minval: lo, maxval: lo + width, seed }] as const),
        fc
          .record({
            scale: fc.double({ min: 0.1, max: 4, noNaN: true }),
            mode: fc.constantFrom('fan_in', 'fan_out', 'fan_avg'),
            distribution: fc.constantFrom('uniform', 'truncated_normal', 'untruncated_normal', 'normal'),
            seed: arbSeed
          })
          .map((c) => ['VarianceScaling', c] as const),
        ...(rank >= 2 ? [fc.record({ gain: fc.double({ min: 0.5, max: 2, noNaN: true }), seed: arbSeed }).map((c) => ['Orthogonal', c] as const)] : [])
      )
    )
    .map(([style, [cls, config]]) => envelopeOf(style, 'keras.initializers', cls, { ...config }))
)

/**
 * A regularizer config or `null` (first): a string name both dialects know (not TF 2.x's `l1_l2`,
 * which Keras 3 does not) or an `L1` / `L2` / `L1L2` envelope.
 * @category building blocks
 */
export const arbRegularizerConfig: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: fc.constantFrom('l1', 'l2', 'L1', 'L2', 'L1L2', 'l1l2'), weight: 1 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom<EnvelopeStyle>('legacy', 'keras3'),
        fc.constantFrom('L1', 'L2', 'L1L2'),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true })
      )
      .map(([style, cls, a, b]) =>
        envelopeOf(style, 'keras.regularizers', cls, cls === 'L1' ? { l1: a } : cls === 'L2' ? { l2: b } : { l1: a, l2: b })
      ),
    weight: 1
  }
)

/**
 * A constraint config or `null` (first), with axes valid for a weight of rank `rank` (4 for a kernel,
 * 1 for a bias): a string name or a `MaxNorm` / `NonNeg` / `UnitNorm` / `MinMaxNorm` envelope.
 * @category building blocks
 */
export const arbConstraintConfig = (rank: number): fc.Arbitrary<unknown> => {
  const axis = fc.oneof(
    fc.integer({ min: -rank, max: rank - 1 }),
    fc.uniqueArray(fc.integer({ min: 0, max: rank - 1 }), { minLength: 1, maxLength: rank })
  )
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: 3 },
    // Names both dialects know (TF 2.x's `nonneg`, `maxnorm`, `unitnorm` are errors in a keras3 config).
    { arbitrary: fc.constantFrom('non_neg', 'max_norm', 'unit_norm', 'min_max_norm', 'NonNeg', 'MaxNorm'), weight: 1 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom<EnvelopeStyle>('legacy', 'keras3'),
          fc.oneof(
            fc.record({ max_value: fc.double({ min: 0.1, max: 4, noNaN: true }), axis }).map((c) => ['MaxNorm', c] as const),
            fc.constant(['NonNeg', {}] as const),
            fc.record({ axis }).map((c) => ['UnitNorm', c] as const),
            fc
              .record({ lo: fc.double({ min: 0, max: 1, noNaN: true }), width: fc.double({ min: 0, max: 2, noNaN: true }), rate: fc.double({ min: 0, max: 1, noNaN: true }), axis })
              .map(({ lo, width, rate, axis: a }) => ['MinMaxNorm', { min_value: lo, max_value: lo + width, rate, axis: a }] as const)
          )
        )
        .map(([style, [cls, config]]) => envelopeOf(style, 'keras.constraints', cls, { ...config })),
      weight: 1
    }
  )
}

/**
 * A dtype as Keras writes it (absent when `undefined`): a string or a Keras 3 `DTypePolicy`.
 * `float32` spellings only unless `float64` is allowed.
 * @category building blocks
 */
export const arbDTypeConfig = (allowFloat64 = true): fc.Arbitrary<unknown> =>
  fc
    .tuple(fc.constantFrom(...(allowFloat64 ? ['float32', 'float64'] : ['float32'])), fc.constantFrom('absent', 'string', 'policy'))
    .map(([name, form]) =>
      form === 'absent' && name === 'float32'
        ? undefined
        : form === 'policy'
          ? { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null }
          : name
    )
