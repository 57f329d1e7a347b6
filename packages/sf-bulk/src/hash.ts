/**
 * Content hashing for reconciliation: a row's sent values and a result row's echoed values hash to
 * the same 53-bit number when Salesforce echoes what was sent (allowing for the small normalizations
 * it applies: surrounding spaces, CRLF inside values, number and boolean spelling).
 */

/**
 * Canonical form of one CSV cell for matching.
 *
 * @example
 * ```ts
 * canonicalCell(' 42.50 '); // '42.5'
 * ```
 *
 * @internal Reconciliation's matching by content; exported for tests and benchmarks, not a stable API.
 */
export function canonicalCell(value: string): string {
  let v = value;
  if (v.length === 0) return v;
  if (v.includes('\r')) v = v.replace(/\r\n?/g, '\n');
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  if (first <= 32 || last <= 32) v = v.trim();
  const c = v.charCodeAt(0);
  const numeric = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46;
  if (numeric && v.length <= 15) {
    const plain = plainDecimal(v);
    if (plain !== undefined) return plain;
  }
  if (numeric && v.length <= 24 && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n) && (Math.abs(n) <= Number.MAX_SAFE_INTEGER || v.length <= 15)) return String(n);
  } else if (v.length === 4 || v.length === 5) {
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower;
  }
  return v;
}

/**
 * `String(Number(v))` for the common spelling of a number, `-?digits[.digits]` in at most 15 characters, without
 * the regular expression, the number and the new string that way takes (the 1M-row profile had canonicalCell at
 * 0.7 s, mostly amounts such as `13.10` on both sides of the match); undefined for any other text, which takes the
 * general way. Exact: a decimal of at most 15 significant digits is the shortest spelling of the double nearest to
 * it, so String writes its digits back, without trailing zeros in the fraction and leading zeros in the integer
 * part; zero is `0` (also `-0`), and below 1e-6 String would switch to an exponent, which this leaves to the
 * general way. A test compares the two ways on 400,000 generated spellings.
 */
function plainDecimal(v: string): string | undefined {
  const n = v.length;
  const negative = v.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  let point = -1;
  for (let i = start; i < n; i++) {
    const ch = v.charCodeAt(i);
    if (ch === 46 && point < 0 && i > start) point = i;
    else if (ch < 48 || ch > 57) return undefined;
  }
  if (start >= n) return undefined;
  const intEnd = point < 0 ? n : point;
  let intStart = start;
  while (intStart < intEnd - 1 && v.charCodeAt(intStart) === 48) intStart++;
  let fracEnd = n;
  if (point >= 0) while (fracEnd > point + 1 && v.charCodeAt(fracEnd - 1) === 48) fracEnd--;
  const fraction = point >= 0 && fracEnd > point + 1;
  const zeroInt = intEnd - intStart === 1 && v.charCodeAt(intStart) === 48;
  if (zeroInt && !fraction) return '0';
  if (zeroInt) {
    let zeros = 0;
    while (v.charCodeAt(point + 1 + zeros) === 48) zeros++;
    if (zeros >= 6) return undefined;
  }
  if (intStart === start && fracEnd === n && (point < 0 || fraction)) return v;
  const digits = fraction ? `${v.slice(intStart, intEnd)}.${v.slice(point + 1, fracEnd)}` : v.slice(intStart, intEnd);
  return negative ? `-${digits}` : digits;
}

/**
 * A 53-bit string hash (two 32-bit multiply-xorshift lanes), returned as an exact integer `number`.
 * Fast in V8 and with no allocation; collisions are about n²/2⁵⁴ for n rows.
 *
 * @example
 * ```ts
 * hash53('Acme\u0001Berlin'); // a whole number below 2^53
 * ```
 *
 * @internal Reconciliation's matching by content; exported for tests and benchmarks, not a stable API.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0x9e3779b1 ^ seed;
  let h2 = 0x85ebca77 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
  }
  return finish53(h1, h2);
}

/**
 * Hash of a row from its cells in the job's column order: {@link hash53} of the canonical cells
 * joined by U+0001, computed without building the joined string. Most cells are canonical already
 * (plain text, a number spelled the shortest way): those are hashed as they are, in one pass and with
 * no allocation; only the rest go through {@link canonicalCell} (which the profile of a 1M-row run
 * showed as the largest cost of matching by content).
 *
 * @example
 * ```ts
 * rowHash(['Acme', '1.0']) === rowHash(['Acme ', '1']); // true
 * ```
 *
 * @internal Reconciliation's matching by content; exported for tests and benchmarks, not a stable API.
 */
