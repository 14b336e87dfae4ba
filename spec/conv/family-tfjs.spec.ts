/**
 * Differential test of the convolution family against TensorFlow.js (@tensorflow/tfjs-layers 4.22 on
 * @tensorflow/tfjs-backend-cpu), for every member tfjs-layers has besides Conv2D (which
 * layer-tfjs-differential.spec.ts covers): Conv1D, Conv3D, Conv2DTranspose, Conv3DTranspose,
 * SeparableConv2D, DepthwiseConv2D. Seeded random configs come from the package's own
 * `arbConvConfig` (keras2, inside what tfjs supports: see below); each builds a one-layer Sequential
 * model in tfjs-layers with seeded weights, which tfjs saves (`model.save` → model.json + weights);
 * layerspec reads that file as a user does (`decodeModelFile` → `compileModel` → weights assigned by
 * name from the manifest) and runs the same input. Compared: the symbolic output shape, the parameter
 * count and the values, |ours − theirs| ≤ 1e-4·(1 + |theirs|) — through the per-layer interpreter
 * (the layer kinds' own forwards) and through the default compiler.
 *
 * TensorFlow.js departures from Keras (family reference §12), kept out of the shared surface and
 * pinned at the end against an independent computation (convNdReference, or hand-derived values):
 * - DepthwiseConv2D ignores `dilation_rate` (shape and values): random cases have dilation 1;
 * - Conv2DTranspose / Conv3DTranspose ignore `dilation_rate` and `output_padding` (tfjs has neither):
 *   random cases have dilation 1 and no output_padding;
 * - Conv1D `channels_first`: tfjs never transposes the result back (and `toJSON` drops data_format);
 *   `causal`: tfjs's symbolic shape is `valid`'s and execution throws. Random Conv1D cases are
 *   channels_last, valid / same;
 * - SeparableConv2D: `getConfig` drops `depth_multiplier` (random cases use 1; the file reading
 *   is pinned in spec/model/tfjs-spellings.spec.ts); strides > 1 with dilation > 1 throws at execution
 *   (tfjs-core's depthwise kernel), so random cases never combine them; `channels_first` with a bias
 *   (and F > 1) adds the bias on the wrong axis: such random cases are compared with convNdReference;
 * - DepthwiseConv2D `causal` runs as `valid` (layerspec refuses it, as Keras does);
 * - tfjs-backend-wasm's conv3dTranspose with a stride > 1 gives wrong values (this file runs on cpu);
 * - tfjs-core's 3-D `same` padding has no `max(0, …)` clamp (`get3DPadAndOutInfo`): on an axis where
 *   `(⌈n/s⌉ − 1)·s + ke < n` Conv3D's padding before is negative and every window shifts forward; the
 *   transposed 3-D op computes its padding from the forward conv of its output, `k − s`, so
 *   Conv3DTranspose `same` with a stride above the kernel shifts its output too. Such random cases are
 *   compared on shape and parameters with tfjs and on values with convNdReference, and counted.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import { arbConvConfig, type ConvConfigKind, type ConvConfigOptions, type ConvConfigPlan, type ConvConfigRank } from '../../src/arbitraries/index.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { convNdReference } from '../../src/conv/reference.js'
import { convNdGeometry, type ConvNdParams } from '../../src/geometry/ConvNdGeometry.js'
import { compileModel, type CompileModelOptions } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { assignNamedWeights, decodeWeightData, readWeightsManifest } from '../../src/model/weights.js'
import { uniformStream } from '../../src/numerics/random.js'
import { right } from '../helpers.js'
import { tf, tfl } from '../tfjs.js'

const TOLERANCE = 1e-4

type TfLayer = tfl.layers.Layer
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const L = tfl.layers as any as Record<string, (args?: Record<string, unknown>) => TfLayer>

// -------------------------------------------------------------------------------------
// members and their random cases
// -------------------------------------------------------------------------------------

interface Member {
  readonly className: string
  readonly rank: ConvConfigRank
  readonly kind: ConvConfigKind
  /** The tfjs-layers factory. */
  readonly factory: string
  readonly cases: number
  /** What tfjs supports (the departures above are left out). */
  readonly options: ConvConfigOptions
}

const COMMON: ConvConfigOptions = { dialects: ['keras2'], keras: false, float64: false, spellings: false, paddings: ['valid', 'same'], maxGroups: 1, maxExtent: 4 }

