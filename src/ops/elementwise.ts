/**
 * Elementwise operations of `keras.src.ops.numpy`, `keras.src.ops.math` and `keras.src.ops.core`:
 * arithmetic on two operands broadcast as NumPy does (`Add`, `Subtract`, `Multiply`, `Divide`,
 * `TrueDivide`, `Maximum`, `Minimum`, `Power`), functions of one tensor (`Negative`, `Square`, `Sqrt`,
 * `Abs`, `Exp`, `Log`, `Tanh`, …), `Clip` and `Cast`.
 */
import { required } from '../core/KerasObject.js'
import { erf } from '../numerics/activations.js'
import { CastDTypeCodec, Num, type CastDType } from './args.js'
import { binaryKind, compileElementwise, inferElementwise, unaryKind, unaryKindWith, X } from './common.js'
import { sign } from './kernels.js'
import type { OpKind } from './OpKind.js'

const NUMPY = 'keras.src.ops.numpy'
const MATH = 'keras.src.ops.math'

// -------------------------------------------------------------------------------------
// scalar functions (TensorFlow's semantics for the edge cases)
// -------------------------------------------------------------------------------------

/** `tf.maximum`: NaN if either is NaN; the first operand when they are equal (`maximum(-0, 0)` is -0). */
const maximum = (a: number, b: number): number => (a !== a || b !== b ? NaN : a >= b ? a : b)
/** `tf.minimum`: NaN if either is NaN; the first operand when they are equal. */
const minimum = (a: number, b: number): number => (a !== a || b !== b ? NaN : a <= b ? a : b)
/** C's `pow` (as TensorFlow's): `pow(1, y)` and `pow(−1, ±∞)` are 1, where JavaScript's give NaN. */
const power = (a: number, b: number): number => (a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b))

// -------------------------------------------------------------------------------------
// kinds
// -------------------------------------------------------------------------------------

/**
 * The binary arithmetic operations (`x + y`, `x - y`, `x * y`, `x / y`, `x ** y`, `ops.maximum` …):
 * call `(x1, x2)`, each a tensor or a constant, broadcast; config `{name}` only.
 * @category kinds
 */
export const BINARY_KINDS: ReadonlyArray<OpKind> = [
  binaryKind(NUMPY, 'Add', (a, b) => a + b),
  binaryKind(NUMPY, 'Subtract', (a, b) => a - b),
  binaryKind(NUMPY, 'Multiply', (a, b) => a * b),
  binaryKind(NUMPY, 'Divide', (a, b) => a / b),
  binaryKind(NUMPY, 'TrueDivide', (a, b) => a / b),
  binaryKind(NUMPY, 'Maximum', maximum),
  binaryKind(NUMPY, 'Minimum', minimum),
  binaryKind(NUMPY, 'Power', power)
]

const fixed =
  (f: (x: number) => number) =>
  (): ((x: number) => number) =>
    f

/**
 * Functions of one tensor: call `(x)`, config `{name}` only.
 * @category kinds
 */
export const UNARY_KINDS: ReadonlyArray<OpKind> = [
  unaryKind(NUMPY, 'Negative', fixed((x) => -x)),
  unaryKind(NUMPY, 'Square', fixed((x) => x * x)),
  unaryKind(NUMPY, 'Sqrt', fixed(Math.sqrt)),
  unaryKind(NUMPY, 'Absolute', fixed(Math.abs)),
  unaryKind(NUMPY, 'Abs', fixed(Math.abs)),
  unaryKind(NUMPY, 'Exp', fixed(Math.exp)),
  unaryKind(NUMPY, 'Log', fixed(Math.log)),
  unaryKind(NUMPY, 'Log1p', fixed(Math.log1p)),
  unaryKind(NUMPY, 'Expm1', fixed(Math.expm1)),
  unaryKind(NUMPY, 'Tanh', fixed(Math.tanh)),
  unaryKind(NUMPY, 'Sin', fixed(Math.sin)),
  unaryKind(NUMPY, 'Cos', fixed(Math.cos)),
  unaryKind(NUMPY, 'Reciprocal', fixed((x) => 1 / x)),
  unaryKind(NUMPY, 'Sign', fixed(sign)),
  unaryKind(NUMPY, 'Floor', fixed(Math.floor)),
  unaryKind(NUMPY, 'Ceil', fixed(Math.ceil)),
  unaryKind(MATH, 'Rsqrt', fixed((x) => 1 / Math.sqrt(x))),
  unaryKind(MATH, 'Erf', fixed(erf))
]

