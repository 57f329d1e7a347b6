/**
 * The reads of a sync from Salesforce into the warehouse's work tables: the changed rows into staging (Bulk
 * result pages straight into the engine's CSV loader, or rows through `load`), the formula fields in full, and
 * the object's Ids for a reconciliation.
 */
import { open } from 'node:fs/promises';
import { query, queryPages, soqlLiteral } from '@kicksaw/sf-bulk';
import { LakehouseError } from './errors.js';
import { describedTypes, type ObjectPlan, type SyncContext } from './sync-plan.js';
import { toSqlValue } from './types.js';
import type { ColumnSpec, SqlValue } from './warehouse.js';

/** The SOQL of the run's read: every column, from `lookbackMs` before the cursor when incremental, with `where`. */
export function readSoql(
  context: SyncContext,
  plan: ObjectPlan,
): { soql: string; conditions: string[]; since: Date | null } {
  const { options } = context;
  const conditions: string[] = [];
  let since: Date | null = null;
  if (!plan.full && plan.cursorField && plan.state?.cursorValue) {
    since = new Date(plan.state.cursorValue.getTime() - (options.lookbackMs ?? 600_000));
    conditions.push(`${plan.cursorField} >= ${soqlLiteral(since)}`);
  }
  if (options.where) conditions.push(`(${options.where})`);
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { soql: `SELECT ${plan.fieldList.join(', ')} FROM ${plan.objectName}${where}`, conditions, since };
}

/**
 * Reads the run's rows into staging; returns how many. A full read goes through Bulk API 2.0; an incremental
 * one through REST when its rows fit in a REST read (a Bulk job's fixed latency is seconds on Salesforce),
 * counted first with `SELECT COUNT()`.
 */
export async function readIntoStaging(context: SyncContext, plan: ObjectPlan): Promise<number> {
  const { options, logger } = context;
  const { soql, conditions, since } = readSoql(context, plan);
  logger.info('Reading from Salesforce', {
    object: plan.objectName,
    mode: plan.full ? 'full' : 'incremental',
    since: since?.toISOString(),
  });
  const restMaxRows = options.restMaxRows ?? 10_000;
  const bulk = plan.full || (await countRows(context, plan.objectName, conditions, plan.includeDeleted)) > restMaxRows;
  if (bulk && context.warehouse.loadCsv) return loadResultPages(context, plan, soql);
  const records = query(options.connection, soql, {
    all: plan.includeDeleted,
    api: bulk ? 'bulk' : 'rest',
    pageSize: options.pageSize ?? 50_000,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    logger,
  });
  const counter = { rows: 0 };
  await context.warehouse.load(
    plan.staging,
    plan.fieldList,
    valueRows(context, plan, records, plan.stagingColumns, 'read', counter),
  );
  return counter.rows;
}

/**
 * Result pages go to the engine's CSV loader as Salesforce wrote them: no row is parsed in JavaScript. The
 * describe's types say how each value reads (staging may hold the table's own SQL types).
 */
