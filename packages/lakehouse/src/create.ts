import { silentLogger } from '@kicksaw/core';
import { describeFresh } from './describe.js';
import { LakehouseError } from './errors.js';
import type { LakehouseBaseOptions } from './options.js';
import { type ColumnMapOptions, columnsFromDescribe, type TypeOverrides } from './types.js';
import type { ColumnSpec, TableColumn, WarehouseSession } from './warehouse.js';

/**
 * The column every synced table carries: when the row was found deleted (null while it exists).
 *
 * @example
 * ```ts
 * `SELECT * FROM "Account" WHERE "${DELETED_AT_COLUMN}" IS NULL`;
 * ```
 */
export const DELETED_AT_COLUMN = '_kicksaw_deleted_at';

/**
 * A column whose type in the warehouse differs from what the describe maps to now.
 *
 * @example
 * ```ts
 * for (const change of summary.typeChanges) console.warn(change.column, change.tableType, '->', change.describeType, change.hint);
 * ```
 */
export interface TypeChange {
  column: string;
  tableType: string;
  describeType: string;
  /** What to do about it. */
  hint: string;
}

/**
 * Options of {@link createTable}.
 *
 * @example
 * ```ts
 * await createTable({ connection: conn, warehouse, object: 'Account', fields: ['Name', 'Industry'] } satisfies CreateLakehouseTableOptions);
 * ```
 */
export interface CreateTableOptions extends LakehouseBaseOptions {
  /** The Salesforce object, e.g. `Account`. */
  object: string;
  /** The table name. Default: the object's API name, kept exactly. */
  table?: string;
  /** Only these fields (Id, IsDeleted and the timestamps are always kept). Default all. */
  fields?: readonly string[];
  /** Per-field types (LHT's custom mappings). */
  overrides?: TypeOverrides;
  /** Keep base64 fields. Default false. */
  includeBase64?: boolean;
  /** Drop and recreate an existing table (its data is lost). Default false: add what is missing. */
  replace?: boolean;
}

/**
 * What {@link createTable} did.
 *
 * @example
 * ```ts
 * const { table, created, columnsAdded, typeChanges }: CreateTableSummary = await createTable(options);
 * ```
 */
export interface CreateTableSummary {
  object: string;
  table: string;
  /** The table did not exist (or was replaced) and was created. */
  created: boolean;
  replaced: boolean;
  /** Columns added to an existing table. */
  columnsAdded: string[];
  /** Columns the table has but the describe no longer lists (kept, with their data). */
  columnsNotInSalesforce: string[];
  typeChanges: TypeChange[];
  /** The columns the describe maps to, in order. */
  columns: ColumnSpec[];
}

/** @internal The column plan of a table against a describe. */
export interface TablePlan {
  missing: ColumnSpec[];
  notInSalesforce: string[];
  typeChanges: TypeChange[];
}

/** @internal Compares an existing table with the columns a describe maps to. */
export function planColumns(session: WarehouseSession, existing: TableColumn[], wanted: ColumnSpec[]): TablePlan {
  const byName = new Map(existing.map((c) => [c.name, c]));
  const wantedNames = new Set(wanted.map((c) => c.name));
  const missing: ColumnSpec[] = [];
  const typeChanges: TypeChange[] = [];
  for (const column of wanted) {
    const current = byName.get(column.name);
    if (!current) {
      missing.push(column);
      continue;
    }
    const describeType = session.columnType(column.type);
    if (normalizeType(current.sqlType) !== normalizeType(describeType)) {
      typeChanges.push({
        column: column.name,
        tableType: current.sqlType,
        describeType,
        hint: `Salesforce now maps "${column.name}" to ${describeType}; values are still loaded as ${current.sqlType}. Run a full sync with replace (kicksaw sync --full) to rebuild the table with the new type, or add a type override to keep the old one.`,
      });
    }
  }
  const notInSalesforce = existing
    .map((c) => c.name)
    .filter((name) => !wantedNames.has(name) && !name.startsWith('_kicksaw_'));
  return { missing, notInSalesforce, typeChanges };
}

