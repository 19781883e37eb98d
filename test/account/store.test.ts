/**
 * The account directory's files are written whole or not at all: a writer killed with
 * SIGKILL at arbitrary points (a real child process) leaves every file parseable, holding
 * one of the versions it wrote; a stray temporary file from a crash changes nothing.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AccountStore, JsonFile } from '../../src/account/store.js'
import { tempDir } from '../helpers.js'

const dir = tempDir()
const STORE = join(import.meta.dirname, '../../dist/src/account/store.js')

describe('account store', () => {
  it('a writer killed mid-write (SIGKILL, 20 times) never leaves a torn file', async () => {
    const path = join(dir, 'contacts.json')
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', `
        const { JsonFile } = await import(${JSON.stringify(STORE)})
        const f = new JsonFile(${JSON.stringify(path)}, () => ({}))
        process.stdout.write('writing')
        for (let i = 0; ; i++) { f.value = { n: i, filler: 'x'.repeat(1000 + (i % 5000)) }; f.save() }`], { stdio: ['ignore', 'pipe', 'ignore'] })
      // Killed at a random point once it writes (loading the module alone can take 200 ms).
      await new Promise((r) => (child.stdout!.once('data', r), child.once('exit', r)))
      await new Promise((r) => setTimeout(r, Math.random() * 50))
      process.kill(child.pid!, 'SIGKILL')
      await new Promise((r) => child.once('exit', r))
      if (!existsSync(path)) continue
      const value = JSON.parse(readFileSync(path, 'utf8')) as { n: number; filler: string }
      expect(value.filler.length).toBe(1000 + (value.n % 5000))
    }
    expect(existsSync(path)).toBe(true)
  })

  it('a stray temporary file changes nothing; an unreadable file is a typed error', () => {
    const s = new AccountStore(join(dir, 'acc'))
    s.contacts.value['a'.repeat(40)] = { uri: 'a'.repeat(40), devices: [], confirmed: true, added: 1 }
    s.contacts.save()
    writeFileSync(`${s.contacts.path}.tmp-99999`, '{ half')
    expect(Object.keys(new AccountStore(join(dir, 'acc')).contacts.value)).toEqual(['a'.repeat(40)])
    writeFileSync(join(dir, 'acc', 'requests.json'), '{ torn')
    expect(() => new AccountStore(join(dir, 'acc'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }))
    expect(() => new JsonFile(join(dir, 'acc', 'requests.json'), () => ({}))).toThrow(/not JSON/)
  })
})
