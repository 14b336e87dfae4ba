/**
 * Weight loading: TensorFlow.js weight manifests and `.bin` shards (float32, and the `uint8` / `uint16`
 * / `float16` quantized entries, dequantized), several groups and several shards per group (weights
 * spanning two shard files), and Keras-ordered weight lists.
 *
 * Every byte here is built by the test and every expected value derived by hand in the comments:
 * float32 little-endian bit patterns, `min + scale · q` for the integer quantizations, and IEEE half
 * floats (sign · 2^(exp − 15) · (1 + frac/1024), subnormals 2^−14 · frac/1024). Errors are checked for
 * their JSON path and for naming the weight (and file) they are about. Loading never writes into the
 * byte buffers it was given, nor shares memory with them.
 */
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadTfjsWeights } from '../../src/cli/io.js'
import type { SpecError } from '../../src/core/SpecError.js'
import type { Tensor } from '../../src/core/Tensor.js'
import { compileModel, type CompiledModel, type ModelParams } from '../../src/model/compileModel.js'
import { decodeModel, decodeModelFile } from '../../src/model/decodeModel.js'
import { assignNamedWeights, assignOrderedWeights, decodeWeightData, readWeightsManifest, type ManifestGroup } from '../../src/model/weights.js'
import { left, right } from '../helpers.js'

// -------------------------------------------------------------------------------------
// bytes
// -------------------------------------------------------------------------------------

