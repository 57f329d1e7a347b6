import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import type { Connection } from 'jsforce';
import { action, example, type RunState } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { table } from '../output.js';
import { explainSalesforceError } from '../salesforce.js';
import { withWarehouse } from '../warehouse-open.js';

type JobType = 'ingest' | 'query';

interface JobInfo {
  id: string;
  object?: string;
  operation?: string;
  state?: string;
  createdDate?: string;
  systemModstamp?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  [key: string]: unknown;
}

function apiPath(conn: Connection, rest: string): string {
  return `/services/data/v${conn.version}/${rest}`;
}

async function listJobs(conn: Connection, type: JobType): Promise<JobInfo[]> {
  const jobs: JobInfo[] = [];
  let url: string | null = apiPath(conn, `jobs/${type}`);
  while (url) {
    const page: { records?: JobInfo[]; nextRecordsUrl?: string | null; done?: boolean } = await conn.request(url);
    for (const job of page.records ?? []) jobs.push({ ...job, type });
    url = page.done === false && page.nextRecordsUrl ? page.nextRecordsUrl : null;
  }
  return jobs;
}

function isNotFound(error: unknown): boolean {
  const e = error as { errorCode?: string; name?: string; message?: string; statusCode?: number };
  return /NOT_FOUND|INVALIDJOB|404/.test(
    `${e?.errorCode ?? ''} ${e?.name ?? ''} ${e?.message ?? ''} ${e?.statusCode ?? ''}`,
  );
}

/** A job by id: tries ingest, then query. */
async function findJob(conn: Connection, id: string): Promise<{ type: JobType; job: JobInfo }> {
  if (!/^[a-zA-Z0-9]{15,18}$/.test(id)) {
    throw new CliError(`"${id}" is not a job id`, {
      code: 'JOB_ID_INVALID',
      hint: 'Job ids look like 750xx0000000001AAA: see `kicksaw jobs list`.',
    });
  }
  for (const type of ['ingest', 'query'] as const) {
    try {
      const job: JobInfo = await conn.request(apiPath(conn, `jobs/${type}/${id}`));
      return { type, job };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  throw new CliError(`No Bulk API 2.0 job ${id} in this org`, {
    code: 'JOB_NOT_FOUND',
    hint: 'List the jobs with `kicksaw jobs list`.',
  });
}

/** The job `id` and the connection that found it; a Salesforce error is explained (`explainSalesforceError`). */
async function foundJob(ctx: CommandContext, id: string): Promise<{ conn: Connection; type: JobType; job: JobInfo }> {
  const conn = await ctx.connection();
  const found = await findJob(conn, id).catch(async (error) => {
    throw explainSalesforceError(error, await ctx.org());
  });
  return { conn, ...found };
}

/** Sends `init` to the job's own URL (`jobs/ingest/ID` or `jobs/query/ID`): abort and delete. */
async function requestJob(
  ctx: CommandContext,
  id: string,
  init: { method: 'PATCH' | 'DELETE'; body?: string; headers?: Record<string, string> },
): Promise<JobInfo> {
  const conn = await ctx.connection();
  const { type } = await findJob(conn, id);
  return await conn.request({ ...init, url: apiPath(conn, `jobs/${type}/${id}`) });
}

function jobSummary(type: JobType, job: JobInfo) {
  return {
    id: job.id,
    type,
    object: job.object ?? null,
    operation: job.operation ?? null,
    state: job.state ?? null,
    createdDate: job.createdDate ?? null,
    recordsProcessed: job.numberRecordsProcessed ?? null,
    recordsFailed: job.numberRecordsFailed ?? null,
    errorMessage: job.errorMessage ?? null,
  };
}

/**
 * Streams one result set to a file. jsforce's result helpers parse whole result sets into memory, so the
 * body is piped to disk with fetch and the connection's token instead.
 */
async function download(
  conn: Connection,
  path: string,
  file: string,
): Promise<{ rows: number; locator: string | null }> {
  const get = () =>
    fetch(`${conn.instanceUrl}${path}`, {
      headers: { Authorization: `Bearer ${conn.accessToken}`, Accept: 'text/csv' },
    });
  // The session is fresh: findJob just made a call through jsforce, which renews an expired one.
  const response = await get();
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    throw new CliError(`Salesforce answered ${response.status} for ${path}: ${text.slice(0, 300)}`, {
      code: 'RESULTS_FAILED',
    });
  }
  let newlines = 0;
  const counted = Readable.fromWeb(response.body as never).on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines += 1;
  });
  await pipeline(counted, createWriteStream(file, { flags: 'a' }));
  const locator = response.headers.get('sforce-locator');
  return { rows: Math.max(0, newlines - 1), locator: locator && locator !== 'null' ? locator : null };
}

