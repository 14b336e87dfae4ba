/**
 * Gradients against finite differences (issue 13): random small Sequential and functional models
 * built from every layer kind the trainer differentiates — Conv2D (kernel sizes, strides, dilation,
 * groups, both paddings, both data formats), DepthwiseConv2D (depth multiplier), Dense, max / average /
 * global pooling, BatchNormalization in training mode, smooth and piecewise activations (layers and
 * a layer's own), ZeroPadding2D, Cropping2D, UpSampling2D (nearest and bilinear), Flatten, Reshape,
 * Dropout (its mask fixed by the key), residual Add / Multiply / Concatenate — compiled in float64,
 * random weights and inputs, mean squared error against random targets:
 * `Trainer.valueAndGrad`'s gradient of every trainable param agrees with the central difference
 * `(L(w + h) − L(w − h)) / 2h`, h = 1e-6, within `1e-6 · (1 + max |g|)` (float64: the difference's own
 * error is about 1e-10 here; a wrong rule is off by the size of the gradient). Checked at up to 6
 * random entries of each param (every entry of small ones).
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { DataFormat } from '../src/conv/Conv2DSpec.js'
import type { Tensor } from '../src/core/Tensor.js'
import { apply, functional, input, layers, sequential, type LayerJson, type SymbolicTensor } from '../src/model/builder.js'
import type { ModelSpec } from '../src/model/ModelSpec.js'
import { compileTrainer } from '../src/train/Trainer.js'
import { params } from './settings.js'
import { ok } from './util.js'

type Smooth = 'tanh' | 'sigmoid' | 'softplus' | 'gelu' | 'elu' | 'silu' | 'linear'

type Block =
  | { readonly kind: 'conv'; readonly k: number; readonly stride: number; readonly dilation: number; readonly same: boolean; readonly filters: number; readonly groups: number; readonly act: Smooth; readonly bias: boolean }
  | { readonly kind: 'depthwise'; readonly k: number; readonly stride: number; readonly same: boolean; readonly mult: number; readonly act: Smooth }
  | { readonly kind: 'pool'; readonly max: boolean; readonly size: number; readonly same: boolean }
  | { readonly kind: 'bn'; readonly scale: boolean; readonly center: boolean }
  | { readonly kind: 'act'; readonly name: Smooth | 'relu' | 'leaky' }
  | { readonly kind: 'pad' }
  | { readonly kind: 'crop' }
  | { readonly kind: 'up'; readonly bilinear: boolean }
  | { readonly kind: 'dropout' }
  | { readonly kind: 'residual'; readonly merge: 'add' | 'multiply' | 'concat' }

interface Plan {
  readonly functional: boolean
  readonly channelsFirst: boolean
  readonly shape: readonly [number, number, number]
  readonly blocks: ReadonlyArray<Block>
  readonly head: 'dense' | 'gap' | 'gmp' | 'reshape'
  readonly seed: number
}

const arbSmooth = fc.constantFrom<Smooth>('tanh', 'sigmoid', 'softplus', 'gelu', 'elu', 'silu', 'linear')

const arbBlock = (fn: boolean): fc.Arbitrary<Block> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('conv' as const),
        k: fc.constantFrom(1, 2, 3),
        stride: fc.constantFrom(1, 2),
        dilation: fc.constantFrom(1, 2),
        same: fc.boolean(),
        filters: fc.constantFrom(2, 4),
        groups: fc.constantFrom(1, 2),
        act: arbSmooth,
        bias: fc.boolean()
      })
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('depthwise' as const), k: fc.constantFrom(2, 3), stride: fc.constantFrom(1, 2), same: fc.boolean(), mult: fc.constantFrom(1, 2), act: arbSmooth }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('pool' as const), max: fc.boolean(), size: fc.constantFrom(2, 3), same: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bn' as const), scale: fc.boolean(), center: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('act' as const), name: fc.constantFrom<Smooth | 'relu' | 'leaky'>('tanh', 'sigmoid', 'softplus', 'gelu', 'relu', 'leaky') }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'pad' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'crop' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('up' as const), bilinear: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'dropout' as const }) },
    { weight: fn ? 2 : 0, arbitrary: fc.record({ kind: fc.constant('residual' as const), merge: fc.constantFrom<'add' | 'multiply' | 'concat'>('add', 'multiply', 'concat') }) }
  )

const arbPlan: fc.Arbitrary<Plan> = fc.boolean().chain((fn) =>
  fc.record({
    functional: fc.constant(fn),
    channelsFirst: fc.boolean(),
    shape: fc.tuple(fc.integer({ min: 4, max: 7 }), fc.integer({ min: 4, max: 7 }), fc.constantFrom(2, 4)),
    blocks: fc.array(arbBlock(fn), { minLength: 1, maxLength: 4 }),
    head: fc.constantFrom<Plan['head']>('dense', 'gap', 'gmp', 'reshape'),
    seed: fc.integer({ min: 0, max: 1000 })
  })
)

const act = (a: Smooth | 'relu' | 'leaky'): LayerJson => (a === 'leaky' ? layers.leakyRelu({ negative_slope: 0.1 }) : layers.activation({ activation: a }))

/** The model of a plan, its sizes kept legal (a window larger than the image becomes `same`, a tiny image is not pooled). */
const build = (plan: Plan): ModelSpec => {
  const format = plan.channelsFirst ? 'channels_first' : 'channels_last'
  let [h, w, c] = plan.shape
  const out = (n: number, k: number, s: number, same: boolean): number => (same ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1)
  const x = input(plan.channelsFirst ? [c, h, w] : [h, w, c])
  let t: SymbolicTensor = x
  const chain: LayerJson[] = []
  const push = (l: LayerJson): void => {
    chain.push(l)
    t = apply(l, t)
  }
  for (const b of plan.blocks) {
    switch (b.kind) {
      case 'conv': {
        const stride = b.dilation > 1 ? 1 : b.stride
        const keff = (b.k - 1) * b.dilation + 1
        const same = b.same || h < keff || w < keff
        const groups = c % b.groups === 0 && b.filters % b.groups === 0 ? b.groups : 1
        push(layers.conv2d({ filters: b.filters, kernel_size: b.k, strides: stride, dilation_rate: b.dilation, padding: same ? 'same' : 'valid', groups, activation: b.act, use_bias: b.bias, data_format: format }))
        ;[h, w, c] = [out(h, keff, stride, same), out(w, keff, stride, same), b.filters]
        break
      }
      case 'depthwise': {
        const same = b.same || h < b.k || w < b.k
        push(layers.depthwiseConv2d({ kernel_size: b.k, strides: b.stride, padding: same ? 'same' : 'valid', depth_multiplier: b.mult, activation: b.act, data_format: format }))
        ;[h, w, c] = [out(h, b.k, b.stride, same), out(w, b.k, b.stride, same), c * b.mult]
        break
      }
      case 'pool': {
        if (h < 2 || w < 2) break
        const same = b.same || h < b.size || w < b.size
        const args = { pool_size: b.size, strides: 2, padding: same ? ('same' as const) : ('valid' as const), data_format: format as DataFormat }
        push(b.max ? layers.maxPooling2d(args) : layers.averagePooling2d(args))
        ;[h, w] = [out(h, b.size, 2, same), out(w, b.size, 2, same)]
        break
      }
      case 'bn':
        push(layers.batchNormalization({ axis: plan.channelsFirst ? 1 : -1, scale: b.scale, center: b.center, momentum: 0.9 }))
        break
      case 'act':
        push(act(b.name))
        break
      case 'pad':
        push(layers.zeroPadding2d({ padding: [[1, 0], [0, 2]], data_format: format }))
        ;[h, w] = [h + 1, w + 2]
        break
      case 'crop':
        if (h < 3 || w < 3) break
        push(layers.cropping2d({ cropping: [[1, 0], [0, 1]], data_format: format }))
        ;[h, w] = [h - 1, w - 1]
        break
      case 'up':
        if (h * w > 40) break
        push(layers.upSampling2d({ size: 2, interpolation: b.bilinear ? 'bilinear' : 'nearest', data_format: format }))
        ;[h, w] = [h * 2, w * 2]
        break
      case 'dropout':
        push(layers.dropout({ rate: 0.3 }))
        break
      case 'residual': {
        const r = apply(layers.conv2d({ filters: c, kernel_size: 3, padding: 'same', activation: 'tanh', data_format: format }), t)
        if (b.merge === 'concat') {
          t = apply(layers.concatenate({ axis: plan.channelsFirst ? 1 : -1 }), [t, r])
          c = 2 * c
        } else t = apply(b.merge === 'add' ? layers.add() : layers.multiply(), [t, r])
        break
      }
    }
  }
  const head: LayerJson[] =
    plan.head === 'dense'
      ? [layers.flatten(), layers.dense({ units: 3, activation: 'tanh' })]
      : plan.head === 'gap'
        ? [layers.globalAveragePooling2d({ data_format: format })]
        : plan.head === 'gmp'
          ? [layers.globalMaxPooling2d({ data_format: format })]
          : [layers.reshape({ target_shape: [h * w * c] }), layers.dense({ units: 2 })]
  if (!plan.functional) return ok(sequential([...chain, ...head], { input_shape: plan.channelsFirst ? [plan.shape[2], plan.shape[0], plan.shape[1]] : plan.shape }))
  for (const l of head) t = apply(l, t)
  return ok(functional({ inputs: [x], outputs: [t] }))
}

