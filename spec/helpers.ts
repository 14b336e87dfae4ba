/**
 * Test helpers shared by the example-based specs.
 */
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type * as t from 'io-ts'
import { fromValidationErrors, type SpecError } from '../src/core/SpecError.js'

/** Asserts a Right and returns its value, printing the errors otherwise. */
export const right = <A>(e: E.Either<ReadonlyArray<SpecError>, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected success, got errors:\n${e.left.map((x) => `${x.path}: ${x.message}`).join('\n')}`)
  return e.right
}

/** Asserts a Left and returns its errors. */
export const left = <A>(e: E.Either<ReadonlyArray<SpecError>, A>): ReadonlyArray<SpecError> => {
  if (E.isRight(e)) throw new Error(`expected errors, got success: ${JSON.stringify(e.right)}`)
  return e.left
}

/** The errors (path, message) of decoding `u` with an io-ts codec; `[]` when it decodes. */
export const decodeErrors = <A>(codec: t.Decoder<unknown, A>, u: unknown): ReadonlyArray<SpecError> => {
  const r = codec.decode(u)
  return E.isLeft(r) ? fromValidationErrors(r.left) : []
}

/** Reads a JSON file relative to the repository root. */
export const readJson = (path: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8'))

/** Reads a JSON file from the copy of the team's shared test data (spec/fixtures/shared). */
export const readShared = (path: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/shared/${path}`, import.meta.url)), 'utf8'))
