/**
 * Keras's optimizers as pure functions (reference §1): {@link initOptimizer} builds the slots,
 * {@link applyGradients} makes one update, state in, state out, never writing its arguments.
 *
 * Arithmetic follows Keras 3 on its TensorFlow backend operation by operation: for `Float32Array`
 * variables every tensor operation's result is rounded to float32 (`Math.fround`), Python-float
 * hyperparameters are rounded where they meet a tensor (`1 − β1` computed in double first, as Keras's
 * `1 - self.beta_1` is), and powers, square roots and quotients are the correctly rounded float32
 * ones. On the golden fixture (spec/fixtures/keras3/train) every float32 value is bit-identical to
 * Keras 3.15's; the clipping norms' sums of squares are accumulated in float32 in order, as
 * TensorFlow reduces a small tensor (a large one, reduced in vectorized blocks, can differ by an ulp).
 * `Float64Array` variables use doubles (within 3e-16 of Keras), except where Keras goes through
 * float32: the learning rate (a float32 variable, or a float32 schedule) and the hyperparameters Keras
 * passes through `ops.cast(python_float, dtype)` (SGD's momentum, the β of Adam's, Adamax's and
 * Nadam's powers, weight decay, Adagrad's initial accumulator), which TensorFlow makes float32 first.
 *
 * The `tf2-legacy` form uses tf.keras `OptimizerV2`'s rules where they differ (its fused TF kernels):
 * SGD and Adam / Adamax compute `1 − β` in float32; RMSprop without momentum updates
 * `θ −= lr·g/(√D + ε)` (ε outside the root; with momentum the `ApplyRMSProp` kernel puts it inside);
 * Adagrad `θ −= lr·g/(√A + ε)`; Adadelta uses `rsqrt` (emulated as 1/√x); Nadam's momentum schedule
 * is `β1(1 − ½·0.96^(0.004·k))` (spec `scheduleDecay`); and the learning rate is `lr/(1 + decay·it)`.
 * Clipping applies every option set, in the order clipvalue → clipnorm → global_clipnorm, and there is
 * no weight decay. The `tfjs` form is trained with Keras 3's rules (module doc of `OptimizerSpec.ts`).
 */
