/**
 * The peak memory of one piece of work, on its own: garbage collected, then Linux's
 * high-water mark of the resident set (VmHWM) reset before it (`/proc/self/clear_refs` ← 5)
 * and read after it, against the resident set at the start. `process.resourceUsage().maxRSS` cannot do this — it is the
 * process's high-water mark since it began, so after one large case every later case reads
 * "no growth" whatever it does.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// The garbage collector, without starting the worker with --expose-gc (a flag the engine's
// own worker threads would refuse to inherit).
setFlagsFromString('--expose-gc')
/** Runs a full garbage collection. */
export const gc = runInNewContext('gc') as () => void

function statusKiB(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))
  if (!m) throw new Error(`no ${field} in /proc/self/status`)
  return Number(m[1])
}

/** Runs `work` and returns its result and how far above the resident set at its start the peak went, in MiB. */
export async function peakGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growthMiB: number }> {
  // What earlier work left as garbage is freed first: its resident pages would otherwise be
  // reused without the resident set growing.
  gc()
  gc()
  writeFileSync('/proc/self/clear_refs', '5') // the high-water mark starts again from now
  const start = statusKiB('VmRSS')
  const value = await work()
  return { value, growthMiB: (statusKiB('VmHWM') - start) / 1024 }
}
