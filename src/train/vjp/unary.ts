/**
 * Vector-Jacobian products of the compiler's elementwise functions (`Unary`: clamps, Keras's general
 * `relu`, leaky ReLU, and every Keras activation): `dx = f′(x)·dy` elementwise, and along the last axis
 * for `softmax` (`dx = y ⊙ (dy − Σ dy⊙y)`) and `log_softmax` (`dx = dy − softmax(x)·Σ dy`).
 *
 * At the kinks the derivative TensorFlow's gradients give: 0 at a ReLU's 0 (and at a clamp's bounds),
 * the slope side for leaky ReLU at 0 (`x > 0` is the linear side), 0 at the clip points of
 * hard_sigmoid / hard_tanh. Keras 3.15's `sparsemax` as TensorFlow differentiates its formula.
 */
import type { Activation } from '../../codec/Activation.js'
import type { Dialect } from '../../codec/Dialect.js'
import type { Unary } from '../../compiler/Unary.js'
import { erfc, SELU_ALPHA, SELU_SCALE, sigmoid, softplus } from '../../numerics/activations.js'
import type { FloatArray } from '../../numerics/FloatArray.js'

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** f′(x) of an elementwise activation (float64), or `undefined` for the row-wise ones. */
const derivative = (a: Activation, dialect: Dialect): ((x: number) => number) | undefined => {
  switch (a) {
    case 'linear':
      return () => 1
    case 'relu':
      return (x) => (x > 0 ? 1 : 0)
    case 'relu6':
      return (x) => (x > 0 && x < 6 ? 1 : 0)
    case 'leaky_relu':
      return (x) => (x >= 0 ? 1 : 0.2)
    case 'elu':
      return (x) => (x > 0 ? 1 : Math.exp(x))
    case 'selu':
      return (x) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x))
    case 'sigmoid':
      return (x) => {
        const s = sigmoid(x)
        return s * (1 - s)
      }
    case 'hard_sigmoid':
      return dialect === 'keras2' ? (x) => (x > -2.5 && x < 2.5 ? 0.2 : 0) : (x) => (x > -3 && x < 3 ? 1 / 6 : 0)
    case 'hard_silu':
      return (x) => (x <= -3 ? 0 : x >= 3 ? 1 : x / 3 + 0.5)
    case 'tanh':
      return (x) => {
        const t = Math.tanh(x)
        return 1 - t * t
      }
    case 'softplus':
      return sigmoid
    case 'softsign':
      return (x) => {
        const d = 1 + Math.abs(x)
        return 1 / (d * d)
      }
    case 'exponential':
      return Math.exp
    case 'silu':
      return (x) => {
        const s = sigmoid(x)
        return s * (1 + x * (1 - s))
      }
    case 'mish':
      return (x) => {
        const t = Math.tanh(softplus(x))
        return t + x * sigmoid(x) * (1 - t * t)
      }
    case 'gelu':
      return (x) => 0.5 * erfc(-x * Math.SQRT1_2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x)
    case 'celu':
      return (x) => (x > 0 ? 1 : Math.exp(x))
    case 'squareplus':
      return (x) => 0.5 + (0.5 * x) / Math.hypot(x, 2)
    case 'soft_shrink':
      return (x) => (x > 0.5 || x < -0.5 ? 1 : 0)
    case 'hard_shrink':
      return (x) => (Math.abs(x) > 0.5 ? 1 : 0)
    case 'tanh_shrink':
      return (x) => {
        const t = Math.tanh(x)
        return t * t
      }
    case 'hard_tanh':
      return (x) => (x > -1 && x < 1 ? 1 : 0)
    case 'sparse_plus':
      return (x) => (x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2)
    case 'sparse_sigmoid':
      return (x) => (x > -1 && x < 1 ? 0.5 : 0)
    case 'log_sigmoid':
      return (x) => sigmoid(-x)
    case 'softmax':
    case 'log_softmax':
    case 'sparsemax':
      return undefined
  }
}

/**
 * f′(x) of an elementwise Keras activation in float64, or `undefined` for the row-wise ones (`softmax`,
 * `log_softmax`, `sparsemax`).
 * @category training
 */
export const activationDerivative = (a: Activation, dialect: Dialect): ((x: number) => number) | undefined => derivative(a, dialect)

/**
 * Why a function cannot be trained through, or `undefined` when it can.
 * @category training
 */
export const unaryGradProblem = (_fn: Unary): string | undefined => undefined

/**
 * The gradient of Keras 3.15's sparsemax (TensorFlow backend) along one row `[s0, s0 + k)`, as
 * TensorFlow differentiates Keras's formula: with the row sorted in descending order (ties by index, as
 * `tf.sort` orders them), cumulative sums c, the support S (positions j with `s_j − (c_j − 1)/j > 0`),
 * `τ = (Σ_{j∈S} c_j − 1)/|S|` and `y = max(x − τ, 0)`: `dx_i = a_i·dy_i − (Σ_m a_m·dy_m)·#{j ∈ S, j ≥
 * pos(i)}/|S|`, a the mask `x − τ ≥ 0` (tf.maximum passes a tie). Checked against TensorFlow's own
 * gradient (ties included) when written.
 */
