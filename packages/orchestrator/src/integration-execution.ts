import {
  type BulkOperation,
  InputError,
  KicksawError,
  type Logger,
  type RowOutcome,
  type RunSummary,
  silentLogger,
} from '@kicksaw/core';
import {
  checkErrorRecordInserts,
  type ErrorRecordFieldNames,
  toErrorRecords,
  truncateText,
} from '@kicksaw/error-report';
import { type IngestOptions, type IngestRun, ingest, ingestAll, quoteSoqlString } from '@kicksaw/sf-bulk';
import type { Connection } from 'jsforce';
import { ErrorRecordsNotSavedError, IntegrationNotFoundError } from './errors.js';
import { DEFAULT_STATUS_VALUES, type ExecutionStatus, messageOf } from './execution-record.js';

/** Names of the objects and fields of the kicksaw integration package; defaults shown. */
export interface IntegrationObjectSettings {
  /** Default `Integration__c` (looked up by `Name`). */
  integrationObject?: string;
  /** Default `IntegrationExecution__c`. */
  executionObject?: string;
  /** Lookup from the execution to the integration. Default `Integration__c`. */
  integrationField?: string;
  /** Long text receiving the Step Functions payload as JSON. Default `ExecutionPayload__c`. */
  payloadField?: string;
  /** The payload field's length; longer JSON is cut with a marker. Default 131,072. */
  payloadLength?: number;
  /** Default `Status__c`; `null` to leave the status alone. */
  statusField?: string | null;
  /** Status values (see `ExecutionRecordSettings`). */
  statusValues?: Partial<Record<ExecutionStatus, string>>;
  /** Default `IntegrationError__c`. */
  errorObject?: string;
  /** Field names of the error object (see `@kicksaw/error-report`). */
  errorFields?: Partial<ErrorRecordFieldNames>;
}

interface ResolvedSettings {
  integrationObject: string;
  executionObject: string;
  integrationField: string;
  payloadField: string;
  payloadLength: number;
  statusField: string | null;
  statusValues: Record<ExecutionStatus, string>;
  errorObject: string;
  errorFields: Partial<ErrorRecordFieldNames> | undefined;
}

function resolve(settings: IntegrationObjectSettings = {}): ResolvedSettings {
  return {
    integrationObject: settings.integrationObject ?? 'Integration__c',
    executionObject: settings.executionObject ?? 'IntegrationExecution__c',
    integrationField: settings.integrationField ?? 'Integration__c',
    payloadField: settings.payloadField ?? 'ExecutionPayload__c',
    payloadLength: settings.payloadLength ?? 131_072,
    statusField: settings.statusField === undefined ? 'Status__c' : settings.statusField,
    statusValues: { ...DEFAULT_STATUS_VALUES, ...settings.statusValues },
    errorObject: settings.errorObject ?? 'IntegrationError__c',
    errorFields: settings.errorFields,
  };
}

/** Options of {@link IntegrationExecution.start}. */
export interface StartExecutionOptions {
  connection: Connection;
  /** The `Name` of the `Integration__c` record this run belongs to. */
  integrationName: string;
  /** The Step Functions payload (any JSON), stored on the execution record. */
  payload: unknown;
  settings?: IntegrationObjectSettings;
  logger?: Logger;
}

/** Options of {@link IntegrationExecution.attach}. */
export interface AttachExecutionOptions {
  connection: Connection;
  /** The id passed between steps. */
  executionId: string;
  settings?: IntegrationObjectSettings;
  logger?: Logger;
}

/** What {@link IntegrationExecution.ingest} returns. */
export interface ExecutionIngestResult {
  summary: RunSummary;
  /** Error records inserted (one per error of a failed or unprocessed row). */
  errorRecords: number;
  /** The ingest run, for `pendingJobStates()` when a deadline was given. */
  run: IngestRun;
}

/**
 * One run of an integration in Salesforce (`KicksawSalesforce` in the Python
 * kicksaw-integration-utils): an `IntegrationExecution__c`
 * record holding the Step Functions payload, and an `IntegrationError__c` child for each error of each
 * row a bulk operation could not load. The execution id lives on the instance (never on the class, so
 * warm Lambda invocations cannot leak it into each other); pass {@link IntegrationExecution.id} between
 * steps and {@link IntegrationExecution.attach} to it.
 *
 * @example
 * ```ts
 * const execution = await IntegrationExecution.start({ connection, integrationName: 'ERP accounts', payload: event });
 * const { summary } = await execution.ingest({ object: 'Account', operation: 'upsert', externalIdField: 'ERP_Id__c', records });
 * await execution.finish();
 * return { executionId: execution.id };
 * ```
 */
