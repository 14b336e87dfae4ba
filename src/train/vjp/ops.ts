/**
 * Vector-Jacobian products of Keras 3's operation nodes (`keras.src.ops.*` calls in a functional
 * model, src/ops/), with TensorFlow's gradient conventions (Keras's default backend):
 *
 * - layout (`Reshape`, `Transpose`, `ExpandDims`, `Squeeze`, `Concatenate`, `Stack`): the scatter of
 *   the forward's own gather map, read off a float64 run on element ids;
 * - elementwise, NumPy-broadcast (`Add` … `Power`, the functions of one tensor, `Clip`, `Cast`, the
 *   activation operations): each operand's partial derivative, summed over the axes it was broadcast
 *   along; at kinks TensorFlow's choice (`Maximum` routes a tie to its first operand, `Relu` 0 at 0,
 *   `LeakyRelu` the slope at 0, `Abs` 0 at 0, `Clip` passes its bounds, `Power`'s exponent gradient 0
 *   where the base is ≤ 0);
 * - `Softmax`, `LogSoftmax` along their axes;
 * - reductions: `Sum`, `Mean`, `Max` / `Min` / `Amax` / `Amin` (the gradient split evenly among the
 *   elements equal to the result, as `tf.reduce_max`'s; with `initial`, none when `initial` won),
 *   `Prod` (the product of the others), `Var`, `Std`, `Logsumexp`;
 * - `Matmul` (`dA = dC·Bᵀ`, `dB = Aᵀ·dC`, summed over broadcast leading axes).
 *
 * A constant operand gets no gradient. Gradients are float64.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Tensor } from '../../core/Tensor.js'
import type { Activation } from '../../codec/Activation.js'
import type { Unary } from '../../compiler/Unary.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import { broadcastShapes, broadcastStrides, sizeOf } from '../../ops/broadcast.js'
import { reductionPlan } from '../../ops/kernels.js'
import type { Bound, OpKernel } from '../../ops/OpKind.js'
import { nameTable, type NameTable } from '../../core/NameTable.js'
import { activationDerivative, unaryVjp } from './unary.js'

/** The input gradients of an operation call (one per tensor of the call, `undefined` for none), from its inputs, output and output gradient. */
export type OpBackward = (xs: ReadonlyArray<FloatArray>, y: FloatArray, dy: FloatArray, batch: number) => ReadonlyArray<Float64Array | undefined>

type Operand = Bound<ReadonlyArray<number>>
type TensorOperand = Extract<Operand, { readonly kind: 'tensor' }>

const tensorsOf = (operands: ReadonlyArray<Operand>): ReadonlyArray<TensorOperand> =>
  operands.flatMap((o) => (o.kind === 'tensor' ? [o] : o.kind === 'tensors' ? o.items.map((it) => ({ kind: 'tensor' as const, index: it.index, shape: it.shape, path: it.path })) : []))

// -------------------------------------------------------------------------------------
// layout: the scatter of a gather map
// -------------------------------------------------------------------------------------

/** Per output element of a sample, the (tensor, element) it copies, read off a float64 run on ids. */
const gatherMap = (kernel64: OpKernel, tensors: ReadonlyArray<TensorOperand>, count: number): { readonly tensor: Int32Array; readonly element: Int32Array } | undefined => {
  const xs: Tensor[] = new Array<Tensor>(count)
  let base = 0
  const bases: number[] = []
  for (const t of tensors) {
    const n = sizeOf(t.shape)
    bases.push(base)
    xs[t.index] = { shape: [1, ...t.shape], data: Float64Array.from({ length: n }, (_, e) => base + e + 1) }
    base += n
  }
  const y = kernel64.run(xs).data
  const tensor = new Int32Array(y.length)
  const element = new Int32Array(y.length)
  for (let o = 0; o < y.length; o++) {
    const id = (y[o] as number) - 1
    if (!Number.isInteger(id) || id < 0 || id >= base) return undefined
    let t = bases.length - 1
    while ((bases[t] as number) > id) t--
    tensor[o] = (tensors[t] as TensorOperand).index
    element[o] = id - (bases[t] as number)
  }
  return { tensor, element }
}

