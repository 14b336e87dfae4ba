/**
 * `arbInvalidConv2DConfig`: configs that break exactly one named rule, each with the JSON path its
 * error must carry. Built from a valid plan by changing one thing, so decoding must report that one
 * path and nothing else.
 */
import fc from 'fast-check'
import { arbConv2DPlan, type Conv2DConfigOptions } from './config.js'
import type { Json } from './blocks.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The rules an invalid config can break. */
export type Conv2DRule =
  | 'filters-positive-integer'
  | 'kernel-size-positive-integers'
  | 'kernel-size-pair'
  | 'strides-positive-integers'
  | 'dilation-positive-integers'
  | 'strides-with-dilation'
  | 'groups-divide-filters'
  | 'padding-name'
  | 'data-format-name'
  | 'activation-name'
  | 'initializer-name'
  | 'regularizer-name'
  | 'constraint-name'
  | 'trainable-boolean'
  | 'unknown-key'
  | 'missing-filters'
  | 'class-name'

/**
 * One invalid config: `config` breaks `rule` and nothing else; decoding must fail with errors all at
 * `path` (relative to `config`).
 * @category model
 */
export interface InvalidConv2DConfig {
  readonly config: Json
  readonly rule: Conv2DRule
  readonly path: string
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

const badInt = fc.constantFrom<unknown>(0, -1, 2.5, '3', true, null, Number.NaN, 1e300 * 10)
const badName = fc.constantFrom('causal', 'full', 'VALIDD', '', 'same ')

type Breaker = fc.Arbitrary<{ readonly rule: Conv2DRule; readonly key: string; readonly sub?: string; readonly patch: (c: Json) => Json }>

const set = (key: string, value: unknown) => (c: Json): Json => ({ ...c, [key]: value })

const breakers: ReadonlyArray<Breaker> = [
  badInt.map((v) => ({ rule: 'filters-positive-integer' as const, key: 'filters', patch: set('filters', v) })),
  fc.tuple(fc.nat(1), badInt).map(([i, v]) => ({
    rule: 'kernel-size-positive-integers' as const,
    key: 'kernel_size',
    sub: `[${i}]`,
    patch: (c: Json) => ({ ...c, kernel_size: i === 0 ? [v, 2] : [2, v] })
  })),
  fc.constantFrom<unknown>([], [3], [1, 1, 1], 'three', { h: 3 }).map((v) => ({ rule: 'kernel-size-pair' as const, key: 'kernel_size', patch: set('kernel_size', v) })),
  badInt.map((v) => ({ rule: 'strides-positive-integers' as const, key: 'strides', patch: (c: Json) => ({ ...c, strides: v, dilation_rate: 1 }) })),
  badInt.map((v) => ({ rule: 'dilation-positive-integers' as const, key: 'dilation_rate', patch: (c: Json) => ({ ...c, dilation_rate: v, strides: 1 }) })),
  fc
    .record({ s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), d: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), sAxis: fc.nat(1), dAxis: fc.nat(1) })
    .map(({ s, d, sAxis, dAxis }) => {
      const strides = [...s]
      const dilation = [...d]
      strides[sAxis] = Math.max(2, strides[sAxis] ?? 2)
      dilation[dAxis] = Math.max(2, dilation[dAxis] ?? 2)
      return { rule: 'strides-with-dilation' as const, key: 'strides', patch: (c: Json) => ({ ...c, strides, dilation_rate: dilation }) }
    }),
  fc.integer({ min: 2, max: 4 }).map((g) => ({
    rule: 'groups-divide-filters' as const,
    key: 'groups',
    patch: (c: Json) => ({ ...c, groups: g, filters: g * 2 + 1 })
  })),
  badName.map((v) => ({ rule: 'padding-name' as const, key: 'padding', patch: set('padding', v) })),
  fc.constantFrom('nhwc', 'channels', 'last', 'NCHW').map((v) => ({ rule: 'data-format-name' as const, key: 'data_format', patch: set('data_format', v) })),
  fc.constantFrom('ReLU', 'Relu', 'softmax2', 'glu', 'threshold', 'swishy').map((v) => ({ rule: 'activation-name' as const, key: 'activation', patch: set('activation', v) })),
  fc.constantFrom('glorot', 'xavier', 'he', 'stft').map((v) => ({ rule: 'initializer-name' as const, key: 'kernel_initializer', patch: set('kernel_initializer', v) })),
  fc.constantFrom('l3', 'L1_L2', 'ridge', 'orthogonal_regularizer').map((v) => ({ rule: 'regularizer-name' as const, key: 'kernel_regularizer', patch: set('kernel_regularizer', v) })),
  fc.constantFrom('positive', 'max', 'radial_constraint').map((v) => ({ rule: 'constraint-name' as const, key: 'bias_constraint', patch: set('bias_constraint', v) })),
  fc.constantFrom<unknown>(1, 0, 'true', null).map((v) => ({ rule: 'trainable-boolean' as const, key: 'trainable', patch: set('trainable', v) })),
  fc.constantFrom('kernel_sise', 'stride', 'dilation', 'use_bais', 'activaton', 'foo').map((k) => ({
    rule: 'unknown-key' as const,
    key: k,
    patch: (c: Json) => ({ ...c, [k]: 1 })
  })),
  fc.constant({
    rule: 'missing-filters' as const,
    key: 'filters',
    patch: (c: Json) => {
      const { filters: _dropped, ...rest } = c
      return rest
    }
  })
]

/**
 * Configs that break exactly one named rule, with the path of the error (for example
 * `{ rule: 'strides-with-dilation', path: 'config.strides' }` for a legacy envelope).
 * @category arbitraries
 */
export const arbInvalidConv2DConfig = (options: Conv2DConfigOptions = {}): fc.Arbitrary<InvalidConv2DConfig> =>
  fc
    .tuple(
      arbConv2DPlan({ ...options, keras: false }),
      fc.oneof(...breakers, fc.constantFrom('Dense', 'Conv3D', 'conv2d').map((name) => ({ rule: 'class-name' as const, key: 'class_name', patch: (c: Json) => c, className: name }))),
      fc.constantFrom('bare', 'legacy', 'keras3')
    )
    .map(([plan, breaker, envelope]) => {
      const raw = plan.config
      const unwrapped = ('config' in raw ? raw['config'] : raw) as Json
      // tf.keras 2.x's batch_input_shape in a Keras 3 entry would be an error of its own: input_shape there.
      const { batch_input_shape: batchShape, ...rest } = unwrapped
      const inner = envelope === 'keras3' && Array.isArray(batchShape) ? { ...rest, input_shape: batchShape.slice(1) } : unwrapped
      const patched = breaker.patch(inner)
      const className = 'className' in breaker ? (breaker.className as string) : 'Conv2D'
      if (breaker.rule === 'class-name') {
        return { config: { class_name: className, config: patched }, rule: breaker.rule, path: 'class_name' }
      }
      const path = breaker.key + (breaker.sub ?? '')
      if (envelope === 'bare') return { config: patched, rule: breaker.rule, path }
      const config = envelope === 'legacy' ? { class_name: 'Conv2D', config: patched } : { module: 'keras.layers', class_name: 'Conv2D', config: patched, registered_name: null }
      return { config, rule: breaker.rule, path: `config.${path}` }
    })
