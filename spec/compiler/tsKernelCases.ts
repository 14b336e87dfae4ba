/**
 * Random cases for the plain-TypeScript kernel families (spec/compiler/ts-kernels.spec.ts,
 * properties/compiler-kernels.prop.ts): for each node kind, a fast-check arbitrary of valid layers
 * (built directly, no filtering), input shapes, epilogue stages, batch, dtype, data seed and share of
 * non-finite / signed-zero values, and the check that runs a case against the reference kernel.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import type { KernelChoice, KernelFactory } from '../../src/compiler/StepKernel.js'
import { tsBatchNorm } from '../../src/compiler/kernels/ts/batchNorm.js'
import { tsConv } from '../../src/compiler/kernels/ts/conv.js'
import { tsConvNd } from '../../src/compiler/kernels/ts/convNd.js'
import { tsDense } from '../../src/compiler/kernels/ts/dense.js'
import { tsConcat, tsMerge } from '../../src/compiler/kernels/ts/merge.js'
import { tsPadCrop } from '../../src/compiler/kernels/ts/padCrop.js'
import { tsGlobalPool, tsPool } from '../../src/compiler/kernels/ts/pool.js'
import { tsSoftmax } from '../../src/compiler/kernels/ts/softmax.js'
import { tsRowActivation, tsUnary } from '../../src/compiler/kernels/ts/unary.js'
import { tsUpsample } from '../../src/compiler/kernels/ts/upsample.js'
import type { Graph, Node, Value } from '../../src/compiler/Graph.js'
import { layer, type LayerJson } from '../../src/model/builder.js'
import type { FloatDType } from '../../src/numerics/FloatArray.js'
import { CHOICE, compareWithReference, ELEMENTWISE_STAGES, oneNode, STAGE_NAMES, withStages, type Comparison, type StageName } from './tsKernelHarness.js'

/** One case: a layer on inputs of given shapes, with an epilogue, run by a family. */
export interface Case {
  readonly kind: string
  readonly family: KernelFactory
  readonly layer: LayerJson
  readonly shapes: ReadonlyArray<ReadonlyArray<number>>
  readonly stages: ReadonlyArray<StageName>
  readonly batch: number
  readonly dtype: FloatDType
  readonly seed: number
  readonly special: number
  readonly backend: KernelChoice['backend']
  /** Weight positions drawn positive (a BatchNormalization's variance). */
  readonly positive: ReadonlyArray<number>
  /** A folded padding for a convolution: its input is the case's shape less these. */
  readonly extraPadding?: { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number }
}

const dtypeArb = fc.constantFrom<FloatDType>('float32', 'float64')
const specialArb = fc.constantFrom(0, 0.05, 0.3)
const stagesArb = (rowWise: boolean): fc.Arbitrary<ReadonlyArray<StageName>> => fc.array(fc.constantFrom(...(rowWise ? STAGE_NAMES : ELEMENTWISE_STAGES)), { maxLength: 3 })
const formatArb = fc.constantFrom('channels_last', 'channels_first')
const common = fc.record({ batch: fc.integer({ min: 1, max: 4 }), dtype: dtypeArb, seed: fc.nat(1_000_000), special: specialArb, stages: stagesArb(true) })

type Common = { readonly batch: number; readonly dtype: FloatDType; readonly seed: number; readonly special: number; readonly stages: ReadonlyArray<StageName> }
const make = (c: Common, kind: string, family: KernelFactory, l: LayerJson, shapes: ReadonlyArray<ReadonlyArray<number>>, extra: Partial<Case> = {}): Case => ({
  kind,
  family,
  layer: l,
  shapes,
  stages: c.stages,
  batch: c.batch,
  dtype: c.dtype,
  seed: c.seed,
  special: c.special,
  backend: 'auto',
  positive: [],
  ...extra
})

const image = (format: string, rows: number, cols: number, channels: number): number[] => (format === 'channels_first' ? [channels, rows, cols] : [rows, cols, channels])

export const denseCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    K: fc.integer({ min: 1, max: 40 }),
    units: fc.integer({ min: 1, max: 20 }),
    lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    useBias: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'tanh', 'softmax')
  })
  .map((r) => make(r.c, 'dense', tsDense, layer('Dense', { units: r.units, use_bias: r.useBias, activation: r.activation }), [[...r.lead, r.K]]))

