/**
 * The catalogues stay honest: docs/rules.md and docs/errors.md equal what the code renders,
 * every error class has a stable name and code and is documented.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { renderDaemonApiDoc } from '../src/daemon/doc.js'
import { renderCliDoc, renderErrorsDoc, renderRulesDoc } from '../src/docs.js'
import { ERROR_CLASSES, GitswarmError, hasCode } from '../src/errors.js'

const root = join(import.meta.dirname, '..')

test('docs/rules.md, docs/errors.md, docs/cli.md and docs/daemon-api.md are up to date (run `npm run docs`)', () => {
  expect(readFileSync(join(root, 'docs/rules.md'), 'utf8')).toBe(renderRulesDoc())
  expect(readFileSync(join(root, 'docs/errors.md'), 'utf8')).toBe(renderErrorsDoc())
  expect(readFileSync(join(root, 'docs/cli.md'), 'utf8')).toBe(renderCliDoc())
  expect(readFileSync(join(root, 'docs/daemon-api.md'), 'utf8')).toBe(renderDaemonApiDoc(readFileSync(join(root, 'docs/daemon-client.py'), 'utf8')))
})

test('every error class: stable name and code, structured data, JSON form, documented', () => {
  const codes = new Set<string>()
  const doc = renderErrorsDoc()
  for (const E of ERROR_CLASSES) {
    const args = SAMPLE_ARGS[E.name] ?? ['a', 'b', 'c']
    const err = new (E as unknown as new (...args: unknown[]) => GitswarmError)(...args)
    expect(err.message.length).toBeGreaterThan(0)
    expect(err).toBeInstanceOf(GitswarmError)
    expect(err.name).toBe(E.name)
    expect(err.code).toBe(E.code)
    expect(err.code).toMatch(/^ERR_[A-Z_]+$/)
    expect(hasCode(err, E.code)).toBe(true)
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: E.name, code: E.code })
    expect(typeof err.data).toBe('object')
    expect(doc).toContain(`| \`${E.name}\` | \`${E.code}\` | `)
    expect(doc).not.toContain(`| \`${E.name}\` | \`${E.code}\` |  |`)
    codes.add(E.code)
  }
  expect(codes.size).toBe(ERROR_CLASSES.length)
})

/** Constructor arguments for classes whose second argument is structured data or a number. */
const SAMPLE_ARGS: Record<string, unknown[]> = {
  InvalidArgumentError: ['bad value', { value: 1 }],
  NotFoundError: ['thing', { id: 'x' }],
  InvalidCertificateError: ['reason', { path: 'p' }],
  LimitExceededError: ['pack bytes', 10, 11],
  RefConflictError: ['refs/heads/main', null, 'a'.repeat(40)],
}
