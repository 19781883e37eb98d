/**
 * A one-line progress bar for long transfers, redrawn in place on a terminal (stderr), and
 * nothing at all when the output is not a terminal or is JSON.
 * @module
 */

export interface Progress {
  update(bytes: number, total: number): void
  done(): void
}

const WIDTH = 30

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let n = bytes
  let u = 0
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}

/** A bar on `stream` when it is a TTY, else a progress that prints nothing. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true): Progress {
  if (!enabled) return { update() {}, done() {} }
  const start = Date.now()
  let drawn = false
  return {
    update(bytes, total) {
      const fraction = total > 0 ? Math.min(1, bytes / total) : 1
      const filled = Math.round(fraction * WIDTH)
      const seconds = (Date.now() - start) / 1000
      const rate = seconds > 0 ? bytes / seconds : 0
      const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled)
      stream.write(`\r${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${human(bytes)}/${human(total)} ${human(rate)}/s `)
      drawn = true
    },
    done() {
      if (drawn) stream.write('\n')
    },
  }
}
