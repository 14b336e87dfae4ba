/**
 * The WebAssembly Winograd module's `run(x, w, o, u0, u1, s)` called directly, as one thread of a
 * shared call would, over every range of work units (tile rows) `[u0, u1)`.
 *
 * The kernel gathers the groups of 4 tiles of consecutive tile rows into batches of up to
 * `winogradBatch(g)` groups — `WASM_WINOGRAD_BATCH` (4), or `WASM_WINOGRAD_BIG_BATCH` (32) when the
 * transformed weights pass 4 MiB — (a batch may end in the middle of a tile row and span samples), so that each
 * weight panel serves the whole batch: what must hold is that the rows of the units in the range,
 * and nothing else, are written — whatever the range's first and last row, the partial last group of
 * a row, a tile row with one output row (odd heights), several channel chunks — and that the
 * thread's scratch stays within `winogradScratchBytes`. Memory starts filled with a sentinel
 * (scratch included: the kernel must not read what it did not write), but for the finite lanes
 * (`winogradFiniteLanes`), which the caller zeroes and `run` ORs into: after a range they must say
 * exactly whether every value it wrote is finite.
 *
 * Inputs, weights and biases are small integers, so the transforms (adds, subtracts, halves) are
 * exact and the outputs equal the reference kernel's bit for bit.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import { copyInPadded } from '../../src/kernel/layout.js'
import { referenceKernel } from '../../src/kernel/reference.js'
import { packWinograd, winogradLayout, winogradPackedSize } from '../../src/kernel/winograd.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { encodeModule, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import {
  WASM_WINOGRAD_BATCH,
  WASM_WINOGRAD_BIG_BATCH,
  WASM_WINOGRAD_GROUP,
  WASM_WINOGRAD_Q,
  winogradBatch,
  winogradCode,
  winogradFiniteLanes,
  winogradMinChunk,
  winogradRowOfUnit,
  winogradScratchBytes,
  winogradUnits
} from '../../src/kernel/wasm/winograd.js'
import { right } from '../helpers.js'

const SENTINEL = -777.125
const GUARD = 256

/** Small integers in [−k, k], a fixed pattern per `seed`. */
const ints = (n: number, k: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13 + ((i * i) % 5)) % (2 * k + 1)) - k)

const align = (n: number): number => Math.ceil(n / 16) * 16

interface Setup {
  readonly g: ConvGeometry
  readonly batch: number
  readonly units: number
  /**
   * Runs units [u0, u1) on a fresh sentinel-filled memory (the finite lanes zeroed); returns the
   * output, whether the guards held, and whether the finite lanes say every value written is finite.
   */
  readonly run: (u0: number, u1: number) => { readonly out: Float32Array; readonly guardsKept: boolean; readonly lanesFinite: boolean }
  /** The reference output (plus bias) for the whole batch. */
  readonly want: Float32Array
  /** Flat output row (n·OH + r) of every output element. */
  readonly rowOf: (i: number) => number
}

const setup = (config: object, shape: readonly [number, number, number], batch: number, edit?: (x: Float32Array) => void): Setup => {
  const g = right(computeGeometry(right(decodeConv2D({ kernel_size: 3, ...config })), shape))
  const nchw = g.dataFormat === 'channels_first'
  const L = winogradLayout(g, WASM_WINOGRAD_GROUP, nchw)
  const F = g.outChannels
  const x = ints(batch * g.inputSize, 4, 1)
  edit?.(x)
  const kernel = ints(9 * g.inChannels * F, 3, 2)
  const bias = ints(F, 5, 3)
  // layout: guard | padded input | packed weights | output | guard | scratch | guard
  const X = GUARD
  const W = align(X + batch * L.sampleSize * 4)
  const O = align(W + winogradPackedSize(g, WASM_WINOGRAD_Q) * 4)
  const outBytes = batch * g.outputSize * 4
  const S = align(O + outBytes + GUARD)
  const scratch = winogradScratchBytes(g)
  const end = S + scratch + GUARD
  const pages = Math.ceil(end / 65536)
  const wasm = wasmApi as NonNullable<typeof wasmApi> // the suite runs only where SIMD validates
  const memory = new wasm.Memory({ initial: pages, maximum: pages })
  const bytes = encodeModule([{ name: 'run', code: winogradCode(g, L, 'linear', false) }], { shared: false, initialPages: pages, maxPages: pages })
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } })
  const runExport = instance.exports['run'] as (x: number, w: number, o: number, u0: number, u1: number, s: number) => void
  const f32 = new Float32Array(memory.buffer)
  const guards = (): boolean => {
    const regions: Array<readonly [number, number]> = [
      [0, X],
      [O + outBytes, S],
      [S + scratch, end]
    ]
    return regions.every(([a, b]) => f32.subarray(a / 4, b / 4).every((v) => v === SENTINEL))
  }
  const lanes = (S + winogradFiniteLanes(g)) / 4
  const run = (u0: number, u1: number): { out: Float32Array; guardsKept: boolean; lanesFinite: boolean } => {
    f32.fill(SENTINEL)
    f32.fill(0, X / 4, W / 4)
    f32.fill(0, lanes, lanes + 4)
    copyInPadded(g, L, batch, x, f32, X / 4)
    packWinograd(g, WASM_WINOGRAD_Q, kernel, bias, f32, W / 4)
    runExport(X, W, O, u0, u1, S)
    const lanesFinite = f32.subarray(lanes, lanes + 4).every((v) => v === 0)
    return { out: f32.slice(O / 4, (O + outBytes) / 4), guardsKept: guards(), lanesFinite }
  }
  const ref = new Float32Array(batch * g.outputSize)
  referenceKernel(g, batch, x, kernel, ref)
  const plane = g.outHeight * g.outWidth
  const want = ref.map((v, i) => v + (bias[nchw ? Math.floor(i / plane) % F : i % F] as number))
  const rowOf = (i: number): number =>
    nchw ? Math.floor(i / (F * plane)) * g.outHeight + Math.floor((i % plane) / g.outWidth) : Math.floor(i / (g.outWidth * F))
  return { g, batch, units: winogradUnits(g, batch), run, want, rowOf }
}

