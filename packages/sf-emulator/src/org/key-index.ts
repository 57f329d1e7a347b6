// One value index of an object store (a unique or external-id field): index key to record id, or ids for a
// non-unique external id. The `get` / `set` / `delete` of a `Map<string, string | string[]>`, in an open-addressed
// hash table written here.
//
// Why not a `Map`: a Bulk insert of a million rows spent about a tenth of the org's CPU in the unique index's
// `Map.get` and `Map.set` (measured: 1,000,000 lookups and inserts of new keys took 1.0 to 1.8 s in a `Map` and
// 0.38 s in this table, on the same machine in one run). The table keeps its keys and values in arrays (entry
// numbers and their hashes side by side in a typed array of slots), so it grows by doubling one `Int32Array` and
// never hashes a key twice (the hashes are kept in the slots). An id the org made for the index's object is kept as its sequence number (a small integer
// in the array, not an 18-character string a record: a Bulk insert's records keep no id string of their own either,
// see record-columns.ts) and built again when read.
import { idFor } from '../ids.js';
import { isOrgId } from './record-columns.js';
import { sequenceOfId } from './record-map.js';

/** 32-bit FNV-1a over the UTF-16 code units of a string, as a signed 32-bit integer (what the slots hold). */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  return hash | 0;
}

const EMPTY = 0;
const REMOVED = -1;

/** A string-keyed table of ids: what a `Map<string, string | string[]>` gives for get, set and delete. */
export class KeyIndex {
  /**
   * Two numbers a slot: the entry number + 1 (EMPTY, or REMOVED for a deleted entry's slot, skipped by lookups), then
   * the entry's hash. A probe compares the hash beside the slot before it reads a key: a lookup of an absent key
   * touches no key string, and the table's slot and hash share a cache line.
   */
  private slots = new Int32Array(2048);
  /** Slots less one (a power of two less one). */
  private mask = 1023;
  /** Slots not EMPTY (live and removed): the table grows before half of them are taken. */
  private taken = 0;
  private keys: Array<string | undefined> = [];
  /** Per entry: the id (a sequence number when the org made it for `prefix`), the ids, or undefined (removed). */
  private values: Array<string | string[] | number | undefined> = [];
  private live = 0;
  private lastKey: string | undefined;
  private lastHash = 0;
  /**
   * The empty slot where the last lookup that missed ended, for the key it missed (`freeKey`): the slot an add of
   * that key takes while the table is unchanged (any add or rehash clears it).
   */
  private free = 0;
  private freeKey: string | undefined;

  /** `prefix`: the key prefix of the object's ids (its ids are kept as numbers); none keeps every id as given. */
  constructor(private readonly prefix?: string) {}

  get size(): number {
    return this.live;
  }

  get(key: string): string | string[] | undefined {
    const entry = this.find(key, this.hash(key));
    return entry < 0 ? undefined : this.unpacked(this.values[entry]);
  }

  /** What an entry keeps for a value: the sequence number of an id the org made for the prefix, else the value. */
  private packed(value: string | string[]): string | string[] | number {
    if (typeof value === 'string' && this.prefix !== undefined) {
      const sequence = sequenceOfId(value);
      if (sequence >= 0 && sequence <= 0x3fffffff && isOrgId(value, this.prefix)) return sequence;
    }
    return value;
  }

  private unpacked(value: string | string[] | number | undefined): string | string[] | undefined {
    return typeof value === 'number' ? idFor(this.prefix as string, value) : value;
  }

  /**
   * Sets a key the caller has just looked up (`get`) and found absent, without looking it up again: a unique field's
   * key after the duplicate check of an insert.
   */
  setAbsent(key: string, value: string | string[]): void {
    this.add(key, this.hash(key), this.packed(value));
  }

