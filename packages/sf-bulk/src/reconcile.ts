// Reconciling results: the three result sets of a job matched to its rows by content, every row settled once.
import { rm } from 'node:fs/promises';
import { OUTCOME_CODES, type SalesforceError } from '@kicksaw/core';
import { downloadResult, type IngestJobInfo, type ResultKind } from './bulk-api.js';
import { readCsvRecords } from './csv-reader.js';
import { readFileChunks } from './file-io.js';
import { rowHash } from './hash.js';
import type { PartBody } from './part.js';
import { parseBulkError } from './results.js';
import { lastAttemptOutcome, type RetryItem, shouldRetry } from './retry.js';
import type { RowIndex } from './row-index.js';
import type { Engine } from './run.js';

/**
 * Reads the three result sets and settles every row of the job. The loop over result rows stays in this one
 * function on purpose: it is every row's hot path, and its per-row state (the header's column map, the reused
 * cells array, the unmatched count) lives in one scope rather than being passed to a call a row.
 *
 * @internal
 */
export async function reconcileJob(
  engine: Engine,
  info: IngestJobInfo,
  index: RowIndex,
  body: PartBody | undefined,
): Promise<void> {
  const { ctx, logger } = engine.s;
  const jobId = info.id;
  const fieldPositions = new Map(engine.fields.map((f, i) => [f.toLowerCase(), i]));
  const width = engine.fields.length;
  const files: Partial<Record<ResultKind, string | undefined>> = {};
  try {
    // Download all three first: a failure here leaves nothing reported, so the job can be resumed whole.
    for (const kind of ['successfulResults', 'failedResults', 'unprocessedrecords'] as const) {
      files[kind] = await downloadResult(ctx, jobId, kind, { directory: engine.s.spoolDirectory });
    }
    let unmatched = 0;
    for (const kind of ['successfulResults', 'failedResults', 'unprocessedrecords'] as const) {
      const file = files[kind];
      if (!file) continue;
      // Batches, not rows: the rows of a batch are settled in a plain loop, so a row costs no step of an
      // async generator (readCsvRows would be one promise and microtask a row, 1M of them for 1M rows).
      const batches = readCsvRecords(readFileChunks(file));
      let header: string[] | undefined;
      let map: number[] = [];
      let idAt = -1;
      let createdAt = -1;
      let errorAt = -1;
      const cells = new Array<string>(width);
      for await (const batch of batches) {
        for (let b = 0; b < batch.length; b++) {
          const raw = batch[b] as string[];
          if (!header) {
            header = raw;
            map = raw.map((name) => fieldPositions.get(name.toLowerCase()) ?? -1);
            idAt = raw.indexOf('sf__Id');
            createdAt = raw.indexOf('sf__Created');
            errorAt = raw.indexOf('sf__Error');
            const missing = engine.fields.filter((f) => !raw.some((name) => name.toLowerCase() === f.toLowerCase()));
            if (missing.length > 0) logger.warn('Result set lacks sent columns', { jobId, kind, missing });
            continue;
          }
          cells.fill('');
          for (let i = 0; i < raw.length; i++) {
            const at = map[i] as number;
            if (at >= 0) cells[at] = raw[i] as string;
          }
          const position = index.take(rowHash(cells));
          engine.progress.rowsProcessed++;
          if (position < 0) {
            unmatched++;
            continue;
          }
          const row = index.rowAt(position);
          const attempts = index.attemptsAt(position);
          if (kind === 'successfulResults') {
            const waiting = engine.emit({
              row,
              status: 'succeeded',
              id: idAt >= 0 ? raw[idAt] || null : null,
              created: createdAt >= 0 && (raw[createdAt] ?? '').toLowerCase() === 'true',
              errors: [],
              record: engine.recordOf(cells),
              attempts,
              jobId,
            });
            if (waiting) await waiting;
          } else if (kind === 'failedResults') {
            const errors = parseBulkError(errorAt >= 0 ? (raw[errorAt] ?? '') : '');
            const id = idAt >= 0 ? raw[idAt] || null : null;
            await settleOrRetry(engine, { row, cells: [...cells], attempts, errors, status: 'failed', jobId }, id);
          } else {
            const errors: SalesforceError[] = [
              {
                statusCode: info.state === 'Aborted' ? OUTCOME_CODES.JOB_ABORTED : OUTCOME_CODES.JOB_FAILED,
                message: `Not processed: job ${jobId} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
                fields: [],
              },
            ];
            await settleOrRetry(
              engine,
              { row, cells: [...cells], attempts, errors, status: 'unprocessed', jobId },
              null,
            );
          }
        }
      }
    }
    await settleWithoutResult(engine, info, index, body, unmatched);
  } finally {
    for (const file of Object.values(files)) if (file) await rm(file, { force: true });
  }
}

/**
 * Rows no result set named (and results that matched no row): logged, and each such row emitted unprocessed
 * with the record read back from the job's body.
 */
async function settleWithoutResult(
  engine: Engine,
  info: IngestJobInfo,
  index: RowIndex,
  body: PartBody | undefined,
  unmatched: number,
): Promise<void> {
  const { logger } = engine.s;
  const jobId = info.id;
  const remaining = index.remaining();
  if (remaining.length > 0 || unmatched > 0) {
    engine.unmatchedResults += unmatched;
    (unmatched > 0 ? logger.error : logger.warn)('Job results do not cover every row', {
      jobId,
      rowsWithoutResult: remaining.length,
      resultsWithoutRow: unmatched,
      state: info.state,
    });
  }
  if (remaining.length > 0) {
    const sent = body ? await body.readPositions(new Set(remaining)) : new Map<number, string[]>();
    for (const position of remaining) {
      await engine.emit({
        row: index.rowAt(position),
        status: 'unprocessed',
        id: null,
        created: false,
        errors: [
          {
            statusCode: OUTCOME_CODES.RESULT_MISSING,
            message:
              `Job ${jobId} (${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}) reported no result for this row` +
              (unmatched > 0 ? `; ${unmatched} result row(s) matched no sent row, so it may have been processed` : ''),
            fields: [],
          },
        ],
        record: sent.has(position) ? engine.recordOf(sent.get(position) as string[]) : {},
        attempts: index.attemptsAt(position),
        jobId,
      });
    }
  }
}

/** Queues a row for retry under the retry rule, else emits its outcome. */
async function settleOrRetry(engine: Engine, item: RetryItem, id: string | null): Promise<void> {
  if (shouldRetry(engine.s, item, () => engine.deadlinePassed())) {
    engine.launcher.queueRetry(item);
    return;
  }
  await engine.emit(lastAttemptOutcome(item, id, engine.recordOf(item.cells)));
}
