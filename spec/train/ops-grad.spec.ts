/**
 * Gradients through Keras 3 operation nodes (src/train/vjp/ops.ts) against central finite differences in
 * float64: every operation class layerspec runs, each in a small functional model where trainable
 * Dense layers feed it (two of them for the operations of two operands, and a constant operand too), so
 * the gradient has to pass through the operation to reach their kernels. Inputs are kept away from the
 * kinks (Abs at 0, Floor's steps, clip bounds, ties of Max) by the data, as finite differences need;
 * TensorFlow's choices at the kinks are stated in the module.
 */
import { describe, expect, it } from 'vitest'
import type { Tensor } from '../../src/core/Tensor.js'
import { apply, functional, input, layers, operation, type SymbolicTensor } from '../../src/model/builder.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { right } from '../helpers.js'
import { makeInput } from '../keras3/golden.js'

const NUMPY = 'keras.src.ops.numpy'
const NN = 'keras.src.ops.nn'
const MATH = 'keras.src.ops.math'
const CORE = 'keras.src.ops.core'
const ACT = 'keras.src.activations.activations'

type Build = (a: SymbolicTensor, b: SymbolicTensor) => SymbolicTensor
const un = (module: string, cls: string, config: object = {}): Build => (a) => operation(module, cls, config, [a])
const bin = (cls: string): Build => (a, b) => operation(NUMPY, cls, {}, [a, b])