async function loadResultPages(context: SyncContext, plan: ObjectPlan, soql: string): Promise<number> {
  const { options, warehouse } = context;
  const loadCsv = (warehouse.loadCsv as NonNullable<typeof warehouse.loadCsv>).bind(warehouse);
  let read = 0;
  for await (const page of queryPages(options.connection, soql, {
    all: plan.includeDeleted,
    pageSize: options.pageSize ?? 200_000,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    logger: context.logger,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    // The engines skip the header line and take the columns by position: check it names them in order.
    if (page.index === 1) await expectHeader(page.path, plan.fieldList, plan.objectName);
    const loaded = await loadCsv({ table: plan.staging, file: page.path, columns: plan.columns });
    if (page.records !== null && loaded !== page.records) {
      throw new LakehouseError(
        `Page ${page.index} of query job ${page.jobId} holds ${page.records} records but ${loaded} rows were loaded from it; nothing was written to ${plan.table}`,
        { code: 'SYNC_PAGE_COUNT_MISMATCH' },
      );
    }
    read += loaded;
    options.onProgress?.({ object: plan.objectName, phase: 'read', rows: read });
  }
  return read;
}

/** Salesforce records as rows of `columns` (by the describe's types), counted, with progress every 10,000. */
async function* valueRows(
  context: SyncContext,
  plan: ObjectPlan,
  records: AsyncIterable<Record<string, unknown>>,
  columns: readonly ColumnSpec[],
  phase: 'read' | 'formulas',
  counter: { rows: number },
): AsyncGenerator<SqlValue[]> {
  const { signal, onProgress } = context.options;
  const names = columns.map((c) => c.name);
  const types = describedTypes(plan, columns);
  for await (const record of records) {
    signal?.throwIfAborted();
    const values: SqlValue[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      values[i] = toSqlValue(record[names[i] as string], types[i] as ColumnSpec['type']);
    }
    counter.rows++;
    if (onProgress && counter.rows % 10_000 === 0) onProgress({ object: plan.objectName, phase, rows: counter.rows });
    yield values;
  }
}

/** Reads the formula fields (and Id) of every row into the formulas table, through Bulk API 2.0. */
export async function readFormulas(context: SyncContext, plan: ObjectPlan): Promise<void> {
  const { options, warehouse } = context;
  options.onProgress?.({ object: plan.objectName, phase: 'formulas', rows: 0 });
  const formulaColumns = [
    { name: 'Id', type: { kind: 'id' } } as ColumnSpec,
    ...plan.stagingColumns.filter((c) => plan.formulaFields.includes(c.name)),
  ];
  await warehouse.createTable(plan.formulasTable, formulaColumns);
  const names = formulaColumns.map((c) => c.name);
  const records = query(
    options.connection,
    `SELECT ${names.join(', ')} FROM ${plan.objectName}${whereClause(context)}`,
    {
      all: plan.includeDeleted,
      api: 'bulk',
      pageSize: options.pageSize ?? 50_000,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      logger: context.logger,
    },
  );
  await warehouse.load(
    plan.formulasTable,
    names,
    valueRows(context, plan, records, formulaColumns, 'formulas', { rows: 0 }),
  );
}

/** Reads every Id of the object (with `where`) into the ids table, for a reconciliation of deletes. */
export async function readIds(context: SyncContext, plan: ObjectPlan): Promise<void> {
  const { options, warehouse } = context;
  await warehouse.createTable(plan.idsTable, [{ name: 'Id', type: { kind: 'id' } }]);
  const records = query(options.connection, `SELECT Id FROM ${plan.objectName}${whereClause(context)}`, {
    api: 'auto',
    typed: false,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    logger: context.logger,
  });
  async function* idRows(): AsyncGenerator<SqlValue[]> {
    for await (const record of records) {
      options.signal?.throwIfAborted();
      yield [String(record.Id)];
    }
  }
  await warehouse.load(plan.idsTable, ['Id'], idRows());
}

function whereClause(context: SyncContext): string {
  return context.options.where ? ` WHERE (${context.options.where})` : '';
}

/** Throws unless the first line of a result page names `fields` in order (matched without regard to case). */
async function expectHeader(path: string, fields: readonly string[], object: string): Promise<void> {
  const file = await open(path, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    head = buffer.toString('utf8', 0, bytesRead).split(/\r?\n/, 1)[0] ?? '';
  } finally {
    await file.close();
  }
  const names = head.split(',').map((name) => name.replace(/^"|"$/g, '').toLowerCase());
  const expected = fields.map((f) => f.toLowerCase());
  if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
    throw new LakehouseError(
      `The Bulk result of ${object} has the columns ${head.slice(0, 300)}, not the ${fields.length} fields asked for in that order; nothing was written`,
      { code: 'SYNC_UNEXPECTED_COLUMNS' },
    );
  }
}

/** Rows a read would return, by REST `SELECT COUNT()` (queryAll when deleted rows are read too). */
async function countRows(
  context: SyncContext,
  object: string,
  conditions: readonly string[],
  all: boolean,
): Promise<number> {
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const result = (await context.options.connection.request(
    `/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(`SELECT COUNT() FROM ${object}${where}`)}`,
  )) as unknown as { totalSize?: number };
  return Number(result.totalSize ?? 0);
}
