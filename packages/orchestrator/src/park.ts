import { KicksawError } from '@kicksaw/core';
import { cacheJson, uploadObject } from '@kicksaw/s3';
import type { PendingJob } from '@kicksaw/sf-bulk';
import { type ResolvedExecutionRecordSettings, updateExecution } from './execution-record.js';
import type { ImportCsvResult } from './import-csv.js';
import type { RunLease } from './lease.js';
import { deadlineOf, type ImportCsvOptions } from './options.js';
import type { Orchestrator } from './orchestrator.js';
import type { RowSet } from './rows.js';
import { deleteCheckpoints, type ParkedState, type RunPlace, runIdentityOf } from './run-state.js';
import type { SourcePositions } from './source-positions.js';
import type { RowSpool } from './spool.js';

/** Throws `LEASE_LOST` when the lease is no longer safely held (see `RunLease.held`). */
export function assertLeaseHeld(lease: RunLease | undefined): void {
  if (!lease || lease.held()) return;
  throw new KicksawError(
    `The run's lease was lost before the run could be parked (${lease.stopReason ?? 'it ran out'}): another invocation may hold the run, so this one writes nothing more`,
    { code: 'LEASE_LOST' },
  );
}

/** What {@link parkRun} writes down about the run. */
export interface ParkInput {
  covered: RowSet;
  positions: SourcePositions;
  total: number | null;
  jobs: PendingJob[];
  generation: number;
  stalls: number;
  startedAt: string;
  unsentReason: string | null;
  place: RunPlace;
  lease: RunLease | undefined;
  /** Rows read but not sent, with their records (everything still unsent from the spool resumed too). */
  rows: RowSpool;
}

/**
 * Writes the unsent rows' spool and the outcomes' spool. Before the state that names them: an
 * invocation killed in between leaves the older state, whose covered rows and jobs still hold, with a
 * spool whose rows were all unsent when it was written.
 */
async function uploadSpools(options: ImportCsvOptions, orchestrator: Orchestrator, park: ParkInput): Promise<void> {
  const { s3Client: client, bucket } = options;
  if (park.rows.count > 0) {
    await uploadObject({
      client,
      bucket,
      key: park.place.rowSpoolKey,
      body: park.rows.raw(),
      contentType: 'application/x-ndjson',
    });
  }
  await uploadObject({
    client,
    bucket,
    key: park.place.spoolKey,
    body: orchestrator.savedOutcomes(),
    contentType: 'application/x-ndjson',
  });
}

/** The parked state a later invocation resumes from. */
function parkedStateOf(options: ImportCsvOptions, orchestrator: Orchestrator, park: ParkInput): ParkedState {
  const state: ParkedState = {
    ...runIdentityOf(orchestrator, options.bucket, options.key),
    covered: park.covered.toBase64(),
    total: park.total,
    summary: { ...orchestrator.summary },
    jobs: park.jobs,
    spooled: orchestrator.savedOutcomeCount,
    generation: park.generation,
    stalls: park.stalls,
    startedAt: park.startedAt,
    unsentReason: park.unsentReason,
  };
  const positions = park.positions.toJSON();
  if (positions) state.positions = positions;
  if (park.rows.count > 0) state.rowSpool = { count: park.rows.count };
  return state;
}

/** The state is written: a release that fails (the store unreachable) only leaves the lease to run out. */
async function releaseLease(park: ParkInput): Promise<void> {
  await park.lease?.release().catch((error: unknown) => {
    park.place.logger.warn('could not release the run lease: the next delivery takes the run over once it runs out', {
      generation: park.generation,
      error: error instanceof Error ? error.message : String(error),
    });
  });
}

/** Why the run parks, as the log and the result say it. */
function parkReasonOf(options: ImportCsvOptions, park: ParkInput): string {
  return (
    park.unsentReason ??
    (park.jobs.length > 0 && options.deadline === undefined
      ? 'jobs still running: polling them or reading their results failed'
      : 'deadline reached')
  );
}

export async function parkRun(
  options: ImportCsvOptions,
  settings: ResolvedExecutionRecordSettings | undefined,
  orchestrator: Orchestrator,
  park: ParkInput,
): Promise<ImportCsvResult> {
  const { s3Client: client, bucket } = options;
  const { place } = park;
  const parkStarted = Date.now();
  // Only the lease's holder writes the run's state: a holder whose lease lapsed or was taken over would
  // overwrite the state of the invocation that holds the run now (and so lose what that one sent).
  assertLeaseHeld(park.lease);
  await uploadSpools(options, orchestrator, park);
  const state = parkedStateOf(options, orchestrator, park);
  assertLeaseHeld(park.lease);
  await cacheJson(state, { client, bucket, key: place.stateKey });
  // The state now holds every job this invocation (and those it took over) sent.
  await deleteCheckpoints(client, bucket, place.checkpointPrefix, park.generation).catch(() => undefined);
  if (settings && orchestrator.executionId) {
    await updateExecution(options.connection, settings, orchestrator.executionId, {
      [settings.statusField]: settings.statusValues.pending,
    });
  }
  await orchestrator.dispose();
  await releaseLease(park);
  const reason = parkReasonOf(options, park);
  logParked(options, orchestrator, park, reason, parkStarted);
  return parkedResult(orchestrator, park, reason);
}

function pendingRowsOf(park: ParkInput): number {
  return park.jobs.reduce((sum, job) => sum + job.rows, 0);
}

function logParked(
  options: ImportCsvOptions,
  orchestrator: Orchestrator,
  park: ParkInput,
  reason: string,
  parkStarted: number,
): void {
  park.place.logger.warn(`run parked for a later invocation (${reason})`, {
    source: orchestrator.sourceUri,
    pendingJobs: park.jobs.map((job) => job.jobId),
    pendingRows: pendingRowsOf(park),
    rowsNotSent: park.total === null ? 'file not read to the end' : park.total - park.covered.countThrough(park.total),
    rowsSpooled: park.rows.count,
    stalledInvocations: park.stalls,
    state: `s3://${options.bucket}/${park.place.stateKey}`,
    // What the reserve must cover: the park itself, and when it ended against the deadline.
    parkMs: Date.now() - parkStarted,
    ...(options.deadline !== undefined ? { pastDeadlineMs: Date.now() - deadlineOf(options.deadline) } : {}),
  });
}

function parkedResult(orchestrator: Orchestrator, park: ParkInput, reason: string): ImportCsvResult {
  return {
    status: 'pending',
    summary: { ...orchestrator.summary },
    pendingJobs: park.jobs.map((job) => job.jobId),
    pendingRows: pendingRowsOf(park),
    ...(park.total !== null ? { unsentRows: park.total - park.covered.countThrough(park.total) } : {}),
    pendingReason: reason,
    ...(orchestrator.executionId ? { executionId: orchestrator.executionId } : {}),
  };
}
