/**
 * BatchNormalization at inference: `y = gamma · (x − moving_mean) / √(moving_variance + epsilon) + beta`
 * along the normalized axis (or axes).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, isPlainObject, quote } from '../../core/describe.js'
import { optional, type DecodedOf, type Rule } from '../../core/KerasObject.js'
import { Bool, FiniteNumber, NonNegativeNumber, nullOr } from '../../core/primitives.js'
import { specError, type SpecError } from '../../core/SpecError.js'
import type { Tensor } from '../../core/Tensor.js'
import { constraintCodec, type Constraint } from '../../codec/Constraint.js'
import type { Dialect } from '../../codec/Dialect.js'
import { initializerCodec, zeros, type Initializer } from '../../codec/Initializer.js'
import { showShape } from '../../codec/InputShape.js'
import { regularizerCodec, type Regularizer } from '../../codec/Regularizer.js'
import { allocate } from '../../numerics/FloatArray.js'
import { initializerProblem } from '../../numerics/initializers.js'
import { nameTable, ownValue, type NameTable } from '../../core/NameTable.js'
import type { BaseLayerSpec, Bookkeeping } from '../base.js'
import type { LayerKind, SymbolicShape, WeightSpec } from '../LayerKind.js'
import { singleInput } from '../shapes.js'
import { layerCodec } from '../simple.js'
import { AxisList, normalizeAxes, onlyOff, productOf } from './common.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A normalized BatchNormalization layer.
 * @category model
 */
export interface BatchNormalizationSpec extends BaseLayerSpec {
  readonly className: 'BatchNormalization'
  /** The normalized axes (batch axis 0; negative from the end; `-1` and `[-1]` are the same). */
  readonly axis: ReadonlyArray<number>
  readonly momentum: number
  readonly epsilon: number
  /** Whether `beta` exists and is added. */
  readonly center: boolean
  /** Whether `gamma` exists and multiplies. */
  readonly scale: boolean
  readonly betaInitializer: Initializer
  readonly gammaInitializer: Initializer
  readonly movingMeanInitializer: Initializer
  readonly movingVarianceInitializer: Initializer
  readonly betaRegularizer: Regularizer | null
  readonly gammaRegularizer: Regularizer | null
  readonly betaConstraint: Constraint | null
  readonly gammaConstraint: Constraint | null
  readonly synchronized: boolean
  /** tf.keras 2.x's `fused` (`null` = use the fused kernel when possible); `null` for Keras 3. */
  readonly fused: boolean | null
  /**
   * Batch renormalization (`renorm`, tf.keras 2.x and Keras 3.15): training-only corrections of the
   * batch statistics toward moving ones. It adds three non-trainable weights (`moving_stddev`,
   * `renorm_mean`, `renorm_stddev`) after `moving_variance`; inference still uses `moving_mean` and
   * `moving_variance`, unchanged. layerspec records it and its arguments; it has no training yet.
   */
  readonly renorm: boolean
  /**
   * `renorm_clipping`: the bounds of the corrections (`null` for none, as `{}`); absent keys are `null`.
   * Without renorm it is not read, and always `null` here.
   */
  readonly renormClipping: RenormClippingSpec | null
  /** `renorm_momentum` (default 0.99); without renorm it is not read, and always 0.99 here. */
  readonly renormMomentum: number
}

/**
 * The bounds of batch renormalization's corrections `r ∈ [rmin, rmax]`, `d ∈ [−dmax, dmax]` (a `null`
 * bound is not applied).
 * @category model
 */
export interface RenormClippingSpec {
  readonly rmax: number | null
  readonly rmin: number | null
  readonly dmax: number | null
}

/**
 * TensorFlow's fused batch norm raises `epsilon` to at least this (a cuDNN requirement).
 * @category constants
 */
export const FUSED_MIN_EPSILON = 1.001e-5

const ones: Initializer = { kind: 'constant', value: 1 }

/** `renorm_momentum`'s default. */
const RENORM_MOMENTUM = 0.99

// -------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------

const CLIPPING_KEYS = ['rmax', 'rmin', 'dmax'] as const

/**
 * `renorm_clipping`: `null` or a dict whose keys are among `rmax`, `rmin`, `dmax` (Keras raises on any
 * other key when `renorm` is on), each a finite number or null. `{}` and `null` mean no clipping and
 * decode alike. Checked whether or not `renorm` is on (Keras only reads it with renorm).
 */
