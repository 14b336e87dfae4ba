/**
 * The non-GEMM wasm kernels (src/compiler/kernels/wasm-ops.ts) against the reference kernel, on a
 * NaN-poisoned arena (spec/compiler/opsHarness.ts): bit for bit — every one of them computes what
 * the reference computes (float64 where the reference rounds a float64 result once) — with non-finite
 * values, fused epilogues, unaligned and end-of-memory placement, batch 1 and > 1, both data formats;
 * the arena outside the output is never written. Also which nodes each family takes.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { batchNormFamily, concatFamily, globalPoolFamily, mergeFamily, poolFamily, unaryFamily, upsampleFamily, WASM_OP_FAMILIES } from '../../src/compiler/kernels/wasm-ops.js'
import { floatBelow, splitStages, vecOpsOf } from '../../src/compiler/kernels/wasm/opsStages.js'
import type { KernelChoice, KernelFactory } from '../../src/compiler/StepKernel.js'
import type { Unary } from '../../src/compiler/Unary.js'
import type { WasmMemory } from '../../src/kernel/wasm/api.js'
import type { Dialect } from '../../src/codec/Dialect.js'
import { compare, firstBitDifference, floats, newMemory, oneNode, type CompareOptions, type OneNode, type TestStage } from './opsHarness.js'

const RELU6: TestStage = { fn: { kind: 'clamp', lo: 0, hi: 6 } }
const RELU: TestStage = { fn: { kind: 'clamp', lo: 0, hi: Infinity } }
const ADD: TestStage = { add: true }
const SIGMOID: TestStage = { fn: { kind: 'activation', name: 'sigmoid', dialect: 'keras3' } }

/** Weights for a node: BatchNormalization's variance positive, the rest in [−1, 1] (a few specials when asked). */
const weightsFor = (one: OneNode, className: string, seed: number, specials = 0): Tensor[] =>
  one.weightShapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1)
    const d = floats(n, seed + 17 * i, 1, specials)
    // BatchNormalization: every statistic positive (the variance must be)
    if (className === 'BatchNormalization') for (let j = 0; j < n; j++) d[j] = Math.abs(d[j] as number) + 1e-3
    return { shape: s, data: d }
  })

/**
 * Runs `family` and the reference on one layer; expects the family to take it and both to agree bit
 * for bit, the arena untouched outside the output. Returns the kernel's name.
 */
const check = (
  family: KernelFactory,
  className: string,
  config: Record<string, unknown>,
  shapes: ReadonlyArray<ReadonlyArray<number>>,
  options: Partial<CompareOptions> & { readonly stages?: ReadonlyArray<TestStage>; readonly specials?: number; readonly seed?: number; readonly range?: number; readonly dialect?: Dialect } = {}
): string => {
  const one = oneNode(className, config, shapes, options.stages ?? [], options.dialect ?? 'keras3')
  const seed = options.seed ?? 1
  const batch = options.batch ?? 2
  const weights = weightsFor(one, className, seed)
  const data = one.inShapes.map((s, i) => floats(batch * s.reduce((a, b) => a * b, 1), seed * 31 + i, options.range ?? 4, options.specials ?? 0))
  const r = compare(family, one, weights, data, { batch, gap: options.gap ?? 0, inPlace: options.inPlace ?? false, atEnd: options.atEnd ?? false })
  expect(r, `${className} ${JSON.stringify(config)} taken`).toBeDefined()
  if (r === undefined) return ''
  const d = firstBitDifference(r.fast.out, r.reference.out)
  expect(d, `${className} ${JSON.stringify(config)} ${JSON.stringify(shapes)}: first difference at ${d}: ${r.fast.out[d]} vs ${r.reference.out[d]}`).toBe(-1)
  expect(r.fast.untouched, 'writes nothing outside its output').toBe(true)
  return r.fast.kernel
}

const PLACEMENTS: ReadonlyArray<readonly [string, Partial<CompareOptions>]> = [
  ['aligned', { gap: 0 }],
  ['unaligned', { gap: 5 }],
  ['at the end of memory', { atEnd: true, gap: 3 }]
]

