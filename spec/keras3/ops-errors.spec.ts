/**
 * Operation nodes that layerspec refuses, each with one clear message at the path of what is wrong:
 * operations it does not run (named with their module, the rest of the file still checked), entries
 * whose class looks like a layer or an operation of the other kind, bad constants, arguments that do
 * not bind, bad constructor arguments, and shapes that do not broadcast or would move the batch axis.
 * Also the builder's `ops`, and the CLI's `validate` and `summary` on operation nodes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { SpecError } from '../../src/core/SpecError.js'
import { functional, input, layers, apply, ops, operation } from '../../src/model/builder.js'
import { compileModel } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { inferModel } from '../../src/model/infer.js'
import { isOperation, type FunctionalSpec } from '../../src/model/ModelSpec.js'
import { left, right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// Keras 3 JSON, by hand
// -------------------------------------------------------------------------------------

const NUMPY = 'keras.src.ops.numpy'
const kt = (name: string, shape: ReadonlyArray<number | null>, node = 0) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, node, 0] } })
const inputEntry = (name: string, shape: ReadonlyArray<number | null>) => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { batch_shape: shape, dtype: 'float32', sparse: false, ragged: false, name },
  registered_name: null,
  name,
  inbound_nodes: []
})
const opEntry = (module: string, cls: string, name: string, config: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown> = {}) => ({
  module,
  class_name: cls,
  config: { name, ...config },
  registered_name: cls,
  name,
  inbound_nodes: [{ args, kwargs }]
})
const model = (entries: unknown[], inputs: string[], outputs: string[]) => ({
  module: 'keras',
  class_name: 'Functional',
  config: { name: 'm', trainable: true, layers: entries, input_layers: inputs.map((n) => [n, 0, 0]), output_layers: outputs.map((n) => [n, 0, 0]) },
  registered_name: 'Functional'
})

const X = [null, 4, 6] as const
const x = inputEntry('x', X)
/** A model `x → op` (one operation on the input). */
const oneOp = (cls: string, config: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown> = {}, module = NUMPY) => model([x, opEntry(module, cls, 'op', config, args, kwargs)], ['x'], ['op'])

const paths = (errors: ReadonlyArray<SpecError>): string[] => errors.map((e) => e.path)
/** The one error of decoding (or, when it decodes, inferring) a file. */
const only = (errors: ReadonlyArray<SpecError>): SpecError => {
  expect(errors.map((e) => `${e.path}: ${e.message}`)).toHaveLength(1)
  return errors[0] as SpecError
}
const inferErrors = (json: unknown): ReadonlyArray<SpecError> => left(inferModel(right(decodeModel(json))))

// -------------------------------------------------------------------------------------
// operations layerspec does not run
// -------------------------------------------------------------------------------------

describe('an operation layerspec does not run: an error naming it and its module, the rest of the file checked', () => {
  it('an unknown class of a known module, with the operations it runs and a suggestion', () => {
    const e = only(left(decodeModelFile(oneOp('Take', { axis: null }, [kt('x', X), [0, 1]]))))
    expect(e.path).toBe('config.layers[1].class_name')
    expect(e.message).toMatch(/^layer 1 "op" is the operation "Take" of "keras\.src\.ops\.numpy", which layerspec does not run; of this module it runs "Add", "Subtract", /)
    const typo = only(left(decodeModelFile(oneOp('Reshpe', { newshape: [-1, 24] }, [kt('x', X)]))))
    expect(typo.message).toContain('which layerspec does not run; did you mean "Reshape"?')
  })

  it('an operation of a module layerspec runs nothing of', () => {
    const e = only(left(decodeModelFile(oneOp('Resize', { size: [2, 2] }, [kt('x', X)], {}, 'keras.src.ops.image'))))
    expect(e).toEqual({
      path: 'config.layers[1].class_name',
      message:
        'layer 1 "op" is the operation "Resize" of "keras.src.ops.image", a module of which layerspec runs no operation (it runs operations of "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core", "keras.src.ops.math" or "keras.src.activations.activations")'
    })
  })

  it('validate still checks every other entry: each problem of the file at its path', () => {
    const json = model(
      [
        x,
        opEntry(NUMPY, 'Take', 'take', { axis: null }, [kt('x', X), 0]),
        opEntry(NUMPY, 'Mean', 'mean', { axis: 'one', keepdims: false }, [kt('x', X)]),
        opEntry(NUMPY, 'Add', 'add', {}, [kt('x', X), 'three']),
        { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 0 }, registered_name: null, name: 'd', inbound_nodes: [{ args: [kt('x', X)], kwargs: {} }] }
      ],
      ['x'],
      ['take', 'mean', 'add', 'd']
    )
    const errors = left(decodeModelFile(json))
    expect(paths(errors)).toEqual(['config.layers[1].class_name', 'config.layers[2].config.axis', 'config.layers[3].inbound_nodes[0].args[1]', 'config.layers[4].config.units'])
  })
})

