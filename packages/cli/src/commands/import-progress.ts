import type { IngestProgress } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { count } from '../output.js';
import { Progress } from '../progress.js';

// What an import shows while it runs (the progress line, each job as Salesforce creates it) and what it does
// and says when Ctrl-C stops it (Open jobs aborted, the others listed with the command that collects them).

/**
 * The progress line of an import: `created` collects the jobs Salesforce created (the logger puts each on
 * the line as it comes), `onProgress` shows the counts ingest reports.
 */
export function importProgress(ctx: CommandContext, object: string) {
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

export function interruptedError(jobs: string[], done: string[], aborted: string[] = []): CliError {
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
export async function sortInterruptedJobs(
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
