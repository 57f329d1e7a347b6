import type { Logger } from '@kicksaw/core';
import { type PendingJob, pendingJobRows, resume } from '@kicksaw/sf-bulk';
import { type ImportCsvOptions, retrySettingsOf } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import type { RowSet } from './rows.js';
import { keepOutcome, unsentReasonOf } from './send-rows.js';
import type { RowSpool } from './spool.js';

/**
 * Resumes jobs sent by earlier invocations, by id (polled and collected, never sent again). A row sent
 * in several of them (retried) takes the outcome of its latest job; rows whose job never ran, or whose
 * retries were cut short, are uncovered so that they are sent again: from `spool` when the outcome
 * carries the row's record (a failed result echoes the fields sent), else by the reading pass.
 */
export async function settleJobs(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  jobs: PendingJob[],
  covered: RowSet,
  logger: Logger,
  spool?: RowSpool,
  engineLeftRunning?: () => void,
): Promise<{ pending: PendingJob[]; unsentReason: string | null }> {
  const ordinal = new Map<string, number>();
  let maxRow = 0;
  const rowsOf = jobs.map((job) => pendingJobRows(job));
  for (const rows of rowsOf) for (const row of rows) maxRow = Math.max(maxRow, row);
  // The latest job of each row, as 1 + its position in `jobs` (later positions are later jobs).
  const latest = new Int32Array(maxRow + 1);
  jobs.forEach((job, position) => {
    ordinal.set(job.jobId, position + 1);
    for (const row of rowsOf[position] as Uint32Array) {
      latest[row] = position + 1;
      covered.add(row);
    }
  });
  const tuning = options.ingest ?? {};
  const run = resume({
    ...pick(tuning, ['pollIntervalMs', 'maxPollIntervalMs', 'http', 'spoolDirectory', 'maxConcurrentJobs']),
    connection: options.connection,
    jobs,
    // Nobody else owns these jobs (this invocation holds the lease): an Open one was never closed.
    abortOpenJobs: true,
    // Retries are sent by the reading pass, under this run's checkpoints.
    retry: { maxAttempts: 1 },
    deadline: options.deadline,
    logger,
  });
  const retry = retrySettingsOf(options);
  let unsentReason: string | null = null;
  for await (const outcome of run) {
    const from = outcome.jobId === undefined ? undefined : ordinal.get(outcome.jobId);
    if (from !== undefined && latest[outcome.row] !== from) continue; // superseded by a later job
    const reason = unsentReasonOf(outcome, retry);
    await keepOutcome({ engineLeftRunning }, async () => {
      if (!reason) {
        await orchestrator.logOutcome(outcome);
        return;
      }
      covered.delete(outcome.row);
      unsentReason ??= reason;
      if (spool && outcome.record && Object.keys(outcome.record).length > 0) {
        await spool.write({ row: outcome.row, line: outcome.line, record: outcome.record });
      }
    });
  }
  await run.summary();
  return { pending: run.pendingJobStates(), unsentReason };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
