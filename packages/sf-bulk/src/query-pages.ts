import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@kicksaw/core';
import { describeError, type HttpContext, type HttpRetryOptions, sfFetch } from './http.js';
import { startQueryJob } from './query-job.js';
import type { SalesforceConnection } from './session.js';

/**
 * Options of {@link queryPages}.
 *
 * @example
 * ```ts
 * queryPages(conn, 'SELECT Id, Name FROM Account', { all: true, pageSize: 100_000, directory: '/tmp' } satisfies QueryPagesOptions);
 * ```
 */
export interface QueryPagesOptions {
  /** queryAll: include deleted and archived rows. Default false. */
  all?: boolean;
  /** Records per result page (`maxRecords`). Default 50,000. */
  pageSize?: number;
  /** First wait between job status checks, growing by half each time up to `maxPollIntervalMs`. Default 100. */
  pollIntervalMs?: number;
  /** Longest wait between job status checks. Default 5,000. */
  maxPollIntervalMs?: number;
  /** Where page files are written (a folder of their own is made inside and removed at the end). Default the OS temp dir. */
  directory?: string;
  /** Attempts at one page when its download breaks off mid-body (each reads the page again whole). Default 5. */
  pageAttempts?: number;
  /**
   * Download the next page while the caller works on the current one (two page files on disk at most). Default
   * true; false reads a page only when the loop asks for it.
   */
  readAhead?: boolean;
  /** Stops between pages and while the job runs. */
  signal?: AbortSignal;
  /** Called once the query job exists, with its id (to show, or to abort it from elsewhere). */
  onJob?: (jobId: string) => void;
  logger?: Logger;
  http?: HttpRetryOptions;
}

/**
 * One result page of a Bulk API 2.0 query job, as Salesforce wrote it: CSV (comma, LF line endings, a header
 * line of the selected fields, every value quoted, an empty value for null), UTF-8, never parsed here.
 *
 * @example
 * ```ts
 * const { path, records, bytes, index }: QueryPage = page;
 * ```
 */
export interface QueryPage {
  jobId: string;
  /** 1 for the first page. */
  index: number;
  /**
   * The file holding the page. It is removed when the loop asks for the next page (or ends), so load or copy
   * it before then.
   */
  path: string;
  /** Records in the page as Salesforce counts them (`Sforce-NumberOfRecords`); null when it does not say. */
  records: number | null;
  /** Bytes of the file, the header line included. */
  bytes: number;
  /** The locator this page was read with (null for the first page). */
  locator: string | null;
  /** Whether more pages follow. */
  more: boolean;
}

/**
 * Runs a SOQL query as a Bulk API 2.0 query job and yields its result pages as files of raw CSV bytes, one
 * page at a time, following the locator. No row is parsed: a loader that reads CSV itself (a database's
 * `COPY` or `read_csv`) takes the file as it is, so the client's memory and CPU stay flat whatever the
 * result's size. The next page downloads while the caller works on the current one (`readAhead`). Requests renew an expired session and retry 429, 5xx and network failures like every call
 * of this package; a download that breaks off mid-body is read again from the start of its page (the file is
 * rewritten), so a page is yielded once and whole. Zero records yield no page.
 *
 * Why a file and not a stream: a page that breaks off half-way must be read again from its start, which a
 * consumer already fed with its first half could not undo.
 *
 * @example
 * ```ts
 * import { queryPages } from '@kicksaw/sf-bulk';
 *
 * let rows = 0;
 * for await (const page of queryPages(conn, 'SELECT Id, Name FROM Account', { all: true })) {
 *   await warehouse.execute(`COPY accounts FROM '${page.path}' (HEADER)`); // the file is gone after this turn
 *   rows += page.records ?? 0;
 * }
 * ```
 */
export async function* queryPages(
  connection: SalesforceConnection,
  soqlText: string,
  options: QueryPagesOptions = {},
): AsyncGenerator<QueryPage> {
  const signal = options.signal;
  const { ctx, logger, jobId } = await startQueryJob(connection, soqlText, options);

  const folder = await mkdtemp(join(options.directory ?? tmpdir(), 'kicksaw-query-pages-'));
  const pageSize = options.pageSize ?? 50_000;
  const attempts = Math.max(1, options.pageAttempts ?? 5);
  const ahead = options.readAhead !== false;
  const from: PageSource = { ctx, logger, jobId, folder, pageSize, attempts };
  const download = (index: number, locator: string | null) => downloadPage(from, index, locator);
  let pending: Promise<DownloadedPage> | undefined;
  try {
    pending = download(1, null);
    for (;;) {
      const page = await pending;
      pending = undefined;
      signal?.throwIfAborted();
      // The next page downloads while the caller works on this one (a file each: memory stays flat).
      if (page.next !== null && ahead) {
        pending = download(page.index + 1, page.next);
        pending.catch(() => undefined); // handled when awaited; never an unhandled rejection meanwhile
      }
      if (page.bytes > 0 && page.records !== 0) {
        try {
          yield {
            jobId,
            index: page.index,
            path: page.path,
            records: page.records,
            bytes: page.bytes,
            locator: page.locator,
            more: page.next !== null,
          };
        } finally {
          await rm(page.path, { force: true });
        }
      } else await rm(page.path, { force: true });
      if (page.next === null) return;
      pending ??= download(page.index + 1, page.next);
    }
  } finally {
    // A download still running (the caller stopped early) finishes before its folder goes.
    if (pending) await pending.catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
  }
}

/** Where {@link downloadPage} reads pages from and puts them. */
interface PageSource {
  readonly ctx: HttpContext;
  readonly logger: Logger;
  readonly jobId: string;
  readonly folder: string;
  readonly pageSize: number;
  /** Reads of one page before its error is thrown. */
  readonly attempts: number;
}

/** Downloads one page to a file of its own; a body cut mid-way is read again whole. */
async function downloadPage(from: PageSource, index: number, locator: string | null): Promise<DownloadedPage> {
  const { ctx, logger, jobId } = from;
  const params = new URLSearchParams({ maxRecords: String(from.pageSize) });
  if (locator) params.set('locator', locator);
  const path = join(from.folder, `page-${index}-${randomUUID().slice(0, 8)}.csv`);
  for (let attempt = 1; ; attempt++) {
    const response = await sfFetch(ctx, {
      method: 'GET',
      path: `jobs/query/${jobId}/results?${params}`,
      headers: { Accept: 'text/csv' },
    });
    const next = response.headers.get('sforce-locator');
    const count = response.headers.get('sforce-numberofrecords');
    const records = count === null || count === '' || Number.isNaN(Number(count)) ? null : Number(count);
    const more = next !== null && next !== '' && next !== 'null';
    if (!response.body || response.status === 204) {
      return { index, locator, next: more ? next : null, path, records: records ?? 0, bytes: 0 };
    }
    try {
      await pipeline(Readable.fromWeb(response.body as never), createWriteStream(path));
      return { index, locator, next: more ? next : null, path, records, bytes: (await stat(path)).size };
    } catch (error) {
      await rm(path, { force: true });
      if (attempt >= from.attempts) throw error;
      logger.debug('Query page broke off, reading it again', {
        jobId,
        page: index,
        attempt,
        error: describeError(error),
      });
    }
  }
}

interface DownloadedPage {
  index: number;
  locator: string | null;
  next: string | null;
  path: string;
  records: number | null;
  bytes: number;
}
