import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'tsup';

/**
 * Builds a package's command (`src/<name>.ts`) into `outDir` with tsup, as its tests run it: ESM for Node 22, no
 * types or maps. Build inside the package (a gitignored `.tmp` folder) so that its dependencies resolve from it.
 * `external: 'node_modules'` keeps every dependency an import (a native binding such as DuckDB's cannot be bundled).
 * Resolves to the path of the built file.
 */
export async function buildCommand(options: {
  packageDir: string;
  outDir: string;
  name?: string;
  external?: 'node_modules';
}): Promise<string> {
  const name = options.name ?? 'cli';
  await build({
    entry: { [name]: join(options.packageDir, 'src', `${name}.ts`) },
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    outDir: options.outDir,
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
    ...(options.external === 'node_modules' ? { skipNodeModulesBundle: true } : {}),
  });
  return join(options.outDir, `${name}.js`);
}

/** A command started by {@link startCommand}. */
export interface RunningCommand {
  child: ChildProcess;
  /** All it wrote so far, stdout and stderr interleaved as they came. */
  output(): string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts `node <file> ...args` in `cwd` on the running Node, collecting its output. */
export function startCommand(file: string, args: string[], cwd: string): RunningCommand {
  const child = spawn(process.execPath, [file, ...args], { cwd });
  let output = '';
  const collect = (chunk: string) => {
    output += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits (up to about 10 s, polling every 25 ms) until the output matches `pattern`; throws with the output if not. */
export async function waitForOutput(running: RunningCommand, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 400; i++) {
    const match = pattern.exec(running.output());
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no ${pattern} in: ${running.output()}`);
}
