/**
 * BatchNormalization in training mode (training notes §6): batch moments over every axis but the
 * normalized ones (batch, rows and columns for a conv output), the output
 * `y = γ·(x − μ_B)/√(σ²_B + ε) + β` with the biased σ²_B (every Keras), the moving statistics
 * `M ← M·m + μ_B·(1 − m)`, `V ← V·m + σ²·(1 − m)`, and the backward
 * `dx = γ/√(σ²_B + ε)·[dy − mean(dy) − x̂·mean(dy·x̂)]`, `dγ = Σ dy·x̂`, `dβ = Σ dy`.
 *
 * Which variance the moving update takes: Keras 3 (every backend) the biased batch variance σ²_B; tf.keras
 * 2.x's fused kernel (rank-4 inputs on axis 1 or 3: BatchNormalization after a Conv2D) the unbiased
 * `σ²_B·n/(n − 1)`, n the count reduced over, with epsilon raised to 1.001e-5. A layer follows its file's
 * Keras: `keras2` layers on the fused path take the unbiased variance (and the raised epsilon, as their
 * inference already does), every other the biased one. A layer with `trainable: false` runs in inference
 * mode (moving statistics, no update), as both Kerases do.
 */
import type { FloatArray } from '../../numerics/FloatArray.js'

/** The channel (index into the weights) of every element of a sample, for normalized axes `axes` (of the per-sample shape). */
export const channelMap = (perSample: ReadonlyArray<number>, axes: ReadonlyArray<number>): { readonly channels: number; readonly of: Int32Array } => {
  const size = perSample.reduce((a, b) => a * b, 1)
  const of = new Int32Array(size)
  let channels = 1
  const cStride = perSample.map(() => 0)
  for (let a = perSample.length - 1; a >= 0; a--) {
    if (axes.includes(a)) {
      cStride[a] = channels
      channels *= perSample[a] as number
    }
  }
  const coord = perSample.map(() => 0)
  for (let e = 0; e < size; e++) {
    let c = 0
    for (let a = 0; a < perSample.length; a++) c += (coord[a] as number) * (cStride[a] as number)
    of[e] = c
    for (let a = perSample.length - 1; a >= 0; a--) {
      coord[a] = (coord[a] as number) + 1
      if ((coord[a] as number) < (perSample[a] as number)) break
      coord[a] = 0
    }
  }
  return { channels, of }
}

/** A training-mode forward's output, what its backward needs, and the moving statistics after it. */
export interface BatchNormTrainForward {
  readonly y: FloatArray
  readonly movingMean: Float64Array
  readonly movingVariance: Float64Array
  /** dx, dγ, dβ from dy. */
  readonly backward: (dy: FloatArray) => { readonly dx: FloatArray; readonly dgamma: Float64Array; readonly dbeta: Float64Array }
}

/**
 * The training-mode forward of `batch` samples `x` (per-sample elements mapped to channels by `map`).
 * `gamma` / `beta` undefined when the layer has no scale / center; `unbiased` selects tf.keras's fused
 * moving variance. `into` (optional): buffers for the output, the normalized input the backward
 * keeps, and the input gradient (each of the input's length; `y` and `dx` written whole).
 * @category training
 */
export const batchNormTrain = (
  batch: number,
  x: FloatArray,
  map: { readonly channels: number; readonly of: Int32Array },
  gamma: FloatArray | undefined,
  beta: FloatArray | undefined,
  movingMean: FloatArray,
  movingVariance: FloatArray,
  momentum: number,
  epsilon: number,
  unbiased: boolean,
  into?: { readonly y: FloatArray; readonly xhat: FloatArray; readonly dx: FloatArray }
): BatchNormTrainForward => {
  const C = map.channels
  const size = map.of.length
  const count = new Float64Array(C)
  const mean = new Float64Array(C)
  const variance = new Float64Array(C)
  for (let n = 0; n < batch; n++) {
    const o = n * size
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      mean[c] = (mean[c] as number) + (x[o + e] as number)
      count[c] = (count[c] as number) + 1
    }
  }
  for (let c = 0; c < C; c++) mean[c] = (mean[c] as number) / (count[c] as number)
  for (let n = 0; n < batch; n++) {
    const o = n * size
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      const d = (x[o + e] as number) - (mean[c] as number)
      variance[c] = (variance[c] as number) + d * d
    }
  }
  const inv = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    variance[c] = (variance[c] as number) / (count[c] as number)
    inv[c] = 1 / Math.sqrt((variance[c] as number) + epsilon)
  }
  const xhat = into?.xhat ?? new Float64Array(batch * size)
  const y = into?.y ?? new Float64Array(batch * size)
  for (let n = 0; n < batch; n++) {
    const o = n * size
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      const h = ((x[o + e] as number) - (mean[c] as number)) * (inv[c] as number)
      xhat[o + e] = h
      y[o + e] = h * (gamma === undefined ? 1 : (gamma[c] as number)) + (beta === undefined ? 0 : (beta[c] as number))
    }
  }
  const newMean = new Float64Array(C)
  const newVariance = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    const n = count[c] as number
    const v = unbiased && n > 1 ? ((variance[c] as number) * n) / (n - 1) : (variance[c] as number)
    newMean[c] = (movingMean[c] as number) * momentum + (mean[c] as number) * (1 - momentum)
    newVariance[c] = (movingVariance[c] as number) * momentum + v * (1 - momentum)
  }
  return {
    y,
    movingMean: newMean,
    movingVariance: newVariance,
    backward: (dy) => {
      const sumDy = new Float64Array(C)
      const sumDyXhat = new Float64Array(C)
      for (let n = 0; n < batch; n++) {
        const o = n * size
        for (let e = 0; e < size; e++) {
          const c = map.of[e] as number
          const d = dy[o + e] as number
          sumDy[c] = (sumDy[c] as number) + d
          sumDyXhat[c] = (sumDyXhat[c] as number) + d * (xhat[o + e] as number)
        }
      }
      const dx = into?.dx ?? new Float64Array(batch * size)
      for (let n = 0; n < batch; n++) {
        const o = n * size
        for (let e = 0; e < size; e++) {
          const c = map.of[e] as number
          const k = count[c] as number
          const g = gamma === undefined ? 1 : (gamma[c] as number)
          dx[o + e] = g * (inv[c] as number) * ((dy[o + e] as number) - (sumDy[c] as number) / k - (xhat[o + e] as number) * ((sumDyXhat[c] as number) / k))
        }
      }
      return { dx, dgamma: sumDyXhat, dbeta: sumDy }
    }
  }
}
