import { freeNow } from './free-now.js';
import { finish53, hash53 } from './hash.js';

/**
 * A set of strings (the external id values of the job being built) that keeps two 53-bit hashes of
 * each key in a typed array outside the JS heap: 106 bits, so two different keys look alike with a
 * chance of about n²/2¹⁰⁷ (nil for any job). A `Set<string>` would keep every key as a string on the JS
 * heap (60-90 bytes each) for as long as the job is built: long enough for the garbage collector to move
 * them to the old generation, where a job's worth of dead keys then waits for a full collection.
 *
 * Open addressing with linear probing; a slot is the key's two hashes side by side (16 bytes, so a
 * probe and the next ones share a cache line), and the table is filled up to 3/4 before it doubles:
 * about 26 bytes a key at a 640,000-row job (16 MiB), where separate arrays for the two hashes filled
 * to 1/2 took 32 MiB and missed the cache twice a probe. Sets are reused from job to job through
 * {@link takeKeySet}.
 */
export class KeySet {
  /** Slot i is `slots[2i]` (first hash, 0 = empty) and `slots[2i + 1]` (second hash). */
  private slots: Float64Array;
  private count = 0;
  /** The hashes of the key last asked about ({@link KeySet.has}), for {@link KeySet.addLast}. */
  private lastFirst = 0;
  private lastSecond = 0;

  constructor(capacity = 1 << 12) {
    this.slots = new Float64Array(2 * capacity);
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** True when the key was added before. Its hashes are kept for {@link KeySet.addLast}. */
  has(key: string): boolean {
    // Both hashes in one pass over the key (the same values as firstHash and reverseHash53): the
    // 1M-row profile had has() at 2% of the client's CPU, most of it in two loops over each key.
    const n = key.length;
    let a1 = 0x9e3779b1 ^ 0x51ed;
    let a2 = 0x85ebca77 ^ 0x51ed;
    let b1 = 0x27d4eb2f;
    let b2 = 0x165667b1;
    for (let i = 0; i < n; i++) {
      const ch = key.charCodeAt(i);
      a1 = Math.imul(a1 ^ ch, 0x9e3779b1);
      a2 = Math.imul(a2 ^ ch, 0x5bd1e995);
      const back = key.charCodeAt(n - 1 - i);
      b1 = Math.imul(b1 ^ back, 0x85ebca6b);
      b2 = Math.imul(b2 ^ back, 0xc2b2ae35);
    }
    this.lastFirst = finish53(a1, a2) + 1;
    this.lastSecond = reverseFinish(b1, b2);
    return this.find(this.lastFirst, this.lastSecond) >= 0;
  }

  /** Adds a key (nothing happens when it is already there). */
  add(key: string): void {
    if (!this.has(key)) this.addLast();
  }

  /**
   * Adds the key of the last {@link KeySet.has} call, which must have answered false, without
   * hashing it again (the engine asks, then adds once the row is in the job).
   */
  addLast(): void {
    // At most 3/4 of the slots in use (slots.length / 2 slots).
    if ((this.count + 1) * 8 > this.slots.length * 3) this.grow();
    this.insert(this.lastFirst, this.lastSecond);
    this.count++;
  }

  /** Removes every key; the storage is kept for the next job. */
  clear(): void {
    if (this.count === 0) return;
    this.slots.fill(0);
    this.count = 0;
  }

  /** The slot of a key's hashes, or -1. A 0 first hash means an empty slot (see {@link firstHash}). */
  private find(a: number, b: number): number {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    for (let slot = slotOf(a, mask); ; slot = (slot + 1) & mask) {
      const held = slots[2 * slot] as number;
      if (held === 0) return -1;
      if (held === a && slots[2 * slot + 1] === b) return slot;
    }
  }

  private insert(a: number, b: number): void {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    let slot = slotOf(a, mask);
    while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
    slots[2 * slot] = a;
    slots[2 * slot + 1] = b;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i] as number;
      if (a !== 0) this.insert(a, old[i + 1] as number);
    }
    freeNow(old);
  }
}

/** The first hash of a key, plus one so that 0 can mark an empty slot. @internal exported for tests */
export function firstHash(key: string): number {
  return hash53(key, 0x51ed) + 1;
}

function slotOf(hash: number, mask: number): number {
  return (hash >>> 0) & mask;
}

/** A second, independent 53-bit hash: other multipliers, characters taken from the end. */
export function reverseHash53(text: string): number {
  let h1 = 0x27d4eb2f;
  let h2 = 0x165667b1;
  for (let i = text.length - 1; i >= 0; i--) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 0x85ebca6b);
    h2 = Math.imul(h2 ^ ch, 0xc2b2ae35);
  }
  return reverseFinish(h1, h2);
}

function reverseFinish(a: number, b: number): number {
  let h1 = a;
  let h2 = b;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x7feb352d);
  h1 ^= h1 >>> 15;
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0x846ca68b);
  h2 ^= h2 >>> 16;
  return 4294967296 * (0x1fffff & h2) + (h1 >>> 0);
}

const spare: KeySet[] = [];

/** A cleared key set, reused when one was given back. */
export function takeKeySet(): KeySet {
  return spare.pop() ?? new KeySet();
}

/**
 * Gives a key set back for the next job (it is cleared; one is kept: only the job being built needs one, and
 * a set grown for a job of 98,304 rows, the default, holds 2 MiB; for 250,000 rows 8 MiB).
 */
export function giveKeySet(set: KeySet): void {
  set.clear();
  if (spare.length < 1 && !spare.includes(set)) spare.push(set);
}
