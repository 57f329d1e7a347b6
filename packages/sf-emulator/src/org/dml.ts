// One DML call from start to end: the call's context, the operation per input record, all-or-none and the rollback of
// an undo log (also the rollback of a composite transaction).
import type { DmlOperation, DmlOptions, DmlResult } from '../contract.js';
import { OrgError } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import { columnOf, type DmlContext, type DmlHost, idOfInput, type Undo } from './dml-context.js';
import { cascadeDelete, deleteOne, hardDeleteOne, undeleteOne } from './dml-delete.js';
import { fail, ROLLED_BACK } from './dml-results.js';
import { duplicateKeys, repeatedKeys, upsertField } from './dml-values.js';
import { insertOne, storeInserted, updateOne, upsertOne } from './dml-write.js';
import { indexRecord, lookupIndex, unindexRecord } from './indexes.js';
import {
  type ColumnInsert,
  clearColumnInsert,
  compileColumnInsert,
  insertColumns,
  sameKeys,
  verifyColumnInsert,
} from './insert-columns.js';
import { compileInsert, plannedRow } from './insert-plan.js';
import type { ObjectStore } from './store.js';
import { coerceValue, formatDateTime, indexKey, ValueProblem } from './values.js';

/** The operations {@link runDml} knows. */
export const DML_OPERATIONS = new Set<string>(['insert', 'update', 'upsert', 'delete', 'hardDelete', 'undelete']);

/**
 * Runs one DML call on an object's store: results in input order, never a throw for a per-record problem. With
 * `allOrNone`, any failure undoes the call and the others get ALL_OR_NONE_OPERATION_ROLLED_BACK; inside an open
 * transaction (`transaction`), the call's undo entries join it.
 */
export function runDml(
  host: DmlHost,
  store: ObjectStore,
  operation: DmlOperation,
  records: Array<Record<string, unknown>>,
  options: DmlOptions,
  now: Date,
  transaction: Undo[] | undefined,
): DmlResult[] {
  const context = dmlContext(host, store, options, now, transaction);
  const results: DmlResult[] = new Array(records.length);
  let extField: CompiledField | undefined;
  let duplicates: Set<string> | undefined;
  if (operation === 'upsert') {
    extField = upsertField(store, options.externalIdField);
    if (options.rejectDuplicateExternalIds && extField.type !== 'id') {
      duplicates = duplicateKeys(context, records, extField);
    }
  }
  const deletedIds: string[] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const injected = options.injectError?.(record, index);
    if (injected) {
      results[index] = fail(injected, idOfInput(record));
      continue;
    }
    switch (operation) {
      case 'insert':
        results[index] = insertOne(context, record, now);
        break;
      case 'update':
        results[index] = updateOne(context, record);
        break;
      case 'upsert':
        results[index] = upsertOne(context, record, extField!, duplicates, now);
        break;
      case 'delete':
        results[index] = deleteOne(context, record, deletedIds);
        break;
      case 'hardDelete':
        results[index] = hardDeleteOne(context, record);
        break;
      case 'undelete':
        results[index] = undeleteOne(context, record);
        break;
      default:
        throw new OrgError('INVALID_OPERATION', `Unknown DML operation: ${String(operation)}`);
    }
  }
  return finishDml(context, results, options, transaction, deletedIds);
}

/** Options of {@link runInsertRows}: DML's, and whether rows may go straight into columns (insert-columns.ts). */
export interface InsertRowsOptions extends DmlOptions {
  /** False sends every row through the record object (the path before the column insert; tests compare the two). */
  columnInsert?: boolean;
}

/**
 * The outcomes of {@link runInsertRows}, kept compactly (no result object a row): the new id of each row (null when it
 * failed), flags (1 = success, 2 = created) and the failed rows' results.
 */
export interface InsertedRows {
  /** A number is the sequence of the id the org made with `idPrefix` (`idFor(idPrefix, n)`): no id string a row. */
  ids: Array<string | number | null>;
  /** The key prefix of the object's ids. */
  idPrefix: string;
  flags: Uint8Array;
  failures: Map<number, DmlResult>;
}

/**
 * A Bulk CSV insert of rows under one header, without an input record a row: when the header's columns are plain
 * createable fields (the compiled insert applies), each row's cells are coerced in column order straight into the
 * stored record; a row the compiled insert does not take (an empty cell, a short row) becomes an input record and
 * takes the path of {@link runDml}, with the same outcomes.
 */
