/**
 * The plain-TypeScript kernel families (src/compiler/kernels/ts/) against the reference kernel, the
 * oracle: random cases of every node kind (batch 1 and more, float32 and float64, NaN, ±∞ and ±0 in
 * the data, epilogues with residual adds, clamps, ReLUs and activations, both data formats), each run
 * on an arena poisoned with NaN, +∞ and garbage (the output must not change, nothing outside it may be
 * written), bit for bit — the kernels keep the layers' float64 arithmetic and order; the one tolerance,
 * for float32 convolutions forced onto the TypeScript kernels while the reference runs wasm, is stated
 * in tsKernelCases.ts. Then the families on whole models: every example and real model, compiled with
 * only these families (the rest by the reference kernel), equals the per-layer interpreter bit for bit.
 */
import fc from 'fast-check'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makeExecutor } from '../../src/compiler/executor.js'
import { referenceKernel } from '../../src/compiler/kernels/reference.js'
import { tsConcat, tsMerge } from '../../src/compiler/kernels/ts/merge.js'
import { tsPadCrop } from '../../src/compiler/kernels/ts/padCrop.js'
import { tsBatchNorm } from '../../src/compiler/kernels/ts/batchNorm.js'
import { tsConv, withExtraPadding } from '../../src/compiler/kernels/ts/conv.js'
import { tsConvNd } from '../../src/compiler/kernels/ts/convNd.js'
import { densePackedFloats, packDense, tsDense } from '../../src/compiler/kernels/ts/dense.js'
import { tsGlobalPool, tsPool } from '../../src/compiler/kernels/ts/pool.js'
import { tsUpsample } from '../../src/compiler/kernels/ts/upsample.js'
import { TS_KERNEL_FAMILIES } from '../../src/compiler/kernels/ts/index.js'
import { tsSoftmax } from '../../src/compiler/kernels/ts/softmax.js'
import { tsRowActivation, tsUnary } from '../../src/compiler/kernels/ts/unary.js'
import { viewedGraph } from '../../src/compiler/Graph.js'
import { lowerModel } from '../../src/compiler/lower.js'
import type { StepKernel } from '../../src/compiler/StepKernel.js'
import { applyUnary, type Unary } from '../../src/compiler/Unary.js'
import { unaryInPlace } from '../../src/compiler/kernels/ts/common.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { computeGeometry } from '../../src/geometry/ConvGeometry.js'
import { layer } from '../../src/model/builder.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { uniformStream } from '../../src/numerics/random.js'
import { readJson, readShared, right } from '../helpers.js'
import {
  batchNormCase,
  checkCase,
  concatCase,
  convCase,
  conv1dCase,
  convNdCase,
  denseCase,
  globalPoolCase,
  mergeCase,
  padCropCase,
  poolCase,
  rowActivationCase,
  softmaxCase,
  unaryCase,
  upsampleCase,
  type Case
} from './tsKernelCases.js'
import { CHOICE, compareWithReference, oneNode, randomWeights, withStages } from './tsKernelHarness.js'

const RUNS = 60
const SEED = 20261207

const families: ReadonlyArray<readonly [string, fc.Arbitrary<Case>]> = [
  ['dense (GEMM, GEMV, any rank, LoRA-free)', denseCase],
  ['pool (max, average; valid, same; both formats)', poolCase],
  ['globalPool (max, average; keepdims; both formats)', globalPoolCase],
  ['batchNorm (one axis; center, scale; ε 0 included)', batchNormCase],
  ['unary (Activation, ReLU, LeakyReLU)', unaryCase],
  ['merge (equal shapes, 1-3 inputs)', mergeCase],
  ['concat (any axis, 1-3 inputs)', concatCase],
  ['pad / crop', padCropCase],
  ['upsample (nearest, bilinear)', upsampleCase],
  ['softmax (one axis)', softmaxCase],
  ['row-wise Activation (softmax, log_softmax, sparsemax: a layer node)', rowActivationCase],
  ['conv (Conv2D, DepthwiseConv2D, folded padding, js and auto backends)', convCase],
  ['conv of rank 1 (Conv1D causal / dilated / grouped, DepthwiseConv1D: the 2-D kernels on the height-1 view)', conv1dCase],
  ['convNd (Conv3D, Conv1D/2D/3DTranspose on compileConvNd)', convNdCase]
]

