/**
 * Reshape: `[batch, …]` → `[batch, ...target_shape]`, the values in row-major order unchanged
 * (`data_format` plays no part).
 *
 * `target_shape` is a list of positive integers with at most one `-1` (the dimension inferred from
 * the others). Shape inference follows Keras's `compute_reshape_output_shape` exactly: when any
 * non-batch input dim is unknown, the target is taken as given with `-1` → unknown; otherwise the
 * total sizes must match (or divide, with a `-1`), else an error at `target_shape`.
 *
 * TensorFlow.js's spelling: tfjs-layers' Reshape turns every unknown dim into `null` in its
 * constructor, so `tf.layers.reshape({ targetShape: [4, -1] })` saves `"target_shape": [4, null]`
 * (and reads `null` or `-1` back as the inferred dim). `null` is decoded as `-1`; the normalized spec
 * and every dialect's encoding write `-1`, which tf.keras 2.x, Keras 3 and tfjs-layers all read (tfjs
 * 4.22 checked: a model.json with `[4, -1]` loads and predicts as one with `[4, null]`). At most one
 * inferred dim, counting `-1`s and `null`s together, as Keras.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, quote } from '../../core/describe.js'
import { required } from '../../core/KerasObject.js'
import { listItems } from '../../core/Pair.js'
import { specError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { allocate } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { LayerKind, SymbolicShape } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { inferKnown } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized Reshape layer.
 * @category model
 */
export interface ReshapeSpec extends BaseLayerSpec {
  readonly className: 'Reshape'
  /** The output shape without the batch axis: positive integers and at most one `-1`. */
  readonly targetShape: ReadonlyArray<number>
}

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const TARGET = 'a list of positive integers with at most one -1 (the output shape without the batch axis)'

/**
 * `target_shape`: a list (or SavedModel `__tuple__`) of positive integers and at most one `-1`, which
 * TensorFlow.js writes `null` (decoded as `-1`). Encodes with `-1`.
 * @category codecs
 */
export const TargetShape: t.Type<ReadonlyArray<number>, number[], unknown> = new t.Type<ReadonlyArray<number>, number[], unknown>(
  TARGET,
  (u): u is ReadonlyArray<number> =>
    Array.isArray(u) && u.every((d) => d === -1 || (typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) && u.filter((d) => d === -1).length <= 1,
  (u, c) => {
    const items = listItems(u)
    if (items === undefined) return t.failure(u, c, `expected target_shape to be ${TARGET}, found ${describe(u)}`)
    const errors: t.ValidationError[] = []
    const dims: number[] = []
    let inferred: number | undefined
    items.forEach((d, i) => {
      const ci = t.appendContext(c, String(i), t.never, d)
      if (d === -1 || d === null) {
        // null: TensorFlow.js's spelling of the inferred dim
        dims.push(-1)
        if (inferred === undefined) inferred = i
        else
          errors.push({
            value: d,
            context: ci,
            message: `expected at most one -1 (the inferred dim; TensorFlow.js writes it null) in target_shape, found a second one (the first is target_shape[${inferred}])`
          })
      } else if (typeof d === 'number' && Number.isSafeInteger(d) && d > 0) {
        dims.push(d)
      } else {
        errors.push({ value: d, context: ci, message: `expected a positive integer or -1 (inferred; TensorFlow.js writes it null), found ${describe(d)}` })
      }
    })
    return errors.length > 0 ? t.failures(errors) : t.success(dims)
  },
  (a) => [...a]
)

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

const inferReshape = (spec: ReshapeSpec, inputs: ReadonlyArray<SymbolicShape>) =>
  pipe(
    singleInput('Reshape', inputs),
    E.chain((input) => {
      const batch = input[0] ?? null
      const dims = input.slice(1)
      const target = spec.targetShape
      if (dims.some((d) => d === null)) {
        return E.right({ outputShape: [batch, ...target.map((d) => (d === -1 ? null : d))], weights: [] })
      }
      const size = (dims as ReadonlyArray<number>).reduce((a, b) => a * b, 1)
      const inferredAt = target.indexOf(-1)
      const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1)
      if (inferredAt < 0) {
        return size === known
          ? E.right({ outputShape: [batch, ...target], weights: [] })
          : E.left([
              specError(
                'target_shape',
                `target_shape ${quote(target)} holds ${known} values per sample but the input ${showShape(input)} holds ${size}; the total size must be unchanged`
              )
            ])
      }
      if (size % known !== 0) {
        return E.left([
          specError(
            'target_shape',
            `the input ${showShape(input)} holds ${size} values per sample, which the known dims of target_shape ${quote(target)} (product ${known}) do not divide, so the -1 cannot be inferred`
          )
        ])
      }
      const out = target.map((d) => (d === -1 ? size / known : d))
      return E.right({ outputShape: [batch, ...out], weights: [] })
    })
  )

/**
 * Reshape.
 * @category layers
 */
export const ReshapeKind: LayerKind<ReshapeSpec> = {
  className: 'Reshape',
  aliases: [],
  arity: 'single',
  codec: layerCodec<ReshapeSpec>('Reshape')(
    () => ({ target_shape: required(TargetShape) }),
    (c) => ({ targetShape: c.target_shape }),
    (s) => ({ target_shape: [...s.targetShape] })
  ),
  infer: inferReshape,
  compile: (spec, inputs, options) =>
    pipe(
      inferKnown(inferReshape, spec, inputs),
      E.map(({ outputShape }) => ({
        outputShape,
        weights: [],
        forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
          const x = xs[0] as Tensor
          const out = allocate(options.dtype, x.data.length)
          out.set(x.data)
          return { shape: [x.shape[0] as number, ...outputShape], data: out }
        }
      }))
    )
}