/**
 * `ops.clip(x, x_min, x_max)`: config `{name, x_min, x_max}`; `tf.clip_by_value` (NaN stays NaN).
 * @category kinds
 */
export const ClipKind: OpKind<{ readonly x_min: number; readonly x_max: number }> = unaryKindWith(NUMPY, 'Clip', { x_min: required(Num), x_max: required(Num) }, (a, round) => {
  const lo = round(a.x_min)
  const hi = round(a.x_max)
  return (x) => (x < lo ? lo : x > hi ? hi : x)
})

// -------------------------------------------------------------------------------------
// Cast
// -------------------------------------------------------------------------------------

const F16_MIN_NORMAL = 2 ** -14

/** Rounds to the nearest float16 (ties to even), overflowing to ±∞, with subnormals. */
const toFloat16 = (x: number): number => {
  const a = Math.abs(x)
  if (!(a < Infinity) || a === 0) return x
  // The spacing of float16 values around a: 2^(e − 10) for normals, 2^−24 for subnormals.
  const e = Math.max(Math.floor(Math.log2(a)), -14)
  const ulp = a < F16_MIN_NORMAL ? 2 ** -24 : 2 ** (e - 10)
  const q = a / ulp
  let r = Math.round(q)
  if (r - q === 0.5 && r % 2 !== 0) r -= 1 // Math.round rounds ties up: make them even
  const v = r * ulp
  return Math.sign(x) * (v >= 65520 ? Infinity : v)
}

/** Rounds a float32 value to bfloat16 (the top 16 bits, ties to even), as TensorFlow's cast does. */
const toBfloat16 = (x: number): number => {
  if (x !== x) return x
  const f = new Float32Array([x])
  const u = new Uint32Array(f.buffer)
  const bits = u[0] as number
  const lsb = (bits >>> 16) & 1
  u[0] = ((bits + 0x7fff + lsb) >>> 0) & 0xffff0000
  return f[0] as number
}

/**
 * `ops.cast(x, dtype)` to a float type: the values rounded to `dtype` (float16 and bfloat16 values are
 * kept in the model's type; see the README), config `{name, dtype}`.
 * @category kinds
 */
export const CastKind: OpKind<{ readonly dtype: CastDType }> = {
  module: 'keras.src.ops.core',
  className: 'Cast',
  params: X,
  fields: { dtype: required(CastDTypeCodec) },
  infer: (_a, operands) => inferElementwise('Cast', operands),
  compile: (args, operands, { dtype }) => compileElementwise('Cast', operands, dtype, castTo(args.dtype), null)
}

/** The rounding of a cast to `dtype` (a float64 value stays as it is). */
const castTo = (dtype: CastDType): ((x: number) => number) => {
  switch (dtype) {
    case 'float16':
      return (x) => toFloat16(Math.fround(x))
    case 'bfloat16':
      return (x) => toBfloat16(Math.fround(x))
    case 'float32':
      return Math.fround
    case 'float64':
      return (x) => x
  }
}

/**
 * The rounding of {@link CastKind} to each float type.
 * @category utils
 */
export const castRounding = castTo

/**
 * Every elementwise kind of this module.
 * @category kinds
 */
export const ELEMENTWISE_OPS: ReadonlyArray<OpKind> = [...BINARY_KINDS, ...UNARY_KINDS, ClipKind, CastKind]