async function results(ctx: CommandContext, id: string, outDir: string) {
  const conn = await ctx.connection();
  const { type, job } = await findJob(conn, id);
  const finished = type === 'ingest' ? ['JobComplete', 'Failed', 'Aborted'] : ['JobComplete'];
  if (!finished.includes(String(job.state))) {
    throw new CliError(`Job ${id} is ${job.state}: its results are not ready`, {
      code: 'JOB_NOT_FINISHED',
      hint: `Wait for it to finish (\`kicksaw jobs show ${id}\`), then run this again.`,
    });
  }
  await mkdir(outDir, { recursive: true });
  const files: Array<{ kind: string; path: string; rows: number }> = [];
  const sets: Array<[string, string]> =
    type === 'ingest'
      ? [
          ['successful', 'successfulResults'],
          ['failed', 'failedResults'],
          ['unprocessed', 'unprocessedrecords'],
        ]
      : [['records', 'results']];
  for (const [kind, resource] of sets) {
    const final = join(outDir, `${id}-${kind}.csv`);
    const temporary = `${final}.${process.pid}.partial`;
    await rm(temporary, { force: true });
    let rows = 0;
    try {
      let locator: string | null = null;
      let first = true;
      do {
        const query = locator ? `?locator=${encodeURIComponent(locator)}` : '';
        const page = await download(
          conn,
          apiPath(conn, `jobs/${type}/${id}/${resource}/${query}`),
          first ? temporary : `${temporary}.page`,
        );
        if (!first) await appendWithoutHeader(`${temporary}.page`, temporary);
        rows += page.rows;
        locator = page.locator;
        first = false;
      } while (locator);
      await rename(temporary, final);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    files.push({ kind, path: final, rows });
  }
  return { type, job, files };
}

async function appendWithoutHeader(from: string, to: string): Promise<void> {
  const { createReadStream } = await import('node:fs');
  let skipped = false;
  const strip = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      if (skipped) {
        yield chunk;
        continue;
      }
      const nl = chunk.indexOf(10);
      if (nl === -1) continue;
      skipped = true;
      yield chunk.subarray(nl + 1);
    }
  };
  await pipeline(createReadStream(from), strip, createWriteStream(to, { flags: 'a' }));
  await rm(from, { force: true });
}

/** `jobs results ID --into TABLE`: the lakehouse's `jobResultsIntoTable`. */
async function resultsInto(ctx: CommandContext, id: string, table: string): Promise<number> {
  const { conn, type, job } = await foundJob(ctx, id);
  if (type !== 'ingest') {
    throw new UsageError(`Job ${id} is a query job`, {
      hint: 'Load query results with `kicksaw query SOQL --into TABLE`; --into takes ingest jobs.',
    });
  }
  const { jobResultsIntoTable } = await import('@kicksaw/lakehouse');
  return await withWarehouse(ctx, async (opened) => {
    const summary = await jobResultsIntoTable({
      connection: conn,
      warehouse: opened.warehouse,
      jobId: id,
      table,
      signal: ctx.signal,
      logger: ctx.out.logger(),
    });
    ctx.out.result(
      {
        ok: true,
        command: 'jobs results',
        jobId: id,
        type,
        state: job.state ?? null,
        into: summary.table,
        succeeded: summary.succeeded,
        failed: summary.failed,
        unprocessed: summary.unprocessed,
        columns: summary.columns,
        warehouse: { name: opened.name, type: opened.type, location: opened.location },
      },
      () =>
        `Job ${id}: ${summary.succeeded} successful, ${summary.failed} failed, ${summary.unprocessed} unprocessed rows loaded into ${summary.table}.`,
    );
    return 0;
  });
}

/** `kicksaw jobs ...` */
export function registerJobs(program: Command, state: RunState): void {
  const jobs = program.command('jobs').description('Bulk API 2.0 jobs of the org: list, show, results, abort, delete');
  registerJobsList(jobs, state);
  registerJobsShow(jobs, state);
  registerJobsResults(jobs, state);
  registerJobsAbort(jobs, state);
  registerJobsDelete(jobs, state);
}

