/**
 * Operation nodes as Keras 3 writes them, both ways: the entry
 * `{"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}, "registered_name": "Add", …}`
 * ⇄ {@link OperationSpec}, and its node `{"args": [<__keras_tensor__>, 3.0], "kwargs": {}}` ⇄ a
 * {@link NodeCall} with {@link Operands}. Constants are read as Keras serializes them: JSON numbers and
 * booleans (Python int, float, bool), `null` (None), lists (Python lists and tuples), and arrays
 * (`{"class_name": "__numpy__" | "__tensor__", "config": {"value": nested lists, "dtype": …}}`).
 * Walks of a node's arguments are bounded (depth, and one pass per level) and iterative where they
 * follow the data's size.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { deepFreeze } from '../core/deepFreeze.js'
import { describe, isPlainObject, oneOf, quoteText } from '../core/describe.js'
import { suggestion } from '../core/didYouMean.js'
import { kerasObject, optional } from '../core/KerasObject.js'
import { nameSet, ownValue } from '../core/NameTable.js'
import { concatPaths, formatPath, fromValidationErrors, specError, type SpecError } from '../core/SpecError.js'
import type { Dialect } from '../codec/Dialect.js'
import { LayerName } from '../layers/base.js'
import type { ArrayConstant, CallArg, NodeCall, Operands, TensorRef } from '../model/ModelSpec.js'
import { bindOperands, type OpKind } from './OpKind.js'
import type { OperationSpec } from './OperationSpec.js'
import { findOpKind, OP_MODULES, opClassesOf } from './registry.js'

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

// -------------------------------------------------------------------------------------
// entries
// -------------------------------------------------------------------------------------

/**
 * The codec of an operation's `config`: `name`, then the kind's fields in Keras's order.
 * @category codecs
 */
export const opConfigCodec = (kind: OpKind): ReturnType<typeof makeConfigCodec> => {
  const cached = CONFIG_CODECS.get(kind)
  if (cached !== undefined) return cached
  const codec = makeConfigCodec(kind)
  CONFIG_CODECS.set(kind, codec)
  return codec
}

const makeConfigCodec = (kind: OpKind) => kerasObject(kind.className, { name: optional(LayerName, null), ...kind.fields }, { rules: kind.rules ?? [] })

/** One codec per kind, built on first use (the kinds are constants). */
const CONFIG_CODECS = new Map<OpKind, ReturnType<typeof makeConfigCodec>>()

/**
 * Decodes an operation entry (its `module` is an operation module) at `path`, the `index`-th of its
 * model. An operation layerspec does not run is an error naming it, at `class_name`.
 * @category decode
 */
export const decodeOperationEntry = (entry: Readonly<Record<string, unknown>>, path: string, index: number, dialect: Dialect): Result<OperationSpec> => {
  const module = ownValue(entry, 'module')
  const cls = ownValue(entry, 'class_name')
  const config = ownValue(entry, 'config')
  const name = isPlainObject(config) && typeof ownValue(config, 'name') === 'string' ? (ownValue(config, 'name') as string) : typeof ownValue(entry, 'name') === 'string' ? (ownValue(entry, 'name') as string) : `#${index}`
  const kind = findOpKind(module, cls)
  if (kind === undefined || typeof module !== 'string' || typeof cls !== 'string') {
    const what = `layer ${index} ${quoteText(name)} is the operation ${typeof cls === 'string' ? quoteText(cls) : describe(cls)} of ${typeof module === 'string' ? quoteText(module) : describe(module)}`
    const known = opClassesOf(module)
    const why =
      known === undefined
        ? `, a module of which layerspec runs no operation (it runs operations of ${oneOf(OP_MODULES)})`
        : `, which layerspec does not run${typeof cls === 'string' ? suggestion(cls, known) : ''}; of this module it runs ${oneOf(known.slice(0, 16))}${known.length > 16 ? ` and ${known.length - 16} more` : ''}`
    return E.left([specError(concatPaths(path, 'class_name'), what + why)])
  }
  const configPath = concatPaths(path, 'config')
  if (!isPlainObject(config)) return E.left([specError(configPath, `expected the operation's config to be a JSON object, found ${describe(config)}`)])
  const r = opConfigCodec(kind).validate(config, [{ key: '', type: t.unknown, actual: config }])
  if (E.isLeft(r)) return E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths(configPath, e.path), message: e.message })))
  const { name: opName, ...args } = r.right as { readonly name: string | null } & Record<string, unknown>
  return E.right(
    deepFreeze<OperationSpec>({
      kind: 'operation',
      module: kind.module,
      className: kind.className,
      dialect,
      name: opName,
      trainable: true,
      dtype: 'float32',
      inputShape: null,
      batchSize: null,
      args
    })
  )
}

/**
 * The `config` of an operation entry, as Keras writes it.
 * @category encode
 */