const layoutVjp = (kernel64: OpKernel, operands: ReadonlyArray<Operand>, count: number): OpBackward | string => {
  const tensors = tensorsOf(operands)
  const map = gatherMap(kernel64, tensors, count)
  if (map === undefined) return 'the operation does not only move values'
  const outSize = map.tensor.length
  const sizes = new Map(tensors.map((t) => [t.index, sizeOf(t.shape)]))
  return (_xs, _y, dy, batch) => {
    const dxs = Array.from({ length: count }, (_, i) => (sizes.has(i) ? new Float64Array(batch * (sizes.get(i) as number)) : undefined))
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < outSize; o++) {
        const t = map.tensor[o] as number
        const dx = dxs[t] as Float64Array
        const at = n * (sizes.get(t) as number) + (map.element[o] as number)
        dx[at] = (dx[at] as number) + (dy[n * outSize + o] as number)
      }
    }
    return dxs
  }
}

// -------------------------------------------------------------------------------------
// elementwise
// -------------------------------------------------------------------------------------

/** ∂y/∂x of a function of one tensor, from x and y. */
type D1 = (x: number, y: number) => number
/** ∂y/∂a and ∂y/∂b of a function of two operands. */
type D2 = (a: number, b: number, y: number) => readonly [number, number]

const INV_SQRT_PI_2 = 2 / Math.sqrt(Math.PI)
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI)

const BINARY: NameTable<D2> = nameTable<D2>({
  Add: () => [1, 1],
  Subtract: () => [1, -1],
  Multiply: (a, b) => [b, a],
  Divide: (a, b) => [1 / b, -a / b / b],
  TrueDivide: (a, b) => [1 / b, -a / b / b],
  // tf.maximum's gradient: the first operand where a >= b, else the second
  Maximum: (a, b) => (a >= b ? [1, 0] : [0, 1]),
  Minimum: (a, b) => (a <= b ? [1, 0] : [0, 1]),
  // tf.pow's: b·a^(b−1), and y·log(a) where a > 0 (0 elsewhere)
  Power: (a, b, y) => [b * Math.pow(a, b - 1), a > 0 ? y * Math.log(a) : 0]
})

const ACTIVATION_OF: NameTable<Activation> = nameTable<Activation>({
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  HardSigmoid: 'hard_sigmoid',
  HardSilu: 'hard_silu',
  Silu: 'silu',
  Selu: 'selu',
  Softplus: 'softplus',
  Softsign: 'softsign',
  LogSigmoid: 'log_sigmoid',
  HardTanh: 'hard_tanh',
  Mish: 'mish',
  SparsePlus: 'sparse_plus',
  SparseSigmoid: 'sparse_sigmoid',
  TanhShrink: 'tanh_shrink'
})

