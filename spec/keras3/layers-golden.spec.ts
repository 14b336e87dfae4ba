/**
 * Golden fixtures from real Keras 3.15 (scripts/golden/layers.py, spec/fixtures/keras3/layers/*.json.gz):
 * for every layer kind layerspec reads, one-layer models built by Keras from random and mutated configs.
 *
 * A config Keras accepts: layerspec decodes the model Keras wrote (keras3 dialect) and the layer's
 * `get_config()` in it, infers Keras's symbolic output shape and its weights (names, shapes, order),
 * compiles, runs with the weights and input golden.ts regenerates bit for bit, and matches Keras's output
 * within {@link TOLERANCE} of the output's scale (its largest magnitude); non-finite values must sit where
 * Keras puts them. The encoded spec decodes to the same spec, and the config as it was given to Keras
 * (before Keras normalized it) means the same thing and runs to the same output.
 *
 * A config Keras refuses (at `from_config`, when building, or when calling): layerspec refuses it too, at
 * decoding, shape inference or compilation. "We accept, Keras refuses" must be zero. A config Keras
 * accepts but layerspec refuses must match one of the documented {@link STRICTER} rules (README,
 * "Decisions where Keras versions disagree or Keras is too lax"); every such case is counted and printed.
 */
import * as E from 'fp-ts/lib/Either.js'
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { findLayerKind } from '../../src/model/registry.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { inputLayerCodec } from '../../src/model/InputLayer.js'
import { fillWeights, makeInput } from './golden.js'

// -------------------------------------------------------------------------------------
// fixtures
// -------------------------------------------------------------------------------------

const DIR = fileURLToPath(new URL('../fixtures/keras3/layers/', import.meta.url))

/**
 * Largest error allowed, relative to the largest magnitude of Keras's output (float32 arithmetic in a
 * different order; the largest measured is 5.1e-7, UpSampling2D bilinear).
 */
const TOLERANCE = 1e-6

interface Shapes {
  readonly symbolic: ReadonlyArray<number | null>
  readonly concrete: ReadonlyArray<number>
}

interface Output {
  readonly shape: ReadonlyArray<number>
  readonly size: number
  readonly nonfinite: number
  readonly maxabs: number
  readonly sum: number
  readonly sumsq: number
  readonly wsum: number
  readonly values: string
}

type Verdict =
  | {
      readonly ok: true
      readonly model: Record<string, unknown>
      readonly config?: Record<string, unknown>
      readonly weights: ReadonlyArray<readonly [string, ReadonlyArray<number>, string]>
      readonly symbolic_shape: ReadonlyArray<number | null>
      readonly output?: Output
      /** Keras's output went through its TensorFlow backend's mis-broadcast bias add (see {@link TF_BIAS_ADD_BUG}). */
      readonly tf_bias_add_bug?: boolean
    }
  | { readonly ok: false; readonly stage: string; readonly error: string }

interface Case {
  readonly id: string
  readonly how: string
  readonly config: Record<string, unknown>
  readonly seed: number
  readonly inputs?: ReadonlyArray<Shapes>
  readonly input_range?: readonly [number, number]
  readonly keras: Verdict
}

interface Fixture {
  readonly format: number
  readonly kind: string
  readonly keras: string
  readonly cases: ReadonlyArray<Case>
}

const fixtureFiles = (): ReadonlyArray<string> => {
  try {
    return readdirSync(DIR)
      .filter((f) => f.endsWith('.json.gz'))
      .sort()
  } catch {
    return []
  }
}

const load = (file: string): Fixture => JSON.parse(gunzipSync(readFileSync(join(DIR, file))).toString('utf8')) as Fixture

// -------------------------------------------------------------------------------------
// where layerspec is knowingly stricter than Keras
// -------------------------------------------------------------------------------------

/**
 * Configs Keras 3.15 accepts and layerspec refuses on purpose, each with the reason (README, "Decisions
 * where Keras versions disagree or Keras is too lax"). A rule matches one of layerspec's errors (its
 * path and message); a case counts as refused on purpose only when every one of its errors matches.
 */
