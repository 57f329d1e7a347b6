import { freeNow } from './free-now.js';

/**
 * The compact per-job reconciliation index: for each row of a job, the hash of the values sent,
 * the input row number and the attempt count: 13 bytes a row while filling, 18 once sealed and sorted by
 * hash once the job's CSV is complete, looked up by binary search. Identical rows share a hash;
 * each result takes one of the remaining row numbers with that content.
 */
export class RowIndex {
  private hashes: Float64Array;
  private rows: Uint32Array;
  private attempts: Uint8Array;
  private count = 0;
  private order: Uint32Array | undefined;
  private sortedHashes: Float64Array | undefined;
  private taken: Uint8Array | undefined;
  private takenCount = 0;
  /**
   * Where each prefix of the sorted hashes starts: `directory[p]` is the first sorted position whose hash has
   * the top `prefixBits` bits `p` (and `directory[p + 1]` the end). A lookup reads this and a few neighbouring
   * hashes instead of binary-searching the whole job (18 steps, most of them cache misses, for 250,000 rows:
   * the largest self time of reconciliation in the 1M-row profile). About 4 bytes for every 2-4 rows.
   */
  private directory: Uint32Array | undefined;
  private prefixBits = 0;
  /** Set by {@link RowIndex.dispose}: every later use throws instead of reading freed arrays. */
  private disposed = false;

  /** Growth stops at this many rows (a job's row cap): a full job then needs no trimming copy. */
  private readonly limit: number;

  constructor(capacity = 1024, limit = Number.POSITIVE_INFINITY) {
    this.limit = limit;
    this.hashes = new Float64Array(capacity);
    this.rows = new Uint32Array(capacity);
    this.attempts = new Uint8Array(capacity);
  }

  /** Number of rows. */
  get size(): number {
    return this.count;
  }

  /** Rows matched so far. */
  get matched(): number {
    return this.takenCount;
  }

  /** Adds a row; returns its position in the job. */
  add(hash: number, row: number, attempts: number): number {
    if (this.order) throw new Error('RowIndex is sealed');
    if (this.disposed) throw new Error('RowIndex is disposed');
    if (!Number.isInteger(row) || row < 0 || row > 0xffffffff) {
      throw new RangeError(`Row numbers must be whole numbers from 0 to 4294967295, got ${String(row)}`);
    }
    if (this.count === this.hashes.length) this.grow();
    const at = this.count++;
    this.hashes[at] = hash;
    this.rows[at] = row;
    this.attempts[at] = Math.min(attempts, 255);
    return at;
  }

  private grow(): void {
    const length = this.hashes.length;
    // Doubling, but never past the limit (unless already there): the typed arrays left behind are garbage.
    const size = length < this.limit ? Math.min(length * 2, this.limit) : length * 2;
    const hashes = new Float64Array(size);
    hashes.set(this.hashes);
    const rows = new Uint32Array(size);
    rows.set(this.rows);
    const attempts = new Uint8Array(size);
    attempts.set(this.attempts);
    freeNow(this.hashes);
    freeNow(this.rows);
    freeNow(this.attempts);
    this.hashes = hashes;
    this.rows = rows;
    this.attempts = attempts;
  }

  /** Trims storage and sorts for lookups. Called once the job's rows are all added. */
  seal(): this {
    if (this.order) return this;
    if (this.disposed) throw new Error('RowIndex is disposed');
    const n = this.count;
    if (this.rows.length !== n) {
      const [hashes, rows, attempts] = [this.hashes, this.rows, this.attempts];
      this.hashes = hashes.slice(0, n);
      this.rows = rows.slice(0, n);
      this.attempts = attempts.slice(0, n);
      freeNow(hashes);
      freeNow(rows);
      freeNow(attempts);
    }
    const hashes = this.hashes;
    const order = sortOrder(hashes, n);
    // Sort the hashes in place (hashes[i] = old hashes[order[i]], one cycle of the permutation at a
    // time) instead of into a copy; `taken` marks visited positions and is cleared afterwards.
    const taken = new Uint8Array(n);
    for (let start = 0; start < n; start++) {
      if (taken[start] === 1) continue;
      const first = hashes[start] as number;
      let i = start;
      for (;;) {
        taken[i] = 1;
        const from = order[i] as number;
        if (from === start) {
          hashes[i] = first;
          break;
        }
        hashes[i] = hashes[from] as number;
        i = from;
      }
    }
    taken.fill(0);
    this.order = order;
    this.sortedHashes = hashes;
    this.taken = taken;
    this.buildDirectory(hashes, n);
    // The position-ordered copy is gone: toJSON() rebuilds it from order + sorted.
    this.hashes = new Float64Array(0);
    return this;
  }

  /** Fills {@link RowIndex.directory} for `n` sorted hashes: about one prefix for every 2-4 rows. */
  private buildDirectory(sorted: Float64Array, n: number): void {
    let bits = 1;
    while (bits < 21 && 2 ** (bits + 2) <= n) bits++;
    this.prefixBits = bits;
    const directory = new Uint32Array(2 ** bits + 1);
    // Counts per prefix, then each prefix's start (sorted hashes: prefixes ascend with the positions).
    for (let i = 0; i < n; i++) {
      const p = prefixOf(sorted[i] as number, bits) + 1;
      directory[p] = (directory[p] as number) + 1;
    }
    for (let p = 1; p < directory.length; p++) directory[p] = (directory[p] as number) + (directory[p - 1] as number);
    this.directory = directory;
  }

