import { type FileHandle, open } from 'node:fs/promises';
import type { Logger } from '@kicksaw/core';
import { PageCountError, PageHeaderError, SalesforceApiError } from './errors.js';
import { describeError, type HttpContext, type HttpRetryOptions, sfRequest } from './http.js';
import { startQueryJob } from './query-job.js';
import type { SalesforceConnection } from './session.js';

/**
 * Options of {@link queryToFile}.
 *
 * @example
 * ```ts
 * await queryToFile(conn, 'SELECT Id, Name FROM Account', 'accounts.csv', { all: true, pageSize: 100_000 } satisfies QueryToFileOptions);
 * ```
 */
export interface QueryToFileOptions {
  /** queryAll: include deleted and archived rows. Default false. */
  all?: boolean;
  /** Records per result page (`maxRecords`). Default 50,000. */
  pageSize?: number;
  /** First wait between job status checks, growing by half each time up to `maxPollIntervalMs`. Default 100. */
  pollIntervalMs?: number;
  /** Longest wait between job status checks. Default 5,000. */
  maxPollIntervalMs?: number;
  /** Attempts at one page when its download breaks off mid-body (each writes the page again from its start). Default 5. */
  pageAttempts?: number;
  /** Stops between pages and while the job runs. */
  signal?: AbortSignal;
  /** Called once the query job exists, with its id (to show, or to abort it from elsewhere). */
  onJob?: (jobId: string) => void;
  /** Called after each page is in the file, with the records written so far. */
  onPage?: (progress: { pages: number; records: number; bytes: number }) => void;
  logger?: Logger;
  http?: HttpRetryOptions;
}

/**
 * What {@link queryToFile} wrote.
 *
 * @example
 * ```ts
 * const { records, pages, bytes, jobId }: QueryToFileResult = await queryToFile(conn, soqlText, 'out.csv');
 * ```
 */
export interface QueryToFileResult {
  jobId: string;
  /** Records in the file (the header line not counted), counted in the bytes as they were written. */
  records: number;
  /** Result pages read. */
  pages: number;
  /** Bytes of the file, the header line included. */
  bytes: number;
}

