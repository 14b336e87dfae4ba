/**
 * Properties of the model compiler's rewrites (src/compiler/passes/): random Sequential and functional
 * models built with the layer builders, full of the patterns the passes rewrite (Conv → BN → ReLU6,
 * ZeroPadding → DepthwiseConv valid / same, Conv → Add → ReLU, Dense → BN, a Dropout in the middle, an
 * identity as model output) and of their near-misses (an activation between conv and BN, BN on the rows,
 * ZeroPadding → MaxPooling, a tapped value that is a model output or has a second reader, a ReLU with a
 * threshold), with random shapes, strides, paddings and BatchNormalization statistics (plain, or with
 * dead channels — variance 0 or 1e-9 — and means of ±1000 with the beta that cancels them), compiled
 * with every rewrite, give the per-layer interpreter's outputs:
 *
 * - with the exact rewrites (all but fold-batch-norm), bit for bit in float32, NaN positions and signed
 *   zeros included, with the same reference kernels (spec/compiler/oracle.ts `referenceCompiled`), also
 *   on inputs full of ±∞ and NaN;
 * - with every rewrite, each folded step within `64 · eps32 · (Σ|w'||x| + |b'|)` of the float64 chain it
 *   replaced in float32, within `1e-12 · Σ|terms|` in float64 (`stepErrors`); the whole model within 1e-12
 *   of its output scale in float64 with plain statistics; and with ±∞ / NaN inputs the same non-finite
 *   positions (±∞ and NaN alike) as the interpreter.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../src/core/Tensor.js'
import { apply, functional, input, layer, layers, sequential, type LayerJson, type SymbolicTensor } from '../src/model/builder.js'
import { compileModel } from '../src/model/compileModel.js'
import type { ModelSpec } from '../src/model/ModelSpec.js'
import {
  ALL_REWRITES,
  bitDiff,
  EPS64,
  EXACT_REWRITES,
  hasFoldedBatchNorm,
  nonFiniteDiff,
  randomInputs,
  randomParams,
  referenceCompiled,
  relativeToMax,
  stepErrors,
  toF64
} from '../spec/compiler/oracle.js'
import { params } from './settings.js'
import { ok } from './util.js'

/** The tolerances (see the file comment). */
const STEP32 = 64
const STEP64_RELATIVE = 1e-12
const MODEL64_RELATIVE = 1e-12

// -------------------------------------------------------------------------------------
// random models
// -------------------------------------------------------------------------------------

type Act = 'none' | 'relu6' | 'relu6-activation' | 'relu' | 'threshold' | 'leaky' | 'sigmoid'

interface BnPlan {
  readonly scale: boolean
  readonly center: boolean
  /** `channel`: folds; `rows`: the near-miss. */
  readonly axis: 'channel' | 'rows'
  readonly epsilon: number
}

type Block =
  | { readonly kind: 'conv'; readonly k: number; readonly stride: number; readonly same: boolean; readonly filters: number; readonly useBias: boolean; readonly ownRelu: boolean; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'padDw'; readonly pads: readonly [readonly [number, number], readonly [number, number]]; readonly k: number; readonly stride: number; readonly same: boolean; readonly mult: number; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'dropout' }
  | { readonly kind: 'padPool'; readonly max: boolean }
  | { readonly kind: 'residual'; readonly bn: BnPlan | null; readonly act: Act; readonly tap: 'none' | 'output' | 'reader' }

interface ModelPlan {
  readonly functional: boolean
  readonly shape: readonly [number, number, number]
  readonly blocks: ReadonlyArray<Block>
  readonly head: { readonly units: number; readonly bn: BnPlan | null; readonly act: Act } | null
  /** Functional only: the last value also leaves through a Dropout as a model output of its own. */
  readonly identityOutput: boolean
}