/** A deterministic stream of values in [−1, 1). */
const values = (seed: number, n: number): Float64Array => {
  let s = seed * 2654435761 + 12345
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

describe('gradients against central finite differences (float64)', () => {
  it('random Sequential and functional models: every trainable param', () => {
    fc.assert(
      fc.property(arbPlan, (plan) => {
        const model = build(plan)
        const trainerE = compileTrainer(model, { loss: 'mean_squared_error', optimizer: 'sgd' }, { dtype: 'float64' })
        if (E.isLeft(trainerE)) throw new Error(trainerE.left.map((e) => `${e.path}: ${e.message}`).join('\n'))
        const trainer = trainerE.right
        const c = trainer.compiled
        const ps = c.init(plan.seed).map((p, i) => ({ shape: p.shape, data: Float64Array.from(p.data, (v, k) => v + 0.05 * ((values(plan.seed + 31 * i, p.data.length)[k] as number))) }))
        const batch = 3
        const x: Tensor[] = c.inputShapes.map((s, i) => ({ shape: [batch, ...s], data: values(plan.seed + 7 + i, batch * s.reduce((a, b) => a * b, 1)) }))
        const y: Tensor[] = c.outputShapes.map((s, i) => ({ shape: [batch, ...s], data: values(plan.seed + 99 + i, batch * s.reduce((a, b) => a * b, 1)) }))
        const b = { x, y }
        const key = plan.seed
        const { grads } = trainer.valueAndGrad(ps, b, key)
        const lossAt = (i: number, k: number, h: number): number => {
          const moved = ps.map((p, j) => (j === i ? { shape: p.shape, data: Float64Array.from(p.data, (v, m) => (m === k ? v + h : v)) } : p))
          return trainer.valueAndGrad(moved, b, key).loss
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
            expect(Math.abs((g.data[k] as number) - fd), `${c.weights[i]?.path}[${k}]: analytic ${g.data[k]} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-6 * (1 + scale))
          }
        })
      }),
      params(100)
    )
  })
})