const RenormClipping = new t.Type<RenormClippingSpec | null, Record<string, number | null> | null, unknown>(
  'null or a dict with keys rmax, rmin, dmax',
  (u): u is RenormClippingSpec | null =>
    u === null || (isPlainObject(u) && CLIPPING_KEYS.every((k) => u[k] === null || FiniteNumber.is(u[k])) && Object.keys(u).length === 3),
  (u, c) => {
    if (u === null) return t.success(null)
    if (!isPlainObject(u)) return t.failure(u, c, `expected null or a dict with keys rmax, rmin, dmax, found ${describe(u)}`)
    const errors: t.ValidationError[] = []
    for (const k of Object.keys(u)) {
      if (!(CLIPPING_KEYS as ReadonlyArray<string>).includes(k)) {
        errors.push({ value: u[k], context: t.appendContext(c, k, t.never, u[k]), message: `unknown renorm_clipping key ${quote(k)}; expected rmax, rmin and dmax (Keras raises "Received invalid keys for \`renorm_clipping\`")` })
      }
    }
    const out: Record<string, number | null> = {}
    for (const k of CLIPPING_KEYS) {
      const v = ownValue(u, k)
      if (v === undefined || v === null) out[k] = null
      else if (FiniteNumber.is(v)) out[k] = v === 0 ? 0 : v
      else errors.push({ value: v, context: t.appendContext(c, k, t.never, v), message: `expected ${k} to be a finite number or null, found ${describe(v)}` })
    }
    if (errors.length > 0) return t.failures(errors)
    return t.success(out['rmax'] === null && out['rmin'] === null && out['dmax'] === null ? null : (out as unknown as RenormClippingSpec))
  },
  (a) => (a === null ? null : { rmax: a.rmax, rmin: a.rmin, dmax: a.dmax })
)

/** Axis values `_raise_if_fused_cannot_be_used` accepts when tf.keras constructs the layer. */
const FUSABLE_AXES: ReadonlyArray<number> = [-4, -3, -1, 1, 3, 4]

const fusedInitProblem = (c: { readonly axis: ReadonlyArray<number>; readonly dtype: string; readonly synchronized: boolean }): string | undefined => {
  if (c.synchronized) return '`fused=True` is not supported when `synchronized=True`'
  if (c.axis.length > 1 || !FUSABLE_AXES.includes(c.axis[0] as number)) {
    return `fused=True is only supported when axis is 1 or 3 for input rank 4, or 1 or 4 for input rank 5; found axis ${quote(c.axis)}`
  }
  if (c.dtype === 'float64') return 'fused=True is only supported for a float16, bfloat16 or float32 compute dtype; found dtype float64'
  return undefined
}

const fields = (dialect: Dialect) =>
  ({
    axis: optional(AxisList, [-1]),
    momentum: optional(FiniteNumber, 0.99),
    epsilon: optional(NonNegativeNumber, 1e-3),
    center: optional(Bool, true),
    scale: optional(Bool, true),
    beta_initializer: optional(initializerCodec(dialect), zeros),
    gamma_initializer: optional(initializerCodec(dialect), ones),
    moving_mean_initializer: optional(initializerCodec(dialect), zeros),
    moving_variance_initializer: optional(initializerCodec(dialect), ones),
    beta_regularizer: optional(regularizerCodec(dialect), null),
    gamma_regularizer: optional(regularizerCodec(dialect), null),
    beta_constraint: optional(constraintCodec(dialect), null),
    gamma_constraint: optional(constraintCodec(dialect), null),
    synchronized: optional(Bool, false),
    renorm: optional(Bool, false),
    renorm_clipping: optional(RenormClipping, null),
    renorm_momentum: optional(FiniteNumber, RENORM_MOMENTUM)
  }) as const

const keras2Fields = () =>
  ({
    fused: optional(nullOr(Bool), null),
    virtual_batch_size: optional(
      onlyOff('null', [null], 'ghost batch normalization (virtual_batch_size) gives the weights an extra axis, which layerspec does not support'),
      null
    ),
    adjustment: optional(onlyOff('null', [null], 'adjustment is a Python function (Keras never serializes it)'), null)
  }) as const

type Decoded = DecodedOf<ReturnType<typeof fields>> & {
  readonly fused?: boolean | null
} & Bookkeeping

