import { ConfigError, createConsoleLogger } from '@kicksaw/core';
import type { LongLoadState } from '@kicksaw/orchestrator';
import { createS3Client } from '@kicksaw/s3';
import { connectFromEnv } from '@kicksaw/sf-bulk';
import { createErpContactsTasks, type ErpContactsInput } from './tasks.js';

// One Lambda per task in state-machine.asl.json; the same bundle serves all three.
// Settings: SF_* (see @kicksaw/sf-bulk) and KICKSAW_STATE_BUCKET.
const bucket = process.env.KICKSAW_STATE_BUCKET;
if (!bucket) {
  throw new ConfigError('is required', {
    setting: 'KICKSAW_STATE_BUCKET',
    hint: 'Name the bucket for offloaded inputs and job states.',
  });
}
const tasks = createErpContactsTasks({
  connection: () => connectFromEnv(process.env),
  s3Client: createS3Client(),
  bucket,
  logger: createConsoleLogger({ base: { service: 'erp-contacts' } }),
});

export const start = (input: ErpContactsInput) => tasks.start(input);
export const poll = (state: LongLoadState) => tasks.poll(state);
export const finish = (state: LongLoadState) => tasks.finish(state);
