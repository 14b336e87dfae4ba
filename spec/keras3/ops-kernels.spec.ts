/**
 * The broadcasting rule and every kernel of operation nodes against simple references written from
 * the definitions (index arithmetic on nested coordinates, no strides), on random small shapes
 * (fast-check, the suite's fixed seed), plus the scalar functions against their formulas and the edge
 * cases TensorFlow defines (NaN, signed zeros, pow(1, NaN)).
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { batchMisalignment, broadcastShapes, broadcastStrides, broadcastSymbolic, sizeOf, stridesOf } from '../../src/ops/broadcast.js'
import { castRounding } from '../../src/ops/elementwise.js'
import { binary, concatenate, gather, hardSigmoid, hardSilu, matmul, noRound, reduce, reductionPlan, softmax, transposeMap, unary, type Reducer } from '../../src/ops/kernels.js'
import { findOpKind, OP_KINDS } from '../../src/ops/registry.js'
import type { Bound } from '../../src/ops/OpKind.js'
import { params } from '../../properties/settings.js'

// -------------------------------------------------------------------------------------
// references
// -------------------------------------------------------------------------------------

/** NumPy's broadcast, from its definition: each axis from the right, 1 stretches, else equal. */
const refBroadcast = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] | undefined => {
  const out: number[] = []
  for (let k = 1; k <= Math.max(a.length, b.length); k++) {
    const x = a.length - k >= 0 ? (a[a.length - k] as number) : 1
    const y = b.length - k >= 0 ? (b[b.length - k] as number) : 1
    if (x !== y && x !== 1 && y !== 1) return undefined
    out.unshift(Math.max(x, y) === 1 ? 1 : x === 1 ? y : x)
  }
  return out
}

/** The coordinates of flat index `i` in a shape (row-major). */
const coords = (i: number, shape: ReadonlyArray<number>): number[] => {
  const c = new Array<number>(shape.length).fill(0)
  for (let k = shape.length - 1; k >= 0; k--) {
    c[k] = i % (shape[k] as number)
    i = Math.floor(i / (shape[k] as number))
  }
  return c
}

/** The flat index of coordinates (row-major). */
const flat = (c: ReadonlyArray<number>, shape: ReadonlyArray<number>): number => c.reduce((acc, x, k) => acc * (shape[k] as number) + x, 0)

/** The value of `shape`'s array at the output coordinates `c` of a broadcast (aligned right, 1 stretches). */
const at = (data: ArrayLike<number>, shape: ReadonlyArray<number>, c: ReadonlyArray<number>): number =>
  data[flat(shape.map((d, k) => (d === 1 ? 0 : (c[c.length - shape.length + k] as number))), shape)] as number

const arbShape = (maxRank: number, maxDim = 4): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank })

/** A shape and a shape that broadcasts with it (some axes 1, some dropped on the left). */
const arbBroadcastPair = fc
  .tuple(arbShape(4), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(4))
  .map(([s, ones, drop]) => [s, s.map((d, k) => (ones[k] === true ? 1 : d)).slice(Math.min(drop, s.length))] as const)

const values = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed + i * 1.7) * 1000) / 100)

// -------------------------------------------------------------------------------------
// broadcasting
// -------------------------------------------------------------------------------------

