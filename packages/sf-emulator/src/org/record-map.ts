// The records of one object by id: the `Map` operations the org and the query engine use, kept in an array indexed by
// the id's sequence number while ids come in order (the common case: every id the org makes is its counter in base
// 62), and in a real `Map` from the first write that an array cannot hold in the same order. In the array, records of
// a shape seen before are kept as columns (`Segment`, record-columns.ts) and built again as objects when read.
import type { OrgRecord } from '../contract.js';
import { ID_POD } from '../ids.js';
import { STAMP_FIELDS, StampIndex } from './modstamp-index.js';
import { MAX_SEGMENTS, SEGMENT_ROWS, Segment } from './record-columns.js';

/** A segment is small below this many rows. */
const SMALL_ROWS = 64;
/** Small segments a `RecordMap` makes before keeping records of new shapes as objects. */
const MAX_SMALL = 16;

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
 *
 * In the array, a record is not kept as the object it was set with: it is appended to a segment of columns of
 * records with the same keys in the same order (record-columns.ts), and the array holds a small integer (the
 * segment's number and the row). Each read (`get`, the iterators) builds a new object from the columns, equal to
 * the one set, with its keys in the same order: a record read is a copy, and changing it changes nothing stored
 * (every writer of the org sets a new object; none changes a stored one in place). A record that fits no segment
 * (not a plain object, an id the org did not make) is kept as it is.
 *
 * Every write to the array also goes into the range indexes of SystemModstamp and CreatedDate (modstamp-index.ts),
 * by the record's place in the array, so that whatever writes records (DML, the Bulk ingest, generate, seed, a saved
 * org loaded) keeps them; the SOQL planner reads them through `stampRange`. In Map mode they are off.
 */
export class RecordMap {
  /** Dense mode: by sequence - base, a record, a handle into a segment, or undefined (a hole). */
  private slots: Array<OrgRecord | number | undefined> = [];
  private base = 0;
  /** Index of the last record held in `slots` (-1: none). */
  private last = -1;
  private count = 0;
  /** Map mode, once the array cannot keep the order. */
  private map: Map<string, OrgRecord> | undefined;
  /** Every segment, by number. */
  private segments: Segment[] = [];
  /** Segments with room, the one last appended to first (at most four shapes are tried a record). */
  private open: Segment[] = [];
  /**
   * Segments of fewer than SMALL_ROWS rows. While there are MAX_SMALL of them, a record of a new shape is kept as an
   * object, all but one in SMALL_ROWS (`refused` counts them): records of many shapes (each update adding other
   * fields) would otherwise make a segment each, costing more than the objects; a shape that then comes often still
   * gets its segment after a few records.
   */
  private small = 0;
  private refused = 0;
  /** Range indexes of STAMP_FIELDS (same order), over slots; off in Map mode (see `stampRange`). */
  private stamps: StampIndex[] = STAMP_FIELDS.map(() => new StampIndex());
  /** The key list `setValues` last saw, and where each of STAMP_FIELDS is in it (-1: absent). */
  private stampKeys: readonly string[] | undefined;
  private stampPositions: number[] = [];

  get size(): number {
    return this.map ? this.map.size : this.count;
  }

  get(id: string): OrgRecord | undefined {
    if (this.map) return this.map.get(id);
    const at = sequenceOfId(id) - this.base;
    if (at < 0 || at > this.last) return undefined;
    const slot = this.slots[at];
    if (slot === undefined) return undefined;
    if (typeof slot === 'number') {
      const segment = this.segments[(slot / SEGMENT_ROWS) | 0]!;
      return segment.holds(id) ? segment.record(slot % SEGMENT_ROWS, id) : undefined;
    }
    return slot.Id === id ? slot : undefined;
  }

