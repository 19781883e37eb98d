/**
 * Runs daemon API methods on an Account: checks the positional parameters against the
 * method's schemas (./api.ts), then calls the Account method of the same name — or, for the
 * few that are the daemon's own, what is written here. Subscriptions are the caller's
 * (a client connection), given as `subscriptions`.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Account } from '../account/account.js'
import { InvalidArgumentError, InvalidStateError, MethodNotFoundError } from '../errors.js'
import { safeFileName } from '../filetransfer/names.js'
import { methodSpec, NOTIFICATION_NAMES, type MethodSpec } from './api.js'
import { schemaError } from './schema.js'

/** The event names a client hears. */
export interface Subscriptions {
  readonly events: Set<string>
}

/** Throws InvalidArgumentError when `params` do not fit the method's parameter list. */
export function checkParams(spec: MethodSpec, params: unknown[]): void {
  if (params.length > spec.params.length) throw new InvalidArgumentError(`${spec.name} takes at most ${spec.params.length} parameters, got ${params.length}`, { method: spec.name })
  spec.params.forEach((param, i) => {
    const value = params[i]
    if (value === undefined || value === null) {
      if (param.optional) return
      throw new InvalidArgumentError(`${spec.name}: parameter ${i + 1} (${param.name}) is required`, { method: spec.name, param: param.name })
    }
    const problem = schemaError(param.schema, value, param.name)
    if (problem) throw new InvalidArgumentError(`${spec.name}: ${problem}`, { method: spec.name, param: param.name })
  })
}

function eventList(value: unknown): readonly string[] {
  const names: readonly string[] = (value as string[] | undefined) ?? NOTIFICATION_NAMES
  const unknown = names.filter((n) => !NOTIFICATION_NAMES.includes(n))
  if (unknown.length) throw new InvalidArgumentError(`no such event: ${unknown.join(', ')}`, { events: unknown })
  return names
}

/** `name` when it is safe as one file in a folder (../filetransfer/names.ts), else `fallback`. */
export function fileNameOr(name: string, fallback: string): string {
  try {
    return safeFileName(name)
  } catch {
    return fallback
  }
}

/** Where downloadFile puts a file when no path is given: `<account>/downloads/<fileId>/<its name>`. */
export function defaultDownloadPath(account: Account, conversationId: string, interactionId: string, fileId: string): string {
  const name = account.getMessage(conversationId, interactionId).body.displayName ?? fileId
  const dir = join(account.dir, 'downloads', fileId)
  mkdirSync(dir, { recursive: true })
  return join(dir, fileNameOr(name, fileId))
}

type Own = (account: Account, params: unknown[], subscriptions?: Subscriptions) => unknown

/** The methods that are not a plain call of the Account method of the same name. */
const OWN: Record<string, Own> = {
  getAccountDetails: (a) => ({ uri: a.uri, deviceId: a.deviceId, displayName: a.displayName, toxId: a.toxId(), started: a.started }),
  getContactDetails: (a, [uri]) => a.getContactDetails(uri as string) ?? null,
  fileTransferInfo: (a, [conv, file]) => a.fileTransferInfo(conv as string, file as string) ?? null,
  getNetworkStatus: (a) => a.getNetworkStatus() ?? null,
  downloadFile: (a, [conv, interaction, file, path]) => {
    const dest = (path as string | undefined) ?? defaultDownloadPath(a, conv as string, interaction as string, file as string)
    a.downloadFile(conv as string, interaction as string, file as string, dest)
    return dest
  },
  subscribe: (_a, [events], subs) => {
    for (const e of eventList(events)) subs!.events.add(e)
    return [...subs!.events]
  },
  unsubscribe: (_a, [events], subs) => {
    for (const e of eventList(events)) subs!.events.delete(e)
    return [...subs!.events]
  },
}

/**
 * Runs method `name` with positional `params` on `account`. Without `subscriptions` (no
 * connection to a running node) the subscription methods are refused.
 */
export async function callMethod(account: Account, name: string, params: unknown[], subscriptions?: Subscriptions): Promise<unknown> {
  const spec = methodSpec(name)
  if (!spec) throw new MethodNotFoundError(name)
  checkParams(spec, params)
  if (spec.needsNode && !subscriptions) throw new InvalidStateError(name, 'no node is running for this account')
  const own = OWN[name]
  if (own) return (await own(account, params, subscriptions)) ?? null
  const method = (account as unknown as Record<string, (...a: unknown[]) => unknown>)[name]
  if (typeof method !== 'function') throw new MethodNotFoundError(name)
  // Trailing nulls are "not given": the Account's defaults apply.
  const args = params.map((v) => (v === null ? undefined : v))
  return (await method.apply(account, args)) ?? null
}
