// One pass a row: the CSV line of a Bulk API upload written as UTF-8 into a buffer, and the row's content hash.
import { canonicalCell, finish53, mayChange } from './hash.js';

/**
 * The hash of the row last written by {@link writeRow} (the same number {@link rowHash} gives its cells). A
 * module variable rather than a returned object: the writer runs once a row and allocates nothing.
 */
export let writtenHash = 0;

/** White space as the regular expression class `\s` has it (what `@kicksaw/csv`'s `edge-spaces` rule quotes). */
function isSpace(ch: number): boolean {
  if (ch <= 32) return ch === 32 || (ch >= 9 && ch <= 13);
  if (ch < 160) return false;
  return (
    ch === 160 ||
    ch === 5760 ||
    (ch >= 8192 && ch <= 8202) ||
    ch === 8232 ||
    ch === 8233 ||
    ch === 8239 ||
    ch === 8287 ||
    ch === 12288 ||
    ch === 65279
  );
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
    let hashed = !mayChange(cell);
    const s1 = h1;
    const s2 = h2;
    const start = p;
    let quote = isSpace(cell.charCodeAt(0)) || isSpace(cell.charCodeAt(length - 1));
    if (!quote) {
      for (let i = 0; i < length; i++) {
        let ch = cell.charCodeAt(i);
        if (ch <= 44 && (ch === 34 || ch === 44 || ch === 10 || ch === 13)) {
          quote = true;
          break;
        }
        if (hashed) {
          h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
          h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
        }
        if (ch < 0x80) target[p++] = ch;
        else if (ch < 0x800) {
          target[p++] = 0xc0 | (ch >> 6);
          target[p++] = 0x80 | (ch & 63);
        } else {
          if (ch >= 0xd800 && ch <= 0xdfff) {
            const next = i + 1 < length ? cell.charCodeAt(i + 1) : 0;
            if (ch <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
              if (hashed) {
                h1 = Math.imul(h1 ^ next, 0x9e3779b1);
                h2 = Math.imul(h2 ^ next, 0x5bd1e995);
              }
              i++;
              const point = 0x10000 + ((ch - 0xd800) << 10) + (next - 0xdc00);
              target[p++] = 0xf0 | (point >> 18);
              target[p++] = 0x80 | ((point >> 12) & 63);
              target[p++] = 0x80 | ((point >> 6) & 63);
              target[p++] = 0x80 | (point & 63);
              continue;
            }
            ch = 0xfffd; // a lone surrogate: U+FFFD, as Buffer.write writes it
          }
          target[p++] = 0xe0 | (ch >> 12);
          target[p++] = 0x80 | ((ch >> 6) & 63);
          target[p++] = 0x80 | (ch & 63);
        }
      }
    }
    if (quote) {
      // Start the cell again, quoted, inner quotes doubled.
      p = start;
      h1 = s1;
      h2 = s2;
      target[p++] = 34;
      for (let i = 0; i < length; i++) {
        let ch = cell.charCodeAt(i);
        if (hashed) {
          if (ch === 13) {
            // canonicalCell turns CRLF into LF: this cell is hashed from its canonical form below.
            hashed = false;
            h1 = s1;
            h2 = s2;
          } else {
            h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
            h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
          }
        }
        if (ch < 0x80) {
          target[p++] = ch;
          if (ch === 34) target[p++] = 34;
        } else if (ch < 0x800) {
          target[p++] = 0xc0 | (ch >> 6);
          target[p++] = 0x80 | (ch & 63);
        } else {
          if (ch >= 0xd800 && ch <= 0xdfff) {
            const next = i + 1 < length ? cell.charCodeAt(i + 1) : 0;
            if (ch <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
              if (hashed) {
                h1 = Math.imul(h1 ^ next, 0x9e3779b1);
                h2 = Math.imul(h2 ^ next, 0x5bd1e995);
              }
              i++;
              const point = 0x10000 + ((ch - 0xd800) << 10) + (next - 0xdc00);
              target[p++] = 0xf0 | (point >> 18);
              target[p++] = 0x80 | ((point >> 12) & 63);
              target[p++] = 0x80 | ((point >> 6) & 63);
              target[p++] = 0x80 | (point & 63);
              continue;
            }
            ch = 0xfffd;
          }
          target[p++] = 0xe0 | (ch >> 12);
          target[p++] = 0x80 | ((ch >> 6) & 63);
          target[p++] = 0x80 | (ch & 63);
        }
      }
      target[p++] = 34;
    }
    if (!hashed) {
      h1 = s1;
      h2 = s2;
      const text = canonicalCell(cell);
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
        h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
      }
    }
  }
  target[p++] = 10;
  writtenHash = finish53(h1, h2);
  return p - at;
}
