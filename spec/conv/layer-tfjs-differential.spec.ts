/**
 * Differential test against the real Keras port: @tensorflow/tfjs-layers on @tensorflow/tfjs-backend-cpu.
 * 240 seeded random Conv2D configs (both data formats, both paddings, strides, dilations, rectangular
 * kernels, with and without bias, every activation tfjs-layers shares with Keras) go to both libraries
 * as the same Keras config JSON with the same weights and inputs; outputs must agree within
 * |ours − theirs| <= 1e-4 · (1 + |theirs|).
 *
 * Where tfjs-layers differs from Keras the case is moved onto the shared surface by `onTfjsSurface`
 * (spec/tfjs.ts), which lists each divergence; layerspec keeps Keras's behaviour.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { arbConv2DPlan } from '../../src/arbitraries/index.js'
import { decodeConv2D, encodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../../src/conv/Conv2DSpec.js'
import { KERNEL_NAMES } from '../../src/kernel/ConvKernel.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { uniformStream } from '../../src/numerics/random.js'
import { right } from '../helpers.js'
import { onTfjsSurface, tf, tfl, TFJS_ACTIVATIONS } from '../tfjs.js'

const CASES = 240
const ACTIVATIONS = [...TFJS_ACTIVATIONS]

interface Outcome {
  readonly name: string
  readonly worst: number
}

describe('agreement with tfjs-layers', () => {
  const plans = fc.sample(arbConv2DPlan({ maxGroups: 1, maxPerGroup: 4, maxKernel: 4, maxExtent: 6, keras: false, float64: false }), {
    numRuns: CASES,
    seed: 20261125
  })

  it(`${CASES} random configs agree within 1e-4 (relative) for every layerspec kernel`, async () => {
    const outcomes: Outcome[] = []
    const covered = { channels_first: 0, same: 0, strided: 0, dilated: 0, rectangular: 0, noBias: 0 }
    const activations = new Set<string>()
    for (const [i, plan] of plans.entries()) {
      const activation = ACTIVATIONS[i % ACTIVATIONS.length] as string
      const inner = ('config' in plan.config ? plan.config['config'] : plan.config) as Record<string, unknown>
      const decoded = decodeConv2D({ ...inner, activation, batch_input_shape: null, input_shape: null }, { dialect: 'keras2' })
      if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left))
      const spec: Conv2DSpec = onTfjsSurface({ ...decoded.right, inputShape: plan.inputShape as never, batchSize: null })
      expect(spec.activation).toBe(activation)
      activations.add(spec.activation)
      if (spec.dataFormat === 'channels_first') covered.channels_first++
      if (spec.padding === 'same') covered.same++
      if (Math.max(...spec.strides) > 1) covered.strided++
      if (Math.max(...spec.dilationRate) > 1) covered.dilated++
      if (spec.kernelSize[0] !== spec.kernelSize[1]) covered.rectangular++
      if (!spec.useBias) covered.noBias++

      const batch = 1 + (i % 3)
      const layerJson = encodeConv2D(spec, { dialect: 'keras2' })
      const model = await tfl.models.modelFromJSON({ class_name: 'Sequential', config: { name: `case_${i}`, layers: [layerJson] } } as never)
      const compiled = KERNEL_NAMES.map((k) => right(compileConv2D(spec, undefined, { kernel: k })))
      const first = compiled[0]
      if (first === undefined) throw new Error('no kernels')
      const params = first.init(i)
      const next = uniformStream(1000 + i)
      const x = { shape: [batch, ...plan.inputShape], data: Float32Array.from({ length: batch * plan.inputShape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1) }
      const weights = [tf.tensor(params.kernel.data, [...params.kernel.shape])]
      if (params.bias !== undefined) weights.push(tf.tensor(params.bias.data, [...params.bias.shape]))
      model.setWeights(weights)
      const input = tf.tensor(x.data, x.shape)
      const output = model.predict(input) as import('@tensorflow/tfjs-core').Tensor
      const theirs = output.dataSync()
      expect(output.shape).toEqual([batch, ...first.outputShape])
      for (const [k, layer] of compiled.entries()) {
        const ours = layer.forward(params, x).data
        let worst = 0
        for (let j = 0; j < theirs.length; j++) {
          const t = theirs[j] as number
          const err = Math.abs((ours[j] as number) - t) / (1 + Math.abs(t))
          if (!(err <= worst)) worst = err
        }
        const name = `#${i} ${KERNEL_NAMES[k]} ${JSON.stringify(encodeConv2D(spec, { dialect: 'keras2', envelope: false }))}`
        outcomes.push({ name, worst })
      }
      tf.dispose([input, output, ...weights])
      model.dispose()
    }
    const failures = outcomes.filter((o) => !(o.worst <= 1e-4))
    expect(failures.slice(0, 5)).toEqual([])
    const worst = outcomes.reduce((a, b) => (b.worst > a.worst ? b : a))
    console.log(`tfjs differential: ${CASES} configs x ${KERNEL_NAMES.length} kernels; largest relative error ${worst.worst.toExponential(2)} (${worst.name.slice(0, 60)}…); coverage ${JSON.stringify(covered)}; activations ${[...activations].join(', ')}`)
    expect(activations.size).toBe(ACTIVATIONS.length)
    for (const n of Object.values(covered)) expect(n).toBeGreaterThan(10)
  })
})