const cat = (...parts: ReadonlyArray<ArrayLike<number>>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** float32 values as little-endian bytes (used where the bit patterns are not the point). */
const f32 = (...xs: ReadonlyArray<number>): Uint8Array => {
  const b = new Uint8Array(4 * xs.length)
  const v = new DataView(b.buffer)
  xs.forEach((x, i) => v.setFloat32(4 * i, x, true))
  return b
}

const messages = (errors: ReadonlyArray<SpecError>): string => errors.map((e) => `${e.path}: ${e.message}`).join('\n')

const values = (t: Tensor | undefined): number[] => {
  if (t === undefined) throw new Error('no such tensor')
  return Array.from(t.data)
}

// -------------------------------------------------------------------------------------
// a manifest with every stored dtype, two groups, weights spanning shards
// -------------------------------------------------------------------------------------

/**
 * Group 0: 38 bytes over two shards (split after byte 7, inside the second float of `w/f32`).
 * Group 1: 9 bytes over three shards (split after bytes 3 and 8: `v/f32`'s first float spans shards 1–2).
 */
const MANIFEST = [
  {
    paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
    weights: [
      { name: 'w/f32', shape: [3], dtype: 'float32' },
      { name: 'w/u8', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
      { name: 'w/u16', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', min: 0.25, scale: 0.001 } },
      { name: 'w/f16', shape: [2, 4], dtype: 'float32', quantization: { dtype: 'float16' } }
    ]
  },
  {
    paths: ['group2-shard1of3.bin', 'group2-shard2of3.bin', 'group2-shard3of3.bin'],
    weights: [
      { name: 'v/f32', shape: [2, 1], dtype: 'float32' },
      { name: 'v/u8', shape: [], dtype: 'float32', quantization: { dtype: 'uint8', min: 10, scale: 2 } }
    ]
  }
]

// float32, little-endian: 1.5 = 0x3FC00000, -2.25 = 0xC0100000, 0.1f = 0x3DCCCCCD
const W_F32 = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x10, 0xc0, 0xcd, 0xcc, 0xcc, 0x3d]
// uint8 codes 0, 1, 2, 255 → -1 + 0.5·q = -1, -0.5, 0, 126.5
const W_U8 = [0, 1, 2, 255]
// uint16 codes 0, 1000 (0x03E8), 65535 (0xFFFF), little-endian → 0.25 + 0.001·q = 0.25, 1.25, 65.785
const W_U16 = [0x00, 0x00, 0xe8, 0x03, 0xff, 0xff]
// float16, little-endian:
//   0x3C00 = 2^0 · 1 = 1;   0xC000 = -2^1 = -2;   0x3555 = 2^(13-15) · (1 + 341/1024) = 0.333251953125;
//   0x7BFF = 2^15 · (1 + 1023/1024) = 65504 (largest half);   0x0001 = 2^-14 · 1/1024 = 2^-24 (subnormal);
//   0x8000 = -0;   0x7C00 = +Infinity;   0x7E00 = NaN
const W_F16 = [0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7c, 0x00, 0x7e]
// float32 3 = 0x40400000, -4 = 0xC0800000; uint8 code 7 → 10 + 2·7 = 24
const V_F32 = [0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0xc0]
const V_U8 = [7]

const GROUP1 = cat(W_F32, W_U8, W_U16, W_F16) // 12 + 4 + 6 + 16 = 38 bytes
const GROUP2 = cat(V_F32, V_U8) // 9 bytes
const SHARDS: ReadonlyArray<ReadonlyArray<Uint8Array>> = [
  [GROUP1.slice(0, 7), GROUP1.slice(7)],
  [GROUP2.slice(0, 3), GROUP2.slice(3, 8), GROUP2.slice(8)]
]

const EXPECTED: Readonly<Record<string, { readonly shape: ReadonlyArray<number>; readonly data: ReadonlyArray<number> }>> = {
  'w/f32': { shape: [3], data: [1.5, -2.25, Math.fround(0.1)] },
  'w/u8': { shape: [2, 2], data: [-1, -0.5, 0, 126.5] },
  'w/u16': { shape: [3], data: [0.25, 1.25, 65.785] },
  'w/f16': { shape: [2, 4], data: [1, -2, 0.333251953125, 65504, 2 ** -24, -0, Infinity, NaN] },
  'v/f32': { shape: [2, 1], data: [3, -4] },
  'v/u8': { shape: [], data: [24] }
}

/** Each value equal to the hand-derived one, to float32 precision (NaN, ±Infinity and -0 exactly). */
const expectValues = (actual: ReadonlyArray<number>, expected: ReadonlyArray<number>, rel = 1e-6): void => {
  expect(actual.length).toBe(expected.length)
  expected.forEach((e, i) => {
    const a = actual[i] as number
    if (Number.isNaN(e) || !Number.isFinite(e) || e === 0) expect(Object.is(a, e), `[${i}]: ${a} vs ${e}`).toBe(true)
    else expect(Math.abs(a - e), `[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(rel * Math.abs(e))
  })
}

const groupsOf = (u: unknown): ReadonlyArray<ManifestGroup> => right(readWeightsManifest(u))

describe('readWeightsManifest', () => {
  it('reads float32 and quantized entries, keeping each group\'s shard paths in order', () => {
    const groups = groupsOf(MANIFEST)
    expect(groups.map((g) => g.paths)).toEqual([MANIFEST[0]?.paths, MANIFEST[1]?.paths])
    expect(groups.map((g) => g.weights.map((w) => [w.name, w.shape, w.dtype]))).toEqual([
      [['w/f32', [3], 'float32'], ['w/u8', [2, 2], 'float32'], ['w/u16', [3], 'float32'], ['w/f16', [2, 4], 'float32']],
      [['v/f32', [2, 1], 'float32'], ['v/u8', [], 'float32']]
    ])
    const q = groups[0]?.weights.map((w) => w.quantization)
    expect(q?.[0]).toBeNull()
    expect(q?.[1]).toMatchObject({ dtype: 'uint8', min: -1, scale: 0.5 })
    expect(q?.[2]).toMatchObject({ dtype: 'uint16', min: 0.25, scale: 0.001 })
    expect(q?.[3]).toMatchObject({ dtype: 'float16' })
  })

  it('reports every problem of a bad manifest at once, each at its JSON path from the model.json root', () => {
    const bad = [
      {
        paths: ['ok.bin', '../up.bin', 7, '/etc/abs.bin'],
        weights: [
          { name: 'a', shape: [2], dtype: 'float32' },
          { name: 'b', shape: [2], dtype: 'int32' },
          { name: 3, shape: [2, -1], dtype: 'float32' },
          { name: 'c', shape: [1.5], dtype: 'float32' },
          { name: 'd', shape: [1], dtype: 'float32', quantization: { dtype: 'int8', min: 0, scale: 1 } },
          { name: 'e', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1 } },
          'nope'
        ]
      },
      { paths: 'x.bin', weights: [] },
      null
    ]
    const errors = left(readWeightsManifest(bad))
    const byPath = new Map(errors.map((e) => [e.path, e.message]))
    expect([...byPath.keys()].sort()).toEqual(
      [
        'weightsManifest[0].paths[1]',
        'weightsManifest[0].paths[2]',
        'weightsManifest[0].paths[3]',
        'weightsManifest[0].weights[1].dtype',
        'weightsManifest[0].weights[2].name',
        'weightsManifest[0].weights[2].shape',
        'weightsManifest[0].weights[3].shape',
        'weightsManifest[0].weights[4].quantization',
        'weightsManifest[0].weights[5].quantization',
        'weightsManifest[0].weights[6]',
        'weightsManifest[1]',
        'weightsManifest[2]'
      ].sort()
    )
    expect(errors).toHaveLength(12)
    expect(byPath.get('weightsManifest[0].paths[1]')).toContain('"../up.bin"')
    expect(byPath.get('weightsManifest[0].weights[1].dtype')).toContain('"float32"')
    expect(byPath.get('weightsManifest[0].weights[1].dtype')).toContain('"int32"')
    expect(byPath.get('weightsManifest[0].weights[2].shape')).toContain('[2,-1]')
    expect(byPath.get('weightsManifest[0].weights[3].shape')).toContain('[1.5]')
    expect(byPath.get('weightsManifest[0].weights[4].quantization')).toContain('int8')
    expect(byPath.get('weightsManifest[0].weights[5].quantization')).toContain('"min"')
    expect(byPath.get('weightsManifest[0].weights[6]')).toContain('"nope"')
    expect(byPath.get('weightsManifest[2]')).toContain('null')
  })

  it('rejects a manifest that is not a list', () => {
    const errors = left(readWeightsManifest({ paths: [], weights: [] }))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest'])
    expect(errors[0]?.message).toContain('expected a list of weight groups')
  })
})

describe('decodeWeightData: float32, uint8, uint16 and float16 entries, groups of several shards', () => {
  it('dequantizes each entry to the hand-derived values, across shard boundaries and groups', () => {
    const named = right(decodeWeightData(groupsOf(MANIFEST), SHARDS))
    expect([...named.keys()]).toEqual(Object.keys(EXPECTED))
    for (const [name, e] of Object.entries(EXPECTED)) {
      const t = named.get(name)
      expect(t?.shape, name).toEqual(e.shape)
      expect(t?.data, name).toBeInstanceOf(Float32Array)
      expectValues(values(t), e.data)
    }
    // float32 values are bit-exact; the exact dequantized values are representable in float32
    expect(values(named.get('w/f32'))).toEqual([1.5, -2.25, 0.10000000149011612])
    expect(values(named.get('w/u8'))).toEqual([-1, -0.5, 0, 126.5])
    expect(values(named.get('w/f16')).slice(0, 5)).toEqual([1, -2, 0.333251953125, 65504, 5.960464477539063e-8])
  })

  it('computes in float64 when asked: min + scale·q without float32 rounding', () => {
    const named = right(decodeWeightData(groupsOf(MANIFEST), SHARDS, 'float64'))
    const u16 = named.get('w/u16')
    expect(u16?.data).toBeInstanceOf(Float64Array)
    expectValues(values(u16), [0.25, 1.25, 65.785], 1e-14)
    expect(values(named.get('w/f32'))[2]).toBe(Math.fround(0.1)) // the stored float32, widened
  })

  it('gives the same tensors whatever the split of a group into shards (one shard, byte-per-shard, unaligned views)', () => {
    const groups = groupsOf(MANIFEST)
    const reference = right(decodeWeightData(groups, SHARDS))
    const oneShard = right(decodeWeightData([{ ...groups[0] as ManifestGroup, paths: ['all.bin'] }, groups[1] as ManifestGroup], [[GROUP1], SHARDS[1] as Uint8Array[]]))
    const bytewise = right(
      decodeWeightData(
        groups.map((g, i) => ({ ...g, paths: Array.from({ length: [GROUP1, GROUP2][i]?.length ?? 0 }, (_, k) => `b${k}.bin`) })),
        [GROUP1, GROUP2].map((g) => Array.from(g, (b) => Uint8Array.of(b)))
      )
    )
    // shards that are views at an odd offset into a larger buffer (as Node's pooled Buffers are)
    const backing = new Uint8Array(3 + GROUP1.length + 5 + GROUP2.length)
    backing.set(GROUP1, 3)
    backing.set(GROUP2, 3 + GROUP1.length + 5)
    const views = [[new Uint8Array(backing.buffer, 3, GROUP1.length)], [new Uint8Array(backing.buffer, 3 + GROUP1.length + 5, GROUP2.length)]]
    const viewed = right(decodeWeightData([{ ...groups[0] as ManifestGroup, paths: ['a.bin'] }, { ...groups[1] as ManifestGroup, paths: ['b.bin'] }], views))
    for (const other of [oneShard, bytewise, viewed]) {
      for (const name of Object.keys(EXPECTED)) expect(values(other.get(name)), name).toEqual(values(reference.get(name)))
    }
  })

  it('does not write into the byte buffers it is given, nor share memory with them', () => {
    const shards = SHARDS.map((g) => g.map((s) => s.slice()))
    const before = shards.map((g) => g.map((s) => Array.from(s)))
    const named = right(decodeWeightData(groupsOf(MANIFEST), shards))
    expect(shards.map((g) => g.map((s) => Array.from(s)))).toEqual(before)
    const snapshot = new Map([...named].map(([k, t]) => [k, values(t)]))
    for (const g of shards) for (const s of g) s.fill(0xff)
    for (const [k, t] of named) expect(values(t)).toEqual(snapshot.get(k))
  })

  it('a short shard: an error naming the group, its shard files and the first weight that does not fit', () => {
    const groups = groupsOf(MANIFEST)
    const short = [SHARDS[0] as Uint8Array[], [SHARDS[1]?.[0], SHARDS[1]?.[1], new Uint8Array(0)] as Uint8Array[]]
    const errors = left(decodeWeightData(groups, short))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[1]'])
    expect(errors[0]?.message).toContain('"v/u8"')
    expect(errors[0]?.message).toContain('group2-shard3of3.bin')
    expect(errors[0]?.message).toMatch(/short/)
    // one byte missing in the middle of group 0: the float16 entry at its end is the one that does not fit
    const e2 = left(decodeWeightData(groups, [[SHARDS[0]?.[0] as Uint8Array, GROUP1.slice(7, -1)], SHARDS[1] as Uint8Array[]]))
    expect(e2.map((e) => e.path)).toEqual(['weightsManifest[0]'])
    expect(e2[0]?.message).toContain('"w/f16"')
    expect(e2[0]?.message).toContain('37')
  })

  it('no shards at all for a group: the group\'s first weight is named', () => {
    const errors = left(decodeWeightData(groupsOf(MANIFEST), [SHARDS[0] as Uint8Array[]]))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[1]'])
    expect(errors[0]?.message).toContain('"v/f32"')
  })

  it('extra bytes after the last weight, or an extra shard: an error naming the group, its files and the byte counts', () => {
    const groups = groupsOf(MANIFEST)
    const extraBytes = left(decodeWeightData(groups, [[SHARDS[0]?.[0] as Uint8Array, cat(GROUP1.slice(7), [0, 0])], SHARDS[1] as Uint8Array[]]))
    expect(extraBytes.map((e) => e.path)).toEqual(['weightsManifest[0]'])
    expect(extraBytes[0]?.message).toContain('40')
    expect(extraBytes[0]?.message).toContain('38')
    expect(extraBytes[0]?.message).toMatch(/extra/)
    const withExtraShard = [groups[0] as ManifestGroup, { ...groups[1] as ManifestGroup, paths: [...(groups[1]?.paths ?? []), 'group2-shard4of3.bin'] }]
    const extraShard = left(decodeWeightData(withExtraShard, [SHARDS[0] as Uint8Array[], [...(SHARDS[1] ?? []), f32(1)]]))
    expect(extraShard.map((e) => e.path)).toEqual(['weightsManifest[1]'])
    expect(extraShard[0]?.message).toContain('group2-shard4of3.bin')
    expect(extraShard[0]?.message).toMatch(/extra/)
  })

  it('a weight name appearing twice across groups is an error naming it', () => {
    const groups = groupsOf([MANIFEST[0], { paths: ['dup.bin'], weights: [{ name: 'w/f32', shape: [1], dtype: 'float32' }] }])
    const errors = left(decodeWeightData(groups, [SHARDS[0] as Uint8Array[], [f32(1)]]))
    expect(messages(errors)).toContain('"w/f32" appears twice')
  })

  it('decodes the same values as tfjs-core\'s own io.decodeWeights', async () => {
    const { tf } = await import('../tfjs.js')
    const specs = MANIFEST.flatMap((g) => g.weights) as Parameters<typeof tf.io.decodeWeights>[1]
    const theirs = tf.io.decodeWeights(cat(GROUP1, GROUP2).buffer as ArrayBuffer, specs)
    const ours = right(decodeWeightData(groupsOf(MANIFEST), SHARDS))
    for (const name of Object.keys(EXPECTED)) {
      const t = theirs[name]
      expect(t?.shape, name).toEqual(ours.get(name)?.shape)
      const d = Array.from(t?.dataSync() ?? [])
      values(ours.get(name)).forEach((v, i) => expect(Object.is(v, d[i]) || Math.abs(v - (d[i] as number)) <= 1e-6 * Math.abs(v), `${name}[${i}]: ${v} vs ${String(d[i])}`).toBe(true))
    }
  })
})

// -------------------------------------------------------------------------------------
// assigning to a model
// -------------------------------------------------------------------------------------

const dense = (name: string, units: number, extra: Readonly<Record<string, unknown>> = {}): unknown => ({
  class_name: 'Dense',
  config: { name, units, activation: 'linear', use_bias: true, trainable: true, dtype: 'float32', ...extra }
})

/** d1: Dense 3 → 2, d2: Dense 2 → 1 (tfjs model.json topology). */
const TOPOLOGY = {
  class_name: 'Sequential',
  config: { name: 'tiny', layers: [dense('d1', 2, { batch_input_shape: [null, 3] }), dense('d2', 1)] },
  keras_version: 'tfjs-layers 4.22.0',
  backend: 'tensor_flow.js'
}

const compile = (topology: unknown): CompiledModel => right(compileModel(right(decodeModel(topology))))
const tiny = compile(TOPOLOGY)

const tensor = (shape: ReadonlyArray<number>, data: ReadonlyArray<number>): Tensor => ({ shape, data: Float32Array.from(data) })

/**
 * Hand-chosen weights and the forward they give:
 *   K1 = [[1, -1], [0.5, 2], [-2, 0]], b1 = [-0.5, 1], K2 = [[1], [-2]], b2 = [1.5]
 *   x = [1, 2, 3]: h = [1 + 1 - 6 - 0.5, -1 + 4 + 0 + 1] = [-4.5, 4], y = -4.5 - 8 + 1.5 = -11
 *   x = [0, 0, 0]: h = b1 = [-0.5, 1],                              y = -0.5 - 2 + 1.5 = -1
 */
const K1 = [1, -1, 0.5, 2, -2, 0]
const B1 = [-0.5, 1]
const K2 = [1, -2]
const B2 = [1.5]
const X = tensor([2, 3], [1, 2, 3, 0, 0, 0])
const Y = [-11, -1]

const namedTiny = (entries: ReadonlyArray<readonly [string, Tensor]>): ReadonlyMap<string, Tensor> => new Map(entries)
const GOOD: ReadonlyArray<readonly [string, Tensor]> = [
  ['d1/kernel', tensor([3, 2], K1)],
  ['d1/bias', tensor([2], B1)],
  ['d2/kernel', tensor([2, 1], K2)],
  ['d2/bias', tensor([1], B2)]
]

describe('assignNamedWeights', () => {
  it('matches manifest names to the model\'s weights, in the model\'s order whatever the manifest order', () => {
    const params = right(assignNamedWeights(tiny, namedTiny([...GOOD].reverse())))
    expect(params.map((p) => p.shape)).toEqual([[3, 2], [2], [2, 1], [1]])
    expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, K2, B2])
    expect(Array.from(tiny.forward(params, [X])[0]?.data ?? [])).toEqual(Y)
  })

  it('accepts the ":0" suffix the Keras converters write', () => {
    const params = right(assignNamedWeights(tiny, namedTiny(GOOD.map(([k, t]) => [`${k}:0`, t] as const))))
    expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, K2, B2])
  })

  it('a weight missing from the manifest: an error naming it and its shape', () => {
    const errors = left(assignNamedWeights(tiny, namedTiny(GOOD.filter(([k]) => k !== 'd2/bias'))))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toContain('"d2/bias"')
    expect(errors[0]?.message).toContain('[1]')
    expect(errors[0]?.message).toContain('missing from the manifest')
  })

  it('a shape mismatch: an error naming the weight, the manifest shape and the expected one', () => {
    const errors = left(assignNamedWeights(tiny, namedTiny(GOOD.map(([k, t]) => (k === 'd1/kernel' ? [k, tensor([2, 3], K1)] as const : [k, t] as const)))))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toContain('"d1/kernel"')
    expect(errors[0]?.message).toContain('[2, 3]')
    expect(errors[0]?.message).toContain('[3, 2]')
  })

  it('a manifest weight no layer has: an error naming it', () => {
    const errors = left(assignNamedWeights(tiny, namedTiny([...GOOD, ['ghost/kernel:0', tensor([1], [0])]])))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toContain('"ghost/kernel"')
    expect(errors[0]?.message).toContain('no layer')
  })

  it('reports every problem at once', () => {
    const named = namedTiny([['d1/kernel', tensor([6], K1)], ['d1/bias', tensor([2], B1)], ['d2/kernel', tensor([2, 1], K2)], ['d3/bias', tensor([1], B2)]])
    const text = messages(left(assignNamedWeights(tiny, named)))
    expect(text).toContain('"d1/kernel" has shape [6]')
    expect(text).toContain('"d2/bias"')
    expect(text).toContain('"d3/bias"')
  })

  describe('nested models', () => {
    const inner = (name: string, layer: string): unknown => ({ class_name: 'Sequential', config: { name, layers: [dense(layer, 2, { batch_input_shape: [null, 2] })] } })
    const nested = compile({ ...TOPOLOGY, config: { name: 'outer', layers: [dense('d1', 2, { batch_input_shape: [null, 3] }), inner('inner', 'd_in'), dense('d2', 1)] } })
    const A = [2, 0, 0, 3]
    const BA = [0.25, -0.25]
    const named = (innerKernel: string, innerBias: string): ReadonlyMap<string, Tensor> =>
      namedTiny([...GOOD, [innerKernel, tensor([2, 2], A)], [innerBias, tensor([2], BA)]])

    it('the weights of a nested model\'s layer have paths through it', () => {
      expect(nested.weights.map((w) => w.path)).toEqual(['d1/kernel', 'd1/bias', 'inner/d_in/kernel', 'inner/d_in/bias', 'd2/kernel', 'd2/bias'])
    })

    it.each([
      ['full paths', 'inner/d_in/kernel', 'inner/d_in/bias'],
      ['full paths with ":0"', 'inner/d_in/kernel:0', 'inner/d_in/bias:0'],
      ['layer/weight, as tfjs-layers writes them', 'd_in/kernel', 'd_in/bias']
    ])('by %s', (_, k, b) => {
      const params = right(assignNamedWeights(nested, named(k, b)))
      expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, A, BA, K2, B2])
      // x = [1, 2, 3]: h = [-4.5, 4] → inner: [-9 + 0.25, 12 - 0.25] = [-8.75, 11.75] → y = -8.75 - 23.5 + 1.5 = -30.75
      // x = 0:         h = [-0.5, 1] → inner: [-1 + 0.25, 3 - 0.25] = [-0.75, 2.75]  → y = -0.75 - 5.5 + 1.5 = -4.75
      expect(Array.from(nested.forward(params, [X])[0]?.data ?? [])).toEqual([-30.75, -4.75])
    })

    // Two nested models may each hold a layer of the same name (each model is its own namespace).
    const twin = compile({ ...TOPOLOGY, config: { name: 'outer', layers: [dense('d1', 2, { batch_input_shape: [null, 3] }), inner('inner1', 'd'), inner('inner2', 'd'), dense('d2', 1)] } })
    const C = [1, 1, 1, 1]

    it('two nested layers of the same name are told apart by their full paths', () => {
      const params = right(
        assignNamedWeights(twin, namedTiny([...GOOD, ['inner1/d/kernel', tensor([2, 2], A)], ['inner1/d/bias', tensor([2], BA)], ['inner2/d/kernel', tensor([2, 2], C)], ['inner2/d/bias', tensor([2], [0, 0])]]))
      )
      expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, A, BA, C, [0, 0], K2, B2])
    })

    it('an ambiguous layer/weight name (it fits two nested layers) is an error naming it, not the same tensor given to both', () => {
      // weights.ts documents the `layer/weight` fallback as applying "when that is unique".
      const r = assignNamedWeights(twin, namedTiny([...GOOD, ['d/kernel', tensor([2, 2], A)], ['d/bias', tensor([2], BA)]]))
      expect(E.isLeft(r), E.isRight(r) ? 'inner1/d and inner2/d both received "d/kernel" and "d/bias"' : '').toBe(true)
      if (E.isLeft(r)) expect(messages(r.left)).toContain('d/kernel')
    })
  })
})

describe('assignOrderedWeights (Keras get_weights() order)', () => {
  it('wraps the values as params of the model\'s dtype and shapes, copying them', () => {
    const given = [Object.freeze([...K1]), Float64Array.from(B1), Float32Array.from(K2), Object.freeze([...B2])]
    const params = right(assignOrderedWeights(tiny, given))
    expect(params.map((p) => p.shape)).toEqual([[3, 2], [2], [2, 1], [1]])
    for (const p of params) expect(p.data).toBeInstanceOf(Float32Array)
    expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, K2, B2])
    expect(Array.from(tiny.forward(params, [X])[0]?.data ?? [])).toEqual(Y)
    ;(given[1] as Float64Array)[0] = 99
    ;(given[2] as Float32Array).fill(7)
    expect(params.map((p) => Array.from(p.data))).toEqual([K1, B1, K2, B2])
  })

  it('a wrong number of arrays: an error listing the weights expected', () => {
    const errors = left(assignOrderedWeights(tiny, [K1, B1, K2]))
    expect(errors.map((e) => e.path)).toEqual(['weights'])
    expect(errors[0]?.message).toContain('expected 4 weight arrays')
    expect(errors[0]?.message).toContain('found 3')
    for (const w of ['d1/kernel', 'd1/bias', 'd2/kernel', 'd2/bias']) expect(errors[0]?.message).toContain(w)
  })

  it('arrays of the wrong length: an error for each, naming the weight, its shape and the counts', () => {
    const errors = left(assignOrderedWeights(tiny, [K1, [...B1, 0], K2, []]))
    expect(errors.map((e) => e.path)).toEqual(['weights[1]', 'weights[3]'])
    expect(errors[0]?.message).toContain('"d1/bias"')
    expect(errors[0]?.message).toContain('[2]')
    expect(errors[0]?.message).toMatch(/needs 2 values, found 3/)
    expect(errors[1]?.message).toContain('"d2/bias"')
    expect(errors[1]?.message).toMatch(/needs 1 values?, found 0/)
  })
})

// -------------------------------------------------------------------------------------
// from disk: model.json + .bin shards next to it
// -------------------------------------------------------------------------------------

describe('loadTfjsWeights: a model.json and its shards in a directory', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /**
   * The tiny model's weights in two groups (listed d2 first), every storage kind, and d1/kernel split
   * over two shard files:
   *   group 0 (one shard):  d2/kernel:0 float16 [0x3C00, 0xC000] = [1, -2];  d2/bias:0 uint16, min 0,
   *                         scale 0.5, q = 3 → 1.5
   *   group 1 (two shards): d1/kernel float32 K1 (24 bytes, 10 in the first shard);  d1/bias uint8,
   *                         min -1, scale 0.25, q = [2, 8] → [-0.5, 1]
   */
  const write = (): { dir: string; modelJson: string; manifest: unknown[] } => {
    const dir = mkdtempSync(join(tmpdir(), 'layerspec-weights-'))
    dirs.push(dir)
    const manifest = [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'd2/kernel:0', shape: [2, 1], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'd2/bias:0', shape: [1], dtype: 'float32', quantization: { dtype: 'uint16', min: 0, scale: 0.5 } }
        ]
      },
      {
        paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'],
        weights: [
          { name: 'd1/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'd1/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.25 } }
        ]
      }
    ]
    const modelJson = join(dir, 'model.json')
    writeFileSync(modelJson, JSON.stringify({ format: 'layers-model', generatedBy: 'hand', convertedBy: null, modelTopology: TOPOLOGY, weightsManifest: manifest }))
    writeFileSync(join(dir, 'group1-shard1of1.bin'), Uint8Array.of(0x00, 0x3c, 0x00, 0xc0, 0x03, 0x00))
    const g2 = cat(f32(...K1), [2, 8])
    writeFileSync(join(dir, 'group2-shard1of2.bin'), g2.slice(0, 10))
    writeFileSync(join(dir, 'group2-shard2of2.bin'), g2.slice(10))
    return { dir, modelJson, manifest }
  }

  const load = (modelJson: string): E.Either<ReadonlyArray<SpecError>, unknown> => {
    const file = right(decodeModelFile(JSON.parse(readFileSync(modelJson, 'utf8')) as unknown))
    const model = right(compileModel(file.model))
    return E.map((params: ModelParams | null): unknown => (params === null ? null : model.forward(params, [X])))(loadTfjsWeights(modelJson, file, model))
  }

  it('loads, dequantizes and assigns the weights; the forward gives the hand-computed outputs', () => {
    const { modelJson } = write()
    const outputs = right(load(modelJson)) as ReadonlyArray<Tensor>
    expect(outputs[0]?.shape).toEqual([2, 1])
    expect(Array.from(outputs[0]?.data ?? [])).toEqual(Y)
  })

  it('gives null for a model.json without a weights manifest', () => {
    const { dir } = write()
    const modelJson = join(dir, 'bare.json')
    writeFileSync(modelJson, JSON.stringify({ format: 'layers-model', modelTopology: TOPOLOGY }))
    expect(right(load(modelJson))).toBeNull()
  })

  it('a missing shard file: an error at its manifest path naming the file', () => {
    const { dir, modelJson } = write()
    unlinkSync(join(dir, 'group2-shard2of2.bin'))
    const errors = left(load(modelJson))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[1].paths[1]'])
    expect(errors[0]?.message).toContain('"group2-shard2of2.bin"')
    expect(errors[0]?.message).toContain('missing')
  })

  it('a missing shard file: the error also names the weights stored in it (the issue: "missing … shards … are clear errors naming the weight")', () => {
    const { dir, modelJson } = write()
    unlinkSync(join(dir, 'group2-shard2of2.bin'))
    // group2-shard2of2.bin holds the last 14 bytes of d1/kernel and all of d1/bias
    expect(messages(left(load(modelJson)))).toContain('d1/bias')
  })

  it('a short shard file on disk: an error naming the weight that does not fit', () => {
    const { dir, modelJson } = write()
    truncateSync(join(dir, 'group2-shard2of2.bin'), 15)
    const errors = left(load(modelJson))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[1]'])
    expect(errors[0]?.message).toContain('"d1/bias"')
  })

  it('an extra shard file listed in the manifest: an error naming it', () => {
    const { dir, modelJson, manifest } = write()
    writeFileSync(join(dir, 'group2-shard3of2.bin'), f32(0))
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>
    const groups = manifest as Array<{ paths: string[] }>
    groups[1]?.paths.push('group2-shard3of2.bin')
    writeFileSync(modelJson, JSON.stringify({ ...json, weightsManifest: groups }))
    const errors = left(load(modelJson))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[1]'])
    expect(errors[0]?.message).toContain('group2-shard3of2.bin')
    expect(errors[0]?.message).toMatch(/extra/)
  })

  it('a bad manifest: the manifest\'s errors, at their paths, before any file is read', () => {
    const { modelJson } = write()
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>
    writeFileSync(
      modelJson,
      JSON.stringify({ ...json, weightsManifest: [{ paths: ['nowhere.bin'], weights: [{ name: 'd2/kernel', shape: [2, 1], dtype: 'float32' }, { name: 'd2/bias', shape: [1], dtype: 'string' }] }] })
    )
    const errors = left(load(modelJson))
    expect(errors.map((e) => e.path)).toEqual(['weightsManifest[0].weights[1].dtype'])
    expect(errors[0]?.message).toContain('"string"')
  })

  it('a manifest without one of the model\'s weights, and with one no layer has', () => {
    const { modelJson, manifest } = write()
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>
    const groups = manifest as Array<{ weights: Array<{ name: string }> }>
    const g0 = groups[0]?.weights[1]
    if (g0 !== undefined) g0.name = 'd3/bias' // same bytes, a name no layer has; d2/bias is then missing
    writeFileSync(modelJson, JSON.stringify({ ...json, weightsManifest: groups }))
    const text = messages(left(load(modelJson)))
    expect(text).toContain('"d2/bias" (shape [1]) is missing from the manifest')
    expect(text).toContain('"d3/bias" in the manifest belongs to no layer')
  })

  it('does not change the files it reads', () => {
    const { dir, modelJson } = write()
    const files = ['model.json', 'group1-shard1of1.bin', 'group2-shard1of2.bin', 'group2-shard2of2.bin']
    const before = files.map((f) => Array.from(readFileSync(join(dir, f))))
    right(load(modelJson))
    right(load(modelJson))
    expect(files.map((f) => Array.from(readFileSync(join(dir, f))))).toEqual(before)
  })
})
