/** The convolution family's training op (Conv1D, Conv3D, transposed, separable, DepthwiseConv1D). */
import * as E from 'fp-ts/lib/Either.js'
import type { Graph, Node, Stage } from '../../compiler/Graph.js'
import { unaryOfActivation } from '../../compiler/Unary.js'
import { convNdGeometry } from '../../geometry/ConvNdGeometry.js'
import type { ConvFamilySpec } from '../../conv/ConvFamilySpec.js'
import { convParams, pointwiseParams } from '../../conv/inferConvFamily.js'
import { compileConvNd } from '../../conv/kernel.js'
import type { FloatArray } from '../../numerics/FloatArray.js'
import { compileConvNdVjp } from '../vjp/convFamily.js'
import { unaryGradProblem } from '../vjp/unary.js'
import { type Result, type NodeOp, shapeOf, withStages, withLora, type TrainKernelOptions } from '../NodeOp.js'

/**
 * A convolution-family member (Conv1D, Conv3D, Conv1D/2D/3DTranspose, SeparableConv1D/2D,
 * DepthwiseConv1D): the forward on the family's kernels (compileConvNd; a separable layer keeps its
 * depthwise result for the backward), the backward on their fast VJPs (vjp/convFamily.ts; a separable
 * layer's pointwise VJP, then its depthwise one on the pointwise part's input gradient). The layer's
 * own activation runs as the first epilogue stage (whether lowering moved it there or left it in the
 * spec), so the kernels compute the linear convolution.
 */
export const convFamilyOp = (node: Node, graph: Graph, kernels: TrainKernelOptions, fail: (message: string) => Result<NodeOp>, lastAxis: number): Result<NodeOp> => {
  const spec = node.spec as unknown as ConvFamilySpec
  const dtype = graph.dtype
  const gE = convNdGeometry(convParams(spec), shapeOf(graph, node.inputs[0] as number))
  if (E.isLeft(gE)) return gE
  const g = gE.right
  const pointwiseE = spec.kind === 'separable' ? convNdGeometry(pointwiseParams(spec), g.outputShape) : undefined
  if (pointwiseE !== undefined && E.isLeft(pointwiseE)) return pointwiseE
  const own = unaryOfActivation(spec.activation, spec.dialect)
  const problem = own === undefined ? undefined : unaryGradProblem(own)
  if (problem !== undefined) return fail(problem)
  const stages: ReadonlyArray<Stage> = own === undefined ? node.epilogue.stages : [{ kind: 'unary', fn: own }, ...node.epilogue.stages]
  const options = { dtype, backend: kernels.backend ?? 'auto', threads: kernels.threads ?? 1 }
  const wantsDx = !graph.inputs.includes(node.inputs[0] as number)
  const useBias = spec.useBias
  const first = compileConvNd(g, options)
  const firstVjp = compileConvNdVjp(g, options)
  if (pointwiseE !== undefined) {
    const g2 = pointwiseE.right
    const second = compileConvNd(g2, options)
    const secondVjp = compileConvNdVjp(g2, options)
    return E.right(
      withStages(
        (inputs, weights, batch, _mode, buf) => {
          const x = inputs[0] as FloatArray
          const z = buf.float('depthwise', batch * g.outputSize)
          first.run(batch, x, weights[0] as FloatArray, undefined, z)
          const y = buf.float('out', batch * g2.outputSize)
          second.run(batch, z, weights[1] as FloatArray, useBias ? weights[2] : undefined, y)
          return {
            output: y,
            backward: (dy) => {
              const p = secondVjp.run(batch, z, weights[1] as FloatArray, dy, true, useBias)
              const d = firstVjp.run(batch, x, weights[0] as FloatArray, p.dx as FloatArray, wantsDx, false)
              return { inputs: [d.dx], weights: useBias ? [d.dw, p.dw, p.db] : [d.dw, p.dw] }
            }
          }
        },
        stages,
        lastAxis
      )
    )
  }
  const single: NodeOp = withStages(
    (inputs, weights, batch, _mode, buf) => {
      const x = inputs[0] as FloatArray
      const y = buf.float('out', batch * g.outputSize)
      first.run(batch, x, weights[0] as FloatArray, useBias ? weights[1] : undefined, y)
      return {
        output: y,
        backward: (dy) => {
          const r = firstVjp.run(batch, x, weights[0] as FloatArray, dy, wantsDx, useBias)
          return { inputs: [r.dx], weights: useBias ? [r.dw, r.db] : [r.dw] }
        }
      }
    },
    stages,
    lastAxis
  )
  return E.right(spec.kind === 'conv' && spec.loraRank !== null ? withLora(single, { rank: spec.loraRank, alpha: spec.loraAlpha ?? spec.loraRank }, useBias ? 2 : 1, dtype) : single)
}
