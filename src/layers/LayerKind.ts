/**
 * `LayerKind`: everything layerspec knows about one Keras layer class, as a record of pure functions —
 * its config codec (Keras JSON ⇄ normalized spec), Keras's symbolic shape inference with unknown
 * (`null`) dimensions, its weights, and a compiler to a pure forward function. The model decoder,
 * shape inference, `summary` and `compileModel` only ever talk to layers through this record.
 */
import type * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import type { SpecError } from '../core/SpecError.js'
import type { Tensor } from '../core/Tensor.js'
import type { Dialect } from '../codec/Dialect.js'
import type { Initializer } from '../codec/Initializer.js'
import type { DataFormat } from '../geometry/DataFormat.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import type { BaseLayerSpec } from './base.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A symbolic shape, batch axis first, unknown dimensions `null` (Keras's `(None, 28, 28, 1)`).
 * @category model
 */
export type SymbolicShape = ReadonlyArray<number | null>

/**
 * One weight of a layer, in Keras's weight order: its Keras name (`kernel`, `bias`, `gamma`,
 * `moving_mean`, `depthwise_kernel`, …), shape, whether Keras trains it, and how it is initialized.
 * @category model
 */
export interface WeightSpec {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly trainable: boolean
  readonly initializer: Initializer
}

/**
 * A layer's symbolic output: the output shape (batch axis first, unknown dims `null`) and its weights.
 * @category model
 */
export interface InferredLayer {
  readonly outputShape: SymbolicShape
  readonly weights: ReadonlyArray<WeightSpec>
}

/**
 * A layer compiled for fully known per-sample input shapes. `forward(weights, inputs)` takes the
 * weights in `weights` order and the inputs with their batch axis; it returns a new tensor and never
 * writes into its arguments.
 * @category model
 */
export interface CompiledLayer {
  /** Output shape without the batch axis. */
  readonly outputShape: ReadonlyArray<number>
  readonly weights: ReadonlyArray<WeightSpec>
  readonly forward: (weights: ReadonlyArray<Tensor>, inputs: ReadonlyArray<Tensor>) => Tensor
}

/** Options every layer codec receives from the model decoder. */
export interface LayerCodecOptions {
  readonly dialect: Dialect
  /** `data_format` for configs that omit it (Keras's `image_data_format()`). */
  readonly imageDataFormat: DataFormat
}

/** Options every layer compiler receives. */
export interface LayerCompileOptions {
  /** The typed array every tensor of the model uses. */
  readonly dtype: FloatDType
}

/**
 * A Keras layer class.
 * @category model
 */
export interface LayerKind<S extends BaseLayerSpec = BaseLayerSpec> {
  /** The canonical Keras class name, the spec's `className`. */
  readonly className: S['className']
  /** Other class names Keras serializes the same layer under (`Convolution2D`). */
  readonly aliases: ReadonlyArray<string>
  /** `single`: called on one tensor; `multiple`: on a list (merge layers). */
  readonly arity: 'single' | 'multiple'
  /** The codec of the layer's `config` dict: decodes to the spec, encodes back in the spec's dialect. */
  readonly codec: (options: LayerCodecOptions) => t.Type<S, Record<string, unknown>, unknown>
  /**
   * Keras's shape inference. Input shapes include the batch axis; unknown dims are `null` and flow
   * through as in Keras. Error paths are relative to the layer's config (`pool_size`), or `''` when
   * the input itself does not fit (the message names the input shape).
   */
  readonly infer: (spec: S, inputs: ReadonlyArray<SymbolicShape>) => E.Either<ReadonlyArray<SpecError>, InferredLayer>
  /** Compiles for per-sample input shapes (no batch axis, every dim known). */
  readonly compile: (
    spec: S,
    inputs: ReadonlyArray<ReadonlyArray<number>>,
    options: LayerCompileOptions
  ) => E.Either<ReadonlyArray<SpecError>, CompiledLayer>
}
