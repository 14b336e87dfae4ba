/**
 * The WebAssembly tiled module's `run(x, w, o, u0, u1, s)` with channel parts (`tiledParts`: a call
 * on the model's arena with fewer than `TILED_PART_ROWS` output rows a sample splits its output
 * channels too), called directly, as one thread of a split call would, over every range of work units
 * `[u0, u1)` — units (sample, part, row) in that order.
 *
 * What must hold: exactly the range's units are written — each unit one output row of one part's
 * `F / parts` channels, whatever sample, part and row the range starts and ends in — with the values
 * of the reference kernel, bit for bit (small integers: every sum is exact), and nothing outside the
 * output. Memory starts filled with a sentinel.
 */
import { describe, expect, it } from 'vitest'
import { decodeConv2D } from '../../src/conv/conv2DCodec.js'
import { computeGeometry, type ConvGeometry } from '../../src/geometry/ConvGeometry.js'
import { copyInPadded, paddedLayout } from '../../src/kernel/layout.js'
import { packTiled, tiledPackedSize } from '../../src/kernel/pack.js'
import { referenceKernel } from '../../src/kernel/reference.js'
import { wasmApi } from '../../src/kernel/wasm/api.js'
import { encodeModule, HAS_SIMD } from '../../src/kernel/wasm/encoder.js'
import { TILED_PART_ROWS, tiledParts, tiledRowsCode, WASM_Q } from '../../src/kernel/wasm/tiled.js'
import { right } from '../helpers.js'

const SENTINEL = -777.125
const GUARD = 256

/** Small integers in [−k, k], a fixed pattern per `seed`. */
const ints = (n: number, k: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13 + ((i * i) % 5)) % (2 * k + 1)) - k)

const align = (n: number): number => Math.ceil(n / 16) * 16

const geometry = (config: object, shape: readonly [number, number, number]): ConvGeometry => right(computeGeometry(right(decodeConv2D({ kernel_size: 3, ...config })), shape))

const setup = (g: ConvGeometry, parts: number, batch: number) => {
  const nchw = g.dataFormat === 'channels_first'
  const L = paddedLayout(g, nchw)
  const F = g.outChannels
  const x = ints(batch * g.inputSize, 4, 1)
  const kernel = ints(g.kernelHeight * g.kernelWidth * g.inChannels * F, 3, 2)
  const bias = ints(F, 5, 3)
  // layout: guard | padded input | packed weights | output | guard
  const X = GUARD
  const W = align(X + batch * L.sampleSize * 4)
  const O = align(W + tiledPackedSize(g, WASM_Q) * 4)
  const outBytes = batch * g.outputSize * 4
  const end = O + outBytes + GUARD
  const pages = Math.ceil(end / 65536)
  const wasm = wasmApi as NonNullable<typeof wasmApi> // the suite runs only where SIMD validates
  const memory = new wasm.Memory({ initial: pages, maximum: pages })
  const bytes = encodeModule([{ name: 'run', code: tiledRowsCode(g, L, 'linear', false, parts) }], { shared: false, initialPages: pages, maxPages: pages })
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } })
  const runExport = instance.exports['run'] as (x: number, w: number, o: number, u0: number, u1: number, s: number) => void
  const f32 = new Float32Array(memory.buffer)
  const run = (u0: number, u1: number): { readonly out: Float32Array; readonly guardsKept: boolean } => {
    f32.fill(SENTINEL)
    copyInPadded(g, L, batch, x, f32, X / 4)
    packTiled(g, WASM_Q, kernel, bias, f32, W / 4)
    runExport(X, W, O, u0, u1, 0)
    const guardsKept = [f32.subarray(0, X / 4), f32.subarray((O + outBytes) / 4, end / 4)].every((r) => r.every((v) => v === SENTINEL))
    return { out: f32.slice(O / 4, (O + outBytes) / 4), guardsKept }
  }
  const ref = new Float32Array(batch * g.outputSize)
  referenceKernel(g, batch, x, kernel, ref)
  const plane = g.outHeight * g.outWidth
  const channelOf = (i: number): number => (nchw ? Math.floor(i / plane) % F : i % F)
  const want = ref.map((v, i) => v + (bias[channelOf(i)] as number))
  // the unit of every output element: (sample · parts + part) · OH + row
  const Fp = F / parts
  const unitOf = (i: number): number => {
    const n = Math.floor(i / g.outputSize)
    const r = nchw ? Math.floor((i % plane) / g.outWidth) : Math.floor(i / (g.outWidth * F)) % g.outHeight
    return (n * parts + Math.floor(channelOf(i) / Fp)) * g.outHeight + r
  }
  return { units: batch * parts * g.outHeight, run, want, unitOf }
}

