import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { action, example, type RunState, untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { count } from '../output.js';
import { Progress } from '../progress.js';
import { bulkHttp, explainFailure, pollIntervals } from '../salesforce.js';
import { type RowFormat, RowSink, RowWriter, selectedColumns } from '../sink.js';
import { runLakehouse, warehouseDoc } from './lakehouse-run.js';

interface QueryCommandOptions {
  into?: string;
  append?: boolean;
  all?: boolean;
  bulk?: boolean;
  rest?: boolean;
  out?: string;
  format?: RowFormat;
}

/** `kicksaw query SOQL ...` */
export function registerQuery(program: Command, state: RunState): void {
  example(
    program
      .command('query')
      .description('Run a SOQL query and print the rows (or write them to a file)')
      .argument('<soql>', 'the query')
      .option('--all', 'include deleted and archived rows (queryAll)')
      .option('--bulk', 'use a Bulk API 2.0 query job')
      .option('--rest', 'use the REST query API')
      .option('--into <table>', 'load the rows into a warehouse table (replaced whole, or --append)')
      .option('--append', 'with --into: add the rows to the table')
      .option('--out <file>', 'write the rows to a file (written whole or not at all)')
      .addOption(
        new Option(
          '--format <format>',
          'csv, json, ndjson or table (default: table on a terminal, csv otherwise)',
        ).choices(['csv', 'json', 'ndjson', 'table']),
      )
      .action(
        action<QueryCommandOptions>(state, async (ctx, [soql], o) => {
          if (o.bulk && o.rest) throw new UsageError('Give --bulk or --rest, not both');
          if (o.into && o.out) throw new UsageError('Give --into TABLE or --out FILE, not both');
          if (o.into) return await queryInto(ctx, soql as string, o);
          return await queryRows(ctx, soql as string, o);
        }),
      ),
    'kicksaw query "SELECT Id, Name, Account.Name FROM Contact WHERE CreatedDate = TODAY" --format table',
    'kicksaw query "SELECT Id, Email FROM Contact" --bulk --out contacts.csv',
  );
}

/** `query SOQL`: the rows printed, written to `--out`, or put in the JSON document. */
async function queryRows(ctx: CommandContext, soql: string, o: QueryCommandOptions): Promise<number> {
  const outPath = o.out ? resolve(ctx.io.cwd, o.out) : undefined;
  // With --json and no --out, the rows go into the document.
  const inline = ctx.flags.json && !outPath;
  const format: RowFormat = o.format ?? (outPath ? formatOf(outPath) : ctx.io.stdout.isTTY ? 'table' : 'csv');
  const connection = await ctx.connection();
  const org = await ctx.org();
  const [{ query }, { encodeLine }] = await Promise.all([import('@kicksaw/sf-bulk'), import('@kicksaw/error-report')]);
  const sink = new RowSink(ctx.io.stdout, outPath);
  const writer = inline ? undefined : new RowWriter(sink, format, encodeLine, selectedColumns(soql));
  const records: Array<Record<string, unknown>> = [];
  const progress = new Progress(ctx.out, 'query');
  let rows = 0;
  const consume = async () => {
    for await (const record of query(connection, soql, {
      all: o.all === true,
      api: o.bulk ? 'bulk' : o.rest ? 'rest' : 'auto',
      logger: ctx.out.logger(),
      http: bulkHttp(ctx.env),
      ...pollIntervals(ctx.env),
    })) {
      rows += 1;
      if (writer) await writer.write(record);
      else records.push(record);
      if (rows % 500 === 0) progress.update({ rowsRead: rows });
    }
    await writer?.end();
  };
  try {
    await untilAborted(
      ctx.signal,
      consume(),
      () =>
        new CliError('Interrupted', {
          code: 'INTERRUPTED',
          done: [`${count(rows)} rows read`],
          hint: outPath ? `Nothing was written to ${outPath}.` : undefined,
        }),
    );
  } catch (error) {
    progress.done();
    await sink.discard();
    throw await explainFailure(error, org, connection, undefined);
  }
  progress.done();
  await sink.commit();
  reportQuery(ctx, soql, rows, outPath ? { out: outPath, format } : { records });
  return 0;
}

function reportQuery(
  ctx: CommandContext,
  soql: string,
  rows: number,
  written: { out: string; format: RowFormat } | { records: Array<Record<string, unknown>> },
): void {
  if (ctx.flags.json) {
    ctx.out.result({ ok: true, command: 'query', soql, rows, ...written }, () => '');
  } else if ('out' in written) {
    ctx.out.result({}, () => `${count(rows)} rows written to ${written.out} (${written.format}).`);
  } else {
    ctx.out.note(`${count(rows)} row${rows === 1 ? '' : 's'}.`);
  }
}

/** `query --into TABLE`: the rows streamed into a warehouse table by the lakehouse's `queryIntoTable`. */
function queryInto(ctx: CommandContext, soql: string, o: QueryCommandOptions): Promise<number> {
  return runLakehouse(ctx, {
    progress: `query --into ${o.into}`,
    object: undefined,
    interrupted: () => new CliError('Interrupted', { code: 'INTERRUPTED', hint: `The table ${o.into} is as it was.` }),
    call: ({ queryIntoTable }, base) =>
      queryIntoTable({
        ...base,
        soql,
        table: o.into as string,
        mode: o.append ? 'append' : 'replace',
        all: o.all === true,
        api: o.bulk ? 'bulk' : o.rest ? 'rest' : 'auto',
      }),
    report: (summary, opened) => {
      ctx.out.result(
        {
          ok: true,
          command: 'query',
          soql,
          rows: summary.rows,
          into: summary.table,
          mode: summary.mode,
          columns: summary.columns,
          warehouse: warehouseDoc(opened),
        },
        () =>
          `${count(summary.rows)} rows ${summary.mode === 'append' ? 'added to' : 'loaded into'} ${summary.table} (${opened.type} ${opened.location}).`,
      );
      return 0;
    },
  });
}

function formatOf(path: string): RowFormat {
  if (path.endsWith('.ndjson') || path.endsWith('.jsonl')) return 'ndjson';
  if (path.endsWith('.json')) return 'json';
  return 'csv';
}