describe('the module decides: an operation is never read as a layer, nor a layer as an operation', () => {
  it('a layer class in an operation module is an unknown operation', () => {
    const e = only(left(decodeModelFile(oneOp('Dense', { units: 3 }, [kt('x', X)]))))
    expect(e.message).toMatch(/^layer 1 "op" is the operation "Dense" of "keras\.src\.ops\.numpy", which layerspec does not run/)
  })

  it('an operation class under keras.layers is an unknown layer, with a hint', () => {
    const e = only(left(decodeModelFile(oneOp('Relu6', {}, [kt('x', X)], {}, 'keras.layers'))))
    expect(e.path).toBe('config.layers[1].class_name')
    expect(e.message).toBe('layer 1 "op" has class "Relu6", which layerspec does not know (a custom layer?); did you mean "ReLU"?; "Relu6" is an operation of "keras.src.ops.nn", which an entry names with "module": "keras.src.ops.nn"')
  })

  it('Add: the layer (a list of tensors) and the operation (x1, x2) side by side', () => {
    const json = model(
      [
        x,
        { module: 'keras.layers', class_name: 'Add', config: { name: 'add_layer', trainable: true, dtype: 'float32' }, registered_name: null, name: 'add_layer', inbound_nodes: [{ args: [[kt('x', X), kt('x', X)]], kwargs: {} }] },
        opEntry(NUMPY, 'Add', 'add_op', {}, [kt('add_layer', X), 1])
      ],
      ['x'],
      ['add_op']
    )
    const m = right(decodeModel(json)) as FunctionalSpec
    expect(m.layers.map((l) => isOperation(l.spec))).toEqual([false, false, true])
    expect(m.layers[1]?.inbound[0]?.operands).toBeUndefined()
    const run = right(compileModel(m))
    const y = run.forward([], [{ shape: [1, 4, 6], data: new Float32Array(24).fill(2) }])
    expect([...(y[0]?.data ?? [])]).toEqual(new Array(24).fill(5))
    // The layer's spelling of a call given to the operation does not bind.
    const bad = left(decodeModelFile(oneOp('Add', {}, [[kt('x', X), kt('x', X)]])))
    expect(bad.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'config.layers[1].inbound_nodes[0].args[0]: expected a tensor or a number as argument "x1" of Add(x1, x2), found a list of 2 items: a list is not a tensor or a number (Keras refuses a Python list here: wrap it in an array)',
      'config.layers[1].inbound_nodes[0].args: Add(x1, x2) is missing its argument "x2"'
    ])
  })

  it('an operation in a Sequential model is refused', () => {
    const json = { module: 'keras', class_name: 'Sequential', config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'in' }, registered_name: null }, { module: 'keras.src.ops.nn', class_name: 'Relu', config: { name: 'relu' }, registered_name: 'Relu' }] }, registered_name: null }
    const e = only(left(decodeModelFile(json)))
    expect(e).toEqual({ path: 'config.layers[1].module', message: 'layer 1 "relu" is an operation node (Relu of keras.src.ops.nn): operations are nodes of functional models, a Sequential model holds layers' })
  })
})