/** Bytes gathered before one positional `writev` (fewer system calls than one a socket piece). */
const WRITE_BATCH = 1 << 20;
const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Runs a SOQL query as a Bulk API 2.0 query job and writes its result, every page, into one CSV file at
 * `path` (created or truncated) exactly as Salesforce sends it: one header line (the selected fields), then
 * the records (comma, LF line endings, every value quoted, an empty value for null; UTF-8). Nothing is parsed
 * or typed, so the client's CPU and memory are those of copying bytes from the socket to the disk, whatever
 * the result's size; use {@link query} for typed records, {@link queryPages} for a file a page.
 *
 * Each page is written at the file offset where the previous one ended, its header line dropped (it must equal
 * the first page's). Records are counted in the bytes as they pass (line feeds outside quotes), and a page
 * whose count differs from the `Sforce-NumberOfRecords` Salesforce sent with it is read again. A page that
 * breaks off mid-body is read again and written again from its own start, so every record is in the file
 * exactly once; requests renew an expired session and retry 429, 5xx and network failures like every call of
 * this package. On an error the file is left truncated at the last whole page.
 *
 * @example
 * ```ts
 * import { queryToFile, soql } from '@kicksaw/sf-bulk';
 *
 * const { records } = await queryToFile(conn, soql`SELECT Id, Email FROM Contact`, 'contacts.csv');
 * console.log(`${records} contacts in contacts.csv`);
 * ```
 */
export async function queryToFile(
  connection: SalesforceConnection,
  soqlText: string,
  path: string,
  options: QueryToFileOptions = {},
): Promise<QueryToFileResult> {
  const signal = options.signal;
  const { ctx, logger, jobId } = await startQueryJob(connection, soqlText, options);

  const pageSize = options.pageSize ?? 50_000;
  const attempts = Math.max(1, options.pageAttempts ?? 5);
  const file = await open(path, 'w');
  const into: FileProgress = { ctx, logger, jobId, file, attempts, offset: 0, records: 0, pages: 0 };
  try {
    let locator: string | null = null;
    for (;;) {
      signal?.throwIfAborted();
      const params = new URLSearchParams({ maxRecords: String(pageSize) });
      if (locator) params.set('locator', locator);
      const { next, written } = await writePage(into, params);
      if (written) options.onPage?.({ pages: into.pages, records: into.records, bytes: into.offset });
      if (next === null || next === '' || next === 'null') break;
      locator = next;
    }
  } finally {
    // The file ends at the last whole page: nothing of a page that broke off (or was written again shorter) stays.
    try {
      await file.truncate(into.offset);
    } finally {
      await file.close();
    }
  }
  return { jobId, records: into.records, pages: into.pages, bytes: into.offset };
}

/** The file being written and how far: the end of its last whole page, its records, pages and header line. */
interface FileProgress {
  readonly ctx: HttpContext;
  readonly logger: Logger;
  readonly jobId: string;
  readonly file: FileHandle;
  /** Reads of one page before its error is thrown. */
  readonly attempts: number;
  offset: number;
  records: number;
  pages: number;
  header?: Buffer | undefined;
}

/**
 * Reads one page (`params`) into the file after the last whole page, again from its own start when it breaks
 * off or its record count is wrong. Returns the next page's locator, and whether the page was written (a 204
 * writes nothing).
 */
async function writePage(
  into: FileProgress,
  params: URLSearchParams,
): Promise<{ next: string | null; written: boolean }> {
  const { ctx, logger, jobId } = into;
  for (let attempt = 1; ; attempt++) {
    const answer = await sfRequest(ctx, {
      method: 'GET',
      path: `jobs/query/${jobId}/results?${params}`,
      headers: { Accept: 'text/csv' },
    });
    const next = answer.headers['sforce-locator'] ?? null;
    const counted = answer.headers['sforce-numberofrecords'];
    const expected = counted === undefined || counted === '' ? null : Number(counted);
    if (answer.status === 204) {
      answer.body.resume();
      return { next, written: false };
    }
    const page = new PageWriter(into.file, into.offset, into.header);
    try {
      for await (const piece of answer.body) await page.push(piece as Buffer);
      await page.end();
      if (expected !== null && Number.isFinite(expected) && expected !== page.records) {
        throw new PageCountError(`the page held ${page.records} records, Salesforce said ${expected}`);
      }
    } catch (error) {
      if (page.fileFailure !== undefined) throw page.fileFailure;
      if (error instanceof PageHeaderError || attempt >= into.attempts) {
        throw error instanceof PageHeaderError || error instanceof PageCountError
          ? new SalesforceApiError(`Query job ${jobId}, page ${into.pages + 1}: ${error.message}`, {
              status: 0,
              errorCode: 'QUERY_PAGE_INVALID',
              cause: error,
            })
          : error;
      }
      logger.debug('Query page broke off, writing it again from its start', {
        jobId,
        page: into.pages + 1,
        attempt,
        error: describeError(error),
      });
      continue;
    }
    into.header ??= page.header;
    into.offset = page.position;
    into.records += page.records;
    if (page.bytes > 0) into.pages++;
    return { next, written: true };
  }
}

/**
 * Writes one page's body at a file offset: drops its header line when the file has one already (checking it is
 * the same), counts its records (line feeds outside quotes: a quoted value may hold a line break, and a quote
 * inside a value is doubled, which leaves the count of quotes even), and gathers pieces into one positional
 * `writev` of about 1 MiB (the pieces are undici's own buffers, never reused, so holding them is safe).
 */
class PageWriter {
  records = 0;
  bytes = 0;
  position: number;
  header: Buffer | undefined;
  fileFailure: unknown;
  private inQuotes = false;
  private headerLeft: boolean;
  private headerParts: Buffer[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private last = LF;

  constructor(
    private readonly file: FileHandle,
    start: number,
    private readonly known: Buffer | undefined,
  ) {
    this.position = start;
    this.headerLeft = true;
  }

  async push(piece: Buffer): Promise<void> {
    let body = piece;
    if (this.headerLeft) {
      const end = body.indexOf(LF);
      this.headerParts.push(end < 0 ? body : body.subarray(0, end + 1));
      if (end < 0) return;
      this.headerLeft = false;
      const line = Buffer.concat(this.headerParts);
      this.headerParts = [];
      if (this.known === undefined) {
        this.header = line;
        this.queue(line);
      } else if (!line.equals(this.known)) {
        throw new PageHeaderError(
          `its header line ${JSON.stringify(line.toString('utf8').trim())} is not the first page's`,
        );
      }
      body = body.subarray(end + 1);
      if (body.length === 0) return;
    }
    this.count(body);
    this.queue(body);
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }

  async end(): Promise<void> {
    if (this.headerLeft && this.headerParts.length > 0) {
      // A body of one line without its line feed: the header alone.
      this.headerParts.push(Buffer.from('\n'));
      this.headerLeft = false;
      const line = Buffer.concat(this.headerParts);
      if (this.known === undefined) {
        this.header = line;
        this.queue(line);
      } else if (!line.equals(this.known)) throw new PageHeaderError('its header line is not the first page’s');
    }
    if (this.inQuotes) throw new PageCountError('the page ends inside a quoted value');
    if (this.last !== LF) {
      // The last record had no line feed: one is added so the next page's first record starts a line.
      this.records++;
      this.queue(Buffer.from('\n'));
    }
    await this.flush();
  }

  private count(body: Buffer): void {
    let inQuotes = this.inQuotes;
    let lines = 0;
    for (let i = 0; i < body.length; i++) {
      const byte = body[i] as number;
      if (byte === QUOTE) inQuotes = !inQuotes;
      else if (byte === LF && !inQuotes) lines++;
    }
    this.inQuotes = inQuotes;
    this.records += lines;
    this.last = body[body.length - 1] as number;
  }

  private queue(piece: Buffer): void {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const pieces = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let written = 0;
      while (written < total) {
        const rest = written === 0 ? pieces : [Buffer.concat(pieces).subarray(written)];
        const { bytesWritten } = await this.file.writev(rest, this.position + written);
        written += bytesWritten;
      }
    } catch (error) {
      this.fileFailure = error;
      throw error;
    }
    this.position += total;
    this.bytes += total;
  }
}
