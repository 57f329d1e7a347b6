import { StringDecoder } from 'node:string_decoder';
import { CsvSyntaxError, RowParser } from '@kicksaw/csv';
import { CsvReadError } from './errors.js';

/**
 * Parses complete records of comma-separated text from `start` with `@kicksaw/csv`'s {@link RowParser} (lenient:
 * text after a closing quote is kept, as Salesforce's own readers do), pushing them to `out` (at most
 * `maxRecords`); returns the position after the last record parsed (an incomplete record is left for the next
 * call). With `final`, the end of `text` ends the last record. LF or CRLF line ends.
 */
export function parseCsvChunk(
  text: string,
  final: boolean,
  out: string[][],
  start = 0,
  maxRecords = Number.POSITIVE_INFINITY,
): number {
  const parser = new RowParser({ bom: false });
  parser.push(start === 0 ? text : text.slice(start));
  if (final) parser.end();
  let position = start;
  try {
    parser.parse((fields, _line, _start, _end, next) => {
      out.push(fields);
      position = start + next;
    }, maxRecords);
  } catch (error) {
    throw unclosed(error);
  }
  return position;
}

function unclosed(error: unknown): unknown {
  return error instanceof CsvSyntaxError
    ? new CsvReadError('Unclosed quote at the end of the CSV', { cause: error })
    : error;
}

/**
 * Reads CSV records (Bulk API results: comma-separated, LF or CRLF) from a byte stream in small batches (arrays
 * of at most `batchSize` records) with `@kicksaw/csv`'s {@link RowParser}, with flat memory: only the current
 * chunk and an incomplete record are held, and each batch is parsed only when the consumer asks for it, so parsed
 * rows die young (a whole chunk parsed ahead would outlive garbage collections and be promoted to the old
 * generation). A leading BOM is dropped; empty lines are skipped (a line `""` is a record of one empty
 * value). An unclosed quote at the end is a
 * {@link CsvReadError}.
 */
export async function* readCsvRecords(
  stream: AsyncIterable<Uint8Array | string>,
  batchSize = 32,
): AsyncGenerator<string[][]> {
  const decoder = new StringDecoder('utf8');
  const parser = new RowParser();
  let batch: string[][] = [];
  // Empty lines never reach here (the parser skips them); a line `""` is a record of one empty value.
  const keep = (fields: string[]): void => {
    batch.push(fields);
  };
  function* take(): Generator<string[][]> {
    for (;;) {
      let parsed: number;
      try {
        parsed = parser.parse(keep, batchSize);
      } catch (error) {
        throw unclosed(error);
      }
      if (parsed === 0) return;
      if (batch.length > 0) {
        const full = batch;
        batch = [];
        yield full;
      }
    }
  }
  for await (const chunk of stream) {
    parser.push(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    yield* take();
  }
  parser.push(decoder.end());
  parser.end();
  yield* take();
}

/** {@link readCsvRecords}, one record at a time. */
export async function* readCsvRows(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  for await (const batch of readCsvRecords(stream)) yield* batch;
}