// -------------------------------------------------------------------------------------
// constants and arguments
// -------------------------------------------------------------------------------------

describe('bad constants: each at its path in the node', () => {
  const at = (args: unknown[], kwargs: Record<string, unknown> = {}): SpecError => only(left(decodeModelFile(oneOp('Add', {}, args, kwargs))))
  it.each([
    ['a string', 'three', 'config.layers[1].inbound_nodes[0].args[1]', 'expected an argument of an operation: a tensor ({"class_name": "__keras_tensor__", …}), a number, a boolean, null, a list, or an array ({"class_name": "__numpy__", …}); found the string "three"'],
    ['an object', { value: 3 }, 'config.layers[1].inbound_nodes[0].args[1]', 'expected an argument of an operation: a tensor ({"class_name": "__keras_tensor__", …}), a number, a boolean, null, a list, or an array ({"class_name": "__numpy__", …}); found an object {"value":3}'],
    ['null', null, 'config.layers[1].inbound_nodes[0].args[1]', 'expected a tensor or a number as argument "x2" of Add(x1, x2), found null: None (null) is not a tensor or a number'],
    ['a list', [1, 2], 'config.layers[1].inbound_nodes[0].args[1]', 'expected a tensor or a number as argument "x2" of Add(x1, x2), found a list of 2 items: a list is not a tensor or a number (Keras refuses a Python list here: wrap it in an array)'],
    ['a ragged array', { class_name: '__numpy__', config: { value: [[1, 2], [3]], dtype: 'float32' } }, 'config.layers[1].inbound_nodes[0].args[1].config.value', 'expected the value of a __numpy__ constant to be a number or a rectangular array of numbers, but it is not rectangular: at depth 1, found a list of 1 item [3] beside a list of 2 items'],
    ['an array of strings', { class_name: '__numpy__', config: { value: ['a'], dtype: 'float32' } }, 'config.layers[1].inbound_nodes[0].args[1].config.value', 'expected the value of a __numpy__ constant to be a number or a rectangular array of numbers, but expected numbers as its values, found the string "a"'],
    ['an array of an unknown dtype', { class_name: '__numpy__', config: { value: [1], dtype: 'complex64' } }, 'config.layers[1].inbound_nodes[0].args[1].config.dtype', 'expected the dtype of a __numpy__ constant to be "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64" or "bool", found the string "complex64"'],
    ['an array with an extra key', { class_name: '__tensor__', config: { value: [1], dtype: 'float32', shape: [1] } }, 'config.layers[1].inbound_nodes[0].args[1].config.shape', 'unknown key "shape" in a __tensor__ constant\'s config; expected "value" and "dtype"']
  ])('%s', (_what, value, path, message) => {
    expect(at([kt('x', X), value])).toEqual({ path, message })
  })

  it('lists nested beyond 32 levels', () => {
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = [deep]
    const e = only(left(decodeModelFile(oneOp('Concatenate', { axis: -1 }, [deep]))))
    expect(e.path).toBe(`config.layers[1].inbound_nodes[0].args[0]${'[0]'.repeat(32)}`)
    expect(e.message).toBe('expected an argument nested at most 32 lists deep (Keras writes one or two levels), found deeper lists')
  })

  it('a boolean, a NumPy array and a tensor constant are constants; -0 and NaN are kept', () => {
    const m = right(decodeModel(oneOp('Multiply', {}, [kt('x', X), { class_name: '__numpy__', config: { value: [[true, false, true, true, false, true]], dtype: 'bool' } }]))) as FunctionalSpec
    expect(m.layers[1]?.inbound[0]?.operands?.args[1]).toEqual({ kind: 'array', wrapper: '__numpy__', dtype: 'bool', shape: [1, 6], values: [1, 0, 1, 1, 0, 1] })
    const y = right(compileModel(m)).forward([], [{ shape: [1, 4, 6], data: new Float32Array(24).fill(3) }])
    expect([...(y[0]?.data ?? [])].slice(0, 6)).toEqual([3, 0, 3, 3, 0, 3])
    // encoded back as booleans
    expect((encodeModel(m) as { config: { layers: Array<{ inbound_nodes: Array<{ args: unknown[] }> }> } }).config.layers[1]?.inbound_nodes[0]?.args[1]).toEqual({ class_name: '__numpy__', config: { value: [[true, false, true, true, false, true]], dtype: 'bool' } })
    const odd = right(decodeModel(oneOp('Add', {}, [kt('x', X), -0]))) as FunctionalSpec
    expect(Object.is((odd.layers[1]?.inbound[0]?.operands?.args[1] as { value: number }).value, -0)).toBe(true)
    expect(right(decodeModel(encodeModel(odd)))).toEqual(odd)
  })
})

