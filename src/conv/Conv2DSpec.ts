/**
 * `Conv2DSpec`: a Keras `Conv2D` layer as validated, normalized, deeply immutable data. Every default is
 * filled, every "int or pair" argument is a `[rows, cols]` tuple, every initializer / regularizer /
 * constraint is in its one canonical form, so nothing downstream asks "int or pair?" or "string or
 * object?". Produced only by {@link decodeConv2D} (and the {@link conv2d} builder, which calls it).
 */
import type { Pair } from '../core/Pair.js'
import type { PositiveInt } from '../core/PositiveInt.js'
import type { Dialect } from '../codec/Dialect.js'
import type { DType } from '../codec/DType.js'
import type { Dim } from '../codec/InputShape.js'
import type { KernelLayerSpec } from '../layers/kernelLayer.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * `Padding` (`valid` / `same`) and `DataFormat` (`channels_last` NHWC / `channels_first` NCHW; kernels
 * HWIO in both), the spatial layers' shared vocabulary (src/geometry/DataFormat.ts).
 */
export { DATA_FORMATS, PADDINGS, type DataFormat, type Padding } from '../geometry/DataFormat.js'
import type { DataFormat, Padding } from '../geometry/DataFormat.js'

/**
 * An input shape without the batch axis, in the data format's order: `[rows, cols, channels]` for
 * `channels_last`, `[channels, rows, cols]` for `channels_first`. Dimensions may be unknown (`null`)
 * in a spec; compiling needs them all known.
 */
export type InputShape3 = readonly [Dim, Dim, Dim]

/**
 * A normalized Conv2D layer. Field names are the camelCase forms of Keras's arguments; values are
 * Keras's semantics exactly (reference §1, §11). The activation, bias flag and the kernel / bias
 * initializers, regularizers and constraints are the {@link KernelLayerSpec} fields Dense shares.
 * @category model
 */
export interface Conv2DSpec extends KernelLayerSpec {
  readonly className: 'Conv2D'
  /** Which Keras wrote it; decides `hard_sigmoid`'s formula and how `encodeConv2D` writes it back. */
  readonly dialect: Dialect
  /** The layer name (`null` when the config has none). */
  readonly name: string | null
  readonly trainable: boolean
  readonly dtype: DType
  /** Number of output channels F. */
  readonly filters: PositiveInt
  /** `[kh, kw]`. */
  readonly kernelSize: Pair
  /** `[sh, sw]`. */
  readonly strides: Pair
  readonly padding: Padding
  readonly dataFormat: DataFormat
  /** `[dh, dw]`; never > 1 together with a stride > 1. */
  readonly dilationRate: Pair
  /** G: input channels and filters are split into G blocks; `filters` is divisible by G. */
  readonly groups: PositiveInt
  /** From `batch_input_shape` / `input_shape` / `build_config`: the input shape without batch axis. */
  readonly inputShape: InputShape3 | null
  /** The batch size fixed by `batch_input_shape` / `batch_size`, when one is. */
  readonly batchSize: PositiveInt | null
  /** Keras 3 LoRA rank (`lora_rank`), `null` when LoRA is off. */
  readonly loraRank: PositiveInt | null
  /** Keras 3 LoRA scale numerator (`lora_alpha`; the rank when the config omits it), `null` when LoRA is off. */
  readonly loraAlpha: number | null
}
