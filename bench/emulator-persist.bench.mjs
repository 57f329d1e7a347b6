// Saves and loads an org of 1,000,000 ten-field records through `persistPath` (the streamed state file) and prints
// the times, the file size and the heap the loaded org holds. Run (after a build of sf-emulator):
// pnpm exec node --expose-gc bench/emulator-persist.bench.mjs [records]
// BENCH_EMULATOR=<path to a bundle of the package> runs another build of it (for before/after runs).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { startSalesforceEmulator } = await import(
  process.env.BENCH_EMULATOR ? pathToFileURL(process.env.BENCH_EMULATOR).href : '@kicksaw/sf-emulator'
);

const RECORDS = Number(process.argv[2] ?? process.env.BENCH_RECORDS ?? 1_000_000);
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => undefined;
const work = mkdtempSync(join(tmpdir(), 'kicksaw-persist-bench-'));
const persistPath = join(work, 'org.jsonl');
const objects = [
  {
    name: 'Bench__c',
    fields: [
      { name: 'ExtId__c', type: 'string', length: 20, externalId: true, unique: true },
      { name: 'Code__c', type: 'string', length: 10 },
      { name: 'Amount__c', type: 'double', precision: 16, scale: 2 },
      { name: 'Qty__c', type: 'int', precision: 9, scale: 0 },
      { name: 'Due__c', type: 'date' },
      { name: 'Seen__c', type: 'datetime' },
      { name: 'Flag__c', type: 'boolean' },
      { name: 'Email__c', type: 'email' },
      { name: 'Note__c', type: 'textarea', length: 255 },
    ],
  },
];
const fields = ['ExtId__c', 'Code__c', 'Amount__c', 'Qty__c', 'Due__c', 'Seen__c', 'Flag__c', 'Email__c', 'Note__c'];
const seconds = (since) => ((performance.now() - since) / 1000).toFixed(2);
const cpuSeconds = (since) => {
  const used = process.cpuUsage(since);
  return ((used.user + used.system) / 1e6).toFixed(2);
};

try {
  const first = await startSalesforceEmulator({
    objects,
    persistPath,
    clock: '2024-06-01T00:00:00Z',
    generate: {
      Bench__c: { count: RECORDS, fields, spread: { from: '2024-05-01T00:00:00Z', to: '2024-06-01T00:00:00Z' } },
    },
  });
  let started = performance.now();
  let cpu = process.cpuUsage();
  await first.stop();
  const saveSeconds = seconds(started);
  const saveCpu = cpuSeconds(cpu);
  const bytes = statSync(persistPath).size;
  // The heap and the typed arrays and buffers (records are kept as columns, many of them outside the heap).
  const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  gc();
  const heapBefore = held();
  started = performance.now();
  cpu = process.cpuUsage();
  const second = await startSalesforceEmulator({ objects, persistPath });
  const loadSeconds = seconds(started);
  const loadCpu = cpuSeconds(cpu);
  gc();
  const heapAfter = held();
  const loaded = second.org.query('SELECT COUNT() FROM Bench__c').totalSize;
  await second.stop();
  console.log(`persisted org of ${RECORDS.toLocaleString('en-US')} Bench__c records (Name + 9 fields + system fields)`);
  console.log(
    `  save (stop):       ${saveSeconds} s wall, ${saveCpu} s CPU, ${(bytes / 1024 / 1024).toFixed(1)} MB, ${Math.round(bytes / RECORDS)} bytes a record`,
  );
  console.log(
    `  load (start):      ${loadSeconds} s wall, ${loadCpu} s CPU, ${loaded.toLocaleString('en-US')} records back`,
  );
  console.log(
    `  held by the loaded org: ${Math.round((heapAfter - heapBefore) / RECORDS)} bytes a record (heap, typed arrays and buffers)`,
  );
  console.log(`  peak RSS:          ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  console.log(`  load average:      ${loadavg()[0].toFixed(1)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
