/**
 * Properties of the convolution family (issue 14), for every member — Conv1D/2D/3D,
 * Conv1D/2D/3DTranspose, SeparableConv1D/2D, DepthwiseConv1D/2D — on the package's own arbitraries
 * (`arbConvConfig`, `arbInvalidConvConfig`, both dialects):
 * (a) decode ∘ encode = id on decoded specs, in the spec's dialect;
 * (b) Keras's output shape (symbolic, unknown dims kept, and compiled) equals the per-axis formulas of
 *     the family reference §2, written here from the table (not src/geometry/Axis.ts); the weights'
 *     names, shapes and the parameter count are §6's;
 * (c) strides > 1 with dilation_rate > 1 (judged across axes) is rejected exactly where Keras rejects
 *     it (§4: forward and transposed members in both dialects, separable and depthwise in keras2 only;
 *     plus tf.keras 2.x Conv3DTranspose's ignored dilation) and accepted elsewhere;
 * (d) `output_padding` ≥ strides is rejected on any axis (§5), `causal` padding only where allowed (§3:
 *     Conv1D, and SeparableConv1D in keras2); every arbInvalidConvConfig fails with its errors at its path;
 * (e) the compiled layer (the layer kind's compile, and a one-layer model through compileModel) equals
 *     convNdReference (separable: the depthwise reference then the pointwise one) within float32
 *     tolerance, linear activation.
 * Runs per member (CI seed; 10x with LAYERSPEC_DEEP=1): (a) 80, (b) 60, (c) 100, (d) output_padding 60,
 * causal 30, invalid configs 80, (e) layer 60 and one-layer model 40 — 73 tests, about 7 s in all.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  arbConvConfig,
  arbInvalidConvConfig,
  convMembers,
  type ConvConfigKind,
  type ConvConfigOptions,
  type ConvConfigPlan,
  type ConvConfigRank
} from '../src/arbitraries/index.js'
import type { Dialect } from '../src/codec/Dialect.js'
import { fromValidationErrors, type SpecError } from '../src/core/SpecError.js'
import type { Tensor } from '../src/core/Tensor.js'
import { convNdReference } from '../src/conv/reference.js'
import { convNdGeometry, type ConvNdParams } from '../src/geometry/ConvNdGeometry.js'
import type { LayerKind } from '../src/layers/LayerKind.js'
import { compileModel } from '../src/model/compileModel.js'
import { decodeModel } from '../src/model/decodeModel.js'
import { LAYER_KINDS } from '../src/model/registry.js'
import { uniformStream } from '../src/numerics/random.js'
import { params } from './settings.js'
import { ok } from './util.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = LayerKind<any>

const MEMBERS = convMembers()
const nameOf = (rank: ConvConfigRank, kind: ConvConfigKind): string =>
  kind === 'conv' ? `Conv${rank}D` : kind === 'transpose' ? `Conv${rank}DTranspose` : kind === 'separable' ? `SeparableConv${rank}D` : `DepthwiseConv${rank}D`

const kindOf = (className: string): AnyKind => {
  const k = LAYER_KINDS.find((x) => x.className === className)
  if (k === undefined) throw new Error(`no layer kind ${className}`)
  return k
}

const decode = (className: string, dialect: Dialect, config: unknown): E.Either<ReadonlyArray<SpecError>, { readonly [k: string]: unknown }> => {
  const r = kindOf(className).codec({ dialect, imageDataFormat: 'channels_last' }).decode(config)
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left)) : E.right(r.right as { readonly [k: string]: unknown })
}

const encode = (className: string, spec: { readonly dialect: Dialect }): Record<string, unknown> =>
  kindOf(className).codec({ dialect: spec.dialect, imageDataFormat: 'channels_last' }).encode(spec)

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** Whether `path` is `at` or inside it (`kernel_size[1]` is inside `kernel_size`). */
const within = (path: string, at: string): boolean => path === at || path.startsWith(`${at}[`) || path.startsWith(`${at}.`)

