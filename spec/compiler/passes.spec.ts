/**
 * The graph rewrite passes (src/compiler/passes/): each one fires where it is legal and not on the
 * near-misses, and compiled with the rewrites a model computes what the per-layer interpreter computes:
 *
 * - the rewrites that change no arithmetic (drop-identities, fold-padding, fuse-activation,
 *   fuse-residual-add) bit for bit in float32, with the same reference kernels (spec/compiler/oracle.ts,
 *   `referenceCompiled`: the compiler's pipeline with the reference kernel on every step, so that what is
 *   measured is the rewrites, whatever fast kernels the kernel families hold), NaN positions and signed
 *   zeros included;
 * - BatchNormalization folding step by step (oracle.ts, `stepErrors`): every folded step run on the
 *   float64 interpreter's values of its inputs against the float64 interpreter's value of the chain it
 *   replaced, per output element: in float32 within `STEP32 · eps32 · (Σ|w'||x| + |b'|)` (the notes'
 *   §6.4 tolerance), in float64 within `1e-12 · Σ|terms|` (the rewrite logic alone); and the whole model
 *   in float64 within 1e-12 of its output scale (plain statistics: with dead channels and cancelling
 *   means a deep network amplifies float64 rounding chaotically, interpreter and folded alike).
 */
import * as E from 'fp-ts/lib/Either.js'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Graph, Node } from '../../src/compiler/Graph.js'
import { lowerModel } from '../../src/compiler/lower.js'
import { PASSES } from '../../src/compiler/passes/index.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { apply, functional, input, layer, layers, sequential, type LayerJson } from '../../src/model/builder.js'
import { compileModel, type CompiledModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import type { ModelSpec } from '../../src/model/ModelSpec.js'
import { assignOrderedWeights } from '../../src/model/weights.js'
import { makeInput, uniform } from '../keras3/golden.js'
import { readJson, readShared, right } from '../helpers.js'
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
  referenceForward,
  relativeToMax,
  showFired,
  stepErrors,
  toF64,
  type BnStats
} from './oracle.js'

/** A folded float32 step may differ from the float64 chain by this many eps32 · (Σ|w'||x| + |b'|) (measured at most ~15). */
const STEP32 = 64
/** A folded float64 step may differ from the float64 chain by this much relative to Σ|terms| (measured at most ~2e-15). */
const STEP64_RELATIVE = 1e-12
/** The whole model in float64, every rewrite vs the interpreter, relative to the output's largest value (plain statistics). */
const MODEL64_RELATIVE = 1e-12

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const interpreterOf = (model: ModelSpec, dtype: 'float32' | 'float64' = 'float32'): CompiledModel => right(compileModel(model, { interpreter: true, dtype }))

/** The passes that fired, by pass, with every rewrite. */
const firedOf = (model: ModelSpec, rewrites: ReadonlyArray<string> = ALL_REWRITES): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const r of referenceCompiled(model, rewrites, 'float32').rewrites) out[r.pass] = (out[r.pass] ?? 0) + 1
  return out
}

const graphOf = (model: ModelSpec, rewrites: ReadonlyArray<string> = ALL_REWRITES): Graph => referenceCompiled(model, rewrites, 'float32').graph

const classes = (g: Graph): string[] => g.nodes.map((n) => n.spec.className)

/** The node of a graph computing a layer (by the layer's name). */
const nodeNamed = (g: Graph, name: string): Node => {
  const n = g.nodes.find((x) => x.name === name)
  if (n === undefined) throw new Error(`no node ${name} in ${g.nodes.map((x) => x.name).join(', ')}`)
  return n
}

/** `rewrites` compiled with the reference kernels equal the interpreter bit for bit (float32). */
const expectExact = (model: ModelSpec, rewrites: ReadonlyArray<string> = EXACT_REWRITES, xs?: ReadonlyArray<Tensor>, seed = 1): void => {
  const interp = interpreterOf(model)
  const params = randomParams(interp, seed)
  const inputs = xs ?? randomInputs(interp.inputShapes, 2, seed)
  const want = interp.forward(params, inputs)
  const got = referenceCompiled(model, rewrites, 'float32').forward(params, inputs)
  expect(bitDiff(got, want)).toEqual({ count: 0, first: '' })
}

/** Folding checked step by step (float32 and float64) and on the whole model in float64; returns the worst ratios. */
const expectFolded = (
  model: ModelSpec,
  stats: BnStats = 'plain',
  seed = 1,
  params?: ReadonlyArray<Tensor>,
  xs?: ReadonlyArray<Tensor>
): { readonly step32: number; readonly step64: number; readonly model64: number } => {
  const interp = interpreterOf(model)
  const p = params ?? randomParams(interp, seed, stats)
  const inputs = xs ?? randomInputs(interp.inputShapes, 2, seed)
  const steps = stepErrors(model, p, inputs, hasFoldedBatchNorm)
  const step32 = Math.max(0, ...steps.map((s) => s.ratio32))
  const step64 = Math.max(0, ...steps.map((s) => s.ratio64)) * EPS64
  expect(step32, steps.map((s) => `${s.node} ${s.ratio32.toFixed(2)}`).join(', ')).toBeLessThanOrEqual(STEP32)
  expect(step64).toBeLessThanOrEqual(STEP64_RELATIVE)
  let model64 = 0
  if (stats === 'plain') {
    const p64 = p.map(toF64)
    const x64 = inputs.map(toF64)
    model64 = relativeToMax(referenceCompiled(model, ALL_REWRITES, 'float64').forward(p64, x64), interpreterOf(model, 'float64').forward(p64, x64))
    expect(model64).toBeLessThanOrEqual(MODEL64_RELATIVE)
  }
  return { step32, step64, model64 }
}

/** Inputs whose values include ±∞, NaN, ±0 and values around 0.5 and 6 (every `every`-th element, in turn). */
const hostileInputs = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number, every = 7): Tensor[] => {
  const specials = [Infinity, -Infinity, NaN, -0, 0, 0.5, Math.fround(0.5 + 1e-7), 6, 6.5, -6.5, -1e-30]
  return randomInputs(shapes, batch, seed).map((x) => {
    const data = Float32Array.from(x.data)
    let k = 0
    for (let i = seed % every; i < data.length; i += every) data[i] = specials[k++ % specials.length] as number
    return { shape: x.shape, data }
  })
}

const ok = right

// -------------------------------------------------------------------------------------
// drop-identities
// -------------------------------------------------------------------------------------

