/**
 * TensorFlow.js for `npm run bench:models`: tfjs-layers 4.22 on @tensorflow/tfjs-backend-wasm (one
 * thread, XNNPACK) and on @tensorflow/tfjs-backend-cpu, in this process. Importing this module loads
 * both backends and registers, with the model catalogue, the check that tfjs-layers reads a topology
 * and the builders of the two models made in tfjs-layers.
 *
 * Each tfjs engine is its own `LayersModel` made from the topology on its backend (so that no call
 * moves data between backends), given layerspec's weights by name: every tfjs weight's
 * `originalName` (`layer/weight`) is looked up among layerspec's `layer/weight` names (a Keras 3
 * DepthwiseConv2D's `kernel` is tfjs's `depthwise_kernel`); a weight tfjs has and layerspec has not,
 * or the other way round, or a shape that differs, is an error, never a guess.
 */
import '../../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import type { CompiledModel, ModelParams } from '../../src/index.js'
import { setTfjsBuilder, setTfjsProbe } from './cases.js'
import type { Engine } from './engines.js'

setThreadsCount(1)
await import('@tensorflow/tfjs-backend-wasm')
await tf.setBackend('wasm')
await tf.ready()
await tf.setBackend('cpu')
await tf.ready()

export { tf, tfl }

export type TfjsBackend = 'wasm' | 'cpu'

// -------------------------------------------------------------------------------------
// reading topologies
// -------------------------------------------------------------------------------------

const fromTopology = (topology: unknown): Promise<tfl.LayersModel> => tfl.models.modelFromJSON({ modelTopology: topology as never })

setTfjsProbe({
  accepts: async (topology) => {
    await tf.setBackend('cpu')
    try {
      const m = await fromTopology(topology)
      m.dispose()
      return null
    } catch (e) {
      return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'error'
    }
  }
})

// -------------------------------------------------------------------------------------
// models built in tfjs-layers
// -------------------------------------------------------------------------------------

const topologyOf = (m: tfl.LayersModel): unknown => {
  const t = m.toJSON(null, false)
  m.dispose()
  return t
}

/** A wide Dense MLP: 784 → 2048 → 2048 → 2048 (relu) → 10 (softmax); 10.5 M params. */
const mlp = (): unknown => {
  const m = tfl.sequential({ name: 'mlp_wide' })
  m.add(tfl.layers.dense({ inputShape: [784], units: 2048, activation: 'relu', name: 'fc1' }))
  m.add(tfl.layers.dense({ units: 2048, activation: 'relu', name: 'fc2' }))
  m.add(tfl.layers.dense({ units: 2048, activation: 'relu', name: 'fc3' }))
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax', name: 'logits' }))
  return topologyOf(m)
}

/**
 * MobileNetV2 inverted residual blocks (Sandler et al.; Keras's `_inverted_res_block`): 1×1 expansion
 * ×6, BatchNormalization, ReLU6, 3×3 depthwise (stride 2 behind a ZeroPadding2D ((0, 1), (0, 1)) and
 * `valid`, as Keras writes it), BatchNormalization, ReLU6, 1×1 projection, BatchNormalization, and
 * the residual Add where the shape allows. 56×56×24 → two blocks at 24 → one stride-2 block to
 * 28×28×32 → three blocks at 32 → global average pooling → Dense(10).
 */