describe('pool: MaxPooling2D / AveragePooling2D', () => {
  const GEOMETRIES: ReadonlyArray<readonly [Record<string, unknown>, ReadonlyArray<number>]> = [
    [{ pool_size: [2, 2] }, [8, 8, 16]],
    [{ pool_size: [2, 2] }, [7, 9, 3]],
    [{ pool_size: [2, 2], padding: 'same' }, [7, 9, 13]],
    [{ pool_size: [3, 3], strides: [2, 2], padding: 'same' }, [9, 10, 12]],
    [{ pool_size: [3, 3], strides: [1, 1], padding: 'same' }, [5, 6, 5]],
    [{ pool_size: [3, 2], strides: [1, 3], padding: 'valid' }, [6, 11, 9]],
    [{ pool_size: [4, 4], strides: [4, 4] }, [8, 8, 20]],
    [{ pool_size: [5, 5], strides: [5, 5] }, [10, 15, 2]],
    [{ pool_size: [7, 7], strides: [1, 1], padding: 'same' }, [6, 7, 4]],
    [{ pool_size: [6, 6], strides: [2, 3], padding: 'same' }, [3, 4, 9]],
    [{ pool_size: [1, 1], strides: [2, 2] }, [5, 5, 7]],
    [{ pool_size: [2, 2] }, [2, 2, 1]]
  ]
  for (const className of ['MaxPooling2D', 'AveragePooling2D']) {
    for (const format of ['channels_last', 'channels_first'] as const) {
      it.each(GEOMETRIES)(`${className} ${format} %j on %j`, (config, shape) => {
        const s = format === 'channels_last' ? shape : [shape[2] as number, shape[0] as number, shape[1] as number]
        for (const batch of [1, 3]) {
          const name = check(poolFamily, className, { ...config, data_format: format }, [s], { batch, specials: 0.05, seed: batch })
          expect(name).toBe(className === 'MaxPooling2D' ? 'wasm-maxpool' : 'wasm-avgpool')
        }
      })
    }
  }

  it.each(PLACEMENTS)('placed %s, with fused add + relu6 and an unfused add after a sigmoid', (_name, placement) => {
    for (const format of ['channels_last', 'channels_first']) {
      for (const cls of ['MaxPooling2D', 'AveragePooling2D']) {
        const shape = format === 'channels_last' ? [9, 7, 6] : [6, 9, 7]
        check(poolFamily, cls, { pool_size: [3, 3], strides: [2, 2], padding: 'same', data_format: format }, [shape], {
          ...placement,
          stages: [ADD, RELU6, SIGMOID, ADD],
          specials: 0.05
        })
      }
    }
  })

  it('max: NaN anywhere in a window gives NaN; +∞ and −∞ together give +∞ (not the sum\'s NaN); −0 before +0 stays −0', () => {
    const one = oneNode('MaxPooling2D', { pool_size: [2, 2] }, [[2, 4, 4]])
    // window (0,0): pixels (0,0) (0,1) (1,0) (1,1); window (0,1): (0,2) (0,3) (1,2) (1,3)
    const x = new Float32Array(32)
    const at = (h: number, w: number, c: number): number => (h * 4 + w) * 4 + c
    x[at(1, 1, 0)] = NaN // last tap NaN
    x[at(0, 0, 1)] = NaN // first tap NaN
    x[at(0, 0, 2)] = Infinity
    x[at(1, 1, 2)] = -Infinity
    x[at(0, 0, 3)] = -0
    x[at(0, 1, 3)] = 0
    x[at(1, 0, 3)] = -0
    x[at(1, 1, 3)] = -1
    for (let c = 0; c < 4; c++) {
      x[at(0, 2, c)] = -Infinity
      x[at(0, 3, c)] = -Infinity
      x[at(1, 2, c)] = -Infinity
      x[at(1, 3, c)] = -Infinity
    }
    const r = compare(poolFamily, one, [], [x], { batch: 1 })
    expect(r).toBeDefined()
    const out = (r as NonNullable<typeof r>).fast.out
    expect(firstBitDifference(out, (r as NonNullable<typeof r>).reference.out)).toBe(-1)
    expect(Number.isNaN(out[0])).toBe(true)
    expect(Number.isNaN(out[1])).toBe(true)
    expect(out[2]).toBe(Infinity)
    expect(Object.is(out[3], -0)).toBe(true)
    expect(Array.from(out.subarray(4, 8))).toEqual([-Infinity, -Infinity, -Infinity, -Infinity])
  })

  it('windows larger than the unrolled limit loop over their rows (8×8 and 12×3 windows)', () => {
    for (const format of ['channels_last', 'channels_first']) {
      for (const cls of ['MaxPooling2D', 'AveragePooling2D']) {
        const shape = format === 'channels_last' ? [16, 12, 5] : [5, 16, 12]
        check(poolFamily, cls, { pool_size: [8, 8], strides: [4, 4], padding: 'same', data_format: format }, [shape], { specials: 0.02 })
        check(poolFamily, cls, { pool_size: [12, 3], strides: [2, 1], data_format: format }, [shape], { specials: 0.02 })
      }
    }
  })
})

