/**
 * Differential test of the spatial layer kinds against the real Keras port, @tensorflow/tfjs-layers
 * 4.22 on the cpu backend. Each seeded random case builds a one-layer tfjs Sequential model from the
 * SAME Keras JSON config that layerspec decodes (plus `batch_input_shape`), gives both the same
 * weights and the same random input, and compares the symbolic output shape, `countParams()` and the
 * values within |ours − theirs| ≤ 1e-4 · (1 + |theirs|).
 *
 * Divergences of tfjs-layers from Keras, kept out of the shared surface here and tested against
 * hand-derived Keras values in spatial-numeric.spec.ts instead:
 * - UpSampling2D `bilinear`: tfjs calls `resizeBilinear` without half-pixel centers (legacy asymmetric
 *   mapping); Keras uses TF2's half-pixel resize. The last test below pins that difference.
 * - UpSampling2D `size` as a single int: tfjs indexes `size[0]` of the number (NaN sizes); configs here
 *   give pairs.
 * - Global pooling `keepdims`: tfjs-layers has no such argument; only `keepdims: false` is compared.
 * - Upper-case `padding` ("SAME"): tfjs rejects it; configs here are lower-case.
 * - Reshape's symbolic shape: tfjs checks the batch axis too for unknown dims, so with a `null` batch it
 *   never resolves a `-1` (`[null, 2, null]`); Keras looks at the non-batch dims only and gives
 *   `[null, 2, 8]`. Here tfjs's unresolved `-1` is filled from its concrete output before comparing.
 * - DepthwiseConv2D `dilation_rate`: tfjs-layers ignores it (its `call` passes no dilation and its
 *   output shape uses the undilated kernel). Dilated cases are compared against tfjs-core's
 *   `depthwiseConv2d` op with `dilations` instead (plus the bias; activation linear), whose output
 *   shape is Keras's; the parameter count still comes from the tfjs layer.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { LayerKind } from '../../src/layers/LayerKind.js'
import { SPATIAL_KINDS } from '../../src/layers/spatial.js'
import { DepthwiseConv2DKind } from '../../src/conv/DepthwiseConv2D.js'
import { sampleInitializer } from '../../src/numerics/initializers.js'
import { uniformStream } from '../../src/numerics/random.js'
import { right } from '../helpers.js'
import { tf, tfl, TFJS_ACTIVATIONS } from '../tfjs.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kindOf = (className: string): LayerKind<any> => {
  const k = [...SPATIAL_KINDS, DepthwiseConv2DKind].find((x) => x.className === className)
  if (k === undefined) throw new Error(`no kind ${className}`)
  return k
}

interface Case {
  readonly className: string
  readonly config: Record<string, unknown>
  /** Per-sample input shape. */
  readonly shape: ReadonlyArray<number>
}

const rng = uniformStream(20261126)
const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(rng() * xs.length)] as A
const formats = ['channels_last', 'channels_first'] as const
const image = (df: string, h: number, w: number, c: number): number[] => (df === 'channels_first' ? [c, h, w] : [h, w, c])

const poolingCases = (className: string, n: number): Case[] =>
  Array.from({ length: n }, () => {
    const pool = [int(1, 3), int(1, 3)]
    const strides = pick([null, 'int', 'pair', 'omit'] as const)
    const padding = pick(['valid', 'same'])
    const df = pick(formats)
    const config: Record<string, unknown> = {
      pool_size: pool[0] === pool[1] && rng() < 0.5 ? pool[0] : pool,
      padding,
      data_format: df
    }
    if (strides === null) config['strides'] = null
    else if (strides === 'int') config['strides'] = int(1, 3)
    else if (strides === 'pair') config['strides'] = [int(1, 3), int(1, 3)]
    return { className, config, shape: image(df, int(pool[0] as number, 7), int(pool[1] as number, 7), int(1, 4)) }
  })

const globalCases = (className: string, n: number): Case[] =>
  Array.from({ length: n }, () => {
    const df = pick(formats)
    return { className, config: { data_format: df }, shape: image(df, int(1, 6), int(1, 6), int(1, 5)) }
  })

