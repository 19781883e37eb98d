/**
 * Where the package's own files are, from compiled output or from sources alike.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/** The directory holding gitswarm's package.json. */
export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 10; i++) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gitswarm') return (root = dir)
    dir = dirname(dir)
  }
  throw new Error('gitswarm package root not found')
}

export function conformanceDir(): string {
  return join(packageRoot(), 'fixtures', 'conformance')
}
