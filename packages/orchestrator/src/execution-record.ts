import { createHash } from 'node:crypto';
import { isTransientLoginError } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import { ExecutionRecordError } from './errors.js';

/** Lifecycle states an execution record goes through. */
export type ExecutionStatus = 'running' | 'pending' | 'succeeded' | 'partial' | 'failed';

/** The picklist values written for each status unless settings say otherwise (flow 1 and flow 2 alike). */
export const DEFAULT_STATUS_VALUES: Readonly<Record<ExecutionStatus, string>> = {
  running: 'In Progress',
  pending: 'Queued',
  succeeded: 'Completed',
  partial: 'Completed with Errors',
  failed: 'Failed',
};

/**
 * Where and how the execution record of a run is kept in Salesforce. Defaults fit the
 * `IntegrationExecution__c` object of the kicksaw integration package (and of `@kicksaw/sf-emulator`
 * with `integrationObjects: true`).
 */
export interface ExecutionRecordSettings {
  /** The object's API name. Default `IntegrationExecution__c`. */
  object?: string;
  /**
   * A text field that is a unique external id (Salesforce enforces the uniqueness). The run claims
   * its input with it before it touches anything: a second delivery of the same S3 object version
   * fails that insert with `DUPLICATE_VALUE` and is skipped. Default `IdempotencyKey__c`.
   */
  idempotencyKeyField?: string;
  /** The status field. Default `Status__c`. */
  statusField?: string;
  /**
   * Values written to the status field. Defaults (the picklist of `IntegrationExecution__c`):
   * running `In Progress`, pending (Salesforce jobs still running, a later invocation finishes) `Queued`,
   * succeeded `Completed`, partial (some rows failed) `Completed with Errors`, failed `Failed`.
   */
  statusValues?: Partial<Record<ExecutionStatus, string>>;
  /**
   * A long text field receiving a JSON description of the run (source, archive, report, counts, error).
   * Default `ExecutionPayload__c`; `null` for none.
   */
  payloadField?: string | null;
}

/** {@link ExecutionRecordSettings} with every default filled in. */
export interface ResolvedExecutionRecordSettings {
  object: string;
  idempotencyKeyField: string;
  statusField: string;
  statusValues: Record<ExecutionStatus, string>;
  payloadField: string | null;
}

/** Fills in the defaults of {@link ExecutionRecordSettings}. */
export function resolveExecutionRecordSettings(
  settings: ExecutionRecordSettings = {},
): ResolvedExecutionRecordSettings {
  return {
    object: settings.object ?? 'IntegrationExecution__c',
    idempotencyKeyField: settings.idempotencyKeyField ?? 'IdempotencyKey__c',
    statusField: settings.statusField ?? 'Status__c',
    statusValues: { ...DEFAULT_STATUS_VALUES, ...settings.statusValues },
    payloadField: settings.payloadField === undefined ? 'ExecutionPayload__c' : settings.payloadField,
  };
}

/** An execution record as read back for an idempotency check. */
export interface ExistingExecution {
  id: string;
  status: ExecutionStatus | 'unknown';
  /** The raw value of the status field. */
  rawStatus: string | null;
  /** When the record was last changed (`LastModifiedDate`), when readable. */
  lastModified?: Date;
}

/**
 * The idempotency key of one S3 object version: a SHA-256 (hex, 64 characters) of bucket, key and
 * version id (or ETag when the bucket is not versioned). The same object version always gives the
 * same key; a new upload to the same key gives a new one.
 *
 * @example
 * ```ts
 * idempotencyKeyFor({ bucket: 'in', key: 'contacts.csv', eTag: '"9b2cf535f27731c974343645a3985328"' });
 * ```
 */
export function idempotencyKeyFor(ref: { bucket: string; key: string; eTag?: string; versionId?: string }): string {
  const version = ref.versionId ? `v:${ref.versionId}` : ref.eTag ? `e:${ref.eTag.replaceAll('"', '')}` : 'none';
  return createHash('sha256').update(`${ref.bucket}\n${ref.key}\n${version}`).digest('hex');
}

