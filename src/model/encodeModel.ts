/**
 * `encodeModel`: a {@link ModelSpec} back to Keras JSON in its dialect (`keras2`: TF 2.x `to_json()`
 * with legacy `{class_name, config}` entries and classic `inbound_nodes`; `keras3`: `module` /
 * `registered_name` envelopes and `{args, kwargs}` nodes whose `__keras_tensor__` references carry the
 * `shape` and `dtype` Keras writes, where shape inference gives them). Operation nodes are written as
 * Keras 3 writes them, in either dialect. `decodeModel(encodeModel(m))` deep-equals `m`.
 */
import { envelope } from '../core/ClassObject.js'
import { dtypeCodec } from '../codec/DType.js'
import type { Dialect } from '../codec/Dialect.js'
import { findLayerKind } from './registry.js'
import { inputLayerCodec } from './InputLayer.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { encodeOperationConfig, encodeOperationNode } from '../ops/codec.js'
import { tensorDTypes, tensorShapes } from './infer.js'
import type { AnyLayerSpec, ModelSpec, NodeCall, TensorRef } from './ModelSpec.js'
import { isInputLayer, isModelSpec, isOperation, nodeOffset } from './ModelSpec.js'
import { keyOf, type TensorKey } from './plan.js'

type Json = Record<string, unknown>

const layerConfig = (spec: AnyLayerSpec): Json => {
  if (isOperation(spec)) return encodeOperationConfig(spec)
  if (isModelSpec(spec)) return modelConfig(spec)
  if (isInputLayer(spec)) return inputLayerCodec(spec.dialect).encode(spec)
  const kind = findLayerKind(spec.className)
  if (kind === undefined) throw new TypeError(`encodeModel: no layer kind for class ${spec.className}`)
  return kind.codec({ dialect: spec.dialect, imageDataFormat: 'channels_last' }).encode(spec)
}

const entry = (spec: AnyLayerSpec, dialect: Dialect, extra: Json = {}): Json => {
  const config = layerConfig(spec)
  // An operation has one spelling, Keras 3's (tf.keras 2.x has no operation nodes), in either dialect.
  if (isOperation(spec)) return { module: spec.module, class_name: spec.className, config, registered_name: spec.className, ...extra }
  if (dialect === 'keras2') return { class_name: spec.className, config, ...extra }
  const module = isModelSpec(spec) ? 'keras' : 'keras.layers'
  return { ...envelope('keras3', module, spec.className, config), ...extra }
}

/** Node numbering as files write it: a nested model built with an input counts its calls from 1. */
type Offsets = ReadonlyMap<string, number>

/**
 * What Keras 3 writes of each tensor of a graph besides its history: its shape and dtype, where
 * layerspec can infer them (`__keras_tensor__` configs hold `shape`, `dtype`, `keras_history`).
 */
interface TensorInfo {
  readonly shapes: ReadonlyMap<TensorKey, SymbolicShape>
  readonly dtypes: ReadonlyMap<TensorKey, string>
}

const kerasTensor = (r: TensorRef, o: Offsets, info: TensorInfo): Json => {
  const shape = info.shapes.get(keyOf(r))
  const dtype = info.dtypes.get(keyOf(r))
  const history = [r.layer, r.node + (o.get(r.layer) ?? 0), r.tensor]
  return { class_name: '__keras_tensor__', config: shape === undefined || dtype === undefined ? { keras_history: history } : { shape: [...shape], dtype, keras_history: history } }
}

const node = (call: NodeCall, dialect: Dialect, o: Offsets, info: TensorInfo): unknown => {
  if (call.operands !== undefined) return encodeOperationNode(call.operands, (i) => kerasTensor(call.args[i] as TensorRef, o, info))
  if (dialect === 'keras2') return call.args.map((r) => [r.layer, r.node + (o.get(r.layer) ?? 0), r.tensor, call.kwargs])
  const tensors = call.args.map((r) => kerasTensor(r, o, info))
  return { args: call.asList ? [tensors] : tensors, kwargs: call.kwargs }
}

const refs = (rs: ReadonlyArray<TensorRef>, o: Offsets): unknown[] => rs.map((r) => [r.layer, r.node + (o.get(r.layer) ?? 0), r.tensor])

const bookkeeping = (m: ModelSpec): Json => {
  const out: Json = {}
  if (m.name !== null) out['name'] = m.name
  if (m.dialect === 'keras3' || !m.trainable) out['trainable'] = m.trainable
  if (m.dialect === 'keras3' || m.dtype !== 'float32') out['dtype'] = dtypeCodec(m.dialect).encode(m.dtype)
  return out
}

const modelConfig = (m: ModelSpec): Json => {
  if (m.className === 'Sequential') {
    return {
      ...bookkeeping(m),
      layers: m.layers.map((l) => entry(l, m.dialect)),
      ...(m.buildInputShape === null ? {} : { build_input_shape: [...m.buildInputShape] })
    }
  }
  const o: Offsets = new Map(m.layers.map((l) => [l.spec.name ?? '', nodeOffset(l.spec, m.dialect)] as const))
  // Keras 3 records each referenced tensor's shape and dtype; tf.keras 2.x nodes hold references only.
  const info: TensorInfo = m.dialect === 'keras3' || m.layers.some((l) => isOperation(l.spec)) ? { shapes: tensorShapes(m), dtypes: tensorDTypes(m) } : { shapes: new Map(), dtypes: new Map() }
  return {
    ...bookkeeping(m),
    layers: m.layers.map((l) =>
      entry(l.spec, m.dialect, { name: l.spec.name, inbound_nodes: l.inbound.map((n) => node(n, m.dialect, o, info)) })
    ),
    input_layers: refs(m.inputs, o),
    output_layers: refs(m.outputs, o)
  }
}

/**
 * Encodes a model as a Keras model file in its dialect (or `dialect`, to convert).
 * @category encode
 */
export const encodeModel = (model: ModelSpec, options: { readonly dialect?: Dialect } = {}): Json => {
  const m = options.dialect === undefined || options.dialect === model.dialect ? model : withDialect(model, options.dialect)
  const className = m.className
  return m.dialect === 'keras2'
    ? { class_name: className, config: modelConfig(m) }
    : { module: 'keras', class_name: className, config: modelConfig(m), registered_name: null }
}

/** The same model with every spec in another dialect. */
const withDialect = (m: ModelSpec, dialect: Dialect): ModelSpec => {
  const convert = (s: AnyLayerSpec): AnyLayerSpec => (isModelSpec(s) ? withDialect(s, dialect) : { ...s, dialect })
  // (An operation keeps its fields: only its dialect, never read, follows the model's.)
  return m.className === 'Sequential'
    ? { ...m, dialect, layers: m.layers.map(convert) }
    : { ...m, dialect, layers: m.layers.map((l) => ({ ...l, spec: convert(l.spec) })) }
}
