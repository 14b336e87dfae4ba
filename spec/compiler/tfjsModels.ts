/**
 * tfjs-layers 4.22 on @tensorflow/tfjs-backend-wasm (one thread, XNNPACK; its .wasm is read from
 * node_modules, nothing is downloaded) for spec/compiler/tfjs-differential.spec.ts, with the cpu
 * backend registered too (for pinning where the two differ). Importing this module selects `wasm`.
 *
 * - `readTopology`: `tfl.models.modelFromJSON` on a topology, or the first line of why tfjs refuses
 *   it; the model it built is kept for `takeBuilt`, so that a topology checked once is not built twice
 *   (bench/models/cases.ts asks whether tfjs reads a topology before choosing it).
 * - `tfjsWeightsByName`: layerspec's weights in tfjs's order, by name: every tfjs weight's
 *   `originalName` (`layer/weight`) is looked up among layerspec's `layer/weight` names (a Keras 3
 *   DepthwiseConv2D's `kernel` is tfjs's `depthwise_kernel`). A weight one side has and the other has
 *   not, a name that matches several weights, or a shape that differs is reported, never guessed.
 */
import '../quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as tfl from '@tensorflow/tfjs-layers'
import type { CompiledModel, ModelParams } from '../../src/model/compileModel.js'

setThreadsCount(1)
await tf.setBackend('wasm')
await tf.ready()
if (tf.getBackend() !== 'wasm') throw new Error(`tfjs-backend-wasm did not load (backend: ${tf.getBackend()})`)

export { tf, tfl }

const built = new Map<unknown, tfl.LayersModel>()

/** Builds `topology` on the current backend; `null` if tfjs reads it (the model kept for `takeBuilt`), else why not. */
export const readTopology = async (topology: unknown): Promise<string | null> => {
  try {
    const m = await tfl.models.modelFromJSON({ modelTopology: topology as never })
    built.get(topology)?.dispose()
    built.set(topology, m)
    return null
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'error'
  }
}

/** The model `readTopology` built for this very topology object (then forgotten), else a fresh one. */
export const takeBuilt = async (topology: unknown): Promise<tfl.LayersModel> => {
  const m = built.get(topology)
  built.delete(topology)
  return m ?? tfl.models.modelFromJSON({ modelTopology: topology as never })
}

/** Disposes every model built and not taken (the topologies tfjs read but the case did not use). */
export const disposeUntaken = (): void => {
  for (const m of built.values()) m.dispose()
  built.clear()
}

/** layerspec's params in tfjs's `model.weights` order, matched by name, or the problems found. */
export const tfjsWeightsByName = (
  model: tfl.LayersModel,
  compiled: CompiledModel,
  params: ModelParams
): { readonly values: ReadonlyArray<{ readonly shape: number[]; readonly data: Float32Array }>; readonly problems: ReadonlyArray<string> } => {
  const ours = new Map<string, number>()
  const dup = new Set<string>()
  compiled.weights.forEach((w, i) => {
    const k = `${w.layer}/${w.name}`
    if (ours.has(k)) dup.add(k)
    ours.set(k, i)
  })
  const problems: string[] = []
  const used = new Set<number>()
  const values = model.weights.map((tw) => {
    const name = tw.originalName
    const alias = name.replace(/\/depthwise_kernel$/, '/kernel')
    const key = ours.has(name) ? name : ours.has(alias) ? alias : undefined
    const i = key === undefined ? undefined : ours.get(key)
    const shape = [...tw.shape] as number[]
    if (key === undefined || i === undefined || dup.has(key)) {
      problems.push(`tfjs weight "${name}" ${key === undefined ? 'has no layerspec weight of that name' : 'names several layerspec weights'}`)
      return { shape, data: new Float32Array(0) }
    }
    if (used.has(i)) problems.push(`layerspec weight "${key}" is given to two tfjs weights`)
    used.add(i)
    const p = params[i]
    if (p === undefined) {
      problems.push(`no param ${i} for "${key}"`)
      return { shape, data: new Float32Array(0) }
    }
    if (p.shape.length !== shape.length || p.shape.some((d, j) => d !== shape[j])) problems.push(`"${name}": tfjs shape [${shape.join(', ')}], layerspec [${p.shape.join(', ')}]`)
    return { shape, data: p.data instanceof Float32Array ? p.data : Float32Array.from(p.data) }
  })
  compiled.weights.forEach((w, i) => {
    if (!used.has(i)) problems.push(`layerspec weight "${w.path}" has no tfjs weight`)
  })
  return { values, problems }
}

/** Gives the model the values (shapes as tfjs declares them). */
export const setTfjsWeights = (model: tfl.LayersModel, values: ReadonlyArray<{ readonly shape: number[]; readonly data: Float32Array }>): void => {
  const tensors = values.map((v) => tf.tensor(v.data, v.shape))
  model.setWeights(tensors)
  tf.dispose(tensors)
}

/** `predict` on tensors made from the arrays; every output's shape and values; all tensors disposed. */
export const tfjsPredict = (
  model: tfl.LayersModel,
  inputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: Float32Array }>
): ReadonlyArray<{ readonly shape: number[]; readonly data: Float32Array }> => {
  const xs = inputs.map((x) => tf.tensor(x.data, [...x.shape]))
  const batch = inputs[0]?.shape[0] ?? 1
  const y = model.predict(xs.length === 1 ? (xs[0] as tf.Tensor) : xs, { batchSize: batch }) as tf.Tensor | tf.Tensor[]
  const ys = Array.isArray(y) ? y : [y]
  const out = ys.map((t) => ({ shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) }))
  tf.dispose([...xs, ...ys])
  return out
}