describe('drop-identities', () => {
  it('removes Dropout, SpatialDropout2D, Random* layers and Activation("linear"); uses read the input; bit-identical', () => {
    const x = input([8, 8, 3])
    let h = apply(layers.conv2d({ filters: 4, kernel_size: 3, name: 'c1' }), x)
    h = apply(layers.dropout({ rate: 0.5 }), h)
    h = apply(layers.spatialDropout2d({ rate: 0.3 }), h)
    h = apply(layer('RandomFlip', { mode: 'horizontal' }), h)
    h = apply(layers.activation({ activation: 'linear' }), h)
    h = apply(layers.dropout({ rate: 0.1 }), h) // two in a row
    const y = apply(layers.conv2d({ filters: 2, kernel_size: 3, name: 'c2' }), h)
    const model = ok(functional({ inputs: [x], outputs: [y] }))
    expect(firedOf(model, ['drop-identities'])).toEqual({ 'drop-identities': 5 })
    const g = graphOf(model, ['drop-identities'])
    expect(classes(g)).toEqual(['Conv2D', 'Conv2D'])
    expect(nodeNamed(g, 'c2').inputs).toEqual([nodeNamed(g, 'c1').output])
    expectExact(model, ['drop-identities'])
  })

  it('leaves every other activation alone', () => {
    const model = ok(sequential([layers.dense({ units: 4 }), layers.activation({ activation: 'relu' }), layers.activation({ activation: 'tanh' })], { input_shape: [3] }))
    expect(firedOf(model, ['drop-identities'])).toEqual({})
  })

  it('a dropped model output becomes its input value; outputs still come back as separate fresh arrays', () => {
    const x = input([5])
    const d = apply(layers.dense({ units: 5, name: 'd' }), x)
    const out1 = apply(layers.dropout({ rate: 0.2, name: 'drop_of_input' }), x)
    const out2 = apply(layers.dropout({ rate: 0.2, name: 'drop_of_dense' }), d)
    const model = ok(functional({ inputs: [x], outputs: [out1, out2, d] }))
    const g = graphOf(model)
    expect(g.outputs[0]).toBe(g.inputs[0])
    expect(g.outputs[1]).toBe(g.outputs[2])
    expectExact(model, ALL_REWRITES)
    // the public compiler: fresh arrays, the caller's input untouched
    const compiled = right(compileModel(model))
    const params = compiled.init(2)
    const [xs] = randomInputs(compiled.inputShapes, 3, 4)
    const before = Float32Array.from((xs as Tensor).data)
    const ys = compiled.forward(params, [xs as Tensor])
    expect(Array.from((ys[0] as Tensor).data)).toEqual(Array.from(before))
    expect((ys[0] as Tensor).data).not.toBe((xs as Tensor).data)
    expect((ys[1] as Tensor).data).not.toBe((ys[2] as Tensor).data)
    ;(ys[1] as Tensor).data.fill(7)
    expect((ys[2] as Tensor).data[0]).not.toBe(7)
    expect((xs as Tensor).data).toEqual(before)
  })

  it('a model that is only a Dropout returns a copy of its input', () => {
    const model = ok(sequential([layers.dropout({ rate: 0.5 })], { input_shape: [2, 3] }))
    const compiled = right(compileModel(model))
    expect(compiled.plan?.steps).toEqual([])
    const x: Tensor = { shape: [2, 2, 3], data: Float32Array.from([1, -2, NaN, Infinity, -0, 3, 4, 5, 6, 7, 8, 9]) }
    const [y] = compiled.forward([], [x])
    expect(Array.from((y as Tensor).data)).toEqual(Array.from(x.data))
    expect((y as Tensor).data).not.toBe(x.data)
  })
})

// -------------------------------------------------------------------------------------
// fold-batch-norm
// -------------------------------------------------------------------------------------

describe('fold-batch-norm', () => {
  const convBn = (conv: LayerJson, bn: Parameters<typeof layers.batchNormalization>[0] = {}, shape: ReadonlyArray<number> = [9, 9, 3]): ModelSpec =>
    ok(sequential([conv, layers.batchNormalization({ name: 'bn', ...bn })], { input_shape: shape }))

  it('Conv2D → BN: the conv gets scaled / foldedBias weights and a bias; the BN node is gone', () => {
    const model = convBn(layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same', name: 'conv' }))
    expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1 })
    const g = graphOf(model)
    expect(classes(g)).toEqual(['Conv2D'])
    const conv = nodeNamed(g, 'conv')
    expect(conv.weights.map((w) => w.kind)).toEqual(['scaled', 'foldedBias'])
    expect((conv.spec as unknown as { readonly useBias: boolean }).useBias).toBe(true)
    expect(conv.notes).toEqual(['fold-batch-norm(bn)'])
    expectFolded(model)
    expectFolded(model, 'hostile')
  })

  it('without a conv bias, with scale: false, with center: false', () => {
    for (const bn of [{ scale: false }, { center: false }, { scale: false, center: false }, {}]) {
      const model = convBn(layers.conv2d({ filters: 5, kernel_size: 2, use_bias: false, name: 'conv' }), bn)
      expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1 })
      const conv = nodeNamed(graphOf(model), 'conv')
      expect(conv.weights[1]).toMatchObject({ kind: 'foldedBias', bias: null })
      expectFolded(model, 'hostile', 3)
    }
  })

  it('DepthwiseConv2D (depth multiplier 3: channel c·m + j) → BN', () => {
    const model = convBn(layers.depthwiseConv2d({ kernel_size: 3, depth_multiplier: 3, strides: 2, name: 'dw' }))
    expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1 })
    const dw = nodeNamed(graphOf(model), 'dw')
    expect(dw.weights[0]).toMatchObject({ kind: 'scaled', channels: 9 })
    expectFolded(model, 'hostile', 5)
  })

  it('Dense → BN, on a rank-2 and a rank-3 input', () => {
    for (const shape of [[7], [4, 7]]) {
      const model = ok(sequential([layers.dense({ units: 5, name: 'dense' }), layers.batchNormalization()], { input_shape: shape }))
      expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1 })
      expectFolded(model, 'hostile', 6)
      expectFolded(model)
    }
  })

  it('channels_first Conv2D → BN(axis 1) folds; → BN(axis -1) (the columns) does not', () => {
    const conv = (): ReturnType<typeof layers.conv2d> => layers.conv2d({ filters: 4, kernel_size: 3, data_format: 'channels_first', name: 'conv' })
    const folds = convBn(conv(), { axis: 1 }, [3, 8, 8])
    expect(firedOf(folds)).toEqual({ 'fold-batch-norm': 1 })
    expectFolded(folds, 'hostile', 7)
    const stays = convBn(conv(), { axis: -1 }, [3, 8, 8])
    expect(firedOf(stays)).toEqual({})
    expect(classes(graphOf(stays))).toEqual(['Conv2D', 'BatchNormalization'])
  })

  it("tf.keras's fused kernel raises a small epsilon to 1.001e-5: folded with the raised one", () => {
    const model = ok(
      sequential([layers.conv2d({ filters: 4, kernel_size: 3, name: 'conv' }), layers.batchNormalization({ epsilon: 1e-7 })], { input_shape: [6, 6, 2], dialect: 'keras2' })
    )
    expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1 })
    const conv = nodeNamed(graphOf(model), 'conv')
    expect(conv.weights[0]).toMatchObject({ kind: 'scaled', bn: { epsilon: 1.001e-5 } })
    // dead channels make ε visible: s = gamma / √ε
    expectFolded(model, 'hostile', 8)
  })

  it('Conv → BN → BN folds both; Conv → BN → ReLU6 ends in one step', () => {
    const twice = ok(sequential([layers.conv2d({ filters: 3, kernel_size: 3 }), layers.batchNormalization(), layers.batchNormalization()], { input_shape: [6, 6, 2] }))
    expect(firedOf(twice)).toEqual({ 'fold-batch-norm': 2 })
    expectFolded(twice, 'plain', 9)
    const relu6 = ok(
      sequential([layers.conv2d({ filters: 3, kernel_size: 3, name: 'conv' }), layers.batchNormalization(), layers.relu({ max_value: 6 })], { input_shape: [6, 6, 2] })
    )
    const g = graphOf(relu6)
    expect(classes(g)).toEqual(['Conv2D'])
    expect(nodeNamed(g, 'conv').epilogue.stages).toEqual([{ kind: 'unary', fn: { kind: 'relu', negativeSlope: 0, maxValue: 6, threshold: 0 } }])
    expectFolded(relu6, 'hostile', 10)
  })

  it('near-misses: second consumer, model output inside, activation before BN, BN off the channel axis, BN after a non-kernel layer, ε = 0, LoRA', () => {
    const x = input([6, 6, 2])
    // a second consumer of the conv's output
    const c1 = apply(layers.conv2d({ filters: 3, kernel_size: 3 }), x)
    const m1 = ok(functional({ inputs: [x], outputs: [apply(layers.batchNormalization(), c1), apply(layers.maxPooling2d(), c1)] }))
    // the conv's output is a model output
    const c2 = apply(layers.conv2d({ filters: 3, kernel_size: 3 }), x)
    const m2 = ok(functional({ inputs: [x], outputs: [apply(layers.batchNormalization(), c2), c2] }))
    const seq = (ls: Parameters<typeof sequential>[0]): ModelSpec => ok(sequential(ls, { input_shape: [6, 6, 2] }))
    const models: Array<readonly [string, ModelSpec]> = [
      ['second consumer', m1],
      ['model output', m2],
      ['conv with an activation', seq([layers.conv2d({ filters: 3, kernel_size: 3, activation: 'relu' }), layers.batchNormalization()])],
      ['Conv → ReLU → BN', seq([layers.conv2d({ filters: 3, kernel_size: 3 }), layers.relu(), layers.batchNormalization()])],
      ['BN on the rows', seq([layers.conv2d({ filters: 3, kernel_size: 3 }), layers.batchNormalization({ axis: 1 })])],
      ['BN after pooling', seq([layers.conv2d({ filters: 3, kernel_size: 3 }), layers.maxPooling2d(), layers.batchNormalization()])],
      ['BN on the model input', seq([layers.batchNormalization(), layers.conv2d({ filters: 3, kernel_size: 3 })])],
      ['epsilon 0', seq([layers.conv2d({ filters: 3, kernel_size: 3 }), layers.batchNormalization({ epsilon: 0 })])],
      ['LoRA', seq([layer('Conv2D', { filters: 3, kernel_size: 3, lora_rank: 2 }), layers.batchNormalization()])]
    ]
    for (const [what, model] of models) {
      expect(firedOf(model, ['fold-batch-norm']), what).toEqual({})
      expect(classes(graphOf(model)), what).toContain('BatchNormalization')
      expectExact(model, ALL_REWRITES)
    }
  })
})

