/**
 * `encodeModel`: a {@link ModelSpec} back to Keras JSON in its dialect (`keras2`: TF 2.x `to_json()`
 * with legacy `{class_name, config}` entries and classic `inbound_nodes`; `keras3`: `module` /
 * `registered_name` envelopes and `{args, kwargs}` nodes). `decodeModel(encodeModel(m))` deep-equals `m`.
 */
import { envelope } from '../core/ClassObject.js'
import { dtypeCodec } from '../codec/DType.js'
import type { Dialect } from '../codec/Dialect.js'
import { findLayerKind } from '../layers/registry.js'
import { inputLayerCodec } from './InputLayer.js'
import type { AnyLayerSpec, ModelSpec, NodeCall, TensorRef } from './ModelSpec.js'
import { isInputLayer, isModelSpec, nodeOffset } from './ModelSpec.js'

type Json = Record<string, unknown>

const layerConfig = (spec: AnyLayerSpec): Json => {
  if (isModelSpec(spec)) return modelConfig(spec)
  if (isInputLayer(spec)) return inputLayerCodec(spec.dialect).encode(spec)
  const kind = findLayerKind(spec.className)
  if (kind === undefined) throw new TypeError(`encodeModel: no layer kind for class ${spec.className}`)
  return kind.codec({ dialect: spec.dialect, imageDataFormat: 'channels_last' }).encode(spec)
}

const entry = (spec: AnyLayerSpec, dialect: Dialect, extra: Json = {}): Json => {
  const config = layerConfig(spec)
  if (dialect === 'keras2') return { class_name: spec.className, config, ...extra }
  const module = isModelSpec(spec) ? 'keras' : 'keras.layers'
  return { ...envelope('keras3', module, spec.className, config), ...extra }
}

/** Node numbering as files write it: a nested model built with an input counts its calls from 1. */
type Offsets = ReadonlyMap<string, number>

const kerasTensor = (r: TensorRef, o: Offsets): Json => ({ class_name: '__keras_tensor__', config: { keras_history: [r.layer, r.node + (o.get(r.layer) ?? 0), r.tensor] } })

const node = (call: NodeCall, dialect: Dialect, o: Offsets): unknown => {
  if (dialect === 'keras2') return call.args.map((r) => [r.layer, r.node + (o.get(r.layer) ?? 0), r.tensor, call.kwargs])
  const tensors = call.args.map((r) => kerasTensor(r, o))
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
  return {
    ...bookkeeping(m),
    layers: m.layers.map((l) =>
      entry(l.spec, m.dialect, { name: l.spec.name, inbound_nodes: l.inbound.map((n) => node(n, m.dialect, o)) })
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
  return m.className === 'Sequential'
    ? { ...m, dialect, layers: m.layers.map(convert) }
    : { ...m, dialect, layers: m.layers.map((l) => ({ ...l, spec: convert(l.spec) })) }
}
