/**
 * Model files in every form the forms document lists (../shared/docs/keras-model-json-forms.md), small
 * enough that the expected shapes and parameter counts are worked out by hand in comments; graph errors
 * as data; and the round trip decode(encode(m)) = m on every example and real file.
 */
import * as E from 'fp-ts/lib/Either.js'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { encodeModel } from '../../src/model/encodeModel.js'
import { inferModel, type ModelSummary } from '../../src/model/infer.js'
import { left, readShared, right } from '../helpers.js'

const summarize = (json: unknown): ModelSummary => right(inferModel(right(decodeModel(json))))
const rows = (s: ModelSummary) => s.layers.map((l) => [l.name, l.outputShapes, l.params])

const conv = (name: string, extra: object = {}) => ({ class_name: 'Conv2D', config: { name, filters: 4, kernel_size: [3, 3], ...extra } })
const dense = (name: string, units: number, extra: object = {}) => ({ class_name: 'Dense', config: { name, units, ...extra } })
const input = (name: string, shape: ReadonlyArray<number | null>) => ({ class_name: 'InputLayer', config: { batch_input_shape: shape, name }, name, inbound_nodes: [] })
const call = (...refs: ReadonlyArray<string>) => [refs.map((r) => [r, 0, 0, {}])]

describe('top-level wrappers', () => {
  // Conv2D(4, 3x3) on 10x10x3: (None, 8, 8, 4), 3·3·3·4 + 4 = 112; Flatten: 256; Dense(2): 256·2 + 2 = 514
  const layers = [conv('c1', { batch_input_shape: [null, 10, 10, 3] }), { class_name: 'Flatten', config: { name: 'f' } }, dense('d', 2)]
  const expected = [
    ['c1', [[null, 8, 8, 4]], 112],
    ['f', [[null, 256]], 0],
    ['d', [[null, 2]], 514]
  ]

  it('Keras ≤ 2.1: a Sequential whose config is the bare list of layers', () => {
    const s = summarize({ class_name: 'Sequential', config: layers, keras_version: '2.0.8', backend: 'tensorflow' })
    expect(rows(s)).toEqual(expected)
    expect(s.params).toBe(626)
  })

  it('TF 2.0–2.2: no InputLayer, the input shape in build_input_shape', () => {
    const s = summarize({ class_name: 'Sequential', config: { name: 'seq', layers: [conv('c1'), layers[1], layers[2]], build_input_shape: [null, 10, 10, 3] }, keras_version: '2.3.0-tf', backend: 'tensorflow' })
    expect(rows(s)).toEqual(expected)
  })

  it('Keras 3: module envelopes, DTypePolicy, InputLayer batch_shape', () => {
    const k3 = (cls: string, config: object) => ({ module: 'keras.layers', class_name: cls, config: { ...config, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null } }, registered_name: null })
    const file = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        trainable: true,
        dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 10, 10, 3], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' }, registered_name: null },
          k3('Conv2D', { name: 'c1', filters: 4, kernel_size: [3, 3] }),
          k3('Flatten', { name: 'f' }),
          k3('Dense', { name: 'd', units: 2 })
        ],
        build_input_shape: [null, 10, 10, 3]
      },
      registered_name: null,
      build_config: { input_shape: [null, 10, 10, 3] }
    }
    const f = right(decodeModelFile(file))
    expect([f.format, f.model.dialect]).toEqual(['keras3', 'keras3'])
    expect(rows(summarize(file))).toEqual([['input_layer', [[null, 10, 10, 3]], 0], ...expected])
  })

  it('TF 2.13–2.15 to_json: Keras-3-style entries under keras_version 2.x stay keras2', () => {
    const file = { class_name: 'Sequential', config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'Conv2D', config: { name: 'c1', filters: 4, kernel_size: [3, 3], batch_input_shape: [null, 10, 10, 3], groups: 1 }, registered_name: null, build_config: { input_shape: [null, 10, 10, 3] } }] }, keras_version: '2.15.0', backend: 'tensorflow' }
    expect(right(decodeModel(file)).dialect).toBe('keras2')
  })

  it('a bare get_config() dict (functional) with no wrapper and no version', () => {
    const file = { name: 'm', layers: [input('in', [null, 5]), { ...dense('d', 3), name: 'd', inbound_nodes: call('in') }], input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]] }
    // Dense(3) on 5 features: 5·3 + 3 = 18
    expect(rows(summarize(file))).toEqual([['in', [[null, 5]], 0], ['d', [[null, 3]], 18]])
    expect(right(decodeModelFile(file)).format).toBe('config')
  })

  it('TensorFlow.js model.json, both modelTopology shapes', () => {
    const model = { class_name: 'Sequential', config: { name: 's', layers } }
    const browser = { format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null, modelTopology: { ...model, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' }, weightsManifest: [] }
    const converter = { format: 'layers-model', generatedBy: 'keras v2.4.0', convertedBy: 'TensorFlow.js Converter v2.8.4', modelTopology: { keras_version: '2.4.0', backend: 'tensorflow', model_config: model, training_config: { loss: 'mse' } }, weightsManifest: [] }
    for (const f of [browser, converter]) {
      const decoded = right(decodeModelFile(f))
      expect([decoded.format, decoded.model.dialect]).toEqual(['tfjs-layers-model', 'keras2'])
      expect(rows(summarize(f))).toEqual(expected)
    }
    expect(right(decodeModelFile(converter)).configPath).toBe('modelTopology.model_config.config')
  })

  it('SavedModel metadata: __tuple__ and TensorShape wrappers, name null, compact inbound nodes', () => {
    const file = {
      class_name: 'Functional',
      config: {
        name: null,
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: { class_name: 'TensorShape', items: [null, 6, 6, 2] }, name: 'x' }, name: 'x', inbound_nodes: [] },
          { class_name: 'Conv2D', config: { name: 'c', filters: 3, kernel_size: { class_name: '__tuple__', items: [3, 3] }, strides: { class_name: '__tuple__', items: [1, 1] } }, name: 'c', inbound_nodes: [['x', 0, 0]] }
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['c', 0, 0]]
      },
      keras_version: '2.6.0',
      backend: 'tensorflow'
    }
    // Conv2D(3, 3x3) on 6x6x2: (None, 4, 4, 3), 3·3·2·3 + 3 = 57
    expect(rows(summarize(file))).toEqual([['x', [[null, 6, 6, 2]], 0], ['c', [[null, 4, 4, 3]], 57]])
  })
})

