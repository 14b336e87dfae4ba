/**
 * `OperationSpec`: one operation node of a Keras 3 functional graph — what Keras writes for tensor
 * arithmetic and `keras.ops.*` calls on symbolic tensors (`x + 3.0`, `keras.ops.mean(x, axis=[1, 2])`):
 * an entry `{"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}, …}`
 * whose inbound node holds tensors and constants. It sits in a graph like a layer (a name, calls,
 * output tensors), but it is never a layer: its class is looked up in the operation registry of its
 * module (src/ops/registry.ts), never in the layer registry, whatever its class name.
 */
import type { BaseLayerSpec } from '../layers/base.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The Python modules whose classes layerspec reads as operations.
 * @category model
 */
export type OpModule = 'keras.src.ops.numpy' | 'keras.src.ops.nn' | 'keras.src.ops.core' | 'keras.src.ops.math' | 'keras.src.activations.activations'

/**
 * An operation node's spec. The bookkeeping fields every graph entry has are fixed: an operation has no
 * weights, no `trainable` flag and no dtype policy of its own (it computes in its inputs' dtype), so
 * `trainable` is `true`, `dtype` `'float32'` (never read for an operation), `inputShape` and
 * `batchSize` `null`.
 * @category model
 */
export interface OperationSpec<A extends object = Readonly<Record<string, unknown>>> extends BaseLayerSpec {
  /** The discriminant: an operation, not a layer. */
  readonly kind: 'operation'
  /** The module Keras wrote (`keras.src.ops.numpy`); with `className`, names the operation. */
  readonly module: OpModule
  /** Keras's class name (`Add`, `Mean`, `Relu6`): what `summary` prints. */
  readonly className: string
  /**
   * The constructor arguments (the entry's `config` without `name`), validated, in the form Keras
   * wrote them (`axis: -1` stays `-1`, `axis: [1, 2]` a list), so that encoding writes the same JSON.
   */
  readonly args: A
}

/**
 * `module.ClassName`, how messages name an operation (`keras.src.ops.numpy.Add`).
 * @category utils
 */
export const qualifiedName = (spec: Pick<OperationSpec, 'module' | 'className'>): string => `${spec.module}.${spec.className}`