// -------------------------------------------------------------------------------------
// fold-padding
// -------------------------------------------------------------------------------------

describe('fold-padding', () => {
  it('ZeroPadding2D → Conv2D valid: the pads become the conv\'s explicit padding', () => {
    const model = ok(sequential([layers.zeroPadding2d({ padding: [[1, 2], [3, 0]] }), layers.conv2d({ filters: 4, kernel_size: 3, name: 'conv' })], { input_shape: [7, 6, 3] }))
    expect(firedOf(model)).toEqual({ 'fold-padding': 1 })
    const conv = nodeNamed(graphOf(model), 'conv')
    expect(conv.extraPadding).toEqual({ top: 1, bottom: 2, left: 3, right: 0 })
    expect((conv.spec as unknown as { readonly padding: string }).padding).toBe('valid')
    expectExact(model)
  })

  it('ZeroPadding2D → Conv2D / DepthwiseConv2D same: TF\'s split for the padded size is added (strides 1 and 2, odd and even sizes)', () => {
    for (const size of [7, 8]) {
      for (const strides of [1, 2]) {
        const model = ok(
          sequential([layers.zeroPadding2d({ padding: [[0, 1], [1, 1]] }), layers.conv2d({ filters: 3, kernel_size: [3, 4], strides, padding: 'same', name: 'conv' })], {
            input_shape: [size, size + 1, 2]
          })
        )
        const conv = nodeNamed(graphOf(model), 'conv')
        // padded rows size + 1, cols (size + 1) + 2; same: total = max((ceil(L/s) − 1)·s + k − L, 0), before = ⌊total / 2⌋
        const split = (L: number, k: number): readonly [number, number] => {
          const total = Math.max((Math.ceil(L / strides) - 1) * strides + k - L, 0)
          return [Math.floor(total / 2), total - Math.floor(total / 2)]
        }
        const [t, b] = split(size + 1, 3)
        const [l, r] = split(size + 3, 4)
        expect(conv.extraPadding).toEqual({ top: t, bottom: 1 + b, left: 1 + l, right: 1 + r })
        expectExact(model)
        const dw = ok(
          sequential([layers.zeroPadding2d({ padding: 1 }), layers.depthwiseConv2d({ kernel_size: 3, strides, padding: 'same', depth_multiplier: 2 })], { input_shape: [size, size, 3] })
        )
        expect(firedOf(dw)).toEqual({ 'fold-padding': 1 })
        expectExact(dw)
      }
    }
  })

  it('channels_first, dilation, and two paddings in a row', () => {
    const cf = ok(
      sequential([layers.zeroPadding2d({ padding: [[2, 0], [0, 1]], data_format: 'channels_first' }), layers.conv2d({ filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'same', data_format: 'channels_first' })], {
        input_shape: [2, 7, 9]
      })
    )
    expect(firedOf(cf)).toEqual({ 'fold-padding': 1 })
    expectExact(cf)
    const twice = ok(sequential([layers.zeroPadding2d({ padding: 1 }), layers.zeroPadding2d({ padding: [[0, 2], [1, 0]] }), layers.conv2d({ filters: 2, kernel_size: 3, name: 'conv' })], { input_shape: [5, 5, 2] }))
    expect(firedOf(twice)).toEqual({ 'fold-padding': 2 })
    expect(nodeNamed(graphOf(twice), 'conv').extraPadding).toEqual({ top: 1, bottom: 3, left: 2, right: 1 })
    expectExact(twice)
  })

  it('near-misses: ZeroPadding2D → MaxPooling2D / AveragePooling2D, a second consumer, a model output, another data format, a non-convolution', () => {
    const x = input([6, 6, 2])
    const p1 = apply(layers.zeroPadding2d({ padding: 1 }), x)
    const m1 = ok(functional({ inputs: [x], outputs: [apply(layers.conv2d({ filters: 2, kernel_size: 3 }), p1), apply(layers.maxPooling2d(), p1)] }))
    const p2 = apply(layers.zeroPadding2d({ padding: 1 }), x)
    const m2 = ok(functional({ inputs: [x], outputs: [apply(layers.conv2d({ filters: 2, kernel_size: 3 }), p2), p2] }))
    const seq = (ls: Parameters<typeof sequential>[0]): ModelSpec => ok(sequential(ls, { input_shape: [6, 6, 2] }))
    const models: Array<readonly [string, ModelSpec]> = [
      ['max pooling', seq([layers.zeroPadding2d({ padding: 1 }), layers.maxPooling2d({ pool_size: 3, strides: 2 })])],
      ['average pooling', seq([layers.zeroPadding2d({ padding: 1 }), layers.averagePooling2d({ pool_size: 3 })])],
      ['second consumer', m1],
      ['model output', m2],
      ['data format', seq([layers.zeroPadding2d({ padding: 1, data_format: 'channels_first' }), layers.conv2d({ filters: 2, kernel_size: 3 })])],
      ['dense', seq([layers.zeroPadding2d({ padding: 1 }), layers.dense({ units: 3 })])]
    ]
    for (const [what, model] of models) {
      expect(firedOf(model, ['fold-padding']), what).toEqual({})
      expect(classes(graphOf(model)), what).toContain('ZeroPadding2D')
      expectExact(model, ALL_REWRITES)
    }
  })
})

// -------------------------------------------------------------------------------------
// fuse-activation
// -------------------------------------------------------------------------------------