function registerJobsList(jobs: Command, state: RunState): void {
  example(
    jobs
      .command('list')
      .description('List the Bulk API 2.0 jobs')
      .addOption(new Option('--type <type>', 'only ingest or query jobs').choices(['ingest', 'query']))
      .action(
        action<{ type?: JobType }>(state, async (ctx, _args, o) => {
          const conn = await ctx.connection();
          const org = await ctx.org();
          let found: Array<{ type: JobType; job: JobInfo }>;
          try {
            found = [];
            for (const type of o.type ? [o.type] : (['ingest', 'query'] as const)) {
              for (const job of await listJobs(conn, type)) found.push({ type, job });
            }
          } catch (error) {
            throw explainSalesforceError(error, org);
          }
          const list = found.map(({ type, job }) => jobSummary(type, job));
          ctx.out.result({ ok: true, command: 'jobs list', jobs: list }, () =>
            list.length
              ? table(
                  ['id', 'type', 'object', 'operation', 'state', 'created', 'processed', 'failed'],
                  list.map((j) => [
                    j.id,
                    j.type,
                    j.object,
                    j.operation,
                    j.state,
                    j.createdDate,
                    j.recordsProcessed,
                    j.recordsFailed,
                  ]),
                )
              : 'No jobs.',
          );
          return 0;
        }),
      ),
    'kicksaw jobs list --type ingest',
  );
}

function registerJobsShow(jobs: Command, state: RunState): void {
  example(
    jobs
      .command('show')
      .description("Show a job's state and counts")
      .argument('<id>', 'the job id')
      .action(
        action(state, async (ctx, [id]) => {
          const { type, job } = await foundJob(ctx, id as string);
          const summary = jobSummary(type, job);
          ctx.out.result({ ok: true, command: 'jobs show', job: summary }, () =>
            Object.entries(summary)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => `${k.padEnd(17)} ${v}`)
              .join('\n'),
          );
          return 0;
        }),
      ),
    'kicksaw jobs show 750xx0000000001AAA',
  );
}

function registerJobsResults(jobs: Command, state: RunState): void {
  example(
    jobs
      .command('results')
      .description("Download a finished job's result sets as CSV files (ingest: successful, failed, unprocessed)")
      .argument('<id>', 'the job id')
      .option('--out <dir>', 'the folder for the files (default: the working folder)')
      .option('--into <table>', "load the job's results into a warehouse table instead (ingest jobs)")
      .action(
        action<{ out?: string; into?: string }>(state, async (ctx, [id], o) => {
          if (o.out && o.into) throw new UsageError('Give --into TABLE or --out DIR, not both');
          if (o.into) return await resultsInto(ctx, id as string, o.into);
          const got = await results(ctx, id as string, resolve(ctx.io.cwd, o.out ?? '.')).catch(async (error) => {
            throw explainSalesforceError(error, await ctx.org());
          });
          ctx.out.result(
            {
              ok: true,
              command: 'jobs results',
              jobId: id,
              type: got.type,
              state: got.job.state ?? null,
              files: got.files,
            },
            () => got.files.map((f) => `${f.kind.padEnd(12)} ${String(f.rows).padStart(9)} rows  ${f.path}`).join('\n'),
          );
          return 0;
        }),
      ),
    'kicksaw jobs results 750xx0000000001AAA --out results/',
  );
}

function registerJobsAbort(jobs: Command, state: RunState): void {
  example(
    jobs
      .command('abort')
      .description('Abort a job that has not finished')
      .argument('<id>', 'the job id')
      .action(
        action(state, async (ctx, [id]) => {
          const job = await requestJob(ctx, id as string, {
            method: 'PATCH',
            body: JSON.stringify({ state: 'Aborted' }),
            headers: { 'content-type': 'application/json' },
          });
          ctx.out.result(
            { ok: true, command: 'jobs abort', jobId: id, state: job.state ?? 'Aborted' },
            () => `Job ${id} is ${job.state ?? 'Aborted'}.`,
          );
          return 0;
        }),
      ),
    'kicksaw jobs abort 750xx0000000001AAA',
  );
}

function registerJobsDelete(jobs: Command, state: RunState): void {
  example(
    jobs
      .command('delete')
      .description('Delete a finished job and its results from Salesforce')
      .argument('<id>', 'the job id')
      .action(
        action(state, async (ctx, [id]) => {
          await requestJob(ctx, id as string, { method: 'DELETE' });
          ctx.out.result({ ok: true, command: 'jobs delete', jobId: id, deleted: true }, () => `Job ${id} deleted.`);
          return 0;
        }),
      ),
    'kicksaw jobs delete 750xx0000000001AAA',
  );
}
