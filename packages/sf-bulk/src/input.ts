// Input normalisation: any accepted input (records, readCsv rows, CSV bytes) as numbered items, in batches.
import { Readable } from 'node:stream';
import {
  OUTCOME_CODES,
  type RowOutcome,
  type SalesforceError,
  type SalesforceRecord,
  unsentOutcome,
} from '@kicksaw/core';
import { readCsv } from '@kicksaw/csv';
import type { IngestOptions } from './ingest-types.js';

/** One input row: a record or a row-level read problem, with its row (and source line) number. @internal */
export type NormalizedItem =
  | { row: number; line?: number | undefined; record: SalesforceRecord }
  | { row: number; line?: number | undefined; problem: { code: string; message: string } };

function isRecordItem(item: unknown): item is { row: number; record: SalesforceRecord; line?: number } {
  return (
    typeof item === 'object' &&
    item !== null &&
    'record' in item &&
    typeof (item as { row?: unknown }).row === 'number' &&
    typeof (item as { record?: unknown }).record === 'object'
  );
}

function isProblemItem(
  item: unknown,
): item is { row: number; line?: number; problem: { code: string; message: string } } {
  return (
    typeof item === 'object' &&
    item !== null &&
    'problem' in item &&
    typeof (item as { row?: unknown }).row === 'number'
  );
}

/**
 * Turns any accepted input into numbered items, in arrays: a source that hands out arrays itself
 * (`@kicksaw/csv` `readCsv`, whose `batches()` yields a source chunk's rows at once) is taken batch by
 * batch, and a synchronous iterable 1,024 items at a time, so the engine pays one promise per batch
 * instead of one per row. A CSV byte stream is read with `@kicksaw/csv`.
 *
 * @internal
 */
export async function* normalizeInput(
  records: IngestOptions['records'],
  source?: string,
): AsyncGenerator<NormalizedItem[]> {
  const batched = records as { batches?: () => AsyncIterable<unknown[]> };
  let batches: AsyncIterator<unknown[]>;
  if (typeof batched.batches === 'function') batches = batched.batches()[Symbol.asyncIterator]();
  else if (Symbol.asyncIterator in (records as object)) {
    const items = (records as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    batches = {
      next: async () => {
        const next = await items.next();
        return next.done ? { done: true, value: undefined } : { done: false, value: [next.value] };
      },
      return: async () => {
        await items.return?.();
        return { done: true, value: undefined };
      },
    };
  } else {
    const items = (records as Iterable<unknown>)[Symbol.iterator]();
    batches = {
      next: async () => {
        const batch: unknown[] = [];
        for (let next = items.next(); !next.done; next = items.next()) {
          batch.push(next.value);
          if (batch.length === 1024) break;
        }
        return batch.length === 0 ? { done: true, value: undefined } : { done: false, value: batch };
      },
      return: async () => {
        items.return?.();
        return { done: true, value: undefined };
      },
    };
  }
  let first = await batches.next();
  while (!first.done && first.value.length === 0) first = await batches.next();
  if (first.done) return;
  const head = first.value[0];
  if (typeof head === 'string' || head instanceof Uint8Array) {
    const bytes = Readable.from(
      (async function* () {
        yield* first.value as Array<string | Uint8Array>;
        for (let next = await batches.next(); !next.done; next = await batches.next()) {
          yield* next.value as Array<string | Uint8Array>;
        }
      })(),
    );
    yield* parseCsvInput(bytes, source);
    return;
  }
  let counter = 0;
  const normalize = (item: unknown): NormalizedItem => {
    counter++;
    // Items already in shape (rows of readCsv, `{ row, record }`) are passed on as they are.
    if (isProblemItem(item) || isRecordItem(item)) return item;
    return { row: counter, record: item as SalesforceRecord };
  };
  try {
    yield first.value.map(normalize);
    for (let next = await batches.next(); !next.done; next = await batches.next()) yield next.value.map(normalize);
  } finally {
    await batches.return?.();
  }
}

async function* parseCsvInput(bytes: Readable, source?: string): AsyncGenerator<NormalizedItem[]> {
  // @kicksaw/csv: delimiter and encoding detection, row-level problems with recovery, header checks.
  // Its rows are already in the shape of a NormalizedItem (a record or a problem, with row and line).
  yield* readCsv(bytes, source ? { source } : {}).batches();
}

/** Items of {@link normalizeInput} one at a time, or the rest of the batch in hand at once. @internal */
export class InputReader {
  private batch: NormalizedItem[] = [];
  private at = 0;
  constructor(private readonly batches: AsyncGenerator<NormalizedItem[]>) {}

  /** The next item, or undefined at the end of the input. */
  async next(): Promise<NormalizedItem | undefined> {
    while (this.at >= this.batch.length) {
      const next = await this.batches.next();
      if (next.done) return undefined;
      this.batch = next.value;
      this.at = 0;
    }
    return this.batch[this.at++];
  }

  /** The items left in the batch in hand, else the next batch; undefined at the end of the input. */
  async nextBatch(): Promise<NormalizedItem[] | undefined> {
    if (this.at < this.batch.length) {
      const rest = this.at === 0 ? this.batch : this.batch.slice(this.at);
      this.batch = [];
      this.at = 0;
      return rest;
    }
    const next = await this.batches.next();
    return next.done ? undefined : next.value;
  }

  /** The next item of the batch in hand, without reading the input; undefined when none is left. */
  takeInHand(): NormalizedItem | undefined {
    return this.at < this.batch.length ? this.batch[this.at++] : undefined;
  }

  async close(): Promise<void> {
    await this.batches.return(undefined);
  }
}

/** The outcome of a row settled without being sent: a read problem, fields outside the job's columns, a passed deadline. @internal */
export function itemNotSent(
  item: NormalizedItem,
  status: 'failed' | 'unprocessed',
  error: SalesforceError,
): RowOutcome {
  return unsentOutcome({ row: item.row, status, error, record: 'record' in item ? item.record : {}, line: item.line });
}

/** A row's cells in the job's column order, or its failure when it cannot be sent as it is. @internal */
export function screen(
  engine: { cellsOf(record: SalesforceRecord): { cells: string[] } | { unknown: string[] } },
  item: NormalizedItem,
): { cells: string[] } | { outcome: RowOutcome } {
  if ('problem' in item) {
    return {
      outcome: itemNotSent(item, 'failed', {
        statusCode: item.problem.code,
        message: item.problem.message,
        fields: [],
      }),
    };
  }
  const cells = engine.cellsOf(item.record);
  if ('unknown' in cells) {
    return {
      outcome: itemNotSent(item, 'failed', {
        statusCode: OUTCOME_CODES.UNKNOWN_FIELD,
        message: `Not sent: the record has field(s) outside the job's columns: ${cells.unknown.join(', ')}`,
        fields: cells.unknown,
      }),
    };
  }
  return cells;
}
