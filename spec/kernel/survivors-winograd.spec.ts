/**
 * The plain-TypeScript Winograd row kernel (src/kernel/js/winograd.ts) and the tiled row kernel
 * (src/kernel/js/tiled.ts) called directly, as a thread sharing a call would: `(x, w, o, r0, r1)`
 * must write output rows `[r0, r1)` of `batch · outHeight` and nothing else (the prepared kernels
 * only ever pass the whole range, so partial ranges are tested here), and past 128 input channels
 * (the channel chunks) every output must still be the reference's.
 *
 * Inputs, weights and biases are small integers: the Winograd transforms only add, subtract and
 * halve, so with them every value is exact and the outputs equal the reference kernel's bit for bit.
 * The output buffer starts filled with a sentinel and has one more row than the batch (the JS runtime
 * passes a buffer grown to the largest batch seen), so a write outside `[r0, r1)` shows.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import { JS_Q, jsTiled, type RowKernel } from '../../src/kernel/js/tiled.js'
import { JS_WINOGRAD_GROUP, jsWinograd } from '../../src/kernel/js/winograd.js'
import { paddedLayout, type PaddedLayout } from '../../src/kernel/layout.js'
import { packTiled, tiledPackedSize } from '../../src/kernel/pack.js'
import { referenceKernel } from '../../src/kernel/reference.js'
import { packWinograd, winogradLayout, winogradPackedSize } from '../../src/kernel/winograd.js'
import { right } from '../helpers.js'

type Shape = readonly [number, number, number]

const SENTINEL = -777.125

const geometry = (config: object, shape: Shape): ConvGeometry => right(computeGeometry(right(decodeConv2D(config)), shape))

/** Small integers in [−k, k], a fixed pattern per `seed`. */
const ints = (n: number, k: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13 + ((i * i) % 5)) % (2 * k + 1)) - k)

/** The channels_last input `x` (`batch` samples) zero-padded into `L` by hand (no library code). */
const padInput = (g: ConvGeometry, L: PaddedLayout, batch: number, x: Float64Array): Float64Array => {
  const out = new Float64Array(batch * L.sampleSize)
  const C = g.inChannels
  for (let n = 0; n < batch; n++)
    for (let h = 0; h < g.inHeight; h++)
      for (let w = 0; w < g.inWidth; w++) {
        const ph = h + g.padTop
        const pw = w + g.padLeft
        if (ph >= L.Hp || pw >= L.Wp) continue // a row or column no window reads
        for (let c = 0; c < C; c++) out[n * L.sampleSize + ph * L.rowSize + pw * C + c] = x[((n * g.inHeight + h) * g.inWidth + w) * C + c]!
      }
  return out
}

type Path = 'winograd' | 'tiled'

/**
 * Runs the row kernel of `path` over rows `[r0, r1)` into a sentinel-filled buffer of `batch·OH + 1`
 * rows, and returns it with what it must hold: the reference output plus bias on rows `[r0, r1)`,
 * the sentinel everywhere else.
 */
const runRows = (path: Path, config: object, shape: Shape, batch: number, r0: number, r1: number): { got: number[]; want: number[] } => {
  const g = geometry(config, shape)
  const F = g.outChannels
  const x = ints(batch * g.inputSize, 4, 1)
  const kernel = ints(g.kernelShape.reduce((a, b) => a * b, 1), 3, 2)
  const bias = ints(F, 5, 3)
  const L = path === 'winograd' ? winogradLayout(g, JS_WINOGRAD_GROUP, false) : paddedLayout(g)
  const packed = new Float64Array(path === 'winograd' ? winogradPackedSize(g, JS_Q) : tiledPackedSize(g, JS_Q))
  if (path === 'winograd') packWinograd(g, JS_Q, kernel, bias, packed, 0)
  else packTiled(g, JS_Q, kernel, bias, packed, 0)
  const run: RowKernel = path === 'winograd' ? jsWinograd(g, L) : jsTiled(g, L)
  const rowLen = g.outWidth * F
  const rows = batch * g.outHeight
  const o = new Float64Array((rows + 1) * rowLen).fill(SENTINEL)
  run(padInput(g, L, batch, x), packed, o, r0, r1)
  const ref = new Float64Array(batch * g.outputSize)
  referenceKernel(g, batch, x, kernel, ref)
  const want = Array.from({ length: (rows + 1) * rowLen }, (_, i) => {
    const r = Math.floor(i / rowLen)
    return r >= r0 && r < r1 ? ref[i]! + bias[i % F]! : SENTINEL
  })
  return { got: Array.from(o), want }
}

