/**
 * `compileModel`: a model spec → pure `init` and `forward` over the graph in topological order. Every
 * layer is compiled once for its per-sample input shapes (Conv2D through `compileConv2D`); `forward`
 * checks its arguments' shapes (O(number of tensors)) and runs the steps.
 */
import * as E from 'fp-ts/lib/Either.js'
import { deepFreeze } from '../core/deepFreeze.js'
import { concatPaths, formatErrors, specError, type SpecError } from '../core/SpecError.js'
import { tensorFits, tensorProblems, type Tensor } from '../core/Tensor.js'
import type { CompiledLayer, SymbolicShape } from '../layers/LayerKind.js'
import { findLayerKind } from './registry.js'
import type { FloatDType } from '../numerics/FloatArray.js'
import { sampleInitializer } from '../numerics/initializers.js'
import { deriveSeed } from '../numerics/random.js'
import { entryLabel, inferModel, type ModelSummary, type ModelWeight } from './infer.js'
import type { AnyLayerSpec, ModelSpec, Operands, OperationSpec } from './ModelSpec.js'
import { isModelSpec, isOperation } from './ModelSpec.js'
import { bindOperands, type OpKernel } from '../ops/OpKind.js'
import { findOpKind } from '../ops/registry.js'
import { planOf, type TensorKey } from './plan.js'
import { describe, quote, quoteText } from '../core/describe.js'
import { compileGraph, type ModelPlan } from '../compiler/compile.js'
import { MAX_ELEMENTS } from '../geometry/ConvGeometry.js'

const sizeOfShape = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A model's weights: one tensor per entry of `CompiledModel.weights`, in that (Keras) order.
 * @category model
 */
export type ModelParams = ReadonlyArray<Tensor>

/**
 * Options for {@link compileModel}.
 * @category model
 */
export interface CompileModelOptions {
  /** Per-sample input shapes (no batch axis), overriding what the model declares, in input order. */
  readonly inputShapes?: ReadonlyArray<ReadonlyArray<number>>
  /** The typed array to compute in; default: float64 when every layer is float64, else float32. */
  readonly dtype?: FloatDType
  /**
   * The graph rewrites to apply (src/compiler/passes): `true` (default) every one, `false` none, or
   * the names of those to run. `plan.rewrites` lists where each fired.
   */
  readonly rewrites?: boolean | ReadonlyArray<string>
  /** Where kernels run: `auto` (default: WebAssembly SIMD where available), `wasm`, or `js` (plain TypeScript). */
  readonly backend?: 'js' | 'wasm' | 'auto'
  /** Threads large steps may split over (default 1). */
  readonly threads?: number
  /**
   * `fast` (default): each step runs the fastest kernel that covers it; `reference`: every step runs
   * the simple reference kernel (the layers' own arithmetic), to tell a kernel's rounding from a
   * rewrite's or to debug.
   */
  readonly kernels?: 'fast' | 'reference'
  /**
   * `true`: run the per-layer interpreter instead of the compiler — every layer's own compiled
   * forward, one after the other, each returning a fresh tensor. The oracle the compiler is tested
   * against; `plan` is then `null`.
   */
  readonly interpreter?: boolean
  /**
   * With `threads > 1`: `adaptive` (default) splits a forward's large steps over the worker pool or
   * keeps them on one thread, whichever its calls measure faster; `always` / `never` fix that choice
   * (to measure either way; the outputs are the same bit for bit).
   */
  readonly split?: 'adaptive' | 'always' | 'never'
}

/**
 * A compiled model. `forward(params, inputs)` takes one tensor per model input (`[batch, ...inputShape]`)
 * and returns one tensor per model output; it throws a `TypeError` naming expected vs found for bad
 * arguments, checked before any work.
 * @category model
 */
