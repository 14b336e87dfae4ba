/**
 * `Pass`: one graph rewrite. A pass maps a graph to an equivalent graph (same outputs for every input
 * and params, up to the rounding the pass documents) and reports each place it fired; it never
 * mutates its input. Every pass is separately switchable (`compileModel(m, { rewrites: [...] })`), so a
 * failure can be bisected, and the compiled model lists what fired in `plan.rewrites`.
 */
import type { Graph } from '../Graph.js'

/**
 * One place a pass fired: the pass, the node it rewrote (by name) and what it did.
 * @category model
 */
export interface Rewrite {
  readonly pass: string
  readonly node: string
  readonly detail: string
}

/**
 * A graph rewrite.
 * @category model
 */
export interface Pass {
  /** Its name in `plan.rewrites` and in the `rewrites` option (`drop-identities`, `fold-batch-norm`, …). */
  readonly name: string
  /** One line on what it does, for the README and `--profile`. */
  readonly description: string
  readonly run: (graph: Graph) => { readonly graph: Graph; readonly rewrites: ReadonlyArray<Rewrite> }
}
