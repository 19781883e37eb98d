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
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        other().push(chunk)
        cb()
      },
      final(cb) {
        other().push(null)
        cb()
      },
    })
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}
