/**
 * What the plain-TypeScript kernel families share: value shapes, a kernel record with nothing to pack,
 * and the epilogue compiled once per node into an allocation-free pass (`makeEpilogue`).
 *
 * Exactness: every kernel of these families computes what the node's reference kernel (the layer's own
 * forward, then `applyStages`) computes, bit for bit, except where its module says otherwise: the same
 * float64 arithmetic in the same order, rounded to the arena's dtype where the reference rounds (its
 * result is stored in the arena before the epilogue runs, so every `add` stage adds to a rounded value).
 *
 * noUncheckedIndexedAccess: arena indices below are in range by construction (offsets from the memory
 * plan, sizes from the graph); reads are asserted with `as number`.
 */
import type { FloatArray } from '../../../numerics/FloatArray.js'
import { applyActivation, elementwiseActivation } from '../../../numerics/activations.js'
import type { Graph, Stage, Value, ValueId } from '../../Graph.js'
import type { Arena, StepIO, StepKernel } from '../../StepKernel.js'
import { applyUnary, type Unary } from '../../Unary.js'

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

/** The per-sample shape of a value. */
export const shapeOf = (g: Graph, v: ValueId): ReadonlyArray<number> => (g.values[v] as Value).shape

/** The per-sample element count of a value. */
export const sizeOf = (g: Graph, v: ValueId): number => (g.values[v] as Value).size

/** The product of `dims[from, to)`. */
export const product = (dims: ReadonlyArray<number>, from = 0, to = dims.length): number => {
  let p = 1
  for (let i = from; i < to; i++) p *= dims[i] as number
  return p
}

/** Whether two shapes are equal. */
export const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/** The length of a shape's last axis (1 for a scalar per sample). */
export const lastAxisOf = (shape: ReadonlyArray<number>): number => (shape.length === 0 ? 1 : (shape[shape.length - 1] as number))

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

/**
 * A kernel that reads no packed weights and needs no scratch.
 * @category kernels
 */
export const plainKernel = (name: string, inPlace: boolean, run: StepKernel['run']): StepKernel => ({
  name,
  packedFloats: 0,
  pack: () => undefined,
  scratchFloats: () => 0,
  inPlace,
  run
})

/** The arena and offsets a kernel body computes with. */
export type Body = (view: FloatArray, batch: number, io: StepIO, weights: Parameters<StepKernel['run']>[3]) => void

/**
 * A kernel whose body computes the node's own result into its output, after which the epilogue runs
 * over the `batch · outSize` output values.
 * @category kernels
 */
export const withEpilogue = (name: string, inPlace: boolean, epilogue: Epilogue, outSize: number, body: Body): StepKernel =>
  plainKernel(name, inPlace, (arena: Arena, batch, io, weights) => {
    const view = arena.view()
    body(view, batch, io, weights)
    epilogue(view, io.output, batch * outSize, io.operands)
  })

// -------------------------------------------------------------------------------------
// elementwise functions, in place and allocation-free
// -------------------------------------------------------------------------------------

/** The last float32 view's buffer and its int32 view (one entry: an arena's buffer changes only when it grows). */
let intsBuffer: ArrayBufferLike | undefined
let ints: Int32Array<ArrayBufferLike> = new Int32Array(0)

/** An int32 view of a float32 view's whole buffer (cached), and the view's first index in it. */
export const int32Of = (view: Float32Array): Int32Array<ArrayBufferLike> => {
  if (view.buffer !== intsBuffer || ints.length * 4 !== view.buffer.byteLength) {
    intsBuffer = view.buffer
    ints = new Int32Array(view.buffer, 0, view.buffer.byteLength >> 2)
  }
  return ints
}

/** The bits of float32 6. */
const SIX_BITS = 0x40c00000
/** The bits of float32 +∞. */
const INF_BITS = 0x7f800000