const sparsemaxRowVjp = (x: FloatArray, dy: FloatArray, dx: Float64Array, s0: number, k: number): void => {
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => (x[s0 + b] as number) - (x[s0 + a] as number) || a - b)
  const inS = new Array<boolean>(k)
  let c = 0
  let sumC = 0
  let size = 0
  order.forEach((i, pos) => {
    c += x[s0 + i] as number
    inS[pos] = (x[s0 + i] as number) - (c - 1) / (pos + 1) > 0
    if (inS[pos] === true) {
      sumC += c
      size++
    }
  })
  const tau = (sumC - 1) / size
  // #{j ∈ S, j ≥ pos}, from the end
  const atOrAfter = new Array<number>(k + 1).fill(0)
  for (let pos = k - 1; pos >= 0; pos--) atOrAfter[pos] = (atOrAfter[pos + 1] as number) + (inS[pos] === true ? 1 : 0)
  let total = 0
  for (let i = 0; i < k; i++) if ((x[s0 + i] as number) - tau >= 0) total += dy[s0 + i] as number
  order.forEach((i, pos) => {
    const active = (x[s0 + i] as number) - tau >= 0
    dx[s0 + i] = (active ? (dy[s0 + i] as number) : 0) - (total * (atOrAfter[pos] as number)) / size
  })
}

/**
 * The input gradient of `fn` given its input `x`, output `y` and output gradient `dy` (all of the
 * same length; `lastAxis` the length of the value's last axis, for the row-wise activations).
 * @category training
 */
export const unaryVjp = (fn: Unary, x: FloatArray, y: FloatArray, dy: FloatArray, lastAxis: number): Float64Array => {
  const n = x.length
  const dx = new Float64Array(n)
  switch (fn.kind) {
    case 'clamp':
      for (let i = 0; i < n; i++) {
        const v = x[i] as number
        dx[i] = v > fn.lo && v < fn.hi ? (dy[i] as number) : 0
      }
      return dx
    case 'leaky':
      for (let i = 0; i < n; i++) dx[i] = (x[i] as number) > 0 ? (dy[i] as number) : fn.slope * (dy[i] as number)
      return dx
    case 'relu': {
      // Keras's relu(x, negative_slope s, max_value m, threshold t) as its TensorFlow ops differentiate it:
      // s only → leaky_relu (1 where x > 0, else s); else the positive part x·[x > t] (t ≠ 0), relu6
      // (t = 0, m = 6: 0 < x < 6) or relu (x > 0), then clip(·, 0, m) passing [0, m] bounds included,
      // minus s·relu(t − x) (+s where t − x > 0)
      const t = fn.threshold
      const m = fn.maxValue
      const s = fn.negativeSlope
      for (let i = 0; i < n; i++) {
        const v = x[i] as number
        let d: number
        if (s !== 0 && m === null && t === 0) d = v > 0 ? 1 : s
        else {
          if (t !== 0) d = v > t && (m === null || (v >= 0 && v <= m)) ? 1 : 0
          else if (m === 6) d = v > 0 && v < 6 ? 1 : 0
          else d = v > 0 && (m === null || v <= m) ? 1 : 0
          if (s !== 0 && t - v > 0) d += s
        }
        dx[i] = d * (dy[i] as number)
      }
      return dx
    }
    case 'activation': {
      const f = derivative(fn.name, fn.dialect)
      if (f !== undefined) {
        for (let i = 0; i < n; i++) dx[i] = f(x[i] as number) * (dy[i] as number)
        return dx
      }
      const k = lastAxis
      if (fn.name === 'softmax') {
        for (let s = 0; s < n; s += k) {
          let dot = 0
          for (let j = 0; j < k; j++) dot += (dy[s + j] as number) * (y[s + j] as number)
          for (let j = 0; j < k; j++) dx[s + j] = (y[s + j] as number) * ((dy[s + j] as number) - dot)
        }
        return dx
      }
      if (fn.name === 'log_softmax') {
        for (let s = 0; s < n; s += k) {
          let sum = 0
          for (let j = 0; j < k; j++) sum += dy[s + j] as number
          for (let j = 0; j < k; j++) dx[s + j] = (dy[s + j] as number) - Math.exp(y[s + j] as number) * sum
        }
        return dx
      }
      if (fn.name === 'sparsemax') {
        for (let s0 = 0; s0 < n; s0 += k) sparsemaxRowVjp(x, dy, dx, s0, k)
        return dx
      }
      throw new Error(`layerspec: no gradient for activation ${fn.name} (${unaryGradProblem(fn) ?? 'unknown'})`)
    }
  }
}