// -------------------------------------------------------------------------------------
// the reference's formulas (family §2, §6), written from the tables
// -------------------------------------------------------------------------------------

/** One output length, family §2 (ke = d·(k−1)+1). */
const outLength = (plan: ConvConfigPlan, axis: number, n: number): number => {
  const k = plan.kernelSize[axis] as number
  const s = plan.strides[axis] as number
  const d = plan.dilationRate[axis] as number
  const ke = d * (k - 1) + 1
  if (plan.kind !== 'transpose') {
    // conv valid: (n − ke)/s + 1 (floor); same and causal: ceil(n/s)
    return plan.padding === 'valid' ? Math.floor((n - ke) / s) + 1 : Math.ceil(n / s)
  }
  const op = plan.outputPadding === null ? null : (plan.outputPadding[axis] as number)
  if (op === null) return plan.padding === 'valid' ? (n - 1) * s + Math.max(ke, s) : n * s
  return plan.padding === 'valid' ? (n - 1) * s + ke + op : (n - 1) * s + (ke % 2) + op
}

/** The output channels: F (conv, transpose, separable), C·M (depthwise). */
const outChannels = (plan: ConvConfigPlan): number => (plan.kind === 'depthwise' ? plan.channels * plan.depthMultiplier : plan.filters)

/** The spatial lengths of the plan's input. */
const spatialOf = (plan: ConvConfigPlan): ReadonlyArray<number> => (plan.dataFormat === 'channels_first' ? plan.inputShape.slice(1) : plan.inputShape.slice(0, -1))

/** Output shape without batch, data format order, with `null` for the unknown axes in `unknown`. */
const expectedShape = (plan: ConvConfigPlan, unknown: ReadonlySet<number> = new Set()): ReadonlyArray<number | null> => {
  const spatial = spatialOf(plan).map((n, i) => (unknown.has(i) ? null : outLength(plan, i, n)))
  const F = outChannels(plan)
  return plan.dataFormat === 'channels_first' ? [F, ...spatial] : [...spatial, F]
}

/** Weights (names, shapes) in Keras's order, family §6. */
const expectedWeights = (plan: ConvConfigPlan): ReadonlyArray<readonly [string, ReadonlyArray<number>]> => {
  const k = plan.kernelSize
  const C = plan.channels
  const F = plan.filters
  const M = plan.depthMultiplier
  const bias = (n: number): Array<readonly [string, ReadonlyArray<number>]> => (plan.useBias ? [['bias', [n]]] : [])
  switch (plan.kind) {
    case 'conv':
      return [['kernel', [...k, C / plan.groups, F]], ...bias(F)]
    case 'transpose':
      return [['kernel', [...k, F, C]], ...bias(F)]
    case 'separable':
      return [['depthwise_kernel', [...k, C, M]], ['pointwise_kernel', [...k.map(() => 1), C * M, F]], ...bias(F)]
    case 'depthwise':
      // Keras 3 names it `kernel`, tf.keras 2.x `depthwise_kernel`
      return [[plan.dialect === 'keras3' ? 'kernel' : 'depthwise_kernel', [...k, C, M]], ...bias(C * M)]
  }
}

/** The parameter count, family §6. */
const expectedParams = (plan: ConvConfigPlan): number => {
  const K = product(plan.kernelSize)
  const C = plan.channels
  const F = plan.filters
  const M = plan.depthMultiplier
  const b = plan.useBias ? 1 : 0
  switch (plan.kind) {
    case 'conv':
      return K * (C / plan.groups) * F + b * F
    case 'transpose':
      return K * F * C + b * F
    case 'separable':
      return K * C * M + C * M * F + b * F
    case 'depthwise':
      return K * C * M + b * C * M
  }
}

// -------------------------------------------------------------------------------------
// (a) round trip
// -------------------------------------------------------------------------------------