describe('globalPool: GlobalAveragePooling2D / GlobalMaxPooling2D', () => {
  const SHAPES: ReadonlyArray<ReadonlyArray<number>> = [
    [7, 7, 64],
    [1, 1, 3],
    [3, 5, 17],
    [4, 4, 35],
    [9, 6, 16],
    [2, 3, 1]
  ]
  for (const className of ['GlobalAveragePooling2D', 'GlobalMaxPooling2D']) {
    for (const format of ['channels_last', 'channels_first'] as const) {
      for (const keepdims of [false, true]) {
        it.each(SHAPES)(`${className} ${format} keepdims ${keepdims} on %j`, (...shape) => {
          const s = format === 'channels_last' ? shape : [shape[2] as number, shape[0] as number, shape[1] as number]
          for (const batch of [1, 3]) {
            const name = check(globalPoolFamily, className, { data_format: format, keepdims }, [s], { batch, specials: 0.03, seed: batch + 5, stages: keepdims ? [ADD] : [] })
            expect(name).toBe(className === 'GlobalMaxPooling2D' ? 'wasm-global-maxpool' : 'wasm-global-avgpool')
          }
        })
      }
    }
  }

  it.each(PLACEMENTS)('placed %s, large planes (looped), epilogue', (_name, placement) => {
    for (const format of ['channels_last', 'channels_first']) {
      for (const cls of ['GlobalAveragePooling2D', 'GlobalMaxPooling2D']) {
        const shape = format === 'channels_last' ? [11, 13, 21] : [21, 11, 13]
        check(globalPoolFamily, cls, { data_format: format }, [shape], { ...placement, stages: [RELU, ADD, SIGMOID], specials: 0.01 })
      }
    }
  })
})

describe('batchNorm: BatchNormalization as a per-channel affine in float64', () => {
  it.each([
    ['channels-last image', [6, 5, 12], {}],
    ['channels-last, channels not a multiple of 4', [3, 4, 7], {}],
    ['channels-first image (axis 1)', [5, 6, 7], { axis: 1 }],
    ['a Dense output', [13], {}],
    ['the middle axis of a rank-3 value', [3, 5, 2], { axis: 2 }],
    ['no scale, no center', [4, 4, 9], { scale: false, center: false }],
    ['no scale', [4, 4, 9], { scale: false }],
    ['one channel', [4, 4, 1], {}],
    ['planes of 1-3 floats', [5, 3], { axis: 1 }]
  ] as const)('%s %j %j', (_name, shape, config) => {
    for (const batch of [1, 3]) {
      expect(check(batchNormFamily, 'BatchNormalization', config, [shape], { batch, specials: 0.05, seed: batch + 11 })).toBe('wasm-batchnorm')
    }
  })

  it("tf.keras 2.x's fused kernel raises epsilon to 1.001e-5 (rank 4, axis 3 and 1), Keras 3 keeps it", () => {
    for (const dialect of ['keras2', 'keras3'] as const) {
      for (const [axis, shape] of [
        [-1, [3, 3, 6]],
        [1, [6, 3, 3]]
      ] as const) {
        check(batchNormFamily, 'BatchNormalization', { axis, epsilon: 1e-9 }, [shape], { dialect, range: 1e-3 })
        if (dialect === 'keras2') check(batchNormFamily, 'BatchNormalization', { axis, epsilon: 1e-9, fused: false }, [shape], { dialect, range: 1e-3 })
      }
    }
    check(batchNormFamily, 'BatchNormalization', { epsilon: 1e-9, renorm: true }, [[3, 3, 6]], { dialect: 'keras2', range: 1e-3 })
  })

  it.each(PLACEMENTS)('placed %s, in place, fused relu6 + add', (_name, placement) => {
    check(batchNormFamily, 'BatchNormalization', {}, [[5, 5, 10]], { ...placement, stages: [RELU6, ADD], specials: 0.05 })
    check(batchNormFamily, 'BatchNormalization', { axis: 1 }, [[10, 5, 5]], { ...placement, stages: [ADD, RELU6], specials: 0.05, inPlace: true })
  })
})

