/**
 * File input for the CLI and for Node users: reading JSON (or stdin) with one clear message per
 * failure, and loading a TensorFlow.js model's `.bin` shards from next to its model.json.
 */
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { quoteText } from '../core/describe.js'
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
  const dir = resolve(dirname(modelJsonPath))
  const errors: SpecError[] = []
  const shards = groups.right.map((g, gi) =>
    g.paths.map((p, pi) => {
      const at = `weightsManifest[${gi}].paths[${pi}]`
      // tfjs writes shards next to model.json; a path leaving that folder would read some other file as weights.
      const full = resolve(dir, p)
      const rel = relative(dir, full)
      if (p === '' || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) || p.includes('\0')) {
        errors.push(specError(at, `expected a shard file name in the model's folder (tfjs writes "group1-shard1of1.bin" next to model.json), found ${quoteText(p)}, which points outside it`))
        return new Uint8Array(0)
      }
      try {
        return new Uint8Array(readFileSync(full))
      } catch {
        const names = g.weights.map((w) => w.name)
        errors.push(
          specError(
            at,
            `shard file ${quoteText(p)} is missing next to ${modelJsonPath}; it holds (part of) the weights ${names.slice(0, 8).map(quoteText).join(', ')}${names.length > 8 ? `, … (${names.length} in all)` : ''}`
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