/** The derivative of a function of one tensor with its config, or undefined for none known. */
const unaryDerivative = (className: string, args: Readonly<Record<string, unknown>>): D1 | undefined => {
  const num = (k: string): number => args[k] as number
  switch (className) {
    case 'Negative':
      return () => -1
    case 'Square':
      return (x) => 2 * x
    case 'Sqrt':
      return (_x, y) => 0.5 / y
    case 'Absolute':
    case 'Abs':
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)
    case 'Exp':
      return (_x, y) => y
    case 'Log':
      return (x) => 1 / x
    case 'Log1p':
      return (x) => 1 / (1 + x)
    case 'Expm1':
      return (x) => Math.exp(x)
    case 'Tanh':
      return (_x, y) => 1 - y * y
    case 'Sin':
      return (x) => Math.cos(x)
    case 'Cos':
      return (x) => -Math.sin(x)
    case 'Reciprocal':
      return (_x, y) => -y * y
    case 'Sign':
    case 'Floor':
    case 'Ceil':
      return () => 0
    case 'Rsqrt':
      return (_x, y) => -0.5 * y * y * y
    case 'Erf':
      return (x) => INV_SQRT_PI_2 * Math.exp(-x * x)
    case 'Clip':
      // tf.clip_by_value: the gradient passes inside [x_min, x_max], bounds included
      return (x) => (x >= num('x_min') && x <= num('x_max') ? 1 : 0)
    case 'Cast':
      return () => 1
    case 'Gelu': {
      const exact = args['approximate'] === false ? activationDerivative('gelu', 'keras3') : undefined
      if (exact !== undefined) return exact
      return (x) => {
        const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        const t = Math.tanh(u)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
      }
    }
    case 'Elu':
      return (x) => (x > 0 ? 1 : num('alpha') * Math.exp(x))
    case 'Celu':
      return (x) => (x > 0 ? 1 : Math.exp(x / num('alpha')))
    case 'LeakyRelu':
      // tf.nn.leaky_relu's gradient: 1 where x > 0, the slope elsewhere (0 included)
      return (x) => (x > 0 ? 1 : num('negative_slope'))
    case 'Squareplus':
      return (x) => 0.5 + (0.5 * x) / Math.sqrt(x * x + num('b'))
    case 'SoftShrink':
    case 'HardShrink':
      return (x) => (Math.abs(x) > num('threshold') ? 1 : 0)
    case 'Threshold':
      return (x) => (x > num('threshold') ? 1 : 0)
    default: {
      const a = ACTIVATION_OF.get(className)
      return a === undefined ? undefined : activationDerivative(a, 'keras3')
    }
  }
}

/** Operands with their per-sample shapes and strides over the (broadcast) result. */
const elementwiseVjp = (operands: ReadonlyArray<Operand>, count: number, d1: D1 | undefined, d2: D2 | undefined): OpBackward | string => {
  const rank = Math.max(...operands.map((o) => (o.kind === 'tensor' ? o.shape.length + 1 : o.kind === 'constant' ? o.constant.shape.length : 0)))
  const perSample = (o: Operand): ReadonlyArray<number> => {
    if (o.kind === 'tensor') return o.shape
    if (o.kind !== 'constant') return []
    // a constant's shape aligned from the right, without the batch axis it may span
    const s = o.constant.shape
    return s.length === rank ? s.slice(1) : s
  }
  let shape: ReadonlyArray<number> = perSample(operands[0] as Operand)
  for (const o of operands.slice(1)) {
    const next = broadcastShapes(shape, perSample(o))
    if (next === undefined) return 'the operands do not broadcast'
    shape = next
  }
  const outSize = sizeOf(shape)
  const items = operands.map((o) => ({
    o,
    size: sizeOf(perSample(o)),
    strides: broadcastStrides(perSample(o), shape),
    values: o.kind === 'constant' ? Float64Array.from(o.constant.values) : undefined
  }))
  // element of operand k read by output element e of a sample
  const maps = items.map((it) => {
    const m = new Int32Array(outSize)
    const dims = shape
    const idx = new Array<number>(dims.length).fill(0)
    for (let e = 0; e < outSize; e++) {
      let p = 0
      for (let a = 0; a < dims.length; a++) p += (idx[a] as number) * (it.strides[a] as number)
      m[e] = p
      for (let a = dims.length - 1; a >= 0; a--) {
        idx[a] = (idx[a] as number) + 1
        if ((idx[a] as number) < (dims[a] as number)) break
        idx[a] = 0
      }
    }
    return m
  })
  const valueOf = (k: number, xs: ReadonlyArray<FloatArray>, n: number, e: number): number => {
    const it = items[k] as (typeof items)[number]
    const at = (maps[k] as Int32Array)[e] as number
    return it.o.kind === 'tensor' ? ((xs[it.o.index] as FloatArray)[n * it.size + at] as number) : ((it.values as Float64Array)[at] as number)
  }
  return (xs, y, dy, batch) => {
    const dxs: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(count).fill(undefined)
    items.forEach((it) => {
      if (it.o.kind === 'tensor') dxs[it.o.index] = new Float64Array(batch * it.size)
    })
    for (let n = 0; n < batch; n++) {
      for (let e = 0; e < outSize; e++) {
        const g = dy[n * outSize + e] as number
        const out = y[n * outSize + e] as number
        if (items.length === 1) {
          const it = items[0] as (typeof items)[number]
          if (it.o.kind !== 'tensor') continue
          const dx = dxs[it.o.index] as Float64Array
          const at = n * it.size + ((maps[0] as Int32Array)[e] as number)
          dx[at] = (dx[at] as number) + g * (d1 as D1)(valueOf(0, xs, n, e), out)
          continue
        }
        const [da, db] = (d2 as D2)(valueOf(0, xs, n, e), valueOf(1, xs, n, e), out)
        items.forEach((it, k) => {
          if (it.o.kind !== 'tensor') return
          const dx = dxs[it.o.index] as Float64Array
          const at = n * it.size + ((maps[k] as Int32Array)[e] as number)
          dx[at] = (dx[at] as number) + g * (k === 0 ? da : db)
        })
      }
    }
    return dxs
  }
}