const STRICTER: ReadonlyArray<{ readonly reason: string; readonly path?: RegExp; readonly message: RegExp }> = [
  { reason: 'dtype policies without a typed array (float16, bfloat16, mixed precision, integers)', message: /which layerspec cannot compute in|expected the dtype to be|^unknown dtype policy/ },
  { reason: 'a flag that is not true or false (Keras keeps any value and tests its truth)', message: /^expected true or false, found/ },
  { reason: 'a boolean where a number is expected (Python reads true as 1)', message: /found the boolean (true|false)/ },
  { reason: 'quantized Dense layers', message: /quantized Dense layers/ },
  // Keras 3's InputLayer passes only `name` on and drops every other keyword without a word
  { reason: 'keywords an InputLayer drops (Keras 3 ignores any keyword it does not know)', message: /^unknown InputLayer argument/ },
  { reason: 'an InputLayer with both batch_input_shape and batch_shape (Keras 3 lets the first replace the second)', message: /give either batch_input_shape \(Keras 2\) or batch_shape \(Keras 3\), not both/ },
  // Keras 3 replaces `shape` by `input_shape` without reading it: layerspec checks both and refuses the pair
  { reason: 'an InputLayer with both shape and input_shape (Keras 3 lets input_shape replace shape, unread)', path: /^shape$/, message: /give either shape or input_shape|^expected a list of at least 0 dimensions/ },
  { reason: 'UpSampling2D resize methods other than nearest and bilinear', message: /is a Keras resize method that layerspec does not run/ },
  { reason: 'a valid window larger than the input (TensorFlow computes an empty or undefined output)', message: /which would give an empty output|too small for a "valid" window/ },
  { reason: 'Concatenate along the batch axis', message: /Concatenate along the batch axis/ },
  { reason: 'arguments read only in training or augmentation, of a type Keras does not check until then', path: /(fill_value|bounding_box_format|lora_alpha|renorm_momentum|renorm_clipping|input_dim|config\.(max_value|min_value|rate|axis))(\[\d+\])?$/, message: /^expected/ },
  { reason: 'lora_alpha without lora_rank (Keras ignores it)', message: /lora_alpha .* is set but lora_rank is not/ },
  { reason: 'a number that is not an integer where Keras calls int()', path: /axis$/, message: /^expected an integer/ },
  { reason: "Conv2D's input_dim (a 1-D input shape; Keras ignores it outside a Sequential)", path: /input_dim$/, message: /describes a 1-D input/ },
  { reason: 'a Rescaling scale or offset that would change the output shape Keras declares', message: /more than this input has besides its batch axis|Keras would broadcast the output/ },
  { reason: 'a repeated Normalization axis', message: /^Normalization axis .* repeats axis/ },
  { reason: 'a number written as a string (Python\'s float() reads "0.5")', message: /\(write the number without quotes\)$/ },
  { reason: 'initializer arguments of the wrong type (Keras checks them only when it creates the weight, and not all of them then)', path: /_initializer\.config\.\w+$/, message: /^expected/ },
  { reason: 'a serialized object without "config" (Keras 3 reads it as {})', message: /^missing "config" in the serialized/ },
  { reason: 'a constraint axis outside its weight (Keras applies constraints only when training)', path: /_constraint$/, message: /is out of range for a weight of rank/ },
  { reason: 'ragged, sparse and optional model inputs (layerspec runs dense tensors)', message: /(ragged|sparse|optional) inputs are not supported/ }
]

/**
 * Keras 3.15's TensorFlow backend (`keras/src/backend/tensorflow/numpy.py`, `add`) turns an addition of a
 * tensor with a single dim above 1 into `tf.nn.bias_add`, along the last axis whenever that dim equals the
 * last axis's size: a channels_first convolution whose output width equals its filters gets its bias added
 * along the width (and a Rescaling offset likewise). Other Keras backends, and layerspec, add it along its
 * own axis. Such cases are marked by the generator; their values are not compared.
 */
const TF_BIAS_ADD_BUG = 'Keras 3.15 TensorFlow backend adds a bias along the last axis when it has the bias\'s length'