import type { FloatArray } from '../../numerics/FloatArray.js'
import type { OptimizerSpec } from './OptimizerSpec.js'
import { learningRateAt } from './ScheduleSpec.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * An optimizer's state: the iteration count (calls of {@link applyGradients} so far, Keras's
 * `optimizer._iterations`: the updates made, except with gradient accumulation, where the updates are
 * `floor(iterations / steps)`, Keras's `optimizer.iterations`) and,
 * for each variable in order, its slots, each a buffer of the variable's length and dtype
 * ({@link slotNames} names them): SGD with momentum ≠ 0 `[momentum]` (none without); Adam / AdamW
 * `[momentum, velocity]` (+ `velocityHat` with amsgrad); RMSprop `[velocity]` (+ `momentum` when
 * momentum > 0, + `averageGradient` when centered, in that order); Adagrad `[accumulator]`; Adadelta
 * `[accumulatedGrad, accumulatedDeltaVar]`; Adamax `[momentum, norm]`; Nadam `[momentum, velocity]`
 * (Nadam's running momentum product is recomputed from the iteration count).
 * @category model
 */
export interface OptimizerState {
  readonly iterations: number
  readonly slots: ReadonlyArray<ReadonlyArray<FloatArray>>
  /** With `gradientAccumulationSteps`: each variable's gradients summed since the last update. */
  readonly accumulated?: ReadonlyArray<FloatArray>
  /** With `ema`: each variable's exponential moving average (Keras 3 starts it at zeros; the first update sets it). */
  readonly average?: ReadonlyArray<FloatArray>
}

/**
 * The result of one update: fresh variables and the next state.
 * @category model
 */
export interface Update {
  readonly variables: ReadonlyArray<FloatArray>
  readonly state: OptimizerState
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

type Round = (x: number) => number

const identity: Round = (x) => x

/** The rounding of a buffer's dtype: float32 → `Math.fround`, float64 → none. */
const roundOf = (a: FloatArray): Round => (a instanceof Float32Array ? Math.fround : identity)

const like = (a: FloatArray): FloatArray => (a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length))

const copyOf = (a: FloatArray): FloatArray => (a instanceof Float32Array ? Float32Array.from(a) : Float64Array.from(a))

/** `g` in the dtype of `v` (Keras casts each gradient to its variable's dtype), always a fresh buffer. */
const castLike = (v: FloatArray, g: FloatArray): FloatArray => {
  const out = like(v)
  out.set(g)
  return out
}

/** Σ round(x²), accumulated in the dtype in order (TensorFlow's reduction of a small tensor; a large one's vectorized blocks can differ by an ulp). */
const sumOfSquares = (g: FloatArray, r: Round): number => {
  let s = 0
  for (let i = 0; i < g.length; i++) {
    const x = g[i] as number
    s = r(s + r(x * x))
  }
  return r(s)
}

/** `tf.clip_by_norm(g, c)`: `g·c / max(‖g‖, c)`. */
const clipByNorm = (g: FloatArray, c: number): FloatArray => {
  const r = roundOf(g)
  const l2sum = sumOfSquares(g, r)
  const l2norm = l2sum > 0 ? r(Math.sqrt(l2sum)) : l2sum
  const cc = r(c)
  const denom = Math.max(l2norm, cc)
  const out = like(g)
  for (let i = 0; i < g.length; i++) out[i] = r(r((g[i] as number) * cc) / denom)
  return out
}

/** Keras's `clip_by_global_norm`: every gradient times `c·min(1/N, 1/c)` (NaN for a non-finite N). */
const clipByGlobalNorm = (gs: ReadonlyArray<FloatArray>, c: number): ReadonlyArray<FloatArray> => {
  const r = gs.every((g) => g instanceof Float32Array) ? Math.fround : identity
  let total = 0
  for (const g of gs) total = r(total + sumOfSquares(g, r))
  const norm = r(Math.sqrt(r(total)))
  const scaleForFinite = r(r(c) * Math.min(r(1 / norm), r(1 / c)))
  const scale = r(scaleForFinite + r(norm - norm))
  return gs.map((g) => {
    const rg = roundOf(g)
    const out = like(g)
    for (let i = 0; i < g.length; i++) out[i] = rg((g[i] as number) * scale)
    return out
  })
}

/** `clip(g, −c, c)`. */
const clipByValue = (g: FloatArray, c: number): FloatArray => {
  const cc = roundOf(g)(c)
  const out = like(g)
  for (let i = 0; i < g.length; i++) out[i] = Math.min(Math.max(g[i] as number, -cc), cc)
  return out
}

const pow = Math.pow

/**
 * A Python-float hyperparameter passed through `ops.cast(x, dtype)` (or a tf.keras-legacy hyperparameter, kept in a
 * float32 variable): TensorFlow makes it a float32 tensor first, so it is float32-rounded for float64 variables too.
 */
const f32 = Math.fround
const sqrt = Math.sqrt

// -------------------------------------------------------------------------------------
// update rules (each writes the fresh `v` and `s` it is given; `g` is read only)
// -------------------------------------------------------------------------------------

interface Step {
  /** The variable (a fresh copy, updated in place). */
  readonly v: FloatArray
  /** The gradient, in the variable's dtype, clipped. */
  readonly g: FloatArray
  /** The variable's slots (fresh copies, updated in place). */
  readonly s: ReadonlyArray<FloatArray>
  readonly lr: number
  /** 1-based update number (`iterations + 1`). */
  readonly k: number
  readonly r: Round
  readonly legacy: boolean
}

const sgd = (spec: Extract<OptimizerSpec, { className: 'SGD' }>, { v, g, s, lr, r }: Step): void => {
  if (spec.momentum === 0) {
    for (let i = 0; i < v.length; i++) v[i] = r((v[i] as number) - r((g[i] as number) * lr))
    return
  }
  const m = s[0] as FloatArray
  // `ops.cast(self.momentum, dtype)`: a Python float becomes a float32 tensor first, so float64 variables see it rounded too.
  const mu = f32(spec.momentum)
  for (let i = 0; i < v.length; i++) {
    const gl = r((g[i] as number) * lr)
    const mi = r(r((m[i] as number) * mu) - gl)
    m[i] = mi
    v[i] = spec.nesterov ? r((v[i] as number) + r(r(mi * mu) - gl)) : r((v[i] as number) + mi)
  }
}

const adam = (spec: Extract<OptimizerSpec, { className: 'Adam' | 'AdamW' }>, { v, g, s, lr, k, r, legacy }: Step): void => {
  const [m, vel, vhat] = s as readonly [FloatArray, FloatArray, FloatArray | undefined]
  const b1 = f32(spec.beta1)
  const b2 = f32(spec.beta2)
  const b1p = r(pow(b1, k))
  const b2p = r(pow(b2, k))
  const alpha = r(r(lr * r(sqrt(r(1 - b2p)))) / r(1 - b1p))
  // Keras 3: `1 - self.beta_1` in Python (double), rounded when it meets a tensor; the legacy kernel: in float32.
  const omb1 = legacy ? r(1 - b1) : r(1 - spec.beta1)
  const omb2 = legacy ? r(1 - b2) : r(1 - spec.beta2)
  const eps = r(spec.epsilon)
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    const mi = r((m[i] as number) + r(r(gi - (m[i] as number)) * omb1))
    const vi = r((vel[i] as number) + r(r(r(gi * gi) - (vel[i] as number)) * omb2))
    m[i] = mi
    vel[i] = vi
    let denomV = vi
    if (vhat !== undefined) {
      denomV = Math.max(vhat[i] as number, vi)
      vhat[i] = denomV
    }
    v[i] = r((v[i] as number) - r(r(mi * alpha) / r(r(sqrt(denomV)) + eps)))
  }
}

const rmsprop = (spec: Extract<OptimizerSpec, { className: 'RMSprop' }>, { v, g, s, lr, r, legacy }: Step): void => {
  const vel = s[0] as FloatArray
  const mom = spec.momentum > 0 ? (s[1] as FloatArray) : undefined
  const avg = spec.centered ? (s[spec.momentum > 0 ? 2 : 1] as FloatArray) : undefined
  // Keras 3 multiplies by the Python floats (in the variable's dtype); tf.keras-legacy keeps them in float32 variables.
  const rho = legacy ? f32(spec.rho) : r(spec.rho)
  const omr = legacy ? r(1 - rho) : r(1 - spec.rho)
  const eps = r(spec.epsilon)
  const mu = legacy ? f32(spec.momentum) : r(spec.momentum)
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    if (legacy && mom !== undefined) {
      // The ApplyRMSProp / ApplyCenteredRMSProp kernels: ms += (g² − ms)(1 − ρ); ε inside the root.
      const si = r((vel[i] as number) + r(r(r(gi * gi) - (vel[i] as number)) * omr))
      vel[i] = si
      let denom = r(si + eps)
      if (avg !== undefined) {
        const ai = r((avg[i] as number) + r(r(gi - (avg[i] as number)) * omr))
        avg[i] = ai
        denom = r(r(si - r(ai * ai)) + eps)
      }
      const bi = r(r((mom[i] as number) * mu) + r(r(gi * lr) / r(sqrt(denom))))
      mom[i] = bi
      v[i] = r((v[i] as number) - bi)
      continue
    }
    const si = r(r(rho * (vel[i] as number)) + r(omr * r(gi * gi)))
    vel[i] = si
    let ai = 0
    if (avg !== undefined) {
      ai = r(r(rho * (avg[i] as number)) + r(omr * gi))
      avg[i] = ai
    }
    if (legacy) {
      // tf.keras-legacy without momentum: θ −= lr·g / (√D + ε), ε outside the root.
      const denom = avg !== undefined ? r(si - r(ai * ai)) : si
      v[i] = r((v[i] as number) - r(r(lr * gi) / r(r(sqrt(denom)) + eps)))
      continue
    }
    const denom = avg !== undefined ? r(r(si - r(ai * ai)) + eps) : r(si + eps)
    const inc = r(r(lr * gi) / r(sqrt(denom)))
    if (mom !== undefined) {
      const bi = r(r(mu * (mom[i] as number)) + inc)
      mom[i] = bi
      v[i] = r((v[i] as number) - bi)
    } else {
      v[i] = r((v[i] as number) - inc)
    }
  }
}

