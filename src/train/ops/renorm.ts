/** Keras 3's batch renormalization in training (a BatchNormalization op of TrainGraph.ts delegates here). */
import type { BatchNormalizationSpec } from '../../layers/elementwise/batchNormalization.js'
import type { FloatArray, FloatDType } from '../../numerics/FloatArray.js'
import { batchNormTrain } from '../vjp/batchNorm.js'
import { type NodeRun, toDtype } from '../NodeOp.js'

/**
 * Keras 3's batch renormalization in training (`BatchNormalization(renorm=True)`): with the batch's
 * mean μ and variance σ², σ = √(σ² + ε) and the renorm statistics (μ_r, σ_r ← max(σ_r, √ε)), the
 * corrections `r = σ/σ_r`, `d = (μ − μ_r)/σ_r` (clipped by `renorm_clipping`, and constants for the
 * gradient) turn γ, β into `r·γ`, `d·γ + β` for the batch-normalized output; then μ_r, σ_r move by
 * `renorm_momentum`, the moving mean and moving stddev by `momentum`, and the moving variance becomes
 * `relu(stddev² − ε)`. Weights: [γ?, β?, moving_mean, moving_variance, moving_stddev, renorm_mean,
 * renorm_stddev].
 */
export const renormTrain = (
  batch: number,
  x: FloatArray,
  map: { readonly channels: number; readonly of: Int32Array },
  weights: ReadonlyArray<FloatArray>,
  gammaAt: number,
  betaAt: number,
  meanAt: number,
  s: BatchNormalizationSpec,
  epsilon: number,
  dtype: FloatDType,
  into: { readonly y: FloatArray; readonly xhat: FloatArray; readonly dx: FloatArray }
): NodeRun => {
  const C = map.channels
  const size = map.of.length
  const mean = new Float64Array(C)
  const variance = new Float64Array(C)
  const count = new Float64Array(C)
  for (let n = 0; n < batch; n++) {
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      mean[c] = (mean[c] as number) + (x[n * size + e] as number)
      count[c] = (count[c] as number) + 1
    }
  }
  for (let c = 0; c < C; c++) mean[c] = (mean[c] as number) / (count[c] as number)
  for (let n = 0; n < batch; n++) {
    for (let e = 0; e < size; e++) {
      const c = map.of[e] as number
      const v = (x[n * size + e] as number) - (mean[c] as number)
      variance[c] = (variance[c] as number) + v * v
    }
  }
  for (let c = 0; c < C; c++) variance[c] = (variance[c] as number) / (count[c] as number)
  const gamma = gammaAt >= 0 ? (weights[gammaAt] as FloatArray) : undefined
  const beta = betaAt >= 0 ? (weights[betaAt] as FloatArray) : undefined
  const [movingMean, , movingStddev, renormMean, renormStddev] = [0, 1, 2, 3, 4].map((k) => weights[meanAt + k] as FloatArray) as [FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
  const clip = s.renormClipping
  const r = new Float64Array(C)
  const d = new Float64Array(C)
  const stddev = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    stddev[c] = Math.sqrt((variance[c] as number) + epsilon)
    const rs = Math.max(renormStddev[c] as number, Math.sqrt(epsilon))
    let rc = (stddev[c] as number) / rs
    let dc = ((mean[c] as number) - (renormMean[c] as number)) / rs
    if (clip?.rmin !== null && clip?.rmin !== undefined) rc = Math.max(rc, clip.rmin)
    if (clip?.rmax !== null && clip?.rmax !== undefined) rc = Math.min(rc, clip.rmax)
    if (clip?.dmax !== null && clip?.dmax !== undefined) dc = Math.min(Math.max(dc, -clip.dmax), clip.dmax)
    r[c] = rc
    d[c] = dc
  }
  const gammaEff = Float64Array.from({ length: C }, (_, c) => (r[c] as number) * (gamma === undefined ? 1 : (gamma[c] as number)))
  const betaEff = Float64Array.from({ length: C }, (_, c) => (d[c] as number) * (gamma === undefined ? 1 : (gamma[c] as number)) + (beta === undefined ? 0 : (beta[c] as number)))
  // the batch-normalized output with the composed scale and offset (its moving updates are not renorm's)
  const f = batchNormTrain(batch, x, map, gammaEff, betaEff, movingMean, weights[meanAt + 1] as FloatArray, s.momentum, epsilon, false, into)
  const m = s.momentum
  const mr = s.renormMomentum
  const moved = (old: FloatArray, value: Float64Array, momentum: number): FloatArray =>
    toDtype(
      dtype,
      Float64Array.from({ length: C }, (_, c) => (old[c] as number) * momentum + (value[c] as number) * (1 - momentum))
    )
  const newStddev = moved(movingStddev, stddev, m)
  return {
    output: f.y,
    updates: [
      [meanAt, moved(movingMean, mean, m)],
      [meanAt + 1, toDtype(dtype, Float64Array.from(newStddev, (v) => Math.max(v * v - epsilon, 0)))],
      [meanAt + 2, newStddev],
      [meanAt + 3, moved(renormMean, mean, mr)],
      [meanAt + 4, moved(renormStddev, stddev, mr)]
    ],
    backward: (dy) => {
      const b = f.backward(dy)
      const w: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(weights.length).fill(undefined)
      // γ_eff = r·γ, β_eff = d·γ + β (r, d constants): ∂L/∂γ = r·∂L/∂γ_eff + d·∂L/∂β_eff
      if (gammaAt >= 0) w[gammaAt] = Float64Array.from({ length: C }, (_, c) => (r[c] as number) * (b.dgamma[c] as number) + (d[c] as number) * (b.dbeta[c] as number))
      if (betaAt >= 0) w[betaAt] = b.dbeta
      return { inputs: [b.dx], weights: w }
    }
  }
}
