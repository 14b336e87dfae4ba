/**
 * Merge layers, called on a list of tensors: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`,
 * `Minimum` (elementwise, with Keras's broadcasting) and `Concatenate`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { optional } from '../../core/KerasObject.js'
import { SafeInt } from '../../core/primitives.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { showShape } from '../../codec/InputShape.js'
import { allocate } from '../../numerics/FloatArray.js'
import type { BaseLayerSpec } from '../base.js'
import type { InferredLayer, LayerKind, SymbolicShape } from '../LayerKind.js'
import { layerCodec } from '../simple.js'
import { identityLayer, normalizeAxis, productOf } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The elementwise merge classes.
 * @category model
 */
export type ElementwiseMergeName = 'Add' | 'Subtract' | 'Multiply' | 'Average' | 'Maximum' | 'Minimum'

/**
 * A normalized elementwise merge layer (no arguments besides the bookkeeping ones).
 * @category model
 */
export interface ElementwiseMergeSpec<C extends ElementwiseMergeName = ElementwiseMergeName> extends BaseLayerSpec {
  readonly className: C
}

/**
 * A normalized Concatenate layer (`axis`: batch axis 0, negative from the end).
 * @category model
 */
export interface ConcatenateSpec extends BaseLayerSpec {
  readonly className: 'Concatenate'
  readonly axis: number
}

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

const showShapes = (shapes: ReadonlyArray<SymbolicShape>): string => shapes.map(showShape).join(', ')

/**
 * Keras's `_compute_elemwise_op_output_shape`: dims aligned from the right; an unknown dim on either
 * side gives an unknown dim, 1 broadcasts, other dims must be equal.
 */
const broadcastPair = (a: SymbolicShape, b: SymbolicShape): SymbolicShape | undefined => {
  if (a.length < b.length) return broadcastPair(b, a)
  const out: Array<number | null> = [...a.slice(0, a.length - b.length)]
  for (let k = 0; k < b.length; k++) {
    const i = a[a.length - b.length + k] ?? null
    const j = b[k] ?? null
    if (i === null || j === null) out.push(null)
    else if (i === 1) out.push(j)
    else if (j === 1) out.push(i)
    else if (i !== j) return undefined
    else out.push(i)
  }
  return out
}

/**
 * The output of an elementwise merge (batch axis included), or the Keras error: inputs whose known
 * batch sizes differ, or whose other axes cannot broadcast.
 * @category utils
 */
export const inferElementwiseMerge = (className: string, inputs: ReadonlyArray<SymbolicShape>): E.Either<ReadonlyArray<SpecError>, SymbolicShape> => {
  if (inputs.length < 1) return E.left([specError('', `${className} should be called on a list of at least 1 input, found none`)])
  if (className === 'Subtract' && inputs.length !== 2) {
    return E.left([specError('', `Subtract should be called on exactly 2 inputs, found ${inputs.length}: ${showShapes(inputs)}`)])
  }
  const batchSizes = new Set(inputs.map((s) => s[0] ?? null).filter((d) => d !== null))
  if (batchSizes.size > 1) {
    return E.left([specError('', `${className} cannot merge tensors with different batch sizes, found inputs ${showShapes(inputs)}`)])
  }
  let out: SymbolicShape = (inputs[0] as SymbolicShape).slice(1)
  for (let i = 1; i < inputs.length; i++) {
    const next = broadcastPair(out, (inputs[i] as SymbolicShape).slice(1))
    if (next === undefined) {
      return E.left([
        specError(
          '',
          `${className} inputs have incompatible shapes: ${showShape(out)} and ${showShape((inputs[i] as SymbolicShape).slice(1))} (without the batch axis) neither match nor broadcast (dims are aligned from the right; a dim broadcasts only when it is 1); inputs ${showShapes(inputs)}`
        )
      ])
    }
    out = next
  }
  const batch = batchSizes.size === 1 ? ([...batchSizes][0] as number) : null
  return E.right([batch, ...out])
}

// -------------------------------------------------------------------------------------
// elementwise merges
// -------------------------------------------------------------------------------------

type Combine = (acc: Float64Array, i: number, v: number) => void

const COMBINE: Readonly<Record<ElementwiseMergeName, Combine>> = {
  Add: (acc, i, v) => {
    acc[i] = (acc[i] as number) + v
  },
  Average: (acc, i, v) => {
    acc[i] = (acc[i] as number) + v
  },
  Subtract: (acc, i, v) => {
    acc[i] = (acc[i] as number) - v
  },
  Multiply: (acc, i, v) => {
    acc[i] = (acc[i] as number) * v
  },
  Maximum: (acc, i, v) => {
    const a = acc[i] as number
    acc[i] = a >= v || a !== a ? a : v
  },
  Minimum: (acc, i, v) => {
    const a = acc[i] as number
    acc[i] = a <= v || a !== a ? a : v
  }
}

