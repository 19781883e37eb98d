/**
 * Named points where a test can stop the engine as a crash would: the fault harness
 * (test/faults) installs a hook that throws at a chosen point, drops the device's objects and
 * reopens it from disk. Without a hook a point costs one comparison. The switches break the
 * engine on purpose, to show the harness catches what it claims to.
 * @module
 */

/** Where a crash can be injected. */
export type FaultPoint =
  | 'object:temp-written'
  | 'object:renamed'
  | 'ref:locked'
  | 'ref:written'
  | 'pack:received'
  | 'pack:renamed'
  | 'index:appending'
  | 'index:rewriting'
  | 'sync:quarantined'
  | 'sync:validated'
  | 'merge:committed'
  | 'gc:pack-installed'

let hook: ((point: FaultPoint, gitdir: string) => void) | undefined

/** Test hook: called at every fault point (with the repository it is in) until it is called with undefined. */
export function setFaultHook(fn: ((point: FaultPoint, gitdir: string) => void) | undefined): void {
  hook = fn
}

/** Marks a point in a write to the repository at `gitdir` where a crash can be injected. */
export function faultPoint(point: FaultPoint, gitdir: string): void {
  if (hook) hook(point, gitdir)
}

/** Deliberate bugs, for tests that show the fault harness can fail. Never set outside tests. */
export const brokenOnPurpose = {
  /** Move `main` before the new commit object is written. */
  refBeforeObject: false,
  /** "Merge" by taking the peer's head, dropping our own new commits. */
  mergeDropsOurs: false,
  /** Take fetched commits without validating them (the fault harness then feeds one that breaks a rule). */
  acceptUnvalidated: false,
  /** Write tree entries in reverse order (git wants them sorted; our reader does not care). */
  unsortedTrees: false,
  /** Leave merge commits (but the head) out of the history index file when it is rewritten. */
  indexDropsMerges: false,
  /** A fetch fails with an error no schedule should cause (a plain Error, no code). */
  fetchThrowsUnexpected: false,
}
