import { defineConfig } from 'vitest/config'

// The suite Stryker runs against each mutant: every test of the source, except those that exercise the
// built dist/ (the CLI subprocess and package tests, which no mutant of src/ can reach) and the slow
// side-by-side runs against TensorFlow.js (kernels are held to the reference kernel by the properties).
export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts', 'properties/**/*.prop.ts'],
    exclude: ['spec/cli/**', 'spec/package.spec.ts', 'spec/model/real-models.spec.ts', '**/*tfjs*.spec.ts', 'spec/model/tfjs-producer.spec.ts', 'node_modules/**'],
    env: { LAYERSPEC_MUTATION: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