export interface CompiledModel {
  readonly model: ModelSpec
  readonly summary: ModelSummary
  readonly dtype: FloatDType
  /** Per-sample input and output shapes (no batch axis). */
  readonly inputShapes: ReadonlyArray<ReadonlyArray<number>>
  readonly outputShapes: ReadonlyArray<ReadonlyArray<number>>
  /** Every weight, in Keras's order; params are given in this order. */
  readonly weights: ReadonlyArray<ModelWeight>
  readonly init: (seed: number) => ModelParams
  readonly forward: (params: ModelParams, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
  readonly run: (params: ModelParams, inputs: ReadonlyArray<Tensor>) => E.Either<ReadonlyArray<SpecError>, ReadonlyArray<Tensor>>
  /** What the compiler did (rewrites, steps and kernels, memory), or `null` with `interpreter: true`. */
  readonly plan: ModelPlan | null
  /**
   * Runs one forward with a timer around each step: milliseconds per step of `plan.steps` (the
   * interpreter: per layer call, unnamed). Arguments are checked as `forward` checks them.
   */
  readonly profile: (params: ModelParams, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<{ readonly step: string; readonly kernel: string; readonly ms: number }>
}

type Result<A> = E.Either<ReadonlyArray<SpecError>, A>

/** A compiled call: a layer, or a nested model, and the slice of the params it reads. */
interface CompiledStep {
  readonly run: (params: ModelParams, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
  readonly outputShapes: ReadonlyArray<ReadonlyArray<number>>
}

// -------------------------------------------------------------------------------------
// compile
// -------------------------------------------------------------------------------------

const FLOAT_DTYPES = new Set(['float32', 'float64'])

const allLayerSpecs = (model: ModelSpec): ReadonlyArray<AnyLayerSpec> => {
  const own = model.className === 'Sequential' ? model.layers : model.layers.map((l) => l.spec)
  return own.flatMap((s) => (isModelSpec(s) ? [s, ...allLayerSpecs(s)] : [s]))
}

const chooseDtype = (model: ModelSpec, requested: FloatDType | undefined): Result<FloatDType> => {
  // An operation computes in its inputs' dtype: it has no policy of its own to weigh.
  const layers = allLayerSpecs(model).filter((l) => !isOperation(l))
  const odd = layers.filter((l) => !FLOAT_DTYPES.has(l.dtype))
  if (odd.length > 0 && requested === undefined) {
    return E.left(
      odd.map((l) =>
        specError('', `layer ${quoteText(l.name ?? '')} has dtype "${l.dtype}", which layerspec cannot compute in (no typed array); give a dtype, "float32" or "float64", to compute the whole model in`)
      )
    )
  }
  if (requested !== undefined) return E.right(requested)
  return E.right(layers.every((l) => l.dtype === 'float64') ? 'float64' : 'float32')
}

/** Compiles one call of an operation for its tensors' per-sample shapes (paths relative to the entry). */
const compileOperation = (spec: OperationSpec, operands: Operands | undefined, node: number, inputs: ReadonlyArray<ReadonlyArray<number>>, dtype: FloatDType): Result<CompiledStep> => {
  const kind = findOpKind(spec.module, spec.className)
  if (kind === undefined || operands === undefined) return E.left([specError('class_name', `no operation ${quoteText(spec.className)} of ${quoteText(spec.module)} with its arguments`)])
  const bound = bindOperands(kind, operands, inputs, `inbound_nodes[${node}]`)
  if (E.isLeft(bound)) return bound
  return E.map((k: OpKernel): CompiledStep => ({ outputShapes: [k.outputShape], run: (_params, xs) => [k.run(xs)] }))(kind.compile(spec.args, bound.right, { dtype }))
}

/** Compiles one layer call; `offset` is where its weights start in the params. */
const compileCall = (
  spec: AnyLayerSpec,
  inputs: ReadonlyArray<ReadonlyArray<number>>,
  offset: number,
  weightCount: number,
  dtype: FloatDType
): Result<CompiledStep> => {
  if (isModelSpec(spec)) {
    const nested = compileInner(spec, inputs, dtype)
    return E.map((m: Inner): CompiledStep => ({
      outputShapes: m.outputShapes,
      run: (params, xs) => m.run(params.slice(offset, offset + weightCount), xs)
    }))(nested)
  }
  const kind = findLayerKind(spec.className)
  if (kind === undefined) return E.left([specError('', `no layer kind for class ${spec.className}`)])
  return E.map((layer: CompiledLayer): CompiledStep => ({
    outputShapes: [layer.outputShape],
    run: (params, xs) => [layer.forward(params.slice(offset, offset + weightCount), xs)]
  }))(kind.compile(spec, inputs, { dtype }))
}

interface Inner {
  readonly summary: ModelSummary
  readonly outputShapes: ReadonlyArray<ReadonlyArray<number>>
  readonly inputShapes: ReadonlyArray<ReadonlyArray<number>>
  readonly run: (params: ModelParams, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>
}

const knownShape = (shape: SymbolicShape, what: string, path: string): Result<ReadonlyArray<number>> =>
  shape.slice(1).every((d) => d !== null)
    ? E.right(shape.slice(1) as ReadonlyArray<number>)
    : E.left([specError(path, `${what} has unknown dimensions ${quote(shape)}; give the per-sample input shape to compile (the CLI's --input-shape)`)])

const compileInner = (model: ModelSpec, inputShapes: ReadonlyArray<ReadonlyArray<number>> | undefined, dtype: FloatDType): Result<Inner> => {
  const summaryE = inferModel(model, inputShapes === undefined ? {} : { inputShapes: inputShapes.map((s) => [null, ...s]) })
  if (E.isLeft(summaryE)) return summaryE
  const summary = summaryE.right
  const plan = planOf(model)
  const errors: SpecError[] = []
  const ins: Array<ReadonlyArray<number>> = []
  summary.inputShapes.forEach((s, i) => {
    const k = knownShape(s, `input ${i}`, '')
    if (E.isLeft(k)) errors.push(...k.left)
    else ins.push(k.right)
  })
  // Weights too large for a typed array: rejected here, before `init` or a weight loader allocates them.
  summary.weights.forEach((w) => {
    if (sizeOfShape(w.shape) > MAX_ELEMENTS) {
      errors.push(specError('', `weight ${quoteText(w.path)} ${quote(w.shape)} has ${sizeOfShape(w.shape)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
    }
  })
  if (errors.length > 0) return E.left(errors)

  // Where each layer's weights start in the params.
  const layerList = model.className === 'Sequential' ? model.layers : model.layers.map((l) => l.spec)
  const offsets: number[] = []
  const counts: number[] = []
  let offset = 0
  layerList.forEach((spec, i) => {
    const name = spec.name ?? `#${i}`
    const count = summary.weights.filter((w) => w.path === name || w.path.startsWith(`${name}/`)).length
    offsets.push(offset)
    counts.push(count)
    offset += count
  })

  const shapes = new Map<TensorKey, ReadonlyArray<number>>()
  plan.inputs.forEach((input, i) => shapes.set(input.key, ins[i] as ReadonlyArray<number>))
  const steps: Array<{ readonly step: CompiledStep; readonly inputs: ReadonlyArray<TensorKey>; readonly outputs: ReadonlyArray<TensorKey> }> = []
  for (const step of plan.steps) {
    const stepIns = step.inputs.map((k) => shapes.get(k))
    if (stepIns.some((s) => s === undefined)) continue
    const operation = isOperation(step.spec)
    const c = isOperation(step.spec)
      ? compileOperation(step.spec, step.operands, step.node, stepIns as ReadonlyArray<ReadonlyArray<number>>, dtype)
      : compileCall(step.spec, stepIns as ReadonlyArray<ReadonlyArray<number>>, offsets[step.layerIndex] ?? 0, counts[step.layerIndex] ?? 0, dtype)
    const label = entryLabel(step.spec, step.spec.name ?? '')
    if (E.isLeft(c)) {
      // A layer's errors are relative to its config; an operation's to its entry (config or node).
      errors.push(...c.left.map((e) => ({ path: concatPaths(step.path, e.path === '' || operation ? e.path : concatPaths('config', e.path)), message: `${label}: ${e.message}` })))
      continue
    }
    // No layer kind may leave an output a typed array cannot hold for the forward pass to fail on.
    const huge = c.right.outputShapes.find((s) => sizeOfShape(s) > MAX_ELEMENTS)
    if (huge !== undefined) {
      errors.push(specError(step.path, `${label}: one sample's output ${quote(huge)} has ${sizeOfShape(huge)} elements, more than a typed array can hold (at most ${MAX_ELEMENTS})`))
      continue
    }
    c.right.outputShapes.forEach((s, t) => shapes.set(step.outputs[t] as TensorKey, s))
    steps.push({ step: c.right, inputs: step.inputs, outputs: step.outputs })
  }
  if (errors.length > 0) return E.left(errors)
  const outputShapes = plan.outputs.map((k) => shapes.get(k) ?? [])
  const run = (params: ModelParams, inputs: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> => {
    const values = new Map<TensorKey, Tensor>()
    plan.inputs.forEach((input, i) => values.set(input.key, inputs[i] as Tensor))
    for (const s of steps) {
      const outs = s.step.run(params, s.inputs.map((k) => values.get(k) as Tensor))
      outs.forEach((t, i) => values.set(s.outputs[i] as TensorKey, t))
    }
    return plan.outputs.map((k) => values.get(k) as Tensor)
  }
  return E.right({ summary, outputShapes, inputShapes: ins, run })
}

/**
 * Compiles a model: shapes are inferred and every layer compiled once. Returns every problem found,
 * with paths relative to the model's config.
 * @category compile
 */
export const compileModel = (model: ModelSpec, options: CompileModelOptions = {}): Result<CompiledModel> => {
  const dtypeE = chooseDtype(model, options.dtype)
  if (E.isLeft(dtypeE)) return dtypeE
  const dtype = dtypeE.right
  const threads = options.threads ?? 1
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64) {
    return E.left([specError('options.threads', `expected an integer from 1 to 64, found ${quote(options.threads)}`)])
  }
  const backend: unknown = options.backend ?? 'auto'
  if (backend !== 'auto' && backend !== 'js' && backend !== 'wasm') {
    return E.left([specError('options.backend', `expected "js", "wasm" or "auto", found ${quote(options.backend)}`)])
  }
  const split: unknown = options.split ?? 'adaptive'
  if (split !== 'adaptive' && split !== 'always' && split !== 'never') {
    return E.left([specError('options.split', `expected "adaptive", "always" or "never", found ${quote(options.split)}`)])
  }
  let inner: Inner
  let plan: ModelPlan | null = null
  let profileSteps: ((params: ModelParams, inputs: ReadonlyArray<Tensor>) => ReadonlyArray<{ readonly step: string; readonly kernel: string; readonly ms: number }>) | undefined
  if (options.interpreter === true) {
    const innerE = compileInner(model, options.inputShapes, dtype)
    if (E.isLeft(innerE)) return innerE
    inner = innerE.right
  } else {
    const summaryE = inferModel(model, options.inputShapes === undefined ? {} : { inputShapes: options.inputShapes.map((s) => [null, ...s]) })
    if (E.isLeft(summaryE)) return summaryE
    const kernels: unknown = options.kernels ?? 'fast'
    if (kernels !== 'fast' && kernels !== 'reference') {
      return E.left([specError('options.kernels', `expected "fast" or "reference", found ${quote(options.kernels)}`)])
    }
    const compiledE = compileGraph(model, options.inputShapes, dtype, { rewrites: options.rewrites ?? true, backend, threads, kernels, split })
    if (E.isLeft(compiledE)) return compiledE
    const g = compiledE.right
    plan = g.plan
    inner = {
      summary: summaryE.right,
      inputShapes: g.graph.inputs.map((v) => g.graph.values[v]?.shape ?? []),
      outputShapes: g.graph.outputs.map((v) => g.graph.values[v]?.shape ?? []),
      run: g.forward
    }
    const steps = g.plan.steps
    profileSteps = (params, inputs) => g.profile(params, inputs, () => performance.now()).map((ms, i) => ({ step: steps[i]?.name ?? '', kernel: steps[i]?.kernel ?? '', ms }))
  }
  const weights = inner.summary.weights

  /** Per-input expected shapes (batch axis free), made once. */
  const inputShapes = inner.inputShapes.map((s) => [null, ...s])
  const outSize = inner.outputShapes.reduce((m, s) => Math.max(m, sizeOfShape(s)), 0)
  /** Whether a call's arguments are all fine, allocating nothing (every call makes this check). */
  const fits = (params: ModelParams, inputs: ReadonlyArray<Tensor>): boolean => {
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length !== inputShapes.length || !Array.isArray(params) || params.length !== weights.length) return false
    for (let i = 0; i < inputs.length; i++) if (!tensorFits(inputs[i], inputShapes[i] as ReadonlyArray<number | null>, dtype)) return false
    const batch = (inputs[0] as Tensor).shape[0] as number
    for (let i = 1; i < inputs.length; i++) if ((inputs[i] as Tensor).shape[0] !== batch) return false
    if (batch * outSize > MAX_ELEMENTS) return false
    for (let i = 0; i < weights.length; i++) if (!tensorFits(params[i], (weights[i] as { readonly shape: ReadonlyArray<number> }).shape, dtype)) return false
    return true
  }
  const NONE: ReadonlyArray<SpecError> = []
  const problems = (params: ModelParams, inputs: ReadonlyArray<Tensor>): ReadonlyArray<SpecError> => {
    if (fits(params, inputs)) return NONE
    const errors: SpecError[] = []
    if (!Array.isArray(inputs) || inputs.length !== inner.inputShapes.length) {
      return [specError('inputs', `expected a list of ${inner.inputShapes.length} input tensor(s), found ${Array.isArray(inputs) ? `${inputs.length}` : describe(inputs)}`)]
    }
    inputs.forEach((x, i) => errors.push(...tensorProblems(x, inputShapes[i] ?? [null], dtype, `inputs[${i}]`)))
    if (errors.length === 0) {
      const batch = inputs[0]?.shape[0]
      inputs.forEach((x, i) => {
        if (x.shape[0] !== batch) errors.push(specError(`inputs[${i}].shape[0]`, `expected the batch size of inputs[0], ${String(batch)}, found ${String(x.shape[0])}`))
      })
      if (typeof batch === 'number' && batch * outSize > MAX_ELEMENTS) {
        errors.push(specError('inputs[0].shape[0]', `a batch of ${batch} gives an output of ${batch * outSize} values, more than a typed array can hold; split the batch`))
      }
    }
    if (!Array.isArray(params) || params.length !== weights.length) {
      errors.push(specError('params', `expected ${weights.length} weight tensors (CompiledModel.weights order), found ${Array.isArray(params) ? params.length : describe(params)}`))
      return errors
    }
    weights.forEach((w, i) => errors.push(...tensorProblems(params[i], w.shape, dtype, `params[${i}] (${w.path})`)))
    return errors
  }

  const forward = (params: ModelParams, inputs: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> => {
    const errors = problems(params, inputs)
    if (errors.length > 0) throw new TypeError(`model forward: ${formatErrors(errors)}`)
    return inner.run(params, inputs)
  }
  const run = (params: ModelParams, inputs: ReadonlyArray<Tensor>): Result<ReadonlyArray<Tensor>> => {
    const errors = problems(params, inputs)
    return errors.length > 0 ? E.left(errors) : E.right(inner.run(params, inputs))
  }
  const profile = (params: ModelParams, inputs: ReadonlyArray<Tensor>): ReadonlyArray<{ readonly step: string; readonly kernel: string; readonly ms: number }> => {
    const errors = problems(params, inputs)
    if (errors.length > 0) throw new TypeError(`model profile: ${formatErrors(errors)}`)
    if (profileSteps !== undefined) return profileSteps(params, inputs)
    const t0 = performance.now()
    inner.run(params, inputs)
    return [{ step: '(interpreter)', kernel: 'interpreter', ms: performance.now() - t0 }]
  }
  const init = (seed: number): ModelParams => {
    if (!Number.isSafeInteger(seed)) throw new TypeError(`init: expected an integer seed, found ${String(seed)}`)
    return weights.map((w) => ({ shape: w.shape, data: sampleInitializer(w.initializer, w.shape, dtype, deriveSeed(seed, w.path)) }))
  }
  return E.right(
    deepFreeze<CompiledModel>({
      model,
      summary: inner.summary,
      dtype,
      inputShapes: inner.inputShapes,
      outputShapes: inner.outputShapes,
      weights,
      init,
      forward,
      run,
      plan,
      profile
    })
  )
}