const arbAct: fc.Arbitrary<Act> = fc.constantFrom('none', 'relu6', 'relu6-activation', 'relu', 'threshold', 'leaky', 'sigmoid')
const arbBn: fc.Arbitrary<BnPlan | null> = fc.option(
  fc.record({ scale: fc.boolean(), center: fc.boolean(), axis: fc.constantFrom<'channel' | 'rows'>('channel', 'channel', 'channel', 'rows'), epsilon: fc.constantFrom(1e-3, 1e-5) }),
  { freq: 4 }
)
const arbBlock = (functionalModel: boolean): fc.Arbitrary<Block> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('conv' as const), k: fc.constantFrom(1, 3), stride: fc.constantFrom(1, 2), same: fc.boolean(), filters: fc.integer({ min: 1, max: 5 }), useBias: fc.boolean(), ownRelu: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), bn: arbBn, act: arbAct }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('padDw' as const),
        pads: fc.tuple(fc.tuple(fc.nat(2), fc.nat(2)), fc.tuple(fc.nat(2), fc.nat(2))),
        k: fc.constantFrom(2, 3),
        stride: fc.constantFrom(1, 2),
        same: fc.boolean(),
        mult: fc.constantFrom(1, 2),
        bn: arbBn,
        act: arbAct
      })
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'dropout' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('padPool' as const), max: fc.boolean() }) },
    { weight: functionalModel ? 3 : 0, arbitrary: fc.record({ kind: fc.constant('residual' as const), bn: arbBn, act: arbAct, tap: fc.constantFrom<'none' | 'output' | 'reader'>('none', 'none', 'output', 'reader') }) }
  )

const arbModelPlan = (functionalModel: boolean): fc.Arbitrary<ModelPlan> =>
  fc.record({
    functional: fc.constant(functionalModel),
    shape: fc.tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 3, max: 9 }), fc.integer({ min: 1, max: 4 })),
    blocks: fc.array(arbBlock(functionalModel), { minLength: 1, maxLength: 4 }),
    head: fc.option(fc.record({ units: fc.integer({ min: 1, max: 6 }), bn: arbBn, act: arbAct }), { freq: 2 }),
    identityOutput: fc.boolean()
  })

const actLayer = (act: Act): LayerJson | undefined => {
  switch (act) {
    case 'none':
      return undefined
    case 'relu6':
      return layers.relu({ max_value: 6 })
    case 'relu6-activation':
      return layers.activation({ activation: 'relu6' })
    case 'relu':
      return layers.activation({ activation: 'relu' })
    case 'threshold':
      return layers.relu({ threshold: 0.25, negative_slope: 0.2 })
    case 'leaky':
      return layers.leakyRelu({ negative_slope: 0.1 })
    case 'sigmoid':
      return layers.activation({ activation: 'sigmoid' })
  }
}

const bnLayer = (bn: BnPlan): LayerJson => layers.batchNormalization({ axis: bn.axis === 'channel' ? -1 : 1, scale: bn.scale, center: bn.center, epsilon: bn.epsilon })

/**
 * The model of a plan: a chain of blocks (layer by layer for Sequential; residual blocks, taps and a
 * Dropout output for functional), with sizes kept legal (a `valid` window larger than the image becomes `same`).
 */
