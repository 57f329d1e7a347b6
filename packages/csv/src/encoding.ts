import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { ConfigError, InputError } from '@kicksaw/core';

/**
 * How the bytes of a CSV source are decoded.
 *
 * - `'auto'` (default): a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE); without one the file must be valid
 *   UTF-8 (ASCII is). A file that is not is refused with an `InputError` (code `CSV_ENCODING`) telling which
 *   encoding to declare, when the invalid bytes are in its first 64 KiB; past that, each row holding invalid
 *   bytes becomes a row-level problem (code `CSV_ENCODING`) and the other rows go on.
 * - Any WHATWG encoding label Node's `TextDecoder` knows: `'utf-8'`, `'utf-16le'`, `'utf-16be'`,
 *   `'windows-1252'`, `'latin1'` / `'iso-8859-1'` (both decode as windows-1252, as browsers do), `'iso-8859-15'`,
 *   `'shift_jis'`, ... A byte-order mark still wins over a declared encoding.
 */
export type CsvEncoding =
  | 'auto'
  | 'utf-8'
  | 'utf8'
  | 'utf-16le'
  | 'utf-16be'
  | 'windows-1252'
  | 'latin1'
  | 'iso-8859-1'
  | (string & {});

/** Bytes looked at before the first row is read: encoding, binary content and the header. */
export const SNIFF_BYTES = 64 * 1024;

/** Turns source bytes into UTF-8 bytes for the parser. */
export interface Utf8Feed {
  /** The encoding in use, as `TextDecoder` names it (`utf-8`, `utf-16le`, `windows-1252`, ...). */
  readonly encoding: string;
  /** True once bytes that are not valid in the encoding were seen (only tracked for UTF-8). */
  readonly invalid: boolean;
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

const EMPTY = Buffer.alloc(0);

/** UTF-8 input goes to the parser as is (no decode/encode round trip); it is validated with `isUtf8`. */
class Utf8Passthrough implements Utf8Feed {
  readonly encoding = 'utf-8';
  invalid = false;
  #carry: Buffer | undefined;

  push(chunk: Buffer): Buffer {
    let buf = this.#carry === undefined ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = undefined;
    const cut = completeLength(buf);
    if (cut < buf.length) {
      this.#carry = Buffer.from(buf.subarray(cut));
      buf = buf.subarray(0, cut);
    }
    if (!this.invalid && !isUtf8(buf)) this.invalid = true;
    return buf;
  }

  end(): Buffer {
    const carry = this.#carry;
    this.#carry = undefined;
    if (carry === undefined) return EMPTY;
    this.invalid = true; // a multi-byte sequence cut off by the end of the file
    return carry;
  }
}

/** Any other encoding: decoded with a streaming `TextDecoder`, re-encoded as UTF-8 for the parser. */
class DecodingFeed implements Utf8Feed {
  readonly encoding: string;
  /** Set when a UTF-16 decode gave U+FFFD (a lone surrogate, an odd byte): those rows become problems. */
  invalid = false;
  readonly #decoder: TextDecoder;
  readonly #unicode: boolean;

  constructor(encoding: string) {
    this.#decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: true });
    this.encoding = this.#decoder.encoding;
    this.#unicode = this.encoding.startsWith('utf-');
  }

  push(chunk: Buffer): Buffer {
    return this.#encode(this.#decoder.decode(chunk, { stream: true }));
  }

  end(): Buffer {
    return this.#encode(this.#decoder.decode());
  }