describe('unary: activation layers', () => {
  const CASES: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ['Activation', { activation: 'relu' }, 'wasm-unary'],
    ['Activation', { activation: 'relu6' }, 'wasm-unary'],
    ['Activation', { activation: 'linear' }, 'wasm-unary'],
    ['Activation', { activation: 'leaky_relu' }, 'wasm-unary'],
    ['Activation', { activation: 'sigmoid' }, 'arena-unary'],
    ['Activation', { activation: 'hard_sigmoid' }, 'arena-unary'],
    ['Activation', { activation: 'tanh' }, 'arena-unary'],
    ['ReLU', {}, 'wasm-unary'],
    ['ReLU', { max_value: 6 }, 'wasm-unary'],
    ['ReLU', { max_value: 0.7 }, 'wasm-unary'],
    ['ReLU', { threshold: 0.3 }, 'wasm-unary'],
    ['ReLU', { threshold: 0.3, max_value: 2.5 }, 'wasm-unary'],
    ['ReLU', { negative_slope: 0.1 }, 'wasm-unary'],
    ['ReLU', { negative_slope: 0.1, max_value: 6 }, 'arena-unary'],
    ['ReLU', { negative_slope: 0.25, threshold: 1 }, 'arena-unary'],
    ['LeakyReLU', { negative_slope: 0.3 }, 'wasm-unary'],
    ['LeakyReLU', { negative_slope: 0.2 }, 'wasm-unary']
  ]
  it.each(CASES)('%s %j → %s', (className, config, kernel) => {
    for (const [shape, batch] of [
      [[5, 7, 3], 1],
      [[3, 2, 9], 3],
      [[1], 3],
      [[37], 1]
    ] as const) {
      expect(check(unaryFamily, className, config, [shape], { batch, specials: 0.1, seed: batch + shape.length })).toBe(kernel)
    }
  })

  it.each(PLACEMENTS)('placed %s, in place, with epilogues', (_name, placement) => {
    check(unaryFamily, 'ReLU', { max_value: 6 }, [[4, 5, 6]], { ...placement, stages: [ADD, RELU], specials: 0.1, inPlace: true })
    check(unaryFamily, 'Activation', { activation: 'sigmoid' }, [[4, 5, 6]], { ...placement, stages: [ADD, RELU6], specials: 0.1, inPlace: true })
    check(unaryFamily, 'LeakyReLU', { negative_slope: 0.1 }, [[4, 5, 6]], { ...placement, stages: [SIGMOID, ADD], specials: 0.1 })
  })
})

describe('merge: Add, Subtract, Multiply, Average, Maximum, Minimum', () => {
  const CLASSES = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']
  for (const className of CLASSES) {
    it.each([1, 2, 3, 5])(`${className} of %i inputs`, (n) => {
      if (className === 'Subtract' && n !== 2) return
      for (const [shape, batch] of [
        [[6, 5, 4], 1],
        [[7, 3], 3],
        [[1], 2]
      ] as const) {
        expect(check(mergeFamily, className, {}, Array.from({ length: n }, () => shape), { batch, specials: 0.1, seed: n * 7 + batch })).toBe('wasm-merge')
      }
    })
  }

  it('Maximum / Minimum: NaN in any input wins, ties keep the first input (−0 vs +0)', () => {
    for (const className of ['Maximum', 'Minimum']) {
      const one = oneNode(className, {}, [[8], [8], [8]])
      const a = Float32Array.from([NaN, 1, 1, -0, 0, 2, -Infinity, Infinity])
      const b = Float32Array.from([1, NaN, 1, 0, -0, NaN, Infinity, -Infinity])
      const c = Float32Array.from([2, 2, NaN, 0, 0, 3, 0, 0])
      const r = compare(mergeFamily, one, [], [a, b, c], { batch: 1 })
      expect(r).toBeDefined()
      expect(firstBitDifference((r as NonNullable<typeof r>).fast.out, (r as NonNullable<typeof r>).reference.out)).toBe(-1)
    }
  })

  it.each(PLACEMENTS)('placed %s, in place, with epilogues', (_name, placement) => {
    check(mergeFamily, 'Add', {}, [
      [5, 6, 7],
      [5, 6, 7]
    ], { ...placement, stages: [RELU, ADD], specials: 0.1, inPlace: true })
    check(mergeFamily, 'Average', {}, [
      [5, 6, 7],
      [5, 6, 7],
      [5, 6, 7]
    ], { ...placement, stages: [SIGMOID, ADD], specials: 0.1 })
  })
})

