/**
 * A Conv2D layer as an ONNX model, written with a few lines of protobuf encoding (field numbers from
 * onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), for
 * onnxruntime-web. ONNX convolutions are NCHW with OIHW weights; a channels_last layer gets Transpose
 * nodes around the Conv (what a caller with NHWC data runs), and `relu` becomes a Relu node.
 */
import type { ConvGeometry } from '../src/geometry/ConvGeometry.js'

type Bytes = number[]

const varint = (out: Bytes, v: number): void => {
  let n = BigInt.asUintN(64, BigInt(v))
  do {
    let b = Number(n & 0x7fn)
    n >>= 7n
    if (n !== 0n) b |= 0x80
    out.push(b)
  } while (n !== 0n)
}
const key = (out: Bytes, field: number, wire: number): void => varint(out, (field << 3) | wire)
const int = (out: Bytes, field: number, v: number): void => {
  key(out, field, 0)
  varint(out, v)
}
const bytes = (out: Bytes, field: number, b: ArrayLike<number>): void => {
  key(out, field, 2)
  varint(out, b.length)
  for (let i = 0; i < b.length; i++) out.push(b[i] as number)
}
const str = (out: Bytes, field: number, s: string): void => bytes(out, field, [...new TextEncoder().encode(s)])
const msg = (out: Bytes, field: number, build: (m: Bytes) => void): void => {
  const m: Bytes = []
  build(m)
  bytes(out, field, m)
}

const FLOAT = 1
const ATTR_INT = 2
const ATTR_INTS = 7

const attrInts = (name: string, values: ReadonlyArray<number>) => (m: Bytes) => {
  str(m, 1, name)
  int(m, 20, ATTR_INTS)
  for (const v of values) int(m, 8, v)
}
const attrInt = (name: string, value: number) => (m: Bytes) => {
  str(m, 1, name)
  int(m, 20, ATTR_INT)
  int(m, 3, value)
}

const node = (op: string, inputs: ReadonlyArray<string>, outputs: ReadonlyArray<string>, attrs: ReadonlyArray<(m: Bytes) => void> = []) => (m: Bytes) => {
  for (const i of inputs) str(m, 1, i)
  for (const o of outputs) str(m, 2, o)
  str(m, 3, `${op}_${outputs[0] ?? ''}`)
  str(m, 4, op)
  for (const a of attrs) msg(m, 5, a)
}

const tensor = (name: string, dims: ReadonlyArray<number>, data: Float32Array) => (m: Bytes) => {
  for (const d of dims) int(m, 1, d)
  int(m, 2, FLOAT)
  str(m, 8, name)
  bytes(m, 9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
}

const valueInfo = (name: string, dims: ReadonlyArray<number>) => (m: Bytes) => {
  str(m, 1, name)
  msg(m, 2, (t) =>
    msg(t, 1, (tt) => {
      int(tt, 1, FLOAT)
      msg(tt, 2, (shape) => {
        for (const d of dims) msg(shape, 1, (dim) => int(dim, 1, d))
      })
    })
  )
}

/** HWIO → OIHW. */
const toOihw = (g: ConvGeometry, w: Float32Array): Float32Array => {
  const [kh, kw, ci, f] = g.kernelShape
  const out = new Float32Array(w.length)
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let c = 0; c < ci; c++)
        for (let o = 0; o < f; o++) out[((o * ci + c) * kh + a) * kw + b] = w[((a * kw + b) * ci + c) * f + o] as number
  return out
}

/**
 * The ONNX model bytes of a Conv2D layer: input `x` and output `y` in the layer's data format with
 * batch `batch`, weights (HWIO) and optional bias as initializers, `relu` fused as a node.
 */
export const conv2dOnnx = (
  g: ConvGeometry,
  batch: number,
  kernel: Float32Array,
  bias: Float32Array | undefined,
  activation: 'linear' | 'relu'
): Uint8Array => {
  const cl = g.dataFormat === 'channels_last'
  const out: Bytes = []
  int(out, 1, 8) // ir_version
  str(out, 2, 'layerspec-bench')
  msg(out, 8, (op) => {
    str(op, 1, '')
    int(op, 2, 13)
  })
  msg(out, 7, (graph) => {
    const convIn = cl ? 'x_nchw' : 'x'
    const convOut = activation === 'relu' ? 'conv' : cl ? 'y_nchw' : 'y'
    const actOut = cl ? 'y_nchw' : 'y'
    if (cl) msg(graph, 1, node('Transpose', ['x'], [convIn], [attrInts('perm', [0, 3, 1, 2])]))
    msg(
      graph,
      1,
      node('Conv', bias === undefined ? [convIn, 'w'] : [convIn, 'w', 'b'], [convOut], [
        attrInts('kernel_shape', [g.kernelHeight, g.kernelWidth]),
        attrInts('strides', [g.strideHeight, g.strideWidth]),
        attrInts('dilations', [g.dilationHeight, g.dilationWidth]),
        attrInts('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]),
        attrInt('group', g.groups)
      ])
    )
    if (activation === 'relu') msg(graph, 1, node('Relu', [convOut], [actOut]))
    if (cl) msg(graph, 1, node('Transpose', ['y_nchw'], ['y'], [attrInts('perm', [0, 2, 3, 1])]))
    str(graph, 2, 'conv2d')
    msg(graph, 5, tensor('w', [g.outChannels, g.inChannelsPerGroup, g.kernelHeight, g.kernelWidth], toOihw(g, kernel)))
    if (bias !== undefined) msg(graph, 5, tensor('b', [g.outChannels], bias))
    msg(graph, 11, valueInfo('x', [batch, ...g.inputShape]))
    msg(graph, 12, valueInfo('y', [batch, ...g.outputShape]))
  })
  return Uint8Array.from(out)
}