function normalizeType(type: string): string {
  return type.toLowerCase().replace(/\s+/g, '');
}

/** @internal The columns of a synced table: the describe's plus `_kicksaw_deleted_at`. */
export function withSyncColumns(columns: ColumnSpec[]): ColumnSpec[] {
  return [...columns, { name: DELETED_AT_COLUMN, type: { kind: 'timestamp' } }];
}

/** @internal Describe an object and map its columns. */
export async function describeColumns(
  options: Pick<CreateTableOptions, 'connection' | 'object'> & ColumnMapOptions,
): Promise<{ objectName: string; columns: ColumnSpec[]; fieldNames: Set<string>; formulaFields: string[] }> {
  const describe = await describeFresh(options.connection, options.object);
  const columns = columnsFromDescribe(describe.fields, options);
  if (options.fields) {
    const known = new Set(describe.fields.map((f) => f.name.toLowerCase()));
    const unknown = options.fields.filter((f) => !known.has(f.toLowerCase()));
    if (unknown.length > 0) {
      throw new LakehouseError(
        `${describe.name} has no field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')}: check the API names in fields`,
        { code: 'SF_UNKNOWN_FIELD' },
      );
    }
  }
  // Formula fields (describe `calculated: true`) among the mapped columns: their values change without
  // SystemModstamp moving, so an incremental read misses those changes (see sync's refreshFormulas).
  const calculated = new Set(describe.fields.filter((f) => f.calculated === true).map((f) => f.name));
  return {
    objectName: describe.name,
    columns,
    fieldNames: new Set(describe.fields.map((f) => f.name)),
    formulaFields: columns.filter((c) => calculated.has(c.name)).map((c) => c.name),
  };
}

/**
 * Creates a table mirroring an object's describe (type map per engine: ids VARCHAR(18), text VARCHAR,
 * numbers with the describe's precision, datetimes as UTC timestamps with milliseconds; compound address /
 * location fields left out for their components, base64 unless asked). Re-running it on an existing table
 * adds the missing columns and never drops data unless `replace` is set. Identifiers are quoted and kept
 * exactly as Salesforce spells them, so case never changes between runs.
 *
 * @example
 * ```ts
 * const summary = await createTable({ connection: conn, warehouse, object: 'Account' });
 * console.log(summary.created ? 'created' : `added ${summary.columnsAdded.join(', ')}`);
 * ```
 */
export async function createTable(options: CreateTableOptions): Promise<CreateTableSummary> {
  const logger = options.logger ?? silentLogger;
  const { warehouse } = options;
  options.signal?.throwIfAborted();
  options.onProgress?.({ object: options.object, phase: 'describe', rows: 0 });
  const { objectName, columns } = await describeColumns(options);
  const table = options.table ?? objectName;
  const all = withSyncColumns(columns);
  const existing = await warehouse.listColumns(table);
  if (!existing || options.replace) {
    await warehouse.createTable(table, all, { primaryKey: 'Id', replace: options.replace === true });
    logger.info('Created table', { table, object: objectName, columns: all.length, replaced: Boolean(existing) });
    return {
      object: objectName,
      table,
      created: true,
      replaced: Boolean(existing),
      columnsAdded: [],
      columnsNotInSalesforce: [],
      typeChanges: [],
      columns,
    };
  }
  const plan = planColumns(warehouse, existing, all);
  if (plan.missing.length > 0) await warehouse.addColumns(table, plan.missing);
  for (const change of plan.typeChanges) logger.warn('Column type differs from the describe', { ...change });
  return {
    object: objectName,
    table,
    created: false,
    replaced: false,
    columnsAdded: plan.missing.map((c) => c.name),
    columnsNotInSalesforce: plan.notInSalesforce,
    typeChanges: plan.typeChanges,
    columns,
  };
}