describe('concat: Concatenate', () => {
  it.each([
    ['channels, NHWC (DenseNet)', -1, [[4, 5, 64], [4, 5, 32]]],
    ['channels, odd sizes, three inputs', -1, [[3, 3, 5], [3, 3, 1], [3, 3, 7]]],
    ['rows', 1, [[2, 5, 3], [4, 5, 3]]],
    ['columns', 2, [[3, 2, 3], [3, 6, 3]]],
    ['long runs (memory.copy)', 1, [[40, 8], [9, 8]]],
    ['vectors', -1, [[5], [300]]],
    ['one input', -1, [[3, 4]]]
  ] as const)('%s (axis %i)', (_name, axis, shapes) => {
    for (const batch of [1, 3]) {
      expect(check(concatFamily, 'Concatenate', { axis }, shapes, { batch, specials: 0.1, seed: batch })).toBe('wasm-concat')
    }
  })

  it.each(PLACEMENTS)('placed %s, with epilogues', (_name, placement) => {
    check(concatFamily, 'Concatenate', { axis: -1 }, [
      [4, 3, 6],
      [4, 3, 9]
    ], { ...placement, stages: [RELU6, ADD], specials: 0.1 })
    check(concatFamily, 'Concatenate', { axis: 1 }, [
      [30, 9],
      [20, 9]
    ], { ...placement, stages: [SIGMOID, ADD], specials: 0.1 })
  })
})

describe('upsample: UpSampling2D nearest', () => {
  for (const format of ['channels_last', 'channels_first'] as const) {
    it.each([
      [[2, 2], [4, 5, 3]],
      [[2, 2], [3, 7, 16]],
      [[3, 2], [2, 3, 5]],
      [[1, 3], [3, 5, 2]],
      [[2, 1], [3, 5, 4]],
      [[4, 5], [2, 2, 1]],
      [[1, 1], [3, 3, 3]]
    ] as const)(`${format} size %j on %j`, (size, shape) => {
      const s = format === 'channels_last' ? shape : [shape[2], shape[0], shape[1]]
      for (const batch of [1, 2]) {
        for (const stages of [[], [RELU6], [ADD, RELU], [ADD, SIGMOID, ADD]]) {
          expect(check(upsampleFamily, 'UpSampling2D', { size, data_format: format }, [s], { batch, stages, specials: 0.1, seed: batch })).toBe('wasm-upsample-nearest')
        }
      }
    })
  }

  it.each(PLACEMENTS)('placed %s', (_name, placement) => {
    check(upsampleFamily, 'UpSampling2D', { size: [2, 2] }, [[5, 6, 7]], { ...placement, stages: [ADD], specials: 0.1 })
    check(upsampleFamily, 'UpSampling2D', { size: [2, 3], data_format: 'channels_first' }, [[3, 5, 6]], { ...placement, specials: 0.1 })
  })

  it('bilinear is left to the other families', () => {
    const one = oneNode('UpSampling2D', { size: [2, 2], interpolation: 'bilinear' }, [[3, 3, 2]])
    expect(upsampleFamily(one.node, one.graph, { dtype: 'float32', backend: 'wasm', threads: 1, memory: () => newMemory() })).toBeUndefined()
  })
})

