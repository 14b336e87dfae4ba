/**
 * Integrity of the convolution-family golden fixtures (scripts/golden/convfamily.py, read through
 * spec/keras3/convfamily.ts), without layerspec's layers (issue 14 builds them; the spec that compares
 * layerspec's outputs with these comes with it):
 *
 * - every member issue 14 lists has one-layer cases, in both data formats where the member has one;
 * - every case's weights regenerate from its seed with the stored shapes and the values Keras was given
 *   (their exactly rounded sums, `fill_check`), its parameter count is the sum of their sizes, its input
 *   regenerates likewise, its output holds batch × Π(output shape) finite values, and its model JSON
 *   holds the listed layers in order;
 * - Keras's output agreed with the generator's independent NumPy computation;
 * - every skip names its reason, and the fixtures stay small.
 */
import { describe, expect, it } from 'vitest'
import {
  caseInput,
  caseWeights,
  CONV_FAMILY_MEMBERS,
  convFamilyBytes,
  convFamilyCases,
  convFamilyFiles,
  convFamilySkips,
  exactSum,
  layerConfig,
  memberCases,
  MIXED_GROUP,
  readConvFamilyFile
} from './convfamily.js'

const product = (s: ReadonlyArray<number>): number => s.reduce((a, b) => a * b, 1)

/** Members without a `data_format` argument in Keras 3 (channels_last only). */
const NO_DATA_FORMAT = new Set(['UpSampling1D', 'Cropping1D'])