  #encode(text: string): Buffer {
    if (this.#unicode && !this.invalid && text.includes('\uFFFD')) this.invalid = true;
    return Buffer.from(text, 'utf8');
  }
}

/** Length of the prefix of `buf` that does not end inside a multi-byte UTF-8 sequence. */
function completeLength(buf: Buffer): number {
  const len = buf.length;
  for (let i = len - 1; i >= 0 && i >= len - 4; i--) {
    const byte = buf[i] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    if (byte < 0x80) return len;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return i + need > len ? i : len;
  }
  return len;
}

/** Offset of the first byte that makes `buf` invalid UTF-8, or -1. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  const len = buf.length;
  while (i < len) {
    const byte = buf[i] as number;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const need = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 ? (byte <= 0xef ? 3 : 0) : byte >= 0xc2 ? 2 : 0;
    if (need === 0 || i + need > len) return i;
    if (!isUtf8(buf.subarray(i, i + need))) return i;
    i += need;
  }
  return -1;
}

/** What {@link openFeed} found out about the start of a source. */
export interface Sniffed {
  feed: Utf8Feed;
  /** Bytes of byte-order mark to drop from the first chunk. */
  bomLength: number;
}

/**
 * Looks at the first bytes of a source (at most {@link SNIFF_BYTES}, the whole file when shorter) and picks the
 * decoding, refusing binary files and undeclared non-UTF-8 input with a clear `InputError`.
 */
export function openFeed(first: Buffer, declared: CsvEncoding | undefined, source: string | undefined): Sniffed {
  // Judge the first SNIFF_BYTES only, however large the first chunk is: the same file gets the same verdict
  // whatever the source's chunk size (past the window a NUL byte or a bad byte is a problem of its row).
  const window = first.length > SNIFF_BYTES ? first.subarray(0, SNIFF_BYTES) : first;
  const bom = bomOf(window);
  if (bom !== undefined) return { feed: feedFor(bom.encoding), bomLength: bom.length };
  const auto = declared === undefined || declared === 'auto';
  const feed = auto ? new Utf8Passthrough() : feedFor(checkLabel(declared));
  const isUtf16 = feed.encoding === 'utf-16le' || feed.encoding === 'utf-16be';
  if (!isUtf16) refuseBinary(window, source);
  if (auto && !isUtf8(window.subarray(0, completeLength(window)))) refuseEncoding(window, source);
  return { feed, bomLength: 0 };
}

export function feedFor(encoding: string): Utf8Feed {
  return encoding === 'utf-8' ? new Utf8Passthrough() : new DecodingFeed(encoding);
}

function checkLabel(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch (error) {
    throw new ConfigError(`names an encoding this Node cannot decode: "${label}"`, {
      setting: 'encoding',
      hint: "Use a WHATWG label such as 'utf-8', 'windows-1252', 'latin1', 'utf-16le' or 'utf-16be'.",
      cause: error,
    });
  }
}

function bomOf(window: Buffer): { encoding: string; length: number } | undefined {
  if (window[0] === 0xef && window[1] === 0xbb && window[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (window[0] === 0xff && window[1] === 0xfe) {
    if (window[2] === 0 && window[3] === 0) return undefined; // UTF-32LE: refused as binary below
    return { encoding: 'utf-16le', length: 2 };
  }
  if (window[0] === 0xfe && window[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

const SIGNATURES: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx workbook is one): export the sheet as CSV' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel .xls workbook: export the sheet as CSV' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data: decompress it first' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
];

function refuseBinary(window: Buffer, source: string | undefined): void {
  for (const { bytes, what } of SIGNATURES) {
    if (bytes.every((byte, i) => window[i] === byte)) {
      throw new InputError(`This is not a CSV file: it looks like ${what}`, { code: 'CSV_BINARY', source });
    }
  }
  const nul = window.indexOf(0);
  if (nul === -1) return;
  // UTF-16 text without a byte-order mark has a NUL in every other byte of its ASCII characters.
  let evenNul = 0;
  let oddNul = 0;
  const sample = Math.min(window.length, 4096);
  for (let i = 0; i < sample; i++) {
    if (window[i] === 0) {
      if (i % 2 === 0) evenNul++;
      else oddNul++;
    }
  }
  const pairs = sample / 2;
  if (oddNul > pairs * 0.3 && evenNul < pairs * 0.05) {
    throw new InputError(
      "This looks like UTF-16LE text without a byte-order mark: declare it with { encoding: 'utf-16le' }",
      { code: 'CSV_ENCODING', source },
    );
  }
  if (evenNul > pairs * 0.3 && oddNul < pairs * 0.05) {
    throw new InputError(
      "This looks like UTF-16BE text without a byte-order mark: declare it with { encoding: 'utf-16be' }",
      { code: 'CSV_ENCODING', source },
    );
  }
  throw new InputError(
    `This is not a CSV text file: it holds binary data (a NUL byte at offset ${nul}, line ${lineAt(window, nul)})`,
    { code: 'CSV_BINARY', source, line: lineAt(window, nul) },
  );
}

function refuseEncoding(window: Buffer, source: string | undefined): never {
  const at = firstInvalidUtf8(window);
  const offset = at === -1 ? 0 : at;
  const line = lineAt(window, offset);
  const byte = (window[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  const lineStart = window.lastIndexOf(0x0a, offset) + 1;
  let lineEnd = window.indexOf(0x0a, offset);
  if (lineEnd === -1 || lineEnd - lineStart > 120) lineEnd = Math.min(window.length, lineStart + 120);
  const sample = new TextDecoder('windows-1252').decode(window.subarray(lineStart, lineEnd)).replace(/\r$/, '');
  throw new InputError(
    `This file is not valid UTF-8 (byte 0x${byte} at offset ${offset}; read as windows-1252 the line is ` +
      `${JSON.stringify(sample)}). Declare its encoding: { encoding: 'windows-1252' } for most Excel/Windows ` +
      "exports in Western languages, 'latin1', or another TextDecoder label, or save the file as UTF-8",
    { code: 'CSV_ENCODING', source, line },
  );
}

function lineAt(buf: Buffer, offset: number): number {
  let line = 1;
  let i = buf.indexOf(0x0a);
  while (i !== -1 && i < offset) {
    line++;
    i = buf.indexOf(0x0a, i + 1);
  }
  return line;
}