describe.runIf(HAS_SIMD)('wasm tiled run with channel parts over unit ranges (sample, part, row)', () => {
  it('tiledParts: from fewer than TILED_PART_ROWS output rows, the most parts (≤ 8) dividing the blocks of WASM_Q channels; one group only', () => {
    expect(TILED_PART_ROWS).toBe(8)
    expect(WASM_Q).toBe(8)
    for (const [config, shape, parts] of [
      [{ filters: 32, padding: 'same' }, [4, 4, 128], 4], // DenseNet121's 4 × 4 stage: 4 blocks
      [{ filters: 32, padding: 'same' }, [2, 2, 128], 4],
      [{ filters: 512, padding: 'same' }, [2, 2, 512], 8],
      [{ filters: 24, padding: 'same' }, [3, 3, 8], 3],
      [{ filters: 40, padding: 'valid' }, [9, 9, 4], 5], // 7 rows
      [{ filters: 32, padding: 'same' }, [8, 8, 16], 1], // 8 rows: enough rows
      [{ filters: 12, padding: 'same' }, [4, 4, 16], 1], // not whole blocks
      [{ filters: 8, padding: 'same' }, [4, 4, 16], 1], // one block
      [{ filters: 32, padding: 'same', groups: 2 }, [4, 4, 16], 1]
    ] as const) {
      expect(tiledParts(geometry(config, shape)), `${JSON.stringify(config)} ${shape}`).toBe(parts)
    }
  })

  it.each([
    ['NHWC same, 4 × 4, 4 parts', { filters: 32, padding: 'same' }, [4, 4, 6], 2],
    ['NHWC valid, 7 rows, 3 parts of 2 blocks, odd width', { filters: 48, padding: 'valid' }, [9, 7, 3], 2],
    ['NHWC strides 2, 2 parts', { filters: 16, padding: 'same', strides: 2 }, [5, 6, 4], 3],
    ['NHWC dilated, 2 × 2 output, 3 parts', { filters: 24, padding: 'valid', dilation_rate: 2 }, [6, 6, 5], 2],
    ['NCHW same, 3 × 5, 2 parts', { filters: 16, padding: 'same', data_format: 'channels_first' }, [4, 3, 5], 2],
    ['NCHW valid, 4 parts', { filters: 32, padding: 'valid', data_format: 'channels_first' }, [3, 5, 6], 1]
  ] as const)('%s: every [u0, u1) writes exactly its units, bit for bit', (_, config, shape, batch) => {
    const g = geometry(config, shape)
    const parts = tiledParts(g)
    expect(parts).toBeGreaterThan(1)
    const s = setup(g, parts, batch)
    for (let u0 = 0; u0 < s.units; u0++) {
      for (let u1 = u0 + 1; u1 <= s.units; u1++) {
        const { out, guardsKept } = s.run(u0, u1)
        const bad: string[] = []
        for (let i = 0; i < out.length && bad.length < 3; i++) {
          const u = s.unitOf(i)
          const expected = u >= u0 && u < u1 ? s.want[i] : SENTINEL
          if (out[i] !== expected) bad.push(`[${u0}, ${u1}) element ${i} (unit ${u}): ${out[i]} instead of ${expected}`)
        }
        expect(bad).toEqual([])
        expect(guardsKept).toBe(true)
      }
    }
  })

  it('an empty or inverted range writes nothing; parts that do not divide the channels are refused', () => {
    const g = geometry({ filters: 32, padding: 'same' }, [4, 4, 3])
    const s = setup(g, 4, 1)
    for (const [u0, u1] of [
      [2, 2],
      [5, 1]
    ] as const) {
      const { out, guardsKept } = s.run(u0, u1)
      expect(out.every((v) => v === SENTINEL)).toBe(true)
      expect(guardsKept).toBe(true)
    }
    expect(() => tiledRowsCode(g, paddedLayout(g), 'linear', false, 3)).toThrow(/tiled parts: 3 parts of 32 channels/)
  })
})
