/**
 * Two connected in-memory duplex streams: what one writes, the other reads. For running a
 * server and a client in one process (tests, the demo, benchmarks); Node 20 has no
 * `stream.duplexPair` yet.
 * @module
 */
import { Duplex } from 'node:stream'

export function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex
  let b!: Duplex
  // A write whose chunk the reader has not taken yet waits here: backpressure end to end.
  const waiting = new Map<Duplex, () => void>()
  const make = (other: () => Duplex): Duplex => {
    const self: Duplex = new Duplex({
      read() {
        const resume = waiting.get(self)
        waiting.delete(self)
        resume?.()
      },
      write(chunk: Buffer, _enc, cb) {
        if (other().push(chunk)) cb()
        else waiting.set(other(), cb)
      },
      final(cb) {
        other().push(null)
        cb()
      },
      destroy(err, cb) {
        const resume = waiting.get(other())
        waiting.delete(other())
        resume?.()
        cb(err)
      },
    })
    return self
  }
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}
