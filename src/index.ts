/**
 * layerspec: Keras `Conv2D` layers as validated, immutable data (io-ts), compiled into pure forward
 * functions over typed arrays. This module is the public surface; every name is re-exported here.
 */

// errors
export type { SpecError } from './core/SpecError.js'
export { formatErrors } from './core/SpecError.js'

// shared building blocks
export type { PositiveInt } from './core/PositiveInt.js'
export type { Pair } from './core/Pair.js'
export type { DeepReadonly } from './core/deepFreeze.js'

// Keras concepts
export type { Activation } from './codec/Activation.js'
export { ACTIVATIONS } from './codec/Activation.js'
export type { Constraint, Axes } from './codec/Constraint.js'
export type { Dialect } from './codec/Dialect.js'
export type { DType } from './codec/DType.js'
export { DTYPES } from './codec/DType.js'
export type { Initializer, FanMode, ScalingDistribution, Seed } from './codec/Initializer.js'
export type { Dim, PartialShape } from './codec/InputShape.js'
export type { Regularizer } from './codec/Regularizer.js'

// the Conv2D spec
export type { Conv2DSpec, DataFormat, Padding, InputShape3 } from './conv/Conv2DSpec.js'
export { DATA_FORMATS, PADDINGS } from './conv/Conv2DSpec.js'
export type { DecodeOptions, EncodeOptions, KerasJson } from './conv/conv2DCodec.js'
export { conv2DCodec, decodeConv2D, encodeConv2D } from './conv/conv2DCodec.js'
export type { Conv2DArgs, IntOrPairArg, SerializedObject } from './conv/conv2d.js'
export { conv2d } from './conv/conv2d.js'

// the convolution family (issue 14): specs, codecs, one N-dimensional geometry, kernels
export type { ConvFamilyBase, ConvFamilyClass, ConvFamilyKind, ConvFamilySpec, ConvMember, ConvNdSpec, ConvTransposeSpec, DepthwiseConvSpec, SeparableConvSpec } from './conv/ConvFamilySpec.js'
export { CONV_MEMBERS } from './conv/ConvFamilySpec.js'
export { convFamilyCodec } from './conv/convFamilyCodec.js'
export { convFamilyWeights, convParams, inferConvFamily, pointwiseParams } from './conv/inferConvFamily.js'
export { compileConvFamily, CONV_FAMILY_KINDS, CONV_KINDS, convFamilyKind } from './conv/ConvFamilyKind.js'
export type { CompiledConvNd, ConvNdKernelOptions } from './conv/kernel.js'
export { compileConvNd } from './conv/kernel.js'
export { convNdReference } from './conv/reference.js'
export type { DepthwiseConv2DSpec } from './conv/DepthwiseConv2D.js'
export type { ConvDataFormat, ConvNdGeometry, ConvNdKind, ConvNdParams, ConvRank } from './geometry/ConvNdGeometry.js'
export { convNdGeometry, spatialAxisNames } from './geometry/ConvNdGeometry.js'
export type { AxisPadding, ConvAxis, ConvPadding, TransposedAxis, WindowPadding } from './geometry/Axis.js'
export { convAxis, cropAxis, effectiveKernel, padAxis, poolAxis, transposedAxis, upsampleAxis } from './geometry/Axis.js'
export type { Tuple } from './core/Pair.js'
export { intOrTuple } from './core/Pair.js'

// tensors and numerics
export type { Tensor } from './core/Tensor.js'
export type { FloatArray, FloatDType } from './numerics/FloatArray.js'

// compiling
export type { ConvGeometry } from './geometry/ConvGeometry.js'
export { computeGeometry, inferOutputShape, MAX_ELEMENTS } from './geometry/ConvGeometry.js'
export type { KernelName } from './kernel/ConvKernel.js'
export { KERNEL_NAMES } from './kernel/ConvKernel.js'
export type { CompiledConv2D, CompileOptions, Conv2DParams, WeightShapes } from './conv/CompiledConv2D.js'
export { compileConv2D } from './conv/compileConv2D.js'

