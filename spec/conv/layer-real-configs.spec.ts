/**
 * Every Conv2D layer of the shared real-world data (146 configs from public model files, with the
 * input shape each sees in its model and the output shape and parameter count TensorFlow.js computes)
 * decodes and compiles to exactly that output shape and parameter count.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { compileConv2D } from '../../src/conv/compileConv2D.js'
import { readShared, right } from '../helpers.js'

interface RealLayer {
  readonly model: string
  readonly layer: string
  readonly config: unknown
  readonly input_shape: ReadonlyArray<number>
  readonly output_shape: ReadonlyArray<number>
  readonly params: number
}

const layers = readShared('real-conv2d-layers.json') as ReadonlyArray<RealLayer>

describe('real Conv2D configs (spec/fixtures/shared/real-conv2d-layers.json)', () => {
  it('holds 146 layers', () => {
    expect(layers).toHaveLength(146)
  })
  it.each(layers.map((l) => [`${l.model}/${l.layer}`, l] as const))('%s', (_name, l) => {
    const spec = right(decodeConv2D(l.config))
    // A layer deep in a model may still carry a stale batch_input_shape (Keras ignores it there).
    const layer = right(compileConv2D({ ...spec, inputShape: null }, l.input_shape))
    expect([...layer.outputShape]).toEqual(l.output_shape)
    expect(layer.paramCount).toBe(l.params)
  })
})
