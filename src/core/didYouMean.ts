/**
 * "Did you mean …?" suggestions for misspelled keys and names (`kernel_sise` → `kernel_size`).
 */
import { quoteText } from './describe.js'

/** Damerau–Levenshtein (optimal string alignment) distance between two strings. */
const distance = (a: string, b: string): number => {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(
        (d[(i - 1) * cols + j] ?? 0) + 1,
        (d[i * cols + j - 1] ?? 0) + 1,
        (d[(i - 1) * cols + j - 1] ?? 0) + cost
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (d[(i - 2) * cols + j - 2] ?? 0) + 1)
      }
      d[i * cols + j] = best
    }
  }
  return d[rows * cols - 1] ?? 0
}

const normalizeName = (s: string): string => s.toLowerCase().replace(/[_\-\s]/g, '')

/**
 * Inputs longer than this get no suggestion: a typo of a Keras name is short, and the edit distance
 * costs the product of the two lengths. Together with the length filter below this keeps every call
 * cheap whatever the input (a 1 MB string costs nothing here).
 */
export const MAX_SUGGEST_LENGTH = 64

/**
 * The closest candidate to `input`, or `undefined` when nothing is close enough to be a plausible typo.
 * Case, underscores and dashes are ignored first (`KernelSize` → `kernel_size`), then an edit
 * distance of at most a third of the normalized word (at least 1, at most 3) is allowed. Only candidates whose
 * length is within that distance are compared (no other can be close enough), and inputs longer than
 * {@link MAX_SUGGEST_LENGTH} characters get no suggestion.
 * @category utils
 */
export const didYouMean = (input: string, candidates: ReadonlyArray<string>): string | undefined => {
  if (input.length > MAX_SUGGEST_LENGTH) return undefined
  const norm = normalizeName(input)
  // A candidate equal up to case, underscores and dashes is at distance 0: the first one wins below.
  // The limit follows the normalized word: "__proto__" is a 5-letter word, not a 9-letter one.
  const limit = Math.min(3, Math.max(1, Math.floor(norm.length / 3)))
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    // Normalizing removes characters, so a candidate this long is far from any input that passed above.
    if (c.length > 2 * MAX_SUGGEST_LENGTH) continue
    const other = normalizeName(c)
    if (Math.abs(other.length - norm.length) > limit) continue
    const dist = distance(norm, other)
    if (dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  return bestDistance <= limit ? best : undefined
}

/**
 * `; did you mean "kernel_size"?` or the empty string.
 * @category utils
 */
export const suggestion = (input: string, candidates: ReadonlyArray<string>): string => {
  const s = didYouMean(input, candidates)
  return s === undefined ? '' : `; did you mean ${quoteText(s)}?`
}
