/**
 * `arbInvalidConvConfig`: configs of a convolution family member that break exactly one of Keras's
 * per-class / per-dialect rules (family §3, §4, §5, §8), each with the config path its errors must
 * carry. Built from a valid {@link ConvConfigPlan} by changing one thing, so decoding in the plan's
 * dialect must fail with every error at that path (or inside it: `kernel_size[1]` is inside
 * `kernel_size`) and nothing else.
 */
import fc from 'fast-check'
import type { Dialect } from '../codec/Dialect.js'
import type { Json } from './blocks.js'
import { arbConvConfig, rejectsStridedDilation, type ConvConfigKind, type ConvConfigOptions, type ConvConfigPlan, type ConvConfigRank } from './family.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The family rules an invalid config can break. */
export type ConvFamilyRule =
  /** max(strides) > 1 with max(dilation_rate) > 1 where the member rejects it in the dialect (family §4). */
  | 'strides-with-dilation'
  /** Transposed: an `output_padding` entry ≥ its stride (family §5). */
  | 'output-padding-below-strides'
  /** `causal` padding on a member that does not take it in the dialect (family §3). */
  | 'causal-padding'
  /** Conv: `filters` not divisible by `groups`. */
  | 'groups-divide-filters'
  /** keras2 transposed / separable / depthwise: tf.keras's inherited `groups` other than 1. */
  | 'inherited-groups-one'
  /** keras3 transposed / separable / depthwise: a key only tf.keras 2.x writes (`groups`, separable `kernel_*`; family §8). */
  | 'keras3-no-inherited-keys'
  /** keras2 Conv3DTranspose: `dilation_rate` > 1 (tf.keras ignores and drops it; family §11). */
  | 'keras2-conv3d-transpose-dilation'
  /** A `kernel_size` list with the wrong number of entries for the rank. */
  | 'kernel-size-rank'
  /** Depthwise: a `filters` key (depth_multiplier sets the output channels). */
  | 'depthwise-no-filters'
  /** Separable / depthwise: `depth_multiplier` not a positive integer. */
  | 'depth-multiplier-positive'
  /** Conv / transpose / separable: `filters` not a positive integer. */
  | 'filters-positive-integer'

/**
 * One invalid config: `config` (a layer config dict) breaks `rule` and nothing else when decoded as
 * `className` in `dialect`; every error is at `path` or inside it.
 * @category model
 */
export interface InvalidConvConfig {
  readonly className: string
  readonly rank: ConvConfigRank
  readonly kind: ConvConfigKind
  readonly dialect: Dialect
  readonly config: Json
  readonly rule: ConvFamilyRule
  readonly path: string
}

// -------------------------------------------------------------------------------------
// breakers
// -------------------------------------------------------------------------------------

interface Breaker {
  readonly rule: ConvFamilyRule
  readonly path: string
  readonly patch: (c: Json) => Json
}

const without = (c: Json, ...keys: ReadonlyArray<string>): Json => Object.fromEntries(Object.entries(c).filter(([k]) => !keys.includes(k)))