describe('(a) decode ∘ encode = id for every member, both dialects', () => {
  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s', (_name, rank, kind) => {
    const dialects = new Set<Dialect>()
    fc.assert(
      fc.property(arbConvConfig(rank, kind), (plan) => {
        dialects.add(plan.dialect)
        const spec = ok(decode(plan.className, plan.dialect, plan.config))
        expect(spec['className']).toBe(plan.className)
        expect(spec['dialect']).toBe(plan.dialect)
        // the plan says what the config means
        expect([spec['kernelSize'], spec['strides'], spec['dilationRate'], spec['padding'], spec['dataFormat'], spec['useBias']]).toEqual([
          plan.kernelSize,
          plan.strides,
          plan.dilationRate,
          plan.padding,
          plan.dataFormat,
          plan.useBias
        ])
        if (kind !== 'depthwise') expect(spec['filters']).toBe(plan.filters)
        if (kind === 'conv') expect(spec['groups']).toBe(plan.groups)
        if (kind === 'separable' || kind === 'depthwise') expect(spec['depthMultiplier']).toBe(plan.depthMultiplier)
        if (kind === 'transpose') expect(spec['outputPadding']).toEqual(plan.outputPadding)
        const json = encode(plan.className, spec as never)
        const again = ok(decode(plan.className, plan.dialect, JSON.parse(JSON.stringify(json))))
        expect(again).toEqual(spec)
        // and encoding is stable
        expect(encode(plan.className, again as never)).toEqual(json)
      }),
      params(80)
    )
    expect(dialects.size).toBe(2)
  })
})

// -------------------------------------------------------------------------------------
// (b) shapes and parameters
// -------------------------------------------------------------------------------------

describe('(b) output shape = the §2 formulas, weights and parameter count = §6, for every member', () => {
  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s', (_name, rank, kind) => {
    fc.assert(
      fc.property(arbConvConfig(rank, kind, { keras: false }), fc.nat(2 ** rank - 1), (plan, mask) => {
        const spec = ok(decode(plan.className, plan.dialect, plan.config))
        const k = kindOf(plan.className)
        // symbolic, every dim known
        const inferred = ok(k.infer(spec, [[null, ...plan.inputShape]]))
        expect(inferred.outputShape).toEqual([null, ...expectedShape(plan)])
        expect(inferred.weights.map((w) => [w.name, w.shape])).toEqual(expectedWeights(plan))
        expect(inferred.weights.reduce((a, w) => a + product(w.shape), 0)).toBe(expectedParams(plan))
        // unknown spatial dims stay unknown, the others keep their formula
        const unknown = new Set(Array.from({ length: rank }, (_, i) => i).filter((i) => (mask >> i) & 1))
        const cf = plan.dataFormat === 'channels_first'
        const partial = plan.inputShape.map((d, j) => (unknown.has(cf ? j - 1 : j) ? null : d))
        expect(ok(k.infer(spec, [[null, ...partial]])).outputShape).toEqual([null, ...expectedShape(plan, unknown)])
        // compiled
        const compiled = ok(k.compile(spec, [plan.inputShape], { dtype: 'float32' }))
        expect(compiled.outputShape).toEqual(expectedShape(plan))
      }),
      params(60)
    )
  })
})

// -------------------------------------------------------------------------------------
// (c) strides × dilation
// -------------------------------------------------------------------------------------

/** Family §4, per class and dialect: who rejects max(strides) > 1 with max(dilation_rate) > 1. */
const rejectsBoth = (kind: ConvConfigKind, dialect: Dialect): boolean => {
  switch (kind) {
    case 'conv':
    case 'transpose':
      return true // K3 all 3.x, TF2 ≥ 2.12
    case 'separable':
    case 'depthwise':
      return dialect === 'keras2' // TF2 ≥ 2.12 rejects; K3 ≥ 3.15 accepts
  }
}