describe('arguments that do not bind', () => {
  const e = (args: unknown[], kwargs: Record<string, unknown> = {}, cls = 'Add'): string[] => left(decodeModelFile(oneOp(cls, {}, args, kwargs))).map((x) => `${x.path}: ${x.message}`)
  it.each([
    ['a missing argument', [kt('x', X)], {}, ['config.layers[1].inbound_nodes[0].args: Add(x1, x2) is missing its argument "x2"']],
    ['too many', [kt('x', X), 1, 2], {}, ['config.layers[1].inbound_nodes[0].args[2]: Add(x1, x2) takes 2 argument(s), found 3 positional ones']],
    ['an unknown keyword', [kt('x', X)], { x2: 1, x3: 2 }, ['config.layers[1].inbound_nodes[0].kwargs.x3: Add(x1, x2) has no argument "x3"']],
    ['an argument given twice', [kt('x', X), 1], { x1: 2 }, ['config.layers[1].inbound_nodes[0].kwargs.x1: Add(x1, x2) got argument "x1" twice (positionally and by keyword)']],
    ['constants only', [1, 2], {}, ['config.layers[1].inbound_nodes[0].args: Add(x1, x2) is called on constants only: an operation node must read at least one tensor']],
    ['a prototype name as a keyword', [kt('x', X)], JSON.parse('{"x2": 1, "__proto__": 2}') as Record<string, unknown>, ['config.layers[1].inbound_nodes[0].kwargs.__proto__: Add(x1, x2) has no argument "__proto__"']]
  ])('%s', (_what, args, kwargs, want) => {
    expect(e(args, kwargs)).toEqual(want)
  })

  it('a constant where a tensor goes, a constant in a list of tensors', () => {
    expect(left(decodeModelFile(oneOp('Exp', {}, [2.0])))).toEqual([{ path: 'config.layers[1].inbound_nodes[0].args[0]', message: 'expected a tensor as argument "x" of Exp(x), found 2' }])
    expect(left(decodeModelFile(oneOp('Concatenate', { axis: -1 }, [[kt('x', X), 1]])))).toEqual([
      { path: 'config.layers[1].inbound_nodes[0].args[0][1]', message: 'expected a tensor in the list "xs" of Concatenate(xs), found 1 (layerspec joins tensors only: a constant has no batch axis)' }
    ])
  })
})