describe('fuse-activation', () => {
  const stagesOf = (model: ModelSpec, name: string): unknown => nodeNamed(graphOf(model), name).epilogue.stages

  it('Conv → Activation(relu6); Conv(relu) → Activation(relu6) merges into one clamp; chains of activations', () => {
    const a = ok(sequential([layers.conv2d({ filters: 3, kernel_size: 3, name: 'conv' }), layers.activation({ activation: 'relu6' })], { input_shape: [6, 6, 2] }))
    expect(stagesOf(a, 'conv')).toEqual([{ kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: 6 } }])
    expectExact(a)
    const merged = ok(sequential([layers.conv2d({ filters: 3, kernel_size: 3, activation: 'relu', name: 'conv' }), layers.activation({ activation: 'relu6' })], { input_shape: [6, 6, 2] }))
    expect(stagesOf(merged, 'conv')).toEqual([{ kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: 6 } }])
    expectExact(merged)
    const chain = ok(
      sequential([layers.dense({ units: 6, name: 'dense' }), layers.activation({ activation: 'tanh' }), layers.relu({ max_value: 0.5 }), layers.activation({ activation: 'sigmoid' })], { input_shape: [4] })
    )
    expect(firedOf(chain)).toEqual({ 'fuse-activation': 3 })
    expect(classes(graphOf(chain))).toEqual(['Dense'])
    expectExact(chain)
  })

  it('ReLU with a threshold, a slope and a max value is a general relu stage, exact on −0, NaN, ±∞ and values at the threshold', () => {
    const x = input([4, 5, 3])
    const pad = apply(layers.zeroPadding2d({ padding: 0, name: 'pad' }), x)
    const y1 = apply(layers.relu({ threshold: 0.5, negative_slope: 0.1, max_value: 6 }), pad)
    const crop = apply(layers.cropping2d({ cropping: 0, name: 'crop' }), x)
    const y2 = apply(layers.leakyRelu({ negative_slope: 0 }), crop) // 0 · x = −0 for x < 0
    const up = apply(layers.upSampling2d({ size: 1, name: 'up' }), x)
    const y3 = apply(layers.relu(), up) // −0 → +0
    const model = ok(functional({ inputs: [x], outputs: [y1, y2, y3] }))
    expect(firedOf(model)).toEqual({ 'fuse-activation': 3 })
    const g = graphOf(model)
    expect(nodeNamed(g, 'pad').epilogue.stages).toEqual([{ kind: 'unary', fn: { kind: 'relu', negativeSlope: Math.fround(0.1), maxValue: 6, threshold: 0.5 } }])
    expect(nodeNamed(g, 'crop').epilogue.stages).toEqual([{ kind: 'unary', fn: { kind: 'leaky', slope: 0 } }])
    expect(nodeNamed(g, 'up').epilogue.stages).toEqual([{ kind: 'unary', fn: { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 } }])
    for (const seed of [1, 2, 3]) expectExact(model, ALL_REWRITES, hostileInputs([[4, 5, 3]], 2, seed, 2))
  })

  it('into any producer with an epilogue: pooling, merges, concatenation, upsampling, BatchNormalization, a keras2 hard_sigmoid', () => {
    const x = input([6, 6, 4])
    const pool = apply(layers.relu(), apply(layers.maxPooling2d({ name: 'pool' }), x))
    const gap = apply(layers.activation({ activation: 'swish' }), apply(layers.globalAveragePooling2d({ name: 'gap' }), x))
    const bnIn = apply(layers.leakyRelu({ negative_slope: 0.2 }), apply(layers.batchNormalization({ name: 'bn' }), x))
    const sum = apply(layers.activation({ activation: 'elu' }), apply(layers.add({ name: 'add' }), [x, bnIn]))
    const cat = apply(layers.activation({ activation: 'gelu' }), apply(layers.concatenate({ name: 'cat' }), [x, sum]))
    const up = apply(layers.relu({ max_value: 1 }), apply(layers.upSampling2d({ name: 'up' }), pool))
    const model = ok(functional({ inputs: [x], outputs: [up, gap, cat] }))
    expect(firedOf(model, ['fuse-activation'])).toEqual({ 'fuse-activation': 6 })
    expect(graphOf(model, ['fuse-activation']).nodes.every((n) => n.kind !== 'unary')).toBe(true)
    expectExact(model, ALL_REWRITES)
    for (const seed of [4, 5]) expectExact(model, ALL_REWRITES, hostileInputs([[6, 6, 4]], 2, seed))
    const hard = ok(sequential([layers.dense({ units: 4 }), layers.activation({ activation: 'hard_sigmoid' })], { input_shape: [3], dialect: 'keras2' }))
    expect(firedOf(hard)).toEqual({ 'fuse-activation': 1 })
    expectExact(hard)
  })

  it('near-misses: the model input, a second consumer, a model output, a view (Flatten) as producer, softmax', () => {
    const x = input([6, 6, 2])
    const c1 = apply(layers.conv2d({ filters: 2, kernel_size: 3 }), x)
    const m1 = ok(functional({ inputs: [x], outputs: [apply(layers.relu(), c1), apply(layers.maxPooling2d(), c1)] }))
    const c2 = apply(layers.conv2d({ filters: 2, kernel_size: 3 }), x)
    const m2 = ok(functional({ inputs: [x], outputs: [apply(layers.relu(), c2), c2] }))
    const seq = (ls: Parameters<typeof sequential>[0]): ModelSpec => ok(sequential(ls, { input_shape: [6, 6, 2] }))
    const models: Array<readonly [string, ModelSpec]> = [
      ['model input', seq([layers.relu(), layers.conv2d({ filters: 2, kernel_size: 3 })])],
      ['second consumer', m1],
      ['model output', m2],
      ['flatten', seq([layers.conv2d({ filters: 2, kernel_size: 3 }), layers.flatten(), layers.relu()])],
      ['softmax', seq([layers.conv2d({ filters: 2, kernel_size: 3 }), layers.activation({ activation: 'softmax' })])]
    ]
    for (const [what, model] of models) {
      expect(firedOf(model, ['fuse-activation']), what).toEqual({})
      expectExact(model, ALL_REWRITES)
    }
  })
})

// -------------------------------------------------------------------------------------
// fuse-residual-add
// -------------------------------------------------------------------------------------

describe('fuse-residual-add', () => {
  it('Conv → Add(x, ·) → ReLU: one step, conv + x then relu', () => {
    const x = input([6, 6, 4])
    const c = apply(layers.conv2d({ filters: 4, kernel_size: 3, padding: 'same', name: 'conv' }), x)
    const y = apply(layers.relu(), apply(layers.add(), [x, c]))
    const model = ok(functional({ inputs: [x], outputs: [y] }))
    const g = graphOf(model)
    expect(classes(g)).toEqual(['Conv2D'])
    expect(nodeNamed(g, 'conv').epilogue.stages).toEqual([
      { kind: 'add', value: g.inputs[0] },
      { kind: 'unary', fn: { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 } }
    ])
    expect(nodeNamed(g, 'conv').notes).toEqual(['fuse-residual-add(add)', 'fuse-activation(re_lu)'])
    expectExact(model)
    expectExact(model, EXACT_REWRITES, hostileInputs([[6, 6, 4]], 2, 3))
  })

  it('fuses into the later-produced input, whichever side of the Add it is on; Conv → BN → Add → ReLU is one step', () => {
    for (const flip of [false, true]) {
      const x = input([6, 6, 3])
      const a = apply(layers.conv2d({ filters: 4, kernel_size: 1, name: 'shortcut' }), x)
      const b1 = apply(layers.conv2d({ filters: 4, kernel_size: 3, padding: 'same', name: 'main' }), x)
      const b = apply(layers.batchNormalization({ name: 'bn' }), b1)
      const sum = apply(layers.add({ name: 'add' }), flip ? [b, a] : [a, b])
      const model = ok(functional({ inputs: [x], outputs: [apply(layers.activation({ activation: 'relu' }), sum)] }))
      const g = graphOf(model)
      expect(classes(g)).toEqual(['Conv2D', 'Conv2D'])
      // with BN folded into `main`, both inputs come from a conv: the one that runs second takes the Add
      const [first, second] = g.nodes as [Node, Node]
      expect(first.epilogue.stages).toEqual([])
      expect(second.epilogue.stages).toEqual([
        { kind: 'add', value: first.output },
        { kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: Infinity } }
      ])
      expect(firedOf(model, EXACT_REWRITES)).toEqual({ 'fuse-activation': 1, 'fuse-residual-add': 1 })
      expectExact(model)
      expectFolded(model, 'hostile', 11)
    }
  })

  it('residual adds chain: Add(Add(conv, x), y)', () => {
    const x = input([4])
    const y = input([4])
    const d = apply(layers.dense({ units: 4, name: 'dense' }), x)
    const s = apply(layers.add(), [apply(layers.add(), [d, x]), y])
    const model = ok(functional({ inputs: [x, y], outputs: [s] }))
    expect(firedOf(model)).toEqual({ 'fuse-residual-add': 2 })
    expect(nodeNamed(graphOf(model), 'dense').epilogue.stages.map((st) => st.kind)).toEqual(['add', 'add'])
    expectExact(model)
  })

  it('near-misses: broadcasting, three inputs, x + x, the later input read elsewhere, a model output, a view, Subtract', () => {
    const x = input([6, 6, 4])
    const seq = (ls: Parameters<typeof sequential>[0]): ModelSpec => ok(sequential(ls, { input_shape: [6, 6, 4] }))
    const conv = (name?: string): ReturnType<typeof layers.conv2d> => layers.conv2d({ filters: 4, kernel_size: 3, padding: 'same', ...(name === undefined ? {} : { name }) })
    const c = apply(conv(), x)
    // broadcasting: a per-channel vector added to the image
    const v = apply(layers.dense({ units: 4 }), apply(layers.globalAveragePooling2d(), x))
    const broadcast = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [c, v])] }))
    const three = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [x, apply(conv(), x), apply(conv(), x)])] }))
    const c2 = apply(conv(), x)
    const twice = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [c2, c2])] }))
    // the earlier input (a) qualifies, the later one (b) is also read by the pooling: nothing fires
    const a = apply(conv('a'), x)
    const b = apply(conv('b'), x)
    const laterReadElsewhere = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [a, b]), apply(layers.maxPooling2d(), b)] }))
    const c3 = apply(conv(), x)
    const output = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [x, c3]), c3] }))
    const r = apply(layers.reshape({ target_shape: [6, 6, 4] }), apply(conv(), x))
    const view = ok(functional({ inputs: [x], outputs: [apply(layers.add(), [x, r])] }))
    const subtract = ok(functional({ inputs: [x], outputs: [apply(layers.subtract(), [x, apply(conv(), x)])] }))
    const models: Array<readonly [string, ModelSpec]> = [
      ['broadcasting', broadcast],
      ['three inputs', three],
      ['x + x', twice],
      ['later input read elsewhere', laterReadElsewhere],
      ['model output', output],
      ['view', view],
      ['subtract', subtract],
      ['sequential', seq([conv(), layers.relu()])]
    ]
    for (const [what, model] of models) {
      expect(firedOf(model, ['fuse-residual-add']), what).toEqual({})
      expectExact(model, ALL_REWRITES)
    }
  })
})

