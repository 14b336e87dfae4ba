/**
 * The plain-TypeScript kernel families against the reference kernel, over one arbitrary of every node
 * kind (dense, pool, globalPool, batchNorm, unary, merge, concat, pad/crop, upsample, softmax, conv with
 * folded padding and both backends, Conv1D / DepthwiseConv1D on their height-1 views, convNd): random shapes and arguments, batch 1-4, float32 and float64,
 * NaN / ±∞ / ±0 in inputs and weights, epilogues of residual adds, clamps, ReLUs and activations, each
 * run on NaN-, ∞- and garbage-poisoned arenas. Bit for bit, but for float32 convolutions forced onto
 * the TypeScript kernels against the reference's wasm kernel (the tolerance of
 * spec/compiler/tsKernelCases.ts).
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { anyCase, checkCase } from '../spec/compiler/tsKernelCases.js'
import { params } from './settings.js'

describe('TypeScript kernels = the reference kernel', () => {
  it('every node kind, random cases', () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        checkCase(c)
      }),
      params(300)
    )
  })
})