/**
 * Keras 3.15 accepts these InputLayer configs and layerspec's InputLayer codec (src/model/InputLayer.ts,
 * outside this suite's scope) refuses them: Keras 3 also reads `shape` (+ `batch_size`), the legacy
 * `input_shape` / `batch_input_shape` aliases and `sparse` / `ragged` null, and ignores any other
 * keyword. Printed, not failed.
 */

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

const show = (errors: ReadonlyArray<SpecError>): string => errors.map((e) => `${e.path}: ${e.message}`).join('; ')

const decodeBase64Floats = (b64: string): Float32Array => {
  const bytes = Buffer.from(b64, 'base64')
  const out = new Float32Array(bytes.length / 4)
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4)
  return out
}

const sampleIndices = (size: number): ReadonlyArray<number> =>
  size <= 64 ? Array.from({ length: size }, (_, i) => i) : Array.from({ length: 64 }, (_, k) => Math.floor(((k + 0.5) * size) / 64))

/** Every mismatch between layerspec's output and Keras's, and the largest relative error seen. */
const compareOutput = (y: Tensor, expected: Output): { readonly problems: ReadonlyArray<string>; readonly relError: number } => {
  const problems: string[] = []
  if (JSON.stringify([...y.shape]) !== JSON.stringify(expected.shape)) {
    return { problems: [`output shape ${JSON.stringify(y.shape)}, Keras ${JSON.stringify(expected.shape)}`], relError: Infinity }
  }
  const scale = Math.max(expected.maxabs, 1e-30)
  const keras = decodeBase64Floats(expected.values)
  const idx = sampleIndices(expected.size)
  let relError = 0
  idx.forEach((i, k) => {
    const a = y.data[i] as number
    const b = keras[k] as number
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) problems.push(`output[${i}] = ${a}, Keras ${b}`)
      return
    }
    const err = Math.abs(a - b) / scale
    relError = Math.max(relError, err)
    if (err > TOLERANCE) problems.push(`output[${i}] = ${a}, Keras ${b} (error ${err.toExponential(2)} of the output scale ${expected.maxabs})`)
  })
  let sum = 0
  let sumsq = 0
  let wsum = 0
  let nonfinite = 0
  for (let i = 0; i < y.data.length; i++) {
    const v = y.data[i] as number
    if (!Number.isFinite(v)) {
      nonfinite++
      continue
    }
    sum += v
    sumsq += v * v
    wsum += v * (((i * 7919) % 1009) / 1009)
  }
  if (nonfinite !== expected.nonfinite) problems.push(`${nonfinite} non-finite outputs, Keras ${expected.nonfinite}`)
  const n = Math.max(1, expected.size)
  const check = (what: string, ours: number, theirs: number, bound: number): void => {
    if (Math.abs(ours - theirs) > bound) problems.push(`${what} ${ours}, Keras ${theirs}`)
  }
  check('sum', sum, expected.sum, TOLERANCE * n * scale + 1e-30)
  check('weighted sum', wsum, expected.wsum, TOLERANCE * n * scale + 1e-30)
  check('sum of squares', sumsq, expected.sumsq, 2 * TOLERANCE * n * scale * scale + 1e-30)
  return { problems, relError }
}

/** A Keras 3 functional model file around one layer config, as Keras 3.15 writes one (for configs Keras never wrote). */
const wrapInModel = (className: string, given: Record<string, unknown>, inputs: ReadonlyArray<Shapes>): Record<string, unknown> => {
  // Keras names a layer whose config has no name; a file always holds one.
  const config = Object.prototype.hasOwnProperty.call(given, 'name') ? given : { ...given, name: 'the_layer' }
  const name = typeof config['name'] === 'string' ? config['name'] : 'the_layer'
  const inputLayers = inputs.map((s, i) => ({
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: [...s.symbolic], dtype: 'float32', sparse: false, ragged: false, name: `input_${i}`, optional: false },
    registered_name: null,
    name: `input_${i}`,
    inbound_nodes: []
  }))
  const tensors = inputs.map((s, i) => ({ class_name: '__keras_tensor__', config: { shape: [...s.symbolic], dtype: 'float32', keras_history: [`input_${i}`, 0, 0] } }))
  const multi = findLayerKind(className)?.arity === 'multiple'
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'golden',
      trainable: true,
      layers: [
        ...inputLayers,
        { module: 'keras.layers', class_name: className, config, registered_name: null, name, inbound_nodes: [{ args: multi ? [tensors] : [tensors[0]], kwargs: {} }] }
      ],
      input_layers: multi ? inputs.map((_, i) => [`input_${i}`, 0, 0]) : [`input_0`, 0, 0],
      output_layers: [name, 0, 0]
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: {}
  }
}