const KERAS3_ONLY_TF2: Readonly<Record<string, string>> = Object.fromEntries(
  ['fused', 'virtual_batch_size', 'adjustment'].map((k) => [
    k,
    `${k} is a tf.keras 2.x BatchNormalization argument; Keras 3's BatchNormalization has none`
  ])
)

/** Keras 3 checks the clipping bounds when renorm is on (tf.keras 2.x only checks the keys). */
const clippingRule: Rule<Decoded> = {
  keys: ['renorm', 'renorm_clipping'],
  check: (c) => {
    const k = c.renorm_clipping
    if (!c.renorm || k === null) return undefined
    if (k.rmax !== null && k.rmin !== null && k.rmax < k.rmin) {
      return { key: 'renorm_clipping', message: `rmax should be greater than rmin in renorm_clipping, found rmax ${k.rmax} < rmin ${k.rmin} (Keras 3 raises)` }
    }
    if (k.dmax !== null && k.dmax < 0) return { key: 'renorm_clipping', message: `dmax should be non-negative in renorm_clipping, found ${k.dmax} (Keras 3 raises)` }
    return undefined
  }
}

const rules = (dialect: Dialect): ReadonlyArray<Rule<Decoded>> =>
  dialect === 'keras3'
    ? [
        {
          keys: ['axis'],
          check: (c) =>
            c.axis.length > 1
              ? { key: 'axis', message: `Keras 3's BatchNormalization normalizes one axis (it calls int(axis)), found ${quote(c.axis)}` }
              : undefined
        },
        clippingRule
      ]
    : [
        {
          keys: ['fused', 'axis', 'dtype', 'synchronized', 'renorm'] as never,
          check: (c) => {
            if (c.fused !== true) return undefined
            const problem = c.renorm ? 'Passing both `fused=True` and `renorm=True` is not supported (tf.keras raises)' : fusedInitProblem(c)
            return problem === undefined ? undefined : { key: 'fused', message: problem }
          }
        }
      ]

// -------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------

/** See {@link batchNormLayout}. */
export interface Resolved {
  /** Normalized axes, ascending. */
  readonly axes: ReadonlyArray<number>
  readonly paramShape: ReadonlyArray<number>
  /** Whether tf.keras runs TensorFlow's fused kernel, which raises epsilon to 1.001e-5. */
  readonly fused: boolean
}

/**
 * tf.keras 2.x's choice of the fused kernel in `build`: with `fused` null or true (and the
 * constructor's checks passed), rank 4 with axis 1 or 3 and rank 5 with axis 1 or 4 are fused; other
 * rank-5 axes fall back; another rank-4 axis is an error ("Unsupported axis"), and so is `fused=True`
 * on a rank other than 4 or 5.
 */
const resolveFused = (spec: BatchNormalizationSpec, axes: ReadonlyArray<number>, rank: number, input: SymbolicShape): E.Either<SpecError, boolean> => {
  // The fused kernel has no batch renormalization: tf.keras never uses it with renorm.
  if (spec.dialect !== 'keras2' || spec.fused === false || spec.renorm) return E.right(false)
  if (fusedInitProblem({ axis: spec.axis, dtype: spec.dtype, synchronized: spec.synchronized }) !== undefined) return E.right(false)
  const a = axes[0] as number
  if (rank === 4) {
    if (a === 1 || a === 3) return E.right(true)
    return E.left(specError('axis', `the fused BatchNormalization kernel (tf.keras's choice for rank-4 inputs) supports axis 1 or 3 only; axis ${quote(spec.axis)} is axis ${a} of input ${showShape(input)}; set fused to false`))
  }
  if (rank === 5) return E.right(a === 1 || a === 4)
  if (spec.fused === true) {
    return E.left(specError('fused', `fused=True only supports inputs of rank 4 or 5 (batch axis included), found rank ${rank}: ${showShape(input)}`))
  }
  return E.right(false)
}

const resolve = (spec: BatchNormalizationSpec, input: SymbolicShape): E.Either<ReadonlyArray<SpecError>, Resolved> =>
  pipe(
    normalizeAxes(spec.axis, input, 'axis', 'BatchNormalization'),
    E.chain((axes) => {
      const errors: SpecError[] = []
      const sortedAxes = [...axes].sort((a, b) => a - b)
      for (const a of sortedAxes) {
        if (input[a] === null || input[a] === undefined) {
          errors.push(specError('', `BatchNormalization needs the size of its normalized axis ${a} to be known, found input ${showShape(input)}`))
        }
      }
      const fused = resolveFused(spec, sortedAxes, input.length, input)
      if (E.isLeft(fused)) errors.push(fused.left)
      if (errors.length > 0 || E.isLeft(fused)) return E.left(errors)
      const paramShape = sortedAxes.length === 1 ? [input[sortedAxes[0] as number] as number] : input.map((d, i) => (sortedAxes.includes(i) ? (d as number) : 1))
      return E.right({ axes: sortedAxes, paramShape, fused: fused.right })
    })
  )