const buildModel = (plan: ModelPlan): ModelSpec => {
  let [h, w, c] = plan.shape
  const chain: LayerJson[][] = []
  /** The channels going into each block (a residual block's conv keeps them). */
  const channelsIn: number[] = []
  const outLength = (n: number, k: number, s: number, same: boolean): number => (same ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1)
  for (const b of plan.blocks) {
    channelsIn.push(c)
    const ls: LayerJson[] = []
    switch (b.kind) {
      case 'conv': {
        const same = b.same || h < b.k || w < b.k
        ls.push(layers.conv2d({ filters: b.filters, kernel_size: b.k, strides: b.stride, padding: same ? 'same' : 'valid', use_bias: b.useBias, activation: b.ownRelu ? 'relu' : 'linear' }))
        ;[h, w, c] = [outLength(h, b.k, b.stride, same), outLength(w, b.k, b.stride, same), b.filters]
        if (b.bn !== null) ls.push(bnLayer(b.bn))
        break
      }
      case 'padDw': {
        ls.push(layers.zeroPadding2d({ padding: [b.pads[0], b.pads[1]] }))
        const [ph, pw] = [h + b.pads[0][0] + b.pads[0][1], w + b.pads[1][0] + b.pads[1][1]]
        const same = b.same || ph < b.k || pw < b.k
        ls.push(layers.depthwiseConv2d({ kernel_size: b.k, strides: b.stride, padding: same ? 'same' : 'valid', depth_multiplier: b.mult }))
        ;[h, w, c] = [outLength(ph, b.k, b.stride, same), outLength(pw, b.k, b.stride, same), c * b.mult]
        if (b.bn !== null) ls.push(bnLayer(b.bn))
        break
      }
      case 'dropout':
        ls.push(layers.dropout({ rate: 0.5 }))
        break
      case 'padPool':
        ls.push(layers.zeroPadding2d({ padding: 1 }), b.max ? layers.maxPooling2d({ pool_size: 2 }) : layers.averagePooling2d({ pool_size: 2 }))
        ;[h, w] = [Math.floor((h + 2) / 2), Math.floor((w + 2) / 2)]
        break
      case 'residual':
        break // functional only (below)
    }
    const act = b.kind === 'conv' || b.kind === 'padDw' ? actLayer(b.act) : undefined
    if (act !== undefined) ls.push(act)
    chain.push(ls)
  }
  const head: LayerJson[] =
    plan.head === null
      ? []
      : [layers.flatten(), layers.dense({ units: plan.head.units }), ...(plan.head.bn === null ? [] : [layers.batchNormalization({ scale: plan.head.bn.scale, center: plan.head.bn.center, epsilon: plan.head.bn.epsilon })]), ...[actLayer(plan.head.act)].filter((l): l is LayerJson => l !== undefined)]
  if (!plan.functional) return ok(sequential([...chain.flat(), ...head], { input_shape: plan.shape }))
  const x = input(plan.shape)
  let t: SymbolicTensor = x
  const outputs: SymbolicTensor[] = []
  plan.blocks.forEach((b, i) => {
    if (b.kind === 'residual') {
      // conv (same, stride 1, as many filters as channels) [→ BN] → Add(t, ·) [→ act]
      let r = apply(layers.conv2d({ filters: channelsIn[i] as number, kernel_size: 3, padding: 'same' }), t)
      if (b.tap === 'output') outputs.push(r)
      if (b.tap === 'reader') outputs.push(apply(layers.globalAveragePooling2d(), r))
      if (b.bn !== null && b.bn.axis === 'channel') r = apply(bnLayer(b.bn), r)
      t = apply(layers.add(), i % 2 === 0 ? [t, r] : [r, t])
      const act = actLayer(b.act)
      if (act !== undefined) t = apply(act, t)
      return
    }
    for (const l of chain[i] as LayerJson[]) t = apply(l, t)
  })
  for (const l of head) t = apply(l, t)
  outputs.push(t)
  if (plan.identityOutput) outputs.push(apply(layers.dropout({ rate: 0.2 }), t))
  return ok(functional({ inputs: [x], outputs }))
}

// -------------------------------------------------------------------------------------
// random 1-D models (issue 14: the rank-1 layers lowered as their 2-D selves, Conv1DTranspose as convNd)
// -------------------------------------------------------------------------------------

type Block1D =
  | { readonly kind: 'conv1d'; readonly pad: readonly [number, number] | null; readonly k: number; readonly dilation: number; readonly stride: number; readonly padding: 'causal' | 'same' | 'valid'; readonly filters: number; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'dw1d'; readonly pad: readonly [number, number] | null; readonly k: number; readonly stride: number; readonly same: boolean; readonly mult: number; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'sep1d'; readonly k: number; readonly filters: number; readonly mult: number; readonly same: boolean; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'tconv1d'; readonly k: number; readonly stride: number; readonly same: boolean; readonly filters: number; readonly bn: BnPlan | null; readonly act: Act }
  | { readonly kind: 'pool1d'; readonly max: boolean; readonly act: Act }
  | { readonly kind: 'residual1d'; readonly bn: BnPlan | null; readonly act: Act }

