/**
 * `OpKind`: everything layerspec knows about one Keras operation class, as a record of pure functions —
 * the fields of its config (the constructor arguments Keras saves), the parameters of its call (which
 * take a tensor, a constant, or a list of tensors), Keras's shape inference and a compiler to a pure
 * kernel. Also the binding of a node's arguments to those parameters, shared by the decoder (which
 * reports every problem of a node) and by inference and compilation (which read the bound values).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Fields, Rule } from '../core/KerasObject.js'
import { concatPaths, formatPath, specError, type SpecError } from '../core/SpecError.js'
import { describe, quoteText } from '../core/describe.js'
import type { Tensor } from '../core/Tensor.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import type { CallArg, Operands } from '../model/ModelSpec.js'
import type { OpModule } from './OperationSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a call parameter takes: `operand` a tensor or a constant (a number, a boolean, an array),
 * broadcast as NumPy does; `tensor` a tensor only; `tensors` a list of one or more tensors
 * (`ops.concatenate([a, b])`).
 * @category model
 */
export type ParamRole = 'operand' | 'tensor' | 'tensors'

/**
 * A parameter of an operation's `call` (Keras's Python signature: `Add.call(self, x1, x2)`).
 * @category model
 */
export interface Param {
  readonly name: string
  readonly role: ParamRole
}

/**
 * A constant operand: its shape and values (row-major, booleans as 0 / 1), and for an array its dtype
 * (`null` for a Python scalar, which takes the tensors' dtype, as Keras's weak types do).
 * @category model
 */
export interface ConstantValue {
  readonly shape: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
  readonly dtype: string | null
}

/**
 * A node argument bound to a parameter, with its path relative to the graph entry
 * (`inbound_nodes[0].args[1]`). `S` is the shape type: symbolic at inference, known at compilation.
 * @category model
 */
export type Bound<S> =
  | { readonly kind: 'tensor'; readonly index: number; readonly shape: S; readonly path: string }
  | { readonly kind: 'constant'; readonly constant: ConstantValue; readonly path: string }
  | { readonly kind: 'tensors'; readonly items: ReadonlyArray<{ readonly index: number; readonly shape: S; readonly path: string }>; readonly path: string }

/**
 * A compiled operation call: the per-sample output shape and the kernel, which takes the call's tensors
 * (in `NodeCall.args` order, batch axis first) and returns a new tensor.
 * @category model
 */
export interface OpKernel {
  readonly outputShape: ReadonlyArray<number>
  readonly run: (xs: ReadonlyArray<Tensor>) => Tensor
}

/** What every op compiler receives. */
export interface OpCompileOptions {
  readonly dtype: FloatDType
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/**
 * A Keras operation class. Error paths of `infer` and `compile` are relative to the graph entry:
 * `config.axis` for a constructor argument, a bound operand's `path` for an argument of the call, `''`
 * for the call as a whole.
 * @category model
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface OpKind<A extends object = any> {
  readonly module: OpModule
  readonly className: string
  /** The parameters of `call`, in order. */
  readonly params: ReadonlyArray<Param>
  /** The config's fields besides `name`, in Keras's order (its constructor's signature). */
  readonly fields: Fields
  /** Rules between config fields. */
  readonly rules?: ReadonlyArray<Rule<A>>
  /** Keras's `compute_output_spec`, restricted to what keeps the batch axis first. */
  readonly infer: (args: A, operands: ReadonlyArray<Bound<SymbolicShape>>) => Result<SymbolicShape>
  /** Compiles for known per-sample shapes (no batch axis in the tensors' `shape`s here: see {@link Bound}). */
  readonly compile: (args: A, operands: ReadonlyArray<Bound<ReadonlyArray<number>>>, options: OpCompileOptions) => Result<OpKernel>
}

// -------------------------------------------------------------------------------------
// binding
// -------------------------------------------------------------------------------------

/** The argument at a path of a node, with the path. */
interface Located {
  readonly arg: CallArg
  readonly path: string
}

/**
 * The value of a constant argument for an `operand` parameter, or why it is not one: a number or a
 * boolean (Python's int, float, bool), or an array of numbers or booleans.
 * @category binding
 */
export const constantOf = (arg: CallArg): ConstantValue | string => {
  switch (arg.kind) {
    case 'scalar':
      if (typeof arg.value === 'number') return { shape: [], values: [arg.value], dtype: null }
      if (typeof arg.value === 'boolean') return { shape: [], values: [arg.value ? 1 : 0], dtype: null }
      return 'None (null) is not a tensor or a number'
    case 'array':
      return { shape: arg.shape, values: arg.values, dtype: arg.dtype }
    case 'list':
      return 'a list is not a tensor or a number (Keras refuses a Python list here: wrap it in an array)'
    case 'tensor':
      return 'a tensor is not a constant'
  }
}