/**
 * How the layer normalizes an input of per-sample shape `perSample`: the normalized axes (of the input
 * with its batch axis, ascending), the weights' shape, and whether tf.keras runs its fused kernel
 * (which raises epsilon and keeps an unbiased moving variance in training); `undefined` when the
 * layer does not compile for that shape. Training reads it (src/train/vjp/batchNorm.ts).
 * @category utils
 */
export const batchNormLayout = (spec: BatchNormalizationSpec, perSample: ReadonlyArray<number>): Resolved | undefined => {
  const r = resolve(spec, [null, ...perSample])
  return E.isLeft(r) ? undefined : r.right
}

/**
 * The epsilon inference uses for an input of per-sample shape `perSample` (the stored one, raised to
 * {@link FUSED_MIN_EPSILON} where tf.keras runs its fused kernel), or `undefined` when the layer does
 * not compile for that shape. The model compiler's BatchNormalization folding reads it from here.
 * @category utils
 */
export const inferenceEpsilon = (spec: BatchNormalizationSpec, perSample: ReadonlyArray<number>): number | undefined => {
  const r = resolve(spec, [null, ...perSample])
  return E.isLeft(r) ? undefined : r.right.fused ? Math.max(spec.epsilon, FUSED_MIN_EPSILON) : spec.epsilon
}

/**
 * The initializer of `moving_stddev` / `renorm_stddev`: Keras initializes them to the square root of
 * `moving_variance_initializer`'s values, which is again an initializer only for a constant one (for a
 * random one, `init` draws them from `moving_variance_initializer` itself; inference never reads them).
 */
const stddevInitializer = (spec: BatchNormalizationSpec): Initializer | undefined =>
  spec.movingVarianceInitializer.kind === 'constant' ? { kind: 'constant', value: Math.sqrt(spec.movingVarianceInitializer.value) } : undefined

const weightsOf = (spec: BatchNormalizationSpec, shape: ReadonlyArray<number>): ReadonlyArray<WeightSpec> => {
  const stddev = stddevInitializer(spec) ?? spec.movingVarianceInitializer
  return [
    ...(spec.scale ? [{ name: 'gamma', shape, trainable: true, initializer: spec.gammaInitializer }] : []),
    ...(spec.center ? [{ name: 'beta', shape, trainable: true, initializer: spec.betaInitializer }] : []),
    { name: 'moving_mean', shape, trainable: false, initializer: spec.movingMeanInitializer },
    { name: 'moving_variance', shape, trainable: false, initializer: spec.movingVarianceInitializer },
    ...(spec.renorm
      ? [
          { name: 'moving_stddev', shape, trainable: false, initializer: stddev },
          { name: 'renorm_mean', shape, trainable: false, initializer: spec.movingMeanInitializer },
          { name: 'renorm_stddev', shape, trainable: false, initializer: stddev }
        ]
      : [])
  ]
}

/**
 * Problems of the initializers with the weights' shapes (Keras raises when it creates the weight: an
 * `identity` initializer on a 1-D weight, VarianceScaling fan axes out of range, …).
 */
const INITIALIZER_PATHS: NameTable<string> = nameTable({
  gamma: 'gamma_initializer',
  beta: 'beta_initializer',
  moving_mean: 'moving_mean_initializer',
  moving_variance: 'moving_variance_initializer'
})

const initializerProblems = (weights: ReadonlyArray<WeightSpec>): ReadonlyArray<SpecError> => {
  const errors: SpecError[] = []
  for (const w of weights) {
    const path = INITIALIZER_PATHS.get(w.name)
    if (path === undefined) continue
    const problem = initializerProblem(w.initializer, [...w.shape])
    if (problem !== undefined) errors.push(specError(path, problem))
  }
  return errors
}

// -------------------------------------------------------------------------------------
// layer kind
// -------------------------------------------------------------------------------------

