import type { BulkOperation } from '@kicksaw/core';
import { type Command, Option } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import { UsageError } from '../errors.js';
import { importLocal } from './import-local.js';
import { importS3 } from './import-s3.js';

// `kicksaw import`: its options, and which of the two paths a source takes (a local file: import-local.ts;
// s3://: import-s3.ts).

/** The options of `kicksaw import`. */
export interface ImportOptions {
  object: string;
  operation: string;
  externalId?: string;
  mapping?: string;
  report?: string;
  successReport?: string;
  api: 'auto' | 'bulk' | 'rest';
}

const OPERATIONS: Record<string, BulkOperation> = {
  insert: 'insert',
  update: 'update',
  upsert: 'upsert',
  delete: 'delete',
  'hard-delete': 'hardDelete',
};

/** `kicksaw import FILE|s3://BUCKET/KEY ...` */
export function registerImport(program: Command, state: RunState): void {
  example(
    program
      .command('import')
      .description(
        'Load a CSV file (local or in S3) into a Salesforce object, with an error report of every failed row',
      )
      .argument(
        '<source>',
        'a CSV file, or s3://BUCKET/KEY (read by the orchestrator: report to errors/, source to archive/)',
      )
      .requiredOption('--object <name>', 'the Salesforce object, e.g. Contact')
      .addOption(
        new Option('--operation <op>', 'what to do with each row')
          .choices(Object.keys(OPERATIONS))
          .makeOptionMandatory(),
      )
      .option('--external-id <field>', 'the external id field (upsert)')
      .option('--mapping <file>', 'column mapping (JSON or TOML): { fields: { LastName: "Last Name" } }')
      .option('--report <file>', 'the error report (default: <name>-errors-<time>.csv, written when a row fails)')
      .option('--success-report <file>', 'also write the succeeded rows with their ids')
      .addOption(
        new Option('--api <api>', 'auto: sObject Collections for small files, Bulk API 2.0 above')
          .choices(['auto', 'bulk', 'rest'])
          .default('auto'),
      )
      .action(
        action<ImportOptions>(state, async (ctx, [source], o) => {
          const operation = OPERATIONS[o.operation] as BulkOperation;
          if (operation === 'upsert' && !o.externalId)
            throw new UsageError('--operation upsert needs --external-id FIELD');
          if ((source as string).startsWith('s3://')) {
            if (o.report || o.successReport) {
              throw new UsageError('--report and --success-report are for local files', {
                hint: 'An S3 import writes its error report next to the file, under errors/ in the same bucket.',
              });
            }
            return await importS3(ctx, source as string, o, operation);
          }
          return await importLocal(ctx, state, source as string, o, operation);
        }),
      ),
    'kicksaw import contacts.csv --object Contact --operation upsert --external-id Email --report errors.csv',
    'kicksaw import s3://inbound/contacts.csv --object Contact --operation insert --mapping mapping.json',
  );
}
