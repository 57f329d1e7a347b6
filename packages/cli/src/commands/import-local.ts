import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { type BulkOperation, type RowOutcome, timestamp } from '@kicksaw/core';
import type { CsvRow } from '@kicksaw/csv';
import type { ErrorReportWriter } from '@kicksaw/error-report';
import type { IngestSummary } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import { type RunState, untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT_CODES } from '../errors.js';
import { count } from '../output.js';
import { bulkHttp, explainFailure, pollIntervals, type ResolvedOrg } from '../salesforce.js';
import type { ImportOptions } from './import.js';
import { loadMapping, mappedRecords } from './import-mapping.js';
import { importProgress, interruptedError, sortInterruptedJobs } from './import-progress.js';

// `kicksaw import FILE`: the CSV read and mapped here, sent through sf-bulk's ingest, every outcome that is
// not a success written to the error report (opened at the first one, or at the start when named), and the
// summary as the command's document.

/** The path of a local CSV file, checked to be one. */
async function sourceFile(ctx: CommandContext, file: string): Promise<string> {
  const path = resolve(ctx.io.cwd, file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new CliError(`No file at ${path}`, {
      code: 'FILE_NOT_FOUND',
      hint: 'Give the path of a CSV file, or s3://BUCKET/KEY.',
    });
  }
  return path;
}

/** The error report of an import: opened when named (or a success report is), else at the first failed row. */
interface LazyReport {
  /** The writer, once opened. */
  readonly writer: ErrorReportWriter | undefined;
  /** Its file, once opened. */
  readonly file: string | undefined;
  /** The success report's file, when asked for. */
  readonly successFile: string | undefined;
  /** Writes an outcome: a failed one opens the report; a success goes in only when the report is open. */
  write(outcome: RowOutcome): Promise<void>;
}

async function lazyReport(ctx: CommandContext, path: string, o: ImportOptions): Promise<LazyReport> {
  const { createErrorReport } = await import('@kicksaw/error-report');
  const defaultFile = resolve(ctx.io.cwd, `${basename(path, extname(path))}-errors-${timestamp()}.csv`);
  const named = o.report ? resolve(ctx.io.cwd, o.report) : undefined;
  const successFile = o.successReport ? resolve(ctx.io.cwd, o.successReport) : undefined;
  let writer: ErrorReportWriter | undefined;
  let file: string | undefined;
  const open = () => {
    file = named ?? defaultFile;
    writer = createErrorReport({
      output: file,
      object: o.object,
      ...(o.externalId ? { upsertKey: o.externalId } : {}),
      ...(successFile ? { includeSuccesses: successFile } : {}),
    });
    return writer;
  };
  if (named || successFile) open();
  return {
    get writer() {
      return writer;
    },
    get file() {
      return file;
    },
    successFile,
    async write(outcome) {
      if (outcome.status !== 'succeeded' && !writer) open();
      if (writer) await writer.write(outcome);
    },
  };
}

/** The jobs an import created and the ones whose outcomes all came back. */
interface Jobs {
  created: Set<string>;
  settled: Set<string>;
}

/**
 * The error to end a failed import with: on Ctrl-C, Open jobs aborted and the running ones listed; a
 * Salesforce error explained; after an outage mid-run, which jobs exist so their results can be collected.
 */
async function importFailure(
  error: unknown,
  context: { org: ResolvedOrg; connection: Connection; o: ImportOptions; jobs: Jobs; outcomes: number },
  report: LazyReport,
): Promise<unknown> {
  const { org, connection, o, jobs, outcomes } = context;
  if (report.writer) await report.writer.end().catch(() => undefined);
  const unsettled = () => [...jobs.created].filter((id) => !jobs.settled.has(id));
  const reportSoFar = report.writer ? [`report so far: ${report.file}`] : [];
  if (error instanceof CliError && error.code === 'INTERRUPTED') {
    const { running, aborted } = await sortInterruptedJobs(connection, unsettled());
    return interruptedError(running, [`${count(outcomes)} row outcomes received`, ...reportSoFar], aborted);
  }
  if (error instanceof CliError) return error;
  const explained = await explainFailure(error, org, connection, o.object);
  if (jobs.created.size === 0) return explained;
  // An outage mid-run: say which jobs exist, so their results can be collected once the org answers.
  const running = unsettled();
  const e = explained as Error & { code?: string; hint?: string };
  return new CliError(e.message, {
    code: e.code ?? 'IMPORT_FAILED',
    done: [`jobs created: ${[...jobs.created].join(', ')}`, `${count(outcomes)} row outcomes received`, ...reportSoFar],
    hint: `${e.hint ? `${e.hint} ` : ''}HTTP calls were retried 5 times. Jobs not settled here: ${running.join(', ') || 'none'}; check them with \`kicksaw jobs show ID\` and collect their results with \`kicksaw jobs results ID --out DIR\`.`,
    cause: error,
  });
}

