import { readFileSync } from 'node:fs';
import type { RowOutcome } from '@kicksaw/core';

// The outcomes of a small import and the report the default layout makes of them, byte for byte (as the Python
// kicksaw-integration-utils wrote it; fixtures/make-default-layout.py): shared by the local and the S3 report tests.

interface Fixture {
  object: string;
  upsertKey: string;
  batches: RowOutcome[][];
}

const fixtures = new URL('./fixtures/', import.meta.url);

/** The outcomes, in the batches they came in, with the object and upsert key of the import. */
export const fixture = JSON.parse(readFileSync(new URL('outcomes.json', fixtures), 'utf8')) as Fixture;

/** The report of {@link fixture} in the default layout. */
export const expectedDefault = readFileSync(new URL('default-layout.csv', fixtures));
