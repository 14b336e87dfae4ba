/**
 * The whole library path a model file takes, run on one (possibly hostile) value for the fuzz suite:
 * `decodeModelFile`, then when it decodes `inferModel`, `compileModel`, `forward` on batch 1 when the
 * model is cheap to run, the weights manifest (`readWeightsManifest`, `decodeWeightData`,
 * `assignNamedWeights` on zero-filled shards), `encodeModel` and its round trip. Returns every
 * violation of the rules (never throws itself), and what happened, for figures.
 */
import * as E from 'fp-ts/lib/Either.js'
import { isDeepStrictEqual } from 'node:util'
import type { SpecError } from '../src/core/SpecError.js'
import { compileModel, type CompiledModel } from '../src/model/compileModel.js'
import { decodeModel, decodeModelFile, type ModelFile } from '../src/model/decodeModel.js'
import { encodeModel } from '../src/model/encodeModel.js'
import { inferModel, type ModelSummary } from '../src/model/infer.js'
import { assignNamedWeights, decodeWeightData, readWeightsManifest } from '../src/model/weights.js'
import { errorProblems, intrinsicsChanges, snapshotValue, type IntrinsicsSnapshot } from './hostile.js'

/** How far a case got. */
export type Outcome = 'rejected' | 'decoded' | 'inferred' | 'compiled' | 'ran'

/** Largest number of multiply-adds (estimated from the summary) a case runs `forward` for. */
export const MAX_FORWARD_COST = 6e6
/** Largest parameter count a case initializes or loads weights for. */
export const MAX_PARAMS = 3e5

/**
 * A rough count of a model's multiply-adds on batch 1: per layer, its output size times its
 * parameters per output channel (exact for Dense and Conv2D, 1 per output for layers without weights).
 * Infinity when a shape is unknown.
 */
export const forwardCost = (s: ModelSummary): number => {
  let cost = 0
  for (const l of s.layers) {
    for (const shape of l.outputShapes) {
      const dims = shape.slice(1)
      if (dims.some((d) => d === null)) return Infinity
      const size = (dims as number[]).reduce((a, b) => a * b, 1)
      const channels = (dims[dims.length - 1] as number | undefined) ?? 1
      cost += size * Math.max(1, l.params / Math.max(1, channels))
    }
  }
  return cost
}

/** The problems of a Left (or none for a Right). */
const leftProblems = <A>(step: string, r: E.Either<ReadonlyArray<SpecError>, A>): string[] => (E.isLeft(r) ? errorProblems(r.left).map((p) => `${step}: ${p}`) : [])

