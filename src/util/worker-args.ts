/**
 * The node flags an eval'd worker may inherit. Workers take the parent's flags, and
 * `--input-type=module` (a parent run as `node --input-type=module -e …`) would make the
 * workers' CommonJS source fail with "require is not defined".
 * @module
 */

/** The parent's execArgv without --input-type. */
export function workerExecArgv(): string[] {
  const out: string[] = []
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!
    if (arg === '--input-type') i++
    else if (!arg.startsWith('--input-type=')) out.push(arg)
  }
  return out
}
