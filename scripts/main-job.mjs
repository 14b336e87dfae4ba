#!/usr/bin/env node
// The README's main job: validate every Conv2D config in examples/ (standalone layer configs and the
// Conv2D layers inside the example model files) and print each normalized spec, or its errors with
// their JSON paths. Runs on the built package (npm ci builds it through `prepare`).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeConv2D, formatErrors } from 'layerspec'

const root = fileURLToPath(new URL('..', import.meta.url))
const examples = join(root, 'examples')

const files = (dir) =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name)
      return statSync(p).isDirectory() ? files(p) : name.endsWith('.json') ? [p] : []
    })

const isConvEntry = (e) => e !== null && typeof e === 'object' && (e.class_name === 'Conv2D' || e.class_name === 'Convolution2D')

/** Conv2D layer entries of a model file (Sequential or functional, wrapped or not), with their paths. */
const convLayers = (json) => {
  const config = json.modelTopology?.model_config?.config ?? json.modelTopology?.config ?? json.config ?? json
  const layers = Array.isArray(config) ? config : config?.layers
  if (!Array.isArray(layers)) return []
  return layers.flatMap((e, i) => (isConvEntry(e) ? [[`layers[${i}]`, e]] : []))
}

const summary = (s) =>
  `filters=${s.filters} kernel=${s.kernelSize.join('x')} strides=${s.strides.join('x')} padding=${s.padding} ` +
  `dilation=${s.dilationRate.join('x')} groups=${s.groups} ${s.dataFormat} activation=${s.activation} ` +
  `bias=${s.useBias} dialect=${s.dialect}` + (s.inputShape ? ` input=[${s.inputShape.join(', ')}]` : '')

let invalid = 0
for (const file of files(examples)) {
  const json = JSON.parse(readFileSync(file, 'utf8'))
  const entries = convLayers(json).length > 0 ? convLayers(json) : [['', json]]
  console.log(`${relative(root, file)}`)
  for (const [path, entry] of entries) {
    const r = decodeConv2D(entry)
    const where = path === '' ? '  ' : `  ${path}: `
    if (r._tag === 'Right') {
      console.log(`${where}${r.right.name ?? '(unnamed)'}  ${summary(r.right)}`)
    } else {
      invalid++
      console.log(`${where}invalid:\n${formatErrors(r.left).replace(/^/gm, '      ')}`)
    }
  }
}
console.log(`\n${invalid} invalid config(s); examples/conv2d/invalid-*.json are invalid on purpose.`)
