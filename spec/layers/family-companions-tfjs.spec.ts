/**
 * Differential test of the issue 14 companions TensorFlow.js has (MaxPooling1D/3D, AveragePooling1D/3D,
 * GlobalAveragePooling1D, GlobalMaxPooling1D) against @tensorflow/tfjs-layers 4.22 on the cpu backend.
 * Each seeded random case builds a one-layer Sequential model in tfjs-layers, layerspec decodes the
 * model's own `toJSON()` (a keras2 file), and both run the same random input: symbolic output shape,
 * parameter count and values (layerspec's default compile and `backend: 'js'`) are compared, the
 * values within {@link TOLERANCE} of the output's largest magnitude.
 *
 * TensorFlow.js departures from Keras (conv-family reference §12), kept out of the shared surface and
 * pinned at the end instead of copied into layerspec:
 * - MaxPooling1D / AveragePooling1D: channels_last only; a Keras config's `data_format` is ignored (a
 *   channels_first file is pooled along the wrong axis) and `toJSON` writes none. The random 1-D
 *   cases are channels_last; layerspec reads a missing keras2 `data_format` as tf.keras's literal
 *   `channels_last` default.
 * - 1-D pooling accepts `padding: "causal"` and runs it as `valid`; layerspec refuses it (TensorFlow's
 *   pooling op rejects it, Keras 3 too).
 * - GlobalAveragePooling1D / GlobalMaxPooling1D: no `data_format`, no `keepdims` (ignored: output
 *   `(batch, C)`), no masks; the random cases use neither.
 * - MaxPooling3D / AveragePooling3D `same`: tfjs-core 4.22's `get3DPadAndOutInfo` (ops/conv_util.js)
 *   computes `padAlong = (out − 1)·s + p − n` without the `max(…, 0)` its 2-D `getPadAndOutInfo` has
 *   (and TF's rule, reference §2), so on an axis where the stride is larger than the window and
 *   `(out − 1)·s + p < n`, the padding before is `floor(−1/2) = −1` and every window there is shifted one
 *   element forward. Such cases (found below) are compared on shapes only, counted, and the departure
 *   is pinned at the end against hand-derived Keras values (layerspec: TF's clamped split).
 * - GlobalAveragePooling3D, GlobalMaxPooling3D, UpSampling1D/3D, ZeroPadding1D/3D, Cropping1D/3D: no
 *   tfjs-layers class ("Unknown layer"); they are checked against Keras's own fixtures only
 *   (family-companions-golden.spec.ts).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import type { Tensor } from '../../src/core/Tensor.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { uniformStream } from '../../src/numerics/random.js'
import { right } from '../helpers.js'
import { tf, tfl } from '../tfjs.js'

/** Largest error allowed, relative to the largest magnitude of tfjs's output (float32 sums in another order). */
const TOLERANCE = 1e-6

type TfjsClass = 'MaxPooling1D' | 'AveragePooling1D' | 'MaxPooling3D' | 'AveragePooling3D' | 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D'

interface Case {
  readonly className: TfjsClass
  /** tfjs-layers constructor arguments (camelCase), `inputShape` included. */
  readonly args: Record<string, unknown>
  /** Per-sample input shape. */
  readonly shape: ReadonlyArray<number>
}

const rng = uniformStream(20261214)
const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(rng() * xs.length)] as A

const pooling1dCases = (className: TfjsClass, n: number): Case[] =>
  Array.from({ length: n }, () => {
    const p = int(1, 4)
    const padding = pick(['valid', 'same'] as const)
    const strides = pick([undefined, 'int', 'list'] as const)
    const s = int(1, 3)
    const steps = (padding === 'valid' ? p : 1) + int(0, 7)
    const shape = [steps, int(1, 4)]
    const args: Record<string, unknown> = { poolSize: rng() < 0.5 ? p : [p], padding, inputShape: shape }
    if (strides === 'int') args['strides'] = s
    if (strides === 'list') args['strides'] = [s]
    return { className, args, shape }
  })

const pooling3dCases = (className: TfjsClass, n: number): Case[] =>
  Array.from({ length: n }, () => {
    const p = [int(1, 3), int(1, 3), int(1, 3)]
    const padding = pick(['valid', 'same'] as const)
    const dataFormat = pick(['channelsLast', 'channelsFirst'] as const)
    const strides = pick([undefined, 'int', 'list'] as const)
    const spatial = p.map((k) => (padding === 'valid' ? k : 1) + int(0, 3))
    const channels = int(1, 3)
    const shape = dataFormat === 'channelsFirst' ? [channels, ...spatial] : [...spatial, channels]
    const cube = p[0] === p[1] && p[1] === p[2] && rng() < 0.5
    const args: Record<string, unknown> = { poolSize: cube ? p[0] : p, padding, dataFormat, inputShape: shape }
    if (strides === 'int') args['strides'] = int(1, 3)
    if (strides === 'list') args['strides'] = [int(1, 3), int(1, 3), int(1, 3)]
    return { className, args, shape }
  })

