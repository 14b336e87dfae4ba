/**
 * Weights for compiled models: TensorFlow.js weight manifests and `.bin` shards (float32, and the
 * `uint8` / `uint16` / `float16` quantized entries, dequantized), and Keras-ordered weight lists.
 * Missing, short or extra shards, unknown or missing weights and shape mismatches are errors naming
 * the weight. The decoding here is pure (bytes in, tensors out); reading files is `loadTfjsWeights`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, isPlainObject } from '../core/describe.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import { allocate, type FloatDType } from '../numerics/FloatArray.js'
import type { CompiledModel, ModelParams } from './compileModel.js'

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

const BYTES: Readonly<Record<string, number>> = { float32: 4, uint8: 1, uint16: 2, float16: 2 }

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
      const size = n * (BYTES[stored] ?? 4)
      if (offset + size > total) {
        errors.push(specError(`weightsManifest[${gi}]`, `weight "${w.name}" needs bytes ${offset}–${offset + size} but the group's shards (${g.paths.join(', ')}) hold only ${total} bytes: a missing or short shard`))
        return
      }
      const data = allocate(dtype, n)
      for (let i = 0; i < n; i++) {
        const o = offset + i * (BYTES[stored] ?? 4)
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
      if (out.has(w.name)) errors.push(specError(`weightsManifest[${gi}]`, `weight "${w.name}" appears twice in the manifest`))
      out.set(w.name, { shape: w.shape, data })
      offset += size
    }
    if (offset < total) {
      errors.push(specError(`weightsManifest[${gi}]`, `the group's shards (${g.paths.join(', ')}) hold ${total} bytes but its weights use ${offset}: extra data (a wrong or extra shard?)`))
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
            ? `weight "${w.path}" is missing from the manifest: "${short}" fits ${shortCount.get(short) ?? 0} weights of the model (nested layers with the same name), so it cannot be assigned; name it by its full path`
            : `weight "${w.path}" (shape [${w.shape.join(', ')}]) is missing from the manifest`
        )
      )
      continue
    }
    const t = byName.get(key) as Tensor
    used.add(key)
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
      errors.push(specError('weightsManifest', `weight "${w.path}" has shape [${t.shape.join(', ')}] in the manifest, but the model expects [${w.shape.join(', ')}]`))
      continue
    }
    params.push({ shape: w.shape, data: t.data })
  }
  for (const k of byName.keys()) {
    if (!used.has(k)) errors.push(specError('weightsManifest', `weight "${k}" in the manifest belongs to no layer of the model`))
  }
  return errors.length > 0 ? E.left(errors) : E.right(params)
}

/**
 * Checks a Keras-ordered list of weight values (`model.get_weights()` order: layers in order, each
 * layer's weights in creation order) against a compiled model and wraps them as params.
 * @category assigning
 */
export const assignOrderedWeights = (
  model: CompiledModel,
  values: ReadonlyArray<ArrayLike<number>>
): Result<ModelParams> => {
  if (values.length !== model.weights.length) {
    return E.left([specError('weights', `expected ${model.weights.length} weight arrays (${model.weights.map((w) => w.path).join(', ')}), found ${values.length}`)])
  }
  const errors: SpecError[] = []
  const params = model.weights.map((w, i) => {
    const v = values[i] as ArrayLike<number>
    const n = w.shape.reduce((a, b) => a * b, 1)
    if (v.length !== n) errors.push(specError(`weights[${i}]`, `weight "${w.path}" of shape [${w.shape.join(', ')}] needs ${n} values, found ${v.length}`))
    const data = allocate(model.dtype, n)
    for (let k = 0; k < Math.min(n, v.length); k++) data[k] = v[k] as number
    return { shape: w.shape, data }
  })
  return errors.length > 0 ? E.left(errors) : E.right(params)
}
