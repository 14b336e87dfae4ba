/**
 * Output buffers the fast kernels overwrite entirely: allocated without zero-filling where the
 * runtime allows it (Node's `Buffer.allocUnsafeSlow`: its own, unpooled memory), which saves a pass
 * over large outputs. Every element is written before the buffer is returned to the caller.
 */
import type { FloatArray, FloatDType } from '../numerics/FloatArray.js'

interface BufferLike {
  allocUnsafeSlow(size: number): { readonly buffer: ArrayBuffer; readonly byteOffset: number }
}

const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/** A `length`-element buffer of `dtype` whose contents are unspecified (to be overwritten). */
export const allocateForOverwrite = (dtype: FloatDType, length: number): FloatArray => {
  const bytes = length * (dtype === 'float32' ? 4 : 8)
  if (nodeBuffer !== undefined && bytes >= 65536) {
    const b = nodeBuffer.allocUnsafeSlow(bytes)
    if (b.byteOffset === 0 && b.buffer.byteLength === bytes) {
      return dtype === 'float32' ? new Float32Array(b.buffer, 0, length) : new Float64Array(b.buffer, 0, length)
    }
  }
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length)
}