// -------------------------------------------------------------------------------------
// the passes together
// -------------------------------------------------------------------------------------

describe('pass selection, order and the plan', () => {
  it('the passes in order, each switchable by name; plan.rewrites lists where each fired', () => {
    expect(PASSES.map((p) => p.name)).toEqual(['drop-identities', 'fold-batch-norm', 'fold-padding', 'fuse-activation', 'fuse-residual-add'])
    const model = ok(
      sequential([layers.zeroPadding2d({ padding: 1, name: 'pad' }), layers.conv2d({ filters: 3, kernel_size: 3, name: 'conv' }), layers.batchNormalization({ name: 'bn' }), layers.relu({ max_value: 6, name: 'relu6' }), layers.dropout({ rate: 0.5 })], {
        input_shape: [6, 6, 2]
      })
    )
    const only = right(compileModel(model, { rewrites: ['fold-batch-norm'] }))
    expect(only.plan?.passes).toEqual(['fold-batch-norm'])
    expect(only.plan?.rewrites).toEqual([{ pass: 'fold-batch-norm', node: 'conv', detail: "BatchNormalization bn folded into Conv2D conv's kernel and bias" }])
    const all = right(compileModel(model))
    expect(all.plan?.passes).toEqual(ALL_REWRITES)
    expect(all.plan?.rewrites.map((r) => r.pass)).toEqual(['drop-identities', 'fold-batch-norm', 'fold-padding', 'fuse-activation'])
    expect(all.plan?.steps.map((s) => [s.name, s.epilogue, s.notes])).toEqual([['conv', ['relu(negative_slope 0, max_value 6, threshold 0)'], ['fold-batch-norm(bn)', 'fold-padding(pad)', 'fuse-activation(relu6)']]])
    expect(E.isLeft(compileModel(model, { rewrites: ['fold-batchnorm'] }))).toBe(true)
  })

  it('stages never move to a step that runs before the values they add (passes run out of order)', () => {
    // P = conv(x), Q = conv(x), U = relu(P), Add(U, Q): the Add fuses into U (the later input) as + Q; U
    // then may not fuse into P, which runs before Q
    const x = input([5, 5, 2])
    const p = apply(layers.conv2d({ filters: 2, kernel_size: 3, padding: 'same', name: 'p' }), x)
    const q = apply(layers.conv2d({ filters: 2, kernel_size: 3, padding: 'same', name: 'q' }), x)
    const u = apply(layers.relu({ name: 'u' }), p)
    const model = ok(functional({ inputs: [x], outputs: [apply(layers.add({ name: 'add' }), [u, q])] }))
    const byName = (name: string) => PASSES.find((pass) => pass.name === name) as (typeof PASSES)[number]
    let g = ok(lowerModel(model, undefined, 'float32'))
    expect(g.nodes.map((n) => n.name)).toEqual(['p', 'q', 'u', 'add'])
    g = byName('fuse-residual-add').run(g).graph
    expect(nodeNamed(g, 'u').epilogue.stages).toEqual([{ kind: 'add', value: nodeNamed(g, 'q').output }])
    const after = byName('fuse-activation').run(g)
    expect(after.rewrites).toEqual([])
    const interp = interpreterOf(model)
    const params = randomParams(interp, 3)
    const xs = randomInputs(interp.inputShapes, 2, 3)
    expect(bitDiff(referenceForward(after.graph)(params, xs), interp.forward(params, xs))).toEqual({ count: 0, first: '' })
  })

  it('each exact pass alone, and all of them, on MobileNet v2 (F.json): bit-identical', () => {
    const model = right(decodeModelFile(readShared('real-keras-models/F.json'))).model
    const interp = interpreterOf(model)
    const xs = randomInputs(interp.inputShapes, 1, 4)
    for (const pass of [...EXACT_REWRITES.map((p) => [p]), EXACT_REWRITES]) expectExact(model, pass, xs, 4)
  })
})

// -------------------------------------------------------------------------------------
// the convolution family and the 1-D layers (issue 14)
// -------------------------------------------------------------------------------------

/** The Keras class a node computes (a Conv1D lowered as a Conv2D says `Conv1D`). */
const layerClasses = (g: Graph): string[] => g.nodes.map((n) => n.layerClass ?? n.spec.className)

