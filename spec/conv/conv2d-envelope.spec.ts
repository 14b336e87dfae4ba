/**
 * The layer entry around a Conv2D config (reference §3.3: the legacy `{class_name, config}` entry, with
 * `name` beside it in functional models, and Keras 3's `{module, class_name, config, registered_name,
 * build_config}`), the io-ts codec objects, and the messages a user acts on, pinned word for word.
 * decode.spec.ts holds the table of whole configs; this file holds what that table leaves open.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { conv2DCodec, conv2DConfigCodec, decodeConv2D } from '../../src/conv/conv2DCodec.js'
import type { SpecError } from '../../src/core/SpecError.js'
import { left, right } from '../helpers.js'

const cfg = { filters: 1, kernel_size: 1 }
/** A legacy (TF 2.x) layer entry. */
const legacy = (over: object = {}) => ({ class_name: 'Conv2D', config: cfg, ...over })
/** A Keras 3 layer entry. */
const k3 = (over: object = {}) => ({ module: 'keras.layers', class_name: 'Conv2D', config: cfg, registered_name: null, ...over })

const errorsOf = (u: unknown): ReadonlyArray<SpecError> => left(decodeConv2D(u))

describe('unknown keys of a layer entry', () => {
  it('names the key, suggests the envelope key it resembles and lists the accepted ones', () => {
    expect(errorsOf(legacy({ modul: 'keras.layers' }))).toEqual([
      {
        path: 'modul',
        message: 'unknown key "modul" in a Conv2D layer entry; did you mean "module"?; expected "class_name", "config", "module", "registered_name", "build_config" or "name"'
      }
    ])
  })
  it('explains a Keras 1 argument or initial weights placed beside the config', () => {
    expect(errorsOf(legacy({ weights: [] }))).toEqual([{ path: 'weights', message: '"weights" (initial weight values inside a config) is not supported; load weights separately' }])
    expect(errorsOf(legacy({ border_mode: 'same' }))[0]?.message).toBe(
      '"border_mode" is a Keras 1 argument (the Keras 1 Convolution2D format is not supported); Keras 2 and later call it "padding": re-save the model with Keras 2 or later'
    )
  })
})

describe('class_name', () => {
  it('a near miss gets a suggestion', () => {
    expect(errorsOf(legacy({ class_name: 'conv2d' }))).toEqual([
      { path: 'class_name', message: 'expected class_name "Conv2D" or "Convolution2D", found the string "conv2d"; decodeConv2D reads Conv2D layers only; did you mean "Conv2D"?' }
    ])
  })
  it('another layer class gets none', () => {
    expect(errorsOf(legacy({ class_name: 'Conv2DTranspose' }))).toEqual([
      { path: 'class_name', message: 'expected class_name "Conv2D" or "Convolution2D", found the string "Conv2DTranspose"; decodeConv2D reads Conv2D layers only' }
    ])
  })
  it('a class_name that is not a string is reported as found', () => {
    expect(errorsOf(legacy({ class_name: 2 }))).toEqual([
      { path: 'class_name', message: 'expected class_name "Conv2D" or "Convolution2D", found 2; decodeConv2D reads Conv2D layers only' }
    ])
    expect(errorsOf(legacy({ class_name: null }))).toEqual([
      { path: 'class_name', message: 'expected class_name "Conv2D" or "Convolution2D", found null; decodeConv2D reads Conv2D layers only' }
    ])
  })
})

describe('module and registered_name (Keras 3 entries)', () => {
  it('module may be a string or null; either makes the entry keras3', () => {
    expect(right(decodeConv2D(k3())).dialect).toBe('keras3')
    expect(right(decodeConv2D(k3({ module: null }))).dialect).toBe('keras3')
  })
  it('a module that is not a string is an error, reported alone when the config is fine', () => {
    expect(errorsOf(k3({ module: 5 }))).toEqual([{ path: 'module', message: 'expected module to be a string or null, found 5' }])
    expect(errorsOf(k3({ module: ['keras', 'layers'] }))).toEqual([
      { path: 'module', message: 'expected module to be a string or null, found a list of 2 items ["keras","layers"]' }
    ])
  })
  it('registered_name null or the built-in class name itself is the built-in Conv2D', () => {
    expect(right(decodeConv2D(k3({ registered_name: 'Conv2D' }))).filters).toBe(1)
    expect(right(decodeConv2D(k3({ registered_name: null }))).filters).toBe(1)
  })
  it('a custom registered name cannot be run', () => {
    expect(errorsOf(k3({ module: 'my_package', registered_name: 'my_package>FancyConv' }))).toEqual([
      {
        path: 'registered_name',
        message: 'registered_name "my_package>FancyConv" names a custom (user-registered) class, which layerspec cannot run; expected null for the built-in Conv2D'
      }
    ])
  })
  it('a registered_name that is not a string is reported as found', () => {
    expect(errorsOf(k3({ registered_name: 0 }))).toEqual([{ path: 'registered_name', message: 'expected registered_name to be null or a string, found 0' }])
  })
})