// -------------------------------------------------------------------------------------
// softmax, reductions
// -------------------------------------------------------------------------------------

/** Canonical per-sample axes of an `axis` config (batch axis excluded; the forward's checks passed). */
const perSampleAxes = (axis: unknown, rank: number): ReadonlyArray<number> => {
  const list = Array.isArray(axis) ? (axis as ReadonlyArray<number>) : [axis as number]
  return list.map((a) => (a < 0 ? a + rank : a) - 1)
}

const softmaxVjp = (x: TensorOperand, axis: unknown, log: boolean, count: number): OpBackward => {
  const plan = reductionPlan(x.shape, perSampleAxes(axis, x.shape.length + 1))
  const size = sizeOf(x.shape)
  return (_xs, y, dy, batch) => {
    const dx = new Float64Array(batch * size)
    for (let n = 0; n < batch; n++) {
      for (const base of plan.outer) {
        let s = 0
        for (const off of plan.inner) {
          const i = n * size + base + off
          s += log ? (dy[i] as number) : (dy[i] as number) * (y[i] as number)
        }
        for (const off of plan.inner) {
          const i = n * size + base + off
          dx[i] = log ? (dy[i] as number) - Math.exp(y[i] as number) * s : (y[i] as number) * ((dy[i] as number) - s)
        }
      }
    }
    const out: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(count).fill(undefined)
    out[x.index] = dx
    return out
  }
}