describe('convolution-family golden fixtures from Keras 3.15 (integrity)', () => {
  it('the fixtures are there, written by Keras 3.15.1, and small', () => {
    const files = convFamilyFiles()
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const doc = readConvFamilyFile(f)
      expect(doc.format, f).toBe(1)
      expect(doc.keras_version, f).toBe('3.15.1')
      expect(f, 'file named after its group').toBe(`${doc.group}.json`)
    }
    const bytes = convFamilyBytes()
    console.log(`convolution-family fixtures: ${files.length} files, ${convFamilyCases().length} cases, ${convFamilySkips().length} skipped, ${bytes} bytes`)
    expect(bytes).toBeLessThan(2_000_000)
  })

  it('every member issue 14 lists has one-layer cases, in both data formats where it has them', () => {
    const missing: string[] = []
    for (const member of CONV_FAMILY_MEMBERS) {
      const cases = memberCases(member)
      if (cases.length === 0) {
        missing.push(`${member}: no one-layer case`)
        continue
      }
      const formats = new Set(cases.map((c) => layerConfig(c, 0)?.['data_format'] ?? 'channels_last'))
      if (!NO_DATA_FORMAT.has(member) && !formats.has('channels_first')) missing.push(`${member}: no channels_first case`)
      if (!formats.has('channels_last')) missing.push(`${member}: no channels_last case`)
    }
    expect(missing).toEqual([])
    expect(convFamilyCases(MIXED_GROUP).length).toBeGreaterThan(0)
    const counts = CONV_FAMILY_MEMBERS.map((m) => `${m} ${memberCases(m).length}`).join(', ')
    console.log(`one-layer cases: ${counts}; mixed: ${convFamilyCases(MIXED_GROUP).length}`)
  })

  it('ids are unique, and each file holds its own member (or several layers for mixed)', () => {
    const ids = [...convFamilyCases().map((c) => c.id), ...convFamilySkips().map((s) => s.id)]
    expect(new Set(ids).size).toBe(ids.length)
    for (const c of convFamilyCases()) {
      if (c.group === MIXED_GROUP) expect(c.layers.length, c.id).toBeGreaterThan(1)
      else expect(c.layers, c.id).toEqual([c.group])
    }
  })

  it('weights regenerate with the stored shapes and Keras’s values (exact sums); parameter counts are the sum of their sizes', () => {
    const problems: string[] = []
    for (const c of convFamilyCases()) {
      const values = caseWeights(c)
      if (values.length !== c.weights.length) problems.push(`${c.id}: ${values.length} weights regenerated, ${c.weights.length} stored`)
      values.forEach((v, i) => {
        const w = c.weights[i]
        if (w === undefined) return
        if (v.length !== product(w.shape)) problems.push(`${c.id}: ${w.name} has ${v.length} values, shape ${JSON.stringify(w.shape)}`)
        if (w.dtype !== 'float32') problems.push(`${c.id}: ${w.name} is ${w.dtype}`)
        if (!v.every((x) => Number.isFinite(x))) problems.push(`${c.id}: ${w.name} has non-finite values`)
      })
      if (JSON.stringify(values.map(exactSum)) !== JSON.stringify(c.fill_check.weights)) {
        problems.push(`${c.id}: regenerated weights sum to ${JSON.stringify(values.map(exactSum))}, Keras was given ${JSON.stringify(c.fill_check.weights)}`)
      }
      const total = c.weights.reduce((a, w) => a + product(w.shape), 0)
      if (total !== c.params) problems.push(`${c.id}: weights hold ${total} values, Keras counts ${c.params} parameters`)
    }
    expect(problems).toEqual([])
  })

  it('inputs regenerate Keras’s values; outputs hold batch × Π(output shape) finite values in Keras’s output shape', () => {
    const problems: string[] = []
    for (const c of convFamilyCases()) {
      const x = caseInput(c)
      if (x.data.length !== product(c.input.shape)) problems.push(`${c.id}: input has ${x.data.length} values`)
      if (exactSum(x.data) !== c.fill_check.input) problems.push(`${c.id}: regenerated input sums to ${exactSum(x.data)}, Keras was given ${c.fill_check.input}`)
      const batch = c.input.shape[0] ?? 0
      if (batch !== 2) problems.push(`${c.id}: batch ${batch}`)
      const [first, ...rest] = c.output_shape
      if (first !== null || rest.some((d) => d === null)) problems.push(`${c.id}: output shape ${JSON.stringify(c.output_shape)}`)
      const dims = rest as ReadonlyArray<number>
      if (JSON.stringify(c.output.shape) !== JSON.stringify([batch, ...dims])) problems.push(`${c.id}: output ${JSON.stringify(c.output.shape)}, Keras's shape ${JSON.stringify(c.output_shape)}`)
      if (c.output.data.length !== batch * product(dims)) problems.push(`${c.id}: ${c.output.data.length} output values, expected ${batch * product(dims)}`)
      if (!c.output.data.every((v) => Number.isFinite(v))) problems.push(`${c.id}: non-finite output values`)
    }
    expect(problems).toEqual([])
  })

  it('the model JSON holds the listed layers in order; Keras agreed with the independent NumPy computation', () => {
    const problems: string[] = []
    for (const c of convFamilyCases()) {
      const layers = ((c.model['config'] as { layers?: ReadonlyArray<Record<string, unknown>> }).layers ?? []).map((l) => l['class_name'])
      if (JSON.stringify(layers) !== JSON.stringify(['InputLayer', ...c.layers])) problems.push(`${c.id}: model layers ${JSON.stringify(layers)}`)
      c.layers.forEach((_, i) => {
        if (layerConfig(c, i) === undefined) problems.push(`${c.id}: no config for layer ${i}`)
      })
      if (!(c.numpy_check.max_abs_diff <= 1e-5 * Math.max(c.numpy_check.max_abs, 1e-30))) problems.push(`${c.id}: Keras and NumPy differ by ${c.numpy_check.max_abs_diff}`)
      if (c.xla === true && (c.eager_error ?? '') === '') problems.push(`${c.id}: run under XLA without the eager error`)
    }
    expect(problems).toEqual([])
  })

  it('every skip records the stage, the errors and the reason', () => {
    for (const s of convFamilySkips()) {
      expect(s.reason.length, s.id).toBeGreaterThan(0)
      expect(s.error.length, s.id).toBeGreaterThan(0)
      expect(s.layers.length, s.id).toBeGreaterThan(0)
      console.log(`skipped ${s.id}: ${s.reason}`)
    }
  })
})
