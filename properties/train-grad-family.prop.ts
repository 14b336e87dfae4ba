/**
 * Gradients against finite differences for the convolution family and its 1-D / 3-D companions
 * (issue 14), as train-grad.prop.ts does for the 2-D layers: random small models of rank 1, 2 or 3
 * built from Conv1D / Conv3D (groups, `causal` included), Conv1D/2D/3DTranspose (`output_padding`),
 * SeparableConv1D/2D and DepthwiseConv1D (depth multipliers), MaxPooling / AveragePooling 1D/3D,
 * UpSampling1D/3D, ZeroPadding1D/3D, Cropping1D/3D, then a global pooling 1D/2D/3D or Flatten + Dense
 * head — per-axis kernel sizes, strides or dilations, both data formats, with and without bias,
 * smooth activations (the layer's own) — compiled in float64 with random weights and inputs, mean
 * squared error against random targets: `Trainer.valueAndGrad`'s gradient of every trainable param
 * agrees with the central difference `(L(w + h) − L(w − h)) / 2h`, h = 1e-6, within
 * `1e-6 · (1 + max |g|)`, at up to 6 random entries of each param (every entry of small ones).
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../src/core/Tensor.js'
import { convAxis, poolAxis, transposedAxis, transposedAxisProblem } from '../src/geometry/Axis.js'
import { layer, layers, sequential, type LayerJson } from '../src/model/builder.js'
import type { ModelSpec } from '../src/model/ModelSpec.js'
import { compileTrainer } from '../src/train/Trainer.js'
import { params } from './settings.js'
import { ok } from './util.js'

type Smooth = 'tanh' | 'sigmoid' | 'softplus' | 'elu' | 'linear'
type Tri = readonly [number, number, number]

interface Window {
  readonly k: Tri
  readonly s: Tri
  readonly d: Tri
  /** strides (dilation 1) or dilation (strides 1): Keras refuses both. */
  readonly strided: boolean
}

type Member =
  | ({ readonly kind: 'conv'; readonly padding: 'valid' | 'same' | 'causal'; readonly filters: number; readonly groups: number; readonly bias: boolean; readonly act: Smooth } & Window)
  | ({ readonly kind: 'transpose'; readonly same: boolean; readonly op: boolean; readonly filters: number; readonly bias: boolean; readonly act: Smooth } & Window)
  | ({ readonly kind: 'separable'; readonly same: boolean; readonly mult: number; readonly filters: number; readonly bias: boolean; readonly act: Smooth } & Window)
  | ({ readonly kind: 'depthwise'; readonly padding: 'valid' | 'same' | 'causal'; readonly mult: number; readonly bias: boolean; readonly act: Smooth } & Window)
  | { readonly kind: 'pool'; readonly max: boolean; readonly size: Tri; readonly strides: Tri; readonly same: boolean }
  | { readonly kind: 'up'; readonly size: Tri }
  | { readonly kind: 'pad' }
  | { readonly kind: 'crop' }

interface Plan {
  readonly rank: 1 | 2 | 3
  readonly channelsFirst: boolean
  readonly n: Tri
  readonly channels: number
  readonly members: ReadonlyArray<Member>
  readonly head: 'dense' | 'gap' | 'gmp'
  readonly seed: number
}

const tri = (arb: fc.Arbitrary<number>): fc.Arbitrary<Tri> => fc.tuple(arb, arb, arb)
const arbSmooth = fc.constantFrom<Smooth>('tanh', 'sigmoid', 'softplus', 'elu', 'linear')
const window = { k: tri(fc.integer({ min: 1, max: 3 })), s: tri(fc.integer({ min: 1, max: 2 })), d: tri(fc.integer({ min: 1, max: 2 })), strided: fc.boolean() }
const padding = fc.constantFrom<'valid' | 'same' | 'causal'>('valid', 'same', 'causal')

