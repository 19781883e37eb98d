/**
 * Jami's FileTransferTest (reference jami-swarm.md §8.9), ported: each test has the name of
 * Jami's and follows its scenario over real accounts on a loopback Tox network. Where we
 * chose to do better than Jami (an oversized partial file is not trusted but fetched again
 * and verified), the test says so.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.js'
import { download, ended, group, randomFile, share } from './file-helpers.js'
import { befriend, next, quiet, record, testNetwork, until } from './net.js'

const net = await testNetwork()
const files = join(net.dir, 'files')
mkdirSync(files, { recursive: true })
const hostedCheck = (a: Account) => (a.files as unknown as { verified: { check: () => Promise<boolean> } }).verified

describe('FileTransferTest', () => {
  it('testConversationFileTransfer', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    const id = await group(alice, [bob, carla])
    const original = randomFile(files, 'conv.bin', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob, carla])
    await Promise.all([download(bob, id, iid, fileId, join(files, 'bob-conv.bin'), original), download(carla, id, iid, fileId, join(files, 'carla-conv.bin'), original)])
  })

  it('testFileTransferInConversation', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'one.bin', 64_000)
    const sent = next(alice, 'dataTransferEvent', (cid, _i, _f, e) => cid === id && e.code === 'created')
    const [iid, fileId] = await share(alice, id, original, [bob])
    expect((await sent)[3]).toMatchObject({ total: 64_000, path: join(alice.store.dataDir(id), fileId) })
    await download(bob, id, iid, fileId, join(files, 'bob-one.bin'), original)
  })

  it('testVcfFileTransferInConversation', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const vcf = join(files, 'alice.vcf')
    writeFileSync(vcf, 'BEGIN:VCARD\nVERSION:2.1\nFN:alice\nEND:VCARD\n')
    const [iid, fileId] = await share(alice, id, vcf, [bob])
    expect(fileId.endsWith('.vcf')).toBe(true)
    await download(bob, id, iid, fileId, join(files, 'bob-alice.vcf'), vcf)
  })

  it('testBadSha3sumOut', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'changed.bin', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    // The hosted copy changes after the announcement: the sender no longer serves it.
    writeFileSync(join(alice.store.dataDir(id), fileId), randomFile(files, 'other.bin', 64_000) && readFileSync(join(files, 'other.bin')))
    const events = record(bob, 'dataTransferEvent')
    bob.downloadFile(id, iid, fileId, join(files, 'bob-changed.bin'))
    await quiet(1500)
    expect(events.map((e) => e[3].code)).not.toContain('finished')
    expect(existsSync(join(files, 'bob-changed.bin'))).toBe(false)
    expect(bob.fileTransferInfo(id, fileId)).toMatchObject({ status: 'waiting', bytes: 0 })
  })

  it('testBadSha3sumIn', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'liar.bin', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    // The sender's own check is off and its copy altered: the receiver's check refuses the bytes.
    writeFileSync(join(alice.store.dataDir(id), fileId), Buffer.alloc(64_000, 1))
    hostedCheck(alice).check = async () => true
    const end = ended(bob, id, fileId)
    bob.downloadFile(id, iid, fileId, join(files, 'bob-liar.bin'))
    expect((await end).error).toMatchObject({ code: 'ERR_INTEGRITY' })
    expect(existsSync(join(files, 'bob-liar.bin'))).toBe(false)
    expect(existsSync(join(files, 'bob-liar.bin.tmp'))).toBe(false)
  })

  it('testAskToMultipleParticipants', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    const id = await group(alice, [bob, carla])
    const original = randomFile(files, 'many.bin', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob, carla])
    await download(carla, id, iid, fileId, join(files, 'carla-many.bin'), original)
    await download(bob, id, iid, fileId, join(files, 'bob-many.bin'), original)
    expect(existsSync(join(files, 'carla-many.bin')) && existsSync(join(files, 'bob-many.bin'))).toBe(true)
  })

  it('testCancelInTransfer', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'cancel.bin', 32 << 20)
    const [iid, fileId] = await share(alice, id, original, [bob])
    const dest = join(files, 'bob-cancel.bin')
    const ongoing = next(bob, 'dataTransferEvent', (_c, _i, fid, e) => fid === fileId && e.code === 'ongoing')
    const end = ended(bob, id, fileId)
    bob.downloadFile(id, iid, fileId, dest)
    await ongoing
    expect(await bob.cancelDataTransfer(id, fileId)).toBe(true)
    expect((await end).code).toBe('cancelled')
    expect(existsSync(dest) || existsSync(`${dest}.tmp`)).toBe(false)
    expect(bob.fileTransferInfo(id, fileId)).toBeUndefined()
    expect(bob.store.downloads.value[`${id}/${fileId}`]).toBeUndefined()
  })

  it('testResumeTransferAfterInterruption', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'resume.bin', 12_800_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    const dest = join(files, 'bob-resume.bin')
    // The sender goes away at the first progress: its connection closes at once.
    let stopping: Promise<void> | undefined
    bob.on('dataTransferEvent', (_c, _i, fid, e) => void (fid === fileId && e.code === 'ongoing' && (stopping ??= alice.stop())))
    const waiting = next(bob, 'dataTransferEvent', (_c, _i, fid, e) => fid === fileId && e.code === 'waiting')
    bob.downloadFile(id, iid, fileId, dest)
    await waiting
    await stopping
    expect(bob.fileTransferInfo(id, fileId)!.bytes).toBeLessThan(12_800_000)
    expect(existsSync(`${dest}.tmp`)).toBe(true)
    expect(bob.fileTransferInfo(id, fileId)?.status).toBe('waiting')
    const end = ended(bob, id, fileId)
    await net.restart(alice)
    expect((await end).code).toBe('finished')
    expect(readFileSync(dest).equals(readFileSync(original))).toBe(true)
    expect(bob.fileTransferInfo(id, fileId)?.status).toBe('finished')
  })

  it('testDontDownloadExistingFile', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'exists.bin', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    const dest = join(files, 'bob-exists.bin')
    writeFileSync(dest, readFileSync(original))
    const events = record(bob, 'dataTransferEvent')
    bob.downloadFile(id, iid, fileId, dest)
    await until(() => bob.fileTransferInfo(id, fileId)?.status === 'finished', 'the existing file recognised')
    await quiet(500)
    expect(events).toEqual([])
    expect(readFileSync(dest).length).toBe(64_000)
  })

  it('testTransferInfo', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'info.bin', 640_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    expect(bob.fileTransferInfo(id, fileId)).toBeUndefined()
    const dest = join(files, 'bob-info.bin')
    await download(bob, id, iid, fileId, dest, original)
    expect(bob.fileTransferInfo(id, fileId)).toEqual({ status: 'finished', bytes: 640_000, total: 640_000, path: dest })
  })

  it('testTransferInfoInvalidPathDoesNotAbort', async () => {
    const alice = await net.account('alice')
    const id = alice.startConversation()
    expect(() => alice.fileTransferInfo(id, 'x'.repeat(5000))).toThrow(expect.objectContaining({ name: 'InvalidPathError' }))
    expect(alice.started).toBe(true)
  })

  it('testRemoveHardLink', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'keep.bin', 64_000)
    const bytes = readFileSync(original)
    await share(alice, id, original, [bob])
    alice.removeConversation(id)
    await alice.stop()
    Account.open(alice.dir) // the next start erases what was removed
    expect(existsSync(alice.store.dataDir(id))).toBe(false)
    expect(readFileSync(original).equals(bytes)).toBe(true)
  })

  it('testTooLarge', async () => {
    // Jami drops such a download (closed_by_host); here the oversized partial file is cut,
    // not trusted, and the file fetched and verified.
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'small.bin', 600)
    const [iid, fileId] = await share(alice, id, original, [bob])
    const dest = join(files, 'bob-small.bin')
    writeFileSync(`${dest}.tmp`, Buffer.alloc(1000, 7))
    await download(bob, id, iid, fileId, dest, original)
    expect(readFileSync(dest).length).toBe(600)
  })

  it('testDeleteFile', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'gone.txt', 64_000)
    const [iid, fileId] = await share(alice, id, original, [bob])
    await download(bob, id, iid, fileId, join(files, 'bob-gone.txt'), original)
    expect(existsSync(join(bob.store.dataDir(id), fileId))).toBe(true)
    const updated = next(bob, 'swarmMessageUpdated', (cid, m) => cid === id && m.id === iid)
    alice.deleteMessage(id, iid)
    const [, message] = await updated
    expect(message.body['tid']).toBe('')
    expect(message.fileId).toBe('')
    expect(existsSync(join(alice.store.dataDir(id), fileId))).toBe(false)
    expect(existsSync(join(bob.store.dataDir(id), fileId))).toBe(false)
    // What bob downloaded for himself stays his.
    expect(existsSync(join(files, 'bob-gone.txt'))).toBe(true)
  })
})