export function runInsertRows(
  host: DmlHost,
  store: ObjectStore,
  columns: string[],
  rows: string[][],
  options: InsertRowsOptions,
  now: Date,
  transaction: Undo[] | undefined,
  operation: 'insert' | 'upsert' = 'insert',
): InsertedRows {
  const context = dmlContext(host, store, options, now, transaction);
  const count = rows.length;
  const upsert = operation === 'upsert' ? upsertRows(context, store, columns, rows, options) : undefined;
  const out: InsertedRows = {
    ids: new Array(count),
    idPrefix: store.object.keyPrefix,
    flags: new Uint8Array(count),
    failures: new Map(),
  };
  const plan = store.object.createable ? compileInsert(context, columns) : null;
  context.insertPlan = plan;
  // The column insert (undefined: not compiled yet; null: not for this call).
  let columnInsert: ColumnInsert | null | undefined = options.columnInsert === false ? null : undefined;
  /** The column insert compiled for this call, its keys not checked yet against a record stored the generic way. */
  let unchecked: ColumnInsert | undefined;
  for (let index = 0; index < count; index++) {
    const row = rows[index]!;
    let result: DmlResult | undefined;
    if (upsert !== undefined && !upsert.isNew(row)) {
      // An upsert of a record that exists (or fails before its lookup): the general path, with the input record.
      result = upsertOne(context, upsert.record(row), upsert.extField, upsert.duplicates, now);
    } else if (plan !== null) {
      const planned = plannedRow(context, plan, row);
      if (planned === true) {
        if (columnInsert === undefined && unchecked === undefined) {
          // A shape an earlier call checked against a stored record takes the column insert from the first row;
          // another waits for a row stored the generic way to check its keys against.
          const compiled = compileColumnInsert(context, plan);
          if (compiled === null || compiled.verified) columnInsert = compiled;
          else unchecked = compiled;
        }
        if (columnInsert !== null && columnInsert !== undefined) {
          const sequence = insertColumns(context, columnInsert, plan.values);
          if (sequence >= 0) {
            out.ids[index] = sequence;
            out.flags[index] = 3;
            continue;
          }
        }
        const stored = storeInserted(context, plan.build(context.timestamp, host.userId, plan.values), now);
        if (typeof stored === 'string') {
          // The first row stored: the column insert takes the next ones when it stores records of the same keys.
          if (columnInsert === undefined && unchecked !== undefined) {
            const record = store.records.get(stored);
            columnInsert = record !== undefined && sameKeys(unchecked, record) ? unchecked : null;
            if (columnInsert !== null) verifyColumnInsert(plan, columnInsert);
          }
          out.ids[index] = stored;
          out.flags[index] = 3;
          continue;
        }
        result = fail(stored);
      } else if (planned !== false) {
        result = fail(planned);
      }
    }
    if (result === undefined) {
      const record: Record<string, unknown> = {};
      for (let column = 0; column < columns.length; column++) record[columns[column]!] = row[column] ?? '';
      result = insertOne(context, record, now);
    }
    out.ids[index] = result.id;
    if (result.success) out.flags[index] = result.created ? 3 : 1;
    else out.failures.set(index, result);
  }
  if (columnInsert) clearColumnInsert(columnInsert);
  if (context.undo && options.allOrNone && out.failures.size > 0) {
    rollback(context.undo);
    for (let index = 0; index < count; index++) {
      if (out.flags[index] === 0) continue;
      out.flags[index] = 0;
      out.ids[index] = null;
      out.failures.set(index, fail(ROLLED_BACK));
    }
    return out;
  }
  if (transaction && context.undo) {
    for (const entry of context.undo) transaction.push(entry);
  }
  return out;
}

/** What {@link runInsertRows} needs of an upsert: the external id field, the call's duplicates, new rows told apart. */
interface UpsertRows {
  extField: CompiledField;
  duplicates: Set<string> | undefined;
  /** True when `upsertOne` would insert the row's record (no record has its external id): the insert path takes it. */
  isNew(row: string[]): boolean;
  /** The row's input record, keyed by the header. */
  record(row: string[]): Record<string, unknown>;
}

