import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ColumnType, LakehouseProgress, ReverseEtlOperation, TypeOverrides } from '@kicksaw/lakehouse';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { action, example, type RunState, untilAborted } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT_CODES, UsageError } from '../errors.js';
import { count } from '../output.js';
import { Progress } from '../progress.js';
import { explainFailure, explainSalesforceError, pollIntervals, withNearestNames } from '../salesforce.js';
import { type OpenedWarehouse, withWarehouse } from '../warehouse-open.js';
import { readSettingsFile } from './settings-file.js';

/** `10m`, `30s`, `2h`, `1d` or a number of ms. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Use a duration such as 30s, 10m, 2h or 1d.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  return Math.round(Number(match[1]) * unit);
}

/** The warehouse as the JSON documents of create, sync and retl name it. */
function warehouseDoc({ name, type, location }: OpenedWarehouse) {
  return { name, type, location };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Column types per field from a JSON or TOML file: `{ "Description": "TEXT", "Amount": "NUMERIC(18,2)" }`. */
async function loadTypes(ctx: CommandContext, file: string): Promise<TypeOverrides> {
  const { path, value } = await readSettingsFile(ctx, file, { label: 'types file', code: 'TYPES' });
  const overrides: TypeOverrides = {};
  for (const [field, type] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (typeof type === 'string') overrides[field] = { kind: 'sql', sql: type };
    else if (type && typeof type === 'object' && 'kind' in type) overrides[field] = type as ColumnType;
    else {
      throw new CliError(`The types file ${path} gives "${field}" no SQL type`, {
        code: 'TYPES_INVALID',
        hint: 'Write field = "SQL TYPE", e.g. Description = "TEXT".',
      });
    }
  }
  return overrides;
}

/** Lakehouse progress on the progress line: the object, the phase and its rows. */
function lakehouseProgress(ctx: CommandContext, label: string) {
  const progress = new Progress(ctx.out, label);
  let phase = '';
  return {
    progress,
    onProgress: (p: LakehouseProgress) => {
      const now = `${p.object} ${p.phase}`;
      if (now !== phase && !ctx.out.stderrIsTty) progress.line(`${label}: ${now}`);
      phase = now;
      progress.update({ rowsRead: p.rows });
    },
  };
}

function interrupted(what: string): () => CliError {
  return () =>
    new CliError('Interrupted', {
      code: 'INTERRUPTED',
      hint: `${what} Tables and cursors are as they were before this run (each object is written in one transaction).`,
    });
}

/** `kicksaw create`, `kicksaw sync`, `kicksaw retl` */
export function registerLakehouse(program: Command, state: RunState): void {
  example(
    program
      .command('create')
      .description("Create (or extend) a warehouse table from an object's describe")
      .requiredOption('--object <name>', 'the Salesforce object')
      .option('--table <name>', 'the table (default: the object name)')
      .option('--fields <list>', 'only these fields, comma-separated (Id and the timestamps are always kept)', list)
      .option('--types <file>', 'SQL types by field (JSON or TOML): { "Description": "TEXT" }')
      .option('--replace', 'drop and recreate the table (its rows are lost)')
      .action(
        action<{ object: string; table?: string; fields?: string[]; types?: string; replace?: boolean }>(
          state,
          async (ctx, _args, o) => {
            const overrides = o.types ? await loadTypes(ctx, o.types) : undefined;
            const connection = await ctx.connection();
            const org = await ctx.org();
            const { createTable } = await import('@kicksaw/lakehouse');
            return await withWarehouse(ctx, async (opened) => {
              const summary = await untilAborted(
                ctx.signal,
                createTable({
                  connection,
                  warehouse: opened.warehouse,
                  object: o.object,
                  signal: ctx.signal,
                  logger: ctx.out.logger(),
                  ...(o.table ? { table: o.table } : {}),
                  ...(o.fields ? { fields: o.fields } : {}),
                  ...(overrides ? { overrides } : {}),
                  ...(o.replace ? { replace: true } : {}),
                }),
                interrupted('Nothing more is created.'),
              ).catch(async (error: unknown) => {
                throw await explainFailure(error, org, connection, o.object);
              });
              const document = {
                ok: true,
                command: 'create',
                warehouse: warehouseDoc(opened),
                object: summary.object,
                table: summary.table,
                created: summary.created,
                replaced: summary.replaced,
                columns: summary.columns.map((c) => c.name),
                columnsAdded: summary.columnsAdded,
                columnsNotInSalesforce: summary.columnsNotInSalesforce,
                typeChanges: summary.typeChanges,
              };
              ctx.out.result(document, () =>
                [
                  `${summary.created ? (summary.replaced ? 'Replaced' : 'Created') : 'Checked'} table ${summary.table} (${summary.columns.length} columns) in ${opened.type} ${opened.location}.`,
                  ...(summary.columnsAdded.length && !summary.created
                    ? [`Added columns: ${summary.columnsAdded.join(', ')}`]
                    : []),
                  ...(summary.columnsNotInSalesforce.length
                    ? [`Columns no longer in Salesforce (kept): ${summary.columnsNotInSalesforce.join(', ')}`]
                    : []),
                  ...summary.typeChanges.map(
                    (t) =>
                      `Type change of ${t.column}: ${t.tableType} in the table, ${t.describeType} in Salesforce. ${t.hint}`,
                  ),
                ].join('\n'),
              );
              return 0;
            });
          },
        ),
      ),
    'kicksaw create --object Account',
    'kicksaw create --object Contact --table contacts --fields Id,FirstName,LastName,Email --warehouse analytics',
  );

  example(
    program
      .command('sync')
      .description(
        'Copy objects into warehouse tables: everything the first time, then what changed (deletes included)',
      )
      .requiredOption('--object <list>', 'one or more objects, comma-separated', list)
      .option('--table <name>', 'the table (one object only; default: the object name)')
      .option('--full', 'read everything again and swap the table in')
      .option('--where <soql>', 'a SOQL condition on the rows read')
      .option('--fields <list>', 'only these fields, comma-separated', list)
      .option('--lookback <duration>', 'read again what changed this long before the last cursor', duration, 600_000)
      .option('--hard-deletes', 'remove deleted rows instead of marking them (IsDeleted, _kicksaw_deleted_at)')
      .option(
        '--refresh-formulas [age]',
        'also read every formula field in full and update those columns; with an age (24h), only when the last full read is older',
        duration,
      )
      .action(
        action<{
          object: string[];
          table?: string;
          full?: boolean;
          where?: string;
          fields?: string[];
          lookback: number;
          hardDeletes?: boolean;
          refreshFormulas?: boolean | number;
        }>(state, async (ctx, _args, o) => {
          if (o.table && o.object.length !== 1) throw new UsageError('--table takes one --object');
          const connection = await ctx.connection();
          const org = await ctx.org();
          const { sync, SyncError } = await import('@kicksaw/lakehouse');
          return await withWarehouse(ctx, async (opened) => {
            const { progress, onProgress } = lakehouseProgress(ctx, 'sync');
            let summary: Awaited<ReturnType<typeof sync>>;
            try {
              summary = await untilAborted(
                ctx.signal,
                sync({
                  connection,
                  warehouse: opened.warehouse,
                  objects: o.object,
                  lookbackMs: o.lookback,
                  signal: ctx.signal,
                  logger: ctx.out.logger(),
                  onProgress,
                  ...pollIntervals(ctx.env),
                  ...(o.table ? { tables: { [o.object[0] as string]: o.table } } : {}),
                  ...(o.full ? { full: true } : {}),
                  ...(o.where ? { where: o.where } : {}),
                  ...(o.fields ? { fields: o.fields } : {}),
                  ...(o.hardDeletes ? { hardDeletes: true } : {}),
                  ...(o.refreshFormulas === undefined
                    ? {}
                    : {
                        refreshFormulas:
                          typeof o.refreshFormulas === 'number' ? { olderThanMs: o.refreshFormulas } : true,
                      }),
                }),
                interrupted('The sync stopped.'),
              );
            } catch (error) {
              progress.done();
              if (error instanceof SyncError) {
                const done = error.summary.objects.map((s) => `${s.object} synced (${s.read} rows read)`);
                const failure = error.summary.failures[0];
                const explained = failure
                  ? await withNearestNames(explainSalesforceError(failure.error, org), connection, failure.object)
                  : undefined;
                throw new CliError(
                  `Sync failed for ${error.summary.failures.map((f) => f.object).join(', ')}: ${explained instanceof Error ? explained.message : (failure?.message ?? error.message)}`,
                  {
                    code: explained instanceof CliError ? explained.code : 'SYNC_FAILED',
                    done,
                    hint: `${explained instanceof CliError && explained.hint ? `${explained.hint} ` : ''}The failed objects' tables and cursors are as they were; run the same command again to retry them.`,
                  },
                );
              }
              throw await explainFailure(error, org, connection, o.object[0]);
            }
            progress.done();
            const objects = summary.objects.map((s) => ({
              object: s.object,
              table: s.table,
              mode: s.mode,
              read: s.read,
              inserted: s.inserted,
              updated: s.updated,
              unchanged: s.unchanged,
              stale: s.stale,
              duplicates: s.duplicates,
              deleted: s.deleted,
              undeleted: s.undeleted,
              deleteCheck: s.deleteCheck,
              formulaFields: s.formulaFields,
              formulasRefreshed: s.formulasRefreshed,
              formulaRowsUpdated: s.formulaRowsUpdated,
              columnsAdded: s.columnsAdded,
              columnsNotInSalesforce: s.columnsNotInSalesforce,
              typeChanges: s.typeChanges,
              cursorField: s.cursorField,
              cursorBefore: s.cursorBefore?.toISOString() ?? null,
              cursorAfter: s.cursorAfter?.toISOString() ?? null,
              durationMs: s.durationMs,
            }));
            ctx.out.result(
              {
                ok: true,
                command: 'sync',
                warehouse: warehouseDoc(opened),
                objects,
              },
              () =>
                objects
                  .map(
                    (s) =>
                      `${s.object} -> ${s.table} (${s.mode}): ${count(s.read)} read, ${count(s.inserted)} inserted, ${count(s.updated)} updated, ${count(s.unchanged)} unchanged, ${count(s.deleted)} deleted${s.undeleted ? `, ${count(s.undeleted)} undeleted` : ''}${s.formulasRefreshed && s.mode === 'incremental' ? `, formulas refreshed (${count(s.formulaRowsUpdated)} rows changed)` : ''}.${s.typeChanges.length ? ` Type changes: ${s.typeChanges.map((t) => t.column).join(', ')}.` : ''}`,
                  )
                  .join('\n'),
            );
            return 0;
          });
        }),
      ),
    'kicksaw sync --object Account,Contact',
    'kicksaw sync --object Opportunity --where "IsClosed = false" --lookback 30m --warehouse analytics',
    'kicksaw sync --object Account --refresh-formulas 24h',
  );

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
        action<{
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
        }>(state, async (ctx, [operationArg], o) => {
          const operations = ['upsert', 'insert', 'update', 'delete'];
          if (!operations.includes(operationArg as string)) {
            throw new UsageError(`The operation must be one of ${operations.join(', ')}, not "${operationArg}"`);
          }
          const operation = operationArg as ReverseEtlOperation;
          if ((o.sql === undefined) === (o.sqlFile === undefined))
            throw new UsageError('Give the query with --sql TEXT or --sql-file FILE');
          if (operation === 'upsert' && !o.externalId) throw new UsageError('retl upsert needs --external-id FIELD');
          let sql = o.sql as string;
          if (o.sqlFile) {
            const path = resolve(ctx.io.cwd, o.sqlFile);
            sql = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
              throw new CliError(`Cannot read the SQL file ${path} (${error.code})`, { code: 'SQL_FILE_UNREADABLE' });
            });
            if (!sql.trim()) throw new CliError(`The SQL file ${path} is empty`, { code: 'SQL_FILE_EMPTY' });
          }
          if (o.successReport && !o.report) throw new UsageError('--success-report goes with --report FILE');
          const reportPath = o.report ? resolve(ctx.io.cwd, o.report) : null;
          const successPath = o.successReport ? resolve(ctx.io.cwd, o.successReport) : null;
          const connection = await ctx.connection();
          const org = await ctx.org();
          const { reverseEtl } = await import('@kicksaw/lakehouse');
          return await withWarehouse(ctx, async (opened) => {
            const { progress, onProgress } = lakehouseProgress(ctx, `retl ${operation} ${o.object}`);
            let summary: Awaited<ReturnType<typeof reverseEtl>>;
            try {
              summary = await untilAborted(
                ctx.signal,
                reverseEtl({
                  connection,
                  warehouse: opened.warehouse,
                  object: o.object,
                  operation,
                  sql,
                  signal: ctx.signal,
                  logger: ctx.out.logger(),
                  onProgress,
                  ...pollIntervals(ctx.env),
                  ...(o.externalId ? { externalIdField: o.externalId } : {}),
                  ...(o.all ? { all: true } : {}),
                  ...(o.mirror ? { mirror: true } : {}),
                  ...(o.clearNulls ? { clearNulls: true } : {}),
                  ...(o.resultsTable ? { resultsTable: o.resultsTable } : {}),
                  ...(reportPath
                    ? {
                        report: {
                          output: reportPath,
                          layout: o.reportLayout,
                          ...(successPath ? { includeSuccesses: successPath } : {}),
                        },
                      }
                    : {}),
                }),
                interrupted('Rows not sent yet are sent on the next run.'),
              );
            } catch (error) {
              progress.done();
              if (error instanceof CliError) throw error;
              const code = (error as { code?: string }).code ?? '';
              if (/DUCKDB_ERROR|POSTGRES_ERROR|SNOWFLAKE/.test(code)) {
                throw new CliError(
                  `The query ${o.sqlFile ? `in ${o.sqlFile} ` : ''}failed in the warehouse: ${(error as Error).message}`,
                  {
                    code: 'SQL_FAILED',
                    hint: 'Fix the SQL (its column names are the field API names) and run again; nothing was sent.',
                  },
                );
              }
              throw await explainFailure(error, org, connection, o.object);
            }
            progress.done();
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
                `${o.object} ${operation}: ${count(summary.read)} rows read, ${count(summary.unchanged)} unchanged, ${count(summary.sent)} sent, ${count(summary.succeeded)} succeeded, ${count(summary.failed)} failed${summary.unprocessed ? `, ${count(summary.unprocessed)} unprocessed` : ''}${summary.mirrorDeleted ? `, ${count(summary.mirrorDeleted)} deleted (mirror)` : ''}.`,
                `Outcome of every row: table ${summary.resultsTable}, run ${summary.runId}.`,
                ...(reportPath ? [`Failed rows: ${reportPath} (${count(reportRows)})`] : []),
                ...(successPath ? [`Succeeded rows: ${successPath} (${count(summary.report?.successRows ?? 0)})`] : []),
              ].join('\n'),
            );
            return document.exitCode;
          });
        }),
      ),
    'kicksaw retl upsert --object Contact --external-id External_Id__c --sql-file contacts_out.sql --report failed.csv',
    `kicksaw retl update --object Account --sql 'SELECT "Id", upper("Name") AS "Name" FROM "Account"'`,
  );
}
