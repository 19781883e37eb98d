/**
 * A minimal DER reader: enough to walk a CRL (node:crypto parses certificates, not CRLs).
 * @module
 */
import { InvalidCertificateError } from '../errors.js'

export interface Tlv {
  tag: number
  /** Content bytes. */
  value: Buffer
  /** The whole element, header included. */
  raw: Buffer
}

export function readTlv(buf: Buffer, pos = 0): Tlv & { next: number } {
  if (pos + 2 > buf.length) throw new InvalidCertificateError('truncated DER')
  const tag = buf[pos]!
  let len = buf[pos + 1]!
  let at = pos + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || at + n > buf.length) throw new InvalidCertificateError('bad DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!
    at += n
  }
  if (at + len > buf.length) throw new InvalidCertificateError('truncated DER value')
  return { tag, value: buf.subarray(at, at + len), raw: buf.subarray(pos, at + len), next: at + len }
}

/** The elements of a SEQUENCE / SET body. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = []
  let pos = 0
  while (pos < value.length) {
    const t = readTlv(value, pos)
    out.push(t)
    pos = t.next
  }
  return out
}

export function decodeOid(value: Buffer): string {
  const parts: number[] = [Math.floor(value[0]! / 40), value[0]! % 40]
  let acc = 0
  for (let i = 1; i < value.length; i++) {
    acc = acc * 128 + (value[i]! & 0x7f)
    if (!(value[i]! & 0x80)) {
      parts.push(acc)
      acc = 0
    }
  }
  return parts.join('.')
}

/** UTCTime (0x17) or GeneralizedTime (0x18) to a Date. */
export function decodeTime(t: Tlv): Date {
  const s = t.value.toString('latin1')
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  if (!m) throw new InvalidCertificateError(`bad time "${s}"`)
  let year = Number(m[1])
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
}

/** INTEGER content as upper-case hex of its two's complement bytes (node's serialNumber style). */
export function integerHex(value: Buffer): string {
  return value.toString('hex').toUpperCase()
}
