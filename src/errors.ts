/**
 * Every error gitswarm throws on purpose: one class per condition, each with a stable `name`
 * (the class name) and `code`, a readable message and structured `data`. Callers should test
 * `err.code` or `err.name` (they survive duplicated package copies), never the message.
 * The table in docs/errors.md lists them all; a test keeps both in step.
 * @module
 */

/** The base of every gitswarm error: a stable `code`, the class name as `name`, and `data`. */
export class GitswarmError extends Error {
  /** Stable machine-readable code, e.g. `ERR_NOT_FOUND`. */
  readonly code: string
  /** Structured details of the failure. */
  readonly data: Record<string, unknown>

  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(message)
    this.code = code
    this.data = data
    this.name = new.target.name
  }

  /** The error as plain data (what the CLI prints with --json and the control socket sends). */
  toJSON(): { name: string; code: string; message: string; data: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data }
  }
}

/** A caller passed a value that cannot be right (bad id, wrong type, out of range). */
export class InvalidArgumentError extends GitswarmError {
  static readonly code = 'ERR_INVALID_ARGUMENT'
  constructor(message: string, data: Record<string, unknown> = {}) {
    super(InvalidArgumentError.code, message, data)
  }
}

/** An object, ref, file, commit or message that should exist does not. */
export class NotFoundError extends GitswarmError {
  static readonly code = 'ERR_NOT_FOUND'
  constructor(what: string, data: Record<string, unknown> = {}) {
    super(NotFoundError.code, `not found: ${what}`, { what, ...data })
  }
}

/** The path is not a git repository (bare, or with a `.git` directory). */
export class NotARepositoryError extends GitswarmError {
  static readonly code = 'ERR_NOT_A_REPOSITORY'
  constructor(path: string, reason = 'no git directory') {
    super(NotARepositoryError.code, `not a git repository: ${path} (${reason})`, { path, reason })
  }
}

/** A git object or pack could not be decoded (bad zlib stream, header, size or delta). */
export class CorruptObjectError extends GitswarmError {
  static readonly code = 'ERR_CORRUPT_OBJECT'
  constructor(what: string, reason: string) {
    super(CorruptObjectError.code, `corrupt ${what}: ${reason}`, { what, reason })
  }
}

/** Another writer holds the repository's lock. */
export class LockedError extends GitswarmError {
  static readonly code = 'ERR_LOCKED'
  constructor(path: string) {
    super(LockedError.code, `locked by another writer: ${path}`, { path })
  }
}

/** A ref moved between reading it and updating it (compare-and-swap failed). */
export class RefConflictError extends GitswarmError {
  static readonly code = 'ERR_REF_CONFLICT'
  constructor(ref: string, expected: string | null, actual: string | null) {
    super(RefConflictError.code, `${ref} is at ${actual ?? 'nothing'}, expected ${expected ?? 'nothing'}`, {
      ref,
      expected,
      actual,
    })
  }
}

/** A commit broke a swarm rule; `data.rule` is the stable rule id of src/validation. */
export class InvalidCommitError extends GitswarmError {
  static readonly code = 'ERR_INVALID_COMMIT'
  constructor(commit: string, rule: string, reason: string) {
    super(InvalidCommitError.code, `commit ${commit} rejected by ${rule}: ${reason}`, { commit, rule, reason })
  }
}

/** The local device is not allowed to do this (not an admin, not the author, banned…). */
export class UnauthorizedError extends GitswarmError {
  static readonly code = 'ERR_UNAUTHORIZED'
  constructor(action: string, reason: string) {
    super(UnauthorizedError.code, `not allowed to ${action}: ${reason}`, { action, reason })
  }
}

/** The operation contradicts the conversation's current state (already a member, not invited…). */
export class InvalidStateError extends GitswarmError {
  static readonly code = 'ERR_INVALID_STATE'
  constructor(action: string, reason: string) {
    super(InvalidStateError.code, `cannot ${action}: ${reason}`, { action, reason })
  }
}

/** The conversation's mode is not one gitswarm supports (0–3). */
export class InvalidModeError extends GitswarmError {
  static readonly code = 'ERR_INVALID_MODE'
  constructor(mode: unknown) {
    super(InvalidModeError.code, `unsupported conversation mode: ${String(mode)}`, { mode })
  }
}

/** A certificate or key could not be parsed, or is of a type gitswarm does not support. */
export class InvalidCertificateError extends GitswarmError {
  static readonly code = 'ERR_INVALID_CERTIFICATE'
  constructor(reason: string, data: Record<string, unknown> = {}) {
    super(InvalidCertificateError.code, `invalid certificate: ${reason}`, { reason, ...data })
  }
}

/** A stored identity is encrypted and the passphrase is missing or wrong. */
export class BadPassphraseError extends GitswarmError {
  static readonly code = 'ERR_BAD_PASSPHRASE'
  constructor(path: string) {
    super(BadPassphraseError.code, `cannot decrypt the private key in ${path}: passphrase missing or wrong`, { path })
  }
}