const tryStep = <A>(step: string, problems: string[], f: () => A): A | undefined => {
  try {
    return f()
  } catch (e) {
    problems.push(`${step} threw: ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 300)}` : String(e).slice(0, 300)}`)
    return undefined
  }
}

/** Zero-filled shards for a manifest (one buffer per group, as long as its weights need), or undefined when too large. */
const zeroShards = (groups: ReadonlyArray<{ readonly paths: ReadonlyArray<string>; readonly weights: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly quantization: { readonly dtype: string } | null }> }>): Uint8Array[][] | undefined => {
  let total = 0
  const shards = groups.map((g) => {
    const bytes = g.weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * (w.quantization === null ? 4 : w.quantization.dtype === 'uint8' ? 1 : 2), 0)
    total += bytes
    return g.paths.map((_, i) => new Uint8Array(i === 0 && total <= 4 * MAX_PARAMS ? bytes : 0))
  })
  return total <= 4 * MAX_PARAMS ? shards : undefined
}

/**
 * Runs the pipeline on `json`: returns the rule violations (empty when none) and how far it got.
 * `intrinsics` is the snapshot of the built-in prototypes taken before any case.
 */
export const runPipeline = (json: unknown, intrinsics: IntrinsicsSnapshot, options: { readonly roundTrip?: boolean } = {}): { readonly problems: string[]; readonly outcome: Outcome; readonly file?: ModelFile; readonly compiled?: CompiledModel } => {
  const problems: string[] = []
  let outcome: Outcome = 'rejected'
  const input = snapshotValue(json)
  let file: ModelFile | undefined
  let compiled: CompiledModel | undefined
  const decoded = tryStep('decodeModelFile', problems, () => decodeModelFile(json))
  if (decoded !== undefined) {
    problems.push(...leftProblems('decodeModelFile', decoded))
    problems.push(...input.changes().map((c) => `decodeModelFile changed its input: ${c}`))
    if (E.isRight(decoded)) {
      outcome = 'decoded'
      file = decoded.right
      const model = file.model
      const summary = tryStep('inferModel', problems, () => inferModel(model))
      if (summary !== undefined) problems.push(...leftProblems('inferModel', summary))
      const c = tryStep('compileModel', problems, () => compileModel(model))
      if (c !== undefined) problems.push(...leftProblems('compileModel', c))
      if (summary !== undefined && E.isRight(summary)) outcome = 'inferred'
      if (c !== undefined && E.isRight(c)) {
        outcome = 'compiled'
        compiled = c.right
        const m = c.right
        if (m.summary.params <= MAX_PARAMS && forwardCost(m.summary) <= MAX_FORWARD_COST) {
          const ran = tryStep('forward', problems, () => {
            const params = m.init(1)
            const inputs = m.inputShapes.map((s) => {
              const data = m.dtype === 'float64' ? new Float64Array(s.reduce((a, b) => a * b, 1)) : new Float32Array(s.reduce((a, b) => a * b, 1))
              for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 101) / 101
              return { shape: [1, ...s], data }
            })
            return m.forward(params, inputs)
          })
          if (ran !== undefined) {
            outcome = 'ran'
            ran.forEach((y, i) => {
              const expected = [1, ...(m.outputShapes[i] ?? [])]
              if (!isDeepStrictEqual([...y.shape], expected)) problems.push(`forward: output ${i} has shape ${JSON.stringify(y.shape)}, expected ${JSON.stringify(expected)}`)
            })
          }
        }
        // The weights manifest of a tfjs file, on zero-filled shards.
        const manifest = file.weightsManifest
        if (manifest !== null && manifest !== undefined && m.summary.params <= MAX_PARAMS) {
          const groups = tryStep('readWeightsManifest', problems, () => readWeightsManifest(manifest))
          if (groups !== undefined) problems.push(...leftProblems('readWeightsManifest', groups))
          const shards = groups !== undefined && E.isRight(groups) ? zeroShards(groups.right) : undefined
          if (groups !== undefined && E.isRight(groups) && shards !== undefined) {
            const named = tryStep('decodeWeightData', problems, () => decodeWeightData(groups.right, shards, m.dtype))
            if (named !== undefined) problems.push(...leftProblems('decodeWeightData', named))
            if (named !== undefined && E.isRight(named)) {
              const assigned = tryStep('assignNamedWeights', problems, () => assignNamedWeights(m, named.right))
              if (assigned !== undefined) problems.push(...leftProblems('assignNamedWeights', assigned))
            }
          }
        }
      }
      const encoded = tryStep('encodeModel', problems, () => encodeModel(model))
      if (encoded !== undefined && options.roundTrip !== false) {
        const again = tryStep('decodeModel(encodeModel(m))', problems, () => decodeModel(encoded, { dialect: model.dialect }))
        if (again !== undefined && E.isLeft(again)) problems.push(`decodeModel(encodeModel(m)) failed: ${again.left.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join(' | ').slice(0, 600)}`)
        else if (again !== undefined && E.isRight(again) && !isDeepStrictEqual(again.right, model)) problems.push('decodeModel(encodeModel(m)) differs from m')
      }
    }
  }
  if (outcome !== 'rejected') problems.push(...input.changes().map((c) => `the input changed after decoding (infer, compile, forward, weights or encode): ${c}`))
  problems.push(...intrinsicsChanges(intrinsics))
  return { problems, outcome, ...(file === undefined ? {} : { file }), ...(compiled === undefined ? {} : { compiled }) }
}
