/**
 * gitswarm's public API.
 * @module
 */
export * from './errors.js'
export { createAccount, addDevice, revokeDevice, deviceToxId, sanitizeDisplayName, type DeviceIdentity, type CreateAccountOptions } from './identity/identity.js'
export { saveIdentity, loadIdentity } from './identity/storage.js'
export { generateKeyPair, type KeyPair, type KeyType } from './identity/keys.js'
export { accountUriOf, deviceIdOf, isAccountUri, isDeviceId } from './identity/ids.js'
export { parseCertificates, type CertificateInfo } from './identity/certificate.js'
export { toxId, parseToxId, toxPublicKey, toxSecretKey } from './identity/tox.js'
export { Conversation, MAIN_REF, type OpenOptions, type CreateOptions } from './swarm/conversation.js'
export type { SwarmMessage, Reaction, Edition, LoadOptions, SearchOptions } from './swarm/history-view.js'
export type { Member, Role, DeviceEntry } from './swarm/members.js'
export type { ConversationProfile } from './swarm/profile.js'
export { verifyRepository, type VerifyReport, type VerifyOptions } from './swarm/verify.js'
export { RULES, RULE_IDS, type RuleId, type RuleInfo } from './validation/rules.js'
export { validateCommit } from './validation/validate.js'
export { validateBatch, type BatchResult, type SignatureVerifier } from './validation/batch.js'
export type { Verdict, Rejection } from './validation/verdict.js'
export type { RepositoryView, CommitView, TreeView } from './validation/view.js'
export { runConformance, gitswarmImplementation, commandImplementation, loadCases, extractCase, type Implementation, type ImplementationVerdict, type ConformanceReport, type CaseResult } from './conformance/runner.js'
export type { CaseJson } from './conformance/case.js'
export { generateConformance } from './conformance/generate.js'
