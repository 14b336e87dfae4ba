/**
 * Small helpers for writing layer kinds whose config has only a few arguments: the codec boilerplate
 * (bookkeeping fields, rules, spec assembly, encoding) in one place.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { deepFreeze } from '../core/deepFreeze.js'
import { kerasObject, type DecodedOf, type Fields, type KerasObjectOptions } from '../core/KerasObject.js'
import type { Dialect } from '../codec/Dialect.js'
import { bookkeepingFields, bookkeepingRules, bookkeepingSpec, encodeBookkeeping, KERAS3_BATCH_KEYS, type BaseLayerSpec, type Bookkeeping } from './base.js'
import type { LayerCodecOptions } from './LayerKind.js'

/**
 * Builds a layer config codec (`layerCodec<Spec>('ClassName')(fields, toSpec, fromSpec)`) from its own fields (without the bookkeeping ones), a function from the
 * decoded fields to the spec's own part, and its inverse (spec → JSON values of the fields).
 * @category constructors
 */
export const layerCodec =
  <S extends BaseLayerSpec>(className: S['className']) =>
  <F extends Fields>(
    ownFields: (options: LayerCodecOptions) => F,
    toSpec: (c: DecodedOf<F>, options: LayerCodecOptions) => Omit<S, keyof BaseLayerSpec>,
    fromSpec: (s: S, dialect: Dialect) => Record<string, unknown>,
    options: KerasObjectOptions<DecodedOf<F> & Bookkeeping> = {}
  ) =>
  (codecOptions: LayerCodecOptions): t.Type<S, Record<string, unknown>, unknown> => {
    const all = { ...bookkeepingFields(codecOptions.dialect, null), ...ownFields(codecOptions) }
    const config = kerasObject(className, all, {
      ...options,
      explained: { ...(codecOptions.dialect === 'keras3' ? KERAS3_BATCH_KEYS : {}), ...(options.explained ?? {}) },
      rules: [...bookkeepingRules<DecodedOf<F> & Bookkeeping>(codecOptions.dialect), ...(options.rules ?? [])]
    } as KerasObjectOptions<DecodedOf<typeof all>>)
    return new t.Type<S, Record<string, unknown>, unknown>(
      `a ${className} config`,
      (u): u is S => typeof u === 'object' && u !== null && (u as { className?: unknown }).className === className,
      (u, c) =>
        pipe(
          config.validate(u, c),
          E.map(
            (d) =>
              deepFreeze({
                className,
                ...bookkeepingSpec(codecOptions.dialect, d as unknown as Bookkeeping),
                ...toSpec(d as unknown as DecodedOf<F>, codecOptions)
              }) as unknown as S
          )
        ),
      (s) => ({
        ...encodeBookkeeping(s, s.dialect, s.dialect === 'keras2' ? 'batch_input_shape' : 'input_shape'),
        ...fromSpec(s, s.dialect)
      })
    )
  }
