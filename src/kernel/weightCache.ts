/**
 * The per-kernel cache of repacked weights: keyed (weakly) on a params object's kernel data, so the
 * packing happens once per params object and is dropped with it. Params are values: layerspec never
 * writes into them, and a caller who changes a kernel array in place must pass a copy instead (the
 * cache cannot see in-place writes). The bias is part of the packing; a different bias array with the
 * same kernel array repacks.
 */
import type { FloatArray } from '../numerics/FloatArray.js'
import type { KernelParams } from './ConvKernel.js'

interface Entry<P> {
  bias: FloatArray | undefined
  packed: P
}

/**
 * A cache from kernel arrays to packed weights. `pack(params, previous)` builds the packing (reusing
 * `previous`'s storage when the bias changed); `release(packed)` runs once the kernel array is
 * garbage (e.g. to free its slot in wasm memory).
 */
export class WeightCache<P> {
  private map = new WeakMap<FloatArray, Entry<P>>()
  private readonly registry: FinalizationRegistry<P> | undefined

  constructor(
    private readonly pack: (params: KernelParams, previous: P | undefined) => P,
    release?: (packed: P) => void
  ) {
    this.registry = release === undefined ? undefined : new FinalizationRegistry(release)
  }

  /** The packed weights of `params`, packing them on first use. */
  get(params: KernelParams): P {
    const hit = this.map.get(params.kernel)
    if (hit !== undefined && hit.bias === params.bias) return hit.packed
    const packed = this.pack(params, hit?.packed)
    if (hit !== undefined) {
      hit.bias = params.bias
      hit.packed = packed
    } else {
      this.map.set(params.kernel, { bias: params.bias, packed })
      this.registry?.register(params.kernel, packed)
    }
    return packed
  }

  /** Forgets every entry (their storage is released by the owner). */
  clear(): void {
    this.map = new WeakMap()
  }
}
