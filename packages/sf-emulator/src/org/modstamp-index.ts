// A range index on one datetime field of an object's records (SystemModstamp, CreatedDate), kept by `RecordMap` on
// every write, read by the SOQL planner for `<`, `<=`, `>`, `>=` and `=` conditions on the field.

import { digits } from './values.js';

/** Fields `RecordMap` indexes by range (Salesforce indexes both on every object). */
export const STAMP_FIELDS: readonly string[] = ['SystemModstamp', 'CreatedDate'];

/** At most this many sorted runs are searched; past it, the next search sorts the log into one run first. */
const MAX_RUNS = 16;
/** Entries the log starts with room for. */
const FIRST_CAPACITY = 1024;

/** Radix of each part of a key: month, day, hour, minute, second, millisecond (year is the leading part). */
const MONTHS = 13;
const DAYS = 32;
const HOURS = 24;
const MINUTES = 60;
const SECONDS = 60;
const MILLIS = 1000;

/**
 * The key of a datetime as the org stores it (`2024-06-01T12:00:00.000+0000`, the form of `formatDateTime`): a
 * number in the same order as the strings (the parts read as one mixed-radix number), so that comparing keys compares
 * what SOQL compares (the stored text). -1 when `value` is null or absent; -2 for any other value (a string of
 * another form, a number), which the index cannot order as SOQL does.
 */
