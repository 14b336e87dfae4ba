/**
 * Weights for compiled models: TensorFlow.js weight manifests and `.bin` shards (float32, and the
 * `uint8` / `uint16` / `float16` quantized entries, dequantized), and ordered weight lists (Keras's
 * layer order, or TensorFlow.js's trainable-first order).
 * Missing, short or extra shards, unknown or missing weights and shape mismatches are errors naming
 * the weight. The decoding here is pure (bytes in, tensors out); reading files is `loadTfjsWeights`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, isPlainObject, quote, quoteText } from '../core/describe.js'
import { hasOwnKey } from '../core/NameTable.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { allocate, type FloatDType } from '../numerics/FloatArray.js'
import type { CompiledModel, ModelParams } from './compileModel.js'
import type { ModelWeight } from './infer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A tfjs weight entry's quantization: stored as `dtype`, restored as `min + scale · q` (float16: as is). */
export interface Quantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16'
  readonly min: number
  readonly scale: number
}

/**
 * One weight of a tfjs manifest.
 * @category model
 */
export interface ManifestWeight {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly dtype: 'float32'
  readonly quantization: Quantization | null
}

/**
 * A group of weights stored back to back across the group's shard files.
 * @category model
 */
export interface ManifestGroup {
  readonly paths: ReadonlyArray<string>
  readonly weights: ReadonlyArray<ManifestWeight>
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

// -------------------------------------------------------------------------------------
// manifest
// -------------------------------------------------------------------------------------

/** Bytes per stored value. */
const bytesOf = (stored: ManifestWeight['dtype'] | Quantization['dtype']): number => (stored === 'uint8' ? 1 : stored === 'float32' ? 4 : 2)

/** Shard paths for a message: each quoted and cut, at most four. */
const showPaths = (paths: ReadonlyArray<string>): string =>
  paths.length <= 4 ? paths.map(quoteText).join(', ') : `${paths.slice(0, 4).map(quoteText).join(', ')}, … (${paths.length} shards)`

/**
 * Validates a tfjs `weightsManifest` (paths from the model.json root: `weightsManifest[0].weights[3]`).
 * @category manifest
 */
export const readWeightsManifest = (u: unknown): Result<ReadonlyArray<ManifestGroup>> => {
  if (!Array.isArray(u)) return E.left([specError('weightsManifest', `expected a list of weight groups, found ${describe(u)}`)])
  const errors: SpecError[] = []
  const groups: ManifestGroup[] = []
  u.forEach((g: unknown, gi) => {
    const gp = `weightsManifest[${gi}]`
    if (!isPlainObject(g) || !Array.isArray(g['paths']) || !Array.isArray(g['weights'])) {
      errors.push(specError(gp, `expected {"paths": [...], "weights": [...]}, found ${describe(g)}`))
      return
    }
    const paths = g['paths'] as unknown[]
    paths.forEach((p, pi) => {
      if (typeof p !== 'string' || p === '' || p.includes('..') || p.startsWith('/')) {
        errors.push(specError(`${gp}.paths[${pi}]`, `expected a shard file name next to model.json, found ${describe(p)}`))
      }
    })
    const weights: ManifestWeight[] = []
    ;(g['weights'] as unknown[]).forEach((w, wi) => {
      const wp = `${gp}.weights[${wi}]`
      if (!isPlainObject(w)) {
        errors.push(specError(wp, `expected a weight entry {"name", "shape", "dtype"}, found ${describe(w)}`))
        return
      }
      const name = w['name']
      const shape = w['shape']
      const dtype = w['dtype']
      if (typeof name !== 'string') errors.push(specError(`${wp}.name`, `expected the weight's name, found ${describe(name)}`))
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) errors.push(specError(`${wp}.shape`, `expected a list of non-negative integers, found ${describe(shape)}`))
      if (dtype !== 'float32') errors.push(specError(`${wp}.dtype`, `expected "float32" (layerspec runs float weights), found ${describe(dtype)}`))
      let quantization: Quantization | null = null
      const q = w['quantization']
      if (q !== undefined && q !== null) {
        if (!isPlainObject(q) || !['uint8', 'uint16', 'float16'].includes(q['dtype'] as string)) {
          errors.push(specError(`${wp}.quantization`, `expected a quantization with dtype "uint8", "uint16" or "float16", found ${describe(q)}`))
        } else if (q['dtype'] !== 'float16' && (typeof q['min'] !== 'number' || typeof q['scale'] !== 'number')) {
          errors.push(specError(`${wp}.quantization`, `expected numeric "min" and "scale" for ${String(q['dtype'])} quantization, found ${describe(q)}`))
        } else {
          quantization = { dtype: q['dtype'] as Quantization['dtype'], min: (q['min'] as number) ?? 0, scale: (q['scale'] as number) ?? 1 }
        }
      }
      if (typeof name === 'string' && Array.isArray(shape) && dtype === 'float32') weights.push({ name, shape: shape as number[], dtype, quantization })
    })
    groups.push({ paths: paths as string[], weights })
  })
  return errors.length > 0 ? E.left(errors) : E.right(groups)
}

