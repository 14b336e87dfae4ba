/**
 * The order of an ordered weight list (`assignOrderedWeights(compiled, values, { order })`), against
 * the real producer: @tensorflow/tfjs-layers 4.22 on the cpu backend. Each model is loaded in tfjs
 * (`tfl.models.modelFromJSON` on the file's topology), given seeded weights (`setWeights`), and its
 * `model.getWeights()` handed to layerspec with `order: 'trainable_first'`. Checked:
 * - the order itself: layerspec's `weightsInOrder(compiled, 'trainable_first')` names exactly the
 *   weights tfjs lists, position by position (tfjs's `originalName` = layerspec's `layer/weight`);
 * - each value lands on the layerspec weight of the same name, with the same shape and values;
 * - layerspec's forward output equals tfjs's `model.predict` on the same seeded input within
 *   1e-4 · (1 + |tfjs|) (the tolerance of tfjs-producer.spec.ts);
 * - the same list in the default `'layers'` order fails with the error that names the right order,
 *   and the list rearranged into Keras's layer order (by name) loads with the default and fails
 *   with `'trainable_first'` the same way.
 *
 * Files: examples/models/channels-first.tf24.json (tf.keras 2.4, BatchNormalization on axis 1),
 * examples/tfjs/model.json (saved by tfjs-layers 4.22), and the real MobileNet v1 (D, Keras 2.2.0, run
 * at 128×128) and MobileNetV2 (F, tf.keras 2.4: the whole backbone `trainable: false` under a trainable
 * head) from spec/fixtures/shared/real-keras-models.
 *
 * channels-first.tf24.json: tfjs-layers 4.22 on the cpu backend normalizes BatchNormalization(axis 1)
 * with the statistics of channel (flat index mod C) (pinned in tfjs-producer.spec.ts), so there the
 * reference runs the tfjs model layer by layer with Keras's per-channel formula (in tf ops) for those
 * layers, and tfjs's own Conv2D / pooling / Dense for the rest.
 *
 * Measured here too (the tests pin it): a layer with `trainable: false` goes to the non-trainable part
 * whole (a frozen Conv2D's kernel and bias; a frozen BatchNormalization's gamma, beta, moving_mean,
 * moving_variance, in that order), inside a nested model as well; tfjs keeps the layer order within
 * each part. A nested model frozen in tfjs (`inner.trainable = false`) puts its weights in the
 * non-trainable part in layer order, but `toJSON` does not write that flag and `modelFromJSON`
 * ignores a model's own `trainable: false`.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core'
import type { SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { compileModel, type CompiledModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import type { ModelWeight } from '../../src/model/infer.js'
import { assignOrderedWeights, weightsInOrder, type OrderedWeightValues } from '../../src/model/weights.js'
import { uniformStream } from '../../src/numerics/random.js'
import { left, readJson, readShared, right } from '../helpers.js'
import { tf, tfl } from '../tfjs.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)
const keyOf = (w: ModelWeight): string => `${w.layer}/${w.name}`
const messages = (errors: ReadonlyArray<SpecError>): string => errors.map((e) => `${e.path}: ${e.message}`).join('\n')

/**
 * Seeded weights for every weight of a tfjs model, in `model.weights` order: kernels uniform with
 * variance 1/fan-in, biases / beta / moving_mean in ±0.2, gamma and moving_variance in [0.5, 1.5), so
 * that every BatchNormalization really normalizes and no two weights hold the same values.
 */
const seededWeights = (model: tfl.LayersModel, seed: number): TfTensor[] => {
  const rng = uniformStream(seed)
  const uniform = (a: number, b: number) => (): number => a + (b - a) * rng()
  return model.weights.map((w) => {
    const shape = w.shape as number[]
    const n = sizeOf(shape)
    const base = w.originalName.split('/').pop()
    const fanIn = base === 'depthwise_kernel' ? (shape[0] as number) * (shape[1] as number) : n / (shape[shape.length - 1] as number)
    const draw =
      base === 'gamma' || base === 'moving_variance'
        ? uniform(0.5, 1.5)
        : base === 'beta' || base === 'moving_mean' || base === 'bias'
          ? uniform(-0.2, 0.2)
          : uniform(-Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn))
    return tf.tensor(Float32Array.from({ length: n }, draw), shape)
  })
}