// models
export type { AnyLayerSpec, ArrayConstant, CallArg, FunctionalSpec, GraphLayer, InputLayerSpec, ModelSpec, NodeCall, Operands, SequentialSpec, TensorRef } from './model/ModelSpec.js'
export { isOperation } from './model/ModelSpec.js'
export type { ModelDecodeOptions, ModelFile, ModelFormat } from './model/decodeModel.js'
export { decodeModel, decodeModelFile } from './model/decodeModel.js'
export { encodeModel } from './model/encodeModel.js'
export type { InferOptions, LayerSummary, ModelSummary, ModelWeight } from './model/infer.js'
export { inferModel } from './model/infer.js'
export type { CompileModelOptions, CompiledModel, ModelParams } from './model/compileModel.js'
export { compileModel } from './model/compileModel.js'
export type { ManifestGroup, ManifestWeight, OrderedWeightsOptions, OrderedWeightValues, Quantization, WeightOrder } from './model/weights.js'
export { assignNamedWeights, assignOrderedWeights, decodeWeightData, readWeightsManifest, weightsInOrder } from './model/weights.js'
export type { BaseArgs, DenseArgs, LayerJson, OpArg, ReduceArgs, SequentialOptions, SymbolicTensor } from './model/builder.js'
export { apply, functional, input, layer, layers, operation, ops, sequential } from './model/builder.js'
export { loadTfjsWeights, readJsonFile } from './cli/io.js'

// layer kinds
export type { BaseLayerSpec } from './layers/base.js'
export type { CompiledLayer, InferredLayer, LayerKind, SymbolicShape, WeightSpec } from './layers/LayerKind.js'
export { findLayerKind, LAYER_KINDS, UNRUNNABLE } from './model/registry.js'

// operation nodes (Keras 3's keras.src.ops.*)
export type { OperationSpec, OpModule } from './ops/OperationSpec.js'
export type { Bound, OpKernel, OpKind, Param, ParamRole } from './ops/OpKind.js'
export { findOpKind, isOperationModule, OP_KINDS, OP_MODULES } from './ops/registry.js'
export { broadcastShapes, broadcastSymbolic } from './ops/broadcast.js'

// training (issue 13): losses, optimizers and metrics as decoded specs; gradients; fit
export type { Batch, Scores, Trainer, TrainConfig, TrainerOptions, TrainState } from './train/Trainer.js'
export { compileTrainer } from './train/Trainer.js'
export type { Dataset, FitOptions, FitResult } from './train/fit.js'
export { evaluateDataset, fit } from './train/fit.js'
export type { RunMode, TrainGraph, TrainRun } from './train/TrainGraph.js'
export { compileTrainGraph } from './train/TrainGraph.js'
export type { LossClass, LossSpec, Reduction, ResolvedLossSpec } from './train/loss/LossSpec.js'
export { decodeLoss, encodeLoss, LOSS_CLASSES } from './train/loss/LossSpec.js'
export type { CompiledLoss, LossValue } from './train/loss/loss.js'
export { compileLoss } from './train/loss/loss.js'
export type { MetricClass, MetricSpec } from './train/metric/MetricSpec.js'
export { decodeMetric, decodeMetrics, METRIC_CLASSES, uniqueMetricNames } from './train/metric/MetricSpec.js'
export type { CompiledMetric, MetricUpdate } from './train/metric/metric.js'
export { compileMetric } from './train/metric/metric.js'
export type { OptimizerClass, OptimizerSpec } from './train/optimizer/OptimizerSpec.js'
export { decodeOptimizer, encodeOptimizer, OPTIMIZER_CLASSES } from './train/optimizer/OptimizerSpec.js'
export type { ScheduleSpec } from './train/optimizer/ScheduleSpec.js'
export { learningRateAt, scheduleCodec } from './train/optimizer/ScheduleSpec.js'
export type { OptimizerState } from './train/optimizer/optimizer.js'
export { applyGradients, initOptimizer, learningRateOf } from './train/optimizer/optimizer.js'

// exporting (issue 13): Keras JSON, and TensorFlow.js model.json + .bin that tfjs-layers loads
export type { KerasJsonOptions, KerasModelJson, TfjsArtifacts, TfjsExportOptions, TfjsModelJson, TfjsWeightEntry } from './model/exportModel.js'
export { toKerasJson, toTfjsArtifacts, toTfjsTopology, withLayerNames } from './model/exportModel.js'
export type { WrittenTfjsModel } from './cli/writeModel.js'
export { writeTfjsModel } from './cli/writeModel.js'
