/**
 * Every conformance case: the rule cases, the scenarios, and variants of some of them with
 * RSA keys (as Jami uses) and as non-bare repositories (as Jami stores them).
 * @module
 */
import type { RuleId } from '../validation/rules.js'
import type { CaseDefinition } from './case.js'
import { ruleCases } from './cases-rules.js'
import { scenarioCases } from './cases-scenarios.js'

const RSA_RULES: RuleId[] = [
  'signature.invalid',
  'device.chain',
  'device.id',
  'author.not-member',
  'files.unexpected',
  'join.not-invited',
  'resolution.quorum',
  'profile.not-admin',
  'edit.not-author',
  'merge.content',
  'add.files',
  'vote.not-admin',
]
const NON_BARE_RULES: RuleId[] = ['files.unexpected', 'signature.invalid', 'join.not-invited', 'merge.content']
const RSA_SCENARIOS = ['history-tour', 'partition-messages-merged', 'fetch-batch-bad-3-of-5']
const NON_BARE_SCENARIOS = ['history-tour', 'partition-ban-and-concurrent-message', 'fetch-batch-bad-2-of-5']

function variant(c: CaseDefinition, change: Partial<CaseDefinition>, suffix: string, what: string): CaseDefinition {
  return { ...c, ...change, id: `${c.id}-${suffix}`, title: `${c.title} (${what})` }
}

export function allCases(): CaseDefinition[] {
  const rules = ruleCases()
  const scenarios = scenarioCases()
  const byRule = (ids: RuleId[]) => rules.filter((c) => ids.includes(c.rule!))
  const byId = (ids: string[]) => scenarios.filter((c) => ids.includes(c.id))
  return [
    ...rules,
    ...scenarios,
    ...[...byRule(RSA_RULES), ...byId(RSA_SCENARIOS)].map((c) => variant(c, { keyType: 'rsa' }, 'rsa', 'RSA keys')),
    ...[...byRule(NON_BARE_RULES), ...byId(NON_BARE_SCENARIOS)].map((c) => variant(c, { repository: 'non-bare' }, 'nonbare', 'non-bare repository')),
  ]
}