interface Listed {
  /** tfjs `model.getWeights()` as `{ shape, data }`, in tfjs's order. */
  readonly values: ReadonlyArray<{ readonly shape: number[]; readonly data: Float32Array }>
  /** The tfjs name of each entry (`originalName`: `layer/weight`). */
  readonly names: ReadonlyArray<string>
}

/** Sets seeded weights on a tfjs model and reads `getWeights()` back with each entry's name. */
const listFromTfjs = (model: tfl.LayersModel, seed: number): Listed => {
  const seeded = seededWeights(model, seed)
  model.setWeights(seeded)
  tf.dispose(seeded)
  // getWeights() returns the model's variables themselves: read, never dispose
  const values = model.getWeights().map((t) => ({ shape: [...t.shape], data: t.dataSync() as Float32Array }))
  return { values, names: model.weights.map((w) => w.originalName) }
}

/** (a): every layerspec weight holds the tfjs weight of the same name: same shape, same values. */
const expectLandedByName = (compiled: CompiledModel, params: ModelParams, listed: Listed): void => {
  const byName = new Map(listed.names.map((n, i) => [n, listed.values[i]] as const))
  expect(byName.size, 'tfjs weight names are unique').toBe(listed.names.length)
  expect(compiled.weights.map(keyOf).sort()).toEqual([...listed.names].sort())
  compiled.weights.forEach((w, j) => {
    const theirs = byName.get(keyOf(w))
    const mine = params[j] as Tensor
    expect(mine.shape, w.path).toEqual(theirs?.shape)
    let differing = 0
    for (let k = 0; k < mine.data.length; k++) if (mine.data[k] !== theirs?.data[k]) differing++
    expect(differing, `${w.path}: values differing from tfjs's "${keyOf(w)}"`).toBe(0)
  })
}

/** Seeded inputs in [-1, 1) for each model input, batch first. */
const seededInputs = (compiled: CompiledModel, batch: number, seed: number): Tensor[] => {
  const rng = uniformStream(seed)
  return compiled.inputShapes.map((s) => {
    const shape = [batch, ...s]
    return { shape, data: Float32Array.from({ length: sizeOf(shape) }, () => 2 * rng() - 1) }
  })
}

/** (b): |ours − theirs| ≤ 1e-4 · (1 + |theirs|) everywhere; returns the largest relative error. */
const expectClose = (label: string, ours: ReadonlyArray<Tensor>, theirs: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }>): number => {
  expect(ours.length).toBe(theirs.length)
  let worst = 0
  theirs.forEach((t, o) => {
    const mine = ours[o] as Tensor
    expect(mine.shape, `${label} output ${o} shape`).toEqual([...t.shape])
    let bad = 0
    for (let i = 0; i < t.data.length; i++) {
      const e = t.data[i] as number
      const rel = Math.abs((mine.data[i] as number) - e) / (1 + Math.abs(e))
      if (!(rel <= 1e-4)) bad++
      else worst = Math.max(worst, rel)
    }
    expect(bad, `${label}: values of output ${o} differing by more than 1e-4·(1 + |tfjs|)`).toBe(0)
  })
  return worst
}

/** tfjs's `predict` on the given inputs, as plain tensors. */
const tfjsPredict = (model: tfl.LayersModel, inputs: ReadonlyArray<Tensor>): Array<{ shape: number[]; data: Float32Array }> => {
  const xs = inputs.map((x) => tf.tensor(Float32Array.from(x.data), [...x.shape]))
  const predicted = model.predict(xs.length === 1 ? (xs[0] as TfTensor) : xs) as TfTensor | TfTensor[]
  const out = (Array.isArray(predicted) ? predicted : [predicted]).map((t) => ({ shape: [...t.shape], data: t.dataSync() as Float32Array }))
  tf.dispose([...xs, ...(Array.isArray(predicted) ? predicted : [predicted])])
  return out
}

/**
 * A Sequential tfjs model run layer by layer, with Keras's inference formula for each
 * BatchNormalization on axis 1 ((x − mean_c) / √(var_c + ε) · γ_c + β_c, broadcast over channel axis 1)
 * where tfjs-layers 4.22 (cpu) indexes the statistics by flat position mod C.
 */
