import type { BulkOperation } from '@kicksaw/core';
import type { ImportCsvResult } from '@kicksaw/orchestrator';
import { untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES } from '../errors.js';
import { count } from '../output.js';
import { parseS3Uri, s3ClientFor } from '../s3.js';
import { bulkHttp, explainFailure, pollIntervals } from '../salesforce.js';
import type { ImportOptions } from './import.js';
import { loadMapping } from './import-mapping.js';
import { importProgress, interruptedError } from './import-progress.js';

// `kicksaw import s3://BUCKET/KEY`: flow 1 of the orchestrator (the report to errors/ and the source to
// archive/ in the same bucket), without an execution record.

/** Imports an object of S3 through the orchestrator; resolves to the exit code. */
export async function importS3(ctx: CommandContext, uri: string, o: ImportOptions, operation: BulkOperation) {
  const { bucket, key } = parseS3Uri(uri);
  const mapping = o.mapping ? await loadMapping(ctx, o.mapping) : { fields: {}, passthrough: true };
  const connection = await ctx.connection();
  const org = await ctx.org();
  const config = await ctx.config();
  const { client, region } = await s3ClientFor(config, org.name, ctx.env);
  const { importCsv } = await import('@kicksaw/orchestrator');
  const { progress, created, logger, onProgress } = importProgress(ctx, o.object);
  let result: ImportCsvResult;
  try {
    result = await untilAborted(
      ctx.signal,
      importCsv({
        s3Client: client,
        connection,
        bucket,
        key,
        object: o.object,
        operation,
        ...(o.externalId ? { externalIdField: o.externalId } : {}),
        mapping,
        execution: false,
        region,
        logger,
        ingest: {
          api: o.api,
          http: bulkHttp(ctx.env),
          ...pollIntervals(ctx.env),
          onProgress,
        },
      }),
      () => interruptedError([...created], []),
    );
  } catch (error) {
    progress.done();
    throw await explainFailure(error, org, connection, o.object);
  } finally {
    client.destroy();
  }
  progress.done();
  const document = resultDocument(uri, bucket, o, operation, result, [...created]);
  ctx.out.result(document, () => resultText(uri, o.object, operation, result, document));
  return document.exitCode;
}

/** The command's JSON result: the run's summary, its jobs, where the report and the archived source went. */
function resultDocument(
  uri: string,
  bucket: string,
  o: ImportOptions,
  operation: BulkOperation,
  result: ImportCsvResult,
  jobIds: string[],
) {
  const s = result.summary;
  const problems = s.failed + s.unprocessed;
  return {
    ok: true,
    command: 'import',
    source: uri,
    object: o.object,
    operation,
    externalIdField: o.externalId ?? null,
    status: result.status,
    summary: {
      input: s.input,
      succeeded: s.succeeded,
      failed: s.failed,
      unprocessed: s.unprocessed,
      skipped: s.skipped,
      created: s.created ?? 0,
    },
    jobIds,
    report: result.reportKey ? `s3://${bucket}/${result.reportKey}` : null,
    reportLines: result.reportLines ?? 0,
    archive: result.archiveKey ? `s3://${bucket}/${result.archiveKey}` : null,
    exitCode: result.status === 'completed' && problems > 0 ? EXIT_CODES.rowFailures : EXIT_CODES.ok,
  };
}

/** The command's result for people: one line of counts, then where the report and the source went. */
function resultText(
  uri: string,
  object: string,
  operation: BulkOperation,
  result: ImportCsvResult,
  document: { report: string | null; archive: string | null },
): string {
  const s = result.summary;
  return [
    `${uri} -> ${object} ${operation} (${result.status}${result.reason ? `: ${result.reason}` : ''}): ${count(s.input)} rows read, ${count(s.succeeded)} succeeded, ${count(s.failed)} failed, ${count(s.unprocessed)} unprocessed.`,
    ...(document.report ? [`Error report: ${document.report}`] : []),
    ...(document.archive ? [`Archived to: ${document.archive}`] : []),
  ].join('\n');
}
