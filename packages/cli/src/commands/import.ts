import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { type BulkOperation, OUTCOME_CODES, type RowOutcome, timestamp } from '@kicksaw/core';
import type { CsvRow, Mapping } from '@kicksaw/csv';
import type { ErrorReportWriter } from '@kicksaw/error-report';
import type { ImportCsvResult } from '@kicksaw/orchestrator';
import type { IngestInput, IngestProgress, IngestSummary } from '@kicksaw/sf-bulk';
import { type Command, Option } from 'commander';
import type { Connection } from 'jsforce';
import { action, example, type RunState, untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT_CODES, UsageError } from '../errors.js';
import { count } from '../output.js';
import { Progress } from '../progress.js';
import { parseS3Uri, s3ClientFor } from '../s3.js';
import { bulkHttp, explainSalesforceError, pollIntervals, withNearestNames } from '../salesforce.js';

interface ImportOptions {
  object: string;
  operation: string;
  externalId?: string;
  mapping?: string;
  report?: string;
  successReport?: string;
  api: 'auto' | 'bulk' | 'rest';
}

const OPERATIONS: Record<string, BulkOperation> = {
  insert: 'insert',
  update: 'update',
  upsert: 'upsert',
  delete: 'delete',
  'hard-delete': 'hardDelete',
};