/**
 * ReLU or ReLU6 on float32 bits, without branches (a random sign costs a mispredicted branch per value
 * otherwise: 2-10× slower). With `b` a value's bits and `t = b & 0x7fffffff` its magnitude's: it is
 * NaN when `t > INF_BITS`, ±0 when `t = 0`, negative when `b < 0`. `zeroNegativeZero`: −0 becomes +0
 * too (Keras's ReLU layer: `x > 0 ? x : 0`), else it stays (the clamp `x < 0 ? 0 : x`); NaN always
 * stays. `six`: values above 6 (not NaN) become 6.
 */
const reluBits = (b: Int32Array<ArrayBufferLike>, from: number, to: number, count: number, zeroNegativeZero: boolean, six: boolean): void => {
  const keepZero = zeroNegativeZero ? 0 : -1
  const shift = from - to
  const end = to + count
  for (let i = to; i < end; i++) {
    let x = b[i + shift] as number
    const t = x & 0x7fffffff
    // negative, not NaN, and (a non-zero magnitude, or −0 when it goes too): +0
    const m = (x >> 31) & ~((INF_BITS - t) >> 31) & ~((t - 1) >> 31 & keepZero)
    x &= ~m
    if (six) {
      // non-negative bits above 6's and not NaN: 6
      const m6 = ~(x >> 31) & ((SIX_BITS - x) >> 31) & ~((INF_BITS - x) >> 31)
      x = (x & ~m6) | (SIX_BITS & m6)
    }
    b[i] = x
  }
}

/** Whether a float32 ReLU / ReLU6 of `fn` runs on the bits: `[zeroNegativeZero, six]`, or `undefined`. */
const bitsRelu = (fn: Unary): readonly [boolean, boolean] | undefined => {
  if (fn.kind === 'clamp' && fn.lo === 0 && !Object.is(fn.lo, -0) && (fn.hi === Infinity || fn.hi === 6)) return [false, fn.hi === 6]
  if (fn.kind === 'relu' && fn.negativeSlope === 0 && fn.threshold === 0 && (fn.maxValue === null || fn.maxValue === 6)) return [true, fn.maxValue === 6]
  return undefined
}

/**
 * `min(max(x, lo), hi)` in place over `view[start, start + count)`, keeping NaN and −0 as
 * `applyUnary`'s clamp does (`x < lo` and `x > hi` are both false for them); ReLU and ReLU6 of float32
 * values on their bits.
 */
export const clampInPlace = (view: FloatArray, start: number, count: number, lo: number, hi: number): void => {
  if (view instanceof Float32Array && lo === 0 && !Object.is(lo, -0) && (hi === Infinity || hi === 6)) {
    const at = start + (view.byteOffset >> 2)
    reluBits(int32Of(view), at, at, count, false, hi === 6)
    return
  }
  const end = start + count
  for (let i = start; i < end; i++) {
    const x = view[i] as number
    view[i] = x < lo ? lo : x > hi ? hi : x
  }
}

/**
 * Keras's ReLU layer without slope or threshold (`x > 0 ? x : 0` for non-NaN x, so −0 becomes +0, then
 * at most `maxValue`) in place; on float32 bits for `maxValue` null or 6.
 */
const kerasReluInPlace = (fn: Unary & { readonly kind: 'relu' }, view: FloatArray, start: number, count: number, lastAxis: number): void => {
  const bits = bitsRelu(fn)
  if (view instanceof Float32Array && bits !== undefined) {
    const at = start + (view.byteOffset >> 2)
    reluBits(int32Of(view), at, at, count, bits[0], bits[1])
    return
  }
  applyUnary(fn, view, start, count, lastAxis)
}

/**
 * A leaky ReLU with a positive slope on float32 values, without branches: `x · (x's sign bit ? s : 1)`,
 * which is `applyUnary`'s `x > 0 ? x : s · x` for every x (`x · 1 = x`, NaN stays NaN, `±0 · s` keeps
 * the zero's sign, as `s · ±0` does for `s > 0`).
 */
