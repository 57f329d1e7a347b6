import type { SalesforceError, SalesforceRecord } from '@kicksaw/core';

/** The result of mapping one CSV record: a Salesforce record, or why it cannot be one. */
export type MappedRow = { ok: true; record: SalesforceRecord } | { ok: false; errors: SalesforceError[] };

/**
 * Your own mapping step (the seed's "serialize the file into whatever the business needs"): turns one
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
export type RowMapper = (record: Record<string, string>, row: number) => MappedRow;

/** Column name to field API name. */
export type ColumnMapping = Record<string, string>;

/** How rows become records: a column-to-field map, or a {@link RowMapper} function. */
export type ImportMapping = ColumnMapping | RowMapper;

/** The mapper of an {@link ImportMapping}. */
export function toRowMapper(mapping: ImportMapping): RowMapper {
  if (typeof mapping === 'function') return mapping;
  const entries = Object.entries(mapping);
  return (record) => {
    const out: SalesforceRecord = {};
    for (const [column, field] of entries) {
      const value = record[column];
      if (value !== undefined) out[field] = value;
    }
    return { ok: true, record: out };
  };
}