const MEMBERS: ReadonlyArray<Member> = [
  { className: 'Conv1D', rank: 1, kind: 'conv', factory: 'conv1d', cases: 50, options: { ...COMMON, dataFormats: ['channels_last'], maxKernel: 4 } },
  { className: 'Conv3D', rank: 3, kind: 'conv', factory: 'conv3d', cases: 40, options: { ...COMMON, maxChannels: 2, maxFilters: 2, maxExtent: 3 } },
  { className: 'Conv2DTranspose', rank: 2, kind: 'transpose', factory: 'conv2dTranspose', cases: 50, options: { ...COMMON, maxDilation: 1, outputPadding: false, maxKernel: 4 } },
  { className: 'Conv3DTranspose', rank: 3, kind: 'transpose', factory: 'conv3dTranspose', cases: 40, options: { ...COMMON, maxDilation: 1, outputPadding: false, maxChannels: 2, maxFilters: 2, maxExtent: 3 } },
  { className: 'SeparableConv2D', rank: 2, kind: 'separable', factory: 'separableConv2d', cases: 50, options: { ...COMMON, maxDepthMultiplier: 1 } },
  { className: 'DepthwiseConv2D', rank: 2, kind: 'depthwise', factory: 'depthwiseConv2d', cases: 50, options: { ...COMMON, maxDilation: 1 } }
]

/** Activations tfjs builds by these names with Keras's meaning (tfjs identifiers). */
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'mish']

/** tfjs-layers constructor arguments for a plan (camelCase), the layer named `layer`. */
const tfjsArgs = (plan: ConvConfigPlan, activation: string): Record<string, unknown> => {
  const tuple = (v: ReadonlyArray<number>): number | number[] => (plan.rank === 1 ? (v[0] as number) : [...v])
  return {
    name: 'layer',
    ...(plan.kind === 'depthwise' ? { depthMultiplier: plan.depthMultiplier } : { filters: plan.filters }),
    kernelSize: tuple(plan.kernelSize),
    strides: tuple(plan.strides),
    padding: plan.padding,
    dataFormat: plan.dataFormat === 'channels_first' ? 'channelsFirst' : 'channelsLast',
    ...(plan.kind === 'transpose' ? {} : { dilationRate: tuple(plan.dilationRate) }),
    useBias: plan.useBias,
    activation,
    inputShape: [...plan.inputShape]
  }
}

/** The spatial lengths of a plan's input. */
const spatialOf = (plan: ConvConfigPlan): ReadonlyArray<number> => (plan.dataFormat === 'channels_first' ? plan.inputShape.slice(1) : plan.inputShape.slice(0, -1))

/**
 * Whether tfjs-core's unclamped 3-D `same` padding moves the case (header): a forward axis with
 * `(⌈n/s⌉ − 1)·s + ke − n < 0`, or a transposed axis with `k < s` (padding `k − s` of the forward conv
 * from the output `n·s` back to `n`).
 */
const unclamped3d = (plan: ConvConfigPlan): boolean =>
  plan.rank === 3 &&
  plan.padding === 'same' &&
  spatialOf(plan).some((n, i) => {
    const k = plan.kernelSize[i] as number
    const s = plan.strides[i] as number
    const ke = (plan.dilationRate[i] as number) * (k - 1) + 1
    return plan.kind === 'transpose' ? k < s : (Math.ceil(n / s) - 1) * s + ke - n < 0
  })

/**
 * SeparableConv2D channels_first with a bias and more than one filter: tfjs adds the bias, reshaped to
 * `[1, F, 1, 1]`, to its NHWC intermediate `[N, H, W, F]` — an error unless H ∈ {1, F}, a wrong shape
 * for H = 1, the bias of row h instead of filter f for H = F (one filter: right by luck).
 */
const separableChannelsFirstBias = (plan: ConvConfigPlan): boolean => plan.kind === 'separable' && plan.dataFormat === 'channels_first' && plan.useBias && plan.filters > 1

/** The departure a random case runs into, if any (its values then go to the independent computation). */
const departureOf = (plan: ConvConfigPlan): 'unclamped 3-D same padding' | 'SeparableConv2D channels_first bias' | undefined =>
  unclamped3d(plan) ? 'unclamped 3-D same padding' : separableChannelsFirstBias(plan) ? 'SeparableConv2D channels_first bias' : undefined

// -------------------------------------------------------------------------------------
// tfjs: build, seed, save, predict
// -------------------------------------------------------------------------------------

interface Saved {
  readonly json: Record<string, unknown>
  readonly weightData: Uint8Array
}

const save = async (model: tfl.LayersModel): Promise<Saved> => {
  let saved: Saved | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData
      const parts = (data === undefined ? [] : Array.isArray(data) ? data : [data]).map((b) => new Uint8Array(b))
      const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
      let at = 0
      for (const p of parts) {
        bytes.set(p, at)
        at += p.byteLength
      }
      saved = {
        json: { format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null, modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }] },
        weightData: bytes
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  if (saved === undefined) throw new Error('tfjs saved nothing')
  return saved
}

