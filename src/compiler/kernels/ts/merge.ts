/**
 * `merge` nodes (Add, Subtract, Multiply, Average, Maximum, Minimum) of inputs of one shape, and
 * `concat` nodes (Concatenate), in plain TypeScript. A merge combines its inputs element by element in
 * float64 in input order and rounds once, as the layer does (so `a + b + c` is the reference's bit for
 * bit); inputs that broadcast are left to the reference kernel. Concatenate copies runs.
 */
import type { ConcatenateSpec } from '../../../layers/elementwise/merge.js'
import type { FloatArray } from '../../../numerics/FloatArray.js'
import type { Graph, Node } from '../../Graph.js'
import type { KernelChoice, StepKernel } from '../../StepKernel.js'
import { lastAxisOf, makeEpilogue, product, sameShape, shapeOf, sizeOf, withEpilogue } from './common.js'

type Op = 'Add' | 'Subtract' | 'Multiply' | 'Average' | 'Maximum' | 'Minimum'

const OPS: ReadonlySet<string> = new Set<Op>(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'])

/** `out[i] = x0[i] ∘ x1[i] ∘ …` over `n` elements, in float64, rounded once (in place is fine: element `i` is read before it is written). */
const combine = (op: Op, view: FloatArray, out: number, ins: ReadonlyArray<number>, n: number): void => {
  const k = ins.length
  const a = ins[0] as number
  if (k === 2) {
    const b = ins[1] as number
    switch (op) {
      case 'Add':
        for (let i = 0; i < n; i++) view[out + i] = (view[a + i] as number) + (view[b + i] as number)
        return
      case 'Subtract':
        for (let i = 0; i < n; i++) view[out + i] = (view[a + i] as number) - (view[b + i] as number)
        return
      case 'Multiply':
        for (let i = 0; i < n; i++) view[out + i] = (view[a + i] as number) * (view[b + i] as number)
        return
      case 'Average':
        for (let i = 0; i < n; i++) view[out + i] = ((view[a + i] as number) + (view[b + i] as number)) / 2
        return
      case 'Maximum':
        for (let i = 0; i < n; i++) {
          const x = view[a + i] as number
          const v = view[b + i] as number
          view[out + i] = x >= v || x !== x ? x : v
        }
        return
      case 'Minimum':
        for (let i = 0; i < n; i++) {
          const x = view[a + i] as number
          const v = view[b + i] as number
          view[out + i] = x <= v || x !== x ? x : v
        }
        return
    }
  }
  for (let i = 0; i < n; i++) {
    let acc = view[a + i] as number
    for (let j = 1; j < k; j++) {
      const v = view[(ins[j] as number) + i] as number
      switch (op) {
        case 'Add':
        case 'Average':
          acc += v
          break
        case 'Subtract':
          acc -= v
          break
        case 'Multiply':
          acc *= v
          break
        case 'Maximum':
          acc = acc >= v || acc !== acc ? acc : v
          break
        case 'Minimum':
          acc = acc <= v || acc !== acc ? acc : v
          break
      }
    }
    view[out + i] = op === 'Average' ? acc / k : acc
  }
}

/**
 * The family of `merge` nodes whose inputs all have the output's shape: `ts-merge` (in place when the
 * plan allows).
 * @category kernels
 */
export const tsMerge = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'merge' || !OPS.has(node.spec.className) || node.inputs.length < 1) return undefined
  if (node.spec.className === 'Subtract' && node.inputs.length !== 2) return undefined
  const op = node.spec.className as Op
  const shape = shapeOf(graph, node.output)
  if (!node.inputs.every((v) => sameShape(shapeOf(graph, v), shape))) return undefined
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(shape))
  return withEpilogue('ts-merge', true, epilogue, size, (view, batch, io) => {
    const n = batch * size
    if (io.inputs.length === 1) {
      const from = io.inputs[0] as number
      if (from !== io.output) view.copyWithin(io.output, from, from + n)
      return
    }
    combine(op, view, io.output, io.inputs, n)
  })
}

/** Copies `n` values from `from` to `to` (a loop for short runs, `copyWithin` for long ones). */
const copyRun = (view: FloatArray, to: number, from: number, n: number): void => {
  if (n < 64) for (let i = 0; i < n; i++) view[to + i] = view[from + i] as number
  else view.copyWithin(to, from, from + n)
}

/**
 * The family of `concat` nodes: `ts-concat`.
 * @category kernels
 */
export const tsConcat = (node: Node, graph: Graph, _choice: KernelChoice): StepKernel | undefined => {
  if (node.kind !== 'concat' || node.spec.className !== 'Concatenate' || node.inputs.length < 1) return undefined
  const out = shapeOf(graph, node.output)
  const size = sizeOf(graph, node.output)
  const epilogue = makeEpilogue(node.epilogue.stages, lastAxisOf(out))
  if (node.inputs.length === 1) {
    if (!sameShape(shapeOf(graph, node.inputs[0] as number), out)) return undefined
    return withEpilogue('ts-concat', false, epilogue, size, (view, batch, io) => copyRun(view, io.output, io.inputs[0] as number, batch * size))
  }
  const rank = out.length + 1
  const given = (node.spec as ConcatenateSpec).axis
  const axis = given < 0 ? given + rank : given
  if (!Number.isSafeInteger(axis) || axis < 1 || axis >= rank) return undefined
  const inner = product(out, axis)
  const shapes = node.inputs.map((v) => shapeOf(graph, v))
  if (shapes.some((s) => s.length !== out.length || s.some((d, i) => i + 1 !== axis && d !== out[i]))) return undefined
  const chunks = shapes.map((s) => (s[axis - 1] as number) * inner)
  const rowSize = chunks.reduce((a, b) => a + b, 0)
  if (rowSize * product(out, 0, axis - 1) !== size) return undefined
  const outerPerSample = product(out, 0, axis - 1)
  const k = chunks.length
  return withEpilogue('ts-concat', false, epilogue, size, (view, batch, io) => {
    const outer = batch * outerPerSample
    let p = io.output
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const chunk = chunks[j] as number
        copyRun(view, p, (io.inputs[j] as number) + o * chunk, chunk)
        p += chunk
      }
    }
  })
}
