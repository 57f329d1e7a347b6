// The main job (`pnpm start` at the repository root runs this after `turbo run build`):
// flow 1 end to end on the embedded default, a local S3 (fauxqs) and a local Salesforce org
// (@kicksaw/sf-emulator). Give real settings to run the same thing against AWS and a real org:
//   KICKSAW_DEMO_BUCKET=<bucket> AWS_REGION=<region> (+ AWS credentials as usual)
//   SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_LOGIN_URL + SF_CLIENT_ID + SF_CLIENT_SECRET, ... (see @kicksaw/sf-bulk)
//   KICKSAW_DEMO_ROWS=<rows in the sample file> (default 5000)

// fauxqs stores objects with node:sqlite, which Node 22 flags as experimental: keep that notice out of the demo.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning?.message ?? warning).includes('SQLite')) return;
  return emitWarning.call(process, warning, ...rest);
};
// jsforce honours http(s)_proxy and ignores NO_PROXY: the local org is on 127.0.0.1.
const usesRealOrg = ['SF_INSTANCE_URL', 'SF_LOGIN_URL', 'SF_USERNAME'].some((name) => process.env[name]);
if (!usesRealOrg)
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];

const { runDemo } = await import('./dist/demo.js');
console.log(
  'kicksaw main job: a CSV file in S3 -> Salesforce Contacts, with an error report, an archive and an execution record\n',
);
try {
  const { result } = await runDemo();
  if (result.status !== 'completed') process.exitCode = 1;
} catch (error) {
  console.error(`\nThe main job failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
