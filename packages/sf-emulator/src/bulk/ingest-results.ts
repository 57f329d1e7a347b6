// The results of an ingest job: the outcomes of its internal batches kept compactly and formatted as CSV lines
// only when a client downloads them, the unprocessed rows' blocks, and the download written with back-pressure.
import type { ServerResponse } from 'node:http';
import { idFor } from '../ids.js';
import { drainedOrClosed } from '../server/http.js';
import { parseRecord, quote, shuffleInPlace } from './csv.js';
import { type IngestJob, type ResultBatch, uploadText } from './ingest-job.js';

/** Successful or failed result lines of a job, formatted lazily in blocks of about 64 KB. */
export function* resultBlocks(job: IngestJob, successes: boolean, eol: string): Generator<string> {
  const d = job.columnDelimiter;
  const format = job.formatRow ?? ((row: string[]) => row.map(quote).join(d));
  const row = (batch: ResultBatch, r: number) => {
    const start = batch.spans[2 * r] as number;
    const end = batch.spans[2 * r + 1] as number;
    const text = batch.upload
      ? uploadText(batch.upload, start, end)
      : ((batch.texts as string[])[r] as string).slice(start, end);
    return parseRecord(text, d, job.lineEnding);
  };
  let buffer = '';
  for (const batch of job.batches) {
    const { ids, flags, errors, order, idPrefix } = batch;
    if (successes ? errors.size === ids.length : errors.size === 0) continue;
    for (let k = 0; k < order.length; k++) {
      const r = order[k] as number;
      const flag = flags[r] as number;
      if (successes) {
        if ((flag & 1) === 0) continue;
        buffer += `"${resultId(ids[r], idPrefix)}"${d}"${flag & 2 ? 'true' : 'false'}"${d}${format(row(batch, r))}${eol}`;
      } else {
        if ((flag & 1) === 1) continue;
        buffer += `${quote(resultId(ids[r], idPrefix))}${d}${quote(errors.get(r) ?? '')}${d}${format(row(batch, r))}${eol}`;
      }
      if (buffer.length >= 64 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
  }
  if (buffer) yield buffer;
}

/** The id of a result row as kept by the batch (a sequence number with the batch's key prefix, a string, or none). */
export function resultId(id: string | number | null | undefined, prefix: string): string {
  return typeof id === 'number' ? idFor(prefix, id) : (id ?? '');
}

/**
 * Quotes every value of a row and joins them with the delimiter. For rows of the header's width without
 * quote characters, one compiled concatenation; otherwise value by value.
 */
export function rowFormatter(width: number, delimiter: string): (row: string[]) => string {
  const slow = (row: string[]) => {
    let out = '';
    for (let c = 0; c < row.length; c++) out += (c === 0 ? '' : delimiter) + quote(row[c] as string);
    return out;
  };
  if (width === 0 || width > 500) return slow;
  const separator = JSON.stringify(`"${delimiter}"`);
  const body = Array.from({ length: width }, (_, c) => `row[${c}]`).join(` + ${separator} + `);
  const fast = new Function('row', `return '"' + ${body} + '"';`) as (row: string[]) => string;
  return (row) => {
    if (row.length !== width) return slow(row);
    for (let c = 0; c < width; c++) if ((row[c] as string).indexOf('"') !== -1) return slow(row);
    return fast(row);
  };
}

/** 0..n-1, shuffled with the generator when there is one. */
export function rowOrder(n: number, random: (() => number) | undefined): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (random) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] as number;
      order[i] = order[j] as number;
      order[j] = tmp;
    }
  }
  return order;
}

/** Appends one internal batch's unprocessed lines as one block (shuffled within in shuffle mode). */
export function addBlock(job: IngestJob, lines: string[], sequence: number): void {
  if (lines.length === 0) return;
  if (job.random) shuffleInPlace(lines, job.random);
  const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
  job.unprocessed.push(lines.join(eol) + eol);
  job.unprocessedSequence.push(sequence);
}

/** Writes the header and the blocks, honouring back-pressure. */
export async function streamBlocks(res: ServerResponse, head: string, blocks: Iterable<string>): Promise<void> {
  if (head && !res.write(head)) await drainedOrClosed(res, res);
  for (const block of blocks) {
    if (res.destroyed) return;
    if (!res.write(block)) await drainedOrClosed(res, res);
  }
  res.end();
}
