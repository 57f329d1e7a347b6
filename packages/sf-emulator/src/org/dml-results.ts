// DML outcomes: one record's error, a failed result, the error of a rolled-back all-or-none call, and results of a
// call over ids of several objects put back in input order.
import type { DmlError, DmlResult, OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import type { ObjectStore } from './store.js';

/** The error of every record of an all-or-none call that failed elsewhere. */
export const ROLLED_BACK: DmlError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

/** A failed result carrying one error. */
export function fail(error: DmlError, id: string | null = null): DmlResult {
  return { success: false, id, created: false, errors: [error] };
}

/** Whether a prepared record is an error instead. */
export function isError(value: OrgRecord | DmlError): value is DmlError {
  return !('Id' in value) && typeof (value as DmlError).statusCode === 'string';
}

/** One record's error. */
export function err(statusCode: string, message: string, fields: string[] = []): DmlError {
  return { statusCode, message, fields };
}

/**
 * Runs `run` once per object of the ids (in first-seen order; `storeOfId` finds an 18-character id's object) and
 * returns the results in input order; an id of no object fails with MALFORMED_ID.
 */
export function byObject(
  ids: string[],
  storeOfId: (id18: string) => ObjectStore | undefined,
  run: (store: ObjectStore, inputs: Array<{ Id: string }>) => DmlResult[],
): DmlResult[] {
  const results: DmlResult[] = new Array(ids.length);
  const groups = new Map<ObjectStore, number[]>();
  ids.forEach((raw, index) => {
    const id18 = normalizeId(String(raw));
    const store = id18 ? storeOfId(id18) : undefined;
    if (!id18 || !store) {
      results[index] = fail(err('MALFORMED_ID', `invalid id: ${String(raw)}`, ['Id']), null);
      return;
    }
    const list = groups.get(store);
    if (list) list.push(index);
    else groups.set(store, [index]);
  });
  for (const [store, indexes] of groups) {
    const out = run(
      store,
      indexes.map((index) => ({ Id: ids[index]! })),
    );
    indexes.forEach((index, at) => {
      results[index] = out[at]!;
    });
  }
  return results;
}
