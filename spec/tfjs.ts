/**
 * TensorFlow.js (the real Keras port: @tensorflow/tfjs-layers on @tensorflow/tfjs-backend-cpu) for
 * side-by-side tests. Loading it prints a banner recommending tfjs-node; that one message is dropped.
 */
import './quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'

await tf.setBackend('cpu')
await tf.ready()

export { tf, tfl }

/** Activations tfjs-layers loads from Keras JSON with Keras's meaning (reference §9.12). */
export const TFJS_ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh', 'softplus', 'softsign', 'softmax', 'log_softmax', 'silu', 'gelu', 'mish'
])

/**
 * Where tfjs-layers differs from Keras, the spec is moved onto the surface both share, and each move
 * is one of these documented divergences (never a copy of tfjs's behaviour into layerspec):
 * - activations tfjs lacks (exponential, leaky_relu, hard_silu, celu, …) → `linear`;
 *   `hard_sigmoid` only for keras2 (tfjs uses TF2's 0.2x+0.5);
 * - `LecunNormal` / `LecunUniform` (tfjs calls them `LeCun…`), `Orthogonal` on a rank-4 kernel (tfjs
 *   crashes: "rMat.flatten is not a function"), `Identity`, VarianceScaling `untruncated_normal`
 *   (tfjs rejects it) → glorot_uniform;
 * - activity regularizers (tfjs throws NotImplementedError when the layer runs) → none;
 * - `groups` (tfjs ignores the key) → 1.
 */
export const onTfjsSurface = (spec: Conv2DSpec): Conv2DSpec => {
  const glorot = { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } as const
  const init = (i: Conv2DSpec['kernelInitializer']): Conv2DSpec['kernelInitializer'] =>
    i.kind === 'orthogonal' ||
    i.kind === 'identity' ||
    (i.kind === 'variance_scaling' && (i.distribution === 'untruncated_normal' || (i.mode === 'fan_in' && i.scale === 1)))
      ? glorot
      : i
  const activation =
    TFJS_ACTIVATIONS.has(spec.activation) && !(spec.activation === 'hard_sigmoid' && spec.dialect === 'keras3') ? spec.activation : 'linear'
  return {
    ...spec,
    activation,
    kernelInitializer: init(spec.kernelInitializer),
    biasInitializer: init(spec.biasInitializer),
    activityRegularizer: null,
    groups: 1 as Conv2DSpec['groups'],
    filters: spec.filters
  }
}
