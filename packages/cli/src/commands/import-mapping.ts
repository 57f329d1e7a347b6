import { OUTCOME_CODES } from '@kicksaw/core';
import type { CsvRow, Mapper, Mapping } from '@kicksaw/csv';
import type { IngestInput } from '@kicksaw/sf-bulk';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { readSettingsFile } from './settings-file.js';

// The --mapping of an import: the file read once, and each CSV row mapped to the record that is sent (a row
// the mapping refuses goes on as a problem, so it ends as a failed outcome in the report).

/** Reads a mapping file (JSON or TOML): `{ fields: { LastName: "Last Name", ... }, passthrough?, drop? }`. */
export async function loadMapping(ctx: CommandContext, file: string): Promise<Mapping> {
  const { path, value } = await readSettingsFile(ctx, file, { label: 'mapping file', code: 'MAPPING' });
  if (!value || typeof value !== 'object' || typeof (value as Mapping).fields !== 'object') {
    throw new CliError(`The mapping file ${path} needs a "fields" table`, {
      code: 'MAPPING_INVALID',
      hint: 'Example: { "fields": { "LastName": "Last Name", "Email": "E-mail" }, "passthrough": false }',
    });
  }
  return value as Mapping;
}

/**
 * The records of a local import: each CSV row through the mapping when there is one (as it is otherwise), until
 * the input ends or `stop.requested` (Ctrl-C).
 */
export async function* mappedRecords(
  rows: AsyncIterable<CsvRow>,
  mapper: Mapper | undefined,
  stop: { requested: boolean },
): AsyncGenerator<IngestInput> {
  for await (const row of rows) {
    if (stop.requested) return;
    if (!mapper || 'problem' in row) {
      yield row;
      continue;
    }
    const mapped = mapper(row.record, row.row);
    if (mapped.ok) yield { row: row.row, line: row.line, record: mapped.record };
    else {
      const first = mapped.errors[0];
      yield {
        row: row.row,
        line: row.line,
        problem: {
          code: first?.statusCode ?? OUTCOME_CODES.INVALID_VALUE,
          message: mapped.errors.map((e) => e.message).join('; '),
        },
      };
    }
  }
}
