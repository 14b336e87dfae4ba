/**
 * The convolution family against real Keras 3.15.1 (spec/fixtures/keras3/convfamily/, written by
 * scripts/golden/convfamily.py): every one-layer case of every member and every `mixed` case (models
 * chaining two or three members) is decoded from the model JSON Keras wrote, checked for Keras's
 * output shape and parameter count, compiled, given Keras's weights (regenerated bit for bit from the
 * case's seed, in `get_weights()` order) and input, and run three ways — the model compiler (float32),
 * the per-layer interpreter (float32) and the interpreter in float64 — each within {@link TOLERANCE}
 * of Keras's output scale.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { findLayerKind } from '../../src/model/registry.js'
import { compileModel, type CompileModelOptions } from '../../src/model/compileModel.js'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { assignOrderedWeights } from '../../src/model/weights.js'
import { caseInput, caseOutput, caseWeights, convFamilyCases, CONV_FAMILY_MEMBERS, MIXED_GROUP, type ConvFamilyCase } from '../keras3/convfamily.js'

/** Largest error allowed, relative to the largest magnitude of Keras's output (float32 sums in another order). */
const TOLERANCE = 2e-6

const orThrow = <A>(stage: string, r: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(r)) throw new Error(`${stage}: ${r.left.map((e) => `${e.path}: ${e.message}`).join('\n')}`)
  return r.right
}

const MODES: ReadonlyArray<readonly [string, CompileModelOptions]> = [
  ['compiler', {}],
  ['interpreter', { interpreter: true }],
  ['interpreter float64', { interpreter: true, dtype: 'float64' }]
]

/** max |ours − keras| / max |keras| of each mode. */
const runCase = (c: ConvFamilyCase): ReadonlyArray<number> => {
  const file = orThrow('decode', decodeModelFile(c.model))
  const summary = orThrow('infer', inferModel(file.model))
  expect(summary.params, `${c.id} count_params()`).toBe(c.params)
  expect(summary.outputShapes, `${c.id} output shape`).toEqual([c.output_shape])
  const want = caseOutput(c)
  const scale = want.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0)
  return MODES.map(([mode, options]) => {
    const compiled = orThrow(`compile (${mode})`, compileModel(file.model, options))
    const f64 = options.dtype === 'float64'
    const weights = caseWeights(c).map((data, i) => ({ shape: c.weights[i]?.shape ?? [], data: f64 ? Float64Array.from(data) : data }))
    const params = orThrow('assign', assignOrderedWeights(compiled, weights, { order: 'layers' }))
    const input = caseInput(c)
    const x: Tensor = { shape: input.shape, data: f64 ? Float64Array.from(input.data) : input.data }
    const [y] = compiled.forward(params, [x])
    expect(y?.shape, `${c.id} ${mode}`).toEqual(want.shape)
    let worst = 0
    for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(((y as Tensor).data[i] as number) - (want.data[i] as number)))
    return worst / Math.max(scale, 1e-30)
  })
}

const GROUPS = [...CONV_FAMILY_MEMBERS, MIXED_GROUP]

describe('the convolution family against Keras 3.15 (compiler, interpreter, float64 interpreter)', () => {
  it('every member is a layer kind layerspec runs', () => {
    expect(CONV_FAMILY_MEMBERS.filter((m) => findLayerKind(m) === undefined)).toEqual([])
  })
  it.each(GROUPS.map((g) => [g] as const))('%s', (group) => {
    const cases = convFamilyCases(group)
    expect(cases.length).toBeGreaterThan(0)
    const worst = [0, 0, 0]
    let worstId = ''
    for (const c of cases) {
      const errors = runCase(c)
      errors.forEach((e, i) => {
        expect(e, `${c.id} (${MODES[i]?.[0]})`).toBeLessThanOrEqual(TOLERANCE)
        if (e > (worst[i] as number)) {
          worst[i] = e
          if (i === 0) worstId = c.id
        }
      })
    }
    console.log(`${group}: ${cases.length} cases, worst relative error ${worst.map((w, i) => `${MODES[i]?.[0]} ${w.toExponential(1)}`).join(', ')} (${worstId})`)
  })
})