describe('(c) strides > 1 with dilation > 1: rejected exactly where Keras rejects it (per class and dialect)', () => {
  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s', (_name, rank, kind) => {
    const seen = { rejected: 0, accepted: 0, acceptedBoth: 0 }
    const tuple = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank })
    fc.assert(
      fc.property(arbConvConfig(rank, kind, { keras: false }), tuple, tuple, (plan, s, d) => {
        const { input_shape: _i, batch_input_shape: _b, output_padding: _o, ...rest } = plan.config
        const config = { ...rest, strides: s, dilation_rate: d }
        const both = Math.max(...s) > 1 && Math.max(...d) > 1
        const expected = new Set<string>()
        if (both && rejectsBoth(kind, plan.dialect)) expected.add('strides')
        // tf.keras 2.x Conv3DTranspose drops dilation_rate (never dilates): a keras2 file cannot mean one
        if (plan.className === 'Conv3DTranspose' && plan.dialect === 'keras2' && Math.max(...d) > 1) expected.add('dilation_rate')
        const r = decode(plan.className, plan.dialect, config)
        if (expected.size === 0) {
          const spec = ok(r)
          expect(spec['strides']).toEqual(s)
          expect(spec['dilationRate']).toEqual(d)
          seen.accepted++
          if (both) seen.acceptedBoth++
        } else {
          expect(E.isLeft(r)).toBe(true)
          const errors = E.isLeft(r) ? r.left : []
          expect(new Set(errors.map((e) => e.path))).toEqual(expected)
          // the family's message is Keras's key phrase (Conv2D / DepthwiseConv2D word theirs differently)
          if (expected.has('strides')) expect(errors.find((e) => e.path === 'strides')?.message).toMatch(plan.rank === 2 && (kind === 'conv' || kind === 'depthwise') ? /dilation_rate/ : /not supported in conjunction with/)
          seen.rejected++
        }
      }),
      params(100)
    )
    expect(seen.rejected).toBeGreaterThan(0)
    expect(seen.accepted).toBeGreaterThan(0)
    if (kind === 'separable' || kind === 'depthwise') expect(seen.acceptedBoth).toBeGreaterThan(0)
  })
})

// -------------------------------------------------------------------------------------
// (d) output_padding, causal, invalid configs
// -------------------------------------------------------------------------------------

describe('(d) output_padding ≥ strides is rejected; causal only where Keras allows it; each invalid config fails at its path', () => {
  it.each(MEMBERS.filter(([, k]) => k === 'transpose').map(([r, k]) => [nameOf(r, k), r, k] as const))('%s output_padding', (_name, rank, kind) => {
    const tuple = (max: number) => fc.array(fc.integer({ min: 0, max }), { minLength: rank, maxLength: rank })
    let rejected = 0
    fc.assert(
      fc.property(arbConvConfig(rank, kind, { keras: false }), tuple(2).map((t) => t.map((v) => v + 1)), fc.option(tuple(3), { nil: null }), (plan, s, op) => {
        const { input_shape: _i, batch_input_shape: _b, ...rest } = plan.config
        const r = decode(plan.className, plan.dialect, { ...rest, strides: s, dilation_rate: 1, output_padding: op })
        if (op !== null && op.some((v, i) => v >= (s[i] as number))) {
          rejected++
          expect(E.isLeft(r) ? r.left.map((e) => e.path) : []).toEqual(['output_padding'])
        } else {
          expect(ok(r)['outputPadding']).toEqual(op)
        }
      }),
      params(60)
    )
    expect(rejected).toBeGreaterThan(0)
  })

  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s causal', (_name, rank, kind) => {
    fc.assert(
      fc.property(arbConvConfig(rank, kind, { keras: false }), fc.constantFrom('causal', 'CAUSAL', 'Causal'), (plan, causal) => {
        const allowed = plan.className === 'Conv1D' || (plan.className === 'SeparableConv1D' && plan.dialect === 'keras2')
        const r = decode(plan.className, plan.dialect, { ...plan.config, padding: causal })
        if (allowed) expect(ok(r)['padding']).toBe('causal')
        else expect(E.isLeft(r) ? r.left.map((e) => e.path) : []).toEqual(['padding'])
      }),
      params(30)
    )
  })

  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s: arbInvalidConvConfig', (_name, rank, kind) => {
    const rules = new Set<string>()
    fc.assert(
      fc.property(arbInvalidConvConfig(rank, kind), (bad) => {
        rules.add(bad.rule)
        const r = decode(bad.className, bad.dialect, bad.config)
        expect(E.isLeft(r), bad.rule).toBe(true)
        const errors = E.isLeft(r) ? r.left : []
        for (const e of errors) expect(within(e.path, bad.path), `${bad.rule}: ${e.path} ${e.message}`).toBe(true)
      }),
      params(80)
    )
    expect(rules.size).toBeGreaterThanOrEqual(4)
  })
})