const global1dCases = (className: TfjsClass, n: number): Case[] =>
  Array.from({ length: n }, () => {
    const shape = [int(1, 7), int(1, 5)]
    return { className, args: { inputShape: shape }, shape }
  })

const CASES: ReadonlyArray<Case> = [
  ...pooling1dCases('MaxPooling1D', 40),
  ...pooling1dCases('AveragePooling1D', 40),
  ...pooling3dCases('MaxPooling3D', 40),
  ...pooling3dCases('AveragePooling3D', 40),
  ...global1dCases('GlobalAveragePooling1D', 15),
  ...global1dCases('GlobalMaxPooling1D', 15)
]

const LAYER: Readonly<Record<TfjsClass, (args: Record<string, unknown>) => tfl.layers.Layer>> = {
  MaxPooling1D: (a) => tfl.layers.maxPooling1d(a as never),
  AveragePooling1D: (a) => tfl.layers.averagePooling1d(a as never),
  MaxPooling3D: (a) => tfl.layers.maxPooling3d(a as never),
  AveragePooling3D: (a) => tfl.layers.averagePooling3d(a as never),
  GlobalAveragePooling1D: (a) => tfl.layers.globalAveragePooling1d(a as never),
  GlobalMaxPooling1D: (a) => tfl.layers.globalMaxPooling1d(a as never)
}

/** The resolved `[pool, stride]` per spatial axis of a window pooling case. */
const windows = (c: Case): ReadonlyArray<readonly [number, number]> => {
  const rank = c.className.endsWith('3D') ? 3 : 1
  const tuple = (u: unknown): number[] => (u === undefined ? [] : Array.isArray(u) ? (u as number[]) : Array.from({ length: rank }, () => u as number))
  const p = tuple(c.args['poolSize'])
  const s = c.args['strides'] === undefined ? p : tuple(c.args['strides'])
  return p.map((k, i) => [k, s[i] as number] as const)
}

/** The spatial lengths of a case's input. */
const spatialOf = (c: Case): ReadonlyArray<number> => (c.args['dataFormat'] === 'channelsFirst' ? c.shape.slice(1) : c.shape.slice(0, -1))

/**
 * A 3-D `same` case where TF's padding total `(out − 1)·s + p − n` is negative on some axis (clamped to
 * 0 by TF, Keras and layerspec; not by tfjs-core's 3-D pooling: see the header).
 */
const tfjsNegativeSamePadding = (c: Case): boolean =>
  c.className.endsWith('Pooling3D') &&
  c.args['padding'] === 'same' &&
  windows(c).some(([p, s], i) => {
    const n = spatialOf(c)[i] as number
    return (Math.ceil(n / s) - 1) * s + p - n < 0
  })

const maxAbs = (xs: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i] as number))
  return m
}

