// The errors a query fails with: MALFORMED_QUERY, unsupported constructs, and Salesforce's positioned messages.
import { OrgError } from '../contract.js';

const UNSUPPORTED_HINT = 'is not supported by the local org';

/** A MALFORMED_QUERY error. */
export function malformed(message: string): OrgError {
  return new OrgError('MALFORMED_QUERY', message);
}

/** A MALFORMED_QUERY error naming a construct the emulator does not support. */
export function unsupported(construct: string): OrgError {
  return malformed(`${construct} ${UNSUPPORTED_HINT}`);
}

/** What a Bulk API 2.0 query job refuses (INVALIDJOB). */
export function bulkRefusal(what: string): OrgError {
  return new OrgError('INVALIDJOB', `${what} not supported in Bulk V2 Query with CSV content type`);
}

/** Builds Salesforce's positioned error message: the query, a caret, `ERROR at Row:r:Column:c`, the text. */
export function positioned(soql: string, token: string, message: string): string {
  let at = -1;
  if (token) {
    const pattern = new RegExp(
      `(^|[^A-Za-z0-9_.])${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`,
      'i',
    );
    const match = pattern.exec(soql);
    if (match) at = match.index + match[1]!.length;
  }
  if (at < 0) return message;
  const before = soql.slice(0, at);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = at - lineStart + 1;
  const lineEnd = soql.indexOf('\n', at);
  const line = soql.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return `${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${message}`;
}
