// The local org of bench/peers.mjs in its own process, so that the client figures are the client's
// alone. argv: [seedRows]. Seeds that many bench rows (for exports), prints one JSON line with the
// connection details, then answers each stdin line `stats` with {held, cpu, internalBatches,
// peakConcurrentBatches} (the org's own CPU seconds so far) and exits when stdin closes.
// PEERS_SERVER_MODEL=MIN-MAXxN (milliseconds, pool size), e.g. 2000-8000x10: the org's Bulk 2.0 server
// model (each internal 10,000-row batch takes a seeded draw from MIN..MAX ms, N batches of the org at once).
import { createInterface } from 'node:readline';
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { OBJECT, OBJECT_DEFINITION, recordFor } from './peers-data.mjs';

const seedRows = Number(process.argv[2] ?? 0);
const model = /^(\d+)-(\d+)x(\d+)$/.exec(process.env.PEERS_SERVER_MODEL ?? '');
if (process.env.PEERS_SERVER_MODEL && !model) {
  throw new Error(`PEERS_SERVER_MODEL must look like 2000-8000x10, got ${process.env.PEERS_SERVER_MODEL}`);
}
const sf = await startSalesforceEmulator({
  objects: [OBJECT_DEFINITION],
  ...(model
    ? { serverModel: { batchMs: { min: Number(model[1]), max: Number(model[2]) }, concurrency: Number(model[3]) } }
    : {}),
});
for (let start = 1; start <= seedRows; start += 50_000) {
  const batch = [];
  for (let i = start; i < Math.min(seedRows + 1, start + 50_000); i++) {
    const r = recordFor(i);
    batch.push({ ...r, Amount__c: Number(r.Amount__c), Active__c: r.Active__c === 'true' });
  }
  sf.org.seed(OBJECT, batch);
}
const cpu0 = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, apiVersion: sf.apiVersion, username: sf.username })}\n`,
);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'stats') return;
  const cpu = process.cpuUsage(cpu0);
  const held = sf.org.records(OBJECT).length;
  process.stdout.write(`${JSON.stringify({ held, cpu: (cpu.user + cpu.system) / 1e6, ...sf.bulkStats() })}\n`);
});
lines.on('close', async () => {
  await sf.stop();
  process.exit(0);
});
