/**
 * The object codec and store against the real git: ids, tree order, byte-exact commit
 * round trips (Jami's signature header), packs with OFS and REF deltas, corrupt objects.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CorruptObjectError } from '../../src/errors.js'
import { hashObject, parseCommit, parseTree, serializeCommit, serializeTree, stripHeader } from '../../src/git/object-codec.js'
import { initBareRepository, openRepository } from '../../src/git/repository.js'
import { adler32, readZlibStored, zlibStored } from '../../src/git/zlib-stored.js'
import { git, tempDir } from '../helpers.js'

const dir = tempDir()

function gitInput(cwd: string, input: string | Buffer, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { input }).toString().trim()
}

describe('object ids and encodings', () => {
  test('blob ids equal git hash-object', () => {
    for (const content of ['', 'hello\n', 'x'.repeat(10_000), '\u00e9\u2713']) {
      expect(hashObject('blob', Buffer.from(content))).toBe(gitInput(dir, content, 'hash-object', '--stdin'))
    }
  })

  test('trees are ordered as git orders them (directories as name + "/")', () => {
    const repo = initBareRepository(join(dir, 'order.git'))
    const blob = repo.objects.write('blob', Buffer.from('x'))
    const sub = repo.objects.write('tree', serializeTree([{ mode: '100644', name: 'f', oid: blob }]))
    const entries = [
      { mode: '100644', name: 'a.b', oid: blob },
      { mode: '40000', name: 'a', oid: sub },
      { mode: '100644', name: 'a-b', oid: blob },
      { mode: '100644', name: 'a0', oid: blob },
      { mode: '100644', name: 'B', oid: blob },
    ]
    const ours = repo.objects.write('tree', serializeTree(entries))
    const listing = entries.map((e) => `${e.mode === '40000' ? '040000 tree' : '100644 blob'} ${e.oid}\t${e.name}`).join('\n') + '\n'
    expect(ours).toBe(gitInput(repo.gitdir, listing, 'mktree'))
    expect(parseTree(repo.objects.read(ours).content).map((e) => e.name)).toEqual(['B', 'a-b', 'a.b', 'a', 'a0'])
  })

  test('commits round-trip byte for byte, signature header and missing trailing newline included', () => {
    const raw = Buffer.from(
      'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n' +
        'parent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n' +
        'author a b <' + 'd'.repeat(64) + '> 1795463822 +0000\n' +
        'committer a b <' + 'd'.repeat(64) + '> 1795463822 +0000\n' +
        'signature QUJD\n' +
        '\n{"body":"x","type":"text/plain"}',
    )
    const parsed = parseCommit(raw)
    expect(parsed.extraHeaders).toEqual([{ key: 'signature', value: 'QUJD' }])
    expect(parsed.message).toBe('{"body":"x","type":"text/plain"}')
    expect(serializeCommit(parsed).equals(raw)).toBe(true)
    expect(stripHeader(raw)!.toString()).not.toContain('signature')
    expect(stripHeader(raw)!.length).toBe(raw.length - 'signature QUJD\n'.length)
  })

  test('multi-line headers (continuation lines) are parsed and stripped whole', () => {
    const raw = Buffer.from('tree ' + '1'.repeat(40) + '\nauthor a <b> 1 +0000\ncommitter a <b> 1 +0000\nsignature one\n two\n three\nx-other y\n\nmsg')
    const parsed = parseCommit(raw)
    expect(parsed.extraHeaders).toEqual([{ key: 'signature', value: 'one\ntwo\nthree' }, { key: 'x-other', value: 'y' }])
    expect(serializeCommit(parsed).equals(raw)).toBe(true)
    expect(stripHeader(raw)!.toString()).toBe('tree ' + '1'.repeat(40) + '\nauthor a <b> 1 +0000\ncommitter a <b> 1 +0000\nx-other y\n\nmsg')
  })

  test('malformed commits and trees throw CorruptObjectError', () => {
    for (const bad of ['', 'tree x\n\nm', 'parent ' + '1'.repeat(40) + '\n\n', 'tree ' + '1'.repeat(40) + '\nauthor nobody\n\n']) {
      expect(() => parseCommit(Buffer.from(bad))).toThrow(CorruptObjectError)
    }
    expect(() => parseTree(Buffer.from('100644 name'))).toThrow(CorruptObjectError)
    expect(() => parseTree(Buffer.concat([Buffer.from('100644 a/b\0'), Buffer.alloc(20)]))).toThrow(CorruptObjectError)
  })
})

describe('the object store', () => {
  function populated(name: string): string {
    const path = join(dir, name)
    git(dir, 'init', '-q', path)
    for (let i = 0; i < 40; i++) {
      writeFileSync(join(path, 'file.txt'), `line\n`.repeat(200) + `change ${i}\n`)
      writeFileSync(join(path, `f${i % 7}.txt`), `other ${i}\n`.repeat(50))
      git(path, 'add', '-A')
      git(path, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', `commit ${i}`)
    }
    return path
  }

  function everyObjectMatchesGit(path: string): number {
    const ids = git(path, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)').split('\n').map((l) => l.split(' '))
    const repo = openRepository(path)
    for (const [id, type] of ids) {
      const obj = repo.objects.read(id!)
      expect(obj.type).toBe(type)
      expect(obj.content.equals(execFileSync('git', ['-C', path, 'cat-file', type!, id!]))).toBe(true)
    }
    repo.objects.close()
    return ids.length
  }

  test('reads loose objects, and packs with OFS deltas and with REF deltas, like git', () => {
    const path = populated('packs')
    expect(everyObjectMatchesGit(path)).toBeGreaterThan(100)
    git(path, 'gc', '-q', '--aggressive')
    expect(git(path, 'count-objects', '-v')).toMatch(/in-pack: \d+/)
    everyObjectMatchesGit(path)
    // Rewrite as a pack with REF_DELTA entries only.
    const packDir = join(path, '.git/objects/pack')
    const ids = git(path, 'rev-list', '--objects', '--all').split('\n').map((l) => l.split(' ')[0]).join('\n') + '\n'
    const staging = join(dir, 'refdelta-staging')
    mkdirSync(staging)
    gitInput(path, ids, 'pack-objects', '-q', '--no-delta-base-offset', '--window=50', join(staging, 'refdelta'))
    for (const f of readdirSync(packDir)) rmSync(join(packDir, f))
    for (const f of readdirSync(staging)) renameSync(join(staging, f), join(packDir, f))
    expect(git(path, 'verify-pack', '-v', join(packDir, readdirSync(packDir).find((f) => f.endsWith('.idx'))!))).toMatch(/chain length = [1-9]/)
    everyObjectMatchesGit(path)
  })

  test('written objects are accepted by git fsck --strict', () => {
    const repo = initBareRepository(join(dir, 'written.git'))
    const blob = repo.objects.write('blob', Buffer.from('content\n'))
    const tree = repo.objects.write('tree', serializeTree([{ mode: '100644', name: 'file', oid: blob }]))
    const person = { name: 'n', email: 'e', timestamp: 1, timezone: '+0000' }
    const commit = repo.objects.write('commit', serializeCommit({ tree, parents: [], author: person, committer: person, extraHeaders: [], message: 'm\n' }))
    repo.refs.update('refs/heads/main', commit, null)
    expect(git(repo.gitdir, 'cat-file', '-p', blob)).toBe('content')
    git(repo.gitdir, 'fsck', '--strict', '--no-dangling')
  })

  test('small objects are stored uncompressed, large ones deflated; git reads both', () => {
    const repo = initBareRepository(join(dir, 'stored.git'))
    const small = repo.objects.write('blob', Buffer.from('small\n'))
    const large = repo.objects.write('blob', Buffer.from('large\n'.repeat(10_000)))
    const file = (id: string) => readFileSync(join(repo.gitdir, 'objects', id.slice(0, 2), id.slice(2)))
    expect(file(small).subarray(0, 3)).toEqual(Buffer.from([0x78, 0x01, 0x01])) // zlib header, final stored block
    expect(file(large).length).toBeLessThan(1000)
    expect(git(repo.gitdir, 'cat-file', '-p', small)).toBe('small')
    expect(git(repo.gitdir, 'cat-file', '-s', large)).toBe('60000')
    expect(openRepository(repo.gitdir).objects.read(small).content.toString()).toBe('small\n')
  })

  test('a damaged object is reported, never returned', () => {
    const repo = initBareRepository(join(dir, 'damaged.git'))
    const id = repo.objects.write('blob', Buffer.from('genuine'))
    const file = join(repo.gitdir, 'objects', id.slice(0, 2), id.slice(2))
    rmSync(file)
    writeFileSync(file, 'garbage')
    const fresh = openRepository(repo.gitdir)
    expect(() => fresh.objects.read(id)).toThrow(CorruptObjectError)
    // Valid zlib, wrong content: the id check catches it.
    rmSync(file)
    const other = initBareRepository(join(dir, 'other.git'))
    const otherId = other.objects.write('blob', Buffer.from('forged'))
    writeFileSync(file, readFileSync(join(other.gitdir, 'objects', otherId.slice(0, 2), otherId.slice(2))))
    expect(() => openRepository(repo.gitdir).objects.read(id)).toThrow(/does not hash to its id/)
  })
})


describe('zlib with stored blocks', () => {
  test('Adler-32 vectors (RFC 1950; the Wikipedia example) and across the 5552-byte modulo runs', () => {
    expect(adler32(new Uint8Array())).toBe(1)
    expect(adler32(Buffer.from('a'))).toBe(0x00620062)
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398)
    const big = Buffer.alloc(100_000, 0xff)
    const deflated = deflateSync(big) // zlib's own trailer is the Adler-32 of its input
    expect(adler32(big)).toBe(deflated.readUInt32BE(deflated.length - 4))
    expect(adler32(big)).toBe(0x149a302c)
  })

  test('every size round-trips through zlib inflate (which checks the Adler-32), blocks split at 65,535', () => {
    for (const size of [0, 1, 100, 65_534, 65_535, 65_536, 131_071, 131_070, 200_001]) {
      const data = Buffer.alloc(size)
      for (let i = 0; i < size; i++) data[i] = (i * 7919) & 0xff
      const z = zlibStored(data)
      expect(z.length, `size ${size}`).toBe(2 + Math.max(1, Math.ceil(size / 65_535)) * 5 + size + 4)
      expect(inflateSync(z).equals(data), `size ${size}`).toBe(true)
    }
  })

  test('a flipped trailer byte is caught by the inflater', () => {
    const z = zlibStored(Buffer.from('checked'))
    z[z.length - 1]! ^= 1
    expect(() => inflateSync(z)).toThrow(/incorrect data check/)
  })

  test('the reader takes stored streams back, and leaves anything else to zlib', () => {
    for (const size of [0, 1, 700, 65_535, 65_536, 140_000]) {
      const data = Buffer.alloc(size, size & 0xff)
      expect(readZlibStored(zlibStored(data))?.equals(data), `size ${size}`).toBe(true)
    }
    const z = zlibStored(Buffer.from('stored'))
    expect(readZlibStored(deflateSync(Buffer.from('stored')))).toBeUndefined() // compressed blocks
    expect(readZlibStored(Buffer.concat([z, Buffer.from([0])]))).toBeUndefined() // trailing bytes
    expect(readZlibStored(z.subarray(0, z.length - 1))).toBeUndefined() // truncated
    const badSum = Buffer.from(z)
    badSum[badSum.length - 1]! ^= 1
    expect(readZlibStored(badSum)).toBeUndefined()
  })

  test('fuzz: the reader never accepts what zlib rejects, and agrees with zlib on what it accepts (10,000 inputs)', () => {
    const agrees = (input: Buffer): void => {
      const ours = readZlibStored(input)
      if (ours === undefined) return
      expect(inflateSync(input).equals(ours)).toBe(true)
    }
    const damaged = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 7 })).map(([data, at, bit]) => {
      const z = zlibStored(data)
      z[at % z.length]! ^= 1 << bit
      return z
    })
    fc.assert(fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from([0x78, 0x01, 0x01]), b]))), agrees), { numRuns: 10_000 })
  })
})

describe('the pack directory listing', () => {
  /** A pack of one blob, made by git in a scratch repository; returns its files and the blob id. */
  function packOfOneBlob(name: string): { files: string[]; oid: string } {
    const scratch = join(dir, `${name}-scratch`)
    const repo = initBareRepository(scratch)
    const oid = repo.objects.write('blob', Buffer.from(`packed ${name}\n`))
    execFileSync('git', ['--git-dir', scratch, 'pack-objects', '-q', join(scratch, 'objects/pack/pack')], { input: `${oid}\n` })
    const packDir = join(scratch, 'objects/pack')
    return { files: readdirSync(packDir).map((f) => join(packDir, f)), oid }
  }

  function addPack(gitdir: string, files: string[], keepMtime: Date): void {
    const packDir = join(gitdir, 'objects/pack')
    for (const f of files.filter((f) => f.endsWith('.pack')).concat(files.filter((f) => f.endsWith('.idx')))) writeFileSync(join(packDir, f.split('/').pop()!), readFileSync(f))
    utimesSync(packDir, keepMtime, keepMtime)
  }

  test('a miss lists the directory again only when its mtime moved, or when the last listing was racy', () => {
    const old = new Date(Date.now() - 60_000)
    const gitdir = join(dir, 'listing-trusted')
    initBareRepository(gitdir)
    mkdirSync(join(gitdir, 'objects/pack'), { recursive: true })
    utimesSync(join(gitdir, 'objects/pack'), old, old)
    const store = openRepository(gitdir).objects // lists the directory: its mtime is a minute old, trusted
    const { files, oid } = packOfOneBlob('trusted')
    addPack(gitdir, files, old) // a pack slipped in with the mtime put back: only a forced scan sees it
    expect(store.has(oid)).toBe(false)
    expect(store.scanPacks()).toBe(true)
    expect(store.tryRead(oid)?.content.toString()).toBe('packed trusted\n')

    const racyDir = join(dir, 'listing-racy')
    initBareRepository(racyDir)
    mkdirSync(join(racyDir, 'objects/pack'), { recursive: true })
    const now = new Date()
    utimesSync(join(racyDir, 'objects/pack'), now, now)
    const racy = openRepository(racyDir).objects // listed within the racy window of the mtime: not reused
    const second = packOfOneBlob('racy')
    addPack(racyDir, second.files, now)
    expect(racy.has(second.oid)).toBe(true)

    // A real change moves the mtime: git repacking under an open store is seen on the next miss.
    const live = openRepository(gitdir)
    const fresh = live.objects.write('blob', Buffer.from('loose, then repacked\n'))
    execFileSync('git', ['--git-dir', gitdir, 'repack', '-a', '-d', '-q'])
    expect(store.tryRead(fresh)?.content.toString()).toBe('loose, then repacked\n')
  })
})