  has(id: string): boolean {
    if (this.map) return this.map.has(id);
    const at = sequenceOfId(id) - this.base;
    if (at < 0 || at > this.last) return false;
    const slot = this.slots[at];
    return slot !== undefined && this.isIdOf(slot, id);
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
        this.slots.push(this.kept(record, id, sequence));
        this.last = 0;
        this.count = 1;
        this.indexStamps(0, record);
        return this;
      }
      const at = sequence - this.base;
      if (at >= 0 && at <= this.last) {
        const held = this.slots[at];
        if (held !== undefined && this.isIdOf(held, id)) {
          this.slots[at] = this.kept(record, id, sequence); // replaced in place, as a Map keeps a key's place
          this.indexStamps(at, record);
          return this;
        }
      } else if (at > this.last && at - this.last <= Math.max(1024, this.count)) {
        const slots = this.slots;
        while (slots.length < at) slots.push(undefined);
        const kept = this.kept(record, id, sequence);
        if (slots.length === at) slots.push(kept);
        else slots[at] = kept;
        this.last = at;
        this.count++;
        this.indexStamps(at, record);
        return this;
      }
    }
    this.toMap().set(id, record);
    return this;
  }

  /**
   * Sets a new record given as its values in the order of `keys` (its Id the org's id of `sequence` for key prefix
   * `prefix`), without a record object, when it can go straight into a segment of these keys: true when stored,
   * false when nothing was done (the caller then builds the record and calls `set`, which gives the same result).
   * It can when the map keeps its array, the id lands past the last one held (as a new id does) and a segment of
   * these keys with room is among the four last appended to. `id`: the record's Id when the caller has it.
   */
  setValues(keys: readonly string[], prefix: string, values: unknown[], sequence: number, id?: string): boolean {
    if (this.map || this.last < 0) return false;
    const at = sequence - this.base;
    if (at <= this.last || at - this.last > Math.max(1024, this.count)) return false;
    const open = this.open;
    for (let position = 0; position < open.length; position++) {
      const segment = open[position]!;
      if (segment.prefix !== prefix || !segment.hasKeys(keys)) continue;
      const row = segment.appendValues(values, sequence, id);
      if (row < 0) return false;
      if (row === SMALL_ROWS - 1) this.small--;
      if (segment.full) open.splice(position, 1);
      else if (position > 0) {
        open.splice(position, 1);
        open.unshift(segment);
      }
      const slots = this.slots;
      while (slots.length < at) slots.push(undefined);
      const handle = segment.number * SEGMENT_ROWS + row;
      if (slots.length === at) slots.push(handle);
      else slots[at] = handle;
      this.last = at;
      this.count++;
      if (keys !== this.stampKeys) {
        this.stampKeys = keys;
        this.stampPositions = STAMP_FIELDS.map((field) => keys.indexOf(field));
      }
      const positions = this.stampPositions;
      for (let field = 0; field < positions.length; field++) {
        const position = positions[field]!;
        this.stamps[field]!.write(at, position < 0 ? undefined : values[position]);
      }
      return true;
    }
    return false;
  }

  delete(id: string): boolean {
    if (this.map) return this.map.delete(id);
    const at = sequenceOfId(id) - this.base;
    if (at < 0 || at > this.last) return false;
    const slot = this.slots[at];
    if (slot === undefined || !this.isIdOf(slot, id)) return false;
    this.slots[at] = undefined;
    this.count--;
    for (const index of this.stamps) index.remove(at);
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
    this.segments = [];
    this.open = [];
    this.small = 0;
    this.refused = 0;
    this.stamps = STAMP_FIELDS.map(() => new StampIndex());
  }

  values(): IterableIterator<OrgRecord> {
    return this.map ? this.map.values() : new RecordIterator(this.slots, this.segments);
  }

  keys(): IterableIterator<string> {
    return this.map ? this.map.keys() : slotKeys(this.slots, this.segments);
  }

  entries(): IterableIterator<[string, OrgRecord]> {
    return this.map
      ? this.map.entries()
      : mapped(new RecordIterator(this.slots, this.segments), (record): [string, OrgRecord] => [record.Id, record]);
  }

  [Symbol.iterator](): IterableIterator<[string, OrgRecord]> {
    return this.entries();
  }

  forEach(callback: (record: OrgRecord, id: string) => void): void {
    for (const [id, record] of this.entries()) callback(record, id);
  }

  /**
   * The records in iteration order as they are kept, without building them: a record, or a number `recordAt` builds
   * the record from (a segment's row: rows never change, so the list is a snapshot, as a list of records is). A Bulk
   * query's results hold this instead of a million records built at once.
   */
  keptRows(): KeptRows {
    if (this.map) return { rows: [...this.map.values()], recordAt: noHandles, pickAt: noHandles };
    const rows: Array<OrgRecord | number> = [];
    for (const slot of this.slots) if (slot !== undefined) rows.push(slot);
    return { rows, ...this.keptReader() };
  }

  /**
   * The places (ascending, so in iteration order) of the records whose `field` (one of STAMP_FIELDS) holds a datetime
   * whose key (`stampKey`) is in [low, high], both included; undefined when the field has no usable index (Map mode,
   * a value of another form written) or more than `limit` entries fall in the range. `recordAt` and `keptAt` read a
   * place; a place whose record was deleted since reads undefined.
   */
  stampRange(field: string, low: number, high: number, limit: number): Int32Array | undefined {
    if (this.map) return undefined;
    const position = STAMP_FIELDS.indexOf(field);
    return position < 0 ? undefined : this.stamps[position]!.range(low, high, limit);
  }

  /** The record at a place of `stampRange`, or undefined. */
  recordAt(place: number): OrgRecord | undefined {
    const slot = this.map ? undefined : this.slots[place];
    if (slot === undefined) return undefined;
    return typeof slot === 'number' ? this.segments[(slot / SEGMENT_ROWS) | 0]!.record(slot % SEGMENT_ROWS) : slot;
  }

  /** The row as kept (see `keptRows`) at a place of `stampRange`, or undefined. */
  keptAt(place: number): OrgRecord | number | undefined {
    return this.map ? undefined : this.slots[place];
  }

  /** Builds the rows `keptRows` and `keptAt` give as numbers (see `KeptRows`). */
  keptReader(): Omit<KeptRows, 'rows'> {
    if (this.map) return { recordAt: noHandles, pickAt: noHandles };
    const segments = this.segments;
    return {
      recordAt: (handle) => segments[(handle / SEGMENT_ROWS) | 0]!.record(handle % SEGMENT_ROWS),
      pickAt: (handle, names) => segments[(handle / SEGMENT_ROWS) | 0]!.pick(handle % SEGMENT_ROWS, names),
    };
  }

  /** Writes the stamps of the record now at `at` into their indexes. */
  private indexStamps(at: number, record: OrgRecord): void {
    const stamps = this.stamps;
    for (let field = 0; field < stamps.length; field++) stamps[field]!.write(at, record[STAMP_FIELDS[field]!]);
  }

  /** True when a slot holds the record of `id` (a slot found by the id's sequence). */
  private isIdOf(slot: OrgRecord | number, id: string): boolean {
    return typeof slot === 'number' ? this.segments[(slot / SEGMENT_ROWS) | 0]!.holds(id) : slot.Id === id;
  }

  /** What a slot keeps for a record: a handle into the segment it was appended to, or the record itself. */
  private kept(record: OrgRecord, id: string, sequence: number): OrgRecord | number {
    const open = this.open;
    for (let at = 0; at < open.length; at++) {
      const segment = open[at]!;
      const row = segment.append(record, id, sequence);
      if (row < 0) continue;
      if (row === SMALL_ROWS - 1) this.small--;
      if (segment.full) open.splice(at, 1);
      else if (at > 0) {
        open.splice(at, 1);
        open.unshift(segment);
      }
      return segment.number * SEGMENT_ROWS + row;
    }
    if (this.segments.length >= MAX_SEGMENTS) return record;
    if (this.small >= MAX_SMALL) {
      if (++this.refused < SMALL_ROWS) return record;
      this.refused = 0;
    }
    const segment = Segment.for(record, id);
    if (segment === undefined) return record;
    const row = segment.append(record, id, sequence);
    if (row < 0) return record;
    segment.number = this.segments.length;
    this.segments.push(segment);
    this.small++;
    open.unshift(segment);
    if (open.length > 4) open.pop();
    return segment.number * SEGMENT_ROWS + row;
  }

  /** Moves every record into a `Map` in their order; the array and the segments are dropped. */
  private toMap(): Map<string, OrgRecord> {
    const map = new Map<string, OrgRecord>();
    for (const record of new RecordIterator(this.slots, this.segments)) map.set(record.Id, record);
    this.map = map;
    this.slots = [];
    this.last = -1;
    this.count = 0;
    this.segments = [];
    this.open = [];
    this.small = 0;
    for (const index of this.stamps) index.turnOff();
    return map;
  }
}