/** Reads a mapping file (JSON or TOML): `{ fields: { LastName: "Last Name", ... }, passthrough?, drop? }`. */
async function loadMapping(ctx: CommandContext, file: string): Promise<Mapping> {
  const { readFile } = await import('node:fs/promises');
  const path = resolve(ctx.io.cwd, file);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read the mapping file ${path} (${error.code})`, { code: 'MAPPING_UNREADABLE' });
  });
  let value: unknown;
  try {
    value = extname(path) === '.toml' ? (await import('smol-toml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new CliError(`The mapping file ${path} does not parse: ${(error as Error).message.split('\n')[0]}`, {
      code: 'MAPPING_INVALID',
    });
  }
  if (!value || typeof value !== 'object' || typeof (value as Mapping).fields !== 'object') {
    throw new CliError(`The mapping file ${path} needs a "fields" table`, {
      code: 'MAPPING_INVALID',
      hint: 'Example: { "fields": { "LastName": "Last Name", "Email": "E-mail" }, "passthrough": false }',
    });
  }
  return value as Mapping;
}

function interruptedError(jobs: string[], done: string[], aborted: string[] = []): CliError {
  const lines: string[] = [];
  if (aborted.length) {
    lines.push(`Jobs whose upload had not finished were aborted (their rows were not loaded): ${aborted.join(', ')}.`);
  }
  if (jobs.length) {
    lines.push(
      `Jobs left running in Salesforce (they finish there): ${jobs.join(', ')}.`,
      'Collect their results later with:',
      ...jobs.map((id) => `  kicksaw jobs results ${id} --out results`),
    );
  }
  return new CliError('Interrupted', {
    code: 'INTERRUPTED',
    done,
    hint: lines.length ? lines.join('\n') : 'No Salesforce job was running.',
  });
}

/**
 * On Ctrl-C: a job still Open (its upload not closed) would never run, so it is aborted; the others are
 * processing in Salesforce and are left to finish. Each check is one quick call; a job that cannot be read
 * is listed as running.
 */
async function sortInterruptedJobs(
  connection: Connection,
  ids: string[],
): Promise<{ running: string[]; aborted: string[] }> {
  const running: string[] = [];
  const aborted: string[] = [];
  const url = (id: string) => `/services/data/v${connection.version}/jobs/ingest/${id}`;
  await Promise.all(
    ids.map(async (id) => {
      try {
        const job = (await connection.request({ method: 'GET', url: url(id) }, {
          retry: { maxRetries: 0 },
        } as never)) as {
          state?: string;
        };
        if (job.state === 'Open') {
          await connection.request(
            {
              method: 'PATCH',
              url: url(id),
              body: JSON.stringify({ state: 'Aborted' }),
              headers: { 'content-type': 'application/json' },
            },
            { retry: { maxRetries: 0 } } as never,
          );
          aborted.push(id);
        } else running.push(id);
      } catch {
        running.push(id);
      }
    }),
  );
  return { running: ids.filter((id) => running.includes(id)), aborted: ids.filter((id) => aborted.includes(id)) };
}

/**
 * The progress line of an import: `created` collects the jobs Salesforce created (the logger puts each on
 * the line as it comes), `onProgress` shows the counts ingest reports.
 */
function importProgress(ctx: CommandContext, object: string) {
  const progress = new Progress(ctx.out, `import ${object}`);
  const created = new Set<string>();
  const logger = ctx.out.logger((message, context) => {
    const jobId = context?.jobId;
    if (message === 'Bulk API job created' && typeof jobId === 'string') {
      created.add(jobId);
      progress.line(`job ${jobId} created (${count(Number(context?.rows ?? 0))} rows)`);
    }
  });
  const onProgress = (p: IngestProgress) =>
    progress.update({
      rowsRead: p.rowsRead,
      rowsSent: p.rowsUploaded,
      rowsSucceeded: p.rowsSucceeded,
      rowsFailed: p.rowsFailed + p.rowsUnprocessed,
      jobsOpen: p.jobsOpen,
    });
  return { progress, created, logger, onProgress };
}

async function importLocal(
  ctx: CommandContext,
  state: RunState,
  file: string,
  o: ImportOptions,
  operation: BulkOperation,
) {
  const path = resolve(ctx.io.cwd, file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new CliError(`No file at ${path}`, {
      code: 'FILE_NOT_FOUND',
      hint: 'Give the path of a CSV file, or s3://BUCKET/KEY.',
    });
  }
  const mapping = o.mapping ? await loadMapping(ctx, o.mapping) : undefined;
  const connection = await ctx.connection();
  const org = await ctx.org();
  const { progress, created, logger, onProgress } = importProgress(ctx, o.object);
  const settled = new Set<string>();

  const [{ readCsv, createMapper }, { createErrorReport }, { ingest }] = await Promise.all([
    import('@kicksaw/csv'),
    import('@kicksaw/error-report'),
    import('@kicksaw/sf-bulk'),
  ]);
  const reader = readCsv(path);
  const mapper = mapping ? createMapper(mapping) : undefined;
  if (mapper) mapper.check(await reader.header(), path);
  const stop = { requested: false };
  ctx.signal.addEventListener('abort', () => {
    stop.requested = true;
  });
  async function* records(): AsyncGenerator<IngestInput> {
    for await (const row of reader as AsyncIterable<CsvRow>) {
      if (stop.requested) return;
      if (!mapper || 'problem' in row) {
        yield row;
        continue;
      }
      const mapped = mapper(row.record, row.row);
      if (mapped.ok) yield { row: row.row, line: row.line, record: mapped.record };
      else {
        const first = mapped.errors[0];
        yield {
          row: row.row,
          line: row.line,
          problem: {
            code: first?.statusCode ?? OUTCOME_CODES.INVALID_VALUE,
            message: mapped.errors.map((e) => e.message).join('; '),
          },
        };
      }
    }
  }

  const stamp = timestamp();
  const defaultReport = resolve(ctx.io.cwd, `${basename(path, extname(path))}-errors-${stamp}.csv`);
  const reportPath = o.report ? resolve(ctx.io.cwd, o.report) : undefined;
  const successPath = o.successReport ? resolve(ctx.io.cwd, o.successReport) : undefined;
  let report: ErrorReportWriter | undefined;
  let reportFile: string | undefined;
  const openReport = () => {
    reportFile = reportPath ?? defaultReport;
    report = createErrorReport({
      output: reportFile,
      object: o.object,
      ...(o.externalId ? { upsertKey: o.externalId } : {}),
      ...(successPath ? { includeSuccesses: successPath } : {}),
    });
    return report;
  };
  if (reportPath || successPath) openReport();

  const run = ingest({
    connection,
    object: o.object,
    operation,
    ...(o.externalId ? { externalIdField: o.externalId } : {}),
    records: records(),
    api: o.api,
    http: bulkHttp(ctx.env),
    ...pollIntervals(ctx.env),
    logger,
    source: path,
    onProgress,
  });
  let outcomes = 0;
  const consume = async (): Promise<IngestSummary> => {
    for await (const outcome of run as AsyncIterable<RowOutcome>) {
      outcomes += 1;
      if (outcome.jobId) settled.add(outcome.jobId);
      if (outcome.status !== 'succeeded' && !report) openReport();
      if (report) await report.write(outcome);
    }
    return await run.summary();
  };
  let summary: IngestSummary;
  try {
    summary = await untilAborted(ctx.signal, consume(), () => {
      state.forceExit = true;
      return new CliError('Interrupted', { code: 'INTERRUPTED' });
    });
  } catch (error) {
    progress.done();
    if (report) await (report as ErrorReportWriter).end().catch(() => undefined);
    if (error instanceof CliError && error.code === 'INTERRUPTED') {
      const { running, aborted } = await sortInterruptedJobs(
        connection,
        [...created].filter((id) => !settled.has(id)),
      );
      throw interruptedError(
        running,
        [`${count(outcomes)} row outcomes received`, ...(report ? [`report so far: ${reportFile}`] : [])],
        aborted,
      );
    }
    if (error instanceof CliError) throw error;
    const explained = await withNearestNames(explainSalesforceError(error, org), connection, o.object);
    if (created.size === 0) throw explained;
    // An outage mid-run: say which jobs exist, so their results can be collected once the org answers.
    const running = [...created].filter((id) => !settled.has(id));
    const e = explained as Error & { code?: string; hint?: string };
    throw new CliError(e.message, {
      code: e.code ?? 'IMPORT_FAILED',
      done: [
        `jobs created: ${[...created].join(', ')}`,
        `${count(outcomes)} row outcomes received`,
        ...(report ? [`report so far: ${reportFile}`] : []),
      ],
      hint: `${e.hint ? `${e.hint} ` : ''}HTTP calls were retried 5 times. Jobs not settled here: ${running.join(', ') || 'none'}; check them with \`kicksaw jobs show ID\` and collect their results with \`kicksaw jobs results ID --out DIR\`.`,
      cause: error,
    });
  }
  progress.done();
  const counts = report ? await (report as ErrorReportWriter).end() : undefined;
  const problems = summary.failed + summary.unprocessed;
  const document = {
    ok: true,
    command: 'import',
    source: path,
    object: o.object,
    operation,
    externalIdField: o.externalId ?? null,
    summary: {
      input: summary.input,
      succeeded: summary.succeeded,
      failed: summary.failed,
      unprocessed: summary.unprocessed,
      skipped: summary.skipped,
      created: summary.created ?? 0,
      jobs: summary.jobs,
      retried: summary.retried,
      api: summary.api,
    },
    jobIds: [...created],
    report: reportFile ?? null,
    reportLines: counts?.errorLines ?? 0,
    successReport: successPath ?? null,
    exitCode: problems > 0 ? EXIT_CODES.rowFailures : EXIT_CODES.ok,
  };
  ctx.out.result(document, () =>
    [
      `${o.object} ${operation}: ${count(summary.input)} rows read, ${count(summary.succeeded)} succeeded (${count(summary.created ?? 0)} created), ${count(summary.failed)} failed, ${count(summary.unprocessed)} unprocessed${summary.skipped ? `, ${count(summary.skipped)} skipped` : ''}.`,
      ...(reportFile ? [`Error report: ${reportFile}${counts ? ` (${count(counts.errorLines)} lines)` : ''}`] : []),
      ...(successPath ? [`Success report: ${successPath}`] : []),
      ...(created.size ? [`Jobs: ${[...created].join(', ')}`] : []),
    ].join('\n'),
  );
  return document.exitCode;
}

