// Records of one shape kept as columns: one array a field instead of one object a record. `RecordMap` appends the
// records it is given to a segment whose key list they share and hands out a new object built from the columns
// each time a record is read.
//
// Why: a Bulk insert of a million records spent about a third of the org's CPU in the garbage collector copying
// and marking what each record keeps (the record object, its id, its repeated stamps and users), and an org of
// 5,000,000 records did not fit in a 4 GB heap. In a segment a record costs a few bytes a field: repeated values
// (stamps, users, flags, picklists) are one-byte codes into a small dictionary, numbers sit in a `Float64Array`,
// the id is computed from the row's sequence number, a custom object's default Name (the id's first 15
// characters) likewise; other values are held in one plain array a field. A million records are a few dozen
// long-lived arrays, so the collector has almost nothing to copy or mark.
import type { OrgRecord } from '../contract.js';
import { idFor } from '../ids.js';

/** Rows a segment holds at most (a handle is the segment's number times this plus the row). */
export const SEGMENT_ROWS = 65_536;
/** Segments a `RecordMap` holds at most (handles stay below 2^31, small integers in V8). */
export const MAX_SEGMENTS = 32_000;

/** Column modes. */
const DICT = 0; // one-byte codes into up to 256 distinct values
const NUMBERS = 1; // a Float64Array (numbers only)
const VALUES = 2; // a plain array of the values
const ID = 3; // the record's Id: nothing stored, made from the row's sequence
const ID15 = 4; // the first 15 characters of the record's Id (a custom object's default Name)
const TEXT = 5; // strings of characters up to U+00FF, one byte a character in one buffer, with each row's end
const SAME = 6; // the value of an earlier column of the same row (the audit stamps a write sets together)

const DICT_SIZE = 256;
/** A dictionary is searched linearly up to this size, through a Map after (small segments stay small). */
const DICT_SCAN = 8;
const FIRST_CAPACITY = 16;

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The values of one field over the rows of a segment. */
class Column {
  mode: number;
  codes: Uint8Array = EMPTY_CODES;
  dict: unknown[] = [];
  lookup: Map<unknown, number> | undefined;
  lastValue: unknown = undefined;
  lastCode = -1;
  numbers: Float64Array = EMPTY_NUMBERS;
  values: unknown[] = [];
  /** TEXT: the characters of every row, one after the other, and where each row's end. */
  bytes: Buffer = EMPTY_BYTES;
  used = 0;
  ends: Uint32Array = EMPTY_ENDS;
  /** SAME: the earlier column whose value this one repeats. */
  same = -1;

  constructor(mode: number, capacity: number, same = -1) {
    this.mode = mode;
    this.same = same;
    if (mode === DICT) this.codes = new Uint8Array(capacity);
  }

  /** Drops the room a full segment's text no longer needs (when it is more than an eighth of it). */
  seal(): void {
    if (this.mode !== TEXT || this.bytes.length - this.used <= this.bytes.length / 8) return;
    const bytes = Buffer.allocUnsafeSlow(this.used);
    this.bytes.copy(bytes, 0, 0, this.used);
    this.bytes = bytes;
  }

  /** Grows the typed array of the column's mode to `capacity` rows. */
  grow(capacity: number): void {
    if (this.mode === DICT) {
      const codes = new Uint8Array(capacity);
      codes.set(this.codes);
      this.codes = codes;
    } else if (this.mode === NUMBERS) {
      const numbers = new Float64Array(capacity);
      numbers.set(this.numbers);
      this.numbers = numbers;
    } else if (this.mode === TEXT) {
      const ends = new Uint32Array(capacity);
      ends.set(this.ends);
      this.ends = ends;
    }
  }

  /** The value of `row` (`id`: its Id; a SAME column is read by the segment). */
  read(row: number, id: string): unknown {
    switch (this.mode) {
      case DICT:
        return this.dict[this.codes[row] as number];
      case NUMBERS:
        return this.numbers[row];
      case VALUES:
        return this.values[row];
      case TEXT:
        return this.bytes.toString('latin1', row === 0 ? 0 : (this.ends[row - 1] as number), this.ends[row] as number);
      case ID:
        return id;
      default:
        return id.slice(0, 15);
    }
  }