// -------------------------------------------------------------------------------------
// (e) compiled = convNdReference
// -------------------------------------------------------------------------------------

/** The reference geometry parameters of a plan's (first) convolution, from the plan itself. */
const referenceParams = (plan: ConvConfigPlan): ConvNdParams => ({
  kind: plan.kind === 'separable' ? 'depthwise' : plan.kind,
  rank: plan.rank,
  dataFormat: plan.dataFormat,
  kernelSize: plan.kernelSize,
  strides: plan.strides,
  dilationRate: plan.dilationRate,
  padding: plan.padding,
  filters: plan.kind === 'separable' ? 1 : plan.filters,
  groups: plan.groups,
  depthMultiplier: plan.depthMultiplier,
  outputPadding: plan.outputPadding
})

/** convNdReference for the plan: one call, or depthwise then pointwise for a separable member. */
const reference = (plan: ConvConfigPlan, batch: number, x: Float32Array, weights: ReadonlyArray<Tensor>): Float64Array => {
  const g = ok(convNdGeometry(referenceParams(plan), plan.inputShape))
  if (plan.kind !== 'separable') return convNdReference(g, batch, x, (weights[0] as Tensor).data, plan.useBias ? (weights[1] as Tensor).data : undefined)
  const z = convNdReference(g, batch, x, (weights[0] as Tensor).data, undefined)
  const ones = plan.kernelSize.map(() => 1)
  const pointwise = ok(
    convNdGeometry(
      { kind: 'conv', rank: plan.rank, dataFormat: plan.dataFormat, kernelSize: ones, strides: ones, dilationRate: ones, padding: 'valid', filters: plan.filters, groups: 1, depthMultiplier: 1, outputPadding: null },
      g.outputShape
    )
  )
  return convNdReference(pointwise, batch, z, (weights[1] as Tensor).data, plan.useBias ? (weights[2] as Tensor).data : undefined)
}

/** Largest |a − b| / (1 + |b|). */
const worstError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let w = 0
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= w)) w = e
  }
  return w
}

/** A one-layer Sequential model of the plan's layer (the declared input replaced by the plan's). */
const oneLayerModel = (plan: ConvConfigPlan): unknown => {
  const { input_shape: _i, batch_input_shape: _b, ...rest } = plan.config
  const config = plan.dialect === 'keras2' ? { ...rest, batch_input_shape: [null, ...plan.inputShape] } : { ...rest, input_shape: [...plan.inputShape] }
  return { class_name: 'Sequential', config: { name: 'one', layers: [{ ...plan.layer, config }] } }
}

const TOLERANCE = 1e-5
const COMPILE_OPTIONS: ConvConfigOptions = { keras: false, float64: false, maxExtent: 3 }

