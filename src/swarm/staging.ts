/**
 * New conversations (created or cloned) are built in a hidden directory beside their final
 * place and renamed in only once complete and valid: a failure leaves nothing behind, and an
 * existing conversation is never touched (Jami's testCloneFailureDoesNotWipeExistingConversation).
 * @module
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { AlreadyExistsError } from '../errors.js'
import { syncDir, type Durability } from '../git/durability.js'
import { initBareRepository, syncNewRepository, type Repository } from '../git/repository.js'

export interface StagedRepository {
  repo: Repository
  /** Closes the repository and renames it to `path`, or to `<dir>/<name>`; returns where it went. */
  publish(name: string): string
  /** Whether something already stands where `publish(name)` would put the repository. */
  taken(name: string): boolean
  /** Closes and deletes the staged repository (a no-op once published). */
  discard(): void
}

/** A fresh bare repository beside `where.path` (or in `where.dir`, default `.`). */
export function stageRepository(where: { path?: string; dir?: string; durability?: Durability }, purpose: 'new' | 'clone'): StagedRepository {
  const parent = resolve(where.path ? dirname(where.path) : (where.dir ?? '.'))
  mkdirSync(parent, { recursive: true })
  const tmp = join(parent, `.gitswarm-${purpose}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`)
  const repo = initBareRepository(tmp, { durability: where.durability })
  const targetOf = (name: string) => (where.path ? resolve(where.path) : join(parent, name))
  return {
    repo,
    taken(name) {
      return existsSync(targetOf(name))
    },
    publish(name) {
      syncNewRepository(repo)
      repo.objects.close()
      const target = targetOf(name)
      if (existsSync(target)) throw new AlreadyExistsError(`conversation ${target}`)
      renameSync(tmp, target)
      if (repo.objects.durability === 'full') syncDir(parent)
      return target
    },
    discard() {
      repo.objects.close()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

/**
 * Writes the root commit of a new conversation at `time`, or a second later while its id is
 * taken: the root names the conversation, so a device making two in one second would make
 * the same one twice. Only in a directory (`free`); a fixed path that exists is an error
 * at publish. Up to a minute ahead.
 */
export function rootCommit(stage: StagedRepository, free: boolean, write: (time: number) => string, time: number): string {
  for (let offset = 0; ; offset++) {
    const root = write(time + offset)
    if (!free || offset >= 60 || !stage.taken(root)) return root
  }
}
