import type { RunSummary } from '@kicksaw/core';
import { claimRun, type RunClaim } from './claim.js';
import { endInvocation, finishReported } from './end-invocation.js';
import { interrupted } from './finish.js';
import { openRun } from './open-run.js';
import type { ImportCsvOptions } from './options.js';
import { type Spools, sendRemaining } from './send-remaining.js';
import { RowSpool } from './spool.js';
import { takeOver } from './take-over.js';

export type { ImportCsvOptions } from './options.js';

// Flow 1 for one file, top to bottom: claim the run (claim.ts: the record, then the lease), open it
// (open-run.ts: its state in S3 and its orchestrator), take over what earlier invocations left
// (take-over.ts: their outcomes, parked rows and jobs), read, map and send the rest (send-remaining.ts,
// send-rows.ts), then complete it (report, archive, record: finish.ts), give its unsent rows up, or
// park it for the next invocation (end-invocation.ts, park.ts). run-state.ts is what a run keeps in S3,
// options.ts the options and their defaults.

/** What {@link importCsv} did. */
export interface ImportCsvResult {
  /**
   * `completed`: every row has an outcome, the report is up, the source archived, the record written.
   * `pending`: the deadline came first; Salesforce jobs are still running and a later call finishes.
   * `skipped`: a duplicate delivery (this object version was handled by another run, or another
   * invocation holds the run's lease right now: `in-progress`, deliver it again later) or an already
   * archived object.
   */
  status: 'completed' | 'pending' | 'skipped';
  /** Why the run was skipped. */
  reason?: 'already-processed' | 'in-progress' | 'already-archived';
  /** Counts; on `pending`, those settled so far. */
  summary: RunSummary;
  /** The error report's key (same bucket). */
  reportKey?: string;
  /** A link to the report (as the orchestrator's `errorReportLink` gives it). */
  reportLink?: string;
  /** Lines in the error report (one per error). */
  reportLines?: number;
  /** Rows in the error report. */
  reportRows?: number;
  /** Where the source was archived. */
  archiveKey?: string;
  /** The execution record's id. */
  executionId?: string;
  /** Ids of the Salesforce jobs still running (status `pending`). */
  pendingJobs?: string[];
  /** Rows in those jobs (status `pending`). */
  pendingRows?: number;
  /** Rows not sent yet, for the next invocation (status `pending`). */
  unsentRows?: number;
  /** Why the run is pending, e.g. `deadline reached` or `Bulk API job not created: ...`. */
  pendingReason?: string;
  /** Until when another invocation holds the run (status `skipped`, reason `in-progress`). */
  heldUntil?: string;
  /**
   * Lease records of the run that could not be deleted when it ended (a warning names them; the next
   * delivery of the finished run tries again). Absent when every one went.
   */
  leaseRecordsLeft?: number;
}

/**
 * The whole of flow 1 in one call: the S3 object streams through CSV parsing and mapping into the
 * Bulk API 2.0 engine (no local copy of the file); every row ends as one outcome; rows with CSV or
 * mapping problems are failed outcomes in the report, never dropped. Then the error report goes to
 * `errors/`, the source moves to `archive/<name>-<timestamp>.<ext>` and the execution record is
 * written.
 *
 * Delivered more than once, cut short, killed: an execution record with a unique idempotency key
 * (bucket, key, version or ETag) is created first, so there is never a second record, report or
 * archive. One invocation at a time holds the run's lease; another delivery meanwhile answers
 * `skipped` / `in-progress` (deliver it again later). Every Bulk API job is checkpointed in S3 before
 * it is closed, so an invocation that takes a run over (after a deadline, a failure or a kill) resumes
 * the jobs already sent by their ids and sends only the rows never sent: no row goes to Salesforce twice.
 *
 * @example
 * ```ts
 * const result = await importCsv({
 *   s3Client, connection, bucket: 'inbound', key: 'contacts.csv',
 *   object: 'Contact', operation: 'upsert', externalIdField: 'External_Id__c',
 *   mapping: { fields: { External_Id__c: 'External Id', LastName: 'Last Name', Email: 'Email' } },
 * });
 * console.log(result.summary, result.reportKey, result.archiveKey);
 * ```
 */
export async function importCsv(options: ImportCsvOptions): Promise<ImportCsvResult> {
  const claimed = await claimRun(options);
  if ('skipped' in claimed) return claimed.skipped;
  try {
    return await runLeased(options, claimed.run);
  } finally {
    claimed.run.lease?.stop();
  }
}

/**
 * One invocation's share of a run, under its lease: take over what earlier invocations left (outcomes,
 * parked rows, jobs sent), send the rows never sent, then complete, give up or park.
 */
async function runLeased(options: ImportCsvOptions, claim: RunClaim): Promise<ImportCsvResult> {
  const run = await openRun(options, claim);
  // Rows read but not sent: parked by an earlier invocation, of collected jobs, left by this one.
  const spools: Spools = { carried: new RowSpool(), resent: new RowSpool(), fresh: new RowSpool() };
  try {
    if (run.state?.completing) return await finishReported(run, run.state.completing);
    const progress = await takeOver(run, spools.carried);
    await sendRemaining(run, progress, spools);
    return await endInvocation(run, progress, spools);
  } catch (error) {
    throw await interrupted(run, error);
  } finally {
    for (const spool of Object.values(spools)) await spool.dispose();
  }
}
