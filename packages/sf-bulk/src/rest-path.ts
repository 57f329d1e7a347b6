// The REST path: a small input sent through sObject Collections, 200 records a call, with the same retry rule.
import { OUTCOME_CODES, type SalesforceRecord } from '@kicksaw/core';
import { describeObject } from './describe.js';
import type { IngestOptions } from './ingest-types.js';
import { type NormalizedItem, screen } from './input.js';
import { runRestBatch } from './rest.js';
import { shouldRetry } from './retry.js';
import type { Engine } from './run.js';

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
  const s = engine.s;
  const describe = await describeObject(s.ctx, options.object);
  const pendingRows: Array<{ row: number; line?: number | undefined; record: SalesforceRecord; attempts: number }> = [];
  for (const item of items) {
    engine.countRead();
    const screened = screen(engine, item);
    if ('outcome' in screened) {
      await engine.emit(screened.outcome);
      continue;
    }
    pendingRows.push({ row: item.row, line: item.line, record: engine.recordOf(screened.cells), attempts: 0 });
  }
  let queue = pendingRows;
  while (queue.length > 0) {
    const retry: typeof queue = [];
    for (let start = 0; start < queue.length; start += 200) {
      const batch = queue.slice(start, start + 200);
      for (const item of batch) item.attempts++;
      const results = await runRestBatch(s.ctx, {
        object: describe.name,
        operation: options.operation,
        externalIdField: engine.externalIdField,
        describe,
        fields,
        records: batch.map((item) => item.record),
      });
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i] as (typeof batch)[number];
        const result = results[i];
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
          continue;
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
          continue;
        }
        // sObject Collections: the codes decide for every result, also one the API left unsent.
        if (
          shouldRetry(s, { attempts: item.attempts, errors: result.errors, status: 'failed' }, () =>
            engine.deadlinePassed(),
          )
        ) {
          retry.push(item);
          continue;
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
      }
    }
    if (retry.length > 0 && engine.sortBy) {
      const key = engine.sortBy;
      retry.sort((a, b) => String(a.record[key] ?? '').localeCompare(String(b.record[key] ?? '')));
    }
    engine.progress.rowsRetried += retry.length;
    queue = retry;
  }
}