const arbMember: fc.Arbitrary<Member> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('conv' as const), ...window, padding, filters: fc.constantFrom(2, 3), groups: fc.constantFrom(1, 2), bias: fc.boolean(), act: arbSmooth }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('transpose' as const), ...window, same: fc.boolean(), op: fc.boolean(), filters: fc.constantFrom(1, 2, 3), bias: fc.boolean(), act: arbSmooth }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('separable' as const), ...window, same: fc.boolean(), mult: fc.constantFrom(1, 2), filters: fc.constantFrom(2, 3), bias: fc.boolean(), act: arbSmooth }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('depthwise' as const), ...window, padding, mult: fc.constantFrom(1, 2), bias: fc.boolean(), act: arbSmooth }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pool' as const), max: fc.boolean(), size: tri(fc.integer({ min: 1, max: 3 })), strides: tri(fc.integer({ min: 1, max: 2 })), same: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('up' as const), size: tri(fc.integer({ min: 1, max: 2 })) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pad' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crop' as const }) }
)

const arbPlan: fc.Arbitrary<Plan> = fc.record({
  rank: fc.constantFrom<1 | 2 | 3>(1, 1, 2, 3, 3),
  channelsFirst: fc.boolean(),
  n: tri(fc.integer({ min: 2, max: 6 })),
  channels: fc.constantFrom(1, 2, 3),
  members: fc.array(arbMember, { minLength: 1, maxLength: 3 }),
  head: fc.constantFrom<Plan['head']>('dense', 'gap', 'gmp'),
  seed: fc.integer({ min: 0, max: 1000 })
})

const PADS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [0, 2],
  [1, 1]
]
const CROPS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [0, 1],
  [1, 0]
]