const adagrad = (spec: Extract<OptimizerSpec, { className: 'Adagrad' }>, { v, g, s, lr, r, legacy }: Step): void => {
  const acc = s[0] as FloatArray
  const eps = r(spec.epsilon)
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    const ai = r((acc[i] as number) + r(gi * gi))
    acc[i] = ai
    v[i] = legacy
      ? r((v[i] as number) - r(r(gi * lr) / r(r(sqrt(ai)) + eps)))
      : r((v[i] as number) - r(r(lr * gi) / r(sqrt(r(ai + eps)))))
  }
}

const adadelta = (spec: Extract<OptimizerSpec, { className: 'Adadelta' }>, { v, g, s, lr, r, legacy }: Step): void => {
  const [eg, ed] = s as readonly [FloatArray, FloatArray]
  const rho = legacy ? f32(spec.rho) : r(spec.rho)
  const omr = legacy ? r(1 - rho) : r(1 - spec.rho)
  const eps = r(spec.epsilon)
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    if (legacy) {
      // The ApplyAdadelta kernel.
      const egi = r(r((eg[i] as number) * rho) + r(r(gi * gi) * omr))
      eg[i] = egi
      const update = r(r(r(sqrt(r((ed[i] as number) + eps))) * r(1 / sqrt(r(egi + eps)))) * gi)
      v[i] = r((v[i] as number) - r(update * lr))
      ed[i] = r(r((ed[i] as number) * rho) + r(r(update * update) * omr))
      continue
    }
    const egi = r(r(rho * (eg[i] as number)) + r(omr * r(gi * gi)))
    eg[i] = egi
    const delta = -r(r(r(sqrt(r((ed[i] as number) + eps))) * gi) / r(sqrt(r(egi + eps))))
    ed[i] = r(r(rho * (ed[i] as number)) + r(omr * r(delta * delta)))
    v[i] = r((v[i] as number) + r(lr * delta))
  }
}

