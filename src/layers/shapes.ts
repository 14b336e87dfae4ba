/**
 * Small helpers for layer shape inference and compilation: reading an input's rank and dimensions with
 * clear errors. Output sizes of windows (pooling, convolution) come from src/geometry/Padding.ts, the
 * one place that arithmetic lives.
 */
import * as E from 'fp-ts/lib/Either.js'
import { specError, type SpecError } from '../core/SpecError.js'
import { showShape } from '../codec/InputShape.js'
import type { SymbolicShape } from './LayerKind.js'

/**
 * The single input of a one-input layer, checked to have `rank` dimensions (batch axis included)
 * when `rank` is given.
 * @category utils
 */
export const singleInput = (
  className: string,
  inputs: ReadonlyArray<SymbolicShape>,
  rank?: number
): E.Either<ReadonlyArray<SpecError>, SymbolicShape> => {
  const input = inputs[0]
  if (inputs.length !== 1 || input === undefined) {
    return E.left([specError('', `${className} takes exactly one input, found ${inputs.length}`)])
  }
  if (rank !== undefined && input.length !== rank) {
    return E.left([
      specError('', `${className} expects an input of rank ${rank} (batch axis included), found rank ${input.length}: ${showShape(input)}`)
    ])
  }
  return E.right(input)
}

/**
 * A dimension that must be known (e.g. the channel count that sizes a weight), or an error naming it.
 * @category utils
 */
export const knownDim = (
  className: string,
  input: SymbolicShape,
  axis: number,
  what: string
): E.Either<ReadonlyArray<SpecError>, number> => {
  const d = input[axis < 0 ? input.length + axis : axis]
  if (d === null || d === undefined) {
    return E.left([specError('', `${className} needs the ${what} of its input to be known, found ${showShape(input)}`)])
  }
  return E.right(d)
}

/**
 * The product of a shape's known dims, or `null` when any is unknown.
 * @category utils
 */
export const productOrNull = (dims: SymbolicShape): number | null =>
  dims.some((d) => d === null) ? null : dims.reduce<number>((a, d) => a * (d as number), 1)