const invertedResiduals = (): unknown => {
  const x0 = tfl.input({ shape: [56, 56, 24], name: 'image' })
  let x = x0
  let channels = 24
  const block = (id: number, filters: number, stride: number): void => {
    const p = `block${id}`
    const apply = (layer: tfl.layers.Layer, t: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(t) as tfl.SymbolicTensor
    let h = apply(tfl.layers.conv2d({ filters: channels * 6, kernelSize: 1, useBias: false, name: `${p}_expand` }), x)
    h = apply(tfl.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name: `${p}_expand_bn` }), h)
    h = apply(tfl.layers.reLU({ maxValue: 6, name: `${p}_expand_relu` }), h)
    if (stride === 2) h = apply(tfl.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `${p}_pad` }), h)
    h = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, name: `${p}_depthwise` }), h)
    h = apply(tfl.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name: `${p}_depthwise_bn` }), h)
    h = apply(tfl.layers.reLU({ maxValue: 6, name: `${p}_depthwise_relu` }), h)
    h = apply(tfl.layers.conv2d({ filters, kernelSize: 1, useBias: false, name: `${p}_project` }), h)
    h = apply(tfl.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name: `${p}_project_bn` }), h)
    if (stride === 1 && filters === channels) h = apply(tfl.layers.add({ name: `${p}_add` }), [x, h])
    x = h
    channels = filters
  }
  block(1, 24, 1)
  block(2, 24, 1)
  block(3, 32, 2)
  block(4, 32, 1)
  block(5, 32, 1)
  block(6, 32, 1)
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor
  const y = tfl.layers.dense({ units: 10, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor
  return topologyOf(tfl.model({ inputs: x0, outputs: y, name: 'mbv2_blocks' }))
}

setTfjsBuilder({ mlp, invertedResiduals })

// -------------------------------------------------------------------------------------
// the engine
// -------------------------------------------------------------------------------------

/**
 * tfjs's weights in its own order (`model.weights`), each layerspec's weight of the same
 * `layer/weight` name; throws naming what does not match.
 */
const byName = (model: tfl.LayersModel, compiled: CompiledModel, params: ModelParams): Array<{ shape: number[]; data: Float32Array }> => {
  const ours = new Map<string, number>()
  const dup = new Set<string>()
  compiled.weights.forEach((w, i) => {
    const k = `${w.layer}/${w.name}`
    if (ours.has(k)) dup.add(k)
    ours.set(k, i)
  })
  const problems: string[] = []
  const used = new Set<number>()
  const out = model.weights.map((tw) => {
    const name = tw.originalName
    const alias = name.replace(/\/depthwise_kernel$/, '/kernel')
    const key = ours.has(name) ? name : ours.has(alias) ? alias : undefined
    const i = key === undefined ? undefined : ours.get(key)
    if (key === undefined || i === undefined || dup.has(key)) {
      problems.push(`tfjs weight "${name}" ${key === undefined ? 'has no layerspec weight of that name' : 'names several layerspec weights'}`)
      return { shape: [...tw.shape] as number[], data: new Float32Array(0) }
    }
    used.add(i)
    const p = params[i] as { shape: ReadonlyArray<number>; data: ArrayLike<number> }
    if (p.shape.length !== tw.shape.length || p.shape.some((d, j) => d !== tw.shape[j])) problems.push(`"${name}": tfjs shape [${tw.shape.join(', ')}], layerspec [${p.shape.join(', ')}]`)
    return { shape: [...tw.shape] as number[], data: p.data instanceof Float32Array ? p.data : Float32Array.from(p.data) }
  })
  compiled.weights.forEach((w, i) => {
    if (!used.has(i)) problems.push(`layerspec weight "${w.path}" has no tfjs weight`)
  })
  if (problems.length > 0) throw new Error(`weights by name: ${problems.slice(0, 4).join('; ')}${problems.length > 4 ? `; … (${problems.length})` : ''}`)
  return out
}

/**
 * A tfjs-layers model of the topology on `backend`, with layerspec's weights by name. Its call:
 * tensors from the input arrays, `predict`, `dataSync` of every output, everything disposed.
 */
export const tfjsEngine = async (backend: TfjsBackend, topology: unknown, compiled: CompiledModel, params: ModelParams): Promise<Engine> => {
  await tf.setBackend(backend)
  const t0 = performance.now()
  const model = await fromTopology(topology)
  const values = byName(model, compiled, params)
  const tensors = values.map((v) => tf.tensor(v.data, v.shape))
  model.setWeights(tensors)
  tf.dispose(tensors)
  const buildMs = performance.now() - t0
  return {
    name: backend === 'wasm' ? 'tfjs-wasm' : 'tfjs-cpu',
    buildMs,
    before: () => tf.setBackend(backend),
    run: (b) => {
      const xs = b.inputs.map((x) => tf.tensor(x.data, [...x.shape]))
      const y = model.predict(xs.length === 1 ? (xs[0] as tf.Tensor) : xs, { batchSize: b.size }) as tf.Tensor | tf.Tensor[]
      const ys = Array.isArray(y) ? y : [y]
      const out = ys.map((t) => t.dataSync() as Float32Array)
      tf.dispose([...xs, ...ys])
      return out
    },
    dispose: () => model.dispose()
  }
}