/** Something already exists where a new one was to be created. */
export class AlreadyExistsError extends GitswarmError {
  static readonly code = 'ERR_ALREADY_EXISTS'
  constructor(what: string) {
    super(AlreadyExistsError.code, `already exists: ${what}`, { what })
  }
}

/** A configured limit (message size, pack size, object count…) was exceeded. */
export class LimitExceededError extends GitswarmError {
  static readonly code = 'ERR_LIMIT_EXCEEDED'
  constructor(limit: string, max: number, actual: number) {
    super(LimitExceededError.code, `${limit} exceeded: ${actual} > ${max}`, { limit, max, actual })
  }
}

/** A peer took too long: no data for the idle timeout, or the whole exchange past its deadline (a slowloris). `data.what`, `data.ms`. */
export class TimeoutError extends GitswarmError {
  static readonly code = 'ERR_TIMEOUT'
  constructor(what: string, ms: number) {
    super(TimeoutError.code, `${what} after ${ms} ms`, { what, ms })
  }
}

/** A file name or id that could leave its directory: `../`, an absolute path, NUL, too long (Jami's invalid_pathname). */
export class InvalidPathError extends GitswarmError {
  static readonly code = 'ERR_INVALID_PATH'
  constructor(what: string, name: string, reason: string) {
    super(InvalidPathError.code, `${what}: unsafe name ${JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name)} (${reason})`, { what, name, reason })
  }
}

/** The disk is full (ENOSPC): what was written so far is kept. `data.path`, `data.written`. */
export class DiskFullError extends GitswarmError {
  static readonly code = 'ERR_DISK_FULL'
  constructor(path: string, written: number) {
    super(DiskFullError.code, `no space left on the device writing ${path} (${written} bytes kept)`, { path, written })
  }
}

/** A downloaded file does not match its announcement (size or SHA3-512) from any holder. `data.fileId`, `data.reason`. */
export class IntegrityError extends GitswarmError {
  static readonly code = 'ERR_INTEGRITY'
  constructor(fileId: string, reason: string) {
    super(IntegrityError.code, `file ${fileId} failed verification: ${reason}`, { fileId, reason })
  }
}

/** The peer refused to open a channel; `data.reason` is 'unknown', 'unauthorised', 'busy', 'bad-name' or 'closed'. */
export class ChannelRefusedError extends GitswarmError {
  static readonly code = 'ERR_CHANNEL_REFUSED'
  constructor(name: string, reason: string, detail = '') {
    super(ChannelRefusedError.code, `channel ${name} refused (${reason})${detail ? `: ${detail}` : ''}`, { name, reason, detail })
  }
}

/** An open channel was reset: by the peer, by a protocol violation, or because the connection went away. */
export class ChannelResetError extends GitswarmError {
  static readonly code = 'ERR_CHANNEL_RESET'
  constructor(name: string, reason: string) {
    super(ChannelResetError.code, `channel ${name} reset: ${reason}`, { name, reason })
  }
}

/** A Tox connection could not be made or was refused (no answer, peer without the required Noise upgrade…). */
export class ConnectionFailedError extends GitswarmError {
  static readonly code = 'ERR_CONNECTION_FAILED'
  constructor(peer: string, reason: string) {
    super(ConnectionFailedError.code, `no connection to ${peer}: ${reason}`, { peer, reason })
  }
}

/** A peer sent something the account protocol does not allow: a malformed or oversized frame, an unverifiable hello. */
export class ProtocolError extends GitswarmError {
  static readonly code = 'ERR_PROTOCOL'
  constructor(peer: string, reason: string) {
    super(ProtocolError.code, `protocol error from ${peer}: ${reason}`, { peer, reason })
  }
}

/** A daemon API client called a method that does not exist. `data.method`. */
export class MethodNotFoundError extends GitswarmError {
  static readonly code = 'ERR_METHOD_NOT_FOUND'
  constructor(method: string) {
    super(MethodNotFoundError.code, `no method "${method}"`, { method })
  }
}

/** Every error class, for the catalogue (docs/errors.md) and for matching by name. */
export const ERROR_CLASSES = [
  InvalidArgumentError,
  NotFoundError,
  NotARepositoryError,
  CorruptObjectError,
  BadPassphraseError,
  LockedError,
  RefConflictError,
  InvalidCommitError,
  UnauthorizedError,
  InvalidStateError,
  InvalidModeError,
  InvalidCertificateError,
  AlreadyExistsError,
  LimitExceededError,
  ChannelRefusedError,
  ChannelResetError,
  ConnectionFailedError,
  ProtocolError,
  InvalidPathError,
  DiskFullError,
  IntegrityError,
  MethodNotFoundError,
] as const

/** True when `err` is a gitswarm error with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code
}
