import type { ColumnType, CreateTableSummary, SyncSummary, TypeOverrides } from '@kicksaw/lakehouse';
import { type Command, InvalidArgumentError } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { count } from '../output.js';
import { explainSalesforceError, withNearestNames } from '../salesforce.js';
import type { OpenedWarehouse } from '../warehouse-open.js';
import { interrupted, runLakehouse, warehouseDoc } from './lakehouse-run.js';
import { registerRetl } from './retl.js';
import { readSettingsFile } from './settings-file.js';

/** `10m`, `30s`, `2h`, `1d` or a number of ms. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Use a duration such as 30s, 10m, 2h or 1d.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  return Math.round(Number(match[1]) * unit);
}

export function list(value: string): string[] {
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

/** `kicksaw create`, `kicksaw sync`, `kicksaw retl` */
export function registerLakehouse(program: Command, state: RunState): void {
  registerCreate(program, state);
  registerSync(program, state);
  registerRetl(program, state);
}

interface CreateOptions {
  object: string;
  table?: string;
  fields?: string[];
  types?: string;
  replace?: boolean;
}

function registerCreate(program: Command, state: RunState): void {
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
        action<CreateOptions>(state, async (ctx, _args, o) => {
          const overrides = o.types ? await loadTypes(ctx, o.types) : undefined;
          return await runLakehouse(ctx, {
            object: o.object,
            interrupted: interrupted('Nothing more is created.'),
            call: ({ createTable }, base) =>
              createTable({
                ...base,
                object: o.object,
                ...(o.table ? { table: o.table } : {}),
                ...(o.fields ? { fields: o.fields } : {}),
                ...(overrides ? { overrides } : {}),
                ...(o.replace ? { replace: true } : {}),
              }),
            report: (summary, opened) => reportCreate(ctx, summary, opened),
          });
        }),
      ),
    'kicksaw create --object Account',
    'kicksaw create --object Contact --table contacts --fields Id,FirstName,LastName,Email --warehouse analytics',
  );
}

function reportCreate(ctx: CommandContext, summary: CreateTableSummary, opened: OpenedWarehouse): number {
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
      ...(summary.columnsAdded.length && !summary.created ? [`Added columns: ${summary.columnsAdded.join(', ')}`] : []),
      ...(summary.columnsNotInSalesforce.length
        ? [`Columns no longer in Salesforce (kept): ${summary.columnsNotInSalesforce.join(', ')}`]
        : []),
      ...summary.typeChanges.map(
        (t) => `Type change of ${t.column}: ${t.tableType} in the table, ${t.describeType} in Salesforce. ${t.hint}`,
      ),
    ].join('\n'),
  );
  return 0;
}

interface SyncOptions {
  object: string[];
  table?: string;
  full?: boolean;
  where?: string;
  fields?: string[];
  lookback: number;
  hardDeletes?: boolean;
  refreshFormulas?: boolean | number;
}

// `kicksaw lakehouse sync`. Long on purpose: almost all of it is the command's option declarations (a table read
// top to bottom).
function registerSync(program: Command, state: RunState): void {
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
        action<SyncOptions>(state, async (ctx, _args, o) => {
          if (o.table && o.object.length !== 1) throw new UsageError('--table takes one --object');
          return await runLakehouse(ctx, {
            progress: 'sync',
            phaseLines: true,
            object: o.object[0],
            interrupted: interrupted('The sync stopped.'),
            call: ({ sync }, base) =>
              sync({
                ...base,
                objects: o.object,
                lookbackMs: o.lookback,
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
            explain: async (error, { SyncError }, org, connection) => {
              if (!(error instanceof SyncError)) return undefined;
              const done = error.summary.objects.map((s) => `${s.object} synced (${s.read} rows read)`);
              const failure = error.summary.failures[0];
              const explained = failure
                ? await withNearestNames(explainSalesforceError(failure.error, org), connection, failure.object)
                : undefined;
              return new CliError(
                `Sync failed for ${error.summary.failures.map((f) => f.object).join(', ')}: ${explained instanceof Error ? explained.message : (failure?.message ?? error.message)}`,
                {
                  code: explained instanceof CliError ? explained.code : 'SYNC_FAILED',
                  done,
                  hint: `${explained instanceof CliError && explained.hint ? `${explained.hint} ` : ''}The failed objects' tables and cursors are as they were; run the same command again to retry them.`,
                },
              );
            },
            report: (summary, opened) => reportSync(ctx, summary, opened),
          });
        }),
      ),
    'kicksaw sync --object Account,Contact',
    'kicksaw sync --object Opportunity --where "IsClosed = false" --lookback 30m --warehouse analytics',
    'kicksaw sync --object Account --refresh-formulas 24h',
  );
}

function reportSync(ctx: CommandContext, summary: SyncSummary, opened: OpenedWarehouse): number {
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
  ctx.out.result({ ok: true, command: 'sync', warehouse: warehouseDoc(opened), objects }, () =>
    objects
      .map(
        (s) =>
          `${s.object} -> ${s.table} (${s.mode}): ${count(s.read)} read, ${count(s.inserted)} inserted, ${count(s.updated)} updated, ${count(s.unchanged)} unchanged, ${count(s.deleted)} deleted${s.undeleted ? `, ${count(s.undeleted)} undeleted` : ''}${s.formulasRefreshed && s.mode === 'incremental' ? `, formulas refreshed (${count(s.formulaRowsUpdated)} rows changed)` : ''}.${s.typeChanges.length ? ` Type changes: ${s.typeChanges.map((t) => t.column).join(', ')}.` : ''}`,
      )
      .join('\n'),
  );
  return 0;
}