const tfjsWithKerasBatchNormAxis1 = (model: tfl.LayersModel, input: Tensor): { shape: number[]; data: Float32Array } => {
  const out = tf.tidy(() => {
    let x = tf.tensor(Float32Array.from(input.data), [...input.shape])
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue
      const config = layer.getConfig()
      const axis = config['axis']
      if (layer.getClassName() === 'BatchNormalization' && (axis === 1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === 1))) {
        const [gamma, beta, mean, variance] = layer.getWeights() as [TfTensor, TfTensor, TfTensor, TfTensor]
        const c = [1, gamma.shape[0] as number, ...x.shape.slice(2).map(() => 1)]
        const scale = tf.div(tf.reshape(gamma, c), tf.sqrt(tf.add(tf.reshape(variance, c), config['epsilon'] as number)))
        x = tf.add(tf.mul(tf.sub(x, tf.reshape(mean, c)), scale), tf.reshape(beta, c))
      } else {
        x = layer.apply(x) as TfTensor
      }
    }
    return x
  })
  const result = { shape: [...out.shape], data: out.dataSync() as Float32Array }
  out.dispose()
  return result
}

// -------------------------------------------------------------------------------------
// the shipped and the real files
// -------------------------------------------------------------------------------------

/** A copy of a Keras model file whose InputLayer declares `[null, ...shape]`. */
const atInputSize = (json: unknown, shape: ReadonlyArray<number>): unknown => {
  const copy = structuredClone(json) as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
  const input = copy.config.layers.find((l) => l.class_name === 'InputLayer')
  if (input === undefined) throw new Error('no InputLayer')
  input.config['batch_input_shape'] = [null, ...shape]
  return copy
}

interface FileCase {
  readonly label: string
  readonly json: () => unknown
  readonly batch: number
  /** BatchNormalization on axis 1: compare against Keras's formula inside the tfjs run (see top). */
  readonly batchNormAxis1?: boolean
  /** How many trainable weights tfjs lists first (measured), and its first non-trainable one. */
  readonly trainable: number
  readonly firstNonTrainable: string
}

const FILES: ReadonlyArray<FileCase> = [
  {
    label: 'examples/models/channels-first.tf24.json (tf.keras 2.4, BatchNormalization on axis 1)',
    json: () => readJson('examples/models/channels-first.tf24.json'),
    batch: 2,
    batchNormAxis1: true,
    trainable: 8,
    firstNonTrainable: 'batch_normalization/moving_mean'
  },
  {
    label: 'examples/tfjs/model.json (saved by tfjs-layers 4.22)',
    json: () => readJson('examples/tfjs/model.json'),
    batch: 3,
    trainable: 8,
    firstNonTrainable: 'batch_normalization_BatchNormalization1/moving_mean'
  },
  {
    // the file's graph and weights, run at 128×128 instead of 224×224 (a third of the time; its global
    // pooling makes the weights independent of the input size)
    label: 'D.json: MobileNet v1 (Keras 2.2.0), at 128×128',
    json: () => atInputSize(readShared('real-keras-models/D.json'), [128, 128, 3]),
    batch: 1,
    trainable: 83,
    firstNonTrainable: 'conv1_bn/moving_mean'
  },
  {
    label: 'F.json: MobileNetV2 backbone with trainable: false under a trainable head (tf.keras 2.4)',
    json: () => readShared('real-keras-models/F.json'),
    batch: 1,
    trainable: 4,
    // the frozen backbone's first Conv2D kernel: a frozen layer's kernel is non-trainable in tfjs
    firstNonTrainable: 'Conv1/kernel'
  }
]

