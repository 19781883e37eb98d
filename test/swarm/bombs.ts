/**
 * Hostile packs for the limit tests: a deflate stream that inflates to gigabytes of zeros
 * in a few megabytes, a fake upload-pack server that sends whatever pack it is given, and
 * the pack framing around a single crafted entry.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { encodeEntryHeader } from '../../src/git/pack-writer.js'
import { drained, encodePkt, FLUSH, PktReader, sideBand } from '../../src/git/pkt-line.js'

/** Writes Huffman codes (most significant bit first) into deflate's LSB-first bit stream. */
class BitWriter {
  bytes: number[] = []
  private bit = 0
  private push(b: number): void {
    if (this.bit === 0) this.bytes.push(0)
    this.bytes[this.bytes.length - 1]! |= b << this.bit
    this.bit = (this.bit + 1) & 7
  }
  value(v: number, n: number): void {
    for (let i = 0; i < n; i++) this.push((v >> i) & 1)
  }
  code(c: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.push((c >> i) & 1)
  }
}

function fixedBlock(groups: number): number[] {
  const w = new BitWriter()
  w.value(1, 1) // final block
  w.value(1, 2) // fixed Huffman codes
  w.code(0x30, 8) // literal 0
  for (let i = 0; i < groups * 8; i++) {
    w.code(0b11000101, 8) // length 258
    w.code(0, 5) // distance 1
  }
  w.code(0, 7) // end of block
  return w.bytes
}

/**
 * A zlib stream inflating to `1 + 2064 × groups` zero bytes. Each group of eight matches is
 * 104 bits, exactly 13 bytes, so the stream is a fixed head, a 13-byte period, and a tail.
 */
export function zeroBomb(groups: number): { stream: Buffer; inflated: number } {
  const two = fixedBlock(2)
  const three = fixedBlock(3)
  const period = three.slice(14, 27)
  const head = two.slice(0, 14)
  const tail = two.slice(14)
  // fixedBlock(2) is head + tail; each further group inserts one period between them.
  if (groups < 2) throw new RangeError('at least two groups')
  const periods = groups - 2
  const body = Buffer.alloc(head.length + period.length * periods + tail.length)
  body.set(head, 0)
  for (let g = 0; g < periods; g++) body.set(period, head.length + g * period.length)
  body.set(tail, head.length + period.length * periods)
  const inflated = 1 + 2064 * groups
  // Adler-32 of zeros: a stays 1, b grows by 1 per byte.
  const adler = Buffer.alloc(4)
  adler.writeUInt32BE((((inflated % 65521) << 16) | 1) >>> 0)
  return { stream: Buffer.concat([Buffer.from([0x78, 0x01]), body, adler]), inflated }
}

/** A pack with one entry: type code `type`, announced `size`, then `data` as is. */
export function onePack(type: number, size: number, data: Buffer, count = 1): Buffer {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'latin1')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(count, 8)
  const body = Buffer.concat([header, encodeEntryHeader(type, size), data])
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}

/** Plays an upload-pack server that advertises `tip` and answers any fetch with `pack`. */
export async function fakeServer(stream: Duplex, tip: string, pack: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<void> {
  stream.write(encodePkt(`${tip} HEAD\0side-band-64k ofs-delta\n`))
  stream.write(encodePkt(`${tip} refs/heads/main\n`))
  stream.write(FLUSH)
  const reader = new PktReader(stream)
  // Wants up to the first flush; then a NAK for every round of haves, and one after done.
  for (let wantsRead = false; ; ) {
    const p = await reader.read()
    if (p.type === 'end') return
    if (p.type === 'data' && p.payload.toString().startsWith('done')) break
    if (p.type === 'flush') {
      if (wantsRead) stream.write(encodePkt('NAK\n'))
      wantsRead = true
    }
  }
  stream.write(encodePkt('NAK\n'))
  try {
    for await (const chunk of pack) {
      if (!stream.writable || stream.destroyed) return
      if (!sideBand(stream, 1, chunk)) await drained(stream)
    }
    stream.write(FLUSH)
  } catch {
    // the client hung up on us: that is the point
  }
}