const sidePairs = (max: number): unknown =>
  pick([
    () => int(0, max),
    () => [int(0, max), int(0, max)],
    () => [
      [int(0, max), int(0, max)],
      [int(0, max), int(0, max)]
    ]
  ])()

const paddingCases = (n: number): Case[] =>
  Array.from({ length: n }, () => {
    const df = pick(formats)
    return { className: 'ZeroPadding2D', config: { padding: sidePairs(3), data_format: df }, shape: image(df, int(1, 5), int(1, 5), int(1, 3)) }
  })

const croppingCases = (n: number): Case[] =>
  Array.from({ length: n }, () => {
    const df = pick(formats)
    return { className: 'Cropping2D', config: { cropping: sidePairs(2), data_format: df }, shape: image(df, int(5, 8), int(5, 8), int(1, 3)) }
  })

const upsamplingCases = (n: number): Case[] =>
  Array.from({ length: n }, () => {
    const df = pick(formats)
    return { className: 'UpSampling2D', config: { size: [int(1, 3), int(1, 3)], data_format: df, interpolation: 'nearest' }, shape: image(df, int(1, 4), int(1, 4), int(1, 3)) }
  })

const reshapeCases = (n: number): Case[] =>
  Array.from({ length: n }, () => {
    const dims = [int(1, 4), int(1, 4), int(1, 4)]
    const size = dims.reduce((a, b) => a * b, 1)
    // a target of 1–3 dims that multiply to `size`, one of them maybe -1
    const a = pick([1, ...dims.filter((d) => size % d === 0)])
    const rest = size / a
    const target = pick([[size], [a, rest], [rest, a], [a, 1, rest]])
    const t = target.map((d) => d)
    if (rng() < 0.5) t[int(0, t.length - 1)] = -1
    return { className: 'Reshape', config: { target_shape: t }, shape: dims }
  })

// keras2 spellings (tf.keras and tfjs call silu "swish"); hard_sigmoid's formula differs between dialects.
const ACTIVATIONS = [...TFJS_ACTIVATIONS].filter((a) => a !== 'hard_sigmoid').map((a) => (a === 'silu' ? 'swish' : a))

const depthwiseCases = (n: number): Case[] =>
  Array.from({ length: n }, () => {
    const df = pick(formats)
    const k = [int(1, 3), int(1, 3)]
    const dilated = rng() < 0.3 // dilated cases run through tfjs-core (see the header)
    const d = dilated ? [int(1, 2), int(2, 3)] : [1, 1]
    const s = dilated ? [1, 1] : [int(1, 3), int(1, 2)]
    const padding = pick(['valid', 'same'])
    const config: Record<string, unknown> = {
      kernel_size: k,
      strides: s,
      padding,
      depth_multiplier: int(1, 3),
      data_format: df,
      dilation_rate: d,
      activation: dilated ? 'linear' : pick(ACTIVATIONS),
      use_bias: rng() < 0.7,
      bias_initializer: { class_name: 'RandomUniform', config: { minval: -1, maxval: 1, seed: null } }
    }
    const keff = (i: number): number => (d[i] as number) * ((k[i] as number) - 1) + 1
    return { className: 'DepthwiseConv2D', config, shape: image(df, int(keff(0), 7), int(keff(1), 7), int(1, 4)) }
  })

const CASES: ReadonlyArray<Case> = [
  ...poolingCases('MaxPooling2D', 60),
  ...poolingCases('AveragePooling2D', 60),
  ...globalCases('GlobalAveragePooling2D', 20),
  ...globalCases('GlobalMaxPooling2D', 20),
  ...paddingCases(25),
  ...croppingCases(25),
  ...upsamplingCases(25),
  ...reshapeCases(30),
  ...depthwiseCases(80)
]