export const poolCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    cls: fc.constantFrom('MaxPooling2D', 'AveragePooling2D'),
    pool: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padding: fc.constantFrom('valid', 'same'),
    format: formatArb,
    extra: fc.tuple(fc.nat(5), fc.nat(5)),
    channels: fc.integer({ min: 1, max: 5 })
  })
  .map((r) =>
    make(r.c, 'pool', tsPool, layer(r.cls, { pool_size: r.pool, strides: r.strides, padding: r.padding, data_format: r.format }), [
      image(r.format, r.pool[0] + r.extra[0], r.pool[1] + r.extra[1], r.channels)
    ])
  )

export const globalPoolCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    cls: fc.constantFrom('GlobalMaxPooling2D', 'GlobalAveragePooling2D'),
    keepdims: fc.boolean(),
    format: formatArb,
    dims: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }))
  })
  .map((r) => make(r.c, 'globalPool', tsGlobalPool, layer(r.cls, { keepdims: r.keepdims, data_format: r.format }), [image(r.format, ...r.dims)]))

export const batchNormCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    first: fc.boolean(),
    center: fc.boolean(),
    scale: fc.boolean(),
    epsilon: fc.constantFrom(0.001, 1e-5, 0)
  })
  .map((r) => {
    const axis = r.first ? 1 : -1
    const weights = (r.scale ? 1 : 0) + (r.center ? 1 : 0) + 2
    return make(r.c, 'batchNorm', tsBatchNorm, layer('BatchNormalization', { axis, center: r.center, scale: r.scale, epsilon: r.epsilon }), [r.shape], { positive: [weights - 1] })
  })

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'selu', 'gelu', 'hard_sigmoid', 'silu', 'softplus', 'exponential', 'softsign', 'mish'] as const

export const unaryCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    which: fc.constantFrom('Activation', 'ReLU', 'LeakyReLU'),
    activation: fc.constantFrom(...ACTIVATIONS),
    maxValue: fc.option(fc.constantFrom(0, 0.5, 1, 6), { nil: null }),
    slope: fc.constantFrom(0, 0.1, 0.3, 1),
    threshold: fc.constantFrom(0, 0.2, 1)
  })
  .map((r) => {
    const l =
      r.which === 'Activation'
        ? layer('Activation', { activation: r.activation })
        : r.which === 'ReLU'
          ? layer('ReLU', { max_value: r.maxValue, negative_slope: r.slope, threshold: r.threshold })
          : layer('LeakyReLU', { negative_slope: r.slope })
    return make(r.c, 'unary', tsUnary, l, [r.shape])
  })

export const mergeCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    op: fc.constantFrom('Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'),
    count: fc.integer({ min: 1, max: 3 }),
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })
  })
  .map((r) => {
    const count = r.op === 'Subtract' ? 2 : r.count
    return make(r.c, 'merge', tsMerge, layer(r.op), Array.from({ length: count }, () => r.shape))
  })

export const concatCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    axisPick: fc.nat(),
    negative: fc.boolean(),
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  })
  .map((r) => {
    const rank = r.shape.length + 1
    const axis = 1 + (r.axisPick % r.shape.length)
    const shapes = r.sizes.map((d) => r.shape.map((s, i) => (i === axis - 1 ? d : s)))
    return make(r.c, 'concat', tsConcat, layer('Concatenate', { axis: r.negative ? axis - rank : axis }), shapes)
  })

export const padCropCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    crop: fc.boolean(),
    amounts: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
    format: formatArb,
    dims: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }))
  })
  .map((r) => {
    const [t, b, l, rr] = r.amounts
    const pairs = [
      [t, b],
      [l, rr]
    ]
    const [h, w, c] = r.dims
    return r.crop
      ? make(r.c, 'crop', tsPadCrop, layer('Cropping2D', { cropping: pairs, data_format: r.format }), [image(r.format, h + t + b, w + l + rr, c)])
      : make(r.c, 'pad', tsPadCrop, layer('ZeroPadding2D', { padding: pairs, data_format: r.format }), [image(r.format, h, w, c)])
  })

export const upsampleCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    size: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    interpolation: fc.constantFrom('nearest', 'bilinear'),
    format: formatArb,
    dims: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }))
  })
  .map((r) => make(r.c, 'upsample', tsUpsample, layer('UpSampling2D', { size: r.size, interpolation: r.interpolation, data_format: r.format }), [image(r.format, ...r.dims)]))

export const softmaxCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    axisPick: fc.nat(),
    negative: fc.boolean()
  })
  .map((r) => {
    const rank = r.shape.length + 1
    const axis = 1 + (r.axisPick % r.shape.length)
    return make(r.c, 'softmax', tsSoftmax, layer('Softmax', { axis: r.negative ? axis - rank : axis }), [r.shape])
  })

