/**
 * Imported before TensorFlow.js: drops the one banner tfjs-core prints in Node.js (a recommendation to
 * install tfjs-node), so test output shows only what matters.
 */
const isBanner = (first: unknown): boolean =>
  typeof first === 'string' && (first.includes('TensorFlow.js in Node.js') || /^\s*=+\s*$/.test(first))
for (const method of ['log', 'warn'] as const) {
  const original = console[method]
  console[method] = (...args: unknown[]) => {
    if (!isBanner(args[0])) original(...args)
  }
}
export {}
