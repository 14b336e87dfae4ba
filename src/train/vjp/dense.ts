/**
 * The vector-Jacobian product of Dense over the last axis: x is `rows × k` (every leading axis, batch
 * included, is a row), W is `k × units` (Keras's kernel layout), dy is `rows × units`:
 * `dx = dy·Wᵀ`, `dW = xᵀ·dy`, `db = Σ_rows dy` (training notes §9). Sums in float64.
 */
import type { FloatArray } from '../../numerics/FloatArray.js'

/** Gradients of a Dense call. */
export interface DenseGrads {
  readonly dx: Float64Array
  readonly dw: Float64Array
  readonly db: Float64Array | undefined
}

/**
 * Dense's VJP for `rows` rows of `k` inputs and `units` outputs.
 * @category training
 */
export const denseVjp = (rows: number, k: number, units: number, x: FloatArray, w: FloatArray, dy: FloatArray, wantBias: boolean): DenseGrads => {
  const dx = new Float64Array(rows * k)
  const dw = new Float64Array(k * units)
  const db = wantBias ? new Float64Array(units) : undefined
  const d = new Float64Array(units)
  for (let r = 0; r < rows; r++) {
    const yo = r * units
    for (let u = 0; u < units; u++) d[u] = dy[yo + u] as number
    if (db !== undefined) for (let u = 0; u < units; u++) db[u] = (db[u] as number) + (d[u] as number)
    const xo = r * k
    for (let i = 0; i < k; i++) {
      const xv = x[xo + i] as number
      const wo = i * units
      let acc = 0
      for (let u = 0; u < units; u++) {
        const du = d[u] as number
        acc += (w[wo + u] as number) * du
        dw[wo + u] = (dw[wo + u] as number) + xv * du
      }
      dx[xo + i] = acc
    }
  }
  return { dx, dw, db }
}
