// A Bulk API 2.0 query job: created, then polled until its results can be read (shared by query,
// queryPages and queryToFile).
import { type Logger, silentLogger } from '@kicksaw/core';
import { getJobInfo } from './bulk-api.js';
import { SalesforceApiError } from './errors.js';
import { type HttpContext, type HttpRetryOptions, sfJson } from './http.js';
import type { SalesforceConnection } from './session.js';

/**
 * Creates a Bulk API 2.0 query (or queryAll) job for `soqlText`, its results as LF-ended, comma-separated CSV.
 *
 * @internal
 */
export function createQueryJob(ctx: HttpContext, soqlText: string, all: boolean): Promise<{ id: string }> {
  return sfJson<{ id: string }>(ctx, 'POST', 'jobs/query', {
    operation: all ? 'queryAll' : 'query',
    query: soqlText,
    contentType: 'CSV',
    columnDelimiter: 'COMMA',
    lineEnding: 'LF',
  });
}

/**
 * Polls a query job until it completes (every `pollIntervalMs`, default 100, growing by half up to
 * `maxPollIntervalMs`, default 5000); a failed or aborted job throws with Salesforce's message.
 *
 * @internal
 */
export async function waitForQueryJob(
  ctx: HttpContext,
  jobId: string,
  options: {
    pollIntervalMs?: number | undefined;
    maxPollIntervalMs?: number | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<void> {
  let interval = options.pollIntervalMs ?? 100;
  const longest = options.maxPollIntervalMs ?? 5000;
  for (;;) {
    options.signal?.throwIfAborted();
    const info = await getJobInfo(ctx, jobId, 'query');
    if (info.state === 'JobComplete') return;
    if (info.state === 'Failed' || info.state === 'Aborted') {
      throw new SalesforceApiError(`Query job ${jobId} ended ${info.state}: ${info.errorMessage ?? 'no message'}`, {
        status: 0,
        errorCode: 'QUERY_JOB_FAILED',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(longest, Math.ceil(interval * 1.5));
  }
}

/** The options of a query job's start that `queryPages` and `queryToFile` share. */
interface StartQueryJobOptions {
  all?: boolean | undefined;
  pollIntervalMs?: number | undefined;
  maxPollIntervalMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onJob?: ((jobId: string) => void) | undefined;
  logger?: Logger | undefined;
  http?: HttpRetryOptions | undefined;
}

/**
 * Creates a query job, tells `onJob` its id and waits until its results can be read; returns the call context
 * the pages are read with.
 *
 * @internal
 */
export async function startQueryJob(
  connection: SalesforceConnection,
  soqlText: string,
  options: StartQueryJobOptions,
): Promise<{ ctx: HttpContext; logger: Logger; jobId: string }> {
  const logger = options.logger ?? silentLogger;
  const ctx: HttpContext = { conn: connection, logger, ...(options.http ? { retry: options.http } : {}) };
  options.signal?.throwIfAborted();
  const job = await createQueryJob(ctx, soqlText, options.all === true);
  options.onJob?.(job.id);
  await waitForQueryJob(ctx, job.id, options);
  return { ctx, logger, jobId: job.id };
}
