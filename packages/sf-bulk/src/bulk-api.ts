import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BulkOperation } from '@kicksaw/core';
import { type HttpContext, sfDownload, sfJson, sfSend } from './http.js';
import type { PartBody } from './part.js';

/** A Bulk API 2.0 job's information (`GET jobs/ingest/{id}`), the fields the engine reads. */
export interface IngestJobInfo {
  id: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted' | string;
  object?: string;
  operation?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  retries?: number;
  /** When the job last changed (its end, once it ended). */
  systemModstamp?: string;
}

/** Terminal job states. */
export const FINISHED_STATES = new Set(['JobComplete', 'Failed', 'Aborted']);

/** The three result sets of an ingest job. */
export type ResultKind = 'successfulResults' | 'failedResults' | 'unprocessedrecords';

/** Creates an ingest job (`POST jobs/ingest`). */
export function createIngestJob(
  ctx: HttpContext,
  input: { object: string; operation: BulkOperation; externalIdFieldName?: string | undefined },
): Promise<IngestJobInfo> {
  return sfJson<IngestJobInfo>(ctx, 'POST', 'jobs/ingest', {
    object: input.object,
    operation: input.operation,
    ...(input.externalIdFieldName ? { externalIdFieldName: input.externalIdFieldName } : {}),
    contentType: 'CSV',
    lineEnding: 'LF',
    columnDelimiter: 'COMMA',
  });
}

/**
 * Uploads a job's CSV (`PUT jobs/ingest/{id}/batches`), written from the part body to the socket
 * through one reused buffer, and retried from its start.
 */
export async function uploadJobData(ctx: HttpContext, jobId: string, body: PartBody): Promise<void> {
  await sfSend(ctx, {
    method: 'PUT',
    path: `jobs/ingest/${jobId}/batches`,
    headers: { 'Content-Type': 'text/csv' },
    body,
  });
}

/** Sets a job's state (`PATCH jobs/ingest/{id}`): `UploadComplete` to start it, `Aborted` to stop it. */
export function setJobState(
  ctx: HttpContext,
  jobId: string,
  state: 'UploadComplete' | 'Aborted',
  kind: 'ingest' | 'query' = 'ingest',
): Promise<IngestJobInfo> {
  return sfJson<IngestJobInfo>(ctx, 'PATCH', `jobs/${kind}/${jobId}`, { state });
}

/** Reads a job's information. */
export function getJobInfo(
  ctx: HttpContext,
  jobId: string,
  kind: 'ingest' | 'query' = 'ingest',
): Promise<IngestJobInfo> {
  return sfJson<IngestJobInfo>(ctx, 'GET', `jobs/${kind}/${jobId}`);
}

/**
 * Downloads one result set of a job to a temporary file (streamed through one reused buffer, never
 * held in memory). A connection that drops while the body streams restarts the download (with the
 * retries of the HTTP layer). Returns undefined when the set is empty (204 or no bytes).
 */
export async function downloadResult(
  ctx: HttpContext,
  jobId: string,
  kind: ResultKind,
  options: { directory?: string | undefined } = {},
): Promise<string | undefined> {
  const path = join(options.directory ?? tmpdir(), `kicksaw-sf-bulk-${jobId}-${kind}-${randomUUID()}.csv`);
  try {
    const { status, bytes } = await sfDownload(
      ctx,
      { path: `jobs/ingest/${jobId}/${kind}`, headers: { Accept: 'text/csv' } },
      path,
    );
    if (status === 204 || bytes === 0) {
      await rm(path, { force: true });
      return undefined;
    }
    return path;
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