describe('assignOrderedWeights with TensorFlow.js getWeights() (tfjs-layers 4.22, cpu)', () => {
  it.each(FILES.map((f, i) => [f.label, f, i] as const))('%s', async (_label, file, index) => {
    const json = file.json() as Record<string, unknown>
    const compiled = right(compileModel(right(decodeModelFile(json)).model))
    const model = await tfl.models.modelFromJSON({ modelTopology: (json['modelTopology'] ?? json) as never })
    const listed = listFromTfjs(model, 9100 + index)

    // the order: tfjs lists trainable weights first (measured), and layerspec names the same list
    expect(model.trainableWeights.length).toBe(file.trainable)
    expect(listed.names[file.trainable]).toBe(file.firstNonTrainable)
    expect(weightsInOrder(compiled, 'trainable_first').map(keyOf)).toEqual(listed.names)
    expect(weightsInOrder(compiled, 'layers')).toEqual(compiled.weights)
    expect(weightsInOrder(compiled, 'layers').map(keyOf)).not.toEqual(listed.names)

    // (a) each weight lands on the layerspec weight of the same name and shape
    const params = right(assignOrderedWeights(compiled, listed.values, { order: 'trainable_first' }))
    expectLandedByName(compiled, params, listed)
    // flat values (tfjs dataSync() alone) are placed the same way
    const flat = right(assignOrderedWeights(compiled, listed.values.map((v) => v.data), { order: 'trainable_first' }))
    expect(flat.map((p) => p.shape)).toEqual(params.map((p) => p.shape))
    expect(flat.every((p, j) => p.data.every((x, k) => x === params[j]?.data[k]))).toBe(true)

    // (b) layerspec's forward equals tfjs's predict on the same input
    const inputs = seededInputs(compiled, file.batch, 9200 + index)
    const ours = compiled.forward(params, inputs)
    const theirs = file.batchNormAxis1 === true ? [tfjsWithKerasBatchNormAxis1(model, inputs[0] as Tensor)] : tfjsPredict(model, inputs)
    const worst = expectClose(file.label, ours, theirs)
    console.log(`weight order, ${file.label}: largest relative error vs tfjs ${worst.toExponential(2)}`)

    // (c) the same list in the default 'layers' order: one error naming the order that fits
    for (const given of [listed.values, listed.values.map((v) => v.data)]) {
      const errors = left(assignOrderedWeights(compiled, given))
      expect(errors.map((e) => e.path)).toEqual(['weights'])
      expect(errors[0]?.message).toContain("do not fit the 'layers' order")
      expect(errors[0]?.message).toContain("these shapes fit the 'trainable_first' order (TensorFlow.js getWeights()")
      expect(errors[0]?.message).toContain("pass { order: 'trainable_first' }")
      expect((errors[0]?.message.length ?? 0) < 600, 'a bounded message').toBe(true)
    }

    // the same weights in Keras's layer order: the default takes them, 'trainable_first' explains
    const byName = new Map(listed.names.map((n, i) => [n, listed.values[i]] as const))
    const kerasOrder = compiled.weights.map((w) => byName.get(keyOf(w)) as OrderedWeightValues)
    const fromKeras = right(assignOrderedWeights(compiled, kerasOrder))
    expect(fromKeras.every((p, j) => p.data.every((x, k) => x === params[j]?.data[k]))).toBe(true)
    const errors = left(assignOrderedWeights(compiled, kerasOrder, { order: 'trainable_first' }))
    expect(errors.map((e) => e.path)).toEqual(['weights'])
    expect(errors[0]?.message).toContain("these shapes fit the 'layers' order (Keras get_weights()")
    expect(errors[0]?.message).toContain("pass { order: 'layers' }")
    model.dispose()
  })
})

// -------------------------------------------------------------------------------------
// frozen layers and nested models, built in tfjs
// -------------------------------------------------------------------------------------

let nextSeed = 9301
const glorot = (): ReturnType<typeof tfl.initializers.glorotUniform> => tfl.initializers.glorotUniform({ seed: nextSeed++ })
const conv = (args: Parameters<typeof tfl.layers.conv2d>[0]): ReturnType<typeof tfl.layers.conv2d> => tfl.layers.conv2d({ kernelInitializer: glorot(), ...args })
const apply = (layer: { apply: (x: tfl.SymbolicTensor) => unknown }, x: tfl.SymbolicTensor): tfl.SymbolicTensor => layer.apply(x) as tfl.SymbolicTensor

/**
 * x [6, 6, 2] → pre (Conv2D 1×1) → inner (a nested Sequential: ic1 Conv2D, ibn BatchNormalization
 * `trainable: false`, ic2 Conv2D) → fz (Conv2D, `trainable: false`) → obn (BatchNormalization) →
 * Flatten → od (Dense).
 */
