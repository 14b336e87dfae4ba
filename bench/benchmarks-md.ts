/**
 * BENCHMARKS.md holds two runs: the kernel bench's (`npm run bench`, the file's head) and the model
 * bench's (`npm run bench:models`, the "Models" section between the markers below). Each bench
 * rewrites only its own part.
 */
import { existsSync, readFileSync } from 'node:fs'

const BEGIN = '<!-- bench:models begin: written by `npm run bench:models`; `npm run bench` keeps it -->'
const END = '<!-- bench:models end -->'

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '')

/** The models section of the file (markers included), or '' when it has none. */
const modelsBlock = (text: string): string => {
  const a = text.indexOf(BEGIN)
  const b = text.indexOf(END)
  return a >= 0 && b > a ? text.slice(a, b + END.length) : ''
}

/** The file's text with `kernelMd` as the kernel part and the models section kept after it. */
export const withModelsSection = (path: string, kernelMd: string): string => {
  const block = modelsBlock(read(path))
  return block === '' ? kernelMd : `${kernelMd.trimEnd()}\n\n${block}\n`
}

/** The file's text with `modelsMd` as the models section (replacing the previous one, else appended). */
export const replaceModelsSection = (path: string, modelsMd: string): string => {
  const text = read(path)
  const block = `${BEGIN}\n\n${modelsMd.trim()}\n\n${END}`
  const old = modelsBlock(text)
  if (old !== '') return text.replace(old, () => block)
  return `${text.trimEnd()}${text.trim() === '' ? '' : '\n\n'}${block}\n`
}
