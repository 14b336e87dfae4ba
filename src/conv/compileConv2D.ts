/**
 * `compileConv2D`: spec + input shape → {@link CompiledConv2D}. Geometry, weight shapes, initializer
 * and constraint applicability and the kernel choice are all settled here, once; the returned
 * functions only check their arguments' shapes (O(rank)) and compute.
 */
import * as E from 'fp-ts/lib/Either.js'
import { deepFreeze } from '../core/deepFreeze.js'
import { formatErrors, specError, type SpecError } from '../core/SpecError.js'
import { tensorProblems, type Tensor } from '../core/Tensor.js'
import type { Conv2DSpec } from './Conv2DSpec.js'
import { computeGeometry, type ConvGeometry } from '../geometry/ConvGeometry.js'
import { KERNEL_NAMES, type KernelName } from '../kernel/ConvKernel.js'
import { allocateForOverwrite } from '../kernel/alloc.js'
import { paddingOutOfProportion, prepareKernel, selectKernel } from '../kernel/prepare.js'
import { availableCores, THREADS_AVAILABLE } from '../kernel/threads.js'
import { applyActivation } from '../numerics/activations.js'
import { applyConstraint, constraintProblem } from '../numerics/constraints.js'
import { allocate, type FloatArray, type FloatDType } from '../numerics/FloatArray.js'
import { initializerProblem, sampleInitializer } from '../numerics/initializers.js'
import { deriveSeed } from '../numerics/random.js'
import { activityPenalty, penalty } from '../numerics/regularizers.js'
import type { CompileOptions, CompiledConv2D, Conv2DParams, WeightShapes } from './CompiledConv2D.js'
import { describe, quote } from '../core/describe.js'

/** Problems with the compile options (kernel, backend, threads). */
const optionProblems = (options: CompileOptions): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  const k: unknown = options.kernel
  if (k !== undefined && k !== 'auto' && !KERNEL_NAMES.includes(k as KernelName)) {
    errors.push(specError('options.kernel', `expected "auto" or one of ${KERNEL_NAMES.map((n) => `"${n}"`).join(', ')}, found ${describe(k)}`))
  }
  const b: unknown = options.backend
  if (b !== undefined && b !== 'auto' && b !== 'js' && b !== 'wasm') {
    errors.push(specError('options.backend', `expected "js", "wasm" or "auto", found ${describe(b)}`))
  }
  const t: unknown = options.threads
  if (t !== undefined && t !== 'auto' && !(typeof t === 'number' && Number.isSafeInteger(t) && t >= 1 && t <= 64)) {
    errors.push(specError('options.threads', `expected "auto" or an integer from 1 to 64, found ${describe(t)}`))
  }
  return errors
}

/** Threads a layer may use: `options.threads` (1 by default, `'auto'` = the cores available), 1 without worker threads. */
const resolveThreads = (t: CompileOptions['threads']): number => {
  if (!THREADS_AVAILABLE) return 1
  return t === 'auto' ? availableCores() : (t ?? 1)
}

/** Spec-level problems only visible once weight shapes are known. */
const specProblems = (spec: Conv2DSpec, shapes: WeightShapes): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  if (spec.dtype !== 'float32' && spec.dtype !== 'float64') {
    errors.push(
      specError(
        'dtype',
        `expected dtype "float32" or "float64" (the typed arrays layerspec computes with), found "${spec.dtype}"`
      )
    )
  }
  if (spec.loraRank !== null) {
    errors.push(
      specError(
        'lora_rank',
        `LoRA-enabled layers (lora_rank ${spec.loraRank}) carry extra lora_kernel_a/lora_kernel_b weights that layerspec does not run; merge the LoRA weights into the kernel and save without lora_rank`
      )
    )
  }
  const weights: ReadonlyArray<readonly [string, Conv2DSpec['kernelInitializer'], ReadonlyArray<number> | undefined]> = [
    ['kernel_initializer', spec.kernelInitializer, shapes.kernel],
    ['bias_initializer', spec.biasInitializer, shapes.bias]
  ]
  for (const [path, init, shape] of weights) {
    if (shape === undefined) continue
    const problem = initializerProblem(init, shape)
    if (problem !== undefined) errors.push(specError(path, problem))
  }
  const constraints: ReadonlyArray<readonly [string, Conv2DSpec['kernelConstraint'], ReadonlyArray<number> | undefined]> = [
    ['kernel_constraint', spec.kernelConstraint, shapes.kernel],
    ['bias_constraint', spec.biasConstraint, shapes.bias]
  ]
  for (const [path, c, shape] of constraints) {
    if (c === null || shape === undefined) continue
    const problem = constraintProblem(c, shape)
    if (problem !== undefined) errors.push(specError(path, problem))
  }
  return errors
}

