// @kicksaw/csv pipeline benchmark: readCsv + mapRows + Bulk API parts (bench/lib/csv-parts.mjs, RowEncoder)
// against a bare csv-parse pass over the same generated file, at 100k and 1M rows, each measurement in its own
// child process (so peak RSS is its own). Also: readCsv alone, the bare RowParser, and RowEncoder against
// csv-stringify's public API on 1M in-memory rows.
//
//   cd /work/main && pnpm --filter @kicksaw/csv build && pnpm exec node --expose-gc bench/csv-pipeline.bench.mjs
//
// Options: --rows=100000,1000000 (sizes to run), --max-bytes=N (part size, default 100 MB),
// --repeat=N (runs per measurement, best throughput and largest RSS are kept; default 1),
// --modes=a,b (a subset of the modes below). KICKSAW_CSV_DIST=<dist/index.js> measures another build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateCsv } from './lib/csv-generate.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = `${here}.out`;
const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? 'true'];
  }),
);

if (args.child) {
  const { runChild } = await import('./lib/csv-child.mjs');
  const result = await runChild(args.child, args.file, { maxBytes: Number(args['max-bytes'] ?? 100_000_000) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const sizes = (args.rows ?? '100000,1000000').split(',').map(Number);
const repeat = Number(args.repeat ?? 1);
const maxBytes = args['max-bytes'] ?? '100000000';
mkdirSync(outDir, { recursive: true });

const allModes = [
  ['bare-parse', 'csv-parse stream, columns: true, for await (the reference)'],
  ['bare-parse-fast', 'csv-parse stream, arrays, data events (fastest bare use)'],
  ['bare-rows', 'RowParser over decoded chunks, arrays (csv-parse fast where a build has no RowParser)'],
  ['read', 'readCsv alone (batches)'],
  ['pipeline', 'readCsv + mapRows (typed mapping) + Bulk parts (Buffer parts)'],
  ['encode-ours', 'RowEncoder, 1M rows of 10 values in memory'],
  ['encode-stringify', 'csv-stringify/sync (public API), the same 1M rows, 10k per call'],
];
const wanted = args.modes ? args.modes.split(',') : allModes.map(([mode]) => mode);
const modes = allModes.filter(([mode]) => wanted.includes(mode));

console.log(`Node ${process.version}; part maxBytes ${maxBytes}; best of ${repeat}`);
const table = [];
for (const rows of sizes) {
  const file = `${outDir}/csv-pipeline-${rows}.csv`;
  if (!existsSync(file)) {
    const started = performance.now();
    await generateCsv(file, rows);
    console.log(`generated ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const mb = statSync(file).size / 1e6;
  for (const [mode, what] of modes) {
    let best;
    for (let i = 0; i < repeat; i++) {
      const run = spawnSync(
        process.execPath,
        ['--expose-gc', fileURLToPath(import.meta.url), `--child=${mode}`, `--file=${file}`, `--max-bytes=${maxBytes}`],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      if (run.status !== 0) {
        console.error(run.stderr);
        process.exit(1);
      }
      const result = JSON.parse(run.stdout.trim().split('\n').pop());
      if (best === undefined || result.seconds < best.seconds)
        best = { ...result, peakRssMb: Math.max(result.peakRssMb, best?.peakRssMb ?? 0) };
    }
    table.push({
      rows,
      mode,
      what,
      fileMb: mb.toFixed(1),
      wallSec: best.seconds.toFixed(2),
      cpuSec: best.cpuSeconds.toFixed(2),
      'MB/s wall': (mb / best.seconds).toFixed(1),
      'MB/s cpu': (mb / best.cpuSeconds).toFixed(1),
      peakRssMb: best.peakRssMb.toFixed(0),
      records: best.records,
      problems: best.problems ?? 0,
      parts: best.parts ?? '',
    });
  }
}
console.table(table.map(({ what, ...row }) => row));
console.log(
  `load average at the end: ${(await import('node:os'))
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')} on ${(await import('node:os')).availableParallelism()} cores`,
);
for (const rows of sizes) {
  const of = (mode) => table.find((r) => r.rows === rows && r.mode === mode);
  if (!of('bare-parse') || !of('bare-parse-fast')) continue;
  for (const mode of ['pipeline', 'read'].filter(of)) {
    const cpu = Number(of(mode).cpuSec) / Number(of('bare-parse').cpuSec);
    const wall = Number(of(mode).wallSec) / Number(of('bare-parse').wallSec);
    const fast = Number(of(mode).cpuSec) / Number(of('bare-parse-fast').cpuSec);
    console.log(
      `${rows} rows, ${mode}: ${cpu.toFixed(2)}x the bare parse's CPU time (${wall.toFixed(2)}x wall; ` +
        `${fast.toFixed(2)}x the fastest bare use), peak RSS ${of(mode).peakRssMb} MB`,
    );
  }
}