const runTfjs = async (c: Case, i: number, weights: ReadonlyArray<{ shape: ReadonlyArray<number>; data: Float32Array }>, x: Float32Array, batch: number) => {
  const model = await tfl.models.modelFromJSON({
    class_name: 'Sequential',
    config: { name: `s${i}`, layers: [{ class_name: c.className, config: { ...c.config, batch_input_shape: [null, ...c.shape] } }] }
  } as never)
  const ws = weights.map((w) => tf.tensor(w.data, [...w.shape]))
  if (ws.length > 0) model.setWeights(ws)
  const input = tf.tensor(x, [batch, ...c.shape])
  const output = model.predict(input) as TfTensor
  const result = { symbolic: model.outputs[0]?.shape, count: model.countParams(), shape: output.shape, data: output.dataSync() as Float32Array }
  tf.dispose([input, output, ...ws])
  model.dispose()
  const dilation = c.config['dilation_rate'] as [number, number] | undefined
  if (c.className !== 'DepthwiseConv2D' || dilation === undefined || (dilation[0] === 1 && dilation[1] === 1)) return result
  // tfjs-layers drops the dilation: run tfjs-core's op, which has it.
  const cf = c.config['data_format'] === 'channels_first'
  const core = tf.tidy(() => {
    const xt = tf.tensor4d(x, [batch, ...c.shape] as [number, number, number, number])
    const nhwc = cf ? tf.transpose(xt, [0, 2, 3, 1]) : xt
    const kernel = tf.tensor4d((weights[0] as { data: Float32Array }).data, [...(weights[0] as { shape: ReadonlyArray<number> }).shape] as [number, number, number, number])
    let y = tf.depthwiseConv2d(nhwc, kernel, c.config['strides'] as [number, number], c.config['padding'] as 'valid' | 'same', 'NHWC', dilation)
    if (weights[1] !== undefined) y = tf.add(y, tf.tensor1d(weights[1].data))
    return cf ? tf.transpose(y, [0, 3, 1, 2]) : y
  })
  const out = { symbolic: [null, ...core.shape.slice(1)], count: result.count, shape: core.shape, data: core.dataSync() as Float32Array }
  core.dispose()
  return out
}