/** Prints the summary of a finished import (its document with --json); resolves to the exit code. */
function reportDone(
  ctx: CommandContext,
  run: { path: string; o: ImportOptions; operation: BulkOperation; summary: IngestSummary; jobIds: string[] },
  report: LazyReport,
  counts: { errorLines: number } | undefined,
): number {
  const { path, o, operation, summary, jobIds } = run;
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
    jobIds,
    report: report.file ?? null,
    reportLines: counts?.errorLines ?? 0,
    successReport: report.successFile ?? null,
    exitCode: problems > 0 ? EXIT_CODES.rowFailures : EXIT_CODES.ok,
  };
  ctx.out.result(document, () =>
    [
      `${o.object} ${operation}: ${count(summary.input)} rows read, ${count(summary.succeeded)} succeeded (${count(summary.created ?? 0)} created), ${count(summary.failed)} failed, ${count(summary.unprocessed)} unprocessed${summary.skipped ? `, ${count(summary.skipped)} skipped` : ''}.`,
      ...(report.file ? [`Error report: ${report.file}${counts ? ` (${count(counts.errorLines)} lines)` : ''}`] : []),
      ...(report.successFile ? [`Success report: ${report.successFile}`] : []),
      ...(jobIds.length ? [`Jobs: ${jobIds.join(', ')}`] : []),
    ].join('\n'),
  );
  return document.exitCode;
}

/** The file's records, mapped when a mapping is given (its columns checked against the file's header first). */
async function openRecords(
  csv: typeof import('@kicksaw/csv'),
  path: string,
  mapping: Awaited<ReturnType<typeof loadMapping>> | undefined,
  stop: { requested: boolean },
): Promise<ReturnType<typeof mappedRecords>> {
  const reader = csv.readCsv(path);
  const mapper = mapping ? csv.createMapper(mapping) : undefined;
  if (mapper) mapper.check(await reader.header(), path);
  return mappedRecords(reader as AsyncIterable<CsvRow>, mapper, stop);
}

/** Writes every outcome of the run to the report, noting settled jobs and counting outcomes in `seen`. */
async function consumeRun(
  run: AsyncIterable<RowOutcome> & { summary(): Promise<IngestSummary> },
  jobs: Jobs,
  report: { write(outcome: RowOutcome): Promise<void> },
  seen: { outcomes: number },
): Promise<IngestSummary> {
  for await (const outcome of run) {
    seen.outcomes += 1;
    if (outcome.jobId) jobs.settled.add(outcome.jobId);
    await report.write(outcome);
  }
  return await run.summary();
}

/** Imports a local CSV file; resolves to the exit code. */
export async function importLocal(
  ctx: CommandContext,
  state: RunState,
  file: string,
  o: ImportOptions,
  operation: BulkOperation,
): Promise<number> {
  const path = await sourceFile(ctx, file);
  const mapping = o.mapping ? await loadMapping(ctx, o.mapping) : undefined;
  const connection = await ctx.connection();
  const org = await ctx.org();
  const { progress, created, logger, onProgress } = importProgress(ctx, o.object);
  const jobs: Jobs = { created, settled: new Set<string>() };

  const [csv, { ingest }] = await Promise.all([import('@kicksaw/csv'), import('@kicksaw/sf-bulk')]);
  const stop = { requested: false };
  const records = await openRecords(csv, path, mapping, stop);
  ctx.signal.addEventListener('abort', () => {
    stop.requested = true;
  });
  const report = await lazyReport(ctx, path, o);

  const run = ingest({
    connection,
    object: o.object,
    operation,
    ...(o.externalId ? { externalIdField: o.externalId } : {}),
    records,
    api: o.api,
    http: bulkHttp(ctx.env),
    ...pollIntervals(ctx.env),
    logger,
    source: path,
    onProgress,
  });
  const seen = { outcomes: 0 };
  let summary: IngestSummary;
  try {
    summary = await untilAborted(ctx.signal, consumeRun(run, jobs, report, seen), () => {
      state.forceExit = true;
      return new CliError('Interrupted', { code: 'INTERRUPTED' });
    });
  } catch (error) {
    progress.done();
    throw await importFailure(error, { org, connection, o, jobs, outcomes: seen.outcomes }, report);
  }
  progress.done();
  const counts = report.writer ? await report.writer.end() : undefined;
  return reportDone(ctx, { path, o, operation, summary, jobIds: [...created] }, report, counts);
}
