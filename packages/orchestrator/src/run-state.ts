import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger, RunSummary } from '@kicksaw/core';
import { deleteObject, headObject, listKeys, readCachedJson } from '@kicksaw/s3';
import type { PendingJob } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import type { ResolvedExecutionRecordSettings } from './execution-record.js';
import { deleteLeases } from './lease.js';
import type { Orchestrator, UploadedReport } from './orchestrator.js';
import { RowSet } from './rows.js';
import type { SavedPositions } from './source-positions.js';

// What a run keeps in S3 between invocations (the parked state, the job checkpoints), and its removal.

/** The fields of a parked state that name the run: the file, its version and the run's record. */
export interface RunIdentity {
  executionId: string | null;
  bucket: string;
  key: string;
  eTag: string | null;
  versionId: string | null;
  /** The run's timestamp (report and archive names), from its first invocation on. */
  timestamp: string;
}

/** The durable state of a run between invocations, in S3 beside the run's checkpoints. */
export interface ParkedState extends RunIdentity {
  version: 2;
  /** Rows with an outcome in the parked spool or in one of `jobs` (a base64 bit set). */
  covered: string;
  /** Rows in the file, once it was read to the end. */
  total: number | null;
  summary: RunSummary;
  /** Jobs still running, to resume. */
  jobs: PendingJob[];
  spooled: number;
  /** The lease generation that wrote this state: checkpoints of later generations are newer. */
  generation: number;
  /** Invocations in a row that settled no row. */
  stalls: number;
  /** When the run began. */
  startedAt: string;
  /** Why rows were left unsent last time. */
  unsentReason: string | null;
  /** Set once every row is settled and the report is up: archive and record are what is left. */
  completing?: { summary: RunSummary; report: UploadedReport };
  /** Where a later reading pass can start in the file (byte offsets), see {@link SourcePositions}. */
  positions?: SavedPositions;
  /**
   * Rows read but not sent, parked with their records at `RunPlace.rowSpoolKey` (see `RowSpool`): the
   * next invocation sends them first, and reads the file from past them.
   */
  rowSpool?: { count: number };
}

/** The state an older version parked (rows up to `after`, minus `resend`, were covered). */
export interface ParkedStateV1 extends RunIdentity {
  version: 1;
  after: number;
  resend: string;
  total: number;
  summary: RunSummary;
  jobs: PendingJob[];
  spooled: number;
}

/** A job checkpoint written before the job was closed (see `onJobUploaded` in `@kicksaw/sf-bulk`). */
export interface Checkpoint {
  generation: number;
  sequence: number;
  key: string;
  job: PendingJob;
  /** Positions in the file read since the checkpoint before. */
  positions?: SavedPositions | undefined;
}

/** A checkpoint's body in S3 (an older version wrote the bare {@link PendingJob}). */
export interface CheckpointBody {
  version: 2;
  job: PendingJob;
  positions?: SavedPositions;
}

/** The fields of a parked state that name the run: the file, its version and the run's record. */
export function runIdentityOf(orchestrator: Orchestrator, bucket: string, key: string): RunIdentity & { version: 2 } {
  return {
    version: 2,
    executionId: orchestrator.executionId ?? null,
    bucket,
    key,
    eTag: orchestrator.eTag ?? null,
    versionId: orchestrator.versionId ?? null,
    timestamp: orchestrator.timestamp,
  };
}

/** Where a run keeps its state. */
export interface RunPlace {
  source: string;
  idempotencyKey: string;
  stateKey: string;
  spoolKey: string;
  /** Rows read but not sent, with their records (JSON lines). */
  rowSpoolKey: string;
  checkpointPrefix: string;
  logger: Logger;
}

export async function readState(client: S3Client, bucket: string, key: string): Promise<ParkedState | undefined> {
  const head = await headObject({ client, bucket, key });
  if (!head) return undefined;
  const state = await readCachedJson<ParkedState | ParkedStateV1>({ client, bucket, key });
  if (state.version === 2) return state;
  // A run parked by an earlier version: rows up to `after` were covered except those in `resend`.
  const resend = RowSet.fromBase64(state.resend);
  const covered = new RowSet();
  for (let row = 1; row <= state.after; row++) if (!resend.has(row)) covered.add(row);
  // The run's identity is kept as it is; what was covered, and the counts, become the v2 fields.
  const { version: _v1, after: _after, resend: _resend, total, ...kept } = state;
  return {
    ...kept,
    version: 2,
    covered: covered.toBase64(),
    total: total > 0 ? total : null,
    generation: 0,
    stalls: 0,
    startedAt: new Date().toISOString(),
    unsentReason: null,
  };
}

/** Checkpoints newer than the parked state, oldest first. */
export async function readCheckpoints(
  client: S3Client,
  bucket: string,
  prefix: string,
  parkedBy: number,
): Promise<Checkpoint[]> {
  const found: Checkpoint[] = [];
  for await (const key of listKeys({ client, bucket, prefix })) {
    const match = /g(\d+)-(\d+)\.json$/.exec(key);
    if (!match) continue;
    const generation = Number(match[1]);
    if (generation <= parkedBy) continue; // already in the parked state
    const body = await readCachedJson<PendingJob | CheckpointBody>({ client, bucket, key });
    const { job, positions } = 'jobId' in body ? { job: body, positions: undefined } : body;
    found.push({ generation, sequence: Number(match[2]), key, job, positions });
  }
  return found.sort((a, b) => a.generation - b.generation || a.sequence - b.sequence);
}

export async function deleteCheckpoints(client: S3Client, bucket: string, prefix: string, upTo: number): Promise<void> {
  const keys: string[] = [];
  for await (const key of listKeys({ client, bucket, prefix })) {
    const match = /g(\d+)-\d+\.json$/.exec(key);
    if (match && Number(match[1]) <= upTo) keys.push(key);
  }
  for (const key of keys) await deleteObject({ client, bucket, key });
}

/**
 * The run completed: its state, spool, checkpoints and lease records go. Returns how many lease records
 * could not be deleted (logged as a warning naming them; a later delivery of the finished run tries again).
 */
export async function cleanUp(
  client: S3Client,
  bucket: string,
  place: RunPlace,
  record: { connection: Connection; settings: ResolvedExecutionRecordSettings } | undefined,
): Promise<{ leaseRecordsLeft: number }> {
  // S3 leftovers are harmless (a finished run never reads them) and a later delivery removes them too.
  await deleteObject({ client, bucket, key: place.stateKey }).catch(() => undefined);
  await deleteObject({ client, bucket, key: place.spoolKey }).catch(() => undefined);
  await deleteObject({ client, bucket, key: place.rowSpoolKey }).catch(() => undefined);
  await deleteCheckpoints(client, bucket, place.checkpointPrefix, Number.MAX_SAFE_INTEGER).catch(() => undefined);
  if (!record) return { leaseRecordsLeft: 0 };
  const left = await deleteLeases(record.connection, record.settings, place.idempotencyKey, place.logger);
  return { leaseRecordsLeft: left };
}

export function sameETag(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replaceAll('"', '') === b.replaceAll('"', '');
}