/**
 * For an input of per-sample shape `shape` broadcast to `out` (aligned from the right, as Keras
 * expands lower-rank inputs at axis 1), the input offset of each output position.
 */
const broadcastOffsets = (shape: ReadonlyArray<number>, out: ReadonlyArray<number>): Int32Array => {
  const rank = out.length
  const shift = rank - shape.length
  const strides = new Array<number>(rank).fill(0)
  let st = 1
  for (let a = rank - 1; a >= shift; a--) {
    const d = shape[a - shift] as number
    strides[a] = d === 1 ? 0 : st
    st *= d
  }
  const size = productOf(out)
  const offsets = new Int32Array(size)
  const idx = new Array<number>(rank).fill(0)
  let p = 0
  for (let e = 0; e < size; e++) {
    offsets[e] = p
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1
      p += strides[a] as number
      if ((idx[a] as number) < (out[a] as number)) break
      p -= (strides[a] as number) * (out[a] as number)
      idx[a] = 0
    }
  }
  return offsets
}

const elementwiseKind = <C extends ElementwiseMergeName>(className: C): LayerKind<ElementwiseMergeSpec<C>> => {
  const combine = COMBINE[className]
  const kind: LayerKind<ElementwiseMergeSpec<C>> = {
    className,
    aliases: [],
    arity: 'multiple',
    codec: layerCodec<ElementwiseMergeSpec<C>>(className)(
      () => ({}),
      () => ({}) as Omit<ElementwiseMergeSpec<C>, keyof BaseLayerSpec>,
      () => ({})
    ),
    infer: (_spec, inputs) => E.map((outputShape: SymbolicShape): InferredLayer => ({ outputShape, weights: [] }))(inferElementwiseMerge(className, inputs)),
    compile: (_spec, inputs, options) => {
      const r = inferElementwiseMerge(className, inputs.map((s) => [null, ...s]))
      if (E.isLeft(r)) return r
      const out = r.right.slice(1) as ReadonlyArray<number>
      const outSize = productOf(out)
      const sizes = inputs.map((s) => productOf(s))
      const offsets = inputs.map((s) => (s.length === out.length && s.every((d, i) => d === out[i]) ? undefined : broadcastOffsets(s, out)))
      const count = inputs.length
      return E.right({
        outputShape: [...out],
        weights: [],
        forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
          const batch = (xs[0] as Tensor).shape[0] as number
          const acc = new Float64Array(batch * outSize)
          for (let k = 0; k < count; k++) {
            const xd = (xs[k] as Tensor).data
            const off = offsets[k]
            const inSize = sizes[k] as number
            if (k === 0) {
              if (off === undefined) for (let i = 0; i < acc.length; i++) acc[i] = xd[i] as number
              else for (let n = 0; n < batch; n++) for (let e = 0; e < outSize; e++) acc[n * outSize + e] = xd[n * inSize + (off[e] as number)] as number
            } else if (off === undefined) {
              for (let i = 0; i < acc.length; i++) combine(acc, i, xd[i] as number)
            } else {
              for (let n = 0; n < batch; n++) for (let e = 0; e < outSize; e++) combine(acc, n * outSize + e, xd[n * inSize + (off[e] as number)] as number)
            }
          }
          if (className === 'Average') for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) / count
          const data = allocate(options.dtype, acc.length)
          data.set(acc)
          return { shape: [batch, ...out], data }
        }
      })
    }
  }
  return kind
}

/**
 * Add: the elementwise sum of its inputs (one or more; Keras's broadcasting: shapes aligned from the
 * right without the batch axis, 1 broadcasts, unknown dims stay unknown).
 * @category layers
 */
export const AddKind = elementwiseKind('Add')
/**
 * Subtract: `inputs[0] − inputs[1]`, exactly two inputs.
 * @category layers
 */
export const SubtractKind = elementwiseKind('Subtract')
/**
 * Multiply: the elementwise product.
 * @category layers
 */
export const MultiplyKind = elementwiseKind('Multiply')
/**
 * Average: the elementwise sum divided by the number of inputs.
 * @category layers
 */
export const AverageKind = elementwiseKind('Average')
/**
 * Maximum: the elementwise maximum.
 * @category layers
 */
export const MaximumKind = elementwiseKind('Maximum')
/**
 * Minimum: the elementwise minimum.
 * @category layers
 */
export const MinimumKind = elementwiseKind('Minimum')

// -------------------------------------------------------------------------------------
// Concatenate
// -------------------------------------------------------------------------------------