export const encodeOperationConfig = (spec: OperationSpec): Record<string, unknown> => {
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined) throw new TypeError(`encodeModel: no operation ${spec.module}.${spec.className}`)
  return opConfigCodec(kind).encode({ name: spec.name, ...spec.args } as never)
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/** How deeply lists of arguments may nest in a node (Keras writes two levels for concatenate). */
export const MAX_ARG_DEPTH = 32

/** The dtypes of array constants layerspec reads. */
const ARRAY_DTYPES = nameSet(['float16', 'bfloat16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'])

/**
 * The shape and flat values of nested lists (row-major), or why they are not a rectangular array of
 * numbers (booleans for `bool`). One pass per level; at most {@link MAX_ARG_DEPTH} levels.
 */
const readArray = (value: unknown, bool: boolean): { readonly shape: number[]; readonly values: number[] } | string => {
  const shape: number[] = []
  let level: ReadonlyArray<unknown> = [value]
  while (level.length > 0 && Array.isArray(level[0])) {
    if (shape.length >= MAX_ARG_DEPTH) return `it nests more than ${MAX_ARG_DEPTH} levels deep`
    const n = (level[0] as ReadonlyArray<unknown>).length
    const next: unknown[] = []
    for (const item of level) {
      if (!Array.isArray(item) || item.length !== n) return `it is not rectangular: at depth ${shape.length}, found ${describe(item)} beside a list of ${n} items`
      for (const x of item) next.push(x)
    }
    shape.push(n)
    level = next
  }
  const values: number[] = []
  for (const x of level) {
    if (Array.isArray(x)) return `it is not rectangular: found ${describe(x)} among values at depth ${shape.length}`
    if (bool ? typeof x !== 'boolean' : typeof x !== 'number') return `expected ${bool ? 'booleans' : 'numbers'} as its values, found ${describe(x)}`
    values.push(typeof x === 'boolean' ? (x ? 1 : 0) : (x as number))
  }
  return { shape, values }
}

/** Nested lists of an array's values, as Keras writes `value` (booleans for `bool`). Depth: the rank. */
const nested = (shape: ReadonlyArray<number>, values: ReadonlyArray<number>, bool: boolean): unknown => {
  let pos = 0
  const build = (axis: number): unknown => {
    if (axis === shape.length) {
      const v = values[pos++] as number
      return bool ? v !== 0 : v
    }
    return Array.from({ length: shape[axis] as number }, () => build(axis + 1))
  }
  return build(0)
}

// -------------------------------------------------------------------------------------
// nodes
// -------------------------------------------------------------------------------------

const isKerasTensor = (u: unknown): boolean => isPlainObject(u) && ownValue(u, 'class_name') === '__keras_tensor__'

/**
 * Reads one argument of an operation node at `path`, collecting tensor references into `refs`
 * (`readRef` reads a `__keras_tensor__`). Lists nest at most {@link MAX_ARG_DEPTH} levels.
 */
const readArg = (u: unknown, path: string, depth: number, refs: TensorRef[], readRef: (u: unknown, path: string) => Result<TensorRef>, errors: SpecError[]): CallArg | undefined => {
  if (u === null || typeof u === 'number' || typeof u === 'boolean') return { kind: 'scalar', value: u }
  if (Array.isArray(u)) {
    if (depth >= MAX_ARG_DEPTH) {
      errors.push(specError(path, `expected an argument nested at most ${MAX_ARG_DEPTH} lists deep (Keras writes one or two levels), found deeper lists`))
      return undefined
    }
    const items: CallArg[] = []
    let ok = true
    ;(u as ReadonlyArray<unknown>).forEach((x, i) => {
      const a = readArg(x, concatPaths(path, `[${i}]`), depth + 1, refs, readRef, errors)
      if (a === undefined) ok = false
      else items.push(a)
    })
    return ok ? { kind: 'list', items } : undefined
  }
  if (isKerasTensor(u)) {
    const r = readRef(u, path)
    if (E.isLeft(r)) {
      errors.push(...r.left)
      return undefined
    }
    refs.push(r.right)
    return { kind: 'tensor', index: refs.length - 1 }
  }
  if (isPlainObject(u) && (ownValue(u, 'class_name') === '__numpy__' || ownValue(u, 'class_name') === '__tensor__')) {
    const wrapper = ownValue(u, 'class_name') as ArrayConstant['wrapper']
    const extra = Object.keys(u).filter((k) => k !== 'class_name' && k !== 'config')
    if (extra.length > 0) {
      errors.push(specError(concatPaths(path, formatPath([extra[0] as string])), `unknown key ${quoteText(extra[0] as string)} in a ${wrapper} constant; expected "class_name" and "config"`))
      return undefined
    }
    const config = ownValue(u, 'config')
    if (!isPlainObject(config)) {
      errors.push(specError(concatPaths(path, 'config'), `expected the ${wrapper} constant's config {"value", "dtype"}, found ${describe(config)}`))
      return undefined
    }
    const unknown = Object.keys(config).filter((k) => k !== 'value' && k !== 'dtype')
    if (unknown.length > 0) {
      errors.push(specError(concatPaths(path, concatPaths('config', formatPath([unknown[0] as string]))), `unknown key ${quoteText(unknown[0] as string)} in a ${wrapper} constant's config; expected "value" and "dtype"`))
      return undefined
    }
    const dtype = ownValue(config, 'dtype')
    if (!ARRAY_DTYPES.has(dtype)) {
      errors.push(specError(concatPaths(path, 'config.dtype'), `expected the dtype of a ${wrapper} constant to be ${oneOf(ARRAY_DTYPES.names)}, found ${describe(dtype)}`))
      return undefined
    }
    const value = ownValue(config, 'value')
    const arr = readArray(value, dtype === 'bool')
    if (typeof arr === 'string') {
      errors.push(specError(concatPaths(path, 'config.value'), `expected the value of a ${wrapper} constant to be a number or a rectangular array of ${dtype === 'bool' ? 'booleans' : 'numbers'}, but ${arr}`))
      return undefined
    }
    return { kind: 'array', wrapper, dtype, shape: arr.shape, values: arr.values }
  }
  errors.push(
    specError(
      path,
      `expected an argument of an operation: a tensor ({"class_name": "__keras_tensor__", …}), a number, a boolean, null, a list, or an array ({"class_name": "__numpy__", …}); found ${describe(u)}`
    )
  )
  return undefined
}