describe('functional graphs', () => {
  it('Keras 3 nodes: __keras_tensor__ args, a merge layer called on a list', () => {
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [name, 0, 0] } })
    const file = {
      module: 'keras',
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'a' }, registered_name: null, name: 'a', inbound_nodes: [] },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 4 }, registered_name: null, name: 'd', inbound_nodes: [{ args: [kt('a')], kwargs: {} }] },
          { module: 'keras.layers', class_name: 'Add', config: { name: 'add' }, registered_name: null, name: 'add', inbound_nodes: [{ args: [[kt('d'), kt('a')]], kwargs: {} }] }
        ],
        input_layers: [['a', 0, 0]],
        output_layers: [['add', 0, 0]]
      },
      registered_name: null
    }
    const m = right(decodeModel(file))
    expect(m.className === 'Functional' && m.layers[2]?.inbound[0]).toEqual({ args: [{ layer: 'd', node: 0, tensor: 0 }, { layer: 'a', node: 0, tensor: 0 }], asList: true, kwargs: {} })
    // Dense(4) on 4 features: 4·4 + 4 = 20
    expect(rows(summarize(file))).toEqual([['a', [[null, 4]], 0], ['d', [[null, 4]], 20], ['add', [[null, 4]], 0]])
  })

  it('a shared layer called twice, two inputs and two outputs: weights counted once', () => {
    const file = {
      class_name: 'Functional',
      config: {
        name: 'siamese',
        layers: [
          input('a', [null, 4]),
          input('b', [null, 4]),
          { ...dense('shared', 3), name: 'shared', inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
          { class_name: 'Add', config: { name: 'sum' }, name: 'sum', inbound_nodes: [[['shared', 0, 0, {}], ['shared', 1, 0, {}]]] },
          { class_name: 'Concatenate', config: { name: 'cat', axis: -1 }, name: 'cat', inbound_nodes: [[['a', 0, 0, {}], ['b', 0, 0, {}]]] }
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['sum', 0, 0], ['cat', 0, 0]]
      },
      keras_version: '2.4.0'
    }
    const s = summarize(file)
    // Dense(3) on 4 features: 4·3 + 3 = 15, once for both calls
    expect(rows(s)).toEqual([
      ['a', [[null, 4]], 0],
      ['b', [[null, 4]], 0],
      ['shared', [[null, 3], [null, 3]], 15],
      ['sum', [[null, 3]], 0],
      ['cat', [[null, 8]], 0]
    ])
    expect(s.outputShapes).toEqual([[null, 3], [null, 8]])
    expect(s.params).toBe(15)
    expect(s.layers[3]?.connectedTo).toEqual(['shared[0][0]', 'shared[1][0]'])
  })

  it('a nested Sequential inside a functional model, trainable false: its params are not trainable', () => {
    const inner = { class_name: 'Sequential', config: { name: 'head', trainable: false, layers: [dense('h1', 2)] }, name: 'head', inbound_nodes: call('in') }
    const file = { class_name: 'Functional', config: { name: 'm', layers: [input('in', [null, 3]), inner], input_layers: [['in', 0, 0]], output_layers: [['head', 0, 0]] }, keras_version: '2.4.0' }
    const s = summarize(file)
    // Dense(2) on 3 features: 3·2 + 2 = 8, frozen with its model
    expect(rows(s)).toEqual([['in', [[null, 3]], 0], ['head', [[null, 2]], 8]])
    expect([s.trainableParams, s.nonTrainableParams]).toEqual([0, 8])
    expect(s.weights.map((w) => w.path)).toEqual(['head/h1/kernel', 'head/h1/bias'])
  })

  it('a nested model built with an input is referenced from node 1 in files (its node 0 is its own build call)', () => {
    const innerSeq = (withInput: boolean) => ({
      class_name: 'Sequential',
      config: { name: 'head', layers: [...(withInput ? [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 3], name: 'head_in' } }] : []), dense('h1', 2)] },
      name: 'head',
      inbound_nodes: call('in')
    })
    const outer = (inner: object, node: number, version: string) => ({
      class_name: 'Functional',
      config: { name: 'm', layers: [input('in', [null, 3]), inner], input_layers: [['in', 0, 0]], output_layers: [['head', node, 0]] },
      keras_version: version
    })
    // tf.keras 2.x: a nested Sequential with an InputLayer is a built Functional: its first call is node 1
    const m = right(decodeModel(outer(innerSeq(true), 1, '2.4.0')))
    expect(m.className === 'Functional' && m.outputs).toEqual([{ layer: 'head', node: 0, tensor: 0 }])
    expect(right(decodeModel(encodeModel(m)))).toEqual(m)
    expect((encodeModel(m)['config'] as { output_layers: unknown }).output_layers).toEqual([['head', 1, 0]])
    expect(left(decodeModel(outer(innerSeq(true), 0, '2.4.0')))[0]?.message).toContain('its calls start at node 1')
    // without an input it is not built: node 0 is its first call
    expect(E.isRight(decodeModel(outer(innerSeq(false), 0, '2.4.0')))).toBe(true)
    // Keras 3's Sequential is no Functional subclass: node 0 even with an InputLayer
    expect(E.isRight(decodeModel(outer(innerSeq(true), 0, '3.5.0')))).toBe(true)
  })

  it('unknown dimensions flow through as in Keras', () => {
    const s = summarize({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, null, null, 3], name: 'in' } }, conv('c', { padding: 'same', strides: 2 }), { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } }] } })
    expect(rows(s)).toEqual([['in', [[null, null, null, 3]], 0], ['c', [[null, null, null, 4]], 112], ['g', [[null, 4]], 0]])
  })
})

