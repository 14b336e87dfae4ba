/**
 * File input for the CLI and for Node users: reading JSON (or stdin) with one clear message per
 * failure, and loading a TensorFlow.js model's `.bin` shards from next to its model.json.
 */
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { specError, type SpecError } from '../core/SpecError.js'
import type { CompiledModel, ModelParams } from '../model/compileModel.js'
import type { ModelFile } from '../model/decodeModel.js'
import { assignNamedWeights, decodeWeightData, readWeightsManifest } from '../model/weights.js'

/**
 * Why a file could not be read as JSON (`cannot read …`, `is empty`, `is not JSON: …`), or its value.
 * `-` reads standard input.
 * @category io
 */
export const readJsonFile = (file: string): E.Either<string, unknown> => {
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e)
    return E.left(`cannot read ${file === '-' ? 'standard input' : file}: ${reason}`)
  }
  if (text.trim() === '') return E.left(`${file === '-' ? 'standard input' : file} is empty`)
  try {
    return E.right(JSON.parse(text) as unknown)
  } catch (e) {
    return E.left(`${file === '-' ? 'standard input' : file} is not JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * The params stored with a TensorFlow.js model.json (its manifest and the `.bin` shards next to it),
 * or `null` when the file has no weights manifest.
 * @category io
 */
export const loadTfjsWeights = (modelJsonPath: string, file: ModelFile, model: CompiledModel): E.Either<ReadonlyArray<SpecError>, ModelParams | null> => {
  if (file.weightsManifest === null || file.weightsManifest === undefined) return E.right(null)
  const groups = readWeightsManifest(file.weightsManifest)
  if (E.isLeft(groups)) return groups
  const dir = dirname(modelJsonPath)
  const errors: SpecError[] = []
  const shards = groups.right.map((g, gi) =>
    g.paths.map((p, pi) => {
      try {
        return new Uint8Array(readFileSync(join(dir, p)))
      } catch {
        const names = g.weights.map((w) => w.name)
        errors.push(
          specError(
            `weightsManifest[${gi}].paths[${pi}]`,
            `shard file ${JSON.stringify(p)} is missing next to ${modelJsonPath}; it holds (part of) the weights ${names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ')}${names.length > 8 ? `, … (${names.length} in all)` : ''}`
          )
        )
        return new Uint8Array(0)
      }
    })
  )
  if (errors.length > 0) return E.left(errors)
  const named = decodeWeightData(groups.right, shards, model.dtype)
  if (E.isLeft(named)) return named
  return assignNamedWeights(model, named.right)
}
