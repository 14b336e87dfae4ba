/**
 * Helpers for the elementwise / merge layer specs: decoding through a kind's codec, base spec fields,
 * and running a compiled layer.
 */
import * as E from 'fp-ts/lib/Either.js'
import { fromValidationErrors, type SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import type { DataFormat } from '../../src/conv/Conv2DSpec.js'
import type { LayerKind, SymbolicShape } from '../../src/layers/LayerKind.js'
import { findLayerKind } from '../../src/model/registry.js'
import { right } from '../helpers.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const kindOf = (className: string): LayerKind<any> => {
  const k = findLayerKind(className)
  if (k === undefined) throw new Error(`no layer kind ${className}`)
  return k
}

export interface DecodeOptions {
  readonly dialect?: Dialect
  readonly imageDataFormat?: DataFormat
}

/** Decodes a layer config with the kind's codec. */
export const decodeLayer = (className: string, config: unknown, o: DecodeOptions = {}): E.Either<ReadonlyArray<SpecError>, unknown> => {
  const r = kindOf(className).codec({ dialect: o.dialect ?? 'keras3', imageDataFormat: o.imageDataFormat ?? 'channels_last' }).decode(config)
  return E.isLeft(r) ? E.left(fromValidationErrors(r.left)) : E.right(r.right)
}

/** Encodes a spec back to Keras JSON in its dialect. */
export const encodeLayer = (className: string, spec: unknown, o: DecodeOptions = {}): Record<string, unknown> =>
  kindOf(className).codec({ dialect: o.dialect ?? 'keras3', imageDataFormat: o.imageDataFormat ?? 'channels_last' }).encode(spec)

/** The bookkeeping part of a spec decoded from a config without bookkeeping keys. */
export const base = (dialect: Dialect = 'keras3') => ({ dialect, name: null, trainable: true, dtype: 'float32', inputShape: null, batchSize: null }) as const

/** Decodes a config (must succeed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const spec = (className: string, config: unknown, o: DecodeOptions = {}): any => right(decodeLayer(className, config, o))

/** Symbolic inference of a spec (either side). */
export const infer = (className: string, s: unknown, inputs: ReadonlyArray<SymbolicShape>) => kindOf(className).infer(s, inputs)

/** Compiles a spec for per-sample shapes and runs it on the given inputs (batch axis first). */
export const run = (
  className: string,
  s: unknown,
  inputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }>,
  weights: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }> = [],
  dtype: 'float32' | 'float64' = 'float64'
): Tensor => {
  // Typed arrays of the compile dtype are passed as they are (so tests can check they are not written).
  const make = (t: { readonly shape: ReadonlyArray<number>; readonly data: ArrayLike<number> }): Tensor => ({
    shape: t.shape,
    data:
      dtype === 'float32'
        ? t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)
        : t.data instanceof Float64Array ? t.data : Float64Array.from(t.data)
  })
  const layer = right(kindOf(className).compile(s, inputs.map((x) => x.shape.slice(1)), { dtype }))
  return layer.forward(weights.map(make), inputs.map(make))
}

/** Asserts every pair of values is within `tol` (absolute + relative). */
export const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): boolean => {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`)
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number
    const e = expected[i] as number
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) throw new Error(`value ${i}: ${a} ≠ ${e} (tol ${tol}); actual ${JSON.stringify(Array.from(actual))}`)
  }
  return true
}
