import { StringDecoder } from 'node:string_decoder';
import { KicksawError } from '@kicksaw/core';

/** A CSV from Salesforce that cannot be read: an unclosed quote at the end (code `CSV_UNCLOSED_QUOTE`). */
export class CsvReadError extends KicksawError {
  override name = 'CsvReadError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'CSV_UNCLOSED_QUOTE', cause: options.cause });
  }
}

/**
 * Parses complete records of comma-separated RFC 4180 text from `start`, pushing them to `out` (at
 * most `maxRecords`); returns the position after the last record parsed (an incomplete record is
 * left for the next call). With `final`, the end of `text` ends the last record. LF or CRLF line
 * ends; quoted values may hold commas, quotes (doubled) and line breaks.
 */
export function parseCsvChunk(
  text: string,
  final: boolean,
  out: string[][],
  start = 0,
  maxRecords = Number.POSITIVE_INFINITY,
): number {
  const n = text.length;
  let pos = start;
  const stopAt = out.length + maxRecords;
  outer: while (pos < n && out.length < stopAt) {
    const fields: string[] = [];
    let i = pos;
    for (;;) {
      if (i < n && text.charCodeAt(i) === 34) {
        let j = i + 1;
        let value = '';
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            if (final) throw new CsvReadError('Unclosed quote at the end of the CSV');
            break outer;
          }
          if (q + 1 >= n && !final) break outer;
          if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
            value += text.slice(j, q + 1);
            j = q + 2;
            continue;
          }
          value += text.slice(j, q);
          i = q + 1;
          break;
        }
        // Anything between the closing quote and the next delimiter is kept (lenient).
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === 44 || c === 10) break;
          if (c === 13 && (i + 1 >= n || text.charCodeAt(i + 1) === 10)) {
            if (i + 1 >= n && !final) break outer;
            i++;
            continue;
          }
          value += text[i];
          i++;
        }
        fields.push(value);
        if (i >= n) {
          if (!final) break outer;
          out.push(fields);
          pos = n;
          break outer;
        }
        if (text.charCodeAt(i) === 44) {
          i++;
          continue;
        }
        out.push(fields);
        pos = i + 1;
        continue outer;
      }
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10) break;
        j++;
      }
      if (j >= n && !final) break outer;
      const terminator = j < n ? text.charCodeAt(j) : -1;
      let end = j;
      if (terminator !== 44 && end > i && text.charCodeAt(end - 1) === 13) end--;
      fields.push(text.slice(i, end));
      if (terminator === 44) {
        i = j + 1;
        continue;
      }
      out.push(fields);
      pos = terminator === -1 ? n : j + 1;
      continue outer;
    }
  }
  return pos;
}

/**
 * Reads CSV records from a byte stream in small batches (arrays of at most `batchSize` records),
 * with flat memory: only the current chunk and an incomplete record are held, and each batch is
 * parsed only when the consumer asks for it, so parsed rows die young (a whole chunk parsed ahead
 * would outlive garbage collections and be promoted to the old generation). A leading BOM is
 * dropped; blank lines are skipped.
 */
export async function* readCsvRecords(
  stream: AsyncIterable<Uint8Array | string>,
  batchSize = 32,
): AsyncGenerator<string[][]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let first = true;
  function* take(text: string, final: boolean): Generator<string[][]> {
    let s = rest + text;
    rest = '';
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    let pos = 0;
    while (pos < s.length) {
      const out: string[][] = [];
      const next = parseCsvChunk(s, final, out, pos, batchSize);
      if (out.length === 0) break;
      pos = next;
      const kept = out.filter((record) => record.length > 1 || record[0] !== '');
      if (kept.length > 0) yield kept;
    }
    rest = pos < s.length ? s.slice(pos) : '';
  }
  for await (const chunk of stream) {
    yield* take(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer), false);
  }
  yield* take(decoder.end(), true);
}

/** {@link readCsvRecords}, one record at a time. */
export async function* readCsvRows(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  for await (const batch of readCsvRecords(stream)) yield* batch;
}
