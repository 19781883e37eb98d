/**
 * Opening and creating repositories: bare by default, Jami's non-bare layout (`<dir>/.git`)
 * read too. A Repository bundles the object store and the refs of one git directory.
 * @module
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AlreadyExistsError, NotARepositoryError } from '../errors.js'
import { syncDir, syncFileAt } from './durability.js'
import { ObjectStore, type ObjectStoreOptions } from './object-store.js'
import { RefStore } from './refs.js'

export interface Repository {
  /** The git directory (the repository itself when bare, `<dir>/.git` otherwise). */
  gitdir: string
  /** True when there is no working tree. */
  bare: boolean
  objects: ObjectStore
  refs: RefStore
}

function isGitDir(dir: string): boolean {
  return existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'))
}

/** Finds the git directory of `path` (bare repository, or a directory holding `.git`). */
export function findGitDir(path: string): { gitdir: string; bare: boolean } {
  const abs = resolve(path)
  let st
  try {
    st = statSync(abs)
  } catch {
    throw new NotARepositoryError(abs, 'no such directory')
  }
  if (!st.isDirectory()) throw new NotARepositoryError(abs, 'not a directory')
  if (isGitDir(join(abs, '.git'))) return { gitdir: join(abs, '.git'), bare: false }
  if (isGitDir(abs)) return { gitdir: abs, bare: true }
  throw new NotARepositoryError(abs, 'missing HEAD, objects/ or refs/')
}

export function openRepository(path: string, options: ObjectStoreOptions = {}): Repository {
  const { gitdir, bare } = findGitDir(path)
  return stores(gitdir, bare, options)
}

/** The object and ref stores of one git directory, the refs flushing the objects before they move. */
function stores(gitdir: string, bare: boolean, options: ObjectStoreOptions): Repository {
  const objects = new ObjectStore(gitdir, options)
  const refs = new RefStore(gitdir, { durability: objects.durability, beforeUpdate: () => objects.flush() })
  return { gitdir, bare, objects, refs }
}

/** Creates an empty bare repository whose HEAD points to `refs/heads/main`, as Jami's do. */
export function initBareRepository(path: string, options: ObjectStoreOptions = {}): Repository {
  const gitdir = resolve(path)
  if (existsSync(join(gitdir, 'HEAD'))) throw new AlreadyExistsError(`repository ${gitdir}`)
  for (const dir of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) {
    mkdirSync(join(gitdir, dir), { recursive: true })
  }
  writeFileSync(join(gitdir, 'HEAD'), 'ref: refs/heads/main\n')
  writeFileSync(join(gitdir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n')
  writeFileSync(join(gitdir, 'description'), 'gitswarm conversation\n')
  return stores(gitdir, true, options)
}

/**
 * Flushes a repository built from nothing (before it is renamed into place): its small files
 * and every directory initBareRepository made. Objects and refs flush themselves as written.
 */
export function syncNewRepository(repo: Repository): void {
  if (repo.objects.durability !== 'full') return
  repo.objects.flush()
  for (const file of ['HEAD', 'config']) syncFileAt(join(repo.gitdir, file))
  for (const dir of ['objects/info', 'objects/pack', 'objects', 'refs/heads', 'refs/tags', 'refs', '.']) syncDir(join(repo.gitdir, dir))
}

export function closeRepository(repo: Repository): void {
  repo.objects.close()
}