/** Seeded weights in [-1, 1) for every weight of the model. */
const seedWeights = (model: tfl.LayersModel, seed: number): void => {
  const rng = uniformStream(seed)
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue
    layer.setWeights(layer.weights.map((w) => tf.tensor(Float32Array.from({ length: w.shape.reduce((a: number, b) => a * (b as number), 1) }, () => 2 * rng() - 1), w.shape as number[])))
  }
}

interface Theirs {
  readonly symbolic: ReadonlyArray<number | null>
  readonly params: number
  /** tfjs's output, or the error its predict threw. */
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
  readonly error: string | null
  readonly saved: Saved
}

const runTfjs = async (factory: string, args: Record<string, unknown>, seed: number, x: Float32Array, shape: ReadonlyArray<number>): Promise<Theirs> => {
  const make = L[factory]
  if (make === undefined) throw new Error(`tfjs-layers has no ${factory}`)
  const model = tfl.sequential({ layers: [make(args)] })
  seedWeights(model, seed)
  const saved = await save(model)
  const input = tf.tensor(x, [...shape])
  const base = { symbolic: model.outputs[0]?.shape ?? [], params: model.countParams(), saved }
  try {
    const y = model.predict(input) as TfTensor
    const theirs = { ...base, shape: y.shape, data: y.dataSync() as Float32Array, error: null }
    y.dispose()
    return theirs
  } catch (e) {
    return { ...base, shape: [], data: new Float32Array(0), error: String(e) }
  } finally {
    input.dispose()
    model.dispose()
  }
}

// -------------------------------------------------------------------------------------
// layerspec: read the saved file as a user does
// -------------------------------------------------------------------------------------

const load = (saved: Saved, options: CompileModelOptions) => {
  const file = right(decodeModelFile(JSON.parse(JSON.stringify(saved.json)) as unknown))
  const compiled = right(compileModel(file.model, options))
  const groups = right(readWeightsManifest(file.weightsManifest))
  const named = right(decodeWeightData(groups, [[saved.weightData]], compiled.dtype))
  return { file, compiled, params: right(assignNamedWeights(compiled, named)) }
}

// -------------------------------------------------------------------------------------
// the independent computation
// -------------------------------------------------------------------------------------

const product = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a * b, 1)

/** convNdReference of a plan (separable: the depthwise reference, then the pointwise one), linear activation. */
const referenceOf = (plan: ConvConfigPlan, batch: number, x: Float32Array, weights: ReadonlyArray<Tensor>): Float64Array => {
  const p: ConvNdParams = {
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
  }
  const g = right(convNdGeometry(p, plan.inputShape))
  if (plan.kind !== 'separable') return convNdReference(g, batch, x, (weights[0] as Tensor).data, plan.useBias ? (weights[1] as Tensor).data : undefined)
  const z = convNdReference(g, batch, x, (weights[0] as Tensor).data, undefined)
  const ones = plan.kernelSize.map(() => 1)
  const pg = right(convNdGeometry({ ...p, kind: 'conv', kernelSize: ones, strides: ones, dilationRate: ones, padding: 'valid', filters: plan.filters, depthMultiplier: 1 }, g.outputShape))
  return convNdReference(pg, batch, z, (weights[1] as Tensor).data, plan.useBias ? (weights[2] as Tensor).data : undefined)
}

/** Largest |a − b| / (1 + |b|); Infinity on a length mismatch or NaN. */
const worstError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Infinity
  let w = 0
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number))
    if (!(e <= w)) w = e
  }
  return w
}

// -------------------------------------------------------------------------------------
// the differential
// -------------------------------------------------------------------------------------

interface Outcome {
  readonly direct: number
  readonly routed: ReadonlyMap<string, number>
  /** Routed cases where tfjs's predict threw, or ran and differs from Keras beyond the tolerance. */
  readonly tfjsThrew: number
  readonly tfjsDiffers: number
  readonly covered: Readonly<Record<string, number>>
  readonly worst: number
  readonly worstRouted: number
  readonly failures: ReadonlyArray<string>
}

