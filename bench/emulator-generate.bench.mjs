// Populates an org with org.generate() and prints records per second and the heap bytes one record costs.
// Ten-field records of a custom object (the "ten-field records"), timestamps spread over a month.
// Run (after a build of sf-emulator): pnpm exec node --expose-gc bench/emulator-generate.bench.mjs [records]
// BENCH_EMULATOR=<path to a bundle of the package> runs another build of it (for before/after runs).
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const { createOrg } = await import(
  process.env.BENCH_EMULATOR ? pathToFileURL(process.env.BENCH_EMULATOR).href : '@kicksaw/sf-emulator'
);

const RECORDS = Number(process.argv[2] ?? process.env.BENCH_RECORDS ?? 1_000_000);
if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc: the heap figure needs a full collection before and after');
  process.exit(1);
}

const org = createOrg({
  clock: '2024-06-01T00:00:00Z',
  objects: [
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
  ],
});
const fields = ['ExtId__c', 'Code__c', 'Amount__c', 'Qty__c', 'Due__c', 'Seen__c', 'Flag__c', 'Email__c', 'Note__c'];

// The heap and the memory of typed arrays and buffers (the org keeps records as columns, some of them typed arrays).
const held = () => {
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
};
globalThis.gc();
const before = held();
const started = performance.now();
const cpuBefore = process.cpuUsage();
const result = org.generate('Bench__c', RECORDS, {
  fields,
  spread: { from: '2024-05-01T00:00:00Z', to: '2024-06-01T00:00:00Z' },
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
globalThis.gc();
const after = held();
const rss = process.memoryUsage().rss;

console.log(`generated ${result.count.toLocaleString('en-US')} Bench__c records (Name + 9 fields + system fields)`);
console.log(
  `  wall time:         ${seconds.toFixed(2)} s (${Math.round(result.count / seconds).toLocaleString('en-US')} records/s)`,
);
console.log(
  `  CPU time:          ${cpuSeconds.toFixed(2)} s, garbage collector threads included (${Math.round(result.count / cpuSeconds).toLocaleString('en-US')} records per CPU second)`,
);
const perRecord = (bytes) => Math.round(bytes / result.count);
console.log(
  `  held per record:   ${perRecord(after.heap - before.heap + after.buffers - before.buffers)} bytes (heap ${perRecord(after.heap - before.heap)} + typed arrays and buffers ${perRecord(after.buffers - before.buffers)}: records, ids, unique index)`,
);
console.log(`  RSS:               ${Math.round(rss / 1024 / 1024)} MB`);
console.log(`  load average:      ${loadavg()[0].toFixed(1)}`);
