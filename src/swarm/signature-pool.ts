/**
 * Signature verification on worker threads: Ed25519 verification is most of the cost of
 * checking a long history (about 7,000/s per core here), so a batch spreads it over the
 * cores while the rules run on the main thread. Workers run inline code that only needs
 * node:crypto, so the pool works the same from compiled output and from sources.
 * @module
 */
import { workerExecArgv } from '../util/worker-args.js'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { spkiDer } from '../identity/keys.js'
import type { SignatureVerifier } from '../validation/batch.js'
import type { SignatureJob } from '../validation/context.js'

// sodium-native (optional) verifies Ed25519 twice as fast as OpenSSL here. libsodium is the
// stricter of the two, so a signature it rejects is re-checked with node:crypto: the accepted
// set is exactly node:crypto's on every machine, with or without the addon.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createPublicKey, verify } = require('node:crypto')
let sodium = null
try { if (workerData.sodium) sodium = require(workerData.sodium) } catch {}
const keys = new Map()
parentPort.on('message', ({ id, jobs }) => {
  const out = jobs.map((j) => {
    try {
      let key = keys.get(j.k)
      if (!key) {
        const obj = createPublicKey({ key: Buffer.from(j.spki), format: 'der', type: 'spki' })
        key = { obj, raw: obj.asymmetricKeyType === 'ed25519' ? Buffer.from(j.spki).subarray(12) : null }
        keys.set(j.k, key)
      }
      if (key.raw && sodium && j.s.length === 64 && sodium.crypto_sign_verify_detached(Buffer.from(j.s), Buffer.from(j.p), key.raw)) return true
      return verify(key.raw ? null : 'sha512', j.p, key.obj, j.s)
    } catch { return false }
  })
  parentPort.postMessage({ id, out })
})
`

/** Path of the optional sodium-native addon, or '' when it is not installed. */
function sodiumPath(): string {
  try {
    return createRequire(import.meta.url).resolve('sodium-native')
  } catch {
    return ''
  }
}

export interface SignaturePool extends SignatureVerifier {
  /** Stops the workers. */
  close(): Promise<void>
}

/** A verifier backed by `threads` workers (default: one per core). */
export function createSignaturePool(threads = availableParallelism()): SignaturePool {
  const sodium = sodiumPath()
  const workers = Array.from({ length: Math.max(1, threads) }, () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: workerExecArgv(), workerData: { sodium: sodium } })
    w.unref()
    return w
  })
  const pending = new Map<number, (out: boolean[]) => void>()
  for (const w of workers) {
    w.on('message', ({ id, out }: { id: number; out: boolean[] }) => {
      pending.get(id)?.(out)
      pending.delete(id)
    })
  }
  const keyIds = new WeakMap<object, { k: string; spki: Buffer }>()
  let next = 0
  return {
    verify(jobs: readonly SignatureJob[]): Promise<boolean[]> {
      const id = next++
      const payload = jobs.map((j) => {
        let k = keyIds.get(j.publicKey)
        if (!k) {
          const spki = spkiDer(j.publicKey)
          k = { k: spki.toString('base64'), spki }
          keyIds.set(j.publicKey, k)
        }
        return { k: k.k, spki: k.spki, p: j.payload, s: j.signature }
      })
      return new Promise((resolve) => {
        pending.set(id, resolve)
        workers[id % workers.length]!.postMessage({ id, jobs: payload })
      })
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
