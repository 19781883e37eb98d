/**
 * What a conformance case is: how it is built, and what every implementation must conclude.
 * case.json (see fixtures/conformance/case.schema.json) is its published form.
 * @module
 */
import type { KeyType } from '../identity/keys.js'
import type { RuleId } from '../validation/rules.js'
import type { Builder, BuildResult } from './builder.js'

export interface CaseDefinition {
  /** Stable id, also the case's directory name. */
  id: string
  title: string
  /** The Jami test (reference/jami-swarm.md §8) or rule section the case comes from. */
  reference: string
  /** The rule the case exercises: for a rejected case, the rule that must reject it. */
  rule?: RuleId
  valid: boolean
  /**
   * What jami-daemon's validator would decide on the same history (reference §4), judged by
   * its rules — it only verifies RSA signatures, so Ed25519 cases answer "if it could".
   * Differs from `valid` exactly where gitswarm deviates (docs/rules.md).
   */
  jamiAccepts: boolean
  /** Key type of the actors (default ed25519; rita is always RSA). */
  keyType?: KeyType
  /** How the repository is laid out for the implementation (default bare). */
  repository?: 'bare' | 'non-bare'
  /** A ready-made repository instead of a build (the real Jami fixtures). */
  bundle?: string
  /** With `bundle`: the commit trusted as base. */
  bundleBase?: string
  build?(b: Builder): BuildResult | Promise<BuildResult>
}

/** The published case.json. */
export interface CaseJson {
  id: string
  title: string
  reference: string
  key_type: KeyType | 'mixed'
  repository: 'bare' | 'non-bare'
  /** Commit the implementation already trusts (validate only what follows it), or null: a clone. */
  base: string | null
  head: string
  expected: { valid: boolean; first_bad_commit: string | null; rule: RuleId | null }
  jami_accepts: boolean
}