describe('the broadcasting rule (NumPy)', () => {
  it('broadcastShapes equals the definition on random shapes, both ways round', () => {
    fc.assert(
      fc.property(arbShape(4, 3), arbShape(4, 3), (a, b) => {
        expect(broadcastShapes(a, b)).toEqual(refBroadcast(a, b))
        expect(broadcastShapes(b, a)).toEqual(refBroadcast(a, b))
      }),
      params(300)
    )
  })

  it('broadcastShapes accepts every compatible pair, and is the shape of the larger', () => {
    fc.assert(
      fc.property(arbBroadcastPair, ([a, b]) => {
        expect(broadcastShapes(a, b)).toEqual(a.map((d, k) => (k < a.length - b.length ? d : Math.max(d, b[k - (a.length - b.length)] as number))))
      }),
      params(200)
    )
  })

  it("broadcastSymbolic is Keras's broadcast_shapes: unknown with 1 is unknown, unknown with k is k", () => {
    expect(broadcastSymbolic([null, 4, 6], [6])).toEqual([null, 4, 6])
    expect(broadcastSymbolic([null, 1, 6], [null, 4, 1])).toEqual([null, 4, 6])
    expect(broadcastSymbolic([null, null], [5])).toEqual([null, 5])
    expect(broadcastSymbolic([5], [null, null])).toEqual([null, 5])
    expect(broadcastSymbolic([1], [null])).toEqual([null])
    expect(broadcastSymbolic([null], [1])).toEqual([null])
    expect(broadcastSymbolic([], [null, 3])).toEqual([null, 3])
    expect(broadcastSymbolic([null, 4], [3])).toBeUndefined()
    // Known shapes: the NumPy rule.
    fc.assert(
      fc.property(arbShape(3, 3), arbShape(3, 3), (a, b) => {
        expect(broadcastSymbolic(a, b)).toEqual(refBroadcast(a, b))
      }),
      params(200)
    )
  })

  it('broadcastStrides reads each output position where the definition says', () => {
    fc.assert(
      fc.property(arbBroadcastPair, ([out, s]) => {
        const st = broadcastStrides(s, out)
        const data = values(sizeOf(s), 3)
        for (let i = 0; i < sizeOf(out); i++) {
          const c = coords(i, out)
          expect(data[c.reduce((acc, x, k) => acc + x * (st[k] as number), 0)]).toBe(at(data, s, c))
        }
      }),
      params(150)
    )
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1])
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0])
  })

  it('the batch rule: a tensor must have the result rank, a constant of that rank 1 on axis 0', () => {
    expect(batchMisalignment([null, 4, 6], true, 3, 'x')).toBeUndefined()
    expect(batchMisalignment([null, 6], true, 3, 'x')).toContain('its batch axis would meet axis 1 of the result')
    expect(batchMisalignment([4, 6], false, 3, 'c')).toBeUndefined()
    expect(batchMisalignment([1, 4, 6], false, 3, 'c')).toBeUndefined()
    expect(batchMisalignment([3, 4, 6], false, 3, 'c')).toContain('axis 0 of size 3 would meet the batch axis')
    expect(batchMisalignment([], false, 2, 'c')).toBeUndefined()
  })
})

// -------------------------------------------------------------------------------------
// kernels
// -------------------------------------------------------------------------------------