const differential = async (m: Member, run: 'interpreter' | 'compiler'): Promise<Outcome> => {
  const plans = fc.sample(arbConvConfig(m.rank, m.kind, m.options), { numRuns: m.cases, seed: 20261214 + m.rank * 10 + m.kind.length })
  const failures: string[] = []
  let worst = 0
  let worstRouted = 0
  const routed = new Map<string, number>()
  let tfjsThrew = 0
  let tfjsDiffers = 0
  const covered = { strided: 0, dilated: 0, same: 0, channelsFirst: 0, noBias: 0, multiplier: 0, batch2: 0 }
  for (const [i, plan] of plans.entries()) {
    const activation = ACTIVATIONS[i % ACTIVATIONS.length] as string
    const departs = departureOf(plan)
    if (Math.max(...plan.strides) > 1) covered.strided++
    if (Math.max(...plan.dilationRate) > 1) covered.dilated++
    if (plan.padding === 'same') covered.same++
    if (plan.dataFormat === 'channels_first') covered.channelsFirst++
    if (!plan.useBias) covered.noBias++
    if (plan.depthMultiplier > 1) covered.multiplier++
    if (i % 2 === 1) covered.batch2++
    const args = tfjsArgs(plan, departs ? 'linear' : activation)
    const name = `#${i} ${m.className} ${JSON.stringify(args)}`
    const batch = 1 + (i % 2)
    const next = uniformStream(9000 + i)
    const shape = [batch, ...plan.inputShape]
    const x = Float32Array.from({ length: product(shape) }, () => 2 * next() - 1)
    const theirs = await runTfjs(m.factory, args, 100 + i, x, shape)
    const { file, compiled, params } = load(theirs.saved, run === 'interpreter' ? { interpreter: true } : {})
    expect(file.model.dialect).toBe('keras2')
    const summary = right(inferModel(file.model))
    if (JSON.stringify(summary.outputShapes[0]) !== JSON.stringify(theirs.symbolic)) failures.push(`${name}: symbolic ${JSON.stringify(summary.outputShapes[0])} vs tfjs ${JSON.stringify(theirs.symbolic)}`)
    if (summary.params !== theirs.params) failures.push(`${name}: params ${summary.params} vs tfjs ${theirs.params}`)
    const ours = compiled.forward(params, [{ shape, data: x }])[0] as Tensor
    if (departs !== undefined) {
      // tfjs departs from Keras here: shape against tfjs's symbolic one, values against the independent computation
      routed.set(departs, (routed.get(departs) ?? 0) + 1)
      if (theirs.error !== null) tfjsThrew++
      if (JSON.stringify(ours.shape.slice(1)) !== JSON.stringify(theirs.symbolic.slice(1))) failures.push(`${name}: shape ${JSON.stringify(ours.shape)} vs tfjs symbolic ${JSON.stringify(theirs.symbolic)}`)
      if (theirs.error === null && !(worstError(theirs.data, referenceOf(plan, batch, x, params)) <= TOLERANCE)) tfjsDiffers++
      const e = worstError(ours.data, referenceOf(plan, batch, x, params))
      if (!(e <= TOLERANCE)) failures.push(`${name} (routed to convNdReference): relative error ${e}`)
      worstRouted = Math.max(worstRouted, e)
      continue
    }
    if (theirs.error !== null) {
      failures.push(`${name}: tfjs threw ${theirs.error}`)
      continue
    }
    if (JSON.stringify(ours.shape) !== JSON.stringify(theirs.shape)) {
      failures.push(`${name}: shape ${JSON.stringify(ours.shape)} vs tfjs ${JSON.stringify(theirs.shape)}`)
      continue
    }
    const e = worstError(ours.data, theirs.data)
    if (!(e <= TOLERANCE)) failures.push(`${name}: relative error ${e}`)
    worst = Math.max(worst, e)
  }
  const routedCount = [...routed.values()].reduce((a, b) => a + b, 0)
  return { direct: plans.length - routedCount, routed, tfjsThrew, tfjsDiffers, covered, worst, worstRouted, failures }
}

describe('the convolution family agrees with tfjs-layers (files tfjs saved, weights by name)', () => {
  for (const m of MEMBERS) {
    for (const run of ['interpreter', 'compiler'] as const) {
      it(`${m.className}: ${m.cases} seeded configs, symbolic shape, parameters and values (${run})`, async () => {
        const o = await differential(m, run)
        expect(o.failures.slice(0, 6)).toEqual([])
        expect(o.direct).toBeGreaterThan(m.cases / 2)
        for (const what of ['strided', 'same', 'noBias', 'batch2'] as const) expect(o.covered[what], what).toBeGreaterThan(5)
        if (m.className !== 'Conv1D') expect(o.covered['channelsFirst']).toBeGreaterThan(5)
        if (m.kind === 'conv' || m.kind === 'separable') expect(o.covered['dilated']).toBeGreaterThan(5)
        if (m.kind === 'depthwise') expect(o.covered['multiplier']).toBeGreaterThan(5)
        // every routed case is a real departure: tfjs threw or its values differ from Keras's
        expect(o.tfjsThrew + o.tfjsDiffers).toBe([...o.routed.values()].reduce((a, b) => a + b, 0))
        console.log(
          `family tfjs differential ${m.className} (${run}): ${o.direct} compared with tfjs, largest relative error ${o.worst.toExponential(2)}` +
            (o.routed.size > 0
              ? `; routed to convNdReference: ${[...o.routed].map(([k, v]) => `${v} on ${k}`).join(', ')} (tfjs threw on ${o.tfjsThrew}, differs on ${o.tfjsDiffers}; ours vs reference largest relative error ${o.worstRouted.toExponential(2)})`
              : '') +
            `; coverage ${JSON.stringify(o.covered)}`
        )
      })
    }
  }
})