// positive inputs for the functions defined on them (the sigmoid Dense makes values in (0, 1))
const CASES: ReadonlyArray<readonly [string, Build, 'any' | 'positive']> = [
  ['Add', bin('Add'), 'any'],
  ['Subtract', bin('Subtract'), 'any'],
  ['Multiply', bin('Multiply'), 'any'],
  ['Divide', bin('Divide'), 'positive'],
  ['TrueDivide', bin('TrueDivide'), 'positive'],
  ['Maximum', bin('Maximum'), 'any'],
  ['Minimum', bin('Minimum'), 'any'],
  ['Power', bin('Power'), 'positive'],
  ['Add with a constant (broadcast)', (a) => operation(NUMPY, 'Add', {}, [a, 0.5]), 'any'],
  ['Multiply by a broadcast tensor', (a, b) => operation(NUMPY, 'Multiply', {}, [a, operation(NUMPY, 'Mean', { axis: -1, keepdims: true }, [b])]), 'any'],
  ['Negative', un(NUMPY, 'Negative'), 'any'],
  ['Square', un(NUMPY, 'Square'), 'any'],
  ['Sqrt', un(NUMPY, 'Sqrt'), 'positive'],
  ['Absolute', un(NUMPY, 'Absolute'), 'any'],
  ['Abs', un(NUMPY, 'Abs'), 'any'],
  ['Exp', un(NUMPY, 'Exp'), 'any'],
  ['Log', un(NUMPY, 'Log'), 'positive'],
  ['Log1p', un(NUMPY, 'Log1p'), 'positive'],
  ['Expm1', un(NUMPY, 'Expm1'), 'any'],
  ['Tanh', un(NUMPY, 'Tanh'), 'any'],
  ['Sin', un(NUMPY, 'Sin'), 'any'],
  ['Cos', un(NUMPY, 'Cos'), 'any'],
  ['Reciprocal', un(NUMPY, 'Reciprocal'), 'positive'],
  ['Rsqrt', un(MATH, 'Rsqrt'), 'positive'],
  ['Erf', un(MATH, 'Erf'), 'any'],
  ['Clip', un(NUMPY, 'Clip', { x_min: -0.3, x_max: 0.4 }), 'any'],
  ['Cast', un(CORE, 'Cast', { dtype: 'float64' }), 'any'],
  ['Relu', un(NN, 'Relu'), 'any'],
  ['Relu6', un(NN, 'Relu6'), 'any'],
  ['Sigmoid', un(NN, 'Sigmoid'), 'any'],
  ['HardSigmoid', un(NN, 'HardSigmoid'), 'any'],
  ['HardSilu', un(NN, 'HardSilu'), 'any'],
  ['Silu', un(NN, 'Silu'), 'any'],
  ['Selu', un(NN, 'Selu'), 'any'],
  ['Softplus', un(NN, 'Softplus'), 'any'],
  ['Softsign', un(NN, 'Softsign'), 'any'],
  ['LogSigmoid', un(NN, 'LogSigmoid'), 'any'],
  ['HardTanh', un(NN, 'HardTanh'), 'any'],
  ['Gelu (tanh)', un(NN, 'Gelu', { approximate: true }), 'any'],
  ['Gelu (erf)', un(NN, 'Gelu', { approximate: false }), 'any'],
  ['Elu', un(NN, 'Elu', { alpha: 0.7 }), 'any'],
  ['Celu', un(NN, 'Celu', { alpha: 0.7 }), 'any'],
  ['LeakyRelu', un(NN, 'LeakyRelu', { negative_slope: 0.1 }), 'any'],
  ['ReLU', un(ACT, 'ReLU', { negative_slope: 0.1, max_value: 0.5, threshold: -0.2 }), 'any'],
  ['SparsePlus', un(NN, 'SparsePlus'), 'any'],
  ['SparseSigmoid', un(NN, 'SparseSigmoid'), 'any'],
  ['TanhShrink', un(NN, 'TanhShrink'), 'any'],
  ['Squareplus', un(NN, 'Squareplus', { b: 3 }), 'any'],
  ['SoftShrink', un(NN, 'SoftShrink', { threshold: 0.2 }), 'any'],
  ['HardShrink', un(NN, 'HardShrink', { threshold: 0.2 }), 'any'],
  ['Threshold', un(NN, 'Threshold', { threshold: 0.1, default_value: -0.5 }), 'any'],
  ['Mish', un(ACT, 'Mish'), 'any'],
  ['Softmax', un(NN, 'Softmax', { axis: -1 }), 'any'],
  ['LogSoftmax', un(NN, 'LogSoftmax', { axis: [1, 2] }), 'any'],
  ['Mean', un(NUMPY, 'Mean', { axis: 1, keepdims: true }), 'any'],
  ['Sum', un(NUMPY, 'Sum', { axis: [2] }), 'any'],
  ['Max', un(NUMPY, 'Max', { axis: -1 }), 'any'],
  ['Max with initial', un(NUMPY, 'Max', { axis: -1, initial: 0.2 }), 'any'],
  ['Min', un(NUMPY, 'Min', { axis: 1 }), 'any'],
  ['Amax', un(NUMPY, 'Amax', { axis: 2, keepdims: true }), 'any'],
  ['Amin', un(NUMPY, 'Amin', { axis: -1 }), 'any'],
  ['Prod', un(NUMPY, 'Prod', { axis: -1 }), 'any'],
  ['Var', un(NUMPY, 'Var', { axis: -1 }), 'any'],
  ['Std', un(NUMPY, 'Std', { axis: 1 }), 'any'],
  ['Logsumexp', un(MATH, 'Logsumexp', { axis: -1 }), 'any'],
  ['Reshape', un(NUMPY, 'Reshape', { newshape: [-1, 6, 2] }), 'any'],
  ['Transpose', un(NUMPY, 'Transpose', { axes: [0, 2, 1] }), 'any'],
  ['ExpandDims', un(NUMPY, 'ExpandDims', { axis: 1 }), 'any'],
  ['Squeeze', (a) => operation(NUMPY, 'Squeeze', { axis: 1 }, [operation(NUMPY, 'ExpandDims', { axis: 1 }, [a])]), 'any'],
  ['Concatenate', (a, b) => operation(NUMPY, 'Concatenate', { axis: -1 }, [[a, b]]), 'any'],
  ['Stack', (a, b) => operation(NUMPY, 'Stack', { axis: 1 }, [[a, b]]), 'any'],
  ['Matmul', (a, b) => operation(NUMPY, 'Matmul', {}, [a, operation(NUMPY, 'Transpose', { axes: [0, 2, 1] }, [b])]), 'any'],
  ['Matmul with a constant', (a) => operation(NUMPY, 'Matmul', {}, [a, { class_name: '__numpy__', config: { value: [[0.5, -1], [2, 0.25], [-0.5, 1], [1.5, -2]], dtype: 'float32' } }]), 'any']
]