const buildFrozen = (): { readonly model: tfl.LayersModel; readonly inner: tfl.Sequential } => {
  const inner = tfl.sequential({ name: 'inner' })
  inner.add(conv({ inputShape: [6, 6, 2], filters: 3, kernelSize: 2, name: 'ic1' }))
  inner.add(tfl.layers.batchNormalization({ name: 'ibn', trainable: false }))
  inner.add(conv({ filters: 3, kernelSize: 2, name: 'ic2' }))
  const x = tfl.input({ shape: [6, 6, 2], name: 'x' })
  const a = apply(conv({ filters: 2, kernelSize: 1, name: 'pre' }), x)
  const b = apply(inner, a)
  const c = apply(conv({ filters: 4, kernelSize: 1, name: 'fz', trainable: false }), b)
  const d = apply(tfl.layers.batchNormalization({ name: 'obn' }), c)
  const y = apply(tfl.layers.dense({ units: 2, kernelInitializer: glorot(), name: 'od' }), apply(tfl.layers.flatten({ name: 'of' }), d))
  return { model: tfl.model({ inputs: x, outputs: y, name: 'outer' }), inner }
}

/** layerspec on a tfjs topology, the weights assigned from tfjs's getWeights(), compared with tfjs. */
const checkAgainstTfjs = (label: string, topology: unknown, model: tfl.LayersModel, listed: Listed): CompiledModel => {
  const compiled = right(compileModel(right(decodeModelFile(topology)).model))
  expect(weightsInOrder(compiled, 'trainable_first').map(keyOf)).toEqual(listed.names)
  const params = right(assignOrderedWeights(compiled, listed.values, { order: 'trainable_first' }))
  expectLandedByName(compiled, params, listed)
  const inputs = seededInputs(compiled, 3, nextSeed++)
  expectClose(label, compiled.forward(params, inputs), tfjsPredict(model, inputs))
  const errors = left(assignOrderedWeights(compiled, listed.values))
  expect(messages(errors)).toContain("pass { order: 'trainable_first' }")
  return compiled
}

describe('frozen layers and nested models (tfjs-layers 4.22, measured)', () => {
  it('a layer with trainable: false goes wholly to the non-trainable part, inside a nested model too; layerspec lists the same', () => {
    const { model } = buildFrozen()
    const listed = listFromTfjs(model, 9401)
    expect(listed.names).toEqual([
      // trainable, in layer order (the nested model's in its place)
      'pre/kernel', 'pre/bias', 'ic1/kernel', 'ic1/bias', 'ic2/kernel', 'ic2/bias', 'obn/gamma', 'obn/beta', 'od/kernel', 'od/bias',
      // non-trainable, in layer order: the frozen BatchNormalization whole, the frozen Conv2D's kernel and bias, moving statistics
      'ibn/gamma', 'ibn/beta', 'ibn/moving_mean', 'ibn/moving_variance', 'fz/kernel', 'fz/bias', 'obn/moving_mean', 'obn/moving_variance'
    ])
    const topology = model.toJSON(null, false)
    const compiled = checkAgainstTfjs('frozen layers', topology, model, listed)
    expect(compiled.weights.filter((w) => !w.trainable).map((w) => w.path)).toEqual([
      'inner/ibn/gamma', 'inner/ibn/beta', 'inner/ibn/moving_mean', 'inner/ibn/moving_variance', 'fz/kernel', 'fz/bias', 'obn/moving_mean', 'obn/moving_variance'
    ])
    model.dispose()
  })

  it('a nested model frozen in tfjs (inner.trainable = false): its weights go to the non-trainable part in layer order; layerspec gives that order for a nested model with trainable: false', () => {
    const { model, inner } = buildFrozen()
    inner.trainable = false
    const listed = listFromTfjs(model, 9402)
    expect(listed.names).toEqual([
      'pre/kernel', 'pre/bias', 'obn/gamma', 'obn/beta', 'od/kernel', 'od/bias',
      'ic1/kernel', 'ic1/bias', 'ibn/gamma', 'ibn/beta', 'ibn/moving_mean', 'ibn/moving_variance', 'ic2/kernel', 'ic2/bias',
      'fz/kernel', 'fz/bias', 'obn/moving_mean', 'obn/moving_variance'
    ])
    // tfjs does not write the nested model's flag; Keras writes it as the nested model's `trainable`
    const topology = model.toJSON(null, false) as unknown as { config: { layers: Array<{ name: string; config: Record<string, unknown> }> } }
    const nested = topology.config.layers.find((l) => l.name === 'inner')
    expect(nested?.config['trainable']).toBeUndefined()
    ;(nested as { config: Record<string, unknown> }).config['trainable'] = false
    checkAgainstTfjs('frozen nested model', topology, model, listed)
    model.dispose()
  })

  it('pinned: tfjs modelFromJSON ignores a model\'s own trainable: false (nested or top-level), so its getWeights() counts those weights as trainable', async () => {
    const { model } = buildFrozen()
    const topology = model.toJSON(null, false) as unknown as { config: { trainable?: boolean; layers: Array<{ name: string; config: Record<string, unknown> }> } }
    ;(topology.config.layers.find((l) => l.name === 'inner') as { config: Record<string, unknown> }).config['trainable'] = false
    topology.config.trainable = false
    const loaded = await tfl.models.modelFromJSON({ modelTopology: topology as never })
    expect(loaded.trainable).toBe(true)
    expect(loaded.getLayer('inner').trainable).toBe(true)
    expect(loaded.trainableWeights.map((w) => w.originalName)).toContain('ic1/kernel')
    // layerspec follows the file: the nested model's weights are not trainable, and the list tfjs
    // gives for this loaded model fits neither order there (the error says so rather than guessing)
    const compiled = right(compileModel(right(decodeModelFile(topology)).model))
    expect(compiled.weights.filter((w) => w.path.startsWith('inner/')).every((w) => !w.trainable)).toBe(true)
    const listed = listFromTfjs(loaded, 9403)
    const errors = left(assignOrderedWeights(compiled, listed.values, { order: 'trainable_first' }))
    expect(messages(errors)).toContain("fit neither the 'trainable_first' order")
    model.dispose()
    loaded.dispose()
  })
})