/** IEEE half → number. */
const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}

/**
 * Decodes the weights of a manifest from the bytes of its shards (`shards[g][p]` is the content of
 * `groups[g].paths[p]`). Pure. Errors name the group, shard and weight.
 * @category manifest
 */
export const decodeWeightData = (
  groups: ReadonlyArray<ManifestGroup>,
  shards: ReadonlyArray<ReadonlyArray<Uint8Array>>,
  dtype: FloatDType = 'float32'
): Result<ReadonlyMap<string, Tensor>> => {
  const errors: SpecError[] = []
  const out = new Map<string, Tensor>()
  groups.forEach((g, gi) => {
    const parts = shards[gi] ?? []
    const total = parts.reduce((a, p) => a + p.byteLength, 0)
    const bytes = new Uint8Array(total)
    let at = 0
    for (const p of parts) {
      bytes.set(p, at)
      at += p.byteLength
    }
    const view = new DataView(bytes.buffer)
    let offset = 0
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1)
      const stored = w.quantization?.dtype ?? w.dtype
      const size = n * bytesOf(stored)
      if (offset + size > total) {
        errors.push(specError(`weightsManifest[${gi}]`, `weight ${quoteText(w.name)} needs bytes ${offset}–${offset + size} but the group's shards (${showPaths(g.paths)}) hold only ${total} bytes: a missing or short shard`))
        return
      }
      const data = allocate(dtype, n)
      for (let i = 0; i < n; i++) {
        const o = offset + i * bytesOf(stored)
        switch (stored) {
          case 'uint8':
            data[i] = (w.quantization as Quantization).min + (w.quantization as Quantization).scale * view.getUint8(o)
            break
          case 'uint16':
            data[i] = (w.quantization as Quantization).min + (w.quantization as Quantization).scale * view.getUint16(o, true)
            break
          case 'float16':
            data[i] = halfToFloat(view.getUint16(o, true))
            break
          default:
            data[i] = view.getFloat32(o, true)
        }
      }
      if (out.has(w.name)) errors.push(specError(`weightsManifest[${gi}]`, `weight ${quoteText(w.name)} appears twice in the manifest`))
      out.set(w.name, { shape: w.shape, data })
      offset += size
    }
    if (offset < total) {
      errors.push(specError(`weightsManifest[${gi}]`, `the group's shards (${showPaths(g.paths)}) hold ${total} bytes but its weights use ${offset}: extra data (a wrong or extra shard?)`))
    }
  })
  return errors.length > 0 ? E.left(errors) : E.right(out)
}

// -------------------------------------------------------------------------------------
// assigning
// -------------------------------------------------------------------------------------

/** Weight names as tfjs / the Keras converter write them, reduced to `layer/weight`. */
const canonical = (name: string): string => name.replace(/:\d+$/, '')

/**
 * Matches named weights (from a manifest) to a compiled model's weights: by full path
 * (`conv2d/kernel`, `sequential_1/conv2d/kernel`), else by `layer/weight` when that is unique. Missing
 * weights, shape mismatches and weights the model does not have are errors naming the weight.
 * @category assigning
 */