/** A Salesforce REST error as jsforce throws it. */
function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { errorCode?: unknown }).errorCode;
  if (typeof code === 'string') return code;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function statusOf(settings: ResolvedExecutionRecordSettings, raw: unknown): ExecutionStatus | 'unknown' {
  for (const [status, value] of Object.entries(settings.statusValues)) {
    if (value === raw) return status as ExecutionStatus;
  }
  return 'unknown';
}

function soqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Reads the execution record holding an idempotency key, if any. */
export async function findExecution(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  idempotencyKey: string,
): Promise<ExistingExecution | undefined> {
  const soql =
    `SELECT Id, LastModifiedDate, ${settings.statusField} FROM ${settings.object} ` +
    `WHERE ${settings.idempotencyKeyField} = ${soqlString(idempotencyKey)} LIMIT 1`;
  const result = await connection.query<Record<string, unknown>>(soql);
  const record = result.records[0];
  if (!record) return undefined;
  const rawStatus = record[settings.statusField];
  const modified = typeof record.LastModifiedDate === 'string' ? new Date(record.LastModifiedDate) : undefined;
  return {
    id: String(record.Id),
    status: statusOf(settings, rawStatus),
    rawStatus: typeof rawStatus === 'string' ? rawStatus : null,
    ...(modified && !Number.isNaN(modified.getTime()) ? { lastModified: modified } : {}),
  };
}

/** The outcome of {@link claimExecution}. */
export type ExecutionClaim = { claimed: true; id: string } | { claimed: false; existing: ExistingExecution };

/** Attempts at creating the execution record when Salesforce or the network fails for a moment, and the first pause. */
const CLAIM_ATTEMPTS = 3;
const CLAIM_RETRY_DELAY_MS = 250;

/**
 * Creates the execution record of a run with its idempotency key. When another run holds the key
 * (Salesforce answers `DUPLICATE_VALUE`), returns that run's record instead.
 *
 * A create that fails for a moment (a 503, a dropped connection: jsforce does not retry a POST) is sent
 * again, up to {@link CLAIM_ATTEMPTS} times. That is safe because the key is unique: when the first
 * attempt was stored and only its answer was lost, the next one is refused as a duplicate and the record
 * is read back (`claimed: false`, as for any later delivery: the claim then re-reads the run's state).
 */
export async function claimExecution(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  idempotencyKey: string,
  fields: Record<string, unknown>,
  status: ExecutionStatus = 'running',
): Promise<ExecutionClaim> {
  const record = {
    ...fields,
    [settings.idempotencyKeyField]: idempotencyKey,
    [settings.statusField]: settings.statusValues[status],
  };
  try {
    const result = await createWithRetries(connection, settings.object, record);
    if (result.success && result.id) return { claimed: true, id: result.id };
    const errors = 'errors' in result ? result.errors : [];
    if (!errors.some((error) => errorCodeOf(error) === 'DUPLICATE_VALUE')) {
      throw new ExecutionRecordError(`Could not create the ${settings.object} record: ${JSON.stringify(errors)}`);
    }
  } catch (error) {
    if (error instanceof ExecutionRecordError) throw error;
    if (errorCodeOf(error) !== 'DUPLICATE_VALUE') {
      throw new ExecutionRecordError(`Could not create the ${settings.object} record: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
  const existing = await findExecution(connection, settings, idempotencyKey);
  if (!existing) {
    throw new ExecutionRecordError(
      `Salesforce reported a duplicate ${settings.idempotencyKeyField} on ${settings.object}, ` +
        'but no record with that key can be read back (is the field readable by this user?).',
    );
  }
  return { claimed: false, existing };
}

async function createWithRetries(connection: Connection, object: string, record: Record<string, unknown>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connection.sobject(object).create(record);
    } catch (error) {
      if (attempt >= CLAIM_ATTEMPTS || !isTransientLoginError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_DELAY_MS * attempt));
    }
  }
}

/** Updates fields of an execution record. */
export async function updateExecution(
  connection: Connection,
  settings: ResolvedExecutionRecordSettings,
  id: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const result = await connection.sobject(settings.object).update({ Id: id, ...fields });
  if (!result.success) {
    const errors = 'errors' in result ? result.errors : [];
    throw new ExecutionRecordError(`Could not update ${settings.object} ${id}: ${JSON.stringify(errors)}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
