/**
 * A file's own training configuration: `decodeModelFile` keeps it (`trainingConfig`, with its path) and
 * `compileTrainer` trains the model as the file was compiled, reporting a bad entry at its path in the
 * file. The Keras 3 case is a real `.keras` file's config.json (scripts/golden/train.py); the tf.keras
 * 2.x case puts the `training_config` that the TensorFlow.js converter copies from an h5 file (its
 * documented form: training notes §1.9, §5.1) into the shipped TensorFlow.js example.
 */
import { describe, expect, it } from 'vitest'
import { decodeModelFile } from '../../src/model/decodeModel.js'
import { compileTrainer } from '../../src/train/Trainer.js'
import { left, readJson, right } from '../helpers.js'

describe('training configs kept from model files', () => {
  it('Keras 3 (.keras config.json): compile_config → Adam with clipnorm, sparse crossentropy, accuracy', () => {
    const file = right(decodeModelFile(readJson('spec/fixtures/keras3/train/compiled.keras3.json')))
    expect(file.trainingConfig?.path).toBe('compile_config')
    const tc = file.trainingConfig
    if (tc === null) throw new Error('no training config')
    const trainer = right(compileTrainer(file.model, tc.config, { configPath: tc.path }))
    expect(trainer.optimizer.className).toBe('Adam')
    expect(trainer.optimizer.clipnorm).toBe(1)
    expect(trainer.optimizer.learningRate).toBe(Math.fround(0.002))
    expect(trainer.losses.map((l) => l.className)).toEqual(['SparseCategoricalCrossentropy'])
    expect(trainer.metricNames).toEqual(['accuracy'])
  })

  it('tf.keras 2.x via TensorFlow.js model.json: modelTopology.training_config (optimizer_config, nested metrics)', () => {
    const json = readJson('examples/tfjs/model.json') as { modelTopology: Record<string, unknown> }
    const topology = json.modelTopology
    const withConfig = {
      ...json,
      modelTopology: {
        ...(topology['model_config'] !== undefined ? topology : { model_config: topology, keras_version: '2.3.0-tf', backend: 'tensorflow' }),
        training_config: {
          loss: 'categorical_crossentropy',
          metrics: [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'categorical_accuracy' } }]],
          weighted_metrics: null,
          loss_weights: null,
          optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.0010000000474974513, decay: 0.0, beta_1: 0.8999999761581421, beta_2: 0.9990000128746033, epsilon: 1e-7, amsgrad: false } }
        }
      }
    }
    const file = right(decodeModelFile(withConfig))
    expect(file.trainingConfig?.path).toBe('modelTopology.training_config')
    const tc = file.trainingConfig
    if (tc === null) throw new Error('no training config')
    const trainer = right(compileTrainer(file.model, tc.config, { configPath: tc.path }))
    expect(trainer.optimizer.className).toBe('Adam')
    expect(trainer.metricNames).toEqual(['accuracy'])
    // and a bad entry is reported where it is in the file
    const bad = { ...tc.config, loss: 'categorical_crossentropyy' }
    expect(left(compileTrainer(file.model, bad, { configPath: tc.path })).map((e) => e.path)).toEqual(['modelTopology.training_config.loss'])
  })

  it('a file without one has trainingConfig null', () => {
    expect(right(decodeModelFile(readJson('examples/models/mnist-convnet.keras3.json'))).trainingConfig).toBeNull()
  })
})