describe('the entry name of a functional model layer (§3.3)', () => {
  it('equal to config.name: decodes', () => {
    const s = right(decodeConv2D(legacy({ name: 'conv2d_1', config: { ...cfg, name: 'conv2d_1' } })))
    expect([s.name, s.dialect]).toEqual(['conv2d_1', 'keras2'])
  })
  it('beside a config without a name: nothing to disagree with', () => {
    expect(E.isRight(decodeConv2D(legacy({ name: 'conv2d_1' })))).toBe(true)
  })
  it('different from config.name: both names in the message', () => {
    expect(errorsOf(legacy({ name: 'conv2d_2', config: { ...cfg, name: 'conv2d_1' } }))).toEqual([
      { path: 'name', message: 'expected the entry\'s name to be a string equal to config.name, found the string "conv2d_2" and config.name the string "conv2d_1"' }
    ])
  })
  it('not a string: an error even when config.name is absent', () => {
    expect(errorsOf(legacy({ name: 7 }))).toEqual([
      { path: 'name', message: 'expected the entry\'s name to be a string equal to config.name, found 7 and config.name nothing' }
    ])
  })
  it('with a config that is not an object: the config error, and the name only when it is not a string', () => {
    expect(errorsOf(legacy({ name: 'conv2d', config: 'conv2d' }))).toEqual([
      { path: 'config', message: 'expected the layer\'s "config" to be a JSON object of Conv2D arguments, found the string "conv2d"' }
    ])
    expect(errorsOf(legacy({ name: 7, config: null }))).toEqual([
      { path: 'config', message: 'expected the layer\'s "config" to be a JSON object of Conv2D arguments, found null' },
      { path: 'name', message: 'expected the entry\'s name to be a string equal to config.name, found 7' }
    ])
  })
})

describe('build_config (Keras 3: the input shape of a built layer)', () => {
  it('gives the input shape in the data format\'s order, batch axis dropped', () => {
    const last = right(decodeConv2D(k3({ build_config: { input_shape: [null, 28, 28, 1] } })))
    expect([last.inputShape, last.batchSize]).toEqual([[28, 28, 1], null])
    const first = right(decodeConv2D(k3({ config: { ...cfg, data_format: 'channels_first' }, build_config: { input_shape: [16, 3, 32, 32] } })))
    expect([first.inputShape, first.batchSize]).toEqual([[3, 32, 32], 16])
  })
  it('null or an unknown input shape: no input shape', () => {
    expect(right(decodeConv2D(k3({ build_config: null }))).inputShape).toBe(null)
    expect(right(decodeConv2D(k3({ build_config: { input_shape: null } }))).inputShape).toBe(null)
    expect(right(decodeConv2D(k3({ build_config: {} }))).inputShape).toBe(null)
  })
  it('a shape of the wrong rank is reported at build_config.input_shape', () => {
    expect(errorsOf(k3({ build_config: { input_shape: [null, 28, 28] } }))).toEqual([
      { path: 'build_config.input_shape', message: 'expected 4 dimensions [batch, then the 3 image axes in the data format\'s order], found 3: [null,28,28]' }
    ])
  })
  it('a bad dimension is reported at its index, with the other envelope and config errors', () => {
    const errors = errorsOf(k3({ module: 1, config: { ...cfg, groups: 0 }, build_config: { input_shape: [null, 28, 0, 1] } }))
    expect(errors.map((e) => e.path).sort()).toEqual(['build_config.input_shape[2]', 'config.groups', 'module'])
    expect(errors.find((e) => e.path === 'build_config.input_shape[2]')?.message).toBe(
      'expected a positive integer or null (unknown) dimension, found 0, which is not positive'
    )
  })
  it('a misspelled build_config key gets a suggestion', () => {
    const errors = errorsOf(k3({ build_config: { input_shapes: [null, 8, 8, 1] } }))
    expect(errors.map((e) => e.path)).toEqual(['build_config.input_shapes'])
    expect(errors[0]?.message).toContain('did you mean "input_shape"?')
  })
  it('agreeing with the config\'s input_shape: decodes', () => {
    const s = right(decodeConv2D(k3({ config: { ...cfg, input_shape: [8, 8, 1] }, build_config: { input_shape: [null, 8, 8, 1] } })))
    expect([s.inputShape, s.batchSize]).toEqual([[8, 8, 1], null])
  })
  it('disagreeing with the config\'s input_shape: both shapes in the message', () => {
    expect(errorsOf(k3({ config: { ...cfg, input_shape: [8, 8, 1] }, build_config: { input_shape: [null, 9, 9, 1] } }))).toEqual([
      { path: 'build_config.input_shape', message: 'build_config.input_shape [null,9,9,1] disagrees with the config\'s input shape [null,8,8,1]' }
    ])
  })
  it('the raw io-ts errors carry the offending value and the values along their path', () => {
    const buildConfig = { input_shape: [null, 9, 9, 1] }
    const r = conv2DCodec().decode(k3({ config: { ...cfg, input_shape: [8, 8, 1] }, build_config: buildConfig }))
    if (E.isRight(r)) throw new Error('expected a failure')
    expect(r.left).toHaveLength(1)
    const [e] = r.left
    expect(e?.value).toEqual(buildConfig.input_shape)
    expect(e?.context.map((x) => [x.key, x.actual])).toEqual([
      ['', expect.anything()],
      ['build_config', buildConfig],
      ['input_shape', buildConfig.input_shape]
    ])
    const bad = { input_shape: 'x' }
    const r2 = conv2DCodec().decode(k3({ build_config: bad }))
    if (E.isRight(r2)) throw new Error('expected a failure')
    expect(r2.left[0]?.context.find((x) => x.key === 'build_config')?.actual).toEqual(bad)
  })
})