/**
 * Keras's Concatenate shape rule (batch axis included): equal ranks; the dims off the axis must agree
 * where known; the output is the first input's shape with the axis summed (unknown if any is unknown).
 * Concatenating along the batch axis is rejected (layerspec runs a model on one batch size). A single
 * input is returned unchanged, whatever the axis, as Keras does (TensorFlow's concat of one tensor).
 * @category utils
 */
export const inferConcatenate = (spec: Pick<ConcatenateSpec, 'axis'>, inputs: ReadonlyArray<SymbolicShape>): E.Either<ReadonlyArray<SpecError>, SymbolicShape> => {
  const first = inputs[0]
  if (first === undefined) return E.left([specError('', 'Concatenate should be called on a list of at least 1 input, found none')])
  // One input is returned as it is, whatever the axis (TensorFlow's concat of a single tensor, which Keras calls).
  if (inputs.length === 1) return E.right(first)
  const rank = first.length
  if (inputs.some((s) => s.length !== rank)) {
    return E.left([specError('', `Concatenate requires inputs of the same rank, found ${showShapes(inputs)}`)])
  }
  const axis = normalizeAxis(spec.axis, rank)
  if (axis === undefined) {
    return E.left([specError('axis', `Concatenate axis ${spec.axis} is out of range for inputs of rank ${rank} (batch axis included): ${showShapes(inputs)}`)])
  }
  if (axis === 0) {
    return E.left([specError('axis', `Concatenate along the batch axis (axis ${spec.axis}) is not supported: layerspec runs a model on one batch size`)])
  }
  for (let a = 0; a < rank; a++) {
    if (a === axis) continue
    const known = new Set(inputs.map((s) => s[a] ?? null).filter((d) => d !== null))
    if (known.size > 1) {
      return E.left([
        specError('', `Concatenate requires inputs with matching shapes except for the concatenation axis ${axis}; axis ${a} differs: ${showShapes(inputs)}`)
      ])
    }
  }
  let total: number | null = 0
  for (const s of inputs) {
    const d = s[axis] ?? null
    total = total === null || d === null ? null : total + d
  }
  return E.right(first.map((d, i) => (i === axis ? total : d)))
}

/**
 * Concatenate (`axis`, default -1): joins its inputs along `axis`.
 * @category layers
 */
export const ConcatenateKind: LayerKind<ConcatenateSpec> = {
  className: 'Concatenate',
  aliases: [],
  arity: 'multiple',
  codec: layerCodec<ConcatenateSpec>('Concatenate')(
    () => ({ axis: optional(SafeInt, -1) }),
    (c) => ({ axis: c.axis }),
    (s) => ({ axis: s.axis })
  ),
  infer: (spec, inputs) => E.map((outputShape: SymbolicShape): InferredLayer => ({ outputShape, weights: [] }))(inferConcatenate(spec, inputs)),
  compile: (spec, inputs, options) => {
    const full = inputs.map((s) => [null, ...s])
    const r = inferConcatenate(spec, full)
    if (E.isLeft(r)) return r
    if (inputs.length === 1) return E.right(identityLayer(inputs, options.dtype))
    const rank = (full[0] as SymbolicShape).length
    const axis = normalizeAxis(spec.axis, rank) as number
    const first = inputs[0] as ReadonlyArray<number>
    for (const s of inputs) {
      if (s.some((d, i) => i + 1 !== axis && d !== first[i])) {
        return E.left([specError('', `Concatenate requires inputs with matching shapes except for the concatenation axis, found ${showShapes(full)}`)])
      }
    }
    const out = r.right.slice(1) as ReadonlyArray<number>
    const inner = productOf(out, axis)
    const chunks = inputs.map((s) => (s[axis - 1] as number) * inner)
    const rowSize = chunks.reduce((a, b) => a + b, 0)
    const outerPerSample = productOf(out, 0, axis - 1)
    return E.right({
      outputShape: [...out],
      weights: [],
      forward: (_w: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
        const batch = (xs[0] as Tensor).shape[0] as number
        const outer = batch * outerPerSample
        const data = allocate(options.dtype, outer * rowSize)
        let p = 0
        for (let o = 0; o < outer; o++) {
          for (let k = 0; k < xs.length; k++) {
            const chunk = chunks[k] as number
            data.set((xs[k] as Tensor).data.subarray(o * chunk, (o + 1) * chunk), p)
            p += chunk
          }
        }
        return { shape: [batch, ...out], data }
      }
    })
  }
}

/**
 * The merge kinds.
 * @category layers
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const MERGE_KINDS: ReadonlyArray<LayerKind<any>> = [AddKind, SubtractKind, MultiplyKind, AverageKind, MaximumKind, MinimumKind, ConcatenateKind]