/** The records of a `RecordMap` as kept (see `keptRows`). */
export interface KeptRows {
  rows: Array<OrgRecord | number>;
  /** The record of a row kept as a number. */
  recordAt: (handle: number) => OrgRecord;
  /** Only the fields `names` of a row kept as a number (see `Segment.pick`; one list a reader). */
  pickAt: (handle: number, names: readonly string[]) => OrgRecord;
}

function noHandles(): never {
  throw new Error('a record kept in a Map has no segment row');
}

/**
 * Iterates the records of an array, skipping holes, as a `Map` iterator does: records replaced or deleted meanwhile
 * are seen as they are when reached, records added at the end are reached too. One class for records only (the
 * query engine's scans go through it), so its `next` stays monomorphic; it hands out one result object, refilled
 * at each step (for-of and spreading read it at once). A record kept in a segment is built from its columns.
 */
class RecordIterator implements IterableIterator<OrgRecord> {
  private at = 0;
  private readonly step: { value: OrgRecord | undefined; done: boolean } = { value: undefined, done: false };
  constructor(
    private readonly slots: Array<OrgRecord | number | undefined>,
    private readonly segments: Segment[],
  ) {}

  next(): IteratorResult<OrgRecord> {
    const slots = this.slots;
    const step = this.step;
    while (this.at < slots.length) {
      const slot = slots[this.at++];
      if (slot === undefined) continue;
      step.value =
        typeof slot === 'number' ? this.segments[(slot / SEGMENT_ROWS) | 0]!.record(slot % SEGMENT_ROWS) : slot;
      return step as IteratorResult<OrgRecord>;
    }
    step.value = undefined;
    step.done = true;
    return step as IteratorResult<OrgRecord>;
  }

  [Symbol.iterator](): IterableIterator<OrgRecord> {
    return this;
  }
}

/** The ids of the records of an array (a segment's row gives its id without building the record). */
function* slotKeys(slots: Array<OrgRecord | number | undefined>, segments: Segment[]): IterableIterator<string> {
  for (let at = 0; at < slots.length; at++) {
    const slot = slots[at];
    if (slot === undefined) continue;
    yield typeof slot === 'number' ? segments[(slot / SEGMENT_ROWS) | 0]!.idOfRow(slot % SEGMENT_ROWS) : slot.Id;
  }
}

/** The keys or entries of a record iterator. */
function* mapped<T>(records: Iterator<OrgRecord>, pick: (record: OrgRecord) => T): IterableIterator<T> {
  for (let step = records.next(); !step.done; step = records.next()) yield pick(step.value);
}