describe('issue 14 companions agree with tfjs-layers (its own toJSON, decoded by layerspec)', () => {
  it(`${CASES.length} seeded configs: symbolic shape, parameters and values (default compile and backend js)`, () => {
    const failures: string[] = []
    const worst = new Map<string, number>()
    const covered = { avgSamePartial: 0, maxSame: 0, stridesOmitted: 0, strideAboveWindow: 0, channelsFirst3D: 0, batchAboveOne: 0 }
    let departures = 0
    for (const [i, c] of CASES.entries()) {
      const name = `#${i} ${c.className} ${JSON.stringify(c.args)}`
      const model = tfl.sequential({ layers: [LAYER[c.className](c.args)] })
      const topology = model.toJSON(null, false)
      const batch = 1 + (i % 3)
      const next = uniformStream(7000 + i)
      const size = batch * c.shape.reduce((a, b) => a * b, 1)
      const x = Float32Array.from({ length: size }, () => next() * 4 - 2)
      const input = tf.tensor(x, [batch, ...c.shape])
      const predicted = model.predict(input) as TfTensor
      const theirs = { shape: predicted.shape, data: predicted.dataSync() as Float32Array, symbolic: model.outputs[0]?.shape, params: model.countParams() }
      tf.dispose([input, predicted])
      model.dispose()

      const decoded = decodeModelFile(topology)
      if (E.isLeft(decoded)) {
        failures.push(`${name}: toJSON does not decode: ${JSON.stringify(decoded.left)}`)
        continue
      }
      const spec = decoded.right.model
      expect(spec.dialect).toBe('keras2')
      const summary = right(inferModel(spec))
      if (JSON.stringify(summary.outputShapes[0]) !== JSON.stringify(theirs.symbolic)) failures.push(`${name}: symbolic ${JSON.stringify(summary.outputShapes[0])} vs ${JSON.stringify(theirs.symbolic)}`)
      if (summary.params !== theirs.params) failures.push(`${name}: params ${summary.params} vs ${theirs.params}`)
      const departs = tfjsNegativeSamePadding(c)
      if (departs) departures++
      for (const [run, options] of [
        ['default', {}],
        ['js', { backend: 'js' }]
      ] as const) {
        const compiled = right(compileModel(spec, options))
        const ours = compiled.forward([], [{ shape: [batch, ...c.shape], data: x }])[0] as Tensor
        if (JSON.stringify(ours.shape) !== JSON.stringify(theirs.shape)) {
          failures.push(`${name} (${run}): shape ${JSON.stringify(ours.shape)} vs ${JSON.stringify(theirs.shape)}`)
          continue
        }
        if (departs) continue
        const scale = Math.max(maxAbs(theirs.data), 1e-30)
        let err = 0
        theirs.data.forEach((t, j) => {
          const e = Math.abs((ours.data[j] as number) - t) / scale
          if (!(e <= err)) err = e
        })
        if (!(err <= TOLERANCE)) failures.push(`${name} (${run}): relative error ${err}`)
        worst.set(c.className, Math.max(worst.get(c.className) ?? 0, err))
      }
      // coverage of the interesting corners
      const a = c.args
      const padding = a['padding']
      if (c.className.startsWith('Average') && padding === 'same' && !departs) {
        if (windows(c).some(([p, st], k) => {
          const n = spatialOf(c)[k] as number
          return (Math.ceil(n / st) - 1) * st + p > n
        })) covered.avgSamePartial++
      }
      if (c.className.startsWith('Max') && padding === 'same') covered.maxSame++
      if (!c.className.startsWith('Global') && a['strides'] === undefined) covered.stridesOmitted++
      if (!c.className.startsWith('Global') && !departs && windows(c).some(([p, st]) => st > p)) covered.strideAboveWindow++
      if (c.className.endsWith('3D') && a['dataFormat'] === 'channelsFirst') covered.channelsFirst3D++
      if (batch > 1) covered.batchAboveOne++
    }
    expect(failures.slice(0, 8)).toEqual([])
    for (const [what, n] of Object.entries(covered)) expect(n, what).toBeGreaterThan(5)
    expect(departures).toBeGreaterThan(0)
    console.log(
      `companions tfjs differential: ${CASES.length} cases (${departures} 3-D same cases on tfjs's unclamped padding compared on shapes only); largest relative error ${[...worst].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; coverage ${JSON.stringify(covered)}`
    )
  })
})

// -------------------------------------------------------------------------------------
// tfjs departures, pinned
// -------------------------------------------------------------------------------------

/** tfjs-layers' output for a one-layer Keras JSON model (as tf.keras would write it) on `x`. */
const tfjsOfKerasJson = async (className: string, config: Record<string, unknown>, shape: ReadonlyArray<number>, x: ReadonlyArray<number>) => {
  const model = await tfl.models.modelFromJSON({
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: className, config: { ...config, batch_input_shape: [null, ...shape] } }] }
  } as never)
  const input = tf.tensor(Float32Array.from(x), [1, ...shape])
  const y = model.predict(input) as TfTensor
  const out = { shape: y.shape, data: Array.from(y.dataSync()) }
  tf.dispose([input, y])
  model.dispose()
  return out
}

/** layerspec's output for the same keras2 JSON model. */
const oursOfKerasJson = (className: string, config: Record<string, unknown>, shape: ReadonlyArray<number>, x: ReadonlyArray<number>) => {
  const file = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: className, config: { ...config, batch_input_shape: [null, ...shape] } }] }, keras_version: '2.15.0' }
  const compiled = right(compileModel(right(decodeModelFile(file)).model))
  const y = compiled.forward([], [{ shape: [1, ...shape], data: Float32Array.from(x) }])[0] as Tensor
  return { shape: [...y.shape], data: Array.from(y.data) }
}