describe('bad constructor arguments: at config.<argument>', () => {
  it.each([
    ['Mean', { axis: '1' }, 'config.layers[1].config.axis', 'expected an integer axis, a list of integer axes or null, found the string "1"'],
    ['Mean', { axes: [1] }, 'config.layers[1].config.axes', 'unknown Mean argument "axes"; did you mean "axis"?'],
    ['Clip', { x_max: 1 }, 'config.layers[1].config.x_min', 'missing required Clip argument "x_min": expected a finite number'],
    ['Reshape', { newshape: [-1, -1] }, 'config.layers[1].config.newshape', 'expected at most one -1 in newshape (one size can be inferred), found [-1,-1]'],
    ['Cast', { dtype: 'int32' }, 'config.layers[1].config.dtype', 'a cast to int32 is not supported: layerspec computes in floats (float32 or float64); a cast to "float32", "float64", "float16" or "bfloat16" is']
  ])('%s %j', (cls, config, path, message) => {
    const module = cls === 'Cast' ? 'keras.src.ops.core' : NUMPY
    expect(only(left(decodeModelFile(oneOp(cls, config, [kt('x', X)], {}, module))))).toEqual({ path, message })
  })
  it('a Gelu whose approximate is not a boolean', () => {
    expect(only(left(decodeModelFile(oneOp('Gelu', { approximate: 'yes' }, [kt('x', X)], {}, 'keras.src.ops.nn'))))).toEqual({ path: 'config.layers[1].config.approximate', message: 'expected true or false, found the string "yes"' })
  })
})

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