// -------------------------------------------------------------------------------------
// tfjs departures, pinned: tfjs's value vs Keras's (hand-derived, and convNdReference / layerspec)
// -------------------------------------------------------------------------------------

interface Run {
  readonly symbolic: ReadonlyArray<number | null>
  readonly shape: ReadonlyArray<number>
  readonly data: ReadonlyArray<number>
}

/** tfjs-layers' one-layer model from constructor arguments, with the given weights (flat, in tfjs's order), on `x` (`[1, ...shape]`). */
const tfjsLayer = (factory: string, args: Record<string, unknown>, weights: ReadonlyArray<ReadonlyArray<number>>, shape: ReadonlyArray<number>, x: ReadonlyArray<number>): Run => {
  const make = L[factory]
  if (make === undefined) throw new Error(`tfjs-layers has no ${factory}`)
  const model = tfl.sequential({ layers: [make({ ...args, inputShape: [...shape] })] })
  const ws = model.getWeights().map((w, i) => tf.tensor(Float32Array.from(weights[i] ?? []), w.shape))
  model.setWeights(ws)
  const input = tf.tensor(Float32Array.from(x), [1, ...shape])
  try {
    const y = model.predict(input) as TfTensor
    const out = { symbolic: model.outputs[0]?.shape ?? [], shape: y.shape, data: Array.from(y.dataSync()) }
    y.dispose()
    return out
  } finally {
    tf.dispose([input, ...ws])
    model.dispose()
  }
}

/** layerspec on the same layer as a Keras JSON config of `dialect`, the same weights (Keras's order), on `x`. */
const oursOfConfig = (className: string, config: Record<string, unknown>, dialect: 'keras2' | 'keras3', weights: ReadonlyArray<ReadonlyArray<number>>, shape: ReadonlyArray<number>, x: ReadonlyArray<number>): Run => {
  const declared = dialect === 'keras2' ? { batch_input_shape: [null, ...shape] } : { input_shape: [...shape] }
  const file = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: className, config: { ...config, ...declared } }] } }
  const compiled = right(compileModel(right(decodeModel(file, { dialect }))))
  const params = compiled.weights.map((w, i) => ({ shape: w.shape, data: Float32Array.from(weights[i] ?? []) }))
  const y = compiled.forward(params, [{ shape: [1, ...shape], data: Float32Array.from(x) }])[0] as Tensor
  return { symbolic: compiled.summary.outputShapes[0] ?? [], shape: [...y.shape], data: Array.from(y.data) }
}