// -------------------------------------------------------------------------------------
// without tfjs: the options, the values accepted, the errors
// -------------------------------------------------------------------------------------

/** A Sequential of Dense(2) → BatchNormalization → Dense(1), input 3: weights of distinct sizes. */
const small = (): CompiledModel =>
  right(
    compileModel(
      right(
        decodeModelFile({
          class_name: 'Sequential',
          config: {
            name: 'small',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, 3], name: 'in' } },
              { class_name: 'Dense', config: { name: 'd1', units: 2 } },
              { class_name: 'BatchNormalization', config: { name: 'bn' } },
              { class_name: 'Dense', config: { name: 'd2', units: 1 } }
            ]
          }
        })
      ).model
    )
  )

describe('assignOrderedWeights: options and errors', () => {
  const m = small()
  // layers order: d1/kernel [3,2], d1/bias [2], bn/gamma, bn/beta, bn/moving_mean, bn/moving_variance [2], d2/kernel [2,1], d2/bias [1]
  const K1 = [1, 2, 3, 4, 5, 6]
  const B1 = [0.1, 0.2]
  const G = [1.5, 0.5]
  const BE = [0.25, -0.25]
  const MM = [0.3, -0.3]
  const MV = [2, 4]
  const K2 = [1, -1]
  const B2 = [0.5]
  const layersOrder = [K1, B1, G, BE, MM, MV, K2, B2]
  const trainableFirst = [K1, B1, G, BE, K2, B2, MM, MV]

  it('the two orders of a model with BatchNormalization, and the paths and trainability they list', () => {
    expect(weightsInOrder(m, 'layers').map((w) => w.path)).toEqual(['d1/kernel', 'd1/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance', 'd2/kernel', 'd2/bias'])
    expect(weightsInOrder(m, 'trainable_first').map((w) => `${w.path}:${w.trainable}`)).toEqual([
      'd1/kernel:true', 'd1/bias:true', 'bn/gamma:true', 'bn/beta:true', 'd2/kernel:true', 'd2/bias:true', 'bn/moving_mean:false', 'bn/moving_variance:false'
    ])
  })

  it("'layers' is the default and equals { order: 'layers' }; both orders give the same params", () => {
    const a = right(assignOrderedWeights(m, layersOrder))
    const b = right(assignOrderedWeights(m, layersOrder, { order: 'layers' }))
    const c = right(assignOrderedWeights(m, trainableFirst, { order: 'trainable_first' }))
    for (const p of [a, b, c]) expect(p.map((t) => Array.from(t.data))).toEqual(layersOrder.map((v) => Array.from(Float32Array.from(v))))
    expect(c.map((t) => t.shape)).toEqual(m.weights.map((w) => w.shape))
  })

  it('shapes are checked when given as { shape, data }: a transposed kernel of the right size is an error', () => {
    const given: OrderedWeightValues[] = layersOrder.map((v, i) => ({ shape: [...(m.weights[i] as ModelWeight).shape], data: v }))
    expect(right(assignOrderedWeights(m, given)).length).toBe(8)
    given[0] = { shape: [2, 3], data: K1 }
    const errors = left(assignOrderedWeights(m, given))
    expect(errors.map((e) => e.path)).toContain('weights[0]')
    expect(messages(errors)).toContain('weight "d1/kernel" has shape [3, 2], found shape [2, 3]')
  })

  it('a list that fits neither order: an error per misfit entry, and a summary naming both orders', () => {
    const given = [K1, B1, G, BE, MM, [1, 2, 3], K2, B2]
    const errors = left(assignOrderedWeights(m, given, { order: 'trainable_first' }))
    expect(errors.map((e) => e.path)).toEqual(['weights[5]', 'weights[7]', 'weights'])
    expect(errors[0]?.message).toBe('weight "d2/bias" of shape [1] needs 1 values, found 3')
    expect(errors[1]?.message).toBe('weight "bn/moving_variance" of shape [2] needs 2 values, found 1')
    expect(errors[2]?.message).toContain("fit neither the 'trainable_first' order")
    expect(errors[2]?.message).toContain("nor the 'layers' order")
  })

  it('a wrong number of arrays: expected vs found in the requested order, the weight list cut after a dozen', () => {
    const errors = left(assignOrderedWeights(m, trainableFirst.slice(1), { order: 'trainable_first' }))
    expect(errors).toEqual([
      {
        path: 'weights',
        message: `expected 8 weight arrays in the 'trainable_first' order ("d1/kernel" [3, 2], "d1/bias" [2], "bn/gamma" [2], "bn/beta" [2], "d2/kernel" [2, 1], "d2/bias" [1], "bn/moving_mean" [2], "bn/moving_variance" [2]), found 7`
      }
    ])
  })

  it('when both orders list the same shapes position by position, the option decides (the shapes cannot tell)', () => {
    const bnOnly = right(
      compileModel(
        right(
          decodeModelFile({
            class_name: 'Sequential',
            config: { name: 'bns', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 2], name: 'in' } }, { class_name: 'BatchNormalization', config: { name: 'b1' } }, { class_name: 'BatchNormalization', config: { name: 'b2' } }] }
          })
        ).model
      )
    )
    const v = [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8]]
    const asLayers = right(assignOrderedWeights(bnOnly, v))
    const asTrainableFirst = right(assignOrderedWeights(bnOnly, v, { order: 'trainable_first' }))
    // b1/moving_mean is entry 2 in the layer order, entry 4 in the trainable-first order
    expect(Array.from(asLayers[2]?.data ?? [])).toEqual([3, 3])
    expect(Array.from(asTrainableFirst[2]?.data ?? [])).toEqual([5, 5])
    expect(Array.from(asTrainableFirst[4]?.data ?? [])).toEqual([3, 3])
  })

  it('bad options and entries are errors, never a throw', () => {
    expect(left(assignOrderedWeights(m, layersOrder, { order: 'keras' as never }))[0]?.path).toBe('order')
    expect(messages(left(assignOrderedWeights(m, layersOrder, { order: '__proto__' as never })))).toContain("found the string \"__proto__\"")
    expect(left(assignOrderedWeights(m, null as never))[0]?.path).toBe('weights')
    const bad = [...layersOrder] as unknown[]
    bad[3] = 'abc'
    bad[5] = { shape: [2], data: [1] }
    bad[6] = { shape: [2, 1], dataSync: () => [1, 2] }
    const errors = left(assignOrderedWeights(m, bad as never))
    expect(errors.map((e) => e.path)).toEqual(['weights[3]', 'weights[5]', 'weights[6]'])
    expect(errors[0]?.message).toContain('found the string "abc"')
    expect(errors[1]?.message).toContain('its shape [2] holds 2 values, but its data has 1')
    expect(errors[2]?.message).toContain("expected the weight's values")
  })
})