describe(`(e) the compiled layer, and a one-layer model, equal convNdReference within ${TOLERANCE} (relative, float32)`, () => {
  /** One case: the plan decoded and compiled by its layer kind, seeded weights and input, the reference. */
  const run = (plan: ConvConfigPlan, batch: number, seed: number) => {
    const spec = ok(decode(plan.className, plan.dialect, plan.config))
    const layer = ok(kindOf(plan.className).compile(spec, [plan.inputShape], { dtype: 'float32' }))
    const rng = uniformStream(seed)
    const weights: Tensor[] = layer.weights.map((w) => ({ shape: w.shape, data: Float32Array.from({ length: product(w.shape) }, () => rng() * 2 - 1) }))
    const x = Float32Array.from({ length: batch * product(plan.inputShape) }, () => rng() * 2 - 1)
    return { layer, weights, x, input: { shape: [batch, ...plan.inputShape], data: x }, expected: reference(plan, batch, x, weights) }
  }

  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s: the layer kind\'s compile', (_name, rank, kind) => {
    let worst = 0
    const covered = { strided: 0, dilated: 0, stridedDilated: 0, same: 0, causal: 0, channelsFirst: 0, grouped: 0, multiplier: 0, outputPadding: 0, keras2: 0, keras3: 0 }
    fc.assert(
      fc.property(arbConvConfig(rank, kind, COMPILE_OPTIONS), fc.integer({ min: 1, max: 2 }), fc.nat(), (plan, batch, seed) => {
        const s = Math.max(...plan.strides) > 1
        const d = Math.max(...plan.dilationRate) > 1
        covered.strided += s ? 1 : 0
        covered.dilated += d ? 1 : 0
        covered.stridedDilated += s && d ? 1 : 0
        covered.same += plan.padding === 'same' ? 1 : 0
        covered.causal += plan.padding === 'causal' ? 1 : 0
        covered.channelsFirst += plan.dataFormat === 'channels_first' ? 1 : 0
        covered.grouped += plan.groups > 1 ? 1 : 0
        covered.multiplier += plan.depthMultiplier > 1 ? 1 : 0
        covered.outputPadding += plan.outputPadding !== null ? 1 : 0
        covered[plan.dialect]++
        const { layer, weights, input, expected } = run(plan, batch, seed)
        const ours = layer.forward(weights, [input])
        expect(ours.shape).toEqual([batch, ...expectedShape(plan)])
        const e = worstError(ours.data, expected)
        expect(e).toBeLessThanOrEqual(TOLERANCE)
        worst = Math.max(worst, e)
      }),
      params(60)
    )
    expect(worst).toBeLessThanOrEqual(TOLERANCE)
    // the corners each member has were run
    for (const what of ['strided', 'same', 'channelsFirst', 'keras2', 'keras3'] as const) expect(covered[what], what).toBeGreaterThan(0)
    if (!(kind === 'transpose' && rank === 3)) expect(covered.dilated, 'dilated').toBeGreaterThan(0)
    if (kind === 'separable' || kind === 'depthwise') expect(covered.stridedDilated, 'strides with dilation (keras3)').toBeGreaterThan(0)
    if (rank === 1 && (kind === 'conv' || kind === 'separable')) expect(covered.causal, 'causal').toBeGreaterThan(0)
    if (kind === 'conv') expect(covered.grouped, 'groups').toBeGreaterThan(0)
    if (kind === 'separable' || kind === 'depthwise') expect(covered.multiplier, 'depth multiplier').toBeGreaterThan(0)
    if (kind === 'transpose') expect(covered.outputPadding, 'output_padding').toBeGreaterThan(0)
  })

  it.each(MEMBERS.map(([r, k]) => [nameOf(r, k), r, k] as const))('%s: a one-layer model through compileModel (the compiler)', (_name, rank, kind) => {
    fc.assert(
      fc.property(arbConvConfig(rank, kind, COMPILE_OPTIONS), fc.integer({ min: 1, max: 2 }), fc.nat(), (plan, batch, seed) => {
        const { weights, input, expected } = run(plan, batch, seed)
        const model = ok(compileModel(ok(decodeModel(oneLayerModel(plan), { dialect: plan.dialect })), { dtype: 'float32' }))
        const viaModel = model.forward(weights, [input])[0] as Tensor
        expect(viaModel.shape).toEqual([batch, ...expectedShape(plan)])
        expect(worstError(viaModel.data, expected)).toBeLessThanOrEqual(TOLERANCE)
      }),
      params(40)
    )
  })
})