/**
 * An upsert of CSV rows by `options.externalIdField`: the checks `upsertOne` makes before it inserts (a value given,
 * coerced, not repeated in the call, not in the index), on the row's cell; the call's duplicates as `duplicateKeys`
 * finds them. Every row goes to `upsertOne` when the field is Id or the header repeats a column.
 */
function upsertRows(
  context: DmlContext,
  store: ObjectStore,
  columns: string[],
  rows: string[][],
  options: DmlOptions,
): UpsertRows {
  const extField = upsertField(store, options.externalIdField);
  const record = (row: string[]) => {
    const input: Record<string, unknown> = {};
    for (let column = 0; column < columns.length; column++) input[columns[column]!] = row[column] ?? '';
    return input;
  };
  let extAt = columns.indexOf(extField.name);
  if (extAt < 0) {
    extAt = columns.findIndex((name) => {
      const column = columnOf(context, name);
      return column.kind === 'field' && column.field === extField;
    });
  }
  const general = extField.type === 'id' || extAt < 0 || new Set(columns).size !== columns.length;
  let duplicates: Set<string> | undefined;
  if (options.rejectDuplicateExternalIds && extField.type !== 'id') {
    duplicates = general
      ? duplicateKeys(context, rows.map(record), extField)
      : duplicateCells(context, rows, extAt, extField);
  }
  const isNew = (row: string[]): boolean => {
    if (general) return false;
    const raw = row[extAt] ?? '';
    if (raw === '' || raw === '#N/A') return false;
    const coerced = coerceValue(extField, raw, context.csv);
    if (coerced instanceof ValueProblem) return false;
    const key = indexKey(extField, coerced);
    if (key === undefined || duplicates?.has(key)) return false;
    const ids = lookupIndex(store, extField, coerced);
    return ids !== undefined && ids.length === 0;
  };
  return { extField, duplicates, isNew, record };
}

/** {@link duplicateKeys} over the cells of column `at` (the rows' records hold the cell, or '' past a short row). */
function duplicateCells(context: DmlContext, rows: string[][], at: number, extField: CompiledField): Set<string> {
  return repeatedKeys(
    context,
    rows.map((row) => row[at] ?? ''),
    extField,
  );
}

/** The state of one call. */
function dmlContext(
  host: DmlHost,
  store: ObjectStore,
  options: DmlOptions,
  now: Date,
  transaction: Undo[] | undefined,
): DmlContext {
  return {
    host,
    store,
    csv: options.csvValues === true,
    timestamp: formatDateTime(now.getTime()),
    millis: now.getTime(),
    columns: new Map(),
    undo: options.allOrNone || transaction ? [] : undefined,
    insertPlan: undefined,
    indexKeys: new Array<string | undefined>(store.object.indexed.length),
    defaultRecordTypeId: store.object.byLower.has('recordtypeid') ? host.defaultRecordTypeId(store.object) : undefined,
  };
}

/** The end of a call: all-or-none, cascades of deletes, the undo log handed to the open transaction. */
function finishDml(
  context: DmlContext,
  results: DmlResult[],
  options: DmlOptions,
  transaction: Undo[] | undefined,
  deletedIds: string[],
): DmlResult[] {
  const anyFailed = results.some((result) => !result.success);
  if (context.undo && options.allOrNone && anyFailed) {
    rollback(context.undo);
    return results.map((result) => (result.success ? fail(ROLLED_BACK) : result));
  }
  if (deletedIds.length > 0) cascadeDelete(context.store, deletedIds, context);
  if (transaction && context.undo) {
    for (const entry of context.undo) transaction.push(entry);
  }
  return results;
}

/** Undoes an undo log, newest change first: removed records come back, new ones go, indexes follow. */
export function rollback(undo: Undo[]): void {
  for (let index = undo.length - 1; index >= 0; index--) {
    const { store, id, before } = undo[index]!;
    const current = store.records.get(id);
    if (current) {
      if (current.IsDeleted === true) store.deleted--;
      else unindexRecord(store, current);
      store.records.delete(id);
    }
    if (before) {
      store.records.set(id, before);
      if (before.IsDeleted === true) store.deleted++;
      else {
        indexRecord(store, before);
        store.deleteLog.delete(id);
      }
    }
  }
}
