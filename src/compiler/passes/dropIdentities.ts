/**
 * `drop-identities`: the layers that are the identity at inference — Dropout, SpatialDropout2D, the
 * Random* augmentation layers (node kind `identity`) and `Activation('linear')` — are removed; every
 * use of the output (node inputs, epilogue operands, model outputs) reads the input instead. No
 * arithmetic changes: bit-identical. A model output that was such a layer's output becomes its input
 * value; the executor copies every output out on its own, so an output that is now also a model
 * input, or two outputs that are now one value, still come back as separate fresh arrays
 * (../shared/docs/model-compiler-notes.md §6.1 (2), ORT `EliminateDropout`).
 */
import type { Activation } from '../../codec/Activation.js'
import { replaceValue, type Node } from '../Graph.js'
import type { Pass } from './Pass.js'
import { toFixedPoint, valueName } from './util.js'

/** Whether a node computes its input unchanged at inference. */
export const isInferenceIdentity = (n: Node): boolean =>
  n.inputs.length === 1 &&
  n.epilogue.stages.length === 0 &&
  (n.kind === 'identity' || (n.kind === 'unary' && n.spec.className === 'Activation' && (n.spec as { readonly activation?: Activation }).activation === 'linear'))

/**
 * The pass.
 * @category passes
 */
export const dropIdentities: Pass = {
  name: 'drop-identities',
  description: 'removes Dropout, SpatialDropout2D, the Random* layers and Activation("linear") (the identity at inference); their uses read their input',
  run: (graph) =>
    toFixedPoint(graph, (scan, n) => {
      if (!isInferenceIdentity(n)) return undefined
      const input = n.inputs[0] as number
      return {
        graph: replaceValue(scan.graph, n.output, input, new Set([n.id])),
        rewrite: { pass: 'drop-identities', node: n.name, detail: `${n.spec.className} removed: its uses read ${valueName(scan, input)}` }
      }
    })
}