describe('the kernels against references', () => {
  it('unary maps every value', () => {
    const x = values(7, 1)
    const out = new Float64Array(7)
    unary(x, (v) => v * 2 + 1, out)
    expect([...out]).toEqual([...x].map((v) => v * 2 + 1))
  })

  it('binary: every output is f(a at its broadcast position, b at its own), tensors per sample, constants shared', () => {
    fc.assert(
      fc.property(arbBroadcastPair, fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.boolean(), ([out, s], swap, batch, constant) => {
        // `a` is a tensor of per-sample shape `out`; `b` (shape `s`) a tensor too, or a constant.
        const a = values(batch * sizeOf(out), 1)
        const bShape = s
        const b = values((constant ? 1 : batch) * sizeOf(bShape), 2)
        const A = { data: a, sampleSize: sizeOf(out), strides: broadcastStrides(out, out) }
        const B = { data: b, sampleSize: constant ? 0 : sizeOf(bShape), strides: broadcastStrides(bShape, out) }
        const f = (x: number, y: number): number => x - 2 * y
        const got = new Float64Array(batch * sizeOf(out))
        if (swap) binary(B, A, out, batch, (y, x) => f(x, y), got)
        else binary(A, B, out, batch, f, got)
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < sizeOf(out); i++) {
            const c = coords(i, out)
            const bv = at(b.subarray(constant ? 0 : n * sizeOf(bShape)), bShape, c)
            expect(got[n * sizeOf(out) + i]).toBe(f(a[n * sizeOf(out) + i] as number, bv))
          }
        }
      }),
      params(200)
    )
  })

  const REDUCERS: ReadonlyArray<readonly [Reducer, (xs: number[]) => number]> = [
    ['sum', (xs) => xs.reduce((p, q) => p + q, 0)],
    ['mean', (xs) => xs.reduce((p, q) => p + q, 0) / xs.length],
    ['prod', (xs) => xs.reduce((p, q) => p * q, 1)],
    ['max', (xs) => Math.max(...xs)],
    ['min', (xs) => Math.min(...xs)],
    ['logsumexp', (xs) => Math.log(xs.reduce((p, q) => p + Math.exp(q), 0))],
    ['var', (xs) => { const m = xs.reduce((p, q) => p + q, 0) / xs.length; return xs.reduce((p, q) => p + (q - m) ** 2, 0) / xs.length }],
    ['std', (xs) => { const m = xs.reduce((p, q) => p + q, 0) / xs.length; return Math.sqrt(xs.reduce((p, q) => p + (q - m) ** 2, 0) / xs.length) }]
  ]

  /** A shape with a random non-empty subset of its axes. */
  const arbReduction = arbShape(4).chain((shape) =>
    fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, a) => a), { minLength: shape.length === 0 ? 0 : 1 }), fc.integer({ min: 1, max: 3 }))
  )

  it.each(REDUCERS)('reduce %s: each result is the reference over its reduced positions', (reducer, ref) => {
    fc.assert(
      fc.property(arbReduction, ([shape, axes, batch]) => {
        const size = sizeOf(shape)
        const x = values(batch * size, 5)
        const kept = shape.map((d, a) => (axes.includes(a) ? 1 : d))
        const outSize = sizeOf(kept)
        const got = new Float64Array(batch * outSize)
        reduce(x, size, batch, reductionPlan(shape, axes), reducer, got)
        for (let n = 0; n < batch; n++) {
          for (let o = 0; o < outSize; o++) {
            const oc = coords(o, kept)
            const group: number[] = []
            for (let i = 0; i < size; i++) {
              const c = coords(i, shape)
              if (c.every((v, a) => axes.includes(a) || v === oc[a])) group.push(x[n * size + i] as number)
            }
            expect(got[n * outSize + o]).toBeCloseTo(ref(group), 9)
          }
        }
      }),
      params(60)
    )
  })

  it('reduce max / min propagate NaN, as TensorFlow does', () => {
    const x = Float64Array.from([1, NaN, 3, 2, 5, 4])
    const out = new Float64Array(2)
    reduce(x, 6, 1, reductionPlan([2, 3], [1]), 'max', out)
    expect([...out]).toEqual([NaN, 5])
    reduce(x, 6, 1, reductionPlan([2, 3], [1]), 'min', out)
    expect([...out]).toEqual([NaN, 2])
  })

  it('softmax and log-softmax: exp(x − max) / Σ over the reduced positions', () => {
    fc.assert(
      fc.property(arbReduction, fc.boolean(), ([shape, axes, batch], log) => {
        const size = sizeOf(shape)
        const x = values(batch * size, 7)
        const got = new Float64Array(batch * size)
        softmax(x, size, batch, reductionPlan(shape, axes), log, got)
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < size; i++) {
            const c = coords(i, shape)
            let s = 0
            for (let j = 0; j < size; j++) {
              const d = coords(j, shape)
              if (d.every((v, a) => axes.includes(a) || v === c[a])) s += Math.exp(x[n * size + j] as number)
            }
            const v = x[n * size + i] as number
            expect(got[n * size + i]).toBeCloseTo(log ? v - Math.log(s) : Math.exp(v) / s, 10)
          }
        }
      }),
      params(60)
    )
  })

  it('transpose: output axis k is input axis perm[k]', () => {
    const arbPerm = arbShape(4).chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, a) => a), { minLength: shape.length, maxLength: shape.length })))
    fc.assert(
      fc.property(arbPerm, fc.integer({ min: 1, max: 2 }), ([shape, perm], batch) => {
        const size = sizeOf(shape)
        const x = values(batch * size, 9)
        const outShape = perm.map((p) => shape[p] as number)
        const got = new Float64Array(batch * size)
        gather(x, size, batch, transposeMap(shape, perm), got)
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < size; i++) {
            const c = coords(i, outShape)
            const src = new Array<number>(shape.length)
            perm.forEach((p, k) => (src[p] = c[k] as number))
            expect(got[n * size + i]).toBe(x[n * size + flat(src, shape)])
          }
        }
      }),
      params(100)
    )
  })

  it('concatenate: the inputs side by side along the axis', () => {
    const arbConcat = fc
      .tuple(arbShape(3, 3), fc.nat(3), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }))
      .filter(([s, axis]) => axis < s.length)
    fc.assert(
      fc.property(arbConcat, fc.integer({ min: 1, max: 2 }), ([base, axis, sizes], batch) => {
        const shapes = sizes.map((d) => base.map((x, a) => (a === axis ? d : x)))
        const xs = shapes.map((s, k) => values(batch * sizeOf(s), k + 11))
        const outShape = base.map((x, a) => (a === axis ? sizes.reduce((p, q) => p + q, 0) : x))
        const got = new Float64Array(batch * sizeOf(outShape))
        concatenate(xs, shapes, axis, batch, got)
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < sizeOf(outShape); i++) {
            const c = coords(i, outShape)
            let k = 0
            let off = c[axis] as number
            while (off >= (sizes[k] as number)) off -= sizes[k++] as number
            const s = shapes[k] as number[]
            const src = c.map((v, a) => (a === axis ? off : v))
            expect(got[n * sizeOf(outShape) + i]).toBe((xs[k] as Float64Array)[n * sizeOf(s) + flat(src, s)])
          }
        }
      }),
      params(100)
    )
  })

  it('matmul: Σ_k a[…, m, k] · b[…, k, n] over broadcast leading axes, tensors per sample, constants shared', () => {
    const arb = fc.record({
      lead: arbShape(2, 3),
      ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      M: fc.integer({ min: 1, max: 3 }),
      K: fc.integer({ min: 1, max: 3 }),
      N: fc.integer({ min: 1, max: 3 }),
      batch: fc.integer({ min: 1, max: 2 }),
      constant: fc.boolean()
    })
    fc.assert(
      fc.property(arb, ({ lead, ones, M, K, N, batch, constant }) => {
        const leadB = lead.map((d, k) => (ones[k] === true ? 1 : d))
        const a = values(batch * sizeOf(lead) * M * K, 13)
        const b = values((constant ? 1 : batch) * sizeOf(leadB) * K * N, 17)
        const got = new Float64Array(batch * sizeOf(lead) * M * N)
        matmul(
          { data: a, sampleSize: sizeOf(lead) * M * K, leadStrides: broadcastStrides(lead, lead).map((s) => s * M * K), rows: M, cols: K },
          { data: b, sampleSize: constant ? 0 : sizeOf(leadB) * K * N, leadStrides: broadcastStrides(leadB, lead).map((s) => s * K * N), rows: K, cols: N },
          lead,
          batch,
          got
        )
        for (let n = 0; n < batch; n++) {
          for (let l = 0; l < sizeOf(lead); l++) {
            const lc = coords(l, lead)
            const lb = flat(leadB.map((d, k) => (d === 1 ? 0 : (lc[k] as number))), leadB)
            for (let m = 0; m < M; m++) {
              for (let j = 0; j < N; j++) {
                let s = 0
                for (let k = 0; k < K; k++) s += (a[((n * sizeOf(lead) + l) * M + m) * K + k] as number) * (b[(((constant ? 0 : n) * sizeOf(leadB) + lb) * K + k) * N + j] as number)
                expect(got[((n * sizeOf(lead) + l) * M + m) * N + j]).toBeCloseTo(s, 10)
              }
            }
          }
        }
      }),
      params(100)
    )
  })
})