interface LinePlan {
  readonly functional: boolean
  readonly shape: readonly [number, number]
  readonly blocks: ReadonlyArray<Block1D>
}

const arbPad1D = fc.option(fc.tuple(fc.nat(2), fc.nat(2)), { freq: 2 })
const arbBlock1D = (functionalModel: boolean): fc.Arbitrary<Block1D> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('conv1d' as const), pad: arbPad1D, k: fc.constantFrom(1, 2, 3), dilation: fc.constantFrom(1, 2), stride: fc.constantFrom(1, 2), padding: fc.constantFrom<'causal' | 'same' | 'valid'>('causal', 'same', 'valid'), filters: fc.integer({ min: 1, max: 4 }), bn: arbBn, act: arbAct })
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('dw1d' as const), pad: arbPad1D, k: fc.constantFrom(2, 3), stride: fc.constantFrom(1, 2), same: fc.boolean(), mult: fc.constantFrom(1, 2), bn: arbBn, act: arbAct }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('sep1d' as const), k: fc.constantFrom(2, 3), filters: fc.integer({ min: 1, max: 4 }), mult: fc.constantFrom(1, 2), same: fc.boolean(), bn: arbBn, act: arbAct }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tconv1d' as const), k: fc.constantFrom(2, 3), stride: fc.constantFrom(1, 2), same: fc.boolean(), filters: fc.integer({ min: 1, max: 4 }), bn: arbBn, act: arbAct }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('pool1d' as const), max: fc.boolean(), act: arbAct }) },
    { weight: functionalModel ? 3 : 0, arbitrary: fc.record({ kind: fc.constant('residual1d' as const), bn: arbBn, act: arbAct }) }
  )

const arbLinePlan = (functionalModel: boolean): fc.Arbitrary<LinePlan> =>
  fc.record({
    functional: fc.constant(functionalModel),
    shape: fc.tuple(fc.integer({ min: 4, max: 14 }), fc.integer({ min: 1, max: 3 })),
    blocks: fc.array(arbBlock1D(functionalModel), { minLength: 1, maxLength: 4 })
  })

