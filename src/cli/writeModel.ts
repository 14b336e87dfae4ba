/**
 * Writing exported models to disk (Node.js only; the browser-safe modules never import this file):
 * a TensorFlow.js model as `model.json` plus its `.bin` shard, the way tfjs-layers' `model.save('file://dir')`
 * lays them out, so that `tf.loadLayersModel('file://dir/model.json')` (tfjs-node), a browser fetching the
 * folder, and layerspec's `loadTfjsWeights` all read it.
 */
import * as E from 'fp-ts/lib/Either.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { quoteText } from '../core/describe.js'
import { specError, type SpecError } from '../core/SpecError.js'
import type { TfjsArtifacts } from '../model/exportModel.js'

/**
 * Where {@link writeTfjsModel} wrote the files.
 * @category io
 */
export interface WrittenTfjsModel {
  readonly modelJsonPath: string
  readonly weightPaths: ReadonlyArray<string>
}

/**
 * Writes `artifacts` (from `toTfjsArtifacts`) into `dir` (created if missing): `model.json` and the
 * shard named in its manifest (`group1-shard1of1.bin`), overwriting files of those names. Errors name
 * the file and why (`cannot write …: permission denied`).
 * @category io
 */
export const writeTfjsModel = (dir: string, artifacts: TfjsArtifacts): E.Either<ReadonlyArray<SpecError>, WrittenTfjsModel> => {
  const shards = artifacts.modelJson.weightsManifest.flatMap((g) => g.paths)
  const shard = shards[0]
  if (shards.length !== 1 || shard === undefined || basename(shard) !== shard || shard === 'model.json') {
    return E.left([specError('weightsManifest[0].paths', `expected one shard file name to write next to model.json, found ${shards.map(quoteText).join(', ') || 'none'}`)])
  }
  const modelJsonPath = join(dir, 'model.json')
  const weightPath = join(dir, shard)
  try {
    mkdirSync(dir, { recursive: true })
    writeFileSync(weightPath, artifacts.weightData)
    writeFileSync(modelJsonPath, JSON.stringify(artifacts.modelJson))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a path component is not a directory' : code === 'ENOSPC' ? 'no space left on the device' : e instanceof Error ? e.message : String(e)
    return E.left([specError('', `cannot write the model into ${dir}: ${reason}`)])
  }
  return E.right({ modelJsonPath, weightPaths: [weightPath] })
}
