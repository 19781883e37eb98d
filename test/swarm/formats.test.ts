/**
 * Byte formats Jami fixes: commit message JSON as jsoncpp writes it (every message in the
 * real Jami repositories re-serialises identically), and profile.vcf's vCard layout.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { parseCommitMessage, serializeCommitMessage, type CommitMessage } from '../../src/validation/commit-message.js'
import { callHistoryMessage, dataTransferMessage, editMessage, fileDeletedMessage, initialMessage, memberMessage, reactionMessage, textMessage, voteMessage } from '../../src/swarm/messages.js'
import { parseProfile, serializeProfile } from '../../src/swarm/profile.js'
import { git, tempDir, JAMI_FIXTURES } from '../helpers.js'

const FIXTURES = JAMI_FIXTURES
const dir = tempDir()

describe('commit message JSON (jsoncpp, as Jami writes it)', () => {
  test('vectors from reference/jami-swarm.md §3', () => {
    const cases: Array<[CommitMessage, string]> = [
      [initialMessage(2), '{"mode":2,"type":"initial"}'],
      [initialMessage(0, 'f'.repeat(40)), `{"invited":"${'f'.repeat(40)}","mode":0,"type":"initial"}`],
      [textMessage('Hello!'), '{"body":"Hello!","type":"text/plain"}'],
      [textMessage("You're right!", '2'.repeat(40)), `{"body":"You're right!","reply-to":"${'2'.repeat(40)}","type":"text/plain"}`],
      [editMessage('', '7'.repeat(40)), `{"body":"","edit":"${'7'.repeat(40)}","type":"text/plain"}`],
      [reactionMessage('👍', 'd'.repeat(40)), `{"body":"\\ud83d\\udc4d","react-to":"${'d'.repeat(40)}","type":"text/plain"}`],
      [memberMessage('join', 'f'.repeat(40)), `{"action":"join","type":"member","uri":"${'f'.repeat(40)}"}`],
      [voteMessage('f'.repeat(40)), `{"type":"vote","uri":"${'f'.repeat(40)}"}`],
      [callHistoryMessage({ to: 'f'.repeat(40), duration: 0, reason: 'declined' }), `{"duration":"0","reason":"declined","to":"${'f'.repeat(40)}","type":"application/call-history+json"}`],
      [dataTransferMessage({ displayName: 'some_image.png', sha3sum: '5'.repeat(128), tid: '6147910008623250', totalSize: 581 }), `{"displayName":"some_image.png","sha3sum":"${'5'.repeat(128)}","tid":"6147910008623250","totalSize":"581","type":"application/data-transfer+json"}`],
      [fileDeletedMessage('7'.repeat(40)), `{"edit":"${'7'.repeat(40)}","tid":"","type":"application/data-transfer+json"}`],
      [textMessage('tab\there "q" \\ / \u0001 \u007f é'), '{"body":"tab\\there \\"q\\" \\\\ / \\u0001 \u007f \\u00e9","type":"text/plain"}'],
    ]
    for (const [message, bytes] of cases) {
      expect(serializeCommitMessage(message)).toBe(bytes)
      const parsed = parseCommitMessage(bytes)
      expect(parsed.ok && serializeCommitMessage(parsed.value as CommitMessage)).toBe(bytes)
    }
  })

  test('anything but a JSON object is refused by the parser', () => {
    for (const bad of ['not json at all', '{invalid json}', '', '[1, 2, 3]', 'null', '"x"']) expect(parseCommitMessage(bad).ok).toBe(false)
  })

  describe.skipIf(!existsSync(FIXTURES) && !process.env["CI"])('every message in the real Jami repositories', () => {
    let messages: string[] = []
    beforeAll(() => {
      for (const name of ['solo-alice', 'group-alice']) {
        const path = join(dir, name)
        git(dir, 'clone', '-q', '--mirror', join(FIXTURES, `${name}.bundle`), path)
        const ids = git(path, 'rev-list', '--all', '--no-merges').split('\n')
        messages = messages.concat(ids.map((id) => git(path, 'show', '-s', '--format=%B', id).replace(/\n$/, '')))
      }
    })
    test('re-serialises byte for byte', () => {
      expect(messages.length).toBe(8 + 18)
      for (const text of messages) {
        const parsed = parseCommitMessage(text)
        expect(parsed.ok).toBe(true)
        expect(serializeCommitMessage((parsed as { value: CommitMessage }).value)).toBe(text)
      }
    })
  })
})

describe('profile.vcf', () => {
  test('written exactly as Jami wrote the fixture, and read back', () => {
    const jami = 'BEGIN:VCARD\nVERSION:2.1\nFN:Solo fixture\nDESCRIPTION:Single-member swarm made by jamid 20230206\nPHOTO;ENCODING=BASE64\n\n\nEND:VCARD'
    expect(serializeProfile({ title: 'Solo fixture', description: 'Single-member swarm made by jamid 20230206' })).toBe(jami)
    expect(parseProfile(jami)).toEqual({ title: 'Solo fixture', description: 'Single-member swarm made by jamid 20230206' })
  })

  test('all fields, CRLF, folded lines and unknown properties are read leniently', () => {
    const full = { title: 'T', description: 'line one\nline two', avatar: 'aGVsbG8=', rdvAccount: 'a'.repeat(40), rdvDevice: 'd'.repeat(64) }
    expect(parseProfile(serializeProfile(full))).toEqual(full)
    const crlf = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long\r\n  title\r\nX-UNKNOWN:1\r\nPHOTO;ENCODING=BASE64;TYPE=PNG:abc\r\nEND:VCARD\r\n'
    expect(parseProfile(crlf)).toEqual({ title: 'Long title', avatar: 'abc' })
  })
})