/** The rules a member breaks can in a dialect, as arbitraries of patches. */
const breakersFor = (plan: ConvConfigPlan): ReadonlyArray<fc.Arbitrary<Breaker>> => {
  const { rank, kind, dialect, className } = plan
  const out: Array<fc.Arbitrary<Breaker>> = []
  const tuple = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: rank, maxLength: rank })
  const axis = fc.nat(rank - 1)
  const conv3dTransposeKeras2 = className === 'Conv3DTranspose' && dialect === 'keras2'
  if (rejectsStridedDilation(kind, dialect) && !conv3dTransposeKeras2) {
    out.push(
      fc.record({ s: tuple(1, 3), d: tuple(1, 3), sAxis: axis, dAxis: axis, big: fc.integer({ min: 2, max: 3 }) }).map(({ s, d, sAxis, dAxis, big }) => {
        s[sAxis] = Math.max(big, s[sAxis] ?? 2)
        d[dAxis] = Math.max(big, d[dAxis] ?? 2)
        return { rule: 'strides-with-dilation' as const, path: 'strides', patch: (c: Json) => ({ ...without(c, 'output_padding'), strides: s, dilation_rate: d }) }
      })
    )
  }
  if (kind === 'transpose') {
    out.push(
      fc.record({ s: tuple(1, 3), op: tuple(0, 2), at: axis, over: fc.nat(1) }).map(({ s, op, at, over }) => {
        const ops = op.map((v, i) => v % (s[i] as number))
        ops[at] = (s[at] as number) + over
        return { rule: 'output-padding-below-strides' as const, path: 'output_padding', patch: (c: Json) => ({ ...c, strides: s, dilation_rate: 1, output_padding: ops }) }
      })
    )
  }
  if (!(className === 'Conv1D' || (className === 'SeparableConv1D' && dialect === 'keras2'))) {
    out.push(fc.constantFrom('causal', 'CAUSAL', 'Causal').map((p) => ({ rule: 'causal-padding' as const, path: 'padding', patch: (c: Json) => ({ ...c, padding: p }) })))
  }
  if (kind === 'conv') {
    out.push(
      fc.integer({ min: 2, max: 4 }).map((g) => ({ rule: 'groups-divide-filters' as const, path: 'groups', patch: (c: Json) => ({ ...c, groups: g, filters: g * 2 + 1 }) }))
    )
  } else if (dialect === 'keras2') {
    out.push(fc.constantFrom<unknown>(0, 2, 3, '1', null).map((g) => ({ rule: 'inherited-groups-one' as const, path: 'groups', patch: (c: Json) => ({ ...c, groups: g }) })))
  } else {
    const keys = kind === 'separable' ? ['groups', 'kernel_initializer', 'kernel_regularizer', 'kernel_constraint'] : ['groups']
    out.push(
      fc.constantFrom(...keys).map((k) => ({
        rule: 'keras3-no-inherited-keys' as const,
        path: k,
        patch: (c: Json) => ({ ...c, [k]: k === 'groups' ? 1 : k === 'kernel_initializer' ? 'glorot_uniform' : null })
      }))
    )
  }
  if (conv3dTransposeKeras2) {
    out.push(
      fc.record({ d: tuple(1, 3), at: axis }).map(({ d, at }) => {
        d[at] = Math.max(2, d[at] ?? 2)
        return { rule: 'keras2-conv3d-transpose-dilation' as const, path: 'dilation_rate', patch: (c: Json) => ({ ...without(c, 'output_padding'), strides: 1, dilation_rate: d }) }
      })
    )
  }
  out.push(
    fc
      .integer({ min: 0, max: 3 })
      .map((i) => (i >= rank ? i + 1 : i))
      .map((n) => ({ rule: 'kernel-size-rank' as const, path: 'kernel_size', patch: (c: Json) => ({ ...c, kernel_size: Array.from({ length: n }, () => 2) }) }))
  )
  if (kind === 'depthwise') {
    out.push(fc.integer({ min: 1, max: 4 }).map((f) => ({ rule: 'depthwise-no-filters' as const, path: 'filters', patch: (c: Json) => ({ ...c, filters: f }) })))
  }
  if (kind === 'separable' || kind === 'depthwise') {
    out.push(
      fc.constantFrom<unknown>(0, -1, 1.5, '2', null).map((m) => ({ rule: 'depth-multiplier-positive' as const, path: 'depth_multiplier', patch: (c: Json) => ({ ...c, depth_multiplier: m }) }))
    )
  } else {
    out.push(fc.constantFrom<unknown>(0, -2, 2.5, '4', true).map((f) => ({ rule: 'filters-positive-integer' as const, path: 'filters', patch: (c: Json) => ({ ...c, filters: f }) })))
  }
  return out
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

/**
 * Configs of the member of rank `rank` and kind `kind` that break exactly one of its rules in the
 * drawn dialect (see {@link ConvFamilyRule}), with the path of the errors. The valid base has no
 * varying Keras objects (`keras: false`), so nothing else can fail.
 * @category arbitraries
 * @example
 * fc.assert(fc.property(arbInvalidConvConfig(2, 'separable'), ({ className, dialect, config, path }) => {
 *   const kind = LAYER_KINDS.find((k) => k.className === className)!
 *   const r = kind.codec({ dialect, imageDataFormat: 'channels_last' }).decode(config)
 *   return E.isLeft(r) && fromValidationErrors(r.left).every((e) => e.path.startsWith(path))
 * }))
 */
export const arbInvalidConvConfig = (rank: ConvConfigRank, kind: ConvConfigKind, options: ConvConfigOptions = {}): fc.Arbitrary<InvalidConvConfig> =>
  arbConvConfig(rank, kind, { ...options, keras: false }).chain((plan) =>
    fc.oneof(...breakersFor(plan)).map((b) => ({
      className: plan.className,
      rank,
      kind,
      dialect: plan.dialect,
      // the declared input shape goes: it could disagree with a patched window
      config: b.patch(without(plan.config, 'input_shape', 'batch_input_shape')),
      rule: b.rule,
      path: b.path
    }))
  )
