/**
 * The convolution-family golden fixtures written by real Keras 3.15.1 on TensorFlow 2.21
 * (scripts/golden/convfamily.py; spec/fixtures/keras3/convfamily/<group>.json; issue 14): one-layer
 * models of every member (Conv1D, Conv3D, the transposed, separable and depthwise convolutions, the 1-D
 * and 3-D pooling, global pooling, upsampling, padding and cropping layers) in both data formats, and
 * `mixed.json`: models chaining two or three of them.
 *
 * As for the other golden fixtures (README, "Golden fixtures from real Keras 3.15"), weights and inputs
 * are not stored: {@link caseWeights} and {@link caseInput} regenerate them bit for bit from the case's
 * seed with golden.ts (weight `i` of Keras's `get_weights()` order from `seed + 1 + i`, by its path and
 * shape). A case holds Keras's model JSON, its parameter count, output shape and every output value.
 *
 * Cases TensorFlow on CPU could not run are kept as {@link ConvFamilySkip}s with the error and the
 * reason; a case with `xla: true` was refused by TensorFlow's eager CPU kernel and computed by the same
 * Keras code compiled with XLA. Every case agrees with an independent float64 NumPy computation of the
 * reference's formulas (`numpy_check`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fillWeights, makeInput } from './golden.js'

/** The folder of the fixtures. */
export const CONV_FAMILY_DIR = fileURLToPath(new URL('../fixtures/keras3/convfamily/', import.meta.url))

/** The members of the family issue 14 lists; each has a fixture file `<member>.json` of one-layer cases. */
export const CONV_FAMILY_MEMBERS = [
  'Conv1D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'DepthwiseConv1D',
  'DepthwiseConv2D',
  'MaxPooling1D',
  'MaxPooling3D',
  'AveragePooling1D',
  'AveragePooling3D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling3D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling3D',
  'UpSampling1D',
  'UpSampling3D',
  'ZeroPadding1D',
  'ZeroPadding3D',
  'Cropping1D',
  'Cropping3D'
] as const

export type ConvFamilyMember = (typeof CONV_FAMILY_MEMBERS)[number]

/** The group of the cases chaining several layers (`mixed.json`). */
export const MIXED_GROUP = 'mixed'

export interface ConvFamilyWeight {
  /** Keras's variable path, `layer/weight` (a Keras 3 depthwise kernel is `kernel`). */
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}

export interface ConvFamilyCase {
  /** `<group>/<tag>`, unique over all files. */
  readonly id: string
  /** The file's group: a member's class name, or {@link MIXED_GROUP}. */
  readonly group: string
  /** The layer classes after the input, in order. */
  readonly layers: ReadonlyArray<string>
  /** The Python keyword arguments each layer was built with (`get_config()` in `model` is the full config). */
  readonly arguments: ReadonlyArray<Record<string, unknown>>
  readonly seed: number
  /** The input, batch axis included; its values are `makeInput(shape, seed, low, high)`. */
  readonly input: { readonly shape: ReadonlyArray<number>; readonly low: number; readonly high: number }
  /** Keras's `model.weights` (= `get_weights()` order). */
  readonly weights: ReadonlyArray<ConvFamilyWeight>
  /** `model.count_params()`. */
  readonly params: number
  /** `model.output_shape`, batch `null`. */
  readonly output_shape: ReadonlyArray<number | null>
  /** Keras's output: every value (float32, written as the shortest decimal that reads back the same). */
  readonly output: { readonly shape: ReadonlyArray<number>; readonly data: ReadonlyArray<number> }
  /** The exactly rounded sum of each weight's values (get_weights() order) and of the input's, as Keras was given them. */
  readonly fill_check: { readonly weights: ReadonlyArray<number>; readonly input: number }
  /** max |keras − numpy| and max |numpy| against the generator's independent float64 computation. */
  readonly numpy_check: { readonly max_abs_diff: number; readonly max_abs: number }
  /** TensorFlow's eager CPU kernel refused the case (`eager_error`); Keras ran under XLA. */
  readonly xla?: true
  readonly eager_error?: string
  /** The model JSON exactly as `model.to_json()` wrote it (parsed). */
  readonly model: Record<string, unknown>
}

/** A case Keras on TensorFlow CPU could not run: what was asked, the error, and why. */
export interface ConvFamilySkip {
  readonly id: string
  readonly group: string
  readonly layers: ReadonlyArray<string>
  readonly arguments: ReadonlyArray<Record<string, unknown>>
  readonly input: { readonly shape: ReadonlyArray<number> }
  readonly stage: string
  readonly error: string
  readonly xla_error: string
  readonly reason: string
}