  /** Writes the value of `row` (the next row of the segment; `id` is the record's Id). */
  write(segment: Segment, row: number, value: unknown, id: string): void {
    switch (this.mode) {
      case DICT: {
        if (value === this.lastValue && this.lastCode >= 0) {
          this.codes[row] = this.lastCode;
          return;
        }
        const code = this.codeOf(value);
        if (code >= 0) {
          this.codes[row] = code;
          this.lastValue = value;
          this.lastCode = code;
          return;
        }
        this.leaveDict(segment, row);
        this.write(segment, row, value, id);
        return;
      }
      case NUMBERS:
        if (typeof value === 'number') {
          this.numbers[row] = value;
          return;
        }
        this.toValues(segment, row);
        this.values.push(value);
        return;
      case VALUES:
        this.values.push(value);
        return;
      case TEXT:
        if (typeof value === 'string' && this.text(row, value)) return;
        this.toValues(segment, row);
        this.values.push(value);
        return;
      case ID:
        return; // the segment checked that the Id is the row's id
      case SAME:
        if (value === segment.valueOf(this.same)) return;
        this.toValues(segment, row);
        this.values.push(value);
        return;
      default:
        if (typeof value === 'string' && value.length === 15 && id.startsWith(value)) return;
        this.toValues(segment, row);
        this.values.push(value);
    }
  }

  /** The code of a value in the dictionary (added when new), or -1 when the dictionary is full or `value` is -0. */
  private codeOf(value: unknown): number {
    const dict = this.dict;
    if (this.lookup !== undefined) {
      const code = this.lookup.get(value);
      if (code !== undefined) return code;
    } else {
      for (let code = 0; code < dict.length; code++) if (dict[code] === value) return code;
    }
    // A Map's keys make 0 and -0 one key: -0 leaves the dictionary, and so do NaNs (never === themselves).
    if (dict.length >= DICT_SIZE || (typeof value === 'number' && (Number.isNaN(value) || Object.is(value, -0)))) {
      return -1;
    }
    const code = dict.length;
    dict.push(value);
    if (this.lookup !== undefined) this.lookup.set(value, code);
    else if (dict.length > DICT_SCAN) this.lookup = new Map(dict.map((known, at) => [known, at]));
    return code;
  }

  /**
   * Writes the characters of `value` as the text of `row` (the next row): false, with nothing written, when one of
   * them is above U+00FF.
   */
  text(row: number, value: string): boolean {
    const length = value.length;
    let at = this.used;
    if (at + length > this.bytes.length) {
      // Past a few thousand rows, room for a full segment at the bytes a row so far (and a twentieth more): one
      // copy instead of one a doubling (a million rows' text was copied about three times over).
      const estimate = row >= 4096 ? Math.ceil((at / row) * SEGMENT_ROWS * 1.05) : 0;
      const bytes = Buffer.allocUnsafeSlow(Math.max(256, 2 * this.bytes.length, at + length, estimate));
      this.bytes.copy(bytes, 0, 0, at);
      this.bytes = bytes;
    }
    const bytes = this.bytes;
    for (let index = 0; index < length; index++) {
      const code = value.charCodeAt(index);
      if (code > 0xff) return false;
      bytes[at++] = code;
    }
    this.used = at;
    this.ends[row] = at;
    return true;
  }

  /**
   * Leaves dictionary mode: numbers when every value so far is a number, text when every one is a string of
   * characters up to U+00FF, else plain values (`rows` rows held).
   */
  private leaveDict(segment: Segment, rows: number): void {
    const dict = this.dict;
    const codes = this.codes;
    if (dict.every((value) => typeof value === 'string' && isLatin1(value))) {
      this.mode = TEXT;
      this.ends = new Uint32Array(segment.capacity);
      for (let row = 0; row < rows; row++) this.text(row, dict[codes[row] as number] as string);
    } else if (dict.every((value) => typeof value === 'number')) {
      const numbers = new Float64Array(segment.capacity);
      for (let row = 0; row < rows; row++) numbers[row] = dict[codes[row] as number] as number;
      this.numbers = numbers;
      this.mode = NUMBERS;
    } else {
      const values = new Array<unknown>(rows);
      for (let row = 0; row < rows; row++) values[row] = dict[codes[row] as number];
      this.values = values;
      this.mode = VALUES;
    }
    this.dict = [];
    this.lookup = undefined;
    this.lastValue = undefined;
    this.lastCode = -1;
    this.codes = EMPTY_CODES;
  }