/** The model of a 1-D plan (lengths kept legal: a `valid` window longer than the steps becomes `same`, a pooling of one step is skipped). */
const buildLineModel = (plan: LinePlan): ModelSpec => {
  let [L, c] = plan.shape
  const x = input(plan.shape)
  let t: SymbolicTensor = x
  const push = (l: LayerJson | undefined): void => {
    if (l !== undefined) t = apply(l, t)
  }
  const bnOf = (bn: BnPlan | null): LayerJson | undefined => (bn === null ? undefined : bnLayer(bn))
  for (const b of plan.blocks) {
    switch (b.kind) {
      case 'conv1d': {
        if (b.pad !== null) {
          push(layer('ZeroPadding1D', { padding: [...b.pad] }))
          L += b.pad[0] + b.pad[1]
        }
        const stride = b.dilation > 1 ? 1 : b.stride
        const eff = b.dilation * (b.k - 1) + 1
        const padding = b.padding === 'valid' && L < eff ? 'same' : b.padding
        push(layer('Conv1D', { filters: b.filters, kernel_size: b.k, strides: stride, dilation_rate: b.dilation, padding }))
        L = padding === 'valid' ? Math.floor((L - eff) / stride) + 1 : Math.ceil(L / stride)
        c = b.filters
        push(bnOf(b.bn))
        break
      }
      case 'dw1d': {
        if (b.pad !== null) {
          push(layer('ZeroPadding1D', { padding: [...b.pad] }))
          L += b.pad[0] + b.pad[1]
        }
        const same = b.same || L < b.k
        push(layer('DepthwiseConv1D', { kernel_size: b.k, strides: b.stride, padding: same ? 'same' : 'valid', depth_multiplier: b.mult }))
        L = same ? Math.ceil(L / b.stride) : Math.floor((L - b.k) / b.stride) + 1
        c *= b.mult
        push(bnOf(b.bn))
        break
      }
      case 'sep1d': {
        const same = b.same || L < b.k
        push(layer('SeparableConv1D', { filters: b.filters, kernel_size: b.k, depth_multiplier: b.mult, padding: same ? 'same' : 'valid' }))
        L = same ? L : L - b.k + 1
        c = b.filters
        push(bnOf(b.bn))
        break
      }
      case 'tconv1d':
        push(layer('Conv1DTranspose', { filters: b.filters, kernel_size: b.k, strides: b.stride, padding: b.same ? 'same' : 'valid' }))
        L = b.same ? L * b.stride : L * b.stride + Math.max(b.k - b.stride, 0)
        c = b.filters
        push(bnOf(b.bn))
        break
      case 'pool1d':
        if (L < 2) continue
        push(layer(b.max ? 'MaxPooling1D' : 'AveragePooling1D', { pool_size: 2 }))
        L = Math.floor(L / 2)
        break
      case 'residual1d': {
        // a TCN block: causal Conv1D keeping the channels [→ BN] → Add(t, ·) [→ act]
        let r = apply(layer('Conv1D', { filters: c, kernel_size: 3, dilation_rate: 2, padding: 'causal' }), t)
        if (b.bn !== null && b.bn.axis === 'channel') r = apply(bnLayer(b.bn), r)
        t = apply(layers.add(), [t, r])
        break
      }
    }
    push(actLayer(b.act))
  }
  // functional plans: a second output reading the last value (global pooling of rank 1)
  return ok(functional({ inputs: [x], outputs: plan.functional ? [t, apply(layer('GlobalAveragePooling1D', {}), t)] : [t] }))
}

/** Inputs with ±∞, NaN and ±0 spread through them. */
const withNonFinite = (xs: ReadonlyArray<Tensor>, seed: number): Tensor[] =>
  xs.map((x) => {
    const data = Float32Array.from(x.data)
    const specials = [Infinity, -Infinity, NaN, -0, 0]
    for (let i = seed % 5, k = 0; i < data.length; i += 5 + (k % 3), k++) data[i] = specials[k % specials.length] as number
    return { shape: x.shape, data }
  })

// -------------------------------------------------------------------------------------
// the property
// -------------------------------------------------------------------------------------

/** How often each pass fired over a property's runs, and how often a pattern was left alone. */
const fired = new Map<string, number>()
const count = (key: string): void => {
  fired.set(key, (fired.get(key) ?? 0) + 1)
}

/** The largest folded-step errors seen (in eps32 · Σ|w'||x| and relative to Σ|terms| in float64). */
const worst = { step32: 0, step64: 0 }

const check = (plan: ModelPlan, hostile: boolean, seed: number): void => checkModel(buildModel(plan), hostile, seed)

