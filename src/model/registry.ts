/**
 * The registry of layer kinds layerspec reads and runs, and of the Keras classes it knows but cannot run.
 */
import { CONV_KINDS } from '../conv/ConvFamilyKind.js'
import { DenseKind } from '../layers/Dense.js'
import { ELEMENTWISE_KINDS } from '../layers/elementwise.js'
import { FlattenKind } from '../layers/Flatten.js'
import type { LayerKind } from '../layers/LayerKind.js'
import { nameTable, type NameTable } from '../core/NameTable.js'
import { SPATIAL_KINDS } from '../layers/spatial.js'

/**
 * Every layer kind, by canonical class name.
 * @category registry
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const LAYER_KINDS: ReadonlyArray<LayerKind<any>> = [...CONV_KINDS, DenseKind, FlattenKind, ...SPATIAL_KINDS, ...ELEMENTWISE_KINDS]

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const BY_NAME: NameTable<LayerKind<any>> = nameTable(LAYER_KINDS.flatMap((k) => [[k.className, k] as const, ...k.aliases.map((a) => [a, k] as const)]))

/**
 * The layer kind for a Keras class name (or alias), if layerspec runs it.
 * @category registry
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const findLayerKind = (className: string): LayerKind<any> | undefined => BY_NAME.get(className)

/**
 * Keras classes layerspec recognizes but cannot run, and why (a {@link NameTable}: `UNRUNNABLE.get(cls)`).
 * @category registry
 */
export const UNRUNNABLE: NameTable<string> = nameTable({
  Lambda: 'a Lambda layer holds marshaled Python bytecode, which cannot be run (or trusted) outside Python',
  LSTM: 'recurrent layers are not supported',
  GRU: 'recurrent layers are not supported',
  SimpleRNN: 'recurrent layers are not supported',
  Embedding: 'Embedding is not supported',
  LayerNormalization: 'LayerNormalization is not supported yet',
  TFOpLambda: 'a TFOpLambda layer wraps a raw TensorFlow op, which cannot be run outside TensorFlow',
  SlicingOpLambda: 'a SlicingOpLambda layer wraps a raw TensorFlow op, which cannot be run outside TensorFlow'
})