describe('the convolution family and the 1-D layers: lowered onto the 2-D nodes (rank 1, separable) and convNd, every rewrite where legal', () => {
  const seq = (ls: Parameters<typeof sequential>[0], shape: ReadonlyArray<number>): ModelSpec => ok(sequential(ls, { input_shape: shape }))

  it('Conv1D (causal, dilated) is a Conv2D on the height-1 view: explicit left padding d·(k−1), the kernel read as [1, k, C, F]; bit-identical', () => {
    for (const dataFormat of ['channels_last', 'channels_first'] as const) {
      const shape = dataFormat === 'channels_last' ? [12, 3] : [3, 12]
      const model = seq([layer('Conv1D', { filters: 4, kernel_size: 3, dilation_rate: 2, padding: 'causal', data_format: dataFormat, name: 'conv' })], shape)
      const g = graphOf(model, [])
      const conv = nodeNamed(g, 'conv')
      expect(conv.kind).toBe('conv')
      expect(conv.spec.className).toBe('Conv2D')
      expect(conv.layerClass).toBe('Conv1D')
      expect(conv.extraPadding).toEqual({ top: 0, bottom: 0, left: 4, right: 0 })
      expect(conv.view).toEqual(dataFormat === 'channels_last' ? { inputs: [[1, 12, 3]], output: [1, 12, 4] } : { inputs: [[3, 1, 12]], output: [4, 1, 12] })
      // values keep their Keras shapes
      expect((g.values[conv.output] as { readonly shape: ReadonlyArray<number> }).shape).toEqual(dataFormat === 'channels_last' ? [12, 4] : [4, 12])
      expect(conv.weights[0]).toMatchObject({ kind: 'param', shape: [1, 3, 3, 4] })
      expectExact(model, ALL_REWRITES)
    }
  })

  it('ZeroPadding1D → causal Conv1D: fold-padding adds the pads to the causal left padding (both data formats); bit-identical', () => {
    for (const dataFormat of ['channels_last', 'channels_first'] as const) {
      const shape = dataFormat === 'channels_last' ? [10, 2] : [2, 10]
      const model = seq(
        [
          layer('ZeroPadding1D', { padding: [2, 1], data_format: dataFormat, name: 'pad' }),
          layer('Conv1D', { filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'causal', data_format: dataFormat, name: 'conv' })
        ],
        shape
      )
      expect(firedOf(model)).toEqual({ 'fold-padding': 1 })
      const g = graphOf(model)
      expect(layerClasses(g)).toEqual(['Conv1D'])
      const conv = nodeNamed(g, 'conv')
      expect(conv.extraPadding).toEqual({ top: 0, bottom: 0, left: 4 + 2, right: 1 })
      // it now reads the padding's input, in the padding's view of it
      expect(conv.inputs).toEqual(g.inputs)
      expect(conv.view?.inputs).toEqual([dataFormat === 'channels_last' ? [1, 10, 2] : [2, 1, 10]])
      expectExact(model)
      expectExact(model, ['fold-padding'])
    }
    // a `same` Conv1D and a DepthwiseConv1D after ZeroPadding1D; two paddings in a row
    const same = seq([layer('ZeroPadding1D', { padding: 1 }), layer('ZeroPadding1D', { padding: [0, 2] }), layer('Conv1D', { filters: 2, kernel_size: 4, strides: 2, padding: 'same', name: 'conv' })], [9, 3])
    expect(firedOf(same)).toEqual({ 'fold-padding': 2 })
    // padded length 13, k 4, stride 2, `same`: 3 more zeros, 1 before and 2 after
    expect(nodeNamed(graphOf(same), 'conv').extraPadding).toEqual({ top: 0, bottom: 0, left: 1 + 1, right: 3 + 2 })
    expectExact(same)
    const dw = seq([layer('ZeroPadding1D', { padding: 2 }), layer('DepthwiseConv1D', { kernel_size: 3, depth_multiplier: 2, name: 'dw' })], [8, 3])
    expect(firedOf(dw)).toEqual({ 'fold-padding': 1 })
    expectExact(dw)
  })

  it('near-misses of fold-padding: ZeroPadding1D → MaxPooling1D, a second consumer, a Conv1DTranspose (convNd: never a target)', () => {
    const x = input([8, 2])
    const p1 = apply(layer('ZeroPadding1D', { padding: 1 }), x)
    const m1 = ok(functional({ inputs: [x], outputs: [apply(layer('Conv1D', { filters: 2, kernel_size: 3 }), p1), apply(layer('MaxPooling1D', {}), p1)] }))
    const models: Array<readonly [string, ModelSpec]> = [
      ['max pooling', seq([layer('ZeroPadding1D', { padding: 1 }), layer('MaxPooling1D', { pool_size: 3, strides: 2 })], [8, 2])],
      ['second consumer', m1],
      ['transposed', seq([layer('ZeroPadding1D', { padding: 1 }), layer('Conv1DTranspose', { filters: 2, kernel_size: 3, strides: 2 })], [8, 2])]
    ]
    for (const [what, model] of models) {
      expect(firedOf(model, ['fold-padding']), what).toEqual({})
      expect(layerClasses(graphOf(model)), what).toContain('ZeroPadding1D')
      expectExact(model, ALL_REWRITES)
    }
  })

  it('Conv1D → BN → ReLU and DepthwiseConv1D (multiplier 2) → BN: folded and fused, one step each', () => {
    const conv = seq([layer('Conv1D', { filters: 5, kernel_size: 3, padding: 'causal', name: 'conv' }), layers.batchNormalization({ name: 'bn' }), layers.relu({ name: 'relu' })], [11, 3])
    expect(firedOf(conv)).toEqual({ 'fold-batch-norm': 1, 'fuse-activation': 1 })
    const c = nodeNamed(graphOf(conv), 'conv')
    expect(c.notes).toEqual(['fold-batch-norm(bn)', 'fuse-activation(relu)'])
    expect(c.weights[0]).toMatchObject({ kind: 'scaled', channels: 5, of: { kind: 'param', shape: [1, 3, 3, 5] } })
    expectFolded(conv, 'hostile', 11)
    expectFolded(conv)
    const cf = seq([layer('Conv1D', { filters: 4, kernel_size: 2, data_format: 'channels_first', name: 'conv' }), layers.batchNormalization({ axis: 1 })], [3, 9])
    expect(firedOf(cf)).toEqual({ 'fold-batch-norm': 1 })
    expectFolded(cf, 'hostile', 12)
    const dw = seq([layer('DepthwiseConv1D', { kernel_size: 3, depth_multiplier: 2, strides: 2, name: 'dw' }), layers.batchNormalization()], [13, 3])
    expect(firedOf(dw)).toEqual({ 'fold-batch-norm': 1 })
    expect(nodeNamed(graphOf(dw), 'dw').weights[0]).toMatchObject({ kind: 'scaled', channels: 6 })
    expectFolded(dw, 'hostile', 13)
  })

  it('SeparableConv1D / SeparableConv2D → BN → ReLU6: the depthwise node (no bias), then the pointwise one with BN folded and the ReLU6 fused', () => {
    for (const [cls, shape] of [['SeparableConv1D', [12, 3]], ['SeparableConv2D', [7, 7, 3]]] as const) {
      const model = seq([layer(cls, { filters: 4, kernel_size: 2, depth_multiplier: 2, padding: 'same', name: 'sep' }), layers.batchNormalization({ name: 'bn' }), layers.relu({ max_value: 6, name: 'relu6' })], shape)
      const lowered = graphOf(model, [])
      expect(lowered.nodes.map((n) => [n.name, n.spec.className, n.layerClass])).toEqual([
        ['sep/depthwise', 'DepthwiseConv2D', cls],
        ['sep', 'Conv2D', cls],
        ['bn', 'BatchNormalization', undefined],
        ['relu6', 'ReLU', undefined]
      ])
      expect((nodeNamed(lowered, 'sep/depthwise').spec as unknown as { readonly useBias: boolean }).useBias).toBe(false)
      expectExact(model, [])
      expect(firedOf(model)).toEqual({ 'fold-batch-norm': 1, 'fuse-activation': 1 })
      const g = graphOf(model)
      expect(g.nodes.map((n) => n.name)).toEqual(['sep/depthwise', 'sep'])
      expect(nodeNamed(g, 'sep').notes).toEqual(['fold-batch-norm(bn)', 'fuse-activation(relu6)'])
      expectFolded(model, 'hostile', 14)
    }
  })

  it('BN after Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose folds into the convNd node (a transposed kernel [...k, F, C] scaled on axis −2); channels_first on axis 1 only', () => {
    const cases: Array<readonly [string, LayerJson, ReadonlyArray<number>, number | undefined]> = [
      ['Conv3D', layer('Conv3D', { filters: 3, kernel_size: [2, 2, 1], name: 'conv' }), [4, 5, 5, 2], undefined],
      ['Conv1DTranspose', layer('Conv1DTranspose', { filters: 3, kernel_size: 3, strides: 2, name: 'conv' }), [7, 2], undefined],
      ['Conv2DTranspose', layer('Conv2DTranspose', { filters: 3, kernel_size: 3, strides: 2, padding: 'same', name: 'conv' }), [5, 5, 4], undefined],
      ['Conv2DTranspose channels_first', layer('Conv2DTranspose', { filters: 3, kernel_size: 2, strides: 2, data_format: 'channels_first', name: 'conv' }), [4, 5, 5], 1],
      ['Conv3DTranspose', layer('Conv3DTranspose', { filters: 2, kernel_size: 2, strides: [1, 2, 2], name: 'conv' }), [3, 4, 4, 3], undefined]
    ]
    for (const [what, conv, shape, axis] of cases) {
      const model = seq([conv, layers.batchNormalization({ name: 'bn', ...(axis === undefined ? {} : { axis }) })], shape)
      expect(firedOf(model), what).toEqual({ 'fold-batch-norm': 1 })
      const c = nodeNamed(graphOf(model), 'conv')
      expect(c.kind, what).toBe('convNd')
      const transposed = what.includes('Transpose')
      expect(c.weights[0], what).toMatchObject({ kind: 'scaled', channels: 3 - (what === 'Conv3DTranspose' ? 1 : 0), ...(transposed ? { inner: shape[axis === 1 ? 0 : shape.length - 1] } : {}) })
      expectFolded(model, 'hostile', 15)
      expectFolded(model)
    }
    // channels_first with the BN on the last axis (the columns): not the channel axis, not folded
    const stays = seq([layer('Conv2DTranspose', { filters: 3, kernel_size: 2, strides: 2, data_format: 'channels_first' }), layers.batchNormalization({ axis: -1 })], [4, 5, 5])
    expect(firedOf(stays)).toEqual({})
    expectExact(stays, ALL_REWRITES)
    // an activation in between, and a LoRA Conv3D
    const relu = seq([layer('Conv2DTranspose', { filters: 3, kernel_size: 2, strides: 2, activation: 'relu' }), layers.batchNormalization()], [4, 4, 2])
    expect(firedOf(relu, ['fold-batch-norm'])).toEqual({})
    const lora = seq([layer('Conv3D', { filters: 3, kernel_size: 2, lora_rank: 2 }), layers.batchNormalization()], [3, 4, 4, 2])
    expect(firedOf(lora, ['fold-batch-norm'])).toEqual({})
    expectExact(lora, ALL_REWRITES)
  })

  it('activations and residual adds fuse into convNd and the 1-D nodes; bit-identical', () => {
    const x = input([6, 6, 3])
    const t = apply(layer('Conv2DTranspose', { filters: 3, kernel_size: 3, strides: 1, padding: 'same', name: 'up' }), x)
    const model = ok(functional({ inputs: [x], outputs: [apply(layers.relu({ name: 'relu' }), apply(layers.add({ name: 'add' }), [x, t]))] }))
    expect(firedOf(model)).toEqual({ 'fuse-activation': 1, 'fuse-residual-add': 1 })
    const g = graphOf(model)
    expect(g.nodes.map((n) => n.name)).toEqual(['up'])
    expect(nodeNamed(g, 'up').epilogue.stages.map((s) => s.kind)).toEqual(['add', 'unary'])
    expectExact(model, ALL_REWRITES)
    // a TCN block: causal Conv1D(relu) → Conv1D → Add(input) → ReLU
    const y = input([16, 4])
    const c1 = apply(layer('Conv1D', { filters: 4, kernel_size: 3, dilation_rate: 2, padding: 'causal', activation: 'relu', name: 'causal' }), y)
    const c2 = apply(layer('Conv1D', { filters: 4, kernel_size: 1, name: 'mix' }), c1)
    const tcn = ok(functional({ inputs: [y], outputs: [apply(layers.relu({ name: 'out' }), apply(layers.add({ name: 'residual' }), [y, c2]))] }))
    expect(firedOf(tcn)).toEqual({ 'fuse-activation': 1, 'fuse-residual-add': 1 })
    expect(graphOf(tcn).nodes.map((n) => n.name)).toEqual(['causal', 'mix'])
    expectExact(tcn, ALL_REWRITES)
    // pooling, upsampling, cropping and global pooling of rank 1 as their 2-D nodes take activations
    const line = seq(
      [layer('MaxPooling1D', { pool_size: 2 }), layers.activation({ activation: 'tanh' }), layer('UpSampling1D', { size: 3 }), layers.relu(), layer('Cropping1D', { cropping: [1, 2] }), layers.activation({ activation: 'sigmoid' }), layer('AveragePooling1D', { pool_size: 3, strides: 2, padding: 'same' }), layer('GlobalAveragePooling1D', { keepdims: true }), layers.relu()],
      [14, 3]
    )
    expect(firedOf(line)).toEqual({ 'fuse-activation': 4 })
    expect(graphOf(line).nodes.map((n) => [n.kind, n.spec.className])).toEqual([
      ['pool', 'MaxPooling2D'],
      ['upsample', 'UpSampling2D'],
      ['crop', 'Cropping2D'],
      ['pool', 'AveragePooling2D'],
      ['globalPool', 'GlobalAveragePooling2D']
    ])
    expectExact(line, ALL_REWRITES)
  })

  it('the plan: each step names its Keras class and how it was lowered; the rewrites are listed', () => {
    const model = seq([layer('ZeroPadding1D', { padding: [1, 0], name: 'pad' }), layer('Conv1D', { filters: 3, kernel_size: 2, padding: 'causal', name: 'conv' }), layers.batchNormalization({ name: 'bn' }), layers.relu({ name: 'relu' })], [9, 2])
    const compiled = right(compileModel(model))
    expect(compiled.plan?.rewrites.map((r) => [r.pass, r.node])).toEqual([
      ['fold-batch-norm', 'conv'],
      ['fold-padding', 'conv'],
      ['fuse-activation', 'conv']
    ])
    expect(compiled.plan?.rewrites[1]?.detail).toMatch(/^ZeroPadding1D pad .* folded into Conv1D conv \(valid\): explicit padding top 0, bottom 0, left 2, right 0$/)
    const [step] = compiled.plan?.steps ?? []
    expect(step).toMatchObject({ name: 'conv', className: 'Conv1D', lowering: 'Conv1D as Conv2D on the height-1 view (causal: left padding 1)', notes: ['fold-batch-norm(bn)', 'fold-padding(pad)', 'fuse-activation(relu)'], outputShape: [10, 3] })
    expect(step?.kernel).toMatch(/^conv:/)
  })
})