/**
 * Reads an operation node `{"args": [...], "kwargs": {...}}` at `path` for `kind`: every argument,
 * then their binding to the operation's parameters (so `validate` reports a bad constant, a missing or
 * unknown argument, a list where a tensor goes, …). `readRef` reads a `__keras_tensor__`.
 * @category decode
 */
export const readOperationNode = (u: unknown, path: string, kind: OpKind, readRef: (u: unknown, path: string) => Result<TensorRef>): Result<NodeCall> => {
  if (!isPlainObject(u)) {
    return E.left([specError(path, `expected an operation node {"args": [...], "kwargs": {...}} (Keras 3's form), found ${describe(u)}`)])
  }
  const errors: SpecError[] = []
  const extra = Object.keys(u).filter((k) => k !== 'args' && k !== 'kwargs')
  for (const k of extra) errors.push(specError(concatPaths(path, formatPath([k])), `unknown key ${quoteText(k)} in an operation node; expected "args" and "kwargs"`))
  const args = ownValue(u, 'args') ?? []
  const kwargs = ownValue(u, 'kwargs') ?? {}
  if (!Array.isArray(args)) errors.push(specError(concatPaths(path, 'args'), `expected the node's args to be a list, found ${describe(args)}`))
  if (!isPlainObject(kwargs)) errors.push(specError(concatPaths(path, 'kwargs'), `expected the node's kwargs to be an object, found ${describe(kwargs)}`))
  if (errors.length > 0) return E.left(errors)
  const refs: TensorRef[] = []
  const positional: CallArg[] = []
  ;(args as ReadonlyArray<unknown>).forEach((a, i) => {
    const r = readArg(a, concatPaths(path, `args[${i}]`), 0, refs, readRef, errors)
    if (r !== undefined) positional.push(r)
  })
  const keywords: Array<readonly [string, CallArg]> = []
  for (const key of Object.keys(kwargs as object)) {
    const r = readArg(ownValue(kwargs as Readonly<Record<string, unknown>>, key), concatPaths(path, formatPath(['kwargs', key])), 0, refs, readRef, errors)
    if (r !== undefined) keywords.push([key, r])
  }
  if (errors.length > 0) return E.left(errors)
  const operands: Operands = { args: positional, kwargs: keywords }
  const bound = bindOperands(
    kind,
    operands,
    refs.map(() => true),
    path
  )
  if (E.isLeft(bound)) return bound
  return E.right({ args: refs, asList: false, kwargs: {}, operands })
}

/** Sets an own key (never the prototype, whatever the key: `__proto__` is a key like any other). */
const setOwn = (o: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * The JSON of a node argument (`tensor` writes a tensor reference with `tensorJson`).
 * @category encode
 */
export const encodeArg = (arg: CallArg, tensorJson: (index: number) => unknown): unknown => {
  switch (arg.kind) {
    case 'tensor':
      return tensorJson(arg.index)
    case 'scalar':
      return arg.value
    case 'list':
      return arg.items.map((a) => encodeArg(a, tensorJson))
    case 'array':
      return { class_name: arg.wrapper, config: { value: nested(arg.shape, arg.values, arg.dtype === 'bool'), dtype: arg.dtype } }
  }
}

/**
 * The JSON of an operation node: `{"args": [...], "kwargs": {...}}`.
 * @category encode
 */
export const encodeOperationNode = (operands: Operands, tensorJson: (index: number) => unknown): Record<string, unknown> => {
  const kwargs: Record<string, unknown> = {}
  for (const [key, arg] of operands.kwargs) setOwn(kwargs, key, encodeArg(arg, tensorJson))
  return { args: operands.args.map((a) => encodeArg(a, tensorJson)), kwargs }
}