/**
 * BatchNormalization, inference only. Arguments: `axis` (an integer or, in tf.keras 2.x, a list;
 * default -1), `momentum` (0.99), `epsilon` (1e-3), `center`, `scale`, the four initializers, beta /
 * gamma regularizers and constraints, `synchronized`, `renorm` (false), `renorm_clipping` (null, or a
 * dict of `rmax`, `rmin`, `dmax`), `renorm_momentum` (0.99); tf.keras 2.x also `fused` and, only with
 * the values that switch them off, `virtual_batch_size` (null), `adjustment` (null). Keras 3.15 writes
 * the renorm arguments in every config, tf.keras 2.x only with renorm on; layerspec writes them only
 * with renorm on, in both dialects (a Keras 3 release without renorm then reads the rest).
 *
 * Weights, in Keras's order: `gamma` (if `scale`), `beta` (if `center`), `moving_mean`,
 * `moving_variance` (not trainable), and with `renorm` `moving_stddev`, `renorm_mean`, `renorm_stddev`
 * (not trainable, read only in training), each of the axis size (several axes: the input's rank with
 * 1 on the other axes, as tf.keras shapes them). Inference is the same with or without renorm (both
 * Kerases keep `moving_variance` up to date from `moving_stddev`); training with renorm is not
 * implemented (layerspec has no training yet).
 *
 * tf.keras 2.x runs TensorFlow's fused kernel for rank-4 inputs normalized on axis 1 or 3 (and rank 5
 * on axis 1 or 4) unless `fused` is false, `renorm` is on or the dtype is float64; that kernel raises
 * `epsilon` below 1.001e-5 to 1.001e-5, and layerspec does the same. Keras 3 uses `epsilon` as given.
 * @category layers
 */