const checkModel = (model: ModelSpec, hostile: boolean, seed: number): void => {
  const interp = ok(compileModel(model, { interpreter: true }))
  const p = randomParams(interp, seed, hostile ? 'hostile' : 'plain')
  const xs = randomInputs(interp.inputShapes, 2, seed)
  const bad = withNonFinite(xs, seed)
  const exact = referenceCompiled(model, EXACT_REWRITES, 'float32')
  const all = referenceCompiled(model, ALL_REWRITES, 'float32')
  for (const r of all.rewrites) count(r.pass)
  for (const n of all.graph.nodes) if (n.kind === 'batchNorm' || n.kind === 'pad' || n.kind === 'unary' || n.spec.className === 'Add') count(`kept ${n.layerClass ?? n.spec.className}`)
  for (const n of all.graph.nodes) if (n.layerClass !== undefined || n.kind === 'convNd') count(`node ${n.layerClass ?? n.spec.className}`)
  for (const inputs of [xs, bad]) {
    const want = interp.forward(p, inputs)
    expect(bitDiff(exact.forward(p, inputs), want)).toEqual({ count: 0, first: '' })
    expect(nonFiniteDiff(all.forward(p, inputs), want)).toBe(0)
  }
  if (all.graph.nodes.some(hasFoldedBatchNorm)) {
    for (const s of stepErrors(model, p, xs, hasFoldedBatchNorm)) {
      worst.step32 = Math.max(worst.step32, s.ratio32)
      worst.step64 = Math.max(worst.step64, s.ratio64 * EPS64)
      expect(s.ratio32, s.node).toBeLessThanOrEqual(STEP32)
      expect(s.ratio64 * EPS64, s.node).toBeLessThanOrEqual(STEP64_RELATIVE)
    }
    if (!hostile) {
      const p64 = p.map(toF64)
      const x64 = xs.map(toF64)
      const want = ok(compileModel(model, { interpreter: true, dtype: 'float64' })).forward(p64, x64)
      expect(relativeToMax(referenceCompiled(model, ALL_REWRITES, 'float64').forward(p64, x64), want)).toBeLessThanOrEqual(MODEL64_RELATIVE)
    }
  } else {
    expect(bitDiff(all.forward(p, xs), interp.forward(p, xs))).toEqual({ count: 0, first: '' })
  }
}

describe('compiled with every rewrite = the per-layer interpreter (random models)', () => {
  it('Sequential models', () => {
    fired.clear()
    fc.assert(fc.property(arbModelPlan(false), fc.boolean(), fc.integer({ min: 1, max: 1000 }), check), params(100))
    // the runs met every pass and the near-misses that keep a BatchNormalization, a ZeroPadding2D and an activation
    for (const key of ['drop-identities', 'fold-batch-norm', 'fold-padding', 'fuse-activation', 'kept BatchNormalization', 'kept ZeroPadding2D']) expect(fired.get(key) ?? 0, key).toBeGreaterThan(0)
  })
  it('functional models (residual blocks, taps that are outputs or have a second reader, a Dropout output)', () => {
    fired.clear()
    fc.assert(fc.property(arbModelPlan(true), fc.boolean(), fc.integer({ min: 1, max: 1000 }), check), params(100))
    for (const key of ['drop-identities', 'fold-batch-norm', 'fold-padding', 'fuse-activation', 'fuse-residual-add', 'kept Add', 'kept BatchNormalization']) expect(fired.get(key) ?? 0, key).toBeGreaterThan(0)
    console.log(`rewrites over the functional runs: ${[...fired].map(([k, n]) => `${k} ${n}`).join(', ')}; worst folded step over both properties: float32 ${worst.step32.toFixed(2)} eps32·Σ|w'x|, float64 ${worst.step64.toExponential(1)}·Σ|terms|`)
  })
  it('1-D models (issue 14): Conv1D (causal, dilated, strided), ZeroPadding1D, DepthwiseConv1D, SeparableConv1D, Conv1DTranspose, 1-D pooling, TCN residual blocks', () => {
    fired.clear()
    fc.assert(fc.property(arbLinePlan(true), fc.boolean(), fc.integer({ min: 1, max: 1000 }), (plan, hostile, seed) => checkModel(buildLineModel(plan), hostile, seed)), params(100))
    for (const key of ['fold-batch-norm', 'fold-padding', 'fuse-activation', 'fuse-residual-add', 'node Conv1D', 'node DepthwiseConv1D', 'node SeparableConv1D', 'node Conv1DTranspose', 'kept BatchNormalization']) expect(fired.get(key) ?? 0, key).toBeGreaterThan(0)
    console.log(`rewrites over the 1-D runs: ${[...fired].map(([k, n]) => `${k} ${n}`).join(', ')}`)
  })
})
