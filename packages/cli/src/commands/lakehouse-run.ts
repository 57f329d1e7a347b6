import type { LakehouseBaseOptions, LakehouseProgress } from '@kicksaw/lakehouse';
import type { Connection } from 'jsforce';
import { untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { Progress } from '../progress.js';
import { explainFailure, pollIntervals, type ResolvedOrg } from '../salesforce.js';
import { type OpenedWarehouse, withWarehouse } from '../warehouse-open.js';

type Lakehouse = typeof import('@kicksaw/lakehouse');

/** What every lakehouse call of a command takes, ready to spread into its options. */
export type LakehouseCallBase = LakehouseBaseOptions & { maxPollIntervalMs?: number };

/** One lakehouse call of a command: {@link runLakehouse}. */
export interface LakehouseRun<T> {
  /** The progress line's label; none: no progress line. */
  progress?: string;
  /** With `progress`: also a plain line each time the object or phase changes (off a terminal). */
  phaseLines?: boolean;
  /** The object named in "no such object or field" explanations. */
  object: string | undefined;
  /** The error Ctrl-C ends the run with. */
  interrupted: () => CliError;
  /** Starts the call, with the base options spread in. */
  call: (lakehouse: Lakehouse, base: LakehouseCallBase) => Promise<T>;
  /**
   * A failure the command explains in its own words (a CliError to throw), or `undefined` to fall back
   * to the Salesforce explanation.
   */
  explain?: (error: unknown, lakehouse: Lakehouse, org: ResolvedOrg, connection: Connection) => Promise<unknown>;
  /** Prints the result; returns the exit code. */
  report: (summary: T, opened: OpenedWarehouse) => number;
}

/**
 * The set-up every lakehouse command shares: the org's connection, the warehouse (closed afterwards), the
 * progress line, Ctrl-C, and failures explained in Salesforce's terms.
 */
export async function runLakehouse<T>(ctx: CommandContext, run: LakehouseRun<T>): Promise<number> {
  const connection = await ctx.connection();
  const org = await ctx.org();
  const lakehouse = await import('@kicksaw/lakehouse');
  return await withWarehouse(ctx, async (opened) => {
    const progress = run.progress === undefined ? undefined : lakehouseProgress(ctx, run.progress, run.phaseLines);
    const base: LakehouseCallBase = {
      connection,
      warehouse: opened.warehouse,
      signal: ctx.signal,
      logger: ctx.out.logger(),
      ...(progress ? { onProgress: progress.onProgress } : {}),
      ...pollIntervals(ctx.env),
    };
    let summary: T;
    try {
      summary = await untilAborted(ctx.signal, run.call(lakehouse, base), run.interrupted);
    } catch (error) {
      progress?.progress.done();
      if (error instanceof CliError) throw error;
      throw (
        (await run.explain?.(error, lakehouse, org, connection)) ??
        (await explainFailure(error, org, connection, run.object))
      );
    }
    progress?.progress.done();
    return run.report(summary, opened);
  });
}

/** Lakehouse progress on the progress line: the rows, and with `phaseLines` the object and phase. */
function lakehouseProgress(ctx: CommandContext, label: string, phaseLines = false) {
  const progress = new Progress(ctx.out, label);
  let phase = '';
  return {
    progress,
    onProgress: (p: LakehouseProgress) => {
      const now = `${p.object} ${p.phase}`;
      if (phaseLines && now !== phase && !ctx.out.stderrIsTty) progress.line(`${label}: ${now}`);
      phase = now;
      progress.update({ rowsRead: p.rows });
    },
  };
}

/** The error of a lakehouse command stopped by Ctrl-C: `what` happened, and the tables are as they were. */
export function interrupted(what: string): () => CliError {
  return () =>
    new CliError('Interrupted', {
      code: 'INTERRUPTED',
      hint: `${what} Tables and cursors are as they were before this run (each object is written in one transaction).`,
    });
}

/** The warehouse as the JSON documents of create, sync, retl and query --into name it. */
export function warehouseDoc({ name, type, location }: OpenedWarehouse) {
  return { name, type, location };
}