export const assignNamedWeights = (model: CompiledModel, named: ReadonlyMap<string, Tensor>): Result<ModelParams> => {
  const byName = new Map<string, Tensor>()
  for (const [k, v] of named) byName.set(canonical(k), v)
  const used = new Set<string>()
  const errors: SpecError[] = []
  const params: Tensor[] = []
  // `layer/weight` is only a usable name when exactly one weight of the model has it.
  const shortCount = new Map<string, number>()
  for (const w of model.weights) shortCount.set(`${w.layer}/${w.name}`, (shortCount.get(`${w.layer}/${w.name}`) ?? 0) + 1)
  for (const w of model.weights) {
    const short = `${w.layer}/${w.name}`
    const key = byName.has(w.path) ? w.path : byName.has(short) && shortCount.get(short) === 1 ? short : undefined
    if (key === undefined) {
      const ambiguous = byName.has(short) && (shortCount.get(short) ?? 0) > 1
      errors.push(
        specError(
          'weightsManifest',
          ambiguous
            ? `weight ${quoteText(w.path)} is missing from the manifest: ${quoteText(short)} fits ${shortCount.get(short) ?? 0} weights of the model (nested layers with the same name), so it cannot be assigned; name it by its full path`
            : `weight ${quoteText(w.path)} (shape [${w.shape.join(', ')}]) is missing from the manifest`
        )
      )
      continue
    }
    const t = byName.get(key) as Tensor
    used.add(key)
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
      errors.push(specError('weightsManifest', `weight ${quoteText(w.path)} has shape ${showShape(t.shape)} in the manifest, but the model expects ${showShape(w.shape)}`))
      continue
    }
    params.push({ shape: w.shape, data: t.data })
  }
  for (const k of byName.keys()) {
    if (!used.has(k)) errors.push(specError('weightsManifest', `weight ${quoteText(k)} in the manifest belongs to no layer of the model`))
  }
  return errors.length > 0 ? E.left(errors) : E.right(params)
}

// -------------------------------------------------------------------------------------
// ordered lists
// -------------------------------------------------------------------------------------

/**
 * The order of a flat list of weight values (one array per weight of the model, no names):
 * - `'layers'`: each layer's weights in turn, in the order of the model's layers (a nested model's
 *   weights in its place, in the same order), each layer's weights in creation order; BatchNormalization
 *   gives `gamma, beta, moving_mean, moving_variance`. This is `model.get_weights()` of Keras 3 and of
 *   tf.keras 2.x (whose `Model.weights` walks the layers), and `CompiledModel.weights`' order.
 * - `'trainable_first'`: every trainable weight, in the `'layers'` order, then every non-trainable one,
 *   in the `'layers'` order. This is TensorFlow.js `model.getWeights()` (and `model.weights`), and
 *   tf.keras's `model.trainable_weights + model.non_trainable_weights`. Non-trainable are
 *   BatchNormalization's `moving_mean` / `moving_variance`, and every weight of a layer with
 *   `trainable: false` or inside a nested model with `trainable: false` (a frozen layer's kernel too).
 *
 * Which weights are trainable is read from the model spec, as `ModelWeight.trainable` and the
 * summary's trainable count have it: the weight's own flag, its layer's `trainable`, and the
 * `trainable` of every nested model around it. TensorFlow.js (tfjs-layers 4.22) applies a layer's
 * `trainable` when it loads a model.json, but not a model's own (`modelFromJSON` leaves a nested model
 * with `trainable: false` trainable, and `toJSON` does not write it): a list taken from such a tfjs
 * model counts that nested model's weights as trainable.
 * @category assigning
 */
export type WeightOrder = 'layers' | 'trainable_first'

/**
 * Options for {@link assignOrderedWeights}.
 * @category assigning
 */
export interface OrderedWeightsOptions {
  /** The order the values are listed in; default `'layers'` (Keras `get_weights()`). */
  readonly order?: WeightOrder
}

/**
 * One weight's values in an ordered list: its values flat in row-major order (an array or typed
 * array, e.g. tfjs `tensor.dataSync()` or numpy `a.ravel().tolist()`), or `{ shape, data }` (a
 * layerspec `Tensor`, or `{ shape: t.shape, data: t.dataSync() }` for a tfjs tensor), whose shape is
 * then checked too.
 * @category assigning
 */
export type OrderedWeightValues = ArrayLike<number> | { readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }

const ORDERS: ReadonlyArray<WeightOrder> = ['layers', 'trainable_first']

