/**
 * A bare gitswarm ToxNode as a process, for lab scenarios with c-toxcore peers (which speak
 * Tox, not gitswarm's account protocol). Started as `node tox-script.js [--lan] [--host H]`
 * inside a namespace; prints one `{event, args: [value]}` a line — `started` {toxId, dhtPk, port},
 * `request` {publicKey, message} (accepted when `autoaccept on`), `online` {publicKey},
 * `offline` — and reads commands on stdin: `add <tox id> <message>`, `autoaccept on|off`,
 * `bootstrap <host> <port> <dht key>`, `relay <host> <port> <dht key>` (a TCP relay to keep).
 * Ends when stdin closes or on SIGTERM.
 * @module
 */
import { createInterface } from 'node:readline'
import { ToxNode } from '../../src/transport/tox-node.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const print = (event: string, value: object = {}) => process.stdout.write(JSON.stringify({ event, args: [value] }) + '\n')

const argv = process.argv.slice(2)
const lan = argv.includes('--lan')
const host = argv.includes('--host') ? argv[argv.indexOf('--host') + 1]! : lan ? '0.0.0.0' : '127.0.0.1'
const node = await ToxNode.start({ host, lanDiscovery: lan })
let autoaccept = false
node.on('friendRequest', (pk, message) => {
  print('request', { publicKey: hex(pk), message })
  if (autoaccept) node.acceptFriendRequest(pk)
})
node.on('friendOnline', (pk) => print('online', { publicKey: hex(pk), address: node.friend(pk)?.connection.address }))
node.on('friendOffline', (pk, reason) => print('offline', { publicKey: hex(pk), reason }))
print('started', { toxId: node.toxId(), dhtPk: hex(node.dhtPublicKey), port: node.address.port })

const stop = async () => {
  await node.close()
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const [command, ...rest] = line.trim().split(' ')
  try {
    if (command === 'add') print('added', { publicKey: hex(node.addFriendByToxId(rest[0]!, rest.slice(1).join(' ') || 'hello')) })
    else if (command === 'autoaccept') autoaccept = rest[0] === 'on'
    else if (command === 'bootstrap') node.bootstrap({ host: rest[0]!, port: Number(rest[1]) }, Buffer.from(rest[2]!, 'hex'))
    else if (command === 'relay') node.useRelay({ host: rest[0]!, port: Number(rest[1]), publicKey: Buffer.from(rest[2]!, 'hex') }).catch(() => {})
  } catch (err) {
    print('error', { message: (err as Error).message })
  }
})
lines.on('close', () => void stop())
