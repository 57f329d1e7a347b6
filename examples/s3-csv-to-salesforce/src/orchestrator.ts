import { Orchestrator, type OrchestratorOptions } from '@kicksaw/orchestrator';

/**
 * The seed README's orchestrator, in TypeScript: the execution record gets the error count, a link
 * to the error report and the data file, in fields of `IntegrationExecution__c` (see
 * `salesforce/` for their metadata), plus the run's JSON description.
 */
export class ContactsOrchestrator extends Orchestrator {
  constructor(options: OrchestratorOptions) {
    // This is set in the subclass because your execution object could be named anything.
    super({ ...options, executionObjectName: options.executionObjectName ?? 'IntegrationExecution__c' });
  }

  // And it could have any number of fields.
  override get executionSfdcHash(): Record<string, unknown> {
    return {
      Number_of_Errors__c: this.errorCount,
      Error_Report__c: this.uploadedReport ? this.errorReportLink : null,
      Data_File__c: this.key,
      ExecutionPayload__c: JSON.stringify(this.executionDetails),
    };
  }
}