export const BatchNormalizationKind: LayerKind<BatchNormalizationSpec> = {
  className: 'BatchNormalization',
  aliases: [],
  arity: 'single',
  codec: (o) =>
    layerCodec<BatchNormalizationSpec>('BatchNormalization')(
      () => ({ ...fields(o.dialect), ...(o.dialect === 'keras2' ? keras2Fields() : {}) }),
      (c) => ({
        axis: c.axis,
        momentum: c.momentum,
        epsilon: c.epsilon,
        center: c.center,
        scale: c.scale,
        betaInitializer: c.beta_initializer,
        gammaInitializer: c.gamma_initializer,
        movingMeanInitializer: c.moving_mean_initializer,
        movingVarianceInitializer: c.moving_variance_initializer,
        betaRegularizer: c.beta_regularizer,
        gammaRegularizer: c.gamma_regularizer,
        betaConstraint: c.beta_constraint,
        gammaConstraint: c.gamma_constraint,
        synchronized: c.synchronized,
        fused: (c as { fused?: boolean | null }).fused ?? null,
        renorm: c.renorm,
        // Only read with renorm on: without it they mean nothing, and take one form.
        renormClipping: c.renorm ? c.renorm_clipping : null,
        renormMomentum: c.renorm ? c.renorm_momentum : RENORM_MOMENTUM
      }),
      (s, dialect) => {
        const f = fields(dialect)
        return {
          axis: AxisList.encode(s.axis),
          momentum: s.momentum,
          epsilon: s.epsilon,
          center: s.center,
          scale: s.scale,
          beta_initializer: f.beta_initializer.codec.encode(s.betaInitializer),
          gamma_initializer: f.gamma_initializer.codec.encode(s.gammaInitializer),
          moving_mean_initializer: f.moving_mean_initializer.codec.encode(s.movingMeanInitializer),
          moving_variance_initializer: f.moving_variance_initializer.codec.encode(s.movingVarianceInitializer),
          beta_regularizer: f.beta_regularizer.codec.encode(s.betaRegularizer),
          gamma_regularizer: f.gamma_regularizer.codec.encode(s.gammaRegularizer),
          beta_constraint: f.beta_constraint.codec.encode(s.betaConstraint),
          gamma_constraint: f.gamma_constraint.codec.encode(s.gammaConstraint),
          ...(dialect === 'keras3' || s.synchronized ? { synchronized: s.synchronized } : {}),
          // Keras 3.15 writes the renorm arguments always, tf.keras 2.x only when renorm is on; written
          // only then, so that Keras 3 releases without batch renormalization read the rest.
          ...(s.renorm
            ? { renorm: s.renorm, renorm_clipping: f.renorm_clipping.codec.encode(s.renormClipping), renorm_momentum: s.renormMomentum }
            : {}),
          ...(dialect === 'keras2' && s.fused !== null ? { fused: s.fused } : {})
        }
      },
      { rules: rules(o.dialect) as never, explained: o.dialect === 'keras3' ? KERAS3_ONLY_TF2 : {} }
    )(o),
  infer: (spec, inputs) =>
    pipe(
      singleInput('BatchNormalization', inputs),
      E.chain((input) => pipe(resolve(spec, input), E.map((r) => ({ outputShape: input, weights: weightsOf(spec, r.paramShape) })))),
      E.chain((r) => {
        const problems = initializerProblems(r.weights)
        return problems.length > 0 ? E.left(problems) : E.right(r)
      })
    ),
  compile: (spec, inputs, options) => {
    const perSample = inputs[0] ?? []
    const full: SymbolicShape = [null, ...perSample]
    return pipe(
      resolve(spec, full),
      E.chain((r) => {
        const problems = initializerProblems(weightsOf(spec, r.paramShape))
        return problems.length > 0 ? E.left(problems) : E.right(r)
      }),
      E.map((r) => {
        const epsilon = r.fused ? Math.max(spec.epsilon, FUSED_MIN_EPSILON) : spec.epsilon
        const channels = productOf(r.paramShape)
        const size = productOf(perSample)
        // The parameter index of each per-sample position (the batch axis is never normalized here,
        // since its size is unknown at inference).
        let paramIndex: Int32Array | undefined
        let inner = 1
        let len = channels
        if (r.axes.length === 1) {
          const k = (r.axes[0] as number) - 1
          inner = productOf(perSample, k + 1)
          len = perSample[k] as number
        } else {
          paramIndex = new Int32Array(size)
          const rank = perSample.length
          const strides = new Array<number>(rank).fill(0)
          let st = 1
          for (let a = rank - 1; a >= 0; a--) {
            if (r.axes.includes(a + 1)) {
              strides[a] = st
              st *= perSample[a] as number
            }
          }
          const idx = new Array<number>(rank).fill(0)
          let p = 0
          for (let e = 0; e < size; e++) {
            paramIndex[e] = p
            for (let a = rank - 1; a >= 0; a--) {
              idx[a] = (idx[a] as number) + 1
              p += strides[a] as number
              if ((idx[a] as number) < (perSample[a] as number)) break
              p -= (strides[a] as number) * (perSample[a] as number)
              idx[a] = 0
            }
          }
        }
        return {
          outputShape: [...perSample],
          weights: weightsOf(spec, r.paramShape),
          forward: (weights: ReadonlyArray<Tensor>, xs: ReadonlyArray<Tensor>): Tensor => {
            let w = 0
            const gamma = spec.scale ? (weights[w++] as Tensor).data : undefined
            const beta = spec.center ? (weights[w++] as Tensor).data : undefined
            const mean = (weights[w++] as Tensor).data
            const variance = (weights[w++] as Tensor).data
            // y = x · a + b with a = gamma / √(var + ε), b = beta − mean · a, per channel, in float64.
            const a = new Float64Array(channels)
            const b = new Float64Array(channels)
            for (let c = 0; c < channels; c++) {
              const ac = (gamma === undefined ? 1 : (gamma[c] as number)) / Math.sqrt((variance[c] as number) + epsilon)
              a[c] = ac
              b[c] = (beta === undefined ? 0 : (beta[c] as number)) - (mean[c] as number) * ac
            }
            const x = xs[0] as Tensor
            const xd = x.data
            const out = allocate(options.dtype, xd.length)
            if (paramIndex === undefined) {
              const blocks = xd.length / (len * inner)
              let i = 0
              for (let o = 0; o < blocks; o++) {
                for (let c = 0; c < len; c++) {
                  const ac = a[c] as number
                  const bc = b[c] as number
                  for (let j = 0; j < inner; j++, i++) out[i] = (xd[i] as number) * ac + bc
                }
              }
            } else {
              const pi = paramIndex
              for (let base = 0; base < xd.length; base += size) {
                for (let e = 0; e < size; e++) {
                  const c = pi[e] as number
                  out[base + e] = (xd[base + e] as number) * (a[c] as number) + (b[c] as number)
                }
              }
            }
            return { shape: [...x.shape], data: out }
          }
        }
      })
    )
  }
}
