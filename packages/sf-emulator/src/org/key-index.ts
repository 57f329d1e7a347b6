// One value index of an object store (a unique or external-id field): index key to record id, or ids for a
// non-unique external id. The `get` / `set` / `delete` of a `Map<string, string | string[]>`, in an open-addressed
// hash table written here.
//
// Why not a `Map`: a Bulk insert of a million rows spent about a tenth of the org's CPU in the unique index's
// `Map.get` and `Map.set` (measured: 1,000,000 lookups and inserts of new keys took 1.0 to 1.8 s in a `Map` and
// 0.38 s in this table, on the same machine in one run). The table keeps its keys and values in arrays (entry
// numbers in a typed array of slots), so it grows by doubling one `Int32Array` and never rehashes a key twice
// (the hashes are kept).

/** 32-bit FNV-1a over the UTF-16 code units of a string. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

const EMPTY = 0;
const REMOVED = -1;

/** A string-keyed table of ids: what a `Map<string, string | string[]>` gives for get, set and delete. */
export class KeyIndex {
  /** Per slot: entry number + 1, EMPTY, or REMOVED (a deleted entry's slot, skipped by lookups). */
  private slots = new Int32Array(1024);
  private mask = 1023;
  /** Slots not EMPTY (live and removed): the table grows before half of them are taken. */
  private taken = 0;
  private keys: Array<string | undefined> = [];
  private values: Array<string | string[] | undefined> = [];
  private hashes: number[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  get(key: string): string | string[] | undefined {
    const entry = this.find(key, hashOf(key));
    return entry < 0 ? undefined : this.values[entry];
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  set(key: string, value: string | string[]): this {
    const hash = hashOf(key);
    const entry = this.find(key, hash);
    if (entry >= 0) {
      this.values[entry] = value;
      return this;
    }
    if ((this.taken + 1) * 2 > this.slots.length) this.rehash();
    const slots = this.slots;
    const mask = this.mask;
    let at = hash & mask;
    while (slots[at] !== EMPTY) at = (at + 1) & mask;
    slots[at] = this.keys.length + 1;
    this.keys.push(key);
    this.values.push(value);
    this.hashes.push(hash);
    this.taken++;
    this.live++;
    return this;
  }

  delete(key: string): boolean {
    const hash = hashOf(key);
    const slots = this.slots;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[at] as number;
      if (slot === EMPTY) return false;
      if (slot > 0 && this.keys[slot - 1] === key) {
        slots[at] = REMOVED;
        this.keys[slot - 1] = undefined;
        this.values[slot - 1] = undefined;
        this.live--;
        return true;
      }
    }
  }

  /** The entry number of `key`, or -1. */
  private find(key: string, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const keys = this.keys;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[at] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && keys[slot - 1] === key) return slot - 1;
    }
  }

  /** A table of at least four slots a live entry, the live entries renumbered in order (removed ones dropped). */
  private rehash(): void {
    let capacity = this.slots.length;
    while (capacity < this.live * 4) capacity *= 2;
    const keys: Array<string | undefined> = [];
    const values: Array<string | string[] | undefined> = [];
    const hashes: number[] = [];
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let entry = 0; entry < this.keys.length; entry++) {
      const key = this.keys[entry];
      if (key === undefined) continue;
      const hash = this.hashes[entry] as number;
      let at = hash & mask;
      while (slots[at] !== EMPTY) at = (at + 1) & mask;
      slots[at] = keys.length + 1;
      keys.push(key);
      values.push(this.values[entry]);
      hashes.push(hash);
    }
    this.slots = slots;
    this.mask = mask;
    this.keys = keys;
    this.values = values;
    this.hashes = hashes;
    this.taken = keys.length;
  }
}
