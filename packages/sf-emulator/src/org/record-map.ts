// The records of one object by id: the `Map` operations the org and the query engine use, kept in an array indexed by
// the id's sequence number while ids come in order (the common case: every id the org makes is its counter in base
// 62), and in a real `Map` from the first write that an array cannot hold in the same order.
import type { OrgRecord } from '../contract.js';
import { ID_POD } from '../ids.js';

/** Base-62 digit value by character code (-1: not a digit), the alphabet of `idFor`. */
const DIGIT = new Int8Array(128).fill(-1);
for (let code = 48; code <= 57; code++) DIGIT[code] = code - 48;
for (let code = 65; code <= 90; code++) DIGIT[code] = code - 55;
for (let code = 97; code <= 122; code++) DIGIT[code] = code - 61;
const POD0 = ID_POD.charCodeAt(0);
const POD1 = ID_POD.charCodeAt(1);
const POD2 = ID_POD.charCodeAt(2);

/** The sequence number an 18-character id of `idFor` was made from, or -1 for any other string. */
export function sequenceOfId(id: string): number {
  if (id.length !== 18 || id.charCodeAt(3) !== POD0 || id.charCodeAt(4) !== POD1 || id.charCodeAt(5) !== POD2) {
    return -1;
  }
  let sequence = 0;
  for (let index = 6; index < 15; index++) {
    const code = id.charCodeAt(index);
    const digit = code < 128 ? (DIGIT[code] as number) : -1;
    if (digit < 0) return -1;
    sequence = sequence * 62 + digit;
  }
  return sequence;
}

/**
 * A `Map<string, OrgRecord>` of one object's records by id, with the same results and the same iteration order
 * (insertion order; replacing a record keeps its place; deleting and setting again moves it to the end).
 *
 * Why not a `Map`: a Bulk insert of a million records spent about a tenth of the org's CPU in `Map.set` of the new ids
 * (growing and rehashing a table of millions of entries, hashing each new key) and a `Map` holds about 20 bytes an
 * entry. Ids made by the org are its counter in base 62, increasing, so while every new id is above the ones held,
 * the record sits in an array at its sequence number less the first one's (a push, 4 bytes an entry; lookups decode
 * the id and compare it with the record's). The first write that would break the order (an id that is not the org's
 * format, a lower one, one far past the others, a key that is not the record's Id) moves every record into a `Map`,
 * which serves from then on.
 */
export class RecordMap {
  /** Dense mode: records by sequence - base; undefined is a hole (another object's id, or deleted). */
  private slots: Array<OrgRecord | undefined> = [];
  private base = 0;
  /** Index of the last record held in `slots` (-1: none). */
  private last = -1;
  private count = 0;
  /** Map mode, once the array cannot keep the order. */
  private map: Map<string, OrgRecord> | undefined;

  get size(): number {
    return this.map ? this.map.size : this.count;
  }

  get(id: string): OrgRecord | undefined {
    if (this.map) return this.map.get(id);
    const at = sequenceOfId(id) - this.base;
    if (at < 0 || at > this.last) return undefined;
    const record = this.slots[at];
    return record !== undefined && record.Id === id ? record : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, record: OrgRecord): this {
    if (this.map) {
      this.map.set(id, record);
      return this;
    }
    const sequence = id === record.Id ? sequenceOfId(id) : -1;
    if (sequence >= 0) {
      if (this.last < 0) {
        // Empty: this id starts the array.
        this.base = sequence;
        this.slots.length = 0;
        this.slots.push(record);
        this.last = 0;
        this.count = 1;
        return this;
      }
      const at = sequence - this.base;
      if (at >= 0 && at <= this.last) {
        const held = this.slots[at];
        if (held !== undefined && held.Id === id) {
          this.slots[at] = record; // replaced in place, as a Map keeps a key's place
          return this;
        }
      } else if (at > this.last && at - this.last <= Math.max(1024, this.count)) {
        const slots = this.slots;
        while (slots.length < at) slots.push(undefined);
        if (slots.length === at) slots.push(record);
        else slots[at] = record;
        this.last = at;
        this.count++;
        return this;
      }
    }
    this.toMap().set(id, record);
    return this;
  }

  delete(id: string): boolean {
    if (this.map) return this.map.delete(id);
    const at = sequenceOfId(id) - this.base;
    if (at < 0 || at > this.last) return false;
    const record = this.slots[at];
    if (record === undefined || record.Id !== id) return false;
    this.slots[at] = undefined;
    this.count--;
    if (at === this.last) {
      let last = at - 1;
      while (last >= 0 && this.slots[last] === undefined) last--;
      this.last = last;
      this.slots.length = last + 1;
    }
    return true;
  }

  clear(): void {
    this.map = undefined;
    this.slots = [];
    this.base = 0;
    this.last = -1;
    this.count = 0;
  }

  values(): IterableIterator<OrgRecord> {
    return this.map ? this.map.values() : new RecordIterator(this.slots);
  }

  keys(): IterableIterator<string> {
    return this.map ? this.map.keys() : mapped(new RecordIterator(this.slots), (record) => record.Id);
  }

  entries(): IterableIterator<[string, OrgRecord]> {
    return this.map
      ? this.map.entries()
      : mapped(new RecordIterator(this.slots), (record): [string, OrgRecord] => [record.Id, record]);
  }

  [Symbol.iterator](): IterableIterator<[string, OrgRecord]> {
    return this.entries();
  }

  forEach(callback: (record: OrgRecord, id: string) => void): void {
    for (const [id, record] of this.entries()) callback(record, id);
  }

  /** Moves every record into a `Map` in their order; the array is dropped. */
  private toMap(): Map<string, OrgRecord> {
    const map = new Map<string, OrgRecord>();
    for (const record of this.slots) if (record !== undefined) map.set(record.Id, record);
    this.map = map;
    this.slots = [];
    this.last = -1;
    this.count = 0;
    return map;
  }
}

/**
 * Iterates the records of an array, skipping holes, as a `Map` iterator does: records replaced or deleted meanwhile
 * are seen as they are when reached, records added at the end are reached too. One class for records only (the
 * query engine's scans go through it), so its `next` stays monomorphic; it hands out one result object, refilled
 * at each step (for-of and spreading read it at once): a scan of a million records then allocates nothing.
 */
class RecordIterator implements IterableIterator<OrgRecord> {
  private at = 0;
  private readonly step: { value: OrgRecord | undefined; done: boolean } = { value: undefined, done: false };
  constructor(private readonly slots: Array<OrgRecord | undefined>) {}

  next(): IteratorResult<OrgRecord> {
    const slots = this.slots;
    const step = this.step;
    while (this.at < slots.length) {
      const record = slots[this.at++];
      if (record !== undefined) {
        step.value = record;
        return step as IteratorResult<OrgRecord>;
      }
    }
    step.value = undefined;
    step.done = true;
    return step as IteratorResult<OrgRecord>;
  }

  [Symbol.iterator](): IterableIterator<OrgRecord> {
    return this;
  }
}

/** The keys or entries of a record iterator. */
function* mapped<T>(records: Iterator<OrgRecord>, pick: (record: OrgRecord) => T): IterableIterator<T> {
  for (let step = records.next(); !step.done; step = records.next()) yield pick(step.value);
}
