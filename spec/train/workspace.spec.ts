/**
 * The training step's memory plan (src/train/Workspace.ts): runs of a {@link TrainGraph} reuse their
 * buffers per batch size, and nothing a step returns or reads is changed by a later step; the argmax
 * max pooling the trainer runs equals the search-based oracle (`poolVjp`) and the inference forward,
 * NaN, ±∞ and ties included; a ReLU fused into the convolution or applied in place trains like the
 * separate one.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { layers, sequential } from '../../src/model/builder.js'
import { findLayerKind } from '../../src/model/registry.js'
import { compileTrainer, type Batch } from '../../src/train/Trainer.js'
import { maxPoolArgmax, maxPoolScatter, poolVjp } from '../../src/train/vjp/pool.js'
import { workspace } from '../../src/train/Workspace.js'
import { axisPadding } from '../../src/geometry/Padding.js'
import { right } from '../helpers.js'

const seeded = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0 || 1
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296 - 0.5
  })
}

describe('Workspace', () => {
  it('hands a node the same buffer per name and batch, distinct buffers per node, name and batch size', () => {
    const ws = workspace('float32')
    const a = ws.forBatch(8)(0).float('out', 10)
    expect(ws.forBatch(8)(0).float('out', 10)).toBe(a)
    expect(ws.forBatch(8)(1).float('out', 10)).not.toBe(a)
    expect(ws.forBatch(8)(0).float('dx', 10)).not.toBe(a)
    expect(ws.forBatch(4)(0).float('out', 10)).not.toBe(a)
    expect(ws.forBatch(8)(0).float('out', 10)).toBe(a)
    expect(ws.forBatch(8)(0).int('out', 10)).toBeInstanceOf(Int32Array)
    expect(ws.forBatch(8)(0).float('out', 10)).toBe(a)
    // a fourth batch size evicts the least recently used plan (4), not 8
    ws.forBatch(2)
    ws.forBatch(3)
    expect(ws.forBatch(8)(0).float('out', 10)).toBe(a)
  })
})

describe('a step on planned buffers', () => {
  const model = right(
    sequential(
      [
        layers.conv2d({ filters: 4, kernel_size: 3, activation: 'relu' }),
        layers.maxPooling2d({ pool_size: 2 }),
        layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same', activation: 'relu6' }),
        layers.flatten(),
        layers.dropout({ rate: 0.3 }),
        layers.dense({ units: 3, activation: 'softmax' })
      ],
      { input_shape: [9, 9, 2] }
    )
  )
  const trainer = right(compileTrainer(model, { loss: 'sparse_categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] }))
  const batchOf = (n: number, seed: number): Batch => ({
    x: [{ shape: [n, 9, 9, 2], data: seeded(n * 162, seed) }],
    y: [{ shape: [n], data: Float32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 3) }]
  })

  it('gives bit-identical results whatever ran before (other batches, other sizes), and later steps change nothing it returned', () => {
    const s0 = trainer.init(trainer.compiled.init(3))
    const b = batchOf(8, 1)
    const bx = Float32Array.from(b.x[0]?.data ?? [])
    const first = trainer.step(s0, b)
    const firstParams = first.state.params.map((p) => Float32Array.from(p.data))
    const grads = trainer.valueAndGrad(s0.params, b).grads.map((g) => (g === null ? null : Float32Array.from(g.data)))
    // other runs in between: another batch of the same size, other sizes, evaluate
    trainer.step(first.state, batchOf(8, 2))
    trainer.step(first.state, batchOf(5, 3))
    trainer.evaluate(first.state.params, batchOf(3, 4))
    const again = trainer.step(s0, b)
    expect(again.loss).toBe(first.loss)
    again.state.params.forEach((p, i) => expect(p.data).toEqual(first.state.params[i]?.data))
    // what the first step returned is untouched by the later ones, and the batch was not written
    first.state.params.forEach((p, i) => expect(p.data).toEqual(firstParams[i]))
    expect(b.x[0]?.data).toEqual(bx)
    const vg = trainer.valueAndGrad(s0.params, b)
    vg.grads.forEach((g, i) => expect(g === null ? null : Float32Array.from(g.data)).toEqual(grads[i]))
  })

  it('the fused ReLU / ReLU6 and the planned buffers give the same gradients as the model with separate Activation layers', () => {
    // the same network with its activations as layers: no fusion, no in-place stage
    const split = right(
      sequential(
        [
          layers.conv2d({ filters: 4, kernel_size: 3 }),
          layers.activation({ activation: 'relu' }),
          layers.maxPooling2d({ pool_size: 2 }),
          layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same' }),
          layers.activation({ activation: 'relu6' }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' })
        ],
        { input_shape: [9, 9, 2] }
      )
    )
    const fused = right(
      sequential(
        [
          layers.conv2d({ filters: 4, kernel_size: 3, activation: 'relu' }),
          layers.maxPooling2d({ pool_size: 2 }),
          layers.conv2d({ filters: 6, kernel_size: 3, padding: 'same', activation: 'relu6' }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' })
        ],
        { input_shape: [9, 9, 2] }
      )
    )
    const a = right(compileTrainer(fused, { loss: 'sparse_categorical_crossentropy', optimizer: 'sgd' }))
    const b = right(compileTrainer(split, { loss: 'sparse_categorical_crossentropy', optimizer: 'sgd' }))
    // scale the weights up so that ReLU6 clips somewhere
    const params = a.compiled.init(5).map((p) => ({ shape: p.shape, data: p.data.map((v) => v * 8) }) as Tensor)
    const batch = batchOf(6, 9)
    const ga = a.valueAndGrad(params, batch)
    const gb = b.valueAndGrad(params, batch)
    expect(ga.loss).toBeCloseTo(gb.loss, 5)
    ga.grads.forEach((g, i) => {
      const h = gb.grads[i]
      const scale = Math.max(1e-6, ...Array.from(h?.data ?? [], Math.abs))
      Array.from(g?.data ?? []).forEach((v, k) => expect(Math.abs(v - (h?.data[k] as number)) / scale).toBeLessThan(2e-5))
    })
  })
})

describe('max pooling with an argmax map', () => {
  const planesOf = (cf: boolean, h: number, w: number, c: number) => (cf ? { planes: c, rows: h, cols: w, pixel: 1 } : { planes: 1, rows: h, cols: w, pixel: c })
  // values from a small set with repeats, NaN and ±∞, so that ties and non-finite windows happen
  const arbValue = fc.constantFrom(0, 1, -1, 2, 0.5, Number.NaN, Infinity, -Infinity, -0)

  it('equals the search (poolVjp) and the inference forward: routing of ties (first maximum), NaN (first NaN), ±∞', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 1, max: 6 }),
          w: fc.integer({ min: 1, max: 6 }),
          c: fc.integer({ min: 1, max: 3 }),
          ph: fc.integer({ min: 1, max: 3 }),
          pw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          same: fc.boolean(),
          cf: fc.boolean(),
          seed: fc.nat()
        }),
        fc.array(arbValue, { minLength: 1, maxLength: 400 }),
        (p, pool) => {
          const padding = p.same ? 'same' : 'valid'
          if (!p.same && (p.ph > p.h || p.pw > p.w)) return
          const format = p.cf ? 'channels_first' : 'channels_last'
          const perSample = p.cf ? [p.c, p.h, p.w] : [p.h, p.w, p.c]
          const kind = findLayerKind('MaxPooling2D')
          if (kind === undefined) throw new Error('no MaxPooling2D kind')
          const decoded = kind.codec({ dialect: 'keras2', imageDataFormat: 'channels_last' }).decode({ pool_size: [p.ph, p.pw], strides: [p.sh, p.sw], padding, data_format: format, name: 'pool' })
          if (decoded._tag === 'Left') throw new Error('bad pooling config')
          const layer = right(kind.compile(decoded.right as never, [perSample], { dtype: 'float32' }))
          const n = p.batch * p.h * p.w * p.c
          const x = Float32Array.from({ length: n }, (_, i) => pool[(i * 7 + p.seed) % pool.length] as number)
          const ref = layer.forward([], [{ shape: [p.batch, ...perSample], data: x }])
          const outShape = ref.shape.slice(1) as number[]
          const [oh, ow] = p.cf ? [outShape[1] as number, outShape[2] as number] : [outShape[0] as number, outShape[1] as number]
          const win = { ph: p.ph, pw: p.pw, sh: p.sh, sw: p.sw, top: axisPadding(p.h, p.ph, p.sh, 1, padding).before, left: axisPadding(p.w, p.pw, p.sw, 1, padding).before }
          const out = new Float32Array(ref.data.length)
          const arg = new Int32Array(ref.data.length)
          const inL = planesOf(p.cf, p.h, p.w, p.c)
          const outL = planesOf(p.cf, oh, ow, p.c)
          maxPoolArgmax(p.batch, x, inL, outL, win, out, arg)
          expect(Array.from(out)).toEqual(Array.from(ref.data))
          const dy = Float32Array.from({ length: out.length }, (_, i) => ((i * 13) % 7) - 3)
          const scattered = maxPoolScatter(dy, arg, new Float32Array(n).fill(Number.NaN))
          expect(Array.from(scattered)).toEqual(Array.from(poolVjp(true, p.batch, x, inL, dy, outL, win)))
        }
      ),
      { numRuns: 300 }
    )
  })
})