  /** Takes the first remaining row with this hash; returns its position, or -1 when none remains. */
  take(hash: number): number {
    const sorted = this.sortedHashes;
    const order = this.order;
    const taken = this.taken;
    const directory = this.directory;
    if (!sorted || !order || !taken || !directory) throw new Error(`RowIndex is ${this.state()}`);
    const p = prefixOf(hash, this.prefixBits);
    let lo = directory[p] as number;
    let hi = directory[p + 1] as number;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length && sorted[i] === hash; i++) {
      if (taken[i] === 0) {
        taken[i] = 1;
        this.takenCount++;
        return order[i] as number;
      }
    }
    return -1;
  }

  /** Input row number at a position. */
  rowAt(position: number): number {
    if (this.disposed) throw new Error('RowIndex is disposed');
    return this.rows[position] as number;
  }

  /** Attempts so far (this job included) at a position. */
  attemptsAt(position: number): number {
    if (this.disposed) throw new Error('RowIndex is disposed');
    return this.attempts[position] as number;
  }

  /**
   * Frees the index's arrays at once (see {@link freeNow}): called when the job's rows all have their outcomes or
   * were handed over for resume (serialized first). Any later use throws.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const array of [
      this.hashes,
      this.rows,
      this.attempts,
      this.order,
      this.sortedHashes,
      this.taken,
      this.directory,
    ]) {
      freeNow(array);
    }
    this.hashes = new Float64Array(0);
    this.rows = new Uint32Array(0);
    this.attempts = new Uint8Array(0);
    this.order = undefined;
    this.sortedHashes = undefined;
    this.taken = undefined;
    this.directory = undefined;
  }

  private state(): string {
    return this.disposed ? 'disposed' : 'not sealed';
  }

  /** Positions no result has taken, in job order. */
  remaining(): number[] {
    const taken = this.taken;
    const order = this.order;
    if (!taken || !order) throw new Error(`RowIndex is ${this.state()}`);
    const out: number[] = [];
    for (let i = 0; i < taken.length; i++) if (taken[i] === 0) out.push(order[i] as number);
    return out.sort((a, b) => a - b);
  }

  /** Serializes the unsealed data (hashes, rows, attempts) as base64, for a pending job. */
  toJSON(): { hashes: string; rows: string; attempts: string } {
    if (this.disposed) throw new Error('RowIndex is disposed');
    const n = this.count;
    const b64 = (view: ArrayBufferView, bytes: number) =>
      Buffer.from(view.buffer, view.byteOffset, bytes).toString('base64');
    let hashes = this.hashes;
    if (this.order && this.sortedHashes) {
      hashes = new Float64Array(n);
      for (let i = 0; i < n; i++) hashes[this.order[i] as number] = this.sortedHashes[i] as number;
    }
    const json = {
      hashes: b64(hashes, n * 8),
      rows: b64(this.rows, n * 4),
      attempts: b64(this.attempts, n),
    };
    if (hashes !== this.hashes) freeNow(hashes);
    return json;
  }

  /** Rebuilds an index from {@link RowIndex.toJSON}. */
  static fromJSON(data: { hashes: string; rows: string; attempts: string }): RowIndex {
    const hashes = Buffer.from(data.hashes, 'base64');
    const rows = Buffer.from(data.rows, 'base64');
    const attempts = Buffer.from(data.attempts, 'base64');
    const n = rows.length / 4;
    const index = new RowIndex(Math.max(1, n));
    const h = new Float64Array(n);
    new Uint8Array(h.buffer).set(hashes.subarray(0, n * 8));
    const r = new Uint32Array(n);
    new Uint8Array(r.buffer).set(rows.subarray(0, n * 4));
    for (let i = 0; i < n; i++) index.add(h[i] as number, r[i] as number, attempts[i] ?? 1);
    freeNow(h);
    freeNow(r);
    return index.seal();
  }
}

/** The top `bits` bits (at most 21) of a 53-bit hash. */
function prefixOf(hash: number, bits: number): number {
  return Math.floor(hash / 4294967296) >>> (21 - bits);
}

const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
const RADIX_MASK = RADIX - 1;

/**
 * Positions 0..n-1 ordered by hash, ties in position order: a stable LSD radix sort over the 53-bit
 * hashes (three 11-bit digits of the low 32 bits, two of the high 21), digits taken from the hashes
 * as it goes (no copies). Works on typed arrays only: a comparator sort would box every element on
 * the JS heap (about 19 MB of garbage per million rows, which V8 promotes and lets pile up), and
 * this is O(n).
 */
function sortOrder(hashes: Float64Array, n: number): Uint32Array {
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(RADIX);
  // Digit `pass` of a hash: passes 0-2 from its low 32 bits, 3-4 from its high 21.
  const digit = (hash: number, pass: number): number =>
    pass < 3
      ? ((hash >>> 0) >>> (pass * RADIX_BITS)) & RADIX_MASK
      : (Math.floor(hash / 4294967296) >>> ((pass - 3) * RADIX_BITS)) & RADIX_MASK;
  for (let pass = 0; pass < 5; pass++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const d = digit(hashes[i] as number, pass);
      counts[d] = (counts[d] as number) + 1;
    }
    // Every row has the same digit: this pass would not move anything.
    if (counts[digit(hashes[0] as number, pass)] === n) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[d] as number;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = order[i] as number;
      const d = digit(hashes[at] as number, pass);
      const to = counts[d] as number;
      next[to] = at;
      counts[d] = to + 1;
    }
    const swap = order;
    order = next;
    next = swap;
  }
  freeNow(next);
  return order;
}
