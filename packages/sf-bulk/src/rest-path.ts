// The REST path: a small input sent through sObject Collections, 200 records a call, with the same retry rule.
import { OUTCOME_CODES, type SalesforceRecord } from '@kicksaw/core';
import { describeObject, type ObjectDescribe } from './describe.js';
import type { IngestOptions } from './ingest-types.js';
import { type NormalizedItem, screen } from './input.js';
import { type RestRowResult, runRestBatch } from './rest.js';
import { shouldRetry } from './retry.js';
import type { Engine } from './run.js';

/** A row waiting for (another) sObject Collections call. */
interface RestRow {
  row: number;
  line?: number | undefined;
  record: SalesforceRecord;
  attempts: number;
}

/**
 * Sends the whole (small) input through sObject Collections and settles every row.
 *
 * @internal
 */
export async function runRest(
  engine: Engine,
  options: IngestOptions,
  items: NormalizedItem[],
  fields: string[],
): Promise<void> {
  const describe = await describeObject(engine.s.ctx, options.object);
  let queue = await screenRows(engine, items);
  while (queue.length > 0) {
    const retry = await sendRound(engine, options, describe, fields, queue);
    if (retry.length > 0 && engine.sortBy) {
      const key = engine.sortBy;
      retry.sort((a, b) => String(a.record[key] ?? '').localeCompare(String(b.record[key] ?? '')));
    }
    engine.progress.rowsRetried += retry.length;
    queue = retry;
  }
}

/** Counts and screens every row: a row the screen settles is emitted, the others wait to be sent. */
async function screenRows(engine: Engine, items: NormalizedItem[]): Promise<RestRow[]> {
  const pendingRows: RestRow[] = [];
  for (const item of items) {
    engine.countRead();
    const screened = screen(engine, item);
    if ('outcome' in screened) {
      await engine.emit(screened.outcome);
      continue;
    }
    pendingRows.push({ row: item.row, line: item.line, record: engine.recordOf(screened.cells), attempts: 0 });
  }
  return pendingRows;
}

/** One pass over the queue, 200 records a call; returns the rows to send again. */
async function sendRound(
  engine: Engine,
  options: IngestOptions,
  describe: ObjectDescribe,
  fields: string[],
  queue: RestRow[],
): Promise<RestRow[]> {
  const retry: RestRow[] = [];
  for (let start = 0; start < queue.length; start += 200) {
    const batch = queue.slice(start, start + 200);
    for (const item of batch) item.attempts++;
    const results = await runRestBatch(engine.s.ctx, {
      object: describe.name,
      operation: options.operation,
      externalIdField: engine.externalIdField,
      describe,
      fields,
      records: batch.map((item) => item.record),
    });
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as RestRow;
      if (await settle(engine, item, results[i])) retry.push(item);
    }
  }
  return retry;
}

/** Emits the outcome of one row's result, or returns true when the retry rule sends it again. */
async function settle(engine: Engine, item: RestRow, result: RestRowResult | undefined): Promise<boolean> {
  const line = item.line !== undefined ? { line: item.line } : {};
  if (!result) {
    await engine.emit({
      row: item.row,
      status: 'unprocessed',
      id: null,
      created: false,
      errors: [
        {
          statusCode: OUTCOME_CODES.RESULT_MISSING,
          message: 'Salesforce returned no result for this record',
          fields: [],
        },
      ],
      record: item.record,
      attempts: item.attempts,
      ...line,
    });
    return false;
  }
  if (result.success) {
    await engine.emit({
      row: item.row,
      status: 'succeeded',
      id: result.id ?? null,
      created: result.created,
      errors: [],
      record: item.record,
      attempts: item.attempts,
      ...line,
    });
    return false;
  }
  // sObject Collections: the codes decide for every result, also one the API left unsent.
  if (
    shouldRetry(engine.s, { attempts: item.attempts, errors: result.errors, status: 'failed' }, () =>
      engine.deadlinePassed(),
    )
  ) {
    return true;
  }
  await engine.emit({
    row: item.row,
    status: result.unsent ? 'unprocessed' : 'failed',
    id: result.id ?? null,
    created: false,
    errors: result.errors,
    record: item.record,
    attempts: result.unsent ? item.attempts - 1 : item.attempts,
    ...line,
  });
  return false;
}
