import { describe, expect, it } from 'vitest';
import { isUnsent, OUTCOME_CODES, type RowOutcome, unsentOutcome } from '../src/index.js';

describe('OUTCOME_CODES', () => {
  it('names each code after its key, so a string cannot drift from the name code matches on', () => {
    for (const [key, code] of Object.entries(OUTCOME_CODES)) expect(code).toBe(`KICKSAW_${key}`);
    expect(Object.isFrozen(OUTCOME_CODES)).toBe(true);
  });

  it('keeps the exact strings users see in their reports: none renamed, dropped or added unnoticed', () => {
    // The published set is recorded in __snapshots__/: changing it is a deliberate `vitest -u` and a
    // changeset, since reports already written carry the old strings.
    expect(Object.values(OUTCOME_CODES)).toMatchSnapshot();
  });
});

describe('unsentOutcome', () => {
  const error = { statusCode: OUTCOME_CODES.DEADLINE, message: 'Not sent: the deadline passed', fields: [] };

  it('builds an unprocessed outcome with no id, never sent, with its one error', () => {
    expect(unsentOutcome({ row: 3, record: { LastName: 'Ada' }, error })).toEqual({
      row: 3,
      status: 'unprocessed',
      id: null,
      created: false,
      errors: [error],
      record: { LastName: 'Ada' },
      attempts: 0,
    });
  });

  it('carries status, attempts, line and job id when given, and leaves them out when not', () => {
    const outcome = unsentOutcome({ row: 4, record: {}, error, status: 'failed', attempts: 2, line: 5, jobId: '750x' });
    expect(outcome).toEqual({
      row: 4,
      line: 5,
      status: 'failed',
      id: null,
      created: false,
      errors: [error],
      record: {},
      attempts: 2,
      jobId: '750x',
    });
    const bare = unsentOutcome({ row: 4, record: {}, error });
    expect('line' in bare).toBe(false);
    expect('jobId' in bare).toBe(false);
  });
});

describe('isUnsent', () => {
  const outcome = (status: RowOutcome['status'], statusCode?: string): RowOutcome => ({
    row: 1,
    status,
    id: null,
    created: false,
    errors: statusCode ? [{ statusCode, message: 'm', fields: [] }] : [],
    record: {},
  });

  it('is true for unprocessed rows kept from Salesforce by the run', () => {
    for (const code of ['DEADLINE', 'JOB_NOT_CREATED', 'UPLOAD_FAILED', 'JOB_NOT_STARTED'] as const) {
      expect(isUnsent(outcome('unprocessed', OUTCOME_CODES[code]))).toBe(true);
    }
  });

  it('is false for rows that were processed, given up, failed before sending, or carry no error', () => {
    expect(isUnsent(outcome('unprocessed', OUTCOME_CODES.JOB_ABORTED))).toBe(false);
    expect(isUnsent(outcome('unprocessed', OUTCOME_CODES.RESULT_MISSING))).toBe(false);
    expect(isUnsent(outcome('unprocessed', OUTCOME_CODES.NOT_SENT))).toBe(false);
    expect(isUnsent(outcome('failed', OUTCOME_CODES.DEADLINE))).toBe(false);
    expect(isUnsent(outcome('failed', 'UNABLE_TO_LOCK_ROW'))).toBe(false);
    expect(isUnsent(outcome('unprocessed'))).toBe(false);
  });

  it('looks at the first error only', () => {
    const two = outcome('unprocessed', 'SOMETHING_ELSE');
    two.errors.push({ statusCode: OUTCOME_CODES.DEADLINE, message: 'm', fields: [] });
    expect(isUnsent(two)).toBe(false);
  });
});
