/**
 * `dense` nodes (Keras Dense over the last axis of an input of any rank) in plain TypeScript: a GEMM of
 * the `rows × K` input (every position of every sample is a row) with the `K × N` kernel.
 *
 * Packing (once per params object, in the arena): the bias (zeros when there is none) in panels of
 * {@link DENSE_NR} output columns, then the kernel as `⌈N / NR⌉` panels of `K × NR` values (panel `q`,
 * step `k`: the row `kernel[k, q·NR … q·NR + NR)`, the last panel zero-padded), so each step of the
 * inner loop reads NR consecutive weights. A LoRA layer's kernel is merged in the packing (as the layer
 * merges it: float64, rounded once).
 *
 * Compute: tiles of 2 rows × 8 columns (16 float64 accumulators in registers, each weight loaded once
 * for both rows; measured 2.3 GMAC/s against 1.2-2.2 for 1×8, 2×4, 4×4, 4×8 and 8×2 tiles in V8 on the
 * bench's shapes), and a GEMV (1 row × 8 columns) for a single row: a batch of one flat sample, or the
 * odd last row. Each output starts from its bias and adds `x[k] · w[k]` for k = 0 … K−1 in float64,
 * the layer's own order, and is rounded once: the result is the reference's bit for bit.
 */
import type { Tensor } from '../../../core/Tensor.js'
import type { DenseSpec } from '../../../layers/Dense.js'
import { mergeLora } from '../../../layers/lora.js'
import type { FloatArray } from '../../../numerics/FloatArray.js'
import type { Graph, Node, Stage } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { unaryOfActivation } from '../../Unary.js'
import { exprShape } from '../../WeightExpr.js'
import { makeEpilogue, product, shapeOf } from './common.js'

/** Output columns per packed panel. */
export const DENSE_NR = 8

/** Floats of a packing: the bias panels, then the kernel panels. */
export const densePackedFloats = (K: number, N: number): number => {
  const panels = Math.ceil(N / DENSE_NR)
  return panels * DENSE_NR * (K + 1)
}

/** Packs `kernel` (`[K, N]`, row-major) and `bias` (or zeros) at `dst[offset …]` (see the module's layout). */
export const packDense = (K: number, N: number, kernel: ArrayLike<number>, bias: ArrayLike<number> | undefined, dst: FloatArray, offset: number): void => {
  const panels = Math.ceil(N / DENSE_NR)
  const width = panels * DENSE_NR
  for (let j = 0; j < width; j++) dst[offset + j] = j < N && bias !== undefined ? (bias[j] as number) : 0
  let p = offset + width
  for (let q = 0; q < panels; q++) {
    const n0 = q * DENSE_NR
    for (let k = 0; k < K; k++) {
      const row = k * N
      for (let j = 0; j < DENSE_NR; j++, p++) dst[p] = n0 + j < N ? (kernel[row + n0 + j] as number) : 0
    }
  }
}

/** Stores the first `n` (≤ 8) of eight values at `view[o …]`. */
const store = (view: FloatArray, o: number, n: number, c0: number, c1: number, c2: number, c3: number, c4: number, c5: number, c6: number, c7: number): void => {
  if (n >= 8) {
    view[o] = c0
    view[o + 1] = c1
    view[o + 2] = c2
    view[o + 3] = c3
    view[o + 4] = c4
    view[o + 5] = c5
    view[o + 6] = c6
    view[o + 7] = c7
    return
  }
  view[o] = c0
  if (n > 1) view[o + 1] = c1
  if (n > 2) view[o + 2] = c2
  if (n > 3) view[o + 3] = c3
  if (n > 4) view[o + 4] = c4
  if (n > 5) view[o + 5] = c5
  if (n > 6) view[o + 6] = c6
}

/**
 * `rows` rows of `out = x · W + b` (`x` rows of `K` at `view[x …]`, results rows of `N` at `view[out …]`)
 * with the packing at `view[w …]`.
 */
export const gemm = (view: FloatArray, x: number, rows: number, K: number, N: number, w: number, out: number): void => {
  const panels = Math.ceil(N / DENSE_NR)
  const weights = w + panels * DENSE_NR
  let r = 0
  for (; r + 1 < rows; r += 2) {
    const x0 = x + r * K
    const x1 = x0 + K
    const o0 = out + r * N
    for (let q = 0; q < panels; q++) {
      const b = w + q * DENSE_NR
      let c0 = view[b] as number
      let c1 = view[b + 1] as number
      let c2 = view[b + 2] as number
      let c3 = view[b + 3] as number
      let c4 = view[b + 4] as number
      let c5 = view[b + 5] as number
      let c6 = view[b + 6] as number
      let c7 = view[b + 7] as number
      let d0 = c0
      let d1 = c1
      let d2 = c2
      let d3 = c3
      let d4 = c4
      let d5 = c5
      let d6 = c6
      let d7 = c7
      let p = weights + q * K * DENSE_NR
      for (let k = 0; k < K; k++, p += DENSE_NR) {
        const a = view[x0 + k] as number
        const e = view[x1 + k] as number
        let v = view[p] as number
        c0 += a * v
        d0 += e * v
        v = view[p + 1] as number
        c1 += a * v
        d1 += e * v
        v = view[p + 2] as number
        c2 += a * v
        d2 += e * v
        v = view[p + 3] as number
        c3 += a * v
        d3 += e * v
        v = view[p + 4] as number
        c4 += a * v
        d4 += e * v
        v = view[p + 5] as number
        c5 += a * v
        d5 += e * v
        v = view[p + 6] as number
        c6 += a * v
        d6 += e * v
        v = view[p + 7] as number
        c7 += a * v
        d7 += e * v
      }
      const n0 = q * DENSE_NR
      store(view, o0 + n0, N - n0, c0, c1, c2, c3, c4, c5, c6, c7)
      store(view, o0 + N + n0, N - n0, d0, d1, d2, d3, d4, d5, d6, d7)
    }
  }
  if (r < rows) gemv(view, x + r * K, K, N, w, out + r * N)
}