/** The model of a plan, sizes kept legal (a `valid` window larger than its axis becomes `same`, …); also the class names it uses. */
const build = (plan: Plan): { readonly model: ModelSpec; readonly classes: ReadonlyArray<string> } => {
  const r = plan.rank
  const cut = <A>(t: ReadonlyArray<A>): A[] => t.slice(0, r)
  const format = plan.channelsFirst ? 'channels_first' : 'channels_last'
  let spatial = cut(plan.n).map((n) => (r === 3 ? Math.min(n, 4) : n))
  let c = plan.channels
  const inputShape = plan.channelsFirst ? [c, ...spatial] : [...spatial, c]
  const chain: LayerJson[] = []
  const classes: string[] = []
  const push = (l: LayerJson): void => {
    chain.push(l)
    classes.push(l.class_name)
  }
  /** Strides and dilation of a window (strides only where the axis is long enough to keep outputs). */
  const stepping = (w: Window): { readonly strides: number[]; readonly dilation: number[] } => ({
    strides: w.strided ? cut(w.s).map((s, a) => ((spatial[a] as number) >= 3 ? s : 1)) : cut([1, 1, 1]),
    dilation: w.strided ? cut([1, 1, 1]) : cut(w.d)
  })
  /** A forward convolution's padding and output lengths (a `valid` window that does not fit becomes `same`). */
  const forward = (w: Window, wanted: 'valid' | 'same' | 'causal', causalOk: boolean) => {
    const { strides, dilation } = stepping(w)
    const k = cut(w.k)
    let pad: 'valid' | 'same' | 'causal' = wanted === 'causal' && !causalOk ? 'same' : wanted
    if (pad === 'valid' && spatial.some((n, a) => n < (dilation[a] as number) * ((k[a] as number) - 1) + 1)) pad = 'same'
    return { k, strides, dilation, pad, out: spatial.map((n, a) => convAxis(n, k[a] as number, strides[a] as number, dilation[a] as number, pad).out) }
  }
  for (const m of plan.members) {
    switch (m.kind) {
      case 'conv':
      case 'depthwise':
      case 'separable': {
        const kind = m.kind === 'separable' && r === 3 ? 'conv' : m.kind === 'depthwise' && r === 3 ? 'conv' : m.kind
        const wanted = m.kind === 'separable' ? (m.same ? 'same' : 'valid') : m.padding
        const f = forward(m, wanted, r === 1 && m.kind === 'conv')
        const common = { kernel_size: f.k, strides: f.strides, dilation_rate: f.dilation, padding: f.pad, data_format: format, activation: m.act, use_bias: m.bias }
        if (kind === 'conv') {
          const filters = m.kind === 'conv' ? m.filters : 2
          const groups = m.kind === 'conv' && c % m.groups === 0 && filters % m.groups === 0 ? m.groups : 1
          push(layer(r === 1 ? 'Conv1D' : r === 2 ? 'Conv2D' : 'Conv3D', { ...common, filters, groups }))
          c = filters
        } else if (m.kind === 'depthwise') {
          push(layer(r === 1 ? 'DepthwiseConv1D' : 'DepthwiseConv2D', { ...common, depth_multiplier: m.mult }))
          c = c * m.mult
        } else if (m.kind === 'separable') {
          push(layer(r === 1 ? 'SeparableConv1D' : 'SeparableConv2D', { ...common, depth_multiplier: m.mult, filters: m.filters }))
          c = m.filters
        }
        spatial = f.out
        break
      }
      case 'transpose': {
        const { strides, dilation } = stepping(m)
        const k = cut(m.k)
        // keep the sizes small: no stride on an axis already past 4
        const s = strides.map((x, a) => ((spatial[a] as number) > 4 ? 1 : x))
        let pad: 'valid' | 'same' = m.same ? 'same' : 'valid'
        let op: number[] | null = m.op ? s.map((x) => x - 1) : null
        const problem = (): boolean => spatial.some((n, a) => transposedAxisProblem(n, k[a] as number, s[a] as number, dilation[a] as number, pad, op === null ? null : (op[a] as number)) !== undefined)
        if (problem()) {
          pad = 'valid'
          op = null
        }
        push(layer(`Conv${r}DTranspose`, { filters: m.filters, kernel_size: k, strides: s, dilation_rate: dilation, padding: pad, output_padding: op, data_format: format, activation: m.act, use_bias: m.bias }))
        spatial = spatial.map((n, a) => transposedAxis(n, k[a] as number, s[a] as number, dilation[a] as number, pad, op === null ? null : (op[a] as number)).out)
        c = m.filters
        break
      }
      case 'pool': {
        if (r === 2) break
        const size = cut(m.size)
        const strides = cut(m.strides)
        const same = m.same || spatial.some((n, a) => n < (size[a] as number))
        const pad = same ? ('same' as const) : ('valid' as const)
        push(layer(`${m.max ? 'Max' : 'Average'}Pooling${r}D`, { pool_size: size, strides, padding: pad, data_format: format }))
        spatial = spatial.map((n, a) => poolAxis(n, size[a] as number, strides[a] as number, pad).out)
        break
      }
      case 'up': {
        // UpSampling1D, ZeroPadding1D and Cropping1D take no data_format (axis 1 always): channels_last only here
        if (r === 2 || (r === 1 && plan.channelsFirst) || spatial.reduce((a, b) => a * b, 1) * c > 48) break
        const size = cut(m.size)
        push(r === 1 ? layer('UpSampling1D', { size: size[0] }) : layer('UpSampling3D', { size, data_format: format }))
        spatial = spatial.map((n, a) => n * (size[a] as number))
        break
      }
      case 'pad': {
        if (r === 2 || (r === 1 && plan.channelsFirst)) break
        const pads = cut(PADS)
        push(r === 1 ? layer('ZeroPadding1D', { padding: pads[0] }) : layer('ZeroPadding3D', { padding: pads, data_format: format }))
        spatial = spatial.map((n, a) => n + (pads[a] as readonly [number, number])[0] + (pads[a] as readonly [number, number])[1])
        break
      }
      case 'crop': {
        if (r === 2 || (r === 1 && plan.channelsFirst) || spatial.some((n) => n < 3)) break
        const crops = cut(CROPS)
        push(r === 1 ? layer('Cropping1D', { cropping: crops[0] }) : layer('Cropping3D', { cropping: crops, data_format: format }))
        spatial = spatial.map((n, a) => n - (crops[a] as readonly [number, number])[0] - (crops[a] as readonly [number, number])[1])
        break
      }
    }
  }
  const head: LayerJson[] =
    plan.head === 'dense'
      ? [layers.flatten(), layers.dense({ units: 2, activation: 'tanh' })]
      : [layer(`Global${plan.head === 'gap' ? 'Average' : 'Max'}Pooling${r}D`, { data_format: format })]
  for (const h of head) classes.push(h.class_name)
  return { model: ok(sequential([...chain, ...head], { input_shape: inputShape })), classes }
}