// -------------------------------------------------------------------------------------
// scalar functions and the op kinds' elementwise formulas
// -------------------------------------------------------------------------------------

/** Compiles a one-operand kind on a per-sample shape [n] and runs it on `xs` (one sample). */
const runUnary = (module: string, cls: string, args: Record<string, unknown>, xs: ReadonlyArray<number>, dtype: 'float32' | 'float64' = 'float64'): number[] => {
  const kind = findOpKind(module, cls)
  if (kind === undefined) throw new Error(`no kind ${cls}`)
  const operands: ReadonlyArray<Bound<ReadonlyArray<number>>> = [{ kind: 'tensor', index: 0, shape: [xs.length], path: 'args[0]' }]
  const k = kind.compile(args, operands, { dtype })
  if (E.isLeft(k)) throw new Error(JSON.stringify(k.left))
  const data = dtype === 'float32' ? Float32Array.from(xs) : Float64Array.from(xs)
  return [...k.right.run([{ shape: [1, xs.length], data }]).data]
}

/** Compiles a binary kind with a constant second operand. */
const runBinary = (cls: string, xs: ReadonlyArray<number>, c: number): number[] => {
  const kind = findOpKind('keras.src.ops.numpy', cls)
  if (kind === undefined) throw new Error(`no kind ${cls}`)
  const k = kind.compile({}, [{ kind: 'tensor', index: 0, shape: [xs.length], path: 'args[0]' }, { kind: 'constant', constant: { shape: [], values: [c], dtype: null }, path: 'args[1]' }], { dtype: 'float64' })
  if (E.isLeft(k)) throw new Error(JSON.stringify(k.left))
  return [...k.right.run([{ shape: [1, xs.length], data: Float64Array.from(xs) }]).data]
}