  /**
   * {@link KeyIndex.setAbsent} of the id the org makes for `sequence` with key prefix `prefix`: kept as the number
   * when the prefix is the index's, so a Bulk insert need not build the id string a row. The free slot the last
   * lookup of `key` ended at is taken without probing again (the table unchanged since).
   */
  setAbsentOrgId(key: string, sequence: number, prefix: string): void {
    const value = prefix === this.prefix && sequence >= 0 && sequence <= 0x3fffffff ? sequence : undefined;
    this.add(key, this.hash(key), value ?? this.packed(idFor(prefix, sequence)));
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  set(key: string, value: string | string[]): this {
    const hash = this.hash(key);
    const entry = this.find(key, hash);
    if (entry >= 0) this.values[entry] = this.packed(value);
    else this.add(key, hash, this.packed(value));
    return this;
  }

  /** Adds an entry, its value as kept, for a key known to be absent. */
  private add(key: string, hash: number, value: string | string[] | number): void {
    if ((this.taken + 1) * 2 > this.mask + 1) this.rehash();
    const slots = this.slots;
    const mask = this.mask;
    let at = this.free;
    if (this.freeKey !== key || slots[2 * at] !== EMPTY) {
      at = hash & mask;
      while (slots[2 * at] !== EMPTY) at = (at + 1) & mask;
    }
    this.freeKey = undefined;
    slots[2 * at] = this.keys.length + 1;
    slots[2 * at + 1] = hash;
    this.keys.push(key);
    this.values.push(value);
    this.taken++;
    this.live++;
  }

  /** The hash of `key`, remembered for the next call with the same key (a lookup, then a set of the same key). */
  private hash(key: string): number {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastHash = hashOf(key);
    }
    return this.lastHash;
  }

  delete(key: string): boolean {
    const hash = this.hash(key);
    const slots = this.slots;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[2 * at] as number;
      if (slot === EMPTY) return false;
      if (slot > 0 && slots[2 * at + 1] === hash && this.keys[slot - 1] === key) {
        slots[2 * at] = REMOVED;
        this.keys[slot - 1] = undefined;
        this.values[slot - 1] = undefined;
        this.live--;
        return true;
      }
    }
  }

  /** The entry number of `key`, or -1 (the empty slot the lookup ended at is kept in `free` for an `add` of it). */
  private find(key: string, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = slots[2 * at] as number;
      if (slot === EMPTY) {
        this.free = at;
        this.freeKey = key;
        return -1;
      }
      if (slot > 0 && slots[2 * at + 1] === hash && this.keys[slot - 1] === key) return slot - 1;
    }
  }

  /**
   * A table of at least four slots a live entry, rebuilt from the old one's slots (their hashes kept beside them).
   * Entries keep their numbers unless removed ones make up a quarter of them: then the live entries are renumbered
   * in order.
   */
  private rehash(): void {
    const renumbered = this.keys.length - this.live > this.keys.length / 4 ? this.compact() : undefined;
    let capacity = this.mask + 1;
    while (capacity < this.live * 4) capacity *= 2;
    const old = this.slots;
    const slots = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let from = 0; from < old.length; from += 2) {
      let entry = (old[from] as number) - 1;
      if (entry < 0) continue;
      if (renumbered !== undefined) {
        entry = renumbered[entry] as number;
        if (entry < 0) continue;
      }
      const hash = old[from + 1] as number;
      let at = hash & mask;
      while (slots[2 * at] !== EMPTY) at = (at + 1) & mask;
      slots[2 * at] = entry + 1;
      slots[2 * at + 1] = hash;
    }
    this.slots = slots;
    this.mask = mask;
    this.taken = this.live;
    this.freeKey = undefined;
  }

  /** Drops the removed entries, the live ones renumbered in order: each old entry's new number (-1: dropped). */
  private compact(): Int32Array {
    const renumbered = new Int32Array(this.keys.length).fill(-1);
    const keys: Array<string | undefined> = [];
    const values: Array<string | string[] | number | undefined> = [];
    for (let entry = 0; entry < this.keys.length; entry++) {
      const key = this.keys[entry];
      if (key === undefined) continue;
      renumbered[entry] = keys.length;
      keys.push(key);
      values.push(this.values[entry]);
    }
    this.keys = keys;
    this.values = values;
    return renumbered;
  }
}
