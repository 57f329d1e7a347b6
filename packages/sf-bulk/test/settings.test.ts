import { Connection } from 'jsforce';
import { describe, expect, it } from 'vitest';
import type { IngestOptions } from '../src/index.js';
import { ingestSettingsOf, STEADY_JOB_ROWS } from '../src/settings.js';

const base: IngestOptions = {
  connection: new Connection({ instanceUrl: 'http://127.0.0.1:9', accessToken: 'token' }),
  object: 'Item__c',
  operation: 'insert',
  records: [],
};

describe('job sizes', () => {
  it('start at 10,000 rows and grow to 98,304 with the default budgets (the bookkeeping of a job stays bounded)', () => {
    const s = ingestSettingsOf(base);
    expect(STEADY_JOB_ROWS).toBe(98_304);
    expect(s).toMatchObject({ firstJobRows: 10_000, grownJobRows: 98_304, maxRows: 10_000_000 });
    // A larger first job is kept as the size jobs grow to.
    expect(ingestSettingsOf({ ...base, firstJobRows: 400_000 }).grownJobRows).toBe(400_000);
  });

  it('grow to the budgets when a budget is set', () => {
    expect(ingestSettingsOf({ ...base, maxRowsPerJob: 1_000_000 })).toMatchObject({
      firstJobRows: 1_000_000,
      grownJobRows: 1_000_000,
    });
    expect(ingestSettingsOf({ ...base, maxBytesPerJob: 50_000_000 }).grownJobRows).toBe(10_000_000);
    expect(ingestSettingsOf({ ...base, firstJobRows: 100, maxRowsPerJob: 800 }).grownJobRows).toBe(800);
  });
});