const reductionVjp = (className: string, x: TensorOperand, args: Readonly<Record<string, unknown>>, count: number): OpBackward => {
  const plan = reductionPlan(x.shape, perSampleAxes(args['axis'], x.shape.length + 1))
  const size = sizeOf(x.shape)
  const outSize = plan.outer.length
  const k = plan.inner.length
  const initial = (args['initial'] as number | null | undefined) ?? null
  return (xs, y, dy, batch) => {
    const xv = xs[x.index] as FloatArray
    const dx = new Float64Array(batch * size)
    const vals = new Float64Array(k)
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < outSize; o++) {
        const base = n * size + (plan.outer[o] as number)
        const g = dy[n * outSize + o] as number
        const r = y[n * outSize + o] as number
        for (let j = 0; j < k; j++) vals[j] = xv[base + (plan.inner[j] as number)] as number
        const put = (j: number, v: number): void => {
          const i = base + (plan.inner[j] as number)
          dx[i] = (dx[i] as number) + v
        }
        switch (className) {
          case 'Sum':
            for (let j = 0; j < k; j++) put(j, g)
            break
          case 'Mean':
            for (let j = 0; j < k; j++) put(j, g / k)
            break
          case 'Max':
          case 'Min':
          case 'Amax':
          case 'Amin': {
            const max = className === 'Max' || className === 'Amax'
            // the reduction of the values alone (with `initial`, tf.maximum(reduce_max(x), initial) routes a tie to the reduction)
            let m = vals[0] as number
            for (let j = 1; j < k; j++) m = max ? Math.max(m, vals[j] as number) : Math.min(m, vals[j] as number)
            if (initial !== null && (max ? m < initial : m > initial)) break
            let ties = 0
            for (let j = 0; j < k; j++) if (vals[j] === m) ties++
            for (let j = 0; j < k; j++) if (vals[j] === m) put(j, g / ties)
            break
          }
          case 'Prod': {
            // the product of the others, by prefix and suffix products (exact with zeros)
            let prefix = 1
            const suffix = new Float64Array(k + 1)
            suffix[k] = 1
            for (let j = k - 1; j >= 0; j--) suffix[j] = (suffix[j + 1] as number) * (vals[j] as number)
            for (let j = 0; j < k; j++) {
              put(j, g * prefix * (suffix[j + 1] as number))
              prefix *= vals[j] as number
            }
            break
          }
          case 'Var':
          case 'Std': {
            let mean = 0
            for (let j = 0; j < k; j++) mean += vals[j] as number
            mean /= k
            const scale = className === 'Var' ? (2 * g) / k : g / (k * r)
            for (let j = 0; j < k; j++) put(j, scale * ((vals[j] as number) - mean))
            break
          }
          case 'Logsumexp':
            for (let j = 0; j < k; j++) put(j, g * Math.exp((vals[j] as number) - r))
            break
        }
      }
    }
    const out: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(count).fill(undefined)
    out[x.index] = dx
    return out
  }
}

// -------------------------------------------------------------------------------------
// matmul
// -------------------------------------------------------------------------------------

const matmulVjp = (operands: ReadonlyArray<Operand>, count: number): OpBackward | string => {
  const [o1, o2] = operands as readonly [Operand, Operand]
  const full = (o: Operand): ReadonlyArray<number> => (o.kind === 'tensor' ? [1, ...o.shape] : o.kind === 'constant' ? o.constant.shape : [])
  const viewOf = (f: ReadonlyArray<number>, first: boolean): { readonly lead: ReadonlyArray<number>; readonly rows: number; readonly cols: number } => {
    if (f.length === 1) return first ? { lead: [], rows: 1, cols: f[0] as number } : { lead: [], rows: f[0] as number, cols: 1 }
    return { lead: f.slice(0, -2), rows: f[f.length - 2] as number, cols: f[f.length - 1] as number }
  }
  const v1 = viewOf(full(o1), true)
  const v2 = viewOf(full(o2), false)
  const lead = broadcastShapes(v1.lead, v2.lead)
  if (lead === undefined) return 'the leading axes do not broadcast'
  const st = (v: typeof v1): ReadonlyArray<number> => broadcastStrides(v.lead, lead).map((s) => s * v.rows * v.cols)
  const s1 = st(v1)
  const s2 = st(v2)
  const size1 = sizeOf(full(o1))
  const size2 = sizeOf(full(o2))
  const M = v1.rows
  const K = v1.cols
  const N = v2.cols
  const mats = sizeOf(lead)
  const c1 = o1.kind === 'constant' ? Float64Array.from(o1.constant.values) : undefined
  const c2 = o2.kind === 'constant' ? Float64Array.from(o2.constant.values) : undefined
  return (xs, _y, dy, batch) => {
    const a = o1.kind === 'tensor' ? (xs[o1.index] as FloatArray) : (c1 as Float64Array)
    const b = o2.kind === 'tensor' ? (xs[o2.index] as FloatArray) : (c2 as Float64Array)
    const da = o1.kind === 'tensor' ? new Float64Array(batch * size1) : undefined
    const db = o2.kind === 'tensor' ? new Float64Array(batch * size2) : undefined
    const idx = new Array<number>(lead.length).fill(0)
    let o = 0
    for (let n = 0; n < batch; n++) {
      let pa = o1.kind === 'tensor' ? n * size1 : 0
      let pb = o2.kind === 'tensor' ? n * size2 : 0
      idx.fill(0)
      for (let l = 0; l < mats; l++) {
        for (let m = 0; m < M; m++) {
          for (let j = 0; j < N; j++) {
            const g = dy[o + m * N + j] as number
            if (g === 0) continue
            for (let kk = 0; kk < K; kk++) {
              if (da !== undefined) da[pa + m * K + kk] = (da[pa + m * K + kk] as number) + g * (b[pb + kk * N + j] as number)
              if (db !== undefined) db[pb + kk * N + j] = (db[pb + kk * N + j] as number) + g * (a[pa + m * K + kk] as number)
            }
          }
        }
        o += M * N
        for (let k = lead.length - 1; k >= 0; k--) {
          idx[k] = (idx[k] as number) + 1
          pa += s1[k] as number
          pb += s2[k] as number
          if ((idx[k] as number) < (lead[k] as number)) break
          pa -= (s1[k] as number) * (lead[k] as number)
          pb -= (s2[k] as number) * (lead[k] as number)
          idx[k] = 0
        }
      }
    }
    const out: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(count).fill(undefined)
    if (o1.kind === 'tensor') out[o1.index] = da
    if (o2.kind === 'tensor') out[o2.index] = db
    return out
  }
}

