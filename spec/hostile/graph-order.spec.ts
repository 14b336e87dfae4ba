/**
 * A functional model's calls are planned in file order where the graph leaves a choice (src/model/plan.ts),
 * at a cost that does not depend on how hostile the file order is: a chain listed in reverse used to
 * cost one pass over every pending call per layer (quadratic: 0.55 s of inferModel for 2,000 layers).
 */
import { describe, expect, it } from 'vitest'
import { decodeModel } from '../../src/model/decodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { planOf } from '../../src/model/plan.js'
import { left, right } from '../helpers.js'

const input = { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 2], name: 'in' }, inbound_nodes: [] }
const relu = (name: string, from: ReadonlyArray<string>) => ({ class_name: from.length > 1 ? 'Add' : 'ReLU', name, config: { name }, inbound_nodes: [from.map((f) => [f, 0, 0, {}])] })
const model = (layers: ReadonlyArray<unknown>, output: string): unknown => ({
  class_name: 'Functional',
  config: { name: 'f', layers, input_layers: [['in', 0, 0]], output_layers: [[output, 0, 0]] },
  keras_version: '2.15.0'
})

describe('planning a functional model', () => {
  it('a chain of 2,500 layers listed in reverse file order: planned in chain order, in linear time', () => {
    const n = 2500
    const chain = Array.from({ length: n }, (_, i) => relu(`r${i}`, [i === 0 ? 'in' : `r${i - 1}`]))
    const spec = right(decodeModel(model([input, ...[...chain].reverse()], `r${n - 1}`)))
    const t0 = performance.now()
    const plan = planOf(spec)
    const summary = right(inferModel(spec))
    const ms = performance.now() - t0
    expect(plan.steps.map((s) => (s.spec.name ?? '').slice(1))).toEqual(Array.from({ length: n }, (_, i) => String(i)))
    expect(summary.outputShapes).toEqual([[null, 2]])
    // linear: ≈ 60 ms here; the quadratic passes took ≈ 0.9 s (printed, never asserted: timings are the bench's)
    console.log(`plan + inferModel of a reversed chain of ${n} layers: ${ms.toFixed(1)} ms`)
  })

  it('a chain of 6,000 layers decodes (the cycle check walks an explicit stack, not the call stack)', () => {
    const n = 6000
    const chain = Array.from({ length: n }, (_, i) => relu(`r${i}`, [i === 0 ? 'in' : `r${i - 1}`]))
    const spec = right(decodeModel(model([input, ...[...chain].reverse()], `r${n - 1}`)))
    expect(spec.layers).toHaveLength(n + 1)
  })

  it('a cycle through 6,000 layers is one error naming ten of them', () => {
    const n = 6000
    const chain = Array.from({ length: n }, (_, i) => relu(`r${i}`, [i === 0 ? `r${n - 1}` : `r${i - 1}`]))
    const errors = left(decodeModel(model([input, ...chain], `r${n - 1}`)))
    const cycle = errors.filter((e) => e.message.startsWith('the graph has a cycle'))
    expect(cycle).toHaveLength(1)
    expect(cycle[0]?.message).toMatch(/^the graph has a cycle: "r\d+" → "r\d+" → "r\d+" → "r\d+" → "r\d+" → … \(5991 more\) → /)
    expect(cycle[0]?.message.length).toBeLessThan(200)
  })

  it('where the graph leaves a choice, file order decides; a call waits for its inputs', () => {
    // b and a both read the input; c reads a (listed after it); d reads c but is listed first.
    const layers = [relu('d', ['c']), input, relu('b', ['in']), relu('c', ['a']), relu('a', ['in']), relu('e', ['b', 'd'])]
    const plan = planOf(right(decodeModel(model(layers, 'e'))))
    // Passes in file order: 1 takes b and a (d waits for c, c for a, e for d); 2 takes c (listed before a,
    // so it waits for the next pass); 3 takes d, then e in the same pass (listed after d).
    expect(plan.steps.map((s) => s.spec.name)).toEqual(['b', 'a', 'c', 'd', 'e'])
  })
})
