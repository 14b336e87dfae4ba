/**
 * Running a plain-TypeScript kernel: float64 scratch (the input side — a padded copy of the input, or
 * im2col's row of windows — and the NHWC output, grown to the largest batch seen and rewritten by
 * every call) and the packed weights cached per params object (see weightCache.ts). `relu`/`relu6`
 * are applied to the float64 output before it is copied out.
 *
 * noUncheckedIndexedAccess: indices are in range by construction; reads are asserted with `!`.
 */
import type { Activation } from '../../codec/Activation.js'
import type { ConvGeometry } from '../../geometry/ConvGeometry.js'
import type { KernelName, KernelParams, PreparedKernel } from '../ConvKernel.js'
import { copyInPadded, copyOut, type PaddedLayout } from '../layout.js'
import { WeightCache } from '../weightCache.js'
import type { Im2colKernel } from './im2col.js'
import type { RowKernel } from './tiled.js'

/** How a JS kernel reads its input: a padded copy, or one row of gathered windows. */
export type JsInput =
  | { readonly kind: 'padded'; readonly layout: PaddedLayout; readonly kernel: RowKernel }
  | { readonly kind: 'im2col'; readonly rowSize: number; readonly kernel: Im2colKernel }

/** What a JS kernel needs besides its input side. */
export interface JsProgram {
  readonly name: KernelName
  readonly input: JsInput
  readonly packedFloats: number
  readonly pack: (params: KernelParams, dst: Float64Array, offset: number) => void
}

/** Applies `relu`/`relu6` in place to `out[0, n)` (other activations are the layer's). */
export const fusedActivation = (a: Activation, out: Float64Array, n: number): void => {
  if (a === 'relu') {
    for (let i = 0; i < n; i++) if (out[i]! < 0) out[i] = 0
  } else if (a === 'relu6') {
    for (let i = 0; i < n; i++) {
      const v = out[i]!
      if (v < 0) out[i] = 0
      else if (v > 6) out[i] = 6
    }
  }
}

const SIX_BITS = 0x40c00000 // 6.0f
const INF_BITS = 0x7f800000

/**
 * `relu`/`relu6` on float32 values through their bits, without branches (a random sign costs a
 * mispredicted branch per value otherwise): as int32, a float is negative and not NaN exactly when
 * it is ≤ the bits of −∞ (−8388608); positive floats order like their bits. NaN stays NaN.
 */
export const fusedActivationBits = (a: Activation, out: Float32Array): void => {
  const b = new Int32Array(out.buffer, out.byteOffset, out.length)
  const n = b.length
  if (a === 'relu') {
    for (let i = 0; i < n; i++) {
      const x = b[i]!
      b[i] = x & ~((x >> 31) & ((x + 8388607) >> 31))
    }
  } else if (a === 'relu6') {
    for (let i = 0; i < n; i++) {
      let x = b[i]!
      x &= ~((x >> 31) & ((x + 8388607) >> 31))
      // above 6 and not NaN: 6
      const m = ((SIX_BITS - x) >> 31) & ((x - INF_BITS - 1) >> 31)
      b[i] = (x & ~m) | (SIX_BITS & m)
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
  const input = program.input
  return {
    name: program.name,
    backend: 'js',
    threads: 1,
    fusesBias: true,
    fusesActivation,
    run: (params, batch, x, out) => {
      const w = cache.get(params)
      const outSize = batch * g.outputSize
      if (os.length < outSize) os = new Float64Array(outSize)
      const rows = batch * g.outHeight
      if (input.kind === 'padded') {
        const inSize = batch * input.layout.sampleSize
        if (xs.length < inSize) xs = new Float64Array(inSize)
        copyInPadded(g, input.layout, batch, x, xs, 0)
        input.kernel(xs, w, os, 0, rows)
      } else {
        if (xs.length < input.rowSize) xs = new Float64Array(input.rowSize)
        input.kernel(x, w, os, xs, 0, rows)
      }
      const bits = out instanceof Float32Array
      if (fusesActivation && !bits) fusedActivation(activation, os, outSize)
      copyOut(g, batch, os, 0, out)
      if (fusesActivation && bits) fusedActivationBits(activation, out)
    },
    dispose: () => {
      xs = new Float64Array(0)
      os = new Float64Array(0)
      cache.clear()
    }
  }
}