describe('tfjs-layers departures from Keras, pinned (layerspec follows Keras)', () => {
  it('DepthwiseConv2D ignores dilation_rate: x = [1, 2, 4, 8, 16], taps [1, 10], dilation 2 → Keras [41, 82, 164], tfjs [21, 42, 84, 168]', () => {
    const x = [1, 2, 4, 8, 16]
    const w = [[1, 10]]
    // Keras: y[o] = x[o]·1 + x[o + 2]·10 (effective kernel 3, 3 outputs)
    const ours = oursOfConfig('DepthwiseConv2D', { kernel_size: [1, 2], dilation_rate: [1, 2], use_bias: false }, 'keras2', w, [1, 5, 1], x)
    expect(ours).toEqual({ symbolic: [null, 1, 3, 1], shape: [1, 1, 3, 1], data: [41, 82, 164] })
    // tfjs: the undilated kernel, in shape and values
    expect(tfjsLayer('depthwiseConv2d', { kernelSize: [1, 2], dilationRate: [1, 2], useBias: false }, w, [1, 5, 1], x)).toEqual({ symbolic: [null, 1, 4, 1], shape: [1, 1, 4, 1], data: [21, 42, 84, 168] })
  })

  it('Conv2DTranspose ignores dilation_rate: x = [1, 2, 3], kernel [1, 10, 100], dilation 2 → Keras [1, 2, 13, 20, 130, 200, 300] (family §13 T6), tfjs [1, 12, 123, 230, 300]', () => {
    const x = [1, 2, 3]
    const w = [[1, 10, 100]]
    const ours = oursOfConfig('Conv2DTranspose', { filters: 1, kernel_size: [1, 3], dilation_rate: [1, 2], use_bias: false }, 'keras2', w, [1, 3, 1], x)
    expect(ours.shape).toEqual([1, 1, 7, 1])
    expect(ours.data).toEqual([1, 2, 13, 20, 130, 200, 300])
    expect(tfjsLayer('conv2dTranspose', { filters: 1, kernelSize: [1, 3], dilationRate: [1, 2], useBias: false }, w, [1, 3, 1], x)).toEqual({ symbolic: [null, 1, 5, 1], shape: [1, 1, 5, 1], data: [1, 12, 123, 230, 300] })
  })

  it('Conv2DTranspose ignores output_padding: x = [1, 2, 3], kernel [1, 10, 100], strides 2, same, output_padding 0 → Keras [10, 102, 20, 203, 30] (T4), tfjs [1, 10, 102, 20, 203, 30] (T3)', async () => {
    const x = [1, 2, 3]
    const config = { filters: 1, kernel_size: [1, 3], strides: [1, 2], padding: 'same', output_padding: [0, 0], use_bias: false }
    const ours = oursOfConfig('Conv2DTranspose', config, 'keras2', [[1, 10, 100]], [1, 3, 1], x)
    expect(ours.shape).toEqual([1, 1, 5, 1])
    expect(ours.data).toEqual([10, 102, 20, 203, 30])
    // tfjs reads the same Keras JSON and drops output_padding
    const model = await tfl.models.modelFromJSON({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2DTranspose', config: { ...config, batch_input_shape: [null, 1, 3, 1] } }] } } as never)
    const k = tf.tensor4d([1, 10, 100], [1, 3, 1, 1])
    model.setWeights([k])
    const input = tf.tensor4d(x, [1, 1, 3, 1])
    const y = model.predict(input) as TfTensor
    expect(y.shape).toEqual([1, 1, 6, 1])
    expect(Array.from(y.dataSync())).toEqual([1, 10, 102, 20, 203, 30])
    tf.dispose([k, input, y])
    model.dispose()
  })

  it('Conv1D channels_first: tfjs returns its NWC intermediate (not transposed back) and saves no data_format', () => {
    // C = 2 channels of 3 steps (NCW): channel 0 = 1 2 3, channel 1 = 10 20 30
    const x = [1, 2, 3, 10, 20, 30]
    // kernel [k, C, F] = [2, 2, 2]: f0 = x0[t] + x1[t+1]; f1 = x0[t+1] − x1[t]
    const w = [[1, 0, 0, -1, 0, 1, 1, 0]]
    const ours = oursOfConfig('Conv1D', { filters: 2, kernel_size: 2, data_format: 'channels_first', use_bias: false }, 'keras2', w, [2, 3], x)
    // Keras (NCW out, 2 steps): f0 = [1 + 20, 2 + 30] = [21, 32]; f1 = [2 − 10, 3 − 20] = [−8, −17]
    expect(ours).toEqual({ symbolic: [null, 2, 2], shape: [1, 2, 2], data: [21, 32, -8, -17] })
    const theirs = tfjsLayer('conv1d', { filters: 2, kernelSize: 2, dataFormat: 'channelsFirst', useBias: false }, w, [2, 3], x)
    // tfjs: symbolic shape Keras's, the result NWC: [[21, −8], [32, −17]]
    expect(theirs).toEqual({ symbolic: [null, 2, 2], shape: [1, 2, 2], data: [21, -8, 32, -17] })
    const m = tfl.sequential({ layers: [L['conv1d']!({ filters: 2, kernelSize: 2, dataFormat: 'channelsFirst', inputShape: [2, 3] })] })
    const saved = m.toJSON(null, false) as unknown as { config: { layers: Array<{ config: Record<string, unknown> }> } }
    expect('data_format' in (saved.config.layers[0]?.config ?? {})).toBe(false)
    m.dispose()
  })

  it('Conv1D causal: tfjs infers valid\'s shape and throws at execution; Keras pads d·(k−1) on the left (family §13 F1)', () => {
    const x = [1, 2, 3, 4, 5]
    const ours = oursOfConfig('Conv1D', { filters: 1, kernel_size: 3, padding: 'causal', use_bias: false }, 'keras2', [[1, 10, 100]], [5, 1], x)
    expect(ours).toEqual({ symbolic: [null, 5, 1], shape: [1, 5, 1], data: [100, 210, 321, 432, 543] })
    const m = tfl.sequential({ layers: [L['conv1d']!({ filters: 1, kernelSize: 3, padding: 'causal', useBias: false, inputShape: [5, 1] })] })
    expect(m.outputs[0]?.shape).toEqual([null, 3, 1])
    expect(() => tfjsLayer('conv1d', { filters: 1, kernelSize: 3, padding: 'causal', useBias: false }, [[1, 10, 100]], [5, 1], x)).toThrow(/CAUSAL padding mode in conv1dWithBias is not implemented/)
    m.dispose()
  })

  it('SeparableConv2D channels_first with a bias: tfjs adds the bias on the wrong axis of its NHWC intermediate', () => {
    // NCHW x: C = 1, H = 1, W = 3 = [1, 2, 3]; depthwise taps [1, 10]; pointwise to F = 2: [1, −1]; bias [100, 200]
    const x = [1, 2, 3]
    const w = [[1, 10], [1, -1], [100, 200]]
    const config = { filters: 2, kernel_size: [1, 2], data_format: 'channels_first' }
    const args = { filters: 2, kernelSize: [1, 2], dataFormat: 'channelsFirst' }
    // Keras: depthwise [21, 32]; f0 = [21, 32] + 100, f1 = [−21, −32] + 200 → NCHW (1, 2, 1, 2)
    expect(oursOfConfig('SeparableConv2D', config, 'keras2', w, [1, 1, 3], x)).toEqual({ symbolic: [null, 2, 1, 2], shape: [1, 2, 1, 2], data: [121, 132, 179, 168] })
    // tfjs: NHWC (1, 1, 2, 2) + bias reshaped (1, 2, 1, 1) broadcasts to (1, 2, 2, 2) before the transpose back
    const theirs = tfjsLayer('separableConv2d', args, w, [1, 1, 3], x)
    expect(theirs.symbolic).toEqual([null, 2, 1, 2])
    expect(theirs.shape).toEqual([1, 2, 2, 2])
    // without a bias tfjs agrees with Keras
    const noBias = tfjsLayer('separableConv2d', { ...args, useBias: false }, w.slice(0, 2), [1, 1, 3], x)
    expect(noBias).toEqual({ symbolic: [null, 2, 1, 2], shape: [1, 2, 1, 2], data: [21, 32, -21, -32] })
  })

  it('SeparableConv2D strides 2 with dilation 2: tfjs builds it and throws at execution; keras2 (tf.keras) rejects it at strides; keras3 (Keras ≥ 3.15) computes it', () => {
    const x = [1, 2, 4, 8, 16, 32, 64]
    const w = [[1, 10], [1]]
    expect(() => tfjsLayer('separableConv2d', { filters: 1, kernelSize: [1, 2], strides: [1, 2], dilationRate: [1, 2], useBias: false }, w, [1, 7, 1], x)).toThrow(/Either strides or dilations must be 1/)
    const config = { filters: 1, kernel_size: [1, 2], strides: [1, 2], dilation_rate: [1, 2], use_bias: false }
    const keras2 = decodeModel({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'SeparableConv2D', config: { ...config, batch_input_shape: [null, 1, 7, 1] } }] } }, { dialect: 'keras2' })
    expect(E.isLeft(keras2) ? keras2.left.map((e) => e.path) : []).toEqual(['config.layers[0].config.strides'])
    // Keras 3: effective kernel 3, out ⌊(7 − 3)/2⌋ + 1 = 3: y[o] = x[2o] + 10·x[2o + 2]
    expect(oursOfConfig('SeparableConv2D', config, 'keras3', w, [1, 7, 1], x)).toEqual({ symbolic: [null, 1, 3, 1], shape: [1, 1, 3, 1], data: [41, 164, 656] })
  })

  it('Conv3D same with a stride above the kernel: tfjs-core\'s 3-D padding is unclamped (before = −1) and shifts the window', () => {
    // rows n = 3, k = 2, s = 3, same: out 1, TF total max((1 − 1)·3 + 2 − 3, 0) = 0 → rows {0, 1}: 1·1 + 2·10 = 21
    const x = [1, 2, 4]
    const w = [[1, 10]]
    expect(oursOfConfig('Conv3D', { filters: 1, kernel_size: [1, 2, 1], strides: [1, 3, 1], padding: 'same', use_bias: false }, 'keras2', w, [1, 3, 1, 1], x).data).toEqual([21])
    // tfjs: before = floor(−1 / 2) = −1 → rows {1, 2}: 2·1 + 4·10 = 42
    expect(tfjsLayer('conv3d', { filters: 1, kernelSize: [1, 2, 1], strides: [1, 3, 1], padding: 'same', useBias: false }, w, [1, 3, 1, 1], x).data).toEqual([42])
    // tfjs's own 2-D op clamps, and agrees with Keras
    const y = tf.conv2d(tf.tensor4d(x, [1, 3, 1, 1]), tf.tensor4d([1, 10], [2, 1, 1, 1]), [3, 1], 'same')
    expect(Array.from(y.dataSync())).toEqual([21])
    y.dispose()
  })

  it('Conv3DTranspose same with a stride above the kernel: tfjs shifts the output one step (padding k − s unclamped)', () => {
    // rows n = 2, k = 1 (weight 5), s = 3, same: out n·s = 6, full (n − 1)·s + 1 = 4, crop 0 → [5, 0, 0, 10, 0, 0]
    const x = [1, 2]
    const w = [[5]]
    expect(oursOfConfig('Conv3DTranspose', { filters: 1, kernel_size: 1, strides: [1, 3, 1], padding: 'same', use_bias: false }, 'keras2', w, [1, 2, 1, 1], x).data).toEqual([5, 0, 0, 10, 0, 0])
    expect(tfjsLayer('conv3dTranspose', { filters: 1, kernelSize: 1, strides: [1, 3, 1], padding: 'same', useBias: false }, w, [1, 2, 1, 1], x).data).toEqual([0, 5, 0, 0, 10, 0])
    // tfjs's 2-D transposed op agrees with Keras
    const y = tf.conv2dTranspose(tf.tensor4d(x, [1, 2, 1, 1]), tf.tensor4d([5], [1, 1, 1, 1]), [1, 6, 1, 1], [3, 1], 'same')
    expect(Array.from(y.dataSync())).toEqual([5, 0, 0, 10, 0, 0])
    y.dispose()
  })

  it('tfjs-backend-wasm conv3dTranspose with a stride > 1 gives wrong values (tfjs-backend-cpu is right)', async () => {
    // rows: x = [1, 2], kernel [1, 10, 100], stride 2, valid → Keras (family §13 T1 without the third input) [1, 10, 102, 20, 200]
    const expected = [1, 10, 102, 20, 200]
    expect(oursOfConfig('Conv3DTranspose', { filters: 1, kernel_size: [1, 1, 3], strides: [1, 1, 2], use_bias: false }, 'keras2', [[1, 10, 100]], [1, 1, 2, 1], [1, 2]).data).toEqual(expected)
    const op = () => {
      const y = tf.conv3dTranspose(tf.tensor5d([1, 2], [1, 1, 1, 2, 1]), tf.tensor5d([1, 10, 100], [1, 1, 3, 1, 1]), [1, 1, 1, 5, 1], [1, 1, 2], 'valid')
      const out = Array.from(y.dataSync())
      y.dispose()
      return out
    }
    expect(op()).toEqual(expected)
    await import('@tensorflow/tfjs-backend-wasm')
    try {
      expect(await tf.setBackend('wasm')).toBe(true)
      expect(op()).toEqual([0, 0, 100, 20, 200])
    } finally {
      await tf.setBackend('cpu')
    }
    expect(tf.getBackend()).toBe('cpu')
  })

  it('DepthwiseConv2D padding causal: tfjs runs it as valid; layerspec refuses it (Keras has no causal DepthwiseConv2D)', () => {
    const x = [1, 2, 4, 8, 16]
    expect(tfjsLayer('depthwiseConv2d', { kernelSize: [1, 2], padding: 'causal', useBias: false }, [[1, 10]], [1, 5, 1], x)).toEqual({ symbolic: [null, 1, 4, 1], shape: [1, 1, 4, 1], data: [21, 42, 84, 168] })
    const r = decodeModel({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'DepthwiseConv2D', config: { kernel_size: [1, 2], padding: 'causal', batch_input_shape: [null, 1, 5, 1] } }] } }, { dialect: 'keras2' })
    expect(E.isLeft(r) ? r.left.map((e) => e.path) : []).toEqual(['config.layers[0].config.padding'])
  })

  it('SeparableConv2D depth_multiplier: tfjs does not save it (pinned in spec/model/tfjs-spellings.spec.ts); random cases use 1', () => {
    const m = tfl.sequential({ layers: [L['separableConv2d']!({ filters: 2, kernelSize: 2, depthMultiplier: 2, inputShape: [3, 3, 2] })] })
    const saved = m.toJSON(null, false) as unknown as { config: { layers: Array<{ config: Record<string, unknown> }> } }
    expect('depth_multiplier' in (saved.config.layers[0]?.config ?? {})).toBe(false)
    m.dispose()
  })
})
