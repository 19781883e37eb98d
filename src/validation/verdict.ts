/**
 * The engine's answer for one commit: accepted, or rejected with a stable rule id and a
 * reason that names the commit and the path at fault.
 * @module
 */
import type { RuleId } from './rules.js'

/** A commit accepted, or rejected with the rule that rejected it. */
export type Verdict = { ok: true } | Rejection

/** Why a commit was rejected. */
export interface Rejection {
  ok: false
  /** The rejected commit. */
  commit: string
  /** Stable rule id (see RULES). */
  rule: RuleId
  /** Human-readable reason naming the commit and, where relevant, the path. */
  reason: string
  /** The path at fault, when one is. */
  path?: string
}

export const ACCEPT: Verdict = Object.freeze({ ok: true })

/** Thrown inside rule code, caught by the dispatcher: keeps rule bodies flat. */
export class RuleViolation extends Error {
  constructor(
    readonly rule: RuleId,
    readonly reason: string,
    readonly path?: string,
  ) {
    super(`${rule}: ${reason}`)
  }
}

export function violate(rule: RuleId, reason: string, path?: string): never {
  throw new RuleViolation(rule, reason, path)
}

export function check(condition: unknown, rule: RuleId, reason: string, path?: string): asserts condition {
  if (!condition) throw new RuleViolation(rule, reason, path)
}
