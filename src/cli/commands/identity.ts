/**
 * `gitswarm identity create|show|add-device`: accounts and devices on disk. A passphrase,
 * when wanted, comes from the GITSWARM_PASSPHRASE environment variable or --passphrase-file,
 * never from the command line (where other users could read it).
 * @module
 */
import { readFileSync } from 'node:fs'
import { InvalidArgumentError } from '../../errors.js'
import { addDevice, createAccount, deviceToxId, type DeviceIdentity } from '../../identity/identity.js'
import { saveIdentity, loadIdentity } from '../../identity/storage.js'
import type { KeyType } from '../../identity/keys.js'
import { parseArgs, positional, type ParsedArgs } from '../args.js'
import type { Output } from '../output.js'

export const usage = [
  'gitswarm identity create <dir> [--name NAME] [--key-type ed25519|rsa] [--passphrase-file F]',
  'gitswarm identity show <dir> [--json]',
  'gitswarm identity add-device <account-dir> <new-device-dir> [--name NAME]',
]

export function passphrase(args: ParsedArgs): string | undefined {
  const file = args.values.get('passphrase-file')
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  return process.env['GITSWARM_PASSPHRASE'] || undefined
}

function summary(id: DeviceIdentity): Record<string, string> {
  const out: Record<string, string> = { name: id.displayName, uri: id.uri, deviceId: id.deviceId, keyType: id.deviceKey.type }
  if (id.deviceKey.type === 'ed25519') out['toxId'] = deviceToxId(id)
  return out
}

function print(out: Output, id: DeviceIdentity): void {
  const s = summary(id)
  if (out.json) out.data(s)
  else for (const [k, v] of Object.entries(s)) out.line(`${k.padEnd(9)} ${v}`)
}

export async function run(argv: string[], out: Output): Promise<number> {
  const args = parseArgs(argv, { values: ['name', 'key-type', 'passphrase-file'] })
  const verb = positional(args, 0, 'identity verb (create, show, add-device)')
  const pass = passphrase(args)
  if (verb === 'create') {
    const dir = positional(args, 1, 'directory')
    const keyType = (args.values.get('key-type') ?? 'ed25519') as KeyType
    if (keyType !== 'ed25519' && keyType !== 'rsa') throw new InvalidArgumentError('--key-type is ed25519 or rsa')
    const id = await createAccount({ displayName: args.values.get('name') ?? 'gitswarm', keyType })
    saveIdentity(dir, id, { passphrase: pass })
    print(out, id)
    return 0
  }
  if (verb === 'show') {
    print(out, loadIdentity(positional(args, 1, 'directory'), { passphrase: pass }))
    return 0
  }
  if (verb === 'add-device') {
    const account = loadIdentity(positional(args, 1, 'account directory'), { passphrase: pass })
    const device = await addDevice(account, { displayName: args.values.get('name') })
    saveIdentity(positional(args, 2, 'new device directory'), device, { passphrase: pass })
    print(out, device)
    return 0
  }
  throw new InvalidArgumentError(`unknown identity verb "${verb}"`)
}
