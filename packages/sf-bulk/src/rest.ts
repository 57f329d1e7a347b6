import { type BulkOperation, OUTCOME_CODES, type SalesforceError, type SalesforceRecord } from '@kicksaw/core';
import type { ObjectDescribe } from './describe.js';
import { describeError, type HttpContext, sfJson } from './http.js';

/** One record's result of an sObject Collections call. */
export interface RestRowResult {
  success: boolean;
  id: string | null;
  created: boolean;
  errors: SalesforceError[];
  /** The request failed as a whole: the record was (most likely) not applied. */
  unsent?: boolean;
}

const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent', 'long']);

/** A Bulk-style value (strings, `#N/A`) as a typed REST JSON value; `undefined` means "leave unchanged". */
export function restValue(value: unknown, type: string | undefined): unknown {
  if (value === null || value === '#N/A') return null;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  if (type === 'boolean') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true' || lower === '1' || lower === 'yes') return true;
    if (lower === 'false' || lower === '0' || lower === 'no') return false;
    return value;
  }
  if (type && NUMBER_TYPES.has(type)) {
    const n = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  return value;
}

/** Builds the JSON body record of sObject Collections from a flat record (relationship columns nested). */
export function toRestRecord(
  record: SalesforceRecord,
  object: string,
  describe: ObjectDescribe,
): Record<string, unknown> {
  const types = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f.type]));
  const out: Record<string, unknown> = { attributes: { type: object } };
  for (const [key, raw] of Object.entries(record)) {
    if (key.includes('.')) {
      const [relationship, field] = key.split('.', 2) as [string, string];
      const value = restValue(raw, undefined);
      if (value === undefined) continue;
      out[relationship] = { ...((out[relationship] as object) ?? {}), [field]: value };
      continue;
    }
    const value = restValue(raw, types.get(key.toLowerCase()));
    if (value !== undefined) out[key] = value;
  }
  return out;
}

interface CollectionResult {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

/**
 * Sends up to 200 records through sObject Collections (`allOrNone: false`) and returns one result
 * per record in input order (the API guarantees it). A request that fails as a whole gives every
 * record an `unsent` result with the error.
 */
export async function runRestBatch(ctx: HttpContext, input: RestBatch): Promise<RestRowResult[]> {
  const { operation, records } = input;
  let raw: CollectionResult[];
  try {
    raw = await sendCollection(ctx, input);
  } catch (error) {
    const message = describeError(error);
    return records.map(() => ({
      success: false,
      id: null,
      created: false,
      unsent: true,
      errors: [{ statusCode: OUTCOME_CODES.REQUEST_FAILED, message: `Not applied: ${message}`, fields: [] }],
    }));
  }
  return records.map((_, i) => rowResult(raw?.[i], operation));
}

/** The input of {@link runRestBatch}. */
interface RestBatch {
  object: string;
  operation: BulkOperation;
  externalIdField: string | undefined;
  describe: ObjectDescribe;
  fields: string[];
  records: SalesforceRecord[];
}

/** The one sObject Collections call of a batch, by operation. */
async function sendCollection(ctx: HttpContext, input: RestBatch): Promise<CollectionResult[]> {
  const { object, operation, records } = input;
  if (operation === 'delete') {
    const ids = records.map((r) => String(r.Id ?? r.id ?? ''));
    return await sfJson<CollectionResult[]>(
      ctx,
      'DELETE',
      `composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false`,
    );
  }
  const body = { allOrNone: false, records: records.map((r) => toRestRecord(r, object, input.describe)) };
  if (operation === 'insert') {
    // POST is not idempotent: never resend after the request may have reached Salesforce.
    return await sfJson<CollectionResult[]>(ctx, 'POST', 'composite/sobjects', body, { noRetryAfterSend: true });
  }
  if (operation === 'update') return await sfJson<CollectionResult[]>(ctx, 'PATCH', 'composite/sobjects', body);
  if (operation === 'upsert') {
    return await sfJson<CollectionResult[]>(
      ctx,
      'PATCH',
      `composite/sobjects/${encodeURIComponent(object)}/${encodeURIComponent(input.externalIdField ?? 'Id')}`,
      body,
    );
  }
  throw new Error(`sObject Collections cannot ${operation}`);
}

/** One record's result; a missing one is unsent with RESULT_MISSING. */
function rowResult(result: CollectionResult | undefined, operation: BulkOperation): RestRowResult {
  if (!result) {
    return {
      success: false,
      id: null,
      created: false,
      unsent: true,
      errors: [
        {
          statusCode: OUTCOME_CODES.RESULT_MISSING,
          message: 'Salesforce returned no result for this record',
          fields: [],
        },
      ],
    };
  }
  return {
    success: result.success,
    id: result.id ?? null,
    created: result.success && (result.created ?? operation === 'insert'),
    errors: (result.errors ?? []).map((e) => ({
      statusCode: e.statusCode ?? e.errorCode ?? 'UNKNOWN_ERROR',
      message: e.message ?? '',
      fields: e.fields ?? [],
    })),
  };
}