/** The flat output rows unit `u` covers (2, or 1 for the last tile row of an odd height). */
const rowsOfUnit = (g: ConvGeometry, u: number): number[] => {
  const first = winogradRowOfUnit(g, u)
  const n = Math.floor(first / g.outHeight)
  return [first, first + 1].filter((r) => Math.floor(r / g.outHeight) === n)
}

describe.runIf(HAS_SIMD)('wasm Winograd run over unit ranges (batches of groups across tile rows)', () => {
  it.each([
    // W 19: 2 full groups + a partial one of 3 columns a row, odd height, a partial block of filters
    ['NHWC same, 3 groups a row (last partial), odd height', { filters: 11, padding: 'same' }, [7, 19, 5], 2],
    // one full group a row: a batch of 4 spans 4 tile rows (and both samples)
    ['NHWC valid, 1 group a row', { filters: 8, padding: 'valid' }, [9, 10, 3], 2],
    // a partial group only (W 5)
    ['NHWC same, one partial group a row', { filters: 4, padding: 'same' }, [6, 5, 2], 3],
    ['NCHW same, 2 groups a row (last partial), odd height', { filters: 9, padding: 'same', data_format: 'channels_first' }, [6, 5, 13], 3],
    ['NCHW valid, 1 group a row', { filters: 16, padding: 'valid', data_format: 'channels_first' }, [4, 8, 10], 2],
    // past 128 channels: two channel chunks, a superblock of 64 filters and a rest with a tail block
    ['NHWC same, 130 channels, 70 filters', { filters: 70, padding: 'same' }, [3, 9, 130], 2],
    ['NCHW same, 130 channels, 20 filters', { filters: 20, padding: 'same', data_format: 'channels_first' }, [130, 4, 5], 2],
    // big weights (16·260·257 floats > 4 MiB): batches of 32 groups; 3 groups a row (the last partial),
    // 15 a sample, 45 in all: the first batch spans two samples and ends in a row of the third
    ['NHWC same, big weights (260 channels, 257 filters): batches of 32 groups', { filters: 257, padding: 'same' }, [9, 17, 260], 3],
    // big weights, 12 groups in all: one batch holds every row of both samples
    ['NCHW same, big weights (260 channels, 260 filters): one batch for all', { filters: 260, padding: 'same', data_format: 'channels_first' }, [260, 6, 9], 2]
  ] as const)('%s: every [u0, u1) writes exactly its rows, bit for bit, scratch within bounds', (_, config, shape, batch) => {
    const s = setup(config, shape, batch)
    expect(s.units).toBeGreaterThanOrEqual(3)
    expect(winogradBatch(s.g)).toBe(s.g.inChannels * s.g.outChannels > 65536 ? WASM_WINOGRAD_BIG_BATCH : WASM_WINOGRAD_BATCH)
    for (let u0 = 0; u0 < s.units; u0++) {
      for (let u1 = u0 + 1; u1 <= s.units; u1++) {
        const { out, guardsKept, lanesFinite } = s.run(u0, u1)
        const rows = new Set<number>()
        for (let u = u0; u < u1; u++) for (const r of rowsOfUnit(s.g, u)) rows.add(r)
        const bad: string[] = []
        for (let i = 0; i < out.length && bad.length < 3; i++) {
          const expected = rows.has(s.rowOf(i)) ? s.want[i] : SENTINEL
          if (out[i] !== expected) bad.push(`[${u0}, ${u1}) element ${i} (row ${s.rowOf(i)}): ${out[i]} instead of ${expected}`)
        }
        expect(bad).toEqual([])
        expect(guardsKept).toBe(true)
        expect(lanesFinite).toBe(true)
      }
    }
  })

  it.each([
    ['NHWC same, odd width and height, +∞', { filters: 11, padding: 'same' }, [7, 19, 5], 2, Infinity],
    ['NHWC valid, −∞', { filters: 8, padding: 'valid' }, [9, 10, 3], 2, -Infinity],
    ['NCHW same, NaN', { filters: 9, padding: 'same', data_format: 'channels_first' }, [6, 5, 13], 3, NaN],
    ['NHWC same, 130 channels, +∞', { filters: 70, padding: 'same' }, [3, 9, 130], 2, Infinity],
    ['NCHW same, big weights (batches of 32 groups), −∞', { filters: 260, padding: 'same', data_format: 'channels_first' }, [260, 6, 9], 2, -Infinity]
  ] as const)('%s in one input value: the finite lanes of every [u0, u1) say whether what it wrote is finite', (_, config, shape, batch, bad) => {
    // the non-finite value in the second sample's middle, so that ranges with and without it exist
    const s = setup(config, shape, batch, (x) => {
      x[Math.floor(x.length / batch) + Math.floor(x.length / batch / 2)] = bad
    })
    let seen = { finite: 0, not: 0 }
    for (let u0 = 0; u0 < s.units; u0++) {
      for (let u1 = u0 + 1; u1 <= s.units; u1++) {
        const { out, lanesFinite } = s.run(u0, u1)
        const rows = new Set<number>()
        for (let u = u0; u < u1; u++) for (const r of rowsOfUnit(s.g, u)) rows.add(r)
        const wroteFinite = out.every((v, i) => !rows.has(s.rowOf(i)) || Number.isFinite(v))
        expect(lanesFinite, `[${u0}, ${u1})`).toBe(wroteFinite)
        seen = wroteFinite ? { ...seen, finite: seen.finite + 1 } : { ...seen, not: seen.not + 1 }
      }
    }
    expect(seen.finite).toBeGreaterThan(0)
    expect(seen.not).toBeGreaterThan(0)
  })

  it('an empty or inverted range writes nothing', () => {
    const s = setup({ filters: 8, padding: 'same' }, [6, 10, 4], 1)
    for (const [u0, u1] of [
      [2, 2],
      [3, 1]
    ] as const) {
      const { out, guardsKept } = s.run(u0, u1)
      expect(out.every((v) => v === SENTINEL)).toBe(true)
      expect(guardsKept).toBe(true)
    }
  })

  it(`a batch holds up to ${WASM_WINOGRAD_BATCH} groups (${WASM_WINOGRAD_BIG_BATCH} past 4 MiB of weights): the scratch is that many groups' transforms and products`, () => {
    const geometry = (filters: number, shape: readonly [number, number, number]): ConvGeometry => right(computeGeometry(right(decodeConv2D({ filters, kernel_size: 3 })), shape))
    const small = geometry(8, [8, 8, 128])
    const chunked = geometry(8, [8, 8, 129])
    // 16 · 256 · 256 floats are exactly 4 MiB: still batches of 4; one more filter passes it
    const atLimit = geometry(256, [30, 30, 256])
    const big = geometry(257, [30, 30, 256])
    expect([small, chunked, atLimit].map(winogradBatch)).toEqual([WASM_WINOGRAD_BATCH, WASM_WINOGRAD_BATCH, WASM_WINOGRAD_BATCH])
    expect(winogradBatch(big)).toBe(WASM_WINOGRAD_BIG_BATCH)
    // V: 16 positions × 4 tiles × 128 channels, M: 16 × 4 × 8 (× 8 blocks when chunked), floats; a
    // 16-byte table entry a group; then the 4 finite lanes
    expect(winogradScratchBytes(small)).toBe(WASM_WINOGRAD_BATCH * (16 * 4 * 128 * 4 + 16 * 4 * 8 * 4 + 16) + 16)
    expect(winogradScratchBytes(chunked)).toBe(WASM_WINOGRAD_BATCH * (16 * 4 * 128 * 4 + 8 * 16 * 4 * 8 * 4 + 16) + 16)
    expect(winogradScratchBytes(big)).toBe(WASM_WINOGRAD_BIG_BATCH * (16 * 4 * 128 * 4 + 8 * 16 * 4 * 8 * 4 + 16) + 16)
    expect(winogradFiniteLanes(chunked)).toBe(winogradScratchBytes(chunked) - 16)
    expect(winogradFiniteLanes(big)).toBe(winogradScratchBytes(big) - 16)
    // a split call's chunks hold a whole batch of tile rows: 28 output columns are 14 tiles, 4 groups a
    // row, so 32 groups are 8 tile rows; with small weights any chunk will do, however few groups a
    // row has (an 8-wide output: one group a row, a batch of 4 would be 4 rows)
    expect(winogradMinChunk(big)).toBe(8)
    expect(winogradMinChunk(atLimit)).toBe(1)
    expect(winogradMinChunk(geometry(32, [10, 10, 128]))).toBe(1)
    expect(winogradMinChunk(geometry(257, [10, 10, 256]))).toBe(32)
  })
})
