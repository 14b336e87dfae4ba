/**
 * One engine on one model in a fresh process, for what a shared process cannot measure:
 * - peak resident memory: in the benchmark's process every engine's memory stays mapped after its
 *   turn (tfjs-wasm's heap never shrinks, V8 keeps its grown heap, glibc its arenas), so the RSS an
 *   engine adds there depends on who ran before it. Here the process loads its libraries and the
 *   model file, collects garbage, resets the kernel's peak-RSS mark (VmHWM) and only then builds the
 *   engine and makes the weights (JS Float32Arrays, as a user holds them) and the input: the peak
 *   above that baseline, less the bytes of those weights, is the engine's own memory (its copy or
 *   packing of the weights, intermediates, outputs, code, garbage not yet collected, worker threads);
 * - the cold first call: nothing of the engine has run in the process before its build (layerspec:
 *   `compileModel`, timed alone; tfjs: `modelFromJSON` + `setWeights`), its first call at the first
 *   batch size, then its first at the larger one.
 * After the first calls it runs warm calls at the larger batch for at least 250 ms (at least one).
 * For a tfjs engine the weights are made with layerspec's per-layer interpreter (`interpreter: true`:
 * the compiler's kernels never load), whose compiled model only names and shapes them.
 *
 * `node --expose-gc --import tsx bench/models/child.ts CASE ENGINE BATCH...` prints one JSON line.
 */
import * as E from 'fp-ts/lib/Either.js'
import { compileModel, formatErrors, type ModelParams } from '../../src/index.js'
import { CASES } from './cases.js'
import { gc, oursEngine, peakRssMiB, resetPeakRss, rssMiB, timed, warmUp, type Batch, type Engine, type EngineName } from './engines.js'

const [caseName, engineName, ...batchArgs] = process.argv.slice(2)
const c = CASES.find((k) => k.name === caseName)
if (c === undefined) throw new Error(`no case ${String(caseName)}`)
const engine = engineName as EngineName
const batches = batchArgs.map(Number)
const tfjsNeeded = engine.startsWith('tfjs') || c.group === 'synthetic'
const tfjs = tfjsNeeded ? await import('./tfjs.js') : undefined

const loaded = await c.load()
gc()
gc()
const baseline = rssMiB()
const reset = resetPeakRss()

let e: Engine
let params: ModelParams
let inputShapes: ReadonlyArray<ReadonlyArray<number>>
let batchOf: (size: number) => Batch
if (engine === 'ours' || engine === 'ours×2') {
  const ours = oursEngine(loaded, engine === 'ours' ? 1 : 2)
  e = ours
  params = ours.params
  inputShapes = ours.compiled.inputShapes
  batchOf = (size) => ({ size, inputs: loaded.input(ours.compiled, size).map((data, i) => ({ shape: [size, ...(inputShapes[i] ?? [])], data })) })
} else {
  if (tfjs === undefined || !('topology' in loaded.tfjs)) throw new Error(`${c.name}: tfjs cannot run it`)
  const r = compileModel(loaded.model, { interpreter: true, ...(loaded.inputShapes === undefined ? {} : { inputShapes: loaded.inputShapes }) })
  if (E.isLeft(r)) throw new Error(formatErrors(r.left.slice(0, 3)))
  const names = r.right
  params = loaded.weights(names)
  inputShapes = names.inputShapes
  batchOf = (size) => ({ size, inputs: loaded.input(names, size).map((data, i) => ({ shape: [size, ...(inputShapes[i] ?? [])], data })) })
  e = await tfjs.tfjsEngine(engine === 'tfjs-wasm' ? 'wasm' : 'cpu', loaded.tfjs.topology, names, params)
}
const weightsMiB = params.reduce((a, t) => a + t.data.length * 4, 0) / 2 ** 20
const inputs = batches.map(batchOf)
await e.before?.()
const first = inputs.map((b) => timed(() => e.run(b)))
const last = inputs[inputs.length - 1] as Batch
warmUp(() => e.run(last), 0, 1)
const peak = peakRssMiB()
process.stdout.write(`${JSON.stringify({ baselineMiB: baseline, peakMiB: peak, weightsMiB, peakReset: reset, buildMs: e.buildMs, firstMs: first, batches })}\n`)
process.exit(0)
