import { describe, expect, it } from 'vitest';
import {
  AccountingError,
  assertAccounted,
  BULK_OPERATIONS,
  countOutcome,
  emptySummary,
  type RowOutcome,
} from '../src/index.js';

describe('assertAccounted', () => {
  it('returns a summary whose counts add up', () => {
    const summary = { input: 10, succeeded: 6, failed: 2, unprocessed: 1, skipped: 1 };
    expect(assertAccounted(summary)).toBe(summary);
    expect(assertAccounted(emptySummary())).toEqual(emptySummary());
  });

  it('throws when rows have no outcome, with the figures', () => {
    expect(() => assertAccounted({ input: 10, succeeded: 6, failed: 2, unprocessed: 0, skipped: 0 })).toThrow(
      /10 read, but 8 settled \(6 succeeded, 2 failed, 0 unprocessed, 0 skipped\): 2 row\(s\) have no outcome/,
    );
  });

  it('throws when there are more outcomes than rows', () => {
    expect(() => assertAccounted({ input: 1, succeeded: 2, failed: 0, unprocessed: 0, skipped: 0 })).toThrow(
      AccountingError,
    );
  });

  it('throws on impossible counts', () => {
    expect(() => assertAccounted({ input: -1, succeeded: -1, failed: 0, unprocessed: 0, skipped: 0 })).toThrow(
      /impossible input count/,
    );
    expect(() => assertAccounted({ input: 1.5, succeeded: 1.5, failed: 0, unprocessed: 0, skipped: 0 })).toThrow(
      AccountingError,
    );
    expect(() =>
      assertAccounted({ input: 2, succeeded: 2, failed: 0, unprocessed: 0, skipped: 0, created: 3 }),
    ).toThrow(/3 created but only 2 succeeded/);
  });
});

describe('countOutcome', () => {
  it('tallies statuses and creations', () => {
    const outcomes: RowOutcome[] = [
      { row: 1, status: 'succeeded', id: '003000000000001AAA', created: true, errors: [], record: {} },
      { row: 2, status: 'succeeded', id: '003000000000002AAA', created: false, errors: [], record: {} },
      {
        row: 3,
        status: 'failed',
        id: null,
        created: false,
        errors: [{ statusCode: 'X', message: 'y', fields: [] }],
        record: {},
      },
      { row: 4, status: 'skipped', id: null, created: false, errors: [], record: {} },
    ];
    const summary = emptySummary();
    for (const outcome of outcomes) countOutcome(summary, outcome);
    summary.input = 4;
    expect(assertAccounted(summary)).toEqual({
      input: 4,
      succeeded: 2,
      failed: 1,
      unprocessed: 0,
      skipped: 1,
      created: 1,
    });
  });

  it('lists the five bulk operations', () => {
    expect(BULK_OPERATIONS).toEqual(['insert', 'update', 'upsert', 'delete', 'hardDelete']);
  });
});