describe('every TypeScript kernel = the reference kernel (random cases, poisoned arenas)', () => {
  it.each(families)('%s', (_name, arb) => {
    fc.assert(
      fc.property(arb, (c) => {
        checkCase(c)
      }),
      { numRuns: RUNS, seed: SEED }
    )
  })
})

describe('named cases', () => {
  const f32 = 'float32' as const
  const check = (c: Partial<Case> & Pick<Case, 'family' | 'layer' | 'shapes' | 'kind'>): string =>
    checkCase({ stages: [], batch: 2, dtype: f32, seed: 7, special: 0.1, backend: 'auto', positive: [], ...c }).name

  it('each kind runs its named kernel', () => {
    expect(check({ kind: 'dense', family: tsDense, layer: layer('Dense', { units: 9 }), shapes: [[33]] })).toBe('ts-dense-gemm')
    expect(check({ kind: 'dense', family: tsDense, layer: layer('Dense', { units: 3, activation: 'softmax' }), shapes: [[5]], batch: 1 })).toBe('ts-dense-gemm')
    expect(check({ kind: 'pool', family: tsPool, layer: layer('MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }), shapes: [[7, 7, 3]] })).toBe('ts-maxpool')
    expect(check({ kind: 'pool', family: tsPool, layer: layer('AveragePooling2D', { pool_size: 3, strides: 1, padding: 'same' }), shapes: [[5, 4, 2]] })).toBe('ts-avgpool')
    expect(check({ kind: 'globalPool', family: tsGlobalPool, layer: layer('GlobalAveragePooling2D', { keepdims: true }), shapes: [[3, 3, 4]] })).toBe('ts-global-avgpool')
    expect(check({ kind: 'layer', family: tsRowActivation, layer: layer('Activation', { activation: 'softmax' }), shapes: [[1, 1, 1000]] })).toBe('ts-row-activation')
    expect(check({ kind: 'layer', family: tsRowActivation, layer: layer('Activation', { activation: 'log_softmax' }), shapes: [[7]], dtype: 'float64' })).toBe('ts-row-activation')
    expect(check({ kind: 'upsample', family: tsUpsample, layer: layer('UpSampling2D', { size: 2, interpolation: 'bilinear' }), shapes: [[3, 4, 2]] })).toBe('ts-upsample-bilinear')
    expect(check({ kind: 'conv', family: tsConv, layer: layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same', activation: 'relu6' }), shapes: [[9, 9, 4]] })).toMatch(/^conv:(wasm|js)-winograd$/)
    expect(check({ kind: 'conv', family: tsConv, layer: layer('DepthwiseConv2D', { kernel_size: 3, padding: 'same' }), shapes: [[6, 6, 8]] })).toMatch(/^conv:(wasm|js)-depthwise$/)
    expect(check({ kind: 'conv', family: tsConv, layer: layer('Conv2D', { filters: 8, kernel_size: 3 }), shapes: [[9, 9, 4]], backend: 'js', dtype: 'float64' })).toBe('conv:js-winograd')
    // issue 14: a causal Conv1D on its height-1 view; transposed and 3-D convolutions on compileConvNd
    expect(check({ kind: 'conv', family: tsConv, layer: layer('Conv1D', { filters: 4, kernel_size: 3, dilation_rate: 2, padding: 'causal' }), shapes: [[16, 3]] })).toMatch(/^conv:(wasm|js)-tiled$/)
    expect(check({ kind: 'convNd', family: tsConvNd, layer: layer('Conv2DTranspose', { filters: 4, kernel_size: 4, strides: 2, padding: 'same' }), shapes: [[5, 5, 3]] })).toMatch(/^convNd:rank2-transpose\(phases×4\) (wasm|js)-tiled$/)
    expect(check({ kind: 'convNd', family: tsConvNd, layer: layer('Conv3D', { filters: 2, kernel_size: 2 }), shapes: [[3, 4, 4, 2]], dtype: 'float64' })).toMatch(/^convNd:rank3-fold\(Kd=2\) js-/)
  })

  it('±∞ through a Winograd convolution keeps Keras\'s results (the exact rerun), fused relu6 and a residual add included', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const name = check({ kind: 'conv', family: tsConv, layer: layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), shapes: [[8, 8, 4]], dtype, special: 0.02, stages: ['relu6', 'add', 'relu'] })
      expect(name).toMatch(/winograd/)
    }
  })

  it('a Keras ReLU fused into a wasm convolution: −0 outputs (a −0 bias over a zero window) still become +0, NaN stays', () => {
    for (const [l, shape] of [
      [layer('Conv2D', { filters: 3, kernel_size: 1 }), [2, 2, 2]],
      [layer('Conv2D', { filters: 8, kernel_size: 3, padding: 'same' }), [4, 4, 4]],
      [layer('DepthwiseConv2D', { kernel_size: 3, padding: 'same' }), [4, 4, 4]]
    ] as const) {
      for (const stage of ['kerasRelu6', 'kerasReluPlain', 'relu6'] as const) {
        const one = oneNode(l, [shape], 'float32')
        const { graph, node } = withStages(one.graph, one.node, [stage])
        const n = shape.reduce((a, b) => a * b, 1)
        const x = new Float32Array(2 * n) // zeros, then a NaN and an ∞ in the second sample
        x[n] = NaN
        x[n + 3] = Infinity
        const [kernel, bias] = randomWeights(node, 'float32', 3) as [Tensor, Tensor]
        const w = { shape: kernel.shape, data: kernel.data.map((v) => -Math.abs(v) - 0.1) }
        const b = { shape: bias.shape, data: bias.data.map((_, i) => (i % 2 === 0 ? -0 : 0.5)) }
        const r = compareWithReference(tsConv, graph, node, 2, 0, 0, CHOICE('float32'), new Set(), { inputs: [x], weights: [w, b] })
        expect(r?.diff.count, `${r?.name} ${stage}: ${r?.diff.first}`).toBe(0)
        if (stage === 'relu6') expect(Array.from(r?.want ?? []).some((v) => Object.is(v, -0))).toBe(true)
        else expect(Array.from(r?.want ?? []).some((v) => Object.is(v, -0))).toBe(false)
      }
    }
  })

  it('a folded ZeroPadding2D runs as the convolution\'s own padding (asymmetric, larger than the window)', () => {
    for (const [layerJson, backend] of [
      [layer('Conv2D', { filters: 3, kernel_size: [2, 3], strides: 2 }), 'auto'],
      [layer('DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, data_format: 'channels_first' }), 'auto'],
      [layer('Conv2D', { filters: 4, kernel_size: 1 }), 'js']
    ] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        check({ kind: 'conv', family: tsConv, layer: layerJson, shapes: [[12, 12, 12]], dtype, backend, extraPadding: { top: 4, bottom: 0, left: 1, right: 5 } })
      }
    }
  })

  it('ZeroPadding2D / Cropping2D on a channels_first 1×1 image (the layer copied it as channels_last: its channel stride is 1 too)', () => {
    const pad = oneNode(layer('ZeroPadding2D', { padding: [[0, 0], [0, 1]], data_format: 'channels_first' }), [[2, 1, 1]], 'float32')
    const r = compareWithReference(tsPadCrop, pad.graph, pad.node, 1, 0, 0)
    expect(r?.diff.count, r?.diff.first).toBe(0)
    const x = r?.want as Float32Array
    expect([x[1], x[3]]).toEqual([0, 0])
    check({ kind: 'crop', family: tsPadCrop, layer: layer('Cropping2D', { cropping: [[1, 1], [0, 2]], data_format: 'channels_first' }), shapes: [[3, 3, 3]] })
  })

  it('withExtraPadding: the padded geometry of the unpadded input', () => {
    const spec = oneNode(layer('Conv2D', { filters: 2, kernel_size: 3, padding: 'same' }), [[10, 9, 2]], 'float32').node.spec
    const g = right(computeGeometry(spec as never, [10, 9, 2]))
    const e = withExtraPadding(g, [7, 6, 2], { top: 1, bottom: 2, left: 3, right: 0 })
    expect([e.inHeight, e.inWidth, e.padTop, e.padBottom, e.padLeft, e.padRight, e.inputSize]).toEqual([7, 6, g.padTop + 1, g.padBottom + 2, g.padLeft + 3, g.padRight, 84])
    expect(e.outputShape).toEqual(g.outputShape)
  })

  it('LoRA: a Dense\'s merged kernel is packed; a Conv2D\'s is merged per call (cached)', () => {
    for (const [kind, l, shape] of [
      ['dense', layer('Dense', { units: 5, lora_rank: 2 }), [7]],
      ['conv', layer('Conv2D', { filters: 3, kernel_size: 2, lora_rank: 2 }), [5, 5, 3]]
    ] as const) {
      const family = kind === 'dense' ? tsDense : tsConv
      check({ kind, family, layer: l, shapes: [shape], special: 0 })
    }
  })

  it('ReLU and ReLU6 on float32 bits = applyUnary on every kind of value (±0, denormals, ±∞, NaNs of both signs, around 6)', () => {
    const bits = [0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x807fffff, 0x3f800000, 0xbf800000, 0x40bfffff, 0x40c00000, 0x40c00001, 0xc0c00001, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffffffff]
    const values = new Float32Array(new Int32Array(bits.map((b) => b | 0)).buffer)
    const fns: ReadonlyArray<Unary> = [
      { kind: 'clamp', lo: 0, hi: Infinity },
      { kind: 'clamp', lo: 0, hi: 6 },
      { kind: 'clamp', lo: -0, hi: 6 },
      { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 },
      { kind: 'relu', negativeSlope: 0, maxValue: 6, threshold: 0 }
    ]
    for (const fn of fns) {
      // inside a larger buffer, at an offset (the arena's view of one value)
      const got = new Float32Array(values.length + 8).fill(7)
      got.set(values, 3)
      unaryInPlace(fn, 1)(got, 3, values.length)
      const want = Float32Array.from(values)
      applyUnary(fn, want, 0, want.length, 1)
      const wrong = Array.from(got.subarray(3, 3 + values.length)).flatMap((v, i) => (Object.is(v, want[i]) || (Number.isNaN(v) && Number.isNaN(want[i])) ? [] : [`${values[i]} → ${v}, expected ${want[i]}`]))
      expect(wrong, JSON.stringify(fn)).toEqual([])
      expect([got[2], got[3 + values.length]]).toEqual([7, 7])
    }
  })

  it('the dense packing: bias panels, then K × 8 panels, zero-padded', () => {
    const K = 2
    const N = 3
    const dst = new Float64Array(densePackedFloats(K, N)).fill(NaN)
    packDense(K, N, [1, 2, 3, 4, 5, 6], [7, 8, 9], dst, 0)
    expect(Array.from(dst)).toEqual([7, 8, 9, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0])
  })

  it('in-place elementwise steps (output at the input\'s offset) give the same result', () => {
    for (const [family, l, shapes] of [
      [tsUnary, layer('ReLU', { max_value: 6, negative_slope: 0.2, threshold: 0.5 }), [[4, 5]]],
      [tsBatchNorm, layer('BatchNormalization', {}), [[3, 3, 4]]],
      [tsMerge, layer('Maximum'), [[6], [6], [6]]],
      [tsSoftmax, layer('Softmax', { axis: 1 }), [[4, 3]]]
    ] as const) {
      const { graph, node } = oneNode(l, shapes, 'float32')
      const r = compareWithReference(family, graph, node, 3, 11, 0.2)
      expect(r?.diff.count, r?.diff.first).toBe(0)
    }
  })

  it('families decline what they do not cover (the reference kernel runs it)', () => {
    const decline = (family: (typeof TS_KERNEL_FAMILIES)[number], l: ReturnType<typeof layer>, shapes: number[][]): StepKernel | undefined => {
      const { graph, node } = oneNode(l, shapes, 'float32')
      return family(node, graph, CHOICE('float32'))
    }
    expect(decline(tsMerge, layer('Add'), [[4, 3], [1, 3]])).toBeUndefined() // broadcasting
    expect(decline(tsMerge, layer('Multiply'), [[4, 3], [3]])).toBeUndefined()
    expect(decline(tsSoftmax, layer('Softmax', { axis: [1, 2] }), [[4, 3]])).toBeUndefined() // several axes
    const bn = oneNode(layer('BatchNormalization', {}), [[4, 3]], 'float32')
    expect(tsBatchNorm({ ...bn.node, spec: { ...bn.node.spec, dialect: 'keras2', axis: [1, 2] } as never }, bn.graph, CHOICE('float32'))).toBeUndefined() // several axes (tf.keras)
    expect(decline(tsUnary, layer('Dense', { units: 2 }), [[4]])).toBeUndefined()
    expect(decline(tsConcat, layer('Add'), [[4], [4]])).toBeUndefined()
    const one = oneNode(layer('Add'), [[4, 3], [1, 3]], 'float32')
    const { graph, node } = withStages(one.graph, one.node, ['add', 'relu'])
    expect(compareWithReference(tsMerge, graph, node, 2, 1, 0)).toBeUndefined()
  })
})

const inputsFor = (shapes: ReadonlyArray<ReadonlyArray<number>>, batch: number, seed: number): Tensor[] => {
  const next = uniformStream(seed)
  return shapes.map((s) => {
    const n = batch * s.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = next() * 2 - 1
    return { shape: [batch, ...s], data }
  })
}

const models = (): ReadonlyArray<readonly [string, unknown]> => {
  const dir = fileURLToPath(new URL('../../examples/models/', import.meta.url))
  return [
    ...readdirSync(dir).map((f) => [`examples/models/${f}`, readJson(`examples/models/${f}`)] as const),
    ['examples/tfjs/model.json', readJson('examples/tfjs/model.json')] as const,
    ...['A', 'C', 'D', 'F', 'I', 'Q', 'Q2'].map((n) => [`shared ${n}.json`, readShared(`real-keras-models/${n}.json`)] as const)
  ]
}

describe('whole models on the TypeScript families = the per-layer interpreter, bit for bit', () => {
  it.each(models())('%s', (_name, json) => {
    const file = right(decodeModelFile(json))
    const interpreter = right(compileModel(file.model, { interpreter: true }))
    const graph = right(lowerModel(file.model, undefined, 'float32', { family: true }))
    const choice = CHOICE('float32')
    const kernels: StepKernel[] = graph.nodes.map((n) => {
      if (n.kind === 'alias' || n.kind === 'identity') return { name: 'view', packedFloats: 0, pack: () => undefined, scratchFloats: () => 0, inPlace: true, run: () => undefined }
      for (const family of TS_KERNEL_FAMILIES) {
        const k = family(n, viewedGraph(graph, n), choice)
        if (k !== undefined) return k
      }
      return referenceKernel(n, graph)
    })
    // every node of these models but a channels_first Flatten or a Softmax activation has a TypeScript kernel
    // (Conv1D as the Conv2D of its height-1 view, Conv2DTranspose as a `convNd` node on compileConvNd)
    const uncovered = graph.nodes
      .filter((n, i) => kernels[i]?.name === 'reference' && !['Flatten', 'Activation'].includes(n.spec.className))
      .map((n) => n.spec.className)
    expect(uncovered).toEqual([])
    const executor = makeExecutor({ graph, kernels })
    const params = interpreter.init(5)
    for (const batch of [1, 3]) {
      const xs = inputsFor(interpreter.inputShapes, batch, batch + 1)
      const want = interpreter.forward(params, xs)
      const got = executor.forward(params, xs)
      got.forEach((t, i) => {
        const w = (want[i] as Tensor).data
        let bad = 0
        for (let j = 0; j < w.length; j++) if (!Object.is(t.data[j], w[j])) bad++
        expect(bad, `output ${i}, batch ${batch}`).toBe(0)
      })
      // a second call (arena reused, nothing carried over) gives the same
      const again = executor.forward(params, xs)
      again.forEach((t, i) => expect(t.data).toEqual((got[i] as Tensor).data))
    }
  })
})