/**
 * Binds a node's arguments to an operation's parameters as Python does (positional in order, then
 * keywords by name), checking each against its role. `shapes[i]` is the shape of tensor `i` of the
 * node (`NodeCall.args[i]`); `at` is the node's path (`inbound_nodes[0]`). Reports every problem.
 * @category binding
 */
export const bindOperands = <S>(kind: Pick<OpKind, 'className' | 'params'>, operands: Operands, shapes: ReadonlyArray<S>, at: string): Result<ReadonlyArray<Bound<S>>> => {
  const errors: SpecError[] = []
  const what = `${kind.className}(${kind.params.map((p) => p.name).join(', ')})`
  const slots: Array<Located | undefined> = kind.params.map(() => undefined)
  operands.args.forEach((arg, i) => {
    if (i < slots.length) slots[i] = { arg, path: concatPaths(at, `args[${i}]`) }
    else errors.push(specError(concatPaths(at, `args[${i}]`), `${what} takes ${kind.params.length} argument(s), found ${operands.args.length} positional ones`))
  })
  for (const [name, arg] of operands.kwargs) {
    const p = kind.params.findIndex((q) => q.name === name)
    const path = concatPaths(at, formatPath(['kwargs', name]))
    if (p < 0) errors.push(specError(path, `${what} has no argument ${quoteText(name)}`))
    else if (slots[p] !== undefined) errors.push(specError(path, `${what} got argument ${quoteText(name)} twice (positionally and by keyword)`))
    else slots[p] = { arg, path }
  }
  const bound: Array<Bound<S>> = []
  kind.params.forEach((param, i) => {
    const slot = slots[i]
    if (slot === undefined) {
      errors.push(specError(concatPaths(at, 'args'), `${what} is missing its argument ${quoteText(param.name)}`))
      return
    }
    const { arg, path } = slot
    const tensorAt = (a: CallArg): S | undefined => (a.kind === 'tensor' ? shapes[a.index] : undefined)
    switch (param.role) {
      case 'tensor':
      case 'operand': {
        if (arg.kind === 'tensor') {
          const shape = tensorAt(arg)
          if (shape === undefined) errors.push(specError(path, `${what}: tensor ${arg.index} of the node has no shape`))
          else bound.push({ kind: 'tensor', index: arg.index, shape, path })
          return
        }
        if (param.role === 'tensor') {
          errors.push(specError(path, `expected a tensor as argument ${quoteText(param.name)} of ${what}, found ${describeArg(arg)}`))
          return
        }
        const c = constantOf(arg)
        if (typeof c === 'string') errors.push(specError(path, `expected a tensor or a number as argument ${quoteText(param.name)} of ${what}, found ${describeArg(arg)}: ${c}`))
        else bound.push({ kind: 'constant', constant: c, path })
        return
      }
      case 'tensors': {
        if (arg.kind !== 'list' || arg.items.length === 0) {
          errors.push(specError(path, `expected a non-empty list of tensors as argument ${quoteText(param.name)} of ${what}, found ${describeArg(arg)}`))
          return
        }
        const items: Array<{ readonly index: number; readonly shape: S; readonly path: string }> = []
        arg.items.forEach((item, k) => {
          const p = concatPaths(path, `[${k}]`)
          const shape = tensorAt(item)
          if (item.kind !== 'tensor' || shape === undefined) {
            errors.push(specError(p, `expected a tensor in the list ${quoteText(param.name)} of ${what}, found ${describeArg(item)} (layerspec joins tensors only: a constant has no batch axis)`))
          } else items.push({ index: (item as { readonly index: number }).index, shape, path: p })
        })
        bound.push({ kind: 'tensors', items, path })
        return
      }
    }
  })
  if (errors.length === 0 && !bound.some((b) => b.kind !== 'constant')) {
    errors.push(specError(concatPaths(at, 'args'), `${what} is called on constants only: an operation node must read at least one tensor`))
  }
  return errors.length > 0 ? E.left(errors) : E.right(bound)
}

/**
 * A node argument for a message: `a tensor`, `the number 3`, `a list of 2 items`, `an array of shape [2, 3]`.
 * @category binding
 */
export const describeArg = (arg: CallArg): string => {
  switch (arg.kind) {
    case 'tensor':
      return 'a tensor'
    case 'scalar':
      return describe(arg.value)
    case 'list':
      return `a list of ${arg.items.length} item${arg.items.length === 1 ? '' : 's'}`
    case 'array':
      return `a ${arg.dtype} array of shape [${arg.shape.join(', ')}]`
  }
}

/**
 * The per-sample shape of a tensor operand (its shape without the batch axis).
 * @category binding
 */
export const perSampleShape = (shape: ReadonlyArray<number>): ReadonlyArray<number> => shape.slice(1)
