/**
 * The registry of operations layerspec reads and runs, by module and class name (`NameTable`s: a
 * prototype name is an unknown name like any other), and the rule that tells an operation entry from
 * a layer entry: its `module`.
 */
import { nameTable, type NameTable } from '../core/NameTable.js'
import { ACTIVATION_KINDS, SOFTMAX_KINDS } from './activations.js'
import { ELEMENTWISE_OPS } from './elementwise.js'
import { LAYOUT_KINDS } from './layout.js'
import { MatmulKind } from './matmul.js'
import type { OpKind } from './OpKind.js'
import type { OpModule } from './OperationSpec.js'
import { REDUCTION_KINDS } from './reductions.js'

/**
 * Every operation kind layerspec runs.
 * @category registry
 */
export const OP_KINDS: ReadonlyArray<OpKind> = [...ELEMENTWISE_OPS, ...ACTIVATION_KINDS, ...SOFTMAX_KINDS, ...REDUCTION_KINDS, ...LAYOUT_KINDS, MatmulKind]

/**
 * The modules of operation classes: Keras 3 writes `keras.src.ops.<module>` for `keras.ops` calls and
 * `keras.src.activations.activations` for the two activation functions that are operations of their own.
 * @category registry
 */
export const OP_MODULES: ReadonlyArray<OpModule> = ['keras.src.ops.numpy', 'keras.src.ops.nn', 'keras.src.ops.core', 'keras.src.ops.math', 'keras.src.activations.activations']

const BY_MODULE: NameTable<NameTable<OpKind>> = nameTable(OP_MODULES.map((m) => [m, nameTable(OP_KINDS.filter((k) => k.module === m).map((k) => [k.className, k] as const))] as const))

/**
 * True when a layer entry's `module` makes it an operation node: `keras.src.ops.*` or
 * `keras.src.activations.activations` (whatever its class name: an operation is never read as a layer).
 * @category registry
 */
export const isOperationModule = (module: unknown): module is string =>
  typeof module === 'string' && (module.startsWith('keras.src.ops.') || module === 'keras.src.activations.activations')

/**
 * The kind of an operation by module and class name, if layerspec runs it.
 * @category registry
 */
export const findOpKind = (module: unknown, className: unknown): OpKind | undefined => BY_MODULE.get(module)?.get(className)

/**
 * The class names layerspec runs in an operation module, or `undefined` for a module it knows no operation of.
 * @category registry
 */
export const opClassesOf = (module: unknown): ReadonlyArray<string> | undefined => BY_MODULE.get(module)?.names