// -------------------------------------------------------------------------------------
// entry
// -------------------------------------------------------------------------------------

const LAYOUT = new Set(['Reshape', 'Transpose', 'ExpandDims', 'Squeeze', 'Concatenate', 'Stack'])
const REDUCTIONS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Amax', 'Amin', 'Prod', 'Var', 'Std', 'Logsumexp'])

/**
 * The backward of an operation call (its class, config, bound operands; `kernel64` its float64 forward,
 * `count` the number of tensors of the call), or why there is none.
 * @category training
 */
export const opVjp = (className: string, args: Readonly<Record<string, unknown>>, operands: ReadonlyArray<Operand>, kernel64: OpKernel, count: number): E.Either<string, OpBackward> => {
  const done = (r: OpBackward | string): E.Either<string, OpBackward> => (typeof r === 'string' ? E.left(r) : E.right(r))
  if (LAYOUT.has(className)) return done(layoutVjp(kernel64, operands, count))
  if (className === 'Softmax' || className === 'LogSoftmax') {
    const x = tensorsOf(operands)[0]
    return x === undefined ? E.left('no tensor operand') : E.right(softmaxVjp(x, args['axis'] ?? -1, className === 'LogSoftmax', count))
  }
  if (REDUCTIONS.has(className)) {
    const x = tensorsOf(operands)[0]
    return x === undefined ? E.left('no tensor operand') : E.right(reductionVjp(className, x, args, count))
  }
  if (className === 'Matmul') return done(matmulVjp(operands, count))
  if (className === 'ReLU') {
    // Keras's relu(x, negative_slope, max_value, threshold): the compiler's Unary VJP
    const fn: Unary = { kind: 'relu', negativeSlope: args['negative_slope'] as number, maxValue: (args['max_value'] as number | null) ?? null, threshold: args['threshold'] as number }
    return done(elementwiseVjp(operands, count, (x) => unaryVjp(fn, Float64Array.of(x), Float64Array.of(0), Float64Array.of(1), 1)[0] as number, undefined))
  }
  const d2 = BINARY.get(className)
  if (d2 !== undefined) return done(elementwiseVjp(operands, count, undefined, d2))
  const d1 = unaryDerivative(className, args)
  if (d1 !== undefined) return done(elementwiseVjp(operands, count, d1, undefined))
  return E.left(`no gradient for the operation ${className}`)
}
