import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A handler invocation running in a child process (see `invoke.ts`). */
export interface ChildInvocation {
  child: ChildProcess;
  /** Resolves with the printed response line (or `undefined` when the process died first). */
  done: Promise<{ ok: boolean; response?: unknown; error?: string } | undefined>;
  /** SIGKILL: no cleanup, no parking, no lease release (an out-of-memory kill or a Lambda timeout). */
  kill(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** Starts one invocation in its own Node process (the Node running the tests: Node 22). */
export function invokeInChild(settings: unknown): ChildInvocation {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--import',
      `${here}register.mjs`,
      `${here}invoke.ts`,
      JSON.stringify(settings),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const done = exited.then(() => {
    const line = out.trim().split('\n').at(-1);
    if (!line) {
      if (err && child.signalCode !== 'SIGKILL') throw new Error(`child invocation failed: ${err}`);
      return undefined;
    }
    return JSON.parse(line) as { ok: boolean; response?: unknown; error?: string };
  });
  return {
    child,
    done,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
