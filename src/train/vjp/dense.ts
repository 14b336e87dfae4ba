/**
 * The vector-Jacobian product of Dense over the last axis: x is `rows × k` (every leading axis, batch
 * included, is a row), W is `k × units` (Keras's kernel layout), dy is `rows × units`:
 * `dx = dy·Wᵀ`, `dW = xᵀ·dy`, `db = Σ_rows dy` (training notes §9). Sums in float64.
 */
import type { FloatArray } from '../../numerics/FloatArray.js'

/** Gradients of a Dense call. */
export interface DenseGrads {
  readonly dx: FloatArray
  readonly dw: Float64Array
  readonly db: Float64Array | undefined
}

/**
 * Dense's forward `y = x·W + b` for `rows` rows into `out`, as the Dense layer computes it (float64
 * sums started at the bias, stored in `out`'s type).
 * @category training
 */
export const denseForward = (rows: number, k: number, units: number, x: FloatArray, w: FloatArray, b: FloatArray | undefined, out: FloatArray): FloatArray => {
  const acc = new Float64Array(units)
  for (let r = 0; r < rows; r++) {
    if (b === undefined) acc.fill(0)
    else for (let u = 0; u < units; u++) acc[u] = b[u] as number
    const xr = r * k
    for (let i = 0; i < k; i++) {
      const v = x[xr + i] as number
      const wi = i * units
      for (let u = 0; u < units; u++) acc[u] = (acc[u] as number) + v * (w[wi + u] as number)
    }
    out.set(acc, r * units)
  }
  return out
}

/**
 * Dense's VJP for `rows` rows of `k` inputs and `units` outputs (`dxInto`: a buffer for dx, written whole).
 * @category training
 */
export const denseVjp = (rows: number, k: number, units: number, x: FloatArray, w: FloatArray, dy: FloatArray, wantBias: boolean, dxInto?: FloatArray): DenseGrads => {
  const dx = dxInto ?? new Float64Array(rows * k)
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
