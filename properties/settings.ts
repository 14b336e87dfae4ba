/**
 * Run settings for every property: CI runs a fixed seed with at least 100 runs per property;
 * `npm run test:deep` (LAYERSPEC_DEEP=1) runs 10x as many with a random seed, which fast-check prints
 * with any failure so the run can be replayed (LAYERSPEC_SEED=<seed>).
 */
import type fc from 'fast-check'

const deep = process.env['LAYERSPEC_DEEP'] === '1'
// Under mutation testing (vitest.stryker.config.ts) each property runs a quarter of its CI runs (at least 25):
// thousands of mutants each re-run the suite, and a mutant a property catches is caught in its first runs.
// This only makes the mutation score conservative: a mutant that survives 25 runs might die in 100.
const mutation = process.env['LAYERSPEC_MUTATION'] === '1'
const seedEnv = process.env['LAYERSPEC_SEED']

/** The seed of this run: fixed in CI, random in deep runs, or the one given to replay a failure. */
export const SEED = seedEnv !== undefined ? Number(seedEnv) : deep ? Math.floor(Math.random() * 2 ** 31) : 20261125

/** fast-check parameters for a property with `runs` runs in CI (10x in deep runs). */
export const params = (runs = 100): fc.Parameters<unknown> => ({
  numRuns: deep ? runs * 10 : mutation ? Math.max(25, Math.ceil(runs / 4)) : runs,
  // fast-check prints the seed and shrink path with any failure, so it can be replayed with LAYERSPEC_SEED.
  seed: SEED
})
