import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ReverseEtlOperation, ReverseEtlSummary } from '@kicksaw/lakehouse';
import { type Command, Option } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT_CODES, UsageError } from '../errors.js';
import { count } from '../output.js';
import type { OpenedWarehouse } from '../warehouse-open.js';
import { interrupted, runLakehouse, warehouseDoc } from './lakehouse-run.js';

interface RetlOptions {
  object: string;
  sql?: string;
  sqlFile?: string;
  externalId?: string;
  all?: boolean;
  mirror?: boolean;
  clearNulls?: boolean;
  resultsTable?: string;
  report?: string;
  reportLayout: 'default' | 'source-row';
  successReport?: string;
}

/** What the command line asked for, as the result names it; the report paths resolved against the working folder. */
interface RetlAsked {
  object: string;
  operation: ReverseEtlOperation;
  reportPath: string | null;
  successPath: string | null;
}

/** `kicksaw retl OPERATION` */
// Long on purpose: almost all of it is the command's option declarations (a table read top to bottom).
export function registerRetl(program: Command, state: RunState): void {
  example(
    program
      .command('retl')
      .description('Reverse ETL: send the rows of a warehouse query to Salesforce (only new and changed rows)')
      .argument('<operation>', 'upsert, insert, update or delete')
      .requiredOption('--object <name>', 'the Salesforce object')
      .option('--sql <text>', 'the query; its column names are field API names')
      .option('--sql-file <file>', 'the query, from a file')
      .option('--external-id <field>', 'the external id field (upsert)')
      .option('--all', 'send every row, not only new and changed ones')
      .option('--mirror', 'also delete the records of rows gone from the query since the last run')
      .option('--clear-nulls', 'send NULL as an empty value (default: NULL leaves the field unchanged)')
      .option('--results-table <name>', 'where the outcome of every row goes (default _kicksaw_retl_results)')
      .option('--report <file>', 'also write the failed rows to a CSV file (the error-report layout)')
      .addOption(
        new Option(
          '--report-layout <layout>',
          "the report's columns: default (object, code, message, key, JSON) or source-row",
        )
          .choices(['default', 'source-row'])
          .default('default'),
      )
      .option('--success-report <file>', 'also write the succeeded rows with their ids to a CSV file')
      .action(
        action<RetlOptions>(state, async (ctx, [operationArg], o) => {
          const operation = operationOf(operationArg);
          if ((o.sql === undefined) === (o.sqlFile === undefined))
            throw new UsageError('Give the query with --sql TEXT or --sql-file FILE');
          if (operation === 'upsert' && !o.externalId) throw new UsageError('retl upsert needs --external-id FIELD');
          const sql = o.sqlFile ? await readSqlFile(ctx, o.sqlFile) : (o.sql as string);
          if (o.successReport && !o.report) throw new UsageError('--success-report goes with --report FILE');
          const asked: RetlAsked = {
            object: o.object,
            operation,
            reportPath: o.report ? resolve(ctx.io.cwd, o.report) : null,
            successPath: o.successReport ? resolve(ctx.io.cwd, o.successReport) : null,
          };
          return await runLakehouse(ctx, {
            progress: `retl ${operation} ${o.object}`,
            phaseLines: true,
            object: o.object,
            interrupted: interrupted('Rows not sent yet are sent on the next run.'),
            call: ({ reverseEtl }, base) =>
              reverseEtl({
                ...base,
                object: o.object,
                operation,
                sql,
                ...(o.externalId ? { externalIdField: o.externalId } : {}),
                ...(o.all ? { all: true } : {}),
                ...(o.mirror ? { mirror: true } : {}),
                ...(o.clearNulls ? { clearNulls: true } : {}),
                ...(o.resultsTable ? { resultsTable: o.resultsTable } : {}),
                ...(asked.reportPath
                  ? {
                      report: {
                        output: asked.reportPath,
                        layout: o.reportLayout,
                        ...(asked.successPath ? { includeSuccesses: asked.successPath } : {}),
                      },
                    }
                  : {}),
              }),
            explain: async (error) => sqlFailure(error, o.sqlFile),
            report: (summary, opened) => reportRetl(ctx, summary, opened, asked),
          });
        }),
      ),
    'kicksaw retl upsert --object Contact --external-id External_Id__c --sql-file contacts_out.sql --report failed.csv',
    `kicksaw retl update --object Account --sql 'SELECT "Id", upper("Name") AS "Name" FROM "Account"'`,
  );
}