export class IntegrationExecution {
  /** The `IntegrationExecution__c` record id. */
  readonly id: string;
  /** The `Integration__c` record id, when known. */
  readonly integrationId: string | undefined;
  readonly connection: Connection;
  /** Counts of every row run through this instance. */
  readonly summary: RunSummary = { input: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0 };
  /** Error records inserted through this instance. */
  errorRecords = 0;
  readonly #settings: ResolvedSettings;
  readonly #logger: Logger;

  private constructor(
    connection: Connection,
    id: string,
    integrationId: string | undefined,
    settings: ResolvedSettings,
    logger: Logger,
  ) {
    this.connection = connection;
    this.id = id;
    this.integrationId = integrationId;
    this.#settings = settings;
    this.#logger = logger;
  }

  /** Finds the integration by name and creates an execution record holding the payload (status In Progress). */
  static async start(options: StartExecutionOptions): Promise<IntegrationExecution> {
    const settings = resolve(options.settings);
    const logger = options.logger ?? silentLogger;
    const { connection } = options;
    const found = await connection.query<{ Id: string }>(
      `SELECT Id FROM ${settings.integrationObject} WHERE Name = ${quoteSoqlString(options.integrationName)} LIMIT 2`,
    );
    const integration = found.records[0];
    if (!integration) throw new IntegrationNotFoundError(options.integrationName, settings.integrationObject);
    const record: Record<string, unknown> = {
      [settings.integrationField]: integration.Id,
      // A Step Functions payload can reach 256 KB; the field holds 131,072 characters.
      [settings.payloadField]: truncateText(JSON.stringify(options.payload ?? null), settings.payloadLength),
    };
    if (settings.statusField) record[settings.statusField] = settings.statusValues.running;
    const created = await connection.sobject(settings.executionObject).create(record);
    if (!created.success || !created.id) {
      throw new KicksawError(`Could not create the ${settings.executionObject} record: ${JSON.stringify(created)}`, {
        code: 'EXECUTION_RECORD_FAILED',
      });
    }
    logger.info('integration execution started', { executionId: created.id, integration: options.integrationName });
    return new IntegrationExecution(connection, created.id, integration.Id, settings, logger);
  }