/** Activation softmax / log_softmax / sparsemax: a `layer` node, along the last axis (ranks 1-3 per sample). */
export const rowActivationCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    activation: fc.constantFrom('softmax', 'log_softmax', 'sparsemax')
  })
  .map((r) => make(r.c, 'layer', tsRowActivation, layer('Activation', { activation: r.activation }), [r.shape]))

export const convCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    depthwise: fc.boolean(),
    filters: fc.integer({ min: 1, max: 6 }),
    multiplier: fc.integer({ min: 1, max: 2 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.constantFrom('valid', 'same'),
    format: formatArb,
    channels: fc.integer({ min: 1, max: 5 }),
    extra: fc.tuple(fc.nat(4), fc.nat(4)),
    useBias: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'relu6', 'tanh'),
    folded: fc.option(fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)), { nil: undefined }),
    backend: fc.constantFrom<KernelChoice['backend']>('auto', 'js')
  })
  .map((r) => {
    const strided = r.strides[0] > 1 || r.strides[1] > 1
    const dilation = strided ? [1, 1] : r.dilation
    const effH = dilation[0] as number * (r.kernel[0] - 1) + 1
    const effW = dilation[1] as number * (r.kernel[1] - 1) + 1
    const padding = r.folded === undefined ? r.padding : 'valid'
    const args = { kernel_size: r.kernel, strides: r.strides, dilation_rate: dilation, padding, data_format: r.format, use_bias: r.useBias, activation: r.activation }
    const l = r.depthwise ? layer('DepthwiseConv2D', { ...args, depth_multiplier: r.multiplier }) : layer('Conv2D', { ...args, filters: r.filters })
    const extra = r.folded === undefined ? {} : { extraPadding: { top: r.folded[0], bottom: r.folded[1], left: r.folded[2], right: r.folded[3] } }
    return make(r.c, 'conv', tsConv, l, [image(r.format, effH + r.extra[0], effW + r.extra[1], r.channels)], { backend: r.backend, ...extra })
  })

/**
 * Conv1D (causal, dilated, grouped) and DepthwiseConv1D: `conv` nodes of their 2-D selves on the height-1
 * view, run by `tsConv` (issue 14).
 */
export const conv1dCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    depthwise: fc.boolean(),
    groups: fc.constantFrom(1, 2),
    filters: fc.integer({ min: 1, max: 3 }),
    multiplier: fc.integer({ min: 1, max: 2 }),
    kernel: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    dilation: fc.integer({ min: 1, max: 3 }),
    padding: fc.constantFrom('valid', 'same', 'causal'),
    format: formatArb,
    channels: fc.integer({ min: 1, max: 3 }),
    extra: fc.nat(4),
    useBias: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'tanh')
  })
  .map((r) => {
    const dilation = r.stride > 1 ? 1 : r.dilation
    const eff = dilation * (r.kernel - 1) + 1
    const padding = r.depthwise && r.padding === 'causal' ? 'same' : r.padding
    const channels = r.depthwise ? r.channels : r.channels * r.groups
    const args = { kernel_size: r.kernel, strides: r.stride, dilation_rate: dilation, padding, data_format: r.format, use_bias: r.useBias, activation: r.activation }
    const l = r.depthwise ? layer('DepthwiseConv1D', { ...args, depth_multiplier: r.multiplier }) : layer('Conv1D', { ...args, filters: r.filters * r.groups, groups: r.groups })
    const steps = eff + r.extra
    return make(r.c, 'conv', tsConv, l, [r.format === 'channels_first' ? [channels, steps] : [steps, channels]])
  })

/**
 * Conv3D and Conv1D/2D/3DTranspose: `convNd` nodes on compileConvNd (`tsConvNd`), the `auto` backend
 * (the reference, the layer's own forward, runs it too).
 */
export const convNdCase: fc.Arbitrary<Case> = fc
  .record({
    c: common,
    cls: fc.constantFrom('Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose'),
    filters: fc.integer({ min: 1, max: 3 }),
    kernel: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.constantFrom('valid', 'same'),
    format: formatArb,
    channels: fc.integer({ min: 1, max: 3 }),
    size: fc.integer({ min: 3, max: 5 }),
    useBias: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'sigmoid')
  })
  .map((r) => {
    const rank = r.cls.startsWith('Conv1D') ? 1 : r.cls.startsWith('Conv2D') ? 2 : 3
    const spatial = Array.from({ length: rank }, (_, i) => r.size + (i % 2))
    const shape = r.format === 'channels_first' ? [r.channels, ...spatial] : [...spatial, r.channels]
    const l = layer(r.cls, { filters: r.filters, kernel_size: r.kernel, strides: r.stride, padding: r.padding, data_format: r.format, use_bias: r.useBias, activation: r.activation })
    return make(r.c, 'convNd', tsConvNd, l, [shape])
  })