export function stampKey(value: unknown): number {
  if (value === null || value === undefined) return -1;
  if (typeof value !== 'string' || value.length !== 28) return -2;
  if (
    value.charCodeAt(4) !== 45 || // -
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 || // T
    value.charCodeAt(13) !== 58 || // :
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 || // .
    value.charCodeAt(23) !== 43 || // +
    value.charCodeAt(24) !== 48 ||
    value.charCodeAt(25) !== 48 ||
    value.charCodeAt(26) !== 48 ||
    value.charCodeAt(27) !== 48
  ) {
    return -2;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  const milli = digits(value, 20, 3);
  if (
    year < 0 ||
    month < 0 ||
    month >= MONTHS ||
    day < 0 ||
    day >= DAYS ||
    hour < 0 ||
    hour >= HOURS ||
    minute < 0 ||
    minute >= MINUTES ||
    second < 0 ||
    second >= SECONDS ||
    milli < 0
  ) {
    return -2;
  }
  return (
    (((((year * MONTHS + month) * DAYS + day) * HOURS + hour) * MINUTES + minute) * SECONDS + second) * MILLIS + milli
  );
}

/**
 * The index of one field: an append-only log of (key, slot) pairs, a slot being the record's place in its
 * `RecordMap`'s array. Every write appends the record's key; `latest` tells, per slot, which entry is its current
 * one (the others are stale and skipped), so a search finds each record once, by the value it holds now. While keys
 * come in order (the org clock moving forward, generated records spread in record order) the log is one sorted run
 * searched by bisection; a key lower than the last one (the clock set back, records loaded in another order) starts
 * a new run, and past MAX_RUNS runs the next search first sorts the current entries into one. The log is compacted
 * (stale entries dropped) when it fills up with more than twice the current entries, so it stays within about twice
 * the records. A value of another form than the org writes (see `stampKey`) turns the index off: searches answer
 * undefined (the caller scans), until `RecordMap.clear`.
 */
export class StampIndex {
  private keys = new Float64Array(FIRST_CAPACITY);
  private slots = new Int32Array(FIRST_CAPACITY);
  private length = 0;
  /** Per slot: 1 + the log position of its current entry, 0 when the slot has none. */
  private latest = new Int32Array(FIRST_CAPACITY);
  /** Current entries (slots with one). */
  private live = 0;
  /** Where each sorted run of the log starts (the first is 0). */
  private runStarts: number[] = [0];
  /** True once a value the index cannot order was written. */
  private off = false;
  /** The last value keyed and its key (a DML call writes one timestamp string on each of its records). */
  private lastValue: unknown;
  private lastKey = -1;

  /** False once a value the index cannot order was written. */
  get usable(): boolean {
    return !this.off;
  }

  /** Records that the record in `slot` now holds `value` (null or absent: none). */
  write(slot: number, value: unknown): void {
    if (this.off) return;
    let key: number;
    if (value === this.lastValue) key = this.lastKey;
    else {
      key = stampKey(value);
      if (key === -2) {
        this.turnOff();
        return;
      }
      this.lastValue = value;
      this.lastKey = key;
    }
    if (slot >= this.latest.length) this.latest = grown(this.latest, slot + 1);
    const old = this.latest[slot]! - 1;
    if (key < 0) {
      if (old >= 0) this.remove(slot);
      return;
    }
    if (old >= 0 && this.keys[old] === key) return; // unchanged (an update leaving CreatedDate alone)
    if (old < 0) this.live++;
    if (this.length === this.keys.length) this.makeRoom();
    const at = this.length;
    if (at > this.runStarts[this.runStarts.length - 1]! && this.keys[at - 1]! > key) this.runStarts.push(at);
    this.keys[at] = key;
    this.slots[at] = slot;
    this.latest[slot] = at + 1;
    this.length = at + 1;
  }

  /** Records that `slot` holds no record (or none with a value). */
  remove(slot: number): void {
    if (this.off || slot >= this.latest.length || this.latest[slot] === 0) return;
    this.latest[slot] = 0;
    this.live--;
  }

  /** Turns the index off (see the class comment) and frees its arrays. */
  turnOff(): void {
    this.off = true;
    this.keys = new Float64Array(0);
    this.slots = new Int32Array(0);
    this.latest = new Int32Array(0);
    this.length = 0;
    this.live = 0;
    this.runStarts = [0];
  }

  /**
   * The slots, in ascending order, of the records whose key is in [low, high] (both included), or undefined when the
   * index is off or more than `limit` entries fall in the range (a scan is then as cheap).
   */
  range(low: number, high: number, limit: number): Int32Array | undefined {
    if (this.off) return undefined;
    if (this.runStarts.length > MAX_RUNS) this.sortRuns();
    const keys = this.keys;
    const starts = this.runStarts;
    const firsts: number[] = [];
    const ends: number[] = [];
    let entries = 0;
    for (let run = 0; run < starts.length; run++) {
      const start = starts[run]!;
      const end = run + 1 < starts.length ? starts[run + 1]! : this.length;
      const first = lowerBound(keys, start, end, low);
      const past = high === Number.POSITIVE_INFINITY ? end : upperBound(keys, first, end, high);
      firsts.push(first);
      ends.push(past);
      entries += past - first;
      if (entries > limit) return undefined;
    }
    const found = new Int32Array(entries);
    let count = 0;
    const slots = this.slots;
    const latest = this.latest;
    for (let run = 0; run < firsts.length; run++) {
      for (let at = firsts[run]!; at < ends[run]!; at++) {
        const slot = slots[at]!;
        if (latest[slot] === at + 1) found[count++] = slot;
      }
    }
    const result = found.subarray(0, count);
    if (firsts.length > 1 || !ascending(result)) result.sort();
    return result;
  }

  /** Before an append into a full log: drops stale entries when they are over half, else doubles the room. */
  private makeRoom(): void {
    if (this.length - this.live >= this.live) this.compact();
    if (this.length * 2 > this.keys.length) {
      const capacity = Math.max(FIRST_CAPACITY, this.keys.length * 2);
      const keys = new Float64Array(capacity);
      keys.set(this.keys.subarray(0, this.length));
      const slots = new Int32Array(capacity);
      slots.set(this.slots.subarray(0, this.length));
      this.keys = keys;
      this.slots = slots;
    }
  }

  /** Keeps the current entries only, in their order; runs are found again (each stretch that does not descend). */
  private compact(): void {
    const keys = this.keys;
    const slots = this.slots;
    const latest = this.latest;
    const starts = [0];
    let kept = 0;
    for (let at = 0; at < this.length; at++) {
      const slot = slots[at]!;
      if (latest[slot] !== at + 1) continue;
      const key = keys[at]!;
      if (kept > 0 && keys[kept - 1]! > key) starts.push(kept);
      keys[kept] = key;
      slots[kept] = slot;
      latest[slot] = kept + 1;
      kept++;
    }
    this.length = kept;
    this.runStarts = starts;
  }

  /** Sorts the current entries into one run (stable; a merge of presorted runs is near linear). */
  private sortRuns(): void {
    this.compact();
    const keys = this.keys;
    const slots = this.slots;
    const order: number[] = [];
    for (let at = 0; at < this.length; at++) order.push(at);
    order.sort((left, right) => keys[left]! - keys[right]!);
    const sortedKeys = new Float64Array(keys.length);
    const sortedSlots = new Int32Array(slots.length);
    for (let at = 0; at < order.length; at++) {
      const from = order[at]!;
      sortedKeys[at] = keys[from]!;
      const slot = slots[from]!;
      sortedSlots[at] = slot;
      this.latest[slot] = at + 1;
    }
    this.keys = sortedKeys;
    this.slots = sortedSlots;
    this.runStarts = [0];
  }
}

/** A copy of `array` with room for at least `size` entries (doubling), zeros past the old end. */
function grown(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(Math.max(size, array.length * 2, FIRST_CAPACITY));
  next.set(array);
  return next;
}

/** The first position in [start, end) whose key is >= `key` (end when none). */
function lowerBound(keys: Float64Array, start: number, end: number, key: number): number {
  let low = start;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first position in [start, end) whose key is > `key` (end when none). */
function upperBound(keys: Float64Array, start: number, end: number, key: number): number {
  let low = start;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** True when the slots are already in ascending order. */
function ascending(slots: Int32Array): boolean {
  for (let at = 1; at < slots.length; at++) if (slots[at - 1]! > slots[at]!) return false;
  return true;
}
