import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, KicksawError, type RowOutcome, timestamp } from '@kicksaw/core';
import { fileNameOf, MAX_PRESIGN_SECONDS, presignGetUrl, uploadObject } from '@kicksaw/s3';
import { createErrorReport, type ErrorReportOptions, type ReportCounts } from './report.js';
import type { OutcomeSummary } from './summary.js';

/**
 * The error folder, as the Python kicksaw-integration-utils named it.
 *
 * @example
 * ```ts
 * errorReportKey({ folder: DEFAULT_ERROR_FOLDER }); // 'errors/error-report-<timestamp>.csv'
 * ```
 */
export const DEFAULT_ERROR_FOLDER = 'errors';

/**
 * The error report key of the Python kicksaw-integration-utils: `errors/error-report-<timestamp>.csv`, with core's `timestamp()`
 * (`20220705T143012Z`) unless one is given (to match an archive key of the same run).
 *
 * @example
 * ```ts
 * errorReportKey({ timestamp: '20220705T143012Z' }); // 'errors/error-report-20220705T143012Z.csv'
 * ```
 */
export function errorReportKey(options: { folder?: string; timestamp?: string } = {}): string {
  const folder = (options.folder ?? DEFAULT_ERROR_FOLDER).replace(/^\/+|\/+$/g, '');
  const name = `error-report-${options.timestamp ?? timestamp()}.csv`;
  return folder ? `${folder}/${name}` : name;
}

/**
 * Options of {@link createS3ErrorReport}: the report's options, minus the output, plus where in S3.
 *
 * @example
 * ```ts
 * const options: S3ErrorReportOptions = { client, bucket: 'acme', object: 'Contact', link: { expiresIn: 86_400 } };
 * ```
 */
export interface S3ErrorReportOptions
  extends Omit<ErrorReportOptions, 'output' | 'append' | 'endOutput' | 'includeSuccesses'> {
  client: S3Client;
  bucket: string;
  /** The object key. Default {@link errorReportKey}: `errors/error-report-<timestamp>.csv`. */
  key?: string;
  /** The folder of the default key. Default `errors`. */
  folder?: string;
  /** The timestamp of the default key. Default: now, by core's `timestamp()`. */
  timestamp?: string;
  /**
   * The link returned: a presigned GET URL valid `expiresIn` seconds (default 3600), offered as a
   * download named like the key's file. `false` for no link. Objects are never made public.
   */
  link?: { expiresIn?: number; downloadName?: string } | false;
  /** Default `text/csv; charset=utf-8`. */
  contentType?: string;
  /** User metadata on the object. */
  metadata?: Record<string, string>;
  /** Multipart part size in bytes. Default 5 MiB. Memory held is about `partSize × (queueSize + 1)`. */
  partSize?: number;
  /** Parts uploaded at once. Default 4. */
  queueSize?: number;
}

/**
 * Where an uploaded report is, a link to it, and what it holds.
 *
 * @example
 * ```ts
 * const { key, url, counts }: UploadedErrorReport = await report.end();
 * ```
 */
export interface UploadedErrorReport {
  bucket: string;
  key: string;
  /** A presigned GET URL, or `undefined` with `link: false`. */
  url: string | undefined;
  counts: ReportCounts;
  eTag?: string;
  versionId?: string;
}

/**
 * A report that streams into S3 as it is written.
 *
 * @example
 * ```ts
 * const report: S3ErrorReportWriter = createS3ErrorReport({ client, bucket: 'acme' });
 * try { await report.writeAll(run); } catch (error) { await report.abort(error); throw error; }
 * const uploaded = await report.end();
 * ```
 */
export interface S3ErrorReportWriter {
  /** The key the report is being written to. */
  readonly key: string;
  write(outcome: RowOutcome): Promise<void>;
  writeAll(outcomes: Iterable<RowOutcome> | AsyncIterable<RowOutcome>): Promise<ReportCounts>;
  /** Ends the report, waits for the upload to complete, and returns where it is with a link. */
  end(): Promise<UploadedErrorReport>;
  /** Stops the upload; nothing is stored. */
  abort(reason?: unknown): Promise<void>;
  counts(): ReportCounts;
  summary(): OutcomeSummary;
}

/** A presigned link's lifetime, when one is asked for: whole seconds within SigV4's 7 days. */
function checkLinkExpiry(options: S3ErrorReportOptions): void {
  const expiresIn = options.link === false ? undefined : options.link?.expiresIn;
  if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS)) {
    throw new ConfigError(`must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}, not ${expiresIn}`, {
      setting: 'link.expiresIn',
      hint: 'A presigned link lives at most 7 days.',
    });
  }
}