  /** Moves the column to plain values (`rows` rows held). */
  private toValues(segment: Segment, rows: number): void {
    const values = new Array<unknown>(rows);
    const ids = this.mode === ID15;
    const same = this.mode === SAME ? segment.columns[this.same] : undefined;
    for (let row = 0; row < rows; row++) {
      // A SAME column repeats one that is never an Id column.
      values[row] = same ? same.read(row, '') : this.read(row, ids ? segment.idOfRow(row) : '');
    }
    this.values = values;
    this.numbers = EMPTY_NUMBERS;
    this.bytes = EMPTY_BYTES;
    this.ends = EMPTY_ENDS;
    this.used = 0;
    this.mode = VALUES;
  }
}

const EMPTY_CODES = new Uint8Array(0);
const EMPTY_NUMBERS = new Float64Array(0);
const EMPTY_BYTES = Buffer.alloc(0);
const EMPTY_ENDS = new Uint32Array(0);
/** True when every character of `value` fits a TEXT column (one byte in latin1: U+0000 to U+00FF). */
function isLatin1(value: string): boolean {
  for (let index = 0; index < value.length; index++) if (value.charCodeAt(index) > 0xff) return false;
  return true;
}

/** Record builders by key list: one generated object literal a shape (the key order a stored record has). */
const BUILDERS = new Map<string, (values: unknown[]) => OrgRecord>();

function builderOf(keys: string[]): (values: unknown[]) => OrgRecord {
  const signature = keys.join('\n');
  let build = BUILDERS.get(signature);
  if (build === undefined) {
    const body = keys.map((key, at) => `${JSON.stringify(key)}: v[${at}]`).join(', ');
    build = new Function('v', `return { ${body} };`) as (values: unknown[]) => OrgRecord;
    if (BUILDERS.size >= 1000) BUILDERS.clear();
    BUILDERS.set(signature, build);
  }
  return build;
}

/**
 * True when `id` is an id the org makes (`idFor`) with key prefix `prefix`: the prefix and the checksum checked by
 * character codes (the caller has decoded the sequence from characters 4 to 15).
 */
export function isOrgId(id: string, prefix: string): boolean {
  if (
    id.charCodeAt(0) !== prefix.charCodeAt(0) ||
    id.charCodeAt(1) !== prefix.charCodeAt(1) ||
    id.charCodeAt(2) !== prefix.charCodeAt(2)
  ) {
    return false;
  }
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let index = 0; index < 5; index++) {
      const code = id.charCodeAt(chunk * 5 + index);
      if (code >= 65 && code <= 90) bits |= 1 << index;
    }
    if (id.charCodeAt(15 + chunk) !== SUFFIX_ALPHABET.charCodeAt(bits)) return false;
  }
  return true;
}

/**
 * Rows of records sharing one key list (in order), as columns. Rows are only appended: a record replaced or deleted
 * leaves its row unread (the `RecordMap` points elsewhere), so a row read later always gives the record as stored.
 */
export class Segment {
  readonly keys: string[];
  readonly prefix: string;
  readonly columns: Column[];
  private readonly build: (values: unknown[]) => OrgRecord;
  private readonly scratch: unknown[];
  /** The values of the row being written (`scratch`, or the array `appendValues` was given). */
  private current: unknown[];
  /** True when a column needs the record's Id to be written (a default Name). */
  private readonly idColumns: boolean;
  /** The last other key list {@link Segment.hasKeys} found equal to `keys`. */
  private sameAs: readonly string[] | undefined;
  /** The plans of `pick` by field list. */
  private readonly picks = new Map<
    readonly string[],
    { positions: number[]; build: (values: unknown[]) => OrgRecord; values: unknown[] }
  >();
  /** Sequence number of each row's id. */
  private sequences: Float64Array;
  capacity: number;
  size = 0;
  /** The segment's place in its `RecordMap` (handles are this times SEGMENT_ROWS plus the row). */
  number = 0;

