// The main job: flow 1 (CSV in S3 -> Salesforce, reports in S3) on the embedded default (a local S3 and the
// local Salesforce org), then the other half of the toolkit with the `kicksaw` command (Salesforce <->
// warehouse on a fresh local org and DuckDB), each step's command printed as a user would type it.
import { existsSync } from 'node:fs';

const demo = new URL('../examples/s3-csv-to-salesforce/run-demo.mjs', import.meta.url);
if (existsSync(demo)) {
  try {
    await import(demo.href);
  } catch (error) {
    // A flow-1 module that does not load: say so, and still show the other half (it does not depend on it).
    console.error(`\nThe main job could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
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

// The lakehouse half (issue 16): kicksaw dev, import, create, sync, a change and a delete, an incremental
// sync, retl upsert. Every command's exit code is checked against what the step should end with.
const lakehouse = new URL('../packages/cli/demo/lakehouse.mjs', import.meta.url);
if (existsSync(lakehouse)) {
  const { runLakehouseDemo } = await import(lakehouse.href);
  const expected = { import: 3, create: 0, sync: 0, update: 0, delete: 0, incremental: 0, retl: 0, check: 0 };
  try {
    const codes = await runLakehouseDemo();
    const wrong = Object.entries(expected).filter(([step, code]) => codes[step] !== code);
    if (wrong.length > 0) {
      console.error(
        `\nThe lakehouse half did not end as expected: ${wrong.map(([step]) => `${step} exited ${codes[step]}`).join(', ')}`,
      );
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(`\nThe lakehouse half failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