/** Decodes, infers, compiles and runs a model file on a case's inputs: its output, or the errors of the first stage that failed. */
const runModel = (
  file: unknown,
  c: Case,
  weights: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }> | undefined
): E.Either<{ readonly stage: string; readonly errors: ReadonlyArray<SpecError> }, { readonly y: Tensor; readonly symbolic: ReadonlyArray<number | null>; readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }> }> => {
  const inputs = c.inputs ?? []
  const decoded = decodeModelFile(file)
  if (E.isLeft(decoded)) return E.left({ stage: 'decode', errors: decoded.left })
  const summary = inferModel(decoded.right.model)
  if (E.isLeft(summary)) return E.left({ stage: 'infer', errors: summary.left })
  const compiled = compileModel(decoded.right.model, { inputShapes: inputs.map((s) => s.concrete.slice(1)) })
  if (E.isLeft(compiled)) return E.left({ stage: 'compile', errors: compiled.left })
  const model = compiled.right
  const ws = weights ?? model.weights.map((w) => ({ name: w.name, shape: w.shape }))
  const params = fillWeights(ws, c.seed).map((data, i) => ({ shape: model.weights[i]?.shape ?? [], data }))
  const [lo, hi] = c.input_range ?? [-2, 2]
  const xs = inputs.map((s, i) => ({ shape: [...s.concrete], data: makeInput(s.concrete, i === 0 ? c.seed : c.seed + 1000 * (i + 1), lo, hi) }))
  const run = model.run(params, xs)
  if (E.isLeft(run)) return E.left({ stage: 'run', errors: run.left })
  return E.right({
    y: run.right[0] as Tensor,
    symbolic: summary.right.outputShapes[0] ?? [],
    weights: model.weights.map((w) => ({ name: w.name, shape: [...w.shape] }))
  })
}

/**
 * Keras 3.15's Identity initializer has no get_config of its own (the base class writes `{}`), so the
 * config Keras writes has lost any gain: compared at gain 1.
 */
const identityGainLost = (u: unknown): unknown =>
  JSON.parse(JSON.stringify(u), (_k, v: unknown) =>
    typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'identity' ? { ...(v as object), gain: 1 } : v
  )

/** Deep equality where numbers are compared as float32 and the listed keys are skipped. */
const sameMeaning = (a: unknown, b: unknown, skip: ReadonlySet<string>): boolean => {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(Math.fround(a), Math.fround(b)) || Math.fround(a) === Math.fround(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameMeaning(x, b[i], skip))
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => !skip.has(k))
    const kb = Object.keys(b).filter((k) => !skip.has(k))
    return ka.length === kb.length && ka.every((k) => sameMeaning((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], skip))
  }
  return Object.is(a, b)
}

const decodeWith = (codec: t.Type<unknown, Record<string, unknown>, unknown>, u: unknown): E.Either<ReadonlyArray<SpecError>, unknown> =>
  E.mapLeft(fromValidationErrors)(codec.decode(u))

