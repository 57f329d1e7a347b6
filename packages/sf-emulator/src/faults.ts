import { SeededDraws, seededRandom } from '@kicksaw/core';
import type { DmlError, DmlOperation, FaultSettings } from './contract.js';

/** The seeded generator of the faults (the same seed gives the same faults), from @kicksaw/core. */
export { seededRandom };

/** The handle on the fault settings of a running emulator. */
export interface Faults {
  /** Replaces the fault settings (the generator restarts from the new seed). */
  set(settings: FaultSettings): void;
  /** Removes every fault. */
  reset(): void;
  /** The settings in force. */
  current(): FaultSettings;
}

/** Default messages of the per-row error codes the fault injector uses most. */
const DEFAULT_ROW_MESSAGES: Record<string, string> = {
  UNABLE_TO_LOCK_ROW: 'unable to obtain exclusive access to this record or 1 records',
  REQUEST_RUNNING_TOO_LONG: 'Your request was running for too long, and has been stopped.',
  STORAGE_LIMIT_EXCEEDED: 'storage limit exceeded',
};

/**
 * Holds the fault settings and the seeded generator; the server asks it what to do with each request.
 * @internal
 */
export class FaultController extends SeededDraws<FaultSettings> implements Faults {
  latencyMs(): number {
    return Math.max(0, this.settings.latencyMs ?? 0);
  }

  shouldDropConnection(): boolean {
    return this.draw(this.settings.dropConnectionRate);
  }

  /** The status of an injected HTTP error for this API path, or undefined. */
  httpError(path: string): number | undefined {
    const spec = this.settings.httpErrors;
    if (!spec) return undefined;
    if (spec.match && !spec.match.test(path)) return undefined;
    return this.draw(spec.rate) ? spec.status : undefined;
  }

  jobProcessingMs(): number {
    return Math.max(0, this.settings.jobProcessingMs ?? 0);
  }

  failIngestJobAfterRows(): number | undefined {
    const value = this.settings.failIngestJobAfterRows;
    return value === undefined || value < 0 ? undefined : value;
  }

  sessionExpiry(): FaultSettings['sessionExpiry'] {
    return this.settings.sessionExpiry;
  }

  dailyApiRequestLimit(): number | undefined {
    return this.settings.dailyApiRequestLimit;
  }

  /**
   * The `injectError` hook for one DML call, or undefined when no row error applies to this object.
   */
  rowErrorHook(
    objectName: string,
    operation: DmlOperation,
  ): ((record: Record<string, unknown>, index: number) => DmlError | undefined) | undefined {
    const specs = (this.settings.rowErrors ?? []).filter(
      (spec) => !spec.objects || spec.objects.some((name) => name.toLowerCase() === objectName.toLowerCase()),
    );
    if (specs.length === 0) return undefined;
    return (record) => {
      for (const spec of specs) {
        const hit = spec.when ? spec.when(record, { objectName, operation }) : this.draw(spec.rate);
        if (hit) {
          return {
            statusCode: spec.statusCode,
            message:
              spec.message ??
              DEFAULT_ROW_MESSAGES[spec.statusCode] ??
              spec.statusCode.toLowerCase().replaceAll('_', ' '),
            fields: [],
          };
        }
      }
      return undefined;
    };
  }
}
