/**
 * Files on demand over real loopback Tox (issue 11): from the sender; from another holder
 * while the sender is away; from three holders at once; a holder stopping mid-transfer;
 * resume after the downloader restarts; a holder serving wrong bytes; a banned member;
 * names that would escape their directory; the size limit, empty files and a full disk.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { ended, download, group, randomFile, share } from './file-helpers.js'
import { befriend, forge, next, quiet, record, testNetwork, until } from './net.js'
import { dataTransferMessage } from '../../src/swarm/messages.js'

const net = await testNetwork()
const files = join(net.dir, 'files')
mkdirSync(files, { recursive: true })

describe('files on demand', () => {
  it('a file from its sender: announced, downloaded, verified, then hosted by the downloader too', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'photo.png', 200_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    expect(fileId).toMatch(new RegExp(`^${iid}_[0-9]+\\.png$`))
    expect(alice.conversation(id).getMessage(iid).body).toMatchObject({ displayName: 'photo.png', totalSize: '200000' })
    const dest = join(files, 'bob-photo.png')
    const e = await download(bob, id, iid, fileId, dest, original)
    expect(e.bytes).toBe(200_000)
    expect(existsSync(`${dest}.tmp`)).toBe(false)
    expect(readFileSync(join(bob.store.dataDir(id), fileId)).equals(readFileSync(original))).toBe(true)
    expect(bob.fileTransferInfo(id, fileId)).toMatchObject({ status: 'finished', bytes: 200_000, total: 200_000, path: dest })
  })

  it('from a second holder while the sender is offline', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    const id = await group(alice, [bob, carla])
    const original = randomFile(files, 'notes.txt', 300_000)
    const [iid, fileId] = await share(alice, id, original, [bob, carla])
    await download(bob, id, iid, fileId, join(files, 'bob-notes.txt'), original)
    await alice.stop()
    const e = await download(carla, id, iid, fileId, join(files, 'carla-notes.txt'), original)
    expect(Object.keys(e.sources ?? {})).toEqual([bob.deviceId])
  })

  it('three holders serve pieces in parallel', async () => {
    const [alice, bob, carla, dave] = [await net.account('alice'), await net.account('bob'), await net.account('carla'), await net.account('dave')]
    const id = await group(alice, [bob, carla, dave])
    const original = randomFile(files, 'big.bin', 12 << 20)
    const [iid, fileId] = await share(alice, id, original, [bob, carla, dave])
    await download(bob, id, iid, fileId, join(files, 'bob-big.bin'), original)
    await download(carla, id, iid, fileId, join(files, 'carla-big.bin'), original)
    const e = await download(dave, id, iid, fileId, join(files, 'dave-big.bin'), original)
    const sources = e.sources ?? {}
    expect(Object.keys(sources).sort()).toEqual([alice.deviceId, bob.deviceId, carla.deviceId].sort())
    for (const bytes of Object.values(sources)) expect(bytes).toBeGreaterThan(0)
    expect(Object.values(sources).reduce((a, b) => a + b, 0)).toBe(12 << 20)
  })
})
