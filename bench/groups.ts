/**
 * Groups where several people write at once (issue 22), with real Accounts on a loopback Tox
 * network (its own bootstrap node), as test/account/group-storm.ts builds them: 30 texts 50 ms
 * apart, from one writer and from writers rotating through every member. Last send → every
 * member shows every text, then → one head everywhere, and the merge commits the burst left.
 * The one-writer burst on the same group is the figure next to it. All accounts share one
 * Node thread here (one core of two), where each member of a real group has its own device.
 * @module
 */
import { join } from 'node:path'
import { Account } from '../src/account/account.js'
import { ToxNode } from '../src/transport/tox-node.js'
import { describeStorm, formGroup, storm, type StormResult } from '../test/account/group-storm.js'
import { tempDir, type Figure } from './util.js'

/** Measured on landed main before held heads (4555f61, 2026-12-07): 12 members, rotating writers. */
const BEFORE = 'before held heads (4555f61): 43.1 s, then 3.8 s to one head, 291 merges'

export async function benchGroups(options: { sizes: number[]; messages: number }): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const size of options.sizes) {
    const dir = tempDir(`groups-${size}`)
    const boot = await ToxNode.start({ host: '127.0.0.1' })
    const bootstrap = [{ host: '127.0.0.1', port: boot.address.port, publicKey: boot.dhtPublicKey }]
    const accounts: Account[] = []
    try {
      for (let i = 0; i < size; i++) {
        const a = await Account.create(join(dir, `m${i}`), { displayName: i === 0 ? 'host' : `m${i}` })
        await a.start({ bootstrap })
        accounts.push(a)
      }
      const id = await formGroup(accounts, 180_000)
      const one = await storm(accounts, id, { writers: 'one', messages: options.messages })
      const rotating = await storm(accounts, id, { writers: 'rotating', messages: options.messages })
      console.log(`  ${describeStorm(rotating)}`)
      figures.push(...groupFigures(rotating, one))
    } finally {
      await Promise.all(accounts.map((a) => a.stop()))
      await boot.close()
    }
  }
  return figures
}

function groupFigures(r: StormResult, one: StormResult): Figure[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const deliveryTarget = r.members <= 12 ? 2000 : 4000
  const peer = `one writer on the same group: ${s(one.deliveryMs)}, then ${s(one.oneHeadMs)} to one head, ${one.merges} merges; CPU of all ${r.members} accounts (one thread) ${s(r.cpuMs)} rotating, ${s(one.cpuMs)} one writer`
  return [
    {
      what: `${r.members} members, writers rotating through all, ${r.messages} texts 50 ms apart: last send → every member has every text`,
      value: s(r.deliveryMs),
      target: `≤ ${deliveryTarget / 1000} s`,
      met: r.deliveryMs <= deliveryTarget,
      note: [peer, r.members === 12 ? BEFORE : undefined].filter(Boolean).join('; '),
    },
    {
      what: `${r.members} members, rotating writers: then → one head everywhere (${r.headsAtDelivery} heads at delivery)`,
      value: s(r.oneHeadMs),
      target: '≤ 2 s',
      met: r.oneHeadMs <= 2000,
    },
    {
      what: `${r.members} members, rotating writers: merge commits per ${r.messages} texts`,
      value: `${r.merges}`,
      target: `< ${r.messages}`,
      met: r.merges < r.messages,
      note: 'held heads merged by the first device of the merge order (src/account/merging.ts)',
    },
  ]
}
