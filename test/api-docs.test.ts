/**
 * The API reference: TypeDoc (kept apart in tools/api-docs, as it needs TypeScript 5's
 * compiler API) documents every export of the package entry point and fails on any export
 * without documentation or any broken link (treatWarningsAsErrors). This runs it, as
 * `npm run docs` does.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')

test('npm run api-docs writes the reference with no warning: every export is documented', () => {
  const r = spawnSync('npm', ['run', 'api-docs'], { cwd: root, encoding: 'utf8', timeout: 240_000 })
  const output = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')
  expect(output.split('\n').filter((l) => l.includes('[warning]') || l.includes('[error]'))).toEqual([])
  expect(r.status, output).toBe(0)
  for (const page of ['index.html', 'classes/Account.html', 'classes/Conversation.html', 'functions/verifyRepository.html']) expect(existsSync(join(root, 'docs/api', page)), page).toBe(true)
}, 300_000)
