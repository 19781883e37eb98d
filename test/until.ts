/**
 * Waiting for a condition with a bound in time, for tests and for the bench (no vitest here,
 * so bench code may import it).
 * @module
 */

/** Resolves when `check()` holds (or resolves true), polling every 5 ms; throws `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs
  while (!(await check())) {
    // `what` may be a function: the state worth reporting is the state at the timeout.
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