function operationOf(argument: string | undefined): ReverseEtlOperation {
  const operations = ['upsert', 'insert', 'update', 'delete'];
  if (!operations.includes(argument as string)) {
    throw new UsageError(`The operation must be one of ${operations.join(', ')}, not "${argument}"`);
  }
  return argument as ReverseEtlOperation;
}

async function readSqlFile(ctx: CommandContext, file: string): Promise<string> {
  const path = resolve(ctx.io.cwd, file);
  const sql = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read the SQL file ${path} (${error.code})`, { code: 'SQL_FILE_UNREADABLE' });
  });
  if (!sql.trim()) throw new CliError(`The SQL file ${path} is empty`, { code: 'SQL_FILE_EMPTY' });
  return sql;
}

/** A failure of the query in the warehouse, said as such; `undefined` for any other failure. */
function sqlFailure(error: unknown, sqlFile: string | undefined): CliError | undefined {
  const code = (error as { code?: string }).code ?? '';
  if (!/DUCKDB_ERROR|POSTGRES_ERROR|SNOWFLAKE/.test(code)) return undefined;
  return new CliError(
    `The query ${sqlFile ? `in ${sqlFile} ` : ''}failed in the warehouse: ${(error as Error).message}`,
    {
      code: 'SQL_FAILED',
      hint: 'Fix the SQL (its column names are the field API names) and run again; nothing was sent.',
    },
  );
}

function reportRetl(ctx: CommandContext, summary: ReverseEtlSummary, opened: OpenedWarehouse, asked: RetlAsked) {
  const { reportPath, successPath } = asked;
  const reportRows = summary.report?.failedRows ?? 0;
  const problems = summary.failed + summary.unprocessed + summary.mirrorFailed;
  const document = {
    ok: true,
    command: 'retl',
    warehouse: warehouseDoc(opened),
    runId: summary.runId,
    name: summary.name,
    object: summary.object,
    operation: summary.operation,
    summary: {
      read: summary.read,
      unchanged: summary.unchanged,
      sent: summary.sent,
      succeeded: summary.succeeded,
      created: summary.created,
      failed: summary.failed,
      unprocessed: summary.unprocessed,
      nullKeys: summary.nullKeys,
      mirrorDeleted: summary.mirrorDeleted,
      mirrorFailed: summary.mirrorFailed,
      jobs: summary.jobs,
    },
    resultsTable: summary.resultsTable,
    report: reportPath,
    reportRows,
    reportLines: summary.report?.errorLines ?? 0,
    successReport: successPath,
    successRows: summary.report?.successRows ?? 0,
    exitCode: problems > 0 ? EXIT_CODES.rowFailures : EXIT_CODES.ok,
  };
  ctx.out.result(document, () =>
    [
      `${asked.object} ${asked.operation}: ${count(summary.read)} rows read, ${count(summary.unchanged)} unchanged, ${count(summary.sent)} sent, ${count(summary.succeeded)} succeeded, ${count(summary.failed)} failed${summary.unprocessed ? `, ${count(summary.unprocessed)} unprocessed` : ''}${summary.mirrorDeleted ? `, ${count(summary.mirrorDeleted)} deleted (mirror)` : ''}.`,
      `Outcome of every row: table ${summary.resultsTable}, run ${summary.runId}.`,
      ...(reportPath ? [`Failed rows: ${reportPath} (${count(reportRows)})`] : []),
      ...(successPath ? [`Succeeded rows: ${successPath} (${count(summary.report?.successRows ?? 0)})`] : []),
    ].join('\n'),
  );
  return document.exitCode;
}