const adamax = (spec: Extract<OptimizerSpec, { className: 'Adamax' }>, { v, g, s, lr, k, r, legacy }: Step): void => {
  const [m, u] = s as readonly [FloatArray, FloatArray]
  // β1 goes through `ops.cast` (for its power); Keras 3 multiplies by the Python β2.
  const b1 = f32(spec.beta1)
  const b2 = legacy ? f32(spec.beta2) : r(spec.beta2)
  const b1p = r(pow(b1, k))
  const omb1 = legacy ? r(1 - b1) : r(1 - spec.beta1)
  const eps = r(spec.epsilon)
  const lrOver = r(lr / r(1 - b1p))
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    const mi = r((m[i] as number) + r(r(gi - (m[i] as number)) * omb1))
    const ui = Math.max(r(b2 * (u[i] as number)), Math.abs(gi))
    m[i] = mi
    u[i] = ui
    v[i] = legacy ? r((v[i] as number) - r(lrOver * r(mi / r(ui + eps)))) : r((v[i] as number) - r(r(lr * mi) / r(r(1 - b1p) * r(ui + eps))))
  }
}

/** Nadam's μ_j = β1(1 − ½·0.96^(d·j)) in the variable dtype. */
const nadamMu = (b1: number, d: number, j: number, r: Round): number => r(b1 * r(1 - r(0.5 * r(pow(f32(0.96), r(r(d) * j))))))