/** One row of `out = x · W + b`. */
export const gemv = (view: FloatArray, x: number, K: number, N: number, w: number, out: number): void => {
  const panels = Math.ceil(N / DENSE_NR)
  const weights = w + panels * DENSE_NR
  for (let q = 0; q < panels; q++) {
    const b = w + q * DENSE_NR
    let c0 = view[b] as number
    let c1 = view[b + 1] as number
    let c2 = view[b + 2] as number
    let c3 = view[b + 3] as number
    let c4 = view[b + 4] as number
    let c5 = view[b + 5] as number
    let c6 = view[b + 6] as number
    let c7 = view[b + 7] as number
    let p = weights + q * K * DENSE_NR
    for (let k = 0; k < K; k++, p += DENSE_NR) {
      const a = view[x + k] as number
      c0 += a * (view[p] as number)
      c1 += a * (view[p + 1] as number)
      c2 += a * (view[p + 2] as number)
      c3 += a * (view[p + 3] as number)
      c4 += a * (view[p + 4] as number)
      c5 += a * (view[p + 5] as number)
      c6 += a * (view[p + 6] as number)
      c7 += a * (view[p + 7] as number)
    }
    const n0 = q * DENSE_NR
    store(view, out + n0, N - n0, c0, c1, c2, c3, c4, c5, c6, c7)
  }
}

/**
 * The family of `dense` nodes: `ts-dense-gemm` (GEMV for a single row).
 * @category kernels
 */
export const tsDense = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'dense' || node.spec.className !== 'Dense' || node.inputs.length !== 1) return undefined
  const spec = node.spec as DenseSpec
  const inShape = shapeOf(graph, node.inputs[0] as number)
  const outShape = shapeOf(graph, node.output)
  if (inShape.length < 1) return undefined
  const K = inShape[inShape.length - 1] as number
  const N = spec.units
  if (outShape.length !== inShape.length || outShape[outShape.length - 1] !== N || !inShape.slice(0, -1).every((d, i) => d === outShape[i])) return undefined
  const lora = spec.loraRank === null ? undefined : { rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }
  const loraAt = spec.useBias ? 2 : 1
  const expected = loraAt + (lora === undefined ? 0 : 2)
  if (node.weights.length !== expected) return undefined
  const kernelShape = exprShape(node.weights[0] as Node['weights'][number])
  if (kernelShape.length !== 2 || kernelShape[0] !== K || kernelShape[1] !== N) return undefined
  if (spec.useBias && product(exprShape(node.weights[1] as Node['weights'][number])) !== N) return undefined
  const rowsPerSample = product(inShape, 0, inShape.length - 1)
  // a Dense whose activation lowering did not move (a graph built by hand) applies it first
  const own = unaryOfActivation(spec.activation, spec.dialect)
  const stages: ReadonlyArray<Stage> = own === undefined ? node.epilogue.stages : [{ kind: 'unary', fn: own }, ...node.epilogue.stages]
  const epilogue = makeEpilogue(stages, N)
  const dtype = graph.dtype
  return {
    name: 'ts-dense-gemm',
    packedFloats: densePackedFloats(K, N),
    pack: (weights: ReadonlyArray<Tensor>, dst: FloatArray, offset: number) => {
      const kernel = (weights[0] as Tensor).data
      const merged = lora === undefined ? kernel : mergeLora(kernel, (weights[loraAt] as Tensor).data, (weights[loraAt + 1] as Tensor).data, lora, dtype)
      packDense(K, N, merged, spec.useBias ? (weights[1] as Tensor).data : undefined, dst, offset)
    },
    scratchFloats: () => 0,
    inPlace: false,
    run: (arena, batch, io) => {
      const view = arena.view()
      const rows = batch * rowsPerSample
      const x = io.inputs[0] as number
      if (rows === 1) gemv(view, x, K, N, io.weights, io.output)
      else gemm(view, x, rows, K, N, io.weights, io.output)
      epilogue(view, io.output, rows * N, io.operands)
    }
  }
}