/** Every kind's cases. */
export const anyCase: fc.Arbitrary<Case> = fc.oneof(denseCase, poolCase, globalPoolCase, batchNormCase, unaryCase, mergeCase, concatCase, padCropCase, upsampleCase, softmaxCase, convCase, conv1dCase, convNdCase)

/**
 * The graph and node of a case. A folded padding becomes the node's `extraPadding`, its input a value
 * of the unpadded shape (the spec's padding is then `valid`, as the folding pass leaves it).
 */
export const caseNode = (c: Case): { readonly graph: Graph; readonly node: Node } => {
  const one = oneNode(c.layer, c.shapes, c.dtype)
  const base = withStages(one.graph, one.node, c.stages)
  const p = c.extraPadding
  if (p === undefined) return base
  const shape = base.graph.values[base.node.inputs[0] as number]?.shape as ReadonlyArray<number>
  const channelsFirst = c.layer.config['data_format'] === 'channels_first'
  const [a, b, d] = shape as [number, number, number]
  const unpadded = channelsFirst ? [a, b - p.top - p.bottom, d - p.left - p.right] : [a - p.top - p.bottom, b - p.left - p.right, d]
  if (unpadded.some((x) => x < 1)) return base
  const id = base.graph.values.length
  const value: Value = { id, shape: unpadded, size: unpadded.reduce((x, y) => x * y, 1) }
  return { graph: { ...base.graph, values: [...base.graph.values, value] }, node: { ...base.node, inputs: [id], extraPadding: p } }
}

/**
 * Tolerance of a float32 convolution run by the TypeScript kernels (float64 sums) against the
 * reference's wasm kernel (float32 sums): the float32 sum of the `K = kh·kw·C/groups` products and the
 * bias is within `(K + 1) · 2⁻²⁴ · S` of the exact one, `S = |b| + Σ |x·w| ≤ 1 + 2·K` for the data
 * (|x| < 2, |w| < 1, |b| < 1), and the float64 one within rounding of it; each stage rounds once more
 * (`2⁻²⁴·|y|`, |y| ≤ S) and amplifies an error at most 2× (adds, clamps and ReLUs 1×, tanh, sigmoid
 * and gelu ≤ 1.13×, softmax and log-softmax rows ≤ 2× in the max norm). So
 * `(K + 1 + stages) · 2⁻²⁴ · (1 + 2K) · 2^stages`. Non-finite values must match exactly.
 */
const convTolerance = (node: Node): number => {
  const kernel = node.weights[0]
  const shape = kernel?.kind === 'param' ? kernel.shape : [1, 1, 1, 1]
  const K = (shape[0] as number) * (shape[1] as number) * (shape[2] as number)
  const stages = node.epilogue.stages.length
  return (K + 1 + stages) * 2 ** -24 * (1 + 2 * K) * 2 ** stages
}

/**
 * Runs a case against the reference kernel: the family must take it, write nothing outside its output,
 * give the same output on a NaN-, ∞- and garbage-poisoned arena (and in place when it declares it), and
 * equal the reference bit for bit — or, for a float32 convolution forced onto the TypeScript kernels
 * (`backend: 'js'`) while the reference runs the wasm one, within {@link convTolerance}. Returns the
 * comparison (the kernel's name among it).
 */
export const checkCase = (c: Case): Comparison => {
  const { graph, node } = caseNode(c)
  const r = compareWithReference(c.family, graph, node, c.batch, c.seed, c.special, CHOICE(c.dtype, c.backend), new Set(c.positive))
  expect(r, `${c.kind}: the family declined ${node.spec.className}`).toBeDefined()
  const cmp = r as Comparison
  expect(cmp.trespass, `${cmp.name} wrote outside its output`).toEqual([])
  const loose = c.kind === 'conv' && c.dtype === 'float32' && c.backend === 'js' && cmp.name.startsWith('conv:js-')
  if (loose && cmp.diff.count > 0 && !cmp.diff.first.startsWith('a run')) {
    const tol = convTolerance(node)
    for (let i = 0; i < cmp.got.length; i++) {
      const g = cmp.got[i] as number
      const w = cmp.want[i] as number
      if (Number.isFinite(w)) expect(Math.abs(g - w), `${cmp.name} [${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(tol)
      else expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${cmp.name} [${i}]: ${g} vs ${w}`).toBe(true)
    }
    return cmp
  }
  expect(cmp.diff.count, `${cmp.name}: ${cmp.diff.first}`).toBe(0)
  return cmp
}