  private constructor(keys: string[], prefix: string, modes: number[], sames: number[]) {
    this.keys = keys;
    this.prefix = prefix;
    this.capacity = FIRST_CAPACITY;
    this.columns = modes.map((mode, at) => new Column(mode, FIRST_CAPACITY, sames[at]));
    this.build = builderOf(keys);
    this.scratch = new Array<unknown>(keys.length);
    this.current = this.scratch;
    this.idColumns = modes.includes(ID15);
    this.sequences = new Float64Array(FIRST_CAPACITY);
  }

  /**
   * A segment for records shaped like `record` (stored under `id`, its Id, of sequence `sequence`), or undefined
   * when the record cannot be kept as columns (not a plain object, an id the org did not make, a `__proto__` key).
   */
  static for(record: OrgRecord, id: string): Segment | undefined {
    if (Object.getPrototypeOf(record) !== Object.prototype) return undefined;
    const prefix = id.slice(0, 3);
    if (!isOrgId(id, prefix)) return undefined;
    const keys: string[] = [];
    const modes: number[] = [];
    const sames: number[] = [];
    const values: unknown[] = [];
    let hasId = false;
    for (const key in record) {
      if (key === '__proto__' || keys.length >= 1000) return undefined;
      const value = record[key];
      let same = -1;
      if (key === 'Id') {
        hasId = true;
        modes.push(ID);
      } else if (typeof value === 'string' && value.length === 15 && id.startsWith(value)) {
        modes.push(ID15);
      } else {
        if (typeof value === 'string') {
          for (let at = 0; at < values.length && same < 0; at++) {
            if (values[at] === value && (modes[at] === DICT || modes[at] === SAME))
              same = sames[at]! >= 0 ? sames[at]! : at;
          }
        }
        modes.push(same >= 0 ? SAME : DICT);
      }
      sames.push(same);
      values.push(value);
      keys.push(key);
    }
    return hasId ? new Segment(keys, prefix, modes, sames) : undefined;
  }

  get full(): boolean {
    return this.size >= SEGMENT_ROWS;
  }

  /**
   * Appends `record` (stored under `id`, its Id, of sequence `sequence`) when it has this segment's keys in order
   * and an id of its prefix: the new row, or -1 (nothing written).
   */
  append(record: OrgRecord, id: string, sequence: number): number {
    if (this.size >= SEGMENT_ROWS || !isOrgId(id, this.prefix)) return -1;
    const keys = this.keys;
    const scratch = this.scratch;
    let at = 0;
    for (const key in record) {
      if (key !== keys[at]) return -1;
      scratch[at++] = record[key];
    }
    if (at !== keys.length) return -1;
    const row = this.writeRow(scratch, id, sequence);
    scratch.fill(undefined);
    return row;
  }

  /**
   * Appends a record given as its values in this segment's key order (`values[at]` for `keys[at]`; the Id's place
   * is not read) whose Id is the org's id of `sequence` with this segment's key prefix: the new row, or -1 (full).
   * No record object is built: a Bulk insert writes its coerced values straight into the columns. `id` is the
   * record's Id when the caller has it (else it is made here, only if a column needs it).
   */
  appendValues(values: unknown[], sequence: number, id?: string): number {
    if (this.size >= SEGMENT_ROWS) return -1;
    return this.writeRow(values, id ?? (this.idColumns ? idFor(this.prefix, sequence) : ''), sequence);
  }

  /** True when every key of `keys` is this segment's, in order (`keys` must not change afterwards: the answer is remembered). */
  hasKeys(keys: readonly string[]): boolean {
    const own = this.keys;
    if (own === keys || keys === this.sameAs) return true;
    if (own.length !== keys.length) return false;
    for (let at = 0; at < own.length; at++) if (own[at] !== keys[at]) return false;
    // A caller's key list is not changed once made (a column insert's): the next rows' are known by identity.
    this.sameAs = keys;
    return true;
  }

