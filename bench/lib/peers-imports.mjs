// What the process of peers.mjs's kicksaw ingest holds before it reads a row: node alone, then jsforce (which the
// caller loads for its Connection), undici, zod, and this checkout's @kicksaw/sf-bulk + @kicksaw/csv, each set
// imported in a fresh process (three times; medians), measured after a full garbage collection: resident memory
// (VmRSS), its peak (VmHWM) and the JS heap in use. Usage, from bench/ (packages built):
//   pnpm exec node lib/peers-imports.mjs [--base=/tmp/base]   (--base: the same for another clone's built packages)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const base = process.argv.find((a) => a.startsWith('--base='))?.slice(7);
// undici and zod are not the bench's own dependencies: the copies @kicksaw/sf-bulk resolves (zod's ES module build).
const ofSfBulk = (path) => join(here, '../../packages/sf-bulk/node_modules', path);

if (process.argv[2] === '--child') {
  for (const name of process.argv.slice(3)) await import(name);
  const status = readFileSync('/proc/self/status', 'utf8');
  globalThis.gc();
  globalThis.gc();
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  const peak = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  console.log(
    JSON.stringify({ rss: kb('VmRSS') / 1024, hwm: peak / 1024, heap: process.memoryUsage().heapUsed / 2 ** 20 }),
  );
  process.exit(0);
}

const sets = [
  ['node alone', []],
  ['jsforce', ['jsforce']],
  ['jsforce + undici', ['jsforce', ofSfBulk('undici/index.js')]],
  ['jsforce + zod', ['jsforce', ofSfBulk('zod/index.js')]],
  ['jsforce + sf-bulk + csv', ['jsforce', '@kicksaw/sf-bulk', '@kicksaw/csv']],
  ...(base
    ? [
        [
          `jsforce + sf-bulk + csv of ${base}`,
          ['jsforce', join(base, 'packages/sf-bulk/dist/index.js'), join(base, 'packages/csv/dist/index.js')],
        ],
      ]
    : []),
];
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [label, modules] of sets) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const child = spawnSync(process.execPath, ['--expose-gc', join(here, 'peers-imports.mjs'), '--child', ...modules], {
      cwd: join(here, '..'),
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${label}: ${child.stderr}`);
    runs.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const rss = median(runs.map((r) => r.rss));
  const hwm = median(runs.map((r) => r.hwm));
  const heap = median(runs.map((r) => r.heap));
  console.log(
    `${label.padEnd(60)} rss ${rss.toFixed(0).padStart(4)} MB  peak ${hwm.toFixed(0).padStart(4)} MB  heap used ${heap.toFixed(1).padStart(5)} MB`,
  );
}
