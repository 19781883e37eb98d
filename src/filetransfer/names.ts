/**
 * Names that become paths: file ids (`<commit>_<tid>[.<ext>]`, Jami's getFileId, reference
 * jami-swarm.md §3.1 and §6) and display names used as file names. Anything that could
 * leave its directory — `../`, an absolute path, NUL, a separator, an over-long name — is
 * an InvalidPathError before a byte is written.
 * @module
 */
import { isAbsolute } from 'node:path'
import { InvalidPathError } from '../errors.js'

/** Longest file name most file systems take, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 255
const FILE_ID = /^([0-9a-f]{40})_([1-9][0-9]{0,19})(\.[0-9A-Za-z_-]{1,32})?$/

export interface FileId {
  /** The announcing commit (Jami's interactionId). */
  commit: string
  tid: string
  /** The extension with its dot, or ''. */
  ext: string
}

/** Parses a file id; anything else (a path, `..`, 5,000 characters) is an InvalidPathError. */
export function parseFileId(fileId: string): FileId {
  if (typeof fileId !== 'string') throw new InvalidPathError('file id', String(fileId), 'not a string')
  const m = FILE_ID.exec(fileId)
  if (!m) throw new InvalidPathError('file id', fileId, 'not <commit>_<tid>[.<ext>]')
  return { commit: m[1]!, tid: m[2]!, ext: m[3] ?? '' }
}

/** Checks a name meant to be one file in a directory (a display name), and returns it. */
export function safeFileName(name: string, what = 'file name'): string {
  if (typeof name !== 'string' || name === '') throw new InvalidPathError(what, String(name), 'empty')
  if (name.includes('\0')) throw new InvalidPathError(what, name, 'contains NUL')
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw new InvalidPathError(what, name, 'an absolute path')
  if (/[/\\]/.test(name)) throw new InvalidPathError(what, name, 'contains a path separator')
  if (name === '.' || name === '..') throw new InvalidPathError(what, name, 'a directory name')
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) throw new InvalidPathError(what, name, `longer than ${MAX_FILE_NAME_BYTES} bytes`)
  return name
}
