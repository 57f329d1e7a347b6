// Where the client time of a kicksaw run goes: runs one tool of bench/peers.mjs (default the 1M-row
// `ingest` + `readCsv` with defaults) under `node --cpu-prof`, against the local org in its own
// process, and prints the functions with the most self time (and the idle share of the main thread).
// Usage, from the repository root (packages built first; the input CSV is written on first use):
//   pnpm exec node bench/sf-bulk-profile.mjs [rows=1000000] [--tool=kicksaw-ingest|kicksaw-export] [--top=25]
// The .cpuprofile is kept in bench/.cache/peers/ (open it in Chrome DevTools for the full tree).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeBenchCsv } from './lib/peers-data.mjs';

for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[name];
const here = new URL('.', import.meta.url).pathname;
const DATA = join(here, '.cache/peers');
const args = process.argv.slice(2);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const tool = option('tool', 'kicksaw-ingest');
const top = Number(option('top', '25'));
mkdirSync(DATA, { recursive: true });
const input = join(DATA, `input-${rows}.csv`);
if (!existsSync(input)) await writeBenchCsv(input, rows);

const exporting = tool.endsWith('export');
const org = spawn(process.execPath, [join(here, 'lib/peers-org.mjs'), String(exporting ? rows : 0)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: org.stdout })[Symbol.asyncIterator]();
const connection = (await lines.next()).value;
const profileDir = join(DATA, `profile-${tool}-${rows}`);
rmSync(profileDir, { recursive: true, force: true });
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    '--cpu-prof-interval=500',
    join(here, 'lib/peers-tools.mjs'),
    tool,
    exporting ? join(DATA, `export-${rows}-profile.csv`) : input,
    connection,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const [code] = await once(child, 'exit');
const wall = (performance.now() - t0) / 1000;
org.stdin.end();
await once(org, 'exit');
if (code !== 0) throw new Error(`${tool} exited with ${code}`);

const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  total += dt;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
}
const idle = self.get('(idle)') ?? 0;
console.log(
  `${tool} ${rows} rows: wall ${wall.toFixed(1)} s, profiled ${(total / 1000).toFixed(1)} s, main thread idle ${(
    (idle / total) * 100
  ).toFixed(0)}%, busy ${((total - idle) / 1000).toFixed(1)} s`,
);
console.log('self ms   share  function');
for (const [key, ms] of [...self.entries()]
  .filter(([key]) => key !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${ms.toFixed(0).padStart(7)}  ${((ms / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
console.log(join(profileDir, file));
