#!/usr/bin/env node
// The README's main job, on the shipped examples, through the built package (npm ci builds it):
//  1. validate every example: Conv2D layer configs and model files (examples/conv2d/invalid-*.json is
//     invalid on purpose, to show the errors with their paths), and print each Conv2D's normalized spec;
//  2. for each example model: the Keras-style summary, then a run (weights from the tfjs manifest when
//     the file has them, else a seeded init) printing output shapes, checksums and the time taken.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeConv2D } from 'layerspec'
import { main } from 'layerspec/cli'

const root = fileURLToPath(new URL('..', import.meta.url))
const rel = (p) => relative(root, p)
const files = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort().map((f) => join(root, dir, f))
const heading = (s) => console.log(`\n=== ${s} ${'='.repeat(Math.max(0, 90 - s.length))}`)

heading('layerspec validate examples/*')
main(['validate', ...files('examples/conv2d'), ...files('examples/models'), join(root, 'examples/tfjs/model.json')].map((f) => (f.startsWith(root) ? rel(f) : f)))

heading('normalized Conv2D specs')
for (const f of files('examples/conv2d')) {
  const r = decodeConv2D(JSON.parse(readFileSync(f, 'utf8')))
  if (r._tag === 'Right') console.log(`${rel(f)}:\n${JSON.stringify(r.right)}`)
}

const models = [
  'examples/models/mnist-convnet.keras3.json',
  'examples/models/dilated-context.tf215.json',
  'examples/models/channels-first.tf24.json',
  'examples/models/residual-block.keras3.json',
  'examples/models/causal-tcn.keras3.json',
  'examples/models/unet.keras3.json',
  'examples/tfjs/model.json'
]
for (const m of models) {
  heading(`layerspec summary ${m}`)
  main(['summary', m])
  heading(`layerspec run ${m} --seed 1 --batch 4`)
  main(['run', m, '--seed', '1', '--batch', '4'])
}

heading('training: node examples/train/mnist.mjs 2 (compileTrainer + fit on real MNIST digits)')
await import('../examples/train/mnist.mjs')
