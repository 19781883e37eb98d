// Small formatting helpers shared by the views.

export const shortUri = (uri) => (uri ? `${uri.slice(0, 8)}…` : '')

export function size(bytes) {
  const n = Number(bytes)
  if (!Number.isFinite(n)) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function time(seconds) {
  const d = new Date(seconds * 1000)
  return d.toLocaleString([], { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short' })
}
