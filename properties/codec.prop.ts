/**
 * Properties of the Conv2D codec (decode, normalize, encode).
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { arbConv2DConfig, arbInvalidConv2DConfig, type Json } from '../src/arbitraries/index.js'
import { decodeConv2D, encodeConv2D } from '../src/conv/conv2DCodec.js'
import type { Conv2DSpec } from '../src/conv/Conv2DSpec.js'
import { params } from './settings.js'

const decodeOk = (u: unknown): Conv2DSpec => {
  const r = decodeConv2D(u)
  if (E.isLeft(r)) throw new Error(`did not decode: ${JSON.stringify(r.left)}\n${JSON.stringify(u)}`)
  return r.right
}

const inner = (c: Json): Json => ('config' in c ? (c['config'] as Json) : c)

describe('decode / encode', () => {
  it('every generated config decodes', () => {
    fc.assert(fc.property(arbConv2DConfig(), (c) => E.isRight(decodeConv2D(c))), params())
  })

  it('round trip: decode(encode(spec)) deep-equals spec, in every dialect and envelope, also through JSON text', () => {
    fc.assert(
      fc.property(arbConv2DConfig(), fc.constantFrom('keras2', 'keras3') , fc.boolean(), (c, dialect, envelope) => {
        const spec = decodeOk(c)
        const encoded = encodeConv2D(spec, { dialect, envelope })
        expect(decodeOk(encoded)).toEqual({ ...spec, dialect })
        expect(decodeOk(JSON.parse(JSON.stringify(encoded)))).toEqual({ ...spec, dialect })
        // encoding in the spec's own dialect gives the spec back exactly
        expect(decodeOk(encodeConv2D(spec))).toEqual(spec)
      }),
      params()
    )
  })

  it('normalization is idempotent: normalizing a normalized config changes nothing', () => {
    fc.assert(
      fc.property(arbConv2DConfig(), (c) => {
        const once = decodeOk(c)
        const twice = decodeOk(encodeConv2D(once))
        const thrice = decodeOk(encodeConv2D(twice))
        expect(twice).toEqual(once)
        expect(thrice).toEqual(twice)
      }),
      params()
    )
  })

  it('padding and data_format are case-insensitive', () => {
    const recase = (s: string, k: number): string => (k === 0 ? s.toLowerCase() : k === 1 ? s.toUpperCase() : s.replace(/(^|_)([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase()))
    fc.assert(
      fc.property(arbConv2DConfig(), fc.nat(2), fc.nat(2), (c, kp, kf) => {
        const spec = decodeOk(c)
        const cfg = { ...inner(c), padding: recase(spec.padding, kp), data_format: recase(spec.dataFormat, kf) }
        const recased = 'config' in c ? { ...c, config: cfg } : cfg
        expect(decodeOk(recased)).toEqual(spec)
      }),
      params()
    )
  })
})

describe('the strides / dilation_rate rule', () => {
  const pair = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
  const ones = fc.constant([1, 1])
  const atLeastOneAbove1 = fc.tuple(pair, fc.nat(1), fc.integer({ min: 2, max: 5 })).map(([p, axis, v]) => {
    const q = [...p]
    q[axis] = v
    return q
  })

  it('every compatible combination decodes (strides only or dilation only)', () => {
    fc.assert(
      fc.property(arbConv2DConfig({ keras: false }), fc.oneof(fc.tuple(pair, ones), fc.tuple(ones, pair)), (c, [strides, dilation_rate]) => {
        const cfg = { ...inner(c), strides, dilation_rate }
        const spec = decodeOk(cfg)
        expect([spec.strides, spec.dilationRate]).toEqual([strides, dilation_rate])
      }),
      params()
    )
  })

  it('every incompatible combination fails at decode with the error at strides, naming both values', () => {
    fc.assert(
      fc.property(arbConv2DConfig({ keras: false }), atLeastOneAbove1, atLeastOneAbove1, (c, strides, dilation_rate) => {
        const r = decodeConv2D({ ...inner(c), strides, dilation_rate })
        expect(E.isLeft(r)).toBe(true)
        if (E.isLeft(r)) {
          expect(r.left).toHaveLength(1)
          expect(r.left[0]?.path).toBe('strides')
          expect(r.left[0]?.message).toContain(`strides [${strides.join(', ')}] and dilation_rate [${dilation_rate.join(', ')}]`)
        }
      }),
      params()
    )
  })
})

describe('invalid configs', () => {
  it('a config breaking exactly one rule fails with errors only at that rule\'s path', () => {
    fc.assert(
      fc.property(arbInvalidConv2DConfig(), ({ config, path }) => {
        const r = decodeConv2D(config)
        expect(E.isLeft(r)).toBe(true)
        if (E.isLeft(r)) {
          expect(r.left.length).toBeGreaterThan(0)
          expect([...new Set(r.left.map((e) => e.path))]).toEqual([path])
        }
      }),
      params()
    )
  })
})

describe('decoding never throws', () => {
  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (u) => {
      const r = decodeConv2D(u)
      return E.isLeft(r) || E.isRight(r)
    }), params(300))
  })

  const KEYS = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint', 'name', 'trainable', 'dtype', 'batch_input_shape', 'input_shape', 'batch_size', 'config', 'class_name', 'module', 'registered_name', 'build_config']
  const mutate = (value: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
    if (path.length === 0 || typeof value !== 'object' || value === null) return replacement
    const entries = Object.entries(value)
    if (entries.length === 0) return replacement
    const [k, v] = entries[(path[0] ?? 0) % entries.length] as [string, unknown]
    const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...value }
    copy[k] = mutate(v, path.slice(1), replacement)
    return copy
  }

  it('on valid configs with one value replaced anywhere in them by any JSON value', () => {
    fc.assert(
      fc.property(arbConv2DConfig(), fc.array(fc.nat(40), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), (c, path, replacement) => {
        const r = decodeConv2D(mutate(c, path, replacement))
        return E.isLeft(r) || E.isRight(r)
      }),
      params(300)
    )
  })

  it('on valid configs with Keras keys added, removed or replaced', () => {
    fc.assert(
      fc.property(arbConv2DConfig(), fc.constantFrom(...KEYS), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }), (c, key, value) => {
        const cfg: Record<string, unknown> = { ...inner(c) }
        if (value === undefined) delete cfg[key]
        else cfg[key] = value
        const r = decodeConv2D('config' in c ? { ...c, config: cfg } : cfg)
        return E.isLeft(r) || E.isRight(r)
      }),
      params(300)
    )
  })
})