const leakyBits = (view: Float32Array, start: number, count: number, slope: number): void => {
  const b = int32Of(view)
  const at = view.byteOffset >> 2
  const end = start + count
  for (let i = start; i < end; i++) {
    const negative = (b[i + at] as number) >>> 31
    view[i] = (view[i] as number) * (negative * slope + (1 - negative))
  }
}

/**
 * `fn` from `view[from …]` into `view[to …]` (`count` values; `from = to` in place): one pass on the
 * bits for a float32 ReLU / ReLU6, else a copy then {@link unaryInPlace}.
 * @category kernels
 */
export const unaryCopy = (fn: Unary, lastAxis: number): ((view: FloatArray, from: number, to: number, count: number) => void) => {
  const bits = bitsRelu(fn)
  const inPlace = unaryInPlace(fn, lastAxis)
  return (view, from, to, count) => {
    if (bits !== undefined && view instanceof Float32Array) {
      const at = view.byteOffset >> 2
      reluBits(int32Of(view), from + at, to + at, count, bits[0], bits[1])
      return
    }
    if (from !== to) view.copyWithin(to, from, from + count)
    inPlace(view, to, count)
  }
}

/** softmax along rows of `n` values (as `applyActivation`'s: max-subtracted, float64, e^(x − max) recomputed instead of kept). */
const softmaxRowsInPlace = (view: FloatArray, start: number, count: number, n: number): void => {
  for (let r = start; r < start + count; r += n) {
    let max = -Infinity
    for (let j = r; j < r + n; j++) {
      const v = view[j] as number
      if (v > max) max = v
    }
    let sum = 0
    for (let j = r; j < r + n; j++) sum += Math.exp((view[j] as number) - max)
    for (let j = r; j < r + n; j++) view[j] = Math.exp((view[j] as number) - max) / sum
  }
}

/** log_softmax along rows of `n` values (as `applyActivation`'s). */
const logSoftmaxRowsInPlace = (view: FloatArray, start: number, count: number, n: number): void => {
  for (let r = start; r < start + count; r += n) {
    let max = -Infinity
    for (let j = r; j < r + n; j++) {
      const v = view[j] as number
      if (v > max) max = v
    }
    let sum = 0
    for (let j = r; j < r + n; j++) sum += Math.exp((view[j] as number) - max)
    const logSum = Math.log(sum)
    for (let j = r; j < r + n; j++) view[j] = (view[j] as number) - max - logSum
  }
}

/** `fn` in place over `[start, start + count)` of a value whose last axis is `lastAxis` long. */
export type InPlace = (view: FloatArray, start: number, count: number) => void

/**
 * The in-place pass of a `Unary`, equal to `applyUnary` value for value; allocation-free except for
 * `sparsemax` (which sorts each row in a fresh buffer, as `applyActivation` does).
 * @category kernels
 */
export const unaryInPlace = (fn: Unary, lastAxis: number): InPlace => {
  switch (fn.kind) {
    case 'clamp': {
      const { lo, hi } = fn
      return (view, start, count) => clampInPlace(view, start, count, lo, hi)
    }
    case 'leaky': {
      const slope = fn.slope
      return (view, start, count) => {
        if (view instanceof Float32Array && slope > 0) leakyBits(view, start, count, slope)
        else applyUnary(fn, view, start, count, lastAxis)
      }
    }
    case 'relu':
      return (view, start, count) => kerasReluInPlace(fn, view, start, count, lastAxis)
    case 'activation': {
      const name = fn.name
      if (name === 'linear') return () => undefined
      if (name === 'relu') return (view, start, count) => clampInPlace(view, start, count, 0, Infinity)
      if (name === 'relu6') return (view, start, count) => clampInPlace(view, start, count, 0, 6)
      if (name === 'softmax') return (view, start, count) => softmaxRowsInPlace(view, start, count, lastAxis)
      if (name === 'log_softmax') return (view, start, count) => logSoftmaxRowsInPlace(view, start, count, lastAxis)
      const f = elementwiseActivation(name, fn.dialect)
      if (f === undefined) return (view, start, count) => applyActivation(name, fn.dialect, view.subarray(start, start + count), lastAxis)
      if (name === 'tanh') {
        return (view, start, count) => {
          for (let i = start; i < start + count; i++) view[i] = Math.tanh(view[i] as number)
        }
      }
      if (name === 'sigmoid') {
        return (view, start, count) => {
          for (let i = start; i < start + count; i++) {
            const x = view[i] as number
            if (x >= 0) view[i] = 1 / (1 + Math.exp(-x))
            else {
              const e = Math.exp(x)
              view[i] = e / (1 + e)
            }
          }
        }
      }
      return (view, start, count) => {
        for (let i = start; i < start + count; i++) view[i] = f(view[i] as number)
      }
    }
  }
}