/** The stored report's presigned download link, unless `link: false`. */
async function reportLink(options: S3ErrorReportOptions, key: string): Promise<string | undefined> {
  if (options.link === false) return undefined;
  return await presignGetUrl({
    client: options.client,
    bucket: options.bucket,
    key,
    expiresIn: options.link?.expiresIn,
    downloadName: options.link?.downloadName ?? fileNameOf(key),
  });
}

/**
 * Creates an error report that streams straight into S3 (multipart through `@kicksaw/s3`'s
 * `uploadObject`, no temp file), for writing outcomes while a run is still going.
 *
 * @example
 * ```ts
 * const report = createS3ErrorReport({ client, bucket: 'acme-integrations', object: 'Contact', upsertKey: 'Email' });
 * for await (const outcome of run) await report.write(outcome);
 * const { key, url, counts } = await report.end();
 * ```
 */
export function createS3ErrorReport(options: S3ErrorReportOptions): S3ErrorReportWriter {
  const { client, bucket } = options;
  if (!bucket) throw new ConfigError('is required', { setting: 'bucket' });
  const key = options.key ?? errorReportKey({ folder: options.folder, timestamp: options.timestamp });
  checkLinkExpiry(options);
  const body = new PassThrough();
  const report = createErrorReport({ ...options, output: body, endOutput: true });

  let uploadFailure: unknown;
  const upload = uploadObject({
    client,
    bucket,
    key,
    body,
    contentType: options.contentType ?? 'text/csv; charset=utf-8',
    metadata: options.metadata,
    partSize: options.partSize,
    queueSize: options.queueSize,
  }).catch((error: unknown) => {
    uploadFailure = error;
    body.destroy(error instanceof Error ? error : undefined);
    throw error;
  });
  // The failure is rethrown from end(); until then, keep it from being an unhandled rejection.
  upload.catch(() => {});

  const failed = (error: unknown): KicksawError =>
    new KicksawError(`Could not upload the error report to s3://${bucket}/${key}: ${describe(error)}`, {
      code: 'REPORT_UPLOAD_FAILED',
      cause: error,
    });

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw uploadFailure === undefined ? error : failed(uploadFailure);
    }
  };

  return {
    key,
    write: (outcome) => guard(() => report.write(outcome)),
    writeAll: (outcomes) => guard(() => report.writeAll(outcomes)),
    async end() {
      const counts = await guard(() => report.end());
      let put: Awaited<typeof upload>;
      try {
        put = await upload;
      } catch (error) {
        throw failed(error);
      }
      const url = await reportLink(options, key);
      return {
        bucket,
        key,
        url,
        counts,
        ...(put.eTag === undefined ? {} : { eTag: put.eTag }),
        ...(put.versionId === undefined ? {} : { versionId: put.versionId }),
      };
    },
    async abort(reason) {
      const error = reason instanceof Error ? reason : new Error('error report aborted');
      body.destroy(error);
      await upload.catch(() => {});
    },
    counts: () => report.counts(),
    summary: () => report.summary(),
  };
}

/**
 * Options of {@link uploadErrorReport}.
 *
 * @example
 * ```ts
 * const options: UploadErrorReportOptions = { client, bucket: 'acme', outcomes: run, object: 'Contact' };
 * ```
 */
export interface UploadErrorReportOptions extends S3ErrorReportOptions {
  /** The outcomes: an array, an ingest run, any (async) iterable. */
  outcomes: Iterable<RowOutcome> | AsyncIterable<RowOutcome>;
}

/**
 * Writes outcomes as an error report straight into S3 (default key `errors/error-report-<timestamp>.csv`)
 * and returns the key, a presigned link (1 hour by default) and the counts. If reading the outcomes
 * or the upload fails, nothing is stored and the error is thrown.
 *
 * @example
 * ```ts
 * const { key, url, counts } = await uploadErrorReport({ client, bucket: 'acme', outcomes, object: 'Contact' });
 * logger.info('error report', { key, url, errorLines: counts.errorLines });
 * ```
 */
export async function uploadErrorReport(options: UploadErrorReportOptions): Promise<UploadedErrorReport> {
  const { outcomes, ...rest } = options;
  const report = createS3ErrorReport(rest);
  try {
    await report.writeAll(outcomes);
  } catch (error) {
    await report.abort(error);
    throw error;
  }
  return report.end();
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