  /** Attaches to an execution created by an earlier step (clear error when the id is unknown). */
  static async attach(options: AttachExecutionOptions): Promise<IntegrationExecution> {
    const settings = resolve(options.settings);
    const { connection } = options;
    if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(options.executionId ?? '')) {
      throw new InputError(`"${String(options.executionId)}" is not a Salesforce record id`, {
        field: 'executionId',
        code: 'EXECUTION_ID_INVALID',
      });
    }
    const found = await connection.query<Record<string, unknown>>(
      `SELECT Id, ${settings.integrationField} FROM ${settings.executionObject} WHERE Id = ${quoteSoqlString(options.executionId)}`,
    );
    const record = found.records[0];
    if (!record) {
      throw new InputError(`No ${settings.executionObject} record has id ${options.executionId}`, {
        field: 'executionId',
        code: 'EXECUTION_NOT_FOUND',
      });
    }
    const integrationId = record[settings.integrationField];
    return new IntegrationExecution(
      connection,
      String(record.Id),
      typeof integrationId === 'string' ? integrationId : undefined,
      settings,
      options.logger ?? silentLogger,
    );
  }

  /**
   * Runs a bulk operation through `@kicksaw/sf-bulk` and inserts an `IntegrationError__c` child for each
   * error of each failed or unprocessed row, then checks that those inserts succeeded (throws
   * {@link ErrorRecordsNotSavedError} if not). With a `deadline`, rows of jobs still running are not
   * counted yet: hand `result.run.pendingJobStates()` to {@link IntegrationExecution.resume} later.
   */
  async ingest(
    options: Omit<IngestOptions, 'connection'>,
    hooks: { onOutcome?: (outcome: RowOutcome) => void } = {},
  ): Promise<ExecutionIngestResult> {
    const run = ingest({ logger: this.#logger, ...options, connection: this.connection });
    const context = { object: options.object, operation: options.operation, upsertKey: options.externalIdField };
    const onOutcome = hooks.onOutcome;
    const outcomes = onOutcome
      ? (async function* () {
          for await (const outcome of run) {
            onOutcome(outcome);
            yield outcome;
          }
        })()
      : run;
    const summary = await this.#collect(outcomes, context);
    return { summary, errorRecords: this.errorRecords, run };
  }

  /** Records the outcomes of an ingest run (e.g. a `resume` of parked jobs) like {@link IntegrationExecution.ingest}. */
  async record(
    outcomes: AsyncIterable<RowOutcome> | Iterable<RowOutcome>,
    context: { object: string; operation: BulkOperation; upsertKey?: string | undefined },
  ): Promise<RunSummary> {
    return this.#collect(outcomes, context);
  }

  async #collect(
    outcomes: AsyncIterable<RowOutcome> | Iterable<RowOutcome>,
    context: { object: string; operation: BulkOperation; upsertKey?: string | undefined },
  ): Promise<RunSummary> {
    const summary: RunSummary = { input: 0, succeeded: 0, failed: 0, unprocessed: 0, skipped: 0, created: 0 };
    let batch: RowOutcome[] = [];
    for await (const outcome of outcomes) {
      summary.input += 1;
      summary[outcome.status] += 1;
      if (outcome.status === 'succeeded' && outcome.created) summary.created = (summary.created ?? 0) + 1;
      if (outcome.status === 'failed' || outcome.status === 'unprocessed') {
        batch.push(outcome);
        if (batch.length >= 10_000) {
          await this.#insertErrors(batch, context);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await this.#insertErrors(batch, context);
    for (const key of ['input', 'succeeded', 'failed', 'unprocessed', 'skipped', 'created'] as const) {
      this.summary[key] = (this.summary[key] ?? 0) + (summary[key] ?? 0);
    }
    return summary;
  }

  async #insertErrors(
    outcomes: RowOutcome[],
    context: { object: string; operation: BulkOperation; upsertKey?: string | undefined },
  ): Promise<void> {
    const errorRecords = toErrorRecords(outcomes, {
      executionId: this.id,
      operation: context.operation,
      object: context.object,
      ...(context.upsertKey ? { upsertKey: context.upsertKey } : {}),
      ...(this.#settings.errorFields ? { fieldNames: this.#settings.errorFields } : {}),
    });
    if (errorRecords.length === 0) return;
    const inserted = await ingestAll({
      connection: this.connection,
      object: this.#settings.errorObject,
      operation: 'insert',
      records: errorRecords,
      logger: this.#logger,
    });
    const check = checkErrorRecordInserts(errorRecords, inserted.outcomes);
    this.errorRecords += check.inserted;
    if (!check.ok) {
      const first = check.failed[0]?.errors[0];
      throw new ErrorRecordsNotSavedError(
        check.failed.length,
        first ? `${first.statusCode}: ${first.message}` : undefined,
      );
    }
  }

  /**
   * Sets the final status: `Completed`, `Completed with Errors` when rows failed or were not processed,
   * or `Failed` when an error is given (and logged). Counts default to this instance's.
   */
  async finish(options: { error?: unknown; summary?: RunSummary } = {}): Promise<ExecutionStatus> {
    const summary = options.summary ?? this.summary;
    const status: ExecutionStatus = options.error
      ? 'failed'
      : summary.failed + summary.unprocessed > 0
        ? 'partial'
        : 'succeeded';
    const settings = this.#settings;
    if (settings.statusField) {
      const update = { Id: this.id, [settings.statusField]: settings.statusValues[status] };
      const result = await this.connection.sobject(settings.executionObject).update(update);
      if (!result.success) {
        throw new KicksawError(`Could not update ${settings.executionObject} ${this.id}: ${JSON.stringify(result)}`, {
          code: 'EXECUTION_RECORD_FAILED',
        });
      }
    }
    if (options.error)
      this.#logger.error('integration execution failed', { executionId: this.id, error: messageOf(options.error) });
    return status;
  }
}