describe('graphs are checked as data', () => {
  const model = (layers: ReadonlyArray<unknown>, inputs: unknown = [['in', 0, 0]], outputs: unknown = [['d', 0, 0]]) => ({
    class_name: 'Functional',
    config: { name: 'm', layers, input_layers: inputs, output_layers: outputs },
    keras_version: '2.4.0'
  })
  const errs = (json: unknown) => left(decodeModel(json))

  it('an unknown layer name in inbound_nodes, with a suggestion', () => {
    const e = errs(model([input('in', [null, 3]), { ...dense('d', 2), name: 'd', inbound_nodes: [[['inp', 0, 0, {}]]] }]))
    expect(e).toEqual([{ path: 'config.layers[1].inbound_nodes[0][0]', message: expect.stringContaining('unknown layer "inp"; did you mean "in"?') }])
  })
  it('a node index that does not exist', () => {
    const e = errs(model([input('in', [null, 3]), { ...dense('d', 2), name: 'd', inbound_nodes: call('in') }], [['in', 0, 0]], [['d', 1, 0]]))
    expect(e).toEqual([{ path: 'config.output_layers[0]', message: 'layer "d" has 1 node(s), found a reference to node 1' }])
  })
  it('a cycle', () => {
    const e = errs(
      model([input('in', [null, 3]), { ...dense('d', 3), name: 'd', inbound_nodes: call('e') }, { ...dense('e', 3), name: 'e', inbound_nodes: call('d') }])
    )
    expect(e.map((x) => x.path)).toEqual(['config.layers[1].inbound_nodes[0]'])
    expect(e[0]?.message).toContain('the graph has a cycle: "d" → "e" → "d"')
  })
  it('a dangling input and a layer never called', () => {
    const e = errs(model([input('in', [null, 3]), input('extra', [null, 3]), { ...dense('d', 2), name: 'd', inbound_nodes: call('in') }, { ...dense('lost', 2), name: 'lost', inbound_nodes: [] }]))
    expect(e.map((x) => x.path).sort()).toEqual(['config.layers[1]', 'config.layers[3].inbound_nodes'])
    expect(e.map((x) => x.message).join('\n')).toContain('"extra" is not listed in input_layers: a dangling input')
  })
  it('an input that is not an InputLayer, and no outputs', () => {
    const e = errs(model([input('in', [null, 3]), { ...dense('d', 2), name: 'd', inbound_nodes: call('in') }], [['in', 0, 0], ['d', 0, 0]], []))
    expect(e.map((x) => x.path).sort()).toEqual(['config.input_layers[1]', 'config.output_layers'])
  })
  it('duplicate layer names', () => {
    const e = errs({ class_name: 'Sequential', config: { name: 's', layers: [dense('d', 2, { batch_input_shape: [null, 3] }), dense('d', 2)] } })
    expect(e).toEqual([{ path: 'config.layers[1].config.name', message: 'layer name "d" is used by layers 0 and 1; names must be unique within a model' }])
  })
  it('a custom class is an error naming its index, name and class; every other layer is still checked', () => {
    const e = errs({ class_name: 'Sequential', config: { name: 's', layers: [conv('c', { batch_input_shape: [null, 8, 8, 1], padding: 'full' }), { class_name: 'MyAttention', config: { name: 'att', heads: 4 } }, dense('d', 0)] } })
    expect(e.map((x) => x.path)).toEqual(['config.layers[0].config.padding', 'config.layers[1].class_name', 'config.layers[2].config.units'])
    expect(e[1]?.message).toBe('layer 1 "att" has class "MyAttention", which layerspec does not know (a custom layer?)')
  })
  it('a file that is no model at all', () => {
    expect(errs({ foo: 1 })[0]?.message).toContain('expected a Keras model file')
    expect(errs(42)[0]?.message).toContain('found 42')
    expect(errs({ class_name: 'Sequentail', config: {} })[0]).toEqual({ path: 'class_name', message: 'expected a model class, "Sequential", "Functional" or "Model", found the string "Sequentail"; did you mean "Sequential"?' })
  })
  it('shape errors carry the layer path and name', () => {
    const r = inferModel(right(decodeModel({ class_name: 'Sequential', config: { name: 's', layers: [input('in', [null, 4, 4, 1]), conv('c', { kernel_size: 5 })] } })))
    expect(left(r)).toEqual([
      { path: 'layers[1].config.kernel_size', message: expect.stringContaining('layer "c" (Conv2D): the input rows 4 are fewer than the effective kernel size 5') },
      { path: 'layers[1].config.kernel_size', message: expect.stringContaining('layer "c" (Conv2D): the input cols 4 are fewer than the effective kernel size 5') }
    ])
  })
})

describe('round trip: decode(encode(m)) deep-equals m', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const examples = readdirSync(`${root}examples/models`).map((f) => [`examples/models/${f}`, JSON.parse(readFileSync(`${root}examples/models/${f}`, 'utf8')) as unknown] as const)
  const real = ['A', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'M', 'O', 'P', 'Q', 'Q2'].map((n) => [`real ${n}`, readShared(`real-keras-models/${n}.json`)] as const)
  it.each([...examples, ['examples/tfjs/model.json', JSON.parse(readFileSync(`${root}examples/tfjs/model.json`, 'utf8')) as unknown] as const, ...real])('%s', (_name, json) => {
    const m = right(decodeModel(json))
    const encoded = encodeModel(m)
    expect(right(decodeModel(encoded))).toEqual(m)
    expect(right(decodeModel(JSON.parse(JSON.stringify(encoded))))).toEqual(m)
    if (E.isRight(inferModel(m))) expect(right(inferModel(right(decodeModel(encoded))))).toEqual(right(inferModel(m)))
  })
})
