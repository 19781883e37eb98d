/**
 * The property every fault schedule must end with (./faults.ts): one head on every device, no
 * acknowledged message lost, `verifyRepository` and `git fsck --strict` clean, and the history
 * index as the next process reads it equal to one rebuilt from scratch.
 * @module
 */
import { execFileSync } from 'node:child_process'
import type { DeviceIdentity } from '../src/identity/identity.js'
import { HistoryIndex } from '../src/swarm/history-index.js'
import { Conversation } from '../src/swarm/conversation.js'
import { verifyRepository } from '../src/swarm/verify.js'

/** What the check needs of a device: its repository, open, and who it is. */
export interface CheckedDevice {
  index: number
  identity: DeviceIdentity
  path: string
  conv: Conversation | undefined
}

/** Throws an Error naming the seed and the first property that does not hold. */
export async function checkProperty(seed: number, devices: CheckedDevice[], acked: Set<string>, fsck: boolean, stats: { indexBehind: number }): Promise<void> {
  const fail = (what: string): never => {
    throw new Error(`seed ${seed}: ${what}`)
  }
  const heads = devices.map((d) => d.conv!.head)
  if (new Set(heads).size !== 1) fail(`devices did not converge: heads ${heads.join(' ')}`)
  for (const d of devices) {
    const conv = d.conv!
    const history = conv.history()
    for (const id of acked) if (!history.has(id)) fail(`device ${d.index} lost acknowledged message ${id}`)
    const report = await verifyRepository(d.path)
    if (!report.ok) fail(`device ${d.index} does not verify: ${report.rejection?.rule} ${report.rejection?.reason}`)
    if (fsck) {
      try {
        execFileSync('git', ['-C', d.path, 'fsck', '--strict', '--no-dangling', '--no-progress'], { stdio: 'pipe' })
      } catch (err) {
        fail(`device ${d.index}: git fsck --strict failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}`)
      }
    }
    // The index as the next process reads it (the file, extended if it is behind) against a
    // rebuild that reads no index at all.
    const rebuilt = Conversation.open(d.path, { readOnly: true })
    const fresh = rebuilt.history().all().map((e) => e.id)
    const leftBehind = HistoryIndex.openStale(conv.repo.gitdir)?.all().map((e) => e.id) ?? []
    if (leftBehind.join() !== fresh.join()) stats.indexBehind++
    rebuilt.close()
    const reopened = Conversation.open(d.path, { identity: d.identity, autoRepack: false })
    const indexed = reopened.history().all().map((e) => e.id)
    reopened.close()
    if (indexed.join() !== fresh.join()) fail(`device ${d.index}: history index (${indexed.length} entries) differs from a rebuild (${fresh.length})`)
    const onDisk = HistoryIndex.openStale(conv.repo.gitdir)?.all().map((e) => e.id) ?? []
    if (onDisk.join() !== fresh.join()) fail(`device ${d.index}: the history index file (${onDisk.length} entries) was not brought up to date (${fresh.length})`)
  }
}