describe('messages of the Conv2D argument rules', () => {
  it('filters not divisible by groups shows the remainder (ref #11)', () => {
    expect(errorsOf({ filters: 5, kernel_size: 2, groups: 2 })).toEqual([
      { path: 'groups', message: 'expected filters to be divisible by groups, found filters 5 and groups 2 (5 % 2 = 1)' }
    ])
    expect(errorsOf({ filters: 16, kernel_size: 3, groups: 3 })[0]?.message).toContain('(16 % 3 = 1)')
  })
  it('an unknown data_format names the argument and the accepted values', () => {
    expect(errorsOf({ filters: 1, kernel_size: 1, data_format: 'NHWC' })).toEqual([
      { path: 'data_format', message: 'expected data_format to be "channels_last" or "channels_first", found the string "NHWC"' }
    ])
  })
})

describe('a config that throws while being read', () => {
  it('an Error thrown by a getter is reported as a value, not thrown', () => {
    const hostile = {
      kernel_size: 3,
      get filters(): number {
        throw new Error('filters is not readable')
      }
    }
    expect(decodeConv2D(hostile)).toEqual(E.left([{ path: '', message: 'could not read the config: filters is not readable' }]))
  })
  it('anything else thrown is printed as a string', () => {
    const hostile = {
      filters: 1,
      kernel_size: 3,
      get dtype(): string {
        throw 'dtype is gone'
      }
    }
    expect(decodeConv2D(hostile)).toEqual(E.left([{ path: '', message: 'could not read the config: dtype is gone' }]))
  })
})

describe('conv2DCodec: the io-ts type', () => {
  // built inside each test (not at collection time), so that per-test coverage sees the construction
  const codec = () => conv2DCodec()
  it('is named for what it decodes', () => {
    expect(codec().name).toBe('a Keras Conv2D layer config')
  })
  it('is() recognizes decoded specs only: frozen, className Conv2D', () => {
    const spec = right(decodeConv2D({ filters: 2, kernel_size: 3 }))
    expect(codec().is(spec)).toBe(true)
    expect(codec().is({ ...spec })).toBe(false) // a copy is not frozen
    expect(codec().is(Object.freeze({ ...spec, className: 'Dense' }))).toBe(false)
    expect(codec().is(Object.freeze({ filters: 2, kernel_size: 3 }))).toBe(false)
    expect(codec().is('Conv2D')).toBe(false)
    expect(codec().is(null)).toBe(false)
  })
  it('decode and validate agree with decodeConv2D', () => {
    const r = codec().decode(legacy())
    expect(E.isRight(r) && r.right).toEqual(right(decodeConv2D(legacy())))
  })
  it('a non-object is one failure at the root', () => {
    expect(errorsOf(42)).toEqual([{ path: '', message: 'expected a Conv2D layer config (a JSON object), found 42' }])
  })
})

describe('conv2DConfigCodec: the codec of a bare config (model layer lists)', () => {
  it('is named for what it decodes', () => {
    expect(conv2DConfigCodec({ dialect: 'keras3' }).name).toBe('a Conv2D config')
  })
  it('data_format defaults to channels_last, or to the imageDataFormat option', () => {
    const d = conv2DConfigCodec({ dialect: 'keras3' }).decode({ filters: 2, kernel_size: 3 })
    expect(E.isRight(d) && [d.right.dataFormat, d.right.dialect]).toEqual(['channels_last', 'keras3'])
    const f = conv2DConfigCodec({ dialect: 'keras2', imageDataFormat: 'channels_first' }).decode({ filters: 2, kernel_size: 3, data_format: null })
    expect(E.isRight(f) && [f.right.dataFormat, f.right.dialect]).toEqual(['channels_first', 'keras2'])
  })
  it('is() recognizes Conv2D specs', () => {
    const c = conv2DConfigCodec({ dialect: 'keras3' })
    const spec = right(decodeConv2D({ filters: 2, kernel_size: 3 }))
    expect(c.is(spec)).toBe(true)
    expect(c.is({ ...spec, className: 'Dense' })).toBe(false)
    expect(c.is({ filters: 2 })).toBe(false)
    expect(c.is(['Conv2D'])).toBe(false)
    expect(c.is(null)).toBe(false)
  })
})
