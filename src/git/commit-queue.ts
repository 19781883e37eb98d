/**
 * A priority queue of commits by committer time, as git's revision walks use it.
 * @module
 */
import { Heap } from '../util/heap.js'

export interface GraphNode {
  id: string
  parents: readonly string[]
  time: number
}

/** Newest commit first; among equal times, the one queued first (git's prio_queue). */
export class CommitQueue<T extends { time: number }> {
  private readonly heap = new Heap<T>((a, b) => a.time > b.time)

  get size(): number {
    return this.heap.size
  }

  push(node: T): void {
    this.heap.push(node)
  }

  pop(): T {
    return this.heap.pop()!
  }
}

