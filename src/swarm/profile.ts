/**
 * The conversation profile, `profile.vcf`, in the vCard 2.1 layout Jami's `updateInfos`
 * writes (reference §1.3): LF line ends, the PHOTO line always present, an empty line after
 * the RDV_ACCOUNT and RDV_DEVICE slots, no newline after END:VCARD. Reading is lenient: CRLF
 * or LF, folded lines, unknown properties ignored (the `vcf` package rejects LF-only cards).
 * @module
 */

/** A conversation's profile (profile.vcf): title, description, avatar and any other field. */
export interface ConversationProfile {
  title?: string
  description?: string
  /** Base64 image data, as stored after `PHOTO;ENCODING=BASE64:`. */
  avatar?: string
  /** Default host account and device for group calls. */
  rdvAccount?: string
  rdvDevice?: string
}

export const PROFILE_FIELDS = ['title', 'description', 'avatar', 'rdvAccount', 'rdvDevice'] as const

// Values are single-line in the file: escape the characters that would break a line.
function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n')
}

function unescapeValue(v: string): string {
  return v.replace(/\\(n|N|\\)/g, (_, c: string) => (c === '\\' ? '\\' : '\n'))
}

export function serializeProfile(p: ConversationProfile): string {
  const lines = ['BEGIN:VCARD', 'VERSION:2.1']
  if (p.title !== undefined) lines.push(`FN:${escapeValue(p.title)}`)
  if (p.description !== undefined) lines.push(`DESCRIPTION:${escapeValue(p.description)}`)
  lines.push(p.avatar !== undefined ? `PHOTO;ENCODING=BASE64:${p.avatar}` : 'PHOTO;ENCODING=BASE64')
  if (p.rdvAccount !== undefined) lines.push(`RDV_ACCOUNT:${escapeValue(p.rdvAccount)}`)
  lines.push('')
  if (p.rdvDevice !== undefined) lines.push(`RDV_DEVICE:${escapeValue(p.rdvDevice)}`)
  lines.push('', 'END:VCARD')
  return lines.join('\n')
}

export function parseProfile(text: string): ConversationProfile {
  const unfolded = text.replace(/^\uFEFF/, '').replace(/\r?\n[ \t]/g, '')
  const profile: ConversationProfile = {}
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    const key = (colon < 0 ? line : line.slice(0, colon)).toUpperCase()
    const value = colon < 0 ? undefined : line.slice(colon + 1)
    if (key.startsWith('PHOTO')) {
      if (value !== undefined) profile.avatar = value
      continue
    }
    if (value === undefined) continue
    const name = key.split(';')[0]
    if (name === 'FN') profile.title = unescapeValue(value)
    else if (name === 'DESCRIPTION') profile.description = unescapeValue(value)
    else if (name === 'RDV_ACCOUNT') profile.rdvAccount = unescapeValue(value)
    else if (name === 'RDV_DEVICE') profile.rdvDevice = unescapeValue(value)
  }
  return profile
}
