/**
 * Writes examples/tfjs/model.json + group1-shard1of1.bin: a small convnet built and saved by
 * TensorFlow.js (tfjs-layers itself), with seeded initializers, so the README's main job runs a real
 * tfjs model file with real weights. Run: npx tsx scripts/make-tfjs-example.ts
 */
import '../spec/quietTfjs.js'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

await tf.setBackend('cpu')
const dir = fileURLToPath(new URL('../examples/tfjs/', import.meta.url))
const model = tfl.sequential({ name: 'tfjs_convnet' })
model.add(tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: tfl.initializers.randomNormal({ seed: 2, stddev: 0.1 }) }))
model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
model.add(tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), biasInitializer: tfl.initializers.randomNormal({ seed: 4, stddev: 0.1 }) }))
model.add(tfl.layers.batchNormalization({ gammaInitializer: tfl.initializers.randomUniform({ seed: 5, minval: 0.5, maxval: 1.5 }), betaInitializer: tfl.initializers.randomNormal({ seed: 6, stddev: 0.1 }), movingMeanInitializer: tfl.initializers.randomNormal({ seed: 7, stddev: 0.1 }), movingVarianceInitializer: tfl.initializers.randomUniform({ seed: 8, minval: 0.5, maxval: 1.5 }) }))
model.add(tfl.layers.flatten())
model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }))

await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const bin = new Uint8Array(artifacts.weightData as ArrayBuffer)
    writeFileSync(`${dir}group1-shard1of1.bin`, bin)
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }]
    }
    writeFileSync(`${dir}model.json`, `${JSON.stringify(modelJson, null, 1)}\n`)
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  })
)
console.log(`wrote ${dir}model.json and group1-shard1of1.bin`)
