import type { SalesforceError, SalesforceRecord } from '@kicksaw/core';
import { createMapper, type Mapping } from '@kicksaw/csv';

/** The result of mapping one CSV record: a Salesforce record, or why it cannot be one. */
export type MappedRecord = { ok: true; record: SalesforceRecord } | { ok: false; errors: SalesforceError[] };

/**
 * Your own mapping step: turns one
 * CSV record (column name to text) into a Salesforce record, or says why it cannot. Errors become a
 * failed outcome of that row in the report.
 *
 * @example
 * ```ts
 * const mapRow: RowMapper = (record) =>
 *   record.Email ? { ok: true, record: { Email: record.Email.toLowerCase(), LastName: record.Name } }
 *                : { ok: false, errors: [{ statusCode: 'KICKSAW_INVALID_VALUE', message: 'Email is empty', fields: ['Email'] }] };
 * ```
 */
export type RowMapper = (record: Record<string, string>, row: number) => MappedRecord;

/**
 * How rows become records: a `@kicksaw/csv` {@link Mapping} (`{ fields: { LastName: 'Last Name',
 * Birthdate: { from: 'Birthdate', type: 'date', format: 'dd/MM/yyyy' } } }`), or a {@link RowMapper}.
 */
export type ImportMapping = Mapping | RowMapper;

/** A compiled {@link ImportMapping}: map a record; check a header before any row is sent. */
export interface CompiledMapping {
  map: RowMapper;
  /** Throws an `InputError` when the header lacks a column the mapping reads. */
  check(header: readonly string[], source?: string): void;
}

/** Compiles an {@link ImportMapping}. */
export function compileMapping(mapping: ImportMapping): CompiledMapping {
  if (typeof mapping === 'function') return { map: mapping, check: () => undefined };
  const mapper = createMapper(mapping);
  return {
    map: (record, row) => mapper(record, row),
    check: (header, source) => {
      mapper.check(header, source);
    },
  };
}