  /** Writes the next row from `values` (in key order). */
  private writeRow(values: unknown[], id: string, sequence: number): number {
    const row = this.size;
    if (row >= this.capacity) this.grow();
    this.current = values;
    const columns = this.columns;
    for (let at = 0; at < columns.length; at++) {
      const column = columns[at]!;
      const value = values[at];
      // The common cases inline (a value repeated from the row before, a plain value, a number); the rest, and the
      // changes of mode, in `write`.
      const mode = column.mode;
      if (mode === DICT) {
        if (value === column.lastValue && column.lastCode >= 0) {
          column.codes[row] = column.lastCode;
          continue;
        }
      } else if (mode === VALUES) {
        column.values.push(value);
        continue;
      } else if (mode === NUMBERS) {
        if (typeof value === 'number') {
          column.numbers[row] = value;
          continue;
        }
      } else if (mode === TEXT) {
        if (typeof value === 'string' && column.text(row, value)) continue;
      } else if (mode === ID) continue;
      else if (mode === SAME && value === values[column.same]) continue;
      column.write(this, row, value, id);
    }
    this.sequences[row] = sequence;
    this.size = row + 1;
    this.current = this.scratch;
    if (this.size === SEGMENT_ROWS) for (const column of columns) column.seal();
    return row;
  }

  /** The value of column `at` of the row being appended. */
  valueOf(at: number): unknown {
    return this.current[at];
  }

  private grow(): void {
    // Doubling while small (an object of a few records stays small); four times past 4,096 rows, where a Bulk insert
    // fills the segment (each growth allocates and copies every column: half as many of them).
    const capacity = Math.min(SEGMENT_ROWS, this.capacity * (this.capacity >= 4096 ? 4 : 2));
    const sequences = new Float64Array(capacity);
    sequences.set(this.sequences);
    this.sequences = sequences;
    for (const column of this.columns) column.grow(capacity);
    this.capacity = capacity;
  }

  /** The id of a row. */
  idOfRow(row: number): string {
    return idFor(this.prefix, this.sequences[row] as number);
  }

  /** True when `id`, whose sequence is a row's of this segment, is that row's id (its prefix and checksum). */
  holds(id: string): boolean {
    return isOrgId(id, this.prefix);
  }

  /**
   * A new object with only the fields `names` of the row (undefined for a field the row does not have), for a reader
   * of a few fields (a Bulk query's results page): the rest of the row is not decoded. `names` is compared by
   * identity: one list a reader.
   */
  pick(row: number, names: readonly string[]): OrgRecord {
    let plan = this.picks.get(names);
    if (plan === undefined) {
      plan = {
        positions: names.map((name) => this.keys.indexOf(name)),
        build: builderOf(names as string[]),
        values: new Array<unknown>(names.length),
      };
      if (this.picks.size >= 16) this.picks.clear();
      this.picks.set(names, plan);
    }
    const { positions, values } = plan;
    const columns = this.columns;
    let id = '';
    for (let at = 0; at < positions.length; at++) {
      let position = positions[at]!;
      if (position < 0) {
        values[at] = undefined;
        continue;
      }
      let column = columns[position]!;
      if (column.mode === SAME) {
        position = column.same;
        column = columns[position]!;
      }
      if ((column.mode === ID || column.mode === ID15) && id === '') id = this.idOfRow(row);
      values[at] = column.read(row, id);
    }
    return plan.build(values);
  }

  /** A new record object with the row's values, in the key order it was stored with (`id`: the row's id, if known). */
  record(row: number, id: string = this.idOfRow(row)): OrgRecord {
    const columns = this.columns;
    const scratch = this.scratch;
    for (let at = 0; at < columns.length; at++) {
      const column = columns[at]!;
      scratch[at] = column.mode === SAME ? scratch[column.same] : column.read(row, id);
    }
    return this.build(scratch);
  }
}
