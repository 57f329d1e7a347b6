// One pass a row: the CSV line of a Bulk API upload written as UTF-8 into a buffer, and the row's content hash.
import { isWhiteSpace as isSpace } from '@kicksaw/csv';
import { canonicalCell, finish53, LANES, mayChange, mixText } from './hash.js';

/**
 * The hash of the row last written by {@link writeRow} (the same number {@link rowHash} gives its cells). A
 * module variable rather than a returned object: the writer runs once a row and allocates nothing.
 */
export let writtenHash = 0;

/** Set by {@link writeWide}: it wrote a surrogate pair (two UTF-16 units). */
let pairWritten = false;

/**
 * Writes the UTF-8 of the character at `i` of `text` (code unit `ch`, 0x80 or above) at `p`; returns the position
 * after it. A surrogate pair is one 4-byte character ({@link pairWritten} is set: the caller steps over its second
 * unit); a lone surrogate is U+FFFD, as `Buffer.write` writes it.
 */
function writeWide(target: Uint8Array, at: number, text: string, i: number, ch: number): number {
  let p = at;
  pairWritten = false;
  let code = ch;
  if (code < 0x800) {
    target[p++] = 0xc0 | (code >> 6);
    target[p++] = 0x80 | (code & 63);
    return p;
  }
  if (code >= 0xd800 && code <= 0xdfff) {
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      pairWritten = true;
      const point = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      target[p++] = 0xf0 | (point >> 18);
      target[p++] = 0x80 | ((point >> 12) & 63);
      target[p++] = 0x80 | ((point >> 6) & 63);
      target[p++] = 0x80 | (point & 63);
      return p;
    }
    code = 0xfffd;
  }
  target[p++] = 0xe0 | (code >> 12);
  target[p++] = 0x80 | ((code >> 6) & 63);
  target[p++] = 0x80 | (code & 63);
  return p;
}

/** Set by {@link writeCell}: the cell holds a CR (it is then hashed from its canonical form). */
let crFound = false;

/**
 * Writes a cell's characters at `at` (quoted, inner quotes doubled, when `quoted`), mixing them into {@link LANES}
 * when `hashed`; returns the position after it, or -1 when an unquoted cell turns out to need quotes (a quote,
 * comma, CR or LF).
 */
function writeCell(target: Uint8Array, at: number, cell: string, quoted: boolean, hashed: boolean): number {
  let p = at;
  let h1 = LANES[0] as number;
  let h2 = LANES[1] as number;
  crFound = false;
  if (quoted) target[p++] = 34;
  const length = cell.length;
  for (let i = 0; i < length; i++) {
    const ch = cell.charCodeAt(i);
    if (ch <= 44 && (ch === 34 || ch === 44 || ch === 10 || ch === 13)) {
      if (!quoted) return -1;
      if (ch === 34) target[p++] = 34;
      else if (ch === 13) crFound = true;
    }
    if (hashed) {
      h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
      h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
    }
    if (ch < 0x80) target[p++] = ch;
    else {
      p = writeWide(target, p, cell, i, ch);
      if (pairWritten) {
        i++;
        if (hashed) {
          const low = cell.charCodeAt(i);
          h1 = Math.imul(h1 ^ low, 0x9e3779b1);
          h2 = Math.imul(h2 ^ low, 0x5bd1e995);
        }
      }
    }
  }
  if (quoted) target[p++] = 34;
  LANES[0] = h1;
  LANES[1] = h2;
  return p;
}

/**
 * Writes one row as a Bulk API CSV line (the bytes of `@kicksaw/csv`'s `RowEncoder({ nullAs: '#N/A', quote:
 * 'edge-spaces' })` line, UTF-8 as `Buffer.write` encodes it: comma, LF, quoted when a cell holds a quote, comma,
 * CR or LF or has white space at an end, inner quotes doubled, a row of one empty cell as `""`) into `target` at
 * `at`, and sets {@link writtenHash} to the row's {@link rowHash}. Returns the bytes written, or -1 when the line
 * might not fit before `end` (nothing is promised about the bytes there then).
 *
 * Hand-written instead of the encoder + `Buffer.write` + `rowHash` because those are three passes over every
 * cell, a string a row and a `Buffer.byteLength` pass to size it; the 1M-row profile had them at about a fifth
 * of the client's CPU. Here each character is read once, hashed and stored. Tests compare the bytes and the hash
 * with the encoder's and `rowHash`'s for every kind of cell.
 *
 * @internal
 */
export function writeRow(cells: readonly string[], target: Uint8Array, at: number, end: number): number {
  const n = cells.length;
  // Worst case: 3 bytes a UTF-16 unit (a doubled quote is 2, a surrogate pair 4 for 2 units), 2 quotes and a
  // delimiter a cell, the LF. Checked once, so the loops below store without bounds checks.
  let worst = 1 + 3 * n + 2;
  for (let c = 0; c < n; c++) worst += 3 * (cells[c] as string).length;
  if (worst > end - at) return -1;
  let p = at;
  let h1 = 0x9e3779b1;
  let h2 = 0x85ebca77;
  if (n === 1 && cells[0] === '') {
    // A line of one empty cell would be a blank line, which readers skip: written `""`.
    target[p++] = 34;
    target[p++] = 34;
    target[p++] = 10;
    writtenHash = finish53(h1, h2);
    return p - at;
  }
  for (let c = 0; c < n; c++) {
    const cell = cells[c] as string;
    const length = cell.length;
    if (c > 0) {
      target[p++] = 44;
      h1 = Math.imul(h1 ^ 1, 0x9e3779b1);
      h2 = Math.imul(h2 ^ 1, 0x5bd1e995);
    }
    if (length === 0) continue;
    // Hashed while written when canonicalCell would return the cell as it is (a CR inside is found below).
    const hashed = !mayChange(cell);
    LANES[0] = h1;
    LANES[1] = h2;
    let after = -1;
    if (!isSpace(cell.charCodeAt(0)) && !isSpace(cell.charCodeAt(length - 1)))
      after = writeCell(target, p, cell, false, hashed);
    // A cell that needs quotes (found while writing it plain) is written again from its start, quoted.
    if (after < 0) {
      LANES[0] = h1;
      LANES[1] = h2;
      after = writeCell(target, p, cell, true, hashed);
    }
    p = after;
    if (hashed && !crFound) {
      h1 = LANES[0] as number;
      h2 = LANES[1] as number;
    } else {
      LANES[0] = h1;
      LANES[1] = h2;
      mixText(canonicalCell(cell), LANES);
      h1 = LANES[0] as number;
      h2 = LANES[1] as number;
    }
  }
  target[p++] = 10;
  writtenHash = finish53(h1, h2);
  return p - at;
}
