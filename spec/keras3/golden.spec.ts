/**
 * spec/keras3/golden.ts against its Python twin scripts/golden/golden.py: every value below was
 * computed by golden.py (Python 3.11, numpy 2.4) and is pinned here, bit for bit, so that the two
 * cannot drift apart. A change to either twin must change both, and these values with them.
 */
import { describe, expect, it } from 'vitest'
import { fillWeights, makeInput, mulberry32, uniform, weightRange } from './golden.js'

/** The bits of each float32 value, as golden.py prints `hex(v)` of `a.view(np.uint32)`. */
const bits = (a: Float32Array): string[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b) => `0x${b.toString(16)}`)

describe('golden.ts = golden.py', () => {
  it('mulberry32: the first five draws (k of k / 2³²) for four seeds', () => {
    const draws = (seed: number): number[] => {
      const next = mulberry32(seed)
      return Array.from({ length: 5 }, () => next() * 2 ** 32)
    }
    expect(draws(0)).toEqual([1144304738, 1416247, 958946056, 627933444, 2007157716])
    expect(draws(1)).toEqual([2693262067, 11749833, 2265367787, 4213581821, 4159151403])
    expect(draws(1606)).toEqual([3797738896, 723710142, 1752759479, 1505050664, 3405494721])
    expect(draws(4294967295)).toEqual([3850105811, 813802916, 3073704848, 4054706436, 3630262831])
  })

  it('uniform: float32 values, bit for bit', () => {
    expect(bits(uniform(7, 6, -1, 1))).toEqual(['0xbf7a01d6', '0xbf604702', '0x3f742d3d', '0x3ecbce2e', '0x3d2fadfd', '0xbe417dd8'])
    expect(bits(uniform(1604, 5, 0, 255))).toEqual(['0x424f1251', '0x4326f505', '0x431d70c9', '0x42486825', '0x434d5bc5'])
    expect(bits(uniform(42, 4, 0.8, 1.2))).toEqual(['0x3f852d30', '0x3f7ab478', '0x3f920bd7', '0x3f88b0bd'])
  })

  it('weightRange: by the last path component (":0" dropped) and the shape', () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<number>, number, number]> = [
      ['conv1/kernel', [3, 3, 3, 32], -0.3333333333333333, 0.3333333333333333],
      ['block_1_depthwise/depthwise_kernel', [3, 3, 32, 1], -0.5773502691896257, 0.5773502691896257],
      // Keras 3 names a DepthwiseConv2D's kernel `kernel`: the rule sees a Conv2D-like fan-in (3·3·16)
      ['expanded_conv_depthwise/kernel', [3, 3, 16, 1], -0.14433756729740643, 0.14433756729740643],
      ['bn/gamma', [32], 0.8, 1.2],
      ['bn/moving_variance', [32], 0.5, 1.5],
      ['normalization/variance', [3], 0.5, 1.5],
      ['normalization/mean', [3], -0.1, 0.1],
      ['predictions/bias', [1000], -0.1, 0.1],
      ['bn/beta:0', [8], -0.1, 0.1],
      ['predictions/kernel', [1024, 1000], -0.05412658773652741, 0.05412658773652741],
      ['normalization/count', [], -1.7320508075688772, 1.7320508075688772],
      ['x/scale', [5], -1.7320508075688772, 1.7320508075688772]
    ]
    for (const [name, shape, low, high] of cases) expect(weightRange(name, shape), name).toEqual([low, high])
  })

  it('fillWeights: weight i from seed + 1 + i, by its own range; makeInput from seed', () => {
    const filled = fillWeights(
      [
        { name: 'c/kernel', shape: [3, 3, 2, 4] },
        { name: 'bn/gamma', shape: [4] },
        { name: 'bn/moving_variance', shape: [4] }
      ],
      100
    )
    const firstTwoAndLast = (a: Float32Array): string[] => bits(Float32Array.of(a[0] as number, a[1] as number, a[a.length - 1] as number))
    expect(filled.map((a) => a.length)).toEqual([72, 4, 4])
    expect(filled.map(firstTwoAndLast)).toEqual([
      ['0xbe9850e8', '0x3e5d6620', '0xbea341fd'],
      ['0x3f89a1a5', '0x3f824057', '0x3f98e8b4'],
      ['0x3f4951e1', '0x3fb92a99', '0x3fb11a5e']
    ])
    expect(bits(makeInput([2, 2, 2, 1], 9, -1, 1))).toEqual(['0xbf1a4034', '0x3f33d1e7', '0xbf376a6f', '0x3f24b228', '0x3ee52cfb', '0x3ec164f0', '0xbef2f9f0', '0x3f56c2b5'])
  })
})