export function rowHash(cells: readonly string[]): number {
  let h1 = 0x9e3779b1;
  let h2 = 0x85ebca77;
  for (let c = 0; c < cells.length; c++) {
    if (c > 0) {
      h1 = Math.imul(h1 ^ 1, 0x9e3779b1);
      h2 = Math.imul(h2 ^ 1, 0x5bd1e995);
    }
    const cell = cells[c] ?? '';
    if (!mayChange(cell)) {
      const s1 = h1;
      const s2 = h2;
      let i = 0;
      for (; i < cell.length; i++) {
        const ch = cell.charCodeAt(i);
        if (ch === 13) break; // a CR inside: canonicalCell turns CRLF into LF
        h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
        h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
      }
      if (i === cell.length) continue;
      h1 = s1;
      h2 = s2;
    }
    LANES[0] = h1;
    LANES[1] = h2;
    mixText(canonicalCell(cell), LANES);
    h1 = LANES[0] as number;
    h2 = LANES[1] as number;
  }
  return finish53(h1, h2);
}

/** The two 32-bit lanes of a row hash in progress, for {@link mixText} (no object a call). @internal */
export const LANES = new Int32Array(2);

/** Mixes the characters of `text` into the two lanes of a row hash (as {@link hash53} does). @internal */
export function mixText(text: string, lanes: Int32Array): void {
  let h1 = lanes[0] as number;
  let h2 = lanes[1] as number;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 0x9e3779b1);
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
  }
  lanes[0] = h1;
  lanes[1] = h2;
}

/**
 * False when {@link canonicalCell} returns the cell unchanged (CRs aside, which the caller checks
 * while hashing): no surrounding white space, not a spelling of true/false, and either not a number
 * at all or a number already in its shortest form. True means "ask canonicalCell".
 *
 * @internal
 */
export function mayChange(v: string): boolean {
  const n = v.length;
  if (n === 0) return false;
  const first = v.charCodeAt(0);
  if (first <= 32 || v.charCodeAt(n - 1) <= 32) return true;
  if ((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46) return numberMayChange(v);
  if (n === 4 || n === 5) {
    const lower = first | 32;
    // t, f: maybe True / FALSE; `true` and `false` as they are stay as they are (a boolean column of a
    // 1M-row file sent every row through canonicalCell, twice).
    return (lower === 116 || lower === 102) && v !== 'true' && v !== 'false';
  }
  return false;
}

/**
 * For a cell starting like a number: false when it cannot match the number pattern of
 * {@link canonicalCell} (a date, a phone number: a character outside digits, point, exponent, or a
 * sign other than a leading one or an exponent's)
 * or is a number spelled as `String(Number(v))` spells it: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?` with at
 * most 15 digits (so it round-trips exactly), not `-0`, and not below 1e-6 (which String writes
 * with an exponent).
 */
function numberMayChange(v: string): boolean {
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const ch = v.charCodeAt(i);
    if (ch >= 48 && ch <= 57) continue;
    if (ch === 46 || ch === 101 || ch === 69) continue;
    // A sign only leads the number or its exponent: `1990-05-12` cannot be a number.
    if ((ch === 45 || ch === 43) && (i === 0 || (v.charCodeAt(i - 1) | 32) === 101)) continue;
    return false;
  }
  let i = v.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  if (i >= n) return true;
  let digits = 0;
  const lead = v.charCodeAt(i);
  const zero = lead === 48;
  if (zero) {
    i++;
    digits++;
  } else if (lead >= 49 && lead <= 57) {
    while (i < n && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) {
      i++;
      digits++;
    }
  } else return true;
  if (i === n) return (zero && negative) || digits > 15;
  if (v.charCodeAt(i) !== 46) return true;
  i++;
  if (i === n) return true;
  let leadingZeros = 0;
  let counting = zero;
  let last = 0;
  for (; i < n; i++) {
    const ch = v.charCodeAt(i);
    if (ch < 48 || ch > 57) return true;
    if (counting && ch === 48) leadingZeros++;
    else counting = false;
    digits++;
    last = ch;
  }
  return last === 48 || digits > 15 || leadingZeros >= 5;
}

/** The final mix of {@link hash53}'s two lanes into 53 bits. @internal */
export function finish53(a: number, b: number): number {
  let h1 = a;
  let h2 = b;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return 4294967296 * (0x1fffff & h2) + (h1 >>> 0);
}
