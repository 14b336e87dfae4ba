/**
 * The pooling, upsampling, padding and cropping companions of issue 14 (MaxPooling1D/3D,
 * AveragePooling1D/3D, GlobalAveragePooling1D/3D, GlobalMaxPooling1D/3D, UpSampling1D/3D,
 * ZeroPadding1D/3D, Cropping1D/3D) against the convolution-family golden fixtures written by real
 * Keras 3.15.1 on TensorFlow 2.21 (spec/keras3/convfamily.ts).
 *
 * For every one-layer case of these members, and every `mixed` case whose layers layerspec all runs
 * (the companions with the 2-D layers; with the rest of the family as it is registered):
 * - the model file Keras wrote decodes (keras3), its symbolic output shape and parameter count are
 *   Keras's;
 * - the layer's config alone decodes with its kind's codec, decode(encode(spec)) deep-equals spec, and
 *   the keyword arguments the generator gave Keras (ints for tuples, mixed ZeroPadding3D forms,
 *   defaults left out) decode to the same spec;
 * - the model compiles (default options; `backend: 'js'`; the per-layer interpreter) and runs on the
 *   case's regenerated weights and input to Keras's output within {@link TOLERANCE} of the output's
 *   largest magnitude (float32 arithmetic in a different order).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { fromValidationErrors } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { findLayerKind } from '../../src/model/registry.js'
import { compileModel, type CompileModelOptions } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { caseInput, caseOutput, caseWeights, convFamilyCases, layerConfig, memberCases, MIXED_GROUP, type ConvFamilyCase } from '../keras3/convfamily.js'
import { right } from '../helpers.js'

/** The members this suite covers. */
const COMPANIONS = [
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

/** Largest error allowed, relative to the largest magnitude of Keras's output. */
const TOLERANCE = 1e-6

const RUNS: ReadonlyArray<readonly [string, CompileModelOptions]> = [
  ['default', {}],
  ['js', { backend: 'js' }],
  ['interpreter', { interpreter: true }]
]

/** max |ours − keras| / max |keras|. */
const relativeError = (ours: Tensor, keras: { readonly shape: ReadonlyArray<number>; readonly data: Float32Array }): number => {
  let scale = 0
  for (const v of keras.data) scale = Math.max(scale, Math.abs(v))
  let worst = 0
  keras.data.forEach((k, i) => {
    const e = Math.abs((ours.data[i] as number) - k) / Math.max(scale, 1e-30)
    if (!(e <= worst)) worst = e
  })
  return worst
}

interface Checked {
  readonly problems: ReadonlyArray<string>
  /** The largest relative error per run. */
  readonly errors: ReadonlyArray<number>
}

/** Every check of one case: decode, shapes, params, codec round trip, and the runs. */
const check = (c: ConvFamilyCase): Checked => {
  const problems: string[] = []
  const decoded = decodeModelFile(c.model)
  if (E.isLeft(decoded)) return { problems: [`${c.id}: the model does not decode: ${JSON.stringify(decoded.left)}`], errors: [] }
  const model = decoded.right.model
  if (model.dialect !== 'keras3') problems.push(`${c.id}: read as ${model.dialect}`)
  const summary = right(inferModel(model))
  if (JSON.stringify(summary.outputShapes[0]) !== JSON.stringify(c.output_shape)) problems.push(`${c.id}: output shape ${JSON.stringify(summary.outputShapes[0])}, Keras ${JSON.stringify(c.output_shape)}`)
  if (summary.params !== c.params) problems.push(`${c.id}: ${summary.params} params, Keras ${c.params}`)
  if (JSON.stringify(summary.weights.map((w) => w.shape)) !== JSON.stringify(c.weights.map((w) => w.shape))) problems.push(`${c.id}: weight shapes ${JSON.stringify(summary.weights.map((w) => w.shape))}`)
  // each layer's config alone, with its kind's codec
  c.layers.forEach((className, i) => {
    const kind = findLayerKind(className)
    const config = layerConfig(c, i)
    if (kind === undefined || config === undefined) {
      problems.push(`${c.id}: no kind or config for ${className}`)
      return
    }
    const codec = kind.codec({ dialect: 'keras3', imageDataFormat: 'channels_last' })
    const spec = codec.decode(config)
    if (E.isLeft(spec)) {
      problems.push(`${c.id}: the ${className} config does not decode: ${JSON.stringify(fromValidationErrors(spec.left))}`)
      return
    }
    const again = codec.decode(codec.encode(spec.right))
    if (E.isLeft(again) || JSON.stringify(again.right) !== JSON.stringify(spec.right)) problems.push(`${c.id}: ${className} decode(encode(spec)) differs`)
    else expect(again.right).toEqual(spec.right)
    // the keyword arguments the generator gave Keras (before Keras normalized them) mean the same
    if (!(COMPANIONS as ReadonlyArray<string>).includes(className)) return
    const given = codec.decode(c.arguments[i] ?? {})
    if (E.isLeft(given)) problems.push(`${c.id}: the arguments Keras was given do not decode: ${JSON.stringify(fromValidationErrors(given.left))}`)
    else if (JSON.stringify({ ...given.right, name: null }) !== JSON.stringify({ ...spec.right, name: null })) problems.push(`${c.id}: the given arguments decode to ${JSON.stringify(given.right)}, Keras's config to ${JSON.stringify(spec.right)}`)
  })
  const input = caseInput(c)
  const expected = caseOutput(c)
  const errors = RUNS.map(([name, options]) => {
    const compiled = compileModel(model, options)
    if (E.isLeft(compiled)) {
      problems.push(`${c.id} (${name}): does not compile: ${JSON.stringify(compiled.left)}`)
      return Infinity
    }
    const params = caseWeights(c).map((data, i) => ({ shape: compiled.right.weights[i]?.shape ?? [], data }))
    const y = compiled.right.forward(params, [input])[0] as Tensor
    if (JSON.stringify(y.shape) !== JSON.stringify(expected.shape)) {
      problems.push(`${c.id} (${name}): output ${JSON.stringify(y.shape)}, Keras ${JSON.stringify(expected.shape)}`)
      return Infinity
    }
    const e = relativeError(y, expected)
    if (!(e <= TOLERANCE)) problems.push(`${c.id} (${name}): relative error ${e.toExponential(2)}`)
    return e
  })
  return { problems, errors }
}

/** The mixed cases whose every layer layerspec runs (a registered kind): at least those chaining the companions with the 2-D layers, and the rest of the family as it lands. */
const mixedCases = (): ReadonlyArray<ConvFamilyCase> => convFamilyCases(MIXED_GROUP).filter((c) => c.layers.every((l) => findLayerKind(l) !== undefined))

describe('issue 14 companions against Keras 3.15 (convolution-family golden fixtures)', () => {
  const summary: string[] = []

  it.each(COMPANIONS.map((m) => [m] as const))('%s: every one-layer case decodes, infers Keras\'s shape and params, round-trips, and runs to Keras\'s output', (member) => {
    const cases = memberCases(member)
    expect(cases.length).toBeGreaterThan(0)
    const problems: string[] = []
    const worst = RUNS.map(() => 0)
    for (const c of cases) {
      const r = check(c)
      problems.push(...r.problems)
      r.errors.forEach((e, i) => (worst[i] = Math.max(worst[i] as number, e)))
    }
    expect(problems).toEqual([])
    summary.push(`${member}: ${cases.length} cases, worst ${RUNS.map(([n], i) => `${n} ${(worst[i] as number).toExponential(2)}`).join(', ')}`)
  })

  it('the mixed cases whose layers layerspec all runs', () => {
    const cases = mixedCases()
    expect(cases.map((c) => c.id)).toEqual(expect.arrayContaining(['mixed/cropping3d-avgpool3d-gap3d-cf', 'mixed/depthwiseconv2d-s2-d2-conv2d-1x1']))
    const problems: string[] = []
    for (const c of cases) {
      const r = check(c)
      problems.push(...r.problems)
      summary.push(`${c.id}: worst ${RUNS.map(([n], i) => `${n} ${(r.errors[i] as number).toExponential(2)}`).join(', ')}`)
    }
    expect(problems).toEqual([])
    console.log(`companion golden cases:\n  ${summary.join('\n  ')}`)
  })
})
