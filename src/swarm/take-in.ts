/**
 * Taking validated heads into a conversation (reference §4.13–4.14): a head that contains
 * `main` is a fast-forward; one that only differs from `main` by merge commits joining the
 * same histories is settled by commit id (both devices decide the same); any other is merged
 * with Jami's two-parent merge commit — or, when the caller asks to hold and the head changes
 * nothing but messages, kept as a held head (./held-heads.ts) to be merged later by
 * `mergeHeld`, once for the whole group.
 * @module
 */
import { GitswarmError } from '../errors.js'
import { mergeBaseTree, mergeTrees } from '../git/merge.js'
import type { ObjectStore } from '../git/object-store.js'
import { readTree } from '../git/tree.js'
import { brokenOnPurpose } from '../util/fault-points.js'
import type { Conversation } from './conversation.js'

export interface TakeInResult {
  result: 'up-to-date' | 'fast-forward' | 'merged' | 'held' | 'kept-in-quarantine'
  /** Heads newly held (result 'held', or beside a fast-forward). */
  held: string[]
}

/**
 * Takes `tips` (validated, in the repository) into `conv`, in order. With `hold`, a head
 * that diverged from `main` without touching membership, votes or the profile is held
 * instead of merged.
 */
export function takeIn(conv: Conversation, tips: readonly string[], peer: string, hold: boolean): TakeInResult {
  let [forwarded, merged, quarantined] = [false, false, false]
  const toHold: string[] = []
  for (const tip of tips) {
    const ours = conv.head
    if (ours === tip || conv.view.isAncestor(tip, ours)) continue
    if (conv.view.isAncestor(ours, tip) || brokenOnPurpose.mergeDropsOurs) {
      conv.advanceMain(tip, ours)
      forwarded = true
    } else if (onlyMergesApart(conv, ours, tip)) {
      // Both sides merged the same histories, each with its own merge commit: the larger id
      // wins on both (the other side decides the same), instead of merging merges forever.
      if (tip > ours) (conv.advanceMain(tip, ours), (forwarded = true))
    } else if (hold && sameStateApartFromDevices(conv.repo.objects, conv.view.commit(ours).fields.tree, conv.view.commit(tip).fields.tree)) {
      toHold.push(tip)
    } else if (mergeInto(conv, ours, tip, peer)) merged = true
    else quarantined = true
  }
  const before = new Set(conv.heldHeads())
  const held = toHold.length > 0 ? conv.hold(toHold).filter((id) => !before.has(id)) : []
  const result = merged ? 'merged' : forwarded ? 'fast-forward' : held.length > 0 ? 'held' : quarantined ? 'kept-in-quarantine' : 'up-to-date'
  return { result, held }
}

/**
 * Merges every held head into `main` (one two-parent merge commit per head, in id order);
 * returns the merge commits written. A head that cannot be merged stays held and is
 * reported as a `merge-conflict` conversationError.
 */
export function mergeHeld(conv: Conversation): string[] {
  const written: string[] = []
  for (const tip of conv.heldHeads()) {
    const ours = conv.head
    if (conv.view.isAncestor(tip, ours)) continue
    if (conv.view.isAncestor(ours, tip)) conv.advanceMain(tip, ours)
    else if (mergeInto(conv, ours, tip, conv.identity?.deviceId ?? '')) written.push(conv.head)
  }
  conv.heldHeads() // drops the merged refs
  return written
}

/**
 * True when the two trees agree on everything but `devices/` (the certificates a device adds
 * with its first commit): neither side changed members, invitations, bans, votes or the
 * profile, so holding one of them changes no answer about who may do what.
 */
function sameStateApartFromDevices(store: ObjectStore, a: string, b: string): boolean {
  if (a === b) return true
  const state = (tree: string) =>
    readTree(store, tree)
      .filter((e) => e.name !== 'devices')
      .map((e) => `${e.mode} ${e.name} ${e.oid}`)
      .join('\n')
  return state(a) === state(b)
}

/**
 * True when `ours` adds nothing to `theirs` but merge commits, and the trees agree: our
 * merge and theirs joined the same histories.
 */
function onlyMergesApart(conv: Conversation, ours: string, theirs: string): boolean {
  if (conv.view.commit(ours).fields.tree !== conv.view.commit(theirs).fields.tree) return false
  const stack = [ours]
  const seen = new Set<string>()
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id) || conv.view.isAncestor(id, theirs)) continue
    seen.add(id)
    const parents = conv.view.commit(id).fields.parents
    if (parents.length < 2 || seen.size > 64) return false
    stack.push(...parents)
  }
  return true
}

/**
 * Writes the merge commit `Merge commit '<theirs>'` (parents ours, theirs) when this device
 * may: it must hold an identity that is still a member in the merged tree. Returns false
 * (the fetched history stays in quarantine, to be taken by a later fast-forward) otherwise.
 */
function mergeInto(conv: Conversation, ours: string, theirs: string, peer: string): boolean {
  if (!conv.identity) return false
  const store = conv.repo.objects
  let tree: string
  try {
    // The view caches parsed commits and answers ancestry by generation numbers.
    const base = mergeBaseTree(store, ours, theirs, conv.view)
    tree = mergeTrees(store, base, conv.view.commit(ours).fields.tree, conv.view.commit(theirs).fields.tree, theirs > ours).tree
  } catch (err) {
    if (!(err instanceof GitswarmError)) throw err
    conv.emit('conversationError', { code: 'merge-conflict', peer, reason: err.message })
    return false
  }
  try {
    conv.commitMerge(theirs, tree)
    return true
  } catch (err) {
    if (!(err instanceof GitswarmError)) throw err
    // e.g. this device's account was banned in the other history: it cannot sign the merge.
    conv.emit('conversationError', { code: 'merge-conflict', peer, reason: err.message })
    return false
  }
}