describe('fused epilogue stages', () => {
  const stage = (fn: Unary): TestStage => ({ fn })
  it.each([
    ['clamp with bounds that are not float32 values', stage({ kind: 'clamp', lo: 0.1, hi: 0.7 })],
    ['clamp to [−∞, 1.3]', stage({ kind: 'clamp', lo: -Infinity, hi: 1.3 })],
    ['relu with a threshold that is not a float32', stage({ kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0.1 })],
    ['relu with a bound that is not a float32', stage({ kind: 'relu', negativeSlope: 0, maxValue: 0.3, threshold: 0 })],
    ['relu with a negative threshold', stage({ kind: 'relu', negativeSlope: 0, maxValue: 4, threshold: -0.3 })],
    ['leaky with a float32 slope', stage({ kind: 'leaky', slope: 0.25 })],
    ['leaky with a slope that is not a float32 (product in float64)', stage({ kind: 'leaky', slope: 0.1 })],
    ['leaky_relu activation', stage({ kind: 'activation', name: 'leaky_relu', dialect: 'keras3' })],
    ['general relu with a slope (TypeScript after the store)', stage({ kind: 'relu', negativeSlope: 0.1, maxValue: 5, threshold: 0.5 })],
    ['a clamp whose bounds cross (TypeScript)', stage({ kind: 'clamp', lo: 1, hi: 0.5 })]
  ])('%s', (_name, s) => {
    check(mergeFamily, 'Add', {}, [
      [4, 5, 3],
      [4, 5, 3]
    ], { stages: [s, ADD, s], specials: 0.1, range: 2 })
    check(poolFamily, 'MaxPooling2D', { pool_size: [2, 2] }, [[4, 6, 5]], { stages: [ADD, s], specials: 0.1, range: 2 })
  })

  it('bounds, thresholds and slopes that are not float32 values: inputs at their float32 neighbours', () => {
    const near = (t: number): number[] => {
      const f = Math.fround(t)
      const b = new Float32Array([f, f, f])
      const i = new Int32Array(b.buffer)
      i[1] = (i[1] as number) + 1
      i[2] = (i[2] as number) - 1
      return [...b, -f, 0, -0, NaN]
    }
    const fns: Unary[] = [
      { kind: 'clamp', lo: 0.1, hi: 0.7 },
      { kind: 'relu', negativeSlope: 0, maxValue: 0.7, threshold: 0.1 },
      { kind: 'relu', negativeSlope: 0, maxValue: null, threshold: -0.1 },
      { kind: 'relu', negativeSlope: 0, maxValue: 0.3, threshold: 0 },
      { kind: 'leaky', slope: 0.1 }
    ]
    for (const fn of fns) {
      const values = Float32Array.from([...near(0.1), ...near(0.7), ...near(-0.1), ...near(0.3), 1e-40, -1e-40, 3e38, -3e38])
      const one = oneNode('Activation', { activation: 'linear' }, [[values.length]], [{ fn }])
      const r = compare(unaryFamily, one, [], [values], { batch: 1 })
      expect(r).toBeDefined()
      const got = (r as NonNullable<typeof r>).fast
      expect(got.kernel).toBe('wasm-unary')
      expect(firstBitDifference(got.out, (r as NonNullable<typeof r>).reference.out), JSON.stringify(fn)).toBe(-1)
    }
  })

  it('splits at the first stage the store cannot apply; later adds read the right operands', () => {
    const sig: Unary = { kind: 'activation', name: 'sigmoid', dialect: 'keras3' }
    const split = splitStages([
      { kind: 'add', value: 7 },
      { kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: 6 } },
      { kind: 'unary', fn: sig },
      { kind: 'add', value: 9 },
      { kind: 'unary', fn: { kind: 'clamp', lo: 0, hi: 6 } }
    ])
    expect(split.adds).toBe(1)
    expect(split.ops.map((o) => o.kind)).toEqual(['add', 'max', 'min'])
    expect(split.rest.map((s) => s.kind)).toEqual(['unary', 'add', 'unary'])
    check(unaryFamily, 'ReLU', {}, [[3, 4, 5]], { stages: [ADD, RELU6, SIGMOID, ADD, RELU6, ADD], specials: 0.1 })
  })

  it('floatBelow: the largest float32 ≤ t', () => {
    /** The next float32 above a finite float32 `f`. */
    const up = (f: number): number => {
      if (f === 0) return Math.fround(1.4e-45)
      const b = new Float32Array([f])
      const i = new Int32Array(b.buffer)
      i[0] = (i[0] as number) + (f > 0 ? 1 : -1)
      return b[0] as number
    }
    for (const t of [0.1, -0.1, 1e-50, -1e-50, 3.5e38, -3.5e38, 0.5, 0, 6, 1 / 3, -Infinity]) {
      const f = floatBelow(t)
      expect(Math.fround(f), String(t)).toBe(f)
      expect(f <= t, String(t)).toBe(true)
      if (f !== -Infinity && Number.isFinite(f)) expect(up(f) > t, String(t)).toBe(true)
    }
    expect(floatBelow(Infinity)).toBe(Infinity)
  })

  it('the store applies clamps, slope-free ReLUs and leaky ReLUs, not transcendental functions', () => {
    expect(vecOpsOf({ kind: 'clamp', lo: 0, hi: 6 })).toEqual([
      { kind: 'max', v: 0 },
      { kind: 'min', v: 6 }
    ])
    expect(vecOpsOf({ kind: 'relu', negativeSlope: 0, maxValue: null, threshold: 0 })).toEqual([{ kind: 'max', v: 0 }, { kind: 'plusZero' }])
    expect(vecOpsOf({ kind: 'activation', name: 'tanh', dialect: 'keras3' })).toBeUndefined()
    expect(vecOpsOf({ kind: 'relu', negativeSlope: 0.2, maxValue: 1, threshold: 0 })).toBeUndefined()
  })
})

