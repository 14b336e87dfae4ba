/**
 * Running a plain-TypeScript kernel: float64 scratch (the padded input and the NHWC output, grown to
 * the largest batch seen and rewritten by every call) and the packed weights cached per params object
 * (see weightCache.ts). `relu`/`relu6` are applied while copying the output out.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { Activation } from '../../codec/Activation.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { KernelName, KernelParams, PreparedKernel } from '../ConvKernel.js'
import { copyInPadded, copyOut, type PaddedLayout } from '../layout.js'
import { WeightCache } from '../weightCache.js'
import type { RowKernel } from './tiled.js'

/** What a JS kernel needs besides its row kernel. */
export interface JsProgram {
  readonly name: KernelName
  readonly kernel: RowKernel
  readonly layout: PaddedLayout
  readonly packedFloats: number
  readonly pack: (params: KernelParams, dst: Float64Array, offset: number) => void
  readonly units: (batch: number) => number
}

/** Applies `relu`/`relu6` in place (other activations are the layer's). */
export const fusedActivation = (a: Activation, out: FloatArray): void => {
  if (a === 'relu') {
    for (let i = 0; i < out.length; i++) if (out[i]! < 0) out[i] = 0
  } else if (a === 'relu6') {
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!
      if (v < 0) out[i] = 0
      else if (v > 6) out[i] = 6
    }
  }
}

/** A prepared JS kernel (one thread). */
export const prepareJs = (g: ConvGeometry, program: JsProgram, activation: Activation, fusesActivation: boolean): PreparedKernel => {
  let xs = new Float64Array(0)
  let os = new Float64Array(0)
  const cache = new WeightCache<Float64Array>((params) => {
    const packed = new Float64Array(program.packedFloats)
    program.pack(params, packed, 0)
    return packed
  })
  return {
    name: program.name,
    backend: 'js',
    threads: 1,
    fusesBias: true,
    fusesActivation,
    run: (params, batch, x, out) => {
      const w = cache.get(params)
      const inSize = batch * program.layout.sampleSize
      const outSize = batch * g.outputSize
      if (xs.length < inSize) xs = new Float64Array(inSize)
      if (os.length < outSize) os = new Float64Array(outSize)
      copyInPadded(g, program.layout, batch, x, xs, 0)
      program.kernel(xs, w, os, 0, program.units(batch))
      copyOut(g, batch, os, 0, out)
      if (fusesActivation) fusedActivation(activation, out)
    },
    dispose: () => {
      xs = new Float64Array(0)
      os = new Float64Array(0)
      cache.clear()
    }
  }
}