/** Who lists weights in each order, for messages. */
const producer = (order: WeightOrder): string =>
  order === 'layers' ? "Keras get_weights(): each layer's weights in turn" : 'TensorFlow.js getWeights(): every trainable weight first, then the non-trainable ones'

/** The positions in `weights` of the weights listed in `order`. */
const orderIndices = (weights: ReadonlyArray<ModelWeight>, order: WeightOrder): ReadonlyArray<number> => {
  const all = weights.map((_, i) => i)
  return order === 'layers' ? all : [...all.filter((i) => weights[i]?.trainable === true), ...all.filter((i) => weights[i]?.trainable !== true)]
}

/**
 * A compiled model's weights listed in `order` (the same `ModelWeight` objects as `model.weights`):
 * what an ordered list of values must hold, position by position, with each weight's path, shape and
 * whether it is trainable.
 * @category assigning
 */
export const weightsInOrder = (model: CompiledModel, order: WeightOrder): ReadonlyArray<ModelWeight> =>
  orderIndices(model.weights, order).map((i) => model.weights[i] as ModelWeight)

interface Given {
  readonly shape: ReadonlyArray<number> | null
  readonly data: ArrayLike<number>
}

const isCount = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0
const isValues = (u: unknown): u is ArrayLike<number> => Array.isArray(u) || (ArrayBuffer.isView(u) && !(u instanceof DataView))

/** Reads one given entry: flat values, or `{ shape, data }`; a message when it is neither. */
const readGiven = (u: unknown): Given | string => {
  if (isValues(u)) return { shape: null, data: u }
  if (typeof u === 'object' && u !== null && hasOwnKey(u, 'shape') && hasOwnKey(u, 'data')) {
    const shape: unknown = (u as { readonly shape: unknown }).shape
    const data: unknown = (u as { readonly data: unknown }).data
    if (!Array.isArray(shape) || !shape.every(isCount)) return `expected { shape, data } with a shape of non-negative integers, found the shape ${describe(shape)}`
    if (!isValues(data)) return `expected { shape, data } with data an array or typed array of numbers, found ${describe(data)} (for a tfjs tensor pass { shape: t.shape, data: t.dataSync() })`
    const n = (shape as number[]).reduce((a, b) => a * b, 1)
    if (data.length !== n) return `its shape ${showShape(shape as number[])} holds ${n} values, but its data has ${data.length}`
    return { shape: shape as number[], data }
  }
  return `expected the weight's values (an array or typed array of numbers, or { shape, data }), found ${describe(u)}`
}

/** A shape for a message; a (hostile) shape of more than 16 dims is cut like any quoted value. */
const showShape = (s: ReadonlyArray<number>): string => (s.length <= 16 ? `[${s.join(', ')}]` : quote(s))

/** Why `v` cannot be weight `w` (size, or shape when `v` has one), or null when it fits. */
const misfit = (w: ModelWeight, v: Given): string | null => {
  const n = w.shape.reduce((a, b) => a * b, 1)
  if (v.shape !== null && (v.shape.length !== w.shape.length || v.shape.some((d, k) => d !== w.shape[k]))) {
    return `weight ${quoteText(w.path)} has shape ${showShape(w.shape)}, found shape ${showShape(v.shape)}`
  }
  if (v.data.length !== n) return `weight ${quoteText(w.path)} of shape ${showShape(w.shape)} needs ${n} values, found ${v.data.length}`
  return null
}

/** The first weights of a list for a message (each name cut as `quoteText` cuts it), the list cut after a dozen. */
const listWeights = (ws: ReadonlyArray<ModelWeight>): string => {
  const shown = ws.slice(0, 12).map((w) => `${quoteText(w.path)} ${showShape(w.shape)}`)
  return ws.length > 12 ? `${shown.join(', ')}, … (${ws.length} in all)` : shown.join(', ')
}

/** Per-index errors reported at most, the rest counted. */
const MAX_ERRORS = 20