async function importS3(ctx: CommandContext, uri: string, o: ImportOptions, operation: BulkOperation) {
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
    if (error instanceof CliError) throw error;
    throw await withNearestNames(explainSalesforceError(error, org), connection, o.object);
  } finally {
    client.destroy();
  }
  progress.done();
  const s = result.summary;
  const problems = s.failed + s.unprocessed;
  const report = result.reportKey ? `s3://${bucket}/${result.reportKey}` : null;
  const document = {
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
    jobIds: [...created],
    report,
    reportLines: result.reportLines ?? 0,
    archive: result.archiveKey ? `s3://${bucket}/${result.archiveKey}` : null,
    exitCode: result.status === 'completed' && problems > 0 ? EXIT_CODES.rowFailures : EXIT_CODES.ok,
  };
  ctx.out.result(document, () =>
    [
      `${uri} -> ${o.object} ${operation} (${result.status}${result.reason ? `: ${result.reason}` : ''}): ${count(s.input)} rows read, ${count(s.succeeded)} succeeded, ${count(s.failed)} failed, ${count(s.unprocessed)} unprocessed.`,
      ...(report ? [`Error report: ${report}`] : []),
      ...(document.archive ? [`Archived to: ${document.archive}`] : []),
    ].join('\n'),
  );
  return document.exitCode;
}

/** `kicksaw import FILE|s3://BUCKET/KEY ...` */
export function registerImport(program: Command, state: RunState): void {
  example(
    program
      .command('import')
      .description(
        'Load a CSV file (local or in S3) into a Salesforce object, with an error report of every failed row',
      )
      .argument(
        '<source>',
        'a CSV file, or s3://BUCKET/KEY (read by the orchestrator: report to errors/, source to archive/)',
      )
      .requiredOption('--object <name>', 'the Salesforce object, e.g. Contact')
      .addOption(
        new Option('--operation <op>', 'what to do with each row')
          .choices(Object.keys(OPERATIONS))
          .makeOptionMandatory(),
      )
      .option('--external-id <field>', 'the external id field (upsert)')
      .option('--mapping <file>', 'column mapping (JSON or TOML): { fields: { LastName: "Last Name" } }')
      .option('--report <file>', 'the error report (default: <name>-errors-<time>.csv, written when a row fails)')
      .option('--success-report <file>', 'also write the succeeded rows with their ids')
      .addOption(
        new Option('--api <api>', 'auto: sObject Collections for small files, Bulk API 2.0 above')
          .choices(['auto', 'bulk', 'rest'])
          .default('auto'),
      )
      .action(
        action<ImportOptions>(state, async (ctx, [source], o) => {
          const operation = OPERATIONS[o.operation] as BulkOperation;
          if (operation === 'upsert' && !o.externalId)
            throw new UsageError('--operation upsert needs --external-id FIELD');
          if ((source as string).startsWith('s3://')) {
            if (o.report || o.successReport) {
              throw new UsageError('--report and --success-report are for local files', {
                hint: 'An S3 import writes its error report next to the file, under errors/ in the same bucket.',
              });
            }
            return await importS3(ctx, source as string, o, operation);
          }
          return await importLocal(ctx, state, source as string, o, operation);
        }),
      ),
    'kicksaw import contacts.csv --object Contact --operation upsert --external-id Email --report errors.csv',
    'kicksaw import s3://inbound/contacts.csv --object Contact --operation insert --mapping mapping.json',
  );
}
