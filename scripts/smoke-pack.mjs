// Packs each published package with `pnpm pack`, installs the tarballs into an empty folder
// outside the repository with npm, and imports each one under the running Node (22 through the
// pinned `node` devDependency). Proves that what we would publish installs and works alone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const packagesDir = join(root, 'packages');
const published = readdirSync(packagesDir)
  .map((name) => ({
    dir: join(packagesDir, name),
    manifest: JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => !manifest.private && (only.length === 0 || only.includes(manifest.name)));

const work = mkdtempSync(join(tmpdir(), 'kicksaw-smoke-'));
try {
  const tarballs = published.map(({ dir }) => {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, encoding: 'utf8' });
    return out.trim().split('\n').at(-1);
  });
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'smoke', private: true, type: 'module' }));
  // Peer dependencies (AWS SDK, jsforce) come from the registry, as they would for a user.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: work,
    stdio: 'inherit',
  });
  for (const { manifest } of published) {
    const script = `const m = await import(${JSON.stringify(manifest.name)}); const names = Object.keys(m); if (names.length === 0) throw new Error('no exports'); console.log(${JSON.stringify(manifest.name)} + ': ' + names.length + ' exports, node ' + process.version);`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: work, stdio: 'inherit' });
  }
  // A behaviour check, not just an import: core's accounting works from the installed tarball.
  if (published.some(({ manifest }) => manifest.name === '@kicksaw/core')) {
    const check = `import { assertAccounted, timestamp } from '@kicksaw/core';
assertAccounted({ input: 2, succeeded: 1, failed: 1, unprocessed: 0, skipped: 0 });
let threw = false; try { assertAccounted({ input: 2, succeeded: 1, failed: 0, unprocessed: 0, skipped: 0 }); } catch { threw = true; }
if (!threw) throw new Error('assertAccounted did not throw');
if (!/^\\d{8}T\\d{6}Z$/.test(timestamp())) throw new Error('bad timestamp');
console.log('@kicksaw/core works from its tarball');`;
    execFileSync(process.execPath, ['--input-type=module', '-e', check], { cwd: work, stdio: 'inherit' });
  }
  // The command as `npm i -g` gives it: the tarballs installed globally into a prefix of their own (a clean
  // folder, nothing of the repository on its paths); its bin runs, and the embedded DuckDB warehouse opens
  // (a native binding that ships in an npm optional dependency).
  if (published.some(({ manifest }) => manifest.name === '@kicksaw/cli')) {
    const prefix = join(work, 'global');
    execFileSync(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', ...tarballs],
      {
        cwd: work,
        stdio: 'inherit',
      },
    );
    const bin = join(prefix, 'bin', 'kicksaw');
    const home = join(work, 'home');
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, XDG_CONFIG_HOME: home };
    const version = execFileSync(bin, ['--version'], { cwd: work, env, encoding: 'utf8' }).trim();
    const test = JSON.parse(execFileSync(bin, ['warehouse', 'test', '--json'], { cwd: work, env, encoding: 'utf8' }));
    if (test.ok !== true || test.type !== 'duckdb') throw new Error(`kicksaw warehouse test: ${JSON.stringify(test)}`);
    console.log(`kicksaw ${version}, installed with npm i -g from its tarball: warehouse test ok (${test.type})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