/** A deterministic stream of values in [−1, 1). */
const values = (seed: number, n: number): Float64Array => {
  let s = seed * 2654435761 + 12345
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

describe('convolution family gradients against central finite differences (float64)', () => {
  const seen = new Set<string>()
  let checked = 0
  let worst = 0
  it('random models of rank 1-3: every trainable param', () => {
    fc.assert(
      fc.property(arbPlan, (plan) => {
        const { model, classes } = build(plan)
        classes.forEach((cl) => seen.add(cl))
        const trainerE = compileTrainer(model, { loss: 'mean_squared_error', optimizer: 'sgd' }, { dtype: 'float64' })
        if (E.isLeft(trainerE)) throw new Error(trainerE.left.map((e) => `${e.path}: ${e.message}`).join('\n'))
        const trainer = trainerE.right
        const c = trainer.compiled
        const ps = c.init(plan.seed).map((p, i) => ({ shape: p.shape, data: Float64Array.from(p.data, (v, k) => v + 0.3 * (values(plan.seed + 31 * i, p.data.length)[k] as number)) }))
        const batch = 2
        const x: Tensor[] = c.inputShapes.map((s, i) => ({ shape: [batch, ...s], data: values(plan.seed + 7 + i, batch * s.reduce((a, b) => a * b, 1)) }))
        const y: Tensor[] = c.outputShapes.map((s, i) => ({ shape: [batch, ...s], data: values(plan.seed + 99 + i, batch * s.reduce((a, b) => a * b, 1)) }))
        const b = { x, y }
        const { grads } = trainer.valueAndGrad(ps, b)
        const lossAt = (i: number, k: number, h: number): number => {
          const moved = ps.map((p, j) => (j === i ? { shape: p.shape, data: Float64Array.from(p.data, (v, m) => (m === k ? v + h : v)) } : p))
          return trainer.valueAndGrad(moved, b).loss
        }
        const h = 1e-6
        grads.forEach((g, i) => {
          if (g === null) return
          let scale = 0
          for (let k = 0; k < g.data.length; k++) scale = Math.max(scale, Math.abs(g.data[k] as number))
          const n = g.data.length
          const picks = n <= 6 ? Array.from({ length: n }, (_, k) => k) : Array.from({ length: 6 }, (_, j) => Math.floor((((values(plan.seed + i, 6)[j] as number) + 1) / 2) * n))
          for (const k of picks) {
            const fd = (lossAt(i, k, h) - lossAt(i, k, -h)) / (2 * h)
            checked++
            worst = Math.max(worst, Math.abs((g.data[k] as number) - fd) / (1 + scale))
            expect(Math.abs((g.data[k] as number) - fd), `${c.weights[i]?.path}[${k}]: analytic ${g.data[k]} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-6 * (1 + scale))
          }
        })
      }),
      params(100)
    )
    console.log(`family gradients: ${checked} entries checked, worst |g − fd| / (1 + max |g|) = ${worst.toExponential(2)}`)
    // every new member was drawn
    for (const cl of ['Conv1D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv1D', 'MaxPooling1D', 'AveragePooling3D', 'UpSampling1D', 'UpSampling3D', 'ZeroPadding3D', 'Cropping1D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D']) {
      expect(seen.has(cl), cl).toBe(true)
    }
  })
})
