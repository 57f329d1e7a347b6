import { OUTCOME_CODES, type RowOutcome, type SalesforceRecord, unsentOutcome } from '@kicksaw/core';

/** A growable bit set of row numbers (a million rows take 125 KB). */
export class RowSet {
  #bits = new Uint8Array(1024);
  add(row: number): void {
    const byte = row >> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(this.#bits.length * 2, byte + 1));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[byte] = (this.#bits[byte] ?? 0) | (1 << (row & 7));
  }
  delete(row: number): void {
    const byte = row >> 3;
    if (byte < this.#bits.length) this.#bits[byte] = (this.#bits[byte] ?? 0) & ~(1 << (row & 7));
  }
  has(row: number): boolean {
    const byte = row >> 3;
    return byte < this.#bits.length && ((this.#bits[byte] ?? 0) & (1 << (row & 7))) !== 0;
  }
  size(): number {
    let count = 0;
    for (const bits of this.#bits) {
      let b = bits;
      while (b) {
        count += b & 1;
        b >>= 1;
      }
    }
    return count;
  }
  /** The set as base64 (trailing empty bytes dropped), for a parked state. */
  toBase64(): string {
    let end = this.#bits.length;
    while (end > 0 && this.#bits[end - 1] === 0) end--;
    return Buffer.from(this.#bits.subarray(0, end)).toString('base64');
  }
  static fromBase64(text: string | undefined): RowSet {
    const set = new RowSet();
    const bytes = Buffer.from(text ?? '', 'base64');
    if (bytes.length > 0) {
      set.#bits = new Uint8Array(Math.max(1024, bytes.length));
      set.#bits.set(bytes);
    }
    return set;
  }
  /** How many of the rows 1..`last` the set holds. */
  countThrough(last: number): number {
    let count = 0;
    const end = Math.min(this.#bits.length, (last >> 3) + 1);
    for (let byte = 0; byte < end; byte++) {
      let b = this.#bits[byte] ?? 0;
      if (b === 0) continue;
      if (byte === 0) b &= ~1; // row 0 is never a data row
      if (byte === last >> 3) b &= (1 << ((last & 7) + 1)) - 1;
      while (b) {
        count += b & 1;
        b >>= 1;
      }
    }
    return count;
  }
  /** The smallest data row (1 or more) the set lacks. */
  firstMissing(): number {
    const bits = this.#bits;
    for (let byte = 0; byte < bits.length; byte++) {
      // Row 0 is never a data row: count it as present.
      const b = (bits[byte] ?? 0) | (byte === 0 ? 1 : 0);
      if (b === 0xff) continue;
      for (let bit = 0; bit < 8; bit++) if ((b & (1 << bit)) === 0) return byte * 8 + bit;
    }
    return bits.length * 8;
  }
  *values(): Generator<number> {
    for (let byte = 0; byte < this.#bits.length; byte++) {
      const bits = this.#bits[byte] ?? 0;
      if (bits === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) yield byte * 8 + bit;
    }
  }
}

/** Rows in either set (a new set). */
export function union(a: RowSet, b: RowSet): RowSet {
  const both = RowSet.fromBase64(a.toBase64());
  for (const row of b.values()) both.add(row);
  return both;
}

/** The outcome of a row the engine never sent because the time limit came first. */
export function notSentOutcome(row: number, record: SalesforceRecord = {}, line?: number): RowOutcome {
  return unsentOutcome({
    row,
    ...(line ? { line } : {}),
    error: {
      statusCode: OUTCOME_CODES.DEADLINE,
      message: 'Not sent: the time limit came before this row was sent; send it again',
      fields: [],
    },
    record,
  });
}
