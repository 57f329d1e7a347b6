// The main job: flow 1 (CSV in S3 -> Salesforce, reports in S3) on the embedded default
// (a local S3 and the local Salesforce org). Until @kicksaw/orchestrator exists there is no
// flow to run, and this says so instead of pretending.
import { existsSync } from 'node:fs';

const demo = new URL('../examples/s3-csv-to-salesforce/run-demo.mjs', import.meta.url);
if (existsSync(demo)) {
  await import(demo.href);
} else {
  console.log(
    [
      'kicksaw: the main job (CSV in S3 -> Salesforce) is not built yet.',
      'It arrives with @kicksaw/orchestrator (issue 7): this command will then start a local S3 and the',
      'local Salesforce org, drop a sample CSV into a bucket, deliver the S3 event to the example handler and',
      'print the rows read, succeeded and failed, the error report and the execution record.',
      'Everything installed and built; run `pnpm test` to run the test suite.',
    ].join('\n'),
  );
}
