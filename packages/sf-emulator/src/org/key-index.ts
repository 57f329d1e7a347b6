// One value index of an object store (a unique or external-id field): index key to record id, or ids for a
// non-unique external id. The `get` / `set` / `delete` of a `Map<string, string | string[]>`, in an open-addressed
// hash table written here.
//
// Why not a `Map`: a Bulk insert of a million rows spent about a tenth of the org's CPU in the unique index's
// `Map.get` and `Map.set` (measured: 1,000,000 lookups and inserts of new keys took 1.0 to 1.8 s in a `Map` and
// 0.38 s in this table, on the same machine in one run). The table keeps its keys and values in arrays (entry
// numbers in a typed array of slots), so it grows by doubling one `Int32Array` and never rehashes a key twice
// (the hashes are kept). An id the org made for the index's object is kept as its sequence number (a small integer
// in the array, not an 18-character string a record: a Bulk insert's records keep no id string of their own either,
// see record-columns.ts) and built again when read.
import { idFor } from '../ids.js';
import { isOrgId } from './record-columns.js';
import { sequenceOfId } from './record-map.js';

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
  /** Per entry: the id (a sequence number when the org made it for `prefix`), the ids, or undefined (removed). */
  private values: Array<string | string[] | number | undefined> = [];
  private hashes: number[] = [];
  private live = 0;
  private lastKey: string | undefined;
  private lastHash = 0;

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
    this.insert(key, this.hash(key), value);
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  set(key: string, value: string | string[]): this {
    const hash = this.hash(key);
    const entry = this.find(key, hash);
    if (entry >= 0) this.values[entry] = this.packed(value);
    else this.insert(key, hash, value);
    return this;
  }

  /** Adds an entry for a key known to be absent. */
  private insert(key: string, hash: number, value: string | string[]): void {
    if ((this.taken + 1) * 2 > this.slots.length) this.rehash();
    const slots = this.slots;
    const mask = this.mask;
    let at = hash & mask;
    while (slots[at] !== EMPTY) at = (at + 1) & mask;
    slots[at] = this.keys.length + 1;
    this.keys.push(key);
    this.values.push(this.packed(value));
    this.hashes.push(hash);
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

  /**
   * A table of at least four slots a live entry. Entries keep their numbers (only the slots are rebuilt, from the
   * kept hashes) unless removed ones make up a quarter of them: then the live entries are renumbered in order.
   */
  private rehash(): void {
    if (this.keys.length - this.live > this.keys.length / 4) this.compact();
    let capacity = this.slots.length;
    while (capacity < this.live * 4) capacity *= 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    const keys = this.keys;
    const hashes = this.hashes;
    for (let entry = 0; entry < keys.length; entry++) {
      if (keys[entry] === undefined) continue;
      let at = (hashes[entry] as number) & mask;
      while (slots[at] !== EMPTY) at = (at + 1) & mask;
      slots[at] = entry + 1;
    }
    this.slots = slots;
    this.mask = mask;
    this.taken = this.live;
  }

  /** Drops the removed entries: the live ones renumbered in order. */
  private compact(): void {
    const keys: Array<string | undefined> = [];
    const values: Array<string | string[] | number | undefined> = [];
    const hashes: number[] = [];
    for (let entry = 0; entry < this.keys.length; entry++) {
      const key = this.keys[entry];
      if (key === undefined) continue;
      keys.push(key);
      values.push(this.values[entry]);
      hashes.push(this.hashes[entry] as number);
    }
    this.keys = keys;
    this.values = values;
    this.hashes = hashes;
  }
}
