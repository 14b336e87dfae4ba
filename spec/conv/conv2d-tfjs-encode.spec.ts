/**
 * encodeConv2D's keras2 output is what TensorFlow.js reads: a one-layer Sequential built from it loads
 * in @tensorflow/tfjs-layers (models.modelFromJSON) and infers the same output shape as layerspec.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { arbConv2DPlan } from '../../src/arbitraries/index.js'
import { decodeConv2D, encodeConv2D } from '../../src/conv/conv2DCodec.js'
import { inferOutputShape } from '../../src/geometry/ConvGeometry.js'
import { onTfjsSurface, tfl } from '../tfjs.js'

const SAMPLES = 120

describe('keras2 encoding loads in tfjs-layers', () => {
  const plans = fc.sample(arbConv2DPlan(), { numRuns: SAMPLES, seed: 4242 })

  it(`${SAMPLES} generated specs: modelFromJSON accepts the encoded layer and infers our output shape`, async () => {
    let checked = 0
    for (const plan of plans) {
      const decoded = decodeConv2D(plan.config)
      if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left))
      const spec = onTfjsSurface({ ...decoded.right, inputShape: plan.inputShape as never, batchSize: null })
      const layer = encodeConv2D(spec, { dialect: 'keras2' })
      const model = await tfl.models.modelFromJSON({
        class_name: 'Sequential',
        config: { name: 'one_layer', layers: [layer] },
        keras_version: '2.4.0',
        backend: 'tensorflow'
      } as never)
      const ours = [null, ...inferOutputShape(spec, plan.inputShape)]
      expect(model.outputs[0]?.shape, JSON.stringify(layer)).toEqual(ours)
      model.dispose()
      checked++
    }
    expect(checked).toBe(SAMPLES)
  })

  it('the reference example §3.5(a) (L2 written as L1L2, MaxNorm over [0,1,2]) loads with 320 params', async () => {
    const spec = decodeConv2D({
      filters: 32, kernel_size: 3, padding: 'same', activation: 'relu', kernel_regularizer: 'l2',
      kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 3, axis: [0, 1, 2] } }, input_shape: [28, 28, 1]
    })
    if (E.isLeft(spec)) throw new Error('did not decode')
    const layer = encodeConv2D(spec.right, { dialect: 'keras2' })
    expect((layer['config'] as Record<string, unknown>)['kernel_regularizer']).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.01 } })
    const model = await tfl.models.modelFromJSON({ class_name: 'Sequential', config: { name: 's', layers: [layer] } } as never)
    expect(model.outputs[0]?.shape).toEqual([null, 28, 28, 32])
    expect(model.countParams()).toBe(3 * 3 * 1 * 32 + 32)
    model.dispose()
  })
})
