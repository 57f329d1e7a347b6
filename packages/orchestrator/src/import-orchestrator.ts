import { Orchestrator, type OrchestratorOptions } from './orchestrator.js';

/**
 * The orchestrator {@link importCsv} uses when you bring none: it records the run as JSON (source,
 * archive key, report key and link, counts) in one long text field of the execution record,
 * `ExecutionPayload__c` of `IntegrationExecution__c` by default.
 *
 * @example
 * ```ts
 * const orchestrator = await ImportOrchestrator.create({ bucket, key, s3Client, connection, executionObjectName: 'IntegrationExecution__c' });
 * ```
 */
export class ImportOrchestrator extends Orchestrator {
  /** The long text field receiving the run description; `null` records nothing but the status. */
  payloadField: string | null;

  constructor(options: OrchestratorOptions & { payloadField?: string | null }) {
    super(options);
    this.payloadField = options.payloadField === undefined ? 'ExecutionPayload__c' : options.payloadField;
  }

  override get executionSfdcHash(): Record<string, unknown> {
    if (!this.payloadField) return {};
    return { [this.payloadField]: JSON.stringify(this.executionDetails) };
  }
}
