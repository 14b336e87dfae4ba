/**
 * The TypeScript twin of scripts/golden/golden.py: the integer PRNG (mulberry32) and the fill rule by
 * weight name and shape with which the golden-fixture script set the weights and inputs of the models
 * real Keras 3.15 ran. Fixtures store only the model JSON, the seed, the input description and Keras's
 * outputs; the tests regenerate the same float32 values here, bit for bit.
 */

/** A generator of numbers in [0, 1): k / 2³² for a 32-bit k (exactly as golden.py). */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state) >>> 0
    t = ((t + Math.imul(t ^ (t >>> 7), 61 | t)) >>> 0) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` float32 values `low + (high − low)·u`, computed in float64, then rounded to float32. */
export const uniform = (seed: number, n: number, low: number, high: number): Float32Array => {
  const next = mulberry32(seed)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * next()
  return out
}

const product = (s: ReadonlyArray<number>): number => s.reduce((a, b) => a * b, 1)

/** The fill range of a weight by its Keras name (last path component) and shape (golden.py `weight_range`). */
export const weightRange = (name: string, shape: ReadonlyArray<number>): readonly [number, number] => {
  const n = (name.split('/').pop() ?? name).split(':')[0] as string
  if (n === 'gamma') return [0.8, 1.2]
  if (n === 'moving_variance' || n === 'variance') return [0.5, 1.5]
  if (n === 'moving_stddev' || n === 'renorm_stddev') return [0.7, 1.3]
  if (n === 'renorm_mean') return [-0.1, 0.1]
  if (n === 'bias' || n === 'beta' || n === 'moving_mean' || n === 'mean') return [-0.1, 0.1]
  const fanIn = n === 'depthwise_kernel' ? (shape.length > 2 ? product(shape.slice(0, -2)) : 1) : shape.length > 1 ? product(shape.slice(0, -1)) : 1
  const a = Math.sqrt(3 / Math.max(1, fanIn))
  return [-a, a]
}

/** Weight values in Keras `get_weights()` order (`'layers'`): weight `i` from `seed + 1 + i`. */
export const fillWeights = (weights: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }>, seed: number): Float32Array[] =>
  weights.map((w, i) => {
    const [low, high] = weightRange(w.name, w.shape)
    return uniform(seed + 1 + i, product(w.shape), low, high)
  })

/** The model input (batch axis included in `shape`): float32 values in [low, high). */
export const makeInput = (shape: ReadonlyArray<number>, seed: number, low: number, high: number): Float32Array => uniform(seed, product(shape), low, high)