describe('gradients through operation nodes against central finite differences (float64)', () => {
  it.each(CASES.map(([name, build, domain]) => [name, build, domain] as const))('%s', (_name, build, domain) => {
    const x = input([3, 4])
    const act = domain === 'positive' ? 'sigmoid' : 'tanh'
    const a = apply(layers.dense({ units: 4, activation: act }), x)
    const b = apply(layers.dense({ units: 4, activation: act }), x)
    const y = apply(layers.dense({ units: 2 }), apply(layers.flatten(), build(a, b)))
    const model = right(functional({ inputs: [x], outputs: [y] }))
    const trainer = right(compileTrainer(model, { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    const params = trainer.compiled.init(5).map((p) => ({ shape: p.shape, data: p.data.map((v) => v * 1.7) }) as Tensor)
    const batch = { x: [{ shape: [2, 3, 4], data: Float64Array.from(makeInput([2, 3, 4], 8, -1, 1)) }], y: [{ shape: [2, 2], data: Float64Array.from(makeInput([2, 2], 9, -1, 1)) }] }
    const grads = trainer.valueAndGrad(params, batch).grads
    let worst = 0
    let scale = 0
    // the kernels of the two Dense layers feeding the operation
    for (const w of [0, 2]) {
      const g = grads[w]?.data ?? []
      scale = Math.max(scale, ...Array.from(g, Math.abs))
      for (let i = 0; i < g.length; i++) {
        const at = (d: number): number => trainer.valueAndGrad(params.map((p, k) => (k === w ? { shape: p.shape, data: p.data.map((v, j) => (j === i ? v + d : v)) } : p)), batch).loss
        worst = Math.max(worst, Math.abs((at(1e-6) - at(-1e-6)) / 2e-6 - (g[i] as number)))
      }
    }
    expect(scale).toBeGreaterThan(0)
    expect(worst / (1 + scale)).toBeLessThan(1e-6)
  })
})

describe("Keras 3.15's sparsemax activation (TensorFlow's gradient of its formula) against finite differences", () => {
  it.each([1, 2, 3, 4])('seed %i', (seed) => {
    const x = input([6])
    const y = apply(layers.dense({ units: 2 }), apply(layers.activation({ activation: 'sparsemax' }), apply(layers.dense({ units: 5 }), x)))
    const trainer = right(compileTrainer(right(functional({ inputs: [x], outputs: [y] })), { loss: 'mse', optimizer: 'sgd' }, { dtype: 'float64' }))
    const params = trainer.compiled.init(seed).map((p) => ({ shape: p.shape, data: p.data.map((v) => v * 0.5) }) as Tensor)
    const batch = { x: [{ shape: [4, 6], data: Float64Array.from(makeInput([4, 6], seed, -1, 1)) }], y: [{ shape: [4, 2], data: Float64Array.from(makeInput([4, 2], seed + 1, -1, 1)) }] }
    const g = trainer.valueAndGrad(params, batch).grads[0]?.data ?? []
    const scale = Math.max(...Array.from(g, Math.abs))
    expect(scale).toBeGreaterThan(0)
    let worst = 0
    for (let i = 0; i < g.length; i++) {
      const at = (d: number): number => trainer.valueAndGrad(params.map((p, k) => (k === 0 ? { shape: p.shape, data: p.data.map((v, j) => (j === i ? v + d : v)) } : p)), batch).loss
      worst = Math.max(worst, Math.abs((at(1e-6) - at(-1e-6)) / 2e-6 - (g[i] as number)))
    }
    expect(worst / (1 + scale)).toBeLessThan(1e-6)
  })
})
