/**
 * BENCHMARKS.md holds several runs: the kernel bench's (`npm run bench`, the file's head) and named
 * sections between markers `<!-- bench:NAME begin … -->` / `<!-- bench:NAME end -->` ("models" by
 * `npm run bench:models`, "train" for `npm run bench:train`'s figures). Each bench rewrites only its
 * own part: the kernel bench keeps every named section after its head.
 */
import { existsSync, readFileSync } from 'node:fs'

const beginMarker = (name: string): string =>
  `<!-- bench:${name} begin: written by \`npm run bench:${name}\`; \`npm run bench\` keeps it -->`
const endMarker = (name: string): string => `<!-- bench:${name} end -->`
/** The start of any named section (whatever its name and wording). */
const ANY_BEGIN = /<!-- bench:[a-z]+ begin/

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '')

/** The named section of the file (markers included), or '' when it has none. */
const sectionBlock = (text: string, name: string): string => {
  const a = text.search(new RegExp(`<!-- bench:${name} begin`))
  const b = text.indexOf(endMarker(name))
  return a >= 0 && b > a ? text.slice(a, b + endMarker(name).length) : ''
}

/** The file's text with `kernelMd` as the kernel part and every named section kept after it. */
export const withModelsSection = (path: string, kernelMd: string): string => {
  const text = read(path)
  const at = text.search(ANY_BEGIN)
  return at < 0 ? kernelMd : `${kernelMd.trimEnd()}\n\n${text.slice(at).trimEnd()}\n`
}

/** The file's text with `md` as the named section (replacing the previous one, else appended). */
export const replaceSection = (path: string, name: string, md: string): string => {
  const text = read(path)
  const block = `${beginMarker(name)}\n\n${md.trim()}\n\n${endMarker(name)}`
  const old = sectionBlock(text, name)
  if (old !== '') return text.replace(old, () => block)
  return `${text.trimEnd()}${text.trim() === '' ? '' : '\n\n'}${block}\n`
}

/** The file's text with `modelsMd` as the "Models" section. */
export const replaceModelsSection = (path: string, modelsMd: string): string => replaceSection(path, 'models', modelsMd)
