/**
 * Shared test helpers: deterministic identities, temporary directories, the real git binary,
 * and tiny assertions with precise messages.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect } from 'vitest'
import { createAccount, addDevice, type DeviceIdentity } from '../src/identity/identity.js'
import { generateKeyPair, type KeyType } from '../src/identity/keys.js'
import type { Conversation } from '../src/swarm/conversation.js'
import { validateCommit } from '../src/validation/validate.js'
import type { Verdict } from '../src/validation/verdict.js'

/**
 * The repositories written by the real Jami daemon: ../shared/fixtures/jami when it is there,
 * else the copy in fixtures/jami (identical; kept so a lone clone runs every test).
 */
export const JAMI_FIXTURES = [join(import.meta.dirname, '../../shared/fixtures/jami'), join(import.meta.dirname, '../fixtures/jami')].find((d) => existsSync(d))!

/** Certificates of test identities are valid from this date (before any test commit time). */
export const NOT_BEFORE = new Date('2026-01-01T00:00:00Z')

const accounts = new Map<string, Promise<DeviceIdentity>>()

function seed(name: string, role: number): Uint8Array {
  const out = new Uint8Array(32)
  const bytes = Buffer.from(name)
  for (let i = 0; i < 32; i++) out[i] = (bytes[i % bytes.length]! + i * 7 + role * 31) & 0xff
  return out
}

/** A deterministic account (same keys and certificates every run) named `name`. */
export function account(name: string, keyType: KeyType = 'ed25519'): Promise<DeviceIdentity> {
  const key = `${name}:${keyType}`
  let hit = accounts.get(key)
  if (!hit) {
    hit =
      keyType === 'ed25519'
        ? createAccount({ displayName: name, seeds: { ca: seed(name, 1), account: seed(name, 2), device: seed(name, 3) }, notBefore: NOT_BEFORE, deterministic: true })
        : createAccount({
            displayName: name,
            keyType: 'rsa',
            keys: { ca: generateKeyPair('rsa', { bits: 2048 }), account: generateKeyPair('rsa', { bits: 2048 }), device: generateKeyPair('rsa', { bits: 2048 }) },
            notBefore: NOT_BEFORE,
          })
    accounts.set(key, hit)
  }
  return hit
}

/** Another device of the account held by `owner`, deterministic by `name`. */
export function device(owner: DeviceIdentity, name: string, opts: { notBefore?: Date; notAfter?: Date } = {}): Promise<DeviceIdentity> {
  return addDevice(owner, { seed: seed(name, 4), notBefore: opts.notBefore ?? NOT_BEFORE, notAfter: opts.notAfter, deterministic: true })
}

/** A temporary directory removed after the test file. */
export function tempDir(prefix = 'gitswarm-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the real git binary and returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

export function verdictOf(conv: Conversation, id: string): Verdict {
  return validateCommit(conv.validationEnv(), id).verdict
}

/** Asserts a verdict is an acceptance, printing the rejection otherwise. */
export function expectAccepted(v: Verdict): void {
  expect(v.ok ? 'accepted' : `rejected by ${v.rule}: ${v.reason}`).toBe('accepted')
}

/** Asserts a verdict is a rejection by exactly `rule`. */
export function expectRejected(v: Verdict, rule: string): void {
  expect(v.ok ? 'accepted' : `rejected by ${v.rule}`).toBe(`rejected by ${rule}`)
}