describe('tfjs-layers departures from Keras, pinned (layerspec follows Keras)', () => {
  it('MaxPooling1D channels_first: tfjs ignores data_format and pools the channel axis', async () => {
    // NCW x (2 channels, 4 steps): channel 0 = 1 2 3 4, channel 1 = 8 7 6 5. Keras: pool the steps → (1, 2, 2) [2, 4, 8, 6].
    const x = [1, 2, 3, 4, 8, 7, 6, 5]
    const config = { pool_size: [2], strides: [2], padding: 'valid', data_format: 'channels_first' }
    expect(oursOfKerasJson('MaxPooling1D', config, [2, 4], x)).toEqual({ shape: [1, 2, 2], data: [2, 4, 8, 6] })
    // tfjs reads (2, 4) as 2 steps × 4 channels: one window over both "steps" → (1, 1, 4) [8, 7, 6, 5]
    expect(await tfjsOfKerasJson('MaxPooling1D', config, [2, 4], x)).toEqual({ shape: [1, 1, 4], data: [8, 7, 6, 5] })
  })

  it('AveragePooling1D padding "causal": tfjs runs it as valid; layerspec refuses it at the padding', async () => {
    const config = { pool_size: [2], strides: [1], padding: 'causal' }
    expect(await tfjsOfKerasJson('AveragePooling1D', config, [3, 1], [1, 2, 4])).toEqual({ shape: [1, 2, 1], data: [1.5, 3] })
    const file = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'AveragePooling1D', config: { ...config, batch_input_shape: [null, 3, 1] } }] }, keras_version: '2.15.0' }
    const decoded = decodeModelFile(file)
    const errors = E.isLeft(decoded) ? decoded.left : []
    expect(errors.map((e) => e.path)).toEqual(['config.layers[0].config.padding'])
    expect(errors[0]?.message).toContain('pooling has no causal padding')
  })

  it('GlobalAveragePooling1D keepdims: tfjs ignores it (output (batch, C)); Keras keeps the steps axis as 1', async () => {
    const config = { keepdims: true }
    const x = [1, -1, 2, -2, 6, -6]
    expect(await tfjsOfKerasJson('GlobalAveragePooling1D', config, [3, 2], x)).toEqual({ shape: [1, 2], data: [3, -3] })
    expect(oursOfKerasJson('GlobalAveragePooling1D', config, [3, 2], x)).toEqual({ shape: [1, 1, 2], data: [3, -3] })
  })

  it('MaxPooling3D / AveragePooling3D same with a stride above the window: tfjs shifts the windows (unclamped padding)', async () => {
    // (D, H, W, C) = (1, 3, 1, 2), pool (1, 2, 2), strides (2, 3, 2), same. Pixels along the rows: (3, −1), (5, 2), (−4, 7).
    // rows: out ⌈3/3⌉ = 1, total max((1−1)·3 + 2 − 3, 0) = 0 → window rows {0, 1}; cols: n 1, p 2, s 2 → out 1,
    // total 1 → {0}. Keras: max (5, 2), mean (4, 0.5). tfjs: top = floor(−1/2) = −1 → rows {1, 2}: max (5, 7), mean (0.5, 4.5).
    const x = [3, -1, 5, 2, -4, 7]
    const config = { pool_size: [1, 2, 2], strides: [2, 3, 2], padding: 'same', data_format: 'channels_last' }
    expect(oursOfKerasJson('MaxPooling3D', config, [1, 3, 1, 2], x)).toEqual({ shape: [1, 1, 1, 1, 2], data: [5, 2] })
    expect(oursOfKerasJson('AveragePooling3D', config, [1, 3, 1, 2], x)).toEqual({ shape: [1, 1, 1, 1, 2], data: [4, 0.5] })
    expect(await tfjsOfKerasJson('MaxPooling3D', config, [1, 3, 1, 2], x)).toEqual({ shape: [1, 1, 1, 1, 2], data: [5, 7] })
    expect(await tfjsOfKerasJson('AveragePooling3D', config, [1, 3, 1, 2], x)).toEqual({ shape: [1, 1, 1, 1, 2], data: [0.5, 4.5] })
    // tfjs's own 2-D pooling clamps: the same rows pooled as an image give Keras's values
    const y = tf.maxPool(tf.tensor4d(x, [1, 3, 1, 2]), [2, 2], [3, 2], 'same')
    expect(Array.from(y.dataSync())).toEqual([5, 2])
    y.dispose()
  })

  it.each(['GlobalAveragePooling3D', 'GlobalMaxPooling3D', 'UpSampling1D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding3D', 'Cropping1D', 'Cropping3D'])(
    '%s: no tfjs-layers class',
    (className) => {
      expect(tf.serialization.SerializationMap.getMap().classNameMap[className]).toBeUndefined()
    }
  )
})