/**
 * Checks an ordered list of weight values (one entry per weight, no names) against a compiled model
 * and wraps them as params (copies, in the model's dtype, in `CompiledModel.weights` order).
 *
 * `options.order` says how the list is ordered (see {@link WeightOrder}): `'layers'` (the default:
 * Keras 3 / tf.keras 2.x `model.get_weights()`, each layer's weights in turn, BatchNormalization's
 * `gamma, beta, moving_mean, moving_variance` together) or `'trainable_first'` (TensorFlow.js
 * `model.getWeights()`: every trainable weight, then every non-trainable one). Entry `i` must have
 * the size of the `i`-th weight of {@link weightsInOrder}, and its shape when it is given as
 * `{ shape, data }`.
 *
 * The order is never guessed. Errors (paths `weights`, `weights[i]`, `order`):
 * - a wrong number of entries: expected vs found, listing the weights expected;
 * - entries that do not fit the requested order but all fit the other one: one error saying so and
 *   which option to pass (e.g. "these shapes fit the 'trainable_first' order (TensorFlow.js
 *   getWeights() …); pass { order: 'trainable_first' }");
 * - entries that fit neither order: one error per misfit entry (naming the weight, its shape, the
 *   count or shape found), at most 20, and when the two orders differ a summary saying so.
 * When the two orders list the same shapes at every position but differ (possible, e.g. for a model
 * of BatchNormalization layers alone), the shapes cannot tell them apart: `order` decides.
 * @category assigning
 */
export const assignOrderedWeights = (
  model: CompiledModel,
  values: ReadonlyArray<OrderedWeightValues>,
  options: OrderedWeightsOptions = {}
): Result<ModelParams> => {
  const order: unknown = options.order ?? 'layers'
  if (!ORDERS.includes(order as WeightOrder)) {
    return E.left([specError('order', `expected 'layers' (${producer('layers')}) or 'trainable_first' (${producer('trainable_first')}), found ${describe(order)}`)])
  }
  const requested = order as WeightOrder
  const other: WeightOrder = requested === 'layers' ? 'trainable_first' : 'layers'
  const expected = weightsInOrder(model, requested)
  if (!Array.isArray(values)) return E.left([specError('weights', `expected a list of ${expected.length} weight arrays, found ${describe(values)}`)])
  if (values.length !== expected.length) {
    return E.left([specError('weights', `expected ${expected.length} weight arrays in the '${requested}' order (${listWeights(expected)}), found ${values.length}`)])
  }
  const given: Array<Given | string> = values.map((v: unknown) => readGiven(v))
  const unreadable = given.flatMap((g, i) => (typeof g === 'string' ? [specError(`weights[${i}]`, g)] : []))
  if (unreadable.length > 0) return E.left(unreadable.slice(0, MAX_ERRORS))
  const read = given as Given[]
  const misfits = (ws: ReadonlyArray<ModelWeight>): Array<{ readonly i: number; readonly why: string }> =>
    ws.flatMap((w, i) => {
      const why = misfit(w, read[i] as Given)
      return why === null ? [] : [{ i, why }]
    })
  const wrong = misfits(expected)
  if (wrong.length > 0) {
    const alternative = weightsInOrder(model, other)
    const differ = alternative.some((w, i) => w !== expected[i])
    const first = wrong[0] as { readonly i: number; readonly why: string }
    if (differ && misfits(alternative).length === 0) {
      return E.left([
        specError(
          'weights',
          `the ${values.length} weight arrays do not fit the '${requested}' order (${producer(requested)}): ${wrong.length} of them misfit, the first weights[${first.i}]: ${first.why}; these shapes fit the '${other}' order (${producer(other)}); pass { order: '${other}' }`
        )
      ])
    }
    const errors = wrong.slice(0, MAX_ERRORS).map(({ i, why }) => specError(`weights[${i}]`, why))
    if (wrong.length > MAX_ERRORS) errors.push(specError('weights', `… and ${wrong.length - MAX_ERRORS} more weight arrays that do not fit (${wrong.length} in all)`))
    if (differ) errors.push(specError('weights', `the weight arrays fit neither the '${requested}' order (${producer(requested)}) nor the '${other}' order (${producer(other)})`))
    return E.left(errors)
  }
  const params: Tensor[] = new Array<Tensor>(model.weights.length)
  orderIndices(model.weights, requested).forEach((at, i) => {
    const w = model.weights[at] as ModelWeight
    const v = (read[i] as Given).data
    const data = allocate(model.dtype, v.length)
    for (let k = 0; k < v.length; k++) data[k] = v[k] as number
    params[at] = { shape: w.shape, data }
  })
  return E.right(params)
}