describe('shapes that do not broadcast or would move the batch axis: an error at inference, with the path', () => {
  const numpy = (values: unknown) => ({ class_name: '__numpy__', config: { value: values, dtype: 'float32' } })
  const zeros = (shape: ReadonlyArray<number>): unknown => (shape.length === 0 ? 0 : Array.from({ length: shape[0] as number }, () => zeros(shape.slice(1))))
  it.each([
    ['Add', {}, [kt('x', X), numpy(zeros([5]))], 'layers[1].inbound_nodes[0].args[1]', 'operation "op" (Add): cannot broadcast shapes (None, 4, 6) and (5,) (NumPy\'s rule: aligned from the right, a size broadcasts only when it is 1)'],
    ['Add', {}, [kt('x', X), numpy(zeros([3, 4, 6]))], 'layers[1].inbound_nodes[0].args[1]', 'operation "op" (Add): the constant has shape [3,4,6], whose axis 0 of size 3 would meet the batch axis (only a size of 1 broadcasts over any batch)'],
    ['Mean', { axis: null }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (Mean): Mean axis null includes the batch axis 0: axis null reduces every axis, the batch axis too; layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['Sum', { axis: [0, 2] }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (Sum): Sum axis [0,2] includes the batch axis 0: a reduction over it would mix the samples of a batch; layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['Max', { axis: 3 }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (Max): Max axis 3 is out of range for a tensor of rank 3 (batch axis included): expected an axis from -3 to 2'],
    ['Min', { axis: [1, -2] }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (Min): Min axis [1,-2] names axis 1 twice (for a tensor of rank 3)'],
    ['Transpose', { axes: null }, [kt('x', X)], 'layers[1].config.axes', 'operation "op" (Transpose): Transpose axes null includes the batch axis 0: axes null reverses every axis, which moves the batch axis to the end (give axes such as [0, 2, 1]); layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['Transpose', { axes: [1, 0, 2] }, [kt('x', X)], 'layers[1].config.axes', 'operation "op" (Transpose): Transpose axes [1,0,2] move the batch axis (axes[0] is 1): layerspec keeps the batch axis first, so axes must start with 0'],
    ['Reshape', { newshape: [2, -1] }, [kt('x', X)], 'layers[1].config.newshape', 'operation "op" (Reshape): Reshape newshape [2,-1] must start with -1, the batch axis: anything else fixes the batch size or folds the batch into other axes (layerspec runs a model on a batch of any size)'],
    ['Reshape', { newshape: [-1, 12] }, [kt('x', X)], 'layers[1].config.newshape', 'operation "op" (Reshape): Reshape newshape [-1,12] holds 12 value(s) per sample and the input (None, 4, 6) 24: with -1 first, the batch axis would grow (samples split), so each sample must keep its size'],
    ['Concatenate', { axis: 0 }, [[kt('x', X), kt('x', X)]], 'layers[1].config.axis', 'operation "op" (Concatenate): Concatenate axis 0 includes the batch axis 0: joining along it would stack samples (keras.ops.concatenate defaults to axis 0: pass axis=-1 or another axis); layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['Stack', { axis: 0 }, [[kt('x', X)]], 'layers[1].config.axis', 'operation "op" (Stack): Stack axis 0 includes the batch axis 0: a new axis 0 would stand before the batch axis (keras.ops.stack defaults to axis 0: pass axis=1 or another axis); layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['ExpandDims', { axis: 0 }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (ExpandDims): ExpandDims axis 0 includes the batch axis 0: a new axis 0 would stand before the batch axis; layerspec runs a model on a batch of any size, one sample at a time (only axes from 1 on)'],
    ['Squeeze', { axis: 1 }, [kt('x', X)], 'layers[1].config.axis', 'operation "op" (Squeeze): cannot squeeze axis 1 of (None, 4, 6): its size is 4, not 1 (Keras\'s rule)'],
    ['Matmul', {}, [kt('x', X), numpy(zeros([5, 2]))], 'layers[1].inbound_nodes[0].args[1]', "operation \"op\" (Matmul): Matmul of (None, 4, 6) and (5, 2): the inner sizes differ: x1's last axis has 6 values and x2's second-to-last 5"],
    ['Matmul', {}, [numpy(zeros([3, 2])), kt('x', X)], 'layers[1].inbound_nodes[0].args[1]', "operation \"op\" (Matmul): Matmul of (3, 2) and (None, 4, 6): the inner sizes differ: x1's last axis has 2 values and x2's second-to-last 4"]
  ])('%s %j', (cls, config, args, path, message) => {
    expect(only(inferErrors(oneOp(cls, config, args)))).toEqual({ path, message })
  })

  it('softmax over the batch axis; a tensor of lower rank; matmul summing over the batch', () => {
    const softmax = only(inferErrors(oneOp('Softmax', { axis: 0 }, [kt('x', X)], {}, 'keras.src.ops.nn')))
    expect(softmax.message).toContain('a softmax over it would mix the samples of a batch')
    const v = inputEntry('v', [null, 6])
    const lower = only(inferErrors(model([x, v, opEntry(NUMPY, 'Subtract', 'op', {}, [kt('x', X), kt('v', [null, 6])])], ['x', 'v'], ['op'])))
    expect(lower).toEqual({
      path: 'layers[2].inbound_nodes[0].args[1]',
      message: 'operation "op" (Subtract): the tensor (None, 6) has rank 2 (batch axis included) and the result rank 3: aligned from the right, its batch axis would meet axis 1 of the result, so the model would run only for some batch sizes (layerspec keeps the batch axis first)'
    })
    const mm = only(inferErrors(model([x, v, opEntry(NUMPY, 'Matmul', 'op', {}, [kt('v', [null, 6]), kt('x', X)])], ['x', 'v'], ['op'])))
    expect(mm.message).toBe('operation "op" (Matmul): Matmul of (None, 6) and (None, 4, 6): a tensor x1 of rank 2 (one row per sample) can only be multiplied by a constant matrix or vector: any tensor x2 would mix the samples')
  })

  it('unknown sizes resolved at compile time are checked there (Keras infers None)', () => {
    const u = inputEntry('x', [null, null, 6])
    const json = model([u, opEntry(NUMPY, 'Reshape', 'op', { newshape: [-1, 7] }, [kt('x', [null, null, 6])])], ['x'], ['op'])
    const m = right(decodeModel(json))
    expect(right(inferModel(m)).outputShapes).toEqual([[null, 7]])
    const e = only(left(compileModel(m, { inputShapes: [[4, 6]] })))
    expect(e.path).toBe('layers[1].config.newshape')
    expect(e.message).toMatch(/^operation "op" \(Reshape\): Reshape newshape \[-1,7\] holds 7 value\(s\) per sample and the input \(None, 4, 6\) 24/)
  })
})

// -------------------------------------------------------------------------------------
// the builder and the CLI
// -------------------------------------------------------------------------------------

describe('the builder writes operations as Keras 3 does', () => {
  it('x + 3, hard-swish, a mean with keepdims, a softmax: the spec of the same Keras JSON, run', () => {
    const xin = input([2, 3], { name: 'x' })
    const h = ops.add(xin, 3)
    const y = ops.softmax(ops.mean(ops.multiply(ops.relu6(h), 1 / 6), { axis: [-1], keepdims: true }), -1)
    const m = right(functional({ inputs: [xin], outputs: [y] })) as FunctionalSpec
    expect(m.layers.map((l) => [l.spec.name, l.spec.className, isOperation(l.spec)])).toEqual([
      ['x', 'InputLayer', false],
      ['add', 'Add', true],
      ['relu6', 'Relu6', true],
      ['multiply', 'Multiply', true],
      ['mean', 'Mean', true],
      ['softmax', 'Softmax', true]
    ])
    expect(m.layers[4]?.spec).toMatchObject({ module: 'keras.src.ops.numpy', args: { axis: [-1], keepdims: true } })
    expect(right(decodeModel(encodeModel(m)))).toEqual(m)
    const out = right(compileModel(m)).forward([], [{ shape: [1, 2, 3], data: Float32Array.from([-4, 0, 4, 1, 2, 3]) }])
    expect(out[0]?.shape).toEqual([1, 2, 1])
    expect([...(out[0]?.data ?? [])]).toEqual([1, 1])
  })

  it('operations and layers together, constants on either side, a generic operation', () => {
    const xin = input([4], { name: 'x' })
    const d = apply(layers.dense({ units: 4, name: 'd' }), xin)
    const y = ops.subtract(1, operation('keras.src.ops.nn', 'HardSilu', {}, [d]))
    const m = right(functional({ inputs: [xin], outputs: [y] }))
    const c = right(compileModel(m))
    expect(c.weights.map((w) => w.path)).toEqual(['d/kernel', 'd/bias'])
    expect(c.summary.layers.map((l) => `${l.name} (${l.className}) ${l.connectedTo.join(', ')}`)).toEqual(['x (InputLayer) ', 'd (Dense) x[0][0]', 'hard_silu (HardSilu) d[0][0]', 'subtract (Subtract) hard_silu[0][0]'])
  })
})

describe('the CLI on operation nodes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layerspec-ops-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))
  const cli = (args: ReadonlyArray<string>): { readonly code: number; readonly out: string } => {
    const lines: string[] = []
    const code = main(args, (s) => lines.push(s), (s) => lines.push(s))
    return { code, out: lines.join('\n') }
  }

  it('validate: a valid file with operations, and one with an operation layerspec does not run', () => {
    const good = join(tmp, 'good.json')
    writeFileSync(good, JSON.stringify(oneOp('Add', {}, [kt('x', X), 3])))
    expect(cli(['validate', good])).toEqual({ code: 0, out: `${good}: valid Functional "m" (2 layers), output (None, 4, 6), 0 params` })
    const bad = join(tmp, 'bad.json')
    writeFileSync(bad, JSON.stringify(oneOp('Take', { axis: null }, [kt('x', X), 0])))
    const r = cli(['validate', bad])
    expect(r.code).toBe(1)
    expect(r.out).toContain('config.layers[1].class_name: layer 1 "op" is the operation "Take" of "keras.src.ops.numpy", which layerspec does not run')
  })

  it('summary prints operations as Keras does: name (Class), shape, 0 params, the tensors they read', () => {
    const f = join(tmp, 'sum.json')
    writeFileSync(f, JSON.stringify(model([x, opEntry(NUMPY, 'Subtract', 'sub', {}, [1, kt('x', X)]), opEntry(NUMPY, 'Mean', 'mean', { axis: [1, 2], keepdims: true }, [kt('sub', X)])], ['x'], ['mean'])))
    const r = cli(['summary', f])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/ sub \(Subtract\)\s+\(None, 4, 6\)\s+0\s+x\[0\]\[0\]\n/)
    expect(r.out).toMatch(/ mean \(Mean\)\s+\(None, 1, 1\)\s+0\s+sub\[0\]\[0\]\n/)
  })
})
