/**
 * Files on demand over real loopback Tox (issue 11): from the sender; from another holder
 * while the sender is away; from three holders at once; a holder stopping mid-transfer;
 * resume after the downloader restarts; a holder serving wrong bytes; a banned member;
 * names that would escape their directory; the size limit, empty files and a full disk.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN } from '../cli/run.js'
import { Account } from '../../src/account/account.js'
import { ended, download, group, randomFile, share } from './file-helpers.js'
import { befriend, forge, next, record, testNetwork, until } from './net.js'
import { dataTransferMessage } from '../../src/swarm/messages.js'

// A test that times out never reaches its finally: the node processes it started are
// stopped by PID after the file, whatever happened.
const nodeProcesses = new Set<ChildProcess>()
afterAll(() => {
  for (const c of nodeProcesses) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL')
})

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

  it('a holder killed (SIGKILL, a real process) mid-transfer: its pieces are fetched from the others', async () => {
    const [alice, bob, carla, dave] = [await net.account('alice'), await net.account('bob'), await net.account('carla'), await net.account('dave')]
    const id = await group(alice, [bob, carla, dave])
    const original = randomFile(files, 'film.bin', 24 << 20)
    const [iid, fileId] = await share(alice, id, original, [bob, carla, dave])
    await download(bob, id, iid, fileId, join(files, 'bob-film.bin'), original)
    await download(carla, id, iid, fileId, join(files, 'carla-film.bin'), original)
    // bob's device goes on as a `gitswarm node` process: the one to kill.
    await bob.stop()
    const boot = net.bootstrap[0]!
    const child = spawn(process.execPath, [BIN, 'node', '--account', bob.dir, '--json', '--bootstrap', `${boot.host}:${boot.port}:${Buffer.from(boot.publicKey).toString('hex')}`], { stdio: ['ignore', 'ignore', 'ignore'] })
    nodeProcesses.add(child)
    try {
      await until(() => dave.node.onlinePeers().some((p) => p.deviceId === bob.deviceId), "bob's node linked with dave", 30_000)
      // alice and carla step away for the start, so that bob is the one serving when killed
      // (three holders at once finish before a fresh process has hashed its copy); they come
      // back once he is dead, and the rest must come from them.
      await Promise.all([alice.stop(), carla.stop()])
      await until(() => !dave.node.onlinePeers().some((p) => p.deviceId === alice.deviceId || p.deviceId === carla.deviceId), 'alice and carla gone for dave', 30_000)
      const end = ended(dave, id, fileId, 100_000)
      // Killed once it has served some of the file (and the download is past 2 MiB), so the
      // kill really interrupts a holder at work.
      let servedByBobAtKill = -1
      const killed = new Promise<void>((resolve, reject) => {
        // Generous: under a loaded CI machine a freshly started node process can be slow to serve.
        setTimeout(() => reject(new Error('bob never served a byte of the file')), 60_000).unref()
        dave.on('dataTransferEvent', (_c, _i, fid, e) => {
          const fromBob = e.sources?.[bob.deviceId] ?? 0
          if (fid === fileId && e.code === 'ongoing' && e.bytes > 2 << 20 && fromBob > 0 && servedByBobAtKill < 0) {
            servedByBobAtKill = fromBob
            process.kill(child.pid!, 'SIGKILL')
            resolve()
          }
        })
      })
      dave.downloadFile(id, iid, fileId, join(files, 'dave-film.bin'))
      await killed
      await Promise.all([net.restart(alice), net.restart(carla)])
      const e = await end
      expect(e.code, JSON.stringify(e.error)).toBe('finished')
      expect(readFileSync(join(files, 'dave-film.bin')).equals(readFileSync(original))).toBe(true)
      expect(e.bytes).toBe(24 << 20)
      // bob's share was real, and the rest — nearly all of the file — came from the other two.
      const fromBob = e.sources?.[bob.deviceId] ?? 0
      expect(servedByBobAtKill).toBeGreaterThan(0)
      expect(fromBob).toBeGreaterThan(0)
      expect(fromBob).toBeLessThan(24 << 20)
      const fromOthers = (e.sources?.[alice.deviceId] ?? 0) + (e.sources?.[carla.deviceId] ?? 0)
      expect(fromOthers).toBeGreaterThan(0)
      expect(fromOthers + fromBob).toBe(24 << 20)
      expect(Object.keys(e.sources ?? {}).every((d) => [alice.deviceId, bob.deviceId, carla.deviceId].includes(d))).toBe(true)
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL')
    }
  }, 180_000)

  it('resumes after the downloader restarts: the ranges on disk are kept, the rest fetched', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'archive.tar', 32 << 20)
    const [iid, fileId] = await share(alice, id, original, [bob])
    const dest = join(files, 'bob-archive.tar')
    const some = next(bob, 'dataTransferEvent', (_c, _i, fid, e) => fid === fileId && e.code === 'ongoing' && e.bytes > 4 << 20)
    bob.downloadFile(id, iid, fileId, dest)
    await some
    await bob.stop()
    const kept = bob.store.downloads.value[`${id}/${fileId}`]!
    const held = kept.done.reduce((n, [s, e]) => n + e - s, 0)
    expect(held).toBeGreaterThan(0)
    expect(existsSync(`${dest}.tmp`)).toBe(true)
    expect(existsSync(dest)).toBe(false)
    const again = Account.open(bob.dir)
    net.adopt(again)
    const end = ended(again, id, fileId, 60_000)
    await again.start({ bootstrap: net.bootstrap })
    const e = await end
    expect(e.code, JSON.stringify(e.error)).toBe('finished')
    expect(readFileSync(dest).equals(readFileSync(original))).toBe(true)
    const fetchedAfter = Object.values(e.sources ?? {}).reduce((a, b) => a + b, 0)
    expect(fetchedAfter).toBe((32 << 20) - held)
  })

  it('a holder serving wrong bytes is dropped and reported; the file still comes, right, from the others', async () => {
    const [alice, bob, carla, dave] = [await net.account('alice'), await net.account('bob'), await net.account('carla'), await net.account('dave')]
    const id = await group(alice, [bob, carla, dave])
    const original = randomFile(files, 'report.pdf', 6 << 20)
    const [iid, fileId] = await share(alice, id, original, [bob, carla, dave])
    await download(bob, id, iid, fileId, join(files, 'bob-report.pdf'), original)
    await download(carla, id, iid, fileId, join(files, 'carla-report.pdf'), original)
    // bob turns hostile: its hosted copy is altered and its own check switched off (a modified client).
    const hosted = join(bob.store.dataDir(id), fileId)
    rmSync(hosted)
    const bad = readFileSync(original)
    for (let i = 0; i < bad.length; i += 4096) bad[i] ^= 0xff
    writeFileSync(hosted, bad)
    ;(bob.files as unknown as { verified: { check: () => Promise<boolean> } }).verified.check = async () => true
    const rejected = record(dave, 'fileHolderRejected')
    const e = await download(dave, id, iid, fileId, join(files, 'dave-report.pdf'), original, 60_000)
    expect(rejected.map((r) => r[2])).toEqual([bob.deviceId])
    expect(e.sources?.[bob.deviceId]).toBeUndefined()
  })

  it('a banned member gets nothing: its requests are refused', async () => {
    const [alice, bob, carla] = [await net.account('alice'), await net.account('bob'), await net.account('carla')]
    const id = await group(alice, [bob, carla])
    const original = randomFile(files, 'secret.txt', 50_000)
    const [iid, fileId] = await share(alice, id, original, [bob, carla])
    alice.removeConversationMember(id, carla.uri)
    await until(() => alice.conversation(id).roleOf(carla.uri) === 'banned', 'the ban at alice')
    const refused = carla.node.openFile({ accountUri: alice.uri, deviceId: alice.deviceId, toxPublicKey: alice.toxPublicKey }, id, fileId, 0, 50_000)
    await expect(refused).rejects.toMatchObject({ code: 'ERR_CHANNEL_REFUSED', data: { reason: 'unauthorised' } })
    const stillMember = bob.node.openFile({ accountUri: alice.uri, deviceId: alice.deviceId, toxPublicKey: alice.toxPublicKey }, id, fileId, 0, 10)
    const channel = await stillMember
    const chunks: Buffer[] = []
    for await (const c of channel) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(readFileSync(original).subarray(0, 10))).toBe(true)
    void iid
  })

  it('names that would leave their directory are refused with a typed error, and nothing is written', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const original = randomFile(files, 'ok.txt', 1000)
    const head = alice.conversation(id).head
    for (const displayName of ['../../etc/passwd', '/etc/passwd', 'a\0b', 'x'.repeat(300), '..', 'dir/name', 'C:evil']) {
      await expect(alice.sendFile(id, original, { displayName })).rejects.toMatchObject({ name: 'InvalidPathError', code: 'ERR_INVALID_PATH' })
    }
    expect(alice.conversation(id).head).toBe(head)
    const [iid, fileId] = await share(alice, id, original, [bob])
    for (const bad of ['../../etc/passwd', `${iid}_1/../../x`, 'x'.repeat(5000), `${iid}_1\0.png`, '/abs']) {
      expect(() => bob.downloadFile(id, iid, bad, join(files, 'never'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PATH' }))
      expect(() => bob.fileTransferInfo(id, bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PATH' }))
    }
    expect(() => bob.downloadFile(id, iid, fileId, 'a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(existsSync(join(files, 'never'))).toBe(false)
    // A forged announcement whose name climbs out: its file id keeps no such part, and it lands where asked.
    const forged = forge(alice, id, dataTransferMessage({ displayName: '../../../../tmp/evil.sh', sha3sum: 'a'.repeat(128), tid: '7', totalSize: 10 }))
    await until(() => bob.conversation(id).head === forged, 'the forged announcement at bob')
    expect(bob.conversation(id).getMessage(forged).fileId).toBe(`${forged}_7.sh`)
    // A channel name with a path in it is refused by the channel layer itself.
    const peer = { accountUri: alice.uri, deviceId: alice.deviceId, toxPublicKey: alice.toxPublicKey }
    await expect(bob.node.openFile(peer, id, '../../identity/device.key', 0, 10)).rejects.toMatchObject({ code: 'ERR_CHANNEL_REFUSED', data: { reason: 'bad-name' } })
  })

  it('limits: a file over the maximum size is refused; an empty file needs no holder; a full disk keeps the partial file', async () => {
    const [alice, bob] = [await net.account('alice'), await net.account('bob')]
    const id = await befriend(alice, bob)
    const big = randomFile(files, 'big.iso', 3 << 20)
    alice.maxFileSize = 1 << 20
    await expect(alice.sendFile(id, big)).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' })
    alice.maxFileSize = 1 << 30
    const [iid, fileId] = await share(alice, id, big, [bob])
    bob.maxFileSize = 1 << 20
    expect(() => bob.downloadFile(id, iid, fileId, join(files, 'bob-big.iso'))).toThrow(expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }))
    bob.maxFileSize = 1 << 30

    // A full disk: the partial file is /dev/full, where every write fails with ENOSPC.
    const full = join(files, 'bob-full.iso')
    symlinkSync('/dev/full', `${full}.tmp`)
    const failed = ended(bob, id, fileId)
    bob.downloadFile(id, iid, fileId, full)
    const e = await failed
    expect(e.code).toBe('error')
    expect(e.error).toMatchObject({ name: 'DiskFullError', code: 'ERR_DISK_FULL' })
    expect(bob.fileTransferInfo(id, fileId)).toMatchObject({ status: 'error', error: { code: 'ERR_DISK_FULL' } })
    expect(existsSync(full)).toBe(false)
    rmSync(`${full}.tmp`)
    await download(bob, id, iid, fileId, full, big)
    // One that cannot fit at all fails before it writes a byte.
    bob.maxFileSize = 2 ** 52
    const huge = forge(alice, id, dataTransferMessage({ displayName: 'huge.bin', sha3sum: 'b'.repeat(128), tid: '9', totalSize: 2 ** 50 }))
    await until(() => bob.conversation(id).head === huge, 'the huge announcement at bob')
    const hugeEnd = ended(bob, id, `${huge}_9.bin`)
    bob.downloadFile(id, huge, `${huge}_9.bin`, join(files, 'huge.bin'))
    expect((await hugeEnd).error).toMatchObject({ code: 'ERR_DISK_FULL' })
    expect(existsSync(join(files, 'huge.bin.tmp'))).toBe(false)

    const empty = join(files, 'empty.txt')
    writeFileSync(empty, '')
    const [eiid, efileId] = await share(alice, id, empty, [bob])
    await alice.stop()
    await download(bob, id, eiid, efileId, join(files, 'bob-empty.txt'), empty)
    expect(statSync(join(files, 'bob-empty.txt')).size).toBe(0)
  })
})
