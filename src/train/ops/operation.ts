/** The training op of a Keras 3 operation node (src/train/vjp/ops.ts has its gradients). */
import * as E from 'fp-ts/lib/Either.js'
import type { Node } from '../../compiler/Graph.js'
import type { OperationSpec } from '../../ops/OperationSpec.js'
import { bindOperands } from '../../ops/OpKind.js'
import { findOpKind } from '../../ops/registry.js'
import { opVjp } from '../vjp/ops.js'
import type { FloatArray, FloatDType } from '../../numerics/FloatArray.js'
import { type Result, type NodeOp, withStages } from '../NodeOp.js'

/**
 * A Keras 3 operation node (`keras.src.ops.*`): the forward on the operation's own kernel, the backward
 * from src/train/vjp/ops.ts (TensorFlow's gradient conventions); an operation without one is refused.
 */
export const operationOp = (node: Node, inShapes: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType, fail: (message: string) => Result<NodeOp>, lastAxis: number): Result<NodeOp> => {
  const spec = node.spec as OperationSpec
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined || node.operands === undefined) return fail('no such operation')
  const bound = bindOperands(kind, node.operands, inShapes, node.path)
  if (E.isLeft(bound)) return bound
  const forward = kind.compile(spec.args, bound.right, { dtype })
  if (E.isLeft(forward)) return forward
  const probe = kind.compile(spec.args, bound.right, { dtype: 'float64' })
  if (E.isLeft(probe)) return probe
  const back = opVjp(spec.className, spec.args as Readonly<Record<string, unknown>>, bound.right, probe.right, node.inputs.length)
  if (E.isLeft(back)) return fail(`training through this operation is not supported: ${back.left}`)
  return E.right(
    withStages(
      (inputs, _w, batch) => {
        const y = forward.right.run(inputs.map((data, i) => ({ shape: [batch, ...(inShapes[i] as ReadonlyArray<number>)], data }))).data as FloatArray
        return { output: y, backward: (dy) => ({ inputs: back.right(inputs, y, dy, batch), weights: [] }) }
      },
      node.epilogue.stages,
      lastAxis
    )
  )
}