describe('spatial layers agree with tfjs-layers', () => {
  it(`${CASES.length} seeded configs: symbolic shape, countParams and values`, async () => {
    const failures: string[] = []
    const seen = new Map<string, number>()
    const covered = { channelsFirst: 0, avgSamePartialWindows: 0, maxSame: 0, stridesNull: 0, reshapeInferred: 0, depthMultiplier: 0, depthwiseDilated: 0, depthwiseStrided: 0, depthwiseNoBias: 0 }
    let worst = 0
    for (const [i, c] of CASES.entries()) {
      const kind = kindOf(c.className)
      const decoded = kind.codec({ dialect: 'keras2', imageDataFormat: 'channels_last' }).decode({ ...c.config, batch_input_shape: [null, ...c.shape] })
      if (E.isLeft(decoded)) throw new Error(`${c.className} ${JSON.stringify(c.config)}: ${JSON.stringify(fromValidationErrors(decoded.left))}`)
      const spec = decoded.right
      const inferred = right(kind.infer(spec, [[null, ...c.shape]]))
      const compiled = right(kind.compile(spec, [c.shape], { dtype: 'float32' }))
      const weights = compiled.weights.map((w, j) => ({ shape: w.shape, data: sampleInitializer(w.initializer, [...w.shape], 'float32', 100 * i + j) as Float32Array }))
      const batch = 1 + (i % 3)
      const next = uniformStream(5000 + i)
      const size = batch * c.shape.reduce((a, b) => a * b, 1)
      const x = Float32Array.from({ length: size }, () => next() * 4 - 2)
      const ours = compiled.forward(weights, [{ shape: [batch, ...c.shape], data: x }])
      const theirs = await runTfjs(c, i, weights, x, batch)
      const name = `#${i} ${c.className} ${JSON.stringify(c.config)} on ${JSON.stringify(c.shape)}`
      const params = inferred.weights.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0)
      const symbolic =
        c.className === 'Reshape' ? theirs.symbolic?.map((d, j) => (j > 0 && d === null ? theirs.shape[j] : d)) : theirs.symbolic
      if (JSON.stringify(inferred.outputShape) !== JSON.stringify(symbolic)) failures.push(`${name}: symbolic ${JSON.stringify(inferred.outputShape)} vs ${JSON.stringify(symbolic)}`)
      if (params !== theirs.count) failures.push(`${name}: params ${params} vs ${theirs.count}`)
      if (JSON.stringify(ours.shape) !== JSON.stringify(theirs.shape)) failures.push(`${name}: shape ${JSON.stringify(ours.shape)} vs ${JSON.stringify(theirs.shape)}`)
      else {
        let err = 0
        for (let j = 0; j < theirs.data.length; j++) {
          const t = theirs.data[j] as number
          const e = Math.abs((ours.data[j] as number) - t) / (1 + Math.abs(t))
          if (!(e <= err)) err = e
        }
        if (!(err <= 1e-4)) failures.push(`${name}: relative error ${err}`)
        worst = Math.max(worst, err)
      }
      seen.set(c.className, (seen.get(c.className) ?? 0) + 1)
      const cfg = c.config
      if (cfg['data_format'] === 'channels_first') covered.channelsFirst++
      if (c.className === 'AveragePooling2D' && cfg['padding'] === 'same') {
        const p = spec.poolSize as readonly number[]
        const st = spec.strides as readonly number[]
        const rows = c.shape[cfg['data_format'] === 'channels_first' ? 1 : 0] as number
        if ((Math.ceil(rows / (st[0] as number)) - 1) * (st[0] as number) + (p[0] as number) > rows) covered.avgSamePartialWindows++
      }
      if (c.className === 'MaxPooling2D' && cfg['padding'] === 'same') covered.maxSame++
      if (c.className.endsWith('Pooling2D') && !c.className.startsWith('Global') && (cfg['strides'] ?? null) === null) covered.stridesNull++
      if (c.className === 'Reshape' && (cfg['target_shape'] as number[]).includes(-1)) covered.reshapeInferred++
      if (c.className === 'DepthwiseConv2D') {
        if ((cfg['depth_multiplier'] as number) > 1) covered.depthMultiplier++
        if ((cfg['dilation_rate'] as number[]).some((d) => d > 1)) covered.depthwiseDilated++
        if ((cfg['strides'] as number[]).some((d) => d > 1)) covered.depthwiseStrided++
        if (cfg['use_bias'] === false) covered.depthwiseNoBias++
      }
    }
    expect(failures.slice(0, 8)).toEqual([])
    // the 2-D kinds (the 1-D / 3-D companions: spec/layers/family-companions-tfjs.spec.ts)
    expect(new Set(seen.keys())).toEqual(new Set([...SPATIAL_KINDS, DepthwiseConv2DKind].map((k) => k.className).filter((n) => n.endsWith('2D') || n === 'Reshape')))
    for (const [what, n] of Object.entries(covered)) expect(n, what).toBeGreaterThan(5)
    console.log(`spatial tfjs differential: ${CASES.length} cases, largest relative error ${worst.toExponential(2)}; coverage ${JSON.stringify(covered)}`)
  })
})

describe('tfjs-layers divergence: UpSampling2D bilinear', () => {
  it('tfjs uses the legacy asymmetric mapping; layerspec uses Keras/TF2 half-pixel centers', async () => {
    const c: Case = { className: 'UpSampling2D', config: { size: [2, 2], interpolation: 'bilinear' }, shape: [2, 2, 1] }
    const x = Float32Array.from([1, 2, 3, 4])
    const theirs = await runTfjs(c, 0, [], x, 1)
    // tfjs: source index o/2 → per-axis weights 0, .5, 1, 1 (clamped)
    expect([...theirs.data]).toEqual([1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4])
    const kind = kindOf('UpSampling2D')
    const spec = right(E.mapLeft(fromValidationErrors)(kind.codec({ dialect: 'keras2', imageDataFormat: 'channels_last' }).decode(c.config)))
    const ours = right(kind.compile(spec, [c.shape], { dtype: 'float32' })).forward([], [{ shape: [1, 2, 2, 1], data: x }])
    // Keras: source index (o + .5)/2 − .5 → per-axis weights 0, .25, .75, 1 (hand-derived in spatial-numeric.spec.ts)
    expect([...ours.data]).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4])
  })
})