// -------------------------------------------------------------------------------------
// every example and real model, and keras.applications
// -------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly model: ModelSpec
  readonly batch: number
  readonly inputShapes?: ReadonlyArray<ReadonlyArray<number>>
}

const exampleCases = (): ReadonlyArray<Case> => {
  const dir = fileURLToPath(new URL('../../examples/models/', import.meta.url))
  const files: Array<readonly [string, unknown]> = [
    ...readdirSync(dir).map((f) => [`examples/models/${f}`, readJson(`examples/models/${f}`)] as const),
    ['examples/tfjs/model.json', readJson('examples/tfjs/model.json')] as const
  ]
  return files.map(([name, json]) => ({ name, model: right(decodeModelFile(json)).model, batch: 2 }))
}

/**
 * Every runnable real model with known input shapes but the two whose size only costs time here:
 * H.json (VGG16 at 224×224, 15 GFLOP a forward in the reference kernels) and E.json (a 46-million-weight
 * Dense); nothing but drop-identities and fuse-activation fires on either, as on A, G and Q.
 */
const REAL = ['A', 'C', 'D', 'F', 'G', 'I', 'K', 'M', 'O', 'Q', 'Q2'] as const
const realCases = (): ReadonlyArray<Case> =>
  REAL.map((n) => ({ name: `real ${n}.json`, model: right(decodeModelFile(readShared(`real-keras-models/${n}.json`))).model, batch: n === 'D' || n === 'A' || n === 'F' ? 1 : 2 }))

/** The rewrites and measurements of one model, for the report. */
const report: string[] = []