/**
 * Nadam's running product of μ after update `k` (Keras 3's `_u_product`, tf.keras-legacy's
 * `m_cache`), in the dtype of the first variable (where Keras keeps it), recomputed from the count.
 */
const nadamProduct = (spec: Extract<OptimizerSpec, { className: 'Nadam' }>, k: number, r: Round, legacy: boolean): number => {
  let p = 1
  for (let j = 1; j <= k; j++) {
    // Keras 3: u_product · β1 · (1 − ½·0.96^j); legacy: m_cache · m_t.
    // Keras 3 multiplies by the Python floats β1 and 0.96 (in the dtype); the per-variable μ casts them to float32 first.
    p = legacy ? r(p * nadamMu(f32(spec.beta1), spec.scheduleDecay, j, r)) : r(r(p * r(spec.beta1)) * r(1 - r(0.5 * r(pow(r(0.96), j)))))
  }
  return p
}

const nadam = (spec: Extract<OptimizerSpec, { className: 'Nadam' }>, product: number, { v, g, s, lr, k, r, legacy }: Step): void => {
  const [m, vel] = s as readonly [FloatArray, FloatArray]
  const b1 = f32(spec.beta1)
  const b2 = f32(spec.beta2)
  const d = legacy ? spec.scheduleDecay : 1
  const ut = nadamMu(b1, d, k, r)
  const ut1 = nadamMu(b1, d, k + 1, r)
  const p = r(product)
  const p1 = r(p * ut1)
  const b2p = r(pow(b2, k))
  const eps = r(spec.epsilon)
  const omb1 = r(1 - b1)
  const omb2 = r(1 - b2)
  for (let i = 0; i < v.length; i++) {
    const gi = g[i] as number
    if (legacy) {
      const gp = r(gi / r(1 - p))
      const mi = r(r(b1 * (m[i] as number)) + r(omb1 * gi))
      const vi = r(r(b2 * (vel[i] as number)) + r(omb2 * r(gi * gi)))
      m[i] = mi
      vel[i] = vi
      const mp = r(mi / r(1 - p1))
      const vp = r(vi / r(1 - b2p))
      const mbar = r(r(r(1 - ut) * gp) + r(ut1 * mp))
      v[i] = r((v[i] as number) - r(r(lr * mbar) / r(r(sqrt(vp)) + eps)))
      continue
    }
    const mi = r((m[i] as number) + r(r(gi - (m[i] as number)) * omb1))
    const vi = r((vel[i] as number) + r(r(r(gi * gi) - (vel[i] as number)) * omb2))
    m[i] = mi
    vel[i] = vi
    const mhat = r(r(r(ut1 * mi) / r(1 - p1)) + r(r(r(1 - ut) * gi) / r(1 - p)))
    const vhat = r(vi / r(1 - b2p))
    v[i] = r((v[i] as number) - r(r(mhat * lr) / r(r(sqrt(vhat)) + eps)))
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The names of a variable's slots under `spec`, in {@link OptimizerState} order.
 * @category utils
 */
export const slotNames = (spec: OptimizerSpec): ReadonlyArray<string> => {
  switch (spec.className) {
    case 'SGD':
      return spec.momentum !== 0 ? ['momentum'] : []
    case 'Adam':
    case 'AdamW':
      return spec.amsgrad ? ['momentum', 'velocity', 'velocityHat'] : ['momentum', 'velocity']
    case 'RMSprop':
      return ['velocity', ...(spec.momentum > 0 ? ['momentum'] : []), ...(spec.centered ? ['averageGradient'] : [])]
    case 'Adagrad':
      return ['accumulator']
    case 'Adadelta':
      return ['accumulatedGrad', 'accumulatedDeltaVar']
    case 'Adamax':
      return ['momentum', 'norm']
    case 'Nadam':
      return ['momentum', 'velocity']
  }
}

/**
 * The learning rate of the update made at `iterations` (updates made so far): the float32 learning
 * rate, or the schedule at `iterations` (Keras evaluates it before the increment), then, for
 * tf.keras-legacy and tfjs Adamax, divided by `1 + decay·iterations` (in float32).
 * @category utils
 */
export const learningRateOf = (spec: OptimizerSpec, iterations: number): number => {
  const f = Math.fround
  const lr = typeof spec.learningRate === 'number' ? f(spec.learningRate) : learningRateAt(spec.learningRate, iterations)
  return spec.decay > 0 ? f(lr / f(1 + f(f(spec.decay) * f(iterations)))) : lr
}

/**
 * Gradients after the optimizer's clipping, as fresh buffers of the gradients' dtypes: Keras 3 (and the
 * other forms but tf2-legacy) applies the one option set, `clipnorm` (per gradient, `g·c/max(‖g‖, c)`),
 * else `global_clipnorm` (all gradients times `c·min(1/N, 1/c)`), else `clipvalue`, each only when > 0;
 * tf2-legacy applies every option set, clipvalue → clipnorm → global_clipnorm.
 * @category utils
 */
export const clipGradients = (spec: OptimizerSpec, grads: ReadonlyArray<FloatArray>): ReadonlyArray<FloatArray> => {
  const { clipnorm, globalClipnorm, clipvalue } = spec
  if (spec.form === 'tf2-legacy') {
    let gs = grads.map(copyOf)
    if (clipvalue !== null) gs = gs.map((g) => clipByValue(g, clipvalue))
    if (clipnorm !== null) gs = gs.map((g) => clipByNorm(g, clipnorm))
    return globalClipnorm !== null ? clipByGlobalNorm(gs, globalClipnorm) : gs
  }
  if (clipnorm !== null && clipnorm > 0) return grads.map((g) => clipByNorm(g, clipnorm))
  if (globalClipnorm !== null && globalClipnorm > 0) return clipByGlobalNorm(grads, globalClipnorm)
  if (clipvalue !== null && clipvalue > 0) return grads.map((g) => clipByValue(g, clipvalue))
  return grads.map(copyOf)
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The initial state for `variables` (only their lengths and dtypes are read): iterations 0 and zeroed
 * slots, except Adagrad's accumulators, which start at `initialAccumulatorValue`.
 * @category constructors
 */
export const initOptimizer = (spec: OptimizerSpec, variables: ReadonlyArray<FloatArray>): OptimizerState => {
  const names = slotNames(spec)
  return {
    iterations: 0,
    slots: variables.map((v) =>
      names.map(() => {
        const slot = like(v)
        // Keras 3's Constant initializer casts the Python float through float32; tf.keras-legacy's is exact in the dtype.
        if (spec.className === 'Adagrad') slot.fill(spec.form === 'tf2-legacy' ? roundOf(v)(spec.initialAccumulatorValue) : f32(spec.initialAccumulatorValue))
        return slot
      })
    ),
    ...(spec.gradientAccumulationSteps === null ? {} : { accumulated: variables.map(like) }),
    ...(spec.ema === null ? {} : { average: variables.map(like) })
  }
}

/**
 * Keras's `finalize_variable_values` (the end of `fit`): with `ema`, the variables become their moving
 * averages (fresh copies); otherwise they are returned as they are.
 * @category apply
 */
export const finalizeVariables = (spec: OptimizerSpec, state: OptimizerState, variables: ReadonlyArray<FloatArray>): ReadonlyArray<FloatArray> =>
  spec.ema === null || state.average === undefined ? variables : state.average.map(copyOf)

// -------------------------------------------------------------------------------------
// apply
// -------------------------------------------------------------------------------------

const check = (spec: OptimizerSpec, state: OptimizerState, variables: ReadonlyArray<FloatArray>, grads: ReadonlyArray<FloatArray>, excluded: ReadonlyArray<boolean> | undefined): void => {
  const n = variables.length
  if (grads.length !== n) throw new RangeError(`applyGradients: expected ${n} gradients (one per variable), got ${grads.length}`)
  if (state.slots.length !== n) throw new RangeError(`applyGradients: the state holds slots for ${state.slots.length} variables, got ${n} variables`)
  if (excluded !== undefined && excluded.length !== n) throw new RangeError(`applyGradients: expected ${n} excluded flags, got ${excluded.length}`)
  if (!Number.isSafeInteger(state.iterations) || state.iterations < 0) throw new RangeError(`applyGradients: expected a non-negative integer iteration count, got ${String(state.iterations)}`)
  const slots = slotNames(spec).length
  for (const [what, needed, held] of [
    ['accumulated gradients', spec.gradientAccumulationSteps !== null, state.accumulated],
    ['moving averages', spec.ema !== null, state.average]
  ] as const) {
    if (needed && (held === undefined || held.length !== n || held.some((x, i) => x.length !== (variables[i] as FloatArray).length))) {
      throw new RangeError(`applyGradients: the spec keeps ${what} but the state holds none for these ${n} variables (was the state made by initOptimizer with this spec?)`)
    }
  }
  for (let i = 0; i < n; i++) {
    const v = variables[i] as FloatArray
    const g = grads[i] as FloatArray
    const s = state.slots[i] as ReadonlyArray<FloatArray>
    if (g.length !== v.length) throw new RangeError(`applyGradients: gradient ${i} has ${g.length} values, its variable ${v.length}`)
    if (s.length !== slots || s.some((x) => x.length !== v.length || (x instanceof Float32Array) !== (v instanceof Float32Array))) {
      throw new RangeError(`applyGradients: the state's slots of variable ${i} do not fit it (expected ${slots} buffers of ${v.length} values of its dtype; was the state made by initOptimizer with this spec?)`)
    }
  }
}

/**
 * One Keras update of `variables` with `grads` (same order and lengths; only the trainable variables
 * are passed), Keras 3's `optimizer.apply(grads, variables)`: the gradients cast to each variable's
 * dtype and divided by `lossScaleFactor` if set; clipping ({@link clipGradients}); decoupled weight
 * decay `θ ← θ − θ·wd·lr` before the step (skipping variables whose `excluded[i]` is true, Keras's
 * `exclude_from_weight_decay`); the class's update rule with the learning rate of
 * {@link learningRateOf} at `state.iterations` (before the increment); then `iterations + 1`. Keras 3's
 * `gradient_accumulation_steps` (s): calls that are not every s-th only add their gradient to the
 * state's sums; every s-th call updates with `(g + sums) / s` (then clipped, decayed), the rules
 * counting updates `floor(iterations / s)`. Keras 3's `ema`: after every call, each moving average
 * `avg ← m·avg + (1 − m)·θ` (m = 0 until the first update is counted), and the variables become the
 * averages every `ema_overwrite_frequency` updates.
 * Constraints are the caller's, after this. Returns fresh arrays and the next state; never writes its
 * arguments, and the same arguments give bit-identical results. Throws a `RangeError` when the
 * arguments do not fit together (a programmer error).
 * @category apply
 */
export const applyGradients = (
  spec: OptimizerSpec,
  state: OptimizerState,
  variables: ReadonlyArray<FloatArray>,
  grads: ReadonlyArray<FloatArray>,
  excluded?: ReadonlyArray<boolean>
): Update => {
  check(spec, state, variables, grads, excluded)
  const it = state.iterations
  const steps = spec.gradientAccumulationSteps
  // Keras's `optimizer.iterations`: updates made so far (with accumulation, one per `steps` calls)
  const updates = steps === null ? it : Math.floor(it / steps)
  // the schedule reads the call count (Keras 3's `_get_current_learning_rate` takes `_iterations`)
  const lr = learningRateOf(spec, it)
  let gs = grads.map((g, i) => castLike(variables[i] as FloatArray, g))
  const scale = spec.lossScaleFactor
  if (scale !== null) {
    gs = gs.map((g) => {
      const r = roundOf(g)
      const s = r(scale)
      const out = like(g)
      for (let i = 0; i < g.length; i++) out[i] = r((g[i] as number) / s)
      return out
    })
  }
  let vs: FloatArray[]
  let slots: ReadonlyArray<ReadonlyArray<FloatArray>>
  let accumulated = state.accumulated
  if (steps !== null && (it + 1) % steps !== 0) {
    // an accumulation step: the gradients are added up, nothing else moves
    accumulated = (state.accumulated as ReadonlyArray<FloatArray>).map((a, i) => {
      const r = roundOf(a)
      const g = gs[i] as FloatArray
      const out = like(a)
      for (let j = 0; j < a.length; j++) out[j] = r((a[j] as number) + (g[j] as number))
      return out
    })
    vs = variables.map(copyOf)
    slots = state.slots
  } else {
    if (steps !== null) {
      // the update step: the mean of the accumulated gradients and this one, `(g + acc) / steps`; the sums restart at zero
      gs = gs.map((g, i) => {
        const a = (state.accumulated as ReadonlyArray<FloatArray>)[i] as FloatArray
        const r = roundOf(g)
        const out = like(g)
        for (let j = 0; j < g.length; j++) out[j] = r(r((g[j] as number) + (a[j] as number)) / steps)
        return out
      })
      accumulated = variables.map(like)
    }
    gs = clipGradients(spec, gs).map((g, i) => castLike(variables[i] as FloatArray, g))
    vs = variables.map(copyOf)
    const wd = spec.weightDecay
    if (wd !== null) {
      vs.forEach((v, i) => {
        if (excluded?.[i] === true) return
        const r = roundOf(v)
        const w = f32(wd) // `ops.cast(self.weight_decay, dtype)`
        for (let j = 0; j < v.length; j++) v[j] = r((v[j] as number) - r(r((v[j] as number) * w) * lr))
      })
    }
    const fresh = state.slots.map((x) => x.map(copyOf))
    slots = fresh
    // the rules' 1-based update number (Adam's bias correction, Nadam's momentum schedule)
    const k = updates + 1
    const legacy = spec.form === 'tf2-legacy'
    const product = spec.className === 'Nadam' && vs.length > 0 ? nadamProduct(spec, k, roundOf(vs[0] as FloatArray), legacy) : 1
    vs.forEach((v, i) => {
      const step: Step = { v, g: gs[i] as FloatArray, s: fresh[i] as ReadonlyArray<FloatArray>, lr, k, r: roundOf(v), legacy }
      switch (spec.className) {
        case 'SGD':
          return sgd(spec, step)
        case 'Adam':
        case 'AdamW':
          return adam(spec, step)
        case 'RMSprop':
          return rmsprop(spec, step)
        case 'Adagrad':
          return adagrad(spec, step)
        case 'Adadelta':
          return adadelta(spec, step)
        case 'Adamax':
          return adamax(spec, step)
        case 'Nadam':
          return nadam(spec, product, step)
      }
    })
  }
  let average = state.average
  if (spec.ema !== null) {
    // Keras 3 (every call, after the update): avg ← m·avg + (1 − m)·θ, m = 0 before the first update counts
    const ema = spec.ema
    average = (state.average as ReadonlyArray<FloatArray>).map((a, i) => {
      const v = vs[i] as FloatArray
      const r = roundOf(v)
      const m = updates === 0 ? 0 : r(ema.momentum)
      const rest = r(1 - m)
      const out = like(a)
      for (let j = 0; j < a.length; j++) out[j] = r(r(m * (a[j] as number)) + r(rest * (v[j] as number)))
      return out
    })
    // ... and the variables become the averages every `ema_overwrite_frequency` updates
    if (ema.overwriteFrequency !== null && (updates + 1) % ema.overwriteFrequency === 0) vs = average.map(copyOf)
  }
  return {
    variables: vs,
    state: { iterations: it + 1, slots, ...(accumulated === undefined ? {} : { accumulated }), ...(average === undefined ? {} : { average }) }
  }
}
