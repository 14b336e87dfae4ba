/**
 * Dialect detection (reference §11.1, and detectDialect's order of evidence: layer envelope, then dtype,
 * then nested envelopes, then keras3). codecs.spec.ts checks each kind of evidence alone; these cases put
 * two kinds side by side, so that each rule has to win or yield for the right reason.
 */
import { describe, expect, it } from 'vitest'
import { detectDialect, dialectOfKerasVersion } from '../../src/codec/Dialect.js'

/** A legacy (TF 2.x) nested object. */
const legacy = (className: string, config: object = {}) => ({ class_name: className, config })
/** A Keras 3 (or TF ≥ 2.13) nested object. */
const modern = (module: string, className: string, config: object = {}) => ({ module, class_name: className, config, registered_name: null })

describe('dialectOfKerasVersion', () => {
  it('reads only a leading major version number', () => {
    expect(dialectOfKerasVersion('2.15.0')).toBe('keras2')
    expect(dialectOfKerasVersion('3.0.0')).toBe('keras3')
    // a number further in is not a Keras version: the layers decide
    expect(dialectOfKerasVersion('nightly build 3.1')).toBe(undefined)
    expect(dialectOfKerasVersion('r2.4')).toBe(undefined)
  })
})

describe('detectDialect', () => {
  it('a value that is not an object is keras3, the default', () => {
    expect(detectDialect(null)).toBe('keras3')
    expect(detectDialect(undefined)).toBe('keras3')
    expect(detectDialect([{ class_name: 'Conv2D', config: {} }])).toBe('keras3')
  })

  describe('the layer envelope needs both a class_name string and a config object', () => {
    it('a config object without a class_name is no legacy envelope', () => {
      expect(detectDialect({ config: { filters: 1 } })).toBe('keras3')
      expect(detectDialect({ class_name: 3, config: { filters: 1 } })).toBe('keras3')
    })
    it('a class_name without a config object is no legacy envelope', () => {
      expect(detectDialect({ class_name: 'Conv2D' })).toBe('keras3')
      expect(detectDialect({ class_name: 'Conv2D', config: 'conv2d' })).toBe('keras3')
    })
    it('the layer envelope wins over nested envelopes (Keras 2.15 H5: legacy entries, modern nested objects)', () => {
      expect(detectDialect({ class_name: 'Conv2D', config: { kernel_initializer: modern('keras.initializers', 'GlorotUniform') } })).toBe('keras2')
    })
  })

  describe('a Keras 3 dtype policy wins over legacy nested objects', () => {
    const legacyNested = { kernel_initializer: legacy('GlorotUniform', { seed: null }), bias_initializer: legacy('Zeros') }
    it.each([
      ['DTypePolicy', { class_name: 'DTypePolicy', config: { name: 'float32' } }],
      ['FloatDTypePolicy', { class_name: 'FloatDTypePolicy', config: { name: 'float32' } }],
      ['any policy with a module', modern('keras', 'QuantizedDTypePolicy', { name: 'int8_from_float32' })]
    ])('%s', (_name, dtype) => {
      expect(detectDialect({ filters: 1, dtype, ...legacyNested })).toBe('keras3')
    })
    it('a legacy Policy wins over modern nested objects', () => {
      expect(detectDialect({ filters: 1, dtype: legacy('Policy', { name: 'mixed_float16' }), kernel_initializer: modern('keras.initializers', 'Zeros') })).toBe('keras2')
    })
  })

  describe('a dtype object that names no policy class is no evidence', () => {
    it('the nested objects decide', () => {
      expect(detectDialect({ filters: 1, dtype: { name: 'float32' }, kernel_initializer: modern('keras.initializers', 'Zeros') })).toBe('keras3')
      expect(detectDialect({ filters: 1, dtype: { name: 'float32' }, kernel_initializer: legacy('Zeros') })).toBe('keras2')
    })
    it('or the default', () => {
      expect(detectDialect({ filters: 1, dtype: { class_name: 'float32' } })).toBe('keras3')
    })
  })

  describe('nested objects', () => {
    it('an object without a class_name is skipped, the next nested object decides', () => {
      expect(detectDialect({ kernel_initializer: { seed: 1 }, bias_initializer: modern('keras.initializers', 'Zeros') })).toBe('keras3')
      expect(detectDialect({ kernel_initializer: { class_name: null }, bias_initializer: modern('keras.initializers', 'Zeros') })).toBe('keras3')
    })
    it('a string name is skipped too', () => {
      expect(detectDialect({ kernel_initializer: 'he_normal', kernel_constraint: legacy('MaxNorm', { max_value: 2 }) })).toBe('keras2')
    })
  })
})