/** Adds the bias along the channel axis of a `[batch, ...outputShape]` buffer, in place. */
const addBias = (g: ConvGeometry, batch: number, out: FloatArray, bias: FloatArray): void => {
  const F = g.outChannels
  if (g.dataFormat === 'channels_last') {
    for (let o = 0; o < out.length; o += F) {
      for (let f = 0; f < F; f++) out[o + f]! += bias[f]!
    }
    return
  }
  const plane = g.outHeight * g.outWidth
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < F; f++) {
      const b = bias[f]!
      const base = (n * F + f) * plane
      for (let p = 0; p < plane; p++) out[base + p]! += b
    }
  }
}

/**
 * Compiles a spec for an input shape (no batch axis, data format order; defaults to the spec's own
 * `inputShape`, which must then be fully known). Returns every problem found, with paths: the input
 * shape's (`inputShape[1]`) or the spec's (`dtype`, `kernel_initializer`, …).
 * @category compile
 * @example
 * pipe(decodeConv2D(json), E.chain((spec) => compileConv2D(spec, [28, 28, 1])))
 */
export const compileConv2D = (
  spec: Conv2DSpec,
  inputShape?: ReadonlyArray<number>,
  options: CompileOptions = {}
): E.Either<ReadonlyArray<SpecError>, CompiledConv2D> => {
  const shapeArg: unknown = inputShape ?? spec.inputShape ?? undefined
  if (shapeArg === undefined) {
    return E.left([specError('inputShape', 'expected an input shape (the spec has no input_shape / batch_input_shape to fall back on)')])
  }
  if (inputShape !== undefined && spec.inputShape !== null && Array.isArray(inputShape)) {
    const declared = spec.inputShape
    const clash = declared.some((d, i) => d !== null && inputShape[i] !== d)
    if (clash || inputShape.length !== 3) {
      return E.left([
        specError(
          'inputShape',
          `input shape ${quote(inputShape)} disagrees with the shape the spec declares (batch_input_shape / input_shape) ${quote(declared)}`
        )
      ])
    }
  }
  const badOptions = optionProblems(options)
  if (badOptions.length > 0) return E.left(badOptions)
  const geometryE = computeGeometry(spec, shapeArg)
  if (E.isLeft(geometryE)) return geometryE
  const g = geometryE.right
  const weightShapes: WeightShapes = spec.useBias ? { kernel: g.kernelShape, bias: [g.outChannels] } : { kernel: g.kernelShape }
  const problems = specProblems(spec, weightShapes)
  if (problems.length > 0) return E.left(problems)

  const dtype: FloatDType = spec.dtype === 'float64' ? 'float64' : 'float32'
  const requested: KernelName =
    options.kernel === undefined || options.kernel === 'auto' ? selectKernel(g, dtype, options.backend ?? 'auto') : options.kernel
  if (requested !== 'direct' && requested !== 'reference' && paddingOutOfProportion(g)) {
    // Automatic selection takes `direct` here; a kernel named by the caller is refused before it allocates.
    return E.left([
      specError(
        'options.kernel',
        `kernel "${requested}" reads a zero-padded copy of the input, which for this geometry (dilation ${quote([g.dilationHeight, g.dilationWidth])}, padding ${quote([g.padTop, g.padBottom, g.padLeft, g.padRight])}, input ${quote(g.inputShape)}) would be out of all proportion to the input and output; name "direct" or leave the kernel to "auto"`
      )
    ])
  }
  const kernel = prepareKernel(requested, g, { dtype, activation: spec.activation, threads: resolveThreads(options.threads) })
  const lastAxis = g.outputShape[2]
  const paramCount = g.kernelShape.reduce((a, b) => a * b, 1) + (spec.useBias ? g.outChannels : 0)

  const inputProblems = (params: Conv2DParams, x: Tensor): ReadonlyArray<SpecError> => {
    const errors: SpecError[] = [...tensorProblems(x, [null, ...g.inputShape], dtype, 'x')]
    if (typeof params !== 'object' || params === null) {
      errors.push(specError('params', `expected params { kernel, bias }, found ${describe(params)}`))
      return errors
    }
    errors.push(...tensorProblems(params.kernel, g.kernelShape, dtype, 'params.kernel'))
    if (spec.useBias) errors.push(...tensorProblems(params.bias, [g.outChannels], dtype, 'params.bias'))
    else if (params.bias !== undefined) {
      errors.push(specError('params.bias', 'expected no bias (the spec has use_bias false), found one'))
    }
    if (errors.length === 0) {
      const batch = x.shape[0] as number
      if (batch * g.outputSize > 2 ** 31 - 1) {
        errors.push(specError('x.shape[0]', `a batch of ${batch} gives ${batch * g.outputSize} output values, more than a typed array can hold; split the batch`))
      }
    }
    return errors
  }

  const compute = (params: Conv2DParams, x: Tensor): Tensor => {
    const batch = x.shape[0] as number
    // fast kernels write every output value (bias included): no need to zero the buffer first
    const out = kernel.fusesBias ? allocateForOverwrite(dtype, batch * g.outputSize) : allocate(dtype, batch * g.outputSize)
    kernel.run({ kernel: params.kernel.data, bias: params.bias?.data }, batch, x.data, out)
    if (!kernel.fusesBias && params.bias !== undefined) addBias(g, batch, out, params.bias.data)
    if (!kernel.fusesActivation) applyActivation(spec.activation, spec.dialect, out, lastAxis)
    return { shape: [batch, ...g.outputShape], data: out }
  }

  const forward = (params: Conv2DParams, x: Tensor): Tensor => {
    const errors = inputProblems(params, x)
    if (errors.length > 0) throw new TypeError(`Conv2D forward: ${formatErrors(errors)}`)
    return compute(params, x)
  }

  const run = (params: Conv2DParams, x: Tensor): E.Either<ReadonlyArray<SpecError>, Tensor> => {
    const errors = inputProblems(params, x)
    return errors.length > 0 ? E.left(errors) : E.right(compute(params, x))
  }

  const init = (seed: number): Conv2DParams => {
    if (!Number.isSafeInteger(seed)) throw new TypeError(`init: expected an integer seed, found ${String(seed)}`)
    const kernelT: Tensor = { shape: g.kernelShape, data: sampleInitializer(spec.kernelInitializer, g.kernelShape, dtype, deriveSeed(seed, 'kernel')) }
    if (!spec.useBias) return { kernel: kernelT }
    const biasShape = [g.outChannels]
    return { kernel: kernelT, bias: { shape: biasShape, data: sampleInitializer(spec.biasInitializer, biasShape, dtype, deriveSeed(seed, 'bias')) } }
  }

  const checkParams = (params: Conv2DParams, what: string): void => {
    const errors = [
      ...tensorProblems(params?.kernel, g.kernelShape, dtype, 'params.kernel'),
      ...(spec.useBias ? tensorProblems(params?.bias, [g.outChannels], dtype, 'params.bias') : [])
    ]
    if (errors.length > 0) throw new TypeError(`Conv2D ${what}: ${formatErrors(errors)}`)
  }

  const regularization = (params: Conv2DParams): number => {
    checkParams(params, 'regularization')
    let total = 0
    if (spec.kernelRegularizer !== null) total += penalty(spec.kernelRegularizer, params.kernel.data)
    if (spec.biasRegularizer !== null && params.bias !== undefined) total += penalty(spec.biasRegularizer, params.bias.data)
    return total
  }

  const activityRegularization = (y: Tensor): number => {
    const errors = tensorProblems(y, [null, ...g.outputShape], dtype, 'y')
    if (errors.length > 0) throw new TypeError(`Conv2D activityRegularization: ${formatErrors(errors)}`)
    return spec.activityRegularizer === null ? 0 : activityPenalty(spec.activityRegularizer, y.data, y.shape[0] as number)
  }

  const constrain = (params: Conv2DParams): Conv2DParams => {
    checkParams(params, 'constrain')
    const kc = spec.kernelConstraint
    const bc = spec.biasConstraint
    const kernelT: Tensor = kc === null ? params.kernel : { shape: g.kernelShape, data: applyConstraint(kc, params.kernel.data, g.kernelShape) }
    if (params.bias === undefined) return { kernel: kernelT }
    const biasT: Tensor = bc === null ? params.bias : { shape: [g.outChannels], data: applyConstraint(bc, params.bias.data, [g.outChannels]) }
    return { kernel: kernelT, bias: biasT }
  }

  return E.right(
    deepFreeze<CompiledConv2D>({
      spec,
      inputShape: g.inputShape,
      outputShape: g.outputShape,
      geometry: g,
      weightShapes,
      paramCount,
      dtype,
      kernel: kernel.name,
      backend: kernel.backend,
      threads: kernel.threads,
      dispose: kernel.dispose,
      forward,
      run,
      init,
      regularization,
      activityRegularization,
      constrain
    })
  )
}