export interface ConvFamilyFile {
  readonly format: number
  readonly group: string
  readonly generator: string
  readonly keras_version: string
  readonly tensorflow_version: string
  readonly cases: ReadonlyArray<Omit<ConvFamilyCase, 'group'>>
  readonly skips: ReadonlyArray<Omit<ConvFamilySkip, 'group'>>
}

/** The fixture files' names, sorted (empty when the folder is missing). */
export const convFamilyFiles = (): ReadonlyArray<string> => {
  try {
    return readdirSync(CONV_FAMILY_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  } catch {
    return []
  }
}

/** One fixture file, parsed. */
export const readConvFamilyFile = (file: string): ConvFamilyFile => JSON.parse(readFileSync(join(CONV_FAMILY_DIR, file), 'utf8')) as ConvFamilyFile

/** The total size of the fixture files, in bytes. */
export const convFamilyBytes = (): number => convFamilyFiles().reduce((a, f) => a + statSync(join(CONV_FAMILY_DIR, f)).size, 0)

let cache: { readonly cases: ReadonlyArray<ConvFamilyCase>; readonly skips: ReadonlyArray<ConvFamilySkip> } | undefined

const loadAll = (): { readonly cases: ReadonlyArray<ConvFamilyCase>; readonly skips: ReadonlyArray<ConvFamilySkip> } => {
  if (cache === undefined) {
    const files = convFamilyFiles().map(readConvFamilyFile)
    cache = {
      cases: files.flatMap((f) => f.cases.map((c) => ({ ...c, group: f.group }))),
      skips: files.flatMap((f) => f.skips.map((s) => ({ ...s, group: f.group })))
    }
  }
  return cache
}

/** Every case of every file (optionally of one group: a member's class name or {@link MIXED_GROUP}). */
export const convFamilyCases = (group?: string): ReadonlyArray<ConvFamilyCase> => loadAll().cases.filter((c) => group === undefined || c.group === group)

/** Every skipped case, with its reason. */
export const convFamilySkips = (group?: string): ReadonlyArray<ConvFamilySkip> => loadAll().skips.filter((s) => group === undefined || s.group === group)

/** The one-layer cases of a member. */
export const memberCases = (member: string): ReadonlyArray<ConvFamilyCase> => convFamilyCases().filter((c) => c.layers.length === 1 && c.layers[0] === member)

/** The case's weights in Keras's `get_weights()` order, regenerated from its seed (golden.ts `fillWeights`). */
export const caseWeights = (c: ConvFamilyCase): Float32Array[] => fillWeights(c.weights, c.seed)

/** The case's input (batch axis included), regenerated from its seed. */
export const caseInput = (c: ConvFamilyCase): { readonly shape: ReadonlyArray<number>; readonly data: Float32Array } => ({
  shape: c.input.shape,
  data: makeInput(c.input.shape, c.seed, c.input.low, c.input.high)
})

/** Keras's output as float32 values. */
export const caseOutput = (c: ConvFamilyCase): { readonly shape: ReadonlyArray<number>; readonly data: Float32Array } => ({
  shape: c.output.shape,
  data: Float32Array.from(c.output.data)
})

/** The config Keras wrote for the case's `i`-th layer after the input (its entry in `model`). */
export const layerConfig = (c: ConvFamilyCase, i: number): Record<string, unknown> | undefined => {
  const layers = (c.model['config'] as { layers?: ReadonlyArray<Record<string, unknown>> } | undefined)?.layers ?? []
  return layers.filter((l) => l['class_name'] !== 'InputLayer')[i]?.['config'] as Record<string, unknown> | undefined
}

/**
 * The exactly rounded sum of `values` (Python's `math.fsum`: Shewchuk's partials), so that a sum stored
 * by the generator can be compared bit for bit.
 */
export const exactSum = (values: ArrayLike<number>): number => {
  const partials: number[] = []
  for (let i = 0; i < values.length; i++) {
    let x = values[i] as number
    let j = 0
    for (const p of partials) {
      let y = p
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x]
      const hi = x + y
      const lo = y - (hi - x)
      if (lo !== 0) partials[j++] = lo
      x = hi
    }
    partials.length = j
    partials.push(x)
  }
  // round the partials' sum as fsum does (half-way cases taken care of)
  let n = partials.length
  if (n === 0) return 0
  let hi = partials[--n] as number
  let lo = 0
  while (n > 0) {
    const x = hi
    const y = partials[--n] as number
    hi = x + y
    const yr = hi - x
    lo = y - yr
    if (lo !== 0) break
  }
  if (n > 0 && ((lo < 0 && (partials[n - 1] as number) < 0) || (lo > 0 && (partials[n - 1] as number) > 0))) {
    const y = lo * 2
    const x = hi + y
    if (y === x - hi) hi = x
  }
  return hi
}