const checkModel = (c: Case): void => {
  const opts = c.inputShapes === undefined ? {} : { inputShapes: c.inputShapes }
  const interp = right(compileModel(c.model, { ...opts, interpreter: true }))
  const xs = randomInputs(interp.inputShapes, c.batch, 5)
  const params = randomParams(interp, 5)
  const want = interp.forward(params, xs)
  // the exact rewrites, bit for bit
  const exact = referenceCompiled(c.model, EXACT_REWRITES, 'float32', c.inputShapes)
  expect(bitDiff(exact.forward(params, xs), want)).toEqual({ count: 0, first: '' })
  // every rewrite
  const all = referenceCompiled(c.model, ALL_REWRITES, 'float32', c.inputShapes)
  const folds = all.graph.nodes.some(hasFoldedBatchNorm)
  let measured = ''
  if (folds) {
    // step by step with hostile statistics (dead channels, cancelling means, negative gammas, and plain ones)
    const steps = stepErrors(c.model, randomParams(interp, 5, 'hostile'), xs, hasFoldedBatchNorm, c.inputShapes)
    const worst = { step32: Math.max(...steps.map((s) => s.ratio32)), step64: Math.max(...steps.map((s) => s.ratio64 * EPS64)) }
    expect(worst.step32).toBeLessThanOrEqual(STEP32)
    expect(worst.step64).toBeLessThanOrEqual(STEP64_RELATIVE)
    const p64 = params.map(toF64)
    const x64 = xs.map(toF64)
    const ref64 = right(compileModel(c.model, { ...opts, interpreter: true, dtype: 'float64' })).forward(p64, x64)
    const model64 = relativeToMax(referenceCompiled(c.model, ALL_REWRITES, 'float64', c.inputShapes).forward(p64, x64), ref64)
    expect(model64).toBeLessThanOrEqual(MODEL64_RELATIVE)
    const folded32 = relativeToMax(all.forward(params, xs), ref64)
    const interp32 = relativeToMax(want, ref64)
    measured = `; folded steps: float32 ≤ ${worst.step32.toFixed(2)} eps32·Σ|w'x|, float64 ≤ ${worst.step64.toExponential(1)}·Σ|terms|; model vs float64: folded f32 ${folded32.toExponential(2)}, interpreter f32 ${interp32.toExponential(2)}, folded f64 ${model64.toExponential(1)}`
    // folding is no less accurate than running BatchNormalization, on the whole model
    expect(folded32).toBeLessThanOrEqual(4 * interp32 + 1e-7)
  } else {
    expect(bitDiff(all.forward(params, xs), want)).toEqual({ count: 0, first: '' })
  }
  // the public compiler (fast kernels included) fires the same rewrites and agrees with the interpreter
  const compiled = right(compileModel(c.model, opts))
  expect(compiled.plan?.rewrites).toEqual(all.rewrites)
  expect(relativeToMax(compiled.forward(params, xs), want)).toBeLessThanOrEqual(1e-4)
  report.push(`${c.name}: ${showFired(all.rewrites)}; steps ${exact.graph.nodes.length} → ${all.graph.nodes.length}${measured}`)
  console.log(report[report.length - 1])
}

describe('every example and real model: the exact rewrites bit for bit, folding within its tolerance', () => {
  it.each([...exampleCases(), ...realCases()].map((c) => [c.name, c] as const))('%s', (_name, c) => checkModel(c))
})

interface AppFixture {
  readonly name: string
  readonly seed: number
  readonly input: { readonly shape: ReadonlyArray<number>; readonly low: number; readonly high: number }
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number>; readonly value?: number | ReadonlyArray<number>; readonly low?: number; readonly high?: number }>
  readonly outputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: ReadonlyArray<number> }>
  readonly model: unknown
}

const readApp = (name: string): AppFixture => JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/keras3/apps/${name}.json`, import.meta.url)), 'utf8')) as AppFixture

describe('keras.applications with Keras\'s weights: the exact rewrites bit for bit, folding within tolerance and still within 1e-5 of Keras', () => {
  // xception: SeparableConv2D → BN → ReLU, BN folded into the separable layers' pointwise halves
  it.each(['mobilenet', 'mobilenet_v2', 'resnet50', 'densenet121', 'mobilenet_v3_small', 'efficientnet_b0', 'xception'].map((n) => [n] as const))('%s', (name) => {
    const fx = readApp(name)
    const model = right(decodeModelFile(fx.model)).model
    const interp = right(compileModel(model, { interpreter: true }))
    const values = fx.weights.map((w, i) => ({
      shape: w.shape,
      data: w.value !== undefined ? Float32Array.from([w.value].flat()) : uniform(fx.seed + 1 + i, w.shape.reduce((a, b) => a * b, 1), w.low as number, w.high as number)
    }))
    const params = right(assignOrderedWeights(interp, values, { order: 'layers' }))
    // one sample of Keras's batch of two
    const sample = fx.input.shape.slice(1).reduce((a, b) => a * b, 1)
    const x: Tensor = { shape: [1, ...fx.input.shape.slice(1)], data: makeInput(fx.input.shape, fx.seed, fx.input.low, fx.input.high).slice(0, sample) }
    const want = interp.forward(params, [x])
    const exact = referenceCompiled(model, EXACT_REWRITES, 'float32')
    expect(bitDiff(exact.forward(params, [x]), want)).toEqual({ count: 0, first: '' })
    const all = referenceCompiled(model, ALL_REWRITES, 'float32')
    const steps = stepErrors(model, params, [x], hasFoldedBatchNorm)
    const step32 = Math.max(0, ...steps.map((s) => s.ratio32))
    const step64 = Math.max(0, ...steps.map((s) => s.ratio64 * EPS64))
    expect(step32).toBeLessThanOrEqual(STEP32)
    expect(step64).toBeLessThanOrEqual(STEP64_RELATIVE)
    const got = all.forward(params, [x])
    const keras = fx.outputs.map((o) => ({ shape: [1, ...o.shape.slice(1)], data: Float64Array.from(o.data.slice(0, o.data.length / (o.shape[0] as number))) }))
    const vsKeras = relativeToMax(got, keras)
    expect(vsKeras).toBeLessThanOrEqual(1e-5)
    const line = `${name}: ${showFired(all.rewrites)}; steps ${exact.graph.nodes.length} → ${all.graph.nodes.length}; folded steps float32 ≤ ${step32.toFixed(2)} eps32·Σ|w'x|, float64 ≤ ${step64.toExponential(1)}·Σ|terms|; folded model vs Keras ${vsKeras.toExponential(2)} (interpreter ${relativeToMax(want, keras).toExponential(2)})`
    report.push(line)
    console.log(line)
  })
})

// -------------------------------------------------------------------------------------
// non-finite values
// -------------------------------------------------------------------------------------

describe('non-finite inputs (±∞, NaN) through the fused paths', () => {
  const models = (): ReadonlyArray<readonly [string, ModelSpec]> => [
    ['real F.json (MobileNet v2)', right(decodeModelFile(readShared('real-keras-models/F.json'))).model],
    ['real K.json (channels_first ResNet)', right(decodeModelFile(readShared('real-keras-models/K.json'))).model],
    ['examples residual-block', right(decodeModelFile(readJson('examples/models/residual-block.keras3.json'))).model],
    [
      'ZeroPad → DWConv(same) → BN → ReLU6 → Conv → Add',
      (() => {
        const x = input([9, 9, 4])
        let h = apply(layers.zeroPadding2d({ padding: [[1, 0], [0, 1]] }), x)
        h = apply(layers.depthwiseConv2d({ kernel_size: 3, strides: 2, padding: 'same' }), h)
        h = apply(layers.relu({ max_value: 6 }), apply(layers.batchNormalization(), h))
        const c = apply(layers.conv2d({ filters: 4, kernel_size: 1 }), h)
        return ok(functional({ inputs: [x], outputs: [apply(layers.add(), [h, c])] }))
      })()
    ]
  ]
  it.each(models().map(([n, m]) => [n, m] as const))('%s: the exact rewrites bit for bit (NaN positions included), folding with the same ±∞ and NaN positions', (_name, model) => {
    const interp = interpreterOf(model)
    for (const seed of [1, 2]) {
      for (const stats of ['plain', 'hostile'] as const) {
        const params = randomParams(interp, seed, stats)
        const xs = hostileInputs(interp.inputShapes, 1, seed, 5)
        const want = interp.forward(params, xs)
        expect(bitDiff(referenceCompiled(model, EXACT_REWRITES, 'float32').forward(params, xs), want)).toEqual({ count: 0, first: '' })
        const folded = referenceCompiled(model, ALL_REWRITES, 'float32').forward(params, xs)
        expect(nonFiniteDiff(folded, want)).toBe(0)
      }
    }
  })
})
