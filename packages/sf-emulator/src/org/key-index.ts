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
// see record-columns.ts) and built again when read. The keys themselves are kept as bytes, one a character, in pages
// of 1 MB off the JavaScript heap (a key with a character above U+00FF as its string): a million inserted keys were
// a million strings that every scavenge copied until they were promoted, and every mark-compact then marked. Pages,
// not one buffer doubled, so that growing copies nothing past the first page (the copies showed in the profile).
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
/** An entry's key length when the key is kept as a string (`wide`), or when the entry was deleted. */
const WIDE = 0xffffffff;
const GONE = 0xfffffffe;
/** Key characters a page holds (a longer key stays a string), and the pages at most (offsets stay below 2^32). */
const PAGE_BITS = 20;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;
const MAX_PAGES = 4095;
const FIRST_PAGE = 16 * 1024;
/** `numbers` of an entry whose value is in `others`, and of a removed entry. */
const OTHER = -1;
const NONE = -2;

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
  /** Entries made so far (deleted ones included until a rehash renumbers them). */
  private entries = 0;
  /**
   * Per entry: where its key's characters are (the page number times PAGE plus the offset in it), and how many (WIDE:
   * in `wide`; GONE: deleted).
   */
  private starts = new Uint32Array(1024);
  private lengths = new Uint32Array(1024);
  /** The keys' characters (each up to U+00FF), one byte each; the first page grows up to PAGE, the others are full. */
  private pages: Buffer[] = [];
  /** Where the next key's characters go (page number times PAGE plus the offset). */
  private used = 0;
  /** Keys with a character above U+00FF, by entry. */
  private wide = new Map<number, string>();
  /**
   * Per entry: the sequence number of its id when the org made it for `prefix` (NUMBER_MAX at most), OTHER (its value
   * is in `others`), or NONE (removed). A typed array, not an array of a million small integers pushed one by one:
   * growing that array on the JavaScript heap showed as 2% of a Bulk insert (its copies and the collector's steps).
   */
  private numbers = new Int32Array(1024);
  /** Per entry whose `numbers` is OTHER: its id (as given) or ids. */
  private others = new Map<number, string | string[]>();
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
    return entry < 0 ? undefined : this.unpacked(entry);
  }

  /** What an entry keeps for a value: the sequence number of an id the org made for the prefix, else the value. */
  private packed(value: string | string[]): string | string[] | number {
    if (typeof value === 'string' && this.prefix !== undefined) {
      const sequence = sequenceOfId(value);
      if (sequence >= 0 && sequence <= 0x3fffffff && isOrgId(value, this.prefix)) return sequence;
    }
    return value;
  }

  /** The value of a live entry: its id made again from its sequence number, or as kept. */
  private unpacked(entry: number): string | string[] | undefined {
    const number = this.numbers[entry] as number;
    return number >= 0 ? idFor(this.prefix as string, number) : this.others.get(entry);
  }

  /** Sets entry `entry`'s value as kept: a sequence number, NONE (removed), or an id or ids as given. */
  private setValue(entry: number, value: string | string[] | number): void {
    if (typeof value === 'number') {
      if ((this.numbers[entry] as number) === OTHER) this.others.delete(entry);
      this.numbers[entry] = value;
    } else {
      this.numbers[entry] = OTHER;
      this.others.set(entry, value);
    }
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
    if (entry >= 0) this.setValue(entry, this.packed(value));
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
    const entry = this.entries;
    slots[2 * at] = entry + 1;
    slots[2 * at + 1] = hash;
    this.keep(entry, key);
    this.entries = entry + 1;
    this.setValue(entry, value);
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
      if (slot > 0 && slots[2 * at + 1] === hash && this.keyIs(slot - 1, key)) {
        slots[2 * at] = REMOVED;
        if (this.lengths[slot - 1] === WIDE) this.wide.delete(slot - 1);
        this.lengths[slot - 1] = GONE;
        this.setValue(slot - 1, NONE);
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
      if (slot > 0 && slots[2 * at + 1] === hash && this.keyIs(slot - 1, key)) return slot - 1;
    }
  }

  /**
   * A table of at least four slots a live entry, rebuilt from the old one's slots (their hashes kept beside them).
   * Entries keep their numbers unless removed ones make up a quarter of them: then the live entries are renumbered
   * in order.
   */
  private rehash(): void {
    const renumbered = this.entries - this.live > this.entries / 4 ? this.compact() : undefined;
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
    const count = this.entries;
    const renumbered = new Int32Array(count).fill(-1);
    const { starts, lengths, pages, wide } = this;
    const { numbers, others } = this;
    this.starts = new Uint32Array(Math.max(1024, this.live * 2));
    this.lengths = new Uint32Array(this.starts.length);
    this.numbers = new Int32Array(this.starts.length);
    this.others = new Map();
    this.pages = [];
    this.used = 0;
    this.wide = new Map();
    this.entries = 0;
    for (let entry = 0; entry < count; entry++) {
      const length = lengths[entry] as number;
      if (length === GONE) continue;
      const next = this.entries;
      renumbered[entry] = next;
      if (length === WIDE) {
        this.lengths[next] = WIDE;
        this.wide.set(next, wide.get(entry) as string);
      } else {
        // Room for it was found before (a page of the same size at most): found again.
        const from = starts[entry] as number;
        const at = this.room(length);
        const page = pages[from >>> PAGE_BITS] as Buffer;
        const offset = from & PAGE_MASK;
        page.copy(this.pages[at >>> PAGE_BITS] as Buffer, at & PAGE_MASK, offset, offset + length);
        this.starts[next] = at;
        this.lengths[next] = length;
        this.used = at + length;
      }
      this.entries = next + 1;
      const number = numbers[entry] as number;
      this.numbers[next] = number;
      if (number === OTHER) this.others.set(next, others.get(entry) as string | string[]);
    }
    return renumbered;
  }

  /**
   * Where `length` characters of a new key go (pages added, the first one grown, as needed; `used` not moved), or -1
   * when they cannot be kept as bytes (longer than a page, or past the last page).
   */
  private room(length: number): number {
    if (length > PAGE) return -1;
    let at = this.used;
    let offset = at & PAGE_MASK;
    if (offset + length > PAGE) {
      at += PAGE - offset;
      offset = 0;
    }
    const number = Math.floor(at / PAGE);
    if (number >= MAX_PAGES) return -1;
    const page = this.pages[number];
    if (page === undefined) {
      this.pages.push(Buffer.allocUnsafeSlow(number === 0 ? Math.max(FIRST_PAGE, length) : PAGE));
    } else if (offset + length > page.length) {
      // Only the first page is short: it doubles (copied) up to a full page.
      const grown = Buffer.allocUnsafeSlow(Math.min(PAGE, Math.max(2 * page.length, offset + length)));
      page.copy(grown, 0, 0, offset);
      this.pages[number] = grown;
    }
    return at;
  }

  /** Keeps `key` as entry `entry`'s (the next entry): its characters in a page, or the string when one is wide. */
  private keep(entry: number, key: string): void {
    if (entry >= this.starts.length) {
      const starts = new Uint32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const lengths = new Uint32Array(starts.length);
      lengths.set(this.lengths);
      this.lengths = lengths;
      const numbers = new Int32Array(starts.length);
      numbers.set(this.numbers);
      this.numbers = numbers;
    }
    const length = key.length;
    const start = this.room(length);
    if (start >= 0) {
      const page = this.pages[start >>> PAGE_BITS] as Buffer;
      let at = start & PAGE_MASK;
      let index = 0;
      for (; index < length; index++) {
        const code = key.charCodeAt(index);
        if (code > 0xff) break;
        page[at++] = code;
      }
      if (index === length) {
        this.starts[entry] = start;
        this.lengths[entry] = length;
        this.used = start + length;
        return;
      }
    }
    this.lengths[entry] = WIDE;
    this.wide.set(entry, key);
  }

  /** True when entry `entry`'s key is `key`. */
  private keyIs(entry: number, key: string): boolean {
    const length = this.lengths[entry] as number;
    if (length !== key.length) return length === WIDE && this.wide.get(entry) === key;
    const start = this.starts[entry] as number;
    const page = this.pages[start >>> PAGE_BITS] as Buffer;
    const offset = start & PAGE_MASK;
    for (let index = 0; index < length; index++) if (page[offset + index] !== key.charCodeAt(index)) return false;
    return true;
  }
}