describe('the elementwise formulas of the op kinds', () => {
  const X = [-7, -3, -2.5, -1, -0.5, -0, 0, 0.25, 1, 2.9, 3, 6.5, 40]
  const NUMPY = 'keras.src.ops.numpy'
  const NN = 'keras.src.ops.nn'
  const sig = (x: number): number => 1 / (1 + Math.exp(-x))
  it.each([
    [NUMPY, 'Negative', {}, (x: number) => -x],
    [NUMPY, 'Square', {}, (x: number) => x * x],
    [NUMPY, 'Sqrt', {}, Math.sqrt],
    [NUMPY, 'Abs', {}, Math.abs],
    [NUMPY, 'Absolute', {}, Math.abs],
    [NUMPY, 'Exp', {}, Math.exp],
    [NUMPY, 'Log', {}, Math.log],
    [NUMPY, 'Tanh', {}, Math.tanh],
    [NUMPY, 'Reciprocal', {}, (x: number) => 1 / x],
    [NUMPY, 'Floor', {}, Math.floor],
    [NUMPY, 'Ceil', {}, Math.ceil],
    [NUMPY, 'Clip', { x_min: -1, x_max: 2 }, (x: number) => Math.min(2, Math.max(-1, x))],
    [NN, 'Relu', {}, (x: number) => Math.max(0, x)],
    [NN, 'Relu6', {}, (x: number) => Math.min(6, Math.max(0, x))],
    [NN, 'Sigmoid', {}, sig],
    [NN, 'HardSigmoid', {}, (x: number) => Math.min(6, Math.max(0, x + 3)) / 6],
    [NN, 'HardSilu', {}, (x: number) => (x * Math.min(6, Math.max(0, x + 3))) / 6],
    [NN, 'Silu', {}, (x: number) => x * sig(x)],
    [NN, 'Softplus', {}, (x: number) => Math.log(1 + Math.exp(x))],
    [NN, 'Softsign', {}, (x: number) => x / (1 + Math.abs(x))],
    [NN, 'LeakyRelu', { negative_slope: 0.1 }, (x: number) => (x >= 0 ? x : 0.1 * x)],
    [NN, 'Elu', { alpha: 0.5 }, (x: number) => (x > 0 ? x : 0.5 * (Math.exp(x) - 1))],
    [NN, 'Gelu', { approximate: true }, (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
    [NN, 'HardTanh', {}, (x: number) => Math.min(1, Math.max(-1, x))],
    ['keras.src.activations.activations', 'ReLU', { negative_slope: 0.1, max_value: 4, threshold: 0.5 }, (x: number) => (x > 0.5 ? Math.min(x, 4) : 0) - 0.1 * Math.max(0.5 - x, 0)]
  ] as const)('%s.%s', (module, cls, args, f) => {
    const got = runUnary(module, cls, args, X)
    X.forEach((x, i) => {
      const want = f(x)
      if (Number.isNaN(want)) expect(got[i], `${cls}(${x})`).toBeNaN()
      else expect(got[i], `${cls}(${x})`).toBeCloseTo(want, 12)
    })
  })

  it.each([
    ['Add', (a: number, b: number) => a + b],
    ['Subtract', (a: number, b: number) => a - b],
    ['Multiply', (a: number, b: number) => a * b],
    ['Divide', (a: number, b: number) => a / b],
    ['TrueDivide', (a: number, b: number) => a / b],
    ['Maximum', (a: number, b: number) => Math.max(a, b)],
    ['Minimum', (a: number, b: number) => Math.min(a, b)],
    ['Power', (a: number, b: number) => a ** b]
  ] as const)('%s with a constant', (cls, f) => {
    for (const c of [-2, 0.5, 3]) {
      const got = runBinary(cls, X, c)
      X.forEach((x, i) => expect(Object.is(got[i], f(x, c)) || Math.abs((got[i] as number) - f(x, c)) < 1e-12, `${cls}(${x}, ${c}) = ${got[i]}`).toBe(true))
    }
  })

  it("TensorFlow's edge cases: NaN through maximum / minimum, the first of equal signed zeros, pow(1, NaN) = 1", () => {
    expect(runBinary('Maximum', [NaN, 1], 0)).toEqual([NaN, 1])
    expect(runBinary('Minimum', [NaN, -1], 0)).toEqual([NaN, -1])
    expect(Object.is(runBinary('Maximum', [-0], 0)[0], -0)).toBe(true)
    expect(Object.is(runBinary('Maximum', [0], -0)[0], 0)).toBe(true)
    expect(runBinary('Power', [1, -1], NaN)).toEqual([1, NaN])
    expect(runBinary('Power', [-1], Infinity)).toEqual([1])
    expect(runUnary(NN, 'Relu', {}, [NaN])).toEqual([NaN])
    expect(runUnary(NUMPY, 'Clip', { x_min: 0, x_max: 1 }, [NaN])).toEqual([NaN])
    // keras.activations.relu with a threshold: where(x > threshold, x, 0) gives 0 for NaN.
    expect(runUnary('keras.src.activations.activations', 'ReLU', { negative_slope: 0, max_value: null, threshold: 0.5 }, [NaN, 0.5, 0.7])).toEqual([0, 0, 0.7])
  })

  it('hard_sigmoid / hard_silu round each float32 step as TensorFlow does', () => {
    const hs = hardSigmoid(Math.fround)
    const x = Math.fround(0.1)
    expect(hs(x)).toBe(Math.fround(Math.fround(x + 3) / 6))
    expect(hardSilu(Math.fround)(x)).toBe(x * Math.fround(Math.fround(x + 3) / 6))
    expect(hardSigmoid(noRound)(-3)).toBe(0)
    expect(hardSigmoid(noRound)(3)).toBe(1)
    expect(runUnary(NN, 'HardSigmoid', {}, [0.1], 'float32')).toEqual([Math.fround(Math.fround(Math.fround(0.1) + 3) / 6)])
  })

  it('a cast rounds to float16 (ties to even, overflow to ∞, subnormals) and bfloat16', () => {
    const f16 = castRounding('float16')
    expect([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, -2.5].map(f16)).toEqual([1, 1, 1 + 2 ** -9, 65504, 65504, Infinity, 2 ** -24, 0, 2 ** -24, -2.5])
    const bf16 = castRounding('bfloat16')
    expect([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.140625].map(bf16)).toEqual([1, 1, 1 + 2 ** -6, 3.140625])
    expect(castRounding('float32')(0.1)).toBe(Math.fround(0.1))
    expect(castRounding('float64')(0.1)).toBe(0.1)
  })

  it('every kind has a module of the registry, a unique (module, class) pair, and parameters', () => {
    const keys = OP_KINDS.map((k) => `${k.module}.${k.className}`)
    expect(new Set(keys).size).toBe(keys.length)
    for (const k of OP_KINDS) expect(k.params.length).toBeGreaterThan(0)
    expect(OP_KINDS.length).toBeGreaterThanOrEqual(60)
  })
})