describe('which nodes the families take', () => {
  const choice = (over: Partial<KernelChoice> = {}): KernelChoice => {
    let memory: WasmMemory | undefined
    return {
      dtype: 'float32',
      backend: 'auto',
      threads: 1,
      memory: () => (memory ??= newMemory()),
      ...over
    }
  }
  const any = (one: OneNode, c: KernelChoice): string | undefined => {
    for (const f of WASM_OP_FAMILIES) {
      const k = f(one.node, one.graph, c)
      if (k !== undefined) return k.name
    }
    return undefined
  }
  const pool = oneNode('MaxPooling2D', {}, [[4, 4, 3]])

  it('only float32 models whose backend allows wasm and that have the memory', () => {
    expect(any(pool, choice())).toBe('wasm-maxpool')
    expect(any(pool, choice({ backend: 'js' }))).toBeUndefined()
    expect(any(pool, choice({ dtype: 'float64' }))).toBeUndefined()
    expect(any(pool, choice({ memory: () => undefined }))).toBeUndefined()
  })

  it('no broadcasting merges, no BatchNormalization over several axes, no other layers', () => {
    expect(any(oneNode('Add', {}, [[4, 4, 3], [1, 1, 3]]), choice())).toBeUndefined()
    expect(any(oneNode('BatchNormalization', { axis: [1, 2] }, [[4, 4, 3]], [], 'keras2'), choice())).toBeUndefined()
    expect(any(oneNode('Activation', { activation: 'softmax' }, [[4, 4, 3]]), choice())).toBeUndefined()
    expect(any(oneNode('ZeroPadding2D', {}, [[4, 4, 3]]), choice())).toBeUndefined()
  })

  it('asks for the memory only for a node it takes', () => {
    let asked = 0
    const c = choice({
      memory: () => {
        asked++
        return newMemory()
      }
    })
    expect(any(oneNode('ZeroPadding2D', {}, [[4, 4, 3]]), c)).toBeUndefined()
    expect(asked).toBe(0)
  })

  it('declares in place only where an input may be overwritten', () => {
    const k = (f: KernelFactory, one: OneNode) => f(one.node, one.graph, choice())
    expect(k(unaryFamily, oneNode('ReLU', {}, [[4, 4, 3]]))?.inPlace).toBe(true)
    expect(k(unaryFamily, oneNode('ReLU', {}, [[4, 4, 3]], [SIGMOID, ADD]))?.inPlace).toBe(false)
    expect(k(poolFamily, pool)?.inPlace).toBe(false)
    expect(k(mergeFamily, oneNode('Add', {}, [[4], [4]]))?.inPlace).toBe(true)
  })
})
