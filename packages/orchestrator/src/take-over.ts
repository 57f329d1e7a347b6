import { InputError } from '@kicksaw/core';
import { getObjectStream, headObject } from '@kicksaw/s3';
import type { PendingJob } from '@kicksaw/sf-bulk';
import { type OpenRun, writeState } from './open-run.js';
import { IMPORT_DEFAULTS } from './options.js';
import { RowSet } from './rows.js';
import { sameETag } from './run-state.js';
import { SourcePositions } from './source-positions.js';
import type { RowSpool } from './spool.js';

// The third step: take over what earlier invocations left (outcomes logged, rows read but not sent,
// jobs sent and still to collect) so that this invocation sends only what was never sent.

/** Where the run stands in this invocation: what is covered, what is still running, what was not sent. */
export interface Progress {
  /** Rows with an outcome, or in a job still running. */
  covered: RowSet;
  /** Where a reading pass may start in the file. */
  positions: SourcePositions;
  /** Rows in the file, once it was read to the end. */
  total: number | null;
  /** Jobs still running, to hand over when the run parks. */
  jobs: PendingJob[];
  /** Why rows were left unsent, the first reason seen. */
  unsentReason: string | null;
  /** Rows covered when this invocation began. */
  settledBefore: number;
  /** Rows of the spool taken over (sent from it, not from the file). */
  parked: RowSet;
  /** Checkpoints written by this invocation so far. */
  counter: { sequence: number };
  /** Jobs sent by earlier invocations (parked, or checkpointed by one that died), to collect by id. */
  resumed: PendingJob[];
  /** Times the source may still be opened again after its stream broke (see `sourceRetries`). */
  sourceAttemptsLeft: number;
}

/**
 * Restores what earlier invocations left of the run (its outcomes, its version check), loads the rows
 * they parked into `carried`, and lists the jobs they sent (parked ones, and those an invocation that
 * died checkpointed) for `sendRemaining` to collect while it sends the rest.
 */
export async function takeOver(run: OpenRun, carried: RowSpool): Promise<Progress> {
  const { state, checkpoints, options, place } = run;
  const { s3Client: client, bucket } = options;
  // The run's timestamp (report and archive names) is kept from its first invocation on.
  if (!state) await writeState(run, {});
  if (state || checkpoints.length > 0) await restore(run);
  const covered = state ? RowSet.fromBase64(state.covered) : new RowSet();
  const positions = new SourcePositions(state?.positions);
  for (const checkpoint of checkpoints) positions.merge(checkpoint.positions);
  const progress: Progress = {
    covered,
    positions,
    total: state?.total ?? null,
    jobs: [],
    unsentReason: null,
    settledBefore: covered.size(),
    parked: new RowSet(),
    counter: { sequence: 0 },
    resumed: [...(state?.jobs ?? []), ...checkpoints.map((checkpoint) => checkpoint.job)],
    sourceAttemptsLeft: options.sourceRetries ?? IMPORT_DEFAULTS.sourceRetries,
  };
  // The rows an earlier invocation read but could not send, from its spool (sent first).
  if (state?.rowSpool && state.rowSpool.count > 0 && (await headObject({ client, bucket, key: place.rowSpoolKey }))) {
    const { body } = await getObjectStream({ client, bucket, key: place.rowSpoolKey });
    await carried.load(body);
  }
  for (const row of carried.rows.values()) progress.parked.add(row);
  return progress;
}

/** The outcomes and counts parked so far, once the file is known to be the run's version still. */
async function restore(run: OpenRun): Promise<void> {
  const { state, checkpoints, orchestrator, options, place } = run;
  const { s3Client: client, bucket } = options;
  if (state) {
    Object.assign(orchestrator.summary, state.summary);
    if (state.spooled > 0) {
      const { body } = await getObjectStream({ client, bucket, key: place.spoolKey });
      await orchestrator.restoreOutcomes(body);
    }
  }
  const head = await headObject({ client, bucket, key: options.key });
  const expected = { eTag: state?.eTag ?? run.eTag, versionId: state?.versionId ?? run.versionId };
  const sameVersion =
    head && (expected.versionId ? head.versionId === expected.versionId : sameETag(head.eTag, expected.eTag));
  if (!sameVersion) {
    throw new InputError('The file changed or disappeared before the run on it could finish', {
      source: orchestrator.sourceUri,
      code: 'SOURCE_CHANGED',
    });
  }
  place.logger.info('taking the run over', {
    source: place.source,
    parkedBy: state?.generation ?? null,
    pendingJobs: state?.jobs.length ?? 0,
    checkpointedJobs: checkpoints.length,
  });
}