/** Every element as expected (a failure shows the first wrong element and the 7 after it). */
const expectRows = ({ got, want }: { got: number[]; want: number[] }): void => {
  const i = got.findIndex((v, k) => !Object.is(v, want[k]))
  if (i !== -1) expect({ element: i, values: got.slice(i, i + 8) }).toEqual({ element: i, values: want.slice(i, i + 8) })
  expect(i).toBe(-1)
}

// valid 3×3: [6, 7] → 4 × 5 (even rows, odd columns: the last tile sticks out by a column)
const EVEN_ROWS = [{ filters: 6, kernel_size: 3 }, [6, 7, 4]] as const
// valid 3×3: [7, 8] → 5 × 6 (odd rows: the last tile row sticks out by a row)
const ODD_ROWS = [{ filters: 5, kernel_size: 3 }, [7, 8, 4]] as const
// same 3×3: 5 × 5 (both odd), 3 groups of tiles, the last one of a single tile
const SAME_ODD = [{ filters: 6, kernel_size: 3, padding: 'same' }, [5, 5, 5]] as const

describe('js-winograd row kernel: writes exactly the output rows [r0, r1) it is asked for', () => {
  it.each([
    ['rows [1, 4): a range starting at the second row of a tile row leaves row 0 alone', EVEN_ROWS, 1, 1, 4],
    ['rows [0, 1): a range ending inside a tile row leaves row 1 alone', EVEN_ROWS, 1, 0, 1],
    ['rows [0, 3) of 2 samples: an odd end inside the first sample', EVEN_ROWS, 2, 0, 3],
    ['rows [0, 2), odd width: the last column of row 1 does not spill into row 2', EVEN_ROWS, 1, 0, 2],
    ['rows [2, 4): an even start past the first tile row', EVEN_ROWS, 2, 2, 4],
    ['rows [4, 8): exactly the second sample', EVEN_ROWS, 2, 4, 8],
    ['rows [5, 10): exactly the second sample of odd height', ODD_ROWS, 2, 5, 10],
    ['rows [0, 5): the first sample of odd height does not write the next sample’s row 0', ODD_ROWS, 2, 0, 5],
    ['rows [3, 8): across two samples of odd height, odd start and end', ODD_ROWS, 2, 3, 8],
    ['rows [7, 12): odd start inside the second of three samples', ODD_ROWS, 3, 7, 12],
    ['rows [3, 3): an empty range writes nothing', ODD_ROWS, 2, 3, 3],
    ['rows [0, 15): the whole batch of 3 (odd height and width), nothing past its end', SAME_ODD, 3, 0, 15],
    ['rows [6, 9): odd start, odd end, same padding, second sample', SAME_ODD, 3, 6, 9]
  ] as const)('%s', (_, [config, shape], batch, r0, r1) => {
    expectRows(runRows('winograd', config, shape, batch, r0, r1))
  })
})

describe('js-winograd row kernel past 128 input channels (channel chunks accumulating in M)', () => {
  it.each([
    ['130 channels, 8 filters (two blocks of 4 in one superblock), 2 samples of 4 × 5', { filters: 8, kernel_size: 3, padding: 'same' }, [4, 5, 130], 2],
    ['130 channels, 70 filters (two superblocks, the second partial), 3 × 5', { filters: 70, kernel_size: 3, padding: 'same' }, [3, 5, 130], 1],
    ['257 channels (three chunks, the last of one channel), 6 filters, valid 4 × 6', { filters: 6, kernel_size: 3 }, [4, 6, 257], 1]
  ] as const)('%s: every output equals the reference', (_, config, shape, batch) => {
    const g = geometry(config, shape)
    expectRows(runRows('winograd', config, shape, batch, 0, batch * g.outHeight))
  })
})

describe('js-tiled row kernel: writes exactly the output rows [r0, r1) it is asked for', () => {
  it.each([
    ['rows [0, 2) of 5: row 2 is left alone', 1, 0, 2],
    ['rows [1, 4) of 2 samples of 5 rows', 2, 1, 4],
    ['rows [0, 10): the whole batch of 2, nothing past its end', 2, 0, 10]
  ] as const)('tiled %s', (_, batch, r0, r1) => {
    expectRows(runRows('tiled', { filters: 6, kernel_size: 3 }, [7, 7, 3], batch, r0, r1))
  })
})