const codecOf = (className: string): t.Type<unknown, Record<string, unknown>, unknown> | undefined => {
  if (className === 'InputLayer') return inputLayerCodec('keras3') as t.Type<unknown, Record<string, unknown>, unknown>
  const kind = findLayerKind(className)
  return kind === undefined ? undefined : (kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' }) as t.Type<unknown, Record<string, unknown>, unknown>)
}

/** The layer entry of a Keras-written one-layer model. */
const layerEntry = (model: Record<string, unknown>, className: string): Record<string, unknown> | undefined => {
  const layers = (model['config'] as { layers?: ReadonlyArray<Record<string, unknown>> } | undefined)?.layers ?? []
  return layers.find((l) => l['class_name'] === className)
}

/** The documented reasons covering every error, or `undefined` when an error is not covered. */
const stricterReasons = (errors: ReadonlyArray<SpecError>): ReadonlyArray<string> | undefined => {
  // a model's errors name the layer first: `layer "x" (Conv2D): …`
  const own = (m: string): string => m.replace(/^layer ".*?" \(\w+\): /, '')
  const reasons = errors.map((e) => STRICTER.find((r) => r.message.test(own(e.message)) && (r.path === undefined || r.path.test(e.path)))?.reason)
  return errors.length > 0 && reasons.every((r) => r !== undefined) ? [...new Set(reasons as string[])] : undefined
}

/** `GOLDEN_DUMP=file npx vitest run spec/keras3/layers-golden.spec.ts` appends every problem found to `file`, one per line. */
const dump = (problems: ReadonlyArray<string>): void => {
  const file = process.env['GOLDEN_DUMP']
  if (file !== undefined && problems.length > 0) appendFileSync(file, problems.map((p) => `${p}\n`).join(''))
}

// -------------------------------------------------------------------------------------
// the suite
// -------------------------------------------------------------------------------------

const files = fixtureFiles()

describe('golden fixtures from Keras 3.15, every layer kind', () => {
  it('the fixtures are there (scripts/golden/layers.py writes them)', () => {
    expect(files.length).toBeGreaterThan(0)
    const total = files.reduce((a, f) => a + statSync(join(DIR, f)).size, 0)
    console.log(`golden layer fixtures: ${files.length} files, ${total} bytes`)
  })

  for (const file of files) {
    const fixture = load(file)
    const kind = fixture.kind
    const codec = codecOf(kind)
    const accepted = fixture.cases.filter((c) => c.keras.ok)
    const refused = fixture.cases.filter((c) => !c.keras.ok)

    describe(kind, () => {
      it(`${accepted.length} configs Keras accepts: same shapes, weights and outputs; encode → decode is the identity`, () => {
        expect(codec, `no codec for ${kind}`).toBeDefined()
        if (codec === undefined) return
        const problems: string[] = []
        const stricter = new Map<string, ReadonlyArray<string>>()
        let worst = 0
        for (const c of accepted) {
          const v = c.keras as Extract<Verdict, { ok: true }>
          const at = `${c.id} (${c.how})`
          const writtenConfig = kind === 'InputLayer' ? v.config : (layerEntry(v.model, kind)?.['config'] as Record<string, unknown> | undefined)
          if (writtenConfig === undefined) {
            problems.push(`${at}: no ${kind} entry in Keras's model`)
            continue
          }
          // The config Keras wrote, alone.
          const spec = decodeWith(codec, writtenConfig)
          if (E.isLeft(spec)) {
            const reasons = stricterReasons(spec.left)
            if (reasons !== undefined) for (const r of reasons) stricter.set(r, [...new Set([...(stricter.get(r) ?? []), c.id])])
            else problems.push(`${at}: Keras wrote a config layerspec rejects: ${show(spec.left)}`)
            continue
          }
          if ((spec.right as { dialect?: string }).dialect !== 'keras3') problems.push(`${at}: decoded in dialect ${(spec.right as { dialect?: string }).dialect}`)
          const again = decodeWith(codec, codec.encode(spec.right))
          if (E.isLeft(again)) problems.push(`${at}: the encoded spec does not decode: ${show(again.left)}`)
          else if (JSON.stringify(again.right) !== JSON.stringify(spec.right)) problems.push(`${at}: decode(encode(spec)) differs: ${JSON.stringify(again.right)} vs ${JSON.stringify(spec.right)}`)
          // The config as given to Keras means the same.
          const raw = decodeWith(codec, c.config)
          if (E.isLeft(raw)) {
            const reasons = stricterReasons(raw.left)
            if (reasons !== undefined) for (const r of reasons) stricter.set(r, [...new Set([...(stricter.get(r) ?? []), c.id])])
            else problems.push(`${at}: layerspec rejects the config Keras accepted: ${show(raw.left)}`)
          } else if (!sameMeaning(identityGainLost(raw.right), identityGainLost(spec.right), new Set(['name']))) {
            problems.push(`${at}: the given config and the one Keras wrote decode differently: ${JSON.stringify(raw.right)} vs ${JSON.stringify(spec.right)}`)
          }
          if (kind === 'InputLayer') {
            const batchShape = (spec.right as { batchShape?: ReadonlyArray<number | null> }).batchShape
            if (JSON.stringify(batchShape) !== JSON.stringify(v.symbolic_shape)) problems.push(`${at}: batch shape ${JSON.stringify(batchShape)}, Keras ${JSON.stringify(v.symbolic_shape)}`)
            continue
          }
          // The model Keras wrote, and the given config in a model: shapes, weights, outputs.
          const kerasWeights = v.weights.map(([name, shape]) => ({ name, shape }))
          for (const [what, model] of [
            ['model', v.model],
            ['given config', wrapInModel(kind, c.config, c.inputs ?? [])]
          ] as const) {
            if (what === 'given config' && E.isLeft(raw)) continue
            const r = runModel(model, c, kerasWeights)
            if (E.isLeft(r)) {
              const reasons = stricterReasons(r.left.errors)
              if (reasons !== undefined) for (const x of reasons) stricter.set(x, [...new Set([...(stricter.get(x) ?? []), c.id])])
              else problems.push(`${at}: the ${what} fails at ${r.left.stage}: ${show(r.left.errors)}`)
              continue
            }
            if (JSON.stringify(r.right.symbolic) !== JSON.stringify(v.symbolic_shape)) {
              problems.push(`${at}: ${what}: symbolic output shape ${JSON.stringify(r.right.symbolic)}, Keras ${JSON.stringify(v.symbolic_shape)}`)
            }
            if (JSON.stringify(r.right.weights) !== JSON.stringify(kerasWeights)) {
              problems.push(`${at}: ${what}: weights ${JSON.stringify(r.right.weights)}, Keras ${JSON.stringify(kerasWeights)}`)
              continue
            }
            if (v.output === undefined) continue
            if (v.tf_bias_add_bug === true) {
              stricter.set(TF_BIAS_ADD_BUG, [...new Set([...(stricter.get(TF_BIAS_ADD_BUG) ?? []), c.id])])
              continue
            }
            const cmp = compareOutput(r.right.y, v.output)
            worst = Math.max(worst, cmp.relError)
            problems.push(...cmp.problems.slice(0, 3).map((p) => `${at}: ${what}: ${p}`))
          }
        }
        const stricterCount = [...stricter.values()].reduce((a, ids) => a + ids.length, 0)
        console.log(
          `${kind}: ${accepted.length} accepted by Keras; largest output error ${worst.toExponential(2)} of the output scale` +
            (stricterCount > 0 ? `; not compared: ${[...stricter.entries()].map(([r, ids]) => `${ids.length} × ${r}`).join('; ')}` : '')
        )
        dump(problems)
        expect(problems).toEqual([])
      })

      it(`${refused.length} configs Keras refuses: layerspec refuses them too`, () => {
        if (codec === undefined) return
        const problems: string[] = []
        for (const c of refused) {
          const v = c.keras as Extract<Verdict, { ok: false }>
          const at = `${c.id} (${c.how}): Keras refuses at ${v.stage} (${v.error})`
          if (kind === 'InputLayer') {
            if (E.isRight(decodeWith(codec, c.config))) problems.push(`${at}, layerspec accepts it`)
            continue
          }
          const r = runModel(wrapInModel(kind, c.config, c.inputs ?? []), c, undefined)
          if (E.isRight(r)) problems.push(`${at}, layerspec accepts and runs it`)
        }
        dump(problems)
        expect(problems).toEqual([])
      })
    })
  }
})