// -------------------------------------------------------------------------------------
// epilogue
// -------------------------------------------------------------------------------------

/**
 * A node's epilogue compiled for its output: applies every stage in order to `count` values at
 * `view[output …]`, `operands` being the offsets of the `add` stages' values.
 * @category kernels
 */
export type Epilogue = (view: FloatArray, output: number, count: number, operands: ReadonlyArray<number>) => void

/** `view[out + i] += view[at + i]` (rounded to the view's dtype at each store, as the reference's). */
const addInPlace = (view: FloatArray, out: number, at: number, count: number): void => {
  for (let i = 0; i < count; i++) view[out + i] = (view[out + i] as number) + (view[at + i] as number)
}

/**
 * The epilogue of `stages` for a value whose last axis is `lastAxis` long: `applyStages`'s result,
 * computed without allocating (see {@link unaryInPlace}).
 * @category kernels
 */
export const makeEpilogue = (stages: ReadonlyArray<Stage>, lastAxis: number): Epilogue => {
  if (stages.length === 0) return () => undefined
  const steps: Array<(view: FloatArray, output: number, count: number, operands: ReadonlyArray<number>) => void> = []
  let k = 0
  for (const s of stages) {
    if (s.kind === 'add') {
      const operand = k++
      steps.push((view, output, count, operands) => addInPlace(view, output, operands[operand] as number, count))
    } else {
      const f = unaryInPlace(s.fn, lastAxis)
      steps.push((view, output, count) => f(view, output, count))
    }
  }
  if (steps.length === 1) return steps[0] as Epilogue
  return (view, output, count, operands) => {
    for (const step of steps) step(view, output, count, operands)
  }
}

/**
 * Whether every stage maps each element on its own (no row-wise activation): the epilogue may then
 * run over any part of the output.
 * @category kernels
 */
export const elementwiseStages = (stages: ReadonlyArray<Stage>): boolean =>
  stages.every((s) => s.kind === 'add' || s.fn.kind !== 'activation' || (s.fn.name !== 'softmax' && s.fn.name !== 'log_softmax' && s.fn.name !== 'sparsemax'))

/**
 * The input and output of a one-input step as views of the arena (`[batch, ...]` at the step's
 * offsets), kept from call to call and rebuilt only when the arena's memory, the offsets or the batch
 * change (a view costs an allocation; the kernels call this on every forward).
 * @category utils
 */
export const ioViews = (inputSize: number, outputSize: number): ((arena: Arena, batch: number, io: StepIO) => { readonly xs: FloatArray; readonly ys: FloatArray }) => {
  let lastView: FloatArray | undefined
  let lastIn = -1
  let lastOut = -1
  let lastBatch = -1
  let views = { xs: new Float32Array(0) as FloatArray, ys: new Float32Array(0) as FloatArray }
  return (arena, batch, io) => {
    const view = arena.view()
    const at = io.inputs[0] as number
    if (view !== lastView || at !== lastIn || io.output !== lastOut || batch !== lastBatch) {
      views = { xs: view.subarray(at, at + batch * inputSize), ys: view.subarray(io.output, io.output + batch * outputSize) }
      lastView = view
      lastIn = at
      lastOut = io.output
      lastBatch = batch
    }
    return views
  }
}
